/* SPDX-License-Identifier: MIT */
/*
 * lower.h — name and shape checking, and lowering of the AST into the DAG.
 *
 * Consumes the parser's AST; produces the program's outputs as DAG nodes in
 * a graph.  Statements are executed as they are lowered: `name = expr`
 * rebinds the name, `repeat N { ... }` lowers its body N times, so the
 * logistic map l = 4 l (1 - l) repeated becomes a chain of shared nodes.
 * Errors are reported with the location of the offending AST node.
 */
#ifndef SYMDIFF_LOWER_H
#define SYMDIFF_LOWER_H

#include "ast.h"
#include "dag.h"
#include "diag.h"

typedef struct Define {
    const char *name; /* a name bound to a constant before the program runs */
    double value;
} Define;

/* Steps of lowering before "too much work" (LowerOptions.max_work 0):
 * every expression lowered and every pass of a repeat body is a step, at
 * about a microsecond each.  docs/limits.md explains the choice. */
#define LOWER_MAX_WORK 10000000L

typedef struct LowerOptions {
    const char *const *vars; /* --vars: the variables, in this order (or NULL) */
    int nvars;
    const Define *defines;   /* --define / --sweep values                       */
    int ndefines;
    long max_work;           /* limit on statements executed (0: default)      */
} LowerOptions;

typedef struct Program {
    Node **outputs;  /* the final expression; a vector literal gives several */
    int noutputs;
    int is_vector;   /* the final expression was written as [a, b, ...]       */
    int has_decls;   /* the program declared its variables                    */
} Program;

/* Is `name` one of the language's functions (a built-in, an alias such
 * as ln, sqrt, pow, or a function of vectors such as sum)?  The scanner
 * asks, to read "sin (x)" as a call. */
int lower_is_function(const char *name);

/* Lowers `ast` into `g`.  Returns 0, or -1 after reporting errors. */
int lower_program(Graph *g, const Ast *ast, Diag *diag, const LowerOptions *opt, Program *out);
void program_free(Program *p);

#endif
