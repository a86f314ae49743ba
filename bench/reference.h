/* SPDX-License-Identifier: MIT */
/* reference.h — hand-written logistic-map kernels (l_10), see reference.c. */
#ifndef BENCH_REFERENCE_H
#define BENCH_REFERENCE_H

/* l_10(x), the value only. */
double ref_value(double x);
/* l_10(x); *deriv = d l_10 / dx by forward mode, the (v, dv) loop. */
double ref_forward(double x, double *deriv);
/* l_10(x); *deriv = d l_10 / dx by a taped forward pass and a reverse sweep. */
double ref_reverse(double x, double *deriv);

#endif
