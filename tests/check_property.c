/* SPDX-License-Identifier: MIT */
/*
 * check_property.c — properties of the whole pipeline on random programs.
 *
 * A small generator (drawing from SdrtRng: deterministic) builds random
 * expressions over x, y, z (+ - * /, ^ with small integer exponents, exp,
 * log(1 + u^2), sin, cos, tanh, sigmoid, sqrt(1 + u^2), atan, and
 * sometimes a named shared value `a = ...;`) as a tree of its own and as
 * program text.  For each program:
 *   - values: the lowered (simplified) DAG evaluates to what a recursive
 *     evaluator of the generated tree computes;
 *   - derivatives: forward and reverse gradients agree with each other and
 *     with central finite differences;
 *   - printing: the printed form, parsed and lowered again into the same
 *     graph, has the same values (and how often it is the very same node is
 *     counted; set SYMDIFF_TEST_STATS=1 to print the percentages).
 * Points where the tree evaluator says the function is ill-conditioned
 * (double and long double disagree) or where finite differences are
 * unreliable (two step sizes disagree) are skipped and counted; the test
 * asserts that most points were used.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "deriv.h"
#include "eval.h"
#include "lower.h"
#include "print.h"
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

static const char *const xyz[] = {"x", "y", "z"};

/* The random numbers: the suite's generator (SdrtRng), in these terms. */
static int rng_int(SdrtRng *s, int n) { return (int)sdrt_rng_below(s, (uint64_t)n); }

/* ---- random expressions ------------------------------------------------------- */

typedef enum {
    R_VAR,     /* x, y or z                  */
    R_CONST,   /* a small integer k          */
    R_SHARED,  /* the named value `a`        */
    R_ADD,
    R_SUB,
    R_MUL,
    R_DIV,
    R_POW,     /* u^k, k a small integer     */
    R_NEG,
    R_EXP,
    R_LOG1P2,  /* log(1 + u^2)               */
    R_SIN,
    R_COS,
    R_TANH,
    R_SIGMOID,
    R_SQRT1P2, /* sqrt(1 + u^2)              */
    R_ATAN,
    R_COUNT
} RKind;

typedef struct {
    RKind kind;
    int k;    /* R_VAR: variable; R_CONST: value; R_POW: exponent */
    int a, b; /* children (indices into RExpr.nodes)               */
} RNode;

#define RMAX 512

typedef struct {
    RNode nodes[RMAX];
    int n;
    int shared; /* root of `a`, or -1   */
    int root;
} RExpr;

static int rnew(RExpr *e, RKind kind, int k, int a, int b) {
    ck_assert_int_lt(e->n, RMAX);
    RNode *n = &e->nodes[e->n];
    n->kind = kind;
    n->k = k;
    n->a = a;
    n->b = b;
    return e->n++;
}

static int gen(RExpr *e, SdrtRng *s, int depth, int may_use_shared) {
    if (depth == 0 || rng_int(s, 100) < 20) {
        int r = rng_int(s, 10);
        if (r < 2)
            return rnew(e, R_CONST, 1 + rng_int(s, 5), -1, -1);
        if (r < 4 && may_use_shared && e->shared >= 0)
            return rnew(e, R_SHARED, 0, -1, -1);
        return rnew(e, R_VAR, rng_int(s, 3), -1, -1);
    }
    RKind kind = (RKind)(R_ADD + rng_int(s, R_COUNT - R_ADD));
    int a = gen(e, s, depth - 1, may_use_shared), b = -1, k = 0;
    if (kind <= R_DIV)
        b = gen(e, s, depth - 1, may_use_shared);
    if (kind == R_POW)
        k = -2 + rng_int(s, 6); /* -2 .. 3 */
    return rnew(e, kind, k, a, b);
}

static void generate(RExpr *e, SdrtRng *s, int depth) {
    e->n = 0;
    e->shared = -1;
    if (rng_int(s, 100) < 30)
        e->shared = gen(e, s, depth / 2, 0);
    e->root = gen(e, s, depth, 1);
}

