/* SPDX-License-Identifier: MIT */
/*
 * check_facts.c — what symdiff knows of a value (src/range.c), the
 * rewrites that use it, and the stable forms of the losses users write
 * (src/rewrite.c).
 *
 *   - ranges: the sign and bounds of a table of expressions, and their
 *     soundness: in random programs (tests/fuzz/exprgen.c) every node's
 *     value lies in its range, and a node said to be defined everywhere is
 *     defined wherever its arguments are finite;
 *   - rewrites by range: sqrt(u)^2, abs(u), sign(u), 0^u, merged powers,
 *     each against a C twin of the program as written: the same value
 *     wherever it is defined, undefined wherever it is not;
 *   - stable forms: every machine-learning form as written (log of a
 *     softmax, log-sum-exp, softmax, 1/(1 + e^-z), log-sigmoid, binary
 *     cross-entropy, products of exponentials, log(exp(u))) and the
 *     derivatives that were 0/0 (norm-squared at 0, an exact fit,
 *     sqrt(x^2 + y^2)^2 at the origin): value and gradient finite and right
 *     at logits of +-1000 through the API, --at and generated kernels, for
 *     scalar and vector programs, double at +-1000 and float at +-80 (all
 *     kernels in one compiler run);
 *   - finite derivatives: random programs at special points (0, +-1, exact
 *     cancellations) wherever the function is differentiable there.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "dag.h"
#include "deriv.h"
#include "eval.h"
#include "fuzz/exprgen.h"
#include "print.h"
#include "range.h"
#include "sdrt.h"
#include "strbuf.h"
#include "symdiff.h"
#include "testrun.h"
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

static const char *const xy[] = {"x", "y"};

/* The single output of `text` (variables x, y unless it declares its own),
 * which must compile. */
static Node *compile1(Graph *g, const char *text) {
    Source src = {"<facts>", text, strlen(text)};
    Diag d;
    diag_init(&d, &src);
    Program p;
    LowerOptions opt = {.vars = strstr(text, "param") ? NULL : xy, .nvars = strstr(text, "param") ? 0 : 2};
    int st = compile_source(g, &d, &opt, &p);
    ck_assert_msg(st == 0 && p.noutputs == 1, "'%s' does not compile:\n%s", text, sb_str(&d.out));
    Node *n = p.outputs[0];
    program_free(&p);
    diag_free(&d);
    return n;
}

static const char *show(StrBuf *sb, const Graph *g, const Node *n) {
    sb_clear(sb);
    print_expr(sb, g, n, PRINT_INFIX);
    return sb_str(sb);
}

static const char *bound_text(double v) {
    return v == -INFINITY ? "-inf" : v == INFINITY ? "inf" : v == -1 ? "-1" : v == 0 ? "0" : v == 1 ? "1" : "?";
}

/* "[0, inf) total", "(-inf, inf) !0": the interval, "!0" when 0 is
 * excluded inside it, "total" when defined everywhere. */
static const char *range_text(char *buf, size_t size, const Node *n) {
    Range r = range_of(n);
    snprintf(buf, size, "%c%s, %s%c%s%s", r.lo_closed ? '[' : '(', bound_text(r.lo), bound_text(r.hi),
             r.hi_closed ? ']' : ')', r.nonzero && r.lo < 0 && r.hi > 0 ? " !0" : "", r.total ? " total" : "");
    return buf;
}

/* ---- ranges --------------------------------------------------------------------- */

static const struct {
    const char *text, *range;
} ranges[] = {
    {"x", "(-inf, inf) total"},
    {"x*y", "(-inf, inf) total"},
    {"x^3", "(-inf, inf) total"},
    {"x^2", "[0, inf) total"},
    {"x^2 + y^2", "[0, inf) total"},
    {"x^4*y^2", "[0, inf) total"},
    {"1 + x^2", "[1, inf) total"},
    {"-1 - x^2", "(-inf, -1] total"},
    {"exp(x)", "(0, inf) total"},
    {"-exp(x)", "(-inf, 0) total"},
    {"exp(x) + exp(y)", "(0, inf) total"},
    {"exp(x)*x^2", "[0, inf) total"},
    {"abs(x)", "[0, inf) total"},
    {"sqrt(x)", "[0, inf)"},
    {"sqrt(1 + x^2)", "[1, inf) total"},
    {"sqrt(x^2 + y^2)", "[0, inf) total"},
    {"x^(1/3)", "[0, inf)"},
    {"x^-2", "(0, inf)"},
    {"1/x", "(-inf, inf) !0"},
    {"1/(1 + x^2)", "(0, 1] total"},
    {"x^2/(1 + x^2)", "[0, inf) total"},
    {"cosh(x)", "[1, inf) total"},
    {"sinh(x)", "(-inf, inf) total"},
    {"tanh(x)", "(-1, 1) total"},
    {"sin(x)", "[-1, 1] total"},
    {"sigmoid(x)", "(0, 1) total"},
    {"1 - sigmoid(x)", "(0, 1) total"},
    {"sigmoid(x)*(1 - sigmoid(x))", "(0, 1) total"},
    {"softplus(x)", "(0, inf) total"},
    {"log(x)", "(-inf, inf)"},
    {"log(1 + x^2)", "[0, inf) total"},
    {"log(sigmoid(x))", "(-inf, 0) total"},
    {"asin(sigmoid(x))", "(0, inf) total"},
    {"asin(x)", "(-inf, inf)"},
    {"acos(sigmoid(x))", "(0, inf) total"},
    {"atan(x^2)", "[0, inf) total"},
    {"relu(x)", "[0, inf) total"},
    {"sign(x)", "[-1, 1] total"},
    {"step(x)", "[0, 1] total"},
    {"max(x^2, 1)", "[1, inf) total"},
    {"min(-x^2, -1)", "(-inf, -1] total"},
    {"ifpos(x, exp(y), 2)", "(0, inf) total"},
    {"pi*x^2", "[0, inf) total"},
    {"0.5 + sigmoid(x)/2", "(0, inf) total"}, /* (0.5, 1.5): rounded to the grid */
    {"sigmoid(x)/2", "(0, 1) total"},
    {"param w[3]; sum(w^2)", "[0, inf) total"},
    {"param w[3]; norm2(w)", "[0, inf) total"},
    {"param w[3]; sum(exp(w))", "(0, inf) total"},
    {"param w[3]; softmax(w)[1]", "(0, 1) total"},
    {"param w[3]; logsumexp(w)", "(-inf, inf) total"},
    {"param w[3]; mean(w^2) + 1", "[1, inf) total"},
    {"param W[2,3], v[3]; sum((W @ v)^2)", "[0, inf) total"},
};

