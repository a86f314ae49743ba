/* SPDX-License-Identifier: MIT */
/*
 * check_examples.c — the example programs and the generated C, end to end.
 *
 * Three kinds of tests, all running real programs (fork/exec, no shell):
 *
 *   "run"     `make -C examples run`: every example generates its kernels,
 *             compiles, trains or checks, and meets its goal (the drivers
 *             exit non-zero otherwise).  Its output goes to a scratch
 *             directory (OUT=...), not to examples/out/.
 *   "ad_timing"  the timing example alone, built into a scratch OUT and
 *             run briefly: the symbolic, forward-AD, reverse-AD and
 *             finite-difference gradients agree, and the table has a row
 *             per program.
 *   "corpus"  a table of programs (course examples, ML losses, trig/exp/log
 *             mixes, the logistic map, every builtin).  Each one is
 *             generated with --emit-test in double and in float, twice (the
 *             two runs must give byte-identical .c, .h and _test.c), then
 *             compiled with gcc and with clang (clang is skipped only when
 *             `command -v clang` fails) using
 *               -std=c99 -O0 -Wall -Wextra -Wpedantic -Werror
 *             (+ -Wdouble-promotion for float), linked, and run: the
 *             generated test program compares the kernels with finite
 *             differences and must exit 0.
 *
 * symdiff is $SYMDIFF (default ./symdiff); the runner starts in the
 * repository root.  Scratch files live in one mkdtemp directory under /tmp,
 * removed when the test case ends.
 *
 * Cases that currently fail because of symdiff (not the test) are kept,
 * disabled by `#if 0` with a BUG comment, so that they are easy to turn on
 * once fixed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testrun.h"
#include "testutil.h"

/* --- scratch directory and files ------------------------------------------- */

static char scratch[64];        /* the mkdtemp directory, "" when none */
static char symdiff[PATH_MAX];  /* absolute path of the binary under test */
static int have_clang;          /* `command -v clang` succeeded */

/* Unchecked fixture: runs once per test case, in the runner's process, so
 * that the directory is removed even when a test fails. */
static void scratch_setup(void) {
    /* absolute, because `make -C examples` runs in another directory */
    const char *s = symdiff_path();
    int n = snprintf(symdiff, sizeof symdiff, "%s", s);
    if (n <= 0 || (size_t)n >= sizeof symdiff || access(symdiff, X_OK) != 0) {
        fprintf(stderr, "check_examples: cannot run symdiff at %s\n", s);
        symdiff[0] = '\0';
    }
    strcpy(scratch, "/tmp/symdiff-examples-XXXXXX");
    if (!mkdtemp(scratch)) {
        perror("check_examples: mkdtemp");
        scratch[0] = '\0';
    }
    have_clang = have_compiler("clang");
}

static void scratch_teardown(void) {
    if (scratch[0])
        remove_tree(scratch);
    scratch[0] = '\0';
}

/* scratch/name, in buf. */
static const char *scratch_path(char *buf, size_t size, const char *name) {
    int n = snprintf(buf, size, "%s/%s", scratch, name);
    ck_assert_msg(n > 0 && (size_t)n < size, "path too long: %s/%s", scratch, name);
    return buf;
}

/* --- running programs ---------------------------------------------------- */

/*
 * Runs argv (argv[0] looked up in PATH) with stdin from /dev/null and stdout
 * and stderr appended to the file `log`; returns the exit status, or 128 +
 * the signal number, or -1 when it could not be started.  With clean_make
 * set, the variables through which a parent make passes its options and
 * jobserver (MAKEFLAGS, ...) are removed from the child's environment, so
 * that `make check`'s own settings (BUILD, OPT under `make asan`) do not
 * leak into the examples' build.
 */
