/* SPDX-License-Identifier: MIT */
/*
 * deriv.c — forward and reverse symbolic differentiation (see deriv.h).
 *
 * Consumes a function's DAG, produces derivative nodes in the same graph.
 * Every rule is a local partial derivative dn/da_k (deriv_partial); the
 * engines differ only in the order they combine them:
 *   forward:  d(n)     = sum_k  dn/da_k * d(a_k)      (ids ascending)
 *   reverse:  adj(a_k) += adj(n) * dn/da_k            (ids descending)
 * Values that are reused (a derivative or an adjoint feeds every user of its
 * node) are pinned, so the simplifier keeps them shared instead of copying
 * their factors into each use: the result stays a small constant times the
 * function.  The settings of a request (kink convention, assumptions,
 * engine) are the DerivOptions argument of each entry point, which applies
 * the request's assumptions for its own duration (deriv_scope_begin).
 */
#include "deriv.h"

#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The derivative of a kink at its corner (relu'(0), ties of max/min): the
 * request's setting. */
static Node *kink_value(Graph *g, const DerivOptions *opt) {
    return dag_num(g, num_double(opt ? opt->kink : 0.0));
}

static Node *step_at(Graph *g, Node *u, Node *at_zero) {
    Node *a[2] = {u, at_zero};
    return dag_call(g, BI_STEP, a, 2);
}

/* Product of all arguments of a product except the k-th. */
static Node *product_except(Graph *g, Node *n, int k) {
    Node **f = malloc((size_t)n->nargs * sizeof *f);
    if (!f) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        return NULL;
    }
    int m = 0;
    for (int i = 0; i < n->nargs; i++)
        if (i != k)
            f[m++] = n->args[i];
    Node *r = dag_mul_n(g, f, m);
    free(f);
    return r;
}

/* Products of up to this many factors get each partial written out
 * (product_except, the textbook form); larger ones share prefix and
 * suffix products, which is linear instead of quadratic in the factors. */
#define PARTIAL_DIRECT_MAX 8

/* The partials of a product a_0 a_1 ... a_{N-1} for the k with want[k]:
 *   d/da_k = (a_0 ... a_{k-1}) (a_{k+1} ... a_{N-1}) = pre_k suf_{k+1},
 * where pre_{k+1} = pre_k a_k and suf_k = a_k suf_{k+1} are built once
 * and pinned (each is reused by the next one and by a partial, and must
 * not be copied into them).  3N nodes for all N partials, where writing
 * each out would take N^2 operands. */
static int product_partials(Graph *g, Node *n, const unsigned char *want, Node **out) {
    int N = n->nargs, lo = N, hi = -1;
    for (int k = 0; k < N; k++)
        if (!want || want[k]) {
            lo = k < lo ? k : lo;
            hi = k;
        }
    Node **pre = calloc((size_t)N + 1, sizeof *pre), **suf = calloc((size_t)N + 1, sizeof *suf);
    if (!pre || !suf) {
        free(pre);
        free(suf);
        g->failed = GRAPH_OUT_OF_MEMORY;
        return -1;
    }
    /* pre[k]: the product of a_0 .. a_{k-1} (NULL: empty), needed up to hi;
     * suf[k]: the product of a_k .. a_{N-1}, needed down to lo + 1 */
    for (int k = 0; k < hi && !g->failed; k++) {
        pre[k + 1] = pre[k] ? dag_mul(g, pre[k], n->args[k]) : n->args[k];
        if (pre[k])
            dag_pin(g, pre[k + 1]);
    }
    for (int k = N - 1; k > lo && !g->failed; k--) {
        suf[k] = suf[k + 1] ? dag_mul(g, n->args[k], suf[k + 1]) : n->args[k];
        if (suf[k + 1])
            dag_pin(g, suf[k]);
    }
    for (int k = 0; k < N && !g->failed; k++) {
        if (want && !want[k])
            continue;
        Node *a = pre[k], *b = suf[k + 1];
        out[k] = a && b ? dag_mul(g, a, b) : a ? a : b ? b : dag_int(g, 1);
    }
    free(pre);
    free(suf);
    return g->failed ? -1 : 0;
}

static Node *sqrt_of(Graph *g, Node *u) { return dag_pow(g, u, dag_num(g, num_rat(1, 2))); }

static Node *pi_node(Graph *g) { return dag_call(g, BI_PI, NULL, 0); }

/* The product a b that ends a partial's rule: unbuilt (dag_mul_lazy) when
 * the caller multiplies the partial into an adjoint at once (lazy), as
 * reverse mode does: the product it is multiplied into opens it, and
 * built it would be a node nobody uses (2 u for u^2, -sin(u) for cos(u),
 * sigmoid(u) (1 - sigmoid(u)) for sigmoid(u)). */
static Node *last_mul(Graph *g, int lazy, Node *a, Node *b) {
    return lazy ? dag_mul_lazy(g, (Node *[]){a, b}, 2) : dag_mul(g, a, b);
}

