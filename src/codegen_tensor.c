/* SPDX-License-Identifier: MIT */
/*
 * codegen_tensor.c — C code for programs with vectors and matrices.
 *
 * Consumes the function and its gradient (or Jacobian) as tensor DAG roots;
 * produces a C99 source and header that depend only on <math.h>.  Every
 * variable is one flat row-major block: the parameters in x[], the data in
 * input[], at offsets the header names.  Each kernel is planned by the
 * emitter core (codegen_core.h), which also writes every expression: a
 * scalar, or one element of a vector or matrix, with all of codegen.c's
 * careful forms.  This file writes the statements around them, in id
 * (topological) order:
 *   - a named scalar is a `const T t<k>` temporary; a sum or a logsumexp
 *     is a loop that accumulates one;
 *   - a named vector or matrix is materialised: a loop fills its slot of
 *     the workspace, or its place in the output (matrix products, packs
 *     and softmax have loops of their own);
 *   - every other node is fused: its element expression is written inside
 *     its user's loop.
 * Loops are described, not written as text: loop() takes the counter, its
 * bounds and a function writing the body for one binding of the counter.
 * Looped code writes `for (...)` and the body once, with the counter as
 * the binding; --unroll writes the body once per value, with the value as
 * the binding, so the unrolled kernel computes exactly what the looped one
 * does, statement for statement, with every subscript a constant.
 * A kernel with both softmax(u) and logsumexp(u) computes exp(u - max u)
 * once, for both.  The workspace is work[PREFIX_WORK] on the stack, or the
 * caller's memory in the _ws variants; nothing is allocated.  Where the
 * plain entry points' frame would exceed CODEGEN_STACK_BUDGET only the _ws
 * variants exist.  Offsets, loop counters and subscripts are size_t: an
 * array may hold more than INT_MAX elements.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "codegen_common.h"
#include "codegen_core.h"

typedef struct TE {
    Emitter E;           /* the core: plan and expressions                 */
    Graph *g;
    const TensorCodegenInput *in;
    const CodegenOptions *opt;
    int unroll;          /* loops written as their iterations               */
    size_t limit;        /* the most bytes of one unrolled kernel body      */
    int too_big;         /* the limit was passed                            */
    int depth;           /* nesting of the statement being written          */
    size_t work;         /* elements of work[] this kernel needs            */
    long nodes;          /* nodes written by the kernel (for its stack)     */
    long scalars;        /* of them, scalars: the temporaries               */
    unsigned char *done; /* by id: written already (softmax with logsumexp) */
} TE;

static size_t rows_of(Shape s) { return s.rank >= 1 ? (size_t)s.dim[0] : 1; }
static size_t cols_of(Shape s) { return s.rank == 2 ? (size_t)s.dim[1] : 1; }
static size_t numel(Shape s) { return rows_of(s) * cols_of(s); }

static const CodegenIndex FIRST = {NULL, 0};

/* --- lines and loops ------------------------------------------------------------------ */

