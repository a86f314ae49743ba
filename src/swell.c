/* SPDX-License-Identifier: MIT */
/*
 * swell.c — expression swell, counted (see swell.h).
 *
 * Consumes a scalar function f (a root of the DAG), the variables to
 * differentiate by and symdiff's gradient; produces a SwellReport.  Every
 * count is a loop over node ids in ascending (topological) order, or
 * descending for the adjoint sweep; nothing recurses and no tree is ever
 * built, so functions 300000 nodes deep and counts of 10^30000 are fine.
 *
 * Tree sizes.  size(n) = 1 + sum_k size(a_k) for the arguments a_k of n
 * (dag_tree_size's definition): a node used twice is counted twice.  The
 * counts use the node vocabulary of the DAG (ops.def), in which a - b is
 * a + (-1)*b and a / b is a * b^-1, so function, naive and simplified trees
 * are measured in the same units.
 *
 * Large counts.  Sizes are exact unsigned 64-bit integers until they
 * overflow, then a double mantissa with a `long` binary exponent (Count
 * below): 53 bits of precision and no overflow, which gives log10 of the
 * naive tree of the logistic map at n = 100000 (about 10^30000) to 12
 * digits.
 *
 * Local partials.  The naive rule for a call and the operation count of
 * every AD method need the local partial dn/da_k.  Both are read off
 * deriv_partial itself, applied in a scratch graph to the same node built
 * on placeholder variables u0, u1, ... (once per builtin, argument count
 * and k; once per constant exponent for powers): its tree size, how often
 * each placeholder occurs in that tree, and the operations it costs.  So
 * there is no second table of derivative rules to keep in sync with
 * deriv.c.
 */
#include "swell.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "eval.h"
#include "gradcheck.h"
#include "plot.h"

/* Calls with more arguments than this are refused (no builtin has more
 * than 3; eval.c handles 8). */
#define MAX_ARGS 8

static const char *const row_method[SWELL_NROWS] = {
    [SWELL_FUNCTION_TREE] = "function (tree)",
    [SWELL_FUNCTION_DAG] = "function (DAG)",
    [SWELL_NAIVE_TREE] = "naive symbolic (tree)",
    [SWELL_SIMPLIFIED_TREE] = "simplified symbolic (tree)",
    [SWELL_SYMDIFF_DAG] = "symdiff (shared DAG)",
    [SWELL_SYMDIFF_TOTAL] = "symdiff (function + gradient DAG)",
    [SWELL_FUNCTION_OPS] = "function evaluation",
    [SWELL_FORWARD_AD] = "forward-mode AD",
    [SWELL_REVERSE_AD] = "reverse-mode AD",
    [SWELL_CENTRAL_DIFF] = "central differences",
};

static const char *const row_unit[SWELL_NROWS] = {
    [SWELL_FUNCTION_TREE] = "nodes", [SWELL_FUNCTION_DAG] = "nodes", [SWELL_NAIVE_TREE] = "nodes",
    [SWELL_SIMPLIFIED_TREE] = "nodes", [SWELL_SYMDIFF_DAG] = "nodes", [SWELL_SYMDIFF_TOTAL] = "nodes",
    [SWELL_FUNCTION_OPS] = "ops",      [SWELL_FORWARD_AD] = "ops",    [SWELL_REVERSE_AD] = "ops",
    [SWELL_CENTRAL_DIFF] = "evals",
};

/* Column headings of the sweep table. */
static const char *const row_short[SWELL_NROWS] = {
    [SWELL_FUNCTION_TREE] = "f tree",       [SWELL_FUNCTION_DAG] = "f DAG",
    [SWELL_NAIVE_TREE] = "naive tree",      [SWELL_SIMPLIFIED_TREE] = "simplified tree",
    [SWELL_SYMDIFF_DAG] = "grad DAG",       [SWELL_SYMDIFF_TOTAL] = "f+grad DAG",
    [SWELL_FUNCTION_OPS] = "f ops",         [SWELL_FORWARD_AD] = "forward ops",
    [SWELL_REVERSE_AD] = "reverse ops",     [SWELL_CENTRAL_DIFF] = "FD evals",
};

/* ------------------------------------------------------------------ counts */

/* A non-negative count: exactly n while it fits in 64 bits, then m * 2^e
 * with m in [0.5, 1). */
typedef struct Count {
    uint64_t n;
    double m;
    long e;
    int big;
} Count;

static Count cnt(uint64_t v) {
    Count c = {v, 0, 0, 0};
    return c;
}

static void cnt_split(Count a, double *m, long *e) {
    if (a.big) {
        *m = a.m;
        *e = a.e;
        return;
    }
    int k;
    *m = frexp((double)a.n, &k);
    *e = k;
}

static Count cnt_big(double m, long e) {
    if (m == 0)
        return cnt(0);
    Count c = {0, 0, 0, 1};
    int k;
    c.m = frexp(m, &k);
    c.e = e + k;
    return c;
}

static Count cnt_add(Count a, Count b) {
    if (!a.big && !b.big && a.n <= UINT64_MAX - b.n)
        return cnt(a.n + b.n);
    double ma, mb;
    long ea, eb;
    cnt_split(a, &ma, &ea);
    cnt_split(b, &mb, &eb);
    if (ma == 0)
        return b;
    if (mb == 0)
        return a;
    if (ea < eb) {
        double tm = ma;
        long te = ea;
        ma = mb;
        ea = eb;
        mb = tm;
        eb = te;
    }
    long d = ea - eb; /* beyond 2^-1100 the smaller term is below rounding */
    return cnt_big(ma + (d > 1100 ? 0 : ldexp(mb, -(int)d)), ea);
}

static Count cnt_scale(Count a, uint64_t k) {
    if (k == 0)
        return cnt(0);
    if (!a.big && a.n <= UINT64_MAX / k)
        return cnt(a.n * k);
    double m;
    long e;
    cnt_split(a, &m, &e);
    return cnt_big(m * (double)k, e);
}

