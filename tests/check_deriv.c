/* SPDX-License-Identifier: MIT */
/*
 * check_deriv.c — symbolic differentiation (src/deriv.c), forward and
 * reverse engines.
 *
 * For every builtin: the exact printed derivative (golden text, the same
 * from the forward, the reverse and the automatic engine) and a numeric
 * check against central finite differences at random points of its domain.
 * Then the course examples: gradients, a Hessian, a Jacobian, the logistic
 * map (values against a hand-written forward loop, DAG size against the
 * function's, the --expand coefficients), a third derivative, and the
 * conventions at kinks.
 *
 * Finite differences use the five-point central stencil
 *   f'(x) ~ (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / (12 h),
 * h = 1e-3 max(1, |x|): truncation O(h^4), so a relative tolerance of 1e-7
 * is comfortable for smooth functions; points whose stencil reaches a kink
 * are skipped.
 *
 * Regression tests for fixed engine bugs are marked FIXED.  A known
 * limitation (ifpos, see README) is kept under SHOW_KNOWN_LIMITATIONS (build
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
#include "expand.h"
#include "lower.h"
#include "parse.h"
#include "print.h"
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

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

/* The scalar function `text`, lowered into g, with its domain facts
 * assumed (as the CLI does before differentiating). */
static Node *function(Graph *g, const char *text, const char *const *vars, int nvars) {
    Program p;
    StrBuf err;
    sb_init(&err);
    int status = lower_into(g, text, vars, nvars, &p, &err);
    ck_assert_msg(status == 0, "'%s' does not lower:\n%s", text, sb_str(&err));
    ck_assert_int_eq(p.noutputs, 1);
    Node *f = p.outputs[0];
    program_free(&p);
    sb_free(&err);
    return f;
}

/* The settings of the command line's requests: kinks 0, and the domain of
 * the function assumed (ln(x^2) needs x != 0, ...). */
static const DerivOptions assume = {.assume_domain = 1};

