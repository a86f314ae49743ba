/* SPDX-License-Identifier: MIT */
/*
 * num.h — constants: exact rationals where they fit, doubles otherwise.
 *
 * A rational has a 64-bit numerator and a positive 64-bit denominator in
 * lowest terms.  Arithmetic that would overflow falls back to double; any
 * operation whose exact result is undefined or not finite (division by zero,
 * 0^-1, an even root of a negative number, overflow to infinity, NaN) is
 * refused: the caller keeps the expression symbolic instead of folding it.
 */
#ifndef SYMDIFF_NUM_H
#define SYMDIFF_NUM_H

#include <stdint.h>
#include <string.h>

#include "strbuf.h"

typedef struct Num {
    int is_rat;     /* 1: the value is exactly p/q; 0: the value is d      */
    int64_t p, q;   /* is_rat: q > 0, gcd(|p|, q) = 1                       */
    double d;       /* !is_rat: finite, and not representable as p/q above */
} Num;

typedef enum NumStatus {
    NUM_OK,        /* folded                                              */
    NUM_INEXACT,   /* exact result is irrational (e.g. 2^(1/2)): keep it  */
    NUM_DOMAIN,    /* undefined: division by zero, even root of negative  */
    NUM_OVERFLOW   /* the result does not fit in a double                 */
} NumStatus;

/* The integer v.  This and the tests below are inline: the constructors
 * call them millions of times on a large graph (about 60 per step of the
 * logistic map's gradient), and a call that passes a 32-byte Num cost
 * more than the test. */
static inline Num num_int(int64_t v) {
    Num n = {1, v, 1, 0.0};
    return n;
}
Num num_rat(int64_t p, int64_t q); /* q != 0; reduces */
/* A finite double, as an exact rational when it is a "short" number. */
Num num_double(double d);

NumStatus num_add(Num a, Num b, Num *out);
NumStatus num_mul(Num a, Num b, Num *out);
/* a^b: exact for rational a and integer b, and for perfect powers with a
 * rational b (8^(1/3) = 2); NUM_INEXACT when the result would be
 * irrational. */
NumStatus num_pow(Num a, Num b, Num *out);
Num num_neg(Num a);
/* pow(b, e) for a constant exponent, with the sign an exact integer e
 * gives: odd integers beyond 2^53 have no double, and pow() of the
 * rounded (even) exponent would make (-1)^(2^53 + 1) = 1. */
double num_pow_value(double b, Num e);
/* Is e an exact odd integer beyond 2^53 (which a double cannot hold)? */
int num_is_unrepresentable_odd(Num e);

/* Parses a numeric literal (digits, '.', exponent).  Integers and decimals
 * with at most 15 significant digits that fit are exact rationals. */
NumStatus num_parse(const char *text, Num *out);

double num_value(Num a);
static inline int num_is_zero(Num a) { return a.is_rat ? a.p == 0 : a.d == 0; }
static inline int num_is_one(Num a) { return a.is_rat && a.p == 1 && a.q == 1; }
static inline int num_is_minus_one(Num a) { return a.is_rat && a.p == -1 && a.q == 1; }
static inline int num_is_int(Num a) { return a.is_rat && a.q == 1; } /* an exact integer */
static inline int num_is_negative(Num a) { return a.is_rat ? a.p < 0 : a.d < 0; }
/* Exact equality (doubles compare by bit pattern). */
static inline int num_equal(Num a, Num b) {
    if (a.is_rat != b.is_rat)
        return 0;
    if (a.is_rat)
        return a.p == b.p && a.q == b.q;
    return memcmp(&a.d, &b.d, sizeof a.d) == 0;
}
/* Total order used for sorting: by value, rationals before doubles. */
int num_compare(Num a, Num b);
uint32_t num_hash(Num a);

/* Greatest common divisor of two positive rationals' magnitudes
 * (gcd of numerators / lcm of denominators); 0 if not both rational or it
 * would overflow. */
int num_rat_gcd(Num a, Num b, Num *out);

/* Prints so that the text reads back as the same Num: an integer as
 * written, every other rational as "p/q" in lowest terms (1/8 as well as
 * 4/3), a double in the shortest decimal that reads back as it. */
void num_print(StrBuf *sb, Num a);
/* Like num_print but always a decimal approximation (%.17g). */
void num_print_value(StrBuf *sb, double v);

#endif
