/* SPDX-License-Identifier: MIT */
/*
 * check_functions.c — the table of built-in functions (src/builtins.def)
 * and what every stage makes of each row.  Every test loops over the rows,
 * so that a new function is tested as soon as it has its row.
 *
 *  - the table: every row has what each stage reads (its C in double and
 *    float, naming a <math.h> function or an existing sd_ helper; LaTeX
 *    whose forms name only arguments the function has; the rule text; a
 *    noun; domains for the arguments it has; defaults only for optional
 *    arguments); names and aliases are unique and looked up;
 *  - derivatives: first and second derivatives (forward and reverse mode)
 *    against Ridders' extrapolated differences at random points of the
 *    function's domain and at special points (0, +-1, tiny, large, next to
 *    the domain's edges), wherever the differences converge;
 *  - values: against closed forms computed to 40 digits, NaN in gives NaN
 *    out, and constant folding gives the value the evaluator computes (or
 *    leaves the call);
 *  - domain errors: a constant outside each argument's domain is refused
 *    with the function's message, with and without variables beside it;
 *  - LaTeX and trace text from the table;
 *  - C: every function's gradient kernel, in double and float and as
 *    reverse-mode AD, compiled in one translation unit with -Werror and run
 *    at points of the domain, against the evaluator.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_common.h"
#include "dag.h"
#include "eval.h"
#include "lower.h"
#include "fuzz/exprgen.h"
#include "symdiff.h"
#include "testrun.h"
#include "testutil.h"

/* --- the table ------------------------------------------------------------------------ */

START_TEST(test_table_rows) {
    const BuiltinInfo *r = &builtin_info[_i];
    const CodegenType *td = codegen_type(0), *tf = codegen_type(1);
    ck_assert_msg(r->name && r->name[0], "row %d has no name", _i);
    ck_assert_msg(r->noun && r->noun[0], "%s: no noun", r->name);
    ck_assert_msg(r->rule && strchr(r->rule, '\'') != NULL, "%s: the rule text '%s' has no derivative", r->name,
                  r->rule ? r->rule : "");
    ck_assert_msg(r->min_args >= 0 && r->min_args <= r->max_args && r->max_args <= 3, "%s: arguments %d..%d",
                  r->name, r->min_args, r->max_args);
    if (_i == BI_PI) {
        ck_assert(r->c_double == NULL && r->c_float == NULL);
    } else {
        /* the C: a <math.h> function in both types, or one sd_ helper */
        ck_assert_msg(r->c_double && r->c_float, "%s: no C", r->name);
        char f[64];
        snprintf(f, sizeof f, "%sf", r->c_double);
        ck_assert_msg(strcmp(r->c_float, f) == 0, "%s: float C %s, not %s", r->name, r->c_float, f);
        if (strncmp(r->c_double, "sd_", 3) == 0) {
            CodegenHelper h = codegen_helper_of((Builtin)_i);
            ck_assert_msg(h != CH_COUNT, "%s: no helper %s in codegen_common.c", r->name, r->c_double);
            ck_assert(codegen_libm_name((Builtin)_i, td) == NULL);
            StrBuf sb;
            sb_init(&sb);
            codegen_helper_name(&sb, h, tf);
            ck_assert_str_eq(sb_str(&sb), r->c_float);
            sb_free(&sb);
        } else {
            ck_assert_int_eq(codegen_helper_of((Builtin)_i), CH_COUNT);
            ck_assert_str_eq(codegen_libm_name((Builtin)_i, td), r->c_double);
            ck_assert_str_eq(codegen_libm_name((Builtin)_i, tf), r->c_float);
        }
    }
    /* LaTeX: an operator, or a form naming arguments the function has */
    if (r->latex && strchr(r->latex, '$')) {
        for (const char *s = strchr(r->latex, '$'); s; s = strchr(s + 1, '$'))
            ck_assert_msg(s[1] >= '0' && s[1] - '0' < r->min_args, "%s: the form %s names a missing argument",
                          r->name, r->latex);
    } else if (r->latex) {
        ck_assert_msg(r->latex[0] == '\\', "%s: the operator %s is not a command", r->name, r->latex);
    }
    /* domains for the arguments it has */
    for (int k = 0; k < 2; k++) {
        ck_assert_msg((unsigned)r->domain[k] < DOM_COUNT, "%s: domain %d", r->name, k);
        if (k >= r->max_args)
            ck_assert_msg(r->domain[k] == DOM_ALL, "%s: a domain for argument %d it does not have", r->name, k);
        char why[128];
        ck_assert(strlen(builtin_domain_reason((Builtin)_i, k, why, sizeof why)) > 10);
        ck_assert_msg(strstr(why, "$f") == NULL, "%s: %s", r->name, why);
    }
    /* a default only for an optional last argument */
    Num d;
    ck_assert_int_eq(builtin_default((Builtin)_i, &d), r->dflt != NULL);
    if (r->dflt)
        ck_assert_msg(r->min_args == r->max_args - 1, "%s: a default for an argument that is not optional",
                      r->name);
}
END_TEST

/* Every name and alias finds its row; none is another row's. */
START_TEST(test_table_names) {
    for (int i = 0; i < BI_COUNT; i++) {
        const BuiltinInfo *r = &builtin_info[i];
        int found = builtin_lookup(r->name);
        ck_assert_msg(found >= 0 && strcmp(builtin_info[found].name, r->name) == 0, "%s", r->name);
        if (r->alias) {
            ck_assert_int_eq(builtin_lookup(r->alias), found);
            for (int j = 0; j < BI_COUNT; j++)
                ck_assert_msg(strcmp(builtin_info[j].name, r->alias) != 0, "the alias %s is a name", r->alias);
        }
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(builtin_info[j].name, r->name) != 0 || builtin_info[j].max_args < r->min_args ||
                              builtin_info[j].min_args > r->max_args,
                          "two rows called %s take the same number of arguments", r->name);
    }
    ck_assert_int_eq(builtin_lookup("no_such_function"), -1);
    /* a name is found by all of it: its first letter alone, the name with
     * a letter more or less, and the empty name are no row's */
    ck_assert_int_eq(builtin_lookup(""), -1);
    for (int i = 0; i < BI_COUNT; i++) {
        const char *names[2] = {builtin_info[i].name, builtin_info[i].alias};
        for (int k = 0; k < 2 && names[k]; k++) {
            char buf[64];
            size_t len = strlen(names[k]);
            ck_assert_uint_lt(len + 2, sizeof buf);
            snprintf(buf, sizeof buf, "%sq", names[k]);
            ck_assert_msg(builtin_lookup(buf) == -1, "%s", buf);
            snprintf(buf, sizeof buf, "%.*s", (int)len - 1, names[k]);
            int shorter = builtin_lookup(buf);
            ck_assert_msg(shorter == -1 || strcmp(builtin_info[shorter].name, buf) == 0 ||
                              (builtin_info[shorter].alias && strcmp(builtin_info[shorter].alias, buf) == 0),
                          "%s", buf);
        }
    }
}
END_TEST

/* The first row called `name` (or with that alias), by reading every
 * row: what builtin_lookup's hashed index must answer. */
