/* SPDX-License-Identifier: MIT */
/*
 * baydin.c — Baydin et al.'s Table 1 and the numeric pitfalls (see
 * baydin.h).
 *
 * Consumes nothing but n: the logistic map is written as a symdiff program,
 * lowered, differentiated by the forward engine, and every printed cell is
 * derived from those DAG nodes by poly.c.  Central conventions, the ones
 * that make the output match the published table character for character:
 *   l_n       the factored form, content x factors sorted by
 *             poly_factor_compare: 64x(1 - x)(1 - 2x)^2(1 - 8x + 8x^2)^2;
 *   naive     poly_product_rule on that product (terms of higher-degree
 *             factors first, then factor order);
 *   expanded  content x primitive part when that has 3 or more terms,
 *             the polynomial itself otherwise (4 - 8x).
 * Why the factors look as they do: with y = 1 - 2x, l_n = (1 - T(y))/2 for
 * the Chebyshev polynomial T of degree 2^(n-1), and
 *   l_n = 4^(n-1) x (1 - x) prod_{j=0}^{n-3} T_{2^j}(1 - 2x)^2,
 * T_1 = 1 - 2x, T_2 = 1 - 8x + 8x^2, T_4 = 1 - 32x + 160x^2 - 256x^3 +
 * 128x^4, ...; T_{2^j} is irreducible over Q for j >= 1 (its roots
 * cos((2k+1) pi / 2^(j+1)) have degree 2^j), so the factorisation found by
 * rational roots is the complete one.
 */
#include "baydin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "compile.h"
#include "poly.h"

int baydin_logistic(Graph *g, int n, Node **l, Node **dl) {
    char text[96];
    snprintf(text, sizeof text, "l = x; repeat %d { l = 4*l*(1 - l) } l", n - 1);
    Source src = {"<baydin>", text, strlen(text)};
    Diag d;
    diag_init(&d, &src);
    Program p = {NULL, 0, 0, 0};
    int status = -1;
    if (compile_source(g, &d, NULL, &p) == 0 && p.noutputs == 1) {
        int x = graph_find_var(g, "x");
        *l = p.outputs[0];
        *dl = x >= 0 ? deriv_forward(g, *l, x, NULL) : NULL;
        if (*dl)
            status = 0;
    }
    program_free(&p);
    diag_free(&d);
    return status;
}

void baydin_row_free(BaydinRow *row) {
    sb_free(&row->ln);
    sb_free(&row->naive);
    sb_free(&row->expanded);
}

/* Everything computed for one n. */
typedef struct RowData {
    Poly l, dl, naive_expanded, dl_check;
    Big lden, dlden, nden;
    PolyProduct factored;
    PolySum naive;
} RowData;

static void row_data_init(RowData *r) {
    poly_init(&r->l);
    poly_init(&r->dl);
    poly_init(&r->naive_expanded);
    poly_init(&r->dl_check);
    poly_product_init(&r->factored);
    poly_sum_init(&r->naive);
}

static void row_data_free(RowData *r) {
    poly_free(&r->l);
    poly_free(&r->dl);
    poly_free(&r->naive_expanded);
    poly_free(&r->dl_check);
    poly_product_free(&r->factored);
    poly_sum_free(&r->naive);
}

/* poly_factor splits off linear factors only.  The larger factors of l_n
 * come from l_{n-1}: l_n = 4 l_{n-1} (1 - l_{n-1}), so every factor of
 * l_{n-1} divides l_n.  Refining by the (already refined) factors of
 * l_2, ..., l_{n-1} in turn splits l_n into its irreducible factors
 * x, 1 - x and the Chebyshev factors T_{2^j}(1 - 2x). */
static int refine_by_previous(int n, PolyProduct *f) {
    Graph *g = graph_new();
    PolyProduct prev, cur;
    Poly p;
    Big den;
    poly_product_init(&prev);
    poly_product_init(&cur);
    poly_init(&p);
    int st = g ? 0 : -1, complete;
    Node *l = NULL, *dl = NULL;
    for (int k = 2; k < n && !st; k++) {
        st = baydin_logistic(g, k, &l, &dl);
        if (!st)
            st = poly_from_node(g, l, graph_find_var(g, "x"), &p, &den);
        if (!st)
            st = poly_factor(&p, &den, &cur, &complete);
        if (!st)
            st = poly_factor_refine(&cur, &prev);
        poly_product_free(&prev);
        prev = cur;
        poly_product_init(&cur);
    }
    if (!st)
        st = poly_factor_refine(f, &prev);
    poly_product_free(&prev);
    poly_product_free(&cur);
    poly_free(&p);
    graph_free(g);
    return st ? -1 : 0;
}

/* l_n, its factored form, the naive and the engine's derivative; checks
 * that all three derivatives (naive multiplied out, engine, derivative of
 * the expanded l_n) are the same polynomial. */
