/* SPDX-License-Identifier: MIT */
/*
 * check_kernels.c — generated kernels used as C and C++ projects use them:
 * many kernels of every emitter in one program and one translation unit,
 * their headers in C++, hostile variable names, kernel names and program
 * text, the stack they declare, the workspace they take, and output that
 * does not depend on where it was made.
 *
 *   - sweep: vector programs of 1..16 outputs and 1..6 variables through
 *     every emitter (symbolic, --hessian, forward-ad, reverse-ad, float),
 *     every kernel against --json's values, all of them in one translation
 *     unit (a unity build), the output arrays guarded by sentinels;
 *   - names: variables called like the header's macros, its include guard,
 *     the kernel, C and C++ keywords and the entry points' arguments;
 *     kernels called like the kernels' own locals; program text that ends,
 *     nests and splices comments: every header and kernel compiles warning-
 *     free in C (gcc, clang) and C++ (g++, clang++), one by one and all in
 *     one translation unit, gives --json's values, and honours the
 *     aliasing contract its header states;
 *   - helpers: scalar and vector kernels of the same function agree at
 *     NaN, +-inf, zeros of both signs, kinks and +-800, +-1000, on every
 *     builtin and every careful form;
 *   - unroll: unrolled tensor kernels give the loops' values bit for bit;
 *   - training: the program of --emit-main train trains and refuses bad
 *     data;
 *   - stack: NAME_STACK_BYTES against -fstack-usage of gcc and clang;
 *   - tensors: the workspace macro against what the kernels write (ASan,
 *     a heap buffer of exactly that size), and a 1000x1000 program beyond
 *     the stack budget;
 *   - places: the same command from two directories, with the tool at two
 *     paths, writes the same bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen_common.h"
#include "dag.h"
#include "strbuf.h"
#include "testrun.h"
#include "testutil.h"

static char dir[256];

static void setup(void) { make_temp_dir(dir, sizeof dir, "kernels"); }

static void teardown(void) { remove_tree(dir); }

static void put(const char *name, const char *text) {
    char *path = path_join(dir, name);
    write_file(path, text);
    free(path);
}

static char *get(const char *name) {
    char *path = path_join(dir, name), *text = read_file(path);
    free(path);
    ck_assert_msg(text != NULL, "%s/%s is missing", dir, name);
    return text;
}

/* Runs a shell script in dir; its output (both streams) is in script.out.
 * Returns the exit status. */
static int script(const StrBuf *text) {
    ck_assert(!text->failed);
    put("script.sh", sb_str(text));
    return sh("cd '%s' && sh ./script.sh > script.out 2>&1", dir);
}

/* Fails with the script's output. */
static void script_ok(const StrBuf *text, const char *what) {
    if (script(text) != 0) {
        char *out = get("script.out");
        fprintf(stderr, "%s:\n%.20000s\n", what, out);
        ck_abort_msg("%s failed (its output is above): %.2000s", what, out);
    }
}

/* The numbers of `key`'s value in a JSON object (a number or nested
 * lists), in order; the count. */
static int json_numbers(const char *json, const char *key, double *out, int cap) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\": ", key);
    const char *p = strstr(json, pattern);
    ck_assert_msg(p != NULL, "no \"%s\" in %s", key, json);
    p += strlen(pattern);
    int n = 0, depth = 0;
    do {
        if (*p == '[') {
            depth++;
            p++;
        } else if (*p == ']') {
            depth--;
            p++;
        } else if (*p == ',' || *p == ' ') {
            p++;
        } else {
            char *end;
            double v = strtod(p, &end);
            ck_assert_msg(end != p, "not a number at %.20s", p);
            ck_assert_int_lt(n, cap);
            out[n++] = v;
            p = end;
        }
    } while (depth > 0);
    return n;
}

/* A C literal of v, in float when use_float: NAN, INFINITY, 1.0f. */
static void put_number(StrBuf *sb, double v, int use_float) {
    if (isnan(v))
        sb_puts(sb, "NAN");
    else if (isinf(v))
        sb_puts(sb, v > 0 ? "INFINITY" : "-INFINITY");
    else
        codegen_literal(sb, codegen_type(use_float), v);
}

/* A C array initializer of n numbers. */
static void put_numbers(StrBuf *sb, const double *v, int n, int use_float) {
    sb_putc(sb, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            sb_puts(sb, ", ");
        put_number(sb, v[i], use_float);
    }
    sb_puts(sb, n ? "}" : "0}");
}

/* What every driver starts with: a comparison that counts failures. */
static const char *driver_prelude =
    "#include <math.h>\n#include <stdio.h>\n\n"
    "static int drv_failures;\n\n"
    "static void drv_check(const char *kernel, const char *what, int k, double got, double want, double tol)\n{\n"
    "    double s = fabs(want) > 1 ? fabs(want) : 1;\n"
    "    if (!(fabs(got - want) <= tol * s)) {\n"
    "        if (drv_failures++ < 40)\n"
    "            printf(\"%s: %s[%d] is %.17g, want %.17g\\n\", kernel, what, k, got, want);\n"
    "    }\n}\n\n";

/* --- 1. the sweep: outputs 1..16 x variables 1..6, every emitter ----------------------- */

enum { SWEEP_M = 16, SWEEP_N = 6 };

/* Output i of a program of n variables a0 ... a<n-1>: a sum over the
 * variables of terms with libm calls, helpers and products. */
static void sweep_output(StrBuf *sb, int i, int n) {
    for (int j = 0; j < n; j++) {
        int k = (j + 1) % n, l = (i + j) % n;
        if (j)
            sb_puts(sb, " + ");
        switch ((i + 2 * j) % 8) {
        case 0: sb_printf(sb, "sin(a%d)*a%d", j, k); break;
        case 1: sb_printf(sb, "exp(a%d/3)", j); break;
        case 2: sb_printf(sb, "%d*a%d^2", i + 1, j); break;
        case 3: sb_printf(sb, "relu(a%d - 0.1)*a%d", j, l); break;
        case 4: sb_printf(sb, "sigmoid(%d*a%d)", i + 1, j); break;
        case 5: sb_printf(sb, "log(1 + a%d^2)", j); break;
        case 6: sb_printf(sb, "tanh(a%d)*a%d", j, l); break;
        default: sb_printf(sb, "sqrt(1 + a%d)", j); break;
        }
    }
    sb_printf(sb, " + %d*a%d", i + 1, i % n);
}

/* The emitters of the sweep: kernel k<m>x<n><suffix>. */
static const struct {
    char suffix;
    const char *options;
    int use_float, hessian;
} sweep_emitters[] = {
    {'s', "", 0, 0},
    {'f', "--emit forward-ad", 0, 0},
    {'r', "--emit reverse-ad", 0, 0},
    {'t', "--type float", 1, 0},
    {'h', "--hessian", 0, 1}, /* the scalar program: the outputs' sum */
};

