/* SPDX-License-Identifier: MIT */
/*
 * check_swell.c — expression swell counts (src/swell.c) and the SVG chart
 * (src/plot.c).
 *
 * The naive derivative's size is checked three ways: against trees written
 * out by hand in the comments below, against a brute-force differentiator
 * in this file that builds the naive tree for real (recursively, so only for
 * small inputs) with its own copy of the textbook rules, and for the
 * logistic map against the closed recurrence those rules give.  Then the
 * shape of the growth (exponential trees, linear DAGs and AD costs), the
 * values of every method at a point, very large counts, and the chart's
 * well-formedness.
 */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "deriv.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "plot.h"
#include "swell.h"
#include "testutil.h"

Suite *swell_suite(void);

/* ---- helpers ----------------------------------------------------------------- */

/* A program lowered and differentiated as the CLI does it: every variable,
 * in order of appearance, domain facts assumed, the automatic engine. */
typedef struct Fixture {
    Graph *g;
    Node *f;
    int nvars;
    int vars[8];
    Node *grad[8];
} Fixture;

static void fixture_load(Fixture *fx, const char *text) {
    memset(fx, 0, sizeof *fx);
    fx->g = graph_new();
    ck_assert_ptr_nonnull(fx->g);
    Source src = {"<test>", text, strlen(text)};
    Diag d;
    diag_init(&d, &src);
    AstArena arena = {NULL};
    Program p = {NULL, 0, 0, 0};
    Ast *ast = parse_program(&arena, &d);
    int ok = ast && lower_program(fx->g, ast, &d, NULL, &p) == 0 && p.noutputs == 1;
    ck_assert_msg(ok, "'%s' does not lower:\n%s", text, sb_str(&d.out));
    fx->f = p.outputs[0];
    DerivOptions dopt = {.assume_domain = 1};
    program_free(&p);
    ast_arena_free(&arena);
    diag_free(&d);
    fx->nvars = fx->g->nvars;
    ck_assert_int_le(fx->nvars, 8);
    for (int i = 0; i < fx->nvars; i++)
        fx->vars[i] = i;
    ck_assert_int_eq(deriv_gradient(fx->g, fx->f, fx->vars, fx->nvars, &dopt, fx->grad, NULL), 0);
}

static void fixture_free(Fixture *fx) { graph_free(fx->g); }

/* swell_measure of `text` at `point` (NULL: no values). */
static void measure(const char *text, const double *point, SwellReport *r) {
    Fixture fx;
    fixture_load(&fx, text);
    ck_assert_int_eq(swell_measure(fx.g, fx.f, fx.vars, fx.nvars, fx.grad, point, NULL, r), 0);
    fixture_free(&fx);
}

static void logistic_text(char *buf, size_t size, int n) {
    snprintf(buf, size, "l = x; repeat %d { l = 4*l*(1-l) } l", n);
}

static void measure_logistic(int n, double x, SwellReport *r) {
    char text[96];
    logistic_text(text, sizeof text, n);
    measure(text, &x, r);
}

/* ---- a brute-force naive differentiator ------------------------------------------ */

/* Trees: the DAG written out (a node per use), then differentiated by the
 * textbook rules of swell.c's naive_pass, written again independently here
 * and for a few builtins by hand (sin, cos, exp, log, tanh).  Recursion is
 * fine: only small inputs come here. */
typedef struct Tree Tree;
struct Tree {
    int kind; /* NodeKind */
    Num num;
    int var, fn, nargs;
    Tree *args[16];
};

typedef struct Forest {
    Tree **all;
    int n, cap;
} Forest;

static Tree one_marker; /* the derivative 1: a factor that is not written */
#define ONE (&one_marker)

static Tree *tree_new(Forest *fo, int kind, int nargs) {
    if (fo->n == fo->cap) {
        fo->cap = fo->cap ? 2 * fo->cap : 256;
        fo->all = realloc(fo->all, (size_t)fo->cap * sizeof *fo->all);
        ck_assert_ptr_nonnull(fo->all);
    }
    ck_assert_int_le(nargs, 16);
    Tree *t = calloc(1, sizeof *t);
    ck_assert_ptr_nonnull(t);
    t->kind = kind;
    t->nargs = nargs;
    fo->all[fo->n++] = t;
    return t;
}

static void forest_free(Forest *fo) {
    for (int i = 0; i < fo->n; i++)
        free(fo->all[i]);
    free(fo->all);
}

static Tree *tree_num(Forest *fo, Num v) {
    Tree *t = tree_new(fo, EX_CONST, 0);
    t->num = v;
    return t;
}

static Tree *tree_op(Forest *fo, int kind, int nargs, Tree *const *args) {
    Tree *t = tree_new(fo, kind, nargs);
    for (int i = 0; i < nargs; i++)
        t->args[i] = args[i];
    return t;
}

static Tree *tree_call(Forest *fo, Builtin fn, Tree *u) {
    Tree *t = tree_op(fo, EX_CALL, 1, &u);
    t->fn = fn;
    return t;
}

/* The DAG under n written out as a tree. */
static Tree *inline_tree(Forest *fo, const Node *n) {
    Tree *t = tree_new(fo, n->kind, n->nargs);
    if (n->kind == EX_CONST)
        t->num = n->num[0];
    if (n->kind == EX_VAR)
        t->var = n->u.var;
    if (n->kind == EX_CALL)
        t->fn = n->u.fn;
    for (int i = 0; i < n->nargs; i++)
        t->args[i] = inline_tree(fo, n->args[i]);
    return t;
}

static double tree_size(const Tree *t) {
    if (t == ONE)
        return 1;
    double s = 1;
    for (int i = 0; i < t->nargs; i++)
        s += tree_size(t->args[i]);
    return s;
}

/* Terms of a sum under construction: dropped zeros, the sum of one term is
 * the term. */
static Tree *sum_of(Forest *fo, Tree **terms, int n) {
    if (n == 0)
        return NULL;
    if (n == 1)
        return terms[0];
    for (int i = 0; i < n; i++)
        if (terms[i] == ONE)
            terms[i] = tree_num(fo, num_int(1));
    return tree_op(fo, EX_ADD, n, terms);
}

/* The chain rule's term: the partial p times d; a product p takes d as one
 * more factor; a d of 1 is not written. */
