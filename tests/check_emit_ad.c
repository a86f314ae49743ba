/* SPDX-License-Identifier: MIT */
/*
 * check_emit_ad.c — --emit forward-ad and --emit reverse-ad: the kernels
 * compile with -Werror under gcc and clang in double and float, give the
 * evaluator's values and the symbolic engine's gradients at random points
 * (to 1e-12 in double, or as the comments say), agree with central
 * differences, keep the careful numeric forms and the kink conventions,
 * and honour the same file and entry-point contract as --emit c (the
 * generated test program of --emit c checks them).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "testrun.h"
#include "testutil.h"

static char workdir[256];

/* One directory per test case, made and removed by the runner's process
 * (so that it goes even when a test fails), and one inside it per test. */
static char casedir[128];

static void case_setup(void) { make_temp_dir(casedir, sizeof casedir, "emit-ad"); }

static void case_teardown(void) { remove_tree(casedir); }

static void setup(void) {
    snprintf(workdir, sizeof workdir, "%s/XXXXXX", casedir);
    ck_assert_ptr_nonnull(mkdtemp(workdir));
}

static void teardown(void) { remove_tree(workdir); }

static void write_in_workdir(const char *name, const char *text) {
    char *path = path_join(workdir, name);
    write_file(path, text);
    free(path);
}

/* The whole file of workdir (malloc'd), or NULL. */
static char *read_in_workdir(const char *name) {
    char *path = path_join(workdir, name), *text = read_file(path);
    free(path);
    return text;
}

/* symdiff OPTIONS -f prog.sd -o STEM.c, the program written to prog.sd. */
static void generate(const char *program, const char *options, const char *stem) {
    write_in_workdir("prog.sd", program);
    int rc = sh("cd '%s' && %s %s -f prog.sd -o %s.c 2> gen.txt", workdir, symdiff_path(), options, stem);
    if (rc != 0)
        sh("cat '%s/gen.txt' >&2", workdir);
    ck_assert_msg(rc == 0, "symdiff %s failed for %s", options, program);
}

/* Compiles driver.c with the listed sources, warnings as errors, and runs
 * it with its output in out.txt; returns the driver's exit status. */
static int compile_and_run(const char *cc, int use_float, const char *sources) {
    int rc = sh("cd '%s' && %s -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror %s -o driver driver.c %s -lm "
                "2> cc.txt",
                workdir, cc, use_float ? "-Wdouble-promotion" : "", sources);
    if (rc != 0) {
        sh("cat '%s/cc.txt' >&2", workdir);
        ck_abort_msg("%s failed to compile %s", cc, sources);
    }
    return sh("cd '%s' && ./driver > out.txt", workdir);
}

/* --- the program, in process: the reference ------------------------------------ */

typedef struct Reference {
    Graph *g;
    Program prog;
    AstArena arena;
    Diag diag;
    Source src;
    int params[16], inputs[16];
    int nparams, ninputs;
    Node *grad[64]; /* scalar: n entries; vector: m x n, row-major */
} Reference;

/* Lowers the program and builds its symbolic derivatives, the way the
 * command line orders the variables: parameters (x[]) and inputs (input[])
 * each in the graph's order. */
static void reference_init(Reference *r, const char *program, double kink) {
    memset(r, 0, sizeof *r);
    r->src = (Source){"<test>", program, strlen(program)};
    diag_init(&r->diag, &r->src);
    Ast *ast = parse_program(&r->arena, &r->diag);
    ck_assert_ptr_nonnull(ast);
    r->g = graph_new();
    LowerOptions opt = {0};
    ck_assert_int_eq(lower_program(r->g, ast, &r->diag, &opt, &r->prog), 0);
    for (int v = 0; v < r->g->nvars; v++) {
        if (r->g->vars[v].role == VAR_PARAM)
            r->params[r->nparams++] = v;
        else
            r->inputs[r->ninputs++] = v;
    }
    DerivOptions dopt = {.kink = kink, .assume_domain = 1, .domain = r->prog.outputs,
                         .ndomain = r->prog.noutputs};
    int n = r->nparams;
    if (r->prog.is_vector) {
        Node *col[16];
        for (int j = 0; j < n; j++) {
            ck_assert_int_eq(
                deriv_forward_many(r->g, r->prog.outputs, r->prog.noutputs, r->params[j], &dopt, col), 0);
            for (int i = 0; i < r->prog.noutputs; i++)
                r->grad[i * n + j] = col[i];
        }
    } else {
        ck_assert_int_eq(deriv_gradient(r->g, r->prog.outputs[0], r->params, n, &dopt, r->grad, NULL), 0);
    }
}

