/* SPDX-License-Identifier: MIT */
/*
 * train.c — logistic regression on two Gaussian blobs, trained by Newton's
 * method: w <- w - H^-1 g, with the gradient g and Hessian H summed from
 * loss_grad() and loss_hess(), which symdiff generates from loss.sd, and
 * the system solved by the runtime's Cholesky factorisation (sdrt.h).  A
 * single-precision copy of the kernel, loss_f(), is checked against the
 * double one at the solution, as a firmware build would use it.
 *
 * Exit status 0 when Newton's method converges (|g| < 1e-9), the model
 * classifies at least 95% of the samples correctly and the float kernel
 * agrees with the double one to 1e-5.
 */
#include <math.h>
#include <stdio.h>

#include <sdrt.h>

#include "loss.h"
#include "loss_f.h"

enum { N = 400, NV = LOSS_NVARS };

int main(void) {
    /* two blobs of standard deviation 0.4 around (1, 0) and (-1, 0) */
    SdrtRng rng;
    sdrt_rng_seed(&rng, 42);
    double X[N][2], samples[N][LOSS_NINPUTS];
    int label[N];
    sdrt_data_blobs(&rng, &X[0][0], label, N, 2, NULL, 0.4);
    for (int i = 0; i < N; i++) {
        samples[i][0] = X[i][0];
        samples[i][1] = X[i][1];
        samples[i][2] = label[i];
    }

    double w[NV] = {0}, mean_loss = 0.0, gnorm = INFINITY;
    int iter;
    for (iter = 0; iter < 25 && gnorm >= 1e-9; iter++) {
        double g[NV] = {0}, H[NV * NV] = {0}, gi[NV], Hi[NV * NV];
        mean_loss = 0.0;
        for (int i = 0; i < N; i++) {
            mean_loss += loss_grad(w, samples[i], gi) / N;
            loss_hess(w, samples[i], Hi);
            sdrt_axpy(1.0 / N, gi, g, NV);
            sdrt_axpy(1.0 / N, Hi, H, NV * NV);
        }
        gnorm = sdrt_nrm2(g, NV);
        printf("newton %2d: loss %.10f  |g| %.3g\n", iter, mean_loss, gnorm);
        if (gnorm < 1e-9)
            break;
        int st = sdrt_cholesky_solve(H, g, NV); /* g <- H^-1 g */
        if (st != SDRT_OK) {
            fprintf(stderr, "train: %s\n", sdrt_strerror(st));
            return 1;
        }
        sdrt_axpy(-1.0, g, w, NV);
    }

    int right = 0;
    double worst = 0.0;
    float wf[NV];
    for (int j = 0; j < NV; j++)
        wf[j] = (float)w[j];
    for (int i = 0; i < N; i++) {
        double z = w[0] + w[1] * X[i][0] + w[2] * X[i][1];
        right += (z > 0) == (label[i] == 1);
        float sf[LOSS_F_NINPUTS];
        for (int k = 0; k < LOSS_F_NINPUTS; k++)
            sf[k] = (float)samples[i][k];
        double d = fabs((double)loss_f(wf, sf) - loss(w, samples[i]));
        worst = d > worst ? d : worst;
    }
    double accuracy = (double)right / N;
    printf("w = (%.6f, %.6f, %.6f), accuracy %.1f%%, float kernel within %.2g\n", w[0], w[1], w[2],
           100 * accuracy, worst);
    return gnorm < 1e-9 && accuracy >= 0.95 && worst < 1e-5 ? 0 : 1;
}
