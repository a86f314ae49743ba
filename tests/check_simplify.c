/* SPDX-License-Identifier: MIT */
/*
 * check_simplify.c — the hash-consed DAG (src/dag.c) and the smart
 * constructors that simplify as they build (src/simplify.c).
 *
 * Golden tables {program, printed simplified form} for constant folding,
 * the identities and the guarded rules that must NOT fire; the refusal to
 * fold undefined constants; and value preservation: for a corpus of
 * programs with a hand-written C twin, the simplified DAG evaluates to what
 * the C function computes wherever the C value is finite.
 *
 * Regression tests for fixed engine bugs are marked FIXED (build
 * with CFLAGS='-O2 -g -DSHOW_KNOWN_LIMITATIONS' to run it); each block says what
 * is wrong.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "deriv.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "print.h"
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

static const Shape scalar = {.rank = 0};
static const char *const xy[] = {"x", "y"};

/* Parses and lowers `text` into g with the variables `vars` (in this
 * order; NULL: by first appearance).  Returns 0, or -1 with the
 * diagnostics appended to *errors (when not NULL). */
static int lower_into(Graph *g, const char *text, const char *const *vars, int nvars, Program *p,
                      StrBuf *errors) {
    Source src = {"<test>", text, strlen(text)};
    Diag d;
    diag_init(&d, &src);
    AstArena arena = {NULL};
    memset(p, 0, sizeof *p);
    Ast *ast = parse_program(&arena, &d);
    int status = -1;
    if (ast) {
        LowerOptions opt = {.vars = vars, .nvars = nvars};
        status = lower_program(g, ast, &d, &opt, p);
    }
    if (errors)
        sb_puts(errors, sb_str(&d.out));
    ast_arena_free(&arena);
    diag_free(&d);
    return status;
}

/* The single output of `text`, which must lower without errors. */
static Node *lower1(Graph *g, const char *text, const char *const *vars, int nvars) {
    Program p;
    StrBuf err;
    sb_init(&err);
    int status = lower_into(g, text, vars, nvars, &p, &err);
    ck_assert_msg(status == 0, "'%s' does not lower:\n%s", text, sb_str(&err));
    ck_assert_int_eq(p.noutputs, 1);
    Node *n = p.outputs[0];
    ck_assert_ptr_nonnull(n);
    program_free(&p);
    sb_free(&err);
    return n;
}

static const char *show(StrBuf *sb, const Graph *g, const Node *n) {
    sb_clear(sb);
    print_expr(sb, g, n, PRINT_INFIX);
    return sb_str(sb);
}

static Node *var(Graph *g, const char *name) {
    return graph_var_node(g, graph_add_var(g, name, VAR_PARAM, scalar));
}

/* Every node's id is its index, and its arguments were made before it. */
static void assert_topological(const Graph *g) {
    for (size_t i = 0; i < g->nnodes; i++) {
        const Node *n = g->nodes[i];
        ck_assert_uint_eq(n->id, i);
        for (int k = 0; k < n->nargs; k++)
            ck_assert_uint_lt(n->args[k]->id, n->id);
    }
}

