/* SPDX-License-Identifier: MIT */
/*
 * eval.c — numeric evaluation of the DAG (see eval.h).
 *
 * Consumes nodes and a point, produces doubles.  Nodes are visited in id
 * order, which is topological, so each argument is ready before its user and
 * no recursion is needed however deep the expression.
 */
#include "eval.h"

#include <math.h>
#include <stdlib.h>

#define SD_PI 3.14159265358979323846

/* Kinks propagate NaN (so that an undefined argument stays undefined). */
double eval_builtin(Builtin fn, const double *a) {
    double x = a[0];
    switch (fn) {
    case BI_PI:
        return SD_PI;
    case BI_EXP:
        return exp(x);
    case BI_LOG:
        return log(x);
    case BI_LOG2:
        return log2(x);
    case BI_LOG10:
        return log10(x);
    case BI_SIN:
        return sin(x);
    case BI_COS:
        return cos(x);
    case BI_TAN:
        return tan(x);
    case BI_ASIN:
        return asin(x);
    case BI_ACOS:
        return acos(x);
    case BI_ATAN:
        return atan(x);
    case BI_SINH:
        return sinh(x);
    case BI_COSH:
        return cosh(x);
    case BI_TANH:
        return tanh(x);
    case BI_SIGMOID:
        /* 1/(1 + e^-x), written so that exp never overflows */
        if (x >= 0)
            return 1.0 / (1.0 + exp(-x));
        return exp(x) / (1.0 + exp(x));
    case BI_SOFTPLUS:
        /* log(1 + e^x) = max(x, 0) + log1p(e^-|x|) */
        return (x > 0 ? x : 0.0) + log1p(exp(-fabs(x)));
    case BI_RELU:
        return isnan(x) ? x : x > 0 ? x : 0.0;
    case BI_LEAKY_RELU:
        return isnan(x) ? x : x > 0 ? x : a[1] * x;
    case BI_ELU:
        return isnan(x) ? x : x > 0 ? x : a[1] * expm1(x);
    case BI_ABS:
        return fabs(x);
    case BI_SIGN: /* 0, -0 and NaN give themselves, as the kernels' sd_sign */
        return x > 0 ? 1.0 : x < 0 ? -1.0 : x;
    case BI_STEP:
        return isnan(x) ? x : x > 0 ? 1.0 : x < 0 ? 0.0 : a[1];
    case BI_MIN:
        return isnan(x) || isnan(a[1]) ? NAN : x < a[1] ? x : a[1];
    case BI_MAX:
        return isnan(x) || isnan(a[1]) ? NAN : x > a[1] ? x : a[1];
    case BI_IFPOS:
        return isnan(x) ? x : x > 0 ? a[1] : a[2];
    case BI_SEC:
        return 1 / cos(x);
    case BI_CSC:
        return 1 / sin(x);
    case BI_COT:
        return 1 / tan(x);
    case BI_ACOT: /* atan(1/u), pi/2 at 0 (the convention of SymPy and Mathematica) */
        return x == 0 ? SD_PI / 2 : atan(1 / x);
    case BI_ASEC:
        return acos(1 / x);
    case BI_ACSC:
        return asin(1 / x);
    case BI_ASINH:
        return asinh(x);
    case BI_ACOSH:
        return acosh(x);
    case BI_ATANH:
        return atanh(x);
    case BI_SECH:
        return 1 / cosh(x);
    case BI_CSCH:
        return 1 / sinh(x);
    case BI_COTH:
        return 1 / tanh(x);
    case BI_ASECH:
        return acosh(1 / x);
    case BI_ACSCH:
        return asinh(1 / x);
    case BI_ACOTH:
        return atanh(1 / x);
    case BI_ATAN2: /* atan2(0, 0) is 0, as in C */
        return atan2(x, a[1]);
    case BI_HYPOT:
        return hypot(x, a[1]);
    case BI_CBRT:
        return cbrt(x);
    case BI_EXP2:
        return exp2(x);
    case BI_EXPM1:
        return expm1(x);
    case BI_LOG1P:
        return log1p(x);
    case BI_LOG_BASE:
        return log(x) / log(a[1]);
    case BI_ERF:
        return erf(x);
    case BI_ERFC:
        return erfc(x);
    /* gelu, silu and mish tend to 0 at -inf (where u times 0 is NaN), from
     * below: u < 0 times a positive factor, so -0 */
    case BI_GELU: /* u Phi(u) = u erfc(-u/sqrt(2))/2: no cancellation for u < 0 */
        return isinf(x) ? (x > 0 ? x : -0.0) : 0.5 * x * erfc(-x * 0.70710678118654752440);
    case BI_SILU: /* u sigmoid(u), written so that exp never overflows */
        if (isinf(x))
            return x > 0 ? x : -0.0;
        if (x >= 0)
            return x / (1.0 + exp(-x));
        return x * exp(x) / (1.0 + exp(x));
    case BI_SOFTSIGN: /* u/(1 + |u|), +-1 at +-inf */
        return isinf(x) ? (x > 0 ? 1.0 : -1.0) : x / (1.0 + fabs(x));
    case BI_MISH: /* u tanh(softplus(u)) */
        return isinf(x) ? (x > 0 ? x : -0.0) : x * tanh((x > 0 ? x : 0.0) + log1p(exp(-fabs(x))));
    case BI_HARDTANH: /* u clamped to [-1, 1]; NaN stays NaN */
        return x > 1 ? 1.0 : x < -1 ? -1.0 : x;
    case BI_HUBER: { /* u^2/2 for |u| <= d, d (|u| - d/2) beyond; d > 0 */
        double m = fabs(x), d = a[1];
        if (!(d > 0))
            return NAN;
        return m <= d ? 0.5 * x * x : d * (m - 0.5 * d);
    }
    case BI_COUNT:
        break;
    }
    return NAN;
}

