/* SPDX-License-Identifier: MIT */
/*
 * codegen_tensor.c — C code for programs with vectors and matrices.
 *
 * Consumes the function and its gradient (or Jacobian) as tensor DAG roots;
 * produces a C99 source and header that depend only on <math.h>.  Every
 * variable is one flat row-major block: the parameters in x[], the data in
 * input[], at offsets the header names.  Each kernel walks the nodes in id
 * (topological) order:
 *   - scalar nodes become `const T t<id>` temporaries;
 *   - a tensor node is materialised (a loop filling its slot of the
 *     workspace, or its place in the output) when it is shared, a root, a
 *     matrix product, a literal or a softmax, or read several times per
 *     element by its user (the operands of products);
 *   - every other tensor node is fused: its element expression is written
 *     inside its user's loop (elementwise maps, transposes and rows as
 *     index arithmetic, outer products as a[i]*b[j], constants).
 * The workspace is work[PREFIX_WORK] on the stack, or the caller's memory in
 * the _ws variants; nothing is allocated.  Where the plain entry points'
 * frame would exceed CODEGEN_STACK_BUDGET only the _ws variants exist.
 * Offsets, loop counters and subscripts are size_t: an array may hold
 * more than INT_MAX elements.
 *
 * A run-time dimension (`dim n <= 256;`) is an argument of every entry
 * point, `size_t dim_n`, after input: arrays keep their largest shape (the
 * strides are the maximum's), and loops along the dimension stop at
 * dim_n.  A size outside 1 .. the maximum makes the kernel fill its
 * outputs with NaN and return NaN without reading anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "codegen_common.h"

enum { HOME_INLINE, HOME_WORK, HOME_OUT };

typedef struct TE {
    Graph *g;
    const TensorCodegenInput *in;
    const CodegenOptions *opt;
    const CodegenType *ty;
    const char *T;       /* ty->name                                      */
    StrBuf *out;
    unsigned char *mark;
    unsigned *users;
    unsigned char *home;
    size_t *offset;      /* HOME_WORK: in work[]; HOME_OUT: in the output */
    size_t work;         /* elements of work[] this kernel needs          */
    size_t *var_offset;  /* by variable: offset in x[] or input[]        */
    unsigned helpers;    /* bit 1 << CodegenHelper: the sd_ helpers used   */
    long nodes;          /* nodes written by the kernel (for its stack)   */
    long scalars;        /* of them, scalars: the temporaries t<id>       */
    int gemm;            /* matrix products may call sd_gemm (not --unroll) */
    int gemm_used;       /* this kernel calls it                          */
    size_t pack;         /* its packing buffer's offset in work[]         */
    int any_gemm;        /* some kernel calls it: the helper is written   */
    StrBuf sizes;        /* the parameters of the run-time dimensions:
                            ", size_t dim_n" (empty without them)         */
    StrBuf size_args;    /* the same as arguments: ", dim_n"              */
} TE;

static const char *fsuffix(const TE *E) { return E->ty->suffix; }

static void literal(const TE *E, StrBuf *sb, double v) { codegen_literal(sb, E->ty, v); }

static int is_view(const Node *n) {
    return n->kind == EX_TRANSPOSE || (n->kind == EX_INDEX && n->shape.rank == 1);
}

static size_t rows_of(Shape s) { return s.rank >= 1 ? (size_t)s.dim[0] : 1; }
static size_t cols_of(Shape s) { return s.rank == 2 ? (size_t)s.dim[1] : 1; }
static size_t numel(Shape s) { return rows_of(s) * cols_of(s); }

/* How far a loop along axis k of s runs, as C: the size, or dim_<name>
 * for a run-time dimension.  Returns buf. */
static const char *extent(const TE *E, Shape s, int k, char *buf, size_t size) {
    if (k < s.rank && s.dyn[k])
        snprintf(buf, size, "dim_%s", E->g->dims[s.dyn[k] - 1].name);
    else
        snprintf(buf, size, "%zu", k >= s.rank ? (size_t)1 : (size_t)s.dim[k]);
    return buf;
}

/* A buffer for extent(): "dim_" and a name of at most AST_MAX_NAME. */
typedef char ExtentText[300];

/* Is text a number (a constant subscript), and which? */
static int constant_index(const char *text, size_t *value) {
    char *end;
    if (!*text || *text < '0' || *text > '9')
        return 0;
    unsigned long long v = strtoull(text, &end, 10);
    *value = (size_t)v;
    return *end == '\0';
}

static void elem(TE *E, const Node *n, const char *r, const char *c, StrBuf *sb);

/* The value of a scalar node: a literal, x[k] or a temporary. */
static void scalar_ref(TE *E, const Node *n, StrBuf *sb) {
    if (n->kind == EX_CONST) {
        sb_putc(sb, '(');
        literal(E, sb, num_value(n->num[0]));
        sb_putc(sb, ')');
    } else if (n->kind == EX_VAR) {
        const Var *v = &E->g->vars[n->u.var];
        sb_printf(sb, "%s[%zu]", v->role == VAR_PARAM ? "x" : "input", E->var_offset[n->u.var]);
    } else if (n->kind == EX_CALL && n->u.fn == BI_PI) {
        literal(E, sb, 3.14159265358979323846);
    } else if (n->kind == EX_DIM) {
        sb_printf(sb, "((%s)dim_%s)", E->T, E->g->dims[n->u.dim].name);
    } else {
        sb_printf(sb, "t%u", (unsigned)n->id);
    }
}

/* An argument of an elementwise node at element (r, c): scalars broadcast. */
static void arg_at(TE *E, const Node *a, const char *r, const char *c, StrBuf *sb) {
    if (a->shape.rank == 0)
        scalar_ref(E, a, sb);
    else
        elem(E, a, r, c, sb);
}

/* The function computing builtin fn, in the kernel's type: a libm
 * function or an sd_ helper (marked as used). */
static void function_name(TE *E, Builtin fn, StrBuf *sb) {
    CodegenHelper h = codegen_helper_of(fn);
    if (h != CH_COUNT) {
        E->helpers |= 1u << h;
        codegen_helper_name(sb, h, E->ty);
    } else if (codegen_libm_name(fn)) {
        sb_printf(sb, "%s%s", codegen_libm_name(fn), fsuffix(E));
    }
}