static Tree *chain(Forest *fo, Tree *p, Tree *d) {
    if (d == ONE)
        return p;
    if (p->kind == EX_MUL) {
        Tree *f[16];
        for (int i = 0; i < p->nargs; i++)
            f[i] = p->args[i];
        f[p->nargs] = d;
        return tree_op(fo, EX_MUL, p->nargs + 1, f);
    }
    Tree *f[2] = {p, d};
    return tree_op(fo, EX_MUL, 2, f);
}

/* The naive derivative: NULL for 0, ONE for 1, else a tree. */
static Tree *naive(Forest *fo, Tree *t, int v) {
    Tree *terms[16];
    int nt = 0;
    switch (t->kind) {
    case EX_CONST:
        return NULL;
    case EX_VAR:
        return t->var == v ? ONE : NULL;
    case EX_ADD: /* d(a + b) = da + db */
        for (int i = 0; i < t->nargs; i++) {
            Tree *d = naive(fo, t->args[i], v);
            if (d)
                terms[nt++] = d;
        }
        if (nt == 1)
            return terms[0];
        return sum_of(fo, terms, nt);
    case EX_MUL: /* d(f1 ... fk) = sum_i d(fi) prod_{j != i} fj */
        for (int i = 0; i < t->nargs; i++) {
            Tree *d = naive(fo, t->args[i], v);
            if (!d)
                continue;
            Tree *f[16];
            int nf = 0;
            if (d != ONE)
                f[nf++] = d;
            for (int j = 0; j < t->nargs; j++)
                if (j != i)
                    f[nf++] = t->args[j];
            terms[nt++] = nf == 1 ? f[0] : tree_op(fo, EX_MUL, nf, f);
        }
        return sum_of(fo, terms, nt);
    case EX_POW: {
        Tree *b = t->args[0], *e = t->args[1];
        Tree *db = naive(fo, b, v), *de = naive(fo, e, v);
        if (e->kind == EX_CONST) {
            /* d(b^c) = c b^(c-1) db, b^1 written b */
            if (!db)
                return NULL;
            Num c1;
            ck_assert_int_eq(num_add(e->num, num_int(-1), &c1), NUM_OK);
            Tree *pw = b;
            if (!num_is_one(c1)) {
                Tree *a[2] = {b, tree_num(fo, c1)};
                pw = tree_op(fo, EX_POW, 2, a);
            }
            Tree *f[2] = {tree_num(fo, e->num), pw};
            return chain(fo, tree_op(fo, EX_MUL, 2, f), db);
        }
        /* d(b^e) = e b^(e-1) db + b^e ln(b) de, e - 1 written e + -1 */
        if (db) {
            Tree *em1[2] = {tree_num(fo, num_int(-1)), e};
            Tree *pw[2] = {b, tree_op(fo, EX_ADD, 2, em1)};
            Tree *f[2] = {e, tree_op(fo, EX_POW, 2, pw)};
            terms[nt++] = chain(fo, tree_op(fo, EX_MUL, 2, f), db);
        }
        if (de) {
            Tree *f[2] = {t, tree_call(fo, BI_LOG, b)};
            terms[nt++] = chain(fo, tree_op(fo, EX_MUL, 2, f), de);
        }
        return sum_of(fo, terms, nt);
    }
    case EX_CALL: {
        Tree *u = t->args[0], *du = naive(fo, u, v), *p = NULL;
        if (!du)
            return NULL;
        switch (t->fn) {
        case BI_SIN: /* cos(u) */
            p = tree_call(fo, BI_COS, u);
            break;
        case BI_COS: { /* -1 * sin(u) */
            Tree *f[2] = {tree_num(fo, num_int(-1)), tree_call(fo, BI_SIN, u)};
            p = tree_op(fo, EX_MUL, 2, f);
            break;
        }
        case BI_EXP: /* exp(u) itself */
            p = t;
            break;
        case BI_LOG: { /* u^-1 */
            Tree *a[2] = {u, tree_num(fo, num_int(-1))};
            p = tree_op(fo, EX_POW, 2, a);
            break;
        }
        case BI_TANH: { /* 1 + -1 * tanh(u)^2 */
            Tree *sq[2] = {t, tree_num(fo, num_int(2))};
            Tree *neg[2] = {tree_num(fo, num_int(-1)), tree_op(fo, EX_POW, 2, sq)};
            Tree *sum[2] = {tree_num(fo, num_int(1)), tree_op(fo, EX_MUL, 2, neg)};
            p = tree_op(fo, EX_ADD, 2, sum);
            break;
        }
        default:
            ck_abort_msg("no hand rule for builtin %d", t->fn);
        }
        return chain(fo, p, du);
    }
    default:
        ck_abort_msg("unexpected node kind %d", t->kind);
    }
    return NULL;
}

/* The naive tree's size summed over all variables, built for real. */
static double brute_naive_size(const Fixture *fx) {
    Forest fo = {NULL, 0, 0};
    Tree *t = inline_tree(&fo, fx->f);
    double total = 0;
    for (int i = 0; i < fx->nvars; i++) {
        Tree *d = naive(&fo, t, fx->vars[i]);
        total += d ? tree_size(d) : 1; /* the derivative 0 is the tree "0" */
    }
    forest_free(&fo);
    return total;
}

/* ---- sizes by hand ----------------------------------------------------------------- */

