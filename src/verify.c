/* SPDX-License-Identifier: MIT */
/*
 * verify.c — the invariants of a graph, checked between stages in test
 * builds (SD_VERIFY; see the Makefile's asan and tsan targets).
 *
 * Consumes a graph; produces the first broken invariant as a message:
 *   - ids are creation order: every argument's id is below its user's, and
 *     nodes[id]->id == id;
 *   - interning: looking a node up by its kind, payload, arguments and
 *     shape finds the node itself (its hash and its table slot agree, and
 *     no structurally equal twin exists);
 *   - arity: as ops.def says (n-ary kinds have at least two arguments);
 *   - shapes: elementwise kinds take scalars or their own shape, the
 *     tensor kinds' results have the shapes their arguments imply (a
 *     run-time dimension matches only itself), a run-time dimension is
 *     one the graph declares, and no subscript runs along one;
 *   - constants are numbers: never NaN.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dag.h"

static const int arity[EX_COUNT] = {
#define EX(id, name, ar, comm) ar,
#include "ops.def"
#undef EX
};

static const void *payload_of(const Node *n) {
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        return n->num;
    case EX_VAR:
        return &n->u.var;
    case EX_CALL:
        return &n->u.fn;
    case EX_INDEX:
    case EX_SCATTER:
        return &n->u.index;
    case EX_DIM:
        return &n->u.dim;
    default:
        return NULL;
    }
}

static int axis_of(Shape a, int i, Shape b, int j) { return axis_equal(shape_axis(a, i), shape_axis(b, j)); }

/* Are the run-time dimensions of s ones the graph has? */
static int dims_known(const Graph *g, Shape s) {
    for (int k = 0; k < s.rank; k++)
        if (s.dyn[k] > g->ndims || (s.dyn[k] && s.dim[k] != g->dims[s.dyn[k] - 1].max))
            return 0;
    return s.rank >= 0 && s.rank <= 2;
}

/* Does n's shape follow from its kind and its arguments' shapes? */
static int shapes_fit(const Graph *g, const Node *n) {
    Shape s = n->shape;
    if (!dims_known(g, s))
        return 0;
    switch ((NodeKind)n->kind) {
    case EX_ADD:
    case EX_MUL:
    case EX_POW:
    case EX_CALL:
        for (int k = 0; k < n->nargs; k++)
            if (n->args[k]->shape.rank != 0 && !shape_equal(n->args[k]->shape, s))
                return 0;
        return 1;
    case EX_CONST:
    case EX_VAR:
        return n->kind == EX_CONST ? s.rank == 0 : 1;
    case EX_DIM:
        return s.rank == 0 && n->u.dim >= 0 && n->u.dim < g->ndims;
    case EX_SUM:
        return s.rank == 0 && n->args[0]->shape.rank > 0;
    case EX_LOGSUMEXP: /* of a vector, or of each row of a matrix */
        return n->args[0]->shape.rank == 1 ? s.rank == 0
                                           : n->args[0]->shape.rank == 2 && s.rank == 1 && axis_of(s, 0, n->args[0]->shape, 0);
    case EX_FILL:
        return s.rank > 0 && n->args[0]->shape.rank == 0;
    case EX_SOFTMAX:
        return shape_equal(s, n->args[0]->shape) && s.rank >= 1;
    case EX_TRANSPOSE:
        return s.rank == 2 && n->args[0]->shape.rank == 2 && axis_of(s, 0, n->args[0]->shape, 1) &&
               axis_of(s, 1, n->args[0]->shape, 0);
    case EX_OUTER:
        return s.rank == 2 && n->args[0]->shape.rank == 1 && n->args[1]->shape.rank == 1 &&
               axis_of(s, 0, n->args[0]->shape, 0) && axis_of(s, 1, n->args[1]->shape, 0);
    case EX_MATMUL: {
        Shape a = n->args[0]->shape, b = n->args[1]->shape;
        return a.rank >= 1 && b.rank >= 1 && axis_of(a, a.rank - 1, b, 0) &&
               s.rank == (a.rank == 2) + (b.rank == 2);
    }
    case EX_PACK:
        return s.rank == n->args[0]->shape.rank + 1 && s.dim[0] == n->nargs && !s.dyn[0];
    case EX_INDEX: /* never along a run-time dimension */
    case EX_SCATTER: {
        Shape a = n->kind == EX_INDEX ? n->args[0]->shape : s;
        return n->u.index >= 0 && a.rank > 0 && !a.dyn[0] &&
               !(a.rank == 2 && (n->kind == EX_INDEX ? s : n->args[0]->shape).rank == 0 && a.dyn[1]);
    }
    case EX_ROWS: /* [k] -> [m,k] */
        return s.rank == 2 && n->args[0]->shape.rank == 1 && axis_of(s, 1, n->args[0]->shape, 0);
    case EX_COLS: /* [m] -> [m,k] */
        return s.rank == 2 && n->args[0]->shape.rank == 1 && axis_of(s, 0, n->args[0]->shape, 0);
    case EX_ROWSUM: /* [m,k] -> [m] */
        return s.rank == 1 && n->args[0]->shape.rank == 2 && axis_of(s, 0, n->args[0]->shape, 0);
    case EX_COLSUM: /* [m,k] -> [k] */
        return s.rank == 1 && n->args[0]->shape.rank == 2 && axis_of(s, 0, n->args[0]->shape, 1);
    case EX_ONEHOT: /* y -> [k], or [m] -> [m,k] */
        return n->args[0]->shape.rank == 0 ? s.rank == 1
                                           : n->args[0]->shape.rank == 1 && s.rank == 2 &&
                                                 axis_of(s, 0, n->args[0]->shape, 0);
    case EX_COUNT:
        break;
    }
    return 0;
}

int dag_verify(const Graph *g, char *why, size_t size) {
    for (size_t id = 0; id < g->nnodes; id++) {
        const Node *n = g->nodes[id];
        const char *broken = NULL;
        if (n->id != id)
            broken = "its id is not its place";
        for (int k = 0; !broken && k < n->nargs; k++)
            if (!n->args[k] || n->args[k]->id >= n->id)
                broken = "an argument is not older than its user";
        if (!broken && n->kind >= EX_COUNT)
            broken = "an unknown kind";
        if (!broken && (arity[n->kind] >= 0 ? n->nargs != arity[n->kind] : n->nargs < 2) &&
            n->kind != EX_CALL && n->kind != EX_PACK)
            broken = "the wrong number of arguments for its kind";
        if (!broken && n->kind == EX_CALL &&
            (n->u.fn < 0 || n->u.fn >= BI_COUNT || n->nargs > builtin_info[n->u.fn].max_args))
            broken = "a call of an unknown function or with too many arguments";
        if (!broken && n->kind == EX_CONST && isnan(num_value(n->num[0])))
            broken = "a NaN constant";
        if (!broken && !shapes_fit(g, n))
            broken = "a shape its arguments do not give";
        if (!broken && dag_lookup(g, (NodeKind)n->kind, payload_of(n), n->args, n->nargs, n->shape) != n)
            broken = "interning does not find it (hash, table or a twin)";
        if (broken) {
            snprintf(why, size, "node %zu (%s): %s", id, node_kind_name[n->kind < EX_COUNT ? n->kind : 0],
                     broken);
            return -1;
        }
    }
    return 0;
}
