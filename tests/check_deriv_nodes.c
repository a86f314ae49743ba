/* SPDX-License-Identifier: MIT */
/*
 * check_deriv_nodes.c — the nodes reverse mode builds and throws away.
 *
 * Reverse mode passes adj(n) * dn/da_k to every argument of a node, and
 * the adjoint of a value is the sum of what its users passed.  Building
 * each partial product and then multiplying it by the adjoint, or
 * building the coefficient-free product of every term of a sum only to
 * compare and take it apart, made nodes that no result used (13 nodes per
 * step of the logistic map where 6 remain).  The constructors now build
 * only what is kept, and must give the same nodes as before:
 *
 *   - the same nodes: over random programs (products of 3 to 8 factors
 *     with positive and negative coefficients, sums, shared names,
 *     functions), the graph is built with check_refusals, which builds the
 *     old way beside the new one and counts every difference
 *     (refusals_wrong, always 0);
 *   - the same values: the gradients agree with central finite
 *     differences;
 *   - fewer nodes: for a table of repeat bodies, the derivative nodes
 *     built per step of the loop stay at what the new construction builds
 *     (the logistic map built 10 per step and kept 3, then 6; now 3), and
 *     for plain products at most twice the nodes the gradient keeps.
 *
 * The contributions adj(n) dn/da themselves, and the partials dn/da that
 * end in a product (2 u for u^2, -sin(u) for cos(u)), are products not
 * built (dag_mul_lazy) where the product or sum they go into takes them
 * apart:
 *
 *   - the same sums: for random lists of products (coefficients, powers,
 *     small sums, functions, products of products), the sum and the
 *     product of the unbuilt products print as, and have the values of,
 *     those of the built ones (each in a graph of its own);
 *   - the same gradients: check_refusals compares every unbuilt product
 *     with the product built the usual way, and the repeat bodies'
 *     gradients agree with central differences.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "deriv.h"
#include "eval.h"
#include "print.h"
#include "strbuf.h"
#include "testutil.h"

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Five-point central difference of f along variable v at pt (restored). */
static double central(const Graph *g, Node *f, double *pt, int v) {
    double x0 = pt[v], h = 1e-3 * fmax(1.0, fabs(x0)), s[4];
    const double at[4] = {-2, -1, 1, 2};
    for (int i = 0; i < 4; i++) {
        pt[v] = x0 + at[i] * h;
        s[i] = eval_node(g, f, pt);
    }
    pt[v] = x0;
    return (s[0] - 8 * s[1] + 8 * s[2] - s[3]) / (12 * h);
}

/* A random program over x0..x3: statements t_i = a random product of 3
 * to 8 factors (a coefficient, earlier names, small sums, functions),
 * sums of such, and negated sums, then the sum of the last three. */
static void random_program(StrBuf *sb, uint32_t *s, int nstmt) {
    static const char *const coef[] = {"1", "2", "-1", "-3", "1/2", "-5/4", "7"};
    static const char *const fn[] = {"sin", "exp", "tanh", "sigmoid", "cos"};
    for (int i = 0; i < nstmt; i++) {
        sb_printf(sb, "t%d = ", i);
        int nterms = 1 + (int)(lcg(s) % 3);
        for (int k = 0; k < nterms; k++) {
            int nf = 2 + (int)(lcg(s) % 7);
            sb_printf(sb, "%s%s", k ? " + " : "", coef[lcg(s) % 7]);
            for (int j = 1; j < nf; j++) {
                int pick = (int)(lcg(s) % 6);
                char name[16];
                if (i > 0 && pick < 1)
                    snprintf(name, sizeof name, "t%d", (int)(lcg(s) % (uint32_t)i));
                else
                    snprintf(name, sizeof name, "x%d", (int)(lcg(s) % 4));
                if (pick == 3)
                    sb_printf(sb, "*(1 - %s)", name);
                else if (pick == 4)
                    sb_printf(sb, "*%s(%s)", fn[lcg(s) % 5], name);
                else if (pick == 5)
                    sb_printf(sb, "*(-%s - x%d)", name, (int)(lcg(s) % 4));
                else
                    sb_printf(sb, "*%s", name);
            }
        }
        sb_puts(sb, ";\n");
    }
    sb_printf(sb, "t%d + t%d - t%d\n", nstmt - 1, nstmt - 2, nstmt - 3);
}