static const struct {
    const char *text;
    double function_tree, naive;
} hand[] = {
    /* d/dx (x y) = y, d/dy (x y) = x: one node each */
    {"x*y", 3, 2},
    /* d/dx = y*z, d/dy = x*z, d/dz = x*y: three nodes each */
    {"x*y*z", 4, 9},
    /* d/dx (x + y) = 1, d/dy = 1 */
    {"x + y", 3, 2},
    /* the derivative 1 is still a tree of one node */
    {"x", 1, 1},
    /* x*x is built as x^2: d = 2*x, 3 nodes (the textbook's x + x has 3) */
    {"x*x", 3, 3},
    /* cos(x^2)*(2*x): * [cos [^ x 2]] [* 2 x] = 1 + 4 + 3 */
    {"sin(x^2)", 4, 8},
    /* the chain rule's own product takes d(u) as a factor:
     * 3*sin(x)^2*cos(x) = * 3 [^ [sin x] 2] [cos x] = 1 + 1 + 4 + 2 */
    {"sin(x)^3", 4, 8},
    /* exp(x) (the partial is the node itself, d(x) = 1 not written) */
    {"exp(x)", 2, 2},
    /* -1*sin(x) = * -1 [sin x] */
    {"cos(x)", 2, 4},
    /* 1 + -1*tanh(x)^2 = + 1 [* -1 [^ [tanh x] 2]] = 1+1+1+1+1+2+1 */
    {"tanh(x)", 2, 8},
    /* x^-1 */
    {"log(x)", 2, 3},
    /* built as x*(2 + x^2) (the common factor pulled out): 7 nodes; the
     * product rule gives (2 + x^2) + (2*x)*x:
     * + [+ 2 [^ x 2]] [* [* 2 x] x] = 1 + 5 + 5 */
    {"x^3 + 2*x", 7, 11},
    /* 3*x^2 alone: * 3 [^ x 2] = 5 */
    {"x^3", 3, 5},
    /* sin(x) + x*cos(x): + [sin x] [* x [cos x]] = 1 + 2 + 4 */
    {"x*sin(x)", 4, 7},
    /* 4*(1 + -1*x) + 4*x*-1: the logistic map's first step
     * + [* 4 [+ 1 [* -1 x]]] [* 4 x -1] = 1 + 7 + 4 */
    {"4*x*(1-x)", 8, 12},
    /* 2^x*log(2): * [^ 2 x] [log 2] = 1 + 3 + 2 (d(2) = 0 drops e*b^(e-1)*db) */
    {"2^x", 3, 6},
    /* x*x^(-1 + x) + x^x*log(x): 1 + [* x [^ x [+ -1 x]]] 7 + [* [^ x x] [log x]] 6 */
    {"x^x", 3, 14},
};

START_TEST(test_hand_counts) {
    SwellReport r;
    measure(hand[_i].text, NULL, &r);
    ck_assert_msg(r.rows[SWELL_FUNCTION_TREE].count == hand[_i].function_tree,
                  "%s: function tree %g, expected %g", hand[_i].text,
                  r.rows[SWELL_FUNCTION_TREE].count, hand[_i].function_tree);
    ck_assert_msg(r.rows[SWELL_NAIVE_TREE].count == hand[_i].naive,
                  "%s: naive tree %g, expected %g", hand[_i].text, r.rows[SWELL_NAIVE_TREE].count,
                  hand[_i].naive);
    /* and the brute-force differentiator agrees with the hand count */
    Fixture fx;
    fixture_load(&fx, hand[_i].text);
    ck_assert_msg(brute_naive_size(&fx) == hand[_i].naive, "%s: brute force %g", hand[_i].text,
                  brute_naive_size(&fx));
    fixture_free(&fx);
}
END_TEST

/* Programs mixing every rule, several variables, repeated subexpressions:
 * the count must equal the size of the tree really built. */
static const char *const brute[] = {
    "x1^2 + x1*log(x2) + exp(x2*x3) + 2*x3",
    "sin(x*y)*cos(x + y)^2 / (1 + x^2)",
    "a = exp(x) + y; b = a*a*tanh(a); b^3 + log(b*x)",
    "u = sin(x)^x; v = u*y + cos(u); v*v + u/v",
    "t = x*y*z; t^t + exp(-t) * (x - y) * (y - z)",
    "l = x; repeat 6 { l = 4*l*(1-l) } l",
    "l = x; repeat 4 { l = sin(l)*l + y*cos(l) } l",
};

START_TEST(test_brute_force) {
    Fixture fx;
    fixture_load(&fx, brute[_i]);
    SwellReport r;
    ck_assert_int_eq(swell_measure(fx.g, fx.f, fx.vars, fx.nvars, fx.grad, NULL, NULL, &r), 0);
    double want = brute_naive_size(&fx);
    ck_assert_msg(r.rows[SWELL_NAIVE_TREE].count == want, "%s: naive %g, brute force %g", brute[_i],
                  r.rows[SWELL_NAIVE_TREE].count, want);
    ck_assert(r.rows[SWELL_FUNCTION_TREE].count == dag_tree_size(fx.g, &fx.f, 1));
    ck_assert(r.rows[SWELL_SIMPLIFIED_TREE].count == dag_tree_size(fx.g, fx.grad, fx.nvars));
    ck_assert(r.rows[SWELL_FUNCTION_DAG].count == (double)dag_count(fx.g, &fx.f, 1));
    ck_assert(r.rows[SWELL_SYMDIFF_DAG].count == (double)dag_count(fx.g, fx.grad, fx.nvars));
    fixture_free(&fx);
}
END_TEST

/* ---- the logistic map ----------------------------------------------------------------- */

/* With l' the tree of l_{n+1} = 4 l (1 - l) = * 4 l [+ 1 [* -1 l]]:
 *   T' = 1 + 1 + T + (1 + 1 + (1 + 1 + T)) = 2T + 6,
 * and the naive derivative, for D = size of d(l) (not 1):
 *   d(l') = + [* 4 d(l) [+ 1 [* -1 l]]] [* 4 l [* -1 d(l)]]
 *   D' = 1 + (1 + 1 + D + T + 4) + (1 + 1 + T + 1 + 1 + D) = 2D + 2T + 11;
 * first step (l = x, d(l) = 1 not written): D' = 12 (see the hand table).
 * So T = 8, 22, 50, 106 and D = 12, 51, 157, 425 for repeat 1 .. 4. */
START_TEST(test_logistic_small) {
    static const double tree[] = {8, 22, 50, 106}, naive_size[] = {12, 51, 157, 425};
    for (int n = 1; n <= 4; n++) {
        SwellReport r;
        measure_logistic(n, 0.3, &r);
        ck_assert(r.rows[SWELL_FUNCTION_TREE].count == tree[n - 1]);
        ck_assert(r.rows[SWELL_NAIVE_TREE].count == naive_size[n - 1]);
        /* DAG: x and the constants 4, 1, -1, then 3 nodes per step */
        ck_assert(r.rows[SWELL_FUNCTION_DAG].count == 4 + 3 * n);
        /* one evaluation: 2 mul (4*l*(...)), 1 mul (-1*l), 1 add per step */
        ck_assert(r.rows[SWELL_FUNCTION_OPS].count == 4 * n);
        /* forward: primal 4 + tangent 5 (d(-1 l): 1 mul; d(4 l): 1 mul;
         * d((4 l) a): 2 mul + 1 add); reverse: primal 4 + 4 mul + 1 add
         * (adj(l) collects from two users) */
        ck_assert(r.rows[SWELL_FORWARD_AD].count == 9 * n);
        ck_assert(r.rows[SWELL_REVERSE_AD].count == 9 * n);
    }
}
END_TEST