static int lookup_by_scan(const char *name) {
    for (int i = 0; i < BI_COUNT; i++)
        if (strcmp(builtin_info[i].name, name) == 0 ||
            (builtin_info[i].alias && strcmp(builtin_info[i].alias, name) == 0))
            return i;
    return -1;
}

/* Is `name` refused as a declared variable? */
static int builtin_name(const char *name) {
    return lookup_by_scan(name) >= 0 || strcmp(name, "e") == 0 || strcmp(name, "sqrt") == 0 ||
           strcmp(name, "pow") == 0;
}

/* Declaring `name` is refused, at the name, exactly when it is a built-in
 * name; otherwise the program lowers and the name is its variable. */
static void check_declared(const char *name) {
    char text[160], want[200];
    snprintf(text, sizeof text, "param %s; %s", name, name);
    Graph *g = graph_new();
    Program p;
    int rc = tu_compile(text, g, &(TuOptions){.may_fail = 1}, &p);
    if (builtin_name(name)) {
        ck_assert_msg(rc == -1, "'%s' declared", name);
        snprintf(want, sizeof want, "<expr>:1:7: error: cannot declare '%s': it is a built-in name", name);
        ck_assert_msg(strncmp(tu_errors(), want, strlen(want)) == 0, "%s: %s", name, tu_errors());
    } else {
        ck_assert_msg(rc == 0, "'%s' not declared: %s", name, tu_errors());
        ck_assert_int_eq(g->nvars, 1);
        ck_assert_str_eq(g->vars[0].name, name);
        program_free(&p);
    }
    graph_free(g);
}

/* The hashed index (generated from builtins.def) against a scan of the
 * rows, for every name and alias of row _i and every name one edit away:
 * a letter, digit or '_' left out, put in, replaced; two neighbours
 * swapped; the first letter in capitals.  Names that are no function's
 * are found by none, and lowering refuses to declare exactly the built-in
 * ones, with the same located error. */
START_TEST(test_index_near_misses) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
    const char *names[2] = {builtin_info[_i].name, builtin_info[_i].alias};
    int tried = 0, hits = 0;
    for (int k = 0; k < 2 && names[k]; k++) {
        const char *nm = names[k];
        size_t len = strlen(nm);
        ck_assert_int_eq(builtin_lookup(nm), lookup_by_scan(nm));
        check_declared(nm);
        char buf[80];
        ck_assert_uint_lt(len + 2, sizeof buf);
        for (size_t at = 0; at <= len; at++) {
            /* left out (at < len), put in (every letter), replaced, swapped */
            for (int kind = 0; kind < 4; kind++) {
                size_t nalpha = kind == 0 || kind == 3 ? 1 : sizeof alphabet - 1;
                if ((kind != 1 && at == len) || (kind == 3 && at + 1 >= len))
                    continue;
                for (size_t c = 0; c < nalpha; c++) {
                    memcpy(buf, nm, len + 1);
                    if (kind == 0)
                        memmove(buf + at, buf + at + 1, len - at);
                    else if (kind == 1) {
                        memmove(buf + at + 1, buf + at, len - at + 1);
                        buf[at] = alphabet[c];
                    } else if (kind == 2)
                        buf[at] = alphabet[c];
                    else {
                        buf[at] = nm[at + 1];
                        buf[at + 1] = nm[at];
                    }
                    int want = lookup_by_scan(buf);
                    ck_assert_msg(builtin_lookup(buf) == want, "'%s': %d, not %d", buf, builtin_lookup(buf), want);
                    tried++;
                    hits += want >= 0;
                    if (c % 12 == 0 && buf[0] && !isdigit((unsigned char)buf[0]))
                        check_declared(buf); /* a sample through lowering */
                }
            }
        }
        memcpy(buf, nm, len + 1);
        buf[0] = (char)toupper((unsigned char)buf[0]);
        ck_assert_int_eq(builtin_lookup(buf), -1);
        check_declared(buf);
    }
    ck_assert_int_gt(tried, 50);
    ck_assert_int_lt(hits, tried); /* nearly all are misses */
}
END_TEST

/* The domains: a point inside each, the ends, NaN outside all. */
START_TEST(test_domains) {
    static const struct {
        ArgDomain d;
        double in[3], out[3];
    } cases[] = {
        {DOM_ALL, {-1e300, 0, 1e300}, {NAN, NAN, NAN}},
        {DOM_POSITIVE, {1e-300, 1, 1e300}, {0, -0.0, -1}},
        {DOM_NONZERO, {-1e-300, 1e-300, -5}, {0, -0.0, NAN}},
        {DOM_UNIT, {-1, 0, 1}, {-1.0000001, 1.0000001, -INFINITY}},
        {DOM_OPEN_UNIT, {-0.999, 0, 0.999}, {-1, 1, 2}},
        {DOM_OUTSIDE_UNIT, {-1, 1, 1e300}, {0, 0.999, -0.5}},
        {DOM_BEYOND_UNIT, {-1.001, 1.001, -1e300}, {-1, 1, 0}},
        {DOM_AT_LEAST_ONE, {1, 1.5, 1e300}, {0.999, 0, -2}},
        {DOM_UNIT_POSITIVE, {1e-300, 0.5, 1}, {0, 1.001, -0.5}},
        {DOM_ABOVE_MINUS_ONE, {-0.999, 0, 1e300}, {-1, -2, NAN}},
        {DOM_BASE, {0.5, 2, 1e300}, {1, 0, -2}},
        {DOM_THRESHOLD, {1e-300, 1, 1e300}, {0, -1, NAN}},
    };
    ck_assert_int_eq((int)(sizeof cases / sizeof *cases), DOM_COUNT);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ck_assert_int_eq((int)cases[i].d, (int)i);
        for (int k = 0; k <= 16; k++) /* the tests' sample points are inside */
            ck_assert_msg(domain_contains(cases[i].d, domain_point(cases[i].d, k / 16.0)), "domain %d at %g",
                          (int)i, domain_point(cases[i].d, k / 16.0));
        for (int k = 0; k < 3; k++) {
            ck_assert_msg(domain_contains(cases[i].d, cases[i].in[k]), "domain %d: %g", (int)cases[i].d,
                          cases[i].in[k]);
            ck_assert_msg(!domain_contains(cases[i].d, cases[i].out[k]), "domain %d: %g", (int)cases[i].d,
                          cases[i].out[k]);
        }
    }
}
END_TEST

/* --- programs of one function ----------------------------------------------------------- */

/* The program calling row fn on x (and y): "name(x)", "name(x, y)"; a
 * constant optional argument gets `param` (its default when 0). */
static void call_text(char *buf, size_t size, int fn, double param) {
    const BuiltinInfo *r = &builtin_info[fn];
    if (r->dflt && param != 0)
        snprintf(buf, size, "%s(x, %.17g)", r->name, param);
    else if (r->min_args >= 3)
        snprintf(buf, size, "%s(x, y, 2)", r->name);
    else if (r->min_args >= 2)
        snprintf(buf, size, "%s(x, y)", r->name);
    else
        snprintf(buf, size, "%s(x)", r->name);
}

static int nvars_of(int fn) { return builtin_info[fn].min_args >= 2 ? 2 : 1; }

