/* SPDX-License-Identifier: MIT */
/*
 * check_codegen.c — the C code generator: generated kernels compile with
 * -Werror under gcc and clang in double and float, agree with the
 * evaluator, and use the numerically careful forms (each rewrite checked
 * for its value at the points where the naive form fails).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "codegen_common.h"
#include "dag.h"
#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "testrun.h"
#include "testutil.h"

static char workdir[256];

static void setup(void) { make_temp_dir(workdir, sizeof workdir, "codegen"); }

static void teardown(void) { remove_tree(workdir); }

/* Writes the program text to a file in workdir. */
static void write_in_workdir(const char *name, const char *text) {
    char *path = path_join(workdir, name);
    write_file(path, text);
    free(path);
}

/* Generates kernels for the program (-f prog.sd) with extra options, then
 * compiles driver.c against them with cc and runs it; returns the exit
 * status of the driver.  Output of the driver goes to out.txt. */
static int build_and_run(const char *program, const char *options, const char *driver,
                         const char *cc, const char *cflags) {
    write_in_workdir("prog.sd", program);
    write_in_workdir("driver.c", driver);
    int rc = sh("cd '%s' && %s %s -f prog.sd -o k.c", workdir, symdiff_path(), options);
    ck_assert_msg(rc == 0, "generating code for %s failed", program);
    rc = sh("cd '%s' && %s -std=c99 -Wall -Wextra -Wpedantic -Werror %s -o driver driver.c k.c -lm "
            "2> cc.txt",
            workdir, cc, cflags);
    if (rc != 0) {
        sh("cat '%s/cc.txt' >&2; cat '%s/k.c' >&2", workdir, workdir);
        ck_abort_msg("%s failed to compile the kernel of %s", cc, program);
    }
    return sh("cd '%s' && ./driver > out.txt", workdir);
}

/* --- the careful forms ------------------------------------------------------ */

/* Each: a program of x, the point, and the exact value there.  The naive
 * C expression of each program loses everything at that point. */
static const struct {
    const char *program;
    const char *must_contain; /* in the generated source */
    double x, value, deriv;
} careful[] = {
    /* log(1 + x) near 0: log1p keeps all digits */
    {"log(1 + x)", "log1p(", 1e-17, 1e-17, 1.0},
    /* exp(x) - 1 near 0: expm1 */
    {"exp(x) - 1", "expm1(", 1e-17, 1e-17, 1.0},
    /* sigmoid never overflows */
    {"sigmoid(x)", "sd_sigmoid_1(", -800, 0.0, 0.0},
    {"sigmoid(x)", "sd_sigmoid_1(", 800, 1.0, 0.0},
    /* log(sigmoid(x)) = -softplus(-x): finite at -800 */
    {"log(sigmoid(x))", "sd_softplus_1(", -800, -800.0, 1.0},
    /* log(1 - sigmoid(x)) = -softplus(x): finite at 800 */
    {"log(1 - sigmoid(x))", "sd_softplus_1(", 800, -800.0, -1.0},
    /* softplus(x) = log(1 + e^x) without overflow */
    {"softplus(x)", "sd_softplus_1(", 800, 800.0, 1.0},
    {"softplus(x)", "sd_softplus_1(", -800, 0.0, 0.0},
    /* sigmoid(v) and softplus(v) in one kernel, all of v, share
     * e = exp(min(v, 64)) and 1/(1 + e) (one-sided) */
    {"softplus(x) - sigmoid(x)", "sd_sigmoid_r(", 0, 0.69314718055994531 - 0.5, 0.25},
    {"softplus(x) - sigmoid(x)", "sd_softplus_r(", 800, 799.0, 1.0},
    {"softplus(x) - sigmoid(x)", "sd_softplus_r(", -800, 0.0, 0.0},
    {"log(sigmoid(x)) + sigmoid(-x)", "sd_softplus_r(", -800, -799.0, 1.0},
    /* of v and -v: they share exp(-|v|) (two-sided) */
    {"softplus(x) + sigmoid(-x)", "sd_sigmoid_e(", 0, 0.69314718055994531 + 0.5, 0.25},
    {"softplus(x) + sigmoid(-x)", "sd_softplus_e(", 800, 800.0, 1.0},
    {"softplus(x) + sigmoid(-x)", "sd_softplus_e(", -800, 1.0, 0.0},
};

static const char *careful_driver =
    "#include <math.h>\n#include <stdio.h>\n#include \"k.h\"\n"
    "int main(void) {\n"
    "    double x[1] = {XVAL}, g[1];\n"
    "    double v = f(x), w = f_grad(x, g);\n"
    "    printf(\"%.17g %.17g %.17g\\n\", v, w, g[0]);\n"
    "    return 0;\n}\n";