/* The count as a double, DBL_MAX where it is larger. */
static double cnt_double(Count a) {
    if (!a.big)
        return (double)a.n;
    if (a.e > DBL_MAX_EXP)
        return DBL_MAX;
    double v = ldexp(a.m, (int)a.e);
    return isinf(v) ? DBL_MAX : v;
}

static double cnt_log10(Count a) {
    if (!a.big)
        return a.n ? log10((double)a.n) : -INFINITY;
    return log10(a.m) + (double)a.e * 0.30102999566398119521; /* log10(2) */
}

/* ---------------------------------------------- local partials, generically */

/* dn/d(args[k]) of one kind of node, built by deriv_partial on the node
 * n(u0, u1, ...) over placeholder variables in the scratch graph. */
typedef struct Partial {
    Node *expr;             /* the partial, in the scratch graph           */
    int zero, one;          /* it is the constant 0 (no term) or 1 (no
                               factor)                                      */
    int product;            /* it is a product: d(a) joins its factors      */
    uint64_t size;          /* its tree size, each placeholder one node     */
    uint64_t occ[MAX_ARGS]; /* occurrences of u_j in that tree: written out
                               with a_j for u_j, the tree has
                               size + sum_j occ_j (size(a_j) - 1) nodes     */
    uint64_t ops;           /* operations to compute it when n and its
                               arguments are known (ops_of, not counting
                               n itself)                                    */
} Partial;

typedef struct Scratch {
    Graph *g;
    Node *ph[MAX_ARGS];  /* the placeholders: variables 0 .. MAX_ARGS-1  */
    Partial *tab;
    int ntab, cap;
    /* 1 + index into tab, 0 while not built */
    int call_slot[BI_COUNT][MAX_ARGS + 1][MAX_ARGS];
    int pow_slot[2];     /* b^e with a non-constant exponent, by k         */
    int *powc_slot;      /* b^c for a constant c, by c's id in the function's
                            graph (constants are interned there)           */
    double *vals;        /* for evaluating partials                        */
    size_t vals_cap;
    DerivOptions opt;    /* the request's kink (no assumptions: the
                            placeholders are free variables)            */
} Scratch;

/* Operations to compute node n given its arguments, the cost model of
 * every "ops" count: a sum of k terms is k - 1 additions, a product of k
 * factors k - 1 multiplications, a power one call of pow, a builtin one
 * call (pi is a constant: none); constants and variables are free. */
static uint64_t ops_of(const Node *n) {
    switch ((NodeKind)n->kind) {
    case EX_ADD:
    case EX_MUL:
        return n->nargs > 1 ? (uint64_t)(n->nargs - 1) : 0;
    case EX_POW:
        return 1;
    case EX_CALL:
        return n->u.fn == BI_PI ? 0 : 1;
    case EX_CONST:
    case EX_VAR:
    CASE_TENSOR_KINDS:
    case EX_COUNT:
        break;
    }
    return 0;
}

static int scratch_init(Scratch *s, const DerivOptions *opt, size_t n0) {
    memset(s, 0, sizeof *s);
    s->g = graph_new();
    s->powc_slot = calloc(n0 ? n0 : 1, sizeof *s->powc_slot);
    if (!s->g || !s->powc_slot)
        return -1;
    s->opt.kink = opt ? opt->kink : 0.0; /* relu'(0) and ties as requested */
    Shape scalar = {.rank = 0};
    for (int j = 0; j < MAX_ARGS; j++) {
        char name[16];
        snprintf(name, sizeof name, "u%d", j);
        if (graph_add_var(s->g, name, VAR_PARAM, scalar) != j)
            return -1;
        s->ph[j] = graph_var_node(s->g, j);
    }
    return 0;
}

static void scratch_free(Scratch *s) {
    graph_free(s->g);
    free(s->tab);
    free(s->powc_slot);
    free(s->vals);
}

/* Measures the partial p of the scratch node `on` into P. */
static int partial_measure(Scratch *s, Node *on, Node *p, Partial *P) {
    Graph *sg = s->g;
    memset(P, 0, sizeof *P);
    P->expr = p;
    P->zero = dag_is_num(p, 0);
    P->one = dag_is_num(p, 1);
    P->product = p->kind == EX_MUL;
    uint64_t *paths = calloc(sg->nnodes, sizeof *paths);
    unsigned char *mark = malloc(sg->nnodes);
    if (!paths || !mark) {
        free(paths);
        free(mark);
        return -1;
    }
    /* paths[m] = number of paths from p down to m = occurrences of m in
     * p's tree; the tree size is the sum of paths over all nodes */
    paths[p->id] = 1;
    for (uint32_t id = p->id + 1; id-- > 0;) {
        if (!paths[id])
            continue;
        P->size += paths[id];
        const Node *m = sg->nodes[id];
        for (int k = 0; k < m->nargs; k++)
            paths[m->args[k]->id] += paths[id];
    }
    for (int j = 0; j < MAX_ARGS; j++)
        P->occ[j] = paths[s->ph[j]->id];
    /* the operations of the partial's DAG (shared nodes once), except n
     * itself, which the primal computed (exp' = exp, tanh' = 1 - tanh^2) */
    dag_mark_reachable(sg, &p, 1, mark);
    for (size_t id = 0; id < sg->nnodes; id++)
        if (mark[id] && id != on->id)
            P->ops += ops_of(sg->nodes[id]);
    free(paths);
    free(mark);
    return 0;
}

/* The partial dn/da_k of a POW or CALL node n of the function's graph
 * (NULL when out of memory or for a call with too many arguments).  The
 * pointer is valid until the next call. */
