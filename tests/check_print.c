/* SPDX-License-Identifier: MIT */
/*
 * check_print.c — the printers (src/print.c): infix and LaTeX text of
 * simplified expressions, round trips through the parser, temporaries.
 *
 * Each case lowers a program in process (parse_program + lower_program into
 * a fresh graph, what `symdiff --simplify` does) and compares the printed
 * text with the expected string exactly.  The round-trip test re-lowers the
 * printed text into the same graph: interning makes "the same expression"
 * mean "the same node", so the check is a pointer comparison.
 *
 * Cases that currently fail because of the program are kept, disabled by
 * `#if 0` with a BUG comment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "print.h"
#include "testutil.h"

/* --- lowering in process --------------------------------------------------------- */

static char lower_errors[2048];

/* Lowers `text` into g and returns its (single, scalar) output, or NULL with
 * the diagnostics in lower_errors. */
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

/* The printed form of n as a malloc'ed string. */
static char *print_string(const Graph *g, const Node *n, PrintStyle style) {
    StrBuf sb;
    sb_init(&sb);
    print_expr(&sb, g, n, style);
    char *s = malloc(sb.len + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, sb.len ? sb_str(&sb) : "", sb.len + 1);
    sb_free(&sb);
    return s;
}

/* Lowers `text` in a fresh graph and compares its printed form with
 * `expected`; returns nothing, fails the test on a mismatch. */
static void check_printed(const char *text, PrintStyle style, const char *expected) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Node *n = lower_text(g, text);
    ck_assert_msg(n != NULL, "'%s' does not lower: %s", text, lower_errors);
    char *s = print_string(g, n, style);
    int same = strcmp(s, expected) == 0;
    char got[1024];
    snprintf(got, sizeof got, "%s", s);
    free(s);
    graph_free(g);
    ck_assert_msg(same, "'%s' prints as '%s', expected '%s'", text, got, expected);
}

/* --- infix --------------------------------------------------------------------------- */

typedef struct Case {
    const char *in, *out;
} Case;