static int run_logged(const char *const argv[], const char *log, int clean_make) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in < 0 || out < 0)
            _exit(126);
        dup2(in, STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        close(in);
        close(out);
        if (clean_make) {
            unsetenv("MAKEFLAGS");
            unsetenv("MFLAGS");
            unsetenv("MAKELEVEL");
            unsetenv("MAKEOVERRIDES");
        }
        execvp(argv[0], (char *const *)argv); /* execvp does not modify them */
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

/* The last `keep` bytes of a log, for failure messages (static buffer). */
static const char *log_tail(const char *log) {
    static char tail[3000];
    size_t len;
    char *text = read_file_n(log, &len);
    if (!text)
        return "(no output)";
    size_t keep = sizeof tail - 1, from = len > keep ? len - keep : 0;
    memcpy(tail, text + from, len - from + 1);
    free(text);
    return tail;
}

/* Runs argv and fails the test, with the command's output, unless it exits 0. */
static void run_ok(const char *const argv[], const char *log,
                   const char *what) {
    remove(log);
    int st = run_logged(argv, log, 0);
    ck_assert_msg(st == 0, "%s: exit status %d\n%s", what, st, log_tail(log));
}

/* --- the examples ------------------------------------------------------------ */

/* Does a line of text start with `prefix` and end with ": ok"? */
static int verdict_ok(const char *text, const char *prefix) {
    size_t plen = strlen(prefix);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= plen + 4 && strncmp(line, prefix, plen) == 0 && strncmp(line + len - 4, ": ok", 4) == 0)
            return 1;
        line += len + (end != NULL);
    }
    return 0;
}

/* The lines in which the examples report reaching their goals: accuracies,
 * and the generated network gradient equal to the hand-written one. */
static const char *const example_verdicts[] = {
    "final: mean loss",   /* logistic_regression, spiral_network */
    "softmax: mean loss", /* blob_classifiers */
    "svm: mean loss",     /* blob_classifiers */
    "network gradients, generated vs hand-written", /* network_timing */
};

START_TEST(test_examples_run) {
    ck_assert_msg(symdiff[0] && scratch[0], "no symdiff binary or scratch dir");
    char log[PATH_MAX], out[PATH_MAX], sym_arg[PATH_MAX + 16],
        out_arg[PATH_MAX + 16];
    scratch_path(log, sizeof log, "examples.log");
    scratch_path(out, sizeof out, "examples-out");
    snprintf(sym_arg, sizeof sym_arg, "SYMDIFF=%s", symdiff);
    snprintf(out_arg, sizeof out_arg, "OUT=%s", out);
    const char *argv[] = {"make", "-s", "-j2", "-C", "examples", "run",
                          sym_arg, out_arg, NULL};
    int st = run_logged(argv, log, 1);
    ck_assert_msg(st == 0, "make -C examples run: exit status %d\n%s", st,
                  log_tail(log));
    /* Every driver printed its verdict. */
    char *text = read_file_n(log, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "all examples reached their goals") != NULL,
                  "no final verdict in\n%s", log_tail(log));
    for (size_t i = 0; i < sizeof example_verdicts / sizeof *example_verdicts; i++)
        ck_assert_msg(verdict_ok(text, example_verdicts[i]), "no '%s ... : ok' line in\n%s",
                      example_verdicts[i], log_tail(log));
    free(text);
}
END_TEST

/* The timing example, built alone and run briefly: the four methods agree
 * (its exit status) and every program has its row.  The times themselves
 * are not asserted: they belong to benchmarks, not to tests. */