static SdProgram *compile_ok(const char *text) {
    SdProgram *p = NULL;
    static const char *const vars[] = {"x", "y"};
    SdCompileOptions opt = {.vars = vars, .nvars = strchr(text, 'y') ? 2 : 1};
    SdStatus st = sd_compile(text, strlen(text), &opt, &p);
    ck_assert_msg(st == SD_OK, "%s: %s", text, p ? sd_diagnostics_text(p) : "out of memory");
    return p;
}

static SdResult *derive_ok(SdProgram *p, SdWhat what, SdMode mode, int order) {
    SdRequest req = {.what = what, .mode = mode, .order = order};
    SdResult *r = NULL;
    ck_assert_msg(sd_derive(p, &req, &r) == SD_OK, "derive: %s", sd_error_message(p));
    return r;
}

/* Every function is documented where users look: the README's list, the
 * language guide and its man page (the suite runs from the repository). */
START_TEST(test_documented) {
    static const char *const pages[] = {"README.md", "docs/language.md", "man/symdiff-language.7.in"};
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
        char *text = read_file(pages[i]);
        ck_assert_msg(text != NULL, "cannot read %s", pages[i]);
        for (int b = 0; b < BI_COUNT; b++)
            for (int spelling = 0; spelling < 2; spelling++) {
                const char *name = spelling ? builtin_info[b].alias : builtin_info[b].name;
                if (!name || b == BI_PI)
                    continue;
                /* as a word: not inside a longer name */
                int found = 0;
                size_t len = strlen(name);
                for (const char *t = strstr(text, name); t && !found; t = strstr(t + 1, name))
                    found = (t == text || !(isalnum((unsigned char)t[-1]) || t[-1] == '_')) &&
                            !(isalnum((unsigned char)t[len]) || t[len] == '_');
                ck_assert_msg(found, "%s does not mention %s", pages[i], name);
            }
        free(text);
    }
}
END_TEST

/* --- derivatives against differences ------------------------------------------------------ */

/* f along coordinate v at x (restored), for ridders(). */
typedef double (*Along)(void *ctx, double *x);

/* Ridders' extrapolation of central differences of f along x[v]; *err is
 * its error estimate. */
static double ridders(Along f, void *ctx, double *x, int v, double *err) {
    enum { N = 10 };
    double a[N][N], best = NAN, x0 = x[v], h = 0.1 * fmax(1, fabs(x0));
    *err = INFINITY;
    for (int i = 0; i < N; i++, h /= 1.4) {
        x[v] = x0 + h;
        double fp = f(ctx, x);
        x[v] = x0 - h;
        double fm = f(ctx, x);
        x[v] = x0;
        a[0][i] = (fp - fm) / (2 * h);
        double fac = 1.96;
        for (int q = 1; q <= i; q++, fac *= 1.96) {
            a[q][i] = (a[q - 1][i] * fac - a[q - 1][i - 1]) / (fac - 1);
            double e = fmax(fabs(a[q][i] - a[q - 1][i]), fabs(a[q][i] - a[q - 1][i - 1]));
            if (e <= *err) {
                *err = e;
                best = a[q][i];
            }
        }
        if (i > 0 && fabs(a[i][i] - a[i - 1][i - 1]) >= 2 * *err)
            break;
    }
    return best;
}

typedef struct Probe {
    int fn;
    double param;    /* the constant optional argument              */
    SdResult *deriv; /* for differences of a derivative: its values */
    int comp;        /* ... component                               */
} Probe;

static double along_value(void *ctx, double *x) {
    const Probe *p = ctx;
    double a[3] = {x[0], x[1], 2}; /* the third argument: call_text's constant */
    if (builtin_info[p->fn].dflt)
        a[1] = p->param;
    return eval_builtin((Builtin)p->fn, a);
}

static double along_derivative(void *ctx, double *x) {
    const Probe *p = ctx;
    SdValues v;
    ck_assert(sd_eval(p->deriv, x, &v) == SD_OK);
    double d = v.deriv[p->comp];
    sd_values_free(&v);
    return d;
}

/* Do the one-sided slopes of f along x[v] differ at x (a kink, a jump)? */
static int one_sided_differ(Along f, void *ctx, double *x, int v) {
    double x0 = x[v], h = 1e-6 * fmax(1, fabs(x0));
    double f0 = f(ctx, x);
    x[v] = x0 + h;
    double fp = f(ctx, x);
    x[v] = x0 - h;
    double fm = f(ctx, x);
    x[v] = x0;
    double r = (fp - f0) / h, l = (f0 - fm) / h;
    return !(fabs(r - l) <= 1e-3 * fmax(1, fmax(fabs(r), fabs(l))));
}

/* The points tried for argument k of fn: random ones in its domain, and
 * special ones (those outside the domain are skipped). */
static int probe_points(int fn, int k, double *pts, int max) {
    static const double special[] = {0, 1e-3, -1e-3, 0.5, -0.5, 1, -1, 2, -2, 10, -10, 30, -30, 1e-8, -1e-8};
    ArgDomain d = builtin_info[fn].domain[k];
    int n = 0;
    uint64_t s = 0x9E3779B97F4A7C15ull * (uint64_t)(fn + 1) + (uint64_t)k;
    for (int i = 0; i < 24 && n < max; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        pts[n++] = domain_point(d, (double)(s >> 11) / 9007199254740992.0);
    }
    for (size_t i = 0; i < sizeof special / sizeof *special && n < max; i++)
        if (domain_contains(d, special[i]))
            pts[n++] = special[i];
    /* next to the edges of the domain, inside */
    static const double edges[] = {-1, 0, 1};
    for (size_t i = 0; i < 3 && n + 2 <= max; i++)
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double e = edges[i] + sgn * 1e-4;
            if (domain_contains(d, e) && !domain_contains(d, edges[i]))
                pts[n++] = e;
        }
    return n;
}

/* d/dx_v of row _i: forward and reverse mode, against differences of the
 * value; and each second derivative against differences of the first. */
