/* SPDX-License-Identifier: MIT */
/*
 * api_derive.c — derivative requests: what to differentiate, by which
 * engine, and the shaped result.
 *
 * Consumes a compiled program and an SdRequest; produces an SdResult whose
 * blocks are DAG nodes of the program's graph.  One path for every program
 * shape (a scalar is a rank-0 tensor):
 *   gradient  one reverse pass for all variables (or the engine the
 *             request names, or the smaller of both);
 *   Jacobian  of m outputs by n variables: forward columns when the
 *             variables are scalars and there are no more of them than
 *             outputs (n passes), else reverse rows (m passes), the cost
 *             rule of automatic differentiation;
 *   Hessian   the gradient, then the gradient of each of its elements;
 *   n-th      forward mode n times in one scalar variable.
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "expand.h"
#include "together.h"
#include "scalarize.h"

/* The variables to differentiate by: the request's names, else every
 * parameter. */
static SdStatus select_wrt(SdResult *r, const SdRequest *req) {
    SdProgram *p = r->p;
    Graph *g = p->g;
    int n = req->wrt ? req->nwrt : g->nvars;
    r->wrt = malloc((size_t)(n + 1) * sizeof *r->wrt);
    r->col = malloc((size_t)(n + 2) * sizeof *r->col);
    if (!r->wrt || !r->col)
        return api_nomem(p);
    r->nwrt = 0;
    if (req->wrt) {
        for (int i = 0; i < req->nwrt; i++) {
            int v = graph_find_var(g, req->wrt[i]);
            if (v < 0)
                return api_fail(p, SD_ERR_REQUEST, "--wrt: '%s' is not a variable of the program",
                                req->wrt[i]);
            r->wrt[r->nwrt++] = v;
        }
    } else {
        for (int v = 0; v < g->nvars; v++)
            if (g->vars[v].role == VAR_PARAM)
                r->wrt[r->nwrt++] = v;
    }
    long at = 0;
    for (int j = 0; j < r->nwrt; j++) {
        r->col[j] = at;
        at += shape_numel(g->vars[r->wrt[j]].shape);
    }
    r->col[r->nwrt] = at;
    return SD_OK;
}

/* Element i of the program's value, as a scalar node. */
static Node *output_element(SdResult *r, long i) {
    if (r->nf > 1)
        return r->f[i];
    Node *y = r->f[0];
    return y->shape.rank == 0 ? y : dag_index(r->p->g, y, (int)i, 1);
}

/* Element e of block j of a row (a scalar node). */
static Node *block_element(Graph *g, Node *block, long e) {
    return block->shape.rank == 0 ? block : dag_index(g, block, (int)e, 1);
}

static int all_scalar_wrt(const SdResult *r) {
    for (int j = 0; j < r->nwrt; j++)
        if (r->p->g->vars[r->wrt[j]].shape.rank != 0)
            return 0;
    return 1;
}

DerivOptions api_deriv_options(const SdResult *r) {
    int assume = !r->literal && r->what != SD_FUNCTION;
    DerivOptions o = {.mode = r->used, .kink = r->kink, .assume_domain = assume,
                      .domain = r->p->prog.outputs, .ndomain = r->p->prog.noutputs};
    return o;
}

static SdStatus gradient(SdResult *r, Node *f, const SdRequest *req, Node **out, DerivMode *used) {
    Graph *g = r->p->g;
    DerivOptions opt = api_deriv_options(r);
    opt.mode = (DerivMode)req->mode;
    if (r->p->has_tensors && opt.mode == DERIV_FORWARD && !all_scalar_wrt(r))
        return api_fail(r->p, SD_ERR_REQUEST,
                        "--mode forward differentiates by scalar variables; use --mode reverse "
                        "(or auto) for vectors and matrices");
    if (deriv_gradient(g, f, r->wrt, r->nwrt, &opt, out, used) != 0 || g->failed)
        return api_graph_status(r->p);
    return SD_OK;
}

/* Copies a row-major matrix of nodes made by the engine into the blocks. */
static void take_blocks(SdResult *r, Node **m) {
    memcpy(r->blocks, m, (size_t)(r->rows * r->nwrt) * sizeof *m);
    free(m);
}