START_TEST(test_jacobian_sweep) {
    StrBuf sc, drv, tables[3];
    sb_init(&sc);
    sb_init(&drv);
    for (int t = 0; t < 3; t++)
        sb_init(&tables[t]);
    const int ne = (int)(sizeof sweep_emitters / sizeof *sweep_emitters);
    /* the programs, the kernels and the references, in one script */
    sb_puts(&sc, "set -e\n");
    for (int m = 1; m <= SWEEP_M; m++)
        for (int n = 1; n <= SWEEP_N; n++) {
            StrBuf vec, sum, file;
            sb_init(&vec);
            sb_init(&sum);
            sb_init(&file);
            sb_putc(&vec, '[');
            for (int i = 0; i < m; i++) {
                if (i) {
                    sb_puts(&vec, ",\n ");
                    sb_puts(&sum, "\n + ");
                }
                sweep_output(&vec, i, n);
                sweep_output(&sum, i, n);
            }
            sb_puts(&vec, "]\n");
            sb_printf(&file, "v%dx%d.sd", m, n);
            put(sb_str(&file), sb_str(&vec));
            sb_clear(&file);
            sb_printf(&file, "s%dx%d.sd", m, n);
            put(sb_str(&file), sb_str(&sum));
            StrBuf vars, at;
            sb_init(&vars);
            sb_init(&at);
            for (int j = 0; j < n; j++) {
                sb_printf(&vars, "%sa%d", j ? "," : "", j);
                sb_printf(&at, "%sa%d=%.17g", j ? "," : "", j, 0.3 + 0.17 * j);
            }
            for (int e = 0; e < ne; e++)
                sb_printf(&sc, "'%s' --vars %s %s --name k%dx%d%c -f %c%dx%d.sd -o k%dx%d%c.c\n", symdiff_path(),
                          sb_str(&vars), sweep_emitters[e].options, m, n, sweep_emitters[e].suffix,
                          sweep_emitters[e].hessian ? 's' : 'v', m, n, m, n, sweep_emitters[e].suffix);
            sb_printf(&sc, "'%s' --vars %s --json --at %s -f v%dx%d.sd > v%dx%d.json\n", symdiff_path(), sb_str(&vars),
                      sb_str(&at), m, n, m, n);
            sb_printf(&sc, "'%s' --vars %s --json --hessian --at %s -f s%dx%d.sd > s%dx%d.json\n", symdiff_path(),
                      sb_str(&vars), sb_str(&at), m, n, m, n);
            sb_free(&vec);
            sb_free(&sum);
            sb_free(&file);
            sb_free(&vars);
            sb_free(&at);
        }
    script_ok(&sc, "generating the sweep's kernels");

    /* one driver, every kernel included in it */
    sb_puts(&drv, driver_prelude);
    for (int m = 1; m <= SWEEP_M; m++)
        for (int n = 1; n <= SWEEP_N; n++)
            for (int e = 0; e < ne; e++)
                sb_printf(&drv, "#include \"k%dx%d%c.c\"\n", m, n, sweep_emitters[e].suffix);
    sb_puts(&drv, "\ntypedef void (*drv_vd)(const double *, double *);\n"
                  "typedef void (*drv_vf)(const float *, float *);\n"
                  "typedef double (*drv_gd)(const double *, double *);\n\n"
                  "#define DRV_GUARD 4\n\n");
    sb_puts(&tables[0], "static const struct {\n    const char *name;\n    int m, n;\n    drv_vd value, jac;\n"
                        "    const double *x, *y, *J;\n} drv_double[] = {\n");
    sb_puts(&tables[1], "static const struct {\n    const char *name;\n    int m, n;\n    drv_vf value, jac;\n"
                        "    const float *x;\n    const double *y, *J;\n} drv_float[] = {\n");
    sb_puts(&tables[2], "static const struct {\n    const char *name;\n    int n;\n    double (*value)(const double *);\n"
                        "    drv_gd grad;\n    drv_vd hess;\n    const double *x, *v, *g, *H;\n} drv_hess[] = {\n");
    for (int m = 1; m <= SWEEP_M; m++)
        for (int n = 1; n <= SWEEP_N; n++) {
            char name[64];
            snprintf(name, sizeof name, "v%dx%d.json", m, n);
            char *vj = get(name);
            snprintf(name, sizeof name, "s%dx%d.json", m, n);
            char *sj = get(name);
            double y[SWEEP_M], J[SWEEP_M * SWEEP_N], v[1], g[SWEEP_N], H[SWEEP_N * SWEEP_N], x[SWEEP_N];
            ck_assert_int_eq(json_numbers(vj, "value", y, SWEEP_M), m);
            ck_assert_int_eq(json_numbers(vj, "jacobian", J, SWEEP_M * SWEEP_N), m * n);
            ck_assert_int_eq(json_numbers(sj, "value", v, 1), 1);
            ck_assert_int_eq(json_numbers(sj, "gradient", g, SWEEP_N), n);
            ck_assert_int_eq(json_numbers(sj, "hessian", H, SWEEP_N * SWEEP_N), n * n);
            for (int j = 0; j < n; j++)
                x[j] = 0.3 + 0.17 * j;
            const char *w = "static const double";
            sb_printf(&drv, "%s x%dx%d[] = ", w, m, n);
            put_numbers(&drv, x, n, 0);
            sb_printf(&drv, ";\nstatic const float xf%dx%d[] = ", m, n);
            put_numbers(&drv, x, n, 1);
            sb_printf(&drv, ";\n%s y%dx%d[] = ", w, m, n);
            put_numbers(&drv, y, m, 0);
            sb_printf(&drv, ";\n%s J%dx%d[] = ", w, m, n);
            put_numbers(&drv, J, m * n, 0);
            sb_printf(&drv, ";\n%s v%dx%d[] = ", w, m, n);
            put_numbers(&drv, v, 1, 0);
            sb_printf(&drv, ";\n%s g%dx%d[] = ", w, m, n);
            put_numbers(&drv, g, n, 0);
            sb_printf(&drv, ";\n%s H%dx%d[] = ", w, m, n);
            put_numbers(&drv, H, n * n, 0);
            sb_puts(&drv, ";\n");
            for (int e = 0; e < 3; e++)
                sb_printf(&tables[0], "    {\"k%dx%d%c\", %d, %d, k%dx%d%c, k%dx%d%c_jac, x%dx%d, y%dx%d, J%dx%d},\n", m, n,
                          "sfr"[e], m, n, m, n, "sfr"[e], m, n, "sfr"[e], m, n, m, n, m, n);
            sb_printf(&tables[1], "    {\"k%dx%dt\", %d, %d, k%dx%dt, k%dx%dt_jac, xf%dx%d, y%dx%d, J%dx%d},\n", m, n, m,
                      n, m, n, m, n, m, n, m, n, m, n);
            sb_printf(&tables[2], "    {\"k%dx%dh\", %d, k%dx%dh, k%dx%dh_grad, k%dx%dh_hess, x%dx%d, v%dx%d, g%dx%d, "
                                  "H%dx%d},\n",
                      m, n, n, m, n, m, n, m, n, m, n, m, n, m, n, m, n);
            free(vj);
            free(sj);
        }
    for (int t = 0; t < 3; t++) {
        sb_puts(&tables[t], "};\n\n");
        sb_puts(&drv, "\n");
        sb_puts(&drv, sb_str(&tables[t]));
    }
    /* every output array has DRV_GUARD sentinels past its end */
    sb_puts(&drv,
            "#define DRV_COUNT(a) (sizeof a / sizeof a[0])\n\n"
            "static void drv_guarded(const char *k, const char *what, const double *a, int n)\n{\n"
            "    for (int i = n; i < n + DRV_GUARD; i++)\n"
            "        if (a[i] != 12345.0)\n            drv_check(k, what, i, a[i], 12345.0, 0);\n}\n\n"
            "int main(void)\n{\n"
            "    for (size_t k = 0; k < DRV_COUNT(drv_double); k++) {\n"
            "        double y[16 + DRV_GUARD], J[96 + DRV_GUARD];\n"
            "        int m = drv_double[k].m, n = drv_double[k].n;\n"
            "        for (int i = 0; i < 16 + DRV_GUARD; i++)\n            y[i] = 12345.0;\n"
            "        for (int i = 0; i < 96 + DRV_GUARD; i++)\n            J[i] = 12345.0;\n"
            "        drv_double[k].value(drv_double[k].x, y);\n"
            "        drv_double[k].jac(drv_double[k].x, J);\n"
            "        for (int i = 0; i < m; i++)\n"
            "            drv_check(drv_double[k].name, \"y\", i, y[i], drv_double[k].y[i], 1e-12);\n"
            "        for (int i = 0; i < m * n; i++)\n"
            "            drv_check(drv_double[k].name, \"J\", i, J[i], drv_double[k].J[i], 1e-12);\n"
            "        drv_guarded(drv_double[k].name, \"y\", y, m);\n"
            "        drv_guarded(drv_double[k].name, \"J\", J, m * n);\n"
            "    }\n"
            "    for (size_t k = 0; k < DRV_COUNT(drv_float); k++) {\n"
            "        float y[16 + DRV_GUARD], J[96 + DRV_GUARD];\n"
            "        double yd[16 + DRV_GUARD], Jd[96 + DRV_GUARD];\n"
            "        int m = drv_float[k].m, n = drv_float[k].n;\n"
            "        for (int i = 0; i < 16 + DRV_GUARD; i++)\n            y[i] = 12345.0f;\n"
            "        for (int i = 0; i < 96 + DRV_GUARD; i++)\n            J[i] = 12345.0f;\n"
            "        drv_float[k].value(drv_float[k].x, y);\n"
            "        drv_float[k].jac(drv_float[k].x, J);\n"
            "        for (int i = 0; i < 16 + DRV_GUARD; i++)\n            yd[i] = (double)y[i];\n"
            "        for (int i = 0; i < 96 + DRV_GUARD; i++)\n            Jd[i] = (double)J[i];\n"
            "        for (int i = 0; i < m; i++)\n"
            "            drv_check(drv_float[k].name, \"y\", i, yd[i], drv_float[k].y[i], 1e-5);\n"
            "        for (int i = 0; i < m * n; i++)\n"
            "            drv_check(drv_float[k].name, \"J\", i, Jd[i], drv_float[k].J[i], 1e-5);\n"
            "        drv_guarded(drv_float[k].name, \"y\", yd, m);\n"
            "        drv_guarded(drv_float[k].name, \"J\", Jd, m * n);\n"
            "    }\n"
            "    for (size_t k = 0; k < DRV_COUNT(drv_hess); k++) {\n"
            "        double g[6 + DRV_GUARD], H[36 + DRV_GUARD];\n"
            "        int n = drv_hess[k].n;\n"
            "        for (int i = 0; i < 6 + DRV_GUARD; i++)\n            g[i] = 12345.0;\n"
            "        for (int i = 0; i < 36 + DRV_GUARD; i++)\n            H[i] = 12345.0;\n"
            "        drv_check(drv_hess[k].name, \"value\", 0, drv_hess[k].value(drv_hess[k].x), drv_hess[k].v[0], 1e-12);\n"
            "        drv_check(drv_hess[k].name, \"value of _grad\", 0, drv_hess[k].grad(drv_hess[k].x, g),\n"
            "                  drv_hess[k].v[0], 1e-12);\n"
            "        drv_hess[k].hess(drv_hess[k].x, H);\n"
            "        for (int i = 0; i < n; i++)\n"
            "            drv_check(drv_hess[k].name, \"grad\", i, g[i], drv_hess[k].g[i], 1e-12);\n"
            "        for (int i = 0; i < n * n; i++)\n"
            "            drv_check(drv_hess[k].name, \"H\", i, H[i], drv_hess[k].H[i], 1e-12);\n"
            "        drv_guarded(drv_hess[k].name, \"grad\", g, n);\n"
            "        drv_guarded(drv_hess[k].name, \"H\", H, n * n);\n"
            "    }\n"
            "    printf(\"%d kernels, %d failures\\n\", (int)(DRV_COUNT(drv_double) + DRV_COUNT(drv_float) +\n"
            "           DRV_COUNT(drv_hess)), drv_failures);\n"
            "    return drv_failures != 0;\n}\n");
    put("driver.c", sb_str(&drv));
    ck_assert(!drv.failed);
    /* one compiler run, one translation unit, every kernel of the sweep */
    sb_clear(&sc);
    sb_printf(&sc, "%s -std=c99 -O0 -Wall -Wextra -Wpedantic -Werror -o driver driver.c -lm && ./driver\n",
              have_compiler("clang") ? "clang" : "gcc"); /* clang: three times as fast here */
    script_ok(&sc, "the sweep's unity build");
    char *out = get("script.out");
    ck_assert_msg(strstr(out, "480 kernels, 0 failures") != NULL, "%s", out);
    free(out);
    sb_free(&sc);
    sb_free(&drv);
    for (int t = 0; t < 3; t++)
        sb_free(&tables[t]);
}
END_TEST

/* --- 2. hostile names and text: C and C++, one by one and in one unit ------------------ */

/* Each kernel: --name, options, the program, and its variables as they
 * lie in x[] and input[] ("W:2x3 b:3 | x:3": parameters, then after '|'
 * the inputs; a size is 1, n or RxC).  Variables are called like the
 * header's macros and guard, the kernels, C and C++ keywords and the entry
 * points' arguments; kernels like the kernels' locals and arguments. */
#define PROGRAM_SCALAR                                                                                       \
    "param x, input_, grad, H, f, F, f_H, x_grad; input y, J, int;\n"                                           \
    "x*input_*grad + H*f*F + f_H*x_grad*y + J*int*sigmoid(x*F) + relu(grad - H)"