/* The expression of an elementwise node at element (r, c). */
static void elementwise(TE *E, const Node *n, const char *r, const char *c, StrBuf *sb) {
    switch ((NodeKind)n->kind) {
    case EX_ADD:
    case EX_MUL:
        sb_putc(sb, '(');
        for (int k = 0; k < n->nargs; k++) {
            if (k)
                sb_puts(sb, n->kind == EX_ADD ? " + " : " * ");
            arg_at(E, n->args[k], r, c, sb);
        }
        sb_putc(sb, ')');
        return;
    case EX_POW: {
        const Node *e = n->args[1];
        double k = e->kind == EX_CONST ? num_value(e->num[0]) : 0.5 + 0.25; /* 0.75: not special */
        if (k == 2 || k == 3) { /* small powers as products */
            sb_putc(sb, '(');
            for (int i = 0; i < (int)k; i++) {
                if (i)
                    sb_puts(sb, " * ");
                arg_at(E, n->args[0], r, c, sb);
            }
            sb_putc(sb, ')');
        } else if (k == -1 || k == 0.5 || k == -0.5) {
            sb_puts(sb, k == -1 ? "(1 / " : k == 0.5 ? "sqrt" : "(1 / sqrt");
            if (k != -1)
                sb_puts(sb, fsuffix(E));
            sb_putc(sb, '(');
            arg_at(E, n->args[0], r, c, sb);
            sb_puts(sb, k == 0.5 ? ")" : "))");
        } else {
            sb_printf(sb, "pow%s(", fsuffix(E));
            arg_at(E, n->args[0], r, c, sb);
            sb_puts(sb, ", ");
            arg_at(E, e, r, c, sb);
            sb_putc(sb, ')');
        }
        return;
    }
    case EX_CALL: {
        if (n->u.fn == BI_PI) {
            literal(E, sb, 3.14159265358979323846);
            return;
        }
        function_name(E, (Builtin)n->u.fn, sb);
        sb_putc(sb, '(');
        for (int k = 0; k < n->nargs; k++) {
            if (k)
                sb_puts(sb, ", ");
            arg_at(E, n->args[k], r, c, sb);
        }
        sb_putc(sb, ')');
        return;
    }
    default:
        return;
    }
}

/* Element (r, c) of tensor node n (a vector uses r only). */
static void elem(TE *E, const Node *n, const char *r, const char *c, StrBuf *sb) {
    size_t cols = cols_of(n->shape);
    if (n->kind == EX_VAR || E->home[n->id] != HOME_INLINE) {
        size_t off = n->kind == EX_VAR ? E->var_offset[n->u.var] : E->offset[n->id];
        const char *base = n->kind == EX_VAR ? (E->g->vars[n->u.var].role == VAR_PARAM ? "x" : "input")
                           : E->home[n->id] == HOME_WORK ? "work"
                                                         : E->in->out_name;
        /* constant parts folded here, in size_t: the C never multiplies
         * two int constants (which would overflow past INT_MAX) */
        size_t kr, kc;
        int rk = constant_index(r, &kr), ck = n->shape.rank == 2 && constant_index(c, &kc);
        if (rk)
            off += kr * cols;
        if (ck)
            off += kc;
        sb_printf(sb, "%s[%zu", base, off);
        if (!rk)
            sb_printf(sb, n->shape.rank == 2 ? " + (%s) * %zu" : " + (%s)", r, cols);
        if (n->shape.rank == 2 && !ck)
            sb_printf(sb, " + (%s)", c);
        sb_putc(sb, ']');
        return;
    }
    char buf[64];
    switch ((NodeKind)n->kind) {
    case EX_ADD:
    case EX_MUL:
    case EX_POW:
    case EX_CALL:
        elementwise(E, n, r, c, sb);
        return;
    case EX_FILL:
        scalar_ref(E, n->args[0], sb);
        return;
    case EX_TRANSPOSE:
        elem(E, n->args[0], c, r, sb);
        return;
    case EX_OUTER:
        sb_putc(sb, '(');
        elem(E, n->args[0], r, "0", sb);
        sb_puts(sb, " * ");
        elem(E, n->args[1], c, "0", sb);
        sb_putc(sb, ')');
        return;
    case EX_INDEX: /* a row of a matrix */
        snprintf(buf, sizeof buf, "%d", n->u.index);
        elem(E, n->args[0], buf, r, sb);
        return;
    case EX_ROWS: /* b in every row: element (i, j) is b[j] */
        elem(E, n->args[0], c, "0", sb);
        return;
    case EX_COLS: /* v in every column: element (i, j) is v[i] */
        elem(E, n->args[0], r, "0", sb);
        return;
    case EX_ONEHOT: { /* 1 where the row's label is the column (see sd_onehot) */
        ExtentText k;
        E->helpers |= 1u << CH_ONEHOT;
        codegen_helper_name(sb, CH_ONEHOT, E->ty);
        sb_putc(sb, '(');
        elem(E, n->args[0], n->shape.rank == 2 ? r : "0", "0", sb);
        sb_printf(sb, ", %s, %s)", n->shape.rank == 2 ? c : r, extent(E, n->shape, n->shape.rank - 1, k, sizeof k));
        return;
    }
    case EX_SCATTER: {
        const Node *v = n->args[0];
        if (n->shape.rank == 2 && v->shape.rank == 0)
            sb_printf(sb, "((%s) * %zu + (%s) == %d ? ", r, cols, c, n->u.index);
        else
            sb_printf(sb, "((%s) == %d ? ", r, n->u.index);
        if (v->shape.rank == 0)
            scalar_ref(E, v, sb);
        else
            elem(E, v, c, "0", sb);
        sb_puts(sb, " : 0)");
        return;
    }
    default:
        sb_puts(sb, "0");
        return;
    }
}

/* for (i) [for (j)] { body with element (i, j) } */
static void open_loops(TE *E, Shape s) {
    ExtentText r, c;
    sb_printf(E->out, "    for (size_t i = 0; i < %s; i++)\n", extent(E, s, 0, r, sizeof r));
    if (s.rank == 2)
        sb_printf(E->out, "        for (size_t j = 0; j < %s; j++)\n", extent(E, s, 1, c, sizeof c));
}

/* The reductions of a row: m = max, s = sum(exp(u - m)) of the row of
 * vector or matrix a at row index `row` (a matrix: "i"; a vector: "0"),
 * as a block opening with its declarations; the caller closes it. */