static Node *call_partial(Graph *g, Node *n, int k, const DerivOptions *opt, int lazy) {
    Node *u = n->args[0];
    Node *one = dag_int(g, 1);
    switch ((Builtin)n->u.fn) {
    case BI_PI:
        return dag_int(g, 0);
    case BI_EXP: /* d exp(u) = exp(u) du */
        return n;
    case BI_LOG: /* d ln(u) = du / u */
        return dag_pow(g, u, dag_int(g, -1));
    case BI_LOG2: /* d log2(u) = du / (u ln 2) */
        return dag_pow(g, dag_mul(g, u, dag_call1(g, BI_LOG, dag_int(g, 2))), dag_int(g, -1));
    case BI_LOG10: /* d log10(u) = du / (u ln 10) */
        return dag_pow(g, dag_mul(g, u, dag_call1(g, BI_LOG, dag_int(g, 10))), dag_int(g, -1));
    case BI_SIN: /* d sin(u) = cos(u) du */
        return dag_call1(g, BI_COS, u);
    case BI_COS: /* d cos(u) = -sin(u) du */
        return last_mul(g, lazy, dag_int(g, -1), dag_call1(g, BI_SIN, u));
    case BI_TAN: /* d tan(u) = (1 + tan(u)^2) du */
        return dag_add(g, one, dag_pow(g, n, dag_int(g, 2)));
    case BI_ASIN: /* d asin(u) = du / sqrt(1 - u^2) */
        return dag_pow(g, dag_sub(g, one, dag_pow(g, u, dag_int(g, 2))), dag_num(g, num_rat(-1, 2)));
    case BI_ACOS: /* d acos(u) = -du / sqrt(1 - u^2) */
        return dag_neg(g, dag_pow(g, dag_sub(g, one, dag_pow(g, u, dag_int(g, 2))),
                                  dag_num(g, num_rat(-1, 2))));
    case BI_ATAN: /* d atan(u) = du / (1 + u^2) */
        return dag_pow(g, dag_add(g, one, dag_pow(g, u, dag_int(g, 2))), dag_int(g, -1));
    case BI_SINH: /* d sinh(u) = cosh(u) du */
        return dag_call1(g, BI_COSH, u);
    case BI_COSH: /* d cosh(u) = sinh(u) du */
        return dag_call1(g, BI_SINH, u);
    case BI_TANH: /* d tanh(u) = (1 - tanh(u)^2) du */
        return dag_sub(g, one, dag_pow(g, n, dag_int(g, 2)));
    case BI_SIGMOID: /* d sigmoid(u) = sigmoid(u) (1 - sigmoid(u)) du */
        return last_mul(g, lazy, n, dag_sub(g, one, n));
    case BI_SOFTPLUS: /* d log(1 + e^u) = sigmoid(u) du */
        return dag_call1(g, BI_SIGMOID, u);
    case BI_RELU: /* d relu(u) = step(u) du, relu'(0) = kink */
        return step_at(g, u, kink_value(g, opt));
    case BI_LEAKY_RELU:
        if (k == 0) /* d leaky_relu(u, a) = (a + (1 - a) step(u)) du */
            return dag_add(g, n->args[1],
                           dag_mul(g, dag_sub(g, one, n->args[1]), step_at(g, u, kink_value(g, opt))));
        /* d/da leaky_relu(u, a) = min(u, 0) */
        return dag_call(g, BI_MIN, (Node *[]){u, dag_int(g, 0)}, 2);
    case BI_ELU:
        if (k == 0) /* d elu(u, a) = 1 for u > 0, elu(u, a) + a otherwise */
            return dag_call(g, BI_IFPOS, (Node *[]){u, one, dag_add(g, n, n->args[1])}, 3);
        /* d/da elu(u, a) = e^u - 1 for u <= 0 */
        return dag_call(g, BI_IFPOS,
                        (Node *[]){u, dag_int(g, 0), dag_sub(g, dag_call1(g, BI_EXP, u), one)}, 3);
    case BI_ABS: /* d |u| = sign(u) du, abs'(0) = 0 */
        return dag_call1(g, BI_SIGN, u);
    case BI_SIGN: /* piecewise constant: derivative 0 (and 0 at the jump) */
    case BI_STEP:
        return dag_int(g, 0);
    case BI_MAX: /* d max(a, b) = step(a - b) da + step(b - a) db; ties: kink */
        return step_at(g, k == 0 ? dag_sub(g, n->args[0], n->args[1]) : dag_sub(g, n->args[1], n->args[0]),
                       kink_value(g, opt));
    case BI_MIN: /* d min(a, b) = step(b - a) da + step(a - b) db; ties: kink */
        return step_at(g, k == 0 ? dag_sub(g, n->args[1], n->args[0]) : dag_sub(g, n->args[0], n->args[1]),
                       kink_value(g, opt));
    case BI_IFPOS: /* d ifpos(c, a, b) = step(c) da + step(-c, 1) db */
        if (k == 0)
            return dag_int(g, 0);
        if (k == 1)
            return step_at(g, u, dag_int(g, 0));
        return step_at(g, dag_neg(g, u), one);
    case BI_SEC: /* d sec(u) = sec(u) tan(u) du */
        return last_mul(g, lazy, n, dag_call1(g, BI_TAN, u));
    case BI_CSC: /* d csc(u) = -csc(u) cot(u) du */
        return dag_neg(g, dag_mul(g, n, dag_call1(g, BI_COT, u)));
    case BI_COT: /* d cot(u) = -csc(u)^2 du (= -(1 + cot(u)^2) du) */
        return dag_neg(g, dag_pow(g, dag_call1(g, BI_CSC, u), dag_int(g, 2)));
    case BI_ACOT: /* d acot(u) = -du / (1 + u^2) */
        return dag_neg(g, dag_pow(g, dag_add(g, one, dag_pow(g, u, dag_int(g, 2))), dag_int(g, -1)));
    case BI_ASEC: /* d asec(u) = du / (|u| sqrt(u^2 - 1)) */
        return dag_pow(g, dag_mul(g, dag_call1(g, BI_ABS, u), sqrt_of(g, dag_sub(g, dag_pow(g, u, dag_int(g, 2)), one))),
                       dag_int(g, -1));
    case BI_ACSC: /* d acsc(u) = -du / (|u| sqrt(u^2 - 1)) */
        return dag_neg(g, dag_pow(g, dag_mul(g, dag_call1(g, BI_ABS, u),
                                             sqrt_of(g, dag_sub(g, dag_pow(g, u, dag_int(g, 2)), one))),
                                  dag_int(g, -1)));
    case BI_ASINH: /* d asinh(u) = du / sqrt(u^2 + 1) */
        return dag_pow(g, dag_add(g, dag_pow(g, u, dag_int(g, 2)), one), dag_num(g, num_rat(-1, 2)));
    case BI_ACOSH: /* d acosh(u) = du / sqrt(u^2 - 1) */
        return dag_pow(g, dag_sub(g, dag_pow(g, u, dag_int(g, 2)), one), dag_num(g, num_rat(-1, 2)));
    case BI_ATANH: /* d atanh(u) = du / (1 - u^2) */
    case BI_ACOTH: /* d acoth(u) = du / (1 - u^2), for |u| > 1 */
        return dag_pow(g, dag_sub(g, one, dag_pow(g, u, dag_int(g, 2))), dag_int(g, -1));
    case BI_SECH: /* d sech(u) = -sech(u) tanh(u) du */
        return dag_neg(g, dag_mul(g, n, dag_call1(g, BI_TANH, u)));
    case BI_CSCH: /* d csch(u) = -csch(u) coth(u) du */
        return dag_neg(g, dag_mul(g, n, dag_call1(g, BI_COTH, u)));
    case BI_COTH: /* d coth(u) = -csch(u)^2 du (= (1 - coth(u)^2) du) */
        return dag_neg(g, dag_pow(g, dag_call1(g, BI_CSCH, u), dag_int(g, 2)));
    case BI_ASECH: /* d asech(u) = -du / (u sqrt(1 - u^2)), 0 < u <= 1 */
        return dag_neg(g, dag_pow(g, dag_mul(g, u, sqrt_of(g, dag_sub(g, one, dag_pow(g, u, dag_int(g, 2))))),
                                  dag_int(g, -1)));
    case BI_ACSCH: /* d acsch(u) = -du / (|u| sqrt(1 + u^2)) */
        return dag_neg(g, dag_pow(g, dag_mul(g, dag_call1(g, BI_ABS, u),
                                             sqrt_of(g, dag_add(g, one, dag_pow(g, u, dag_int(g, 2))))),
                                  dag_int(g, -1)));
    case BI_ATAN2: { /* d atan2(y, x) = (x dy - y dx) / (x^2 + y^2) */
        Node *y = n->args[0], *x = n->args[1];
        Node *r2 = dag_add(g, dag_pow(g, x, dag_int(g, 2)), dag_pow(g, y, dag_int(g, 2)));
        return dag_div(g, k == 0 ? x : dag_neg(g, y), r2);
    }
    case BI_HYPOT: /* d hypot(a, b) = (a da + b db) / hypot(a, b) */
        return dag_div(g, n->args[k], n);
    case BI_CBRT: /* d cbrt(u) = du / (3 cbrt(u)^2) */
        return dag_pow(g, dag_mul(g, dag_int(g, 3), dag_pow(g, n, dag_int(g, 2))), dag_int(g, -1));
    case BI_EXP2: /* d 2^u = 2^u ln(2) du */
        return last_mul(g, lazy, n, dag_call1(g, BI_LOG, dag_int(g, 2)));
    case BI_EXPM1: /* d (e^u - 1) = e^u du */
        return dag_call1(g, BI_EXP, u);
    case BI_LOG1P: /* d ln(1 + u) = du / (1 + u) */
        return dag_pow(g, dag_add(g, one, u), dag_int(g, -1));
    case BI_LOG_BASE: {
        Node *lnb = dag_call1(g, BI_LOG, n->args[1]);
        if (k == 0) /* d log_b(u) = du / (u ln b) */
            return dag_pow(g, dag_mul(g, u, lnb), dag_int(g, -1));
        /* d/db ln(u)/ln(b) = -ln(u) / (b ln(b)^2) = -log_b(u) / (b ln b) */
        return dag_neg(g, dag_div(g, n, dag_mul(g, n->args[1], lnb)));
    }
    case BI_ERF: /* d erf(u) = 2/sqrt(pi) e^(-u^2) du */
    case BI_ERFC: { /* d erfc(u) = -2/sqrt(pi) e^(-u^2) du */
        Node *d = dag_mul(g, dag_mul(g, dag_int(g, 2), dag_pow(g, pi_node(g), dag_num(g, num_rat(-1, 2)))),
                          dag_call1(g, BI_EXP, dag_neg(g, dag_pow(g, u, dag_int(g, 2)))));
        return n->u.fn == BI_ERF ? d : dag_neg(g, d);
    }
    case BI_GELU: { /* gelu(u) = u Phi(u): d = (Phi(u) + u phi(u)) du with
                     * Phi(u) = (1 + erf(u/sqrt 2))/2, phi(u) = e^(-u^2/2)/sqrt(2 pi) */
        Node *Phi = dag_mul(g, dag_num(g, num_rat(1, 2)),
                            dag_add(g, one, dag_call1(g, BI_ERF, dag_mul(g, u, dag_pow(g, dag_int(g, 2),
                                                                                     dag_num(g, num_rat(-1, 2)))))));
        Node *phi = dag_mul(g, dag_call1(g, BI_EXP, dag_mul(g, dag_num(g, num_rat(-1, 2)), dag_pow(g, u, dag_int(g, 2)))),
                            dag_pow(g, dag_mul(g, dag_int(g, 2), pi_node(g)), dag_num(g, num_rat(-1, 2))));
        return dag_add(g, Phi, dag_mul(g, u, phi));
    }
    case BI_SILU: { /* d u sigmoid(u) = sigmoid(u) (1 + u (1 - sigmoid(u))) du */
        Node *sg = dag_call1(g, BI_SIGMOID, u);
        return dag_mul(g, sg, dag_add(g, one, dag_mul(g, u, dag_sub(g, one, sg))));
    }
    case BI_SOFTSIGN: /* d u/(1 + |u|) = du / (1 + |u|)^2 */
        return dag_pow(g, dag_add(g, one, dag_call1(g, BI_ABS, u)), dag_int(g, -2));
    case BI_MISH: { /* d u tanh(softplus(u)) = (t + u sigmoid(u) (1 - t^2)) du, t = tanh(softplus(u)) */
        Node *t = dag_call1(g, BI_TANH, dag_call1(g, BI_SOFTPLUS, u));
        return dag_add(g, t, dag_mul(g, dag_mul(g, u, dag_call1(g, BI_SIGMOID, u)),
                                     dag_sub(g, one, dag_pow(g, t, dag_int(g, 2)))));
    }
    case BI_HARDTANH: /* d hardtanh(u) = step(1 - |u|) du; at +-1: kink */
        return step_at(g, dag_sub(g, one, dag_call1(g, BI_ABS, u)), kink_value(g, opt));
    case BI_HUBER:
        if (k == 0) /* d huber(u, d) = clamp(u, -d, d) du = d hardtanh(u/d) du */
            return dag_mul(g, n->args[1], dag_call1(g, BI_HARDTANH, dag_div(g, u, n->args[1])));
        /* d/dd huber(u, d) = 0 for |u| <= d, |u| - d beyond: relu(|u| - d) */
        return dag_call1(g, BI_RELU, dag_sub(g, dag_call1(g, BI_ABS, u), n->args[1]));
    case BI_COUNT:
        break;
    }
    return dag_int(g, 0);
}