#define SPEC_SCALAR "x input_ grad H f F f_H x_grad | y J int"
#define PROGRAM_VECTOR "param x, input_, H, grad, f, F, f_H;\n[x*input_ + H, grad*sin(f), F*f_H, max(x, H)]"
#define SPEC_VECTOR "x input_ H grad f F f_H"
/* what ends a comment, nests one, begins a trigraph or splices a line;
 * UTF-8, bytes that are not, control bytes, CR LF */
#define PROGRAM_COMMENTS                                                                                     \
    "param a, b; # */ end /* nest ?\?/ tri ?\?= ?\?( ?\?) ?\?' ?\?< ?\?! ?\?> ?\?- \\\n"                                \
    "# \xce\xb8 utf8, \xff\xfe bad, \x01\x7f ctl, \xe2\x82 cut\r\n"                                            \
    "a*b + exp(a) # /**/ *//* \\   \n"                                                                       \
    "# \\"

static const struct {
    const char *name, *options, *program, *spec;
} hostile[] = {
    /* offsets beside the size macros they used to redefine */
    {"f", "", "param work[3], w[2], W[2], h, H, nvars; input ninputs[2], nout, NVARS, WORK;\n"
              "sum(work*work)*h + dot(w, W)*H + nvars*dot(ninputs, w) + nout*NVARS*WORK + sum(relu(work - 1))",
     "work:3 w:2 W:2 h H nvars | ninputs:2 nout NVARS WORK"},
    /* the kernel's own names: functions, macros, include guard */
    {"net", "--type float",
     "param net[2], NET, net_H, NET_H, net_grad[2], NET_OFFSET_net; input net_ws[2], NET_NVARS, f_H;\n"
     "sum(softplus(net*NET)) + net_H*NET_H*dot(net_grad, net_ws) + NET_OFFSET_net*NET_NVARS*f_H",
     "net:2 NET net_H NET_H net_grad:2 NET_OFFSET_net | net_ws:2 NET_NVARS f_H"},
    /* keywords and the entry points' arguments */
    {"grad", "", "param x[2], input_, J, y[2,2], H; input grad[2], work, int, class, restrict;\n"
                 "sum(tanh(y @ x)) + input_*J*dot(grad, x) + H*work*int*class*restrict",
     "x:2 input_ J y:2x2 H | grad:2 work int class restrict"},
    {"J", "", "param y[2], J, x; input restrict[2];\n[sum(y*restrict), J*x, dot(y, y)*J, max(J, x)]",
     "y:2 J x | restrict:2"},
    {"s", "--unroll", "param q[3]; input m[3], s;\nsoftmax(q*m*s)", "q:3 | m:3 s"},
    /* scalar programs through every emitter */
    {"x", "--hessian", PROGRAM_SCALAR, SPEC_SCALAR},
    {"y", "--emit forward-ad", PROGRAM_SCALAR, SPEC_SCALAR},
    {"work", "--emit reverse-ad --type float", PROGRAM_SCALAR, SPEC_SCALAR},
    {"value", "--hessian --type float", PROGRAM_SCALAR, SPEC_SCALAR},
    {"H", "--emit reverse-ad", PROGRAM_VECTOR, SPEC_VECTOR},
    {"input", "--type float", PROGRAM_VECTOR, SPEC_VECTOR},
    {"t0", "--emit forward-ad", PROGRAM_VECTOR, SPEC_VECTOR},
    /* program text in the comments */
    {"k", "--hessian", PROGRAM_COMMENTS, "a b"},
    {"i", "--emit reverse-ad", PROGRAM_COMMENTS, "a b"},
    {"m", "--emit forward-ad --type float", PROGRAM_COMMENTS, "a b"},
    {"e0", "", "param a[2]; # */ ?\?/\\\nsum(a*a) # /*", "a:2"},
    /* names that differ in case only: two include guards */
    {"Ab", "", PROGRAM_SCALAR, SPEC_SCALAR},
    {"aB", "", PROGRAM_SCALAR, SPEC_SCALAR},
};

enum { MAX_VARS = 16, MAX_ELEMS = 64 };

typedef struct Layout {
    int nvars, nparams;
    char name[MAX_VARS][32];
    int rows[MAX_VARS], cols[MAX_VARS], rank[MAX_VARS];
    int offset[MAX_VARS]; /* in x[] or input[] */
    int nx, nin;
    double at[2][MAX_ELEMS]; /* the point: x[] and input[] */
} Layout;

static void layout_read(const char *spec, Layout *L) {
    memset(L, 0, sizeof *L);
    int inputs = 0;
    for (const char *p = spec; *p;) {
        while (*p == ' ')
            p++;
        if (*p == '|') {
            inputs = 1;
            L->nparams = L->nvars;
            p++;
            continue;
        }
        if (!*p)
            break;
        int v = L->nvars++, len = 0;
        ck_assert_int_lt(v, MAX_VARS);
        while (p[len] && p[len] != ' ' && p[len] != ':')
            len++;
        snprintf(L->name[v], sizeof L->name[v], "%.*s", len, p);
        p += len;
        L->rows[v] = L->cols[v] = 1;
        if (*p == ':') {
            L->rank[v] = 1;
            L->rows[v] = (int)strtol(p + 1, (char **)&p, 10);
            if (*p == 'x') {
                L->rank[v] = 2;
                L->cols[v] = (int)strtol(p + 1, (char **)&p, 10);
            }
        }
        int *n = inputs ? &L->nin : &L->nx;
        L->offset[v] = *n;
        for (int e = 0; e < L->rows[v] * L->cols[v]; e++) {
            ck_assert_int_lt(*n, MAX_ELEMS);
            L->at[inputs][(*n)++] = 0.2 + 0.07 * v + 0.11 * e;
        }
    }
    if (!inputs)
        L->nparams = L->nvars;
}

/* The point as --at wants it: name=value, name=[...], name=[[...], ...]. */
static void layout_at(const Layout *L, StrBuf *sb) {
    for (int v = 0; v < L->nvars; v++) {
        const double *a = L->at[v >= L->nparams] + L->offset[v];
        sb_printf(sb, "%s%s=", v ? "," : "", L->name[v]);
        if (L->rank[v] == 0)
            sb_printf(sb, "%.17g", a[0]);
        else {
            sb_puts(sb, L->rank[v] == 2 ? "[[" : "[");
            for (int e = 0; e < L->rows[v] * L->cols[v]; e++)
                sb_printf(sb, "%s%.17g", e == 0 ? "" : L->rank[v] == 1 || e % L->cols[v] ? "," : "],[", a[e]);
            sb_puts(sb, L->rank[v] == 2 ? "]]" : "]");
        }
    }
}

static int has_option(const char *options, const char *option) { return strstr(options, option) != NULL; }

/* The driver's checks of kernel k: sizes and offsets, the values at the
 * point against --json's, and the aliasing the header allows (x and input
 * the same memory). */
static void hostile_checks(StrBuf *d, int k, const Layout *L, const char *json) {
    const char *name = hostile[k].name, *opt = hostile[k].options;
    int use_float = has_option(opt, "float"), tensor = strchr(hostile[k].program, '[') &&
                                                         strstr(hostile[k].program, "param") &&
                                                         strchr(strstr(hostile[k].program, "param"), '[') <
                                                             strchr(hostile[k].program, ';');
    int vector = strstr(json, "\"jacobian\"") != NULL, hess = has_option(opt, "--hessian");
    const char *T = use_float ? "float" : "double";
    double tol = use_float ? 1e-5 : 1e-12;
    char U[64];
    codegen_macro_prefix(U, sizeof U, name);
    double value[16], deriv[MAX_ELEMS * 16], H[MAX_ELEMS * MAX_ELEMS];
    int m = json_numbers(json, "value", value, 16);
    int nd = json_numbers(json, vector ? "jacobian" : "gradient", deriv, MAX_ELEMS * 16);
    ck_assert_int_eq(nd, m * L->nx);
    /* --json's jacobian is laid out as the kernel's J: rows of the flattened variables */
    sb_printf(d, "typedef char drv_sizes%d[%s_NVARS == %d && %s_NINPUTS == %d && %s_NOUT == %d ? 1 : -1];\n", k, U,
              L->nx, U, L->nin, U, m);
    for (int v = 0; tensor && v < L->nvars; v++)
        sb_printf(d, "typedef char drv_offset%d_%d[%s_OFFSET_%s == %d ? 1 : -1];\n", k, v, U, L->name[v],
                  L->offset[v]);
    sb_printf(d, "static void drv_kernel%d(void)\n{\n    static const %s drv_x[] = ", k, T);
    put_numbers(d, L->at[0], L->nx, use_float);
    sb_printf(d, ";\n    static const %s drv_in[] = ", T);
    put_numbers(d, L->at[1], L->nin, use_float);
    sb_printf(d, ";\n    static const double drv_value[] = ");
    put_numbers(d, value, m, 0);
    sb_printf(d, ", drv_deriv[] = ");
    put_numbers(d, deriv, nd, 0);
    sb_printf(d, ";\n    %s drv_y[%d], drv_d[%d], drv_same[%d];\n    (void)drv_in;\n    (void)drv_same;\n", T, m + 1,
              nd + 1, L->nx + L->nin + 1);
    const char *in = L->nin ? ", drv_in" : "";
    if (vector) {
        sb_printf(d, "    %s(drv_x%s, drv_y);\n    %s_jac(drv_x%s, drv_d);\n", name, in, name, in);
    } else {
        sb_printf(d, "    drv_y[0] = %s(drv_x%s);\n", name, in);
        sb_printf(d, "    drv_check(\"%s\", \"the value of _grad\", 0, (double)%s_grad(drv_x%s, drv_d), drv_value[0], %g);\n",
                  name, name, in, tol);
    }
    sb_printf(d, "    for (int i = 0; i < %d; i++)\n        drv_check(\"%s\", \"value\", i, (double)drv_y[i], drv_value[i], %g);\n",
              m, name, tol);
    sb_printf(d, "    for (int i = 0; i < %d; i++)\n        drv_check(\"%s\", \"derivative\", i, (double)drv_d[i], drv_deriv[i], %g);\n",
              nd, name, tol);
    if (hess) {
        int nh = json_numbers(json, "hessian", H, MAX_ELEMS * MAX_ELEMS);
        ck_assert_int_eq(nh, L->nx * L->nx);
        sb_puts(d, "    {\n        static const double drv_want[] = ");
        put_numbers(d, H, nh, 0);
        sb_printf(d, ";\n        %s drv_h[%d];\n        %s_hess(drv_x%s, drv_h);\n", T, nh + 1, name, in);
        sb_printf(d, "        for (int i = 0; i < %d; i++)\n            drv_check(\"%s\", \"H\", i, (double)drv_h[i], drv_want[i], %g);\n    }\n",
                  nh, name, tol);
    }
    if (tensor) { /* the _ws variants, with a workspace of exactly NAME_WORK elements */
        sb_printf(d, "    {\n        %s drv_work[%s_WORK + 1], drv_d2[%d];\n", T, U, nd + 1);
        if (vector)
            sb_printf(d, "        %s_jac_ws(drv_x%s, drv_d2, drv_work);\n", name, in);
        else
            sb_printf(d, "        (void)%s_grad_ws(drv_x%s, drv_d2, drv_work);\n", name, in);
        sb_printf(d, "        for (int i = 0; i < %d; i++)\n            drv_check(\"%s\", \"derivative of _ws\", i, "
                     "(double)drv_d2[i], (double)drv_d[i], 0);\n    }\n",
                  nd, name);
    }
    if (L->nin) { /* x and input the same memory */
        sb_printf(d, "    for (int i = 0; i < %d; i++)\n        drv_same[i] = drv_x[i %% %d];\n", L->nx + L->nin,
                  L->nx);
        if (vector)
            sb_printf(d, "    %s(drv_same, drv_same, drv_y);\n    %s(drv_same, drv_same, drv_d);\n", name, name);
        else
            sb_printf(d, "    drv_y[0] = %s(drv_same, drv_same);\n    drv_d[0] = %s(drv_same, drv_x);\n", name, name);
        sb_printf(d, "    drv_check(\"%s\", \"the value with x and input the same memory\", 0, (double)drv_y[0], "
                     "(double)drv_d[0], 0);\n",
                  name);
    }
    sb_puts(d, "}\n\n");
}