static void reference_free(Reference *r) {
    program_free(&r->prog);
    graph_free(r->g);
    ast_arena_free(&r->arena);
    diag_free(&r->diag);
}

static int reference_nout(const Reference *r) { return r->prog.is_vector ? r->prog.noutputs : 1; }

/* The outputs and then the derivatives (gradient or Jacobian) at x, input. */
static void reference_eval(const Reference *r, const double *x, const double *input, double *out) {
    double point[32];
    for (int i = 0; i < r->nparams; i++)
        point[r->params[i]] = x[i];
    for (int i = 0; i < r->ninputs; i++)
        point[r->inputs[i]] = input[i];
    int m = reference_nout(r), k = 0;
    for (int i = 0; i < m; i++)
        out[k++] = eval_node(r->g, r->prog.outputs[i], point);
    for (int i = 0; i < m * r->nparams; i++)
        out[k++] = eval_node(r->g, r->grad[i], point);
}

/* --- the corpus: values, gradients, finite differences ---------------------------- */

static const struct {
    const char *program;
    int fd;         /* compare with central differences (not for l_100: chaotic) */
    int float_run;  /* float: run and compare (l_100 in float is rounding noise) */
    double tol;     /* against the symbolic gradient in double; 0: 1e-12 */
} corpus[] = {
    /* course examples */
    {"x^2*ln(x^2)", 1, 1, 0},
    {"x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3", 1, 1, 0},
    {"(x + 2y^3)^2", 1, 1, 0},
    {"sqrt(x^2 + exp(x^2)) + cos(x^2 + exp(x^2))", 1, 1, 0},
    /* every builtin */
    {"exp(x) + log(y) + ln(x*y) + log2(x) + log10(y) + sqrt(x*y) + pow(x, 3)", 1, 1, 0},
    {"sin(x)*cos(y) + tan(x/3) + asin(y/3) + acos(x/4) + atan(x*y)", 1, 1, 0},
    {"sinh(x/2) + cosh(y/2) + tanh(x*y) + sigmoid(x - y) + softplus(2*x)", 1, 1, 0},
    {"relu(x - 0.5) + leaky_relu(y - 0.5) + leaky_relu(x - y, 0.2) + elu(x - 0.6, 0.5) + elu(y - 0.4)"
     " + abs(x - y)",
     1, 1, 0},
    {"max(x, y) + min(x, 2*y) + step(x - 0.5)*y + step(y - 0.5, 0.25)*x + sign(x - y)*y"
     " + ifpos(x - 0.5, x^2, -y) + pi*x",
     1, 1, 0},
    {"leaky_relu(0.5 - x*y, 0.3) * elu(x - 0.6, 2) + relu(y - x)^2", 1, 1, 0},
    /* powers: negative bases with integer exponents, variable exponents */
    {"(x - 1)^3 + (x - 2)^-2 + (y - 3)^4 - (x - y - 1)^5 + 1/(x - 3)", 1, 1, 0},
    {"x^y + 2^x + x^(3/2) + y^(1/3) + (x*y)^-0.5", 1, 1, 0},
    {"(x^3 - 2*x + 1)/(y^2 + 1) + 1/(x^2 + y^2 + 1) - x/y", 1, 1, 0},
    /* the careful forms */
    {"log(1 + x^2) + exp(y) - 1 + log(sigmoid(x - y)) + log(1 - sigmoid(x*y))", 1, 1, 0},
    /* the logistic map, l_10 and l_100.  The derivative is a product of
     * factors 4(1 - 2l); AD computes each as 4(1 - l) - 4l, which cancels
     * when l is near 1/2, and the product carries that error: over 200000
     * points AD and the symbolic form differ by up to 3e-11 (l_10) and
     * 5e-10 (l_100), relative to max(1, |g|) */
    {"l = x; repeat 9 { l = 4*l*(1-l) } l", 1, 1, 1e-10},
    {"l = x; repeat 99 { l = 4*l*(1-l) } l", 0, 0, 1e-9},
    /* inputs: machine-learning losses */
    {"param w0, w1, w2; input x1, x2, y;\n"
     "z = w0 + w1*x1 + w2*x2;\n"
     "-(y*ln(sigmoid(z)) + (1 - y)*ln(1 - sigmoid(z))) + 0.001*(w1^2 + w2^2)",
     1, 1, 0},
    {"param a1, b1, a2, b2, c1, c2, d; input x, y;\n"
     "h1 = tanh(a1*x + b1); h2 = sigmoid(a2*x + b2);\n(c1*h1 + c2*h2 + d - y)^2",
     1, 1, 0},
    {"param s1, s2, s3; input y1, y2, y3;\n"
     "log(exp(s1) + exp(s2) + exp(s3)) - (y1*s1 + y2*s2 + y3*s3)",
     1, 1, 0},
    {"param w, b; input x, y; max(0, 1 - y*(w*x + b)) + 0.01*w^2", 1, 1, 0},
    /* shared values, names that are C keywords */
    {"double = x; int = y; grad = double*int; grad^2 + exp(double) - 1", 1, 1, 0},
    /* degenerate: the output is a parameter; nothing to differentiate */
    {"param x, y; x", 1, 1, 0},
    {"input a; a^2 + 1", 1, 1, 0},
    /* vector programs: value and Jacobian */
    {"[x*y, sin(x) + y^2, exp(-x)]", 1, 1, 0},
    {"[3*x^2 + x, exp(x), ln(1 + x^2), y, 2]", 1, 1, 0},
};

