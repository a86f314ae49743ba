/* SPDX-License-Identifier: MIT */
/*
 * check_hints.c — the hints of src/hints.c and the messages that carry
 * them.
 *
 *  - Every function of the table of functions symdiff lacks: what the hint
 *    says to write instead, parsed and evaluated by symdiff, equals the
 *    function as libm (or its definition) computes it, at points in and
 *    out of its domain; and the message of a call names it.
 *  - Calls with an argument too many or too few, operators of other
 *    languages, elementwise products of mismatched shapes and ^T: each
 *    message says what to write, through the real binary.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "hints.h"
#include "lower.h"
#include "parse.h"
#include "testrun.h"
#include "testutil.h"

/* --- the replacements compute the functions ----------------------------------- */

static double sec(double u, double v) { return (void)v, 1 / cos(u); }
static double csc(double u, double v) { return (void)v, 1 / sin(u); }
static double cot(double u, double v) { return (void)v, 1 / tan(u); }
static double sech(double u, double v) { return (void)v, 1 / cosh(u); }
static double csch(double u, double v) { return (void)v, 1 / sinh(u); }
static double coth(double u, double v) { return (void)v, 1 / tanh(u); }
static double asec(double u, double v) { return (void)v, acos(1 / u); }
static double acsc(double u, double v) { return (void)v, asin(1 / u); }
static double asinh2(double u, double v) { return (void)v, asinh(u); }
static double acosh2(double u, double v) { return (void)v, acosh(u); }
static double atanh2(double u, double v) { return (void)v, atanh(u); }
static double asin2(double u, double v) { return (void)v, asin(u); }
static double acos2(double u, double v) { return (void)v, acos(u); }
static double atan1(double u, double v) { return (void)v, atan(u); }
static double fabs2(double u, double v) { return (void)v, fabs(u); }
static double fmax2(double u, double v) { return fmax(u, v); }
static double fmin2(double u, double v) { return fmin(u, v); }
/* atan2(v, u); the hint says it holds where u > 0 */
static double atan2_(double u, double v) { return u > 0 ? atan2(v, u) : NAN; }
static double hypot2(double u, double v) { return hypot(u, v); }
static double cbrt2(double u, double v) { return (void)v, cbrt(u); }
static double log1p2(double u, double v) { return (void)v, log1p(u); }
static double expm12(double u, double v) { return (void)v, expm1(u); }
static double exp22(double u, double v) { return (void)v, exp2(u); }
static double exp10_(double u, double v) { return (void)v, pow(10, u); }
static double square(double u, double v) { return (void)v, u * u; }
static double cube(double u, double v) { return (void)v, u * u * u; }
static double logit(double u, double v) { return (void)v, log(u / (1 - u)); }
static double silu(double u, double v) { return (void)v, u / (1 + exp(-u)); }
static double mish(double u, double v) { return (void)v, u * tanh(log1p(exp(u))); }
static double softsign(double u, double v) { return (void)v, u / (1 + fabs(u)); }
/* the exact GELU; the hint gives its tanh approximation (within 1e-3) */
static double gelu(double u, double v) { return (void)v, u * (1 + erf(u / sqrt(2))) / 2; }

static double relu6(double u, double v) { return (void)v, fmin(fmax(u, 0), 6); }
static double selu(double u, double v) {
    return (void)v, 1.0507009873554805 * (u > 0 ? u : 1.6732632423543772 * expm1(u));
}
static double log_sigmoid(double u, double v) { return (void)v, -log1p(exp(-u)); }

static const struct {
    const char *name;
    double (*f)(double u, double v);
    double tol;
} references[] = {
    {"asinh", asinh2, 1e-13},   {"acosh", acosh2, 1e-13},     {"atanh", atanh2, 1e-13},
    {"arcsinh", asinh2, 1e-13}, {"arccosh", acosh2, 1e-13},   {"arctanh", atanh2, 1e-13},
    {"arsinh", asinh2, 1e-13},  {"arcosh", acosh2, 1e-13},    {"artanh", atanh2, 1e-13},
    {"sec", sec, 1e-13},        {"csc", csc, 1e-13},          {"cosec", csc, 1e-13},
    {"cot", cot, 1e-13},        {"cotan", cot, 1e-13},        {"sech", sech, 1e-13},
    {"csch", csch, 1e-13},      {"coth", coth, 1e-13},        {"asec", asec, 1e-13},
    {"acsc", acsc, 1e-13},      {"arcsin", asin2, 1e-13},     {"arccos", acos2, 1e-13},
    {"arctan", atan1, 1e-13},   {"fabs", fabs2, 1e-13},       {"fmax", fmax2, 1e-13},
    {"fmin", fmin2, 1e-13},     {"atan2", atan2_, 1e-13},     {"hypot", hypot2, 1e-13},
    {"cbrt", cbrt2, 1e-13},     {"log1p", log1p2, 1e-13},     {"expm1", expm12, 1e-13},
    {"exp2", exp22, 1e-13},     {"exp10", exp10_, 1e-13},     {"pow10", exp10_, 1e-13},
    {"square", square, 1e-13},  {"sqr", square, 1e-13},       {"cube", cube, 1e-13},
    {"logit", logit, 1e-13},    {"silu", silu, 1e-13},        {"swish", silu, 1e-13},
    {"mish", mish, 1e-13},      {"softsign", softsign, 1e-13}, {"gelu", gelu, 1e-3},
    {"relu6", relu6, 1e-13},    {"selu", selu, 1e-13},        {"log_sigmoid", log_sigmoid, 1e-13},
};

