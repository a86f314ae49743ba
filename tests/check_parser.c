/* SPDX-License-Identifier: MIT */
/*
 * check_parser.c — the grammar (grammar/parser.y, grammar/lexer.l) and the
 * AST printer (src/ast.c).
 *
 * The tree of each program (precedence, juxtaposition, statements, tokens,
 * brackets) and the printed-back form are golden cases:
 * tests/golden/tree.test and tests/golden/parse.test.  Here, what a table
 * cannot say: calls written with every kind of gap for every function,
 * inputs at and beyond the nesting limits, locations, and print -> parse
 * round trips.  Trees are compared as S-expressions (tu_tree in
 * tests/testutil.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "parse.h"
#include "strbuf.h"
#include "testutil.h"

/* ---- fixture: one parse per call, freed by teardown -------------------- */

static AstArena arena;
static Diag diag;
static Source source;
static char *owned; /* text built by a test, freed by teardown */

static void setup(void) {
    arena.blocks = NULL;
    source.name = "<expr>";
    source.text = "";
    source.len = 0;
    diag_init(&diag, &source);
    owned = NULL;
}

static void teardown(void) {
    ast_arena_free(&arena);
    diag_free(&diag);
    free(owned);
    owned = NULL;
}

/* Parses text[0..len) with a fresh arena and diagnostics. */
static Ast *parse_n(const char *text, size_t len) {
    ast_arena_free(&arena);
    diag_free(&diag);
    source.text = text;
    source.len = len;
    diag_init(&diag, &source);
    return parse_program(&arena, &diag);
}

static Ast *parse(const char *text) { return parse_n(text, strlen(text)); }

/* The dump of a successful parse, or "ERROR: <first message line>". */
static StrBuf result;

static const char *shape(const char *text) {
    sb_free(&result);
    Ast *p = parse(text);
    if (p) {
        tu_tree(&result, p);
    } else {
        const char *msg = sb_str(&diag.out);
        const char *e = strstr(msg, "error: ");
        const char *nl = e ? strchr(e, '\n') : NULL;
        sb_puts(&result, "ERROR: ");
        if (e && nl)
            sb_putn(&result, e + 7, (size_t)(nl - e - 7));
        else
            sb_puts(&result, msg);
    }
    return sb_str(&result);
}

/* ---- implicit multiplication --------------------------------------------- */

/* A function's name, then blanks, newlines or comments, then '(' is a
 * call: for every function the language knows, every kind of gap, and
 * whatever follows, the tree is the one of the call written without the
 * gap.  Any other name before a gap and '(' is a factor of a product. */
static const char *const function_names[] = {
    /* aliases and the functions lowering writes with other nodes */
    "ln", "sgn", "heaviside", "logistic", "sqrt", "pow",
    /* functions of vectors and matrices */
    "sum", "mean", "dot", "norm2", "softmax", "log_softmax", "logsumexp", "transpose", "outer",
    "ones", "zeros",
};
static const char *const gaps[] = {
    " ", "  ", "\t", "\n", "\r\n", " \t\n\f\v ", " # a comment (x)\n", "# one\n  # two\n\t",
};

/* The S-expression of `text`, copied. */
static char *shape_copy(const char *text) {
    const char *got = shape(text);
    char *copy = malloc(strlen(got) + 1);
    ck_assert_ptr_nonnull(copy);
    strcpy(copy, got);
    return copy;
}

static void check_spaced(const char *name) {
    static const char *const tails[] = {"(x)", "(x, y)", "()", "(x)^2", "(x)' y", "(x)[1] + 1"};
    ck_assert_msg(lower_is_function(name), "%s is not a function", name);
    for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
        char plain[128];
        snprintf(plain, sizeof plain, "%s%s", name, tails[t]);
        char *want = shape_copy(plain);
        ck_assert_msg(strncmp(want, "ERROR", 5) != 0, "%s: %s", plain, want);
        for (size_t g = 0; g < sizeof gaps / sizeof *gaps; g++) {
            char spaced[160];
            snprintf(spaced, sizeof spaced, "%s%s%s", name, gaps[g], tails[t]);
            const char *got = shape(spaced);
            ck_assert_msg(strcmp(got, want) == 0, "\"%s\": %s, written without the gap: %s", spaced, got,
                          want);
        }
        free(want);
    }
}