/* The value of a small expression without variables (a number, pi, e,
 * -pi, sqrt(2), ...); NaN when it has variables or more than `*budget`
 * nodes (which bounds the recursion too). */
static double small_constant(const Node *n, int *budget) {
    double v[3];
    if (n->kind == EX_CONST)
        return num_value(n->num[0]);
    if (--*budget < 0 || n->kind > EX_CALL || n->shape.rank > 0 || n->kind == EX_VAR || n->nargs > 3)
        return NAN;
    for (int k = 0; k < n->nargs; k++)
        v[k] = small_constant(n->args[k], budget);
    switch ((NodeKind)n->kind) {
    case EX_ADD:
        return n->nargs == 2 ? v[0] + v[1] : n->nargs == 3 ? v[0] + v[1] + v[2] : NAN;
    case EX_MUL:
        return n->nargs == 2 ? v[0] * v[1] : n->nargs == 3 ? v[0] * v[1] * v[2] : NAN;
    case EX_POW:
        return pow(v[0], v[1]);
    case EX_CALL:
        return eval_builtin((Builtin)n->u.fn, v);
    default:
        return NAN;
    }
}

/* The sign of a base without variables: -1, 0 or 1; 2 when it has
 * variables (or is too large to be worth evaluating here). */
static int constant_sign(const Node *b) {
    int budget = 16;
    double v = small_constant(b, &budget);
    return v < 0 ? -1 : v == 0 ? 0 : v > 0 ? 1 : 2;
}

/* deriv_partial; lazy: its last product may be unbuilt (last_mul), for a
 * caller that multiplies it into another product at once and frees it
 * (dag_lazy_free). */
static Node *partial_of(Graph *g, Node *n, int k, const DerivOptions *opt, int lazy) {
    switch ((NodeKind)n->kind) {
    case EX_ADD: /* d(a + b) = da + db */
        return dag_int(g, 1);
    case EX_MUL: /* d(a b c) = da b c + a db c + a b dc */
        return product_except(g, n, k);
    case EX_POW: {
        Node *b = n->args[0], *e = n->args[1];
        if (k == 0) /* d(b^e)/db = e b^(e-1): no logarithm, so b < 0 is fine */
            return last_mul(g, lazy, e, dag_pow(g, b, dag_sub(g, e, dag_int(g, 1))));
        /* d(b^e)/de = b^e ln(b), but ln(b) of a constant b <= 0 is no
         * number (and 1^e is already 1):
         *   b = 0: 0^e is 0 for every e > 0 (1 at e = 0, a jump as in step;
         *          undefined for e < 0), so its derivative is 0;
         *   b < 0: b^e is defined at whole e only, where it agrees with the
         *          real part |b|^e cos(pi e) of the complex power, whose
         *          derivative there is b^e ln|b| (and where b^e is NaN,
         *          so is this). */
        int sign = constant_sign(b);
        if (sign == 0)
            return dag_int(g, 0);
        return last_mul(g, lazy, n, dag_call1(g, BI_LOG, sign < 0 ? dag_neg(g, b) : b));
    }
    case EX_CALL:
        return call_partial(g, n, k, opt, lazy);
    case EX_CONST:
    case EX_VAR:
    CASE_TENSOR_KINDS: /* not elementwise: see tensor_adjoint, tensor_tangent */
    case EX_COUNT:
        break;
    }
    return dag_int(g, 0);
}

Node *deriv_partial(Graph *g, Node *n, int k, const DerivOptions *opt) { return partial_of(g, n, k, opt, 0); }

static int is_elementwise(const Node *n) { return n->kind <= EX_CALL; }

/* The partials that are cheaper built together: those of a large product
 * when two or more are wanted.  Fills out[] and returns 1 then; returns 0
 * (out[] all NULL) when each partial is best built by deriv_partial where
 * it is used (which keeps the order in which nodes are made, and so the
 * printed forms, of the textbook rules), and -1 when the graph failed. */
static int shared_partials(Graph *g, Node *n, const unsigned char *want, Node **out) {
    int nwant = 0;
    for (int k = 0; k < n->nargs; k++) {
        out[k] = NULL;
        nwant += !want || want[k];
    }
    if (n->kind != EX_MUL || n->nargs <= PARTIAL_DIRECT_MAX || nwant < 2)
        return 0;
    return product_partials(g, n, want, out) == 0 ? 1 : -1;
}

int deriv_partials(Graph *g, Node *n, const unsigned char *want, Node **out, const DerivOptions *opt) {
    int shared = shared_partials(g, n, want, out);
    for (int k = 0; k < n->nargs && shared == 0 && !g->failed; k++)
        if (!want || want[k])
            out[k] = deriv_partial(g, n, k, opt);
    return shared < 0 || g->failed ? -1 : 0;
}