static const Case infix[] = {
    /* 0: minimal parentheses */
    {"a - (b + c)", "a - b - c"},
    {"a/(b*c)", "a/(b*c)"},
    {"a/b/c", "a/(b*c)"},
    {"(a+b)^2", "(a + b)^2"},
    {"-x^2", "-x^2"},
    /* 5 */
    {"(-x)^2", "x^2"},
    {"(-x)^3", "-x^3"},
    {"2^3^2", "512"},
    {"x^y^z", "x^y^z"},
    {"(x^y)^z", "(x^y)^z"},
    /* 10 */
    {"x^a^b^c", "x^a^b^c"},
    {"(x^a)^2", "(x^a)^2"},
    {"a^(b+c)", "a^(b + c)"},
    {"a^(b*c)", "a^(b*c)"},
    {"(a*b)^c", "(a*b)^c"},
    /* 15 */
    {"(a-b)*(c-d)", "(a - b)*(c - d)"},
    {"x*(y+z)", "x*(y + z)"},
    {"-(a+b)", "-(a + b)"},
    {"-(x - y)", "-(x - y)"},
    {"(a+b)/(c+d)", "(a + b)/(c + d)"},
    /* 20: powers with negative and fractional exponents */
    {"x^(-1/2)", "1/sqrt(x)"},
    {"x^0.5", "sqrt(x)"},
    {"x^(1/3)", "x^(1/3)"},
    {"x^-2", "1/x^2"},
    {"a^(-b)", "a^(-b)"},
    /* 25 */
    {"2^-x", "2^(-x)"},
    {"-2^x", "-2^x"},
    {"(-2)^x", "(-2)^x"},
    {"(x+y)^(-1/2)", "1/sqrt(x + y)"},
    {"x*sqrt(x)", "x^(3/2)"},
    /* 30: constants */
    {"exp(1)", "e"},
    {"e^x", "exp(x)"},
    {"pi", "pi"},
    {"2*pi*x", "2*pi*x"},
    {"-pi", "-pi"},
    /* 35 */
    {"1/pi", "1/pi"},
    {"sqrt(2)", "sqrt(2)"},
    /* subtraction and division reconstructed from sums and products */
    {"a + -b", "a - b"},
    {"x + (-1)*y", "x - y"},
    {"a - 2*b", "a - 2*b"},
    /* 40 */
    {"x*y^-1", "x/y"},
    {"x^-1*y^-1", "1/(x*y)"},
    {"x*y^-1*z^-2", "x/(y*z^2)"},
    {"-a/b", "-a/b"},
    {"x/(-y)", "-x/y"},
    /* 45 */
    {"a*b/(c*d)", "a*b/(c*d)"},
    {"a/b*c", "a*c/b"},
    {"a*b/c - d", "a*b/c - d"},
    {"1/a + 1/b", "1/a + 1/b"},
    {"-(a*b)", "-a*b"},
    /* 50: constants first, a negative constant last, polynomial order */
    {"1 - x", "1 - x"},
    {"-1 + 2*x", "2*x - 1"},
    {"x - 2", "x - 2"},
    {"-x - 1", "-x - 1"},
    {"x^3 + x + x^2 + 1", "1 + x + x^2 + x^3"},
    /* 55 */
    {"x*2 + 1", "1 + 2*x"},
    {"a^2 + 2*a*b + b^2", "a^2 + 2*a*b + b^2"},
    {"3 - x - y", "3 - x - y"},
    /* collection */
    {"2*x + 3*x", "5*x"},
    {"x*x", "x^2"},
    /* 60 */
    {"x + y - x", "y"},
    {"a*x + b*x", "x*(a + b)"},
    {"(x+1)^2 - (x+1)^2", "0"},
    {"-(-x)", "x"},
    {"x - x^2", "x*(1 - x)"},
    /* 65: rationals, exactly */
    {"1/3", "1/3"},
    {"2/3", "2/3"},
    {"1/3+1/6", "1/2"},
    {"0.1+0.2", "3/10"},
    {"0.5*x", "x/2"},
    /* 70 */
    {"1.5*x", "3*x/2"},
    {"1e-4*x", "x/10000"},
    {"x*1e-10", "x/10000000000"},
    {"-5/7*x", "-5*x/7"},
    {"x*(2/3)^2", "4*x/9"},
    /* 75 */
    {"10^-5", "1/100000"},
    {"1e3", "1000"},
    {"1e20*x", "1e+20*x"},
    {"2^-1", "1/2"},
    /* functions */
    {"log(x)", "ln(x)"},
    /* 80 */
    {"pow(x,y)", "x^y"},
    {"min(x,y)", "min(x, y)"},
    {"leaky_relu(x, 0.2)*3", "3*leaky_relu(x, 1/5)"},
    {"exp(x)^2", "exp(2*x)"},
    {"1/exp(x)", "exp(-x)"},
    /* 85 */
    {"sin(x)^2", "sin(x)^2"},
    {"exp(-x^2/2)", "exp(-x^2/2)"},
    {"1/(1+exp(-x))", "sigmoid(x)"},
    {"2*sigmoid(2*x) - 1", "2*sigmoid(2*x) - 1"},
    {"(x+1)/2", "(1 + x)/2"},
    /* 90 */
    {"-(x+1)/2", "-(1 + x)/2"},
    {"1/(x^2 + 1)^(3/2)", "1/(1 + x^2)^(3/2)"},
};

START_TEST(test_infix) {
    check_printed(infix[_i].in, PRINT_INFIX, infix[_i].out);
}
END_TEST

/* FIXED: a - b/c used to print as "-b/c + a". */
START_TEST(test_infix_negative_quotient) {
    check_printed("a - b/c", PRINT_INFIX, "a - b/c");
    check_printed("x - y/2", PRINT_INFIX, "x - y/2");
}
END_TEST


