/* SPDX-License-Identifier: MIT */
/*
 * check_stable_cost.c — the stable forms cost no more than the naive ones.
 *
 * Consumes generated kernels (double and float) of a table of programs;
 * produces assertions on
 *   - the libm calls one f_grad makes (exp, log and log1p, pow), counted
 *     while it runs: each is at most what the naive form SymPy emits
 *     makes (one exp per distinct argument, value and gradient together);
 *   - the sigmoid and softplus helpers: no sign test in their text (it
 *     mispredicts half of the time on random data) and no log1p (libm's
 *     branches by the size of the argument);
 *   - the values of f and f_grad at special points (+-inf, NaN, +-0,
 *     subnormal, huge and tiny arguments) and a sweep, against the stable
 *     formulas through libm (a few ulp), and the gradient against central
 *     differences of f;
 *   - log-sum-exp and softmax (of scalars, vectors and matrix rows): no
 *     argument of exp near 0 (libm's branch for tiny arguments), values and
 *     gradients against long double and central differences; at entries
 *     that are +-inf or NaN, the evaluator (src/eval.c) and the kernels
 *     give the same values and gradients, the limits where there is one.
 * All kernels of a test are compiled into one driver, in one compiler run.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "strbuf.h"
#include "testrun.h"
#include "testutil.h"

static char workdir[256];

static void setup(void) { make_temp_dir(workdir, sizeof workdir, "stablecost"); }

static void teardown(void) { remove_tree(workdir); }

static void put(const char *name, const char *text) {
    char *path = path_join(workdir, name);
    write_file(path, text);
    free(path);
}

/* Programs of u, v, w and the most calls SymPy's value + gradient kernel
 * of the naive form makes (sigmoid as 1/(1 + exp(-u)), softplus as
 * log(1 + exp(u))): exp, log (log and log1p together), pow. */
static const struct {
    const char *program;
    int exp, log, pow;
} costs[] = {
    {"log(1 + exp(u))", 1, 1, 0},
    {"softplus(u)", 1, 1, 0},
    {"sigmoid(u)", 1, 0, 0},
    {"log(sigmoid(u))", 1, 1, 0},
    {"log(sigmoid(u)) + log(sigmoid(v))", 2, 2, 0},
    {"log(sigmoid(u)) + log(sigmoid(v)) + log(sigmoid(w))", 3, 3, 0},
    {"softplus(u) + sigmoid(u) + log(sigmoid(-u))", 1, 1, 0},
    {"-(w*log(sigmoid(u)) + (1 - w)*log(1 - sigmoid(u)))", 1, 1, 0},
    {"-log(1/(1 + exp(-u)))", 1, 1, 0},
    {"(softplus(u) - v)^2 + (sigmoid(u) - w)^2", 1, 1, 0},
    /* one-sided (one exp, its reciprocal shared) and two-sided (exp(-|u|))
     * uses of one magnitude: the same calls */
    {"softplus(u) - sigmoid(u)", 1, 1, 0},
    {"log(1 - sigmoid(u)) + sigmoid(u)", 1, 1, 0},
    {"softplus(-u) + sigmoid(-u)", 1, 1, 0},
    {"softplus(u) + sigmoid(-u)", 1, 1, 0},
    {"softplus(u)*softplus(-u)", 1, 2, 0},
    {"log(exp(u) + exp(v) + exp(w))", 3, 1, 0},
    {"log(exp(u) + exp(v))", 2, 1, 0},
    {"u^v", 0, 1, 1},
    {"u^u", 0, 1, 1},
    {"u^v*log(u)^w", 0, 3, 2},
};

enum { NCOSTS = (int)(sizeof costs / sizeof *costs) };

/* Generates <k><i> (double) and <k><i>f (float) of the program
 * "param <params(i)>;\n<program(i)>" for i < n, and writes their #include
 * lines into inc; returns the shell script's status. */
static int generate(StrBuf *inc, char k, const char *(*params)(int), const char *(*program)(int), int n) {
    StrBuf sc;
    sb_init(&sc);
    sb_puts(&sc, "set -e\n");
    for (int i = 0; i < n; i++) {
        char name[32], text[256];
        snprintf(name, sizeof name, "%c%d.sd", k, i);
        snprintf(text, sizeof text, "param %s;\n%s\n", params(i), program(i));
        put(name, text);
        for (int fl = 0; fl < 2; fl++) {
            sb_printf(&sc, "'%s' %s --name %c%d%s -f %c%d.sd -o %c%d%s.c\n", symdiff_path(),
                      fl ? "--type float" : "", k, i, fl ? "f" : "", k, i, k, i, fl ? "f" : "");
            sb_printf(inc, "#include \"%c%d%s.c\"\n", k, i, fl ? "f" : "");
        }
    }
    put("gen.sh", sb_str(&sc));
    sb_free(&sc);
    return sh("cd '%s' && sh gen.sh", workdir);
}

static const char *cost_program(int i) { return costs[i].program; }

static const char *uvw(int i) {
    (void)i;
    return "u, v, w";
}

/* Writes the driver `name`.c from d (which it frees), compiles it and runs
 * it; fails the test, with the compiler's or the driver's complaints, where
 * either fails. */
