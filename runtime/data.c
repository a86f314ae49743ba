/* SPDX-License-Identifier: MIT */
/*
 * data.c — synthetic datasets for classification and regression demos, in
 * the spirit of the TensorFlow playground.  Every generator writes into the
 * caller's arrays (X row-major, labels as ints) and draws only from the
 * given PRNG, so a seed reproduces a dataset.
 *
 * Classes are assigned round-robin (sample i gets class i mod k): class
 * sizes differ by at most one and a prefix of the data is still balanced.
 * Noise is drawn for every coordinate even when its scale is 0, so the
 * stream consumed does not depend on the noise level.
 */
#include "sdrt.h"

#include <math.h>

#define TWO_PI 6.283185307179586476925286766559

/*
 * Arm c of k, point j of the m points of that arm:
 *   r = (j + 1/2) / m                    radius, evenly spread in (0, 1)
 *   a = 2 pi c / k + 1.75 * 2 pi r       1.75 turns from the centre out
 *   (x, y) = r (cos a, sin a) + noise N(0, I)
 */
int sdrt_data_spirals(SdrtRng *rng, double *X, int *y, size_t n, int k,
                      double noise) {
    if (k < 1)
        return SDRT_ERR_ARG;
    size_t kk = (size_t)k;
    for (size_t i = 0; i < n; i++) {
        size_t c = i % kk, j = i / kk;
        size_t m = (n - c + kk - 1) / kk; /* #{i' < n : i' mod k = c} */
        double r = ((double)j + 0.5) / (double)m;
        double a = TWO_PI * (double)c / (double)k + 1.75 * TWO_PI * r;
        X[2 * i] = r * cos(a) + noise * sdrt_rng_normal(rng);
        X[2 * i + 1] = r * sin(a) + noise * sdrt_rng_normal(rng);
        y[i] = (int)c;
    }
    return SDRT_OK;
}

/*
 * Even i: label 1, radius uniform in [0, 0.5) (the inner disc);
 * odd i:  label 0, radius uniform in [0.7, 1) (the outer ring);
 * angle uniform in [0, 2 pi).  The gap 0.5..0.7 separates the classes
 * when noise is small.
 */
void sdrt_data_circles(SdrtRng *rng, double *X, int *y, size_t n,
                       double noise) {
    for (size_t i = 0; i < n; i++) {
        int inner = i % 2 == 0;
        double u = sdrt_rng_uniform(rng);
        double r = inner ? 0.5 * u : 0.7 + 0.3 * u;
        double a = TWO_PI * sdrt_rng_uniform(rng);
        X[2 * i] = r * cos(a) + noise * sdrt_rng_normal(rng);
        X[2 * i + 1] = r * sin(a) + noise * sdrt_rng_normal(rng);
        y[i] = inner;
    }
}

/*
 * Quadrant q = i mod 4 in the order (+,+), (-,+), (-,-), (+,-); each
 * coordinate is sign * (0.05 + 0.95 u), u uniform in [0, 1).  The label is
 * 1 when the signs differ (x y < 0): the exclusive or of "x < 0", "y < 0".
 */
void sdrt_data_xor(SdrtRng *rng, double *X, int *y, size_t n, double noise) {
    static const double sx[4] = {1.0, -1.0, -1.0, 1.0};
    static const double sy[4] = {1.0, 1.0, -1.0, -1.0};
    static const int label[4] = {0, 1, 0, 1};
    for (size_t i = 0; i < n; i++) {
        size_t q = i % 4;
        double x0 = sx[q] * (0.05 + 0.95 * sdrt_rng_uniform(rng));
        double x1 = sy[q] * (0.05 + 0.95 * sdrt_rng_uniform(rng));
        X[2 * i] = x0 + noise * sdrt_rng_normal(rng);
        X[2 * i + 1] = x1 + noise * sdrt_rng_normal(rng);
        y[i] = label[q];
    }
}

/* Class c = i mod k: center_c + stddev N(0, I). */
int sdrt_data_blobs(SdrtRng *rng, double *X, int *y, size_t n, int k,
                    const double *centers, double stddev) {
    if (k < 1)
        return SDRT_ERR_ARG;
    size_t kk = (size_t)k;
    for (size_t i = 0; i < n; i++) {
        size_t c = i % kk;
        double cx, cy;
        if (centers) {
            cx = centers[2 * c];
            cy = centers[2 * c + 1];
        } else {
            double a = TWO_PI * (double)c / (double)k;
            cx = cos(a);
            cy = sin(a);
        }
        X[2 * i] = cx + stddev * sdrt_rng_normal(rng);
        X[2 * i + 1] = cy + stddev * sdrt_rng_normal(rng);
        y[i] = (int)c;
    }
    return SDRT_OK;
}

/* X_ij uniform in [-1, 1);  y_i = sum_j X_ij theta_j + noise N(0, 1). */
void sdrt_data_linear(SdrtRng *rng, double *X, double *y, size_t n, size_t d,
                      const double *theta, double noise) {
    for (size_t i = 0; i < n; i++) {
        double *row = X + i * d;
        for (size_t j = 0; j < d; j++)
            row[j] = sdrt_rng_range(rng, -1.0, 1.0);
        y[i] = sdrt_dot(row, theta, d) + noise * sdrt_rng_normal(rng);
    }
}

int sdrt_one_hot(const int *labels, size_t n, int k, double *out) {
    int status = SDRT_OK;
    size_t kk = k > 0 ? (size_t)k : 0;
    for (size_t i = 0; i < n * kk; i++)
        out[i] = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= k)
            status = SDRT_ERR_ARG;
        else
            out[i * kk + (size_t)labels[i]] = 1.0;
    }
    return status;
}
