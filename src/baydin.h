/* SPDX-License-Identifier: MIT */
/*
 * baydin.h — the logistic map of Baydin, Pearlmutter, Radul and Siskind,
 * "Automatic differentiation in machine learning: a survey", Table 1, and
 * the numeric pitfalls that go with it (teaching material).
 *
 *   l_1 = x,   l_{n+1} = 4 l_n (1 - l_n)
 *
 * Every cell of the table is computed, not stored: l_n and d/dx l_n are
 * built by symdiff's own parser, lowering and forward engine, turned into
 * exact polynomials (poly.h), factored (content, Yun, rational roots), and
 * the naive column is the product rule applied to that factored form.
 */
#ifndef SYMDIFF_BAYDIN_H
#define SYMDIFF_BAYDIN_H

#include "dag.h"
#include "strbuf.h"

/* Output styles (the `latex` argument of baydin_table); the values are
 * those of PolyStyle. */
enum { BAYDIN_ASCII = 0, BAYDIN_LATEX = 1, BAYDIN_UNICODE = 2 };

/* Rows 1 .. BAYDIN_MAX_N (l_8 has degree 128; its naive derivative has 7
 * terms). */
#define BAYDIN_MAX_N 8

/* l_n and d/dx l_n built in g (variable "x", index 0 in a fresh graph) by
 * lowering `l = x; repeat n-1 { l = 4*l*(1 - l) } l` and differentiating
 * it in forward mode.  Returns 0, or -1 (out of memory). */
int baydin_logistic(Graph *g, int n, Node **l, Node **dl);

/* One row of the table, each cell as printed text (owned by the row). */
typedef struct BaydinRow {
    StrBuf ln;       /* 16x(1 - x)(1 - 2x)^2                             */
    StrBuf naive;    /* 16(1 - x)(1 - 2x)^2 - 16x(1 - 2x)^2 - 64x(...)   */
    StrBuf expanded; /* 16(1 - 10x + 24x^2 - 16x^3)                       */
} BaydinRow;

/* Fills row n (1 <= n <= BAYDIN_MAX_N) in `style`.  Also checks that the
 * three columns agree: the naive derivative multiplied out and the
 * derivative of the expanded l_n equal the engine's derivative expanded.
 * Returns 0, or -1 (out of range, out of memory, or a disagreement). */
int baydin_row(int n, int style, BaydinRow *row);
void baydin_row_free(BaydinRow *row);

/* The table for n = 1 .. nmax: a Markdown table (BAYDIN_ASCII,
 * BAYDIN_UNICODE) or a LaTeX tabular (BAYDIN_LATEX).  Returns 0 or -1. */
int baydin_table(StrBuf *out, int nmax, int latex);

/* The numbers behind baydin_pitfall. */
typedef struct BaydinPitfall {
    double x;               /* 0.3                                          */
    double exact;           /* d/dx l_8 at 3/10, exactly, then rounded      */
    double nested_forward;  /* the DAG of the forward derivative, in double */
    double nested_reverse;  /* the DAG of the reverse derivative, in double */
    double expanded;        /* Horner on the 128 expanded coefficients      */
    double max_coef;        /* the largest |coefficient| of d/dx l_8        */
    double max_term;        /* the largest |a_k x^k| at x = 0.3             */
} BaydinPitfall;

int baydin_pitfall_values(BaydinPitfall *out);

/* The pitfall report: d/dx l_8 at x = 0.3 from the nested (DAG) form and
 * from the expanded polynomial in double precision, against the exact
 * value; then forward and central finite differences of l_4 at 0.3 for
 * h = 1e-1 .. 1e-15 (truncation error first, rounding error later).
 * Returns 0 or -1. */
int baydin_pitfall(StrBuf *out);

#endif