START_TEST(test_reverse_builds_the_same_nodes) {
    uint32_t s = 7;
    unsigned long compared = 0;
    for (int trial = 0; trial < 60; trial++) {
        StrBuf text;
        sb_init(&text);
        random_program(&text, &s, 4 + trial % 5);
        static const char *const xs[] = {"x0", "x1", "x2", "x3"};
        Graph *g = graph_new();
        ck_assert_ptr_nonnull(g);
        Node *f = tu_lower(sb_str(&text), g, &(TuOptions){.vars = xs, .nvars = 4});
        ck_assert_ptr_nonnull(f);
        g->check_refusals = 1;
        int vars[4] = {0, 1, 2, 3};
        Node *grad[4];
        ck_assert_int_eq(deriv_reverse(g, f, vars, 4, &(DerivOptions){.mode = DERIV_REVERSE}, grad), 0);
        ck_assert_msg(g->refusals_wrong == 0, "%s: %lu nodes differ from the old construction", sb_str(&text),
                      g->refusals_wrong);
        compared += g->refusals;
        /* the values: central differences at points where f is defined */
        double pt[4];
        int tested = 0;
        for (int tries = 0; tries < 40 && tested < 3; tries++) {
            for (int v = 0; v < 4; v++)
                pt[v] = (double)(lcg(&s) % 2000) / 1000.0 - 1.0;
            double fx = eval_node(g, f, pt);
            if (!isfinite(fx) || fabs(fx) > 1e3)
                continue;
            for (int v = 0; v < 4; v++) {
                double fd = central(g, f, pt, v), d = eval_node(g, grad[v], pt);
                ck_assert_msg(fabs(d - fd) <= 1e-5 * fmax(1.0, fabs(fd)), "%s: d/dx%d = %.17g, differences %.17g",
                              sb_str(&text), v, d, fd);
            }
            tested++;
        }
        graph_free(g);
        sb_free(&text);
    }
    /* the new constructions were exercised, not skipped */
    ck_assert_uint_gt(compared, 500);
}
END_TEST

/* The atoms of the lazy-product test, the same nodes in the same order in
 * every graph: x, y, z and forms a factor of a contribution takes. */
enum { NATOMS = 14 };

static void lazy_atoms(Graph *g, Node **atom) {
    Node *x = graph_var_node(g, graph_add_var(g, "x", VAR_PARAM, shape_scalar));
    Node *y = graph_var_node(g, graph_add_var(g, "y", VAR_PARAM, shape_scalar));
    Node *z = graph_var_node(g, graph_add_var(g, "z", VAR_PARAM, shape_scalar));
    Node *one = dag_int(g, 1);
    atom[0] = x;
    atom[1] = y;
    atom[2] = z;
    atom[3] = dag_int(g, 4);
    atom[4] = dag_int(g, -3);
    atom[5] = dag_num(g, num_rat(-1, 2));
    atom[6] = dag_sub(g, one, x);                     /* a small sum            */
    atom[7] = dag_pow(g, y, dag_int(g, 2));           /* a power                */
    atom[8] = dag_pow(g, x, dag_int(g, -1));          /* cancels with x         */
    atom[9] = dag_call1(g, BI_SIN, z);
    atom[10] = dag_mul(g, x, y);                      /* a product, opened      */
    atom[11] = dag_mul(g, dag_int(g, 2), z);          /* c * u                  */
    atom[12] = dag_add(g, x, dag_mul(g, dag_int(g, -1), y)); /* x - y          */
    atom[13] = dag_mul(g, x, dag_call1(g, BI_EXP, y));
    dag_pin(g, atom[13]); /* shared: one factor */
}

/* Builds, from the choices in pick[], terms[0..nt) (products of atoms;
 * lazy: unbuilt, dag_mul_lazy), their sum and the product of the first
 * two with one more atom; prints the two into out. */
static void lazy_build(Graph *g, int lazy, const int *pick, int nt, StrBuf *out, double *values, size_t *size) {
    Node *atom[NATOMS], *terms[6], *f[5];
    lazy_atoms(g, atom);
    int p = 0;
    for (int i = 0; i < nt; i++) {
        int nf = 1 + pick[p++];
        for (int j = 0; j < nf; j++)
            f[j] = atom[pick[p++]];
        terms[i] = lazy ? dag_mul_lazy(g, f, nf) : dag_mul_n(g, f, nf);
        ck_assert_ptr_nonnull(terms[i]);
    }
    Node *prod = dag_mul_n(g, (Node *[]){terms[0], terms[1], atom[pick[p++]]}, 3);
    Node *sum = dag_add_n(g, terms, nt);
    ck_assert_ptr_nonnull(sum);
    ck_assert_ptr_nonnull(prod);
    ck_assert(!dag_is_lazy(sum) || lazy); /* a sum of one unbuilt product may be it */
    Node *roots[2] = {dag_lazy_build(g, sum), dag_lazy_build(g, prod)};
    for (int i = 0; i < nt; i++)
        dag_lazy_free(terms[i]);
    if (sum != roots[0])
        dag_lazy_free(sum);
    if (prod != roots[1])
        dag_lazy_free(prod);
    for (int i = 0; i < 2; i++) {
        print_expr(out, g, roots[i], PRINT_INFIX);
        sb_putc(out, '\n');
    }
    *size = dag_count(g, roots, 2);
    const double pt[3] = {0.7, -1.3, 0.4};
    for (int i = 0; i < 2; i++)
        values[i] = eval_node(g, roots[i], pt);
}