static const char *show(StrBuf *sb, const Graph *g, const Node *n) {
    sb_clear(sb);
    print_expr(sb, g, n, PRINT_INFIX);
    return sb_str(sb);
}

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s, double lo, double hi) {
    return lo + (hi - lo) * (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double fd_step(double x) { return 1e-3 * fmax(1.0, fabs(x)); }

/* Five-point central difference of f along variable v at pt (restored). */
static double central(const Graph *g, Node *f, double *pt, int v) {
    double x0 = pt[v], h = fd_step(x0), f_2, f_1, f1, f2;
    pt[v] = x0 - 2 * h;
    f_2 = eval_node(g, f, pt);
    pt[v] = x0 - h;
    f_1 = eval_node(g, f, pt);
    pt[v] = x0 + h;
    f1 = eval_node(g, f, pt);
    pt[v] = x0 + 2 * h;
    f2 = eval_node(g, f, pt);
    pt[v] = x0;
    return (f_2 - 8 * f_1 + 8 * f1 - f2) / (12 * h);
}

static int close_to(double a, double b, double tol) {
    return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* Which points a numeric check skips: those whose stencil reaches a kink. */
typedef enum { K_NONE, K_X0, K_Y0, K_X2, K_XY } Kink;

static int near_kink(Kink k, const double *pt, int v) {
    double reach = 3 * fd_step(pt[v]);
    switch (k) {
    case K_NONE:
        return 0;
    case K_X0:
        return fabs(pt[0]) < reach;
    case K_Y0:
        return fabs(pt[1]) < reach;
    case K_X2:
        return fabs(pt[0] - 2) < reach;
    case K_XY:
        return fabs(pt[0] - pt[1]) < 2 * reach;
    }
    return 0;
}

/* The gradient of f with respect to vars by the three engines, each in the
 * same graph: out[0] forward, out[1] reverse, out[2] auto (n entries each). */
static void gradients_with(Graph *g, Node *f, const int *vars, int n, const DerivOptions *opt, Node **out) {
    for (int i = 0; i < n; i++) {
        out[i] = deriv_forward(g, f, vars[i], opt);
        ck_assert_ptr_nonnull(out[i]);
    }
    ck_assert_int_eq(deriv_reverse(g, f, vars, n, opt, out + n), 0);
    DerivMode used = DERIV_FORWARD;
    ck_assert_int_eq(deriv_gradient(g, f, vars, n, opt, out + 2 * n, &used), 0);
    ck_assert(used == DERIV_FORWARD || used == DERIV_REVERSE);
    for (int i = 0; i < 3 * n; i++)
        ck_assert_ptr_nonnull(out[i]);
    ck_assert(!g->failed);
}

static void gradients(Graph *g, Node *f, const int *vars, int n, Node **out) {
    gradients_with(g, f, vars, n, &assume, out);
}

/* Compares the three engines' gradients of f with central differences at
 * `npoints` random points of [lo, hi]^nvars where f and its finite
 * differences are defined, and with each other.  Returns the number of points tested. */
static int check_numeric(Graph *g, Node *f, Node *const *grad3, const int *vars, int n,
                         double lo, double hi, Kink kink, int npoints, double tol,
                         const char *what) {
    uint64_t seed = 42;
    double *pt = calloc((size_t)g->nvars + 1, sizeof *pt);
    ck_assert_ptr_nonnull(pt);
    int tested = 0;
    for (int tries = 0; tested < npoints && tries < 50 * npoints; tries++) {
        for (int v = 0; v < g->nvars; v++)
            pt[v] = rng_uniform(&seed, lo, hi);
        if (!isfinite(eval_node(g, f, pt)))
            continue;
        int skip = 0;
        for (int i = 0; i < n && !skip; i++)
            skip = near_kink(kink, pt, vars[i]);
        if (skip)
            continue;
        int defined = 1;
        double d[3];
        for (int i = 0; i < n && defined; i++) {
            for (int e = 0; e < 3; e++)
                d[e] = eval_node(g, grad3[e * n + i], pt);
            double fd = central(g, f, pt, vars[i]);
            if (!isfinite(fd)) {
                defined = 0; /* the stencil left the domain */
                break;
            }
            /* (a non-finite derivative where the stencil is fine fails below) */
            for (int e = 0; e < 3; e++) {
                ck_assert_msg(close_to(d[e], fd, tol),
                              "%s: d/d%s by the %s engine is %.17g at %s = %.17g, "
                              "finite differences give %.17g",
                              what, g->vars[vars[i]].name,
                              e == 0 ? "forward" : e == 1 ? "reverse" : "auto", d[e],
                              g->vars[vars[0]].name, pt[vars[0]], fd);
                ck_assert_msg(close_to(d[e], d[0], 1e-12),
                              "%s: engines disagree on d/d%s: %.17g vs %.17g", what,
                              g->vars[vars[i]].name, d[e], d[0]);
            }
        }
        tested += defined;
    }
    free(pt);
    ck_assert_msg(tested >= npoints, "%s: only %d points tested", what, tested);
    return tested;
}

/* ---- every builtin ------------------------------------------------------------ */

typedef struct {
    const char *text;     /* a function of x (and y)                          */
    int wrt;              /* 0: d/dx, 1: d/dy                                 */
    const char *expected; /* the printed derivative, from every engine        */
    double lo, hi;        /* random points: every variable in [lo, hi)        */
    Kink kink;
} BuiltinCase;

static const BuiltinCase builtin_cases[] = {
    {"exp(x)", 0, "exp(x)", -5, 5, K_NONE},
    {"log(x)", 0, "1/x", 0.05, 10, K_NONE},
    {"ln(x)", 0, "1/x", 0.05, 10, K_NONE},
    {"log2(x)", 0, "1/(x*ln(2))", 0.05, 10, K_NONE},
    {"log10(x)", 0, "1/(x*ln(10))", 0.05, 10, K_NONE},
    {"sin(x)", 0, "cos(x)", -6, 6, K_NONE},
    {"cos(x)", 0, "-sin(x)", -6, 6, K_NONE},
    {"tan(x)", 0, "1 + tan(x)^2", -1.4, 1.4, K_NONE},
    {"asin(x)", 0, "1/sqrt(1 - x^2)", -0.95, 0.95, K_NONE},
    {"acos(x)", 0, "-1/sqrt(1 - x^2)", -0.95, 0.95, K_NONE},
    {"atan(x)", 0, "1/(1 + x^2)", -10, 10, K_NONE},
    {"sinh(x)", 0, "cosh(x)", -5, 5, K_NONE},
    {"cosh(x)", 0, "sinh(x)", -5, 5, K_NONE},
    {"tanh(x)", 0, "1 - tanh(x)^2", -4, 4, K_NONE},
    {"sigmoid(x)", 0, "sigmoid(x)*(1 - sigmoid(x))", -8, 8, K_NONE},
    {"softplus(x)", 0, "sigmoid(x)", -8, 8, K_NONE},
    {"relu(x)", 0, "step(x)", -3, 3, K_X0},
    {"leaky_relu(x)", 0, "(1 + 99*step(x))/100", -3, 3, K_X0},
    {"leaky_relu(x, 0.2)", 0, "(1 + 4*step(x))/5", -3, 3, K_X0},
    {"elu(x)", 0, "ifpos(x, 1, 1 + elu(x))", -3, 3, K_X0},
    {"elu(x, 2)", 0, "ifpos(x, 1, 2 + elu(x, 2))", -3, 3, K_X0},
    {"abs(x)", 0, "sign(x)", -3, 3, K_X0},
    {"sign(x)", 0, "0", -3, 3, K_X0},
    {"step(x)", 0, "0", -3, 3, K_X0},
    {"step(x, 1/2)", 0, "0", -3, 3, K_X0},
    {"min(x, 2)", 0, "step(2 - x)", -1, 5, K_X2},
    {"max(x, 2)", 0, "step(x - 2)", -1, 5, K_X2},
    {"max(x, y)", 0, "step(x - y)", -3, 3, K_XY},
    {"max(x, y)", 1, "step(y - x)", -3, 3, K_XY},
    {"min(x, y)", 0, "step(y - x)", -3, 3, K_XY},
    {"min(x, y)", 1, "step(x - y)", -3, 3, K_XY},
    {"ifpos(y, x^2, x^3)", 0, "x*(2*step(y) + 3*x*step(-y, 1))", -3, 3, K_Y0},
    {"ifpos(y, x^2, x^3)", 1, "0", -3, 3, K_Y0},
    {"ifpos(x, x^2, sin(x))", 0, "cos(x)*step(-x, 1) + 2*x*step(x)", -3, 3, K_X0},
    /* the functions other systems have */
    {"sec(x)", 0, "sec(x)*tan(x)", -1.4, 1.4, K_NONE},
    {"csc(x)", 0, "-csc(x)*cot(x)", 0.2, 2.8, K_NONE},
    {"cosec(x)", 0, "-csc(x)*cot(x)", 0.2, 2.8, K_NONE},
    {"cot(x)", 0, "-csc(x)^2", 0.2, 2.8, K_NONE},
    {"cotan(x)", 0, "-csc(x)^2", 0.2, 2.8, K_NONE},
    {"acot(x)", 0, "-1/(1 + x^2)", 0.1, 10, K_NONE},
    {"asec(x)", 0, "1/(sqrt(x^2 - 1)*abs(x))", 1.1, 5, K_NONE},
    {"acsc(x)", 0, "-1/(sqrt(x^2 - 1)*abs(x))", 1.1, 5, K_NONE},
    {"asinh(x)", 0, "1/sqrt(1 + x^2)", -5, 5, K_NONE},
    {"acosh(x)", 0, "1/sqrt(x^2 - 1)", 1.1, 5, K_NONE},
    {"atanh(x)", 0, "1/(1 - x^2)", -0.95, 0.95, K_NONE},
    {"sech(x)", 0, "-sech(x)*tanh(x)", -5, 5, K_NONE},
    {"csch(x)", 0, "-csch(x)*coth(x)", 0.1, 5, K_NONE},
    {"coth(x)", 0, "-csch(x)^2", 0.1, 5, K_NONE},
    {"asech(x)", 0, "-1/(x*sqrt(1 - x^2))", 0.05, 0.95, K_NONE},
    {"acsch(x)", 0, "-1/(sqrt(1 + x^2)*abs(x))", 0.1, 5, K_NONE},
    {"acoth(x)", 0, "1/(1 - x^2)", 1.1, 5, K_NONE},
    {"atan2(y, x)", 0, "-y/(y^2 + x^2)", 0.1, 5, K_NONE},
    {"atan2(y, x)", 1, "x/(y^2 + x^2)", 0.1, 5, K_NONE},
    {"hypot(x, y)", 0, "x/hypot(x, y)", 0.1, 5, K_NONE},
    {"cbrt(x)", 0, "1/(3*cbrt(x)^2)", 0.1, 5, K_NONE},
    {"exp2(x)", 0, "exp2(x)*ln(2)", -5, 5, K_NONE},
    {"expm1(x)", 0, "exp(x)", -5, 5, K_NONE},
    {"log1p(x)", 0, "1/(1 + x)", -0.9, 5, K_NONE},
    {"log(x, y)", 0, "1/(x*ln(y))", 1.5, 5, K_NONE},
    {"log(x, y)", 1, "-log(x, y)/(y*ln(y))", 1.5, 5, K_NONE},
    {"log(x, 2)", 0, "1/(x*ln(2))", 0.1, 5, K_NONE},
    {"erf(x)", 0, "2*exp(-x^2)/sqrt(pi)", -3, 3, K_NONE},
    {"erfc(x)", 0, "-2*exp(-x^2)/sqrt(pi)", -3, 3, K_NONE},
    {"gelu(x)", 0, "1/2 + erf(x/sqrt(2))/2 + x*exp(-x^2/2)/sqrt(2*pi)", -5, 5, K_NONE},
    {"silu(x)", 0, "sigmoid(x)*(1 + x*(1 - sigmoid(x)))", -5, 5, K_NONE},
    {"swish(x)", 0, "sigmoid(x)*(1 + x*(1 - sigmoid(x)))", -5, 5, K_NONE},
    {"softsign(x)", 0, "1/(1 + abs(x))^2", -5, 5, K_NONE},
    {"mish(x)", 0, "tanh(softplus(x)) + x*(1 - tanh(softplus(x))^2)*sigmoid(x)", -5, 5, K_NONE},
    {"hardtanh(x)", 0, "step(1 - abs(x))", -3, 3, K_NONE},
    {"huber(x)", 0, "hardtanh(x)", -3, 3, K_NONE},
    {"huber(x, 2)", 0, "2*hardtanh(x/2)", -3, 3, K_NONE},
    {"sqrt(x)", 0, "1/(2*sqrt(x))", 0.05, 10, K_NONE},
    {"pow(x, 3)", 0, "3*x^2", -4, 4, K_NONE},
    {"x^3", 0, "3*x^2", -4, 4, K_NONE},
    {"x^2", 0, "2*x", -4, 4, K_NONE},
    {"x^-2", 0, "-2/x^3", 0.1, 4, K_NONE},
    {"x^-1", 0, "-1/x^2", -4, -0.1, K_NONE},
    {"x^(1/3)", 0, "1/(3*x^(2/3))", 0.05, 8, K_NONE},
    {"x^(3/2)", 0, "3*sqrt(x)/2", 0.05, 8, K_NONE},
    {"x^y", 0, "y*x^(y - 1)", 0.1, 3, K_NONE},
    {"x^y", 1, "x^y*ln(x)", 0.1, 3, K_NONE},
    {"pow(x, y)", 1, "x^y*ln(x)", 0.1, 3, K_NONE},
    {"2^x", 0, "2^x*ln(2)", -4, 4, K_NONE},
    {"x^x", 0, "x^x*ln(x) + x*x^(x - 1)", 0.1, 3, K_NONE},
    {"x/y", 0, "1/y", 0.1, 4, K_NONE},
    {"x/y", 1, "-x/y^2", 0.1, 4, K_NONE},
    {"1/x", 0, "-1/x^2", 0.1, 4, K_NONE},
    {"pi*x", 0, "pi", -3, 3, K_NONE},
    {"e^x", 0, "exp(x)", -3, 3, K_NONE},
    {"exp(2*x)", 0, "2*exp(2*x)", -3, 3, K_NONE},
    {"sin(x^2)", 0, "2*x*cos(x^2)", -3, 3, K_NONE},
    {"sin(x)", 1, "0", -3, 3, K_NONE},
};

START_TEST(test_deriv_builtin_forms) {
    StrBuf sb, fail;
    sb_init(&sb);
    sb_init(&fail);
    int nfail = 0;
    size_t n = sizeof builtin_cases / sizeof *builtin_cases;
    for (size_t i = 0; i < n; i++) {
        const BuiltinCase *c = &builtin_cases[i];
        Graph *g = graph_new();
        Node *f = function(g, c->text, xy, 2);
        Node *d[3];
        gradients(g, f, &c->wrt, 1, d);
        for (int e = 0; e < 3; e++) {
            const char *got = show(&sb, g, d[e]);
            if (strcmp(got, c->expected) != 0) {
                nfail++;
                sb_printf(&fail, "\n  d/d%s %-20s expected %-28s got %s (%s)", xy[c->wrt], c->text,
                          c->expected, got, e == 0 ? "forward" : e == 1 ? "reverse" : "auto");
            }
        }
        graph_free(g);
    }
    ck_assert_msg(nfail == 0, "%d printed derivatives differ:%s", nfail, sb_str(&fail));
    sb_free(&sb);
    sb_free(&fail);
}
END_TEST

START_TEST(test_deriv_builtin_numeric) {
    for (size_t i = 0; i < sizeof builtin_cases / sizeof *builtin_cases; i++) {
        const BuiltinCase *c = &builtin_cases[i];
        Graph *g = graph_new();
        Node *f = function(g, c->text, xy, 2);
        Node *d[3];
        gradients(g, f, &c->wrt, 1, d);
        char what[80];
        snprintf(what, sizeof what, "d/d%s %s", xy[c->wrt], c->text);
        check_numeric(g, f, d, &c->wrt, 1, c->lo, c->hi, c->kink, 60, 1e-7, what);
        graph_free(g);
    }
}
END_TEST

/* Every row of builtins.def has a case above (pi is a constant). */
START_TEST(test_deriv_builtins_covered) {
    for (int b = 0; b < BI_COUNT; b++) {
        if (b == BI_PI)
            continue;
        const char *name = builtin_info[b].name;
        size_t len = strlen(name);
        int found = 0;
        for (size_t i = 0; i < sizeof builtin_cases / sizeof *builtin_cases && !found; i++)
            found = strncmp(builtin_cases[i].text, name, len) == 0 &&
                    builtin_cases[i].text[len] == '(';
        ck_assert_msg(found, "no derivative test for the builtin '%s'", name);
    }
}
END_TEST

/* ---- course examples ----------------------------------------------------------- */

/* Golden forms of a gradient from all three engines. */
static void assert_gradient_forms(Graph *g, Node *const *grad3, int n,
                                  const char *const *expected, const char *what) {
    StrBuf sb;
    sb_init(&sb);
    for (int e = 0; e < 3; e++)
        for (int i = 0; i < n; i++)
            ck_assert_msg(strcmp(show(&sb, g, grad3[e * n + i]), expected[i]) == 0,
                          "%s, component %d, %s engine: expected %s, got %s", what, i,
                          e == 0 ? "forward" : e == 1 ? "reverse" : "auto", expected[i],
                          sb_str(&sb));
    sb_free(&sb);
}

START_TEST(test_deriv_x2_ln_x2) {
    Graph *g = graph_new();
    Node *f = function(g, "x^2*ln(x^2)", xy, 1);
    int v = 0;
    Node *d[3];
    gradients(g, f, &v, 1, d);
    const char *expected[] = {"2*x*(1 + ln(x^2))"};
    assert_gradient_forms(g, d, 1, expected, "x^2 ln(x^2)");
    check_numeric(g, f, d, &v, 1, -3, 3, K_NONE, 60, 1e-7, "x^2 ln(x^2)");
    /* negative x is inside the domain: ln(x^2) is defined there */
    double pt[1] = {-1.5};
    ck_assert_close(eval_node(g, d[0], pt), 2 * -1.5 * (1 + log(2.25)), 1e-14);
    graph_free(g);
}
END_TEST

START_TEST(test_deriv_course_gradient_and_hessian) {
    static const char *const v3[] = {"x1", "x2", "x3"};
    Graph *g = graph_new();
    Node *f = function(g, "x1^2 + x1*ln(x2) + e^(x2*x3) + 2*x3", v3, 3);
    int vars[3] = {0, 1, 2};
    Node *grad[9];
    gradients(g, f, vars, 3, grad);
    const char *expected[] = {"ln(x2) + 2*x1", "x1/x2 + x3*exp(x2*x3)", "2 + x2*exp(x2*x3)"};
    assert_gradient_forms(g, grad, 3, expected, "course example");
    check_numeric(g, f, grad, vars, 3, 0.1, 2, K_NONE, 60, 1e-7, "course example");

    /* the Hessian: each gradient component differentiated again, checked
     * against finite differences of that component and the hand formulas */
    Node *h[3][9];
    for (int i = 0; i < 3; i++) {
        gradients(g, grad[3 + i], vars, 3, h[i]);
        char what[64];
        snprintf(what, sizeof what, "Hessian row %d", i + 1);
        check_numeric(g, grad[3 + i], h[i], vars, 3, 0.1, 2, K_NONE, 50, 1e-7, what);
    }
    uint64_t seed = 7;
    for (int k = 0; k < 50; k++) {
        double p[3] = {rng_uniform(&seed, -2, 2), rng_uniform(&seed, 0.1, 3),
                       rng_uniform(&seed, -2, 2)};
        double x1 = p[0], x2 = p[1], x3 = p[2], e = exp(x2 * x3);
        double want[3][3] = {{2, 1 / x2, 0},
                             {1 / x2, -x1 / (x2 * x2) + x3 * x3 * e, e + x2 * x3 * e},
                             {0, e + x2 * x3 * e, x2 * x2 * e}};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int eng = 0; eng < 3; eng++)
                    ck_assert_close(eval_node(g, h[i][eng * 3 + j], p), want[i][j], 1e-13);
    }
    /* the constant entries are exact */
    ck_assert(dag_is_num(h[0][0], 2));
    ck_assert(dag_is_num(h[0][2], 0));
    ck_assert(dag_is_num(h[2][0], 0));
    graph_free(g);
}
END_TEST

START_TEST(test_deriv_square_of_sum) {
    Graph *g = graph_new();
    Node *f = function(g, "(x + 2*y^3)^2", xy, 2);
    int vars[2] = {0, 1};
    Node *grad[6];
    gradients(g, f, vars, 2, grad);
    const char *expected[] = {"2*(x + 2*y^3)", "12*(x + 2*y^3)*y^2"};
    assert_gradient_forms(g, grad, 2, expected, "(x + 2y^3)^2");
    check_numeric(g, f, grad, vars, 2, -2, 2, K_NONE, 60, 1e-7, "(x + 2y^3)^2");
    graph_free(g);
}
END_TEST

START_TEST(test_deriv_jacobian) {
    StrBuf sb, err;
    sb_init(&sb);
    sb_init(&err);
    Graph *g = graph_new();
    Program p;
    ck_assert_msg(lower_into(g, "[3*x^2 + x, e^x, ln(x)]", xy, 1, &p, &err) == 0, "%s",
                  sb_str(&err));
    ck_assert(p.is_vector);
    ck_assert_int_eq(p.noutputs, 3);
    DerivOptions dopt = {.assume_domain = 1, .domain = p.outputs, .ndomain = p.noutputs};
    Node *col[3];
    ck_assert_int_eq(deriv_forward_many(g, p.outputs, 3, 0, &dopt, col), 0);
    const char *expected[] = {"1 + 6*x", "exp(x)", "1/x"};
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(show(&sb, g, col[i]), expected[i]);
        /* the same node as differentiating that output alone */
        ck_assert_ptr_eq(col[i], deriv_forward(g, p.outputs[i], 0, &dopt));
        Node *three[3] = {col[i], col[i], col[i]};
        int v = 0;
        check_numeric(g, p.outputs[i], three, &v, 1, 0.1, 3, K_NONE, 50, 1e-7, expected[i]);
    }
    program_free(&p);
    graph_free(g);
    sb_free(&sb);
    sb_free(&err);
}
END_TEST

START_TEST(test_deriv_nested_sqrt_cos) {
    Graph *g = graph_new();
    Node *f = function(g, "sqrt(x^2 + exp(x^2)) + cos(x^2 + exp(x^2))", xy, 1);
    int v = 0;
    Node *d[3];
    gradients(g, f, &v, 1, d);
    /* (beyond |x| ~ 1.3 u' is so large that the stencil's O(h^4 f^(5)) error
     * exceeds the tolerance; the hand formula below covers [-2, 2]) */
    check_numeric(g, f, d, &v, 1, -1.3, 1.3, K_NONE, 60, 1e-7, "sqrt(u) + cos(u)");
    /* f' = (1/(2 sqrt(u)) - sin(u)) u',  u = x^2 + e^(x^2),  u' = 2x (1 + e^(x^2)) */
    for (double x = -2; x <= 2; x += 0.125) {
        double u = x * x + exp(x * x), du = 2 * x * (1 + exp(x * x));
        double want = (0.5 / sqrt(u) - sin(u)) * du;
        for (int e = 0; e < 3; e++)
            ck_assert_close(eval_node(g, d[e], &x), want, 1e-12);
    }
    /* u is shared: the derivative DAG stays small */
    ck_assert_uint_le(dag_count(g, d, 1), 3 * dag_count(g, &f, 1));
    graph_free(g);
}
END_TEST

START_TEST(test_deriv_logistic_loss) {
    static const char *const v4[] = {"w1", "w2", "x1", "x2"};
    Graph *g = graph_new();
    Node *f = function(g, "-log(1/(1 + exp(-(w1*x1 + w2*x2))))", v4, 4);
    int vars[2] = {0, 1};
    Node *grad[6];
    gradients(g, f, vars, 2, grad);
    /* 1/(1 + e^-t) is the sigmoid, and -log(sigmoid(t)) is softplus(-t),
     * whose derivative sigmoid(-t) does not overflow */
    const char *expected[] = {"-x1*sigmoid(-w1*x1 - w2*x2)", "-x2*sigmoid(-w1*x1 - w2*x2)"};
    assert_gradient_forms(g, grad, 2, expected, "logistic loss");
    check_numeric(g, f, grad, vars, 2, -3, 3, K_NONE, 60, 1e-7, "logistic loss");
    /* d/dw_i = -x_i (1 - sigmoid(w.x)) */
    uint64_t seed = 3;
    for (int k = 0; k < 50; k++) {
        double p[4];
        for (int i = 0; i < 4; i++)
            p[i] = rng_uniform(&seed, -3, 3);
        double z = p[0] * p[2] + p[1] * p[3], s = 1 / (1 + exp(-z));
        for (int e = 0; e < 3; e++) {
            ck_assert_close(eval_node(g, grad[2 * e], p), -p[2] * (1 - s), 1e-13);
            ck_assert_close(eval_node(g, grad[2 * e + 1], p), -p[3] * (1 - s), 1e-13);
        }
    }
    graph_free(g);
}
END_TEST

/* d/dx x^y = y x^(y-1) needs no logarithm: at x = -2, y = 3 it is 12. */
START_TEST(test_deriv_power_negative_base) {
    Graph *g = graph_new();
    Node *f = function(g, "x^y", xy, 2);
    int vars[2] = {0, 1};
    Node *grad[6];
    gradients(g, f, vars, 2, grad);
    double p[2] = {-2, 3};
    for (int e = 0; e < 3; e++)
        ck_assert_msg(eval_node(g, grad[2 * e], p) == 12.0, "d/dx x^y at (-2, 3) is %.17g",
                      eval_node(g, grad[2 * e], p));
    double q[2] = {2, 3};
    for (int e = 0; e < 3; e++) {
        ck_assert(eval_node(g, grad[2 * e], q) == 12.0);
        ck_assert_close(eval_node(g, grad[2 * e + 1], q), 8 * log(2.0), 1e-15);
    }
    /* a constant exponent: no ln anywhere, defined for every x */
    Graph *h = graph_new();
    Node *c = function(h, "x^3", xy, 1);
    Node *dc = deriv_forward(h, c, 0, &assume);
    double m2 = -2;
    ck_assert(eval_node(h, dc, &m2) == 12.0);
    graph_free(h);
    graph_free(g);
}
END_TEST

/* ---- constant bases -------------------------------------------------------------
 * d/du c^u = c^u ln(c) holds for c > 0 only.  0^u is 0 wherever u > 0, so
 * its derivative is 0 (FIXED: it was 0^u ln(0), NaN, and printed as a
 * program symdiff itself refused); c < 0 is defined at whole u only, where
 * the derivative is c^u ln|c| (the real part of the complex power's); 1^u
 * is 1.  Every base, with several exponents, by every engine: the printed
 * derivative reads back as a program with the same values, and agrees with
 * finite differences wherever the function is defined around the point. */

static const struct {
    const char *text;
    int negative; /* defined at whole exponents only: nothing to difference */
} constant_bases[] = {{"0", 0},    {"1", 0},    {"2", 0},    {"1/2", 0},     {"0.7", 0},
                      {"pi", 0},   {"e", 0},    {"(3 - 3)", 0}, {"-2", 1},   {"-1/2", 1},
                      {"-pi", 1},  {"-1", 1},   {"-(2 + 1/3)", 1}};
static const char *const variable_exponents[] = {"x", "x^2 + 1", "2^x + x^3 + 2", "sin(x)", "x*y - 1"};

START_TEST(test_deriv_constant_bases) {
    StrBuf text, err, what;
    sb_init(&text);
    sb_init(&err);
    sb_init(&what);
    int tested = 0;
    for (size_t b = 0; b < sizeof constant_bases / sizeof *constant_bases; b++)
        for (size_t u = 0; u < sizeof variable_exponents / sizeof *variable_exponents; u++)
            for (int form = 0; form < 2; form++) {
                sb_clear(&what);
                sb_printf(&what, form ? "pow(%s, %s)" : "(%s)^(%s)", constant_bases[b].text,
                          variable_exponents[u]);
                Graph *g = graph_new();
                Node *f = function(g, sb_str(&what), xy, 2);
                int vars[2] = {0, 1};
                Node *grad[6];
                gradients(g, f, vars, 2, grad);
                if (!constant_bases[b].negative)
                    tested += check_numeric(g, f, grad, vars, 2, -2, 2, K_NONE, 6, 1e-6, sb_str(&what));
                for (int i = 0; i < 6; i++) {
                    /* the printed derivative is a program with the same values */
                    sb_clear(&text);
                    print_expr(&text, g, grad[i], PRINT_INFIX);
                    Graph *h = graph_new();
                    Program p;
                    sb_clear(&err);
                    ck_assert_msg(lower_into(h, sb_str(&text), xy, 2, &p, &err) == 0,
                                  "d%s of %s printed as '%s' does not read back:\n%s", i % 2 ? "/dy" : "/dx",
                                  sb_str(&what), sb_str(&text), sb_str(&err));
                    for (double x = -1.75; x <= 2; x += 0.5) {
                        double pt[2] = {x, 0.75 + x / 4};
                        double a = eval_node(g, grad[i], pt), c = eval_node(h, p.outputs[0], pt);
                        ck_assert_msg((isnan(a) && isnan(c)) || close_to(a, c, 1e-13),
                                      "%s: the printed derivative '%s' is %.17g at x = %g, not %.17g",
                                      sb_str(&what), sb_str(&text), c, x, a);
                    }
                    program_free(&p);
                    graph_free(h);
                }
                graph_free(g);
            }
    ck_assert_int_gt(tested, 100);
    /* the conventions themselves: 0 for a zero base, c^u ln|c| u' where a
     * negative base is defined */
    static const struct {
        const char *f;
        double x, want;
    } at[] = {{"0^x", 1.5, 0},
              {"pow(0, 2^x + x^3 + 2)", 1, 0},
              {"(-2)^x", 3, -8 * 0.69314718055994530942},
              {"(-2)^(x^2)", 2, 16 * 0.69314718055994530942 * 4},
              {"(-1/2)^x", -1, -2 * -0.69314718055994530942}};
    for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
        Graph *g = graph_new();
        Node *f = function(g, at[i].f, xy, 1);
        Node *d = deriv_forward(g, f, 0, &assume);
        double x = at[i].x;
        ck_assert_msg(close_to(eval_node(g, d, &x), at[i].want, 1e-14), "d/dx %s at %g: %.17g, expected %.17g",
                      at[i].f, x, eval_node(g, d, &x), at[i].want);
        graph_free(g);
    }
    sb_free(&text);
    sb_free(&err);
    sb_free(&what);
}
END_TEST