/* splitmix64: a small deterministic generator for the random points. */
static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s, double lo, double hi) {
    return lo + (hi - lo) * (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- hash-consing ------------------------------------------------------------ */

START_TEST(test_simplify_hash_consing) {
    Graph *g = graph_new();
    Node *x = var(g, "x"), *y = var(g, "y");
    ck_assert_ptr_eq(x, var(g, "x")); /* adding a variable twice: the same */

    /* the same expression built twice is the same node, without new nodes */
    Node *a = dag_add(g, dag_mul(g, x, y), dag_call1(g, BI_SIN, x));
    size_t before = g->nnodes;
    Node *b = dag_add(g, dag_mul(g, x, y), dag_call1(g, BI_SIN, x));
    ck_assert_ptr_eq(a, b);
    ck_assert_uint_eq(g->nnodes, before);
    /* operands of + and * in any order */
    ck_assert_ptr_eq(dag_add(g, x, y), dag_add(g, y, x));
    ck_assert_ptr_eq(dag_mul(g, x, y), dag_mul(g, y, x));
    ck_assert_ptr_eq(a, dag_add(g, dag_call1(g, BI_SIN, x), dag_mul(g, y, x)));
    Node *t3[3] = {x, y, dag_int(g, 3)}, *t3r[3] = {dag_int(g, 3), y, x};
    ck_assert_ptr_eq(dag_add_n(g, t3, 3), dag_add_n(g, t3r, 3));
    ck_assert_ptr_eq(dag_mul_n(g, t3, 3), dag_mul_n(g, t3r, 3));
    /* associativity: flat sums and products */
    ck_assert_ptr_eq(dag_add(g, dag_add(g, x, y), dag_int(g, 3)),
                     dag_add(g, x, dag_add(g, y, dag_int(g, 3))));
    ck_assert_ptr_eq(dag_mul(g, dag_mul(g, x, y), dag_int(g, 3)),
                     dag_mul(g, x, dag_mul(g, y, dag_int(g, 3))));
    /* constants by value: 4/2 is 2, 0.5 is 1/2 */
    ck_assert_ptr_eq(dag_int(g, 2), dag_num(g, num_rat(4, 2)));
    ck_assert_ptr_eq(dag_num(g, num_double(0.5)), dag_num(g, num_rat(1, 2)));
    /* ... but the double nearest 0.1 is not 1/10 */
    Num d01;
    ck_assert_int_eq(num_parse("0.10000000000000001", &d01), NUM_OK);
    ck_assert_ptr_ne(dag_num(g, d01), dag_num(g, num_rat(1, 10)));
    /* different structure, different nodes */
    ck_assert_ptr_ne(dag_add(g, x, y), dag_mul(g, x, y));
    ck_assert_ptr_ne(dag_call1(g, BI_SIN, x), dag_call1(g, BI_COS, x));
    ck_assert_ptr_ne(dag_pow(g, x, y), dag_pow(g, y, x));
    ck_assert_ptr_eq(dag_pow(g, x, dag_int(g, 2)), dag_mul(g, x, x));

    /* the same through the parser and lowering, in one graph */
    const char *const same[][2] = {
        {"x*y + sin(x)", "sin(x) + y*x"},
        {"x + y", "y + x"},
        {"(x + y)^2", "(y + x)^2"},
        {"2*x + 3*x", "5*x"},
        {"x*x*y", "y*x^2"},
        {"1/x", "x^-1"},
        {"x - y", "-y + x"},
        {"sqrt(x)", "x^(1/2)"},
        {"sqrt(x)", "x^0.5"},
        {"ln(x)", "log(x)"},
        {"pow(x, 3)", "x^3"},
        {"e^x", "exp(x)"},
        {"x/2", "0.5*x"},
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        Node *p = lower1(g, same[i][0], xy, 2), *q = lower1(g, same[i][1], xy, 2);
        ck_assert_msg(p == q, "'%s' and '%s' are different nodes", same[i][0], same[i][1]);
        ck_assert_ptr_eq(p, lower1(g, same[i][0], xy, 2));
    }
    assert_topological(g);
    graph_free(g);
}
END_TEST

START_TEST(test_simplify_ids_increase) {
    Graph *g = graph_new();
    Node *x = var(g, "x");
    uint32_t last = x->id;
    /* each new node gets the next id */
    Node *chain = x;
    for (int i = 0; i < 50; i++) {
        size_t n0 = g->nnodes;
        chain = dag_call1(g, i % 2 ? BI_SIN : BI_COS, chain);
        ck_assert_uint_eq(chain->id, n0);
        ck_assert_uint_gt(chain->id, last);
        last = chain->id;
    }
    /* a logistic map of 200 steps is a chain of shared nodes: its DAG is
     * linear while its tree is astronomically large */
    Node *f = lower1(g, "l = x; repeat 200 { l = 4*l*(1 - l) } l", xy, 1);
    size_t count = dag_count(g, &f, 1);
    ck_assert_uint_le(count, 200 * 4 + 2);
    ck_assert_uint_ge(count, 200);
    ck_assert(dag_tree_size(g, &f, 1) > 1e50);
    assert_topological(g);
    graph_free(g);
}
END_TEST

/* ---- golden tables ------------------------------------------------------------ */

typedef struct {
    const char *input, *expected;
} Golden;

/* Lowers each input into a fresh graph and compares the printed form; all
 * failures are reported at once. */
static void check_golden(const Golden *cases, size_t n) {
    StrBuf sb, fail;
    sb_init(&sb);
    sb_init(&fail);
    int nfail = 0;
    for (size_t i = 0; i < n; i++) {
        Graph *g = graph_new();
        Node *f = lower1(g, cases[i].input, NULL, 0);
        const char *got = show(&sb, g, f);
        if (strcmp(got, cases[i].expected) != 0) {
            nfail++;
            sb_printf(&fail, "\n  %-22s expected %-22s got %s", cases[i].input, cases[i].expected,
                      got);
        }
        graph_free(g);
    }
    ck_assert_msg(nfail == 0, "%d of %zu simplified forms differ:%s", nfail, n, sb_str(&fail));
    sb_free(&sb);
    sb_free(&fail);
}

#define CHECK_GOLDEN(table) check_golden(table, sizeof table / sizeof table[0])

static const Golden folding[] = {
    {"1/3 + 1/6", "1/2"},
    {"1/3 + 1/3", "2/3"},
    {"0.1 + 0.2", "3/10"},
    {"(1/3)*3", "1"},
    {"2^10", "1024"},
    {"2^-10", "1/1024"},
    {"(-2)^3", "-8"},
    {"8^(1/3)", "2"},
    {"(4/9)^(1/2)", "2/3"},
    {"sqrt(16)", "4"},
    {"2^(1/2)", "sqrt(2)"},
    {"sqrt(2)*sqrt(2)", "2"},
    {"sqrt(8)", "sqrt(8)"},
    {"exp(0)", "1"},
    {"log(1)", "0"},
    {"sin(0)", "0"},
    {"cos(0)", "1"},
    {"tanh(0)", "0"},
    {"sigmoid(0)", "1/2"},
    {"relu(-3)", "0"},
    {"relu(3)", "3"},
    {"abs(-5/2)", "5/2"},
    {"max(2, 3)", "3"},
    {"min(2, 3)", "2"},
    {"sign(-4)", "-1"},
    {"step(0)", "0"},
    {"step(0, 1/2)", "1/2"},
    {"ifpos(-1, 2, 3)", "3"},
    {"1e3*1e-3", "1"},
    {"3 - 3", "0"},
    {"2*3*x", "6*x"},
    {"x*2/4", "x/2"},
    {"(1/2)*(2/3)*x", "x/3"},
    {"9223372036854775807 + 1", "9.223372036854776e+18"},
    {"exp(1)", "e"},
    {"pi", "pi"},
};

static const Golden identities[] = {
    {"x + 0", "x"},
    {"0 + x", "x"},
    {"x*1", "x"},
    {"1*x", "x"},
    {"x*0", "0"},
    {"x^1", "x"},
    {"x^0", "1"},
    {"--x", "x"},
    {"-(-x)", "x"},
    {"-(-(-x))", "-x"},
    {"x - x", "0"},
    {"x + y - x", "y"},
    {"2*x + 3*x", "5*x"},
    {"2*x - 2*x", "0"},
    {"x/2 + x/2", "x"},
    {"0.1*x + 0.2*x", "3*x/10"},
    {"3*(x + 1) - 3*x", "3"},
    {"x*x", "x^2"},
    {"x*x*x", "x^3"},
    {"x^2*x^3", "x^5"},
    {"x*2*x*3", "6*x^2"},
    {"x*y*x*y*x", "x^3*y^2"},
    {"(x^2)^3", "x^6"},
    {"(x*y)^2", "x^2*y^2"},
    {"(2*x)^-1", "1/(2*x)"},
    {"(2*x)^2", "4*x^2"},
    {"(-x)^2", "x^2"},
    {"-x^2", "-x^2"},
    {"exp(x)^2", "exp(2*x)"},
    {"1/(1/x)", "1/(1/x)"},
    {"2*x*y + 4*x", "2*x*(2 + y)"},
    {"a*x + a*y", "a*(x + y)"},
    {"x^2 + x^3", "x^2*(1 + x)"},
    {"abs(abs(x))", "abs(x)"},
    {"max(x, x)", "x"},
    {"min(x, x)", "x"},
    {"ifpos(y, x, x)", "x"},
    {"1^x", "1"},
    {"e^x", "exp(x)"},
    {"exp(x)^y", "exp(x*y)"},
    {"log(exp(x))", "x"}, /* ln(e^x) = x for every x (and no overflow) */
};

/* Rewrites that would make an expression defined where it was not, or
 * change its value: none may fire without domain facts. */
static const Golden guarded[] = {
    {"x/x", "x/x"},
    {"x*x^-1", "x/x"},
    {"x^2/x", "x^2/x"},
    {"x^3/x^2", "x^2/x"}, /* x^1 needs the guard x^-1 */
    {"x*y/y", "x*y/y"},
    {"(x + 1)^2/(x + 1)", "(1 + x)^2/(1 + x)"},
    {"sqrt(x^2)", "sqrt(x^2)"},
    {"(x^2)^(1/2)", "sqrt(x^2)"},
    {"sqrt(x)^2", "sqrt(x)^2"},
    {"(x^(1/2))^2", "sqrt(x)^2"},
    {"(x^3)^(1/3)", "(x^3)^(1/3)"},
    {"exp(log(x))", "exp(ln(x))"},
    {"log(x^2)", "ln(x^2)"},
    {"abs(x)^2", "abs(x)^2"},
    {"x^y*x", "x*x^y"},
    {"sin(x)^2 + cos(x)^2", "sin(x)^2 + cos(x)^2"},
};

START_TEST(test_simplify_folding) { CHECK_GOLDEN(folding); }
END_TEST

START_TEST(test_simplify_identities) { CHECK_GOLDEN(identities); }
END_TEST

START_TEST(test_simplify_guarded_rules) {
    CHECK_GOLDEN(guarded);
    /* structurally too: x/x is a product, not the constant 1 */
    Graph *g = graph_new();
    Node *x = var(g, "x");
    Node *q = dag_div(g, x, x);
    ck_assert_int_eq(q->kind, EX_MUL);
    ck_assert_ptr_eq(dag_mul(g, x, dag_pow(g, x, dag_int(g, -1))), q);
    /* and it evaluates to NaN at 0, like the original */
    double at0[1] = {0};
    ck_assert(isnan(eval_node(g, q, at0)));
    graph_free(g);
}
END_TEST

/* Exact folds are exact: the constant is the rational, not a double. */
START_TEST(test_simplify_folds_exactly) {
    Graph *g = graph_new();
    Node *n = lower1(g, "1/3 + 1/6", NULL, 0);
    ck_assert_int_eq(n->kind, EX_CONST);
    ck_assert(n->num[0].is_rat && n->num[0].p == 1 && n->num[0].q == 2);
    n = lower1(g, "0.1 + 0.2", NULL, 0);
    ck_assert(n->kind == EX_CONST && n->num[0].is_rat && n->num[0].p == 3 && n->num[0].q == 10);
    n = lower1(g, "(4/9)^(1/2)", NULL, 0);
    ck_assert(n->kind == EX_CONST && n->num[0].is_rat && n->num[0].p == 2 && n->num[0].q == 3);
    /* an irrational power stays a power */
    n = lower1(g, "2^(1/2)", NULL, 0);
    ck_assert_int_eq(n->kind, EX_POW);
    ck_assert_close(eval_node(g, n, NULL), sqrt(2.0), 1e-15);
    /* the coefficient of a collected sum is exact */
    n = lower1(g, "x/3 + x/6", xy, 1);
    ck_assert_int_eq(n->kind, EX_MUL);
    ck_assert_int_eq(n->args[0]->kind, EX_CONST);
    ck_assert(n->args[0]->num[0].is_rat && n->args[0]->num[0].p == 1 && n->args[0]->num[0].q == 2);
    graph_free(g);
}
END_TEST

/* With domain facts (a derivative request's assumptions, in force while it
 * is built) the guarded rules may fire; before and after the request the
 * same constructor calls give the same nodes as ever. */
START_TEST(test_simplify_with_facts) {
    StrBuf sb;
    sb_init(&sb);
    Graph *g = graph_new();
    Node *f = lower1(g, "log(x) + 1/y", xy, 2);
    Node *x = graph_var_node(g, 0), *y = graph_var_node(g, 1);
    Node *logx = dag_call1(g, BI_LOG, x);
    /* before: exp(log(x)) and y/y stay */
    Node *e1 = dag_call1(g, BI_EXP, logx), *q1 = dag_div(g, y, y);
    ck_assert_str_eq(show(&sb, g, e1), "exp(ln(x))");
    ck_assert_str_eq(show(&sb, g, q1), "y/y");
    DerivOptions dopt = {.assume_domain = 1, .domain = &f, .ndomain = 1};
    DerivScope scope;
    ck_assert_int_eq(deriv_scope_begin(g, &dopt, NULL, 0, &scope), 0);
    /* during: x > 0 and y != 0 where f is defined */
    ck_assert_ptr_eq(dag_call1(g, BI_EXP, logx), x);
    ck_assert_ptr_eq(dag_div(g, y, y), dag_int(g, 1));
    ck_assert_ptr_eq(dag_call1(g, BI_ABS, x), x);
    ck_assert_str_eq(show(&sb, g, dag_div(g, dag_pow(g, y, dag_int(g, 3)), y)), "y^2");
    /* facts about x say nothing about y's sign: sqrt(y^2) stays */
    Node *s = dag_pow(g, dag_pow(g, y, dag_int(g, 2)), dag_num(g, num_rat(1, 2)));
    ck_assert_str_eq(show(&sb, g, s), "sqrt(y^2)");
    /* and nothing at all about a variable f does not constrain */
    Node *z = var(g, "z");
    ck_assert_str_eq(show(&sb, g, dag_div(g, z, z)), "z/z");
    ck_assert_str_eq(show(&sb, g, dag_call1(g, BI_EXP, dag_call1(g, BI_LOG, z))), "exp(ln(z))");
    deriv_scope_end(g, &scope);
    /* after: the graph assumes nothing */
    ck_assert_ptr_eq(dag_call1(g, BI_EXP, logx), e1);
    ck_assert_ptr_eq(dag_div(g, y, y), q1);
    ck_assert_str_eq(show(&sb, g, dag_div(g, dag_pow(g, y, dag_int(g, 3)), y)), "y^3/y");
    /* nor does a request: its entry point applies them for its own duration */
    Node *dx;
    ck_assert_int_eq(deriv_gradient(g, f, (int[]){0}, 1, &dopt, &dx, NULL), 0);
    ck_assert_str_eq(show(&sb, g, dx), "1/x");
    ck_assert_ptr_eq(dag_call1(g, BI_EXP, logx), e1);
    ck_assert_ptr_eq(dag_div(g, y, y), q1);
    graph_free(g);
    sb_free(&sb);
}
END_TEST

/* ---- no folding into NaN or infinity ------------------------------------------- */

static const char *const domain_errors[] = {
    "1/0",        "0/0",         "0^-1",          "x + 0^-2",        "log(-1)",
    "log(0)",     "log2(-2)",    "sqrt(-2)",      "(-8)^(1/3)",      "asin(2)",
    "acos(-3/2)", "10^400",      "1e300*1e300",   "exp(1000)",       "x*(1/0)",
    "0*(1/0)",    "0*log(-1)",   "(1/0)^0",       "x - x + 0^-1",    "log(-1) - log(-1)",
    "a = 1/0; x", "y = log(0); 2*x",
};

START_TEST(test_simplify_never_folds_nan_or_inf) {
    for (size_t i = 0; i < sizeof domain_errors / sizeof *domain_errors; i++) {
        Graph *g = graph_new();
        Program p;
        StrBuf err;
        sb_init(&err);
        int status = lower_into(g, domain_errors[i], NULL, 0, &p, &err);
        ck_assert_msg(status == -1, "'%s' lowered without an error", domain_errors[i]);
        ck_assert_msg(strstr(sb_str(&err), "domain error") != NULL,
                      "'%s': expected a domain error, got:\n%s", domain_errors[i], sb_str(&err));
        ck_assert_ptr_null(p.outputs);
        sb_free(&err);
        graph_free(g);
    }

    /* the constructors keep undefined constants symbolic */
    Graph *g = graph_new();
    Node *zero = dag_int(g, 0), *one = dag_int(g, 1), *m1 = dag_int(g, -1);
    Num big = num_double(1e300), huge = num_double(1.5e308);
    Node *undefined[] = {
        dag_div(g, one, zero),
        dag_pow(g, zero, m1),
        dag_pow(g, zero, dag_num(g, num_rat(-1, 2))),
        dag_call1(g, BI_LOG, m1),
        dag_call1(g, BI_LOG, zero),
        dag_call1(g, BI_LOG10, dag_int(g, -10)),
        dag_call1(g, BI_ASIN, dag_int(g, 2)),
        dag_call1(g, BI_ACOS, dag_int(g, -2)),
        dag_pow(g, dag_int(g, -8), dag_num(g, num_rat(1, 3))),
        dag_pow(g, dag_int(g, 10), dag_int(g, 400)),
        dag_mul(g, dag_num(g, big), dag_num(g, big)),
        dag_add(g, dag_num(g, huge), dag_num(g, huge)),
        dag_call1(g, BI_EXP, dag_int(g, 1000)),
    };
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < sizeof undefined / sizeof *undefined; i++) {
        Node *n = undefined[i];
        ck_assert_ptr_nonnull(n);
        ck_assert_msg(n->kind != EX_CONST, "case %zu folded to the constant %s", i,
                      show(&sb, g, n));
        double v = eval_node(g, n, NULL);
        ck_assert_msg(!isfinite(v), "case %zu (%s) evaluates to %g", i, show(&sb, g, n), v);
    }
    /* inexact results are kept symbolic too, but are finite */
    Node *r2 = dag_pow(g, dag_int(g, 2), dag_num(g, num_rat(1, 2)));
    ck_assert_int_eq(r2->kind, EX_POW);
    sb_free(&sb);
    graph_free(g);
}
END_TEST

/* A documented exception to the domain rule (README, "Simplification"):
 * x*0, u - u and u^0 fold to constants even where u is undefined, as in
 * every computer algebra system; without them derivatives would be full of
 * 0*(...) debris.  Division-based cancellation (x/x) stays guarded. */
static const Golden domain_extending[] = {
    {"0*log(x)", "0"},
    {"log(x) - log(x)", "0"},
    {"(1/x)^0", "1"},
    {"0*sqrt(x)", "0"},
    {"x/x", "x/x"},
};

START_TEST(test_simplify_domain_extending_rules) { CHECK_GOLDEN(domain_extending); }
END_TEST


/* ---- value preservation ----------------------------------------------------------- */

static double h_sigmoid(double t) { return 1.0 / (1.0 + exp(-t)); }
static double h_softplus(double t) { return log1p(exp(t)); }
static double h_relu(double t) { return t > 0 ? t : 0.0; }
static double h_step(double t) { return t > 0 ? 1.0 : 0.0; }
static double h_sign(double t) { return t > 0 ? 1.0 : t < 0 ? -1.0 : 0.0; }
static double h_leaky(double t, double a) { return t > 0 ? t : a * t; }
static double h_elu(double t, double a) { return t > 0 ? t : a * (exp(t) - 1.0); }
static double h_ifpos(double c, double a, double b) { return c > 0 ? a : b; }

/* X(id, program, C expression in x and y) */
#define CORPUS(X)                                                                     \
    X(c00, "x + 0", x + 0)                                                            \
    X(c01, "x*1", x * 1)                                                              \
    X(c02, "x*0", x * 0)                                                              \
    X(c03, "x^1", x)                                                                  \
    X(c04, "x^0", pow(x, 0))                                                          \
    X(c05, "-(-x)", -(-x))                                                            \
    X(c06, "x - x", x - x)                                                            \
    X(c07, "2*x + 3*x", 2 * x + 3 * x)                                                \
    X(c08, "x*x", x * x)                                                              \
    X(c09, "(2*x)^-1", 1 / (2 * x))                                                   \
    X(c10, "x/x", x / x)                                                              \
    X(c11, "sqrt(x^2)", sqrt(x * x))                                                  \
    X(c12, "x*x^-1", x * (1 / x))                                                     \
    X(c13, "log(exp(x))", log(exp(x)))                                                \
    X(c14, "exp(log(x))", exp(log(x)))                                                \
    X(c15, "1/3 + 1/6 + x", 1.0 / 3 + 1.0 / 6 + x)                                    \
    X(c16, "(x + y)^2 - (x - y)^2", pow(x + y, 2) - pow(x - y, 2))                    \
    X(c17, "x*y/y", x * y / y)                                                        \
    X(c18, "2*x*y + 4*x", 2 * x * y + 4 * x)                                          \
    X(c19, "x*(y + 1) - x*y", x * (y + 1) - x * y)                                    \
    X(c20, "(x^2)^(1/2)", sqrt(x * x))                                                \
    X(c21, "(x^(1/2))^2", pow(sqrt(x), 2))                                            \
    X(c22, "x^(1/2)*x^(1/2)", sqrt(x) * sqrt(x))                                      \
    X(c23, "x^2*x^-1", x * x / x)                                                     \
    X(c24, "x^3/x^2", x * x * x / (x * x))                                            \
    X(c25, "(x*y)^2/(x*y)", (x * y) * (x * y) / (x * y))                              \
    X(c26, "exp(x)*exp(-x)", exp(x) * exp(-x))                                        \
    X(c27, "exp(x)^2", pow(exp(x), 2))                                                \
    X(c28, "sin(x)^2 + cos(x)^2", pow(sin(x), 2) + pow(cos(x), 2))                    \
    X(c29, "log(x^2)", log(x * x))                                                    \
    X(c30, "2*log(x)", 2 * log(x))                                                    \
    X(c31, "sqrt(x)*sqrt(y)", sqrt(x) * sqrt(y))                                      \
    X(c32, "sqrt(x*y)", sqrt(x * y))                                                  \
    X(c33, "1/(1/x)", 1 / (1 / x))                                                    \
    X(c34, "x^-2*x^2", pow(x, -2) * x * x)                                            \
    X(c35, "(x + 1)^2/(x + 1)", pow(x + 1, 2) / (x + 1))                              \
    X(c36, "x^y", pow(x, y))                                                          \
    X(c37, "x^y*x^2", pow(x, y) * x * x)                                              \
    X(c38, "2^x*2^x", pow(2, x) * pow(2, x))                                          \
    X(c39, "(x^3)^(1/3)", pow(x * x * x, 1.0 / 3))                                    \
    X(c40, "x^(2/3)", pow(x, 2.0 / 3))                                                \
    X(c41, "(-x)^2", (-x) * (-x))                                                     \
    X(c42, "-x^2", -(x * x))                                                          \
    X(c43, "abs(-x)", fabs(-x))                                                       \
    X(c44, "abs(x)^2", fabs(x) * fabs(x))                                             \
    X(c45, "max(x, y) + min(x, y)", fmax(x, y) + fmin(x, y))                          \
    X(c46, "max(x, x)", x)                                                            \
    X(c47, "relu(x) - relu(-x)", h_relu(x) - h_relu(-x))                              \
    X(c48, "sigmoid(x) + sigmoid(-x)", h_sigmoid(x) + h_sigmoid(-x))                  \
    X(c49, "2*tanh(x)", 2 * tanh(x))                                                  \
    X(c50, "softplus(x) - softplus(-x)", h_softplus(x) - h_softplus(-x))              \
    X(c51, "step(x)*x", h_step(x) * x)                                                \
    X(c52, "sign(x)*abs(x)", h_sign(x) * fabs(x))                                     \
    X(c53, "ifpos(x, y, -y)", h_ifpos(x, y, -y))                                      \
    X(c54, "leaky_relu(x, 0.1)", h_leaky(x, 0.1))                                     \
    X(c55, "elu(x, 2)", h_elu(x, 2))                                                  \
    X(c56, "atan(x/y)", atan(x / y))                                                  \
    X(c57, "asin(x/10)", asin(x / 10))                                                \
    X(c58, "acos(x/10)", acos(x / 10))                                                \
    X(c59, "sinh(x) - cosh(x)", sinh(x) - cosh(x))                                    \
    X(c60, "log2(x) + log10(y)", log2(x) + log10(y))                                  \
    X(c61, "x*y*x*y*x", x * y * x * y * x)                                            \
    X(c62, "(x + y)*(x + y)", (x + y) * (x + y))                                      \
    X(c63, "3*(x + 1) - 3*x", 3 * (x + 1) - 3 * x)                                    \
    X(c64, "x/2 + x/2", x / 2 + x / 2)                                                \
    X(c65, "0.1*x + 0.2*x", 0.1 * x + 0.2 * x)                                        \
    X(c66, "x^2 - 2*x*y + y^2", x * x - 2 * x * y + y * y)                            \
    X(c67, "exp(x + y)/exp(y)", exp(x + y) / exp(y))                                  \
    X(c68, "pi*x", 3.14159265358979323846 * x)                                        \
    X(c69, "e^x", exp(x))                                                             \
    X(c70, "2^10*x", 1024 * x)                                                        \
    X(c71, "1/x + 1/y", 1 / x + 1 / y)                                                \
    X(c72, "(x*y)^-1*x", 1 / (x * y) * x)                                             \
    X(c73, "tan(x)", tan(x))                                                          \
    X(c74, "cos(-x)", cos(-x))                                                        \
    X(c75, "4*x*(1 - x)", 4 * x * (1 - x))                                            \
    X(c76, "x^2 + x^3", x * x + x * x * x)                                            \
    X(c77, "a = x + 1; b = a*a; b - a^2 + a", (x + 1))                                \
    X(c78, "-(x - y) + x", y)                                                         \
    X(c79, "2*(x + y) - (x + 2*y)", 2 * (x + y) - (x + 2 * y))                        \
    X(c80, "(x - 1)*(x + 1)/(x - 1)", (x - 1) * (x + 1) / (x - 1))                    \
    X(c81, "x^-1*x^-1", 1 / (x * x))                                                  \
    X(c82, "exp(x)^y", exp(x * y)) /* not pow(exp(x), y): underflow */               \
    X(c83, "sqrt(x)^3", pow(sqrt(x), 3))                                              \
    X(c84, "x^(1/3)*x^(2/3)", pow(x, 1.0 / 3) * pow(x, 2.0 / 3))                      \
    X(c85, "(x^(-1/2))^-2", pow(pow(x, -0.5), -2))

#define DEFINE_TWIN(id, text, expr)                                                   \
    static double id(double x, double y) {                                            \
        (void)x;                                                                      \
        (void)y;                                                                      \
        return (expr);                                                                \
    }
CORPUS(DEFINE_TWIN)

typedef struct {
    const char *text;
    double (*twin)(double x, double y);
} Twin;

#define TWIN_ENTRY(id, text, expr) {text, id},
static const Twin corpus[] = {CORPUS(TWIN_ENTRY)};

/* Evaluates each program's simplified DAG against its C twin at special
 * points (0, +-1, +-1e3, ...) and random ones, wherever the twin is finite. */
static void check_twins(const Twin *cases, size_t ncases, int min_points) {
    static const double special[] = {0, 1, -1, 1e3, -1e3, 0.5, -0.5, 2, -3, 1e-8};
    const int nspecial = (int)(sizeof special / sizeof *special);
    const int nrandom = 300;
    uint64_t seed = 20240601;
    StrBuf sb;
    sb_init(&sb);
    int compared = 0;
    for (size_t i = 0; i < ncases; i++) {
        Graph *g = graph_new();
        Node *f = lower1(g, cases[i].text, xy, 2);
        int here = 0;
        for (int k = 0; k < nspecial * nspecial + nrandom; k++) {
            double pt[2];
            if (k < nspecial * nspecial) {
                pt[0] = special[k / nspecial];
                pt[1] = special[k % nspecial];
            } else {
                double r = k % 3 == 0 ? 50 : 5;
                pt[0] = rng_uniform(&seed, -r, r);
                pt[1] = rng_uniform(&seed, -r, r);
            }
            double want = cases[i].twin(pt[0], pt[1]);
            if (!isfinite(want))
                continue; /* undefined there: the DAG may give anything */
            double got = eval_node(g, f, pt);
            double scale = fmax(1.0, fmax(fabs(want), fabs(got)));
            ck_assert_msg(fabs(got - want) <= 1e-12 * scale,
                          "'%s' simplified to %s: at x = %.17g, y = %.17g it is %.17g, "
                          "the C twin gives %.17g",
                          cases[i].text, show(&sb, g, f), pt[0], pt[1], got, want);
            here++;
        }
        ck_assert_msg(here > 0, "'%s' was never compared", cases[i].text);
        compared += here;
        graph_free(g);
    }
    ck_assert_int_gt(compared, (int)ncases * min_points);
    sb_free(&sb);
}

START_TEST(test_simplify_preserves_values) {
    size_t n = sizeof corpus / sizeof *corpus;
    ck_assert_uint_ge(n, 60);
    check_twins(corpus, n, 100);
}
END_TEST

/* FIXED (regression test; was: simplify.c, factor_out_common): when a term holds a base
 * both with a positive exponent and as a domain guard (x*x^-1, x^2*x^-1),
 * the common factor's exponent is subtracted from BOTH factors, so the
 * guard loses an extra power: `symdiff --simplify 'x + x/x'` prints
 * x*(1 + 1/x^2) (value 2.5 at x = 2, should be 3); 'x^2 + x^3/x' prints
 * x^2*(1 + 1/x^2).  Found by tests/check_property.c: about 1 random
 * program in 1500 at depth 5. */
#define BUG_CORPUS(X)                                                                 \
    X(b00, "x + x/x", x + x / x)                                                      \
    X(b01, "x/x + 5*x", x / x + 5 * x)                                                \
    X(b02, "x^2 + x^3/x", x * x + x * x * x / x)                                      \
    X(b03, "x/x - y*x", x / x - y * x)                                                \
    X(b04, "y^2/y + y", y * y / y + y)                                                \
    X(b05, "x*y^2 + y^2/(-y)", x * y * y + y * y / (-y))                              \
    X(b06, "(x + x/x)/x", (x + x / x) / x)
BUG_CORPUS(DEFINE_TWIN)
static const Twin bug_corpus[] = {BUG_CORPUS(TWIN_ENTRY)};

START_TEST(test_simplify_factor_out_keeps_guards) {
    check_twins(bug_corpus, sizeof bug_corpus / sizeof *bug_corpus, 100);
}
END_TEST

/* Sums whose terms share factors, across the sizes where the constructors'
 * scratch lists leave the stack for the heap (TV_SMALL = 8 terms, factors
 * or exponentials): sum_i 2(i+1) x_i f_1 ... f_m, built from whole
 * products and from products not built (dag_mul_lazy), is
 * 2 f_1 ... f_m (sum_i (i+1) x_i) for every n terms and m common factors,
 * and keeps its value; and a product of n exponentials, from both sides
 * of the bound, is one exponential of the sum. */
#define SPILL_MAX 19
START_TEST(test_simplify_scratch_past_the_stack) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Node *x[SPILL_MAX], *f[SPILL_MAX];
    double point[2 * SPILL_MAX];
    uint64_t seed = 17;
    for (int i = 0; i < SPILL_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        x[i] = var(g, name);
        point[2 * i] = rng_uniform(&seed, 0.5, 2.0);
        snprintf(name, sizeof name, "f%d", i);
        f[i] = var(g, name);
        point[2 * i + 1] = rng_uniform(&seed, 0.5, 2.0);
    }
    StrBuf sb;
    sb_init(&sb);
    for (int lazy = 0; lazy < 2; lazy++)
        for (int n = 2; n <= SPILL_MAX; n++)
            for (int m = 0; m <= SPILL_MAX; m++) {
                Node *terms[SPILL_MAX], *parts[SPILL_MAX + 2];
                double want = 0, common = 2;
                for (int j = 0; j < m; j++)
                    common *= point[2 * j + 1];
                for (int i = 0; i < n; i++) {
                    parts[0] = dag_int(g, 2 * (i + 1));
                    parts[1] = x[i];
                    memcpy(parts + 2, f, (size_t)m * sizeof *parts);
                    terms[i] = lazy ? dag_mul_lazy(g, parts, m + 2) : dag_mul_n(g, parts, m + 2);
                    ck_assert_ptr_nonnull(terms[i]);
                    want += (i + 1) * point[2 * i] * common;
                }
                Node *r = dag_add_n(g, terms, n);
                for (int i = 0; lazy && i < n; i++)
                    dag_lazy_free(terms[i]);
                ck_assert_ptr_nonnull(r);
                ck_assert_msg(r->kind == EX_MUL && r->nargs == m + 2 && r->args[0]->kind == EX_CONST &&
                                  num_equal(r->args[0]->num[0], num_int(2)),
                              "lazy %d, %d terms, %d common factors: %s", lazy, n, m, show(&sb, g, r));
                for (int j = 0; j < m; j++) {
                    int found = 0;
                    for (int k = 1; k < r->nargs; k++)
                        found |= r->args[k] == f[j];
                    ck_assert_msg(found, "lazy %d, %d terms: f%d not pulled out of %s", lazy, n, j,
                                  show(&sb, g, r));
                }
                ck_assert_double_eq_tol(eval_node(g, r, point), want, 1e-12 * fabs(want));
            }
    for (int n = 2; n <= SPILL_MAX; n++) {
        Node *e[SPILL_MAX];
        double want = 0;
        for (int i = 0; i < n; i++) {
            e[i] = dag_call1(g, BI_EXP, x[i]);
            want += point[2 * i];
        }
        Node *r = dag_mul_n(g, e, n);
        ck_assert_ptr_nonnull(r);
        ck_assert_msg(r->kind == EX_CALL && r->u.fn == BI_EXP, "%d exponentials: %s", n, show(&sb, g, r));
        ck_assert_double_eq_tol(eval_node(g, r, point), exp(want), 1e-12 * exp(want));
    }
    sb_free(&sb);
    graph_free(g);
}
END_TEST

