/*
 * train.c — training throughput with generated gradients against the same
 * training with hand-written ones.
 *
 *   train ROUNDS BLOCKS
 *
 * Two models, both per-sample losses from bench/corpus/:
 *   logreg  logistic regression, BCE + L2, 4 features (ml_logreg_bce.sd,
 *           kernel logreg_grad), on 4096 samples of a noisy linear rule;
 *   mlp     a 2-16-3 tanh network with softmax cross-entropy and L2
 *           (ml_mlp_2_16_3.sd, written out in scalars because the tensor
 *           language is not there yet; kernel mlp_grad), on 3072 samples
 *           of three spirals.
 * The hand-written gradients (hand_logreg, hand_mlp) are what one writes
 * by hand: a forward pass, then backpropagation through it.
 *
 * For each model, two measurements, each interleaved:
 *   gradient  seconds per sample of value + gradient over the whole data
 *             set with fixed parameters, ROUNDS rounds alternating which
 *             goes first; the ratio generated/hand is formed per round;
 *   training  minibatch Adam (batch 32) from the same start and with the
 *             same shuffles, in BLOCKS blocks of epochs (a block lasts
 *             about 20 ms), the generated and the hand-written run
 *             alternating block by block; samples per second per block,
 *             and the final mean losses (which should agree).
 * Prints one JSON object per model.  Exit status 1 when the two gradients
 * disagree before timing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logreg.h"
#include "mlp.h"
#include "sdrt.h"

enum { MAX_ROUNDS = 101, MAX_PARAMS = 128, BATCH = 32 };
enum { HID = 16, NIN = 2, NOUT = 3 };
/* offsets of the 2-16-3 network's parameters: W1[16,2], b1, W2[3,16], b2 */
enum { OW1 = 0, OB1 = OW1 + HID * NIN, OW2 = OB1 + HID, OB2 = OW2 + NOUT * HID,
       NMLP = OB2 + NOUT };

typedef double (*GradFn)(const double *theta, const double *row, double *grad);

/* --- the gradients -------------------------------------------------------------- */

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

/* row = x0, x1, y0, y1, y2 (one-hot).  Forward: a = W1 x + b1, h = tanh(a),
 * s = W2 h + b2, loss = logsumexp(s) - y.s + 1e-4 (|W1|^2 + |W2|^2).
 * Backward: ds = softmax(s) - y; dW2 = ds h', db2 = ds; dh = W2' ds;
 * da = dh (1 - h^2); dW1 = da x', db1 = da; plus 2e-4 W for the L2 term. */
static double hand_mlp(const double *t, const double *row, double *grad) {
    const double *W1 = t + OW1, *b1 = t + OB1, *W2 = t + OW2, *b2 = t + OB2;
    const double *x = row, *y = row + NIN;
    double h[HID], s[NOUT], l2 = 0;
    for (int i = 0; i < HID; i++) {
        double a = b1[i];
        for (int j = 0; j < NIN; j++) {
            a += W1[i * NIN + j] * x[j];
            l2 += W1[i * NIN + j] * W1[i * NIN + j];
        }
        h[i] = tanh(a);
    }
    double sum_exp = 0, ys = 0;
    for (int k = 0; k < NOUT; k++) {
        double v = b2[k];
        for (int i = 0; i < HID; i++) {
            v += W2[k * HID + i] * h[i];
            l2 += W2[k * HID + i] * W2[k * HID + i];
        }
        s[k] = v;
        sum_exp += exp(v);
        ys += y[k] * v;
    }
    double *gW1 = grad + OW1, *gb1 = grad + OB1, *gW2 = grad + OW2, *gb2 = grad + OB2;
    double dh[HID] = {0};
    for (int k = 0; k < NOUT; k++) {
        double ds = exp(s[k]) / sum_exp - y[k];
        gb2[k] = ds;
        for (int i = 0; i < HID; i++) {
            gW2[k * HID + i] = ds * h[i] + 2e-4 * W2[k * HID + i];
            dh[i] += ds * W2[k * HID + i];
        }
    }
    for (int i = 0; i < HID; i++) {
        double da = dh[i] * (1 - h[i] * h[i]);
        gb1[i] = da;
        for (int j = 0; j < NIN; j++)
            gW1[i * NIN + j] = da * x[j] + 2e-4 * W1[i * NIN + j];
    }
    return log(sum_exp) - ys + 1e-4 * l2;
}

/* --- models --------------------------------------------------------------------- */

typedef struct Model {
    const char *name;
    int nparams, ninputs;
    size_t n;           /* samples */
    double *data;       /* n rows of ninputs */
    double theta0[MAX_PARAMS];
    GradFn gen, hand;
} Model;