static SdStatus jacobian(SdResult *r, const SdRequest *req) {
    SdProgram *p = r->p;
    Graph *g = p->g;
    long m = r->rows;
    Node **elem = malloc((size_t)(m ? m : 1) * sizeof *elem);
    if (!elem)
        return api_nomem(p);
    for (long i = 0; i < m; i++)
        if (!(elem[i] = output_element(r, i))) {
            free(elem);
            return api_graph_status(p);
        }
    /* forward columns or reverse rows, by the engine's cost rule (it
     * charges every entry to the work limit) */
    DerivOptions opt = api_deriv_options(r);
    opt.mode = (DerivMode)req->mode;
    Node **J;
    SdStatus st = SD_OK;
    if (deriv_jacobian(g, elem, (int)m, r->wrt, r->nwrt, &opt, &J, &r->used) != 0 || g->failed)
        st = api_graph_status(p);
    else
        take_blocks(r, J);
    free(elem);
    return st;
}

static SdStatus hessian(SdResult *r, const SdRequest *req) {
    SdProgram *p = r->p;
    Graph *g = p->g;
    SdStatus st = gradient(r, r->f[0], req, r->grad, &r->used);
    if (st != SD_OK)
        return st;
    if (r->as_matrix) {
        /* scalar variables: the engine's Hessian, one pass per row, one node
         * of each symmetric pair kept for both */
        Node **H;
        DerivOptions opt = api_deriv_options(r);
        opt.mode = (DerivMode)req->mode;
        if (deriv_hessian(g, r->grad, r->wrt, r->nwrt, &opt, &H) != 0 || g->failed)
            return api_graph_status(p);
        take_blocks(r, H);
        return SD_OK;
    }
    /* row k: the gradient of the k-th element of the gradient */
    if (!dag_spend(g, (uint64_t)r->rows * (uint64_t)(r->rows + 1)))
        return api_graph_status(p);
    for (int j = 0; j < r->nwrt && st == SD_OK; j++) {
        long numel = r->col[j + 1] - r->col[j];
        for (long e = 0; e < numel && st == SD_OK; e++) {
            Node *h = block_element(g, r->grad[j], e);
            if (!h)
                st = api_graph_status(p);
            else
                st = gradient(r, h, req, r->blocks + (r->col[j] + e) * r->nwrt, NULL);
        }
    }
    return st;
}

static SdStatus nth(SdResult *r) {
    Graph *g = r->p->g;
    DerivOptions opt = api_deriv_options(r);
    Node *d = deriv_nth(g, r->f[0], r->wrt[0], r->order, &opt);
    if (!d || g->failed)
        return api_graph_status(r->p);
    r->blocks[0] = d;
    r->used = DERIV_FORWARD;
    return SD_OK;
}

/* The checks that depend on the program's shape, with the reason a user
 * is given. */
static SdStatus check_request(SdResult *r, const SdRequest *req) {
    SdProgram *p = r->p;
    int vector_out = p->out_shape.rank > 0;
    if (p->out_shape.rank == 2 && req->what != SD_FUNCTION)
        return api_fail(p, SD_ERR_REQUEST,
                        "derivatives of a matrix-valued program are not supported; differentiate a "
                        "scalar or a vector");
    if (shape_is_dynamic(p->out_shape) && req->what != SD_FUNCTION) {
        Shape s = p->out_shape;
        return api_fail(p, SD_ERR_REQUEST,
                        "the program's value has the run-time dimension '%s', so its Jacobian would have a "
                        "run-time number of rows: differentiate a scalar (such as its sum or mean), or give "
                        "'%s' a size with -D %s=...",
                        p->g->dims[(s.dyn[0] ? s.dyn[0] : s.dyn[1]) - 1].name,
                        p->g->dims[(s.dyn[0] ? s.dyn[0] : s.dyn[1]) - 1].name,
                        p->g->dims[(s.dyn[0] ? s.dyn[0] : s.dyn[1]) - 1].name);
    }
    if (req->what == SD_HESSIAN && vector_out)
        return api_fail(p, SD_ERR_REQUEST, "--hessian needs a scalar program");
    if (req->what == SD_NTH) {
        if (vector_out)
            return api_fail(p, SD_ERR_REQUEST, "--order needs a scalar program");
        if (r->nwrt != 1 || p->g->vars[r->wrt[0]].shape.rank != 0)
            return api_fail(p, SD_ERR_REQUEST, "--order needs exactly one variable (use --wrt), a scalar");
    }
    if (req->expand && p->has_tensors)
        return api_fail(p, SD_ERR_REQUEST,
                        "--expand expands polynomials of scalars; this program has vectors or matrices");
    if (req->together && p->has_tensors)
        return api_fail(p, SD_ERR_REQUEST,
                        "--together rewrites fractions of scalars; this program has vectors or matrices");
    if (req->together && req->expand)
        return api_fail(p, SD_ERR_REQUEST, "--together and --expand ask for different forms: give one");
    return SD_OK;
}