/* The value of `text` (a program in u and v) at (u, v); NAN when it is
 * undefined there. */
static double value_at(const char *text, double u, double v) {
    Source src = {"<hint>", text, strlen(text)};
    Diag diag;
    diag_init(&diag, &src);
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, &diag);
    ck_assert_msg(ast != NULL, "%s: %s", text, sb_str(&diag.out));
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Program prog;
    static const char *const vars[] = {"u", "v"};
    LowerOptions opt = {.vars = vars, .nvars = 2};
    ck_assert_msg(lower_program(g, ast, &diag, &opt, &prog) == 0, "%s: %s", text, sb_str(&diag.out));
    const double point[2] = {u, v};
    double r = eval_node(g, prog.outputs[0], point);
    program_free(&prog);
    graph_free(g);
    ast_arena_free(&arena);
    diag_free(&diag);
    return r;
}

START_TEST(test_missing_function_replacements) {
    static const double us[] = {-2.5, -0.7, -0.3, 0.2, 0.6, 1.0, 1.7, 3.0};
    static const double vs[] = {-1.3, 0.4, 2.2};
    int rows = 0, checked = 0;
    for (size_t i = 0; hint_missing_function_name(i); i++, rows++) {
        const char *name = hint_missing_function_name(i), *call, *instead;
        ck_assert(hint_missing_function(name, &call, &instead));
        ck_assert_msg(!lower_is_function(name), "%s is a function of symdiff's", name);
        ck_assert_msg(strncmp(call, name, strlen(name)) == 0 && call[strlen(name)] == '(', "%s: %s", name,
                      call);
        if (!instead)
            continue;
        int ref = -1;
        for (size_t k = 0; k < sizeof references / sizeof *references; k++)
            if (strcmp(references[k].name, name) == 0)
                ref = (int)k;
        ck_assert_msg(ref >= 0, "%s: its replacement has no reference to be checked against", name);
        /* the expression, without a trailing remark " (...)" */
        char expr[256];
        const char *remark = strstr(instead, " (");
        snprintf(expr, sizeof expr, "%.*s", remark ? (int)(remark - instead) : (int)strlen(instead), instead);
        for (size_t a = 0; a < sizeof us / sizeof *us; a++)
            for (size_t b = 0; b < sizeof vs / sizeof *vs; b++) {
                double want = references[ref].f(us[a], vs[b]), got = value_at(expr, us[a], vs[b]);
                if (isnan(want)) /* outside the function's domain, or the hint's */
                    continue;
                if (isinf(want)) { /* a pole: the same infinity */
                    ck_assert_msg(got == want, "%s at u = %g: %s is %g, want %g", name, us[a], expr, got, want);
                    continue;
                }
                ck_assert_msg(isfinite(got), "%s at u = %g, v = %g: %s is %g, want %.17g", name, us[a], vs[b],
                              expr, got, want);
                ck_assert_msg(fabs(got - want) <= references[ref].tol * fmax(1, fabs(want)),
                              "%s at u = %g, v = %g: %s = %.17g, want %.17g", name, us[a], vs[b], expr, got,
                              want);
                checked++;
            }
    }
    ck_assert_int_ge(rows, 15);
    ck_assert_int_ge(checked, 100);
}
END_TEST

/* --- the messages carry the hints ----------------------------------------------------- */

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Runs symdiff on `program` and checks an input error (status 1) whose
 * first line is `first`, exactly. */