START_TEST(test_derivatives_vs_differences) {
    if (_i == BI_PI)
        return;
    const BuiltinInfo *r = &builtin_info[_i];
    static const double params[] = {0, 0.5, 3};
    int nparams = r->dflt ? 3 : 1, tested = 0, tested2 = 0, tried = 0;
    for (int pi = 0; pi < nparams; pi++) {
        char text[96];
        call_text(text, sizeof text, _i, params[pi]);
        Num dflt;
        double param = pi ? params[pi] : builtin_default((Builtin)_i, &dflt) ? num_value(dflt) : 0;
        SdProgram *p = compile_ok(text);
        int nv = nvars_of(_i);
        for (int mode = 0; mode < 2; mode++) {
            SdResult *g = derive_ok(p, SD_GRADIENT, mode ? SD_MODE_REVERSE : SD_MODE_FORWARD, 0);
            SdResult *h = derive_ok(p, SD_HESSIAN, mode ? SD_MODE_REVERSE : SD_MODE_FORWARD, 0);
            double px[64], py[64];
            int n0 = probe_points(_i, 0, px, 64), n1 = nv > 1 ? probe_points(_i, 1, py, 64) : 1;
            if (nv == 1)
                py[0] = 0;
            for (int a = 0; a < n0; a++)
                for (int b = 0; b < n1; b += nv > 1 ? 5 : 1) {
                    double x[2] = {px[a], py[b]};
                    SdValues gv, hv;
                    ck_assert(sd_eval(g, x, &gv) == SD_OK);
                    ck_assert(sd_eval(h, x, &hv) == SD_OK);
                    for (int v = 0; v < nv; v++) {
                        Probe pr = {_i, param, NULL, 0};
                        double err, fd = ridders(along_value, &pr, x, v, &err);
                        tried++;
                        double d = gv.deriv[v], scale = fmax(1, fabs(fd));
                        /* where the differences converge (not at kinks, jumps or poles) */
                        if (isfinite(fd) && err <= 1e-9 * scale && isfinite(gv.value[0]) &&
                            !one_sided_differ(along_value, &pr, x, v)) {
                            ck_assert_msg(fabs(d - fd) <= 1e-7 * scale, "d/d%c %s at (%.17g, %.17g), %s: %.17g, "
                                          "differences %.17g", "xy"[v], text, x[0], x[1],
                                          mode ? "reverse" : "forward", d, fd);
                            tested++;
                        }
                        for (int w = 0; w < nv; w++) { /* the row v of the Hessian */
                            Probe p2 = {_i, param, g, v};
                            double e2, fd2 = ridders(along_derivative, &p2, x, w, &e2);
                            double h2 = hv.deriv[v * nv + w], s2 = fmax(1, fabs(fd2));
                            if (isfinite(fd2) && e2 <= 1e-8 * s2 && isfinite(d) &&
                                !one_sided_differ(along_derivative, &p2, x, w)) {
                                ck_assert_msg(fabs(h2 - fd2) <= 1e-6 * s2, "d2/d%cd%c %s at (%.17g, %.17g), %s: "
                                              "%.17g, differences %.17g", "xy"[v], "xy"[w], text, x[0], x[1],
                                              mode ? "reverse" : "forward", h2, fd2);
                                tested2++;
                            }
                        }
                    }
                    sd_values_free(&gv);
                    sd_values_free(&hv);
                }
            sd_result_free(g);
            sd_result_free(h);
        }
        sd_program_free(p);
    }
    /* most points are smooth ones */
    ck_assert_msg(tested >= tried / 2, "%s: %d of %d derivatives compared", r->name, tested, tried);
    ck_assert_msg(tested2 >= tried / 2, "%s: %d of %d second derivatives compared", r->name, tested2, tried);
}
END_TEST

/* --- values ---------------------------------------------------------------------------------- */

/* Values to 20 digits (mpmath at 40 digits, from the definitions). */
static const struct {
    const char *prog;
    double at[2], value, tol; /* tol: relative (0: 4e-15) */
} references[] = {
    {"sec(x)", {0.5}, 1.1394939273245491223, 0},       {"sec(x)", {-2.0}, -2.4029979617223809898, 0},
    {"csc(x)", {0.5}, 2.0858296429334881858, 0},       {"csc(x)", {-2.0}, -1.0997501702946164668, 0},
    {"cot(x)", {0.5}, 1.8304877217124519193, 0},       {"cot(x)", {-2.0}, 0.45765755436028576375, 0},
    {"acot(x)", {0.5}, 1.107148717794090503, 0},       {"acot(x)", {-2.0}, -0.46364760900080611621, 0},
    {"asec(x)", {1.5}, 0.84106867056793025578, 0},     {"asec(x)", {-3.0}, 1.9106332362490185563, 0},
    {"acsc(x)", {1.5}, 0.72972765622696636345, 0},     {"acsc(x)", {-3.0}, -0.3398369094541219371, 0},
    {"asinh(x)", {0.5}, 0.4812118250596034475, 0},     {"asinh(x)", {-3.0}, -1.8184464592320668235, 0},
    {"acosh(x)", {1.5}, 0.962423650119206895, 0},      {"acosh(x)", {10.0}, 2.9932228461263808979, 0},
    {"atanh(x)", {0.5}, 0.5493061443340548457, 0},     {"atanh(x)", {-0.25}, -0.2554128118829953416, 0},
    {"sech(x)", {0.5}, 0.88681888397007390866, 0},     {"sech(x)", {-3.0}, 0.099327927419433207829, 0},
    {"csch(x)", {0.5}, 1.9190347513349437195, 0},      {"csch(x)", {-3.0}, -0.099821569668822732851, 0},
    {"coth(x)", {0.5}, 2.1639534137386528488, 0},      {"coth(x)", {-3.0}, -1.0049698233136891711, 0},
    {"asech(x)", {0.5}, 1.3169578969248167086, 0},     {"asech(x)", {0.25}, 2.0634370688955605467, 0},
    {"acsch(x)", {0.5}, 1.4436354751788103425, 0},     {"acsch(x)", {-3.0}, -0.32745015023725844332, 0},
    {"acoth(x)", {1.5}, 0.8047189562170501873, 0},     {"acoth(x)", {-3.0}, -0.34657359027997265471, 0},
    {"atan2(x, y)", {1.0, -2.0}, 2.6779450445889871222, 0}, {"atan2(x, y)", {-0.5, 0.25}, -1.107148717794090503, 0},
    {"hypot(x, y)", {1.0, 2.0}, 2.2360679774997896964, 0}, {"hypot(x, y)", {-0.5, 0.25}, 0.5590169943749474241, 0},
    {"cbrt(x)", {2.0}, 1.2599210498948731648, 0},      {"cbrt(x)", {-0.5}, -0.79370052598409973738, 0},
    {"exp2(x)", {0.5}, 1.4142135623730950488, 0},      {"exp2(x)", {-3.25}, 0.10511205190671431788, 0},
    {"expm1(x)", {1e-10}, 1.0000000000500000364e-10, 0}, {"expm1(x)", {-2.0}, -0.86466471676338730811, 0},
    {"log1p(x)", {1e-10}, 9.9999999995000003644e-11, 0}, {"log1p(x)", {2.0}, 1.0986122886681096914, 0},
    {"log(x, y)", {10.0, 3.0}, 2.0959032742893846043, 0}, {"log(x, y)", {0.5, 0.25}, 0.5, 0},
    {"erf(x)", {0.5}, 0.52049987781304653768, 0},      {"erf(x)", {-2.0}, -0.99532226501895273416, 0},
    {"erfc(x)", {0.5}, 0.47950012218695346232, 0},     {"erfc(x)", {5.0}, 1.5374597944280348502e-12, 0},
    {"gelu(x)", {1.0}, 0.84134474606854294859, 0},     {"gelu(x)", {-3.0}, -0.00404969409489028358, 0},
    {"silu(x)", {1.0}, 0.73105857863000487925, 0},     {"swish(x)", {-3.0}, -0.14227761953270034264, 0},
    {"softsign(x)", {0.5}, 0.33333333333333333333, 0}, {"softsign(x)", {-3.0}, -0.75, 0},
    {"mish(x)", {1.0}, 0.86509838826731034612, 0},     {"mish(x)", {-3.0}, -0.14564746127562458731, 0},
    {"hardtanh(x)", {0.5}, 0.5, 0},                    {"hardtanh(x)", {-3.0}, -1, 0},
    {"huber(x)", {0.5}, 0.125, 0},                     {"huber(x)", {-3.0}, 2.5, 0},
    {"cosec(x)", {0.5}, 2.0858296429334881858, 0},     {"cotan(x)", {-2.0}, 0.45765755436028576375, 0},
    /* far out, where the careful forms matter */
    /* (erfc falls as e^(-z^2): its argument's rounding costs 2 z^2 ulps) */
    {"gelu(x)", {-30}, -1.4720141781444561179e-196, 1e-12}, {"gelu(x)", {-10}, -7.619853024160526066e-23, 1e-13},
    {"silu(x)", {-800}, -0.0, 0},                      {"mish(x)", {800}, 800, 0},
    {"softsign(x)", {1e300}, 1, 0},                    {"log1p(x)", {-1e-17}, -1e-17, 0},
    {"expm1(x)", {1e-17}, 1e-17, 0},
};