START_TEST(test_parser_spaced_calls) {
    for (int i = 0; i < BI_COUNT; i++)
        if (i != BI_PI)
            check_spaced(builtin_info[i].name);
    for (size_t i = 0; i < sizeof function_names / sizeof *function_names; i++)
        check_spaced(function_names[i]);
    /* names that are not functions: a factor, whatever the gap */
    static const char *const others[] = {"x", "e", "pi", "sinx", "Sin", "f", "param_", "sum2"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        ck_assert(!lower_is_function(others[i]));
        for (size_t g = 0; g < sizeof gaps / sizeof *gaps; g++) {
            char text[128], want[64];
            snprintf(text, sizeof text, "%s%s(y)", others[i], gaps[g]);
            snprintf(want, sizeof want, "(prod %s . {y})", others[i]);
            ck_assert_str_eq(shape(text), want);
        }
    }
    /* a comment that holds the '(' hides it: no call */
    ck_assert_str_eq(shape("sin # (x)\n+ 1"), "(sum sin + 1)");
    /* keywords stay keywords */
    ck_assert_str_eq(shape("repeat (2) { a = 1 } a"), "(program (repeat {2} (= a 1)) a)");
    sb_free(&result);
}
END_TEST

/* The keywords, and every name one edit from one (a letter left out, one
 * more, the first replaced or in capitals), which is a name: the scanner
 * settles keywords by length and first letter before comparing. */
START_TEST(test_parser_keywords_and_near_misses) {
    static const struct {
        const char *word, *program, *tree;
    } keywords[] = {
        {"param", "param a; a", "(program (param a) a)"},
        {"input", "input a; a", "(program (input a) a)"},
        {"repeat", "repeat 2 { a = 1 } a", "(program (repeat 2 (= a 1)) a)"},
        {"dim", "dim n <= 4; n", NULL},
    };
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++) {
        const char *kw = keywords[i].word;
        const char *tree = shape(keywords[i].program);
        ck_assert_msg(tree != NULL, "%s", keywords[i].program);
        if (keywords[i].tree)
            ck_assert_str_eq(tree, keywords[i].tree);
        else
            ck_assert_msg(strncmp(tree, "(program (", 10) == 0 && !strstr(tree, kw), "%s: %s", kw, tree);
        size_t len = strlen(kw);
        char near[5][16];
        snprintf(near[0], sizeof near[0], "%.*s", (int)len - 1, kw); /* one left out */
        snprintf(near[1], sizeof near[1], "%ss", kw);               /* one more */
        snprintf(near[2], sizeof near[2], "q%s", kw + 1);           /* the first replaced */
        snprintf(near[3], sizeof near[3], "%s", kw);
        near[3][0] = (char)(near[3][0] - 'a' + 'A'); /* in capitals */
        snprintf(near[4], sizeof near[4], "%s_", kw);
        for (int k = 0; k < 5; k++)
            ck_assert_str_eq(shape(near[k]), near[k]);
    }
}
END_TEST

/* The error for a/b c points at the juxtaposed factor. */
START_TEST(test_parser_juxtaposition_location) {
    ck_assert_ptr_null(parse("a/b cd^2"));
    ck_assert_ptr_nonnull(strstr(sb_str(&diag.out), "<expr>:1:5: error: ambiguous"));
    ck_assert_ptr_nonnull(strstr(sb_str(&diag.out), "\n        ^~~~\n"));
}
END_TEST

/* ---- tokens ------------------------------------------------------------------ */

/* The text may hold NUL bytes: they are invalid characters, not the end. */
START_TEST(test_parser_nul_byte) {
    static const char text[] = "x + \0 y";
    ck_assert_ptr_null(parse_n(text, sizeof text - 1));
    ck_assert_ptr_nonnull(strstr(sb_str(&diag.out), "1:5: error: invalid character '\\x00'"));

    static const char comment[] = "x # \0 comment\n+ y";
    Ast *p = parse_n(comment, sizeof comment - 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->kids[0]->kind, AST_SUM);
}
END_TEST

