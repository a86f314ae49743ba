/* SPDX-License-Identifier: MIT */
/*
 * codegen.c — emits C99 kernels from DAG roots (see codegen.h).
 *
 * Consumes the function and derivative nodes; produces straight-line C.
 * Each kernel visits the nodes it needs in id order (a topological order):
 * a node used more than once becomes a `const` temporary, a node used once
 * is written inline in its user.  Precision is a property of every token:
 * in float mode the type, every literal (`1.0f`) and every libm call
 * (`expf`) are single precision, so the code compiles under
 * -Wdouble-promotion.  Numerically careful forms are chosen at emission,
 * each one value-preserving: log(1 + u) is log1p(u), exp(u) - 1 is
 * expm1(u), log(sigmoid(u)) is -softplus(-u), log(1 - sigmoid(u)) is
 * -softplus(u), and sigmoid and softplus never overflow.
 */
#include "codegen.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_common.h"

/* Precedence of emitted C expressions, loosest first. */
enum { C_SUM = 1, C_PROD, C_UNARY, C_ATOM };

/* Arguments v of a kernel that has both sigmoid(v) and softplus(v): both
 * are computed from one e = exp(-|v|) (the derivative of softplus is the
 * sigmoid, so a kernel with one often has the other). */
#define MAX_SHARED_EXP 64

typedef struct Emitter {
    Graph *g;
    const CodegenInput *in;
    const CodegenOptions *opt;
    StrBuf *out;
    int *temp;            /* by id: 1 + temporary number, 0 = inline     */
    unsigned char *mark;  /* by id: needed by the current kernel         */
    int *uses;            /* by id: users within the current kernel      */
    int *param_index;     /* by variable: position in x[], or -1         */
    int *input_index;     /* by variable: position in input[], or -1     */
    uint32_t *reads;      /* ids referred to by name, when recording     */
    size_t nreads, reads_cap;
    int record_reads;
    CodegenCounts counts;
    long stmt_start;      /* operations counted before this statement     */
    long max_stmt;        /* the most operations of one statement          */
    int ntemps;
    unsigned helpers;     /* bit 1 << CodegenHelper: the sd_ helpers used */
    const CodegenType *ty;
    const char *T;        /* ty->name: "double" or "float"               */
    const char *fs;       /* ty->suffix, of libm and helpers: "" or "f"  */
    const Node *shared_exp[MAX_SHARED_EXP]; /* the v of e<k> = exp(-|v|)  */
    uint32_t defining;    /* id of the temporary being defined (those
                             below it are defined), or UINT32_MAX      */
    unsigned char shared_exp_defined[MAX_SHARED_EXP];
    int nshared_exp;
} Emitter;

static void emit(Emitter *E, const Node *n, int ctx);

static long count_total(const CodegenCounts *c) { return c->add + c->mul + c->div + c->call; }

/* Ends a statement: its operations are values that live while it is
 * computed (the stack bound counts the most of one statement). */
static void end_statement(Emitter *E) {
    long n = count_total(&E->counts) - E->stmt_start;
    if (n > E->max_stmt)
        E->max_stmt = n;
    E->stmt_start = count_total(&E->counts);
}

static void record_read(Emitter *E, const Node *n) {
    if (!E->record_reads)
        return;
    if (E->nreads == E->reads_cap) {
        size_t cap = E->reads_cap ? 2 * E->reads_cap : 64;
        uint32_t *r = realloc(E->reads, cap * sizeof *r);
        if (!r) {
            E->out->failed = 1;
            return;
        }
        E->reads = r;
        E->reads_cap = cap;
    }
    E->reads[E->nreads++] = n->id;
}

/* --- literals and names ---------------------------------------------------- */

static void emit_literal(Emitter *E, double v) { codegen_literal(E->out, E->ty, v); }

/* sd_<helper> in the kernel's type, marked as used. */
static void emit_helper_name(Emitter *E, CodegenHelper h) {
    E->helpers |= 1u << h;
    codegen_helper_name(E->out, h, E->ty);
}

/* A constant: exact rationals p/q are written as a division of exact
 * literals, which the compiler rounds correctly once. */
static void emit_const(Emitter *E, Num v, int ctx) {
    int neg = num_is_negative(v);
    int frac = v.is_rat && v.q != 1 && (double)(int64_t)(double)v.q == (double)v.q &&
               (double)(int64_t)(double)v.p == (double)v.p && fabs((double)v.p) < 9007199254740992.0 &&
               (double)v.q < 9007199254740992.0;
    int paren = (neg && ctx > C_UNARY) || (frac && ctx > C_PROD);
    if (paren)
        sb_putc(E->out, '(');
    if (frac) {
        emit_literal(E, (double)v.p);
        sb_puts(E->out, " / ");
        emit_literal(E, (double)v.q);
    } else {
        emit_literal(E, num_value(v));
    }
    if (paren)
        sb_putc(E->out, ')');
}

static void emit_call_name(Emitter *E, const char *name) {
    sb_puts(E->out, name);
    sb_puts(E->out, E->fs);
}

/* --- pattern recognition for the careful forms --------------------------------- */

static int is_call(const Node *n, Builtin fn) { return n->kind == EX_CALL && n->u.fn == (int)fn; }

/* u = 1 + rest: returns 1 (log(u) -> log1p(rest)) */
static int is_one_plus(const Node *u) {
    return u->kind == EX_ADD && dag_is_num(u->args[0], 1);
}

/* u = 1 - sigmoid(v): returns v, else NULL */
static const Node *one_minus_sigmoid(const Node *u) {
    if (u->kind != EX_ADD || u->nargs != 2 || !dag_is_num(u->args[0], 1))
        return NULL;
    const Node *t = u->args[1];
    if (t->kind == EX_MUL && t->nargs == 2 && dag_is_num(t->args[0], -1) && is_call(t->args[1], BI_SIGMOID))
        return t->args[1]->args[0];
    return NULL;
}

/* --- expressions ------------------------------------------------------------- */

static void emit_temp_or(Emitter *E, const Node *n, int ctx) {
    if (E->temp[n->id]) {
        record_read(E, n);
        sb_printf(E->out, "t%d", E->temp[n->id] - 1);
        return;
    }
    emit(E, n, ctx);
}

static int negative_term(const Node *t) {
    if (t->kind == EX_CONST)
        return num_is_negative(t->num[0]);
    return t->kind == EX_MUL && t->args[0]->kind == EX_CONST && num_is_negative(t->args[0]->num[0]);
}

static void emit_product(Emitter *E, const Node *n, int negate, int ctx);

/* A sum, skipping one constant (for log1p) when skip_const is set. */
static void emit_sum(Emitter *E, const Node *n, int skip_const, int ctx) {
    int paren = ctx > C_SUM;
    if (paren)
        sb_putc(E->out, '(');
    int first = 1;
    /* exp(u) - 1 -> expm1(u): find the pair */
    int expm1_term = -1, minus_one = -1;
    for (int i = 0; i < n->nargs; i++) {
        const Node *t = n->args[i];
        if (dag_is_num(t, -1) && !skip_const)
            minus_one = i;
        if (is_call(t, BI_EXP) && expm1_term < 0)
            expm1_term = i;
    }
    if (minus_one < 0)
        expm1_term = -1;
    for (int i = 0; i < n->nargs; i++) {
        const Node *t = n->args[i];
        if (i == minus_one && expm1_term >= 0)
            continue;
        if (skip_const && t->kind == EX_CONST)
            continue;
        if (i == expm1_term) {
            if (!first)
                sb_puts(E->out, " + ");
            emit_call_name(E, "expm1");
            sb_putc(E->out, '(');
            emit_temp_or(E, t->args[0], 0);
            sb_putc(E->out, ')');
            E->counts.call++;
            first = 0;
            continue;
        }
        int neg = !first && !E->temp[t->id] && negative_term(t);
        if (!first) {
            sb_puts(E->out, neg ? " - " : " + ");
            E->counts.add++;
        }
        if (neg) {
            /* a - b*c rather than a + -b*c */
            if (t->kind == EX_CONST)
                emit_const(E, num_neg(t->num[0]), C_PROD);
            else
                emit_product(E, t, 1, C_PROD);
        } else {
            emit_temp_or(E, t, first ? C_SUM : C_SUM + 1);
        }
        first = 0;
    }
    if (first)
        sb_puts(E->out, "0");
    if (paren)
        sb_putc(E->out, ')');
}

/* Writes a power b^k for an integer 1 <= k <= 8 as products, squaring
 * as it goes: b^4 = (b * b) * (b * b), whose repeated square the C
 * compiler computes once (a call of pow costs tens of multiplications). */
