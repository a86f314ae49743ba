/* SPDX-License-Identifier: MIT */
/*
 * check_diag.c — diagnostics (src/diag.c): spans, carets, escapes,
 * limits, line and column, edit distance.
 *
 * The parser's messages, every line of them, are golden cases:
 * tests/golden/diag.test (a change of wording or layout shows up there
 * first; update it deliberately, tests/golden/README.md says how).  Here,
 * diag.c on its own, and the message that needs a line too long for a
 * golden file.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "diag.h"
#include "symdiff.h"
#include "testutil.h"

/* Bracket nesting beyond the limit: the message points at the first
 * bracket too many, on a 1001-byte line. */
START_TEST(test_diag_too_deep) {
    int n = AST_MAX_DEPTH + 1;
    char *text = malloc((size_t)n + 2);
    ck_assert_ptr_nonnull(text);
    memset(text, '(', (size_t)n);
    text[n] = 'x';
    text[n + 1] = '\0';

    StrBuf expected;
    sb_init(&expected);
    sb_printf(&expected, "<expr>:1:%d: error: expression nested too deeply\n    %s\n    ", n, text);
    for (int i = 0; i < n - 1; i++)
        sb_putc(&expected, ' ');
    sb_puts(&expected, "^\n");

    SdProgram *p;
    ck_assert_int_eq(sd_compile(text, strlen(text), &(SdCompileOptions){.parse_only = 1}, &p), SD_ERR_INPUT);
    ck_assert_str_eq(sd_diagnostics_text(p), sb_str(&expected));
    sd_program_free(p);
    sb_free(&expected);
    free(text);
}
END_TEST

/* ---- diag.c on its own: spans, escapes, limits -------------------------- */

static Source source;
static Diag diag;

static void use(const char *name, const char *text, size_t len) {
    diag_free(&diag);
    source.name = name;
    source.text = text;
    source.len = len;
    diag_init(&diag, &source);
}

static void setup(void) {
    source.name = "<expr>";
    source.text = "";
    source.len = 0;
    diag_init(&diag, &source);
}

static void teardown(void) { diag_free(&diag); }

static Loc span(int start, int end) {
    Loc loc = {start, end};
    return loc;
}

START_TEST(test_diag_span) {
    static const char text[] = "x + foo(1, 2)*y";
    use("model.sd", text, sizeof text - 1);
    diag_error(&diag, span(4, 13), "unknown function '%s'", "foo");
    ck_assert_str_eq(sb_str(&diag.out), "model.sd:1:5: error: unknown function 'foo'\n"
                                        "    x + foo(1, 2)*y\n"
                                        "        ^~~~~~~~~\n");
}
END_TEST

START_TEST(test_diag_span_clipped_to_line) {
    static const char text[] = "a = (x +\n     y);\r\nb";
    use("<expr>", text, sizeof text - 1);
    diag_error(&diag, span(4, 16), "shape mismatch");
    diag_note(&diag, span(14, 16), "here");
    ck_assert_str_eq(sb_str(&diag.out), "<expr>:1:5: error: shape mismatch\n"
                                        "    a = (x +\n"
                                        "        ^~~~\n"
                                        "<expr>:2:6: note: here\n"
                                        "         y);\n"
                                        "         ^~\n");
}
END_TEST

/* Escaped bytes are four columns wide; tabs stay tabs; '\r' is dropped. */
START_TEST(test_diag_escapes_before_caret) {
    static const char text[] = "a\x01\tb\x80 c\xff d\r\n";
    use("<expr>", text, sizeof text - 1);
    diag_error(&diag, span(9, 12), "here"); /* 'd', then "\r\n" clipped */
    diag_error(&diag, span(5, 7), "there");
    ck_assert_str_eq(sb_str(&diag.out), "<expr>:1:10: error: here\n"
                                        "    a\\x01\tb\\x80 c\\xFF d\n"
                                        "         \t            ^\n"
                                        "<expr>:1:6: error: there\n"
                                        "    a\\x01\tb\\x80 c\\xFF d\n"
                                        "         \t     ^~\n");
}
END_TEST

START_TEST(test_diag_escape_in_span) {
    static const char text[] = "x\x7f\x1b y";
    use("<expr>", text, sizeof text - 1);
    diag_error(&diag, span(1, 3), "bad bytes");
    ck_assert_str_eq(sb_str(&diag.out), "<expr>:1:2: error: bad bytes\n"
                                        "    x\\x7F\\x1B y\n"
                                        "     ^~\n");
}
END_TEST

START_TEST(test_diag_no_position) {
    use("data.sd", "x", 1);
    diag_error(&diag, span(-1, -1), "input too large");
    diag_note(&diag, span(-1, 0), "see %s", "the manual");
    ck_assert_str_eq(sb_str(&diag.out), "data.sd: error: input too large\n"
                                        "data.sd: note: see the manual\n");
}
END_TEST

