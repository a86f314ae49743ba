/* SPDX-License-Identifier: MIT */
/*
 * check_teach_cli.c — the teaching options of the command line: --swell,
 * --sweep with --plot, --dot and --dot-tree, --trace, --factor, --demo.
 *
 * The measurements themselves are tested in check_swell.c and
 * check_teaching.c; here the binary is run as a user runs it, and what it
 * prints and writes is checked: the numbers a class will see, the files,
 * and the refusals (exit 2 for a misuse, exit 1 with an existing file left
 * alone for a failure).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testrun.h"
#include "testutil.h"

#define LMAP_N "l = x; repeat n-1 { l = 4*l*(1-l) } l"
#define LMAP_4 "l = x; repeat 3 { l = 4*l*(1-l) } l"

static int count(const char *text, const char *what) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* The number after `"<key>": ` in the row of `method` of a --swell --json
 * array. */
static double json_row_number(const char *json, const char *method, const char *key) {
    char pat[128];
    snprintf(pat, sizeof pat, "{\"method\": \"%s\"", method);
    const char *row = strstr(json, pat);
    ck_assert_msg(row != NULL, "no row %s", method);
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *v = strstr(row, pat);
    ck_assert_msg(v != NULL && v < strchr(row, '}'), "no %s in row %s", key, method);
    return strtod(v + strlen(pat), NULL);
}

static char tmpdir[64];

static void make_tmpdir(void) { make_temp_dir(tmpdir, sizeof tmpdir, "teach"); }

static void remove_tmpdir(void) { remove_tree(tmpdir); }

/* --- --swell ------------------------------------------------------------------ */