static void emit_int_power(Emitter *E, const Node *b, long k) {
    if (k <= 3) {
        for (long i = 0; i < k; i++) {
            if (i) {
                sb_puts(E->out, " * ");
                E->counts.mul++;
            }
            emit_temp_or(E, b, C_ATOM);
        }
        return;
    }
    sb_putc(E->out, '(');
    emit_int_power(E, b, k / 2);
    sb_puts(E->out, ") * (");
    int muls = E->counts.mul; /* the repeated half is computed once */
    emit_int_power(E, b, k / 2);
    E->counts.mul = muls;
    sb_putc(E->out, ')');
    E->counts.mul++;
    if (k % 2) {
        sb_puts(E->out, " * ");
        emit_temp_or(E, b, C_ATOM);
        E->counts.mul++;
    }
}

/* The node sqrt(b) = b^(1/2) where the graph has it with an id below
 * `below` (so that it is planned, and defined before its users), else
 * NULL.  Half-integer powers of b are written through it: the derivative
 * of sqrt(u) is u^(-1/2)/2, and dividing by the sqrt(u) the function
 * computes anyway saves a second square root. */
static const Node *square_root_of(const Emitter *E, const Node *b, uint32_t below) {
    Num half = num_rat(1, 2);
    Node *h = dag_lookup(E->g, EX_CONST, &half, NULL, 0, shape_scalar);
    if (!h)
        return NULL;
    Node *args[2] = {(Node *)b, h};
    const Node *s = dag_lookup(E->g, EX_POW, NULL, args, 2, b->shape);
    return s && s->id < below ? s : NULL;
}

/* For n = b^(y - 1): the node b^y where the graph has it with a smaller
 * id, else NULL.  The derivative of b^y is y b^(y - 1) + ..., and b^y is
 * there anyway: b^(y - 1) = b^y / b saves a second call of pow. */
static const Node *power_above(const Emitter *E, const Node *n) {
    if (n->kind != EX_POW || n->args[1]->kind != EX_ADD || n->args[1]->nargs != 2 ||
        !dag_is_num(n->args[1]->args[0], -1) || n->shape.rank != 0)
        return NULL;
    Node *args[2] = {n->args[0], n->args[1]->args[1]};
    const Node *p = dag_lookup(E->g, EX_POW, NULL, args, 2, n->shape);
    return p && p->id < n->id ? p : NULL;
}

/* sqrt(b), through the temporary of b^(1/2) when it has one. */
static void emit_square_root(Emitter *E, const Node *b) {
    const Node *s = square_root_of(E, b, E->defining);
    if (s && E->temp[s->id]) {
        emit_temp_or(E, s, C_ATOM);
        return;
    }
    emit_call_name(E, "sqrt");
    sb_putc(E->out, '(');
    emit_temp_or(E, b, 0);
    sb_putc(E->out, ')');
    E->counts.call++;
}

/* b^e for a constant e, as a factor of a product (e > 0). */
static void emit_positive_power(Emitter *E, const Node *b, Num e, int ctx) {
    if (num_is_int(e) && e.p <= 8) {
        int paren = e.p > 1 && ctx > C_PROD;
        if (paren)
            sb_putc(E->out, '(');
        emit_int_power(E, b, (long)e.p);
        if (paren)
            sb_putc(E->out, ')');
        return;
    }
    if (e.is_rat && e.q == 2 && e.p == 1) {
        emit_square_root(E, b);
        return;
    }
    if (e.is_rat && e.q == 2 && e.p <= 15) {
        /* b^(k + 1/2) = b^k sqrt(b): NaN for b < 0 either way */
        int paren = ctx > C_PROD;
        if (paren)
            sb_putc(E->out, '(');
        emit_int_power(E, b, (long)(e.p / 2));
        sb_puts(E->out, " * ");
        E->counts.mul++;
        emit_square_root(E, b);
        if (paren)
            sb_putc(E->out, ')');
        return;
    }
    emit_call_name(E, "pow");
    sb_putc(E->out, '(');
    emit_temp_or(E, b, 0);
    sb_puts(E->out, ", ");
    emit_const(E, e, 0);
    sb_putc(E->out, ')');
    E->counts.call++;
}

/* Factors of a product written inline; a nested product that is not a
 * temporary joins this one, its constant folded into the coefficient
 * (4*(4*(16*u))*v is written 1024*u*v). */
static int count_factors(const Emitter *E, const Node *n) {
    if (n->kind != EX_MUL)
        return 1;
    int c = 0;
    for (int i = 0; i < n->nargs; i++) {
        const Node *a = n->args[i];
        c += a->kind == EX_MUL && !E->temp[a->id] ? count_factors(E, a) : 1;
    }
    return c;
}

static void collect_product(const Emitter *E, const Node *n, Num *coef, const Node **num, int *nn,
                            const Node **den, Num *den_exp, int *nd, int cap) {
    int count = n->kind == EX_MUL ? n->nargs : 1;
    for (int i = 0; i < count; i++) {
        const Node *a = n->kind == EX_MUL ? n->args[i] : n;
        if (a->kind == EX_CONST) {
            Num r;
            if (num_mul(*coef, a->num[0], &r) == NUM_OK)
                *coef = r;
        } else if (a->kind == EX_MUL && !E->temp[a->id]) {
            collect_product(E, a, coef, num, nn, den, den_exp, nd, cap);
        } else if (!E->temp[a->id] && a->kind == EX_POW && a->args[1]->kind == EX_CONST &&
                   num_is_negative(a->args[1]->num[0]) && *nd < cap) {
            den[*nd] = a->args[0];
            den_exp[(*nd)++] = num_neg(a->args[1]->num[0]);
        } else if (*nn < cap) {
            num[(*nn)++] = a;
        }
    }
}

/* A product (or a lone reciprocal power): coef * num... / (den...). */
static void emit_product(Emitter *E, const Node *n, int negate, int ctx) {
    Num coef = num_int(1);
    int count = count_factors(E, n);
    const Node **num = malloc((size_t)count * sizeof *num);
    const Node **den = malloc((size_t)count * sizeof *den);
    Num *den_exp = malloc((size_t)count * sizeof *den_exp);
    if (!num || !den || !den_exp) {
        free(num);
        free(den);
        free(den_exp);
        E->out->failed = 1;
        return;
    }
    int nn = 0, nd = 0;
    collect_product(E, n, &coef, num, &nn, den, den_exp, &nd, count);
    if (negate)
        coef = num_neg(coef);
    int neg = num_is_negative(coef);
    if (neg)
        coef = num_neg(coef);
    int paren = ctx > (neg ? C_UNARY : C_PROD);
    if (paren)
        sb_putc(E->out, '(');
    if (neg)
        sb_putc(E->out, '-');
    int first = 1;
    /* float: a coefficient far from 1 (powers distributed over a product,
     * (200 x)^15 = 200^15 x^15) multiplies last, after the factors that
     * bring the product back into range, not first, where c * a alone can
     * overflow (c = 4.9e35, a = 1000) */
    double c = num_value(coef);
    int late = E->opt->use_float && nn > 0 && (c > 0x1p64 || c < 0x1p-64);
    if ((!num_is_one(coef) || nn == 0) && !late) {
        emit_const(E, coef, C_UNARY);
        first = 0;
    }
    for (int i = 0; i < nn; i++) {
        if (!first) {
            sb_puts(E->out, " * ");
            E->counts.mul++;
        }
        const Node *a = num[i];
        if (!E->temp[a->id] && a->kind == EX_POW && a->args[1]->kind == EX_CONST)
            emit_positive_power(E, a->args[0], a->args[1]->num[0], C_PROD + 1);
        else
            emit_temp_or(E, a, C_PROD + 1);
        first = 0;
    }
    if (late) {
        sb_puts(E->out, " * ");
        E->counts.mul++;
        emit_const(E, coef, C_PROD + 1);
    }
    if (nd) {
        sb_puts(E->out, " / ");
        E->counts.div++;
        int many = nd > 1 || !(num_is_one(den_exp[0]) || (den_exp[0].is_rat && den_exp[0].q == 2 && den_exp[0].p == 1));
        if (many)
            sb_putc(E->out, '(');
        for (int i = 0; i < nd; i++) {
            if (i) {
                sb_puts(E->out, " * ");
                E->counts.mul++;
            }
            if (num_is_one(den_exp[i]))
                emit_temp_or(E, den[i], C_ATOM);
            else
                emit_positive_power(E, den[i], den_exp[i], nd > 1 ? C_PROD + 1 : C_PROD);
        }
        if (many)
            sb_putc(E->out, ')');
    }
    if (paren)
        sb_putc(E->out, ')');
    free(num);
    free(den);
    free(den_exp);
}

