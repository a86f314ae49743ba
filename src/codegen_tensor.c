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
 *
 * A run-time dimension (`dim n <= 256;`) is an argument of every entry
 * point, `size_t dim_n`, after input: arrays keep their largest shape (the
 * strides are the maximum's), and loops along the dimension stop at
 * dim_n.  A size outside 1 .. the maximum makes the kernel fill its
 * outputs with NaN and return NaN without reading anything.  Such loops
 * have no concrete indices, so --unroll is refused for these programs
 * (api_emit.c) and ignored here.
 *
 * Matrix products whose operands are arrays (variables, named values, or
 * transposes of them: X @ W', G' @ X, G @ W) are blocked: a call of the
 * helper sd_gemm (codegen_common.c), whose packing panel is part of the
 * workspace, or with --blas cblas of cblas_dgemm / cblas_sgemm.
 *
 * A loss that is a classification (codegen_batch_classifier: a softmax
 * cross-entropy with integer labels, a sigmoid cross-entropy with 0/1
 * labels) has a third kernel, NAME_scores: the scores whose argmax is the
 * predicted class (the logits, for two classes), which the training
 * program's accuracy reads.
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
    const char *NAME;    /* the macros' prefix                              */
    int gemm;            /* matrix products may be blocked (not --unroll)   */
    int gemm_used;       /* the kernel being written calls sd_gemm / BLAS   */
    int any_gemm;        /* some kernel does: the helper or <cblas.h>       */
    size_t pack;         /* sd_gemm's packing panel, its offset in work[]   */
    StrBuf sizes;        /* the run-time dimensions as parameters:
                            ", size_t dim_n" (empty without them)          */
    StrBuf size_args;    /* the same as arguments: ", dim_n"                */
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

/* A buffer for the bound of a loop: "dim_" and a name. */
typedef char BoundText[300];

/* How far a loop along axis k of s runs, as C: dim_<name> for a run-time
 * dimension, else NULL (the size, *size). */
static const char *run_time_bound(const TE *T, Shape s, int k, size_t *size, BoundText buf) {
    *size = k < s.rank ? (size_t)s.dim[k] : 1;
    if (k >= s.rank || !s.dyn[k])
        return NULL;
    snprintf(buf, sizeof(BoundText), "dim_%s", T->g->dims[s.dyn[k] - 1].name);
    return buf;
}

/* loop() along axis k of s, from lo: up to the run-time dimension's size
 * when the axis is one (never unrolled), else up to the axis's size. */
static void loop_axis(TE *T, const char *var, size_t lo, Shape s, int k, Body body, void *ctx) {
    BoundText buf;
    size_t size;
    const char *dyn = run_time_bound(T, s, k, &size, buf);
    if (!dyn) {
        loop(T, var, lo, size, body, ctx);
        return;
    }
    line(T, "for (size_t %s = %zu; %s < %s; %s++)", var, lo, var, dyn, var);
    T->depth++;
    body(T, (CodegenIndex){var, 0}, ctx);
    T->depth--;
}

/* loop_axis() over all but one of the entries along axis k of s: var
 * from 0 while var + 1 is below the size. */
static void loop_all_but_one(TE *T, const char *var, Shape s, int k, Body body, void *ctx) {
    BoundText buf;
    size_t size;
    const char *dyn = run_time_bound(T, s, k, &size, buf);
    if (!dyn) {
        loop(T, var, 0, size ? size - 1 : 0, body, ctx);
        return;
    }
    line(T, "for (size_t %s = 0; %s + 1 < %s; %s++)", var, var, dyn, var);
    T->depth++;
    body(T, (CodegenIndex){var, 0}, ctx);
    T->depth--;
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
    loop_axis(T, "j", 0, G->shape, 1, grid_col, &H);
}

/* for (i) [for (j)] cell(i, j), row-major. */
static void for_elements(TE *T, Shape s, Cell cell, void *ctx) {
    Grid G = {s, cell, ctx, FIRST};
    loop_axis(T, "i", 0, s, 0, grid_row, &G);
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

typedef struct Product {
    const Node *n, *a, *b;
    CodegenIndex i, j; /* the element being computed (matrix products)   */
} Product;

/* The pieces of the loops over a vector u, or over row `row` of a matrix
 * u, that logsumexp and softmax share: m = max(u) = u_k, s = sum(exp(u -
 * m)) (stored at dst when dst is not NULL), and the division by s.
 *
 * logsumexp(u) = m + log(s) and softmax(u) = exp(u - m)/s: every argument
 * of exp is at most 0, so none overflows, and s >= 1.  The largest term,
 * exp(u_k - m), is exactly 1: s starts at 1 and exp runs over the other
 * n - 1 entries only, q = i + (i >= k) for i < n - 1.  That saves a call,
 * and exp(0) is no call on libm's branch for tiny arguments (glibc: |x| <
 * 2^-54), which data mispredicts wherever the largest entry moves from
 * call to call.  k is found beside m, with integer masks (no branch): k +=
 * (i - k) & -(u_i > m). */
typedef struct Exps {
    const Node *u, *dst, *lse;
    int rows;          /* u is a matrix: the row is `row`, its entries q */
    CodegenIndex row;
} Exps;

/* Entry q of the vector, or of the row. */
static void exps_at(TE *T, const Exps *x, const Node *n, CodegenIndex q, int ctx, int is_slot) {
    CodegenIndex r = x->rows ? x->row : q, c = x->rows ? q : FIRST;
    if (is_slot)
        slot(T, n, r, c);
    else
        ref_at(T, n, r, c, ctx);
}

/* m = u_i > m ? u_i : m: a selection, which gcc and clang compile to
 * maxsd (an if statement is a branch that random data mispredicts); NaN
 * entries are passed over as before. */
static void put_index(TE *T, CodegenIndex i) {
    if (i.var)
        sb_puts(T->E.out, i.var);
    else
        sb_printf(T->E.out, "%zu", i.at);
}

static void body_max(TE *T, CodegenIndex i, void *ctx) {
    const Exps *x = ctx;
    if (i.var) { /* two statements: a block */
        line(T, "{");
        T->depth++;
    }
    indent(T);
    sb_puts(T->E.out, "k += (");
    put_index(T, i);
    sb_puts(T->E.out, " - k) & ((size_t)0 - (size_t)(");
    exps_at(T, x, x->u, i, C_UNARY, 0);
    sb_puts(T->E.out, " > m));\n");
    indent(T);
    sb_puts(T->E.out, "m = ");
    exps_at(T, x, x->u, i, C_UNARY, 0);
    sb_puts(T->E.out, " > m ? ");
    exps_at(T, x, x->u, i, C_UNARY, 0);
    sb_puts(T->E.out, " : m;\n");
    if (i.var) {
        T->depth--;
        line(T, "}");
    }
}

/* The term of entry q = i + (i >= k): every entry but u_k in turn. */
static void body_exp(TE *T, CodegenIndex i, void *ctx) {
    const Exps *x = ctx;
    char text[64];
    if (i.var)
        snprintf(text, sizeof text, "(%s + (%s >= k))", i.var, i.var);
    else
        snprintf(text, sizeof text, "(%zu + (%zu >= k))", i.at, i.at);
    const CodegenIndex q = {text, 0};
    indent(T);
    sb_puts(T->E.out, "s += ");
    if (x->dst) {
        exps_at(T, x, x->dst, q, 0, 1);
        sb_puts(T->E.out, " = ");
    }
    sb_printf(T->E.out, "exp%s(", T->E.fs);
    exps_at(T, x, x->u, q, C_SUM, 0);
    sb_puts(T->E.out, " - m);\n");
}

/* exp(u_i - m) / s as a product by r = 1/s: one division a vector (or
 * row), not one an entry. */
static void body_divide(TE *T, CodegenIndex i, void *ctx) {
    const Exps *x = ctx;
    indent(T);
    exps_at(T, x, x->dst, i, 0, 1);
    sb_puts(T->E.out, " *= r;\n");
}

/* The block of one vector, or of one row (x->row): m, s, the stores. */
static void exps_block(TE *T, CodegenIndex row, void *ctx) {
    Exps x = *(const Exps *)ctx;
    x.row = row;
    const Node *u = x.u;
    int axis = x.rows ? 1 : 0;
    line(T, "{");
    T->depth++;
    indent(T);
    sb_printf(T->E.out, "%s m = ", T->E.T);
    exps_at(T, &x, u, FIRST, 0, 0);
    sb_puts(T->E.out, ", s = ");
    codegen_literal(T->E.out, T->E.ty, 1);
    sb_puts(T->E.out, ";\n");
    line(T, "size_t k = 0;");
    loop_axis(T, x.rows ? "j" : "i", 1, u->shape, axis, body_max, &x);
    loop_all_but_one(T, x.rows ? "j" : "i", u->shape, axis, body_exp, &x);
    if (x.dst) {
        indent(T);
        exps_at(T, &x, x.dst, (CodegenIndex){"k", 0}, 0, 1);
        sb_puts(T->E.out, " = ");
        codegen_literal(T->E.out, T->E.ty, 1);
        sb_puts(T->E.out, ";\n");
    }
    if (x.lse && x.rows) { /* a vector: one logsumexp a row */
        indent(T);
        slot(T, x.lse, row, FIRST);
        sb_printf(T->E.out, " = m + log%s(s);\n", T->E.fs);
    } else if (x.lse) {
        line(T, "t%d = m + log%s(s);", T->E.temp[x.lse->id] - 1, T->E.fs);
    }
    if (x.dst) {
        indent(T);
        sb_printf(T->E.out, "const %s r = ", T->E.T);
        codegen_literal(T->E.out, T->E.ty, 1);
        sb_puts(T->E.out, " / s;\n");
        loop_axis(T, x.rows ? "j" : "i", 0, u->shape, axis, body_divide, &x);
    }
    T->depth--;
    line(T, "}");
}

/* logsumexp(u) = m + log(sum(exp(u - m))), m = max(u), into the scalar
 * lse (NULL: none); softmax(u) = exp(u - m) / sum(exp(u - m)) into the
 * slot of softmax (NULL: none); of a matrix u, of each row (logsumexp is
 * then a vector).  A kernel with both computes the exponentials once. */
static void write_exps(TE *T, const Node *lse, const Node *softmax) {
    const Node *u = lse ? lse->args[0] : softmax->args[0];
    Exps x = {u, softmax, lse, u->shape.rank == 2, FIRST};
    if (lse && !x.rows)
        line(T, "%s t%d;", T->E.T, T->E.temp[lse->id] - 1);
    if (x.rows)
        loop_axis(T, "i", 0, u->shape, 0, exps_block, &x);
    else
        exps_block(T, FIRST, &x);
}

/* The softmax of the same vector or matrix as logsumexp node lse (or the
 * reverse), when the kernel computes both, else NULL. */
static const Node *exps_partner(const TE *T, const Node *n) {
    int kind = n->kind == EX_LOGSUMEXP ? EX_SOFTMAX : EX_LOGSUMEXP;
    const Node *u = n->args[0];
    Shape lse_shape = u->shape.rank == 2 ? shape_vec(shape_axis(u->shape, 0)) : shape_scalar;
    const Node *p = dag_lookup(T->g, (NodeKind)kind, NULL, (Node *const *)&n->args[0], 1,
                               kind == EX_SOFTMAX ? u->shape : lse_shape);
    return p && p->id < T->E.nn && T->E.mark[p->id] && T->E.temp[p->id] ? p : NULL;
}

/* The sums along each row (ROWSUM, [m,k] -> [m]) or down each column
 * (COLSUM, [m,k] -> [k]): for (i) { T s = 0; for (j) s += a; slot(i) = s; } */
static void body_line_sum(TE *T, CodegenIndex q, void *ctx) {
    const Product *p = ctx;
    int rows = p->n->kind == EX_ROWSUM;
    indent(T);
    sb_puts(T->E.out, "s += ");
    ref_at(T, p->a, rows ? p->i : q, rows ? q : p->i, C_SUM);
    sb_puts(T->E.out, ";\n");
}

static void line_sum(TE *T, CodegenIndex i, void *ctx) {
    Product p = *(const Product *)ctx;
    p.i = i;
    line(T, "{");
    T->depth++;
    line(T, "%s s = 0;", T->E.T);
    loop_axis(T, "j", 0, p.a->shape, p.n->kind == EX_ROWSUM ? 1 : 0, body_line_sum, &p);
    indent(T);
    slot(T, p.n, i, FIRST);
    sb_puts(T->E.out, " = s;\n");
    T->depth--;
    line(T, "}");
}

static void write_line_sums(TE *T, const Node *n) {
    Product p = {n, n->args[0], NULL, FIRST, FIRST};
    loop_axis(T, "i", 0, n->shape, 0, line_sum, &p);
}


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
    loop_axis(T, "i", 0, p->b->shape, 1, body_vm_inner, &inner);
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
    loop_axis(T, "q", 0, p.a->shape, 1, body_dot, &p);
    indent(T);
    slot(T, p.n, r, c);
    sb_puts(T->E.out, " = s;\n");
    T->depth--;
    line(T, "}");
}

static int write_gemm(TE *T, const Node *n);

static void write_matmul(TE *T, const Node *n) {
    Product p = {n, n->args[0], n->args[1], FIRST, FIRST};
    if (p.a->shape.rank == 1) { /* x' B: accumulate rows of B, in memory order */
        loop_axis(T, "i", 0, p.b->shape, 1, body_zero, (void *)n);
        loop_axis(T, "q", 0, p.a->shape, 0, body_vm, &p);
        return;
    }
    if (write_gemm(T, n))
        return;
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
            loop_axis(T, "i", 0, item->shape, 0, body_pack, &p);
        }
    }
}