/* A sum whose terms have a small sum as a factor is multiplied out when
 * the expanded terms collect (sigmoid(z)(1 - y) - y(1 - sigmoid(z)) is
 * sigmoid(z) - y); a quick test refuses first the sums where no two
 * expanded terms can be one node (the adjoints of large programs, whose
 * terms come from different users of a value), and nothing of those is
 * built.  Here every refused expansion is built all the same
 * (check_refusals): none would have been kept, over random sums of
 * products of atoms chosen to collide (shared and unshared products,
 * exponentials, sigmoids, powers of both signs, constants), and the
 * sums of unrelated terms are refused. */
static uint32_t refusal_rand(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

START_TEST(test_simplify_expansion_refusals) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    g->check_refusals = 1;
    Node *v[4];
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "v%d", i);
        v[i] = graph_var_node(g, graph_add_var(g, name, VAR_PARAM, scalar));
    }
    Node *one = dag_int(g, 1);
    Node *s = dag_call1(g, BI_SIGMOID, v[2]), *t = dag_call1(g, BI_TANH, v[1]);
    Node *shared = dag_mul(g, v[0], v[1]);
    dag_pin(g, shared);
    Node *atoms[] = {v[0], v[1], v[2], v[3], s, t, shared, dag_call1(g, BI_EXP, v[0]),
                     dag_call1(g, BI_EXP, dag_neg(g, v[0])), dag_pow(g, v[0], dag_int(g, -1)),
                     dag_pow(g, v[1], dag_int(g, 2)), dag_mul(g, v[2], v[3])};
    Node *sums[] = {dag_sub(g, one, s), dag_sub(g, one, dag_mul(g, t, t)), dag_add(g, v[0], v[1]),
                    dag_sub(g, v[3], v[0]), dag_add(g, one, atoms[7]), dag_sub(g, s, v[1]),
                    dag_call1(g, BI_SIGMOID, dag_neg(g, v[3]))};
    const int natoms = (int)(sizeof atoms / sizeof *atoms), nsums = (int)(sizeof sums / sizeof *sums);
    uint32_t state = 17;
    for (int trial = 0; trial < 3000; trial++) {
        Node *terms[6];
        int nt = 2 + (int)(refusal_rand(&state) % 5);
        for (int i = 0; i < nt; i++) {
            Node *f[4];
            int nf = 0;
            f[nf++] = dag_int(g, (int)(refusal_rand(&state) % 7) - 3);
            int natom = (int)(refusal_rand(&state) % 3);
            for (int k = 0; k < natom; k++)
                f[nf++] = atoms[refusal_rand(&state) % (uint32_t)natoms];
            if (refusal_rand(&state) % 4 != 0)
                f[nf++] = sums[refusal_rand(&state) % (uint32_t)nsums];
            terms[i] = dag_mul_n(g, f, nf);
        }
        ck_assert_ptr_nonnull(dag_add_n(g, terms, nt));
    }
    ck_assert_uint_eq(g->refusals_wrong, 0);
    ck_assert_uint_gt(g->refusals, 0);
    /* terms from unrelated users: a(1 - tanh(u)^2) + b sigmoid(w)(1 -
     * sigmoid(w)), any number of them, are refused */
    unsigned long before = g->refusals;
    for (int n = 2; n <= 16; n++) {
        Node *terms[16];
        for (int i = 0; i < n; i++) {
            char name[16];
            snprintf(name, sizeof name, "a%d", i);
            Node *a = graph_var_node(g, graph_add_var(g, name, VAR_PARAM, scalar));
            Node *u = dag_mul(g, dag_int(g, i + 2), a);
            Node *f = i % 2 ? dag_sub(g, one, dag_pow(g, dag_call1(g, BI_TANH, u), dag_int(g, 2)))
                            : dag_sub(g, one, dag_call1(g, BI_SIGMOID, u));
            terms[i] = dag_mul(g, a, f);
        }
        ck_assert_ptr_nonnull(dag_add_n(g, terms, n));
    }
    ck_assert_uint_eq(g->refusals_wrong, 0);
    ck_assert_uint_ge(g->refusals - before, 15);
    graph_free(g);
}
END_TEST

