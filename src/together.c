/* SPDX-License-Identifier: MIT */
/*
 * together.c — derivatives in the form textbooks print (--together).
 *
 * Consumes a scalar node, produces a node of the same value wherever the
 * original is defined.  Nodes are visited in id order (arguments first) and
 * each gets its textbook form:
 *   - a sum whose terms have denominators goes over their least common
 *     denominator (bases b with constant exponents, the largest of each):
 *       a/b^2 + c/(b d) = (a d + c b)/(b^2 d),
 *     the numerator is expanded (poly-style, functions as atoms) with
 *     sin(u)^2 + cos(u)^2 = 1 and cosh(u)^2 - sinh(u)^2 = 1 applied, and a
 *     factor the numerator shares with the denominator is cancelled: a
 *     power of a base, or a sum the numerator is a constant times
 *     (2/(2 + 3x) - 6x/(2 + 3x)^2 = 4/(2 + 3x)^2);
 *   - powers of one base in a product are merged (x x^(x - 1) = x^x,
 *     sqrt(x) sqrt(x) = x, x^2 x^-2 = 1), and quotients of trigonometric
 *     and hyperbolic functions are named (sin/cos = tan, cos/sin = cot,
 *     sinh/cosh = tanh, cosh/sinh = coth, tan cos = sin);
 *   - 1 + tan(u)^2 = sec(u)^2, 1 + cot(u)^2 = csc(u)^2,
 *     1 - tanh(u)^2 = sech(u)^2 and coth(u)^2 - 1 = csch(u)^2;
 *   - a product may also take sigmoid(u) for the fraction 1/(1 + exp(-u))
 *     it is (exp(x) sigmoid(-x)^2 = exp(x)/(1 + exp(x))^2), and gather
 *     powers of one whole exponent into the power of a polynomial
 *     (x^3 (x^2 - 2)^3 = (x^3 - 2x)^3);
 *   - the simplifier's exponent rules keep a domain ((x^-2)^-1 and
 *     x^2 x^-2 stay, undefined at 0); here they are merged, in powers,
 *     products and the monomials of expansions, as a textbook does.
 * Each of these is an identity wherever its left side is defined; the
 * result may be defined where the original is not (a cancelled factor is
 * 0 there, the original 0/0), never different where both are.  Of the
 * forms a sum can take (as it was, over the common denominator, with the
 * denominator multiplied out, or the numerator's terms each over the
 * denominator) the one printed shortest (spaces not counted) is kept,
 * and so for the whole result: the output is never longer than the
 * input.  Shared nodes stay shared: each node is transformed once, and
 * the form of a node with two or more users is pinned, so that its users
 * treat it as one factor.
 * Results whose tree is larger than TOGETHER_MAX_TREE nodes are left as
 * they are (no textbook prints them).
 */
#include "together.h"

#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "print.h"

/* Sums whose DAG is larger than this are left as they are (the forms of a
 * sum are printed to be compared). */
#define TOGETHER_MAX_NODES 400

/* Results larger than this written out as a tree are left as they are:
 * the forms are compared by their printed length, and the tree of a
 * shared DAG can be exponentially larger than the DAG (a textbook answer
 * is short). */
#define TOGETHER_MAX_TREE 20000.0

typedef struct Together {
    Graph *g;
    size_t n0;      /* the nodes that existed before the pass               */
    Node **form;    /* by id < n0: the node's textbook form (NULL: not yet) */
    Node **frac;    /* by id < n0: a sum over its common denominator, the form
                       a product with that denominator's bases needs (or NULL) */
    uint32_t *uses; /* by id < n0: users within the result                  */
} Together;

/* The length of n as printed, spaces not counted (the spaces around + and
 * - are the printer's layout, not the form's: exp(x)/(1 + exp(x))^2 is
 * shorter than exp(x)*sigmoid(-x)^2). */
static size_t printed_length(Graph *g, Node *n) {
    StrBuf sb;
    sb_init(&sb);
    print_expr(&sb, g, n, PRINT_INFIX);
    size_t len = 0;
    for (size_t i = 0; i < sb.len && !sb.failed; i++)
        len += sb.data[i] != ' ';
    if (sb.failed)
        len = (size_t)-1;
    sb_free(&sb);
    return len;
}

/* A growable array of nodes. */
typedef struct Nodes {
    Node **v;
    int n, cap;
} Nodes;

