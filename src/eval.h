/* SPDX-License-Identifier: MIT */
/*
 * eval.h — the evaluator: DAG + point -> numbers.
 *
 * Evaluates in double precision with the same semantics as the generated C
 * (C99 <math.h>; pow for powers; numerically stable sigmoid and softplus).
 * Non-finite results are returned as they are (NaN, inf): callers decide.
 */
#ifndef SYMDIFF_EVAL_H
#define SYMDIFF_EVAL_H

#include "dag.h"

/* The value of one builtin (nargs as stored in the node). */
double eval_builtin(Builtin fn, const double *args);

/* Scalar programs: fills values[id] for every node reachable from the
 * roots; `point` holds the value of each variable, indexed like g->vars.  values has room for
 * g->nnodes entries.  Returns 0, or -1 when out of memory. */
int eval_nodes(const Graph *g, Node *const *roots, int nroots, const double *point, double *values);

/* Vectors and matrices: at[id] points at the shape_numel values of node
 * id (row-major, at the maximum shape: see Shape) for every node
 * reachable from the roots. */
typedef struct TensorValues {
    double **at;  /* by node id                                  */
    double *data; /* one block holding every value                */
    size_t nnodes; /* ids below this were considered              */
} TensorValues;

/* Evaluates a program with tensors; point[v] holds the values of variable
 * v.  Returns 0, or -1 when out of memory.  Free with eval_tensors_free. */
int eval_tensors(const Graph *g, Node *const *roots, int nroots, const double *const *point,
                 TensorValues *out);
/* The same with the sizes of the run-time dimensions: dims[d] for the
 * graph's dimension d (1 <= dims[d] <= its maximum); eval_tensors takes
 * every one at its maximum.  Values are laid out at the maximum shape,
 * and the entries beyond the sizes are 0. */
int eval_tensors_at(const Graph *g, Node *const *roots, int nroots, const double *const *point,
                    const int *dims, TensorValues *out);
void eval_tensors_free(TensorValues *tv);
/* Evaluates the same nodes again at another point (the values' memory is
 * reused: repeated evaluation allocates nothing). */
void eval_tensors_again(const Graph *g, const double *const *point, TensorValues *tv);
void eval_tensors_again_at(const Graph *g, const double *const *point, const int *dims, TensorValues *tv);

/* The value of one expression (NaN when out of memory). */
double eval_node(const Graph *g, Node *root, const double *point);

#endif
