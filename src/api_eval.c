/* SPDX-License-Identifier: MIT */
/*
 * api_eval.c — numbers: a result's values at a point, and the gradient
 * check.
 *
 * Consumes an SdResult and flat points (every variable's elements, in
 * variable order); produces flat arrays laid out as symdiff.h says: the
 * function's value, then rows x columns of derivatives, the columns being
 * the flattened elements of the variables differentiated by.  Scalars and
 * tensors are evaluated by the one evaluator (eval.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "gradcheck.h"

/* The per-variable pointers into a flat point that the evaluator takes. */
static const double **var_pointers(const SdProgram *p, const double *point) {
    const double **at = malloc((size_t)(p->g->nvars + 1) * sizeof *at);
    for (int v = 0; at && v < p->g->nvars; v++)
        at[v] = point + p->offset[v];
    return at;
}

SdStatus api_point_dims(SdProgram *p, const double *point, int *dims) {
    for (int d = 0; d < p->g->ndims; d++) {
        double n = point[p->dims_at + d];
        if (!(n >= 1 && n <= p->g->dims[d].max && n == floor(n)))
            return api_fail(p, SD_ERR_REQUEST, "the point gives the run-time dimension '%s' the size %g; it "
                            "must be an integer from 1 to %d", p->g->dims[d].name, n, p->g->dims[d].max);
        dims[d] = (int)n;
    }
    return SD_OK;
}

int api_eval(const SdProgram *p, Node *const *roots, int nroots, const double *point, const int *dims,
             TensorValues *out) {
    const double **at = var_pointers(p, point);
    int st = at ? eval_tensors_at(p->g, roots, nroots, at, dims, out) : -1;
    free(at);
    return st;
}

/* Every node a result's numbers need: the function, the blocks, and the
 * gradient of a Hessian. */
static Node **result_roots(const SdResult *r, int *n) {
    long nb = r->what == SD_FUNCTION ? 0 : r->rows * r->nwrt;
    long ng = r->what == SD_HESSIAN ? r->nwrt : 0;
    Node **roots = malloc((size_t)(r->nf + nb + ng + 1) * sizeof *roots);
    if (!roots)
        return NULL;
    memcpy(roots, r->f, (size_t)r->nf * sizeof *roots);
    if (nb)
        memcpy(roots + r->nf, r->blocks, (size_t)nb * sizeof *roots);
    if (ng)
        memcpy(roots + r->nf + nb, r->grad, (size_t)ng * sizeof *roots);
    *n = (int)(r->nf + nb + ng);
    return roots;
}

/* Row i of a result's numbers from the blocks' values. */
static void flatten_row(const SdResult *r, Node *const *row, double *const *at, double *out) {
    for (int j = 0; j < r->nwrt; j++) {
        long numel = r->col[j + 1] - r->col[j];
        memcpy(out + r->col[j], at[row[j]->id], (size_t)numel * sizeof *out);
    }
}

static void fill_values(const SdResult *r, double *const *at, SdValues *v) {
    if (r->p->prog.is_vector) {
        for (int i = 0; i < r->nf; i++)
            v->value[i] = at[r->f[i]->id][0];
    } else {
        memcpy(v->value, at[r->f[0]->id], (size_t)shape_numel(r->f[0]->shape) * sizeof *v->value);
    }
    long cols = r->col[r->nwrt];
    if (r->what != SD_FUNCTION)
        for (long i = 0; i < r->rows; i++)
            flatten_row(r, r->blocks + i * r->nwrt, at, v->deriv + i * cols);
    if (r->what == SD_HESSIAN)
        flatten_row(r, r->grad, at, v->gradient);
}

SdStatus sd_eval(SdResult *r, const double *point, SdValues *v) {
    SdLayout l = sd_result_layout(r);
    memset(v, 0, sizeof *v);
    int dims[GRAPH_MAX_DIMS];
    SdStatus st = api_point_dims(r->p, point, dims);
    if (st != SD_OK)
        return st;
    if (r->p->g->ndims > 0) {
        if (!(v->dims = malloc((size_t)r->p->g->ndims * sizeof *v->dims)))
            return api_nomem(r->p);
        for (int d = 0; d < r->p->g->ndims; d++)
            v->dims[d] = dims[d];
    }
    v->value = malloc((size_t)(l.value_size ? l.value_size : 1) * sizeof *v->value);
    v->deriv = malloc((size_t)(l.rows * l.cols + 1) * sizeof *v->deriv);
    if (r->what == SD_HESSIAN)
        v->gradient = malloc((size_t)(l.cols + 1) * sizeof *v->gradient);
    int nroots = 0;
    Node **roots = result_roots(r, &nroots);
    TensorValues tv = {NULL, NULL, 0};
    if (!v->value || !v->deriv || (r->what == SD_HESSIAN && !v->gradient) || !roots ||
        api_eval(r->p, roots, nroots, point, dims, &tv) != 0) {
        free(roots);
        sd_values_free(v);
        return api_nomem(r->p);
    }
    fill_values(r, tv.at, v);
    eval_tensors_free(&tv);
    free(roots);
    return SD_OK;
}

void sd_values_free(SdValues *v) {
    if (!v)
        return;
    free(v->value);
    free(v->deriv);
    free(v->gradient);
    free(v->dims);
    memset(v, 0, sizeof *v);
}

/* --- the gradient check ------------------------------------------------------------------ */