/* The textbook form of every root (--together). */
static SdStatus together_blocks(SdResult *r) {
    Node **roots = r->what == SD_FUNCTION ? r->f : r->blocks;
    long n = r->what == SD_FUNCTION ? r->nf : r->rows * r->nwrt;
    for (long i = 0; i < n; i++) {
        Node *t = together_node(r->p->g, roots[i]);
        if (!t)
            return api_graph_status(r->p);
        roots[i] = t;
    }
    return SD_OK;
}

static SdStatus expand_blocks(SdResult *r) {
    Node **roots = r->what == SD_FUNCTION ? r->f : r->blocks;
    long n = r->what == SD_FUNCTION ? r->nf : r->rows * r->nwrt;
    for (long i = 0; i < n; i++) {
        ExpandStatus err;
        Node *e = expand_node(r->p->g, roots[i], &err);
        if (!e && r->p->g->failed)
            return api_graph_status(r->p);
        switch (e ? EXPAND_OK : err) {
        case EXPAND_OK:
            break;
        case EXPAND_NO_MEMORY:
            return api_nomem(r->p);
        case EXPAND_TOO_MANY:
            return api_fail(r->p, SD_ERR_LIMIT,
                            "--expand: more than %d terms (in the expanded result or one of its "
                            "subexpressions)",
                            EXPAND_MAX_TERMS);
        case EXPAND_OVERFLOW:
            return api_fail(r->p, SD_ERR_LIMIT, "--expand: a coefficient is too large");
        }
        roots[i] = e;
    }
    return SD_OK;
}

SdStatus sd_derive(SdProgram *p, const SdRequest *req, SdResult **out) {
    static const SdRequest defaults = {.what = SD_GRADIENT};
    *out = NULL;
    if (!req)
        req = &defaults;
    if (!p->ok)
        return api_fail(p, SD_ERR_REQUEST, "the program did not compile");
    p->error[0] = '\0';
    SdResult *r = calloc(1, sizeof *r);
    if (!r)
        return api_nomem(p);
    r->p = p;
    r->what = req->what;
    r->order = req->what == SD_NTH ? req->order : 0;
    r->used = (DerivMode)req->mode;
    r->kink = req->kink;
    r->literal = req->literal;
    r->expand = req->expand;
    r->nf = p->prog.noutputs;
    r->f = malloc((size_t)r->nf * sizeof *r->f);
    if (!r->f) {
        free(r);
        return api_nomem(p);
    }
    memcpy(r->f, p->prog.outputs, (size_t)r->nf * sizeof *r->f);
    SdStatus st = select_wrt(r, req);
    if (st == SD_OK)
        st = check_request(r, req);
    if (st == SD_OK && req->what == SD_NTH && req->order < 1)
        st = api_fail(p, SD_ERR_REQUEST, "--order needs a positive order");
    if (st != SD_OK) {
        sd_result_free(r);
        return st;
    }
    long n = r->col[r->nwrt];
    switch (req->what) {
    case SD_FUNCTION:
        r->rows = 1;
        break;
    case SD_GRADIENT:
        r->rows = shape_numel(p->out_shape);
        if (p->prog.is_vector)
            r->rows = r->nf;
        break;
    case SD_HESSIAN:
        r->rows = n;
        break;
    case SD_NTH:
        r->rows = 1;
        break;
    }
    /* printed as a matrix: the scalar programs' Jacobian and Hessian */
    r->as_matrix = !p->has_tensors &&
                   ((req->what == SD_GRADIENT && p->prog.is_vector) || req->what == SD_HESSIAN);
    size_t nblocks = req->what == SD_FUNCTION ? 0 : (size_t)(r->rows * r->nwrt);
    r->blocks = calloc(nblocks ? nblocks : 1, sizeof *r->blocks);
    r->grad = calloc((size_t)(r->nwrt + 1), sizeof *r->grad);
    if (!r->blocks || !r->grad) {
        sd_result_free(r);
        return api_nomem(p);
    }

    Graph *g = p->g;
    switch (req->what) {
    case SD_FUNCTION:
        break;
    case SD_GRADIENT:
        st = r->rows == 1 && r->nf == 1 && p->out_shape.rank == 0
                 ? gradient(r, r->f[0], req, r->blocks, &r->used)
                 : jacobian(r, req);
        break;
    case SD_HESSIAN:
        st = hessian(r, req);
        break;
    case SD_NTH:
        st = nth(r);
        break;
    }
    if (st == SD_OK && g->failed)
        st = api_graph_status(p);
    for (size_t i = 0; st == SD_OK && i < nblocks; i++)
        if (!r->blocks[i])
            st = api_graph_status(p);
    if (st == SD_OK && req->expand)
        st = expand_blocks(r);
    if (st == SD_OK && req->together)
        st = together_blocks(r);
    if (st != SD_OK) {
        sd_result_free(r);
        return st;
    }
    api_verify(p, "differentiation");
    *out = r;
    return SD_OK;
}

