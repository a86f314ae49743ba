/* SPDX-License-Identifier: MIT */
/*
 * training.c — see training.h: the interleaved measurement of a generated
 * gradient against a hand-written one (gradient alone, then minibatch Adam
 * training), the spiral data set and the hand-written backpropagation of
 * the 2-16-3 network.
 *
 * The gradients are called through pointers from another translation unit,
 * so neither the generated nor the hand-written one is inlined into the
 * loops that time them.
 */
#include "training.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdrt.h"

/* CPU time: on a shared machine, time spent waiting for a core is noise. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile double sink;

int train_args(int argc, char **argv, int max_extra, int *rounds, int *blocks) {
    *rounds = argc > 1 ? atoi(argv[1]) : 0;
    *blocks = argc > 2 ? atoi(argv[2]) : 0;
    if (argc < 3 || argc > 3 + max_extra || *rounds < 1 || *rounds > TRAIN_MAX_ROUNDS ||
        *blocks < 1 || *blocks > TRAIN_MAX_ROUNDS) {
        fprintf(stderr, "usage: %s ROUNDS BLOCKS%s (each 1 .. %d)\n", argc > 0 ? argv[0] : "train",
                max_extra ? " [...]" : "", TRAIN_MAX_ROUNDS);
        return 2;
    }
    return 0;
}

/* Seconds per sample of value + gradient over the data set, `passes` times. */
static double time_grad(const TrainModel *m, TrainGradFn fn, long passes) {
    double g[TRAIN_MAX_PARAMS], s = 0;
    double t0 = now();
    for (long p = 0; p < passes; p++)
        for (size_t i = 0; i < m->n; i++)
            s += fn(m->theta0, m->data + i * (size_t)m->ninputs, g) + g[0];
    sink += s;
    return (now() - t0) / ((double)passes * (double)m->n);
}