START_TEST(test_ad_timing) {
    ck_assert_msg(symdiff[0] && scratch[0], "no symdiff binary or scratch dir");
    char log[PATH_MAX], out[PATH_MAX], exe[PATH_MAX], sym_arg[PATH_MAX + 16], out_arg[PATH_MAX + 16];
    scratch_path(log, sizeof log, "ad_timing.log");
    scratch_path(out, sizeof out, "ad-timing-out");
    scratch_path(exe, sizeof exe, "ad-timing-out/ad_timing");
    snprintf(sym_arg, sizeof sym_arg, "SYMDIFF=%s", symdiff);
    snprintf(out_arg, sizeof out_arg, "OUT=%s", out);
    const char *make_argv[] = {"make", "-s", "-j2", "-C", "examples", exe, sym_arg, out_arg, NULL};
    int st = run_logged(make_argv, log, 1);
    ck_assert_msg(st == 0, "building ad_timing: exit status %d\n%s", st, log_tail(log));
    const char *argv[] = {exe, "5", "1", NULL};
    run_ok(argv, log, "ad_timing 5 1");
    char *text = read_file_n(log, NULL);
    ck_assert_ptr_nonnull(text);
    const char *table = strstr(text, "time(gradient) / time(f)");
    ck_assert_msg(table != NULL, "no timing table in\n%s", text);
    const char *rows[] = {"logistic map l_10 ", "logistic map l_100 ", "tanh network, squared error "};
    for (int i = 0; i < 3; i++) {
        const char *row = strstr(table, rows[i]);
        ck_assert_msg(row != NULL, "no row for %s in\n%s", rows[i], table);
        int n;
        double f_ns, ratio[4];
        ck_assert_int_eq(sscanf(row + strlen(rows[i]), "%d %lf %lf %lf %lf %lf", &n, &f_ns, &ratio[0],
                                &ratio[1], &ratio[2], &ratio[3]),
                         6);
        for (int m = 0; m < 4; m++)
            ck_assert_msg(isfinite(ratio[m]) && ratio[m] > 0, "%s: ratio %d is %g", rows[i], m, ratio[m]);
    }
    free(text);
}
END_TEST

/* --- the corpus -------------------------------------------------------------- */

typedef struct Program {
    const char *name;   /* kernel name (--name) and file stem */
    const char *source; /* the program */
    const char *option; /* one extra option, or NULL */
    int float_no_run;   /* float: compile the test program, do not run it */
} Program;

