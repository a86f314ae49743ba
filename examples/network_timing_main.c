/* SPDX-License-Identifier: MIT */
/*
 * network_timing_main.c — the gradient symdiff generates for the 2-16-3
 * tanh network of spiral_network.sd, against a straightforward hand-written
 * backpropagation of the same network and loss:
 *
 *   h = tanh(W1 x + b1),  s = W2 h + b2,
 *   loss = logsumexp(s) - y's + 1e-5 (|W1|^2 + |W2|^2)
 *
 * First both gradients of a minibatch are compared (they must agree to
 * 1e-12, relative to the largest component); then one training step's
 * gradient evaluation (the mean gradient over a minibatch of BATCH samples)
 * is timed for each, interleaved in this one process: `rounds` rounds, each
 * timing `steps` steps of one and then of the other (the order alternating
 * between rounds), reporting the median and range of the time per step and
 * the ratio of the medians.
 *
 *   network_timing [rounds [steps]]      (default 15 rounds of 2000 steps)
 *
 * Exit status 0 when the gradients agree, 1 otherwise; the times are
 * reported, not judged (they depend on the machine and its load).
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdrt.h"
#include "spiral_network.h" /* generated: spiral_net_grad */

enum {
    NIN = 2, /* network sizes */
    NHID = 16,
    NOUT = 3,
    BATCH = 32,
    NP = SPIRAL_NET_NVARS,
    NI = SPIRAL_NET_NINPUTS,
    MAX_ROUNDS = 101
};

#define L2 1e-5 /* the weight decay of spiral_network.sd */

/* The layout must be the one the generated kernel documents. */
typedef char layout_matches[NP == NHID * NIN + NHID + NOUT * NHID + NOUT && SPIRAL_NET_OFFSET_b1 == NHID * NIN &&
                                    SPIRAL_NET_OFFSET_W2 == NHID * NIN + NHID &&
                                    SPIRAL_NET_OFFSET_b2 == NHID * NIN + NHID + NOUT * NHID && NI == NIN + NOUT
                                ? 1
                                : -1];

/* A minibatch: BATCH samples x (NIN) then one-hot y (NOUT). */
typedef struct Batch {
    double sample[BATCH][NI];
} Batch;

/* The generated gradient, averaged over the batch; returns the mean loss. */
static double generated_step(const double *theta, const Batch *b, double *grad) {
    double g[NP], loss = 0;
    memset(grad, 0, NP * sizeof *grad);
    for (int k = 0; k < BATCH; k++) {
        loss += spiral_net_grad(theta, b->sample[k], g);
        sdrt_axpy(1.0 / BATCH, g, grad, NP);
    }
    return loss / BATCH;
}

/* Backpropagation written by hand, accumulating straight into grad. */
static double handwritten_step(const double *theta, const Batch *b, double *grad) {
    const double *W1 = theta + SPIRAL_NET_OFFSET_W1, *b1 = theta + SPIRAL_NET_OFFSET_b1;
    const double *W2 = theta + SPIRAL_NET_OFFSET_W2, *b2 = theta + SPIRAL_NET_OFFSET_b2;
    double *gW1 = grad + SPIRAL_NET_OFFSET_W1, *gb1 = grad + SPIRAL_NET_OFFSET_b1;
    double *gW2 = grad + SPIRAL_NET_OFFSET_W2, *gb2 = grad + SPIRAL_NET_OFFSET_b2;
    double loss = 0;
    memset(grad, 0, NP * sizeof *grad);
    for (int k = 0; k < BATCH; k++) {
        const double *x = b->sample[k] + SPIRAL_NET_OFFSET_x, *y = b->sample[k] + SPIRAL_NET_OFFSET_y;
        double h[NHID], s[NOUT], ds[NOUT], dz[NHID];
        /* forward */
        for (int i = 0; i < NHID; i++) {
            double z = b1[i];
            for (int j = 0; j < NIN; j++)
                z += W1[i * NIN + j] * x[j];
            h[i] = tanh(z);
        }
        double m = -INFINITY;
        for (int c = 0; c < NOUT; c++) {
            s[c] = b2[c];
            for (int i = 0; i < NHID; i++)
                s[c] += W2[c * NHID + i] * h[i];
            if (s[c] > m)
                m = s[c];
        }
        double sum = 0, ys = 0;
        for (int c = 0; c < NOUT; c++) {
            ds[c] = exp(s[c] - m);
            sum += ds[c];
            ys += y[c] * s[c];
        }
        loss += m + log(sum) - ys;
        /* backward: ds = softmax(s) - y, dh = W2' ds, dz = dh (1 - h^2) */
        for (int c = 0; c < NOUT; c++)
            ds[c] = ds[c] / sum - y[c];
        for (int i = 0; i < NHID; i++)
            dz[i] = 0;
        for (int c = 0; c < NOUT; c++) {
            gb2[c] += ds[c];
            for (int i = 0; i < NHID; i++) {
                gW2[c * NHID + i] += ds[c] * h[i];
                dz[i] += W2[c * NHID + i] * ds[c];
            }
        }
        for (int i = 0; i < NHID; i++) {
            dz[i] *= 1 - h[i] * h[i];
            gb1[i] += dz[i];
            for (int j = 0; j < NIN; j++)
                gW1[i * NIN + j] += dz[i] * x[j];
        }
    }
    /* the mean, plus the weight decay */
    double l2 = 0;
    for (int j = 0; j < NP; j++)
        grad[j] /= BATCH;
    for (int j = 0; j < NHID * NIN; j++) {
        l2 += W1[j] * W1[j];
        gW1[j] += 2 * L2 * W1[j];
    }
    for (int j = 0; j < NOUT * NHID; j++) {
        l2 += W2[j] * W2[j];
        gW2[j] += 2 * L2 * W2[j];
    }
    return loss / BATCH + L2 * l2;
}

