/* SPDX-License-Identifier: MIT */
/*
 * check_gencode.c — the generated C, compiled and run: a property test of
 * `symdiff -o kN.c --name kN` on random programs.
 *
 * The programs come from tests/fuzz/exprgen.c (the differential fuzzer's
 * generator: x, y, z, every built-in function and spelling, named
 * statements, whitespace and comments).  For double and for float:
 *   1. the binary turns each program into kN.c and kN.h (--vars x,y,z),
 *      with hostile names: the variables renamed after the generated
 *      code's own names (the size macros, the include guard, the kernel
 *      itself, C and C++ keywords, the arguments and locals of kernels),
 *      the kernels called like kernels' arguments and locals (--name x,
 *      --name work, ...);
 *      a program it rejects is rejected with exit status 1 and a message,
 *      never a crash, and exactly when the library rejects it too; one
 *      with an undefined constant (the generator knows) is always rejected;
 *   2. one driver includes every header and calls kN and kN_grad at random
 *      points written into it as literals; the kernels and the driver
 *      compile in one compiler run, warning-free with -std=c99 -Wall
 *      -Wextra -Wpedantic -Werror -O2 (float adds -Wdouble-promotion),
 *      under gcc and, when it is installed, clang (the two run side by
 *      side).  A kernel that does not compile is reported and left out,
 *      so that the others are still checked;
 *   3. the values the driver prints (kN's, and what kN_grad returns) agree
 *      with the library's evaluator on the same program, lowered and
 *      differentiated in process as the command line does, and with the
 *      generator's long double value of the program as written; the
 *      gradients agree with the evaluator's gradient.
 * The tolerances follow the generator's bound on the error of a double
 * evaluation (scaled to float's precision for float).  Points are drawn
 * again (a few times) where the program is undefined or extreme; points
 * where it still is, or where it is at a kink or too ill-conditioned to
 * say, are skipped and counted, and the test asserts that most points were
 * compared.
 *
 * Then single kernels: programs whose kernels did not compile give
 * kernels that compile (or, for a constant a float cannot hold, a refusal
 * with a message), and a float kernel stays in float's range where the
 * function does.
 *
 * SYMDIFF_GENCODE_N: the number of programs (default 160);
 * SYMDIFF_GENCODE_SEED: the first program of the sequence (default 0);
 * the programs that found bugs are run besides (found[] below).
 * SYMDIFF_TEST_STATS=1: print the counts.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codegen_common.h"
#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "fuzz/exprgen.h"
#include "lower.h"
#include "parse.h"
#include "testrun.h"
#include "testutil.h"

enum {
    DEFAULT_PROGRAMS = 160,
    NPOINTS = 4,   /* points per program                        */
    NDRAWS = 8,    /* draws for a point where the program is defined */
    NBYTES = 160,  /* generator bytes per program               */
    DEPTH = 5,     /* nesting of the final expression           */
    NCC = 2,       /* gcc, clang                                */
    MAX_REPORTS = 12
};

static const char *const compilers[NCC] = {"gcc", "clang"};

/* One program and what is known about it at its points. */
typedef struct Case {
    int id;                            /* the kernel is k<id>                  */
    uint8_t bytes[NBYTES];             /* the generator reads them to print    */
    Gen gen;
    StrBuf text;
    int accepted;
    int extreme;                       /* a draw had values beyond 1e15 or
                                          below 1e-15 (so may a constant
                                          beyond float's range)                */
    int broken[NCC];                   /* the kernel does not compile          */
    double at[NPOINTS][GEN_NVARS];     /* as the kernel gets them              */
    GenValue ref[NPOINTS];             /* the generator's reference            */
    double value[NPOINTS];             /* the library's evaluator              */
    double grad[NPOINTS][GEN_NVARS];
    char name[40];                     /* --name                               */
    char vars[GEN_NVARS][40];          /* x, y and z renamed                   */
} Case;

/* What one compiler's kernels compared and skipped. */
typedef struct Tally {
    int points;                        /* at programs accepted and compiled */
    int compared;                      /* values compared                   */
    int undefined, extreme, kink, ill; /* skipped, by the first reason      */
    int identical;                     /* kernel value == evaluator's, bits */
    int grads, grads_identical, grads_nonfinite;
    double worst_value, worst_grad;    /* largest |got - want| / tolerance  */
    int failures;
    StrBuf report;
} Tally;

/* --- files and processes ---------------------------------------------------------- */

/* Made and removed by the runner's process, so that it goes even when a
 * test fails; each test works in a directory of its own inside it. */
static char scratch[256];

static void scratch_make(void) {
    const char *build = getenv("BUILD");
    snprintf(scratch, sizeof scratch, "%s/symdiff-gencode-XXXXXX", build && *build ? build : "/tmp");
    if (!mkdtemp(scratch))
        scratch[0] = '\0';
}

static void scratch_remove(void) {
    if (scratch[0])
        remove_tree(scratch);
}