START_TEST(test_ranges) {
    char buf[64];
    StrBuf sb;
    sb_init(&sb);
    int bad = 0;
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
        Graph *g = graph_new();
        Node *n = compile1(g, ranges[i].text);
        if (strcmp(range_text(buf, sizeof buf, n), ranges[i].range) != 0) {
            fprintf(stderr, "  %-36s %-24s expected %s\n", ranges[i].text, buf, ranges[i].range);
            bad++;
        }
        graph_free(g);
    }
    sb_free(&sb);
    ck_assert_msg(bad == 0, "%d ranges differ (listed above)", bad);
}
END_TEST

/* A random program, lowered into g (NULL when it does not lower: the
 * generator makes some that symdiff rightly refuses). */
static Node *random_program(Gen *gen, Graph *g, uint64_t seed, StrBuf *text) {
    uint8_t bytes[160];
    random_bytes(seed, bytes, sizeof bytes);
    gen_program(gen, bytes, sizeof bytes, 5);
    sb_clear(text);
    gen_print(gen, text);
    Source src = {"<gen>", sb_str(text), text->len};
    Diag d;
    diag_init(&d, &src);
    LowerOptions opt = {.vars = gen_var_names, .nvars = GEN_NVARS};
    Program p;
    Node *f = NULL;
    if (compile_source(g, &d, &opt, &p) == 0) {
        f = p.outputs[0];
        program_free(&p);
    }
    diag_free(&d);
    return f;
}

#define SOUND_PROGRAMS 1500

/* Every node of random programs at random points: its value within its
 * range (up to rounding), and a total node defined wherever its arguments
 * are finite. */
START_TEST(test_ranges_sound) {
    static Gen gen;
    StrBuf text, sb;
    sb_init(&text);
    sb_init(&sb);
    SdrtRng rng;
    sdrt_rng_seed(&rng, 7);
    long checked = 0;
    for (int p = 0; p < SOUND_PROGRAMS; p++) {
        Graph *g = graph_new();
        Node *f = random_program(&gen, g, 0xfac75000u + (uint64_t)p, &text);
        if (!f) {
            graph_free(g);
            continue;
        }
        double *vals = malloc(g->nnodes * sizeof *vals);
        unsigned char *mark = malloc(g->nnodes);
        ck_assert(vals && mark);
        dag_mark_reachable(g, &f, 1, mark);
        for (int k = 0; k < 8; k++) {
            double pt[GEN_NVARS];
            for (int v = 0; v < GEN_NVARS; v++)
                pt[v] = k < 2 ? (double)(k * 2 - 1) * (v + 1) : sdrt_rng_range(&rng, -4, 4);
            ck_assert_int_eq(eval_nodes(g, &f, 1, pt, vals), 0);
            for (size_t id = 0; id < g->nnodes; id++) {
                if (!mark[id])
                    continue;
                const Node *n = g->nodes[id];
                Range r = range_of(n);
                double v = vals[id];
                int args_finite = 1;
                for (int a = 0; a < n->nargs; a++)
                    args_finite &= isfinite(vals[n->args[a]->id]) != 0;
                ck_assert_msg(!(r.total && args_finite && isnan(v)),
                              "program %d: %s is said to be defined everywhere, but is NaN at (%g, %g, %g)\n%s", p,
                              show(&sb, g, n), pt[0], pt[1], pt[2], sb_str(&text));
                if (isnan(v))
                    continue;
                double tol = 1e-9;
                ck_assert_msg(v >= r.lo - tol * fmax(1, fabs(r.lo)) && v <= r.hi + tol * fmax(1, fabs(r.hi)),
                              "program %d: %s = %.17g at (%g, %g, %g), outside its range %s\n%s", p, show(&sb, g, n),
                              v, pt[0], pt[1], pt[2], range_text((char[64]){0}, 64, n), sb_str(&text));
                checked++;
            }
        }
        free(vals);
        free(mark);
        graph_free(g);
    }
    ck_assert_int_gt(checked, 50000);
    sb_free(&text);
    sb_free(&sb);
}
END_TEST

/* ---- rewrites by range ---------------------------------------------------------------- */

static double h_sign(double t) { return isnan(t) ? t : t > 0 ? 1.0 : t < 0 ? -1.0 : 0.0; }
static double h_sigmoid(double t) { return 1 / (1 + exp(-t)); }
static double h_softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }

