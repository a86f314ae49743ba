/* SPDX-License-Identifier: MIT */
/*
 * reference.c — hand-written logistic-map kernels, the yardsticks of
 * kernel_ratio.c.
 *
 * l_1 = x, l_{k+1} = 4 l_k (1 - l_k); l_10 takes STEPS = 9 steps, the same
 * function as symdiff's `repeat 9` kernel.  Three ways to compute it:
 *
 *   ref_value     the value alone: the loop anyone would write;
 *   ref_forward   value and derivative carried together (forward-mode AD):
 *                   (v, dv) <- (4 v (1 - v), 4 dv - 8 v dv);
 *   ref_reverse   a forward pass that records every l_k, then a backward
 *                 pass accumulating the adjoint (reverse-mode AD):
 *                   adj <- adj * (4 - 8 l_k),  k = 9 .. 1.
 *
 * Compiled separately from the harness, like the generated kernels, so that
 * every call is a real call in both cases.
 */
#include "reference.h"

#define STEPS 9

double ref_value(double x) {
    double v = x;
    for (int k = 0; k < STEPS; k++)
        v = 4 * v * (1 - v);
    return v;
}

double ref_forward(double x, double *deriv) {
    double v = x, dv = 1.0;
    for (int k = 0; k < STEPS; k++) {
        double v_next = 4 * v * (1 - v);
        dv = 4 * dv - 8 * v * dv;
        v = v_next;
    }
    *deriv = dv;
    return v;
}

double ref_reverse(double x, double *deriv) {
    double tape[STEPS + 1];
    tape[0] = x;
    for (int k = 0; k < STEPS; k++)
        tape[k + 1] = 4 * tape[k] * (1 - tape[k]);
    double adj = 1.0; /* d l_10 / d l_10 */
    for (int k = STEPS - 1; k >= 0; k--)
        adj *= 4 - 8 * tape[k]; /* d l_{k+1} / d l_k = 4 - 8 l_k */
    *deriv = adj;
    return tape[STEPS];
}