static void compile_and_run(const char *name, StrBuf *d) {
    char file[64];
    snprintf(file, sizeof file, "%s.c", name);
    put(file, sb_str(d));
    sb_free(d);
    int rc = sh("cd '%s' && cc -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror -o %s %s.c -lm 2> cc.txt", workdir, name,
                name);
    if (rc)
        sh("head -40 '%s/cc.txt' >&2", workdir);
    ck_assert_int_eq(rc, 0);
    rc = sh("cd '%s' && ./%s > out.txt", workdir, name);
    if (rc)
        sh("head -40 '%s/out.txt' >&2", workdir);
    ck_assert_int_eq(rc, 0);
}

/* libm calls counted as they are made: the macros stand for the
 * functions in the generated code included after them. */
static const char *const counting =
    "#include <math.h>\n#include <stdio.h>\n"
    "static long n_exp, n_log, n_pow;\n"
    "#define exp(a) (n_exp++, exp(a))\n#define expf(a) (n_exp++, expf(a))\n"
    "#define log(a) (n_log++, log(a))\n#define logf(a) (n_log++, logf(a))\n"
    "#define log1p(a) (n_log++, log1p(a))\n#define log1pf(a) (n_log++, log1pf(a))\n"
    "#define pow(a, b) (n_pow++, pow(a, b))\n#define powf(a, b) (n_pow++, powf(a, b))\n";

START_TEST(test_libm_calls) {
    if (!have_compiler("cc"))
        return;
    StrBuf d;
    sb_init(&d);
    sb_puts(&d, counting);
    ck_assert_int_eq(generate(&d, 'f', uvw, cost_program, NCOSTS), 0);
    sb_puts(&d, "#undef exp\n#undef expf\n#undef log\n#undef logf\n#undef log1p\n#undef log1pf\n"
                "#undef pow\n#undef powf\n\nint main(void)\n{\n    int bad = 0;\n");
    /* points with u > 1 for powers (log(u)^w needs log(u) > 0), and with
     * u > 0 and u < 0 elsewhere: the calls do not depend on the sign */
    for (int i = 0; i < NCOSTS; i++)
        for (int fl = 0; fl < 2; fl++)
            for (int s = 0; s < (strchr(costs[i].program, '^') ? 1 : 2); s++) {
                const char *T = fl ? "float" : "double";
                sb_printf(&d, "    {\n        %s x[3] = {%s, 1.3%s, 0.4%s}, g[3];\n", T,
                          s ? "-0.7" : strchr(costs[i].program, '^') ? "1.7" : "0.7",
                          fl ? "f" : "", fl ? "f" : "");
                sb_printf(&d, "        n_exp = n_log = n_pow = 0;\n        (void)f%d%s_grad(x, g);\n", i, fl ? "f" : "");
                sb_printf(&d,
                          "        if (n_exp > %d || n_log > %d || n_pow > %d) {\n"
                          "            printf(\"%%s (%s, u = %%g): %%ld exp, %%ld log, %%ld pow; at most %d, %d, %d\\n\", "
                          "\"%s\", (double)x[0], n_exp, n_log, n_pow);\n"
                          "            bad = 1;\n        }\n    }\n",
                          costs[i].exp, costs[i].log, costs[i].pow, T, costs[i].exp, costs[i].log, costs[i].pow,
                          costs[i].program);
            }
    sb_puts(&d, "    return bad;\n}\n");
    compile_and_run("calls", &d);
}
END_TEST

/* Vector programs whose elements use their argument one-sidedly, and
 * with both signs (each element's sigmoid by the two-sided helper, as a
 * lone use of a two-sided magnitude is written, and each softplus). */
static const char *const vectors[] = {"sum(softplus(u) - sigmoid(u))", "sum(sigmoid(u) + 2*sigmoid(-u))",
                                      "sum(softplus(u) * softplus(-u))"};

enum { NVECTORS = (int)(sizeof vectors / sizeof *vectors) };

static const char *vector_params(int i) {
    (void)i;
    return "u[4]";
}

static const char *vector_program(int i) { return vectors[i]; }

/* The body of the helper `name` in a generated file, or NULL. */
static char *helper_body(const char *text, const char *name) {
    char head[64];
    snprintf(head, sizeof head, " %s(", name);
    const char *p = strstr(text, head);
    if (!p)
        return NULL;
    const char *b = strstr(p, "\n{\n"), *e = b ? strstr(b, "\n}\n") : NULL;
    if (!e)
        return NULL;
    size_t n = (size_t)(e - b);
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, b, n);
    s[n] = '\0';
    return s;
}

/* The stable helpers hold no sign test (a comparison with 0, which random
 * data mispredicts; sd_sigmoid compares x with -709 only) and no log1p,
 * for both types; the kernels no if statement. */