/* --------------------------------------------------------- tensor rules
 * Vectors and matrices are differentiated as wholes.  In reverse mode a
 * node passes to argument k the vector-Jacobian product adj(n) dn/da_k,
 * written with tensor operations (never element by element); in forward
 * mode it combines its arguments' tangents dA the same way. */

/* The reverse rule: the contribution of node n to adj(args[k]). */
static Node *tensor_adjoint(Graph *g, Node *n, int k, Node *adj) {
    Node *a = n->args[0], *b = n->nargs > 1 ? n->args[1] : NULL;
    switch ((NodeKind)n->kind) {
    case EX_MATMUL:
        if (a->shape.rank == 2 && b->shape.rank == 2) /* Y = A B: adj A = adj Y B', adj B = A' adj Y */
            return k == 0 ? dag_matmul(g, adj, dag_transpose(g, b)) : dag_matmul(g, dag_transpose(g, a), adj);
        if (a->shape.rank == 2) /* y = A x: adj A = adj y x', adj x = A' adj y (as adj y' A) */
            return k == 0 ? dag_outer(g, adj, b) : dag_matmul(g, adj, a);
        /* y = x' B: adj x = B adj y, adj B = x adj y' */
        return k == 0 ? dag_matmul(g, b, adj) : dag_outer(g, a, adj);
    case EX_OUTER: /* Y = a b': adj a = adj Y b, adj b = adj Y' a (as a' adj Y) */
        return k == 0 ? dag_matmul(g, adj, b) : dag_matmul(g, a, adj);
    case EX_TRANSPOSE: /* Y = A': adj A = adj Y' */
        return dag_transpose(g, adj);
    case EX_INDEX: /* y = a[i]: adj a = adj y at i, zeros elsewhere */
        return dag_scatter(g, adj, n->u.index, n->shape.rank == 0, a->shape);
    case EX_SCATTER: /* Y = a at i: adj a = adj Y[i] */
        return dag_index(g, adj, n->u.index, a->shape.rank == 0);
    case EX_PACK: /* Y = [a_0, a_1, ...]: adj a_k = adj Y[k] */
        return dag_index(g, adj, k, 0);
    case EX_SUM: /* y = sum(a): adj a = adj y, in every element */
        return dag_fill(g, adj, a->shape);
    case EX_FILL: /* Y = a repeated: adj a = sum(adj Y) */
        return dag_sum(g, adj);
    case EX_SOFTMAX: /* p = softmax(u): adj u = p (adj p - p' adj p), row by row */
        return dag_mul(g, n, dag_sub(g, adj, dag_row_total(g, dag_mul(g, n, adj))));
    case EX_LOGSUMEXP: /* l = logsumexp(u): adj u = adj l softmax(u) (each row: adj l_i) */
        return dag_mul(g, a->shape.rank == 2 ? dag_cols(g, adj, shape_axis(a->shape, 1)) : adj,
                       dag_softmax(g, a));
    case EX_ROWS: /* Y = b in every row: adj b = the column sums of adj Y */
        return dag_colsum(g, adj);
    case EX_COLS: /* Y = v in every column: adj v = the row sums of adj Y */
        return dag_rowsum(g, adj);
    case EX_ROWSUM: /* y_i = sum_j A_ij: adj A_ij = adj y_i */
        return dag_cols(g, adj, shape_axis(a->shape, 1));
    case EX_COLSUM: /* y_j = sum_i A_ij: adj A_ij = adj y_j */
        return dag_rows(g, adj, shape_axis(a->shape, 0));
    case EX_ONEHOT: /* of labels, which are data: piecewise constant */
        return dag_zeros(g, a->shape);
    default:
        return NULL;
    }
}

/* The forward rule: the tangent of n from its arguments' tangents (NULL
 * for zero). */
static Node *tensor_tangent(Graph *g, Node *n, Node *const *d) {
    Node *a = n->args[0], *b = n->nargs > 1 ? n->args[1] : NULL;
    Node *da = d[0], *db = n->nargs > 1 ? d[1] : NULL;
    switch ((NodeKind)n->kind) {
    case EX_MATMUL: /* d(A B) = dA B + A dB */
    case EX_OUTER: { /* d(a b') = da b' + a db' */
        Node *(*op)(Graph *, Node *, Node *) = n->kind == EX_MATMUL ? dag_matmul : dag_outer;
        Node *t1 = da ? op(g, da, b) : NULL, *t2 = db ? op(g, a, db) : NULL;
        return t1 && t2 ? dag_add(g, t1, t2) : t1 ? t1 : t2;
    }
    case EX_TRANSPOSE:
        return dag_transpose(g, da);
    case EX_INDEX:
        return dag_index(g, da, n->u.index, n->shape.rank == 0);
    case EX_SCATTER:
        return dag_scatter(g, da, n->u.index, a->shape.rank == 0, n->shape);
    case EX_PACK: {
        Node **items = malloc((size_t)n->nargs * sizeof *items);
        if (!items) {
            g->failed = 1;
            return NULL;
        }
        for (int k = 0; k < n->nargs; k++)
            items[k] = d[k] ? d[k] : dag_zeros(g, n->args[k]->shape);
        Node *r = dag_pack(g, items, n->nargs);
        free(items);
        return r;
    }
    case EX_SUM:
        return dag_sum(g, da);
    case EX_FILL:
        return dag_fill(g, da, n->shape);
    case EX_SOFTMAX: /* dp = p (du - p' du), row by row */
        return dag_mul(g, n, dag_sub(g, da, dag_row_total(g, dag_mul(g, n, da))));
    case EX_LOGSUMEXP: /* dl = softmax(u)' du (each row: dl_i = softmax(u_i)' du_i) */
        return a->shape.rank == 2 ? dag_rowsum(g, dag_mul(g, dag_softmax(g, a), da))
                                  : dag_sum(g, dag_mul(g, dag_softmax(g, a), da));
    case EX_ROWS: /* d(b in every row) = db in every row */
        return dag_rows(g, da, shape_axis(n->shape, 0));
    case EX_COLS:
        return dag_cols(g, da, shape_axis(n->shape, 1));
    case EX_ROWSUM:
        return dag_rowsum(g, da);
    case EX_COLSUM:
        return dag_colsum(g, da);
    case EX_ONEHOT: /* piecewise constant in its labels */
        return NULL;
    default:
        return NULL;
    }
}

/* Reverse mode: what node n passes to adj(args[k]).  Elementwise nodes
 * pass adj(n) times their local partial (given), summed over the elements
 * when the argument was a broadcast scalar. */
static Node *adjoint_term(Graph *g, Node *n, int k, Node *adj, Node *partial) {
    if (!is_elementwise(n))
        return tensor_adjoint(g, n, k, adj);
    Node *c;
    if (partial && partial->kind == EX_CONST && num_is_one(partial->num[0]) && adj && adj->shape.rank == 0 &&
        n->shape.rank == 0) {
        /* adj(n) * 1 (the arguments of a sum): adj(n) itself, without a
         * product constructor call that would find the node it was given */
        c = adj;
        if (g->check_refusals) {
            g->refusals_wrong += dag_mul(g, adj, partial) != dag_lazy_build(g, c);
            g->refusals++;
        }
    } else {
        /* not built unless kept whole (see dag_mul_lazy) */
        c = dag_mul_lazy(g, (Node *[]){adj, partial}, 2);
    }
    if (n->args[k]->shape.rank == 0 && n->shape.rank > 0)
        c = dag_sum(g, c);
    return c;
}

