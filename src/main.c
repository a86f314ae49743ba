/*
 * main.c — the symdiff command line: options in, the pipeline's stages in
 * order, text out.
 *
 *   read -> parse -> lower -> differentiate (simplifying) -> print / evaluate
 *
 * Stages report errors to a Diag and return; only this file chooses exit
 * codes: 0 success, 1 error in the input, 2 usage error, 3 a --check that
 * failed.  Output goes to stdout or, with -o, to a file replaced atomically.
 */
#define _XOPEN_SOURCE 700 /* realpath, fchmod */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ast.h"
#include "codegen.h"
#include "emit_ad.h"
#include "dag.h"
#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "expand.h"
#include "gradcheck.h"
#include "lower.h"
#include "num.h"
#include "parse.h"
#include "poly.h"
#include "print.h"
#include "strbuf.h"
#include "baydin.h"
#include "dot.h"
#include "swell.h"
#include "trace.h"

#ifndef SYMDIFF_VERSION
#define SYMDIFF_VERSION "0.0.0"
#endif

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_CHECK = 3 };

typedef struct Options {
    const char *program;   /* program text from the command line       */
    const char *file;      /* -f FILE ("-" for stdin)                  */
    const char *output;    /* -o FILE                                  */
    char **vars;           /* --vars                                   */
    int nvars;
    char **wrt;            /* --wrt                                    */
    int nwrt;
    char *at;              /* --at x=1,y=2                             */
    Define *defines;       /* -D name=value                            */
    int ndefines;
    int json, print_ast, simplify_only, latex, hessian, expand, check, stats;
    int order;
    const char *name;      /* --name: prefix of generated functions     */
    int use_float;         /* --type float                              */
    int emit_c, emit_test; /* --emit c, --emit-test                     */
    int unroll;            /* --unroll: tensor kernels without loops    */
    int emit_main;         /* --emit-main train                         */
    /* teaching (docs/teaching.md) */
    int swell, trace, factor; /* --swell, --trace, --factor               */
    const char *sweep_name;   /* --sweep NAME=A..B: NAME (in sweep_buf)   */
    char sweep_buf[64];
    long sweep_lo, sweep_hi;
    const char *plot;         /* --plot FILE.svg (with --sweep)           */
    const char *dot;          /* --dot FILE, --dot-tree FILE              */
    int dot_tree;
    int demo, demo_n;         /* --demo baydin[=N] or pitfalls            */
    char *command_line;    /* for the generated header                  */
    DerivMode mode;
    double kink;
    long max_nodes;
    double tol;
    int samples;
    unsigned long seed;
} Options;

/* --- small utilities --------------------------------------------------------- */

static void usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "symdiff: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'symdiff --help' for more information.\n");
}

/* For the allocations of this file that fail: the message, then exit 1. */
static int out_of_memory(void) {
    fprintf(stderr, "symdiff: error: out of memory\n");
    return EXIT_INPUT;
}

/* Reports why the graph stopped building (out of memory, a limit). */
static int graph_error(const Graph *g) {
    char why[128];
    fprintf(stderr, "symdiff: error: %s\n",
            g->failed ? graph_failure_message(g, why, sizeof why) : "out of memory");
    return EXIT_INPUT;
}

