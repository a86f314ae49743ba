/* SPDX-License-Identifier: MIT */
/*
 * linalg.c — the few dense linear-algebra routines the examples and tests
 * need: dot, axpy, a scaled 2-norm, Gaussian elimination with partial
 * pivoting, Cholesky, and least squares through the normal equations.
 * Sizes are small (tens of unknowns); clarity over blocking.
 */
#include "sdrt.h"

#include <float.h>
#include <math.h>

double sdrt_dot(const double *a, const double *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

void sdrt_axpy(double alpha, const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++)
        y[i] += alpha * x[i];
}

/*
 * ||x|| = s sqrt(sum_i (x_i / s)^2) with s = max_i |x_i|: the squares stay
 * in [0, 1], so nothing overflows or underflows to zero before the sqrt.
 */
double sdrt_nrm2(const double *x, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i]);
        if (isnan(a))
            return a;
        if (a > s)
            s = a;
    }
    if (s == 0.0 || isinf(s))
        return s;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r = x[i] / s;
        sum += r * r;
    }
    return s * sqrt(sum);
}

/*
 * Row-reduce [A | b] to upper-triangular form, choosing at column k the row
 * with the largest |A_ik| (i >= k) as pivot, which bounds every multiplier
 * by 1:
 *   l_i = A_ik / A_kk,  A_ij <- A_ij - l_i A_kj,  b_i <- b_i - l_i b_k
 * then back-substitute x_i = (b_i - sum_{j>i} A_ij x_j) / A_ii.
 * A pivot at most d * eps * max|A| means the matrix is numerically singular.
 */
int sdrt_solve(double *A, double *b, size_t d) {
    double scale = 0.0;
    for (size_t i = 0; i < d * d; i++)
        if (fabs(A[i]) > scale)
            scale = fabs(A[i]);
    double tol = (double)d * DBL_EPSILON * scale;
    for (size_t k = 0; k < d; k++) {
        size_t p = k;
        for (size_t i = k + 1; i < d; i++)
            if (fabs(A[i * d + k]) > fabs(A[p * d + k]))
                p = i;
        if (!(fabs(A[p * d + k]) > tol))
            return SDRT_ERR_SINGULAR;
        if (p != k) {
            for (size_t j = 0; j < d; j++) {
                double t = A[k * d + j];
                A[k * d + j] = A[p * d + j];
                A[p * d + j] = t;
            }
            double t = b[k];
            b[k] = b[p];
            b[p] = t;
        }
        for (size_t i = k + 1; i < d; i++) {
            double l = A[i * d + k] / A[k * d + k];
            A[i * d + k] = l;
            for (size_t j = k + 1; j < d; j++)
                A[i * d + j] -= l * A[k * d + j];
            b[i] -= l * b[k];
        }
    }
    for (size_t i = d; i-- > 0;) {
        double s = b[i];
        for (size_t j = i + 1; j < d; j++)
            s -= A[i * d + j] * b[j];
        b[i] = s / A[i * d + i];
    }
    return SDRT_OK;
}

/*
 * A = L L^T, column by column (Cholesky-Banachiewicz):
 *   L_jj = sqrt(A_jj - sum_{k<j} L_jk^2)
 *   L_ij = (A_ij - sum_{k<j} L_ik L_jk) / L_jj          (i > j)
 * then L z = b forward and L^T x = z backward.  A radicand at most
 * d * eps * max_i A_ii means A is not (numerically) positive definite.
 */
int sdrt_cholesky_solve(double *A, double *b, size_t d) {
    double maxdiag = 0.0;
    for (size_t i = 0; i < d; i++)
        if (A[i * d + i] > maxdiag)
            maxdiag = A[i * d + i];
    double tol = (double)d * DBL_EPSILON * maxdiag;
    for (size_t j = 0; j < d; j++) {
        double s = A[j * d + j];
        for (size_t k = 0; k < j; k++)
            s -= A[j * d + k] * A[j * d + k];
        if (!(s > tol))
            return SDRT_ERR_SINGULAR;
        double ljj = sqrt(s);
        A[j * d + j] = ljj;
        for (size_t i = j + 1; i < d; i++) {
            double t = A[i * d + j];
            for (size_t k = 0; k < j; k++)
                t -= A[i * d + k] * A[j * d + k];
            A[i * d + j] = t / ljj;
        }
    }
    for (size_t i = 0; i < d; i++) {
        double s = b[i];
        for (size_t k = 0; k < i; k++)
            s -= A[i * d + k] * b[k];
        b[i] = s / A[i * d + i];
    }
    for (size_t i = d; i-- > 0;) {
        double s = b[i];
        for (size_t k = i + 1; k < d; k++)
            s -= A[k * d + i] * b[k];
        b[i] = s / A[i * d + i];
    }
    return SDRT_OK;
}

/*
 * Minimises ||X theta - y||^2 + ridge ||theta||^2: the gradient vanishes at
 *   (X^T X + ridge I) theta = X^T y,
 * a symmetric positive (semi)definite system, solved by Cholesky.
 */
int sdrt_normal_eq(const double *X, const double *y, size_t n, size_t d,
                   double ridge, double *theta, double *scratch) {
    double *G = scratch;
    for (size_t a = 0; a < d; a++) {
        for (size_t b = 0; b <= a; b++) {
            double s = 0.0;
            for (size_t i = 0; i < n; i++)
                s += X[i * d + a] * X[i * d + b];
            G[a * d + b] = G[b * d + a] = s;
        }
        G[a * d + a] += ridge;
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            s += X[i * d + a] * y[i];
        theta[a] = s;
    }
    return sdrt_cholesky_solve(G, theta, d);
}