static const Partial *partial_get(Scratch *s, const Node *n, int k) {
    int *slot;
    if (n->kind == EX_CALL) {
        if (n->nargs > MAX_ARGS || n->u.fn < 0 || n->u.fn >= BI_COUNT)
            return NULL;
        slot = &s->call_slot[n->u.fn][n->nargs][k];
    } else if (n->kind == EX_POW && n->args[1]->kind == EX_CONST && k == 0) {
        slot = &s->powc_slot[n->args[1]->id];
    } else if (n->kind == EX_POW) {
        slot = &s->pow_slot[k];
    } else {
        return NULL;
    }
    if (*slot)
        return &s->tab[*slot - 1];

    Graph *sg = s->g;
    Shape scalar = {.rank = 0};
    Node *on;
    if (n->kind == EX_CALL) {
        int fn = n->u.fn;
        on = dag_intern(sg, EX_CALL, &fn, s->ph, n->nargs, scalar);
    } else if (slot != &s->pow_slot[k]) {
        /* b^c: the constant stays (c b^(c-1) depends on c) */
        Node *a[2] = {s->ph[0], dag_num(sg, n->args[1]->num[0])};
        on = dag_intern(sg, EX_POW, NULL, a, 2, scalar);
    } else {
        on = dag_intern(sg, EX_POW, NULL, s->ph, 2, scalar);
    }
    Node *p = on ? deriv_partial(sg, on, k, &s->opt) : NULL;
    if (!p || sg->failed)
        return NULL;
    if (s->ntab == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        Partial *t = realloc(s->tab, (size_t)cap * sizeof *t);
        if (!t)
            return NULL;
        s->tab = t;
        s->cap = cap;
    }
    if (partial_measure(s, on, p, &s->tab[s->ntab]) != 0)
        return NULL;
    *slot = ++s->ntab;
    return &s->tab[*slot - 1];
}

/* The partial's value for n's arguments' values (vals by node id). */
static double partial_value(Scratch *s, const Partial *P, const Node *n, const double *vals) {
    if (P->zero)
        return 0;
    if (P->one)
        return 1;
    if (s->vals_cap < s->g->nnodes) {
        double *v = realloc(s->vals, s->g->nnodes * sizeof *v);
        if (!v)
            return NAN;
        s->vals = v;
        s->vals_cap = s->g->nnodes;
    }
    double at[MAX_ARGS] = {0};
    for (int j = 0; j < n->nargs && j < MAX_ARGS; j++)
        at[j] = vals[n->args[j]->id];
    Node *root = P->expr;
    if (eval_nodes(s->g, &root, 1, at, s->vals) != 0)
        return NAN;
    return s->vals[root->id];
}

/* -------------------------------------------------------------- the passes */

/* The naive derivative of a node, as the textbook rules write it: nothing
 * (the derivative is 0 and the term is dropped), the constant 1 (a factor
 * that is not written), or a tree of D[id] nodes. */
enum { NAIVE_ZERO, NAIVE_ONE, NAIVE_TREE };

typedef struct Swell {
    Graph *g;
    Node *f;
    size_t n0;           /* f->id + 1: the nodes f can depend on          */
    unsigned char *mark; /* reachable from f (g->nnodes bytes)             */
    Count *T;            /* tree size of each node of f                    */
    Count *D;            /* naive derivative's tree size (NAIVE_TREE)      */
    unsigned char *dk;   /* NAIVE_*                                        */
    unsigned char *dep;  /* depends on the variable(s) of the pass         */
    uint32_t *contrib;   /* adjoint contributions received (reverse)       */
    double *val;         /* values at the point (g->nnodes)                */
    double *tan;         /* tangents (forward), adjoints (reverse)         */
    Count *tmp;          /* suffix sums of a product's factors' sizes       */
    double *ptmp;        /* suffix products of its factors' values         */
    int tmp_cap;
    Scratch s;
} Swell;

static int grow_tmp(Swell *w, int k) {
    if (k + 1 <= w->tmp_cap)
        return 0;
    int cap = k + 1 > 2 * w->tmp_cap ? k + 1 : 2 * w->tmp_cap;
    Count *t = realloc(w->tmp, (size_t)cap * sizeof *t);
    if (t)
        w->tmp = t;
    double *p = realloc(w->ptmp, (size_t)cap * sizeof *p);
    if (p)
        w->ptmp = p;
    if (!t || !p)
        return -1;
    w->tmp_cap = cap;
    return 0;
}

/* Tree sizes of every node reachable from f:
 *   T(const) = T(var) = 1,   T(n) = 1 + sum_k T(a_k). */
static void tree_sizes(Swell *w) {
    for (size_t id = 0; id < w->n0; id++) {
        if (!w->mark[id])
            continue;
        const Node *n = w->g->nodes[id];
        Count t = cnt(1);
        for (int k = 0; k < n->nargs; k++)
            t = cnt_add(t, w->T[n->args[k]->id]);
        w->T[id] = t;
    }
}

static Count naive_size(const Swell *w, uint32_t id) {
    return w->dk[id] == NAIVE_TREE ? w->D[id] : cnt(1);
}

/* A sum of the terms collected so far: nothing, the one term, or an
 * n-ary + node over them (1 + their sizes). */
typedef struct Terms {
    int n;
    Count sum;  /* sum of the terms' sizes */
    Count last; /* the last term's size    */
    int last_kind;
} Terms;

static void terms_add(Terms *t, int kind, Count size) {
    t->n++;
    t->sum = cnt_add(t->sum, size);
    t->last = size;
    t->last_kind = kind;
}

static void terms_store(Swell *w, size_t id, const Terms *t) {
    if (t->n == 0) {
        w->dk[id] = NAIVE_ZERO;
    } else if (t->n == 1) {
        w->dk[id] = (unsigned char)t->last_kind;
        w->D[id] = t->last;
    } else {
        w->dk[id] = NAIVE_TREE;
        w->D[id] = cnt_add(t->sum, cnt(1));
    }
}

