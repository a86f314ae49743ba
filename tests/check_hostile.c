/* SPDX-License-Identifier: MIT */
/*
 * check_hostile.c — hostile input, through the real binary ($SYMDIFF):
 * what a table cannot hold.
 *
 * The broken, binary and absurd programs and options with the exact
 * messages they get are golden cases, tests/golden/hostile.test (run by
 * tests/check_golden.c: each as an argument, on stdin and from a file).
 * Here: inputs too large for a table (100000 nested brackets, very long
 * names, numbers and lines, input beyond the size limit) with their exact
 * messages built here, and the inputs just inside the limits; -o in every
 * way a write can fail (a FIFO, /proc, a read-only directory, `ulimit -f`
 * part-way, the input file as output); and the engine bugs found by
 * fuzzing and by these tests, as value checks.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "testrun.h"
#include "testutil.h"

/* --- files ------------------------------------------------------------------------ */

static char *make_dir(void) {
    char *d = malloc(64);
    ck_assert_ptr_nonnull(d);
    make_temp_dir(d, 64, "hostile");
    return d;
}

static void write_bytes(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Entries of a directory, "." and ".." aside. */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* --- huge inputs --------------------------------------------------------------- */

/* The block a message shows for a one-line source, with the rules of
 * diag.c written out again: the line as is when it has at most 1024
 * bytes, else 1024 bytes around the caret with "..." where it is cut; a
 * caret under the first byte of the span and '~' under the rest of it. */
static char *shown(const char *line, size_t len, size_t start, size_t end) {
    size_t from = 0, to = len;
    int cut_before = 0, cut_after = 0;
    if (len > DIAG_MAX_LINE) {
        if (start > DIAG_MAX_LINE / 2) {
            from = start - DIAG_MAX_LINE / 2;
            cut_before = 1;
        }
        if (to - from > DIAG_MAX_LINE) {
            to = from + DIAG_MAX_LINE;
            cut_after = 1;
        }
    }
    char *out = NULL;
    size_t n = 0, cap = 0;
    buf_append(&out, &n, &cap, cut_before ? "    ..." : "    ", cut_before ? 7 : 4);
    buf_append(&out, &n, &cap, line + from, to - from);
    buf_append(&out, &n, &cap, cut_after ? "...\n" : "\n", cut_after ? 4 : 1);
    buf_append(&out, &n, &cap, cut_before ? "       " : "    ", cut_before ? 7 : 4);
    for (size_t i = from; i < start; i++)
        buf_append(&out, &n, &cap, " ", 1);
    buf_append(&out, &n, &cap, "^", 1);
    for (size_t i = start + 1; i < end && i < to; i++)
        buf_append(&out, &n, &cap, "~", 1);
    buf_append(&out, &n, &cap, "\n", 1);
    return out;
}

/* A program made of `count` copies of `unit` between `head` and `tail`. */
static char *repeated(const char *head, const char *unit, int count, const char *tail, size_t *len) {
    char *out = NULL;
    size_t n = 0, cap = 0;
    buf_append(&out, &n, &cap, head, strlen(head));
    for (int i = 0; i < count; i++)
        buf_append(&out, &n, &cap, unit, strlen(unit));
    buf_append(&out, &n, &cap, tail, strlen(tail));
    *len = n;
    return out;
}

typedef struct Huge {
    const char *head, *unit;
    int count;
    const char *tail;
    size_t start, end; /* the span of the error (bytes)             */
    const char *message; /* NULL: "number out of range" and the token */
} Huge;

static const Huge huge[] = {
    /* nesting: the first bracket beyond 1000 */
    {"", "(", 100000, "x", 1000, 1001, "expression nested too deeply"},
    {"", "[", 100000, "x", 1000, 1001, "expression nested too deeply"},
    {"", "sin(", 100000, "x", 4003, 4004, "expression nested too deeply"},
    {"", "repeat 1 { ", 100000, "x", 11009, 11010, "expression nested too deeply"},
    {"x + ", "(", 5000, "", 1004, 1005, "expression nested too deeply"},
    /* chains without brackets fill the parser's stack (20000 entries) */
    {"", "-", 100000, "x", 19997, 19998, "expression nested too deeply"},
    {"", "x^", 100000, "x", 19997, 19998, "expression nested too deeply"},
    /* names and numbers */
    {"", "a", 100000, "", 0, 100000, "name too long (100000 characters, at most 256)"},
    {"x + ", "a", 257, "", 4, 261, "name too long (257 characters, at most 256)"},
    {"", "9", 1025, "*x", 0, 1025, "number too long (1025 characters, at most 1024)"},
    {"x*", "1", 300000, "", 2, 300002, "number too long (300000 characters, at most 1024)"},
    {"", "7.", 600, "", 0, 1200, "number too long (1200 characters, at most 1024)"},
    /* a long number within the limit is quoted whole (NULL: the token) */
    {"x*", "1", 400, "", 2, 402, NULL},
    {"", "x+", 100000, "", 200000, 200000, "unexpected end of input"},
    {"", "x*", 100000, ")", 200000, 200001, "unmatched ')'"},
    {"", "sin(x)+", 50000, "$", 350000, 350001, "invalid character '$'"},
    {"x + ", "1.2", 500, "", 4, 1504, "number too long (1500 characters, at most 1024)"},
};

START_TEST(test_hostile_huge) {
    const Huge *h = &huge[_i];
    size_t len;
    char *text = repeated(h->head, h->unit, h->count, h->tail, &len);
    char *block = shown(text, len, h->start, h->end);
    char *want = NULL;
    size_t n = 0, cap = 0;
    char head[256];
    snprintf(head, sizeof head, "<stdin>:1:%zu: error: ", h->start + 1);
    buf_append(&want, &n, &cap, head, strlen(head));
    if (h->message) {
        buf_append(&want, &n, &cap, h->message, strlen(h->message));
    } else {
        buf_append(&want, &n, &cap, "number out of range '", 21);
        buf_append(&want, &n, &cap, text + h->start, h->end - h->start);
        buf_append(&want, &n, &cap, "'", 1);
    }
    buf_append(&want, &n, &cap, "\n", 1);
    buf_append(&want, &n, &cap, block, strlen(block));
    Run r;
    run_input((const char *const[]){"-f", "-", NULL}, text, len, &r);
    ck_assert_msg(r.status == 1, "huge %d: status %d", _i, r.status);
    ck_assert_int_eq(r.outlen, 0);
    ck_assert_msg(strcmp(r.err, want) == 0, "huge %d: stderr (%zu bytes)\n%.3000s\nexpected (%zu bytes)\n%.3000s", _i,
                  r.errlen, r.err, n, want);
    run_free(&r);
    free(want);
    free(block);
    free(text);
}
END_TEST

/* The limits are not off by one: a name of 256 characters and a number of
 * 1024 are fine, and so is a flat sum of 100000 terms. */
START_TEST(test_hostile_at_the_limits) {
    size_t len;
    char *name = repeated("", "v", 256, "", &len);
    Run r;
    run((const char *const[]){name, NULL}, NULL, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "1\n");
    run_free(&r);
    free(name);

    char *number = repeated("x*1.", "0", 1022, "", &len);
    ck_assert_uint_eq(len, 1026);
    run((const char *const[]){number, NULL}, NULL, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "1\n");
    run_free(&r);
    free(number);

    char *sum = repeated("", "x + ", 100000, "x", &len);
    run_input((const char *const[]){"-f", "-", NULL}, sum, len, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "100001\n");
    run_free(&r);
    free(sum);

    /* 1000 brackets deep is allowed, 1001 is not */
    char *deep = repeated("", "(", 1000, "", &len);
    char *text = malloc(2 * len + 2);
    ck_assert_ptr_nonnull(text);
    memcpy(text, deep, len);
    text[len] = 'x';
    memset(text + len + 1, ')', len);
    text[2 * len + 1] = '\0';
    run((const char *const[]){text, NULL}, NULL, &r);
    ck_assert_msg(r.status == 0, "%.200s", r.err);
    ck_assert_str_eq(r.out, "1\n");
    run_free(&r);
    free(text);
    free(deep);
}
END_TEST

/* More than 16 MiB is refused before it is parsed, from stdin (which is
 * not read to the end: `yes | symdiff -f -` stops) and from a file. */
START_TEST(test_hostile_input_too_large) {
    size_t len = PARSE_MAX_INPUT + 1;
    char *text = malloc(len);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < len; i++)
        text[i] = i % 2 ? '+' : 'x';
    Run r;
    run_input((const char *const[]){"-f", "-", NULL}, text, len, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_int_eq(r.outlen, 0);
    ck_assert_str_eq(r.err, "<stdin>: error: input too large (more than 16 MiB)\n");
    run_free(&r);

    char *dir = make_dir();
    char *file = path_join(dir, "big.sd");
    write_bytes(file, text, len);
    run((const char *const[]){"-f", file, NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    char want[256];
    snprintf(want, sizeof want, "%s: error: input too large (more than 16 MiB)\n", file);
    ck_assert_str_eq(r.err, want);
    run_free(&r);
    free(file);
    remove_tree(dir);
    free(dir);
    free(text);
}
END_TEST

/* --- -o: complete or untouched ------------------------------------------------------ */

static const char *const previous = "previous\n\x01\xff contents";

/* Runs symdiff with `args` and checks that it failed (status 1, or 2 for
 * a usage error) with a message holding `says`, wrote nothing to stdout,
 * and left `dir` with `entries` entries and `kept` (when not NULL) byte for
 * byte as `previous`. */
static void expect_failure(const char *const *args, int status, const char *says, const char *dir, int entries,
                           const char *kept) {
    Run r;
    run(args, NULL, &r);
    ck_assert_msg(r.status == status, "status %d: %s", r.status, r.err);
    ck_assert_int_eq(r.outlen, 0);
    ck_assert_msg(strstr(r.err, says) != NULL, "stderr lacks \"%s\": %s", says, r.err);
    run_free(&r);
    ck_assert_int_eq(count_entries(dir), entries);
    if (kept) {
        size_t len;
        char *got = read_file_n(kept, &len);
        ck_assert_msg(got && len == strlen(previous) && memcmp(got, previous, len) == 0, "%s was changed",
                      kept);
        free(got);
    }
}

/* A FIFO or a device is not replaced by a regular file (as root, renaming
 * over /dev/null would have replaced the device). */
START_TEST(test_output_not_regular) {
    char *dir = make_dir();
    char *fifo = path_join(dir, "pipe");
    ck_assert_int_eq(mkfifo(fifo, 0644), 0);
    expect_failure((const char *const[]){"-o", fifo, "x^2", NULL}, 1, "not a regular file", dir, 1, NULL);
    struct stat st;
    ck_assert_int_eq(lstat(fifo, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    /* a link to it is followed, and refused the same way */
    char *link = path_join(dir, "link.c");
    ck_assert_int_eq(symlink(fifo, link), 0);
    expect_failure((const char *const[]){"-o", link, "x^2", NULL}, 1, "not a regular file", dir, 2, NULL);
    free(link);
    free(fifo);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* A directory symdiff may not write into: read-only (for users other
 * than root, whom permissions do not stop) and /proc (for everyone). */
START_TEST(test_output_unwritable_directory) {
    if (access("/proc/version", F_OK) == 0) {
        Run r;
        run((const char *const[]){"-o", "/proc/version", "x^2", NULL}, NULL, &r);
        ck_assert_int_eq(r.status, 1);
        ck_assert_int_eq(r.outlen, 0);
        ck_assert_msg(strncmp(r.err, "symdiff: error: cannot write '/proc/version': ", 46) == 0, "%s", r.err);
        run_free(&r);
        run((const char *const[]){"-o", "/proc/symdiff-k.c", "x^2", NULL}, NULL, &r);
        ck_assert_int_eq(r.status, 1);
        ck_assert_msg(strncmp(r.err, "symdiff: error: cannot write '/proc/symdiff-k.c': ", 50) == 0, "%s", r.err);
        ck_assert_int_eq(access("/proc/symdiff-k.h", F_OK), -1);
        run_free(&r);
    }
    char *dir = make_dir();
    char *sub = path_join(dir, "ro");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    char *out = path_join(sub, "k.c");
    write_bytes(out, previous, strlen(previous));
    ck_assert_int_eq(chmod(sub, 0555), 0);
    if (geteuid() != 0)
        expect_failure((const char *const[]){"-o", out, "x^2", NULL}, 1, "Permission denied", sub, 1, out);
    else
        ck_assert_int_eq(access(sub, W_OK), 0); /* root writes anyway: nothing to check here */
    ck_assert_int_eq(chmod(sub, 0755), 0);
    free(out);
    free(sub);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* A write that fails part-way (`ulimit -f` in a child shell): the file
 * size limit makes write() fail with EFBIG, not kill symdiff with SIGXFSZ;
 * the temporary is removed and the existing file left alone. */
START_TEST(test_output_write_fails_part_way) {
    char *dir = make_dir();
    char *prog = path_join(dir, "big.sd");
    FILE *f = fopen(prog, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 3000; i++)
        fprintf(f, "%ssin(x%d*y)", i ? " + " : "", i);
    ck_assert_int_eq(fclose(f), 0);
    static const char *const targets[] = {"out.txt", "k.c"};
    for (int t = 0; t < 2; t++) {
        char *out = path_join(dir, targets[t]);
        write_bytes(out, previous, strlen(previous));
        const char *args[] = {"-c", "ulimit -f 16 && exec \"$0\" -o \"$1\" -f \"$2\"", symdiff_path(), out, prog,
                              NULL};
        Run r;
        run_program("/bin/sh", args, NULL, 0, &r);
        ck_assert_msg(r.status == 1, "%s: status %d: %s", targets[t], r.status, r.err);
        ck_assert_msg(strstr(r.err, "File too large") != NULL, "%s", r.err);
        run_free(&r);
        size_t len;
        char *got = read_file_n(out, &len);
        ck_assert_msg(got && len == strlen(previous) && memcmp(got, previous, len) == 0, "%s changed",
                      targets[t]);
        free(got);
        ck_assert_int_eq(count_entries(dir), 2); /* big.sd and the target: no temporary, no header */
        unlink(out);
        free(out);
    }
    free(prog);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* C output: a source never appears without its header, nor a header
 * without its source, whatever fails. */
START_TEST(test_output_c_pair) {
    char *dir = make_dir();
    char *c = path_join(dir, "k.c"), *h = path_join(dir, "k.h");
    /* the header's place is taken by a directory: neither file is written */
    ck_assert_int_eq(mkdir(h, 0755), 0);
    expect_failure((const char *const[]){"-o", c, "x^2", NULL}, 1, "it is a directory", dir, 1, NULL);
    ck_assert_int_eq(rmdir(h), 0);
    /* ... by a FIFO */
    ck_assert_int_eq(mkfifo(h, 0644), 0);
    expect_failure((const char *const[]){"-o", c, "x^2", NULL}, 1, "not a regular file", dir, 1, NULL);
    ck_assert_int_eq(unlink(h), 0);
    /* an error in the program: existing files are kept */
    write_bytes(c, previous, strlen(previous));
    expect_failure((const char *const[]){"-o", c, "sin(x", NULL}, 1, "unexpected end of input", dir, 1, c);
    /* errors found late: once the program is read and lowered */
    expect_failure((const char *const[]){"-o", c, "1/0 + x", NULL}, 1, "division by zero", dir, 1, c);
    expect_failure((const char *const[]){"-o", c, "--emit-main", "train", "x^2", NULL}, 2, "--emit-main", dir, 1,
                   c);
    /* into a missing directory */
    char *missing = path_join(dir, "no/such/k.c");
    expect_failure((const char *const[]){"-o", missing, "x^2", NULL}, 1, "cannot write", dir, 1, c);
    free(missing);
    free(c);
    free(h);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* The program file as the output: refused before anything is read or
 * written, whatever the program (tests/check_cli.c covers every derived
 * output), and the file stays byte for byte as it was. */
START_TEST(test_output_is_input) {
    char *dir = make_dir();
    char *same = path_join(dir, "same.sd");
    static const char *const programs[] = {"x^3", "x^2 +", "sinn(x)", "1/0 + x", "x\x01"};
    for (size_t i = 0; i < sizeof programs / sizeof *programs; i++) {
        write_bytes(same, programs[i], strlen(programs[i]));
        Run r;
        run((const char *const[]){"-f", same, "-o", same, NULL}, NULL, &r);
        ck_assert_int_eq(r.status, 2);
        ck_assert_int_eq(r.outlen, 0);
        ck_assert_msg(strstr(r.err, "is the input file") != NULL, "%s", r.err);
        run_free(&r);
        size_t len;
        char *got = read_file_n(same, &len);
        ck_assert_msg(got && len == strlen(programs[i]) && memcmp(got, programs[i], len) == 0,
                      "case %zu: changed", i);
        free(got);
        ck_assert_int_eq(count_entries(dir), 1);
    }
    free(same);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* --- engine bugs found by fuzzing and by this suite -------------------------------- */

/* The value of a scalar program at x, y, z (NAN when it is rejected). */
static double value_at(const char *text, double x, double y, double z) {
    static const char *const xyz[] = {"x", "y", "z"};
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Node *f = tu_lower(text, g, &(TuOptions){.vars = xyz, .nvars = 3, .may_fail = 1});
    const double point[3] = {x, y, z};
    double v = f ? eval_node(g, f, point) : NAN;
    graph_free(g);
    return v;
}

START_TEST(test_regress_values) {
    /* (a b)^k = a^k b^k made 200^-1000 (0 in a double) a factor: the
     * product folded to 0 */
    ck_assert_close(value_at("(200*z)^-1000", 0, 0, 0.005), 1, 1e-12);
    /* ... and 200^1000, an overflowing constant: a domain error */
    ck_assert_close(value_at("(200*z)^1000", 0, 0, 0.005), 1, 1e-12);
    /* a product of constants that underflows folded to 0 */
    ck_assert_close(value_at("1e-200*x*(1e-200*y)", 1e200, 1e200, 0), 1, 1e-12);
    /* y^1000 z^1000 is inf * 0 where (y z)^1000 is finite */
    ck_assert_close(value_at("(y*z)^1000", 0, -3, -0.35), pow(1.05, 1000), 1e-9);
    ck_assert_close(value_at("(2*x)^3", 1.5, 0, 0), 27, 1e-15); /* small powers still distribute */
    /* constants that overflow together are a domain error, like 1e308*10 */
    ck_assert(isnan(value_at("1e308*10*x", 1, 0, 0)));
    ck_assert(isnan(value_at("x + 1e308 + 1e308", 1, 0, 0)));
    ck_assert_close(value_at("x + 1e308 + 1e308 - 1e308", 1, 0, 0), 1e308, 1e-15);
}
END_TEST

/* A product with more constants that do not fold than the simplifier
 * keeps apart dropped the rest; the printer dropped every one it could
 * not fold into the coefficient. */
START_TEST(test_regress_constants_kept) {
    Run r;
    run((const char *const[]){"exp(1e200*x)*1e200", NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "1e+200*1e+200*exp(1e+200*x)\n");
    run_free(&r);
    /* six factors of 1e300: no longer folded to a wrong value, but a
     * domain error (their product overflows, in any order) */
    ck_assert(isnan(value_at("1e300*x*1e300*1e300*1e300*1e300*1e300", 2, 0, 0)));
}
END_TEST

/* Constants that do not fold into one (their product overflows) are kept
 * apart, four at most; the fifth and later were dropped. */
START_TEST(test_regress_constants_not_dropped) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    int v = graph_add_var(g, "x", VAR_PARAM, (Shape){.rank = 0});
    Node *x = graph_var_node(g, v);
    Node *f[7];
    for (int kind = 0; kind < 2; kind++) {
        /* six constants c: c*c overflows (products), c + c does (sums) */
        double c = kind ? 1e308 : 1e300;
        for (int i = 0; i < 6; i++)
            f[i] = dag_num(g, num_double(c));
        f[6] = x;
        Node *r = kind ? dag_add_n(g, f, 7) : dag_mul_n(g, f, 7);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(r->kind, kind ? EX_ADD : EX_MUL);
        /* c six times over, however the node groups them: the constants
         * add up to 6c (sums), their logarithms to 6 log c (products) */
        double total = 0;
        for (int k = 0; k < r->nargs; k++)
            if (r->args[k]->kind == EX_CONST) {
                double a = num_value(r->args[k]->num[0]);
                total += kind ? a / c : log(a) / log(c);
            }
        ck_assert_close(total, 6, 1e-12);
    }
    graph_free(g);
}
END_TEST

/* Pulling a common factor out of a sum and distributing the product back
 * (to cancel a denominator) undid each other for ever where the domain
 * rule keeps z/z apart: a stack overflow in the reverse engine. */
START_TEST(test_regress_factor_distribute_loop) {
    Run r;
    run((const char *const[]){"--mode", "reverse", "--at", "x=2,z=3",
                              "u = 1/(z*x); 1/(z/z)/((z + u)/u^u)/u/(1/(z/z)/z/(x*(u^u + 1)))/x", NULL},
        NULL, &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_int_eq(strncmp(r.out, "value = ", 8), 0);
    run_free(&r);
}
END_TEST

/* repeat with an empty body never spent work: nested ones ran for ever */
START_TEST(test_regress_empty_repeat) {
    Run r;
    run((const char *const[]){"repeat 1000000 { repeat 1000000 { repeat 1000000 { } } } x", NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "program does too much work"));
    run_free(&r);
}
END_TEST

Suite *hostile_suite(void); /* called by tests/runner.c */

Suite *hostile_suite(void) {
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("huge");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_hostile_huge, 0, (int)(sizeof huge / sizeof huge[0]));
    tcase_add_test(tc, test_hostile_at_the_limits);
    tcase_add_test(tc, test_hostile_input_too_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_output_not_regular);
    tcase_add_test(tc, test_output_unwritable_directory);
    tcase_add_test(tc, test_output_write_fails_part_way);
    tcase_add_test(tc, test_output_c_pair);
    tcase_add_test(tc, test_output_is_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("regress");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_regress_values);
    tcase_add_test(tc, test_regress_constants_kept);
    tcase_add_test(tc, test_regress_constants_not_dropped);
    tcase_add_test(tc, test_regress_empty_repeat);
    tcase_add_test(tc, test_regress_factor_distribute_loop);
    suite_add_tcase(s, tc);
    return s;
}
