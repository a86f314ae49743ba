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
    int worst_var;     /* index into vars of the worst component         */
    double *worst_point; /* g->nvars values (caller provides, may be NULL) */
} GradCheck;

/* Compares grad[i] (d f / d vars[i]) with central differences of f.
 * Returns 0, -1 when no point in 50 * points tries was defined, or -2 when
 * out of memory. */
int gradcheck_run(const Graph *g, Node *f, Node *const *grad, const int *vars, int nvars,
                  GradCheck *gc);

/* Central difference of f along variable `var` at `point` (point is
 * restored).  The step is cbrt(eps) * max(1, |x|). */
double gradcheck_central(const Graph *g, Node *f, double *point, int var);
/* Ridders' extrapolated difference, with an error estimate. */
double gradcheck_ridders(const Graph *g, Node *f, double *point, int var, double *err);

#endif