/* A new directory `name` in the scratch directory (malloc'd). */
static char *work_dir(const char *name) {
    ck_assert_msg(scratch[0], "no scratch directory");
    char *dir = path_join(scratch, name);
    ck_assert_msg(mkdir(dir, 0700) == 0, "cannot create %s", dir);
    return dir;
}

/* Runs a shell command; its output is in r. */
static void shell(Run *r, const char *cmd) {
    const char *args[] = {"-c", cmd, NULL};
    run_program("/bin/sh", args, NULL, 0, r);
}

static int have(const char *program) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s || exit 1", program); /* (127 would mean no shell) */
    Run r;
    shell(&r, cmd);
    int found = r.status == 0;
    run_free(&r);
    return found;
}

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int env_int(const char *name, int fallback) {
    const char *s = getenv(name);
    return s && *s ? atoi(s) : fallback;
}

/* The compiler command for the kernels of dir: `-o driver-CC` from
 * driver-CC.c and the sources listed. */
static void compile_command(StrBuf *cmd, const char *cc, int use_float, const StrBuf *sources) {
    sb_printf(cmd, "%s -std=c99 -O2 -pipe -Wall -Wextra -Wpedantic -Werror%s -o driver-%s driver-%s.c%s -lm", cc,
              use_float ? " -Wdouble-promotion" : "", cc, cc, sb_str(sources));
}

/* --- programs and points -------------------------------------------------------- */

/* splitmix64 */
static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Points alternate between [-2, 2]^3 and the positive [0.05, 2]^3, where
 * logarithms and roots are defined; a point where the program is
 * undefined or extreme is drawn again, up to NDRAWS times.  Float kernels
 * get the points rounded to float, and the references are taken there. */
static void choose_points(Case *c, uint64_t *s, int use_float) {
    for (int p = 0; p < NPOINTS; p++)
        for (int draw = 0; draw < NDRAWS; draw++) {
            long double point[GEN_NVARS];
            for (int v = 0; v < GEN_NVARS; v++) {
                double u = (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
                double x = p % 2 ? 0.05 + 1.95 * u : -2 + 4 * u;
                c->at[p][v] = use_float ? (double)(float)x : x;
                point[v] = c->at[p][v];
            }
            GenValue *r = &c->ref[p];
            *r = gen_eval(&c->gen, point);
            c->extreme |= r->extreme;
            if (isfinite(r->v) && !r->part_undefined && !r->def_undefined && !r->extreme && !r->out_of_range)
                break;
        }
}

/* Lowers the program as `symdiff --vars x,y,z` does, differentiates it
 * (the domain assumed, the mode chosen automatically) and evaluates the
 * value and the gradient at the case's points.  0, or -1 when the library
 * rejects the program (its diagnostics appended to errors). */
static int evaluate(Case *c, StrBuf *errors) {
    Source src = {"<gen>", sb_str(&c->text), c->text.len};
    Diag diag;
    diag_init(&diag, &src);
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, &diag);
    ck_assert_msg(ast != NULL, "a generated program does not parse:\n%s\n%s", sb_str(&c->text),
                  sb_str(&diag.out));
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Program prog;
    const char *names[GEN_NVARS];
    for (int v = 0; v < GEN_NVARS; v++)
        names[v] = c->vars[v];
    LowerOptions opt = {.vars = names, .nvars = GEN_NVARS};
    int ok = lower_program(g, ast, &diag, &opt, &prog) == 0;
    if (ok) {
        ck_assert(!prog.is_vector);
        int vars[GEN_NVARS];
        for (int v = 0; v < GEN_NVARS; v++) {
            vars[v] = graph_find_var(g, c->vars[v]);
            ck_assert_int_eq(vars[v], v); /* --vars x,y,z: the point's order */
        }
        DerivOptions dopt = {.assume_domain = 1, .domain = prog.outputs, .ndomain = 1};
        Node *grad[GEN_NVARS];
        ck_assert_int_eq(deriv_gradient(g, prog.outputs[0], vars, GEN_NVARS, &dopt, grad, NULL), 0);
        for (int p = 0; p < NPOINTS; p++) {
            c->value[p] = eval_node(g, prog.outputs[0], c->at[p]);
            for (int v = 0; v < GEN_NVARS; v++)
                c->grad[p][v] = eval_node(g, grad[v], c->at[p]);
        }
        program_free(&prog);
    }
    sb_puts(errors, sb_str(&diag.out));
    graph_free(g);
    ast_arena_free(&arena);
    diag_free(&diag);
    return ok ? 0 : -1;
}

/* --- hostile names ---------------------------------------------------------------- */

/* Kernel names: what a kernel's arguments, locals and macros are called.
 * The first cases of a run take them in turn, the others k<id>.  They
 * share one translation unit, so no two of them differ in case only (the
 * size macros are the name in capitals). */
static const char *const kernel_names[] = {"x",   "y",   "z",   "input", "grad", "J",    "H",     "work",
                                           "value", "t0", "e0", "i",     "q",    "s",    "m",     "f",
                                           "d0",  "a0",  "dx0", "ax0",   "nvars", "NOUT", "inf"};

