/* SPDX-License-Identifier: MIT */
/*
 * check_batch.c — minibatch programs: run-time dimensions (`dim n <= 8;`),
 * a vector repeated in the rows or columns of a matrix (`X @ W' + b`),
 * row-wise softmax, log_softmax, logsumexp and cross entropy with
 * integer labels, reductions along an axis, and the points that carry a
 * batch's size.
 *
 * Every program of the table is checked, through the public interface
 * only, at random batch sizes from 1 to its maximum:
 *   - the gradient against central finite differences;
 *   - the gradient of the mean loss, times n, against the sum of the
 *     per-sample gradients (the same program at n = 1 on each row), to
 *     1e-12: the batch is the samples' sum and nothing else;
 *   - the value and gradient against the same program with the batch's
 *     size fixed by -D n=K (fixed shapes, which check_tensor compares
 *     with the scalar engine), to 1e-12;
 *   - rows beyond the batch hold NaN, and nothing reads them;
 *   - the printed function and derivatives read back to the same values.
 * Then the errors: shapes that do not fit, run-time dimensions misused,
 * labels that are parameters, points that give no size or a wrong one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuf.h" /* the generated C test builds its texts */
#include "symdiff.h"
#include "testrun.h"
#include "testutil.h"

static unsigned long long rng = 0x9E3779B97F4A7C15ull;

static double uniform(double lo, double hi) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (hi - lo) * (double)(rng >> 11) / 9007199254740992.0;
}

/* A program of the table: its declarations, then its final expression
 * (so that a printed expression can be read back with the same
 * declarations).  `per_sample`: a mean over the rows of `n` (plus terms
 * without inputs), so that n times its gradient is the sum of the
 * per-sample gradients.  Labels (inputs read by onehot) hold classes.
 * A classification has `classes` (k, or 1 for 0/1 labels and logits)
 * and `scores`, the program (after the declarations) whose value is what
 * NAME_scores computes; 0 and NULL otherwise. */
typedef struct BatchCase {
    const char *decls, *body;
    int per_sample, classes;
    const char *scores;
} BatchCase;

static const BatchCase cases[] = {
    {"dim n <= 8; param W[3,4], b[3]; input X[n,4], y[n];", "mean(cross_entropy(X @ W' + b, y))", 1, 3,
     "X @ W' + b"},
    {"dim n <= 8; param W1[5,4], b1[5], W2[3,5], b2[3]; input X[n,4], y[n];",
     "H = relu(X @ W1' + b1); mean(cross_entropy(H @ W2' + b2, y)) + 1e-3*(sum(W1*W1) + sum(W2*W2))", 1, 3,
     "H = relu(X @ W1' + b1); H @ W2' + b2"},
    {"dim n <= 8; param W1[5,4], b1[5], W2[3,5], b2[3]; input X[n,4], y[n];",
     "H = tanh(X @ W1' + b1); S = H @ W2' + b2; mean(logsumexp(S) - sum(S*onehot(y, 3), 1))", 1, 3,
     "H = tanh(X @ W1' + b1); H @ W2' + b2"},
    {"dim n <= 8; param W[3,4], b[3]; input X[n,4], Y[n,3];", "-mean(sum(Y*log_softmax(X @ W' + b), 1))", 1, 0, NULL},
    {"dim n <= 8; param W[3,4], b[3]; input X[n,4], Y[n,3];", "S = X @ W' + b; -mean(sum(Y*(S - logsumexp(S) ones(3)'), 1))", 1, 0, NULL},
    {"dim n <= 8; param w[4], c; input X[n,4], t[n];", "z = X @ w + c; mean(softplus(z) - t*z) + 1e-2*sum(w*w)", 1, 1,
     "X @ w + c"},
    {"dim n <= 8; param W[2,4], b[2], v[2], c; input X[n,4], t[n];",
     "z = tanh(X @ W' + b) @ v + c; -mean(t*log(sigmoid(z)) + (1 - t)*log(1 - sigmoid(z)))", 1, 1,
     "tanh(X @ W' + b) @ v + c"},
    {"dim n <= 8; param W[2,4], b[2]; input X[n,4], T[n,2];", "sum((X @ W' + b - T)^2)/(2*n)", 1, 0, NULL},
    {"dim n <= 8; param W[3,4]; input X[n,4], y[n];", "sum(mean(softmax(X @ W')*onehot(y, 3), 0))", 1, 3, "X @ W'"},
    /* log of a row-wise softmax: the stable form subtracts each row's
     * logsumexp from the row */
    {"dim n <= 8; param W[3,4], b[3]; input X[n,4], y[n];", "-mean(sum(onehot(y, 3) * log(softmax(X @ W' + b)), 1))",
     1, 3, "X @ W' + b"},
    {"param W[3,4]; input X[5,4];", "sum(log(softmax(X @ W'))^2) + sum(log(softmax(W)[1]))", 0, 0, NULL},
    {"dim n <= 8; param W[3,4], v[4]; input X[n,4];", "mean(sum(sigmoid(X @ W'), 1) + X @ v)", 1, 0, NULL},
    /* in one kernel: softmax and logsumexp of the same rows (their
     * exponentials shared), a computed bias in every row, one-hot labels */
    {"dim n <= 8; param W[3,4], b[3]; input X[n,4], y[n];",
     "S = X @ W' + tanh(b); mean(logsumexp(S) - sum(softmax(S)*onehot(y, 3)*S, 1) + sum(S*onehot(y, 3), 1)^2)", 1, 3,
     "X @ W' + tanh(b)"},
    /* not a mean over samples: the batch's rows meet each other */
    {"dim n <= 8; param W[3,4], b[3]; input X[n,4];", "sum(logsumexp(X @ W' + b, 0)) + sum(softmax(X @ W', 0)^2)", 0, 0, NULL},
    {"dim n <= 8; param W[3,4]; input X[n,4];", "sum(sum(X @ W', 0)^2) + mean(X @ W')*n + sum(ones(n)*2)", 0, 0, NULL},
    {"dim n <= 8, m <= 3; param W[3,4]; input X[n,4], Z[m,3];", "sum(tanh(X @ W')) + sum(Z @ W) + sum(log_softmax(Z))", 0, 0, NULL},
    {"dim n <= 6; param A[3,3]; input X[n,3];", "sum(tanh(X @ A + ones(n) A[0]')) + sum(X' @ X @ A)", 0, 0, NULL},
    /* products large enough for sd_gemm in the generated C: tails of rows
     * and columns, and more than one panel of 256 along the sum */
    {"dim n <= 40; param W1[20,30], b1[20], W2[5,20], b2[5]; input X[n,30], y[n];",
     "H = tanh(X @ W1' + b1); mean(cross_entropy(H @ W2' + b2, y))", 1, 5, "H = tanh(X @ W1' + b1); H @ W2' + b2"},
    {"dim n <= 21; param W[18,300]; input X[n,300];", "mean(sum(sigmoid(X @ W'), 1))", 1, 0, NULL},
    {"param A[17,24], B[24,19]; input C[17,19];", "sum(tanh(A @ B + C) @ B')", 0, 0, NULL},
    /* fixed shapes: a classification of 6 rows, and of one sample */
    {"param W[4,3]; input X[6,3], y[6];", "sum(log_softmax(X @ W') * onehot(y, 4)) + sum(W*W)", 0, 4, "X @ W'"},
    {"param W[4,3], b[4]; input x[3], y;", "cross_entropy(W @ tanh(x) + b, y)", 0, 4, "W @ tanh(x) + b"},
};

static SdProgram *compile_with(const char *text, const SdDefine *defs, int ndefs) {
    SdProgram *p = NULL;
    SdCompileOptions opt = {.defines = defs, .ndefines = ndefs};
    SdStatus st = sd_compile(text, strlen(text), &opt, &p);
    ck_assert_msg(st == SD_OK, "%s: %s %s", text, sd_diagnostics_text(p), sd_error_message(p));
    return p;
}

static SdResult *gradient_of(SdProgram *p) {
    SdResult *r = NULL;
    SdRequest req = {.what = SD_GRADIENT};
    ck_assert_msg(sd_derive(p, &req, &r) == SD_OK, "derive: %s", sd_error_message(p));
    return r;
}

/* The number of classes onehot reads variable v as, or 0. */
static int classes_of(const char *text, const char *name) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "onehot(%s, ", name);
    const char *at = strstr(text, pattern);
    if (at)
        return atoi(at + strlen(pattern));
    snprintf(pattern, sizeof pattern, ", %s)", name);
    return strstr(text, "cross_entropy") && strstr(text, pattern) ? 3 : 0;
}

/* A random point with the run-time dimensions at the sizes dims[]: the
 * entries beyond them NaN, labels classes. */