/* X(id, program, C twin as written, the simplified form) */
#define FACT_CASES(X)                                                                           \
    X(r00, "sqrt(x^2 + y^2)^2", pow(sqrt(x * x + y * y), 2), "x^2 + y^2")                       \
    X(r01, "sqrt(1 + x^2)^2", pow(sqrt(1 + x * x), 2), "1 + x^2")                               \
    X(r02, "sqrt(exp(x))^2", pow(sqrt(exp(x)), 2), "exp(x)")                                    \
    X(r03, "sqrt(1 + x^2)*sqrt(1 + x^2)", sqrt(1 + x * x) * sqrt(1 + x * x), "1 + x^2")         \
    X(r04, "sqrt(cosh(x))^2", pow(sqrt(cosh(x)), 2), "cosh(x)")                                 \
    X(r05, "(x^4)^(1/2)", sqrt(pow(x, 4)), "x^2")                                               \
    X(r06, "(x^6)^(1/3)", pow(pow(x, 6), 1.0 / 3), "x^2")                                       \
    X(r07, "(x^4)^(-1/2)", 1 / sqrt(pow(x, 4)), "1/x^2")                                        \
    X(r08, "(1 + x^2)^(3/2)*(1 + x^2)^(1/2)", pow(1 + x * x, 1.5) * sqrt(1 + x * x), "(1 + x^2)^2") \
    X(r09, "abs(x^2 + 1)", fabs(x * x + 1), "1 + x^2")                                          \
    X(r10, "abs(-exp(x))", fabs(-exp(x)), "exp(x)")                                             \
    X(r11, "abs(-1 - y^2)", fabs(-1 - y * y), "1 + y^2")                                        \
    X(r12, "abs(sqrt(x))", fabs(sqrt(x)), "sqrt(x)")                                            \
    X(r13, "abs(1 - sigmoid(x))", fabs(1 - h_sigmoid(x)), "1 - sigmoid(x)")                     \
    X(r14, "abs(x^2*y^4)", fabs(x * x * pow(y, 4)), "x^2*y^4")                                  \
    X(r15, "sign(exp(x))", h_sign(exp(x)), "1")                                                 \
    X(r16, "sign(1 + x^2)", h_sign(1 + x * x), "1")                                             \
    X(r17, "sign(-cosh(x))", h_sign(-cosh(x)), "-1")                                            \
    X(r18, "sign(sigmoid(x)) + sign(softplus(y))", h_sign(h_sigmoid(x)) + h_sign(h_softplus(y)), "2") \
    X(r19, "0^(1 + x^2)", pow(0, 1 + x * x), "0")                                               \
    X(r20, "0^exp(x)", pow(0, exp(x)), "0")                                                     \
    X(r21, "exp(log(1 + x^2))", exp(log(1 + x * x)), "1 + x^2")                                 \
    /* what must stay: undefined somewhere (x < 0), or 0 somewhere */                           \
    X(s00, "sign(1 + sqrt(x))", h_sign(1 + sqrt(x)), "sign(1 + sqrt(x))")                       \
    X(s01, "0^(1 + sqrt(x))", pow(0, 1 + sqrt(x)), "0^(1 + sqrt(x))")                           \
    X(s02, "sign(x^2)", h_sign(x * x), "sign(x^2)")                                             \
    X(s03, "0^x", pow(0, x), "0^x")                                                             \
    X(s04, "0^(x^2)", pow(0, x * x), "0^x^2")                                                   \
    X(s05, "sqrt(x)^2", pow(sqrt(x), 2), "sqrt(x)^2")                                           \
    X(s06, "sqrt(y^2)", sqrt(y * y), "sqrt(y^2)")                                               \
    X(s07, "(x^2)^(3/2)", pow(x * x, 1.5), "(x^2)^(3/2)")                                       \
    X(s08, "abs(x)", fabs(x), "abs(x)")                                                         \
    X(s09, "sign(log(1 + x^2))", h_sign(log(1 + x * x)), "sign(ln(1 + x^2))")

#define FACT_TWIN(id, text, expr, shown)                                                        \
    static double id(double x, double y) {                                                      \
        (void)x;                                                                                \
        (void)y;                                                                                \
        return (expr);                                                                          \
    }
FACT_CASES(FACT_TWIN)

static const struct {
    const char *text, *shown;
    double (*twin)(double x, double y);
} fact_cases[] = {
#define FACT_ENTRY(id, text, expr, shown) {text, shown, id},
    FACT_CASES(FACT_ENTRY)
#undef FACT_ENTRY
};

START_TEST(test_rewrites_by_range) {
    static const double special[] = {0, 1, -1, 2, -3, 0.5, -0.5, 1e-3, -1e-3, 40, -40};
    const int ns = (int)(sizeof special / sizeof *special);
    StrBuf sb;
    sb_init(&sb);
    int bad = 0;
    for (size_t i = 0; i < sizeof fact_cases / sizeof *fact_cases; i++) {
        Graph *g = graph_new();
        Node *f = compile1(g, fact_cases[i].text);
        if (strcmp(show(&sb, g, f), fact_cases[i].shown) != 0) {
            fprintf(stderr, "  %-40s %-24s expected %s\n", fact_cases[i].text, sb_str(&sb), fact_cases[i].shown);
            bad++;
        }
        for (int a = 0; a < ns; a++)
            for (int b = 0; b < ns; b++) {
                double pt[2] = {special[a], special[b]};
                double want = fact_cases[i].twin(pt[0], pt[1]), got = eval_node(g, f, pt);
                /* defined exactly where the program as written is */
                ck_assert_msg(isnan(want) == isnan(got), "'%s' (%s) at (%g, %g): %g, as written %g",
                              fact_cases[i].text, show(&sb, g, f), pt[0], pt[1], got, want);
                if (isfinite(want))
                    ck_assert_msg(fabs(got - want) <= 1e-12 * fmax(1, fabs(want)),
                                  "'%s' (%s) at (%g, %g): %.17g, as written %.17g", fact_cases[i].text,
                                  show(&sb, g, f), pt[0], pt[1], got, want);
            }
        graph_free(g);
    }
    sb_free(&sb);
    ck_assert_msg(bad == 0, "%d simplified forms differ (listed above)", bad);
}
END_TEST