/* The function and its gradient at flat points, for gradcheck_flat. */
typedef struct CheckCtx {
    SdResult *r;
    TensorValues tv;
    const double **vars; /* into the point being evaluated */
    double *labels;      /* a copy of the point, whose labels are classes */
    const long *nclass;  /* by variable: the classes of labels it holds (0: none) */
    int random;          /* the points are random (no base point given) */
} CheckCtx;

static int check_eval(void *ctx, const double *x, double *f, double *d) {
    CheckCtx *c = ctx;
    const SdProgram *p = c->r->p;
    int dims[GRAPH_MAX_DIMS];
    /* a run-time dimension the point does not size (random points) is
     * checked at its largest size */
    for (int k = 0; k < p->g->ndims; k++) {
        double n = x[p->dims_at + k];
        dims[k] = n >= 1 && n <= p->g->dims[k].max && n == floor(n) ? (int)n : p->g->dims[k].max;
    }
    /* random labels become classes: a uniform draw from [lo, hi) picks
     * one of the k classes */
    if (c->random) {
        memcpy(c->labels, x, (size_t)p->point_size * sizeof *x);
        for (int v = 0; v < p->g->nvars; v++)
            for (long e = p->offset[v]; c->nclass[v] && e < p->offset[v + 1]; e++)
                c->labels[e] = floor((x[e] + 2) / 4 * (double)c->nclass[v]);
        x = c->labels;
    }
    for (int v = 0; v < p->g->nvars; v++)
        c->vars[v] = x + p->offset[v];
    eval_tensors_again_at(p->g, c->vars, dims, &c->tv);
    *f = c->tv.at[c->r->f[0]->id][0];
    if (d)
        flatten_row(c->r, c->r->what == SD_HESSIAN ? c->r->grad : c->r->blocks, c->tv.at, d);
    return 0;
}

SdStatus sd_check(SdResult *r, const SdCheckOptions *opt, SdCheckReport *out) {
    static const SdCheckOptions defaults = {0};
    SdProgram *p = r->p;
    if (!opt)
        opt = &defaults;
    memset(out, 0, sizeof *out);
    out->worst = "";
    out->tol = opt->tol > 0 ? opt->tol : 1e-6;
    if (p->out_shape.rank != 0 || (r->what != SD_GRADIENT && r->what != SD_HESSIAN))
        return api_fail(p, SD_ERR_REQUEST, "--check applies to the gradient of a scalar program");
    long n = r->col[r->nwrt];
    long *cols = malloc((size_t)(n + 1) * sizeof *cols);
    double *zero = calloc((size_t)(p->point_size + 1), sizeof *zero);
    long *nclass = calloc((size_t)p->g->nvars + 1, sizeof *nclass);
    CheckCtx ctx = {r, {NULL, NULL, 0}, var_pointers(p, zero), malloc((size_t)(p->point_size + 1) * sizeof(double)),
                    nclass, !opt->base};
    int nroots = 0, dims[GRAPH_MAX_DIMS];
    for (int d = 0; d < p->g->ndims; d++)
        dims[d] = p->g->dims[d].max;
    Node **roots = result_roots(r, &nroots);
    if (!cols || !zero || !roots || !ctx.vars || !ctx.labels || !nclass ||
        api_eval(p, roots, nroots, zero, dims, &ctx.tv) != 0) {
        free(cols);
        free(zero);
        free(roots);
        free(ctx.vars);
        free(ctx.labels);
        free(nclass);
        eval_tensors_free(&ctx.tv);
        return api_nomem(p);
    }
    /* inputs that onehot reads as labels, and their numbers of classes */
    for (size_t id = 0; id < ctx.tv.nnodes; id++) {
        const Node *h = p->g->nodes[id];
        if (ctx.tv.at[id] && h->kind == EX_ONEHOT && h->args[0]->kind == EX_VAR)
            nclass[h->args[0]->u.var] = h->shape.dim[h->shape.rank - 1];
    }
    for (int j = 0; j < r->nwrt; j++)
        for (long e = p->offset[r->wrt[j]]; e < p->offset[r->wrt[j] + 1]; e++)
            cols[r->col[j] + e - p->offset[r->wrt[j]]] = e;
    GradCheckFn fn = {.n = p->point_size, .cols = cols, .ncols = n, .eval = check_eval, .ctx = &ctx};
    GradCheck gc = {.points = opt->samples, .seed = opt->seed, .base = opt->base};
    GradCheckStatus st = gradcheck_flat(&fn, &gc);
    eval_tensors_free(&ctx.tv);
    free(roots);
    free(zero);
    free(ctx.vars);
    free(ctx.labels);
    free(nclass);
    SdStatus status = SD_OK;
    if (st == GRADCHECK_NO_MEMORY) {
        status = api_nomem(p);
    } else if (st != GRADCHECK_OK) {
        status = api_fail(p, SD_ERR_INPUT, "--check: the function is undefined at every point tried");
    } else {
        out->tested = gc.tested;
        out->skipped = gc.unsure;
        out->max_error = gc.max_error;
        out->ok = gc.max_error <= out->tol;
        if (gc.worst_var >= 0) {
            /* the variable of the worst column, with its element if a tensor */
            long c = gc.worst_var;
            int j = 0;
            while (j + 1 < r->nwrt && r->col[j + 1] <= c)
                j++;
            const Var *var = &p->g->vars[r->wrt[j]];
            if (var->shape.rank == 0)
                snprintf(r->worst, sizeof r->worst, "%s", var->name);
            else
                snprintf(r->worst, sizeof r->worst, "%s[%ld]", var->name, c - r->col[j]);
            out->worst = r->worst;
        }
    }
    free(cols);
    return status;
}
