/* SPDX-License-Identifier: MIT */
/*
 * swell.h — measuring expression swell, for teaching: how large the
 * derivative of a function gets, and what computing it costs, for each way
 * of differentiating (Baydin et al.'s logistic map, Table 1 and section 2).
 *
 * Consumes a scalar function's DAG, the variables to differentiate by and
 * symdiff's gradient of it; produces one row per method with a count (tree
 * or DAG nodes, arithmetic operations, or function evaluations), its log10
 * (meaningful far beyond DBL_MAX), and the derivative's value at a point.
 * Nothing is materialised: tree sizes are recurrences over node ids, so the
 * naive symbolic derivative of the logistic map iterated 1000 times (about
 * 10^305 nodes) is counted in the time it takes to visit 3000 nodes.  The
 * definitions of every count are written out in swell.c.
 */
#ifndef SYMDIFF_SWELL_H
#define SYMDIFF_SWELL_H

#include "dag.h"
#include "deriv.h"
#include "strbuf.h"

/* The rows of a report, always all present and in this order. */
typedef enum SwellRowId {
    SWELL_FUNCTION_TREE,   /* "function (tree)": f written out (nodes)          */
    SWELL_FUNCTION_DAG,    /* "function (DAG)": f as symdiff holds it (nodes)   */
    SWELL_NAIVE_TREE,      /* "naive symbolic (tree)": textbook rules on the
                              tree, no simplification (nodes, all variables)  */
    SWELL_SIMPLIFIED_TREE, /* "simplified symbolic (tree)": symdiff's gradient
                              written out (nodes)                              */
    SWELL_SYMDIFF_DAG,     /* "symdiff (shared DAG)": the gradient's DAG       */
    SWELL_SYMDIFF_TOTAL,   /* "symdiff (function + gradient DAG)": both, with
                              what they share counted once                    */
    SWELL_FUNCTION_OPS,    /* "function evaluation": ops to evaluate f once    */
    SWELL_FORWARD_AD,      /* "forward-mode AD": ops, one pass per variable    */
    SWELL_REVERSE_AD,      /* "reverse-mode AD": ops, primal + adjoint sweep   */
    SWELL_CENTRAL_DIFF,    /* "central differences": evaluations of f          */
    SWELL_NROWS
} SwellRowId;

typedef struct SwellRow {
    const char *method;  /* the names above (static strings)                    */
    const char *unit;    /* "nodes", "ops" or "evals"                           */
    double count;        /* exact below 2^53; saturates at DBL_MAX, never inf   */
    double log10_count;  /* log10(count), accurate also beyond DBL_MAX;
                            -inf for a count of 0                               */
    double value;        /* at the point: f for the three function rows, the
                            derivative by the first variable (vars[0]) by this
                            method for the others; NaN without a point        */
    double error;        /* |value - symdiff's value|: 0 for the symbolic rows
                            (the same expression), rounding-level for the AD
                            rows (evaluated in a different order), the step
                            error for central differences; NaN for the
                            function rows and without a point                  */
} SwellRow;

typedef struct SwellReport {
    SwellRow rows[16];
    int nrows;           /* SWELL_NROWS                                         */
    int nvars;           /* variables differentiated by                         */
    int has_point;       /* values were computed                                */
    char var[32];        /* name of the first variable (the value's), or ""    */
} SwellReport;

/* Measures f (a scalar root of g) and its gradient grad[0..nvars) with
 * respect to vars[0..nvars) (indices into g->vars; grad as built by
 * deriv_gradient with the settings opt, whose kink the local partials of
 * the AD counts take).  point: a value for each of g->vars, or NULL.  g is not
 * modified but for its work counter.  Time O(nvars * nodes of f) (the
 * naive count and forward mode take one pass per variable), charged to the
 * graph's work limit; memory O(nodes of g).  Returns 0, or -1 (bad
 * arguments, out of memory, or the work limit: then g->failed is set). */
int swell_measure(Graph *g, Node *f, const int *vars, int nvars, Node *const *grad,
                  const double *point, const DerivOptions *opt, SwellReport *out);

/* The report as an aligned text table (method, size, unit, and with a
 * point value and error), and as JSON: an array of rows
 *   {"method": "...", "<unit>": count, "log10": ..., "value": ..., "error": ...}
 * (count null above DBL_MAX, non-finite numbers null). */
void swell_print_table(StrBuf *out, const SwellReport *r);
void swell_print_json(StrBuf *out, const SwellReport *r);

/* A sweep: reports[i] measured for the parameter `xname` = x[i].  Text: one
 * line per point, one column per row of the report; JSON: an array of
 *   {"<xname>": x, "rows": [...as swell_print_json...]}. */
void swell_print_sweep(StrBuf *out, const char *xname, const double *x, const SwellReport *reports,
                       int npoints);
void swell_print_sweep_json(StrBuf *out, const char *xname, const double *x,
                            const SwellReport *reports, int npoints);

/* Which rows a plot shows: bit (1u << SwellRowId).  The default leaves out
 * the rows that repeat another's line (the simplified tree follows the
 * function's tree, f + gradient follows the gradient's DAG) and the
 * constant count of central differences. */
#define SWELL_ROW_BIT(id) (1u << (id))
#define SWELL_PLOT_DEFAULT                                                                         \
    (SWELL_ROW_BIT(SWELL_FUNCTION_TREE) | SWELL_ROW_BIT(SWELL_FUNCTION_DAG) |                      \
     SWELL_ROW_BIT(SWELL_NAIVE_TREE) | SWELL_ROW_BIT(SWELL_SYMDIFF_DAG) |                          \
     SWELL_ROW_BIT(SWELL_FUNCTION_OPS) | SWELL_ROW_BIT(SWELL_FORWARD_AD) |                         \
     SWELL_ROW_BIT(SWELL_REVERSE_AD))

/* The sweep as a log-scale SVG chart (plot_svg): one line per selected
 * row, labelled "method (unit)".  Returns 0 or -1. */
int swell_plot_svg(StrBuf *out, const char *title, const char *xname, const double *x,
                   const SwellReport *reports, int npoints, unsigned rows);
/* The same at width x height pixels (plot_svg_sized; 0 x 0: the default). */
int swell_plot_svg_sized(StrBuf *out, const char *title, const char *xname, const double *x,
                         const SwellReport *reports, int npoints, unsigned rows, int width,
                         int height);

#endif