/* FIXED: a sum rebuilt a term c a1 ... an whose product was too large to
 * flatten as c (a1 ... an), multiplying the factors first: 1 + a product
 * of 1000 factors (1 + (x + 100)/k^2), finite, became inf once its
 * coefficient (1e-304, pulled out of the factors) was split off (found by
 * the differential fuzzer's wide class).  Sums of wide products in several
 * forms, their printed forms read back: finite, and the same values. */
START_TEST(test_simplify_wide_products_keep_their_order) {
    static const char *const forms[] = {"1 + P", "P + P + 1", "1 - 3*P", "x*P + x", "P*y - 2"};
    static const int sizes[] = {20, 200, 1000};
    StrBuf text, printed;
    sb_init(&text);
    sb_init(&printed);
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++)
        for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
            sb_clear(&text);
            for (const char *c = forms[f]; *c; c++) {
                if (*c != 'P') {
                    sb_putc(&text, *c);
                    continue;
                }
                sb_putc(&text, '(');
                for (int k = 1; k <= sizes[z]; k++)
                    sb_printf(&text, "%s(1 + (x + 100)/%d)", k > 1 ? "*" : "", k * k);
                sb_putc(&text, ')');
            }
            Graph *g = graph_new();
            Node *n = lower1(g, sb_str(&text), xy, 2);
            sb_clear(&printed);
            print_roots(&printed, g, &n, NULL, 1, PRINT_INFIX);
            Graph *h = graph_new();
            Node *back = lower1(h, sb_str(&printed), xy, 2);
            for (double x = -3; x <= 3; x += 1.5) {
                double pt[2] = {x, 0.5}, a = eval_node(g, n, pt), b = eval_node(h, back, pt);
                ck_assert_msg(isfinite(a) && isfinite(b) && fabs(a - b) <= 1e-9 * fabs(a),
                              "%s with %d factors at x = %g: %.17g, read back %.17g", forms[f], sizes[z], x, a, b);
            }
            graph_free(h);
            graph_free(g);
        }
    sb_free(&text);
    sb_free(&printed);
}
END_TEST

