/* SPDX-License-Identifier: MIT */
/*
 * kernel_peers.c — what one corpus expression's gradient costs at run time,
 * symdiff's kernel next to SymPy's, both against the same plain C f.
 *
 *   kernel_peers LO HI ROUNDS TARGET_MS [BEST [NPTS]]
 *
 * bench/bench.py compiles this file once per corpus expression, with the
 * kernels that the generation benchmark wrote: f.c/f.h from symdiff (`f`
 * and `f_grad`) and, with -DHAVE_SYMPY, sp.c from SymPy's diff + cse +
 * ccode (`sp_f`, `sp_f_grad`, same signatures).  The plain C f every ratio
 * divides by is symdiff's value kernel `f`.
 *
 * Method (the one of kernel_ratio.c): NPTS points (256 unless given)
 * drawn uniformly from [LO, HI] for every parameter and input.  A few
 * hundred points stay in the level-1 cache and the branch predictor learns
 * the branches they take; a large set (65,536 random points) shows what
 * branches on the data cost, as on a real data set.  Each kernel runs in
 * its own loop over the points (kernels in other translation units, so
 * every call is a real call; the gradient loops read two gradient
 * entries); passes calibrated
 * so that one timing of f lasts TARGET_MS; ROUNDS rounds, each timing all
 * kernels back to back in an order that rotates from round to round, each
 * timing the best of BEST runs, and every ratio formed within a round.
 * Before timing, the kernels are compared at every point (f_grad's value
 * with f, SymPy's value and gradient with symdiff's).  bench/bench.py links
 * this program in several layouts (the objects in other orders, behind
 * code of different sizes, bench/pad.c) and pools the rounds of all of
 * them, so that where the linker happens to put a kernel's code does not
 * decide a comparison.
 *
 * Prints one JSON object on stdout: the statistics of the rounds, and each
 * round's ratios ("rounds") for pooling.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "f.h"
#include "sdrt.h"

#if F_NINPUTS > 0
#define NIN F_NINPUTS
#define CALL_F(x, in) f(x, in)
#define CALL_G(x, in, g) f_grad(x, in, g)
#define CALL_SF(x, in) sp_f(x, in)
#define CALL_SG(x, in, g) sp_f_grad(x, in, g)
double sp_f(const double *x, const double *in);
double sp_f_grad(const double *x, const double *in, double *grad);
#else
#define NIN 1
#define CALL_F(x, in) ((void)(in), f(x))
#define CALL_G(x, in, g) ((void)(in), f_grad(x, g))
#define CALL_SF(x, in) ((void)(in), sp_f(x))
#define CALL_SG(x, in, g) ((void)(in), sp_f_grad(x, g))
double sp_f(const double *x);
double sp_f_grad(const double *x, double *grad);
#endif

enum { DEFAULT_NPTS = 256, MAX_NPTS = 1 << 20, MAX_ROUNDS = 101 };

static int NPTS = DEFAULT_NPTS;
/* point i: X[i * F_NVARS ...], IN[i * NIN ...] */
static double *X, *IN;
#define XP(i) (X + (size_t)(i) * F_NVARS)
#define INP(i) (IN + (size_t)(i) * NIN)

/* --- the timed loops --------------------------------------------------------- */

static double loop_f(long passes) {
    double s = 0.0;
    for (long p = 0; p < passes; p++)
        for (int i = 0; i < NPTS; i++)
            s += CALL_F(XP(i), INP(i));
    return s;
}

static double loop_g(long passes) {
    double s = 0.0, g[F_NVARS];
    for (long p = 0; p < passes; p++)
        for (int i = 0; i < NPTS; i++)
            s += CALL_G(XP(i), INP(i), g) + g[0] + g[F_NVARS - 1];
    return s;
}

#ifdef HAVE_SYMPY
static double loop_sf(long passes) {
    double s = 0.0;
    for (long p = 0; p < passes; p++)
        for (int i = 0; i < NPTS; i++)
            s += CALL_SF(XP(i), INP(i));
    return s;
}