/* The closed recurrence: exactly while the counts fit in 53 bits, to
 * rounding after (D passes 2^53 at n = 43, T stays exact up to n = 60). */
START_TEST(test_logistic_recurrence) {
    uint64_t T = 1, D = 1;
    double Dd = 1;
    for (int n = 1; n <= 60; n++) {
        uint64_t D_next = n == 1 ? 12 : 2 * D + 2 * T + 11;
        Dd = n == 1 ? 12 : 2 * Dd + 2 * (double)T + 11;
        D = D_next;
        T = 2 * T + 6;
        SwellReport r;
        measure_logistic(n, 0.3, &r);
        double t = r.rows[SWELL_FUNCTION_TREE].count, d = r.rows[SWELL_NAIVE_TREE].count;
        ck_assert_msg(t == (double)T, "n = %d: tree %.17g, recurrence %llu", n, t,
                      (unsigned long long)T);
        if (Dd < 9007199254740992.0)
            ck_assert_msg(d == (double)D, "n = %d: naive %.17g, recurrence %llu", n, d,
                          (unsigned long long)D);
        else
            ck_assert_close(d, Dd, 1e-15);
    }
}
END_TEST

/* Naive trees grow by a ratio that tends to 2, the DAGs and both AD costs
 * by a constant per step.  From the recurrence, with D = d 2^n:
 * d(n+1) = d(n) + 7 - 2^-(n+1), d(1) = 6, so d(n) = 7n - 3/2 + 2^-n and
 * the ratio is 2 (7n + 11/2 + 2^-(n+1)) / (7n - 3/2 + 2^-n). */
START_TEST(test_growth) {
    enum { N = 60 };
    static SwellReport r[N + 1];
    for (int n = 1; n <= N; n++)
        measure_logistic(n, 0.3, &r[n]);
    double prev_ratio = INFINITY;
    for (int n = 5; n < N; n++) {
        double ratio = r[n + 1].rows[SWELL_NAIVE_TREE].count / r[n].rows[SWELL_NAIVE_TREE].count;
        ck_assert_msg(ratio > 2 && ratio < prev_ratio, "n = %d: ratio %g after %g", n, ratio,
                      prev_ratio);
        ck_assert_close(ratio, 2 * (7.0 * n + 5.5 + ldexp(1, -n - 1)) / (7.0 * n - 1.5 + ldexp(1, -n)),
                        1e-13);
        prev_ratio = ratio;
        double tratio =
            r[n + 1].rows[SWELL_FUNCTION_TREE].count / r[n].rows[SWELL_FUNCTION_TREE].count;
        ck_assert(tratio >= 2 && tratio < 2.1); /* 2 + 6/T: 2 in double from n = 54 */
    }
    ck_assert(prev_ratio < 2.05);
    ck_assert(r[N].rows[SWELL_NAIVE_TREE].count > 1e18);
    static const SwellRowId linear[] = {SWELL_FUNCTION_DAG, SWELL_SYMDIFF_DAG,
                                        SWELL_SYMDIFF_TOTAL, SWELL_FUNCTION_OPS,
                                        SWELL_FORWARD_AD,   SWELL_REVERSE_AD};
    for (size_t k = 0; k < sizeof linear / sizeof *linear; k++) {
        SwellRowId id = linear[k];
        double step = r[5].rows[id].count - r[4].rows[id].count;
        ck_assert(step > 0 && step <= 9);
        for (int n = 4; n < N; n++)
            ck_assert_msg(r[n + 1].rows[id].count - r[n].rows[id].count == step,
                          "%s: step %g at n = %d, %g before", r[n].rows[id].method,
                          r[n + 1].rows[id].count - r[n].rows[id].count, n, step);
    }
}
END_TEST

/* log10 stays right where the counts pass DBL_MAX; count never inf. */
START_TEST(test_huge_counts) {
    SwellReport r;
    measure_logistic(1000, 0.3, &r);
    /* T = 7 2^n - 6 */
    ck_assert_close(r.rows[SWELL_FUNCTION_TREE].log10_count, log10(7) + 1000 * log10(2), 1e-12);
    ck_assert(r.rows[SWELL_NAIVE_TREE].log10_count > 304 && r.rows[SWELL_NAIVE_TREE].log10_count < 306);
    ck_assert(isfinite(r.rows[SWELL_NAIVE_TREE].count));
    measure_logistic(2000, 0.3, &r);
    ck_assert_close(r.rows[SWELL_FUNCTION_TREE].log10_count, log10(7) + 2000 * log10(2), 1e-12);
    ck_assert(r.rows[SWELL_FUNCTION_TREE].count == DBL_MAX);
    ck_assert(r.rows[SWELL_NAIVE_TREE].count == DBL_MAX);
    /* D = (7n - 3/2) 2^n + 1 (test_growth) */
    ck_assert_close(r.rows[SWELL_NAIVE_TREE].log10_count, log10(7 * 2000 - 1.5) + 2000 * log10(2),
                    1e-12);
    ck_assert(r.rows[SWELL_FUNCTION_DAG].count == 6004);
    StrBuf sb;
    sb_init(&sb);
    swell_print_json(&sb, &r);
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), "\"nodes\": null, \"log10\": 60"));
    sb_clear(&sb);
    swell_print_table(&sb, &r);
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), "e+602"));
    sb_free(&sb);
}
END_TEST

/* A DAG 300000 nodes deep: every pass is a loop. */
START_TEST(test_deep) {
    SwellReport r;
    measure_logistic(100000, 0.3, &r);
    ck_assert(r.rows[SWELL_FUNCTION_DAG].count == 300004);
    ck_assert(r.rows[SWELL_FORWARD_AD].count == 900000);
    ck_assert_close(r.rows[SWELL_FUNCTION_TREE].log10_count, log10(7) + 100000 * log10(2), 1e-12);
}
END_TEST

