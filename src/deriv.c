/*
 * deriv.c — forward and reverse symbolic differentiation (see deriv.h).
 *
 * Consumes a function's DAG, produces derivative nodes in the same graph.
 * Every rule is a local partial derivative dn/da_k (deriv_partial); the
 * engines differ only in the order they combine them:
 *   forward:  d(n)     = sum_k  dn/da_k * d(a_k)      (ids ascending)
 *   reverse:  adj(a_k) += adj(n) * dn/da_k            (ids descending)
 * Values that are reused (a derivative or an adjoint feeds every user of its
 * node) are pinned, so the simplifier keeps them shared instead of copying
 * their factors into each use: the result stays a small constant times the
 * function.
 */
#include "deriv.h"

#include <stdlib.h>
#include <string.h>

/* The derivative of a kink at its corner (relu'(0), ties of max/min). */
static Node *kink_value(Graph *g) { return dag_num(g, num_double(g->kink)); }

static Node *step_at(Graph *g, Node *u, Node *at_zero) {
    Node *a[2] = {u, at_zero};
    return dag_call(g, BI_STEP, a, 2);
}

/* Product of all arguments of a product except the k-th. */
static Node *product_except(Graph *g, Node *n, int k) {
    Node **f = malloc((size_t)n->nargs * sizeof *f);
    if (!f) {
        g->failed = 1;
        return NULL;
    }
    int m = 0;
    for (int i = 0; i < n->nargs; i++)
        if (i != k)
            f[m++] = n->args[i];
    Node *r = dag_mul_n(g, f, m);
    free(f);
    return r;
}