static int shared_exp_index(const Emitter *E, const Node *v) {
    for (int k = 0; k < E->nshared_exp; k++)
        if (E->shared_exp[k] == v)
            return k;
    return -1;
}

static void emit_helper_call(Emitter *E, CodegenHelper helper, const Node *n, int nargs) {
    emit_helper_name(E, helper);
    sb_putc(E->out, '(');
    for (int i = 0; i < nargs; i++) {
        if (i)
            sb_puts(E->out, ", ");
        emit_temp_or(E, n->args[i], 0);
    }
    sb_putc(E->out, ')');
    E->counts.call++;
}

static void emit_call(Emitter *E, const Node *n, int ctx) {
    Builtin fn = (Builtin)n->u.fn;
    const Node *u = n->nargs ? n->args[0] : NULL;
    if (fn == BI_PI) {
        emit_literal(E, 3.14159265358979323846);
        return;
    }
    if (fn == BI_EXP && dag_is_num(u, 1)) {
        emit_literal(E, 2.71828182845904523536);
        return;
    }
    if (fn == BI_LOG) {
        const Node *v;
        if (is_call(u, BI_SIGMOID)) {
            /* log(sigmoid(v)) = -softplus(-v): finite for every v */
            int paren = ctx >= C_UNARY;
            sb_puts(E->out, paren ? "(-" : "-");
            emit_helper_name(E, CH_SOFTPLUS);
            sb_puts(E->out, "(-");
            emit_temp_or(E, u->args[0], C_UNARY);
            sb_puts(E->out, paren ? "))" : ")");
            E->counts.call++;
            return;
        }
        if ((v = one_minus_sigmoid(u)) != NULL) {
            /* log(1 - sigmoid(v)) = -softplus(v) */
            int paren = ctx >= C_UNARY;
            sb_puts(E->out, paren ? "(-" : "-");
            emit_helper_name(E, CH_SOFTPLUS);
            sb_putc(E->out, '(');
            emit_temp_or(E, v, 0);
            sb_puts(E->out, paren ? "))" : ")");
            E->counts.call++;
            return;
        }
        if (is_one_plus(u) && !E->temp[u->id]) {
            /* log(1 + w) = log1p(w): accurate when w is tiny */
            emit_call_name(E, "log1p");
            sb_putc(E->out, '(');
            emit_sum(E, u, 1, 0);
            sb_putc(E->out, ')');
            E->counts.call++;
            return;
        }
    }
    if (codegen_libm_name(fn)) {
        emit_call_name(E, codegen_libm_name(fn));
        sb_putc(E->out, '(');
        emit_temp_or(E, u, 0);
        sb_putc(E->out, ')');
        E->counts.call++;
        return;
    }
    int k = fn == BI_SIGMOID || fn == BI_SOFTPLUS ? shared_exp_index(E, u) : -1;
    if (k >= 0 && E->shared_exp_defined[k]) {
        /* sigmoid(v) and softplus(v) from the e<k> = exp(-|v|) they share */
        emit_helper_name(E, fn == BI_SIGMOID ? CH_SIGMOID_E : CH_SOFTPLUS_E);
        sb_putc(E->out, '(');
        emit_temp_or(E, u, 0);
        sb_printf(E->out, ", e%d)", k);
        E->counts.call++;
        return;
    }
    if (codegen_helper_of(fn) != CH_COUNT) {
        emit_helper_call(E, codegen_helper_of(fn), n, n->nargs);
        return;
    }
    sb_puts(E->out, "0 /* unsupported */");
}

static void emit_var(Emitter *E, const Node *n) {
    int v = n->u.var;
    record_read(E, n);
    if (E->param_index[v] >= 0)
        sb_printf(E->out, "x[%d]", E->param_index[v]);
    else if (E->input_index[v] >= 0)
        sb_printf(E->out, "input[%d]", E->input_index[v]);
    else
        sb_puts(E->out, "0 /* unbound */");
}

static void emit(Emitter *E, const Node *n, int ctx) {
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        emit_const(E, n->num[0], ctx);
        break;
    case EX_VAR:
        emit_var(E, n);
        break;
    case EX_ADD:
        emit_sum(E, n, 0, ctx);
        break;
    case EX_MUL:
        emit_product(E, n, 0, ctx);
        break;
    case EX_POW: {
        const Node *b = n->args[0], *e = n->args[1];
        const Node *above = e->kind == EX_CONST ? NULL : power_above(E, n);
        if (e->kind == EX_CONST && num_is_negative(e->num[0])) {
            emit_product(E, n, 0, ctx);
        } else if (e->kind == EX_CONST) {
            emit_positive_power(E, b, e->num[0], ctx);
        } else if (above && E->temp[above->id]) {
            emit_helper_name(E, CH_POW_LESS1);
            sb_putc(E->out, '(');
            emit_temp_or(E, b, 0);
            sb_puts(E->out, ", ");
            emit_temp_or(E, e, 0);
            sb_puts(E->out, ", ");
            emit_temp_or(E, above, 0);
            sb_putc(E->out, ')');
            E->counts.call++;
        } else {
            emit_call_name(E, "pow");
            sb_putc(E->out, '(');
            emit_temp_or(E, b, 0);
            sb_puts(E->out, ", ");
            emit_temp_or(E, e, 0);
            sb_putc(E->out, ')');
            E->counts.call++;
        }
        break;
    }
    case EX_CALL:
        emit_call(E, n, ctx);
        break;
    CASE_TENSOR_KINDS:
    case EX_COUNT:
        break;
    }
}

/* --- kernels ------------------------------------------------------------------ */

static int is_leaf(const Node *n) {
    return n->kind == EX_CONST || n->kind == EX_VAR || (n->kind == EX_CALL && n->nargs == 0) ||
           (is_call(n, BI_EXP) && dag_is_num(n->args[0], 1));
}

/* The arguments a node's emitted text refers to. */
static int written_args(const Node *n, Node *const **args) {
    if (n->kind == EX_CALL && n->u.fn == BI_LOG) {
        const Node *u = n->args[0];
        if (is_call(u, BI_SIGMOID)) {
            *args = u->args; /* log(sigmoid(v)) = -softplus(-v) */
            return 1;
        }
        if (one_minus_sigmoid(u)) {
            *args = u->args[1]->args[1]->args; /* log(1 - sigmoid(v)) = -softplus(v) */
            return 1;
        }
    }
    *args = n->args;
    return n->nargs;
}

int codegen_is_leaf(const Node *n) { return is_leaf(n); }

int codegen_written_args(const Node *n, Node *const **args) { return written_args(n, args); }

/* Mirrors the choices of emit_call (log1p), emit_sum (expm1, a - b) and
 * collect_product (a / b). */
int codegen_fuses(const Node *user, const Node *arg) {
    if (user->kind == EX_ADD && arg->kind == EX_MUL && arg->nargs == 2 && dag_is_num(arg->args[0], -1))
        return 1;
    if (user->kind == EX_MUL && arg->kind == EX_POW && dag_is_num(arg->args[1], -1))
        return 1;
    if (is_call(user, BI_LOG))
        return user->args[0] == arg && !is_call(arg, BI_SIGMOID) && !one_minus_sigmoid(arg) &&
               is_one_plus(arg);
    if (user->kind != EX_ADD || !is_call(arg, BI_EXP))
        return 0;
    int minus_one = 0;
    const Node *first_exp = NULL;
    for (int i = 0; i < user->nargs; i++) {
        minus_one |= dag_is_num(user->args[i], -1);
        if (!first_exp && is_call(user->args[i], BI_EXP))
            first_exp = user->args[i];
    }
    return minus_one && first_exp == arg;
}

/* Chooses temporaries for a kernel: shared nodes, bases of repeated
 * multiplications, and anything that would nest too deeply inline. */
