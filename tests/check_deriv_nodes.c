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
 *     (the logistic map built 10 per step and kept 3; now 6), and for
 *     plain products at most twice the nodes the gradient keeps.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "deriv.h"
#include "eval.h"
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

typedef struct StepCase {
    const char *body; /* one step of `repeat n { ... }` on l             */
    const char *vars; /* its parameters, comma-separated                 */
    double max_built; /* derivative nodes built per step, at most (what
                         the old construction built in brackets)        */
} StepCase;

static const StepCase step_cases[] = {
    {"l = 4*l*(1 - l)", "x", 6},               /* (10), 3 kept */
    {"l = r*l*(1 - l)", "x, r", 7},            /* (10), 4 kept */
    {"l = 2*a*b*l*(1 - l)", "x, a, b", 9},     /* (17), 4 kept */
    {"l = a*l*(1 - l)*(1 + l)", "x, a", 16},   /* (20), 6 kept */
    {"l = -3*l*l*(2 - l)", "x", 19},           /* (22), 5 kept */
    {"l = -2*sin(l)*l*(3 - l)", "x", 28},      /* (35), 6 kept */
    {"l = l*(1 - l) + a*l", "x, a", 4},        /* (4), 4 kept  */
};

/* Nodes built by reverse mode on `repeat n { body }`, and those of them
 * the gradient keeps. */
static void step_nodes(const StepCase *c, int n, double *built, double *kept) {
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
    ck_assert_int_eq(deriv_reverse(g, f, vars, nv, &(DerivOptions){.mode = DERIV_REVERSE}, grad), 0);
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
        step_nodes(c, 200, &b1, &k1);
        step_nodes(c, 400, &b2, &k2);
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
    suite_add_tcase(s, tc);
    return s;
}