START_TEST(test_reference_values) {
    SdProgram *p = compile_ok(references[_i].prog);
    SdResult *f = derive_ok(p, SD_FUNCTION, SD_MODE_AUTO, 0);
    SdValues v;
    ck_assert(sd_eval(f, references[_i].at, &v) == SD_OK);
    double want = references[_i].value, got = v.value[0], tol = references[_i].tol ? references[_i].tol : 4e-15;
    ck_assert_msg(fabs(got - want) <= tol * fabs(want), "%s at (%g, %g): %.17g, want %.17g", references[_i].prog,
                  references[_i].at[0], references[_i].at[1], got, want);
    sd_values_free(&v);
    sd_result_free(f);
    sd_program_free(p);
}
END_TEST

/* Every covered function has a reference value. */
START_TEST(test_references_cover_new_functions) {
    for (int b = BI_SEC; b < BI_COUNT; b++) {
        int found = 0;
        size_t len = strlen(builtin_info[b].name);
        for (size_t i = 0; i < sizeof references / sizeof *references && !found; i++)
            found = strncmp(references[i].prog, builtin_info[b].name, len) == 0 && references[i].prog[len] == '(';
        ck_assert_msg(found, "no reference value for %s", builtin_info[b].name);
    }
}
END_TEST

/* NaN in gives NaN out, in every argument. */
START_TEST(test_nan_in_nan_out) {
    for (int b = 0; b < BI_COUNT; b++)
        for (int k = 0; k < builtin_info[b].max_args; k++) {
            double a[3] = {0.5, 0.5, 0.5};
            if (builtin_info[b].max_args > 1 && !domain_contains(builtin_info[b].domain[1], a[1]))
                a[1] = domain_point(builtin_info[b].domain[1], 0.5);
            a[0] = domain_point(builtin_info[b].domain[0], 0.3);
            a[k] = NAN;
            if (k > 0 && builtin_info[b].kind == BK_KINK)
                continue; /* a piecewise function may not use it here (step(1, NaN) is 1) */
            ck_assert_msg(isnan(eval_builtin((Builtin)b, a)), "%s with NaN as argument %d", builtin_info[b].name, k);
        }
}
END_TEST

/* Constant arguments: folding gives the evaluator's value (exactly where
 * it folds to a rational), or keeps the call. */
START_TEST(test_folding) {
    if (_i == BI_PI)
        return;
    static const char *const consts[] = {"0", "1", "-1", "1/2", "-1/2", "2", "3", "-27/8", "4", "1/4", "0.3"};
    const BuiltinInfo *r = &builtin_info[_i];
    for (size_t i = 0; i < sizeof consts / sizeof *consts; i++)
        for (size_t j = 0; j < (r->min_args >= 2 ? sizeof consts / sizeof *consts : 1); j++) {
            double a[3];
            char text[96];
            a[0] = strtod(consts[i], NULL);
            if (strchr(consts[i], '/'))
                a[0] = (double)strtol(consts[i], NULL, 10) / strtol(strchr(consts[i], '/') + 1, NULL, 10);
            a[1] = strtod(consts[j], NULL);
            if (strchr(consts[j], '/'))
                a[1] = (double)strtol(consts[j], NULL, 10) / strtol(strchr(consts[j], '/') + 1, NULL, 10);
            if (r->min_args >= 2)
                snprintf(text, sizeof text, "%s(%s, %s) + 0*x", r->name, consts[i], consts[j]);
            else if (r->dflt) {
                Num d;
                builtin_default((Builtin)_i, &d);
                a[1] = num_value(d);
                snprintf(text, sizeof text, "%s(%s) + 0*x", r->name, consts[i]);
            } else
                snprintf(text, sizeof text, "%s(%s) + 0*x", r->name, consts[i]);
            if (r->min_args == 3) {
                a[1] = 2;
                a[2] = 3;
                snprintf(text, sizeof text, "%s(%s, 2, 3) + 0*x", r->name, consts[i]);
            }
            int defined = domain_contains(r->domain[0], a[0]) && (r->max_args < 2 || domain_contains(r->domain[1], a[1]));
            double want = eval_builtin((Builtin)_i, a);
            SdProgram *p = NULL;
            SdStatus st = sd_compile(text, strlen(text), NULL, &p);
            if (!defined || !isfinite(want)) { /* refused with a domain error */
                ck_assert_msg(st == SD_ERR_INPUT && strstr(sd_diagnostics_text(p), "domain error"), "%s: accepted",
                              text);
                sd_program_free(p);
                continue;
            }
            ck_assert_msg(st == SD_OK, "%s: %s", text, sd_diagnostics_text(p));
            SdResult *f = derive_ok(p, SD_FUNCTION, SD_MODE_AUTO, 0);
            SdValues v;
            double x = 0;
            ck_assert(sd_eval(f, &x, &v) == SD_OK);
            ck_assert_msg(fabs(v.value[0] - want) <= 1e-15 * fabs(want), "%s = %.17g, the evaluator %.17g", text,
                          v.value[0], want);
            sd_values_free(&v);
            sd_result_free(f);
            sd_program_free(p);
        }
}
END_TEST

