/* SPDX-License-Identifier: MIT */
/*
 * rewrite.c — rewrites by what is known of a value, and into the stable
 * forms of what users write (see rewrite.h).
 *
 * Consumes canonical operands; produces a canonical node through the
 * smart constructors, or NULL.  Two families:
 *
 *   By range (range.h).  abs(u) = u where u >= 0 and -u where u <= 0;
 *   sign(u) = 1 where u > 0 and -1 where u < 0; 0^u = 0 where u > 0.  A
 *   rewrite that drops u (sign, 0^u) needs u defined everywhere (total),
 *   or assumed positive by the request being built: it must never make an
 *   expression defined where it was not.
 *
 *   Stable forms.  The same mathematics as written in lecture notes,
 *   computed so that no step overflows where the value is finite, and with
 *   derivatives free of inf/inf:
 *     log(softmax(s))            s - logsumexp(s)             (log_softmax)
 *     log(sum(exp(s)))           logsumexp(s)
 *     log(exp(a) + exp(b))       a + softplus(b - a)
 *     log(exp(a) + exp(b) + ...) logsumexp([a, b, ...])       (scalars; in a
 *                                graph of scalars only, and for elementwise
 *                                terms, softplus steps)
 *     log(1 + exp(v))            softplus(v)
 *     log(exp(u))                u
 *     log(sigmoid(z))            -softplus(-z)
 *     log(1 - sigmoid(z))        -softplus(z)
 *     1/(1 + exp(-z))            sigmoid(z)
 *     exp(-softplus(t))          sigmoid(-t)
 *     exp(s - logsumexp(s))      softmax(s)
 *     exp(u)/sum(exp(u))         softmax(u)                   (rewrite_ratio)
 *     exp(a)/(exp(a) + exp(b))   sigmoid(a - b)
 *     exp(a)/(exp(a) + ...)      sigmoid(a - log(...)), the rest's log-sum-exp
 *   Each is an identity of real numbers wherever both sides are defined,
 *   and both are defined at the same points.  exp(a) exp(b) = exp(a + b)
 *   is simplify.c's (a rule of products).
 */
#include "rewrite.h"

#include <stdlib.h>

#include "range.h"

static int is_call(const Node *n, Builtin fn) { return n->kind == EX_CALL && n->u.fn == (int)fn; }

/* v when n is -v (the product (-1) v), else NULL. */
static Node *negated(const Node *n) {
    if (n->kind == EX_MUL && n->nargs == 2 && dag_is_num(n->args[0], -1))
        return n->args[1];
    return NULL;
}

/* -x, a sum negated term by term (a - b, not -(b - a)). */
static Node *minus(Graph *g, Node *x) { return dag_sub(g, dag_int(g, 0), x); }

/* Does the request being built assume n > 0 (DerivScope)? */
static int assumed_positive(const Graph *g, const Node *n) {
    return g->assumed && n->id < g->nassumed && (g->assumed[n->id] & FACT_POSITIVE);
}

/* n > 0 (or < 0 with sign -1) at every point where the expression around
 * it is defined: either n is defined everywhere and has that sign, or the
 * request assumes it. */
static int surely_signed(const Graph *g, const Node *n, int sign) {
    if (sign > 0 && assumed_positive(g, n))
        return 1;
    return range_total(n) && (sign > 0 ? range_positive(n) : range_negative(n));
}

/* The exponents v_k of a sum exp(v_0) + exp(v_1) + ... (1 counts as
 * exp(0)), malloc'd into *v; their number, 0 when s is not such a sum. */
static int exp_terms(Graph *g, const Node *s, Node ***v) {
    *v = NULL;
    if (s->kind != EX_ADD)
        return 0;
    for (int k = 0; k < s->nargs; k++)
        if (!is_call(s->args[k], BI_EXP) && !dag_is_num(s->args[k], 1))
            return 0;
    Node **out = malloc((size_t)s->nargs * sizeof *out);
    if (!out) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        return 0;
    }
    for (int k = 0; k < s->nargs; k++)
        out[k] = is_call(s->args[k], BI_EXP) ? s->args[k]->args[0] : dag_int(g, 0);
    *v = out;
    return s->nargs;
}

/* Sums of more exponentials than this have each partial log-sum-exp
 * shared (pinned), since each is used twice by the next step; below, they
 * are written out, so that terms cancel (b - log(e^a + e^b + e^c) is
 * -softplus(a - b) - softplus(...)). */
#define LSE_WRITTEN_OUT 4

Node *rewrite_logsumexp(Graph *g, Node *const *v, int n) {
    int scalars = !g->scalars_only;
    for (int k = 0; k < n; k++)
        scalars &= v[k]->shape.rank == 0;
    if (n >= 3 && scalars) /* logsumexp([v_0, ..., v_{n-1}]) */
        return dag_logsumexp(g, dag_pack(g, v, n));
    Node *l = v[0];
    for (int k = 1; k < n && l; k++) {
        if (k > 1 && n > LSE_WRITTEN_OUT)
            dag_pin(g, l);
        l = dag_add(g, l, dag_call1(g, BI_SOFTPLUS, dag_sub(g, v[k], l)));
    }
    return l;
}

