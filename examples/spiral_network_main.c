/* SPDX-License-Identifier: MIT */
/*
 * spiral_network_main.c — a 2-16-3 tanh network trained with Adam on
 * minibatches of the two-spirals set, using only the gradient kernel
 * symdiff generates from spiral_network.sd and the runtime.  The network
 * has three outputs; the data use classes 0 and 1, so it also learns never
 * to predict the third.
 *
 * spiral_net_grad(theta, sample, grad) is the gradient of one sample's
 * softmax cross-entropy with respect to all 99 parameters (W1, b1, W2, b2
 * in one flat block, offsets in the header); spiral_scores(theta, x, s) the
 * class scores.  This driver averages the per-sample gradients of a
 * minibatch and lets the runtime do the rest.
 *
 * Goal: at least 95% of the training points classified correctly.  Exit
 * status 0 when the goal is met, 1 otherwise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sdrt.h"
#include "spiral_network.h" /* generated: spiral_net, spiral_net_grad */
#include "spiral_scores.h"  /* generated: spiral_scores */

enum {
    N = 300,    /* training points, 150 per arm */
    ARMS = 2,   /* the two spirals */
    K = 3,      /* network outputs (classes) */
    BATCH = 16, /* points per minibatch */
    EPOCHS = 1500,
    NP = SPIRAL_NET_NVARS,
    NI = SPIRAL_NET_NINPUTS /* x (2) then one-hot y (3) */
};

#define GOAL 0.95

typedef struct Data {
    double sample[N][NI];
    int label[N];
    size_t all[N];
} Data;

/* Mean loss and gradient over the samples idx[0..count). */
static double batch_loss(const double *theta, double *grad, const size_t *idx, size_t count, void *ctx) {
    const Data *d = ctx;
    double g[NP], sum = 0.0;
    for (int j = 0; j < NP; j++)
        grad[j] = 0.0;
    for (size_t k = 0; k < count; k++) {
        sum += spiral_net_grad(theta, d->sample[idx[k]], g);
        sdrt_axpy(1.0 / (double)count, g, grad, NP);
    }
    return sum / (double)count;
}

static double all_points_loss(const double *theta, double *grad, void *ctx) {
    const Data *d = ctx;
    return batch_loss(theta, grad, d->all, N, ctx);
}

static double accuracy(const double *theta, const Data *d) {
    static double scores[N][K];
    for (int i = 0; i < N; i++)
        spiral_scores(theta, d->sample[i], scores[i]);
    return sdrt_accuracy_argmax(&scores[0][0], d->label, N, K);
}

int main(void) {
    static Data data;
    static double X[N][2], onehot[N][K];
    SdrtRng rng;
    sdrt_rng_seed(&rng, 7);
    if (sdrt_data_spirals(&rng, &X[0][0], data.label, N, ARMS, 0.0) != SDRT_OK ||
        sdrt_one_hot(data.label, N, K, &onehot[0][0]) != SDRT_OK)
        return EXIT_FAILURE;
    for (int i = 0; i < N; i++) {
        data.sample[i][SPIRAL_NET_OFFSET_x] = X[i][0];
        data.sample[i][SPIRAL_NET_OFFSET_x + 1] = X[i][1];
        for (int c = 0; c < K; c++)
            data.sample[i][SPIRAL_NET_OFFSET_y + c] = onehot[i][c];
        data.all[i] = (size_t)i;
    }
    printf("2-16-3 tanh network: %d points on %d spiral arms, %d parameters\n", N, ARMS, NP);

    /* small random weights, zero biases */
    static double theta[NP], grad[NP], m[NP], v[NP];
    for (int j = 0; j < NP; j++)
        theta[j] = 0.0;
    for (int j = 0; j < 16 * 2; j++)
        theta[SPIRAL_NET_OFFSET_W1 + j] = sdrt_rng_normal(&rng);
    for (int j = 0; j < 3 * 16; j++)
        theta[SPIRAL_NET_OFFSET_W2 + j] = 0.5 * sdrt_rng_normal(&rng);

    static double scratch[SDRT_GRADCHECK_SCRATCH(NP)];
    double gc_err = sdrt_gradcheck(NULL, all_points_loss, &data, theta, NP, 0, 0, scratch, NULL);
    printf("gradient check of spiral_net_grad: max error %.1e\n", gc_err);
    if (!(gc_err < 1e-6))
        return EXIT_FAILURE;

    size_t idx[N];
    SdrtAdam adam;
    SdrtBatcher batches;
    SdrtProgress progress;
    sdrt_adam_init(&adam, m, v, NP, 0.01, 0.9, 0.999, 1e-8);
    sdrt_batcher_init(&batches, idx, N, BATCH);
    sdrt_progress_init(&progress, stdout, EPOCHS, 150);
    printf("training: Adam (lr 0.01), %d epochs of %zu minibatches of %d\n", EPOCHS,
           sdrt_batcher_nbatches(&batches), BATCH);
    for (long epoch = 1; epoch <= EPOCHS; epoch++) {
        double loss;
        if (sdrt_minibatch_epoch(&batches, &rng, batch_loss, &data, sdrt_optim_adam(&adam), theta, grad, NP,
                                 &loss) != SDRT_OK)
            return EXIT_FAILURE;
        sdrt_progress_update(&progress, epoch, loss, epoch % 150 == 0 ? accuracy(theta, &data) : -1);
    }
    sdrt_progress_finish(&progress);
    double acc = accuracy(theta, &data);
    printf("final: mean loss %.4f, training accuracy %.2f%% (goal >= %.0f%%): %s\n",
           all_points_loss(theta, grad, &data), 100 * acc, 100 * GOAL, acc >= GOAL ? "ok" : "MISSED");
    return acc >= GOAL ? EXIT_SUCCESS : EXIT_FAILURE;
}
