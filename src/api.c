/* SPDX-License-Identifier: MIT */
/*
 * api.c — the façade of symdiff.h: programs, diagnostics, variables and
 * points.
 *
 * Consumes program text; produces an SdProgram, which owns the graph of
 * the lowered program, the source (kept for diagnostics and for generated
 * headers) and the messages of the last failure.  The stages themselves
 * live in their own files (parse, lower, deriv, eval, print, codegen...);
 * this file and its siblings api_*.c only call them in order and turn
 * their results into the shaped, flat data of the public interface.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "compile.h"
#include "parse.h"

#ifndef SYMDIFF_VERSION
#define SYMDIFF_VERSION "0.0.0"
#endif

const char *sd_version(void) { return SYMDIFF_VERSION; }

const char *sd_status_name(SdStatus s) {
    switch (s) {
    case SD_OK:
        return "ok";
    case SD_ERR_INPUT:
        return "error in the input";
    case SD_ERR_REQUEST:
        return "request does not apply";
    case SD_ERR_LIMIT:
        return "limit reached";
    case SD_ERR_NOMEM:
        return "out of memory";
    }
    return "unknown status";
}

void sd_free(void *p) { free(p); }

long sd_shape_numel(SdShape s) {
    return s.rank == 0 ? 1 : s.rank == 1 ? s.dim[0] : s.dim[0] * s.dim[1];
}

/* --- failures ------------------------------------------------------------------------- */

SdStatus api_fail(SdProgram *p, SdStatus st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error, sizeof p->error, fmt, ap);
    va_end(ap);
    return st;
}

SdStatus api_graph_status(SdProgram *p) {
    char why[200];
    if (!p->g || !p->g->failed || p->g->failed == GRAPH_OUT_OF_MEMORY)
        return api_fail(p, SD_ERR_NOMEM, "out of memory");
    return api_fail(p, SD_ERR_LIMIT, "%s", graph_failure_message(p->g, why, sizeof why));
}

SdStatus api_nomem(SdProgram *p) { return api_fail(p, SD_ERR_NOMEM, "out of memory"); }

void api_verify(const SdProgram *p, const char *stage) {
#ifdef SD_VERIFY
    char why[200];
    if (p->g && !p->g->failed && dag_verify(p->g, why, sizeof why) != 0) {
        fprintf(stderr, "symdiff: internal error after %s: %s\n", stage, why);
        abort();
    }
#else
    (void)p;
    (void)stage;
#endif
}

const char *sd_error_message(const SdProgram *p) { return p ? p->error : "out of memory"; }

char *api_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* --- compiling ------------------------------------------------------------------------ */

/* Every variable's offset in a flat point (at its largest shape), then
 * the run-time dimensions' sizes. */
static int compute_offsets(SdProgram *p) {
    Graph *g = p->g;
    p->offset = malloc((size_t)(g->nvars + 1) * sizeof *p->offset);
    if (!p->offset)
        return -1;
    long at = 0;
    for (int v = 0; v < g->nvars; v++) {
        p->offset[v] = at;
        at += shape_numel(g->vars[v].shape);
    }
    p->offset[g->nvars] = at;
    p->dims_at = at;
    p->point_size = at + g->ndims;
    return 0;
}

/* The program's value as one list: m scalars of a [f1, ..., fm] program,
 * or its single node (scalar, vector or matrix).  [a, b, ...] holding
 * tensors is packed into one vector. */
static int normalise_outputs(SdProgram *p) {
    Program *prog = &p->prog;
    int tensors = dag_has_tensors(p->g, prog->outputs, prog->noutputs) || p->g->ndims > 0;
    for (int v = 0; v < p->g->nvars; v++)
        tensors |= p->g->vars[v].shape.rank > 0;
    p->has_tensors = tensors;
    if (prog->is_vector && tensors) {
        Node *y = dag_pack(p->g, prog->outputs, prog->noutputs);
        if (!y) {
            if (p->g->failed)
                return api_graph_status(p);
            return api_fail(p, SD_ERR_INPUT, "the final [f1, f2, ...] must hold scalars");
        }
        prog->outputs[0] = y;
        prog->noutputs = 1;
        prog->is_vector = 0;
    }
    Node *y = prog->outputs[0];
    if (prog->is_vector) {
        p->out_shape = shape_vec(axis_fixed(prog->noutputs));
    } else {
        p->out_shape = y->shape;
    }
    return SD_OK;
}

