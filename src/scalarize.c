/* SPDX-License-Identifier: MIT */
/*
 * scalarize.c — a program with vectors and matrices written out element
 * by element, as a scalar program.
 *
 * Consumes tensor DAG roots; produces, in a new graph, one scalar node per
 * element of each root, over one scalar variable per element of each
 * variable (named W[0,1], b[2], s: the names print as the indexing they
 * stand for).  Variables keep their order and their elements are
 * row-major, so a point of the program is a point of its scalar twin and
 * the twin's x[] is the tensor kernel's x[].  Every stage made for scalars
 * (forward mode, the trace, swell, the AD emitters) then applies to
 * vectors and matrices of teaching and embedded size; the cost is one
 * node per element operation (a [m,k] @ [k,n] product is m n k
 * multiplications), bounded by the graph's node limit.
 *
 * logsumexp(u) is written m + log(sum_i exp(u_i - m)) with m the largest
 * u_i, so that the twin stays finite where the tensor program is; its
 * derivative is exact whatever a tie of max contributes, since d/dm of
 * the form is 1 - 1 = 0.  softmax and logsumexp of a matrix work row by
 * row.  onehot(y, k) compares the label with each class by steps,
 * step(y - j + 1/2) step(j + 1/2 - y): 1 at the class, 0 elsewhere, and
 * (unlike the tensor program's NaN) 0 for a label that is no class.
 *
 * Only programs of fixed shapes have a twin: a run-time dimension has no
 * number of elements to write out.
 */
#include "scalarize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Sc {
    const Graph *g;
    Graph *s;
    Node ***el;  /* by node id of g: its elements in s (NULL: not needed) */
} Sc;

static long numel(const Node *n) { return shape_numel(n->shape); }

/* Element e of node a, broadcasting a scalar. */
static Node *at(const Sc *c, const Node *a, long e) { return c->el[a->id][a->shape.rank == 0 ? 0 : e]; }

static Node *lse(Sc *c, Node *const *u, long n) {
    Graph *s = c->s;
    if (n == 1)
        return u[0];
    Node *m = u[0];
    for (long i = 1; i < n; i++)
        m = dag_call(s, BI_MAX, (Node *[]){m, u[i]}, 2);
    Node **terms = malloc((size_t)n * sizeof *terms);
    if (!terms) {
        s->failed = 1;
        return NULL;
    }
    for (long i = 0; i < n; i++)
        terms[i] = dag_call1(s, BI_EXP, dag_sub(s, u[i], m));
    Node *r = dag_add(s, m, dag_call1(s, BI_LOG, dag_add_n(s, terms, (int)n)));
    free(terms);
    return r;
}

