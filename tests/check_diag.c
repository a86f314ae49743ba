/* SPDX-License-Identifier: MIT */
/*
 * check_diag.c — diagnostics (src/diag.c) and the parser's messages.
 *
 * Golden tests: each case is an erroneous program and the exact text the
 * Diag holds after parse_program, every line of it.  A change of wording or
 * layout shows up here first; update the golden text deliberately.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "testutil.h"

typedef struct {
    const char *text;
    size_t len; /* the text may hold NUL bytes */
    const char *expected;
} Golden;

#define G(text, expected) {text, sizeof text - 1, expected}

static const Golden golden[] = {
    /* 0: the example of docs/language.md */
    G("2*(x+",
      "<expr>:1:6: error: unexpected end of input\n"
      "    2*(x+\n"
      "         ^\n"
      "<expr>:1:3: note: unclosed '(' opened here\n"
      "    2*(x+\n"
      "      ^\n"),
    G("x)",
      "<expr>:1:2: error: unmatched ')'\n"
      "    x)\n"
      "     ^\n"),
    G("f(x))",
      "<expr>:1:5: error: unmatched ')'\n"
      "    f(x))\n"
      "        ^\n"),
    G("(x]",
      "<expr>:1:3: error: unexpected ']'\n"
      "    (x]\n"
      "      ^\n"
      "<expr>:1:1: note: unclosed '(' opened here\n"
      "    (x]\n"
      "    ^\n"),
    G("*2",
      "<expr>:1:1: error: unexpected '*', expected an expression\n"
      "    *2\n"
      "    ^\n"),
    /* 5 */
    G("x 2",
      "<expr>:1:3: error: unexpected number '2'\n"
      "    x 2\n"
      "      ^\n"),
    G("x + y z 10.5",
      "<expr>:1:9: error: unexpected number '10.5'\n"
      "    x + y z 10.5\n"
      "            ^~~~\n"),
    G("x = 1; y = (x+)",
      "<expr>:1:15: error: unexpected ')', expected an expression\n"
      "    x = 1; y = (x+)\n"
      "                  ^\n"),
    G("param w v; w",
      "<expr>:1:9: error: unexpected name 'v'\n"
      "    param w v; w\n"
      "            ^\n"),
    G("a = 1\nb = 2\na + b",
      "<expr>:2:3: error: unexpected '='\n"
      "    b = 2\n"
      "      ^\n"
      "<expr>:2:1: note: is a ';' missing before 'b'?\n"
      "    b = 2\n"
      "    ^\n"),
    /* 10 */
    G("1/2x + 1",
      "<expr>:1:4: error: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)\n"
      "    1/2x + 1\n"
      "       ^\n"),
    G("a/b f(x)^2",
      "<expr>:1:5: error: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)\n"
      "    a/b f(x)^2\n"
      "        ^~~~~~\n"),
    G("1.2.3 + x",
      "<expr>:1:1: error: malformed number '1.2.3'\n"
      "    1.2.3 + x\n"
      "    ^~~~~\n"),
    G("x + \x01",
      "<expr>:1:5: error: invalid character '\\x01'\n"
      "    x + \\x01\n"
      "        ^\n"),
    G("x\0+",
      "<expr>:1:2: error: invalid character '\\x00'\n"
      "    x\\x00+\n"
      "     ^\n"),
    /* 15 */
    G("\xc3\xa9 = 1",
      "<expr>:1:1: error: non-ASCII character U+00E9\n"
      "    \\xC3\\xA9 = 1\n"
      "    ^~\n"),
    G("\tx +\t$",
      "<expr>:1:6: error: invalid character '$'\n"
      "    \tx +\t$\n"
      "    \t   \t^\n"),
    G("a = 1;\r\nb = (2\r\n",
      "<expr>:2:7: error: unexpected end of input\n"
      "    b = (2\n"
      "          ^\n"
      "<expr>:2:5: note: unclosed '(' opened here\n"
      "    b = (2\n"
      "        ^\n"),
    G("a = 1;\nb = 2;\nc = a ^ * b;\nc",
      "<expr>:3:9: error: unexpected '*', expected an expression\n"
      "    c = a ^ * b;\n"
      "            ^\n"),
    G("",
      "<expr>:1:1: error: empty program: expected an expression\n"
      "    \n"
      "    ^\n"),
    /* 20 */
    G("# nothing here\n\n",
      "<expr>:1:1: error: empty program: expected an expression\n"
      "    # nothing here\n"
      "    ^\n"),
    G("a = 1;\n# then nothing\n",
      "<expr>:1:7: error: expected a final expression after the last statement\n"
      "    a = 1;\n"
      "          ^\n"),
    G("l = x\nrepeat 3 {\n    l = 4*l*(1 - l)\n",
      "<expr>:2:1: error: unexpected keyword 'repeat'\n"
      "    repeat 3 {\n"
      "    ^~~~~~\n"),
    G("l = x;\nrepeat 3 {\n    l = 4*l*(1 - l)\n",
      "<expr>:3:20: error: unexpected end of input\n"
      "        l = 4*l*(1 - l)\n"
      "                       ^\n"
      "<expr>:2:10: note: unclosed '{' opened here\n"
      "    repeat 3 {\n"
      "             ^\n"),
    G("x +   # comment\n\n",
      "<expr>:1:4: error: unexpected end of input\n"
      "    x +   # comment\n"
      "       ^\n"),
    /* 25 */
    G("x = repeat",
      "<expr>:1:5: error: unexpected keyword 'repeat', expected an expression\n"
      "    x = repeat\n"
      "        ^~~~~~\n"),
    G("param w[]; w",
      "<expr>:1:9: error: unexpected ']', expected a number or the name of a run-time dimension\n"
      "    param w[]; w\n"
      "            ^\n"),
    G("[1, 2,\n 3",
      "<expr>:2:3: error: unexpected end of input\n"
      "     3\n"
      "      ^\n"
      "<expr>:1:1: note: unclosed '[' opened here\n"
      "    [1, 2,\n"
      "    ^\n"),
    G("f(x, [1, (2",
      "<expr>:1:12: error: unexpected end of input\n"
      "    f(x, [1, (2\n"
      "               ^\n"
      "<expr>:1:10: note: unclosed '(' opened here\n"
      "    f(x, [1, (2\n"
      "             ^\n"),
};