static void row_max_and_sum(TE *E, const Node *a, const char *row, int store_exp, const char *dst) {
    StrBuf *o = E->out;
    ExtentText len;
    int m2 = a->shape.rank == 2;
    const char *r = m2 ? row : "q", *c = m2 ? "q" : "0";
    extent(E, a->shape, m2 ? 1 : 0, len, sizeof len);
    sb_printf(o, "    {\n        %s m = ", E->T);
    elem(E, a, m2 ? row : "0", "0", o);
    sb_printf(o, ", s = 0;\n        for (size_t q = 1; q < %s; q++)\n            if (", len);
    elem(E, a, r, c, o);
    sb_puts(o, " > m)\n                m = ");
    elem(E, a, r, c, o);
    sb_printf(o, ";\n        for (size_t q = 0; q < %s; q++)\n            s += ", len);
    if (store_exp)
        sb_printf(o, "%s = ", dst);
    sb_printf(o, "exp%s(", fsuffix(E));
    elem(E, a, r, c, o);
    sb_puts(o, " - m);\n");
}

/* --- matrix products at cache speed ----------------------------------------------------
 *
 * A product of two matrices whose operands are arrays (variables, values
 * in work[] or the output, or transposes of them: X @ W', G' @ X, G @ W)
 * calls sd_gemm, written once into the source: op(B) is copied, KC rows by
 * NR columns at a time, into a panel in work[] (GEMM_PACK elements), and
 * each block of MR rows of C is accumulated over the panel in MR x NR
 * local accumulators.  The innermost loops run over the NR columns of a
 * panel row, contiguous and of fixed length, which gcc and clang vectorise
 * at -O2 and -O3 (with -march=native at the machine's width) without
 * reassociating any sum; everything else is plain loops.  Small products
 * keep the loops of emit_node (the panel would cost more than it saves). */

/* The block sizes, in the text of sd_gemm too: MR rows of C by NR
 * columns, over panels of KC rows of op(B).  (gemm_text's micro-kernel
 * is written out for MR = 4.) */
#define GEMM_MR 4
#define GEMM_NR 16
#define GEMM_KC 256
#define GEMM_TEXT_(x) #x
#define GEMM_TEXT(x) GEMM_TEXT_(x)
#define GEMM_MR_S GEMM_TEXT(GEMM_MR)
#define GEMM_NR_S GEMM_TEXT(GEMM_NR)
#define GEMM_KC_S GEMM_TEXT(GEMM_KC)
enum { GEMM_PACK = GEMM_KC * GEMM_NR };

/* A product below this many multiplications (at the largest sizes) keeps
 * its loops. */
#define GEMM_MIN_WORK 4096.0

/* The stack sd_gemm adds beyond a helper's frame: its accumulators, and
 * its arguments in the caller's frame. */
#define GEMM_FRAME ((size_t)GEMM_MR * GEMM_NR * 8 * 2 + 1024)

static const char gemm_text[] =
    "/* C = op(A) op(B): C is m x n with row stride ldc; op(A) is m x k, A[i*lda + q]\n"
    " * (ta = 0) or A[q*lda + i] (ta = 1); op(B) is k x n, B[q*ldb + j] (tb = 0) or\n"
    " * B[j*ldb + q] (tb = 1).  pack holds " GEMM_KC_S " x " GEMM_NR_S " elements: a panel of op(B), " GEMM_KC_S " rows of\n"
    " * " GEMM_NR_S " columns, copied once and read by every block of " GEMM_MR_S " rows of C.  The sums\n"
    " * run in order over q within each panel: nothing is reassociated.  The\n"
    " * arguments come in a struct (twelve would not all travel in registers). */\n"
    "typedef struct sd_gemm$F_args {\n"
    "    size_t m, n, k;\n"
    "    const $T *a;\n    size_t lda;\n    int ta;\n"
    "    const $T *b;\n    size_t ldb;\n    int tb;\n"
    "    $T *c;\n    size_t ldc;\n"
    "    $T *pack;\n"
    "} sd_gemm$F_args;\n\n"
    "static void sd_gemm$F(const sd_gemm$F_args *g)\n"
    "{\n"
    "    const size_t m = g->m, n = g->n, k = g->k, lda = g->lda, ldb = g->ldb, ldc = g->ldc;\n"
    "    const int ta = g->ta, tb = g->tb;\n"
    "    const $T *a = g->a, *b = g->b;\n"
    "    $T *SD_RESTRICT c = g->c, *SD_RESTRICT pack = g->pack;\n"
    "    const size_t ai = ta ? 1 : lda, aq = ta ? lda : 1;\n"
    "    for (size_t j0 = 0; j0 < n; j0 += " GEMM_NR_S ") {\n"
    "        const size_t nr = n - j0 < " GEMM_NR_S " ? n - j0 : " GEMM_NR_S ";\n"
    "        for (size_t q0 = 0; q0 < k; q0 += " GEMM_KC_S ") {\n"
    "            const size_t kc = k - q0 < " GEMM_KC_S " ? k - q0 : " GEMM_KC_S ";\n"
    "            for (size_t q = 0; q < kc; q++)\n"
    "                for (size_t jj = 0; jj < " GEMM_NR_S "; jj++)\n"
    "                    pack[q * " GEMM_NR_S " + jj] = jj >= nr ? $0 : tb ? b[(j0 + jj) * ldb + q0 + q] : b[(q0 + q) * ldb + j0 + jj];\n"
    "            size_t i0 = 0;\n"
    "            for (; i0 + " GEMM_MR_S " <= m; i0 += " GEMM_MR_S ") {\n"
    "                $T c0[" GEMM_NR_S "] = {$0}, c1[" GEMM_NR_S "] = {$0}, c2[" GEMM_NR_S "] = {$0}, c3[" GEMM_NR_S "] = {$0};\n"
    "                const $T *ap = a + i0 * ai + q0 * aq;\n"
    "                for (size_t q = 0; q < kc; q++) {\n"
    "                    const $T *bq = pack + q * " GEMM_NR_S ";\n"
    "                    const $T a0 = ap[q * aq], a1 = ap[ai + q * aq], a2 = ap[2 * ai + q * aq], a3 = ap[3 * ai + q * aq];\n"
    "                    for (size_t jj = 0; jj < " GEMM_NR_S "; jj++) {\n"
    "                        c0[jj] += a0 * bq[jj];\n"
    "                        c1[jj] += a1 * bq[jj];\n"
    "                        c2[jj] += a2 * bq[jj];\n"
    "                        c3[jj] += a3 * bq[jj];\n"
    "                    }\n"
    "                }\n"
    "                $T *cp = c + i0 * ldc + j0;\n"
    "                for (size_t jj = 0; jj < nr; jj++) {\n"
    "                    cp[jj] = (q0 ? cp[jj] : $0) + c0[jj];\n"
    "                    cp[ldc + jj] = (q0 ? cp[ldc + jj] : $0) + c1[jj];\n"
    "                    cp[2 * ldc + jj] = (q0 ? cp[2 * ldc + jj] : $0) + c2[jj];\n"
    "                    cp[3 * ldc + jj] = (q0 ? cp[3 * ldc + jj] : $0) + c3[jj];\n"
    "                }\n"
    "            }\n"
    "            for (; i0 < m; i0++) {\n"
    "                $T c0[" GEMM_NR_S "] = {$0};\n"
    "                const $T *ap = a + i0 * ai + q0 * aq;\n"
    "                for (size_t q = 0; q < kc; q++)\n"
    "                    for (size_t jj = 0; jj < " GEMM_NR_S "; jj++)\n"
    "                        c0[jj] += ap[q * aq] * pack[q * " GEMM_NR_S " + jj];\n"
    "                $T *cp = c + i0 * ldc + j0;\n"
    "                for (size_t jj = 0; jj < nr; jj++)\n"
    "                    cp[jj] = (q0 ? cp[jj] : $0) + c0[jj];\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n#endif\n\n";