START_TEST(test_lazy_products_sum_as_built) {
    uint32_t s = 11;
    int unbuilt = 0;
    for (int trial = 0; trial < 400; trial++) {
        int pick[64], p = 0, nt = 2 + (int)(lcg(&s) % 4);
        for (int i = 0; i < nt; i++) {
            int nf = 1 + (int)(lcg(&s) % 5);
            pick[p++] = nf - 1;
            for (int j = 0; j < nf; j++)
                pick[p++] = (int)(lcg(&s) % NATOMS);
        }
        pick[p++] = (int)(lcg(&s) % NATOMS);
        StrBuf a, b;
        sb_init(&a);
        sb_init(&b);
        double va[2], vb[2];
        size_t sa, sb;
        Graph *ga = graph_new(), *gb = graph_new();
        ck_assert_ptr_nonnull(ga);
        ck_assert_ptr_nonnull(gb);
        lazy_build(ga, 1, pick, nt, &a, va, &sa);
        lazy_build(gb, 0, pick, nt, &b, vb, &sb);
        /* the same terms and factors, in the same number of nodes; the
         * order of the terms may differ (see below) */
        ck_assert_msg(sa == sb && strlen(sb_str(&a)) == strlen(sb_str(&b)), "unbuilt:\n%sbuilt:\n%s", sb_str(&a),
                      sb_str(&b));
        /* equal up to rounding: a product built later has a later id,
         * and the operands of a sum are ordered by id */
        for (int i = 0; i < 2; i++)
            ck_assert_msg(fabs(va[i] - vb[i]) <= 1e-13 * fmax(1.0, fabs(vb[i])) || (isnan(va[i]) && isnan(vb[i])),
                          "%s: %.17g, built %.17g", sb_str(&b), va[i], vb[i]);
        unbuilt += ga->nnodes < gb->nnodes;
        graph_free(ga);
        graph_free(gb);
        sb_free(&a);
        sb_free(&b);
    }
    /* the unbuilt products saved nodes (in about a quarter of these
     * trials: the others keep every product whole) */
    ck_assert_int_gt(unbuilt, 80);
}
END_TEST

typedef struct StepCase {
    const char *body; /* one step of `repeat n { ... }` on l             */
    const char *vars; /* its parameters, comma-separated                 */
    double max_built; /* derivative nodes built per step, at most (what
                         the old construction built in brackets)        */
} StepCase;

static const StepCase step_cases[] = {
    {"l = 4*l*(1 - l)", "x", 3},                /* (10, 6), 3 kept */
    {"l = r*l*(1 - l)", "x, r", 4},             /* (10, 7), 4 kept */
    {"l = 2*a*b*l*(1 - l)", "x, a, b", 4},      /* (17, 9), 4 kept */
    {"l = a*l*(1 - l)*(1 + l)", "x, a", 15},    /* (20, 16), 6 kept */
    {"l = -3*l*l*(2 - l)", "x", 14},            /* (22, 19), 5 kept */
    {"l = -2*sin(l)*l*(3 - l)", "x", 24},       /* (35, 28), 6 kept */
    {"l = l*(1 - l) + a*l", "x, a", 4},         /* (4, 4), 4 kept  */
    {"l = sin(l) + cos(l)", "x", 3},            /* (5), 3 kept     */
    {"l = cos(l)*a", "x, a", 3},                /* (5), 3 kept     */
    {"l = sigmoid(a*l)", "x, a", 4},            /* (6), 4 kept     */
    {"l = l^2 - a", "x, a", 1},                 /* (2), 1 kept     */
    {"l = exp(-l)*l + 2*l", "x", 3},            /* (7), 3 kept     */
    {"l = l*l - a", "x, a", 1},                 /* (2), 1 kept     */
    {"l = 3*l - l*a*b", "x, a, b", 3},          /* (3), 3 kept     */
    {"l = tanh(a*l + b)", "x, a, b", 5},        /* (6), 5 kept     */
    {"l = sigmoid(l)*(1 - sigmoid(l))*c + l", "x, c", 7}, /* (12), 6 kept */
    {"l = l/(1 + l*l)", "x", 4},                /* (10), 4 kept    */
    {"l = a*l - b*l^3", "x, a, b", 5},          /* (7), 5 kept     */
    /* many constants, exact and inexact, asked for at every step */
    {"l = 0.37*l*(1 - l) + 1.25*l^3 - 2/3*l", "x", 5}, /* 5 kept */
    {"l = 3/7*l - 5/11*l*l + 0.001*a", "x, a", 4}, /* 3 kept */
    {"l = -1.5*sin(l)*a + 2.5*cos(l) - 1e-3", "x, a", 5}, /* 5 kept */
};

