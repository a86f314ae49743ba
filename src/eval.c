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
    case BI_SIGN:
        return isnan(x) ? x : x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
    case BI_STEP:
        return isnan(x) ? x : x > 0 ? 1.0 : x < 0 ? 0.0 : a[1];
    case BI_MIN:
        return isnan(x) || isnan(a[1]) ? NAN : x < a[1] ? x : a[1];
    case BI_MAX:
        return isnan(x) || isnan(a[1]) ? NAN : x > a[1] ? x : a[1];
    case BI_IFPOS:
        return isnan(x) ? x : x > 0 ? a[1] : a[2];
    case BI_COUNT:
        break;
    }
    return NAN;
}

/* The careful forms of the generated code (codegen.c), so that --at agrees
 * with the kernels: exp(u) - 1 is expm1(u) inside a sum. */
static double eval_sum(const Node *n, const double *values) {
    int minus_one = -1, exp_term = -1;
    for (int k = 0; k < n->nargs; k++) {
        if (dag_is_num(n->args[k], -1))
            minus_one = k;
        else if (exp_term < 0 && n->args[k]->kind == EX_CALL && n->args[k]->u.fn == BI_EXP)
            exp_term = k;
    }
    double v = 0;
    for (int k = 0; k < n->nargs; k++) {
        if (minus_one >= 0 && exp_term >= 0 && (k == minus_one || k == exp_term)) {
            if (k == exp_term)
                v += expm1(values[n->args[k]->args[0]->id]);
            continue;
        }
        v += values[n->args[k]->id];
    }
    return v;
}

/* log(sigmoid(v)) = -softplus(-v), log(1 - sigmoid(v)) = -softplus(v),
 * log(1 + w) = log1p(w).  Returns 1 when one of them applies. */
static int eval_careful_log(const Node *u, const double *values, double *out) {
    if (u->kind == EX_CALL && u->u.fn == BI_SIGMOID) {
        double a = -values[u->args[0]->id];
        *out = -eval_builtin(BI_SOFTPLUS, &a);
        return 1;
    }
    if (u->kind != EX_ADD || !dag_is_num(u->args[0], 1))
        return 0;
    const Node *t = u->args[1];
    if (u->nargs == 2 && t->kind == EX_MUL && t->nargs == 2 && dag_is_num(t->args[0], -1) &&
        t->args[1]->kind == EX_CALL && t->args[1]->u.fn == BI_SIGMOID) {
        double a = values[t->args[1]->args[0]->id];
        *out = -eval_builtin(BI_SOFTPLUS, &a);
        return 1;
    }
    double w = 0;
    for (int k = 1; k < u->nargs; k++)
        w += values[u->args[k]->id];
    *out = log1p(w);
    return 1;
}

int eval_nodes(const Graph *g, Node *const *roots, int nroots, const double *point, double *values) {
    unsigned char *mark = malloc(g->nnodes ? g->nnodes : 1);
    if (!mark)
        return -1;
    dag_mark_reachable(g, roots, nroots, mark);
    double argv[8];
    for (size_t id = 0; id < g->nnodes; id++) {
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        double v = 0;
        switch ((NodeKind)n->kind) {
        case EX_CONST:
            v = num_value(n->u.num);
            break;
        case EX_VAR:
            v = point[n->u.var];
            break;
        case EX_ADD:
            v = eval_sum(n, values);
            break;
        case EX_MUL:
            v = 1;
            for (int k = 0; k < n->nargs; k++)
                v *= values[n->args[k]->id];
            break;
        case EX_POW:
            v = pow(values[n->args[0]->id], values[n->args[1]->id]);
            break;
        case EX_CALL:
            if (n->u.fn == BI_LOG && eval_careful_log(n->args[0], values, &v))
                break;
            for (int k = 0; k < n->nargs && k < 8; k++)
                argv[k] = values[n->args[k]->id];
            v = eval_builtin((Builtin)n->u.fn, argv);
            break;
        case EX_COUNT:
            break;
        }
        values[id] = v;
    }
    free(mark);
    return 0;
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