/* --- matrix products at cache speed ----------------------------------------------------
 *
 * A product of two matrices whose operands are arrays (variables, named
 * values in work[] or the output, or transposes of them: X @ W', G' @ X,
 * G @ W) is one call of sd_gemm (codegen_common.c: a panel of op(B) packed
 * into work[], blocks of CODEGEN_GEMM_MR rows of C accumulated in local
 * arrays whose inner loops gcc and clang vectorise), or with --blas cblas
 * of cblas_dgemm / cblas_sgemm.  Small products keep their loops (the
 * panel would cost more than it saves), and so does --unroll. */

enum { GEMM_PACK = CODEGEN_GEMM_KC * CODEGEN_GEMM_NR };

/* A product below this many multiplications (at the largest sizes) keeps
 * its loops. */
#define GEMM_MIN_WORK 4096.0

/* The stack sd_gemm adds beyond a helper's frame: its accumulators, and
 * its arguments in the caller's frame. */
#define GEMM_FRAME ((size_t)CODEGEN_GEMM_MR * CODEGEN_GEMM_NR * 8 * 2 + 1024)

/* A matrix operand of sd_gemm: an array, its offset and row stride, and
 * whether it is read transposed. */
typedef struct GemmOperand {
    const char *base;
    size_t offset, ld;
    int trans;
} GemmOperand;