static double *random_point(SdProgram *p, const char *text, const long *dims) {
    long size = sd_point_size(p);
    double *x = malloc((size_t)size * sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (int v = 0; v < sd_var_count(p); v++) {
        SdVar var = sd_var(p, v);
        int k = classes_of(text, var.name);
        long rows = var.shape.rank == 2 ? var.shape.dim[0] : var.shape.rank ? var.shape.dim[0] : 1;
        long cols = var.shape.rank == 2 ? var.shape.dim[1] : 1;
        for (long i = 0; i < rows; i++)
            for (long j = 0; j < cols; j++) {
                int outside = (var.shape.rank > 0 && var.shape.dyn[0] && i >= dims[var.shape.dyn[0] - 1]) ||
                              (var.shape.rank == 2 && var.shape.dyn[1] && j >= dims[var.shape.dyn[1] - 1]);
                x[var.offset + i * cols + j] = outside ? NAN : k ? floor(uniform(0, k)) : uniform(-1.5, 1.5);
            }
    }
    for (int d = 0; d < sd_dim_count(p); d++)
        x[sd_dim(p, d).offset] = (double)dims[d];
    return x;
}

/* The value (a scalar program) and the gradient at x. */
static double value_grad(SdResult *r, const double *x, double *grad) {
    SdValues v;
    ck_assert_int_eq(sd_eval(r, x, &v), SD_OK);
    SdLayout l = sd_result_layout(r);
    double f = v.value[0];
    if (grad)
        memcpy(grad, v.deriv, (size_t)l.cols * sizeof *grad);
    sd_values_free(&v);
    return f;
}

static double value_at(SdResult *r, const double *x) { return value_grad(r, x, NULL); }

static void random_dims(SdProgram *p, long *dims) {
    for (int d = 0; d < sd_dim_count(p); d++)
        dims[d] = 1 + (long)uniform(0, (double)sd_dim(p, d).max);
}

/* ---- the gradient against finite differences ------------------------------------------------- */

START_TEST(test_batch_against_differences) {
    const BatchCase *c = &cases[_i];
    char text[1024];
    snprintf(text, sizeof text, "%s %s", c->decls, c->body);
    SdProgram *p = compile_with(text, NULL, 0);
    SdResult *r = gradient_of(p);
    SdLayout l = sd_result_layout(r);
    double *g = malloc((size_t)l.cols * sizeof *g);
    ck_assert_ptr_nonnull(g);
    for (int t = 0; t < 3; t++) {
        long dims[8];
        random_dims(p, dims);
        double *x = random_point(p, text, dims);
        double f = value_grad(r, x, g);
        ck_assert_msg(isfinite(f), "%s: the value is %g at n = %ld", text, f, dims[0]);
        for (int j = 0; j < l.nwrt; j++) {
            SdVar var = sd_var(p, sd_result_wrt(r, j));
            long base = 0;
            for (int q = 0; q < j; q++)
                base += sd_shape_numel(sd_var(p, sd_result_wrt(r, q)).shape);
            /* every element of a small parameter, about 40 of a large one */
            long numel = sd_shape_numel(var.shape), step = numel > 64 ? numel / 40 : 1;
            for (long e = (long)uniform(0, (double)step); e < numel; e += step) {
                double *xe = &x[var.offset + e], x0 = *xe, h = 1e-3, fs[4];
                const double steps[4] = {-2, -1, 1, 2};
                for (int s = 0; s < 4; s++) {
                    *xe = x0 + steps[s] * h;
                    fs[s] = value_at(r, x);
                }
                *xe = x0;
                double fd = (fs[0] - 8 * fs[1] + 8 * fs[2] - fs[3]) / (12 * h);
                ck_assert_msg(fabs(g[base + e] - fd) <= 1e-6 * fmax(1, fabs(fd)),
                              "%s: n = %ld, d/d%s[%ld] = %.15g, finite differences %.15g", text, dims[0], var.name,
                              e, g[base + e], fd);
            }
        }
        free(x);
    }
    free(g);
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

/* ---- the batch's gradient is the sum of the samples' ---------------------------------------- */

START_TEST(test_batch_is_sum_of_samples) {
    const BatchCase *c = &cases[_i];
    if (!c->per_sample)
        return;
    char text[1024];
    snprintf(text, sizeof text, "%s %s", c->decls, c->body);
    SdProgram *p = compile_with(text, NULL, 0);
    SdResult *r = gradient_of(p);
    SdLayout l = sd_result_layout(r);
    double *g = malloc((size_t)l.cols * sizeof *g), *gi = malloc((size_t)l.cols * sizeof *gi);
    double *sum = calloc((size_t)l.cols, sizeof *sum);
    ck_assert(g && gi && sum);
    for (int t = 0; t < 3; t++) {
        long dims[8], one[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        random_dims(p, dims);
        double *x = random_point(p, text, dims);
        double f = value_grad(r, x, g), fsum = 0;
        memset(sum, 0, (size_t)l.cols * sizeof *sum);
        /* sample i: row i of every input with the batch's rows, at n = 1 */
        double *xi = malloc((size_t)sd_point_size(p) * sizeof *xi);
        ck_assert_ptr_nonnull(xi);
        for (long i = 0; i < dims[0]; i++) {
            memcpy(xi, x, (size_t)sd_point_size(p) * sizeof *xi);
            for (int v = 0; v < sd_var_count(p); v++) {
                SdVar var = sd_var(p, v);
                if (var.shape.rank == 0 || var.shape.dyn[0] != 1)
                    continue;
                long cols = var.shape.rank == 2 ? var.shape.dim[1] : 1;
                memcpy(xi + var.offset, x + var.offset + i * cols, (size_t)cols * sizeof *xi);
            }
            xi[sd_dim(p, 0).offset] = (double)one[0];
            fsum += value_grad(r, xi, gi);
            for (long k = 0; k < l.cols; k++)
                sum[k] += gi[k];
        }
        double n = (double)dims[0];
        ck_assert_msg(fabs(n * f - fsum) <= 1e-12 * fmax(1, fabs(fsum)), "%s: n = %g: n f = %.17g, sum of samples %.17g",
                      text, n, n * f, fsum);
        for (long k = 0; k < l.cols; k++)
            ck_assert_msg(fabs(n * g[k] - sum[k]) <= 1e-12 * fmax(1, fabs(sum[k])),
                          "%s: n = %g: n grad[%ld] = %.17g, sum of the samples' %.17g", text, n, k, n * g[k], sum[k]);
        free(xi);
        free(x);
    }
    free(g);
    free(gi);
    free(sum);
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

/* ---- against the same program with fixed shapes ----------------------------------------------- */

START_TEST(test_batch_matches_fixed_shapes) {
    const BatchCase *c = &cases[_i];
    char text[1024];
    snprintf(text, sizeof text, "%s %s", c->decls, c->body);
    SdProgram *p = compile_with(text, NULL, 0);
    SdResult *r = gradient_of(p);
    for (int t = 0; t < 2; t++) {
        long dims[8];
        random_dims(p, dims);
        SdDefine defs[8];
        char names[8][32];
        for (int d = 0; d < sd_dim_count(p); d++) {
            snprintf(names[d], sizeof names[d], "%s", sd_dim(p, d).name);
            defs[d] = (SdDefine){names[d], (double)dims[d]};
        }
        SdProgram *q = compile_with(text, defs, sd_dim_count(p));
        ck_assert_int_eq(sd_dim_count(q), 0);
        SdResult *rq = gradient_of(q);
        double *x = random_point(p, text, dims), *xq = malloc((size_t)sd_point_size(q) * sizeof *xq);
        ck_assert_ptr_nonnull(xq);
        /* the same numbers, laid out at the fixed shapes */
        for (int v = 0; v < sd_var_count(p); v++) {
            SdVar a = sd_var(p, v), b = sd_var(q, v);
            ck_assert_str_eq(a.name, b.name);
            long rows = b.shape.rank ? b.shape.dim[0] : 1, cols = b.shape.rank == 2 ? b.shape.dim[1] : 1;
            long stride = a.shape.rank == 2 ? a.shape.dim[1] : 1;
            for (long i = 0; i < rows; i++)
                for (long j = 0; j < cols; j++)
                    xq[b.offset + i * cols + j] = x[a.offset + i * stride + j];
        }
        SdLayout l = sd_result_layout(r);
        ck_assert_int_eq(l.cols, sd_result_layout(rq).cols);
        double *g = malloc((size_t)l.cols * sizeof *g), *gq = malloc((size_t)l.cols * sizeof *gq);
        ck_assert(g && gq);
        double f = value_grad(r, x, g), fq = value_grad(rq, xq, gq);
        ck_assert_msg(fabs(f - fq) <= 1e-12 * fmax(1, fabs(fq)), "%s at n = %ld: %.17g, fixed %.17g", text, dims[0], f, fq);
        for (long k = 0; k < l.cols; k++)
            ck_assert_msg(fabs(g[k] - gq[k]) <= 1e-12 * fmax(1, fabs(gq[k])), "%s at n = %ld: grad[%ld] %.17g, fixed %.17g",
                          text, dims[0], k, g[k], gq[k]);
        free(g);
        free(gq);
        free(x);
        free(xq);
        sd_result_free(rq);
        sd_program_free(q);
    }
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

/* ---- printed forms read back ------------------------------------------------------------------ */

/* The text after "d/dNAME = " on its line, malloc'd. */
static char *printed_block(const char *printed, const char *name) {
    char label[64];
    snprintf(label, sizeof label, "d/d%s = ", name);
    const char *at = strstr(printed, label);
    ck_assert_msg(at != NULL, "no %s in\n%s", label, printed);
    at += strlen(label);
    size_t len = strcspn(at, "\n");
    char *s = malloc(len + 1);
    memcpy(s, at, len);
    s[len] = '\0';
    return s;
}

START_TEST(test_batch_printed_forms_read_back) {
    const BatchCase *c = &cases[_i];
    char text[1024];
    snprintf(text, sizeof text, "%s %s", c->decls, c->body);
    SdProgram *p = compile_with(text, NULL, 0);
    SdResult *r = gradient_of(p);
    char *printed = NULL;
    ck_assert_int_eq(sd_print(r, NULL, NULL, SD_TEXT, &printed), SD_OK);
    SdLayout l = sd_result_layout(r);
    long dims[8];
    random_dims(p, dims);
    double *x = random_point(p, text, dims);
    SdValues v;
    ck_assert_int_eq(sd_eval(r, x, &v), SD_OK);
    long col = 0;
    for (int j = 0; j < l.nwrt; j++) {
        SdVar var = sd_var(p, sd_result_wrt(r, j));
        char *block = printed_block(printed, var.name), *again = malloc(strlen(block) + 1024);
        /* the derivative of a parameter read back as a program: its sum
         * (a scalar program) must be the sum of the block */
        sprintf(again, "%s sum(%s)", c->decls, block);
        SdProgram *q = NULL;
        ck_assert_msg(sd_compile(again, strlen(again), NULL, &q) == SD_OK, "%s\nprinted\n%s\ndoes not read back: %s", text,
                      printed, sd_diagnostics_text(q));
        SdResult *f = NULL;
        SdRequest fn = {.what = SD_FUNCTION};
        ck_assert_int_eq(sd_derive(q, &fn, &f), SD_OK);
        double want = 0;
        for (long e = 0; e < sd_shape_numel(var.shape); e++)
            want += v.deriv[col + e];
        col += sd_shape_numel(var.shape);
        double got = value_at(f, x);
        ck_assert_msg(fabs(got - want) <= 1e-10 * fmax(1, fabs(want)), "%s: d/d%s printed as %s reads back as %.17g, not %.17g",
                      text, var.name, block, got, want);
        sd_result_free(f);
        sd_program_free(q);
        free(block);
        free(again);
    }
    sd_values_free(&v);
    free(x);
    sd_free(printed);
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

/* The classic results, as they print. */
START_TEST(test_batch_printed_gradients) {
    static const struct {
        const char *program, *printed;
    } golden[] = {
        {"dim n <= 64; param W[3,4], b[3]; input X[n,4], y[n]; mean(cross_entropy(X @ W' + b, y))",
         "d/dW = (softmax(X @ W' + b)/n - onehot(y, 3)/n)' @ X\n"
         "d/db = sum(softmax(X @ W' + b)/n - onehot(y, 3)/n, 0)\n"},
        {"dim n <= 64; param W[3,4], b[3]; input X[n,4]; sum(tanh(X @ W' + b))",
         "d/dW = (1 - tanh(X @ W' + b)^2)' @ X\n"
         "d/db = sum(1 - tanh(X @ W' + b)^2, 0)\n"},
        {"param b[3]; input X[5,3]; sum((X - b)^2)", "d/db = -2*sum(X - b, 0)\n"},
        {"param b[3]; input X[3,3]; sum(exp(X - b))", "d/db = -sum(exp(X - b), 0)\n"},
        {"param v[4]; input X[4,3]; sum(exp(X + v ones(3)'))", "d/dv = sum(exp(v ones(3)' + X), 1)\n"},
        {"param b[3]; sum(ones(3) b')", "d/db = 3*ones(3)\n"},
        {"param S[2,3]; sum(log_softmax(S))", "d/dS = 1 - 3*softmax(S)\n"},
        {"dim n <= 4; param c; input y[n]; c*sum(y)/n", "d/dc = sum(y)/n\n"},
    };
    for (size_t i = 0; i < sizeof golden / sizeof *golden; i++) {
        SdProgram *p = compile_with(golden[i].program, NULL, 0);
        SdResult *r = gradient_of(p);
        char *s = NULL;
        ck_assert_int_eq(sd_print(r, NULL, NULL, SD_TEXT, &s), SD_OK);
        ck_assert_msg(strcmp(s, golden[i].printed) == 0, "%s:\n  expected %s  got %s", golden[i].program,
                      golden[i].printed, s);
        sd_free(s);
        sd_result_free(r);
        sd_program_free(p);
    }
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------------ */

START_TEST(test_batch_lowering_errors) {
    static const struct {
        const char *program, *message;
    } bad[] = {
        {"dim n <= 8; param W[n,3]; sum(W)", "1:19: error: the parameter 'W' has a run-time dimension"},
        {"input X[n,3]; sum(X)", "1:9: error: 'n' is not a dimension: declare it first"},
        {"dim n <= 8; input X[n,3]; dim n <= 4; sum(X)", "error: 'n' is declared twice"},
        {"dim n <= 8; param n; n", "error: 'n' is declared twice"},
        {"dim X <= 8; input X[2]; sum(X)", "error: 'X' is declared twice"},
        {"dim n <= 0; 1", "error: the largest size of a run-time dimension must be a positive integer"},
        {"dim n <= 8; n = 3; n", "error: cannot declare the dimension 'n': the program assigns to it"},
        {"dim sin <= 8; 1", "error: cannot declare 'sin': it is a built-in name"},
        {"dim n <= 8; input X[n,3]; X[0, 1]", "error: a subscript along the run-time dimension 'n'"},
        {"dim n <= 8; input X[3,n]; X[0, 1]", "error: a subscript along the run-time dimension 'n'"},
        {"dim n <= 8, m <= 8; input X[n,3], Z[m,3]; sum(X + Z)", "error: shape mismatch in 'X + Z': [n,3] + [m,3]"},
        {"dim n <= 8; input X[n,3], Z[8,3]; sum(X + Z)", "error: shape mismatch in 'X + Z': [n,3] + [8,3]"},
        {"dim n <= 8; param W[3,4]; input X[n,3]; sum(X @ W')", "error: shape mismatch in 'X @ W'': [n,3] @ [4,3]"},
        {"dim n <= 8; param S[n,3]; sum(S - logsumexp(S))", "error: the parameter 'S' has a run-time dimension"},
        {"dim n <= 8; input S[n,3]; sum(S - logsumexp(S))", "error: shape mismatch in 'S - logsumexp(S)': [n,3] - [n]"},
        {"dim n <= 8; input S[n,3]; sum(S - logsumexp(S))",
         "note: a vector is repeated in every row of a matrix, so it must be as long as a row; to repeat it in every "
         "column, write logsumexp(S) ones(3)'"},
        {"param A[3,4], b[5]; sum(A + b)", "error: shape mismatch in 'A + b': [3,4] + [5]"},
        {"param A[3,4], b[4]; sum(A*b)", "error: shape mismatch in 'A*b': [3,4] * [4]"},
        {"param A[3,4], b[4]; sum(A b)", "write A @ b for the matrix product"},
        {"param S[4,3]; input y[3]; sum(cross_entropy(S, y))",
         "error: 'cross_entropy' needs one label per row: a vector as long as the scores have rows for scores of "
         "shape [4,3], got [3]"},
        {"param s[3]; input y[2]; cross_entropy(s, y)", "error: 'cross_entropy' needs one label per vector: a scalar"},
        {"param S[4,3], y[4]; sum(cross_entropy(S, y))", "error: the labels depend on the parameter 'y'"},
        {"param S[4,3], c; input y[4]; sum(onehot(y + c, 3))", "error: the labels depend on the parameter 'c'"},
        {"input y[4]; param c; c*sum(onehot(y, c))", "error: a dimension must be a positive integer constant"},
        {"dim n <= 8; input y[4]; sum(onehot(y, n))", "error: a dimension must be a positive integer constant"},
        {"param A[3,4]; sum(sum(A, 2))", "error: the axis must be 0 (down the columns) or 1 (along the rows)"},
        {"param A[3,4], c; sum(softmax(A, c))", "error: the axis must be"},
        {"param a; sum(a, 0)", "error: an axis needs a vector or a matrix, got scalar"},
        {"param v[3]; sum(softmax(v, 1))", "error: the axis must be 0 (the vector has one axis)"},
        {"param A[2,3]; onehot(A, 3)", "error: 'onehot' needs a label or a vector of labels, got [2,3]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        SdProgram *p = NULL;
        ck_assert_msg(sd_compile(bad[i].program, strlen(bad[i].program), NULL, &p) == SD_ERR_INPUT,
                      "'%s' should not compile", bad[i].program);
        ck_assert_msg(strstr(sd_diagnostics_text(p), bad[i].message), "%s:\n  expected %s\n  got %s", bad[i].program,
                      bad[i].message, sd_diagnostics_text(p));
        sd_program_free(p);
    }
    /* -D fixes a run-time dimension, within its bound */
    SdDefine big = {"n", 9}, half = {"n", 2.5};
    SdCompileOptions o1 = {.defines = &big, .ndefines = 1}, o2 = {.defines = &half, .ndefines = 1};
    const char *text = "dim n <= 8; input X[n,3]; sum(X)";
    SdProgram *p = NULL;
    ck_assert_int_eq(sd_compile(text, strlen(text), &o1, &p), SD_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(sd_diagnostics_text(p), "error: -D n=9: the size of 'n' must be an integer from 1 to 8"));
    sd_program_free(p);
    ck_assert_int_eq(sd_compile(text, strlen(text), &o2, &p), SD_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(sd_diagnostics_text(p), "-D n=2.5"));
    sd_program_free(p);
}
END_TEST

/* ---- points --------------------------------------------------------------------------------------- */

START_TEST(test_batch_points) {
    const char *text = "dim n <= 4; param W[2,3], b[2]; input X[n,3], y[n]; mean(cross_entropy(X @ W' + b, y))";
    SdProgram *p = compile_with(text, NULL, 0);
    ck_assert_int_eq(sd_dim_count(p), 1);
    SdDim d = sd_dim(p, 0);
    ck_assert_str_eq(d.name, "n");
    ck_assert_int_eq(d.max, 4);
    /* variables at their largest shapes, then the size */
    ck_assert_int_eq(sd_point_size(p), 6 + 2 + 12 + 4 + 1);
    ck_assert_int_eq(d.offset, 24);
    SdVar X = sd_var(p, sd_var_find(p, "X"));
    ck_assert_int_eq(X.shape.dyn[0], 1);
    ck_assert_int_eq(X.shape.dyn[1], 0);
    ck_assert_int_eq(X.shape.dim[0], 4);
    double x[25];
    ck_assert_int_eq(sd_point_parse(p, "W=[[1,0,0],[0,1,0]], b=[0,1], X=[[1,2,3],[4,5,6]], y=[1,0]", x), SD_OK);
    ck_assert(x[24] == 2);
    ck_assert(x[X.offset + 3] == 4 && x[X.offset + 5] == 6);
    SdResult *r = gradient_of(p);
    SdValues v;
    ck_assert_int_eq(sd_eval(r, x, &v), SD_OK);
    ck_assert_ptr_nonnull(v.dims);
    ck_assert_int_eq(v.dims[0], 2);
    /* S = [[1, 3], [4, 6]]: (log(e + e^3) - 3 + log(e^4 + e^6) - 4) / 2 */
    double want = (log(exp(1) + exp(3)) - 3 + log(exp(4) + exp(6)) - 4) / 2;
    ck_assert_close(v.value[0], want, 1e-14);
    sd_values_free(&v);

    static const struct {
        const char *point, *message;
    } bad[] = {
        {"W=[[1,0,0],[0,1,0]], b=[0,1], X=[[1,2,3],[4,5,6]], y=[1,0,2]",
         "--at: 'y' has 3 along the run-time dimension 'n', which is 2 elsewhere"},
        {"W=[[1,0,0],[0,1,0]], b=[0,1], X=[[1,2,3],[4,5,6],[1,1,1],[1,1,1],[2,2,2]], y=[1,0,2,0,1]",
         "--at: 'X' has 5 along the run-time dimension 'n', at most 4"},
        {"W=[[1,0,0],[0,1,0]], b=[0,1], X=[[1,2],[4,5]], y=[1,0]", "--at: 'X' needs a value of its declared shape"},
        {"W=[[1,0,0],[0,1,0]], b=[0,1], X=[[1,2,3],[4,5,6]], y=[1,0], n=3", "--at: 'n' is 3, but the values given make it 2"},
        {"W=[[1,0,0],[0,1,0]], b=[0,1], X=[[1,2,3],[4,5,6]], y=[1,0], n=0",
         "--at: the run-time dimension 'n' needs a size from 1 to 4, got '0'"},
        {"W=[[1,0,0],[0,1,0]], b=[0,1], X=[[1,2,3],[4,5,6]], y=[1,0], n=1.5", "needs a size from 1 to 4"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(sd_point_parse(p, bad[i].point, x), SD_ERR_REQUEST);
        ck_assert_msg(strstr(sd_error_message(p), bad[i].message), "%s:\n  expected %s\n  got %s", bad[i].point,
                      bad[i].message, sd_error_message(p));
    }
    /* a size the point gives badly is refused, not used */
    ck_assert_int_eq(sd_point_parse(p, "W=[[1,0,0],[0,1,0]], b=[0,1], X=[[1,2,3]], y=[1]", x), SD_OK);
    x[24] = 5;
    ck_assert_int_eq(sd_eval(r, x, &v), SD_ERR_REQUEST);
    ck_assert_ptr_nonnull(strstr(sd_error_message(p), "the size 5; it must be an integer from 1 to 4"));
    sd_result_free(r);
    sd_program_free(p);

    /* a size no variable carries is given by name */
    p = compile_with("dim n <= 9; param a; a*n + sum(ones(n)*a^2)", NULL, 0);
    double z[2];
    ck_assert_int_eq(sd_point_parse(p, "a=2", z), SD_ERR_REQUEST);
    ck_assert_ptr_nonnull(strstr(sd_error_message(p), "--at: no size for the run-time dimension 'n' (give n=...)"));
    ck_assert_int_eq(sd_point_parse(p, "a=2, n=7", z), SD_OK);
    r = gradient_of(p);
    ck_assert_int_eq(sd_eval(r, z, &v), SD_OK);
    ck_assert_close(v.value[0], 2 * 7 + 7 * 4, 1e-15);
    ck_assert_close(v.deriv[0], 7 + 7 * 2 * 2, 1e-15);
    sd_values_free(&v);
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

/* A value with a run-time dimension prints at its size; its Jacobian,
 * whose number of rows is known only at run time, is refused. */
START_TEST(test_batch_dynamic_values) {
    SdProgram *p = compile_with("dim n <= 4; param s; input X[n,2]; s*sum(X, 1)", NULL, 0);
    SdResult *r = NULL;
    SdRequest req = {.what = SD_GRADIENT};
    ck_assert_int_eq(sd_derive(p, &req, &r), SD_ERR_REQUEST);
    ck_assert_ptr_nonnull(strstr(sd_error_message(p), "the program's value has the run-time dimension 'n'"));
    SdRequest fn = {.what = SD_FUNCTION};
    ck_assert_int_eq(sd_derive(p, &fn, &r), SD_OK);
    double x[10];
    ck_assert_int_eq(sd_point_parse(p, "s=2, X=[[1,2],[3,4],[5,6]]", x), SD_OK);
    SdValues v;
    ck_assert_int_eq(sd_eval(r, x, &v), SD_OK);
    char *s = NULL;
    ck_assert_int_eq(sd_print(r, &v, NULL, SD_TEXT, &s), SD_OK);
    ck_assert_msg(strstr(s, "value = [6, 14, 22]") != NULL, "%s", s);
    sd_free(s);
    ck_assert_int_eq(sd_print(r, &v, NULL, SD_JSON, &s), SD_OK);
    ck_assert_msg(strstr(s, "\"value\": [6, 14, 22]") != NULL, "%s", s);
    sd_free(s);
    sd_values_free(&v);
    sd_result_free(r);
    sd_program_free(p);
    /* what writes a program out element by element needs fixed shapes */
    p = compile_with("dim n <= 4; param w[2]; input X[n,2]; sum(tanh(X @ w))", NULL, 0);
    r = gradient_of(p);
    ck_assert_int_eq(sd_trace(r, SD_TEXT, &s), SD_ERR_REQUEST);
    ck_assert_ptr_nonnull(strstr(sd_error_message(p), "needs fixed shapes: give the run-time dimension 'n' a size (-D n=...)"));
    sd_result_free(r);
    sd_program_free(p);
}
END_TEST

/* ---- generated C ------------------------------------------------------------------------------ */

/* A C initializer of n numbers (NaN as NAN), float literals with `f`. */
static void c_numbers(StrBuf *sb, const double *v, long n, int fl) {
    for (long e = 0; e < n; e++) {
        if (isnan(v[e]))
            sb_puts(sb, fl ? "(float)NAN, " : "(double)NAN, ");
        else
            sb_printf(sb, "%.17e%s, ", v[e], fl ? "f" : "");
    }
}

/* Every program of the table as C, double and float, compiled with one
 * compiler call (gcc, then clang where it is installed, at -O2) and run at
 * random batch sizes and the largest, with NaN past the batch: value and
 * gradient equal the evaluator's (to 1e-10 in double, 1e-3 in float:
 * products are summed in blocks), and a size of 0 or past the maximum
 * gives NaN everywhere.  A classification's NAME_scores gives the rows of
 * the batch that the evaluator gives for the program of the scores alone
 * (and NaN everywhere for a size out of range); the other programs have no
 * NAME_scores.  With `blas`, the kernels are written with --blas
 * cblas and linked with -lblas (gcc only); the programs without a product
 * large enough for it are left out. */
static void check_generated_c(int blas) {
    enum { NCASES = sizeof cases / sizeof *cases, SIZES = 3 };
    char dir[128];
    make_temp_dir(dir, sizeof dir, "batch");
    int nprograms = 0;
    StrBuf main_c, calls, expect;
    sb_init(&main_c);
    sb_init(&calls);
    sb_init(&expect);
    sb_puts(&main_c, "#include <math.h>\n#include <stdio.h>\n");
    StrBuf files;
    sb_init(&files);
    for (int c = 0; c < NCASES; c++) {
        char text[1024];
        snprintf(text, sizeof text, "%s %s", cases[c].decls, cases[c].body);
        SdProgram *p = compile_with(text, NULL, 0);
        SdResult *r = gradient_of(p);
        SdLayout l = sd_result_layout(r);
        SdEmitted probe;
        SdEmitOptions po = {.blas = SD_BLAS_CBLAS};
        ck_assert_int_eq(sd_emit_c(r, &po, &probe), SD_OK);
        int calls_blas = strstr(probe.source, "cblas_dgemm(") != NULL;
        sd_emitted_free(&probe);
        if (blas && !calls_blas) {
            sd_result_free(r);
            sd_program_free(p);
            continue;
        }
        nprograms++;
        for (int fl = 0; fl < 2; fl++) {
            char name[32], file[64];
            snprintf(name, sizeof name, "k%d%s", c, fl ? "f" : "d");
            SdEmitOptions eo = {.name = name, .type = fl ? SD_FLOAT : SD_DOUBLE,
                                .blas = blas ? SD_BLAS_CBLAS : SD_BLAS_NONE};
            SdEmitted em;
            ck_assert_msg(sd_emit_c(r, &eo, &em) == SD_OK, "%s: %s", text, sd_error_message(p));
            ck_assert_msg(!blas || strstr(em.source, fl ? "cblas_sgemm(" : "cblas_dgemm("), "%s: no BLAS call", text);
            ck_assert_msg(blas || !strstr(em.source, "cblas"), "%s: a BLAS call without --blas", text);
            char ncl[64];
            snprintf(ncl, sizeof ncl, "_NCLASSES %d\n", cases[c].classes);
            ck_assert_msg(cases[c].classes ? strstr(em.header, ncl) && strstr(em.header, "_scores(")
                                           : !strstr(em.header, "_scores"),
                          "%s: %s NAME_scores expected", text, cases[c].classes ? "a" : "no");
            const char *texts[2] = {em.source, em.header}, *ext[2] = {"c", "h"};
            for (int k = 0; k < 2; k++) {
                snprintf(file, sizeof file, "%s.%s", name, ext[k]);
                char *path = path_join(dir, file);
                write_file(path, texts[k]);
                free(path);
            }
            sd_emitted_free(&em);
            sb_printf(&main_c, "#include \"%s.h\"\n", name);
            sb_printf(&files, " %s.c", name);
        }
        /* a classification: the program of its scores alone, evaluated */
        SdProgram *ps = NULL;
        SdResult *rs = NULL;
        long nscores = 0, score_rows = 1;
        if (cases[c].classes) {
            char stext[1024];
            snprintf(stext, sizeof stext, "%s %s", cases[c].decls, cases[c].scores);
            ps = compile_with(stext, NULL, 0);
            SdRequest fr = {.what = SD_FUNCTION};
            ck_assert_msg(sd_derive(ps, &fr, &rs) == SD_OK, "%s: %s", stext, sd_error_message(ps));
            ck_assert_int_eq(sd_point_size(ps), sd_point_size(p));
            SdShape ss = sd_output_shape(ps);
            nscores = sd_shape_numel(ss);
            score_rows = ss.rank == 2 || cases[c].classes == 1 ? ss.dim[0] : 1;
            ck_assert_int_eq(nscores, score_rows * cases[c].classes);
        }
        /* the calls: x[] the parameters, input[] the data at their largest
         * shapes, then the sizes; past them the expected numbers */
        for (int t = 0; t < SIZES + 2 * (sd_dim_count(p) > 0); t++) {
            long dims[8];
            random_dims(p, dims);
            for (int d = 0; d < sd_dim_count(p); d++)
                dims[d] = t == SIZES - 1 ? sd_dim(p, d).max : t == SIZES ? 0 : t == SIZES + 1 ? sd_dim(p, d).max + 1 : dims[d];
            int out_of_range = t >= SIZES;
            long valid[8];
            for (int d = 0; d < sd_dim_count(p); d++)
                valid[d] = out_of_range ? 1 : dims[d];
            double *x = random_point(p, text, valid);
            SdValues v, vs = {0};
            ck_assert_int_eq(sd_eval(r, x, &v), SD_OK);
            /* the rows of scores the batch has: all of them out of range
             * (every entry NaN) */
            long scored = 0;
            if (rs) {
                ck_assert_int_eq(sd_eval(rs, x, &vs), SD_OK);
                int dyn = sd_output_shape(ps).dyn[0];
                scored = out_of_range ? nscores : dyn ? dims[dyn - 1] * cases[c].classes : nscores;
            }
            for (int fl = 0; fl < 2; fl++) {
                sb_printf(&expect, "%d %.17g\n", fl, out_of_range ? NAN : v.value[0]);
                for (long k = 0; k < l.cols; k++)
                    sb_printf(&expect, "%d %.17g\n", fl, out_of_range ? NAN : v.deriv[k]);
                for (long k = 0; k < scored; k++)
                    sb_printf(&expect, "%d %.17g\n", fl, out_of_range ? NAN : vs.value[k]);
                const char *T = fl ? "float" : "double";
                sb_printf(&calls, "    {\n        static const %s x[] = {", T);
                for (int j = 0; j < l.nwrt; j++) {
                    SdVar var = sd_var(p, sd_result_wrt(r, j));
                    c_numbers(&calls, x + var.offset, sd_shape_numel(var.shape), fl);
                }
                sb_printf(&calls, "0};\n        static const %s input[] = {", T);
                for (int j = 0; j < sd_var_count(p); j++) {
                    SdVar var = sd_var(p, j);
                    if (var.role == SD_INPUT)
                        c_numbers(&calls, x + var.offset, sd_shape_numel(var.shape), fl);
                }
                sb_printf(&calls, "0};\n        static %s grad[%ld];\n", T, l.cols + 1);
                sb_printf(&calls, "        printf(\"%%.17g\\n\", (double)k%d%s_grad(x, input", c, fl ? "f" : "d");
                for (int d = 0; d < sd_dim_count(p); d++)
                    sb_printf(&calls, ", %ld", dims[d]);
                sb_printf(&calls, ", grad));\n        for (int i = 0; i < %ld; i++)\n"
                                  "            printf(\"%%.17g\\n\", (double)grad[i]);\n",
                          l.cols);
                if (rs) {
                    sb_printf(&calls, "        static %s scores[%ld];\n        k%d%s_scores(x, input", T, nscores, c,
                              fl ? "f" : "d");
                    for (int d = 0; d < sd_dim_count(p); d++)
                        sb_printf(&calls, ", %ld", dims[d]);
                    sb_printf(&calls, ", scores);\n        for (int i = 0; i < %ld; i++)\n"
                                      "            printf(\"%%.17g\\n\", (double)scores[i]);\n",
                              scored);
                }
                sb_puts(&calls, "    }\n");
            }
            sd_values_free(&v);
            if (rs)
                sd_values_free(&vs);
            free(x);
        }
        sd_result_free(rs);
        sd_program_free(ps);
        sd_result_free(r);
        sd_program_free(p);
    }
    sb_printf(&main_c, "int main(void)\n{\n%s    return 0;\n}\n", sb_str(&calls));
    char *path = path_join(dir, "main.c");
    write_file(path, sb_str(&main_c));
    free(path);
    ck_assert_int_ge(nprograms, 3);
    static const char *const ccs[] = {"gcc", "clang"};
    for (int cc = 0; cc < 2 - blas; cc++) {
        if (!have_compiler(ccs[cc]))
            continue;
        ck_assert_msg(sh("cd %s && %s -std=c99 -Wall -Wextra -Wpedantic -Werror -Wdouble-promotion -O2 -o run main.c%s %s -lm"
                         " && OPENBLAS_NUM_THREADS=1 ./run > out.txt",
                         dir, ccs[cc], sb_str(&files), blas ? "-lblas" : "") == 0,
                      "compiling or running the kernels with %s failed (in %s)", ccs[cc], dir);
        char *outp = path_join(dir, "out.txt"), *out = read_file(outp);
        ck_assert_ptr_nonnull(out);
        const char *o = out, *e = sb_str(&expect);
        for (int line = 1; *e; line++) {
            int fl;
            double want, got;
            int used = 0;
            ck_assert(sscanf(e, "%d %lf%n", &fl, &want, &used) == 2);
            e += used + 1;
            ck_assert_msg(sscanf(o, "%lf%n", &got, &used) == 1, "%s: output ends at line %d", ccs[cc], line);
            o += used + 1;
            double tol = fl ? 1e-3 : 1e-10;
            ck_assert_msg(isnan(want) ? isnan(got) : fabs(got - want) <= tol * fmax(1, fabs(want)),
                          "%s: line %d of the kernels' output (%s): %.17g, the evaluator %.17g", ccs[cc], line,
                          fl ? "float" : "double", got, want);
        }
        free(out);
        free(outp);
    }
    sb_free(&files);
    sb_free(&calls);
    sb_free(&main_c);
    sb_free(&expect);
    remove_tree(dir);
}

START_TEST(test_batch_generated_c) { check_generated_c(0); }
END_TEST

/* --blas cblas, where a CBLAS is installed (make bench installs OpenBLAS;
 * Debian's reference BLAS has one too). */
START_TEST(test_batch_generated_c_blas) {
    /* (in a directory of its own: other runs of the suites may probe at once) */
    if (sh("d=$(mktemp -d /tmp/symdiff-cblas-XXXXXX) || exit 1; "
           "printf '#include <cblas.h>\\nint main(void) { return cblas_ddot(1, 0, 1, 0, 1) != 0; }\\n' > "
           "$d/probe.c && cc -o $d/probe $d/probe.c -lblas >/dev/null 2>&1; s=$?; rm -rf \"$d\"; exit $s") != 0) {
        fprintf(stderr, "batch: no CBLAS (cblas.h and -lblas): --blas cblas not tested\n");
        return;
    }
    check_generated_c(1);
}
END_TEST

/* --blas on the command line: one value, and not with --unroll. */
START_TEST(test_batch_blas_option) {
    static const char *const prog = "param W[20,30]; input X[40,30]; sum(tanh(X @ W'))";
    Run r;
    run((const char *const[]){"--blas", "mkl", "--emit", "c", prog, NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--blas takes 'cblas' (or 'none', the default), not 'mkl'"));
    run_free(&r);
    run((const char *const[]){"--blas", "cblas", "--unroll", "--emit", "c", prog, NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--blas calls a BLAS for the loops of matrix products, which --unroll writes out"));
    run_free(&r);
    run((const char *const[]){"--blas", "cblas", "--emit", "c", prog, NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "#include <cblas.h>"));
    ck_assert_ptr_nonnull(strstr(r.out, "cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 40, 20, 30, 1, input + 0, 30, x + 0, 30, 0, work + 0, 20);"));
    ck_assert_ptr_null(strstr(r.out, "sd_gemm"));
    run_free(&r);
    run((const char *const[]){"--blas", "none", "--emit", "c", prog, NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_null(strstr(r.out, "cblas"));
    ck_assert_ptr_nonnull(strstr(r.out, "sd_gemm(&g);"));
    run_free(&r);
}
END_TEST

/* --emit-main train for minibatch programs: a table of programs (class
 * labels through cross_entropy, a softmax cross-entropy written out, a
 * sigmoid cross-entropy with 0/1 labels; a regression with a vector and a
 * scalar per row), each trained by its generated NAME_main.c, compiled
 * with gcc and clang (-Werror), on data whose row count is no multiple of
 * the batch (a short last batch, dim_n smaller): the loss falls below the
 * bound, and the regression finds its exact weights, which only a right
 * mapping of CSV columns to rows of the inputs gives.  A classification
 * prints its accuracy beside the loss: it rises from near chance to at
 * least min_acc, and the last epoch's is the final accuracy; a regression
 * prints none.  A batch past the maximum is a usage error (2), a wrong
 * column count an input error (1); programs the training program cannot
 * take are refused with the reason. */
enum { CLUSTERS, LINEAR, SPIRAL, RINGS };
static const struct {
    const char *program; /* dim n first */
    int data;            /* CLUSTERS, SPIRAL: the last column a class 0..2;
                            RINGS: 0/1; LINEAR: a target */
    int rows, epochs;
    double max_loss;
    const char *param;   /* a scalar parameter the training must find, or NULL */
    double value;        /* its value, to 1e-3 */
    double min_acc;      /* the final accuracy at least; 0: none printed */
} train_cases[] = {
    {"dim n <= 16; param W[3,2], b[3]; input X[n,2], y[n];\nmean(cross_entropy(X @ W' + b, y))", CLUSTERS, 37, 400,
     0.05, NULL, 0, 1},
    {"dim n <= 8; param w[3], c; input X[n,3], t[n];\nmean((X @ w + c - t)^2)", LINEAR, 37, 400, 1e-8, "\nc = ", 0.3, 0},
    {"dim n <= 8; param W1[16,2], b1[16], W2[3,16], b2[3]; input X[n,2], y[n];\n"
     "H = tanh(X @ W1' + b1); S = H @ W2' + b2; -mean(sum(log_softmax(S) * onehot(y, 3), 1))",
     SPIRAL, 150, 60, 0.1, NULL, 0, 0.9},
    {"dim n <= 8; param W[8,2], b[8], v[8], c; input X[n,2], t[n];\n"
     "z = tanh(X @ W' + b) @ v + c; -mean(t*log(sigmoid(z)) + (1 - t)*log(1 - sigmoid(z)))",
     RINGS, 150, 60, 0.1, NULL, 0, 0.9},
};

START_TEST(test_batch_train_program) {
    char dir[128];
    make_temp_dir(dir, sizeof dir, "batchtrain");
    char root[4096]; /* the source tree: tests run from it */
    ck_assert_ptr_nonnull(getcwd(root, sizeof root));
    for (size_t c = 0; c < sizeof train_cases / sizeof *train_cases; c++) {
        StrBuf csv;
        sb_init(&csv);
        unsigned long long st = 12345 + c;
        /* 37 rows: batches of 8, 8, 8, 8, 5; 150: 18 of 8 and 6 */
        for (int i = 0; i < train_cases[c].rows; i++) {
            double u[3];
            for (int k = 0; k < 3; k++) {
                st = st * 6364136223846793005ULL + 1442695040888963407ULL;
                u[k] = (double)(st >> 11) / 9007199254740992.0 * 2 - 1;
            }
            int y = i % 3;
            double r = (i / 3) / 50.0 + 0.05, t = 4 * y + 4 * r + 0.2 * u[2], a = 3.14159 * u[0];
            double rr = i % 2 ? 0.2 + 0.6 * fabs(u[1]) : 1.3 + 0.6 * fabs(u[1]);
            switch (train_cases[c].data) {
            case CLUSTERS: /* three well-separated clusters */
                sb_printf(&csv, "%.17g,%.17g,%d\n", 4 * cos(2.0944 * y) + 0.3 * u[0], 4 * sin(2.0944 * y) + 0.3 * u[1],
                          y);
                break;
            case LINEAR: /* t = X (1, -2, 0.5) + 0.3, exactly learnable */
                sb_printf(&csv, "%.17g,%.17g,%.17g,%.17g\n", u[0], u[1], u[2], u[0] - 2 * u[1] + 0.5 * u[2] + 0.3);
                break;
            case SPIRAL: /* three arms of a spiral: no straight line parts them */
                sb_printf(&csv, "%.17g,%.17g,%d\n", r * sin(t), r * cos(t), y);
                break;
            default: /* a disc (1) inside a ring (0) */
                sb_printf(&csv, "%.17g,%.17g,%d\n", rr * cos(a), rr * sin(a), i % 2);
            }
        }
        char file[64];
        snprintf(file, sizeof file, "d%zu.csv", c);
        char *path = path_join(dir, file);
        write_file(path, sb_str(&csv));
        free(path);
        snprintf(file, sizeof file, "p%zu.sd", c);
        path = path_join(dir, file);
        write_file(path, train_cases[c].program);
        free(path);
        sb_free(&csv);
        ck_assert_msg(sh("cd %s && '%s' --emit-main train --name t%zu -f p%zu.sd -o t%zu.c", dir, symdiff_path(), c, c,
                         c) == 0,
                      "%s: --emit-main train failed", train_cases[c].program);
        static const char *const ccs[] = {"gcc", "clang"};
        for (int k = 0; k < 2; k++) {
            if (!have_compiler(ccs[k]))
                continue;
            /* the runtime from its sources: the library in BUILD may carry
             * sanitizer flags (make asan) */
            ck_assert_msg(sh("cd %s && %s -std=c99 -O2 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror "
                             "-I'%s/runtime' -o tr%zu t%zu_main.c t%zu.c '%s'/runtime/*.c -lm",
                             dir, ccs[k], root, c, c, c, root) == 0,
                          "%s: the training program does not compile with %s (in %s)", train_cases[c].program, ccs[k],
                          dir);
            ck_assert_msg(sh("cd %s && ./tr%zu d%zu.csv %d 0.05 8 adam > out%zu.txt", dir, c, c, train_cases[c].epochs,
                             c) == 0,
                          "%s: training failed (in %s)", train_cases[c].program, dir);
            snprintf(file, sizeof file, "out%zu.txt", c);
            path = path_join(dir, file);
            char *out = read_file(path);
            free(path);
            ck_assert_ptr_nonnull(out);
            const char *fl = strstr(out, "final loss = ");
            ck_assert_msg(fl, "no final loss in\n%s", out);
            double loss = strtod(fl + 13, NULL);
            ck_assert_msg(loss <= train_cases[c].max_loss, "%s: final loss %g, expected at most %g",
                          train_cases[c].program, loss, train_cases[c].max_loss);
            const char *pv = train_cases[c].param ? strstr(out, train_cases[c].param) : NULL;
            ck_assert_msg(!train_cases[c].param || pv, "%s: no parameter line in\n%s", train_cases[c].program, out);
            ck_assert_msg(!pv || fabs(strtod(pv + strlen(train_cases[c].param), NULL) - train_cases[c].value) <= 1e-3,
                          "%s: trained to\n%s", train_cases[c].program, out);
            /* the accuracy of every epoch printed, in percent */
            double acc[64];
            int nacc = 0;
            for (const char *at = strstr(out, "  acc "); at && nacc < 64; at = strstr(at + 1, "  acc "))
                acc[nacc++] = strtod(at + 6, NULL);
            const char *fa = strstr(out, "final accuracy = ");
            if (train_cases[c].min_acc > 0) {
                ck_assert_msg(nacc == 20 && fa, "%s: not an accuracy for each of 20 epochs printed\n%s",
                              train_cases[c].program, out);
                double final_acc = strtod(fa + 17, NULL);
                ck_assert_msg(final_acc >= train_cases[c].min_acc && fabs(100 * final_acc - acc[nacc - 1]) < 0.01,
                              "%s: final accuracy %g\n%s", train_cases[c].program, final_acc, out);
                ck_assert_msg(train_cases[c].data == CLUSTERS || acc[0] < 80,
                              "%s: the accuracy does not rise from near chance\n%s", train_cases[c].program, out);
                for (int e = 0; e < nacc; e++)
                    ck_assert_msg(acc[e] >= 0 && acc[e] <= 100, "%s: an accuracy of %g%%", train_cases[c].program,
                                  acc[e]);
            } else
                ck_assert_msg(nacc == 0 && !fa, "%s: an accuracy without a classification\n%s",
                              train_cases[c].program, out);
            free(out);
            /* the batch bounded by the declared maximum; the columns */
            ck_assert_int_eq(sh("cd %s && ./tr%zu d%zu.csv 1 0.05 17 2>/dev/null >/dev/null", dir, c, c), 2);
            ck_assert_int_eq(sh("cd %s && ./tr%zu p%zu.sd 2>/dev/null >/dev/null", dir, c, c), 1);
        }
    }
    remove_tree(dir);
    /* programs the training program cannot take */
    static const struct {
        const char *args[3], *program, *why;
    } refused[] = {
        /* --type float, for every kind of program (minibatch, fixed shape, scalar) */
        {{"--type", "float", NULL}, "dim n <= 8; param w[2]; input X[n,2]; mean(X @ w)", "leave out --type float"},
        {{"--type", "float", NULL}, "param w[2]; input X[4,2]; mean(X @ w)", "leave out --type float"},
        {{"--type", "float", NULL}, "param w; input x, y; (w*x - y)^2", "leave out --type float"},
        {{NULL}, "dim n <= 8; param w[2]; input X[2,n]; sum(w @ X)", "the batch as its first dimension"},
        {{NULL}, "dim n <= 8; param w[2]; input X[n,2]; X @ w", "differentiate a scalar"},
        {{NULL}, "dim n <= 8; dim m <= 4; param w[2]; input X[n,2], Y[m,2]; mean(X @ w) + mean(Y @ w)",
         "one run-time dimension"},
    };
    char dir2[128];
    make_temp_dir(dir2, sizeof dir2, "batchtrain");
    char *o = path_join(dir2, "k.c");
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        const char *args[12];
        int a = 0;
        for (int k = 0; refused[i].args[k]; k++)
            args[a++] = refused[i].args[k];
        args[a++] = "--emit-main";
        args[a++] = "train";
        args[a++] = "-o";
        args[a++] = o;
        args[a++] = refused[i].program;
        args[a] = NULL;
        Run r;
        run(args, NULL, &r);
        ck_assert_msg(r.status == 2 && strstr(r.err, refused[i].why), "%s: status %d, %s", refused[i].program, r.status,
                      r.err);
        run_free(&r);
        ck_assert_msg(access(o, F_OK) != 0, "%s: refused, yet %s was written", refused[i].program, o);
    }
    free(o);
    remove_tree(dir2);
}
END_TEST

/* --emit-test on programs with class labels (onehot, cross_entropy): the
 * test program draws each label from its classes, not from [LO, HI), so
 * the kernels it checks are defined there; for a run-time dimension fixed
 * with -D and for fixed shapes, double and float, gcc and clang. */
START_TEST(test_batch_emit_test_labels) {
    static const struct {
        const char *define, *program;
    } progs[] = {
        {"n=5", "dim n <= 16; param W[3,2], b[3]; input X[n,2], y[n];\nmean(cross_entropy(X @ W' + b, y))"},
        {NULL, "param W[4,3]; input X[6,3], y[6];\nsum(log_softmax(X @ W') * onehot(y, 4)) + sum(W*W)"},
    };
    char dir[128];
    make_temp_dir(dir, sizeof dir, "batchtest");
    static const char *const ccs[] = {"gcc", "clang"};
    for (size_t i = 0; i < sizeof progs / sizeof *progs; i++)
        for (int fl = 0; fl < 2; fl++) {
            char file[32];
            snprintf(file, sizeof file, "p%zu.sd", i);
            char *path = path_join(dir, file);
            write_file(path, progs[i].program);
            free(path);
            ck_assert_msg(sh("cd %s && '%s' %s%s --type %s --emit-test --name e%zu%d -f p%zu.sd -o e%zu%d.c", dir,
                             symdiff_path(), progs[i].define ? "-D " : "", progs[i].define ? progs[i].define : "",
                             fl ? "float" : "double", i, fl, i, i, fl) == 0,
                          "%s: --emit-test failed", progs[i].program);
            for (int k = 0; k < 2; k++) {
                if (!have_compiler(ccs[k]))
                    continue;
                ck_assert_msg(sh("cd %s && %s -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -o t e%zu%d_test.c e%zu%d.c -lm "
                                 "&& ./t > out.txt",
                                 dir, ccs[k], i, fl, i, fl) == 0,
                              "%s (%s, %s): the generated test fails (in %s)", progs[i].program, fl ? "float" : "double",
                              ccs[k], dir);
            }
        }
    remove_tree(dir);
}
END_TEST

/* --emit-test on minibatch programs without -D: the test picks its sizes
 * (1, half the maximum plus one, the maximum; for every dimension) and
 * checks the gradient by finite differences at each, for a table of
 * programs (softmax and sigmoid cross-entropy, a regression, a vector
 * value, two run-time dimensions), double and float, compiled -Werror with
 * gcc and clang: it names the sizes and exits 0.  Linked with the kernel
 * of a slightly different program of the same layout, it exits 1. */
START_TEST(test_batch_emit_test_sizes) {
    static const struct {
        const char *program, *other, *sizes;
    } progs[] = {
        {"dim n <= 16; param W[3,2], b[3]; input X[n,2], y[n]; mean(cross_entropy(X @ W' + b, y))",
         "dim n <= 16; param W[3,2], b[3]; input X[n,2], y[n]; mean(cross_entropy(X @ W' + 1.5*b, y))",
         "at n = 1, n = 9, n = 16,"},
        {"dim n <= 7; param W[4,3], b[4], v[4], c; input X[n,3], t[n];\n"
         "z = tanh(X @ W' + b) @ v + c; -mean(t*log(sigmoid(z)) + (1 - t)*log(1 - sigmoid(z)))",
         "dim n <= 7; param W[4,3], b[4], v[4], c; input X[n,3], t[n];\n"
         "z = tanh(X @ W' + b) @ v + c; -mean(t*log(sigmoid(z)) + (1 - t)*log(1 - sigmoid(1.5*z)))",
         "at n = 1, n = 4, n = 7,"},
        {"dim n <= 40; param W[2,30]; input X[n,30], T[n,2]; sum((X @ W' - T)^2)/(2*n)",
         "dim n <= 40; param W[2,30]; input X[n,30], T[n,2]; sum((X @ W' - T)^2)/(2*n) + 0.5*sum(W)",
         "at n = 1, n = 21, n = 40,"},
        {"dim n <= 8; param W[3,4]; input X[n,4]; sum(tanh(X @ W'), 0)",
         "dim n <= 8; param W[3,4]; input X[n,4]; sum(tanh(1.5 * X @ W'), 0)", "at n = 1, n = 5, n = 8,"},
        {"dim n <= 8, m <= 2; param W[3,4]; input X[n,4], Z[m,3]; sum(tanh(X @ W')) + sum(Z @ W)",
         "dim n <= 8, m <= 2; param W[3,4]; input X[n,4], Z[m,3]; sum(tanh(X @ W')) + sum(Z @ W)^2",
         "at n = 1 m = 1, n = 5 m = 2, n = 8 m = 2,"},
    };
    char dir[128];
    make_temp_dir(dir, sizeof dir, "batchsizes");
    static const char *const ccs[] = {"gcc", "clang"};
    for (size_t i = 0; i < sizeof progs / sizeof *progs; i++)
        for (int fl = 0; fl < 2; fl++) {
            const char *type = fl ? "float" : "double";
            const char *texts[2] = {progs[i].program, progs[i].other};
            for (int k = 0; k < 2; k++) {
                char file[32];
                snprintf(file, sizeof file, "p%zu%d.sd", i, k);
                char *path = path_join(dir, file);
                write_file(path, texts[k]);
                free(path);
            }
            /* the test of the program, and the kernel of the other in a
             * directory of its own, with the same names */
            ck_assert_msg(sh("cd %s && '%s' --type %s --emit-test --name e -f p%zu0.sd -o e.c && mkdir -p o && "
                             "'%s' --type %s --name e -f p%zu1.sd -o o/e.c",
                             dir, symdiff_path(), type, i, symdiff_path(), type, i) == 0,
                          "%s: --emit-test failed", progs[i].program);
            for (int k = 0; k < 2; k++) {
                if (!have_compiler(ccs[k]))
                    continue;
                ck_assert_msg(sh("cd %s && %s -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -o t e_test.c e.c -lm "
                                 "&& ./t > out.txt",
                                 dir, ccs[k]) == 0,
                              "%s (%s, %s): the generated test fails (in %s)", progs[i].program, type, ccs[k], dir);
                char *path = path_join(dir, "out.txt"), *out = read_file(path);
                free(path);
                ck_assert_ptr_nonnull(out);
                ck_assert_msg(strstr(out, progs[i].sizes) && strstr(out, ": ok\n"), "%s (%s): %s", progs[i].program,
                              type, out);
                free(out);
            }
            if (have_compiler("gcc"))
                ck_assert_msg(sh("cd %s && gcc -std=c99 -O2 -Io -o t e_test.c o/e.c -lm && ./t > out.txt", dir) == 1,
                              "%s (%s): the test passes another program's kernel (in %s)", progs[i].program, type,
                              dir);
        }
    remove_tree(dir);
}
END_TEST

/* Which losses are a classification (NAME_scores and the training
 * program's accuracy): the forms a softmax or sigmoid cross-entropy is
 * written in, and losses that only look like one.  classes: the number of
 * classes NAME_scores gives (1: the logits of two classes), 0 for none. */
START_TEST(test_batch_scores_found) {
    static const struct {
        const char *program;
        int classes;
    } forms[] = {
        {"dim n <= 8; param W[3,4]; input X[n,4], y[n]; mean(cross_entropy(X @ W', y))", 3},
        {"dim n <= 8; param W[5,4]; input X[n,4], y[n]; sum(cross_entropy(X @ W', y))", 5},
        {"dim n <= 8; param W[3,4]; input X[n,4], y[n]; -mean(sum(log_softmax(X @ W') * onehot(y, 3), 1))", 3},
        {"dim n <= 8; param W[3,4]; input X[n,4], y[n]; -mean(sum(onehot(y, 3) * log(softmax(X @ W')), 1))", 3},
        {"dim n <= 8; param W[3,4]; input X[n,4], y[n]; S = X @ W'; mean(logsumexp(S) - sum(S * onehot(y, 3), 1))", 3},
        {"dim n <= 8; param W[3,4]; input X[n,4], y[n]; mean(sum((softmax(X @ W') - onehot(y, 3))^2, 1))", 3},
        {"param W[3,4]; input X[5,4], y[5]; sum(cross_entropy(X @ W', y))", 3},
        {"param W[3,4]; input x[4], y; cross_entropy(W @ x, y)", 3},
        /* 0/1 labels: log(sigmoid(z)) is -softplus(-z) */
        {"dim n <= 8; param w[4]; input X[n,4], t[n]; z = X @ w; -mean(t*log(sigmoid(z)) + (1-t)*log(1-sigmoid(z)))", 1},
        {"dim n <= 8; param w[4]; input X[n,4], t[n]; z = X @ w; mean(t*softplus(-z) + (1-t)*softplus(z))", 1},
        {"dim n <= 8; param w[4]; input X[n,4], t[n]; z = X @ w; mean(softplus(z) - t*z)", 1},
        {"param w[4]; input X[6,4], t[6]; z = X @ w; sum(softplus(z) - t*z)", 1},
        /* no classification */
        {"dim n <= 8; param w[4]; input X[n,4], t[n]; mean((X @ w - t)^2)", 0},
        {"dim n <= 8; param w[4]; input X[n,4], t[n]; mean((sigmoid(X @ w) - t)^2)", 0},
        {"dim n <= 8; param w[4]; input X[n,4], t[n]; mean((softplus(X @ w) - t)^2)", 0},
        {"dim n <= 8; param W[3,4]; input X[n,4], Y[n,3]; -mean(sum(Y * log_softmax(X @ W'), 1))", 0},
        {"dim n <= 8; param W[3,4]; input X[n,4]; sum(logsumexp(X @ W', 0))", 0},
        {"dim n <= 8; param W[3,4]; input X[n,4], y[n]; sum(logsumexp(X @ W', 0)) + sum(onehot(y, 3))", 0},
        /* two classifications of the labels: which is meant is unknown */
        {"dim n <= 8; param W[3,4], V[3,4]; input X[n,4], y[n]; mean(cross_entropy(X @ W', y) + cross_entropy(X @ V', y))",
         0},
        /* labels of the wrong shape for the scores */
        {"dim n <= 8; param w[4], u[3]; input X[n,4], t[3]; mean(softplus(X @ w)) + sum(t*u)", 0},
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        SdProgram *p = compile_with(forms[i].program, NULL, 0);
        SdResult *r = gradient_of(p);
        for (int fl = 0; fl < 2; fl++) {
            SdEmitted em;
            SdEmitOptions eo = {.name = "k", .type = fl ? SD_FLOAT : SD_DOUBLE};
            ck_assert_msg(sd_emit_c(r, &eo, &em) == SD_OK, "%s: %s", forms[i].program, sd_error_message(p));
            char want[64];
            snprintf(want, sizeof want, "#define K_NCLASSES %d\n", forms[i].classes);
            int scores = strstr(em.header, "k_scores(") != NULL;
            ck_assert_msg(forms[i].classes ? scores && strstr(em.header, want) : !scores && !strstr(em.header, "NCLASSES"),
                          "%s: expected %d classes, the header says\n%s", forms[i].program, forms[i].classes, em.header);
            sd_emitted_free(&em);
        }
        sd_result_free(r);
        sd_program_free(p);
    }
}
END_TEST

Suite *batch_suite(void); /* called by tests/runner.c */

Suite *batch_suite(void) {
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 120);
    int n = (int)(sizeof cases / sizeof *cases);
    tcase_add_loop_test(tc, test_batch_against_differences, 0, n);
    tcase_add_loop_test(tc, test_batch_is_sum_of_samples, 0, n);
    tcase_add_loop_test(tc, test_batch_matches_fixed_shapes, 0, n);
    tcase_add_loop_test(tc, test_batch_printed_forms_read_back, 0, n);
    tcase_add_test(tc, test_batch_printed_gradients);
    suite_add_tcase(s, tc);
    TCase *tg = tcase_create("generated C");
    tcase_set_timeout(tg, 300);
    tcase_add_test(tg, test_batch_generated_c);
    tcase_add_test(tg, test_batch_generated_c_blas);
    tcase_add_test(tg, test_batch_train_program);
    tcase_add_test(tg, test_batch_emit_test_labels);
    tcase_add_test(tg, test_batch_emit_test_sizes);
    suite_add_tcase(s, tg);
    TCase *te = tcase_create("errors");
    tcase_add_test(te, test_batch_lowering_errors);
    tcase_add_test(te, test_batch_points);
    tcase_add_test(te, test_batch_dynamic_values);
    tcase_add_test(te, test_batch_blas_option);
    tcase_add_test(te, test_batch_scores_found);
    suite_add_tcase(s, te);
    return s;
}