static const Program corpus[] = {
    /* course examples */
    {"course_x2lnx2", "x^2*ln(x^2)", NULL, 0},
    {"course_three", "x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3", NULL, 0},
    {"course_negsq", "-x^2", NULL, 0},
    {"course_rational", "(x+1)(x-1)/(x^2+1)", NULL, 0},
    {"course_xx", "x^x", NULL, 0},
    {"rosenbrock", "(1 - a)^2 + 100*(b - a^2)^2", NULL, 0},
    /* the logistic map */
    {"lmap4", "l = x;\nrepeat 3 { l = 4*l*(1 - l) }\nl", NULL, 0},
    {"lmap8", "l = x;\nrepeat n { l = 4*l*(1 - l) }\nl", "-Dn=8", 0},
    /* The map is chaotic: after 20 steps a float kernel's value differs
     * from the double reference by ~2^20 float roundings, far beyond what
     * the generated test tolerates (1e-2), whatever symdiff does.  So the
     * float test program is compiled but not run; double is checked fully. */
    {"lmap20", "l = x;\nrepeat n { l = 4*l*(1 - l) }\nl", "-Dn=20", 1},
    /* machine-learning losses */
    {"linreg", "param w0, w1, w2; input x1, x2, y;\n"
               "(w0 + w1*x1 + w2*x2 - y)^2", NULL, 0},
    {"logreg", "param w0, w1, w2; input x1, x2, y;\n"
               "z = w0 + w1*x1 + w2*x2;\n"
               "-(y*ln(sigmoid(z)) + (1 - y)*ln(1 - sigmoid(z)))"
               " + 0.001*(w1^2 + w2^2)", NULL, 0},
    {"hinge", "param w1, w2, b; input x1, x2, y;\n"
              "max(0, 1 - y*(w1*x1 + w2*x2 + b)) + 0.01*(w1^2 + w2^2)", NULL, 0},
    {"tanh_model", "param a, b, c, d; input x, y;\n"
                   "(c*tanh(a*x + b) + d - y)^2 + softplus(-c)", NULL, 0},
    {"two_units", "param a1, b1, a2, b2, c1, c2, d; input x, y;\n"
                  "h1 = tanh(a1*x + b1); h2 = sigmoid(a2*x + b2);\n"
                  "(c1*h1 + c2*h2 + d - y)^2", NULL, 0},
    {"softmax_ce", "param s1, s2, s3; input y1, y2, y3;\n"
                   "log(exp(s1) + exp(s2) + exp(s3)) - (y1*s1 + y2*s2 + y3*s3)",
     NULL, 0},
    {"gauss_nll", "param mu, s; input x;\n(x - mu)^2/(2*s^2) + ln(s)", NULL, 0},
    {"poisson", "param a, b; input x, k;\nexp(a*x + b) - k*(a*x + b)", NULL, 0},
    {"logcosh", "param w, b; input x, y;\nlog(cosh(w*x + b - y))", NULL, 0},
    {"relu_unit", "param w, b; input x, y;\n(relu(w*x + b) - y)^2", NULL, 0},
    /* trig / exp / log mixes */
    {"trig", "sin(x)*cos(y) + tan(x*y)", NULL, 0},
    {"gaussian", "exp(-x^2/2)/sqrt(2*pi)", NULL, 0},
    {"exp_log", "exp(sin(x))*log(1 + y^2) + x^-2 + e^x", NULL, 0},
    {"logs", "log2(x) + log10(y) + log(x*y) + ln(x + y)", NULL, 0},
    {"inverse_trig", "asin(x/2) + acos(y/3) + atan(x*y)", NULL, 0},
    {"hyperbolic", "sinh(x) + cosh(y) + tanh(x - y)", NULL, 0},
    {"powers", "pow(x, 3) + pow(y, x) + sqrt(x^2 + y^2 + 1)", NULL, 0},
    /* every remaining builtin */
    {"sigmoids", "sigmoid(a*x + b) + softplus(a) - softplus(-b)", NULL, 0},
    {"relus", "relu(x) + leaky_relu(y) + leaky_relu(x, 0.2) + elu(y)"
              " + elu(x, 0.5)", NULL, 0},
    {"kinks", "abs(x - y) + sign(x)*y + step(x)*y + step(y, 0.5)*x", NULL, 0},
    {"minmax", "min(x, y) + max(x*y, 1) + max(x, y, x - y)"
               " + ifpos(x, y^2, -y)", NULL, 0},
    /* a vector program: value and Jacobian */
    {"vector", "[x*y, sin(x) + y^2, exp(-x)]", NULL, 0},
    /* FIXED: --hessian --emit-test used to leave ref_hess unused; the
     * test program now checks the Hessian too */
    {"hessian", "x^2*y + sin(x*y)", "--hessian", 0},
};
#define NCORPUS ((int)(sizeof corpus / sizeof corpus[0]))

/* The three files generated for `stem`, in this order. */
static const char *const suffixes[] = {".c", ".h", "_test.c"};

/* symdiff --name stem [--type float] [option] --emit-test -f stem.sd -o stem.c */
static void generate(const Program *p, const char *stem, int is_float,
                     const char *log) {
    char sd[PATH_MAX], c[PATH_MAX], name[PATH_MAX];
    snprintf(name, sizeof name, "%s.sd", p->name);
    scratch_path(sd, sizeof sd, name);
    snprintf(name, sizeof name, "%s.c", stem);
    scratch_path(c, sizeof c, name);
    const char *argv[16];
    int n = 0;
    argv[n++] = symdiff;
    argv[n++] = "--name";
    argv[n++] = stem;
    if (is_float) {
        argv[n++] = "--type";
        argv[n++] = "float";
    }
    if (p->option)
        argv[n++] = p->option;
    argv[n++] = "--emit-test";
    argv[n++] = "-f";
    argv[n++] = sd;
    argv[n++] = "-o";
    argv[n++] = c;
    argv[n] = NULL;
    run_ok(argv, log, stem);
}