/* ---- values at a point ----------------------------------------------------------------- */

static const struct {
    const char *text;
    double point[4];
} valued[] = {
    {"l = x; repeat 4 { l = 4*l*(1-l) } l", {0.3}},
    {"x1^2 + x1*log(x2) + exp(x2*x3) + 2*x3", {0.7, 1.3, -0.4}},
    {"sin(x*y)*cos(x + y)^2 / (1 + x^2) + sigmoid(y) + softplus(x)", {0.5, -1.5}},
    {"x^y + sqrt(x)*atan(y) + tanh(x*y)", {1.7, 0.6}},
};

START_TEST(test_values_agree) {
    Fixture fx;
    fixture_load(&fx, valued[_i].text);
    SwellReport r;
    ck_assert_int_eq(swell_measure(fx.g, fx.f, fx.vars, fx.nvars, fx.grad, valued[_i].point, NULL, &r), 0);
    double f = eval_node(fx.g, fx.f, valued[_i].point);
    double exact = eval_node(fx.g, fx.grad[0], valued[_i].point);
    ck_assert(r.has_point);
    ck_assert_str_eq(r.var, fx.g->vars[0].name);
    ck_assert(r.rows[SWELL_FUNCTION_TREE].value == f);
    ck_assert(r.rows[SWELL_FUNCTION_OPS].value == f);
    ck_assert(isnan(r.rows[SWELL_FUNCTION_DAG].error));
    static const SwellRowId symbolic[] = {SWELL_NAIVE_TREE, SWELL_SIMPLIFIED_TREE,
                                          SWELL_SYMDIFF_DAG, SWELL_SYMDIFF_TOTAL};
    for (int k = 0; k < 4; k++) {
        ck_assert(r.rows[symbolic[k]].value == exact);
        ck_assert(r.rows[symbolic[k]].error == 0);
    }
    /* forward and reverse AD, evaluated numerically on the function's DAG */
    ck_assert_close(r.rows[SWELL_FORWARD_AD].value, exact, 1e-13);
    ck_assert_close(r.rows[SWELL_REVERSE_AD].value, exact, 1e-13);
    ck_assert(r.rows[SWELL_FORWARD_AD].error <= 1e-13 * fmax(1, fabs(exact)));
    /* central differences: close, but not exact */
    double fd = r.rows[SWELL_CENTRAL_DIFF].value;
    ck_assert_close(fd, exact, 1e-7);
    ck_assert(r.rows[SWELL_CENTRAL_DIFF].error > 0);
    ck_assert(r.rows[SWELL_CENTRAL_DIFF].error == fabs(fd - exact));
    ck_assert(r.rows[SWELL_CENTRAL_DIFF].count == 2 * fx.nvars);
    fixture_free(&fx);
}
END_TEST

/* Reverse mode pays one adjoint sweep for all variables, forward mode one
 * pass per variable. */
START_TEST(test_forward_vs_reverse) {
    SwellReport r;
    double pt[4] = {0.2, 0.4, 0.6, 0.8};
    measure("a*b + b*c + c*d + exp(a*b*c*d)", pt, &r);
    ck_assert(r.rows[SWELL_FORWARD_AD].count > r.rows[SWELL_REVERSE_AD].count);
    ck_assert(r.rows[SWELL_FORWARD_AD].count >= 4 * r.rows[SWELL_FUNCTION_OPS].count);
    ck_assert(r.rows[SWELL_REVERSE_AD].count <= 4 * r.rows[SWELL_FUNCTION_OPS].count);
    ck_assert(r.rows[SWELL_CENTRAL_DIFF].count == 8);
}
END_TEST

START_TEST(test_no_point) {
    SwellReport r;
    measure("sin(x^2)", NULL, &r);
    ck_assert(!r.has_point);
    for (int i = 0; i < r.nrows; i++)
        ck_assert(isnan(r.rows[i].value) && isnan(r.rows[i].error));
    StrBuf sb;
    sb_init(&sb);
    swell_print_table(&sb, &r);
    const char *want = "method                             size  unit\n"
                       "function (tree)                       4  nodes\n"
                       "function (DAG)                        4  nodes\n"
                       "naive symbolic (tree)                 8  nodes\n"
                       "simplified symbolic (tree)            7  nodes\n"
                       "symdiff (shared DAG)                  5  nodes\n"
                       "symdiff (function + gradient DAG)     6  nodes\n"
                       "function evaluation                   2  ops\n"
                       "forward-mode AD                       6  ops\n"
                       "reverse-mode AD                       6  ops\n"
                       "central differences                   2  evals\n";
    ck_assert_str_eq(sb_str(&sb), want);
    sb_free(&sb);
}
END_TEST

START_TEST(test_bad_arguments) {
    Fixture fx;
    fixture_load(&fx, "x*y");
    SwellReport r;
    ck_assert_int_eq(swell_measure(fx.g, NULL, fx.vars, 2, fx.grad, NULL, NULL, &r), -1);
    ck_assert_int_eq(swell_measure(fx.g, fx.f, NULL, 2, fx.grad, NULL, NULL, &r), -1);
    int bad = 7;
    ck_assert_int_eq(swell_measure(fx.g, fx.f, &bad, 1, fx.grad, NULL, NULL, &r), -1);
    /* no variables: sizes of the function only */
    ck_assert_int_eq(swell_measure(fx.g, fx.f, NULL, 0, NULL, NULL, NULL, &r), 0);
    ck_assert(r.rows[SWELL_FUNCTION_TREE].count == 3);
    ck_assert(r.rows[SWELL_NAIVE_TREE].count == 0);
    ck_assert(r.rows[SWELL_REVERSE_AD].count == 0);
    fixture_free(&fx);
}
END_TEST

/* ---- output -------------------------------------------------------------------------- */