static void plan_kernel(Emitter *E, Node *const *roots, int nroots) {
    Graph *g = E->g;
    size_t nn = g->nnodes;
    memset(E->temp, 0, nn * sizeof *E->temp);
    memset(E->uses, 0, nn * sizeof *E->uses);
    memset(E->mark, 0, nn);
    /* what is reachable through the nodes as they will be written: a
     * careful form may skip a node (log(sigmoid(v)) never computes the
     * sigmoid) */
    uint32_t top = 0;
    for (int i = 0; i < nroots; i++) {
        E->mark[roots[i]->id] = 1;
        if (roots[i]->id + 1 > top)
            top = roots[i]->id + 1;
    }
    for (uint32_t id = top; id-- > 0;) {
        if (!E->mark[id])
            continue;
        Node *const *args;
        int nargs = written_args(g->nodes[id], &args);
        for (int k = 0; k < nargs; k++) {
            E->mark[args[k]->id] = 1;
            E->uses[args[k]->id]++;
        }
        /* b^(k/2), k odd, other than sqrt(b) itself: written through sqrt(b) */
        const Node *n = g->nodes[id];
        if (n->kind == EX_POW && n->args[1]->kind == EX_CONST && n->args[1]->num[0].is_rat &&
            n->args[1]->num[0].q == 2 && n->args[1]->num[0].p != 1) {
            const Node *s = square_root_of(E, n->args[0], id);
            if (s) {
                E->mark[s->id] = 1;
                E->uses[s->id]++;
            }
        }
        /* b^(y - 1) beside b^y: computed from it (a temporary) */
        const Node *p = power_above(E, n);
        if (p) {
            E->mark[p->id] = 1;
            E->uses[p->id] += 2;
        }
    }
    for (int i = 0; i < nroots; i++)
        E->uses[roots[i]->id]++;
    int *depth = calloc(nn ? nn : 1, sizeof *depth);
    if (!depth)
        E->out->failed = 1; /* the temporaries would be chosen otherwise */
    E->ntemps = 0;
    for (size_t id = 0; id < nn; id++) {
        if (!E->mark[id])
            continue;
        const Node *n = g->nodes[id];
        if (is_leaf(n))
            continue;
        int d = 0;
        for (int k = 0; k < n->nargs; k++) {
            const Node *a = n->args[k];
            int da = E->temp[a->id] ? 0 : (depth ? depth[a->id] : 0);
            if (da > d)
                d = da;
        }
        if (depth)
            depth[id] = d + 1;
        int need = E->uses[id] >= 2 || (depth && depth[id] > 12);
        /* a base multiplied by itself must be computed once */
        if (n->kind == EX_POW && n->args[1]->kind == EX_CONST && !is_leaf(n->args[0]) &&
            !E->temp[n->args[0]->id]) {
            E->temp[n->args[0]->id] = ++E->ntemps;
        }
        /* log(sigmoid(v)) re-negates v: make v a value */
        if (n->kind == EX_CALL && n->u.fn == BI_SIGMOID && !is_leaf(n->args[0]) && !E->temp[n->args[0]->id])
            E->temp[n->args[0]->id] = ++E->ntemps;
        if (need && !E->temp[id]) {
            E->temp[id] = ++E->ntemps;
            if (depth)
                depth[id] = 0;
        }
    }
    /* sigmoid(v) and softplus(v) both here: one exp for the two */
    E->nshared_exp = 0;
    E->defining = UINT32_MAX;
    memset(E->shared_exp_defined, 0, sizeof E->shared_exp_defined);
    for (size_t id = 0; id < nn; id++) {
        const Node *n = g->nodes[id];
        if (!E->mark[id] || !is_call(n, BI_SOFTPLUS) || E->nshared_exp == MAX_SHARED_EXP)
            continue;
        int fn = BI_SIGMOID;
        const Node *sig = dag_lookup(g, EX_CALL, &fn, n->args, 1, n->shape);
        if (!sig || !E->mark[sig->id] || n->shape.rank != 0)
            continue;
        E->shared_exp[E->nshared_exp++] = n->args[0];
        /* each computed once, after e */
        if (!E->temp[id])
            E->temp[id] = ++E->ntemps;
        if (!E->temp[sig->id])
            E->temp[sig->id] = ++E->ntemps;
        if (!is_leaf(n->args[0]) && !E->temp[n->args[0]->id])
            E->temp[n->args[0]->id] = ++E->ntemps;
    }
    /* temporaries are numbered in id order */
    int k = 0;
    for (size_t id = 0; id < nn; id++)
        if (E->temp[id])
            E->temp[id] = ++k;
    E->ntemps = k;
    free(depth);
}

static void emit_temps(Emitter *E) {
    Graph *g = E->g;
    for (size_t id = 0; id < g->nnodes; id++) {
        if (!E->temp[id])
            continue;
        int t = E->temp[id];
        const Node *n = g->nodes[id];
        int k = (is_call(n, BI_SIGMOID) || is_call(n, BI_SOFTPLUS)) ? shared_exp_index(E, n->args[0]) : -1;
        if (k >= 0 && !E->shared_exp_defined[k]) {
            /* e<k> just before its first user */
            sb_printf(E->out, "    const %s e%d = exp%s(-fabs%s(", E->T, k, E->fs, E->fs);
            emit_temp_or(E, n->args[0], 0);
            sb_puts(E->out, "));\n");
            E->counts.call += 2;
            end_statement(E);
            E->shared_exp_defined[k] = 1;
        }
        E->temp[id] = 0; /* the definition itself */
        E->defining = (uint32_t)id;
        sb_printf(E->out, "    const %s t%d = ", E->T, t - 1);
        emit(E, g->nodes[id], 0);
        sb_puts(E->out, ";\n");
        end_statement(E);
        E->temp[id] = t;
    }
    E->defining = UINT32_MAX; /* every temporary is defined now */
}

void codegen_signature(StrBuf *sb, const CodegenInput *in, const CodegenOptions *opt,
                       const char *ret, const char *suffix, const char *out_arg, int definition) {
    codegen_prototype(sb, codegen_type(opt->use_float), opt->embedded && definition, ret, opt->name, suffix,
                      in->ninputs > 0, out_arg, 0);
}

static void kernel_signature(Emitter *E, StrBuf *sb, const char *ret, const char *suffix,
                             const char *out_arg) {
    codegen_signature(sb, E->in, E->opt, ret, suffix, out_arg, sb == E->out);
}

typedef struct KernelInfo {
    CodegenCounts counts;
    int temps;
    long max_stmt; /* the most operations of one statement */
} KernelInfo;

/* Emits one function.  results[i] is assigned roots[i] (NULL target:
 * `return`). */
static KernelInfo emit_kernel(Emitter *E, const char *ret, const char *suffix, const char *out_arg,
                              Node *const *roots, const char *const *targets, int nroots,
                              const char *epilogue) {
    KernelInfo info;
    memset(&E->counts, 0, sizeof E->counts);
    E->stmt_start = E->max_stmt = 0;
    plan_kernel(E, roots, nroots);
    kernel_signature(E, E->out, ret, suffix, out_arg);
    sb_puts(E->out, "\n{\n");
    int uses_x = 0, uses_in = 0;
    for (size_t id = 0; id < E->g->nnodes; id++)
        if (E->mark[id] && E->g->nodes[id]->kind == EX_VAR) {
            int v = E->g->nodes[id]->u.var;
            uses_x |= E->param_index[v] >= 0;
            uses_in |= E->input_index[v] >= 0;
        }
    if (!uses_x)
        sb_puts(E->out, "    (void)x;\n");
    if (E->in->ninputs && !uses_in)
        sb_puts(E->out, "    (void)input;\n");
    emit_temps(E);
    const char *ret_expr = NULL;
    for (int i = 0; i < nroots; i++) {
        if (!targets[i]) {
            ret_expr = "";
            continue;
        }
        sb_printf(E->out, "    %s = ", targets[i]);
        emit_temp_or(E, roots[i], 0);
        sb_puts(E->out, ";\n");
        end_statement(E);
    }
    if (epilogue)
        sb_puts(E->out, epilogue);
    if (ret_expr) {
        for (int i = 0; i < nroots; i++)
            if (!targets[i]) {
                sb_puts(E->out, "    return ");
                emit_temp_or(E, roots[i], 0);
                sb_puts(E->out, ";\n");
                end_statement(E);
            }
    }
    sb_puts(E->out, "}\n\n");
    info.counts = E->counts;
    info.temps = E->ntemps;
    info.max_stmt = E->max_stmt;
    return info;
}

/* --- single expressions for other emitters ----------------------------------------------- */

struct CodegenWriter {
    Emitter E;
    size_t nnodes; /* the arrays' size: nodes newer than the writer are not known */
};

