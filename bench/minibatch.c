/* SPDX-License-Identifier: MIT */
/*
 * bench/minibatch.c — the training step of two networks written as one
 * minibatch program each (bench/mlp_2_16_3_batch.sd, batch 32, and
 * bench/mlp_784_128_10_batch.sd, batch 64), float and double: symdiff's
 * portable C (blocked loops, sd_gemm), symdiff's C with --blas cblas, and
 * hand-written backpropagation (below).  A step is the gradient of the
 * batch's mean loss and a plain SGD update, theta -= lr grad.
 *
 * Consumes the generated kernels mb2_d, mb2_f, mb2b_d, mb2b_f (2-16-3:
 * portable and --blas, double and float) and mb7_* (784-128-10), built by
 * bench/bench.py into bench/out/minibatch/.  Produces JSON lines on
 * stdout:
 *   {"check": ...}  per network: the largest relative difference between
 *                   n times the batch's gradient (double, portable) and the
 *                   sum of the n per-sample gradients (the kernel at n = 1
 *                   on each row), at the batch size and one less, and between every variant's first
 *                   gradient and that of the double portable kernel;
 *   {"round": r, "net": ..., "impl": ..., "type": ..., "ns": t}
 *                   CPU time of one training step, the mean over a run of
 *                   steps calibrated to about 20 ms, per round; the
 *                   variants run interleaved, in an order that rotates
 *                   from round to round.
 *
 *   minibatch ROUNDS
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb2_d.h"
#include "mb2_f.h"
#include "mb2b_d.h"
#include "mb2b_f.h"
#include "mb7_d.h"
#include "mb7_f.h"
#include "mb7b_d.h"
#include "mb7b_f.h"

#define LR 0.01
#define MAXN 256

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static unsigned long long rng_state = 88172645463325252ULL;
static double urand(void) /* xorshift64, uniform in [0, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* ---- hand-written backpropagation, one template for float and double ---------------------------
 * Z = X W1' + b1, H = act(Z), S = H W2' + b2, loss = mean_i (logsumexp(S_i) - S_i,y_i);
 * G2 = (softmax(S) - onehot(y))/n, dW2 = G2' H, db2 = colsum(G2), G1 = (G2 W2) * act'(Z),
 * dW1 = G1' X, db1 = colsum(G1).  Loops ordered for locality: a row of W1 (or dW1) stays in
 * cache while the rows of X pass by; the inner loops are dot products and axpys. */
typedef struct {
    int in, hid, out, relu;
} Net;