START_TEST(test_table_and_json) {
    SwellReport r;
    measure_logistic(2, 0.3, &r);
    StrBuf sb;
    sb_init(&sb);
    swell_print_table(&sb, &r);
    const char *s = sb_str(&sb);
    ck_assert_ptr_nonnull(strstr(s, "naive symbolic (tree)                51  nodes"));
    ck_assert_ptr_nonnull(strstr(s, "central differences                   2  evals"));
    ck_assert_ptr_nonnull(strstr(s, "d/dx otherwise"));
    int lines = 0;
    for (; *s; s++)
        lines += *s == '\n';
    ck_assert_int_eq(lines, 1 + SWELL_NROWS + 1);
    sb_clear(&sb);
    swell_print_json(&sb, &r);
    s = sb_str(&sb);
    ck_assert_ptr_nonnull(strstr(s, "{\"method\": \"naive symbolic (tree)\", \"nodes\": 51, \"log10\": "));
    ck_assert_ptr_nonnull(strstr(s, "{\"method\": \"forward-mode AD\", \"ops\": 18,"));
    ck_assert_ptr_nonnull(strstr(s, "{\"method\": \"central differences\", \"evals\": 2,"));
    ck_assert_ptr_nonnull(strstr(s, "\"error\": null"));
    ck_assert(s[0] == '[' && s[strlen(s) - 2] == ']');
    int depth = 0;
    for (const char *c = s; *c; c++) {
        depth += *c == '{' || *c == '[';
        depth -= *c == '}' || *c == ']';
        ck_assert_int_ge(depth, 0);
    }
    ck_assert_int_eq(depth, 0);
    sb_free(&sb);
}
END_TEST

START_TEST(test_sweep_output) {
    enum { N = 3 };
    SwellReport r[N];
    double x[N];
    for (int n = 1; n <= N; n++) {
        measure_logistic(n, 0.3, &r[n - 1]);
        x[n - 1] = n;
    }
    StrBuf sb;
    sb_init(&sb);
    swell_print_sweep(&sb, "n", x, r, N);
    const char *want_head = "n  f tree  f DAG  naive tree  simplified tree  grad DAG  f+grad DAG  "
                            "f ops  forward ops  reverse ops  FD evals\n"
                            "1       8      7          12";
    ck_assert_msg(strncmp(sb_str(&sb), want_head, strlen(want_head)) == 0, "%s", sb_str(&sb));
    sb_clear(&sb);
    swell_print_sweep_json(&sb, "n", x, r, N);
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), "{\"n\": 3, \"rows\": [\n"));
    sb_free(&sb);
}
END_TEST

/* ---- the chart ----------------------------------------------------------------------- */

/* Tags balance (a stack of names), every attribute value is quoted, and no
 * raw '&' or '<' appears in text.  Returns the number of elements named
 * `count_name`. */
static int check_svg(const char *s, const char *count_name) {
    const char *stack[64];
    int depth = 0, counted = 0, seen_root = 0;
    size_t cl = strlen(count_name);
    while (*s) {
        if (*s == '&') {
            ck_assert_msg(strncmp(s, "&amp;", 5) == 0 || strncmp(s, "&lt;", 4) == 0 ||
                              strncmp(s, "&gt;", 4) == 0 || strncmp(s, "&quot;", 6) == 0 ||
                              strncmp(s, "&apos;", 6) == 0,
                          "raw '&' at %.20s", s);
            s++;
            continue;
        }
        if (*s != '<') {
            s++;
            continue;
        }
        if (s[1] == '?') {
            s = strstr(s, "?>");
            ck_assert_ptr_nonnull(s);
            s += 2;
            continue;
        }
        const char *end = strchr(s, '>');
        ck_assert_ptr_nonnull(end);
        int quotes = 0;
        for (const char *c = s; c < end; c++) {
            quotes += *c == '"';
            ck_assert_msg(c == s || *c != '<', "'<' inside a tag");
        }
        ck_assert_msg(quotes % 2 == 0, "unbalanced quotes in %.40s", s);
        if (s[1] == '/') {
            ck_assert_int_gt(depth, 0);
            const char *name = stack[--depth];
            size_t len = strcspn(name, " />");
            ck_assert_msg(strncmp(s + 2, name, len) == 0 && s[2 + len] == '>',
                          "</%.*s> expected at %.30s", (int)len, name, s);
        } else {
            const char *name = s + 1;
            size_t len = strcspn(name, " />");
            if (len == cl && strncmp(name, count_name, cl) == 0)
                counted++;
            if (depth == 0) {
                ck_assert(!seen_root && strncmp(name, "svg ", 4) == 0);
                seen_root = 1;
            }
            if (end[-1] != '/') {
                ck_assert_int_lt(depth, 64);
                stack[depth++] = name;
            }
        }
        s = end + 1;
    }
    ck_assert_int_eq(depth, 0);
    ck_assert(seen_root);
    return counted;
}

START_TEST(test_plot_svg) {
    double x[5] = {1, 2, 3, 4, 5};
    double a[5] = {0.5, 1, 1.5, 2, 2.5}, b[5] = {0, 1, NAN, 3, 4}, c[5] = {2, 2, 2, 2, 2};
    PlotSeries s[3] = {{"tree <exponential> & \"naive\"", a}, {"DAG 'linear'", b}, {"flat", c}};
    StrBuf sb, again;
    sb_init(&sb);
    sb_init(&again);
    ck_assert_int_eq(plot_svg(&sb, "swell: a < b & c", "n", "size", x, 5, s, 3), 0);
    ck_assert_int_eq(plot_svg(&again, "swell: a < b & c", "n", "size", x, 5, s, 3), 0);
    ck_assert_str_eq(sb_str(&sb), sb_str(&again)); /* deterministic */
    const char *t = sb_str(&sb);
    ck_assert_int_eq(check_svg(t, "path"), 3);
    ck_assert_int_eq(check_svg(t, "svg"), 1);
    ck_assert_ptr_nonnull(strstr(t, "xmlns=\"http://www.w3.org/2000/svg\""));
    ck_assert_ptr_nonnull(strstr(t, "tree &lt;exponential&gt; &amp; &quot;naive&quot;"));
    ck_assert_ptr_nonnull(strstr(t, "DAG &apos;linear&apos;"));
    ck_assert_ptr_nonnull(strstr(t, "swell: a &lt; b &amp; c"));
    /* y ticks are powers of ten 10^0 .. 10^4 */
    ck_assert_ptr_nonnull(strstr(t, ">10<tspan dy=\"-6\" font-size=\"9\">0</tspan>"));
    ck_assert_ptr_nonnull(strstr(t, ">10<tspan dy=\"-6\" font-size=\"9\">4</tspan>"));
    /* the NaN breaks series b into two pieces: two M commands */
    const char *pb = strstr(t, "DAG &apos;linear&apos;</title>");
    ck_assert_ptr_nonnull(pb);
    const char *d = t, *last_path = NULL;
    while ((d = strstr(d, "<path")) != NULL && d < pb)
        last_path = d++;
    ck_assert_ptr_nonnull(last_path);
    int moves = 0;
    for (const char *q = last_path; q < pb; q++)
        moves += *q == 'M';
    ck_assert_int_eq(moves, 2);
    /* distinct colours */
    ck_assert_ptr_nonnull(strstr(t, "stroke=\"#1f77b4\""));
    ck_assert_ptr_nonnull(strstr(t, "stroke=\"#d62728\""));
    ck_assert_ptr_nonnull(strstr(t, "stroke=\"#2ca02c\""));
    /* nothing external */
    ck_assert_ptr_null(strstr(t, "href"));
    ck_assert_ptr_null(strstr(t, "<script"));
    ck_assert_int_eq(plot_svg(&sb, "t", "x", "y", x, 0, s, 3), -1);
    ck_assert_int_eq(plot_svg(&sb, "t", "x", "y", NULL, 5, s, 3), -1);
    sb_free(&sb);
    sb_free(&again);
}
END_TEST