START_TEST(test_helpers_branch_free) {
    StrBuf inc;
    sb_init(&inc);
    ck_assert_int_eq(generate(&inc, 'f', uvw, cost_program, NCOSTS), 0);
    /* the element-by-element one-sided helpers: a vector program */
    ck_assert_int_eq(generate(&inc, 'v', vector_params, vector_program, NVECTORS), 0);
    sb_free(&inc);
    static const char *const names[] = {"sd_sigmoid",    "sd_softplus",  "sd_sigmoid_e", "sd_softplus_e",
                                        "sd_softplus_l", "sd_log1p_e",   "sd_exp_below", "sd_sigmoid_r",
                                        "sd_softplus_r", "sd_sigmoid_1", "sd_softplus_1"};
    enum { NNAMES = (int)(sizeof names / sizeof *names) };
    int seen[NNAMES][2] = {{0}};
    for (int i = 0; i < NCOSTS + NVECTORS; i++)
        for (int fl = 0; fl < 2; fl++) {
            char file[64];
            if (i < NCOSTS)
                snprintf(file, sizeof file, "f%d%s.c", i, fl ? "f" : "");
            else
                snprintf(file, sizeof file, "v%d%s.c", i - NCOSTS, fl ? "f" : "");
            char *path = path_join(workdir, file);
            char *text = read_file(path);
            free(path);
            ck_assert_ptr_nonnull(text);
            /* no if statement anywhere: the largest of a log-sum-exp's
             * terms is a selection too, and its softmax divides once */
            const char *program = i < NCOSTS ? costs[i].program : vector_program(i - NCOSTS);
            ck_assert_msg(!strstr(text, "if ("), "%s (%s) has an if statement:\n%s", file, program, text);
            ck_assert_msg(!strstr(text, "/= s"), "%s (%s) divides every entry by s:\n%s", file, program, text);
            for (int h = 0; h < NNAMES; h++) {
                char name[32];
                snprintf(name, sizeof name, "%s%s", names[h], fl ? "f" : "");
                char *body = helper_body(text, name);
                if (!body)
                    continue;
                seen[h][fl] = 1;
                int sign_test = strstr(body, "> 0") || strstr(body, ">= 0") || strstr(body, "< 0") ||
                                strstr(body, "<= 0") || strstr(body, "if (");
                ck_assert_msg(!sign_test && !strstr(body, "log1p"), "%s in %s has a sign test or a log1p:%s", name,
                              file, body);
                free(body);
            }
            free(text);
        }
    for (int h = 0; h < NNAMES; h++)
        ck_assert_msg(seen[h][0] && seen[h][1], "no program of the table uses %s", names[h]);
}
END_TEST

/* The functions of u whose values and gradients are checked, each with
 * its value and derivative by the stable formulas through libm (s is
 * sigmoid(u), sm sigmoid(-u), p softplus(u), pm softplus(-u), all from
 * e = exp(-|u|)). */
static const struct {
    const char *program, *value, *deriv;
} values[] = {
    {"softplus(u)", "p", "s"},
    {"log(1 + exp(u))", "p", "s"},
    {"sigmoid(u)", "s", "s * sm"},
    {"log(sigmoid(u))", "-pm", "sm"},
    {"log(1 - sigmoid(u))", "-p", "-s"},
    {"softplus(u) + sigmoid(u)", "p + s", "s + s * sm"},
    {"-log(1/(1 + exp(-u)))", "pm", "-sm"},
    /* one-sided: every sigmoid and softplus of the kernel takes u (or
     * every one -u), from e = exp(min(+-u, 64)) and 1/(1 + e) */
    {"sigmoid(u) - log(1 - sigmoid(u))", "s + p", "s * sm + s"},
    {"softplus(-u) + sigmoid(-u)", "pm + sm", "-sm - s * sm"},
};

enum { NVALUES = (int)(sizeof values / sizeof *values) };

static const char *value_program(int i) { return values[i].program; }

static const char *u_only(int i) {
    (void)i;
    return "u";
}

START_TEST(test_values_and_gradients) {
    if (!have_compiler("cc"))
        return;
    StrBuf d;
    sb_init(&d);
    sb_puts(&d, "#include <math.h>\n#include <stdio.h>\n");
    ck_assert_int_eq(generate(&d, 'g', u_only, value_program, NVALUES), 0);
    /* the reference: e, s, p (softplus(u)) and pm (softplus(-u)) in
     * long double through log1pl; agreement within 4 ulp of the type
     * (relative; exact where the reference is 0, infinite or NaN) */
    sb_puts(&d, "\nstatic int close_to(double got, double want, double ulp, double tiny)\n{\n"
                "    if (isnan(want) || isinf(want) || want == 0)\n"
                "        return isnan(want) ? isnan(got) : got == want;\n"
                "    return fabs(got - want) <= 4 * ulp * fabs(want) + 4 * tiny;\n}\n\n"
                "int main(void)\n{\n    static const double special[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e-310, -1e-310,\n"
                "        1e-20, -1e-20, 0.5, -0.5, 3, -3, 30, -30, 40, -40, 63.9, 64, 64.1, -64, 80, -80, -95, -100,\n"
                "        700, -700, -720, -740, 750, -750, 800, -800, 1e300, -1e300};\n"
                "    int bad = 0;\n"
                "    const int nspecial = (int)(sizeof special / sizeof *special);\n"
                "    for (int k = 0; k < nspecial + 200; k++) {\n"
                "        const double x = k < nspecial ? special[k] : -45 + 0.45 * (k - nspecial) + 0.0123;\n"
                "        const long double xl = x, e = expl(-fabsl(xl)), s = x >= 0 ? 1 / (1 + e) : e / (1 + e);\n"
                "        const long double sm = x >= 0 ? e / (1 + e) : 1 / (1 + e);\n"
                "        const long double p = (x > 0 ? xl : 0) + log1pl(e), pm = (x < 0 ? -xl : 0) + log1pl(e);\n"
                "        (void)p;\n        (void)pm;\n        (void)sm;\n");
    for (int i = 0; i < NVALUES; i++)
        for (int fl = 0; fl < 2; fl++) {
            const char *T = fl ? "float" : "double", *F = fl ? "f" : "";
            /* float: the reference of the float argument, compared where
             * it is a normal float */
            sb_printf(&d, "        {\n            const double want = (double)(%s), dwant = (double)(%s);\n", values[i].value,
                      values[i].deriv);
            sb_printf(&d, "            const %s xs[1] = {(%s)x};\n            %s g[1];\n", T, T, T);
            sb_printf(&d, "            const double v = (double)g%d%s(xs), w = (double)g%d%s_grad(xs, g);\n", i, F, i, F);
            sb_printf(&d, "            const double ulp = %s, tiny = %s;\n", fl ? "0x1p-23" : "0x1p-52",
                      fl ? "0x1p-149" : "0x1p-1074");
            sb_printf(&d, "            if ((isnan(x) || (double)xs[0] == x) && "
                          "(!close_to(v, want, ulp, tiny) || !close_to(w, want, ulp, tiny)\n"
                          "                || !(close_to((double)g[0], dwant, ulp, tiny) || fabs((double)g[0] - dwant) < 4 * ulp))) {\n");
            sb_printf(&d, "                printf(\"%s (%s) at %%.17g: %%.17g %%.17g %%.17g, want %%.17g %%.17g\\n\", x, v, w, "
                          "(double)g[0], want, dwant);\n                bad = 1;\n            }\n",
                      values[i].program, T);
            if (!fl) /* the gradient against central differences of f */
                sb_printf(&d,
                          "            if (isfinite(x) && fabs(x) < 50 && fabs(x) > 1e-3) {\n"
                          "                const double h = 1e-6 * fabs(x);\n"
                          "                const double xp[1] = {x + h}, xm[1] = {x - h};\n"
                          "                const double fd = (g%d(xp) - g%d(xm)) / (2 * h);\n"
                          "                if (fabs(fd - g[0]) > 1e-6 * (1 + fabs(g[0]))) {\n"
                          "                    printf(\"%s at %%.17g: gradient %%.17g, differences %%.17g\\n\", x, g[0], fd);\n"
                          "                    bad = 1;\n                }\n            }\n",
                          i, i, values[i].program);
            sb_puts(&d, "        }\n");
        }
    sb_puts(&d, "    }\n    return bad;\n}\n");
    compile_and_run("values", &d);
}
END_TEST