static void expect_message(const char *program, const char *first) {
    Run r;
    run(ARGS(program), NULL, &r);
    ck_assert_msg(r.status == 1, "%s: status %d: %s", program, r.status, r.err);
    ck_assert_int_eq(r.outlen, 0);
    const char *nl = strchr(r.err, '\n');
    ck_assert_msg(nl && (size_t)(nl - r.err) == strlen(first) && strncmp(r.err, first, strlen(first)) == 0,
                  "%s:\n got %s\nwant %s", program, r.err, first);
    run_free(&r);
}

/* Every missing function, called: the message names what to write. */
START_TEST(test_missing_function_messages) {
    for (size_t i = 0; hint_missing_function_name(i); i++) {
        const char *name = hint_missing_function_name(i), *call, *instead;
        hint_missing_function(name, &call, &instead);
        char program[64], want[512];
        snprintf(program, sizeof program, "%s(x, y)", name);
        if (instead)
            snprintf(want, sizeof want,
                     "<expr>:1:1: error: unknown function '%s': symdiff does not have it; for %s write %s", name,
                     call, instead);
        else
            snprintf(want, sizeof want,
                     "<expr>:1:1: error: unknown function '%s': symdiff does not have it, and none of its "
                     "functions computes it",
                     name);
        expect_message(program, want);
    }
}
END_TEST

/* Every other spelling names a function of symdiff's, and is not one
 * itself; the message of a call names symdiff's function, and calling
 * that function works. */
START_TEST(test_spellings) {
    int rows = 0;
    for (size_t i = 0; hint_spelling_name(i); i++, rows++) {
        const char *name = hint_spelling_name(i), *symdiff = hint_spelling(name);
        ck_assert_msg(!lower_is_function(name), "%s is a function of symdiff's", name);
        ck_assert_msg(symdiff && lower_is_function(symdiff), "%s: %s is not a function", name, symdiff);
        char program[64], want[256];
        snprintf(program, sizeof program, "%s(x, y)", name);
        snprintf(want, sizeof want, "<expr>:1:1: error: unknown function '%s': symdiff calls it '%s'", name,
                 symdiff);
        expect_message(program, want);
    }
    ck_assert_int_ge(rows, 25);
}
END_TEST

static const char *const messages[][2] = {
    /* arguments a function does not take */
    {"ln(x, 2)", "<expr>:1:1: error: 'ln' expects 1 argument, got 2; for the logarithm of x to base b "
                 "write log(x, b)"},
    {"log10(x, 2)", "<expr>:1:1: error: 'log10' expects 1 argument, got 2; for the logarithm of x to base "
                    "b write log(x, b)"},
    {"log(x, 2, 3)", "<expr>:1:1: error: 'log' expects 1 to 2 arguments, got 3"},
    {"sqrt(x, 3)", "<expr>:1:1: error: 'sqrt' expects 1 argument, got 2; for the n-th root of x write "
                   "x^(1/n)"},
    {"atan(y, x)", "<expr>:1:1: error: 'atan' expects 1 argument, got 2; for the angle of the point (x, y) "
                   "write atan2(y, x)"},
    /* max and min of one vector */
    {"param s[3]; max(s)", "<expr>:1:13: error: 'max' of one vector: 'max' compares its arguments element by "
                           "element; for the largest element of s write max(s[0], s[1], s[2])"},
    {"param s[9]; min(s)", "<expr>:1:13: error: 'min' of one vector: 'min' compares its arguments element by "
                           "element; for the smallest element of s write min(s[0], s[1], ..., s[8])"},
    {"param A[2,2]; max(A)", "<expr>:1:15: error: 'max' of one matrix: 'max' compares its arguments element "
                             "by element; for the largest element of A write max(A[0, 0], A[0, 1], A[1, 0], "
                             "A[1, 1])"},
    {"param s[3]; max(2*s)", "<expr>:1:13: error: 'max' of one vector: 'max' compares its arguments element by "
                             "element; for the largest element of a value u write max(u[0], u[1], u[2])"},
    {"max(x)", "<expr>:1:1: error: 'max' expects at least 2 arguments, got 1"},
    /* functions in capitals */
    {"Heaviside(x)", "<expr>:1:1: error: unknown function 'Heaviside'; did you mean 'heaviside'?"},
    {"ReLU(x)", "<expr>:1:1: error: unknown function 'ReLU'; did you mean 'relu'?"},
    {"GELU(x)", "<expr>:1:1: error: unknown function 'GELU'; did you mean 'gelu'?"},
    {"Log(x, 2)", "<expr>:1:1: error: unknown function 'Log'; did you mean 'log'?"},
    {"pow(x)", "<expr>:1:1: error: 'pow' expects 2 arguments, got 1; pow(x, y) is x^y: give the exponent "
               "too"},
    {"exp(x, 2)", "<expr>:1:1: error: 'exp' expects 1 argument, got 2"},
    {"sin(x, y)", "<expr>:1:1: error: 'sin' expects 1 argument, got 2"},
    /* operators of other languages */
    {"x**2", "<expr>:1:2: error: '**' is not an operator: write x^2 for a power"},
    {"2 * x ** 3", "<expr>:1:7: error: '**' is not an operator: write x^2 for a power"},
    {"a // b", "<expr>:1:3: error: '//' is not an operator: write x/y to divide"},
    {"x == 1", "<expr>:1:3: error: symdiff has no comparisons: ifpos(c, a, b) is a where c > 0, else b"},
    {"x < 1", "<expr>:1:3: error: invalid character '<'; symdiff has no comparisons: ifpos(c, a, b) is a "
              "where c > 0, else b"},
    {"|x|", "<expr>:1:1: error: invalid character '|'; write abs(x) for |x|"},
    {"x % 2", "<expr>:1:3: error: invalid character '%'; symdiff has no remainder operator"},
    {"x!", "<expr>:1:2: error: invalid character '!'; symdiff has no '!': no factorial, no negation, no "
           "comparisons"},
    {"x && y", "<expr>:1:3: error: invalid character '&'; symdiff has no logical operators: ifpos(c, a, b) "
               "is a where c > 0, else b"},
    {"param x[2]; sum(x.^2)", "<expr>:1:18: error: operators work element by element without a dot: "
                              "write x^2"},
    {"param x[2]; sum(x.*x)", "<expr>:1:18: error: operators work element by element without a dot: "
                              "write x*y"},
    {"x * * y", "<expr>:1:5: error: unexpected '*', expected an expression"}, /* not one operator */
    {"f(x,,y)", "<expr>:1:5: error: unexpected ',', expected an expression"},
    /* elementwise products of tensors whose shapes do not match */
    {"param W[3,4]; input x[4]; sum(W x)", "<expr>:1:31: error: shape mismatch in 'W x': [3,4] * [4]"},
    /* ^T */
    {"param y[3]; y^T y", "<expr>:1:13: error: '^T' is not a transpose: write y' for the transpose of y"},
    {"param A[2,3]; sum(A^T @ A)", "<expr>:1:19: error: '^T' is not a transpose: write A' for the "
                                   "transpose of A"},
};

