/* SPDX-License-Identifier: MIT */
/*
 * print.h — printers: infix (round-trips through the parser) and LaTeX.
 *
 * Expressions whose written-out tree would be large are printed with their
 * shared subexpressions named (`t1 = ...;` statements before the result), so
 * printing a DAG never explodes.
 */
#ifndef SYMDIFF_PRINT_H
#define SYMDIFF_PRINT_H

#include "dag.h"
#include "strbuf.h"

typedef enum PrintStyle { PRINT_INFIX, PRINT_LATEX } PrintStyle;

/* Trees up to this many nodes are printed inline, without temporaries. */
#define PRINT_INLINE_LIMIT 400

/* Prints the roots.  Without labels (labels == NULL) a single root is
 * printed as a program: temporaries as statements, then the expression.
 * With labels each root is printed as `label = expression` on its own line
 * (LaTeX: `label &= expression`), temporaries first. */
void print_roots(StrBuf *out, const Graph *g, Node *const *roots, const char *const *labels,
                 int nroots, PrintStyle style);

/* A printing session for several roots that share temporaries:
 * print_begin chooses the temporaries and prints their definitions to
 * `defs` (one statement per line); print_root then prints each root using
 * the temporaries' names. */
typedef struct PrintSession PrintSession;
PrintSession *print_begin(const Graph *g, Node *const *roots, int nroots, PrintStyle style,
                          StrBuf *defs);
void print_root(PrintSession *s, const Node *root, StrBuf *out);
void print_end(PrintSession *s);

/* One expression, inline, no temporaries and no trailing newline (only for
 * expressions known to be small). */
void print_expr(StrBuf *out, const Graph *g, const Node *n, PrintStyle style);

/* A variable name in LaTeX (x1 -> x_{1}, alpha -> \alpha). */
void print_latex_name(StrBuf *out, const char *name);

#endif