START_TEST(test_careful_forms) {
    char driver[1024], *p;
    const char *c = careful_driver;
    p = strstr(c, "XVAL");
    snprintf(driver, sizeof driver, "%.*s%.17g%s", (int)(p - c), c, careful[_i].x, p + 4);
    ck_assert_int_eq(build_and_run(careful[_i].program, "--name f", driver, "cc", "-O1"), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/k.c", workdir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char src[65536];
    size_t n = fread(src, 1, sizeof src - 1, f);
    src[n] = '\0';
    fclose(f);
    ck_assert_msg(strstr(src, careful[_i].must_contain), "%s: no %s in\n%s", careful[_i].program,
                  careful[_i].must_contain, src);
    snprintf(path, sizeof path, "%s/out.txt", workdir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    double v, w, d;
    ck_assert_int_eq(fscanf(f, "%lf %lf %lf", &v, &w, &d), 3);
    fclose(f);
    ck_assert_msg(isfinite(v) && isfinite(w) && isfinite(d), "%s at %g: %g %g %g", careful[_i].program,
                  careful[_i].x, v, w, d);
    ck_assert_close(v, careful[_i].value, 1e-15);
    ck_assert_close(w, careful[_i].value, 1e-15);
    ck_assert_close(d, careful[_i].deriv, 1e-12);
}
END_TEST

/* The gradient of binary cross-entropy of a sigmoid is sigmoid(z) - y,
 * finite at z = +-800 for both labels. */
START_TEST(test_bce_fusion) {
    const char *program = "param z; input y; -(y*ln(sigmoid(z)) + (1 - y)*ln(1 - sigmoid(z)))";
    const char *driver =
        "#include <math.h>\n#include <stdio.h>\n#include \"k.h\"\n"
        "int main(void) {\n"
        "    const double zs[] = {-800, -30, -1, 0, 1, 30, 800}, ys[] = {0, 1};\n"
        "    int bad = 0;\n"
        "    for (int i = 0; i < 7; i++)\n"
        "        for (int j = 0; j < 2; j++) {\n"
        "            double x[1] = {zs[i]}, in[1] = {ys[j]}, g[1];\n"
        "            double v = f_grad(x, in, g);\n"
        "            double s = zs[i] >= 0 ? 1 / (1 + exp(-zs[i])) : exp(zs[i]) / (1 + exp(zs[i]));\n"
        "            double loss = ys[j] ? log1p(exp(-fabs(zs[i]))) + (zs[i] < 0 ? -zs[i] : 0)\n"
        "                                : log1p(exp(-fabs(zs[i]))) + (zs[i] > 0 ? zs[i] : 0);\n"
        "            if (!isfinite(v) || !isfinite(g[0]) || fabs(g[0] - (s - ys[j])) > 1e-15 ||\n"
        "                fabs(v - loss) > 1e-12 * (1 + fabs(loss))) {\n"
        "                printf(\"z=%g y=%g: loss %g (want %g), grad %g (want %g)\\n\", zs[i], ys[j], v,\n"
        "                       loss, g[0], s - ys[j]);\n"
        "                bad = 1;\n            }\n        }\n"
        "    return bad;\n}\n";
    ck_assert_int_eq(build_and_run(program, "--name f", driver, "cc", "-O1"), 0);
    /* and the printed derivative says so */
    ck_assert_int_eq(sh("%s --wrt z '%s' | grep -qx 'sigmoid(z) - y'", symdiff_path(), program), 0);
}
END_TEST

/* --- corpus: compiles everywhere, agrees with the evaluator --------------------- */

static const char *const corpus[] = {
    "x^2*ln(x^2)",
    "x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3",
    "(x + 2y^3)^2",
    "sqrt(x^2 + exp(x^2)) + cos(x^2 + exp(x^2))",
    "-log(1/(1 + exp(-(w1*x1 + w2*x2))))",
    "l = x; repeat 9 { l = 4*l*(1-l) } l",
    "sin(x)*cos(y) + tan(x/3) + asin(y/3) + acos(x/4) + atan(x*y)",
    "sinh(x/2) + cosh(y/2) + tanh(x*y) + sigmoid(x - y) + softplus(2*x)",
    "relu(x) + leaky_relu(y) + elu(x, 0.5) + abs(x - y) + max(x, y) + min(x, 2*y)",
    "log2(1 + x^2) + log10(2 + y^2) + x^y + 2^x + x^(3/2) + y^(1/3)",
    "(x^3 - 2*x + 1)/(y^2 + 1) + 1/(x^2 + y^2 + 1)",
    "step(x) * x + sign(y) * y + ifpos(x, x^2, -x)",
    "double = x; int = y; grad = double*int; grad^2 + exp(double) - 1",
    "[3*x^2 + x, exp(x), ln(1 + x^2)]",
    "[x*y, sin(x) + cos(y), x/(1 + y^2)]",
    "softplus(x*y) + sigmoid(x*y)*softplus(y) + sigmoid(y) - log(sigmoid(x)) + sigmoid(-y)",
    "x^4 + y^5/(x^7 + 1) + (x - y)^8 + x^9 - 1/(x + y)^6",
    "sqrt(x + sqrt(x + sqrt(y))) + (x^2 + y^2)^(5/2) - (1 + x^2)^(-3/2) + sqrt(x^2 + y^2)",
    /* one e = exp(-|w|) for a sign class whose magnitude w is newer than
     * its first user, only in the derivative, or nowhere */
    "sigmoid(-2*x*y) + softplus(-2*x*y) + 2*x*y",
    "sigmoid(-2*x*y) + softplus(-2*x*y) + x^2*y",
    "log(sigmoid(-x*y)) + log(1 - sigmoid(-x*y)) + x*y",
    "sigmoid(-x*y/2) + softplus(-x*y/2) + x*y/2 - sigmoid(x*y/2)",
    "x*y*sigmoid(-3*x*y) + softplus(-3*x*y)*y",
};

static const char *corpus_driver_scalar =
    "#include <stdio.h>\n#include \"k.h\"\n"
    "int main(void) {\n"
    "    T x[K_NVARS + 1] = {POINT}, g[K_NVARS + 1], H[K_NVARS * K_NVARS + 1];\n"
    "    printf(\"%.17g\", (double)k(x));\n"
    "    (void)k_grad(x, g);\n"
    "    for (int i = 0; i < K_NVARS; i++) printf(\" %.17g\", (double)g[i]);\n"
    "    k_hess(x, H);\n"
    "    for (int i = 0; i < K_NVARS * K_NVARS; i++) printf(\" %.17g\", (double)H[i]);\n"
    "    printf(\"\\n\");\n    return 0;\n}\n";

static const char *corpus_driver_vector =
    "#include <stdio.h>\n#include \"k.h\"\n"
    "int main(void) {\n"
    "    T x[K_NVARS + 1] = {POINT}, y[K_NOUT], J[K_NOUT * K_NVARS + 1];\n"
    "    k(x, y);\n"
    "    for (int i = 0; i < K_NOUT; i++) printf(\"%s%.17g\", i ? \" \" : \"\", (double)y[i]);\n"
    "    k_jac(x, J);\n"
    "    for (int i = 0; i < K_NOUT * K_NVARS; i++) printf(\" %.17g\", (double)J[i]);\n"
    "    printf(\"\\n\");\n    return 0;\n}\n";

/* Values from the evaluator, in the order the driver prints them. */
static int expected_values(const char *program, const double *point, double *out, int *nvars) {
    Source src = {"<test>", program, strlen(program)};
    Diag d;
    diag_init(&d, &src);
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, &d);
    ck_assert_ptr_nonnull(ast);
    Graph *g = graph_new();
    Program p;
    LowerOptions opt = {0};
    ck_assert_int_eq(lower_program(g, ast, &d, &opt, &p), 0);
    DerivOptions dopt = {.assume_domain = 1, .domain = p.outputs, .ndomain = p.noutputs};
    int n = g->nvars, count = 0;
    int vars[16];
    for (int i = 0; i < n; i++)
        vars[i] = i;
    for (int o = 0; o < p.noutputs; o++)
        out[count++] = eval_node(g, p.outputs[o], point);
    if (p.is_vector) {
        for (int o = 0; o < p.noutputs; o++)
            for (int j = 0; j < n; j++)
                out[count++] = eval_node(g, deriv_forward(g, p.outputs[o], vars[j], &dopt), point);
    } else {
        Node *grad[16];
        ck_assert_int_eq(deriv_gradient(g, p.outputs[0], vars, n, &dopt, grad, NULL), 0);
        for (int j = 0; j < n; j++)
            out[count++] = eval_node(g, grad[j], point);
        for (int i = 0; i < n; i++) {
            Node *row[16];
            ck_assert_int_eq(deriv_gradient(g, grad[i], vars, n, &dopt, row, NULL), 0);
            for (int j = 0; j < n; j++)
                out[count++] = eval_node(g, row[j], point);
        }
    }
    *nvars = n;
    program_free(&p);
    graph_free(g);
    ast_arena_free(&arena);
    diag_free(&d);
    return count;
}

static void check_corpus_entry(int i, const char *cc, int use_float) {
    const char *program = corpus[i];
    double point[8] = {0.7, 1.3, 0.4, 0.9, 1.1, 0.6, 0.8, 1.2};
    double want[512];
    int nvars;
    int count = expected_values(program, point, want, &nvars);
    char pt[256] = "";
    for (int v = 0; v < nvars; v++)
        snprintf(pt + strlen(pt), sizeof pt - strlen(pt), "%s%.17g%s", v ? ", " : "", point[v],
                 use_float ? "f" : "");
    const char *tmpl = program[0] == '[' ? corpus_driver_vector : corpus_driver_scalar;
    char driver[2048];
    const char *p = strstr(tmpl, "POINT");
    snprintf(driver, sizeof driver, "#define T %s\n%.*s%s%s", use_float ? "float" : "double",
             (int)(p - tmpl), tmpl, pt, p + 5);
    char options[128];
    snprintf(options, sizeof options, "--name k %s%s", program[0] == '[' ? "" : "--hessian ",
             use_float ? "--type float" : "");
    ck_assert_int_eq(build_and_run(program, options, driver, cc, use_float ? "-O1 -Wdouble-promotion" : "-O1"), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", workdir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    for (int k = 0; k < count; k++) {
        double got;
        ck_assert_int_eq(fscanf(f, "%lf", &got), 1);
        double tol = use_float ? 1e-3 : 1e-12; /* float: l9 amplifies rounding */
        if (isfinite(want[k]))
            ck_assert_msg(fabs(got - want[k]) <= tol * fmax(1, fabs(want[k])),
                          "%s (%s, %s): value %d is %.17g, the evaluator says %.17g", program, cc,
                          use_float ? "float" : "double", k, got, want[k]);
    }
    fclose(f);
}

START_TEST(test_corpus_gcc_double) { check_corpus_entry(_i, "gcc", 0); }
END_TEST

START_TEST(test_corpus_gcc_float) { check_corpus_entry(_i, "gcc", 1); }
END_TEST

START_TEST(test_corpus_clang) {
    if (!have_compiler("clang"))
        return;
    check_corpus_entry(_i, "clang", _i % 2);
}
END_TEST

/* Every builtin has its C form in both types (a libm function with a name,
 * a helper, a constant): nothing is written as "unsupported" or as a call
 * without a name. */
START_TEST(test_builtin_forms) {
    for (int b = 0; b < BI_COUNT; b++) {
        if (b == BI_PI) /* a constant: emitters write its literal */
            continue;
        CodegenHelper h = codegen_helper_of((Builtin)b);
        for (int fl = 0; fl < 2; fl++) {
            const char *libm = codegen_libm_name((Builtin)b, codegen_type(fl));
            StrBuf sb;
            sb_init(&sb);
            if (h == CH_COUNT) {
                ck_assert_msg(libm && *libm, "%s: neither a <math.h> function nor a helper", builtin_info[b].name);
            } else {
                ck_assert_msg(!libm, "%s: both a <math.h> function and a helper", builtin_info[b].name);
                codegen_helper_name(&sb, h, codegen_type(fl));
                ck_assert_msg(strncmp(sb_str(&sb), "sd_", 3) == 0 && sb.len > 3, "%s: helper '%s'",
                              builtin_info[b].name, sb_str(&sb));
                codegen_helpers(&sb, CODEGEN_HELPER_BIT(h), codegen_type(fl));
                ck_assert_msg(!strstr(sb_str(&sb), "$"), "%s: the helper's text is not expanded: %s",
                              builtin_info[b].name, sb_str(&sb));
            }
            sb_free(&sb);
        }
    }
}
END_TEST

/* The same command twice gives byte-identical files. */
/* Integer powers are products and half-integer ones go through the
 * square root the function computes anyway: no call of pow, one sqrt per
 * distinct radicand in the gradient kernel. */
START_TEST(test_powers_without_calls) {
    ck_assert_int_eq(sh("%s --emit c 'x^4 + y^5/(x^7 + 1) - 1/(x + y)^6' | grep -c 'pow(' > %s/n.txt; "
                        "grep -qx 0 %s/n.txt", symdiff_path(), workdir, workdir), 0);
    ck_assert_int_eq(sh("%s --emit c 'sqrt(x + sqrt(x + sqrt(x)))' | sed -n '/f_grad(.*)$/,/^}/p' | "
                        "grep -o 'sqrt(' | wc -l | grep -qx 3", symdiff_path()), 0);
    ck_assert_int_eq(sh("%s --emit c 'sqrt(x^2 + y^2) + (x^2 + y^2)^(3/2)' | sed -n '/f_grad(.*)$/,/^}/p' | "
                        "grep -o 'sqrt(' | wc -l | grep -qx 1", symdiff_path()), 0);
}
END_TEST

/* d/dx x^y = y x^(y-1) is computed from the x^y the kernel has, where
 * that is exact: at 0, at negative bases, past the range of double and
 * where x^y is subnormal it must equal y pow(x, y - 1) all the same. */
static const char *pow_driver =
    "#include <math.h>\n#include <stdio.h>\n#include \"k.h\"\n"
    "int main(void) {\n"
    "    static const double pts[][2] = {{0, 2}, {0, 1}, {0, 0.5}, {0, 0}, {0, -1}, {-2, 3},\n"
    "        {-2, 0.5}, {2, 0.5}, {1e-300, 2}, {1e300, 2}, {1e-170, 2}, {3, -2}, {0.5, 1e-3},\n"
    "        {1e-310, 1.5}, {7, 1}, {-0.0, 3}};\n"
    "    int bad = 0;\n"
    "    for (unsigned i = 0; i < sizeof pts / sizeof *pts; i++) {\n"
    "        double x[2] = {pts[i][0], pts[i][1]}, g[2];\n"
    "        k_grad(x, g);\n"
    "        double want = x[1] * pow(x[0], x[1] - 1);\n"
    "        int same = (isnan(want) && isnan(g[0])) || g[0] == want ||\n"
    "                   fabs(g[0] - want) <= 4e-16 * fabs(want);\n"
    "        if (!same) { printf(\"x=%g y=%g: %.17g, want %.17g\\n\", x[0], x[1], g[0], want); bad = 1; }\n"
    "    }\n"
    "    return bad;\n}\n";

START_TEST(test_power_from_power) {
    ck_assert_int_eq(sh("%s --emit c 'x^y' | sed -n '/f_grad(.*)$/,/^}/p' | grep -o ' pow(' | wc -l | "
                        "grep -qx 1", symdiff_path()), 0);
    const char *ccs[] = {"gcc", "clang"};
    for (int i = 0; i < 2; i++) {
        if (!have_compiler(ccs[i]))
            continue;
        int rc = build_and_run("x^y", "--name k", pow_driver, ccs[i], "-O2");
        if (rc != 0)
            sh("cat '%s/out.txt' >&2", workdir);
        ck_assert_msg(rc == 0, "%s: x^y's derivative differs from y pow(x, y - 1)", ccs[i]);
    }
}
END_TEST

START_TEST(test_deterministic) {
    write_in_workdir("prog.sd", "l = x; repeat 20 { l = 4*l*(1-l) } l + sigmoid(y)*x");
    ck_assert_int_eq(sh("cd '%s' && %s --hessian --emit-test -f prog.sd -o a.c && "
                        "%s --hessian --emit-test -f prog.sd -o a2.c",
                        workdir, symdiff_path(), symdiff_path()),
                     0);
    ck_assert_int_eq(sh("cd '%s' && sed 's/a2/a/g' a2.c | cmp -s - a.c && sed 's/a2/a/g; s/A2/A/g' a2.h | "
                        "cmp -s - a.h",
                        workdir),
                     0);
}
END_TEST

/* The header documents what a firmware engineer budgets with. */
START_TEST(test_header_contents) {
    write_in_workdir("prog.sd", "param w, b; input x, y; (w*x + b - y)^2");
    ck_assert_int_eq(sh("cd '%s' && %s --name fit -f prog.sd -o fit.c", workdir, symdiff_path()), 0);
    const char *needles[] = {"#define FIT_NVARS 2", "#define FIT_NINPUTS 2", "x[0] = w", "x[1] = b",
                             "input[0] = x", "input[1] = y", "double fit_grad(const double *SD_RESTRICT x, const double *SD_RESTRICT input, double *SD_RESTRICT grad);",
                             "symdiff 0", "--name fit", "(w*x + b - y)^2", "add,", "FIT_STACK_BYTES"};
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        ck_assert_msg(sh("grep -qF -- '%s' '%s/fit.h'", needles[i], workdir) == 0, "fit.h lacks: %s",
                      needles[i]);
}
END_TEST

/* --emit-test writes a gradient check that passes, and fails for a wrong
 * kernel. */
START_TEST(test_emit_test_program) {
    write_in_workdir("prog.sd", "x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3");
    ck_assert_int_eq(sh("cd '%s' && %s --emit-test -f prog.sd -o g.c && cc -std=c99 -Wall -Wextra "
                        "-Wpedantic -Werror g.c g_test.c -lm -o t && ./t > /dev/null",
                        workdir, symdiff_path()),
                     0);
    /* corrupt one gradient entry: the check must notice */
    ck_assert_int_eq(sh("cd '%s' && sed -i 's/grad\\[0\\] = /grad[0] = 1e-3 + /' g.c && cc -std=c99 g.c "
                        "g_test.c -lm -o t && ! ./t > /dev/null",
                        workdir),
                     0);
}
END_TEST

/* --- names ------------------------------------------------------------------ */

/* --name values and what is said of them (NULL: accepted). */
static const struct {
    const char *name, *why;
} names[] = {
    /* <math.h>, every type */
    {"exp", "<math.h>"}, {"expf", "<math.h>"}, {"expl", "<math.h>"}, {"logf", "<math.h>"}, {"sqrt", "<math.h>"},
    {"sqrtf128", "<math.h>"}, {"cosf32x", "<math.h>"}, {"lgammaf_r", "<math.h>"}, {"f32addf64", "<math.h>"},
    {"daddl", "<math.h>"}, {"fma", "<math.h>"}, {"M_PIf", "<math.h>"}, {"isnan", "<math.h>"},
    {"HUGE_VAL", "<math.h>"}, {"signgam", "<math.h>"}, {"float_t", "<math.h>"}, {"j0", "<math.h>"},
    {"y1f", "<math.h>"}, {"nan", "<math.h>"}, {"erff", "<math.h>"},
    /* the other headers of generated files */
    {"memset", "<string.h>"}, {"strlen", "<string.h>"}, {"malloc", "<stdlib.h>"}, {"abs", "<stdlib.h>"},
    {"printf", "<stdio.h>"}, {"stdout", "<stdio.h>"}, {"EOF", "<stdio.h>"}, {"uint64_t", "<stdint.h>"},
    {"INT8_C", "<stdint.h>"}, {"SIZE_MAX", "<stdint.h>"}, {"size_t", "<std"}, {"offsetof", "<stddef.h>"},
    /* keywords and reserved identifiers */
    {"int", "keyword of C"}, {"restrict", "keyword of C"}, {"bool", "keyword of C"}, {"inline", "keyword of C"},
    {"class", "keyword of C++"}, {"and", "keyword of C++"}, {"namespace", "keyword of C++"},
    {"_x", "reserved"}, {"_X", "reserved"}, {"x__y", "reserved"}, {"__f", "reserved"},
    /* the generated files' own names */
    {"main", "generated files"}, {"LO", "generated files"}, {"batch_loss", "generated files"},
    {"sd_f", "helpers"}, {"SD_F", "helpers"}, {"Sd_relu", "helpers"}, {"sdt_q", "helpers"}, {"sdrt_adam", "runtime"},
    {"SdrtCsv", "runtime"}, {"linux", "predefine"}, {"unix", "predefine"},
    /* not identifiers */
    {"", "empty"}, {"9a", "identifier"}, {"a-b", "identifier"}, {"f\xc3\xa9", "identifier"},
    {"a123456789012345678901234567890123456789012345678901234567890123", "longer than 63"},
    /* names that are fine */
    {"f", NULL}, {"F", NULL}, {"x", NULL}, {"input", NULL}, {"grad", NULL}, {"work", NULL}, {"H", NULL},
    {"net_loss", NULL}, {"expo", NULL}, {"logistic", NULL}, {"sinc", NULL}, {"j2", NULL}, {"f32", NULL},
    {"cosine", NULL}, {"sd", NULL}, {"sdx", NULL}, {"LOSS", NULL}, {"a_b", NULL},
    {"a12345678901234567890123456789012345678901234567890123456789012", NULL},
};

START_TEST(test_names) {
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *why = codegen_name_problem(names[i].name);
        if (!names[i].why)
            ck_assert_msg(why == NULL, "'%s' is refused: %s", names[i].name, why);
        else
            ck_assert_msg(why && strstr(why, names[i].why), "'%s': %s, not a reason with '%s'", names[i].name,
                          why ? why : "accepted", names[i].why);
    }
    /* every name of the table is found (it is sorted) */
    size_t count = 0;
    for (const char *n; (n = codegen_reserved_name(count)) != NULL; count++) {
        ck_assert_msg(codegen_name_problem(n) != NULL, "'%s' of the table is accepted", n);
        if (count)
            ck_assert_msg(strcmp(codegen_reserved_name(count - 1), n) < 0, "the table is not sorted at '%s'", n);
    }
    ck_assert_int_gt(count, 500);
    /* the command line: exit 2 and the reason */
    ck_assert_int_eq(sh("%s --name expf --emit c x 2> %s/err.txt; test $? -eq 2 && grep -q \"'expf' is declared "
                        "by <math.h>\" %s/err.txt",
                        symdiff_path(), workdir, workdir),
                     0);
    ck_assert_int_eq(sh("%s --name class --emit c x > /dev/null 2>&1; test $? -eq 2", symdiff_path()), 0);
    ck_assert_int_eq(sh("%s --name grad --emit c x > /dev/null", symdiff_path()), 0);
}
END_TEST