/* ---- stable forms ---------------------------------------------------------------------- */

typedef long double LD;

static LD l_softplus(LD t) { return t > 0 ? t + log1pl(expl(-t)) : log1pl(expl(t)); }
static LD l_sigmoid(LD t) { return t >= 0 ? 1 / (1 + expl(-t)) : expl(t) / (1 + expl(t)); }

/* log(sum(exp(x))) and softmax(x) into p (may be NULL). */
static LD l_lse(const LD *x, int n, LD *p) {
    LD m = x[0], s = 0;
    for (int i = 1; i < n; i++)
        m = x[i] > m ? x[i] : m;
    for (int i = 0; i < n; i++)
        s += expl(x[i] - m);
    for (int i = 0; p && i < n; i++)
        p[i] = expl(x[i] - m) / s;
    return m + logl(s);
}

static void ref_ce(const LD *x, LD *v, LD *g) { /* -log(softmax(x)[1]) */
    *v = l_lse(x, 3, g) - x[1];
    g[1] -= 1;
}
static void ref_lse3(const LD *x, LD *v, LD *g) { *v = l_lse(x, 3, g); }
static void ref_lse2(const LD *x, LD *v, LD *g) { *v = l_lse(x, 2, g); }
static void ref_softmax0(const LD *x, LD *v, LD *g) {
    LD p[3];
    l_lse(x, 3, p);
    *v = p[0];
    for (int i = 0; i < 3; i++)
        g[i] = p[0] * ((i == 0) - p[i]);
}
static void ref_sigmoids(const LD *x, LD *v, LD *g) {
    *v = l_sigmoid(x[0]) + l_sigmoid(x[1]);
    for (int i = 0; i < 2; i++)
        g[i] = l_sigmoid(x[i]) * l_sigmoid(-x[i]);
}
static void ref_log_sigmoids(const LD *x, LD *v, LD *g) {
    *v = -l_softplus(-x[0]) - l_softplus(-x[1]);
    for (int i = 0; i < 2; i++)
        g[i] = l_sigmoid(-x[i]);
}
static void ref_log_one_minus(const LD *x, LD *v, LD *g) {
    *v = -l_softplus(x[0]) - l_softplus(x[1]);
    for (int i = 0; i < 2; i++)
        g[i] = -l_sigmoid(x[i]);
}
static void ref_neg_log_quotient(const LD *x, LD *v, LD *g) {
    *v = l_softplus(-x[0]) + l_softplus(-x[1]);
    for (int i = 0; i < 2; i++)
        g[i] = -l_sigmoid(-x[i]);
}
static void ref_bce(const LD *x, LD *v, LD *g) { /* label 1 for x[0], 0 for x[1] */
    *v = l_softplus(-x[0]) + l_softplus(x[1]);
    g[0] = -l_sigmoid(-x[0]);
    g[1] = l_sigmoid(x[1]);
}
static void ref_exp_product(const LD *x, LD *v, LD *g) {
    *v = expl(x[0] - x[1]);
    g[0] = *v;
    g[1] = -*v;
}
static void ref_log_exp(const LD *x, LD *v, LD *g) {
    *v = x[0] + x[1];
    g[0] = g[1] = 1;
}
static void ref_two_class(const LD *x, LD *v, LD *g) {
    *v = l_sigmoid(x[0] - x[1]);
    g[0] = l_sigmoid(x[0] - x[1]) * l_sigmoid(x[1] - x[0]);
    g[1] = -g[0];
}
static void ref_norm_squared(const LD *x, LD *v, LD *g) {
    *v = x[0] * x[0] + x[1] * x[1];
    g[0] = 2 * x[0];
    g[1] = 2 * x[1];
}
static void ref_l2(const LD *x, LD *v, LD *g) { /* lambda*norm2(w)^2, lambda = x[3] */
    *v = x[3] * (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    for (int i = 0; i < 3; i++)
        g[i] = 2 * x[3] * x[i];
    g[3] = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
}
static void ref_fit(const LD *x, LD *v, LD *g) { /* norm2(X w + 1)^2, X = [[1, 2], [3, 4], [5, 6]] */
    static const LD X[3][2] = {{1, 2}, {3, 4}, {5, 6}};
    *v = g[0] = g[1] = 0;
    for (int i = 0; i < 3; i++) {
        LD r = X[i][0] * x[0] + X[i][1] * x[1] + 1;
        *v += r * r;
        g[0] += 2 * X[i][0] * r;
        g[1] += 2 * X[i][1] * r;
    }
}

enum { PTS_GRID, PTS_NEAR, PTS_LISTED };

typedef struct Form {
    const char *name;
    const char *scalar, *vector; /* params a, b, c, lambda / s[n] (and lambda) */
    int n;                       /* elements of a point                          */
    void (*ref)(const LD *x, LD *v, LD *g);
    int points;
    const char *shown;           /* the vector program, simplified              */
    double listed[3][4];         /* PTS_LISTED: three points                     */
} Form;

static const Form forms[] = {
    {"cross-entropy of a softmax", "param a, b, c; -log(exp(b)/(exp(a) + exp(b) + exp(c)))",
     "param s[3]; -dot([0, 1, 0], log(softmax(s)))", 3, ref_ce, PTS_GRID, "-sum([0, 1, 0]*(s - logsumexp(s)))",
     {{0}}},
    {"log-sum-exp", "param a, b, c; log(exp(a) + exp(b) + exp(c))", "param s[3]; log(sum(exp(s)))", 3, ref_lse3,
     PTS_GRID, "logsumexp(s)", {{0}}},
    {"log-sum-exp of two", "param a, b; log(exp(a) + exp(b))", "param s[2]; log(exp(s[0]) + exp(s[1]))", 2,
     ref_lse2, PTS_GRID, "s[0] + softplus(s[1] - s[0])", {{0}}},
    {"softmax written out", "param a, b, c; exp(a)/(exp(a) + exp(b) + exp(c))", "param s[3]; exp(s[0])/sum(exp(s))",
     3, ref_softmax0, PTS_GRID, "softmax(s)[0]", {{0}}},
    {"sigmoid written out", "param a, b; 1/(1 + exp(-a)) + 1/(1 + exp(-b))", "param s[2]; sum(1/(1 + exp(-s)))", 2,
     ref_sigmoids, PTS_GRID, "sum(sigmoid(s))", {{0}}},
    {"log of a sigmoid", "param a, b; log(sigmoid(a)) + log(sigmoid(b))", "param s[2]; sum(log(sigmoid(s)))", 2,
     ref_log_sigmoids, PTS_GRID, "-sum(softplus(-s))", {{0}}},
    {"log of one minus a sigmoid", "param a, b; log(1 - sigmoid(a)) + log(1 - sigmoid(b))",
     "param s[2]; sum(log(1 - sigmoid(s)))", 2, ref_log_one_minus, PTS_GRID, "-sum(softplus(s))", {{0}}},
    {"-log(1/(1 + exp(-z)))", "param a, b; -log(1/(1 + exp(-a))) - log(1/(1 + exp(-b)))",
     "param s[2]; -sum(log(1/(1 + exp(-s))))", 2, ref_neg_log_quotient, PTS_GRID, "sum(softplus(-s))", {{0}}},
    {"binary cross-entropy written out", "param a, b; -(log(1/(1 + exp(-a))) + log(1 - 1/(1 + exp(-b))))",
     "param s[2]; -(log(1/(1 + exp(-s[0]))) + log(1 - 1/(1 + exp(-s[1]))))", 2, ref_bce, PTS_GRID,
     "softplus(-s[0]) + softplus(s[1])", {{0}}},
    {"a product of exponentials", "param a, b; exp(a)*exp(-b)", "param s[2]; exp(s[0])*exp(-s[1])", 2,
     ref_exp_product, PTS_NEAR, "exp(s[0] - s[1])", {{0}}},
    {"log(exp(u))", "param a, b; log(exp(a)) + log(exp(b))", "param s[2]; sum(log(exp(s)))", 2, ref_log_exp,
     PTS_GRID, "sum(s)", {{0}}},
    {"softmax of two classes", "param a, b; exp(a)/(exp(a) + exp(b))", "param s[2]; exp(s[0])/(exp(s[0]) + exp(s[1]))",
     2, ref_two_class, PTS_GRID, "sigmoid(s[0] - s[1])", {{0}}},
    {"sqrt(x^2 + y^2)^2", "param a, b; sqrt(a^2 + b^2)^2", "param s[2]; sqrt(s[0]^2 + s[1]^2)^2", 2,
     ref_norm_squared, PTS_LISTED, "s[0]^2 + s[1]^2", {{0, 0}, {1, -1}, {0.5, 0}}},
    {"lambda*norm2(w)^2", "param a, b, c, lambda; lambda*sqrt(a^2 + b^2 + c^2)^2",
     "param s[3], lambda; lambda*norm2(s)^2", 4, ref_l2, PTS_LISTED, "lambda*sum(s^2)",
     {{0, 0, 0, 0.5}, {0, 0, 0, 0}, {1, -2, 3, 0.25}}},
    {"least squares at an exact fit", "param a, b; sqrt((a + 2*b + 1)^2 + (3*a + 4*b + 1)^2 + (5*a + 6*b + 1)^2)^2",
     "param s[2]; norm2([[1, 2], [3, 4], [5, 6]] @ s + [1, 1, 1])^2", 2, ref_fit, PTS_LISTED,
     "sum(([[1, 2], [3, 4], [5, 6]] @ s + [1, 1, 1])^2)", {{1, -1}, {0, -0.5}, {2, 0.5}}},
};

enum { NFORMS = (int)(sizeof forms / sizeof *forms), MAXPTS = 64 };

/* The points of a form, logits of size L: every coordinate from {L, -L,
 * 0, 1}; for a product of exponentials, pairs a few apart (the value
 * exp(a - b) is finite there); or the form's own. */
static int form_points(const Form *f, double L, double pts[MAXPTS][4]) {
    static const double unit[4] = {1, -1, 0, 0};
    int np = 0;
    if (f->points == PTS_LISTED) {
        for (; np < 3; np++)
            memcpy(pts[np], f->listed[np], sizeof pts[np]);
        return np;
    }
    if (f->points == PTS_NEAR) {
        static const double base[3] = {1, -1, 0}, apart[3] = {0, 1, -2};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                pts[np][0] = base[i] * L;
                pts[np++][1] = base[i] * L + apart[j];
            }
        return np;
    }
    int total = 1;
    for (int k = 0; k < f->n; k++)
        total *= 4;
    for (int c = 0; c < total; c++) {
        int code = c;
        for (int k = 0; k < f->n; k++, code /= 4)
            pts[np][k] = code % 4 == 3 ? 1 : unit[code % 4] * L;
        np++;
    }
    return np;
}

