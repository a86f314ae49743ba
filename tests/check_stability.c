/* SPDX-License-Identifier: MIT */
/*
 * check_stability.c — numerical stability.
 *
 * 1. The functions of logistic models and their gradients — sigmoid,
 *    log-sigmoid, softplus, log(1 + exp(x)) and the binary cross-entropy of
 *    a sigmoid (for both labels) — are finite and right at x = +-800, +-40
 *    and 0, where the textbook formulas overflow (exp(800)) or cancel
 *    (1 - sigmoid(40)).  Checked through the evaluator, and through the
 *    generated C compiled with every compiler at hand in double and float.
 *    The reference values come from the stable forms in long double:
 *    sigmoid(x) sigmoid(-x) for sigmoid', softplus(x) = max(x, 0) +
 *    log1p(exp(-|x|)), log(sigmoid(x)) = -softplus(-x).
 *
 * 2. No simplification changes a value at the special points: random
 *    programs (tests/fuzz/exprgen.c, the differential fuzzer's generator)
 *    are evaluated as written (in long double, with a bound on the error
 *    of a double evaluation) and as symdiff simplified them, at every
 *    combination of x, y, z in {0, 1, -1, inf, -inf}.  Where the written
 *    program has a value, the simplified one has the same.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "fuzz/exprgen.h"
#include "lower.h"
#include "parse.h"
#include "print.h"
#include "testrun.h"
#include "testutil.h"

/* --- the reference ------------------------------------------------------------- */

static long double sig(long double x) {
    return x >= 0 ? 1 / (1 + expl(-x)) : expl(x) / (1 + expl(x));
}

static long double softplus(long double x) { return (x > 0 ? x : 0) + log1pl(expl(-fabsl(x))); }

typedef struct Stable {
    const char *what;
    const char *program; /* of the parameter x and the input y */
    double y;
    long double (*f)(long double x, long double y);
    long double (*df)(long double x, long double y);
} Stable;

static long double f_sigmoid(long double x, long double y) { (void)y; return sig(x); }
static long double d_sigmoid(long double x, long double y) { (void)y; return sig(x) * sig(-x); }
static long double f_logsig(long double x, long double y) { (void)y; return -softplus(-x); }
static long double d_logsig(long double x, long double y) { (void)y; return sig(-x); }
static long double f_softplus(long double x, long double y) { (void)y; return softplus(x); }
static long double d_softplus(long double x, long double y) { (void)y; return sig(x); }
/* -(y log s + (1 - y) log(1 - s)) = y softplus(-x) + (1 - y) softplus(x) */
static long double f_bce(long double x, long double y) { return y * softplus(-x) + (1 - y) * softplus(x); }
static long double d_bce(long double x, long double y) { return sig(x) - y; }

static const Stable stable[] = {
    {"sigmoid", "sigmoid(x)", 0, f_sigmoid, d_sigmoid},
    {"log-sigmoid", "log(sigmoid(x))", 0, f_logsig, d_logsig},
    {"softplus", "softplus(x)", 0, f_softplus, d_softplus},
    {"log(1 + exp(x))", "log(1 + exp(x))", 0, f_softplus, d_softplus},
    {"BCE, label 1", "-(y*log(sigmoid(x)) + (1 - y)*log(1 - sigmoid(x)))", 1, f_bce, d_bce},
    {"BCE, label 0", "-(y*log(sigmoid(x)) + (1 - y)*log(1 - sigmoid(x)))", 0, f_bce, d_bce},
};
#define NSTABLE ((int)(sizeof stable / sizeof stable[0]))

static const double points[] = {800, -800, 40, -40, 0};
#define NPOINTS ((int)(sizeof points / sizeof points[0]))

/* Finite, and within tol of the reference (relative to max(1, |ref|), the
 * suite's usual measure: far in the tails an answer of 0 for e^-40 is
 * right to 4e-18). */
static void expect_value(const char *what, const char *which, double x, double got, long double want, double tol) {
    ck_assert_msg(isfinite(got), "%s: %s at x = %g is %g", what, which, x, got);
    double scale = fabsl(want) > 1 ? (double)fabsl(want) : 1;
    ck_assert_msg(fabs(got - (double)want) <= tol * scale, "%s: %s at x = %g is %.17g, expected %.17Lg", what,
                  which, x, got, want);
}

/* --- 1a: the evaluator ----------------------------------------------------------------- */