/* The elements of n, its arguments' elements being known. */
static int elements(Sc *c, const Node *n, Node **out) {
    Graph *s = c->s;
    long m = numel(n);
    Node *buf[8];
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        out[0] = dag_num(s, n->num[0]);
        return 0;
    case EX_VAR:
        return 0; /* set up with the variables */
    case EX_ADD:
    case EX_MUL:
    case EX_POW:
    case EX_CALL: {
        Node **args = n->nargs <= 8 ? buf : malloc((size_t)n->nargs * sizeof *args);
        if (!args)
            return -1;
        for (long e = 0; e < m; e++) {
            for (int k = 0; k < n->nargs; k++)
                args[k] = at(c, n->args[k], e);
            out[e] = n->kind == EX_ADD   ? dag_add_n(s, args, n->nargs)
                     : n->kind == EX_MUL ? dag_mul_n(s, args, n->nargs)
                     : n->kind == EX_POW ? dag_pow(s, args[0], args[1])
                                         : dag_call(s, (Builtin)n->u.fn, args, n->nargs);
        }
        if (args != buf)
            free(args);
        return 0;
    }
    case EX_MATMUL: {
        /* [r,k] @ [k,q] (a vector on the left is one row, on the right one
         * column): out(i,j) = sum_l a(i,l) b(l,j) */
        const Node *a = n->args[0], *b = n->args[1];
        long k = a->shape.rank == 2 ? a->shape.dim[1] : a->shape.dim[0];
        long rows = a->shape.rank == 2 ? a->shape.dim[0] : 1;
        long cols = b->shape.rank == 2 ? b->shape.dim[1] : 1;
        Node **terms = malloc((size_t)(k ? k : 1) * sizeof *terms);
        if (!terms)
            return -1;
        for (long i = 0; i < rows; i++)
            for (long j = 0; j < cols; j++) {
                for (long l = 0; l < k; l++)
                    terms[l] = dag_mul(s, c->el[a->id][i * k + l], c->el[b->id][l * cols + j]);
                out[i * cols + j] = dag_add_n(s, terms, (int)k);
            }
        free(terms);
        return 0;
    }
    case EX_OUTER: {
        long q = n->shape.dim[1];
        for (long e = 0; e < m; e++)
            out[e] = dag_mul(s, c->el[n->args[0]->id][e / q], c->el[n->args[1]->id][e % q]);
        return 0;
    }
    case EX_TRANSPOSE: {
        long rows = n->shape.dim[0], cols = n->shape.dim[1];
        for (long i = 0; i < rows; i++)
            for (long j = 0; j < cols; j++)
                out[i * cols + j] = c->el[n->args[0]->id][j * rows + i];
        return 0;
    }
    case EX_INDEX: {
        /* an element, or (a vector of a matrix) a row */
        long first = n->shape.rank == 0 ? n->u.index : (long)n->u.index * m;
        for (long e = 0; e < m; e++)
            out[e] = c->el[n->args[0]->id][first + e];
        return 0;
    }
    case EX_SCATTER: {
        const Node *v = n->args[0];
        long first = v->shape.rank == 0 ? n->u.index : (long)n->u.index * numel(v);
        Node *zero = dag_int(s, 0);
        for (long e = 0; e < m; e++)
            out[e] = e >= first && e < first + numel(v) ? c->el[v->id][e - first] : zero;
        return 0;
    }
    case EX_PACK: {
        long e = 0;
        for (int k = 0; k < n->nargs; k++)
            for (long i = 0; i < numel(n->args[k]); i++)
                out[e++] = c->el[n->args[k]->id][i];
        return 0;
    }
    case EX_SUM:
        out[0] = dag_add_n(s, c->el[n->args[0]->id], (int)numel(n->args[0]));
        return 0;
    case EX_FILL:
        for (long e = 0; e < m; e++)
            out[e] = c->el[n->args[0]->id][0];
        return 0;
    case EX_LOGSUMEXP: { /* of a vector, or of each row */
        const Node *a = n->args[0];
        long len = a->shape.rank == 2 ? a->shape.dim[1] : a->shape.dim[0];
        for (long i = 0; i < m; i++)
            out[i] = lse(c, c->el[a->id] + i * len, len);
        return 0;
    }
    case EX_SOFTMAX: {
        long len = n->shape.rank == 2 ? n->shape.dim[1] : n->shape.dim[0];
        for (long i = 0; i < m / len; i++) {
            Node *const *u = c->el[n->args[0]->id] + i * len;
            Node *l = lse(c, u, len);
            for (long e = 0; e < len; e++)
                out[i * len + e] = dag_call1(s, BI_EXP, dag_sub(s, u[e], l));
        }
        return 0;
    }
    case EX_ROWS:
    case EX_COLS: {
        long q = n->shape.dim[1];
        for (long e = 0; e < m; e++)
            out[e] = c->el[n->args[0]->id][n->kind == EX_ROWS ? e % q : e / q];
        return 0;
    }
    case EX_ROWSUM:
    case EX_COLSUM: {
        const Node *a = n->args[0];
        long rows = a->shape.dim[0], cols = a->shape.dim[1];
        long len = n->kind == EX_ROWSUM ? cols : rows;
        Node **terms = malloc((size_t)(len ? len : 1) * sizeof *terms);
        if (!terms)
            return -1;
        for (long i = 0; i < m; i++) {
            for (long t = 0; t < len; t++)
                terms[t] = c->el[a->id][n->kind == EX_ROWSUM ? i * cols + t : t * cols + i];
            out[i] = dag_add_n(s, terms, (int)len);
        }
        free(terms);
        return 0;
    }
    case EX_ONEHOT: { /* step(y - j + 1/2) step(j + 1/2 - y) */
        long k = n->shape.rank == 2 ? n->shape.dim[1] : n->shape.dim[0];
        Node *half = dag_num(s, num_rat(1, 2)), *zero = dag_int(s, 0);
        for (long e = 0; e < m; e++) {
            Node *y = c->el[n->args[0]->id][n->shape.rank == 2 ? e / k : 0];
            Node *j = dag_int(s, e % k);
            Node *above[2] = {dag_add(s, dag_sub(s, y, j), half), zero};
            Node *below[2] = {dag_add(s, dag_sub(s, j, y), half), zero};
            out[e] = dag_mul(s, dag_call(s, BI_STEP, above, 2), dag_call(s, BI_STEP, below, 2));
        }
        return 0;
    }
    case EX_DIM: /* refused before: no twin with run-time dimensions */
    case EX_COUNT:
        break;
    }
    return -1;
}