static int push(Graph *g, Nodes *a, Node *x) {
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 8;
        Node **v = realloc(a->v, (size_t)cap * sizeof *v);
        if (!v) {
            g->failed = GRAPH_OUT_OF_MEMORY;
            return -1;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

/* --- products: powers of one base merged, quotients of functions named ---------- */

static int is_call(const Node *n, Builtin fn) { return n->kind == EX_CALL && n->u.fn == (int)fn; }

/* Exponents are added, subtracted and multiplied here only when the
 * arithmetic is exact: rational constants whose result is rational.  A
 * constant that is a double (12345678901234567890 is one) would round:
 * y^(e - 2) is y^e when e is 1.2345678901234567e19. */
static int exact_add(Num a, Num b, Num *out) {
    return a.is_rat && b.is_rat && num_add(a, b, out) == NUM_OK && out->is_rat;
}

/* Is e an exponent whose sum with another exact one is exact?  A rational
 * constant, or an expression whose constant term and coefficients (the
 * parts a sum folds) are rational. */
static int exact_exponent(const Node *e) {
    if (e->kind == EX_CONST)
        return e->num[0].is_rat;
    if (e->kind != EX_ADD && e->kind != EX_MUL)
        return 1;
    for (int k = 0; k < e->nargs; k++) {
        const Node *a = e->args[k];
        if (a->kind == EX_MUL && a->nargs > 0)
            a = a->args[0];
        if (a->kind == EX_CONST && !a->num[0].is_rat)
            return 0;
    }
    return 1;
}

/* Pairs of functions of one argument whose quotient or product has a
 * name: num(u)^a den(u)^(s a) = name(u)^a, a > 0 (s = -1: a quotient). */
static const struct {
    Builtin num, den, name;
    int s;
} quotients[] = {
    {BI_SIN, BI_COS, BI_TAN, -1},   {BI_COS, BI_SIN, BI_COT, -1},   {BI_SINH, BI_COSH, BI_TANH, -1},
    {BI_COSH, BI_SINH, BI_COTH, -1}, {BI_TAN, BI_COS, BI_SIN, 1},    {BI_COT, BI_SIN, BI_COS, 1},
    {BI_TANH, BI_COSH, BI_SINH, 1},  {BI_COTH, BI_SINH, BI_COSH, 1},
};

/* 1 + exp(-u), the denominator of sigmoid(u) = 1/(1 + exp(-u)). */
static Node *sigmoid_denominator(Graph *g, const Node *sigmoid) {
    return dag_add(g, dag_int(g, 1), dag_call1(g, BI_EXP, dag_sub(g, dag_int(g, 0), sigmoid->args[0])));
}

/* The product of the factors: factors of nested products flattened
 * (except those with atomic[i] set: shared values), the exponents of each
 * base added, quotients of functions named.  With `sigmoids`, sigmoid(u)
 * is the fraction it is, 1/(1 + exp(-u)), whose denominator merges with
 * the others: sigmoid(x) exp(-x) sigmoid(x) = exp(-x)/(1 + exp(-x))^2
 * (a power -1 of it prints as sigmoid again). */
static Node *product_of(Graph *g, Node *const *factors, const unsigned char *atomic, int n, int sigmoids) {
    Nodes base = {0}, expo = {0};
    for (int i = 0; i < n && !g->failed; i++) {
        Node *f = factors[i];
        int flat = f->kind == EX_MUL && !(atomic && atomic[i]);
        int m = flat ? f->nargs : 1;
        for (int k = 0; k < m && !g->failed; k++) {
            Node *a = flat ? f->args[k] : f;
            int whole = a->kind != EX_POW || (atomic && atomic[i] && !flat);
            Node *b = whole ? a : a->args[0], *e = whole ? dag_int(g, 1) : a->args[1];
            if (b->kind == EX_CONST) { /* constants multiply as the simplifier does */
                b = a;
                e = dag_int(g, 1);
            }
            if (sigmoids && is_call(b, BI_SIGMOID) && e->kind == EX_CONST && e->num[0].is_rat) {
                /* sigmoid(u)^e = (1 + exp(-u))^-e (shared or not: the
                 * same value spelled out, its argument still shared) */
                b = sigmoid_denominator(g, b);
                e = dag_num(g, num_neg(e->num[0]));
                if (g->failed)
                    break;
            }
            int j = 0;
            while (j < base.n && base.v[j] != b)
                j++;
            Node *sum = j < base.n && exact_exponent(e) && exact_exponent(expo.v[j]) ? dag_add(g, expo.v[j], e)
                                                                                      : NULL;
            if (sum && exact_exponent(sum)) {
                /* b^p b^q = b^(p + q) wherever the left side is defined
                 * (b < 0: p and q are whole; b = 0: p, q >= 0) */
                expo.v[j] = sum;
            } else if (j < base.n) { /* inexact: a factor of its own */
                if (push(g, &base, a) == 0)
                    push(g, &expo, dag_int(g, 1));
            } else if (push(g, &base, b) == 0) {
                push(g, &expo, e);
            }
        }
    }
    /* sin(u)^a cos(u)^-a = tan(u)^a, tan(u)^a cos(u)^a = sin(u)^a, ...
     * (constant exponents, a > 0) */
    for (int i = 0; i < base.n && !g->failed; i++)
        for (size_t q = 0; q < sizeof quotients / sizeof *quotients; q++) {
            Node *bi = base.v[i];
            if (!bi || !is_call(bi, quotients[q].num) || expo.v[i]->kind != EX_CONST ||
                num_is_negative(expo.v[i]->num[0]))
                continue;
            Num want = quotients[q].s < 0 ? num_neg(expo.v[i]->num[0]) : expo.v[i]->num[0];
            for (int j = 0; j < base.n; j++) {
                Node *bj = base.v[j];
                if (!bj || j == i || !is_call(bj, quotients[q].den) || bj->args[0] != bi->args[0] ||
                    expo.v[j]->kind != EX_CONST || !num_equal(expo.v[j]->num[0], want))
                    continue;
                base.v[i] = dag_call1(g, quotients[q].name, bi->args[0]);
                base.v[j] = NULL;
                break;
            }
        }
    Nodes out = {0};
    for (int i = 0; i < base.n && !g->failed; i++)
        if (base.v[i])
            push(g, &out, dag_pow(g, base.v[i], expo.v[i]));
    Node *r = g->failed ? NULL : out.n ? dag_mul_n(g, out.v, out.n) : dag_int(g, 1);
    free(base.v);
    free(expo.v);
    free(out.v);
    return r;
}

static Node *product(Graph *g, Node *const *factors, const unsigned char *atomic, int n) {
    return product_of(g, factors, atomic, n, 0);
}

/* b^e with the exponents of b's powers multiplied, where b^e is defined:
 *   (b^f)^e = b^(f e) for a fractional f (then b >= 0) or a whole e
 *   (sqrt(x)^2 = x, (x^-2)^-1 = x^2);
 *   (a b)^e = a^e b^e for a whole e, its factors' powers merged: the
 *   reciprocal of a fraction, ((1 + x^2)/x^2)^-1 = x^2/(1 + x^2) (|e| <= 8,
 *   as the simplifier: (y z)^1000 is finite where y^1000 z^1000 is inf 0).
 * The simplifier keeps (x^-2)^-1 (undefined at 0, where x^2 is not); the
 * textbook form may be defined where the original is not. */
static Node *power(Graph *g, Node *b, Node *e) {
    if (e->kind != EX_CONST || !e->num[0].is_rat)
        return dag_pow(g, b, e);
    Num en = e->num[0];
    if (b->kind == EX_POW && b->args[1]->kind == EX_CONST && b->args[1]->num[0].is_rat &&
        (!num_is_int(b->args[1]->num[0]) || num_is_int(en))) {
        Num fe;
        if (num_mul(b->args[1]->num[0], en, &fe) == NUM_OK && fe.is_rat)
            return dag_pow(g, b->args[0], dag_num(g, fe));
    }
    if (b->kind == EX_MUL && num_is_int(en) && en.p >= -8 && en.p <= 8) {
        Nodes f = {0};
        for (int k = 0; k < b->nargs && !g->failed; k++)
            push(g, &f, b->args[k]->kind == EX_CONST ? dag_pow(g, b->args[k], e) : power(g, b->args[k], e));
        Node *r = g->failed ? NULL : product(g, f.v, NULL, f.n);
        free(f.v);
        return r;
    }
    return dag_pow(g, b, e);
}

/* --- sums ---------------------------------------------------------------------- */

/* The identities of two-term sums: 1 + tan(u)^2 = sec(u)^2, 1 + cot(u)^2 =
 * csc(u)^2, 1 - tanh(u)^2 = sech(u)^2, coth(u)^2 - 1 = csch(u)^2. */
static Node *pythagorean_pair(Graph *g, Node *s) {
    static const struct {
        int one;     /* the constant term: 1 or -1           */
        int sign;    /* the square's coefficient: 1 or -1    */
        Builtin fn, is;
    } pairs[] = {
        {1, 1, BI_TAN, BI_SEC}, {1, 1, BI_COT, BI_CSC}, {1, -1, BI_TANH, BI_SECH}, {-1, 1, BI_COTH, BI_CSCH},
    };
    if (s->kind != EX_ADD || s->nargs != 2 || s->args[0]->kind != EX_CONST)
        return NULL;
    Node *t = s->args[1];
    int sign = 1;
    if (t->kind == EX_MUL && t->nargs == 2 && dag_is_num(t->args[0], -1)) {
        sign = -1;
        t = t->args[1];
    }
    if (t->kind != EX_POW || !dag_is_num(t->args[1], 2) || t->args[0]->kind != EX_CALL)
        return NULL;
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
        if (dag_is_num(s->args[0], pairs[i].one) && sign == pairs[i].sign && is_call(t->args[0], pairs[i].fn))
            return dag_pow(g, dag_call1(g, pairs[i].is, t->args[0]->args[0]), dag_int(g, 2));
    return NULL;
}

/* A term as coefficient * rest, rest without the constant. */
static Node *term_rest(Graph *g, Node *t, Num *coef) {
    *coef = num_int(1);
    if (t->kind == EX_CONST) {
        *coef = t->num[0];
        return dag_int(g, 1);
    }
    if (t->kind != EX_MUL || t->args[0]->kind != EX_CONST)
        return t;
    *coef = t->args[0]->num[0];
    return dag_mul_n(g, t->args + 1, t->nargs - 1);
}

/* rest without one factor f^2 (f a call of fn), or NULL when it has none. */
static Node *without_square(Graph *g, Node *rest, Builtin fn, Node **arg) {
    int m = rest->kind == EX_MUL ? rest->nargs : 1;
    for (int k = 0; k < m; k++) {
        Node *a = rest->kind == EX_MUL ? rest->args[k] : rest;
        if (a->kind == EX_POW && dag_is_num(a->args[1], 2) && is_call(a->args[0], fn)) {
            *arg = a->args[0]->args[0];
            if (rest->kind != EX_MUL)
                return dag_int(g, 1);
            Nodes o = {0};
            for (int i = 0; i < m; i++)
                if (i != k)
                    push(g, &o, rest->args[i]);
            Node *r = g->failed ? NULL : dag_mul_n(g, o.v, o.n);
            free(o.v);
            return r;
        }
    }
    return NULL;
}

/* A flat sum with c M sin(u)^2 + c M cos(u)^2 = c M and
 * c M cosh(u)^2 - c M sinh(u)^2 = c M applied. */
static Node *pythagorean_sum(Graph *g, Node *s) {
    static const struct {
        Builtin a, b;
        int sign; /* b's coefficient is sign times a's */
    } ids[] = {{BI_SIN, BI_COS, 1}, {BI_COSH, BI_SINH, -1}};
    if (s->kind != EX_ADD)
        return s;
    int n = s->nargs;
    Node **t = malloc((size_t)n * sizeof *t);
    if (!t) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        return NULL;
    }
    memcpy(t, s->args, (size_t)n * sizeof *t);
    int changed = 0;
    for (size_t id = 0; id < sizeof ids / sizeof *ids; id++)
        for (int i = 0; i < n && !g->failed; i++) {
            Num ci, cj;
            Node *ui, *uj;
            Node *ri = t[i] ? without_square(g, term_rest(g, t[i], &ci), ids[id].a, &ui) : NULL;
            for (int j = 0; ri && j < n && !g->failed; j++) {
                Node *rj = j != i && t[j] ? without_square(g, term_rest(g, t[j], &cj), ids[id].b, &uj) : NULL;
                Num want = ids[id].sign > 0 ? ci : num_neg(ci);
                if (rj && rj == ri && uj == ui && num_equal(cj, want)) {
                    t[i] = dag_mul(g, dag_num(g, ci), ri);
                    t[j] = NULL;
                    changed = 1;
                    break;
                }
            }
        }
    Node *r = s;
    if (changed && !g->failed) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (t[i])
                t[m++] = t[i];
        r = dag_add_n(g, t, m);
    }
    free(t);
    return g->failed ? NULL : r;
}

