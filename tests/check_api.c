/* SPDX-License-Identifier: MIT */
/*
 * check_api.c — the public interface (symdiff.h) as a client sees it:
 * diagnostics as data, shaped results for every program shape, values
 * against finite differences, the layouts of Jacobians and Hessians, the
 * printed forms, C emission into memory, and two threads at once.
 *
 * Only symdiff.h is included: what this suite needs, every client can do.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "symdiff.h"
#include "testutil.h"

static SdProgram *compile_ok(const char *text) {
    SdProgram *p = NULL;
    SdStatus st = sd_compile(text, strlen(text), NULL, &p);
    ck_assert_msg(st == SD_OK, "%s: %s %s", text, sd_diagnostics_text(p), sd_error_message(p));
    return p;
}

static SdResult *derive_ok(SdProgram *p, SdRequest req) {
    SdResult *r = NULL;
    SdStatus st = sd_derive(p, &req, &r);
    ck_assert_msg(st == SD_OK, "derive: %s", sd_error_message(p));
    return r;
}

static char *print_ok(const SdResult *r, const SdValues *v, SdFormat fmt) {
    char *s = NULL;
    ck_assert(sd_print(r, v, NULL, fmt, &s) == SD_OK);
    return s;
}

/* --- diagnostics ------------------------------------------------------------------------- */

START_TEST(test_diagnostics_as_data) {
    SdProgram *p = NULL;
    const char *text = "y = 1;\n2*(x+";
    SdCompileOptions opt = {.file = "model.sd"};
    ck_assert_int_eq(sd_compile(text, strlen(text), &opt, &p), SD_ERR_INPUT);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(sd_diagnostic_count(p), 2);
    const SdDiagnostic *e = sd_diagnostic(p, 0), *n = sd_diagnostic(p, 1);
    ck_assert_int_eq(e->severity, SD_SEVERITY_ERROR);
    ck_assert_str_eq(e->file, "model.sd");
    ck_assert_int_eq(e->line, 2);
    ck_assert_int_eq(e->column, 6);
    ck_assert_str_eq(e->message, "unexpected end of input");
    ck_assert_int_eq(n->severity, SD_SEVERITY_NOTE);
    ck_assert_int_eq(n->line, 2);
    ck_assert_int_eq(n->column, 3);
    ck_assert_uint_eq(n->offset, 9);
    ck_assert_uint_eq(n->length, 1);
    ck_assert_ptr_nonnull(strstr(sd_diagnostics_text(p), "model.sd:2:6: error: unexpected end of input\n"));
    ck_assert_ptr_null(sd_diagnostic(p, 2));
    /* a program that failed cannot be differentiated: a reason, not a crash */
    SdResult *r = NULL;
    ck_assert_int_eq(sd_derive(p, NULL, &r), SD_ERR_REQUEST);
    ck_assert_ptr_null(r);
    sd_program_free(p);
}
END_TEST

START_TEST(test_variables_and_points) {
    SdProgram *p = compile_ok("param W[2,3], b[2], s; input x[3]; sum(W @ x + b) * s");
    ck_assert_int_eq(sd_var_count(p), 4);
    SdVar w = sd_var(p, sd_var_find(p, "W"));
    ck_assert_int_eq(w.shape.rank, 2);
    ck_assert_int_eq(w.shape.dim[0], 2);
    ck_assert_int_eq(w.shape.dim[1], 3);
    ck_assert_int_eq(w.role, SD_PARAM);
    SdVar x = sd_var(p, sd_var_find(p, "x"));
    ck_assert_int_eq(x.role, SD_INPUT);
    ck_assert_int_eq(sd_point_size(p), 6 + 2 + 3 + 1);
    double point[12];
    ck_assert_int_eq(sd_point_parse(p, "W=[[1,2,3],[4,5,6]], b=[1,1], x=[1,0,0], s=2", point), SD_OK);
    ck_assert(point[w.offset + 4] == 5);
    ck_assert(point[x.offset] == 1 && point[x.offset + 1] == 0);
    ck_assert_int_eq(sd_point_parse(p, "W=[1,2], b=[1,1], x=[1,0,0], s=2", point), SD_ERR_REQUEST);
    ck_assert_ptr_nonnull(strstr(sd_error_message(p), "declared shape"));
    ck_assert_int_eq(sd_point_parse(p, "W=[[1,2,3],[4,5,6]], b=[1,1], x=[1,0,0]", point), SD_ERR_REQUEST);
    ck_assert_ptr_nonnull(strstr(sd_error_message(p), "no value for 's'"));
    sd_program_free(p);
}
END_TEST