/* ---- the logistic map ---------------------------------------------------------- */

static void logistic_text(char *buf, size_t size, int n) {
    snprintf(buf, size, "l = x; repeat %d { l = 4*l*(1 - l) } l", n);
}

/* The hand-written forward loop: (v, dv) = (4v(1-v), 4dv - 8v dv). */
static double logistic_hand(double x, int n) {
    double v = x, dv = 1;
    for (int i = 0; i < n; i++) {
        double nv = 4 * v * (1 - v), ndv = 4 * dv - 8 * v * dv;
        v = nv;
        dv = ndv;
    }
    return dv;
}

START_TEST(test_deriv_logistic_map_values) {
    static const double xs[] = {0.01, 0.1, 0.25, 0.3, 1.0 / 3, 0.5, 0.7, 0.9, 0.99, -0.1, 1.05};
    for (int n = 1; n <= 10; n++) {
        char text[80];
        logistic_text(text, sizeof text, n);
        for (int e = 0; e < 3; e++) {
            Graph *g = graph_new();
            Node *f = function(g, text, xy, 1);
            int v = 0;
            Node *d = NULL;
            if (e == 0)
                d = deriv_forward(g, f, 0, &assume);
            else if (e == 1)
                ck_assert_int_eq(deriv_reverse(g, f, &v, 1, &assume, &d), 0);
            else
                ck_assert_int_eq(deriv_gradient(g, f, &v, 1, &assume, &d, NULL), 0);
            ck_assert_ptr_nonnull(d);
            for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
                double x = xs[i], got = eval_node(g, d, &x), want = logistic_hand(x, n);
                ck_assert_msg(close_to(got, want, 1e-12),
                              "l%d' at x = %.17g by the %s engine: %.17g, the loop gives %.17g",
                              n + 1, x, e == 0 ? "forward" : e == 1 ? "reverse" : "auto", got,
                              want);
            }
            graph_free(g);
        }
    }
}
END_TEST