/* Variable names: the header's macros and guard, keywords, arguments
 * (KERNEL, kernel and kernel_H stand for the case's own names). */
static const char *const var_names[] = {"work",  "w",      "W",     "h",      "H",     "nvars", "NVARS",
                                        "ninputs", "nout",  "x",     "y",      "z",     "J",     "grad",
                                        "input_", "int",    "double", "return", "restrict", "class", "t0",
                                        "i",     "f",      "F",     "f_H",    "KERNEL", "kernel", "kernel_H"};

static void choose_names(Case *c, int index, uint64_t *s) {
    int nk = (int)(sizeof kernel_names / sizeof *kernel_names);
    if (index < nk)
        snprintf(c->name, sizeof c->name, "%s", kernel_names[index]);
    else
        snprintf(c->name, sizeof c->name, "k%d", c->id);
    ck_assert_msg(codegen_name_problem(c->name) == NULL, "--name %s is refused", c->name);
    int nv = (int)(sizeof var_names / sizeof *var_names), taken[GEN_NVARS];
    for (int v = 0; v < GEN_NVARS; v++) {
        int k, fresh;
        do {
            k = (int)(rng_next(s) % (uint64_t)nv);
            fresh = 1;
            for (int u = 0; u < v; u++)
                fresh &= taken[u] != k;
        } while (!fresh);
        taken[v] = k;
        const char *n = var_names[k];
        if (strcmp(n, "kernel") == 0)
            snprintf(c->vars[v], sizeof c->vars[v], "%s", c->name);
        else if (strcmp(n, "KERNEL") == 0)
            codegen_macro_prefix(c->vars[v], sizeof c->vars[v], c->name);
        else if (strcmp(n, "kernel_H") == 0)
            snprintf(c->vars[v], sizeof c->vars[v], "%.30s_H", c->name);
        else
            snprintf(c->vars[v], sizeof c->vars[v], "%s", n);
    }
    /* KERNEL and kernel coincide for an upper-case kernel name */
    for (int v = 1; v < GEN_NVARS; v++)
        for (int u = 0; u < v; u++)
            if (strcmp(c->vars[u], c->vars[v]) == 0) {
                size_t len = strlen(c->vars[v]);
                snprintf(c->vars[v] + len, sizeof c->vars[v] - len, "_%d", v);
            }
}

/* The program text with the variables x, y and z renamed: identifiers
 * only, numbers (2x, 1e5) and comments left as they are. */
static void rename_vars(const char *text, const Case *c, StrBuf *out) {
    for (const char *p = text; *p;) {
        if (*p == '#') {
            while (*p && *p != '\n')
                sb_putc(out, *p++);
        } else if ((*p >= '0' && *p <= '9') || *p == '.') {
            while ((*p >= '0' && *p <= '9') || *p == '.')
                sb_putc(out, *p++);
            if ((*p == 'e' || *p == 'E') &&
                ((p[1] >= '0' && p[1] <= '9') || ((p[1] == '+' || p[1] == '-') && p[2] >= '0' && p[2] <= '9'))) {
                sb_putc(out, *p++);
                sb_putc(out, *p++);
                while (*p >= '0' && *p <= '9')
                    sb_putc(out, *p++);
            }
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            const char *e = p;
            while (isalnum((unsigned char)*e) || *e == '_')
                e++;
            int v = -1;
            for (int k = 0; k < GEN_NVARS; k++)
                if ((size_t)(e - p) == strlen(gen_var_names[k]) && !strncmp(p, gen_var_names[k], (size_t)(e - p)))
                    v = k;
            if (v >= 0)
                sb_puts(out, c->vars[v]);
            else
                sb_putn(out, p, (size_t)(e - p));
            p = e;
        } else {
            sb_putc(out, *p++);
        }
    }
}

/* Generates program `id`, has the binary make kernel c->name of it in
 * dir (files k<id>.c and k<id>.h), and takes the references.  Returns 1
 * when the program was accepted. */
