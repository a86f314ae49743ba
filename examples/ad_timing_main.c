/* SPDX-License-Identifier: MIT */
/*
 * ad_timing_main.c — one program, four ways to its gradient, timed.
 *
 * For each program the Makefile has symdiff write three kernels with the
 * same entry points (P and P_grad) under different names:
 *
 *     P_sym   --emit c            the symbolic gradient, as C
 *     P_fwd   --emit forward-ad   forward-mode AD of the program's own code
 *     P_rev   --emit reverse-ad   reverse-mode AD of the program's own code
 *
 * and this driver adds the fourth method, central differences of the
 * symbolic kernel's value, 2n evaluations for n parameters:
 *
 *     g_j = (f(x + h e_j) - f(x - h e_j)) / (2h),   h = 1e-7 max(1, |x_j|)
 *
 * The programs: the logistic map l_10 and l_100 (l_1 = x, then 9 or 99
 * steps of l = 4 l (1 - l); one parameter) and tanh_network.sd (the
 * squared error of a three-unit network: 10 parameters, 2 inputs).
 *
 * First the methods are checked against the symbolic gradient at NCHECK
 * points, relative to max(1, |g|): forward and reverse mode to 1e-12 on
 * the network; on the logistic map to 1e-10 (l_10) and 1e-9 (l_100),
 * because AD computes each factor 4(1 - 2l) of the derivative as
 * 4(1 - l) - 4l, which cancels when l is near 1/2.  Central differences
 * must agree to 1e-5 where a step can resolve the function; on l_100 none
 * can (it sweeps [0, 1] about 2^99 times), so its difference is shown, not
 * checked.
 *
 * Then the timing.  Every method is called in a loop over NPTS points,
 * summing what it returns so that nothing is optimised away (the kernels
 * are separate translation units).  ROUNDS rounds each time f and the four
 * gradients of every program back to back, in an order that rotates from
 * round to round; a round's ratio is time(gradient) / time(f) of that
 * round, and the table shows medians over the rounds.  f is always the
 * symbolic kernel's value, so the four columns share one denominator.
 *
 *     usage: ad_timing [ROUNDS [MS]]
 *
 * ROUNDS (default 7, or $AD_TIMING_ROUNDS) rounds; one timing of f lasts
 * about MS milliseconds (default 1, or $AD_TIMING_MS), a gradient
 * proportionally longer.  The defaults take about half a second;
 * `ad_timing 31 20` gives steadier medians.  Exit status 1 when the methods
 * disagree.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdrt.h"

#include "lmap10_fwd.h"
#include "lmap10_rev.h"
#include "lmap10_sym.h"
#include "lmap100_fwd.h"
#include "lmap100_rev.h"
#include "lmap100_sym.h"
#include "tanh_network_fwd.h"
#include "tanh_network_rev.h"
#include "tanh_network_sym.h"

enum { NPTS = 256, NCHECK = 16, NMETHODS = 4, MAXV = 16, MAXROUNDS = 1001 };

static const char *const method_name[NMETHODS] = {"symbolic", "forward-AD", "reverse-AD", "central FD"};

typedef struct Case Case;
typedef double (*Loop)(const Case *c);                  /* every point once; a checksum */
typedef double (*At)(const Case *c, int p, double *g);  /* the gradient at point p      */

struct Case {
    const char *title;
    int nv, ni;
    double exact_tol;     /* forward and reverse AD against the symbolic gradient */
    int fd_resolves;      /* central differences are checked */
    double x[NPTS * MAXV], in[NPTS * MAXV];
    Loop f;               /* the symbolic kernel's value */
    Loop grad[NMETHODS];
    At at[NMETHODS];
};

/* --- the calls ------------------------------------------------------------------- */

/* Kernel k's gradient at a point and over all points.  ARGS: `x` or `x, in`. */
#define GRADIENT(k, nv, ni, ...)                                                                   \
    static double k##_grad_at(const Case *c, int p, double *g) {                                   \
        const double *x = c->x + p * (nv), *in = c->in + p * (ni);                                 \
        (void)in;                                                                                  \
        return k##_grad(__VA_ARGS__, g);                                                           \
    }                                                                                              \
    static double k##_grad_loop(const Case *c) {                                                   \
        double s = 0, g[nv];                                                                       \
        for (int p = 0; p < NPTS; p++) {                                                           \
            s += k##_grad_at(c, p, g);                                                             \
            for (int j = 0; j < (nv); j++)                                                         \
                s += g[j];                                                                         \
        }                                                                                          \
        return s;                                                                                  \
    }

/* Kernel k's value over all points, and central differences of it (the
 * step actually taken, (x + h) - (x - h), is the divisor). */