SdStatus sd_compile(const char *text, size_t len, const SdCompileOptions *opt, SdProgram **out) {
    static const SdCompileOptions defaults = {0};
    if (!opt)
        opt = &defaults;
    SdProgram *p = calloc(1, sizeof *p);
    *out = p;
    if (!p)
        return SD_ERR_NOMEM;
    p->name = api_strdup(opt->file ? opt->file : "<expr>");
    p->text = malloc(len + 1);
    if (!p->name || !p->text)
        return api_nomem(p);
    memcpy(p->text, text, len);
    p->text[len] = '\0';
    p->src = (Source){p->name, p->text, len};
    diag_init(&p->diag, &p->src);
    p->diag_ready = 1;
    p->max_nodes = opt->max_nodes > 0 ? opt->max_nodes : SD_DEFAULT_MAX_NODES;

    if (opt->parse_only) {
        Ast *ast = parse_program(&p->arena, &p->diag);
        if (!ast)
            return p->diag.out.failed ? api_nomem(p) : api_fail(p, SD_ERR_INPUT, "the program has errors");
        p->ast = ast;
        return SD_OK;
    }
    p->g = graph_new();
    if (!p->g)
        return api_nomem(p);
    p->g->max_nodes = (size_t)p->max_nodes;
    Define *defs = NULL;
    if (opt->ndefines > 0) {
        defs = malloc((size_t)opt->ndefines * sizeof *defs);
        if (!defs)
            return api_nomem(p);
        for (int i = 0; i < opt->ndefines; i++)
            defs[i] = (Define){opt->defines[i].name, opt->defines[i].value};
    }
    LowerOptions lopt = {.vars = opt->vars, .nvars = opt->nvars, .defines = defs,
                         .ndefines = opt->ndefines};
    int compiled = compile_source(p->g, &p->diag, &lopt, &p->prog);
    free(defs);
    if (compiled != 0) {
        if (p->diag.out.failed)
            return api_nomem(p);
        if (p->diag.errors == 0)
            return api_graph_status(p);
        return api_fail(p, SD_ERR_INPUT, "the program has errors");
    }
    if (compute_offsets(p) != 0)
        return api_nomem(p);
    SdStatus st = normalise_outputs(p);
    if (st != SD_OK)
        return st;
    p->ok = 1;
    api_verify(p, "lowering");
    return SD_OK;
}

void sd_program_free(SdProgram *p) {
    if (!p)
        return;
    if (p->diag_ready)
        diag_free(&p->diag);
    ast_arena_free(&p->arena);
    program_free(&p->prog);
    graph_free(p->g);
    free(p->diags);
    free(p->offset);
    free(p->name);
    free(p->text);
    free(p);
}

/* --- diagnostics ---------------------------------------------------------------------- */

/* The records of the Diag as SdDiagnostic, made once when first asked. */
static int build_diagnostics(SdProgram *p) {
    SdProgram *mp = p;
    if (mp->diags || mp->diag.nrecords == 0)
        return 0;
    mp->diags = calloc((size_t)mp->diag.nrecords, sizeof *mp->diags);
    if (!mp->diags)
        return -1;
    for (int i = 0; i < mp->diag.nrecords; i++) {
        const DiagRecord *r = &mp->diag.records[i];
        SdDiagnostic *d = &mp->diags[i];
        d->severity = r->is_note ? SD_SEVERITY_NOTE : SD_SEVERITY_ERROR;
        d->file = mp->name;
        d->message = mp->diag.messages.data + r->text;
        if (r->loc.start >= 0) {
            diag_line_col(&mp->src, r->loc.start, &d->line, &d->column);
            d->offset = (size_t)r->loc.start;
            d->length = r->loc.end > r->loc.start ? (size_t)(r->loc.end - r->loc.start) : 1;
        }
    }
    return 0;
}

int sd_diagnostic_count(const SdProgram *p) {
    return p && p->diag_ready ? p->diag.nrecords : 0;
}

const SdDiagnostic *sd_diagnostic(const SdProgram *p, int i) {
    SdProgram *mp = (SdProgram *)p; /* the records are made when first read */
    if (!p || i < 0 || i >= sd_diagnostic_count(p) || build_diagnostics(mp) != 0)
        return NULL;
    return &mp->diags[i];
}

const char *sd_diagnostics_text(const SdProgram *p) {
    return p && p->diag_ready ? sb_str(&p->diag.out) : "";
}

/* --- variables and points --------------------------------------------------------------- */

static SdShape public_shape(Shape s) {
    SdShape r = {.rank = s.rank};
    for (int k = 0; k < s.rank; k++) {
        r.dim[k] = s.dim[k];
        r.dyn[k] = s.dyn[k];
    }
    return r;
}

int sd_var_count(const SdProgram *p) { return p && p->g ? p->g->nvars : 0; }

int sd_dim_count(const SdProgram *p) { return p && p->g ? p->g->ndims : 0; }