static int make_case(Case *c, int id, int index, const char *dir, int use_float) {
    memset(c, 0, sizeof *c);
    c->id = id;
    uint64_t s = 0x6e6c0de000000000ull + (uint64_t)id;
    for (int i = 0; i < NBYTES; i++)
        c->bytes[i] = (uint8_t)(rng_next(&s) >> 56);
    gen_program(&c->gen, c->bytes, NBYTES, DEPTH);
    StrBuf printed;
    sb_init(&printed);
    gen_print(&c->gen, &printed);
    ck_assert(!printed.failed);
    choose_points(c, &s, use_float);
    choose_names(c, index, &s);
    sb_init(&c->text);
    rename_vars(sb_str(&printed), c, &c->text);
    sb_free(&printed);
    ck_assert(!c->text.failed);

    char file[32], vars[3 * 40 + 3];
    snprintf(file, sizeof file, "p%d.sd", id);
    char *prog = path_join(dir, file);
    snprintf(file, sizeof file, "k%d.c", id);
    char *out = path_join(dir, file);
    snprintf(vars, sizeof vars, "%s,%s,%s", c->vars[0], c->vars[1], c->vars[2]);
    write_file(prog, sb_str(&c->text));
    const char *args[] = {"-f", prog, "-o", out, "--name", c->name, "--vars", vars,
                          use_float ? "--type" : NULL, "float", NULL};
    Run r;
    run(args, NULL, &r);
    StrBuf errors;
    sb_init(&errors);
    int lib = evaluate(c, &errors);
    ck_assert_msg(r.status == 0 || r.status == 1, "program %d: symdiff exits with %d:\n%s\n%s", id, r.status,
                  sb_str(&c->text), r.err);
    ck_assert_msg(r.status == 1 || !c->ref[0].const_undefined,
                  "program %d has an undefined constant, and is accepted:\n%s", id, sb_str(&c->text));
    ck_assert_msg(r.status == 0 || strstr(r.err, "error") != NULL, "program %d is rejected without a message:\n%s",
                  id, sb_str(&c->text));
    /* a program is refused for a domain error only where the generator
     * sees one: in a constant, or in a part that simplifies to a constant
     * (log(x - x)), and then the program is undefined, or too close to
     * undefined to say, at every point */
    int undefined = 1;
    for (int p = 0; p < NPOINTS; p++) {
        const GenValue *v = &c->ref[p];
        undefined &= !isfinite(v->v) || !isfinite(v->err) || v->def_undefined || v->part_undefined;
    }
    undefined |= c->ref[0].const_undefined || c->ref[0].const_tiny;
    /* a float kernel may refuse a constant beyond float's range */
    int float_range = use_float && c->extreme && r.status == 1;
    /* valgrind computes long double in double precision: the generator's
     * view of what is defined is not exact there (make valgrind sets this) */
    int ld_inexact = getenv("SYMDIFF_VALGRIND") != NULL;
    ck_assert_msg(r.status == 0 || undefined || float_range || ld_inexact,
                  "program %d is rejected, but the generator finds it defined:\n%s\n%s", id, sb_str(&c->text),
                  r.err);
    ck_assert_msg((r.status == 0) == (lib == 0) || float_range,
                  "program %d: symdiff %s it, the library %s it:\n%s\n%s%s", id, r.status ? "rejects" : "accepts",
                  lib ? "rejects" : "accepts", sb_str(&c->text), r.err, sb_str(&errors));
    c->accepted = r.status == 0;
    run_free(&r);
    sb_free(&errors);
    free(prog);
    free(out);
    return c->accepted;
}

/* --- the driver ------------------------------------------------------------------ */

/* driver-CC.c: every kernel accepted and not broken under compiler k, with
 * its points; prints, per kernel and point, "id p f(at) f_grad(at, g) g[0]
 * g[1] g[2]".  The kernels' sources are listed in *sources. */
static void write_driver(const char *dir, const Case *cases, int n, int k, int use_float, StrBuf *sources) {
    const char *T = use_float ? "float" : "double";
    StrBuf d;
    sb_init(&d);
    sb_clear(sources);
    sb_puts(&d, "#include <stdio.h>\n\n");
    for (int i = 0; i < n; i++)
        if (cases[i].accepted && !cases[i].broken[k]) {
            sb_printf(&d, "#include \"k%d.h\"\n", cases[i].id);
            sb_printf(sources, " k%d.c", cases[i].id);
        }
    sb_printf(&d,
              "\ntypedef %s T;\n\n"
              "static const struct {\n"
              "    int id;\n"
              "    T (*f)(const T *x);\n"
              "    T (*grad)(const T *x, T *grad);\n"
              "    T at[%d][3];\n"
              "} kernels[] = {\n",
              T, NPOINTS);
    int any = 0;
    for (int i = 0; i < n; i++) {
        const Case *c = &cases[i];
        if (!c->accepted || c->broken[k])
            continue;
        any = 1;
        sb_printf(&d, "    {%d, %s, %s_grad, {", c->id, c->name, c->name);
        for (int p = 0; p < NPOINTS; p++) {
            sb_puts(&d, p ? ", {" : "{");
            for (int v = 0; v < GEN_NVARS; v++)
                sb_printf(&d, use_float ? "%s%.9ef" : "%s%.17e", v ? ", " : "", c->at[p][v]);
            sb_puts(&d, "}");
        }
        sb_puts(&d, "}},\n");
    }
    ck_assert_msg(any, "no kernel to call");
    sb_printf(&d, "};\n\n"
                  "static void show(T v)\n{\n    printf(\" %%.17g\", (double)v);\n}\n\n"
                  "int main(void)\n{\n"
                  "    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)\n"
                  "        for (int p = 0; p < %d; p++) {\n"
                  "            T g[3];\n"
                  "            printf(\"%%d %%d\", kernels[i].id, p);\n"
                  "            show(kernels[i].f(kernels[i].at[p]));\n"
                  "            show(kernels[i].grad(kernels[i].at[p], g));\n"
                  "            show(g[0]);\n            show(g[1]);\n            show(g[2]);\n"
                  "            printf(\"\\n\");\n"
                  "        }\n"
                  "    return 0;\n}\n",
              NPOINTS);
    ck_assert(!d.failed && !sources->failed);
    char name[32];
    snprintf(name, sizeof name, "driver-%s.c", compilers[k]);
    char *path = path_join(dir, name);
    write_file(path, sb_str(&d));
    free(path);
    sb_free(&d);
}

