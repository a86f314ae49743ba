/* SPDX-License-Identifier: MIT */
/*
 * check_runtime.c — tests of the numeric runtime (runtime/sdrt.h): PRNG
 * golden values and moments, shuffles and batches, schedules, optimisers
 * (hand-computed steps and convergence), minibatch epochs, the gradient
 * check, datasets, the CSV loader, linear algebra and progress output.
 *
 * Hand-computed expectations are written as decimal constants with their
 * derivation beside them; the PRNG golden values come from an independent
 * implementation of splitmix64 / xoshiro256**.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdrt.h"
#include "testutil.h"

Suite *runtime_suite(void); /* called by tests/runner.c */

/* NAN is a float constant; this keeps -Wdouble-promotion quiet. */
#define DNAN ((double)NAN)

/* ---- helpers ------------------------------------------------------------ */

/* Everything written to f so far, as a string (at most cap - 1 bytes). */
static void slurp(FILE *f, char *buf, size_t cap) {
    fflush(f);
    rewind(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
}

/* Writes text to a fresh temporary file; its name goes to path[32]. */
static void write_temp(char *path, const char *text) {
    strcpy(path, "/tmp/sdrt_csv_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t len = strlen(text);
    ck_assert_int_eq((long)write(fd, text, len), (long)len);
    close(fd);
}

/* f(x) = sum_i a_i (x_i - c_i)^2 / 2, gradient a_i (x_i - c_i). */
static const double quad_a[3] = {1.0, 2.0, 3.0};
static const double quad_c[3] = {1.0, -2.0, 0.5};

static double quad_grad(const double *x, double *g, void *ctx) {
    (void)ctx;
    double f = 0.0;
    for (int i = 0; i < 3; i++) {
        double d = x[i] - quad_c[i];
        f += 0.5 * quad_a[i] * d * d;
        g[i] = quad_a[i] * d;
    }
    return f;
}

/* ---- PRNG --------------------------------------------------------------- */

START_TEST(test_rng_golden) {
    SdrtRng r;
    /* splitmix64's published first output for seed 0 */
    sdrt_rng_seed(&r, 0);
    ck_assert(r.s[0] == UINT64_C(0xe220a8397b1dcdaf));
    sdrt_rng_seed(&r, 42);
    ck_assert(sdrt_rng_next(&r) == UINT64_C(0x15780b2e0c2ec716));
    ck_assert(sdrt_rng_next(&r) == UINT64_C(0x6104d9866d113a7e));
    ck_assert(sdrt_rng_next(&r) == UINT64_C(0xae17533239e499a1));
    ck_assert(sdrt_rng_next(&r) == UINT64_C(0xecb8ad4703b360a1));
    /* uniform = (next >> 11) * 2^-53: exact, so compared with == */
    sdrt_rng_seed(&r, 42);
    ck_assert(sdrt_rng_uniform(&r) == 0.083862971059882163);
    ck_assert(sdrt_rng_uniform(&r) == 0.37898025066266861);
    ck_assert(sdrt_rng_uniform(&r) == 0.68004341102813937);
    sdrt_rng_seed(&r, 42);
    ck_assert_uint_eq(sdrt_rng_below(&r, 10), 2);
    ck_assert_uint_eq(sdrt_rng_below(&r, 10), 2);
    ck_assert_uint_eq(sdrt_rng_below(&r, 10), 9);
    ck_assert_uint_eq(sdrt_rng_below(&r, 10), 3);
    /* normals go through libm's log: equal up to rounding */
    sdrt_rng_seed(&r, 42);
    ck_assert_close(sdrt_rng_normal(&r), -0.72621913824478568, 1e-14);
    ck_assert_close(sdrt_rng_normal(&r), -0.21119691823195985, 1e-14);
    ck_assert_close(sdrt_rng_normal(&r), 0.22162270150359331, 1e-14);
    ck_assert_close(sdrt_rng_normal(&r), 0.52277168775601457, 1e-14);
}
END_TEST

START_TEST(test_rng_same_seed_same_stream) {
    SdrtRng a, b;
    sdrt_rng_seed(&a, 12345);
    sdrt_rng_seed(&b, 12345);
    for (int i = 0; i < 1000; i++)
        ck_assert(sdrt_rng_next(&a) == sdrt_rng_next(&b));
    sdrt_rng_seed(&a, 1);
    sdrt_rng_seed(&b, 2);
    int same = 0;
    for (int i = 0; i < 100; i++)
        same += sdrt_rng_next(&a) == sdrt_rng_next(&b);
    ck_assert_int_eq(same, 0);
}
END_TEST

START_TEST(test_rng_uniform_moments) {
    SdrtRng r;
    sdrt_rng_seed(&r, 7);
    const int n = 200000;
    double sum = 0.0, sum2 = 0.0;
    for (int i = 0; i < n; i++) {
        double u = sdrt_rng_uniform(&r);
        ck_assert(u >= 0.0 && u < 1.0);
        sum += u;
        sum2 += u * u;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    /* standard error of the mean: sqrt(1/12 / n) ~ 6.5e-4 */
    ck_assert(fabs(mean - 0.5) < 0.004);
    ck_assert(fabs(var - 1.0 / 12.0) < 0.002);
    for (int i = 0; i < 10000; i++) {
        double x = sdrt_rng_range(&r, -3.0, 5.0);
        ck_assert(x >= -3.0 && x < 5.0);
    }
}
END_TEST

START_TEST(test_rng_range_never_reaches_b) {
    /* [1, next double after 1): every draw must be exactly 1 */
    SdrtRng r;
    sdrt_rng_seed(&r, 3);
    double b = nextafter(1.0, 2.0);
    for (int i = 0; i < 10000; i++)
        ck_assert(sdrt_rng_range(&r, 1.0, b) == 1.0);
}
END_TEST

START_TEST(test_rng_normal_moments) {
    SdrtRng r;
    sdrt_rng_seed(&r, 99);
    const int n = 200000;
    double sum = 0.0, sum2 = 0.0, sum4 = 0.0;
    int within1 = 0;
    for (int i = 0; i < n; i++) {
        double z = sdrt_rng_normal(&r);
        sum += z;
        sum2 += z * z;
        sum4 += z * z * z * z;
        within1 += fabs(z) < 1.0;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    ck_assert(fabs(mean) < 0.01);            /* se ~ 0.0022 */
    ck_assert(fabs(var - 1.0) < 0.02);       /* se ~ 0.0032 */
    ck_assert(fabs(sum4 / n - 3.0) < 0.1);   /* kurtosis of N(0,1) is 3 */
    ck_assert(fabs((double)within1 / n - 0.6826894921) < 0.006);
}
END_TEST

START_TEST(test_rng_below) {
    SdrtRng r;
    sdrt_rng_seed(&r, 5);
    ck_assert_uint_eq(sdrt_rng_below(&r, 0), 0);
    ck_assert_uint_eq(sdrt_rng_below(&r, 1), 0);
    /* 7 buckets x 10000 expected; sd ~ 93, allow 6 sd */
    long count[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t k = sdrt_rng_below(&r, 7);
        ck_assert(k < 7);
        count[k]++;
    }
    for (int k = 0; k < 7; k++)
        ck_assert_msg(labs(count[k] - 10000) < 560, "bucket %d: %ld", k,
                      count[k]);
    /* n = ceil(2^65 / 3) = 1.5^-1 2^64: without the rejection step, x mod n
     * would land below n/2 with probability 2/3 instead of 1/2 */
    uint64_t n3 = UINT64_C(0xAAAAAAAAAAAAAAAB);
    int low = 0;
    for (int i = 0; i < 4000; i++)
        low += sdrt_rng_below(&r, n3) < n3 / 2;
    ck_assert_msg(abs(low - 2000) < 200, "%d of 4000 below n/2", low);
    /* the worst case for rejection: n just above 2^63 */
    uint64_t big = (UINT64_C(1) << 63) + 1;
    for (int i = 0; i < 1000; i++)
        ck_assert(sdrt_rng_below(&r, big) < big);
}
END_TEST

/* ---- shuffle and batches ------------------------------------------------ */

START_TEST(test_shuffle_is_permutation) {
    enum { N = 1000 };
    size_t idx[N], idx2[N];
    int seen[N] = {0};
    for (size_t i = 0; i < N; i++)
        idx[i] = idx2[i] = i;
    SdrtRng r, r2;
    sdrt_rng_seed(&r, 11);
    sdrt_rng_seed(&r2, 11);
    sdrt_shuffle(&r, idx, N);
    sdrt_shuffle(&r2, idx2, N);
    size_t fixed = 0;
    for (size_t i = 0; i < N; i++) {
        ck_assert(idx[i] < N);
        seen[idx[i]]++;
        fixed += idx[i] == i;
        ck_assert_uint_eq(idx[i], idx2[i]); /* deterministic */
    }
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert(fixed < 10); /* expected number of fixed points is 1 */
    sdrt_shuffle(&r, idx, 0);
    sdrt_shuffle(&r, idx, 1);
}
END_TEST

START_TEST(test_shuffle_uniform_over_orders) {
    /* all 6 orders of 3 elements, 60000 shuffles: ~10000 each, sd ~ 91 */
    SdrtRng r;
    sdrt_rng_seed(&r, 2024);
    long count[6] = {0};
    for (int t = 0; t < 60000; t++) {
        size_t v[3] = {0, 1, 2};
        sdrt_shuffle(&r, v, 3);
        /* rank of the permutation: first element and order of the rest */
        int code = (int)v[0] * 2 + (v[1] > v[2]);
        count[code]++;
    }
    for (int k = 0; k < 6; k++)
        ck_assert_msg(labs(count[k] - 10000) < 550, "order %d: %ld", k,
                      count[k]);
}
END_TEST

/* Runs one epoch of b and checks that every index appears exactly once and
 * that the batch lengths are the expected ones. */
static void check_epoch(SdrtBatcher *b, const size_t *sizes, size_t nsizes) {
    int seen[64] = {0};
    const size_t *batch;
    size_t m, k = 0;
    while ((m = sdrt_batcher_next(b, &batch)) > 0) {
        ck_assert_uint_lt(k, nsizes);
        ck_assert_uint_eq(m, sizes[k]);
        for (size_t i = 0; i < m; i++) {
            ck_assert_uint_lt(batch[i], b->count);
            seen[batch[i]]++;
        }
        k++;
    }
    ck_assert_uint_eq(k, nsizes);
    for (size_t i = 0; i < b->count; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_uint_eq(sdrt_batcher_next(b, &batch), 0); /* stays finished */
}

START_TEST(test_batcher_partial_last_batch) {
    size_t idx[10];
    SdrtBatcher b;
    SdrtRng r;
    sdrt_rng_seed(&r, 1);
    sdrt_batcher_init(&b, idx, 10, 3);
    ck_assert_uint_eq(sdrt_batcher_nbatches(&b), 4);
    const size_t sizes[4] = {3, 3, 3, 1};
    check_epoch(&b, sizes, 4); /* in order */
    for (size_t i = 0; i < 10; i++)
        ck_assert_uint_eq(idx[i], i);
    for (int epoch = 0; epoch < 5; epoch++) {
        sdrt_batcher_reset(&b, &r);
        check_epoch(&b, sizes, 4);
    }
}
END_TEST

START_TEST(test_batcher_sizes) {
    size_t idx[12];
    SdrtBatcher b;
    sdrt_batcher_init(&b, idx, 12, 3);
    const size_t four3[4] = {3, 3, 3, 3};
    ck_assert_uint_eq(sdrt_batcher_nbatches(&b), 4);
    check_epoch(&b, four3, 4);
    sdrt_batcher_init(&b, idx, 12, 0); /* 0: full batch */
    const size_t all[1] = {12};
    ck_assert_uint_eq(sdrt_batcher_nbatches(&b), 1);
    check_epoch(&b, all, 1);
    sdrt_batcher_init(&b, idx, 12, 50); /* larger than the data */
    check_epoch(&b, all, 1);
    sdrt_batcher_init(&b, idx, 0, 4);
    ck_assert_uint_eq(sdrt_batcher_nbatches(&b), 0);
    check_epoch(&b, NULL, 0);
}
END_TEST

/* ---- schedules ---------------------------------------------------------- */

START_TEST(test_schedule_values) {
    SdrtSchedule c = sdrt_schedule_constant(0.1);
    ck_assert(sdrt_schedule_lr(&c, 0) == 0.1);
    ck_assert(sdrt_schedule_lr(&c, 1000) == 0.1);

    SdrtSchedule s = sdrt_schedule_step(1.0, 0.5, 10);
    ck_assert(sdrt_schedule_lr(&s, 0) == 1.0);
    ck_assert(sdrt_schedule_lr(&s, 9) == 1.0);
    ck_assert(sdrt_schedule_lr(&s, 10) == 0.5);
    ck_assert(sdrt_schedule_lr(&s, 25) == 0.25);
    ck_assert(sdrt_schedule_lr(&s, 30) == 0.125);
    ck_assert(sdrt_schedule_lr(&s, -5) == 1.0);
    SdrtSchedule s3 = sdrt_schedule_step(0.3, 0.1, 100);
    ck_assert_close(sdrt_schedule_lr(&s3, 250), 0.003, 1e-15);

    SdrtSchedule e = sdrt_schedule_exp(1.0, 0.5, 10);
    ck_assert(sdrt_schedule_lr(&e, 0) == 1.0);
    ck_assert(sdrt_schedule_lr(&e, 10) == 0.5);
    ck_assert(sdrt_schedule_lr(&e, 20) == 0.25);
    ck_assert_close(sdrt_schedule_lr(&e, 5), sqrt(0.5), 1e-15);
    ck_assert_close(sdrt_schedule_lr(&e, 15), 0.5 * sqrt(0.5), 1e-15);

    SdrtSchedule z = sdrt_schedule_step(1.0, 0.5, 0); /* every < 1: 1 */
    ck_assert(sdrt_schedule_lr(&z, 3) == 0.125);
}
END_TEST

START_TEST(test_schedule_drives_optimizer) {
    /* lr 1, 1, 0.5, 0.5, 0.25 with grad 1: theta = -(1+1+0.5+0.5+0.25) */
    SdrtSchedule s = sdrt_schedule_step(1.0, 0.5, 2);
    SdrtGD gd;
    sdrt_gd_init(&gd, 123.0);
    gd.schedule = &s;
    double theta = 0.0, g = 1.0;
    for (int i = 0; i < 5; i++)
        sdrt_gd_step(&gd, &theta, &g, 1);
    ck_assert(theta == -3.25);
    ck_assert(gd.lr == 0.25);
    ck_assert_int_eq(gd.t, 5);
}
END_TEST

/* ---- optimisers --------------------------------------------------------- */

START_TEST(test_gd_hand_steps) {
    /* f = (x0^2 + 4 x1^2)/2, g = (x0, 4 x1), lr 0.1, from (1, 1):
     * (1,1) -> (1 - 0.1, 1 - 0.4) = (0.9, 0.6)
     *       -> (0.9 - 0.09, 0.6 - 0.24) = (0.81, 0.36) */
    SdrtGD gd;
    sdrt_gd_init(&gd, 0.1);
    double x[2] = {1.0, 1.0}, g[2];
    const double want[2][2] = {{0.9, 0.6}, {0.81, 0.36}};
    for (int s = 0; s < 2; s++) {
        g[0] = x[0];
        g[1] = 4.0 * x[1];
        sdrt_gd_step(&gd, x, g, 2);
        ck_assert_close(x[0], want[s][0], 1e-15);
        ck_assert_close(x[1], want[s][1], 1e-15);
    }
}
END_TEST

START_TEST(test_momentum_hand_steps) {
    /* f = x^2/2, g = x, x0 = 1, lr 0.1, mu 0.9.
     * classical: v1 = -0.1, x1 = 0.9;  v2 = -0.09 - 0.09 = -0.18, x2 = 0.72
     * Nesterov:  v1 = -0.1, x1 = 1 + 0.9(-0.1) - 0.1 = 0.81;
     *            v2 = -0.09 - 0.081 = -0.171,
     *            x2 = 0.81 + 0.9(-0.171) - 0.081 = 0.5751 */
    const double want_x[2][2] = {{0.9, 0.72}, {0.81, 0.5751}};
    const double want_v[2][2] = {{-0.1, -0.18}, {-0.1, -0.171}};
    for (int nesterov = 0; nesterov <= 1; nesterov++) {
        SdrtMomentum m;
        double v = 42.0, x = 1.0, g;
        sdrt_momentum_init(&m, &v, 1, 0.1, 0.9, nesterov);
        ck_assert(v == 0.0);
        for (int s = 0; s < 2; s++) {
            g = x;
            sdrt_momentum_step(&m, &x, &g, 1);
            ck_assert_close(x, want_x[nesterov][s], 1e-15);
            ck_assert_close(v, want_v[nesterov][s], 1e-15);
        }
    }
}
END_TEST

START_TEST(test_adam_first_step_is_lr_sign) {
    double m[4], v[4];
    SdrtAdam a;
    sdrt_adam_init(&a, m, v, 4, 0.01, 0.9, 0.999, 1e-12);
    double x[4] = {1.0, 1.0, 1.0, 1.0};
    const double g[4] = {0.5, -2.0, 1e-3, 0.0};
    sdrt_adam_step(&a, x, g, 4);
    /* mhat = g, vhat = g^2: step lr g/(|g| + eps) */
    ck_assert_close(x[0], 1.0 - 0.01, 1e-12);
    ck_assert_close(x[1], 1.0 + 0.01, 1e-12);
    ck_assert_close(x[2], 1.0 - 0.01, 1e-10);
    ck_assert(x[3] == 1.0);
    ck_assert_int_eq(a.t, 1);
    /* the scale of g does not matter */
    sdrt_adam_init(&a, m, v, 1, 0.5, 0.9, 0.999, 1e-8);
    double y = 0.0, big = 1e6;
    sdrt_adam_step(&a, &y, &big, 1);
    ck_assert_close(y, -0.5, 1e-12);
}
END_TEST

START_TEST(test_adam_hand_steps) {
    /* lr 0.1, b1 0.9, b2 0.999, eps 1e-8, theta0 = 1, g = 1, 0.5, -0.25:
     * t=1: m = 0.1, v = 0.001; mhat = 1, vhat = 1; theta = 1 - 0.1/(1+1e-8)
     * t=2: m = 0.14, v = 0.001249; mhat = 0.14/0.19, vhat = 0.001249/0.001999
     * t=3: m = 0.101, v = 0.001310251; mhat = 0.101/0.271,
     *      vhat = 0.001310251/0.002997001 */
    const double g[3] = {1.0, 0.5, -0.25};
    const double want_m[3] = {0.1, 0.14, 0.101};
    const double want_v[3] = {0.001, 0.001249, 0.001310251};
    const double want_theta[3] = {0.900000001, 0.8067820382981611,
                                  0.7504159014963296};
    double m, v, theta = 1.0;
    SdrtAdam a;
    sdrt_adam_init(&a, &m, &v, 1, 0.1, 0.9, 0.999, 1e-8);
    for (int t = 0; t < 3; t++) {
        sdrt_adam_step(&a, &theta, &g[t], 1);
        ck_assert_close(m, want_m[t], 1e-14);
        ck_assert_close(v, want_v[t], 1e-14);
        ck_assert_close(theta, want_theta[t], 1e-14);
    }
    /* step 2 written out in full */
    double mhat = 0.14 / 0.19, vhat = 0.001249 / 0.001999;
    double step2 = 0.1 * mhat / (sqrt(vhat) + 1e-8);
    ck_assert_close(want_theta[1], 0.900000001 - step2, 1e-14);
}
END_TEST

START_TEST(test_optimizers_minimise_quadratic) {
    double vel[3], m[3], v[3], g[3];
    SdrtGD gd;
    SdrtMomentum mom, nes;
    SdrtAdam adam;
    SdrtSchedule decay = sdrt_schedule_exp(0.1, 0.5, 200);
    sdrt_gd_init(&gd, 0.2);
    sdrt_adam_init(&adam, m, v, 3, 0.1, 0.9, 0.999, 1e-8);
    adam.schedule = &decay;
    SdrtOptim opts[4];
    opts[0] = sdrt_optim_gd(&gd);
    opts[1] = sdrt_optim_momentum(&mom);
    opts[2] = sdrt_optim_momentum(&nes);
    opts[3] = sdrt_optim_adam(&adam);
    for (int k = 0; k < 4; k++) {
        if (k == 1)
            sdrt_momentum_init(&mom, vel, 3, 0.1, 0.9, 0);
        if (k == 2)
            sdrt_momentum_init(&nes, vel, 3, 0.1, 0.9, 1);
        double x[3] = {0.0, 0.0, 0.0};
        SdrtMinimize res;
        int st = sdrt_minimize(quad_grad, NULL, opts[k], x, g, 3, 20000, 1e-9,
                               &res);
        ck_assert_msg(st == SDRT_OK, "optimiser %d: %s after %ld steps", k,
                      sdrt_strerror(st), res.steps);
        ck_assert(res.steps > 0 && res.gmax <= 1e-9);
        for (int i = 0; i < 3; i++)
            ck_assert(fabs(x[i] - quad_c[i]) < 1e-8);
        ck_assert(res.loss < 1e-16);
    }
    /* Nesterov damps the oscillation: it needs fewer steps than classical */
    ck_assert_int_lt(nes.t, mom.t);
}
END_TEST

START_TEST(test_optim_dispatch_matches_direct) {
    double v1[2], v2[2], m1[2], m2[2], w1[2], w2[2];
    SdrtMomentum a, b;
    SdrtAdam c, d;
    sdrt_momentum_init(&a, v1, 2, 0.05, 0.8, 1);
    sdrt_momentum_init(&b, v2, 2, 0.05, 0.8, 1);
    sdrt_adam_init(&c, m1, w1, 2, 0.05, 0.9, 0.99, 1e-8);
    sdrt_adam_init(&d, m2, w2, 2, 0.05, 0.9, 0.99, 1e-8);
    double x1[2] = {1, 2}, x2[2] = {1, 2}, y1[2] = {1, 2}, y2[2] = {1, 2};
    const double g[2] = {0.3, -0.7};
    for (int s = 0; s < 5; s++) {
        sdrt_momentum_step(&a, x1, g, 2);
        sdrt_optim_step(sdrt_optim_momentum(&b), x2, g, 2);
        sdrt_adam_step(&c, y1, g, 2);
        sdrt_optim_step(sdrt_optim_adam(&d), y2, g, 2);
    }
    ck_assert(x1[0] == x2[0] && x1[1] == x2[1]);
    ck_assert(y1[0] == y2[0] && y1[1] == y2[1]);
}
END_TEST

/* loss and gradient NaN, as after an overflow */
static double nan_grad(const double *x, double *g, void *ctx) {
    (void)x;
    (void)ctx;
    g[0] = DNAN;
    return DNAN;
}

START_TEST(test_minimize_stops) {
    SdrtGD gd;
    sdrt_gd_init(&gd, 1e-3);
    double x[3] = {0, 0, 0}, g[3];
    SdrtMinimize res;
    ck_assert_int_eq(sdrt_minimize(quad_grad, NULL, sdrt_optim_gd(&gd), x, g,
                                   3, 3, 1e-12, &res),
                     SDRT_ERR_MAXSTEPS);
    ck_assert_int_eq(res.steps, 3);
    ck_assert_int_eq(gd.t, 3);
    /* the reported loss is the one at the returned x */
    double g2[3];
    ck_assert(res.loss == quad_grad(x, g2, NULL));
    ck_assert_int_eq(sdrt_minimize(nan_grad, NULL, sdrt_optim_gd(&gd), x, g,
                                   1, 100, 1e-12, &res),
                     SDRT_ERR_NONFINITE);
    ck_assert_int_eq(res.steps, 0);
    ck_assert_int_eq(gd.t, 3); /* no step taken */
}
END_TEST

/* ---- minibatch epochs --------------------------------------------------- */

typedef struct Regression {
    const double *X, *y;
    size_t d;
} Regression;

/* mean over the batch of (x_i . theta - y_i)^2 / 2 and its gradient */
static double regression_batch(const double *theta, double *grad,
                               const size_t *idx, size_t count, void *ctx) {
    const Regression *r = ctx;
    double loss = 0.0;
    for (size_t j = 0; j < r->d; j++)
        grad[j] = 0.0;
    for (size_t k = 0; k < count; k++) {
        const double *row = r->X + idx[k] * r->d;
        double e = sdrt_dot(row, theta, r->d) - r->y[idx[k]];
        loss += 0.5 * e * e;
        sdrt_axpy(e / (double)count, row, grad, r->d);
    }
    return loss / (double)count;
}

START_TEST(test_minibatch_linear_regression) {
    enum { N = 200, D = 3 };
    static double X[N * D], y[N];
    const double truth[D] = {1.0, -2.0, 0.5};
    SdrtRng rng;
    sdrt_rng_seed(&rng, 77);
    sdrt_data_linear(&rng, X, y, N, D, truth, 0.01);
    double best[D], scratch[SDRT_NORMAL_EQ_SCRATCH(D)];
    ck_assert_int_eq(sdrt_normal_eq(X, y, N, D, 0.0, best, scratch), SDRT_OK);
    for (int j = 0; j < D; j++)
        ck_assert(fabs(best[j] - truth[j]) < 0.01);

    Regression ctx = {X, y, D};
    size_t idx[N];
    SdrtBatcher b;
    sdrt_batcher_init(&b, idx, N, 16);
    double theta[D] = {0, 0, 0}, grad[D], vel[D];
    SdrtMomentum mom;
    SdrtSchedule sched = sdrt_schedule_step(0.1, 0.5, 13 * 40);
    sdrt_momentum_init(&mom, vel, D, 0.1, 0.9, 1);
    mom.schedule = &sched;
    double first = 0.0, loss = 0.0;
    for (int epoch = 0; epoch < 300; epoch++) {
        int st = sdrt_minibatch_epoch(&b, &rng, regression_batch, &ctx,
                                      sdrt_optim_momentum(&mom), theta, grad,
                                      D, &loss);
        ck_assert_int_eq(st, SDRT_OK);
        if (epoch == 0)
            first = loss;
    }
    ck_assert_int_eq(mom.t, 300 * 13); /* ceil(200/16) = 13 steps per epoch */
    ck_assert(first > 0.1);
    ck_assert(loss < 1e-4); /* noise^2 / 2 = 5e-5 */
    for (int j = 0; j < D; j++)
        ck_assert_msg(fabs(theta[j] - best[j]) < 1e-4, "theta[%d] %g vs %g",
                      j, theta[j], best[j]);
}
END_TEST

typedef struct Visits {
    int seen[10];
    int calls;
    int nan_at; /* call number returning NaN, or -1 */
} Visits;

/* loss = batch length, gradient 0; counts visits */
static double visiting_batch(const double *theta, double *grad,
                             const size_t *idx, size_t count, void *ctx) {
    Visits *v = ctx;
    (void)theta;
    grad[0] = 0.0;
    for (size_t k = 0; k < count; k++)
        v->seen[idx[k]]++;
    if (v->calls++ == v->nan_at)
        return DNAN;
    return (double)count;
}

START_TEST(test_minibatch_epoch_loss_and_visits) {
    size_t idx[10];
    SdrtBatcher b;
    SdrtRng rng;
    SdrtGD gd;
    double theta = 0.0, grad, loss;
    Visits v;
    memset(&v, 0, sizeof v);
    v.nan_at = -1;
    sdrt_rng_seed(&rng, 5);
    sdrt_gd_init(&gd, 0.1);
    sdrt_batcher_init(&b, idx, 10, 3);
    ck_assert_int_eq(sdrt_minibatch_epoch(&b, &rng, visiting_batch, &v,
                                          sdrt_optim_gd(&gd), &theta, &grad, 1,
                                          &loss),
                     SDRT_OK);
    /* sum m_k L_k / N with L_k = m_k: (9 + 9 + 9 + 1) / 10 */
    ck_assert_close(loss, 2.8, 1e-15);
    ck_assert_int_eq(v.calls, 4);
    ck_assert_int_eq(gd.t, 4);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(v.seen[i], 1);

    v.calls = 0;
    v.nan_at = 1;
    ck_assert_int_eq(sdrt_minibatch_epoch(&b, NULL, visiting_batch, &v,
                                          sdrt_optim_gd(&gd), &theta, &grad, 1,
                                          &loss),
                     SDRT_ERR_NONFINITE);
    ck_assert(isnan(loss));
    ck_assert_int_eq(v.calls, 2);
    ck_assert_int_eq(gd.t, 5); /* only the first batch stepped */
}
END_TEST

/* ---- gradient check ----------------------------------------------------- */

/* f(x) = sin(x0) x1 + exp(x2 / 1000) + x0 x2^2 / 1000 (x2 large) */
static double gc_value(const double *x, void *ctx) {
    (void)ctx;
    return sin(x[0]) * x[1] + exp(x[2] / 1000.0) + x[0] * x[2] * x[2] / 1000.0;
}

static double gc_grad(const double *x, double *g, void *ctx) {
    g[0] = cos(x[0]) * x[1] + x[2] * x[2] / 1000.0;
    g[1] = sin(x[0]);
    g[2] = exp(x[2] / 1000.0) / 1000.0 + 2.0 * x[0] * x[2] / 1000.0;
    return gc_value(x, ctx);
}

/* the same with a 1% error in component 2 */
static double gc_grad_wrong(const double *x, double *g, void *ctx) {
    double f = gc_grad(x, g, ctx);
    g[2] *= 1.01;
    return f;
}

START_TEST(test_gradcheck_passes_right_gradient) {
    const double x[3] = {0.7, -1.3, 800.0};
    double scratch[SDRT_GRADCHECK_SCRATCH(3)];
    SdrtGradCheck res;
    double err = sdrt_gradcheck(gc_value, gc_grad, NULL, x, 3, 0.0, 0.0,
                                scratch, &res);
    ck_assert_msg(err < 1e-7, "err %g at %zu", err, res.worst);
    ck_assert(err == res.max_err);
    /* without a separate value function */
    err = sdrt_gradcheck(NULL, gc_grad, NULL, x, 3, 0.0, 0.0, scratch, NULL);
    ck_assert(err < 1e-7);
    /* n = 0 */
    ck_assert(sdrt_gradcheck(gc_value, gc_grad, NULL, x, 0, 0.0, 0.0, scratch,
                             NULL) == 0.0);
}
END_TEST

START_TEST(test_gradcheck_detects_wrong_gradient) {
    const double x[3] = {0.7, -1.3, 800.0};
    double scratch[SDRT_GRADCHECK_SCRATCH(3)];
    SdrtGradCheck res;
    double err = sdrt_gradcheck(gc_value, gc_grad_wrong, NULL, x, 3, 0.0, 0.0,
                                scratch, &res);
    ck_assert(err > 1e-3);
    ck_assert_uint_eq(res.worst, 2);
    double g[3];
    gc_grad(x, g, NULL);
    ck_assert_close(res.analytic, 1.01 * g[2], 1e-15);
    ck_assert_close(res.numeric, g[2], 1e-8);
}
END_TEST

static double square(const double *x, void *ctx) {
    return *(const double *)ctx * x[0] * x[0];
}

/* twice the true gradient 2 c x */
static double square_grad_doubled(const double *x, double *g, void *ctx) {
    g[0] = 4.0 * *(const double *)ctx * x[0];
    return square(x, ctx);
}

static double square_grad(const double *x, double *g, void *ctx) {
    g[0] = 2.0 * *(const double *)ctx * x[0];
    return square(x, ctx);
}

static double cube(const double *x, void *ctx) {
    return *(const double *)ctx * x[0] * x[0] * x[0];
}

static double cube_grad(const double *x, double *g, void *ctx) {
    g[0] = 3.0 * *(const double *)ctx * x[0] * x[0];
    return cube(x, ctx);
}

START_TEST(test_gradcheck_error_definition) {
    /* c = 1, x = 1: a = 4, d = 2; err = |4 - 2| / max(1, 6) = 1/3 */
    double c = 1.0, x = 1.0, scratch[SDRT_GRADCHECK_SCRATCH(1)];
    double err = sdrt_gradcheck(square, square_grad_doubled, &c, &x, 1, 0.0,
                                0.0, scratch, NULL);
    ck_assert_close(err, 1.0 / 3.0, 1e-9);
    /* c = 1e-3: a = 4e-3, d = 2e-3, below the default floor 1:
     * err = 2e-3 / 1; with floor 1e-6 it is relative again, 1/3 */
    c = 1e-3;
    err = sdrt_gradcheck(square, square_grad_doubled, &c, &x, 1, 0.0, 0.0,
                         scratch, NULL);
    ck_assert_close(err, 2e-3, 1e-8);
    err = sdrt_gradcheck(square, square_grad_doubled, &c, &x, 1, 0.0, 1e-6,
                         scratch, NULL);
    ck_assert_close(err, 1.0 / 3.0, 1e-8);
    /* the step is relative: for f = x^3 and h = 1e-2 the central difference
     * is exactly ((x+h)^3 - (x-h)^3) / 2h = 3x^2 + h^2 (up to rounding) */
    SdrtGradCheck res;
    c = 1.0;
    x = 1.0;
    sdrt_gradcheck(cube, cube_grad, &c, &x, 1, 1e-2, 0.0, scratch, &res);
    ck_assert_close(res.numeric, 3.0 + 1e-4, 1e-12);
    ck_assert(res.analytic == 3.0);
    x = 100.0; /* h = 1e-2 * 100 = 1: 3 x^2 + 1 */
    sdrt_gradcheck(cube, cube_grad, &c, &x, 1, 1e-2, 0.0, scratch, &res);
    ck_assert_close(res.numeric, 30001.0, 1e-12);
    /* scaled steps keep large coordinates accurate: an absolute step
     * of 6e-6 at x = 1e8 would give err ~ 4e-4 from rounding alone */
    x = 1e8;
    ck_assert(sdrt_gradcheck(square, square_grad, &c, &x, 1, 0.0, 0.0,
                             scratch, NULL) < 1e-9);
    /* a non-finite gradient is an infinite error */
    x = 0.5;
    err = sdrt_gradcheck(square, nan_grad, &c, &x, 1, 0.0, 0.0, scratch,
                         NULL);
    ck_assert(isinf(err));
}
END_TEST

static float fsq_value(const float *x, void *ctx) {
    (void)ctx;
    return x[0] * x[0] * x[1] + sinf(x[1]);
}

static float fsq_grad(const float *x, float *g, void *ctx) {
    g[0] = 2.0f * x[0] * x[1];
    g[1] = x[0] * x[0] + cosf(x[1]);
    return fsq_value(x, ctx);
}

static float fsq_grad_wrong(const float *x, float *g, void *ctx) {
    float f = fsq_grad(x, g, ctx);
    g[1] *= 1.1f;
    return f;
}

START_TEST(test_gradcheck_float) {
    const float x[2] = {1.5f, -0.4f};
    float scratch[SDRT_GRADCHECK_SCRATCH(2)];
    SdrtGradCheck res;
    double err = sdrt_gradcheck_f(fsq_value, fsq_grad, NULL, x, 2, 0.0, 0.0,
                                  scratch, &res);
    ck_assert_msg(err < 1e-3, "float err %g", err);
    err = sdrt_gradcheck_f(NULL, fsq_grad_wrong, NULL, x, 2, 0.0, 0.0, scratch,
                           &res);
    ck_assert(err > 1e-2);
    ck_assert_uint_eq(res.worst, 1);
}
END_TEST

/* ---- datasets ----------------------------------------------------------- */

START_TEST(test_data_spirals) {
    enum { N = 301 };
    static double X[2 * N], X2[2 * N];
    static int y[N], y2[N];
    SdrtRng r;
    sdrt_rng_seed(&r, 8);
    ck_assert_int_eq(sdrt_data_spirals(&r, X, y, N, 3, 0.0), SDRT_OK);
    int count[3] = {0};
    for (size_t i = 0; i < N; i++) {
        ck_assert(y[i] >= 0 && y[i] < 3);
        count[y[i]]++;
        double rad = hypot(X[2 * i], X[2 * i + 1]);
        ck_assert(rad > 0.0 && rad < 1.0);
    }
    ck_assert_int_eq(count[0], 101);
    ck_assert_int_eq(count[1], 100);
    ck_assert_int_eq(count[2], 100);
    /* the first point of arm c sits at angle 2 pi c / 3 + 3.5 pi r */
    const double pi = acos(-1.0);
    double r0 = 0.5 / 100.0, a1 = 2.0 * pi / 3.0 + 3.5 * pi * r0;
    ck_assert_close(X[2], r0 * cos(a1), 1e-15);
    ck_assert_close(X[3], r0 * sin(a1), 1e-15);
    /* determinism, and the seed matters once there is noise */
    sdrt_rng_seed(&r, 8);
    sdrt_data_spirals(&r, X, y, N, 2, 0.1);
    sdrt_rng_seed(&r, 8);
    sdrt_data_spirals(&r, X2, y2, N, 2, 0.1);
    ck_assert(memcmp(X, X2, sizeof X) == 0 && memcmp(y, y2, sizeof y) == 0);
    sdrt_rng_seed(&r, 9);
    sdrt_data_spirals(&r, X2, y2, N, 2, 0.1);
    ck_assert(memcmp(X, X2, sizeof X) != 0);
    ck_assert_int_eq(sdrt_data_spirals(&r, X, y, N, 0, 0.1), SDRT_ERR_ARG);
}
END_TEST

START_TEST(test_data_circles) {
    enum { N = 200 };
    double X[2 * N];
    int y[N], ones = 0;
    SdrtRng r;
    sdrt_rng_seed(&r, 10);
    sdrt_data_circles(&r, X, y, N, 0.0);
    for (size_t i = 0; i < N; i++) {
        double rad = hypot(X[2 * i], X[2 * i + 1]);
        ck_assert(y[i] == 0 || y[i] == 1);
        if (y[i] == 1)
            ck_assert(rad < 0.5 + 1e-12);
        else
            ck_assert(rad > 0.7 - 1e-12 && rad < 1.0 + 1e-12);
        ones += y[i];
    }
    ck_assert_int_eq(ones, N / 2);
}
END_TEST

START_TEST(test_data_xor) {
    enum { N = 400 };
    double X[2 * N], X2[2 * N];
    int y[N], y2[N], ones = 0;
    SdrtRng r;
    sdrt_rng_seed(&r, 12);
    sdrt_data_xor(&r, X, y, N, 0.0);
    for (size_t i = 0; i < N; i++) {
        double a = X[2 * i], b = X[2 * i + 1];
        ck_assert_int_eq(y[i], a * b < 0.0);
        ck_assert(fabs(a) >= 0.05 && fabs(a) <= 1.0);
        ck_assert(fabs(b) >= 0.05 && fabs(b) <= 1.0);
        ones += y[i];
    }
    ck_assert_int_eq(ones, N / 2);
    sdrt_rng_seed(&r, 12);
    sdrt_data_xor(&r, X2, y2, N, 0.0);
    ck_assert(memcmp(X, X2, sizeof X) == 0);
}
END_TEST

START_TEST(test_data_blobs) {
    enum { N = 3000 };
    static double X[2 * N];
    static int y[N];
    const double centers[6] = {-2.0, 0.0, 2.0, 1.0, 0.0, -3.0};
    SdrtRng r;
    sdrt_rng_seed(&r, 13);
    ck_assert_int_eq(sdrt_data_blobs(&r, X, y, N, 3, centers, 0.1), SDRT_OK);
    double sum[3][2] = {{0}};
    int count[3] = {0};
    for (size_t i = 0; i < N; i++) {
        ck_assert(y[i] >= 0 && y[i] < 3);
        count[y[i]]++;
        sum[y[i]][0] += X[2 * i];
        sum[y[i]][1] += X[2 * i + 1];
    }
    for (int c = 0; c < 3; c++) {
        ck_assert_int_eq(count[c], N / 3);
        /* standard error 0.1 / sqrt(1000) ~ 0.003 */
        ck_assert(fabs(sum[c][0] / count[c] - centers[2 * c]) < 0.015);
        ck_assert(fabs(sum[c][1] / count[c] - centers[2 * c + 1]) < 0.015);
    }
    /* default centers on the unit circle; stddev 0 puts points on them */
    sdrt_data_blobs(&r, X, y, 8, 4, NULL, 0.0);
    ck_assert_close(X[0], 1.0, 1e-15);
    ck_assert_close(X[1], 0.0, 1e-15);
    ck_assert_close(X[2], 0.0, 1e-15);
    ck_assert_close(X[3], 1.0, 1e-15);
    ck_assert_close(hypot(X[14], X[15]), 1.0, 1e-15);
    ck_assert_int_eq(y[7], 3);
    ck_assert_int_eq(sdrt_data_blobs(&r, X, y, N, 0, NULL, 1.0), SDRT_ERR_ARG);
}
END_TEST

START_TEST(test_data_linear) {
    enum { N = 50, D = 4 };
    double X[N * D], y[N];
    const double theta[D] = {0.5, -1.0, 2.0, 3.0};
    SdrtRng r;
    sdrt_rng_seed(&r, 14);
    sdrt_data_linear(&r, X, y, N, D, theta, 0.0);
    for (size_t i = 0; i < N; i++) {
        double s = 0.0;
        for (size_t j = 0; j < D; j++) {
            ck_assert(X[i * D + j] >= -1.0 && X[i * D + j] < 1.0);
            s += X[i * D + j] * theta[j];
        }
        ck_assert(y[i] == s);
    }
}
END_TEST

START_TEST(test_one_hot) {
    const int labels[3] = {0, 2, 1};
    double out[9];
    ck_assert_int_eq(sdrt_one_hot(labels, 3, 3, out), SDRT_OK);
    const double want[9] = {1, 0, 0, 0, 0, 1, 0, 1, 0};
    for (int i = 0; i < 9; i++)
        ck_assert(out[i] == want[i]);
    const int bad[2] = {1, 3};
    double out2[6] = {9, 9, 9, 9, 9, 9};
    ck_assert_int_eq(sdrt_one_hot(bad, 2, 3, out2), SDRT_ERR_ARG);
    ck_assert(out2[1] == 1.0 && out2[3] == 0.0 && out2[4] == 0.0 &&
              out2[5] == 0.0);
}
END_TEST

/* ---- CSV ---------------------------------------------------------------- */

START_TEST(test_csv_good) {
    char path[32], err[256];
    write_temp(path, "1,2,3\n4.5, -6e2 ,.5\n+7.,8E-1,\t-0\n");
    SdrtCsv csv;
    int st = sdrt_csv_load(path, 0, &csv, err, sizeof err);
    unlink(path); /* before any assertion can end the test */
    ck_assert_msg(st == SDRT_OK, "%s", err);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(csv.rows, 3);
    ck_assert_uint_eq(csv.cols, 3);
    const double want[9] = {1, 2, 3, 4.5, -600, 0.5, 7, 0.8, 0};
    for (int i = 0; i < 9; i++)
        ck_assert(csv.data[i] == want[i]);
    sdrt_csv_free(&csv);
    ck_assert(csv.data == NULL && csv.rows == 0);
    sdrt_csv_free(&csv); /* twice is fine */
}
END_TEST

START_TEST(test_csv_header_crlf_blank_no_final_newline) {
    char path[32], err[256];
    write_temp(path, "\r\nx, y\r\n1,2\r\n\r\n   \n3,4");
    SdrtCsv csv;
    int st = sdrt_csv_load(path, 1, &csv, err, sizeof err);
    unlink(path);
    ck_assert_msg(st == SDRT_OK, "%s", err);
    ck_assert_uint_eq(csv.rows, 2);
    ck_assert_uint_eq(csv.cols, 2);
    ck_assert(csv.data[0] == 1 && csv.data[1] == 2 && csv.data[2] == 3 &&
              csv.data[3] == 4);
    sdrt_csv_free(&csv);
}
END_TEST

/* {file contents, header flag, status, message after "<path>:"} */
static const struct {
    const char *text;
    int header;
    int status;
    const char *msg;
} csv_errors[] = {
    {"1,2\n3,x\n", 0, SDRT_ERR_PARSE, "2:3: error: malformed number \"x\""},
    {"1,2\n\n3, 1.2.3\n", 0, SDRT_ERR_PARSE,
     "3:4: error: malformed number \"1.2.3\""},
    {"nan\n", 0, SDRT_ERR_PARSE, "1:1: error: malformed number \"nan\""},
    {"1\ninf\n", 0, SDRT_ERR_PARSE, "2:1: error: malformed number \"inf\""},
    {"0x10\n", 0, SDRT_ERR_PARSE, "1:1: error: malformed number \"0x10\""},
    {"1e\n", 0, SDRT_ERR_PARSE, "1:1: error: malformed number \"1e\""},
    {"--1\n", 0, SDRT_ERR_PARSE, "1:1: error: malformed number \"--1\""},
    {".\n", 0, SDRT_ERR_PARSE, "1:1: error: malformed number \".\""},
    {"1 2\n", 0, SDRT_ERR_PARSE, "1:1: error: malformed number \"1 2\""},
    {"\"1\"\n", 0, SDRT_ERR_PARSE, "1:1: error: malformed number \"\"1\"\""},
    {"1,2,\n", 0, SDRT_ERR_PARSE, "1:5: error: empty field (field 3)"},
    {"1,,2\n", 0, SDRT_ERR_PARSE, "1:3: error: empty field (field 2)"},
    {"1e999\n", 0, SDRT_ERR_PARSE,
     "1:1: error: number out of range \"1e999\""},
    {"1,2\r\n3\r\n", 0, SDRT_ERR_SHAPE,
     "2:2: error: too few fields (expected 2, found 1)"},
    {"1,2\n3,4,5\n", 0, SDRT_ERR_SHAPE,
     "2:5: error: too many fields (expected 2)"},
    {"a,b,c\n1,2\n", 1, SDRT_ERR_SHAPE,
     "2:4: error: too few fields (expected 3, found 2)"},
    {"a,b\n1,2\n", 0, SDRT_ERR_PARSE, "1:1: error: malformed number \"a\""},
    {"", 0, SDRT_ERR_EMPTY, " error: no data rows"},
    {"\n \n", 0, SDRT_ERR_EMPTY, " error: no data rows"},
    {"a,b\n", 1, SDRT_ERR_EMPTY, " error: no data rows"},
    {"1234567890123456789012345678901234567890123x\n", 0, SDRT_ERR_PARSE,
     "1:1: error: malformed number "
     "\"1234567890123456789012345678901234567890...\""},
};

START_TEST(test_csv_errors) {
    char path[32], err[256], want[300];
    SdrtCsv csv;
    const char *text = csv_errors[_i].text;
    write_temp(path, text);
    int st = sdrt_csv_load(path, csv_errors[_i].header, &csv, err, sizeof err);
    unlink(path);
    ck_assert_msg(st == csv_errors[_i].status, "case %d: status %d (%s)", _i,
                  st, err);
    ck_assert(csv.data == NULL && csv.rows == 0 && csv.cols == 0);
    snprintf(want, sizeof want, "%s:%s", path, csv_errors[_i].msg);
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_csv_missing_file_and_small_buffers) {
    char err[256];
    SdrtCsv csv;
    int st = sdrt_csv_load("/nonexistent/sdrt.csv", 0, &csv, err, sizeof err);
    ck_assert_int_eq(st, SDRT_ERR_IO);
    ck_assert(strncmp(err, "/nonexistent/sdrt.csv: error: cannot open: ",
                      43) == 0);
    /* a short buffer is truncated, a NULL one is allowed */
    char tiny[8];
    st = sdrt_csv_load("/nonexistent/sdrt.csv", 0, &csv, tiny, sizeof tiny);
    ck_assert_int_eq(st, SDRT_ERR_IO);
    ck_assert_str_eq(tiny, "/nonexi");
    ck_assert_int_eq(sdrt_csv_load("/nonexistent/sdrt.csv", 0, &csv, NULL, 0),
                     SDRT_ERR_IO);
}
END_TEST

START_TEST(test_csv_large) {
    /* more rows than the initial buffers: growth paths */
    char path[32] = "/tmp/sdrt_csv_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs("i,sq,half\n", f);
    for (int i = 0; i < 5000; i++)
        fprintf(f, "%d,%d,%.17g\n", i, i * i, i / 2.0);
    fclose(f);
    SdrtCsv csv;
    char err[256];
    int st = sdrt_csv_load(path, 1, &csv, err, sizeof err);
    unlink(path);
    ck_assert_msg(st == SDRT_OK, "%s", err);
    ck_assert_uint_eq(csv.rows, 5000);
    ck_assert_uint_eq(csv.cols, 3);
    for (size_t i = 0; i < 5000; i++) {
        ck_assert(csv.data[3 * i] == (double)i);
        ck_assert(csv.data[3 * i + 1] == (double)(i * i));
        ck_assert(csv.data[3 * i + 2] == (double)i / 2.0);
    }
    sdrt_csv_free(&csv);
}
END_TEST

/* ---- linear algebra ----------------------------------------------------- */

START_TEST(test_solve_known_systems) {
    /* 2x + y - z = 8, -3x - y + 2z = -11, -2x + y + 2z = -3: (2, 3, -1) */
    double A[9] = {2, 1, -1, -3, -1, 2, -2, 1, 2}, b[3] = {8, -11, -3};
    ck_assert_int_eq(sdrt_solve(A, b, 3), SDRT_OK);
    ck_assert_close(b[0], 2.0, 1e-14);
    ck_assert_close(b[1], 3.0, 1e-14);
    ck_assert_close(b[2], -1.0, 1e-14);
    /* a zero leading entry needs a row swap */
    double P[4] = {0, 1, 1, 0}, c[2] = {2, 3};
    ck_assert_int_eq(sdrt_solve(P, c, 2), SDRT_OK);
    ck_assert(c[0] == 3.0 && c[1] == 2.0);
    double S[4] = {1, 2, 2, 4}, s[2] = {1, 1};
    ck_assert_int_eq(sdrt_solve(S, s, 2), SDRT_ERR_SINGULAR);
    double Z[1] = {0}, z[1] = {1};
    ck_assert_int_eq(sdrt_solve(Z, z, 1), SDRT_ERR_SINGULAR);
    ck_assert_int_eq(sdrt_solve(NULL, NULL, 0), SDRT_OK);
}
END_TEST

START_TEST(test_cholesky) {
    /* A = L L^T with L = [[2,0,0],[6,1,0],[-8,5,3]]; x = (1,2,3) */
    double A[9] = {4, 12, -16, 12, 37, -43, -16, -43, 98};
    double b[3] = {-20, -43, 192};
    ck_assert_int_eq(sdrt_cholesky_solve(A, b, 3), SDRT_OK);
    ck_assert_close(A[0], 2.0, 1e-15);
    ck_assert_close(A[3], 6.0, 1e-15);
    ck_assert_close(A[4], 1.0, 1e-15);
    ck_assert_close(A[6], -8.0, 1e-15);
    ck_assert_close(A[7], 5.0, 1e-15);
    ck_assert_close(A[8], 3.0, 1e-15);
    ck_assert_close(b[0], 1.0, 1e-13);
    ck_assert_close(b[1], 2.0, 1e-13);
    ck_assert_close(b[2], 3.0, 1e-13);
    double N[4] = {1, 2, 2, 1}, n[2] = {1, 1}; /* eigenvalues 3, -1 */
    ck_assert_int_eq(sdrt_cholesky_solve(N, n, 2), SDRT_ERR_SINGULAR);
}
END_TEST

START_TEST(test_normal_equations) {
    enum { N = 40, D = 3 };
    double X[N * D], y[N], theta[D], scratch[SDRT_NORMAL_EQ_SCRATCH(D)];
    const double truth[D] = {2.0, -1.0, 0.25};
    SdrtRng r;
    sdrt_rng_seed(&r, 15);
    sdrt_data_linear(&r, X, y, N, D, truth, 0.0);
    ck_assert_int_eq(sdrt_normal_eq(X, y, N, D, 0.0, theta, scratch), SDRT_OK);
    for (int j = 0; j < D; j++)
        ck_assert_close(theta[j], truth[j], 1e-12);
    /* duplicate column: rank deficient unless regularised */
    for (int i = 0; i < N; i++)
        X[i * D + 2] = X[i * D + 1];
    ck_assert_int_eq(sdrt_normal_eq(X, y, N, D, 0.0, theta, scratch),
                     SDRT_ERR_SINGULAR);
    ck_assert_int_eq(sdrt_normal_eq(X, y, N, D, 1e-3, theta, scratch),
                     SDRT_OK);
    /* ridge splits the weight evenly between the two equal columns */
    ck_assert_close(theta[1], theta[2], 1e-9);
}
END_TEST

START_TEST(test_vector_helpers) {
    const double a[3] = {1, 2, 3}, b[3] = {4, -5, 6};
    ck_assert(sdrt_dot(a, b, 3) == 12.0);
    ck_assert(sdrt_dot(a, b, 0) == 0.0);
    double y[3] = {1, 1, 1};
    sdrt_axpy(2.0, a, y, 3);
    ck_assert(y[0] == 3.0 && y[1] == 5.0 && y[2] == 7.0);
    const double big[2] = {3e200, -4e200}, small[2] = {3e-200, 4e-200};
    ck_assert_close(sdrt_nrm2(big, 2) / 5e200, 1.0, 1e-15);
    ck_assert_close(sdrt_nrm2(small, 2) / 5e-200, 1.0, 1e-15);
    ck_assert(sdrt_nrm2(a, 0) == 0.0);
    const double bad[2] = {1.0, DNAN};
    ck_assert(isnan(sdrt_nrm2(bad, 2)));
}
END_TEST

/* ---- reporting and accuracy --------------------------------------------- */

START_TEST(test_report_epoch_format) {
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(sdrt_report_epoch(f, 10, 200, 0.123456, 0.975), 0);
    ck_assert_int_eq(sdrt_report_epoch(f, 1, 5, 0.5, -1.0), 0);
    ck_assert_int_eq(sdrt_report_epoch(f, 2, 5, 1234.5678, DNAN), 0);
    ck_assert_int_eq(sdrt_report_epoch(f, 3, 5, 1e-9, 1.0), 0);
    ck_assert_int_eq(sdrt_report_epoch(f, 7, 0, 2.0, 0.0), 0);
    char buf[512];
    slurp(f, buf, sizeof buf);
    ck_assert_str_eq(buf, "epoch 10/200  loss 0.123456  acc 97.50%\n"
                          "epoch 1/5  loss 0.500000\n"
                          "epoch 2/5  loss 1234.57\n"
                          "epoch 3/5  loss 1.00000e-09  acc 100.00%\n"
                          "epoch 7  loss 2.00000  acc 0.00%\n");
    fclose(f);
}
END_TEST

START_TEST(test_progress_plain) {
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    SdrtProgress p;
    sdrt_progress_init(&p, f, 25, 10);
    ck_assert_int_eq(p.tty, 0); /* a file is not a terminal */
    for (long e = 1; e <= 25; e++)
        ck_assert_int_eq(sdrt_progress_update(&p, e, 1.0 / (double)e, -1.0),
                         0);
    ck_assert_int_eq(sdrt_progress_finish(&p), 0);
    char buf[512];
    slurp(f, buf, sizeof buf);
    ck_assert_str_eq(buf, "epoch 10/25  loss 0.100000\n"
                          "epoch 20/25  loss 0.0500000\n"
                          "epoch 25/25  loss 0.0400000\n");
    fclose(f);
}
END_TEST

START_TEST(test_progress_terminal_line) {
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    SdrtProgress p;
    sdrt_progress_init(&p, f, 4, 1);
    p.tty = 1; /* force the terminal mode */
    p.width = 8;
    ck_assert_int_eq(sdrt_progress_update(&p, 1, 10.0, 0.5), 0);
    ck_assert_int_eq(sdrt_progress_update(&p, 2, 1.0, -1.0), 0);
    ck_assert_int_eq(sdrt_progress_update(&p, 4, 0.25, 1.0), 0);
    ck_assert_int_eq(p.drawn, 0); /* the last epoch ended the line */
    ck_assert_int_eq(sdrt_progress_finish(&p), 0); /* nothing more */
    char buf[512];
    slurp(f, buf, sizeof buf);
    /* the second line is 12 characters shorter: padded with 12 spaces */
    ck_assert_str_eq(buf,
                     "\r[##......] epoch 1/4  loss 10.0000  acc 50.00%"
                     "\r[####....] epoch 2/4  loss 1.00000            "
                     "\r[########] epoch 4/4  loss 0.250000  acc 100.00%\n");
    fclose(f);
}
END_TEST

START_TEST(test_accuracy) {
    const double prob[5] = {0.9, 0.1, 0.5, 0.49, DNAN};
    const int lab[5] = {1, 0, 1, 1, 0};
    ck_assert_close(sdrt_accuracy_binary(prob, lab, 5), 0.8, 1e-15);
    ck_assert(sdrt_accuracy_binary(prob, lab, 0) == 0.0);
    const double scores[9] = {0.1, 0.7, 0.2, /* argmax 1 */
                              3.0, 3.0, 1.0, /* tie: first, 0 */
                              DNAN, -1.0, -2.0 /* NaN skipped: 1 */};
    const int cls[3] = {1, 1, 1};
    ck_assert_uint_eq(sdrt_argmax(scores + 3, 3), 0);
    ck_assert_uint_eq(sdrt_argmax(scores + 6, 3), 1);
    ck_assert_uint_eq(sdrt_argmax(scores, 0), 0);
    ck_assert_close(sdrt_accuracy_argmax(scores, cls, 3, 3), 2.0 / 3.0, 1e-15);
}
END_TEST

START_TEST(test_strerror) {
    for (int s = SDRT_OK; s <= SDRT_ERR_MAXSTEPS; s++)
        ck_assert(strcmp(sdrt_strerror(s), "unknown status") != 0);
    ck_assert_str_eq(sdrt_strerror(SDRT_OK), "ok");
    ck_assert_str_eq(sdrt_strerror(-1), "unknown status");
}
END_TEST

Suite *runtime_suite(void) {
    Suite *s = suite_create("runtime");
    TCase *tc;

    tc = tcase_create("rng");
    tcase_add_test(tc, test_rng_golden);
    tcase_add_test(tc, test_rng_same_seed_same_stream);
    tcase_add_test(tc, test_rng_uniform_moments);
    tcase_add_test(tc, test_rng_range_never_reaches_b);
    tcase_add_test(tc, test_rng_normal_moments);
    tcase_add_test(tc, test_rng_below);
    tcase_add_test(tc, test_shuffle_is_permutation);
    tcase_add_test(tc, test_shuffle_uniform_over_orders);
    suite_add_tcase(s, tc);

    tc = tcase_create("batches");
    tcase_add_test(tc, test_batcher_partial_last_batch);
    tcase_add_test(tc, test_batcher_sizes);
    tcase_add_test(tc, test_minibatch_epoch_loss_and_visits);
    tcase_add_test(tc, test_minibatch_linear_regression);
    suite_add_tcase(s, tc);

    tc = tcase_create("optimisers");
    tcase_add_test(tc, test_schedule_values);
    tcase_add_test(tc, test_schedule_drives_optimizer);
    tcase_add_test(tc, test_gd_hand_steps);
    tcase_add_test(tc, test_momentum_hand_steps);
    tcase_add_test(tc, test_adam_first_step_is_lr_sign);
    tcase_add_test(tc, test_adam_hand_steps);
    tcase_add_test(tc, test_optimizers_minimise_quadratic);
    tcase_add_test(tc, test_optim_dispatch_matches_direct);
    tcase_add_test(tc, test_minimize_stops);
    suite_add_tcase(s, tc);

    tc = tcase_create("gradcheck");
    tcase_add_test(tc, test_gradcheck_passes_right_gradient);
    tcase_add_test(tc, test_gradcheck_detects_wrong_gradient);
    tcase_add_test(tc, test_gradcheck_error_definition);
    tcase_add_test(tc, test_gradcheck_float);
    suite_add_tcase(s, tc);

    tc = tcase_create("datasets");
    tcase_add_test(tc, test_data_spirals);
    tcase_add_test(tc, test_data_circles);
    tcase_add_test(tc, test_data_xor);
    tcase_add_test(tc, test_data_blobs);
    tcase_add_test(tc, test_data_linear);
    tcase_add_test(tc, test_one_hot);
    suite_add_tcase(s, tc);

    tc = tcase_create("csv");
    tcase_add_test(tc, test_csv_good);
    tcase_add_test(tc, test_csv_header_crlf_blank_no_final_newline);
    tcase_add_loop_test(tc, test_csv_errors, 0,
                        (int)(sizeof csv_errors / sizeof csv_errors[0]));
    tcase_add_test(tc, test_csv_missing_file_and_small_buffers);
    tcase_add_test(tc, test_csv_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("linalg");
    tcase_add_test(tc, test_solve_known_systems);
    tcase_add_test(tc, test_cholesky);
    tcase_add_test(tc, test_normal_equations);
    tcase_add_test(tc, test_vector_helpers);
    suite_add_tcase(s, tc);

    tc = tcase_create("report");
    tcase_add_test(tc, test_report_epoch_format);
    tcase_add_test(tc, test_progress_plain);
    tcase_add_test(tc, test_progress_terminal_line);
    tcase_add_test(tc, test_accuracy);
    tcase_add_test(tc, test_strerror);
    suite_add_tcase(s, tc);

    return s;
}