/* --- values against finite differences ------------------------------------------------------ */

/* Every program: its derivatives at a point against central differences
 * of its value, through sd_eval only (any shape; the flat layout). */
static const struct {
    const char *text, *at;
    SdWhat what;
} fd_cases[] = {
    {"x^2*ln(x^2)", "x=0.7", SD_GRADIENT},
    {"x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3", "x1=0.3, x2=1.5, x3=-0.4", SD_GRADIENT},
    {"[x*y, x+y, sin(x)]", "x=0.5, y=2", SD_GRADIENT},
    {"sin(x*y)*exp(y)", "x=0.5, y=-1", SD_HESSIAN},
    {"param w[3]; input x[3], y; (dot(w, x) - y)^2 + sum(w*w)", "w=[0.1,-0.2,0.3], x=[1,2,3], y=0.5",
     SD_GRADIENT},
    {"param W[2,2], b[2]; input x[2]; tanh(W @ x + b)", "W=[[1,2],[3,4]], b=[0.1,0.2], x=[0.3,-0.1]",
     SD_GRADIENT},
    {"param W[2,2], b[2]; input x[2], y[2]; -dot(y, log_softmax(W @ x + b)) + sum(W*W)",
     "W=[[0.5,-1],[0.25,2]], b=[0.1,0.2], x=[0.3,-0.7], y=[0,1]", SD_HESSIAN},
    {"param W1[3,2], b1[3], w2[3]; input x[2]; dot(w2, tanh(W1 @ x + b1))",
     "W1=[[1,2],[3,4],[5,6]], b1=[0,0.1,0.2], w2=[1,-1,0.5], x=[0.1,0.2]", SD_HESSIAN},
};

/* The numbers of the result's first row (gradient) or of the whole
 * result, by central differences of `of` (value: 0, gradient row: 1). */
static void fd_column(SdResult *r, double *point, long col_elem, int of_gradient,
                      double *out, long n) {
    double x0 = point[col_elem], h = 1e-5 * (fabs(x0) > 1 ? fabs(x0) : 1);
    SdValues vp, vm;
    point[col_elem] = x0 + h;
    ck_assert(sd_eval(r, point, &vp) == SD_OK);
    point[col_elem] = x0 - h;
    ck_assert(sd_eval(r, point, &vm) == SD_OK);
    point[col_elem] = x0;
    const double *a = of_gradient ? vp.gradient : vp.value, *b = of_gradient ? vm.gradient : vm.value;
    for (long i = 0; i < n; i++)
        out[i] = (a[i] - b[i]) / (2 * h);
    sd_values_free(&vp);
    sd_values_free(&vm);
}