CodegenWriter *codegen_writer_new(Graph *g, const CodegenInput *in, const CodegenOptions *opt) {
    CodegenWriter *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    Emitter *E = &w->E;
    size_t nn = g->nnodes ? g->nnodes : 1;
    w->nnodes = g->nnodes;
    E->g = g;
    E->in = in;
    E->opt = opt;
    E->ty = codegen_type(opt->use_float);
    E->T = E->ty->name;
    E->fs = E->ty->suffix;
    E->temp = calloc(nn, sizeof *E->temp);
    E->record_reads = 1;
    E->param_index = malloc((size_t)(g->nvars + 1) * sizeof *E->param_index);
    E->input_index = malloc((size_t)(g->nvars + 1) * sizeof *E->input_index);
    if (!E->temp || !E->param_index || !E->input_index) {
        codegen_writer_free(w);
        return NULL;
    }
    for (int v = 0; v < g->nvars; v++)
        E->param_index[v] = E->input_index[v] = -1;
    for (int i = 0; i < in->nparams; i++)
        E->param_index[in->params[i]] = i;
    for (int i = 0; i < in->ninputs; i++)
        E->input_index[in->inputs[i]] = i;
    return w;
}

void codegen_writer_free(CodegenWriter *w) {
    if (!w)
        return;
    free(w->E.temp);
    free(w->E.reads);
    free(w->E.param_index);
    free(w->E.input_index);
    free(w);
}

void codegen_writer_bind(CodegenWriter *w, const Node *n, int k) {
    if (n->id < w->nnodes)
        w->E.temp[n->id] = k >= 0 ? k + 1 : 0;
}

void codegen_writer_define(CodegenWriter *w, const Node *n, StrBuf *out) {
    int t = n->id < w->nnodes ? w->E.temp[n->id] : 0;
    if (t)
        w->E.temp[n->id] = 0;
    w->E.out = out;
    emit(&w->E, n, 0);
    if (t)
        w->E.temp[n->id] = t;
}

void codegen_writer_ref(CodegenWriter *w, const Node *n, int as_factor, StrBuf *out) {
    w->E.out = out;
    emit_temp_or(&w->E, n, as_factor ? C_PROD : 0);
}

CodegenCounts codegen_writer_take_counts(CodegenWriter *w) {
    CodegenCounts c = w->E.counts;
    memset(&w->E.counts, 0, sizeof w->E.counts);
    return c;
}

size_t codegen_writer_take_reads(CodegenWriter *w, const uint32_t **ids) {
    size_t n = w->E.nreads;
    *ids = w->E.reads;
    w->E.nreads = 0;
    return n;
}

void codegen_writer_helpers(CodegenWriter *w, StrBuf *out) { codegen_helpers(out, w->E.helpers, w->E.ty); }

/* --- the files ------------------------------------------------------------------------ */

void codegen_header_intro(StrBuf *h, const Graph *g, const CodegenInput *in,
                          const CodegenOptions *opt) {
    codegen_header_begin(h, opt->header_file, opt->version, opt->command_line, opt->source_text);
    sb_puts(h, " *\n * Parameters (x[], differentiated):\n");
    for (int i = 0; i < in->nparams; i++)
        sb_printf(h, " *   x[%d] = %s\n", i, g->vars[in->params[i]].name);
    if (in->ninputs) {
        sb_puts(h, " * Inputs (input[], data, not differentiated):\n");
        for (int i = 0; i < in->ninputs; i++)
            sb_printf(h, " *   input[%d] = %s\n", i, g->vars[in->inputs[i]].name);
    }
}

void codegen_header_macros(StrBuf *h, const CodegenInput *in, const CodegenOptions *opt,
                           size_t stack_bytes) {
    char upper[CODEGEN_MAX_NAME + 1];
    codegen_macro_prefix(upper, sizeof upper, opt->name);
    codegen_header_open(h, opt->name);
    sb_printf(h, "#define %s_NVARS %d\n", upper, in->nparams);
    sb_printf(h, "#define %s_NINPUTS %d\n", upper, in->ninputs);
    sb_printf(h, "#define %s_NOUT %d\n", upper, in->is_vector ? in->noutputs : 1);
    sb_printf(h, "#define %s_STACK_BYTES %zu\n\n", upper, stack_bytes);
    codegen_header_declarations(h);
}

void codegen_header_end(StrBuf *h, const CodegenOptions *opt) { codegen_header_close(h, opt->name); }

void codegen_include_header(StrBuf *source, const StrBuf *header, const CodegenOptions *opt) {
    if (opt->inline_header)
        sb_puts(source, sb_str(header));
    else
        sb_printf(source, "#include \"%s\"\n", opt->header_file);
}

static void describe_counts(StrBuf *sb, const char *fn, int width, const KernelInfo *k, int size) {
    sb_printf(sb, " *   %-*s  %ld add, %ld mul, %ld div, %ld call; %d temporaries (%d bytes)\n", width, fn,
              k->counts.add, k->counts.mul, k->counts.div, k->counts.call, k->temps, k->temps * size);
}

const Node *codegen_float_misfit(const Graph *g, Node *const *roots, int nroots) {
    unsigned char *mark = calloc(g->nnodes ? g->nnodes : 1, 1);
    if (!mark)
        return NULL;
    dag_mark_reachable(g, roots, nroots, mark);
    const Node *bad = NULL;
    for (size_t id = 0; id < g->nnodes && !bad; id++) {
        const Node *n = g->nodes[id];
        if (mark[id] && n->kind == EX_CONST && codegen_float_misfit_reason(num_value(n->num[0])))
            bad = n;
    }
    free(mark);
    return bad;
}

/* The stack bound of one kernel (codegen_stack_bound): its temporaries
 * and the intermediate values of its longest statement. */
static size_t kernel_stack(const KernelInfo *k) {
    return codegen_stack_bound(k->temps, k->max_stmt, k->counts.call, 0);
}

/* Frees a kernel's targets (NULL is a `return`) and empties the lists. */
static void free_targets(char **targets, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(targets[i]);
        targets[i] = NULL;
    }
}

/* targets[k] = malloc'd "<array>[index]"; a failure marks out as failed
 * (a NULL target would mean `return`). */
static void set_target(char **targets, size_t k, const char *array, size_t index, StrBuf *out) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s[%zu]", array, index);
    targets[k] = malloc(strlen(buf) + 1);
    if (targets[k])
        memcpy(targets[k], buf, strlen(buf) + 1);
    else
        out->failed = 1;
}