static int row_compute(int n, RowData *r) {
    Graph *g = graph_new();
    Node *l = NULL, *dl = NULL;
    int complete = 0, st = -1;
    if (!g || baydin_logistic(g, n, &l, &dl) != 0)
        goto done;
    int x = graph_find_var(g, "x");
    if (poly_from_node(g, l, x, &r->l, &r->lden) || poly_from_node(g, dl, x, &r->dl, &r->dlden))
        goto done;
    if (poly_factor(&r->l, &r->lden, &r->factored, &complete) ||
        refine_by_previous(n, &r->factored) || poly_product_rule(&r->factored, &r->naive) ||
        poly_sum_expand(&r->naive, &r->naive_expanded, &r->nden) ||
        poly_derivative(&r->dl_check, &r->l))
        goto done;
    /* the denominators are all 1 here (integer coefficients) */
    if (poly_equal(&r->naive_expanded, &r->dl) && poly_equal(&r->dl_check, &r->dl) &&
        big_is_int(&r->lden, 1) && big_is_int(&r->dlden, 1) && big_is_int(&r->nden, 1))
        st = 0;
done:
    graph_free(g);
    return st;
}

int baydin_row(int n, int style, BaydinRow *row) {
    sb_init(&row->ln);
    sb_init(&row->naive);
    sb_init(&row->expanded);
    if (n < 1 || n > BAYDIN_MAX_N || style < 0 || style > 2)
        return -1;
    PolyStyle ps = (PolyStyle)style;
    RowData r;
    row_data_init(&r);
    int st = row_compute(n, &r);
    if (st == 0) {
        poly_product_print(&row->ln, &r.factored, "x", ps);
        poly_sum_print(&row->naive, &r.naive, "x", ps);
        poly_print_content(&row->expanded, &r.dl, &r.dlden, "x", ps);
        if (row->ln.failed || row->naive.failed || row->expanded.failed)
            st = -1;
    }
    row_data_free(&r);
    return st;
}

int baydin_table(StrBuf *out, int nmax, int latex) {
    if (nmax < 1 || nmax > BAYDIN_MAX_N || latex < 0 || latex > 2)
        return -1;
    if (latex == BAYDIN_LATEX)
        sb_puts(out, "\\begin{tabular}{rlll}\n"
                     "$n$ & $l_n$ & $\\frac{d}{dx} l_n$ & $\\frac{d}{dx} l_n$ (simplified) \\\\\n"
                     "\\hline\n");
    else
        sb_puts(out, "| n | l_n | d/dx l_n | d/dx l_n (simplified) |\n"
                     "| --- | --- | --- | --- |\n");
    for (int n = 1; n <= nmax; n++) {
        BaydinRow row;
        if (baydin_row(n, latex, &row) != 0) {
            baydin_row_free(&row);
            return -1;
        }
        if (latex == BAYDIN_LATEX)
            sb_printf(out, "%d & $%s$ & $%s$ & $%s$ \\\\\n", n, sb_str(&row.ln),
                      sb_str(&row.naive), sb_str(&row.expanded));
        else
            sb_printf(out, "| %d | %s | %s | %s |\n", n, sb_str(&row.ln), sb_str(&row.naive),
                      sb_str(&row.expanded));
        baydin_row_free(&row);
    }
    if (latex == BAYDIN_LATEX)
        sb_puts(out, "\\end{tabular}\n");
    return out->failed ? -1 : 0;
}

/* ---- the pitfalls ---------------------------------------------------------- */

int baydin_pitfall_values(BaydinPitfall *pv) {
    memset(pv, 0, sizeof *pv);
    pv->x = 0.3;
    Graph *g = graph_new();
    Poly dp;
    Big den, num, rden, p, q;
    poly_init(&dp);
    Node *l = NULL, *dl = NULL, *rev = NULL;
    int st = -1;
    if (!g || baydin_logistic(g, 8, &l, &dl) != 0)
        goto done;
    int x = graph_find_var(g, "x");
    if (deriv_reverse(g, l, &x, 1, NULL, &rev) != 0)
        goto done;
    double point[1] = {pv->x};
    pv->nested_forward = eval_node(g, dl, point);
    pv->nested_reverse = eval_node(g, rev, point);
    if (poly_from_node(g, dl, x, &dp, &den) != POLY_OK || !big_is_int(&den, 1))
        goto done;
    /* what a program holding the expanded form computes */
    pv->expanded = poly_eval_double(&dp, pv->x);
    for (int k = 0; k <= dp.deg; k++) {
        double c = fabs(big_to_double(&dp.c[k]));
        double t = c * pow(pv->x, k);
        if (c > pv->max_coef)
            pv->max_coef = c;
        if (t > pv->max_term)
            pv->max_term = t;
    }
    /* the exact value at 3/10, then rounded once */
    big_set_int(&p, 3);
    big_set_int(&q, 10);
    if (poly_eval_rat(&dp, &p, &q, &num, &rden) != POLY_OK)
        goto done;
    {
        StrBuf s;
        sb_init(&s);
        big_print_decimal(&s, &num, &rden, 30);
        pv->exact = strtod(sb_str(&s), NULL);
        sb_free(&s);
    }
    st = 0;
done:
    poly_free(&dp);
    graph_free(g);
    return st;
}