START_TEST(test_deriv_logistic_map_size) {
    static const int counts[] = {10, 100, 1000};
    for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
        char text[80];
        logistic_text(text, sizeof text, counts[k]);
        for (int e = 0; e < 3; e++) {
            Graph *g = graph_new();
            Node *f = function(g, text, xy, 1);
            int v = 0;
            Node *d = NULL;
            DerivMode mode = e == 0 ? DERIV_FORWARD : e == 1 ? DERIV_REVERSE : DERIV_AUTO;
            const DerivOptions opt = {.mode = mode, .assume_domain = 1};
            ck_assert_int_eq(deriv_gradient(g, f, &v, 1, &opt, &d, NULL), 0);
            size_t nf = dag_count(g, &f, 1), nd = dag_count(g, &d, 1);
            ck_assert_msg(nd <= 4 * nf, "repeat %d, %s: derivative %zu nodes, function %zu",
                          counts[k], e == 0 ? "forward" : e == 1 ? "reverse" : "auto", nd, nf);
            /* the function itself is linear in the repeat count */
            ck_assert_uint_le(nf, (size_t)counts[k] * 4 + 4);
            /* and the derivative is right (beyond ~50 steps the map is chaotic
             * and a rounding difference is amplified past any tolerance) */
            double x = 0.3;
            if (counts[k] <= 10)
                ck_assert(close_to(eval_node(g, d, &x), logistic_hand(x, counts[k]), 1e-12));
            else
                ck_assert(isfinite(eval_node(g, d, &x)));
            graph_free(g);
        }
    }
}
END_TEST

