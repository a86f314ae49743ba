/* SPDX-License-Identifier: MIT */
/*
 * codegen.c — the emitter core (codegen_core.h) and the kernels of programs
 * without vectors and matrices (codegen.h).
 *
 * Consumes the function and derivative nodes; produces C.  Each kernel
 * visits the nodes it needs in id order (a topological order): a node used
 * more than once becomes a `const` temporary, a node used once is written
 * inline in its user.  The same writer writes the scalars and the element
 * expressions of codegen_tensor.c's kernels: only the way a leaf, a
 * temporary or a materialised vector is referred to depends on the kernel
 * (codegen_core.h).  Precision is a property of every token: in float mode
 * the type, every literal (`1.0f`) and every libm call (`expf`) are single
 * precision, so the code compiles under -Wdouble-promotion.  Numerically
 * careful forms are chosen at emission, each one value-preserving:
 * log(1 + u) is log1p(u), exp(u) - 1 is expm1(u), log(sigmoid(u)) is
 * -softplus(-u), log(1 - sigmoid(u)) is -softplus(u), and sigmoid and
 * softplus never overflow.  Work is shared where the kernel computes the
 * same thing twice in different dress: one e = exp(-|v|) (and one
 * log1p(e)) for every sigmoid, softplus and logarithm of a sigmoid of v or
 * -v, one square root for b^(k/2) beside sqrt(b), b^(y - 1) from b^y, and
 * products that lack one factor of a longer product from its prefix and
 * suffix products.
 */
#include "codegen.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_common.h"
#include "codegen_core.h"

static void emit(Emitter *E, const Node *n, int ctx);
static void emit_ref(Emitter *E, const Node *n, int ctx);

static long count_total(const CodegenCounts *c) { return c->add + c->mul + c->div + c->call; }

/* Ends a statement: its operations are values that live while it is
 * computed (the stack bound counts the most of one statement). */
void codegen_end_statement(Emitter *E) {
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

static size_t cols_of(Shape s) { return s.rank == 2 ? (size_t)s.dim[1] : 1; }

/* Is n named by the current kernel (a temporary, or a materialised vector
 * or matrix)?  Nodes newer than the emitter are not. */
static int named(const Emitter *E, const Node *n) { return n->id < E->nn && E->temp[n->id]; }

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

void codegen_subscript(StrBuf *out, const char *base, size_t off, CodegenIndex r, CodegenIndex c, size_t cols,
                       int rank) {
    if (rank >= 1 && !r.var)
        off += r.at * (rank == 2 ? cols : 1);
    if (rank == 2 && !c.var)
        off += c.at;
    int vr = rank >= 1 && r.var, vc = rank == 2 && c.var;
    sb_printf(out, "%s[", base);
    if (off || (!vr && !vc))
        sb_printf(out, "%zu%s", off, vr || vc ? " + " : "");
    if (vr) {
        sb_puts(out, r.var);
        if (rank == 2)
            sb_printf(out, " * %zu", cols);
        if (vc)
            sb_puts(out, " + ");
    }
    if (vc)
        sb_puts(out, c.var);
    sb_putc(out, ']');
}

/* A named node: t<k> for a scalar, its slot at the binding for a vector or
 * matrix. */
static void emit_name(Emitter *E, const Node *n) {
    record_read(E, n);
    if (n->shape.rank == 0)
        sb_printf(E->out, "t%d", E->temp[n->id] - 1);
    else
        codegen_subscript(E->out, E->home[n->id] == HOME_WORK ? "work" : E->out_name, E->offset[n->id], E->row,
                          E->col, cols_of(n->shape), n->shape.rank);
}

void codegen_temp_name(Emitter *E, const Node *n) { emit_name(E, n); }

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

/* n where it is used: its name when the kernel names it, else inline. */
static void emit_ref(Emitter *E, const Node *n, int ctx) {
    if (named(E, n)) {
        emit_name(E, n);
        return;
    }
    emit(E, n, ctx);
}

void codegen_ref(Emitter *E, const Node *n, int ctx) { emit_ref(E, n, ctx); }

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
            emit_ref(E, t->args[0], 0);
            sb_putc(E->out, ')');
            E->counts.call++;
            first = 0;
            continue;
        }
        int neg = !first && !named(E, t) && negative_term(t);
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
            emit_ref(E, t, first ? C_SUM : C_SUM + 1);
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
            emit_ref(E, b, C_ATOM);
        }
        return;
    }
    sb_putc(E->out, '(');
    emit_int_power(E, b, k / 2);
    sb_puts(E->out, ") * (");
    long muls = E->counts.mul; /* the repeated half is computed once */
    emit_int_power(E, b, k / 2);
    E->counts.mul = muls;
    sb_putc(E->out, ')');
    E->counts.mul++;
    if (k % 2) {
        sb_puts(E->out, " * ");
        emit_ref(E, b, C_ATOM);
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
    return s && s->id < below && s->id < E->nn ? s : NULL;
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
    if (s && named(E, s)) {
        emit_ref(E, s, C_ATOM);
        return;
    }
    emit_call_name(E, "sqrt");
    sb_putc(E->out, '(');
    emit_ref(E, b, 0);
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
    emit_ref(E, b, 0);
    sb_puts(E->out, ", ");
    emit_const(E, e, 0);
    sb_putc(E->out, ')');
    E->counts.call++;
}

