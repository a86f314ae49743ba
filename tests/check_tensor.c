/* SPDX-License-Identifier: MIT */
/*
 * check_tensor.c — vectors and matrices: shapes, lowering, evaluation and
 * the tensor-level derivative rules.
 *
 * Every rule (matrix products, outer products, transposes, indexing,
 * literals, sum, softmax, logsumexp, broadcasting, elementwise builtins) is
 * checked against central finite differences of the evaluated function, on
 * random shapes (the letters M, N, K in a program become random sizes 1..5)
 * and random values.  Jacobians of vector programs likewise.  The printed
 * forms of the classic results are golden text: the softmax cross-entropy
 * gradient keeps its sum(y) factor unless the loss is written for one-hot
 * targets, and outer products print as a b'.
 *
 * Every rule is also checked against the scalar engine: each program, on
 * small shapes, is written out as a scalar program (every element a scalar
 * variable, every operation element by element) whose value and gradient
 * from the scalar engine must equal the tensor engine's to 1e-12.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dag.h"
#include "deriv.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "print.h"
#include "testrun.h"
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

static uint64_t rng_state = 0x243F6A8885A308D3u;

static double uniform(double lo, double hi) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

static int lower_text(Graph *g, const char *text, Program *p, StrBuf *errors) {
    Source src = {"<test>", text, strlen(text)};
    Diag d;
    diag_init(&d, &src);
    AstArena arena = {NULL};
    memset(p, 0, sizeof *p);
    Ast *ast = parse_program(&arena, &d);
    int status = -1;
    if (ast) {
        LowerOptions opt = {0};
        status = lower_program(g, ast, &d, &opt, p);
    }
    if (errors)
        sb_puts(errors, sb_str(&d.out));
    ast_arena_free(&arena);
    diag_free(&d);
    return status;
}

/* The program with M, N, K replaced by the given sizes. */
static void instantiate(const char *tmpl, int m, int n, int k, char *out, size_t size) {
    size_t o = 0;
    for (const char *p = tmpl; *p && o + 8 < size; p++) {
        int prev_alpha = p > tmpl && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                                      (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9'));
        if (!prev_alpha && (*p == 'M' || *p == 'N' || *p == 'K') &&
            !(p[1] == '_' || (p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z') ||
              (p[1] >= '0' && p[1] <= '9')))
            o += (size_t)snprintf(out + o, size - o, "%d", *p == 'M' ? m : *p == 'N' ? n : k);
        else
            out[o++] = *p;
    }
    out[o] = '\0';
}

/* Values of every variable, one block, and pointers into it. */
typedef struct Point {
    double *data;
    const double **at;
    size_t total;
} Point;

static void point_random(const Graph *g, Point *pt) {
    pt->total = 0;
    for (int v = 0; v < g->nvars; v++)
        pt->total += (size_t)shape_numel(g->vars[v].shape);
    pt->data = malloc(pt->total * sizeof *pt->data);
    pt->at = malloc((size_t)g->nvars * sizeof *pt->at);
    ck_assert_ptr_nonnull(pt->data);
    ck_assert_ptr_nonnull(pt->at);
    size_t off = 0;
    for (int v = 0; v < g->nvars; v++) {
        pt->at[v] = pt->data + off;
        off += (size_t)shape_numel(g->vars[v].shape);
    }
    for (size_t i = 0; i < pt->total; i++)
        pt->data[i] = uniform(-1.5, 1.5);
    /* the labels of onehot are classes: integers from 0 to k - 1 */
    for (size_t id = 0; id < g->nnodes; id++) {
        const Node *n = g->nodes[id];
        if (n->kind != EX_ONEHOT || n->args[0]->kind != EX_VAR)
            continue;
        int v = n->args[0]->u.var, k = n->shape.dim[n->shape.rank - 1];
        for (int e = 0; e < shape_numel(g->vars[v].shape); e++)
            ((double *)pt->at[v])[e] = floor(uniform(0, k));
    }
}

static void point_free(Point *pt) {
    free(pt->data);
    free(pt->at);
}

/* Element e of node n's value at the point. */
static double value_at(const Graph *g, Node *n, const Point *pt, int e) {
    TensorValues tv;
    ck_assert_int_eq(eval_tensors(g, &n, 1, pt->at, &tv), 0);
    double v = tv.at[n->id][e];
    eval_tensors_free(&tv);
    return v;
}

/* d y[e] / d var[j] by the five-point central stencil. */
static double finite_difference(const Graph *g, Node *y, int e, int var, int j, Point *pt) {
    double *x = (double *)pt->at[var] + j, x0 = *x;
    double h = 1e-3 * (fabs(x0) > 1 ? fabs(x0) : 1), f[4];
    const double steps[4] = {-2, -1, 1, 2};
    for (int s = 0; s < 4; s++) {
        *x = x0 + steps[s] * h;
        f[s] = value_at(g, y, pt, e);
    }
    *x = x0;
    return (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
}

/* Lowers the program, differentiates it by every parameter (the gradient,
 * or for a vector program the Jacobian), and compares every entry with
 * finite differences at `points` random points. */
static void check_against_differences(const char *text, int points, double tol) {
    Graph *g = graph_new();
    Program p;
    StrBuf err;
    sb_init(&err);
    int status = lower_text(g, text, &p, &err);
    ck_assert_msg(status == 0, "'%s' does not lower:\n%s", text, sb_str(&err));
    Node *y = p.outputs[0];
    ck_assert_int_le(y->shape.rank, 1);
    int wrt[16], nwrt = 0;
    for (int v = 0; v < g->nvars && nwrt < 16; v++)
        if (g->vars[v].role == VAR_PARAM)
            wrt[nwrt++] = v;
    DerivOptions dopt = {.assume_domain = 1, .domain = &y, .ndomain = 1};
    int m = y->shape.rank ? y->shape.dim[0] : 1;
    Node **d = malloc((size_t)(m * nwrt) * sizeof *d); /* d[i*nwrt + j]: d y[i] / d var j */
    ck_assert_ptr_nonnull(d);
    for (int i = 0; i < m; i++) {
        Node *yi = y->shape.rank ? dag_index(g, y, i, 1) : y;
        ck_assert_int_eq(deriv_reverse(g, yi, wrt, nwrt, &dopt, d + i * nwrt), 0);
    }
    for (int j = 0; j < nwrt; j++)
        ck_assert_msg(shape_equal(d[j]->shape, g->vars[wrt[j]].shape), "%s: d/d%s has the wrong shape", text,
                      g->vars[wrt[j]].name);
    for (int t = 0; t < points; t++) {
        Point pt;
        point_random(g, &pt);
        TensorValues tv;
        ck_assert_int_eq(eval_tensors(g, d, m * nwrt, pt.at, &tv), 0);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < nwrt; j++) {
                Node *dij = d[i * nwrt + j];
                for (int e = 0; e < shape_numel(g->vars[wrt[j]].shape); e++) {
                    double fd = finite_difference(g, y, i, wrt[j], e, &pt);
                    double sym = tv.at[dij->id][e];
                    double scale = fabs(fd) > 1 ? fabs(fd) : 1;
                    ck_assert_msg(fabs(sym - fd) <= tol * scale,
                                  "%s: d y[%d] / d %s[%d] = %.15g, finite differences %.15g", text, i,
                                  g->vars[wrt[j]].name, e, sym, fd);
                }
            }
        eval_tensors_free(&tv);
        point_free(&pt);
    }
    free(d);
    program_free(&p);
    sb_free(&err);
    graph_free(g);
}

/* The derivatives printed as `d/dv = ...` lines. */
static char *printed_gradient(const char *text) {
    Graph *g = graph_new();
    Program p;
    StrBuf err, out;
    sb_init(&err);
    sb_init(&out);
    ck_assert_msg(lower_text(g, text, &p, &err) == 0, "'%s': %s", text, sb_str(&err));
    int wrt[16], nwrt = 0;
    const char *labels[16];
    char names[16][32];
    for (int v = 0; v < g->nvars && nwrt < 16; v++)
        if (g->vars[v].role == VAR_PARAM) {
            snprintf(names[nwrt], sizeof names[nwrt], "d/d%s", g->vars[v].name);
            labels[nwrt] = names[nwrt];
            wrt[nwrt++] = v;
        }
    Node *grad[16];
    DerivOptions dopt = {.assume_domain = 1, .domain = p.outputs, .ndomain = 1};
    ck_assert_int_eq(deriv_reverse(g, p.outputs[0], wrt, nwrt, &dopt, grad), 0);
    print_roots(&out, g, grad, labels, nwrt, PRINT_INFIX);
    char *s = malloc(out.len + 1);
    memcpy(s, sb_str(&out), out.len + 1);
    program_free(&p);
    sb_free(&err);
    sb_free(&out);
    graph_free(g);
    return s;
}

static char *lowering_error(const char *text) {
    Graph *g = graph_new();
    Program p;
    StrBuf err;
    sb_init(&err);
    ck_assert_msg(lower_text(g, text, &p, &err) != 0, "'%s' should not lower", text);
    char *s = malloc(err.len + 1);
    memcpy(s, sb_str(&err), err.len + 1);
    sb_free(&err);
    graph_free(g);
    return s;
}

/* ---- every rule against finite differences ----------------------------------------- */

/* Scalar programs: their gradient by each parameter.  Inputs are data. */
static const char *const gradient_cases[] = {
    /* matrix products, in every combination of shapes */
    "param W[M,N]; input x[N]; sum(sin(W @ x))",
    "param W[M,N], x[N]; sum(tanh(W @ x))",
    "param A[M,K], B[K,N]; sum(sin(A @ B))",
    "param x[M], B[M,N]; sum(cos(x @ B))",
    "param x[N], y[N]; x @ y + x' y",
    "param a[M], b[N]; sum(sin(a b'))",
    "param a[M], b[N]; sum(outer(a, b)^2)",
    "param A[M,N]; sum(sin(A' @ A))",
    "param A[M,N]; sum(exp(transpose(A)))",
    /* indexing and literals */
    "param x[N]; x[0]^3 + x[N-1]*x[0]",
    "param A[M,N]; sin(A[M-1, N-1]) + A[0, 0]^2",
    "param A[M,N]; sum(A[0]*A[M-1])",
    "param x[N], s; sum([s, x[0], s*x[0]]^2)",
    "param a[N], b[N]; sum(sin([a, b, a*b]))",
    "param x[N]; dot([x[0], x[0]^2], [1, 2])",
    /* reductions and the vector functions */
    "param x[N]; mean(x^2) + norm2(x + 3)",
    "param x[N], y[N]; dot(x, y)^2",
    "param s[N]; input y[N]; -dot(y, log_softmax(s))",
    "param s[N], w[N]; dot(w, softmax(s))",
    "param s[N]; logsumexp(2*s) + logsumexp(s)^2",
    /* broadcasting scalars over vectors and matrices */
    "param a, x[N]; sum(a*x + a^2 - x/(2 + a^2))",
    "param a, W[M,N]; sum((W + a)^2) + a*sum(W)",
    "param a[N]; sum(2^a) + sum(a^2)",
    /* elementwise builtins on vectors */
    "param x[N]; sum(exp(x) + sin(x) + cos(x) + atan(x) + sinh(x) + cosh(x) + tanh(x))",
    "param x[N]; sum(sigmoid(x) + softplus(x) + log(1 + x^2) + sqrt(2 + x) + log2(3 + x))",
    "param x[N], y[N]; sum(max(x, y) + min(x, 0.3) + abs(x) + relu(y) + leaky_relu(x))",
    "param x[N]; sum(elu(x) + asin(x/3) + acos(x/4) + tan(x/2) + log10(5 + x))",
    /* a layer, a network, a hinge loss */
    "param W[M,N], b[M]; input x[N]; h = tanh(W @ x + b); sum(h*h)",
    "param W1[K,N], b1[K], W2[M,K], b2[M]; input x[N], y[M]; h = tanh(W1 @ x + b1); s = W2 @ h + b2; -dot(y, log_softmax(s)) + 1e-3*(sum(W1*W1) + sum(W2*W2))",
    "param W[M,N]; input x[N]; s = W @ x; sum(max(0, 1 + s - s[0])) - 1",
    "param W[3,N]; input x[N]; s = W @ x; max(0, 1 + s[1] - s[0]) + max(0, 1 + s[2] - s[0])",
    /* minibatches: a vector in every row or column, row-wise functions,
     * reductions along an axis, integer labels */
    "param W[K,N], b[K]; input X[M,N]; sum(tanh(X @ W' + ones(M) b'))",
    "param A[M,K], v[M], w[K]; sum(sin(A + v ones(K)' + ones(M) w') + cos(A - 2*(v ones(K)')))",
    "param S[M,K]; sum(softmax(S)^2) + sum(logsumexp(S)^2) + sum(log_softmax(S)*S)",
    "param S[M,K]; sum(softmax(S, 0)^3) + sum(logsumexp(S, 0)) + sum(log_softmax(S, 0)^2)",
    "param A[M,K]; sum(sum(A, 0)^2) + sum(sum(A, 1)^3) + sum(mean(A, 0)^2)*mean(A, 1)[0]",
    "param S[M,K]; input y[M]; mean(cross_entropy(S, y)) + sum(S*onehot(y, K))^2",
    "param s[K]; input y; cross_entropy(s, y) + sum(s*onehot(y, K)*s)",
    "param W[K,N], b[K]; input X[M,N], y[M]; S = X @ W' + ones(M) b'; mean(logsumexp(S) - sum(S*onehot(y, K), 1))",
    ("param W1[K,N], b1[K], W2[3,K], b2[3]; input X[M,N], y[M]; H = relu(X @ W1' + ones(M) b1'); "
     "mean(cross_entropy(H @ W2' + ones(M) b2', y)) + 1e-3*sum(W1*W1)"),
};

START_TEST(test_tensor_rules_against_differences) {
    const char *tmpl = gradient_cases[_i];
    for (int t = 0; t < 3; t++) {
        char text[1024];
        int m = 1 + (int)uniform(0, 5), n = 1 + (int)uniform(0, 5), k = 1 + (int)uniform(0, 5);
        instantiate(tmpl, m, n, k, text, sizeof text); /* subscripts like N-1 are constants */
        check_against_differences(text, 2, 1e-6);
    }
}
END_TEST

/* Vector programs: their Jacobian, numerator layout. */
static const char *const jacobian_cases[] = {
    "param W[M,N], x[N]; tanh(W @ x)",
    "param x[N]; softmax(x)",
    "param x[N]; log_softmax(x)",
    "param x[N], s; [x[0]*s, sum(x), s^2]",
    "param x[N]; x*x[0] + sum(x)",
    "param A[M,K]; sum(A^2, 1)",
    "param A[M,K]; logsumexp(A) + sum(softmax(A)^2, 0)[0]",
    "param A[M,K], w[K]; sum(sin(A + ones(M) w'), 0)",
};

START_TEST(test_tensor_jacobians_against_differences) {
    for (int t = 0; t < 3; t++) {
        char text[512];
        instantiate(jacobian_cases[_i], 1 + (int)uniform(0, 4), 1 + (int)uniform(0, 4), 2, text, sizeof text);
        check_against_differences(text, 2, 1e-6);
    }
}
END_TEST

/* ---- forward mode --------------------------------------------------------------- */

/* Forward mode differentiates by scalars; these programs carry scalar
 * parameters through every tensor kind (products, outer products,
 * transposes, literals of scalars and of rows, indexing, fills, sums,
 * softmax, logsumexp), so every tangent rule is used.  A final vector
 * gives a Jacobian column. */
static const char *const forward_cases[] = {
    "param a, c; input W[M,N], x[N]; sum(sin((a*W) @ (c*x)))",
    "param a; input A[M,K], B[K,N]; sum(tanh((a*A) @ (B + a)))",
    "param a; input x[M], B[M,N]; sum(cos((a*x) @ B))",
    "param a; input x[M], y[N]; sum(tanh(outer(a*x, y)) + (a*x) y')",
    "param a; input A[M,N]; sum(exp(transpose(a*A)))",
    "param a, b; v = [a, b, a*b]; dot(v, v) + v[1]*v[2]",
    "param a, b; W = [[a, b], [b, a^2]]; sum(W @ W) + W[1, 0]*sum(W[0])",
    "param a; input s[N], y[N]; logsumexp(a*s) - dot(y, softmax(a*s)) + sum(log_softmax(s*a^2))",
    "param a; input x[N]; sum(exp(a*ones(N))) + mean(a*x) + norm2(x + a) + sum(x + a)",
    "param a; input A[M,N]; sum(sin(A[0]*a)) + A[M-1, N-1]*a^2",
    "param a, b; input x[N]; tanh(a*x + b)",
    "param a; input W[M,N]; softmax(W @ (a*ones(N)))",
    ("param a; input A[M,K], b[K], y[M]; sum(tanh(a*A + ones(M) sin(a*b)')) + sum(softmax(a*A)^2) + "
     "sum(logsumexp(a*A)) + sum(cross_entropy(a*A, y)) + sum(sum(a*A, 0)^2) + sum(sum(a^2*A, 1)^2)"),
    "param a; input A[M,K]; sum(A, 1)*a + logsumexp(a*A, 0)[0]",
};

START_TEST(test_tensor_forward_mode) {
    for (int t = 0; t < 2; t++) {
        char text[512];
        instantiate(forward_cases[_i], 1 + (int)uniform(0, 4), 1 + (int)uniform(0, 4), 1 + (int)uniform(0, 4), text,
                    sizeof text);
        Graph *g = graph_new();
        Program p;
        StrBuf err;
        sb_init(&err);
        ck_assert_msg(lower_text(g, text, &p, &err) == 0, "'%s': %s", text, sb_str(&err));
        Node *y = p.outputs[0];
        DerivOptions dopt = {.assume_domain = 1, .domain = &y, .ndomain = 1};
        int wrt[8], nwrt = 0;
        for (int v = 0; v < g->nvars && nwrt < 8; v++)
            if (g->vars[v].role == VAR_PARAM)
                wrt[nwrt++] = v;
        Node *fwd[8], *rev[8];
        for (int j = 0; j < nwrt; j++) {
            fwd[j] = deriv_forward(g, y, wrt[j], &dopt);
            ck_assert_ptr_nonnull(fwd[j]);
            ck_assert(shape_equal(fwd[j]->shape, y->shape));
        }
        if (y->shape.rank == 0)
            ck_assert_int_eq(deriv_reverse(g, y, wrt, nwrt, &dopt, rev), 0);
        Point pt;
        point_random(g, &pt);
        TensorValues tv;
        ck_assert_int_eq(eval_tensors(g, fwd, nwrt, pt.at, &tv), 0);
        TensorValues tr;
        ck_assert_int_eq(eval_tensors(g, y->shape.rank ? fwd : rev, nwrt, pt.at, &tr), 0);
        for (int j = 0; j < nwrt; j++)
            for (int e = 0; e < shape_numel(y->shape); e++) {
                double f = tv.at[fwd[j]->id][e], fd = finite_difference(g, y, e, wrt[j], 0, &pt);
                ck_assert_msg(fabs(f - fd) <= 1e-6 * fmax(1, fabs(fd)), "%s: forward d y[%d] / d %s = %.15g, finite differences %.15g",
                              text, e, g->vars[wrt[j]].name, f, fd);
                if (y->shape.rank == 0) {
                    double r = tr.at[rev[j]->id][0];
                    ck_assert_msg(fabs(f - r) <= 1e-12 * fmax(1, fabs(r)), "%s: d/d%s forward %.17g, reverse %.17g", text,
                                  g->vars[wrt[j]].name, f, r);
                }
            }
        eval_tensors_free(&tv);
        eval_tensors_free(&tr);
        point_free(&pt);
        program_free(&p);
        sb_free(&err);
        graph_free(g);
    }
}
END_TEST

/* ---- against the scalar engine ---------------------------------------------------- */

/* The name of element e of node n in the scalarised program: a variable's
 * element is the variable W_e (a scalar variable keeps its name), a
 * computed node's element the bound name t<id>_e, a constant its value. */
static void scalar_name(const Graph *g, const Node *n, int e, StrBuf *sb) {
    if (n->kind == EX_CONST)
        sb_printf(sb, "(%.17g)", num_value(n->num[0]));
    else if (n->kind == EX_VAR && n->shape.rank == 0)
        sb_puts(sb, g->vars[n->u.var].name);
    else if (n->kind == EX_VAR)
        sb_printf(sb, "%s_%d", g->vars[n->u.var].name, e);
    else
        sb_printf(sb, "t%u_%d", (unsigned)n->id, e);
}

/* Element (i, j) of a, flat for vectors; scalars broadcast. */
static void scalar_elem(const Graph *g, const Node *a, int i, int j, StrBuf *sb) {
    int e = a->shape.rank == 2 ? i * a->shape.dim[1] + j : a->shape.rank == 1 ? i : 0;
    scalar_name(g, a, e, sb);
}

/* The scalar expression of element e of node n, from its arguments'
 * elements: the definition of each tensor operation, written out. */
static void scalar_definition(const Graph *g, const Node *n, int e, StrBuf *sb) {
    const Node *a = n->nargs ? n->args[0] : NULL, *b = n->nargs > 1 ? n->args[1] : NULL;
    int cols = n->shape.rank == 2 ? n->shape.dim[1] : 1, i = e / cols, j = e % cols;
    switch ((NodeKind)n->kind) {
    case EX_ADD:
    case EX_MUL:
        for (int k = 0; k < n->nargs; k++) {
            if (k)
                sb_puts(sb, n->kind == EX_ADD ? " + " : " * ");
            scalar_name(g, n->args[k], n->args[k]->shape.rank ? e : 0, sb);
        }
        return;
    case EX_POW:
        scalar_name(g, a, a->shape.rank ? e : 0, sb);
        sb_puts(sb, "^");
        scalar_name(g, b, b->shape.rank ? e : 0, sb);
        return;
    case EX_CALL:
        if (n->u.fn == BI_PI) {
            sb_puts(sb, "pi");
            return;
        }
        sb_printf(sb, "%s(", builtin_info[n->u.fn].name);
        for (int k = 0; k < n->nargs; k++) {
            if (k)
                sb_puts(sb, ", ");
            scalar_name(g, n->args[k], n->args[k]->shape.rank ? e : 0, sb);
        }
        sb_puts(sb, ")");
        return;
    case EX_MATMUL: { /* sum over q of a(i, q) b(q, j); a vector on the left is a row */
        int depth = b->shape.dim[0];
        for (int q = 0; q < depth; q++) {
            if (q)
                sb_puts(sb, " + ");
            if (a->shape.rank == 2)
                scalar_elem(g, a, i, q, sb);
            else
                scalar_elem(g, a, q, 0, sb);
            sb_puts(sb, " * ");
            scalar_elem(g, b, q, a->shape.rank == 2 ? j : e, sb);
        }
        return;
    }
    case EX_OUTER:
        scalar_elem(g, a, i, 0, sb);
        sb_puts(sb, " * ");
        scalar_elem(g, b, j, 0, sb);
        return;
    case EX_TRANSPOSE:
        scalar_elem(g, a, j, i, sb);
        return;
    case EX_INDEX: /* an element (flat position) or a row */
        scalar_name(g, a, n->shape.rank == 0 ? n->u.index : n->u.index * a->shape.dim[1] + e, sb);
        return;
    case EX_SCATTER: { /* zeros, the value at the index */
        int acols = a->shape.rank == 1 ? a->shape.dim[0] : 1;
        if (e / acols == n->u.index)
            scalar_name(g, a, e % acols, sb);
        else
            sb_puts(sb, "0");
        return;
    }
    case EX_PACK: { /* scalars, or rows */
        const Node *item = n->args[n->args[0]->shape.rank ? i : e];
        scalar_name(g, item, item->shape.rank ? j : 0, sb);
        return;
    }
    case EX_SUM:
        for (int k = 0; k < shape_numel(a->shape); k++) {
            if (k)
                sb_puts(sb, " + ");
            scalar_name(g, a, k, sb);
        }
        return;
    case EX_FILL:
        scalar_name(g, a, 0, sb);
        return;
    case EX_SOFTMAX: { /* exp(u_e) / sum(exp(u)), in each row */
        int len = a->shape.rank == 2 ? a->shape.dim[1] : a->shape.dim[0], row = a->shape.rank == 2 ? i : 0;
        sb_puts(sb, "exp(");
        scalar_name(g, a, e, sb);
        sb_puts(sb, ")/(");
        for (int k = 0; k < len; k++) {
            sb_puts(sb, k ? " + exp(" : "exp(");
            scalar_name(g, a, row * len + k, sb);
            sb_puts(sb, ")");
        }
        sb_puts(sb, ")");
        return;
    }
    case EX_ROWS: /* b in every row */
        scalar_elem(g, a, j, 0, sb);
        return;
    case EX_COLS: /* v in every column */
        scalar_elem(g, a, i, 0, sb);
        return;
    case EX_ROWSUM: /* sum over q of a(e, q) */
    case EX_COLSUM: /* sum over q of a(q, e) */
        for (int q = 0; q < a->shape.dim[n->kind == EX_ROWSUM]; q++) {
            if (q)
                sb_puts(sb, " + ");
            if (n->kind == EX_ROWSUM)
                scalar_elem(g, a, e, q, sb);
            else
                scalar_elem(g, a, q, e, sb);
        }
        return;
    case EX_ONEHOT: { /* 1 where the label is the column, for integer labels */
        int k = n->shape.rank == 2 ? cols : n->shape.dim[0], col = e % k;
        sb_puts(sb, "step(");
        scalar_name(g, a, n->shape.rank == 2 ? i : 0, sb);
        sb_printf(sb, " - %d + 0.5)*step(%d + 0.5 - ", col, col);
        scalar_name(g, a, n->shape.rank == 2 ? i : 0, sb);
        sb_puts(sb, ")");
        return;
    }
    case EX_LOGSUMEXP: {
        /* log(sum(exp(u))) of each row as log(exp(... log(exp(u_0) +
         * exp(u_1)) ...) + exp(u_(n-1))): pairs, which stay scalar forms
         * (three or more terms at once become logsumexp of a vector
         * literal) */
        int len = a->shape.rank == 2 ? a->shape.dim[1] : a->shape.dim[0], row = a->shape.rank == 2 ? e : 0;
        for (int k = 1; k < len; k++)
            sb_puts(sb, "log(exp(");
        scalar_name(g, a, row * len, sb);
        for (int k = 1; k < len; k++) {
            sb_puts(sb, ") + exp(");
            scalar_name(g, a, row * len + k, sb);
            sb_puts(sb, "))");
        }
        return;
    }
    case EX_CONST:
    case EX_VAR:
    case EX_DIM: /* the programs here have fixed shapes */
    case EX_COUNT:
        break;
    }
    ck_abort_msg("no scalar definition for node kind %d", n->kind);
}

/* The scalarised program: every element of every variable declared as a
 * scalar (same roles, flat row-major order), one statement per element of
 * every computed node, and the elements of y as the final expression (a
 * literal when y is a vector). */
static void scalarise(const Graph *g, Node *y, StrBuf *text) {
    for (int role = VAR_PARAM; role <= VAR_INPUT; role++) {
        int first = 1;
        for (int v = 0; v < g->nvars; v++) {
            if ((int)g->vars[v].role != role)
                continue;
            sb_puts(text, first ? (role == VAR_PARAM ? "param " : "input ") : ", ");
            first = 0;
            Node *var = graph_var_node((Graph *)g, v);
            for (int e = 0; e < shape_numel(g->vars[v].shape); e++) {
                if (e)
                    sb_puts(text, ", ");
                scalar_name(g, var, e, text);
            }
        }
        if (!first)
            sb_puts(text, ";\n");
    }
    unsigned char *mark = malloc(g->nnodes);
    ck_assert_ptr_nonnull(mark);
    dag_mark_reachable(g, &y, 1, mark);
    for (size_t id = 0; id < g->nnodes; id++) {
        const Node *n = g->nodes[id];
        if (!mark[id] || n->kind == EX_CONST || n->kind == EX_VAR)
            continue;
        for (int e = 0; e < shape_numel(n->shape); e++) {
            sb_printf(text, "t%u_%d = ", (unsigned)n->id, e);
            scalar_definition(g, n, e, text);
            sb_puts(text, ";\n");
        }
    }
    free(mark);
    if (y->shape.rank)
        sb_puts(text, "[");
    for (int e = 0; e < shape_numel(y->shape); e++) {
        if (e)
            sb_puts(text, ", ");
        scalar_name(g, y, e, text);
    }
    if (y->shape.rank)
        sb_puts(text, "]");
    sb_puts(text, "\n");
}

/* Lowers the tensor program, writes it out as a scalar program, and
 * compares the value and every derivative (gradient, or Jacobian for a
 * vector program) of the two engines at random points. */
static void check_against_scalar_engine(const char *text, double tol) {
    Graph *g = graph_new();
    Program p;
    StrBuf err, scalar_text;
    sb_init(&err);
    sb_init(&scalar_text);
    ck_assert_msg(lower_text(g, text, &p, &err) == 0, "'%s' does not lower:\n%s", text, sb_str(&err));
    Node *y = p.outputs[0];
    scalarise(g, y, &scalar_text);

    /* the tensor engine: d y[i] / d var j at d[i*nwrt + j] */
    int wrt[16], nwrt = 0;
    for (int v = 0; v < g->nvars && nwrt < 16; v++)
        if (g->vars[v].role == VAR_PARAM)
            wrt[nwrt++] = v;
    DerivOptions dopt = {.assume_domain = 1, .domain = &y, .ndomain = 1};
    int m = y->shape.rank ? y->shape.dim[0] : 1;
    Node **d = malloc((size_t)(m * nwrt) * sizeof *d);
    ck_assert_ptr_nonnull(d);
    for (int i = 0; i < m; i++)
        ck_assert_int_eq(
            deriv_reverse(g, y->shape.rank ? dag_index(g, y, i, 1) : y, wrt, nwrt, &dopt, d + i * nwrt), 0);

    /* the scalar engine on the scalarised program */
    Graph *sg = graph_new();
    Program sp;
    ck_assert_msg(lower_text(sg, sb_str(&scalar_text), &sp, &err) == 0, "'%s' scalarised does not lower:\n%s\n%s",
                  text, sb_str(&scalar_text), sb_str(&err));
    ck_assert_int_eq(sp.noutputs, m);
    ck_assert_msg(!dag_has_tensors(sg, sp.outputs, sp.noutputs), "%s: the scalarised program has tensors", text);
    int swrt[256], nswrt = 0;
    for (int v = 0; v < sg->nvars && nswrt < 256; v++)
        if (sg->vars[v].role == VAR_PARAM)
            swrt[nswrt++] = v;
    DerivOptions sdopt = {.assume_domain = 1, .domain = sp.outputs, .ndomain = sp.noutputs};
    Node **sd = malloc((size_t)(m * nswrt + m) * sizeof *sd); /* the gradients, then the outputs */
    ck_assert_ptr_nonnull(sd);
    for (int i = 0; i < m; i++) {
        ck_assert_int_eq(deriv_reverse(sg, sp.outputs[i], swrt, nswrt, &sdopt, sd + i * nswrt), 0);
        sd[m * nswrt + i] = sp.outputs[i];
    }

    for (int t = 0; t < 2; t++) {
        Point pt;
        point_random(g, &pt);
        /* the same numbers for the scalar variables, by name */
        double *spoint = calloc((size_t)sg->nvars + 1, sizeof *spoint);
        ck_assert_ptr_nonnull(spoint);
        for (int v = 0; v < g->nvars; v++) {
            Node *var = graph_var_node(g, v);
            for (int e = 0; e < shape_numel(g->vars[v].shape); e++) {
                StrBuf name;
                sb_init(&name);
                scalar_name(g, var, e, &name);
                int sv = graph_find_var(sg, sb_str(&name));
                if (sv >= 0) /* (a variable the program does not use may be absent) */
                    spoint[sv] = pt.at[v][e];
                sb_free(&name);
            }
        }
        double *svalues = malloc(sg->nnodes * sizeof *svalues);
        ck_assert_ptr_nonnull(svalues);
        ck_assert_int_eq(eval_nodes(sg, sd, m * nswrt + m, spoint, svalues), 0);
        TensorValues tv, tvy;
        ck_assert_int_eq(eval_tensors(g, d, m * nwrt, pt.at, &tv), 0);
        ck_assert_int_eq(eval_tensors(g, &y, 1, pt.at, &tvy), 0);
        for (int i = 0; i < m; i++) {
            double tval = tvy.at[y->id][i], sval = svalues[sp.outputs[i]->id];
            ck_assert_msg(fabs(tval - sval) <= tol * fmax(1, fabs(sval)), "%s: y[%d] = %.17g, scalarised %.17g", text,
                          i, tval, sval);
            for (int j = 0; j < nwrt; j++) {
                Node *var = graph_var_node(g, wrt[j]);
                for (int e = 0; e < shape_numel(var->shape); e++) {
                    StrBuf name;
                    sb_init(&name);
                    scalar_name(g, var, e, &name);
                    int sv = graph_find_var(sg, sb_str(&name)), k = 0;
                    while (k < nswrt && swrt[k] != sv)
                        k++;
                    double tder = tv.at[d[i * nwrt + j]->id][e];
                    double sder = k < nswrt ? svalues[sd[i * nswrt + k]->id] : 0.0;
                    ck_assert_msg(fabs(tder - sder) <= tol * fmax(1, fabs(sder)),
                                  "%s: d y[%d] / d %s = %.17g, scalarised %.17g\n%s", text, i, sb_str(&name), tder,
                                  sder, sb_str(&scalar_text));
                    sb_free(&name);
                }
            }
        }
        eval_tensors_free(&tv);
        eval_tensors_free(&tvy);
        free(svalues);
        free(spoint);
        point_free(&pt);
    }
    free(sd);
    free(d);
    program_free(&sp);
    graph_free(sg);
    program_free(&p);
    sb_free(&err);
    sb_free(&scalar_text);
    graph_free(g);
}

START_TEST(test_tensor_gradients_match_scalar_engine) {
    for (int t = 0; t < 2; t++) {
        char text[1024];
        int m = 1 + (int)uniform(0, 3), n = 1 + (int)uniform(0, 3), k = 1 + (int)uniform(0, 3);
        instantiate(gradient_cases[_i], m, n, k, text, sizeof text);
        check_against_scalar_engine(text, 1e-12);
    }
}
END_TEST

START_TEST(test_tensor_jacobians_match_scalar_engine) {
    for (int t = 0; t < 2; t++) {
        char text[512];
        instantiate(jacobian_cases[_i], 1 + (int)uniform(0, 3), 1 + (int)uniform(0, 3), 2, text, sizeof text);
        check_against_scalar_engine(text, 1e-12);
    }
}
END_TEST

/* ---- printed forms ---------------------------------------------------------------- */

START_TEST(test_tensor_printed_gradients) {
    static const struct {
        const char *program, *expected;
    } cases[] = {
        /* the sum(y) factor stays: softmax(s) - y needs sum(y) = 1 */
        {"param s[3]; input y[3]; -dot(y, log_softmax(s))", "d/ds = sum(y)*softmax(s) - y\n"},
        /* written for one-hot targets, the familiar form */
        {"param s[3]; input y[3]; logsumexp(s) - dot(y, s)", "d/ds = softmax(s) - y\n"},
        /* a linear layer: an outer product and a transpose-free adjoint */
        {"param W[2,3]; input x[3], t[2]; sum((W @ x - t)^2)/2", "d/dW = (W @ x - t) x'\n"},
        {"param x[3]; input W[2,3], t[2]; sum((W @ x - t)^2)/2", "d/dx = (W @ x - t) @ W\n"},
        {"param A[2,3]; sum(A' @ A)", "d/dA = 2*(A @ ones(3, 3))\n"},
        {"param a[2], b[3]; sum(a b')", "d/da = sum(b)*ones(2)\nd/db = sum(a)*ones(3)\n"},
        {"param x[3]; x[0]*x[2]", "d/dx = [x[2], 0, x[0]]\n"},
        {"param v[3]; sum(v - v + 1)", "d/dv = zeros(3)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = printed_gradient(cases[i].program);
        ck_assert_msg(strcmp(got, cases[i].expected) == 0, "%s:\n  expected %s  got      %s", cases[i].program,
                      cases[i].expected, got);
        free(got);
    }
}
END_TEST

START_TEST(test_tensor_network_gradient_is_small) {
    /* tensor-level reverse mode: the gradient of a 2-16-3 network's loss
     * is a few times the function, whatever the sizes */
    const char *text = "param W1[16,2], b1[16], W2[3,16], b2[3]; input x[2], y[3]; h = tanh(W1 @ x + b1); s = W2 @ h + b2;"
                       " logsumexp(s) - dot(y, s) + 1e-4*(sum(W1*W1) + sum(W2*W2))";
    Graph *g = graph_new();
    Program p;
    ck_assert_int_eq(lower_text(g, text, &p, NULL), 0);
    int wrt[4] = {0, 1, 2, 3};
    Node *grad[4];
    DerivOptions dopt = {.assume_domain = 1, .domain = p.outputs, .ndomain = 1};
    ck_assert_int_eq(deriv_reverse(g, p.outputs[0], wrt, 4, &dopt, grad), 0);
    size_t nf = dag_count(g, p.outputs, 1);
    Node *all[5] = {p.outputs[0], grad[0], grad[1], grad[2], grad[3]};
    size_t nall = dag_count(g, all, 5);
    ck_assert_msg(nall <= 3 * nf, "function %zu nodes, function and gradient %zu", nf, nall);
    for (int j = 0; j < 4; j++)
        ck_assert(shape_equal(grad[j]->shape, g->vars[j].shape));
    program_free(&p);
    graph_free(g);
}
END_TEST

/* ---- shapes ------------------------------------------------------------------------ */

START_TEST(test_tensor_shape_errors) {
    static const struct {
        const char *program, *message;
    } cases[] = {
        {"param W[3,4]; input x[5]; W @ x", "<test>:1:27: error: shape mismatch in 'W @ x': [3,4] @ [5]"},
        {"param a[3], b[4]; sum(a + b)", "error: shape mismatch in 'a + b': [3] + [4]"},
        {"param a[3], b[4]; sum(a*b)", "error: shape mismatch in 'a*b': [3] * [4]"},
        {"param a[3], b[4]; dot(a, b)", "error: shape mismatch in 'dot(a, b)': [3], [4]"},
        {"param a[3]; a[3]", "error: subscript 3 is out of range: the dimension has 3 elements"},
        {"param a[3]; a'", "error: a vector has no transpose of its own"},
        {"param a[3]; softmax(2)", "error: a vector or a matrix is needed here, got scalar"},
        {"param W[2,3,4]; 1", "error: 'W' has 3 dimensions"},
        {"param a[3]; [a, 1]", "error: shape mismatch in '[a, 1]': [3] beside scalar"},
        {"param a[2]; a @ 2", "error: shape mismatch in 'a @ 2': [2] @ scalar"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = lowering_error(cases[i].program);
        ck_assert_msg(strstr(got, cases[i].message), "%s:\n  expected %s\n  got %s", cases[i].program,
                      cases[i].message, got);
        free(got);
    }
}
END_TEST

/* Element counts are 64-bit and every node is bounded by SHAPE_MAX_ELEMENTS
 * where lowering makes it (FIXED: counts overflowed int past 2^31, only
 * each dimension was checked: sum(ones(1e6,1e6)*u[0]) evaluated to a
 * negative number, and --at on a 65536 x 65537 outer product wrote past a
 * buffer).  Every way to make a large shape, just past the limit and far
 * past it, with the error located at the expression; and just inside. */
START_TEST(test_tensor_element_limit) {
    Shape big = shape_mat(axis_fixed(65536), axis_fixed(65537));
    ck_assert(shape_numel(big) == INT64_C(4295032832));
    StrBuf many;
    sb_init(&many);
    sb_puts(&many, "param v[20000]; m = [v");
    for (int i = 1; i < 5001; i++) /* 5001 rows of 20000: 100020000 elements */
        sb_puts(&many, ", v");
    sb_puts(&many, "]; sum(m)");
    const struct {
        const char *program, *where;
    } beyond[] = {
        {"param u[1]; sum(ones(1000000, 1000000)*u[0])", "<test>:1:17: error: too many elements"},
        {"param u[1]; sum(zeros(10001, 10000) + u[0])", "<test>:1:17: error: too many elements"},
        {"param u[65536], v[65537]; sum(u v')", "<test>:1:31: error: too many elements"},
        {"param u[65536], v[65537]; sum(outer(u, v))", "<test>:1:31: error: too many elements"},
        {"param u[10001], v[10000]; sum(u v') + sum(v)", "<test>:1:31: error: too many elements"},
        {"param A[10000,10], B[10,10001]; sum(A @ B)", "<test>:1:37: error: too many elements"},
        {"param A[1000000,2], B[2,1000000]; sum(A @ B)", "<test>:1:39: error: too many elements"},
        {"param u[65536], v[65537], w[65537]; sum(u v' @ w)", "<test>:1:41: error: too many elements"},
        {sb_str(&many), "<test>:1:21: error: too many elements"},
    };
    for (size_t i = 0; i < sizeof beyond / sizeof *beyond; i++) {
        char *got = lowering_error(beyond[i].program);
        ck_assert_msg(strstr(got, beyond[i].where), "%.60s:\n  expected %s\n  got %s", beyond[i].program,
                      beyond[i].where, got);
        free(got);
    }
    /* at the limit: accepted, and counted right (1e8 elements of 2) */
    static const char *const inside[] = {"param u[1]; sum(ones(10000, 10000)*u[0])",
                                         "param u[1]; sum(ones(1000000, 100)*u[0])",
                                         "param u[1]; mean(zeros(100, 1000000) + u[0])"};
    for (size_t i = 0; i < sizeof inside / sizeof *inside; i++) {
        Graph *g = graph_new();
        Program p;
        StrBuf err;
        sb_init(&err);
        ck_assert_msg(lower_text(g, inside[i], &p, &err) == 0, "%s: %s", inside[i], sb_str(&err));
        ck_assert_int_eq(p.outputs[0]->shape.rank, 0);
        double u = 2;
        const double *point = &u;
        TensorValues tv;
        ck_assert_int_eq(eval_tensors(g, p.outputs, 1, &point, &tv), 0);
        ck_assert_close(tv.at[p.outputs[0]->id][0], i == 2 ? 2 : 2e8, 1e-15);
        eval_tensors_free(&tv);
        program_free(&p);
        graph_free(g);
        sb_free(&err);
    }
    sb_free(&many);
}
END_TEST

START_TEST(test_tensor_shapes_and_values) {
    Graph *g = graph_new();
    Program p;
    ck_assert_int_eq(lower_text(g, "param A[2,3]; input x[3]; [A' @ A @ x, A[1], [x[0], 1, 2]]", &p, NULL), 0);
    Node *y = p.outputs[0];
    ck_assert_int_eq(y->shape.rank, 2);
    ck_assert_int_eq(y->shape.dim[0], 3);
    ck_assert_int_eq(y->shape.dim[1], 3);
    program_free(&p);
    graph_free(g);

    /* values: matrix products row-major, softmax without overflow (a final
     * literal of scalars is a vector program: one output per element) */
    g = graph_new();
    ck_assert_int_eq(lower_text(g, "param A[2,2]; input x[2]; [sum(A @ x), sum(A' @ x), sum(softmax(1000*x)), logsumexp(1000*x)]",
                                &p, NULL),
                     0);
    double a[4] = {1, 2, 3, 4}, x[2] = {1, -1};
    const double *point[2] = {a, x};
    TensorValues tv;
    ck_assert_int_eq(p.noutputs, 4);
    ck_assert_int_eq(eval_tensors(g, p.outputs, p.noutputs, point, &tv), 0);
    ck_assert_close(tv.at[p.outputs[0]->id][0], (1 - 2) + (3 - 4), 1e-15);
    ck_assert_close(tv.at[p.outputs[1]->id][0], (1 - 3) + (2 - 4), 1e-15);
    ck_assert_close(tv.at[p.outputs[2]->id][0], 1, 1e-15);
    ck_assert_close(tv.at[p.outputs[3]->id][0], 1000, 1e-15);
    eval_tensors_free(&tv);
    program_free(&p);
    graph_free(g);
}
END_TEST

/* Scalar identities hold elementwise; those that do not stay out. */
START_TEST(test_tensor_simplifier_respects_shapes) {
    static const struct {
        const char *program, *expected;
    } cases[] = {
        {"param x[3]; x*x", "x^2"},
        {"param x[3]; x - x", "zeros(3)"},
        {"param x[3]; 0*x + 1", "ones(3)"},
        {"param A[2,2], B[2,2]; A @ B - B @ A", "A @ B - B @ A"},
        {"param A[2,3]; (A')'", "A"},
        {"param x[3]; 2*[x[0], x[1], x[2]]", "2*x"},
        {"param x[3]; sum(2*x)", "2*sum(x)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Graph *g = graph_new();
        Program p;
        ck_assert_int_eq(lower_text(g, cases[i].program, &p, NULL), 0);
        StrBuf out;
        sb_init(&out);
        print_expr(&out, g, p.outputs[0], PRINT_INFIX);
        ck_assert_msg(strcmp(sb_str(&out), cases[i].expected) == 0, "%s: expected %s, got %s",
                      cases[i].program, cases[i].expected, sb_str(&out));
        sb_free(&out);
        program_free(&p);
        graph_free(g);
    }
}
END_TEST

/* Printed tensor expressions parse back to an expression that prints the
 * same and has the same value. */
START_TEST(test_tensor_print_round_trip) {
    static const struct {
        const char *decls, *expr;
    } cases[] = {
        {"param W[2,3], b[2]; input x[3];", "tanh(W @ x + b) x'"},
        {"param A[2,3], B[3,3];", "(A @ B)' @ A + 1"},
        {"param x[3];", "[x[2], x[0]^2, sum(x)]"},
        {"param s[3];", "softmax(s) - logsumexp(2*s)"},
        {"param A[2,2];", "A[1, 0]*A[0] - A @ A[1]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[512], *printed[2] = {NULL, NULL};
        double value[2];
        for (int round = 0; round < 2; round++) {
            snprintf(text, sizeof text, "%s %s", cases[i].decls, round ? printed[0] : cases[i].expr);
            Graph *g = graph_new();
            Program p;
            StrBuf out, err;
            sb_init(&out);
            sb_init(&err);
            ck_assert_msg(lower_text(g, text, &p, &err) == 0, "%s: %s", text, sb_str(&err));
            Node *y = p.noutputs > 1 ? dag_pack(g, p.outputs, p.noutputs) : p.outputs[0];
            print_expr(&out, g, y, PRINT_INFIX);
            printed[round] = malloc(out.len + 1);
            memcpy(printed[round], sb_str(&out), out.len + 1);
            rng_state = 12345; /* the same point both times */
            Point pt;
            point_random(g, &pt);
            value[round] = value_at(g, dag_sum(g, y), &pt, 0);
            point_free(&pt);
            program_free(&p);
            sb_free(&out);
            sb_free(&err);
            graph_free(g);
        }
        ck_assert_msg(strcmp(printed[0], printed[1]) == 0, "%s printed as %s, then as %s", cases[i].expr,
                      printed[0], printed[1]);
        ck_assert_close(value[0], value[1], 1e-14);
        free(printed[0]);
        free(printed[1]);
    }
}
END_TEST

/* ---- generated C ------------------------------------------------------------------- */

static const char *const codegen_cases[] = {
    "param W1[5,2], b1[5], W2[3,5], b2[3]; input x[2], y[3]; h = tanh(W1 @ x + b1); s = W2 @ h + b2; logsumexp(s) - dot(y, s) + 1e-3*(sum(W1*W1) + sum(W2*W2))",
    "param W[3,4]; input x[4], y[3]; -dot(y, log_softmax(W @ x)) + norm2(W[1])",
    "param W[3,4], a; input x[4]; s = W @ x; max(0, 1 + s[1] - s[0]) + sum(relu(a*s)) + sigmoid(a)",
    "param A[3,3], v[3]; sum(sin(A' @ A @ v)) + v @ A @ v + sum(softplus(A + v v'))",
    "param x[4], s; softmax(x*s) + [x[0], s, x[3]^2, 1]",
};

/* Generates a kernel with the command-line tool, compiles it with a
 * driver, and compares value and derivatives with the evaluator: double
 * and float, with loops and unrolled (--unroll, which must leave no loop). */
START_TEST(test_tensor_generated_c) {
    const char *text = codegen_cases[_i];
    Graph *g = graph_new();
    Program p;
    ck_assert_int_eq(lower_text(g, text, &p, NULL), 0);
    Node *y = p.noutputs > 1 ? dag_pack(g, p.outputs, p.noutputs) : p.outputs[0];
    int wrt[16], nwrt = 0, inputs[16], ninputs = 0;
    for (int v = 0; v < g->nvars; v++) {
        if (g->vars[v].role == VAR_PARAM)
            wrt[nwrt++] = v;
        else
            inputs[ninputs++] = v;
    }
    DerivOptions dopt = {.assume_domain = 1, .domain = &y, .ndomain = 1};
    int m = y->shape.rank ? y->shape.dim[0] : 1;
    Node *d[64];
    for (int i = 0; i < m; i++)
        ck_assert_int_eq(
            deriv_reverse(g, y->shape.rank ? dag_index(g, y, i, 1) : y, wrt, nwrt, &dopt, d + i * nwrt), 0);
    Point pt;
    point_random(g, &pt);
    TensorValues tv;
    ck_assert_int_eq(eval_tensors(g, d, m * nwrt, pt.at, &tv), 0);
    TensorValues tvy;
    ck_assert_int_eq(eval_tensors(g, &y, 1, pt.at, &tvy), 0);

    char dir[] = "/tmp/symdiff-tensor-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512], cmd[4096];
    snprintf(path, sizeof path, "%s/prog.sd", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    /* the driver: x[] and input[] as literals, then every number printed */
    snprintf(path, sizeof path, "%s/main.c", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#include <stdio.h>\n#include \"k.h\"\nint main(void)\n{\n    static const T x[] = {");
    for (int j = 0; j < nwrt; j++)
        for (int e = 0; e < shape_numel(g->vars[wrt[j]].shape); e++)
            fprintf(f, "%.17g, ", pt.at[wrt[j]][e]);
    fprintf(f, "0};\n    static const T input[] = {");
    for (int j = 0; j < ninputs; j++)
        for (int e = 0; e < shape_numel(g->vars[inputs[j]].shape); e++)
            fprintf(f, "%.17g, ", pt.at[inputs[j]][e]);
    fprintf(f, "0};\n    (void)input;\n");
    const char *inarg = ninputs ? ", input" : "";
    if (y->shape.rank) {
        fprintf(f, "    static T y[K_NOUT], J[K_NOUT * K_NVARS];\n    k(x%s, y);\n    k_jac(x%s, J);\n", inarg, inarg);
        fprintf(f, "    for (int i = 0; i < K_NOUT; i++)\n        printf(\"%%.17g\\n\", (double)y[i]);\n");
        fprintf(f, "    for (int i = 0; i < K_NOUT * K_NVARS; i++)\n        printf(\"%%.17g\\n\", (double)J[i]);\n");
    } else {
        fprintf(f, "    static T grad[K_NVARS];\n    printf(\"%%.17g\\n\", (double)k(x%s));\n", inarg);
        fprintf(f, "    printf(\"%%.17g\\n\", (double)k_grad(x%s, grad));\n", inarg);
        fprintf(f, "    for (int i = 0; i < K_NVARS; i++)\n        printf(\"%%.17g\\n\", (double)grad[i]);\n");
    }
    fprintf(f, "    return 0;\n}\n");
    fclose(f);
    /* the expected numbers in the same order */
    int nparam_elems = 0;
    for (int j = 0; j < nwrt; j++)
        nparam_elems += shape_numel(g->vars[wrt[j]].shape);
    double *expect = malloc((size_t)(2 + m + m * nparam_elems) * sizeof *expect);
    int ne = 0;
    if (y->shape.rank) {
        for (int i = 0; i < m; i++)
            expect[ne++] = tvy.at[y->id][i];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < nwrt; j++)
                for (int e = 0; e < shape_numel(g->vars[wrt[j]].shape); e++)
                    expect[ne++] = tv.at[d[i * nwrt + j]->id][e];
    } else {
        expect[ne++] = tvy.at[y->id][0];
        expect[ne++] = tvy.at[y->id][0];
        for (int j = 0; j < nwrt; j++)
            for (int e = 0; e < shape_numel(g->vars[wrt[j]].shape); e++)
                expect[ne++] = tv.at[d[j]->id][e];
    }
    static const char *const ccs[] = {"gcc", "clang"};
    for (int c = 0; c < 2; c++) {
        if (!have_compiler(ccs[c]))
            continue;
        for (int variant = 0; variant < 4; variant++) {
            int fl = variant & 1, unroll = variant >> 1; /* float; straight-line code */
            snprintf(cmd, sizeof cmd,
                     "cd %s && '%s' --name k %s %s -f prog.sd -o k.c && %s -std=c99 -Wall -Wextra -Wpedantic -Werror %s -DT=%s -O1 -o run main.c k.c -lm && ./run > out.txt",
                     dir, symdiff_path(), fl ? "--type float" : "", unroll ? "--unroll" : "", ccs[c],
                     fl ? "-Wdouble-promotion" : "", fl ? "float" : "double");
            ck_assert_msg(system(cmd) == 0, "%s: generating, compiling or running failed: %s", text, cmd);
            if (unroll) { /* no loops left */
                snprintf(cmd, sizeof cmd, "grep -q 'for (' %s/k.c", dir);
                ck_assert_msg(system(cmd) != 0, "%s: the unrolled kernel has loops", text);
            }
            snprintf(path, sizeof path, "%s/out.txt", dir);
            f = fopen(path, "r");
            ck_assert_ptr_nonnull(f);
            for (int k = 0; k < ne; k++) {
                double v;
                ck_assert_int_eq(fscanf(f, "%lf", &v), 1);
                double tol = fl ? 2e-4 : 1e-12, scale = fabs(expect[k]) > 1 ? fabs(expect[k]) : 1;
                ck_assert_msg(fabs(v - expect[k]) <= tol * scale, "%s (%s%s%s): number %d is %.17g, evaluator %.17g",
                              text, ccs[c], fl ? ", float" : "", unroll ? ", unrolled" : "", k, v, expect[k]);
            }
            fclose(f);
        }
    }
    remove_tree(dir);
    free(expect);
    eval_tensors_free(&tv);
    eval_tensors_free(&tvy);
    point_free(&pt);
    program_free(&p);
    graph_free(g);
}
END_TEST

/* Generated code is loops whose bounds are the sizes: a 784-128-10
 * network's kernels are as long as a 2-16-3 network's (the same lines,
 * only the numbers in them longer), whatever the number of weights. */
START_TEST(test_tensor_code_size_independent_of_sizes) {
    static const int sizes[][3] = {{2, 16, 3}, {784, 128, 10}, {4096, 2048, 1000}};
    char dir[] = "/tmp/symdiff-tensor-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    long bytes[3], lines[3];
    for (int k = 0; k < 3; k++) {
        char path[512], cmd[2048];
        snprintf(path, sizeof path, "%s/net%d.sd", dir, k);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f,
                "param W1[%d,%d], b1[%d], W2[%d,%d], b2[%d]; input x[%d], y[%d];\n"
                "h = tanh(W1 @ x + b1); s = W2 @ h + b2;\n"
                "logsumexp(s) - dot(y, s) + 1e-5*(sum(W1*W1) + sum(W2*W2))\n",
                sizes[k][1], sizes[k][0], sizes[k][1], sizes[k][2], sizes[k][1], sizes[k][2], sizes[k][0],
                sizes[k][2]);
        fclose(f);
        snprintf(cmd, sizeof cmd, "cd %s && '%s' --name net -f net%d.sd -o net%d.c", dir, symdiff_path(), k, k);
        ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
        snprintf(path, sizeof path, "%s/net%d.c", dir, k);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        bytes[k] = lines[k] = 0;
        for (int c; (c = fgetc(f)) != EOF; bytes[k]++)
            lines[k] += c == '\n';
        fclose(f);
    }
    for (int k = 1; k < 3; k++) {
        ck_assert_int_eq(lines[k], lines[0]);
        ck_assert_msg(bytes[k] < bytes[0] + bytes[0] / 10, "%d-%d-%d network: %ld bytes of C, 2-16-3: %ld",
                      sizes[k][0], sizes[k][1], sizes[k][2], bytes[k], bytes[0]);
    }
    remove_tree(dir);
}
END_TEST

/* --unroll is for small sizes: a kernel whose straight-line code would be
 * too large is refused with a message, and nothing is written. */
START_TEST(test_tensor_unroll_refuses_large_kernels) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "'%s' --unroll --emit c 'param W[2000,2000]; input x[2000]; sum(tanh(W @ x))' 2>&1 >/dev/null | "
             "grep -q 'leave out --unroll'",
             symdiff_path());
    ck_assert_msg(system(cmd) == 0, "no refusal from %s", cmd);
    snprintf(cmd, sizeof cmd, "'%s' --unroll --emit c 'param W[2000,2000]; input x[2000]; sum(tanh(W @ x))' >/dev/null 2>&1",
             symdiff_path());
    int status = system(cmd);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}
END_TEST

Suite *tensor_suite(void); /* called by tests/runner.c */

Suite *tensor_suite(void) {
    Suite *s = suite_create("tensor");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_tensor_rules_against_differences, 0,
                        (int)(sizeof gradient_cases / sizeof *gradient_cases));
    tcase_add_loop_test(tc, test_tensor_jacobians_against_differences, 0,
                        (int)(sizeof jacobian_cases / sizeof *jacobian_cases));
    tcase_add_loop_test(tc, test_tensor_forward_mode, 0, (int)(sizeof forward_cases / sizeof *forward_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("scalar");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_tensor_gradients_match_scalar_engine, 0,
                        (int)(sizeof gradient_cases / sizeof *gradient_cases));
    tcase_add_loop_test(tc, test_tensor_jacobians_match_scalar_engine, 0,
                        (int)(sizeof jacobian_cases / sizeof *jacobian_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("forms");
    tcase_add_test(tc, test_tensor_printed_gradients);
    tcase_add_test(tc, test_tensor_network_gradient_is_small);
    tcase_add_test(tc, test_tensor_simplifier_respects_shapes);
    tcase_add_test(tc, test_tensor_print_round_trip);
    suite_add_tcase(s, tc);
    tc = tcase_create("codegen");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_tensor_generated_c, 0, (int)(sizeof codegen_cases / sizeof *codegen_cases));
    tcase_add_test(tc, test_tensor_code_size_independent_of_sizes);
    tcase_add_test(tc, test_tensor_unroll_refuses_large_kernels);
    suite_add_tcase(s, tc);
    tc = tcase_create("shapes");
    tcase_add_test(tc, test_tensor_shape_errors);
    tcase_add_test(tc, test_tensor_element_limit);
    tcase_add_test(tc, test_tensor_shapes_and_values);
    suite_add_tcase(s, tc);
    return s;
}