/* Exact values the simplifier knows. */
START_TEST(test_exact_folds) {
    static const char *const cases[][2] = {
        {"sec(0)", "1"},          {"sech(0)", "1"},        {"erfc(0)", "1"},      {"exp2(10)", "1024"},
        {"exp2(-3)", "1/8"},      {"asinh(0)", "0"},       {"atanh(0)", "0"},     {"erf(0)", "0"},
        {"expm1(0)", "0"},        {"log1p(0)", "0"},       {"gelu(0)", "0"},      {"silu(0)", "0"},
        {"mish(0)", "0"},         {"acosh(1)", "0"},       {"asech(1)", "0"},     {"acot(0)", "pi/2"},
        {"asec(1)", "0"},         {"asec(-1)", "pi"},      {"acsc(1)", "pi/2"},   {"acsc(-1)", "-pi/2"},
        {"atan2(0, 2)", "0"},     {"atan2(0, -2)", "pi"},  {"atan2(3, 0)", "pi/2"}, {"atan2(-3, 0)", "-pi/2"},
        {"atan2(0, 0)", "atan2(0, 0)"}, {"hypot(3, 4)", "5"}, {"hypot(-5/13, 12/13)", "1"},
        {"hypot(1, 1)", "hypot(1, 1)"}, {"cbrt(-27/8)", "-3/2"}, {"cbrt(2)", "cbrt(2)"},
        {"log(8, 2)", "3"},       {"log(2, 8)", "1/3"},    {"log(1/9, 3)", "-2"}, {"log(1, 7)", "0"},
        {"log(5, 2)", "log(5, 2)"}, {"softsign(3)", "3/4"}, {"softsign(-1/3)", "-1/4"},
        {"hardtanh(-3)", "-1"},   {"hardtanh(1/3)", "1/3"}, {"huber(3, 2)", "4"}, {"huber(1/2)", "1/8"},
        {"huber(-3)", "5/2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[96];
        snprintf(text, sizeof text, "%s + x", cases[i][0]);
        SdProgram *p = compile_ok(text);
        SdResult *f = derive_ok(p, SD_FUNCTION, SD_MODE_AUTO, 0);
        char *out = NULL, *want = NULL;
        ck_assert(sd_print(f, NULL, NULL, SD_TEXT, &out) == SD_OK);
        snprintf(text, sizeof text, "%s + x", cases[i][1]);
        SdProgram *q = compile_ok(text);
        SdResult *fq = derive_ok(q, SD_FUNCTION, SD_MODE_AUTO, 0);
        ck_assert(sd_print(fq, NULL, NULL, SD_TEXT, &want) == SD_OK);
        ck_assert_msg(strcmp(out, want) == 0, "%s: %s, want %s", cases[i][0], out, want);
        sd_free(out);
        sd_free(want);
        sd_result_free(fq);
        sd_program_free(q);
        sd_result_free(f);
        sd_program_free(p);
    }
}
END_TEST

/* --- domain errors --------------------------------------------------------------------------- */

/* A number outside domain d (none for DOM_ALL). */
static const char *outside(ArgDomain d) {
    switch (d) {
    case DOM_ALL:
    case DOM_COUNT:
        return NULL;
    case DOM_POSITIVE:
    case DOM_ABOVE_MINUS_ONE:
        return "-1";
    case DOM_NONZERO:
    case DOM_THRESHOLD:
        return "0";
    case DOM_UNIT:
    case DOM_UNIT_POSITIVE:
        return "2";
    case DOM_OPEN_UNIT:
    case DOM_BEYOND_UNIT:
    case DOM_BASE:
        return "1";
    case DOM_OUTSIDE_UNIT:
    case DOM_AT_LEAST_ONE:
        return "1/2";
    }
    return NULL;
}

START_TEST(test_domain_errors) {
    const BuiltinInfo *r = &builtin_info[_i];
    for (int k = 0; k < r->max_args && k < 2; k++) {
        const char *c = outside(r->domain[k]);
        if (!c)
            continue;
        char why[128], want[200];
        snprintf(want, sizeof want, "domain error in a constant: %s",
                 builtin_domain_reason((Builtin)_i, k, why, sizeof why));
        /* alone, and beside a variable (the call is undefined for every x) */
        for (int with_var = 0; with_var < 2; with_var++) {
            char text[96], other[16];
            snprintf(other, sizeof other, "%s", with_var ? "x" : domain_point(r->domain[1 - k], 0.5) > 0 ? "2" : "2");
            if (k == 0 && r->min_args >= 2)
                snprintf(text, sizeof text, "%s(%s, %s)%s", r->name, c, other, with_var ? "" : " + y");
            else if (k == 1)
                snprintf(text, sizeof text, "%s(%s, %s)%s", r->name, with_var ? "x" : "2", c, with_var ? "" : " + y");
            else
                snprintf(text, sizeof text, "%s(%s)%s", r->name, c, with_var ? " + x" : "");
            SdProgram *p = NULL;
            ck_assert_msg(sd_compile(text, strlen(text), NULL, &p) == SD_ERR_INPUT, "%s: accepted", text);
            ck_assert_msg(strstr(sd_diagnostics_text(p), want) != NULL, "%s: %s, want %s", text,
                          sd_diagnostics_text(p), want);
            sd_program_free(p);
        }
    }
}
END_TEST

/* --- printing ---------------------------------------------------------------------------- */

/* LaTeX from the table, and --trace's rule text. */
START_TEST(test_latex_and_trace) {
    if (_i == BI_PI)
        return;
    const BuiltinInfo *r = &builtin_info[_i];
    char text[96];
    call_text(text, sizeof text, _i, 0);
    SdProgram *p = compile_ok(text);
    SdResult *f = derive_ok(p, SD_FUNCTION, SD_MODE_AUTO, 0);
    char *latex = NULL, *trace = NULL;
    ck_assert(sd_print(f, NULL, NULL, SD_LATEX, &latex) == SD_OK);
    char want[64];
    if (!r->latex)
        snprintf(want, sizeof want, "\\operatorname{%.*s", (int)strcspn(r->name, "_"), r->name);
    else
        snprintf(want, sizeof want, "%.*s", (int)strcspn(r->latex, "$"), r->latex);
    ck_assert_msg(strstr(latex, want) != NULL, "%s in LaTeX: %s, want %s", text, latex, want);
    SdResult *g = derive_ok(p, SD_GRADIENT, SD_MODE_FORWARD, 0);
    ck_assert(sd_trace(g, SD_TEXT, &trace) == SD_OK);
    ck_assert_msg(strstr(trace, r->rule) != NULL, "%s: the trace does not say %s:\n%s", text, r->rule, trace);
    sd_free(latex);
    sd_free(trace);
    sd_result_free(g);
    sd_result_free(f);
    sd_program_free(p);
}
END_TEST

/* --- C ------------------------------------------------------------------------------------- */

static char dir[256];

static void kernels_setup(void) { make_temp_dir(dir, sizeof dir, "functions"); }

static void kernels_teardown(void) {
    if (!getenv("KEEP"))
        remove_tree(dir);
}

static const char *const ccs[] = {"gcc", "clang"};

/* Compiles dir/<name>.c with cc (-Werror, -Wdouble-promotion) and runs it:
 * its output (to free), or NULL where cc is not installed. */
static char *compile_and_run(const char *cc, const char *name) {
    if (!have_compiler(cc))
        return NULL;
    if (sh("cd '%s' && %s -std=c99 -Wall -Wextra -Wpedantic -Werror -Wdouble-promotion -O2 "
           "%s.c -o %s -lm 2> cc.txt && ./%s > out.txt",
           dir, cc, name, name, name) != 0) {
        char *log_path = path_join(dir, "cc.txt"), *log = read_file(log_path);
        ck_abort_msg("%s: the kernels do not compile or run:\n%.3000s", cc, log ? log : "");
    }
    char *out_path = path_join(dir, "out.txt");
    char *out = read_file(out_path);
    free(out_path);
    ck_assert_ptr_nonnull(out);
    return out;
}

enum { KPOINTS = 7 };

/* The points of row fn's kernel test: KPOINTS per argument in its domain. */
static void kernel_point(int fn, int i, double x[2]) {
    int nv = nvars_of(fn);
    int a = nv > 1 ? i / KPOINTS : i, b = nv > 1 ? i % KPOINTS : 0;
    x[0] = domain_point(builtin_info[fn].domain[0], (a + 0.5) / KPOINTS);
    x[1] = nv > 1 ? domain_point(builtin_info[fn].domain[1], (b + 0.5) / KPOINTS) : 0;
}

/* Every function's gradient kernel (symbolic in double and float, reverse
 * AD in double) in one C file compiled with -Werror, against the
 * evaluator at points of each function's domain. */
START_TEST(test_kernels) {
    static const struct {
        const char *suffix;
        SdCType type;
        SdEmitKind kind;
        double tol;
    } forms[] = {{"d", SD_DOUBLE, SD_EMIT_SYMBOLIC, 1e-12}, {"f", SD_FLOAT, SD_EMIT_SYMBOLIC, 2e-5},
                 {"r", SD_DOUBLE, SD_EMIT_REVERSE_AD, 1e-12}};
    const int nforms = (int)(sizeof forms / sizeof *forms);
    StrBuf unity, driver;
    sb_init(&unity);
    sb_init(&driver);
    sb_puts(&driver, "\nint main(void)\n{\n");
    for (int b = 0; b < BI_COUNT; b++) {
        if (b == BI_PI)
            continue;
        char text[96];
        call_text(text, sizeof text, b, b == BI_HUBER ? 0.5 : 0);
        SdProgram *p = compile_ok(text);
        SdResult *g = derive_ok(p, SD_GRADIENT, SD_MODE_AUTO, 0);
        int nv = nvars_of(b), np = nv > 1 ? KPOINTS * KPOINTS : KPOINTS;
        for (int k = 0; k < nforms; k++) {
            char name[64];
            snprintf(name, sizeof name, "k%d_%s", b, forms[k].suffix);
            SdEmitOptions eo = {.name = name, .type = forms[k].type, .kind = forms[k].kind, .self_contained = 1};
            SdEmitted e;
            ck_assert_msg(sd_emit_c(g, &eo, &e) == SD_OK, "%s: %s", text, sd_error_message(p));
            ck_assert_msg(strstr(e.source, "unsupported") == NULL, "%s", e.source);
            sb_puts(&unity, e.source);
            sd_emitted_free(&e);
            const char *T = forms[k].type == SD_FLOAT ? "float" : "double";
            sb_printf(&driver, "    {\n        static const %s x[%d][2] = {", T, np);
            for (int i = 0; i < np; i++) {
                double x[2];
                kernel_point(b, i, x);
                sb_printf(&driver, "%s{(%s)%.17g, (%s)%.17g}", i ? ", " : "", T, x[0], T, x[1]);
            }
            sb_printf(&driver, "};\n        for (int i = 0; i < %d; i++) {\n            %s g[2] = {0, 0};\n"
                               "            const %s v = %s_grad(x[i], g);\n"
                               "            printf(\"%d %d %%d %%.17g %%.17g %%.17g\\n\", i, (double)v, (double)g[0], "
                               "(double)g[1]);\n        }\n    }\n",
                      np, T, T, name, b, k);
        }
        sd_result_free(g);
        sd_program_free(p);
    }
    sb_puts(&driver, "    return 0;\n}\n");
    StrBuf all;
    sb_init(&all);
    sb_puts(&all, "#include <stdio.h>\n");
    sb_puts(&all, sb_str(&unity));
    sb_puts(&all, sb_str(&driver));
    char *c = path_join(dir, "functions.c");
    write_file(c, sb_str(&all));
    free(c);
    sb_free(&all);
    sb_free(&unity);
    sb_free(&driver);
    for (int cc = 0; cc < 2; cc++) {
        char *out = compile_and_run(ccs[cc], "functions");
        if (!out)
            continue;
        int lines = 0, compared = 0;
        SdProgram *p = NULL;
        SdResult *g = NULL;
        int current = -1;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
            int b, k, i;
            double v, g0, g1;
            ck_assert(sscanf(line, "%d %d %d %lg %lg %lg", &b, &k, &i, &v, &g0, &g1) == 6);
            if (b != current) {
                sd_result_free(g);
                sd_program_free(p);
                char text[96];
                call_text(text, sizeof text, b, b == BI_HUBER ? 0.5 : 0);
                p = compile_ok(text);
                g = derive_ok(p, SD_GRADIENT, SD_MODE_AUTO, 0);
                current = b;
            }
            double x[2];
            kernel_point(b, i, x);
            if (forms[k].type == SD_FLOAT) {
                x[0] = (float)x[0];
                x[1] = (float)x[1];
            }
            SdValues ev;
            ck_assert(sd_eval(g, x, &ev) == SD_OK);
            double got[3] = {v, g0, g1}, want[3] = {ev.value[0], ev.deriv[0], nvars_of(b) > 1 ? ev.deriv[1] : 0};
            for (int q = 0; q < 3; q++) {
                if (!isfinite(want[q]) && !isfinite(got[q]))
                    continue;
                double scale = fmax(1, fabs(want[q]));
                ck_assert_msg(fabs(got[q] - want[q]) <= forms[k].tol * scale, "%s, %s kernel (%s) at (%.9g, %.9g), "
                              "%s: %.17g, the evaluator %.17g", builtin_info[b].name, forms[k].suffix, ccs[cc], x[0],
                              x[1], q ? "derivative" : "value", got[q], want[q]);
                compared++;
            }
            sd_values_free(&ev);
        }
        sd_result_free(g);
        sd_program_free(p);
        free(out);
        ck_assert_int_ge(compared, 3 * (BI_COUNT - 1) * KPOINTS * nforms);
        (void)lines;
    }
}
END_TEST

