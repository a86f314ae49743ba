/* SPDX-License-Identifier: MIT */
/*
 * check_print.c — the printers (src/print.c): what a table of cases
 * cannot say.
 *
 * The printed forms of simplified expressions, infix and LaTeX, are golden
 * cases: tests/golden/print.test.  Here: a form with two right answers;
 * round trips through the parser, where interning makes "the same
 * expression" mean "the same node" (the printed text is lowered again into
 * the same graph: the check is a pointer comparison), for expressions and
 * for the derivatives the command line prints; and temporaries.
 *
 * Cases that currently fail because of the program are kept, disabled by
 * `#if 0` with a BUG comment.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "eval.h"
#include "lower.h"
#include "print.h"
#include "testutil.h"

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

/* --- infix --------------------------------------------------------------------------- */

/* FIXED: a/(b/c) used to print as a/(b*(1/c)). */
START_TEST(test_infix_nested_quotient) {
    static const char *const cases[][3] = {
        {"a/(b/c)", "a*c/b", "a/(b/c)"},
        {"(a/b)^-1", "b/a", "1/(a/b)"},
        {"1/(b/c)", "c/b", "1/(b/c)"},
    };
    for (int i = 0; i < 3; i++) {
        Graph *g = graph_new();
        Node *n = tu_lower(cases[i][0], g, NULL);
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
    Node *n = tu_lower(text, g, NULL);
    char *s = print_string(g, n, PRINT_INFIX);
    Node *m = tu_lower(s, g, &(TuOptions){.may_fail = 1});
    ck_assert_msg(m != NULL, "'%s' printed as '%s', which does not lower: %s", text, s, tu_errors());
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
    Node *n = tu_lower(text, g, NULL);
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
        Node *m = tu_lower(s, g, &(TuOptions){.may_fail = 1});
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

/* --- temporaries ---------------------------------------------------------------------- */

/* A small expression is printed inline, with no statements. */
START_TEST(test_no_temporaries_when_small) {
    Graph *g = graph_new();
    Node *n = tu_lower("x^2*ln(x^2) + sin(x)", g, NULL); /* sums print in canonical order */
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
    Node *n = tu_lower(prog, g, NULL);
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
    Node *n = tu_lower("l = x; repeat 40 { l = 4*l*(1 - l) } l", g, NULL);
    int var = 0;
    Node *d = NULL;
    ck_assert_int_eq(deriv_reverse(g, n, &var, 1, NULL, &d), 0);
    StrBuf sb;
    sb_init(&sb);
    print_roots(&sb, g, &d, NULL, 1, PRINT_INFIX);
    ck_assert_ptr_nonnull(strstr(sb_str(&sb), "t1 = "));
    Graph *h = graph_new();
    Node *m = tu_lower(sb_str(&sb), h, NULL);
    double point[1] = {0.3};
    ck_assert_close(eval_node(h, m, point), eval_node(g, d, point), 1e-9);
    sb_free(&sb);
    graph_free(h);
    graph_free(g);
}
END_TEST

Suite *print_suite(void); /* called by tests/runner.c */

/* --- the sink ----------------------------------------------------------------------- */

/* sb_printf formats the plain conversions (%s %c %d %u with l, ll, z, and
 * %%) itself and hands the others to vsnprintf, straight into the room
 * left: every format, at every fill of the buffer (so that both "it fits"
 * and "it does not" happen), gives what snprintf gives. */
START_TEST(test_strbuf_printf_as_snprintf) {
#define SB_CASES(X)                                                                                \
    X("t%d = ", 0) X("t%d = ", -1) X("t%d", 2147483647) X("x[%d]", -2147483647 - 1)                \
    X("%u%%", 4294967295u) X("%ld add", 9223372036854775807L) X("%ld", -9223372036854775807L - 1) \
    X("%lu", 18446744073709551615UL) X("%lld", -9223372036854775807LL - 1)                       \
    X("%llu", 18446744073709551615ULL) X("%zu bytes", (size_t)-1) X("%c%c", 'a', 'z')           \
    X("%s%s", "", "const double ") X("%s", "") X("no conversion") X("%%") X("100%% of %s", "it") \
    X("%24.17g", 0.1) X("%-*s|", 7, "ab") X("%.*s", 2, "abcdef") X("%04x", 255u) X("%9.1e", -3e-7) \
    X("%g and %d", 1e300, 5) X("%s t%ld = %s;", "double", 12345678L, "x[0] * t3")
    const int fills[] = {0, 1, 50, 62, 63, 64, 100, 127, 1000};
    char want[512], pad[1001];
    memset(pad, '.', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (size_t f = 0; f < sizeof fills / sizeof *fills; f++) {
        StrBuf sb;
        sb_init(&sb);
        sb_putn(&sb, pad, (size_t)fills[f]);
        size_t at = sb.len;
#define SB_CHECK(...)                                                                              \
    do {                                                                                           \
        int n = snprintf(want, sizeof want, __VA_ARGS__);                                          \
        ck_assert_int_ge(n, 0);                                                                    \
        sb_printf(&sb, __VA_ARGS__);                                                               \
        ck_assert_uint_eq(sb.len, at + (size_t)n);                                                 \
        ck_assert_str_eq(sb.data + at, want);                                                      \
        at = sb.len;                                                                               \
    } while (0);
        SB_CASES(SB_CHECK)
        ck_assert_int_eq(sb.failed, 0);
        ck_assert_int_eq(memcmp(sb.data, pad, (size_t)fills[f]), 0);
        sb_free(&sb);
    }
#undef SB_CHECK
#undef SB_CASES
}
END_TEST

/* sb_put_int writes what %lld writes, for every number of digits, both
 * signs and the extremes, at every fill of the buffer. */
START_TEST(test_strbuf_put_int_as_lld) {
    long long values[64 * 4 + 4];
    size_t nv = 0;
    values[nv++] = 0;
    values[nv++] = LLONG_MIN;
    values[nv++] = LLONG_MAX;
    values[nv++] = LLONG_MIN + 1;
    for (long long p = 1; nv + 4 <= sizeof values / sizeof *values; p *= 10) {
        values[nv++] = p;
        values[nv++] = -p;
        values[nv++] = p - 1;
        values[nv++] = -(p - 1) - 1;
        if (p > LLONG_MAX / 10)
            break;
    }
    const int fills[] = {0, 1, 62, 63, 64, 127};
    char want[32], pad[128];
    memset(pad, '.', sizeof pad);
    for (size_t f = 0; f < sizeof fills / sizeof *fills; f++) {
        StrBuf sb;
        sb_init(&sb);
        sb_putn(&sb, pad, (size_t)fills[f]);
        for (size_t i = 0; i < nv; i++) {
            size_t at = sb.len;
            int n = snprintf(want, sizeof want, "%lld", values[i]);
            sb_put_int(&sb, values[i]);
            ck_assert_uint_eq(sb.len, at + (size_t)n);
            ck_assert_str_eq(sb.data + at, want);
        }
        ck_assert_int_eq(sb.failed, 0);
        sb_free(&sb);
    }
}
END_TEST

/* sb_put_int writes two digits at a time: every value below 10^5 and its
 * negative, and 20,000 pseudo-random values of every magnitude, as %lld
 * writes them. */
START_TEST(test_strbuf_put_int_sweep) {
    StrBuf sb;
    sb_init(&sb);
    char want[32];
    unsigned long long r = 0x9E3779B97F4A7C15ull;
    for (long long i = 0; i < 100000 + 20000; i++) {
        long long v = i;
        if (i >= 100000) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            v = (long long)(r >> (1 + r % 63)); /* a random number of digits */
        }
        for (int sign = 0; sign < 2; sign++, v = -v) {
            sb_clear(&sb);
            int n = snprintf(want, sizeof want, "%lld", v);
            sb_put_int(&sb, v);
            ck_assert_uint_eq(sb.len, (size_t)n);
            ck_assert_str_eq(sb.data, want);
        }
    }
    ck_assert_int_eq(sb.failed, 0);
    sb_free(&sb);
}
END_TEST

/* sb_putc and sb_putn append in place while the room is there and grow
 * the buffer when it is not: every length of piece appended to every
 * fill around the growths gives the text of byte-by-byte appends, always
 * NUL-terminated; a failed buffer takes nothing more, room or not. */
START_TEST(test_strbuf_put_fills) {
    char text[700];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i * 7 % 26);
    for (size_t fill = 0; fill < 200; fill++)
        for (size_t m = 0; m < 140; m += 1 + m / 8) {
            StrBuf sb;
            sb_init(&sb);
            for (size_t i = 0; i < fill; i++)
                sb_putc(&sb, text[i]);
            sb_putn(&sb, text + fill, m);
            sb_putc(&sb, text[fill + m]);
            ck_assert_uint_eq(sb.len, fill + m + 1);
            ck_assert_uint_lt(sb.len, sb.cap);
            ck_assert_int_eq(sb.data[sb.len], '\0');
            ck_assert_int_eq(memcmp(sb.data, text, sb.len), 0);
            sb.failed = 1;
            size_t len = sb.len;
            sb_putc(&sb, 'x');
            sb_putn(&sb, text, m);
            sb_puts(&sb, "y");
            sb_put_int(&sb, -12);
            ck_assert_uint_eq(sb.len, len);
            ck_assert_int_eq(sb.data[sb.len], '\0');
            sb_free(&sb);
        }
}
END_TEST

/* sb_insert, sb_append_take and sb_take against the same text built by
 * plain appends: inserts at the start, the middle and the end of buffers
 * never written, empty, and filled to either side of a growth, of texts
 * of every length up to past a growth; appends onto an empty and a
 * filled buffer (the memory handed over, or copied); a failed buffer
 * stays failed and gives NULL. */
START_TEST(test_strbuf_insert_and_take) {
    const size_t fills[] = {0, 1, 10, 62, 63, 64, 65, 1000};
    const size_t lens[] = {0, 1, 2, 63, 64, 65, 300};
    char text[1400], piece[400];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < sizeof piece; i++)
        piece[i] = (char)('A' + i % 26);
    for (size_t f = 0; f < sizeof fills / sizeof *fills; f++)
        for (size_t l = 0; l < sizeof lens / sizeof *lens; l++)
            for (int where = 0; where < 3; where++) {
                size_t n = fills[f], m = lens[l], at = where == 0 ? 0 : where == 1 ? n / 2 : n;
                StrBuf sb, want;
                sb_init(&sb);
                sb_init(&want);
                if (n)
                    sb_putn(&sb, text, n);
                sb_insert(&sb, at, piece, m);
                sb_putn(&want, text, at);
                sb_putn(&want, piece, m);
                sb_putn(&want, text + at, n - at);
                ck_assert_uint_eq(sb.len, n + m);
                ck_assert_str_eq(sb_str(&sb), sb_str(&want));
                /* onto an empty buffer (handed over) and a filled one */
                StrBuf dst;
                sb_init(&dst);
                if (where == 2)
                    sb_puts(&dst, "head:");
                sb_append_take(&dst, &sb);
                ck_assert_uint_eq(sb.len, 0);
                ck_assert_ptr_null(sb.data);
                ck_assert_str_eq(sb_str(&dst) + (where == 2 ? 5 : 0), sb_str(&want));
                char *s = sb_take(&dst);
                ck_assert_ptr_nonnull(s);
                ck_assert_str_eq(s + (where == 2 ? 5 : 0), sb_str(&want));
                ck_assert_ptr_null(dst.data);
                free(s);
                sb_free(&want);
            }
    /* never written: "" */
    StrBuf sb;
    sb_init(&sb);
    char *s = sb_take(&sb);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "");
    free(s);
    /* failed: insert does nothing, the failure passes on, take gives NULL */
    sb_init(&sb);
    sb_puts(&sb, "abc");
    sb.failed = 1;
    sb_insert(&sb, 0, "x", 1);
    ck_assert_uint_eq(sb.len, 3);
    StrBuf dst;
    sb_init(&dst);
    sb_puts(&dst, "d");
    sb_append_take(&dst, &sb);
    ck_assert_int_eq(dst.failed, 1);
    ck_assert_ptr_null(sb_take(&dst));
}
END_TEST

Suite *print_suite(void) {
    Suite *s = suite_create("print");
    TCase *tc = tcase_create("infix");
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

    tc = tcase_create("temporaries");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_no_temporaries_when_small);
    tcase_add_test(tc, test_temporaries_logistic);
    tcase_add_test(tc, test_temporaries_reparse);
    suite_add_tcase(s, tc);

    tc = tcase_create("sink");
    tcase_add_test(tc, test_strbuf_printf_as_snprintf);
    tcase_add_test(tc, test_strbuf_put_int_as_lld);
    tcase_add_test(tc, test_strbuf_put_int_sweep);
    tcase_add_test(tc, test_strbuf_put_fills);
    tcase_add_test(tc, test_strbuf_insert_and_take);
    suite_add_tcase(s, tc);
    return s;
}
