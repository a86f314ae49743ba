/* SPDX-License-Identifier: MIT */
/*
 * simplify.c — smart constructors: every node is built already simplified.
 *
 * Consumes operands (canonical nodes), produces a canonical node:
 *   - constants fold exactly (num.c); a fold that num.c refuses (division by
 *     zero, even root of a negative, overflow) leaves the operation symbolic;
 *   - sums are flat (a shared operand stays one term: see dag_pin), like
 *     terms collected (2x + 3x = 5x), zero terms dropped,
 *     and a common factor pulled out (2x ln(x^2) + 2x = 2x (ln(x^2) + 1));
 *   - products are flat, constants multiplied into one coefficient, equal
 *     bases collected by adding exponents (x x = x^2);
 *   - integer powers distribute over products ((2x)^-1 = x^-1/2);
 *   - operands are ordered: the constant first, then by node id.
 *
 * The domain rule: a rewrite may not make an expression defined where it was
 * not (x/x stays x/x, sqrt(x)^2 stays as it is) unless a graph fact says the
 * excluded point cannot occur (see FACT_* in dag.h and DerivScope in deriv.h); and no
 * rewrite may change a value where the expression was defined.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "range.h"
#include "rewrite.h"

static const Shape scalar = {.rank = 0};

Node *dag_num(Graph *g, Num v) { return dag_intern(g, EX_CONST, &v, NULL, 0, scalar); }

/* --- shapes: the operations here are elementwise ---------------------------
 * Arguments are scalars or tensors of one shape (lowering checks that), and
 * the result has the tensor shape.  Every rule below is an identity of real
 * numbers, so it holds element by element: x x = x^2 for a vector x too. */

static Shape broadcast_shape(Node *const *args, int n) {
    for (int i = 0; i < n; i++)
        if (args[i] && args[i]->shape.rank > 0)
            return args[i]->shape;
    return scalar;
}

static Node *intern_ew(Graph *g, NodeKind kind, const void *payload, Node *const *args, int n) {
    return dag_intern(g, kind, payload, args, n, broadcast_shape(args, n));
}

/* A FILL operand is seen as its scalar (which broadcasts the same way), so
 * that fill(0) + v is v.  Returns args, or a copy in buf (n <= cap) or on
 * the heap (*heap set). */
static int unfilled(Node *const *args, int n, Node **buf, int cap, Node ***heap, Node *const **out,
                    Shape *shape) {
    *shape = broadcast_shape(args, n);
    *heap = NULL;
    *out = args;
    int any = 0;
    for (int i = 0; i < n; i++)
        any |= args[i] && args[i]->kind == EX_FILL;
    if (!any)
        return 1;
    Node **v = buf;
    if (n > cap && !(v = *heap = malloc((size_t)n * sizeof *v)))
        return 0;
    for (int i = 0; i < n; i++)
        v[i] = args[i] && args[i]->kind == EX_FILL ? args[i]->args[0] : args[i];
    *out = v;
    return 1;
}

/* The result keeps the operands' shape when it simplified to a scalar
 * (v - v is a zero vector, not the number 0). */
static Node *reshaped(Graph *g, Node *r, Shape s) {
    if (!r || r->shape.rank == s.rank)
        return r;
    return dag_fill(g, r, s);
}

Node *dag_int(Graph *g, int64_t v) { return dag_num(g, num_int(v)); }

#define FLATTEN_MAX 8

/* May a sum or product operand be merged into its parent?  Not when it is
 * shared (its work would be repeated in every user), except for the
 * cost-free shape c*u or c + u. */
static int flattenable(const Graph *g, const Node *n, NodeKind kind) {
    if (n->kind != kind)
        return 0;
    if (n->nargs == 2 && n->args[0]->kind == EX_CONST)
        return 1;
    /* a large operand stays whole: along a chain of products (the
     * adjoints of l = c*l^2 repeated) merging would copy every earlier
     * factor into each new node, quadratic in the chain's length */
    return !dag_is_shared(g, n) && n->nargs <= FLATTEN_MAX;
}

unsigned dag_facts(const Graph *g, const Node *n) {
    unsigned f = range_facts(n->range);
    if (g->assumed && n->id < g->nassumed)
        f |= g->assumed[n->id];
    if (f & FACT_POSITIVE)
        f |= FACT_NONNEG | FACT_NONZERO;
    return f;
}


/* --- small growable arrays -------------------------------------------------- */

/* qsort for the few operands of most nodes: an insertion sort below 16
 * elements (no call per comparison through the library, no allocation).
 * Every comparator here is a total order, so the result is qsort's. */