/* --- comparing ------------------------------------------------------------------- */

static void disagree(Tally *t, const Case *c, int p, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void disagree(Tally *t, const Case *c, int p, const char *fmt, ...) {
    if (t->failures++ >= MAX_REPORTS)
        return;
    if (p >= 0)
        sb_printf(&t->report, "program %d at x=%.17g, y=%.17g, z=%.17g: ", c->id, c->at[p][0], c->at[p][1],
                  c->at[p][2]);
    else
        sb_printf(&t->report, "program %d: ", c->id);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&t->report, fmt, ap);
    va_end(ap);
    sb_printf(&t->report, "\n    %s\n", sb_str(&c->text));
}

static double ratio(double diff, double tol) { return tol > 0 ? diff / tol : diff > 0 ? INFINITY : 0; }

/* Checks one line of the driver's output: the kernel's value (twice) and
 * gradient at point p of c. */
static void compare(Tally *t, const Case *c, int p, const double *got, int use_float) {
    const GenValue *ref = &c->ref[p];
    double want = c->value[p];
    t->points++;
    if (ref->part_undefined || ref->def_undefined || !isfinite(ref->v) || !isfinite(want)) {
        t->undefined++;
        return;
    }
    if (ref->extreme || ref->out_of_range) {
        t->extreme++;
        return;
    }
    if (ref->at_kink) {
        t->kink++;
        return;
    }
    /* the generator's bound on the error of a double evaluation, and the
     * same at float's precision (2^29 times as coarse); a bound as large
     * as the value does not even fix its sign */
    double err = (double)ref->err, scale = fabs(want);
    if (use_float)
        err *= 0x1p29;
    if (!isfinite(err) || (err > 0 && err >= (use_float ? 1e-3 : 1.0) * scale)) {
        t->ill++;
        return;
    }
    t->compared++;
    double eps = use_float ? FLT_EPSILON : DBL_EPSILON;
    double tol = (use_float ? 8 * eps : 1e-9) * scale + 16 * err + 1e-300;
    const char *what[2] = {"the value", "the value f_grad returns"};
    for (int k = 0; k < 2; k++) {
        double diff = fabs(got[k] - want);
        if (diff == 0 && k == 0)
            t->identical++;
        if (ratio(diff, tol) > t->worst_value)
            t->worst_value = ratio(diff, tol);
        if (!(diff <= tol))
            disagree(t, c, p, "%s is %.17g, the evaluator's %.17g (tolerance %.3g)", what[k], got[k], want, tol);
    }
    /* and the program as written, within the bound the differential
     * fuzzer allows the evaluator */
    double ltol = 1024 * err + 8 * eps * scale + 1e-300;
    if (!(fabs(got[0] - (double)ref->v) <= ltol))
        disagree(t, c, p, "the value is %.17g, the program as written %.17Lg (tolerance %.3g)", got[0], ref->v,
                 ltol);
    for (int v = 0; v < GEN_NVARS; v++) {
        double g = got[2 + v], w = c->grad[p][v];
        if (!isfinite(w)) {
            t->grads_nonfinite++;
            continue;
        }
        t->grads++;
        double gtol = (use_float ? 1e-3 : 1e-9) * fmax(1, fabs(w));
        double diff = fabs(g - w);
        if (diff == 0)
            t->grads_identical++;
        if (ratio(diff, gtol) > t->worst_grad)
            t->worst_grad = ratio(diff, gtol);
        if (!(diff <= gtol))
            disagree(t, c, p, "d/d%s is %.17g, the evaluator's %.17g", c->vars[v], g, w);
    }
}

/* Marks the kernels a compiler's messages name (k<id>.c, k<id>.h) as
 * broken under compiler k.  Returns how many it marked. */
static int mark_broken(Case *cases, int n, int k, const char *log) {
    int marked = 0;
    for (const char *s = log; (s = strchr(s, 'k')) != NULL; s++) {
        if (s > log && (isalnum((unsigned char)s[-1]) || s[-1] == '_'))
            continue;
        char *end;
        long id = strtol(s + 1, &end, 10);
        if (end == s + 1 || !isdigit((unsigned char)s[1]) || end[0] != '.' || (end[1] != 'c' && end[1] != 'h') ||
            end[2] != ':')
            continue;
        for (int i = 0; i < n; i++)
            if (cases[i].id == id && cases[i].accepted && !cases[i].broken[k]) {
                cases[i].broken[k] = 1;
                marked++;
            }
    }
    return marked;
}