void sd_result_free(SdResult *r) {
    if (!r)
        return;
    sd_result_free(r->twin_r);
    sd_program_free(r->twin_p);
    free(r->f);
    free(r->wrt);
    free(r->col);
    free(r->blocks);
    free(r->grad);
    free(r);
}

SdLayout sd_result_layout(const SdResult *r) {
    static const char *const names[] = {"function", "gradient", "hessian", "derivative"};
    SdLayout l = {r->what, r->what == SD_FUNCTION ? 1 : r->rows,
                  r->what == SD_FUNCTION ? 0 : r->col[r->nwrt], r->nwrt,
                  sd_shape_numel(sd_output_shape(r->p)), names[r->what]};
    if (r->what == SD_GRADIENT && r->p->out_shape.rank > 0)
        l.name = "jacobian";
    if (r->p->prog.is_vector)
        l.value_size = r->nf;
    return l;
}

int sd_result_wrt(const SdResult *r, int j) { return j >= 0 && j < r->nwrt ? r->wrt[j] : -1; }

/* --- the scalar twin ------------------------------------------------------------------- */

SdStatus api_twin(SdResult *r, const char *what, SdResult **out) {
    SdProgram *p = r->p;
    if (r->twin_r) {
        *out = r->twin_r;
        return SD_OK;
    }
    /* *out keeps its value until the twin exists: callers tell a failure
     * of the twin from one of the result by it */
    Scalarized sc;
    ScalarizeStatus st = scalarize(p->g, p->prog.outputs, p->prog.noutputs, &sc);
    if (st == SCALARIZE_RUN_TIME_DIMS)
        return api_fail(p, SD_ERR_REQUEST,
                        "%s writes the program out element by element, which needs fixed shapes: give the "
                        "run-time dimension '%s' a size (-D %s=...)",
                        what, p->g->dims[0].name, p->g->dims[0].name);
    if (st != SCALARIZE_OK)
        return st == SCALARIZE_TOO_LARGE ? api_fail(p, SD_ERR_LIMIT,
                                   "%s writes the program out element by element: more than %ld "
                                   "nodes (see --max-nodes)",
                                   what, p->max_nodes)
                        : api_nomem(p);
    SdProgram *t = calloc(1, sizeof *t);
    if (!t) {
        scalarized_free(&sc);
        return api_nomem(p);
    }
    r->twin_p = t;
    t->g = sc.g;
    t->prog.outputs = sc.roots;
    t->prog.noutputs = (int)sc.nroots;
    t->prog.is_vector = p->out_shape.rank > 0;
    t->prog.has_decls = p->prog.has_decls;
    t->out_shape = p->out_shape.rank > 0 ? shape_vec(axis_fixed((int)sc.nroots)) : shape_scalar;
    t->max_nodes = p->max_nodes;
    t->name = api_strdup(p->name);
    t->text = malloc(p->src.len + 1);
    if (!t->name || !t->text)
        return api_nomem(p);
    memcpy(t->text, p->text, p->src.len + 1);
    t->src = (Source){t->name, t->text, p->src.len};
    long *offset = malloc((size_t)(t->g->nvars + 1) * sizeof *offset);
    if (!offset)
        return api_nomem(p);
    for (int v = 0; v <= t->g->nvars; v++)
        offset[v] = v;
    t->offset = offset;
    t->point_size = t->g->nvars;
    t->ok = 1;
    /* the same request, by every element of the variables it names */
    long n = r->col[r->nwrt];
    const char **names = malloc((size_t)(n + 1) * sizeof *names);
    if (!names)
        return api_nomem(p);
    for (int j = 0; j < r->nwrt; j++)
        for (long e = 0; e < r->col[j + 1] - r->col[j]; e++)
            names[r->col[j] + e] = t->g->vars[p->offset[r->wrt[j]] + e].name;
    SdRequest req = {.what = r->what, .order = r->order, .wrt = names, .nwrt = (int)n,
                     .mode = (SdMode)r->used, .kink = r->kink, .literal = r->literal,
                     .expand = r->expand};
    if (r->used == DERIV_FORWARD || r->used == DERIV_REVERSE)
        req.mode = r->used == DERIV_FORWARD ? SD_MODE_FORWARD : SD_MODE_REVERSE;
    SdStatus status = sd_derive(t, &req, &r->twin_r);
    free(names);
    if (status != SD_OK) /* the twin's message is the program's */
        return api_fail(p, status, "%s: %s", what, t->error);
    *out = r->twin_r;
    return SD_OK;
}