Suite *simplify_suite(void); /* called by tests/runner.c */

Suite *simplify_suite(void) {
    Suite *s = suite_create("simplify");
    TCase *tc = tcase_create("dag");
    tcase_add_test(tc, test_simplify_hash_consing);
    tcase_add_test(tc, test_simplify_ids_increase);
    suite_add_tcase(s, tc);
    tc = tcase_create("rules");
    tcase_add_test(tc, test_simplify_folding);
    tcase_add_test(tc, test_simplify_folds_exactly);
    tcase_add_test(tc, test_simplify_identities);
    tcase_add_test(tc, test_simplify_guarded_rules);
    tcase_add_test(tc, test_simplify_with_facts);
    tcase_add_test(tc, test_simplify_never_folds_nan_or_inf);
    tcase_add_test(tc, test_simplify_domain_extending_rules);
    suite_add_tcase(s, tc);
    tc = tcase_create("values");
    tcase_add_test(tc, test_simplify_preserves_values);
    tcase_add_test(tc, test_simplify_factor_out_keeps_guards);
    tcase_add_test(tc, test_simplify_wide_products_keep_their_order);
    tcase_add_test(tc, test_simplify_expansion_refusals);
    tcase_add_test(tc, test_simplify_scratch_past_the_stack);
    suite_add_tcase(s, tc);
    return s;
}