/* A monomial of the expansion with the powers of each base merged, as
 * product() does: expansion takes x^-2 for an atom and the simplifier
 * keeps x^2 x^-2 (undefined at 0, where 1 is not), the textbook form 1. */
static Node *merged(Graph *g, Node *t) { return t && t->kind == EX_MUL ? product(g, &t, NULL, 1) : t; }

/* n expanded into a flat sum of monomials (functions as atoms), or n when
 * it cannot be (too many terms, coefficients beyond 64 bits). */
static Node *flat_expanded(Graph *g, Node *n) {
    ExpandStatus err = EXPAND_OK;
    Node *e = merged(g, expand_node(g, n, &err));
    if (!e)
        return g->failed ? NULL : n;
    /* content * primitive: the content multiplied into each term */
    Node *content = NULL, *sum = e;
    if (e->kind == EX_MUL && e->nargs == 2 && e->args[0]->kind == EX_CONST && e->args[1]->kind == EX_ADD) {
        content = e->args[0];
        sum = e->args[1];
    }
    if (sum->kind != EX_ADD)
        return pythagorean_sum(g, e);
    Node **t = malloc((size_t)sum->nargs * sizeof *t);
    if (!t) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        return NULL;
    }
    for (int i = 0; i < sum->nargs; i++)
        t[i] = merged(g, content ? dag_mul(g, content, sum->args[i]) : sum->args[i]);
    Node *r = g->failed ? NULL : dag_add_flat(g, t, sum->nargs);
    free(t);
    return r ? pythagorean_sum(g, r) : NULL;
}

