/* SPDX-License-Identifier: MIT */
/*
 * api_teach.c — the teaching views of a result: the derivation rule by
 * rule, Graphviz pictures, factored polynomials, expression swell with its
 * sweep and plot, Baydin's table, and the stages' dumps and counts.
 *
 * Consumes SdResults; produces text (plain, LaTeX, JSON, DOT, SVG) made by
 * trace.c, dot.c, poly.c, swell.c, plot.c and baydin.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "baydin.h"
#include "dot.h"
#include "poly.h"
#include "print.h"
#include "swell.h"
#include "trace.h"

/* The first derivatives of a scalar program, element by element for one
 * with vectors and matrices (*r becomes its twin). */
static SdStatus scalar_first_derivatives(SdResult **r, const char *what) {
    if ((*r)->p->has_tensors) {
        SdStatus st = api_twin(*r, what, r);
        if (st != SD_OK)
            return st;
    }
    if ((*r)->what != SD_GRADIENT || (*r)->p->prog.is_vector)
        return api_fail((*r)->p, SD_ERR_REQUEST, "%s shows the first derivatives of a scalar program",
                        what);
    return SD_OK;
}

SdStatus sd_trace(SdResult *r, SdFormat fmt, char **out) {
    *out = NULL;
    SdResult *r0 = r;
    SdStatus st = scalar_first_derivatives(&r, "--trace");
    if (st != SD_OK)
        return st == SD_ERR_REQUEST && r != r0 ? api_fail(r0->p, st, "%s", r->p->error) : st;
    StrBuf sb;
    sb_init(&sb);
    DerivOptions opt = api_deriv_options(r); /* the trace builds local partials */
    for (int j = 0; j < r->nwrt; j++) {
        if (j)
            sb_putc(&sb, '\n');
        if (trace_derivative(&sb, r->p->g, r->f[0], r->wrt[j], fmt == SD_LATEX, &opt) != 0) {
            sb_free(&sb);
            return api_fail(r0->p, SD_ERR_LIMIT,
                            "--trace is for small programs (a tree of at most %d nodes)", TRACE_LIMIT);
        }
    }
    *out = sb_take(&sb);
    return *out ? SD_OK : api_nomem(r0->p);
}

SdStatus sd_factor(SdResult *r, SdFormat fmt, char **out) {
    *out = NULL;
    SdResult *r0 = r;
    SdStatus st = scalar_first_derivatives(&r, "--factor");
    if (st != SD_OK)
        return st == SD_ERR_REQUEST && r != r0 ? api_fail(r0->p, st, "%s", r->p->error) : st;
    StrBuf sb;
    sb_init(&sb);
    for (int j = 0; j < r->nwrt; j++) {
        sb_printf(&sb, "d/d%s = ", r->p->g->vars[r->wrt[j]].name);
        int ps = poly_factor_string(&sb, r->p->g, r->blocks[j], r->wrt[j],
                                    fmt == SD_LATEX ? POLY_LATEX : POLY_ASCII);
        if (ps != POLY_OK) {
            sb_free(&sb);
            return ps == POLY_NOMEM ? api_nomem(r0->p)
                                    : api_fail(r0->p, SD_ERR_INPUT, "--factor: %s",
                                               ps == POLY_NOT_POLY
                                                   ? "the derivative is not a polynomial in one variable"
                                                   : "the polynomial is too large");
        }
        sb_putc(&sb, '\n');
    }
    *out = sb_take(&sb);
    return *out ? SD_OK : api_nomem(r0->p);
}

SdStatus sd_dot(SdResult *r, int flags, char **out) {
    *out = NULL;
    int as_tree = (flags & SD_DOT_TREE) != 0;
    SdProgram *p = r->p;
    int fn = r->what == SD_FUNCTION;
    long nd = fn ? 0 : r->rows * r->nwrt;
    long n = r->nf + nd;
    Node **roots = malloc((size_t)n * sizeof *roots);
    char **labels = calloc((size_t)n, sizeof *labels);
    StrBuf dot;
    sb_init(&dot);
    int failed = !roots || !labels;
    for (int i = 0; !failed && i < r->nf; i++) {
        roots[i] = r->f[i];
        labels[i] = malloc(32);
        if (labels[i])
            snprintf(labels[i], 32, p->prog.is_vector ? "f%d" : "f", i + 1);
    }
    for (long i = 0; !failed && i < nd; i++) {
        StrBuf lb;
        sb_init(&lb);
        if (r->as_matrix)
            sb_printf(&lb, "%s[%ld][%ld]", r->what == SD_HESSIAN ? "H" : "J", i / r->nwrt + 1,
                      i % r->nwrt + 1);
        else if (r->what == SD_NTH)
            sb_printf(&lb, "d%d/d%s%d", r->order, p->g->vars[r->wrt[0]].name, r->order);
        else
            sb_printf(&lb, "d/d%s", p->g->vars[r->wrt[i]].name);
        roots[r->nf + i] = r->blocks[i];
        labels[r->nf + i] = sb_take(&lb);
    }
    SdStatus st = SD_OK;
    if (failed) {
        st = api_nomem(p);
    } else if (dot_write_split(&dot, p->g, roots, (const char *const *)labels, (int)n, r->nf,
                               (as_tree ? DOT_TREE : 0) |
                                   (flags & SD_DOT_SHARED_CONSTANTS ? DOT_SHARED_CONSTANTS : 0)) != 0 ||
               dot.failed) {
        st = as_tree ? api_fail(p, SD_ERR_LIMIT,
                                "--dot-tree: the tree is too large to draw (more than %d nodes); use "
                                "--dot for the shared DAG",
                                DOT_TREE_LIMIT)
                     : api_nomem(p);
    } else if (!(*out = sb_take(&dot))) {
        st = api_nomem(p);
    }
    for (long i = 0; labels && i < n; i++)
        free(labels[i]);
    free(labels);
    free(roots);
    sb_free(&dot);
    return st;
}