/* One point, no finite values, huge and tiny ranges: still a document. */
START_TEST(test_plot_degenerate) {
    double x1[1] = {3}, y1[1] = {5}, none[2] = {NAN, -INFINITY}, x2[2] = {1e300, 1e300};
    double big[2] = {0, 30103};
    PlotSeries one = {"one", y1}, empty = {"empty", none}, wide = {"wide", big};
    StrBuf sb;
    sb_init(&sb);
    ck_assert_int_eq(plot_svg(&sb, "", "", "", x1, 1, &one, 1), 0);
    ck_assert_int_eq(check_svg(sb_str(&sb), "circle"), 1);
    sb_clear(&sb);
    ck_assert_int_eq(plot_svg(&sb, "t", "x", "y", x2, 2, &empty, 1), 0);
    ck_assert_int_eq(check_svg(sb_str(&sb), "path"), 1);
    sb_clear(&sb);
    ck_assert_int_eq(plot_svg(&sb, "t", "x", "y", x2, 2, &wide, 1), 0);
    ck_assert_int_eq(check_svg(sb_str(&sb), "path"), 1);
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), ">30000</tspan>"));
    sb_clear(&sb);
    ck_assert_int_eq(plot_svg(&sb, "no series", "x", "y", x1, 1, NULL, 0), 0);
    ck_assert_int_eq(check_svg(sb_str(&sb), "path"), 0);
    sb_free(&sb);
}
END_TEST

/* Series equal at every point stay visible, each way they can coincide:
 * a later one equal to an earlier one (adjacent or not), three equal
 * series, equal with gaps in the same places; series equal only in part,
 * or only in their gaps, are not notes. */
typedef struct SameCase {
    int nseries;
    double y[4][5];
    int notes;   /* "(the same values as" lines in the legend */
    int bands;   /* series drawn with a band: repeated by a later one */
    int hollow;  /* series with hollow square markers: repeating an earlier one */
} SameCase;

static const SameCase same_cases[] = {
    {2, {{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}}, 1, 1, 1},
    {3, {{1, 2, 3, 4, 5}, {0, 0, 1, 1, 2}, {1, 2, 3, 4, 5}}, 1, 1, 1},
    {3, {{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}}, 2, 1, 2},
    {2, {{1, NAN, 3, 4, 5}, {1, NAN, 3, 4, 5}}, 1, 1, 1},
    {2, {{1, 2, 3, 4, 5}, {1, 2, 3, 4, 6}}, 0, 0, 0},
    {2, {{NAN, NAN, NAN, NAN, NAN}, {NAN, NAN, NAN, NAN, NAN}}, 0, 0, 0},
    {4, {{1, 2, 3, 4, 5}, {2, 3, 4, 5, 6}, {2, 3, 4, 5, 6}, {1, 2, 3, 4, 5}}, 2, 2, 2},
};

START_TEST(test_plot_coinciding) {
    const SameCase *c = &same_cases[_i];
    double x[5] = {1, 2, 3, 4, 5};
    PlotSeries s[4] = {{"forward-mode AD (ops)", c->y[0]}, {"reverse-mode AD (ops)", c->y[1]},
                       {"third", c->y[2]}, {"fourth", c->y[3]}};
    StrBuf sb;
    sb_init(&sb);
    ck_assert_int_eq(plot_svg(&sb, "t", "n", "ops", x, 5, s, c->nseries), 0);
    const char *t = sb_str(&sb);
    check_svg(t, "svg");
    ck_assert_int_eq(check_svg(t, "path"), c->nseries); /* still one path per series */
    ck_assert_int_eq(check_svg(t, "polyline"), c->bands);
    int notes = 0, hollow = 0;
    for (const char *q = t; (q = strstr(q, "(the same values as ")) != NULL; q++)
        notes++;
    for (const char *q = t; (q = strstr(q, "<g fill=\"none\"")) != NULL; q++)
        hollow++;
    ck_assert_int_eq(notes, c->notes);
    ck_assert_int_eq(hollow, c->hollow);
    if (_i == 0)
        ck_assert_ptr_nonnull(strstr(t, "(the same values as forward-mode AD (ops))</text>"));
    sb_free(&sb);
}
END_TEST

/* Sizes: the document is exactly the size asked (clamped to the range),
 * one side given keeps the default's shape, the default is unchanged. */
static const struct {
    int w, h;        /* asked                      */
    int ew, eh;      /* the document's size        */
} plot_sizes[] = {
    {1280, 720, 1280, 720}, {1024, 768, 1024, 768}, {400, 300, 400, 300},
    {200, 200, 200, 200},   {100, 50, 200, 200},    {20000, 720, 10000, 720},
    {3000, 200, 3000, 200}, {200, 3000, 200, 3000},
};