/* A flat sum with rational coefficients as content * primitive sum
 * (1/2 - x/2 = (1 - x)/2), or s when the content is 1. */
static Node *with_content(Graph *g, Node *s) {
    if (s->kind != EX_ADD)
        return s;
    Num c, ci;
    term_rest(g, s->args[0], &c);
    if (!c.is_rat)
        return s;
    c = num_is_negative(c) ? num_neg(c) : c;
    for (int i = 1; i < s->nargs; i++) {
        term_rest(g, s->args[i], &ci);
        if (!ci.is_rat || !num_rat_gcd(c, num_is_negative(ci) ? num_neg(ci) : ci, &c))
            return s;
    }
    Num inv;
    if (num_is_one(c) || num_pow(c, num_int(-1), &inv) != NUM_OK)
        return s;
    Node **t = malloc((size_t)s->nargs * sizeof *t);
    if (!t) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        return NULL;
    }
    for (int i = 0; i < s->nargs; i++)
        t[i] = dag_mul(g, dag_num(g, inv), s->args[i]);
    Node *r = g->failed ? NULL : dag_mul(g, dag_num(g, c), dag_add_flat(g, t, s->nargs));
    free(t);
    return r;
}

/* A factor of a denominator: base^e, e a positive constant. */
typedef struct Den {
    Node *base;
    Num e;
} Den;