static void rtext(StrBuf *sb, const RExpr *e, int i) {
    const RNode *n = &e->nodes[i];
    static const char *const fname[R_COUNT] = {
        [R_EXP] = "exp", [R_SIN] = "sin", [R_COS] = "cos", [R_TANH] = "tanh",
        [R_SIGMOID] = "sigmoid", [R_ATAN] = "atan"};
    switch (n->kind) {
    case R_VAR:
        sb_puts(sb, xyz[n->k]);
        return;
    case R_CONST:
        sb_printf(sb, "%d", n->k);
        return;
    case R_SHARED:
        sb_putc(sb, 'a');
        return;
    case R_ADD:
    case R_SUB:
    case R_MUL:
    case R_DIV:
        sb_putc(sb, '(');
        rtext(sb, e, n->a);
        sb_puts(sb, n->kind == R_ADD   ? " + "
                    : n->kind == R_SUB ? " - "
                    : n->kind == R_MUL ? "*"
                                       : "/");
        rtext(sb, e, n->b);
        sb_putc(sb, ')');
        return;
    case R_POW:
        sb_putc(sb, '(');
        rtext(sb, e, n->a);
        sb_printf(sb, n->k < 0 ? ")^(%d)" : ")^%d", n->k);
        return;
    case R_NEG:
        sb_puts(sb, "(-");
        rtext(sb, e, n->a);
        sb_putc(sb, ')');
        return;
    case R_LOG1P2:
    case R_SQRT1P2:
        sb_puts(sb, n->kind == R_LOG1P2 ? "log(1 + (" : "sqrt(1 + (");
        rtext(sb, e, n->a);
        sb_puts(sb, ")^2)");
        return;
    case R_EXP:
    case R_SIN:
    case R_COS:
    case R_TANH:
    case R_SIGMOID:
    case R_ATAN:
        sb_printf(sb, "%s(", fname[n->kind]);
        rtext(sb, e, n->a);
        sb_putc(sb, ')');
        return;
    case R_COUNT:
        break;
    }
}

static void program_text(StrBuf *sb, const RExpr *e) {
    sb_clear(sb);
    if (e->shared >= 0) {
        sb_puts(sb, "a = ");
        rtext(sb, e, e->shared);
        sb_puts(sb, "; ");
    }
    rtext(sb, e, e->root);
}

/* The tree's value, straightforwardly, in long double (the reference) or
 * double (to detect ill-conditioned points). */
static long double reval_l(const RExpr *e, int i, const double *pt) {
    const RNode *n = &e->nodes[i];
    long double u = n->a >= 0 ? reval_l(e, n->a, pt) : 0;
    long double v = n->b >= 0 ? reval_l(e, n->b, pt) : 0;
    switch (n->kind) {
    case R_VAR:
        return pt[n->k];
    case R_CONST:
        return n->k;
    case R_SHARED:
        return reval_l(e, e->shared, pt);
    case R_ADD:
        return u + v;
    case R_SUB:
        return u - v;
    case R_MUL:
        return u * v;
    case R_DIV:
        return u / v;
    case R_POW:
        return powl(u, n->k);
    case R_NEG:
        return -u;
    case R_EXP:
        return expl(u);
    case R_LOG1P2:
        return logl(1 + u * u);
    case R_SIN:
        return sinl(u);
    case R_COS:
        return cosl(u);
    case R_TANH:
        return tanhl(u);
    case R_SIGMOID:
        return 1 / (1 + expl(-u));
    case R_SQRT1P2:
        return sqrtl(1 + u * u);
    case R_ATAN:
        return atanl(u);
    case R_COUNT:
        break;
    }
    return NAN;
}

static double reval_d_inner(const RExpr *e, int i, const double *pt, int *overflow);

/* Also sets *overflow when an intermediate value is not finite (the final
 * value may still be: atan(exp(1000)) = pi/2) or sin/cos get an argument so
 * large that finite differences are meaningless. */
static double reval_d(const RExpr *e, int i, const double *pt, int *overflow) {
    double r = reval_d_inner(e, i, pt, overflow);
    if (!isfinite(r))
        *overflow = 1;
    return r;
}

