/* SPDX-License-Identifier: MIT */
/*
 * check_eval.c — the evaluator (src/eval.c): DAG + point -> doubles.
 *
 * The evaluator promises the semantics of the generated C: C99 <math.h>
 * for every function, pow for powers, and numerically stable sigmoid and
 * softplus.  Each builtin is checked against libm at several points, both
 * directly (eval_builtin) and through a lowered program (eval_node); then
 * the edge cases: saturation at +-800, NaN through the piecewise functions,
 * pow of negative bases, and a 100000-step chain evaluated without
 * recursion and compared with the same loop written in C.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "testutil.h"

#define PI_ 3.14159265358979323846

/* --- helpers -------------------------------------------------------------------- */

static char lower_errors[2048];

/* Lowers `text` into g and returns its single output, or NULL. */
static Node *lower_text(Graph *g, const char *text) {
    Source src = {"<test>", text, strlen(text)};
    Diag d;
    diag_init(&d, &src);
    AstArena a = {NULL};
    Node *n = NULL;
    Ast *ast = parse_program(&a, &d);
    if (ast) {
        Program p;
        LowerOptions o = {0};
        if (lower_program(g, ast, &d, &o, &p) == 0) {
            if (p.noutputs == 1 && !p.is_vector)
                n = p.outputs[0];
            program_free(&p);
        }
    }
    snprintf(lower_errors, sizeof lower_errors, "%s", d.out.data ? sb_str(&d.out) : "");
    ast_arena_free(&a);
    diag_free(&d);
    return n;
}

/* The value of `text` with its variables (in order of first appearance)
 * bound to point[]. */
static double eval_text(const char *text, const double *point) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Node *n = lower_text(g, text);
    ck_assert_msg(n != NULL, "'%s' does not lower: %s", text, lower_errors);
    double v = eval_node(g, n, point);
    graph_free(g);
    return v;
}

/* a and b are the same double, or both NaN, or within `rel` relative error. */
static int same_value(double a, double b, double rel) {
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b))
        return a == b;
    if (a == b)
        return 1;
    double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= rel * s;
}

/* --- every builtin against libm ------------------------------------------------------ */

/* The C library's functions builtins.def may name (its c and cf columns):
 * a row naming one is checked against it, a name missing here fails. */
static const struct {
    const char *name;
    double (*d1)(double);
    double (*d2)(double, double);
    float (*f1)(float);
    float (*f2)(float, float);
} libm[] = {
    {"exp", exp, NULL, expf, NULL},       {"log", log, NULL, logf, NULL},
    {"log2", log2, NULL, log2f, NULL},    {"log10", log10, NULL, log10f, NULL},
    {"sin", sin, NULL, sinf, NULL},       {"cos", cos, NULL, cosf, NULL},
    {"tan", tan, NULL, tanf, NULL},       {"asin", asin, NULL, asinf, NULL},
    {"acos", acos, NULL, acosf, NULL},    {"atan", atan, NULL, atanf, NULL},
    {"sinh", sinh, NULL, sinhf, NULL},    {"cosh", cosh, NULL, coshf, NULL},
    {"tanh", tanh, NULL, tanhf, NULL},    {"fabs", fabs, NULL, fabsf, NULL},
    {"asinh", asinh, NULL, asinhf, NULL}, {"acosh", acosh, NULL, acoshf, NULL},
    {"atanh", atanh, NULL, atanhf, NULL}, {"erf", erf, NULL, erff, NULL},
    {"erfc", erfc, NULL, erfcf, NULL},    {"cbrt", cbrt, NULL, cbrtf, NULL},
    {"exp2", exp2, NULL, exp2f, NULL},    {"expm1", expm1, NULL, expm1f, NULL},
    {"log1p", log1p, NULL, log1pf, NULL}, {"atan2", NULL, atan2, NULL, atan2f},
    {"hypot", NULL, hypot, NULL, hypotf},
};

