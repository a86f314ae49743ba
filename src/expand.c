/* SPDX-License-Identifier: MIT */
/*
 * expand.c — full polynomial expansion (--expand), a teaching option.
 *
 * Consumes a DAG node, produces the same value as a sum of monomials with
 * exact coefficients, written as content * primitive polynomial:
 *   d/dx l4 = 64*(1 - 42*x + 504*x^2 - 2640*x^3 + ...).
 * Anything that is not a polynomial operation (ln(x), x^(1/2), x^-1) is an
 * atom.  Expansion can grow exponentially, so it stops with an error past
 * EXPAND_MAX_TERMS terms, and where a coefficient leaves the exact 64-bit
 * rationals (rather than going on with rounded ones).  Never used for code
 * generation.
 */
#include "expand.h"

#include <stdlib.h>
#include <string.h>

typedef struct Mono {
    Num coef;
    int inexact;    /* computed from an inexact constant of the program */
    int len;        /* number of (atom, exponent) pairs        */
    uint32_t *pairs; /* atom id, exponent, sorted by atom id    */
} Mono;

typedef struct Poly {
    Mono *t;
    int n, cap;
} Poly;

/* Coefficients stay exact: a sum or product of two exact coefficients
 * that no longer fits in a 64-bit rational (and would go on as a double,
 * silently rounded) stops the expansion as "a coefficient is too large".
 * Coefficients that come from an inexact constant of the program (a double
 * such as 0.12345678901234567, however it is held now) are inexact
 * already, and go on.  Returns the result's inexactness, or -1. */
static int combine_exactness(NumStatus st, int a_inexact, int b_inexact, Num r) {
    if (st != NUM_OK)
        return -1;
    if (a_inexact || b_inexact)
        return 1;
    return r.is_rat ? 0 : -1;
}

typedef struct Expander {
    Graph *g;
    Poly **memo; /* by node id */
    size_t nmemo;
    ExpandStatus failed;
} Expander;

static void poly_free(Poly *p) {
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        free(p->t[i].pairs);
    free(p->t);
    free(p);
}

static Poly *poly_new(void) { return calloc(1, sizeof(Poly)); }

static void poly_normalize(Expander *E, Poly *p);

/* Expansion is work like any other (a chain of sums can take time
 * quadratic in its length before the term limit is reached): every
 * monomial made is charged to the graph's work limit, which fails the
 * graph. */
static int spend(Expander *E, uint64_t n) {
    if (!dag_spend(E->g, n))
        E->failed = E->failed ? E->failed : EXPAND_NO_MEMORY;
    return !E->failed;
}

/* Appends a monomial; like terms are merged when the list grows long, so
 * that the limit counts the terms of a polynomial, not the products that
 * make it ((1 + x)^1000 has 1001 terms from 250000 products). */
static int poly_push(Expander *E, Poly *p, Num coef, int inexact, const uint32_t *pairs, int len) {
    if (!spend(E, 1 + (uint64_t)len))
        return -1;
    if (p->n >= EXPAND_MAX_TERMS * 4) {
        poly_normalize(E, p);
        if (E->failed)
            return -1;
    }
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 8;
        Mono *t = realloc(p->t, (size_t)cap * sizeof *t);
        if (!t) {
            E->failed = EXPAND_NO_MEMORY;
            return -1;
        }
        p->t = t;
        p->cap = cap;
    }
    Mono *m = &p->t[p->n];
    m->coef = coef;
    m->inexact = inexact;
    m->len = len;
    m->pairs = malloc((size_t)(len ? len : 1) * 2 * sizeof *m->pairs);
    if (!m->pairs) {
        E->failed = EXPAND_NO_MEMORY;
        return -1;
    }
    if (len)
        memcpy(m->pairs, pairs, (size_t)len * 2 * sizeof *pairs);
    p->n++;
    return 0;
}

static int mono_compare(const void *a, const void *b) {
    const Mono *x = a, *y = b;
    for (int i = 0; i < x->len && i < y->len; i++) {
        if (x->pairs[2 * i] != y->pairs[2 * i])
            return x->pairs[2 * i] < y->pairs[2 * i] ? -1 : 1;
        if (x->pairs[2 * i + 1] != y->pairs[2 * i + 1])
            return x->pairs[2 * i + 1] < y->pairs[2 * i + 1] ? -1 : 1;
    }
    return x->len - y->len;
}