SdDim sd_dim(const SdProgram *p, int i) {
    SdDim d = {NULL, 0, 0};
    if (i < 0 || i >= sd_dim_count(p))
        return d;
    d.name = p->g->dims[i].name;
    d.max = p->g->dims[i].max;
    d.offset = p->dims_at + i;
    return d;
}

SdVar sd_var(const SdProgram *p, int i) {
    SdVar v = {.name = NULL, .role = SD_PARAM};
    if (i < 0 || i >= sd_var_count(p))
        return v;
    const Var *gv = &p->g->vars[i];
    v.name = gv->name;
    v.role = gv->role == VAR_PARAM ? SD_PARAM : SD_INPUT;
    v.shape = public_shape(gv->shape);
    v.offset = p->offset ? p->offset[i] : 0;
    return v;
}

int sd_var_find(const SdProgram *p, const char *name) {
    return p && p->g ? graph_find_var(p->g, name) : -1;
}

long sd_point_size(const SdProgram *p) { return p ? p->point_size : 0; }

SdShape sd_output_shape(const SdProgram *p) { return public_shape(p->out_shape); }

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* One value at *p: see sd_value_parse.  Numbers go to vals (at most cap,
 * vals may be NULL) and are counted in *n; 0, or -1 when malformed. */
static int value_at(const char **p, int depth, double *vals, long cap, long *n, SdShape *shape) {
    const char *s = *p;
    while (is_blank(*s))
        s++;
    if (*s != '[') {
        /* a finite number, up to the next ',' or ']' */
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno != 0 || !isfinite(v))
            return -1;
        for (s = end; is_blank(*s);)
            s++;
        if (*s && *s != ',' && *s != ']')
            return -1;
        if (vals && *n < cap)
            vals[*n] = v;
        (*n)++;
        *shape = (SdShape){.rank = 0};
        *p = s;
        return 0;
    }
    if (depth >= 2)
        return -1;
    s++;
    long count = 0;
    SdShape inner = {.rank = -1};
    for (;;) {
        SdShape sh;
        if (value_at(&s, depth + 1, vals, cap, n, &sh) != 0 ||
            (inner.rank >= 0 && (sh.rank != inner.rank || sh.dim[0] != inner.dim[0])))
            return -1;
        inner = sh;
        count++;
        while (is_blank(*s))
            s++;
        if (*s == ']')
            break;
        if (*s++ != ',')
            return -1;
    }
    if (inner.rank > 1)
        return -1;
    *shape = (SdShape){.rank = inner.rank + 1, .dim = {count, inner.rank == 1 ? inner.dim[0] : 0}};
    for (s++; is_blank(*s);)
        s++;
    *p = s;
    return 0;
}

long sd_value_parse(const char *text, double *vals, long cap, long *n, SdShape *shape) {
    const char *p = text;
    *n = 0;
    return value_at(&p, 0, vals, cap, n, shape) == 0 ? (long)(p - text) : -1;
}

/* The value of variable v, of shape `got` (row-major and compact, in
 * vals), into the point at v's largest shape; the sizes of its run-time
 * dimensions into dims (0: not known yet).  0; 1 for a shape that does
 * not fit; 2 for a run-time dimension that does not (with the message). */
static int place_value(SdProgram *p, int v, const double *vals, SdShape got, long *dims, double *point) {
    const Var *var = &p->g->vars[v];
    Shape want = var->shape;
    if (got.rank != want.rank)
        return 1;
    for (int k = 0; k < want.rank; k++) {
        if (!want.dyn[k]) {
            if (got.dim[k] != want.dim[k])
                return 1;
            continue;
        }
        int d = want.dyn[k] - 1;
        if (got.dim[k] > want.dim[k]) {
            api_fail(p, SD_ERR_REQUEST, "--at: '%s' has %ld along the run-time dimension '%s', at most %d",
                     var->name, got.dim[k], p->g->dims[d].name, want.dim[k]);
            return 2;
        }
        if (dims[d] && dims[d] != got.dim[k]) {
            api_fail(p, SD_ERR_REQUEST, "--at: '%s' has %ld along the run-time dimension '%s', which is %ld "
                     "elsewhere", var->name, got.dim[k], p->g->dims[d].name, dims[d]);
            return 2;
        }
        dims[d] = got.dim[k];
    }
    long rows = want.rank == 2 ? got.dim[0] : 1, cols = want.rank == 2 ? got.dim[1] : want.rank ? got.dim[0] : 1;
    long stride = want.rank == 2 ? want.dim[1] : 0;
    double *at = point + p->offset[v];
    for (long e = 0; e < shape_numel(want); e++)
        at[e] = 0;
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++)
            at[i * stride + j] = vals[i * cols + j];
    return 0;
}