/* How often b is written by b^e (e a constant): as a product of copies of
 * b, and once more for a half-integer power's square root. */
static long power_copies(const Node *e) {
    if (e->kind != EX_CONST)
        return 1;
    Num k = e->num[0];
    if (num_is_negative(k))
        k = num_neg(k);
    if (num_is_int(k) && k.p <= 8)
        return (long)k.p;
    if (k.is_rat && k.q == 2 && k.p <= 15)
        return (long)(k.p / 2) + 1;
    return 1;
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
        c += a->kind == EX_MUL && !named(E, a) ? count_factors(E, a) : 1;
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
        } else if (a->kind == EX_MUL && !named(E, a)) {
            collect_product(E, a, coef, num, nn, den, den_exp, nd, cap);
        } else if (!named(E, a) && a->kind == EX_POW && a->args[1]->kind == EX_CONST &&
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
        if (!named(E, a) && a->kind == EX_POW && a->args[1]->kind == EX_CONST)
            emit_positive_power(E, a->args[0], a->args[1]->num[0], C_PROD + 1);
        else
            emit_ref(E, a, C_PROD + 1);
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
                emit_ref(E, den[i], C_ATOM);
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

static void emit_helper_call(Emitter *E, CodegenHelper helper, const Node *n) {
    emit_helper_name(E, helper);
    sb_putc(E->out, '(');
    for (int i = 0; i < n->nargs; i++) {
        if (i)
            sb_puts(E->out, ", ");
        emit_ref(E, n->args[i], 0);
    }
    sb_putc(E->out, ')');
    E->counts.call++;
}

/* -softplus(v) (negate: -softplus(-v)), the logarithm of a sigmoid:
 * finite for every v. */
static void emit_log_sigmoid(Emitter *E, const Node *v, int negate, int ctx) {
    int paren = ctx >= C_UNARY;
    sb_puts(E->out, paren ? "(-" : "-");
    emit_helper_name(E, CH_SOFTPLUS);
    sb_puts(E->out, negate ? "(-" : "(");
    emit_ref(E, v, negate ? C_UNARY : 0);
    sb_puts(E->out, paren ? "))" : ")");
    E->counts.call++;
}

static void emit_call(Emitter *E, const Node *n, int ctx) {
    Builtin fn = (Builtin)n->u.fn;
    const Node *u = n->nargs ? n->args[0] : NULL;
    if (fn == BI_EXP && dag_is_num(u, 1)) {
        emit_literal(E, 2.71828182845904523536);
        return;
    }
    if (fn == BI_LOG) {
        const Node *v;
        if (is_call(u, BI_SIGMOID)) {
            /* log(sigmoid(v)) = -softplus(-v): finite for every v */
            emit_log_sigmoid(E, u->args[0], 1, ctx);
            return;
        }
        if ((v = one_minus_sigmoid(u)) != NULL) {
            /* log(1 - sigmoid(v)) = -softplus(v) */
            emit_log_sigmoid(E, v, 0, ctx);
            return;
        }
        if (is_one_plus(u) && !named(E, u)) {
            /* log(1 + w) = log1p(w): accurate when w is tiny */
            emit_call_name(E, "log1p");
            sb_putc(E->out, '(');
            emit_sum(E, u, 1, 0);
            sb_putc(E->out, ')');
            E->counts.call++;
            return;
        }
    }
    CodegenForm form = codegen_form_of(fn);
    switch (form.kind) {
    case CF_CONSTANT:
        emit_literal(E, form.value);
        return;
    case CF_LIBM:
        emit_call_name(E, form.libm);
        sb_putc(E->out, '(');
        emit_ref(E, u, 0);
        sb_putc(E->out, ')');
        E->counts.call++;
        return;
    case CF_HELPER: {
        int k = fn == BI_SIGMOID || fn == BI_SOFTPLUS ? shared_exp_index(E, u) : -1;
        if (k >= 0 && E->shared_exp_defined[k]) {
            /* sigmoid(v) and softplus(v) from the e<k> = exp(-|v|) they share */
            emit_helper_name(E, fn == BI_SIGMOID ? CH_SIGMOID_E : CH_SOFTPLUS_E);
            sb_putc(E->out, '(');
            emit_ref(E, u, 0);
            sb_printf(E->out, ", e%d)", k);
            E->counts.call++;
            return;
        }
        emit_helper_call(E, form.helper, n);
        return;
    }
    }
}

/* A variable: its block in x[] or input[], at the binding. */
static void emit_var(Emitter *E, const Node *n) {
    int v = n->u.var;
    record_read(E, n);
    codegen_subscript(E->out, E->var_array[v] == 1 ? "input" : "x", E->var_offset[v], E->row, E->col,
                      cols_of(n->shape), n->shape.rank);
}

static void put_index(Emitter *E, CodegenIndex ix) {
    if (ix.var)
        sb_puts(E->out, ix.var);
    else
        sb_printf(E->out, "%zu", ix.at);
}

/* scatter(v): zeros of n's shape, v at u.index (a scalar at a flat
 * position, or a row of a matrix).  With constant subscripts the
 * selection is made here. */
static void emit_scatter(Emitter *E, const Node *n, int ctx) {
    const Node *v = n->args[0];
    CodegenIndex r = E->row, c = E->col;
    int flat = n->shape.rank == 2 && v->shape.rank == 0;
    size_t cols = cols_of(n->shape), at = (size_t)n->u.index;
    if (!r.var && (!flat || !c.var)) {
        if ((flat ? r.at * cols + c.at : r.at) != at) {
            emit_literal(E, 0);
            return;
        }
        E->row = c;
        E->col = (CodegenIndex){NULL, 0};
        emit_ref(E, v, ctx);
        E->row = r;
        E->col = c;
        return;
    }
    sb_putc(E->out, '(');
    put_index(E, r);
    if (flat) {
        sb_printf(E->out, " * %zu + ", cols);
        put_index(E, c);
    }
    sb_printf(E->out, " == %zu ? ", at);
    E->row = c;
    E->col = (CodegenIndex){NULL, 0};
    emit_ref(E, v, C_UNARY);
    E->row = r;
    E->col = c;
    sb_puts(E->out, " : ");
    emit_literal(E, 0);
    sb_putc(E->out, ')');
}

/* n's operation on its arguments, at the binding. */
static void emit(Emitter *E, const Node *n, int ctx) {
    CodegenIndex r = E->row, c = E->col;
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
        } else if (above && named(E, above)) {
            emit_helper_name(E, CH_POW_LESS1);
            sb_putc(E->out, '(');
            emit_ref(E, b, 0);
            sb_puts(E->out, ", ");
            emit_ref(E, e, 0);
            sb_puts(E->out, ", ");
            emit_ref(E, above, 0);
            sb_putc(E->out, ')');
            E->counts.call++;
        } else {
            emit_call_name(E, "pow");
            sb_putc(E->out, '(');
            emit_ref(E, b, 0);
            sb_puts(E->out, ", ");
            emit_ref(E, e, 0);
            sb_putc(E->out, ')');
            E->counts.call++;
        }
        break;
    }
    case EX_CALL:
        emit_call(E, n, ctx);
        break;
    case EX_TRANSPOSE: /* element (i, j) of a' is element (j, i) of a */
        E->row = c;
        E->col = r;
        emit_ref(E, n->args[0], ctx);
        break;
    case EX_INDEX: {
        const Node *a = n->args[0];
        size_t k = (size_t)n->u.index, cols = cols_of(a->shape);
        if (n->shape.rank == 1) { /* row k of a matrix: element (k, i) */
            E->row = (CodegenIndex){NULL, k};
            E->col = r;
        } else { /* element k, row-major */
            E->row = (CodegenIndex){NULL, a->shape.rank == 2 ? k / cols : k};
            E->col = (CodegenIndex){NULL, a->shape.rank == 2 ? k % cols : 0};
        }
        emit_ref(E, a, ctx);
        break;
    }
    case EX_OUTER: { /* (a b')[i, j] = a[i] b[j] */
        int paren = ctx > C_PROD;
        if (paren)
            sb_putc(E->out, '(');
        E->col = (CodegenIndex){NULL, 0};
        emit_ref(E, n->args[0], C_PROD);
        sb_puts(E->out, " * ");
        E->counts.mul++;
        E->row = c;
        emit_ref(E, n->args[1], C_PROD + 1);
        if (paren)
            sb_putc(E->out, ')');
        break;
    }
    case EX_FILL: /* the scalar, broadcast */
        emit_ref(E, n->args[0], ctx);
        break;
    case EX_SCATTER:
        emit_scatter(E, n, ctx);
        break;
    case EX_MATMUL:
    case EX_PACK:
    case EX_SOFTMAX:
    case EX_SUM:
    case EX_LOGSUMEXP:
        /* computed by loops of their own: the plan names every one
         * (codegen_plan), and here is its name */
        emit_name(E, n);
        break;
    case EX_COUNT:
        break;
    }
    E->row = r;
    E->col = c;
}