/* Writes sd_gemm (sd_gemmf) for the kernel's type, in its include-once
 * guard. */
static void write_gemm_helper(const TE *E, StrBuf *sb) {
    const char *u = E->ty->size == 4 ? "F" : "";
    sb_printf(sb, "#ifndef SD_GEMM%s_DEFINED\n#define SD_GEMM%s_DEFINED\n", u, u);
    codegen_expand(sb, gemm_text, E->ty);
}

/* A matrix operand of sd_gemm: an array, its offset and row stride, and
 * whether it is read transposed. */
typedef struct GemmOperand {
    const char *base;
    size_t offset, ld;
    int trans;
} GemmOperand;

static int gemm_operand(const TE *E, const Node *n, GemmOperand *op) {
    op->trans = 0;
    if (n->kind == EX_TRANSPOSE) {
        op->trans = 1;
        n = n->args[0];
    }
    if (n->shape.rank != 2)
        return 0;
    op->ld = cols_of(n->shape);
    if (n->kind == EX_VAR) {
        op->base = E->g->vars[n->u.var].role == VAR_PARAM ? "x" : "input";
        op->offset = E->var_offset[n->u.var];
        return 1;
    }
    if (E->home[n->id] == HOME_INLINE)
        return 0;
    op->base = E->home[n->id] == HOME_WORK ? "work" : E->in->out_name;
    op->offset = E->offset[n->id];
    return 1;
}

/* Does sd_gemm compute matrix product n (planned: its operands' homes are
 * known)? */
static int gemm_applies(const TE *E, const Node *n) {
    GemmOperand a, b;
    if (!E->gemm || n->kind != EX_MATMUL || n->shape.rank != 2 || n->args[0]->shape.rank != 2 ||
        E->home[n->id] == HOME_INLINE || !gemm_operand(E, n->args[0], &a) || !gemm_operand(E, n->args[1], &b))
        return 0;
    double work = (double)rows_of(n->shape) * (double)cols_of(n->shape) * (double)cols_of(n->args[0]->shape);
    return work >= GEMM_MIN_WORK;
}

/* The call of sd_gemm (or with --blas cblas, of cblas_dgemm or
 * cblas_sgemm) for product n, or 0 when it does not apply. */
static int emit_gemm(TE *E, const Node *n) {
    GemmOperand a, b;
    if (!gemm_applies(E, n))
        return 0;
    gemm_operand(E, n->args[0], &a);
    gemm_operand(E, n->args[1], &b);
    ExtentText m, c, k;
    E->gemm_used = E->any_gemm = 1;
    if (E->opt->blas) { /* C = 1 op(A) op(B) + 0 C, row-major */
        sb_printf(E->out, "    cblas_%sgemm(CblasRowMajor, %s, %s, %s%s, %s%s, %s%s, 1, %s + %zu, %zu, %s + %zu, %zu, 0, "
                          "%s + %zu, %zu);\n",
                  E->ty->size == 4 ? "s" : "d", a.trans ? "CblasTrans" : "CblasNoTrans",
                  b.trans ? "CblasTrans" : "CblasNoTrans", n->shape.dyn[0] ? "(int)" : "",
                  extent(E, n->shape, 0, m, sizeof m), n->shape.dyn[1] ? "(int)" : "", extent(E, n->shape, 1, c, sizeof c),
                  n->args[0]->shape.dyn[1] ? "(int)" : "", extent(E, n->args[0]->shape, 1, k, sizeof k), a.base, a.offset,
                  a.ld, b.base, b.offset, b.ld, E->home[n->id] == HOME_WORK ? "work" : E->in->out_name,
                  E->offset[n->id], cols_of(n->shape));
        return 1;
    }
    sb_printf(E->out, "    {\n        const sd_gemm%s_args g = {%s, %s, %s, %s + %zu, %zu, %d, %s + %zu, %zu, %d, %s + %zu, %zu, "
                      "work + %zu};\n        sd_gemm%s(&g);\n    }\n",
              fsuffix(E), extent(E, n->shape, 0, m, sizeof m), extent(E, n->shape, 1, c, sizeof c),
              extent(E, n->args[0]->shape, 1, k, sizeof k), a.base, a.offset, a.ld, a.trans, b.base, b.offset,
              b.ld, b.trans, E->home[n->id] == HOME_WORK ? "work" : E->in->out_name, E->offset[n->id],
              cols_of(n->shape), E->pack, fsuffix(E));
    return 1;
}

