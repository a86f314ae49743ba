/* SPDX-License-Identifier: MIT */
/*
 * poly.h — univariate polynomials with exact integer coefficients, and
 * their factored forms, for the teaching material (Baydin's table).
 *
 * Consumes a DAG node that is a polynomial in one variable (sums,
 * products, non-negative integer powers, rational constants); produces
 *   - its exact coefficients (poly_from_node), as an integer polynomial
 *     over a positive integer denominator;
 *   - its factored form  c * f1^m1 * f2^m2 * ...  (poly_factor): Yun's
 *     square-free decomposition, then the linear factors q x - p of the
 *     rational roots p/q (p | a0, q | an); the other square-free parts are
 *     kept whole (irreducible, or at least without rational roots);
 *   - the product rule applied to a factored form (poly_product_rule): the
 *     "naive" derivative a textbook writes, term by term;
 *   - printed forms in the table's notation: 16x(1 - x)(1 - 2x)^2,
 *     64(1 - 42x + 504x^2 - ...), in ASCII, Unicode or LaTeX.
 *
 * Central convention: coefficients are fixed-size big integers (Big, up to
 * BIG_LIMBS*32 bits).  Nothing is allocated per number; a result that does
 * not fit is marked `bad`, every result computed from a bad number is bad,
 * and the polynomial functions report it as POLY_OVERFLOW instead of
 * returning a wrong number.  Polynomials own a malloc'd coefficient array
 * (poly_init / poly_free); every function accepts an output that aliases an
 * input.
 */
#ifndef SYMDIFF_POLY_H
#define SYMDIFF_POLY_H

#include <stdint.h>

#include "dag.h"
#include "strbuf.h"

/* ---- big integers ---------------------------------------------------------- */

#define BIG_LIMBS 128 /* 4096 bits: the derivative of l_8 needs ~310 */

typedef struct Big {
    int n;                 /* limbs in use; 0 for zero                      */
    int neg;               /* 1: negative (never for zero)                  */
    int bad;               /* overflowed or undefined: the value is garbage */
    uint32_t d[BIG_LIMBS]; /* magnitude, least significant limb first       */
} Big;

void big_set_int(Big *r, int64_t v);
int big_is_zero(const Big *a);
int big_is_int(const Big *a, int64_t v); /* a == v (and not bad)        */
int big_sign(const Big *a);              /* -1, 0 or 1                  */
int big_cmp(const Big *a, const Big *b);
int big_cmp_abs(const Big *a, const Big *b);
void big_neg(Big *r, const Big *a);
void big_abs(Big *r, const Big *a);
void big_add(Big *r, const Big *a, const Big *b);
void big_sub(Big *r, const Big *a, const Big *b);
void big_mul(Big *r, const Big *a, const Big *b);
/* Truncated division: q = trunc(a / b), rem = a - q b (the sign of a).
 * Either output may be NULL.  b = 0 makes both bad. */
void big_divmod(Big *q, Big *rem, const Big *a, const Big *b);
/* gcd(|a|, |b|) >= 0; gcd(0, 0) = 0. */
void big_gcd(Big *r, const Big *a, const Big *b);
/* The nearest double (correctly rounded; +-inf beyond DBL_MAX). */
double big_to_double(const Big *a);
/* Decimal digits, with a leading '-' when negative ("<overflow>" if bad). */
void big_print(StrBuf *sb, const Big *a);
/* num/den (den > 0) as a decimal rounded to `digits` places. */
void big_print_decimal(StrBuf *sb, const Big *num, const Big *den, int digits);

/* ---- polynomials ------------------------------------------------------------- */

typedef enum PolyStatus {
    POLY_OK = 0,
    POLY_NOMEM = -1,    /* out of memory                                    */
    POLY_OVERFLOW = -2, /* a coefficient needs more than BIG_LIMBS limbs    */
    POLY_NOT_POLY = -3, /* not a polynomial in the variable (poly_from_node) */
    POLY_TOO_BIG = -4   /* degree above POLY_MAX_DEGREE                     */
} PolyStatus;