/* ---- limits ---------------------------------------------------------------- */

/* A heap string: `head`, `n` copies of `unit`, then `tail`. */
static const char *build_text(const char *head, const char *unit, int n, const char *tail) {
    size_t h = strlen(head), u = strlen(unit), t = strlen(tail);
    free(owned);
    owned = malloc(h + u * (size_t)n + t + 1);
    ck_assert_ptr_nonnull(owned);
    memcpy(owned, head, h);
    for (int i = 0; i < n; i++)
        memcpy(owned + h + u * (size_t)i, unit, u);
    memcpy(owned + h + u * (size_t)n, tail, t + 1);
    return owned;
}

static const char *repeat_text(const char *unit, int n, const char *tail) {
    return build_text("", unit, n, tail);
}

static void expect_too_deep(const char *text, const char *where) {
    ck_assert_ptr_null(parse(text));
    const char *out = sb_str(&diag.out);
    ck_assert_msg(strstr(out, "error: expression nested too deeply\n") != NULL, "got: %.200s",
                  out);
    if (where)
        ck_assert_msg(strncmp(out, where, strlen(where)) == 0, "got: %.200s", out);
    ck_assert_int_eq(diag.errors, 1);
}

START_TEST(test_parser_nesting_limits) {
    /* Brackets: the first one beyond AST_MAX_DEPTH is the error. */
    expect_too_deep(repeat_text("(", 100000, "x"), "<expr>:1:1001: error:");
    expect_too_deep(repeat_text("[", 100000, "x"), "<expr>:1:1001: error:");
    expect_too_deep(repeat_text("f(", 100000, "x"), "<expr>:1:2002: error:");
    expect_too_deep(repeat_text("repeat 1 {", 5000, ""), NULL);
    /* Prefix and right-associative chains: no brackets, still refused. */
    expect_too_deep(repeat_text("-", 100000, "x"), NULL);
    expect_too_deep(repeat_text("+", 100000, "x"), NULL);
    expect_too_deep(repeat_text("x^", 100000, "x"), NULL);
    expect_too_deep(repeat_text("-", 5000, "x"), NULL);
    expect_too_deep(repeat_text("x^", 3000, "x"), NULL);
    expect_too_deep(repeat_text("2^-", 3000, "x"), NULL);
    /* Just inside the limits. */
    ck_assert_ptr_nonnull(parse(repeat_text("-", AST_MAX_DEPTH - 1, "x")));
    ck_assert_ptr_nonnull(parse(build_text("a = ", "-", AST_MAX_DEPTH - 1, "x;\na")));
    expect_too_deep(build_text("a = ", "-", AST_MAX_DEPTH, "x;\na"), "<expr>:1:5: error:");
    expect_too_deep(repeat_text("-", AST_MAX_DEPTH, "x"), "<expr>:1:1: error:");
    expect_too_deep(repeat_text("x^", AST_MAX_DEPTH, "x"), "<expr>:1:1: error:");
    ck_assert_ptr_nonnull(parse(repeat_text("+", 5000, "x")));
    /* AST_MAX_DEPTH brackets are fine: depth grows with nested nodes, not
     * with brackets alone. */
    {
        char *t = malloc(2 * 1000 + 2);
        ck_assert_ptr_nonnull(t);
        memset(t, '(', 1000);
        t[1000] = 'x';
        memset(t + 1001, ')', 1000);
        t[2001] = '\0';
        Ast *p = parse(t);
        free(t);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->kids[0]->kind, AST_NAME);
        ck_assert_int_eq(p->kids[0]->flags & AST_PAREN, AST_PAREN);
    }
}
END_TEST

