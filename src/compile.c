/* SPDX-License-Identifier: MIT */
/*
 * compile.c — text to DAG in one call (see compile.h).
 *
 * Consumes the source held by a Diag; produces the program's outputs as
 * nodes of a graph.  The parser's tree lives only for the lowering.
 */
#include "compile.h"

#include "parse.h"

int compile_source(Graph *g, Diag *d, const LowerOptions *opt, Program *out) {
    static const LowerOptions defaults = {0};
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, d);
    int status = ast ? lower_program(g, ast, d, opt ? opt : &defaults, out) : -1;
    ast_arena_free(&arena);
    return status;
}
