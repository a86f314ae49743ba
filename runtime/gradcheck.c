/* SPDX-License-Identifier: MIT */
/*
 * gradcheck.c — compares an analytic gradient with central finite
 * differences, component by component (see sdrt_gradcheck in sdrt.h for
 * the exact error measure).
 *
 * Step size: the central difference has truncation error ~ h^2 |f'''| / 6
 * and rounding error ~ eps |f| / h; balancing the two gives h ~ eps^(1/3),
 * scaled by max(1, |x_i|) so that the step stays meaningful for large x_i.
 */
#include "sdrt.h"

#include <float.h>
#include <math.h>
#include <string.h>

/*
 * err = |a - d| / max(err_floor, |a| + |d|); +inf when either is not
 * finite (a gradient check at a point where f blows up says nothing).
 */
static double component_error(double a, double d, double err_floor) {
    if (!isfinite(a) || !isfinite(d))
        return HUGE_VAL; /* +inf; INFINITY is a float */
    double den = fabs(a) + fabs(d);
    if (den < err_floor)
        den = err_floor;
    return fabs(a - d) / den;
}

/* Records component i in the running maximum (ties keep the first). */
static void record(SdrtGradCheck *r, size_t i, double a, double d,
                   double err_floor) {
    double e = component_error(a, d, err_floor);
    if (e > r->max_err) {
        r->max_err = e;
        r->worst = i;
        r->analytic = a;
        r->numeric = d;
    }
}

/*
 * scratch: xs = [0, n) the perturbed point, ga = [n, 2n) the analytic
 * gradient, gt = [2n, 3n) a throwaway gradient when f is NULL.
 */
double sdrt_gradcheck(SdrtFn f, SdrtGradFn fg, void *ctx, const double *x,
                      size_t n, double h, double err_floor, double *scratch,
                      SdrtGradCheck *res) {
    SdrtGradCheck r = {0.0, 0, 0.0, 0.0};
    if (h <= 0.0)
        h = cbrt(DBL_EPSILON);
    if (err_floor <= 0.0)
        err_floor = 1.0;
    double *xs = scratch, *ga = scratch + n, *gt = scratch + 2 * n;
    if (n > 0) {
        memcpy(xs, x, n * sizeof *xs);
        fg(xs, ga, ctx);
        r.analytic = ga[0];
    }
    for (size_t i = 0; i < n; i++) {
        double hi = h * (fabs(x[i]) > 1.0 ? fabs(x[i]) : 1.0);
        double xp = x[i] + hi, xm = x[i] - hi;
        xs[i] = xp;
        double fp = f ? f(xs, ctx) : fg(xs, gt, ctx);
        xs[i] = xm;
        double fm = f ? f(xs, ctx) : fg(xs, gt, ctx);
        xs[i] = x[i];
        /* xp - xm: the step actually taken, not 2 hi (x +- hi was rounded). */
        double d = (fp - fm) / (xp - xm);
        if (i == 0)
            r.numeric = d;
        record(&r, i, ga[i], d, err_floor);
    }
    if (res)
        *res = r;
    return r.max_err;
}

/*
 * Float kernels: the perturbed coordinates are rounded to float, so the step
 * is recomputed from the stored values, and the difference quotient is
 * formed in double.
 */
double sdrt_gradcheck_f(SdrtFnF f, SdrtGradFnF fg, void *ctx, const float *x,
                        size_t n, double h, double err_floor, float *scratch,
                        SdrtGradCheck *res) {
    SdrtGradCheck r = {0.0, 0, 0.0, 0.0};
    if (h <= 0.0)
        h = cbrt((double)FLT_EPSILON);
    if (err_floor <= 0.0)
        err_floor = 1.0;
    float *xs = scratch, *ga = scratch + n, *gt = scratch + 2 * n;
    if (n > 0) {
        memcpy(xs, x, n * sizeof *xs);
        fg(xs, ga, ctx);
        r.analytic = (double)ga[0];
    }
    for (size_t i = 0; i < n; i++) {
        double xi = (double)x[i];
        double hi = h * (fabs(xi) > 1.0 ? fabs(xi) : 1.0);
        float xp = (float)(xi + hi), xm = (float)(xi - hi);
        xs[i] = xp;
        double fp = (double)(f ? f(xs, ctx) : fg(xs, gt, ctx));
        xs[i] = xm;
        double fm = (double)(f ? f(xs, ctx) : fg(xs, gt, ctx));
        xs[i] = x[i];
        double d = (fp - fm) / ((double)xp - (double)xm);
        if (i == 0)
            r.numeric = d;
        record(&r, i, (double)ga[i], d, err_floor);
    }
    if (res)
        *res = r;
    return r.max_err;
}