/* Every name the C library's headers of generated files declare here
 * (functions, macros; <math.h> with _GNU_SOURCE, the others in gcc's
 * default mode) is refused as --name. */
START_TEST(test_names_of_this_c_library) {
    if (!have_compiler("gcc"))
        return;
    static const struct {
        const char *header, *flags;
    } headers[] = {{"math.h", "-std=gnu17 -D_GNU_SOURCE"}, {"stddef.h", "-std=gnu17"}, {"stdint.h", "-std=gnu17"},
                   {"stdio.h", "-std=gnu17"},               {"stdlib.h", "-std=gnu17"}, {"string.h", "-std=gnu17"}};
    int checked = 0;
    for (size_t h = 0; h < sizeof headers / sizeof *headers; h++) {
        ck_assert_int_eq(sh("cd '%s' && printf '#include <%s>\\n' > h.c && gcc %s -aux-info aux.txt -c h.c -o h.o && "
                            "gcc %s -E -dM h.c | cut -d' ' -f2 | cut -d'(' -f1 | sort > macros.txt && "
                            "gcc %s -E -dM -x c /dev/null | cut -d' ' -f2 | cut -d'(' -f1 | sort > predefined.txt && "
                            "comm -23 macros.txt predefined.txt > names.txt && "
                            "grep -o '[A-Za-z_][A-Za-z0-9_]* (' aux.txt | cut -d' ' -f1 >> names.txt",
                            workdir, headers[h].header, headers[h].flags, headers[h].flags, headers[h].flags),
                         0);
        char path[512];
        snprintf(path, sizeof path, "%s/names.txt", workdir);
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        char name[256];
        while (fscanf(f, "%255s", name) == 1) {
            ck_assert_msg(codegen_name_problem(name) != NULL, "'%s' of <%s> is accepted as --name", name,
                          headers[h].header);
            checked++;
        }
        fclose(f);
    }
    ck_assert_int_gt(checked, 1000);
}
END_TEST

