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

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: sd_phases FILE.sd\n");
        return 2;
    }
    Source src = {argv[1], NULL, 0};
    char *text = read_file(argv[1], &src.len);
    if (!text) {
        fprintf(stderr, "sd_phases: cannot read %s\n", argv[1]);
        return 2;
    }
    src.text = text;

    Diag diag;
    diag_init(&diag, &src);
    AstArena arena = {NULL};
    Program prog = {NULL, 0, 0, 0};
    int status = 1;

    double t0 = now();
    Ast *ast = parse_program(&arena, &diag);
    double t1 = now();
    Graph *g = ast ? graph_new() : NULL;
    if (!g)
        goto done;
    g->max_nodes = 50000000; /* the command line's default */
    LowerOptions lopt = {NULL, 0, NULL, 0, 0};
    if (lower_program(g, ast, &diag, &lopt, &prog) != 0 || prog.is_vector)
        goto done;
    double t2 = now();

    int *wrt = malloc((size_t)(g->nvars + 1) * sizeof *wrt);
    int *inputs = malloc((size_t)(g->nvars + 1) * sizeof *inputs);
    int nwrt = 0, ninputs = 0;
    for (int v = 0; wrt && inputs && v < g->nvars; v++) {
        if (g->vars[v].role == VAR_PARAM)
            wrt[nwrt++] = v;
        else
            inputs[ninputs++] = v;
    }
    Node **grad = calloc((size_t)nwrt + 1, sizeof *grad);
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
        CodegenOptions copt = {"f", 0, "f.h", "", "sd_phases", "bench", 0};
        ok = codegen_c(g, &in, &copt, &c_src, &c_hdr) == 0;
    }
    double t4 = now();

    if (ok) {
        printf("{\"parse\": %.9f, \"lower\": %.9f, \"deriv\": %.9f, \"codegen\": %.9f, "
               "\"total\": %.9f, \"fnodes\": %zu, \"gnodes\": %zu, \"graph\": %zu, "
               "\"engine\": \"%s\", \"c_bytes\": %zu}\n",
               t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0,
               dag_count(g, prog.outputs, 1), dag_count(g, grad, nwrt), g->nnodes,
               used == DERIV_FORWARD ? "forward" : "reverse", c_src.len + c_hdr.len);
        status = 0;
    }
    sb_free(&c_src);
    sb_free(&c_hdr);
    free(grad);
    free(wrt);
    free(inputs);
done:
    fputs(sb_str(&diag.out), stderr);
    diag_free(&diag);
    ast_arena_free(&arena);
    program_free(&prog);
    if (g)
        graph_free(g);
    free(text);
    return status;
}
