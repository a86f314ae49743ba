/* SPDX-License-Identifier: MIT */
/*
 * check_oom.c — allocation-failure injection: the real binary, with the
 * failing allocator of tests/oom/failmalloc.c preloaded, for a set of
 * inputs covering every stage (parsing and its errors, lowering, both
 * engines, the Hessian, --expand, evaluation, JSON and LaTeX printing with
 * temporaries, C generation with -o and --emit-test).
 *
 * For each input a first run counts the allocations (malloc, calloc,
 * realloc); then the N-th one is made to fail, for N across that range.
 * Every run must either behave exactly as the first (same status, same
 * bytes out, same files) or stop with "out of memory" on stderr, status 1,
 * nothing on stdout — never a signal.  With -o, a failed run leaves the
 * directory as it was: an existing file byte for byte, no temporary, no
 * header without its source.  A second mode keeps failing every call after
 * the N-th (memory that stays exhausted).
 *
 * `make check` samples N (all of the first 64, then evenly up to the
 * count); `make oom` sets SYMDIFF_OOM_FULL=1 for every N and
 * SYMDIFF_OOM_VALGRIND=1 to run a sample under valgrind, which must find
 * no leak and no error on the failure paths.  The preloaded allocator
 * cannot be combined with AddressSanitizer (its runtime must come first),
 * so the asan build skips this suite.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testrun.h"
#include "testutil.h"

/* --- the inputs ---------------------------------------------------------- */

/* An argument "@name" stands for the file `name` in the test's directory. */
typedef struct OomCase {
    const char *what;
    const char *args[10];
    const char *in;          /* stdin, or NULL                            */
    const char *file;        /* written to @prog.sd before each run      */
    const char *outputs[4];  /* files the run writes into the directory  */
} OomCase;

static const OomCase cases[] = {
    {"derivatives", {"x^2*ln(x^2) + sin(x*y)/y"}, NULL, NULL, {NULL}},
    {"--at --json", {"--at", "x=0.5,y=2", "--json", "sigmoid(x*y) + x^3"}, NULL, NULL, {NULL}},
    {"--hessian", {"--hessian", "exp(x*y) + sin(x - y)^2"}, NULL, NULL, {NULL}},
    {"--expand", {"--expand", "l = x; repeat 3 { l = 4*l*(1-l) } l"}, NULL, NULL, {NULL}},
    {"temporaries", {"--mode", "reverse", "l = x; repeat 12 { l = 4*l*(1-l) } l"}, NULL, NULL, {NULL}},
    {"LaTeX Jacobian", {"--latex", "[x*y, exp(x - y), x/y]"}, NULL, NULL, {NULL}},
    {"syntax error", {"2*(x+"}, NULL, NULL, {NULL}},
    {"-f with an error", {"-f", "@prog.sd"}, NULL, "a = x*y;\nb = sinn(a);\nb\n", {NULL}},
    {"stdin", {"-f", "-", "--vars", "x,y", "--simplify"}, "x*y + x*y # twice\n", NULL, {NULL}},
    {"-o code", {"-o", "@k.c", "--name", "k", "--hessian", "x1^2 + x1*ln(x2)"}, NULL, NULL,
     {"k.c", "k.h", NULL}},
    {"--emit-test", {"-o", "@t.c", "--emit-test", "--type", "float", "x*y + exp(x)"}, NULL, NULL,
     {"t.c", "t.h", "t_test.c", NULL}},
    {"-o text", {"-o", "@out.txt", "--at", "x=1", "x^3 + sqrt(x)"}, NULL, NULL, {"out.txt", NULL}},
    {"--check", {"--check", "--samples", "3", "x^2*sin(x)"}, NULL, NULL, {NULL}},
    {"tensors", {"--at", "W=[[1,2],[3,4]], b=[0.5,-1], x=[1,0], y=[0,1]", "--json",
                 "param W[2,2], b[2]; input x[2], y[2]; s = W @ tanh(x) + b; logsumexp(s) - dot(y, s)"},
     NULL, NULL, {NULL}},
    {"tensor code", {"-o", "@n.c", "--name", "n",
                     "param W[3,2]; input x[2]; sum(max(0, W @ x))^2 + norm2(W)"},
     NULL, NULL, {"n.c", "n.h", NULL}},
    {"--order", {"--order", "3", "--at", "x=1", "x^3*sin(x)"}, NULL, NULL, {NULL}},
    {"domain error", {"--at", "x=1", "1/0 + x"}, NULL, NULL, {NULL}},
    {"statements", {"-D", "n=2", "a = x*y; repeat n { a = a*a + y } b = a - x; b"}, NULL, NULL, {NULL}},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* --- files ----------------------------------------------------------------- */

/* The names in the directory, sorted, one per line (for comparisons). */
static char *listing(const char *dir) {
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && n < 64)
            names[n++] = strdup(e->d_name);
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    char *out = NULL;
    size_t len = 0, cap = 0;
    buf_append(&out, &len, &cap, "", 0);
    for (int i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(names[i]);
        buf_append(&out, &len, &cap, names[i], strlen(names[i]));
        buf_append(&out, &len, &cap, "\n", 1);
        free(names[i]);
    }
    return out;
}