/* Programs whose kernels must give the same values bit for bit: the
 * value f, f_grad's returned value, and with hess the Hessian's request
 * (its roots take part in the choice of each magnitude's form).  nx is the
 * number of entries of x[]. */
static const struct {
    const char *params, *program;
    int nx, hess;
} samebits[] = {
    {"u", "softplus(u) + 0.5*u", 1, 0},
    {"u", "log(sigmoid(u))", 1, 0},
    {"u", "softplus(2*u + 1)", 1, 0},
    {"u", "sigmoid(u)", 1, 0},
    {"u", "sigmoid(-u)", 1, 0},
    {"u", "log(1 - sigmoid(u))", 1, 0},
    {"u", "softplus(u) + softplus(-u)", 1, 0},
    {"u", "softplus(u) + sigmoid(-u)", 1, 0},
    {"u", "log(sigmoid(u)) + sigmoid(u)", 1, 0},
    {"u, v", "softplus(u) + log(sigmoid(v))", 2, 0},
    {"u, v", "softplus(u*v - 3) + 0.25*softplus(-2*u)", 2, 0},
    {"u, v", "sigmoid(3*u - v)^2 + softplus(v)", 2, 0},
    {"u, v, w", "-(w*log(sigmoid(u*v)) + (1 - w)*log(1 - sigmoid(u*v)))", 3, 0},
    {"u, v", "softplus(u) + log(sigmoid(v))", 2, 1},
    {"u", "sigmoid(u)", 1, 1},
    {"u, v", "softplus(2*u + v) - log(sigmoid(u))", 2, 1},
    {"u[3]", "sum(softplus(2*u + 1)) + sum(log(sigmoid(u)))", 3, 0},
    {"u[4]", "sum(sigmoid(u)) + sum(softplus(-u))", 4, 0},
    {"u[3], v", "sum(log(sigmoid(v*u))) + softplus(v)", 4, 0},
    {"u[2], v", "softplus(v) + sum(softplus(u))", 3, 0},
};

enum { NSAMEBITS = (int)(sizeof samebits / sizeof *samebits) };

static const char *samebits_params(int i) { return samebits[i].params; }

static const char *samebits_program(int i) { return samebits[i].program; }