START_TEST(test_parser_flat_sum) {
    /* 100000 terms: one n-ary node, no depth per operand. */
    const int n = 100000;
    Ast *p = parse(repeat_text("x+", n - 1, "x"));
    ck_assert_ptr_nonnull(p);
    const Ast *sum = p->kids[0];
    ck_assert_int_eq(sum->kind, AST_SUM);
    ck_assert_int_eq(sum->nkids, n);
    ck_assert_int_eq(sum->depth, 2);
    ck_assert_int_eq(sum->ops[n - 1], '+');

    p = parse(repeat_text("x*y ", n / 2, "z"));
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->kids[0]->kind, AST_PRODUCT);
    ck_assert_int_eq(p->kids[0]->nkids, n + 1);

    p = parse(repeat_text("a = a + 1;\n", n, "a"));
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->nkids, n + 1);
}
END_TEST

/* ---- locations ------------------------------------------------------------ */

static void expect_loc(Loc loc, int start, int end) {
    ck_assert_int_eq(loc.start, start);
    ck_assert_int_eq(loc.end, end);
}

START_TEST(test_parser_locations) {
    /*                    0123456789012345678901 */
    Ast *p = parse("a = f(x, 2);  b'[1]^2 ");
    ck_assert_ptr_nonnull(p);
    const Ast *assign = p->kids[0], *call = assign->kids[0];
    expect_loc(assign->loc, 0, 11);
    expect_loc(assign->name_loc, 0, 1);
    expect_loc(call->loc, 4, 11);
    expect_loc(call->name_loc, 4, 5);
    expect_loc(call->kids[0]->loc, 6, 7);
    expect_loc(call->kids[1]->loc, 9, 10);
    const Ast *pow = p->kids[1];
    ck_assert_int_eq(pow->kind, AST_POW);
    expect_loc(pow->loc, 14, 21);
    expect_loc(pow->name_loc, 19, 20);
    const Ast *index = pow->kids[0];
    expect_loc(index->loc, 14, 19);
    expect_loc(index->kids[0]->loc, 14, 16);
    expect_loc(index->kids[0]->name_loc, 15, 16);

    /*              0123456789012 */
    p = parse("x - (y + z) w");
    ck_assert_ptr_nonnull(p);
    const Ast *sum = p->kids[0];
    expect_loc(sum->loc, 0, 13);
    expect_loc(sum->name_loc, 2, 3);
    const Ast *prod = sum->kids[1];
    expect_loc(prod->loc, 4, 13);
    expect_loc(prod->kids[0]->loc, 5, 10); /* inside the parentheses */
    expect_loc(prod->kids[1]->loc, 12, 13);

    /*              01234567890123456789012 */
    p = parse("param W[2,3], b;\nrepeat 2 { b = -b }\nb");
    ck_assert_ptr_nonnull(p);
    expect_loc(p->kids[0]->loc, 6, 12);
    expect_loc(p->kids[0]->name_loc, 6, 7);
    expect_loc(p->kids[0]->kids[1]->loc, 10, 11);
    expect_loc(p->kids[1]->loc, 14, 15);
    expect_loc(p->kids[2]->loc, 17, 36);
    expect_loc(p->kids[2]->name_loc, 17, 23);
    expect_loc(p->kids[2]->kids[1]->kids[0]->name_loc, 32, 33);
    expect_loc(p->kids[3]->loc, 37, 38);
}
END_TEST

START_TEST(test_parser_depth_field) {
    Ast *p = parse("-(x^2 + y)");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->kids[0]->depth, 4); /* neg > sum > pow > x */
    ck_assert_int_eq(p->depth, 5);
}
END_TEST

/* ---- printing: print -> parse -> print is a fixed point, trees equal ---- */

static int same_tree(const Ast *a, const Ast *b) {
    if (a->kind != b->kind || a->flags != b->flags || a->nkids != b->nkids)
        return 0;
    if ((a->text == NULL) != (b->text == NULL) || (a->text && strcmp(a->text, b->text) != 0))
        return 0;
    for (int i = 0; i < a->nkids; i++) {
        if ((a->kind == AST_SUM || a->kind == AST_PRODUCT) && i > 0 && a->ops[i] != b->ops[i])
            return 0;
        if (!same_tree(a->kids[i], b->kids[i]))
            return 0;
    }
    return 1;
}