/* The value of argument node a at element e of its user (scalars
 * broadcast). */
#define ARG(a, e) (at[(a)->id][(a)->shape.rank ? (e) : 0])

/* The careful forms of the generated code (codegen.c), so that --at agrees
 * with the kernels: exp(u) - 1 is expm1(u) inside a sum. */
static double eval_sum(const Node *n, double *const *at, size_t e) {
    int minus_one = -1, exp_term = -1;
    for (int k = 0; k < n->nargs; k++) {
        if (dag_is_num(n->args[k], -1))
            minus_one = k;
        else if (exp_term < 0 && n->args[k]->kind == EX_CALL && n->args[k]->u.fn == BI_EXP)
            exp_term = k;
    }
    /* -0 is the identity of IEEE addition (-0 + -0 = -0, where +0 + -0
     * = +0): a sum of zeros keeps the sign a + b + ... gives as written */
    double v = -0.0;
    for (int k = 0; k < n->nargs; k++) {
        if (minus_one >= 0 && exp_term >= 0 && (k == minus_one || k == exp_term)) {
            if (k == exp_term)
                v += expm1(ARG(n->args[k]->args[0], e));
            continue;
        }
        v += ARG(n->args[k], e);
    }
    return v;
}

/* log(sigmoid(v)) = -softplus(-v), log(1 - sigmoid(v)) = -softplus(v),
 * log(1 + w) = log1p(w).  Returns 1 when one of them applies. */
static int eval_careful_log(const Node *u, double *const *at, size_t e, double *out) {
    if (u->kind == EX_CALL && u->u.fn == BI_SIGMOID) {
        double a = -ARG(u->args[0], e);
        *out = -eval_builtin(BI_SOFTPLUS, &a);
        return 1;
    }
    if (u->kind != EX_ADD || !dag_is_num(u->args[0], 1))
        return 0;
    const Node *t = u->args[1];
    if (u->nargs == 2 && t->kind == EX_MUL && t->nargs == 2 && dag_is_num(t->args[0], -1) &&
        t->args[1]->kind == EX_CALL && t->args[1]->u.fn == BI_SIGMOID) {
        double a = ARG(t->args[1]->args[0], e);
        *out = -eval_builtin(BI_SOFTPLUS, &a);
        return 1;
    }
    double w = 0;
    for (int k = 1; k < u->nargs; k++)
        w += ARG(u->args[k], e);
    *out = log1p(w);
    return 1;
}