static void empty_dir(const char *dir) {
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = path_join(dir, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
}

/* --- one case --------------------------------------------------------------- */

typedef struct Sweep {
    const OomCase *c;
    char dir[64];
    const char *args[12];
    char *owned[12];
    /* the reference run */
    Run ref;
    unsigned long count;
    char *ref_files[4];
    size_t ref_len[4];
} Sweep;

static const char *preload_path(void) {
    static char path[512];
    const char *build = getenv("BUILD");
    snprintf(path, sizeof path, "%s/libfailmalloc.so", build && *build ? build : "build");
    return path;
}

static void sweep_init(Sweep *s, const OomCase *c) {
    memset(s, 0, sizeof *s);
    s->c = c;
    strcpy(s->dir, "/tmp/symdiff-oom-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->dir));
    int k = 0;
    for (int i = 0; c->args[i]; i++) {
        if (c->args[i][0] == '@') {
            s->owned[k] = path_join(s->dir, c->args[i] + 1);
            s->args[k] = s->owned[k];
        } else {
            s->args[k] = c->args[i];
        }
        k++;
    }
    s->args[k] = NULL;
    ck_assert_msg(access(preload_path(), R_OK) == 0, "no %s (make builds it)", preload_path());
}

static void sweep_free(Sweep *s) {
    for (int i = 0; i < 12; i++)
        free(s->owned[i]);
    for (int i = 0; i < 4; i++)
        free(s->ref_files[i]);
    run_free(&s->ref);
    empty_dir(s->dir);
    rmdir(s->dir);
}

static void prepare(const Sweep *s) {
    empty_dir(s->dir);
    if (s->c->file) {
        char *p = path_join(s->dir, "prog.sd");
        write_file(p, s->c->file);
        free(p);
    }
}

static void set_failure(unsigned long n, int after) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lu", n);
    setenv("SYMDIFF_FAIL_AT", buf, 1);
    setenv("SYMDIFF_FAIL_AFTER", after ? "1" : "0", 1);
}

static void clear_env(void) {
    unsetenv("LD_PRELOAD");
    unsetenv("SYMDIFF_FAIL_AT");
    unsetenv("SYMDIFF_FAIL_AFTER");
    unsetenv("SYMDIFF_ALLOC_LOG");
    unsetenv("SYMDIFF_FAIL_ONLY");
}

/* Runs the case with the allocator preloaded; prog is NULL for symdiff
 * itself, or a wrapper (valgrind) whose arguments come first. */
static void run_case(const Sweep *s, const char *prog, const char *const *wrapper_args, Run *r) {
    const char *args[32];
    int k = 0;
    if (prog) {
        for (int i = 0; wrapper_args[i]; i++)
            args[k++] = wrapper_args[i];
        args[k++] = symdiff_path();
    }
    for (int i = 0; s->args[i]; i++)
        args[k++] = s->args[i];
    args[k] = NULL;
    setenv("LD_PRELOAD", preload_path(), 1);
    const char *in = s->c->in;
    run_program(prog ? prog : symdiff_path(), args, in, in ? strlen(in) : 0, r);
    clear_env();
}

static void reference(Sweep *s) {
    char log[96];
    snprintf(log, sizeof log, "%s/count", s->dir);
    prepare(s);
    setenv("SYMDIFF_ALLOC_LOG", log, 1);
    run_case(s, NULL, NULL, &s->ref);
    ck_assert_msg(s->ref.status < 128, "%s: signal without injection: %s", s->c->what, s->ref.err);
    size_t len;
    char *count = read_file_n(log, &len);
    ck_assert_msg(count != NULL, "%s: the allocator wrote no count", s->c->what);
    s->count = strtoul(count, NULL, 10);
    free(count);
    unlink(log);
    ck_assert_msg(s->count > 0, "%s: no allocation counted", s->c->what);
    for (int i = 0; s->c->outputs[i]; i++) {
        char *p = path_join(s->dir, s->c->outputs[i]);
        s->ref_files[i] = read_file_n(p, &s->ref_len[i]);
        ck_assert_msg(s->ref_files[i] != NULL, "%s: %s not written", s->c->what, s->c->outputs[i]);
        free(p);
    }
}

static const char *const old_text = "old contents\n";

/* Is every name of a listing an output of the case or its program? */
static int only_known(const Sweep *s, const char *names) {
    while (*names) {
        const char *end = strchr(names, '\n');
        size_t len = (size_t)(end - names);
        int known = len == 7 && strncmp(names, "prog.sd", 7) == 0;
        for (int i = 0; s->c->outputs[i] && !known; i++)
            known = strlen(s->c->outputs[i]) == len && strncmp(names, s->c->outputs[i], len) == 0;
        if (!known)
            return 0;
        names = end + 1;
    }
    return 1;
}

/* Checks one run with allocation n failing (and, with `after`, every one
 * after it); with `existing`, the outputs exist beforehand. */
static void check_one(const Sweep *s, unsigned long n, int after, int existing) {
    prepare(s);
    for (int i = 0; existing && s->c->outputs[i]; i++) {
        char *p = path_join(s->dir, s->c->outputs[i]);
        write_file(p, old_text);
        free(p);
    }
    char *before = listing(s->dir);
    set_failure(n, after);
    Run r;
    run_case(s, NULL, NULL, &r);
    const char *what = s->c->what;
    ck_assert_msg(r.status < 128, "%s: allocation %lu%s failing: killed by signal %d; stderr: %s", what, n,
                  after ? " and later ones" : "", r.status - 128, r.err);
    int same = r.status == s->ref.status && r.outlen == s->ref.outlen &&
               memcmp(r.out, s->ref.out, r.outlen) == 0 && strcmp(r.err, s->ref.err) == 0;
    if (!same) {
        ck_assert_msg(r.status == 1 && strstr(r.err, "out of memory") != NULL,
                      "%s: allocation %lu failing: status %d (normally %d), stderr:\n%s\nnormally:\n%s", what,
                      n, r.status, s->ref.status, r.err, s->ref.err);
        ck_assert_msg(r.outlen == 0, "%s: allocation %lu failing: output on failure: %s", what, n, r.out);
    }
    /* the files: all new (as in the reference run), or all as they were */
    char *now = listing(s->dir);
    int written = s->c->outputs[0] && r.status == 0;
    if (!written)
        ck_assert_msg(strcmp(now, before) == 0, "%s: allocation %lu failing left\n%swhere there was\n%s", what,
                      n, now, before);
    for (int i = 0; s->c->outputs[i]; i++) {
        char *p = path_join(s->dir, s->c->outputs[i]);
        size_t len = 0;
        char *got = read_file_n(p, &len);
        if (written)
            ck_assert_msg(got && len == s->ref_len[i] && memcmp(got, s->ref_files[i], len) == 0,
                          "%s: allocation %lu failing: %s differs", what, n, s->c->outputs[i]);
        else if (existing)
            ck_assert_msg(got && strcmp(got, old_text) == 0, "%s: allocation %lu failing changed %s", what, n,
                          s->c->outputs[i]);
        else
            ck_assert_msg(got == NULL, "%s: allocation %lu failing left %s", what, n, s->c->outputs[i]);
        free(got);
        free(p);
    }
    if (written)
        ck_assert_msg(only_known(s, now), "%s: allocation %lu failing left a stray file:\n%s", what, n, now);
    free(now);
    free(before);
    run_free(&r);
}

static int full_sweep(void) { return getenv("SYMDIFF_OOM_FULL") && *getenv("SYMDIFF_OOM_FULL") == '1'; }

/* Every N from 1 to the count (with SYMDIFF_OOM_FULL=1), else all of the
 * first 64 and about 150 more spread evenly. */
START_TEST(test_oom_sweep) {
    Sweep s;
    sweep_init(&s, &cases[_i]);
    reference(&s);
    int full = full_sweep();
    if (full)
        printf("oom: %-18s %5lu allocations, each made to fail\n", s.c->what, s.count);
    unsigned long stride = full || s.count <= 214 ? 1 : (s.count - 64) / 150 + 1;
    int has_outputs = s.c->outputs[0] != NULL;
    for (unsigned long n = 1; n <= s.count; n++)
        if (n <= 64 || (n - 64) % stride == 0 || n == s.count)
            check_one(&s, n, 0, has_outputs && n % 2 == 1);
    /* memory that stays exhausted: every call from the n-th on fails */
    unsigned long step = full ? 1 : s.count / 24 + 1;
    for (unsigned long n = 1; n <= s.count; n += step)
        check_one(&s, n, 1, has_outputs && n % 2 == 0);
    sweep_free(&s);
}
END_TEST

/* A sample of the failures under valgrind: no leak, no invalid access on
 * the way out (SYMDIFF_OOM_VALGRIND=1, from `make oom`). */
START_TEST(test_oom_valgrind) {
    static const char *const vg[] = {"-q", "--leak-check=full", "--errors-for-leak-kinds=all",
                                     "--error-exitcode=99",
                                     /* leave the preloaded malloc alone: it calls glibc's,
                                      * which valgrind replaces */
                                     "--soname-synonyms=somalloc=nosuchlib.so", NULL};
    Sweep s;
    sweep_init(&s, &cases[_i]);
    reference(&s);
    unsigned long step = s.count / 12 + 1;
    for (unsigned long n = 1; n <= s.count; n += step) {
        prepare(&s);
        set_failure(n, n % 3 == 0);
        setenv("SYMDIFF_FAIL_ONLY", "symdiff", 1); /* not in valgrind's launcher */
        Run r;
        run_case(&s, "/usr/bin/valgrind", vg, &r);
        ck_assert_msg(r.status != 99, "%s: allocation %lu failing: valgrind reports:\n%s", s.c->what, n, r.err);
        ck_assert_msg(r.status < 128, "%s: allocation %lu failing: signal %d", s.c->what, n, r.status - 128);
        ck_assert_msg(r.status == s.ref.status || strstr(r.err, "out of memory"),
                      "%s: allocation %lu failing: status %d: %s", s.c->what, n, r.status, r.err);
        run_free(&r);
    }
    sweep_free(&s);
}
END_TEST

/* Under `ulimit -v 1048576` (1 GiB of address space) a program whose
 * Hessian does not fit reports it; nothing is killed. */
START_TEST(test_oom_ulimit) {
    char dir[] = "/tmp/symdiff-ulimit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *prog = path_join(dir, "wide.sd");
    FILE *f = fopen(prog, "wb");
    ck_assert_ptr_nonnull(f);
    /* 12000 variables: a 12000 x 12000 Hessian needs 1.15 GB of pointers */
    for (int i = 0; i < 12000; i++)
        fprintf(f, "%sx%d", i ? " + " : "", i);
    ck_assert_int_eq(fclose(f), 0);
    const char *args[] = {"-c", "ulimit -v 1048576 && exec \"$0\" --hessian -f \"$1\"", symdiff_path(), prog,
                          NULL};
    Run r;
    run_program("/bin/sh", args, NULL, 0, &r);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.err, "symdiff: error: out of memory\n");
    ck_assert_int_eq(r.outlen, 0);
    run_free(&r);
    unlink(prog);
    free(prog);
    rmdir(dir);
}
END_TEST

Suite *oom_suite(void); /* called by tests/runner.c */

Suite *oom_suite(void) {
    Suite *s = suite_create("oom");
    /* the preloaded allocator and a 1 GiB address space do not go with
     * AddressSanitizer: its runtime must be loaded first and reserves
     * terabytes of shadow memory */
    const char *build = getenv("BUILD");
    if (build && strstr(build, "asan"))
        return s;
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, full_sweep() ? 3600 : 120);
    tcase_add_loop_test(tc, test_oom_sweep, 0, NCASES);
    tcase_add_test(tc, test_oom_ulimit);
    suite_add_tcase(s, tc);
    const char *vg = getenv("SYMDIFF_OOM_VALGRIND");
    if (vg && *vg == '1' && access("/usr/bin/valgrind", X_OK) == 0) {
        tc = tcase_create("valgrind");
        tcase_set_timeout(tc, 3600);
        tcase_add_loop_test(tc, test_oom_valgrind, 0, NCASES);
        suite_add_tcase(s, tc);
    }
    return s;
}