static const char *const round_trip_inputs[] = {
    "x",
    "-x^2",
    "(-x)^2",
    "2^3^2",
    "(2^3)^2",
    "2^-x",
    "x^-2^2",
    "a-b-c",
    "a-(b-c)",
    "(a-b)-c",
    "a/b/c",
    "a/(b/c)",
    "a-b+c",
    "--x",
    "-(-x)",
    "a - -b",
    "a*-b",
    "-a*b",
    "-(a*b)",
    "2x",
    "2 pi x",
    "x ln(x)",
    "x^2 ln(x^2)",
    "2(x+1)",
    "(x+1)(x-1)",
    "a b/c",
    "(a/b) c",
    "a/(b c)",
    "2e-3x",
    "2e",
    "x (y)",
    "f(x)(y)",
    "x'y",
    "[1,2](x)",
    "((x))",
    "((a+b))*c",
    "x^(y^z)",
    "(x^y)^z",
    "x^(-y)",
    "x^(2')",
    "(x^2)'",
    "(a+b)'",
    "(a+b)[1]",
    "a[1][2,3]'",
    "W @ x + b",
    "W @ (x + b)",
    "[[1,2],[3,4]] @ [x, y]",
    "f()",
    "max(a, b + c, -d)",
    "sigmoid(w'x + b)",
    "-dot(y, log_softmax(s)) + 1e-4*(sum(W1*W1) + sum(W2*W2))",
    "l = x; repeat 3 { l = 4*l*(1 - l) } l",
    "a = 1; b = 2; repeat n { a = a + b; b = a*b; repeat 2 { c = 1 } } a b",
    "param W1[16,2], b1[16]; input x[2], y; h = tanh(W1 @ x + b1); -dot(y, h)",
    "1.5e+3 + .5 - 3. + 007",
    "# comment\nx + # more\n y",
    "repeat (3) { } x",
    "(z^-z) (z*w1)'",
    "x (a + b)[1]^2",
    "2 (-x)^2",
};

START_TEST(test_parser_round_trip) {
    int i = _i; /* from tcase_add_loop_test */
    const char *input = round_trip_inputs[i];
    Ast *p = parse(input);
    ck_assert_msg(p != NULL, "%s: %s", input, sb_str(&diag.out));

    StrBuf first, second;
    sb_init(&first);
    sb_init(&second);
    ast_print(&first, p);

    /* Re-parse the printed form in a second arena and compare. */
    AstArena arena2 = {NULL};
    Diag diag2;
    Source src2 = {"<printed>", sb_str(&first), first.len};
    diag_init(&diag2, &src2);
    Ast *q = parse_program(&arena2, &diag2);
    ck_assert_msg(q != NULL, "%s printed as\n%s\ndoes not parse:\n%s", input, sb_str(&first),
                  sb_str(&diag2.out));
    ck_assert_msg(same_tree(p, q), "%s printed as %s reads back differently", input,
                  sb_str(&first));
    ast_print(&second, q);
    ck_assert_str_eq(sb_str(&first), sb_str(&second));

    ast_arena_free(&arena2);
    diag_free(&diag2);
    sb_free(&first);
    sb_free(&second);
}
END_TEST

/* Trees built by code (not the parser) print with the parentheses they
 * need, so that the text still means the same tree shape. */
START_TEST(test_parser_print_built_trees) {
    Loc nowhere = {0, 0};
    Ast *a = ast_new(&arena, AST_NAME, nowhere), *b = ast_new(&arena, AST_NAME, nowhere);
    Ast *c = ast_new(&arena, AST_NUM, nowhere);
    ast_set_text(&arena, a, "a", 1);
    ast_set_text(&arena, b, "b", 1);
    ast_set_text(&arena, c, "2", 1);
    Ast *sum = ast_new(&arena, AST_SUM, nowhere);
    ast_push(&arena, sum, a, '+');
    ast_push(&arena, sum, b, '-');
    Ast *prod = ast_new(&arena, AST_PRODUCT, nowhere);
    ast_push(&arena, prod, sum, '*');
    ast_push(&arena, prod, c, ' '); /* a number cannot be juxtaposed: parenthesised */
    Ast *neg = ast_new(&arena, AST_NEG, nowhere);
    ast_push(&arena, neg, prod, 0);
    Ast *pow = ast_new(&arena, AST_POW, nowhere);
    ast_push(&arena, pow, neg, 0);
    ast_push(&arena, pow, sum, 0);
    StrBuf sb;
    sb_init(&sb);
    ast_print(&sb, pow);
    ck_assert_str_eq(sb_str(&sb), "(-((a - b) (2)))^(a - b)");
    ck_assert_int_eq(pow->depth, 5);
    sb_free(&sb);
}
END_TEST