static void reference(const Form *f, const double *pt, double *v, double *g) {
    LD x[4], lv, lg[4];
    for (int k = 0; k < f->n; k++)
        x[k] = pt[k];
    f->ref(x, &lv, lg);
    *v = (double)lv;
    for (int k = 0; k < f->n; k++)
        g[k] = (double)lg[k];
}

static int close_enough(double got, double want, double tol) {
    return isfinite(got) && fabs(got - want) <= tol * fmax(1, fabs(want));
}

/* Through the API: printed form, and values at every point. */
START_TEST(test_stable_forms_api) {
    const Form *f = &forms[_i];
    double pts[MAXPTS][4];
    int np = form_points(f, 1000, pts);
    for (int variant = 0; variant < 2; variant++) {
        const char *text = variant ? f->vector : f->scalar;
        SdProgram *p;
        ck_assert_msg(sd_compile(text, strlen(text), NULL, &p) == SD_OK, "%s: %s", text, sd_diagnostics_text(p));
        ck_assert_int_eq(sd_point_size(p), f->n);
        if (variant) {
            SdRequest fn = {.what = SD_FUNCTION};
            SdResult *r;
            char *shown;
            ck_assert_int_eq(sd_derive(p, &fn, &r), SD_OK);
            ck_assert_int_eq(sd_print(r, NULL, NULL, SD_TEXT, &shown), SD_OK);
            shown[strcspn(shown, "\n")] = '\0';
            ck_assert_msg(strcmp(shown, f->shown) == 0, "%s: '%s' simplifies to '%s', expected '%s'", f->name, text,
                          shown, f->shown);
            sd_free(shown);
            sd_result_free(r);
        }
        SdResult *r;
        ck_assert_int_eq(sd_derive(p, NULL, &r), SD_OK);
        for (int i = 0; i < np; i++) {
            SdValues vals;
            double v, g[4];
            ck_assert_int_eq(sd_eval(r, pts[i], &vals), SD_OK);
            reference(f, pts[i], &v, g);
            ck_assert_msg(close_enough(vals.value[0], v, 1e-12), "%s: '%s' at point %d: value %.17g, expected %.17g",
                          f->name, text, i, vals.value[0], v);
            for (int k = 0; k < f->n; k++)
                ck_assert_msg(close_enough(vals.deriv[k], g[k], 1e-12),
                              "%s: '%s' at point %d (%g, %g, ...): derivative %d is %.17g, expected %.17g", f->name,
                              text, i, pts[i][0], pts[i][1], k, vals.deriv[k], g[k]);
            sd_values_free(&vals);
        }
        sd_result_free(r);
        sd_program_free(p);
    }
}
END_TEST

