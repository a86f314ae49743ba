/* SPDX-License-Identifier: MIT */
/*
 * deriv.h — symbolic differentiation on the DAG, in two engines.
 *
 * Both engines share nodes with the function and with each other, and build
 * every node through the smart constructors:
 *   forward  memoised per node: d(n) = sum_k dn/da_k * d(a_k), one variable
 *            at a time (the symbolic form of forward-mode AD);
 *   reverse  adjoints in reverse topological order: adj(a_k) += adj(n) *
 *            dn/da_k, the whole gradient of a scalar in one pass (the
 *            symbolic form of reverse-mode AD).
 * The local partial dn/da_k of every node kind is written once
 * (deriv_partial) and used by both.
 */
#ifndef SYMDIFF_DERIV_H
#define SYMDIFF_DERIV_H

#include "dag.h"

typedef enum DerivMode { DERIV_AUTO, DERIV_FORWARD, DERIV_REVERSE } DerivMode;

/* dn/d(args[k]) for one node. */
Node *deriv_partial(Graph *g, Node *n, int k);
/* The partials of an elementwise node for every k with want[k] (want
 * NULL: every k) into out[k] (NULL for the others), in time linear in its
 * arguments: a product of N factors shares prefix and suffix products
 * instead of writing N products of N - 1 factors.  Returns 0, or -1 when
 * the graph failed. */
int deriv_partials(Graph *g, Node *n, const unsigned char *want, Node **out);

/* d root / d var by forward accumulation.  NULL when the graph failed. */
Node *deriv_forward(Graph *g, Node *root, int var);
/* The same for several roots at once (a Jacobian column), sharing work. */
int deriv_forward_many(Graph *g, Node *const *roots, int nroots, int var, Node **out);

/* Gradient of a scalar root with respect to vars[0..nvars) in one reverse
 * pass.  Returns 0, or -1 when the graph failed. */
int deriv_reverse(Graph *g, Node *root, const int *vars, int nvars, Node **out);

/* Gradient by the chosen engine; DERIV_AUTO builds both and keeps the one
 * with fewer nodes (for at most 8 variables and functions of at most
 * DERIV_AUTO_LIMIT nodes, and while forward mode stays within its budget;
 * otherwise reverse).  *used tells which engine won (may be NULL). */
#define DERIV_AUTO_LIMIT 50000
/* ... and forward mode may build at most this many times the nodes reverse
 * mode built (plus 1000) before auto keeps the reverse result. */
#define DERIV_AUTO_BUDGET 8
int deriv_gradient(Graph *g, Node *root, const int *vars, int nvars, DerivMode mode, Node **out,
                   DerivMode *used);

/* The Jacobian of scalar roots, (*J)[i*nvars + j] = d roots[i] / d
 * vars[j] (numerator layout, malloc'd), by forward mode: one pass per
 * variable, each shared by all the roots.  Every entry is charged to the
 * graph's work limit first, so that too large a matrix fails at once.
 * Returns 0, or -1 (*J NULL) when the graph failed. */
int deriv_jacobian(Graph *g, Node *const *roots, int nroots, const int *vars, int nvars, Node ***J);

/* The Hessian of a scalar function from its gradient grad[0..nvars):
 * (*H)[i*nvars + j] = d grad[i] / d vars[j] (malloc'd), one pass of
 * `mode` per row; of each symmetric pair one node is kept for both
 * entries (the one with fewer nodes of its own).  Entries are charged to
 * the work limit as for deriv_jacobian.  Returns 0, or -1 (*H NULL). */
int deriv_hessian(Graph *g, Node *const *grad, const int *vars, int nvars, DerivMode mode, Node ***H);

/* The order-th derivative of root by var (forward mode, one pass per
 * order); NULL when the graph failed (its work limit bounds the whole). */
Node *deriv_nth(Graph *g, Node *root, int var, int order);

/* Lets the simplifier assume what must hold wherever the roots are
 * defined (log(u) needs u > 0, u^-1 needs u != 0, ...).  Derivatives are
 * only meaningful there, so e.g. x^2 * x^-1 may become x while
 * differentiating x^2 ln(x^2).  Call before building derivatives. */
void deriv_assume_domain(Graph *g, Node *const *roots, int nroots);

#endif