/* --- the special arguments ------------------------------------------------------------------ */

/* +-0, +-inf and NaN: every function has one value there (a limit, with
 * the sign of a zero that tends from below: silu(-inf) = -0, csch(-inf)
 * = -0) wherever it is computed: eval.c, the simplifier's folds, the
 * fuzzer's reference in long double and the generated kernels in double
 * and float.  Each of them feeds the next stage's signs (1/silu(-inf) is
 * -inf), so they must agree to the sign of a zero. */
static const double specials[] = {0.0, -0.0, INFINITY, -INFINITY, NAN};
enum { NSPECIAL = sizeof specials / sizeof *specials };

/* The arguments of row fn at special point i: the specials in x (and y), a
 * default in the optional argument, 2 in ifpos's third.  Returns the
 * number of arguments. */
static int special_args(int fn, int i, double a[3]) {
    const BuiltinInfo *r = &builtin_info[fn];
    a[0] = specials[nvars_of(fn) > 1 ? i / NSPECIAL : i];
    a[1] = nvars_of(fn) > 1 ? specials[i % NSPECIAL] : 0;
    a[2] = 2;
    Num d;
    if (builtin_default((Builtin)fn, &d))
        a[1] = num_value(d);
    return r->dflt ? 2 : r->min_args;
}

static int nspecial(int fn) { return nvars_of(fn) > 1 ? NSPECIAL * NSPECIAL : NSPECIAL; }

/* Equal as values at a special point: both NaN, or equal with the same
 * sign (of a zero too), within rel of each other when finite. */