/* --- swell ------------------------------------------------------------------------------ */

struct SdSwell {
    char *name;        /* the swept name, or NULL for one report            */
    SwellReport *reports;
    double *x;
    int n, cap;
    uint64_t work;     /* spent by every measurement so far                 */
};

SdSwell *sd_swell_new(const char *name) {
    SdSwell *s = calloc(1, sizeof *s);
    if (s && name && !(s->name = api_strdup(name))) {
        free(s);
        return NULL;
    }
    return s;
}

void sd_swell_free(SdSwell *s) {
    if (!s)
        return;
    free(s->name);
    free(s->reports);
    free(s->x);
    free(s);
}

SdStatus sd_swell_add(SdSwell *s, SdResult *r, double x, const double *point) {
    SdProgram *p = r->p;
    if (p->has_tensors && !p->prog.is_vector && r->what == SD_GRADIENT) {
        /* counted on the program written out element by element */
        SdResult *t;
        SdStatus st = api_twin(r, "--swell", &t);
        if (st != SD_OK)
            return st;
        r = t;
    }
    if (r->p->prog.is_vector || r->what != SD_GRADIENT || p->out_shape.rank != 0)
        return api_fail(p, SD_ERR_REQUEST,
                        "--swell measures the derivatives of a scalar program");
    if (r->nwrt == 0)
        return api_fail(p, SD_ERR_REQUEST, "--swell: the program has no variables to differentiate");
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        SwellReport *rep = realloc(s->reports, (size_t)cap * sizeof *rep);
        if (rep)
            s->reports = rep;
        double *xs = realloc(s->x, (size_t)cap * sizeof *xs);
        if (xs)
            s->x = xs;
        if (!rep || !xs)
            return api_nomem(p);
        s->cap = cap;
    }
    Graph *g = r->p->g;
    DerivOptions opt = api_deriv_options(r);
    int failed = swell_measure(g, r->f[0], r->wrt, r->nwrt, r->blocks, point, &opt, &s->reports[s->n]);
    if (failed)
        return g->failed ? api_graph_status(p) : api_nomem(p);
    /* the values of a sweep share one graph's work limit: each is bounded
     * by it, and so are all of them together (within one value's worth) */
    s->work += g->work + (g != p->g ? p->g->work : 0);
    if (s->name && s->work > GRAPH_MAX_WORK)
        return api_fail(p, SD_ERR_REQUEST,
                        "--sweep: the values up to %s = %g take more than %llu steps of work in all; "
                        "sweep fewer values",
                        s->name, x, (unsigned long long)GRAPH_MAX_WORK);
    s->x[s->n++] = x;
    return SD_OK;
}

char *sd_swell_text(const SdSwell *s, SdFormat fmt) {
    const char *name = s->name;
    StrBuf sb;
    sb_init(&sb);
    if (!name) {
        if (fmt == SD_JSON)
            swell_print_json(&sb, &s->reports[0]);
        else
            swell_print_table(&sb, &s->reports[0]);
    } else if (fmt == SD_JSON) {
        swell_print_sweep_json(&sb, name ? name : "n", s->x, s->reports, s->n);
    } else {
        swell_print_sweep(&sb, name ? name : "n", s->x, s->reports, s->n);
    }
    return sb_take(&sb);
}

char *sd_swell_svg(const SdSwell *s, const SdPlotOptions *opt) {
    const char *name = s->name;
    StrBuf sb;
    sb_init(&sb);
    char title[256];
    if (opt && opt->title)
        snprintf(title, sizeof title, "%s", opt->title);
    else
        snprintf(title, sizeof title, "Size of the derivative by method, for %s = %g..%g",
                 name ? name : "n", s->n ? s->x[0] : 0.0, s->n ? s->x[s->n - 1] : 0.0);
    if (s->n == 0 ||
        swell_plot_svg_sized(&sb, title, name ? name : "n", s->x, s->reports, s->n, SWELL_PLOT_DEFAULT,
                             opt ? opt->width : 0, opt ? opt->height : 0) != 0) {
        sb_free(&sb);
        return NULL;
    }
    return sb_take(&sb);
}

