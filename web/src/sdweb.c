/* SPDX-License-Identifier: MIT */
/*
 * sdweb.c — the browser's entry point into the engine: one call, a request
 * in, a JSON answer out.  A client of symdiff.h only, compiled to
 * WebAssembly with the library's sources (make web).
 *
 * Consumes a request as an URL-encoded form (what URLSearchParams writes):
 *
 *   op=derive&program=x%5E2+ln(x%5E2)&defines=n%3D3&mode=auto
 *
 * and produces one JSON object: "ok", on failure "status", "error" (one
 * line) and "diagnostics" (each with line, column, byte offset and length,
 * so the page draws its own caret), and the fields of the operation:
 *
 *   op       fields of the answer
 *   derive   vars, output (shape), layout, text, latex, stats
 *   trace    text, latex                  (sd_trace)
 *   eval     text, values (sd_print's --json object, with "check")
 *   swell    table (the report at hi), sweep (text), svg, rows (JSON)
 *   dot      dot                          (sd_dot, DAG or tree=1)
 *   emit     source                       (sd_emit_c, self-contained C)
 *
 * Request keys: program, defines ("n=3, m=2": -D), vars and wrt (comma
 * lists), what (gradient | hessian | function | nth, with order), mode
 * (auto | forward | reverse), kink, expand, literal, at (a point as --at
 * takes it), check (eval: also the gradient check), tree (dot), kind
 * (symbolic | forward | reverse), type (double | float), name (emit),
 * name/lo/hi (swell: the swept constant and its range; title, width,
 * height for the plot), shared (dot: constants drawn as the graph holds
 * them, one node each, instead of a leaf per use).  Unknown keys are ignored, so the page and the
 * engine can grow apart a little.
 *
 * The page calls it from a Web Worker; nothing here is global but the
 * answer's buffer, which the caller frees with sdweb_free.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symdiff.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#define SDWEB_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define SDWEB_EXPORT
#endif

/* A browser tab has less memory than a command line: a program past this
 * many graph nodes is refused with the engine's own limit message. */
#define SDWEB_MAX_NODES 1000000L
/* The sweep's range, as on the command line (--sweep: B - A < 10000). */
#define SDWEB_MAX_SWEEP 10000L

/* --- a growable string ----------------------------------------------------------------- */

typedef struct Buf {
    char *s;
    size_t len, cap;
    int failed;
} Buf;

