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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "symdiff.h"

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_CHECK = 3 };

/* The most rows of Baydin's table (--demo baydin=N). */
#define DEMO_BAYDIN_MAX 8

typedef struct Options {
    const char *program;   /* program text from the command line       */
    const char *file;      /* -f FILE ("-" for stdin)                  */
    const char *output;    /* -o FILE                                  */
    char **vars;           /* --vars                                   */
    int nvars;
    char **wrt;            /* --wrt                                    */
    int nwrt;
    char *at;              /* --at x=1,y=2                             */
    SdDefine *defines;     /* -D name=value                            */
    int ndefines;
    int json, simplify_only, latex, hessian, expand, check, stats;
    int dump;              /* --dump STAGE (--print: parse), 0: none  */
    int order;
    const char *name;      /* --name: prefix of generated functions     */
    int use_float;         /* --type float                              */
    int emit_c, emit_test; /* --emit c (or an AD kind), --emit-test     */
    SdEmitKind emit_kind;
    int unroll;            /* --unroll: tensor kernels without loops    */
    int emit_main;         /* --emit-main train                         */
    /* teaching (docs/teaching.md) */
    int swell, trace, factor; /* --swell, --trace, --factor               */
    const char *sweep_name;   /* --sweep NAME=A..B: NAME (in sweep_buf)   */
    char sweep_buf[64];
    long sweep_lo, sweep_hi;
    const char *plot;         /* --plot FILE.svg (with --sweep)           */
    const char *plot_title;   /* --plot-title TEXT                        */
    int plot_width, plot_height; /* --plot-size WxH                       */
    const char *dot;          /* --dot FILE, --dot-tree FILE              */
    int dot_tree;
    int dot_shared_constants; /* --dot-shared-constants                   */
    int demo, demo_n;         /* --demo baydin[=N] or pitfalls            */
    char *command_line;    /* for the generated header                  */
    SdMode mode;
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
          "\n",
          stdout);
    /* (in two strings: C99 compilers need support only 4095 characters) */
    fputs("teaching (see docs/teaching.md):\n"
          "      --swell           sizes of the derivative by every method: naive\n"
          "                        symbolic tree, simplified, shared DAG, forward and\n"
          "                        reverse AD, finite differences (values with --at)\n"
          "      --sweep N=A..B    --swell for each whole N from A to B (a name the\n"
          "                        program uses, e.g. a repeat count)\n"
          "      --plot FILE.svg   with --sweep: a log-scale chart of the sizes\n"
          "      --plot-title TEXT the chart's title\n"
          "      --plot-size WxH   the chart's size in pixels (type scales with it),\n"
          "                        e.g. 1280x720 for a slide\n"
          "      --dot FILE        Graphviz DOT of the function and derivative DAGs\n"
          "                        (each use of a constant a small leaf of its own)\n"
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
          "      --dump STAGE      print the program after a stage and stop: parse (as\n"
          "                        --print), lower (the DAG, a node per line) or derive\n"
          "                        (the DAG of the function and its derivatives)\n"
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
    OPT_SWELL, OPT_SWEEP, OPT_PLOT, OPT_DOT, OPT_DOT_TREE, OPT_TRACE, OPT_FACTOR, OPT_DEMO,
    OPT_DUMP, OPT_PLOT_TITLE, OPT_PLOT_SIZE, OPT_DOT_SHARED
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
            SdDefine *d = realloc(o->defines, (size_t)(o->ndefines + 1) * sizeof *d);
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
            printf("symdiff %s\n", sd_version());
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
            if (sd_c_name_problem(optarg)) {
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

/* --- writing files ---------------------------------------------------------------- */

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
    O_DOTDAG = 1 << 18
};

static unsigned option_bits(const Options *o) {
    return (o->hessian ? O_HESSIAN : 0) | (o->order > 1 ? O_ORDER : 0) |
           (o->simplify_only ? O_SIMPLIFY : 0) | (o->expand ? O_EXPAND : 0) |
           (o->check ? O_CHECK : 0) | (o->emit_c ? O_C : 0) | (o->emit_test ? O_TEST : 0) |
           (o->emit_main ? O_MAIN : 0) | (o->trace ? O_TRACE : 0) | (o->factor ? O_FACTOR : 0) |
           (o->dot ? O_DOT : 0) | (o->plot ? O_PLOT : 0) | (o->sweep_name ? O_SWEEP : 0) |
           (o->output ? O_OUTFILE : 0) | (o->emit_kind != SD_EMIT_SYMBOLIC ? O_AD : 0) |
           (o->unroll ? O_UNROLL : 0) | (o->plot_title || o->plot_width ? O_PLOTSTYLE : 0) |
           (o->dot_shared_constants ? O_DOTSHARED : 0) | (o->dot && !o->dot_tree ? O_DOTDAG : 0);
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
    {O_HESSIAN, 0, O_ORDER, "--hessian and --order ask for different derivatives: give one"},
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
                     .expand = o->expand};
    return req;
}

