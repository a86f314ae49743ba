/* SPDX-License-Identifier: MIT */
/*
 * tensor.c — smart constructors of the vector and matrix node kinds.
 *
 * Consumes canonical nodes whose shapes lowering has checked; produces
 * canonical tensor nodes.  Elementwise arithmetic on tensors goes through
 * the scalar constructors (simplify.c), which broadcast scalars; the kinds
 * here are the ones that move elements around or combine them.  Central
 * convention: a tensor of zeros is FILL(0), so every constructor recognises
 * a zero operand in one place (is_zero) and linear operations of zeros fold.
 */
#include <stdlib.h>

#include "dag.h"

const Shape shape_scalar = {0, {0, 0}};

static Shape vec(int n) {
    Shape s = {1, {n, 0}};
    return s;
}

static Shape mat(int m, int n) {
    Shape s = {2, {m, n}};
    return s;
}

int dag_is_zero(const Node *n) {
    return dag_is_num(n, 0) || (n->kind == EX_FILL && dag_is_num(n->args[0], 0));
}

Node *dag_fill(Graph *g, Node *x, Shape s) {
    if (!x || x->shape.rank != 0)
        return NULL;
    if (s.rank == 0)
        return x;
    return dag_intern(g, EX_FILL, NULL, &x, 1, s);
}

Node *dag_zeros(Graph *g, Shape s) { return dag_fill(g, dag_int(g, 0), s); }

/* The shape of a b, or rank -1 when it is not a product. */
static Shape matmul_shape(Shape a, Shape b) {
    Shape bad = {-1, {0, 0}};
    if (a.rank == 2 && b.rank == 2 && a.dim[1] == b.dim[0])
        return mat(a.dim[0], b.dim[1]);
    if (a.rank == 2 && b.rank == 1 && a.dim[1] == b.dim[0])
        return vec(a.dim[0]);
    if (a.rank == 1 && b.rank == 2 && a.dim[0] == b.dim[0])
        return vec(b.dim[1]);
    if (a.rank == 1 && b.rank == 1 && a.dim[0] == b.dim[0])
        return shape_scalar;
    return bad;
}

/* A B, A x, x' B (a vector on the left is a row), and x' y = sum(x y). */
Node *dag_matmul(Graph *g, Node *a, Node *b) {
    if (!a || !b)
        return NULL;
    Shape s = matmul_shape(a->shape, b->shape);
    if (s.rank < 0)
        return NULL;
    if (dag_is_zero(a) || dag_is_zero(b))
        return dag_zeros(g, s);
    if (s.rank == 0)
        return dag_sum(g, dag_mul(g, a, b));
    /* a constant matrix times a vector: every element is c sum(x) */
    if (s.rank == 1 && a->kind == EX_FILL && b->shape.rank == 1)
        return dag_fill(g, dag_mul(g, a->args[0], dag_sum(g, b)), s);
    if (s.rank == 1 && b->kind == EX_FILL && a->shape.rank == 1)
        return dag_fill(g, dag_mul(g, b->args[0], dag_sum(g, a)), s);
    Node *args[2] = {a, b};
    return dag_intern(g, EX_MATMUL, NULL, args, 2, s);
}

Node *dag_outer(Graph *g, Node *a, Node *b) {
    if (!a || !b || a->shape.rank != 1 || b->shape.rank != 1)
        return NULL;
    Shape s = mat(a->shape.dim[0], b->shape.dim[0]);
    if (dag_is_zero(a) || dag_is_zero(b))
        return dag_zeros(g, s);
    Node *args[2] = {a, b};
    return dag_intern(g, EX_OUTER, NULL, args, 2, s);
}

Node *dag_transpose(Graph *g, Node *a) {
    if (!a || a->shape.rank != 2)
        return NULL;
    Shape s = mat(a->shape.dim[1], a->shape.dim[0]);
    if (a->kind == EX_TRANSPOSE) /* (A')' = A */
        return a->args[0];
    if (a->kind == EX_FILL)
        return dag_fill(g, a->args[0], s);
    if (a->kind == EX_OUTER) /* (a b')' = b a' */
        return dag_outer(g, a->args[1], a->args[0]);
    if (a->kind == EX_MATMUL && a->args[0]->shape.rank == 2 && a->args[1]->shape.rank == 2) {
        /* (B C)' = C' B', when a transpose cancels or a constant stays one */
        Node *b = a->args[0], *c = a->args[1];
        if (b->kind == EX_TRANSPOSE || c->kind == EX_TRANSPOSE || b->kind == EX_FILL || c->kind == EX_FILL)
            return dag_matmul(g, dag_transpose(g, c), dag_transpose(g, b));
    }
    return dag_intern(g, EX_TRANSPOSE, NULL, &a, 1, s);
}

/* The shape of a[index] (see dag.h), or rank -1 when out of range. */
static Shape index_shape(Shape a, int index, int element) {
    Shape bad = {-1, {0, 0}};
    if (index < 0 || a.rank == 0 || index >= (element ? shape_numel(a) : a.dim[0]))
        return bad;
    return a.rank == 2 && !element ? vec(a.dim[1]) : shape_scalar;
}

