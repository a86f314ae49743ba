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

/* Ridders' method: central differences for steps h, h/1.4, h/1.4^2, ...
 * extrapolated towards step 0 (a Neville tableau in h^2); the estimate
 * with the smallest change between tableau entries wins, and that change is
 * its error estimate. */
/* f at point, in the caller's values[g->nnodes]; sets *oom when out of
 * memory (a NaN that is not the function's). */
static double value_at(const Graph *g, Node *f, const double *point, double *values, int *oom) {
    if (eval_nodes(g, &f, 1, point, values) != 0) {
        *oom = 1;
        return NAN;
    }
    return values[f->id];
}

static double ridders(const Graph *g, Node *f, double *point, int var, double *err, double *values,
                      int *oom) {
    enum { N = 12 };
    const double shrink = 1.4, shrink2 = shrink * shrink;
    double a[N][N], best = NAN, x = point[var];
    double h = 1e-3 * (fabs(x) > 1 ? fabs(x) : 1);
    *err = INFINITY;
    for (int i = 0; i < N && !*oom; i++, h /= shrink) {
        point[var] = x + h;
        double fp = value_at(g, f, point, values, oom);
        point[var] = x - h;
        double fm = value_at(g, f, point, values, oom);
        point[var] = x;
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

double gradcheck_ridders(const Graph *g, Node *f, double *point, int var, double *err) {
    double *values = malloc((g->nnodes ? g->nnodes : 1) * sizeof *values);
    int oom = !values;
    double d = oom ? NAN : ridders(g, f, point, var, err, values, &oom);
    free(values);
    if (oom)
        *err = INFINITY;
    return oom ? NAN : d;
}

int gradcheck_run(const Graph *g, Node *f, Node *const *grad, const int *vars, int nvars,
                  GradCheck *gc) {
    int points = gc->points > 0 ? gc->points : 20;
    uint64_t state = gc->seed ? gc->seed : 1;
    double lo = gc->lo, hi = gc->hi;
    if (!(hi > lo)) {
        lo = -2;
        hi = 2;
    }
    int nv = g->nvars ? g->nvars : 1;
    double *point = malloc((size_t)nv * sizeof *point);
    double *values = malloc((g->nnodes ? g->nnodes : 1) * sizeof *values);
    Node **roots = malloc((size_t)(nvars + 1) * sizeof *roots);
    gc->tested = 0;
    gc->unsure = 0;
    gc->max_error = 0;
    gc->worst_var = -1;
    double *scratch = malloc((g->nnodes ? g->nnodes : 1) * sizeof *scratch);
    int oom = 0;
    if (!point || !values || !roots || !scratch) {
        free(point);
        free(values);
        free(roots);
        free(scratch);
        return -2;
    }
    roots[0] = f;
    for (int i = 0; i < nvars; i++)
        roots[i + 1] = grad[i];
    for (int tries = 0; gc->tested < points && tries < 50 * points; tries++) {
        for (int v = 0; v < g->nvars; v++)
            point[v] = gc->base ? gc->base[v] : lo + (hi - lo) * uniform(&state);
        for (int i = 0; i < nvars; i++)
            point[vars[i]] = lo + (hi - lo) * uniform(&state);
        if (eval_nodes(g, roots, nvars + 1, point, values) != 0) {
            oom = 1;
            break;
        }
        int defined = isfinite(values[f->id]);
        for (int i = 0; i < nvars && defined; i++)
            defined = isfinite(values[grad[i]->id]);
        if (!defined)
            continue; /* outside the domain: draw again */
        int usable = 1;
        double worst = 0;
        int worst_i = -1;
        for (int i = 0; i < nvars && usable; i++) {
            double fd_err;
            double fd = ridders(g, f, point, vars[i], &fd_err, scratch, &oom);
            double d = values[grad[i]->id];
            if (oom)
                break;
            if (!isfinite(fd)) {
                usable = 0; /* the step left the domain */
                break;
            }
            double scale = fmax(1.0, fmax(fabs(d), fabs(fd)));
            if (fd_err > 1e-6 * scale) {
                gc->unsure++; /* the differences did not converge here */
                continue;
            }
            double err = fabs(d - fd) / scale;
            if (err >= worst) {
                worst = err;
                worst_i = i;
            }
        }
        if (oom)
            break;
        if (!usable)
            continue;
        gc->tested++;
        if (worst >= gc->max_error) {
            gc->max_error = worst;
            gc->worst_var = worst_i;
            if (gc->worst_point)
                memcpy(gc->worst_point, point, (size_t)g->nvars * sizeof *point);
        }
    }
    free(point);
    free(values);
    free(roots);
    free(scratch);
    if (oom)
        return -2;
    return gc->tested > 0 ? 0 : -1;
}
