/* SPDX-License-Identifier: MIT */
/*
 * check_scaling.c — work in proportion to what is asked, and the limits
 * that bound the rest.
 *
 * Every measure here is a count, never a time: the graph's work counter
 * (Graph.work: a unit per node interned or looked up, per operand a sum or
 * product constructor examines, per node a differentiation pass visits, per
 * entry of a Jacobian or Hessian) and its node count.  For each class of
 * program that once cost far more than its result — N names looked up, a
 * product of N factors (N^3 time, N^2 memory), a chain l = -p l of length
 * N (10^5 nodes for a 7-node result), a Hessian of N variables (cubic), a
 * program of N outputs — the work and the nodes per entry of the result
 * must stay about the same when N grows fourfold (a quadratic cost would
 * quadruple them).
 *
 * Then nodes wider than 16 bits (a sum, a product, a vector literal of
 * 65536 operands and more were silently truncated), in process, through
 * the printer and through a compiled kernel; and the work limit: requests
 * that would run for hours (--order, --hessian of 23000 variables, a
 * --sweep of 10^4 values, an expansion) stop with a message instead.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dag.h"
#include "deriv.h"
#include "eval.h"
#include "expand.h"
#include "lower.h"
#include "parse.h"
#include "print.h"
#include "symdiff.h"
#include "testrun.h"
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

/* A fresh graph with `text` lowered into it (which must succeed). */
static Graph *lowered(const char *text, Program *p) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Source src = {"<scaling>", text, strlen(text)};
    Diag d;
    diag_init(&d, &src);
    AstArena arena = {NULL};
    memset(p, 0, sizeof *p);
    Ast *ast = parse_program(&arena, &d);
    LowerOptions opt = {0};
    int status = ast ? lower_program(g, ast, &d, &opt, p) : -1;
    ck_assert_msg(status == 0, "'%.60s...' does not lower:\n%s", text, sb_str(&d.out));
    ast_arena_free(&arena);
    diag_free(&d);
    return g;
}