START_TEST(test_plot_sized) {
    double x[5] = {1, 2, 3, 4, 5}, y[5] = {0.5, 1, 1.5, 2, 2.5};
    PlotSeries s[2] = {{"a line with a long enough label", y}, {"again", y}};
    StrBuf sb;
    sb_init(&sb);
    ck_assert_int_eq(plot_svg_sized(&sb, "t", "n", "size", x, 5, s, 2, plot_sizes[_i].w, plot_sizes[_i].h), 0);
    check_svg(sb_str(&sb), "svg");
    char head[96];
    snprintf(head, sizeof head, "width=\"%d\" height=\"%d\" viewBox=\"0 0 ", plot_sizes[_i].ew,
             plot_sizes[_i].eh);
    ck_assert_msg(strstr(sb_str(&sb), head), "%d x %d: %.300s", plot_sizes[_i].w, plot_sizes[_i].h,
                  sb_str(&sb));
    /* the viewBox has the document's shape: the layout is scaled, not cut */
    double vw, vh;
    ck_assert_int_eq(sscanf(strstr(sb_str(&sb), "viewBox=\"0 0 ") + 13, "%lf %lf", &vw, &vh), 2);
    ck_assert_double_eq_tol(vw / vh, (double)plot_sizes[_i].ew / plot_sizes[_i].eh, 0.01);
    sb_free(&sb);
}
END_TEST

/* x ticks: whole numbers for whole-number x (a sweep of a repeat count),
 * fractions where x has them. */
START_TEST(test_plot_whole_ticks) {
    double xw[4] = {1, 2, 3, 4}, xf[4] = {1, 1.25, 1.5, 1.75}, y[4] = {1, 2, 3, 4};
    PlotSeries s = {"one", y};
    StrBuf sb;
    sb_init(&sb);
    ck_assert_int_eq(plot_svg(&sb, "t", "n", "size", xw, 4, &s, 1), 0);
    ck_assert_ptr_null(strstr(sb_str(&sb), ">1.5</text>"));
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), ">2</text>"));
    sb_clear(&sb);
    ck_assert_int_eq(plot_svg(&sb, "t", "n", "size", xf, 4, &s, 1), 0);
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), ">1.5</text>"));
    sb_free(&sb);
}
END_TEST

START_TEST(test_plot_default_size) {
    double x[3] = {1, 2, 3}, y[3] = {1, 2, 3};
    PlotSeries s = {"one", y};
    StrBuf a, b, w;
    sb_init(&a);
    sb_init(&b);
    sb_init(&w);
    ck_assert_int_eq(plot_svg(&a, "t", "n", "size", x, 3, &s, 1), 0);
    ck_assert_int_eq(plot_svg_sized(&b, "t", "n", "size", x, 3, &s, 1, 0, 0), 0);
    ck_assert_str_eq(sb_str(&a), sb_str(&b));
    int dw, dh;
    ck_assert_int_eq(sscanf(strstr(sb_str(&a), "width=\""), "width=\"%d\" height=\"%d\"", &dw, &dh), 2);
    /* one side: the other keeps the default's proportions */
    ck_assert_int_eq(plot_svg_sized(&w, "t", "n", "size", x, 3, &s, 1, 2 * dw, 0), 0);
    char head[64];
    snprintf(head, sizeof head, "width=\"%d\" height=\"%d\"", 2 * dw, 2 * dh);
    ck_assert_ptr_nonnull(strstr(sb_str(&w), head));
    sb_free(&a);
    sb_free(&b);
    sb_free(&w);
}
END_TEST

START_TEST(test_swell_plot) {
    enum { N = 12 };
    SwellReport r[N];
    double x[N];
    for (int n = 1; n <= N; n++) {
        measure_logistic(n, 0.3, &r[n - 1]);
        x[n - 1] = n;
    }
    StrBuf sb;
    sb_init(&sb);
    ck_assert_int_eq(swell_plot_svg(&sb, "logistic map", "n", x, r, N, SWELL_PLOT_DEFAULT), 0);
    ck_assert_int_eq(check_svg(sb_str(&sb), "path"), 7);
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), ">naive symbolic (tree) (nodes)</text>"));
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), ">reverse-mode AD (ops)</text>"));
    /* one variable: forward and reverse mode cost the same, and both show */
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), "(the same values as forward-mode AD (ops))"));
    ck_assert_int_eq(check_svg(sb_str(&sb), "polyline"), 1);
    sb_clear(&sb);
    ck_assert_int_eq(swell_plot_svg(&sb, "all", "n", x, r, N, ~0u), 0);
    ck_assert_int_eq(check_svg(sb_str(&sb), "path"), SWELL_NROWS);
    sb_free(&sb);
}
END_TEST

Suite *swell_suite(void) {
    Suite *s = suite_create("swell");
    TCase *tc = tcase_create("counts");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_hand_counts, 0, (int)(sizeof hand / sizeof *hand));
    tcase_add_loop_test(tc, test_brute_force, 0, (int)(sizeof brute / sizeof *brute));
    tcase_add_test(tc, test_logistic_small);
    tcase_add_test(tc, test_logistic_recurrence);
    tcase_add_test(tc, test_growth);
    tcase_add_test(tc, test_huge_counts);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("deep");
    tcase_set_timeout(tc, 600); /* valgrind is slow on 300000 nodes */
    tcase_add_test(tc, test_deep);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_loop_test(tc, test_values_agree, 0, (int)(sizeof valued / sizeof *valued));
    tcase_add_test(tc, test_forward_vs_reverse);
    tcase_add_test(tc, test_no_point);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_table_and_json);
    tcase_add_test(tc, test_sweep_output);
    tcase_add_test(tc, test_plot_svg);
    tcase_add_test(tc, test_plot_degenerate);
    tcase_add_test(tc, test_swell_plot);
    tcase_add_loop_test(tc, test_plot_coinciding, 0, (int)(sizeof same_cases / sizeof *same_cases));
    tcase_add_loop_test(tc, test_plot_sized, 0, (int)(sizeof plot_sizes / sizeof *plot_sizes));
    tcase_add_test(tc, test_plot_default_size);
    tcase_add_test(tc, test_plot_whole_ticks);
    suite_add_tcase(s, tc);
    return s;
}