/* Element e of an elementwise node. */
static double eval_element(const Node *n, double *const *at, size_t e) {
    double v = 0, argv[8];
    switch ((NodeKind)n->kind) {
    case EX_ADD:
        return eval_sum(n, at, e);
    case EX_MUL:
        v = 1;
        for (int k = 0; k < n->nargs; k++)
            v *= ARG(n->args[k], e);
        return v;
    case EX_POW: /* a constant exponent keeps its exact parity */
        if (n->args[1]->kind == EX_CONST)
            return num_pow_value(ARG(n->args[0], e), n->args[1]->num[0]);
        return pow(ARG(n->args[0], e), ARG(n->args[1], e));
    case EX_CALL:
        if (n->u.fn == BI_LOG && eval_careful_log(n->args[0], at, e, &v))
            return v;
        for (int k = 0; k < n->nargs && k < 8; k++)
            argv[k] = ARG(n->args[k], e);
        return eval_builtin((Builtin)n->u.fn, argv);
    default:
        return NAN;
    }
}

/* log(sum(exp(u))) and softmax(u) by the generated kernels' formulas
 * (codegen_tensor.c, exps_block), so that both give the same numbers,
 * the limits included: m = u_k, the first largest entry (entries that are
 * NaN are passed over, unless u_0 is one), s = 1 + sum over i != k of
 * exp(u_i - m) (the largest term is exactly 1, with no exp), logsumexp =
 * m + log(s), softmax_i = exp(u_i - m) r and softmax_k = r with r = 1/s.
 * No argument of exp is positive and s >= 1: no overflow.  With one +inf
 * entry, logsumexp is +inf and softmax is 1 there and 0 elsewhere (the
 * limit, not inf - inf); -inf entries have terms of 0; a NaN entry makes
 * both NaN.  soft (NULL: not wanted) receives softmax(u). */
static double exps(const double *u, size_t n, double *soft) {
    double m = u[0], s = 1;
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        if (u[i] > m) {
            m = u[i];
            k = i;
        }
    for (size_t i = 0; i < n; i++)
        if (i != k) {
            const double t = exp(u[i] - m);
            s += t;
            if (soft)
                soft[i] = t;
        }
    if (soft) {
        const double r = 1 / s;
        soft[k] = 1;
        for (size_t i = 0; i < n; i++)
            soft[i] *= r;
    }
    return m + log(s);
}

/* The part of a value that takes part: `rows` x `cols` entries (a vector
 * is a column, a scalar 1 x 1) at row stride `stride`, the maximum's.
 * Along a run-time dimension the size is dims[d] (the maximum when dims
 * is NULL). */
typedef struct Extent {
    size_t rows, cols, stride;
} Extent;

static size_t axis_size(Shape s, int k, const int *dims) {
    if (k >= s.rank)
        return 1;
    return (size_t)(s.dyn[k] && dims ? dims[s.dyn[k] - 1] : s.dim[k]);
}

static Extent extent(Shape s, const int *dims) {
    Extent e = {axis_size(s, 0, dims), axis_size(s, 1, dims), s.rank == 2 ? (size_t)s.dim[1] : 1};
    return e;
}

/* One hot: 1 where the label is j, 0 elsewhere in its row, and NaN in
 * every entry of a row whose label is not an integer in [0, k): a label
 * out of range makes the loss undefined rather than quietly wrong. */
static double onehot(double label, size_t j, size_t k) {
    if (!(label >= 0 && label < (double)k && label == floor(label)))
        return NAN;
    return label == (double)j ? 1.0 : 0.0;
}

/* Computes node n into out (shape_numel(n->shape) values, the maximum
 * shape's), its arguments' values being in at[].  Entries outside the
 * part that takes part are 0.  Sizes and positions are size_t: lowering
 * bounds every shape (SHAPE_MAX_ELEMENTS), and no product of dimensions
 * here is computed in int. */