/* One epoch of minibatch Adam; returns the mean loss over the epoch. */
static double epoch(const TrainModel *m, TrainGradFn fn, double *theta, SdrtAdam *adam,
                    size_t *idx, unsigned seed) {
    SdrtRng rng;
    sdrt_rng_seed(&rng, seed);
    sdrt_shuffle(&rng, idx, m->n);
    double g[TRAIN_MAX_PARAMS], acc[TRAIN_MAX_PARAMS], total = 0;
    size_t n = (size_t)m->nparams;
    for (size_t b = 0; b < m->n; b += TRAIN_BATCH) {
        size_t count = m->n - b < TRAIN_BATCH ? m->n - b : TRAIN_BATCH;
        memset(acc, 0, n * sizeof *acc);
        for (size_t k = 0; k < count; k++) {
            total += fn(theta, m->data + idx[b + k] * (size_t)m->ninputs, g);
            for (size_t j = 0; j < n; j++)
                acc[j] += g[j];
        }
        for (size_t j = 0; j < n; j++)
            acc[j] /= (double)count;
        sdrt_adam_step(adam, theta, acc, n);
    }
    return total / (double)m->n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "key": [median, min, max] of v[0 .. n-1], times scale. */
static void print_stats(const char *key, const double *v, int n, double scale) {
    double s[TRAIN_MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    printf("\"%s\": [%.6g, %.6g, %.6g]", key, med * scale, s[0] * scale, s[n - 1] * scale);
}

int train_measure(const TrainModel *m, int rounds, int blocks) {
    if (m->nparams > TRAIN_MAX_PARAMS) {
        fprintf(stderr, "train: %s: %d parameters, at most %d\n", m->name, m->nparams,
                TRAIN_MAX_PARAMS);
        return 1;
    }
    /* the two gradients agree at the start and on every sample */
    double ga[TRAIN_MAX_PARAMS], gb[TRAIN_MAX_PARAMS], worst = 0;
    for (size_t i = 0; i < m->n; i++) {
        const double *row = m->data + i * (size_t)m->ninputs;
        double va = m->gen(m->theta0, row, ga), vb = m->hand(m->theta0, row, gb);
        worst = fmax(worst, fabs(va - vb) / fmax(1, fabs(vb)));
        for (int j = 0; j < m->nparams; j++)
            worst = fmax(worst, fabs(ga[j] - gb[j]) / fmax(1, fabs(gb[j])));
    }
    if (!(worst < 1e-9)) {
        fprintf(stderr, "train: %s: generated and hand-written gradients differ by %g\n",
                m->name, worst);
        return 1;
    }

    /* gradient cost: passes so that one timing lasts about 20 ms */
    long passes = 1;
    while (time_grad(m, m->gen, passes) * (double)passes * (double)m->n < 0.02 &&
           passes < (1L << 20))
        passes *= 2;
    double tg[TRAIN_MAX_ROUNDS], th[TRAIN_MAX_ROUNDS], ratio[TRAIN_MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        if (r % 2 == 0) {
            tg[r] = time_grad(m, m->gen, passes);
            th[r] = time_grad(m, m->hand, passes);
        } else {
            th[r] = time_grad(m, m->hand, passes);
            tg[r] = time_grad(m, m->gen, passes);
        }
        ratio[r] = tg[r] / th[r];
    }

    /* training, the two alternating block by block */
    size_t np = (size_t)m->nparams;
    double theta_g[TRAIN_MAX_PARAMS], theta_h[TRAIN_MAX_PARAMS];
    double mg[TRAIN_MAX_PARAMS], vg[TRAIN_MAX_PARAMS], mh[TRAIN_MAX_PARAMS], vh[TRAIN_MAX_PARAMS];
    memcpy(theta_g, m->theta0, np * sizeof *theta_g);
    memcpy(theta_h, m->theta0, np * sizeof *theta_h);
    SdrtAdam ag, ah;
    sdrt_adam_init(&ag, mg, vg, np, 0.01, 0.9, 0.999, 1e-8);
    sdrt_adam_init(&ah, mh, vh, np, 0.01, 0.9, 0.999, 1e-8);
    size_t *idx_g = malloc(m->n * sizeof *idx_g), *idx_h = malloc(m->n * sizeof *idx_h);
    if (!idx_g || !idx_h) {
        free(idx_g);
        free(idx_h);
        fprintf(stderr, "train: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < m->n; i++)
        idx_g[i] = idx_h[i] = i;
    /* a block of epochs lasts about 20 ms; blocks alternate */
    int block = 1;
    {
        double t0 = now();
        epoch(m, m->gen, theta_g, &ag, idx_g, 1);
        double t = now() - t0;
        block = t > 0 ? (int)(0.02 / t) + 1 : 1;
        memcpy(theta_g, m->theta0, np * sizeof *theta_g);
        sdrt_adam_init(&ag, mg, vg, np, 0.01, 0.9, 0.999, 1e-8);
        for (size_t i = 0; i < m->n; i++)
            idx_g[i] = i;
    }
    double sps_g[TRAIN_MAX_ROUNDS], sps_h[TRAIN_MAX_ROUNDS], sps_ratio[TRAIN_MAX_ROUNDS];
    double first = 0, loss_g = 0, loss_h = 0;
    for (int e = 0; e < blocks; e++) {
        for (int half = 0; half < 2; half++) {
            int gen = (half == 0) == (e % 2 == 0);
            double t0 = now();
            for (int k = 0; k < block; k++) {
                unsigned seed = (unsigned)(e * block + k + 1);
                if (gen)
                    loss_g = epoch(m, m->gen, theta_g, &ag, idx_g, seed);
                else
                    loss_h = epoch(m, m->hand, theta_h, &ah, idx_h, seed);
                if (gen && e == 0 && k == 0)
                    first = loss_g;
            }
            double sps = (double)block * (double)m->n / (now() - t0);
            if (gen)
                sps_g[e] = sps;
            else
                sps_h[e] = sps;
        }
        sps_ratio[e] = sps_g[e] / sps_h[e];
    }
    free(idx_g);
    free(idx_h);

    printf("{\"model\": \"%s\", \"params\": %d, \"samples\": %zu, \"batch\": %d, "
           "\"rounds\": %d, \"blocks\": %d, \"epochs_per_block\": %d, ",
           m->name, m->nparams, m->n, (int)TRAIN_BATCH, rounds, blocks, block);
    print_stats("gen_grad_ns", tg, rounds, 1e9);
    printf(", ");
    print_stats("hand_grad_ns", th, rounds, 1e9);
    printf(", ");
    print_stats("grad_ratio", ratio, rounds, 1);
    printf(", ");
    print_stats("gen_samples_per_s", sps_g, blocks, 1);
    printf(", ");
    print_stats("hand_samples_per_s", sps_h, blocks, 1);
    printf(", ");
    print_stats("throughput_ratio", sps_ratio, blocks, 1);
    printf(", \"loss_first_epoch\": %.6g, \"loss_gen\": %.6g, \"loss_hand\": %.6g, "
           "\"max_grad_diff\": %.3g}\n",
           first, loss_g, loss_h, worst);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* --- the 2-16-3 network ------------------------------------------------------------ */

enum { NET_SAMPLES = 3072 };

int train_spirals(TrainModel *m) {
    static double xy[NET_SAMPLES * NET_IN], onehot[NET_SAMPLES * NET_OUT];
    static double data[NET_SAMPLES * NET_NINPUTS];
    static int labels[NET_SAMPLES];
    SdrtRng rng;
    sdrt_rng_seed(&rng, 11);
    if (sdrt_data_spirals(&rng, xy, labels, NET_SAMPLES, NET_OUT, 0.05) != SDRT_OK ||
        sdrt_one_hot(labels, NET_SAMPLES, NET_OUT, onehot) != SDRT_OK)
        return 1;
    for (size_t i = 0; i < NET_SAMPLES; i++) {
        double *row = data + i * NET_NINPUTS;
        for (int j = 0; j < NET_IN; j++)
            row[NET_X + j] = xy[NET_IN * i + (size_t)j];
        for (int k = 0; k < NET_OUT; k++)
            row[NET_Y + k] = onehot[NET_OUT * i + (size_t)k];
    }
    m->nparams = NET_NPARAMS;
    m->ninputs = NET_NINPUTS;
    m->n = NET_SAMPLES;
    m->data = data;
    for (int j = 0; j < NET_NPARAMS; j++)
        m->theta0[j] = 0.5 * sdrt_rng_normal(&rng);
    return 0;
}

/* Forward, keeping h and exp(s - max s); then backward:
 *   ds = softmax(s) - y;  dW2 = ds h', db2 = ds;  dh = W2' ds;
 *   da = dh (1 - h^2);  dW1 = da x', db1 = da;  plus 2 l2 W for the decay.
 * logsumexp(s) = m + log(sum exp(s - m)) with m = max s, as one writes it
 * to avoid overflow (the generated code does the same). */
double train_backprop_net(const double *t, const double *row, double *grad, double l2) {
    const double *W1 = t + NET_W1, *b1 = t + NET_B1, *W2 = t + NET_W2, *b2 = t + NET_B2;
    const double *x = row + NET_X, *y = row + NET_Y;
    double *gW1 = grad + NET_W1, *gb1 = grad + NET_B1, *gW2 = grad + NET_W2, *gb2 = grad + NET_B2;
    double h[NET_HID], s[NET_OUT], e[NET_OUT], dh[NET_HID], sq = 0;
    for (int i = 0; i < NET_HID; i++) {
        double a = b1[i];
        for (int j = 0; j < NET_IN; j++) {
            a += W1[i * NET_IN + j] * x[j];
            sq += W1[i * NET_IN + j] * W1[i * NET_IN + j];
        }
        h[i] = tanh(a);
        dh[i] = 0;
    }
    double mx = -INFINITY;
    for (int k = 0; k < NET_OUT; k++) {
        double v = b2[k];
        for (int i = 0; i < NET_HID; i++) {
            v += W2[k * NET_HID + i] * h[i];
            sq += W2[k * NET_HID + i] * W2[k * NET_HID + i];
        }
        s[k] = v;
        if (v > mx)
            mx = v;
    }
    double sum = 0, ys = 0;
    for (int k = 0; k < NET_OUT; k++) {
        e[k] = exp(s[k] - mx);
        sum += e[k];
        ys += y[k] * s[k];
    }
    for (int k = 0; k < NET_OUT; k++) {
        double ds = e[k] / sum - y[k];
        gb2[k] = ds;
        for (int i = 0; i < NET_HID; i++) {
            gW2[k * NET_HID + i] = ds * h[i] + 2 * l2 * W2[k * NET_HID + i];
            dh[i] += ds * W2[k * NET_HID + i];
        }
    }
    for (int i = 0; i < NET_HID; i++) {
        double da = dh[i] * (1 - h[i] * h[i]);
        gb1[i] = da;
        for (int j = 0; j < NET_IN; j++)
            gW1[i * NET_IN + j] = da * x[j] + 2 * l2 * W1[i * NET_IN + j];
    }
    return mx + log(sum) - ys + l2 * sq;
}