/* FIXED: a/(b/c) used to print as a/(b*(1/c)). */
START_TEST(test_infix_nested_quotient) {
    static const char *const cases[][3] = {
        {"a/(b/c)", "a*c/b", "a/(b/c)"},
        {"(a/b)^-1", "b/a", "1/(a/b)"},
        {"1/(b/c)", "c/b", "1/(b/c)"},
    };
    for (int i = 0; i < 3; i++) {
        Graph *g = graph_new();
        Node *n = lower_text(g, cases[i][0]);
        ck_assert_ptr_nonnull(n);
        char *s = print_string(g, n, PRINT_INFIX);
        ck_assert_msg(strcmp(s, cases[i][1]) == 0 || strcmp(s, cases[i][2]) == 0, "'%s' prints as '%s'",
                      cases[i][0], s);
        free(s);
        graph_free(g);
    }
}
END_TEST


/* --- round trip: print, read back, the same node ------------------------------------- */

static const char *const corpus[] = {
    "x", "x + y", "x - y", "x*y", "x/y", "x^y", "-x", "-x^2", "(-x)^y", "x^y^z",
    "(x^y)^z", "a - (b + c)", "a/(b*c)", "a/b/c", "(a + b)^2", "(a - b)^3", "a^(b + c)",
    "a^(-b)", "(a*b)^c", "2^x", "2^(-x)", "-2^x", "(-2)^x", "x^(1/3)", "x^(-1/2)",
    "x^0.1", "x^1.5", "sqrt(x + y)", "1/sqrt(x)", "x^-3", "1/(x*y^2)", "y/x^2",
    "x*y^-1*z^-2", "-a/b", "a*b/(c*d)", "1/a + 1/b", "1 - x", "2*x - 1", "-x - 1",
    "1 + x + x^2 + x^3", "a^2 + 2*a*b + b^2", "3 - x - y", "x*(a + b)", "x*(1 - x)",
    "(x - 1)*(x + 1)", "-(x - 1)", "-(a + b)", "(1 + x)/2", "-(1 + x)/2", "x/3",
    "x/10000", "2*x/3", "-5*x/7", "1e+20*x", "1e-20*x", "3.14159*x", "0.1*x + 0.2*y",
    "x + 0.25", "x - 1/2", "exp(x)", "exp(-x)", "exp(-x^2/2)", "ln(x)", "ln(x*y)",
    "log2(x)*log10(y)", "sin(x)^2", "sin(x^2)", "cos(x)*sin(x)", "tan(x)", "asin(x)",
    "acos(x) + atan(x)", "sinh(x) - cosh(x)", "tanh(x/2)", "sigmoid(-x)", "softplus(x)",
    "relu(x - 1)", "leaky_relu(x)", "leaky_relu(x, 0.2)", "elu(x)", "elu(x, 2)", "abs(x - y)",
    "sign(x)*abs(x)", "step(x)", "step(x, 0.5)", "min(x, y) + max(x, y)", "max(x, 0)",
    "ifpos(x, y, z)", "pi*x^2", "e*x", "2*pi", "x^x", "x^(y - 1)", "1/(1 + exp(-x))",
    "sqrt(1 - x^2)", "atan(y/x)", "x*exp(x)*sin(x)^2", "2*sigmoid(2*x) - 1",
    "(a + b)*(a - b)^2", "x^10 - x^5", "1/(x^2 + 1)^(3/2)", "exp(x + y)*ln(x - y)",
    "x^2*ln(x^2)", "2*x*(1 + ln(x^2))", "a*b - c*d", "a*b/c - d", "-x*y", "x*(-y)",
    "(x + y)/(x - y)", "((x + 1)^2 + 1)^2", "sin(cos(tan(x)))", "x^2^3", "10^-5*x",
};