static void buf_add(Buf *b, const char *s, size_t n) {
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->failed = 1;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void buf_puts(Buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_printf(Buf *b, const char *fmt, ...) {
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
    } else if ((size_t)n < sizeof small) {
        buf_add(b, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (!big) {
            b->failed = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        buf_add(b, big, (size_t)n);
        free(big);
    }
}

/* A JSON string: quotes, backslashes and control characters escaped;
 * other bytes (UTF-8) as they are. */
static void buf_json_string(Buf *b, const char *s) {
    buf_puts(b, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_printf(b, "\\%c", c);
        else if (c == '\n')
            buf_puts(b, "\\n");
        else if (c == '\t')
            buf_puts(b, "\\t");
        else if (c < 0x20)
            buf_printf(b, "\\u%04x", c);
        else
            buf_add(b, (const char *)&c, 1);
    }
    buf_puts(b, "\"");
}

/* `"key": "value"`, with a comma before it; NULL is written as null. */
static void buf_field_string(Buf *b, const char *key, const char *value) {
    buf_printf(b, ", \"%s\": ", key);
    if (value)
        buf_json_string(b, value);
    else
        buf_puts(b, "null");
}

/* A number, or null where JSON has none (NaN, infinities). */
static void buf_json_number(Buf *b, double v) {
    if (isfinite(v))
        buf_printf(b, "%.17g", v);
    else
        buf_puts(b, "null");
}

/* --- the request ----------------------------------------------------------------------- */

enum { MAX_KEYS = 32 };

typedef struct Request {
    char *key[MAX_KEYS], *value[MAX_KEYS];
    size_t len[MAX_KEYS]; /* the value's bytes (it may hold NUL bytes) */
    int n;
} Request;

static int hex_digit(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : c >= 'A' && c <= 'F'   ? c - 'A' + 10
                                                                 : -1;
}

/* Decodes s[0..n) into a new string: '+' is a space, %XY a byte (a
 * malformed escape is kept as written); its length in *outlen. */
static char *form_decode(const char *s, size_t n, size_t *outlen) {
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && (hi = hex_digit((unsigned char)s[i + 1])) >= 0 &&
                   (lo = hex_digit((unsigned char)s[i + 2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    if (outlen)
        *outlen = (size_t)(o - out);
    return out;
}

static void request_free(Request *q) {
    for (int i = 0; i < q->n; i++) {
        free(q->key[i]);
        free(q->value[i]);
    }
    q->n = 0;
}

/* Splits "a=1&b=2" into keys and values; -1 when out of memory or when
 * there are more than MAX_KEYS pairs. */
static int request_parse(const char *form, Request *q) {
    q->n = 0;
    const char *s = form ? form : "";
    while (*s) {
        size_t len = strcspn(s, "&");
        if (len > 0) {
            const char *eq = memchr(s, '=', len);
            size_t klen = eq ? (size_t)(eq - s) : len;
            if (q->n == MAX_KEYS)
                return -1;
            size_t kbytes = 0;
            q->key[q->n] = form_decode(s, klen, &kbytes);
            q->value[q->n] = eq ? form_decode(eq + 1, len - klen - 1, &q->len[q->n])
                                : form_decode("", 0, &q->len[q->n]);
            q->n++;
            if (!q->key[q->n - 1] || !q->value[q->n - 1])
                return -1;
            /* a NUL byte would cut a name or a number short: only the
             * program may hold one (the engine reports it, located) */
            if (kbytes != strlen(q->key[q->n - 1]) ||
                (strcmp(q->key[q->n - 1], "program") != 0 &&
                 q->len[q->n - 1] != strlen(q->value[q->n - 1])))
                return -1;
        }
        s += len;
        if (*s == '&')
            s++;
    }
    return 0;
}

/* The value of a key (the last one given), or `def`; its length in *len
 * when asked. */
static const char *req_get_n(const Request *q, const char *key, const char *def, size_t *len) {
    for (int i = q->n; i-- > 0;)
        if (strcmp(q->key[i], key) == 0) {
            if (len)
                *len = q->len[i];
            return q->value[i];
        }
    if (len)
        *len = def ? strlen(def) : 0;
    return def;
}

static const char *req_get(const Request *q, const char *key, const char *def) {
    return req_get_n(q, key, def, NULL);
}

static int req_is(const Request *q, const char *key, const char *value) {
    const char *v = req_get(q, key, "");
    return strcmp(v, value) == 0;
}

static double req_number(const Request *q, const char *key, double def) {
    const char *v = req_get(q, key, NULL);
    if (!v || !*v)
        return def;
    char *end;
    double d = strtod(v, &end);
    return *end == '\0' && isfinite(d) ? d : def;
}

/* --- lists of names and constants ------------------------------------------------------ */

typedef struct Names {
    char **name;
    int n;
} Names;

static void names_free(Names *l) {
    for (int i = 0; i < l->n; i++)
        free(l->name[i]);
    free(l->name);
    l->name = NULL;
    l->n = 0;
}

static int is_separator(char c) { return c == ',' || c == ';' || c == '\n'; }

/* "a, b; c" into names (spaces trimmed, empty items skipped). */
static int names_parse(const char *s, Names *l) {
    l->name = NULL;
    l->n = 0;
    size_t cap = 1;
    for (const char *t = s; *t; t++)
        cap += is_separator(*t);
    l->name = calloc(cap, sizeof *l->name);
    if (!l->name)
        return -1;
    while (*s) {
        while (*s && (is_separator(*s) || isspace((unsigned char)*s)))
            s++;
        size_t len = 0;
        while (s[len] && !is_separator(s[len]))
            len++;
        while (len && isspace((unsigned char)s[len - 1]))
            len--;
        if (len) {
            char *n = malloc(len + 1);
            if (!n)
                return -1;
            memcpy(n, s, len);
            n[len] = '\0';
            l->name[l->n++] = n;
        }
        while (*s && !is_separator(*s))
            s++;
    }
    return 0;
}

static int valid_name(const char *s) {
    if (!isalpha((unsigned char)*s) && *s != '_')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

/* "n=3, m=2.5" into defines (with one slot more for the swept name);
 * a message in `err` for anything else. */
static int defines_parse(const char *s, SdDefine **out, int *nout, Names *store, char *err,
                         size_t errlen) {
    *out = NULL;
    *nout = 0;
    if (names_parse(s, store) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    SdDefine *d = calloc((size_t)store->n + 1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < store->n; i++) {
        char *item = store->name[i], *eq = strchr(item, '=');
        if (!eq) {
            snprintf(err, errlen, "constants: '%.40s' is not NAME=VALUE", item);
            free(d);
            return -1;
        }
        char *e = eq;
        while (e > item && isspace((unsigned char)e[-1]))
            e--;
        *e = '\0';
        char *v = eq + 1, *end;
        while (isspace((unsigned char)*v))
            v++;
        double x = strtod(v, &end);
        if (!valid_name(item) || end == v || *end || !isfinite(x)) {
            snprintf(err, errlen, "constants: '%.40s' needs a name and a number, as in n=3", item);
            free(d);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(d[j].name, item) == 0) {
                snprintf(err, errlen, "constants: '%.40s' is given twice", item);
                free(d);
                return -1;
            }
        d[i] = (SdDefine){item, x};
    }
    *out = d;
    *nout = store->n;
    return 0;
}

/* --- one computation: the program compiled and derived --------------------------------- */

typedef struct Job {
    const Request *q;
    Names vars, wrt, defstore;
    SdDefine *defines;
    int ndefines;
    SdProgram *p;
    SdResult *r;
    char err[300];   /* a failure of the request itself (constants, ...)    */
} Job;

static void job_free(Job *j) {
    sd_result_free(j->r);
    sd_program_free(j->p);
    names_free(&j->vars);
    names_free(&j->wrt);
    names_free(&j->defstore);
    free(j->defines);
    j->r = NULL;
    j->p = NULL;
    j->defines = NULL;
}

static SdRequest request_of(const Request *q, const Names *wrt) {
    SdRequest r = {0};
    r.what = req_is(q, "what", "hessian")    ? SD_HESSIAN
             : req_is(q, "what", "function") ? SD_FUNCTION
             : req_is(q, "what", "nth")      ? SD_NTH
                                             : SD_GRADIENT;
    r.order = (int)req_number(q, "order", 1);
    r.mode = req_is(q, "mode", "forward")   ? SD_MODE_FORWARD
             : req_is(q, "mode", "reverse") ? SD_MODE_REVERSE
                                            : SD_MODE_AUTO;
    r.kink = req_number(q, "kink", 0);
    r.expand = req_is(q, "expand", "1");
    r.literal = req_is(q, "literal", "1");
    r.wrt = wrt->n ? (const char *const *)wrt->name : NULL;
    r.nwrt = wrt->n;
    return r;
}

/* Parses the lists of the request (once per job). */
static SdStatus job_prepare(Job *j) {
    if (names_parse(req_get(j->q, "vars", ""), &j->vars) != 0 ||
        names_parse(req_get(j->q, "wrt", ""), &j->wrt) != 0) {
        snprintf(j->err, sizeof j->err, "out of memory");
        return SD_ERR_NOMEM;
    }
    if (defines_parse(req_get(j->q, "defines", ""), &j->defines, &j->ndefines, &j->defstore, j->err,
                      sizeof j->err) != 0)
        return SD_ERR_REQUEST;
    return SD_OK;
}

/* Compiles the program (with `extra` bound before the request's constants
 * when given: the swept name wins) and derives what the request asks for,
 * or `what_override` when it is not negative. */
static SdStatus job_run(Job *j, const SdDefine *extra, int what_override) {
    sd_result_free(j->r);
    sd_program_free(j->p);
    j->r = NULL;
    j->p = NULL;
    size_t len = 0;
    const char *text = req_get_n(j->q, "program", "", &len);
    SdDefine *defs = j->defines;
    int nd = j->ndefines;
    if (extra) {
        /* the request's constants less one of the same name, then it */
        defs = malloc(((size_t)j->ndefines + 1) * sizeof *defs);
        if (!defs) {
            snprintf(j->err, sizeof j->err, "out of memory");
            return SD_ERR_NOMEM;
        }
        nd = 0;
        for (int i = 0; i < j->ndefines; i++)
            if (strcmp(j->defines[i].name, extra->name) != 0)
                defs[nd++] = j->defines[i];
        defs[nd++] = *extra;
    }
    SdCompileOptions copt = {0};
    copt.vars = j->vars.n ? (const char *const *)j->vars.name : NULL;
    copt.nvars = j->vars.n;
    copt.defines = defs;
    copt.ndefines = nd;
    copt.max_nodes = SDWEB_MAX_NODES;
    SdStatus st = sd_compile(text, len, &copt, &j->p);
    if (extra)
        free(defs);
    if (st != SD_OK)
        return st;
    SdRequest req = request_of(j->q, &j->wrt);
    if (what_override >= 0)
        req.what = (SdWhat)what_override;
    return sd_derive(j->p, &req, &j->r);
}

/* {"ok": false, "status": ..., "error": ..., "diagnostics": [...]} */
static void answer_failure(Buf *b, const Job *j, SdStatus st) {
    buf_printf(b, "{\"ok\": false, \"status\": \"%s\"", sd_status_name(st));
    const char *msg = j->err[0] ? j->err : j->p ? sd_error_message(j->p) : sd_status_name(st);
    buf_field_string(b, "error", msg && *msg ? msg : sd_status_name(st));
    buf_puts(b, ", \"diagnostics\": [");
    int n = j->p && !j->err[0] ? sd_diagnostic_count(j->p) : 0;
    for (int i = 0; i < n; i++) {
        const SdDiagnostic *d = sd_diagnostic(j->p, i);
        buf_printf(b, "%s{\"severity\": \"%s\", \"line\": %d, \"column\": %d, \"offset\": %lu, "
                      "\"length\": %lu, \"message\": ",
                   i ? ", " : "", d->severity == SD_SEVERITY_ERROR ? "error" : "note", d->line,
                   d->column, (unsigned long)d->offset, (unsigned long)d->length);
        buf_json_string(b, d->message);
        buf_puts(b, "}");
    }
    buf_puts(b, "]");
    buf_field_string(b, "diagnostics_text", n ? sd_diagnostics_text(j->p) : "");
    buf_puts(b, "}");
}

static void put_shape(Buf *b, SdShape s) {
    if (s.rank == 0)
        buf_puts(b, "[]");
    else if (s.rank == 1)
        buf_printf(b, "[%ld]", s.dim[0]);
    else
        buf_printf(b, "[%ld, %ld]", s.dim[0], s.dim[1]);
}

/* The variables, the output's shape and the layout of the result. */
static void put_program(Buf *b, const Job *j) {
    buf_puts(b, ", \"vars\": [");
    for (int i = 0; i < sd_var_count(j->p); i++) {
        SdVar v = sd_var(j->p, i);
        buf_puts(b, i ? ", {\"name\": " : "{\"name\": ");
        buf_json_string(b, v.name);
        buf_printf(b, ", \"role\": \"%s\", \"shape\": ", v.role == SD_PARAM ? "param" : "input");
        put_shape(b, v.shape);
        buf_puts(b, "}");
    }
    buf_puts(b, "], \"output\": ");
    put_shape(b, sd_output_shape(j->p));
    if (j->r) {
        SdLayout l = sd_result_layout(j->r);
        buf_printf(b, ", \"layout\": {\"name\": \"%s\", \"rows\": %ld, \"cols\": %ld, \"nwrt\": %d}",
                   l.name ? l.name : "", l.rows, l.cols, l.nwrt);
    }
}

/* sd_print in a format, as a field (null and "<key>_error" when the result
 * has no such printed form). */
static void put_printed(Buf *b, Job *j, const char *key, SdFormat fmt) {
    char *s = NULL;
    SdStatus st = sd_print(j->r, NULL, NULL, fmt, &s);
    buf_field_string(b, key, st == SD_OK ? s : NULL);
    if (st != SD_OK) {
        char k[64];
        snprintf(k, sizeof k, "%s_error", key);
        buf_field_string(b, k, sd_error_message(j->p));
    }
    sd_free(s);
}

/* --- the operations -------------------------------------------------------------------- */

static SdStatus op_derive(Buf *b, Job *j) {
    SdStatus st = job_run(j, NULL, -1);
    if (st != SD_OK)
        return st;
    buf_puts(b, "{\"ok\": true");
    put_program(b, j);
    put_printed(b, j, "text", SD_TEXT);
    put_printed(b, j, "latex", SD_LATEX);
    SdStats s = sd_result_stats(j->r);
    buf_printf(b,
               ", \"stats\": {\"function_nodes\": %ld, \"derivative_nodes\": %ld, "
               "\"graph_nodes\": %ld, \"function_tree\": ",
               s.function_nodes, s.derivative_nodes, s.graph_nodes);
    buf_json_number(b, s.function_tree);
    buf_puts(b, ", \"derivative_tree\": ");
    buf_json_number(b, s.derivative_tree);
    buf_printf(b, ", \"engine\": \"%s\"}",
               s.engine == SD_MODE_FORWARD   ? "forward"
               : s.engine == SD_MODE_REVERSE ? "reverse"
                                             : "auto");
    /* without variables, the value of the program says more than nothing */
    if (sd_result_layout(j->r).nwrt == 0 && sd_output_shape(j->p).rank == 0) {
        SdResult *f = NULL;
        char *v = NULL;
        if (sd_derive(j->p, &(SdRequest){.what = SD_FUNCTION}, &f) == SD_OK &&
            sd_print(f, NULL, NULL, SD_TEXT, &v) == SD_OK)
            buf_field_string(b, "value_text", v);
        sd_free(v);
        sd_result_free(f);
    }
    buf_puts(b, "}");
    return SD_OK;
}

static SdStatus op_trace(Buf *b, Job *j) {
    SdStatus st = job_run(j, NULL, SD_GRADIENT);
    char *text = NULL, *latex = NULL;
    if (st == SD_OK)
        st = sd_trace(j->r, SD_TEXT, &text);
    if (st == SD_OK)
        st = sd_trace(j->r, SD_LATEX, &latex);
    if (st == SD_OK) {
        buf_puts(b, "{\"ok\": true");
        buf_field_string(b, "text", text);
        buf_field_string(b, "latex", latex);
        buf_puts(b, "}");
    }
    sd_free(text);
    sd_free(latex);
    return st;
}

/* The point of the request, or NULL with the reason in the program. */
static double *parse_point(Job *j, SdStatus *st) {
    double *point = calloc((size_t)sd_point_size(j->p) + 1, sizeof *point);
    if (!point) {
        *st = SD_ERR_NOMEM;
        return NULL;
    }
    *st = sd_point_parse(j->p, req_get(j->q, "at", ""), point);
    if (*st != SD_OK) {
        free(point);
        return NULL;
    }
    return point;
}

static SdStatus op_eval(Buf *b, Job *j) {
    SdStatus st = job_run(j, NULL, -1);
    double *point = NULL;
    SdValues v = {.value = NULL};
    SdCheckReport rep;
    int checked = 0;
    char *text = NULL, *json = NULL;
    const char *check_error = NULL;
    if (st == SD_OK)
        point = parse_point(j, &st);
    if (st == SD_OK)
        st = sd_eval(j->r, point, &v);
    if (st == SD_OK && req_is(j->q, "check", "1") && sd_result_layout(j->r).nwrt > 0) {
        SdCheckOptions co = {.base = point};
        SdStatus cs = sd_check(j->r, &co, &rep);
        if (cs == SD_OK)
            checked = 1;
        else if (cs == SD_ERR_INPUT || cs == SD_ERR_REQUEST)
            check_error = sd_error_message(j->p); /* the values still stand */
        else
            st = cs;
    }
    if (st == SD_OK)
        st = sd_print(j->r, &v, checked ? &rep : NULL, SD_TEXT, &text);
    if (st == SD_OK)
        st = sd_print(j->r, &v, checked ? &rep : NULL, SD_JSON, &json);
    if (st == SD_OK) {
        buf_puts(b, "{\"ok\": true");
        put_program(b, j);
        buf_field_string(b, "text", text);
        buf_printf(b, ", \"values\": %s", json);
        buf_field_string(b, "check_error", check_error);
        buf_puts(b, "}");
    }
    sd_free(text);
    sd_free(json);
    sd_values_free(&v);
    free(point);
    return st;
}

static SdStatus op_swell(Buf *b, Job *j) {
    const char *name = req_get(j->q, "name", "");
    int sweep = *name != '\0';
    if (sweep && !valid_name(name)) {
        snprintf(j->err, sizeof j->err, "the swept constant '%.40s' is not a name", name);
        return SD_ERR_REQUEST;
    }
    double lo = sweep ? floor(req_number(j->q, "lo", 1)) : 0;
    double hi = sweep ? floor(req_number(j->q, "hi", lo)) : 0;
    if (sweep && (lo < 0 || hi < lo || hi - lo >= SDWEB_MAX_SWEEP)) {
        snprintf(j->err, sizeof j->err,
                 "the sweep needs whole numbers 0 <= from <= to, fewer than %ld values",
                 SDWEB_MAX_SWEEP);
        return SD_ERR_REQUEST;
    }
    int with_point = *req_get(j->q, "at", "") != '\0';
    char point_error[300] = "";
    SdSwell *all = sd_swell_new(sweep ? name : NULL), *last = sd_swell_new(NULL);
    SdStatus st = all && last ? SD_OK : SD_ERR_NOMEM;
    for (double x = lo; x <= hi && st == SD_OK; x++) {
        SdDefine d = {name, x};
        st = job_run(j, sweep ? &d : NULL, SD_GRADIENT);
        double *point = NULL;
        if (st == SD_OK && with_point && x == hi) {
            /* a point that does not fit leaves the sizes without values */
            point = parse_point(j, &st);
            if (st == SD_ERR_REQUEST) {
                snprintf(point_error, sizeof point_error, "%s", sd_error_message(j->p));
                st = SD_OK;
            }
        }
        if (st == SD_OK)
            st = sd_swell_add(all, j->r, x, NULL);
        if (st == SD_OK && x == hi)
            st = sd_swell_add(last, j->r, x, point);
        free(point);
    }
    char *table = NULL, *rows = NULL, *text = NULL, *svg = NULL;
    if (st == SD_OK) {
        table = sd_swell_text(last, SD_TEXT);
        rows = sd_swell_text(last, SD_JSON);
        text = sd_swell_text(all, SD_TEXT);
        if (sweep && hi > lo) {
            const char *title = req_get(j->q, "title", "");
            SdPlotOptions po = {.title = *title ? title : NULL, .width = (int)req_number(j->q, "width", 0),
                                .height = (int)req_number(j->q, "height", 0)};
            svg = sd_swell_svg(all, &po);
        }
        if (!table || !rows || !text || (sweep && hi > lo && !svg))
            st = SD_ERR_NOMEM;
    }
    if (st == SD_OK) {
        buf_puts(b, "{\"ok\": true");
        buf_field_string(b, "table", table);
        buf_printf(b, ", \"rows\": %s", rows);
        buf_field_string(b, "sweep", text);
        buf_field_string(b, "svg", svg);
        buf_field_string(b, "point_error", *point_error ? point_error : NULL);
        buf_puts(b, "}");
    }
    sd_free(table);
    sd_free(rows);
    sd_free(text);
    sd_free(svg);
    sd_swell_free(all);
    sd_swell_free(last);
    return st;
}

static SdStatus op_dot(Buf *b, Job *j) {
    SdStatus st = job_run(j, NULL, -1);
    char *dot = NULL;
    if (st == SD_OK)
        st = sd_dot(j->r, (req_is(j->q, "tree", "1") ? SD_DOT_TREE : 0) |
                              (req_is(j->q, "shared", "1") ? SD_DOT_SHARED_CONSTANTS : 0),
                    &dot);
    if (st == SD_OK) {
        SdStats s = sd_result_stats(j->r);
        buf_puts(b, "{\"ok\": true");
        buf_field_string(b, "dot", dot);
        buf_puts(b, ", \"function_tree\": ");
        buf_json_number(b, s.function_tree);
        buf_puts(b, ", \"derivative_tree\": ");
        buf_json_number(b, s.derivative_tree);
        buf_printf(b, ", \"function_nodes\": %ld, \"derivative_nodes\": %ld}", s.function_nodes,
                   s.derivative_nodes);
    }
    sd_free(dot);
    return st;
}

static SdStatus op_emit(Buf *b, Job *j) {
    SdStatus st = job_run(j, NULL, -1);
    const char *name = req_get(j->q, "name", "f");
    if (st == SD_OK && sd_c_name_problem(name)) {
        snprintf(j->err, sizeof j->err, "the name '%.40s' is not usable in C: %s", name,
                 sd_c_name_problem(name));
        return SD_ERR_REQUEST;
    }
    SdEmitted code = {NULL, NULL, NULL, NULL};
    if (st == SD_OK) {
        SdEmitOptions eo = {0};
        eo.name = name;
        eo.type = req_is(j->q, "type", "float") ? SD_FLOAT : SD_DOUBLE;
        eo.kind = req_is(j->q, "kind", "forward")   ? SD_EMIT_FORWARD_AD
                  : req_is(j->q, "kind", "reverse") ? SD_EMIT_REVERSE_AD
                                                    : SD_EMIT_SYMBOLIC;
        eo.unroll = req_is(j->q, "unroll", "1");
        eo.self_contained = 1;
        eo.command_line = req_get(j->q, "command", NULL);
        st = sd_emit_c(j->r, &eo, &code);
    }
    if (st == SD_OK) {
        buf_puts(b, "{\"ok\": true");
        buf_field_string(b, "source", code.source);
        buf_puts(b, "}");
    }
    sd_emitted_free(&code);
    return st;
}

/* --- the entry points ------------------------------------------------------------------- */

SDWEB_EXPORT const char *sdweb_version(void);
SDWEB_EXPORT char *sdweb_call(const char *form);
SDWEB_EXPORT void sdweb_free(char *s);

const char *sdweb_version(void) { return sd_version(); }

void sdweb_free(char *s) { free(s); }

/* Runs one request; never NULL but when memory is gone altogether. */
char *sdweb_call(const char *form) {
    Request q;
    Buf b = {NULL, 0, 0, 0};
    Job j;
    memset(&j, 0, sizeof j);
    j.q = &q;
    SdStatus st;
    if (request_parse(form, &q) != 0) {
        snprintf(j.err, sizeof j.err, "the request could not be read");
        st = SD_ERR_REQUEST;
    } else {
        st = job_prepare(&j);
    }
    if (st == SD_OK) {
        const char *op = req_get(&q, "op", "derive");
        st = strcmp(op, "derive") == 0  ? op_derive(&b, &j)
             : strcmp(op, "trace") == 0 ? op_trace(&b, &j)
             : strcmp(op, "eval") == 0  ? op_eval(&b, &j)
             : strcmp(op, "swell") == 0 ? op_swell(&b, &j)
             : strcmp(op, "dot") == 0   ? op_dot(&b, &j)
             : strcmp(op, "emit") == 0  ? op_emit(&b, &j)
                                        : (snprintf(j.err, sizeof j.err, "unknown operation '%.40s'", op),
                                           SD_ERR_REQUEST);
    }
    if (st != SD_OK || b.failed) {
        if (b.failed)
            st = SD_ERR_NOMEM;
        b.len = 0;
        b.failed = 0;
        answer_failure(&b, &j, st);
    }
    job_free(&j);
    request_free(&q);
    if (b.failed) {
        free(b.s);
        const char *oom = "{\"ok\": false, \"status\": \"out of memory\", \"error\": \"out of memory\", "
                          "\"diagnostics\": []}";
        char *s = malloc(strlen(oom) + 1);
        return s ? strcpy(s, oom) : NULL;
    }
    return b.s;
}