START_TEST(test_kernels_same_bits) {
    if (!have_compiler("cc"))
        return;
    StrBuf d, sc;
    sb_init(&d);
    sb_init(&sc);
    sb_puts(&d, "#include <math.h>\n#include <stdio.h>\n#include <string.h>\n");
    ck_assert_int_eq(generate(&d, 'b', samebits_params, samebits_program, NSAMEBITS), 0);
    /* the programs asking for the Hessian, again with --hessian; the
     * scalar ones as forward- and reverse-mode AD too */
    static const char *const ads[] = {"forward-ad", "reverse-ad"};
    sb_puts(&sc, "set -e\n");
    for (int i = 0; i < NSAMEBITS; i++)
        for (int fl = 0; fl < 2; fl++) {
            const char *F = fl ? "f" : "", *type = fl ? "--type float" : "";
            if (samebits[i].hess) {
                sb_printf(&sc, "'%s' --hessian %s --name h%d%s -f b%d.sd -o h%d%s.c\n", symdiff_path(), type, i, F, i,
                          i, F);
                sb_printf(&d, "#include \"h%d%s.c\"\n", i, F);
            }
            for (int a = 0; a < 2 && !strchr(samebits[i].params, '['); a++) {
                sb_printf(&sc, "'%s' --emit %s %s --name a%d%d%s -f b%d.sd > a%d%d%s.c\n", symdiff_path(), ads[a], type,
                          a, i, F, i, a, i, F);
                sb_printf(&d, "#include \"a%d%d%s.c\"\n", a, i, F);
            }
        }
    put("genh.sh", sb_str(&sc));
    sb_free(&sc);
    ck_assert_int_eq(sh("cd '%s' && sh genh.sh", workdir), 0);
    /* every x[j] from the special points and a random sweep (a fixed
     * generator): the values compared as bits, NaN with NaN */
    sb_puts(&d, "\nstatic int same(double a, double b)\n{\n"
                "    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;\n}\n\n"
                "int main(void)\n{\n"
                "    static const double special[] = {0.0, -0.0, 30, -30, 64, -64, 700, -700, INFINITY, -INFINITY, NAN,\n"
                "        1e-310, 0.5, -0.5, 63.9, 64.1, -63.9, -64.1, 36.7, -36.7, 1e300, -1e300};\n"
                "    const int nspecial = (int)(sizeof special / sizeof *special);\n"
                "    unsigned long r = 12345;\n"
                "    int bad = 0;\n"
                "    for (int k = 0; k < nspecial * nspecial + 2000; k++) {\n"
                "        double p[4];\n"
                "        for (int j = 0; j < 4; j++) {\n"
                "            r = r * 6364136223846793005ul + 1442695040888963407ul;\n"
                "            const double z = (double)((r >> 11) & 0xfffffffffffful) / 281474976710656.0;\n"
                "            p[j] = k < nspecial * nspecial ? special[(j & 1 ? k / nspecial : k % nspecial)] * (j < 2 ? 1 : -1)\n"
                "                : (k & 3 ? 2 : 200) * (z - 0.5) * (1 + j);\n"
                "        }\n");
    for (int i = 0; i < NSAMEBITS; i++)
        for (int fl = 0; fl < 2; fl++) {
            const char *T = fl ? "float" : "double", *F = fl ? "f" : "";
            int nx = samebits[i].nx;
            sb_printf(&d, "        {\n            %s x[%d], g[%d];\n", T, nx, nx);
            sb_printf(&d, "            for (int j = 0; j < %d; j++)\n                x[j] = (%s)p[j];\n", nx, T);
            sb_printf(&d, "            const double v = (double)b%d%s(x), w = (double)b%d%s_grad(x, g);\n", i, F, i, F);
            sb_printf(&d, "            if (!same(v, w)) {\n"
                          "                printf(\"%s (%s): f %%a, f_grad %%a at %%g %%g\\n\", v, w, (double)x[0], (double)x[%d]);\n"
                          "                bad = 1;\n            }\n",
                      samebits[i].program, T, nx - 1);
            for (int a = 0; a < 2 && !strchr(samebits[i].params, '['); a++)
                sb_printf(&d,
                          "            if (!same((double)a%d%d%s(x), (double)a%d%d%s_grad(x, g))) {\n"
                          "                printf(\"%s (%s, %s): f %%a, f_grad %%a at %%g\\n\", (double)a%d%d%s(x), "
                          "(double)a%d%d%s_grad(x, g), (double)x[0]);\n"
                          "                bad = 1;\n            }\n",
                          a, i, F, a, i, F, samebits[i].program, T, ads[a], a, i, F, a, i, F);
            if (samebits[i].hess) {
                sb_printf(&d, "            const double vh = (double)h%d%s(x), wh = (double)h%d%s_grad(x, g);\n", i, F, i, F);
                sb_printf(&d, "            %s H[%d];\n            h%d%s_hess(x, H);\n", T, nx * nx, i, F);
                sb_printf(&d, "            if (!same(vh, wh) || !same(vh, v)) {\n"
                              "                printf(\"%s (%s, --hessian): f %%a, f_grad %%a, without %%a at %%g\\n\", vh, wh, v, "
                              "(double)x[0]);\n"
                              "                bad = 1;\n            }\n",
                          samebits[i].program, T);
            }
            sb_puts(&d, "        }\n");
        }
    sb_puts(&d, "    }\n    return bad;\n}\n");
    compile_and_run("samebits", &d);
}
END_TEST

/* Log-sum-exp and softmax, whichever way they are written (a sum of
 * exponentials of scalars, logsumexp and softmax of a vector, logsumexp of
 * each row of a matrix): kind 0 is logsumexp of all entries, 1 is
 * dot(softmax(u), u), 2 the sum of the logsumexps of rows of `cols`
 * entries. */
static const struct {
    const char *params, *program;
    int nvars, kind, cols;
} lses[] = {
    {"u0, u1, u2", "log(exp(u0) + exp(u1) + exp(u2))", 3, 0, 3},
    {"u0, u1, u2, u3", "log(exp(u0) + exp(u1) + exp(u2) + exp(u3))", 4, 0, 4},
    {"u0, u1, u2, u3, u4, u5", "log(exp(u0) + exp(u1) + exp(u2) + exp(u3) + exp(u4) + exp(u5))", 6, 0, 6},
    {"u[2]", "logsumexp(u)", 2, 0, 2},
    {"u[3]", "logsumexp(u)", 3, 0, 3},
    {"u[5]", "logsumexp(u)", 5, 0, 5},
    {"u[8]", "logsumexp(u)", 8, 0, 8},
    {"u[3]", "dot(softmax(u), u)", 3, 1, 3},
    {"u[6]", "dot(softmax(u), u)", 6, 1, 6},
    {"U[2,3]", "sum(logsumexp(U))", 6, 2, 3},
    {"U[2,4]", "sum(logsumexp(U))", 8, 2, 4},
};

