/* SPDX-License-Identifier: MIT */
/*
 * fuzz_differential.c — libFuzzer harness that checks answers, not just
 * crashes.  The fuzz bytes choose a point and a valid program (exprgen.c:
 * a small grammar-directed generator over x, y, z, every built-in function
 * and spelling, named statements, random whitespace and comments); then:
 *
 *  1. the program parses and lowers, unless a constant part of it is
 *     undefined, and then it must be rejected;
 *  2. simplification preserves values: symdiff's value at the point agrees
 *     with the generator's own long double evaluation of the unsimplified
 *     tree, within that evaluation's error bound;
 *  3. printing round-trips: the printed function parses back to a program
 *     with the same value;
 *  4. where the function is smooth at the point (no kink hit exactly,
 *     Ridders' extrapolation converges), both engines' derivatives agree
 *     with the finite difference, and variables not used have derivative 0.
 *
 * A fourth byte 0xFE (which no input made before them has there) lets the
 * generator also make the classes added since (exprgen.h): sums and
 * products of up to 65537 operands, and ones()/zeros() shapes up to and
 * past the element limit, which symdiff must refuse.
 *
 * A disagreement prints the program and aborts, so libFuzzer keeps it.
 *
 *   make fuzz FUZZ_SECONDS=600
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "exprgen.h"
#include "lower.h"
#include "parse.h"
#include "print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const double special_points[16] = {0,   1,    -1,  0.5, -0.5, 2,  -2,  3,
                                          -3,  0.25, 1.5, 10,  -10,  0.1, 40, -40};

static void fail(const char *what, const char *program, const long double *point, const char *detail) {
    fprintf(stderr, "\n%s\nprogram: %s\nat x=%.17Lg, y=%.17Lg, z=%.17Lg\n%s\n", what, program, point[0],
            point[1], point[2], detail ? detail : "");
    abort();
}

typedef struct Lowered {
    AstArena arena;
    Diag diag;
    Source src;
    Graph *g;
    Program prog;
    int ok;
} Lowered;

static void lower_text(Lowered *l, const char *text, size_t len, int big) {
    memset(l, 0, sizeof *l);
    l->src.name = "<gen>";
    l->src.text = text;
    l->src.len = len;
    diag_init(&l->diag, &l->src);
    Ast *ast = parse_program(&l->arena, &l->diag);
    if (!ast)
        return;
    l->g = graph_new();
    if (!l->g)
        return;
    /* (room for the wide classes: 65537 operands, each written out) */
    l->g->max_nodes = big ? 4000000 : 200000;
    LowerOptions opt = {.vars = gen_var_names, .nvars = GEN_NVARS, .max_work = big ? 4000000 : 200000};
    l->ok = lower_program(l->g, ast, &l->diag, &opt, &l->prog) == 0 && !l->prog.is_vector;
}

static void lowered_free(Lowered *l) {
    if (l->ok)
        program_free(&l->prog);
    graph_free(l->g);
    ast_arena_free(&l->arena);
    diag_free(&l->diag);
}