/* l_n written out inline: the repeated subexpressions are shared as if
 * named, so the derivative is the repeat form's, node for node, and stays
 * linear in n (flattened products made it quadratic). */
static void logistic_inline(StrBuf *sb, int n) {
    sb_clear(sb);
    sb_puts(sb, "x");
    for (int k = 1; k < n; k++) {
        StrBuf prev;
        sb_init(&prev);
        sb_puts(&prev, sb_str(sb));
        sb_clear(sb);
        sb_printf(sb, "4*(%s)*(1 - (%s))", sb_str(&prev), sb_str(&prev));
        sb_free(&prev);
    }
}

START_TEST(test_deriv_logistic_map_inline_is_shared) {
    StrBuf text, a, b;
    sb_init(&text);
    sb_init(&a);
    sb_init(&b);
    for (int n = 2; n <= 12; n++) {
        char rep[80];
        logistic_text(rep, sizeof rep, n - 1);
        logistic_inline(&text, n);
        for (int e = 0; e < 2; e++) {
            DerivMode mode = e == 0 ? DERIV_FORWARD : DERIV_REVERSE;
            Graph *g = graph_new();
            Node *fi = function(g, sb_str(&text), xy, 1);
            Node *fr = function(g, rep, xy, 1);
            ck_assert_ptr_eq(fi, fr); /* the same value, the same node */
            int v = 0;
            Node *di = NULL, *dr = NULL;
            const DerivOptions opt = {.mode = mode, .assume_domain = 1};
            ck_assert_int_eq(deriv_gradient(g, fi, &v, 1, &opt, &di, NULL), 0);
            ck_assert_int_eq(deriv_gradient(g, fr, &v, 1, &opt, &dr, NULL), 0);
            ck_assert_msg(di == dr, "l_%d inline: %s\nrepeat: %s", n, show(&a, g, di), show(&b, g, dr));
            ck_assert_uint_le(dag_count(g, &di, 1), 4 * dag_count(g, &fi, 1));
            for (double x = 0.05; x < 1; x += 0.1) /* chaotic: 4^n amplifies rounding */
                ck_assert(close_to(eval_node(g, di, &x), logistic_hand(x, n - 1), 1e-9));
            graph_free(g);
        }
    }
    sb_free(&text);
    sb_free(&a);
    sb_free(&b);
}
END_TEST

