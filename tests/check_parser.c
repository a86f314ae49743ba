/* SPDX-License-Identifier: MIT */
/*
 * check_parser.c — the grammar (grammar/parser.y, grammar/lexer.l) and the
 * AST printer (src/ast.c).
 *
 * Tree shapes are checked through a small S-expression dump defined here:
 *   number/name      as written            x, 2.5e3
 *   (sum a + b - c)  n-ary AST_SUM with its operators
 *   (prod a * b / c @ d . e)   AST_PRODUCT; '.' is juxtaposition
 *   (neg a) (^ a b) (' a) (index a i j) (call f a b) [a b]
 *   (= name e) (repeat n s...) (param w 2 3) (input x 3) (program s... e)
 *   {e}              e carries AST_PAREN
 * A program with no statements dumps as its final expression alone.
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
    arena.all = NULL;
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

/* ---- the S-expression dump ------------------------------------------------ */

static void dump(StrBuf *sb, const Ast *n);

static void dump_kids(StrBuf *sb, const Ast *n, int from) {
    for (int i = from; i < n->nkids; i++) {
        sb_putc(sb, ' ');
        dump(sb, n->kids[i]);
    }
}

static void dump_bare(StrBuf *sb, const Ast *n) {
    switch (n->kind) {
    case AST_NUM:
    case AST_NAME:
        sb_puts(sb, n->text);
        break;
    case AST_CALL:
        sb_printf(sb, "(call %s", n->text);
        dump_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_NEG:
        sb_puts(sb, "(neg");
        dump_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_SUM:
    case AST_PRODUCT:
        sb_puts(sb, n->kind == AST_SUM ? "(sum " : "(prod ");
        for (int i = 0; i < n->nkids; i++) {
            if (i > 0)
                sb_printf(sb, " %c ", n->ops[i] == ' ' ? '.' : n->ops[i]);
            dump(sb, n->kids[i]);
        }
        sb_putc(sb, ')');
        break;
    case AST_POW:
        sb_puts(sb, "(^");
        dump_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_TRANSPOSE:
        sb_puts(sb, "('");
        dump_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_INDEX:
        sb_puts(sb, "(index");
        dump_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_VECTOR:
        sb_putc(sb, '[');
        for (int i = 0; i < n->nkids; i++) {
            if (i > 0)
                sb_putc(sb, ' ');
            dump(sb, n->kids[i]);
        }
        sb_putc(sb, ']');
        break;
    case AST_ASSIGN:
        sb_printf(sb, "(= %s", n->text);
        dump_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_REPEAT:
        sb_puts(sb, "(repeat");
        dump_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_DECL:
        sb_printf(sb, "(%s %s", (n->flags & AST_INPUT) ? "input" : "param", n->text);
        dump_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_PROGRAM:
        if (n->nkids == 1) {
            dump(sb, n->kids[0]);
        } else {
            sb_puts(sb, "(program");
            dump_kids(sb, n, 0);
            sb_putc(sb, ')');
        }
        break;
    }
}

static void dump(StrBuf *sb, const Ast *n) {
    if (n->flags & AST_PAREN)
        sb_putc(sb, '{');
    dump_bare(sb, n);
    if (n->flags & AST_PAREN)
        sb_putc(sb, '}');
}

/* The dump of a successful parse, or "ERROR: <first message line>". */
static StrBuf result;