static void sort_small(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
    unsigned char tmp[64], *b = base;
    if (n > 16 || size > sizeof tmp) {
        qsort(base, n, size, cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        if (cmp(b + (j - 1) * size, b + j * size) <= 0)
            continue;
        memcpy(tmp, b + i * size, size);
        while (j > 0 && cmp(b + (j - 1) * size, tmp) > 0) {
            memcpy(b + j * size, b + (j - 1) * size, size);
            j--;
        }
        memcpy(b + j * size, tmp, size);
    }
}

typedef struct Term {
    Node *base; /* the term or factor without its constant part; in a sum,
                   NULL while that is a product not built yet (see
                   split_coefficient): the factors of `whole` after its
                   coefficient                                          */
    Node *whole; /* sums: the term as written, coefficient included, when
                    it is what its coefficient times its base gives
                    (term_node), else NULL                              */
    Num num;    /* coefficient (sums) or exponent (products)              */
    int order;  /* position of first appearance, for a stable sort        */
    uint32_t key; /* sums: the base's id, or for a base not built yet the
                     id it would get (see lazy_keys); equal keys, equal
                     bases                                             */
} Term;

/* Most sums and products have a few operands: their terms live in the
 * vector itself (small), and only a longer list goes to the heap, so that
 * building a node costs no allocation (tv_init, tv_free). */
#define TV_SMALL 8

typedef struct TermVec {
    Term *v;
    int n, cap;
    int failed;
    Term small[TV_SMALL];
} TermVec;

static void tv_init(TermVec *tv) {
    tv->v = tv->small;
    tv->n = 0;
    tv->cap = TV_SMALL;
    tv->failed = 0;
}

static void tv_free(TermVec *tv) {
    if (tv->v != tv->small)
        free(tv->v);
}

static void tv_push(TermVec *tv, Node *base, Num num) {
    if (tv->n == tv->cap) {
        int cap = tv->cap * 2;
        Term *v = tv->v == tv->small ? malloc((size_t)cap * sizeof *v) : realloc(tv->v, (size_t)cap * sizeof *v);
        if (!v) {
            tv->failed = 1;
            return;
        }
        if (tv->v == tv->small)
            memcpy(v, tv->small, sizeof tv->small);
        tv->v = v;
        tv->cap = cap;
    }
    tv->v[tv->n].base = base;
    tv->v[tv->n].whole = NULL;
    tv->v[tv->n].num = num;
    tv->v[tv->n].order = tv->n;
    tv->v[tv->n].key = base ? base->id : 0;
    tv->n++;
}

static int term_by_key(const void *a, const void *b) {
    const Term *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->order - y->order;
}

static int term_by_base(const void *a, const void *b) {
    const Term *x = a, *y = b;
    if (x->base->id != y->base->id)
        return x->base->id < y->base->id ? -1 : 1;
    return x->order - y->order;
}

static int node_by_id(const void *a, const void *b) {
    const Node *x = *(Node *const *)a, *y = *(Node *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Interns an n-ary node: the constant (if any) first, the rest by id. */
static Node *intern_nary(Graph *g, NodeKind kind, Node *constant, Node **rest, int n) {
    if (g->failed)
        return NULL; /* some of rest may be NULL: nothing to sort */
    if (n > 1)
        sort_small(rest, (size_t)n, sizeof *rest, node_by_id);
    Node *small[TV_SMALL + 1] = {NULL};
    Node **args = n < TV_SMALL ? small : malloc(((size_t)n + 1) * sizeof *args);
    if (!args) {
        g->failed = 1;
        return NULL;
    }
    int k = 0;
    if (constant)
        args[k++] = constant;
    if (n > 0)
        memcpy(args + k, rest, (size_t)n * sizeof *rest);
    Node *r = intern_ew(g, kind, NULL, args, k + n);
    if (args != small)
        free(args);
    return r;
}

/* num * base for a term of a sum.  A product too large to flatten into
 * the coefficient (FLATTEN_MAX) is written out flat all the same, as it was
 * before its coefficient was split off: nested as num * (a1 ... an) its
 * factors would be multiplied first, which overflows where the written
 * order c a1 ... an does not (1 + prod (1 + (x + 100)/k^2) over 1000
 * factors pulls a coefficient of 1e-304 out of them). */
static Node *scaled_term(Graph *g, Num num, Node *base) {
    if (base->kind != EX_MUL || base->nargs <= FLATTEN_MAX || base->args[0]->kind == EX_CONST ||
        num_is_zero(num) || num_is_one(num))
        return dag_mul(g, dag_num(g, num), base);
    Node **args = malloc(((size_t)base->nargs + 1) * sizeof *args);
    if (!args) {
        g->failed = 1;
        return NULL;
    }
    args[0] = dag_num(g, num);
    memcpy(args + 1, base->args, (size_t)base->nargs * sizeof *args);
    Node *r = intern_ew(g, EX_MUL, NULL, args, base->nargs + 1);
    free(args);
    return r;
}

/* The constant coefficient of a product term and the rest of it.  The
 * rest of c a_1 ... a_n (n >= 2) is the product a_1 ... a_n, which is
 * only looked up here, never built: in most sums (the adjoints of a large
 * program) it is needed only to be compared with the other terms' bases
 * and taken apart again, and building it made a node per term that
 * nobody used.  *lazy is set when it does not exist yet (NULL returned):
 * the term's base is then the factors of t after its coefficient, and
 * build_sum builds it only where it is used as a node (lazy_bases). */
static Node *split_coefficient(Graph *g, Node *t, Num *coef, int *lazy) {
    *coef = num_int(1);
    *lazy = 0;
    if (dag_is_lazy(t) && t->args[0]->kind != EX_CONST) {
        *lazy = 1; /* a product not built (dag_mul_lazy): all factors */
        return NULL;
    }
    if (t->kind != EX_MUL || t->args[0]->kind != EX_CONST)
        return t;
    *coef = t->args[0]->num[0];
    if (t->nargs == 2)
        return t->args[1];
    Node *rest = dag_lookup(g, EX_MUL, NULL, t->args + 1, t->nargs - 1, broadcast_shape(t->args + 1, t->nargs - 1));
    *lazy = !rest;
    return rest;
}

/* The constant coefficient of a term as written (1 when it has none). */
static Num own_coefficient(const Node *t) {
    return t->kind == EX_MUL && t->args[0]->kind == EX_CONST ? t->args[0]->num[0] : num_int(1);
}

/* The factors of a base not built yet (Term.base NULL): the term's
 * factors after its coefficient (a term not built itself, dag_is_lazy,
 * may have none). */
static int lazy_nfactors(const Term *t) { return t->whole->nargs - (t->whole->args[0]->kind == EX_CONST); }
static Node *const *lazy_factors(const Term *t) { return t->whole->args + (t->whole->args[0]->kind == EX_CONST); }

/* Compares the factor lists of two bases not built yet (by length, then
 * by the factors' ids). */
static int lazy_compare(const Term *x, const Term *y) {
    int nx = lazy_nfactors(x), ny = lazy_nfactors(y);
    if (nx != ny)
        return nx < ny ? -1 : 1;
    for (int i = 0; i < nx; i++) {
        uint32_t ix = lazy_factors(x)[i]->id, iy = lazy_factors(y)[i]->id;
        if (ix != iy)
            return ix < iy ? -1 : 1;
    }
    return 0;
}

static int lazy_by_factors(const void *a, const void *b) {
    const Term *x = *(const Term *const *)a, *y = *(const Term *const *)b;
    int c = lazy_compare(x, y);
    return c ? c : x->order - y->order;
}

/* Keys for the bases not built yet, as if each had been built where its
 * term was split: ids after every node of the graph, in the order of first
 * appearance, one per distinct list of factors (two such bases would have
 * been one node).  Sorting the terms by key then gives the order building
 * them gave.  Returns 0 when out of memory. */
static int lazy_keys(const Graph *g, TermVec *tv, int nlazy) {
    if (nlazy == 0)
        return 1;
    Term *small[TV_SMALL];
    Term **v = nlazy <= TV_SMALL ? small : malloc((size_t)nlazy * sizeof *v);
    if (!v)
        return 0;
    int m = 0;
    for (int i = 0; i < tv->n; i++)
        if (!tv->v[i].base)
            v[m++] = &tv->v[i];
    if (m > 1)
        qsort(v, (size_t)m, sizeof *v, lazy_by_factors);
    uint32_t key = 0;
    for (int i = 0; i < m; i++) {
        /* the first of a run of equal factor lists has the least order */
        if (i == 0 || lazy_compare(v[i - 1], v[i]) != 0)
            key = (uint32_t)g->nnodes + (uint32_t)v[i]->order;
        v[i]->key = key;
    }
    if (v != small)
        free(v);
    return 1;
}

/* Builds the bases of terms t[0..n) not built yet, in key order (the order
 * the split made them in), for the rewrites that need them as nodes. */
static int lazy_bases(Graph *g, Term *t, int n) {
    for (int i = 0; i < n; i++)
        if (!t[i].base && !(t[i].base = intern_ew(g, EX_MUL, NULL, lazy_factors(&t[i]), lazy_nfactors(&t[i]))))
            return 0;
    return 1;
}

/* num times a term's base, for the sum's operands: the term as written
 * when its coefficient did not change (c a_1 ... a_n is what c times the
 * product a_1 ... a_n gives: the product is opened, being new), else
 * the product of num and the factors. */
static Node *scaled_lazy(Graph *g, Num num, Term *t) {
    Node *r;
    int nf = lazy_nfactors(t);
    Node *const *f = lazy_factors(t);
    int plain = nf <= FLATTEN_MAX;
    for (int i = 0; i < nf && plain; i++)
        plain = f[i]->kind != EX_MUL; /* cancels_with looks at the operand list */
    if (num_equal(num, own_coefficient(t->whole))) {
        r = dag_lazy_build(g, t->whole);
    } else if (nf > FLATTEN_MAX && !num_is_one(num)) {
        /* written out flat, as scaled_term does */
        Node **args = malloc(((size_t)nf + 1) * sizeof *args);
        if (!args) {
            g->failed = 1;
            return NULL;
        }
        args[0] = dag_num(g, num);
        memcpy(args + 1, f, (size_t)nf * sizeof *args);
        r = intern_ew(g, EX_MUL, NULL, args, nf + 1);
        free(args);
    } else if (plain) {
        Node *buf[FLATTEN_MAX + 1];
        buf[0] = dag_num(g, num);
        memcpy(buf + 1, f, (size_t)nf * sizeof *buf);
        r = dag_mul_n(g, buf, nf + 1);
    } else {
        return lazy_bases(g, t, 1) ? scaled_term(g, num, t->base) : NULL;
    }
    if (g->check_refusals && r) {
        /* tests: the base built, and num times it, must be that node */
        Node *base = intern_ew(g, EX_MUL, NULL, f, nf);
        g->refusals_wrong += !base || scaled_term(g, num, base) != r;
        g->refusals++;
    }
    return r;
}

/* A collected term of a sum as a node: num times its base.  When num is
 * the coefficient the term was written with, that is the term itself
 * (c u for c u, u for u: its coefficient was split off and is put back),
 * which needs no product to be simplified again; this holds for a term
 * whose base is itself or the single factor after its coefficient (where
 * the base is a longer product that existed already, it may be shared,
 * and then c times it is a product of two: built the usual way). */
static Node *term_node(Graph *g, Term *t) {
    if (!t->base)
        return scaled_lazy(g, t->num, t);
    if (!t->whole || !num_equal(t->num, own_coefficient(t->whole)))
        return scaled_term(g, t->num, t->base);
    Node *whole = dag_lazy_build(g, t->whole);
    if (g->check_refusals) {
        g->refusals_wrong += scaled_term(g, t->num, t->base) != whole;
        g->refusals++;
    }
    return whole;
}

/* A factor as base^exponent with a constant exponent (x is x^1). */
static Node *split_power(Node *f, Num *exponent) {
    if (f->kind == EX_POW && f->args[1]->kind == EX_CONST) {
        *exponent = f->args[1]->num[0];
        return f->args[0];
    }
    *exponent = num_int(1);
    return f;
}

/* The sum or product of the operands as they are, for constants that do
 * not fold (each operand built: see dag_mul_lazy). */
static Node *as_written(Graph *g, NodeKind kind, Node *const *terms, int n, Shape shape) {
    Node *small[TV_SMALL] = {NULL}; /* filled up to n: for the compiler */
    Node **t = n <= TV_SMALL ? small : malloc((size_t)n * sizeof *t);
    if (!t) {
        g->failed = 1;
        return NULL;
    }
    for (int i = 0; i < n; i++)
        t[i] = dag_lazy_build(g, terms[i]);
    Node *r = dag_intern(g, kind, NULL, t, n, shape);
    if (t != small)
        free(t);
    return r;
}

/* ===================================================================== sums */

static Node *build_sum(Graph *g, Node *const *terms, int n, int factor_out);
static Node *mul_n(Graph *g, Node *const *factors, int n, int distribute);

static Node *shaped_sum(Graph *g, Node *const *terms, int n, int factor_out) {
    Node *buf[8], **heap;
    Shape s;
    Node *const *t;
    int ok = unfilled(terms, n, buf, 8, &heap, &t, &s);
    Node *r = ok ? reshaped(g, build_sum(g, t, n, factor_out), s) : NULL;
    free(heap);
    if (!ok)
        g->failed = 1;
    return r;
}

Node *dag_add_n(Graph *g, Node *const *terms, int n) { return shaped_sum(g, terms, n, 1); }
Node *dag_add_flat(Graph *g, Node *const *terms, int n) { return shaped_sum(g, terms, n, 0); }

Node *dag_add(Graph *g, Node *a, Node *b) {
    Node *t[2] = {a, b};
    return dag_add_n(g, t, 2);
}

Node *dag_sub(Graph *g, Node *a, Node *b) { return dag_add(g, a, dag_neg(g, b)); }

/* The factors of a term as factor_out_common sees them: a product's
 * arguments, but a shared product is one factor (its operands are not
 * copied into the quotients, and a chain of shared products l_k = -p l_{k-1}
 * is not opened one level per pass, which made sums of their terms
 * quadratic in the chain's length). */
static int base_nfactors(const Graph *g, const Node *t) {
    return t->kind == EX_MUL && !dag_is_shared(g, t) ? t->nargs : 1;
}

static Node *base_factor(const Graph *g, Node *t, int j) {
    return t->kind == EX_MUL && !dag_is_shared(g, t) ? t->args[j] : t;
}

/* The same for a term of a sum, whose base may not be built yet (it would
 * be a new product, not shared: its factors). */
static int term_nfactors(const Graph *g, const Term *t) {
    return t->base ? base_nfactors(g, t->base) : lazy_nfactors(t);
}

static Node *term_factor(const Graph *g, const Term *t, int j) {
    return t->base ? base_factor(g, t->base, j) : lazy_factors(t)[j];
}

/* A factor of a term as its base (by id) and exponent, and its place. */
typedef struct BaseExp {
    uint32_t id;
    int pos;
    Node *base;
    Num e;
} BaseExp;

static int base_exp_by_id(const void *a, const void *b) {
    const BaseExp *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->pos - y->pos;
}

/* The factors of term t sorted by base, into *buf (grown as needed: on
 * the heap once past the caller's stack buffer small); their number, or
 * -1 when out of memory. */
static int sorted_bases(const Graph *g, const Term *t, BaseExp **buf, int *cap, BaseExp *small) {
    int nf = term_nfactors(g, t);
    if (nf > *cap) {
        BaseExp *p = *buf == small ? malloc((size_t)nf * sizeof *p) : realloc(*buf, (size_t)nf * sizeof *p);
        if (!p)
            return -1;
        *buf = p;
        *cap = nf;
    }
    for (int j = 0; j < nf; j++) {
        BaseExp *be = &(*buf)[j];
        be->base = split_power(term_factor(g, t, j), &be->e);
        be->id = be->base->id;
        be->pos = j;
    }
    sort_small(*buf, (size_t)nf, sizeof **buf, base_exp_by_id);
    return nf;
}

/* The bases every term has exactly once, with a non-negative integer
 * exponent (the least of them), in the order of the first term's factors,
 * at most 64.  Each term's factors are sorted once and merged with the
 * candidates, so a sum of n products of m factors costs n m log m, not
 * n m^2 (a sum of 1000 products of 1000 factors took minutes).  Returns
 * 0 when out of memory or past the work limit. */
static int common_factors(Graph *g, const Term *t, int n, Node **common, Num *common_exp, int *ncommon) {
    /* the usual term has a few factors: its buffers are on the stack */
    BaseExp cand_small[TV_SMALL], tb_small[TV_SMALL];
    unsigned char alive_small[TV_SMALL];
    int at_small[TV_SMALL];
    BaseExp *cand = cand_small, *tb = tb_small;
    int ccap = TV_SMALL, tcap = TV_SMALL, ok = 1;
    unsigned char *alive = NULL;
    int *at = NULL;
    int nc = sorted_bases(g, &t[0], &cand, &ccap, cand_small);
    uint64_t work = (uint64_t)(nc > 0 ? nc : 0);
    if (nc < 0 || !(alive = nc <= TV_SMALL ? alive_small : malloc((size_t)nc))) {
        ok = 0;
        goto done;
    }
    for (int c = 0; c < nc; c++) {
        int twice = (c > 0 && cand[c - 1].id == cand[c].id) || (c + 1 < nc && cand[c + 1].id == cand[c].id);
        alive[c] = !twice && num_is_int(cand[c].e) && !num_is_negative(cand[c].e);
    }
    for (int i = 1; i < n; i++) {
        int nt = sorted_bases(g, &t[i], &tb, &tcap, tb_small);
        if (nt < 0) {
            ok = 0;
            goto done;
        }
        work += (uint64_t)nt + (uint64_t)nc;
        int j = 0, any = 0;
        for (int c = 0; c < nc; c++) {
            if (!alive[c])
                continue;
            while (j < nt && tb[j].id < cand[c].id)
                j++;
            int k = j;
            while (k < nt && tb[k].id == cand[c].id)
                k++;
            /* in this term exactly once, with a usable exponent */
            if (k - j != 1 || !num_is_int(tb[j].e) || num_is_negative(tb[j].e)) {
                alive[c] = 0;
                continue;
            }
            if (num_compare(tb[j].e, cand[c].e) < 0)
                cand[c].e = tb[j].e;
            any = 1;
        }
        if (!any)
            break;
    }
    /* in the first term's order */
    *ncommon = 0;
    if (!(at = nc <= TV_SMALL ? at_small : malloc((size_t)nc * sizeof *at))) {
        ok = 0;
        goto done;
    }
    for (int c = 0; c < nc; c++)
        at[cand[c].pos] = c;
    for (int pos = 0; pos < nc && *ncommon < 64; pos++) {
        int c = at[pos];
        if (alive[c]) {
            common[*ncommon] = cand[c].base;
            common_exp[(*ncommon)++] = cand[c].e;
        }
    }
done:
    if (at != at_small)
        free(at);
    if (cand != cand_small)
        free(cand);
    if (tb != tb_small)
        free(tb);
    if (alive != alive_small)
        free(alive);
    if (!ok)
        g->failed = 1;
    return ok && dag_spend(g, work);
}

/* Pulls a common factor out of collected terms, if there is one:
 *   c1 t1 + c2 t2 + ... = d * f * (c1/d t1/f + c2/d t2/f + ...)
 * where d is the positive gcd of the rational coefficients and f the
 * product of the bases every term has with a positive integer exponent
 * (taking the least).  Returns NULL when there is nothing to pull out. */
static Node *factor_out_common(Graph *g, const Num *constant, Term *t, int n) {
    if (n + (constant != NULL) < 2)
        return NULL;
    Num d;
    int have_d = 1;
    d = constant ? *constant : t[0].num;
    if (!d.is_rat)
        have_d = 0;
    else
        d = num_is_negative(d) ? num_neg(d) : d;
    for (int i = 0; i < n && have_d; i++)
        if (!num_rat_gcd(d, t[i].num, &d))
            have_d = 0;
    /* pull out an integer content (2x + 4y = 2(x + 2y)) or a common
     * denominator (x/2 + y/2 = (x + y)/2), never a fraction that would
     * multiply other terms up (x/1000 + y stays) */
    if (have_d && d.q != 1) {
        int same_den = constant ? constant->is_rat && constant->q == d.q : 1;
        for (int i = 0; i < n && same_den; i++)
            same_den = t[i].num.is_rat && t[i].num.q == d.q;
        if (!same_den)
            have_d = 0;
    }
    if (have_d && num_is_one(d))
        have_d = 0;

    /* common factors: candidates are the factors of the first term; a base
     * that occurs twice in some term (x^2 * x^-1, kept apart by the domain
     * rule) is left alone */
    Node *common[64];
    Num common_exp[64];
    int ncommon = 0;
    if (!constant && !common_factors(g, t, n, common, common_exp, &ncommon))
        return NULL;
    if (!have_d && ncommon == 0)
        return NULL;

    /* the quotients t_i / (d f) */
    /* the quotients on the stack for a short sum; div has at most 66 */
    Node *q_small[TV_SMALL + 1], *div[64 + 2];
    Node **q = n <= TV_SMALL ? q_small : malloc(((size_t)n + 1) * sizeof *q);
    if (!q) {
        g->failed = 1;
        return NULL;
    }
    Num inv_d = num_int(1);
    if (have_d)
        num_pow(d, num_int(-1), &inv_d);
    int nq = 0;
    if (constant) {
        Num c;
        num_mul(*constant, inv_d, &c);
        q[nq++] = dag_num(g, c);
    }
    for (int i = 0; i < n; i++) {
        Num c;
        num_mul(t[i].num, inv_d, &c);
        /* divide the base by the common factors: add negative exponents,
         * which always cancel exactly against existing positive ones */
        const Term *bi = &t[i];
        int nf = term_nfactors(g, bi);
        Node *parts_small[TV_SMALL + 1];
        Node **parts = nf <= TV_SMALL ? parts_small : malloc(((size_t)nf + 1) * sizeof *parts);
        if (!parts) {
            g->failed = 1;
            break;
        }
        int np = 0;
        parts[np++] = dag_num(g, c);
        for (int j = 0; j < nf; j++) {
            Node *f = term_factor(g, bi, j);
            Num e;
            Node *b = split_power(f, &e);
            for (int k = 0; k < ncommon; k++)
                if (b == common[k]) {
                    Num r;
                    num_add(e, num_neg(common_exp[k]), &r);
                    e = r;
                }
            if (!num_is_zero(e))
                f = num_is_one(e) ? b : intern_ew(g, EX_POW, NULL, (Node *[]){b, dag_num(g, e)}, 2);
            else
                continue;
            parts[np++] = f;
        }
        q[nq++] = np == 1 ? parts[0] : dag_mul_n(g, parts, np);
        if (parts != parts_small)
            free(parts);
    }
    Node *inner = g->failed ? NULL : dag_add_n(g, q, nq);
    int nd = 0;
    if (have_d)
        div[nd++] = dag_num(g, d);
    for (int k = 0; k < ncommon; k++)
        div[nd++] = dag_pow(g, common[k], dag_num(g, common_exp[k]));
    div[nd++] = inner;
    Node *r = mul_n(g, div, nd, 0);
    if (q != q_small)
        free(q);
    return r;
}

/* Factors of a product term, the coefficient left out. */
static int factor_count(const Node *t) {
    if (t->kind == EX_CONST)
        return 0;
    if (t->kind != EX_MUL)
        return 1;
    return t->nargs - (t->args[0]->kind == EX_CONST);
}

/* Is u written as a negation: -v, or a sum of negated terms (-a - b)? */
static int negative_looking(const Node *u) {
    if (u->kind == EX_MUL)
        return u->args[0]->kind == EX_CONST && num_is_negative(u->args[0]->num[0]);
    if (u->kind != EX_ADD)
        return 0;
    for (int k = 0; k < u->nargs; k++)
        if (!negative_looking(u->args[k]) && !(u->args[k]->kind == EX_CONST && num_is_negative(u->args[k]->num[0])))
            return 0;
    return 1;
}

/* A factor seen as a small sum by expand_if_smaller: a sum of at most 4
 * terms, or sigmoid(-v), which is 1 - sigmoid(v) (the derivative of
 * softplus(-z) is sigmoid(-z), and y (1 - sigmoid(z)) - (1 - y)
 * sigmoid(z) is sigmoid(z) - y only with that identity). */
static int small_sum(const Node *f) {
    return (f->kind == EX_ADD && f->nargs <= 4) ||
           (f->kind == EX_CALL && f->u.fn == BI_SIGMOID && negative_looking(f->args[0]));
}

/* The terms of a small sum, into out[4]; their number. */
static int small_sum_terms(Graph *g, Node *f, Node **out) {
    if (f->kind == EX_ADD) {
        memcpy(out, f->args, (size_t)f->nargs * sizeof *out);
        return f->nargs;
    }
    out[0] = dag_int(g, 1);
    out[1] = dag_neg(g, dag_call1(g, BI_SIGMOID, dag_sub(g, dag_int(g, 0), f->args[0])));
    return 2;
}

/* The one small sum among factors f[0..n), or -1. */
static int sum_factor_in(Node *const *f, int n) {
    int found = -1;
    for (int k = 0; k < n; k++)
        if (small_sum(f[k])) {
            if (found >= 0)
                return -1;
            found = k;
        }
    return found;
}

/* The one small sum among the factors of base b, or -1. */
static int sum_factor(const Node *b) {
    if (small_sum(b))
        return -2; /* b itself */
    if (b->kind != EX_MUL)
        return -1;
    return sum_factor_in(b->args, b->nargs);
}

/* --- may an expansion collect?  (a test before building it) -----------------
 * Multiplying out builds a product for every summand of every small sum,
 * and in the adjoints of a large program the expanded terms almost never
 * collect: the terms are contributions from different users of a value.
 * Two expanded terms collect only when their products are one node, that
 * is, when the product builder collects the same bases with the same
 * exponents from both lists of factors.  So the lists are collected here,
 * as the builder would, without building anything, and compared (by a
 * hash: equal hashes count as a match).  Where the builder may do more
 * than collect (exponentials merged into one, exp(u) over a sum made a
 * sigmoid, bases with exponents of both signs cancelled, a shared product
 * opened, a sum distributed), or a summand's product would not be opened,
 * the test answers yes: it only ever spares the attempts that cannot
 * succeed, so the result is the same as building every expansion. */

typedef struct Power {
    Node *base;
    uint32_t id; /* the base's */
    Num e;
} Power;

typedef struct PowerVec {
    Power *v;
    int n, cap;
    int failed;
} PowerVec;

static void pv_push(PowerVec *pv, Node *base, Num e) {
    if (pv->n == pv->cap) {
        int cap = pv->cap ? pv->cap * 2 : 32;
        Power *v = realloc(pv->v, (size_t)cap * sizeof *v);
        if (!v) {
            pv->failed = 1;
            return;
        }
        pv->v = v;
        pv->cap = cap;
    }
    pv->v[pv->n].base = base;
    pv->v[pv->n].id = base->id;
    pv->v[pv->n].e = e;
    pv->n++;
}

/* Does a node have a factor with a negative exponent (itself, or one of
 * a product's factors)? */
static int has_negative_power(const Node *f) {
    int nf = f->kind == EX_MUL ? f->nargs : 1;
    for (int k = 0; k < nf; k++) {
        const Node *a = f->kind == EX_MUL ? f->args[k] : f;
        if (a->kind == EX_POW && a->args[1]->kind == EX_CONST && num_is_negative(a->args[1]->num[0]))
            return 1;
    }
    return 0;
}

/* Appends the factors f brings into a product, opened as build_product
 * opens them, constants left out (a constant base too: a power of one
 * may fold into the coefficient); *nexp counts exponentials, *nneg
 * negative exponents (also inside shared products and sums, where they
 * could cancel or make a sum distributed), *nshared the shared products.
 * Returns 0 when the builder may do more than collect them. */
static int product_powers(const Graph *g, Node *f, PowerVec *pv, int *nexp, int *nneg, int *nshared,
                          int depth) {
    if (f->kind == EX_CONST)
        return 1;
    if (f->kind == EX_MUL && flattenable(g, f, EX_MUL)) {
        for (int k = 0; k < f->nargs; k++)
            if (depth > 4 || !product_powers(g, f->args[k], pv, nexp, nneg, nshared, depth + 1))
                return 0;
        return 1;
    }
    if (f->kind == EX_ADD && !dag_is_shared(g, f) && negative_looking(f))
        return 0; /* -c (-a - b) is distributed */
    Num e;
    Node *b = split_power(f, &e);
    if (b->kind == EX_CONST)
        return 1;
    if (b->kind == EX_MUL) {
        /* a shared product: opened when a factor of it cancels another */
        ++*nshared;
        *nneg += has_negative_power(b);
    } else if (b->kind == EX_ADD && b->nargs <= 8) {
        /* distributed when each of its terms cancels a denominator */
        for (int k = 0; k < b->nargs; k++)
            if (has_negative_power(b->args[k]))
                return 0;
    }
    *nexp += b->kind == EX_CALL && b->u.fn == BI_EXP;
    *nneg += num_is_negative(e);
    pv_push(pv, b, e);
    return 1;
}

static int power_by_id(const void *a, const void *b) {
    const Power *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The hash of the bases and summed exponents of the product of the
 * factors f[0..n) (and of `extra`, when not NULL), as build_product would
 * collect them; 0 when it may do more (see above). */
static int collected_hash(const Graph *g, Node *const *f, int n, Node *extra, PowerVec *pv,
                          uint32_t *hash) {
    int nexp = 0, nneg = 0, nshared = 0;
    pv->n = 0;
    for (int i = 0; i < n; i++)
        if (!product_powers(g, f[i], pv, &nexp, &nneg, &nshared, 0))
            return 0;
    if (extra && !product_powers(g, extra, pv, &nexp, &nneg, &nshared, 0))
        return 0;
    if (pv->failed || nexp > 1 || ((nexp || nshared) && nneg))
        return 0;
    if (pv->n > 1)
        qsort(pv->v, (size_t)pv->n, sizeof *pv->v, power_by_id);
    /* one shared product to the first power is that product: the same
     * node as a product of its factors */
    if (pv->n == 1 && num_is_one(pv->v[0].e) && pv->v[0].base->kind == EX_MUL) {
        Node *p = pv->v[0].base;
        return collected_hash(g, p->args, p->nargs, NULL, pv, hash);
    }
    uint32_t h = 0x811C9DC5u;
    for (int i = 0; i < pv->n;) {
        Num s = pv->v[i].e;
        int neg = num_is_negative(s), pos = !neg, j = i + 1;
        for (; j < pv->n && pv->v[j].id == pv->v[i].id; j++) {
            Num r;
            neg |= num_is_negative(pv->v[j].e);
            pos |= !num_is_negative(pv->v[j].e);
            if (num_add(s, pv->v[j].e, &r) != NUM_OK)
                return 0;
            s = r;
        }
        if (neg && pos)
            return 0; /* may cancel */
        h = (h ^ pv->v[i].id) * 16777619u;
        h = (h ^ num_hash(s)) * 16777619u;
        i = j;
    }
    *hash = h ^ (uint32_t)pv->n;
    return 1;
}

static int u32_cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* 0 when no two of the terms expand_if_smaller would make can be one node
 * (or two be constants): then nothing collects and the expansion is not
 * built; 1 otherwise. */
static int expansion_may_collect(Graph *g, const Num *constant, const Term *t, int n) {
    uint32_t hashes[16 * 4];
    int nh = 0, nconst = constant != NULL, may = 0;
    PowerVec pv = {0};
    Node *small[FLATTEN_MAX + 1], **parts = small;
    for (int i = 0; i < n && !may; i++) {
        Node *b = t[i].base;
        int k = sum_factor(b);
        int nb = b->kind == EX_MUL ? b->nargs : 1;
        Node *const *bf = b->kind == EX_MUL ? b->args : &b;
        if (k == -1) { /* the term itself (a shared product is one node too) */
            may = !collected_hash(g, bf, nb, NULL, &pv, &hashes[nh]);
            nconst += !may && pv.n == 0;
            nh++;
            continue;
        }
        Node *s = k == -2 ? b : b->args[k];
        if (s->kind != EX_ADD) {
            may = 1; /* sigmoid(-v), which is 1 - sigmoid(v) */
            break;
        }
        /* the other factors of b, which each summand joins */
        int np = 0;
        if (k >= 0) {
            if (nb > FLATTEN_MAX + 1 && parts == small && !(parts = malloc((size_t)nb * sizeof *parts))) {
                may = 1;
                break;
            }
            for (int j = 0; j < nb; j++)
                if (j != k)
                    parts[np++] = bf[j];
        }
        for (int a = 0; a < s->nargs && !may; a++) {
            Node *sa = s->args[a];
            /* c * sa is made first: a product of more than FLATTEN_MAX
             * factors stays one factor */
            if (sa->kind == EX_MUL && sa->nargs >= FLATTEN_MAX) {
                may = 1;
                break;
            }
            may = !collected_hash(g, parts, np, sa, &pv, &hashes[nh]);
            nconst += !may && pv.n == 0;
            nh++;
        }
        if (parts != small) {
            free(parts);
            parts = small;
        }
    }
    free(pv.v);
    if (may || nconst >= 2)
        return 1;
    dag_spend(g, (uint64_t)nh);
    qsort(hashes, (size_t)nh, sizeof *hashes, u32_cmp);
    for (int i = 1; i < nh; i++)
        if (hashes[i] == hashes[i - 1])
            return 1;
    return 0;
}

/* Tries multiplying out the terms that have a small sum as a factor: when
 * the expanded terms cancel so that fewer factors remain, the expanded sum
 * is the simpler one (sigmoid(z)(1 - y) - y(1 - sigmoid(z)) is
 * sigmoid(z) - y).  Returns NULL when nothing gets smaller. */
static Node *expand_if_smaller(Graph *g, const Num *constant, Term *t, int n) {
    int with_sum = 0;
    for (int i = 0; i < n; i++)
        with_sum += (t[i].base ? sum_factor(t[i].base) : sum_factor_in(lazy_factors(&t[i]), lazy_nfactors(&t[i]))) != -1;
    if (with_sum < 2 || n > 16 || !lazy_bases(g, t, n))
        return NULL;
    int may = expansion_may_collect(g, constant, t, n);
    if (!may && !g->check_refusals)
        return NULL;
    Node *terms[16 * 4 + 1];
    int nt = 0, before = 0;
    if (constant)
        terms[nt++] = dag_num(g, *constant);
    for (int i = 0; i < n; i++) {
        Node *b = t[i].base;
        int k = sum_factor(b);
        before += factor_count(b) + (num_is_one(t[i].num) ? 0 : 1);
        if (k == -1) {
            terms[nt++] = dag_mul(g, dag_num(g, t[i].num), b);
            continue;
        }
        Node *summands[4];
        int ns = small_sum_terms(g, k == -2 ? b : b->args[k], summands);
        for (int a = 0; a < ns; a++) {
            Node *parts[2] = {dag_num(g, t[i].num), summands[a]};
            Node *term = dag_mul_n(g, parts, 2);
            if (k >= 0) {
                Node *f_small[TV_SMALL];
                Node **f = b->nargs <= TV_SMALL ? f_small : malloc((size_t)b->nargs * sizeof *f);
                if (!f) {
                    g->failed = 1;
                    return NULL;
                }
                for (int j = 0; j < b->nargs; j++)
                    f[j] = j == k ? term : b->args[j];
                term = dag_mul_n(g, f, b->nargs);
                if (f != f_small)
                    free(f);
            }
            terms[nt++] = term;
        }
    }
    /* judge the expansion by its collected terms, before any factoring */
    Node *r = build_sum(g, terms, nt, 0);
    if (!r)
        return NULL;
    int after = 0;
    int nr = r->kind == EX_ADD ? r->nargs : 1;
    for (int i = 0; i < nr; i++) {
        const Node *ti = r->kind == EX_ADD ? r->args[i] : r;
        after += factor_count(ti) + (ti->kind == EX_MUL && ti->args[0]->kind == EX_CONST ? 1 : 0);
    }
    /* accept only an exact cancellation: whole expanded terms vanished and
     * no more terms remain than before.  Otherwise the expanded form may
     * subtract large, nearly equal terms (1 - tanh(u)^2 times something
     * large) and lose the accuracy the factored form had. */
    int cancelled = nr + 2 <= nt - (constant != NULL) + (constant != NULL);
    if (after < before && cancelled && nr <= n + (constant != NULL)) {
        g->refusals_wrong += !may;
        return build_sum(g, terms, nt, 2);
    }
    g->refusals += !may;
    return NULL;
}

/* factor_out: 0 flat sum; 1 simplify fully; 2 as 1 but never expand
 * (used while trying an expansion) */
static Node *build_sum(Graph *g, Node *const *terms, int n, int factor_out) {
    TermVec tv;
    tv_init(&tv);
    Num constant = num_int(0);
    Node *extra_constants[4];
    int nextra = 0, nlazy = 0;
    for (int i = 0; i < n; i++)
        if (!terms[i])
            return NULL;

    /* flatten, and fold the constants; c*(a + b) inside a sum is c*a + c*b
     * (so that -(1 - x) + x collects to 2*x - 1) */
    for (int i = 0; i < n; i++) {
        Node *t = terms[i];
        Num scale = num_int(1);
        if (t->kind == EX_MUL && t->nargs == 2 && t->args[0]->kind == EX_CONST &&
            flattenable(g, t->args[1], EX_ADD)) {
            scale = t->args[0]->num[0];
            t = t->args[1];
        }
        int flat = flattenable(g, t, EX_ADD);
        int nsub = flat ? t->nargs : 1;
        for (int k = 0; k < nsub; k++) {
            Node *s = flat ? t->args[k] : t;
            if (s->kind == EX_CONST) {
                Num r, v = s->num[0];
                if (num_mul(v, scale, &v) != NUM_OK || num_add(constant, v, &r) != NUM_OK) {
                    if (nextra == 4) {
                        /* no room to keep one more apart: the sum as is,
                         * rather than a constant lost */
                        tv_free(&tv);
                        return as_written(g, EX_ADD, terms, n, scalar);
                    }
                    extra_constants[nextra++] = dag_mul(g, dag_num(g, scale), s); /* overflow */
                    continue;
                }
                constant = r;
                continue;
            }
            Num coef;
            int lazy;
            Node *base = split_coefficient(g, s, &coef, &lazy);
            if (num_mul(coef, scale, &coef) != NUM_OK) {
                tv_free(&tv);
                return as_written(g, EX_ADD, terms, n, broadcast_shape(terms, n)); /* not foldable: as is */
            }
            tv_push(&tv, base, coef);
            /* (c times a product too large to open is written out flat by
             * scaled_term: not the term as written) */
            if (!tv.failed &&
                (lazy || base == s || (s->nargs == 2 && !(base->kind == EX_MUL && base->nargs > FLATTEN_MAX))))
                tv.v[tv.n - 1].whole = s; /* see term_node */
            nlazy += lazy;
        }
    }
    if (tv.failed || !lazy_keys(g, &tv, nlazy)) {
        tv_free(&tv);
        g->failed = 1;
        return NULL;
    }
    if (!dag_spend(g, (uint64_t)n + (uint64_t)tv.n)) {
        tv_free(&tv);
        return NULL;
    }

    /* collect like terms: c1 t + c2 t = (c1 + c2) t */
    if (tv.n > 1)
        sort_small(tv.v, (size_t)tv.n, sizeof *tv.v, term_by_key);
    int m = 0;
    for (int i = 0; i < tv.n; i++) {
        if (m > 0 && tv.v[m - 1].key == tv.v[i].key) {
            Num r;
            if (num_add(tv.v[m - 1].num, tv.v[i].num, &r) == NUM_OK) {
                tv.v[m - 1].num = r;
                continue;
            }
        }
        tv.v[m++] = tv.v[i];
    }
    int kept = 0;
    for (int i = 0; i < m; i++)
        if (!num_is_zero(tv.v[i].num))
            tv.v[kept++] = tv.v[i];

    Node *result = NULL;
    int have_constant = !num_is_zero(constant);
    if (kept == 0 && nextra == 0) {
        result = dag_num(g, constant);
    } else if (kept == 1 && !have_constant && nextra == 0) {
        /* a base too large to open stays one factor of c * base */
        if (!tv.v[0].base && lazy_nfactors(&tv.v[0]) <= FLATTEN_MAX)
            result = scaled_lazy(g, tv.v[0].num, &tv.v[0]);
        else if (tv.v[0].base && tv.v[0].whole && tv.v[0].base->kind != EX_MUL &&
                 num_equal(tv.v[0].num, own_coefficient(tv.v[0].whole)))
            result = term_node(g, &tv.v[0]); /* dag_mul is scaled_term then */
        else if (lazy_bases(g, tv.v, 1))
            result = dag_mul(g, dag_num(g, tv.v[0].num), tv.v[0].base);
    } else {
        if (factor_out == 1 && nextra == 0)
            result = expand_if_smaller(g, have_constant ? &constant : NULL, tv.v, kept);
        if (!result && factor_out && nextra == 0)
            result = factor_out_common(g, have_constant ? &constant : NULL, tv.v, kept);
        if (!result && !g->failed) {
            Node *rest_small[TV_SMALL + 4];
            Node **rest = kept <= TV_SMALL ? rest_small : malloc(((size_t)kept + 4) * sizeof *rest);
            if (!rest) {
                g->failed = 1;
            } else {
                int k = 0;
                for (int i = 0; i < kept; i++)
                    rest[k++] = term_node(g, &tv.v[i]);
                for (int i = 0; i < nextra; i++)
                    rest[k++] = extra_constants[i];
                result = intern_nary(g, EX_ADD, have_constant ? dag_num(g, constant) : NULL, rest, k);
                if (rest != rest_small)
                    free(rest);
            }
        }
    }
    tv_free(&tv);
    return result;
}

/* ================================================================= products */

Node *dag_mul(Graph *g, Node *a, Node *b) {
    Node *f[2] = {a, b};
    return dag_mul_n(g, f, 2);
}

Node *dag_neg(Graph *g, Node *a) { return dag_mul(g, dag_int(g, -1), a); }

Node *dag_div(Graph *g, Node *a, Node *b) { return dag_mul(g, a, dag_pow(g, b, dag_int(g, -1))); }

/* Where b^e is defined: needs b != 0 when e < 0, b >= 0 when e is not an
 * integer. */
typedef struct Domain {
    int nonzero, nonneg;
} Domain;

static Domain exponent_domain(Num e) {
    Domain d = {num_is_negative(e), !num_is_int(e)};
    return d;
}

static Domain domain_given_facts(Domain d, unsigned facts) {
    if (facts & FACT_POSITIVE)
        d.nonzero = d.nonneg = 0;
    if (facts & FACT_NONZERO)
        d.nonzero = 0;
    if (facts & FACT_NONNEG)
        d.nonneg = 0;
    return d;
}

/* Appends b^s to out, split in two factors when a single power would be
 * defined on a larger domain than `need` (so that x * x^-1 stays x/x). */
static int emit_power(Graph *g, Node *b, Num s, Domain need, Node **out) {
    Domain have = exponent_domain(s);
    Num guard = num_int(0);
    int use_guard = 0;
    if (need.nonzero && need.nonneg && !(have.nonzero && have.nonneg)) {
        if (have.nonneg)
            guard = num_int(-1); /* positive non-integer: x^(s+1) x^-1 */
        else if (have.nonzero)
            guard = num_rat(1, 2); /* negative integer: x^(s-1/2) x^(1/2) */
        else
            guard = num_rat(-1, 2); /* nonnegative integer: x^(s+1/2) x^(-1/2) */
        use_guard = 1;
    } else if (need.nonzero && !have.nonzero) {
        guard = num_int(-1);
        use_guard = 1;
    } else if (need.nonneg && !have.nonneg) {
        guard = num_rat(1, 2);
        use_guard = 1;
    }
    Num main_exp = s;
    if (use_guard)
        num_add(s, num_neg(guard), &main_exp);
    /* an odd integer beyond 2^53 has no double: b^s is written b^(s-1) b
     * (s-1 is even, as is every double it rounds to), so that evaluators
     * and generated C, which take the exponent as a double, keep the sign
     * of a negative b */
    if (!use_guard && num_is_unrepresentable_odd(s)) {
        guard = num_int(num_is_negative(s) ? -1 : 1);
        num_add(s, num_neg(guard), &main_exp);
        use_guard = 1;
    }
    int k = 0;
    Num parts[2] = {main_exp, guard};
    for (int i = 0; i < 1 + use_guard; i++) {
        if (num_is_zero(parts[i]))
            continue;
        out[k++] = num_is_one(parts[i])
                       ? b
                       : intern_ew(g, EX_POW, NULL, (Node *[]){b, dag_num(g, parts[i])}, 2);
    }
    return k;
}

/* Does shared product p have a factor b^e that another factor b^f with
 * opposite sign would cancel?  Then p is opened up after all: the division
 * removes work (and, in sigmoid(z)^-1 * sigmoid(z) (1 - sigmoid(z)),
 * removes a 0/0 at large |z|). */
static int cancels_with(const Node *p, Node *const *factors, int n, int self) {
    if (p->kind != EX_MUL)
        return 0;
    /* opposite signs need a negative exponent on one side: most products
     * (a chain of shared adjoints, l_k of a repeat) have none, and then
     * comparing every pair of factors is work for nothing */
    int negative = has_negative_power(p);
    for (int j = 0; j < n && !negative; j++)
        negative = j != self && factors[j] && factors[j] != p && has_negative_power(factors[j]);
    if (!negative)
        return 0;
    for (int j = 0; j < n; j++) {
        if (j == self || !factors[j] || factors[j] == p)
            continue;
        const Node *fj = factors[j];
        int nj = fj->kind == EX_MUL ? fj->nargs : 1;
        for (int a = 0; a < nj; a++) {
            Num ej;
            Node *bj = split_power(fj->kind == EX_MUL ? fj->args[a] : (Node *)fj, &ej);
            for (int k = 0; k < p->nargs; k++) {
                Num ek;
                Node *bk = split_power(p->args[k], &ek);
                if (bk == bj && bk->kind != EX_CONST && num_is_negative(ek) != num_is_negative(ej))
                    return 1;
            }
        }
    }
    return 0;
}

/* Does term t have a negative power of a base that is a factor of f[]
 * (other than the one at skip) with a positive power? */
static int term_cancels(const Node *t, Node *const *f, int nf, int skip) {
    int nt = t->kind == EX_MUL ? t->nargs : 1;
    for (int a = 0; a < nt; a++) {
        Num et;
        const Node *bt = split_power(t->kind == EX_MUL ? t->args[a] : (Node *)t, &et);
        if (!num_is_negative(et) || bt->kind == EX_CONST)
            continue;
        for (int j = 0; j < nf; j++) {
            if (j == skip)
                continue;
            Num ef;
            const Node *bf = split_power(f[j], &ef);
            if (bf == bt && !num_is_negative(ef))
                return 1;
        }
    }
    return 0;
}

static Node *distribute_to_cancel(Graph *g, Num coef, Node **f, int nf) {
    for (int i = 0; i < nf; i++) {
        Node *s = f[i];
        if (s->kind != EX_ADD || s->nargs > 8)
            continue;
        int all = 1;
        for (int k = 0; k < s->nargs && all; k++)
            all = term_cancels(s->args[k], f, nf, i);
        if (!all)
            continue;
        Node *terms[8];
        Node **parts = malloc(((size_t)nf + 1) * sizeof *parts);
        if (!parts) {
            g->failed = 1;
            return NULL;
        }
        for (int k = 0; k < s->nargs; k++) {
            int np = 0;
            parts[np++] = dag_num(g, coef);
            for (int j = 0; j < nf; j++)
                parts[np++] = j == i ? s->args[k] : f[j];
            terms[k] = dag_mul_n(g, parts, np);
        }
        free(parts);
        return dag_add_n(g, terms, s->nargs);
    }
    return NULL;
}

static Node *build_product(Graph *g, Node *const *factors, int n, int distribute);
static Node *lazy_product(Graph *g, Node *constant, Node **rest, int n);

/* distribute: 0 for the product factor_out_common makes, which must not
 * be distributed back into the sum it came from (where the domain rule
 * keeps x * x^-1 apart, the two undid each other for ever); 1 otherwise;
 * MUL_LAZY added: a new product of a few factors is given unbuilt
 * (dag_mul_lazy) */
#define MUL_LAZY 2
static Node *mul_n(Graph *g, Node *const *factors, int n, int distribute) {
    Node *buf[8], **heap;
    Shape s;
    Node *const *f;
    int ok = unfilled(factors, n, buf, 8, &heap, &f, &s);
    Node *r = ok ? reshaped(g, build_product(g, f, n, distribute), s) : NULL;
    free(heap);
    if (!ok)
        g->failed = 1;
    return r;
}

Node *dag_mul_n(Graph *g, Node *const *factors, int n) { return mul_n(g, factors, n, 1); }

static int is_exp(const Node *n) { return n->kind == EX_CALL && n->u.fn == BI_EXP; }

/* Drops the terms whose base is NULL. */
static void tv_compact(TermVec *tv) {
    int m = 0;
    for (int i = 0; i < tv->n; i++)
        if (tv->v[i].base)
            tv->v[m++] = tv->v[i];
    tv->n = m;
}

/* exp(k_0 a_0 + k_1 a_1 + ...) for the terms with the flag set. */
static Node *merged_exp(Graph *g, const Term *t, int n, const unsigned char *take) {
    Node *small[TV_SMALL] = {NULL}; /* filled up to n: for the compiler */
    Node **args = n <= TV_SMALL ? small : malloc((size_t)n * sizeof *args);
    if (!args) {
        g->failed = 1;
        return NULL;
    }
    int m = 0;
    for (int i = 0; i < n; i++)
        if (take[i])
            args[m++] = dag_mul(g, dag_num(g, t[i].num), t[i].base->args[0]);
    Node *r = dag_call1(g, BI_EXP, dag_add_n(g, args, m));
    if (args != small)
        free(args);
    return r;
}

/* Stable forms of a product's factors (rewrite.h): a quotient
 * exp(u)/sum(exp(u)) is softmax(u), exp(a)/(exp(a) + exp(b)) is
 * sigmoid(a - b); and exponentials exp(a)^j exp(b)^k are exp(j a + k b),
 * finite wherever the product is (exp(a) exp(-a) is 1, not inf * 0) and
 * one exp instead of several.  A shared exponential (a value bound to a
 * name, a derivative reused) stays a factor, its value being computed
 * anyway, unless all of them together cancel to a constant.  Returns 0, or
 * -1 when the graph failed. */
static int stable_factors(Graph *g, TermVec *tv) {
    Term *t = tv->v;
    int n = tv->n, nexp = 0, nfree = 0;
    for (int i = 0; i < n; i++)
        nexp += is_exp(t[i].base);
    if (nexp == 0 || n < 2)
        return 0;
    /* the exponentials, by position: a product of many factors with a few
     * of them costs its length, not its square */
    int at_small[TV_SMALL];
    unsigned char take_small[TV_SMALL] = {0};
    int *at = nexp <= TV_SMALL ? at_small : malloc((size_t)nexp * sizeof *at);
    unsigned char *take = n <= TV_SMALL ? take_small : calloc((size_t)n, 1);
    if (!at || !take) {
        if (at != at_small)
            free(at);
        if (take != take_small)
            free(take);
        g->failed = 1;
        return -1;
    }
    for (int i = 0, k = 0; i < n; i++)
        if (is_exp(t[i].base))
            at[k++] = i;
    for (int i = 0; i < n; i++) {
        Node *den = t[i].base;
        if (!num_is_minus_one(t[i].num) || (den->kind != EX_SUM && den->kind != EX_ADD))
            continue;
        for (int k = 0; k < nexp; k++) {
            int j = at[k];
            if (!is_exp(t[j].base) || !num_is_one(t[j].num))
                continue;
            Node *r = rewrite_ratio(g, t[j].base, den);
            if (r) {
                t[j].base = r;
                t[i].base = dag_int(g, 1); /* dropped when collected */
                break;
            }
        }
    }
    nexp = 0;
    for (int i = 0; i < n; i++)
        if (is_exp(t[i].base)) {
            nexp++;
            nfree += take[i] = !dag_is_shared(g, t[i].base);
        }
    Node *r = NULL;
    if (nexp >= 2 && nfree < nexp && !g->failed) { /* all of them, if they cancel */
        for (int i = 0; i < n; i++)
            take[i] = is_exp(t[i].base);
        r = merged_exp(g, t, n, take);
        if (r && r->kind != EX_CONST) {
            r = NULL;
            for (int i = 0; i < n; i++)
                take[i] = take[i] && !dag_is_shared(g, t[i].base);
        }
    }
    if (!r && nfree >= 2 && !g->failed)
        r = merged_exp(g, t, n, take);
    if (r) {
        int first = 1;
        for (int i = 0; i < n; i++)
            if (take[i]) {
                t[i].base = first ? r : NULL;
                t[i].num = num_int(1);
                first = 0;
            }
        tv_compact(tv);
    }
    if (at != at_small)
        free(at);
    if (take != take_small)
        free(take);
    return g->failed ? -1 : 0;
}

static Node *build_product(Graph *g, Node *const *factors, int n, int distribute) {
    TermVec tv;
    tv_init(&tv);
    int nexp = 0; /* exponentials among the factors (stable_factors) */
    /* c (-a - b) = -c a - c b for c < 0: a negated sum whose terms are all
     * negated is the sum of the terms, -(-softplus(-a) - softplus(b)) is
     * softplus(-a) + softplus(b) */
    for (int i = 0; n == 2 && i < 2; i++) {
        Node *c = factors[i], *s = factors[1 - i];
        if (c && s && c->kind == EX_CONST && num_is_negative(c->num[0]) && s->kind == EX_ADD &&
            !dag_is_shared(g, s) && negative_looking(s)) {
            Node *small[TV_SMALL] = {NULL}; /* filled up to nargs: for the compiler */
            Node **terms = s->nargs <= TV_SMALL ? small : malloc((size_t)s->nargs * sizeof *terms);
            if (!terms) {
                g->failed = 1;
                return NULL;
            }
            for (int k = 0; k < s->nargs; k++)
                terms[k] = dag_mul(g, c, s->args[k]);
            Node *r = dag_add_n(g, terms, s->nargs);
            if (terms != small)
                free(terms);
            return r;
        }
    }
    Num coef = num_int(1);
    Node *odd_constants[4];
    int nodd = 0;
    for (int i = 0; i < n; i++)
        if (!factors[i])
            return NULL;

    /* flatten (nested products too, through a work stack); multiply the
     * constants into the coefficient; x * 0 = 0 */
    Node *stack_small[32];
    Node **stack = stack_small;
    int sp = 0, stack_cap = 32;
    for (int i = n; i-- > 0;)
        if (sp < stack_cap)
            stack[sp++] = factors[i];
    if (n > stack_cap) {
        stack = malloc((size_t)n * 2 * sizeof *stack);
        if (!stack) {
            g->failed = 1;
            return NULL;
        }
        stack_cap = n * 2;
        sp = 0;
        for (int i = n; i-- > 0;)
            stack[sp++] = factors[i];
    }
    while (sp > 0) {
        Node *s = stack[--sp];
        if (s->kind == EX_MUL &&
            (flattenable(g, s, EX_MUL) || cancels_with(s, factors, n, -1))) {
            if (sp + s->nargs > stack_cap) {
                int cap = (sp + s->nargs) * 2;
                Node **ns = malloc((size_t)cap * sizeof *ns);
                if (!ns) {
                    tv.failed = 1;
                    break;
                }
                memcpy(ns, stack, (size_t)sp * sizeof *ns);
                if (stack != stack_small)
                    free(stack);
                stack = ns;
                stack_cap = cap;
            }
            for (int k = s->nargs; k-- > 0;)
                stack[sp++] = s->args[k];
            continue;
        }
        if (s->kind == EX_CONST) {
            if (num_is_zero(s->num[0])) {
                tv_free(&tv);
                if (stack != stack_small)
                    free(stack);
                return dag_int(g, 0);
            }
            Num r;
            if (num_mul(coef, s->num[0], &r) == NUM_OK) {
                coef = r;
            } else if (nodd < 4) {
                odd_constants[nodd++] = s;
            } else {
                /* no room to keep one more apart: the product as is,
                 * rather than a constant lost */
                tv_free(&tv);
                if (stack != stack_small)
                    free(stack);
                return as_written(g, EX_MUL, factors, n, scalar);
            }
            continue;
        }
        Num e;
        Node *b = split_power(s, &e);
        tv_push(&tv, b, e);
        nexp += is_exp(b);
    }
    if (stack != stack_small)
        free(stack);
    if (tv.failed) {
        tv_free(&tv);
        g->failed = 1;
        return NULL;
    }
    if (!dag_spend(g, (uint64_t)n + (uint64_t)tv.n) || (nexp > 0 && stable_factors(g, &tv) != 0)) {
        tv_free(&tv);
        return NULL;
    }

    /* collect equal bases: b^e1 b^e2 = b^(e1 + e2), within the domain rule */
    if (tv.n > 1)
        sort_small(tv.v, (size_t)tv.n, sizeof *tv.v, term_by_base);
    Node *out_small[2 * TV_SMALL + 5];
    Node **out = tv.n <= TV_SMALL ? out_small : malloc(((size_t)tv.n * 2 + 5) * sizeof *out);
    if (!out) {
        tv_free(&tv);
        g->failed = 1;
        return NULL;
    }
    int nout = 0, reflatten = 0;
    for (int i = 0; i < tv.n;) {
        Node *b = tv.v[i].base;
        Num s = num_int(0);
        Domain need = {0, 0};
        int j = i, summed = 1;
        for (; j < tv.n && tv.v[j].base == b; j++) {
            Domain dj = exponent_domain(tv.v[j].num);
            need.nonzero |= dj.nonzero;
            need.nonneg |= dj.nonneg;
            Num r;
            if (num_add(s, tv.v[j].num, &r) == NUM_OK)
                s = r;
            else
                summed = 0;
        }
        if (!summed) {
            /* exponents too large to add exactly: keep the factors apart */
            for (int k = i; k < j; k++)
                out[nout++] = intern_ew(g, EX_POW, NULL, (Node *[]){b, dag_num(g, tv.v[k].num)}, 2);
            i = j;
            continue;
        }
        i = j;
        if (b->kind == EX_CONST) {
            /* c^s folds into the coefficient when exact */
            Num v, r;
            if (num_pow(b->num[0], s, &v) == NUM_OK && (!num_is_zero(v) || num_is_zero(b->num[0])) &&
                num_mul(coef, v, &r) == NUM_OK) {
                /* (a power that underflows to 0 is not folded: the other
                 * factors may be large) */
                coef = r;
                continue;
            }
            need.nonzero = need.nonneg = 0;
            if (num_is_negative(b->num[0]) || num_is_zero(b->num[0]))
                need = exponent_domain(s);
        }
        if (need.nonzero || need.nonneg) /* only then can a fact matter */
            need = domain_given_facts(need, dag_facts(g, b));
        if (num_is_zero(s) && !need.nonzero && !need.nonneg)
            continue; /* b^0 = 1 */
        int k = emit_power(g, b, s, need, out + nout);
        for (int q = 0; q < k; q++)
            if (out[nout + q] && flattenable(g, out[nout + q], EX_MUL))
                reflatten = 1;
        nout += k;
    }
    tv_free(&tv);

    /* a sum times factors that cancel a denominator in every one of its
     * terms is distributed: s(1-s)(a/(1-s) - b/s) = a s - b (1-s).  The
     * result is smaller, and free of the 0/0 the product had at s = 0. */
    if (!g->failed && !reflatten && nout >= 2 && distribute) {
        Node *r = distribute_to_cancel(g, coef, out, nout);
        if (r) {
            if (out != out_small)
                free(out);
            return r;
        }
    }

    Node *result;
    if (g->failed) {
        result = NULL;
    } else if (reflatten) {
        out[nout++] = dag_num(g, coef);
        result = dag_mul_n(g, out, nout);
    } else if (num_is_zero(coef)) {
        result = dag_int(g, 0);
    } else if (nout == 0 && nodd == 0) {
        result = dag_num(g, coef);
    } else if (nout == 1 && nodd == 0 && num_is_one(coef)) {
        result = out[0];
    } else if ((distribute & MUL_LAZY) && nodd == 0) {
        result = lazy_product(g, num_is_one(coef) ? NULL : dag_num(g, coef), out, nout);
    } else {
        for (int i = 0; i < nodd; i++)
            out[nout++] = odd_constants[i];
        result = intern_nary(g, EX_MUL, num_is_one(coef) ? NULL : dag_num(g, coef), out, nout);
    }
    if (out != out_small)
        free(out);
    return result;
}

/* ======================================================= products not built
 * Reverse mode passes adj(n) dn/da_k to argument a_k, and the sum that
 * collects a value's contributions takes most of these products apart
 * again (to collect and factor them): built as nodes, they were half of
 * the nodes reverse mode made (the logistic map's step built 6 and kept
 * 3).  dag_mul_lazy gives such a product as its operand list only, in a
 * node of its own outside the graph (dag_is_lazy), which the sum
 * constructor and the product constructor read as the product would have
 * been and build only where it is kept as it is. */

/* The product c * rest (c may be NULL), with the operand list intern_nary
 * would give it: the node when it exists, else the list in a node of its
 * own (dag_is_lazy; the caller frees it).  A list longer than a product
 * that is always opened (flattenable) is built. */
static Node *lazy_product(Graph *g, Node *constant, Node **rest, int n) {
    int k = 0;
    Node *args[FLATTEN_MAX];
    if (g->failed)
        return NULL;
    if (n + (constant != NULL) > FLATTEN_MAX)
        return intern_nary(g, EX_MUL, constant, rest, n);
    if (n > 1)
        sort_small(rest, (size_t)n, sizeof *rest, node_by_id);
    if (constant)
        args[k++] = constant;
    memcpy(args + k, rest, (size_t)n * sizeof *rest);
    k += n;
    Node *r = dag_lookup(g, EX_MUL, NULL, args, k, scalar);
    if (r)
        return r;
    static const Num not_a_constant = {0, 0, 0, 0.0};
    r = malloc(sizeof *r + (size_t)k * sizeof *args);
    if (!r) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        return NULL;
    }
    memset(r, 0, sizeof *r);
    r->id = DAG_LAZY_ID;
    r->kind = EX_MUL;
    r->nargs = k;
    r->shape = scalar;
    r->num = &not_a_constant;
    memcpy(r->args, args, (size_t)k * sizeof *args);
    r->range = range_of_node(r);
    return r;
}

Node *dag_mul_lazy(Graph *g, Node *const *factors, int n) {
    for (int i = 0; i < n; i++)
        if (!factors[i] || factors[i]->shape.rank > 0)
            return dag_mul_n(g, factors, n); /* scalars only */
    Node *r = build_product(g, factors, n, 1 | MUL_LAZY);
    if (g->check_refusals && r) {
        /* tests: the product built the usual way must be this list */
        Node *usual = build_product(g, factors, n, 1);
        g->refusals_wrong += dag_lazy_build(g, r) != usual;
        g->refusals++;
    }
    return r;
}

Node *dag_lazy_build(Graph *g, Node *n) {
    if (!n || !dag_is_lazy(n))
        return n;
    return intern_ew(g, EX_MUL, NULL, n->args, n->nargs);
}

void dag_lazy_free(Node *n) {
    if (n && dag_is_lazy(n))
        free(n);
}

/* =================================================================== powers */

/* Are the powers e of the constant factors of a product moderate numbers,
 * between 2^-64 and 2^64?  (a b)^k is only distributed then: 200^1000
 * would be an overflowing constant in a program that is finite wherever
 * (200 z)^1000 is, 200^-1000 would round to 0 and take z^-1000 with it,
 * and ((200 x)^5)^3 = 3.3e34 x^15 overflows a float kernel's intermediate
 * products (3.3e34 x^14 (1000 + y)) where the written form does not. */
static int power_folds(const Node *product, Num e) {
    for (int i = 0; i < product->nargs; i++) {
        Num r;
        const Node *f = product->args[i];
        if (f->kind != EX_CONST)
            continue;
        if (num_pow(f->num[0], e, &r) != NUM_OK)
            return 0;
        double m = fabs(num_value(r));
        if (m < 0x1p-64 || m > 0x1p64)
            return 0;
    }
    return 1;
}

static Node *build_pow(Graph *g, Node *b, Node *e);

Node *dag_pow(Graph *g, Node *b, Node *e) {
    if (!b || !e)
        return NULL;
    Node *args[2] = {b, e};
    Shape s = broadcast_shape(args, 2);
    return reshaped(g, build_pow(g, b->kind == EX_FILL ? b->args[0] : b, e->kind == EX_FILL ? e->args[0] : e), s);
}

static Node *build_pow(Graph *g, Node *b, Node *e) {
    Node *rewritten = rewrite_pow(g, b, e); /* 0^u, 1/(1 + e^-z) */
    if (rewritten || g->failed)
        return rewritten;
    if (e->kind == EX_CONST) {
        Num en = e->num[0];
        if (num_is_zero(en))
            return dag_int(g, 1); /* x^0 = 1, as pow(x, 0) = 1 for every x */
        if (num_is_one(en))
            return b;
        if (b->kind != EX_CONST && num_is_unrepresentable_odd(en)) {
            /* b^(s-1) b for an odd s beyond 2^53: see emit_power */
            Num one = num_int(num_is_negative(en) ? -1 : 1), rest;
            num_add(en, num_neg(one), &rest);
            return dag_mul(g, dag_pow(g, b, dag_num(g, one)), dag_pow(g, b, dag_num(g, rest)));
        }
        if (b->kind == EX_CONST) {
            Num r;
            if (num_pow(b->num[0], en, &r) == NUM_OK)
                return dag_num(g, r);
            return intern_ew(g, EX_POW, NULL, (Node *[]){b, e}, 2);
        }
        if (b->kind == EX_POW && b->args[1]->kind == EX_CONST) {
            /* (c^f)^e = c^(f e): for integer e, when the domain is kept;
             * for any e when c >= 0 is known (sqrt(u)^2 = u, norm2(w)^2 =
             * sum(w^2)); and (c^f)^e = |c|^(f e) = c^(f e) for an even f
             * whose f e is even ((x^4)^(1/2) = x^2: c^f >= 0 always, and
             * both sides need c != 0 exactly when e < 0) */
            Node *c = b->args[0];
            Num f = b->args[1]->num[0], fe;
            unsigned facts = dag_facts(g, c);
            if (num_mul(f, en, &fe) == NUM_OK) {
                Domain before = exponent_domain(f);
                before.nonzero |= num_is_negative(en);
                before = domain_given_facts(before, facts);
                Domain after = domain_given_facts(exponent_domain(fe), facts);
                int even = num_is_int(f) && !num_is_negative(f) && f.p % 2 == 0 && num_is_int(fe) && fe.p % 2 == 0;
                if (((num_is_int(en) || (facts & FACT_NONNEG)) && before.nonzero == after.nonzero &&
                     before.nonneg == after.nonneg) ||
                    even)
                    return dag_pow(g, c, dag_num(g, fe));
            }
        }
        if (b->kind == EX_MUL && num_is_int(en) && en.p >= -8 && en.p <= 8 && !dag_is_shared(g, b) &&
            power_folds(b, en)) {
            /* (a b)^k = a^k b^k for small integer k (unless a b is
             * shared).  Not for large k: (y z)^1000 is finite at y = -3,
             * z = -0.35, y^1000 z^1000 is inf * 0. */
            Node **f = malloc((size_t)b->nargs * sizeof *f);
            if (!f) {
                g->failed = 1;
                return NULL;
            }
            for (int i = 0; i < b->nargs; i++)
                f[i] = dag_pow(g, b->args[i], e);
            Node *r = dag_mul_n(g, f, b->nargs);
            free(f);
            return r;
        }
        if (b->kind == EX_CALL && b->u.fn == BI_EXP)
            return dag_call1(g, BI_EXP, dag_mul(g, b->args[0], e)); /* exp(u)^e = exp(u e) */
        return intern_ew(g, EX_POW, NULL, (Node *[]){b, e}, 2);
    }
    if (dag_is_num(b, 1))
        return b;
    if (b->kind == EX_CALL && b->u.fn == BI_EXP)
        return dag_call1(g, BI_EXP, dag_mul(g, b->args[0], e));
    return intern_ew(g, EX_POW, NULL, (Node *[]){b, e}, 2);
}

/* ================================================================ functions */

/* s pi/2 (s = 1 or -1): the exact values of inverse functions. */
static Node *half_pi(Graph *g, int s) { return dag_mul(g, dag_num(g, num_rat(s, 2)), dag_call(g, BI_PI, NULL, 0)); }

/* Exact values of builtins at constant arguments where they are rational. */
static Node *fold_call(Graph *g, Builtin fn, Node *const *a) {
    Num x = a[0]->num[0];
    double v = num_value(x);
    switch (fn) {
    case BI_EXP:
        return num_is_zero(x) ? dag_int(g, 1) : NULL;
    case BI_LOG:
    case BI_LOG2:
    case BI_LOG10:
        return num_is_one(x) ? dag_int(g, 0) : NULL;
    case BI_SIN:
    case BI_TAN:
    case BI_ASIN:
    case BI_ATAN:
    case BI_SINH:
    case BI_TANH:
        return num_is_zero(x) ? dag_int(g, 0) : NULL;
    case BI_COS:
    case BI_COSH:
        return num_is_zero(x) ? dag_int(g, 1) : NULL;
    case BI_ACOS:
        return num_is_one(x) ? dag_int(g, 0) : NULL;
    case BI_SIGMOID:
        return num_is_zero(x) ? dag_num(g, num_rat(1, 2)) : NULL;
    case BI_RELU:
        return v > 0 ? a[0] : dag_int(g, 0);
    case BI_ABS:
        return num_is_negative(x) ? dag_num(g, num_neg(x)) : a[0];
    case BI_SIGN:
        return dag_int(g, v > 0 ? 1 : v < 0 ? -1 : 0);
    case BI_STEP:
        return a[1]->kind == EX_CONST ? (v > 0 ? dag_int(g, 1) : v < 0 ? dag_int(g, 0) : a[1]) : NULL;
    case BI_LEAKY_RELU:
        return v >= 0 ? a[0] : a[1]->kind == EX_CONST ? dag_mul(g, a[1], a[0]) : NULL;
    case BI_MIN:
    case BI_MAX:
        if (a[1]->kind != EX_CONST)
            return NULL;
        return (num_compare(x, a[1]->num[0]) < 0) == (fn == BI_MIN) ? a[0] : a[1];
    case BI_IFPOS:
        return v > 0 ? a[1] : a[2];
    case BI_ELU:
        return v >= 0 ? a[0] : NULL;
    case BI_SEC:
    case BI_SECH:
    case BI_ERFC:
    case BI_EXP2: /* 1 at 0; exp2(k) = 2^k, exact for whole k */
        if (fn == BI_EXP2 && num_is_int(x))
            return dag_pow(g, dag_int(g, 2), a[0]);
        return num_is_zero(x) ? dag_int(g, 1) : NULL;
    case BI_ASINH:
    case BI_ATANH:
    case BI_ERF:
    case BI_EXPM1:
    case BI_LOG1P:
    case BI_GELU:
    case BI_SILU:
    case BI_MISH:
        return num_is_zero(x) ? dag_int(g, 0) : NULL;
    case BI_ACOSH:
    case BI_ASECH:
        return num_is_one(x) ? dag_int(g, 0) : NULL;
    case BI_ACOT: /* acot(0) = pi/2 */
        return num_is_zero(x) ? half_pi(g, 1) : NULL;
    case BI_ASEC: /* asec(1) = 0, asec(-1) = pi */
        return num_is_one(x) ? dag_int(g, 0) : num_is_minus_one(x) ? dag_call(g, BI_PI, NULL, 0) : NULL;
    case BI_ACSC: /* acsc(+-1) = +-pi/2 */
        return num_is_one(x) || num_is_minus_one(x) ? half_pi(g, num_is_one(x) ? 1 : -1) : NULL;
    case BI_CSC:
    case BI_COT:
    case BI_CSCH:
    case BI_COTH:
    case BI_ACSCH:
    case BI_ACOTH:
        return NULL; /* no rational value at a rational point other than a pole */
    case BI_ATAN2: { /* on the axes: atan2(0, x) = 0 or pi, atan2(y, 0) = +-pi/2;
                      * atan2(0, 0) is left to the evaluator (0, as in C) */
        if (a[1]->kind != EX_CONST)
            return NULL;
        double w = num_value(a[1]->num[0]);
        if (v == 0 && w != 0)
            return w > 0 ? dag_int(g, 0) : dag_call(g, BI_PI, NULL, 0);
        if (w == 0 && v != 0)
            return half_pi(g, v > 0 ? 1 : -1);
        return NULL;
    }
    case BI_HYPOT: { /* sqrt(a^2 + b^2) where it is rational (3, 4: 5) */
        Num a2, b2, s2, r;
        if (a[1]->kind != EX_CONST || num_mul(x, x, &a2) != NUM_OK ||
            num_mul(a[1]->num[0], a[1]->num[0], &b2) != NUM_OK || num_add(a2, b2, &s2) != NUM_OK ||
            num_pow(s2, num_rat(1, 2), &r) != NUM_OK || !r.is_rat)
            return NULL;
        return dag_num(g, r);
    }
    case BI_CBRT: { /* the cube root of a perfect cube: cbrt(-27/8) = -3/2 */
        Num r;
        if (!x.is_rat || num_pow(num_is_negative(x) ? num_neg(x) : x, num_rat(1, 3), &r) != NUM_OK || !r.is_rat)
            return NULL;
        return dag_num(g, num_is_negative(x) ? num_neg(r) : r);
    }
    case BI_LOG_BASE: { /* log_b(b^k) = k and log_b(b^(1/k)) = 1/k for whole k (log(8, 2) = 3),
                         * for a constant base b > 0, b != 1 */
        if (a[1]->kind != EX_CONST || !domain_contains(DOM_BASE, num_value(a[1]->num[0])) || !(v > 0))
            return NULL;
        if (num_is_one(x))
            return dag_int(g, 0);
        Num b = a[1]->num[0], p;
        for (int k = -64; k <= 64 && x.is_rat && b.is_rat; k++) {
            if (k != 0 && num_pow(b, num_int(k), &p) == NUM_OK && num_equal(p, x))
                return dag_int(g, k);
            if (k != 0 && num_pow(x, num_int(k), &p) == NUM_OK && num_equal(p, b))
                return dag_num(g, num_rat(1, k));
        }
        return NULL;
    }
    case BI_SOFTSIGN: { /* u/(1 + |u|), exact for a rational u */
        Num d, r;
        if (!x.is_rat || num_add(num_int(1), num_is_negative(x) ? num_neg(x) : x, &d) != NUM_OK || !d.is_rat ||
            num_pow(d, num_int(-1), &r) != NUM_OK || num_mul(x, r, &r) != NUM_OK || !r.is_rat)
            return NULL;
        return dag_num(g, r);
    }
    case BI_HARDTANH: /* u clamped to [-1, 1] */
        return v > 1 ? dag_int(g, 1) : v < -1 ? dag_int(g, -1) : a[0];
    case BI_HUBER: { /* u^2/2 or d (|u| - d/2), exact for rational u and d > 0 */
        if (a[1]->kind != EX_CONST || !x.is_rat || !a[1]->num[0].is_rat || !(num_value(a[1]->num[0]) > 0))
            return NULL;
        Num d = a[1]->num[0], m = num_is_negative(x) ? num_neg(x) : x, r, t;
        if (num_compare(m, d) <= 0) {
            if (num_mul(x, x, &r) != NUM_OK || num_mul(r, num_rat(1, 2), &r) != NUM_OK)
                return NULL;
        } else if (num_mul(d, num_rat(-1, 2), &t) != NUM_OK || num_add(m, t, &t) != NUM_OK ||
                   num_mul(d, t, &r) != NUM_OK) {
            return NULL;
        }
        return r.is_rat ? dag_num(g, r) : NULL;
    }
    case BI_SOFTPLUS:
    case BI_PI:
    case BI_COUNT:
        return NULL;
    }
    return NULL;
}

static Node *build_call(Graph *g, Builtin fn, Node *const *args, int nargs);

Node *dag_call(Graph *g, Builtin fn, Node *const *args, int nargs) {
    Node *buf[8], **heap;
    Shape s;
    Node *const *a;
    int ok = unfilled(args, nargs, buf, 8, &heap, &a, &s);
    Node *r = ok ? reshaped(g, build_call(g, fn, a, nargs), s) : NULL;
    free(heap);
    if (!ok)
        g->failed = 1;
    return r;
}

static Node *build_call(Graph *g, Builtin fn, Node *const *args, int nargs) {
    for (int i = 0; i < nargs; i++)
        if (!args[i])
            return NULL;
    if (nargs == 0) {
        int fnid = fn;
        return intern_ew(g, EX_CALL, &fnid, NULL, 0);
    }
    if (args[0]->kind == EX_CONST) {
        Node *r = fold_call(g, fn, args);
        if (r)
            return r;
    }
    Node *r = rewrite_call(g, fn, args, nargs); /* by range; stable forms */
    if (r || g->failed)
        return r;
    Node *u = args[0];
    switch (fn) {
    case BI_EXP:
        /* exp(log(u)) = u where u > 0 is known */
        if (u->kind == EX_CALL && u->u.fn == BI_LOG && (dag_facts(g, u->args[0]) & FACT_POSITIVE))
            return u->args[0];
        break;
    case BI_IFPOS:
        if (args[1] == args[2])
            return args[1];
        break;
    case BI_MIN:
    case BI_MAX:
        if (args[0] == args[1])
            return args[0];
        break;
    default:
        break;
    }
    int fnid = fn;
    return intern_ew(g, EX_CALL, &fnid, args, nargs);
}

Node *dag_call1(Graph *g, Builtin fn, Node *a) { return dag_call(g, fn, &a, 1); }
