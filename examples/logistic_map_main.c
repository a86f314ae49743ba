/* SPDX-License-Identifier: MIT */
/*
 * logistic_map_main.c — the generated kernels of the iterated logistic map
 * against a hand-written forward-mode loop.
 *
 * The Makefile generates, from logistic_map.sd with -D n=1 ... -D n=20,
 *
 *     logistic_map_N(x)            l_N(x), where l_0 = x and
 *                                  l_{k+1} = 4 l_k (1 - l_k)
 *     logistic_map_N_grad(x, g)    the same, and g[0] = d l_N / dx
 *
 * The reference is the loop one would write by hand, carrying the value and
 * its derivative together (forward-mode automatic differentiation):
 *
 *     v' = 4 v (1 - v)
 *     dv' = 4 dv - 8 v dv         (d/dv of 4v - 4v^2 is 4 - 8v)
 *
 * Goal: for every n and every test point x in [0, 1], the kernels' value and
 * derivative agree with the loop to 1e-12, relative to max(1, |reference|):
 *
 *     |got - want| <= 1e-12 * max(1, |want|)
 *
 * (The map is chaotic: d l_n / dx grows like 2^n, and any difference in how
 * the value is rounded is amplified as much, so the kernels must evaluate
 * the recurrence as written.)  Exit status 0 when the goal is met.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "logistic_map_1.h"
#include "logistic_map_2.h"
#include "logistic_map_3.h"
#include "logistic_map_4.h"
#include "logistic_map_5.h"
#include "logistic_map_6.h"
#include "logistic_map_7.h"
#include "logistic_map_8.h"
#include "logistic_map_9.h"
#include "logistic_map_10.h"
#include "logistic_map_11.h"
#include "logistic_map_12.h"
#include "logistic_map_13.h"
#include "logistic_map_14.h"
#include "logistic_map_15.h"
#include "logistic_map_16.h"
#include "logistic_map_17.h"
#include "logistic_map_18.h"
#include "logistic_map_19.h"
#include "logistic_map_20.h"

#define TOL 1e-12

/* One generated kernel pair and its iteration count. */
typedef struct Kernel {
    int n;
    double (*value)(const double *x);
    double (*grad)(const double *x, double *grad);
} Kernel;

#define KERNEL(n) {n, logistic_map_##n, logistic_map_##n##_grad}
static const Kernel kernels[] = {
    KERNEL(1),  KERNEL(2),  KERNEL(3),  KERNEL(4),  KERNEL(5),
    KERNEL(6),  KERNEL(7),  KERNEL(8),  KERNEL(9),  KERNEL(10),
    KERNEL(11), KERNEL(12), KERNEL(13), KERNEL(14), KERNEL(15),
    KERNEL(16), KERNEL(17), KERNEL(18), KERNEL(19), KERNEL(20),
};
#undef KERNEL
#define NKERNELS (sizeof kernels / sizeof kernels[0])

/* Test points: the ends, simple fractions, and a few generic values. */
static const double points[] = {
    0.0, 0.05, 0.1, 0.2, 0.25, 0.3, 1.0 / 3.0, 0.4, 0.5,
    0.6, 0.75, 0.8, 0.9, 0.95, 1.0, 0.123456789, 0.7071067811865476,
};
#define NPOINTS (sizeof points / sizeof points[0])

/* The hand-written reference: n steps of (v, dv). */
static void forward_loop(int n, double x, double *value, double *deriv) {
    double v = x, dv = 1.0;
    for (int k = 0; k < n; k++) {
        double v_next = 4 * v * (1 - v);
        dv = 4 * dv - 8 * v * dv;
        v = v_next;
    }
    *value = v;
    *deriv = dv;
}

/* |got - want| / max(1, |want|); infinite when got is not finite. */
static double error(double got, double want) {
    if (!isfinite(got))
        return HUGE_VAL;
    return fabs(got - want) / fmax(1.0, fabs(want));
}

int main(void) {
    int failures = 0;
    printf("logistic map l(n) = 4 l (1 - l), n = 1..%zu, %zu points in [0, 1]: "
           "generated kernels vs a hand-written (v, dv) loop\n",
           NKERNELS, NPOINTS);
    printf("   n   max|d l/dx|   value err   grad value err   derivative err\n");
    for (size_t k = 0; k < NKERNELS; k++) {
        const Kernel *kern = &kernels[k];
        double max_d = 0.0, err_f = 0.0, err_gv = 0.0, err_gd = 0.0;
        for (size_t p = 0; p < NPOINTS; p++) {
            double x = points[p], v, dv, g;
            forward_loop(kern->n, x, &v, &dv);
            double f = kern->value(&x);
            double gv = kern->grad(&x, &g);
            double e_f = error(f, v), e_gv = error(gv, v), e_gd = error(g, dv);
            if (e_f > TOL || e_gv > TOL || e_gd > TOL) {
                printf("  MISMATCH n=%d x=%.17g: value %.17g (want %.17g), "
                       "grad returns %.17g, derivative %.17g (want %.17g)\n",
                       kern->n, x, f, v, gv, g, dv);
                failures++;
            }
            max_d = fmax(max_d, fabs(dv));
            err_f = fmax(err_f, e_f);
            err_gv = fmax(err_gv, e_gv);
            err_gd = fmax(err_gd, e_gd);
        }
        printf("  %2d   %11.4g   %9.1e   %14.1e   %14.1e\n", kern->n, max_d,
               err_f, err_gv, err_gd);
    }
    printf("%zu kernels x %zu points, tolerance %.0e relative to max(1, |ref|): "
           "%s\n", NKERNELS, NPOINTS, TOL,
           failures == 0 ? "ok" : "MISSED");
    if (failures)
        printf("%d mismatches\n", failures);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