/* The numbers after "key": in a --json object, in order (nested lists
 * flattened); their count. */
static int json_numbers(const char *json, const char *key, double *out, int cap) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *s = strstr(json, pattern);
    if (!s)
        return 0;
    s += strlen(pattern);
    int n = 0, depth = 0;
    do {
        while (*s == ' ' || *s == ',')
            s++;
        if (*s == '[') {
            depth++;
            s++;
        } else if (*s == ']') {
            depth--;
            s++;
        } else {
            char *end;
            double v = strtod(s, &end);
            if (end == s)
                break;
            if (n < cap)
                out[n++] = v;
            s = end;
        }
    } while (depth > 0);
    return n;
}

/* Through the command line's --at: each program at its form's most
 * extreme points (all coordinates +-1000). */
START_TEST(test_stable_forms_at) {
    const Form *f = &forms[_i];
    double pts[MAXPTS][4];
    int np = form_points(f, 1000, pts);
    static const char *const names[] = {"a", "b", "c", "lambda"};
    for (int variant = 0; variant < 2; variant++)
        for (int i = 0; i < np; i++) {
            int extreme = 1;
            for (int k = 0; k < f->n && f->points == PTS_GRID; k++)
                extreme &= fabs(pts[i][k]) == 1000;
            if (!extreme)
                continue;
            StrBuf at;
            sb_init(&at);
            if (variant) {
                int elems = f->n - (strstr(f->vector, "lambda") != NULL);
                sb_puts(&at, "s=[");
                for (int k = 0; k < elems; k++)
                    sb_printf(&at, "%s%.17g", k ? ", " : "", pts[i][k]);
                sb_puts(&at, "]");
                if (elems < f->n)
                    sb_printf(&at, ", lambda=%.17g", pts[i][elems]);
            } else {
                for (int k = 0; k < f->n; k++)
                    sb_printf(&at, "%s%s=%.17g", k ? ", " : "", names[k == f->n - 1 && f->n == 4 ? 3 : k],
                              pts[i][k]);
            }
            const char *text = variant ? f->vector : f->scalar;
            const char *args[] = {"--json", "--at", sb_str(&at), text, NULL};
            Run r;
            run(args, NULL, &r);
            ck_assert_msg(r.status == 0, "%s --at '%s': exit %d\n%s", text, sb_str(&at), r.status, r.err);
            double v[1], g[4], want, wg[4];
            reference(f, pts[i], &want, wg);
            ck_assert_int_eq(json_numbers(r.out, "value", v, 1), 1);
            ck_assert_int_eq(json_numbers(r.out, "gradient", g, 4), f->n);
            ck_assert_msg(close_enough(v[0], want, 1e-12), "%s --at '%s': value %.17g, expected %.17g\n%s", text,
                          sb_str(&at), v[0], want, r.out);
            for (int k = 0; k < f->n; k++)
                ck_assert_msg(close_enough(g[k], wg[k], 1e-12), "%s --at '%s': derivative %d %.17g, expected %.17g\n%s",
                              text, sb_str(&at), k, g[k], wg[k], r.out);
            run_free(&r);
            sb_free(&at);
        }
}
END_TEST

static char dir[256];

static void setup(void) { make_temp_dir(dir, sizeof dir, "facts"); }

static void teardown(void) { remove_tree(dir); }

/* Every form, scalar and vector program, double (logits +-1000) and float
 * (+-80), as generated kernels: one driver holding all of them, compiled
 * once, checks value and gradient at every point against the reference. */