#define HAND(T, SFX)                                                                               \
    static T hand_grad_##SFX(const Net *net, const T *x, const T *X, const T *y, size_t n, T *g,     \
                             T *work)                                                              \
    {                                                                                              \
        const int in = net->in, hid = net->hid, out = net->out;                                    \
        const T *W1 = x, *b1 = x + hid * in, *W2 = b1 + hid, *b2 = W2 + out * hid;                  \
        T *dW1 = g, *db1 = g + hid * in, *dW2 = db1 + hid, *db2 = dW2 + out * hid;                 \
        T *Z = work, *H = Z + n * hid, *G2 = H + n * hid, *G1 = G2 + n * out;                      \
        T loss = 0;                                                                                \
        size_t i;                                                                                  \
        int h, o, k;                                                                               \
        for (h = 0; h < hid; h++) /* four rows at a time: four independent sums */                 \
            for (i = 0; i < n; i += 4) {                                                           \
                const T *w = W1 + h * in;                                                          \
                T s[4] = {0, 0, 0, 0};                                                             \
                size_t r, m = n - i < 4 ? n - i : 4;                                               \
                if (m == 4)                                                                        \
                    for (k = 0; k < in; k++) {                                                     \
                        s[0] += X[i * in + k] * w[k];                                              \
                        s[1] += X[(i + 1) * in + k] * w[k];                                        \
                        s[2] += X[(i + 2) * in + k] * w[k];                                        \
                        s[3] += X[(i + 3) * in + k] * w[k];                                        \
                    }                                                                              \
                else                                                                               \
                    for (r = 0; r < m; r++)                                                        \
                        for (k = 0; k < in; k++)                                                   \
                            s[r] += X[(i + r) * in + k] * w[k];                                    \
                for (r = 0; r < m; r++) {                                                          \
                    T z = b1[h] + s[r];                                                            \
                    Z[(i + r) * hid + h] = z;                                                      \
                    H[(i + r) * hid + h] = net->relu ? (z > 0 ? z : 0) : (T)tanh(z);               \
                }                                                                                  \
            }                                                                                      \
        for (i = 0; i < n; i++) {                                                                  \
            T *s = G2 + i * out, m, e = 0;                                                         \
            int c = (int)y[i];                                                                     \
            for (o = 0; o < out; o++) {                                                            \
                T v = b2[o];                                                                       \
                for (h = 0; h < hid; h++)                                                          \
                    v += H[i * hid + h] * W2[o * hid + h];                                         \
                s[o] = v;                                                                          \
            }                                                                                      \
            m = s[0];                                                                              \
            for (o = 1; o < out; o++)                                                              \
                m = s[o] > m ? s[o] : m;                                                           \
            for (o = 0; o < out; o++)                                                              \
                e += (T)exp(s[o] - m);                                                             \
            loss += m + (T)log(e) - s[c];                                                          \
            for (o = 0; o < out; o++)                                                              \
                s[o] = ((T)exp(s[o] - m) / e - (o == c)) / (T)n;                                   \
        }                                                                                          \
        memset(g, 0, sizeof *g * (size_t)(hid * in + hid + out * hid + out));                      \
        for (i = 0; i < n; i++)                                                                    \
            for (o = 0; o < out; o++) {                                                            \
                T d = G2[i * out + o];                                                             \
                db2[o] += d;                                                                       \
                for (h = 0; h < hid; h++)                                                          \
                    dW2[o * hid + h] += d * H[i * hid + h];                                        \
            }                                                                                      \
        for (i = 0; i < n; i++) {                                                                  \
            T *r = G1 + i * hid;                                                                   \
            for (h = 0; h < hid; h++)                                                              \
                r[h] = 0;                                                                          \
            for (o = 0; o < out; o++) {                                                            \
                T d = G2[i * out + o];                                                             \
                for (h = 0; h < hid; h++)                                                          \
                    r[h] += d * W2[o * hid + h];                                                   \
            }                                                                                      \
            for (h = 0; h < hid; h++) {                                                            \
                T a = H[i * hid + h];                                                              \
                r[h] *= net->relu ? (Z[i * hid + h] > 0) : 1 - a * a;                              \
                db1[h] += r[h];                                                                    \
            }                                                                                      \
        }                                                                                          \
        for (h = 0; h < hid; h++)                                                                  \
            for (i = 0; i < n; i++) {                                                              \
                T d = G1[i * hid + h];                                                             \
                for (k = 0; k < in; k++)                                                           \
                    dW1[h * in + k] += d * X[i * in + k];                                          \
            }                                                                                      \
        return loss / (T)n;                                                                        \
    }

HAND(double, d)
HAND(float, f)

/* ---- the variants --------------------------------------------------------------------------- */
typedef double (*GradD)(const double *, const double *, size_t, double *, double *);
typedef float (*GradF)(const float *, const float *, size_t, float *, float *);

typedef struct {
    const char *impl; /* "portable", "blas", "hand" */
    int is_float;
    GradD gd; /* generated kernels (the _ws entry point); NULL: hand-written */
    GradF gf;
    size_t nwork;
    /* state */
    void *x, *input, *grad, *work;
} Variant;

typedef struct {
    const char *name;
    Net net;
    size_t batch, nvars, ninputs, off_y;
    Variant v[6];
} Bench;