/* The naive symbolic derivative by variable v, as a tree, without building
 * it.  The textbook rules, applied to f written out as a tree, with no
 * simplification and no sharing:
 *   d(c) = 0 and d(u) = 0 for other variables: the term is dropped (a sum
 *     whose terms are all dropped is 0, one term is written without +);
 *   d(v) = 1, and a factor 1 is not written (x * 1 is written x);
 *   sum rule      d(a1 + ... + ak) = d(a1) + ... + d(ak);
 *   product rule  d(f1 ... fk) = sum_i d(fi) prod_{j != i} fj: a product of
 *     k factors (k - 1 when d(fi) = 1; a single factor is written alone),
 *     constant factors staying factors (d(4 l) = 4 d(l));
 *   chain rule for powers and builtins: d(n) = sum_k dn/da_k d(a_k) with
 *     the local partial as deriv_partial writes it and the arguments
 *     written out in it: c b^(c-1) d(b) for a constant exponent c (b^1
 *     written b: d(x^2) = 2 x), e b^(e-1) d(b) + b^e ln(b) d(e) in general,
 *     cos(u) d(u) for sin(u), (1 - tanh(u)^2) d(u) for tanh(u), ...; a
 *     partial that is 0 drops its term, one that is 1 is not written.
 *     A partial that is a product is written as one product with d(a_k)
 *     (c b^(c-1) b', three factors), while a d(a_k) that is a product stays
 *     a factor of its own (cos(x^2) (2 x)), as it does in the product rule.
 * Sizes, with T the tree size and D the naive derivative's:
 *   D(sum of t >= 2 terms) = 1 + sum D(terms)
 *   product term i:  [k' >= 2] + sum_{j != i} T(f_j) + D(f_i)   (k' factors)
 *   chain term k:    [P_k not a product] + P_k + D(a_k)  where the partial
 *                    written out has P_k = P0 + sum_j m_j (T(a_j) - 1) nodes:
 *                    P0 its size on placeholders, m_j the occurrences of
 *                    u_j in it.
 * Returns 0, or -1 when a partial could not be built. */
static int naive_pass(Swell *w, int v) {
    for (size_t id = 0; id < w->n0; id++) {
        if (!w->mark[id])
            continue;
        const Node *n = w->g->nodes[id];
        Terms t = {0, cnt(0), cnt(0), NAIVE_TREE};
        switch ((NodeKind)n->kind) {
        case EX_CONST:
        CASE_TENSOR_KINDS:
        case EX_COUNT:
            break;
        case EX_VAR:
            if (n->u.var == v)
                terms_add(&t, NAIVE_ONE, cnt(1));
            break;
        case EX_ADD:
            for (int k = 0; k < n->nargs; k++) {
                uint32_t a = n->args[k]->id;
                if (w->dk[a] != NAIVE_ZERO)
                    terms_add(&t, w->dk[a], naive_size(w, a));
            }
            break;
        case EX_MUL: {
            int k = n->nargs;
            if (grow_tmp(w, k) != 0)
                return -1;
            /* tmp[i] = sum_{j >= i} T(f_j); pre = sum_{j < i} T(f_j) */
            w->tmp[k] = cnt(0);
            for (int i = k; i-- > 0;)
                w->tmp[i] = cnt_add(w->tmp[i + 1], w->T[n->args[i]->id]);
            Count pre = cnt(0);
            for (int i = 0; i < k; i++) {
                uint32_t a = n->args[i]->id;
                if (w->dk[a] != NAIVE_ZERO) {
                    int one = w->dk[a] == NAIVE_ONE;
                    int factors = (k - 1) + !one;
                    Count s = cnt_add(pre, w->tmp[i + 1]);
                    if (!one)
                        s = cnt_add(s, w->D[a]);
                    if (factors > 1)
                        s = cnt_add(s, cnt(1)); /* the * node */
                    terms_add(&t, NAIVE_TREE, s);
                }
                pre = cnt_add(pre, w->T[a]);
            }
            break;
        }
        case EX_POW:
        case EX_CALL:
            for (int k = 0; k < n->nargs; k++) {
                uint32_t a = n->args[k]->id;
                if (w->dk[a] == NAIVE_ZERO)
                    continue;
                const Partial *P = partial_get(&w->s, n, k);
                if (!P)
                    return -1;
                if (P->zero)
                    continue;
                /* P written out: P0 - sum m_j + sum m_j T(a_j) (each
                 * occurrence of a placeholder, one node, becomes a tree) */
                uint64_t leaves = 0;
                for (int j = 0; j < n->nargs; j++)
                    leaves += P->occ[j];
                Count ps = cnt(P->size - leaves);
                for (int j = 0; j < n->nargs; j++)
                    ps = cnt_add(ps, cnt_scale(w->T[n->args[j]->id], P->occ[j]));
                int one = w->dk[a] == NAIVE_ONE;
                if (P->one && one)
                    terms_add(&t, NAIVE_ONE, cnt(1));
                else if (P->one)
                    terms_add(&t, NAIVE_TREE, w->D[a]);
                else if (one)
                    terms_add(&t, NAIVE_TREE, ps);
                else /* P d(a): one more factor of P's product, or a new * */
                    terms_add(&t, NAIVE_TREE, cnt_add(cnt_add(ps, w->D[a]), cnt(!P->product)));
            }
            break;
        }
        terms_store(w, id, &t);
    }
    return 0;
}

/* Marks dep[id]: node id depends on one of the variables vars[0..nvars). */
static void mark_dependent(Swell *w, const int *vars, int nvars) {
    memset(w->dep, 0, w->n0);
    for (size_t id = 0; id < w->n0; id++) {
        if (!w->mark[id])
            continue;
        const Node *n = w->g->nodes[id];
        if (n->kind == EX_VAR) {
            for (int i = 0; i < nvars; i++)
                if (n->u.var == vars[i])
                    w->dep[id] = 1;
            continue;
        }
        for (int k = 0; k < n->nargs && !w->dep[id]; k++)
            w->dep[id] = w->dep[n->args[k]->id];
    }
}

/* The product of a product node's factors other than i, from the suffix
 * products in ptmp (ptmp[i] = prod_{j >= i} value(f_j)) and the prefix
 * product `pre`. */