/* --type float: a constant is refused where a float would change it
 * (beyond float's range, or below its normal range and not a float
 * exactly), and otherwise written exactly. */
static const struct {
    const char *program;
    double constant; /* the program is constant * x */
    int refused;
} float_constants[] = {
    {"7.1e-46*x", 7.1e-46, 1},         {"1e-40*x", 1e-40, 1},
    {"1e-38*x", 1e-38, 1},             {"x/1e50", 1e-50, 1},
    {"1e300*x", 1e300, 1},             {"3.5e38*x", 3.5e38, 1},
    {"1.2e-38*x", 1.2e-38, 0},         {"2^(-140)*x", 0x1p-140, 0},
    {"2^(-149)*x", 0x1p-149, 0},       {"3.4e38*x", 3.4e38, 0},
    {"0.1*x", 0.1, 0},                 {"-(2^(-130))*x", -0x1p-130, 0},
};

START_TEST(test_float_constants) {
    const char *program = float_constants[_i].program;
    write_in_workdir("prog.sd", program);
    int rc = sh("cd '%s' && %s --type float --name k -f prog.sd -o k.c 2> err.txt", workdir, symdiff_path());
    if (float_constants[_i].refused) {
        ck_assert_msg(rc == 1, "%s: --type float exits with %d", program, rc);
        ck_assert_int_eq(sh("grep -q -- '--type float: the constant' '%s/err.txt' && test ! -e '%s/k.c'", workdir,
                            workdir),
                         0);
    } else {
        ck_assert_msg(rc == 0, "%s is refused", program);
        const char *driver = "#include <stdio.h>\n#include \"k.h\"\n"
                             "int main(void)\n{\n    const float x[1] = {1.0f};\n    float g[1];\n"
                             "    printf(\"%a %a\\n\", (double)k(x), (double)k_grad(x, g));\n    return 0;\n}\n";
        write_in_workdir("driver.c", driver);
        ck_assert_int_eq(sh("cd '%s' && gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -Wdouble-promotion -o driver "
                            "driver.c k.c -lm && ./driver > out.txt",
                            workdir),
                         0);
        char path[512];
        snprintf(path, sizeof path, "%s/out.txt", workdir);
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        double v, w;
        ck_assert_int_eq(fscanf(f, "%la %la", &v, &w), 2);
        fclose(f);
        double want = (double)(float)float_constants[_i].constant;
        ck_assert_msg(v == want && w == want, "%s at x = 1: %a, want %a", program, v, want);
    }
    /* double code takes every one of them */
    ck_assert_int_eq(sh("cd '%s' && %s --name k -f prog.sd -o d.c", workdir, symdiff_path()), 0);
}
END_TEST