/* A location at the very end of the text, after the last newline, shows
 * the empty last line; an out-of-range location is clamped to the end. */
START_TEST(test_diag_end_of_text) {
    use("<expr>", "x +\n", 4);
    diag_error(&diag, span(4, 4), "at the end");
    diag_error(&diag, span(99, 120), "beyond");
    ck_assert_str_eq(sb_str(&diag.out), "<expr>:2:1: error: at the end\n"
                                        "    \n"
                                        "    ^\n"
                                        "<expr>:2:1: error: beyond\n"
                                        "    \n"
                                        "    ^\n");
}
END_TEST

START_TEST(test_diag_max_errors) {
    use("<expr>", "abc", 3);
    diag.max_errors = 2;
    for (int i = 0; i < 5; i++) {
        diag_error(&diag, span(i % 3, i % 3 + 1), "error %d", i);
        diag_note(&diag, span(-1, -1), "note %d", i);
    }
    ck_assert_int_eq(diag.errors, 5);
    ck_assert_str_eq(sb_str(&diag.out), "<expr>:1:1: error: error 0\n"
                                        "    abc\n"
                                        "    ^\n"
                                        "<expr>: note: note 0\n"
                                        "<expr>:1:2: error: error 1\n"
                                        "    abc\n"
                                        "     ^\n"
                                        "<expr>: note: note 1\n");
}
END_TEST

START_TEST(test_diag_default_max_errors) {
    use("<expr>", "abc", 3);
    for (int i = 0; i < 30; i++)
        diag_error(&diag, span(-1, -1), "e");
    ck_assert_int_eq(diag.errors, 30);
    ck_assert_uint_eq(diag.out.len, 20 * strlen("<expr>: error: e\n"));
}
END_TEST

START_TEST(test_diag_line_col) {
    static const char text[] = "ab\ncd\r\n\nef";
    Source src = {"<expr>", text, sizeof text - 1};
    static const struct {
        int offset, line, col;
    } cases[] = {{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {6, 2, 4},
                 {7, 3, 1}, {8, 4, 1}, {9, 4, 2}, {10, 4, 3}, {-5, 1, 1}, {500, 4, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int line = 0, col = 0;
        diag_line_col(&src, cases[i].offset, &line, &col);
        ck_assert_msg(line == cases[i].line && col == cases[i].col,
                      "offset %d: got %d:%d, expected %d:%d", cases[i].offset, line, col,
                      cases[i].line, cases[i].col);
    }
}
END_TEST

START_TEST(test_diag_edit_distance) {
    ck_assert_int_eq(diag_edit_distance("", ""), 0);
    ck_assert_int_eq(diag_edit_distance("sin", "sin"), 0);
    ck_assert_int_eq(diag_edit_distance("", "abc"), 3);
    ck_assert_int_eq(diag_edit_distance("abc", ""), 3);
    ck_assert_int_eq(diag_edit_distance("sinh", "sin"), 1);
    ck_assert_int_eq(diag_edit_distance("tanh", "than"), 2);
    ck_assert_int_eq(diag_edit_distance("kitten", "sitting"), 3);
    ck_assert_int_eq(diag_edit_distance("sigmoid", "sigmiod"), 2);
    ck_assert_int_eq(diag_edit_distance("log_softmax", "logsoftmax"), 1);
    /* Longer than the stack buffer. */
    char a[201], b[201];
    memset(a, 'a', 200);
    memset(b, 'a', 200);
    a[200] = b[200] = '\0';
    b[7] = 'x';
    b[150] = 'y';
    ck_assert_int_eq(diag_edit_distance(a, b), 2);
    ck_assert_int_eq(diag_edit_distance(a, "aaa"), 197);
}
END_TEST

Suite *diag_suite(void); /* called by tests/runner.c */

Suite *diag_suite(void) {
    Suite *s = suite_create("diag");
    TCase *tc = tcase_create("parser");
    tcase_add_test(tc, test_diag_too_deep);
    suite_add_tcase(s, tc);

    tc = tcase_create("render");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_diag_span);
    tcase_add_test(tc, test_diag_span_clipped_to_line);
    tcase_add_test(tc, test_diag_escapes_before_caret);
    tcase_add_test(tc, test_diag_escape_in_span);
    tcase_add_test(tc, test_diag_no_position);
    tcase_add_test(tc, test_diag_end_of_text);
    tcase_add_test(tc, test_diag_max_errors);
    tcase_add_test(tc, test_diag_default_max_errors);
    tcase_add_test(tc, test_diag_line_col);
    tcase_add_test(tc, test_diag_edit_distance);
    suite_add_tcase(s, tc);
    return s;
}