typedef struct Dens {
    Den *v;
    int n, cap;
} Dens;

/* Adds base^e to d, keeping the largest exponent of each base. */
static int den_max(Graph *g, Dens *d, Node *base, Num e) {
    for (int i = 0; i < d->n; i++)
        if (d->v[i].base == base) {
            if (num_compare(e, d->v[i].e) > 0)
                d->v[i].e = e;
            return 0;
        }
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 8;
        Den *v = realloc(d->v, (size_t)cap * sizeof *v);
        if (!v) {
            g->failed = GRAPH_OUT_OF_MEMORY;
            return -1;
        }
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = (Den){base, e};
    return 0;
}

/* Splits a term into its numerator factors and its denominator (factors
 * b^-e with a constant e > 0 and a base that is not a constant); an atomic
 * term (a shared value) is all numerator.  (Not sigmoid(u) as 1/(1 +
 * exp(-u)): 1 - sigmoid(u) over it is exp(-u) sigmoid(u), inf times 0 for
 * u below -709.) */
static void split_term(Graph *g, Node *t, int atomic, Nodes *num, Dens *den) {
    num->n = 0;
    den->n = 0;
    if (atomic) {
        push(g, num, t);
        return;
    }
    int m = t->kind == EX_MUL ? t->nargs : 1;
    for (int k = 0; k < m && !g->failed; k++) {
        Node *a = t->kind == EX_MUL ? t->args[k] : t;
        if (a->kind == EX_POW && a->args[1]->kind == EX_CONST && a->args[1]->num[0].is_rat &&
            num_is_negative(a->args[1]->num[0]) && a->args[0]->kind != EX_CONST)
            den_max(g, den, a->args[0], num_neg(a->args[1]->num[0]));
        else
            push(g, num, a);
    }
}

/* The exponent base has in d (0 when absent). */
static Num den_exponent(const Dens *d, const Node *base) {
    for (int i = 0; i < d->n; i++)
        if (d->v[i].base == base)
            return d->v[i].e;
    return num_int(0);
}