/* Reverse mode through a product n = a_0 ... a_{N-1} (a scalar, N at
 * most PARTIAL_DIRECT_MAX): the contribution to adj(a_k) is
 *   adj(n) * dn/da_k = adj(n) * prod_{i != k} a_i,
 * built here as one product of adj(n) and the other factors.  Building the
 * partial first made a node that the product with adj(n) then opened and
 * threw away (a fresh product of at most PARTIAL_DIRECT_MAX - 1 factors is
 * always opened: see flattenable in simplify.c), one discarded node per
 * factor of every product on the way.  When the partial exists already
 * and is shared it stays one factor, as it did when it was built, so the
 * result is the same node either way; NULL: the caller builds it the
 * usual way.  With check_refusals set (tests) the usual way is built as
 * well and any difference counted in refusals_wrong. */
static Node *product_adjoint(Graph *g, Node *n, int k, Node *adj) {
    if (n->kind != EX_MUL || n->shape.rank != 0 || n->nargs > PARTIAL_DIRECT_MAX || n->nargs < 3)
        return NULL;
    Node *f[PARTIAL_DIRECT_MAX];
    int m = 0;
    f[m++] = adj;
    for (int i = 0; i < n->nargs; i++)
        if (i != k)
            f[m++] = n->args[i];
    /* -c (a + b) is distributed into a sum (see build_product): that
     * partial is no product */
    if (m == 3 && f[1]->kind == EX_CONST && num_is_negative(f[1]->num[0]) && f[2]->kind == EX_ADD)
        return NULL;
    Node *partial = dag_lookup(g, EX_MUL, NULL, f + 1, m - 1, shape_scalar);
    if (partial && dag_is_shared(g, partial))
        return NULL;
    Node *r = dag_mul_lazy(g, f, m);
    if (g->check_refusals) {
        Node *usual = dag_mul(g, adj, product_except(g, n, k));
        g->refusals_wrong += usual != dag_lazy_build(g, r);
        g->refusals++;
    }
    return r;
}

/* Room for one node's partials and the flags saying which are wanted. */
typedef struct Scratch {
    Node **part;
    unsigned char *want;
    int cap;
} Scratch;

static int scratch_fit(Graph *g, Scratch *s, int n) {
    if (n <= s->cap)
        return 1;
    int cap = n > 2 * s->cap ? n : 2 * s->cap;
    Node **p = realloc(s->part, (size_t)cap * sizeof *p);
    if (p)
        s->part = p;
    unsigned char *w = realloc(s->want, (size_t)cap);
    if (w)
        s->want = w;
    if (!p || !w) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        return 0;
    }
    s->cap = cap;
    return 1;
}

static void scratch_free(Scratch *s) {
    free(s->part);
    free(s->want);
}

/* ------------------------------------------------------------------ forward */

static int forward_pass(Graph *g, Node *const *roots, int nroots, int var, const DerivOptions *opt,
                        Node **out) {
    size_t n0 = 0; /* as in deriv_reverse: the roots' cone only */
    for (int i = 0; i < nroots; i++)
        if (roots[i] && roots[i]->id + 1 > n0)
            n0 = roots[i]->id + 1;
    Scratch sc = {.part = NULL};
    if (!dag_spend(g, n0)) /* a pass looks at every node */
        return -1;
    Node **d = calloc(n0 ? n0 : 1, sizeof *d); /* NULL means zero */
    unsigned char *mark = malloc(n0 ? n0 : 1);
    Node **terms = NULL;
    unsigned *users = NULL;
    int terms_cap = 0, status = 0;
    if (!d || !mark) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        status = -1;
        goto done;
    }
    dag_mark_cone(g, roots, nroots, mark, n0);
    /* users of each node within the function: a derivative feeding two or
     * more users is shared */
    users = calloc(n0 ? n0 : 1, sizeof *users);
    if (!users) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        status = -1;
        goto done;
    }
    for (size_t id = 0; id < n0; id++)
        if (mark[id])
            for (int k = 0; k < g->nodes[id]->nargs; k++)
                users[g->nodes[id]->args[k]->id]++;
    Node *x = graph_var_node(g, var);
    if (x && x->shape.rank > 0) {
        status = -1; /* forward mode differentiates by scalars only */
        goto done;
    }
    if (x && x->id < n0)
        d[x->id] = dag_int(g, 1);
    for (size_t id = 0; id < n0 && !g->failed; id++) {
        Node *n = g->nodes[id];
        if (!mark[id] || n->kind == EX_VAR || n->kind == EX_CONST)
            continue;
        if (!is_elementwise(n)) {
            Node *small[8], **dk = n->nargs <= 8 ? small : malloc((size_t)n->nargs * sizeof *dk);
            int any = 0;
            if (!dk) {
                g->failed = GRAPH_OUT_OF_MEMORY;
                break;
            }
            for (int k = 0; k < n->nargs; k++)
                any |= (dk[k] = d[n->args[k]->id]) != NULL;
            Node *dn = any ? tensor_tangent(g, n, dk) : NULL;
            if (dk != small)
                free(dk);
            if (dn && users[id] >= 2)
                dag_pin(g, dn);
            d[id] = dn;
            continue;
        }
        int nt = 0, nd = 0;
        if (!scratch_fit(g, &sc, n->nargs))
            break;
        for (int k = 0; k < n->nargs; k++)
            nd += sc.want[k] = d[n->args[k]->id] != NULL;
        if (nd == 0 || shared_partials(g, n, sc.want, sc.part) < 0)
            continue;
        for (int k = 0; k < n->nargs; k++) {
            Node *da = d[n->args[k]->id];
            if (!da)
                continue;
            if (nt == terms_cap) {
                terms_cap = terms_cap ? terms_cap * 2 : 16;
                Node **t = realloc(terms, (size_t)terms_cap * sizeof *t);
                if (!t) {
                    g->failed = GRAPH_OUT_OF_MEMORY;
                    break;
                }
                terms = t;
            }
            terms[nt++] = dag_mul(g, sc.part[k] ? sc.part[k] : deriv_partial(g, n, k, opt), da);
        }
        if (nt == 0)
            continue;
        Node *dn = dag_add_n(g, terms, nt);
        /* a tensor whose only varying arguments are broadcast scalars has
         * a scalar tangent: repeat it, since tensor rules need its shape
         * (sum(a + x) changes by n da, not da) */
        if (dn && dn->shape.rank == 0 && n->shape.rank > 0)
            dn = dag_fill(g, dn, n->shape);
        if (dn && !dag_is_zero(dn)) {
            d[id] = dn;
            if (users[id] >= 2)
                dag_pin(g, dn); /* reused by every user of n */
        }
    }
    for (int i = 0; i < nroots; i++)
        out[i] = g->failed ? NULL
                           : (roots[i] && d[roots[i]->id] ? d[roots[i]->id]
                                                          : dag_zeros(g, roots[i] ? roots[i]->shape : shape_scalar));
    if (g->failed)
        status = -1;
done:
    free(d);
    free(mark);
    free(terms);
    free(users);
    scratch_free(&sc);
    return status;
}

static Node *forward_one(Graph *g, Node *root, int var, const DerivOptions *opt) {
    Node *out = NULL;
    if (forward_pass(g, &root, 1, var, opt, &out) != 0)
        return NULL;
    return out;
}

/* ------------------------------------------------------------------ reverse */

/* The adjoint of a vector used element by element (x[0], x[1], ...) is a
 * sum of one-element tensors: built as one literal [a0, a1, ...] instead,
 * which costs n, not n^2.  NULL when the terms are not all of that kind. */
