/* SPDX-License-Identifier: MIT */
/*
 * repeated.h — subexpressions written more than once in one expression.
 *
 * A value the user names (`a = ...;`) is kept whole and shared; a value
 * written out twice, as in 4*(4*x*(1-x))*(1-(4*x*(1-x))), is the same
 * value without a name.  Lowering treats it the same way, so the inlined
 * logistic map gets the derivative and the code of its `repeat` form
 * instead of products flattened into every level (whose derivative grows
 * with the square of the depth).
 */
#ifndef SYMDIFF_REPEATED_H
#define SYMDIFF_REPEATED_H

#include "ast.h"

/* A set of AST nodes (pointers). */
typedef struct AstSet {
    const Ast **slot; /* open addressing; NULL: empty */
    size_t cap, used;
} AstSet;

/* Adds to *out every compound subexpression (at least two operations)
 * that occurs, structurally equal, at least twice within one statement's
 * expression (names mean the same value there) of the program.  Returns 0,
 * or -1 when out of memory (the set is then incomplete but valid). */
int ast_find_repeated(const Ast *program, AstSet *out);

int ast_set_has(const AstSet *set, const Ast *a);
void ast_set_free(AstSet *set);

#endif