/* codegen_literal writes what "%.*g" (17 digits, 9 for float) writes, with
 * ".0" when that looks like an integer, and the type's suffix: swept over
 * the integers it writes without printf (near 0, powers of two and ten,
 * the edges 10^9 for float and 2^53, either side of each) and the values
 * around them it leaves to printf (-0, halves, huge, tiny, infinite). */
START_TEST(test_literal_forms) {
    double base[] = {0, 1, 2, 3, 7, 10, 99, 255, 1000, 65535, 1e6, 16777216, 1e8, 999999999, 1e9, 1e10,
                     4294967296.0, 1e15, 4503599627370496.0, 9007199254740991.0, 9007199254740992.0, 1e16,
                     1e17, 1e22, 1e300, 0.5, 0.1, 1e-300, 5e-324, INFINITY};
    for (int use_float = 0; use_float < 2; use_float++) {
        const CodegenType *t = codegen_type(use_float);
        for (size_t i = 0; i < sizeof base / sizeof *base; i++)
            for (int step = -2; step <= 2; step++)
                for (int sign = -1; sign <= 1; sign += 2) {
                    double v = sign * (base[i] + step * (base[i] >= 1e17 ? base[i] * 1e-15 : 1));
                    if (step == 0 && base[i] == 0)
                        v = sign < 0 ? -0.0 : 0.0;
                    char want[80], buf[64];
                    double r = use_float ? (double)(float)v : v;
                    snprintf(buf, sizeof buf, "%.*g", t->digits, r);
                    snprintf(want, sizeof want, "%s%s%s", buf, strpbrk(buf, ".eEn") ? "" : ".0", t->suffix);
                    StrBuf sb;
                    sb_init(&sb);
                    codegen_literal(&sb, t, v);
                    ck_assert_msg(!sb.failed && strcmp(sb_str(&sb), want) == 0, "%s of %.17g: %s, want %s",
                                  t->name, v, sb_str(&sb), want);
                    sb_free(&sb);
                }
    }
}
END_TEST

/* --- text in comments ---------------------------------------------------------------- */

/* Random text, rich in what breaks comments, through codegen_comment:
 * the output never ends or nests a comment, never holds a trigraph or a
 * control byte, never ends a line with a backslash, is valid UTF-8; and
 * a C file of such comments compiles with -Werror in C and C++. */
START_TEST(test_comment_text) {
    static const char *const pieces[] = {"*/", "/*", "*", "/", "?\?/", "?\?=", "?", "\\", "\\\n", "\\ \n", "\n", "\r\n",
                                         "\r", "\t", "\x01", "\x7f", "\xce\xb8", "\xff", "\xe2\x82", "\xf0\x9f\x98\x80",
                                         "\xed\xa0\x80", "\xc0\xaf", "a", " ", "//", "#", "\"", "'"};
    const size_t np = sizeof pieces / sizeof *pieces;
    StrBuf file, text, out;
    sb_init(&file);
    sb_init(&text);
    sb_init(&out);
    uint64_t state = 88172645463325252u;
    for (int t = 0; t < 300; t++) {
        sb_clear(&text);
        sb_clear(&out);
        for (int k = 0; k < 24; k++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            sb_puts(&text, pieces[state % np]);
        }
        codegen_comment(&out, sb_str(&text), " *   ");
        const char *o = sb_str(&out);
        ck_assert_msg(!strstr(o, "*/") && !strstr(o, "/*") && !strstr(o, "??"), "unsafe comment text: %s", o);
        for (const unsigned char *p = (const unsigned char *)o; *p; p++) {
            ck_assert_msg(*p >= 0x20 || *p == '\n' || *p == '\t', "control byte %u in: %s", *p, o);
            ck_assert_msg(*p != 0x7f, "DEL in: %s", o);
            if (*p == '\\') {
                const unsigned char *q = p + 1;
                while (*q == ' ' || *q == '\t')
                    q++;
                ck_assert_msg(*q != '\n' && *q != '\0', "a backslash ends a line in: %s", o);
            }
            if (*p == '\n')
                ck_assert_msg(strncmp((const char *)p + 1, " *", 2) == 0 || !p[1], "a line without the indent: %s",
                              o);
        }
        sb_printf(&file, "/*\n%s */\n", o);
    }
    sb_puts(&file, "int comment_text_compiled;\n");
    ck_assert(!file.failed);
    char *path = path_join(workdir, "comments.c");
    write_file(path, sb_str(&file));
    free(path);
    ck_assert_int_eq(sh("cd '%s' && gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -c comments.c && "
                        "{ ! command -v g++ > /dev/null || g++ -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -c "
                        "comments.c -o comments-cxx.o; }",
                        workdir),
                     0);
    sb_free(&file);
    sb_free(&text);
    sb_free(&out);
}
END_TEST

