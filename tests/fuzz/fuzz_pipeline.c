/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pipeline.c — libFuzzer harness for the whole pipeline: parse, lower,
 * differentiate (both engines), simplify, print, evaluate and emit C, on
 * arbitrary bytes.  Any crash, leak, hang or sanitizer report is a bug.
 *
 *   make fuzz FUZZ_SECONDS=600
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codegen.h"
#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096)
        return 0;
    Source src = {"<fuzz>", (const char *)data, size};
    Diag diag;
    diag_init(&diag, &src);
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, &diag);
    if (ast) {
        StrBuf sb;
        sb_init(&sb);
        ast_print(&sb, ast);
        Graph *g = graph_new();
        if (g) {
            g->max_nodes = 200000;
            Program prog;
            LowerOptions opt = {NULL, 0, NULL, 0, 200000};
            if (lower_program(g, ast, &diag, &opt, &prog) == 0) {
                deriv_assume_domain(g, prog.outputs, prog.noutputs);
                int vars[8], n = 0;
                for (int v = 0; v < g->nvars && n < 8; v++)
                    vars[n++] = v;
                Node *grad[8 * 16];
                int ok = 0;
                if (!prog.is_vector)
                    ok = deriv_gradient(g, prog.outputs[0], vars, n, DERIV_AUTO, grad, NULL) == 0;
                else if (prog.noutputs <= 16)
                    ok = 1;
                for (int i = 0; ok && prog.is_vector && i < n; i++) {
                    Node *col[16];
                    ok = deriv_forward_many(g, prog.outputs, prog.noutputs, vars[i], col) == 0;
                    for (int k = 0; ok && k < prog.noutputs; k++)
                        grad[k * n + i] = col[k];
                }
                if (ok) {
                    int nroots = prog.is_vector ? prog.noutputs * n : n;
                    print_roots(&sb, g, grad, NULL, nroots, PRINT_INFIX);
                    print_roots(&sb, g, grad, NULL, nroots, PRINT_LATEX);
                    double point[64] = {0.5, -1.25, 2, 0.75};
                    for (int i = 0; i < nroots; i++)
                        (void)eval_node(g, grad[i], point);
                    CodegenInput in = {.params = vars, .nparams = n, .outputs = prog.outputs, .noutputs = prog.noutputs,
                                       .is_vector = prog.is_vector, .grad = grad};
                    CodegenOptions copt = {.name = "f", .use_float = (int)(size & 1), .header_file = "f.h", .source_text = "",
                                           .command_line = "", .version = "0"};
                    StrBuf c, h;
                    sb_init(&c);
                    sb_init(&h);
                    (void)codegen_c(g, &in, &copt, &c, &h);
                    sb_free(&c);
                    sb_free(&h);
                }
                program_free(&prog);
            }
            graph_free(g);
        }
        sb_free(&sb);
    }
    ast_arena_free(&arena);
    diag_free(&diag);
    return 0;
}