START_TEST(test_hostile_names) {
    const int n = (int)(sizeof hostile / sizeof *hostile);
    StrBuf sc, d, unity;
    sb_init(&sc);
    sb_init(&d);
    sb_init(&unity);
    Layout *L = calloc((size_t)n, sizeof *L);
    ck_assert_ptr_nonnull(L);
    /* the programs are read from directories whose names hold what ends
     * and nests comments (the header records the command line) */
    static const char *const levels[] = {"in *", "in */* ?\?", "in */* ?\?/\\"};
    for (int l = 0; l < 3; l++) {
        char *src = path_join(dir, levels[l]);
        ck_assert_int_eq(mkdir(src, 0700), 0);
        free(src);
    }
    sb_puts(&sc, "set -e\n");
    for (int k = 0; k < n; k++) {
        layout_read(hostile[k].spec, &L[k]);
        char file[64];
        snprintf(file, sizeof file, "in */* ?\?/\\/p%d.sd", k);
        put(file, hostile[k].program);
        StrBuf at;
        sb_init(&at);
        layout_at(&L[k], &at);
        sb_printf(&sc, "'%s' %s --name %s -f 'in */* ?\?/\\/p%d.sd' -o k%d.c\n", symdiff_path(), hostile[k].options,
                  hostile[k].name, k, k);
        sb_printf(&sc, "'%s' %s --json --at '%s' -f 'in */* ?\?/\\/p%d.sd' > k%d.json\n", symdiff_path(),
                  has_option(hostile[k].options, "--hessian") ? "--hessian" : "", sb_str(&at), k, k);
        sb_free(&at);
        sb_printf(&unity, "#include \"k%d.c\"\n", k);
    }
    script_ok(&sc, "generating the kernels with hostile names");

    /* the driver, valid C and C++ */
    sb_puts(&d, driver_prelude);
    for (int k = 0; k < n; k++)
        sb_printf(&d, "#include \"k%d.h\"\n", k);
    sb_puts(&d, "\n");
    for (int k = 0; k < n; k++) {
        char name[32];
        snprintf(name, sizeof name, "k%d.json", k);
        char *json = get(name);
        hostile_checks(&d, k, &L[k], json);
        free(json);
        /* the header says what it promises */
        snprintf(name, sizeof name, "k%d.h", k);
        char *h = get(name), guard[64];
        snprintf(guard, sizeof guard, "#ifndef %s_H\n", hostile[k].name);
        ck_assert_msg(strstr(h, guard) && strstr(h, "extern \"C\"") && strstr(h, "must not overlap") &&
                          strstr(h, "_STACK_BYTES"),
                      "k%d.h lacks its guard %s, extern \"C\", the aliasing contract or the stack:\n%s", k, guard, h);
        free(h);
    }
    sb_puts(&d, "int main(void)\n{\n");
    for (int k = 0; k < n; k++)
        sb_printf(&d, "    drv_kernel%d();\n", k);
    sb_puts(&d, "    return drv_failures != 0;\n}\n");
    put("driver.c", sb_str(&d));
    put("unity.c", sb_str(&unity));
    ck_assert(!d.failed && !unity.failed);

    /* every kernel on its own and all in one unit, in C and C++; the
     * driver in C with the unit, in C++ with the kernels compiled as C */
    const char *c_flags = "-std=c99 -O1 -Wall -Wextra -Wpedantic -Werror -Wdouble-promotion";
    const char *cxx_flags = "-x c++ -std=c++11 -O1 -Wall -Wextra -Wpedantic -Werror -Wdouble-promotion";
    sb_clear(&sc);
    static const char *const ccs[][2] = {{"gcc", "g++"}, {"clang", "clang++"}};
    sb_puts(&sc, "status=0\n");
    for (int c = 0; c < 2; c++) { /* the two compilers side by side */
        if (!have_compiler(ccs[c][0]))
            continue;
        sb_printf(&sc, "(set -e\nmkdir -p o-%s && cd o-%s && %s %s -c", ccs[c][0], ccs[c][0], ccs[c][0], c_flags);
        for (int k = 0; k < n; k++)
            sb_printf(&sc, " ../k%d.c", k);
        sb_printf(&sc, " && cd ..\n%s %s -o drv-%s driver.c unity.c -lm && ./drv-%s\n", ccs[c][0], c_flags, ccs[c][0],
                  ccs[c][0]);
        if (have_compiler(ccs[c][1])) {
            sb_printf(&sc, "%s %s -c -o unity-%s.o unity.c\n", ccs[c][1], cxx_flags, ccs[c][1]);
            sb_printf(&sc, "%s %s -c -o drv-%s.o driver.c && %s -o drv-%s drv-%s.o o-%s/*.o -lm && ./drv-%s\n",
                      ccs[c][1], cxx_flags, ccs[c][1], ccs[c][1], ccs[c][1], ccs[c][1], ccs[c][0], ccs[c][1]);
        }
        sb_printf(&sc, ") > out-%s.txt 2>&1 &\npid%d=$!\n", ccs[c][0], c);
    }
    for (int c = 0; c < 2; c++)
        if (have_compiler(ccs[c][0]))
            sb_printf(&sc, "wait $pid%d || status=1\ncat out-%s.txt\n", c, ccs[c][0]);
    sb_puts(&sc, "exit $status\n");
    script_ok(&sc, "compiling and running the kernels with hostile names in C and C++");
    sb_free(&sc);
    sb_free(&d);
    sb_free(&unity);
    free(L);
}
END_TEST

/* --- 3. one helper, one behaviour: scalar and vector kernels agree -------------------- */

/* Functions of u (v, w), each generated as a scalar program of scalars u,
 * v, w and as a vector program of vectors u, v, w holding every point:
 * every builtin (test_same_math_has_every_builtin holds the list to
 * builtins.def), powers and products, and the careful forms the emitter
 * core chooses, which scalar and vector kernels share. */
static const char *const same_math[] = {
    "relu(u)",   "leaky_relu(u, 0.25)", "elu(u, 0.5)", "sign(u)",        "step(u)",     "step(u, 0.5)",
    "min(u, v)", "max(u, v)",           "ifpos(u, v, w)", "sigmoid(u)",  "softplus(u)", "abs(u)",
    "exp(u)",    "log(u)",              "sqrt(u)",     "tanh(u)",        "atan(u)",     "u^2*v",
    "u^3",       "1/u",                 "u*v + w",
    "pi*u",      "log2(u)",             "log10(u)",    "sin(u)",         "cos(u)",      "tan(u)",
    "asin(u)",   "acos(u)",             "sinh(u)",     "cosh(u)",
    /* powers: by squaring, through sqrt, b^(y - 1) beside b^y; a product */
    "u^8",       "u^(5/2) + sqrt(u)",   "u^v",         "u*v*w",
    /* careful forms: -softplus for the logarithms of sigmoids, log1p,
     * expm1, exponentials shared by sigmoid, softplus and log-sigmoid */
    "log(sigmoid(u))", "log(1 - sigmoid(u))", "log(1 + u)", "exp(u) - 1", "softplus(u) - sigmoid(u)",
    "log(sigmoid(u)) + sigmoid(u)", "log(1 + exp(u))", "-(v*log(sigmoid(u)) + (1 - v)*log(1 - sigmoid(u)))",
    /* one-sided: all of -u, all of u */
    "softplus(-u) + sigmoid(-u)", "sigmoid(u) - log(1 - sigmoid(u))",
    /* the functions other systems have: reciprocal trigonometry, inverse
     * hyperbolics, error functions, the careful libm forms, activations */
    "sec(u)",    "csc(u)",              "cot(u)",      "acot(u)",        "asec(u)",     "acsc(u)",
    "asinh(u)",  "acosh(u)",            "atanh(u)",    "sech(u)",        "csch(u)",     "coth(u)",
    "asech(u)",  "acsch(u)",            "acoth(u)",    "erf(u)",         "erfc(u)",     "atan2(u, v)",
    "hypot(u, v)", "cbrt(u)",           "exp2(u)",     "expm1(u)",       "log1p(u)",    "log(u, v)",
    "gelu(u)",   "silu(u)",             "softsign(u)", "mish(u)",        "hardtanh(u)", "huber(u, 1.5)",
};

