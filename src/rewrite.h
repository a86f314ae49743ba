/* SPDX-License-Identifier: MIT */
/*
 * rewrite.h — the simplifier's rewrites by what is known of a value, and
 * into the stable forms of what users write (see rewrite.c).  Called by
 * the smart constructors of simplify.c; each returns the rewritten node,
 * or NULL when the rule does not apply.
 */
#ifndef SYMDIFF_REWRITE_H
#define SYMDIFF_REWRITE_H

#include "dag.h"

/* fn(args), its arguments not all constant. */
Node *rewrite_call(Graph *g, Builtin fn, Node *const *args, int nargs);
/* b^e */
Node *rewrite_pow(Graph *g, Node *b, Node *e);
/* The quotient num / den of a product's factors num (to the power 1) and
 * den (to the power -1): exp(u) / sum(exp(u)) = softmax(u), exp(a) /
 * (exp(a) + exp(b)) = sigmoid(a - b), ...; NULL when it has no stable form. */
Node *rewrite_ratio(Graph *g, Node *num, Node *den);
/* log(exp(v_0) + ... + exp(v_{n-1})) written so that it neither overflows
 * nor underflows: logsumexp([v_0, ..., v_{n-1}]) for three or more
 * scalars (its derivatives are the elements of one softmax), else
 * l_0 = v_0, l_k = l_{k-1} + softplus(v_k - l_{k-1}) (log(e^a + e^b) =
 * a + log(1 + e^(b - a))), a scalar or elementwise; softplus steps too in
 * a graph of scalars only (Graph.scalars_only). */
Node *rewrite_logsumexp(Graph *g, Node *const *v, int n);

#endif