enum { NPOINTS = 5 };

/* Deterministic points in [0.2, 0.9): every builtin of the corpus is
 * defined there, and the logistic map stays in (0, 1). */
static double next_uniform(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return 0.2 + 0.7 * (double)(*s >> 11) / 9007199254740992.0;
}

/* A driver that calls both kernels (kf: forward-ad, kr: reverse-ad) at
 * the points and prints, per point: for each kernel the value(s), the
 * value f_grad returns (scalar) and the derivatives; then, in double, the
 * central differences of kf's value. */
static void write_driver(const Reference *r, int use_float, const double *x, const double *in) {
    const char *T = use_float ? "float" : "double", *sfx = use_float ? "f" : "";
    int n = r->nparams, ni = r->ninputs, m = reference_nout(r), vec = r->prog.is_vector;
    const char *ia = ni ? ", in" : "";
    static char d[65536];
    size_t len = 0;
#define PUT(...) (len += (size_t)snprintf(d + len, sizeof d - len, __VA_ARGS__))
    PUT("#include <stdio.h>\n#include \"kf.h\"\n#include \"kr.h\"\n");
    PUT("static const %s X[%d][%d] = {", T, NPOINTS, n + 1);
    for (int p = 0; p < NPOINTS; p++) {
        PUT("{");
        for (int i = 0; i < n; i++)
            PUT("%.17g%s, ", x[p * 16 + i], sfx);
        PUT("0}, ");
    }
    PUT("};\nstatic const %s IN[%d][%d] = {", T, NPOINTS, ni + 1);
    for (int p = 0; p < NPOINTS; p++) {
        PUT("{");
        for (int i = 0; i < ni; i++)
            PUT("%.17g%s, ", in[p * 16 + i], sfx);
        PUT("0}, ");
    }
    PUT("};\n");
    PUT("static void show(%s v)\n{\n    printf(\" %%.17g\", (double)v);\n}\n", T);
    PUT("int main(void)\n{\n    for (int p = 0; p < %d; p++) {\n", NPOINTS);
    PUT("        %s x[%d], in[%d], d[%d], y[%d];\n", T, n + 1, ni + 1, m * n + 1, m + 1);
    PUT("        for (int i = 0; i < %d; i++)\n            x[i] = X[p][i];\n", n + 1);
    PUT("        for (int i = 0; i < %d; i++)\n            in[i] = IN[p][i];\n", ni + 1);
    PUT("        (void)in;\n        (void)d;\n        (void)y;\n");
    const char *k[2] = {"kf", "kr"};
    for (int j = 0; j < 2; j++) {
        if (vec) {
            PUT("        %s(x%s, y);\n        for (int i = 0; i < %d; i++)\n            show(y[i]);\n", k[j], ia, m);
            PUT("        %s_jac(x%s, d);\n", k[j], ia);
        } else {
            PUT("        show(%s(x%s));\n        show(%s_grad(x%s, d));\n", k[j], ia, k[j], ia);
        }
        PUT("        for (int i = 0; i < %d; i++)\n            show(d[i]);\n", m * n);
    }
    if (!use_float) {
        /* central differences of kf, column by column */
        PUT("        for (int j = 0; j < %d; j++) {\n", n);
        PUT("            double xp[%d], xm[%d], yp[%d], ym[%d], h = 1e-7;\n", n + 1, n + 1, m + 1, m + 1);
        PUT("            for (int i = 0; i < %d; i++)\n                xp[i] = xm[i] = x[i];\n", n + 1);
        PUT("            xp[j] += h;\n            xm[j] -= h;\n");
        if (vec)
            PUT("            kf(xp%s, yp);\n            kf(xm%s, ym);\n", ia, ia);
        else
            PUT("            yp[0] = kf(xp%s);\n            ym[0] = kf(xm%s);\n", ia, ia);
        PUT("            for (int i = 0; i < %d; i++)\n"
            "                d[i * %d + j] = (yp[i] - ym[i]) / (2 * h);\n        }\n",
            m, n > 0 ? n : 1);
        PUT("        for (int i = 0; i < %d; i++)\n            show(d[i]);\n", m * n);
    }
    PUT("        printf(\"\\n\");\n    }\n    return 0;\n}\n");
#undef PUT
    ck_assert_msg(len < sizeof d, "driver too long");
    write_in_workdir("driver.c", d);
}