/* The points: every value for u; for v the first seven too in
 * two-argument functions (ties and signed zeros included); for ifpos, v
 * and w from short lists.  (A vector program's Jacobian is as long as the
 * square of the number of points.) */
static const double special[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1.0, -1.0, 0.5, 800.0, -800.0, 1e-310,
                                 1000.0, -1000.0};

enum { NSPECIAL = (int)(sizeof special / sizeof *special), NSPECIAL_V = 7 };

static int same_points(const char *f, double pts[][3]) {
    int n = 0, uses_v = strchr(f, 'v') != NULL, uses_w = strchr(f, 'w') != NULL;
    static const double vs[] = {NAN, 2.0}, ws[] = {-INFINITY, 3.0};
    for (int i = 0; i < NSPECIAL; i++)
        for (int j = 0; j < (uses_w ? 2 : uses_v ? NSPECIAL_V : 1); j++)
            for (int k = 0; k < (uses_w ? 2 : 1); k++) {
                pts[n][0] = special[i];
                pts[n][1] = uses_w ? vs[j] : uses_v ? special[j] : 1.0;
                pts[n][2] = uses_w ? ws[k] : 1.0;
                n++;
            }
    return n;
}

START_TEST(test_scalar_vector_agree) {
    const int nf = (int)(sizeof same_math / sizeof *same_math);
    static const struct {
        const char *suffix, *options;
        int use_float, vector;
    } forms[] = {
        {"s", "", 0, 0},           {"f", "--emit forward-ad", 0, 0}, {"r", "--emit reverse-ad", 0, 0},
        {"sf", "--type float", 1, 0}, {"v", "", 0, 1}, {"vu", "--unroll", 0, 1}, {"vf", "--type float", 1, 1},
    };
    const int nforms = (int)(sizeof forms / sizeof *forms);
    StrBuf sc, d;
    sb_init(&sc);
    sb_init(&d);
    sb_puts(&sc, "set -e\n");
    sb_puts(&d, driver_prelude);
    sb_puts(&d, "static int drv_same(double a, double b)\n{\n"
                "    return (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b));\n}\n\n");
    double (*pts)[3] = malloc(NSPECIAL * NSPECIAL_V * 4 * sizeof *pts);
    ck_assert_ptr_nonnull(pts);
    for (int f = 0; f < nf; f++) {
        int np = same_points(same_math[f], pts);
        char file[64];
        snprintf(file, sizeof file, "s%d.sd", f);
        StrBuf prog;
        sb_init(&prog);
        sb_printf(&prog, "param u, v, w;\n%s\n", same_math[f]);
        put(file, sb_str(&prog));
        sb_clear(&prog);
        sb_printf(&prog, "param u[%d], v[%d], w[%d];\n%s\n", np, np, np, same_math[f]);
        snprintf(file, sizeof file, "v%d.sd", f);
        put(file, sb_str(&prog));
        sb_free(&prog);
        for (int k = 0; k < nforms; k++) {
            if (!strcmp(forms[k].suffix, "vu") && np > NSPECIAL)
                continue; /* unrolled: for functions of u only (the code grows as np^2) */
            sb_printf(&sc, "'%s' %s --name f%d%s -f %c%d.sd -o f%d%s.c\n", symdiff_path(), forms[k].options, f,
                      forms[k].suffix, forms[k].vector ? 'v' : 's', f, f, forms[k].suffix);
            sb_printf(&d, "#include \"f%d%s.c\"\n", f, forms[k].suffix);
        }
        /* the driver: every form at every point, against the vector kernel
         * of the same type */
        for (int fl = 0; fl < 2; fl++) {
            const char *T = fl ? "float" : "double";
            sb_printf(&d, "\nstatic void drv_f%d%s(void)\n{\n    static %s drv_x[%d], drv_y[%d], drv_J[%d];\n", f,
                      fl ? "_float" : "", T, 3 * np, np, np * 3 * np);
            sb_printf(&d, "    static const %s drv_pts[%d][3] = {", T, np);
            for (int p = 0; p < np; p++) {
                sb_puts(&d, p ? ", {" : "{");
                for (int c = 0; c < 3; c++) {
                    if (c)
                        sb_puts(&d, ", ");
                    put_number(&d, pts[p][c], fl);
                }
                sb_putc(&d, '}');
            }
            sb_puts(&d, "};\n");
            sb_printf(&d, "    for (int p = 0; p < %d; p++)\n        for (int c = 0; c < 3; c++)\n"
                          "            drv_x[c * %d + p] = drv_pts[p][c];\n",
                      np, np);
            /* the _ws variants: the plain ones may be beyond the stack budget */
            const char *v = fl ? "vf" : "v";
            sb_printf(&d, "    static %s drv_w[F%d%s_WORK + 1];\n    f%d%s_ws(drv_x, drv_y, drv_w);\n"
                          "    f%d%s_jac_ws(drv_x, drv_J, drv_w);\n",
                      T, f, fl ? "VF" : "V", f, v, f, v);
            sb_printf(&d, "    for (int p = 0; p < %d; p++) {\n        %s drv_g[3];\n", np, T);
            for (int k = 0; k < nforms; k++) {
                if (forms[k].use_float != fl || (forms[k].vector && !strcmp(forms[k].suffix, fl ? "vf" : "v")) ||
                    (!strcmp(forms[k].suffix, "vu") && np > NSPECIAL))
                    continue;
                if (forms[k].vector) {
                    sb_printf(&d, "        {\n            static %s drv_y2[%d];\n            f%d%s_ws(drv_x, drv_y2, drv_w);\n"
                                  "            if (!drv_same((double)drv_y2[p], (double)drv_y[p]))\n"
                                  "                drv_check(\"f%d%s\", \"y\", p, (double)drv_y2[p], (double)drv_y[p], 0);\n"
                                  "        }\n",
                              T, np, f, forms[k].suffix, f, forms[k].suffix);
                    continue;
                }
                sb_printf(&d, "        if (!drv_same((double)f%d%s(drv_pts[p]), (double)drv_y[p]))\n"
                              "            drv_check(\"f%d%s\", \"value\", p, (double)f%d%s(drv_pts[p]), (double)drv_y[p], 0);\n",
                          f, forms[k].suffix, f, forms[k].suffix, f, forms[k].suffix);
                /* derivatives where the point and the derivatives are
                 * finite (forward mode's dual numbers make 0 * inf = NaN of
                 * the other partials where one is infinite): the row of
                 * the Jacobian against the gradient */
                sb_printf(&d, "        (void)f%d%s_grad(drv_pts[p], drv_g);\n"
                              "        if (isfinite(drv_pts[p][0]) && isfinite(drv_pts[p][1]) && isfinite(drv_pts[p][2]) &&\n"
                              "            isfinite(drv_J[p * %d + p]) && isfinite(drv_J[p * %d + %d + p]) &&\n"
                              "            isfinite(drv_J[p * %d + %d + p]))\n"
                              "            for (int c = 0; c < 3; c++) {\n"
                              "                double a = (double)drv_g[c], b = (double)drv_J[p * %d + c * %d + p];\n"
                              "                if (!drv_same(a, b))\n"
                              "                    drv_check(\"f%d%s\", \"derivative\", c, a, b, %s);\n"
                              "            }\n",
                          f, forms[k].suffix, 3 * np, 3 * np, np, 3 * np, 2 * np, 3 * np, np, f, forms[k].suffix,
                          fl ? "1e-6" : "1e-13");
            }
            sb_puts(&d, "        (void)drv_g;\n    }\n}\n");
        }
    }
    free(pts);
    sb_puts(&d, "\nint main(void)\n{\n");
    for (int f = 0; f < nf; f++)
        sb_printf(&d, "    drv_f%d();\n    drv_f%d_float();\n", f, f);
    sb_puts(&d, "    return drv_failures != 0;\n}\n");
    put("driver.c", sb_str(&d));
    ck_assert(!d.failed);
    script_ok(&sc, "generating the scalar and vector kernels");
    sb_clear(&sc);
    sb_printf(&sc, "%s -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror -o driver driver.c -lm && ./driver\n",
              have_compiler("clang") ? "clang" : "gcc");
    script_ok(&sc, "comparing the scalar and vector kernels");
    sb_free(&sc);
    sb_free(&d);
}
END_TEST

/* Every builtin of builtins.def is in same_math, so that each has its
 * scalar and vector kernels compared. */
START_TEST(test_same_math_has_every_builtin) {
    for (int b = 0; b < BI_COUNT; b++) {
        char call[64];
        snprintf(call, sizeof call, "%s%s", builtin_info[b].name, builtin_info[b].max_args ? "(" : "*");
        int found = 0;
        for (size_t i = 0; i < sizeof same_math / sizeof *same_math && !found; i++)
            found = strstr(same_math[i], call) != NULL;
        ck_assert_msg(found, "no function of same_math calls %s", builtin_info[b].name);
    }
}
END_TEST

/* --- 3b. --unroll computes exactly what the loops compute ---------------------------- */

/* Every value and derivative of a table of tensor programs (matrix
 * products both ways, transposes, rows, elements, outer products,
 * scatters, packs, sums, softmax and logsumexp, powers, careful forms),
 * looped and unrolled, double and float, at random and extreme points,
 * bit for bit: the unrolled kernel is the loops' statements, in order. */
