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
 * the _ws variants; nothing is allocated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"

enum { HOME_INLINE, HOME_WORK, HOME_OUT };

enum {
    H_SIGMOID = 1, H_SOFTPLUS = 2, H_RELU = 4, H_LEAKY = 8, H_ELU = 16, H_SIGN = 32, H_STEP = 64,
    H_MIN = 128, H_MAX = 256, H_IFPOS = 512
};

typedef struct TE {
    Graph *g;
    const TensorCodegenInput *in;
    const CodegenOptions *opt;
    const char *T;
    StrBuf *out;
    unsigned char *mark;
    unsigned *users;
    unsigned char *home;
    size_t *offset;      /* HOME_WORK: in work[]; HOME_OUT: in the output */
    size_t work;         /* elements of work[] this kernel needs          */
    size_t *var_offset;  /* by variable: offset in x[] or input[]        */
    unsigned helpers;
} TE;

static const char *fsuffix(const TE *E) { return E->opt->use_float ? "f" : ""; }

static void literal(const TE *E, StrBuf *sb, double v) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    if (!strpbrk(buf, ".eEn"))
        strcat(buf, ".0");
    sb_printf(sb, "%s%s", buf, E->opt->use_float ? "f" : "");
}

static int is_view(const Node *n) {
    return n->kind == EX_TRANSPOSE || (n->kind == EX_INDEX && n->shape.rank == 1);
}

static int rows_of(Shape s) { return s.rank == 2 ? s.dim[0] : s.rank == 1 ? s.dim[0] : 1; }
static int cols_of(Shape s) { return s.rank == 2 ? s.dim[1] : 1; }

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