static int close_to(double got, double want, double tol) {
    double s = fmax(1, fmax(fabs(got), fabs(want)));
    return fabs(got - want) <= tol * s;
}

static void check_corpus_entry(int e, const char *cc, int use_float) {
    const char *program = corpus[e].program;
    Reference r;
    reference_init(&r, program, 0);
    int n = r.nparams, ni = r.ninputs, m = reference_nout(&r), vec = r.prog.is_vector;
    double x[NPOINTS * 16], in[NPOINTS * 16];
    uint64_t seed = 0x9E3779B97F4A7C15u + (uint64_t)e;
    for (int p = 0; p < NPOINTS; p++) {
        /* in float, the reference is evaluated at the float points */
        for (int i = 0; i < n; i++)
            x[p * 16 + i] = use_float ? (double)(float)next_uniform(&seed) : next_uniform(&seed);
        for (int i = 0; i < ni; i++)
            in[p * 16 + i] = use_float ? (double)(float)next_uniform(&seed) : next_uniform(&seed);
    }
    const char *type = use_float ? "--type float" : "";
    char options[128];
    snprintf(options, sizeof options, "--emit forward-ad --name kf %s", type);
    generate(program, options, "kf");
    snprintf(options, sizeof options, "--emit reverse-ad --name kr %s", type);
    generate(program, options, "kr");
    write_driver(&r, use_float, x, in);
    ck_assert_int_eq(compile_and_run(cc, use_float, "kf.c kr.c"), 0);
    if (use_float && !corpus[e].float_run) {
        reference_free(&r);
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", workdir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    int nvals = m + (vec ? 0 : 1) + m * n; /* per kernel */
    for (int p = 0; p < NPOINTS; p++) {
        double ref[128], got[2][128], fd[64];
        reference_eval(&r, &x[p * 16], &in[p * 16], ref);
        for (int j = 0; j < 2; j++)
            for (int i = 0; i < nvals; i++)
                ck_assert_int_eq(fscanf(f, "%lf", &got[j][i]), 1);
        for (int i = 0; !use_float && i < m * n; i++)
            ck_assert_int_eq(fscanf(f, "%lf", &fd[i]), 1);
        for (int j = 0; j < 2; j++) {
            const char *mode = j ? "reverse-ad" : "forward-ad";
            /* the values: f (and what f_grad returns) */
            double vtol = use_float ? 1e-4 : 1e-13;
            for (int i = 0; i < m; i++)
                ck_assert_msg(close_to(got[j][i], ref[i], vtol), "%s %s (%s, %s), point %d: value %d is %.17g, "
                              "the evaluator says %.17g", program, mode, cc, use_float ? "float" : "double", p,
                              i, got[j][i], ref[i]);
            if (!vec)
                ck_assert_msg(close_to(got[j][1], ref[0], vtol), "%s %s: f_grad returns %.17g, not %.17g",
                              program, mode, got[j][1], ref[0]);
            /* the derivatives, against the symbolic engine and finite differences */
            const double *gd = got[j] + (vec ? m : 2);
            double tol = use_float ? 1e-3 : corpus[e].tol ? corpus[e].tol : 1e-12;
            for (int i = 0; i < m * n; i++) {
                ck_assert_msg(close_to(gd[i], ref[m + i], tol), "%s %s (%s, %s), point %d: derivative %d is "
                              "%.17g, the symbolic gradient %.17g", program, mode, cc,
                              use_float ? "float" : "double", p, i, gd[i], ref[m + i]);
                if (!use_float && corpus[e].fd)
                    ck_assert_msg(close_to(gd[i], fd[i], 1e-5), "%s %s, point %d: derivative %d is %.17g, "
                                  "central differences %.17g", program, mode, p, i, gd[i], fd[i]);
            }
        }
    }
    fclose(f);
    reference_free(&r);
}

START_TEST(test_corpus_gcc_double) { check_corpus_entry(_i, "gcc", 0); }
END_TEST

START_TEST(test_corpus_gcc_float) { check_corpus_entry(_i, "gcc", 1); }
END_TEST

START_TEST(test_corpus_clang_double) {
    if (have_compiler("clang"))
        check_corpus_entry(_i, "clang", 0);
}
END_TEST

START_TEST(test_corpus_clang_float) {
    if (have_compiler("clang"))
        check_corpus_entry(_i, "clang", 1);
}
END_TEST

/* --- careful forms and kinks ------------------------------------------------------- */

/* Each: a program of x, a form the source must use, a point where the
 * naive C expression loses everything, and the exact value and derivative
 * there. */
static const struct {
    const char *program, *must_contain;
    double x, value, deriv;
} careful[] = {
    {"log(1 + x)", "log1p(", 1e-17, 1e-17, 1.0},
    {"exp(x) - 1", "expm1(", 1e-17, 1e-17, 1.0},
    {"sigmoid(x)", "sd_sigmoid_1(", -800, 0.0, 0.0},
    {"sigmoid(x)", "sd_sigmoid_1(", 800, 1.0, 0.0},
    {"log(sigmoid(x))", "sd_softplus_1(", -800, -800.0, 1.0},
    {"log(1 - sigmoid(x))", "sd_softplus_1(", 800, -800.0, -1.0},
    {"softplus(x)", "sd_softplus_1(", 800, 800.0, 1.0},
    {"softplus(x)", "sd_softplus_1(", -800, 0.0, 0.0},
};

START_TEST(test_careful_forms) {
    char driver[1024];
    snprintf(driver, sizeof driver,
             "#include <stdio.h>\n#include \"kf.h\"\n#include \"kr.h\"\n"
             "int main(void) {\n"
             "    double x[1] = {%.17g}, g[1], h[1];\n"
             "    double v = kf(x), w = kf_grad(x, g), u = kr_grad(x, h);\n"
             "    printf(\"%%.17g %%.17g %%.17g %%.17g %%.17g\\n\", v, w, g[0], u, h[0]);\n"
             "    return 0;\n}\n",
             careful[_i].x);
    generate(careful[_i].program, "--emit forward-ad --name kf", "kf");
    generate(careful[_i].program, "--emit reverse-ad --name kr", "kr");
    write_in_workdir("driver.c", driver);
    ck_assert_int_eq(compile_and_run("cc", 0, "kf.c kr.c"), 0);
    const char *files[] = {"kf.c", "kr.c"};
    for (int i = 0; i < 2; i++) {
        char *src = read_in_workdir(files[i]);
        ck_assert_ptr_nonnull(src);
        ck_assert_msg(strstr(src, careful[_i].must_contain), "%s: no %s in\n%s", careful[_i].program,
                      careful[_i].must_contain, src);
        free(src);
    }
    char *out = read_in_workdir("out.txt");
    ck_assert_ptr_nonnull(out);
    double v[5];
    ck_assert_int_eq(sscanf(out, "%lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4]), 5);
    free(out);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(isfinite(v[i]), "%s at %g: result %d is %g", careful[_i].program, careful[_i].x, i, v[i]);
    ck_assert_close(v[0], careful[_i].value, 1e-15);
    ck_assert_close(v[1], careful[_i].value, 1e-15);
    ck_assert_close(v[2], careful[_i].deriv, 1e-12);
    ck_assert_close(v[3], careful[_i].value, 1e-15);
    ck_assert_close(v[4], careful[_i].deriv, 1e-12);
}
END_TEST

/* Binary cross-entropy of a sigmoid: the gradient sigmoid(z) - y stays
 * finite and exact at z = +-800 in both modes, as the symbolic kernel's. */
START_TEST(test_bce) {
    const char *program = "param z; input y; -(y*ln(sigmoid(z)) + (1 - y)*ln(1 - sigmoid(z)))";
    generate(program, "--emit forward-ad --name kf", "kf");
    generate(program, "--emit reverse-ad --name kr", "kr");
    write_in_workdir("driver.c",
               "#include <math.h>\n#include <stdio.h>\n#include \"kf.h\"\n#include \"kr.h\"\n"
               "int main(void) {\n"
               "    const double zs[] = {-800, -30, -1, 0, 1, 30, 800}, ys[] = {0, 1};\n"
               "    int bad = 0;\n"
               "    for (int i = 0; i < 7; i++)\n"
               "        for (int j = 0; j < 2; j++) {\n"
               "            double x[1] = {zs[i]}, in[1] = {ys[j]}, g[1], h[1];\n"
               "            double v = kf_grad(x, in, g), w = kr_grad(x, in, h);\n"
               "            double s = zs[i] >= 0 ? 1 / (1 + exp(-zs[i])) : exp(zs[i]) / (1 + exp(zs[i]));\n"
               "            double loss = log1p(exp(-fabs(zs[i]))) + (ys[j] ? (zs[i] < 0 ? -zs[i] : 0)\n"
               "                                                          : (zs[i] > 0 ? zs[i] : 0));\n"
               "            if (!isfinite(v) || !isfinite(w) || fabs(g[0] - (s - ys[j])) > 1e-15 ||\n"
               "                fabs(h[0] - (s - ys[j])) > 1e-15 || fabs(v - loss) > 1e-12 * (1 + loss) ||\n"
               "                fabs(w - loss) > 1e-12 * (1 + loss)) {\n"
               "                printf(\"z=%g y=%g: %g %g, gradients %g %g (want %g)\\n\", zs[i], ys[j], v, w,\n"
               "                       g[0], h[0], s - ys[j]);\n"
               "                bad = 1;\n            }\n        }\n"
               "    return bad;\n}\n");
    ck_assert_int_eq(compile_and_run("cc", 0, "kf.c kr.c"), 0);
}
END_TEST

/* relu'(0), abs'(0) and max/min ties follow --kink as the symbolic engine
 * does: both kernels against the symbolic gradient at the kinks. */
START_TEST(test_kinks) {
    const char *program = "relu(x) + 3*abs(y) + max(x, y) + 5*min(x, y) + leaky_relu(x, 0.1)";
    const double kinks[] = {0, 0.5, 1};
    for (int k = 0; k < 3; k++) {
        char options[128];
        snprintf(options, sizeof options, "--emit forward-ad --name kf --kink %g", kinks[k]);
        generate(program, options, "kf");
        snprintf(options, sizeof options, "--emit reverse-ad --name kr --kink %g", kinks[k]);
        generate(program, options, "kr");
        write_in_workdir("driver.c", "#include <stdio.h>\n#include \"kf.h\"\n#include \"kr.h\"\n"
                               "int main(void) {\n    double x[2] = {0, 0}, g[2], h[2];\n"
                               "    kf_grad(x, g);\n    kr_grad(x, h);\n"
                               "    printf(\"%.17g %.17g %.17g %.17g\\n\", g[0], g[1], h[0], h[1]);\n"
                               "    return 0;\n}\n");
        ck_assert_int_eq(compile_and_run("cc", 0, "kf.c kr.c"), 0);
        Reference r;
        reference_init(&r, program, kinks[k]);
        double zero[2] = {0, 0}, ref[3];
        reference_eval(&r, zero, zero, ref);
        reference_free(&r);
        char *out = read_in_workdir("out.txt");
        ck_assert_ptr_nonnull(out);
        double v[4];
        ck_assert_int_eq(sscanf(out, "%lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3]), 4);
        free(out);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(close_to(v[i], ref[1 + i % 2], 1e-15),
                          "kink %g: derivative %d is %.17g, the symbolic one %.17g", kinks[k], i % 2, v[i],
                          ref[1 + i % 2]);
        /* the documented conventions: relu'(0) = S, leaky_relu'(0) =
         * a + (1 - a) S, abs'(0) = 0, a tie gives each side weight S */
        ck_assert_close(ref[1], kinks[k] + kinks[k] + 5 * kinks[k] + 0.1 + 0.9 * kinks[k], 1e-15);
        ck_assert_close(ref[2], kinks[k] + 5 * kinks[k], 1e-15);
    }
}
END_TEST

/* --- the contract shared with --emit c ------------------------------------------- */

/* --emit-test's program checks any kernel with the header's entry points
 * against the symbolic derivative and finite differences. */
START_TEST(test_interchangeable) {
    const char *programs[] = {"x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3",
                              "param w, b; input x, y; (tanh(w*x + b) - y)^2 + softplus(-w)",
                              "[x*y, sin(x) + y^2, exp(-x)]"};
    const char *modes[] = {"forward-ad", "reverse-ad"};
    for (size_t p = 0; p < sizeof programs / sizeof *programs; p++)
        for (int m = 0; m < 2; m++) {
            char options[128];
            snprintf(options, sizeof options, "--emit %s --emit-test", modes[m]);
            generate(programs[p], options, "g");
            ck_assert_msg(sh("cd '%s' && cc -std=c99 -Wall -Wextra -Wpedantic -Werror g.c g_test.c -lm -o t "
                             "2> cc.txt && ./t > t.txt",
                             workdir) == 0,
                          "--emit %s: the generated test fails for %s", modes[m], programs[p]);
        }
}
END_TEST

/* -o writes NAME.c and NAME.h and nothing else; without -o both go to
 * standard output; the same command gives the same bytes; wrong uses are
 * usage errors. */
START_TEST(test_files_and_usage) {
    write_in_workdir("prog.sd", "param w, b; input x, y; (w*x + b - y)^2");
    ck_assert_int_eq(sh("cd '%s' && mkdir out && %s --emit reverse-ad --name fit -f prog.sd -o out/fit.c && "
                        "test \"$(ls out | tr '\\n' ' ')\" = 'fit.c fit.h '",
                        workdir, symdiff_path()),
                     0);
    ck_assert_int_eq(sh("cd '%s' && %s --emit reverse-ad --name fit -f prog.sd > stdout.txt && "
                        "grep -q '#define FIT_NVARS 2' stdout.txt && grep -q 'double fit_grad(const double "
                        "\\*SD_RESTRICT x, const double \\*SD_RESTRICT input, double \\*SD_RESTRICT grad)$' "
                        "stdout.txt",
                        workdir, symdiff_path()),
                     0);
    ck_assert_int_eq(sh("cd '%s' && mkdir again && %s --emit reverse-ad --name fit -f prog.sd -o again/fit.c && "
                        "cmp -s again/fit.c out/fit.c && sed 's/again/out/' again/fit.h | cmp -s - out/fit.h",
                        workdir, symdiff_path()),
                     0);
    const char *needles[] = {"#define FIT_NINPUTS 2", "#define FIT_NOUT 1", "FIT_STACK_BYTES", "x[0] = w",
                             "input[1] = y", "reverse-mode automatic differentiation", "locals", "add,"};
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        ck_assert_msg(sh("grep -qF -- '%s' '%s/out/fit.h'", needles[i], workdir) == 0, "fit.h lacks: %s",
                      needles[i]);
    ck_assert_int_eq(sh("cd '%s' && %s --emit sideways -f prog.sd 2> err.txt; test $? -eq 2 && "
                        "grep -q \"forward-ad\" err.txt",
                        workdir, symdiff_path()),
                     0);
    ck_assert_int_eq(sh("cd '%s' && %s --emit forward-ad --hessian -f prog.sd -o h.c 2> err.txt; "
                        "test $? -eq 2 && test ! -e h.c",
                        workdir, symdiff_path()),
                     0);
}
END_TEST

/* The number of operations a header reports for `fn`, all kinds together. */
static long header_ops(const char *header, const char *fn) {
    char key[64];
    snprintf(key, sizeof key, " *   %s ", fn);
    const char *costs = strstr(header, "Cost per call");
    ck_assert_ptr_nonnull(costs);
    const char *p = strstr(costs, key);
    ck_assert_msg(p != NULL, "no cost line for %s", fn);
    long add, mul, div, call;
    ck_assert_int_eq(sscanf(p + strlen(key), " %ld add, %ld mul, %ld div, %ld call", &add, &mul, &div, &call), 4);
    return add + mul + div + call;
}

/* The costs the headers report have the shape of the two modes: forward
 * mode pays one pass per parameter, reverse mode a constant factor. */
START_TEST(test_costs) {
    const char *program = "param a1, b1, a2, b2, a3, b3, c1, c2, c3, d; input x, y;\n"
                          "h1 = tanh(a1*x + b1); h2 = tanh(a2*x + b2); h3 = tanh(a3*x + b3);\n"
                          "(c1*h1 + c2*h2 + c3*h3 + d - y)^2";
    generate(program, "--emit forward-ad --name kf", "kf");
    generate(program, "--emit reverse-ad --name kr", "kr");
    char *hf = read_in_workdir("kf.h"), *hr = read_in_workdir("kr.h");
    ck_assert_ptr_nonnull(hf);
    ck_assert_ptr_nonnull(hr);
    long f = header_ops(hf, "kf"), fwd = header_ops(hf, "kf_grad");
    long f2 = header_ops(hr, "kr"), rev = header_ops(hr, "kr_grad");
    ck_assert_int_eq(f, f2); /* the same straight-line code */
    ck_assert_msg(strstr(hf, "(10 passes, each"), "forward mode: not one pass per parameter:\n%s", hf);
    ck_assert_msg(fwd >= 10 * f, "forward mode: %ld operations for 10 parameters, f has %ld", fwd, f);
    ck_assert_msg(rev <= 4 * f, "reverse mode: %ld operations, f has %ld", rev, f);
    free(hf);
    free(hr);
    /* and for a long chain, the logistic map l_100 */
    generate("l = x; repeat 99 { l = 4*l*(1-l) } l", "--emit reverse-ad --name kr", "kr");
    hr = read_in_workdir("kr.h");
    ck_assert_ptr_nonnull(hr);
    f = header_ops(hr, "kr");
    rev = header_ops(hr, "kr_grad");
    ck_assert_msg(rev <= 4 * f, "reverse mode on l_100: %ld operations, f has %ld", rev, f);
    free(hr);
}
END_TEST

Suite *emit_ad_suite(void);
Suite *emit_ad_suite(void) {
    Suite *s = suite_create("emit_ad");
    int n = (int)(sizeof corpus / sizeof *corpus);
    TCase *tc = tcase_create("corpus");
    tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_corpus_gcc_double, 0, n);
    tcase_add_loop_test(tc, test_corpus_gcc_float, 0, n);
    tcase_add_loop_test(tc, test_corpus_clang_double, 0, n);
    tcase_add_loop_test(tc, test_corpus_clang_float, 0, n);
    suite_add_tcase(s, tc);
    tc = tcase_create("numerics");
    tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_careful_forms, 0, (int)(sizeof careful / sizeof *careful));
    tcase_add_test(tc, test_bce);
    tcase_add_test(tc, test_kinks);
    suite_add_tcase(s, tc);
    tc = tcase_create("contract");
    tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_interchangeable);
    tcase_add_test(tc, test_files_and_usage);
    tcase_add_test(tc, test_costs);
    suite_add_tcase(s, tc);
    return s;
}
