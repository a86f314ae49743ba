/* SPDX-License-Identifier: MIT */
/*
 * testutil.h — shared helpers for the Check suites (tests/testutil.c):
 * a tolerance assertion, the one scaffold from program text to the DAG,
 * the syntax tree as an S-expression, and the one random generator.
 *
 * The engine's internal types appear here only as incomplete structs, so
 * that a suite of the public interface (check_api.c) includes nothing of
 * the inside by including this header.
 */
#ifndef SYMDIFF_TESTUTIL_H
#define SYMDIFF_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stddef.h>

/* The random numbers of every suite come from the runtime's generator
 * (runtime/sdrt.h: splitmix64-seeded xoshiro256**, the same stream on
 * every platform for a seed): sdrt_rng_seed, sdrt_rng_next,
 * sdrt_rng_uniform, sdrt_rng_range(r, lo, hi), sdrt_rng_below(r, n). */
#include "sdrt.h"

/* |a - b| <= tol * max(1, |a|, |b|) */
#define ck_assert_close(a, b, tol)                                             \
    do {                                                                       \
        double ck_a_ = (a), ck_b_ = (b), ck_t_ = (tol);                        \
        double ck_s_ = fabs(ck_a_) > fabs(ck_b_) ? fabs(ck_a_) : fabs(ck_b_);  \
        if (ck_s_ < 1)                                                         \
            ck_s_ = 1;                                                         \
        ck_assert_msg(fabs(ck_a_ - ck_b_) <= ck_t_ * ck_s_,                    \
                      "%s = %.17g, %s = %.17g differ by more than %g", #a,     \
                      ck_a_, #b, ck_b_, ck_t_);                                \
    } while (0)

/* n bytes from the generator (the input of tests/fuzz/exprgen.c's
 * program generator, as the differential fuzzer feeds it). */
void tu_random_bytes(SdrtRng *rng, unsigned char *out, size_t n);

/* --- text -> DAG ------------------------------------------------------------------------ */

struct Graph;
struct Node;
struct Program;
struct Define;
struct Ast;
struct StrBuf;

/* How tu_compile reads and lowers; a zero field is the default (meant for
 * designated initializers: &(TuOptions){.vars = xyz, .nvars = 3}). */
typedef struct TuOptions {
    size_t len;                   /* bytes of text (0: strlen; the text may hold NULs) */
    const char *name;             /* the source's name in diagnostics (NULL: "<expr>")   */
    const char *const *vars;      /* the variables, in this order (NULL: first use)      */
    int nvars;
    const struct Define *defines; /* constants bound before the program runs (-D)        */
    int ndefines;
    long max_work;                /* limit on statements executed (0: the default)       */
    int may_fail;                 /* an error returns -1 / NULL instead of failing       */
} TuOptions;

/* Parses and lowers `text` into g (compile_source, the engine's own
 * scaffold).  Returns 0 with the program in *out (program_free frees it),
 * or -1 with the diagnostics in tu_errors().  Unless opt->may_fail, an
 * error fails the test, quoting the text and its diagnostics.  opt may be
 * NULL. */
int tu_compile(const char *text, struct Graph *g, const TuOptions *opt, struct Program *out);

/* The single output of `text` lowered into g (a program ending in one
 * expression, not in [a, b, ...]), or (with opt->may_fail) NULL when it
 * does not lower or has several outputs. */
struct Node *tu_lower(const char *text, struct Graph *g, const TuOptions *opt);

/* The diagnostics of the last tu_compile or tu_lower ("" after success). */
const char *tu_errors(void);

/* The syntax tree as a small S-expression, the form the parser's tests
 * compare:
 *   number/name      as written            x, 2.5e3
 *   (sum a + b - c)  n-ary AST_SUM with its operators
 *   (prod a * b / c @ d . e)   AST_PRODUCT; '.' is juxtaposition
 *   (neg a) (^ a b) (' a) (index a i j) (call f a b) [a b]
 *   (= name e) (repeat n s...) (param w 2 3) (input x 3) (program s... e)
 *   {e}              e carries AST_PAREN
 * A program with no statements is written as its final expression alone. */
void tu_tree(struct StrBuf *sb, const struct Ast *n);

/* Names whose 32-bit hashes (graph_name_hash) are equal, as an index of
 * names compares names only on equal hashes: found among 400000 names of
 * six letters, at most max pairs, into pairs[2 k], pairs[2 k + 1];
 * returns k. */
int tu_equal_hash_names(char (*pairs)[16], int max);

#endif
