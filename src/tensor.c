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

const Shape shape_scalar = {.rank = 0};

static const Shape bad_shape = {.rank = -1};

static Shape vec(int n) { return shape_vec(axis_fixed(n)); }

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
    if (a.rank < 1 || b.rank < 1 || !axis_equal(shape_axis(a, a.rank - 1), shape_axis(b, 0)))
        return bad_shape;
    if (a.rank == 2 && b.rank == 2)
        return shape_mat(shape_axis(a, 0), shape_axis(b, 1));
    if (a.rank == 2)
        return shape_vec(shape_axis(a, 0));
    if (b.rank == 2)
        return shape_vec(shape_axis(b, 1));
    return shape_scalar;
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
    Shape s = shape_mat(shape_axis(a->shape, 0), shape_axis(b->shape, 0));
    if (dag_is_zero(a) || dag_is_zero(b))
        return dag_zeros(g, s);
    /* c b' with c constant: c times b in every row; a c' likewise */
    if (a->kind == EX_FILL)
        return dag_rows(g, dag_mul(g, a->args[0], b), shape_axis(s, 0));
    if (b->kind == EX_FILL)
        return dag_cols(g, dag_mul(g, b->args[0], a), shape_axis(s, 1));
    Node *args[2] = {a, b};
    return dag_intern(g, EX_OUTER, NULL, args, 2, s);
}