/* Compiles each driver with its kernels, the compilers side by side.
 * Kernels that do not compile cleanly are reported and marked broken, and
 * the driver is compiled again without them (once). */
static void compile_all(const char *dir, Case *cases, int n, const int *use_cc, int use_float, Tally *t) {
    const char *type = use_float ? "float" : "double";
    int pending[NCC];
    memcpy(pending, use_cc, sizeof pending);
    StrBuf cmd, sources;
    sb_init(&cmd);
    sb_init(&sources);
    for (int round = 0; round < 2; round++) {
        sb_clear(&cmd);
        sb_printf(&cmd, "cd '%s' || exit 1;", dir);
        for (int k = 0; k < NCC; k++) {
            if (!pending[k])
                continue;
            write_driver(dir, cases, n, k, use_float, &sources);
            sb_puts(&cmd, " { ");
            compile_command(&cmd, compilers[k], use_float, &sources);
            sb_printf(&cmd, " > cc-%s.txt 2>&1; echo $? > cc-%s.status; } &", compilers[k], compilers[k]);
        }
        sb_puts(&cmd, " wait");
        ck_assert(!cmd.failed && !sources.failed);
        Run r;
        shell(&r, sb_str(&cmd));
        run_free(&r);
        for (int k = 0; k < NCC; k++) {
            if (!pending[k])
                continue;
            char name[32];
            snprintf(name, sizeof name, "cc-%s.status", compilers[k]);
            char *path = path_join(dir, name), *status = read_file(path);
            free(path);
            snprintf(name, sizeof name, "cc-%s.txt", compilers[k]);
            path = path_join(dir, name);
            char *log = read_file(path);
            free(path);
            ck_assert_msg(status && log, "%s did not run", compilers[k]);
            pending[k] = atoi(status) != 0 || *log;
            if (pending[k]) {
                fprintf(stderr, "check_gencode: %s, %s kernels:\n%.8000s", compilers[k], type, log);
                int marked = round == 0 ? mark_broken(cases, n, k, log) : 0;
                ck_assert_msg(marked > 0, "%s does not compile the %s driver%s:\n%.3000s", compilers[k], type,
                              round ? " even without the kernels it does not compile" : "", log);
                for (int i = 0; i < n; i++)
                    if (cases[i].broken[k])
                        disagree(&t[k], &cases[i], -1, "%s does not compile the %s kernel cleanly (the messages "
                                 "are above)", compilers[k], type);
            }
            free(status);
            free(log);
        }
    }
    sb_free(&cmd);
    sb_free(&sources);
}

/* Runs compiler k's driver and compares every line it prints. */
static void run_driver(const char *dir, const Case *cases, int n, int k, int use_float, Tally *t) {
    char name[32];
    snprintf(name, sizeof name, "driver-%s", compilers[k]);
    char *driver = path_join(dir, name);
    const char *none[] = {NULL};
    Run r;
    run_program(driver, none, NULL, 0, &r);
    free(driver);
    ck_assert_msg(r.status == 0, "the %s driver exits with %d: %s", compilers[k], r.status, r.err);
    int lines = 0, want = 0;
    for (int i = 0; i < n; i++)
        want += cases[i].accepted && !cases[i].broken[k] ? NPOINTS : 0;
    const char *line = r.out;
    while (*line) {
        int id, p, used = 0;
        ck_assert_int_eq(sscanf(line, "%d %d%n", &id, &p, &used), 2);
        int i = 0;
        while (i < n && cases[i].id != id)
            i++;
        ck_assert_msg(i < n && cases[i].accepted && p >= 0 && p < NPOINTS, "unexpected line: %.80s", line);
        char *end = (char *)line + used;
        double got[5];
        for (int j = 0; j < 5; j++) {
            const char *start = end;
            got[j] = strtod(start, &end);
            ck_assert_msg(end != start, "unreadable line: %.200s", line);
        }
        compare(t, &cases[i], p, got, use_float);
        lines++;
        line = strchr(line, '\n');
        ck_assert_ptr_nonnull(line);
        line++;
    }
    ck_assert_int_eq(lines, want);
    run_free(&r);
}

static void print_tally(const char *cc, int use_float, const Tally *t) {
    fprintf(stderr,
            "gencode %s %s: %d points, %d compared (%d bit-identical), skipped %d undefined, %d extreme, "
            "%d at a kink, %d ill-conditioned; %d derivatives compared (%d bit-identical; %d not finite in "
            "the evaluator, skipped); worst error / tolerance: value %.3g, derivative %.3g\n",
            cc, use_float ? "float" : "double", t->points, t->compared, t->identical, t->undefined, t->extreme,
            t->kink, t->ill, t->grads, t->grads_identical, t->grads_nonfinite, t->worst_value, t->worst_grad);
}

/* --- the tests --------------------------------------------------------------------- */

/* Programs of the sequence that found bugs: always run. */
static const int found[] = {
    81,   /* float: a constant beyond float's range written as "inff" */
    1544, /* the same */
    1655, /* float: distributed powers overflow where the program does not */
    5140, /* a temporary used before it is declared */
};