static int same_special(double got, double want, double rel) {
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (signbit(got) != signbit(want))
        return 0;
    if (isinf(want) || isinf(got) || want == 0 || got == 0)
        return got == want;
    return fabs(got - want) <= rel * fabs(want);
}

static const char *special_text(double x) {
    return isnan(x) ? "NAN" : isinf(x) ? (x > 0 ? "INFINITY" : "-INFINITY") : signbit(x) ? "-0.0" : "0.0";
}

START_TEST(test_special_values) {
    int valgrind = getenv("SYMDIFF_VALGRIND") != NULL;
    for (int b = 0; b < BI_COUNT; b++) {
        if (b == BI_PI)
            continue;
        for (int i = 0; i < nspecial(b); i++) {
            double a[3];
            int n = special_args(b, i, a);
            long double la[3] = {a[0], a[1], a[2]};
            double want = eval_builtin((Builtin)b, a), ref = (double)gen_builtin_value(b, la, n);
            /* valgrind runs long double in 64 bits, where libm's x87 code
             * goes wrong (cbrtl(0), hypotl(inf, nan)): the reference is
             * compared natively only */
            ck_assert_msg(valgrind || same_special(ref, want, 1e-15),
                          "%s(%g, %g): the evaluator %g, the reference %g", builtin_info[b].name, a[0], a[1], want,
                          ref);
            /* a constant argument is +0 or finite: the folded call, where
             * the program is accepted at all */
            if (signbit(a[0]) || !(a[0] == 0) || (nvars_of(b) > 1 && (signbit(a[1]) || !(a[1] == 0))))
                continue;
            char text[96];
            snprintf(text, sizeof text, "%s(0%s%s) + 0*x", builtin_info[b].name, nvars_of(b) > 1 ? ", 0" : "",
                     b == BI_IFPOS ? ", 2" : "");
            SdProgram *p = NULL;
            if (sd_compile(text, strlen(text), NULL, &p) == SD_OK) {
                SdResult *f = derive_ok(p, SD_FUNCTION, SD_MODE_AUTO, 0);
                SdValues v;
                double x = 0;
                ck_assert(sd_eval(f, &x, &v) == SD_OK);
                ck_assert_msg(same_special(v.value[0], want, 1e-15), "%s = %g, the evaluator %g", text, v.value[0],
                              want);
                sd_values_free(&v);
                sd_result_free(f);
            } else {
                ck_assert_msg(!isfinite(want), "%s refused where the evaluator gives %g", text, want);
            }
            sd_program_free(p);
        }
    }
}
END_TEST

/* The same points through every function's kernel, double and float, in
 * one C file. */
START_TEST(test_special_values_kernels) {
    static const SdCType types[] = {SD_DOUBLE, SD_FLOAT};
    StrBuf all;
    sb_init(&all);
    sb_puts(&all, "#include <math.h>\n#include <stdio.h>\n");
    StrBuf driver;
    sb_init(&driver);
    sb_puts(&driver, "\nint main(void)\n{\n");
    for (int b = 0; b < BI_COUNT; b++) {
        if (b == BI_PI)
            continue;
        char text[96];
        call_text(text, sizeof text, b, 0);
        SdProgram *p = compile_ok(text);
        SdResult *g = derive_ok(p, SD_GRADIENT, SD_MODE_AUTO, 0);
        for (int t = 0; t < 2; t++) {
            char name[64];
            const char *T = t ? "float" : "double";
            snprintf(name, sizeof name, "s%d_%s", b, T);
            SdEmitOptions eo = {.name = name, .type = types[t], .kind = SD_EMIT_SYMBOLIC, .self_contained = 1};
            SdEmitted e;
            ck_assert_msg(sd_emit_c(g, &eo, &e) == SD_OK, "%s: %s", text, sd_error_message(p));
            sb_puts(&all, e.source);
            sd_emitted_free(&e);
            sb_printf(&driver, "    {\n        static const %s x[%d][2] = {", T, nspecial(b));
            for (int i = 0; i < nspecial(b); i++) {
                double a[3];
                special_args(b, i, a);
                sb_printf(&driver, "%s{(%s)%s, (%s)%s}", i ? ", " : "", T, special_text(a[0]), T,
                          special_text(nvars_of(b) > 1 ? a[1] : 0));
            }
            sb_printf(&driver, "};\n        for (int i = 0; i < %d; i++) {\n            %s g[2];\n"
                               "            printf(\"%d %d %%d %%a\\n\", i, (double)%s_grad(x[i], g));\n"
                               "        }\n    }\n",
                      nspecial(b), T, b, t, name);
        }
        sd_result_free(g);
        sd_program_free(p);
    }
    sb_puts(&driver, "    return 0;\n}\n");
    sb_puts(&all, sb_str(&driver));
    char *c = path_join(dir, "specials.c");
    write_file(c, sb_str(&all));
    free(c);
    sb_free(&all);
    sb_free(&driver);
    int compared = 0;
    for (int cc = 0; cc < 2; cc++) {
        char *out = compile_and_run(ccs[cc], "specials");
        if (!out)
            continue;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
            int b, t, i;
            char num[64];
            ck_assert(sscanf(line, "%d %d %d %63s", &b, &t, &i, num) == 4);
            double got = strtod(num, NULL), a[3];
            special_args(b, i, a);
            double want = eval_builtin((Builtin)b, a);
            if (t)
                want = (float)want;
            ck_assert_msg(same_special(got, want, t ? 1e-6 : 1e-15), "%s(%g, %g), %s kernel (%s): %g, the evaluator %g",
                          builtin_info[b].name, a[0], a[1], t ? "float" : "double", ccs[cc], got, want);
            compared++;
        }
        free(out);
    }
    ck_assert_int_gt(compared, 0);
}
END_TEST

Suite *functions_suite(void); /* called by tests/runner.c */

Suite *functions_suite(void) {
    Suite *s = suite_create("functions");
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, test_table_rows, 0, BI_COUNT);
    tcase_add_test(tc, test_table_names);
    tcase_add_loop_test(tc, test_index_near_misses, 0, BI_COUNT);
    tcase_add_test(tc, test_domains);
    tcase_add_test(tc, test_documented);
    suite_add_tcase(s, tc);
    tc = tcase_create("math");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_derivatives_vs_differences, 0, BI_COUNT);
    tcase_add_loop_test(tc, test_reference_values, 0, (int)(sizeof references / sizeof *references));
    tcase_add_test(tc, test_references_cover_new_functions);
    tcase_add_test(tc, test_nan_in_nan_out);
    tcase_add_test(tc, test_special_values);
    tcase_add_loop_test(tc, test_folding, 0, BI_COUNT);
    tcase_add_test(tc, test_exact_folds);
    tcase_add_loop_test(tc, test_domain_errors, 0, BI_COUNT);
    tcase_add_loop_test(tc, test_latex_and_trace, 0, BI_COUNT);
    suite_add_tcase(s, tc);
    tc = tcase_create("kernels");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, kernels_setup, kernels_teardown);
    tcase_add_test(tc, test_kernels);
    tcase_add_test(tc, test_special_values_kernels);
    suite_add_tcase(s, tc);
    return s;
}