/* Emits the code that computes node n (materialised or a scalar). */
static void emit_node(TE *E, const Node *n) {
    StrBuf *o = E->out;
    const char *T = E->T;
    const char *j = n->shape.rank == 2 ? "j" : "0";
    if (n->shape.rank == 0) {
        if (n->kind == EX_CONST || n->kind == EX_VAR || n->kind == EX_DIM || (n->kind == EX_CALL && n->u.fn == BI_PI))
            return;
        const Node *a = n->nargs ? n->args[0] : NULL;
        switch ((NodeKind)n->kind) {
        case EX_SUM:
            sb_printf(o, "    %s t%u = 0;\n", T, (unsigned)n->id);
            open_loops(E, a->shape);
            sb_printf(o, "    %s    t%u += ", a->shape.rank == 2 ? "    " : "", (unsigned)n->id);
            elem(E, a, "i", a->shape.rank == 2 ? "j" : "0", o);
            sb_puts(o, ";\n");
            return;
        case EX_LOGSUMEXP: /* m + log(sum(exp(u - m))), m = max(u) */
            sb_printf(o, "    %s t%u;\n", T, (unsigned)n->id);
            row_max_and_sum(E, a, "0", 0, NULL);
            sb_printf(o, "        t%u = m + log%s(s);\n    }\n", (unsigned)n->id, fsuffix(E));
            return;
        case EX_INDEX: {
            char r[32], c[32];
            size_t cols = cols_of(a->shape), k = (size_t)n->u.index;
            snprintf(r, sizeof r, "%zu", a->shape.rank == 2 ? k / cols : k);
            snprintf(c, sizeof c, "%zu", a->shape.rank == 2 ? k % cols : 0);
            sb_printf(o, "    const %s t%u = ", T, (unsigned)n->id);
            elem(E, a, r, c, o);
            sb_puts(o, ";\n");
            return;
        }
        default:
            sb_printf(o, "    const %s t%u = ", T, (unsigned)n->id);
            elementwise(E, n, "0", "0", o);
            sb_puts(o, ";\n");
            return;
        }
    }
    if (E->home[n->id] == HOME_INLINE)
        return;
    /* the destination of element (i, j) */
    StrBuf dst;
    sb_init(&dst);
    sb_printf(&dst, "%s[%zu + ", E->home[n->id] == HOME_WORK ? "work" : E->in->out_name, E->offset[n->id]);
    if (n->shape.rank == 2)
        sb_printf(&dst, "i * %zu + j]", cols_of(n->shape));
    else
        sb_puts(&dst, "i]");
    const char *d = sb_str(&dst);
    ExtentText ext0, ext1;
    const char *ind = n->shape.rank == 2 ? "            " : "        ";
    switch ((NodeKind)n->kind) {
    case EX_MATMUL: {
        const Node *a = n->args[0], *b = n->args[1];
        if (a->shape.rank == 1) { /* x' B: accumulate rows of B, in memory order */
            extent(E, a->shape, 0, ext0, sizeof ext0);
            extent(E, b->shape, 1, ext1, sizeof ext1);
            sb_printf(o, "    for (size_t i = 0; i < %s; i++)\n        %s = 0;\n", ext1, d);
            sb_printf(o, "    for (size_t q = 0; q < %s; q++)\n        for (size_t i = 0; i < %s; i++)\n            %s += ",
                      ext0, ext1, d);
            elem(E, a, "q", "0", o);
            sb_puts(o, " * ");
            elem(E, b, "q", "i", o);
            sb_puts(o, ";\n");
            break;
        }
        if (emit_gemm(E, n))
            break;
        extent(E, a->shape, 1, ext0, sizeof ext0);
        open_loops(E, n->shape);
        sb_printf(o, "%s{\n%s    %s s = 0;\n%s    for (size_t q = 0; q < %s; q++)\n%s        s += ", ind, ind, T, ind,
                  ext0, ind);
        elem(E, a, "i", "q", o);
        sb_puts(o, " * ");
        elem(E, b, "q", j, o);
        sb_printf(o, ";\n%s    %s = s;\n%s}\n", ind, d, ind);
        break;
    }
    case EX_PACK:
        for (int k = 0; k < n->nargs; k++) {
            const Node *item = n->args[k];
            if (item->shape.rank == 0) {
                sb_printf(o, "    %s[%zu] = ", E->home[n->id] == HOME_WORK ? "work" : E->in->out_name,
                          E->offset[n->id] + (size_t)k);
                scalar_ref(E, item, o);
                sb_puts(o, ";\n");
            } else {
                sb_printf(o, "    for (size_t i = 0; i < %s; i++)\n        %s[%zu + i] = ",
                          extent(E, item->shape, 0, ext0, sizeof ext0),
                          E->home[n->id] == HOME_WORK ? "work" : E->in->out_name,
                          E->offset[n->id] + (size_t)k * (size_t)item->shape.dim[0]);
                elem(E, item, "i", "0", o);
                sb_puts(o, ";\n");
            }
        }
        break;
    case EX_SOFTMAX: { /* exp(u - m) / sum(exp(u - m)), m = max(u), of each row */
        const Node *a = n->args[0];
        int m2 = n->shape.rank == 2;
        const char *row = m2 ? "i" : "0";
        char *dq = malloc(strlen(d) + 8);
        if (!dq) {
            E->g->failed = 1;
            break;
        }
        /* element q of the row: d with j (matrix) or i (vector) as q */
        snprintf(dq, strlen(d) + 8, "%.*sq]", (int)(strlen(d) - 2), d);
        if (m2)
            sb_printf(o, "    for (size_t i = 0; i < %s; i++)\n", extent(E, n->shape, 0, ext0, sizeof ext0));
        row_max_and_sum(E, a, row, 1, dq);
        sb_printf(o, "        for (size_t q = 0; q < %s; q++)\n            %s /= s;\n    }\n",
                  extent(E, n->shape, m2 ? 1 : 0, ext1, sizeof ext1), dq);
        free(dq);
        break;
    }
    case EX_LOGSUMEXP: { /* of each row of a matrix: m + log(sum(exp(u - m))) */
        sb_printf(o, "    for (size_t i = 0; i < %s; i++)\n", extent(E, n->shape, 0, ext0, sizeof ext0));
        row_max_and_sum(E, n->args[0], "i", 0, NULL);
        sb_printf(o, "        %s = m + log%s(s);\n    }\n", d, fsuffix(E));
        break;
    }
    case EX_ROWSUM: /* the sums along each row, or down each column */
    case EX_COLSUM: {
        const Node *a = n->args[0];
        int rows = n->kind == EX_ROWSUM;
        sb_printf(o, "    for (size_t i = 0; i < %s; i++)\n    {\n        %s s = 0;\n        for (size_t q = 0; q < %s; q++)\n"
                     "            s += ",
                  extent(E, n->shape, 0, ext0, sizeof ext0), T, extent(E, a->shape, rows ? 1 : 0, ext1, sizeof ext1));
        elem(E, a, rows ? "i" : "q", rows ? "q" : "i", o);
        sb_printf(o, ";\n        %s = s;\n    }\n", d);
        break;
    }
    default: { /* elementwise maps and views, fused into one loop */
        unsigned char saved = E->home[n->id];
        E->home[n->id] = HOME_INLINE;
        open_loops(E, n->shape);
        sb_printf(o, "%s%s = ", ind, d);
        elem(E, n, "i", j, o);
        sb_puts(o, ";\n");
        E->home[n->id] = saved;
        break;
    }
    }
    if (dst.failed)
        E->out->failed = 1; /* the destination's name was cut short */
    sb_free(&dst);
}