START_TEST(test_round_trip) {
    const char *text = corpus[_i];
    Graph *g = graph_new();
    Node *n = lower_text(g, text);
    ck_assert_msg(n != NULL, "'%s' does not lower: %s", text, lower_errors);
    char *s = print_string(g, n, PRINT_INFIX);
    Node *m = lower_text(g, s);
    ck_assert_msg(m != NULL, "'%s' printed as '%s', which does not lower: %s", text, s, lower_errors);
    ck_assert_msg(m == n, "'%s' printed as '%s', which reads back as another expression", text, s);
    /* printing is a function of the node: the second reading prints the same */
    char *s2 = print_string(g, m, PRINT_INFIX);
    ck_assert_str_eq(s2, s);
    free(s2);
    free(s);
    graph_free(g);
}
END_TEST

/* The derivatives the CLI prints read back as the same nodes too.  Returns
 * the number of derivatives that do not, describing them in `why`. */
static int derivatives_round_trip(const char *text, char *why, size_t whysize) {
    Graph *g = graph_new();
    Node *n = lower_text(g, text);
    ck_assert_msg(n != NULL, "'%s' does not lower: %s", text, lower_errors);
    int vars[16], nvars = g->nvars, bad = 0;
    ck_assert_int_le(nvars, 16);
    for (int v = 0; v < nvars; v++)
        vars[v] = v;
    Node *d[16];
    DerivOptions dopt = {.assume_domain = 1, .domain = &n, .ndomain = 1}; /* as the CLI does */
    ck_assert_int_eq(deriv_gradient(g, n, vars, nvars, &dopt, d, NULL), 0);
    why[0] = '\0';
    for (int v = 0; v < nvars; v++) {
        ck_assert_ptr_nonnull(d[v]);
        char *s = print_string(g, d[v], PRINT_INFIX);
        Node *m = lower_text(g, s);
        if (m != d[v]) {
            size_t len = strlen(why);
            snprintf(why + len, whysize - len, "\n  d/d%s '%s' printed as '%s' %s", g->vars[v].name, text, s,
                     m ? "reads back as another expression" : "does not lower");
            bad++;
        }
        free(s);
    }
    graph_free(g);
    return bad;
}

/* Corpus entries whose derivatives do not round-trip, and why. */
static const char *const derivative_exceptions[][2] = {
    /* ROUND TRIP: the reverse engine pins a product it reuses (here z*... or
     * c*(a*b)^(c-1)) and keeps it as a factor of another product; the
     * printer writes the nested product flat ("b*c*(a*b)^(c - 1)"), and
     * reading that back gives the flat product, another node with the same
     * value.  An engine choice (pinning), not a wrong value. */
    {"x^y^z", "pinned product inside a product prints flat"},
    {"(x^y)^z", "pinned product inside a product prints flat"},
    {"(a*b)^c", "pinned product inside a product prints flat"},
    /* BUG: d/dx (-2)^x prints as "(-2)^x*ln(-2)", which symdiff itself
     * refuses to read ("domain error in a constant: logarithm of a number
     * that is not positive").  Repro: symdiff '(-2)^x' */
    {"(-2)^x", "prints ln(-2), which does not read back"},
};

static int is_derivative_exception(const char *text) {
    for (size_t i = 0; i < sizeof derivative_exceptions / sizeof *derivative_exceptions; i++)
        if (strcmp(text, derivative_exceptions[i][0]) == 0)
            return 1;
    return 0;
}

START_TEST(test_round_trip_derivatives) {
    const char *text = corpus[_i];
    if (is_derivative_exception(text))
        return; /* see test_round_trip_derivative_exceptions */
    char why[4096];
    int bad = derivatives_round_trip(text, why, sizeof why);
    ck_assert_msg(bad == 0, "%d derivative(s) do not round-trip:%s", bad, why);
}
END_TEST

#if 0 /* ROUND TRIP (3 cases, engine choice) and BUG (1 case): see derivative_exceptions */
START_TEST(test_round_trip_derivative_exceptions) {
    const char *text = derivative_exceptions[_i][0];
    char why[4096];
    int bad = derivatives_round_trip(text, why, sizeof why);
    ck_assert_msg(bad == 0, "%d derivative(s) do not round-trip:%s", bad, why);
}
END_TEST
#endif

/* --- LaTeX ----------------------------------------------------------------------------- */

