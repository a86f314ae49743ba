/* SPDX-License-Identifier: MIT */
/*
 * main.c — the symdiff command line, a client of symdiff.h.
 *
 * Options in; then the stages, each one call of the library:
 *
 *   read -> sd_compile -> sd_derive -> [sd_dot | sd_trace | sd_emit_c |
 *           sd_eval, sd_check] -> sd_print -> write
 *
 * This file parses the options, checks how they combine (one table),
 * writes what the library returns (standard output, or files replaced
 * atomically) and picks the exit status: 0 success, 1 error in the input,
 * 2 usage error, 3 a --check that failed.
 */
#define _XOPEN_SOURCE 700 /* realpath, fchmod */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "symdiff.h"

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_CHECK = 3 };

/* One item of a list option: NAME, or NAME=VALUE (see parse_list). */
typedef struct ListItem {
    char *name;
    char *value; /* NULL in a list of names */
} ListItem;

typedef struct List {
    ListItem *items;
    int n, cap;
} List;

/* The most rows of Baydin's table (--demo baydin=N). */
#define DEMO_BAYDIN_MAX 8

typedef struct Options {
    const char *program;   /* program text from the command line       */
    const char *file;      /* -f FILE ("-" for stdin)                  */
    const char *output;    /* -o FILE (NULL: standard output)          */
    List vars_list, wrt_list, define_list, sweep_list; /* as given     */
    const char **vars;     /* --vars: the names of vars_list           */
    int nvars;
    const char **wrt;      /* --wrt                                    */
    int nwrt;
    List at;               /* --at x=1,y=2 (values checked for form)   */
    const char *at_text;   /* ... as written, for sd_point_parse       */
    SdDefine *defines;     /* -D name=value, every -D together         */
    int ndefines;
    int json, simplify_only, latex, hessian, expand, together, check, stats;
    int dump;              /* --dump STAGE (--print: parse) + 1, 0: none */
    int order;
    const char *name;      /* --name: prefix of generated functions     */
    int use_float;         /* --type float                              */
    int emit_c, emit_test; /* --emit c (or an AD kind), --emit-test     */
    SdEmitKind emit_kind;
    int unroll;            /* --unroll: tensor kernels without loops    */
    int blas;              /* --blas cblas: products by cblas_?gemm     */
    int emit_main;         /* --emit-main train                         */
    /* teaching (docs/teaching.md) */
    int swell, trace, factor; /* --swell, --trace, --factor               */
    const char *sweep_name;   /* --sweep NAME=A..B: NAME (in sweep_list)  */
    long sweep_lo, sweep_hi;
    const char *plot;         /* --plot FILE.svg (with --sweep)           */
    const char *dot;          /* --dot FILE                               */
    const char *dot_tree;     /* --dot-tree FILE                          */
    const char *plot_title;   /* --plot-title TEXT                        */
    int plot_width, plot_height; /* --plot-size WxH                       */
    int dot_shared_constants; /* --dot-shared-constants                   */
    int demo, demo_n;         /* --demo baydin[=N] or pitfalls            */
    /* the files C output derives from -o NAME.c (plan_outputs) */
    char *header_path, *test_path, *main_path;
    char *command_line;    /* for the generated header                  */
    SdMode mode;
    double kink;
    long max_nodes;
    double tol;
    int samples;
    unsigned long seed;
} Options;

/* --- small utilities --------------------------------------------------------- */

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "symdiff: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'symdiff --help' for more information.\n");
    va_end(ap);
}

/* For the allocations of this file that fail: the message, then exit 1. */
static int out_of_memory(void) {
    fprintf(stderr, "symdiff: error: out of memory\n");
    return EXIT_INPUT;
}