enum { NLSES = (int)(sizeof lses / sizeof *lses) };

static const char *lse_params(int i) { return lses[i].params; }

static const char *lse_program(int i) { return lses[i].program; }

/* The largest entry's term of a log-sum-exp, exp(0), is 1 without a call:
 * one call fewer, and none on libm's branch for tiny arguments (glibc:
 * below 2^-54), which every call would take once, wherever the largest
 * entry is, and which random data mispredicts.  The exp calls of f and
 * f_grad and their arguments are counted (one a row for each entry but the
 * largest, none of 0), at points whose largest entry is first, last,
 * inside, among huge, very negative and tiny entries (no two equal), in
 * double and float; the values and gradients are checked
 * against the formulas in long double (within the rounding of u_i - max(u),
 * 16 ulp of the type times 1 + max |u_i|), and the double gradients
 * against central differences of f. */
START_TEST(test_lse_largest_term) {
    if (!have_compiler("cc"))
        return;
    StrBuf d;
    sb_init(&d);
    sb_puts(&d, "#include <math.h>\n#include <stdio.h>\n"
                "static double min_arg = INFINITY;\n"
                "static long n_exp;\n"
                "static double note(double a) { n_exp++; if (fabs(a) < min_arg) min_arg = fabs(a); return a; }\n"
                "#define exp(a) exp(note(a))\n#define expf(a) expf((float)note((double)(a)))\n");
    ck_assert_int_eq(generate(&d, 'l', lse_params, lse_program, NLSES), 0);
    sb_puts(&d, "#undef exp\n#undef expf\n\n"
                "/* the reference of kernel kind k at u[0..n), rows of c entries: the\n"
                " * value, the gradient g and the size of its terms a (before any cancels) */\n"
                "static long double ref(int k, int n, int c, const double *u, long double *g, long double *a)\n{\n"
                "    long double v = 0;\n"
                "    for (int r0 = 0; r0 < n; r0 += c) {\n"
                "        long double m = u[r0], s = 0, w = 0;\n"
                "        for (int j = r0; j < r0 + c; j++)\n            m = u[j] > m ? u[j] : m;\n"
                "        for (int j = r0; j < r0 + c; j++)\n            s += expl(u[j] - m);\n"
                "        for (int j = r0; j < r0 + c; j++)\n            w += expl(u[j] - m) / s * u[j];\n"
                "        for (int j = r0; j < r0 + c; j++)\n"
                "            g[j] = k == 1 ? expl(u[j] - m) / s * (1 + u[j] - w) : expl(u[j] - m) / s;\n"
                "        for (int j = r0; j < r0 + c; j++)\n"
                "            a[j] = k == 1 ? expl(u[j] - m) / s * (1 + fabsl(u[j]) + fabsl(w)) : g[j];\n"
                "        v += k == 1 ? w : m + logl(s);\n    }\n    return v;\n}\n\n"
                "/* entry j of point p; the largest entry is last, first, inside, huge,\n"
                " * very negative, or all entries are tiny; no two entries are equal */\n"
                "static double entry(int p, int j)\n{\n"
                "    switch (p) {\n"
                "    case 0: return 0.3 * j - 0.7;\n"
                "    case 1: return 0.9 - 0.41 * j;\n"
                "    case 2: return 3 * sin(1.7 * j + 0.3);\n"
                "    case 3: return 1000 + 0.5 * j * (j % 2 ? 1 : -1) + 0.25 * j;\n"
                "    case 4: return -700 - 3.0 * j;\n"
                "    default: return 1e-20 * (j + 1);\n    }\n}\n\n"
                "int main(void)\n{\n    int bad = 0;\n");
    for (int i = 0; i < NLSES; i++)
        for (int fl = 0; fl < 2; fl++) {
            const char *T = fl ? "float" : "double";
            char fn[32];
            snprintf(fn, sizeof fn, "l%d%s", i, fl ? "f" : "");
            sb_printf(&d, "    for (int p = 0; p < 6; p++) {\n        enum { N = %d };\n", lses[i].nvars);
            sb_printf(&d, "        %s x[N], g[N];\n        double u[N], span = 1;\n        long double gr[N], ga[N];\n", T);
            sb_printf(&d, "        for (int j = 0; j < N; j++) {\n            x[j] = (%s)entry(p, j);\n"
                          "            u[j] = (double)x[j];\n            span = fmax(span, 1 + fabs(u[j]));\n        }\n", T);
            sb_printf(&d, "        min_arg = INFINITY;\n        n_exp = 0;\n"
                          "        const double v = (double)%s(x), w = (double)%s_grad(x, g);\n",
                      fn, fn);
            sb_printf(&d, "        const long double want = ref(%d, N, %d, u, gr, ga);\n", lses[i].kind, lses[i].cols);
            sb_printf(&d, "        const double tol = 16 * %s * span, tiny = %s;\n", fl ? "0x1p-23" : "0x1p-52",
                      fl ? "0x1p-140" : "0x1p-1060");
            /* f and f_grad: one exp for each entry but the largest of a row */
            int want_exp = 2 * (lses[i].nvars / lses[i].cols) * (lses[i].cols - 1);
            sb_printf(&d, "        if (min_arg == 0 || n_exp != %d) {\n"
                          "            printf(\"%s (%s, point %%d): %%ld exp, smallest argument %%g; want %d, none 0\\n\", "
                          "p, n_exp, min_arg);\n"
                          "            bad = 1;\n        }\n",
                      want_exp, lses[i].program, T, want_exp);
            sb_printf(&d, "        const double scale = %d == 1 ? span * span : span;\n", lses[i].kind);
            sb_printf(&d, "        if (fabsl(v - want) > tol * scale || fabsl(w - want) > tol * scale) {\n"
                          "            printf(\"%s (%s, point %%d): %%.17g %%.17g, want %%.17Lg\\n\", p, v, w, want);\n"
                          "            bad = 1;\n        }\n",
                      lses[i].program, T);
            sb_printf(&d, "        for (int j = 0; j < N; j++)\n"
                          "            if (fabsl((double)g[j] - gr[j]) > tol * scale * ga[j] + tiny) {\n"
                          "                printf(\"%s (%s, point %%d): gradient %%d %%.17g, want %%.17Lg\\n\", p, j, "
                          "(double)g[j], gr[j]);\n                bad = 1;\n            }\n",
                      lses[i].program, T);
            if (!fl)
                sb_printf(&d, "        for (int j = 0; p < 3 && j < N; j++) {\n"
                              "            double xp[N], xm[N];\n"
                              "            for (int q = 0; q < N; q++)\n                xp[q] = xm[q] = x[q];\n"
                              "            const double h = 1e-6 * (1 + fabs(x[j]));\n"
                              "            xp[j] += h;\n            xm[j] -= h;\n"
                              "            const double fd = (%s(xp) - %s(xm)) / (2 * h);\n"
                              "            if (fabs(fd - g[j]) > 1e-6 * (1 + fabs(g[j]))) {\n"
                              "                printf(\"%s (point %%d): gradient %%d %%.17g, differences %%.17g\\n\", p, j, "
                              "g[j], fd);\n                bad = 1;\n            }\n        }\n",
                          fn, fn, lses[i].program);
            sb_puts(&d, "    }\n");
        }
    sb_puts(&d, "    return bad;\n}\n");
    compile_and_run("lse", &d);
}
END_TEST