static const char *helper_name(TE *E, Builtin fn) {
    static const char *const libm[BI_COUNT] = {
        [BI_EXP] = "exp",   [BI_LOG] = "log",   [BI_LOG2] = "log2", [BI_LOG10] = "log10",
        [BI_SIN] = "sin",   [BI_COS] = "cos",   [BI_TAN] = "tan",   [BI_ASIN] = "asin",
        [BI_ACOS] = "acos", [BI_ATAN] = "atan", [BI_SINH] = "sinh", [BI_COSH] = "cosh",
        [BI_TANH] = "tanh", [BI_ABS] = "fabs"};
    static const struct {
        Builtin fn;
        unsigned bit;
        const char *name;
    } own[] = {{BI_SIGMOID, H_SIGMOID, "sd_sigmoid"}, {BI_SOFTPLUS, H_SOFTPLUS, "sd_softplus"},
               {BI_RELU, H_RELU, "sd_relu"},          {BI_LEAKY_RELU, H_LEAKY, "sd_leaky_relu"},
               {BI_ELU, H_ELU, "sd_elu"},             {BI_SIGN, H_SIGN, "sd_sign"},
               {BI_STEP, H_STEP, "sd_step"},          {BI_MIN, H_MIN, "sd_min"},
               {BI_MAX, H_MAX, "sd_max"},             {BI_IFPOS, H_IFPOS, "sd_ifpos"}};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (own[i].fn == fn) {
            E->helpers |= own[i].bit;
            return own[i].name;
        }
    return libm[fn] ? libm[fn] : "";
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
        const char *name = helper_name(E, (Builtin)n->u.fn);
        sb_printf(sb, "%s%s(", name, strncmp(name, "sd_", 3) == 0 ? "" : fsuffix(E));
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
    int cols = cols_of(n->shape);
    if (n->kind == EX_VAR || E->home[n->id] != HOME_INLINE) {
        size_t off = n->kind == EX_VAR ? E->var_offset[n->u.var] : E->offset[n->id];
        const char *base = n->kind == EX_VAR ? (E->g->vars[n->u.var].role == VAR_PARAM ? "x" : "input")
                           : E->home[n->id] == HOME_WORK ? "work"
                                                         : E->in->out_name;
        if (n->shape.rank == 2)
            sb_printf(sb, "%s[%zu + (%s) * %d + (%s)]", base, off, r, cols, c);
        else
            sb_printf(sb, "%s[%zu + (%s)]", base, off, r);
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
    case EX_SCATTER: {
        const Node *v = n->args[0];
        if (n->shape.rank == 2 && v->shape.rank == 0)
            sb_printf(sb, "((%s) * %d + (%s) == %d ? ", r, cols, c, n->u.index);
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
    sb_printf(E->out, "    for (int i = 0; i < %d; i++)\n", rows_of(s));
    if (s.rank == 2)
        sb_printf(E->out, "        for (int j = 0; j < %d; j++)\n", cols_of(s));
}

/* Emits the code that computes node n (materialised or a scalar). */
static void emit_node(TE *E, const Node *n) {
    StrBuf *o = E->out;
    const char *T = E->T;
    const char *j = n->shape.rank == 2 ? "j" : "0";
    if (n->shape.rank == 0) {
        if (n->kind == EX_CONST || n->kind == EX_VAR || (n->kind == EX_CALL && n->u.fn == BI_PI))
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
        case EX_LOGSUMEXP: { /* m + log(sum(exp(u - m))), m = max(u) */
            int len = a->shape.dim[0];
            sb_printf(o, "    %s t%u;\n    {\n        %s m = ", T, (unsigned)n->id, T);
            elem(E, a, "0", "0", o);
            sb_printf(o, ", s = 0;\n        for (int i = 1; i < %d; i++)\n            if (", len);
            elem(E, a, "i", "0", o);
            sb_puts(o, " > m)\n                m = ");
            elem(E, a, "i", "0", o);
            sb_printf(o, ";\n        for (int i = 0; i < %d; i++)\n            s += exp%s(", len, fsuffix(E));
            elem(E, a, "i", "0", o);
            sb_printf(o, " - m);\n        t%u = m + log%s(s);\n    }\n", (unsigned)n->id, fsuffix(E));
            return;
        }
        case EX_INDEX: {
            char r[32], c[32];
            int cols = cols_of(a->shape);
            snprintf(r, sizeof r, "%d", a->shape.rank == 2 ? n->u.index / cols : n->u.index);
            snprintf(c, sizeof c, "%d", a->shape.rank == 2 ? n->u.index % cols : 0);
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
        sb_printf(&dst, "i * %d + j]", cols_of(n->shape));
    else
        sb_puts(&dst, "i]");
    const char *d = sb_str(&dst);
    const char *ind = n->shape.rank == 2 ? "            " : "        ";
    switch ((NodeKind)n->kind) {
    case EX_MATMUL: {
        const Node *a = n->args[0], *b = n->args[1];
        if (a->shape.rank == 1) { /* x' B: accumulate rows of B, in memory order */
            int k = a->shape.dim[0], cols = b->shape.dim[1];
            sb_printf(o, "    for (int i = 0; i < %d; i++)\n        %s = 0;\n", cols, d);
            sb_printf(o, "    for (int q = 0; q < %d; q++)\n        for (int i = 0; i < %d; i++)\n            %s += ",
                      k, cols, d);
            elem(E, a, "q", "0", o);
            sb_puts(o, " * ");
            elem(E, b, "q", "i", o);
            sb_puts(o, ";\n");
            break;
        }
        int k = a->shape.dim[1];
        open_loops(E, n->shape);
        sb_printf(o, "%s{\n%s    %s s = 0;\n%s    for (int q = 0; q < %d; q++)\n%s        s += ", ind, ind, T, ind,
                  k, ind);
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
                sb_printf(o, "    for (int i = 0; i < %d; i++)\n        %s[%zu + i] = ", item->shape.dim[0],
                          E->home[n->id] == HOME_WORK ? "work" : E->in->out_name,
                          E->offset[n->id] + (size_t)k * (size_t)item->shape.dim[0]);
                elem(E, item, "i", "0", o);
                sb_puts(o, ";\n");
            }
        }
        break;
    case EX_SOFTMAX: { /* exp(u - m) / sum(exp(u - m)), m = max(u) */
        const Node *a = n->args[0];
        int len = n->shape.dim[0];
        sb_printf(o, "    {\n        %s m = ", T);
        elem(E, a, "0", "0", o);
        sb_printf(o, ", s = 0;\n        for (int i = 1; i < %d; i++)\n            if (", len);
        elem(E, a, "i", "0", o);
        sb_puts(o, " > m)\n                m = ");
        elem(E, a, "i", "0", o);
        sb_printf(o, ";\n        for (int i = 0; i < %d; i++)\n            s += %s = exp%s(", len, d, fsuffix(E));
        elem(E, a, "i", "0", o);
        sb_printf(o, " - m);\n        for (int i = 0; i < %d; i++)\n            %s /= s;\n    }\n", len, d);
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
        int multi = n->kind == EX_MATMUL || n->kind == EX_OUTER || n->kind == EX_SOFTMAX || n->kind == EX_LOGSUMEXP;
        int here = n->shape.rank > 0 && n->kind != EX_VAR && n->kind != EX_FILL &&
                   (n->kind == EX_MATMUL || n->kind == EX_PACK || n->kind == EX_SOFTMAX || E->users[id] >= 2 ||
                    need[id] == 2 || (need[id] && !is_view(n)));
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
        E->work += (size_t)shape_numel(g->nodes[id]->shape);
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
    for (size_t id = 0; id < E->g->nnodes; id++)
        if (E->mark[id])
            emit_node(E, E->g->nodes[id]);
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
            sb_printf(E->out, "            %s[%zu + i * %d + j] = ", E->in->out_name, off, cols_of(n->shape));
        else
            sb_printf(E->out, "        %s[%zu + i] = ", E->in->out_name, off);
        elem(E, n, "i", n->shape.rank == 2 ? "j" : "0", E->out);
        sb_puts(E->out, ";\n");
    }
}

static void emit_helpers(const TE *E, StrBuf *sb) {
    const char *T = E->T, *f = fsuffix(E);
    unsigned h = E->helpers;
    if (h & H_SIGMOID)
        sb_printf(sb, "static inline %s sd_sigmoid(%s v)\n{\n    return v >= 0 ? 1 / (1 + exp%s(-v)) : exp%s(v) / (1 + exp%s(v));\n}\n\n",
                  T, T, f, f, f);
    if (h & H_SOFTPLUS)
        sb_printf(sb, "static inline %s sd_softplus(%s v)\n{\n    return (v > 0 ? v : 0) + log1p%s(exp%s(-fabs%s(v)));\n}\n\n", T, T,
                  f, f, f);
    if (h & H_RELU)
        sb_printf(sb, "static inline %s sd_relu(%s v)\n{\n    return v > 0 ? v : 0;\n}\n\n", T, T);
    if (h & H_LEAKY)
        sb_printf(sb, "static inline %s sd_leaky_relu(%s v, %s a)\n{\n    return v > 0 ? v : a * v;\n}\n\n", T, T, T);
    if (h & H_ELU)
        sb_printf(sb, "static inline %s sd_elu(%s v, %s a)\n{\n    return v > 0 ? v : a * expm1%s(v);\n}\n\n", T, T, T, f);
    if (h & H_SIGN)
        sb_printf(sb, "static inline %s sd_sign(%s v)\n{\n    return v > 0 ? 1 : v < 0 ? -1 : v;\n}\n\n", T, T);
    if (h & H_STEP)
        sb_printf(sb, "static inline %s sd_step(%s v, %s at0)\n{\n    return v > 0 ? 1 : v < 0 ? 0 : v == 0 ? at0 : v;\n}\n\n",
                  T, T, T);
    if (h & H_MIN)
        sb_printf(sb, "static inline %s sd_min(%s a, %s b)\n{\n    return a < b ? a : b <= a ? b : a + b;\n}\n\n", T, T, T);
    if (h & H_MAX)
        sb_printf(sb, "static inline %s sd_max(%s a, %s b)\n{\n    return a > b ? a : b >= a ? b : a + b;\n}\n\n", T, T, T);
    if (h & H_IFPOS)
        sb_printf(sb, "static inline %s sd_ifpos(%s c, %s a, %s b)\n{\n    return c > 0 ? a : c <= 0 ? b : c;\n}\n\n", T, T,
                  T, T);
}

static void upper(char *buf, size_t size, const char *name) {
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        buf[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    buf[i] = '\0';
}

static void shape_words(StrBuf *sb, Shape s) {
    if (s.rank == 0)
        sb_puts(sb, "scalar");
    else if (s.rank == 1)
        sb_printf(sb, "vector [%d]", s.dim[0]);
    else
        sb_printf(sb, "matrix [%d,%d], row-major: (i, j) at i*%d + j", s.dim[0], s.dim[1], s.dim[1]);
}

int codegen_tensor_c(Graph *g, const TensorCodegenInput *in, const CodegenOptions *opt, StrBuf *source,
                     StrBuf *header) {
    TE E;
    memset(&E, 0, sizeof E);
    E.g = g;
    E.in = in;
    E.opt = opt;
    E.T = opt->use_float ? "float" : "double";
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
        nx += (size_t)shape_numel(g->vars[in->params[k]].shape);
    }
    for (int k = 0; k < in->ninputs; k++) {
        E.var_offset[in->inputs[k]] = ni;
        ni += (size_t)shape_numel(g->vars[in->inputs[k]].shape);
    }
    char NAME[128];
    upper(NAME, sizeof NAME, opt->name);
    const char *T = E.T, *name = opt->name;
    int vec = in->output->shape.rank > 0;
    int nout = shape_numel(in->output->shape);
    const char *inarg = in->ninputs ? ", const " : "";
    char inparam[64];
    snprintf(inparam, sizeof inparam, "%s%s", in->ninputs ? T : "", in->ninputs ? " *input" : "");

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
    declare_unused_arrays(&E);
    if (!vec)
        sb_printf(&kval, "    %s sd_value[1];\n", T);
    emit_body(&E, &y, 1);
    if (!vec)
        sb_puts(&kval, "    return sd_value[0];\n");

    E.in = in;
    E.out = &kgrad;
    Node **roots = malloc((size_t)(in->nderivs + 1) * sizeof *roots);
    if (!roots) {
        g->failed = 1;
    } else {
        memcpy(roots, in->derivs, (size_t)in->nderivs * sizeof *roots);
        roots[in->nderivs] = y; /* the value too, which the gradient kernel returns */
        plan(&E, roots, in->nderivs + !vec, 1);
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

    /* header */
    sb_printf(header, "/*\n * %s.h — generated by symdiff %s; do not edit.\n *\n", name, opt->version);
    sb_printf(header, " * Program:\n");
    for (const char *p = opt->source_text; p && *p;) {
        const char *e = strchr(p, '\n');
        int len = e ? (int)(e - p) : (int)strlen(p);
        sb_printf(header, " *   %.*s\n", len, p);
        p = e ? e + 1 : p + len;
    }
    sb_printf(header, " * Command: %s\n *\n", opt->command_line ? opt->command_line : "");
    sb_printf(header, " * Arrays are row-major.  x[] holds the parameters (differentiated), one\n"
                      " * after another; input[] the data:\n");
    for (int k = 0; k < in->nparams + in->ninputs; k++) {
        int v = k < in->nparams ? in->params[k] : in->inputs[k - in->nparams];
        sb_printf(header, " *   %s[%zu ...] %s: ", k < in->nparams ? "x" : "input", E.var_offset[v], g->vars[v].name);
        shape_words(header, g->vars[v].shape);
        sb_puts(header, "\n");
    }
    sb_printf(header, " *\n * Entry points:\n");
    if (vec) {
        sb_printf(header, " *   void %s(x%s, y)          the value, y[%s_NOUT]\n", name, in->ninputs ? ", input" : "", NAME);
        sb_printf(header, " *   void %s_jac(x%s, J)      the Jacobian, row-major %s_NOUT x %s_NVARS:\n"
                          " *                            J[i * %s_NVARS + k] = d y[i] / d x[k]\n",
                  name, in->ninputs ? ", input" : "", NAME, NAME, NAME);
    } else {
        sb_printf(header, " *   %s %s(x%s)              the value\n", T, name, in->ninputs ? ", input" : "");
        sb_printf(header, " *   %s %s_grad(x%s, grad)   fills grad[%s_NVARS] (laid out like x), returns\n"
                          " *                            the value\n",
                  T, name, in->ninputs ? ", input" : "", NAME);
    }
    if (opt->unroll)
        sb_puts(header, " * Unrolled (--unroll): straight-line code without loops.\n");
    sb_printf(header, " * Each uses a workspace of %s_WORK elements on the stack; the _ws\n"
                      " * variants take it from the caller instead (for large models).  Nothing\n"
                      " * is allocated; the functions are reentrant.\n */\n", NAME);
    sb_printf(header, "#ifndef %s_H\n#define %s_H\n\n", NAME, NAME);
    sb_printf(header, "#define %s_NVARS %zu\n#define %s_NINPUTS %zu\n#define %s_NOUT %d\n#define %s_WORK %zu\n", NAME, nx,
              NAME, ni, NAME, nout, NAME, work);
    for (int k = 0; k < in->nparams + in->ninputs; k++) {
        int v = k < in->nparams ? in->params[k] : in->inputs[k - in->nparams];
        char VN[128];
        upper(VN, sizeof VN, g->vars[v].name);
        sb_printf(header, "#define %s_%s %zu /* offset of %s in %s */\n", NAME, VN, E.var_offset[v], g->vars[v].name,
                  k < in->nparams ? "x" : "input");
    }
    sb_puts(header, "\n");
    const char *ret = vec ? "void" : T;
    const char *vout = vec ? ", " : "", *vout2 = vec ? " *y" : "";
    sb_printf(header, "%s %s(const %s *x%s%s%s%s%s);\n", ret, name, T, inarg, inparam, vout, vec ? T : "", vout2);
    sb_printf(header, "%s %s_ws(const %s *x%s%s%s%s%s, %s *work);\n", ret, name, T, inarg, inparam, vout, vec ? T : "",
              vout2, T);
    const char *dname = vec ? "jac" : "grad", *darg = vec ? "J" : "grad";
    sb_printf(header, "%s %s_%s(const %s *x%s%s, %s *%s);\n", ret, name, dname, T, inarg, inparam, T, darg);
    sb_printf(header, "%s %s_%s_ws(const %s *x%s%s, %s *%s, %s *work);\n", ret, name, dname, T, inarg, inparam, T, darg,
              T);
    sb_printf(header, "\n#endif\n");

    /* source */
    sb_printf(source, "/* %s.c — generated by symdiff %s; do not edit.  See %s. */\n", name, opt->version,
              opt->header_file);
    sb_puts(source, "#include <math.h>\n\n");
    if (!opt->header_above)
        sb_printf(source, "#include \"%s\"\n\n", opt->header_file);
    emit_helpers(&E, source);
    const char *callin = in->ninputs ? ", input" : "";
    sb_printf(source, "%s %s_ws(const %s *x%s%s%s%s%s, %s *work)\n{\n", ret, name, T, inarg, inparam, vout,
              vec ? T : "", vout2, T);
    if (!work_val)
        sb_puts(source, "    (void)work;\n");
    sb_puts(source, sb_str(&kval));
    sb_puts(source, "}\n\n");
    sb_printf(source, "%s %s(const %s *x%s%s%s%s%s)\n{\n    %s work[%s_WORK > 0 ? %s_WORK : 1];\n    %s%s_ws(x%s%s, work);\n}\n\n",
              ret, name, T, inarg, inparam, vout, vec ? T : "", vout2, T, NAME, NAME, vec ? "" : "return ", name, callin,
              vec ? ", y" : "");
    sb_printf(source, "%s %s_%s_ws(const %s *x%s%s, %s *%s, %s *work)\n{\n", ret, name, dname, T, inarg, inparam, T,
              darg, T);
    if (E.work == 0)
        sb_puts(source, "    (void)work;\n");
    sb_puts(source, sb_str(&kgrad));
    sb_puts(source, "}\n\n");
    sb_printf(source, "%s %s_%s(const %s *x%s%s, %s *%s)\n{\n    %s work[%s_WORK > 0 ? %s_WORK : 1];\n    %s%s_%s_ws(x%s, %s, work);\n}\n",
              ret, name, dname, T, inarg, inparam, T, darg, T, NAME, NAME, vec ? "" : "return ", name, dname, callin,
              darg);
    free(roots);
    if (kval.failed || kgrad.failed)
        source->failed = 1; /* a kernel body was cut short */
    sb_free(&kval);
    sb_free(&kgrad);
    free(E.mark);
    free(E.users);
    free(E.home);
    free(E.offset);
    free(E.var_offset);
    return unrolled ? unrolled : g->failed || source->failed || header->failed ? -1 : 0;
}