static Node *call_partial(Graph *g, Node *n, int k) {
    Node *u = n->args[0];
    Node *one = dag_int(g, 1);
    switch ((Builtin)n->u.fn) {
    case BI_PI:
        return dag_int(g, 0);
    case BI_EXP: /* d exp(u) = exp(u) du */
        return n;
    case BI_LOG: /* d ln(u) = du / u */
        return dag_pow(g, u, dag_int(g, -1));
    case BI_LOG2: /* d log2(u) = du / (u ln 2) */
        return dag_pow(g, dag_mul(g, u, dag_call1(g, BI_LOG, dag_int(g, 2))), dag_int(g, -1));
    case BI_LOG10: /* d log10(u) = du / (u ln 10) */
        return dag_pow(g, dag_mul(g, u, dag_call1(g, BI_LOG, dag_int(g, 10))), dag_int(g, -1));
    case BI_SIN: /* d sin(u) = cos(u) du */
        return dag_call1(g, BI_COS, u);
    case BI_COS: /* d cos(u) = -sin(u) du */
        return dag_neg(g, dag_call1(g, BI_SIN, u));
    case BI_TAN: /* d tan(u) = (1 + tan(u)^2) du */
        return dag_add(g, one, dag_pow(g, n, dag_int(g, 2)));
    case BI_ASIN: /* d asin(u) = du / sqrt(1 - u^2) */
        return dag_pow(g, dag_sub(g, one, dag_pow(g, u, dag_int(g, 2))), dag_num(g, num_rat(-1, 2)));
    case BI_ACOS: /* d acos(u) = -du / sqrt(1 - u^2) */
        return dag_neg(g, dag_pow(g, dag_sub(g, one, dag_pow(g, u, dag_int(g, 2))),
                                  dag_num(g, num_rat(-1, 2))));
    case BI_ATAN: /* d atan(u) = du / (1 + u^2) */
        return dag_pow(g, dag_add(g, one, dag_pow(g, u, dag_int(g, 2))), dag_int(g, -1));
    case BI_SINH: /* d sinh(u) = cosh(u) du */
        return dag_call1(g, BI_COSH, u);
    case BI_COSH: /* d cosh(u) = sinh(u) du */
        return dag_call1(g, BI_SINH, u);
    case BI_TANH: /* d tanh(u) = (1 - tanh(u)^2) du */
        return dag_sub(g, one, dag_pow(g, n, dag_int(g, 2)));
    case BI_SIGMOID: /* d sigmoid(u) = sigmoid(u) (1 - sigmoid(u)) du */
        return dag_mul(g, n, dag_sub(g, one, n));
    case BI_SOFTPLUS: /* d log(1 + e^u) = sigmoid(u) du */
        return dag_call1(g, BI_SIGMOID, u);
    case BI_RELU: /* d relu(u) = step(u) du, relu'(0) = kink */
        return step_at(g, u, kink_value(g));
    case BI_LEAKY_RELU:
        if (k == 0) /* d leaky_relu(u, a) = (a + (1 - a) step(u)) du */
            return dag_add(g, n->args[1],
                           dag_mul(g, dag_sub(g, one, n->args[1]), step_at(g, u, kink_value(g))));
        /* d/da leaky_relu(u, a) = min(u, 0) */
        return dag_call(g, BI_MIN, (Node *[]){u, dag_int(g, 0)}, 2);
    case BI_ELU:
        if (k == 0) /* d elu(u, a) = 1 for u > 0, elu(u, a) + a otherwise */
            return dag_call(g, BI_IFPOS, (Node *[]){u, one, dag_add(g, n, n->args[1])}, 3);
        /* d/da elu(u, a) = e^u - 1 for u <= 0 */
        return dag_call(g, BI_IFPOS,
                        (Node *[]){u, dag_int(g, 0), dag_sub(g, dag_call1(g, BI_EXP, u), one)}, 3);
    case BI_ABS: /* d |u| = sign(u) du, abs'(0) = 0 */
        return dag_call1(g, BI_SIGN, u);
    case BI_SIGN: /* piecewise constant: derivative 0 (and 0 at the jump) */
    case BI_STEP:
        return dag_int(g, 0);
    case BI_MAX: /* d max(a, b) = step(a - b) da + step(b - a) db; ties: kink */
        return step_at(g, k == 0 ? dag_sub(g, n->args[0], n->args[1]) : dag_sub(g, n->args[1], n->args[0]),
                       kink_value(g));
    case BI_MIN: /* d min(a, b) = step(b - a) da + step(a - b) db; ties: kink */
        return step_at(g, k == 0 ? dag_sub(g, n->args[1], n->args[0]) : dag_sub(g, n->args[0], n->args[1]),
                       kink_value(g));
    case BI_IFPOS: /* d ifpos(c, a, b) = step(c) da + step(-c, 1) db */
        if (k == 0)
            return dag_int(g, 0);
        if (k == 1)
            return step_at(g, u, dag_int(g, 0));
        return step_at(g, dag_neg(g, u), one);
    case BI_COUNT:
        break;
    }
    return dag_int(g, 0);
}

Node *deriv_partial(Graph *g, Node *n, int k) {
    switch ((NodeKind)n->kind) {
    case EX_ADD: /* d(a + b) = da + db */
        return dag_int(g, 1);
    case EX_MUL: /* d(a b c) = da b c + a db c + a b dc */
        return product_except(g, n, k);
    case EX_POW: {
        Node *b = n->args[0], *e = n->args[1];
        if (k == 0) /* d(b^e)/db = e b^(e-1): no logarithm, so b < 0 is fine */
            return dag_mul(g, e, dag_pow(g, b, dag_sub(g, e, dag_int(g, 1))));
        /* d(b^e)/de = b^e ln(b) */
        return dag_mul(g, n, dag_call1(g, BI_LOG, b));
    }
    case EX_CALL:
        return call_partial(g, n, k);
    case EX_CONST:
    case EX_VAR:
    case EX_COUNT:
        break;
    }
    return dag_int(g, 0);
}

/* ------------------------------------------------------------------ forward */

