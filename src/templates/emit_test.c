/* SPDX-License-Identifier: MIT */
/*
 * emit_test.c — the fixed part of the program --emit-test writes
 * (codegen_test_program copies it, as text, after the part that varies).
 *
 * The generated part before it defines:
 *   SDT_NV, SDT_NI, SDT_NO  the sizes of x[], input[] (at least 1) and the
 *                           output;
 *   SDT_VECTOR              1 for a vector program (a Jacobian), else 0;
 *   SDT_HESSIAN             1 when the kernels have a Hessian;
 *   SDT_TOL                 the tolerance of the kernels under test against
 *                           the reference;
 *   SDT_NAME                the kernel's name, a string;
 *   sdt_real                the type of the kernels under test;
 *   sdt_ref_value, sdt_ref_derivative[, sdt_ref_hessian]
 *                           the double-precision reference: the value into
 *                           y[SDT_NO], the gradient or Jacobian, the Hessian;
 *   sdt_value_t, sdt_derivative_t[, sdt_hessian_t]
 *                           the kernels under test, the same way (the
 *                           derivative's call returns the value it computes
 *                           beside the derivative into y, for a scalar
 *                           program).
 * A program with run-time dimensions (a minibatch) also defines
 *   SDT_NSIZES, SDT_SIZES_TEXT, sdt_set_size(s), sdt_size_text(s)
 *                           the sizes it is checked at, each with
 *                           SDT_POINTS points: the wrappers call the kernels
 *                           with the sizes sdt_set_size(s) chose, which
 *                           sdt_size_text(s) names;
 *   SDT_NBLOCKS, sdt_blocks[b] = {offset, size}
 *                           the parameters' blocks of x: finite differences
 *                           check at most SDT_MAXFD coordinates of each at
 *                           a point, drawn at random (all of a smaller one).
 * Everything here is named sdt_ (or LO, HI, main), so that no name can clash
 * with the kernel's.  The program needs the kernel and <math.h> only.
 */
#ifndef LO
#define LO (-2.0)
#endif
#ifndef HI
#define HI 2.0
#endif
#ifndef SDT_POINTS
#define SDT_POINTS 25
#endif
#ifndef SDT_MAXFD
#define SDT_MAXFD 16
#endif
#ifndef SDT_NSIZES /* fixed shapes: one size */
#define SDT_NSIZES 1
#define SDT_SIZES_TEXT ""
static void sdt_set_size(int s)
{
    (void)s;
}
static const char *sdt_size_text(int s)
{
    (void)s;
    return "";
}
#endif

static uint64_t sdt_state = 0x9E3779B97F4A7C15u;

static double sdt_uniform(double lo, double hi)
{
    sdt_state ^= sdt_state << 13;
    sdt_state ^= sdt_state >> 7;
    sdt_state ^= sdt_state << 17;
    return lo + (hi - lo) * (double)(sdt_state >> 11) / 9007199254740992.0;
}

/* what is differentiated: output k of the reference (order 1), or
 * component k of its gradient (order 2, for the Hessian) */
static double sdt_value(int order, const double *x, const double *input, int k)
{
    static double y[SDT_NO * SDT_NV + 1];
    if (order == 2)
        sdt_ref_derivative(x, input, y);
    else
        sdt_ref_value(x, input, y);
    return y[k];
}

/* d value / d x_j by Ridders' method from first step h: central differences
 * with steps h, h/1.4, h/1.4^2, ... extrapolated to step 0; *err estimates
 * the error. */
static double sdt_ridders(int order, double *x, const double *input, int k, int j, double h,
                      double *err)
{
    enum { N = 12 };
    double a[N][N], best = HUGE_VAL, x0 = x[j];
    *err = HUGE_VAL;
    for (int i = 0; i < N; i++, h /= 1.4) {
        x[j] = x0 + h;
        double fp = sdt_value(order, x, input, k);
        x[j] = x0 - h;
        double fm = sdt_value(order, x, input, k);
        x[j] = x0;
        a[0][i] = (fp - fm) / (2 * h);
        double fac = 1.4 * 1.4;
        for (int q = 1; q <= i; q++, fac *= 1.4 * 1.4) {
            a[q][i] = (a[q - 1][i] * fac - a[q - 1][i - 1]) / (fac - 1);
            double e1 = fabs(a[q][i] - a[q - 1][i]), e2 = fabs(a[q][i] - a[q - 1][i - 1]);
            double e = e1 > e2 ? e1 : e2;
            if (e <= *err) {
                *err = e;
                best = a[q][i];
            }
        }
        if (i > 0 && fabs(a[i][i] - a[i - 1][i - 1]) >= 2 * *err)
            break;
    }
    return best;
}