static Node *gather_scatters(Graph *g, Node *const *terms, int nt) {
    for (int i = 0; i < nt; i++)
        if (!terms[i])
            return NULL; /* out of memory: the caller's sum fails too */
    Shape s = terms[0]->shape;
    if (s.rank == 0)
        return NULL;
    for (int i = 0; i < nt; i++)
        if (terms[i]->kind != EX_SCATTER || !shape_equal(terms[i]->shape, s) ||
            terms[i]->args[0]->shape.rank != s.rank - 1)
            return NULL;
    int rows = s.dim[0];
    Node **items = calloc((size_t)rows, sizeof *items);
    if (!items) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        return NULL;
    }
    for (int i = 0; i < nt; i++) {
        Node **slot = &items[terms[i]->u.index];
        *slot = *slot ? dag_add(g, *slot, terms[i]->args[0]) : terms[i]->args[0];
    }
    Shape item = s.rank == 2 ? shape_vec(shape_axis(s, 1)) : shape_scalar;
    for (int r = 0; r < rows; r++)
        if (!items[r])
            items[r] = dag_zeros(g, item);
    Node *r = dag_pack(g, items, rows);
    free(items);
    return r;
}

typedef struct Contrib {
    Node *value;
    int next;
} Contrib;

static int reverse_pass(Graph *g, Node *root, const int *vars, int nvars, const DerivOptions *opt,
                        Node **out) {
    /* nodes made after the root cannot be in its cone: a pass costs the
     * root's id, not the graph's size (a Hessian makes its rows one after
     * another in the same graph) */
    size_t n0 = root ? root->id + 1 : g->nnodes;
    Scratch sc = {.part = NULL};
    if (!dag_spend(g, n0)) /* a pass looks at every node */
        return -1;
    unsigned char *mark = malloc(n0 ? n0 : 1);
    unsigned char *dep = calloc(n0 ? n0 : 1, 1);
    int *head = malloc((n0 ? n0 : 1) * sizeof *head);
    Node **adj = calloc(n0 ? n0 : 1, sizeof *adj);
    Contrib *pool = NULL;
    Node **terms = NULL, *held = NULL; /* held: an adjoint not built, owned here */
    int pool_n = 0, pool_cap = 0, terms_cap = 0, status = 0;
    if (!mark || !dep || !head || !adj || !root) {
        g->failed = GRAPH_OUT_OF_MEMORY;
        status = -1;
        goto done;
    }
    dag_mark_cone(g, &root, 1, mark, n0);
    /* which nodes depend on a variable we differentiate by */
    for (int i = 0; i < nvars; i++) {
        Node *x = graph_var_node(g, vars[i]);
        if (x && x->id < n0)
            dep[x->id] = 1;
    }
    for (size_t id = 0; id < n0; id++) {
        head[id] = -1;
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        for (int k = 0; k < n->nargs && !dep[id]; k++)
            dep[id] = dep[n->args[k]->id];
    }

#define PUSH(target, val)                                                                          \
    do {                                                                                           \
        Node *v_ = (val);                                                                          \
        if (pool_n == pool_cap) {                                                                  \
            int cap_ = pool_cap ? pool_cap * 2 : 256;                                              \
            Contrib *p_ = realloc(pool, (size_t)cap_ * sizeof *p_);                                \
            if (!p_) {                                                                             \
                g->failed = GRAPH_OUT_OF_MEMORY;                                                   \
                dag_lazy_free(v_);                                                                 \
                break;                                                                             \
            }                                                                                      \
            pool = p_;                                                                             \
            pool_cap = cap_;                                                                       \
        }                                                                                          \
        pool[pool_n].value = v_;                                                                   \
        pool[pool_n].next = head[(target)];                                                        \
        head[(target)] = pool_n++;                                                                 \
    } while (0)

    if (dep[root->id])
        PUSH(root->id, dag_int(g, 1));
    for (size_t id = root->id + 1; id-- > 0 && !g->failed;) {
        if (!mark[id] || !dep[id] || head[id] < 0)
            continue;
        /* adj(n) = the sum of what every user of n contributed */
        int nt = 0;
        for (int c = head[id]; c >= 0; c = pool[c].next) {
            if (nt == terms_cap) {
                terms_cap = terms_cap ? terms_cap * 2 : 16;
                Node **t = realloc(terms, (size_t)terms_cap * sizeof *t);
                if (!t) {
                    g->failed = GRAPH_OUT_OF_MEMORY;
                    break;
                }
                terms = t;
            }
            terms[nt++] = pool[c].value;
            pool[c].value = NULL; /* the terms own it now */
        }
        if (g->failed)
            break;
        Node *n = g->nodes[id];
        int ndep = 0;
        for (int k = 0; k < n->nargs; k++)
            ndep += dep[n->args[k]->id];
        /* the contributions are products not built where the sum takes
         * them apart (dag_mul_lazy); a single one stays unbuilt while it
         * is only passed on, to one argument of an elementwise node,
         * else it is built: a variable's adjoint is a result, a shared
         * one is pinned, tensor rules take nodes */
        Node *a;
        if (nt == 1) {
            a = terms[0];
            if (dag_is_lazy(a) && !(ndep == 1 && is_elementwise(n) && n->shape.rank == 0))
                a = dag_lazy_build(g, a);
            else
                terms[0] = NULL;
        } else {
            a = gather_scatters(g, terms, nt);
            if (!a)
                a = dag_add_n(g, terms, nt);
        }
        for (int i = 0; i < nt; i++)
            dag_lazy_free(terms[i]);
        held = a && dag_is_lazy(a) ? a : NULL;
        if (!a || dag_is_zero(a))
            continue;
        adj[id] = held ? NULL : a;
        if (ndep >= 2)
            dag_pin(g, a); /* reused by every argument's contribution */
        if (!scratch_fit(g, &sc, n->nargs))
            break;
        for (int k = 0; k < n->nargs; k++)
            sc.want[k] = dep[n->args[k]->id];
        if (shared_partials(g, n, sc.want, sc.part) < 0)
            break;
        for (int k = 0; k < n->nargs; k++) {
            Node *arg = n->args[k];
            if (!dep[arg->id])
                continue;
            Node *c = sc.part[k] ? NULL : product_adjoint(g, n, k, a);
            if (!c) {
                Node *p = !is_elementwise(n) ? NULL : sc.part[k] ? sc.part[k] : partial_of(g, n, k, opt, 1);
                c = adjoint_term(g, n, k, a, p);
                if (c != p)
                    dag_lazy_free(p); /* opened by the contribution */
            }
            if (c == held)
                held = NULL; /* passed on as it is (adj(n) * 1) */
            PUSH(arg->id, c);
        }
        dag_lazy_free(held);
        held = NULL;
    }
#undef PUSH
    for (int i = 0; i < nvars; i++) {
        Node *x = graph_var_node(g, vars[i]);
        out[i] = g->failed ? NULL
                           : (x && x->id < n0 && adj[x->id] ? adj[x->id]
                                                            : dag_zeros(g, x ? x->shape : shape_scalar));
    }
    if (g->failed)
        status = -1;
done:
    /* what a failure left: contributions not built and not used */
    dag_lazy_free(held);
    for (int i = 0; i < pool_n; i++)
        dag_lazy_free(pool[i].value);
    free(mark);
    free(dep);
    free(head);
    free(adj);
    free(pool);
    free(terms);
    scratch_free(&sc);
    return status;
}

/* ------------------------------------------------------------------- choice */