/* --- work: transcendental calls and multiplications ---------------------------------- */

/* The body of function `fn`'s definition in C text (NULL when it has
 * none), malloc'd. */
static char *function_body(const char *text, const char *fn) {
    char head[96];
    snprintf(head, sizeof head, " %s(const", fn);
    for (const char *p = strstr(text, head); p; p = strstr(p + 1, head)) {
        const char *eol = strchr(p, '\n');
        if (!eol || eol[-1] != ')' || strncmp(eol, "\n{\n", 3) != 0)
            continue; /* a declaration */
        const char *e = strstr(eol, "\n}\n");
        if (!e)
            return NULL;
        size_t n = (size_t)(e - eol);
        char *body = malloc(n + 1);
        memcpy(body, eol, n);
        body[n] = '\0';
        return body;
    }
    return NULL;
}

/* Generates C for a program (double or float) and returns its text. */
static char *generate(const char *options, const char *program) {
    Run r;
    char opts[256];
    snprintf(opts, sizeof opts, "%s", options);
    const char *args[16];
    int n = 0;
    for (char *t = strtok(opts, " "); t && n < 12; t = strtok(NULL, " "))
        args[n++] = t;
    args[n++] = "--emit";
    args[n++] = "c";
    args[n++] = program;
    args[n] = NULL;
    run(args, NULL, &r);
    ck_assert_msg(r.status == 0, "%s: %s", program, r.err);
    char *text = r.out;
    r.out = NULL;
    run_free(&r);
    return text;
}

/* A kernel that reads no parameter says (void)x, and one of a program
 * with data that reads none of it (void)input, so that it compiles under
 * -Wunused-parameter; one that reads them says neither.  Every kernel of
 * programs that read both, either or neither in their value, gradient and
 * Hessian, double and float (the plan finds the variables as it marks
 * the kernel's nodes). */
START_TEST(test_unused_arrays) {
    static const char *const programs[] = {
        "param w; input d; w*d",       "param w; input d; w + d",   "param w; input d; w*w + d",
        "param w; input d; 3*w",       "param w; input d; d*d*w",   "param w, v; input d; exp(w)*v + d",
        "param w; 2.5",                "param w; w*w*w",            "param w, v; sigmoid(w) + v",
        "param w; input d; sin(d) + w", "param w, v; input d; log(1 + exp(w*d)) + v*v",
    };
    static const char *const options[] = {"", "--type float", "--hessian", "--hessian --type float"};
    static const char *const kernels[] = {"f", "f_grad", "f_hess"};
    int bodies = 0;
    for (size_t i = 0; i < sizeof programs / sizeof *programs; i++)
        for (size_t o = 0; o < sizeof options / sizeof *options; o++) {
            char *text = generate(options[o], programs[i]);
            int has_input = strstr(programs[i], "input") != NULL;
            for (size_t k = 0; k < sizeof kernels / sizeof *kernels; k++) {
                char *body = function_body(text, kernels[k]);
                if (!body)
                    continue;
                bodies++;
                int reads_x = strstr(body, "x[") != NULL, reads_input = strstr(body, "input[") != NULL;
                ck_assert_msg(reads_x == !strstr(body, "(void)x;"), "%s %s %s: x[] %d in\n%s", programs[i],
                              options[o], kernels[k], reads_x, body);
                if (has_input)
                    ck_assert_msg(reads_input == !strstr(body, "(void)input;"), "%s %s %s: input[] %d in\n%s",
                                  programs[i], options[o], kernels[k], reads_input, body);
                else
                    ck_assert_ptr_null(strstr(body, "input"));
                free(body);
            }
            free(text);
        }
    ck_assert_int_ge(bodies, 2 * 4 * 11);
}
END_TEST

/* One exp per distinct argument magnitude, shared by every sigmoid,
 * softplus and logarithm of a sigmoid of v or -v, value and gradient
 * together; a softmax and a logsumexp of one vector share their
 * exponentials; and the stable forms cost no more transcendental calls
 * (exp, log, log1p, expm1) than the naive form of the same mathematics,
 * value and gradient computed from one common-subexpression pass
 * (1/(1 + exp(-z)) for a sigmoid, log(1 + exp(v)) for a softplus,
 * log(exp(a) + ...) for a log-sum-exp), does.  The calls are counted as
 * the kernels run (calls in loops once per trip): each kernel is compiled
 * with libm's exp, log, log1p and expm1 wrapped in counters, the sd_
 * helpers' calls included. */
static const struct {
    const char *options, *program;
    int magnitudes; /* exp calls of f and of f_grad: distinct |argument|s, but
                     * n - 1 for a log-sum-exp of n terms (its largest is 1) */
    int naive;      /* transcendental calls of the naive value and gradient      */
} exp_cases[] = {
    /* logistic regression: the loss's two logarithms of sigmoids and the
     * gradient's sigmoid (naive: exp(-z), log(s), log(1 - s)) */
    {"", "param w0, w1, w2; input x1, x2, y; z = w0 + w1*x1 + w2*x2;\n"
         "-(y*ln(sigmoid(z)) + (1 - y)*ln(1 - sigmoid(z))) + 0.001*(w1^2 + w2^2)", 1, 3},
    {"", "param a, b; log(sigmoid(a)) + log(sigmoid(b))", 2, 4},
    {"", "param z; input y; -(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z)))", 1, 3},
    {"", "softplus(x) + sigmoid(-x)", 1, 2},
    {"", "log(1 + exp(x))", 1, 2},
    {"", "sigmoid(x)*sigmoid(-x) + sigmoid(2*x)", 2, 3},
    {"", "param u, v; softplus(u*v) - log(sigmoid(-u*v)) + sigmoid(u)", 2, 4},
    /* softmax cross-entropy over 3 classes: scalar (a log-sum-exp of
     * three terms), tensor unrolled and tensor; naive: 3 exp, 1 log */
    {"", "param a0, a1, a2; input y0, y1, y2; ln(exp(a0) + exp(a1) + exp(a2)) - (y0*a0 + y1*a1 + y2*a2)", 2, 4},
    {"", "param a0, a1, a2, a3; ln(exp(a0) + exp(a1) + exp(a2) + exp(a3)) - a2", 3, 5},
    {"", "param a0, a1; ln(exp(a0) + exp(a1)) - a1", 1, 3}, /* a0 + softplus(a1 - a0) */
    {"", "param a0, a1, a2; exp(a0)/(exp(a0) + exp(a1) + exp(a2))", 2, 3}, /* sigmoid(a0 - a1 - softplus(a2 - a1)) */
    {"--unroll", "param W[3,2], b[3]; input x[2], y[3]; s = W @ x + b; logsumexp(s) - dot(y, s)", 2, 4},
    {"", "param W[3,2], b[3]; input x[2], y[3]; s = W @ x + b; logsumexp(s) - dot(y, s)", 2, 4},
};