/* A derivative both runs of Ridders' method agree on, starting from first
 * steps 1e-2, 1e-3, ... (relative to x): a function that oscillates faster
 * than the first step fools one run, rarely two.  Returns 0 when no two
 * consecutive runs agree. */
static int sdt_derivative(int order, double *x, const double *input, int k, int j, double *d)
{
    double scale = fabs(x[j]) > 1 ? fabs(x[j]) : 1, prev = HUGE_VAL;
    for (double h = 1e-2; h >= 1e-9; h /= 10) {
        double err, dh = sdt_ridders(order, x, input, k, j, h * scale, &err);
        double s = fabs(dh) > 1 ? fabs(dh) : 1;
        if (isfinite(dh) && err <= 1e-8 * s && fabs(dh - prev) <= 1e-8 * s) {
            *d = dh;
            return 1;
        }
        prev = dh;
    }
    return 0;
}

/* Which coordinates of x finite differences check at a point: every one,
 * or with SDT_NBLOCKS at most SDT_MAXFD of each block, drawn at random. */
static unsigned char sdt_pick[SDT_NV + 1];

static void sdt_choose(void)
{
    for (long i = 0; i < SDT_NV; i++)
        sdt_pick[i] = 1;
#ifdef SDT_NBLOCKS
    for (int b = 0; b < SDT_NBLOCKS; b++) {
        long at = sdt_blocks[b][0], size = sdt_blocks[b][1];
        if (size <= SDT_MAXFD)
            continue;
        for (long i = 0; i < size; i++)
            sdt_pick[at + i] = 0;
        for (int k = 0; k < SDT_MAXFD; k++) {
            long i = (long)sdt_uniform(0, (double)size);
            sdt_pick[at + (i < size ? i : size - 1)] = 1;
        }
    }
#endif
}

static int sdt_close(double a, double b, double tol)
{
    double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= tol * (s > 1 ? s : 1);
}