static const char *shape(const char *text) {
    sb_free(&result);
    Ast *p = parse(text);
    if (p) {
        dump(&result, p);
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

typedef struct {
    const char *input, *expected;
} Case;

static void check_cases(const Case *cases, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const char *got = shape(cases[i].input);
        ck_assert_msg(strcmp(got, cases[i].expected) == 0,
                      "input \"%s\":\n  expected %s\n       got %s", cases[i].input,
                      cases[i].expected, got);
    }
    sb_free(&result);
}

#define CHECK_CASES(table) check_cases(table, sizeof table / sizeof table[0])

/* ---- precedence and associativity ---------------------------------------- */

static const Case precedence_cases[] = {
    {"-x^2", "(neg (^ x 2))"},
    {"2^3^2", "(^ 2 (^ 3 2))"},
    {"2^-x", "(^ 2 (neg x))"},
    {"x^-2^2", "(^ x (neg (^ 2 2)))"},
    {"(-x)^2", "(^ {(neg x)} 2)"},
    {"(2^3)^2", "(^ {(^ 2 3)} 2)"},
    {"a-b-c", "(sum a - b - c)"},
    {"a/b/c", "(prod a / b / c)"},
    {"a-b+c", "(sum a - b + c)"},
    {"a+b*c", "(sum a + (prod b * c))"},
    {"a*b+c", "(sum (prod a * b) + c)"},
    {"a-(b-c)", "(sum a - {(sum b - c)})"},
    {"(a+b)+c", "(sum {(sum a + b)} + c)"},
    {"(a*b)*c", "(prod {(prod a * b)} * c)"},
    {"-a*b", "(prod (neg a) * b)"},
    {"a*-b", "(prod a * (neg b))"},
    {"a - -b", "(sum a - (neg b))"},
    {"--x", "(neg (neg x))"},
    {"+x", "x"},
    {"-+-x", "(neg (neg x))"},
    {"2*x^2", "(prod 2 * (^ x 2))"},
    {"-2^x", "(neg (^ 2 x))"},
    {"x^y'", "(^ x (' y))"},
    {"x'^2", "(^ (' x) 2)"},
    {"a^b[1]", "(^ a (index b 1))"},
    {"x'[1]", "(index (' x) 1)"},
    {"A @ x + b", "(sum (prod A @ x) + b)"},
    {"A @ B @ x", "(prod A @ B @ x)"},
    {"a*b/c@d", "(prod a * b / c @ d)"},
    {"((x))", "{x}"},
    {"1+2+3+4", "(sum 1 + 2 + 3 + 4)"},
    {"a^b^c^d", "(^ a (^ b (^ c d)))"},
    {"-a^-b^-c", "(neg (^ a (neg (^ b (neg c)))))"},
};

START_TEST(test_parser_precedence) { CHECK_CASES(precedence_cases); }
END_TEST

/* ---- implicit multiplication --------------------------------------------- */

static const Case juxtaposition_cases[] = {
    {"2x", "(prod 2 . x)"},
    {"2 x", "(prod 2 . x)"},
    {"x y", "(prod x . y)"},
    {"xy", "xy"},
    {"x1", "x1"},
    {"x ln(x)", "(prod x . (call ln x))"},
    {"x^2 ln(x^2)", "(prod (^ x 2) . (call ln (^ x 2)))"},
    {"2(x+1)", "(prod 2 . {(sum x + 1)})"},
    {"(x+1)(x-1)", "(prod {(sum x + 1)} . {(sum x - 1)})"},
    {"2 pi x", "(prod 2 . pi . x)"},
    {"2e", "(prod 2 . e)"},
    {"2e3", "2e3"},
    {"2e-3x", "(prod 2e-3 . x)"},
    {"2E+3", "2E+3"},
    {"2e+x", "(sum (prod 2 . e) + x)"},
    {"2x^2", "(prod 2 . (^ x 2))"},
    {"2 x'", "(prod 2 . (' x))"},
    {"x y^2", "(prod x . (^ y 2))"},
    {"2^x y", "(prod (^ 2 x) . y)"},
    {"-2x", "(prod (neg 2) . x)"},
    {"-x y", "(prod (neg x) . y)"},
    {"a b/c", "(prod a . b / c)"},
    {"a/b*c", "(prod a / b * c)"},
    {"(a/b) c", "(prod {(prod a / b)} . c)"},
    {"a/(b c)", "(prod a / {(prod b . c)})"},
    {"a/b*c d", "(prod a / b * c . d)"},
    {"x (y)", "(prod x . {y})"},
    {"x(y)", "(call x y)"},
    {"sin (x)", "(call sin x)"}, /* a function's name: a call (test_parser_spaced_calls) */
    {"e (x)", "(prod e . {x})"},   /* constants are not functions */
    {"pi (x+1)", "(prod pi . {(sum x + 1)})"},
    {"foo (x)", "(prod foo . {x})"},
    {"f(x)(y)", "(prod (call f x) . {y})"},
    {"x'y", "(prod (' x) . y)"},
    {"[1,2](x)", "(prod [1 2] . {x})"},
    {"2 f(x)[1]", "(prod 2 . (index (call f x) 1))"},
    {"x [1]", "(index x 1)"},
    {"x -y", "(sum x - y)"},
    {"x +y", "(sum x + y)"},
    {"x 2", "ERROR: unexpected number '2'"},
    {"2 3", "ERROR: unexpected number '3'"},
    {"x 2.5", "ERROR: unexpected number '2.5'"},
    {"(x) 2", "ERROR: unexpected number '2'"},
    {"a/b c", "ERROR: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)"},
    {"1/2x", "ERROR: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)"},
    {"a/b (c)", "ERROR: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)"},
    {"a / -b c", "ERROR: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)"},
    {"a/b^2 c", "ERROR: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)"},
    {"a/f(x) g(x)", "ERROR: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)"},
};

START_TEST(test_parser_juxtaposition) { CHECK_CASES(juxtaposition_cases); }
END_TEST

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

/* The error for a/b c points at the juxtaposed factor. */
START_TEST(test_parser_juxtaposition_location) {
    ck_assert_ptr_null(parse("a/b cd^2"));
    ck_assert_ptr_nonnull(strstr(sb_str(&diag.out), "<expr>:1:5: error: ambiguous"));
    ck_assert_ptr_nonnull(strstr(sb_str(&diag.out), "\n        ^~~~\n"));
}
END_TEST

/* ---- statements, declarations, vectors --------------------------------- */

static const Case statement_cases[] = {
    {"a = 1; a", "(program (= a 1) a)"},
    {"a = 1; a;", "(program (= a 1) a)"},
    {"a = 1; b = a*2; a + b", "(program (= a 1) (= b (prod a * 2)) (sum a + b))"},
    {"l = x; repeat 3 { l = 4*l*(1 - l) } l",
     "(program (= l x) (repeat 3 (= l (prod 4 * l * {(sum 1 - l)}))) l)"},
    {"repeat 2 { a = 1; b = 2 } a", "(program (repeat 2 (= a 1) (= b 2)) a)"},
    {"repeat 2 { a = 1; b = 2; } a", "(program (repeat 2 (= a 1) (= b 2)) a)"},
    {"repeat 2 { a = 1 }; a", "(program (repeat 2 (= a 1)) a)"},
    {"repeat 2 { a = 1 };; a", "ERROR: unexpected ';', expected an expression"},
    {"repeat n+1 { } x", "(program (repeat (sum n + 1)) x)"},
    {"repeat(3){a=a+1}a", "(program (repeat {3} (= a (sum a + 1))) a)"},
    {"repeat 2 { repeat 3 { a = a } } a", "(program (repeat 2 (repeat 3 (= a a))) a)"},
    {"repeat 2 { param w; w = 1 } w", "(program (repeat 2 (param w) (= w 1)) w)"},
    {"param w[3], W[2,3], s; s",
     "(program (param w 3) (param W 2 3) (param s) s)"},
    {"input x[3], y; x", "(program (input x 3) (input y) x)"},
    {"param t[1,2,3]; t", "(program (param t 1 2 3) t)"},
    {"param a; input b; param c; a", "(program (param a) (input b) (param c) a)"},
    {"[a, b, c]", "[a b c]"},
    {"[[1,2],[3,4]]", "[[1 2] [3 4]]"},
    {"[x]", "[x]"},
    {"W @ x + b", "(sum (prod W @ x) + b)"},
    {"x'", "(' x)"},
    {"x''", "(' (' x))"},
    {"a[1]", "(index a 1)"},
    {"a[i, j]", "(index a i j)"},
    {"a[1][2]", "(index (index a 1) 2)"},
    {"(a+b)[1]", "(index {(sum a + b)} 1)"},
    {"[1,2][0]", "(index [1 2] 0)"},
    {"f()", "(call f)"},
    {"f(x, y, z)", "(call f x y z)"},
    {"max(a, b+c)", "(call max a (sum b + c))"},
    {"-dot(y, log_softmax(s)) + 1e-4*sum(W*W)",
     "(sum (neg (call dot y (call log_softmax s))) + (prod 1e-4 * (call sum (prod W * W))))"},
    {"a = 1;", "ERROR: expected a final expression after the last statement"},
    {"a = 1", "ERROR: expected a final expression after the last statement"},
    {"param w;", "ERROR: expected a final expression after the last statement"},
    {"repeat 3 { a = 1 }", "ERROR: expected a final expression after the last statement"},
    {"", "ERROR: empty program: expected an expression"},
    {"  # nothing\n\n", "ERROR: empty program: expected an expression"},
    {"x;;", "ERROR: unexpected ';'"},
    {";", "ERROR: unexpected ';', expected an expression"},
    {"a = 1 b = 2; b", "ERROR: unexpected '='"},
    {"repeat 3 { a }", "ERROR: unexpected '}'"},
    {"repeat 3 { a = 1 b = 2 } a", "ERROR: unexpected '='"},
    {"repeat 3 { a = 1 repeat 2 { } } a", "ERROR: unexpected keyword 'repeat'"},
    {"repeat 3 a = 1", "ERROR: unexpected '=', expected '{' after the repeat count"},
    {"param w[]; w", "ERROR: unexpected ']', expected a number or the name of a run-time dimension"},
    {"param w[n 2]; w", "ERROR: unexpected number '2'"},
    {"dim n 5; n", "ERROR: unexpected number '5', expected '<=' and the dimension's largest size (dim n <= 256)"},
    {"dim n <= m; n", "ERROR: unexpected name 'm', expected a number"},
    {"dim 5; n", "ERROR: unexpected number '5'"},
    {"x <= 2", "ERROR: symdiff has no comparisons: ifpos(c, a, b) is a where c > 0, else b"},
    {"param 3", "ERROR: unexpected number '3'"},
    {"param f(x)", "ERROR: unexpected name 'f'"},
    {"x = repeat", "ERROR: unexpected keyword 'repeat', expected an expression"},
    {"[]", "ERROR: unexpected ']', expected an expression"},
    {"[1,]", "ERROR: unexpected ']', expected an expression"},
    {"f(x,)", "ERROR: unexpected ')', expected an expression"},
    {"2 = x", "ERROR: unexpected '='"},
    {"x[1] = 2; x", "ERROR: unexpected '='"},
};

START_TEST(test_parser_statements) { CHECK_CASES(statement_cases); }
END_TEST

/* ---- tokens: numbers, names, comments, whitespace ------------------------- */

static const Case token_cases[] = {
    {"0", "0"},
    {"42", "42"},
    {"3.25", "3.25"},
    {"3.", "3."},
    {".5", ".5"},
    {"1e10", "1e10"},
    {"1.5E-3", "1.5E-3"},
    {".5e+2", ".5e+2"},
    {"1.e5", "1.e5"},
    {"1e999", "1e999"},
    {"007", "007"},
    {"1.2.3", "ERROR: malformed number '1.2.3'"},
    {"1..2", "ERROR: malformed number '1..2'"},
    {".", "ERROR: malformed number '.'"},
    {"x + .", "ERROR: malformed number '.'"},
    {"1.5e3.2", "ERROR: malformed number '1.5e3.2'"},
    {"..5", "ERROR: malformed number '..5'"},
    {"2 * 3..4", "ERROR: malformed number '3..4'"},
    {"x.y", "ERROR: malformed number '.'"},
    {"_a1 + B_2", "(sum _a1 + B_2)"},
    {"paramx + inputs + repeated", "(sum paramx + inputs + repeated)"},
    {"x # a comment\n + y", "(sum x + y)"},
    {"# first\nx # last", "x"},
    {"x\t+\ty", "(sum x + y)"},
    {"a = 1;\r\nb = 2;\r\na + b\r\n", "(program (= a 1) (= b 2) (sum a + b))"},
    {"x\f+\vy\r", "(sum x + y)"},
    {"x $ y", "ERROR: invalid character '$'"},
    {"x \x01", "ERROR: invalid character '\\x01'"},
    {"x \x7f", "ERROR: invalid character '\\x7F'"},
    {"\xc3\xa9", "ERROR: non-ASCII character U+00E9"},
    {"x \"y\"", "ERROR: invalid character '\"'"},
    {"x & y", "ERROR: invalid character '&'; symdiff has no logical operators: ifpos(c, a, b) is a where c > 0, else b"},
    {"x == y", "ERROR: symdiff has no comparisons: ifpos(c, a, b) is a where c > 0, else b"},
};

START_TEST(test_parser_tokens) { CHECK_CASES(token_cases); }
END_TEST

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

/* ---- brackets ------------------------------------------------------------ */

static const Case bracket_cases[] = {
    {"2*(x+", "ERROR: unexpected end of input"},
    {"(x", "ERROR: unexpected end of input"},
    {"f(x", "ERROR: unexpected end of input"},
    {"[1, 2", "ERROR: unexpected end of input"},
    {"repeat 2 { a = 1", "ERROR: unexpected end of input"},
    {"x)", "ERROR: unmatched ')'"},
    {"f(x))", "ERROR: unmatched ')'"},
    {"x]", "ERROR: unmatched ']'"},
    {"}", "ERROR: unmatched '}'"},
    {"(x]", "ERROR: unexpected ']'"},
    {"[x)", "ERROR: unexpected ')'"},
    {"()", "ERROR: unexpected ')', expected an expression"},
    {"(x+)", "ERROR: unexpected ')', expected an expression"},
    {"*2", "ERROR: unexpected '*', expected an expression"},
    {"x +", "ERROR: unexpected end of input"},
    {"x * * y", "ERROR: unexpected '*', expected an expression"},
    {"x ^", "ERROR: unexpected end of input"},
    {"'x", "ERROR: unexpected \"'\", expected an expression"},
};

START_TEST(test_parser_brackets) { CHECK_CASES(bracket_cases); }
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

static const Case print_cases[] = {
    {"x+y", "x + y"},
    {"a*b/c@d", "a*b/c @ d"},
    {"2 x", "2 x"},
    {"-x^2", "-x^2"},
    {"((a+b))", "(a + b)"},
    {"a = 1; b = 2; a", "a = 1;\nb = 2;\na"},
    {"param w[3], s; input x; w", "param w[3];\nparam s;\ninput x;\nw"},
    {"repeat 2 { a = 1; repeat 3 { b = 2 } } a",
     "repeat 2 {\n    a = 1;\n    repeat 3 {\n        b = 2;\n    }\n}\na"},
};

/* The exact printed form (ast_print output, not the dump). */
START_TEST(test_parser_print) {
    for (size_t i = 0; i < sizeof print_cases / sizeof print_cases[0]; i++) {
        Ast *p = parse(print_cases[i].input);
        ck_assert_ptr_nonnull(p);
        StrBuf sb;
        sb_init(&sb);
        ast_print(&sb, p);
        ck_assert_msg(strcmp(sb_str(&sb), print_cases[i].expected) == 0,
                      "%s printed as\n%s", print_cases[i].input, sb_str(&sb));
        sb_free(&sb);
    }
}
END_TEST

/* Trees built by code (not the parser) print with the parentheses they
 * need, so that the text still means the same tree shape. */
START_TEST(test_parser_print_built_trees) {
    Loc nowhere = {0, 0};
    Ast *a = ast_new(&arena, AST_NAME, nowhere), *b = ast_new(&arena, AST_NAME, nowhere);
    Ast *c = ast_new(&arena, AST_NUM, nowhere);
    ast_set_text(a, "a", 1);
    ast_set_text(b, "b", 1);
    ast_set_text(c, "2", 1);
    Ast *sum = ast_new(&arena, AST_SUM, nowhere);
    ast_push(sum, a, '+');
    ast_push(sum, b, '-');
    Ast *prod = ast_new(&arena, AST_PRODUCT, nowhere);
    ast_push(prod, sum, '*');
    ast_push(prod, c, ' '); /* a number cannot be juxtaposed: parenthesised */
    Ast *neg = ast_new(&arena, AST_NEG, nowhere);
    ast_push(neg, prod, 0);
    Ast *pow = ast_new(&arena, AST_POW, nowhere);
    ast_push(pow, neg, 0);
    ast_push(pow, sum, 0);
    StrBuf sb;
    sb_init(&sb);
    ast_print(&sb, pow);
    ck_assert_str_eq(sb_str(&sb), "(-((a - b) (2)))^(a - b)");
    ck_assert_int_eq(pow->depth, 5);
    sb_free(&sb);
}
END_TEST

Suite *parser_suite(void); /* called by tests/runner.c */

Suite *parser_suite(void) {
    Suite *s = suite_create("parser");
    TCase *tc = tcase_create("grammar");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_parser_precedence);
    tcase_add_test(tc, test_parser_juxtaposition);
    tcase_add_test(tc, test_parser_spaced_calls);
    tcase_add_test(tc, test_parser_juxtaposition_location);
    tcase_add_test(tc, test_parser_statements);
    tcase_add_test(tc, test_parser_tokens);
    tcase_add_test(tc, test_parser_nul_byte);
    tcase_add_test(tc, test_parser_brackets);
    tcase_add_test(tc, test_parser_locations);
    tcase_add_test(tc, test_parser_depth_field);
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
    tcase_add_test(tc, test_parser_print);
    tcase_add_test(tc, test_parser_print_built_trees);
    suite_add_tcase(s, tc);
    return s;
}