static void run_golden(const Golden *g, int index) {
    AstArena arena = {NULL};
    Source src = {"<expr>", g->text, g->len};
    Diag diag;
    diag_init(&diag, &src);
    Ast *p = parse_program(&arena, &diag);
    ck_assert_msg(p == NULL, "case %d parsed", index);
    ck_assert_msg(strcmp(sb_str(&diag.out), g->expected) == 0,
                  "case %d: expected\n%s\ngot\n%s", index, g->expected, sb_str(&diag.out));
    ck_assert_int_eq(diag.errors, 1);
    ast_arena_free(&arena);
    diag_free(&diag);
}

START_TEST(test_diag_golden) {
    int i = _i; /* from tcase_add_loop_test */
    run_golden(&golden[i], i);
}
END_TEST

/* Bracket nesting beyond the limit: the message points at the first
 * bracket too many, on a 1001-byte line. */
START_TEST(test_diag_golden_too_deep) {
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

    AstArena arena = {NULL};
    Source src = {"<expr>", text, strlen(text)};
    Diag diag;
    diag_init(&diag, &src);
    ck_assert_ptr_null(parse_program(&arena, &diag));
    ck_assert_str_eq(sb_str(&diag.out), sb_str(&expected));
    ast_arena_free(&arena);
    diag_free(&diag);
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
    TCase *tc = tcase_create("golden");
    tcase_add_loop_test(tc, test_diag_golden, 0, (int)(sizeof golden / sizeof golden[0]));
    tcase_add_test(tc, test_diag_golden_too_deep);
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