/* A value written twice (here inside a sum, a quotient and a call) is
 * shared; the derivative agrees with finite differences and with the form
 * in which the value is named. */
START_TEST(test_deriv_repeated_subexpression) {
    static const char *const cases[][2] = {
        {"(x*y + 1)^3 - sin(x*y + 1)*(x*y + 1)", "u = x*y + 1; u^3 - sin(u)*u"},
        {"(x^2 + y^2)/(1 + (x^2 + y^2)) + exp(-(x^2 + y^2))", "r = x^2 + y^2; r/(1 + r) + exp(-r)"},
        {"x*(2*x - y) - (2*x - y)^2*y", "d = 2*x - y; x*d - d^2*y"},
    };
    int vars[2] = {0, 1};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Graph *g = graph_new();
        Node *f = function(g, cases[i][0], xy, 2);
        Node *named = function(g, cases[i][1], xy, 2);
        ck_assert_ptr_eq(f, named);
        Node *grad3[6];
        gradients(g, f, vars, 2, grad3);
        ck_assert_int_gt(check_numeric(g, f, grad3, vars, 2, -2, 2, K_NONE, 20, 1e-7, cases[i][0]), 10);
        graph_free(g);
    }
}
END_TEST

START_TEST(test_deriv_logistic_map_expand) {
    static const struct {
        int repeats;
        const char *expected;
    } cases[] = {
        {1, "4*(1 - 2*x)"},
        {2, "16*(1 - 10*x + 24*x^2 - 16*x^3)"},
        {3, "64*(1 - 42*x + 504*x^2 - 2640*x^3 + 7040*x^4 - 9984*x^5 + 7168*x^6 - 2048*x^7)"},
    };
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[80];
        logistic_text(text, sizeof text, cases[i].repeats);
        for (int e = 0; e < 3; e++) {
            Graph *g = graph_new();
            Node *f = function(g, text, xy, 1);
            int v = 0;
            Node *d = NULL;
            DerivMode mode = e == 0 ? DERIV_FORWARD : e == 1 ? DERIV_REVERSE : DERIV_AUTO;
            const DerivOptions opt = {.mode = mode, .assume_domain = 1};
            ck_assert_int_eq(deriv_gradient(g, f, &v, 1, &opt, &d, NULL), 0);
            ExpandStatus err = EXPAND_OK;
            Node *x = expand_node(g, d, &err);
            ck_assert_msg(x != NULL, "expand failed with %d", (int)err);
            ck_assert_msg(strcmp(show(&sb, g, x), cases[i].expected) == 0,
                          "l%d' expanded (%s): expected %s, got %s", cases[i].repeats + 1,
                          e == 0 ? "forward" : e == 1 ? "reverse" : "auto", cases[i].expected,
                          sb_str(&sb));
            /* same values as the unexpanded derivative */
            for (double t = -0.5; t <= 1.5; t += 0.25)
                ck_assert_close(eval_node(g, x, &t), eval_node(g, d, &t), 1e-10);
            graph_free(g);
        }
    }
    sb_free(&sb);
}
END_TEST