/* Is the sum s (a flat sum of monomials) c times the flat sum b?  Sets *c. */
static int proportional(Graph *g, Node *s, Node *b, Num *c) {
    if (s->kind != EX_ADD || b->kind != EX_ADD || s->nargs != b->nargs)
        return 0;
    for (int i = 0; i < s->nargs; i++) {
        Num cs, cb, r;
        Node *rs = term_rest(g, s->args[i], &cs);
        int found = 0;
        for (int j = 0; j < b->nargs && !found; j++) {
            Node *rb = term_rest(g, b->args[j], &cb);
            if (rb != rs)
                continue;
            Num inv;
            if (!cs.is_rat || !cb.is_rat || num_pow(cb, num_int(-1), &inv) != NUM_OK ||
                num_mul(cs, inv, &r) != NUM_OK || !r.is_rat)
                return 0;
            if (i > 0 && !num_equal(r, *c))
                return 0;
            *c = r;
            found = 1;
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* numerator / prod(d), as a node. */
static Node *over(Graph *g, Node *numerator, const Dens *d) {
    Nodes f = {0};
    push(g, &f, numerator);
    for (int i = 0; i < d->n && !g->failed; i++)
        if (!num_is_zero(d->v[i].e))
            push(g, &f, dag_pow(g, d->v[i].base, dag_num(g, num_neg(d->v[i].e))));
    Node *r = g->failed ? NULL : product(g, f.v, NULL, f.n);
    free(f.v);
    return r;
}

/* Cancels what the numerator shares with the denominator d (changed in
 * place): powers of a base of d among the numerator's factors, and a base
 * of d that the numerator (a sum) is a constant times. */
static Node *cancel(Graph *g, Node *numerator, Dens *d) {
    for (int i = 0; i < d->n && !g->failed; i++) {
        Node *b = d->v[i].base;
        if (b->kind != EX_ADD || num_compare(d->v[i].e, num_int(1)) < 0)
            continue;
        Node *fb = flat_expanded(g, b);
        Num c;
        if (fb && proportional(g, numerator, fb, &c)) {
            Num e;
            if (exact_add(d->v[i].e, num_int(-1), &e)) {
                d->v[i].e = e;
                numerator = dag_num(g, c);
            }
        }
    }
    /* b^p / b^q: the smaller power cancels */
    int m = numerator->kind == EX_MUL ? numerator->nargs : 1;
    Nodes keep = {0};
    for (int k = 0; k < m && !g->failed; k++) {
        Node *a = numerator->kind == EX_MUL ? numerator->args[k] : numerator;
        Node *b = a->kind == EX_POW ? a->args[0] : a;
        Num p = a->kind == EX_POW && a->args[1]->kind == EX_CONST ? a->args[1]->num[0] : num_int(1);
        if (a->kind == EX_POW && (a->args[1]->kind != EX_CONST || !a->args[1]->num[0].is_rat)) {
            push(g, &keep, a);
            continue;
        }
        for (int i = 0; i < d->n; i++) {
            if (d->v[i].base != b || num_is_negative(p) || num_is_zero(p))
                continue;
            Num q = d->v[i].e, less = num_compare(p, q) < 0 ? p : q, np, nq;
            if (exact_add(p, num_neg(less), &np) && exact_add(q, num_neg(less), &nq)) {
                p = np;
                d->v[i].e = nq;
            }
        }
        push(g, &keep, num_is_zero(p) ? dag_int(g, 1) : dag_pow(g, b, dag_num(g, p)));
    }
    Node *r = g->failed ? NULL : dag_mul_n(g, keep.v, keep.n);
    free(keep.v);
    return r;
}

/* Of the candidates, the one printed shortest (the first among equals). */
static Node *shortest(Graph *g, Node *const *c, int n) {
    Node *best = NULL;
    size_t len = (size_t)-1;
    for (int i = 0; i < n && !g->failed; i++) {
        if (!c[i])
            continue;
        size_t l = printed_length(g, c[i]);
        if (l < len) {
            len = l;
            best = c[i];
        }
    }
    return g->failed ? NULL : best;
}

/* The forms of a sum of the terms t[0..n) (atomic[i]: a shared value),
 * and the shortest of them; *frac receives the form over the common
 * denominator (or NULL), which a product may need even where it is not
 * the shortest: x^2 (1 + 1/x^2) = x^2 + 1. */
static Node *sum_form(Graph *g, Node *const *t, const unsigned char *atomic, int n, Node **frac) {
    *frac = NULL;
    Node *plain = dag_add_n(g, t, n);
    if (!plain || plain->kind != EX_ADD)
        return plain;
    Node *pair = pythagorean_pair(g, plain);
    if (pair)
        return pair;
    if (dag_count(g, &plain, 1) > TOGETHER_MAX_NODES)
        return plain;
    /* the least common denominator */
    Nodes num = {0};
    Dens den = {0}, lcd = {0};
    for (int i = 0; i < n && !g->failed; i++) {
        split_term(g, t[i], atomic[i], &num, &den);
        for (int k = 0; k < den.n; k++)
            den_max(g, &lcd, den.v[k].base, den.v[k].e);
    }
    Node *cand[5] = {plain, NULL, NULL, NULL, NULL};
    Node *expanded = flat_expanded(g, plain);
    cand[1] = expanded != plain ? expanded : NULL;
    if (lcd.n > 0 && !g->failed) {
        /* each term's numerator times what the common denominator has more */
        Nodes terms = {0};
        int exact = 1;
        for (int i = 0; i < n && !g->failed && exact; i++) {
            split_term(g, t[i], atomic[i], &num, &den);
            for (int k = 0; k < lcd.n && !g->failed && exact; k++) {
                Num more;
                exact = exact_add(lcd.v[k].e, num_neg(den_exponent(&den, lcd.v[k].base)), &more);
                if (exact && !num_is_zero(more))
                    push(g, &num, dag_pow(g, lcd.v[k].base, dag_num(g, more)));
            }
            push(g, &terms, product(g, num.v, NULL, num.n));
        }
        Node *numerator = g->failed || !exact ? NULL : dag_add_n(g, terms.v, terms.n);
        free(terms.v);
        Node *fn = numerator ? flat_expanded(g, numerator) : NULL;
        if (fn) {
            Node *c = cancel(g, fn, &lcd), *cc = c ? with_content(g, c) : NULL;
            Node *both[2] = {cc && cc != c ? over(g, cc, &lcd) : NULL, c ? over(g, c, &lcd) : NULL};
            cand[2] = shortest(g, both, 2);
            *frac = cand[2];
            /* the denominator multiplied out: -2/(x^2 - 1) */
            Nodes dd = {0};
            for (int k = 0; k < lcd.n && !g->failed; k++)
                if (!num_is_zero(lcd.v[k].e))
                    push(g, &dd, dag_pow(g, lcd.v[k].base, dag_num(g, lcd.v[k].e)));
            Node *d = dd.n && !g->failed ? flat_expanded(g, dag_mul_n(g, dd.v, dd.n)) : NULL;
            free(dd.v);
            if (c && d)
                cand[3] = dag_div(g, c, d);
            /* each term of the numerator over the denominator: 1 - 1/x^2 */
            if (c && c->kind == EX_ADD) {
                Nodes parts = {0};
                for (int i = 0; i < c->nargs && !g->failed; i++)
                    push(g, &parts, over(g, c->args[i], &lcd));
                cand[4] = g->failed ? NULL : dag_add_n(g, parts.v, parts.n);
                free(parts.v);
            }
        }
    }
    free(num.v);
    free(den.v);
    free(lcd.v);
    return shortest(g, cand, 5);
}

/* The product r with its powers of one whole exponent k >= 2 gathered
 * into the power of their bases' product multiplied out, where that is a
 * sum: x^3 (x^2 - 2)^3 = (x^3 - 2 x)^3, (a b)^k = a^k b^k for a whole k
 * everywhere.  NULL when r has no such powers. */
static Node *same_powers(Graph *g, Node *r) {
    if (!r || r->kind != EX_MUL)
        return NULL;
    Node *out = NULL;
    for (int i = 0; i < r->nargs && !g->failed && !out; i++) {
        Node *p = r->args[i];
        if (p->kind != EX_POW || p->args[1]->kind != EX_CONST || !num_is_int(p->args[1]->num[0]) ||
            num_compare(p->args[1]->num[0], num_int(2)) < 0)
            continue;
        Nodes bases = {0}, rest = {0};
        for (int j = 0; j < r->nargs && !g->failed; j++) {
            Node *q = r->args[j];
            if (q->kind == EX_POW && q->args[1] == p->args[1] && q->args[0]->kind != EX_CONST)
                push(g, &bases, q->args[0]);
            else
                push(g, &rest, q);
        }
        if (bases.n >= 2 && !g->failed) {
            Node *b = flat_expanded(g, dag_mul_n(g, bases.v, bases.n));
            if (b && b->kind == EX_ADD) {
                push(g, &rest, dag_pow(g, b, p->args[1]));
                out = g->failed ? NULL : dag_mul_n(g, rest.v, rest.n);
            }
        }
        free(bases.v);
        free(rest.v);
    }
    return out;
}

/* --- the pass -------------------------------------------------------------------- */

/* x^c: a value too cheap to keep whole where it is shared, so that its
 * powers merge (x^-2 x^2 = 1). */
static int is_monomial(const Node *n) {
    return n->kind == EX_POW && n->args[0]->kind == EX_VAR && n->args[1]->kind == EX_CONST;
}

static Node *form_of(Together *T, Node *n) { return n->id < T->n0 && T->form[n->id] ? T->form[n->id] : n; }

static Node *transform(Together *T, Node *n) {
    Graph *g = T->g;
    if (n->kind == EX_CONST || n->kind == EX_VAR || n->nargs == 0)
        return n;
    Node *small[3], **a = n->nargs <= 3 ? small : malloc((size_t)n->nargs * sizeof *a);
    unsigned char small_atomic[3], *atomic = n->nargs <= 3 ? small_atomic : malloc((size_t)n->nargs);
    if (!a || !atomic) {
        if (a != small)
            free(a);
        if (atomic != small_atomic)
            free(atomic);
        g->failed = GRAPH_OUT_OF_MEMORY;
        return NULL;
    }
    int fracs = 0;
    for (int k = 0; k < n->nargs; k++) {
        a[k] = form_of(T, n->args[k]);
        atomic[k] = T->uses[n->args[k]->id] > 1 && !is_monomial(n->args[k]);
        fracs += n->args[k]->id < T->n0 && T->frac[n->args[k]->id] && !atomic[k];
    }
    Node *r = NULL;
    switch ((NodeKind)n->kind) {
    case EX_ADD:
        r = sum_form(g, a, atomic, n->nargs, &T->frac[n->id]);
        break;
    case EX_MUL: {
        r = product(g, a, atomic, n->nargs);
        Node *c[5] = {r, NULL, NULL, NULL, NULL};
        if (fracs && r) { /* the factors' common denominators may cancel */
            for (int k = 0; k < n->nargs; k++)
                if (n->args[k]->id < T->n0 && T->frac[n->args[k]->id] && !atomic[k])
                    a[k] = T->frac[n->args[k]->id];
            c[1] = T->frac[n->id] = product(g, a, atomic, n->nargs);
        }
        /* a polynomial multiplied out: 4 x (3 x^2 - 1) = 12 x^3 - 4 x */
        if (r && dag_count(g, &r, 1) <= TOGETHER_MAX_NODES)
            c[2] = flat_expanded(g, r);
        /* sigmoids as fractions: exp(x) sigmoid(-x)^2 = exp(x)/(1 + exp(x))^2 */
        if (r)
            c[3] = product_of(g, a, atomic, n->nargs, 1);
        if (r && dag_count(g, &r, 1) <= TOGETHER_MAX_NODES)
            c[4] = same_powers(g, r);
        r = shortest(g, c, 5);
        break;
    }
    case EX_POW: {
        Node *b = a[0], *e = a[1];
        if (fracs && n->args[0]->id < T->n0 && T->frac[n->args[0]->id]) {
            Node *c[2] = {power(g, b, e), power(g, T->frac[n->args[0]->id], e)};
            T->frac[n->id] = c[1];
            r = shortest(g, c, 2);
            break;
        }
        r = power(g, b, e);
        break;
    }
    case EX_CALL:
        r = dag_call(g, (Builtin)n->u.fn, a, n->nargs);
        break;
    case EX_CONST:
    case EX_VAR:
    CASE_TENSOR_KINDS:
    case EX_COUNT:
        r = n;
        break;
    }
    if (a != small)
        free(a);
    if (atomic != small_atomic)
        free(atomic);
    if (r && T->uses[n->id] > 1 && !is_monomial(n))
        dag_pin(g, r); /* its users keep it whole */
    return r;
}

Node *together_node(Graph *g, Node *root) {
    if (!root || g->failed)
        return NULL;
    if (dag_has_tensors(g, &root, 1) || !(dag_tree_size(g, &root, 1) <= TOGETHER_MAX_TREE))
        return root;
    Together T = {g, g->nnodes, NULL, NULL, NULL};
    unsigned char *mark = calloc(root->id + 1, 1);
    T.form = calloc(T.n0 ? T.n0 : 1, sizeof *T.form);
    T.frac = calloc(T.n0 ? T.n0 : 1, sizeof *T.frac);
    T.uses = calloc(T.n0 ? T.n0 : 1, sizeof *T.uses);
    if (!mark || !T.form || !T.frac || !T.uses) {
        free(mark);
        free(T.form);
        free(T.frac);
        free(T.uses);
        g->failed = GRAPH_OUT_OF_MEMORY;
        return NULL;
    }
    dag_mark_cone(g, &root, 1, mark, root->id + 1);
    for (uint32_t id = 0; id <= root->id; id++)
        for (int k = 0; mark[id] && k < g->nodes[id]->nargs; k++)
            T.uses[g->nodes[id]->args[k]->id]++;
    for (uint32_t id = 0; id <= root->id && !g->failed; id++)
        if (mark[id])
            T.form[id] = transform(&T, g->nodes[id]);
    Node *r = g->failed ? NULL : T.form[root->id];
    free(mark);
    free(T.form);
    free(T.frac);
    free(T.uses);
    if (!r)
        return NULL;
    /* never longer than the input */
    Node *c[2] = {root, r};
    return shortest(g, c, 2);
}