static char *dup_string(const char *s) {
    char *d = malloc(strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

/* Splits "a,b,c" into names; returns the count, or -1 when out of
 * memory. */
static int split_names(const char *list, char ***out) {
    int n = 0, cap = 8, failed = 0;
    char **v = malloc((size_t)cap * sizeof *v);
    char *copy = dup_string(list);
    if (!v || !copy) {
        free(v);
        free(copy);
        return -1;
    }
    for (char *tok = strtok(copy, ", "); tok && !failed; tok = strtok(NULL, ", ")) {
        if (n == cap) {
            cap *= 2;
            char **nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) {
                failed = 1;
                break;
            }
            v = nv;
        }
        if (!(v[n] = dup_string(tok)))
            failed = 1;
        else
            n++;
    }
    free(copy);
    if (failed) {
        while (n > 0)
            free(v[--n]);
        free(v);
        return -1;
    }
    *out = v;
    return n;
}

static void free_names(char **v, int n) {
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
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

static int read_all(FILE *f, StrBuf *sb) {
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sb_putn(sb, buf, n);
        if (sb->len > PARSE_MAX_INPUT)
            break; /* the parser refuses it: no need to read on (from `yes`) */
    }
    return ferror(f) || sb->failed ? -1 : 0;
}

static void json_string(StrBuf *sb, const char *s) {
    sb_putc(sb, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_printf(sb, "\\%c", c);
        else if (c == '\n')
            sb_puts(sb, "\\n");
        else if (c < 0x20)
            sb_printf(sb, "\\u%04x", c);
        else
            sb_putc(sb, (char)c);
    }
    sb_putc(sb, '"');
}

static void json_number(StrBuf *sb, double v) {
    if (isfinite(v))
        num_print_value(sb, v);
    else
        sb_puts(sb, "null");
}

static void text_number(StrBuf *sb, double v) {
    if (isnan(v))
        sb_puts(sb, "nan");
    else if (isinf(v))
        sb_puts(sb, v > 0 ? "inf" : "-inf");
    else
        num_print_value(sb, v);
}

/* An expression as one line of text (temporaries as leading statements). */
static char *expr_string(const Graph *g, Node *n, PrintStyle style) {
    StrBuf sb;
    sb_init(&sb);
    print_roots(&sb, g, &n, NULL, 1, style);
    char *s = sb.failed ? NULL : dup_string(sb_str(&sb));
    sb_free(&sb);
    if (!s)
        return NULL;
    size_t len = strlen(s);
    while (len && s[len - 1] == '\n')
        s[--len] = '\0';
    for (char *p = s; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return s;
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
          "  -o, --output FILE     write the result to FILE (replaced atomically)\n"
          "  -D, --define N=V      bind the name N to the constant V (e.g. a repeat count)\n"
          "\n"
          "what to compute:\n"
          "      --vars A,B,...    the variables, in this order (default: order of first use)\n"
          "      --wrt A,B,...     differentiate with respect to these variables only\n"
          "      --at X=V,Y=W      evaluate the value and the derivatives at this point\n"
          "      --hessian         the Hessian matrix of a scalar program\n"
          "      --order N         the N-th derivative (one variable)\n"
          "      --simplify        print the simplified program instead of derivatives\n"
          "      --expand          expand polynomials fully (teaching; not for code)\n"
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
          "      --emit-test       also write NAME_test.c, a finite-difference check\n"
          "      --emit-main train also write NAME_main.c, a training program for a loss\n"
          "                        whose data are declared with 'input'\n"
          "\n"
          "teaching (see docs/teaching.md):\n"
          "      --swell           sizes of the derivative by every method: naive\n"
          "                        symbolic tree, simplified, shared DAG, forward and\n"
          "                        reverse AD, finite differences (values with --at)\n"
          "      --sweep N=A..B    --swell for each whole N from A to B (a name the\n"
          "                        program uses, e.g. a repeat count)\n"
          "      --plot FILE.svg   with --sweep: a log-scale chart of the sizes\n"
          "      --dot FILE        Graphviz DOT of the function and derivative DAGs\n"
          "      --dot-tree FILE   the same written out as trees (small programs)\n"
          "      --trace           the derivation, rule by rule (small programs)\n"
          "      --factor          derivatives of one-variable polynomials, factored\n"
          "      --demo baydin[=N] Baydin et al.'s Table 1 (logistic map), rows 1..N\n"
          "      --demo pitfalls   expanded vs nested evaluation, finite-difference steps\n"
          "\n"
          "output format:\n"
          "      --json            one JSON object: vars, value, gradient, derivatives, ...\n"
          "      --latex           LaTeX instead of plain text\n"
          "      --print           echo the parsed program and stop\n"
          "      --stats           node counts and timings on stderr\n"
          "      --max-nodes N     refuse to build more than N nodes (default 50000000)\n"
          "  -h, --help            this help\n"
          "  -V, --version         the version\n"
          "\n"
          "exit status: 0 success, 1 error in the input, 2 usage error, 3 --check failed\n",
          stdout);
}

enum {
    OPT_VARS = 256, OPT_WRT, OPT_AT, OPT_JSON, OPT_PRINT, OPT_SIMPLIFY, OPT_LATEX, OPT_HESSIAN,
    OPT_ORDER, OPT_EXPAND, OPT_CHECK, OPT_MODE, OPT_KINK, OPT_MAX_NODES, OPT_TOL, OPT_SAMPLES,
    OPT_SEED, OPT_STATS, OPT_NAME, OPT_TYPE, OPT_EMIT, OPT_EMIT_TEST, OPT_EMIT_MAIN, OPT_UNROLL,
    OPT_SWELL, OPT_SWEEP, OPT_PLOT, OPT_DOT, OPT_DOT_TREE, OPT_TRACE, OPT_FACTOR, OPT_DEMO
};

static const struct option long_options[] = {
    {"file", required_argument, NULL, 'f'},    {"output", required_argument, NULL, 'o'},
    {"define", required_argument, NULL, 'D'},  {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},       {"vars", required_argument, NULL, OPT_VARS},
    {"wrt", required_argument, NULL, OPT_WRT}, {"at", required_argument, NULL, OPT_AT},
    {"json", no_argument, NULL, OPT_JSON},     {"print", no_argument, NULL, OPT_PRINT},
    {"simplify", no_argument, NULL, OPT_SIMPLIFY}, {"latex", no_argument, NULL, OPT_LATEX},
    {"hessian", no_argument, NULL, OPT_HESSIAN}, {"order", required_argument, NULL, OPT_ORDER},
    {"expand", no_argument, NULL, OPT_EXPAND}, {"check", no_argument, NULL, OPT_CHECK},
    {"mode", required_argument, NULL, OPT_MODE}, {"kink", required_argument, NULL, OPT_KINK},
    {"max-nodes", required_argument, NULL, OPT_MAX_NODES},
    {"tol", required_argument, NULL, OPT_TOL}, {"samples", required_argument, NULL, OPT_SAMPLES},
    {"seed", required_argument, NULL, OPT_SEED}, {"stats", no_argument, NULL, OPT_STATS},
    {"name", required_argument, NULL, OPT_NAME}, {"type", required_argument, NULL, OPT_TYPE},
    {"emit", required_argument, NULL, OPT_EMIT}, {"emit-test", no_argument, NULL, OPT_EMIT_TEST},
    {"unroll", no_argument, NULL, OPT_UNROLL},
    {"emit-main", required_argument, NULL, OPT_EMIT_MAIN},
    {"swell", no_argument, NULL, OPT_SWELL},   {"sweep", required_argument, NULL, OPT_SWEEP},
    {"plot", required_argument, NULL, OPT_PLOT}, {"dot", required_argument, NULL, OPT_DOT},
    {"dot-tree", required_argument, NULL, OPT_DOT_TREE}, {"trace", no_argument, NULL, OPT_TRACE},
    {"factor", no_argument, NULL, OPT_FACTOR}, {"demo", required_argument, NULL, OPT_DEMO},
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

/* "n=1..10" into o->sweep_*. */
static int parse_sweep(char *arg, Options *o) {
    char *eq = strchr(arg, '='), *dots = eq ? strstr(eq, "..") : NULL;
    if (!eq || !dots)
        return -1;
    *eq = *dots = '\0';
    long lo, hi;
    int ok = valid_name(arg) && strlen(arg) < sizeof o->sweep_buf && parse_long(eq + 1, &lo) && parse_long(dots + 2, &hi) && lo >= 0 &&
             lo <= hi && hi - lo < 10000;
    if (ok)
        strcpy(o->sweep_buf, arg);
    *eq = '=';
    *dots = '.';
    if (!ok)
        return -1;
    o->sweep_name = o->sweep_buf;
    o->sweep_lo = lo;
    o->sweep_hi = hi;
    return 0;
}

/* Returns 0 to continue, or an exit status (with -1 meaning exit 0). */
static int parse_options(int argc, char **argv, Options *o) {
    int c;
    take_negative_program(&argc, argv, o);
    long lv;
    double dv;
    o->mode = DERIV_AUTO;
    o->order = 1;
    o->max_nodes = 50000000;
    o->tol = 1e-6;
    o->samples = 20;
    o->seed = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:o:D:hV", long_options, NULL)) != -1) {
        /* "--at -f prog.sd": the next option taken as the value (a value
         * written as "--at=..." is what it says) */
        if ((c == OPT_AT || c == OPT_VARS || c == OPT_WRT || c == 'D') && optarg[0] == '-' &&
            optind >= 2 && optarg == argv[optind - 1]) {
            usage_error("option '%s' needs a value", argv[optind - 2]);
            return EXIT_USAGE;
        }
        switch (c) {
        case 'f':
            o->file = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'D': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                usage_error("--define needs NAME=VALUE, got '%s'", optarg);
                return EXIT_USAGE;
            }
            *eq = '\0';
            if (!valid_name(optarg) || !parse_double(eq + 1, &dv)) {
                *eq = '=';
                usage_error("--define needs NAME=VALUE with a number, got '%s'", optarg);
                return EXIT_USAGE;
            }
            Define *d = realloc(o->defines, (size_t)(o->ndefines + 1) * sizeof *d);
            if (!d)
                return out_of_memory();
            o->defines = d;
            d[o->ndefines].name = optarg;
            d[o->ndefines++].value = dv;
            break;
        }
        case 'h':
            print_help();
            return -1;
        case 'V':
            printf("symdiff %s\n", SYMDIFF_VERSION);
            return -1;
        case OPT_VARS:
        case OPT_WRT: {
            char **names;
            int n = split_names(optarg, &names);
            if (n < 0)
                return out_of_memory();
            if (n == 0) {
                usage_error("expected a list of variable names, got '%s'", optarg);
                if (n == 0)
                    free_names(names, 0);
                return EXIT_USAGE;
            }
            for (int i = 0; i < n; i++)
                if (!valid_name(names[i])) {
                    usage_error("not a variable name: '%s'", names[i]);
                    free_names(names, n);
                    return EXIT_USAGE;
                }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < i; j++)
                    if (strcmp(names[i], names[j]) == 0) {
                        usage_error("'%s' is listed twice", names[i]);
                        free_names(names, n);
                        return EXIT_USAGE;
                    }
            if (c == OPT_VARS) {
                free_names(o->vars, o->nvars);
                o->vars = names;
                o->nvars = n;
            } else {
                free_names(o->wrt, o->nwrt);
                o->wrt = names;
                o->nwrt = n;
            }
            break;
        }
        case OPT_AT:
            o->at = optarg;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_PRINT:
            o->print_ast = 1;
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
        case OPT_EXPAND:
            o->expand = 1;
            break;
        case OPT_CHECK:
            o->check = 1;
            break;
        case OPT_STATS:
            o->stats = 1;
            break;
        case OPT_NAME:
            if (!codegen_valid_name(optarg)) {
                usage_error("--name needs a C identifier that is not a keyword, got '%s'", optarg);
                return EXIT_USAGE;
            }
            o->name = optarg;
            break;
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
            /* emit_c: 1 the symbolic kernel, 2 + EmitAdMode an AD kernel */
            if (strcmp(optarg, "c") == 0) {
                o->emit_c = 1;
            } else if (strcmp(optarg, "forward-ad") == 0) {
                o->emit_c = 2 + EMIT_AD_FORWARD;
            } else if (strcmp(optarg, "reverse-ad") == 0) {
                o->emit_c = 2 + EMIT_AD_REVERSE;
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
        case OPT_EMIT_MAIN:
            if (strcmp(optarg, "train") != 0) {
                usage_error("--emit-main takes 'train', not '%s'", optarg);
                return EXIT_USAGE;
            }
            o->emit_main = 1;
            break;
        case OPT_MODE:
            if (strcmp(optarg, "auto") == 0)
                o->mode = DERIV_AUTO;
            else if (strcmp(optarg, "forward") == 0)
                o->mode = DERIV_FORWARD;
            else if (strcmp(optarg, "reverse") == 0)
                o->mode = DERIV_REVERSE;
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
            if (parse_sweep(optarg, o) != 0) {
                usage_error("--sweep needs NAME=A..B with whole numbers 0 <= A <= B, B - A < 10000, "
                            "got '%s'", optarg);
                return EXIT_USAGE;
            }
            o->swell = 1;
            break;
        case OPT_PLOT:
            o->plot = optarg;
            break;
        case OPT_DOT:
        case OPT_DOT_TREE:
            o->dot = optarg;
            o->dot_tree = c == OPT_DOT_TREE;
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
                         lv <= BAYDIN_MAX_N))) {
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
    if (o->demo && (o->program || o->file)) {
        usage_error("%s", "--demo takes no program");
        return EXIT_USAGE;
    }
    if (o->demo)
        return 0;
    if (o->plot && !o->sweep_name) {
        usage_error("%s", "--plot draws a sweep: use it with --sweep NAME=A..B");
        return EXIT_USAGE;
    }
    if (!o->program && !o->file) {
        usage_error("%s", "no program given: pass it as an argument or with -f FILE");
        return EXIT_USAGE;
    }
    if (o->program && o->file) {
        usage_error("%s", "give the program either as an argument or with -f, not both");
        return EXIT_USAGE;
    }
    size_t olen = o->output ? strlen(o->output) : 0;
    if (olen > 2 && strcmp(o->output + olen - 2, ".c") == 0 && !o->emit_c)
        o->emit_c = 1;
    if ((o->emit_test || o->emit_main) && !(o->emit_c && o->output)) {
        usage_error("%s", "--emit-test and --emit-main need C output to a file: -o NAME.c");
        return EXIT_USAGE;
    }
    if (!o->name)
        o->name = "f";
    return 0;
}

/* --- the point of --at ---------------------------------------------------------- */

/* Parses "x=1,y=2" into point[] (indexed like g->vars).  Variables that are
 * not given are an error.  Returns 0, -1 after a usage error, or -2 when
 * out of memory (reported). */
static int parse_point(const Graph *g, const char *text, double *point) {
    char *copy = dup_string(text);
    unsigned char *given = calloc((size_t)(g->nvars ? g->nvars : 1), 1);
    int status = 0;
    if (!copy || !given) {
        free(copy);
        free(given);
        out_of_memory();
        return -2;
    }
    for (char *tok = strtok(copy, ","); tok && status == 0; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok) {
            usage_error("--at needs NAME=VALUE pairs, got '%s'", tok);
            status = -1;
            break;
        }
        *eq = '\0';
        char *name = tok;
        size_t len = strlen(name);
        while (len && name[len - 1] == ' ')
            name[--len] = '\0';
        int v = graph_find_var(g, name);
        double value;
        if (v < 0) {
            usage_error("--at: '%s' is not a variable of the program", name);
            status = -1;
        } else if (given[v]) {
            usage_error("--at: '%s' is given twice", name);
            status = -1;
        } else if (!parse_double(eq + 1, &value)) {
            usage_error("--at: not a number: '%s'", eq + 1);
            status = -1;
        } else {
            point[v] = value;
            given[v] = 1;
        }
    }
    for (int v = 0; v < g->nvars && status == 0; v++)
        if (!given[v]) {
            usage_error("--at: no value for '%s'", g->vars[v].name);
            status = -1;
        }
    free(copy);
    free(given);
    return status;
}