static double reval_d_inner(const RExpr *e, int i, const double *pt, int *overflow) {
    const RNode *n = &e->nodes[i];
    double u = n->a >= 0 ? reval_d(e, n->a, pt, overflow) : 0;
    double v = n->b >= 0 ? reval_d(e, n->b, pt, overflow) : 0;
    switch (n->kind) {
    case R_VAR:
        return pt[n->k];
    case R_CONST:
        return n->k;
    case R_SHARED:
        return reval_d(e, e->shared, pt, overflow);
    case R_ADD:
        return u + v;
    case R_SUB:
        return u - v;
    case R_MUL:
        return u * v;
    case R_DIV:
        return u / v;
    case R_POW:
        return pow(u, n->k);
    case R_NEG:
        return -u;
    case R_EXP:
        return exp(u);
    case R_LOG1P2:
        return log(1 + u * u);
    case R_SIN:
    case R_COS:
        if (fabs(u) > 1e6)
            *overflow = 1; /* ill-conditioned: the phase is mostly rounding */
        return n->kind == R_SIN ? sin(u) : cos(u);
    case R_TANH:
        return tanh(u);
    case R_SIGMOID:
        return 1 / (1 + exp(-u));
    case R_SQRT1P2:
        return sqrt(1 + u * u);
    case R_ATAN:
        return atan(u);
    case R_COUNT:
        break;
    }
    return NAN;
}

/* The reference value at pt, or NaN when the point is not usable: not
 * finite, too large, an intermediate value overflows, or ill-conditioned
 * (double and long double differ). */
static double reference(const RExpr *e, const double *pt) {
    long double l = reval_l(e, e->root, pt);
    int overflow = 0;
    double d = reval_d(e, e->root, pt, &overflow);
    if (overflow || !isfinite(d) || !isfinite((double)l) || fabsl(l) > 1e12L)
        return NAN;
    if (fabsl((long double)d - l) > 1e-12L * fmaxl(1, fabsl(l)))
        return NAN;
    return (double)l;
}