START_TEST(test_swell_table) {
    Run r;
    const char *args[] = {"--swell", "--at", "x=0.3", LMAP_4, NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    /* l_4: the naive tree of Baydin's table, the shared DAG, both AD modes */
    ck_assert_ptr_nonnull(strstr(r.out, "naive symbolic (tree)               157  nodes  1.3090816000000025"));
    ck_assert_ptr_nonnull(strstr(r.out, "symdiff (shared DAG)                 20  nodes  1.3090816000000025"));
    ck_assert_ptr_nonnull(strstr(r.out, "reverse-mode AD                      27  ops    1.3090816000000025"));
    /* central differences miss, by a little */
    ck_assert_ptr_nonnull(strstr(r.out, "central differences                   2  evals  1.30908160"));
    ck_assert_int_eq(count(r.out, "\n"), 12); /* header, 10 rows, legend */
    run_free(&r);
}
END_TEST

START_TEST(test_swell_json_rows_agree) {
    Run r;
    const char *args[] = {"--swell", "--json", "--at", "x=0.3,y=-1.5",
                          "x^2*ln(x^2) + sin(x*y)*exp(y)", NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(count(r.out, "{\"method\": "), 10);
    /* every exact method gives the same d/dx; differences come close */
    double exact = json_row_number(r.out, "symdiff (shared DAG)", "value");
    double x = 0.3, y = -1.5;
    double by_hand = 2 * x * log(x * x) + 2 * x + y * cos(x * y) * exp(y);
    ck_assert_close(exact, by_hand, 1e-14);
    ck_assert_close(json_row_number(r.out, "naive symbolic (tree)", "value"), exact, 1e-15);
    ck_assert_close(json_row_number(r.out, "forward-mode AD", "value"), exact, 1e-14);
    ck_assert_close(json_row_number(r.out, "reverse-mode AD", "value"), exact, 1e-14);
    double fd = json_row_number(r.out, "central differences", "value");
    ck_assert_close(fd, exact, 1e-6);
    ck_assert_double_gt(json_row_number(r.out, "central differences", "error"), 0);
    /* two variables: forward mode makes two passes, reverse one */
    ck_assert_double_gt(json_row_number(r.out, "forward-mode AD", "ops"),
                        json_row_number(r.out, "reverse-mode AD", "ops"));
    ck_assert_double_eq(json_row_number(r.out, "central differences", "evals"), 4);
    run_free(&r);
}
END_TEST

START_TEST(test_swell_misuse) {
    Run r;
    const char *vec[] = {"--swell", "[x, x^2]", NULL};
    run(vec, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--swell measures the derivatives of a scalar program"));
    run_free(&r);
    const char *novars[] = {"--swell", "2 + 3", NULL};
    run(novars, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    run_free(&r);
    const char *bad[] = {"--swell", "x +", NULL};
    run(bad, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "<expr>:1:"));
    ck_assert_str_eq(r.out, "");
    run_free(&r);
}
END_TEST

/* --- --sweep and --plot -------------------------------------------------------- */

START_TEST(test_sweep_table_and_plot) {
    make_tmpdir();
    char svg[128];
    snprintf(svg, sizeof svg, "%s/swell.svg", tmpdir);
    Run r;
    const char *args[] = {"--swell", "--sweep", "n=1..12", "--plot", svg, LMAP_N, NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    /* one line per n; n = 10 has Baydin's numbers: the naive tree of l_10
     * has 31489 nodes, symdiff's gradient DAG 56 */
    ck_assert_ptr_nonnull(strstr(r.out, "\n10    3578     31       31489             3575        56"));
    ck_assert_ptr_nonnull(strstr(r.out, "\n12   14330     37      154625"));
    char *doc = read_file(svg);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_nonnull(strstr(doc, "<svg"));
    ck_assert_ptr_nonnull(strstr(doc, "</svg>"));
    ck_assert_ptr_nonnull(strstr(doc, "naive symbolic (tree) (nodes)"));
    ck_assert_ptr_nonnull(strstr(doc, "reverse-mode AD (ops)"));
    ck_assert_int_eq(count(doc, "<path"), 7);
    free(doc);
    run_free(&r);
    remove_tmpdir();
}
END_TEST

/* --plot-title and --plot-size: the chart for a slide, as it comes. */
START_TEST(test_plot_title_and_size) {
    make_tmpdir();
    char svg[128];
    snprintf(svg, sizeof svg, "%s/slide.svg", tmpdir);
    Run r;
    const char *args[] = {"--swell", "--sweep", "n=1..8", "--plot", svg, "--plot-title",
                          "Logistic map: <cost> & size", "--plot-size", "1280x720", LMAP_N, NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
    char *doc = read_file(svg);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_nonnull(strstr(doc, "width=\"1280\" height=\"720\" viewBox=\"0 0 "));
    ck_assert_ptr_nonnull(strstr(doc, "<title>Logistic map: &lt;cost&gt; &amp; size</title>"));
    /* one variable: forward- and reverse-mode AD coincide, both drawn */
    ck_assert_ptr_nonnull(strstr(doc, "(the same values as forward-mode AD (ops))"));
    free(doc);
    /* sizes out of range, malformed, and options without --plot */
    static const char *const bad[] = {"100x720", "1280x20000", "1280", "x720", "1280x", "axb",
                                      "1280x720x3", "-1280x720"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *a[] = {"--swell", "--sweep", "n=1..3", "--plot", svg, "--plot-size", bad[i], LMAP_N,
                           NULL};
        run(a, NULL, &r);
        ck_assert_msg(r.status == 2, "--plot-size %s: exit %d", bad[i], r.status);
        ck_assert_ptr_nonnull(strstr(r.err, "--plot-size needs WIDTHxHEIGHT"));
        run_free(&r);
    }
    const char *notitle[] = {"--swell", "--sweep", "n=1..3", "--plot-title", "t", LMAP_N, NULL};
    run(notitle, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "use them with --plot FILE.svg"));
    run_free(&r);
    remove_tmpdir();
}
END_TEST

/* A sweep over the length of a vector (a name used as a dimension):
 * forward mode costs a pass per parameter, its operations growing as n^2,
 * reverse mode one sweep, growing as n; with one parameter they agree.
 * Every program of the class: a loss of a dot product, a sum of an
 * elementwise function, a matrix-vector product. */
START_TEST(test_sweep_vector_length) {
    static const char *const programs[] = {
        "param w[n]; input x[n]; log(1 + exp(-dot(w, x)))",
        "param w[n]; sum(tanh(w)^2)",
        "param W[n,n]; input x[n]; sum(sigmoid(W @ x))",
    };
    make_tmpdir();
    for (size_t p = 0; p < sizeof programs / sizeof *programs; p++) {
        char svg[128];
        snprintf(svg, sizeof svg, "%s/modes%zu.svg", tmpdir, p);
        Run r;
        const char *args[] = {"--swell", "--json", "--sweep", "n=1..8", "--plot", svg, programs[p], NULL};
        run(args, NULL, &r);
        ck_assert_msg(r.status == 0, "%s: exit %d: %s", programs[p], r.status, r.err);
        double fwd[9], rev[9];
        for (int n = 1; n <= 8; n++) {
            char key[32];
            snprintf(key, sizeof key, "{\"n\": %d,", n);
            const char *row = strstr(r.out, key);
            ck_assert_msg(row != NULL, "%s: no row for n = %d", programs[p], n);
            fwd[n] = json_row_number(row, "forward-mode AD", "ops");
            rev[n] = json_row_number(row, "reverse-mode AD", "ops");
        }
        /* W[n,n] has n^2 parameters: forward mode then grows as n^4 */
        ck_assert_msg(fwd[1] == rev[1] || p == 2, "%s: one parameter, forward %g, reverse %g", programs[p], fwd[1],
                      rev[1]);
        ck_assert_msg(fwd[8] > 3 * rev[8], "%s: forward %g, reverse %g at n = 8", programs[p], fwd[8], rev[8]);
        ck_assert_msg(fwd[8] / fwd[4] > 3.0, "%s: forward mode grew %g times from n = 4 to 8", programs[p],
                      fwd[8] / fwd[4]);
        /* reverse: in proportion to the program, whose size is n (n^2 for W) */
        ck_assert_msg(rev[8] > rev[4] && rev[8] / rev[4] < (p == 2 ? 5.0 : 2.5),
                      "%s: reverse mode grew %g times from n = 4 to 8", programs[p], rev[8] / rev[4]);
        run_free(&r);
        char *doc = read_file(svg);
        ck_assert_ptr_nonnull(doc);
        ck_assert_ptr_nonnull(strstr(doc, "forward-mode AD (ops)"));
        ck_assert_ptr_nonnull(strstr(doc, "reverse-mode AD (ops)"));
        free(doc);
    }
    /* a length of 0 is no vector: a located error, nothing written */
    char svg[128];
    snprintf(svg, sizeof svg, "%s/none.svg", tmpdir);
    Run r;
    const char *zero[] = {"--swell", "--sweep", "n=0..2", "--plot", svg, programs[0], NULL};
    run(zero, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "<expr>:1:9: error: the dimension 'n' must be a positive integer"));
    ck_assert_ptr_null(read_file(svg));
    run_free(&r);
    remove_tmpdir();
}
END_TEST

START_TEST(test_sweep_beyond_double_trees) {
    /* n = 60: the naive tree has more than 10^18 nodes, counted not built */
    Run r;
    const char *args[] = {"--swell", "--json", "--sweep", "n=59..60", "--at", "x=0.3", LMAP_N, NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    const char *n60 = strstr(r.out, "{\"n\": 60,");
    ck_assert_ptr_nonnull(n60);
    double log10_naive = json_row_number(n60, "naive symbolic (tree)", "log10");
    ck_assert_double_gt(log10_naive, 18);
    ck_assert_double_lt(json_row_number(n60, "symdiff (shared DAG)", "nodes"), 400);
    ck_assert_close(json_row_number(n60, "reverse-mode AD", "value"),
                    json_row_number(n60, "symdiff (shared DAG)", "value"), 1e-9);
    run_free(&r);
}
END_TEST

START_TEST(test_sweep_misuse) {
    static const char *const bad_sweeps[] = {"n", "n=3", "n=5..2", "n=-1..3", "3=1..2", "n=1..x",
                                             "n=0..20000"};
    Run r;
    for (size_t i = 0; i < sizeof bad_sweeps / sizeof *bad_sweeps; i++) {
        const char *args[] = {"--swell", "--sweep", bad_sweeps[i], LMAP_N, NULL};
        run(args, NULL, &r);
        ck_assert_msg(r.status == 2, "--sweep %s: exit %d", bad_sweeps[i], r.status);
        ck_assert_ptr_nonnull(strstr(r.err, "--sweep needs NAME=A..B"));
        run_free(&r);
    }
    const char *noplot[] = {"--plot", "a.svg", LMAP_4, NULL};
    run(noplot, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--plot draws a sweep"));
    run_free(&r);
}
END_TEST

START_TEST(test_plot_failure_keeps_file) {
    make_tmpdir();
    char svg[128], missing[160];
    snprintf(svg, sizeof svg, "%s/old.svg", tmpdir);
    snprintf(missing, sizeof missing, "%s/no/such/dir.svg", tmpdir);
    FILE *f = fopen(svg, "w");
    ck_assert_ptr_nonnull(f);
    fputs("keep me", f);
    fclose(f);
    Run r;
    /* an error in the program: the old plot stays */
    const char *bad[] = {"--swell", "--sweep", "n=1..3", "--plot", svg, "l = x; repeat n { l = 4*l*(1-l) l",
                         NULL};
    run(bad, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    run_free(&r);
    char *doc = read_file(svg);
    ck_assert_str_eq(doc, "keep me");
    free(doc);
    /* an unwritable target: an error, nothing left behind */
    const char *nodir[] = {"--swell", "--sweep", "n=1..3", "--plot", missing, LMAP_N, NULL};
    run(nodir, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "cannot write"));
    run_free(&r);
    remove_tmpdir();
}
END_TEST

/* --- --dot, --trace, --factor ------------------------------------------------------ */

START_TEST(test_dot_files) {
    make_tmpdir();
    char dag[128], tree[128];
    snprintf(dag, sizeof dag, "%s/f.dot", tmpdir);
    snprintf(tree, sizeof tree, "%s/t.dot", tmpdir);
    Run r;
    const char *args[] = {"--dot", dag, "x^2 ln(x^2)", NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "2*x*(1 + ln(x^2))\n"); /* the usual output too */
    run_free(&r);
    char *d = read_file(dag);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(strstr(d, "digraph"));
    ck_assert_ptr_nonnull(strstr(d, "cluster_function"));
    ck_assert_ptr_nonnull(strstr(d, "cluster_derivative"));
    ck_assert_ptr_nonnull(strstr(d, "d/dx"));
    const char *targs[] = {"--dot-tree", tree, "x^2 ln(x^2)", NULL};
    run(targs, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
    char *t = read_file(tree);
    ck_assert_ptr_nonnull(t);
    /* the tree repeats x^2 where the DAG shares it */
    ck_assert_int_gt(count(t, "label="), count(d, "label="));
    free(t);
    /* constants: one leaf per use by default, one node each when asked */
    char shared[128];
    snprintf(shared, sizeof shared, "%s/s.dot", tmpdir);
    const char *sargs[] = {"--dot", shared, "--dot-shared-constants", "x^2 ln(x^2)", NULL};
    run(sargs, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
    char *s = read_file(shared);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(count(s, "label=\"2\""), 1);   /* the one 2 the graph holds */
    ck_assert_int_gt(count(d, "label=\"2\""), 1);   /* each use of it */
    free(s);
    free(d);
    const char *streeargs[] = {"--dot-tree", tree, "--dot-shared-constants", "x^2 ln(x^2)", NULL};
    run(streeargs, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--dot-shared-constants draws a DAG"));
    run_free(&r);
    /* a tree too large to draw: refused, the old file kept */
    const char *big[] = {"--dot-tree", tree, "l = x; repeat 12 { l = 4*l*(1-l) } l", NULL};
    run(big, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "too large to draw"));
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    t = read_file(tree);
    ck_assert_ptr_nonnull(strstr(t, "digraph"));
    free(t);
    remove_tmpdir();
}
END_TEST

START_TEST(test_trace) {
    Run r;
    const char *args[] = {"--trace", "sin(x^2)", NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "f = sin(x^2)\n"
                            "\n"
                            "d/dx sin(x^2) = cos(x^2) * d/dx x^2   [chain rule: sin' = cos]\n"
                            "d/dx x^2 = 2*x                        [power rule]\n"
                            "\n"
                            "substituted:  d/dx f = cos(x^2)*(2*x)\n"
                            "simplified:   d/dx f = 2*x*cos(x^2)\n");
    run_free(&r);
    const char *two[] = {"--trace", "x*y", NULL};
    run(two, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "simplified:   d/dx f = y\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "simplified:   d/dy f = x\n"));
    run_free(&r);
    const char *latex[] = {"--trace", "--latex", "sin(x^2)", NULL};
    run(latex, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\\begin{align*}"));
    run_free(&r);
    const char *big[] = {"--trace", "l = x; repeat 9 { l = 4*l*(1-l) } l", NULL};
    run(big, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "--trace is for small programs"));
    run_free(&r);
    const char *vec[] = {"--trace", "[x, x^2]", NULL};
    run(vec, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    run_free(&r);
}
END_TEST

START_TEST(test_factor) {
    Run r;
    const char *args[] = {"--factor", LMAP_4, NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out,
                     "d/dx = 64(1 - 2x)(1 - 40x + 424x^2 - 1792x^3 + 3456x^4 - 3072x^5 + 1024x^6)\n");
    run_free(&r);
    const char *cubic[] = {"--factor", "x^4/4 - x^2/2", NULL};
    run(cubic, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "d/dx = -x(1 - x)(1 + x)\n");
    run_free(&r);
    const char *notpoly[] = {"--factor", "sin(x)", NULL};
    run(notpoly, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "not a polynomial in one variable"));
    run_free(&r);
}
END_TEST

/* --- --demo ------------------------------------------------------------------------ */

START_TEST(test_demo_baydin) {
    Run r;
    const char *args[] = {"--demo", "baydin", NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "| 2 | 4x(1 - x) | 4(1 - x) - 4x | 4 - 8x |\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "| 3 | 16x(1 - x)(1 - 2x)^2 | 16(1 - x)(1 - 2x)^2 - 16x(1 - 2x)^2 - "
                                        "64x(1 - x)(1 - 2x) | 16(1 - 10x + 24x^2 - 16x^3) |\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "64(1 - 42x + 504x^2 - 2640x^3 + 7040x^4 - 9984x^5 + 7168x^6 "
                                        "- 2048x^7) |\n"));
    ck_assert_int_eq(count(r.out, "\n"), 6);
    run_free(&r);
    const char *six[] = {"--demo", "baydin=6", "--latex", NULL};
    run(six, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\\begin{tabular}"));
    ck_assert_ptr_nonnull(strstr(r.out, "\n6 & "));
    run_free(&r);
    static const char *const bad[] = {"baydin=0", "baydin=9", "baydin=", "bay", "pitfall"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *b[] = {"--demo", bad[i], NULL};
        run(b, NULL, &r);
        ck_assert_msg(r.status == 2, "--demo %s: exit %d", bad[i], r.status);
        run_free(&r);
    }
    const char *withprog[] = {"--demo", "baydin", "x^2", NULL};
    run(withprog, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    run_free(&r);
}
END_TEST

START_TEST(test_demo_pitfalls) {
    Run r;
    const char *args[] = {"--demo", "pitfalls", NULL};
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "-93.43801202183063110930"));
    ck_assert_ptr_nonnull(strstr(r.out, "Finite differences"));
    run_free(&r);
}
END_TEST

/* Programs with vectors and matrices: every teaching view works on them,
 * the scalar ones on the program written out element by element (the
 * variables' elements are named w[0], W[0,1]). */
START_TEST(test_tensor_programs) {
    static const char *const prog = "param w[3]; input x[3]; sigmoid(dot(w, x))";
    static const struct {
        const char *opt, *arg, *program;
        int status;
        const char *out_has;
    } cases[] = {
        {"--swell", NULL, NULL, 0, "reverse-mode AD"},
        {"--trace", NULL, NULL, 0, "d/dw[2] (w[0]*x[0] + w[1]*x[1] + w[2]*x[2])"},
        {"--factor", NULL, "param w[2]; sum(w*w*w)", 0, "d/dw[1] = 3w[1]^2"},
        {"--factor", NULL, NULL, 1, ""},
        {"--emit", "reverse-ad", NULL, 0, "f_grad(const double *SD_RESTRICT x, const double *SD_RESTRICT input,"},
        {"--emit", "forward-ad", NULL, 0, "x[2] = w[2]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *text = cases[i].program ? cases[i].program : prog;
        const char *args[] = {cases[i].opt, cases[i].arg ? cases[i].arg : text, cases[i].arg ? text : NULL,
                              NULL};
        Run r;
        run(args, NULL, &r);
        ck_assert_msg(r.status == cases[i].status, "%s %s: exit %d: %s", cases[i].opt, text, r.status, r.err);
        ck_assert_msg(strstr(r.out, cases[i].out_has), "%s: output lacks %s:\n%s", cases[i].opt,
                      cases[i].out_has, r.out);
        run_free(&r);
    }
    /* forward mode costs a pass per element, reverse mode one sweep */
    const char *args[] = {"--swell", "--json", prog, NULL};
    Run r;
    run(args, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_double_gt(json_row_number(r.out, "forward-mode AD", "ops"),
                        json_row_number(r.out, "reverse-mode AD", "ops"));
    run_free(&r);
    /* the DAG of a tensor program is drawn as it is: matrix products,
     * sums and softmax as nodes */
    char dir[64];
    make_temp_dir(dir, sizeof dir, "tensordot");
    char *dot = path_join(dir, "n.dot");
    const char *dargs[] = {"--dot", dot, "param W[2,3]; input x[3]; logsumexp(W @ x)", NULL};
    run(dargs, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    char *text = read_file(dot);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "label=\"@\""));
    ck_assert_ptr_nonnull(strstr(text, "label=\"logsumexp\""));
    free(text);
    free(dot);
    run_free(&r);
    remove_tree(dir);
}
END_TEST

Suite *teach_cli_suite(void); /* called by tests/runner.c */
Suite *teach_cli_suite(void) {
    Suite *s = suite_create("teach_cli");
    TCase *tc = tcase_create("swell");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_swell_table);
    tcase_add_test(tc, test_swell_json_rows_agree);
    tcase_add_test(tc, test_swell_misuse);
    tcase_add_test(tc, test_sweep_table_and_plot);
    tcase_add_test(tc, test_sweep_vector_length);
    tcase_add_test(tc, test_plot_title_and_size);
    tcase_add_test(tc, test_sweep_beyond_double_trees);
    tcase_add_test(tc, test_sweep_misuse);
    tcase_add_test(tc, test_plot_failure_keeps_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("views");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dot_files);
    tcase_add_test(tc, test_trace);
    tcase_add_test(tc, test_factor);
    tcase_add_test(tc, test_demo_baydin);
    tcase_add_test(tc, test_demo_pitfalls);
    tcase_add_test(tc, test_tensor_programs);
    suite_add_tcase(s, tc);
    return s;
}
