/* SPDX-License-Identifier: MIT */
/*
 * check_cli.c — the command line (src/main.c), run as a separate process.
 *
 * Every test runs the real binary ($SYMDIFF, default ./symdiff, from the
 * repository root) through fork/pipe/execv, with stdin, stdout and stderr
 * as pipes: the exit status (0 success, 1 error in the input, 2 usage
 * error, 3 failed --check) and the first words of the message, the keys
 * of the JSON output, --check, -D, -f and -o (what they leave on disk),
 * determinism and size.  The exact outputs (derivatives, Jacobians,
 * Hessians, LaTeX, --at, the diagnostics) are golden cases,
 * tests/golden/cli.test.  Files live in a fresh mkdtemp directory under
 * /tmp.
 *
 * Cases that currently fail because of the program (not the test) are kept,
 * disabled by `#if 0` with a BUG comment, so that they are easy to turn on
 * once fixed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "testrun.h"

/* --- files ------------------------------------------------------------------- */

static char *make_tmpdir(void) {
    char *d = malloc(64);
    ck_assert_ptr_nonnull(d);
    strcpy(d, "/tmp/symdiff-cli-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

/* Number of directory entries (besides . and ..); with `prefix`, only the
 * entries whose name starts with it. */
static int count_entries(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!prefix || strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* Removes whitespace outside JSON strings, so that checks do not depend on
 * the spacing the printer chose. */
static char *json_compact(const char *s) {
    char *o = malloc(strlen(s) + 1), *p = o;
    ck_assert_ptr_nonnull(o);
    int in_str = 0;
    for (; *s; s++) {
        if (in_str) {
            *p++ = *s;
            if (*s == '\\' && s[1])
                *p++ = *++s;
            else if (*s == '"')
                in_str = 0;
        } else if (*s == '"') {
            in_str = 1;
            *p++ = *s;
        } else if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r') {
            *p++ = *s;
        }
    }
    *p = '\0';
    return o;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* --- exit status and the first words of the message ------------------------------ */

typedef struct StatusCase {
    const char *args[8];
    int status;
    const char *err_has; /* a substring of stderr */
} StatusCase;

static const StatusCase statuses[] = {
    /* 1: errors in the input */
    {{"sinn(x)"}, 1, "did you mean 'sin'"},
    {{"sin(x, y)"}, 1, "expects 1 argument"},
    {{"max(x)"}, 1, "<expr>:1:1: error: "},
    {{"x*y", "--vars", "x"}, 1, "undefined name 'y'"},
    {{"1/0"}, 1, "division by zero"},
    {{"0^-1*x"}, 1, "domain error"},
    {{"ln(0)"}, 1, "domain error"},
    {{"1..2*x"}, 1, "malformed number '1..2'"},
    {{"x $ y"}, 1, "invalid character '$'"},
    {{"x = 1"}, 1, "expected a final expression"},
    {{"sin"}, 1, "<expr>:1:1: error: "},
    {{"-f", "/nonexistent/prog.sd"}, 1, "cannot read"},
    /* 2: usage errors */
    {{"--bogus", "x"}, 2, "unknown option"},
    /* a short option symdiff does not have reads as a program with a
     * leading minus (-q is the program -q), so the next word is extra */
    {{"-q", "x"}, 2, "unknown option '-q'"},
    {{"--", "-q", "x"}, 2, "unexpected argument 'x'"},
    {{"--at"}, 2, "needs a value"},
    {{NULL}, 2, "no program given"},
    {{"--at", "x=abc", "x"}, 2, "not a number"},
    {{"--at", "x=1e400", "x"}, 2, "not a number"},
    {{"--at", "y=1", "x"}, 2, "'y' is not a variable"},
    {{"--at", "x", "x"}, 2, "NAME=VALUE"},
    {{"--at", "x=1", "x*y"}, 2, "no value for 'y'"},
    {{"--order", "0", "x"}, 2, "--order"},
    {{"--order", "65", "x"}, 2, "--order"},
    {{"--order", "two", "x"}, 2, "--order"},
    {{"--order", "2", "x*y"}, 2, "exactly one variable"},
    {{"--order", "2", "[x]"}, 2, "scalar program"},
    {{"--hessian", "[x, x^2]"}, 2, "scalar program"},
    {{"--check", "[x]"}, 2, "scalar program"},
    {{"-f", "prog.sd", "x"}, 2, "not both"},
    {{"x^2", "extra"}, 2, "unexpected argument 'extra'"},
    {{"--wrt", "z", "x"}, 2, "'z' is not a variable"},
    {{"--vars", "1a", "x"}, 2, "--vars: not a variable name"},
    {{"--mode", "sideways", "x"}, 2, "--mode"},
    {{"--tol", "-1", "x"}, 2, "--tol"},
    {{"--kink", "2", "x"}, 2, "--kink"},
    {{"-D", "n", "x"}, 2, "--define"},
    {{"-D", "n=abc", "x"}, 2, "--define"},
    {{"--samples", "0", "x"}, 2, "--samples"},
    {{"--max-nodes", "0", "x"}, 2, "--max-nodes"},
    /* 3: --check above the tolerance */
    {{"--check", "--tol", "1e-30", "sin(x)*exp(x)"}, 3, ""},
};

START_TEST(test_status) {
    const StatusCase *c = &statuses[_i];
    Run r;
    run(c->args, NULL, &r);
    ck_assert_msg(r.status == c->status, "case %d (%s): status %d, expected %d; stderr: %s", _i,
                  c->args[0] ? c->args[0] : "", r.status, c->status, r.err);
    ck_assert_msg(strstr(r.err, c->err_has) != NULL, "case %d: stderr lacks \"%s\": %s", _i, c->err_has,
                  r.err);
    if (c->status == 1 || c->status == 2)
        ck_assert_msg(r.outlen == 0, "case %d: output on an error: %s", _i, r.out);
    if (c->status == 2)
        ck_assert_msg(strncmp(r.err, "symdiff: error: ", 16) == 0 &&
                          strstr(r.err, "Try 'symdiff --help'") != NULL,
                      "case %d: usage error not in the usual form: %s", _i, r.err);
    if (c->status == 1 && c->args[0] && strcmp(c->args[0], "-f") != 0)
        ck_assert_msg(strncmp(r.err, "<expr>:1:", 9) == 0, "case %d: not located: %s", _i, r.err);
    run_free(&r);
}
END_TEST

START_TEST(test_help_version) {
    static const char *const help[] = {"--help", "-h"};
    for (int i = 0; i < 2; i++) {
        Run r;
        run(ARGS(help[i]), NULL, &r);
        ck_assert_int_eq(r.status, 0);
        ck_assert_str_eq(r.err, "");
        ck_assert_msg(strncmp(r.out, "usage: symdiff", 14) == 0, "help: %s", r.out);
        ck_assert_ptr_nonnull(strstr(r.out, "--at"));
        ck_assert_ptr_nonnull(strstr(r.out, "exit status"));
        run_free(&r);
    }
    static const char *const version[] = {"--version", "-V"};
    for (int i = 0; i < 2; i++) {
        Run r;
        run(ARGS(version[i]), NULL, &r);
        ck_assert_int_eq(r.status, 0);
        ck_assert_str_eq(r.err, "");
        ck_assert_msg(strncmp(r.out, "symdiff ", 8) == 0 && r.outlen > 9 && r.out[r.outlen - 1] == '\n' &&
                          strchr(r.out, '\n') == r.out + r.outlen - 1,
                      "version: %s", r.out);
        run_free(&r);
    }
}
END_TEST

/* --- JSON: the keys of the contract ---------------------------------------------- */

typedef struct JsonCase {
    const char *args[10];
    const char *has[6]; /* substrings of the compacted JSON */
    const char *lacks;  /* a substring that must not appear, or NULL */
} JsonCase;

static const JsonCase json_cases[] = {
    {{"--at", "x=3", "--json", "-x^2"},
     {"\"vars\":[\"x\"]", "\"value\":-9", "\"gradient\":[-6]", "\"derivatives\":[\"-2*x\"]"},
     NULL},
    {{"--at", "x=2", "--json", "x*2^3^2"},
     {"\"vars\":[\"x\"]", "\"value\":1024", "\"gradient\":[512]", "\"derivatives\":[\"512\"]"},
     NULL},
    {{"--json", "x*y"}, {"\"vars\":[\"x\",\"y\"]", "\"derivatives\":[\"y\",\"x\"]"}, "\"value\""},
    {{"--json", "--vars", "y,x", "--at", "x=1,y=2", "x*y^2"},
     {"\"vars\":[\"y\",\"x\"]", "\"value\":4", "\"gradient\":[4,4]", "\"derivatives\":[\"2*y*x\",\"y^2\"]"},
     NULL},
    {{"--json", "--at", "x=0.5,y=0.25", "x*y"}, {"\"value\":0.125", "\"gradient\":[0.25,0.5]"}, NULL},
    /* 5: NaN and infinities are null in JSON */
    {{"--json", "--at", "x=-1", "sqrt(x)"},
     {"\"value\":null", "\"gradient\":[null]", "\"derivatives\":[\"1/(2*sqrt(x))\"]"},
     "nan"},
    /* a vector program: the Jacobian, "derivatives" holds its rows */
    {{"--json", "--at", "x=1", "[x, x^2]"},
     {"\"vars\":[\"x\"]", "\"value\":[1,1]", "\"jacobian\":[[1],[2]]", "\"derivatives\":[[\"1\"],[\"2*x\"]]"},
     "\"gradient\""},
    {{"--json", "[3*x^2 + x, exp(x), ln(x)]"},
     {"\"vars\":[\"x\"]", "\"derivatives\":[[\"1 + 6*x\"],[\"exp(x)\"],[\"1/x\"]]"},
     "\"jacobian\":"},
    /* the Hessian */
    {{"--json", "--at", "x=1,y=2", "--hessian", "x^2*y"},
     {"\"vars\":[\"x\",\"y\"]", "\"value\":2", "\"hessian\":[[4,2],[2,0]]",
      "\"hessian_expressions\":[[\"2*y\",\"2*x\"],[\"2*x\",\"0\"]]"},
     NULL},
    {{"--json", "--order", "2", "--at", "x=1", "x^3"},
     {"\"vars\":[\"x\"]", "\"value\":1", "\"derivatives\":[\"6*x\"]", "\"derivative_value\":6"},
     NULL},
    /* 10 */
    {{"--json", "--simplify", "--at", "x=2", "x+x"}, {"\"vars\":[\"x\"]", "\"value\":4", "\"function\":\"2*x\""}, NULL},
    {{"--json", "5"}, {"\"vars\":[]", "\"derivatives\":[]"}, NULL},
    {{"--json", "--wrt", "y", "--at", "x=1,y=2", "x*y"},
     {"\"vars\":[\"y\"]", "\"value\":2", "\"gradient\":[1]", "\"derivatives\":[\"x\"]"},
     NULL},
    /* with --hessian, the gradient and the derivatives are there too */
    {{"--json", "--at", "x=1,y=2", "--hessian", "x^2*y"},
     {"\"gradient\":[4,1]", "\"derivatives\":[\"2*x*y\",\"x^2\"]"},
     NULL},
};

START_TEST(test_json) {
    const JsonCase *c = &json_cases[_i];
    Run r;
    run(c->args, NULL, &r);
    ck_assert_msg(r.status == 0, "case %d: status %d: %s", _i, r.status, r.err);
    /* a program without variables gets a note on stderr, nothing else */
    ck_assert_msg(r.err[0] == '\0' || strstr(r.err, "no variables to differentiate"), "case %d: %s", _i, r.err);
    ck_assert_msg(r.outlen >= 3 && r.out[0] == '{' && strcmp(r.out + r.outlen - 2, "}\n") == 0,
                  "case %d: not one JSON object on one line: %s", _i, r.out);
    ck_assert_msg(strchr(r.out, '\n') == r.out + r.outlen - 1, "case %d: more than one line", _i);
    char *j = json_compact(r.out);
    for (int k = 0; k < 6 && c->has[k]; k++)
        ck_assert_msg(strstr(j, c->has[k]) != NULL, "case %d: JSON lacks %s: %s", _i, c->has[k], r.out);
    if (c->lacks)
        ck_assert_msg(strstr(j, c->lacks) == NULL, "case %d: JSON has %s: %s", _i, c->lacks, r.out);
    free(j);
    run_free(&r);
}
END_TEST

/* --- --check ---------------------------------------------------------------------- */

START_TEST(test_check) {
    Run r;
    run(ARGS("--check", "sin(x)*y"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    const char *head = "d/dx = y*cos(x)\nd/dy = sin(x)\ngradient check: 20 points, max relative error ";
    ck_assert_msg(strncmp(r.out, head, strlen(head)) == 0, "got: %s", r.out);
    ck_assert_msg(r.outlen > 5 && strcmp(r.out + r.outlen - 5, ": ok\n") == 0, "got: %s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "(tolerance 1e-06)"));
    run_free(&r);

    run(ARGS("--check", "--samples", "5", "--seed", "7", "x^2*ln(x^2) + sigmoid(x)"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "gradient check: 5 points"));
    run_free(&r);

    /* a failed check: status 3, the derivative is still printed, the summary says FAILED */
    run(ARGS("--check", "--tol", "1e-30", "sin(x)*exp(x)"), NULL, &r);
    ck_assert_int_eq(r.status, 3);
    ck_assert_ptr_nonnull(strstr(r.out, "exp(x)*(sin(x) + cos(x))\n"));
    ck_assert_msg(r.outlen > 9 && strcmp(r.out + r.outlen - 9, ": FAILED\n") == 0, "got: %s", r.out);
    run_free(&r);

    /* with --json the summary is the "check" member of the JSON object */
    run(ARGS("--check", "--json", "x^2"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strncmp(r.out, "{\"vars\": [\"x\"], \"derivatives\": [\"2*x\"], \"check\": {\"points\": 20, ", 64) == 0 && strstr(r.out, "\"ok\": true}}\n"), "%s", r.out);
    ck_assert_str_eq(r.err, "");
    run_free(&r);
}
END_TEST

/* -D n=3 with `repeat n` is the same program as `repeat 3` */
START_TEST(test_define) {
    Run a, b;
    run(ARGS("-D", "n=3", "l = x; repeat n { l = 4*l*(1-l) } l"), NULL, &a);
    run(ARGS("l = x; repeat 3 { l = 4*l*(1-l) } l"), NULL, &b);
    ck_assert_int_eq(a.status, 0);
    ck_assert_int_eq(b.status, 0);
    ck_assert_str_eq(a.out, b.out);
    run_free(&a);
    run_free(&b);

    run(ARGS("-D", "k=2.5", "-D", "n=4", "l = x; repeat n { l = k*l*(1-l) } l"), NULL, &a);
    run(ARGS("l = x; repeat 4 { l = 2.5*l*(1-l) } l"), NULL, &b);
    ck_assert_int_eq(a.status, 0);
    ck_assert_str_eq(a.out, b.out);
    run_free(&a);
    run_free(&b);

    /* a defined name is a constant, not a variable */
    run(ARGS("-D", "a=2", "a*x^2"), NULL, &a);
    ck_assert_int_eq(a.status, 0);
    ck_assert_str_eq(a.out, "4*x\n");
    run_free(&a);
}
END_TEST

/* --- -f FILE, -f - and the argument give the same output ------------------------- */

START_TEST(test_file_forms) {
    static const char *const programs[] = {
        "a = x*y;\nb = sin(a) + z;\nb\n",
        "# logistic map\nl = x;\nrepeat 4 { l = 4*l*(1 - l) }\nl\n",
        "[x*y, exp(x - y)]",
        "x^2*ln(x^2)\r\n",
    };
    char *dir = make_tmpdir();
    char *file = path_join(dir, "prog.sd");
    for (size_t i = 0; i < sizeof programs / sizeof *programs; i++) {
        write_file(file, programs[i]);
        Run a, f, s;
        run(ARGS(programs[i]), NULL, &a);
        run(ARGS("-f", file), NULL, &f);
        run(ARGS("-f", "-"), programs[i], &s);
        ck_assert_msg(a.status == 0, "program %zu: %s", i, a.err);
        ck_assert_int_eq(f.status, 0);
        ck_assert_int_eq(s.status, 0);
        ck_assert_msg(a.outlen > 0, "program %zu: no output", i);
        ck_assert_str_eq(f.out, a.out);
        ck_assert_str_eq(s.out, a.out);
        ck_assert_str_eq(f.err, "");
        ck_assert_str_eq(s.err, "");
        run_free(&a);
        run_free(&f);
        run_free(&s);
    }
    /* an error on line 2 is located in the file */
    write_file(file, "a = x*y;\nb = sinn(a);\nb\n");
    Run r;
    run(ARGS("-f", file), NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    char expected[512];
    snprintf(expected, sizeof expected,
             "%s:2:5: error: unknown function 'sinn'; did you mean 'sin'?\n"
             "    b = sinn(a);\n"
             "        ^~~~\n",
             file);
    ck_assert_str_eq(r.err, expected);
    run_free(&r);

    write_file(file, "a = 1;\nb = (a +\n");
    run(ARGS("--file", file), NULL, &r);
    ck_assert_int_eq(r.status, 1);
    snprintf(expected, sizeof expected, "%s:2:9: error: unexpected end of input\n", file);
    ck_assert_msg(strncmp(r.err, expected, strlen(expected)) == 0, "got: %s", r.err);
    snprintf(expected, sizeof expected, "%s:2:5: note: unclosed '(' opened here\n", file);
    ck_assert_msg(strstr(r.err, expected) != NULL, "got: %s", r.err);
    run_free(&r);

    free(file);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* --- -o FILE: complete or untouched ------------------------------------------------ */

START_TEST(test_output_file) {
    char *dir = make_tmpdir();
    char *out = path_join(dir, "out.txt");
    Run r;

    /* a new file */
    run(ARGS("-o", out, "x^2"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, "");
    run_free(&r);
    char *got = read_file(out);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, "2*x\n");
    free(got);

    /* replaced on success */
    run(ARGS("--output", out, "--hessian", "x^2*y + y^3"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
    got = read_file(out);
    ck_assert_str_eq(got, "H = [[2*y, 2*x],\n     [2*x, 6*y]]\n");
    free(got);

    /* an input error, a usage error, a failed --at: the existing file is
     * left byte for byte, and no temporary remains */
    static const char *const previous = "previous contents\n\x01\xff no newline";
    static const char *const bad[][6] = {
        {"-o", NULL, "2*(x+"},
        {"-o", NULL, "sinn(x)"},
        {"-o", NULL, "--at", "x=abc", "x"},
        {"-o", NULL, "--bogus", "x"},
        {"-o", NULL, "--order", "2", "x*y"},
        {"-o", NULL, "-f", "/nonexistent/prog.sd"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(out, previous);
        const char *args[7];
        for (int k = 0; k < 6; k++)
            args[k] = k == 1 ? out : bad[i][k];
        args[6] = NULL;
        run(args, NULL, &r);
        ck_assert_msg(r.status == 1 || r.status == 2, "case %zu: status %d", i, r.status);
        ck_assert_str_eq(r.out, "");
        run_free(&r);
        got = read_file(out);
        ck_assert_ptr_nonnull(got);
        ck_assert_msg(strcmp(got, previous) == 0, "case %zu: the output file was changed", i);
        free(got);
        ck_assert_int_eq(count_entries(dir, "out.txt.tmp"), 0);
        ck_assert_int_eq(count_entries(dir, NULL), 1);
    }

    /* into a missing directory: an error, nothing created */
    char *missing = path_join(dir, "missing/out.txt");
    run(ARGS("-o", missing, "x^2"), NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "cannot write"));
    run_free(&r);
    ck_assert_int_eq(count_entries(dir, NULL), 1);
    free(missing);

    /* onto a directory: an error, the directory untouched */
    char *sub = path_join(dir, "sub");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    run(ARGS("-o", sub, "x^2"), NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "directory"));
    run_free(&r);
    struct stat st;
    ck_assert_int_eq(stat(sub, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(count_entries(sub, NULL), 0);
    ck_assert_int_eq(count_entries(dir, NULL), 2);
    ck_assert_int_eq(count_entries(dir, "sub.tmp"), 0);
    free(sub);

    /* the output is the input file it was read from: refused, the
     * program kept (test_outputs_distinct covers every output) */
    char *same = path_join(dir, "same.sd");
    write_file(same, "x^3");
    run(ARGS("-f", same, "-o", same), NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    got = read_file(same);
    ck_assert_str_eq(got, "x^3");
    free(got);
    ck_assert_int_eq(count_entries(dir, "same.sd.tmp"), 0);
    free(same);

    /* a --check that fails still writes its result (status 3) */
    run(ARGS("-o", out, "--check", "--tol", "1e-30", "sin(x)*exp(x)"), NULL, &r);
    ck_assert_int_eq(r.status, 3);
    run_free(&r);
    got = read_file(out);
    ck_assert_ptr_nonnull(strstr(got, "gradient check:"));
    free(got);

    free(out);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* FIXED: -o used to give the output file mode 0600 (mkstemp's) whatever the umask. */
START_TEST(test_output_file_mode) {
    char *dir = make_tmpdir();
    char *out = path_join(dir, "out.txt");
    Run r;
    mode_t old = umask(022);
    run(ARGS("-o", out, "x^2"), NULL, &r);
    umask(old);
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
    struct stat st;
    ck_assert_int_eq(stat(out, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    /* an existing file keeps its mode */
    ck_assert_int_eq(chmod(out, 0640), 0);
    run(ARGS("-o", out, "x^3"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
    ck_assert_int_eq(stat(out, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
    free(out);
    remove_tree(dir);
    free(dir);
}
END_TEST


/* A failed write of stdout (a full disk) is an error, not a silent success. */
START_TEST(test_stdout_full) {
    if (access("/dev/full", W_OK) != 0)
        return; /* not on this system */
    const char *argv[] = {symdiff_path(), "x^2", NULL};
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int full = open("/dev/full", O_WRONLY);
        int null = open("/dev/null", O_RDWR);
        if (full < 0 || null < 0)
            _exit(126);
        dup2(null, 0);
        dup2(full, 1);
        dup2(null, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert(WIFEXITED(wstatus));
    ck_assert_int_eq(WEXITSTATUS(wstatus), 1);
}
END_TEST

/* --- the same command twice gives the same bytes ------------------------------------ */

START_TEST(test_deterministic) {
    static const char *const commands[][8] = {
        {"l = x; repeat 60 { l = 4*l*(1-l) } l"},
        {"--mode", "reverse", "l = x; repeat 600 { l = 4*l*(1-l) } l"},
        {"--hessian", "exp(x*y*z) + sin(x - z)^2"},
        {"--json", "--at", "a=0.3,b=-1.5", "[a*b, sigmoid(a)*softplus(b), tanh(a/b)]"},
        {"--latex", "sqrt(x1^2 + x2^2) * ln(x1)"},
        {"--expand", "l = x; repeat 4 { l = 4*l*(1-l) } l"},
        {"--check", "--samples", "50", "x^x + y*atan(x)"},
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        Run a, b;
        run(commands[i], NULL, &a);
        run(commands[i], NULL, &b);
        ck_assert_msg(a.status == 0, "command %zu: %s", i, a.err);
        ck_assert_int_eq(b.status, 0);
        ck_assert_msg(a.outlen > 0, "command %zu: no output", i);
        ck_assert_msg(a.outlen == b.outlen && memcmp(a.out, b.out, a.outlen) == 0,
                      "command %zu: two runs differ", i);
        run_free(&a);
        run_free(&b);
    }
}
END_TEST

/* --- a long chain: printed with temporaries, not as an exploded tree --------------- */

START_TEST(test_big_logistic) {
    Run r;
    run(ARGS("l = x; repeat 100000 { l = 4*l*(1-l) } l"), NULL, &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    ck_assert_msg(r.outlen < 50u * 1024 * 1024, "output of %zu bytes", r.outlen);
    ck_assert_msg(strncmp(r.out, "t1 = ", 5) == 0 || strstr(r.out, "\nt1 = ") != NULL,
                  "no temporaries in the output");
    ck_assert_ptr_nonnull(strstr(r.out, "\nt2 = "));
    ck_assert(r.out[r.outlen - 1] == '\n');
    run_free(&r);

    run(ARGS("--at", "x=0.3", "l = x; repeat 100000 { l = 4*l*(1-l) } l"), NULL, &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_msg(strncmp(r.out, "value = ", 8) == 0, "got: %.200s", r.out);
    double v = strtod(r.out + 8, NULL);
    ck_assert_msg(v >= 0 && v <= 1, "value %g", v);
    run_free(&r);
}
END_TEST

/* --- --expand's limit counts terms ------------------------------------------------ */

/* The limit is on the terms of a polynomial once like terms are
 * collected, not on the products that make it: (1 + x + ... + x^300)^2
 * has 601 terms and expands, although its 90601 products are more than
 * the limit (once refused as "more than 20000"); (1 + a + ... + f)^12
 * has 18564 terms and expands; ^13 has 27132 and is refused, saying so.
 * Coefficients stay exact: (1 + x)^700, whose middle coefficients pass
 * 2^63, is refused rather than rounded. */
START_TEST(test_expand_limit) {
    Run r;
    run(ARGS("--simplify", "--expand", "s = 0; k = 0; repeat 301 { s = s + x^k; k = k + 1 } s^2"), NULL, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    size_t xs = 0;
    for (const char *p = r.out; *p; p++)
        xs += *p == 'x';
    ck_assert_uint_eq(xs, 600); /* 1 + 2*x + ... + 301*x^300 + ... + x^600 */
    ck_assert_ptr_nonnull(strstr(r.out, " + 301*x^300 + "));
    ck_assert_ptr_nonnull(strstr(r.out, " + x^600\n"));
    run_free(&r);
    run(ARGS("--simplify", "--expand", "(1 + x)^700"), NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "symdiff: error: --expand: a coefficient is too large\n");
    run_free(&r);
    run(ARGS("--simplify", "--expand", "(1 + a + b + c + d + e + f)^12"), NULL, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    size_t terms = 1;
    for (const char *p = r.out; (p = strstr(p, " + ")) != NULL; p++)
        terms++;
    ck_assert_uint_eq(terms, 18564); /* C(18, 6): every coefficient positive */
    run_free(&r);
    run(ARGS("--simplify", "--expand", "(1 + a + b + c + d + e + f)^13"), NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "symdiff: error: --expand: more than 20000 terms (in the expanded result "
                            "or one of its subexpressions)\n");
    run_free(&r);
}
END_TEST

Suite *cli_suite(void); /* called by tests/runner.c */

Suite *cli_suite(void) {
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("outputs");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_status, 0, (int)(sizeof statuses / sizeof *statuses));
    tcase_add_test(tc, test_help_version);
    tcase_add_loop_test(tc, test_json, 0, (int)(sizeof json_cases / sizeof *json_cases));
    tcase_add_test(tc, test_check);
    tcase_add_test(tc, test_define);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_expand_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_file_forms);
    tcase_add_test(tc, test_output_file);
    tcase_add_test(tc, test_stdout_full);

    tcase_add_test(tc, test_output_file_mode);

    suite_add_tcase(s, tc);

    tc = tcase_create("big");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_big_logistic);
    suite_add_tcase(s, tc);
    return s;
}