/* Decides where every node of a kernel lives (see the file comment). */
static void plan(TE *E, Node *const *roots, int nroots, int out_direct) {
    Graph *g = E->g;
    size_t nn = g->nnodes;
    dag_mark_reachable(g, roots, nroots, E->mark);
    memset(E->users, 0, nn * sizeof *E->users);
    memset(E->home, HOME_INLINE, nn);
    unsigned char *need = calloc(nn ? nn : 1, 1);
    if (!need) {
        g->failed = 1;
        return;
    }
    for (size_t id = 0; id < nn; id++)
        if (E->mark[id])
            for (int k = 0; k < g->nodes[id]->nargs; k++)
                E->users[g->nodes[id]->args[k]->id]++;
    for (int r = 0; r < nroots; r++)
        if (roots[r]->shape.rank > 0)
            need[roots[r]->id] = 2; /* a root: materialised */
    E->work = 0;
    for (size_t id = nn; id-- > 0;) {
        if (!E->mark[id])
            continue;
        Node *n = g->nodes[id];
        int multi = n->kind == EX_MATMUL || n->kind == EX_OUTER || n->kind == EX_SOFTMAX || n->kind == EX_LOGSUMEXP ||
                    n->kind == EX_ROWS || n->kind == EX_COLS;
        int here = n->shape.rank > 0 && n->kind != EX_VAR && n->kind != EX_FILL &&
                   (n->kind == EX_MATMUL || n->kind == EX_PACK || n->kind == EX_SOFTMAX || n->kind == EX_LOGSUMEXP ||
                    n->kind == EX_ROWSUM || n->kind == EX_COLSUM || E->users[id] >= 2 || need[id] == 2 ||
                    (need[id] && !is_view(n)));
        if (here) {
            E->home[id] = HOME_WORK;
            need[id] = 2;
        } else if (need[id] && is_view(n)) {
            need[n->args[0]->id] |= 1; /* a view reads its argument as often */
        }
        if (multi || here)
            for (int k = 0; k < n->nargs; k++)
                if (multi)
                    need[n->args[k]->id] |= 1;
    }
    /* workspace offsets in id order; a root with no other user goes
     * straight into the output when out_direct */
    for (size_t id = 0; id < nn; id++) {
        if (E->home[id] != HOME_WORK)
            continue;
        int root = -1;
        for (int r = 0; r < nroots; r++)
            if (roots[r]->id == id && root < 0)
                root = r;
        if (out_direct && root >= 0 && E->users[id] == 0) {
            E->home[id] = HOME_OUT;
            E->offset[id] = E->in->root_offset[root];
            continue;
        }
        E->offset[id] = E->work;
        E->work += numel(g->nodes[id]->shape);
    }
    /* one packing panel for every sd_gemm call of the kernel */
    E->gemm_used = 0;
    for (size_t id = 0; id < nn && !E->gemm_used; id++)
        E->gemm_used = E->mark[id] && gemm_applies(E, g->nodes[id]);
    if (E->gemm_used && !E->opt->blas) {
        E->pack = E->work;
        E->work += GEMM_PACK;
    }
    free(need);
}

/* Marks x or input as used when the planned kernel reads neither (a
 * Jacobian of a linear program does not depend on its parameters). */
static void declare_unused_arrays(const TE *E) {
    int reads[2] = {0, 0}; /* x[], input[] */
    for (size_t id = 0; id < E->g->nnodes; id++) {
        const Node *n = E->g->nodes[id];
        if (E->mark[id] && n->kind == EX_VAR)
            reads[E->g->vars[n->u.var].role == VAR_PARAM ? 0 : 1] = 1;
    }
    if (!reads[0])
        sb_puts(E->out, "    (void)x;\n");
    if (!reads[1] && E->in->ninputs)
        sb_puts(E->out, "    (void)input;\n");
}

/* The body of a kernel: every node, then the roots stored (each root is
 * contiguous in the output, row-major, at its offset). */