Node *dag_index(Graph *g, Node *a, int index, int element) {
    if (!a)
        return NULL;
    if (a->shape.rank == 1)
        element = 1;
    Shape s = index_shape(a->shape, index, element);
    if (s.rank < 0)
        return NULL;
    switch ((NodeKind)a->kind) {
    case EX_FILL:
        return dag_fill(g, a->args[0], s);
    case EX_PACK:
        if (a->shape.rank == 1 || !element)
            return a->args[index];
        return dag_index(g, a->args[index / a->shape.dim[1]], index % a->shape.dim[1], 1);
    case EX_SCATTER:
        if (a->args[0]->shape.rank == s.rank && a->u.index == index)
            return a->args[0];
        if (a->args[0]->shape.rank == s.rank || s.rank == 1)
            return dag_zeros(g, s); /* another element, or a row it is not in */
        break;
    case EX_TRANSPOSE:
        if (element) { /* A'[i, j] = A[j, i] */
            int m = a->shape.dim[0], n = a->shape.dim[1];
            return dag_index(g, a->args[0], (index % n) * m + index / n, 1);
        }
        break;
    default:
        break;
    }
    return dag_intern(g, EX_INDEX, &index, &a, 1, s);
}

Node *dag_scatter(Graph *g, Node *value, int index, int element, Shape s) {
    if (!value)
        return NULL;
    if (s.rank == 1)
        element = 1;
    Shape vs = index_shape(s, index, element);
    if (vs.rank < 0 || !shape_equal(vs, value->shape))
        return NULL;
    if (dag_is_zero(value))
        return dag_zeros(g, s);
    return dag_intern(g, EX_SCATTER, &index, &value, 1, s);
}

/* [a, b, ...]: scalars make a vector, vectors of one length the rows of a
 * matrix.  [x[0], x[1], ..., x[n-1]] is x again. */
Node *dag_pack(Graph *g, Node *const *items, int n) {
    if (n <= 0)
        return NULL;
    for (int i = 0; i < n; i++)
        if (!items[i] || items[i]->shape.rank > 1 || !shape_equal(items[i]->shape, items[0]->shape))
            return NULL;
    Shape s = items[0]->shape.rank == 0 ? vec(n) : mat(n, items[0]->shape.dim[0]);
    int zeros = 1, same = items[0]->kind == EX_INDEX;
    for (int i = 0; i < n; i++) {
        zeros &= dag_is_zero(items[i]);
        /* && rather than &=: items[0] may have no argument to compare */
        same = same && items[i]->kind == EX_INDEX && items[i]->args[0] == items[0]->args[0] &&
               items[i]->u.index == i && shape_equal(items[0]->args[0]->shape, s);
    }
    if (zeros)
        return dag_zeros(g, s);
    if (same)
        return items[0]->args[0];
    return dag_intern(g, EX_PACK, NULL, items, n, s);
}

Node *dag_sum(Graph *g, Node *a) {
    if (!a)
        return NULL;
    if (a->shape.rank == 0)
        return a;
    switch ((NodeKind)a->kind) {
    case EX_FILL: /* sum of n copies of c = n c */
        return dag_mul(g, dag_int(g, shape_numel(a->shape)), a->args[0]);
    case EX_SCATTER:
    case EX_TRANSPOSE:
        return dag_sum(g, a->args[0]);
    case EX_PACK:
        if (a->shape.rank == 1)
            return dag_add_n(g, a->args, a->nargs);
        break;
    case EX_MUL: { /* sum(c u) = c sum(u), for every scalar factor c */
        Node *small[16], **f = a->nargs <= 16 ? small : malloc((size_t)a->nargs * sizeof *f);
        if (!f) {
            g->failed = 1;
            return NULL;
        }
        int ns = 0, nt = a->nargs;
        for (int k = 0; k < a->nargs; k++) /* scalars to the front, tensors to the back */
            if (a->args[k]->shape.rank == 0)
                f[ns++] = a->args[k];
            else
                f[--nt] = a->args[k];
        Node *r = NULL;
        if (ns > 0)
            r = dag_mul(g, dag_mul_n(g, f, ns), dag_sum(g, dag_mul_n(g, f + ns, a->nargs - ns)));
        if (f != small)
            free(f);
        if (ns > 0)
            return r;
        break;
    }
    default:
        break;
    }
    return dag_intern(g, EX_SUM, NULL, &a, 1, shape_scalar);
}

Node *dag_softmax(Graph *g, Node *a) {
    if (!a || a->shape.rank != 1)
        return NULL;
    if (a->kind == EX_FILL) /* equal scores: the uniform distribution */
        return dag_fill(g, dag_num(g, num_rat(1, a->shape.dim[0])), a->shape);
    return dag_intern(g, EX_SOFTMAX, NULL, &a, 1, a->shape);
}

Node *dag_logsumexp(Graph *g, Node *a) {
    if (!a || a->shape.rank != 1)
        return NULL;
    return dag_intern(g, EX_LOGSUMEXP, NULL, &a, 1, shape_scalar);
}

int dag_has_tensors(const Graph *g, Node *const *roots, int nroots) {
    unsigned char *mark = malloc(g->nnodes ? g->nnodes : 1);
    if (!mark)
        return 0;
    dag_mark_reachable(g, roots, nroots, mark);
    int any = 0;
    for (size_t id = 0; id < g->nnodes && !any; id++)
        any = mark[id] && g->nodes[id]->shape.rank > 0;
    free(mark);
    return any;
}