#define VALUE_AND_DIFFERENCES(k, nv, ni, ...)                                                      \
    static double k##_value_at(const Case *c, const double *x, int p) {                            \
        const double *in = c->in + p * (ni);                                                       \
        (void)in;                                                                                  \
        return k(__VA_ARGS__);                                                                     \
    }                                                                                              \
    static double k##_f_loop(const Case *c) {                                                      \
        double s = 0;                                                                              \
        for (int p = 0; p < NPTS; p++)                                                             \
            s += k##_value_at(c, c->x + p * (nv), p);                                              \
        return s;                                                                                  \
    }                                                                                              \
    static double k##_fd_at(const Case *c, int p, double *g) {                                     \
        double x[nv];                                                                              \
        memcpy(x, c->x + p * (nv), sizeof x);                                                      \
        for (int j = 0; j < (nv); j++) {                                                           \
            double xj = x[j], h = 1e-7 * (fabs(xj) > 1 ? fabs(xj) : 1);                            \
            double up = xj + h, down = xj - h;                                                     \
            x[j] = up;                                                                             \
            double fp = k##_value_at(c, x, p);                                                     \
            x[j] = down;                                                                           \
            double fm = k##_value_at(c, x, p);                                                     \
            x[j] = xj;                                                                             \
            g[j] = (fp - fm) / (up - down);                                                        \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    static double k##_fd_loop(const Case *c) {                                                     \
        double s = 0, g[nv];                                                                       \
        for (int p = 0; p < NPTS; p++) {                                                           \
            s += k##_fd_at(c, p, g);                                                               \
            for (int j = 0; j < (nv); j++)                                                         \
                s += g[j];                                                                         \
        }                                                                                          \
        return s;                                                                                  \
    }

VALUE_AND_DIFFERENCES(lmap10_sym, LMAP10_SYM_NVARS, 0, x)
GRADIENT(lmap10_sym, LMAP10_SYM_NVARS, 0, x)
GRADIENT(lmap10_fwd, LMAP10_FWD_NVARS, 0, x)
GRADIENT(lmap10_rev, LMAP10_REV_NVARS, 0, x)
VALUE_AND_DIFFERENCES(lmap100_sym, LMAP100_SYM_NVARS, 0, x)
GRADIENT(lmap100_sym, LMAP100_SYM_NVARS, 0, x)
GRADIENT(lmap100_fwd, LMAP100_FWD_NVARS, 0, x)
GRADIENT(lmap100_rev, LMAP100_REV_NVARS, 0, x)
VALUE_AND_DIFFERENCES(tanh_network_sym, TANH_NETWORK_SYM_NVARS, TANH_NETWORK_SYM_NINPUTS, x, in)
GRADIENT(tanh_network_sym, TANH_NETWORK_SYM_NVARS, TANH_NETWORK_SYM_NINPUTS, x, in)
GRADIENT(tanh_network_fwd, TANH_NETWORK_FWD_NVARS, TANH_NETWORK_FWD_NINPUTS, x, in)
GRADIENT(tanh_network_rev, TANH_NETWORK_REV_NVARS, TANH_NETWORK_REV_NINPUTS, x, in)