#define POLY_MAX_DEGREE 4096

typedef struct Poly {
    int deg; /* -1 for the zero polynomial; c[deg] != 0 otherwise */
    int cap;
    Big *c;  /* c[i] is the coefficient of x^i                       */
} Poly;

void poly_init(Poly *p);
void poly_free(Poly *p);
int poly_copy(Poly *r, const Poly *a);
/* r = sum of coefs[i] x^i, i < n (trailing zeros allowed). */
int poly_set_ints(Poly *r, const int64_t *coefs, int n);
int poly_equal(const Poly *a, const Poly *b);
int poly_add(Poly *r, const Poly *a, const Poly *b);
int poly_sub(Poly *r, const Poly *a, const Poly *b);
int poly_mul(Poly *r, const Poly *a, const Poly *b);
int poly_pow(Poly *r, const Poly *a, int k);
int poly_scale(Poly *r, const Poly *a, const Big *s);
/* d/dx sum a_i x^i = sum i a_i x^(i-1) */
int poly_derivative(Poly *r, const Poly *a);
/* The content: gcd of the coefficients, >= 0 (0 for the zero polynomial). */
void poly_content(Big *r, const Poly *a);
/* a / content(a), with a positive leading coefficient. */
int poly_primitive(Poly *r, const Poly *a);
/* The greatest common divisor, primitive with a positive leading
 * coefficient (the gcd over Q, scaled into Z[x]); 1 when coprime.  By the
 * primitive polynomial remainder sequence. */
int poly_gcd(Poly *r, const Poly *a, const Poly *b);
/* q = a / b when b divides a exactly in Z[x]; returns 1 (q untouched) when
 * it does not. */
int poly_divexact(Poly *q, const Poly *a, const Poly *b);
/* Evaluation.  Exactly at p/q (q > 0): *num / *den, reduced, *den > 0. */
int poly_eval_rat(const Poly *a, const Big *p, const Big *q, Big *num, Big *den);
/* In double precision by Horner's rule on the coefficients rounded to
 * double: what a program holding the expanded form computes. */
double poly_eval_double(const Poly *a, double x);

/* The value of `root` as a polynomial in variable `var`: *p / *den with
 * *den > 0 and gcd(content(*p), *den) = 1.  POLY_NOT_POLY when root uses
 * another variable, a function, a negative or fractional power, or an
 * inexact constant. */
int poly_from_node(const Graph *g, Node *root, int var, Poly *p, Big *den);

/* ---- products of factors -------------------------------------------------- */

typedef struct PolyFactor {
    Poly p;
    int mult; /* the exponent */
} PolyFactor;

/* num/den * f[0]^mult * f[1]^mult * ...; den > 0. */
typedef struct PolyProduct {
    Big num, den;
    PolyFactor *f;
    int n, cap;
} PolyProduct;

void poly_product_init(PolyProduct *t);
void poly_product_free(PolyProduct *t);
/* The product multiplied out: *p / *den as in poly_from_node. */
int poly_product_expand(const PolyProduct *t, Poly *p, Big *den);

/* Yun's square-free decomposition of a primitive polynomial of degree
 * >= 1: f = +-prod a_i^i with the a_i square-free, pairwise coprime,
 * primitive, with positive leading coefficient.  Appends (a_i, i) for every
 * a_i of degree >= 1, i ascending; out->num is the sign. */
int poly_squarefree(const Poly *f, PolyProduct *out);

/* The factored form of p/den:
 *   - content and sign in num/den;
 *   - square-free parts by Yun's algorithm, each with its multiplicity;
 *   - from each part, the linear factors of its rational roots p/q
 *     (candidates p | a0, q | an, found by exact division by q x - p);
 *   - every factor normalised so that its lowest non-zero coefficient is
 *     positive (1 - x, 1 - 2x, 1 - 8x + 8x^2; x for the root 0);
 *   - factors in the order of poly_factor_compare.
 * *complete is set to 0 when a root search was cut short (a coefficient
 * too large to factor by trial division, or too many candidates): the
 * result is still an exact factorisation, possibly with a linear factor
 * left inside a larger one. */
