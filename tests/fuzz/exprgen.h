/* SPDX-License-Identifier: MIT */
/*
 * exprgen.h — random valid programs for differential tests: bytes (from a
 * fuzzer or a PRNG) -> an expression tree -> source text, plus an
 * evaluator of that tree that is independent of symdiff's simplifier.
 *
 * The tree is evaluated in long double, straight from its definition
 * (a/b is a division, sqrt is sqrtl, ...), with a running bound on the
 * error a double evaluation of the same value could make: each operation
 * adds half an ulp of its result and passes on its arguments' errors as
 * amplified by the operation itself (measured by evaluating it again at
 * the arguments moved by their error bounds).  Comparing symdiff's value
 * with this reference then needs no hand-tuned tolerance per expression,
 * and ill-conditioned points are recognised (the bound is large or not
 * finite) instead of being reported as disagreements.
 */
#ifndef SYMDIFF_EXPRGEN_H
#define SYMDIFF_EXPRGEN_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define GEN_MAX_NODES 160
#define GEN_NVARS 3 /* x, y, z */
#define GEN_MAX_DEFS 3

typedef enum GenKind {
    GEN_NUM,  /* a literal: text, value                          */
    GEN_VAR,  /* var: 0..GEN_NVARS-1                             */
    GEN_DEF,  /* var: a name defined by an earlier statement     */
    GEN_PI,
    GEN_E,
    GEN_NEG,
    GEN_ADD,
    GEN_SUB,
    GEN_MUL,
    GEN_DIV,
    GEN_JUXT, /* implicit multiplication: a b                    */
    GEN_POW,
    GEN_CALL, /* fn: index into the generator's function table   */
    /* the classes below only with gen_program_classes: */
    GEN_WIDE_SUM,  /* sin(a + 1) + ... + sin(a + count): one sum node  */
    GEN_WIDE_PROD, /* (1 + a/1) (1 + a/4) ... (1 + a/count^2)          */
    GEN_FILL_SUM   /* sum(ones(count, count2) a), count2 0: ones(count);
                      fn 1: mean(zeros(count, count2) + a) = a        */
} GenKind;

/* Classes of programs a generator may make beyond the default ones (which
 * the gencode and stability suites compile and run): very wide n-ary
 * nodes (65536 operands and more, found 16-bit argument counts) and huge
 * shapes (up to and past SHAPE_MAX_ELEMENTS, found int element counts). */
enum { GEN_CLASS_WIDE = 1, GEN_CLASS_SHAPES = 2 };

typedef struct GenExpr GenExpr;
struct GenExpr {
    GenKind kind;
    int fn, var, nargs;
    const char *text;
    long double value; /* GEN_NUM */
    GenExpr *arg[3];
    long count, count2; /* GEN_WIDE_*, GEN_FILL_SUM */
};

/* Where the bytes come from; reads past the end give zeros. */
typedef struct GenBytes {
    const uint8_t *data;
    size_t size, pos;
} GenBytes;

typedef struct Gen {
    GenBytes in;
    GenExpr pool[GEN_MAX_NODES];
    int used;
    int ndefs;               /* statements before the final expression */
    GenExpr *defs[GEN_MAX_DEFS];
    GenExpr *root;
    int minimal_parens;      /* print with the grammar's precedence     */
    int noise;               /* random whitespace, comments, CRLF       */
    unsigned classes;        /* GEN_CLASS_* allowed                     */
} Gen;

/* The reference value of a program at a point. */
typedef struct GenValue {
    long double v;
    long double err;   /* bound on a double evaluation's error (may be inf) */
    int at_kink;       /* a kink was evaluated exactly at its kink, a
                          function at a jump or a domain edge (atan2 on
                          its branch cut), or a branch of ifpos/min/max
                          tie was taken                                    */
    int const_undefined; /* a subexpression without variables is not a
                            finite double: symdiff must reject it          */
    int const_tiny;      /* a constant underflows in double (symdiff may
                            fold it to 0, and then divide by it)          */
    int def_undefined;   /* a statement's value is not finite here         */
    int part_undefined;  /* some subexpression is not finite here          */
    int extreme;         /* some subexpression is beyond 1e15 or below
                            1e-15: derivatives (which square, divide and
                            distribute coefficients) may overflow or lose
                            every digit in double where the function does
                            not, and no error bound is kept for them      */
    int out_of_range;    /* some subexpression is beyond 1e30 or below
                            1e-30: rewrites that are exact in real numbers
                            ((a b)^k = a^k b^k, k <= 8) may overflow or
                            underflow a double where the written order
                            does not                                      */
    int too_large;       /* a shape has more than SHAPE_MAX_ELEMENTS
                            elements: symdiff must reject the program    */
} GenValue;

unsigned gen_byte(GenBytes *b);
/* A number in [0, n). */
unsigned gen_below(GenBytes *b, unsigned n);

/* Builds a program from the bytes: up to GEN_MAX_DEFS statements and a
 * final expression of nesting at most max_depth. */
void gen_program(Gen *gen, const uint8_t *data, size_t size, int max_depth);
/* The same, with the classes of programs (GEN_CLASS_*) it may also make;
 * gen_program is this with none, and reads the bytes the same way. */
void gen_program_classes(Gen *gen, const uint8_t *data, size_t size, int max_depth, unsigned classes);

/* The program's source text. */
void gen_print(Gen *gen, StrBuf *out);

/* Evaluates the final expression at point[GEN_NVARS]. */
GenValue gen_eval(const Gen *gen, const long double *point);

/* Ridders' extrapolated central difference of the reference along one
 * variable, from the relative step `step` down, with its error estimate
 * (inf when it does not converge). */
long double gen_ridders(const Gen *gen, const long double *point, int var, long double step,
                        long double *err);

/* The reference value of row fn of builtins.def (a Builtin) at a[nargs],
 * from its definition in long double. */
long double gen_builtin_value(int fn, const long double *a, int nargs);

/* Does the program use this variable? */
int gen_uses_var(const Gen *gen, int var);
/* Does the program call ifpos (whose derivative has a documented
 * limitation: NaN where the branch not taken is undefined)? */
int gen_uses_fn(const Gen *gen, const char *name);

extern const char *const gen_var_names[GEN_NVARS];

#endif