typedef double (*StepFn)(const double *theta, const Batch *b, double *grad);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds per step over `steps` steps; `sink` keeps the work observable. */
static double time_steps(StepFn step, const double *theta, const Batch *b, double *grad, long steps,
                         volatile double *sink) {
    double t0 = now();
    for (long k = 0; k < steps; k++)
        *sink += step(theta, b, grad);
    return (now() - t0) / (double)steps;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 15;
    long steps = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    if (rounds < 1 || rounds > MAX_ROUNDS || steps < 1) {
        fprintf(stderr, "usage: network_timing [rounds (1..%d) [steps]]\n", MAX_ROUNDS);
        return 2;
    }
    SdrtRng rng;
    sdrt_rng_seed(&rng, 3);
    static Batch batch;
    for (int k = 0; k < BATCH; k++) {
        for (int j = 0; j < NIN; j++)
            batch.sample[k][SPIRAL_NET_OFFSET_x + j] = sdrt_rng_range(&rng, -1, 1);
        int label = (int)sdrt_rng_below(&rng, NOUT);
        for (int c = 0; c < NOUT; c++)
            batch.sample[k][SPIRAL_NET_OFFSET_y + c] = c == label;
    }
    double theta[NP], g_gen[NP], g_hand[NP];
    for (int j = 0; j < NP; j++)
        theta[j] = sdrt_rng_normal(&rng);

    /* the same gradient */
    double loss_gen = generated_step(theta, &batch, g_gen);
    double loss_hand = handwritten_step(theta, &batch, g_hand);
    double scale = 0, err = fabs(loss_gen - loss_hand);
    for (int j = 0; j < NP; j++)
        scale = fmax(scale, fabs(g_hand[j]));
    for (int j = 0; j < NP; j++)
        err = fmax(err, fabs(g_gen[j] - g_hand[j]) / fmax(scale, 1e-300));
    printf("network gradients, generated vs hand-written: minibatch of %d, max difference %.1e relative to "
           "max |g| = %.3g (limit 1e-12): %s\n",
           BATCH, err, scale, err <= 1e-12 ? "ok" : "DIFFERENT");
    if (!(err <= 1e-12))
        return EXIT_FAILURE;

    /* the time per step, interleaved */
    double t_gen[MAX_ROUNDS], t_hand[MAX_ROUNDS];
    volatile double sink = 0;
    for (long r = 0; r < rounds; r++) {
        if (r % 2 == 0) {
            t_gen[r] = time_steps(generated_step, theta, &batch, g_gen, steps, &sink);
            t_hand[r] = time_steps(handwritten_step, theta, &batch, g_hand, steps, &sink);
        } else {
            t_hand[r] = time_steps(handwritten_step, theta, &batch, g_hand, steps, &sink);
            t_gen[r] = time_steps(generated_step, theta, &batch, g_gen, steps, &sink);
        }
    }
    qsort(t_gen, (size_t)rounds, sizeof *t_gen, compare_doubles);
    qsort(t_hand, (size_t)rounds, sizeof *t_hand, compare_doubles);
    double med_gen = t_gen[rounds / 2], med_hand = t_hand[rounds / 2];
    printf("time per training step (gradient of a minibatch of %d), %ld rounds of %ld steps:\n", BATCH, rounds, steps);
    printf("  generated     median %8.2f us  (range %.2f .. %.2f)\n", 1e6 * med_gen, 1e6 * t_gen[0],
           1e6 * t_gen[rounds - 1]);
    printf("  hand-written  median %8.2f us  (range %.2f .. %.2f)\n", 1e6 * med_hand, 1e6 * t_hand[0],
           1e6 * t_hand[rounds - 1]);
    printf("  ratio generated / hand-written: %.2f (goal <= 1.5)\n", med_gen / med_hand);
    return EXIT_SUCCESS;
}