SdStatus sd_point_parse(SdProgram *p, const char *text, double *point) {
    Graph *g = p->g;
    unsigned char *given = calloc((size_t)(g->nvars + 1), 1);
    long *dims = calloc((size_t)g->ndims + 1, sizeof *dims);
    long cap = 0;
    for (int v = 0; v < g->nvars; v++)
        cap = shape_numel(g->vars[v].shape) > cap ? shape_numel(g->vars[v].shape) : cap;
    double *vals = malloc((size_t)(cap + 1) * sizeof *vals);
    if (!given || !dims || !vals) {
        free(given);
        free(dims);
        free(vals);
        return api_nomem(p);
    }
    SdStatus st = SD_OK;
    /* items NAME=VALUE, separated by commas outside brackets */
    for (const char *s = text; st == SD_OK;) {
        const char *item = s;
        for (int depth = 0; *s && (depth > 0 || *s != ','); s++)
            depth += *s == '[' ? 1 : *s == ']' && depth > 0 ? -1 : 0;
        const char *end = s;
        while (item < end && is_blank(*item))
            item++;
        while (end > item && is_blank(end[-1]))
            end--;
        const char *eq = memchr(item, '=', (size_t)(end - item)), *name_end = eq ? eq : end;
        while (name_end > item && is_blank(name_end[-1]))
            name_end--;
        if (item == end)
            st = api_fail(p, SD_ERR_REQUEST, "--at: an empty item in '%s'", text);
        else if (!eq || name_end == item)
            st = api_fail(p, SD_ERR_REQUEST, "--at needs NAME=VALUE pairs, got '%.*s'", (int)(end - item),
                          item);
        if (st != SD_OK)
            break;
        char name[300], value[64];
        snprintf(name, sizeof name, "%.*s", (int)(name_end - item), item);
        const char *v0 = eq + 1;
        while (is_blank(*v0))
            v0++;
        snprintf(value, sizeof value, "%.*s%s", (int)(end - v0 < 40 ? end - v0 : 40), v0,
                 end - v0 < 40 ? "" : "...");
        int v = graph_find_var(g, name), d = graph_find_dim(g, name);
        if (v < 0 && d >= 0) { /* n=5: a run-time dimension's size */
            char *stop;
            double size = strtod(v0, &stop);
            if (stop == v0 || stop != end || !(size >= 1 && size <= g->dims[d].max) || size != floor(size))
                st = api_fail(p, SD_ERR_REQUEST, "--at: the run-time dimension '%s' needs a size from 1 to %d, "
                              "got '%s'", name, g->dims[d].max, value);
            else if (dims[d] && dims[d] != (long)size)
                st = api_fail(p, SD_ERR_REQUEST, "--at: '%s' is %ld, but the values given make it %ld", name,
                              (long)size, dims[d]);
            else
                dims[d] = (long)size;
            if (st != SD_OK)
                break;
            if (!*s)
                break;
            s++;
            continue;
        }
        if (v < 0) {
            st = api_fail(p, SD_ERR_REQUEST, "--at: '%s' is not a variable of the program", name);
            break;
        }
        if (given[v]) {
            st = api_fail(p, SD_ERR_REQUEST, "--at: '%s' is given twice", name);
            break;
        }
        Shape want = g->vars[v].shape;
        SdShape got;
        long n = 0, numel = shape_numel(want);
        const char *q = v0;
        /* (place_value checks the shape before it reads vals, which hold
         * the first numel numbers) */
        int placed = value_at(&q, 0, vals, numel, &n, &got) != 0 || q != s
                         ? 1
                         : place_value(p, v, vals, got, dims, point);
        if (placed == 2) {
            st = SD_ERR_REQUEST; /* place_value said which dimension */
            break;
        }
        if (placed) {
            if (want.rank == 0)
                st = api_fail(p, SD_ERR_REQUEST, "--at: '%s' is a scalar: give it a number, got '%s'", name,
                              value);
            else
                st = api_fail(p, SD_ERR_REQUEST,
                              "--at: '%s' needs a value of its declared shape (a number, [a, b, ...] or "
                              "[[a, b], [c, d]] row by row)", name);
            break;
        }
        given[v] = 1;
        if (!*s)
            break;
        s++;
    }
    for (int v = 0; v < g->nvars && st == SD_OK; v++)
        if (!given[v])
            st = api_fail(p, SD_ERR_REQUEST, "--at: no value for '%s'", g->vars[v].name);
    for (int d = 0; d < g->ndims && st == SD_OK; d++) {
        if (!dims[d])
            st = api_fail(p, SD_ERR_REQUEST, "--at: no size for the run-time dimension '%s' (give %s=...)",
                          g->dims[d].name, g->dims[d].name);
        else
            point[p->dims_at + d] = (double)dims[d];
    }
    free(given);
    free(dims);
    free(vals);
    return st;
}