/* Starts a line at the current depth (the function body is depth 0). */
static void indent(TE *T) {
    for (int d = 0; d <= T->depth; d++)
        sb_puts(T->E.out, "    ");
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void line(TE *T, const char *fmt, ...) {
    indent(T);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(T->E.out, fmt, ap);
    va_end(ap);
    sb_putc(T->E.out, '\n');
}

/* The body of a loop for one binding of its counter. */
typedef void (*Body)(TE *T, CodegenIndex at, void *ctx);

/* for (size_t var = lo; var < hi; var++) followed by one statement, the
 * body; with --unroll the body once for each value of var in turn. */
static void loop(TE *T, const char *var, size_t lo, size_t hi, Body body, void *ctx) {
    if (!T->unroll) {
        line(T, "for (size_t %s = %zu; %s < %zu; %s++)", var, lo, var, hi, var);
        T->depth++;
        body(T, (CodegenIndex){var, 0}, ctx);
        T->depth--;
        return;
    }
    for (size_t v = lo; v < hi && !T->too_big; v++) {
        body(T, (CodegenIndex){NULL, v}, ctx);
        if (T->E.out->len > T->limit)
            T->too_big = 1;
    }
}

/* The body of a loop over the elements of a vector or matrix, for one
 * element (r, c); c is 0 for a vector. */
typedef void (*Cell)(TE *T, CodegenIndex r, CodegenIndex c, void *ctx);

typedef struct Grid {
    Shape shape;
    Cell cell;
    void *ctx;
    CodegenIndex r;
} Grid;

static void grid_col(TE *T, CodegenIndex c, void *ctx) {
    Grid *G = ctx;
    G->cell(T, G->r, c, G->ctx);
}

static void grid_row(TE *T, CodegenIndex r, void *ctx) {
    Grid *G = ctx;
    if (G->shape.rank < 2) {
        G->cell(T, r, FIRST, G->ctx);
        return;
    }
    Grid H = *G;
    H.r = r;
    loop(T, "j", 0, cols_of(G->shape), grid_col, &H);
}

/* for (i) [for (j)] cell(i, j), row-major. */
static void for_elements(TE *T, Shape s, Cell cell, void *ctx) {
    Grid G = {s, cell, ctx, FIRST};
    loop(T, "i", 0, rows_of(s), grid_row, &G);
}

/* --- references --------------------------------------------------------------------- */

/* n at element (r, c), as its users read it. */
static void ref_at(TE *T, const Node *n, CodegenIndex r, CodegenIndex c, int ctx) {
    T->E.row = r;
    T->E.col = c;
    codegen_ref(&T->E, n, ctx);
}

/* The slot of a named vector or matrix at element (r, c). */
static void slot(TE *T, const Node *n, CodegenIndex r, CodegenIndex c) {
    codegen_subscript(T->E.out, T->E.home[n->id] == HOME_WORK ? "work" : T->in->out_name, T->E.offset[n->id], r,
                      c, cols_of(n->shape), n->shape.rank);
}

/* --- statements ------------------------------------------------------------------------ */

/* slot = n's operation at (r, c) */
static void cell_define(TE *T, CodegenIndex r, CodegenIndex c, void *ctx) {
    const Node *n = ctx;
    indent(T);
    slot(T, n, r, c);
    sb_puts(T->E.out, " = ");
    T->E.row = r;
    T->E.col = c;
    codegen_define(&T->E, n);
    sb_puts(T->E.out, ";\n");
}

typedef struct Accumulate {
    const Node *sum, *arg;
} Accumulate;

/* t<k> += arg at (r, c) */
static void cell_accumulate(TE *T, CodegenIndex r, CodegenIndex c, void *ctx) {
    const Accumulate *a = ctx;
    indent(T);
    codegen_temp_name(&T->E, a->sum);
    sb_puts(T->E.out, " += ");
    ref_at(T, a->arg, r, c, 0);
    sb_puts(T->E.out, ";\n");
}

/* The pieces of the loops over a vector u that logsumexp and softmax
 * share: m = max(u), s = sum(exp(u - m)) (stored at dst when dst is not
 * NULL), and the division by s. */
typedef struct Exps {
    const Node *u, *dst;
} Exps;

static void body_max(TE *T, CodegenIndex i, void *ctx) {
    const Exps *x = ctx;
    indent(T);
    sb_puts(T->E.out, "if (");
    ref_at(T, x->u, i, FIRST, 0);
    sb_puts(T->E.out, " > m)\n");
    T->depth++;
    indent(T);
    sb_puts(T->E.out, "m = ");
    ref_at(T, x->u, i, FIRST, 0);
    sb_puts(T->E.out, ";\n");
    T->depth--;
}

static void body_exp(TE *T, CodegenIndex i, void *ctx) {
    const Exps *x = ctx;
    indent(T);
    sb_puts(T->E.out, "s += ");
    if (x->dst) {
        slot(T, x->dst, i, FIRST);
        sb_puts(T->E.out, " = ");
    }
    sb_printf(T->E.out, "exp%s(", T->E.fs);
    ref_at(T, x->u, i, FIRST, C_SUM);
    sb_puts(T->E.out, " - m);\n");
}

static void body_divide(TE *T, CodegenIndex i, void *ctx) {
    const Exps *x = ctx;
    indent(T);
    slot(T, x->dst, i, FIRST);
    sb_puts(T->E.out, " /= s;\n");
}

/* logsumexp(u) = m + log(sum(exp(u - m))), m = max(u), into the scalar
 * lse (NULL: none); softmax(u) = exp(u - m) / sum(exp(u - m)) into the
 * slot of softmax (NULL: none).  A kernel with both computes the
 * exponentials once. */
static void write_exps(TE *T, const Node *lse, const Node *softmax) {
    const Node *u = lse ? lse->args[0] : softmax->args[0];
    size_t len = rows_of(u->shape);
    Exps x = {u, softmax};
    if (lse) {
        line(T, "%s t%d;", T->E.T, T->E.temp[lse->id] - 1);
    }
    line(T, "{");
    T->depth++;
    indent(T);
    sb_printf(T->E.out, "%s m = ", T->E.T);
    ref_at(T, u, FIRST, FIRST, 0);
    sb_puts(T->E.out, ", s = 0;\n");
    loop(T, "i", 1, len, body_max, &x);
    loop(T, "i", 0, len, body_exp, &x);
    if (lse)
        line(T, "t%d = m + log%s(s);", T->E.temp[lse->id] - 1, T->E.fs);
    if (softmax)
        loop(T, "i", 0, len, body_divide, &x);
    T->depth--;
    line(T, "}");
}

/* The softmax of the same vector as logsumexp node lse (or the reverse),
 * when the kernel computes both, else NULL. */
static const Node *exps_partner(const TE *T, const Node *n) {
    int kind = n->kind == EX_LOGSUMEXP ? EX_SOFTMAX : EX_LOGSUMEXP;
    const Node *u = n->args[0];
    const Node *p = dag_lookup(T->g, (NodeKind)kind, NULL, (Node *const *)&n->args[0], 1,
                               kind == EX_SOFTMAX ? u->shape : shape_scalar);
    return p && p->id < T->E.nn && T->E.mark[p->id] && T->E.temp[p->id] ? p : NULL;
}

typedef struct Product {
    const Node *n, *a, *b;
    CodegenIndex i, j; /* the element being computed (matrix products)   */
} Product;

/* x' B: slot(i) += a(q) * b(q, i) */
static void body_vm_inner(TE *T, CodegenIndex i, void *ctx) {
    Product *p = ctx;
    indent(T);
    slot(T, p->n, i, FIRST);
    sb_puts(T->E.out, " += ");
    ref_at(T, p->a, p->i, FIRST, C_PROD);
    sb_puts(T->E.out, " * ");
    ref_at(T, p->b, p->i, i, C_PROD + 1);
    sb_puts(T->E.out, ";\n");
}

static void body_vm(TE *T, CodegenIndex q, void *ctx) {
    Product *p = ctx;
    Product inner = *p;
    inner.i = q; /* the row of B */
    loop(T, "i", 0, cols_of(p->b->shape), body_vm_inner, &inner);
}

static void body_zero(TE *T, CodegenIndex i, void *ctx) {
    const Node *n = ctx;
    indent(T);
    slot(T, n, i, FIRST);
    sb_puts(T->E.out, " = ");
    codegen_literal(T->E.out, T->E.ty, 0);
    sb_puts(T->E.out, ";\n");
}

/* s += a(i, q) * b(q, j) */
static void body_dot(TE *T, CodegenIndex q, void *ctx) {
    Product *p = ctx;
    indent(T);
    sb_puts(T->E.out, "s += ");
    ref_at(T, p->a, p->i, q, C_PROD);
    sb_puts(T->E.out, " * ");
    ref_at(T, p->b, q, p->j, C_PROD + 1);
    sb_puts(T->E.out, ";\n");
}

/* { T s = 0; for (q) s += a(i, q) * b(q, j); slot(i, j) = s; } */
static void cell_matmul(TE *T, CodegenIndex r, CodegenIndex c, void *ctx) {
    Product p = *(Product *)ctx;
    p.i = r;
    p.j = c;
    line(T, "{");
    T->depth++;
    line(T, "%s s = 0;", T->E.T);
    loop(T, "q", 0, cols_of(p.a->shape), body_dot, &p);
    indent(T);
    slot(T, p.n, r, c);
    sb_puts(T->E.out, " = s;\n");
    T->depth--;
    line(T, "}");
}

static void write_matmul(TE *T, const Node *n) {
    Product p = {n, n->args[0], n->args[1], FIRST, FIRST};
    if (p.a->shape.rank == 1) { /* x' B: accumulate rows of B, in memory order */
        loop(T, "i", 0, cols_of(p.b->shape), body_zero, (void *)n);
        loop(T, "q", 0, rows_of(p.a->shape), body_vm, &p);
        return;
    }
    for_elements(T, n->shape, cell_matmul, &p);
}

typedef struct PackItem {
    const Node *item;
    const char *base;
    size_t off;
} PackItem;

static void body_pack(TE *T, CodegenIndex i, void *ctx) {
    const PackItem *p = ctx;
    indent(T);
    codegen_subscript(T->E.out, p->base, p->off, i, FIRST, 1, 1);
    sb_puts(T->E.out, " = ");
    ref_at(T, p->item, i, FIRST, 0);
    sb_puts(T->E.out, ";\n");
}

/* [a, b, ...]: scalars into a vector, or rows into a matrix. */
static void write_pack(TE *T, const Node *n) {
    const char *base = T->E.home[n->id] == HOME_WORK ? "work" : T->in->out_name;
    for (int k = 0; k < n->nargs; k++) {
        const Node *item = n->args[k];
        if (item->shape.rank == 0) {
            indent(T);
            codegen_subscript(T->E.out, base, T->E.offset[n->id] + (size_t)k, FIRST, FIRST, 1, 0);
            sb_puts(T->E.out, " = ");
            ref_at(T, item, FIRST, FIRST, 0);
            sb_puts(T->E.out, ";\n");
        } else {
            PackItem p = {item, base, T->E.offset[n->id] + (size_t)k * rows_of(item->shape)};
            loop(T, "i", 0, rows_of(item->shape), body_pack, &p);
        }
    }
}

/* The statements that compute named node n. */
static void write_node(TE *T, const Node *n) {
    Emitter *E = &T->E;
    E->defining = n->id;
    if (T->done[n->id])
        return;
    if (n->kind == EX_LOGSUMEXP || n->kind == EX_SOFTMAX) {
        const Node *p = exps_partner(T, n);
        if (p)
            T->done[p->id] = 1;
        write_exps(T, n->kind == EX_LOGSUMEXP ? n : p, n->kind == EX_SOFTMAX ? n : p);
        return;
    }
    if (n->shape.rank == 0) {
        if (n->kind == EX_SUM) {
            Accumulate a = {n, n->args[0]};
            line(T, "%s t%d = 0;", E->T, E->temp[n->id] - 1);
            for_elements(T, n->args[0]->shape, cell_accumulate, &a);
            return;
        }
        codegen_scalar_statement(E, n, "    ");
        return;
    }
    switch ((NodeKind)n->kind) {
    case EX_MATMUL:
        write_matmul(T, n);
        return;
    case EX_PACK:
        write_pack(T, n);
        return;
    case EX_CONST:
    case EX_VAR:
    case EX_ADD:
    case EX_MUL:
    case EX_POW:
    case EX_CALL:
    case EX_OUTER:
    case EX_TRANSPOSE:
    case EX_INDEX:
    case EX_SCATTER:
    case EX_SUM:
    case EX_FILL:
    case EX_SOFTMAX:
    case EX_LOGSUMEXP:
    case EX_COUNT:
        /* elementwise maps and views: one loop over the elements */
        for_elements(T, n->shape, cell_define, (void *)n);
        return;
    }
}

/* Where every named vector or matrix lives: workspace offsets in id
 * order; a root with no other reader goes straight into the output when
 * out_direct. */
static void place(TE *T, Node *const *roots, int nroots, int out_direct) {
    Emitter *E = &T->E;
    T->work = 0;
    for (size_t id = 0; id < E->nn; id++) {
        const Node *n = T->g->nodes[id];
        if (!E->temp[id] || n->shape.rank == 0)
            continue;
        int root = -1;
        for (int r = 0; r < nroots; r++)
            if (roots[r]->id == id && root < 0)
                root = r;
        if (out_direct && root >= 0 && E->uses[id] == 1) {
            E->home[id] = HOME_OUT;
            E->offset[id] = T->in->root_offset[root];
            continue;
        }
        E->home[id] = HOME_WORK;
        E->offset[id] = T->work;
        T->work += numel(n->shape);
    }
}

/* Marks x or input as used when the planned kernel reads neither (a
 * Jacobian of a linear program does not depend on its parameters). */
static void declare_unused_arrays(TE *T) {
    int reads[2] = {0, 0}; /* x[], input[] */
    for (size_t id = 0; id < T->E.nn; id++) {
        const Node *n = T->g->nodes[id];
        if (T->E.mark[id] && n->kind == EX_VAR)
            reads[T->E.var_array[n->u.var] == 1 ? 1 : 0] = 1;
    }
    if (!reads[0])
        sb_puts(T->E.out, "    (void)x;\n");
    if (!reads[1] && T->in->ninputs)
        sb_puts(T->E.out, "    (void)input;\n");
}

typedef struct Store {
    const Node *root;
    size_t off;
} Store;

static void cell_store(TE *T, CodegenIndex r, CodegenIndex c, void *ctx) {
    const Store *s = ctx;
    indent(T);
    codegen_subscript(T->E.out, T->in->out_name, s->off, r, c, cols_of(s->root->shape), s->root->shape.rank);
    sb_puts(T->E.out, " = ");
    ref_at(T, s->root, r, c, 0);
    sb_puts(T->E.out, ";\n");
}

/* One kernel: plans it, writes every named node, then stores the roots
 * (each contiguous in the output, row-major, at its offset) and returns
 * `ret` (NULL: nothing). */
static void write_kernel(TE *T, StrBuf *out, Node *const *roots, int nroots, int nstored, int out_direct,
                         const Node *ret) {
    Emitter *E = &T->E;
    E->out = out;
    codegen_plan(E, roots, nroots);
    place(T, roots, nroots, out_direct);
    memset(T->done, 0, E->nn);
    T->depth = 0;
    declare_unused_arrays(T);
    T->nodes = T->scalars = 0;
    for (size_t id = 0; id < E->nn && !T->too_big; id++) {
        if (!E->mark[id])
            continue;
        const Node *n = T->g->nodes[id];
        T->nodes++;
        T->scalars += n->shape.rank == 0;
        if (E->temp[id])
            write_node(T, n);
    }
    E->defining = UINT32_MAX;
    T->scalars += codegen_locals(E) - E->ntemps; /* shared exponentials, chain values */
    for (int r = 0; r < nstored && !T->too_big; r++) {
        const Node *n = roots[r];
        if (n->shape.rank > 0 && E->temp[n->id] && E->home[n->id] == HOME_OUT)
            continue;
        Store s = {n, T->in->root_offset[r]};
        if (n->shape.rank == 0)
            cell_store(T, FIRST, FIRST, &s);
        else
            for_elements(T, n->shape, cell_store, &s);
    }
    if (ret) {
        sb_puts(out, "    return ");
        ref_at(T, ret, FIRST, FIRST, 0);
        sb_puts(out, ";\n");
    }
}

static void shape_words(StrBuf *sb, Shape s) {
    if (s.rank == 0)
        sb_puts(sb, "scalar");
    else if (s.rank == 1)
        sb_printf(sb, "vector [%d]", s.dim[0]);
    else
        sb_printf(sb, "matrix [%d,%d], row-major: (i, j) at i*%d + j", s.dim[0], s.dim[1], s.dim[1]);
}

/* The stack bound of a _ws variant (codegen_stack_bound): its scalar
 * temporaries and the loops' counters and accumulators are kept; a
 * statement holds at most every node of the kernel, fused, each with a
 * few values (its operation, the subscript arithmetic, and the copies a
 * vectorising compiler makes: gcc -O3 keeps vector spills on the stack). */
static size_t ws_stack(long scalars, long nodes) { return codegen_stack_bound(scalars + 8, 4 * nodes, nodes, 0); }

/* One entry point's prototype: name<suffix>[_ws]. */
static void prototype(StrBuf *sb, const TE *T, const char *ret, const char *suffix, const char *out, int ws) {
    char full[32];
    snprintf(full, sizeof full, "%s%s", suffix, ws ? "_ws" : "");
    codegen_prototype(sb, T->E.ty, 0, ret, T->opt->name, full, T->in->ninputs > 0, out, ws);
}

CodegenStatus codegen_tensor_c(Graph *g, const TensorCodegenInput *in, const CodegenOptions *opt,
                               StrBuf *source, StrBuf *header) {
    TE T;
    memset(&T, 0, sizeof T);
    if (codegen_emitter_init(&T.E, g, in->params, in->nparams, in->inputs, in->ninputs, opt, 1) != 0)
        return CODEGEN_NO_MEMORY;
    T.g = g;
    T.in = in;
    T.opt = opt;
    T.unroll = opt->unroll;
    T.limit = CODEGEN_UNROLL_LIMIT;
    T.done = calloc(T.E.nn ? T.E.nn : 1, 1);
    if (!T.done) {
        codegen_emitter_free(&T.E);
        return CODEGEN_NO_MEMORY;
    }
    size_t nx = 0, ni = 0;
    for (int k = 0; k < in->nparams; k++)
        nx += numel(g->vars[in->params[k]].shape);
    for (int k = 0; k < in->ninputs; k++)
        ni += numel(g->vars[in->inputs[k]].shape);
    char NAME[CODEGEN_MAX_NAME + 1];
    codegen_macro_prefix(NAME, sizeof NAME, opt->name);
    const char *TY = T.E.T, *name = opt->name;
    int vec = in->output->shape.rank > 0;
    size_t nout = numel(in->output->shape);

    /* the kernels, each into its own buffer (their workspace sizes are
     * known once they are planned) */
    StrBuf kval, kgrad;
    sb_init(&kval);
    sb_init(&kgrad);
    TensorCodegenInput vin = *in;
    size_t zero = 0;
    vin.root_offset = &zero;
    vin.out_name = "y";
    T.in = &vin;
    T.E.out_name = vin.out_name;
    Node *y = in->output;
    write_kernel(&T, &kval, &y, 1, vec, vec, vec ? NULL : y);
    size_t work_val = T.work;
    long nodes_val = T.nodes, scalars_val = T.scalars;

    T.in = in;
    T.E.out_name = in->out_name;
    Node **roots = malloc((size_t)(in->nderivs + 1) * sizeof *roots);
    if (!roots) {
        kgrad.failed = 1;
    } else if (!T.too_big) {
        memcpy(roots, in->derivs, (size_t)in->nderivs * sizeof *roots);
        roots[in->nderivs] = y; /* the value too, which the gradient kernel returns */
        write_kernel(&T, &kgrad, roots, in->nderivs + !vec, in->nderivs, 1, vec ? NULL : y);
    }
    size_t work = T.work > work_val ? T.work : work_val;
    CodegenStatus unrolled = T.too_big ? CODEGEN_TOO_LARGE : CODEGEN_OK;
    /* the stack: the _ws variants' frames, and the plain entry points',
     * which add the workspace and call them; above the budget only the
     * _ws variants are written */
    size_t ws = ws_stack(scalars_val, nodes_val);
    if (ws_stack(T.scalars, T.nodes) > ws)
        ws = ws_stack(T.scalars, T.nodes);
    size_t work_bytes = work > 0 ? work * (size_t)T.E.ty->size : (size_t)T.E.ty->size;
    size_t plain = ws + codegen_stack_bound(0, 0, 0, work_bytes);
    int with_plain = work <= SIZE_MAX / (size_t)T.E.ty->size && plain <= CODEGEN_STACK_BUDGET;
    size_t stack = with_plain ? plain : ws;

    /* header */
    const char *dname = vec ? "_jac" : "_grad", *darg = vec ? "J" : "grad";
    const char *inarg = in->ninputs ? ", input" : "";
    codegen_header_begin(header, opt->header_file, opt->version, opt->command_line, opt->source_text);
    sb_printf(header, " *\n * Arrays are row-major.  x[] holds the parameters (differentiated), one\n"
                      " * after another; input[] the data; %s_OFFSET_<name> is where each starts:\n", NAME);
    for (int k = 0; k < in->nparams + in->ninputs; k++) {
        int v = k < in->nparams ? in->params[k] : in->inputs[k - in->nparams];
        sb_printf(header, " *   %s[%zu ...] %s: ", k < in->nparams ? "x" : "input", T.E.var_offset[v],
                  g->vars[v].name);
        shape_words(header, g->vars[v].shape);
        sb_puts(header, "\n");
    }
    sb_printf(header, " *\n * Entry points (no allocation, no globals, reentrant; <math.h> only):\n");
    if (vec) {
        sb_printf(header, " *   void %s(x%s, y)          the value, y[%s_NOUT]\n", name, inarg, NAME);
        sb_printf(header, " *   void %s_jac(x%s, J)      the Jacobian, row-major %s_NOUT x %s_NVARS:\n"
                          " *                            J[i * %s_NVARS + k] = d y[i] / d x[k]\n",
                  name, inarg, NAME, NAME, NAME);
    } else {
        sb_printf(header, " *   %s %s(x%s)              the value\n", TY, name, inarg);
        sb_printf(header, " *   %s %s_grad(x%s, grad)   fills grad[%s_NVARS] (laid out like x), returns\n"
                          " *                            the value\n",
                  TY, name, inarg, NAME);
    }
    if (opt->unroll)
        sb_puts(header, " * Unrolled (--unroll): straight-line code without loops.\n");
    if (with_plain)
        sb_printf(header, " * Each uses a workspace of %s_WORK elements on the stack; the _ws\n"
                          " * variants (%s_ws, %s%s_ws) take it from the caller instead.\n",
                  NAME, name, name, dname);
    else
        sb_printf(header, " * Only the _ws variants exist, %s_ws and %s%s_ws: they take a workspace\n"
                          " * of %s_WORK elements (%zu bytes) from the caller.  On the stack it would\n"
                          " * exceed symdiff's stack budget of %zu bytes, so %s and %s%s, which would\n"
                          " * put it there, are not generated.\n",
                  name, name, dname, NAME, work_bytes, CODEGEN_STACK_BUDGET, name, name, dname);
    codegen_header_aliasing(header, name, dname, vec ? "y, J and work" : "grad and work");
    codegen_header_stack(header, name, stack);
    sb_puts(header, " */\n");
    codegen_header_open(header, name);
    sb_printf(header, "#define %s_NVARS %zu\n#define %s_NINPUTS %zu\n#define %s_NOUT %zu\n#define %s_WORK %zu\n",
              NAME, nx, NAME, ni, NAME, nout, NAME, work);
    sb_printf(header, "#define %s_STACK_BYTES %zu\n", NAME, stack);
    for (int k = 0; k < in->nparams + in->ninputs; k++) {
        int v = k < in->nparams ? in->params[k] : in->inputs[k - in->nparams];
        sb_printf(header, "#define %s_OFFSET_%s %zu /* in %s */\n", NAME, g->vars[v].name, T.E.var_offset[v],
                  k < in->nparams ? "x" : "input");
    }
    sb_puts(header, "\n");
    codegen_header_declarations(header);
    const char *ret = vec ? "void" : TY;
    for (int ws_variant = !with_plain; ws_variant < 2; ws_variant++) {
        prototype(header, &T, ret, "", vec ? "y" : NULL, ws_variant);
        sb_puts(header, ";\n");
        prototype(header, &T, ret, dname, darg, ws_variant);
        sb_puts(header, ";\n");
    }
    codegen_header_close(header, name);

    /* source */
    sb_printf(source, "/* %s.c — generated by symdiff %s; do not edit.  See %s. */\n", name, opt->version,
              opt->header_file);
    sb_puts(source, "#include <math.h>\n#include <stddef.h>\n\n");
    codegen_include_header(source, header, opt);
    sb_putc(source, '\n');
    codegen_helpers(source, T.E.helpers, T.E.ty);
    prototype(source, &T, ret, "", vec ? "y" : NULL, 1);
    sb_puts(source, "\n{\n");
    if (!work_val)
        sb_puts(source, "    (void)work;\n");
    sb_puts(source, sb_str(&kval));
    sb_puts(source, "}\n\n");
    if (with_plain) {
        prototype(source, &T, ret, "", vec ? "y" : NULL, 0);
        sb_printf(source, "\n{\n    %s work[%s_WORK > 0 ? %s_WORK : 1];\n    %s%s_ws(x%s%s, work);\n}\n\n", TY,
                  NAME, NAME, vec ? "" : "return ", name, inarg, vec ? ", y" : "");
    }
    prototype(source, &T, ret, dname, darg, 1);
    sb_puts(source, "\n{\n");
    if (T.work == 0)
        sb_puts(source, "    (void)work;\n");
    sb_puts(source, sb_str(&kgrad));
    sb_puts(source, "}\n");
    if (with_plain) {
        sb_puts(source, "\n");
        prototype(source, &T, ret, dname, darg, 0);
        sb_printf(source, "\n{\n    %s work[%s_WORK > 0 ? %s_WORK : 1];\n    %s%s%s_ws(x%s, %s, work);\n}\n", TY,
                  NAME, NAME, vec ? "" : "return ", name, dname, inarg, darg);
    }
    free(roots);
    if (kval.failed || kgrad.failed)
        source->failed = 1; /* a kernel body was cut short */
    sb_free(&kval);
    sb_free(&kgrad);
    free(T.done);
    codegen_emitter_free(&T.E);
    if (unrolled != CODEGEN_OK)
        return unrolled;
    return g->failed || source->failed || header->failed ? CODEGEN_NO_MEMORY : CODEGEN_OK;
}