/* log(u) */
static Node *stable_log(Graph *g, Node *u) {
    if (is_call(u, BI_EXP))
        return u->args[0];
    if (u->kind == EX_SOFTMAX) { /* log_softmax(x) = x - logsumexp(x), of each row of a matrix */
        Node *x = u->args[0], *l = dag_logsumexp(g, x);
        return dag_sub(g, x, x->shape.rank == 2 ? dag_cols(g, l, shape_axis(x->shape, 1)) : l);
    }
    if (u->kind == EX_INDEX && u->args[0]->kind == EX_SOFTMAX && u->args[0]->shape.rank == 1 &&
        u->shape.rank == 0) {
        Node *s = u->args[0]->args[0];
        return dag_sub(g, dag_index(g, s, u->u.index, 1), dag_logsumexp(g, s));
    }
    if (u->kind == EX_SUM && is_call(u->args[0], BI_EXP) && u->args[0]->args[0]->shape.rank == 1)
        return dag_logsumexp(g, u->args[0]->args[0]);
    if (is_call(u, BI_SIGMOID)) /* log(1/(1 + e^-z)) = -log(1 + e^-z) */
        return dag_neg(g, dag_call1(g, BI_SOFTPLUS, minus(g, u->args[0])));
    if (u->kind == EX_ADD && u->nargs == 2 && dag_is_num(u->args[0], 1)) {
        Node *s = negated(u->args[1]);
        if (s && is_call(s, BI_SIGMOID)) /* log(1 - sigmoid(z)) = log(e^-z/(1 + e^-z)) */
            return dag_neg(g, dag_call1(g, BI_SOFTPLUS, s->args[0]));
    }
    Node **v;
    int n = exp_terms(g, u, &v);
    Node *r = n >= 2 ? rewrite_logsumexp(g, v, n) : NULL;
    free(v);
    return r;
}

/* exp(u) */
static Node *stable_exp(Graph *g, Node *u) {
    Node *t = negated(u);
    if (t && is_call(t, BI_SOFTPLUS)) /* 1/(1 + e^t) */
        return dag_call1(g, BI_SIGMOID, minus(g, t->args[0]));
    if (u->kind == EX_ADD && u->nargs == 2) {
        /* exp(w - logsumexp(s)) for w = s or an element of s */
        for (int k = 0; k < 2; k++) {
            Node *l = negated(u->args[k]), *w = u->args[1 - k];
            if (!l || l->kind != EX_LOGSUMEXP)
                continue;
            Node *s = l->args[0];
            if (w == s)
                return dag_softmax(g, s);
            if (w->kind == EX_INDEX && w->args[0] == s && w->shape.rank == 0)
                return dag_index(g, dag_softmax(g, s), w->u.index, 1);
        }
    }
    return NULL;
}

Node *rewrite_call(Graph *g, Builtin fn, Node *const *args, int nargs) {
    if (nargs < 1)
        return NULL;
    Node *u = args[0];
    switch (fn) {
    case BI_LOG:
        return stable_log(g, u);
    case BI_EXP:
        return stable_exp(g, u);
    case BI_ABS:
        if (dag_facts(g, u) & FACT_NONNEG)
            return u;
        if (range_nonpos(u))
            return dag_neg(g, u);
        return NULL;
    case BI_SIGN:
        if (surely_signed(g, u, 1))
            return dag_int(g, 1);
        if (surely_signed(g, u, -1))
            return dag_int(g, -1);
        return NULL;
    default:
        return NULL;
    }
}

Node *rewrite_pow(Graph *g, Node *b, Node *e) {
    /* 0^u = 0 for u > 0 */
    if (dag_is_num(b, 0) && e->kind != EX_CONST && surely_signed(g, e, 1))
        return b;
    /* 1/(1 + e^v) = sigmoid(-v) */
    if (dag_is_num(e, -1) && b->kind == EX_ADD && b->nargs == 2 && dag_is_num(b->args[0], 1) &&
        is_call(b->args[1], BI_EXP))
        return dag_call1(g, BI_SIGMOID, minus(g, b->args[1]->args[0]));
    return NULL;
}

Node *rewrite_ratio(Graph *g, Node *num, Node *den) {
    if (!is_call(num, BI_EXP))
        return NULL;
    Node *w = num->args[0];
    if (den->kind == EX_SUM && is_call(den->args[0], BI_EXP)) {
        Node *u = den->args[0]->args[0];
        if (w == u && u->shape.rank == 1)
            return dag_softmax(g, u);
        if (w->kind == EX_INDEX && w->args[0] == u && u->shape.rank == 1 && w->shape.rank == 0)
            return dag_index(g, dag_softmax(g, u), w->u.index, 1);
        return NULL;
    }
    /* exp(w) / (exp(w) + exp(v_1) + ...) = 1/(1 + exp(l - w)) =
     * sigmoid(w - l), l = log(exp(v_1) + ...) (so v_1 alone for two
     * terms: sigmoid(w - v_1)) */
    Node **v;
    int n = exp_terms(g, den, &v), at = -1;
    for (int k = 0; k < n && at < 0; k++)
        if (v[k] == w)
            at = k;
    Node *r = NULL;
    if (at >= 0 && n >= 2) {
        v[at] = v[n - 1]; /* the others: v[0 .. n-2] */
        r = dag_call1(g, BI_SIGMOID, dag_sub(g, w, rewrite_logsumexp(g, v, n - 1)));
    }
    free(v);
    return r;
}
