/* SPDX-License-Identifier: MIT */
/*
 * linear_regression_main.c — least squares by gradient descent on a
 * generated gradient kernel, checked against the normal equations.
 *
 * The model, linear_regression.sd, is the squared error of one sample:
 *
 *     loss_i(w) = (w0 + w1 x1_i + w2 x2_i - y_i)^2
 *
 * symdiff turns it into linreg_loss_grad(w, sample, grad) (out/
 * linear_regression.h), where sample = {x1, x2, y} is the kernel's input[].
 * The training loss is the mean over the data set,
 *
 *     L(w) = (1/N) sum_i loss_i(w),   grad L = (1/N) sum_i grad loss_i,
 *
 * so this program only adds the sum over samples.  It is convex, and its
 * minimum is the least-squares solution, which the normal equations
 * (X^T X) w = X^T y give directly: gradient descent must land on it.
 *
 * Goal: every coefficient within 1e-6 of sdrt_normal_eq.  Exit status 0 when
 * the goal is met, 1 otherwise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "linear_regression.h" /* generated: LINREG_LOSS_NVARS, linreg_loss_grad */
#include "sdrt.h"

enum { N = 200, NW = LINREG_LOSS_NVARS };

#define NOISE 0.1   /* standard deviation of the noise added to y */
#define GOAL 1e-6   /* largest allowed |descent - normal equations| */

/* The data set: one row {x1, x2, y} per sample, the kernel's input[] layout. */
typedef struct Data {
    double sample[N][LINREG_LOSS_NINPUTS];
} Data;

/*
 * The full-batch loss: the mean of the per-sample losses, with the mean of
 * the per-sample gradients in grad.  The signature is the runtime's
 * SdrtGradFn, so sdrt_minimize and sdrt_gradcheck can call it.
 */
static double mean_loss(const double *w, double *grad, void *ctx) {
    const Data *d = ctx;
    double g[NW], sum = 0.0;
    for (int j = 0; j < NW; j++)
        grad[j] = 0.0;
    for (int i = 0; i < N; i++) {
        sum += linreg_loss_grad(w, d->sample[i], g);
        sdrt_axpy(1.0, g, grad, NW);
    }
    for (int j = 0; j < NW; j++)
        grad[j] /= N;
    return sum / N;
}

int main(void) {
    static Data data;
    const double w_true[NW] = {0.5, 2.0, -3.0};

    /* 1. Data: y = 0.5 + 2 x1 - 3 x2 + noise, x uniform in [-1, 1)^2.
     *    sdrt_data_linear has no intercept, so it draws y = 2 x1 - 3 x2 +
     *    noise and we add w0 ourselves. */
    double x[N][2], y[N];
    SdrtRng rng;
    sdrt_rng_seed(&rng, 1);
    sdrt_data_linear(&rng, &x[0][0], y, N, 2, &w_true[1], NOISE);
    for (int i = 0; i < N; i++) {
        data.sample[i][0] = x[i][0];
        data.sample[i][1] = x[i][1];
        data.sample[i][2] = y[i] + w_true[0];
    }
    printf("linear regression: %d samples, y = %g %+g x1 %+g x2 + noise "
           "(sd %g)\n", N, w_true[0], w_true[1], w_true[2], NOISE);

    /* 2. Is the generated gradient right?  Finite differences of the mean
     *    loss at an arbitrary point. */
    double w[NW] = {0.1, -0.2, 0.3}, grad[NW];
    double scratch[SDRT_GRADCHECK_SCRATCH(NW)];
    double gc_err = sdrt_gradcheck(NULL, mean_loss, &data, w, NW, 0, 0,
                                   scratch, NULL);
    printf("gradient check of linreg_loss_grad: max error %.1e\n", gc_err);

    /* 3. Gradient descent from w = 0 until max|grad| <= 1e-10.  The
     *    Hessian of L is (2/N) X^T X, with eigenvalues near 2 and 2/3 for
     *    this data, so a step of 0.5 is safe (< 2/2) and fast. */
    for (int j = 0; j < NW; j++)
        w[j] = 0.0;
    SdrtGD gd;
    SdrtMinimize res;
    sdrt_gd_init(&gd, 0.5);
    int st = sdrt_minimize(mean_loss, &data, sdrt_optim_gd(&gd), w, grad, NW,
                           10000, 1e-10, &res);
    printf("gradient descent: %s after %ld steps, loss %.6g, max|grad| %.1e\n",
           st == SDRT_OK ? "converged" : sdrt_strerror(st), res.steps,
           res.loss, res.gmax);

    /* 4. The same fit from the normal equations, on X = [1, x1, x2]. */
    double X[N][NW], yy[N], w_ne[NW], ne_scratch[SDRT_NORMAL_EQ_SCRATCH(NW)];
    for (int i = 0; i < N; i++) {
        X[i][0] = 1.0;
        X[i][1] = data.sample[i][0];
        X[i][2] = data.sample[i][1];
        yy[i] = data.sample[i][2];
    }
    int ne = sdrt_normal_eq(&X[0][0], yy, N, NW, 0.0, w_ne, ne_scratch);
    if (ne != SDRT_OK) {
        printf("normal equations: %s\n", sdrt_strerror(ne));
        return EXIT_FAILURE;
    }

    /* 5. Report. */
    double diff = 0.0;
    printf("                    w0           w1           w2\n");
    printf("  true        %12.8f %12.8f %12.8f\n", w_true[0], w_true[1], w_true[2]);
    printf("  descent     %12.8f %12.8f %12.8f\n", w[0], w[1], w[2]);
    printf("  normal eq.  %12.8f %12.8f %12.8f\n", w_ne[0], w_ne[1], w_ne[2]);
    for (int j = 0; j < NW; j++)
        diff = fmax(diff, fabs(w[j] - w_ne[j]));
    int ok = st == SDRT_OK && gc_err < 1e-6 && diff <= GOAL;
    printf("max |descent - normal eq.| = %.1e (goal <= %.0e): %s\n", diff,
           GOAL, ok ? "ok" : "MISSED");
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