int codegen_c(Graph *g, const CodegenInput *in, const CodegenOptions *opt, StrBuf *source,
              StrBuf *header) {
    Emitter E;
    memset(&E, 0, sizeof E);
    E.g = g;
    E.in = in;
    E.opt = opt;
    E.ty = codegen_type(opt->use_float);
    E.T = E.ty->name;
    E.fs = E.ty->suffix;
    size_t nn = g->nnodes ? g->nnodes : 1;
    size_t n = (size_t)in->nparams, m = (size_t)in->noutputs;
    /* the most roots of one kernel: the value and the gradient (1 + n),
     * the Hessian's upper triangle (n (n + 1) / 2), the vector's value (m)
     * or its Jacobian (m n) */
    size_t nroots = 1 + n;
    if (in->hess && n * (n + 1) / 2 > nroots)
        nroots = n * (n + 1) / 2;
    if (in->is_vector && m > nroots)
        nroots = m;
    if (in->is_vector && m * n > nroots)
        nroots = m * n;
    int too_many = (n && m > SIZE_MAX / sizeof(Node *) / n) || nroots > (size_t)INT_MAX;
    E.temp = calloc(nn, sizeof *E.temp);
    E.uses = calloc(nn, sizeof *E.uses);
    E.mark = calloc(nn, 1);
    E.param_index = malloc((size_t)(g->nvars + 1) * sizeof *E.param_index);
    E.input_index = malloc((size_t)(g->nvars + 1) * sizeof *E.input_index);
    char **targets = too_many ? NULL : calloc(nroots, sizeof *targets);
    Node **roots = too_many ? NULL : calloc(nroots, sizeof *roots);
    StrBuf body;
    sb_init(&body);
    if (!E.temp || !E.uses || !E.mark || !E.param_index || !E.input_index || !targets || !roots) {
        free(E.temp);
        free(E.uses);
        free(E.mark);
        free(E.param_index);
        free(E.input_index);
        free(targets);
        free(roots);
        return -1;
    }
    for (int v = 0; v < g->nvars; v++)
        E.param_index[v] = E.input_index[v] = -1;
    for (int i = 0; i < in->nparams; i++)
        E.param_index[in->params[i]] = i;
    for (int i = 0; i < in->ninputs; i++)
        E.input_index[in->inputs[i]] = i;
    E.out = &body;

    /* kernels */
    KernelInfo k_value, k_grad, k_hess;
    memset(&k_hess, 0, sizeof k_hess);
    size_t nt = 0;
    if (!in->is_vector) {
        roots[0] = in->outputs[0];
        k_value = emit_kernel(&E, E.T, "", NULL, roots, (const char *const *)targets, 1, NULL);
        nt = 1; /* targets[0] = NULL: the returned value */
        for (size_t i = 0; i < n; i++) {
            roots[nt] = in->grad[i];
            set_target(targets, nt++, "grad", i, E.out);
        }
        k_grad = emit_kernel(&E, E.T, "_grad", "grad", roots, (const char *const *)targets, (int)nt, NULL);
        free_targets(targets, nt);
        if (in->hess) {
            /* the upper triangle, then the mirror copies */
            nt = 0;
            StrBuf mirror;
            sb_init(&mirror);
            for (size_t i = 0; i < n; i++)
                for (size_t j = i; j < n; j++) {
                    roots[nt] = in->hess[i * n + j];
                    set_target(targets, nt++, "H", i * n + j, E.out);
                    if (j > i)
                        sb_printf(&mirror, "    H[%zu] = H[%zu];\n", j * n + i, i * n + j);
                }
            k_hess = emit_kernel(&E, "void", "_hess", "H", roots, (const char *const *)targets, (int)nt,
                                 sb_str(&mirror));
            if (mirror.failed)
                E.out->failed = 1; /* mirror copies would be missing */
            sb_free(&mirror);
            free_targets(targets, nt);
        }
    } else {
        for (size_t i = 0; i < m; i++) {
            roots[i] = in->outputs[i];
            set_target(targets, i, "y", i, E.out);
        }
        k_value = emit_kernel(&E, "void", "", "y", roots, (const char *const *)targets, (int)m, NULL);
        free_targets(targets, m);
        nt = 0;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) {
                roots[nt] = in->grad[i * n + j];
                set_target(targets, nt++, "J", i * n + j, E.out);
            }
        k_grad = emit_kernel(&E, "void", "_jac", "J", roots, (const char *const *)targets, (int)nt, NULL);
        free_targets(targets, nt);
    }

    /* the header */
    int size = E.ty->size;
    codegen_header_intro(header, g, in, opt);
    sb_puts(header, " *\n * Entry points (no allocation, no globals, reentrant; <math.h> only):\n");
    StrBuf sig;
    sb_init(&sig);
    if (!in->is_vector) {
        sb_printf(header, " *   %s       the value\n", opt->name);
        sb_printf(header, " *   %s_grad  fills grad[%zu] (grad[i] = d f / d x[i]), returns the value\n",
                  opt->name, n);
        if (in->hess)
            sb_printf(header, " *   %s_hess  fills H[%zu*%zu], row-major: H[i*%zu + j] = d2 f / dx[i] dx[j]\n",
                      opt->name, n, n, n);
    } else {
        sb_printf(header, " *   %s       fills y[%zu], the value\n", opt->name, m);
        sb_printf(header,
                  " *   %s_jac   fills J[%zu*%zu], row-major: J[i*%zu + j] = d y[i] / d x[j]\n",
                  opt->name, m, n, n);
    }
    codegen_header_aliasing(header, opt->name, in->is_vector ? "_jac" : "_grad",
                            in->is_vector ? "y and J" : in->hess ? "grad and H" : "grad");
    sb_printf(header, " *\n * Cost per call (operations; temporaries on the stack, %s):\n", E.T);
    char fname[160];
    snprintf(fname, sizeof fname, "%s", opt->name);
    int width = (int)strlen(opt->name) + 5;
    describe_counts(header, fname, width, &k_value, size);
    snprintf(fname, sizeof fname, "%s%s", opt->name, in->is_vector ? "_jac" : "_grad");
    describe_counts(header, fname, width, &k_grad, size);
    if (in->hess) {
        snprintf(fname, sizeof fname, "%s_hess", opt->name);
        describe_counts(header, fname, width, &k_hess, size);
    }
    size_t stack = kernel_stack(&k_value);
    if (kernel_stack(&k_grad) > stack)
        stack = kernel_stack(&k_grad);
    if (in->hess && kernel_stack(&k_hess) > stack)
        stack = kernel_stack(&k_hess);
    codegen_header_stack(header, opt->name, stack);
    sb_puts(header, " */\n");
    codegen_header_macros(header, in, opt, stack);
    if (!in->is_vector) {
        kernel_signature(&E, &sig, E.T, "", NULL);
        sb_printf(header, "%s;\n", sb_str(&sig));
        sb_clear(&sig);
        kernel_signature(&E, &sig, E.T, "_grad", "grad");
        sb_printf(header, "%s;\n", sb_str(&sig));
        sb_clear(&sig);
        if (in->hess) {
            kernel_signature(&E, &sig, "void", "_hess", "H");
            sb_printf(header, "%s;\n", sb_str(&sig));
            sb_clear(&sig);
        }
    } else {
        kernel_signature(&E, &sig, "void", "", "y");
        sb_printf(header, "%s;\n", sb_str(&sig));
        sb_clear(&sig);
        kernel_signature(&E, &sig, "void", "_jac", "J");
        sb_printf(header, "%s;\n", sb_str(&sig));
        sb_clear(&sig);
    }
    codegen_header_end(header, opt);
    if (sig.failed)
        header->failed = 1; /* a declaration would be missing */
    sb_free(&sig);

    /* the source */
    if (!opt->embedded) {
        sb_printf(source, "/* Generated by symdiff %s from the program described in %s. Do not edit. */\n",
                  opt->version, opt->header_file);
        codegen_include_header(source, header, opt);
        sb_puts(source, "\n#include <math.h>\n\n");
    }
    codegen_helpers(source, E.helpers, E.ty);
    sb_puts(source, sb_str(&body));

    int failed = body.failed || source->failed || header->failed;
    sb_free(&body);
    free(targets);
    free(roots);
    free(E.temp);
    free(E.uses);
    free(E.mark);
    free(E.param_index);
    free(E.input_index);
    return failed ? -1 : 0;
}

/* --- the test program ------------------------------------------------------------------- */