static int suffix_products(Swell *w, const Node *n) {
    if (grow_tmp(w, n->nargs) != 0)
        return -1;
    w->ptmp[n->nargs] = 1;
    for (int i = n->nargs; i-- > 0;)
        w->ptmp[i] = w->ptmp[i + 1] * w->val[n->args[i]->id];
    return 0;
}

/* One forward-mode pass (dep marks the nodes that depend on its variable):
 * the tangent operations, and with values the tangents themselves.  The
 * program is the function's DAG, one instruction per node, with products
 * and sums as chains of binary operations.  For every node that depends on
 * the variable, the tangent costs
 *   sum of k terms     (number of dependent terms - 1) additions;
 *   product chain      p_j = p_{j-1} f_j for j = 2..k (p_1 = f_1):
 *                      dp_j = dp_{j-1} f_j + p_{j-1} df_j is 2 mul + 1 add
 *                      when both sides depend, 1 mul when one does;
 *   power, builtin     dn = sum_k dn/da_k da_k over dependent a_k: the
 *                      partial's own operations (Partial.ops) + 1 mul each
 *                      (none for a partial that is 1), + (terms - 1) adds.
 * The primal (ops_of every node) is evaluated alongside, once per pass.
 * Returns the tangent operations, or UINT64_MAX when out of memory. */
static uint64_t forward_pass(Swell *w, int values) {
    uint64_t ops = 0;
    for (size_t id = 0; id < w->n0; id++) {
        if (!w->mark[id] || !w->dep[id])
            continue;
        const Node *n = w->g->nodes[id];
        double d = 0;
        switch ((NodeKind)n->kind) {
        case EX_VAR:
            d = 1;
            break;
        case EX_ADD: {
            uint64_t terms = 0;
            for (int k = 0; k < n->nargs; k++)
                if (w->dep[n->args[k]->id]) {
                    terms++;
                    d += values ? w->tan[n->args[k]->id] : 0;
                }
            ops += terms - 1; /* terms >= 1: n depends */
            break;
        }
        case EX_MUL: {
            int left = w->dep[n->args[0]->id];
            for (int j = 1; j < n->nargs; j++) {
                int right = w->dep[n->args[j]->id];
                ops += left && right ? 3 : (left || right);
                left = left || right;
            }
            if (values) {
                if (suffix_products(w, n) != 0)
                    return UINT64_MAX;
                double pre = 1;
                for (int i = 0; i < n->nargs; i++) {
                    uint32_t a = n->args[i]->id;
                    if (w->dep[a])
                        d += w->tan[a] * pre * w->ptmp[i + 1];
                    pre *= w->val[a];
                }
            }
            break;
        }
        case EX_POW:
        case EX_CALL: {
            uint64_t terms = 0;
            for (int k = 0; k < n->nargs; k++) {
                uint32_t a = n->args[k]->id;
                if (!w->dep[a])
                    continue;
                const Partial *P = partial_get(&w->s, n, k);
                if (!P)
                    return UINT64_MAX;
                if (P->zero)
                    continue;
                ops += P->ops + !P->one;
                terms++;
                if (values)
                    d += partial_value(&w->s, P, n, w->val) * w->tan[a];
            }
            if (terms)
                ops += terms - 1;
            break;
        }
        case EX_CONST:
        CASE_TENSOR_KINDS:
        case EX_COUNT:
            break;
        }
        if (values)
            w->tan[id] = d;
    }
    return ops;
}

/* The reverse sweep (dep marks the nodes that depend on any variable),
 * adjoints in descending id order from adj(f) = 1 (free).  Each dependent
 * node passes a contribution to each dependent argument:
 *   sum                adj(a_k) += adj(n): no multiplication;
 *   product chain      p_j = p_{j-1} f_j: adj(f_j) = adj(p_j) p_{j-1} and
 *                      adj(p_{j-1}) = adj(p_j) f_j, 1 mul for each side
 *                      that depends (p_{j-1} is an intermediate with that
 *                      one contribution, f_1 for j = 2);
 *   power, builtin     adj(a_k) += adj(n) dn/da_k: the partial's operations
 *                      + 1 mul (none for a partial that is 1).
 * Accumulation: a node receiving c contributions costs c - 1 additions.
 * With values, tan[] holds the adjoints.  Returns the operations of the
 * sweep (without the primal), or UINT64_MAX when out of memory. */
static uint64_t reverse_pass(Swell *w, int values) {
    uint64_t ops = 0;
    memset(w->contrib, 0, w->n0 * sizeof *w->contrib);
    if (values)
        for (size_t id = 0; id < w->n0; id++)
            w->tan[id] = 0;
    w->tan[w->f->id] = 1;
    for (size_t id = w->n0; id-- > 0;) {
        if (!w->mark[id] || !w->dep[id])
            continue;
        const Node *n = w->g->nodes[id];
        double adj = values ? w->tan[id] : 0;
        switch ((NodeKind)n->kind) {
        case EX_ADD:
            for (int k = 0; k < n->nargs; k++) {
                uint32_t a = n->args[k]->id;
                if (w->dep[a]) {
                    w->contrib[a]++;
                    if (values)
                        w->tan[a] += adj;
                }
            }
            break;
        case EX_MUL: {
            int left = w->dep[n->args[0]->id];
            for (int j = 1; j < n->nargs; j++) {
                uint32_t a = n->args[j]->id;
                int right = w->dep[a];
                ops += (uint64_t)left + (uint64_t)right;
                if (right)
                    w->contrib[a]++;
                if (j == 1 && left)
                    w->contrib[n->args[0]->id]++;
                left = left || right;
            }
            if (values) {
                if (suffix_products(w, n) != 0)
                    return UINT64_MAX;
                double pre = 1;
                for (int i = 0; i < n->nargs; i++) {
                    uint32_t a = n->args[i]->id;
                    if (w->dep[a])
                        w->tan[a] += adj * pre * w->ptmp[i + 1];
                    pre *= w->val[a];
                }
            }
            break;
        }
        case EX_POW:
        case EX_CALL:
            for (int k = 0; k < n->nargs; k++) {
                uint32_t a = n->args[k]->id;
                if (!w->dep[a])
                    continue;
                const Partial *P = partial_get(&w->s, n, k);
                if (!P)
                    return UINT64_MAX;
                if (P->zero)
                    continue;
                ops += P->ops + !P->one;
                w->contrib[a]++;
                if (values)
                    w->tan[a] += adj * partial_value(&w->s, P, n, w->val);
            }
            break;
        case EX_CONST:
        case EX_VAR:
        CASE_TENSOR_KINDS:
        case EX_COUNT:
            break;
        }
    }
    for (size_t id = 0; id < w->n0; id++)
        if (w->contrib[id] > 1)
            ops += w->contrib[id] - 1;
    return ops;
}

