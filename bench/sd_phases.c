/* SPDX-License-Identifier: MIT */
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
 * goes.  Same steps as `symdiff --name f -o f.c -f FILE` with defaults,
 * through the public interface (symdiff.h) as any client would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "symdiff.h"

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
    size_t cap = 65536, n = 0, got;
    char *text = malloc(cap + 1);
    while (text && (got = fread(text + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *t = realloc(text, 2 * cap + 1);
            if (!t) {
                free(text);
                text = NULL;
            }
            text = t;
            cap *= 2;
        }
    }
    fclose(f);
    if (text)
        text[n] = '\0';
    *len = n;
    return text;
}

/* The stages of one run, in CPU seconds, and what they built. */
typedef struct Phases {
    double parse, lower, deriv, codegen, total;
    long fnodes, gnodes, graph;
    size_t c_bytes;
    SdMode engine;
} Phases;

/* Parse -> lower -> gradient -> C text, through the public interface, on
 * a fresh program; 0 on success.  Parsing is timed by a parse-only
 * compile, lowering as the rest of a full compile. */
static int run_once(const char *name, const char *text, size_t len, Phases *ph) {
    SdProgram *parsed = NULL, *p = NULL;
    SdResult *r = NULL;
    SdEmitted code = {0};
    double t0 = now();
    SdStatus st = sd_compile(text, len, &(SdCompileOptions){.file = name, .parse_only = 1}, &parsed);
    double t1 = now();
    sd_program_free(parsed);
    double t1b = now();
    if (st == SD_OK)
        st = sd_compile(text, len, &(SdCompileOptions){.file = name}, &p);
    double t2 = now();
    if (st == SD_OK && sd_output_shape(p).rank != 0)
        st = SD_ERR_REQUEST; /* the scalar programs of the corpus */
    if (st == SD_OK)
        st = sd_derive(p, &(SdRequest){.what = SD_GRADIENT}, &r);
    double t3 = now();
    if (st == SD_OK)
        st = sd_emit_c(r, &(SdEmitOptions){.name = "f", .command_line = "sd_phases"}, &code);
    double t4 = now();
    if (st == SD_OK) {
        SdStats s = sd_result_stats(r);
        Phases ok = {t1 - t0, (t2 - t1b) - (t1 - t0), t3 - t2, t4 - t3, (t4 - t1b) + (t1 - t0),
                     s.function_nodes, s.derivative_nodes, s.graph_nodes,
                     strlen(code.source) + strlen(code.header), s.engine};
        *ph = ok;
    } else if (p) {
        fprintf(stderr, "%s%s\n", sd_diagnostics_text(p), sd_error_message(p));
    }
    sd_emitted_free(&code);
    sd_result_free(r);
    sd_program_free(p);
    return st == SD_OK ? 0 : 1;
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
    size_t len = 0;
    char *text = read_file(argv[1], &len);
    if (!text) {
        fprintf(stderr, "sd_phases: cannot read %s\n", argv[1]);
        return 2;
    }
    Phases cold, *runs = malloc((size_t)(warm + 1) * sizeof *runs);
    int status = runs ? run_once(argv[1], text, len, &cold) : 1;
    for (int i = 0; status == 0 && i < warm; i++)
        status = run_once(argv[1], text, len, &runs[i]);
    if (status == 0) {
        Phases w = cold;
        if (warm > 0) {
            qsort(runs, (size_t)warm, sizeof *runs, by_total);
            w = runs[warm / 2];
        }
        printf("{\"parse\": %.9f, \"lower\": %.9f, \"deriv\": %.9f, \"codegen\": %.9f, "
               "\"total\": %.9f, \"warm_parse\": %.9f, \"warm_lower\": %.9f, "
               "\"warm_deriv\": %.9f, \"warm_codegen\": %.9f, \"warm_total\": %.9f, "
               "\"warm_runs\": %d, \"fnodes\": %ld, \"gnodes\": %ld, \"graph\": %ld, "
               "\"engine\": \"%s\", \"c_bytes\": %zu}\n",
               cold.parse, cold.lower, cold.deriv, cold.codegen, cold.total, w.parse, w.lower,
               w.deriv, w.codegen, w.total, warm, cold.fnodes, cold.gnodes, cold.graph,
               cold.engine == SD_MODE_FORWARD ? "forward" : "reverse", cold.c_bytes);
    }
    free(runs);
    free(text);
    return status;
}