static const struct {
    const char *program;
    int vector; /* a vector program: value y[] and Jacobian */
    int inputs; /* takes input[] */
} tensor_programs[] = {
    {"param W[3,4], b[3]; input x[4], y[3]; s = W @ x + b; logsumexp(s) - dot(y, s)", 0, 1},
    {"param W[3,4], b[3]; input x[4], y[3]; -dot(y, log_softmax(W @ x + b)) + sum(relu(b))", 0, 1},
    {"param w[4]; input A[3,4]; sum(log(sigmoid(A @ w))) + sum(log(1 - sigmoid(w)))", 0, 1},
    {"param u[3], v[3]; sum(outer(u, v) * outer(v, u)) + u[1]*v[2]", 0, 0},
    {"param A[3,3], v[3]; [sum(sin(A' @ A @ v)), v @ A @ v, sum(softplus(A + v v'))]", 1, 0},
    {"param u[4]; sum(u^8) + sum(u^(5/2) + sqrt(u)) + sum(exp(u) - 1) + sum(log(1 + u))", 0, 0},
    {"param W[2,3], b[2]; input x[3]; tanh(W @ x + b)", 1, 1},
    {"param a, b; input c[2]; sum([a*b, a + b] * c) + sum(softmax([a, b, a*b]) * c[1])", 0, 1},
    {"param u[3], M[2,3]; u[1]*M[0,2] + sum(M[1] * u) + sum(M' @ M)", 0, 0},
    {"param u[3]; input y[3]; -dot(y, log(softmax(u))) + sum(softplus(u) - sigmoid(u))", 0, 1},
};

/* The values the points take, beside random ones in [-2, 2]. */
static const char *const extremes = "{0.0, -0.0, 800.0, -800.0, 1000.0, -1000.0, NAN, INFINITY, -INFINITY}";

START_TEST(test_unroll_same_values) {
    const int np = (int)(sizeof tensor_programs / sizeof *tensor_programs);
    static const char *const forms[][2] = {{"l", ""}, {"u", "--unroll"}, {"lf", "--type float"},
                                           {"uf", "--unroll --type float"}};
    StrBuf sc, d;
    sb_init(&sc);
    sb_init(&d);
    sb_puts(&sc, "set -e\n");
    sb_printf(&d, "#include <math.h>\n#include <stdio.h>\n#include <stdint.h>\n\n"
                  "static int drv_failures;\nstatic uint64_t drv_state = 88172645463325252u;\n"
                  "static const double drv_extremes[] = %s;\n\n"
                  "static double drv_point(int trial)\n{\n"
                  "    drv_state ^= drv_state << 13;\n    drv_state ^= drv_state >> 7;\n"
                  "    drv_state ^= drv_state << 17;\n"
                  "    if (trial %% 3 == 2)\n"
                  "        return drv_extremes[drv_state %% (sizeof drv_extremes / sizeof *drv_extremes)];\n"
                  "    return -2.0 + 4.0 * (double)(drv_state >> 11) / 9007199254740992.0;\n}\n\n"
                  "static void drv_same(const char *what, int p, int k, double a, double b)\n{\n"
                  "    if (!((isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b))))\n"
                  "        if (drv_failures++ < 40)\n"
                  "            printf(\"program %%d: %%s[%%d] looped %%.17g, unrolled %%.17g\\n\", p, what, k, a, b);\n"
                  "}\n\n",
              extremes);
    for (int p = 0; p < np; p++) {
        char file[32];
        snprintf(file, sizeof file, "p%d.sd", p);
        StrBuf prog;
        sb_init(&prog);
        sb_printf(&prog, "%s\n", tensor_programs[p].program);
        put(file, sb_str(&prog));
        sb_free(&prog);
        for (int f = 0; f < 4; f++) {
            sb_printf(&sc, "'%s' %s --name k%d%s -f p%d.sd -o k%d%s.c\n", symdiff_path(), forms[f][1], p, forms[f][0], p,
                      p, forms[f][0]);
            sb_printf(&d, "#include \"k%d%s.h\"\n", p, forms[f][0]);
        }
        int vec = tensor_programs[p].vector;
        const char *in = tensor_programs[p].inputs ? "in, " : "";
        for (int fl = 0; fl < 2; fl++) {
            const char *T = fl ? "float" : "double", *s = fl ? "f" : "";
            const char *S = fl ? "F" : "";
            sb_printf(&d, "\nstatic void drv_p%d%s(void)\n{\n", p, s);
            sb_printf(&d, "    static %s x[K%dL%s_NVARS + 1], in[K%dL%s_NINPUTS + 1];\n", T, p, S, p, S);
            sb_printf(&d, "    static %s wl[K%dL%s_WORK + 1], wu[K%dU%s_WORK + 1];\n", T, p, S, p, S);
            sb_printf(&d, "    static %s dl[K%dL%s_NOUT * K%dL%s_NVARS + 1], du[K%dL%s_NOUT * K%dL%s_NVARS + 1];\n", T,
                      p, S, p, S, p, S, p, S);
            sb_printf(&d, "    static %s yl[K%dL%s_NOUT + 1], yu[K%dL%s_NOUT + 1];\n", T, p, S, p, S);
            sb_printf(&d, "    (void)in;\n    for (int trial = 0; trial < 30; trial++) {\n"
                          "        for (int i = 0; i < K%dL%s_NVARS; i++)\n            x[i] = (%s)drv_point(trial);\n"
                          "        for (int i = 0; i < K%dL%s_NINPUTS; i++)\n            in[i] = (%s)drv_point(trial);\n",
                      p, S, T, p, S, T);
            if (vec) {
                sb_printf(&d, "        k%dl%s_ws(x, %syl, wl);\n        k%du%s_ws(x, %syu, wu);\n", p, s, in, p, s, in);
                sb_printf(&d, "        k%dl%s_jac_ws(x, %sdl, wl);\n        k%du%s_jac_ws(x, %sdu, wu);\n", p, s, in, p,
                          s, in);
            } else {
                sb_printf(&d, "        yl[0] = k%dl%s_ws(x, %swl);\n        yu[0] = k%du%s_ws(x, %swu);\n", p, s, in, p,
                          s, in);
                sb_printf(&d, "        yl[1] = k%dl%s_grad_ws(x, %sdl, wl);\n        yu[1] = k%du%s_grad_ws(x, %sdu, wu);\n",
                          p, s, in, p, s, in);
                sb_printf(&d, "        drv_same(\"%s value of grad\", %d, 0, (double)yl[1], (double)yu[1]);\n", T, p);
            }
            sb_printf(&d, "        for (int k = 0; k < K%dL%s_NOUT; k++)\n"
                          "            drv_same(\"%s value\", %d, k, (double)yl[k], (double)yu[k]);\n"
                          "        for (int k = 0; k < K%dL%s_NOUT * K%dL%s_NVARS; k++)\n"
                          "            drv_same(\"%s derivative\", %d, k, (double)dl[k], (double)du[k]);\n"
                          "    }\n}\n",
                      p, S, T, p, p, S, p, S, T, p);
        }
    }
    sb_puts(&d, "\nint main(void)\n{\n");
    for (int p = 0; p < np; p++)
        sb_printf(&d, "    drv_p%d();\n    drv_p%df();\n", p, p);
    sb_puts(&d, "    printf(\"%d differences\\n\", drv_failures);\n    return drv_failures != 0;\n}\n");
    put("driver.c", sb_str(&d));
    ck_assert(!d.failed);
    script_ok(&sc, "generating the looped and unrolled kernels");
    /* the unrolled kernels have no loops */
    for (int p = 0; p < np; p++)
        for (int f = 1; f < 4; f += 2) {
            char name[32];
            snprintf(name, sizeof name, "k%d%s.c", p, forms[f][0]);
            char *text = get(name);
            ck_assert_msg(!strstr(text, "for ("), "%s has a loop", name);
            free(text);
        }
    sb_clear(&sc);
    sb_printf(&sc, "%s -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror -o driver driver.c", have_compiler("clang") ? "clang" : "cc");
    for (int p = 0; p < np; p++)
        for (int f = 0; f < 4; f++)
            sb_printf(&sc, " k%d%s.c", p, forms[f][0]);
    sb_puts(&sc, " -lm && ./driver\n");
    script_ok(&sc, "comparing looped and unrolled kernels");
    sb_free(&sc);
    sb_free(&d);
}
END_TEST

/* --- 3c. the training program of --emit-main train (sdrt_train_main) ------------------- */

START_TEST(test_train_program) {
    char root[4096]; /* the runner starts at the top of the source tree */
    ck_assert_ptr_nonnull(getcwd(root, sizeof root));
    StrBuf sc;
    sb_init(&sc);
    sb_printf(&sc,
              "set -e\n"
              "'%s' --emit-main train --name m -o m.c 'param w, b; input x, y; (w*x + b - y)^2'\n"
              "printf 'x,y\\n1,3\\n2,5\\n3,7\\n4,9\\n' > d.csv\n"
              "printf '1,3,4\\n' > wide.csv\n"
              "cc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -I'%s/runtime' m.c m_main.c '%s'/runtime/*.c -lm -o train\n"
              "./train d.csv 400 0.05 2 adam 7 > out.txt\n"
              "grep -q '^epoch 400/400  loss ' out.txt\n"
              "grep -q '^w = 2\\.0' out.txt && grep -q '^b = 0\\.99\\|^b = 1\\.0' out.txt\n"
              "./train d.csv 400 0.01 4 momentum > /dev/null\n"
              "./train d.csv 5 0.01 0 sgd > /dev/null\n"
              "status=0; ./train > /dev/null 2> usage.txt || status=$?; test $status = 2\n"
              "grep -q '^usage: ./train DATA.csv' usage.txt\n"
              "status=0; ./train wide.csv 2> wide.txt || status=$?; test $status = 1\n"
              "grep -q 'wide.csv: error: 3 columns, expected 2 (the inputs of m)' wide.txt\n"
              "status=0; ./train d.csv 20 1e30 1 sgd > /dev/null 2> div.txt || status=$?; test $status = 1\n"
              "grep -q 'training diverged at epoch' div.txt\n",
              symdiff_path(), root, root);
    script_ok(&sc, "training with the generated program");
    sb_free(&sc);
}
END_TEST

/* --- 4. NAME_STACK_BYTES against the compilers' own count ----------------------------- */

