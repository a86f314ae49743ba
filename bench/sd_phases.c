/*
 * sd_phases.c — symdiff's pipeline run in process, one clock per stage:
 * parse, lower (names -> DAG), differentiate (the gradient, every node
 * built simplified), C generation (kept in memory, not written).
 *
 *   sd_phases FILE.sd
 *
 * Prints one JSON object: the CPU seconds of each stage, the node counts
 * of the function, of the gradient and of the whole graph, the engine that
 * won, and the size of the C text.  bench/bench.py uses it to compare differentiation
 * alone with GiNaC's diff alone (the command line's time includes process
 * start and file output), and to say where the time of large programs
 * goes.  Same steps as `symdiff --name f -o f.c -f FILE` with defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codegen.h"
#include "deriv.h"
#include "diag.h"
#include "lower.h"
#include "parse.h"
#include "strbuf.h"

/* CPU time of this process: the machine is shared, and waiting for a core
 * is not symdiff's time. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    StrBuf sb;
    sb_init(&sb);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_putn(&sb, buf, n);
    fclose(f);
    *len = sb.len;
    char *text = malloc(sb.len + 1);
    if (text)
        memcpy(text, sb_str(&sb), sb.len + 1);
    sb_free(&sb);
    return text;
}

/* The stages of one run, in CPU seconds, and what they built. */
typedef struct Phases {
    double parse, lower, deriv, codegen, total;
    size_t fnodes, gnodes, graph, c_bytes;
    DerivMode engine;
} Phases;

/* Parse -> lower -> gradient -> C text, on a fresh graph; 0 on success. */
static int run_once(Phases *ph, Diag *diag) {
    AstArena arena = {NULL};
    Program prog = {NULL, 0, 0, 0};
    int status = 1;
    int *wrt = NULL, *inputs = NULL;
    Node **grad = NULL;

    double t0 = now();
    Ast *ast = parse_program(&arena, diag);
    double t1 = now();
    Graph *g = ast ? graph_new() : NULL;
    if (!g)
        goto done;
    g->max_nodes = 50000000; /* the command line's default */
    LowerOptions lopt = {NULL, 0, NULL, 0, 0};
    if (lower_program(g, ast, diag, &lopt, &prog) != 0 || prog.is_vector)
        goto done;
    double t2 = now();

    wrt = malloc((size_t)(g->nvars + 1) * sizeof *wrt);
    inputs = malloc((size_t)(g->nvars + 1) * sizeof *inputs);
    int nwrt = 0, ninputs = 0;
    for (int v = 0; wrt && inputs && v < g->nvars; v++) {
        if (g->vars[v].role == VAR_PARAM)
            wrt[nwrt++] = v;
        else
            inputs[ninputs++] = v;
    }
    grad = calloc((size_t)nwrt + 1, sizeof *grad);
    DerivMode used = DERIV_AUTO;
    deriv_assume_domain(g, prog.outputs, prog.noutputs);
    int ok = wrt && inputs && grad &&
             deriv_gradient(g, prog.outputs[0], wrt, nwrt, DERIV_AUTO, grad, &used) == 0 &&
             !g->failed;
    double t3 = now();

    StrBuf c_src, c_hdr;
    sb_init(&c_src);
    sb_init(&c_hdr);
    if (ok) {
        CodegenInput in = {wrt, nwrt, inputs, ninputs, prog.outputs, 1, 0, grad, NULL};
        CodegenOptions copt = {"f", 0, "f.h", "", "sd_phases", "bench", 0, 0, 0};
        ok = codegen_c(g, &in, &copt, &c_src, &c_hdr) == 0;
    }
    double t4 = now();

    if (ok) {
        Phases r = {t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0,
                    dag_count(g, prog.outputs, 1), dag_count(g, grad, nwrt), g->nnodes,
                    c_src.len + c_hdr.len, used};
        *ph = r;
        status = 0;
    }
    sb_free(&c_src);
    sb_free(&c_hdr);
done:
    free(grad);
    free(wrt);
    free(inputs);
    ast_arena_free(&arena);
    program_free(&prog);
    if (g)
        graph_free(g);
    return status;
}

static int by_total(const void *a, const void *b) {
    double x = ((const Phases *)a)->total, y = ((const Phases *)b)->total;
    return (x > y) - (x < y);
}

/* sd_phases FILE.sd [WARM]: the first run in a fresh process ("cold":
 * every code page and library symbol touched for the first time), then
 * WARM more runs of the same program; "warm_*" are the stages of the run
 * with the median total, as a long-running process (or a warm Python
 * interpreter) would see them. */
int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: sd_phases FILE.sd [WARM]\n");
        return 2;
    }
    int warm = argc == 3 ? atoi(argv[2]) : 0;
    if (warm < 0 || warm > 1000)
        warm = 0;
    Source src = {argv[1], NULL, 0};
    char *text = read_file(argv[1], &src.len);
    if (!text) {
        fprintf(stderr, "sd_phases: cannot read %s\n", argv[1]);
        return 2;
    }
    src.text = text;

    Diag diag;
    diag_init(&diag, &src);
    Phases cold, *runs = malloc((size_t)(warm + 1) * sizeof *runs);
    int status = runs ? run_once(&cold, &diag) : 1;
    for (int i = 0; status == 0 && i < warm; i++)
        status = run_once(&runs[i], &diag);
    if (status == 0) {
        Phases w = cold;
        if (warm > 0) {
            qsort(runs, (size_t)warm, sizeof *runs, by_total);
            w = runs[warm / 2];
        }
        printf("{\"parse\": %.9f, \"lower\": %.9f, \"deriv\": %.9f, \"codegen\": %.9f, "
               "\"total\": %.9f, \"warm_parse\": %.9f, \"warm_lower\": %.9f, "
               "\"warm_deriv\": %.9f, \"warm_codegen\": %.9f, \"warm_total\": %.9f, "
               "\"warm_runs\": %d, \"fnodes\": %zu, \"gnodes\": %zu, \"graph\": %zu, "
               "\"engine\": \"%s\", \"c_bytes\": %zu}\n",
               cold.parse, cold.lower, cold.deriv, cold.codegen, cold.total, w.parse, w.lower,
               w.deriv, w.codegen, w.total, warm, cold.fnodes, cold.gnodes, cold.graph,
               cold.engine == DERIV_FORWARD ? "forward" : "reverse", cold.c_bytes);
    }
    fputs(sb_str(&diag.out), stderr);
    diag_free(&diag);
    free(runs);
    free(text);
    return status;
}