/* The evaluator's value and gradient of program i (table lses) at the
 * point x (the parameters' entries in order), into v and g. */
static void interpret_lse(int i, const double *x, double *v, double *g) {
    char text[256];
    snprintf(text, sizeof text, "param %s;\n%s\n", lses[i].params, lses[i].program);
    Source src = {"<test>", text, strlen(text)};
    Diag dg;
    diag_init(&dg, &src);
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, &dg);
    ck_assert_ptr_nonnull(ast);
    Graph *gr = graph_new();
    Program p;
    LowerOptions lo = {0};
    ck_assert_int_eq(lower_program(gr, ast, &dg, &lo, &p), 0);
    int wrt[8], nwrt = 0;
    const double *at[8];
    size_t off = 0;
    for (int k = 0; k < gr->nvars && nwrt < 8; k++) {
        at[k] = x + off;
        off += (size_t)shape_numel(gr->vars[k].shape);
        wrt[nwrt++] = k;
    }
    ck_assert_int_eq((int)off, lses[i].nvars);
    Node *roots[9];
    DerivOptions dopt = {.assume_domain = 1, .domain = p.outputs, .ndomain = 1};
    roots[0] = p.outputs[0];
    ck_assert_int_eq(deriv_reverse(gr, p.outputs[0], wrt, nwrt, &dopt, roots + 1), 0);
    TensorValues tv;
    ck_assert_int_eq(eval_tensors(gr, roots, nwrt + 1, at, &tv), 0);
    *v = tv.at[roots[0]->id][0];
    size_t e = 0;
    for (int k = 0; k < nwrt; k++)
        for (int q = 0; q < shape_numel(gr->vars[wrt[k]].shape); q++)
            g[e++] = tv.at[roots[1 + k]->id][q];
    eval_tensors_free(&tv);
    program_free(&p);
    graph_free(gr);
    ast_arena_free(&arena);
    diag_free(&dg);
}

/* Entry j of special point q of n entries: finite entries, with +inf,
 * -inf or NaN at one entry (q = 1 + 3j + kind), or everywhere -inf, or
 * +inf at the first and last entries, or +inf at the first and -inf at the
 * last. */
static double special_entry(int q, int n, int j) {
    const double finite = 0.3 * j - 0.7;
    if (q == 0)
        return finite;
    if (q <= 3 * n) {
        const int at = (q - 1) / 3, kind = (q - 1) % 3;
        return j != at ? finite : kind == 0 ? INFINITY : kind == 1 ? -INFINITY : NAN;
    }
    if (q == 3 * n + 1)
        return -INFINITY;
    if (q == 3 * n + 2)
        return j == 0 || j == n - 1 ? INFINITY : finite;
    return j == 0 ? INFINITY : j == n - 1 ? -INFINITY : finite;
}

/* A number as C text: the exact value, or INFINITY, -INFINITY, NAN. */
static void put_double(StrBuf *d, double x) {
    if (isnan(x))
        sb_puts(d, "NAN");
    else if (isinf(x))
        sb_puts(d, x > 0 ? "INFINITY" : "-INFINITY");
    else
        sb_printf(d, "%a", x);
}