/* dag_tree_size with Counts, so that it neither overflows nor rounds. */
static int tree_size_count(const Graph *g, Node *const *roots, int nroots, Count *out) {
    size_t top = 0;
    *out = cnt(0);
    for (int i = 0; i < nroots; i++)
        if (roots[i] && roots[i]->id + 1 > top)
            top = roots[i]->id + 1;
    unsigned char *mark = malloc(g->nnodes ? g->nnodes : 1);
    Count *size = malloc((top ? top : 1) * sizeof *size);
    if (!mark || !size) {
        free(mark);
        free(size);
        return -1;
    }
    dag_mark_reachable(g, roots, nroots, mark);
    for (size_t id = 0; id < top; id++) {
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        Count s = cnt(1);
        for (int k = 0; k < n->nargs; k++)
            s = cnt_add(s, size[n->args[k]->id]);
        size[id] = s;
    }
    for (int i = 0; i < nroots; i++)
        if (roots[i])
            *out = cnt_add(*out, size[roots[i]->id]);
    free(mark);
    free(size);
    return 0;
}

static void set_row(SwellReport *r, SwellRowId id, Count c, double value, double error) {
    SwellRow *row = &r->rows[id];
    row->method = row_method[id];
    row->unit = row_unit[id];
    row->count = cnt_double(c);
    row->log10_count = cnt_log10(c);
    row->value = value;
    row->error = error;
}

static void swell_free(Swell *w) {
    free(w->mark);
    free(w->T);
    free(w->D);
    free(w->dk);
    free(w->dep);
    free(w->contrib);
    free(w->val);
    free(w->tan);
    free(w->tmp);
    free(w->ptmp);
    scratch_free(&w->s);
}

int swell_measure(Graph *g, Node *f, const int *vars, int nvars, Node *const *grad,
                  const double *point, const DerivOptions *opt, SwellReport *out) {
    memset(out, 0, sizeof *out);
    out->nrows = SWELL_NROWS;
    for (int i = 0; i < SWELL_NROWS; i++)
        set_row(out, (SwellRowId)i, cnt(0), NAN, NAN);
    if (!g || !f || nvars < 0 || (nvars > 0 && (!vars || !grad)))
        return -1;
    for (int i = 0; i < nvars; i++)
        if (vars[i] < 0 || vars[i] >= g->nvars || !grad[i])
            return -1;
    out->nvars = nvars;
    out->has_point = point != NULL;
    if (nvars > 0)
        snprintf(out->var, sizeof out->var, "%s", g->vars[vars[0]].name);

    Swell w;
    memset(&w, 0, sizeof w);
    w.g = g;
    w.f = f;
    w.n0 = (size_t)f->id + 1;
    size_t nn = g->nnodes ? g->nnodes : 1;
    int status = -1;
    w.mark = malloc(nn);
    w.T = malloc(w.n0 * sizeof *w.T);
    w.D = malloc(w.n0 * sizeof *w.D);
    w.dk = calloc(w.n0, 1);
    w.dep = calloc(w.n0, 1);
    w.contrib = calloc(w.n0, sizeof *w.contrib);
    w.val = calloc(nn, sizeof *w.val);
    w.tan = calloc(w.n0, sizeof *w.tan);
    if (!w.mark || !w.T || !w.D || !w.dk || !w.dep || !w.contrib || !w.val || !w.tan ||
        scratch_init(&w.s, opt, nn) != 0)
        goto done;
    dag_mark_reachable(g, &f, 1, w.mark);
    if (point && eval_nodes(g, &f, 1, point, w.val) != 0)
        goto done;
    double fvalue = point ? w.val[f->id] : NAN;

    /* 1, 2: the function as a tree and as a DAG */
    tree_sizes(&w);
    uint64_t dag_nodes = 0, primal = 0;
    for (size_t id = 0; id < w.n0; id++)
        if (w.mark[id]) {
            dag_nodes++;
            primal += ops_of(g->nodes[id]);
        }
    set_row(out, SWELL_FUNCTION_TREE, w.T[f->id], fvalue, NAN);
    set_row(out, SWELL_FUNCTION_DAG, cnt(dag_nodes), fvalue, NAN);
    /* the cost of one evaluation of f: every node once */
    set_row(out, SWELL_FUNCTION_OPS, cnt(primal), fvalue, NAN);

    /* symdiff's value, the reference of every error */
    double exact = point && nvars > 0 ? eval_node(g, grad[0], point) : NAN;
    double forward_value = NAN;

    /* 3: the naive derivative, summed over the variables (a derivative
     * that is 0 or 1 is a tree of one node); 6: forward mode, one pass per
     * variable: nvars * (primal + tangent operations) */
    Count naive = cnt(0), forward = cnt(0);
    for (int i = 0; i < nvars; i++) {
        /* a pass per variable: n^2 for a product of n variables, so the
         * passes are the graph's work and bounded by its limit */
        if (!dag_spend(g, 3 * (uint64_t)w.n0) || naive_pass(&w, vars[i]) != 0)
            goto done;
        naive = cnt_add(naive, naive_size(&w, f->id));
        mark_dependent(&w, &vars[i], 1);
        uint64_t t = forward_pass(&w, point && i == 0);
        if (t == UINT64_MAX)
            goto done;
        forward = cnt_add(forward, cnt_add(cnt(primal), cnt(t)));
        if (point && i == 0)
            forward_value = w.dep[f->id] ? w.tan[f->id] : 0;
    }
    set_row(out, SWELL_NAIVE_TREE, naive, exact, point ? 0.0 : NAN);
    set_row(out, SWELL_FORWARD_AD, forward, forward_value, fabs(forward_value - exact));

    /* 7: reverse mode, one primal sweep and one adjoint sweep for all
     * variables */
    double reverse_value = NAN;
    mark_dependent(&w, vars, nvars);
    uint64_t rops = reverse_pass(&w, point != NULL);
    if (rops == UINT64_MAX)
        goto done;
    if (point && nvars > 0) {
        Node *x = graph_var_node(g, vars[0]);
        reverse_value = x->id < w.n0 && w.mark[x->id] ? w.tan[x->id] : 0;
    }
    set_row(out, SWELL_REVERSE_AD, nvars ? cnt_add(cnt(primal), cnt(rops)) : cnt(0), reverse_value,
            fabs(reverse_value - exact));

    /* 4, 5: symdiff's gradient written out, as a DAG, and together with f */
    Count simplified;
    if (tree_size_count(g, grad, nvars, &simplified) != 0)
        goto done;
    set_row(out, SWELL_SIMPLIFIED_TREE, simplified, exact, point ? 0.0 : NAN);
    set_row(out, SWELL_SYMDIFF_DAG, cnt(nvars ? dag_count(g, grad, nvars) : 0), exact,
            point ? 0.0 : NAN);
    Node **both = malloc((size_t)(nvars + 1) * sizeof *both);
    if (!both)
        goto done;
    both[0] = f;
    for (int i = 0; i < nvars; i++)
        both[i + 1] = grad[i];
    set_row(out, SWELL_SYMDIFF_TOTAL, cnt(dag_count(g, both, nvars + 1)), exact, point ? 0.0 : NAN);
    free(both);

    /* 8: central differences, (f(x + h) - f(x - h)) / 2h with
     * h = cbrt(eps) max(1, |x|): two evaluations of f per variable */
    double fd = NAN;
    if (point && nvars > 0) {
        double *at = malloc((size_t)g->nvars * sizeof *at);
        if (!at)
            goto done;
        memcpy(at, point, (size_t)g->nvars * sizeof *at);
        fd = gradcheck_central(g, f, at, vars[0]);
        free(at);
    }
    set_row(out, SWELL_CENTRAL_DIFF, cnt(2 * (uint64_t)nvars), fd, fabs(fd - exact));
    status = 0;
done:
    swell_free(&w);
    return status;
}