/* Sorts, merges equal monomials, drops zero coefficients. */
static void poly_normalize(Expander *E, Poly *p) {
    if (p->n > 1)
        qsort(p->t, (size_t)p->n, sizeof *p->t, mono_compare);
    int m = 0;
    for (int i = 0; i < p->n; i++) {
        if (m > 0 && mono_compare(&p->t[m - 1], &p->t[i]) == 0) {
            Num r;
            int inexact = combine_exactness(num_add(p->t[m - 1].coef, p->t[i].coef, &r), p->t[m - 1].inexact,
                                            p->t[i].inexact, r);
            if (inexact < 0)
                E->failed = EXPAND_OVERFLOW;
            p->t[m - 1].coef = r;
            p->t[m - 1].inexact = inexact > 0;
            free(p->t[i].pairs);
            continue;
        }
        p->t[m++] = p->t[i];
    }
    int k = 0;
    for (int i = 0; i < m; i++) {
        if (num_is_zero(p->t[i].coef)) {
            free(p->t[i].pairs);
            continue;
        }
        p->t[k++] = p->t[i];
    }
    p->n = k;
    if (p->n > EXPAND_MAX_TERMS)
        E->failed = EXPAND_TOO_MANY;
}

static Poly *poly_const(Expander *E, Num c) {
    Poly *p = poly_new();
    if (!p || (!num_is_zero(c) && poly_push(E, p, c, !c.is_rat, NULL, 0) != 0)) {
        poly_free(p);
        E->failed = E->failed ? E->failed : EXPAND_NO_MEMORY;
        return NULL;
    }
    return p;
}

static Poly *poly_atom(Expander *E, const Node *n) {
    Poly *p = poly_new();
    uint32_t pair[2] = {n->id, 1};
    if (!p || poly_push(E, p, num_int(1), 0, pair, 1) != 0) {
        poly_free(p);
        E->failed = E->failed ? E->failed : EXPAND_NO_MEMORY;
        return NULL;
    }
    return p;
}

static Poly *poly_mul(Expander *E, const Poly *a, const Poly *b) {
    Poly *p = poly_new();
    uint32_t *buf = NULL;
    int buf_cap = 0;
    if (!p) {
        E->failed = EXPAND_NO_MEMORY;
        return NULL;
    }
    for (int i = 0; i < a->n && !E->failed; i++)
        for (int j = 0; j < b->n && !E->failed; j++) {
            const Mono *x = &a->t[i], *y = &b->t[j];
            if (x->len + y->len > buf_cap) {
                buf_cap = (x->len + y->len) * 2 + 8;
                uint32_t *nb = realloc(buf, (size_t)buf_cap * 2 * sizeof *nb);
                if (!nb) {
                    E->failed = EXPAND_NO_MEMORY;
                    break;
                }
                buf = nb;
            }
            /* merge the two sorted monomials, adding exponents */
            int u = 0, v = 0, w = 0;
            while (u < x->len || v < y->len) {
                if (v >= y->len || (u < x->len && x->pairs[2 * u] < y->pairs[2 * v])) {
                    buf[2 * w] = x->pairs[2 * u];
                    buf[2 * w++ + 1] = x->pairs[2 * u + 1];
                    u++;
                } else if (u >= x->len || y->pairs[2 * v] < x->pairs[2 * u]) {
                    buf[2 * w] = y->pairs[2 * v];
                    buf[2 * w++ + 1] = y->pairs[2 * v + 1];
                    v++;
                } else {
                    buf[2 * w] = x->pairs[2 * u];
                    buf[2 * w++ + 1] = x->pairs[2 * u + 1] + y->pairs[2 * v + 1];
                    u++;
                    v++;
                }
            }
            Num c;
            int inexact = combine_exactness(num_mul(x->coef, y->coef, &c), x->inexact, y->inexact, c);
            if (inexact < 0) {
                E->failed = EXPAND_OVERFLOW;
                break;
            }
            poly_push(E, p, c, inexact, buf, w);
        }
    free(buf);
    if (!E->failed)
        poly_normalize(E, p);
    if (E->failed) {
        poly_free(p);
        return NULL;
    }
    return p;
}

static Poly *poly_add_into(Expander *E, Poly *acc, const Poly *b) {
    for (int i = 0; i < b->n && !E->failed; i++)
        poly_push(E, acc, b->t[i].coef, b->t[i].inexact, b->t[i].pairs, b->t[i].len);
    if (!E->failed)
        poly_normalize(E, acc);
    return acc;
}

static Poly *poly_copy(Expander *E, const Poly *a) {
    Poly *p = poly_new();
    if (!p) {
        E->failed = EXPAND_NO_MEMORY;
        return NULL;
    }
    return poly_add_into(E, p, a);
}