/* Nodes built by reverse mode on `repeat n { body }`, and those of them
 * the gradient keeps; the gradient is checked against central differences
 * at a point near 0.3 (check: every contribution also built the usual way
 * and compared). */
static void step_nodes(const StepCase *c, int n, double *built, double *kept, int check) {
    StrBuf text;
    sb_init(&text);
    sb_printf(&text, "param %s; l = x; repeat %d { %s } l", c->vars, n, c->body);
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Node *f = tu_lower(sb_str(&text), g, NULL);
    ck_assert_ptr_nonnull(f);
    int nv = g->nvars, vars[8];
    for (int i = 0; i < nv; i++)
        vars[i] = i;
    Node *grad[8];
    size_t before = g->nnodes;
    g->check_refusals = check;
    ck_assert_int_eq(deriv_reverse(g, f, vars, nv, &(DerivOptions){.mode = DERIV_REVERSE}, grad), 0);
    ck_assert_msg(g->refusals_wrong == 0, "%s: %lu nodes differ from the usual construction", c->body,
                  g->refusals_wrong);
    double pt[8];
    for (int i = 0; i < nv; i++)
        pt[i] = 0.3 + 0.05 * i;
    for (int i = 0; i < nv && check; i++) {
        double fd = central(g, f, pt, i), d = eval_node(g, grad[i], pt);
        ck_assert_msg(fabs(d - fd) <= 1e-5 * fmax(1.0, fabs(fd)), "%s, %d steps: d/d%s = %.17g, differences %.17g",
                      c->body, n, g->vars[i].name, d, fd);
    }
    unsigned char *mark = calloc(g->nnodes, 1);
    ck_assert_ptr_nonnull(mark);
    dag_mark_cone(g, grad, nv, mark, g->nnodes);
    size_t k = 0;
    for (size_t id = before; id < g->nnodes; id++)
        k += mark[id] != 0;
    *built = (double)(g->nnodes - before);
    *kept = (double)k;
    free(mark);
    graph_free(g);
    sb_free(&text);
}

START_TEST(test_nodes_per_repeat_step) {
    for (size_t i = 0; i < sizeof step_cases / sizeof *step_cases; i++) {
        const StepCase *c = &step_cases[i];
        double b1, k1, b2, k2;
        step_nodes(c, 200, &b1, &k1, 0);
        step_nodes(c, 400, &b2, &k2, 0);
        step_nodes(c, 2, &b2, &k2, 1); /* a few steps: a derivative central differences can check */
        step_nodes(c, 400, &b2, &k2, 0);
        double built = (b2 - b1) / 200, kept = (k2 - k1) / 200;
        ck_assert_msg(kept >= 1, "%s: the gradient keeps %.2f nodes per step", c->body, kept);
        ck_assert_msg(built <= c->max_built + 0.05, "%s: %.2f derivative nodes built per step (at most %g), %.2f kept",
                      c->body, built, c->max_built, kept);
        /* where the step is a product of the value and its own terms,
         * what is thrown away is at most what is kept */
        if (i < 2)
            ck_assert_msg(built <= 2 * kept, "%s: %.2f derivative nodes built per step, %.2f kept", c->body, built,
                          kept);
    }
}
END_TEST

Suite *deriv_nodes_suite(void); /* called by tests/runner.c */

Suite *deriv_nodes_suite(void) {
    Suite *s = suite_create("deriv_nodes");
    TCase *tc = tcase_create("deriv_nodes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reverse_builds_the_same_nodes);
    tcase_add_test(tc, test_nodes_per_repeat_step);
    tcase_add_test(tc, test_lazy_products_sum_as_built);
    suite_add_tcase(s, tc);
    return s;
}