int codegen_test_program(const Graph *g, const CodegenInput *in, const CodegenOptions *opt,
                         StrBuf *out) {
    const char *T = opt->use_float ? "float" : "double";
    const char *name = opt->name;
    int n = in->nparams, m = in->is_vector ? in->noutputs : 1, nin = in->ninputs;
    int hess = !in->is_vector && in->hess != NULL;
    const char *ktol = opt->use_float ? "1e-2" : "1e-12";
    /* a double-precision reference copy of the kernels, private to the test */
    CodegenOptions ref = *opt;
    ref.name = "sdt_ref";
    ref.use_float = 0;
    ref.embedded = 1;
    StrBuf ref_src, ref_hdr;
    sb_init(&ref_src);
    sb_init(&ref_hdr);
    if (codegen_c((Graph *)g, in, &ref, &ref_src, &ref_hdr) != 0) {
        sb_free(&ref_src);
        sb_free(&ref_hdr);
        return -1;
    }
    sb_printf(out,
              "/* %s_test.c — generated by symdiff %s.\n"
              " *\n"
              " * Checks the kernels of %s: a double-precision reference copy of them is\n"
              " * compared with extrapolated central differences (Ridders' method, repeated\n"
              " * with smaller and smaller first steps until two runs agree), to 1e-7; then\n"
              " * the kernels themselves (%s) are compared with the reference, to %s.\n"
              " * Points are drawn in [LO, HI) (define them to change it); points where the\n"
              " * function is not finite are skipped.  Exit status 0 when everything agrees\n"
              " * and at least one finite-difference comparison converged. */\n"
              "#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n\n"
              "#include \"%s\"\n\n"
              "#ifndef LO\n#define LO (-2.0)\n#endif\n#ifndef HI\n#define HI 2.0\n#endif\n"
              "#define SDT_NV %d\n#define SDT_NI %d\n#define SDT_NO %d\n\n",
              name, opt->version, opt->header_file, T, ktol, opt->header_file, n, nin > 0 ? nin : 1, m);
    sb_puts(out, sb_str(&ref_src));
    sb_free(&ref_src);
    sb_free(&ref_hdr);
    const char *inarg = nin ? ", input" : "";
    /* the kernels under test, called only through these wrappers so that no
     * name in this file can clash with the user's --name */
    if (in->is_vector)
        sb_printf(out,
                  "static void sdt_value_t(const %s *sdt_x, const %s *sdt_i, %s *sdt_y)\n{\n%s"
                  "    %s(sdt_x%s, sdt_y);\n}\n\n"
                  "static void sdt_jac_t(const %s *sdt_x, const %s *sdt_i, %s *sdt_j)\n{\n%s"
                  "    %s_jac(sdt_x%s, sdt_j);\n}\n\n",
                  T, T, T, nin ? "" : "    (void)sdt_i;\n", name, nin ? ", sdt_i" : "", T, T, T,
                  nin ? "" : "    (void)sdt_i;\n", name, nin ? ", sdt_i" : "");
    else
        sb_printf(out,
                  "static double sdt_value_t(const %s *sdt_x, const %s *sdt_i)\n{\n%s"
                  "    return (double)%s(sdt_x%s);\n}\n\n"
                  "static double sdt_grad_t(const %s *sdt_x, const %s *sdt_i, %s *sdt_g)\n{\n%s"
                  "    return (double)%s_grad(sdt_x%s, sdt_g);\n}\n\n",
                  T, T, nin ? "" : "    (void)sdt_i;\n", name, nin ? ", sdt_i" : "", T, T, T,
                  nin ? "" : "    (void)sdt_i;\n", name, nin ? ", sdt_i" : "");
    if (hess)
        sb_printf(out,
                  "static void sdt_hess_t(const %s *sdt_x, const %s *sdt_i, %s *sdt_h)\n{\n%s"
                  "    %s_hess(sdt_x%s, sdt_h);\n}\n\n",
                  T, T, T, nin ? "" : "    (void)sdt_i;\n", name, nin ? ", sdt_i" : "");
    sb_puts(out,
            "static uint64_t sdt_state = 0x9E3779B97F4A7C15u;\n\n"
            "static double sdt_uniform(double lo, double hi)\n{\n"
            "    sdt_state ^= sdt_state << 13;\n    sdt_state ^= sdt_state >> 7;\n    sdt_state ^= sdt_state << 17;\n"
            "    return lo + (hi - lo) * (double)(sdt_state >> 11) / 9007199254740992.0;\n}\n\n");
    sb_puts(out, "/* what is differentiated: output k of the reference (order 1), or\n"
                 " * component k of its gradient (order 2, for the Hessian) */\n"
                 "static double sdt_value(int order, const double *x, const double *input, int k)\n{\n");
    if (!nin)
        sb_puts(out, "    (void)input;\n");
    if (in->is_vector)
        sb_printf(out, "    (void)order;\n    double y[SDT_NO];\n    sdt_ref(x%s, y);\n    return y[k];\n}\n\n", inarg);
    else
        sb_printf(out,
                  "    if (order == 2) {\n        double g[SDT_NV + 1];\n        (void)sdt_ref_grad(x%s, g);\n"
                  "        return g[k];\n    }\n"
                  "    (void)k;\n    return sdt_ref(x%s);\n}\n\n",
                  inarg, inarg);
    sb_puts(out,
            "/* d value / d x_j by Ridders' method from first step h: central differences\n"
            " * with steps h, h/1.4, h/1.4^2, ... extrapolated to step 0; *err estimates\n"
            " * the error. */\n"
            "static double sdt_ridders(int order, double *x, const double *input, int k, int j, double h,\n"
            "                      double *err)\n{\n"
            "    enum { N = 12 };\n"
            "    double a[N][N], best = HUGE_VAL, x0 = x[j];\n"
            "    *err = HUGE_VAL;\n"
            "    for (int i = 0; i < N; i++, h /= 1.4) {\n"
            "        x[j] = x0 + h;\n        double fp = sdt_value(order, x, input, k);\n"
            "        x[j] = x0 - h;\n        double fm = sdt_value(order, x, input, k);\n"
            "        x[j] = x0;\n"
            "        a[0][i] = (fp - fm) / (2 * h);\n"
            "        double fac = 1.4 * 1.4;\n"
            "        for (int q = 1; q <= i; q++, fac *= 1.4 * 1.4) {\n"
            "            a[q][i] = (a[q - 1][i] * fac - a[q - 1][i - 1]) / (fac - 1);\n"
            "            double e1 = fabs(a[q][i] - a[q - 1][i]), e2 = fabs(a[q][i] - a[q - 1][i - 1]);\n"
            "            double e = e1 > e2 ? e1 : e2;\n"
            "            if (e <= *err) {\n                *err = e;\n                best = a[q][i];\n            }\n"
            "        }\n"
            "        if (i > 0 && fabs(a[i][i] - a[i - 1][i - 1]) >= 2 * *err)\n            break;\n"
            "    }\n"
            "    return best;\n}\n\n"
            "/* A derivative both runs of Ridders' method agree on, starting from first\n"
            " * steps 1e-2, 1e-3, ... (relative to x): a function that oscillates faster\n"
            " * than the first step fools one run, rarely two.  Returns 0 when no two\n"
            " * consecutive runs agree. */\n"
            "static int sdt_derivative(int order, double *x, const double *input, int k, int j, double *d)\n{\n"
            "    double scale = fabs(x[j]) > 1 ? fabs(x[j]) : 1, prev = HUGE_VAL;\n"
            "    for (double h = 1e-2; h >= 1e-9; h /= 10) {\n"
            "        double err, dh = sdt_ridders(order, x, input, k, j, h * scale, &err);\n"
            "        double s = fabs(dh) > 1 ? fabs(dh) : 1;\n"
            "        if (isfinite(dh) && err <= 1e-8 * s && fabs(dh - prev) <= 1e-8 * s) {\n"
            "            *d = dh;\n            return 1;\n        }\n"
            "        prev = dh;\n    }\n    return 0;\n}\n\n"
            "static int sdt_close(double a, double b, double tol)\n{\n"
            "    double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);\n"
            "    return fabs(a - b) <= tol * (s > 1 ? s : 1);\n}\n\n");
    /* class labels (inputs onehot or cross_entropy reads) are drawn from
     * their classes, other data from [LO, HI) */
    int labels = 0;
    for (int i = 0; in->input_classes && i < nin; i++)
        labels |= in->input_classes[i] > 0;
    char draw[128];
    snprintf(draw, sizeof draw,
             labels ? "sdt_classes[i] ? floor(sdt_uniform(0, sdt_classes[i])) : (double)(%s)sdt_uniform(LO, HI)"
                    : "(double)(%s)sdt_uniform(LO, HI)",
             T);
    if (labels) {
        sb_puts(out, "/* per entry of input[]: the number of classes of a label, 0 for data */\n"
                     "static const int sdt_classes[SDT_NI] = {");
        for (int i = 0; i < nin; i++)
            sb_printf(out, "%s%d", i ? ", " : "", in->input_classes[i]);
        sb_puts(out, "};\n\n");
    }
    /* main */
    sb_printf(out,
              "int main(void)\n{\n"
              "    double x[SDT_NV + 1], input[SDT_NI], dref[SDT_NO * SDT_NV + 1], href[SDT_NV * SDT_NV + 1];\n"
              "    %s xt[SDT_NV + 1], it[SDT_NI], d[SDT_NO * SDT_NV + 1], h[SDT_NV * SDT_NV + 1], yt[SDT_NO];\n"
              "    int tested = 0, compared = 0, unsure = 0, failed = 0;\n"
              "    (void)href;\n    (void)h;\n    (void)it;\n    (void)yt;\n"
              "    for (int trial = 0; trial < 5000 && tested < 25; trial++) {\n"
              "        for (int i = 0; i < SDT_NV; i++)\n            x[i] = (double)(%s)sdt_uniform(LO, HI);\n"
              "        for (int i = 0; i < SDT_NI; i++)\n            input[i] = %s;\n"
              "        int ok = 1;\n"
              "        for (int k = 0; k < SDT_NO; k++)\n            ok = ok && isfinite(sdt_value(1, x, input, k));\n",
              T, T, draw);
    if (in->is_vector)
        sb_printf(out, "        sdt_ref_jac(x%s, dref);\n", inarg);
    else
        sb_printf(out, "        (void)sdt_ref_grad(x%s, dref);\n", inarg);
    if (hess)
        sb_printf(out, "        sdt_ref_hess(x%s, href);\n", inarg);
    sb_printf(out,
              "        for (int i = 0; i < SDT_NO * SDT_NV; i++)\n            ok = ok && isfinite(dref[i]);\n"
              "        if (!ok)\n            continue; /* outside the domain */\n"
              "        tested++;\n"
              "        for (int k = 0; k < SDT_NO; k++)\n"
              "            for (int j = 0; j < SDT_NV; j++) {\n"
              "                double fd;\n"
              "                if (!sdt_derivative(1, x, input, k, j, &fd)) {\n                    unsure++;\n                    continue;\n                }\n"
              "                compared++;\n"
              "                if (!sdt_close(dref[k * SDT_NV + j], fd, 1e-7)) {\n"
              "                    printf(\"d output %%d / d x[%%d]: %%.17g, finite differences %%.17g\\n\", k, j,\n"
              "                           dref[k * SDT_NV + j], fd);\n"
              "                    failed++;\n                }\n"
              "            }\n");
    if (hess)
        sb_puts(out,
                "        for (int i = 0; i < SDT_NV; i++)\n"
                "            for (int j = 0; j < SDT_NV; j++) {\n"
                "                double fd;\n"
                "                if (!isfinite(href[i * SDT_NV + j]) || !sdt_derivative(2, x, input, i, j, &fd)) {\n"
                "                    unsure++;\n                    continue;\n                }\n"
                "                compared++;\n"
                "                if (!sdt_close(href[i * SDT_NV + j], fd, 1e-6)) {\n"
                "                    printf(\"H[%d][%d]: %.17g, finite differences of the gradient %.17g\\n\", i, j,\n"
                "                           href[i * SDT_NV + j], fd);\n"
                "                    failed++;\n                }\n"
                "            }\n");
    sb_puts(out,
            "        /* the kernels under test, against the reference */\n"
            "        for (int i = 0; i < SDT_NV; i++)\n            xt[i] = x[i];\n"
            "        for (int i = 0; i < SDT_NI; i++)\n            it[i] = input[i];\n");

    if (in->is_vector) {
        sb_puts(out, "        sdt_jac_t(xt, it, d);\n        sdt_value_t(xt, it, yt);\n");
        sb_printf(out,
                  "        for (int k = 0; k < SDT_NO; k++)\n"
                  "            if (!sdt_close((double)yt[k], sdt_value(1, x, input, k), %s)) {\n"
                  "                printf(\"%s: output %%d differs from the double-precision reference\\n\", k);\n"
                  "                failed++;\n            }\n",
                  ktol, name);
    } else {
        sb_printf(out,
                  "        yt[0] = (%s)sdt_grad_t(xt, it, d);\n"
                  "        if (!sdt_close((double)yt[0], sdt_value(1, x, input, 0), %s) ||\n"
                  "            !sdt_close(sdt_value_t(xt, it), sdt_value(1, x, input, 0), %s)) {\n"
                  "            printf(\"%s or %s_grad: the value differs from the double-precision reference\\n\");\n"
                  "            failed++;\n        }\n",
                  T, ktol, ktol, name, name);
        if (hess)
            sb_printf(out,
                      "        sdt_hess_t(xt, it, h);\n"
                      "        for (int i = 0; i < SDT_NV * SDT_NV; i++)\n"
                      "            if (isfinite(href[i]) && !sdt_close((double)h[i], href[i], %s)) {\n"
                      "                printf(\"%s_hess: H[%%d][%%d] is %%.9g, the reference %%.17g\\n\", i / SDT_NV, i %% SDT_NV,\n"
                      "                       (double)h[i], href[i]);\n"
                      "                failed++;\n            }\n",
                      ktol, name);
    }
    sb_printf(out,
              "        for (int i = 0; i < SDT_NO * SDT_NV; i++)\n"
              "            if (isfinite((double)d[i]) && !sdt_close((double)d[i], dref[i], %s)) {\n"
              "                printf(\"%s: derivative %%d of output %%d is %%.9g, the reference %%.17g\\n\", i %% SDT_NV,\n"
              "                       i / SDT_NV, (double)d[i], dref[i]);\n"
              "                failed++;\n            }\n"
              "    }\n"
              "    int bad = failed || !tested || !compared;\n"
              "    printf(\"%s: %%d points, %%d finite-difference comparisons (%%d did not converge): %%s\\n\", tested,\n"
              "           compared, unsure, bad ? \"FAILED\" : \"ok\");\n"
              "    if (!compared)\n"
              "        printf(\"no comparison converged: the function varies too fast between LO and HI\\n\");\n"
              "    return bad ? 1 : 0;\n}\n",
              ktol, name, name);
    return out->failed ? -1 : 0;
}