static SdCompileOptions compile_options(const Options *o, const char *name, const SdDefine *defs,
                                        int ndefs) {
    SdCompileOptions c = {.file = name, .vars = (const char *const *)o->vars, .nvars = o->nvars,
                          .defines = defs, .ndefines = ndefs, .max_nodes = o->max_nodes,
                          .parse_only = o->dump == 1 + SD_STAGE_PARSE};
    return c;
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
    SdSwell *sw = sd_swell_new();
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
        if (st == SD_OK && o->at) {
            free(point);
            point = malloc((size_t)(sd_point_size(p) + 1) * sizeof *point);
            st = point ? sd_point_parse(p, o->at, point) : SD_ERR_NOMEM;
        }
        if (st == SD_OK)
            st = sd_swell_add(sw, r, (double)x, o->at ? point : NULL);
        status = report(p, st);
        sd_result_free(r);
        sd_program_free(p);
    }
    if (status == 0)
        status = emit(out, sd_swell_text(sw, o->sweep_name, o->json ? SD_JSON : SD_TEXT));
    if (status == 0 && o->plot) {
        SdPlotOptions po = {o->plot_title, o->plot_width, o->plot_height};
        char *svg = sd_swell_svg(sw, o->sweep_name, &po);
        if (!svg)
            status = out_of_memory();
        else if (write_atomically(o->plot, svg) != 0)
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
    char *header_path = o->output ? sibling_path(o->output, ".h") : NULL;
    if (o->output && !header_path)
        return out_of_memory();
    SdEmitOptions eo = {.name = o->name, .type = o->use_float ? SD_FLOAT : SD_DOUBLE,
                        .kind = o->emit_kind, .unroll = o->unroll, .test_program = o->emit_test,
                        .train_program = o->emit_main, .self_contained = !o->output,
                        .header_name = header_path ? base_name(header_path) : NULL,
                        .command_line = o->command_line};
    SdEmitted code;
    int status = report(p, sd_emit_c(r, &eo, &code));
    if (status == 0 && o->output) {
        char *test_path = sibling_path(o->output, "_test.c");
        char *main_path = sibling_path(o->output, "_main.c");
        const char *paths[4] = {o->output, header_path, NULL, NULL};
        const char *data[4] = {code.source, code.header, NULL, NULL};
        int nfiles = 2;
        if (code.test) {
            paths[nfiles] = test_path;
            data[nfiles++] = code.test;
        }
        if (code.main) {
            paths[nfiles] = main_path;
            data[nfiles++] = code.main;
        }
        if (!test_path || !main_path)
            status = out_of_memory();
        else if (write_files_atomically(paths, data, nfiles) != 0)
            status = EXIT_INPUT;
        free(test_path);
        free(main_path);
    } else if (status == 0) {
        status = emit(out, code.source);
        code.source = NULL;
    }
    sd_emitted_free(&code);
    free(header_path);
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
    SdValues values = {NULL, NULL, NULL};
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
    if (status == 0 && sd_result_layout(r).nwrt == 0 && !o->simplify_only && !o->at && !o->emit_c)
        say_no_variables(p);
    double t_deriv = now_seconds();
    if (status != 0)
        goto done;
    if (o->dump == 1 + SD_STAGE_DERIVE) {
        status = emit(out, sd_dump_result(r));
        goto done;
    }

    if (o->dot) {
        char *dot = NULL;
        status = report(p, sd_dot(r, (o->dot_tree ? SD_DOT_TREE : 0) |
                                         (o->dot_shared_constants ? SD_DOT_SHARED_CONSTANTS : 0),
                                  &dot));
        if (status == 0 && write_atomically(o->dot, dot) != 0)
            status = EXIT_INPUT;
        free(dot);
        if (status != 0)
            goto done;
    }
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
    if (o->at) {
        point = calloc((size_t)(sd_point_size(p) + 1), sizeof *point);
        status = point ? report(p, sd_point_parse(p, o->at, point)) : out_of_memory();
        if (status == 0)
            status = report(p, sd_eval(r, point, &values));
    }
    if (status == 0 && o->check) {
        SdCheckOptions co = {.samples = o->samples, .seed = o->seed, .tol = o->tol,
                             .base = o->at ? point : NULL};
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
        int st = report(p, sd_print(r, o->at ? &values : NULL, checked ? &check : NULL, format_of(o),
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
    free_names(o.vars, o.nvars);
    free_names(o.wrt, o.nwrt);
    free(o.defines);
    free(o.command_line);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "symdiff: error: writing the output failed\n");
        status = EXIT_INPUT;
    }
    return status;
}