START_TEST(test_kernels) {
    int use_float = _i;
    const char *type = use_float ? "float" : "double";
    char *dir = work_dir(type);
    int count = env_int("SYMDIFF_GENCODE_N", DEFAULT_PROGRAMS), first = env_int("SYMDIFF_GENCODE_SEED", 0);
    ck_assert_int_gt(count, 0);
    int nfound = (int)(sizeof found / sizeof *found), n = 0;
    Case *cases = calloc((size_t)(count + nfound), sizeof *cases);
    ck_assert_ptr_nonnull(cases);
    int accepted = 0, undefined_constants = 0;
    double t0 = seconds();
    for (int i = 0; i < count + nfound; i++) {
        int id = i < count ? first + i : found[i - count];
        if (i >= count && id >= first && id < first + count)
            continue; /* already there */
        accepted += make_case(&cases[n], id, n, dir, use_float);
        undefined_constants += cases[n++].ref[0].const_undefined;
    }
    ck_assert_int_gt(accepted, 0);
    int stats = getenv("SYMDIFF_TEST_STATS") != NULL;
    if (stats)
        fprintf(stderr, "gencode %s: %d programs, %d accepted, %d rejected (%d with an undefined constant)\n", type,
                n, accepted, n - accepted, undefined_constants);

    int use_cc[NCC] = {1, have("clang")};
    ck_assert_msg(have("gcc"), "gcc is not installed");
    if (!use_cc[1])
        fprintf(stderr, "check_gencode: clang is not installed; the %s kernels are compiled with gcc only\n", type);
    Tally t[NCC];
    memset(t, 0, sizeof t);
    for (int k = 0; k < NCC; k++)
        sb_init(&t[k].report);
    double t1 = seconds();
    compile_all(dir, cases, n, use_cc, use_float, t);
    double t2 = seconds();
    for (int k = 0; k < NCC; k++) {
        if (!use_cc[k])
            continue;
        run_driver(dir, cases, n, k, use_float, &t[k]);
        if (stats)
            print_tally(compilers[k], use_float, &t[k]);
    }
    if (stats)
        fprintf(stderr, "gencode %s: %.1f s making the kernels, %.1f s compiling, %.1f s running and comparing\n",
                type, t1 - t0, t2 - t1, seconds() - t2);
    for (int k = 0; k < NCC; k++) {
        if (!use_cc[k])
            continue;
        ck_assert_msg(t[k].failures == 0, "%s, %s: %d disagreements%s:\n%s", compilers[k], type, t[k].failures,
                      t[k].failures > MAX_REPORTS ? ", the first" : "", sb_str(&t[k].report));
        /* not vacuous: most points and their derivatives were compared */
        ck_assert_msg(t[k].compared >= 0.6 * t[k].points, "%s, %s: only %d of %d points compared", compilers[k],
                      type, t[k].compared, t[k].points);
        ck_assert_msg(t[k].grads >= 0.6 * GEN_NVARS * t[k].compared, "%s, %s: only %d of %d derivatives compared",
                      compilers[k], type, t[k].grads, GEN_NVARS * t[k].compared);
        sb_free(&t[k].report);
    }
    for (int i = 0; i < n; i++)
        sb_free(&cases[i].text);
    free(cases);
    free(dir);
}
END_TEST

/* --- single kernels ----------------------------------------------------------------- */

/* symdiff (--type float) makes dir/k.c from the program; 0, or its exit
 * status 1 with the message in *err (malloc'd). */
static int make_kernel(const char *dir, const char *program, int use_float, char **err) {
    char *prog = path_join(dir, "p.sd"), *out = path_join(dir, "k.c");
    write_file(prog, program);
    const char *args[] = {"-f", prog, "-o", out, "--name", "k", "--vars", "x,y,z",
                          use_float ? "--type" : NULL, "float", NULL};
    Run r;
    run(args, NULL, &r);
    ck_assert_msg(r.status == 0 || (r.status == 1 && strstr(r.err, "error")), "%s: symdiff exits with %d: %s",
                  program, r.status, r.err);
    *err = r.err;
    r.err = NULL;
    int status = r.status;
    run_free(&r);
    free(prog);
    free(out);
    return status;
}

/* Compiles the kernel k.c of dir, with driver.c and running it when
 * with_driver; the output in r. */
static void compile_kernel(const char *dir, int use_float, int with_driver, Run *r) {
    StrBuf cmd;
    sb_init(&cmd);
    sb_printf(&cmd, "cd '%s' && gcc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror%s %s", dir,
              use_float ? " -Wdouble-promotion" : "",
              with_driver ? "-o driver driver.c k.c -lm && ./driver" : "-c k.c");
    shell(r, sb_str(&cmd));
    sb_free(&cmd);
}

/* Kernels that did not compile: now they compile cleanly, or (a constant
 * a float cannot hold) the program is refused with a message. */