/* ---------------------------------------------------------------- printing */

/* log10 = log10_count >= 308.25 means the count saturated at DBL_MAX. */
static int row_saturated(const SwellRow *row) {
    return row->count >= DBL_MAX && row->log10_count > 308.25;
}

/* A count for people: the integer below `limit`, else m.mmme+EEE from the
 * logarithm (so that counts beyond DBL_MAX print too). */
static void format_count(char *buf, size_t size, const SwellRow *row, double limit) {
    if (row->count < limit && row->count == floor(row->count)) {
        snprintf(buf, size, "%.0f", row->count);
        return;
    }
    double lg = row->log10_count;
    double e = floor(lg);
    double m = pow(10, lg - e);
    if (m >= 9.9995) { /* would print as 10.000 */
        m /= 10;
        e += 1;
    }
    snprintf(buf, size, "%.3fe+%.0f", m, e);
}

static void pad(StrBuf *out, const char *s, int width, int right) {
    int len = (int)strlen(s);
    if (right)
        for (int i = len; i < width; i++)
            sb_putc(out, ' ');
    sb_puts(out, s);
    if (!right)
        for (int i = len; i < width; i++)
            sb_putc(out, ' ');
}

/* The value and error cells of row i (empty where they do not apply). */
static void format_value(char *v, size_t vsize, char *e, size_t esize, const SwellReport *r, int i) {
    const SwellRow *row = &r->rows[i];
    int fn_row = i == SWELL_FUNCTION_TREE || i == SWELL_FUNCTION_DAG || i == SWELL_FUNCTION_OPS;
    if (isnan(row->value))
        snprintf(v, vsize, "nan"); /* %g may print the sign of a NaN */
    else
        snprintf(v, vsize, "%.17g", row->value);
    if (row->error == 0)
        snprintf(e, esize, "0");
    else if (isnan(row->error))
        snprintf(e, esize, "%s", fn_row ? "" : "nan");
    else
        snprintf(e, esize, "%.1e", row->error);
}

void swell_print_table(StrBuf *out, const SwellReport *r) {
    char sizes[16][40], values[16][40], errors[16][24];
    int wm = (int)strlen("method"), ws = (int)strlen("size"), wv = (int)strlen("value");
    for (int i = 0; i < r->nrows; i++) {
        format_count(sizes[i], sizeof sizes[i], &r->rows[i], 1e15);
        format_value(values[i], sizeof values[i], errors[i], sizeof errors[i], r, i);
        int lm = (int)strlen(r->rows[i].method), ls = (int)strlen(sizes[i]);
        int lv = (int)strlen(values[i]);
        wm = lm > wm ? lm : wm;
        ws = ls > ws ? ls : ws;
        wv = lv > wv ? lv : wv;
    }
    pad(out, "method", wm, 0);
    sb_puts(out, "  ");
    pad(out, "size", ws, 1);
    if (r->has_point) {
        sb_puts(out, "  unit   ");
        pad(out, "value", wv, 0);
        sb_puts(out, "  error");
    } else {
        sb_puts(out, "  unit");
    }
    sb_putc(out, '\n');
    for (int i = 0; i < r->nrows; i++) {
        const SwellRow *row = &r->rows[i];
        pad(out, row->method, wm, 0);
        sb_puts(out, "  ");
        pad(out, sizes[i], ws, 1);
        sb_puts(out, "  ");
        if (r->has_point) {
            pad(out, row->unit, 5, 0);
            sb_puts(out, "  ");
            pad(out, values[i], wv, 0);
            sb_puts(out, "  ");
            sb_puts(out, errors[i]);
            while (out->len && out->data[out->len - 1] == ' ')
                out->data[--out->len] = '\0';
        } else {
            sb_puts(out, row->unit);
        }
        sb_putc(out, '\n');
    }
    if (r->has_point && r->nvars > 0)
        sb_printf(out,
                  "value: f at the point for the function rows, d/d%s otherwise%s; "
                  "error: |value - symdiff's value|\n",
                  r->var, r->nvars > 1 ? " (the first variable)" : "");
}