static const Case latex[] = {
    {"a/b", "\\frac{a}{b}"},
    {"sqrt(x)", "\\sqrt{x}"},
    {"1/sqrt(x)", "\\frac{1}{\\sqrt{x}}"},
    {"sqrt(x+1)", "\\sqrt{1 + x}"},
    {"x^(1/3)", "x^{\\frac{1}{3}}"},
    /* 5 */
    {"x1", "x_{1}"},
    {"x12*y_2", "x_{12} y_{2}"},
    {"theta_1", "\\theta_{1}"},
    {"alpha*beta", "\\alpha \\beta"},
    {"ln(x+1)", "\\ln\\left(1 + x\\right)"},
    /* 10 */
    {"sigmoid(x)", "\\sigma\\left(x\\right)"},
    {"exp(x)", "e^{x}"},
    {"exp(x^2)", "e^{x^{2}}"},
    {"(a+b)^2", "\\left(a + b\\right)^{2}"},
    {"sin(x)^2", "\\sin^{2}\\left(x\\right)"},
    /* 15 */
    {"abs(x)", "\\left|x\\right|"},
    {"pi*x", "\\pi x"},
    {"-x/2", "-\\frac{x}{2}"},
    {"x^-2", "\\frac{1}{x^{2}}"},
    {"1/3", "\\frac{1}{3}"},
    /* 20 */
    {"log10(x)", "\\log_{10}\\left(x\\right)"},
    {"tanh(x)", "\\tanh\\left(x\\right)"},
    {"relu(x)", "\\operatorname{relu}\\left(x\\right)"},
    {"max(x,y)", "\\max\\left(x, y\\right)"},
    {"x^y^z", "x^{y^{z}}"},
    /* 25 */
    {"(x^y)^z", "\\left(x^{y}\\right)^{z}"},
    {"a/(b*c)", "\\frac{a}{b c}"},
    {"x*10^-5", "\\frac{x}{100000}"},
    {"x - 1", "x - 1"},
    {"2*x", "2 x"},
};

START_TEST(test_latex) {
    check_printed(latex[_i].in, PRINT_LATEX, latex[_i].out);
}
END_TEST

/* FIXED: LaTeX used to keep the parentheses of a sum inside \frac. */
START_TEST(test_latex_frac_parens) {
    check_printed("x/(y+1)", PRINT_LATEX, "\\frac{x}{1 + y}");
    check_printed("(a+b)/c", PRINT_LATEX, "\\frac{a + b}{c}");
    check_printed("(a-b)/2", PRINT_LATEX, "\\frac{a - b}{2}");
}
END_TEST


/* --- temporaries ---------------------------------------------------------------------- */

/* A small expression is printed inline, with no statements. */
START_TEST(test_no_temporaries_when_small) {
    Graph *g = graph_new();
    Node *n = lower_text(g, "x^2*ln(x^2) + sin(x)"); /* sums print in canonical order */
    ck_assert_ptr_nonnull(n);
    StrBuf sb;
    sb_init(&sb);
    print_roots(&sb, g, &n, NULL, 1, PRINT_INFIX);
    ck_assert_str_eq(sb_str(&sb), "sin(x) + x^2*ln(x^2)\n");
    sb_clear(&sb);
    const char *labels[] = {"f"};
    print_roots(&sb, g, &n, labels, 1, PRINT_INFIX);
    ck_assert_str_eq(sb_str(&sb), "f = sin(x) + x^2*ln(x^2)\n");
    sb_free(&sb);
    graph_free(g);
}
END_TEST

/* The reverse gradient of a 100000-step logistic map prints as a linear
 * number of `t<k> = ...;` statements. */