/* Generates stem twice and checks that the outputs are byte-identical. */
static void generate_twice(const Program *p, const char *stem, int is_float,
                           const char *log) {
    char *first[3];
    size_t first_len[3];
    char path[PATH_MAX], name[PATH_MAX];
    generate(p, stem, is_float, log);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", stem, suffixes[i]);
        first[i] = read_file_n(scratch_path(path, sizeof path, name), &first_len[i]);
        ck_assert_msg(first[i] != NULL, "%s was not written", path);
    }
    generate(p, stem, is_float, log);
    for (int i = 0; i < 3; i++) {
        size_t len;
        snprintf(name, sizeof name, "%s%s", stem, suffixes[i]);
        char *again = read_file_n(scratch_path(path, sizeof path, name), &len);
        ck_assert_msg(again != NULL, "%s was not written", path);
        ck_assert_msg(len == first_len[i] && memcmp(again, first[i], len) == 0,
                      "%s differs between two identical runs", name);
        free(again);
        free(first[i]);
    }
}

/* Compiles stem.c with stem_test.c using cc, then (if do_run) runs the test
 * program. */
static void compile_and_run(const char *stem, const char *cc, int is_float,
                            int do_run, const char *log) {
    char c[PATH_MAX], t[PATH_MAX], exe[PATH_MAX], name[PATH_MAX];
    snprintf(name, sizeof name, "%s.c", stem);
    scratch_path(c, sizeof c, name);
    snprintf(name, sizeof name, "%s_test.c", stem);
    scratch_path(t, sizeof t, name);
    snprintf(name, sizeof name, "%s.%s", stem, cc);
    scratch_path(exe, sizeof exe, name);
    const char *argv[20];
    int n = 0;
    argv[n++] = cc;
    argv[n++] = "-std=c99";
    argv[n++] = "-O0";
    argv[n++] = "-Wall";
    argv[n++] = "-Wextra";
    argv[n++] = "-Wpedantic";
    argv[n++] = "-Werror";
    if (is_float)
        argv[n++] = "-Wdouble-promotion";
    argv[n++] = "-I";
    argv[n++] = scratch;
    argv[n++] = "-o";
    argv[n++] = exe;
    argv[n++] = c;
    argv[n++] = t;
    argv[n++] = "-lm";
    argv[n] = NULL;
    char what[300];
    snprintf(what, sizeof what, "%s: compiling %s.c and %s_test.c", cc, stem,
             stem);
    run_ok(argv, log, what);
    if (!do_run)
        return;
    const char *test_argv[] = {exe, NULL};
    snprintf(what, sizeof what, "running %s_test (built by %s)", stem, cc);
    run_ok(test_argv, log, what);
}

START_TEST(test_corpus) {
    ck_assert_msg(symdiff[0] && scratch[0], "no symdiff binary or scratch dir");
    const Program *p = &corpus[_i];
    char path[PATH_MAX], name[PATH_MAX], log[PATH_MAX];
    snprintf(name, sizeof name, "%s.sd", p->name);
    write_file(scratch_path(path, sizeof path, name), p->source);
    snprintf(name, sizeof name, "%s.log", p->name);
    scratch_path(log, sizeof log, name);

    const char *compilers[] = {"gcc", "clang"};
    int ncc = have_clang ? 2 : 1;
    for (int is_float = 0; is_float <= 1; is_float++) {
        char stem[128];
        snprintf(stem, sizeof stem, "%s%s", p->name, is_float ? "_f" : "");
        generate_twice(p, stem, is_float, log);
        for (int k = 0; k < ncc; k++)
            compile_and_run(stem, compilers[k], is_float,
                            !(is_float && p->float_no_run), log);
    }
}
END_TEST

Suite *examples_suite(void); /* called by tests/runner.c */

Suite *examples_suite(void) {
    Suite *s = suite_create("examples");

    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_test(tc, test_examples_run);
    suite_add_tcase(s, tc);

    tc = tcase_create("ad_timing");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_test(tc, test_ad_timing);
    suite_add_tcase(s, tc);

    tc = tcase_create("corpus");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_loop_test(tc, test_corpus, 0, NCORPUS);
    suite_add_tcase(s, tc);
    return s;
}
