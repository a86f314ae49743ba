/* SPDX-License-Identifier: MIT */
/*
 * gradcheck.h — the gradient check: symbolic derivatives against central
 * finite differences at random points where the function is defined.
 */
#ifndef SYMDIFF_GRADCHECK_H
#define SYMDIFF_GRADCHECK_H

#include <stdint.h>

#include "dag.h"

typedef struct GradCheck {
    int points;        /* random points to try (default 20)              */
    uint64_t seed;     /* PRNG seed (default 1)                          */
    double lo, hi;     /* each variable drawn uniformly from [lo, hi)    */
    const double *base; /* if set: values for variables not checked      */
    /* results */
    int tested;        /* points where the function was defined          */
    int unsure;        /* comparisons where differences did not converge */
    double max_error;  /* largest relative error |d - fd| / max(1,|d|,|fd|) */
    int worst_var;     /* column of the worst component                  */
    double *worst_point; /* n values (caller provides, may be NULL)       */
} GradCheck;

/* A function of a flat point for gradcheck_flat: eval writes f(x) to *f
 * and, when d is not NULL, the derivatives claimed for the columns (in
 * `cols` order) to d.  Returns 0, or -1 when out of memory. */
typedef struct GradCheckFn {
    long n;             /* elements of a point                                  */
    const long *cols;   /* the elements checked                                 */
    long ncols;
    int (*eval)(void *ctx, const double *x, double *f, double *d);
    void *ctx;
} GradCheckFn;

/* Compares the claimed derivatives with Ridders' extrapolated central
 * differences at random points where f and the derivatives are finite.
 * gc->base, if set, holds n values for the elements not checked;
 * gc->worst_var receives a column index and gc->worst_point (if set, n
 * doubles) its point. */
typedef enum GradCheckStatus {
    GRADCHECK_OK = 0,
    GRADCHECK_UNDEFINED = -1, /* no point in 50 * points tries was defined */
    GRADCHECK_NO_MEMORY = -2
} GradCheckStatus;
GradCheckStatus gradcheck_flat(const GradCheckFn *fn, GradCheck *gc);

/* Central difference of f along variable `var` at `point` (point is
 * restored).  The step is cbrt(eps) * max(1, |x|). */
double gradcheck_central(const Graph *g, Node *f, double *point, int var);

#endif