static const struct {
    const char *program;
    int use_float, may_refuse;
} compiles[] = {
    /* constants beyond float's range, as the simplifier leaves them */
    {"x + 1e300", 1, 1},
    {"exp(x)*1e50", 1, 1},
    {"x/1e-50", 1, 1},
    {"relu(z) + 12345678901234567890^4", 1, 1},
    /* 1/sqrt(c) beside sqrt(c): a temporary used before it is declared
     * (program 5140 of the random ones, smaller) */
    {"log(sin(2)^0.1*x^2*y)", 0, 0},
    {"log(sin(2)^0.1*x^2*y)", 1, 0},
};

START_TEST(test_compiles) {
    const char *program = compiles[_i].program, *type = compiles[_i].use_float ? "float" : "double";
    char name[32];
    snprintf(name, sizeof name, "compiles%d", _i);
    char *dir = work_dir(name), *err;
    int status = make_kernel(dir, program, compiles[_i].use_float, &err);
    ck_assert_msg(status == 0 || compiles[_i].may_refuse, "%s (%s) is refused: %s", program, type, err);
    if (status == 0) {
        Run r;
        compile_kernel(dir, compiles[_i].use_float, 0, &r);
        ck_assert_msg(r.status == 0 && r.errlen == 0, "%s: the %s kernel does not compile:\n%.2000s", program,
                      type, r.err);
        run_free(&r);
    }
    free(err);
    free(dir);
}
END_TEST

/* Values in float's range at ordinary points, and what the float kernel
 * gives there (to 1e-5): the rewrites must not take the kernel beyond
 * float's range where the function is not. */
static const struct {
    const char *program;
    double at[3], value, grad[3];
} float_values[] = {
    /* (200 x)^15 (1000 + y) at x = 0.02: 4^15 1000, d/dx = 3000 4^14 1000 */
    {"((200*x)^5)^3 * (1000 + y)", {0.02, 0, 0}, 1073741824e3, {805306368e6, 1073741824, 0}},
    /* found by the random programs above (program 1655) */
    {"u0 = pi*1.5*sqrt(z) (y*(1e3 + x)); u0*(((2E2*x)^5)^3 (.75))",
     {0.017080806195735931, -1.7821742296218872, 1.1597124338150024},
     -683141297687.4707,
     {-599920812653150.2, 383319030391.5506, -294530470558.2062}},
};

START_TEST(test_float_values) {
    char name[32];
    snprintf(name, sizeof name, "values%d", _i);
    char *dir = work_dir(name), *err;
    const char *program = float_values[_i].program;
    const double *at = float_values[_i].at;
    ck_assert_msg(make_kernel(dir, program, 1, &err) == 0, "%s: %s", program, err);
    free(err);
    char driver[512];
    snprintf(driver, sizeof driver,
             "#include <stdio.h>\n#include \"k.h\"\n"
             "int main(void)\n{\n"
             "    const float x[3] = {%.9ef, %.9ef, %.9ef};\n"
             "    float g[3], v = k_grad(x, g);\n"
             "    printf(\"%%.17g %%.17g %%.17g %%.17g %%.17g\\n\", (double)k(x), (double)v, (double)g[0], "
             "(double)g[1], (double)g[2]);\n"
             "    return 0;\n}\n",
             at[0], at[1], at[2]);
    char *path = path_join(dir, "driver.c");
    write_file(path, driver);
    free(path);
    Run r;
    compile_kernel(dir, 1, 1, &r);
    ck_assert_msg(r.status == 0 && r.errlen == 0, "%s: %.2000s", program, r.err);
    double got[5];
    ck_assert_int_eq(sscanf(r.out, "%lf %lf %lf %lf %lf", &got[0], &got[1], &got[2], &got[3], &got[4]), 5);
    run_free(&r);
    const double want[5] = {float_values[_i].value, float_values[_i].value, float_values[_i].grad[0],
                            float_values[_i].grad[1], float_values[_i].grad[2]};
    static const char *const what[5] = {"k", "the value of k_grad", "d/dx", "d/dy", "d/dz"};
    for (int i = 0; i < 5; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= 1e-5 * fabs(want[i]), "%s at (%g, %g, %g): %s is %.9g, not %.9g",
                      program, at[0], at[1], at[2], what[i], got[i], want[i]);
    free(dir);
}
END_TEST

Suite *gencode_suite(void); /* called by tests/runner.c */

Suite *gencode_suite(void) {
    Suite *s = suite_create("gencode");
    TCase *tc = tcase_create("kernels");
    tcase_add_unchecked_fixture(tc, scratch_make, scratch_remove);
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_kernels, 0, 2); /* double, float */
    suite_add_tcase(s, tc);

    tc = tcase_create("single kernels");
    tcase_add_unchecked_fixture(tc, scratch_make, scratch_remove);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_compiles, 0, (int)(sizeof compiles / sizeof *compiles));
    tcase_add_loop_test(tc, test_float_values, 0, (int)(sizeof float_values / sizeof *float_values));
    suite_add_tcase(s, tc);
    return s;
}
