/* SPDX-License-Identifier: MIT */
/*
 * compile.h — text to DAG in one call: parse, then lower (the scaffold
 * every stage that starts from source text shares).
 */
#ifndef SYMDIFF_COMPILE_H
#define SYMDIFF_COMPILE_H

#include "lower.h"

/* Parses d->src and lowers it into g; the syntax tree is freed once the
 * graph holds the program (it is a third of the peak memory of a large
 * program).  opt may be NULL.  Returns 0, or -1 after reporting errors to
 * d (none reported: the graph failed, out of memory or at its limit). */
int compile_source(Graph *g, Diag *d, const LowerOptions *opt, Program *out);

#endif
