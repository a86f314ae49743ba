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
 * -v, or, where they all take v itself (or all -v), one e = exp(min(v, 64))
 * and r = 1/(1 + e) with no choice by the sign (vector elements and the AD
 * emitter's statements compute the same e and r each), one square root for b^(k/2) beside sqrt(b), b^(y - 1) from b^y,
 * products that lack one factor of a longer product from its prefix and
 * suffix products, and a product that is another product of the kernel
 * times one more factor from that product (plan_cofactors).
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

/* The plan's form of node id (all zero when it has none). */
static const NodeForm *form_of(const Emitter *E, uint32_t id) {
    static const NodeForm none;
    return E->form[id] ? &E->forms[E->form[id] - 1] : &none;
}

/* The form of node id to be filled in, made when it has none; NULL when
 * out of memory (the output is then failed). */
static NodeForm *form_set(Emitter *E, uint32_t id) {
    if (E->form[id])
        return &E->forms[E->form[id] - 1];
    if (E->nforms == E->forms_cap) {
        size_t cap = E->forms_cap ? 2 * E->forms_cap : 64;
        NodeForm *x = realloc(E->forms, cap * sizeof *x);
        if (!x) {
            E->out->failed = 1;
            return NULL;
        }
        E->forms = x;
        E->forms_cap = cap;
    }
    memset(&E->forms[E->nforms], 0, sizeof *E->forms);
    E->form[id] = (uint32_t)++E->nforms;
    return &E->forms[E->nforms - 1];
}

static size_t cols_of(Shape s) { return s.rank == 2 ? (size_t)s.dim[1] : 1; }

/* Is n named by the current kernel (a temporary, or a materialised vector
 * or matrix)?  Nodes newer than the emitter are not. */
static int named(const Emitter *E, const Node *n) { return n->id < E->nn && E->temp[n->id]; }

/* --- literals and names ---------------------------------------------------- */

static void emit_literal(Emitter *E, double v) { codegen_literal(E->out, E->ty, v); }

/* sd_<helper> in the kernel's type, marked as used. */
static void emit_helper_name(Emitter *E, CodegenHelper h) {
    E->helpers |= CODEGEN_HELPER_BIT(h);
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
    sb_puts(out, base); /* written piece by piece: one per parameter read */
    sb_putc(out, '[');
    if (off || (!vr && !vc)) {
        sb_put_int(out, (long long)off); /* below SHAPE_MAX_ELEMENTS */
        if (vr || vc)
            sb_puts(out, " + ");
    }
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
    if (n->shape.rank == 0) {
        sb_putc(E->out, 't');
        sb_put_int(E->out, E->temp[n->id] - 1);
    }
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
static void emit_chain(Emitter *E, const ProductGroup *pg, int prefix, int k, int ctx);

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
    int c = n->id < E->nn && form_of(E, n->id)->via ? 1 : 0; /* M of M * f */
    for (int i = 0; i < n->nargs; i++) {
        const Node *a = n->args[i];
        c += a->kind == EX_MUL && !named(E, a) ? count_factors(E, a) : 1;
    }
    return c;
}

static void collect_product(const Emitter *E, const Node *n, Num *coef, const Node **num, int *nn,
                            const Node **den, Num *den_exp, int *nd, int cap);

/* The node b^-1 where the graph has it, else NULL. */
static const Node *reciprocal_of(const Emitter *E, const Node *b) {
    Num m1 = num_int(-1);
    Node *c = dag_lookup(E->g, EX_CONST, &m1, NULL, 0, shape_scalar);
    if (!c)
        return NULL;
    Node *args[2] = {(Node *)b, c};
    const Node *r = dag_lookup(E->g, EX_POW, NULL, args, 2, b->shape);
    return r && r->id < E->nn ? r : NULL;
}

/* For a = b^-k, k an integer from 2 to 8: k when the kernel names 1/b and
 * has defined it (a^-k is then written as k copies of it: products, not
 * a division), else 0. */
static long reciprocal_copies(const Emitter *E, const Node *a) {
    Num k = num_neg(a->args[1]->num[0]);
    if (!num_is_int(k) || k.p < 2 || k.p > 8)
        return 0;
    const Node *r = reciprocal_of(E, a->args[0]);
    return r && named(E, r) && r->id < E->defining ? (long)k.p : 0;
}

/* The factors args[0..count) of a product into coef * num... / den... */
static void collect_factors(const Emitter *E, Node *const *args, int count, Num *coef, const Node **num, int *nn,
                            const Node **den, Num *den_exp, int *nd, int cap) {
    /* num holds 8 cap entries: a factor may become 8 copies of a reciprocal */
    for (int i = 0; i < count; i++) {
        const Node *a = args[i];
        if (a->kind == EX_CONST) {
            Num r;
            if (num_mul(*coef, a->num[0], &r) == NUM_OK)
                *coef = r;
        } else if (a->kind == EX_MUL && !named(E, a)) {
            collect_product(E, a, coef, num, nn, den, den_exp, nd, cap);
        } else if (!named(E, a) && a->kind == EX_POW && a->args[1]->kind == EX_CONST &&
                   num_is_negative(a->args[1]->num[0]) && *nd < cap) {
            long k = reciprocal_copies(E, a);
            if (k > 0) {
                /* b^-k as (1/b)^k: the kernel has 1/b already */
                const Node *r = reciprocal_of(E, a->args[0]);
                for (long j = 0; j < k && *nn < 8 * cap; j++)
                    num[(*nn)++] = r;
                continue;
            }
            den[*nd] = a->args[0];
            den_exp[(*nd)++] = num_neg(a->args[1]->num[0]);
        } else if (*nn < 8 * cap) {
            num[(*nn)++] = a;
        }
    }
}

static void collect_product(const Emitter *E, const Node *n, Num *coef, const Node **num, int *nn,
                            const Node **den, Num *den_exp, int *nd, int cap) {
    if (n->kind == EX_MUL)
        collect_factors(E, n->args, n->nargs, coef, num, nn, den, den_exp, nd, cap);
    else
        collect_factors(E, (Node *const *)&n, 1, coef, num, nn, den, den_exp, nd, cap);
}

/* Product n, a member of a group (or its base) being defined: its chain
 * values, and into args the factors they do not hold; returns how many. */
static int product_rest(Emitter *E, const Node *n, const ProductGroup *pg, int i, const Node **args) {
    for (int j = 0; j < pg->n; j++)
        if (j != i && !(i == pg->n && j == pg->n - 1))
            E->count[pg->f[j]->id]++;
    int m = 0;
    for (int k = 0; k < n->nargs; k++) {
        const Node *a = n->args[k];
        if (E->count[a->id] > 0)
            E->count[a->id]--;
        else
            args[m++] = a;
    }
    for (int j = 0; j < pg->n; j++)
        E->count[pg->f[j]->id] = 0;
    return m;
}

/* A product (or a lone reciprocal power): coef * num... / (den...); a
 * product of a group (plan_products), being defined: coef * P_i * S_(i+1)
 * * rest... / (den...). */
/* Products of up to this many factors (nearly all) are collected on the
 * stack: a malloc and free of four lists per product was a tenth of the
 * emitter's instructions. */
#define PRODUCT_SMALL 16

static void emit_product(Emitter *E, const Node *n, int negate, int ctx) {
    Num coef = num_int(1);
    int count = count_factors(E, n);
    const Node *num_s[8 * PRODUCT_SMALL], *den_s[PRODUCT_SMALL], *rest_s[PRODUCT_SMALL];
    Num den_exp_s[PRODUCT_SMALL];
    const Node **num = num_s, **den = den_s, **rest = rest_s;
    Num *den_exp = den_exp_s;
    int heap = count > PRODUCT_SMALL;
    if (heap) {
        num = malloc(8 * (size_t)count * sizeof *num);
        den = malloc((size_t)count * sizeof *den);
        rest = malloc((size_t)count * sizeof *rest);
        den_exp = malloc((size_t)count * sizeof *den_exp);
        if (!num || !den || !den_exp || !rest) {
            free(num);
            free(den);
            free(rest);
            free(den_exp);
            E->out->failed = 1;
            return;
        }
    }
    int nn = 0, nd = 0, chains = 0;
    const ProductGroup *pg = NULL;
    int gi = 0;
    const NodeForm *nf = n->id < E->nn ? form_of(E, n->id) : NULL;
    if (nf && nf->group_of && E->defining == n->id) {
        pg = &E->groups[nf->group_of - 1];
        gi = nf->group_missing;
        int m = product_rest(E, n, pg, gi, rest);
        collect_factors(E, (Node *const *)rest, m, &coef, num, &nn, den, den_exp, &nd, count);
        if (gi >= 1 && pg->coef)
            coef = num_int(1); /* in P_i */
        chains = (gi >= 1) + (gi < pg->n && gi + 1 <= pg->n - 1);
    } else if (nf && nf->via) {
        /* M * f (plan_cofactors) */
        const Node *mf[2] = {E->g->nodes[nf->via - 1], n->args[nf->via_factor]};
        collect_factors(E, (Node *const *)mf, 2, &coef, num, &nn, den, den_exp, &nd, count);
    } else {
        collect_product(E, n, &coef, num, &nn, den, den_exp, &nd, count);
    }
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
    int late = E->opt->use_float && nn + chains > 0 && (c > 0x1p64 || c < 0x1p-64);
    if ((!num_is_one(coef) || nn + chains == 0) && !late) {
        emit_const(E, coef, C_UNARY);
        first = 0;
    }
    for (int k = 0; k < 2 && pg; k++) {
        /* P_i, then S_(i+1) (the base itself: P_(n-1)) */
        int prefix = k == 0, at = prefix ? (gi == pg->n ? pg->n - 1 : gi) : gi + 1;
        if (prefix ? at < 1 : (gi == pg->n || at > pg->n - 1))
            continue;
        if (!first) {
            sb_puts(E->out, " * ");
            E->counts.mul++;
        }
        emit_chain(E, pg, prefix, at, C_PROD + 1);
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
    if (heap) {
        free(num);
        free(den);
        free(rest);
        free(den_exp);
    }
}

/* The shared exponential n is written from (its e<k> written already), or
 * -1. */
static int exp_group_of(const Emitter *E, const Node *n) {
    if (n->id >= E->nn || !form_of(E, n->id)->exp_group)
        return -1;
    int k = form_of(E, n->id)->exp_group - 1;
    return E->exps[k].defined ? k : -1;
}

/* n (a sigmoid, softplus or logarithm of a sigmoid) not written from a
 * shared e<k> whose magnitude is one-sided (codegen_plan_sides; without
 * the program's decision, an element of a one-sided group) is written by
 * the helper that computes the one-sided e and r itself: 1, else 0. */
static int one_sided_element(const Emitter *E, const Node *n) {
    if (n->id >= E->nn)
        return 0;
    if (E->onesided)
        return E->onesided[n->id];
    if (!form_of(E, n->id)->exp_group)
        return 0;
    const ExpGroup *x = &E->exps[form_of(E, n->id)->exp_group - 1];
    return x->elementwise && x->side;
}

/* softplus(v) from the shared e<k>, or l<k> = log1p(e<k>) when the kernel
 * has it. */
static void emit_softplus_shared(Emitter *E, const Node *v, int k, int negate) {
    const ExpGroup *x = &E->exps[k];
    emit_helper_name(E, x->side ? CH_SOFTPLUS_R : x->log1p ? CH_SOFTPLUS_L : CH_SOFTPLUS_E);
    sb_puts(E->out, negate ? "(-" : "(");
    emit_ref(E, v, negate ? C_UNARY : 0);
    if (x->side)
        sb_printf(E->out, ", e%d, r%d)", k, k);
    else
        sb_printf(E->out, ", %c%d)", x->log1p ? 'l' : 'e', k);
    E->counts.call++;
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

/* -softplus(v) (negate: -softplus(-v)), the logarithm of a sigmoid n:
 * finite for every v. */
static void emit_log_sigmoid(Emitter *E, const Node *n, const Node *v, int negate, int ctx) {
    int paren = ctx >= C_UNARY;
    sb_puts(E->out, paren ? "(-" : "-");
    int k = exp_group_of(E, n);
    if (k >= 0) {
        emit_softplus_shared(E, v, k, negate);
    } else {
        emit_helper_name(E, one_sided_element(E, n) ? CH_SOFTPLUS_1 : CH_SOFTPLUS);
        sb_puts(E->out, negate ? "(-" : "(");
        emit_ref(E, v, negate ? C_UNARY : 0);
        sb_putc(E->out, ')');
        E->counts.call++;
    }
    if (paren)
        sb_putc(E->out, ')');
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
            emit_log_sigmoid(E, n, u->args[0], 1, ctx);
            return;
        }
        if ((v = one_minus_sigmoid(u)) != NULL) {
            /* log(1 - sigmoid(v)) = -softplus(v) */
            emit_log_sigmoid(E, n, v, 0, ctx);
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
    if (fn == BI_PI) {
        emit_literal(E, 3.14159265358979323846);
        return;
    }
    const char *libm = codegen_libm_name(fn, E->ty);
    if (libm) {
        /* the type's name from builtins.def's c and cf columns */
        sb_puts(E->out, libm);
        sb_putc(E->out, '(');
        for (int i = 0; i < n->nargs; i++) {
            if (i)
                sb_puts(E->out, ", ");
            emit_ref(E, n->args[i], 0);
        }
        sb_putc(E->out, ')');
        E->counts.call++;
        return;
    }
    /* every other function has a helper (builtins.def, check_functions) */
    int k = exp_group_of(E, n);
    if (k >= 0 && fn == BI_SOFTPLUS) {
        emit_softplus_shared(E, u, k, 0);
        return;
    }
    if (k >= 0 && E->exps[k].side) {
        /* sigmoid(v) = e<k> r<k>, e<k> = exp(min(v, 64)) */
        emit_helper_name(E, CH_SIGMOID_R);
        sb_printf(E->out, "(e%d, r%d)", k, k);
        E->counts.call++;
        return;
    }
    if (k >= 0) {
        /* sigmoid(v) from the e<k> = exp(-|v|) it shares */
        emit_helper_name(E, CH_SIGMOID_E);
        sb_putc(E->out, '(');
        emit_ref(E, u, 0);
        sb_printf(E->out, ", e%d)", k);
        E->counts.call++;
        return;
    }
    if (one_sided_element(E, n)) {
        emit_helper_call(E, fn == BI_SOFTPLUS ? CH_SOFTPLUS_1 : CH_SIGMOID_1, n);
        return;
    }
    emit_helper_call(E, codegen_helper_of(fn), n);
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
    case EX_ROWS: /* b in every row: element (i, j) is b[j] */
        E->row = c;
        E->col = (CodegenIndex){NULL, 0};
        emit_ref(E, n->args[0], ctx);
        break;
    case EX_COLS: /* v in every column: element (i, j) is v[i] */
        E->col = (CodegenIndex){NULL, 0};
        emit_ref(E, n->args[0], ctx);
        break;
    case EX_ONEHOT: { /* 1 where the row's label is the column (see sd_onehot) */
        int m2 = n->shape.rank == 2, k = n->shape.rank - 1;
        emit_helper_name(E, CH_ONEHOT);
        sb_putc(E->out, '(');
        E->row = m2 ? r : (CodegenIndex){NULL, 0};
        E->col = (CodegenIndex){NULL, 0};
        emit_ref(E, n->args[0], 0);
        sb_puts(E->out, ", ");
        put_index(E, m2 ? c : r);
        if (n->shape.dyn[k])
            sb_printf(E->out, ", dim_%s)", E->g->dims[n->shape.dyn[k] - 1].name);
        else
            sb_printf(E->out, ", %d)", n->shape.dim[k]);
        E->counts.call++;
        break;
    }
    case EX_DIM: /* a run-time dimension: the kernel's argument dim_<name> */
        sb_printf(E->out, "((%s)dim_%s)", E->T, E->g->dims[n->u.dim].name);
        break;
    case EX_SCATTER:
        emit_scatter(E, n, ctx);
        break;
    case EX_MATMUL:
    case EX_PACK:
    case EX_SOFTMAX:
    case EX_SUM:
    case EX_LOGSUMEXP:
    case EX_ROWSUM:
    case EX_COLSUM:
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
    return n->kind == EX_CONST || n->kind == EX_DIM || (n->kind == EX_VAR && n->shape.rank == 0) ||
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
 * loop of its own when it is a matrix product, a pack, a softmax, the
 * logsumexp of each row or the sums of rows or columns, a root, shared,
 * or read several times per element of its user (operands of products,
 * softmax and logsumexp, what rows(b) and cols(v) repeat, the labels of a
 * one-hot matrix, bases of powers written as products); a view passes
 * being read several times on to its argument; sums and logsumexp of a
 * vector are scalars computed by loops; a scalar used inside an element
 * expression is named (computed once, outside the loops). */
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
        int own_loop = k == EX_MATMUL || k == EX_PACK || k == EX_SOFTMAX || k == EX_LOGSUMEXP || k == EX_ROWSUM ||
                       k == EX_COLSUM;
        if (!free_view && (own_loop || E->uses[id] >= 2 || need[id] == 2 || (need[id] && !is_view(n))))
            E->temp[id] = 1;
        else if (need[id] && is_view(n))
            need[n->args[0]->id] |= 1; /* a view reads its argument as often */
        if (k == EX_MATMUL || k == EX_OUTER || k == EX_SOFTMAX || k == EX_LOGSUMEXP || k == EX_ROWS ||
            k == EX_COLS || k == EX_ONEHOT)
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

/* --- shared exponentials -------------------------------------------------------------- */

/* The argument v whose e = exp(-|v|) n's written form needs: sigmoid(v),
 * softplus(v), and the logarithms of sigmoids, -softplus(-v) and
 * -softplus(v); else NULL.  *softplus: n is written as a softplus, which
 * needs log1p(e) besides; *side: the sigmoid or softplus written takes
 * side * v (-1 only for log(sigmoid(v)) = -softplus(-v)). */
static const Node *exp_argument(const Node *n, int *softplus, int *side) {
    if (n->kind != EX_CALL)
        return NULL;
    const Node *u = n->nargs ? n->args[0] : NULL, *v;
    *softplus = 1;
    *side = 1;
    switch ((Builtin)n->u.fn) {
    case BI_SIGMOID:
        *softplus = 0;
        return u;
    case BI_SOFTPLUS:
        return u;
    case BI_LOG:
        if (is_call(u, BI_SIGMOID)) {
            *side = -1;
            return u->args[0];
        }
        v = one_minus_sigmoid(u);
        return v;
    default:
        return NULL;
    }
}

/* The node of |v|'s sign class: for v = c w with a negative constant c,
 * the graph's -c w (w itself for c = -1) where it has one; else v. */
static const Node *magnitude_of(const Emitter *E, const Node *v) {
    if (v->kind != EX_MUL || v->args[0]->kind != EX_CONST || !num_is_negative(v->args[0]->num[0]))
        return v;
    Num c = num_neg(v->args[0]->num[0]);
    const Node *w = NULL;
    if (num_is_one(c)) {
        w = v->nargs == 2 ? v->args[1] : dag_lookup(E->g, EX_MUL, NULL, v->args + 1, v->nargs - 1, v->shape);
    } else {
        Node *k = dag_lookup(E->g, EX_CONST, &c, NULL, 0, shape_scalar);
        if (k && v->nargs <= 16) {
            Node *args[16];
            memcpy(args, v->args, (size_t)v->nargs * sizeof *args);
            args[0] = k;
            w = dag_lookup(E->g, EX_MUL, NULL, args, v->nargs, v->shape);
        }
    }
    return w && w->id < E->nn ? w : v;
}

/* One e<k> = exp(-|w|) for every magnitude |w| that two or more of a
 * kernel's sigmoids, softplus and logarithms of sigmoids (of w or -w)
 * need, and l<k> = log1p(e<k>) where two of them are softplus-like: the
 * logistic loss y log(sigmoid(z)) + (1 - y) log(1 - sigmoid(z)) and its
 * gradient sigmoid(z) - y cost one exp and one log1p.  Each is written
 * from them exactly as its helper would compute it (the same operations
 * on the same values).  The nodes become temporaries, the first of them
 * preceded by e<k>.  Where every one of them takes the same argument a
 * (side +1) or -a (side -1), the group is one-sided: e<k> = exp(min(side
 * a, 64)) and r<k> = 1/(1 + e<k>), no sign test.  The side is the
 * program's where it was decided (codegen_plan_sides, over every kernel's
 * uses), so that a kernel with one use, or with uses of one sign only,
 * writes them as the other kernels do.  Vector and matrix
 * members (and, with apart, every member: the AD emitter's statements)
 * share nothing; the group only decides their form, each element's helper
 * computing the one-sided e and r itself, so that they equal the scalar
 * kernels' values bit for bit. */
typedef struct ExpUser {
    uint32_t id;   /* a node written from e = exp(-|w|)                     */
    const Node *v; /* its argument                                          */
    const Node *w; /* v's sign class (magnitude_of: a lookup in the graph's
                      table)                                                */
    signed char side; /* the sigmoid or softplus written takes side * v     */
} ExpUser;

static void plan_exps(Emitter *E, uint32_t top, int apart) {
    Graph *g = E->g;
    int *need = E->count; /* by id of w: users, then 1 + softplus-like users << 16 */
    /* the users, in id order: the kernel's nodes are read once */
    ExpUser *users = NULL;
    size_t nusers = 0, users_cap = 0;
    int side;
    for (uint32_t id = 0; id < top; id++) {
        int sp;
        const Node *v = E->mark[id] ? exp_argument(g->nodes[id], &sp, &side) : NULL;
        if (!v)
            continue;
        if (nusers == users_cap) {
            size_t cap = users_cap ? 2 * users_cap : 64;
            ExpUser *x = realloc(users, cap * sizeof *x);
            if (!x) {
                E->out->failed = 1;
                break;
            }
            users = x;
            users_cap = cap;
        }
        const Node *w = magnitude_of(E, v);
        users[nusers++] = (ExpUser){id, v, w, (signed char)side};
        need[w->id] += 1 + (sp << 16);
    }
    for (size_t u = 0; u < nusers; u++) {
        uint32_t id = users[u].id;
        const Node *w = users[u].w;
        if (need[w->id] >= 0 && (need[w->id] & 0xffff) < 2)
            continue;
        /* need[w] < 0 once its group exists: -(1 + k) */
        int k;
        if (need[w->id] >= 0) {
            if (E->nexps == E->exps_cap) {
                int cap = E->exps_cap ? 2 * E->exps_cap : 16;
                ExpGroup *x = realloc(E->exps, (size_t)cap * sizeof *x);
                if (!x) {
                    E->out->failed = 1;
                    break;
                }
                E->exps = x;
                E->exps_cap = cap;
            }
            /* e = exp(-|x|) is written just before its first user, from a
             * value defined by then: w when it is a leaf or an older
             * temporary; else (w newer than the first user, or not even
             * in the kernel: a node the derivative made) the first user's
             * own v = -c w, whose magnitude is the same number (the
             * product's sign is exact) */
            const Node *x = is_leaf(w) || w->id < id ? w : users[u].v;
            unsigned char each = apart || w->shape.rank != 0;
            k = E->nexps++;
            E->exps[k] = (ExpGroup){x, (unsigned char)((need[w->id] >> 16) >= 2), 0, users[u].v,
                                    users[u].side, each};
            need[w->id] = -(1 + k) - 0x10000000; /* below every count */
            if (!is_leaf(x) && !each)
                E->temp[x->id] = 1;
        } else {
            k = -(need[w->id] + 0x10000000) - 1;
            if (E->exps[k].a != users[u].v || E->exps[k].side != users[u].side)
                E->exps[k].side = 0; /* both signs: exp(-|w|) */
        }
        if (E->onesided) /* the program's decision, the same in each kernel */
            E->exps[k].side = E->onesided[id] ? users[u].side : 0;
        NodeForm *f = form_set(E, id);
        if (f)
            f->exp_group = 1 + k;
        if (!E->exps[k].elementwise)
            E->temp[id] = 1;
    }
    for (size_t u = 0; u < nusers; u++)
        need[users[u].w->id] = 0;
    free(users);
}

/* The definitions of e<k> and l<k> for n, when n is the first to need them. */
static void define_exp(Emitter *E, const Node *n, const char *indent) {
    if (n->id >= E->nn || !form_of(E, n->id)->exp_group)
        return;
    ExpGroup *x = &E->exps[form_of(E, n->id)->exp_group - 1];
    if (x->defined || x->elementwise)
        return;
    int k = (int)(x - E->exps);
    if (x->side) { /* e<k> = exp(min(x, 64)), r<k> = 1/(1 + e<k>) */
        sb_printf(E->out, "%sconst %s e%d = ", indent, E->T, k);
        emit_helper_name(E, CH_EXP_BELOW);
        sb_puts(E->out, x->side < 0 ? "(-" : "(");
        emit_ref(E, x->a, x->side < 0 ? C_UNARY : 0);
        sb_puts(E->out, ");\n");
        codegen_end_statement(E);
        sb_printf(E->out, "%sconst %s r%d = ", indent, E->T, k);
        emit_literal(E, 1);
        sb_puts(E->out, " / (");
        emit_literal(E, 1);
        sb_printf(E->out, " + e%d);\n", k);
        E->counts.call += 2;
        codegen_end_statement(E);
        x->defined = 1;
        return;
    }
    sb_printf(E->out, "%sconst %s e%d = exp%s(-fabs%s(", indent, E->T, k, E->fs, E->fs);
    emit_ref(E, x->w, 0);
    sb_puts(E->out, "));\n");
    E->counts.call += 2;
    codegen_end_statement(E);
    if (x->log1p) {
        sb_printf(E->out, "%sconst %s l%d = ", indent, E->T, k);
        emit_helper_name(E, CH_LOG1P_E);
        sb_printf(E->out, "(e%d);\n", k);
        E->counts.call++;
        codegen_end_statement(E);
    }
    x->defined = 1;
}

/* --- products from prefix and suffix products ----------------------------------------------- */

/* The factors of product n other than its constant (canonical products
 * hold at most one, first). */
static int product_factors(const Node *n, Node *const **f) {
    int first = n->nargs > 0 && n->args[0]->kind == EX_CONST;
    *f = n->args + first;
    return n->nargs - first;
}

/* A product that can be a base: a scalar product of three or more
 * factors, none of them a reciprocal (written as a division). */
static int product_base(const Node *n) {
    if (n->kind != EX_MUL || n->shape.rank != 0)
        return 0;
    Node *const *f;
    int m = product_factors(n, &f);
    for (int i = 0; i < m; i++)
        if (f[i]->kind == EX_POW && f[i]->args[1]->kind == EX_CONST && num_is_negative(f[i]->args[1]->num[0]))
            return 0;
    return m >= 3;
}

static uint64_t mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

/* Planning reads, for each node of a kernel, its arguments and the slots
 * of hash tables keyed by them: scattered over memory at 10^6 nodes, a
 * cache miss each.  The passes ask for them some nodes ahead (a hint: the
 * result is the same without it). */
#if defined(__GNUC__)
#define PLAN_PREFETCH(p) __builtin_prefetch(p)
#else
#define PLAN_PREFETCH(p) ((void)(p))
#endif

/* How many nodes ahead of its work a planning pass asks for memory. */
#define PLAN_AHEAD 16

/* Asks for the arguments of node id when the kernel writes it. */
static void prefetch_args(const Emitter *E, uint32_t id, uint32_t top) {
    if (id >= top || !E->mark[id])
        return;
    const Node *n = E->g->nodes[id];
    for (int k = 0; k < n->nargs && k < 8; k++)
        PLAN_PREFETCH(n->args[k]);
}

/* A multiset of factors, hashed as the sum of its members' hashes. */
static uint64_t factors_hash(Node *const *f, int m) {
    uint64_t h = 0;
    for (int i = 0; i < m; i++)
        h += mix64(f[i]->id);
    return h;
}

/* Is the multiset a (less a[skip_a] when skip_a >= 0) the multiset b less
 * b[skip_b]?  Uses E->count, which it leaves zero. */
static int same_factors(Emitter *E, Node *const *a, int na, int skip_a, Node *const *b, int nb, int skip_b) {
    if (na - (skip_a >= 0) != nb - 1)
        return 0;
    for (int i = 0; i < nb; i++)
        if (i != skip_b)
            E->count[b[i]->id]++;
    int same = 1;
    for (int i = 0; i < na; i++)
        if (i != skip_a && E->count[a[i]->id]-- <= 0)
            same = 0;
    for (int i = 0; i < nb; i++)
        E->count[b[i]->id] = 0;
    for (int i = 0; i < na; i++)
        E->count[a[i]->id] = 0;
    return same;
}

typedef struct BaseSlot {
    uint64_t key;   /* hash of a base's factors less one                    */
    uint32_t base;  /* 1 + the base's id, 0: empty                          */
    int missing;    /* the factor left out                                  */
} BaseSlot;

/* A base a product's factors match (plan_products). */
typedef struct BaseMatch {
    uint32_t id;    /* the product                                          */
    uint32_t base;  /* 1 + the base's id                                    */
    int missing;    /* the base's factor the product lacks                  */
} BaseMatch;

/* Asks for the slots plan_products' first pass will probe for node id. */
static void prefetch_base_slots(const Emitter *E, uint32_t id, uint32_t top, const BaseSlot *table, size_t cap) {
    if (id >= top || !E->mark[id] || !product_base(E->g->nodes[id]))
        return;
    Node *const *f;
    int m = product_factors(E->g->nodes[id], &f);
    uint64_t h = factors_hash(f, m);
    for (int i = 0; i < m && i < 8; i++)
        PLAN_PREFETCH(&table[(size_t)mix64(h - mix64(f[i]->id)) & (cap - 1)]);
}

/* Asks for the slots plan_products' second pass will probe for node id. */
static void prefetch_match_slots(const Emitter *E, uint32_t id, uint32_t top, const BaseSlot *table, size_t cap) {
    if (id >= top || !E->mark[id])
        return;
    const Node *mn = E->g->nodes[id];
    if (mn->kind != EX_MUL || mn->shape.rank != 0)
        return;
    Node *const *f;
    int m = product_factors(mn, &f);
    if (m < 2)
        return;
    uint64_t h = factors_hash(f, m);
    for (int j = -1; j < (m >= 3 ? m : 0) && j < 8; j++)
        PLAN_PREFETCH(&table[(size_t)mix64(j < 0 ? h : h - mix64(f[j]->id)) & (cap - 1)]);
}

/* Finds, for every scalar product M of the kernel, a base B (another
 * product of it, with three or more factors) whose factors are M's
 * factors plus one, or plus one and less one other (M = B / f_i, or
 * (B / f_i) g: the partial derivatives of B and of functions of B).  A
 * base with two or more such products becomes a group: each of them is
 * written as coef * P_i * S_(i+1) * g from the base's prefix and suffix
 * products, and so is the base itself (P_(n-1) f_(n-1)).  Hash tables of
 * the factors less one keep this linear in the size of the kernel. */
static void plan_products(Emitter *E, uint32_t top, size_t nkeys) {
    Graph *g = E->g;
    if (nkeys == 0)
        return;
    size_t cap = 16;
    while (cap < 2 * nkeys)
        cap *= 2;
    BaseSlot *table = calloc(cap, sizeof *table);
    /* by id below top: every node the kernel writes is older than a root */
    int *best = calloc(top, sizeof *best); /* by id: 1 + base id of M's candidate */
    int *missing = calloc(top, sizeof *missing);
    int *members = calloc(top, sizeof *members); /* by base id */
    int *could = calloc(top, sizeof *could);     /* by base id: products that could join */
    if (!table || !best || !missing || !members || !could) {
        free(could);
        free(table);
        free(best);
        free(missing);
        free(members);
        E->out->failed = 1;
        return;
    }
    for (uint32_t id = 0; id < top; id++) {
        prefetch_args(E, id + 2 * PLAN_AHEAD, top);
        prefetch_base_slots(E, id + PLAN_AHEAD, top, table, cap);
        const Node *b = g->nodes[id];
        if (!E->mark[id] || !product_base(b))
            continue;
        Node *const *f;
        int m = product_factors(b, &f);
        uint64_t h = factors_hash(f, m);
        for (int i = 0; i < m; i++) {
            uint64_t key = h - mix64(f[i]->id);
            size_t s = (size_t)mix64(key) & (cap - 1);
            while (table[s].base && table[s].key != key)
                s = (s + 1) & (cap - 1);
            Node *const *tf;
            if (!table[s].base || product_factors(g->nodes[table[s].base - 1], &tf) < m)
                table[s] = (BaseSlot){key, id + 1, i}; /* the longest base */
        }
    }
    /* each product's base: its factors (less one, its g) plus one; of
     * the bases it could join, the one most products could join (a
     * product's own base before the partials of a function of it).  The
     * table is probed once: the matches (few) are kept in product order,
     * counted, then chosen from. */
    BaseMatch *match = NULL;
    size_t nmatch = 0, match_cap = 0;
    for (uint32_t id = 0; id < top; id++) {
        prefetch_args(E, id + 2 * PLAN_AHEAD, top);
        prefetch_match_slots(E, id + PLAN_AHEAD, top, table, cap);
        const Node *mn = g->nodes[id];
        if (!E->mark[id] || mn->kind != EX_MUL || mn->shape.rank != 0)
            continue;
        Node *const *f;
        int m = product_factors(mn, &f);
        /* a base has three or more factors: M itself plus one (j = -1)
         * needs m >= 2, M less f_j plus one (j >= 0) m >= 3 */
        if (m < 2)
            continue;
        uint64_t h = factors_hash(f, m);
        for (int j = -1; j < (m >= 3 ? m : 0); j++) {
            uint64_t key = j < 0 ? h : h - mix64(f[j]->id);
            size_t s = (size_t)mix64(key) & (cap - 1);
            while (table[s].base && table[s].key != key)
                s = (s + 1) & (cap - 1);
            if (!table[s].base || table[s].base - 1 == id)
                continue;
            const Node *b = g->nodes[table[s].base - 1];
            Node *const *bf;
            int bm = product_factors(b, &bf);
            if (!same_factors(E, f, m, j, bf, bm, table[s].missing))
                continue;
            if (nmatch == match_cap) {
                size_t c = match_cap ? 2 * match_cap : 64;
                BaseMatch *x = realloc(match, c * sizeof *x);
                if (!x) {
                    E->out->failed = 1;
                    break;
                }
                match = x;
                match_cap = c;
            }
            match[nmatch++] = (BaseMatch){id, table[s].base, table[s].missing};
            could[table[s].base - 1]++;
        }
    }
    for (size_t i = 0; i < nmatch;) {
        uint32_t id = match[i].id;
        int chosen = 0, chosen_missing = 0;
        for (; i < nmatch && match[i].id == id; i++) {
            int base = (int)match[i].base;
            if (base == chosen || (chosen && could[base - 1] <= could[chosen - 1]))
                continue;
            chosen = base;
            chosen_missing = match[i].missing;
        }
        best[id] = chosen;
        missing[id] = chosen_missing;
        members[chosen - 1]++;
    }
    free(match);
    free(could);
    /* groups: bases with two or more members */
    for (uint32_t id = 0; id < top; id++) {
        if (members[id] < 2)
            continue;
        if (E->ngroups == E->groups_cap) {
            int c = E->groups_cap ? 2 * E->groups_cap : 8;
            ProductGroup *x = realloc(E->groups, (size_t)c * sizeof *x);
            if (!x) {
                E->out->failed = 1;
                break;
            }
            E->groups = x;
            E->groups_cap = c;
        }
        ProductGroup *pg = &E->groups[E->ngroups];
        pg->base = g->nodes[id];
        pg->n = product_factors(pg->base, &pg->f);
        pg->prefix = calloc((size_t)pg->n + 1, sizeof *pg->prefix);
        pg->suffix = calloc((size_t)pg->n + 1, sizeof *pg->suffix);
        if (!pg->prefix || !pg->suffix) {
            free(pg->prefix);
            free(pg->suffix);
            E->out->failed = 1;
            break;
        }
        members[id] = -(++E->ngroups); /* -(1 + group) */
    }
    /* a product is written from the group it is a member of, else, a
     * base, from its own (P_(n-1) f_(n-1)); after the chain values */
    for (uint32_t id = 0; id < top; id++) {
        NodeForm *f;
        if (best[id] && members[best[id] - 1] < 0) {
            if ((f = form_set(E, id)) != NULL) {
                f->group_of = -members[best[id] - 1];
                f->group_missing = missing[id];
            }
            E->temp[id] = 1;
        } else if (members[id] < 0) {
            if ((f = form_set(E, id)) != NULL) {
                f->group_of = -members[id];
                f->group_missing = E->groups[-members[id] - 1].n;
            }
            E->temp[id] = 1;
        }
    }
    /* the base's constant joins the prefix products when every product
     * written from them has it (the partials of c f_0 ... f_(n-1)); not
     * in float when it is far from 1, where it multiplies last */
    for (int k = 0; k < E->ngroups; k++) {
        ProductGroup *pg = &E->groups[k];
        const Node *c = pg->base->args[0]->kind == EX_CONST ? pg->base->args[0] : NULL;
        double v = c ? num_value(c->num[0]) : 1;
        pg->coef = c && !(E->opt->use_float && (fabs(v) > 0x1p64 || fabs(v) < 0x1p-64)) ? c : NULL;
    }
    for (uint32_t id = 0; id < top && E->ngroups; id++) {
        const NodeForm *f = form_of(E, id);
        if (!f->group_of)
            continue;
        ProductGroup *pg = &E->groups[f->group_of - 1];
        const Node *m = g->nodes[id];
        if (f->group_missing >= 1 && pg->coef && m->args[0] != pg->coef)
            pg->coef = NULL;
    }
    free(table);
    free(best);
    free(missing);
    free(members);
}

/* --- products from a product less one factor ------------------------------------- */

/* Flattened products of more factors than this are not compared. */
#define COFACTOR_MAX 1024

/* Adds sign to E->count[] of every factor of the scalar product n but its
 * argument skip (-1: none), nested scalar products flattened, and appends
 * the ids it touches to touched[]; stack[] holds COFACTOR_MAX * 2 nodes
 * (the caller has checked n's flattened size). */
static void count_flat(Emitter *E, const Node *n, int skip, int sign, const Node **stack, uint32_t *touched,
                       size_t *ntouched) {
    size_t sp = 0;
    for (int i = 0; i < n->nargs; i++)
        if (i != skip)
            stack[sp++] = n->args[i];
    while (sp > 0) {
        const Node *a = stack[--sp];
        if (a->kind == EX_MUL && a->shape.rank == 0) {
            for (int i = 0; i < a->nargs; i++)
                stack[sp++] = a->args[i];
            continue;
        }
        E->count[a->id] += sign;
        touched[(*ntouched)++] = a->id;
    }
}

/* Is the product b less its argument skip, flattened, the product m? */
static int same_flat(Emitter *E, const Node *b, int skip, const Node *m, const Node **stack, uint32_t *touched) {
    size_t nt = 0;
    count_flat(E, b, skip, 1, stack, touched, &nt);
    count_flat(E, m, -1, -1, stack, touched, &nt);
    int same = 1;
    for (size_t i = 0; i < nt; i++)
        if (E->count[touched[i]] != 0)
            same = 0;
    for (size_t i = 0; i < nt; i++)
        E->count[touched[i]] = 0;
    return same;
}

/* Can product m be defined before node `before` is (its statements
 * pulled ahead of their turn)?  Every product in it must be free of
 * planned forms (a group, an M * f, a product written with the outputs),
 * and everything else it reads a leaf or a temporary older than
 * `before`: defined already. */
static int pullable(const Emitter *E, const Node *m, uint32_t before, const unsigned char *last,
                    const Node **stack) {
    size_t sp = 0, pushed = 0;
    stack[sp++] = m;
    while (sp > 0) {
        const Node *a = stack[--sp];
        if (a->id < before && E->temp[a->id])
            continue;
        if (a->kind == EX_MUL && a->shape.rank == 0) {
            const NodeForm *f = form_of(E, a->id);
            if (f->via || f->group_of || last[a->id] || f->exp_group)
                return 0;
            if ((pushed += (size_t)a->nargs) > 2 * COFACTOR_MAX)
                return 0;
            for (int i = 0; i < a->nargs; i++)
                stack[sp++] = a->args[i];
        } else if (!is_leaf(a)) {
            return 0;
        }
    }
    return 1;
}

/* Flags the products of m that pullable() walked (2 in last[]): they are
 * defined ahead of their turn and take no planned form afterwards. */
static void mark_pulled(const Emitter *E, const Node *m, uint32_t before, unsigned char *last, const Node **stack) {
    size_t sp = 0;
    stack[sp++] = m;
    while (sp > 0) {
        const Node *a = stack[--sp];
        if ((a->id < before && E->temp[a->id]) || a->kind != EX_MUL || a->shape.rank != 0 || last[a->id])
            continue;
        last[a->id] = 2;
        for (int i = 0; i < a->nargs; i++)
            stack[sp++] = a->args[i];
    }
}

/* 8 bytes a slot: a match is verified exactly (same_flat), so 32 bits of
 * hash only decide how many candidates are verified, and the products of
 * one key stay in the order they were added whatever the table's size. */
typedef struct FlatSlot {
    uint32_t key;  /* hash of a product's flattened factors              */
    uint32_t node; /* 1 + its id, 0: empty                               */
} FlatSlot;

typedef struct CofactorScratch {
    FlatSlot *table; /* products by the hash of their flattened factors */
    size_t cap;
    uint32_t *hash;  /* by id: the hash                                   */
    uint16_t *size;  /* by id: flattened factors, at most COFACTOR_MAX + 1 */
    unsigned char *last; /* by id: 1 written with the outputs, 2 pulled   */
    const Node **stack;
    uint32_t *touched;
} CofactorScratch;

/* Is node id a scalar product of the kernel that match_cofactors files:
 * counted (size[] is zero for other nodes), with at most COFACTOR_MAX
 * flattened factors? */
static int is_flat(uint32_t id, const uint16_t *size) { return size[id] != 0 && size[id] <= COFACTOR_MAX; }

/* Asks for the slots match_cofactors' search will probe for node id. */
static void prefetch_cofactor_slots(const Emitter *E, uint32_t id, uint32_t top, const CofactorScratch *w) {
    if (id >= top || !E->mark[id])
        return;
    const Node *b = E->g->nodes[id];
    if (b->kind != EX_MUL || b->shape.rank != 0 || w->size[id] > COFACTOR_MAX)
        return;
    for (int i = 0; i < b->nargs && i < 8; i++) {
        const Node *f = b->args[i];
        int nested = f->kind == EX_MUL && f->shape.rank == 0;
        uint32_t key = w->hash[id] - (nested ? w->hash[f->id] : (uint32_t)mix64(f->id));
        PLAN_PREFETCH(&w->table[(size_t)mix64(key) & (w->cap - 1)]);
    }
}

/* plan_cofactors with its memory. */
static int match_cofactors(Emitter *E, Node *const *roots, int nroots, uint32_t top, const CofactorScratch *w) {
    Graph *g = E->g;
    FlatSlot *table = w->table;
    size_t cap = w->cap;
    uint32_t *hash = w->hash;
    uint16_t *size = w->size;
    unsigned char *last = w->last;
    const Node **stack = w->stack;
    uint32_t *touched = w->touched;
    /* the flattened factors of every scalar product of the kernel (its
     * arguments are older: bottom-up in id order), hashed and counted;
     * the kernel's products are the ones looked at below and their
     * nested products (a product's arguments are all written), so the
     * nodes outside it are not read */
    for (uint32_t id = 0; id < top; id++) {
        prefetch_args(E, id + PLAN_AHEAD, top);
        if (!E->mark[id])
            continue;
        const Node *n = g->nodes[id];
        if (n->kind != EX_MUL || n->shape.rank != 0)
            continue;
        uint32_t h = 0;
        int c = 0;
        for (int i = 0; i < n->nargs; i++) {
            const Node *a = n->args[i];
            int nested = a->kind == EX_MUL && a->shape.rank == 0;
            h += nested ? hash[a->id] : (uint32_t)mix64(a->id);
            c += nested ? size[a->id] : 1;
            if (c > COFACTOR_MAX)
                c = COFACTOR_MAX + 1;
        }
        hash[id] = h;
        size[id] = (uint16_t)c;
    }
    /* then filed in id order, their slots asked for ahead */
    for (uint32_t id = 0; id < top; id++) {
        uint32_t a = id + PLAN_AHEAD;
        if (a < top && is_flat(a, size))
            PLAN_PREFETCH(&table[(size_t)mix64(hash[a]) & (cap - 1)]);
        if (!is_flat(id, size))
            continue;
        size_t s = (size_t)mix64(hash[id]) & (cap - 1);
        while (table[s].node)
            s = (s + 1) & (cap - 1);
        table[s] = (FlatSlot){hash[id], id + 1};
    }
    /* the outputs' readers, to tell a product read only by them */
    for (int i = 0; i < nroots; i++)
        E->count[roots[i]->id]++;
    int found = 0;
    for (uint32_t id = 0; id < top; id++) {
        prefetch_cofactor_slots(E, id + PLAN_AHEAD, top, w);
        const Node *b = g->nodes[id];
        /* B is worth it when written as it is it takes two or more
         * multiplications (a factor -1 is a subtraction or a sign, free);
         * products of a group are written from chains */
        if (!E->mark[id] || b->kind != EX_MUL || b->shape.rank != 0 ||
            b->nargs - dag_is_num(b->args[0], -1) < 3 || size[id] > COFACTOR_MAX || form_of(E, id)->group_of || last[id])
            continue;
        int outputs_only = !E->temp[id] && E->uses[id] == E->count[id];
        for (int i = 0; i < b->nargs && !form_of(E, id)->via; i++) {
            const Node *f = b->args[i];
            int nested = f->kind == EX_MUL && f->shape.rank == 0;
            if (nested && !E->temp[f->id])
                continue; /* f itself would take multiplications */
            uint32_t key = hash[id] - (nested ? hash[f->id] : (uint32_t)mix64(f->id));
            for (size_t s = (size_t)mix64(key) & (cap - 1); table[s].node; s = (s + 1) & (cap - 1)) {
                const Node *m = g->nodes[table[s].node - 1];
                if (table[s].key != key || m == b || last[m->id] == 1 || !same_flat(E, b, i, m, stack, touched))
                    continue;
                int pull = 0;
                if (m->id > id && !outputs_only) {
                    if (!pullable(E, m, id, last, stack))
                        continue;
                    pull = 1;
                }
                NodeForm *nf = form_set(E, id);
                if (!nf)
                    return found;
                nf->via = m->id + 1;
                nf->via_factor = i;
                E->temp[m->id] = 1;
                if (pull)
                    mark_pulled(E, m, id, last, stack);
                if (m->id < id || pull)
                    E->temp[id] = 1;
                else
                    last[id] = 1;
                found++;
                break;
            }
        }
    }
    for (int i = 0; i < nroots; i++)
        E->count[roots[i]->id] = 0;
    return found;
}

/* Finds every product B of the kernel that equals, as a multiset of
 * factors with nested products flattened, a product M the kernel
 * computes anyway times one argument f of B, and writes B as M * f: one
 * multiplication where B's own factors take one less than their count.
 * The function value of a product beside the partial derivatives the
 * engine builds from prefix and suffix products (B = M x_(n-1), M the
 * partial in x_(n-1)) is the case that matters; any nesting is found.
 * The flattened factors are hashed bottom-up (a sum of their hashes, so
 * B's hash less f's is M's), the match verified exactly.  M becomes a
 * temporary (it is computed once either way) and must be defined before
 * B is: M is older than B, which then becomes a temporary too; or B is
 * read only by the kernel's outputs, which are written last (and is then
 * never an M itself); or M's statements can be written ahead of their
 * turn, just before B's (define_pulled: its products read only leaves
 * and older temporaries, like the engine's prefix products of a product
 * inside a function).  Returns how many products are written so. */
static int plan_cofactors(Emitter *E, Node *const *roots, int nroots, uint32_t top, size_t nprod) {
    if (nprod < 2)
        return 0;
    size_t cap = 16; /* at most 3/4 full */
    while (3 * cap < 4 * nprod)
        cap *= 2;
    size_t nn = top; /* the kernel's nodes are older than its roots */
    FlatSlot *table = calloc(cap, sizeof *table);
    uint32_t *hash = calloc(nn, sizeof *hash);
    uint16_t *size = calloc(nn, sizeof *size);
    unsigned char *last = calloc(nn, 1);
    const Node **stack = malloc(2 * (COFACTOR_MAX + 1) * sizeof *stack);
    uint32_t *touched = malloc(4 * (COFACTOR_MAX + 1) * sizeof *touched);
    int found = 0;
    if (!table || !hash || !size || !last || !stack || !touched)
        E->out->failed = 1;
    else
        found = match_cofactors(E, roots, nroots, top, &(CofactorScratch){table, cap, hash, size, last, stack, touched});
    free(table);
    free(hash);
    free(size);
    free(last);
    free(stack);
    free(touched);
    return found;
}

/* A chain value: u<j>, or the factor it is when it is a single one. */
static void emit_chain(Emitter *E, const ProductGroup *pg, int prefix, int k, int ctx) {
    int t = prefix ? pg->prefix[k] : pg->suffix[k];
    if (t) {
        sb_printf(E->out, "u%d", t - 1);
        return;
    }
    emit_ref(E, pg->f[prefix ? 0 : pg->n - 1], ctx);
}

/* Writes the chain values up to P_k (prefix) or down to S_k (suffix). */
static void define_chain(Emitter *E, ProductGroup *pg, int prefix, int k, const char *indent) {
    int *c = prefix ? pg->prefix : pg->suffix;
    int from = prefix ? (pg->coef ? 1 : 2) : pg->n - 2, step = prefix ? 1 : -1;
    for (int j = from; prefix ? j <= k : j >= k; j += step) {
        if (c[j])
            continue;
        sb_printf(E->out, "%sconst %s u%d = ", indent, E->T, E->nchain);
        if (prefix && j == 1)
            emit_const(E, pg->coef->num[0], C_UNARY); /* P_1 = coef f[0] */
        else
            emit_chain(E, pg, prefix, j - step, C_PROD);
        sb_puts(E->out, " * ");
        emit_ref(E, pg->f[prefix ? j - 1 : j], C_PROD + 1);
        sb_puts(E->out, ";\n");
        E->counts.mul++;
        codegen_end_statement(E);
        c[j] = ++E->nchain;
    }
}

/* The chain values product n (a member of a group, or its base) is
 * written from. */
static void define_chains_for(Emitter *E, const Node *n, const char *indent) {
    if (n->id >= E->nn || !form_of(E, n->id)->group_of)
        return;
    ProductGroup *pg = &E->groups[form_of(E, n->id)->group_of - 1];
    int i = form_of(E, n->id)->group_missing;
    if (i == pg->n) {
        define_chain(E, pg, 1, pg->n - 1, indent);
        return;
    }
    define_chain(E, pg, 1, i, indent);
    define_chain(E, pg, 0, i + 1, indent);
}

/* What the planning passes size their tables by, counted over the
 * written nodes while they are marked (each pass over 10^6 nodes reads
 * every node again, a cache miss each). */
typedef struct {
    size_t products;  /* scalar products (plan_cofactors)               */
    size_t base_keys; /* arguments of the possible bases (plan_products) */
} PlanCounts;

/* Marks what the kernel of roots[0..nroots) writes, and counts each
 * node's readers: what is reachable through the nodes as they will be
 * written (a careful form may skip a node: log(sigmoid(v)) never computes
 * the sigmoid; a product written M * f reads M and f).  A node's mark is
 * final when it is reached (only newer nodes and the roots mark it), so
 * *pc counts the written nodes (when pc is not NULL), E->reads_x and
 * E->reads_input say whether they read x[] and input[], and a variable
 * neither in x[] nor in input[] fails the output.  Returns 1 + the
 * highest root id. */
static uint32_t mark_written(Emitter *E, Node *const *roots, int nroots, PlanCounts *pc) {
    Graph *g = E->g;
    uint32_t top = 0;
    E->reads_x = E->reads_input = 0;
    for (int i = 0; i < nroots; i++) {
        E->mark[roots[i]->id] = 1;
        if (roots[i]->id + 1 > top)
            top = roots[i]->id + 1;
    }
    for (uint32_t id = top; id-- > 0;) {
        if (id >= PLAN_AHEAD)
            prefetch_args(E, id - PLAN_AHEAD, top); /* a hint: its mark may come later */
        if (!E->mark[id])
            continue;
        const Node *n = g->nodes[id];
        if (n->kind == EX_VAR) {
            if (E->var_array[n->u.var] < 0)
                E->out->failed = 1; /* a variable neither in x[] nor in input[] */
            E->reads_x |= E->var_array[n->u.var] == 0;
            E->reads_input |= E->var_array[n->u.var] == 1;
        }
        if (pc && n->kind == EX_MUL && n->shape.rank == 0) {
            pc->products++;
            if (product_base(n))
                pc->base_keys += (size_t)n->nargs;
        }
        Node *const *args;
        int nargs = written_args(n, &args);
        Node *mf[2];
        if (E->form[id] && E->forms[E->form[id] - 1].via) {
            const NodeForm *f = &E->forms[E->form[id] - 1];
            mf[0] = g->nodes[f->via - 1];
            mf[1] = g->nodes[id]->args[f->via_factor];
            args = mf;
            nargs = 2;
        }
        for (int k = 0; k < nargs; k++) {
            E->mark[args[k]->id] = 1;
            E->uses[args[k]->id]++;
        }
        /* b^(k/2), k odd, other than sqrt(b) itself: written through sqrt(b) */
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
    return top;
}

/* Asks for what the depth pass of codegen_plan reads of node id's
 * arguments (asked for earlier: prefetch_args). */
static void prefetch_arg_entries(const Emitter *E, uint32_t id, uint32_t top, const unsigned char *depth) {
    if (id >= top || !E->mark[id])
        return;
    const Node *n = E->g->nodes[id];
    for (int k = 0; k < n->nargs && k < 8; k++) {
        PLAN_PREFETCH(&E->temp[n->args[k]->id]);
        if (depth)
            PLAN_PREFETCH(&depth[n->args[k]->id]);
    }
}

void codegen_plan(Emitter *E, Node *const *roots, int nroots) {
    Graph *g = E->g;
    size_t nn = E->nn;
    memset(E->temp, 0, nn * sizeof *E->temp);
    memset(E->uses, 0, nn * sizeof *E->uses);
    memset(E->mark, 0, nn);
    memset(E->form, 0, nn * sizeof *E->form);
    E->nforms = 0;
    for (int k = 0; k < E->ngroups; k++) {
        free(E->groups[k].prefix);
        free(E->groups[k].suffix);
    }
    E->ngroups = E->nexps = E->nchain = 0;
    E->defining = UINT32_MAX;
    memset(E->stated, 0, nn);
    PlanCounts pc = {0, 0};
    uint32_t top = mark_written(E, roots, nroots, &pc);
    if (E->tensor)
        plan_tensors(E, roots, nroots, top);
    /* by id: the operations of the expression written inline, counted
     * up to 255 (only "more than 12" is asked): a byte a node */
    unsigned char *depth = calloc(top ? top : 1, sizeof *depth); /* the kernel's nodes are below top */
    if (!depth)
        E->out->failed = 1; /* the temporaries would be chosen otherwise */
    for (size_t id = 0; id < top; id++) {
        prefetch_args(E, (uint32_t)id + 2 * PLAN_AHEAD, top);
        prefetch_arg_entries(E, (uint32_t)id + PLAN_AHEAD, top, depth);
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
            depth[id] = (unsigned char)(d < UCHAR_MAX ? d + 1 : UCHAR_MAX);
        int need = E->uses[id] >= 2 || (depth && depth[id] > 12);
        /* a base multiplied by itself must be computed once */
        if (n->kind == EX_POW && n->args[1]->kind == EX_CONST && !is_leaf(n->args[0]) &&
            !E->temp[n->args[0]->id])
            E->temp[n->args[0]->id] = 1;
        /* b^-k beside 1/b: written from it, which is named */
        for (int k = 0; k < (n->kind == EX_MUL ? n->nargs : 1); k++) {
            const Node *f = n->kind == EX_MUL ? n->args[k] : n;
            if (f->kind == EX_POW && f->args[1]->kind == EX_CONST && num_is_int(f->args[1]->num[0]) &&
                f->args[1]->num[0].p <= -2 && f->args[1]->num[0].p >= -8) {
                const Node *r = reciprocal_of(E, f->args[0]);
                if (r && E->mark[r->id])
                    E->temp[r->id] = 1;
            }
        }
        /* log(sigmoid(v)) re-negates v: make v a value */
        if (n->kind == EX_CALL && n->u.fn == BI_SIGMOID && !is_leaf(n->args[0]) && !E->temp[n->args[0]->id])
            E->temp[n->args[0]->id] = 1;
        if (need && !E->temp[id])
            E->temp[id] = 1;
        if (E->temp[id] && depth)
            depth[id] = 0;
    }
    plan_exps(E, top, 0);
    plan_products(E, top, pc.base_keys);
    if (plan_cofactors(E, roots, nroots, top, pc.products)) {
        /* the products written M * f no longer read their own factors:
         * what only they read is not written */
        unsigned char *before = malloc(top ? top : 1);
        if (before)
            memcpy(before, E->mark, top);
        memset(E->uses, 0, nn * sizeof *E->uses);
        memset(E->mark, 0, nn);
        mark_written(E, roots, nroots, NULL);
        for (uint32_t id = 0; id < top && before; id++)
            if (before[id] && !E->mark[id])
                E->temp[id] = 0;
        if (!before)
            E->out->failed = 1;
        free(before);
    }
    /* scalar temporaries are numbered in id order */
    int k = 0;
    for (size_t id = 0; id < top; id++)
        if (E->temp[id])
            E->temp[id] = g->nodes[id]->shape.rank == 0 ? ++k : 1;
    E->ntemps = k;
    free(depth);
}

/* The sides, over the uses in every kernel of the program: a magnitude
 * |w| is one-sided when every sigmoid, softplus and logarithm of a sigmoid
 * of w or -w, in any kernel, takes the same argument side * a; else
 * two-sided.  A kernel's group or lone use then has the form the others
 * have (a gradient may add the other sign: sigmoid(x)' = sigmoid(x)
 * sigmoid(-x) makes |x| two-sided in the value kernel too). */
typedef struct SideOf {
    const Node *a;    /* the first use's argument                         */
    signed char side; /* its side; 0 once two uses differ                */
} SideOf;

void codegen_plan_sides(Emitter *E, Node *const *roots, int nroots) {
    size_t nn = E->nn;
    free(E->onesided);
    E->onesided = NULL;
    unsigned char *onesided = calloc(nn ? nn : 1, 1);
    if (!onesided) {
        E->out->failed = 1;
        return;
    }
    memset(E->uses, 0, nn * sizeof *E->uses);
    memset(E->mark, 0, nn);
    memset(E->form, 0, nn * sizeof *E->form);
    E->nforms = 0;
    uint32_t top = mark_written(E, roots, nroots, NULL);
    int *at = E->count; /* by id of w: 1 + its SideOf */
    SideOf *sides = NULL;
    size_t nsides = 0, cap = 0;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t id = 0; id < top; id++) {
            int sp, side;
            const Node *v = E->mark[id] ? exp_argument(E->g->nodes[id], &sp, &side) : NULL;
            if (!v)
                continue;
            const Node *w = magnitude_of(E, v);
            if (pass) { /* the decision, by user */
                onesided[id] = at[w->id] > 0 && sides[at[w->id] - 1].side != 0;
                continue;
            }
            if (at[w->id] > 0) {
                SideOf *o = &sides[at[w->id] - 1];
                if (o->a != v || o->side != side)
                    o->side = 0;
                continue;
            }
            if (nsides == cap) {
                size_t c = cap ? 2 * cap : 64;
                SideOf *x = realloc(sides, c * sizeof *x);
                if (!x) {
                    E->out->failed = 1;
                    break;
                }
                sides = x;
                cap = c;
            }
            sides[nsides++] = (SideOf){v, (signed char)side};
            at[w->id] = (int)nsides;
        }
    for (uint32_t id = 0; id < top; id++) {
        int sp, side;
        const Node *v = E->mark[id] ? exp_argument(E->g->nodes[id], &sp, &side) : NULL;
        if (v)
            at[magnitude_of(E, v)->id] = 0;
    }
    free(sides);
    memset(E->uses, 0, nn * sizeof *E->uses);
    memset(E->mark, 0, nn);
    E->onesided = onesided;
}

/* --- statements -------------------------------------------------------------------- */

/* The statements of the products a product written M * f needs that are
 * newer than it (pulled ahead: plan_cofactors), in id order. */
static void define_pulled(Emitter *E, const Node *m, uint32_t before, const char *indent) {
    if (m->id < before || m->kind != EX_MUL || m->shape.rank != 0 || E->stated[m->id])
        return;
    for (int i = 0; i < m->nargs; i++)
        define_pulled(E, m->args[i], before, indent);
    if (E->temp[m->id])
        codegen_scalar_statement(E, m, indent);
}

void codegen_scalar_statement(Emitter *E, const Node *n, const char *indent) {
    if (n->id < E->nn && E->stated[n->id])
        return;
    if (n->id < E->nn && form_of(E, n->id)->via)
        define_pulled(E, E->g->nodes[form_of(E, n->id)->via - 1], n->id, indent);
    /* shared values just before their first user */
    define_exp(E, n, indent);
    define_chains_for(E, n, indent);
    E->defining = n->id;
    sb_puts(E->out, indent);
    sb_puts(E->out, "const ");
    sb_puts(E->out, E->T);
    sb_putc(E->out, ' ');
    emit_name(E, n);
    sb_puts(E->out, " = ");
    codegen_define(E, n);
    sb_puts(E->out, ";\n");
    codegen_end_statement(E);
    if (n->id < E->nn)
        E->stated[n->id] = 1;
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
    E->form = calloc(nn, sizeof *E->form);
    E->count = calloc(nn, sizeof *E->count);
    E->stated = calloc(nn, 1);
    if (tensor) {
        E->home = calloc(nn, 1);
        E->offset = calloc(nn, sizeof *E->offset);
    }
    if (!E->temp || !E->uses || !E->mark || !E->var_offset || !E->var_array || !E->form || !E->count ||
        !E->stated ||
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
    free(E->form);
    free(E->forms);
    free(E->exps);
    free(E->onesided);
    free(E->count);
    free(E->stated);
    for (int k = 0; k < E->ngroups; k++) {
        free(E->groups[k].prefix);
        free(E->groups[k].suffix);
    }
    free(E->groups);
    memset(E, 0, sizeof *E);
}

/* --- scalar kernels ------------------------------------------------------------------- */

int codegen_locals(const Emitter *E) {
    int n = E->ntemps + E->nchain;
    for (int k = 0; k < E->nexps; k++)
        if (!E->exps[k].elementwise)
            n += 1 + (E->exps[k].side ? 1 : E->exps[k].log1p);
    return n;
}

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
    if (!E->reads_x)
        sb_puts(E->out, "    (void)x;\n");
    if (in->ninputs && !E->reads_input)
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
    info.temps = codegen_locals(E);
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

void codegen_writer_plan_exps(CodegenWriter *w, const Node *const *nodes, int n, StrBuf *out) {
    Emitter *E = &w->E;
    E->out = out;
    /* the statements are every kernel's: the sides over all of them */
    codegen_plan_sides(E, (Node *const *)nodes, n);
    uint32_t top = 0;
    for (int k = 0; k < n; k++)
        if (nodes[k]->id < E->nn) {
            E->mark[nodes[k]->id] = 1;
            if (nodes[k]->id >= top)
                top = nodes[k]->id + 1;
        }
    plan_exps(E, top, 1);
    for (int k = 0; k < n; k++)
        if (nodes[k]->id < E->nn)
            E->mark[nodes[k]->id] = 0;
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

/* " *   x[3] = name": one line per parameter or input, written piece by
 * piece (a program may declare 10^5 of them). */
static void header_slot(StrBuf *h, const char *array, int i, const char *name) {
    /* " *   x[12] = name\n", put together here and appended once: the
     * header has a line per variable (10^5 of them) */
    char line[96];
    size_t na = strlen(array), nn = strlen(name);
    if (na + nn + 32 > sizeof line) {
        sb_puts(h, " *   ");
        sb_puts(h, array);
        sb_putc(h, '[');
        sb_put_int(h, i);
        sb_puts(h, "] = ");
        sb_puts(h, name);
        sb_putc(h, '\n');
        return;
    }
    char digits[12], *d = digits + sizeof digits;
    unsigned u = (unsigned)i;
    do
        *--d = (char)('0' + u % 10);
    while (u /= 10);
    size_t nd = (size_t)(digits + sizeof digits - d), k = 0;
    memcpy(line, " *   ", 5);
    k = 5;
    memcpy(line + k, array, na);
    k += na;
    line[k++] = '[';
    memcpy(line + k, d, nd);
    k += nd;
    memcpy(line + k, "] = ", 4);
    k += 4;
    memcpy(line + k, name, nn);
    k += nn;
    line[k++] = '\n';
    sb_putn(h, line, k);
}

void codegen_header_intro(StrBuf *h, const Graph *g, const CodegenInput *in,
                          const CodegenOptions *opt) {
    codegen_header_begin(h, opt->header_file, opt->version, opt->command_line, opt->source_text);
    sb_puts(h, " *\n * Parameters (x[], differentiated):\n");
    for (int i = 0; i < in->nparams; i++)
        header_slot(h, "x", i, g->vars[in->params[i]].name);
    if (in->ninputs) {
        sb_puts(h, " * Inputs (input[], data, not differentiated):\n");
        for (int i = 0; i < in->ninputs; i++)
            header_slot(h, "input", i, g->vars[in->inputs[i]].name);
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
    char digits[24], *d = digits + sizeof digits;
    do
        *--d = (char)('0' + index % 10);
    while (index /= 10);
    size_t na = strlen(array), nd = (size_t)(digits + sizeof digits - d);
    char *t = malloc(na + nd + 3);
    if (!t) {
        out->failed = 1;
        return;
    }
    memcpy(t, array, na);
    t[na] = '[';
    memcpy(t + na + 1, d, nd);
    memcpy(t + na + 1 + nd, "]", 2);
    targets[k] = t;
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
    /* the sides of the magnitudes, over the roots of every kernel */
    {
        size_t ng = in->is_vector ? m * n : n, nh = in->hess ? n * (n + 1) / 2 : 0;
        size_t all = (size_t)in->noutputs + ng + nh;
        Node **every = all < (size_t)INT_MAX ? malloc((all ? all : 1) * sizeof *every) : NULL;
        if (every) {
            size_t at = 0;
            for (int i = 0; i < in->noutputs; i++)
                every[at++] = in->outputs[i];
            for (size_t i = 0; i < ng; i++)
                every[at++] = in->grad[i];
            for (size_t i = 0; i < n && nh; i++)
                for (size_t j = i; j < n; j++)
                    every[at++] = in->hess[i * n + j];
            codegen_plan_sides(&E, every, (int)at);
        } else {
            E.out->failed = 1;
        }
        free(every);
    }

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
    sb_puts(header, CODEGEN_ENTRY_POINTS_HEADING);
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
    /* the source: its opening and the helpers the kernels use (known only
     * now) go before the body, which is moved rather than copied (it is
     * most of the text: 150 MB for 10^6 operations) */
    StrBuf pre;
    sb_init(&pre);
    if (!opt->embedded) {
        sb_printf(&pre, "/* Generated by symdiff %s from the program described in %s. Do not edit. */\n",
                  opt->version, opt->header_file);
        codegen_include_header(&pre, header, opt);
        sb_puts(&pre, "\n#include <math.h>\n\n");
    }
    codegen_helpers(&pre, E.helpers, E.ty);
    sb_insert(&body, 0, sb_str(&pre), pre.len);
    int failed = body.failed || pre.failed || source->failed || header->failed;
    sb_free(&pre);
    sb_append_take(source, &body);
    failed |= source->failed;
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
void codegen_test_wrapper(StrBuf *out, const char *T, const char *wrapper, const char *out1, const char *out2,
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

void codegen_test_head(StrBuf *out, const CodegenOptions *opt, long n, long nin, long m, int is_vector, int hess,
                       const int *classes, const char *sized) {
    const char *T = opt->use_float ? "float" : "double";
    const char *name = opt->name;
    const char *ktol = opt->use_float ? "1e-2" : "1e-12";
    sb_printf(out,
              "/* %s_test.c — generated by symdiff %s.\n"
              " *\n"
              " * Checks the kernels of %s: a double-precision reference copy of them is\n"
              " * compared with extrapolated central differences (Ridders' method, repeated\n"
              " * with smaller and smaller first steps until two runs agree), to 1e-7; then\n"
              " * the kernels themselves (%s) are compared with the reference, to %s.\n"
              " * Points are drawn in [LO, HI) (define them to change it); points where the\n"
              " * function is not finite are skipped.  Exit status 0 when everything agrees\n"
              " * and at least one finite-difference comparison converged%s. */\n"
              "#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n\n"
              "#include \"%s\"\n\n"
              "#define SDT_NV %ld\n#define SDT_NI %ld\n#define SDT_NO %ld\n#define SDT_VECTOR %d\n"
              "#define SDT_HESSIAN %d\n#define SDT_TOL %s\n#define SDT_NAME \"%s\"\n"
              "typedef %s sdt_real;\n\n",
              name, opt->version, opt->header_file, T, ktol, sized ? sized : "", opt->header_file, n,
              nin > 0 ? nin : 1, m, is_vector, hess, ktol, name, T);
    /* per entry of input[]: the number of classes of a label (inputs
     * onehot or cross_entropy reads), 0 for data */
    sb_puts(out, "static const int sdt_classes[SDT_NI] = {");
    for (long i = 0; i < (nin > 0 ? nin : 1); i++)
        sb_printf(out, "%s%d", i ? ", " : "", classes && i < nin ? classes[i] : 0);
    sb_puts(out, "};\n\n");
}

void codegen_test_tail(StrBuf *out) {
    for (const char *const *line = template_emit_test; *line; line++)
        sb_puts(out, *line);
}

int codegen_test_program(const Graph *g, const CodegenInput *in, const CodegenOptions *opt,
                         StrBuf *out) {
    const char *name = opt->name;
    int n = in->nparams, m = in->is_vector ? in->noutputs : 1, nin = in->ninputs;
    int hess = !in->is_vector && in->hess != NULL;
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
    codegen_test_head(out, opt, n, nin, m, in->is_vector, hess, in->input_classes, NULL);
    sb_puts(out, sb_str(&ref_src));
    sb_free(&ref_src);
    sb_free(&ref_hdr);
    /* every kernel through a wrapper of one signature: the reference, and
     * the kernels under test, which are called only there, so that no
     * name in this file can clash with the user's --name */
    char kernel[CODEGEN_MAX_NAME + 8];
    if (in->is_vector) {
        codegen_test_wrapper(out, "double", "sdt_ref_value", "sdt_y", NULL, nin, "", "sdt_ref", "sdt_y");
        codegen_test_wrapper(out, "double", "sdt_ref_derivative", "sdt_d", NULL, nin, "", "sdt_ref_jac", "sdt_d");
        codegen_test_wrapper(out, "sdt_real", "sdt_value_t", "sdt_y", NULL, nin, "", name, "sdt_y");
        snprintf(kernel, sizeof kernel, "%s_jac", name);
        codegen_test_wrapper(out, "sdt_real", "sdt_derivative_t", "sdt_d", "sdt_y", nin, "", kernel, "sdt_d");
    } else {
        codegen_test_wrapper(out, "double", "sdt_ref_value", "sdt_y", NULL, nin, "sdt_y[0] = ", "sdt_ref", NULL);
        codegen_test_wrapper(out, "double", "sdt_ref_derivative", "sdt_d", NULL, nin, "(void)", "sdt_ref_grad", "sdt_d");
        codegen_test_wrapper(out, "sdt_real", "sdt_value_t", "sdt_y", NULL, nin, "sdt_y[0] = ", name, NULL);
        snprintf(kernel, sizeof kernel, "%s_grad", name);
        codegen_test_wrapper(out, "sdt_real", "sdt_derivative_t", "sdt_d", "sdt_y", nin, "sdt_y[0] = ", kernel, "sdt_d");
        if (hess) {
            codegen_test_wrapper(out, "double", "sdt_ref_hessian", "sdt_h", NULL, nin, "", "sdt_ref_hess", "sdt_h");
            snprintf(kernel, sizeof kernel, "%s_hess", name);
            codegen_test_wrapper(out, "sdt_real", "sdt_hessian_t", "sdt_h", NULL, nin, "", kernel, "sdt_h");
        }
    }
    codegen_test_tail(out);
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
              "    const SdrtTrainProgram sdt_program = {.name = \"%s\", .nparams = %d, .ninputs = %d,\n"
              "                                          .param_names = sdt_names, .grad = %s_grad,\n"
              "                                          .theta = sdt_theta, .grad_sum = sdt_grad,\n"
              "                                          .sample_grad = sdt_sample, .m = sdt_m, .v = sdt_v};\n"
              "    return sdrt_train_main(&sdt_program, argc, argv);\n}\n",
              size, size, size, size, size, name, n, nin, name);
    return out->failed ? -1 : 0;
}