int main(void)
{
    /* static: a minibatch program's arrays can be larger than a stack */
    static double x[SDT_NV + 1], input[SDT_NI], dref[SDT_NO * SDT_NV + 1];
    static double href[SDT_HESSIAN ? SDT_NV * SDT_NV + 1 : 1];
    static sdt_real xt[SDT_NV + 1], it[SDT_NI], d[SDT_NO * SDT_NV + 1], yt[SDT_NO];
    static sdt_real h[SDT_HESSIAN ? SDT_NV * SDT_NV + 1 : 1];
    int tested = 0, compared = 0, unsure = 0, failed = 0, untested = 0;
    (void)href;
    (void)h;
    for (int size = 0; size < SDT_NSIZES; size++) {
        int here = 0; /* points tested at this size */
        sdt_set_size(size);
        for (int trial = 0; trial < 5000 && here < SDT_POINTS; trial++) {
            for (int i = 0; i < SDT_NV; i++)
                x[i] = (double)(sdt_real)sdt_uniform(LO, HI);
            /* class labels (inputs onehot or cross_entropy reads) are drawn
             * from their classes, other data from [LO, HI) */
            for (int i = 0; i < SDT_NI; i++)
                input[i] = sdt_classes[i] ? floor(sdt_uniform(0, sdt_classes[i]))
                                          : (double)(sdt_real)sdt_uniform(LO, HI);
            int ok = 1;
            for (int k = 0; k < SDT_NO; k++)
                ok = ok && isfinite(sdt_value(1, x, input, k));
            sdt_ref_derivative(x, input, dref);
#if SDT_HESSIAN
            sdt_ref_hessian(x, input, href);
#endif
            for (int i = 0; i < SDT_NO * SDT_NV; i++)
                ok = ok && isfinite(dref[i]);
            if (!ok)
                continue; /* outside the domain */
            tested++;
            here++;
            sdt_choose();
            for (int k = 0; k < SDT_NO; k++)
                for (int j = 0; j < SDT_NV; j++) {
                    double fd;
                    if (!sdt_pick[j])
                        continue;
                    if (!sdt_derivative(1, x, input, k, j, &fd)) {
                        unsure++;
                        continue;
                    }
                    compared++;
                    if (!sdt_close(dref[k * SDT_NV + j], fd, 1e-7)) {
                        printf("d output %d / d x[%d]%s%s: %.17g, finite differences %.17g\n", k, j,
                               SDT_NSIZES > 1 ? " at " : "", SDT_NSIZES > 1 ? sdt_size_text(size) : "",
                               dref[k * SDT_NV + j], fd);
                        failed++;
                    }
                }
#if SDT_HESSIAN
            for (int i = 0; i < SDT_NV; i++)
                for (int j = 0; j < SDT_NV; j++) {
                    double fd;
                    if (!isfinite(href[i * SDT_NV + j]) || !sdt_derivative(2, x, input, i, j, &fd)) {
                        unsure++;
                        continue;
                    }
                    compared++;
                    if (!sdt_close(href[i * SDT_NV + j], fd, 1e-6)) {
                        printf("H[%d][%d]: %.17g, finite differences of the gradient %.17g\n", i, j,
                               href[i * SDT_NV + j], fd);
                        failed++;
                    }
                }
#endif
            /* the kernels under test, against the reference */
            for (int i = 0; i < SDT_NV; i++)
                xt[i] = (sdt_real)x[i];
            for (int i = 0; i < SDT_NI; i++)
                it[i] = (sdt_real)input[i];
#if SDT_VECTOR
            sdt_derivative_t(xt, it, d, yt);
            sdt_value_t(xt, it, yt);
            for (int k = 0; k < SDT_NO; k++)
                if (!sdt_close((double)yt[k], sdt_value(1, x, input, k), SDT_TOL)) {
                    printf("%s: output %d differs from the double-precision reference\n", SDT_NAME, k);
                    failed++;
                }
#else
            sdt_derivative_t(xt, it, d, yt);
            double vgrad = (double)yt[0];
            sdt_value_t(xt, it, yt);
            if (!sdt_close(vgrad, sdt_value(1, x, input, 0), SDT_TOL) ||
                !sdt_close((double)yt[0], sdt_value(1, x, input, 0), SDT_TOL)) {
                printf("%s or %s_grad: the value differs from the double-precision reference\n", SDT_NAME,
                       SDT_NAME);
                failed++;
            }
#endif
#if SDT_HESSIAN
            sdt_hessian_t(xt, it, h);
            for (int i = 0; i < SDT_NV * SDT_NV; i++)
                if (isfinite(href[i]) && !sdt_close((double)h[i], href[i], SDT_TOL)) {
                    printf("%s_hess: H[%d][%d] is %.9g, the reference %.17g\n", SDT_NAME, i / SDT_NV,
                           i % SDT_NV, (double)h[i], href[i]);
                    failed++;
                }
#endif
            for (int i = 0; i < SDT_NO * SDT_NV; i++)
                if (isfinite((double)d[i]) && !sdt_close((double)d[i], dref[i], SDT_TOL)) {
                    printf("%s: derivative %d of output %d is %.9g, the reference %.17g\n", SDT_NAME,
                           i % SDT_NV, i / SDT_NV, (double)d[i], dref[i]);
                    failed++;
                }
        }
        if (!here) {
            printf("%s: no point%s%s where the function is finite\n", SDT_NAME, SDT_NSIZES > 1 ? " at " : "",
                   SDT_NSIZES > 1 ? sdt_size_text(size) : "");
            untested++;
        }
    }
    int bad = failed || untested || !compared;
    printf("%s: %d points%s%s, %d finite-difference comparisons (%d did not converge): %s\n", SDT_NAME,
           tested, SDT_NSIZES > 1 ? " at " : "", SDT_SIZES_TEXT, compared, unsure, bad ? "FAILED" : "ok");
    if (!compared)
        printf("no comparison converged: the function varies too fast between LO and HI\n");
    return bad ? 1 : 0;
}
