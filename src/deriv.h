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

/* The settings of one derivative request, an argument of every entry
 * point below (never state of the graph: the same constructor call
 * simplifies the same way before, during and after a request).  A zeroed
 * struct (or NULL) is the automatic engine, kinks 0, no assumptions.
 *   mode           deriv_gradient, deriv_hessian, deriv_jacobian: the engine;
 *   kink           the derivative taken at a kink: relu'(0), the ties of max
 *                  and min, leaky_relu'(0) between its slopes;
 *   assume_domain  simplify with what must hold wherever the function is
 *                  defined (log(u) needs u > 0, u^-1 needs u != 0, ...):
 *                  derivatives are only meaningful there, so x^2 * x^-1 may
 *                  become x while differentiating x^2 ln(x^2).  The facts
 *                  are assumptions of the request: the entry point applies
 *                  them for its own duration and removes them;
 *   domain         the function whose domain is assumed (NULL: the roots
 *                  being differentiated), e.g. the program's outputs when
 *                  their elements or their gradient are differentiated. */
typedef struct DerivOptions {
    DerivMode mode;
    double kink;
    int assume_domain;
    Node *const *domain;
    int ndomain;
} DerivOptions;

/* The assumptions of a request in force while it is being built (see
 * DerivOptions.assume_domain): begun and ended by the entry points below,
 * and by the stages that build local partials themselves (the AD
 * emitters, the trace).  Scopes nest; each end restores what its begin
 * found.  deriv_scope_begin returns 0, or -1 when out of memory (the graph
 * fails). */
typedef struct DerivScope {
    unsigned char *facts;         /* FACT_* by node id, or NULL            */
    size_t nfacts;
    const unsigned char *saved;   /* the graph's assumptions before begin  */
    size_t nsaved;
} DerivScope;
int deriv_scope_begin(Graph *g, const DerivOptions *opt, Node *const *roots, int nroots, DerivScope *s);
void deriv_scope_end(Graph *g, DerivScope *s);

/* dn/d(args[k]) for one node (opt: its kink; the assumptions in force are
 * those of the enclosing scope). */
Node *deriv_partial(Graph *g, Node *n, int k, const DerivOptions *opt);
/* The partials of an elementwise node for every k with want[k] (want
 * NULL: every k) into out[k] (NULL for the others), in time linear in its
 * arguments: a product of N factors shares prefix and suffix products
 * instead of writing N products of N - 1 factors.  Returns 0, or -1 when
 * the graph failed. */
int deriv_partials(Graph *g, Node *n, const unsigned char *want, Node **out, const DerivOptions *opt);

/* d root / d var by forward accumulation.  NULL when the graph failed. */
Node *deriv_forward(Graph *g, Node *root, int var, const DerivOptions *opt);
/* The same for several roots at once (a Jacobian column), sharing work. */
int deriv_forward_many(Graph *g, Node *const *roots, int nroots, int var, const DerivOptions *opt,
                       Node **out);

/* Gradient of a scalar root with respect to vars[0..nvars) in one reverse
 * pass.  Returns 0, or -1 when the graph failed. */
int deriv_reverse(Graph *g, Node *root, const int *vars, int nvars, const DerivOptions *opt, Node **out);

/* Gradient by the engine opt->mode names; DERIV_AUTO builds both and
 * keeps the one with fewer nodes (for at most 8 variables and functions
 * of at most DERIV_AUTO_LIMIT nodes, and while forward mode stays within
 * its budget; otherwise reverse).  *used tells which engine won (may be
 * NULL). */
#define DERIV_AUTO_LIMIT 50000
/* ... and forward mode may build at most this many times the nodes reverse
 * mode built (plus 1000) before auto keeps the reverse result. */
#define DERIV_AUTO_BUDGET 8
int deriv_gradient(Graph *g, Node *root, const int *vars, int nvars, const DerivOptions *opt, Node **out,
                   DerivMode *used);

/* The Jacobian of scalar roots, (*J)[i*nvars + j] = d roots[i] / d
 * vars[j] (numerator layout, malloc'd): forward columns (one pass per
 * variable, each shared by all the roots) for DERIV_FORWARD, or for
 * DERIV_AUTO when the variables are scalars and no more than the roots;
 * reverse rows (one pass per root) otherwise, the cost rule of automatic
 * differentiation.  *used (may be NULL) tells which.  Every entry is
 * charged to the graph's work limit first, so that too large a matrix
 * fails at once.  Returns 0, or -1 (*J NULL) when the graph failed. */
int deriv_jacobian(Graph *g, Node *const *roots, int nroots, const int *vars, int nvars,
                   const DerivOptions *opt, Node ***J, DerivMode *used);

/* The Hessian of a scalar function from its gradient grad[0..nvars):
 * (*H)[i*nvars + j] = d grad[i] / d vars[j] (malloc'd), one pass of
 * opt->mode per row; of each symmetric pair one node is kept for both
 * entries (the one with fewer nodes of its own).  Entries are charged to
 * the work limit as for deriv_jacobian.  Set opt->domain to the function
 * for its domain (not the gradient's) to be assumed.  Returns 0, or -1
 * (*H NULL). */
int deriv_hessian(Graph *g, Node *const *grad, const int *vars, int nvars, const DerivOptions *opt,
                  Node ***H);

/* The order-th derivative of root by var (forward mode, one pass per
 * order); NULL when the graph failed (its work limit bounds the whole). */
Node *deriv_nth(Graph *g, Node *root, int var, int order, const DerivOptions *opt);

#endif