/* --- the training program ------------------------------------------------------------------ */

int codegen_train_program(const Graph *g, const CodegenInput *in, const CodegenOptions *opt,
                          StrBuf *out) {
    const char *name = opt->name;
    int n = in->nparams, nin = in->ninputs;
    if (in->is_vector || nin == 0 || opt->use_float)
        return -1;
    sb_printf(out,
              "/* %s_main.c — generated by symdiff %s: trains the parameters of %s.h.\n"
              " *\n"
              " *   usage: %s_train DATA.csv [epochs] [learning-rate] [batch] [adam|sgd|momentum] [seed]\n"
              " *\n"
              " * Each row of DATA.csv holds the inputs, in this order (a header line is\n"
              " * skipped when the first field is not a number):\n",
              name, opt->version, name, name);
    for (int i = 0; i < nin; i++)
        sb_printf(out, " *   column %d: %s\n", i + 1, g->vars[in->inputs[i]].name);
    sb_puts(out, " * The loss is the mean of the program over the rows; the parameters\n");
    for (int i = 0; i < n; i++)
        sb_printf(out, " *   %s%s", g->vars[in->params[i]].name, i + 1 < n ? ",\n" : "\n");
    sb_printf(out,
              " * start at small random values and are printed at the end. */\n"
              "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
              "#include \"%s\"\n#include \"sdrt.h\"\n\n"
              "typedef struct Data {\n    const double *rows;\n    size_t cols;\n} Data;\n\n"
              "/* The mean loss of a minibatch and its gradient. */\n"
              "static double batch_loss(const double *theta, double *grad, const size_t *idx, size_t count,\n"
              "                         void *ctx)\n{\n"
              "    const Data *d = ctx;\n"
              "    double g[%d], loss = 0;\n"
              "    memset(grad, 0, sizeof g);\n"
              "    for (size_t k = 0; k < count; k++) {\n"
              "        loss += %s_grad(theta, d->rows + idx[k] * d->cols, g);\n"
              "        for (int i = 0; i < %d; i++)\n            grad[i] += g[i];\n"
              "    }\n"
              "    for (int i = 0; i < %d; i++)\n        grad[i] /= (double)count;\n"
              "    return loss / (double)count;\n}\n\n",
              opt->header_file, n, name, n, n);
    codegen_train_args(out);
    sb_puts(out, "    size_t batch = argc > 4 ? (size_t)atol(argv[4]) : 32;\n");
    codegen_train_load_csv(out);
    sb_printf(out,
              "    if (csv.cols != %d) {\n"
              "        fprintf(stderr, \"%%s: error: %%zu columns, expected %d (the inputs of %s)\\n\", argv[1], csv.cols);\n"
              "        sdrt_csv_free(&csv);\n        return 1;\n    }\n"
              "    Data data = {csv.data, csv.cols};\n"
              "    double theta[%d], grad[%d], m[%d], v[%d];\n"
              "    size_t *idx = malloc(csv.rows * sizeof *idx);\n"
              "    if (!idx) {\n        sdrt_csv_free(&csv);\n        return 1;\n    }\n"
              "    SdrtRng rng;\n    sdrt_rng_seed(&rng, seed);\n"
              "    for (int i = 0; i < %d; i++)\n        theta[i] = 0.1 * sdrt_rng_normal(&rng);\n",
              nin, nin, name, n > 0 ? n : 1, n > 0 ? n : 1, n > 0 ? n : 1, n > 0 ? n : 1, n);
    char count[32];
    snprintf(count, sizeof count, "%d", n);
    codegen_train_optimiser(out, count);
    sb_printf(out,
              "    SdrtBatcher b;\n    sdrt_batcher_init(&b, idx, csv.rows, batch);\n"
              "    SdrtProgress progress;\n    sdrt_progress_init(&progress, stdout, epochs, epochs >= 20 ? epochs / 20 : 1);\n"
              "    int status = 0;\n"
              "    for (long e = 1; e <= epochs; e++) {\n"
              "        double loss;\n"
              "        if (sdrt_minibatch_epoch(&b, &rng, batch_loss, &data, opt, theta, grad, %d, &loss) != SDRT_OK) {\n"
              "            sdrt_progress_finish(&progress);\n"
              "            fprintf(stderr, \"training diverged at epoch %%ld (loss %%g): try a smaller learning rate\\n\", e, loss);\n"
              "            status = 1;\n            break;\n        }\n"
              "        sdrt_progress_update(&progress, e, loss, -1);\n"
              "    }\n"
              "    sdrt_progress_finish(&progress);\n",
              n);
    for (int i = 0; i < n; i++)
        sb_printf(out, "    printf(\"%s = %%.17g\\n\", theta[%d]);\n", g->vars[in->params[i]].name, i);
    sb_puts(out, "    free(idx);\n    sdrt_csv_free(&csv);\n    return status;\n}\n");
    return out->failed ? -1 : 0;
}