/* Variable v's element names: "x", "b[2]", "W[0,1]". */
static void element_name(char *buf, size_t size, const Var *v, long e) {
    if (v->shape.rank == 0)
        snprintf(buf, size, "%s", v->name);
    else if (v->shape.rank == 1)
        snprintf(buf, size, "%s[%ld]", v->name, e);
    else
        snprintf(buf, size, "%s[%ld,%ld]", v->name, e / v->shape.dim[1], e % v->shape.dim[1]);
}

ScalarizeStatus scalarize(const Graph *g, Node *const *roots, int nroots, Scalarized *out) {
    memset(out, 0, sizeof *out);
    if (g->ndims > 0)
        return SCALARIZE_RUN_TIME_DIMS;
    Sc c = {g, graph_new(), calloc(g->nnodes ? g->nnodes : 1, sizeof *c.el)};
    unsigned char *mark = malloc(g->nnodes ? g->nnodes : 1);
    int status = c.s && c.el && mark ? 0 : -1;
    if (status == 0) {
        c.s->max_nodes = g->max_nodes;
        c.s->scalars_only = 1; /* log(exp(a) + ...) stays a scalar form */
        dag_mark_reachable(g, roots, nroots, mark);
    }
    /* the variables, every element of each, in order (all of them, used or
     * not, so that points keep their layout) */
    long total = 0;
    for (int v = 0; v < g->nvars && status == 0; v++) {
        const Var *var = &g->vars[v];
        Node *vn = var->node;
        long k = shape_numel(var->shape);
        Node **el = malloc((size_t)k * sizeof *el);
        if (!el) {
            status = -1;
            break;
        }
        c.el[vn->id] = el;
        for (long e = 0; e < k && status == 0; e++) {
            char name[300];
            element_name(name, sizeof name, var, e);
            int sv = graph_add_var(c.s, name, var->role, shape_scalar);
            if (sv < 0 || c.s->nvars != total + e + 1) /* an element name taken twice */
                status = -1;
            else
                el[e] = graph_var_node(c.s, sv);
        }
        total += k;
    }
    for (size_t id = 0; id < g->nnodes && status == 0 && !c.s->failed; id++) {
        const Node *n = g->nodes[id];
        if (!mark[id] || n->kind == EX_VAR)
            continue;
        if (!(c.el[id] = malloc((size_t)numel(n) * sizeof **c.el)) || elements(&c, n, c.el[id]) != 0)
            status = -1;
        for (long e = 0; status == 0 && e < numel(n); e++)
            if (!c.el[id][e])
                status = -1;
    }
    long nout = 0;
    for (int i = 0; i < nroots; i++)
        nout += numel(roots[i]);
    if (status == 0 && !c.s->failed) {
        out->roots = malloc((size_t)(nout ? nout : 1) * sizeof *out->roots);
        if (!out->roots)
            status = -1;
        for (int i = 0, k = 0; status == 0 && i < nroots; i++)
            for (long e = 0; e < numel(roots[i]); e++)
                out->roots[k++] = c.el[roots[i]->id][e];
    }
    if (c.s && c.s->failed)
        status = c.s->failed == GRAPH_TOO_LARGE ? SCALARIZE_TOO_LARGE : SCALARIZE_NO_MEMORY;
    for (size_t id = 0; c.el && id < g->nnodes; id++)
        free(c.el[id]);
    free(c.el);
    free(mark);
    if (status != 0) {
        free(out->roots);
        out->roots = NULL;
        graph_free(c.s);
        return status < 0 ? (ScalarizeStatus)status : SCALARIZE_NO_MEMORY;
    }
    out->g = c.s;
    out->nroots = nout;
    return SCALARIZE_OK;
}

void scalarized_free(Scalarized *s) {
    free(s->roots);
    graph_free(s->g);
    memset(s, 0, sizeof *s);
}