static int libm_index(const char *name) {
    for (size_t i = 0; i < sizeof libm / sizeof *libm; i++)
        if (name && strcmp(libm[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* The definitions of the functions the generated code computes with sd_
 * helpers, where this suite checks them (check_functions checks all). */
static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double ref_softplus(double x) { return log1p(exp(x)); }

static const struct {
    const char *name;
    double (*ref)(double);
    double rel;
} defined[] = {
    {"sigmoid", ref_sigmoid, 1e-15},
    {"softplus", ref_softplus, 1e-15},
    {"sqrt", sqrt, 1e-16}, /* sqrt is x^(1/2): pow */
};

#define NPOINTS 9

/* Row _i of builtins.def, under its name and its alias, at points of its
 * domain: lowered and evaluated, and through eval_builtin, the same double
 * as the C library's function its c column names; rounded to float,
 * within 4 ulps of the function its cf column names. */
START_TEST(test_builtin_vs_libm) {
    const BuiltinInfo *r = &builtin_info[_i];
    if (_i == BI_PI || (r->c_double && strncmp(r->c_double, "sd_", 3) == 0))
        return; /* a constant, or a helper (test_defined_functions, check_functions) */
    int l = libm_index(r->c_double);
    ck_assert_msg(l >= 0, "%s: its C function %s is not one of <math.h>'s", r->name, r->c_double);
    char fname[32];
    snprintf(fname, sizeof fname, "%sf", libm[l].name);
    ck_assert_msg(r->c_float && strcmp(r->c_float, fname) == 0, "%s: its float C function %s is not %s", r->name,
                  r->c_float, fname);
    for (int spelling = 0; spelling < 2; spelling++) {
        const char *name = spelling ? r->alias : r->name;
        if (!name)
            continue;
        char prog[64];
        snprintf(prog, sizeof prog, r->min_args == 2 ? "%s(x, y)" : "%s(x)", name);
        Graph *g = graph_new();
        Node *n = lower_text(g, prog);
        ck_assert_msg(n != NULL, "'%s' does not lower: %s", prog, lower_errors);
        for (int k = 0; k < NPOINTS; k++)
            for (int j = 0; j < (r->min_args == 2 ? NPOINTS : 1); j++) {
                double x[2] = {domain_point(r->domain[0], (double)k / (NPOINTS - 1)), domain_point(r->domain[1], (double)j / (NPOINTS - 1))};
                double want = r->min_args == 2 ? libm[l].d2(x[0], x[1]) : libm[l].d1(x[0]);
                double got = eval_node(g, n, x), direct = eval_builtin((Builtin)_i, x);
                ck_assert_msg(same_value(got, want, 0), "%s at %.17g: %.17g, libm %.17g", prog, x[0], got, want);
                ck_assert_msg(same_value(direct, want, 0), "eval_builtin %s(%.17g) = %.17g, libm %.17g", name,
                              x[0], direct, want);
                float xf[2] = {(float)x[0], (float)x[1]};
                double fwant = r->min_args == 2 ? libm[l].f2(xf[0], xf[1]) : libm[l].f1(xf[0]);
                double xr[2] = {xf[0], xf[1]}, fgot = (float)eval_builtin((Builtin)_i, xr);
                ck_assert_msg(same_value(fgot, fwant, 4 * FLT_EPSILON), "%s(%.9g) in float: %.9g, libm %.9g", name,
                              xr[0], fgot, fwant);
            }
        graph_free(g);
    }
}
END_TEST

START_TEST(test_defined_functions) {
    char prog[64];
    snprintf(prog, sizeof prog, "%s(x)", defined[_i].name);
    Graph *g = graph_new();
    Node *n = lower_text(g, prog);
    ck_assert_msg(n != NULL, "'%s' does not lower: %s", prog, lower_errors);
    int fn = builtin_lookup(defined[_i].name);
    for (int k = 0; k < NPOINTS; k++) {
        double x = fn >= 0 ? -30 + 60.0 * k / (NPOINTS - 1) : 100.0 * k / (NPOINTS - 1);
        double want = defined[_i].ref(x);
        double got = eval_node(g, n, &x);
        ck_assert_msg(same_value(got, want, defined[_i].rel), "%s at %.17g: %.17g, definition %.17g", prog, x, got,
                      want);
        if (fn >= 0) {
            double args[2] = {x, 0};
            double direct = eval_builtin((Builtin)fn, args);
            ck_assert_msg(same_value(direct, want, defined[_i].rel), "eval_builtin %s(%.17g) = %.17g, definition %.17g",
                          defined[_i].name, x, direct, want);
        }
    }
    graph_free(g);
}
END_TEST

/* The piecewise functions and the constants, at exact points. */
typedef struct Point {
    const char *prog;
    double at[3];
    double value;
} Point;

static const Point points[] = {
    {"pi", {0}, PI_},
    {"e", {0}, 2.71828182845904523536},
    {"relu(x)", {2.5}, 2.5},
    {"relu(x)", {-2.5}, 0},
    {"relu(x)", {0}, 0},
    /* 5 */
    {"leaky_relu(x)", {3}, 3},
    {"leaky_relu(x)", {-3}, -0.03},
    {"leaky_relu(x, 0.2)", {-3}, -0.6000000000000001},
    {"elu(x)", {2}, 2},
    {"elu(x)", {-1}, -0.63212055882855767}, /* expm1(-1) */
    /* 10 */
    {"elu(x, 2)", {-1}, -1.2642411176571153},
    {"sign(x)", {-7}, -1},
    {"sign(x)", {0}, 0},
    {"sign(x)", {0.001}, 1},
    {"step(x)", {2}, 1},
    /* 15 */
    {"step(x)", {-2}, 0},
    {"step(x)", {0}, 0},
    {"step(x, 0.5)", {0}, 0.5},
    {"abs(x)", {-2}, 2},
    {"min(x, y)", {1, 2}, 1},
    /* 20 */
    {"min(x, y)", {3, -2}, -2},
    {"max(x, y)", {1, 2}, 2},
    {"max(x, y, z)", {1, 5, 2}, 5},
    {"min(x, y, z)", {4, 5, -2}, -2},
    {"ifpos(x, y, z)", {1, 10, 20}, 10},
    /* 25 */
    {"ifpos(x, y, z)", {-1, 10, 20}, 20},
    {"ifpos(x, y, z)", {0, 10, 20}, 20},
    {"pow(x, y)", {2, 10}, 1024},
    {"x^y", {2, -2}, 0.25},
    {"sqrt(x)", {2}, 1.4142135623730951},
    /* 30 */
    {"x^(1/3)", {27}, 3},
    {"log2(x)", {1024}, 10},
    {"log10(x)", {1e-3}, -3},
    {"exp(ln(x))", {5}, 5},
    {"sigmoid(x)", {0}, 0.5},
    /* 35 */
    {"softplus(x)", {0}, 0.69314718055994531},
    {"4*x*(1 - x)", {0.25}, 0.75},
    {"x/y", {1, 4}, 0.25},
    {"x - y", {1, 4}, -3},
    {"-x^2", {3}, -9},
};

START_TEST(test_point_values) {
    const Point *p = &points[_i];
    double v = eval_text(p->prog, p->at);
    ck_assert_msg(same_value(v, p->value, 1e-15), "%s at (%g, %g, %g) = %.17g, expected %.17g", p->prog,
                  p->at[0], p->at[1], p->at[2], v, p->value);
}
END_TEST

/* --- stable sigmoid and softplus at +-800 --------------------------------------------- */

START_TEST(test_saturation) {
    double a[2] = {800, 0};
    ck_assert(eval_builtin(BI_SIGMOID, a) == 1.0);
    ck_assert(eval_builtin(BI_SOFTPLUS, a) == 800.0);
    ck_assert(eval_builtin(BI_TANH, a) == 1.0);
    a[0] = -800;
    double s = eval_builtin(BI_SIGMOID, a);
    ck_assert_msg(isfinite(s) && s >= 0 && s <= DBL_MIN, "sigmoid(-800) = %g", s);
    double sp = eval_builtin(BI_SOFTPLUS, a);
    ck_assert_msg(isfinite(sp) && sp >= 0 && sp <= DBL_MIN, "softplus(-800) = %g", sp);
    ck_assert(eval_builtin(BI_TANH, a) == -1.0);

    /* the same through lowered programs, and their derivatives */
    static const char *const progs[] = {"sigmoid(x)", "softplus(x)", "log(sigmoid(x))", "softplus(-x)"};
    static const double at[] = {800, -800, 40, -40, 700, -700};
    for (int i = 0; i < 4; i++) {
        Graph *g = graph_new();
        Node *n = lower_text(g, progs[i]);
        ck_assert_ptr_nonnull(n);
        DerivOptions dopt = {.assume_domain = 1, .domain = &n, .ndomain = 1};
        Node *d = deriv_forward(g, n, 0, &dopt);
        ck_assert_ptr_nonnull(d);
        for (int k = 0; k < 6; k++) {
            double x = at[k];
            double v = eval_node(g, n, &x), dv = eval_node(g, d, &x);
            ck_assert_msg(isfinite(v), "%s at %g = %g", progs[i], x, v);
            ck_assert_msg(isfinite(dv), "d/dx %s at %g = %g", progs[i], x, dv);
            if (i == 0) {
                ck_assert(v >= 0 && v <= 1);
                ck_assert(dv >= 0 && dv <= 0.25);
            }
            if (i == 1) {
                ck_assert(v >= 0 && v >= x);
                ck_assert(dv >= 0 && dv <= 1);
            }
            if (i == 2) { /* log(sigmoid(x)) = -softplus(-x) */
                ck_assert(v <= 0 && v <= x + 1e-12);
                ck_assert(dv >= 0 && dv <= 1);
            }
        }
        graph_free(g);
    }
    /* accuracy far out in the tails, where 1/(1+exp(-x)) loses digits */
    double x = -40;
    double want = exp(-40) / (1 + exp(-40));
    ck_assert(same_value(eval_text("sigmoid(x)", &x), want, 1e-14));
    ck_assert(same_value(eval_text("softplus(x)", &x), log1p(exp(-40)), 1e-14));
    x = 800;
    ck_assert(eval_text("sigmoid(x)", &x) == 1.0);
    ck_assert(eval_text("softplus(x)", &x) == 800.0);
    x = 40;
    ck_assert(same_value(eval_text("softplus(x)", &x), 40 + log1p(exp(-40)), 1e-15));
}
END_TEST

/* --- NaN in, NaN out ------------------------------------------------------------------- */

/* A sum of zeros has the sign IEEE addition gives it as written: -0 when
 * every term is -0 (1/(1/z + csch(-y)) is -inf at z = -inf, y = inf),
 * +0 otherwise: every sign pattern of 2 to 5 terms. */
START_TEST(test_sum_of_signed_zeros) {
    static const char *const vars[] = {"p", "q", "r", "s", "t"};
    for (int n = 2; n <= 5; n++) {
        char text[64] = "";
        for (int k = 0; k < n; k++) {
            strcat(text, k ? " + " : "");
            strcat(text, vars[k]);
        }
        for (int signs = 0; signs < 1 << n; signs++) {
            double point[5];
            int all_negative = 1;
            for (int k = 0; k < n; k++) {
                point[k] = signs >> k & 1 ? -0.0 : 0.0;
                all_negative &= signs >> k & 1;
            }
            double v = eval_text(text, point);
            ck_assert_msg(v == 0 && !signbit(v) == !all_negative, "%s at signs %#x: %g", text, (unsigned)signs, v);
        }
    }
}
END_TEST

START_TEST(test_nan_propagation) {
    static const Builtin fns[] = {BI_RELU, BI_LEAKY_RELU, BI_ELU, BI_ABS, BI_SIGN, BI_STEP,
                                  BI_SIGMOID, BI_SOFTPLUS, BI_EXP, BI_TANH, BI_IFPOS};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        double a[3] = {NAN, 0.5, 2};
        ck_assert_msg(isnan(eval_builtin(fns[i], a)), "%s(NaN) is not NaN", builtin_info[fns[i]].name);
    }
    double a[2] = {NAN, 1};
    ck_assert(isnan(eval_builtin(BI_MAX, a)));
    ck_assert(isnan(eval_builtin(BI_MIN, a)));
    a[0] = 1;
    a[1] = NAN;
    ck_assert(isnan(eval_builtin(BI_MAX, a)));
    ck_assert(isnan(eval_builtin(BI_MIN, a)));
    a[0] = -INFINITY;
    ck_assert(isnan(eval_builtin(BI_MAX, a)));

    /* through programs: an undefined argument stays undefined */
    static const char *const progs[] = {
        "relu(sqrt(x))",   "max(sqrt(x), 1)", "max(1, sqrt(x))", "min(sqrt(x), -1)",
        "step(ln(x))",     "sign(sqrt(x))",   "abs(ln(x))",      "leaky_relu(sqrt(x))",
        "elu(ln(x))",      "sigmoid(sqrt(x))",
    };
    for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
        double x = -1;
        double v = eval_text(progs[i], &x);
        ck_assert_msg(isnan(v), "%s at -1 = %g, expected NaN", progs[i], v);
    }
}
END_TEST

/* --- pow: the semantics of C's pow ------------------------------------------------- */

START_TEST(test_pow_semantics) {
    double p[2];
    p[0] = -2;
    p[1] = 3;
    ck_assert(eval_text("x^y", p) == -8);
    ck_assert(eval_text("pow(x, y)", p) == -8);
    ck_assert(eval_text("x^3", p) == -8);
    ck_assert(eval_text("x^2", p) == 4);
    ck_assert(eval_text("x^-1", p) == -0.5);
    ck_assert(eval_text("x^-2", p) == 0.25);
    p[0] = -8;
    p[1] = 1.0 / 3;
    ck_assert(isnan(eval_text("x^y", p)));
    ck_assert(isnan(eval_text("x^(1/3)", p)));
    ck_assert(isnan(eval_text("x^0.5", p)));
    ck_assert(isnan(eval_text("sqrt(x)", p)));
    ck_assert(isnan(eval_text("x^1.5", p)));
    p[0] = 8;
    ck_assert(same_value(eval_text("x^(1/3)", p), 2, 1e-15));
    /* x^0 is 1 everywhere, 0^0 included (C's pow) */
    p[0] = 0;
    p[1] = 0;
    ck_assert(eval_text("x^y", p) == 1);
    ck_assert(eval_text("x^0", p) == 1);
    /* 0 to a negative power is +inf, not an error at run time */
    p[1] = -1;
    ck_assert(isinf(eval_text("x^y", p)));
    ck_assert(isinf(eval_text("1/x", p)));
    /* a negative base with an integer-valued variable exponent */
    p[0] = -2;
    p[1] = 10;
    ck_assert(eval_text("x^y", p) == 1024);
    ck_assert(eval_text("(-2)^y", p + 1) == 1024);
}
END_TEST

/* Odd integer exponents beyond 2^53 have no double: the sign of a
 * negative base came from the rounded, even exponent (FIXED:
 * x^9007199254740993 at -1 gave 1).  Written out, in sums and products,
 * negated, and constant; values and derivatives. */
START_TEST(test_pow_odd_exponents_beyond_doubles) {
    static const struct {
        const char *text;
        double x, value, derivative; /* NaN: not checked */
    } cases[] = {
        {"x^9007199254740993", -1, -1, 9007199254740992.0},
        {"x^9007199254740992", -1, 1, -9007199254740992.0},
        {"x^9007199254740995", -1, -1, NAN},
        {"x^(-9007199254740993)", -1, -1, -9007199254740992.0},
        {"x^4611686018427387905", -1, -1, NAN},
        {"x^9223372036854775807", -1, -1, NAN},
        {"2*x^9007199254740993 + 1", -1, -1, NAN},
        {"x^9007199254740993 * x^2", -1, -1, NAN},
        {"(x^3)^3002399751580331", -1, -1, NAN},
        {"x^9007199254740993 + (-1)^9007199254740993", -1, -2, NAN},
        {"x^9007199254740993", -1.0000000000000002, -7.3890560989306495, NAN},
        {"x^9007199254740993", 0.99999999999999989, 0.36787944117144233, NAN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Graph *g = graph_new();
        Node *f = lower_text(g, cases[i].text);
        ck_assert_msg(f != NULL, "'%s': %s", cases[i].text, lower_errors);
        double x = cases[i].x, v = eval_node(g, f, &x);
        ck_assert_msg(same_value(v, cases[i].value, 1e-12), "%s at %.17g: %.17g, expected %.17g", cases[i].text, x,
                      v, cases[i].value);
        if (!isnan(cases[i].derivative)) {
            Node *d = deriv_forward(g, f, 0, NULL);
            ck_assert_msg(same_value(eval_node(g, d, &x), cases[i].derivative, 1e-12), "d/dx %s at %g: %.17g",
                          cases[i].text, x, eval_node(g, d, &x));
        }
        graph_free(g);
    }
}
END_TEST

/* A power of a power built by repeat multiplies its exponents: their
 * product is the real exponent (and the derivative's coefficient), and
 * must be a finite double like a constant written out (FIXED: towers
 * escaped the constant check, and derivatives carried 6.6e181 *
 * 2.0e149 = inf).  Just inside and just outside, through products too. */
START_TEST(test_pow_towers_are_constants) {
    static const struct {
        const char *text;
        int ok;
    } cases[] = {
        {"y = x; repeat 1023 { y = y^2 } y", 1},
        {"y = x; repeat 1024 { y = y^2 } y", 0},
        {"y = x; repeat 640 { y = y^3 } y", 1},
        {"y = x; repeat 650 { y = y^3 } y", 0},
        {"y = x; repeat 640 { y = (2*y)^3 } y", 1},
        {"y = x; repeat 650 { y = (2*y)^3 } y", 0},
        {"y = x; repeat 1100 { y = (y*z)^2 } y", 0},
        {"(x^1e200)^1e200", 0},
        {"(x^1e200)^1e100", 1},
        {"y = x; repeat 1100 { y = sin(y)^2 } y", 1}, /* not a tower */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Graph *g = graph_new();
        Node *f = lower_text(g, cases[i].text);
        if (cases[i].ok) {
            ck_assert_msg(f != NULL, "'%s' is refused: %s", cases[i].text, lower_errors);
        } else {
            ck_assert_msg(f == NULL, "'%s' is accepted", cases[i].text);
            ck_assert_msg(strstr(lower_errors, "<test>:1:") &&
                              strstr(lower_errors, "domain error in a constant: the exponents of nested powers"),
                          "'%s': %s", cases[i].text, lower_errors);
        }
        graph_free(g);
    }
}
END_TEST

/* --- a deep DAG: 100000 steps, no recursion ---------------------------------------------- */

START_TEST(test_deep_chain) {
    enum { STEPS = 100000 };
    char prog[128];

    /* a contracting map: rounding differences cannot grow */
    snprintf(prog, sizeof prog, "l = x; repeat %d { l = 2.5*l*(1 - l) } l", STEPS);
    Graph *g = graph_new();
    Node *n = lower_text(g, prog);
    ck_assert_msg(n != NULL, "%s", lower_errors);
    ck_assert_uint_ge(dag_count(g, &n, 1), STEPS);
    double x = 0.1, l = x, dl = 1;
    for (int k = 0; k < STEPS; k++) {
        dl = 2.5 * (1 - 2 * l) * dl;
        l = 2.5 * l * (1 - l);
    }
    ck_assert_close(eval_node(g, n, &x), l, 1e-12);
    ck_assert_close(eval_node(g, n, &x), 0.6, 1e-12);
    /* and its derivative, by both engines */
    Node *df = deriv_forward(g, n, 0, NULL), *dr = NULL;
    int var = 0;
    ck_assert_int_eq(deriv_reverse(g, n, &var, 1, NULL, &dr), 0);
    ck_assert_ptr_nonnull(df);
    ck_assert_ptr_nonnull(dr);
    ck_assert_close(eval_node(g, df, &x), dl, 1e-12);
    ck_assert_close(eval_node(g, dr, &x), dl, 1e-12);
    graph_free(g);

    /* the chaotic logistic map: any rounding difference would double every
     * step, but multiplying by 4 is exact and 1 - l is one rounding in any
     * order, so the evaluator must agree with the C loop to the last bit */
    snprintf(prog, sizeof prog, "l = x; repeat %d { l = 4*l*(1 - l) } l", STEPS);
    g = graph_new();
    n = lower_text(g, prog);
    ck_assert_ptr_nonnull(n);
    x = 0.3;
    l = x;
    for (int k = 0; k < STEPS; k++)
        l = 4 * l * (1 - l);
    double v = eval_node(g, n, &x);
    ck_assert_msg(v == l, "l(%d) = %.17g, the C loop gives %.17g", STEPS, v, l);
    graph_free(g);

    /* a long chain of calls: s = sin(s + x) */
    snprintf(prog, sizeof prog, "s = 0; repeat %d { s = sin(s + x) } s", STEPS);
    g = graph_new();
    n = lower_text(g, prog);
    ck_assert_ptr_nonnull(n);
    x = 0.5;
    double s = 0;
    for (int k = 0; k < STEPS; k++)
        s = sin(s + x);
    ck_assert_close(eval_node(g, n, &x), s, 1e-12);
    /* eval_nodes fills every reachable node */
    double *values = malloc(g->nnodes * sizeof *values);
    ck_assert_ptr_nonnull(values);
    ck_assert_int_eq(eval_nodes(g, &n, 1, &x, values), 0);
    ck_assert_close(values[n->id], s, 1e-12);
    free(values);
    graph_free(g);
}
END_TEST

/* eval_nodes evaluates several roots at once, sharing the work. */
START_TEST(test_eval_nodes_roots) {
    Graph *g = graph_new();
    Node *a = lower_text(g, "x*y + sin(x)");
    Node *b = lower_text(g, "x*y - 1");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    Node *roots[2] = {a, b};
    double p[2] = {2, 3};
    double *values = malloc(g->nnodes * sizeof *values);
    ck_assert_int_eq(eval_nodes(g, roots, 2, p, values), 0);
    ck_assert(same_value(values[a->id], 6 + sin(2.0), 1e-15));
    ck_assert(values[b->id] == 5);
    free(values);
    ck_assert(isnan(eval_node(g, NULL, p)));
    graph_free(g);
}
END_TEST

Suite *eval_suite(void); /* called by tests/runner.c */

Suite *eval_suite(void) {
    Suite *s = suite_create("eval");
    TCase *tc = tcase_create("builtins");
    tcase_add_loop_test(tc, test_builtin_vs_libm, 0, BI_COUNT);
    tcase_add_loop_test(tc, test_defined_functions, 0, (int)(sizeof defined / sizeof *defined));
    tcase_add_loop_test(tc, test_point_values, 0, (int)(sizeof points / sizeof *points));
    tcase_add_test(tc, test_saturation);
    tcase_add_test(tc, test_nan_propagation);
    tcase_add_test(tc, test_sum_of_signed_zeros);
    tcase_add_test(tc, test_pow_semantics);
    tcase_add_test(tc, test_pow_odd_exponents_beyond_doubles);
    tcase_add_test(tc, test_pow_towers_are_constants);
    tcase_add_test(tc, test_eval_nodes_roots);
    suite_add_tcase(s, tc);

    tc = tcase_create("deep");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_deep_chain);
    suite_add_tcase(s, tc);
    return s;
}