void codegen_define(Emitter *E, const Node *n) {
    int t = n->id < E->nn ? E->temp[n->id] : 0;
    if (t)
        E->temp[n->id] = 0;
    emit(E, n, 0);
    if (t)
        E->temp[n->id] = t;
}

/* --- planning ------------------------------------------------------------------ */

static int is_leaf(const Node *n) {
    return n->kind == EX_CONST || (n->kind == EX_VAR && n->shape.rank == 0) ||
           (n->kind == EX_CALL && n->nargs == 0) || (is_call(n, BI_EXP) && dag_is_num(n->args[0], 1)) ||
           (n->kind == EX_INDEX && n->shape.rank == 0 && n->args[0]->kind == EX_VAR);
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

static int is_view(const Node *n) {
    return n->kind == EX_TRANSPOSE || (n->kind == EX_INDEX && n->shape.rank == 1);
}

/* Vectors and matrices: which are materialised (named).  A node gets a
 * loop of its own when it is a matrix product, a pack or a softmax, a
 * root, shared, or read several times per element of its user (operands
 * of products, softmax and logsumexp, bases of powers written as
 * products); a view passes being read several times on to its argument;
 * sums and logsumexp are scalars computed by loops; a scalar used inside
 * an element expression is named (computed once, outside the loops). */
static void plan_tensors(Emitter *E, Node *const *roots, int nroots, uint32_t top) {
    Graph *g = E->g;
    unsigned char *need = calloc(E->nn ? E->nn : 1, 1);
    if (!need) {
        E->out->failed = 1;
        return;
    }
    for (int i = 0; i < nroots; i++)
        if (roots[i]->shape.rank > 0)
            need[roots[i]->id] = 2; /* a root: materialised */
    for (uint32_t id = top; id-- > 0;) {
        if (!E->mark[id])
            continue;
        const Node *n = g->nodes[id];
        int k = n->kind;
        if (n->shape.rank == 0) {
            if (k == EX_SUM || k == EX_LOGSUMEXP)
                E->temp[id] = 1;
            if (k == EX_LOGSUMEXP)
                need[n->args[0]->id] |= 1;
            continue;
        }
        int free_view = k == EX_VAR || k == EX_FILL;
        if (!free_view && (k == EX_MATMUL || k == EX_PACK || k == EX_SOFTMAX || E->uses[id] >= 2 || need[id] == 2 ||
                           (need[id] && !is_view(n))))
            E->temp[id] = 1;
        else if (need[id] && is_view(n))
            need[n->args[0]->id] |= 1; /* a view reads its argument as often */
        if (k == EX_MATMUL || k == EX_OUTER || k == EX_SOFTMAX)
            for (int a = 0; a < n->nargs; a++)
                need[n->args[a]->id] |= 1;
        if (k == EX_POW && power_copies(n->args[1]) > 1)
            need[n->args[0]->id] |= 1;
        Node *const *args;
        int nargs = written_args(n, &args);
        for (int a = 0; a < nargs; a++)
            if (args[a]->shape.rank == 0 && !is_leaf(args[a]))
                E->temp[args[a]->id] = 1; /* broadcast: computed once */
    }
    free(need);
}

void codegen_plan(Emitter *E, Node *const *roots, int nroots) {
    Graph *g = E->g;
    size_t nn = E->nn;
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
    for (uint32_t id = 0; id < top; id++)
        if (E->mark[id] && g->nodes[id]->kind == EX_VAR && E->var_array[g->nodes[id]->u.var] < 0)
            E->out->failed = 1; /* a variable neither in x[] nor in input[] */
    if (E->tensor)
        plan_tensors(E, roots, nroots, top);
    int *depth = calloc(nn ? nn : 1, sizeof *depth);
    if (!depth)
        E->out->failed = 1; /* the temporaries would be chosen otherwise */
    for (size_t id = 0; id < top; id++) {
        if (!E->mark[id])
            continue;
        const Node *n = g->nodes[id];
        if (is_leaf(n) || n->shape.rank > 0)
            continue;
        int d = 0;
        for (int k = 0; k < n->nargs; k++) {
            const Node *a = n->args[k];
            int da = E->temp[a->id] || a->shape.rank > 0 ? 0 : (depth ? depth[a->id] : 0);
            if (da > d)
                d = da;
        }
        if (depth)
            depth[id] = d + 1;
        int need = E->uses[id] >= 2 || (depth && depth[id] > 12);
        /* a base multiplied by itself must be computed once */
        if (n->kind == EX_POW && n->args[1]->kind == EX_CONST && !is_leaf(n->args[0]) &&
            !E->temp[n->args[0]->id])
            E->temp[n->args[0]->id] = 1;
        /* log(sigmoid(v)) re-negates v: make v a value */
        if (n->kind == EX_CALL && n->u.fn == BI_SIGMOID && !is_leaf(n->args[0]) && !E->temp[n->args[0]->id])
            E->temp[n->args[0]->id] = 1;
        if (need && !E->temp[id])
            E->temp[id] = 1;
        if (E->temp[id] && depth)
            depth[id] = 0;
    }
    /* sigmoid(v) and softplus(v) both here: one exp for the two */
    E->nshared_exp = 0;
    E->defining = UINT32_MAX;
    memset(E->shared_exp_defined, 0, sizeof E->shared_exp_defined);
    for (size_t id = 0; id < top; id++) {
        const Node *n = g->nodes[id];
        if (!E->mark[id] || !is_call(n, BI_SOFTPLUS) || E->nshared_exp == CODEGEN_MAX_SHARED_EXP ||
            n->shape.rank != 0)
            continue;
        int fn = BI_SIGMOID;
        const Node *sig = dag_lookup(g, EX_CALL, &fn, n->args, 1, n->shape);
        if (!sig || sig->id >= nn || !E->mark[sig->id])
            continue;
        E->shared_exp[E->nshared_exp++] = n->args[0];
        /* each computed once, after e */
        E->temp[id] = 1;
        E->temp[sig->id] = 1;
        if (!is_leaf(n->args[0]))
            E->temp[n->args[0]->id] = 1;
    }
    /* scalar temporaries are numbered in id order */
    int k = 0;
    for (size_t id = 0; id < top; id++)
        if (E->temp[id])
            E->temp[id] = g->nodes[id]->shape.rank == 0 ? ++k : 1;
    E->ntemps = k;
    free(depth);
}

/* --- statements -------------------------------------------------------------------- */

void codegen_scalar_statement(Emitter *E, const Node *n, const char *indent) {
    int k = (is_call(n, BI_SIGMOID) || is_call(n, BI_SOFTPLUS)) ? shared_exp_index(E, n->args[0]) : -1;
    if (k >= 0 && !E->shared_exp_defined[k]) {
        /* e<k> just before its first user */
        sb_printf(E->out, "%sconst %s e%d = exp%s(-fabs%s(", indent, E->T, k, E->fs, E->fs);
        emit_ref(E, n->args[0], 0);
        sb_puts(E->out, "));\n");
        E->counts.call += 2;
        codegen_end_statement(E);
        E->shared_exp_defined[k] = 1;
    }
    E->defining = n->id;
    sb_printf(E->out, "%sconst %s ", indent, E->T);
    emit_name(E, n);
    sb_puts(E->out, " = ");
    codegen_define(E, n);
    sb_puts(E->out, ";\n");
    codegen_end_statement(E);
}

static void emit_temps(Emitter *E) {
    Graph *g = E->g;
    for (size_t id = 0; id < E->nn; id++)
        if (E->temp[id])
            codegen_scalar_statement(E, g->nodes[id], "    ");
    E->defining = UINT32_MAX; /* every temporary is defined now */
}

/* --- the emitter's memory -------------------------------------------------------- */

int codegen_emitter_init(Emitter *E, Graph *g, const int *params, int nparams, const int *inputs, int ninputs,
                         const CodegenOptions *opt, int tensor) {
    memset(E, 0, sizeof *E);
    E->g = g;
    E->opt = opt;
    E->ty = codegen_type(opt->use_float);
    E->T = E->ty->name;
    E->fs = E->ty->suffix;
    E->nn = g->nnodes;
    E->tensor = tensor;
    E->defining = UINT32_MAX;
    size_t nn = E->nn ? E->nn : 1, nv = (size_t)(g->nvars + 1);
    E->temp = calloc(nn, sizeof *E->temp);
    E->uses = calloc(nn, sizeof *E->uses);
    E->mark = calloc(nn, 1);
    E->var_offset = calloc(nv, sizeof *E->var_offset);
    E->var_array = malloc(nv);
    if (tensor) {
        E->home = calloc(nn, 1);
        E->offset = calloc(nn, sizeof *E->offset);
    }
    if (!E->temp || !E->uses || !E->mark || !E->var_offset || !E->var_array ||
        (tensor && (!E->home || !E->offset))) {
        codegen_emitter_free(E);
        return -1;
    }
    memset(E->var_array, -1, nv);
    size_t at = 0;
    for (int i = 0; i < nparams; i++) {
        E->var_array[params[i]] = 0;
        E->var_offset[params[i]] = at;
        at += (size_t)shape_numel(g->vars[params[i]].shape);
    }
    at = 0;
    for (int i = 0; i < ninputs; i++) {
        E->var_array[inputs[i]] = 1;
        E->var_offset[inputs[i]] = at;
        at += (size_t)shape_numel(g->vars[inputs[i]].shape);
    }
    return 0;
}

void codegen_emitter_free(Emitter *E) {
    free(E->temp);
    free(E->uses);
    free(E->mark);
    free(E->var_offset);
    free(E->var_array);
    free(E->home);
    free(E->offset);
    free(E->reads);
    memset(E, 0, sizeof *E);
}

/* --- scalar kernels ------------------------------------------------------------------- */

void codegen_signature(StrBuf *sb, const CodegenInput *in, const CodegenOptions *opt,
                       const char *ret, const char *suffix, const char *out_arg, int definition) {
    codegen_prototype(sb, codegen_type(opt->use_float), opt->embedded && definition, ret, opt->name, suffix,
                      in->ninputs > 0, out_arg, 0);
}

typedef struct KernelInfo {
    CodegenCounts counts;
    int temps;
    long max_stmt; /* the most operations of one statement */
} KernelInfo;

/* Emits one function.  results[i] is assigned roots[i] (NULL target:
 * `return`). */
static KernelInfo emit_kernel(Emitter *E, const CodegenInput *in, const char *ret, const char *suffix,
                              const char *out_arg, Node *const *roots, const char *const *targets, int nroots,
                              const char *epilogue) {
    KernelInfo info;
    memset(&E->counts, 0, sizeof E->counts);
    E->stmt_start = E->max_stmt = 0;
    codegen_plan(E, roots, nroots);
    codegen_signature(E->out, in, E->opt, ret, suffix, out_arg, 1);
    sb_puts(E->out, "\n{\n");
    int uses_x = 0, uses_in = 0;
    for (size_t id = 0; id < E->nn; id++)
        if (E->mark[id] && E->g->nodes[id]->kind == EX_VAR) {
            int v = E->g->nodes[id]->u.var;
            uses_x |= E->var_array[v] == 0;
            uses_in |= E->var_array[v] == 1;
        }
    if (!uses_x)
        sb_puts(E->out, "    (void)x;\n");
    if (in->ninputs && !uses_in)
        sb_puts(E->out, "    (void)input;\n");
    emit_temps(E);
    const char *ret_expr = NULL;
    for (int i = 0; i < nroots; i++) {
        if (!targets[i]) {
            ret_expr = "";
            continue;
        }
        sb_printf(E->out, "    %s = ", targets[i]);
        emit_ref(E, roots[i], 0);
        sb_puts(E->out, ";\n");
        codegen_end_statement(E);
    }
    if (epilogue)
        sb_puts(E->out, epilogue);
    if (ret_expr) {
        for (int i = 0; i < nroots; i++)
            if (!targets[i]) {
                sb_puts(E->out, "    return ");
                emit_ref(E, roots[i], 0);
                sb_puts(E->out, ";\n");
                codegen_end_statement(E);
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
};

CodegenWriter *codegen_writer_new(Graph *g, const CodegenInput *in, const CodegenOptions *opt) {
    CodegenWriter *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (codegen_emitter_init(&w->E, g, in->params, in->nparams, in->inputs, in->ninputs, opt, 0) != 0) {
        free(w);
        return NULL;
    }
    w->E.record_reads = 1;
    w->E.defining = 0; /* no square root is shared: the caller orders the statements */
    return w;
}

void codegen_writer_free(CodegenWriter *w) {
    if (!w)
        return;
    codegen_emitter_free(&w->E);
    free(w);
}

void codegen_writer_bind(CodegenWriter *w, const Node *n, int k) {
    if (n->id < w->E.nn)
        w->E.temp[n->id] = k >= 0 ? k + 1 : 0;
}

void codegen_writer_define(CodegenWriter *w, const Node *n, StrBuf *out) {
    w->E.out = out;
    codegen_define(&w->E, n);
}

void codegen_writer_ref(CodegenWriter *w, const Node *n, int as_factor, StrBuf *out) {
    w->E.out = out;
    emit_ref(&w->E, n, as_factor ? C_PROD : 0);
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
    if (codegen_emitter_init(&E, g, in->params, in->nparams, in->inputs, in->ninputs, opt, 0) != 0)
        return -1;
    char **targets = too_many ? NULL : calloc(nroots, sizeof *targets);
    Node **roots = too_many ? NULL : calloc(nroots, sizeof *roots);
    StrBuf body;
    sb_init(&body);
    if (!targets || !roots) {
        codegen_emitter_free(&E);
        free(targets);
        free(roots);
        return -1;
    }
    E.out = &body;

    /* kernels */
    KernelInfo k_value, k_grad, k_hess;
    memset(&k_hess, 0, sizeof k_hess);
    size_t nt = 0;
    if (!in->is_vector) {
        roots[0] = in->outputs[0];
        k_value = emit_kernel(&E, in, E.T, "", NULL, roots, (const char *const *)targets, 1, NULL);
        nt = 1; /* targets[0] = NULL: the returned value */
        for (size_t i = 0; i < n; i++) {
            roots[nt] = in->grad[i];
            set_target(targets, nt++, "grad", i, E.out);
        }
        k_grad = emit_kernel(&E, in, E.T, "_grad", "grad", roots, (const char *const *)targets, (int)nt, NULL);
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
            k_hess = emit_kernel(&E, in, "void", "_hess", "H", roots, (const char *const *)targets, (int)nt,
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
        k_value = emit_kernel(&E, in, "void", "", "y", roots, (const char *const *)targets, (int)m, NULL);
        free_targets(targets, m);
        nt = 0;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) {
                roots[nt] = in->grad[i * n + j];
                set_target(targets, nt++, "J", i * n + j, E.out);
            }
        k_grad = emit_kernel(&E, in, "void", "_jac", "J", roots, (const char *const *)targets, (int)nt, NULL);
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
        codegen_signature(&sig, in, opt, E.T, "", NULL, 0);
        sb_printf(header, "%s;\n", sb_str(&sig));
        sb_clear(&sig);
        codegen_signature(&sig, in, opt, E.T, "_grad", "grad", 0);
        sb_printf(header, "%s;\n", sb_str(&sig));
        sb_clear(&sig);
        if (in->hess) {
            codegen_signature(&sig, in, opt, "void", "_hess", "H", 0);
            sb_printf(header, "%s;\n", sb_str(&sig));
            sb_clear(&sig);
        }
    } else {
        codegen_signature(&sig, in, opt, "void", "", "y", 0);
        sb_printf(header, "%s;\n", sb_str(&sig));
        sb_clear(&sig);
        codegen_signature(&sig, in, opt, "void", "_jac", "J", 0);
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
    codegen_emitter_free(&E);
    return failed ? -1 : 0;
}

/* --- the test program ------------------------------------------------------------------- */

/* The fixed parts of the generated programs, from src/templates/ (the
 * Makefile writes each as an array of lines; C99 promises string literals
 * of 4095 bytes only). */
#include "templates.h"

/* One kernel call through a wrapper of a fixed signature: `ret name(const
 * T *sdt_x, const T *sdt_i[, T *out1][, T *out2])` calling `call` with
 * sdt_x, sdt_i when the kernel takes input[], and its output argument. */
static void test_wrapper(StrBuf *out, const char *T, const char *wrapper, const char *out1, const char *out2,
                         int has_input, const char *assign, const char *kernel, const char *kernel_out) {
    sb_printf(out, "static void %s(const %s *sdt_x, const %s *sdt_i", wrapper, T, T);
    if (out1)
        sb_printf(out, ", %s *%s", T, out1);
    if (out2)
        sb_printf(out, ", %s *%s", T, out2);
    sb_puts(out, ")\n{\n");
    if (!has_input)
        sb_puts(out, "    (void)sdt_i;\n");
    if (out2 && !strstr(assign, out2))
        sb_printf(out, "    (void)%s;\n", out2);
    sb_printf(out, "    %s%s(sdt_x%s%s%s);\n}\n\n", assign, kernel, has_input ? ", sdt_i" : "",
              kernel_out ? ", " : "", kernel_out ? kernel_out : "");
}

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
              "#define SDT_NV %d\n#define SDT_NI %d\n#define SDT_NO %d\n#define SDT_VECTOR %d\n"
              "#define SDT_HESSIAN %d\n#define SDT_TOL %s\n#define SDT_NAME \"%s\"\n"
              "typedef %s sdt_real;\n\n",
              name, opt->version, opt->header_file, T, ktol, opt->header_file, n, nin > 0 ? nin : 1, m,
              in->is_vector, hess, ktol, name, T);
    sb_puts(out, sb_str(&ref_src));
    sb_free(&ref_src);
    sb_free(&ref_hdr);
    /* every kernel through a wrapper of one signature: the reference, and
     * the kernels under test, which are called only there, so that no
     * name in this file can clash with the user's --name */
    char kernel[CODEGEN_MAX_NAME + 8];
    if (in->is_vector) {
        test_wrapper(out, "double", "sdt_ref_value", "sdt_y", NULL, nin, "", "sdt_ref", "sdt_y");
        test_wrapper(out, "double", "sdt_ref_derivative", "sdt_d", NULL, nin, "", "sdt_ref_jac", "sdt_d");
        test_wrapper(out, "sdt_real", "sdt_value_t", "sdt_y", NULL, nin, "", name, "sdt_y");
        snprintf(kernel, sizeof kernel, "%s_jac", name);
        test_wrapper(out, "sdt_real", "sdt_derivative_t", "sdt_d", "sdt_y", nin, "", kernel, "sdt_d");
    } else {
        test_wrapper(out, "double", "sdt_ref_value", "sdt_y", NULL, nin, "sdt_y[0] = ", "sdt_ref", NULL);
        test_wrapper(out, "double", "sdt_ref_derivative", "sdt_d", NULL, nin, "(void)", "sdt_ref_grad", "sdt_d");
        test_wrapper(out, "sdt_real", "sdt_value_t", "sdt_y", NULL, nin, "sdt_y[0] = ", name, NULL);
        snprintf(kernel, sizeof kernel, "%s_grad", name);
        test_wrapper(out, "sdt_real", "sdt_derivative_t", "sdt_d", "sdt_y", nin, "sdt_y[0] = ", kernel, "sdt_d");
        if (hess) {
            test_wrapper(out, "double", "sdt_ref_hessian", "sdt_h", NULL, nin, "", "sdt_ref_hess", "sdt_h");
            snprintf(kernel, sizeof kernel, "%s_hess", name);
            test_wrapper(out, "sdt_real", "sdt_hessian_t", "sdt_h", NULL, nin, "", kernel, "sdt_h");
        }
    }
    for (const char *const *line = template_emit_test; *line; line++)
        sb_puts(out, *line);
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
              " * start at small random values and are printed at the end.  The training\n"
              " * itself is sdrt_train_main, in the symdiff runtime (sdrt.h). */\n"
              "#include \"%s\"\n#include \"sdrt.h\"\n\n"
              "int main(int argc, char **argv)\n{\n"
              "    static const char *const sdt_names[] = {",
              opt->header_file);
    for (int i = 0; i < n; i++)
        sb_printf(out, "%s\"%s\"", i ? ", " : "", g->vars[in->params[i]].name);
    if (n == 0)
        sb_puts(out, "\"\"");
    int size = n > 0 ? n : 1;
    sb_printf(out,
              "};\n"
              "    static double sdt_theta[%d], sdt_grad[%d], sdt_sample[%d], sdt_m[%d], sdt_v[%d];\n"
              "    const SdrtTrainProgram sdt_program = {\"%s\", %d, %d, sdt_names, %s_grad, sdt_theta,\n"
              "                                          sdt_grad, sdt_sample, sdt_m, sdt_v};\n"
              "    return sdrt_train_main(&sdt_program, argc, argv);\n}\n",
              size, size, size, size, size, name, n, nin, name);
    return out->failed ? -1 : 0;
}