/* Log-sum-exp and softmax at entries that are +-inf or NaN: the evaluator
 * (what --at and the checks of derivatives compute) and the generated
 * kernels, double and float, agree on every value and gradient entry (the
 * same NaN, the same infinity, finite numbers within rounding).  Where one
 * entry of a row is +inf and none is NaN, both give the limit: the
 * log-sum-exp is +inf and its gradient, softmax, is 1 at that entry and 0
 * at the others of the row. */
START_TEST(test_lse_special_entries) {
    if (!have_compiler("cc"))
        return;
    StrBuf d;
    sb_init(&d);
    sb_puts(&d, "#include <math.h>\n#include <stdio.h>\n");
    ck_assert_int_eq(generate(&d, 'i', lse_params, lse_program, NLSES), 0);
    sb_puts(&d, "\n/* the same class, and finite values within tol (relative) */\n"
                "static int agree(double got, double want, double tol)\n{\n"
                "    if (isnan(want) || isinf(want))\n"
                "        return isnan(want) ? isnan(got) : got == want;\n"
                "    return fabs(got - want) <= tol * (1 + fabs(want));\n}\n\n"
                "int main(void)\n{\n    int bad = 0;\n");
    int limits = 0;
    for (int i = 0; i < NLSES; i++) {
        const int n = lses[i].nvars, c = lses[i].cols, npts = 3 * n + 4;
        /* the points, and the evaluator's value and gradient at each */
        StrBuf pts, want;
        sb_init(&pts);
        sb_init(&want);
        for (int q = 0; q < npts; q++) {
            double x[8], v, g[8];
            for (int j = 0; j < n; j++)
                x[j] = special_entry(q, n, j);
            interpret_lse(i, x, &v, g);
            sb_puts(&want, "            {");
            put_double(&want, v);
            sb_puts(&pts, "            {");
            for (int j = 0; j < n; j++) {
                sb_puts(&want, ", ");
                put_double(&want, g[j]);
                put_double(&pts, x[j]);
                sb_puts(&pts, j + 1 < n ? ", " : "},\n");
            }
            sb_puts(&want, "},\n");
            /* one +inf entry among log-sum-exp's entries, no NaN: the limit */
            int inf_at = -1, other = 0;
            for (int j = 0; j < n; j++) {
                if (isinf(x[j]) && x[j] > 0) {
                    if (inf_at >= 0)
                        other++;
                    else
                        inf_at = j;
                }
                other += isnan(x[j]) != 0;
            }
            if (lses[i].kind != 1 && inf_at >= 0 && !other) {
                ck_assert_msg(isinf(v) && v > 0, "%s: value %g at +inf entry %d", lses[i].program, v, inf_at);
                for (int j = inf_at / c * c; j < inf_at / c * c + c; j++)
                    ck_assert_msg(g[j] == (j == inf_at), "%s: gradient %d is %g at +inf entry %d",
                                  lses[i].program, j, g[j], inf_at);
                limits++;
            }
        }
        sb_printf(&d, "    {\n        static const double pts[%d][%d] = {\n%s        };\n", npts, n, sb_str(&pts));
        sb_printf(&d, "        static const double want[%d][%d] = {\n%s        };\n", npts, n + 1, sb_str(&want));
        sb_free(&pts);
        sb_free(&want);
        for (int fl = 0; fl < 2; fl++) {
            const char *T = fl ? "float" : "double";
            sb_printf(&d, "        for (int q = 0; q < %d; q++) {\n            %s x[%d], g[%d];\n", npts, T, n, n);
            sb_printf(&d, "            for (int j = 0; j < %d; j++)\n                x[j] = (%s)pts[q][j];\n", n, T);
            sb_printf(&d, "            const double v = (double)i%d%s(x), w = (double)i%d%s_grad(x, g), tol = %s;\n", i,
                      fl ? "f" : "", i, fl ? "f" : "", fl ? "1e-5" : "1e-13");
            sb_printf(&d, "            int ok = agree(v, want[q][0], tol) && agree(w, want[q][0], tol);\n"
                          "            for (int j = 0; j < %d; j++)\n"
                          "                ok = ok && agree((double)g[j], want[q][1 + j], tol);\n", n);
            sb_printf(&d, "            if (!ok) {\n                printf(\"%s (%s, point %%d): %%g %%g, evaluator %%g; gradient\", "
                          "q, v, w, want[q][0]);\n",
                      lses[i].program, T);
            sb_printf(&d, "                for (int j = 0; j < %d; j++)\n"
                          "                    printf(\" %%g/%%g\", (double)g[j], want[q][1 + j]);\n"
                          "                printf(\"\\n\");\n                bad = 1;\n            }\n        }\n", n);
        }
        sb_puts(&d, "    }\n");
    }
    ck_assert_int_gt(limits, NLSES);
    sb_puts(&d, "    return bad;\n}\n");
    compile_and_run("special", &d);
}
END_TEST

Suite *stable_cost_suite(void);
Suite *stable_cost_suite(void) {
    Suite *s = suite_create("stable_cost");
    TCase *tc = tcase_create("stable_cost");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_libm_calls);
    tcase_add_test(tc, test_helpers_branch_free);
    tcase_add_test(tc, test_values_and_gradients);
    tcase_add_test(tc, test_kernels_same_bits);
    tcase_add_test(tc, test_lse_largest_term);
    tcase_add_test(tc, test_lse_special_entries);
    suite_add_tcase(s, tc);
    return s;
}
