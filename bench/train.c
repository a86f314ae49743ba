/* SPDX-License-Identifier: MIT */
/*
 * train.c — training throughput with generated gradients against the same
 * training with hand-written ones: the scalar models of bench/corpus/
 * (bench/train_tensor.c measures the tensor form of the network).
 *
 *   train ROUNDS BLOCKS
 *
 * Two models, both per-sample losses:
 *   logreg  logistic regression, BCE + L2, 4 features (ml_logreg_bce.sd,
 *           kernel logreg_grad), on 4096 samples of a noisy linear rule;
 *   mlp     a 2-16-3 tanh network with softmax cross-entropy and L2 1e-4
 *           (ml_mlp_2_16_3.sd, written out in scalars; kernel mlp_grad),
 *           on the three spirals of train_spirals.
 * The hand-written gradients (hand_logreg here, train_backprop_net in
 * training.c) are what one writes by hand: a forward pass, then
 * backpropagation through it.  What is measured, and how: training.h.
 * Prints one JSON object per model.  Exit status 1 when the two gradients
 * of a model disagree before timing.
 */
#include <math.h>
#include <stdio.h>

#include "logreg.h"
#include "mlp.h"
#include "sdrt.h"
#include "training.h"

/* The scalar network's parameters and inputs are laid out like the
 * tensor one's: W1 row by row, b1, W2 row by row, b2; x0, x1, y0 .. y2. */
typedef char mlp_layout_matches[MLP_NVARS == NET_NPARAMS && MLP_NINPUTS == NET_NINPUTS ? 1 : -1];

static double gen_logreg(const double *theta, const double *row, double *grad) {
    return logreg_grad(theta, row, grad);
}

static double gen_mlp(const double *theta, const double *row, double *grad) {
    return mlp_grad(theta, row, grad);
}

/* row = x1..x4, y: loss = softplus(z) - y z + 0.001 sum_{j>=1} w_j^2. */
static double hand_logreg(const double *w, const double *row, double *grad) {
    double z = w[0], l2 = 0;
    for (int j = 1; j <= 4; j++) {
        z += w[j] * row[j - 1];
        l2 += w[j] * w[j];
    }
    double y = row[4];
    double softplus = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
    double p = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
    double dz = p - y;
    grad[0] = dz;
    for (int j = 1; j <= 4; j++)
        grad[j] = dz * row[j - 1] + 0.002 * w[j];
    return softplus - y * z + 0.001 * l2;
}

/* ml_mlp_2_16_3.sd's weight decay is 1e-4. */
static double hand_mlp(const double *theta, const double *row, double *grad) {
    return train_backprop_net(theta, row, grad, 1e-4);
}

int main(int argc, char **argv) {
    int rounds, blocks;
    if (train_args(argc, argv, 0, &rounds, &blocks))
        return 2;
    int status = 0;

    static TrainModel logreg = {"logreg", LOGREG_NVARS, LOGREG_NINPUTS, 4096, NULL, {0},
                                gen_logreg, hand_logreg};
    static double lr_data[4096 * LOGREG_NINPUTS];
    SdrtRng rng;
    sdrt_rng_seed(&rng, 11);
    const double rule[5] = {0.3, 1.0, -2.0, 0.5, 1.5};
    for (size_t i = 0; i < logreg.n; i++) {
        double *row = lr_data + i * LOGREG_NINPUTS, z = rule[0];
        for (int j = 0; j < 4; j++) {
            row[j] = sdrt_rng_range(&rng, -1, 1);
            z += rule[j + 1] * row[j];
        }
        row[4] = z + 0.3 * sdrt_rng_normal(&rng) > 0 ? 1 : 0;
    }
    logreg.data = lr_data;
    status |= train_measure(&logreg, rounds, blocks);

    static TrainModel mlp = {"mlp", 0, 0, 0, NULL, {0}, gen_mlp, hand_mlp};
    if (train_spirals(&mlp)) {
        fprintf(stderr, "train: no spiral data\n");
        return 1;
    }
    status |= train_measure(&mlp, rounds, blocks);
    return status;
}
