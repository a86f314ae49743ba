/* SPDX-License-Identifier: MIT */
/*
 * check_verify.c — the graph's invariant checker (verify.c) finds what it
 * is meant to find: each invariant broken on purpose in a graph that
 * passes, and the graphs the stages build pass.
 */
#include <string.h>

#include "dag.h"
#include "deriv.h"
#include "testutil.h"

/* sin(x*y) + x^3 and its gradient: a graph that passes. */
static Graph *sample(Node **root) {
    Graph *g = graph_new();
    int x = graph_add_var(g, "x", VAR_PARAM, shape_scalar), y = graph_add_var(g, "y", VAR_PARAM, shape_scalar);
    Node *xn = graph_var_node(g, x), *yn = graph_var_node(g, y);
    *root = dag_add(g, dag_call1(g, BI_SIN, dag_mul(g, xn, yn)), dag_pow(g, xn, dag_int(g, 3)));
    Node *grad[2];
    ck_assert_int_eq(deriv_reverse(g, *root, (int[]){x, y}, 2, NULL, grad), 0);
    return g;
}

START_TEST(test_verify_finds) {
    char why[200];
    Node *root;
    Graph *g = sample(&root);
    ck_assert_int_eq(dag_verify(g, why, sizeof why), 0);
    /* each case breaks one invariant of the sum at the root, then mends it */
    Node *a0 = root->args[0];
    uint16_t nargs = root->nargs;
    root->args[0] = root; /* an argument not older than its user */
    ck_assert_int_eq(dag_verify(g, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "older"));
    root->args[0] = a0;
    /* its slot in the intern table with a hash that is not the node's */
    size_t slot = 0;
    while (g->table[slot].id1 != root->id + 1)
        slot++;
    g->table[slot].hash ^= 0x5555u;
    ck_assert_int_eq(dag_verify(g, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "interning"));
    g->table[slot].hash ^= 0x5555u;
    root->nargs = 1; /* a sum of one term */
    ck_assert_int_eq(dag_verify(g, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "number of arguments"));
    root->nargs = nargs;
    root->shape = shape_vec(axis_fixed(3)); /* a vector sum of scalars */
    ck_assert_int_eq(dag_verify(g, why, sizeof why), -1);
    root->shape = shape_scalar;
    ck_assert_int_eq(dag_verify(g, why, sizeof why), 0);
    graph_free(g);
}
END_TEST

Suite *verify_suite(void); /* called by tests/runner.c */

Suite *verify_suite(void) {
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("verify");
    tcase_add_test(tc, test_verify_finds);
    suite_add_tcase(s, tc);
    return s;
}