START_TEST(test_messages) { expect_message(messages[_i][0], messages[_i][1]); }
END_TEST

/* The note after a shape mismatch of an elementwise product says which
 * product was meant; where T names a value, y^T is a power. */
START_TEST(test_product_notes) {
    static const char *const notes[][2] = {
        {"param W[3,4]; input x[4]; sum(W x)",
         "<expr>:1:33: note: '*' and juxtaposition multiply element by element: write W @ x for the matrix "
         "product\n"},
        {"param W[3,4]; input x[4]; sum(2*W*x)",
         "<expr>:1:35: note: '*' and juxtaposition multiply element by element: write 2*W @ x for the "
         "matrix product\n"},
        {"param A[2,3], B[3,2]; sum(A B)",
         "<expr>:1:29: note: '*' and juxtaposition multiply element by element: write A @ B for the matrix "
         "product\n"},
        {"param u[3], v[2]; sum(u*v)",
         "<expr>:1:25: note: '*' and juxtaposition multiply element by element: write u v' for the outer "
         "product\n"},
    };
    for (size_t i = 0; i < sizeof notes / sizeof *notes; i++) {
        Run r;
        run(ARGS(notes[i][0]), NULL, &r);
        ck_assert_int_eq(r.status, 1);
        ck_assert_msg(strstr(r.err, notes[i][1]) != NULL, "%s: %s", notes[i][0], r.err);
        run_free(&r);
    }
    Run r;
    run(ARGS("-D", "T=2", "param y[3]; sum(y^T)"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "d/dy = 2*y\n");
    run_free(&r);
    run(ARGS("param y[3], T; sum(y^T)"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
}
END_TEST

Suite *hints_suite(void); /* called by tests/runner.c */

Suite *hints_suite(void) {
    Suite *s = suite_create("hints");
    TCase *tc = tcase_create("hints");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_missing_function_replacements);
    tcase_add_test(tc, test_missing_function_messages);
    tcase_add_test(tc, test_spellings);
    tcase_add_loop_test(tc, test_messages, 0, (int)(sizeof messages / sizeof *messages));
    tcase_add_test(tc, test_product_notes);
    suite_add_tcase(s, tc);
    return s;
}