/* The arena carves nodes, texts and kids arrays from blocks: across a
 * sweep of sizes that crosses the kids arrays' growth (4, then powers of
 * two) and many blocks, every declaration, name, number and operator of
 * a long program comes back intact, and the program prints as written. */
START_TEST(test_parser_arena_sizes) {
    static const size_t sizes[] = {1, 3, 4, 5, 8, 9, 100, 1023, 1025, 4096, 4097, 30000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        StrBuf text;
        sb_init(&text);
        sb_puts(&text, "param ");
        for (size_t i = 0; i < n; i++)
            sb_printf(&text, "%sname_%zu_long_enough_to_span", i ? ", " : "", i);
        sb_puts(&text, ";\n");
        for (size_t i = 0; i < n; i++)
            sb_printf(&text, "%s%zu*name_%zu_long_enough_to_span", i == 0 ? "" : i % 3 ? " + " : " - ", i + 1, i);
        Ast *p = parse(sb_str(&text));
        ck_assert_msg(p != NULL, "%zu names: %s", n, sb_str(&diag.out));
        ck_assert_int_eq(p->nkids, (int)n + 1);
        const Ast *sum = p->kids[n];
        ck_assert_int_eq(n == 1 ? AST_PRODUCT : AST_SUM, sum->kind);
        for (size_t i = 0; i < n; i++) {
            char name[64], num[32];
            snprintf(name, sizeof name, "name_%zu_long_enough_to_span", i);
            snprintf(num, sizeof num, "%zu", i + 1);
            ck_assert_int_eq(p->kids[i]->kind, AST_DECL);
            ck_assert_str_eq(p->kids[i]->text, name);
            const Ast *term = n == 1 ? sum : sum->kids[i];
            ck_assert_int_eq(term->nkids, 2);
            ck_assert_str_eq(term->kids[0]->text, num);
            ck_assert_str_eq(term->kids[1]->text, name);
            if (n > 1)
                ck_assert_int_eq(sum->ops[i], i == 0 ? '+' : i % 3 ? '+' : '-');
        }
        /* printed back: the declarations one per line, then the sum */
        StrBuf printed;
        sb_init(&printed);
        ast_print(&printed, p);
        const char *body = strchr(sb_str(&text), '\n') + 1;
        size_t plen = strlen(sb_str(&printed)), blen = strlen(body);
        ck_assert_msg(plen >= blen && strcmp(sb_str(&printed) + plen - blen, body) == 0,
                      "%zu names: the sum does not print back as written", n);
        sb_free(&printed);
        sb_free(&text);
    }
}
END_TEST

Suite *parser_suite(void); /* called by tests/runner.c */

Suite *parser_suite(void) {
    Suite *s = suite_create("parser");
    TCase *tc = tcase_create("grammar");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_parser_spaced_calls);
    tcase_add_test(tc, test_parser_juxtaposition_location);
    tcase_add_test(tc, test_parser_keywords_and_near_misses);
    tcase_add_test(tc, test_parser_nul_byte);
    tcase_add_test(tc, test_parser_locations);
    tcase_add_test(tc, test_parser_depth_field);
    tcase_add_test(tc, test_parser_arena_sizes);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60); /* valgrind is slow on 100000-token inputs */
    tcase_add_test(tc, test_parser_nesting_limits);
    tcase_add_test(tc, test_parser_flat_sum);
    suite_add_tcase(s, tc);

    tc = tcase_create("print");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_parser_round_trip, 0,
                        (int)(sizeof round_trip_inputs / sizeof round_trip_inputs[0]));
    tcase_add_test(tc, test_parser_print_built_trees);
    suite_add_tcase(s, tc);
    return s;
}