START_TEST(test_values_by_differences) {
    SdProgram *p = compile_ok(fd_cases[_i].text);
    SdResult *r = derive_ok(p, (SdRequest){.what = fd_cases[_i].what});
    SdLayout l = sd_result_layout(r);
    double point[64], fd[64];
    ck_assert(sd_point_size(p) <= 64);
    ck_assert_int_eq(sd_point_parse(p, fd_cases[_i].at, point), SD_OK);
    SdValues v;
    ck_assert_int_eq(sd_eval(r, point, &v), SD_OK);
    int hess = l.what == SD_HESSIAN;
    ck_assert_int_eq(l.rows, hess ? l.cols : l.value_size);
    /* column c of the result is the c-th element of the variables
     * differentiated by, in order */
    long c = 0;
    for (int j = 0; j < l.nwrt; j++) {
        SdVar var = sd_var(p, sd_result_wrt(r, j));
        for (long e = 0; e < sd_shape_numel(var.shape); e++, c++) {
            fd_column(r, point, var.offset + e, hess, fd, l.rows);
            for (long i = 0; i < l.rows; i++)
                ck_assert_close(v.deriv[i * l.cols + c], fd[i], 1e-6);
        }
    }
    ck_assert_int_eq(c, l.cols);
    if (hess) /* symmetric */
        for (long i = 0; i < l.rows; i++)
            for (long k = 0; k < i; k++)
                ck_assert_close(v.deriv[i * l.cols + k], v.deriv[k * l.cols + i], 1e-12);
    sd_values_free(&v);
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

START_TEST(test_check_on_every_shape) {
    if (fd_cases[_i].what != SD_GRADIENT || strchr(fd_cases[_i].text, '[') == fd_cases[_i].text)
        return; /* the check is for the gradient of a scalar */
    SdProgram *p = compile_ok(fd_cases[_i].text);
    SdResult *r = derive_ok(p, (SdRequest){.what = SD_GRADIENT});
    SdCheckReport c;
    SdStatus st = sd_check(r, &(SdCheckOptions){.samples = 5}, &c);
    if (sd_output_shape(p).rank > 0) {
        ck_assert_int_eq(st, SD_ERR_REQUEST);
    } else {
        ck_assert_int_eq(st, SD_OK);
        ck_assert_int_eq(c.tested, 5);
        ck_assert_msg(c.ok, "%s: max error %g", fd_cases[_i].text, c.max_error);
    }
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

/* --- printed forms -------------------------------------------------------------------------- */

START_TEST(test_printed_forms) {
    SdProgram *p = compile_ok("x^2*ln(x^2)");
    SdResult *r = derive_ok(p, (SdRequest){.what = SD_GRADIENT});
    char *s = print_ok(r, NULL, SD_TEXT);
    ck_assert_str_eq(s, "2*x*(1 + ln(x^2))\n");
    sd_free(s);
    s = print_ok(r, NULL, SD_JSON);
    ck_assert_str_eq(s, "{\"vars\": [\"x\"], \"derivatives\": [\"2*x*(1 + ln(x^2))\"]}\n");
    sd_free(s);
    sd_result_free(r);
    r = derive_ok(p, (SdRequest){.what = SD_NTH, .order = 2});
    s = print_ok(r, NULL, SD_TEXT);
    ck_assert_str_eq(s, "2*(3 + ln(x^2))\n");
    sd_free(s);
    sd_result_free(r);
    r = derive_ok(p, (SdRequest){.what = SD_FUNCTION});
    s = print_ok(r, NULL, SD_TEXT);
    ck_assert_str_eq(s, "x^2*ln(x^2)\n");
    sd_free(s);
    sd_result_free(r);
    sd_program_free(p);

    p = compile_ok("param W[3,16], b[3]; input h[16], y[3]; s = W @ h + b; logsumexp(s) - dot(y, s)");
    r = derive_ok(p, (SdRequest){.what = SD_GRADIENT});
    s = print_ok(r, NULL, SD_TEXT);
    ck_assert_str_eq(s, "d/dW = (softmax(W @ h + b) - y) h'\nd/db = softmax(W @ h + b) - y\n");
    sd_free(s);
    /* a tensor program's Hessian has no printed expressions: a reason */
    sd_result_free(r);
    r = derive_ok(p, (SdRequest){.what = SD_HESSIAN, .wrt = (const char *[]){"b"}, .nwrt = 1});
    ck_assert_int_eq(sd_print(r, NULL, NULL, SD_TEXT, &s), SD_ERR_REQUEST);
    ck_assert_ptr_nonnull(strstr(sd_error_message(p), "Hessian"));
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

START_TEST(test_requests_that_do_not_apply) {
    const struct {
        const char *text;
        SdRequest req;
        const char *reason;
    } cases[] = {
        {"[x, x*y]", {.what = SD_HESSIAN}, "scalar program"},
        {"x*y", {.what = SD_NTH, .order = 2}, "exactly one variable"},
        {"x*y", {.what = SD_GRADIENT, .wrt = (const char *[]){"z"}, .nwrt = 1}, "'z' is not a variable"},
        {"param A[2,2]; A*A", {.what = SD_GRADIENT}, "matrix-valued"},
        {"param w[2]; sum(w)", {.what = SD_GRADIENT, .expand = 1}, "--expand"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        SdProgram *p = compile_ok(cases[i].text);
        SdResult *r = NULL;
        ck_assert_int_eq(sd_derive(p, &cases[i].req, &r), SD_ERR_REQUEST);
        ck_assert_ptr_null(r);
        ck_assert_msg(strstr(sd_error_message(p), cases[i].reason), "%s: %s", cases[i].text,
                      sd_error_message(p));
        sd_program_free(p);
    }
}
END_TEST

START_TEST(test_emit_into_memory) {
    SdProgram *p = compile_ok("x1^2 + x1*ln(x2)");
    SdResult *r = derive_ok(p, (SdRequest){.what = SD_HESSIAN});
    SdEmitted code;
    ck_assert_int_eq(sd_emit_c(r, &(SdEmitOptions){.name = "k", .test_program = 1}, &code), SD_OK);
    ck_assert_ptr_nonnull(strstr(code.header, "k_hess"));
    ck_assert_ptr_nonnull(strstr(code.source, "k_grad"));
    ck_assert_ptr_nonnull(code.test);
    ck_assert_ptr_null(code.main);
    sd_emitted_free(&code);
    ck_assert_int_eq(sd_emit_c(r, &(SdEmitOptions){.name = "int"}, &code), SD_ERR_REQUEST);
    ck_assert_ptr_null(code.source);
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

/* --- two threads ------------------------------------------------------------------------------ */

typedef struct Job {
    const char *text, *at;
    char *printed; /* the values, as text */
} Job;

static void *job_run(void *arg) {
    Job *j = arg;
    for (int k = 0; k < 20; k++) {
        SdProgram *p = NULL;
        SdResult *r = NULL;
        SdValues v = {0};
        double point[64];
        char *s = NULL;
        if (sd_compile(j->text, strlen(j->text), NULL, &p) == SD_OK &&
            sd_derive(p, &(SdRequest){.what = SD_GRADIENT}, &r) == SD_OK &&
            sd_point_parse(p, j->at, point) == SD_OK && sd_eval(r, point, &v) == SD_OK &&
            sd_print(r, &v, NULL, SD_JSON, &s) == SD_OK) {
            if (!j->printed)
                j->printed = s;
            else if (strcmp(j->printed, s) != 0)
                j->printed[0] = '!'; /* a different answer on another round */
            if (j->printed != s)
                sd_free(s);
        }
        sd_values_free(&v);
        sd_result_free(r);
        sd_program_free(p);
    }
    return NULL;
}

START_TEST(test_two_threads) {
    Job jobs[2] = {{"l = x; repeat 30 { l = 4*l*(1 - l) } l", "x=0.3", NULL},
                   {"param W[4,3], b[4]; input x[3]; sum(tanh(W @ x + b))",
                    "W=[[1,2,3],[4,5,6],[7,8,9],[1,1,1]], b=[0,0,0,0], x=[0.1,0.2,0.3]", NULL}};
    Job alone[2] = {jobs[0], jobs[1]};
    for (int i = 0; i < 2; i++)
        job_run(&alone[i]);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, job_run, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        ck_assert_ptr_nonnull(jobs[i].printed);
        ck_assert_str_eq(jobs[i].printed, alone[i].printed);
        sd_free(jobs[i].printed);
        sd_free(alone[i].printed);
    }
}
END_TEST

Suite *api_suite(void); /* called by tests/runner.c */

Suite *api_suite(void) {
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_diagnostics_as_data);
    tcase_add_test(tc, test_variables_and_points);
    tcase_add_loop_test(tc, test_values_by_differences, 0, (int)(sizeof fd_cases / sizeof *fd_cases));
    tcase_add_loop_test(tc, test_check_on_every_shape, 0, (int)(sizeof fd_cases / sizeof *fd_cases));
    tcase_add_test(tc, test_printed_forms);
    tcase_add_test(tc, test_requests_that_do_not_apply);
    tcase_add_test(tc, test_emit_into_memory);
    tcase_add_test(tc, test_two_threads);
    suite_add_tcase(s, tc);
    return s;
}