static Bench benches[] = {
    {"2-16-3",
     {2, 16, 3, 0},
     32,
     MB2_D_NVARS,
     MB2_D_NINPUTS,
     MB2_D_OFFSET_y,
     {{"portable", 0, mb2_d_grad_ws, NULL, MB2_D_WORK, NULL, NULL, NULL, NULL},
      {"portable", 1, NULL, mb2_f_grad_ws, MB2_F_WORK, NULL, NULL, NULL, NULL},
      {"blas", 0, mb2b_d_grad_ws, NULL, MB2B_D_WORK, NULL, NULL, NULL, NULL},
      {"blas", 1, NULL, mb2b_f_grad_ws, MB2B_F_WORK, NULL, NULL, NULL, NULL},
      {"hand", 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
      {"hand", 1, NULL, NULL, 0, NULL, NULL, NULL, NULL}}},
    {"784-128-10",
     {784, 128, 10, 1},
     64,
     MB7_D_NVARS,
     MB7_D_NINPUTS,
     MB7_D_OFFSET_y,
     {{"portable", 0, mb7_d_grad_ws, NULL, MB7_D_WORK, NULL, NULL, NULL, NULL},
      {"portable", 1, NULL, mb7_f_grad_ws, MB7_F_WORK, NULL, NULL, NULL, NULL},
      {"blas", 0, mb7b_d_grad_ws, NULL, MB7B_D_WORK, NULL, NULL, NULL, NULL},
      {"blas", 1, NULL, mb7b_f_grad_ws, MB7B_F_WORK, NULL, NULL, NULL, NULL},
      {"hand", 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
      {"hand", 1, NULL, NULL, 0, NULL, NULL, NULL, NULL}}},
};
#define NBENCH (sizeof benches / sizeof benches[0])
#define NVAR 6

static void *xmalloc(size_t bytes)
{
    void *p = calloc(bytes ? bytes : 1, 1);
    if (!p) {
        fprintf(stderr, "minibatch: out of memory\n");
        exit(1);
    }
    return p;
}

/* One gradient of variant v at batch size n: the loss, the gradient in v->grad. */
static double grad_of(const Bench *b, Variant *v, size_t n)
{
    if (v->gd)
        return v->gd(v->x, v->input, n, v->grad, v->work);
    if (v->gf)
        return v->gf(v->x, v->input, n, v->grad, v->work);
    if (v->is_float) {
        const float *in = v->input;
        return hand_grad_f(&b->net, v->x, in, in + b->off_y, n, v->grad, v->work);
    }
    {
        const double *in = v->input;
        return hand_grad_d(&b->net, v->x, in, in + b->off_y, n, v->grad, v->work);
    }
}

static void sgd(const Bench *b, Variant *v)
{
    size_t j;
    if (v->is_float) {
        float *x = v->x;
        const float *g = v->grad;
        for (j = 0; j < b->nvars; j++)
            x[j] -= (float)LR * g[j];
    } else {
        double *x = v->x;
        const double *g = v->grad;
        for (j = 0; j < b->nvars; j++)
            x[j] -= LR * g[j];
    }
}

static double get(const Variant *v, const void *a, size_t j)
{
    return v->is_float ? ((const float *)a)[j] : ((const double *)a)[j];
}

static void set(const Variant *v, void *a, size_t j, double val)
{
    if (v->is_float)
        ((float *)a)[j] = (float)val;
    else
        ((double *)a)[j] = val;
}

/* Parameters scaled like a usual initialisation (uniform, +-1/sqrt(fan-in)), inputs in [0, 1)
 * (784) or [-1, 1) (2), labels uniform over the classes; the same values for every variant. */
static void setup(Bench *b)
{
    double *x0 = xmalloc(sizeof *x0 * b->nvars), *in0 = xmalloc(sizeof *in0 * b->ninputs);
    const Net *net = &b->net;
    size_t j, i;
    int k;
    for (j = 0; j < b->nvars; j++) {
        int fan = j < (size_t)(net->hid * net->in + net->hid) ? net->in : net->hid;
        x0[j] = (2 * urand() - 1) / sqrt(fan);
    }
    for (i = 0; i < MAXN; i++) {
        for (k = 0; k < net->in; k++)
            in0[i * net->in + k] = net->relu ? urand() : 2 * urand() - 1;
        in0[b->off_y + i] = (int)(urand() * net->out);
    }
    for (k = 0; k < NVAR; k++) {
        Variant *v = &b->v[k];
        size_t es = v->is_float ? sizeof(float) : sizeof(double);
        size_t hw = (size_t)MAXN * (2 * net->hid + 2 * net->out + net->hid);
        v->x = xmalloc(es * b->nvars);
        v->grad = xmalloc(es * b->nvars);
        v->input = xmalloc(es * b->ninputs);
        v->work = xmalloc(es * (v->nwork > hw ? v->nwork : hw));
        for (j = 0; j < b->nvars; j++)
            set(v, v->x, j, x0[j]);
        for (j = 0; j < b->ninputs; j++)
            set(v, v->input, j, in0[j]);
    }
    free(x0);
    free(in0);
}

/* n times the batch's gradient against the sum of the per-sample gradients (double, portable:
 * variant 0), and every variant's gradient against variant 0's. */
static void check(Bench *b)
{
    Variant *v = &b->v[0];
    const Net *net = &b->net;
    size_t n = b->batch, j, i, m;
    double *batch = xmalloc(sizeof *batch * b->nvars), *sum = xmalloc(sizeof *sum * b->nvars);
    double *row = xmalloc(sizeof *row * b->ninputs), dps = 0, dv[NVAR];
    int k;
    grad_of(b, v, n);
    memcpy(batch, v->grad, sizeof *batch * b->nvars);
    for (k = 1; k < NVAR; k++) {
        Variant *w = &b->v[k];
        dv[k] = 0;
        grad_of(b, w, n);
        for (j = 0; j < b->nvars; j++) {
            double d = fabs(get(w, w->grad, j) - batch[j]) / fmax(1e-3, fabs(batch[j]));
            dv[k] = d > dv[k] ? d : dv[k];
        }
    }
    /* at the batch size and at one less (not a power of 2, so that dividing by it rounds) */
    for (m = n - 1; m <= n; m++) {
        v->gd(v->x, v->input, m, batch, v->work);
        memset(sum, 0, sizeof *sum * b->nvars);
        /* a one-row batch holding row i: X's first row and y's first entry */
        memcpy(row, v->input, sizeof *row * b->ninputs);
        for (i = 0; i < m; i++) {
            const double *in = v->input;
            memcpy(row, in + i * net->in, sizeof *row * net->in);
            row[b->off_y] = in[b->off_y + i];
            v->gd(v->x, row, 1, v->grad, v->work);
            for (j = 0; j < b->nvars; j++)
                sum[j] += ((const double *)v->grad)[j];
        }
        for (j = 0; j < b->nvars; j++) {
            double d = fabs((double)m * batch[j] - sum[j]) / fmax(1, fabs(sum[j]));
            dps = d > dps || d != d ? d : dps;
        }
    }
    printf("{\"check\": \"%s\", \"batch\": %zu, \"params\": %zu, \"per_sample_vs_batch\": %.3g", b->name,
           n, b->nvars, dps);
    for (k = 1; k < NVAR; k++)
        printf(", \"%s_%s\": %.3g", b->v[k].impl, b->v[k].is_float ? "float" : "double", dv[k]);
    printf("}\n");
    free(batch);
    free(sum);
    free(row);
}

/* CPU time of one step of variant v: the mean over `steps` steps. */
static double time_steps(Bench *b, Variant *v, long steps)
{
    double t0 = cpu_now();
    long s;
    for (s = 0; s < steps; s++) {
        grad_of(b, v, b->batch);
        sgd(b, v);
    }
    return (cpu_now() - t0) / (double)steps;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5, r;
    long steps[NBENCH][NVAR];
    size_t bi;
    if (rounds < 1 || argc > 2) {
        fprintf(stderr, "usage: minibatch ROUNDS\n");
        return 2;
    }
    for (bi = 0; bi < NBENCH; bi++) {
        Bench *b = &benches[bi];
        int k;
        setup(b);
        check(b);
        for (k = 0; k < NVAR; k++) { /* calibrate to about 20 ms, after a warm-up */
            double t = time_steps(b, &b->v[k], 2);
            steps[bi][k] = (long)(0.02 / (t > 1e-9 ? t : 1e-9)) + 1;
        }
    }
    for (r = 0; r < rounds; r++)
        for (bi = 0; bi < NBENCH; bi++) {
            Bench *b = &benches[bi];
            int k;
            for (k = 0; k < NVAR; k++) {
                int q = (k + r) % NVAR;
                Variant *v = &b->v[q];
                double t = time_steps(b, v, steps[bi][q]);
                printf("{\"round\": %d, \"net\": \"%s\", \"batch\": %zu, \"impl\": \"%s\", \"type\": \"%s\", "
                       "\"ns\": %.6g}\n",
                       r, b->name, b->batch, v->impl, v->is_float ? "float" : "double", 1e9 * t);
            }
        }
    return 0;
}