START_TEST(test_stable_forms_kernels) {
    StrBuf d;
    sb_init(&d);
    sb_puts(&d, "#include <math.h>\n#include <stdio.h>\n\nstatic int bad;\n\n"
                "static void check(const char *what, int point, int k, double got, double want, double tol)\n{\n"
                "    if (!(isfinite(got) && fabs(got - want) <= tol * (fabs(want) > 1 ? fabs(want) : 1))) {\n"
                "        printf(\"%s, point %d, %s %d: %.17g, expected %.17g\\n\", what, point,\n"
                "               k < 0 ? \"value\" : \"derivative\", k, got, want);\n"
                "        bad = 1;\n    }\n}\n\n");
    StrBuf body;
    sb_init(&body);
    int nkernels = 0;
    for (int fi = 0; fi < NFORMS; fi++) {
        const Form *f = &forms[fi];
        for (int variant = 0; variant < 2; variant++)
            for (int fl = 0; fl < 2; fl++) {
                const char *text = variant ? f->vector : f->scalar;
                char name[32], file[48];
                snprintf(name, sizeof name, "k%d%c%c", fi, variant ? 'v' : 's', fl ? 'f' : 'd');
                snprintf(file, sizeof file, "%s.c", name);
                SdProgram *p;
                SdResult *r;
                ck_assert_int_eq(sd_compile(text, strlen(text), NULL, &p), SD_OK);
                ck_assert_int_eq(sd_derive(p, NULL, &r), SD_OK);
                SdEmitOptions eo = {.name = name, .type = fl ? SD_FLOAT : SD_DOUBLE, .self_contained = 1};
                SdEmitted out;
                SdStatus st = sd_emit_c(r, &eo, &out);
                ck_assert_msg(st == SD_OK, "%s: %s", text, sd_error_message(p));
                char *path = path_join(dir, file);
                write_file(path, out.source);
                free(path);
                sd_emitted_free(&out);
                sd_result_free(r);
                sd_program_free(p);
                sb_printf(&d, "#include \"%s\"\n", file);
                nkernels++;
                /* the calls, with the reference values */
                const char *T = fl ? "float" : "double";
                double pts[MAXPTS][4];
                int np = form_points(f, fl ? 80 : 1000, pts);
                sb_printf(&body, "    {\n        /* %s: %s */\n", f->name, text);
                for (int i = 0; i < np; i++) {
                    double v, g[4];
                    reference(f, pts[i], &v, g);
                    sb_printf(&body, "        {\n            const %s x[4] = {", T);
                    for (int k = 0; k < 4; k++)
                        sb_printf(&body, "%s(%s)%.17g", k ? ", " : "", T, k < f->n ? pts[i][k] : 0.0);
                    sb_printf(&body, "};\n            %s g[4];\n            double v = (double)%s_grad(x, g);\n", T,
                              name);
                    sb_printf(&body, "            check(\"%s\", %d, -1, v, %.17g, %s);\n", name, i, v,
                              fl ? "2e-5" : "1e-12");
                    for (int k = 0; k < f->n; k++)
                        sb_printf(&body, "            check(\"%s\", %d, %d, (double)g[%d], %.17g, %s);\n", name, i,
                                  k, k, g[k], fl ? "2e-5" : "1e-12");
                    sb_puts(&body, "        }\n");
                }
                sb_puts(&body, "    }\n");
            }
    }
    sb_printf(&d, "\nint main(void)\n{\n%s    return bad;\n}\n", sb_str(&body));
    ck_assert(!d.failed && !body.failed);
    char *path = path_join(dir, "driver.c");
    write_file(path, sb_str(&d));
    free(path);
    ck_assert_int_eq(nkernels, NFORMS * 4);
    int st = sh("cd '%s' && cc -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror -o driver driver.c -lm > build.out 2>&1 "
                "&& ./driver > run.out 2>&1",
                dir);
    if (st != 0) {
        char *b = path_join(dir, "build.out"), *o = path_join(dir, "run.out");
        char *bt = read_file(b), *ot = read_file(o);
        ck_abort_msg("the kernels of the stable forms:\n%.3000s\n%.3000s", bt ? bt : "", ot ? ot : "");
    }
    sb_free(&d);
    sb_free(&body);
}
END_TEST

/* exp(s)/sum(exp(s)) as a vector program is the softmax, and its Jacobian
 * p_i (delta_ij - p_j) is finite at logits of +-1000. */
START_TEST(test_softmax_jacobian) {
    const char *text = "param s[3]; exp(s)/sum(exp(s))";
    SdProgram *p;
    SdResult *r;
    ck_assert_int_eq(sd_compile(text, strlen(text), NULL, &p), SD_OK);
    ck_assert_int_eq(sd_derive(p, &(SdRequest){.what = SD_FUNCTION}, &r), SD_OK);
    char *shown;
    ck_assert_int_eq(sd_print(r, NULL, NULL, SD_TEXT, &shown), SD_OK);
    ck_assert_str_eq(shown, "softmax(s)\n");
    sd_free(shown);
    sd_result_free(r);
    ck_assert_int_eq(sd_derive(p, NULL, &r), SD_OK);
    static const double pts[][3] = {{1000, 0, -1000}, {-1000, -1000, 1000}, {0, 0, 0}, {1000, 1000, 999}};
    for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
        SdValues v;
        ck_assert_int_eq(sd_eval(r, pts[i], &v), SD_OK);
        LD x[3] = {pts[i][0], pts[i][1], pts[i][2]}, pr[3];
        l_lse(x, 3, pr);
        for (int a = 0; a < 3; a++) {
            ck_assert_msg(close_enough(v.value[a], (double)pr[a], 1e-12), "p[%d] = %g", a, v.value[a]);
            for (int b = 0; b < 3; b++)
                ck_assert_msg(close_enough(v.deriv[a * 3 + b], (double)(pr[a] * ((a == b) - pr[b])), 1e-12),
                              "J[%d][%d] = %g at point %zu", a, b, v.deriv[a * 3 + b], i);
        }
        sd_values_free(&v);
    }
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