static int gemm_operand(const TE *T, const Node *n, GemmOperand *op) {
    const Emitter *E = &T->E;
    op->trans = 0;
    if (n->kind == EX_TRANSPOSE) {
        op->trans = 1;
        n = n->args[0];
    }
    if (n->shape.rank != 2)
        return 0;
    op->ld = cols_of(n->shape);
    if (n->kind == EX_VAR) {
        if (E->var_array[n->u.var] < 0)
            return 0;
        op->base = E->var_array[n->u.var] == 1 ? "input" : "x";
        op->offset = E->var_offset[n->u.var];
        return 1;
    }
    if (n->id >= E->nn || !E->temp[n->id])
        return 0;
    op->base = E->home[n->id] == HOME_WORK ? "work" : T->in->out_name;
    op->offset = E->offset[n->id];
    return 1;
}

/* Is matrix product n (named, its operands placed) blocked? */
static int gemm_applies(const TE *T, const Node *n) {
    GemmOperand a, b;
    if (!T->gemm || n->kind != EX_MATMUL || n->shape.rank != 2 || n->args[0]->shape.rank != 2 ||
        n->id >= T->E.nn || !T->E.temp[n->id] || !gemm_operand(T, n->args[0], &a) ||
        !gemm_operand(T, n->args[1], &b))
        return 0;
    double work = (double)rows_of(n->shape) * (double)cols_of(n->shape) * (double)cols_of(n->args[0]->shape);
    return work >= GEMM_MIN_WORK;
}