static int gradient(Graph *g, Node *root, const int *vars, int nvars, const DerivOptions *opt, Node **out,
                    DerivMode *used) {
    DerivMode mode = opt ? opt->mode : DERIV_AUTO;
    Node **fwd = NULL, **rev = NULL;
    int status = 0;
    size_t before = g->nnodes;
    if (mode != DERIV_FORWARD) {
        rev = malloc((size_t)(nvars ? nvars : 1) * sizeof *rev);
        if (!rev || reverse_pass(g, root, vars, nvars, opt, rev) != 0)
            status = -1;
    }
    /* auto: forward mode is tried within a budget of nodes, a multiple of
     * what reverse mode built, so that a program on which it swells (and
     * whose result reverse mode already has) costs little more */
    size_t budget = DERIV_AUTO_BUDGET * (g->nnodes - before) + 1000, limit = g->max_nodes;
    /* forward mode costs one pass per variable: only worth trying for few
     * variables, and for functions small enough that building both is cheap
     * (beyond that the reverse result, one pass, is kept) */
    if (status == 0 && mode == DERIV_AUTO && nvars <= 8) {
        size_t size = dag_count(g, &root, 1);
        if (size == SIZE_MAX)
            status = -1; /* out of memory: no choice made on a wrong count */
        else if (size > DERIV_AUTO_LIMIT)
            mode = DERIV_REVERSE;
    }
    /* vectors and matrices: reverse mode (forward mode takes scalars) */
    if (status == 0 && mode == DERIV_AUTO && dag_has_tensors(g, &root, 1))
        mode = DERIV_REVERSE;
    if (status == 0 && (mode == DERIV_FORWARD || (mode == DERIV_AUTO && nvars <= 8))) {
        fwd = malloc((size_t)(nvars ? nvars : 1) * sizeof *fwd);
        if (!fwd)
            status = -1;
        int trial = mode == DERIV_AUTO && rev;
        if (trial && (!limit || g->nnodes + budget < limit))
            g->max_nodes = g->nnodes + budget;
        for (int i = 0; status == 0 && i < nvars; i++)
            if (!(fwd[i] = forward_one(g, root, vars[i], opt)))
                status = -1;
        g->max_nodes = limit;
        if (trial && status != 0 && g->failed == GRAPH_TOO_LARGE && (!limit || g->nnodes < limit)) {
            /* over the budget (not the user's limit): reverse mode's result */
            g->failed = GRAPH_OK;
            status = 0;
            free(fwd);
            fwd = NULL;
        }
    }
    if (status == 0) {
        Node **pick = rev ? rev : fwd;
        DerivMode which = rev ? DERIV_REVERSE : DERIV_FORWARD;
        if (fwd && rev) {
            /* keep the smaller result (ties go to forward: its printed form
             * follows the textbook rules more closely) */
            size_t sf = dag_count(g, fwd, nvars), sr = dag_count(g, rev, nvars);
            if (sf == SIZE_MAX || sr == SIZE_MAX)
                status = -1; /* out of memory: no choice on a wrong count */
            else if (sf <= sr) {
                pick = fwd;
                which = DERIV_FORWARD;
            }
        }
        if (status == 0) {
            memcpy(out, pick, (size_t)nvars * sizeof *out);
            if (used)
                *used = which;
        }
    }
    free(fwd);
    free(rev);
    return g->failed ? -1 : status;
}

/* ------------------------------------------------- Jacobians, Hessians, ... */

/* A result of rows x cols entries, charged to the work limit before it is
 * allocated (each entry costs at least its writing out), or NULL. */
static Node **result_matrix(Graph *g, int rows, int cols) {
    uint64_t n = (uint64_t)rows * (uint64_t)cols;
    if (!dag_spend(g, n))
        return NULL;
    Node **m = calloc(n ? (size_t)n : 1, sizeof *m);
    if (!m)
        g->failed = GRAPH_OUT_OF_MEMORY;
    return m;
}

static int all_scalar(const Graph *g, const int *vars, int nvars) {
    for (int j = 0; j < nvars; j++)
        if (g->vars[vars[j]].shape.rank != 0)
            return 0;
    return 1;
}

static int jacobian(Graph *g, Node *const *roots, int nroots, const int *vars, int nvars,
                    const DerivOptions *opt, Node ***J, DerivMode *used) {
    DerivMode mode = opt ? opt->mode : DERIV_AUTO;
    int forward = mode != DERIV_REVERSE && all_scalar(g, vars, nvars) &&
                  (mode == DERIV_FORWARD || nvars <= nroots);
    int status = 0;
    if (used)
        *used = forward ? DERIV_FORWARD : DERIV_REVERSE;
    if (forward) {
        /* a column per variable, one pass shared by all the roots */
        Node **col = malloc((size_t)(nroots ? nroots : 1) * sizeof *col);
        *J = result_matrix(g, nroots, nvars);
        if (!col)
            g->failed = GRAPH_OUT_OF_MEMORY;
        status = g->failed ? -1 : 0;
        for (int j = 0; j < nvars && status == 0; j++) {
            status = forward_pass(g, roots, nroots, vars[j], opt, col);
            for (int i = 0; i < nroots && status == 0; i++)
                (*J)[(size_t)i * (size_t)nvars + (size_t)j] = col[i];
        }
        free(col);
    } else {
        /* a row per root, one reverse pass each; every element of the
         * variables is an entry (a vector's block is as large as it is) */
        uint64_t elements = 0;
        for (int j = 0; j < nvars; j++)
            elements += (uint64_t)shape_numel(g->vars[vars[j]].shape);
        *J = NULL;
        if (dag_spend(g, (uint64_t)nroots * (elements + 1))) {
            *J = calloc((size_t)nroots * (size_t)nvars + 1, sizeof **J);
            if (!*J)
                g->failed = GRAPH_OUT_OF_MEMORY;
        }
        status = g->failed ? -1 : 0;
        for (int i = 0; i < nroots && status == 0; i++)
            status = reverse_pass(g, roots[i], vars, nvars, opt, *J + (size_t)i * (size_t)nvars);
    }
    if (status != 0 || g->failed) {
        free(*J);
        *J = NULL;
        return -1;
    }
    return 0;
}

static Node *nth(Graph *g, Node *root, int var, int order, const DerivOptions *opt) {
    for (int k = 0; k < order && root; k++)
        root = forward_one(g, root, var, opt);
    return root;
}

/* Counts the nodes reachable from a root that were built at or after
 * `base` (the nodes a result has of its own: the function's and the
 * gradient's are there anyway), up to `cap`, without clearing a mark per
 * count: a node is seen in this count when its stamp is the count's
 * epoch. */
typedef struct OwnCounter {
    size_t base;
    uint32_t *stamp; /* by id - base */
    uint32_t epoch;
    Node **stack;
    size_t cap;
} OwnCounter;

static size_t count_own(Graph *g, OwnCounter *c, Node *root, size_t cap) {
    size_t count = 0, sp = 0;
    c->epoch++;
    if (root->id < c->base)
        return 0;
    c->stack[sp++] = root;
    c->stamp[root->id - c->base] = c->epoch;
    while (sp > 0 && count < cap) {
        Node *n = c->stack[--sp];
        count++;
        for (int k = 0; k < n->nargs; k++) {
            Node *a = n->args[k];
            if (a->id < c->base || c->stamp[a->id - c->base] == c->epoch)
                continue;
            c->stamp[a->id - c->base] = c->epoch;
            c->stack[sp++] = a; /* at most one entry per node: cap suffices */
        }
    }
    dag_spend(g, count); /* bounded by the work limit like any pass */
    return count;
}

#define HESSIAN_COUNT_CAP 32