enum { NEXP_CASES = (int)(sizeof exp_cases / sizeof *exp_cases) };

/* The counters' wrappers, included before each kernel. */
static const char count_h[] =
    "#include <math.h>\n"
    "extern long sd_exps, sd_calls;\n"
    "#define exp(x) (sd_exps++, sd_calls++, (exp)(x))\n"
    "#define expf(x) (sd_exps++, sd_calls++, (expf)(x))\n"
    "#define expm1(x) (sd_exps++, sd_calls++, (expm1)(x))\n"
    "#define expm1f(x) (sd_exps++, sd_calls++, (expm1f)(x))\n"
    "#define log(x) (sd_calls++, (log)(x))\n"
    "#define logf(x) (sd_calls++, (logf)(x))\n"
    "#define log1p(x) (sd_calls++, (log1p)(x))\n"
    "#define log1pf(x) (sd_calls++, (log1pf)(x))\n";

START_TEST(test_one_exp_per_magnitude) {
    /* every case in double and float, compiled and run as one program */
    StrBuf drv, calls, files;
    sb_init(&drv);
    sb_init(&calls);
    sb_init(&files);
    sb_puts(&drv, "#include <stdio.h>\nlong sd_exps, sd_calls;\n"
                  "static double xd[64], ind[64], gd[64], wd[4096];\n"
                  "static float xf[64], inf_[64], gf[64], wf[4096];\n");
    for (int k = 0; k < NEXP_CASES; k++)
        for (int fl = 0; fl < 2; fl++) {
            char name[16], options[160], file[32];
            snprintf(name, sizeof name, "e%d%s", k, fl ? "f" : "");
            snprintf(options, sizeof options, "--name %s %s %s", name, exp_cases[k].options, fl ? "--type float" : "");
            char *text = generate(options, exp_cases[k].program);
            snprintf(file, sizeof file, "%s.c", name);
            write_in_workdir(file, text);
            sb_printf(&files, " %s", file);
            int ws = strstr(text, "_grad_ws(") != NULL, in = strstr(text, "SD_RESTRICT input") != NULL;
            free(text);
            const char *T = fl ? "float" : "double";
            for (int grad = 0; grad < 2; grad++) {
                /* T name[_grad][_ws](x[, input][, grad][, work]) */
                sb_printf(&drv, "%s %s%s%s(const %s *x", T, name, grad ? "_grad" : "", ws ? "_ws" : "", T);
                if (in)
                    sb_printf(&drv, ", const %s *input", T);
                if (grad)
                    sb_printf(&drv, ", %s *grad", T);
                if (ws)
                    sb_printf(&drv, ", %s *work", T);
                sb_puts(&drv, ");\n");
                sb_printf(&calls, "    sd_exps = sd_calls = 0;\n    (void)%s%s%s(%s", name, grad ? "_grad" : "",
                          ws ? "_ws" : "", fl ? "xf" : "xd");
                if (in)
                    sb_printf(&calls, ", %s", fl ? "inf_" : "ind");
                if (grad)
                    sb_printf(&calls, ", %s", fl ? "gf" : "gd");
                if (ws)
                    sb_printf(&calls, ", %s", fl ? "wf" : "wd");
                sb_puts(&calls, ");\n    printf(\"%ld %ld\\n\", sd_exps, sd_calls);\n");
            }
        }
    sb_printf(&drv, "int main(void)\n{\n    for (int i = 0; i < 64; i++) {\n"
                    "        xd[i] = xf[i] = 0.25f * (float)(i %% 5) - 0.5f;\n"
                    "        ind[i] = inf_[i] = 0.5f;\n    }\n%s    return 0;\n}\n",
              sb_str(&calls));
    write_in_workdir("count.h", count_h);
    write_in_workdir("counts.c", sb_str(&drv));
    ck_assert_msg(sh("cd '%s' && cc -std=c99 -o counts -include ./count.h counts.c%s -lm && ./counts > counts.out",
                     workdir, sb_str(&files)) == 0,
                  "the counting program failed");
    char *path = path_join(workdir, "counts.out");
    FILE *fp = fopen(path, "r");
    free(path);
    ck_assert_ptr_nonnull(fp);
    for (int k = 0; k < NEXP_CASES; k++)
        for (int fl = 0; fl < 2; fl++)
            for (int grad = 0; grad < 2; grad++) {
                long exps, total;
                ck_assert_int_eq(fscanf(fp, "%ld %ld", &exps, &total), 2);
                const char *what = grad ? "f_grad" : "f";
                ck_assert_msg(exps == exp_cases[k].magnitudes, "%s (%s): %s computes %ld exp, not one per magnitude (%d)",
                              exp_cases[k].program, fl ? "float" : "double", what, exps, exp_cases[k].magnitudes);
                ck_assert_msg(!grad || total <= exp_cases[k].naive,
                              "%s (%s): f_grad makes %ld transcendental calls, the naive form %d",
                              exp_cases[k].program, fl ? "float" : "double", total, exp_cases[k].naive);
            }
    fclose(fp);
    sb_free(&drv);
    sb_free(&calls);
    sb_free(&files);
}
END_TEST

/* Appends to script sc the --emit-test check of program (double and
 * float: generated, compiled with -Werror, run against finite
 * differences), its files named <stem><k>. */
static void add_emit_test(StrBuf *sc, char stem, size_t k, const char *program) {
    char file[32];
    snprintf(file, sizeof file, "%c%zu.sd", stem, k);
    write_in_workdir(file, program);
    for (int fl = 0; fl < 2; fl++) {
        char name[32];
        snprintf(name, sizeof name, "%c%zu%s", stem, k, fl ? "f" : "");
        sb_printf(sc,
                  "'%s' --emit-test %s --name %s -f %s -o %s.c\n"
                  "cc -std=c99 -Wall -Wextra -Wpedantic -Werror -o t%s %s.c %s_test.c -lm\n"
                  "./t%s > /dev/null\n",
                  symdiff_path(), fl ? "--type float" : "", name, file, name, name, name, name, name);
    }
}

/* Products of n factors: the gradient from prefix and suffix products,
 * at most 3n multiplications (not n^2), and the derivatives right
 * (the --emit-test program checks them against finite differences). */
static const struct {
    const char *program;
    int n; /* factors */
} product_cases[] = {
    {"param x0, x1, x2; x0*x1*x2", 3},
    {"param x0, x1, x2, x3, x4, x5; x0*x1*x2*x3*x4*x5", 6},
    {"param x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11; 3*x0*x1*x2*x3*x4*x5*x6*x7*x8*x9*x10*x11", 12},
    /* functions as factors: the factor's derivative joins its place */
    {"param a, b, c, d, g; a*exp(b)*sin(c)*d*g^2", 5},
    /* the product inside a function: every partial is cos(p) times it */
    {"param a, b, c, d, g, h; sin(a*b*c*d*g*h)", 6 + 6},
};

/* Products of n = 3 .. 40 factors (either side of the size where the
 * derivative engine builds the partials from prefix and suffix products
 * itself): plain, with a constant, with functions as factors, and inside
 * a function.  The function value is written from a partial that lacks
 * one factor (one multiplication, not n - 1); f_grad takes at most 3n
 * multiplications, plus one per factor whose derivative is a product
 * itself (sin: cos(x) times the rest, x^2: 2 x times the rest) or per
 * partial of a product inside a function (cos(p) times the rest).  Some
 * sizes run --emit-test against finite differences. */