/* Expansion keeps its coefficients exact or says it cannot (FIXED: past
 * 2^63 they went on silently as rounded doubles).  (1 + x)^n has the
 * binomial coefficients, the largest C(n, n/2): exact through n = 66,
 * beyond 2^63 from n = 67.  A program whose constants are inexact already
 * expands with inexact coefficients. */
START_TEST(test_deriv_expand_stays_exact) {
    StrBuf sb, want;
    sb_init(&sb);
    sb_init(&want);
    for (int n = 60; n <= 70; n++) {
        /* the expected text from exact binomials, or -1 past 2^63 */
        int64_t c = 1;
        int fits = 1;
        sb_clear(&want);
        sb_puts(&want, "1");
        for (int k = 1; k <= n && fits; k++) {
            /* C(n, k) = C(n, k - 1) / d * ((n - k + 1) / (k / d)), d = gcd(C, k):
             * exact, and overflows exactly when C(n, k) does */
            int64_t d = c, r = k;
            while (r) {
                int64_t t = d % r;
                d = r;
                r = t;
            }
            fits = !__builtin_mul_overflow(c / d, (n - k + 1) / (k / d), &c);
            if (c == 1)
                sb_printf(&want, " + x^%d", k);
            else if (k == 1)
                sb_printf(&want, " + %lld*x", (long long)c);
            else
                sb_printf(&want, " + %lld*x^%d", (long long)c, k);
        }
        char text[64];
        snprintf(text, sizeof text, "(1 + x)^%d", n);
        Graph *g = graph_new();
        Node *f = function(g, text, xy, 1);
        ExpandStatus err = EXPAND_OK;
        Node *e = expand_node(g, f, &err);
        if (fits) {
            ck_assert_msg(e != NULL, "%s: expansion failed (%d)", text, (int)err);
            ck_assert_str_eq(show(&sb, g, e), sb_str(&want));
        } else {
            ck_assert_msg(e == NULL && err == EXPAND_OVERFLOW,
                          "%s: a coefficient beyond 2^63 must stop the expansion, got %s",
                          text, e ? show(&sb, g, e) : "an error");
        }
        graph_free(g);
        /* inexact from the start: expanded all the same */
        snprintf(text, sizeof text, "(x + 0.12345678901234567)^%d", n);
        g = graph_new();
        f = function(g, text, xy, 1);
        ck_assert_ptr_nonnull(expand_node(g, f, &err));
        graph_free(g);
    }
    sb_free(&sb);
    sb_free(&want);
}
END_TEST

/* ---- higher order ------------------------------------------------------------- */

START_TEST(test_deriv_third_derivative) {
    StrBuf sb;
    sb_init(&sb);
    Graph *g = graph_new();
    Node *f = function(g, "sin(x)*x", xy, 1);
    int v = 0;
    Node *fwd[4] = {f}, *rev[4] = {f};
    for (int k = 1; k <= 3; k++) {
        /* every order under the function's domain, as a request for it */
        const DerivOptions of_f = {.assume_domain = 1, .domain = &f, .ndomain = 1};
        fwd[k] = deriv_forward(g, fwd[k - 1], 0, &of_f);
        ck_assert_int_eq(deriv_reverse(g, rev[k - 1], &v, 1, &of_f, &rev[k]), 0);
    }
    ck_assert_str_eq(show(&sb, g, fwd[1]), "sin(x) + x*cos(x)");
    ck_assert_str_eq(show(&sb, g, fwd[3]), "-3*sin(x) - x*cos(x)");
    ck_assert_str_eq(show(&sb, g, rev[3]), "-3*sin(x) - x*cos(x)");
    for (double x = -4; x <= 4; x += 0.1) {
        double want[4] = {x * sin(x), sin(x) + x * cos(x), 2 * cos(x) - x * sin(x),
                          -3 * sin(x) - x * cos(x)};
        for (int k = 0; k <= 3; k++) {
            ck_assert_close(eval_node(g, fwd[k], &x), want[k], 1e-13);
            ck_assert_close(eval_node(g, rev[k], &x), want[k], 1e-13);
        }
        /* and each order against finite differences of the one before */
        for (int k = 1; k <= 3; k++) {
            double p = x;
            ck_assert_close(eval_node(g, fwd[k], &p), central(g, fwd[k - 1], &p, 0), 1e-7);
        }
    }
    graph_free(g);
    sb_free(&sb);
}
END_TEST

/* ---- kinks ------------------------------------------------------------------------ */

/* d text / d var at pt, by each engine, must be `want`. */
static void assert_kink(Graph *g, double kink, const char *text, int var, const double *pt, double want) {
    Node *f = function(g, text, xy, 2);
    Node *d[3];
    gradients_with(g, f, &var, 1, &(DerivOptions){.kink = kink, .assume_domain = 1}, d);
    for (int e = 0; e < 3; e++) {
        double got = eval_node(g, d[e], pt);
        ck_assert_msg(got == want, "d/d%s %s at (%g, %g) with kink %g: %.17g, expected %g",
                      xy[var], text, pt[0], pt[1], kink, got, want);
    }
}

