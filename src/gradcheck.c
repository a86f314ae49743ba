/* SPDX-License-Identifier: MIT */
/*
 * gradcheck.c — finite-difference gradient check (see gradcheck.h).
 *
 * Consumes a function and its symbolic gradient, produces the largest
 * relative disagreement with finite differences: central differences
 *   (f(x + h e_i) - f(x - h e_i)) / 2h
 * extrapolated to h -> 0 by Ridders' method, which also estimates its own
 * error; comparisons where the differences do not converge (near a kink,
 * or for wildly oscillating functions) are counted as unsure, not failed.
 */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(splitmix64(s) >> 11) * 0x1.0p-53; }

double gradcheck_central(const Graph *g, Node *f, double *point, int var) {
    double x = point[var];
    double h = cbrt(DBL_EPSILON) * (fabs(x) > 1 ? fabs(x) : 1);
    /* make x + h and x - h exactly representable around x */
    volatile double xp = x + h, xm = x - h;
    point[var] = xp;
    double fp = eval_node(g, f, point);
    point[var] = xm;
    double fm = eval_node(g, f, point);
    point[var] = x;
    return (fp - fm) / (xp - xm);
}

/* f along element `col` of x by Ridders' method: central differences for
 * steps h, h/1.4, h/1.4^2, ... extrapolated towards step 0 (a Neville
 * tableau in h^2); the estimate with the smallest change between tableau
 * entries wins, and that change is its error estimate.  Sets *oom when out
 * of memory (a NaN that is not the function's). */
static double ridders(const GradCheckFn *fn, double *x, long col, double *err, int *oom) {
    enum { N = 12 };
    const double shrink = 1.4, shrink2 = shrink * shrink;
    double a[N][N], best = NAN, x0 = x[col];
    double h = 1e-3 * (fabs(x0) > 1 ? fabs(x0) : 1);
    *err = INFINITY;
    for (int i = 0; i < N && !*oom; i++, h /= shrink) {
        double fp, fm;
        x[col] = x0 + h;
        if (fn->eval(fn->ctx, x, &fp, NULL) != 0)
            *oom = 1;
        x[col] = x0 - h;
        if (fn->eval(fn->ctx, x, &fm, NULL) != 0)
            *oom = 1;
        x[col] = x0;
        a[0][i] = (fp - fm) / (2 * h);
        double fac = shrink2;
        for (int q = 1; q <= i; q++, fac *= shrink2) {
            a[q][i] = (a[q - 1][i] * fac - a[q - 1][i - 1]) / (fac - 1);
            double e = fmax(fabs(a[q][i] - a[q - 1][i]), fabs(a[q][i] - a[q - 1][i - 1]));
            if (e <= *err) {
                *err = e;
                best = a[q][i];
            }
        }
        /* stop when higher orders make things worse */
        if (i > 0 && fabs(a[i][i] - a[i - 1][i - 1]) >= 2 * *err)
            break;
    }
    return best;
}

GradCheckStatus gradcheck_flat(const GradCheckFn *fn, GradCheck *gc) {
    int points = gc->points > 0 ? gc->points : 20;
    uint64_t state = gc->seed ? gc->seed : 1;
    double lo = gc->lo, hi = gc->hi;
    if (!(hi > lo)) {
        lo = -2;
        hi = 2;
    }
    double *x = malloc((size_t)(fn->n ? fn->n : 1) * sizeof *x);
    double *d = malloc((size_t)(fn->ncols ? fn->ncols : 1) * sizeof *d);
    gc->tested = 0;
    gc->unsure = 0;
    gc->max_error = 0;
    gc->worst_var = -1;
    int oom = !x || !d;
    for (int tries = 0; !oom && gc->tested < points && tries < 50 * points; tries++) {
        for (long i = 0; i < fn->n; i++)
            x[i] = gc->base ? gc->base[i] : lo + (hi - lo) * uniform(&state);
        for (long c = 0; c < fn->ncols; c++)
            x[fn->cols[c]] = lo + (hi - lo) * uniform(&state);
        double f;
        if (fn->eval(fn->ctx, x, &f, d) != 0) {
            oom = 1;
            break;
        }
        int defined = isfinite(f);
        for (long c = 0; c < fn->ncols && defined; c++)
            defined = isfinite(d[c]);
        if (!defined)
            continue; /* outside the domain: draw again */
        int usable = 1;
        double worst = 0;
        long worst_c = -1;
        for (long c = 0; c < fn->ncols && usable; c++) {
            double fd_err;
            double fd = ridders(fn, x, fn->cols[c], &fd_err, &oom);
            if (oom)
                break;
            if (!isfinite(fd)) {
                usable = 0; /* the step left the domain */
                break;
            }
            double scale = fmax(1.0, fmax(fabs(d[c]), fabs(fd)));
            if (fd_err > 1e-6 * scale) {
                gc->unsure++; /* the differences did not converge here */
                continue;
            }
            double err = fabs(d[c] - fd) / scale;
            if (err >= worst) {
                worst = err;
                worst_c = c;
            }
        }
        if (oom)
            break;
        if (!usable)
            continue;
        gc->tested++;
        if (worst >= gc->max_error) {
            gc->max_error = worst;
            gc->worst_var = (int)worst_c;
            if (gc->worst_point)
                memcpy(gc->worst_point, x, (size_t)fn->n * sizeof *x);
        }
    }
    free(x);
    free(d);
    if (oom)
        return GRADCHECK_NO_MEMORY;
    return gc->tested > 0 ? GRADCHECK_OK : GRADCHECK_UNDEFINED;
}