Node *dag_transpose(Graph *g, Node *a) {
    if (!a || a->shape.rank != 2)
        return NULL;
    Shape s = shape_mat(shape_axis(a->shape, 1), shape_axis(a->shape, 0));
    if (a->kind == EX_TRANSPOSE) /* (A')' = A */
        return a->args[0];
    if (a->kind == EX_FILL)
        return dag_fill(g, a->args[0], s);
    if (a->kind == EX_ROWS) /* rows of b, transposed: columns of b */
        return dag_cols(g, a->args[0], shape_axis(s, 1));
    if (a->kind == EX_COLS)
        return dag_rows(g, a->args[0], shape_axis(s, 0));
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

/* The shape of a[index] (see dag.h), or rank -1 when out of range.  A
 * subscript along a run-time dimension has no fixed range: lowering
 * refuses it, and so does this. */
static Shape index_shape(Shape a, int index, int element) {
    if (index < 0 || a.rank == 0 || index >= (element ? shape_numel(a) : a.dim[0]) || a.dyn[0] ||
        (element && a.rank == 2 && a.dyn[1]))
        return bad_shape;
    return a.rank == 2 && !element ? shape_vec(shape_axis(a, 1)) : shape_scalar;
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
    case EX_ROWS: /* every row is b: row i is b, element (i, j) is b[j] */
        return element ? dag_index(g, a->args[0], index % a->shape.dim[1], 1) : a->args[0];
    case EX_COLS: /* every column is v: element (i, j) is v[i], row i is v[i] repeated */
        if (element)
            return dag_index(g, a->args[0], index / a->shape.dim[1], 1);
        return dag_fill(g, dag_index(g, a->args[0], index, 1), s);
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
    Shape s = items[0]->shape.rank == 0 ? vec(n) : shape_mat(axis_fixed(n), shape_axis(items[0]->shape, 0));
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

/* The scalar factors of a product A (c in c u) in *scalars, its tensor
 * factors in *tensor; 0 when A is not such a product (or the graph
 * failed).  For the rules f(c u) = c f(u) of linear reductions. */
static int split_scalars(Graph *g, Node *a, Node **scalars, Node **tensor) {
    if (a->kind != EX_MUL || a->shape.rank == 0)
        return 0;
    Node *small[16], **f = a->nargs <= 16 ? small : malloc((size_t)a->nargs * sizeof *f);
    if (!f) {
        g->failed = 1;
        return 0;
    }
    int ns = 0, nt = a->nargs;
    for (int k = 0; k < a->nargs; k++)
        if (a->args[k]->shape.rank == 0)
            f[ns++] = a->args[k];
        else
            f[--nt] = a->args[k];
    if (ns > 0) {
        *scalars = dag_mul_n(g, f, ns);
        *tensor = dag_mul_n(g, f + ns, a->nargs - ns);
    }
    if (f != small)
        free(f);
    return ns > 0 && *scalars && *tensor;
}

Node *dag_sum(Graph *g, Node *a) {
    if (!a)
        return NULL;
    if (a->shape.rank == 0)
        return a;
    switch ((NodeKind)a->kind) {
    case EX_FILL: /* sum of n copies of c = n c */
        return dag_mul(g, dag_numel(g, a->shape), a->args[0]);
    case EX_ROWS: /* m rows of b: m sum(b) */
        return dag_mul(g, dag_axis(g, a->shape, 0), dag_sum(g, a->args[0]));
    case EX_COLS: /* k columns of v: k sum(v) */
        return dag_mul(g, dag_axis(g, a->shape, 1), dag_sum(g, a->args[0]));
    case EX_SCATTER:
    case EX_TRANSPOSE:
    case EX_ROWSUM:
    case EX_COLSUM:
        return dag_sum(g, a->args[0]);
    case EX_PACK:
        if (a->shape.rank == 1)
            return dag_add_n(g, a->args, a->nargs);
        break;
    default:
        break;
    }
    Node *c, *u;
    if (split_scalars(g, a, &c, &u)) /* sum(c u) = c sum(u), for every scalar factor c */
        return dag_mul(g, c, dag_sum(g, u));
    if (g->failed)
        return NULL;
    return dag_intern(g, EX_SUM, NULL, &a, 1, shape_scalar);
}

/* softmax of a vector, or of each row of a matrix. */
Node *dag_softmax(Graph *g, Node *a) {
    if (!a || a->shape.rank < 1)
        return NULL;
    if (a->kind == EX_FILL || a->kind == EX_COLS) /* equal scores: the uniform distribution */
        return dag_fill(g, dag_pow(g, dag_axis(g, a->shape, a->shape.rank - 1), dag_int(g, -1)), a->shape);
    if (a->kind == EX_ROWS) /* every row the same */
        return dag_rows(g, dag_softmax(g, a->args[0]), shape_axis(a->shape, 0));
    return dag_intern(g, EX_SOFTMAX, NULL, &a, 1, a->shape);
}

/* logsumexp of a vector (a scalar), or of each row of a matrix (a vector). */
Node *dag_logsumexp(Graph *g, Node *a) {
    if (!a || a->shape.rank < 1)
        return NULL;
    Shape s = a->shape.rank == 1 ? shape_scalar : shape_vec(shape_axis(a->shape, 0));
    if (a->kind == EX_ROWS) /* every row the same */
        return dag_fill(g, dag_logsumexp(g, a->args[0]), s);
    return dag_intern(g, EX_LOGSUMEXP, NULL, &a, 1, s);
}

/* The vector a repeated: in every row (ROWS, axis 0 counts the m rows)
 * or in every column (COLS, axis 1 counts the k columns).  Scalar factors
 * stay outside (c b in every row is c times b in every row), so that
 * X - b is X + (-1) rows(b) however it was built. */
static Node *repeat(Graph *g, Node *a, NodeKind kind, Axis count) {
    if (!a || a->shape.rank != 1)
        return NULL;
    Shape s = kind == EX_ROWS ? shape_mat(count, shape_axis(a->shape, 0)) : shape_mat(shape_axis(a->shape, 0), count);
    Node *c, *u;
    if (a->kind == EX_FILL)
        return dag_fill(g, a->args[0], s);
    if (split_scalars(g, a, &c, &u))
        return dag_mul(g, c, repeat(g, u, kind, count));
    return g->failed ? NULL : dag_intern(g, kind, NULL, &a, 1, s);
}

Node *dag_rows(Graph *g, Node *a, Axis m) { return repeat(g, a, EX_ROWS, m); }
Node *dag_cols(Graph *g, Node *a, Axis k) { return repeat(g, a, EX_COLS, k); }

/* The sums along each row (ROWSUM, over axis 1: [m,k] -> [m]) or down
 * each column (COLSUM, over axis 0: -> [k]). */
static Node *axis_sum(Graph *g, Node *a, NodeKind kind) {
    if (!a || a->shape.rank != 2)
        return NULL;
    int axis = kind == EX_ROWSUM ? 1 : 0; /* the axis summed over */
    Shape s = shape_vec(shape_axis(a->shape, 1 - axis));
    Node *len = dag_axis(g, a->shape, axis), *c, *u;
    switch ((NodeKind)a->kind) {
    case EX_FILL: /* len copies of c */
        return dag_fill(g, dag_mul(g, len, a->args[0]), s);
    case EX_ROWS: /* every row is b: the row sums are sum(b), the column sums m b */
        return axis ? dag_fill(g, dag_sum(g, a->args[0]), s) : dag_mul(g, len, a->args[0]);
    case EX_COLS: /* every column is v: the row sums are k v, the column sums sum(v) */
        return axis ? dag_mul(g, len, a->args[0]) : dag_fill(g, dag_sum(g, a->args[0]), s);
    case EX_TRANSPOSE: /* the row sums of A' are the column sums of A */
        return axis_sum(g, a->args[0], kind == EX_ROWSUM ? EX_COLSUM : EX_ROWSUM);
    case EX_OUTER: /* sum_j a_i b_j = a_i sum(b);  sum_i a_i b_j = sum(a) b_j */
        return axis ? dag_mul(g, a->args[0], dag_sum(g, a->args[1])) : dag_mul(g, dag_sum(g, a->args[0]), a->args[1]);
    default:
        break;
    }
    if (split_scalars(g, a, &c, &u)) /* rowsum(c U) = c rowsum(U) */
        return dag_mul(g, c, axis_sum(g, u, kind));
    return g->failed ? NULL : dag_intern(g, kind, NULL, &a, 1, s);
}

Node *dag_rowsum(Graph *g, Node *a) { return axis_sum(g, a, EX_ROWSUM); }
Node *dag_colsum(Graph *g, Node *a) { return axis_sum(g, a, EX_COLSUM); }

Node *dag_onehot(Graph *g, Node *a, Axis k) {
    if (!a || a->shape.rank > 1)
        return NULL;
    Shape s = a->shape.rank == 0 ? shape_vec(k) : shape_mat(shape_axis(a->shape, 0), k);
    return dag_intern(g, EX_ONEHOT, NULL, &a, 1, s);
}

Node *dag_row_total(Graph *g, Node *a) {
    if (!a || a->shape.rank < 1)
        return NULL;
    if (a->shape.rank == 1)
        return dag_sum(g, a);
    return dag_cols(g, dag_rowsum(g, a), shape_axis(a->shape, 1));
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