static void eval_one(const Graph *g, const Node *n, double *const *at, const double *const *point,
                     const int *dims, double *out) {
    size_t numel = (size_t)shape_numel(n->shape);
    const double *a = n->nargs ? at[n->args[0]->id] : NULL;
    const double *b = n->nargs > 1 ? at[n->args[1]->id] : NULL;
    Extent x = extent(n->shape, dims), xa = n->nargs ? extent(n->args[0]->shape, dims) : x;
    if (shape_is_dynamic(n->shape))
        for (size_t e = 0; e < numel; e++)
            out[e] = 0;
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        out[0] = num_value(n->num[0]);
        return;
    case EX_VAR:
        for (size_t i = 0; i < x.rows; i++)
            for (size_t j = 0; j < x.cols; j++)
                out[i * x.stride + j] = point[n->u.var][i * x.stride + j];
        return;
    case EX_DIM:
        out[0] = dims ? dims[n->u.dim] : g->dims[n->u.dim].max;
        return;
    case EX_ADD:
    case EX_MUL:
    case EX_POW:
    case EX_CALL:
        /* arguments of the node's own shape share its layout; scalars
         * broadcast */
        for (size_t i = 0; i < x.rows; i++)
            for (size_t j = 0; j < x.cols; j++)
                out[i * x.stride + j] = eval_element(n, at, i * x.stride + j);
        return;
    case EX_MATMUL: {
        /* out(i, j) = sum_q a(i, q) b(q, j); a vector on the left is one
         * row, on the right one column */
        Shape sa = n->args[0]->shape, sb = n->args[1]->shape;
        Extent eb = extent(sb, dims);
        size_t m = sa.rank == 2 ? xa.rows : 1, k = sa.rank == 2 ? xa.cols : xa.rows;
        size_t cols = sb.rank == 2 ? eb.cols : 1;
        size_t ra = sa.rank == 2 ? xa.stride : 0, rb = sb.rank == 2 ? eb.stride : 1;
        size_t ro = n->shape.rank == 2 ? x.stride : 1;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < cols; j++) {
                double s = 0;
                for (size_t q = 0; q < k; q++)
                    s += a[i * ra + q] * b[q * rb + j];
                out[i * ro + j] = s;
            }
        return;
    }
    case EX_OUTER:
        for (size_t i = 0; i < x.rows; i++)
            for (size_t j = 0; j < x.cols; j++)
                out[i * x.stride + j] = a[i] * b[j];
        return;
    case EX_TRANSPOSE:
        for (size_t i = 0; i < x.rows; i++)
            for (size_t j = 0; j < x.cols; j++)
                out[i * x.stride + j] = a[j * xa.stride + i];
        return;
    case EX_INDEX: /* an element (its flat position: no run-time axis), or
                    * the row u.index of a matrix */
        if (n->shape.rank == 0)
            out[0] = a[n->u.index];
        else
            for (size_t e = 0; e < x.rows; e++)
                out[e] = a[(size_t)n->u.index * xa.stride + e];
        return;
    case EX_SCATTER:
        for (size_t e = 0; e < numel; e++)
            out[e] = 0;
        if (n->args[0]->shape.rank == 0)
            out[n->u.index] = a[0];
        else
            for (size_t e = 0; e < xa.rows; e++)
                out[(size_t)n->u.index * x.stride + e] = a[e];
        return;
    case EX_PACK: /* scalars, or rows of one shape */
        for (size_t k = 0; k < (size_t)n->nargs; k++)
            for (size_t e = 0; e < x.cols; e++)
                out[k * x.stride + e] = at[n->args[k]->id][e];
        return;
    case EX_SUM: {
        double s = 0;
        for (size_t i = 0; i < xa.rows; i++)
            for (size_t j = 0; j < xa.cols; j++)
                s += a[i * xa.stride + j];
        out[0] = s;
        return;
    }
    case EX_FILL:
        for (size_t i = 0; i < x.rows; i++)
            for (size_t j = 0; j < x.cols; j++)
                out[i * x.stride + j] = a[0];
        return;
    case EX_SOFTMAX: { /* each row of a matrix; a vector is one row */
        size_t rows = n->shape.rank == 2 ? x.rows : 1, len = n->shape.rank == 2 ? x.cols : x.rows;
        for (size_t i = 0; i < rows; i++)
            (void)exps(a + i * x.stride, len, out + i * x.stride);
        return;
    }
    case EX_LOGSUMEXP:
        if (n->args[0]->shape.rank == 1)
            out[0] = exps(a, xa.rows, NULL);
        else
            for (size_t i = 0; i < xa.rows; i++)
                out[i] = exps(a + i * xa.stride, xa.cols, NULL);
        return;
    case EX_ROWS: /* b in every row */
    case EX_COLS: /* v in every column */
        for (size_t i = 0; i < x.rows; i++)
            for (size_t j = 0; j < x.cols; j++)
                out[i * x.stride + j] = a[n->kind == EX_ROWS ? j : i];
        return;
    case EX_ROWSUM: /* along each row */
    case EX_COLSUM: { /* down each column */
        int rows = n->kind == EX_ROWSUM;
        size_t outer = rows ? xa.rows : xa.cols, inner = rows ? xa.cols : xa.rows;
        size_t so = rows ? xa.stride : 1, si = rows ? 1 : xa.stride;
        for (size_t o = 0; o < outer; o++) {
            double s = 0;
            for (size_t t = 0; t < inner; t++)
                s += a[o * so + t * si];
            out[o] = s;
        }
        return;
    }
    case EX_ONEHOT: { /* a row per label; a scalar label gives one row */
        size_t rows = n->shape.rank == 2 ? x.rows : 1, k = n->shape.rank == 2 ? x.cols : x.rows;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < k; j++)
                out[i * x.stride + j] = onehot(a[i], j, k);
        return;
    }
    case EX_COUNT:
        break;
    }
}