int deriv_forward_many(Graph *g, Node *const *roots, int nroots, int var, Node **out) {
    size_t n0 = g->nnodes;
    Node **d = calloc(n0 ? n0 : 1, sizeof *d); /* NULL means zero */
    unsigned char *mark = malloc(n0 ? n0 : 1);
    Node **terms = NULL;
    unsigned *users = NULL;
    int terms_cap = 0, status = 0;
    if (!d || !mark) {
        g->failed = 1;
        status = -1;
        goto done;
    }
    dag_mark_reachable(g, roots, nroots, mark);
    /* users of each node within the function: a derivative feeding two or
     * more users is shared */
    users = calloc(n0 ? n0 : 1, sizeof *users);
    if (!users) {
        g->failed = 1;
        status = -1;
        goto done;
    }
    for (size_t id = 0; id < n0; id++)
        if (mark[id])
            for (int k = 0; k < g->nodes[id]->nargs; k++)
                users[g->nodes[id]->args[k]->id]++;
    Node *x = graph_var_node(g, var);
    if (x && x->id < n0)
        d[x->id] = dag_int(g, 1);
    for (size_t id = 0; id < n0 && !g->failed; id++) {
        Node *n = g->nodes[id];
        if (!mark[id] || n->kind == EX_VAR || n->kind == EX_CONST)
            continue;
        int nt = 0;
        for (int k = 0; k < n->nargs; k++) {
            Node *da = d[n->args[k]->id];
            if (!da)
                continue;
            if (nt == terms_cap) {
                terms_cap = terms_cap ? terms_cap * 2 : 16;
                Node **t = realloc(terms, (size_t)terms_cap * sizeof *t);
                if (!t) {
                    g->failed = 1;
                    break;
                }
                terms = t;
            }
            terms[nt++] = dag_mul(g, deriv_partial(g, n, k), da);
        }
        if (nt == 0)
            continue;
        Node *dn = dag_add_n(g, terms, nt);
        if (dn && !dag_is_num(dn, 0)) {
            d[id] = dn;
            if (users[id] >= 2)
                dag_pin(g, dn); /* reused by every user of n */
        }
    }
    for (int i = 0; i < nroots; i++)
        out[i] = g->failed ? NULL : (roots[i] && d[roots[i]->id] ? d[roots[i]->id] : dag_int(g, 0));
    if (g->failed)
        status = -1;
done:
    free(d);
    free(mark);
    free(terms);
    free(users);
    return status;
}

Node *deriv_forward(Graph *g, Node *root, int var) {
    Node *out = NULL;
    if (deriv_forward_many(g, &root, 1, var, &out) != 0)
        return NULL;
    return out;
}

/* ------------------------------------------------------------------ reverse */

typedef struct Contrib {
    Node *value;
    int next;
} Contrib;