static const struct {
    const char *options, *program;
} stack_cases[] = {
    {"--hessian", "l = x; repeat 12 { l = 4*l*(1-l) } l + sigmoid(y)*softplus(x*y) + relu(x - y)"},
    {"--emit forward-ad", "l = x; repeat 12 { l = 4*l*(1-l) } l + sigmoid(y)*softplus(x*y) + relu(x - y)"},
    {"--emit reverse-ad --type float", "l = x; repeat 12 { l = 4*l*(1-l) } l + sigmoid(y)*softplus(x*y)"},
    {"--hessian", "l = x; repeat 25 { l = 3.9*l*(1 - l) + 0.01*sin(y*l) } l"},
    {"--emit reverse-ad", "l = x; repeat 25 { l = 3.9*l*(1 - l) + 0.01*sin(y*l) } l"},
    {"--type float", "[sin(a)*b + exp(c/3), max(a, b)*c, log(1 + a^2)*sigmoid(b*c), sqrt(1 + c)*tanh(a), a*b*c]"},
    {"--emit forward-ad", "[sin(a)*b + exp(c/3), max(a, b)*c, log(1 + a^2)*sigmoid(b*c), sqrt(1 + c)*tanh(a)]"},
    {"", "param W1[16,2], b1[16], W2[3,16], b2[3]; input x[2], y[3];\n"
         "h = tanh(W1 @ x + b1); s = W2 @ h + b2; logsumexp(s) - dot(y, s) + 1e-4*(sum(W1*W1) + sum(W2*W2))"},
    {"--unroll --type float", "param W[3,4], b[3]; input x[4], y[3];\n-dot(y, log_softmax(W @ x + b)) + sum(relu(b))"},
    {"", "param A[3,3], v[3]; [sum(sin(A' @ A @ v)), v @ A @ v, sum(softplus(A + v v'))]"},
    /* a minibatch: a run-time dimension, products through sd_gemm */
    {"", "dim n <= 40; param W1[20,30], b1[20], W2[5,20], b2[5]; input X[n,30], y[n];\n"
         "H = tanh(X @ W1' + b1); mean(cross_entropy(H @ W2' + b2, y))"},
    {"--type float", "dim n <= 40; param W1[20,30], b1[20]; input X[n,30], y[n]; mean(cross_entropy(X @ W1' + b1, y))"},
};

/* The frame -fstack-usage reports for function fn in the .su text, or -1. */
static long su_frame(const char *su, const char *fn) {
    size_t n = strlen(fn);
    for (const char *line = su; *line;) {
        const char *tab = strchr(line, '\t'), *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if (tab && tab < end) {
            const char *name = tab;
            while (name > line && name[-1] != ':')
                name--;
            if ((size_t)(tab - name) == n && memcmp(name, fn, n) == 0) {
                ck_assert_msg(strstr(tab, "static") && strstr(tab, "static") < end, "%s: not a static frame: %.*s", fn,
                              (int)(end - line), line);
                return strtol(tab + 1, NULL, 10);
            }
        }
        line = *end ? end + 1 : end;
    }
    return -1;
}

/* The largest frame of the sd_ helpers the compiler left as functions. */
static long su_helpers(const char *su) {
    long most = 0;
    for (const char *p = su; (p = strstr(p, ":sd_")) != NULL; p++) {
        const char *tab = strchr(p, '\t');
        if (tab && strtol(tab + 1, NULL, 10) > most)
            most = strtol(tab + 1, NULL, 10);
    }
    return most;
}

START_TEST(test_stack_bound) {
    const int n = (int)(sizeof stack_cases / sizeof *stack_cases);
    static const char *const ccs[] = {"gcc", "clang"}, *const opts[] = {"-O0", "-O2", "-O3", "-Os"};
    StrBuf sc;
    sb_init(&sc);
    sb_puts(&sc, "set -e\n");
    for (int k = 0; k < n; k++) {
        char file[32];
        snprintf(file, sizeof file, "p%d.sd", k);
        put(file, stack_cases[k].program);
        sb_printf(&sc, "'%s' %s --name k%d -f p%d.sd -o k%d.c\n", symdiff_path(), stack_cases[k].options, k, k, k);
    }
    for (int c = 0; c < 2; c++)
        for (int o = 0; o < 4; o++) {
            if (!have_compiler(ccs[c]))
                continue;
            sb_printf(&sc, "mkdir %s%s && (cd %s%s && %s -std=c99 %s -fstack-usage -c", ccs[c], opts[o], ccs[c], opts[o],
                      ccs[c], opts[o]);
            for (int k = 0; k < n; k++)
                sb_printf(&sc, " ../k%d.c", k);
            sb_puts(&sc, ") &\n");
        }
    sb_puts(&sc, "wait\n");
    script_ok(&sc, "compiling the kernels with -fstack-usage");
    double worst = 0;
    long bytes_at_worst = 0, bound_at_worst = 0;
    for (int k = 0; k < n; k++) {
        char file[64], macro[64];
        snprintf(file, sizeof file, "k%d.h", k);
        char *h = get(file);
        snprintf(macro, sizeof macro, "#define K%d_STACK_BYTES ", k);
        const char *m = strstr(h, macro);
        ck_assert_msg(m != NULL, "k%d.h has no %s", k, macro);
        long bound = strtol(m + strlen(macro), NULL, 10);
        int tensor = strstr(h, "_WORK ") != NULL;
        free(h);
        for (int c = 0; c < 2; c++)
            for (int o = 0; o < 4; o++) {
                if (!have_compiler(ccs[c]))
                    continue;
                snprintf(file, sizeof file, "%s%s/k%d.su", ccs[c], opts[o], k);
                char *su = get(file);
                static const char *const entries[] = {"", "_grad", "_hess", "_jac", "_ws", "_grad_ws", "_jac_ws"};
                int found = 0;
                for (int e = 0; e < 7; e++) {
                    char fn[32];
                    snprintf(fn, sizeof fn, "k%d%s", k, entries[e]);
                    long frame = su_frame(su, fn);
                    if (frame < 0)
                        continue;
                    found++;
                    /* a plain tensor entry point calls its _ws variant */
                    if (tensor && e < 4) {
                        snprintf(fn, sizeof fn, "k%d%s_ws", k, entries[e]);
                        long ws = su_frame(su, fn);
                        frame += ws > 0 ? ws : 0;
                    }
                    frame += su_helpers(su);
                    ck_assert_msg(frame <= bound, "k%d%s (%s %s): %ld bytes of stack, K%d_STACK_BYTES is %ld", k,
                                  entries[e], ccs[c], opts[o], frame, k, bound);
                    if ((double)frame / (double)bound > worst) {
                        worst = (double)frame / (double)bound;
                        bytes_at_worst = frame;
                        bound_at_worst = bound;
                    }
                }
                ck_assert_msg(found >= 2, "%s lists %d entry points of k%d", file, found, k);
                free(su);
            }
    }
    if (getenv("SYMDIFF_TEST_STATS"))
        fprintf(stderr, "stack: the most used of the bound is %.2f (%ld of %ld bytes)\n", worst, bytes_at_worst,
                bound_at_worst);
    sb_free(&sc);
}
END_TEST

/* --- 5. tensor kernels: the workspace, the stack budget, sizes ------------------------- */

/* Programs whose kernels write a workspace (and one whose work is 0). */
static const char *const work_cases[] = {
    ("param W1[5,2], b1[5], W2[3,5], b2[3]; input x[2], y[3]; h = tanh(W1 @ x + b1); s = W2 @ h + b2;\n"
     "logsumexp(s) - dot(y, s) + 1e-3*(sum(W1*W1) + sum(W2*W2))"),
    "param W[3,4]; input x[4], y[3]; -dot(y, log_softmax(W @ x)) + norm2(W[1])",
    "param W[3,4], a; input x[4]; s = W @ x; max(0, 1 + s[1] - s[0]) + sum(relu(a*s)) + sigmoid(a)",
    "param A[3,3], v[3]; sum(sin(A' @ A @ v)) + v @ A @ v + sum(softplus(A + v v'))",
    "param x[4], s; softmax(x*s) + [x[0], s, x[3]^2, 1]",
    "param u[7], v[5]; t = u v'; [sum(t*t), sum(exp(t/10)), dot(u, u)]",
    "param a[3]; sum(a)",
};

/* With a heap workspace of exactly NAME_WORK elements and output arrays of
 * exactly their size, under AddressSanitizer: the _ws variants write
 * nothing past them, and compute what the plain entry points do. */
START_TEST(test_tensor_workspace) {
    const char *cc = have_compiler("clang") ? "clang" : "gcc";
    if (sh("cd '%s' && echo 'int main(void){return 0;}' > a.c && %s -fsanitize=address -o a a.c 2>/dev/null && ./a",
           dir, cc) != 0) {
        fprintf(stderr, "check_kernels: %s -fsanitize=address does not work here; workspace sizes not checked\n", cc);
        return;
    }
    const int n = (int)(sizeof work_cases / sizeof *work_cases);
    StrBuf sc, d;
    sb_init(&sc);
    sb_init(&d);
    sb_puts(&sc, "set -e\n");
    sb_puts(&d, driver_prelude);
    sb_puts(&d, "#include <stdlib.h>\n#include <string.h>\n\n"
                "static double *drv_alloc(size_t n)\n{\n    double *p = (double *)malloc((n ? n : 1) * sizeof *p);\n"
                "    if (!p)\n        exit(2);\n    for (size_t i = 0; i < n; i++)\n        p[i] = 0.25 + 0.01 * (double)i;\n"
                "    return p;\n}\n\n");
    for (int k = 0; k < n; k++) {
        char file[32];
        snprintf(file, sizeof file, "p%d.sd", k);
        put(file, work_cases[k]);
        sb_printf(&sc, "'%s' --name w%d -f p%d.sd -o w%d.c\n", symdiff_path(), k, k, k);
        sb_printf(&d, "#include \"w%d.h\"\n", k);
    }
    script_ok(&sc, "generating the tensor kernels");
    sb_puts(&d, "\nint main(void)\n{\n");
    for (int k = 0; k < n; k++) {
        char file[32];
        snprintf(file, sizeof file, "w%d.h", k);
        char *h = get(file);
        int vector = strstr(h, "w%d_jac") != NULL || strstr(h, "_jac(") != NULL;
        free(h);
        const char *in = strstr(work_cases[k], "input") ? ", in" : "";
        sb_printf(&d, "    {\n        double *x = drv_alloc(W%d_NVARS), *in = drv_alloc(W%d_NINPUTS), *work = "
                      "drv_alloc(W%d_WORK);\n",
                  k, k, k);
        sb_printf(&d, "        double *d = drv_alloc(W%d_NOUT * W%d_NVARS), *d2 = drv_alloc(W%d_NOUT * W%d_NVARS);\n", k,
                  k, k, k);
        sb_printf(&d, "        double *y = drv_alloc(W%d_NOUT), *y2 = drv_alloc(W%d_NOUT);\n        (void)in;\n", k, k);
        if (vector) {
            sb_printf(&d, "        w%d_ws(x%s, y, work);\n        w%d(x%s, y2);\n", k, in, k, in);
            sb_printf(&d, "        w%d_jac_ws(x%s, d, work);\n        w%d_jac(x%s, d2);\n", k, in, k, in);
        } else {
            sb_printf(&d, "        y[0] = w%d_ws(x%s, work);\n        y2[0] = w%d(x%s);\n", k, in, k, in);
            sb_printf(&d, "        (void)w%d_grad_ws(x%s, d, work);\n        (void)w%d_grad(x%s, d2);\n", k, in, k, in);
        }
        sb_printf(&d, "        for (int i = 0; i < W%d_NOUT; i++)\n            drv_check(\"w%d\", \"y\", i, y[i], y2[i], 0);\n",
                  k, k);
        sb_printf(&d, "        for (int i = 0; i < W%d_NOUT * W%d_NVARS; i++)\n            drv_check(\"w%d\", \"derivative\", "
                      "i, d[i], d2[i], 0);\n",
                  k, k, k);
        sb_puts(&d, "        free(x);\n        free(in);\n        free(work);\n        free(d);\n        free(d2);\n"
                    "        free(y);\n        free(y2);\n    }\n");
    }
    sb_puts(&d, "    return drv_failures != 0;\n}\n");
    put("driver.c", sb_str(&d));
    sb_clear(&sc);
    sb_printf(&sc, "%s -std=c99 -O1 -g -fsanitize=address -fno-omit-frame-pointer -Wall -Wextra -Wpedantic -Werror "
                   "-o driver driver.c",
              cc);
    for (int k = 0; k < n; k++)
        sb_printf(&sc, " w%d.c", k);
    sb_puts(&sc, " -lm && ASAN_OPTIONS=detect_leaks=1 ./driver\n");
    script_ok(&sc, "the tensor kernels with workspaces of exactly NAME_WORK elements");
    sb_free(&sc);
    sb_free(&d);
}
END_TEST