static double maxd(double a, double b) { return a > b ? a : b; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4 || size > 1024)
        return 0;
    long double point[GEN_NVARS];
    double dpoint[GEN_NVARS];
    for (int i = 0; i < GEN_NVARS; i++) {
        unsigned b = data[i];
        dpoint[i] = b < 96 ? special_points[b % 16] : ((double)b - 176) / 20;
        point[i] = dpoint[i];
    }
    static Gen gen;
    size_t skip = GEN_NVARS;
    unsigned classes = 0;
    if (size > GEN_NVARS + 1 && data[GEN_NVARS] == 0xFE) {
        classes = GEN_CLASS_WIDE | GEN_CLASS_SHAPES;
        skip++;
    }
    gen_program_classes(&gen, data + skip, size - skip, 6, classes);
    StrBuf text;
    sb_init(&text);
    gen_print(&gen, &text);
    if (text.failed) {
        sb_free(&text);
        return 0;
    }
    const char *program = sb_str(&text);
    GenValue ref = gen_eval(&gen, point);

    /* 1: valid programs are accepted, undefined constants rejected */
    Lowered l;
    lower_text(&l, program, text.len, classes != 0);
    if (!l.ok) {
        /* (constants beyond 1e15 may overflow together: 1e100*x*1e300 is
         * refused, its constants multiplied first give inf) */
        int undefined_here = !isfinite(ref.v) || !isfinite(ref.err) || ref.def_undefined || ref.part_undefined ||
                             ref.const_tiny || (ref.extreme && strstr(sb_str(&l.diag.out), "too large"));
        int domain = strstr(sb_str(&l.diag.out), "domain error in a constant") != NULL;
        int too_large = (l.g && l.g->failed) || (ref.too_large && strstr(sb_str(&l.diag.out), "too many elements"));
        if (!too_large && !(domain && (ref.const_undefined || undefined_here)))
            fail("a valid program was rejected", program, point, sb_str(&l.diag.out));
        lowered_free(&l);
        sb_free(&text);
        return 0;
    }
    if (ref.const_undefined)
        fail("an undefined constant was accepted", program, point, NULL);
    if (ref.too_large)
        fail("a shape beyond the element limit was accepted", program, point, NULL);

    Graph *g = l.g;
    Node *f = l.prog.outputs[0];
    double fv = eval_node(g, f, dpoint);
    /* an error bound as large as the value does not even fix the sign:
     * the exact value may be a pole (0.1 x - z x at z = 0.1) */
    int comparable = isfinite(ref.v) && fabsl(ref.v) <= DBL_MAX && isfinite(ref.err) &&
                     (ref.err == 0 || ref.err < fabsl(ref.v)) && !ref.out_of_range;
    double tol = comparable ? (double)(1024 * ref.err + 8 * DBL_EPSILON * fabsl(ref.v)) + 1e-300 : 0;
    char detail[512];

    /* 2: simplification preserves the value */
    if (comparable && !(fabs(fv - (double)ref.v) <= tol)) {
        snprintf(detail, sizeof detail, "symdiff %.17g, reference %.17Lg (error bound %.3Lg)", fv, ref.v,
                 ref.err);
        StrBuf p;
        sb_init(&p);
        print_roots(&p, g, &f, NULL, 1, PRINT_INFIX);
        fprintf(stderr, "simplified: %s\n", sb_str(&p));
        sb_free(&p);
        fail("simplification changed the value", program, point, detail);
    }

    /* 3: the printed function parses back to the same value */
    StrBuf printed;
    sb_init(&printed);
    print_roots(&printed, g, &f, NULL, 1, PRINT_INFIX);
    if (!printed.failed) {
        Lowered back;
        lower_text(&back, sb_str(&printed), printed.len, classes != 0);
        /* (a function that overflows here may print with a constant that
         * overflows, which is then rejected; so may one with a constant
         * beyond 1e15 or below 1e-15: pi^-1000 prints as 1/pi^1000) */
        if (!back.ok && comparable && !ref.extreme)
            fail("the printed function does not parse back", program, point, sb_str(&printed));
        double bv = back.ok ? eval_node(back.g, back.prog.outputs[0], dpoint) : 0;
        if (back.ok && comparable && !(fabs(bv - (double)ref.v) <= tol)) {
            snprintf(detail, sizeof detail, "printed %s\nvalue after reparsing %.17g, before %.17g", sb_str(&printed),
                     bv, fv);
            fail("the printed function has another value", program, point, detail);
        }
        lowered_free(&back);
    }
    sb_free(&printed);

    /* 4: derivatives against finite differences */
    DerivOptions dopt = {.assume_domain = 1, .domain = &f, .ndomain = 1};
    int vars[GEN_NVARS] = {0, 1, 2};
    Node *fwd[GEN_NVARS], *rev[GEN_NVARS];
    int built = deriv_reverse(g, f, vars, GEN_NVARS, &dopt, rev) == 0;
    for (int v = 0; v < GEN_NVARS && built; v++)
        built = (fwd[v] = deriv_forward(g, f, v, &dopt)) != NULL;
    if (built && !g->failed && comparable && !ref.at_kink && !ref.extreme) {
        StrBuf latex;
        sb_init(&latex);
        print_roots(&latex, g, rev, NULL, GEN_NVARS, PRINT_LATEX);
        sb_free(&latex);
        /* documented: the derivative of ifpos, max and min weighs each
         * branch by a step, so an undefined derivative of the branch not
         * taken poisons the result (0 * NaN) */
        int ifpos = gen_uses_fn(&gen, "ifpos") || gen_uses_fn(&gen, "max") || gen_uses_fn(&gen, "min");
        for (int v = 0; v < GEN_NVARS; v++) {
            double df = eval_node(g, fwd[v], dpoint), dr = eval_node(g, rev[v], dpoint);
            if (!gen_uses_var(&gen, v)) {
                if (df != 0 || dr != 0) {
                    snprintf(detail, sizeof detail, "d/d%s: forward %.17g, reverse %.17g", gen_var_names[v], df, dr);
                    fail("a variable not used has a derivative", program, point, detail);
                }
                continue;
            }
            long double fderr, fderr2;
            long double fd = gen_ridders(&gen, point, v, 1e-3L, &fderr);
            /* structure finer than the steps (sigmoid(1e19 x)) fools the
             * error estimate: a second run from much smaller steps must
             * agree */
            long double fd2 = gen_ridders(&gen, point, v, 1e-7L, &fderr2);
            double scale = maxd(1, fabs((double)fd));
            if (!(fabsl(fd - fd2) <= 1e-7L * scale))
                continue;
            /* nor may the function jump near the point, at any of the
             * scales the differences used (the step of an oscillating
             * argument can be 0 on both sides at every step, and the
             * differences 0 with it): f(x+h) + f(x-h) - 2 f(x) is small
             * for a smooth function */
            long double near[GEN_NVARS], unit = fabsl(point[v]) > 1 ? fabsl(point[v]) : 1;
            long double fscale = fabsl(ref.v) > 1 ? fabsl(ref.v) : 1;
            memcpy(near, point, sizeof near);
            int jumps = 0;
            for (long double h = 1e-9L * unit; h < 2e-5L * unit && !jumps; h *= 100) {
                near[v] = point[v] + h;
                long double up = gen_eval(&gen, near).v;
                near[v] = point[v] - h;
                long double down = gen_eval(&gen, near).v;
                if (!(fabsl(up + down - 2 * ref.v) <= 1e-6L * fscale))
                    jumps = 1;
            }
            if (jumps)
                continue;
            /* not smooth enough here to say, or the reference's own
             * rounding (about err * 2^-11 in long double, over steps down
             * to 1e-4) could move the differences */
            if (!isfinite(fd) || !(fderr <= 1e-9L * scale) || !(ref.err * 1e9L <= scale))
                continue;
            const double got[2] = {df, dr};
            for (int k = 0; k < 2; k++) {
                if (!isfinite(got[k]) && ifpos)
                    continue;
                if (!(fabs(got[k] - (double)fd) <= 1e-6 * maxd(scale, fabs(got[k])))) {
                    Node *d = k ? rev[v] : fwd[v];
                    StrBuf p;
                    sb_init(&p);
                    print_roots(&p, g, &d, NULL, 1, PRINT_INFIX);
                    snprintf(detail, sizeof detail, "d/d%s by %s: %.17g, finite differences %.17Lg (+- %.3Lg)\n",
                             gen_var_names[v], k ? "reverse" : "forward", got[k], fd, fderr);
                    fprintf(stderr, "derivative: %s\n", sb_str(&p));
                    sb_free(&p);
                    fail("a derivative disagrees with finite differences", program, point, detail);
                }
            }
        }
    }
    lowered_free(&l);
    sb_free(&text);
    return 0;
}