START_TEST(test_temporaries_logistic) {
    enum { STEPS = 100000 };
    Graph *g = graph_new();
    char prog[128];
    snprintf(prog, sizeof prog, "l = x; repeat %d { l = 4*l*(1 - l) } l", STEPS);
    Node *n = lower_text(g, prog);
    ck_assert_msg(n != NULL, "%s", lower_errors);
    int var = graph_find_var(g, "x");
    ck_assert_int_eq(var, 0);
    Node *d = NULL;
    DerivOptions dopt = {.assume_domain = 1, .domain = &n, .ndomain = 1};
    ck_assert_int_eq(deriv_reverse(g, n, &var, 1, &dopt, &d), 0);
    ck_assert_ptr_nonnull(d);
    StrBuf sb;
    sb_init(&sb);
    print_roots(&sb, g, &d, NULL, 1, PRINT_INFIX);
    ck_assert(!sb.failed);
    const char *s = sb_str(&sb);
    ck_assert_msg(strncmp(s, "t1 = ", 5) == 0, "starts with: %.60s", s);
    ck_assert_ptr_nonnull(strstr(s, "\nt2 = "));
    ck_assert_msg(sb.len < 200u * STEPS, "%zu bytes for %d steps", sb.len, STEPS);
    /* every line but the last is a statement `t<k> = ...;` */
    size_t lines = 0;
    const char *line = s;
    for (const char *p = s; *p; p++)
        if (*p == '\n') {
            if (p[1]) {
                ck_assert_msg(line[0] == 't' && p[-1] == ';', "line %zu is not a statement", lines + 1);
            } else {
                ck_assert_msg(p[-1] != ';', "the last line is a statement");
            }
            lines++;
            line = p + 1;
        }
    ck_assert_uint_ge(lines, STEPS / 2);
    sb_free(&sb);
    graph_free(g);
}
END_TEST

/* A program printed with temporaries is itself a program: it lowers, and its
 * value at a point is the value of the expression. */
START_TEST(test_temporaries_reparse) {
    Graph *g = graph_new();
    Node *n = lower_text(g, "l = x; repeat 40 { l = 4*l*(1 - l) } l");
    ck_assert_ptr_nonnull(n);
    int var = 0;
    Node *d = NULL;
    ck_assert_int_eq(deriv_reverse(g, n, &var, 1, NULL, &d), 0);
    StrBuf sb;
    sb_init(&sb);
    print_roots(&sb, g, &d, NULL, 1, PRINT_INFIX);
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), "t1 = "));
    Graph *h = graph_new();
    Node *m = lower_text(h, sb_str(&sb));
    ck_assert_msg(m != NULL, "%s", lower_errors);
    double point[1] = {0.3};
    ck_assert_close(eval_node(h, m, point), eval_node(g, d, point), 1e-9);
    sb_free(&sb);
    graph_free(h);
    graph_free(g);
}
END_TEST

Suite *print_suite(void); /* called by tests/runner.c */

Suite *print_suite(void) {
    Suite *s = suite_create("print");
    TCase *tc = tcase_create("infix");
    tcase_add_loop_test(tc, test_infix, 0, (int)(sizeof infix / sizeof *infix));
    tcase_add_test(tc, test_infix_negative_quotient);
    tcase_add_test(tc, test_infix_nested_quotient);
    suite_add_tcase(s, tc);

    tc = tcase_create("round_trip");
    tcase_add_loop_test(tc, test_round_trip, 0, (int)(sizeof corpus / sizeof *corpus));
    tcase_add_loop_test(tc, test_round_trip_derivatives, 0, (int)(sizeof corpus / sizeof *corpus));
#if 0 /* ROUND TRIP / BUG: see derivative_exceptions */
    tcase_add_loop_test(tc, test_round_trip_derivative_exceptions, 0,
                        (int)(sizeof derivative_exceptions / sizeof *derivative_exceptions));
#endif
    suite_add_tcase(s, tc);

    tc = tcase_create("latex");
    tcase_add_loop_test(tc, test_latex, 0, (int)(sizeof latex / sizeof *latex));
    tcase_add_test(tc, test_latex_frac_parens);
    suite_add_tcase(s, tc);

    tc = tcase_create("temporaries");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_no_temporaries_when_small);
    tcase_add_test(tc, test_temporaries_logistic);
    tcase_add_test(tc, test_temporaries_reparse);
    suite_add_tcase(s, tc);
    return s;
}
