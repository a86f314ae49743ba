/* SPDX-License-Identifier: MIT */
/*
 * check_regress.c — inputs found by fuzzing (tests/fuzz), kept so that they
 * stay fixed: each runs the whole pipeline and bounds the graph it builds.
 */
#include <string.h>

#include "codegen.h"
#include "deriv.h"
#include "diag.h"
#include "lower.h"
#include "parse.h"
#include "print.h"
#include "testutil.h"

/* The whole pipeline on one program; returns the number of graph nodes
 * (0 when the program is rejected). */
static size_t pipeline(const char *text) {
    Source src = {"<regress>", text, strlen(text)};
    Diag diag;
    diag_init(&diag, &src);
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, &diag);
    size_t nodes = 0;
    if (ast) {
        Graph *g = graph_new();
        ck_assert_ptr_nonnull(g);
        Program prog;
        LowerOptions opt = {NULL, 0, NULL, 0, 0};
        if (lower_program(g, ast, &diag, &opt, &prog) == 0 && !prog.is_vector) {
            deriv_assume_domain(g, prog.outputs, prog.noutputs);
            int vars[8], n = 0;
            for (int v = 0; v < g->nvars && n < 8; v++)
                vars[n++] = v;
            Node *grad[8];
            ck_assert_int_eq(deriv_gradient(g, prog.outputs[0], vars, n, DERIV_AUTO, grad, NULL), 0);
            StrBuf sb;
            sb_init(&sb);
            print_roots(&sb, g, grad, NULL, n, PRINT_INFIX);
            CodegenInput in = {.params = vars, .nparams = n, .outputs = prog.outputs, .noutputs = 1, .grad = grad};
            CodegenOptions copt = {.name = "f", .header_file = "f.h", .source_text = "", .command_line = "", .version = "0"};
            StrBuf c, h;
            sb_init(&c);
            sb_init(&h);
            ck_assert_int_eq(codegen_c(g, &in, &copt, &c, &h), 0);
            sb_free(&c);
            sb_free(&h);
            sb_free(&sb);
            program_free(&prog);
            nodes = g->nnodes;
        }
        graph_free(g);
    }
    ast_arena_free(&arena);
    diag_free(&diag);
    return nodes;
}

/* A chain l = c*l^2 with an irrational constant: the adjoints used to merge
 * every earlier factor into each new product (graph quadratic in the
 * length, a fuzzer timeout at 130 steps). */
START_TEST(test_product_chain_is_linear) {
    size_t small = pipeline("l = x; repeat 100 { l = 4*l*88881^0.55*v^0.5*(0-l) } l");
    size_t large = pipeline("l = x; repeat 1000 { l = 4*l*88881^0.55*v^0.5*(0-l) } l");
    ck_assert_uint_gt(small, 0);
    ck_assert_msg(large < 12 * small, "1000 steps: %zu nodes, 100 steps: %zu", large, small);
}
END_TEST

Suite *regress_suite(void);
Suite *regress_suite(void) {
    Suite *s = suite_create("regress");
    TCase *tc = tcase_create("fuzz");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_product_chain_is_linear);
    suite_add_tcase(s, tc);
    return s;
}