static void emit_body(TE *E, Node *const *roots, int nroots) {
    E->nodes = E->scalars = 0;
    for (size_t id = 0; id < E->g->nnodes; id++)
        if (E->mark[id]) {
            emit_node(E, E->g->nodes[id]);
            E->nodes++;
            E->scalars += E->g->nodes[id]->shape.rank == 0;
        }
    for (int r = 0; r < nroots; r++) {
        const Node *n = roots[r];
        if (E->home[n->id] == HOME_OUT)
            continue;
        size_t off = E->in->root_offset[r];
        if (n->shape.rank == 0) {
            sb_printf(E->out, "    %s[%zu] = ", E->in->out_name, off);
            scalar_ref(E, n, E->out);
            sb_puts(E->out, ";\n");
            continue;
        }
        open_loops(E, n->shape);
        if (n->shape.rank == 2)
            sb_printf(E->out, "            %s[%zu + i * %zu + j] = ", E->in->out_name, off, cols_of(n->shape));
        else
            sb_printf(E->out, "        %s[%zu + i] = ", E->in->out_name, off);
        elem(E, n, "i", n->shape.rank == 2 ? "j" : "0", E->out);
        sb_puts(E->out, ";\n");
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
static void prototype(StrBuf *sb, const TE *E, const char *ret, const char *suffix, const char *out, int ws) {
    char full[32];
    snprintf(full, sizeof full, "%s%s", suffix, ws ? "_ws" : "");
    codegen_prototype_sizes(sb, E->ty, 0, ret, E->opt->name, full, E->in->ninputs > 0,
                            E->sizes.len ? sb_str(&E->sizes) : NULL, out, ws);
}

/* The parameters and arguments of the run-time dimensions (E->sizes,
 * E->size_args), and their macros NAME_MAX_<dim> and documentation in the
 * header. */
static void write_sizes(TE *E, const char *NAME, StrBuf *header_doc, StrBuf *header_macros) {
    const Graph *g = E->g;
    for (int d = 0; d < g->ndims; d++) {
        sb_printf(&E->sizes, ", size_t dim_%s", g->dims[d].name);
        sb_printf(&E->size_args, ", dim_%s", g->dims[d].name);
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

/* The first statements of a kernel with run-time dimensions: a size out
 * of range fills the outputs (`count` elements of `out`) with NaN. */
static void write_size_check(const TE *E, StrBuf *k, const char *NAME, const char *out, const char *count, int ret) {
    const Graph *g = E->g;
    if (g->ndims == 0)
        return;
    sb_puts(k, "    if (");
    for (int d = 0; d < g->ndims; d++)
        sb_printf(k, "%sdim_%s < 1 || dim_%s > %s_MAX_%s", d ? " || " : "", g->dims[d].name, g->dims[d].name, NAME,
                  g->dims[d].name);
    sb_puts(k, ") {\n");
    if (out)
        sb_printf(k, "        for (size_t i = 0; i < %s; i++)\n            %s[i] = (%s)NAN;\n", count, out, E->T);
    if (ret)
        sb_printf(k, "        return (%s)NAN;\n    }\n", E->T);
    else
        sb_puts(k, "        return;\n    }\n");
}

int codegen_tensor_c(Graph *g, const TensorCodegenInput *in, const CodegenOptions *opt, StrBuf *source,
                     StrBuf *header) {
    TE E;
    memset(&E, 0, sizeof E);
    E.g = g;
    E.in = in;
    E.opt = opt;
    E.ty = codegen_type(opt->use_float);
    E.T = E.ty->name;
    size_t nn = g->nnodes ? g->nnodes : 1;
    E.mark = malloc(nn);
    E.users = malloc(nn * sizeof *E.users);
    E.home = malloc(nn);
    E.offset = calloc(nn, sizeof *E.offset);
    E.var_offset = calloc((size_t)(g->nvars ? g->nvars : 1), sizeof *E.var_offset);
    if (!E.mark || !E.users || !E.home || !E.offset || !E.var_offset) {
        free(E.mark);
        free(E.users);
        free(E.home);
        free(E.offset);
        free(E.var_offset);
        return -1;
    }
    size_t nx = 0, ni = 0;
    for (int k = 0; k < in->nparams; k++) {
        E.var_offset[in->params[k]] = nx;
        nx += numel(g->vars[in->params[k]].shape);
    }
    for (int k = 0; k < in->ninputs; k++) {
        E.var_offset[in->inputs[k]] = ni;
        ni += numel(g->vars[in->inputs[k]].shape);
    }
    char NAME[CODEGEN_MAX_NAME + 1];
    codegen_macro_prefix(NAME, sizeof NAME, opt->name);
    const char *T = E.T, *name = opt->name;
    int vec = in->output->shape.rank > 0;
    size_t nout = numel(in->output->shape);
    E.gemm = !opt->unroll;
    StrBuf size_doc, size_macros;
    sb_init(&E.sizes);
    sb_init(&E.size_args);
    sb_init(&size_doc);
    sb_init(&size_macros);
    write_sizes(&E, NAME, &size_doc, &size_macros);
    char count[2 * CODEGEN_MAX_NAME + 32];

    /* the kernels, each into its own buffer (their workspace sizes are
     * known once they are planned) */
    StrBuf kval, kgrad;
    sb_init(&kval);
    sb_init(&kgrad);
    TensorCodegenInput vin = *in;
    size_t zero = 0;
    vin.root_offset = &zero;
    vin.out_name = vec ? "y" : "sd_value";
    E.in = &vin;
    E.out = &kval;
    Node *y = in->output;
    plan(&E, &y, 1, vec);
    size_t work_val = E.work;
    snprintf(count, sizeof count, "%s_NOUT", NAME);
    write_size_check(&E, &kval, NAME, vec ? "y" : NULL, count, !vec);
    declare_unused_arrays(&E);
    if (!vec)
        sb_printf(&kval, "    %s sd_value[1];\n", T);
    emit_body(&E, &y, 1);
    if (!vec)
        sb_puts(&kval, "    return sd_value[0];\n");
    long nodes_val = E.nodes, scalars_val = E.scalars;

    E.in = in;
    E.out = &kgrad;
    Node **roots = malloc((size_t)(in->nderivs + 1) * sizeof *roots);
    if (!roots) {
        g->failed = 1;
    } else {
        memcpy(roots, in->derivs, (size_t)in->nderivs * sizeof *roots);
        roots[in->nderivs] = y; /* the value too, which the gradient kernel returns */
        plan(&E, roots, in->nderivs + !vec, 1);
        if (vec)
            snprintf(count, sizeof count, "%s_NOUT * %s_NVARS", NAME, NAME);
        else
            snprintf(count, sizeof count, "%s_NVARS", NAME);
        write_size_check(&E, &kgrad, NAME, vec ? "J" : "grad", count, !vec);
        declare_unused_arrays(&E);
        emit_body(&E, roots, in->nderivs);
        if (!vec) {
            sb_puts(&kgrad, "    return ");
            scalar_ref(&E, y, &kgrad);
            sb_puts(&kgrad, ";\n");
        }
    }
    size_t work = E.work > work_val ? E.work : work_val;
    int unrolled = 0;
    if (opt->unroll) {
        StrBuf *bodies[2] = {&kval, &kgrad};
        for (int k = 0; k < 2 && unrolled == 0; k++) {
            StrBuf flat;
            sb_init(&flat);
            unrolled = codegen_unroll(sb_str(bodies[k]), CODEGEN_UNROLL_LIMIT, &flat);
            sb_free(bodies[k]);
            *bodies[k] = flat;
        }
    }
    /* the stack: the _ws variants' frames, and the plain entry points',
     * which add the workspace and call them; above the budget only the
     * _ws variants are written */
    size_t ws = ws_stack(scalars_val, nodes_val);
    if (ws_stack(E.scalars, E.nodes) > ws)
        ws = ws_stack(E.scalars, E.nodes);
    if (E.any_gemm && !opt->blas)
        ws += GEMM_FRAME;
    size_t work_bytes = work > 0 ? work * (size_t)E.ty->size : (size_t)E.ty->size;
    size_t plain = ws + codegen_stack_bound(0, 0, 0, work_bytes);
    int with_plain = work <= SIZE_MAX / (size_t)E.ty->size && plain <= CODEGEN_STACK_BUDGET;
    size_t stack = with_plain ? plain : ws;

    /* header */
    const char *dname = vec ? "_jac" : "_grad", *darg = vec ? "J" : "grad";
    const char *inarg = in->ninputs ? ", input" : "";
    codegen_header_begin(header, opt->header_file, opt->version, opt->command_line, opt->source_text);
    sb_printf(header, " *\n * Arrays are row-major.  x[] holds the parameters (differentiated), one\n"
                      " * after another; input[] the data; %s_OFFSET_<name> is where each starts:\n", NAME);
    for (int k = 0; k < in->nparams + in->ninputs; k++) {
        int v = k < in->nparams ? in->params[k] : in->inputs[k - in->nparams];
        sb_printf(header, " *   %s[%zu ...] %s: ", k < in->nparams ? "x" : "input", E.var_offset[v], g->vars[v].name);
        shape_words(header, g->vars[v].shape);
        sb_puts(header, "\n");
    }
    sb_printf(header, " *\n * Entry points (no allocation, no globals, reentrant; <math.h> only):\n");
    /* the arguments as the documentation writes them: input and the sizes */
    StrBuf args;
    sb_init(&args);
    sb_printf(&args, "%s%s", inarg, sb_str(&E.size_args));
    const char *a = sb_str(&args);
    if (vec) {
        sb_printf(header, " *   void %s(x%s, y)          the value, y[%s_NOUT]\n", name, a, NAME);
        sb_printf(header, " *   void %s_jac(x%s, J)      the Jacobian, row-major %s_NOUT x %s_NVARS:\n"
                          " *                            J[i * %s_NVARS + k] = d y[i] / d x[k]\n",
                  name, a, NAME, NAME, NAME);
    } else {
        sb_printf(header, " *   %s %s(x%s)              the value\n", T, name, a);
        sb_printf(header, " *   %s %s_grad(x%s, grad)   fills grad[%s_NVARS] (laid out like x), returns\n"
                          " *                            the value\n",
                  T, name, a, NAME);
    }
    if (args.failed)
        header->failed = 1;
    sb_free(&args);
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
    sb_puts(header, sb_str(&size_doc));
    if (E.any_gemm && opt->blas)
        sb_printf(header, " *\n * Products of matrices call cblas_%sgemm (--blas cblas): link with a CBLAS,\n"
                          " * such as OpenBLAS (-lopenblas), or Debian's -lblas, which whatever BLAS is\n"
                          " * installed provides (OpenBLAS's when it is).  The stack bound leaves out\n"
                          " * the BLAS's own frames.\n",
                  E.ty->size == 4 ? "s" : "d");
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
    sb_puts(header, sb_str(&size_macros));
    for (int k = 0; k < in->nparams + in->ninputs; k++) {
        int v = k < in->nparams ? in->params[k] : in->inputs[k - in->nparams];
        sb_printf(header, "#define %s_OFFSET_%s %zu /* in %s */\n", NAME, g->vars[v].name, E.var_offset[v],
                  k < in->nparams ? "x" : "input");
    }
    sb_puts(header, "\n");
    codegen_header_declarations(header);
    const char *ret = vec ? "void" : T;
    for (int ws_variant = !with_plain; ws_variant < 2; ws_variant++) {
        prototype(header, &E, ret, "", vec ? "y" : NULL, ws_variant);
        sb_puts(header, ";\n");
        prototype(header, &E, ret, dname, darg, ws_variant);
        sb_puts(header, ";\n");
    }
    codegen_header_close(header, name);

    /* source */
    sb_printf(source, "/* %s.c — generated by symdiff %s; do not edit.  See %s. */\n", name, opt->version,
              opt->header_file);
    sb_puts(source, "#include <math.h>\n#include <stddef.h>\n\n");
    if (E.any_gemm && opt->blas)
        sb_puts(source, "#include <cblas.h> /* --blas cblas: link with a CBLAS (-lopenblas, or -lblas) */\n\n");
    codegen_include_header(source, header, opt);
    sb_putc(source, '\n');
    codegen_helpers(source, E.helpers, E.ty);
    if (E.any_gemm && !opt->blas)
        write_gemm_helper(&E, source);
    prototype(source, &E, ret, "", vec ? "y" : NULL, 1);
    sb_puts(source, "\n{\n");
    if (!work_val)
        sb_puts(source, "    (void)work;\n");
    sb_puts(source, sb_str(&kval));
    sb_puts(source, "}\n\n");
    if (with_plain) {
        prototype(source, &E, ret, "", vec ? "y" : NULL, 0);
        sb_printf(source, "\n{\n    %s work[%s_WORK > 0 ? %s_WORK : 1];\n    %s%s_ws(x%s%s%s, work);\n}\n\n", T, NAME,
                  NAME, vec ? "" : "return ", name, inarg, sb_str(&E.size_args), vec ? ", y" : "");
    }
    prototype(source, &E, ret, dname, darg, 1);
    sb_puts(source, "\n{\n");
    if (E.work == 0)
        sb_puts(source, "    (void)work;\n");
    sb_puts(source, sb_str(&kgrad));
    sb_puts(source, "}\n");
    if (with_plain) {
        sb_puts(source, "\n");
        prototype(source, &E, ret, dname, darg, 0);
        sb_printf(source, "\n{\n    %s work[%s_WORK > 0 ? %s_WORK : 1];\n    %s%s%s_ws(x%s%s, %s, work);\n}\n", T,
                  NAME, NAME, vec ? "" : "return ", name, dname, inarg, sb_str(&E.size_args), darg);
    }
    free(roots);
    if (kval.failed || kgrad.failed || E.sizes.failed || E.size_args.failed || size_doc.failed || size_macros.failed)
        source->failed = 1; /* a kernel body was cut short */
    sb_free(&kval);
    sb_free(&kgrad);
    sb_free(&E.sizes);
    sb_free(&E.size_args);
    sb_free(&size_doc);
    sb_free(&size_macros);
    free(E.mark);
    free(E.users);
    free(E.home);
    free(E.offset);
    free(E.var_offset);
    return unrolled ? unrolled : g->failed || source->failed || header->failed ? -1 : 0;
}