static int close_to(double a, double b, double tol) {
    return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* Five-point central difference of f along v at pt, with step h. */
static double central(const Graph *g, Node *f, double *pt, int v, double h) {
    double x0 = pt[v], r[4];
    static const double at[4] = {-2, -1, 1, 2};
    for (int i = 0; i < 4; i++) {
        pt[v] = x0 + at[i] * h;
        r[i] = eval_node(g, f, pt);
    }
    pt[v] = x0;
    return (r[0] - 8 * r[1] + 8 * r[2] - r[3]) / (12 * h);
}

/* ---- the property test ------------------------------------------------------------- */

/* Kinds of failure, each counted and the first few described. */
enum { F_LOWER, F_VALUE, F_GRADIENT, F_PRINT, F_DPRINT, F_COUNT };
static const char *const failure_name[F_COUNT] = {
    "does not lower", "simplified value differs", "derivative differs",
    "printed function reads back differently", "printed derivative reads back differently"};

typedef struct {
    int programs, rejected;          /* used; refused (constant domain errors) */
    int value_points, value_skipped;
    int grad_points, grad_skipped;
    int print_same_node, print_programs;
    int dprint_same_node, dprint_programs;
    int failures[F_COUNT];
    int log_limit;                   /* failures described per kind */
    StrBuf log;
} Stats;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void record_failure(Stats *st, int kind, const char *fmt, ...) {
    if (st->failures[kind]++ >= st->log_limit)
        return;
    va_list ap;
    va_start(ap, fmt);
    sb_printf(&st->log, "\n[%s] ", failure_name[kind]);
    sb_vprintf(&st->log, fmt, ap);
    va_end(ap);
}

static void random_point(SdrtRng *s, double *pt) {
    for (int v = 0; v < 3; v++)
        pt[v] = sdrt_rng_range(s, -2, 2);
}

static void check_values(Graph *g, Node *f, const RExpr *e, const char *text, SdrtRng *s,
                         Stats *st) {
    for (int k = 0; k < 8; k++) {
        double pt[3];
        random_point(s, pt);
        double want = reference(e, pt);
        if (isnan(want)) {
            st->value_skipped++;
            continue;
        }
        double got = eval_node(g, f, pt);
        st->value_points++;
        if (!close_to(got, want, 1e-9)) {
            StrBuf sb;
            sb_init(&sb);
            print_expr(&sb, g, f, PRINT_INFIX);
            record_failure(st, F_VALUE,
                 "%s\n  simplified to %s\n  at (%.17g, %.17g, %.17g) is %.17g, the tree "
                 "gives %.17g",
                 text, sb_str(&sb), pt[0], pt[1], pt[2], got, want);
            sb_free(&sb);
            return;
        }
    }
}

/* Reads the printed form of n back into g; compares values where the
 * generated function is well-conditioned.  Returns the node read back, or
 * NULL. */
static Node *read_back(Graph *g, Node *n, const RExpr *e, const char *text, SdrtRng *s,
                       Stats *st, int kind) {
    StrBuf sb;
    sb_init(&sb);
    print_expr(&sb, g, n, PRINT_INFIX);
    Node *back = tu_lower(sb_str(&sb), g, &(TuOptions){.vars = xyz, .nvars = 3, .may_fail = 1});
    if (!back) {
        record_failure(st, kind, "%s\n  printed as %s\n  does not read back:\n%s", text,
                       sb_str(&sb), tu_errors());
    } else {
        for (int k = 0; k < 5; k++) {
            double pt[3];
            random_point(s, pt);
            if (isnan(reference(e, pt)))
                continue;
            double a = eval_node(g, n, pt), b = eval_node(g, back, pt);
            if (!isfinite(a) || fabs(a) > 1e12)
                continue;
            if (!close_to(a, b, 1e-9)) {
                record_failure(st, kind,
                               "%s\n  printed as %s\n  is %.17g at (%.17g, %.17g, %.17g), "
                               "read back %.17g",
                               text, sb_str(&sb), a, pt[0], pt[1], pt[2], b);
                break;
            }
        }
    }
    sb_free(&sb);
    return back;
}

/* The command line's settings: the function's domain assumed. */
static const DerivOptions assume = {.assume_domain = 1};

static void check_gradients(Graph *g, Node *f, const RExpr *e, const char *text, SdrtRng *s,
                            Stats *st) {
    int vars[3] = {0, 1, 2};
    Node *fwd[3], *rev[3];
    for (int v = 0; v < 3; v++) {
        fwd[v] = deriv_forward(g, f, v, &assume);
        ck_assert_ptr_nonnull(fwd[v]);
    }
    ck_assert_int_eq(deriv_reverse(g, f, vars, 3, &assume, rev), 0);
    int failed = 0;
    for (int k = 0; k < 5 && !failed; k++) {
        double pt[3];
        random_point(s, pt);
        double fval = reference(e, pt);
        if (isnan(fval)) {
            st->grad_skipped += 3;
            continue;
        }
        for (int v = 0; v < 3 && !failed; v++) {
            double h = 1e-3 * fmax(1.0, fabs(pt[v]));
            double fd1 = central(g, f, pt, v, h), fd2 = central(g, f, pt, v, h / 2);
            /* rounding in f(x +- h) is amplified by 1/h */
            double noise = 4e-16 * fmax(1.0, fabs(fval)) / (h / 2);
            if (!isfinite(fd1) || !isfinite(fd2) || !close_to(fd1, fd2, 1e-8) ||
                noise > 1e-8 * fmax(1.0, fabs(fd2))) {
                st->grad_skipped++; /* finite differences unreliable here */
                continue;
            }
            double df = eval_node(g, fwd[v], pt), dr = eval_node(g, rev[v], pt);
            st->grad_points++;
            if (!close_to(df, fd2, 1e-6) || !close_to(dr, fd2, 1e-6) || !close_to(df, dr, 1e-9)) {
                StrBuf sb;
                sb_init(&sb);
                print_expr(&sb, g, fwd[v], PRINT_INFIX);
                record_failure(st, F_GRADIENT,
                     "%s\n  d/d%s at (%.17g, %.17g, %.17g): forward %.17g, reverse %.17g, finite "
                     "differences %.17g\n  forward derivative: %s",
                     text, xyz[v], pt[0], pt[1], pt[2], df, dr, fd2, sb_str(&sb));
                sb_free(&sb);
                failed = 1;
            }
        }
    }
    /* the derivative's printed form reads back to the same values */
    Node *back = read_back(g, fwd[0], e, text, s, st, F_DPRINT);
    st->dprint_programs++;
    st->dprint_same_node += back == fwd[0];
}

static int env_int(const char *name, int fallback) {
    const char *v = getenv(name);
    return v && *v ? atoi(v) : fallback;
}

/* Defaults: 400 programs of depth 4.  SYMDIFF_PROPERTY_PROGRAMS,
 * SYMDIFF_PROPERTY_DEPTH, SYMDIFF_PROPERTY_SEED and SYMDIFF_PROPERTY_LOG
 * (failures described per kind) fuzz further; SYMDIFF_TEST_STATS=1 prints
 * the counts. */
START_TEST(test_property_random_programs) {
    const int nprograms = env_int("SYMDIFF_PROPERTY_PROGRAMS", 400);
    const int depth = env_int("SYMDIFF_PROPERTY_DEPTH", 4);
    SdrtRng seed, points; /* programs, and the points they are checked at */
    sdrt_rng_seed(&seed, (uint64_t)env_int("SYMDIFF_PROPERTY_SEED", 0x5EED));
    sdrt_rng_seed(&points, 99);
    Stats st;
    memset(&st, 0, sizeof st);
    st.log_limit = env_int("SYMDIFF_PROPERTY_LOG", 3);
    sb_init(&st.log);
    RExpr *e = malloc(sizeof *e);
    ck_assert_ptr_nonnull(e);
    StrBuf text;
    sb_init(&text);
    for (int attempt = 0; st.programs < nprograms && attempt < 5 * nprograms; attempt++) {
        generate(e, &seed, depth);
        program_text(&text, e);
        Graph *g = graph_new();
        Node *f = tu_lower(sb_str(&text), g, &(TuOptions){.vars = xyz, .nvars = 3, .may_fail = 1});
        if (!f) {
            /* only a constant subexpression such as (2 - 2)^(-1) may be refused */
            if (strstr(tu_errors(), "domain error") == NULL)
                record_failure(&st, F_LOWER, "%s\n%s", sb_str(&text), tu_errors());
            st.rejected++;
            graph_free(g);
            continue;
        }
        check_values(g, f, e, sb_str(&text), &points, &st);
        Node *back = read_back(g, f, e, sb_str(&text), &points, &st, F_PRINT);
        st.print_programs++;
        st.print_same_node += back == f;
        check_gradients(g, f, e, sb_str(&text), &points, &st);
        ck_assert(!g->failed);
        graph_free(g);
        st.programs++;
    }
    int total = 0;
    StrBuf summary;
    sb_init(&summary);
    for (int k = 0; k < F_COUNT; k++) {
        total += st.failures[k];
        if (st.failures[k])
            sb_printf(&summary, " %d %s;", st.failures[k], failure_name[k]);
    }
    if (getenv("SYMDIFF_TEST_STATS"))
        printf("property: %d programs (%d refused), %d value points (%d skipped), %d gradient "
               "components (%d skipped); printed functions read back to the same node %d/%d "
               "(%.1f%%), printed derivatives %d/%d (%.1f%%); failures:%s\n",
               st.programs, st.rejected, st.value_points, st.value_skipped, st.grad_points,
               st.grad_skipped, st.print_same_node, st.print_programs,
               100.0 * st.print_same_node / (st.print_programs ? st.print_programs : 1),
               st.dprint_same_node, st.dprint_programs,
               100.0 * st.dprint_same_node / (st.dprint_programs ? st.dprint_programs : 1),
               total ? sb_str(&summary) : " none");
    if (getenv("SYMDIFF_TEST_STATS"))
        printf("%s\n", sb_str(&st.log));
    fflush(stdout);
    /* Check's messages are limited in length: the first failures only */
    ck_assert_msg(total == 0, "%d of %d random programs fail:%s%.3000s", total, st.programs,
                  sb_str(&summary), sb_str(&st.log));
    ck_assert_int_ge(st.programs, nprograms < 300 ? nprograms : 300);
    /* most points were usable */
    ck_assert_int_ge(st.value_points, 3 * (st.value_points + st.value_skipped) / 4);
    ck_assert_int_ge(st.grad_points, 3 * (st.grad_points + st.grad_skipped) / 4);
    free(e);
    sb_free(&summary);
    sb_free(&st.log);
    sb_free(&text);
}
END_TEST

/* Printing round trips chosen by hand: negative coefficients hidden in
 * shared products (the printer once printed `u = -x*y; z - u*y` as
 * z - y^2*x, fixed in e0d723b), powers, quotients and unary minus. */
START_TEST(test_property_print_round_trip_cases) {
    static const char *const programs[] = {
        "u = -x*y; z - u*y",
        "u = -x*y; z + u*y",
        "u = -x*y; -u*z",
        "u = -x*sin(y); 1 - u*cos(y)",
        "a = (5/y)/(-x); atan(log(1 + (2 + (z - a))^2))",
        "a = -y*(x - 3); atan(log(1 + a^2) - a*x)",
        "a = -2*x; b = -3*a*y; c = -b*z; x - c + b - a",
        "a = x - y; -(-a)*(-a)",
        "-x^2", "(-x)^2", "2^-x", "x^-2^2", "x - (-y)", "-(x*y)*z", "1/(2*x)", "x/(y/z)",
        "(x/y)^2", "exp(-x)", "-1/x", "x^(1/3)", "x^(-1/2)", "-(x - y)", "-(x + y)*(y - z)",
        "x/y/z", "x^y^z", "(x^y)^z", "-x^-y", "1e-20*x + 1e20*y", "0.1*x - 0.7*y",
        "x*(y + z)/(y - z)", "(1 - x)^(2/3)", "-sigmoid(-x)", "e^x - e", "pi*x/3",
        "max(-x, y) - min(x, -y)", "ifpos(-x, -y, -z)", "step(-x, 1/2)", "leaky_relu(-x, 0.3)",
    };
    StrBuf sb;
    sb_init(&sb);
    SdrtRng rng;
    sdrt_rng_seed(&rng, 5);
    int same = 0;
    for (size_t i = 0; i < sizeof programs / sizeof *programs; i++) {
        Graph *g = graph_new();
        Node *f = tu_lower(programs[i], g, &(TuOptions){.vars = xyz, .nvars = 3});
        sb_clear(&sb);
        print_expr(&sb, g, f, PRINT_INFIX);
        Node *back = tu_lower(sb_str(&sb), g, &(TuOptions){.vars = xyz, .nvars = 3, .may_fail = 1});
        ck_assert_msg(back != NULL, "%s printed as %s does not read back: %s", programs[i], sb_str(&sb),
                      tu_errors());
        same += back == f;
        for (int k = 0; k < 50; k++) {
            double pt[3];
            for (int v = 0; v < 3; v++)
                pt[v] = sdrt_rng_range(&rng, -3, 3);
            double a = eval_node(g, f, pt), b = eval_node(g, back, pt);
            if (!isfinite(a))
                continue;
            ck_assert_msg(close_to(a, b, 1e-12), "%s printed as %s: %.17g, read back %.17g at "
                          "(%g, %g, %g)", programs[i], sb_str(&sb), a, b, pt[0], pt[1], pt[2]);
        }
        graph_free(g);
    }
    if (getenv("SYMDIFF_TEST_STATS"))
        printf("property: hand-picked printed forms read back to the same node %d/%zu\n", same,
               sizeof programs / sizeof *programs);
    sb_free(&sb);
}
END_TEST

/* The generator itself: deterministic, and it makes every kind of node. */
START_TEST(test_property_generator_is_deterministic) {
    RExpr *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    StrBuf ta, tb;
    sb_init(&ta);
    sb_init(&tb);
    SdrtRng s1, s2;
    sdrt_rng_seed(&s1, 1);
    sdrt_rng_seed(&s2, 1);
    int kinds[R_COUNT] = {0};
    for (int i = 0; i < 200; i++) {
        generate(a, &s1, 4);
        generate(b, &s2, 4);
        program_text(&ta, a);
        program_text(&tb, b);
        ck_assert_str_eq(sb_str(&ta), sb_str(&tb));
        for (int k = 0; k < a->n; k++)
            kinds[a->nodes[k].kind]++;
    }
    for (int k = 0; k < R_COUNT; k++)
        ck_assert_msg(kinds[k] > 0, "the generator never makes kind %d", k);
    free(a);
    free(b);
    sb_free(&ta);
    sb_free(&tb);
}
END_TEST

Suite *property_suite(void); /* called by tests/runner.c */

Suite *property_suite(void) {
    Suite *s = suite_create("property");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_property_generator_is_deterministic);
    tcase_add_test(tc, test_property_random_programs);
    tcase_add_test(tc, test_property_print_round_trip_cases);
    suite_add_tcase(s, tc);
    return s;
}