/* Expands every node reachable from root, in id order (no recursion). */
static Poly *expand_all(Expander *E, Node *root) {
    Graph *g = E->g;
    unsigned char *mark = malloc(g->nnodes ? g->nnodes : 1);
    if (!mark) {
        E->failed = EXPAND_NO_MEMORY;
        return NULL;
    }
    dag_mark_reachable(g, &root, 1, mark);
    /* users of each expansion: one that no later node needs is freed at
     * once, so that memory holds the live expansions, not every one */
    uint32_t *users = calloc(g->nnodes ? g->nnodes : 1, sizeof *users);
    if (!users) {
        free(mark);
        E->failed = EXPAND_NO_MEMORY;
        return NULL;
    }
    for (size_t id = 0; id <= root->id; id++)
        for (int k = 0; mark[id] && k < g->nodes[id]->nargs; k++)
            users[g->nodes[id]->args[k]->id]++;
    for (size_t id = 0; id <= root->id && !E->failed; id++) {
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        Poly *p = NULL;
        switch ((NodeKind)n->kind) {
        case EX_CONST:
            p = poly_const(E, n->num[0]);
            break;
        case EX_ADD:
            p = poly_new();
            if (!p)
                E->failed = EXPAND_NO_MEMORY;
            for (int k = 0; k < n->nargs && p && !E->failed; k++)
                poly_add_into(E, p, E->memo[n->args[k]->id]);
            break;
        case EX_MUL:
            p = poly_copy(E, E->memo[n->args[0]->id]);
            for (int k = 1; k < n->nargs && p && !E->failed; k++) {
                Poly *q = poly_mul(E, p, E->memo[n->args[k]->id]);
                poly_free(p);
                p = q;
            }
            break;
        case EX_POW:
            if (n->args[1]->kind == EX_CONST && num_is_int(n->args[1]->num[0]) &&
                n->args[1]->num[0].p > 0 && n->args[1]->num[0].p <= 4096) {
                /* b^k by repeated squaring */
                int64_t k = n->args[1]->num[0].p;
                Poly *base = poly_copy(E, E->memo[n->args[0]->id]);
                p = poly_const(E, num_int(1));
                while (k > 0 && p && base && !E->failed) {
                    if (k & 1) {
                        Poly *q = poly_mul(E, p, base);
                        poly_free(p);
                        p = q;
                    }
                    k >>= 1;
                    if (k && p) {
                        Poly *q = poly_mul(E, base, base);
                        poly_free(base);
                        base = q;
                    }
                }
                poly_free(base);
                break;
            }
            p = poly_atom(E, n);
            break;
        default:
            p = poly_atom(E, n);
            break;
        }
        if (!p && !E->failed)
            E->failed = EXPAND_NO_MEMORY;
        E->memo[id] = p;
        for (int k = 0; k < n->nargs; k++) {
            size_t a = n->args[k]->id;
            if (--users[a] == 0 && a != root->id) {
                poly_free(E->memo[a]);
                E->memo[a] = NULL;
            }
        }
    }
    free(users);
    free(mark);
    if (E->failed)
        return NULL;
    Poly *r = E->memo[root->id];
    E->memo[root->id] = NULL;
    return r;
}

Node *expand_node(Graph *g, Node *root, ExpandStatus *error) {
    Expander E = {.g = g, .nmemo = g->nnodes, .failed = EXPAND_OK};
    *error = EXPAND_OK;
    if (!root)
        return NULL;
    E.memo = calloc(g->nnodes ? g->nnodes : 1, sizeof *E.memo);
    if (!E.memo) {
        *error = EXPAND_NO_MEMORY;
        return NULL;
    }
    Poly *p = expand_all(&E, root);
    for (size_t i = 0; i < E.nmemo; i++)
        poly_free(E.memo[i]);
    free(E.memo);
    if (!p) {
        *error = E.failed ? E.failed : EXPAND_NO_MEMORY;
        return NULL;
    }
    /* content: the positive gcd of the coefficients */
    Num content = num_int(1);
    int have = p->n > 0;
    for (int i = 0; i < p->n && have; i++) {
        Num c = p->t[i].coef;
        if (i == 0) {
            have = c.is_rat;
            content = num_is_negative(c) ? num_neg(c) : c;
        } else if (!num_rat_gcd(content, c, &content))
            have = 0;
    }
    if (!have)
        content = num_int(1);
    Num inv;
    num_pow(content, num_int(-1), &inv);
    Node **terms = malloc((size_t)(p->n ? p->n : 1) * sizeof *terms);
    Node *result = NULL;
    if (terms) {
        for (int i = 0; i < p->n; i++) {
            Mono *m = &p->t[i];
            Node **f = malloc((size_t)(m->len + 1) * sizeof *f);
            if (!f) {
                g->failed = GRAPH_OUT_OF_MEMORY; /* the terms after this one are not made */
                break;
            }
            Num c;
            num_mul(m->coef, inv, &c);
            f[0] = dag_num(g, c);
            for (int k = 0; k < m->len; k++)
                f[k + 1] = dag_pow(g, g->nodes[m->pairs[2 * k]], dag_int(g, m->pairs[2 * k + 1]));
            terms[i] = dag_mul_n(g, f, m->len + 1);
            free(f);
        }
        Node *sum = g->failed ? NULL : dag_add_flat(g, terms, p->n);
        result = !sum || num_is_one(content) ? sum : dag_mul(g, dag_num(g, content), sum);
        free(terms);
    }
    poly_free(p);
    if (!result)
        *error = EXPAND_NO_MEMORY;
    return result;
}