/* Every variable of g, in order. */
static int *all_vars(const Graph *g) {
    int *v = malloc((size_t)(g->nvars ? g->nvars : 1) * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (int i = 0; i < g->nvars; i++)
        v[i] = i;
    return v;
}

/* ---- the programs ----------------------------------------------------------------- */

static void declared_names(StrBuf *sb, int n) {
    sb_puts(sb, "param p0");
    for (int i = 1; i < n; i++)
        sb_printf(sb, ", p%d", i);
    sb_puts(sb, "; p0");
    for (int i = 1; i < n; i++)
        sb_printf(sb, " + %d*p%d", i + 1, i);
}

static void free_names(StrBuf *sb, int n) {
    for (int i = 0; i < n; i++)
        sb_printf(sb, "%sx%d^2", i ? " + " : "", i);
}

static void sign_chain(StrBuf *sb, int n) { sb_printf(sb, "l = x; repeat %d { l = -p*l } l", n); }

static void variable_product(StrBuf *sb, int n) {
    for (int i = 0; i < n; i++)
        sb_printf(sb, "%sx%d", i ? "*" : "", i);
}

static void factor_product(StrBuf *sb, int n) {
    for (int k = 1; k <= n; k++)
        sb_printf(sb, "%s(1 + x/%lld)", k > 1 ? "*" : "", (long long)k * k);
}

static void repeated_sum(StrBuf *sb, int n) {
    sb_printf(sb, "k = 1; s = 0; repeat %d { s = s + sin(k*x); k = k + 1 } s", n);
}

static void outputs(StrBuf *sb, int n) {
    sb_putc(sb, '[');
    for (int k = 1; k <= n; k++)
        sb_printf(sb, "%ssin(%d*x)*y", k > 1 ? ", " : "", k);
    sb_putc(sb, ']');
}

typedef enum { OP_REVERSE, OP_FORWARD, OP_AUTO, OP_HESSIAN, OP_JACOBIAN } Op;

typedef struct ScaleCase {
    const char *what;
    void (*program)(StrBuf *sb, int n);
    Op op;
    int n;           /* the smaller size; the larger is 4n                    */
    int square;      /* the result has n^2 entries (a Hessian), else n       */
} ScaleCase;

static const ScaleCase scale_cases[] = {
    {"declared names", declared_names, OP_REVERSE, 3000, 0},
    {"free names", free_names, OP_REVERSE, 3000, 0},
    {"l = -p*l, reverse", sign_chain, OP_REVERSE, 400, 0},
    {"l = -p*l, forward", sign_chain, OP_FORWARD, 400, 0},
    {"l = -p*l, auto", sign_chain, OP_AUTO, 400, 0},
    {"product of variables", variable_product, OP_REVERSE, 2000, 0},
    {"product of factors of x", factor_product, OP_FORWARD, 2000, 0},
    {"product of factors of x, reverse", factor_product, OP_REVERSE, 2000, 0},
    {"sum built by repeat", repeated_sum, OP_AUTO, 2000, 0},
    {"Hessian of a sum of squares", free_names, OP_HESSIAN, 60, 1},
    {"Hessian of a product", variable_product, OP_HESSIAN, 60, 1},
    {"Jacobian of many outputs", outputs, OP_JACOBIAN, 3000, 0},
};

/* The work and the nodes of lowering case c at size n and doing its
 * operation, each divided by the size of the result. */
static void measure(const ScaleCase *c, int n, double *work, double *nodes) {
    StrBuf text;
    sb_init(&text);
    c->program(&text, n);
    Program p;
    Graph *g = lowered(sb_str(&text), &p);
    int *vars = all_vars(g);
    Node **out = NULL;
    int status = 0;
    switch (c->op) {
    case OP_REVERSE:
    case OP_FORWARD:
    case OP_AUTO:
    case OP_HESSIAN: {
        DerivMode mode = c->op == OP_FORWARD ? DERIV_FORWARD : c->op == OP_AUTO ? DERIV_AUTO : DERIV_REVERSE;
        out = calloc((size_t)g->nvars, sizeof *out);
        ck_assert_ptr_nonnull(out);
        status = deriv_gradient(g, p.outputs[0], vars, g->nvars, &(DerivOptions){.mode = mode}, out, NULL);
        if (status == 0 && c->op == OP_HESSIAN) {
            Node **h = NULL;
            status = deriv_hessian(g, out, vars, g->nvars, &(DerivOptions){.mode = DERIV_REVERSE}, &h);
            free(h);
        }
        break;
    }
    case OP_JACOBIAN:
        status = deriv_jacobian(g, p.outputs, p.noutputs, vars, g->nvars, NULL, &out, NULL);
        break;
    }
    ck_assert_msg(status == 0 && !g->failed, "%s at %d: the derivatives failed", c->what, n);
    double size = c->square ? (double)n * n : n;
    *work = (double)g->work / size;
    *nodes = (double)g->nnodes / size;
    free(out);
    free(vars);
    program_free(&p);
    graph_free(g);
    sb_free(&text);
}

START_TEST(test_work_grows_with_the_result) {
    for (size_t i = 0; i < sizeof scale_cases / sizeof *scale_cases; i++) {
        const ScaleCase *c = &scale_cases[i];
        double w1, n1, w4, n4;
        measure(c, c->n, &w1, &n1);
        measure(c, 4 * c->n, &w4, &n4);
        /* per entry of the result: near-constant (n log n terms allowed),
         * where the costs fixed here grew fourfold or more */
        ck_assert_msg(w4 <= 1.6 * w1, "%s: work per result entry %.1f at n = %d, %.1f at n = %d", c->what, w1,
                      c->n, w4, 4 * c->n);
        ck_assert_msg(n4 <= 1.6 * n1, "%s: nodes per result entry %.1f at n = %d, %.1f at n = %d", c->what, n1,
                      c->n, n4, 4 * c->n);
    }
}
END_TEST

/* The chain l = -p*l: linear, and its derivative right. */
START_TEST(test_sign_chain_values) {
    for (int n = 1; n <= 64; n = 2 * n + 1) {
        StrBuf text;
        sb_init(&text);
        sign_chain(&text, n);
        Program p;
        Graph *g = lowered(sb_str(&text), &p);
        int vars[2] = {0, 1};
        Node *d[2];
        for (int mode = DERIV_AUTO; mode <= DERIV_REVERSE; mode++) {
            const DerivOptions opt = {.mode = (DerivMode)mode};
            ck_assert_int_eq(deriv_gradient(g, p.outputs[0], vars, 2, &opt, d, NULL), 0);
            /* l = (-p)^n x: d/dx = (-p)^n, d/dp = (-1)^n n p^(n-1) x */
            double pt[2] = {1.5, -0.9}; /* x, p */
            double sign = n % 2 ? -1 : 1;
            ck_assert_close(eval_node(g, d[0], pt), pow(0.9, n), 1e-12);
            ck_assert_close(eval_node(g, d[1], pt), sign * n * pow(-0.9, n - 1) * 1.5, 1e-12);
        }
        program_free(&p);
        graph_free(g);
        sb_free(&text);
    }
}
END_TEST

/* A vector program of 80000 outputs is printed in time proportional to it
 * (the printer looked up each node among all roots: 80000^2).  The test
 * case's timeout is the bound. */
START_TEST(test_print_many_outputs) {
    StrBuf text, out;
    sb_init(&text);
    sb_init(&out);
    outputs(&text, 80000);
    Program p;
    Graph *g = lowered(sb_str(&text), &p);
    print_roots(&out, g, p.outputs, NULL, p.noutputs, PRINT_INFIX);
    ck_assert(!out.failed);
    size_t lines = 0;
    for (const char *q = sb_str(&out); *q; q++)
        lines += *q == '\n';
    ck_assert_uint_eq(lines, 80000);
    ck_assert_ptr_nonnull(strstr(sb_str(&out), "sin(80000*x)"));
    program_free(&p);
    graph_free(g);
    sb_free(&text);
    sb_free(&out);
}
END_TEST

/* ---- nodes wider than 16 bits ----------------------------------------------------- */

/* The widest node reachable from the roots. */
static int widest(const Graph *g, Node *const *roots, int nroots) {
    unsigned char *mark = malloc(g->nnodes);
    ck_assert_ptr_nonnull(mark);
    dag_mark_reachable(g, roots, nroots, mark);
    int w = 0;
    for (size_t id = 0; id < g->nnodes; id++)
        if (mark[id] && g->nodes[id]->nargs > w)
            w = g->nodes[id]->nargs;
    free(mark);
    return w;
}

static const int wide_sizes[] = {65535, 65536};

/* s = sin(x) + sin(2x) + ... + sin(n x) built by repeat: its derivative
 * is a sum of n terms, one node.  (FIXED: past 65535 operands the count
 * was truncated; at n = 65536, d/dx at x = 1 printed 0, not 17856.1.) */
START_TEST(test_wide_sums) {
    for (size_t i = 0; i < sizeof wide_sizes / sizeof *wide_sizes; i++) {
        int n = wide_sizes[i];
        StrBuf text, printed;
        sb_init(&text);
        sb_init(&printed);
        repeated_sum(&text, n);
        Program p;
        Graph *g = lowered(sb_str(&text), &p);
        long double want = 0;
        for (int k = 1; k <= n; k++)
            want += (long double)k * cosl((long double)k);
        int x = 0;
        Node *d[2];
        d[0] = deriv_forward(g, p.outputs[0], x, NULL);
        ck_assert_int_eq(deriv_reverse(g, p.outputs[0], &x, 1, NULL, d + 1), 0);
        double one = 1;
        for (int e = 0; e < 2; e++) {
            ck_assert_ptr_nonnull(d[e]);
            if (e == 1) /* (forward mode nests its sums) */
                ck_assert_msg(widest(g, d + e, 1) >= n, "n = %d: no node has all the terms", n);
            ck_assert_close(eval_node(g, d[e], &one), (double)want, 1e-9);
        }
        /* the printer sees every operand (it overflowed a heap buffer) */
        print_roots(&printed, g, d, NULL, 1, PRINT_INFIX);
        ck_assert(!printed.failed);
        char last[32];
        snprintf(last, sizeof last, "%d*cos(%d*x)", n, n);
        ck_assert_msg(strstr(sb_str(&printed), last) != NULL, "n = %d: '%s' is not printed", n, last);
        program_free(&p);
        graph_free(g);
        sb_free(&text);
        sb_free(&printed);
    }
}
END_TEST

/* A product of n factors written out, and a vector literal of n elements:
 * one node each, differentiated whole. */
START_TEST(test_wide_products_and_literals) {
    for (size_t i = 1; i < sizeof wide_sizes / sizeof *wide_sizes; i++) {
        int n = wide_sizes[i];
        StrBuf text;
        sb_init(&text);
        factor_product(&text, n);
        Program p;
        Graph *g = lowered(sb_str(&text), &p);
        ck_assert_int_eq(widest(g, p.outputs, 1), n);
        /* f = prod (1 + x/k^2), f' = f sum 1/(k^2 + x) */
        long double f = 1, s = 0, x = 0.5L;
        for (int k = 1; k <= n; k++) {
            long double k2 = (long double)k * k;
            f *= 1 + x / k2;
            s += 1 / (k2 + x);
        }
        int v = 0;
        Node *d[2];
        ck_assert_int_eq(deriv_reverse(g, p.outputs[0], &v, 1, NULL, d), 0);
        d[1] = deriv_forward(g, p.outputs[0], v, NULL);
        double xd = 0.5;
        for (int e = 0; e < 2; e++)
            ck_assert_close(eval_node(g, d[e], &xd), (double)(f * s), 1e-10);
        program_free(&p);
        graph_free(g);

        /* v = [1 x, 2 x, ..., n x]; dot(v, v) = x^2 sum k^2 */
        sb_clear(&text);
        sb_puts(&text, "v = [x");
        for (int k = 2; k <= n; k++)
            sb_printf(&text, ", %d*x", k);
        sb_puts(&text, "]; dot(v, v)");
        g = lowered(sb_str(&text), &p);
        ck_assert_int_ge(widest(g, p.outputs, 1), n);
        ck_assert_int_eq(deriv_reverse(g, p.outputs[0], &v, 1, NULL, d), 0);
        double squares = (double)n * (n + 1) * (2.0 * n + 1) / 6;
        const double *point = &xd;
        TensorValues tv;
        ck_assert_int_eq(eval_tensors(g, d, 1, &point, &tv), 0); /* a literal is a tensor */
        ck_assert_close(tv.at[d[0]->id][0], 2 * 0.5 * squares, 1e-12);
        eval_tensors_free(&tv);
        program_free(&p);
        graph_free(g);
        sb_free(&text);
    }
}
END_TEST

/* The wide sum's gradient in generated C: one statement with every term
 * (it was grad[0] = 0; compiling 7 MB of C takes minutes, so the text is
 * read).  Compiled and run, a power with an odd exponent beyond 2^53,
 * whose sign a double exponent loses. */
START_TEST(test_wide_kernel) {
    char dir[128];
    make_temp_dir(dir, sizeof dir, "scaling");
    StrBuf text;
    sb_init(&text);
    repeated_sum(&text, 65536);
    char *prog = path_join(dir, "wide.sd");
    write_file(prog, sb_str(&text));
    ck_assert_int_eq(sh("cd '%s' && '%s' --name wide -o wide.c -f wide.sd", dir, symdiff_path()), 0);
    char *c_path = path_join(dir, "wide.c");
    char *code = read_file(c_path);
    ck_assert_ptr_nonnull(code);
    const char *grad = strstr(code, "grad[0] = ");
    ck_assert_ptr_nonnull(grad);
    long terms = 1;
    for (const char *q = grad; *q && *q != ';'; q++)
        terms += q[0] == ' ' && q[1] == '+' && q[2] == ' ';
    ck_assert_int_eq(terms, 65536);
    ck_assert_ptr_nonnull(strstr(grad, "65536.0 * cos("));
    if (have_compiler("cc")) {
        ck_assert_int_eq(sh("cd '%s' && '%s' --name odd -o odd.c 'x^9007199254740993 + x^(-9007199254740993)'",
                            dir, symdiff_path()),
                         0);
        char *driver = path_join(dir, "main.c");
        write_file(driver, "#include <stdio.h>\n#include \"odd.h\"\n"
                           "int main(void) {\n"
                           "    double y = -1, h = 0, w = odd_grad(&y, &h);\n"
                           "    printf(\"%.17g %.17g\\n\", w, h);\n"
                           "    return 0;\n}\n");
        ck_assert_int_eq(sh("cd '%s' && cc -std=c99 -O0 -o main main.c odd.c -lm && ./main > out.txt", dir), 0);
        char *out_path = path_join(dir, "out.txt");
        char *out = read_file(out_path);
        ck_assert_ptr_nonnull(out);
        /* (-1)^n + (-1)^-n = -2 for odd n; the derivative
         * n (-1)^(n-1) - n (-1)^(-n-1) = 0 */
        double w, h;
        ck_assert_int_eq(sscanf(out, "%lf %lf", &w, &h), 2);
        ck_assert(w == -2);
        ck_assert_close(h, 0, 1e-9);
        free(out);
        free(out_path);
        free(driver);
    }
    free(code);
    free(c_path);
    free(prog);
    sb_free(&text);
    remove_tree(dir);
}
END_TEST

/* ---- the work limit --------------------------------------------------------------- */

START_TEST(test_work_limit_in_process) {
    char why[128];
    /* --order: a pass per order; the graph's limit bounds them together */
    Program p;
    Graph *g = lowered("sigmoid(x*sin(x))", &p);
    g->max_work = 2000000;
    ck_assert_ptr_null(deriv_nth(g, p.outputs[0], 0, 64, NULL));
    ck_assert_int_eq(g->failed, GRAPH_TOO_MUCH_WORK);
    ck_assert_ptr_nonnull(strstr(graph_failure_message(g, why, sizeof why), "too much work"));
    program_free(&p);
    graph_free(g);
    /* within the limit, the same request succeeds */
    g = lowered("sigmoid(x*sin(x))", &p);
    ck_assert_ptr_nonnull(deriv_nth(g, p.outputs[0], 0, 6, NULL));
    ck_assert_ptr_null(graph_failure_message(g, why, sizeof why));
    program_free(&p);
    graph_free(g);
    /* a Hessian's entries are counted before anything is built */
    StrBuf text;
    sb_init(&text);
    free_names(&text, 2000);
    g = lowered(sb_str(&text), &p);
    g->max_work = 1000000;
    int *vars = all_vars(g);
    Node **grad = calloc((size_t)g->nvars, sizeof *grad), **h = NULL;
    ck_assert_int_eq(deriv_reverse(g, p.outputs[0], vars, g->nvars, NULL, grad), 0);
    size_t nodes = g->nnodes;
    ck_assert_int_eq(deriv_hessian(g, grad, vars, g->nvars, &(DerivOptions){.mode = DERIV_REVERSE}, &h), -1);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(g->failed, GRAPH_TOO_MUCH_WORK);
    ck_assert_uint_eq(g->nnodes, nodes);
    free(grad);
    free(vars);
    program_free(&p);
    graph_free(g);
    /* an expansion that grows quadratically before its term limit */
    g = lowered("l = x; repeat 3000 { l = sin(l) + l*x } l", &p);
    g->max_work = 3000000;
    ExpandStatus err = EXPAND_OK;
    ck_assert_ptr_null(expand_node(g, p.outputs[0], &err));
    ck_assert_int_eq(g->failed, GRAPH_TOO_MUCH_WORK);
    program_free(&p);
    graph_free(g);
    sb_free(&text);
}
END_TEST

/* CPU seconds of compiling, differentiating and emitting as C, through
 * the public interface, the program declaring n parameters (the best of
 * three runs). */
static double declared_to_c(int n) {
    StrBuf text;
    sb_init(&text);
    declared_names(&text, n);
    double best = HUGE_VAL;
    for (int rep = 0; rep < 3; rep++) {
        SdProgram *p = NULL;
        SdResult *r = NULL;
        SdEmitted code = {0};
        clock_t t0 = clock();
        SdStatus st = sd_compile(sb_str(&text), text.len, &(SdCompileOptions){.file = "<scaling>"}, &p);
        if (st == SD_OK)
            st = sd_derive(p, &(SdRequest){.what = SD_GRADIENT}, &r);
        if (st == SD_OK)
            st = sd_emit_c(r, &(SdEmitOptions){.name = "f"}, &code);
        double t = (double)(clock() - t0) / CLOCKS_PER_SEC;
        ck_assert_msg(st == SD_OK, "%d declared parameters: status %d", n, (int)st);
        ck_assert_ptr_nonnull(strstr(code.source, "grad[1] = 2"));
        if (t < best)
            best = t;
        sd_emitted_free(&code);
        sd_result_free(r);
        sd_program_free(p);
    }
    sb_free(&text);
    return best;
}

/* Emitting C for a program of many declared parameters: the list of the
 * variables not differentiated was made by testing each variable against
 * every one differentiated, n^2 (6 s of 6.2 for 10^5 parameters).  A time,
 * unlike the counts above (emission spends no work units), so the bound
 * is loose: four times the parameters may cost at most eight times the
 * time, where the quadratic step made it more than twelve. */
START_TEST(test_declared_parameters_to_c) {
    double t1 = declared_to_c(20000), t4 = declared_to_c(80000);
    ck_assert_msg(t4 <= 8 * t1 + 0.05, "declared parameters to C: %.3f s for 20000, %.3f s for 80000", t1, t4);
}
END_TEST

/* The command line: each request stops with its message and status. */
START_TEST(test_work_limit_commands) {
    char dir[128];
    make_temp_dir(dir, sizeof dir, "scaling");
    StrBuf text;
    sb_init(&text);
    free_names(&text, 23000); /* a Hessian of 5.3e8 entries */
    char *prog = path_join(dir, "big.sd");
    write_file(prog, sb_str(&text));
    Run r;
    const char *hess[] = {"--hessian", "-f", prog, NULL};
    run(hess, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "too much work"));
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    /* every value of a sweep is within the limit, all of them are not */
    const char *sweep[] = {"--swell", "--sweep", "n=1..9999", "repeat 9000000 { } n*x", NULL};
    run(sweep, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--sweep: the values up to n = "));
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    free(prog);
    sb_free(&text);
    remove_tree(dir);
}
END_TEST

Suite *scaling_suite(void); /* called by tests/runner.c */

Suite *scaling_suite(void) {
    Suite *s = suite_create("scaling");
    TCase *tc = tcase_create("growth");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_work_grows_with_the_result);
    tcase_add_test(tc, test_sign_chain_values);
    suite_add_tcase(s, tc);
    tc = tcase_create("printing");
    tcase_add_test(tc, test_print_many_outputs);
    suite_add_tcase(s, tc);
    tc = tcase_create("wide");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_wide_sums);
    tcase_add_test(tc, test_wide_products_and_literals);
    tcase_add_test(tc, test_wide_kernel);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_work_limit_in_process);
    tcase_add_test(tc, test_declared_parameters_to_c);
    tcase_add_test(tc, test_work_limit_commands);
    suite_add_tcase(s, tc);
    return s;
}
