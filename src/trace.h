/* SPDX-License-Identifier: MIT */
/*
 * trace.h — a derivative written out step by step, for teaching.
 *
 * Consumes a small function's DAG; produces text: one line per node that
 * depends on the variable, from the function down to the variable (node
 * ids descending), each with the rule that fired,
 *   d/dx sin(x^2) = cos(x^2) * d/dx x^2   [chain rule: sin' = cos]
 *   d/dx x^2 = 2*x                        [power rule]
 * then the derivative with every d/dx substituted (before simplification)
 * and the simplified result of the forward engine.  The local factors are
 * deriv_partial's, so the trace always agrees with the engines.
 */
#ifndef SYMDIFF_TRACE_H
#define SYMDIFF_TRACE_H

#include "dag.h"
#include "deriv.h"
#include "strbuf.h"

/* Functions whose written-out tree is larger are refused. */
#define TRACE_LIMIT 200

/* Writes the trace of d f / d var (plain text, or a LaTeX align*
 * environment when latex != 0) for the request's settings opt (its kink;
 * its assumptions, applied while tracing).  May add nodes to g.  Returns
 * 0, or -1 (f too large, out of memory). */
int trace_derivative(StrBuf *out, Graph *g, Node *f, int var, int latex, const DerivOptions *opt);

#endif