START_TEST(test_stable_evaluator) {
    const Stable *c = &stable[_i];
    char text[256];
    snprintf(text, sizeof text, "input y; param x; %s", c->program);
    Source src = {"<stable>", text, strlen(text)};
    Diag diag;
    diag_init(&diag, &src);
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, &diag);
    ck_assert_msg(ast != NULL, "%s", sb_str(&diag.out));
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Program prog;
    LowerOptions opt = {NULL, 0, NULL, 0, 0};
    ck_assert_msg(lower_program(g, ast, &diag, &opt, &prog) == 0, "%s", sb_str(&diag.out));
    int x = graph_find_var(g, "x"), y = graph_find_var(g, "y");
    ck_assert_int_ge(x, 0);
    deriv_assume_domain(g, prog.outputs, 1);
    /* each engine on a graph of its own: what one engine shares (pins)
     * shapes what the other builds after it */
    Graph *g2 = graph_new();
    ck_assert_ptr_nonnull(g2);
    Program prog2;
    ck_assert_int_eq(lower_program(g2, ast, &diag, &opt, &prog2), 0);
    deriv_assume_domain(g2, prog2.outputs, 1);
    static const DerivMode modes[] = {DERIV_FORWARD, DERIV_REVERSE};
    for (int m = 0; m < 2; m++) {
        Node *d;
        if (m == 1) {
            program_free(&prog);
            graph_free(g);
            g = g2;
            prog = prog2;
        }
        ck_assert_int_eq(deriv_gradient(g, prog.outputs[0], &x, 1, modes[m], &d, NULL), 0);
        for (int i = 0; i < NPOINTS; i++) {
            double point[2] = {0, 0};
            point[x] = points[i];
            if (y >= 0)
                point[y] = c->y;
            expect_value(c->what, "the value", points[i], eval_node(g, prog.outputs[0], point),
                         c->f(points[i], c->y), 1e-14);
            expect_value(c->what, m ? "the reverse derivative" : "the forward derivative", points[i],
                         eval_node(g, d, point), c->df(points[i], c->y), 1e-14);
        }
    }
    program_free(&prog);
    graph_free(g);
    ast_arena_free(&arena);
    diag_free(&diag);
}
END_TEST

/* --- 1b: the generated C ------------------------------------------------------------------ */

static char workdir[64];

static void setup(void) { make_temp_dir(workdir, sizeof workdir, "stable"); }

static void teardown(void) { remove_tree(workdir); }

/* A driver printing "value derivative" for each point, one per line. */
static const char driver[] =
    "#include <stdio.h>\n"
    "#include \"k.h\"\n"
    "int main(void) {\n"
    "    static const double xs[] = {800, -800, 40, -40, 0};\n"
    "    for (int i = 0; i < 5; i++) {\n"
    "        T x[1] = {(T)xs[i]}, in[1] = {(T)LABEL}, grad[1];\n"
    "        T v = f_grad(x, in, grad);\n"
    "        T w = f(x, in);\n"
    "        printf(\"%.17g %.17g %.17g\\n\", (double)v, (double)grad[0], (double)w);\n"
    "    }\n"
    "    return 0;\n"
    "}\n";

START_TEST(test_stable_generated_c) {
    static const char *const compilers[] = {"cc", "gcc", "clang"};
    static const char *const types[] = {"double", "float"};
    int compiled = 0;
    for (int c = 0; c < NSTABLE; c++) {
        const Stable *s = &stable[c];
        char path[128];
        snprintf(path, sizeof path, "%s/prog.sd", workdir);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "input y; param x; %s\n", s->program);
        ck_assert_int_eq(fclose(f), 0);
        snprintf(path, sizeof path, "%s/driver.c", workdir);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(driver, f);
        ck_assert_int_eq(fclose(f), 0);
        for (int t = 0; t < 2; t++) {
            ck_assert_int_eq(sh("cd '%s' && '%s' --type %s -f prog.sd -o k.c", workdir, symdiff_path(), types[t]), 0);
            for (int k = 0; k < 3; k++) {
                if (sh("command -v %s >/dev/null 2>&1", compilers[k]) != 0)
                    continue;
                int rc = sh("cd '%s' && %s -std=c99 -Wall -Wextra -Wpedantic -Werror %s -DT=%s -DLABEL=%g "
                            "-o driver driver.c k.c -lm 2> cc.txt && ./driver > out.txt",
                            workdir, compilers[k], t ? "-Wdouble-promotion" : "", types[t], s->y);
                if (rc != 0)
                    sh("cat '%s/cc.txt' >&2", workdir);
                ck_assert_msg(rc == 0, "%s: %s in %s failed", s->what, compilers[k], types[t]);
                compiled++;
                snprintf(path, sizeof path, "%s/out.txt", workdir);
                f = fopen(path, "r");
                ck_assert_ptr_nonnull(f);
                /* float: the type's precision, and its range (e^-40 and
                 * below are 0 or subnormal) */
                double tol = t ? 1e-6 : 1e-14;
                for (int i = 0; i < NPOINTS; i++) {
                    double v, d, w;
                    ck_assert_int_eq(fscanf(f, "%lg %lg %lg", &v, &d, &w), 3);
                    char which[64];
                    snprintf(which, sizeof which, "the %s value (%s)", types[t], compilers[k]);
                    expect_value(s->what, which, points[i], v, s->f(points[i], s->y), tol);
                    expect_value(s->what, which, points[i], w, s->f(points[i], s->y), tol);
                    snprintf(which, sizeof which, "the %s derivative (%s)", types[t], compilers[k]);
                    expect_value(s->what, which, points[i], d, s->df(points[i], s->y), tol);
                }
                fclose(f);
            }
        }
    }
    ck_assert_msg(compiled > 0, "no C compiler found");
}
END_TEST