/* CPU time: on a shared machine, time spent waiting for a core is noise. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile double sink;

/* Seconds per sample of value + gradient over the data set, `passes` times. */
static double time_grad(const Model *m, GradFn fn, long passes) {
    double g[MAX_PARAMS], s = 0;
    double t0 = now();
    for (long p = 0; p < passes; p++)
        for (size_t i = 0; i < m->n; i++)
            s += fn(m->theta0, m->data + i * (size_t)m->ninputs, g) + g[0];
    sink += s;
    return (now() - t0) / ((double)passes * (double)m->n);
}

/* One epoch of minibatch Adam; returns the mean loss over the epoch. */
static double epoch(const Model *m, GradFn fn, double *theta, SdrtAdam *adam, size_t *idx,
                    unsigned seed) {
    SdrtRng rng;
    sdrt_rng_seed(&rng, seed);
    sdrt_shuffle(&rng, idx, m->n);
    double g[MAX_PARAMS], acc[MAX_PARAMS], total = 0;
    size_t n = (size_t)m->nparams;
    for (size_t b = 0; b < m->n; b += BATCH) {
        size_t count = m->n - b < BATCH ? m->n - b : BATCH;
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

static void print_stats(const char *key, const double *v, int n, double scale) {
    double s[MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    printf("\"%s\": [%.6g, %.6g, %.6g]", key, med * scale, s[0] * scale, s[n - 1] * scale);
}

static int run(const Model *m, int rounds, int blocks) {
    /* the two gradients agree at the start and on every sample */
    double ga[MAX_PARAMS], gb[MAX_PARAMS], worst = 0;
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
    while (time_grad(m, m->gen, passes) * (double)passes * (double)m->n < 0.02 && passes < (1L << 20))
        passes *= 2;
    double tg[MAX_ROUNDS], th[MAX_ROUNDS], ratio[MAX_ROUNDS];
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

    /* training, the two alternating epoch by epoch */
    size_t np = (size_t)m->nparams;
    double theta_g[MAX_PARAMS], theta_h[MAX_PARAMS];
    double mg[MAX_PARAMS], vg[MAX_PARAMS], mh[MAX_PARAMS], vh[MAX_PARAMS];
    memcpy(theta_g, m->theta0, np * sizeof *theta_g);
    memcpy(theta_h, m->theta0, np * sizeof *theta_h);
    SdrtAdam ag, ah;
    sdrt_adam_init(&ag, mg, vg, np, 0.01, 0.9, 0.999, 1e-8);
    sdrt_adam_init(&ah, mh, vh, np, 0.01, 0.9, 0.999, 1e-8);
    size_t *idx_g = malloc(m->n * sizeof *idx_g), *idx_h = malloc(m->n * sizeof *idx_h);
    if (!idx_g || !idx_h)
        return 1;
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
    double sps_g[MAX_ROUNDS], sps_h[MAX_ROUNDS], sps_ratio[MAX_ROUNDS];
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
           m->name, m->nparams, m->n, (int)BATCH, rounds, blocks, block);
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
    return 0;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 11, blocks = argc > 2 ? atoi(argv[2]) : 11;
    if (argc != 3 || rounds < 1 || rounds > MAX_ROUNDS || blocks < 1 || blocks > MAX_ROUNDS) {
        fprintf(stderr, "usage: train ROUNDS BLOCKS (each 1 .. %d)\n", MAX_ROUNDS);
        return 2;
    }
    SdrtRng rng;
    sdrt_rng_seed(&rng, 11);
    int status = 0;

    static Model logreg = {"logreg", LOGREG_NVARS, LOGREG_NINPUTS, 4096, NULL, {0},
                           gen_logreg, hand_logreg};
    static double lr_data[4096 * LOGREG_NINPUTS];
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
    status |= run(&logreg, rounds, blocks);

    static Model mlp = {"mlp", MLP_NVARS, MLP_NINPUTS, 3072, NULL, {0}, gen_mlp, hand_mlp};
    static double xy[3072 * 2], onehot[3072 * 3], mlp_data[3072 * MLP_NINPUTS];
    static int labels[3072];
    if (MLP_NVARS != NMLP || MLP_NINPUTS != NIN + NOUT ||
        sdrt_data_spirals(&rng, xy, labels, mlp.n, NOUT, 0.05) != SDRT_OK ||
        sdrt_one_hot(labels, mlp.n, NOUT, onehot) != SDRT_OK) {
        fprintf(stderr, "train: the 2-16-3 network's layout is not the expected one\n");
        return 1;
    }
    for (size_t i = 0; i < mlp.n; i++) {
        double *row = mlp_data + i * MLP_NINPUTS;
        row[0] = xy[2 * i];
        row[1] = xy[2 * i + 1];
        for (int k = 0; k < NOUT; k++)
            row[NIN + k] = onehot[3 * i + (size_t)k];
    }
    mlp.data = mlp_data;
    for (int j = 0; j < NMLP; j++)
        mlp.theta0[j] = 0.5 * sdrt_rng_normal(&rng);
    status |= run(&mlp, rounds, blocks);
    return status;
}