static void json_number(StrBuf *out, double v, const char *fmt) {
    if (isfinite(v))
        sb_printf(out, fmt, v);
    else
        sb_puts(out, "null");
}

static void json_string(StrBuf *out, const char *s) {
    sb_putc(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_printf(out, "\\%c", c);
        else if (c < 0x20)
            sb_printf(out, "\\u%04x", c);
        else
            sb_putc(out, (char)c);
    }
    sb_putc(out, '"');
}

static void json_rows(StrBuf *out, const SwellReport *r, const char *indent) {
    sb_puts(out, "[\n");
    for (int i = 0; i < r->nrows; i++) {
        const SwellRow *row = &r->rows[i];
        sb_printf(out, "%s  {\"method\": ", indent);
        json_string(out, row->method);
        sb_puts(out, ", ");
        json_string(out, row->unit);
        sb_puts(out, ": ");
        if (row_saturated(row))
            sb_puts(out, "null");
        else
            json_number(out, row->count, row->count < 9007199254740992.0 ? "%.0f" : "%.17g");
        sb_puts(out, ", \"log10\": ");
        json_number(out, row->log10_count, "%.10g");
        sb_puts(out, ", \"value\": ");
        json_number(out, row->value, "%.17g");
        sb_puts(out, ", \"error\": ");
        json_number(out, row->error, "%.17g");
        sb_printf(out, "}%s\n", i + 1 < r->nrows ? "," : "");
    }
    sb_printf(out, "%s]", indent);
}

void swell_print_json(StrBuf *out, const SwellReport *r) {
    json_rows(out, r, "");
    sb_putc(out, '\n');
}

void swell_print_sweep(StrBuf *out, const char *xname, const double *x, const SwellReport *reports,
                       int npoints) {
    if (npoints <= 0)
        return;
    int ncol = reports[0].nrows;
    int width[16];
    char cell[40];
    int wx = (int)strlen(xname);
    for (int p = 0; p < npoints; p++) {
        int l = snprintf(cell, sizeof cell, "%g", x[p]);
        wx = l > wx ? l : wx;
    }
    for (int c = 0; c < ncol; c++) {
        width[c] = (int)strlen(row_short[c]);
        for (int p = 0; p < npoints; p++) {
            format_count(cell, sizeof cell, &reports[p].rows[c], 1e9);
            int l = (int)strlen(cell);
            width[c] = l > width[c] ? l : width[c];
        }
    }
    pad(out, xname, wx, 1);
    for (int c = 0; c < ncol; c++) {
        sb_puts(out, "  ");
        pad(out, row_short[c], width[c], 1);
    }
    sb_putc(out, '\n');
    for (int p = 0; p < npoints; p++) {
        snprintf(cell, sizeof cell, "%g", x[p]);
        pad(out, cell, wx, 1);
        for (int c = 0; c < ncol; c++) {
            format_count(cell, sizeof cell, &reports[p].rows[c], 1e9);
            sb_puts(out, "  ");
            pad(out, cell, width[c], 1);
        }
        sb_putc(out, '\n');
    }
    sb_puts(out, "nodes: f tree .. f+grad DAG; operations: f ops, forward ops, reverse ops; "
                 "evaluations of f: FD evals\n");
}

void swell_print_sweep_json(StrBuf *out, const char *xname, const double *x,
                            const SwellReport *reports, int npoints) {
    sb_puts(out, "[\n");
    for (int p = 0; p < npoints; p++) {
        sb_puts(out, "{");
        json_string(out, xname);
        sb_puts(out, ": ");
        json_number(out, x[p], "%.17g");
        sb_puts(out, ", \"rows\": ");
        json_rows(out, &reports[p], "");
        sb_printf(out, "}%s\n", p + 1 < npoints ? "," : "");
    }
    sb_puts(out, "]\n");
}

int swell_plot_svg(StrBuf *out, const char *title, const char *xname, const double *x,
                   const SwellReport *reports, int npoints, unsigned rows) {
    return swell_plot_svg_sized(out, title, xname, x, reports, npoints, rows, 0, 0);
}

int swell_plot_svg_sized(StrBuf *out, const char *title, const char *xname, const double *x,
                         const SwellReport *reports, int npoints, unsigned rows, int width,
                         int height) {
    if (npoints <= 0 || !reports)
        return -1;
    PlotSeries series[SWELL_NROWS];
    char labels[SWELL_NROWS][64];
    double *y = malloc((size_t)SWELL_NROWS * (size_t)npoints * sizeof *y);
    if (!y)
        return -1;
    int ns = 0;
    for (int c = 0; c < SWELL_NROWS; c++) {
        if (!(rows & SWELL_ROW_BIT(c)))
            continue;
        double *col = y + (size_t)ns * (size_t)npoints;
        for (int p = 0; p < npoints; p++)
            col[p] = reports[p].rows[c].log10_count; /* -inf (a count of 0): a gap */
        snprintf(labels[ns], sizeof labels[ns], "%s (%s)", row_method[c], row_unit[c]);
        series[ns].label = labels[ns];
        series[ns].y = col;
        ns++;
    }
    int status = plot_svg_sized(out, title, xname, "nodes or operations (log scale)", x, npoints,
                                series, ns, width, height);
    free(y);
    return status;
}
