/* SPDX-License-Identifier: MIT */
/*
 * check_stack.c — the nesting limit holds in the smallest stack supported.
 *
 * Parsing, the syntax tree's walks (printing, the scan for repeated
 * subexpressions), lowering, printing, tracing, expansion and code
 * generation recurse once per level of nesting, which the scanner and the
 * parser bound at AST_MAX_DEPTH.  docs/limits.md promises that this holds
 * in a 1 MiB stack (ulimit -s 1024), which leaves room: the deepest stage
 * was measured at about 380 KiB (gcc -O2), 740 KiB (clang -O0) and
 * 890 KiB (AddressSanitizer).  Every kind of nesting, just inside the limit,
 * goes through every option under that stack: each run must end by itself
 * (no signal, no sanitizer report), and a program that is accepted must
 * give its answer (FIXED: sin(sin(...)) 999 deep crashed lowering with a
 * 1 MiB stack, frames of about 1.1 KiB a level).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "strbuf.h"
#include "testrun.h"
#include "testutil.h"

/* The deepest nesting accepted: brackets count from 1, so AST_MAX_DEPTH
 * levels of them are one too many. */
#define DEPTH (AST_MAX_DEPTH - 1)

static void nest(StrBuf *sb, const char *open, const char *inner, const char *close, int n) {
    for (int i = 0; i < n; i++)
        sb_puts(sb, open);
    sb_puts(sb, inner);
    for (int i = 0; i < n; i++)
        sb_puts(sb, close);
}

static void calls(StrBuf *sb) { nest(sb, "sin(", "x", ")", DEPTH); }
static void sums(StrBuf *sb) { nest(sb, "(1 + ", "x", ")", DEPTH); }
static void products(StrBuf *sb) { nest(sb, "(2*", "x", ")", DEPTH); }
static void quotients(StrBuf *sb) { nest(sb, "1/(", "x", ")", DEPTH); }
static void negations(StrBuf *sb) { nest(sb, "-(", "x", ")", DEPTH); }
static void mixed(StrBuf *sb) { nest(sb, "(x + exp(x*", "x", "))", DEPTH / 3); }
static void literals(StrBuf *sb) { nest(sb, "[", "x", "]", DEPTH); } /* rejected: rank */

static void powers(StrBuf *sb) { /* right-associative: no brackets at all */
    sb_puts(sb, "x");
    for (int i = 0; i < AST_MAX_DEPTH - 1; i++)
        sb_puts(sb, "^x");
}

static void statements(StrBuf *sb) {
    sb_puts(sb, "l = x;\n");
    nest(sb, "repeat 1 { ", "l = sin(l) * l;", " }", DEPTH - 1);
    sb_puts(sb, "\nl\n");
}

static void tensor_calls(StrBuf *sb) {
    sb_puts(sb, "param u[2]; ");
    nest(sb, "sum(u*", "u", ")", DEPTH / 2);
}

static const struct {
    const char *name;
    void (*make)(StrBuf *);
    int accepted; /* the program is valid (else it must fail with status 1) */
    int deepest;  /* runs through every option, not only the common ones   */
} programs[] = {
    {"calls", calls, 1, 1},         {"sums", sums, 1, 0},         {"products", products, 1, 0},
    {"quotients", quotients, 1, 1}, {"negations", negations, 1, 0}, {"mixed", mixed, 1, 1},
    {"literals", literals, 0, 0},   {"powers", powers, 1, 0},     {"statements", statements, 1, 1},
    {"tensor_calls", tensor_calls, 1, 0},
};

/* The options, as shell words; the first two run on every program. */
static const char *const options[] = {
    "",          "--print",          "--simplify",       "--latex",   "--trace",
    "--expand",  "--swell",          "--dot d.dot",      "--dot-tree t.dot", "--check --samples 3",
    "--at x=0.5", "--hessian",       "-o k.c",           "--emit forward-ad", "--emit reverse-ad",
    "--json",    "--factor",         "--order 2",        "--mode forward", "--stats",
};

START_TEST(test_nesting_limit_in_a_small_stack) {
    char dir[128];
    make_temp_dir(dir, sizeof dir, "stack");
    int runs = 0;
    for (size_t p = 0; p < sizeof programs / sizeof *programs; p++) {
        StrBuf text;
        sb_init(&text);
        programs[p].make(&text);
        char file[64];
        snprintf(file, sizeof file, "%s.sd", programs[p].name);
        char *path = path_join(dir, file);
        write_file(path, sb_str(&text));
        size_t nopt = programs[p].deepest ? sizeof options / sizeof *options : 2;
        for (size_t o = 0; o < nopt; o++) {
            /* 1024 KiB of stack; the shell's own status for a signal is 128 + n */
            int st = sh("cd '%s' && (ulimit -s 1024 && exec '%s' %s -f %s >out.txt 2>err.txt); echo $? > status.txt",
                        dir, symdiff_path(), options[o], file);
            ck_assert_int_eq(st, 0);
            char *status_path = path_join(dir, "status.txt"), *err_path = path_join(dir, "err.txt");
            char *status = read_file(status_path), *err = read_file(err_path);
            ck_assert_ptr_nonnull(status);
            ck_assert_ptr_nonnull(err);
            int code = atoi(status);
            ck_assert_msg(code < 128 && !strstr(err, "Sanitizer") && !strstr(err, "runtime error"),
                          "%s with '%s' in a 1 MiB stack: status %d\n%.2000s", programs[p].name, options[o], code,
                          err);
            if (o == 0)
                ck_assert_msg(code == (programs[p].accepted ? 0 : 1), "%s: status %d\n%.2000s", programs[p].name,
                              code, err);
            runs++;
            free(status);
            free(err);
            free(status_path);
            free(err_path);
        }
        free(path);
        sb_free(&text);
    }
    ck_assert_int_gt(runs, 50);
    remove_tree(dir);
}
END_TEST

Suite *stack_suite(void); /* called by tests/runner.c */

Suite *stack_suite(void) {
    Suite *s = suite_create("stack");
    TCase *tc = tcase_create("nesting");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_nesting_limit_in_a_small_stack);
    suite_add_tcase(s, tc);
    return s;
}