static void put_row(StrBuf *out, const char *what, double v, double exact) {
    sb_printf(out, "  %-44s %24.17g   %.1e\n", what, v, fabs(v - exact));
}

int baydin_pitfall(StrBuf *out) {
    BaydinPitfall pv;
    if (baydin_pitfall_values(&pv) != 0)
        return -1;
    /* the exact decimal again, for printing */
    Graph *g = graph_new();
    Poly dp, lp4, dlp4;
    Big den, num, rden, p, q;
    poly_init(&dp);
    poly_init(&lp4);
    poly_init(&dlp4);
    Node *l = NULL, *dl = NULL;
    int st = -1;
    big_set_int(&p, 3);
    big_set_int(&q, 10);
    if (!g || baydin_logistic(g, 8, &l, &dl) != 0)
        goto done;
    int x = graph_find_var(g, "x");
    if (poly_from_node(g, dl, x, &dp, &den) || poly_eval_rat(&dp, &p, &q, &num, &rden))
        goto done;
    sb_puts(out, "Expanded forms in floating point: d/dx l_8 at x = 0.3\n\n");
    sb_puts(out, "  exact (rational arithmetic)                  ");
    big_print_decimal(out, &num, &rden, 20);
    sb_printf(out, "\n\n  %-44s %24s   %s\n", "form, evaluated in double", "value", "error");
    put_row(out, "nested (symdiff's DAG, forward mode)", pv.nested_forward, pv.exact);
    put_row(out, "nested (symdiff's DAG, reverse mode)", pv.nested_reverse, pv.exact);
    put_row(out, "expanded (128 coefficients, Horner)", pv.expanded, pv.exact);
    sb_printf(out,
              "\n  The expanded derivative has coefficients up to %.1e and, at x = 0.3,\n"
              "  terms up to %.1e: rounding each coefficient to double (relative\n"
              "  error 1.1e-16) already costs more than the value itself, and the\n"
              "  alternating terms cancel to leave only rounding noise.  The nested\n"
              "  form never builds those numbers: every intermediate lies in [0, 1]\n"
              "  or is a modest derivative.\n",
              pv.max_coef, pv.max_term);

    /* finite differences of l_4 */
    Node *l4 = NULL, *dl4 = NULL;
    if (baydin_logistic(g, 4, &l4, &dl4) != 0 || poly_from_node(g, l4, x, &lp4, &den) ||
        poly_derivative(&dlp4, &lp4) || poly_eval_rat(&dlp4, &p, &q, &num, &rden))
        goto done;
    StrBuf s;
    sb_init(&s);
    big_print_decimal(&s, &num, &rden, 30);
    double exact4 = strtod(sb_str(&s), NULL);
    sb_free(&s);
    sb_puts(out, "\nFinite differences: d/dx l_4 at x = 0.3, exactly ");
    big_print_decimal(out, &num, &rden, 20);
    sb_puts(out, "\n\n");
    sb_printf(out, "  %-7s %24s %9s   %24s %9s\n", "h", "(f(x+h) - f(x))/h", "error",
              "(f(x+h) - f(x-h))/2h", "error");
    double point[1];
    for (int e = 1; e <= 15; e++) {
        double h = pow(10.0, -e);
        point[0] = pv.x;
        double f0 = eval_node(g, l4, point);
        point[0] = pv.x + h;
        double fp = eval_node(g, l4, point);
        point[0] = pv.x - h;
        double fm = eval_node(g, l4, point);
        double fwd = (fp - f0) / h, cen = (fp - fm) / (2 * h);
        sb_printf(out, "  1e-%02d   %24.17g %9.1e   %24.17g %9.1e\n", e, fwd, fabs(fwd - exact4), cen,
                  fabs(cen - exact4));
    }
    sb_puts(out, "\n  The error of the forward difference falls like h (truncation,\n"
                 "  f''(x) h / 2) and that of the central one like h^2 (f'''(x) h^2 / 6)\n"
                 "  until rounding takes over: f(x+h) - f(x) loses digits as the two\n"
                 "  values agree, so the error grows again like eps |f| / h.  The best\n"
                 "  h is near sqrt(eps) (forward) or eps^(1/3) (central), and no h\n"
                 "  gives more than about 8 or 11 correct digits.  The symbolic and the\n"
                 "  automatic derivative have no h: they are exact up to the rounding\n"
                 "  of the evaluation itself.\n");
    st = out->failed ? -1 : 0;
done:
    poly_free(&dp);
    poly_free(&lp4);
    poly_free(&dlp4);
    graph_free(g);
    return st;
}