#define METHODS(p)                                                                                 \
    p##_sym_f_loop, {p##_sym_grad_loop, p##_fwd_grad_loop, p##_rev_grad_loop, p##_sym_fd_loop},    \
        {p##_sym_grad_at, p##_fwd_grad_at, p##_rev_grad_at, p##_sym_fd_at }

static Case cases[] = {
    {"logistic map l_10", LMAP10_SYM_NVARS, 0, 1e-10, 1, {0}, {0}, METHODS(lmap10)},
    {"logistic map l_100", LMAP100_SYM_NVARS, 0, 1e-9, 0, {0}, {0}, METHODS(lmap100)},
    {"tanh network, squared error", TANH_NETWORK_SYM_NVARS, TANH_NETWORK_SYM_NINPUTS, 1e-12, 1, {0}, {0},
     METHODS(tanh_network)},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* Points: x in (0, 1) for the logistic map; for the network, parameters
 * and data both vary, as they do while training. */
static void make_points(void) {
    SdrtRng rng;
    sdrt_rng_seed(&rng, 2024);
    for (int c = 0; c < NCASES; c++)
        for (int p = 0; p < NPTS; p++) {
            for (int j = 0; j < cases[c].nv; j++)
                cases[c].x[p * cases[c].nv + j] =
                    cases[c].ni ? sdrt_rng_normal(&rng) : sdrt_rng_range(&rng, 0.01, 0.99);
            for (int j = 0; j < cases[c].ni; j++)
                cases[c].in[p * cases[c].ni + j] = sdrt_rng_range(&rng, -2, 2);
        }
}

/* --- agreement ------------------------------------------------------------------- */

/* The largest difference of each method from the symbolic gradient over the
 * first NCHECK points, relative to max(1, |g|). */
static void compare(const Case *c, double *worst) {
    double ref[MAXV], g[MAXV];
    for (int m = 0; m < NMETHODS; m++)
        worst[m] = 0;
    for (int p = 0; p < NCHECK; p++) {
        c->at[0](c, p, ref);
        for (int m = 1; m < NMETHODS; m++) {
            c->at[m](c, p, g);
            for (int j = 0; j < c->nv; j++) {
                double scale = fabs(ref[j]) > 1 ? fabs(ref[j]) : 1;
                double d = fabs(g[j] - ref[j]) / scale;
                if (!(d <= worst[m])) /* NaN counts as the worst */
                    worst[m] = isnan(d) ? INFINITY : d;
            }
        }
    }
}

/* --- timing ---------------------------------------------------------------------- */

static volatile double sink;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds per call: `reps` passes over the points. */
static double time_loop(Loop loop, const Case *c, long reps) {
    double t0 = now();
    for (long r = 0; r < reps; r++)
        sink += loop(c);
    return (now() - t0) / ((double)reps * NPTS);
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static long setting(int argc, char **argv, int index, const char *env, long fallback, long hi) {
    const char *s = argc > index ? argv[index] : getenv(env);
    long v = s ? strtol(s, NULL, 10) : fallback;
    return v < 1 ? 1 : v > hi ? hi : v;
}

int main(int argc, char **argv) {
    int rounds = (int)setting(argc, argv, 1, "AD_TIMING_ROUNDS", 7, MAXROUNDS);
    double ms = (double)setting(argc, argv, 2, "AD_TIMING_MS", 1, 10000);
    make_points();

    printf("Largest difference from the symbolic gradient at %d points (relative):\n\n", NCHECK);
    printf("%-30s %12s %12s %12s\n", "program", method_name[1], method_name[2], method_name[3]);
    int bad = 0;
    for (int c = 0; c < NCASES; c++) {
        double worst[NMETHODS];
        compare(&cases[c], worst);
        double tol = cases[c].exact_tol;
        int ok = worst[1] <= tol && worst[2] <= tol && (!cases[c].fd_resolves || worst[3] <= 1e-5);
        bad |= !ok;
        printf("%-30s %12.1e %12.1e %12.1e%s\n", cases[c].title, worst[1], worst[2], worst[3],
               !ok ? "   DISAGREE" : cases[c].fd_resolves ? "" : "   (no step resolves l_100)");
    }

    /* one timing of f lasts about ms milliseconds */
    long reps[NCASES];
    for (int c = 0; c < NCASES; c++) {
        reps[c] = 1;
        double seconds;
        while ((seconds = time_loop(cases[c].f, &cases[c], reps[c]) * (double)reps[c] * NPTS) < ms * 1e-3 &&
               reps[c] < (1L << 30))
            reps[c] *= 2;
    }
    static double t[NCASES][NMETHODS + 1][MAXROUNDS];
    for (int r = 0; r < rounds; r++)
        for (int c = 0; c < NCASES; c++)
            for (int i = 0; i < NMETHODS + 1; i++) {
                int k = (i + r) % (NMETHODS + 1); /* 0: f, 1 + m: method m */
                Loop loop = k == 0 ? cases[c].f : cases[c].grad[k - 1];
                t[c][k][r] = time_loop(loop, &cases[c], reps[c]);
            }

    printf("\ntime(gradient) / time(f), median of %d rounds of %d points; f: the symbolic kernel's value\n\n",
           rounds, NPTS);
    printf("%-30s %3s %9s %10s %10s %10s %10s\n", "program", "n", "f [ns]", method_name[0], method_name[1],
           method_name[2], method_name[3]);
    for (int c = 0; c < NCASES; c++) {
        double ratio[MAXROUNDS], f_ns[MAXROUNDS];
        for (int r = 0; r < rounds; r++)
            f_ns[r] = 1e9 * t[c][0][r];
        printf("%-30s %3d %9.1f", cases[c].title, cases[c].nv, median(f_ns, rounds));
        for (int m = 0; m < NMETHODS; m++) {
            for (int r = 0; r < rounds; r++)
                ratio[r] = t[c][m + 1][r] / t[c][0][r];
            printf(" %10.2f", median(ratio, rounds));
        }
        printf("\n");
    }
#if defined(__clang__)
    printf("\ncompiler: %s\n", __VERSION__);
#elif defined(__GNUC__)
    printf("\ncompiler: gcc %s\n", __VERSION__);
#endif
    if (bad)
        printf("\nthe methods disagree: see the first table\n");
    return bad ? 1 : 0;
}