enum { SWEEP_PLAIN, SWEEP_CONST, SWEEP_FUNCTIONS, SWEEP_INSIDE, SWEEP_KINDS };

static void sweep_program(int kind, int n, StrBuf *sb) {
    sb_puts(sb, "param ");
    for (int i = 0; i < n; i++)
        sb_printf(sb, "%sx%d", i ? ", " : "", i);
    sb_puts(sb, kind == SWEEP_CONST ? "; 3*" : kind == SWEEP_INSIDE ? "; sin(" : "; ");
    for (int i = 0; i < n; i++) {
        static const char *const form[4] = {"x%d", "exp(x%d)", "sin(x%d)", "x%d^2"};
        sb_printf(sb, kind == SWEEP_FUNCTIONS ? form[i % 4] : "x%d", i);
        if (i + 1 < n)
            sb_puts(sb, "*");
    }
    sb_puts(sb, kind == SWEEP_INSIDE ? ")" : "");
}

START_TEST(test_product_gradient_sweep) {
    StrBuf sc;
    sb_init(&sc);
    sb_puts(&sc, "set -e\n");
    size_t checked = 0;
    for (int kind = 0; kind < SWEEP_KINDS; kind++)
        for (int n = 3; n <= 40; n++) {
            StrBuf prog;
            sb_init(&prog);
            sweep_program(kind, n, &prog);
            char *text = generate("--name f", sb_str(&prog));
            char *grad = function_body(text, "f_grad");
            ck_assert_ptr_nonnull(grad);
            int muls = 0;
            for (const char *p = grad; (p = strstr(p, " * ")) != NULL; p += 3)
                muls++;
            int budget = 3 * n + (kind == SWEEP_FUNCTIONS ? n / 2 : kind == SWEEP_INSIDE ? n : 0);
            ck_assert_msg(muls <= budget, "%s: %d multiplications in f_grad, more than %d:\n%s", sb_str(&prog), muls,
                          budget, grad);
            free(grad);
            free(text);
            if (n == 5 || n == 12 || n == 40)
                add_emit_test(&sc, 's', checked++, sb_str(&prog));
            sb_free(&prog);
        }
    write_in_workdir("check.sh", sb_str(&sc));
    ck_assert_msg(sh("cd '%s' && sh ./check.sh > check.out 2>&1", workdir) == 0, "the products' gradient checks failed");
    sb_free(&sc);
}
END_TEST

START_TEST(test_product_gradient_cost) {
    StrBuf sc;
    sb_init(&sc);
    sb_puts(&sc, "set -e\n");
    for (size_t k = 0; k < sizeof product_cases / sizeof *product_cases; k++) {
        char *text = generate("--name f", product_cases[k].program);
        char *grad = function_body(text, "f_grad");
        ck_assert_ptr_nonnull(grad);
        int muls = 0;
        for (const char *p = grad; (p = strstr(p, " * ")) != NULL; p += 3)
            muls++;
        ck_assert_msg(muls <= 3 * product_cases[k].n, "%s: %d multiplications in f_grad, more than 3n = %d:\n%s",
                      product_cases[k].program, muls, 3 * product_cases[k].n, grad);
        free(grad);
        free(text);
        add_emit_test(&sc, 'p', k, product_cases[k].program);
    }
    write_in_workdir("check.sh", sb_str(&sc));
    ck_assert_msg(sh("cd '%s' && sh ./check.sh > check.out 2>&1", workdir) == 0, "the products' gradient checks failed");
    sb_free(&sc);
}
END_TEST

/* b^-k beside 1/b in a kernel is written from 1/b: products, not a
 * second division; the derivatives stay right (--emit-test against
 * finite differences). */
static const struct {
    const char *program;
    int divisions; /* at most, in f_grad */
} reciprocal_cases[] = {
    {"param vmax, km, ki; input s, i; vmax*s/(km*(1 + i/ki) + s)", 2},
    {"x/(1 + x^2)", 1},
    /* (a b + 1)^-2 and ^-3 without (a b + 1)^-1: two divisions for them */
    {"param a, b; 1/(a + b) + 1/(a + b)^3 + a/(a*b + 1)^2", 3},
    /* (u + v)^-8 and ^-9 without (u + v)^-1: one division each */
    {"param u, v; u^2/(u + v)^8", 2},
};

START_TEST(test_reciprocal_powers) {
    StrBuf sc;
    sb_init(&sc);
    sb_puts(&sc, "set -e\n");
    for (size_t k = 0; k < sizeof reciprocal_cases / sizeof *reciprocal_cases; k++) {
        char *text = generate("--name f", reciprocal_cases[k].program);
        char *grad = function_body(text, "f_grad");
        ck_assert_ptr_nonnull(grad);
        int divs = 0;
        for (const char *p = grad; (p = strstr(p, " / ")) != NULL; p += 3)
            divs++;
        /* constants written as p / q are not divisions at run time */
        for (const char *p = grad; (p = strstr(p, ".0 / ")) != NULL; p += 5)
            if (p[5] >= '0' && p[5] <= '9')
                divs--;
        ck_assert_msg(divs <= reciprocal_cases[k].divisions, "%s: %d divisions in f_grad, more than %d:\n%s",
                      reciprocal_cases[k].program, divs, reciprocal_cases[k].divisions, grad);
        free(grad);
        free(text);
        add_emit_test(&sc, 'r', k, reciprocal_cases[k].program);
    }
    write_in_workdir("check.sh", sb_str(&sc));
    ck_assert_msg(sh("cd '%s' && sh ./check.sh > check.out 2>&1", workdir) == 0,
                  "the reciprocal powers' gradient checks failed");
    sb_free(&sc);
}
END_TEST

Suite *codegen_suite(void);
Suite *codegen_suite(void) {
    Suite *s = suite_create("codegen");
    TCase *tc = tcase_create("careful");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_careful_forms, 0, (int)(sizeof careful / sizeof *careful));
    tcase_add_test(tc, test_bce_fusion);
    suite_add_tcase(s, tc);
    tc = tcase_create("corpus");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    int n = (int)(sizeof corpus / sizeof *corpus);
    tcase_add_loop_test(tc, test_corpus_gcc_double, 0, n);
    tcase_add_loop_test(tc, test_corpus_gcc_float, 0, n);
    tcase_add_loop_test(tc, test_corpus_clang, 0, n);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_powers_without_calls);
    tcase_add_test(tc, test_builtin_forms);
    tcase_add_test(tc, test_power_from_power);
    tcase_add_test(tc, test_header_contents);
    tcase_add_test(tc, test_emit_test_program);
    tcase_add_test(tc, test_one_exp_per_magnitude);
    tcase_add_test(tc, test_product_gradient_cost);
    tcase_add_test(tc, test_product_gradient_sweep);
    tcase_add_test(tc, test_reciprocal_powers);
    suite_add_tcase(s, tc);
    tc = tcase_create("names and text");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_names_of_this_c_library);
    tcase_add_loop_test(tc, test_float_constants, 0, (int)(sizeof float_constants / sizeof *float_constants));
    tcase_add_test(tc, test_comment_text);
    tcase_add_test(tc, test_unused_arrays);
    tcase_add_test(tc, test_literal_forms);
    suite_add_tcase(s, tc);
    return s;
}