int deriv_reverse(Graph *g, Node *root, const int *vars, int nvars, Node **out) {
    size_t n0 = g->nnodes;
    unsigned char *mark = malloc(n0 ? n0 : 1);
    unsigned char *dep = calloc(n0 ? n0 : 1, 1);
    int *head = malloc((n0 ? n0 : 1) * sizeof *head);
    Node **adj = calloc(n0 ? n0 : 1, sizeof *adj);
    Contrib *pool = NULL;
    Node **terms = NULL;
    int pool_n = 0, pool_cap = 0, terms_cap = 0, status = 0;
    if (!mark || !dep || !head || !adj || !root) {
        g->failed = 1;
        status = -1;
        goto done;
    }
    dag_mark_reachable(g, &root, 1, mark);
    /* which nodes depend on a variable we differentiate by */
    for (int i = 0; i < nvars; i++) {
        Node *x = graph_var_node(g, vars[i]);
        if (x && x->id < n0)
            dep[x->id] = 1;
    }
    for (size_t id = 0; id < n0; id++) {
        head[id] = -1;
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        for (int k = 0; k < n->nargs && !dep[id]; k++)
            dep[id] = dep[n->args[k]->id];
    }

#define PUSH(target, val)                                                                          \
    do {                                                                                           \
        if (pool_n == pool_cap) {                                                                  \
            pool_cap = pool_cap ? pool_cap * 2 : 256;                                              \
            Contrib *p_ = realloc(pool, (size_t)pool_cap * sizeof *p_);                            \
            if (!p_) {                                                                             \
                g->failed = 1;                                                                     \
                break;                                                                             \
            }                                                                                      \
            pool = p_;                                                                             \
        }                                                                                          \
        pool[pool_n].value = (val);                                                                \
        pool[pool_n].next = head[(target)];                                                        \
        head[(target)] = pool_n++;                                                                 \
    } while (0)

    if (dep[root->id])
        PUSH(root->id, dag_int(g, 1));
    for (size_t id = root->id + 1; id-- > 0 && !g->failed;) {
        if (!mark[id] || !dep[id] || head[id] < 0)
            continue;
        /* adj(n) = the sum of what every user of n contributed */
        int nt = 0;
        for (int c = head[id]; c >= 0; c = pool[c].next) {
            if (nt == terms_cap) {
                terms_cap = terms_cap ? terms_cap * 2 : 16;
                Node **t = realloc(terms, (size_t)terms_cap * sizeof *t);
                if (!t) {
                    g->failed = 1;
                    break;
                }
                terms = t;
            }
            terms[nt++] = pool[c].value;
        }
        Node *a = nt == 1 ? terms[0] : dag_add_n(g, terms, nt);
        if (!a || dag_is_num(a, 0))
            continue;
        adj[id] = a;
        Node *n = g->nodes[id];
        int ndep = 0;
        for (int k = 0; k < n->nargs; k++)
            ndep += dep[n->args[k]->id];
        if (ndep >= 2)
            dag_pin(g, a); /* reused by every argument's contribution */
        for (int k = 0; k < n->nargs; k++) {
            Node *arg = n->args[k];
            if (dep[arg->id])
                PUSH(arg->id, dag_mul(g, a, deriv_partial(g, n, k)));
        }
    }
#undef PUSH
    for (int i = 0; i < nvars; i++) {
        Node *x = graph_var_node(g, vars[i]);
        out[i] = g->failed ? NULL : (x && x->id < n0 && adj[x->id] ? adj[x->id] : dag_int(g, 0));
    }
    if (g->failed)
        status = -1;
done:
    free(mark);
    free(dep);
    free(head);
    free(adj);
    free(pool);
    free(terms);
    return status;
}

/* ------------------------------------------------------------------- choice */

int deriv_gradient(Graph *g, Node *root, const int *vars, int nvars, DerivMode mode, Node **out,
                   DerivMode *used) {
    Node **fwd = NULL, **rev = NULL;
    int status = 0;
    if (mode != DERIV_FORWARD) {
        rev = malloc((size_t)(nvars ? nvars : 1) * sizeof *rev);
        if (!rev || deriv_reverse(g, root, vars, nvars, rev) != 0)
            status = -1;
    }
    /* forward mode costs one pass per variable: only worth trying for few
     * variables, and for functions small enough that building both is cheap
     * (beyond that the reverse result, one pass, is kept) */
    if (status == 0 && mode == DERIV_AUTO && nvars <= 8) {
        size_t size = dag_count(g, &root, 1);
        if (size == SIZE_MAX)
            status = -1; /* out of memory: no choice made on a wrong count */
        else if (size > DERIV_AUTO_LIMIT)
            mode = DERIV_REVERSE;
    }
    if (status == 0 && (mode == DERIV_FORWARD || (mode == DERIV_AUTO && nvars <= 8))) {
        fwd = malloc((size_t)(nvars ? nvars : 1) * sizeof *fwd);
        if (!fwd)
            status = -1;
        for (int i = 0; status == 0 && i < nvars; i++)
            if (!(fwd[i] = deriv_forward(g, root, vars[i])))
                status = -1;
    }
    if (status == 0) {
        Node **pick = rev ? rev : fwd;
        DerivMode which = rev ? DERIV_REVERSE : DERIV_FORWARD;
        if (fwd && rev) {
            /* keep the smaller result (ties go to forward: its printed form
             * follows the textbook rules more closely) */
            size_t sf = dag_count(g, fwd, nvars), sr = dag_count(g, rev, nvars);
            if (sf == SIZE_MAX || sr == SIZE_MAX)
                status = -1; /* out of memory: no choice on a wrong count */
            else if (sf <= sr) {
                pick = fwd;
                which = DERIV_FORWARD;
            }
        }
        if (status == 0) {
            memcpy(out, pick, (size_t)nvars * sizeof *out);
            if (used)
                *used = which;
        }
    }
    free(fwd);
    free(rev);
    return g->failed ? -1 : status;
}