/* --- C code -------------------------------------------------------------------- */

/* "dir/name.c" -> "dir/name" + suffix */
static char *sibling_path(const char *c_path, const char *suffix) {
    size_t len = strlen(c_path);
    if (len > 2 && strcmp(c_path + len - 2, ".c") == 0)
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

/* Writes several files so that either all of them are replaced or none:
 * every file goes to a temporary in its own directory first, then all are
 * renamed over their targets.  A target that exists keeps its permissions
 * (a new one gets 0666 less the umask); a symbolic link is followed, so the
 * file it points to is replaced, not the link. */
static int write_files_atomically(const char *const *paths, StrBuf *const *data, int n) {
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
            size_t len = data[i]->len;
            if ((len && fwrite(sb_str(data[i]), 1, len, f) != len) || fflush(f) != 0)
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

static int write_atomically(const char *path, const char *text, size_t len) {
    StrBuf sb;
    sb_init(&sb);
    sb_putn(&sb, text, len);
    StrBuf *data[1] = {&sb};
    int r = sb.failed ? (out_of_memory(), -1) : write_files_atomically(&path, data, 1);
    sb_free(&sb);
    return r;
}

/* --type float cannot write a constant float does not hold: an error
 * rather than a kernel that does not compile (inf) or computes with 0. */
static int float_range_error(const Options *o, const Graph *g, Node *const *const *lists,
                             const int *counts, int nlists) {
    if (!o->use_float)
        return 0;
    for (int i = 0; i < nlists; i++) {
        const Node *c = lists[i] ? codegen_float_misfit(g, lists[i], counts[i]) : NULL;
        if (c) {
            fprintf(stderr, "symdiff: error: --type float: the constant %.9g is beyond the range of "
                            "float (magnitudes from about 1.4e-45 to 3.4e+38); generate double code\n",
                    num_value(c->num[0]));
            return EXIT_INPUT;
        }
    }
    return 0;
}

static int emit_code(const Options *o, Graph *g, const Program *prog, const int *wrt, int nwrt,
                     Node **grad, Node **hess, const char *text, size_t len, StrBuf *out) {
    /* everything that is not differentiated is data: input[] */
    int *inputs = malloc((size_t)(g->nvars + 1) * sizeof *inputs);
    char *source_text = malloc(len + 1);
    if (!inputs || !source_text) {
        free(inputs);
        free(source_text);
        return out_of_memory();
    }
    memcpy(source_text, text, len);
    source_text[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (source_text[i] == '\0')
            source_text[i] = ' ';
    int ninputs = 0;
    for (int v = 0; v < g->nvars; v++) {
        int is_wrt = 0;
        for (int i = 0; i < nwrt; i++)
            is_wrt |= wrt[i] == v;
        if (!is_wrt)
            inputs[ninputs++] = v;
    }
    CodegenInput in = {wrt, nwrt, inputs, ninputs, prog->outputs, prog->noutputs, prog->is_vector,
                       grad, hess};
    char *header_path = o->output ? sibling_path(o->output, ".h") : NULL;
    if (o->output && !header_path) {
        free(inputs);
        free(source_text);
        return out_of_memory();
    }
    char header_name[256];
    snprintf(header_name, sizeof header_name, "%s.h", o->name);
    if (header_path)
        snprintf(header_name, sizeof header_name, "%s", base_name(header_path));
    CodegenOptions copt = {o->name, o->use_float, header_name, source_text, o->command_line,
                           SYMDIFF_VERSION, 0, o->unroll};
    StrBuf c_src, c_hdr, c_test, c_main;
    sb_init(&c_src);
    sb_init(&c_hdr);
    sb_init(&c_test);
    sb_init(&c_main);
    Node *const *lists[3] = {prog->outputs, grad, hess};
    int counts[3] = {prog->noutputs, prog->is_vector ? prog->noutputs * nwrt : nwrt, nwrt * nwrt};
    int status = float_range_error(o, g, lists, counts, 3);
    if (status != 0) {
        /* reported */
    } else if (o->emit_main && (prog->is_vector || ninputs == 0 || o->use_float)) {
        usage_error("%s", "--emit-main train needs a scalar double program with input variables "
                          "(declare the data with 'input')");
        status = EXIT_USAGE;
    } else if (o->emit_c > 1 && hess) {
        usage_error("%s", "--hessian needs the symbolic kernel (--emit c), not an AD one");
        status = EXIT_USAGE;
    } else if ((o->emit_c > 1 ? emit_ad_c(g, &in, (EmitAdMode)(o->emit_c - 2), &copt, &c_src, &c_hdr)
                              : codegen_c(g, &in, &copt, &c_src, &c_hdr)) != 0 ||
               (o->emit_test && codegen_test_program(g, &in, &copt, &c_test) != 0) ||
               (o->emit_main && codegen_train_program(g, &in, &copt, &c_main) != 0)) {
        fprintf(stderr, "symdiff: error: out of memory\n");
        status = EXIT_INPUT;
    } else if (o->output) {
        char *test_path = sibling_path(o->output, "_test.c");
        char *main_path = sibling_path(o->output, "_main.c");
        const char *paths[4] = {o->output, header_path, NULL, NULL};
        StrBuf *data[4] = {&c_src, &c_hdr, NULL, NULL};
        int nfiles = 2;
        if (o->emit_test) {
            paths[nfiles] = test_path;
            data[nfiles++] = &c_test;
        }
        if (o->emit_main) {
            paths[nfiles] = main_path;
            data[nfiles++] = &c_main;
        }
        if (!test_path || !main_path)
            status = out_of_memory();
        else if (write_files_atomically(paths, data, nfiles) != 0)
            status = EXIT_INPUT;
        free(test_path);
        free(main_path);
    } else {
        sb_puts(out, sb_str(&c_hdr));
        sb_putc(out, '\n');
        sb_puts(out, sb_str(&c_src));
    }
    sb_free(&c_src);
    sb_free(&c_hdr);
    sb_free(&c_test);
    sb_free(&c_main);
    free(header_path);
    free(inputs);
    free(source_text);
    return status;
}

/* --- vectors and matrices ---------------------------------------------------------- */

/* One value of --at: a number, [a, b, ...] or [[a, b], [c, d]].  Appends
 * the numbers to vals (row-major) and records the nesting as a shape.
 * Returns the position after the value, or NULL. */
static const char *parse_tensor_value(const char *p, int depth, double *vals, int cap, int *n,
                                      Shape *shape) {
    while (*p == ' ')
        p++;
    if (*p != '[') {
        char *end;
        double v = strtod(p, &end);
        if (end == p || *n >= cap)
            return NULL;
        vals[(*n)++] = v;
        shape->rank = 0;
        return end;
    }
    if (depth >= 2)
        return NULL;
    int count = 0;
    Shape inner = {-1, {0, 0}};
    p++;
    for (;;) {
        Shape s;
        p = parse_tensor_value(p, depth + 1, vals, cap, n, &s);
        if (!p || (inner.rank >= 0 && !shape_equal(s, inner)))
            return NULL;
        inner = s;
        count++;
        while (*p == ' ')
            p++;
        if (*p == ']')
            break;
        if (*p++ != ',')
            return NULL;
    }
    if (inner.rank > 1)
        return NULL;
    shape->rank = inner.rank + 1;
    shape->dim[0] = count;
    shape->dim[1] = inner.rank == 1 ? inner.dim[0] : 0;
    return p + 1;
}

/* Parses "W=[[1,2],[3,4]], x=[1,0], s=2": point[v] gets the values of
 * variable v (row-major, in `storage`); every variable needs a value of its
 * declared shape. */
static int parse_tensor_point(const Graph *g, const char *text, double *storage, const double **point) {
    size_t offset = 0;
    for (int v = 0; v < g->nvars; v++) {
        point[v] = NULL;
        offset += (size_t)shape_numel(g->vars[v].shape);
    }
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *name = p;
        while (*p && *p != '=' && *p != ' ')
            p++;
        char buf[128];
        snprintf(buf, sizeof buf, "%.*s", (int)(p - name), name);
        while (*p == ' ')
            p++;
        if (*p != '=') {
            usage_error("--at needs NAME=VALUE pairs, got '%s'", buf);
            return -1;
        }
        int v = graph_find_var(g, buf);
        if (v < 0) {
            usage_error("--at: '%s' is not a variable of the program", buf);
            return -1;
        }
        size_t start = 0;
        for (int u = 0; u < v; u++)
            start += (size_t)shape_numel(g->vars[u].shape);
        int n = 0, want = shape_numel(g->vars[v].shape);
        Shape s;
        const char *end = parse_tensor_value(p + 1, 0, storage + start, want, &n, &s);
        if (!end || n != want || !shape_equal(s, g->vars[v].shape)) {
            usage_error("--at: '%s' needs a value of its declared shape (a number, [a, b, ...] or "
                        "[[a, b], [c, d]] row by row)", buf);
            return -1;
        }
        point[v] = storage + start;
        p = end;
    }
    for (int v = 0; v < g->nvars; v++)
        if (!point[v]) {
            usage_error("--at: no value for '%s'", g->vars[v].name);
            return -1;
        }
    (void)offset;
    return 0;
}

/* Values shaped like their node: a number, [...] or [[...], [...]]. */
static void put_tensor(StrBuf *out, const double *v, Shape s, int json) {
    void (*num)(StrBuf *, double) = json ? json_number : text_number;
    if (s.rank == 0) {
        num(out, v[0]);
        return;
    }
    int rows = s.rank == 2 ? s.dim[0] : 1, cols = s.rank == 2 ? s.dim[1] : s.dim[0];
    if (s.rank == 2)
        sb_putc(out, '[');
    for (int i = 0; i < rows; i++) {
        sb_puts(out, i ? ", [" : "[");
        for (int j = 0; j < cols; j++) {
            if (j)
                sb_puts(out, ", ");
            num(out, v[i * cols + j]);
        }
        sb_putc(out, ']');
    }
    if (s.rank == 2)
        sb_putc(out, ']');
}

/* The derivatives of a program with vectors and matrices, by tensor-level
 * reverse mode: for a scalar program the gradient with respect to each
 * variable, shaped like it (rows[j]); for a vector program y [m], one
 * reverse pass per output element: rows[i*nwrt + j] = d y[i] / d var j,
 * shaped like the variable (row i of the Jacobian in numerator layout).
 * *nrows gets 1 or m.  Returns 0 or an exit status. */
static int tensor_derivatives(Graph *g, Node *y, const int *wrt, int nwrt, Node ***rows, int *nrows) {
    if (y->shape.rank == 2) {
        usage_error("%s", "derivatives of a matrix-valued program are not supported; "
                          "differentiate a scalar or a vector");
        return EXIT_USAGE;
    }
    int m = y->shape.rank ? y->shape.dim[0] : 1;
    *nrows = m;
    *rows = malloc((size_t)m * (size_t)(nwrt ? nwrt : 1) * sizeof **rows);
    if (!*rows)
        return out_of_memory();
    int failed = 0;
    for (int i = 0; i < m && !failed; i++)
        failed = deriv_reverse(g, y->shape.rank ? dag_index(g, y, i, 1) : y, wrt, nwrt,
                               *rows + (size_t)i * (size_t)nwrt) != 0;
    if (g->failed)
        return graph_error(g);
    if (failed)
        return out_of_memory();
    return 0;
}

/* The Jacobian block of each variable as one node: rows stacked, m x n for
 * a vector [n], a vector [m] for a scalar.  0, or an exit status when a
 * variable is a matrix (the block would be a 3-tensor). */
static int jacobian_blocks(Graph *g, Node *const *rows, int m, const int *wrt, int nwrt, Node **res) {
    Node **col = malloc((size_t)(m ? m : 1) * sizeof *col);
    if (!col)
        return out_of_memory();
    int status = 0;
    for (int j = 0; j < nwrt && status == 0; j++) {
        if (g->vars[wrt[j]].shape.rank == 2) {
            usage_error("the Jacobian with respect to the matrix '%s' is printed only as C code "
                        "(rows of m x numel); differentiate a scalar, or use --wrt", g->vars[wrt[j]].name);
            status = EXIT_USAGE;
            break;
        }
        for (int i = 0; i < m; i++)
            col[i] = rows[(size_t)i * (size_t)nwrt + (size_t)j];
        if (!(res[j] = dag_pack(g, col, m)))
            status = out_of_memory();
    }
    free(col);
    return status;
}

/* C code for a tensor program: x[] holds the parameters in --wrt order,
 * input[] every other variable. */
static int emit_tensor_code(const Options *o, Graph *g, Node *y, const int *wrt, int nwrt, Node **rows,
                            int nrows, const Source *src, StrBuf *out) {
    int *inputs = malloc((size_t)(g->nvars + 1) * sizeof *inputs);
    size_t *offsets = malloc((size_t)(nwrt * nrows + 1) * sizeof *offsets);
    char *source_text = malloc(src->len + 1);
    int status = inputs && offsets && source_text ? 0 : out_of_memory();
    int ninputs = 0;
    size_t nx = 0;
    for (int v = 0; v < g->nvars && status == 0; v++) {
        int is_wrt = 0;
        for (int i = 0; i < nwrt; i++)
            is_wrt |= wrt[i] == v;
        if (!is_wrt)
            inputs[ninputs++] = v;
    }
    for (int j = 0; j < nwrt && status == 0; j++) {
        offsets[j] = nx;
        nx += (size_t)shape_numel(g->vars[wrt[j]].shape);
    }
    /* row i of a Jacobian: d y[i] / d var j at J[i * NVARS + offset of j] */
    for (int i = nrows; i-- > 0 && status == 0;)
        for (int j = 0; j < nwrt; j++)
            offsets[i * nwrt + j] = (size_t)i * nx + offsets[j];
    if (status == 0) {
        memcpy(source_text, src->text, src->len);
        source_text[src->len] = '\0';
        for (size_t i = 0; i < src->len; i++)
            if (source_text[i] == '\0')
                source_text[i] = ' ';
    }
    char *header_path = o->output ? sibling_path(o->output, ".h") : NULL;
    char header_name[256];
    snprintf(header_name, sizeof header_name, "%s.h", o->name);
    if (header_path)
        snprintf(header_name, sizeof header_name, "%s", base_name(header_path));
    TensorCodegenInput in = {wrt, nwrt, inputs, ninputs, y, rows, nwrt * nrows, offsets,
                             y->shape.rank ? "J" : "grad"};
    CodegenOptions copt = {o->name, o->use_float, header_name, source_text, o->command_line, SYMDIFF_VERSION, 0, o->unroll};
    StrBuf c_src, c_hdr;
    sb_init(&c_src);
    sb_init(&c_hdr);
    if (status == 0 && (o->emit_test || o->emit_main)) {
        usage_error("%s", "--emit-test and --emit-main are for scalar programs");
        status = EXIT_USAGE;
    } else if (status == 0 && o->emit_c > 1) {
        usage_error("%s", "--emit forward-ad and reverse-ad are for scalar programs; "
                          "vectors and matrices get the symbolic kernel (--emit c)");
        status = EXIT_USAGE;
    } else if (status == 0 &&
               (status = float_range_error(o, g, (Node *const *const[]){&y, rows},
                                           (const int[]){1, nwrt * nrows}, 2)) != 0) {
        /* reported */
    } else if (status == 0 && (status = codegen_tensor_c(g, &in, &copt, &c_src, &c_hdr)) != 0) {
        if (status == -2)
            fprintf(stderr, "symdiff: error: --unroll: the straight-line code would exceed %zu MiB; "
                            "leave out --unroll to keep the loops\n", CODEGEN_UNROLL_LIMIT >> 20);
        else
            fprintf(stderr, "symdiff: error: out of memory\n");
        status = EXIT_INPUT;
    } else if (status == 0 && o->output) {
        const char *paths[2] = {o->output, header_path};
        StrBuf *data[2] = {&c_src, &c_hdr};
        if (!header_path)
            status = out_of_memory();
        else if (write_files_atomically(paths, data, 2) != 0)
            status = EXIT_INPUT;
    } else if (status == 0) {
        sb_puts(out, sb_str(&c_hdr));
        sb_putc(out, '\n');
        sb_puts(out, sb_str(&c_src));
    }
    sb_free(&c_src);
    sb_free(&c_hdr);
    free(header_path);
    free(inputs);
    free(offsets);
    free(source_text);
    return status;
}

static int run_tensor(const Options *o, Graph *g, Program *prog, const int *wrt, int nwrt,
                      const Source *src, StrBuf *out) {
    if (o->hessian || o->order > 1 || o->expand || o->check || o->mode == DERIV_FORWARD) {
        usage_error("%s", "with vectors and matrices, --hessian, --order, --expand, --check and "
                          "--mode forward are not supported");
        return EXIT_USAGE;
    }
    if (prog->noutputs > 1) { /* [f1, f2, ...] with tensors inside: one vector */
        Node *y = dag_pack(g, prog->outputs, prog->noutputs);
        if (!y) {
            usage_error("%s", "the final [f1, f2, ...] must hold scalars");
            return EXIT_USAGE;
        }
        prog->outputs[0] = y;
        prog->noutputs = 1;
        prog->is_vector = 0;
    }
    Node *y = prog->outputs[0];
    PrintStyle style = o->latex ? PRINT_LATEX : PRINT_INFIX;
    Node **res = calloc((size_t)(nwrt ? nwrt : 1), sizeof *res);
    char **labels = calloc((size_t)(nwrt ? nwrt : 1), sizeof *labels);
    int status = res && labels ? 0 : out_of_memory();
    int nres = o->simplify_only ? 1 : nwrt;
    Node **rows = NULL;
    int nrows = 0;
    if (status == 0 && o->simplify_only)
        res[0] = y;
    else if (status == 0) {
        deriv_assume_domain(g, &y, 1);
        status = tensor_derivatives(g, y, wrt, nwrt, &rows, &nrows);
    }
    if (status == 0 && g->failed)
        status = graph_error(g);
    if (status == 0 && o->emit_c) {
        status = emit_tensor_code(o, g, y, wrt, nwrt, rows, nrows, src, out);
        goto done;
    }
    if (status == 0 && !o->simplify_only) {
        if (y->shape.rank == 0)
            memcpy(res, rows, (size_t)nwrt * sizeof *res);
        else
            status = jacobian_blocks(g, rows, nrows, wrt, nwrt, res);
    }
    TensorValues tv = {NULL, NULL};
    double *storage = NULL;
    const double **point = NULL;
    if (status == 0 && o->at) {
        size_t total = 0;
        for (int v = 0; v < g->nvars; v++)
            total += (size_t)shape_numel(g->vars[v].shape);
        storage = calloc(total ? total : 1, sizeof *storage);
        point = calloc((size_t)(g->nvars ? g->nvars : 1), sizeof *point);
        Node **all = malloc((size_t)(nres + 1) * sizeof *all);
        if (!storage || !point || !all)
            status = out_of_memory();
        else if (parse_tensor_point(g, o->at, storage, point) != 0)
            status = EXIT_USAGE;
        else {
            all[0] = y;
            memcpy(all + 1, res, (size_t)nres * sizeof *all);
            if (eval_tensors(g, all, nres + 1, point, &tv) != 0)
                status = out_of_memory();
        }
        free(all);
    }
    const char *what = y->shape.rank == 0 ? "gradient" : "jacobian";
    if (status != 0) {
    } else if (o->json) {
        sb_puts(out, "{\"vars\": [");
        for (int j = 0; j < nwrt; j++) {
            if (j)
                sb_puts(out, ", ");
            json_string(out, g->vars[wrt[j]].name);
        }
        sb_putc(out, ']');
        if (tv.at) {
            sb_puts(out, ", \"value\": ");
            put_tensor(out, tv.at[y->id], y->shape, 1);
        }
        if (tv.at && !o->simplify_only) {
            sb_printf(out, ", \"%s\": [", what);
            for (int j = 0; j < nwrt; j++) {
                if (j)
                    sb_puts(out, ", ");
                put_tensor(out, tv.at[res[j]->id], res[j]->shape, 1);
            }
            sb_putc(out, ']');
        }
        sb_printf(out, ", \"%s\": [", o->simplify_only ? "function" : "derivatives");
        for (int j = 0; j < nres; j++) {
            char *e = expr_string(g, res[j], style);
            if (j)
                sb_puts(out, ", ");
            json_string(out, e ? e : "");
            if (!e)
                out->failed = 1; /* reported as out of memory */
            free(e);
        }
        sb_puts(out, "]}\n");
    } else if (tv.at) {
        sb_puts(out, "value = ");
        put_tensor(out, tv.at[y->id], y->shape, 0);
        sb_putc(out, '\n');
        for (int j = 0; j < nres && !o->simplify_only; j++) {
            sb_printf(out, "d/d%s = ", g->vars[wrt[j]].name);
            put_tensor(out, tv.at[res[j]->id], res[j]->shape, 0);
            sb_putc(out, '\n');
        }
    } else if (o->simplify_only) {
        print_roots(out, g, res, NULL, 1, style);
    } else {
        for (int j = 0; j < nwrt; j++) {
            StrBuf lb;
            sb_init(&lb);
            if (o->latex) {
                sb_puts(&lb, "\\frac{\\partial f}{\\partial ");
                print_latex_name(&lb, g->vars[wrt[j]].name);
                sb_putc(&lb, '}');
            } else {
                sb_printf(&lb, "d/d%s", g->vars[wrt[j]].name);
            }
            labels[j] = dup_string(sb_str(&lb));
            if (!labels[j] || lb.failed)
                out->failed = 1;
            sb_free(&lb);
        }
        print_roots(out, g, res, (const char *const *)labels, nwrt, style);
    }
    if (status == 0 && o->stats)
        fprintf(stderr, "stats: function %zu nodes, derivatives %zu nodes, graph %zu nodes, engine reverse (tensor)\n",
                dag_count(g, &y, 1), dag_count(g, res, nres), g->nnodes);
    eval_tensors_free(&tv);
    free(storage);
    free(point);
done:
    for (int j = 0; labels && j < nwrt; j++)
        free(labels[j]);
    free(labels);
    free(res);
    free(rows);
    return status;
}

/* --- the pipeline ------------------------------------------------------------------ */

typedef struct Result {
    Node **roots;     /* what is printed: derivatives, or the function */
    int nroots;
    int rows, cols;   /* matrix shape of roots (Jacobian, Hessian)      */
    const char *matrix_name; /* "J" or "H", or NULL                     */
    char **labels;    /* per root, for text output                      */
} Result;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_matrix_text(StrBuf *out, const Graph *g, const Result *r, PrintStyle style) {
    PrintSession *s = print_begin(g, r->roots, r->nroots, style, out);
    if (!s)
        return;
    if (style == PRINT_LATEX) {
        sb_puts(out, r->matrix_name);
        sb_puts(out, " = \\begin{pmatrix}\n");
        for (int i = 0; i < r->rows; i++) {
            for (int j = 0; j < r->cols; j++) {
                sb_puts(out, j ? " & " : "  ");
                print_root(s, r->roots[i * r->cols + j], out);
            }
            sb_puts(out, i + 1 < r->rows ? " \\\\\n" : "\n");
        }
        sb_puts(out, "\\end{pmatrix}\n");
    } else {
        sb_printf(out, "%s = [", r->matrix_name);
        for (int i = 0; i < r->rows; i++) {
            sb_puts(out, i ? ",\n     [" : "[");
            for (int j = 0; j < r->cols; j++) {
                if (j)
                    sb_puts(out, ", ");
                print_root(s, r->roots[i * r->cols + j], out);
            }
            sb_putc(out, ']');
        }
        sb_puts(out, "]\n");
    }
    print_end(s);
}

static void print_matrix_values(StrBuf *out, const Result *r, const double *values, int json) {
    sb_puts(out, json ? "[" : "");
    if (!json)
        sb_printf(out, "%s = [", r->matrix_name);
    for (int i = 0; i < r->rows; i++) {
        sb_puts(out, i ? (json ? ", [" : ",\n     [") : "[");
        for (int j = 0; j < r->cols; j++) {
            if (j)
                sb_puts(out, ", ");
            double v = values[r->roots[i * r->cols + j]->id];
            if (json)
                json_number(out, v);
            else
                text_number(out, v);
        }
        sb_putc(out, ']');
    }
    sb_puts(out, json ? "]" : "]\n");
}

static void json_numbers(StrBuf *out, Node *const *nodes, int n, const double *values) {
    sb_putc(out, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            sb_puts(out, ", ");
        json_number(out, values[nodes[i]->id]);
    }
    sb_putc(out, ']');
}

static void json_strings(StrBuf *out, const Graph *g, Node *const *nodes, int n, PrintStyle style) {
    sb_putc(out, '[');
    for (int i = 0; i < n; i++) {
        char *s = expr_string(g, nodes[i], style);
        if (!s)
            out->failed = 1; /* reported as out of memory by main */
        if (i)
            sb_puts(out, ", ");
        json_string(out, s ? s : "");
        free(s);
    }
    sb_putc(out, ']');
}

/* A rows x cols matrix of nodes as nested arrays of numbers or strings. */
static void json_matrix(StrBuf *out, const Graph *g, Node *const *nodes, int rows, int cols,
                        const double *values, PrintStyle style) {
    sb_putc(out, '[');
    for (int i = 0; i < rows; i++) {
        if (i)
            sb_puts(out, ", ");
        if (values)
            json_numbers(out, nodes + i * cols, cols, values);
        else
            json_strings(out, g, nodes + i * cols, cols, style);
    }
    sb_putc(out, ']');
}

/* The --json object: vars, value (with --at), and what was computed:
 *   scalar:  gradient (numbers, with --at), derivatives (strings), and with
 *            --hessian hessian (numbers) and hessian_expressions;
 *   vector:  jacobian (numbers, with --at), derivatives (rows of strings);
 *   --order: derivative_order, derivative_value, derivatives ([string]);
 *   --simplify: function. */
static void write_json(StrBuf *out, const Options *o, const Graph *g, const Program *prog,
                       const int *wrt, int nwrt, const Result *r, Node *const *gradient,
                       const double *values, PrintStyle style, const GradCheck *gc) {
    sb_puts(out, "{\"vars\": [");
    for (int i = 0; i < nwrt; i++) {
        if (i)
            sb_puts(out, ", ");
        json_string(out, g->vars[wrt[i]].name);
    }
    sb_puts(out, "]");
    if (values) {
        sb_puts(out, ", \"value\": ");
        if (prog->is_vector)
            json_numbers(out, prog->outputs, prog->noutputs, values);
        else
            json_number(out, values[prog->outputs[0]->id]);
    }
    if (o->simplify_only) {
        sb_puts(out, ", \"function\": ");
        if (prog->is_vector) {
            json_strings(out, g, prog->outputs, prog->noutputs, style);
        } else {
            char *s = expr_string(g, prog->outputs[0], style);
            if (!s)
                out->failed = 1;
            json_string(out, s ? s : "");
            free(s);
        }
    } else if (prog->is_vector) {
        if (values) {
            sb_puts(out, ", \"jacobian\": ");
            json_matrix(out, g, r->roots, r->rows, r->cols, values, style);
        }
        sb_puts(out, ", \"derivatives\": ");
        json_matrix(out, g, r->roots, r->rows, r->cols, NULL, style);
    } else if (o->order > 1) {
        sb_printf(out, ", \"derivative_order\": %d", o->order);
        if (values) {
            sb_puts(out, ", \"derivative_value\": ");
            json_number(out, values[r->roots[0]->id]);
        }
        sb_puts(out, ", \"derivatives\": ");
        json_strings(out, g, r->roots, 1, style);
    } else {
        if (values) {
            sb_puts(out, ", \"gradient\": ");
            json_numbers(out, gradient, nwrt, values);
        }
        sb_puts(out, ", \"derivatives\": ");
        json_strings(out, g, gradient, nwrt, style);
        if (o->hessian) {
            if (values) {
                sb_puts(out, ", \"hessian\": ");
                json_matrix(out, g, r->roots, r->rows, r->cols, values, style);
            }
            sb_puts(out, ", \"hessian_expressions\": ");
            json_matrix(out, g, r->roots, r->rows, r->cols, NULL, style);
        }
    }
    if (gc) {
        sb_printf(out, ", \"check\": {\"points\": %d, \"max_error\": ", gc->tested);
        json_number(out, gc->max_error);
        sb_printf(out, ", \"tolerance\": ");
        json_number(out, o->tol);
        sb_printf(out, ", \"skipped\": %d, \"ok\": %s}", gc->unsure, gc->max_error <= o->tol ? "true" : "false");
    }
    sb_puts(out, "}\n");
}

/* The variables to differentiate by: --wrt, else every parameter.
 * Returns 0 or an exit status. */
static int select_wrt(const Options *o, const Graph *g, int **wrt_out, int *nwrt) {
    int *wrt = malloc((size_t)(g->nvars + o->nwrt + 1) * sizeof *wrt);
    *wrt_out = wrt;
    *nwrt = 0;
    if (!wrt)
        return out_of_memory();
    if (o->nwrt) {
        for (int i = 0; i < o->nwrt; i++) {
            int v = graph_find_var(g, o->wrt[i]);
            if (v < 0) {
                usage_error("--wrt: '%s' is not a variable of the program", o->wrt[i]);
                return EXIT_USAGE;
            }
            wrt[(*nwrt)++] = v;
        }
    } else {
        for (int v = 0; v < g->nvars; v++)
            if (g->vars[v].role == VAR_PARAM)
                wrt[(*nwrt)++] = v;
    }
    return 0;
}

/* --- teaching ------------------------------------------------------------------------ */

static int run_demo(const Options *o, StrBuf *out) {
    int r = o->demo == DEMO_BAYDIN
                ? baydin_table(out, o->demo_n, o->latex ? BAYDIN_LATEX : BAYDIN_ASCII)
                : baydin_pitfall(out);
    if (r != 0) {
        fprintf(stderr, "symdiff: error: out of memory\n");
        return EXIT_INPUT;
    }
    return 0;
}

/* --swell for one program: lowers the AST (with `extra` bound as well as
 * the -D names), differentiates it as the options say and measures every
 * method.  Returns 0 or an exit status. */
static int measure_swell(const Options *o, const Ast *ast, Diag *diag, const Define *extra,
                         SwellReport *report, uint64_t *work) {
    int status = 0, *wrt = NULL, nwrt = 0;
    Node **grad = NULL;
    double *point = NULL;
    Program prog = {NULL, 0, 0, 0};
    Define *defs = malloc((size_t)(o->ndefines + 1) * sizeof *defs);
    Graph *g = graph_new();
    if (!defs || !g) {
        fprintf(stderr, "symdiff: error: out of memory\n");
        status = EXIT_INPUT;
        goto done;
    }
    /* the swept name first: it wins over a -D of the same name */
    if (extra)
        defs[0] = *extra;
    if (o->ndefines)
        memcpy(defs + !!extra, o->defines, (size_t)o->ndefines * sizeof *defs);
    g->max_nodes = (size_t)o->max_nodes;
    g->kink = o->kink;
    LowerOptions lopt = {(const char *const *)o->vars, o->nvars, defs, o->ndefines + !!extra, 0};
    if (lower_program(g, ast, diag, &lopt, &prog) != 0) {
        status = EXIT_INPUT;
        goto done;
    }
    int has_tensors = dag_has_tensors(g, prog.outputs, prog.noutputs);
    for (int v = 0; v < g->nvars; v++)
        has_tensors |= g->vars[v].shape.rank > 0;
    if (prog.is_vector || has_tensors) {
        usage_error("%s", "--swell measures the derivatives of a scalar program without vectors "
                          "and matrices");
        status = EXIT_USAGE;
        goto done;
    }
    status = select_wrt(o, g, &wrt, &nwrt);
    if (status != 0)
        goto done;
    if (nwrt == 0) {
        usage_error("%s", "--swell: the program has no variables to differentiate");
        status = EXIT_USAGE;
        goto done;
    }
    grad = calloc((size_t)nwrt, sizeof *grad);
    point = calloc((size_t)(g->nvars ? g->nvars : 1), sizeof *point);
    if (!grad || !point) {
        status = EXIT_INPUT;
        goto done;
    }
    deriv_assume_domain(g, prog.outputs, 1);
    if (deriv_gradient(g, prog.outputs[0], wrt, nwrt, o->mode, grad, NULL) != 0 || g->failed) {
        status = graph_error(g);
        goto done;
    }
    if (o->at && (status = parse_point(g, o->at, point)) != 0) {
        status = status == -2 ? EXIT_INPUT : EXIT_USAGE;
        goto done;
    }
    if (swell_measure(g, prog.outputs[0], wrt, nwrt, grad, o->at ? point : NULL, report) != 0)
        status = graph_error(g);
done:
    if (g)
        *work += g->work;
    program_free(&prog);
    graph_free(g);
    free(defs);
    free(wrt);
    free(grad);
    free(point);
    return status;
}

/* --swell, alone or over a --sweep, with its --plot. */
static int run_swell(const Options *o, const Ast *ast, Diag *diag, StrBuf *out) {
    if (!o->sweep_name) {
        SwellReport report;
        uint64_t work = 0;
        int status = measure_swell(o, ast, diag, NULL, &report, &work);
        if (status == 0) {
            if (o->json)
                swell_print_json(out, &report);
            else
                swell_print_table(out, &report);
        }
        return status;
    }
    int n = (int)(o->sweep_hi - o->sweep_lo + 1), status = 0;
    SwellReport *reports = malloc((size_t)n * sizeof *reports);
    double *x = malloc((size_t)n * sizeof *x);
    if (!reports || !x) {
        fprintf(stderr, "symdiff: error: out of memory\n");
        status = EXIT_INPUT;
    }
    /* the points share one graph's work limit: each is bounded by it, and
     * so are all of them together (within one point's worth) */
    uint64_t work = 0;
    for (int i = 0; i < n && status == 0; i++) {
        if (work > GRAPH_MAX_WORK) {
            char why[160];
            snprintf(why, sizeof why, "--sweep: the values up to %s = %ld take more than %llu steps of work "
                     "in all; sweep fewer values", o->sweep_name, o->sweep_lo + i - 1,
                     (unsigned long long)GRAPH_MAX_WORK);
            usage_error("%s", why);
            status = EXIT_USAGE;
            break;
        }
        x[i] = (double)(o->sweep_lo + i);
        Define d = {o->sweep_name, x[i]};
        status = measure_swell(o, ast, diag, &d, &reports[i], &work);
    }
    if (status == 0) {
        if (o->json)
            swell_print_sweep_json(out, o->sweep_name, x, reports, n);
        else
            swell_print_sweep(out, o->sweep_name, x, reports, n);
    }
    if (status == 0 && o->plot) {
        StrBuf svg;
        sb_init(&svg);
        char title[128];
        snprintf(title, sizeof title, "Size of the derivative by method, for %s = %ld..%ld",
                 o->sweep_name, o->sweep_lo, o->sweep_hi);
        if (swell_plot_svg(&svg, title, o->sweep_name, x, reports, n, SWELL_PLOT_DEFAULT) != 0 ||
            svg.failed) {
            fprintf(stderr, "symdiff: error: out of memory\n");
            status = EXIT_INPUT;
        } else if (write_atomically(o->plot, sb_str(&svg), svg.len) != 0) {
            status = EXIT_INPUT;
        }
        sb_free(&svg);
    }
    free(reports);
    free(x);
    return status;
}

/* --dot / --dot-tree: the function's roots and the derivatives' in one
 * picture, written to its file. */
static int write_dot(const Options *o, const Graph *g, const Program *prog, const Result *r,
                     const int *wrt) {
    int n = prog->noutputs + r->nroots;
    Node **roots = malloc((size_t)n * sizeof *roots);
    char **labels = calloc((size_t)n, sizeof *labels);
    StrBuf dot;
    sb_init(&dot);
    int status = 0;
    if (!roots || !labels) {
        status = -1;
        goto done;
    }
    for (int i = 0; i < prog->noutputs; i++) {
        roots[i] = prog->outputs[i];
        labels[i] = malloc(32);
        if (labels[i])
            snprintf(labels[i], 32, prog->is_vector ? "f%d" : "f", i + 1);
    }
    for (int i = 0; i < r->nroots; i++) {
        StrBuf lb;
        sb_init(&lb);
        if (r->matrix_name)
            sb_printf(&lb, "%s[%d][%d]", r->matrix_name, i / r->cols + 1, i % r->cols + 1);
        else if (!o->simplify_only)
            sb_printf(&lb, "d/d%s", g->vars[wrt[i]].name);
        roots[prog->noutputs + i] = r->roots[i];
        labels[prog->noutputs + i] = dup_string(sb_str(&lb));
        sb_free(&lb);
    }
    int nf = o->simplify_only ? n : prog->noutputs;
    if (dot_write_split(&dot, g, roots, (const char *const *)labels, o->simplify_only ? nf : n, nf,
                        o->dot_tree) != 0 ||
        dot.failed) {
        status = -1;
        goto done;
    }
    status = write_atomically(o->dot, sb_str(&dot), dot.len) != 0 ? EXIT_INPUT : 0;
done:
    if (status == -1) {
        fprintf(stderr, "symdiff: error: %s\n",
                o->dot_tree ? "--dot-tree: the tree is too large to draw (more than 2000 nodes); "
                              "use --dot for the shared DAG"
                            : "out of memory");
        status = EXIT_INPUT;
    }
    for (int i = 0; labels && i < n; i++)
        free(labels[i]);
    free(labels);
    free(roots);
    sb_free(&dot);
    return status;
}

/* --trace: the derivation of each derivative, rule by rule. */
static int write_trace(const Options *o, Graph *g, const Program *prog, const int *wrt, int nwrt,
                       StrBuf *out) {
    for (int i = 0; i < nwrt; i++) {
        if (i)
            sb_putc(out, '\n');
        if (trace_derivative(out, g, prog->outputs[0], wrt[i], o->latex) != 0) {
            fprintf(stderr, "symdiff: error: --trace is for small programs (a tree of at most %d "
                            "nodes)\n", TRACE_LIMIT);
            return EXIT_INPUT;
        }
    }
    return 0;
}

/* --factor: each derivative as a factored polynomial in its variable. */
static int write_factored(const Options *o, const Graph *g, const Result *r, const int *wrt,
                          StrBuf *out) {
    for (int i = 0; i < r->nroots; i++) {
        sb_printf(out, "d/d%s = ", g->vars[wrt[i]].name);
        int st = poly_factor_string(out, g, r->roots[i], wrt[i], o->latex ? POLY_LATEX : POLY_ASCII);
        if (st != POLY_OK) {
            fprintf(stderr, "symdiff: error: --factor: %s\n",
                    st == POLY_NOT_POLY ? "the derivative is not a polynomial in one variable"
                    : st == POLY_NOMEM  ? "out of memory"
                                        : "the polynomial is too large");
            return EXIT_INPUT;
        }
        sb_putc(out, '\n');
    }
    return 0;
}

static int run(Options *o, StrBuf *out) {
    if (o->demo)
        return run_demo(o, out);
    int status = 0;
    StrBuf text;
    sb_init(&text);
    Source src = {"<expr>", NULL, 0};
    if (o->file) {
        FILE *f = strcmp(o->file, "-") == 0 ? stdin : fopen(o->file, "rb");
        src.name = strcmp(o->file, "-") == 0 ? "<stdin>" : o->file;
        if (!f || read_all(f, &text) != 0) {
            if (text.failed || (!f && errno == ENOMEM))
                out_of_memory();
            else
                fprintf(stderr, "symdiff: error: cannot read '%s': %s\n", src.name,
                        f ? "read error" : strerror(errno));
            if (f && f != stdin)
                fclose(f);
            sb_free(&text);
            return EXIT_INPUT;
        }
        if (f != stdin)
            fclose(f);
        src.text = sb_str(&text);
        src.len = text.len;
    } else {
        src.text = o->program;
        src.len = strlen(o->program);
    }

    Diag diag;
    diag_init(&diag, &src);
    AstArena arena = {NULL};
    Graph *g = NULL;
    Program prog = {NULL, 0, 0, 0};
    Result r;
    memset(&r, 0, sizeof r);
    int *wrt = NULL, nwrt = 0;
    Node **gradient = NULL; /* kept apart when the Hessian is printed */
    double *point = NULL, *values = NULL;
    PrintStyle style = o->latex ? PRINT_LATEX : PRINT_INFIX;
    double t0 = now_seconds();

    Ast *ast = parse_program(&arena, &diag);
    if (!ast) {
        status = EXIT_INPUT;
        goto done;
    }
    if (o->print_ast) {
        ast_print(out, ast);
        sb_putc(out, '\n');
        goto done;
    }
    if (o->swell) {
        status = run_swell(o, ast, &diag, out);
        goto done;
    }
    g = graph_new();
    if (!g) {
        fprintf(stderr, "symdiff: error: out of memory\n");
        status = EXIT_INPUT;
        goto done;
    }
    g->max_nodes = (size_t)o->max_nodes;
    g->kink = o->kink;
    LowerOptions lopt = {(const char *const *)o->vars, o->nvars, o->defines, o->ndefines, 0};
    if (lower_program(g, ast, &diag, &lopt, &prog) != 0) {
        status = EXIT_INPUT;
        goto done;
    }
    ast_arena_free(&arena); /* the graph has everything now: the tree of a large
                               program is a third of the peak memory */
    double t_lower = now_seconds();

    status = select_wrt(o, g, &wrt, &nwrt);
    if (status != 0)
        goto done;

    if (nwrt == 0 && !o->simplify_only && !o->at && !o->emit_c) {
        /* nothing to differentiate: say so rather than print nothing */
        char *v = prog.is_vector ? NULL : expr_string(g, prog.outputs[0], PRINT_INFIX);
        fprintf(stderr, "symdiff: the program has no variables to differentiate%s%s\n",
                v ? "; its value is " : "", v ? v : "");
        free(v);
    }

    /* programs with vectors and matrices take their own path */
    int has_tensors = dag_has_tensors(g, prog.outputs, prog.noutputs);
    for (int v = 0; v < g->nvars; v++)
        has_tensors |= g->vars[v].shape.rank > 0;
    if (has_tensors) {
        if (o->trace || o->factor || o->dot) {
            usage_error("%s", "--trace, --factor, --dot and --dot-tree are for programs without vectors "
                              "and matrices");
            status = EXIT_USAGE;
            goto done;
        }
        status = run_tensor(o, g, &prog, wrt, nwrt, &src, out);
        goto done;
    }

    /* --- what to compute --- */
    int scalar = !prog.is_vector;
    if ((o->hessian || o->order > 1) && !scalar) {
        usage_error("%s", o->hessian ? "--hessian needs a scalar program" : "--order needs a scalar program");
        status = EXIT_USAGE;
        goto done;
    }
    if (o->order > 1 && nwrt != 1) {
        usage_error("%s", "--order needs exactly one variable (use --wrt)");
        status = EXIT_USAGE;
        goto done;
    }
    if (!o->simplify_only)
        deriv_assume_domain(g, prog.outputs, prog.noutputs);
    DerivMode used = o->mode;
    if (o->simplify_only) {
        r.roots = prog.outputs;
        r.nroots = prog.noutputs;
        if (prog.is_vector) {
            r.rows = prog.noutputs;
            r.cols = 1;
            r.matrix_name = "f";
        }
    } else if (!scalar) {
        /* Jacobian, numerator layout: J[i][j] = d f_i / d x_j (columns by
         * forward mode, sharing work between the outputs) */
        r.rows = prog.noutputs;
        r.cols = nwrt;
        r.matrix_name = "J";
        if (deriv_jacobian(g, prog.outputs, prog.noutputs, wrt, nwrt, &r.roots) == 0)
            r.nroots = r.rows * r.cols;
        used = DERIV_FORWARD;
    } else if (o->order > 1) {
        Node *d = deriv_nth(g, prog.outputs[0], wrt[0], o->order);
        r.roots = calloc(1, sizeof *r.roots);
        if (!r.roots) {
            status = out_of_memory();
            goto done;
        }
        r.roots[0] = d;
        r.nroots = 1;
        used = DERIV_FORWARD;
    } else {
        r.nroots = nwrt;
        r.roots = calloc((size_t)(nwrt ? nwrt : 1), sizeof *r.roots);
        if (!r.roots || deriv_gradient(g, prog.outputs[0], wrt, nwrt, o->mode, r.roots, &used) != 0) {
            status = EXIT_INPUT;
            if (r.roots)
                r.nroots = 0;
        }
        if (status == 0 && o->hessian) {
            Node **h;
            if (deriv_hessian(g, r.roots, wrt, nwrt, o->mode, &h) != 0) {
                status = EXIT_INPUT;
            } else {
                gradient = r.roots;
                r.roots = h;
                r.nroots = nwrt * nwrt;
                r.rows = r.cols = nwrt;
                r.matrix_name = "H";
            }
        }
    }
    if (g->failed || status != 0) {
        graph_error(g); /* the graph's reason, or a failed allocation here */
        if (!status)
            status = EXIT_INPUT;
        goto done;
    }
    for (int i = 0; i < r.nroots; i++)
        if (!r.roots[i]) {
            fprintf(stderr, "symdiff: error: out of memory\n");
            status = EXIT_INPUT;
            goto done;
        }
    if (o->expand) {
        for (int i = 0; i < r.nroots; i++) {
            int err;
            Node *e = expand_node(g, r.roots[i], &err);
            if (!e && g->failed) {
                status = graph_error(g);
                goto done;
            }
            if (!e) {
                fprintf(stderr, "symdiff: error: --expand: %s\n",
                        err == 2 ? "the expansion has too many terms (more than 20000)"
                                 : err == 3 ? "a coefficient is too large" : "out of memory");
                status = EXIT_INPUT;
                goto done;
            }
            r.roots[i] = e;
        }
    }
    double t_deriv = now_seconds();

    /* --- teaching views of the derivatives --- */
    if (o->dot && (status = write_dot(o, g, &prog, &r, wrt)) != 0)
        goto done;
    if (o->trace || o->factor) {
        if (!scalar || r.matrix_name || o->order > 1 || o->simplify_only) {
            usage_error("%s", o->trace ? "--trace shows the first derivatives of a scalar program"
                                       : "--factor shows the first derivatives of a scalar program");
            status = EXIT_USAGE;
        } else {
            status = o->trace ? write_trace(o, g, &prog, wrt, nwrt, out)
                              : write_factored(o, g, &r, wrt, out);
        }
        goto done;
    }

    /* --- C code --- */
    if (o->emit_c) {
        if (o->expand || o->simplify_only || o->order > 1) {
            usage_error("%s", "C output is for gradients, Jacobians and Hessians (not with --expand, "
                              "--simplify or --order)");
            status = EXIT_USAGE;
            goto done;
        }
        status = emit_code(o, g, &prog, wrt, nwrt, gradient ? gradient : r.roots,
                           gradient ? r.roots : NULL, src.text, src.len, out);
        goto done;
    }

    /* --- numbers --- */
    if (o->at || o->check) {
        point = calloc((size_t)(g->nvars ? g->nvars : 1), sizeof *point);
        values = malloc((g->nnodes ? g->nnodes : 1) * sizeof *values);
        if (!point || !values) {
            status = out_of_memory();
            goto done;
        }
    }
    if (o->at) {
        if ((status = parse_point(g, o->at, point)) != 0) {
            status = status == -2 ? EXIT_INPUT : EXIT_USAGE;
            goto done;
        }
        int ngrad = gradient ? nwrt : 0;
        Node **all = malloc((size_t)(r.nroots + prog.noutputs + ngrad) * sizeof *all);
        if (!all) {
            status = out_of_memory();
            goto done;
        }
        memcpy(all, prog.outputs, (size_t)prog.noutputs * sizeof *all);
        memcpy(all + prog.noutputs, r.roots, (size_t)r.nroots * sizeof *all);
        if (ngrad)
            memcpy(all + prog.noutputs + r.nroots, gradient, (size_t)ngrad * sizeof *all);
        int evaluated = eval_nodes(g, all, r.nroots + prog.noutputs + ngrad, point, values);
        free(all);
        if (evaluated != 0) {
            status = out_of_memory();
            goto done;
        }
    }

    /* --- gradient check --- */
    GradCheck gc;
    memset(&gc, 0, sizeof gc);
    int check_ran = 0;
    StrBuf check_line;
    sb_init(&check_line);
    if (o->check) {
        if (!scalar || r.matrix_name || o->order > 1 || o->simplify_only) {
            usage_error("%s", "--check applies to the gradient of a scalar program");
            status = EXIT_USAGE;
            goto done;
        }
        gc.points = o->samples;
        gc.seed = o->seed;
        gc.base = o->at ? point : NULL;
        int checked = gradcheck_run(g, prog.outputs[0], r.roots, wrt, nwrt, &gc);
        if (checked == -2) {
            status = out_of_memory();
            goto done;
        } else if (checked != 0) {
            fprintf(stderr, "symdiff: error: --check: the function is undefined at every point tried\n");
            status = EXIT_CHECK;
        } else {
            check_ran = 1;
            sb_printf(&check_line, "gradient check: %d points, max relative error %.3g (tolerance %g)%s%s",
                      gc.tested, gc.max_error, o->tol, gc.worst_var >= 0 ? " at d/d" : "",
                      gc.worst_var >= 0 ? g->vars[wrt[gc.worst_var]].name : "");
            if (gc.unsure)
                sb_printf(&check_line, ", %d comparisons skipped (differences did not converge)", gc.unsure);
            sb_printf(&check_line, ": %s\n", gc.max_error <= o->tol ? "ok" : "FAILED");
            if (gc.max_error > o->tol)
                status = EXIT_CHECK;
        }
    }

    /* --- output --- */
    const char *d_prefix = o->latex ? "\\frac{\\partial f}{\\partial " : "d/d";
    if (o->json) {
        write_json(out, o, g, &prog, wrt, nwrt, &r, gradient ? gradient : r.roots, o->at ? values : NULL,
                   style, check_ran ? &gc : NULL);
    } else if (o->at) {
        if (prog.is_vector) {
            sb_puts(out, "value = [");
            for (int i = 0; i < prog.noutputs; i++) {
                if (i)
                    sb_puts(out, ", ");
                text_number(out, values[prog.outputs[i]->id]);
            }
            sb_puts(out, "]\n");
        } else {
            sb_puts(out, "value = ");
            text_number(out, values[prog.outputs[0]->id]);
            sb_putc(out, '\n');
        }
        if (o->simplify_only) {
            /* the value only */
        } else if (r.matrix_name) {
            print_matrix_values(out, &r, values, 0);
        } else if (o->order > 1) {
            sb_printf(out, "d%d/d%s%d = ", o->order, g->vars[wrt[0]].name, o->order);
            text_number(out, values[r.roots[0]->id]);
            sb_putc(out, '\n');
        } else {
            for (int i = 0; i < r.nroots; i++) {
                sb_printf(out, "d/d%s = ", g->vars[wrt[i]].name);
                text_number(out, values[r.roots[i]->id]);
                sb_putc(out, '\n');
            }
        }
    } else if (r.matrix_name) {
        print_matrix_text(out, g, &r, style);
    } else if (o->simplify_only) {
        print_roots(out, g, r.roots, NULL, r.nroots, style);
    } else if (r.nroots == 1 && !o->latex) {
        print_roots(out, g, r.roots, NULL, 1, style);
    } else {
        char **labels = calloc((size_t)(r.nroots ? r.nroots : 1), sizeof *labels);
        for (int i = 0; labels && i < r.nroots; i++) {
            StrBuf lb;
            sb_init(&lb);
            if (o->latex) {
                if (o->order > 1) {
                    sb_printf(&lb, "\\frac{\\partial^{%d} f}{\\partial ", o->order);
                    print_latex_name(&lb, g->vars[wrt[i]].name);
                    sb_printf(&lb, "^{%d}}", o->order);
                } else {
                    sb_puts(&lb, d_prefix);
                    print_latex_name(&lb, g->vars[wrt[i]].name);
                    sb_putc(&lb, '}');
                }
            } else {
                sb_printf(&lb, "d/d%s", g->vars[wrt[i]].name);
            }
            labels[i] = lb.failed ? NULL : dup_string(sb_str(&lb));
            if (!labels[i])
                out->failed = 1; /* reported as out of memory by main */
            sb_free(&lb);
        }
        if (!labels)
            out->failed = 1;
        if (o->latex && !out->failed) {
            /* the function first, in one session with the derivatives: with
             * temporaries (shared by all) when large or deep, for written out
             * inline it can be exponentially long or nest past the stack */
            Node **all = malloc((size_t)(r.nroots + 1) * sizeof *all);
            PrintSession *ps = NULL;
            if (all) {
                all[0] = prog.outputs[0];
                memcpy(all + 1, r.roots, (size_t)r.nroots * sizeof *all);
                ps = print_begin(g, all, r.nroots + 1, PRINT_LATEX, out);
            }
            if (ps) {
                sb_puts(out, "f &= ");
                print_root(ps, prog.outputs[0], out);
                for (int i = 0; i < r.nroots; i++) {
                    sb_printf(out, " \\\\\n%s &= ", labels[i]);
                    print_root(ps, r.roots[i], out);
                }
                sb_putc(out, '\n');
                print_end(ps);
            } else {
                out->failed = 1;
            }
            free(all);
        } else if (!out->failed) {
            print_roots(out, g, r.roots, (const char *const *)labels, r.nroots, style);
        }
        for (int i = 0; labels && i < r.nroots; i++)
            free(labels[i]);
        free(labels);
    }

    if (check_ran && !o->json)
        sb_puts(out, sb_str(&check_line));
    if (check_line.failed)
        out->failed = 1;
    sb_free(&check_line);
    if (o->stats) {
        size_t nf = dag_count(g, prog.outputs, prog.noutputs);
        size_t nd = dag_count(g, r.roots, r.nroots);
        fprintf(stderr,
                "stats: function %zu nodes (tree %.4g), derivatives %zu nodes (tree %.4g), "
                "graph %zu nodes, engine %s, parse+lower %.3f s, differentiate %.3f s\n",
                nf, dag_tree_size(g, prog.outputs, prog.noutputs), nd,
                dag_tree_size(g, r.roots, r.nroots), g->nnodes,
                used == DERIV_FORWARD ? "forward" : used == DERIV_REVERSE ? "reverse" : "auto",
                t_lower - t0, t_deriv - t_lower);
    }

done:
    fputs(sb_str(&diag.out), stderr);
    if (diag.out.failed) /* the messages are cut short */
        status = out_of_memory();
    diag_free(&diag);
    ast_arena_free(&arena);
    if (r.roots != prog.outputs)
        free(r.roots);
    program_free(&prog);
    graph_free(g);
    free(wrt);
    free(gradient);
    free(point);
    free(values);
    sb_free(&text);
    return status;
}

int main(int argc, char **argv) {
    /* past `ulimit -f` a write fails with EFBIG (and -o removes its
     * temporary) instead of the signal killing us mid-file */
    signal(SIGXFSZ, SIG_IGN);
    Options o;
    memset(&o, 0, sizeof o);
    /* the exact command, quoted for a shell, for generated headers */
    StrBuf cmd;
    sb_init(&cmd);
    for (int i = 0; i < argc; i++) {
        if (i)
            sb_putc(&cmd, ' ');
        const char *a = i == 0 ? "symdiff" : argv[i];
        if (*a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,:") == strlen(a)) {
            sb_puts(&cmd, a);
        } else {
            sb_putc(&cmd, '\'');
            for (; *a; a++) {
                if (*a == '\'')
                    sb_puts(&cmd, "'\\''");
                else
                    sb_putc(&cmd, *a);
            }
            sb_putc(&cmd, '\'');
        }
    }
    o.command_line = cmd.data;
    int status = cmd.failed ? out_of_memory() : parse_options(argc, argv, &o);
    if (status == 0) {
        StrBuf out;
        sb_init(&out);
        status = run(&o, &out);
        if (out.failed) {
            if (status == 0 || status == EXIT_CHECK) /* else reported already */
                out_of_memory();
            status = EXIT_INPUT;
        } else if (status == 0 || status == EXIT_CHECK) {
            if (o.output && o.emit_c) {
                /* the C files are written already */
            } else if (o.output) {
                if (write_atomically(o.output, sb_str(&out), out.len) != 0)
                    status = EXIT_INPUT;
            } else {
                fputs(sb_str(&out), stdout);
            }
        }
        sb_free(&out);
    } else if (status < 0) {
        status = 0;
    }
    free_names(o.vars, o.nvars);
    free_names(o.wrt, o.nwrt);
    free(o.defines);
    sb_free(&cmd);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "symdiff: error: writing the output failed\n");
        status = EXIT_INPUT;
    }
    return status;
}