/* ---- finite derivatives at special points ------------------------------------------------ */

#define FINITE_PROGRAMS 3000

/* Points where removable 0/0 hide: zeros, +-1, and exact cancellations
 * (x = y, x = -y, y = 2x). */
static int special_points(long double pts[][GEN_NVARS]) {
    static const long double c[] = {0, 1, -1};
    int n = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int d = 0; d < 3; d++) {
                pts[n][0] = c[a];
                pts[n][1] = c[b];
                pts[n++][2] = c[d];
            }
    static const long double t[] = {0.5L, -2, 3};
    for (int k = 0; k < 3; k++) {
        long double cancel[3][3] = {{t[k], t[k], 0}, {t[k], -t[k], 1}, {t[k], 2 * t[k], -t[k]}};
        for (int j = 0; j < 3; j++)
            memcpy(pts[n++], cancel[j], sizeof cancel[j]);
    }
    return n;
}

/* Is the program as written differentiable at pt along each variable, by
 * the reference evaluator: defined there and around, no kink hit, and
 * Ridders' differences converging to a moderate value?  The derivatives
 * into d. */
static int differentiable(const Gen *gen, const long double *pt, long double *d) {
    GenValue at = gen_eval(gen, pt);
    if (at.part_undefined || at.def_undefined || at.const_undefined || at.const_tiny || at.at_kink ||
        at.extreme || !isfinite(at.v))
        return 0;
    for (int v = 0; v < GEN_NVARS; v++) {
        d[v] = 0;
        if (!gen_uses_var(gen, v))
            continue;
        for (int s = -1; s <= 1; s += 2) {
            long double near[GEN_NVARS];
            memcpy(near, pt, sizeof near);
            near[v] += s * 1e-4L;
            GenValue n = gen_eval(gen, near);
            if (n.part_undefined || n.def_undefined || n.at_kink || !isfinite(n.v))
                return 0;
        }
        long double err;
        d[v] = gen_ridders(gen, pt, v, 1e-2L, &err);
        if (!isfinite(err) || !isfinite(d[v]) || err > 1e-7L * (1 + fabsl(d[v])) || fabsl(d[v]) > 1e8L)
            return 0;
    }
    return 1;
}

START_TEST(test_finite_derivatives_at_special_points) {
    static Gen gen;
    StrBuf text, sb;
    sb_init(&text);
    sb_init(&sb);
    long double pts[27 + 9][GEN_NVARS];
    int npts = special_points(pts);
    int checked = 0, programs = 0;
    const DerivOptions assume = {.assume_domain = 1}; /* as a request does */
    for (int p = _i * (FINITE_PROGRAMS / 4); p < (_i + 1) * (FINITE_PROGRAMS / 4); p++) {
        Graph *g = graph_new();
        Node *f = random_program(&gen, g, 0xf1a17e00u + (uint64_t)p, &text);
        Node *grad[GEN_NVARS];
        if (!f || gen_uses_fn(&gen, "ifpos") ||
            deriv_gradient(g, f, (int[]){0, 1, 2}, GEN_NVARS, &assume, grad, NULL) != 0) {
            graph_free(g);
            continue;
        }
        programs++;
        for (int i = 0; i < npts; i++) {
            long double d[GEN_NVARS];
            if (!differentiable(&gen, pts[i], d))
                continue;
            double pt[GEN_NVARS] = {(double)pts[i][0], (double)pts[i][1], (double)pts[i][2]};
            for (int v = 0; v < GEN_NVARS; v++) {
                double got = eval_node(g, grad[v], pt);
                ck_assert_msg(isfinite(got),
                              "program %d is differentiable at (%g, %g, %g), d/d%s = %.6Lg, but symdiff gives %g:\n"
                              "%s\nd/d%s = %s",
                              p, pt[0], pt[1], pt[2], gen_var_names[v], d[v], got, sb_str(&text), gen_var_names[v],
                              show(&sb, g, grad[v]));
                ck_assert_msg(fabs(got - (double)d[v]) <= 1e-5 * (1 + fabsl(d[v])),
                              "program %d at (%g, %g, %g): d/d%s = %.17g, differences give %.17Lg:\n%s\nd/d%s = %s", p,
                              pt[0], pt[1], pt[2], gen_var_names[v], got, d[v], sb_str(&text), gen_var_names[v],
                              show(&sb, g, grad[v]));
            }
            checked++;
        }
        graph_free(g);
    }
    ck_assert_int_gt(programs, FINITE_PROGRAMS / 8);
    ck_assert_int_gt(checked, programs);
    sb_free(&text);
    sb_free(&sb);
}
END_TEST

Suite *facts_suite(void); /* called by tests/runner.c */

Suite *facts_suite(void) {
    Suite *s = suite_create("facts");
    TCase *tc = tcase_create("ranges");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ranges);
    tcase_add_test(tc, test_ranges_sound);
    tcase_add_test(tc, test_rewrites_by_range);
    suite_add_tcase(s, tc);

    tc = tcase_create("stable forms");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_stable_forms_api, 0, NFORMS);
    tcase_add_loop_test(tc, test_stable_forms_at, 0, NFORMS);
    tcase_add_test(tc, test_softmax_jacobian);
    suite_add_tcase(s, tc);

    tc = tcase_create("kernels");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_stable_forms_kernels);
    suite_add_tcase(s, tc);

    tc = tcase_create("finite derivatives");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_finite_derivatives_at_special_points, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