int poly_factor(const Poly *p, const Big *den, PolyProduct *out, int *complete);

/* Splits the factors of t further by their gcds with the factors of `by`
 * (a coprime-base refinement): a factor f with 0 < deg gcd(f, h) < deg f
 * becomes gcd(f, h) and f / gcd(f, h), with the multiplicity of f, until
 * nothing splits.  poly_factor finds linear factors only; this finds the
 * larger ones when candidates are known (for the logistic map, the factors
 * of l_n divide l_{n+1} = 4 l_n (1 - l_n)).  The value of t is unchanged;
 * factors are re-normalised and re-sorted. */
int poly_factor_refine(PolyProduct *t, const PolyProduct *by);

/* The order of factors in a product, the one that reproduces Baydin's
 * table: degree ascending, then exponent ascending, then |leading
 * coefficient| ascending, then the coefficients from x^0 up (signed,
 * ascending).  So x, 1 - x, -8 + 16x, (1 - 2x)^2, (1 - 8x + 8x^2)^2. */
int poly_factor_compare(const PolyFactor *a, const PolyFactor *b);

/* A sum of products. */
typedef struct PolySum {
    PolyProduct *t;
    int n, cap;
} PolySum;

void poly_sum_init(PolySum *s);
void poly_sum_free(PolySum *s);
int poly_sum_expand(const PolySum *s, Poly *p, Big *den);

/* The product rule applied to the factored product t, one term per
 * factor f^k:  c * k f^(k-1) f' * (the other factors).  In each term
 *   - a constant f' (1 - 2x gives -2) is folded into the coefficient,
 *     and so is the coefficient of a monomial f' (1 + x^2 gives 2x:
 *     2 into the coefficient, x as a factor, merged with a factor x);
 *   - any other f' is written as a factor (1 - 8x + 8x^2 gives -8 + 16x);
 *   - factors are sorted by poly_factor_compare.
 * Terms come in the order of the factors differentiated, higher degree
 * first and, within a degree, in the product's own order.  That is the
 * simplest rule that reproduces Baydin et al.'s Table 1 (where the term of
 * the quadratic factor leads for l_4, the linear ones follow in order). */
int poly_product_rule(const PolyProduct *t, PolySum *out);

/* ---- printing ---------------------------------------------------------------- */

typedef enum PolyStyle {
    POLY_ASCII,   /* 16x(1 - x)(1 - 2x)^2                            */
    POLY_LATEX,   /* 16x(1 - x)(1 - 2x)^{2}  (math mode)             */
    POLY_UNICODE  /* 16x(1 − x)(1 − 2x)²                             */
} PolyStyle;

/* Ascending powers: 1 - 8x + 8x^2 ("0" for zero). */
void poly_print(StrBuf *sb, const Poly *p, const char *var, PolyStyle style);
/* p/den as the table writes an expanded polynomial: content times the
 * primitive part when that has three or more terms (16(1 - 10x + ...)),
 * the polynomial itself otherwise (4 - 8x).  The content takes the sign of
 * the lowest-degree coefficient. */
void poly_print_content(StrBuf *sb, const Poly *p, const Big *den, const char *var,
                        PolyStyle style);
/* A product: coefficient, then the factors, juxtaposed; a factor x is
 * written bare, others in parentheses; exponents above 1 shown. */
void poly_product_print(StrBuf *sb, const PolyProduct *t, const char *var, PolyStyle style);
/* Terms joined by " + " and " - " (the sign taken from each coefficient). */
void poly_sum_print(StrBuf *sb, const PolySum *s, const char *var, PolyStyle style);

/* The factored form of a polynomial node, printed (the variable named as
 * in the graph; var may be -1 for a constant, printed with "x").  Returns
 * POLY_OK or a PolyStatus error. */
int poly_factor_string(StrBuf *out, const Graph *g, Node *root, int var, PolyStyle style);

#endif