/* ------------------------------------------------------------- domain facts */

static void add_fact(Graph *g, Node *n, unsigned f) { g->facts[n->id] |= (unsigned char)f; }

void deriv_assume_domain(Graph *g, Node *const *roots, int nroots) {
    size_t n0 = g->nnodes;
    unsigned char *facts = realloc(g->facts, n0 ? n0 : 1);
    unsigned char *strict = calloc(n0 ? n0 : 1, 1);
    if (!facts || !strict) {
        free(strict);
        if (facts)
            g->facts = facts;
        g->failed = 1;
        return;
    }
    g->facts = facts;
    if (n0 > g->facts_cap)
        memset(facts + g->facts_cap, 0, n0 - g->facts_cap);
    g->facts_cap = n0;
    /* strict: an undefined value here makes the whole function undefined
     * (NaN propagates).  Kinks such as max or step compare, so facts are not
     * inferred through their arguments. */
    for (int i = 0; i < nroots; i++)
        if (roots[i])
            strict[roots[i]->id] = 1;
    for (size_t id = n0; id-- > 0;) {
        if (!strict[id])
            continue;
        Node *n = g->nodes[id];
        if (n->kind == EX_CALL && builtin_info[n->u.fn].kind == BK_KINK)
            continue;
        for (int k = 0; k < n->nargs; k++)
            strict[n->args[k]->id] = 1;
        /* what the node itself needs to be defined */
        if (n->kind == EX_CALL && (n->u.fn == BI_LOG || n->u.fn == BI_LOG2 || n->u.fn == BI_LOG10))
            add_fact(g, n->args[0], FACT_POSITIVE);
        if (n->kind == EX_POW && n->args[1]->kind == EX_CONST) {
            Num e = n->args[1]->u.num;
            if (num_is_negative(e))
                add_fact(g, n->args[0], num_is_int(e) ? FACT_NONZERO : FACT_POSITIVE);
        }
    }
    /* consequences, parents before arguments: u v != 0 => u, v != 0, and
     * b^k != 0 => b != 0; b^k > 0 with k odd or fractional => b > 0 */
    for (size_t id = n0; id-- > 0;) {
        unsigned f = facts[id];
        if (!f)
            continue;
        Node *n = g->nodes[id];
        if (n->kind == EX_MUL) {
            for (int k = 0; k < n->nargs; k++)
                if (n->args[k]->kind != EX_CONST)
                    add_fact(g, n->args[k], FACT_NONZERO);
        } else if (n->kind == EX_POW && n->args[1]->kind == EX_CONST) {
            Num e = n->args[1]->u.num;
            if (!num_is_negative(e) && !num_is_zero(e)) {
                unsigned bf = FACT_NONZERO;
                if ((f & FACT_POSITIVE) && (!num_is_int(e) || (e.p % 2 != 0)))
                    bf = FACT_POSITIVE;
                add_fact(g, n->args[0], bf);
            }
        }
    }
    free(strict);
    g->use_facts = 1;
}