static char *dup_string(const char *s) {
    char *d = malloc(strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

static char *dup_span(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int valid_name(const char *s) {
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return 0;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* --- options ----------------------------------------------------------------- */

static void print_help(void) {
    fputs("usage: symdiff [options] 'program'\n"
          "       symdiff [options] -f FILE\n"
          "\n"
          "Differentiates a program symbolically and prints its simplified derivatives.\n"
          "\n"
          "input and output:\n"
          "  -f, --file FILE       read the program from FILE ('-' reads stdin)\n"
          "  -o, --output FILE     write the result to FILE (replaced atomically; - is\n"
          "                        standard output)\n"
          "  -D, --define N=V,...  bind the name N to the constant V (e.g. a repeat count)\n"
          "\n"
          "what to compute:\n"
          "      --vars A,B,...    the variables, in this order (default: order of first use)\n"
          "      --wrt A,B,...     differentiate with respect to these variables only\n"
          "      --at X=V,Y=W      evaluate the value and the derivatives at this point\n"
          "      --hessian         the Hessian matrix of a scalar program\n"
          "      --order N         the N-th derivative (one variable)\n"
          "      --simplify        print the simplified program instead of derivatives\n"
          "      --expand          expand polynomials fully (teaching; not for code)\n"
          "      --together        the textbook form: fractions over a common denominator,\n"
          "                        common factors cancelled (teaching; not for code)\n"
          "      --check           compare the derivatives with finite differences at\n"
          "                        random points (exit status 3 above --tol)\n"
          "      --tol T           tolerance of --check (default 1e-6)\n"
          "      --samples N       points tried by --check (default 20)\n"
          "      --seed S          random seed of --check (default 1)\n"
          "      --mode M          engine: auto (default: the smaller result), forward,\n"
          "                        or reverse\n"
          "      --kink S          derivative taken at kinks: relu'(0), max/min ties\n"
          "                        (default 0)\n"
          "\n"
          "C code:\n"
          "  -o NAME.c             write a C99 kernel NAME.c and its header NAME.h\n"
          "      --emit c          write the C code (to stdout without -o)\n"
          "      --emit forward-ad C for forward-mode AD (dual numbers) of the program's\n"
          "                        own code, same entry points as --emit c\n"
          "      --emit reverse-ad C for reverse-mode AD (forward sweep, adjoint sweep)\n"
          "      --name F          entry points F, F_grad, F_hess, F_jac (default f)\n"
          "      --type T          double (default) or float\n"
          "      --unroll          vectors and matrices as straight-line code, no loops\n"
          "                        (for small fixed sizes)\n"
          "      --blas cblas      products of matrices by cblas_dgemm/cblas_sgemm (link\n"
          "                        with a CBLAS: -lopenblas or -lblas); default: loops\n"
          "      --emit-test       also write NAME_test.c, a finite-difference check\n"
          "      --emit-main train also write NAME_main.c, a training program for a loss\n"
          "                        whose data are declared with 'input'\n"
          "\n",
          stdout);
    /* (in two strings: C99 compilers need support only 4095 characters) */
    fputs("teaching (see docs/teaching.md):\n"
          "      --swell           sizes of the derivative by every method: naive\n"
          "                        symbolic tree, simplified, shared DAG, forward and\n"
          "                        reverse AD, finite differences (values with --at)\n"
          "      --sweep N=A..B    --swell for each whole N from A to B (a name the\n"
          "                        program uses, e.g. a repeat count)\n"
          "      --plot FILE.svg   with --sweep: a log-scale chart of the sizes (SVG)\n"
          "      --plot-title TEXT the chart's title\n"
          "      --plot-size WxH   the chart's size in pixels (type scales with it),\n"
          "                        e.g. 1280x720 for a slide\n"
          "      --dot FILE        Graphviz DOT of the function and derivative DAGs\n"
          "                        (FILE ends in .dot or .gv; each use of a constant a\n"
          "                        small leaf of its own)\n"
          "      --dot-tree FILE   the same written out as trees (small programs)\n"
          "      --dot-shared-constants  with --dot: one node per distinct constant\n"
          "      --trace           the derivation, rule by rule (small programs)\n"
          "      --factor          derivatives of one-variable polynomials, factored\n"
          "      --demo baydin[=N] Baydin et al.'s Table 1 (logistic map), rows 1..N\n"
          "      --demo pitfalls   expanded vs nested evaluation, finite-difference steps\n"
          "\n"
          "output format:\n"
          "      --json            one JSON object: vars, value, gradient, derivatives, ...\n"
          "      --latex           LaTeX instead of plain text\n"
          "      --print           echo the parsed program and stop\n"
          "      --dump STAGE      print the program after a stage and stop: parse (what\n"
          "                        print shows), lower (the DAG, a node per line) or\n"
          "                        derive (the DAG of the function and its derivatives)\n"
          "      --stats           node counts and timings on stderr\n"
          "      --max-nodes N     refuse to build more than N nodes (default 50000000)\n"
          "  -h, --help            this help\n"
          "  -V, --version         the version\n"
          "\n"
          "Lists (--vars, --wrt, --at, -D) are items separated by commas; an empty item,\n"
          "a malformed one or a name given twice is a usage error.  Every option is\n"
          "given once, except -D.  An output FILE of - is standard output; no output\n"
          "may be the input file or another output.\n"
          "\n"
          "exit status: 0 success, 1 error in the input, 2 usage error, 3 --check failed\n",
          stdout);
}

enum {
    OPT_VARS = 256, OPT_WRT, OPT_AT, OPT_JSON, OPT_PRINT, OPT_SIMPLIFY, OPT_LATEX, OPT_HESSIAN,
    OPT_ORDER, OPT_EXPAND, OPT_TOGETHER, OPT_CHECK, OPT_MODE, OPT_KINK, OPT_MAX_NODES, OPT_TOL, OPT_SAMPLES,
    OPT_SEED, OPT_STATS, OPT_NAME, OPT_TYPE, OPT_EMIT, OPT_EMIT_TEST, OPT_EMIT_MAIN, OPT_UNROLL,
    OPT_SWELL, OPT_SWEEP, OPT_PLOT, OPT_DOT, OPT_DOT_TREE, OPT_TRACE, OPT_FACTOR, OPT_DEMO,
    OPT_DUMP, OPT_PLOT_TITLE, OPT_PLOT_SIZE, OPT_DOT_SHARED, OPT_BLAS,
    OPT_LAST /* one past the last */
};

static const struct option long_options[] = {
    {"file", required_argument, NULL, 'f'},    {"output", required_argument, NULL, 'o'},
    {"define", required_argument, NULL, 'D'},  {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},       {"vars", required_argument, NULL, OPT_VARS},
    {"wrt", required_argument, NULL, OPT_WRT}, {"at", required_argument, NULL, OPT_AT},
    {"json", no_argument, NULL, OPT_JSON},     {"print", no_argument, NULL, OPT_PRINT},
    {"simplify", no_argument, NULL, OPT_SIMPLIFY}, {"latex", no_argument, NULL, OPT_LATEX},
    {"hessian", no_argument, NULL, OPT_HESSIAN}, {"order", required_argument, NULL, OPT_ORDER},
    {"expand", no_argument, NULL, OPT_EXPAND}, {"together", no_argument, NULL, OPT_TOGETHER},
    {"check", no_argument, NULL, OPT_CHECK},
    {"mode", required_argument, NULL, OPT_MODE}, {"kink", required_argument, NULL, OPT_KINK},
    {"max-nodes", required_argument, NULL, OPT_MAX_NODES},
    {"tol", required_argument, NULL, OPT_TOL}, {"samples", required_argument, NULL, OPT_SAMPLES},
    {"seed", required_argument, NULL, OPT_SEED}, {"stats", no_argument, NULL, OPT_STATS},
    {"name", required_argument, NULL, OPT_NAME}, {"type", required_argument, NULL, OPT_TYPE},
    {"emit", required_argument, NULL, OPT_EMIT}, {"emit-test", no_argument, NULL, OPT_EMIT_TEST},
    {"unroll", no_argument, NULL, OPT_UNROLL}, {"blas", required_argument, NULL, OPT_BLAS},
    {"emit-main", required_argument, NULL, OPT_EMIT_MAIN},
    {"swell", no_argument, NULL, OPT_SWELL},   {"sweep", required_argument, NULL, OPT_SWEEP},
    {"plot", required_argument, NULL, OPT_PLOT}, {"dot", required_argument, NULL, OPT_DOT},
    {"dot-tree", required_argument, NULL, OPT_DOT_TREE}, {"trace", no_argument, NULL, OPT_TRACE},
    {"factor", no_argument, NULL, OPT_FACTOR}, {"demo", required_argument, NULL, OPT_DEMO},
    {"dump", required_argument, NULL, OPT_DUMP},
    {"plot-title", required_argument, NULL, OPT_PLOT_TITLE},
    {"plot-size", required_argument, NULL, OPT_PLOT_SIZE},
    {"dot-shared-constants", no_argument, NULL, OPT_DOT_SHARED},
    {NULL, 0, NULL, 0}};

static int parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return *s && *end == '\0' && errno == 0 && isfinite(*out);
}

static int parse_long(const char *s, long *out) {
    char *end;
    errno = 0;
    *out = strtol(s, &end, 10);
    return *s && *end == '\0' && errno == 0;
}

/* Does this argument look like an option rather than a program that
 * starts with a minus sign ('-x^2')? */
static int looks_like_option(const char *arg) {
    if (arg[0] != '-' || arg[1] == '\0')
        return 0;
    if (arg[1] == '-')
        return 1;
    /* a lone letter (-v, -q) is an option, known or not: write -- -v for
     * the program "-v" */
    if (arg[2] == '\0' && ((arg[1] >= 'a' && arg[1] <= 'z') || (arg[1] >= 'A' && arg[1] <= 'Z')))
        return 1;
    return strchr("foDhV", arg[1]) != NULL;
}

/* Moves a program written as '-x^2' out of getopt's way: it becomes the
 * program text, so `symdiff --at x=3 '-x^2'` works without `--`. */
static void take_negative_program(int *argc, char **argv, Options *o) {
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return;
        if (a[0] == '-' && a[1] != '\0' && !looks_like_option(a) && !o->program) {
            o->program = argv[i];
            memmove(argv + i, argv + i + 1, (size_t)(*argc - i - 1) * sizeof *argv);
            (*argc)--;
            argv[*argc] = NULL;
            return;
        }
        /* skip the value of an option that takes one */
        if ((strcmp(a, "-f") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "-D") == 0) ||
            (a[0] == '-' && a[1] == '-' && !strchr(a, '='))) {
            for (const struct option *lo = long_options; lo->name; lo++)
                if (lo->has_arg == required_argument && a[1] == '-' && strcmp(a + 2, lo->name) == 0)
                    i++;
            if (a[1] != '-')
                i++;
        }
    }
}

enum { DEMO_BAYDIN = 1, DEMO_PITFALLS };

/* --- lists: --vars, --wrt, --at, -D, --sweep ------------------------------------
 *
 * Every option whose value is a list reads it with parse_list, under one
 * set of rules: items are separated by commas outside brackets (so that
 * --at 'W=[[1,2],[3,4]], x=[1,0]' has two items); blanks around an item
 * and around its '=' are ignored; an item is NAME, or NAME=VALUE where
 * the option takes values.  An empty list, an empty item ('x,,y', a
 * trailing comma), a name that is not a name, a missing or unwanted '=',
 * a value of the wrong form and a name given twice are usage errors. */

typedef struct ListRule {
    const char *option; /* as named in messages                         */
    const char *noun;   /* what an item's name is: "variable name"       */
    int values;         /* NAME=VALUE items (else NAME)                  */
    int one;            /* exactly one item                              */
    /* NULL when `value` has the form the option takes, else what it is
     * not, for the message ("not a number") */
    const char *(*check)(const char *value);
    /* when set, every malformed item gets this one message: "needs
     * <usage>, got '...'" */
    const char *usage;
} ListRule;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Shrinks the span s[0..*n) by the blanks at either end. */
static void trim(const char **s, size_t *n) {
    while (*n && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_blank((*s)[*n - 1]))
        (*n)--;
}

static void list_free(List *l) {
    for (int i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

/* Appends one item to `list`, taking `name` and `value`; -1 when out of
 * memory (both are freed). */
static int list_push(List *list, char *name, char *value) {
    if (list->n == list->cap) {
        int cap = list->cap ? 2 * list->cap : 8;
        ListItem *p = realloc(list->items, (size_t)cap * sizeof *p);
        if (!p) {
            free(name);
            free(value);
            return -1;
        }
        list->items = p;
        list->cap = cap;
    }
    list->items[list->n].name = name;
    list->items[list->n++].value = value;
    return 0;
}

/* "1280x720" into a width and a height in pixels (200 .. 10000 each, the
 * range plot.c draws). */
static int parse_size(const char *arg, int *width, int *height) {
    const char *x = strchr(arg, 'x');
    if (!x || x == arg || strlen(x + 1) == 0 || strlen(arg) > 32)
        return -1;
    char w[40];
    memcpy(w, arg, (size_t)(x - arg));
    w[x - arg] = '\0';
    long lw, lh;
    if (!parse_long(w, &lw) || !parse_long(x + 1, &lh) || lw < 200 || lw > 10000 || lh < 200 ||
        lh > 10000)
        return -1;
    *width = (int)lw;
    *height = (int)lh;
    return 0;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A name the list holds twice, or NULL (sorted, so that a list of 10^5
 * names costs no 10^10 comparisons); *oom on a failed allocation. */
static const char *list_repeat(const List *list, int *oom) {
    const char **names = malloc((size_t)(list->n ? list->n : 1) * sizeof *names);
    const char *twice = NULL;
    *oom = !names;
    for (int i = 0; names && i < list->n; i++)
        names[i] = list->items[i].name;
    if (names)
        qsort(names, (size_t)list->n, sizeof *names, compare_names);
    for (int i = 1; names && i < list->n && !twice; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            twice = names[i];
    free(names);
    return twice;
}

/* Appends the items of `text` to `list` (which may hold the items of an
 * earlier -D: a name may not repeat across them either).  Returns 0, or
 * an exit status after the message. */
static int parse_list(const ListRule *rule, const char *text, List *list) {
    const char *all = text;
    size_t all_len = strlen(text);
    trim(&all, &all_len);
    if (all_len == 0) {
        usage_error("%s needs %s, got '%s'", rule->option,
                    rule->usage ? rule->usage : rule->values ? "NAME=VALUE pairs" : "a list of names",
                    text);
        return EXIT_USAGE;
    }
    int count = 0;
    for (const char *p = text;; p++) {
        const char *item = p;
        for (int depth = 0; *p && (depth > 0 || *p != ','); p++)
            depth += *p == '[' ? 1 : *p == ']' && depth > 0 ? -1 : 0;
        size_t len = (size_t)(p - item);
        trim(&item, &len);
        if (len == 0) {
            usage_error("%s: an empty item in '%s'", rule->option, text);
            return EXIT_USAGE;
        }
        const char *eq = memchr(item, '=', len), *name = item;
        size_t name_len = eq ? (size_t)(eq - item) : len;
        trim(&name, &name_len);
        if (rule->values && (!eq || name_len == 0)) {
            if (rule->usage)
                usage_error("%s needs %s, got '%s'", rule->option, rule->usage, text);
            else
                usage_error("%s needs NAME=VALUE pairs, got '%.*s'", rule->option, (int)len, item);
            return EXIT_USAGE;
        }
        const char *value = eq ? eq + 1 : NULL;
        size_t value_len = eq ? (size_t)(item + len - value) : 0;
        if (value)
            trim(&value, &value_len);
        char *n = dup_span(name, name_len), *v = value ? dup_span(value, value_len) : NULL;
        if (!n || (value && !v)) {
            free(n);
            free(v);
            return out_of_memory();
        }
        const char *wrong = NULL;
        int bad = 1;
        if (rule->usage && (!valid_name(n) || (v && rule->check(v))))
            usage_error("%s needs %s, got '%s'", rule->option, rule->usage, text);
        else if (!rule->values && eq)
            usage_error("%s: not a %s: '%.*s'", rule->option, rule->noun, (int)len, item);
        else if (!valid_name(n))
            usage_error("%s: not a %s: '%s'", rule->option, rule->noun, n);
        else if (v && rule->check && (wrong = rule->check(v)) != NULL)
            usage_error("%s: %s: '%s'", rule->option, wrong, v);
        else
            bad = 0;
        if (bad) {
            free(n);
            free(v);
            return EXIT_USAGE;
        }
        if (list_push(list, n, v) != 0)
            return out_of_memory();
        count++;
        if (!*p)
            break;
    }
    if (rule->one && count > 1) {
        usage_error("%s needs %s, got '%s'", rule->option, rule->usage, text);
        return EXIT_USAGE;
    }
    int oom;
    const char *twice = list_repeat(list, &oom);
    if (oom)
        return out_of_memory();
    if (twice) {
        usage_error("%s: '%s' is given twice", rule->option, twice);
        return EXIT_USAGE;
    }
    return 0;
}

static const char *check_number(const char *value) {
    double v;
    return parse_double(value, &v) ? NULL : "not a number";
}

static const char *check_at_value(const char *value) {
    long n;
    SdShape s;
    if (value[0] != '[')
        return check_number(value);
    long used = sd_value_parse(value, NULL, 0, &n, &s);
    return used >= 0 && value[used] == '\0' ? NULL
                                             : "not a list of numbers ([a, b, ...] or [[a, b], [c, d]])";
}

/* A..B of --sweep, into lo and hi; 0 when well-formed. */
static int sweep_range(const char *value, long *lo, long *hi) {
    const char *dots = strstr(value, "..");
    char *a = dots ? dup_span(value, (size_t)(dots - value)) : NULL;
    int ok = a && parse_long(a, lo) && parse_long(dots + 2, hi) && *lo >= 0 && *lo <= *hi &&
             *hi - *lo < 10000;
    free(a);
    return ok;
}

static const char *check_sweep(const char *value) {
    long lo, hi;
    return sweep_range(value, &lo, &hi) ? NULL : "not a range";
}

static const ListRule vars_rule = {"--vars", "variable name", 0, 0, NULL, NULL};
static const ListRule wrt_rule = {"--wrt", "variable name", 0, 0, NULL, NULL};
static const ListRule at_rule = {"--at", "variable name", 1, 0, check_at_value, NULL};
static const ListRule define_rule = {"--define", "name", 1, 0, check_number, NULL};
static const ListRule sweep_rule = {"--sweep", "name", 1, 1, check_sweep,
                                    "NAME=A..B with whole numbers 0 <= A <= B, B - A < 10000"};

/* The names of a list, as an array that points into it; NULL when out of
 * memory. */
static const char **list_names(const List *l) {
    const char **v = malloc((size_t)(l->n ? l->n : 1) * sizeof *v);
    for (int i = 0; v && i < l->n; i++)
        v[i] = l->items[i].name;
    return v;
}

/* --- output files ------------------------------------------------------------------
 *
 * Every file a run writes is known before anything is written: -o, the
 * header, test and training programs derived from -o NAME.c, --dot,
 * --dot-tree and --plot.  "-" names standard output, which is also where
 * the result goes without -o.  plan_outputs checks them all before the
 * run: an output that is the input (-f), two outputs that are one file
 * (the same device and inode where the file exists, the same path with
 * its directory resolved where it does not), and two outputs to standard
 * output are usage errors, so that no run overwrites its own input or
 * loses one of its outputs.  Where a format is implied by the extension it
 * must be the format written: --plot writes SVG (NAME.svg), --dot and
 * --dot-tree write Graphviz DOT (NAME.dot or NAME.gv), and C goes to
 * NAME.c with its header NAME.h. */

/* Does path end in ext (compared without regard to case)? */
static int has_extension(const char *path, const char *ext) {
    size_t n = strlen(path), k = strlen(ext);
    if (n <= k || path[n - k - 1] == '/')
        return 0;
    for (size_t i = 0; i < k; i++) {
        char a = path[n - k + i], b = ext[i];
        if ((a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) != b)
            return 0;
    }
    return 1;
}

/* "dir/name.c" -> "dir/name" + suffix */
static char *sibling_path(const char *c_path, const char *suffix) {
    size_t len = strlen(c_path);
    if (has_extension(c_path, ".c"))
        len -= 2;
    char *p = malloc(len + strlen(suffix) + 1);
    if (p) {
        memcpy(p, c_path, len);
        strcpy(p + len, suffix);
    }
    return p;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* What identifies a file: its device and inode when it exists, else its
 * path with the directory resolved.  Standard output has no path; when it
 * is redirected to a file, it has that file's device and inode. */
typedef struct FileId {
    const char *what; /* the option that names it, for messages     */
    const char *path; /* as given; NULL for standard output        */
    int exists;
    dev_t dev;
    ino_t ino;
    char *resolved;
} FileId;

static int file_id(FileId *id, const char *what, const char *path) {
    struct stat st;
    memset(id, 0, sizeof *id);
    id->what = what;
    id->path = path;
    /* standard output redirected to a file is that file too */
    if (path ? stat(path, &st) == 0 : fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
        id->exists = 1;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return 0;
    }
    if (!path)
        return 0;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? dup_span(path, slash == path ? 1 : (size_t)(slash - path)) : dup_string(".");
    char *real = dir ? realpath(dir, NULL) : NULL;
    const char *base = slash ? slash + 1 : path;
    if (real) {
        id->resolved = malloc(strlen(real) + strlen(base) + 2);
        if (id->resolved)
            sprintf(id->resolved, "%s/%s", real, base);
    } else {
        id->resolved = dup_string(path); /* the directory is missing: writing fails anyway */
    }
    free(dir);
    free(real);
    return id->resolved ? 0 : -1;
}

static int same_file(const FileId *a, const FileId *b) {
    if (!a->path && !b->path)
        return 1;
    if (a->exists || b->exists)
        return a->exists && b->exists && a->dev == b->dev && a->ino == b->ino;
    return a->path && b->path && strcmp(a->resolved, b->resolved) == 0;
}

/* Derives the paths of C output, checks the extensions and then every
 * output against the input and against each other.  Returns 0 or an exit
 * status after the message. */
static int plan_outputs(Options *o) {
    if (o->plot && strcmp(o->plot, "-") != 0 && !has_extension(o->plot, ".svg")) {
        usage_error("--plot writes SVG: give it a file NAME.svg (or - for standard output), got '%s'",
                    o->plot);
        return EXIT_USAGE;
    }
    const char *dots[2] = {o->dot, o->dot_tree};
    for (int i = 0; i < 2; i++)
        if (dots[i] && strcmp(dots[i], "-") != 0 && !has_extension(dots[i], ".dot") &&
            !has_extension(dots[i], ".gv")) {
            usage_error("%s writes Graphviz DOT: give it a file NAME.dot or NAME.gv (or - for standard "
                        "output), got '%s'; 'dot -Tpng NAME.dot -o NAME.png' draws it",
                        i ? "--dot-tree" : "--dot", dots[i]);
            return EXIT_USAGE;
        }
    if (o->emit_c && o->output && has_extension(o->output, ".h")) {
        usage_error("C output: -o names the .c file, and its header is derived from it (-o NAME.c "
                    "writes NAME.c and NAME.h), got '%s'", o->output);
        return EXIT_USAGE;
    }
    if (o->emit_c && o->output) {
        o->header_path = sibling_path(o->output, ".h");
        o->test_path = o->emit_test ? sibling_path(o->output, "_test.c") : NULL;
        o->main_path = o->emit_main ? sibling_path(o->output, "_main.c") : NULL;
        if (!o->header_path || (o->emit_test && !o->test_path) || (o->emit_main && !o->main_path))
            return out_of_memory();
    }
    /* every output, "-" (standard output) as NULL */
    struct {
        const char *what, *path;
        int wanted;
    } outs[] = {
        {o->output ? "-o" : "the result (standard output)", o->output, 1},
        {"the header of -o", o->header_path, o->header_path != NULL},
        {"the test program of --emit-test", o->test_path, o->test_path != NULL},
        {"the training program of --emit-main", o->main_path, o->main_path != NULL},
        {"--dot", o->dot, o->dot != NULL},
        {"--dot-tree", o->dot_tree, o->dot_tree != NULL},
        {"--plot", o->plot, o->plot != NULL},
    };
    enum { NOUT = sizeof outs / sizeof outs[0] };
    FileId ids[NOUT + 1];
    int n = 0, status = 0;
    int has_input = o->file && strcmp(o->file, "-") != 0;
    if (has_input && file_id(&ids[n++], "the input (-f)", o->file) != 0)
        status = out_of_memory();
    for (size_t i = 0; i < NOUT && status == 0; i++) {
        if (!outs[i].wanted)
            continue;
        const char *path = outs[i].path && strcmp(outs[i].path, "-") != 0 ? outs[i].path : NULL;
        if (file_id(&ids[n++], outs[i].what, path) != 0)
            status = out_of_memory();
    }
    for (int j = has_input; j < n && status == 0; j++) {
        /* as write_files_atomically says it, before anything is written */
        struct stat st;
        if (ids[j].path && ids[j].exists && stat(ids[j].path, &st) == 0 && !S_ISREG(st.st_mode)) {
            fprintf(stderr, "symdiff: error: cannot write '%s': %s\n", ids[j].path,
                    S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
            status = EXIT_INPUT;
        }
        for (int i = 0; i < j && status == 0; i++) {
            if (!same_file(&ids[i], &ids[j]))
                continue;
            if (!ids[i].path || !ids[j].path)
                usage_error("%s and %s both go to standard output: give one of them a file",
                            ids[i].what, ids[j].what);
            else if (has_input && i == 0)
                usage_error("%s '%s' is the input file: it would be overwritten", ids[j].what,
                            ids[j].path);
            else
                usage_error("%s '%s' and %s '%s' are the same file", ids[i].what, ids[i].path,
                            ids[j].what, ids[j].path);
            status = EXIT_USAGE;
        }
    }
    for (int i = 0; i < n; i++)
        free(ids[i].resolved);
    return status;
}

/* --- parsing the options ---------------------------------------------------------- */

/* How an option is named in messages: "--vars", "-o (--output)". */
static const char *option_label(int c, char *buf, size_t size) {
    for (const struct option *lo = long_options; lo->name; lo++)
        if (lo->val == c) {
            if (c < 256)
                snprintf(buf, size, "-%c (--%s)", c, lo->name);
            else
                snprintf(buf, size, "--%s", lo->name);
            return buf;
        }
    snprintf(buf, size, "-%c", c);
    return buf;
}

/* Returns 0 to continue, or an exit status (with -1 meaning exit 0). */
static int parse_options(int argc, char **argv, Options *o) {
    int c;
    take_negative_program(&argc, argv, o);
    long lv;
    int status;
    /* how often each option was given: every option may be given once,
     * except -D, whose items add up (a name still only once) */
    unsigned char seen[OPT_LAST];
    memset(seen, 0, sizeof seen);
    o->mode = SD_MODE_AUTO;
    o->order = 1;
    o->max_nodes = 50000000;
    o->tol = 1e-6;
    o->samples = 20;
    o->seed = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:o:D:hV", long_options, NULL)) != -1) {
        /* "--at -f prog.sd": the next option taken as the value (a value
         * written as "--at=..." is what it says) */
        if ((c == OPT_AT || c == OPT_VARS || c == OPT_WRT || c == OPT_SWEEP || c == 'D') &&
            optarg[0] == '-' && optind >= 2 && optarg == argv[optind - 1]) {
            usage_error("option '%s' needs a value", argv[optind - 2]);
            return EXIT_USAGE;
        }
        if (c != ':' && c != '?' && c != 'D' && c >= 0 && c < OPT_LAST && seen[c]++) {
            char label[64];
            usage_error("%s is given twice (every option is given once; only -D may repeat)",
                        option_label(c, label, sizeof label));
            return EXIT_USAGE;
        }
        switch (c) {
        case 'f':
            o->file = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'D':
            if ((status = parse_list(&define_rule, optarg, &o->define_list)) != 0)
                return status;
            break;
        case 'h':
            print_help();
            return -1;
        case 'V':
            printf("symdiff %s\n", sd_version());
            return -1;
        case OPT_VARS:
            if ((status = parse_list(&vars_rule, optarg, &o->vars_list)) != 0)
                return status;
            break;
        case OPT_WRT:
            if ((status = parse_list(&wrt_rule, optarg, &o->wrt_list)) != 0)
                return status;
            break;
        case OPT_AT:
            if ((status = parse_list(&at_rule, optarg, &o->at)) != 0)
                return status;
            o->at_text = optarg;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_PRINT:
            o->dump = 1 + SD_STAGE_PARSE;
            break;
        case OPT_DUMP:
            if (strcmp(optarg, "parse") == 0)
                o->dump = 1 + SD_STAGE_PARSE;
            else if (strcmp(optarg, "lower") == 0)
                o->dump = 1 + SD_STAGE_LOWER;
            else if (strcmp(optarg, "derive") == 0)
                o->dump = 1 + SD_STAGE_DERIVE;
            else {
                usage_error("--dump takes parse, lower or derive, not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_SIMPLIFY:
            o->simplify_only = 1;
            break;
        case OPT_LATEX:
            o->latex = 1;
            break;
        case OPT_HESSIAN:
            o->hessian = 1;
            break;
        case OPT_ORDER:
            if (!parse_long(optarg, &lv) || lv < 1 || lv > 64) {
                usage_error("--order needs a whole number from 1 to 64, got '%s'", optarg);
                return EXIT_USAGE;
            }
            o->order = (int)lv;
            break;
        case OPT_TOGETHER:
            o->together = 1;
            break;
        case OPT_EXPAND:
            o->expand = 1;
            break;
        case OPT_CHECK:
            o->check = 1;
            break;
        case OPT_STATS:
            o->stats = 1;
            break;
        case OPT_NAME: {
            const char *why = sd_c_name_problem(optarg);
            if (why) {
                usage_error("--name: '%.80s' %s; choose another name", optarg, why);
                return EXIT_USAGE;
            }
            o->name = optarg;
            break;
        }
        case OPT_TYPE:
            if (strcmp(optarg, "double") == 0)
                o->use_float = 0;
            else if (strcmp(optarg, "float") == 0)
                o->use_float = 1;
            else {
                usage_error("--type is double or float, not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_EMIT:
            o->emit_c = 1;
            if (strcmp(optarg, "c") == 0) {
                o->emit_kind = SD_EMIT_SYMBOLIC;
            } else if (strcmp(optarg, "forward-ad") == 0) {
                o->emit_kind = SD_EMIT_FORWARD_AD;
            } else if (strcmp(optarg, "reverse-ad") == 0) {
                o->emit_kind = SD_EMIT_REVERSE_AD;
            } else {
                usage_error("--emit takes 'c', 'forward-ad' or 'reverse-ad', not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_EMIT_TEST:
            o->emit_test = 1;
            break;
        case OPT_UNROLL:
            o->unroll = 1;
            break;
        case OPT_BLAS:
            if (strcmp(optarg, "cblas") == 0)
                o->blas = 1;
            else if (strcmp(optarg, "none") != 0) {
                usage_error("--blas takes 'cblas' (or 'none', the default), not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_EMIT_MAIN:
            if (strcmp(optarg, "train") != 0) {
                usage_error("--emit-main takes 'train', not '%s'", optarg);
                return EXIT_USAGE;
            }
            o->emit_main = 1;
            break;
        case OPT_MODE:
            if (strcmp(optarg, "auto") == 0)
                o->mode = SD_MODE_AUTO;
            else if (strcmp(optarg, "forward") == 0)
                o->mode = SD_MODE_FORWARD;
            else if (strcmp(optarg, "reverse") == 0)
                o->mode = SD_MODE_REVERSE;
            else {
                usage_error("--mode is auto, forward or reverse, not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_KINK:
            if (!parse_double(optarg, &o->kink) || o->kink < 0 || o->kink > 1) {
                usage_error("--kink needs a number from 0 to 1, got '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_MAX_NODES:
            if (!parse_long(optarg, &lv) || lv < 1) {
                usage_error("--max-nodes needs a positive whole number, got '%s'", optarg);
                return EXIT_USAGE;
            }
            o->max_nodes = lv;
            break;
        case OPT_TOL:
            if (!parse_double(optarg, &o->tol) || o->tol <= 0) {
                usage_error("--tol needs a positive number, got '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_SAMPLES:
            if (!parse_long(optarg, &lv) || lv < 1 || lv > 1000000) {
                usage_error("--samples needs a whole number from 1 to 1000000, got '%s'", optarg);
                return EXIT_USAGE;
            }
            o->samples = (int)lv;
            break;
        case OPT_SEED:
            if (!parse_long(optarg, &lv) || lv < 0) {
                usage_error("--seed needs a non-negative whole number, got '%s'", optarg);
                return EXIT_USAGE;
            }
            o->seed = (unsigned long)lv;
            break;
        case OPT_SWELL:
            o->swell = 1;
            break;
        case OPT_SWEEP:
            if ((status = parse_list(&sweep_rule, optarg, &o->sweep_list)) != 0)
                return status;
            o->sweep_name = o->sweep_list.items[0].name;
            sweep_range(o->sweep_list.items[0].value, &o->sweep_lo, &o->sweep_hi);
            o->swell = 1;
            break;
        case OPT_PLOT:
            o->plot = optarg;
            break;
        case OPT_PLOT_TITLE:
            o->plot_title = optarg;
            break;
        case OPT_PLOT_SIZE:
            if (parse_size(optarg, &o->plot_width, &o->plot_height) != 0) {
                usage_error("--plot-size needs WIDTHxHEIGHT in pixels, each 200 to 10000 (as in "
                            "1280x720), got '%s'",
                            optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_DOT_SHARED:
            o->dot_shared_constants = 1;
            break;
        case OPT_DOT:
            o->dot = optarg;
            break;
        case OPT_DOT_TREE:
            o->dot_tree = optarg;
            break;
        case OPT_TRACE:
            o->trace = 1;
            break;
        case OPT_FACTOR:
            o->factor = 1;
            break;
        case OPT_DEMO:
            if (strcmp(optarg, "pitfalls") == 0) {
                o->demo = DEMO_PITFALLS;
            } else if (strncmp(optarg, "baydin", 6) == 0 &&
                       (optarg[6] == '\0' ||
                        (optarg[6] == '=' && parse_long(optarg + 7, &lv) && lv >= 1 &&
                         lv <= DEMO_BAYDIN_MAX))) {
                o->demo = DEMO_BAYDIN;
                o->demo_n = optarg[6] ? (int)lv : 4;
            } else {
                usage_error("--demo is baydin, baydin=N (N from 1 to 8) or pitfalls, not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case ':':
            usage_error("option '%s' needs a value", argv[optind - 1]);
            return EXIT_USAGE;
        default:
            if (optopt) {
                char opt[3] = {'-', (char)optopt, '\0'};
                usage_error("unknown option '%s'", opt);
            } else {
                usage_error("unknown option '%s'", argv[optind - 1]);
            }
            return EXIT_USAGE;
        }
    }
    if (optind < argc && !o->program)
        o->program = argv[optind++];
    if (optind < argc) {
        usage_error("unexpected argument '%s' (quote the program as one argument)", argv[optind]);
        return EXIT_USAGE;
    }
    /* the lists, as the stages take them */
    o->vars = o->vars_list.n ? list_names(&o->vars_list) : NULL; /* NULL: no --vars */
    o->nvars = o->vars_list.n;
    o->wrt = o->wrt_list.n ? list_names(&o->wrt_list) : NULL;
    o->nwrt = o->wrt_list.n;
    o->defines = malloc((size_t)(o->define_list.n ? o->define_list.n : 1) * sizeof *o->defines);
    if ((o->nvars && !o->vars) || (o->nwrt && !o->wrt) || !o->defines)
        return out_of_memory();
    for (int i = 0; i < o->define_list.n; i++) {
        o->defines[i].name = o->define_list.items[i].name;
        parse_double(o->define_list.items[i].value, &o->defines[i].value);
    }
    o->ndefines = o->define_list.n;
    if (o->demo && (o->program || o->file)) {
        usage_error("%s", "--demo takes no program");
        return EXIT_USAGE;
    }
    if (o->plot && !o->sweep_name) {
        usage_error("%s", "--plot draws a sweep: use it with --sweep NAME=A..B");
        return EXIT_USAGE;
    }
    for (int i = 0; o->sweep_name && i < o->ndefines; i++)
        if (strcmp(o->defines[i].name, o->sweep_name) == 0) {
            usage_error("--sweep: '%s' is also given with -D", o->sweep_name);
            return EXIT_USAGE;
        }
    if (!o->demo && !o->program && !o->file) {
        usage_error("%s", "no program given: pass it as an argument or with -f FILE");
        return EXIT_USAGE;
    }
    if (o->program && o->file) {
        usage_error("%s", "give the program either as an argument or with -f, not both");
        return EXIT_USAGE;
    }
    /* -o - is standard output, where the result goes without -o */
    if (o->output && strcmp(o->output, "-") == 0)
        o->output = NULL;
    if (o->output && has_extension(o->output, ".c") && !o->emit_c)
        o->emit_c = 1;
    if ((o->emit_test || o->emit_main) && !(o->emit_c && o->output)) {
        usage_error("%s", "--emit-test and --emit-main need C output to a file: -o NAME.c");
        return EXIT_USAGE;
    }
    if (!o->name)
        o->name = "f";
    return plan_outputs(o);
}

/* --- writing files ---------------------------------------------------------------- */

/* Writes several files so that either all of them are replaced or none:
 * every file goes to a temporary in its own directory first, then all are
 * renamed over their targets.  A target that exists keeps its permissions
 * (a new one gets 0666 less the umask); a symbolic link is followed, so the
 * file it points to is replaced, not the link. */
static int write_files_atomically(const char *const *paths, const char *const *data, int n) {
    char *tmps[4] = {NULL, NULL, NULL, NULL};
    char *targets[4] = {NULL, NULL, NULL, NULL};
    int ok = 1;
    mode_t mask = umask(0);
    umask(mask);
    for (int i = 0; i < n && ok; i++) {
        struct stat st;
        int exists = stat(paths[i], &st) == 0;
        if (exists && S_ISDIR(st.st_mode)) {
            fprintf(stderr, "symdiff: error: cannot write '%s': it is a directory\n", paths[i]);
            ok = 0;
            break;
        }
        if (exists && !S_ISREG(st.st_mode)) {
            /* renaming over /dev/null or a FIFO would replace it */
            fprintf(stderr, "symdiff: error: cannot write '%s': not a regular file\n", paths[i]);
            ok = 0;
            break;
        }
        struct stat lst;
        char *real = NULL;
        if (lstat(paths[i], &lst) == 0 && S_ISLNK(lst.st_mode))
            real = realpath(paths[i], NULL);
        targets[i] = real ? real : dup_string(paths[i]);
        size_t plen = targets[i] ? strlen(targets[i]) : 0;
        tmps[i] = targets[i] ? malloc(plen + 16) : NULL;
        if (!tmps[i]) {
            fprintf(stderr, "symdiff: error: out of memory\n");
            ok = 0;
            break;
        }
        memcpy(tmps[i], targets[i], plen);
        memcpy(tmps[i] + plen, ".tmp.XXXXXX", 12);
        int fd = mkstemp(tmps[i]);
        if (fd < 0) {
            fprintf(stderr, "symdiff: error: cannot write '%s': %s\n", paths[i], strerror(errno));
            free(tmps[i]);
            tmps[i] = NULL;
            ok = 0;
            break;
        }
        if (fchmod(fd, exists ? (st.st_mode & 07777) : (0666 & ~mask)) != 0) {
            /* keep mkstemp's mode; the contents are what matters */
        }
        FILE *f = fdopen(fd, "wb");
        if (!f) {
            close(fd);
            ok = 0;
        } else {
            size_t len = strlen(data[i]);
            if ((len && fwrite(data[i], 1, len, f) != len) || fflush(f) != 0)
                ok = 0;
            if (fclose(f) != 0)
                ok = 0;
        }
        if (!ok)
            fprintf(stderr, "symdiff: error: cannot write '%s': %s\n", paths[i],
                    errno == ENOMEM ? "out of memory" : strerror(errno));
    }
    /* the header and test first, the source last: a source never appears
     * without its header */
    for (int i = n; ok && i-- > 0;)
        if (rename(tmps[i], targets[i]) != 0) {
            fprintf(stderr, "symdiff: error: cannot write '%s': %s\n", paths[i], strerror(errno));
            ok = 0;
        } else {
            free(tmps[i]);
            tmps[i] = NULL;
        }
    for (int i = 0; i < n; i++) {
        if (tmps[i])
            remove(tmps[i]);
        free(tmps[i]);
        free(targets[i]);
    }
    return ok ? 0 : -1;
}

static int write_atomically(const char *path, const char *text) {
    return write_files_atomically(&path, &text, 1);
}

/* The exact command, quoted for a shell, for generated headers. */
static char *quoted_command(int argc, char **argv) {
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,:";
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += 4 * strlen(i == 0 ? "symdiff" : argv[i]) + 3;
    char *s = malloc(len), *w = s;
    if (!s)
        return NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = i == 0 ? "symdiff" : argv[i];
        if (i)
            *w++ = ' ';
        if (*a && strspn(a, plain) == strlen(a)) {
            w += sprintf(w, "%s", a);
            continue;
        }
        *w++ = '\'';
        for (; *a; a++) {
            if (*a == '\'')
                w += sprintf(w, "'\\''");
            else
                *w++ = *a;
        }
        *w++ = '\'';
    }
    *w = '\0';
    return s;
}

/* --- reading the program ------------------------------------------------------------ */

/* The whole stream, NUL-terminated (it may hold NUL bytes: *len counts
 * them).  Reading stops past the input limit, which the parser refuses
 * (no need to read `yes` to its end).  NULL with errno set on failure. */
static char *read_all(FILE *f, size_t *len) {
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0 || n > ((size_t)16 << 20))
            break;
        if (n == cap) {
            char *b = realloc(buf, 2 * cap + 1);
            if (!b) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = b;
            cap *= 2;
        }
    }
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    if (ferror(f)) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The program's text and its name in messages.  0, or an exit status. */
static int read_program(const Options *o, char **text, size_t *len, const char **name) {
    if (!o->file) {
        *name = "<expr>";
        *len = strlen(o->program);
        *text = dup_string(o->program);
        return *text ? 0 : out_of_memory();
    }
    int is_stdin = strcmp(o->file, "-") == 0;
    *name = is_stdin ? "<stdin>" : o->file;
    FILE *f = is_stdin ? stdin : fopen(o->file, "rb");
    *text = f ? read_all(f, len) : NULL;
    int err = errno;
    if (f && f != stdin)
        fclose(f);
    if (*text)
        return 0;
    if (err == ENOMEM)
        return out_of_memory();
    fprintf(stderr, "symdiff: error: cannot read '%s': %s\n", *name, f ? "read error" : strerror(err));
    return EXIT_INPUT;
}

/* --- how options combine -------------------------------------------------------------- */

/* Option bits, for the table below. */
enum {
    O_HESSIAN = 1 << 0, O_ORDER = 1 << 1, O_SIMPLIFY = 1 << 2, O_EXPAND = 1 << 3,
    O_CHECK = 1 << 4, O_C = 1 << 5, O_TEST = 1 << 6, O_MAIN = 1 << 7, O_TRACE = 1 << 8,
    O_FACTOR = 1 << 9, O_DOT = 1 << 10, O_PLOT = 1 << 11, O_SWEEP = 1 << 12, O_OUTFILE = 1 << 13,
    O_AD = 1 << 14, O_UNROLL = 1 << 15, O_PLOTSTYLE = 1 << 16, O_DOTSHARED = 1 << 17,
    O_DOTDAG = 1 << 18, O_TOGETHER = 1 << 19, O_BLAS = 1 << 20
};

static unsigned option_bits(const Options *o) {
    return (o->hessian ? O_HESSIAN : 0) | (o->order > 1 ? O_ORDER : 0) |
           (o->simplify_only ? O_SIMPLIFY : 0) | (o->expand ? O_EXPAND : 0) |
           (o->check ? O_CHECK : 0) | (o->emit_c ? O_C : 0) | (o->emit_test ? O_TEST : 0) |
           (o->emit_main ? O_MAIN : 0) | (o->trace ? O_TRACE : 0) | (o->factor ? O_FACTOR : 0) |
           (o->dot ? O_DOT : 0) | (o->plot ? O_PLOT : 0) | (o->sweep_name ? O_SWEEP : 0) |
           (o->output ? O_OUTFILE : 0) | (o->emit_kind != SD_EMIT_SYMBOLIC ? O_AD : 0) |
           (o->unroll ? O_UNROLL : 0) | (o->plot_title || o->plot_width ? O_PLOTSTYLE : 0) |
           (o->dot_shared_constants ? O_DOTSHARED : 0) | (o->dot ? O_DOTDAG : 0) |
           (o->together ? O_TOGETHER : 0) | (o->blas ? O_BLAS : 0);
}

/* Each row: when any option of `when` is given, every option of `needs`
 * must be and none of `excludes` may be.  What the program itself must be
 * (scalar, without tensors, ...) is the library's to check: it says why
 * when a request does not apply. */
static const struct {
    unsigned when, needs, excludes;
    const char *message;
} constraints[] = {
    {O_PLOT, O_SWEEP, 0, "--plot draws a sweep: use it with --sweep NAME=A..B"},
    {O_PLOTSTYLE, O_PLOT, 0, "--plot-title and --plot-size set up a chart: use them with --plot FILE.svg"},
    {O_DOTSHARED, O_DOTDAG, 0,
     "--dot-shared-constants draws a DAG: use it with --dot FILE (a tree draws every use anyway)"},
    {O_TEST | O_MAIN, O_C | O_OUTFILE, 0, "--emit-test and --emit-main need C output to a file: -o NAME.c"},
    {O_C, 0, O_EXPAND | O_SIMPLIFY | O_ORDER,
     "C output is for gradients, Jacobians and Hessians (not with --expand, --simplify or --order)"},
    {O_TOGETHER, 0, O_C | O_EXPAND, "--together prints derivatives in textbook form (not with C output or --expand)"},
    {O_HESSIAN, 0, O_ORDER, "--hessian and --order ask for different derivatives: give one"},
    {O_BLAS, 0, O_UNROLL, "--blas calls a BLAS for the loops of matrix products, which --unroll writes out: give one"},
    {O_AD, 0, O_HESSIAN, "--hessian needs the symbolic kernel (--emit c), not an AD one"},
    {O_TRACE, 0, O_HESSIAN | O_ORDER | O_SIMPLIFY,
     "--trace shows the first derivatives of a scalar program"},
    {O_FACTOR, 0, O_HESSIAN | O_ORDER | O_SIMPLIFY,
     "--factor shows the first derivatives of a scalar program"},
    {O_CHECK, 0, O_ORDER | O_SIMPLIFY, "--check applies to the gradient of a scalar program"},
};

static int check_options(const Options *o) {
    unsigned bits = option_bits(o);
    for (size_t i = 0; i < sizeof constraints / sizeof *constraints; i++)
        if ((bits & constraints[i].when) &&
            ((bits & constraints[i].needs) != constraints[i].needs || (bits & constraints[i].excludes))) {
            usage_error("%s", constraints[i].message);
            return EXIT_USAGE;
        }
    return 0;
}

/* --- reporting ------------------------------------------------------------------------ */

/* A failed library call: its message, and the exit status it means. */
static int report(const SdProgram *p, SdStatus st) {
    switch (st) {
    case SD_OK:
        return 0;
    case SD_ERR_INPUT:
        if (p && sd_diagnostic_count(p) > 0)
            fputs(sd_diagnostics_text(p), stderr);
        else
            fprintf(stderr, "symdiff: error: %s\n", sd_error_message(p));
        return EXIT_INPUT;
    case SD_ERR_REQUEST:
        usage_error("%s", sd_error_message(p));
        return EXIT_USAGE;
    case SD_ERR_LIMIT:
    case SD_ERR_NOMEM:
        fprintf(stderr, "symdiff: error: %s\n", p ? sd_error_message(p) : "out of memory");
        return EXIT_INPUT;
    }
    return EXIT_INPUT;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* What is printed, collected first so that -o replaces its file whole. */
typedef struct Output {
    char *parts[8];
    int n;
} Output;

/* Takes ownership of s (NULL: out of memory, reported). */
static int emit(Output *out, char *s) {
    if (!s)
        return out_of_memory();
    if (out->n == (int)(sizeof out->parts / sizeof *out->parts)) {
        free(s);
        return out_of_memory();
    }
    out->parts[out->n++] = s;
    return 0;
}

static char *joined(const Output *out) {
    size_t len = 0;
    for (int i = 0; i < out->n; i++)
        len += strlen(out->parts[i]);
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0, at = 0; i < out->n; i++) {
        size_t n = strlen(out->parts[i]);
        memcpy(s + at, out->parts[i], n + 1);
        at += (int)n;
    }
    return s;
}

static SdFormat format_of(const Options *o) { return o->json ? SD_JSON : o->latex ? SD_LATEX : SD_TEXT; }

static SdRequest request_of(const Options *o) {
    SdRequest req = {.what = o->simplify_only ? SD_FUNCTION
                             : o->hessian     ? SD_HESSIAN
                             : o->order > 1   ? SD_NTH
                                              : SD_GRADIENT,
                     .order = o->order,
                     .wrt = o->nwrt ? (const char *const *)o->wrt : NULL,
                     .nwrt = o->nwrt,
                     .mode = o->mode,
                     .kink = o->kink,
                     .expand = o->expand,
                     .together = o->together};
    return req;
}

static SdCompileOptions compile_options(const Options *o, const char *name, const SdDefine *defs,
                                        int ndefs) {
    SdCompileOptions c = {.file = name, .vars = (const char *const *)o->vars, .nvars = o->nvars,
                          .defines = defs, .ndefines = ndefs, .max_nodes = o->max_nodes,
                          .parse_only = o->dump == 1 + SD_STAGE_PARSE};
    return c;
}

/* One output of its own (--dot, --plot): to its file, replaced
 * atomically, or for "-" to standard output (the result then goes to a
 * file: plan_outputs saw to it). */
static int write_output(const char *path, const char *text) {
    if (strcmp(path, "-") != 0)
        return write_atomically(path, text);
    return fputs(text, stdout) < 0 ? -1 : 0;
}

/* --- the runs ----------------------------------------------------------------------------- */

static int run_demo(const Options *o, Output *out) {
    char *text = NULL;
    SdStatus st = o->demo == DEMO_BAYDIN ? sd_demo_baydin(o->demo_n, o->latex ? SD_LATEX : SD_TEXT, &text)
                                         : sd_demo_pitfalls(&text);
    if (st != SD_OK)
        return out_of_memory();
    return emit(out, text);
}

/* --swell, alone or over a --sweep (the program compiled once per value
 * of the swept name, which wins over a -D of the same name), with its
 * --plot. */
static int run_swell(const Options *o, const char *text, size_t len, const char *name, Output *out) {
    SdDefine *defs = malloc((size_t)(o->ndefines + 1) * sizeof *defs);
    SdSwell *sw = sd_swell_new(o->sweep_name);
    double *point = NULL;
    int status = defs && sw ? 0 : out_of_memory();
    long lo = o->sweep_name ? o->sweep_lo : 0, hi = o->sweep_name ? o->sweep_hi : 0;
    for (long x = lo; x <= hi && status == 0; x++) {
        int nd = 0;
        if (o->sweep_name)
            defs[nd++] = (SdDefine){o->sweep_name, (double)x};
        for (int i = 0; i < o->ndefines; i++)
            defs[nd++] = o->defines[i];
        SdCompileOptions copt = compile_options(o, name, defs, nd);
        SdProgram *p = NULL;
        SdResult *r = NULL;
        SdRequest req = request_of(o);
        req.what = SD_GRADIENT;
        SdStatus st = sd_compile(text, len, &copt, &p);
        if (st == SD_OK)
            st = sd_derive(p, &req, &r);
        if (st == SD_OK && o->at_text) {
            free(point);
            point = malloc((size_t)(sd_point_size(p) + 1) * sizeof *point);
            st = point ? sd_point_parse(p, o->at_text, point) : SD_ERR_NOMEM;
        }
        if (st == SD_OK)
            st = sd_swell_add(sw, r, (double)x, o->at_text ? point : NULL);
        status = report(p, st);
        sd_result_free(r);
        sd_program_free(p);
    }
    if (status == 0)
        status = emit(out, sd_swell_text(sw, o->json ? SD_JSON : SD_TEXT));
    if (status == 0 && o->plot) {
        SdPlotOptions po = {.title = o->plot_title, .width = o->plot_width, .height = o->plot_height};
        char *svg = sd_swell_svg(sw, &po);
        if (!svg)
            status = out_of_memory();
        else if (write_output(o->plot, svg) != 0)
            status = EXIT_INPUT;
        free(svg);
    }
    sd_swell_free(sw);
    free(defs);
    free(point);
    return status;
}

/* C code: to files next to -o NAME.c (NAME.h, NAME_test.c, NAME_main.c),
 * or as one self-contained text on standard output. */
static int write_code(const Options *o, SdProgram *p, SdResult *r, Output *out) {
    SdEmitOptions eo = {.name = o->name, .type = o->use_float ? SD_FLOAT : SD_DOUBLE,
                        .kind = o->emit_kind, .unroll = o->unroll, .blas = o->blas ? SD_BLAS_CBLAS : SD_BLAS_NONE,
                        .test_program = o->emit_test,
                        .train_program = o->emit_main, .self_contained = !o->output,
                        .header_name = o->header_path ? base_name(o->header_path) : NULL,
                        .command_line = o->command_line};
    SdEmitted code;
    int status = report(p, sd_emit_c(r, &eo, &code));
    if (status == 0 && o->output) {
        const char *paths[4] = {o->output, o->header_path, NULL, NULL};
        const char *data[4] = {code.source, code.header, NULL, NULL};
        int nfiles = 2;
        if (code.test) {
            paths[nfiles] = o->test_path;
            data[nfiles++] = code.test;
        }
        if (code.main) {
            paths[nfiles] = o->main_path;
            data[nfiles++] = code.main;
        }
        if (write_files_atomically(paths, data, nfiles) != 0)
            status = EXIT_INPUT;
    } else if (status == 0) {
        status = emit(out, code.source); /* self-contained: the header inside */
        code.source = NULL;
    }
    sd_emitted_free(&code);
    return status;
}

/* Without variables to differentiate, say so rather than print nothing. */
static void say_no_variables(SdProgram *p) {
    SdResult *f = NULL;
    char *value = NULL;
    if (sd_output_shape(p).rank == 0 && sd_derive(p, &(SdRequest){.what = SD_FUNCTION}, &f) == SD_OK &&
        sd_print(f, NULL, NULL, SD_TEXT, &value) == SD_OK) {
        size_t n = strlen(value);
        while (n && value[n - 1] == '\n')
            value[--n] = '\0';
    }
    fprintf(stderr, "symdiff: the program has no variables to differentiate%s%s\n",
            value ? "; its value is " : "", value ? value : "");
    free(value);
    sd_result_free(f);
}

static int run(Options *o, Output *out) {
    if (o->demo)
        return run_demo(o, out);
    char *text = NULL;
    size_t len = 0;
    const char *name = NULL;
    int status = read_program(o, &text, &len, &name);
    if (status != 0)
        return status;
    if (o->swell) {
        status = run_swell(o, text, len, name, out);
        free(text);
        return status;
    }
    double t0 = now_seconds();
    SdCompileOptions copt = compile_options(o, name, o->defines, o->ndefines);
    SdProgram *p = NULL;
    SdResult *r = NULL;
    SdValues values = {NULL, NULL, NULL, NULL};
    SdCheckReport check;
    int checked = 0;
    double *point = NULL;
    status = report(p, sd_compile(text, len, &copt, &p));
    if (status == 0 && (o->dump == 1 + SD_STAGE_PARSE || o->dump == 1 + SD_STAGE_LOWER)) {
        status = emit(out, sd_dump_program(p, (SdStage)(o->dump - 1)));
        goto done;
    }
    double t_lower = now_seconds();
    SdRequest req = request_of(o);
    if (status == 0)
        status = report(p, sd_derive(p, &req, &r));
    if (status == 0 && sd_result_layout(r).nwrt == 0 && !o->simplify_only && !o->at_text && !o->emit_c)
        say_no_variables(p);
    double t_deriv = now_seconds();
    if (status != 0)
        goto done;
    if (o->dump == 1 + SD_STAGE_DERIVE) {
        status = emit(out, sd_dump_result(r));
        goto done;
    }

    for (int tree = 0; tree < 2 && status == 0; tree++) {
        const char *path = tree ? o->dot_tree : o->dot;
        char *dot = NULL;
        if (path &&
            (status = report(p, sd_dot(r, (tree ? SD_DOT_TREE : 0) |
                                              (o->dot_shared_constants ? SD_DOT_SHARED_CONSTANTS : 0),
                                       &dot))) == 0 &&
            write_output(path, dot) != 0)
            status = EXIT_INPUT;
        free(dot);
    }
    if (status != 0)
        goto done;
    if (o->trace || o->factor) {
        char *t = NULL;
        SdFormat fmt = o->latex ? SD_LATEX : SD_TEXT;
        status = report(p, o->trace ? sd_trace(r, fmt, &t) : sd_factor(r, fmt, &t));
        if (status == 0)
            status = emit(out, t);
        goto done;
    }
    if (o->emit_c) {
        status = write_code(o, p, r, out);
        goto done;
    }
    if (o->at_text) {
        point = calloc((size_t)(sd_point_size(p) + 1), sizeof *point);
        status = point ? report(p, sd_point_parse(p, o->at_text, point)) : out_of_memory();
        if (status == 0)
            status = report(p, sd_eval(r, point, &values));
    }
    if (status == 0 && o->check) {
        SdCheckOptions co = {.samples = o->samples, .seed = o->seed, .tol = o->tol,
                             .base = o->at_text ? point : NULL};
        SdStatus st = sd_check(r, &co, &check);
        if (st == SD_ERR_INPUT) {
            fprintf(stderr, "symdiff: error: %s\n", sd_error_message(p));
            status = EXIT_CHECK;
        } else {
            status = report(p, st);
            checked = status == 0;
        }
    }
    if (status == 0 || status == EXIT_CHECK) {
        char *printed = NULL;
        int st = report(p, sd_print(r, o->at_text ? &values : NULL, checked ? &check : NULL, format_of(o),
                                    &printed));
        if (st == 0)
            st = emit(out, printed);
        if (st != 0)
            status = st;
        else if (checked && !check.ok)
            status = EXIT_CHECK;
    }
    if (status == 0 && o->stats) {
        SdStats s = sd_result_stats(r);
        fprintf(stderr,
                "stats: function %ld nodes (tree %.4g), derivatives %ld nodes (tree %.4g), "
                "graph %ld nodes, engine %s, parse+lower %.3f s, differentiate %.3f s\n",
                s.function_nodes, s.function_tree, s.derivative_nodes, s.derivative_tree, s.graph_nodes,
                s.engine == SD_MODE_FORWARD   ? "forward"
                : s.engine == SD_MODE_REVERSE ? "reverse"
                                              : "auto",
                t_lower - t0, t_deriv - t_lower);
    }
done:
    sd_values_free(&values);
    free(point);
    sd_result_free(r);
    sd_program_free(p);
    free(text);
    return status;
}

int main(int argc, char **argv) {
    /* past `ulimit -f` a write fails with EFBIG (and -o removes its
     * temporary) instead of the signal killing us mid-file */
    signal(SIGXFSZ, SIG_IGN);
    Options o;
    memset(&o, 0, sizeof o);
    o.command_line = quoted_command(argc, argv);
    int status = !o.command_line ? out_of_memory() : parse_options(argc, argv, &o);
    if (status == 0)
        status = check_options(&o);
    if (status == 0) {
        Output out = {{NULL}, 0};
        status = run(&o, &out);
        if ((status == 0 || status == EXIT_CHECK) && !(o.output && o.emit_c)) {
            /* (the C files are written already) */
            char *text = joined(&out);
            if (!text)
                status = out_of_memory();
            else if (o.output && write_atomically(o.output, text) != 0)
                status = EXIT_INPUT;
            else if (!o.output)
                fputs(text, stdout);
            free(text);
        }
        for (int i = 0; i < out.n; i++)
            free(out.parts[i]);
    } else if (status < 0) {
        status = 0;
    }
    list_free(&o.vars_list);
    list_free(&o.wrt_list);
    list_free(&o.define_list);
    list_free(&o.sweep_list);
    list_free(&o.at);
    free(o.vars);
    free(o.wrt);
    free(o.defines);
    free(o.header_path);
    free(o.test_path);
    free(o.main_path);
    free(o.command_line);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "symdiff: error: writing the output failed\n");
        status = EXIT_INPUT;
    }
    return status;
}