START_TEST(test_deriv_kink_conventions) {
    Graph *g = graph_new();
    ck_assert(assume.kink == 0); /* the default: relu'(0) = 0 */
    const double zero[2] = {0, 0}, one[2] = {1, 1}, pos[2] = {0.5, -0.5}, neg[2] = {-0.5, 0.5};
    assert_kink(g, 0, "relu(x)", 0, zero, 0);
    assert_kink(g, 0, "relu(x)", 0, pos, 1);
    assert_kink(g, 0, "relu(x)", 0, neg, 0);
    assert_kink(g, 0, "abs(x)", 0, zero, 0);
    assert_kink(g, 0, "abs(x)", 0, neg, -1);
    assert_kink(g, 0, "step(x)", 0, zero, 0);
    assert_kink(g, 0, "step(x)", 0, pos, 0);
    assert_kink(g, 0, "sign(x)", 0, zero, 0);
    assert_kink(g, 0, "leaky_relu(x)", 0, zero, 0.01);
    assert_kink(g, 0, "leaky_relu(x)", 0, pos, 1);
    assert_kink(g, 0, "max(x, y)", 0, one, 0);
    assert_kink(g, 0, "max(x, y)", 1, one, 0);
    assert_kink(g, 0, "max(x, y)", 0, pos, 1);
    assert_kink(g, 0, "min(x, y)", 0, one, 0);
    assert_kink(g, 0, "elu(x)", 0, zero, 1);
    graph_free(g);

    /* --kink 0.5: the derivative at a corner is the mean of the sides */
    g = graph_new();
    assert_kink(g, 0.5, "relu(x)", 0, zero, 0.5);
    assert_kink(g, 0.5, "relu(x)", 0, pos, 1);
    assert_kink(g, 0.5, "max(x, y)", 0, one, 0.5);
    assert_kink(g, 0.5, "max(x, y)", 1, one, 0.5);
    assert_kink(g, 0.5, "min(x, y)", 0, one, 0.5);
    assert_kink(g, 0.5, "min(x, y)", 1, one, 0.5);
    assert_kink(g, 0.5, "max(x, y)", 1, pos, 0);
    assert_kink(g, 0.5, "leaky_relu(x)", 0, zero, 0.505);
    assert_kink(g, 0.5, "abs(x)", 0, zero, 0); /* abs'(0) = 0 whatever the kink */
    assert_kink(g, 0.5, "step(x)", 0, zero, 0);
    graph_free(g);
}
END_TEST

#ifdef SHOW_KNOWN_LIMITATIONS
/* KNOWN LIMITATION (deriv.c, BI_IFPOS; README): d ifpos(c, a, b) = step(c) da + step(-c, 1) db
 * multiplies the derivative of the branch NOT taken by 0, and 0 * NaN (or
 * 0 * inf) is NaN: where the other branch is undefined -- the very reason
 * to write ifpos -- the derivative is NaN although the function is defined
 * and smooth.  `symdiff --at x=-1 'ifpos(x, sqrt(x), -x)'` prints value = 1,
 * d/dx = nan (expected -1).  A derivative of the form ifpos(c, da, db)
 * would select instead of multiplying. */
START_TEST(test_deriv_ifpos_guards_the_other_branch) {
    static const struct {
        const char *text;
        double x, want;
    } cases[] = {
        {"ifpos(x, sqrt(x), -x)", -1, -1},
        {"ifpos(x, log(x), 0)", 0, 0},
        {"ifpos(x, log(x), x^2)", -2, -4},
        {"ifpos(1 - x, asin(x), x)", 2, 1},
        {"ifpos(x, 1/x, 3*x)", 0, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Graph *g = graph_new();
        Node *f = function(g, cases[i].text, xy, 1);
        int v = 0;
        Node *d[3];
        gradients(g, f, &v, 1, d);
        ck_assert(isfinite(eval_node(g, f, &cases[i].x)));
        for (int e = 0; e < 3; e++)
            ck_assert_msg(eval_node(g, d[e], &cases[i].x) == cases[i].want,
                          "d/dx %s at x = %g: %.17g, expected %g", cases[i].text, cases[i].x,
                          eval_node(g, d[e], &cases[i].x), cases[i].want);
        graph_free(g);
    }
}
END_TEST
#endif

/* FIXED (regression test; was: simplify.c, expand_if_smaller, new in dc2d9a2): multiplying
 * out small sums turns the factor (1 - tanh(u)^2) or (1 - sigmoid(u)) of a
 * derivative into a difference of two terms; where the chain-rule factor is
 * large those two terms are huge and cancel, swallowing the small terms
 * added between them.  `symdiff --at x=0.001 'tanh(x^-4)^2*sigmoid(x)'`
 * prints d/dx = 0; the derivative is 0.2499999375 (t = tanh(x^-4) = 1, so
 * 2 t (1 - t^2)(-4 x^-5) s + t^2 s (1 - s) = s (1 - s)).  The printed form
 * is tanh(1/x^4)*sigmoid(x)*(-8/x^5 + 8*tanh(1/x^4)^2/x^5 + tanh(1/x^4) -
 * tanh(1/x^4)*sigmoid(x)).  The property suite found the same in the
 * reverse engine (d/dx = 3.3e16 for a derivative that is 0). */
START_TEST(test_deriv_expansion_keeps_accuracy) {
    Graph *g = graph_new();
    Node *f = function(g, "tanh(x^-4)^2*sigmoid(x)", xy, 1);
    int v = 0;
    Node *d[3];
    gradients(g, f, &v, 1, d);
    static const double xs[] = {0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.5, 0.8, 1.5};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        double x = xs[i], t = tanh(pow(x, -4)), sg = 1 / (1 + exp(-x));
        double want = 2 * t * (1 - t * t) * (-4 * pow(x, -5)) * sg + t * t * sg * (1 - sg);
        for (int e = 0; e < 3; e++) {
            double got = eval_node(g, d[e], &x);
            ck_assert_msg(close_to(got, want, 1e-9), "d/dx tanh(x^-4)^2*sigmoid(x) at x = %g by "
                          "the %s engine: %.17g, expected %.17g", x,
                          e == 0 ? "forward" : e == 1 ? "reverse" : "auto", got, want);
        }
    }
    graph_free(g);
}
END_TEST

Suite *deriv_suite(void); /* called by tests/runner.c */

Suite *deriv_suite(void) {
    Suite *s = suite_create("deriv");
    TCase *tc = tcase_create("builtins");
    tcase_add_test(tc, test_deriv_builtin_forms);
    tcase_add_test(tc, test_deriv_builtin_numeric);
    tcase_add_test(tc, test_deriv_builtins_covered);
    tcase_add_test(tc, test_deriv_kink_conventions);
#ifdef SHOW_KNOWN_LIMITATIONS
    tcase_add_test(tc, test_deriv_ifpos_guards_the_other_branch);
#endif
    suite_add_tcase(s, tc);
    tc = tcase_create("course");
    tcase_add_test(tc, test_deriv_x2_ln_x2);
    tcase_add_test(tc, test_deriv_course_gradient_and_hessian);
    tcase_add_test(tc, test_deriv_square_of_sum);
    tcase_add_test(tc, test_deriv_jacobian);
    tcase_add_test(tc, test_deriv_nested_sqrt_cos);
    tcase_add_test(tc, test_deriv_logistic_loss);
    tcase_add_test(tc, test_deriv_power_negative_base);
    tcase_add_test(tc, test_deriv_constant_bases);
    tcase_add_test(tc, test_deriv_third_derivative);
    tcase_add_test(tc, test_deriv_expansion_keeps_accuracy);
    suite_add_tcase(s, tc);
    tc = tcase_create("logistic");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_deriv_logistic_map_values);
    tcase_add_test(tc, test_deriv_logistic_map_size);
    tcase_add_test(tc, test_deriv_logistic_map_inline_is_shared);
    tcase_add_test(tc, test_deriv_repeated_subexpression);
    tcase_add_test(tc, test_deriv_logistic_map_expand);
    tcase_add_test(tc, test_deriv_expand_stays_exact);
    suite_add_tcase(s, tc);
    return s;
}
