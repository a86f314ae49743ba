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
            for (int k = 0; k < n->nargs; k++)
                v += values[n->args[k]->id];
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