static double loop_sg(long passes) {
    double s = 0.0, g[F_NVARS];
    for (long p = 0; p < passes; p++)
        for (int i = 0; i < NPTS; i++)
            s += CALL_SG(XP(i), INP(i), g) + g[0] + g[F_NVARS - 1];
    return s;
}
#endif

typedef double (*Loop)(long passes);

static const struct {
    const char *name;
    Loop loop;
} kernels[] = {
    {"f", loop_f},
    {"f_grad", loop_g},
#ifdef HAVE_SYMPY
    {"sp_f_grad", loop_sg},
    {"sp_f", loop_sf},
#endif
};
#define NK ((int)(sizeof kernels / sizeof kernels[0]))

static volatile double sink;

/* CPU time: on a shared machine, time spent waiting for a core is noise. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds per call. */
static double time_loop(Loop loop, long passes) {
    double t0 = now();
    sink += loop(passes);
    return (now() - t0) / ((double)passes * NPTS);
}

/* The best of `best` timings: a timing can only be slowed down by what
 * else runs on the machine. */
static double time_best(Loop loop, long passes, int best) {
    double t = time_loop(loop, passes);
    for (int i = 1; i < best; i++) {
        double u = time_loop(loop, passes);
        if (u < t)
            t = u;
    }
    return t;
}