/* The extent of axis k of s as C: dim_<name> (cast to int for a BLAS), or
 * the number. */
static void gemm_extent(TE *T, Shape s, int k, int blas) {
    BoundText buf;
    size_t size;
    const char *dyn = run_time_bound(T, s, k, &size, buf);
    if (dyn)
        sb_printf(T->E.out, "%s%s", blas ? "(int)" : "", dyn);
    else
        sb_printf(T->E.out, "%zu", size);
}

/* The call of sd_gemm (or of cblas_?gemm) computing product n, or 0 when
 * n keeps its loops. */
static int write_gemm(TE *T, const Node *n) {
    GemmOperand a, b;
    if (!gemm_applies(T, n))
        return 0;
    gemm_operand(T, n->args[0], &a);
    gemm_operand(T, n->args[1], &b);
    const char *cbase = T->E.home[n->id] == HOME_WORK ? "work" : T->in->out_name;
    size_t coff = T->E.offset[n->id], ldc = cols_of(n->shape);
    StrBuf *o = T->E.out;
    T->any_gemm = 1;
    if (T->opt->blas) { /* C = 1 op(A) op(B) + 0 C, row-major */
        indent(T);
        sb_printf(o, "cblas_%sgemm(CblasRowMajor, %s, %s, ", T->E.ty->size == 4 ? "s" : "d",
                  a.trans ? "CblasTrans" : "CblasNoTrans", b.trans ? "CblasTrans" : "CblasNoTrans");
        gemm_extent(T, n->shape, 0, 1);
        sb_puts(o, ", ");
        gemm_extent(T, n->shape, 1, 1);
        sb_puts(o, ", ");
        gemm_extent(T, n->args[0]->shape, 1, 1);
        sb_printf(o, ", 1, %s + %zu, %zu, %s + %zu, %zu, 0, %s + %zu, %zu);\n", a.base, a.offset, a.ld, b.base,
                  b.offset, b.ld, cbase, coff, ldc);
        return 1;
    }
    T->E.helpers |= CODEGEN_HELPER_BIT(CH_GEMM);
    line(T, "{");
    T->depth++;
    indent(T);
    sb_printf(o, "const sd_gemm%s_args g = {", T->E.fs);
    gemm_extent(T, n->shape, 0, 0);
    sb_puts(o, ", ");
    gemm_extent(T, n->shape, 1, 0);
    sb_puts(o, ", ");
    gemm_extent(T, n->args[0]->shape, 1, 0);
    sb_printf(o, ", %s + %zu, %zu, %d, %s + %zu, %zu, %d, %s + %zu, %zu, work + %zu};\n", a.base, a.offset, a.ld,
              a.trans, b.base, b.offset, b.ld, b.trans, cbase, coff, ldc, T->pack);
    indent(T);
    codegen_helper_name(o, CH_GEMM, T->E.ty);
    sb_puts(o, "(&g);\n");
    T->depth--;
    line(T, "}");
    return 1;
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
    case EX_ROWSUM:
    case EX_COLSUM:
        write_line_sums(T, n);
        return;
    case EX_ROWS:
    case EX_COLS:
    case EX_ONEHOT:
    case EX_DIM:
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
    /* one packing panel for every sd_gemm call of the kernel */
    T->gemm_used = 0;
    for (size_t id = 0; id < E->nn && !T->gemm_used; id++)
        T->gemm_used = E->mark[id] && gemm_applies(T, T->g->nodes[id]);
    if (T->gemm_used && !T->opt->blas) {
        T->pack = T->work;
        T->work += GEMM_PACK;
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

/* The first statements of a kernel with run-time dimensions: a size out
 * of range fills the output (`count` elements, a C expression) with NaN
 * and returns NaN when the kernel returns a value. */
static void write_size_check(TE *T, const char *count, int ret) {
    const Graph *g = T->g;
    StrBuf *k = T->E.out;
    if (g->ndims == 0)
        return;
    sb_puts(k, "    if (");
    for (int d = 0; d < g->ndims; d++)
        sb_printf(k, "%sdim_%s < 1 || dim_%s > %s_MAX_%s", d ? " || " : "", g->dims[d].name, g->dims[d].name,
                  T->NAME, g->dims[d].name);
    sb_puts(k, ") {\n");
    if (count)
        sb_printf(k, "        for (size_t i = 0; i < %s; i++)\n            %s[i] = (%s)NAN;\n", count,
                  T->E.out_name, T->E.T);
    if (ret)
        sb_printf(k, "        return (%s)NAN;\n    }\n", T->E.T);
    else
        sb_puts(k, "        return;\n    }\n");
}

/* One kernel: plans it, writes every named node, then stores the roots
 * (each contiguous in the output, row-major, at its offset) and returns
 * `ret` (NULL: nothing).  `count` is the output's size (for the check of
 * the run-time dimensions). */
static void write_kernel(TE *T, StrBuf *out, Node *const *roots, int nroots, int nstored, int out_direct,
                         const Node *ret, const char *count) {
    Emitter *E = &T->E;
    E->out = out;
    codegen_plan(E, roots, nroots);
    place(T, roots, nroots, out_direct);
    memset(T->done, 0, E->nn);
    T->depth = 0;
    write_size_check(T, count, ret != NULL);
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

/* One entry point's prototype: name<suffix>[_ws], the run-time
 * dimensions after input. */
static void prototype(StrBuf *sb, const TE *T, const char *ret, const char *suffix, const char *out, int ws) {
    char full[32];
    snprintf(full, sizeof full, "%s%s", suffix, ws ? "_ws" : "");
    codegen_prototype_sizes(sb, T->E.ty, 0, ret, T->opt->name, full, T->in->ninputs > 0,
                            T->sizes.len ? sb_str(&T->sizes) : NULL, out, ws);
}

/* The parameters and arguments of the run-time dimensions (T->sizes,
 * T->size_args), and their macros NAME_MAX_<dim> and documentation in the
 * header. */
static void write_sizes(TE *T, StrBuf *header_doc, StrBuf *header_macros) {
    const Graph *g = T->g;
    const char *NAME = T->NAME;
    for (int d = 0; d < g->ndims; d++) {
        sb_printf(&T->sizes, ", size_t dim_%s", g->dims[d].name);
        sb_printf(&T->size_args, ", dim_%s", g->dims[d].name);
        sb_printf(header_macros, "#define %s_MAX_%s %d /* the largest dim_%s */\n", NAME, g->dims[d].name,
                  g->dims[d].max, g->dims[d].name);
    }
    if (g->ndims == 0)
        return;
    sb_puts(header_doc, " *\n * Run-time dimensions, arguments of every entry point after input:\n");
    for (int d = 0; d < g->ndims; d++)
        sb_printf(header_doc, " *   size_t dim_%s   %s, from 1 to %s_MAX_%s (%d)\n", g->dims[d].name, g->dims[d].name,
                  NAME, g->dims[d].name, g->dims[d].max);
    sb_puts(header_doc, " * An array with one keeps its largest shape, as laid out above: only the\n"
                        " * first dim_<name> rows (or columns) along it are read, so one buffer serves\n"
                        " * every size.  A size outside its range makes an entry point fill its\n"
                        " * outputs with NaN and return NaN, reading nothing.\n");
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
    T.NAME = NAME;
    T.unroll = opt->unroll && g->ndims == 0;
    T.gemm = !T.unroll;
    StrBuf size_doc, size_macros;
    sb_init(&T.sizes);
    sb_init(&T.size_args);
    sb_init(&size_doc);
    sb_init(&size_macros);
    write_sizes(&T, &size_doc, &size_macros);
    char count[2 * CODEGEN_MAX_NAME + 32];

    /* the kernels, each into its own buffer (their workspace sizes are
     * known once they are planned) */
    StrBuf kval, kgrad;
    sb_init(&kval);
    sb_init(&kgrad);
    /* the sides of the magnitudes, over the roots of every kernel: the
     * value, the derivatives and the scores */
    {
        Node **every = malloc((size_t)(in->nderivs + 2) * sizeof *every);
        T.E.out = &kval;
        if (every) {
            int at = 0;
            every[at++] = in->output;
            for (int k = 0; k < in->nderivs; k++)
                every[at++] = in->derivs[k];
            if (in->scores.scores)
                every[at++] = (Node *)in->scores.scores;
            codegen_plan_sides(&T.E, every, at);
        } else {
            kval.failed = 1;
        }
        free(every);
    }
    TensorCodegenInput vin = *in;
    size_t zero = 0;
    vin.root_offset = &zero;
    vin.out_name = "y";
    T.in = &vin;
    T.E.out_name = vin.out_name;
    Node *y = in->output;
    snprintf(count, sizeof count, "%s_NOUT", NAME);
    write_kernel(&T, &kval, &y, 1, vec, vec, vec ? NULL : y, vec ? count : NULL);
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
        if (vec)
            snprintf(count, sizeof count, "%s_NOUT * %s_NVARS", NAME, NAME);
        else
            snprintf(count, sizeof count, "%s_NVARS", NAME);
        write_kernel(&T, &kgrad, roots, in->nderivs + !vec, in->nderivs, 1, vec ? NULL : y, count);
    }
    size_t work_grad = T.work;
    size_t work = work_grad > work_val ? work_grad : work_val;
    long nodes_grad = T.nodes, scalars_grad = T.scalars;

    /* a classification's scores (codegen_batch_classifier): the rows of S,
     * the value's own subexpression, into scores[] */
    StrBuf kscore;
    sb_init(&kscore);
    Node *score = (Node *)in->scores.scores;
    size_t nscores = score ? numel(score->shape) : 0, work_score = 0;
    long nodes_score = 0, scalars_score = 0;
    TensorCodegenInput score_in = *in;
    if (score && !T.too_big) {
        score_in.root_offset = &zero;
        score_in.out_name = "scores";
        T.in = &score_in;
        T.E.out_name = score_in.out_name;
        snprintf(count, sizeof count, "%s_NSCORES", NAME);
        write_kernel(&T, &kscore, &score, 1, 1, 1, NULL, count);
        work_score = T.work;
        nodes_score = T.nodes;
        scalars_score = T.scalars;
        if (work_score > work)
            work = work_score;
        T.in = in;
        T.E.out_name = in->out_name;
    }
    CodegenStatus unrolled = T.too_big ? CODEGEN_TOO_LARGE : CODEGEN_OK;
    /* the stack: the _ws variants' frames, and the plain entry points',
     * which add the workspace and call them; above the budget only the
     * _ws variants are written */
    size_t ws = ws_stack(scalars_val, nodes_val);
    if (ws_stack(scalars_grad, nodes_grad) > ws)
        ws = ws_stack(scalars_grad, nodes_grad);
    if (score && ws_stack(scalars_score, nodes_score) > ws)
        ws = ws_stack(scalars_score, nodes_score);
    if (T.any_gemm && !opt->blas)
        ws += GEMM_FRAME;
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
    sb_puts(header, CODEGEN_ENTRY_POINTS_HEADING);
    /* the arguments as the documentation writes them: input and the sizes */
    StrBuf args;
    sb_init(&args);
    sb_printf(&args, "%s%s", inarg, sb_str(&T.size_args));
    const char *a = sb_str(&args);
    if (vec) {
        sb_printf(header, " *   void %s(x%s, y)          the value, y[%s_NOUT]\n", name, a, NAME);
        sb_printf(header, " *   void %s_jac(x%s, J)      the Jacobian, row-major %s_NOUT x %s_NVARS:\n"
                          " *                            J[i * %s_NVARS + k] = d y[i] / d x[k]\n",
                  name, a, NAME, NAME, NAME);
    } else {
        sb_printf(header, " *   %s %s(x%s)              the value\n", TY, name, a);
        sb_printf(header, " *   %s %s_grad(x%s, grad)   fills grad[%s_NVARS] (laid out like x), returns\n"
                          " *                            the value\n",
                  TY, name, a, NAME);
    }
    if (score && in->scores.classes > 1)
        sb_printf(header, " *   void %s_scores(x%s, scores)\n"
                          " *                            the scores of the classification, row-major\n"
                          " *                            %s_NSCORES = rows x %s_NCLASSES: the largest\n"
                          " *                            of a row is its predicted class (%s's labels)\n",
                  name, a, NAME, NAME, g->vars[in->scores.labels].name);
    else if (score)
        sb_printf(header, " *   void %s_scores(x%s, scores)\n"
                          " *                            the logits of the classification, one a row\n"
                          " *                            (%s_NSCORES; %s_NCLASSES is 1): class 1 of %s\n"
                          " *                            where >= 0 (probability sigmoid >= 1/2)\n",
                  name, a, NAME, NAME, g->vars[in->scores.labels].name);
    if (args.failed)
        header->failed = 1;
    sb_free(&args);
    if (opt->unroll)
        sb_puts(header, " * Unrolled (--unroll): straight-line code without loops.\n");
    /* the entry points that take the workspace: "f_ws, f_grad_ws[, f_scores_ws]" */
    char wsnames[3 * CODEGEN_MAX_NAME + 48];
    snprintf(wsnames, sizeof wsnames, "%s_ws, %s%s_ws%s%s%s", name, name, dname, score ? ", " : "",
             score ? name : "", score ? "_scores_ws" : "");
    if (with_plain)
        sb_printf(header, " * Each uses a workspace of %s_WORK elements on the stack; the _ws\n"
                          " * variants (%s) take it from the caller instead.\n",
                  NAME, wsnames);
    else
        sb_printf(header, " * Only the _ws variants exist, %s: they take a workspace\n"
                          " * of %s_WORK elements (%zu bytes) from the caller.  On the stack it would\n"
                          " * exceed symdiff's stack budget of %zu bytes, so %s and %s%s%s, which would\n"
                          " * put it there, are not generated.\n",
                  wsnames, NAME, work_bytes, CODEGEN_STACK_BUDGET, name, name, dname, score ? " (and _scores)" : "");
    sb_puts(header, sb_str(&size_doc));
    if (T.any_gemm && opt->blas)
        sb_printf(header, " *\n * Products of matrices call cblas_%sgemm (--blas cblas): link with a CBLAS,\n"
                          " * such as OpenBLAS (-lopenblas), or Debian's -lblas, which whatever BLAS is\n"
                          " * installed provides (OpenBLAS's when it is).  The stack bound leaves out\n"
                          " * the BLAS's own frames.\n",
                  T.E.ty->size == 4 ? "s" : "d");
    else if (opt->blas)
        sb_puts(header, " *\n * --blas cblas: no product here is large enough to call a BLAS (4096\n"
                        " * multiplications), so these kernels need none.\n");
    codegen_header_aliasing(header, name, dname, vec ? "y, J and work" : "grad and work");
    codegen_header_stack(header, name, stack);
    sb_puts(header, " */\n");
    codegen_header_open(header, name);
    sb_printf(header, "#define %s_NVARS %zu\n#define %s_NINPUTS %zu\n#define %s_NOUT %zu\n#define %s_WORK %zu\n",
              NAME, nx, NAME, ni, NAME, nout, NAME, work);
    sb_printf(header, "#define %s_STACK_BYTES %zu\n", NAME, stack);
    if (score)
        sb_printf(header, "#define %s_NCLASSES %d\n#define %s_NSCORES %zu\n", NAME, in->scores.classes, NAME,
                  nscores);
    sb_puts(header, sb_str(&size_macros));
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
        if (score) {
            prototype(header, &T, "void", "_scores", "scores", ws_variant);
            sb_puts(header, ";\n");
        }
    }
    codegen_header_close(header, name);

    /* source */
    sb_printf(source, "/* %s.c — generated by symdiff %s; do not edit.  See %s. */\n", name, opt->version,
              opt->header_file);
    sb_puts(source, "#include <math.h>\n#include <stddef.h>\n\n");
    if (T.any_gemm && opt->blas)
        sb_puts(source, "#include <cblas.h> /* --blas cblas: link with a CBLAS (-lopenblas, or -lblas) */\n\n");
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
        sb_printf(source, "\n{\n    %s work[%s_WORK > 0 ? %s_WORK : 1];\n    %s%s_ws(x%s%s%s, work);\n}\n\n", TY,
                  NAME, NAME, vec ? "" : "return ", name, inarg, sb_str(&T.size_args), vec ? ", y" : "");
    }
    prototype(source, &T, ret, dname, darg, 1);
    sb_puts(source, "\n{\n");
    if (work_grad == 0)
        sb_puts(source, "    (void)work;\n");
    sb_puts(source, sb_str(&kgrad));
    sb_puts(source, "}\n");
    if (with_plain) {
        sb_puts(source, "\n");
        prototype(source, &T, ret, dname, darg, 0);
        sb_printf(source, "\n{\n    %s work[%s_WORK > 0 ? %s_WORK : 1];\n    %s%s%s_ws(x%s%s, %s, work);\n}\n",
                  TY, NAME, NAME, vec ? "" : "return ", name, dname, inarg, sb_str(&T.size_args), darg);
    }
    if (score) {
        sb_puts(source, "\n");
        prototype(source, &T, "void", "_scores", "scores", 1);
        sb_printf(source, "\n{\n%s%s}\n", work_score ? "" : "    (void)work;\n", sb_str(&kscore));
        if (with_plain) {
            sb_puts(source, "\n");
            prototype(source, &T, "void", "_scores", "scores", 0);
            sb_printf(source, "\n{\n    %s work[%s_WORK > 0 ? %s_WORK : 1];\n    %s_scores_ws(x%s%s, scores, work);\n}\n",
                      TY, NAME, NAME, name, inarg, sb_str(&T.size_args));
        }
    }
    free(roots);
    if (kval.failed || kgrad.failed || kscore.failed || T.sizes.failed || T.size_args.failed || size_doc.failed ||
        size_macros.failed)
        source->failed = 1; /* a kernel body was cut short */
    sb_free(&kval);
    sb_free(&kgrad);
    sb_free(&kscore);
    sb_free(&T.sizes);
    sb_free(&T.size_args);
    sb_free(&size_doc);
    sb_free(&size_macros);
    free(T.done);
    codegen_emitter_free(&T.E);
    if (unrolled != CODEGEN_OK)
        return unrolled;
    return g->failed || source->failed || header->failed ? CODEGEN_NO_MEMORY : CODEGEN_OK;
}