static int hessian(Graph *g, Node *const *grad, const int *vars, int nvars, const DerivOptions *opt,
                   Node ***out) {
    size_t base = g->nnodes, n = (size_t)nvars;
    Node **H = *out = result_matrix(g, nvars, nvars);
    int status = H ? 0 : -1;
    for (size_t i = 0; i < n && status == 0; i++)
        status = gradient(g, grad[i], vars, nvars, opt, H + i * n, NULL);
    /* symmetric entries: keep one of each pair, the one with fewer nodes
     * of its own (pairs built as one node, such as zeros, cost nothing).
     * Counts stop at HESSIAN_COUNT_CAP, so that a dense Hessian whose
     * entries share long chains costs n^2 counts, not n^3 (two entries
     * that large are both kept by the first) */
    OwnCounter c = {.base = base, .cap = g->nnodes - base};
    if (status == 0) {
        c.stamp = calloc(c.cap ? c.cap : 1, sizeof *c.stamp);
        c.stack = malloc((c.cap ? c.cap : 1) * sizeof *c.stack);
        if (!c.stamp || !c.stack)
            status = -1;
    }
    for (size_t i = 0; i < n && status == 0 && !g->failed; i++)
        for (size_t j = i + 1; j < n && !g->failed; j++) {
            Node *a = H[i * n + j], *b = H[j * n + i];
            if (a == b)
                continue;
            size_t na = count_own(g, &c, a, HESSIAN_COUNT_CAP);
            Node *pick = na <= count_own(g, &c, b, na + 1) ? a : b;
            H[i * n + j] = H[j * n + i] = pick;
        }
    free(c.stamp);
    free(c.stack);
    if (status != 0 || g->failed) {
        free(H);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- domain facts */

/* What must hold wherever the roots are defined, by node id into facts[]
 * (n0 bytes, n0 > the id of every root): log(u) needs u > 0, u^-1 needs
 * u != 0, and so on down through every node whose undefined value would
 * make the roots undefined. */
static void infer_domain(Graph *g, Node *const *roots, int nroots, unsigned char *facts, size_t n0,
                         unsigned char *strict) {
    /* strict: an undefined value here makes the whole function undefined
     * (NaN propagates).  Kinks such as max or step compare, so facts are not
     * inferred through their arguments. */
    for (int i = 0; i < nroots; i++)
        if (roots[i])
            strict[roots[i]->id] = 1;
    for (size_t id = n0; id-- > 0;) {
        if (!strict[id])
            continue;
        Node *n = g->nodes[id];
        if (n->kind == EX_CALL && builtin_info[n->u.fn].kind == BK_KINK)
            continue;
        if (n->kind == EX_INDEX)
            continue; /* one element of the argument is used, not all */
        for (int k = 0; k < n->nargs; k++)
            strict[n->args[k]->id] = 1;
        /* what the node itself needs to be defined */
        if (n->kind == EX_CALL) /* the domains of its arguments (builtins.def) */
            for (int k = 0; k < n->nargs && k < 2; k++)
                facts[n->args[k]->id] |= (unsigned char)domain_facts(builtin_info[n->u.fn].domain[k]);
        if (n->kind == EX_POW && n->args[1]->kind == EX_CONST) {
            Num e = n->args[1]->num[0];
            if (num_is_negative(e))
                facts[n->args[0]->id] |= num_is_int(e) ? FACT_NONZERO : FACT_POSITIVE;
        }
    }
    /* consequences, parents before arguments: u v != 0 => u, v != 0, and
     * b^k != 0 => b != 0; b^k > 0 with k odd or fractional => b > 0 */
    for (size_t id = n0; id-- > 0;) {
        unsigned f = facts[id];
        if (!f)
            continue;
        Node *n = g->nodes[id];
        if (n->kind == EX_MUL) {
            for (int k = 0; k < n->nargs; k++)
                if (n->args[k]->kind != EX_CONST)
                    facts[n->args[k]->id] |= FACT_NONZERO;
        } else if (n->kind == EX_POW && n->args[1]->kind == EX_CONST) {
            Num e = n->args[1]->num[0];
            if (!num_is_negative(e) && !num_is_zero(e)) {
                unsigned bf = FACT_NONZERO;
                if ((f & FACT_POSITIVE) && (!num_is_int(e) || (e.p % 2 != 0)))
                    bf = FACT_POSITIVE;
                facts[n->args[0]->id] |= (unsigned char)bf;
            }
        }
    }
}

int deriv_scope_begin(Graph *g, const DerivOptions *opt, Node *const *roots, int nroots, DerivScope *s) {
    s->facts = NULL;
    s->nfacts = 0;
    s->saved = g->assumed;
    s->nsaved = g->nassumed;
    g->assumed = NULL; /* a literal request inside another assumes nothing */
    g->nassumed = 0;
    if (!opt || !opt->assume_domain)
        return 0;
    if (opt->domain) {
        roots = opt->domain;
        nroots = opt->ndomain;
    }
    /* the cone of the roots only: a request costs their ids, not the size
     * the graph has grown to */
    size_t n0 = 0;
    for (int i = 0; i < nroots; i++)
        if (roots[i] && roots[i]->id + 1 > n0)
            n0 = roots[i]->id + 1;
    if (n0 == 0 || !dag_spend(g, n0))
        return g->failed ? -1 : 0;
    unsigned char *strict = calloc(n0, 1);
    s->facts = calloc(n0, 1);
    if (!strict || !s->facts) {
        free(strict);
        free(s->facts);
        s->facts = NULL;
        g->failed = GRAPH_OUT_OF_MEMORY;
        return -1;
    }
    infer_domain(g, roots, nroots, s->facts, n0, strict);
    free(strict);
    s->nfacts = n0;
    g->assumed = s->facts;
    g->nassumed = n0;
    return 0;
}

void deriv_scope_end(Graph *g, DerivScope *s) {
    g->assumed = s->saved;
    g->nassumed = s->nsaved;
    free(s->facts);
    s->facts = NULL;
    s->nfacts = 0;
}

/* ------------------------------------------------------------ entry points
 * Each applies the request's assumptions for its own duration. */

int deriv_forward_many(Graph *g, Node *const *roots, int nroots, int var, const DerivOptions *opt,
                       Node **out) {
    DerivScope s;
    if (deriv_scope_begin(g, opt, roots, nroots, &s) != 0)
        return -1;
    int st = forward_pass(g, roots, nroots, var, opt, out);
    deriv_scope_end(g, &s);
    return st;
}

Node *deriv_forward(Graph *g, Node *root, int var, const DerivOptions *opt) {
    Node *d = NULL;
    return deriv_forward_many(g, &root, 1, var, opt, &d) == 0 ? d : NULL;
}

int deriv_reverse(Graph *g, Node *root, const int *vars, int nvars, const DerivOptions *opt, Node **out) {
    DerivScope s;
    if (deriv_scope_begin(g, opt, &root, 1, &s) != 0)
        return -1;
    int st = reverse_pass(g, root, vars, nvars, opt, out);
    deriv_scope_end(g, &s);
    return st;
}

int deriv_gradient(Graph *g, Node *root, const int *vars, int nvars, const DerivOptions *opt, Node **out,
                   DerivMode *used) {
    DerivScope s;
    if (deriv_scope_begin(g, opt, &root, 1, &s) != 0)
        return -1;
    int st = gradient(g, root, vars, nvars, opt, out, used);
    deriv_scope_end(g, &s);
    return st;
}

int deriv_jacobian(Graph *g, Node *const *roots, int nroots, const int *vars, int nvars,
                   const DerivOptions *opt, Node ***J, DerivMode *used) {
    DerivScope s;
    *J = NULL;
    if (deriv_scope_begin(g, opt, roots, nroots, &s) != 0)
        return -1;
    int st = jacobian(g, roots, nroots, vars, nvars, opt, J, used);
    deriv_scope_end(g, &s);
    return st;
}

int deriv_hessian(Graph *g, Node *const *grad, const int *vars, int nvars, const DerivOptions *opt,
                  Node ***H) {
    DerivScope s;
    *H = NULL;
    if (deriv_scope_begin(g, opt, grad, nvars, &s) != 0)
        return -1;
    int st = hessian(g, grad, vars, nvars, opt, H);
    deriv_scope_end(g, &s);
    return st;
}

Node *deriv_nth(Graph *g, Node *root, int var, int order, const DerivOptions *opt) {
    DerivScope s;
    if (deriv_scope_begin(g, opt, &root, 1, &s) != 0)
        return NULL;
    Node *d = nth(g, root, var, order, opt);
    deriv_scope_end(g, &s);
    return d;
}