/* Evaluates the marked nodes in id (topological) order into at[id]. */
static void eval_marked(const Graph *g, const unsigned char *mark, const double *const *point,
                        const int *dims, double *const *at) {
    for (size_t id = 0; id < g->nnodes; id++)
        if (mark[id])
            eval_one(g, g->nodes[id], at, point, dims, at[id]);
}

int eval_nodes(const Graph *g, Node *const *roots, int nroots, const double *point, double *values) {
    size_t nn = g->nnodes ? g->nnodes : 1;
    unsigned char *mark = malloc(nn);
    double **at = malloc(nn * sizeof *at);
    const double **vars = malloc((size_t)(g->nvars ? g->nvars : 1) * sizeof *vars);
    if (!mark || !at || !vars) {
        free(mark);
        free(at);
        free(vars);
        return -1;
    }
    /* scalars only: node id's value lives at values[id] */
    for (size_t id = 0; id < g->nnodes; id++)
        at[id] = values + id;
    for (int v = 0; v < g->nvars; v++)
        vars[v] = point + v;
    dag_mark_reachable(g, roots, nroots, mark);
    eval_marked(g, mark, vars, NULL, at);
    free(mark);
    free(at);
    free(vars);
    return 0;
}

int eval_tensors(const Graph *g, Node *const *roots, int nroots, const double *const *point,
                 TensorValues *out) {
    return eval_tensors_at(g, roots, nroots, point, NULL, out);
}

int eval_tensors_at(const Graph *g, Node *const *roots, int nroots, const double *const *point,
                    const int *dims, TensorValues *out) {
    size_t nn = g->nnodes ? g->nnodes : 1, total = 0;
    unsigned char *mark = malloc(nn);
    out->at = calloc(nn, sizeof *out->at);
    out->data = NULL;
    out->nnodes = 0;
    if (mark && out->at) {
        dag_mark_reachable(g, roots, nroots, mark);
        for (size_t id = 0; id < g->nnodes; id++)
            if (mark[id])
                total += (size_t)shape_numel(g->nodes[id]->shape);
        out->data = malloc((total ? total : 1) * sizeof *out->data);
    }
    if (!mark || !out->at || !out->data) {
        free(mark);
        eval_tensors_free(out);
        return -1;
    }
    total = 0;
    for (size_t id = 0; id < g->nnodes; id++)
        if (mark[id]) {
            out->at[id] = out->data + total;
            total += (size_t)shape_numel(g->nodes[id]->shape);
        }
    out->nnodes = g->nnodes;
    eval_marked(g, mark, point, dims, out->at);
    free(mark);
    return 0;
}

void eval_tensors_again(const Graph *g, const double *const *point, TensorValues *tv) {
    eval_tensors_again_at(g, point, NULL, tv);
}

void eval_tensors_again_at(const Graph *g, const double *const *point, const int *dims, TensorValues *tv) {
    for (size_t id = 0; id < tv->nnodes; id++)
        if (tv->at[id])
            eval_one(g, g->nodes[id], tv->at, point, dims, tv->at[id]);
}

void eval_tensors_free(TensorValues *tv) {
    free(tv->at);
    free(tv->data);
    tv->at = NULL;
    tv->data = NULL;
}

double eval_node(const Graph *g, Node *root, const double *point) {
    if (!root)
        return NAN;
    double *values = malloc((g->nnodes ? g->nnodes : 1) * sizeof *values);
    if (!values)
        return NAN;
    double v = NAN;
    if (eval_nodes(g, &root, 1, point, values) == 0)
        v = values[root->id];
    free(values);
    return v;
}
