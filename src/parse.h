/* SPDX-License-Identifier: MIT */
/*
 * parse.h — the parser's entry point.
 *
 * Consumes the source text held by `diag->src`, produces an AST.  The parser
 * is pure and the scanner reentrant: parse_program owns the scanner for the
 * duration of one call and keeps no state between calls.
 */
#ifndef SYMDIFF_PARSE_H
#define SYMDIFF_PARSE_H

#include "ast.h"
#include "diag.h"

/* Longer input is refused ("input too large"); see docs/limits.md. */
#define PARSE_MAX_INPUT ((size_t)16 << 20)

/* Returns the AST_PROGRAM node, or NULL after reporting errors to diag. */
Ast *parse_program(AstArena *arena, Diag *diag);

#endif