/* --- Baydin's table -------------------------------------------------------------------- */

SdStatus sd_demo_baydin(int n, SdFormat fmt, char **out) {
    StrBuf sb;
    sb_init(&sb);
    int failed = baydin_table(&sb, n > 0 ? n : 4, fmt == SD_LATEX ? BAYDIN_LATEX : BAYDIN_ASCII);
    *out = failed ? (sb_free(&sb), NULL) : sb_take(&sb);
    return *out ? SD_OK : SD_ERR_NOMEM;
}

SdStatus sd_demo_pitfalls(char **out) {
    StrBuf sb;
    sb_init(&sb);
    int failed = baydin_pitfall(&sb);
    *out = failed ? (sb_free(&sb), NULL) : sb_take(&sb);
    return *out ? SD_OK : SD_ERR_NOMEM;
}

/* --- stages ----------------------------------------------------------------------------- */

/* One line per node reachable from the roots, in id order:
 *   %12 = * %3 %11        [3] shared
 */
static void dump_nodes(StrBuf *sb, const Graph *g, Node *const *roots, int nroots) {
    unsigned char *mark = malloc(g->nnodes ? g->nnodes : 1);
    if (!mark) {
        sb->failed = 1;
        return;
    }
    dag_mark_reachable(g, roots, nroots, mark);
    for (size_t id = 0; id < g->nnodes; id++) {
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        sb_printf(sb, "%%%u = ", n->id);
        switch ((NodeKind)n->kind) {
        case EX_CONST:
            num_print(sb, n->num[0]);
            break;
        case EX_VAR:
            sb_printf(sb, "var %s", g->vars[n->u.var].name);
            break;
        case EX_CALL:
            sb_puts(sb, builtin_info[n->u.fn].name);
            break;
        case EX_INDEX:
        case EX_SCATTER:
            sb_printf(sb, "%s %d", node_kind_name[n->kind], n->u.index);
            break;
        default:
            sb_puts(sb, node_kind_name[n->kind]);
            break;
        }
        for (int k = 0; k < n->nargs; k++)
            sb_printf(sb, " %%%u", n->args[k]->id);
        if (n->shape.rank == 1)
            sb_printf(sb, "    [%d]", n->shape.dim[0]);
        else if (n->shape.rank == 2)
            sb_printf(sb, "    [%d,%d]", n->shape.dim[0], n->shape.dim[1]);
        if (dag_is_shared(g, n))
            sb_puts(sb, "    shared");
        sb_putc(sb, '\n');
    }
    for (int i = 0; i < nroots; i++)
        sb_printf(sb, "root %d = %%%u\n", i, roots[i]->id);
    free(mark);
}

char *sd_dump_program(const SdProgram *p, SdStage stage) {
    StrBuf sb;
    sb_init(&sb);
    if (stage == SD_STAGE_PARSE) {
        if (!p->ast)
            return NULL;
        ast_print(&sb, p->ast);
        sb_putc(&sb, '\n');
    } else if (p->g) {
        dump_nodes(&sb, p->g, p->prog.outputs, p->prog.noutputs);
    }
    return sb_take(&sb);
}

char *sd_dump_result(const SdResult *r) {
    long nd = r->what == SD_FUNCTION ? 0 : r->rows * r->nwrt;
    Node **roots = malloc((size_t)(r->nf + nd + 1) * sizeof *roots);
    if (!roots)
        return NULL;
    memcpy(roots, r->f, (size_t)r->nf * sizeof *roots);
    if (nd)
        memcpy(roots + r->nf, r->blocks, (size_t)nd * sizeof *roots);
    StrBuf sb;
    sb_init(&sb);
    dump_nodes(&sb, r->p->g, roots, (int)(r->nf + nd));
    free(roots);
    return sb_take(&sb);
}

SdStats sd_result_stats(const SdResult *r) {
    const Graph *g = r->p->g;
    long nd = r->what == SD_FUNCTION ? 0 : r->rows * r->nwrt;
    SdStats s;
    size_t nf = dag_count(g, r->f, r->nf), ndn = dag_count(g, r->blocks, (int)nd);
    s.function_nodes = nf == SIZE_MAX ? -1 : (long)nf;
    s.derivative_nodes = ndn == SIZE_MAX ? -1 : (long)ndn;
    s.graph_nodes = (long)g->nnodes;
    s.function_tree = dag_tree_size(g, r->f, r->nf);
    s.derivative_tree = dag_tree_size(g, r->blocks, (int)nd);
    s.engine = r->used == DERIV_FORWARD ? SD_MODE_FORWARD
               : r->used == DERIV_REVERSE ? SD_MODE_REVERSE
                                          : SD_MODE_AUTO;
    return s;
}