/* --- 2: simplification at the special points --------------------------------------------- */

#define PROGRAMS 2500
#define PER_TEST 250

START_TEST(test_special_points) {
    static const double specials[] = {0, 1, -1, INFINITY, -INFINITY};
    static Gen gen;
    int compared = 0;
    for (int p = _i * PER_TEST; p < (_i + 1) * PER_TEST; p++) {
        uint8_t bytes[160];
        random_bytes(0x5eed0000u + (uint64_t)p, bytes, sizeof bytes);
        gen_program(&gen, bytes, sizeof bytes, 5);
        StrBuf text;
        sb_init(&text);
        gen_print(&gen, &text);
        Source src = {"<gen>", sb_str(&text), text.len};
        Diag diag;
        diag_init(&diag, &src);
        AstArena arena = {NULL};
        Ast *ast = parse_program(&arena, &diag);
        ck_assert_msg(ast != NULL, "program %d does not parse: %s\n%s", p, sb_str(&text), sb_str(&diag.out));
        Graph *g = graph_new();
        ck_assert_ptr_nonnull(g);
        Program prog;
        LowerOptions opt = {gen_var_names, GEN_NVARS, NULL, 0, 0};
        if (lower_program(g, ast, &diag, &opt, &prog) == 0) {
            for (int a = 0; a < 5; a++)
                for (int b = 0; b < 5; b++)
                    for (int c = 0; c < 5; c++) {
                        const long double point[3] = {specials[a], specials[b], specials[c]};
                        const double dpoint[3] = {specials[a], specials[b], specials[c]};
                        GenValue ref = gen_eval(&gen, point);
                        double got = eval_node(g, prog.outputs[0], dpoint);
                        int infinite_input = isinf(point[0]) || isinf(point[1]) || isinf(point[2]);
                        /* inf from an infinite input is a value (exp(inf) =
                         * inf), kept exactly; from finite ones it is a pole */
                        if (isinf(ref.v) && infinite_input && ref.err == 0) {
                            ck_assert_msg(got == (double)ref.v, "program %d at (%g, %g, %g): %g, as written %Lg\n%s",
                                          p, dpoint[0], dpoint[1], dpoint[2], got, ref.v, sb_str(&text));
                            compared++;
                            continue;
                        }
                        /* elsewhere, where the program as written has a value */
                        if (isnan(ref.v) || fabsl(ref.v) > DBL_MAX || ref.out_of_range)
                            continue;
                        /* within the error bound of a double evaluation (none:
                         * too close to a pole or a jump to say) */
                        if (!isfinite(ref.err))
                            continue;
                        double tol = (double)(1024 * ref.err + 8 * DBL_EPSILON * fabsl(ref.v));
                        ck_assert_msg(fabs(got - (double)ref.v) <= tol + 1e-300,
                                      "program %d at (%g, %g, %g): simplified %.17g, as written %.17Lg (+- %.3g)\n%s",
                                      p, dpoint[0], dpoint[1], dpoint[2], got, ref.v, tol, sb_str(&text));
                        compared++;
                    }
            program_free(&prog);
        }
        graph_free(g);
        ast_arena_free(&arena);
        diag_free(&diag);
        sb_free(&text);
    }
    ck_assert_int_gt(compared, 0);
}
END_TEST

Suite *stability_suite(void); /* called by tests/runner.c */

Suite *stability_suite(void) {
    Suite *s = suite_create("stability");
    TCase *tc = tcase_create("logistic");
    tcase_add_loop_test(tc, test_stable_evaluator, 0, NSTABLE);
    suite_add_tcase(s, tc);

    tc = tcase_create("generated C");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_stable_generated_c);
    suite_add_tcase(s, tc);

    tc = tcase_create("special points");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_special_points, 0, PROGRAMS / PER_TEST);
    suite_add_tcase(s, tc);
    return s;
}