/* A 1000x1000 product: its workspace (48 MB) is far beyond the stack
 * budget, so only the _ws variants exist and the header says so; the
 * kernels compile.  A 1000x1000 outer product kept in the workspace (8 MB)
 * is run with the caller's workspace and checked against the sums written
 * out. */
START_TEST(test_tensor_large) {
    put("mm.sd", "param A[1000,1000], B[1000,1000]; sum(A @ B)");
    put("op.sd", "param u[1000], v[1000]; t = u v'; sum(t*t) + sum(exp(t/1000))");
    StrBuf sc;
    sb_init(&sc);
    sb_printf(&sc, "set -e\n'%s' --name mm -f mm.sd -o mm.c\n'%s' --name op -f op.sd -o op.c\n", symdiff_path(),
              symdiff_path());
    script_ok(&sc, "generating the 1000x1000 kernels");
    static const char *const names[] = {"mm", "op"};
    for (int k = 0; k < 2; k++) {
        char file[16], proto[64];
        snprintf(file, sizeof file, "%s.h", names[k]);
        char *h = get(file);
        ck_assert_msg(strstr(h, "Only the _ws variants exist"), "%s does not say that only _ws variants exist", file);
        snprintf(proto, sizeof proto, "double %s(const", names[k]);
        ck_assert_msg(!strstr(h, proto), "%s declares %s, which would put the workspace on the stack", file, names[k]);
        snprintf(proto, sizeof proto, "double %s_grad(const", names[k]);
        ck_assert_msg(!strstr(h, proto), "%s declares %s_grad", file, names[k]);
        snprintf(proto, sizeof proto, "double %s_grad_ws(const", names[k]);
        ck_assert_msg(strstr(h, proto), "%s lacks %s_grad_ws", file, names[k]);
        free(h);
    }
    put("driver.c",
        "#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include \"op.h\"\n\n"
        "int main(void)\n{\n"
        "    double *x = malloc(OP_NVARS * sizeof *x), *g = malloc(OP_NVARS * sizeof *g);\n"
        "    double *work = malloc(OP_WORK * sizeof *work), want = 0, *gw = calloc(OP_NVARS, sizeof *gw);\n"
        "    if (!x || !g || !work || !gw)\n        return 2;\n"
        "    for (int i = 0; i < OP_NVARS; i++)\n        x[i] = 0.5 + 0.001 * (i % 1000) - (i >= 1000) * 0.7;\n"
        "    const double *u = x + OP_OFFSET_u, *v = x + OP_OFFSET_v;\n"
        "    for (int i = 0; i < 1000; i++)\n"
        "        for (int j = 0; j < 1000; j++) {\n"
        "            double t = u[i] * v[j], e = exp(t / 1000);\n"
        "            want += t * t + e;\n"
        "            gw[OP_OFFSET_u + i] += 2 * t * v[j] + e * v[j] / 1000;\n"
        "            gw[OP_OFFSET_v + j] += 2 * t * u[i] + e * u[i] / 1000;\n"
        "        }\n"
        "    double got = op_grad_ws(x, g, work), got2 = op_ws(x, work);\n"
        "    int bad = fabs(got - want) > 1e-10 * fabs(want) || got2 != got;\n"
        "    for (int i = 0; i < OP_NVARS; i++)\n"
        "        bad |= fabs(g[i] - gw[i]) > 1e-10 * (1 + fabs(gw[i]));\n"
        "    printf(\"%.17g %.17g %s\\n\", got, want, bad ? \"FAILED\" : \"ok\");\n"
        "    free(x);\n    free(g);\n    free(work);\n    free(gw);\n    return bad;\n}\n");
    sb_clear(&sc);
    sb_puts(&sc, "set -e\ngcc -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror -c mm.c\n"
                 "gcc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -o driver driver.c op.c -lm\n./driver\n");
    script_ok(&sc, "the 1000x1000 kernels");
    sb_free(&sc);
}
END_TEST

/* --- 6. output that does not depend on where it is made ------------------------------- */

/* The same commands in two directories of different depths, the tool
 * called through a relative link in one and by its absolute path in the
 * other: every file written is the same, byte for byte, and none names
 * the directories. */
START_TEST(test_output_independent_of_place) {
    static const char *const commands[] = {
        "--hessian --emit-test --name f -f model.sd -o out/f.c",
        "--emit reverse-ad --name g -f model.sd -o out/g.c",
        "--emit forward-ad --type float --name h -f model.sd -o out/h.c",
        "--name t -f net.sd -o out/t.c",
        "--unroll --type float --name u -f net.sd -o out/u.c",
        "--emit-main train --name m -f loss.sd -o out/m.c",
        "--emit-test --name c -f careful.sd -o out/c.c",
        "--emit-test --type float --name v -f net.sd -o out/v.c",
        "--unroll --name w -f views.sd -o out/w.c",
    };
    static const char *const files[] = {"f.c", "f.h", "f_test.c", "g.c", "g.h", "h.c", "h.h", "t.c",
                                        "t.h", "u.c", "u.h",      "m.c", "m.h", "m_main.c", "stdout.c",
                                        "c.c", "c.h", "c_test.c", "v.c", "v.h", "v_test.c", "w.c", "w.h"};
    static const char *const places[] = {"a", "x/y/z/b"};
    StrBuf sc;
    sb_init(&sc);
    sb_puts(&sc, "set -e\n");
    for (int p = 0; p < 2; p++) {
        sb_printf(&sc, "mkdir -p %s/out\ncd %s\n", places[p], places[p]);
        sb_puts(&sc, "printf 'l = x; repeat 3 { l = 4*l*(1-l) } # the map\\nl + sigmoid(y)\\n' > model.sd\n"
                     "printf 'param W[3,2], b[3]; input x[2], y[3];\\n-dot(y, log_softmax(W @ x + b))\\n' > net.sd\n"
                     "printf 'param w, b; input x, y; (w*x + b - y)^2\\n' > loss.sd\n"
                     "printf 'param a, b, c, d; input y; -(y*log(sigmoid(a*b)) + (1 - y)*log(1 - sigmoid(a*b)))"
                     " + softplus(c) - sigmoid(c) + a*b*c*d + a^(5/2)\\n' > careful.sd\n"
                     "printf 'param u[3], M[2,3]; u[1]*M[0,2] + sum(outer(u, u) * (M\\047 @ M))\\n' > views.sd\n");
        const char *tool = p == 0 ? "./tool/symdiff" : symdiff_path();
        if (p == 0)
            sb_printf(&sc, "mkdir tool && ln -s '%s' tool/symdiff\n", symdiff_path());
        for (size_t c = 0; c < sizeof commands / sizeof *commands; c++)
            sb_printf(&sc, "'%s' %s\n", tool, commands[c]);
        sb_printf(&sc, "'%s' --emit c -f model.sd > out/stdout.c\ncd '%s'\n", tool, dir);
    }
    for (size_t f = 0; f < sizeof files / sizeof *files; f++)
        sb_printf(&sc, "cmp a/out/%s x/y/z/b/out/%s\n", files[f], files[f]);
    script_ok(&sc, "the same commands in two places");
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char name[64];
        snprintf(name, sizeof name, "x/y/z/b/out/%s", files[f]);
        char *text = get(name);
        ck_assert_msg(!strstr(text, dir) && !strstr(text, "x/y/z"), "%s names the directory it was made in", name);
        free(text);
    }
    sb_free(&sc);
}
END_TEST

Suite *kernels_suite(void); /* called by tests/runner.c */

Suite *kernels_suite(void) {
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("sweep");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_jacobian_sweep);
    suite_add_tcase(s, tc);
    tc = tcase_create("names");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_hostile_names);
    tcase_add_test(tc, test_scalar_vector_agree);
    tcase_add_test(tc, test_same_math_has_every_builtin);
    tcase_add_test(tc, test_unroll_same_values);
    tcase_add_test(tc, test_train_program);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_stack_bound);
    tcase_add_test(tc, test_tensor_workspace);
    tcase_add_test(tc, test_tensor_large);
    suite_add_tcase(s, tc);
    tc = tcase_create("places");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_output_independent_of_place);
    suite_add_tcase(s, tc);
    return s;
}