/* Prints "key": [v[0], ..., v[n-1]]. */
static void print_list(const char *key, const double *v, int n) {
    printf("\"%s\": [", key);
    for (int i = 0; i < n; i++)
        printf("%s%.6g", i ? ", " : "", v[i]);
    printf("]");
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Prints "[median, min, max]" of v[0..n). */
static void print_stats(const char *key, const double *v, int n, double scale) {
    double s[MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    printf("\"%s\": [%.6g, %.6g, %.6g]", key, med * scale, s[0] * scale, s[n - 1] * scale);
}

/* |a - b| relative to the larger magnitude, absolute below 1. */
static double rel_diff(double a, double b) {
    return fabs(a - b) / fmax(1.0, fmax(fabs(a), fabs(b)));
}

int main(int argc, char **argv) {
    if (argc < 5 || argc > 7) {
        fprintf(stderr, "usage: kernel_peers LO HI ROUNDS TARGET_MS [BEST [NPTS]]\n");
        return 2;
    }
    double lo = atof(argv[1]), hi = atof(argv[2]), target = atof(argv[4]) * 1e-3;
    int rounds = atoi(argv[3]), best = argc >= 6 ? atoi(argv[5]) : 1;
    NPTS = argc == 7 ? atoi(argv[6]) : DEFAULT_NPTS;
    if (rounds < 1 || rounds > MAX_ROUNDS || !(lo < hi) || !(target > 0) || best < 1 ||
        best > 100 || NPTS < 1 || NPTS > MAX_NPTS) {
        fprintf(stderr, "kernel_peers: bad arguments\n");
        return 2;
    }
    X = malloc((size_t)NPTS * F_NVARS * sizeof *X);
    IN = malloc((size_t)NPTS * NIN * sizeof *IN);
    if (!X || !IN) {
        fprintf(stderr, "kernel_peers: out of memory\n");
        return 1;
    }
    SdrtRng rng;
    sdrt_rng_seed(&rng, 7);
    for (int i = 0; i < NPTS; i++) {
        for (int j = 0; j < F_NVARS; j++)
            XP(i)[j] = sdrt_rng_range(&rng, lo, hi);
        for (int j = 0; j < NIN; j++)
            INP(i)[j] = sdrt_rng_range(&rng, lo, hi);
    }

    /* the kernels agree before they are timed (non-finite points skipped) */
    double d_value = 0, d_sp_value = 0, d_sp_grad = 0;
    int nonfinite = 0;
    for (int i = 0; i < NPTS; i++) {
        double g[F_NVARS];
        double v = CALL_F(XP(i), INP(i)), vg = CALL_G(XP(i), INP(i), g);
        int finite = isfinite(v) && isfinite(vg);
        for (int j = 0; j < F_NVARS; j++)
            finite = finite && isfinite(g[j]);
        if (!finite) {
            nonfinite++;
            continue;
        }
        d_value = fmax(d_value, rel_diff(v, vg));
#ifdef HAVE_SYMPY
        double sg[F_NVARS];
        double sv = CALL_SF(XP(i), INP(i)), svg = CALL_SG(XP(i), INP(i), sg);
        d_sp_value = fmax(d_sp_value, fmax(rel_diff(v, sv), rel_diff(v, svg)));
        for (int j = 0; j < F_NVARS; j++)
            d_sp_grad = fmax(d_sp_grad, rel_diff(g[j], sg[j]));
#endif
    }

    /* passes: one timing of f lasts about `target` seconds */
    long passes = 1;
    for (;;) {
        double t = time_loop(loop_f, passes) * (double)passes * NPTS;
        if (t >= target / 4 || passes > (1L << 24)) {
            double want = (double)passes * target / (t > 0 ? t : 1e-9);
            passes = want < 1 ? 1 : (long)want;
            break;
        }
        passes *= 2;
    }
    for (int k = 0; k < NK; k++) /* warm up */
        time_loop(kernels[k].loop, passes);

    static double t[4][MAX_ROUNDS];
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < NK; i++) {
            int k = (i + r) % NK;
            t[k][r] = time_best(kernels[k].loop, passes, best);
        }

    double ratio[MAX_ROUNDS];
    printf("{\"passes\": %ld, \"points\": %d, \"rounds\": %d, \"best\": %d, ", passes, NPTS, rounds, best);
    for (int k = 0; k < NK; k++) {
        char key[32];
        snprintf(key, sizeof key, "%s_ns", kernels[k].name);
        print_stats(key, t[k], rounds, 1e9);
        printf(", ");
        if (k > 0) {
            for (int r = 0; r < rounds; r++)
                ratio[r] = t[k][r] / t[0][r];
            snprintf(key, sizeof key, "%s_over_f", kernels[k].name);
            print_stats(key, ratio, rounds, 1.0);
            printf(", ");
        }
    }
#ifdef HAVE_SYMPY
    for (int r = 0; r < rounds; r++)
        ratio[r] = t[1][r] / t[2][r];
    print_stats("f_grad_over_sp_f_grad", ratio, rounds, 1.0);
    printf(", ");
#endif
    /* every round's times (ns) and ratios, for pooling over layouts */
    printf("\"per_round\": {");
    for (int k = 0; k < NK; k++) {
        char key[32];
        for (int r = 0; r < rounds; r++)
            ratio[r] = t[k][r] * 1e9;
        snprintf(key, sizeof key, "%s_ns", kernels[k].name);
        print_list(key, ratio, rounds);
        printf(", ");
        if (k > 0) {
            for (int r = 0; r < rounds; r++)
                ratio[r] = t[k][r] / t[0][r];
            snprintf(key, sizeof key, "%s_over_f", kernels[k].name);
            print_list(key, ratio, rounds);
            printf(", ");
        }
    }
#ifdef HAVE_SYMPY
    for (int r = 0; r < rounds; r++)
        ratio[r] = t[1][r] / t[2][r];
    print_list("f_grad_over_sp_f_grad", ratio, rounds);
    printf(", ");
#endif
    printf("\"layout\": 0}, ");
    printf("\"check\": {\"f_grad_value\": %.3g, \"sp_value\": %.3g, \"sp_grad\": %.3g, "
           "\"nonfinite\": %d}}\n",
           d_value, d_sp_value, d_sp_grad, nonfinite);
    free(X);
    free(IN);
    return 0;
}
