/* SPDX-License-Identifier: MIT */
/*
 * numtext.c — a double as "%.*g" text, without printf.
 *
 * Consumes a double and a precision, produces the bytes glibc's
 * printf("%.*g") produces (numtext.h).  The generated C writes one
 * literal per constant, and a program with many constants (10^5 declared
 * parameters, each with its coefficient) spent a fifth of its time in
 * printf's general machinery.
 *
 * Method, exact for every double: v = m 2^e with an integer m < 2^53.
 *  - An integer below 2^64 (e >= 0 small, or the fraction bits zero) is
 *    its own digit string, found with 64-bit divisions: the common case
 *    (integer coefficients, and the p and q of a fraction p / q).
 *  - Otherwise v = N 10^-s with the integer N = m 2^e (s = 0) when
 *    e >= 0, and N = m 5^-e (s = -e) when e < 0, since
 *    2^e = 5^-e 10^e.  N (at most 2550 bits, for the smallest
 *    subnormals) is built in 32-bit limbs and written out in decimal in
 *    full, nine digits per division by 10^9.
 * Either way the exact decimal digits of v are at hand, so rounding to
 * the precision is exact: up when the first dropped digit is above 5, or
 * 5 followed by anything non-zero; on an exact tie (5 and nothing after)
 * to even, as glibc does in the default rounding mode.  The %g layout is
 * applied to the rounded digits and their exponent X.
 */
#include "numtext.h"

#include <stdint.h>
#include <string.h>

/* Decimal digits of the exact value: at most 767 (2^53 5^1074 for the
 * smallest subnormals), rounded up to whole groups of nine. */
enum { DIGITS_MAX = 792, LIMBS_MAX = 84 };

/* The digits of u (no leading zeros; "0" for 0) at the end of a buffer
 * whose end is `end`; returns where they start. */
static char *u64_digits(uint64_t u, char *end) {
    char *p = end;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    return p;
}

/* limbs[0..*n) *= f (f < 2^32), little-endian. */
static void big_mul_small(uint32_t *limbs, int *n, uint32_t f) {
    uint64_t carry = 0;
    for (int i = 0; i < *n; i++) {
        uint64_t t = (uint64_t)limbs[i] * f + carry;
        limbs[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry)
        limbs[(*n)++] = (uint32_t)carry;
}

/* The decimal digits of the integer m 2^e (e > 0) or m 5^-e (e < 0),
 * written so that they end at `end`; returns where they start. */
static char *big_digits(uint64_t m, int e, char *end) {
    uint32_t limbs[LIMBS_MAX];
    int n = 0;
    limbs[n++] = (uint32_t)m;
    if (m >> 32)
        limbs[n++] = (uint32_t)(m >> 32);
    if (e > 0) {
        /* a shift by e = 32 w + b bits */
        int w = e / 32, b = e % 32;
        if (b) {
            uint32_t carry = 0;
            for (int i = 0; i < n; i++) {
                uint32_t x = limbs[i];
                limbs[i] = x << b | carry;
                carry = x >> (32 - b);
            }
            if (carry)
                limbs[n++] = carry;
        }
        memmove(limbs + w, limbs, (size_t)n * sizeof *limbs);
        memset(limbs, 0, (size_t)w * sizeof *limbs);
        n += w;
    } else {
        /* 5^13 = 1220703125 is the largest power of five below 2^32 */
        for (int k = -e; k > 0; k -= 13) {
            static const uint32_t pow5[14] = {1,       5,        25,        125,       625,
                                              3125,    15625,    78125,     390625,    1953125,
                                              9765625, 48828125, 244140625, 1220703125};
            big_mul_small(limbs, &n, pow5[k < 13 ? k : 13]);
        }
    }
    /* nine digits at a time from the bottom: N = 10^9 q + r */
    char *p = end;
    while (n > 0) {
        uint64_t r = 0;
        for (int i = n - 1; i >= 0; i--) {
            uint64_t t = r << 32 | limbs[i];
            limbs[i] = (uint32_t)(t / 1000000000u);
            r = t % 1000000000u;
        }
        while (n > 0 && limbs[n - 1] == 0)
            n--;
        for (int j = 0; j < 9; j++, r /= 10)
            *--p = (char)('0' + r % 10);
    }
    while (*p == '0' && p + 1 < end)
        p++;
    return p;
}

/* The %g layout, at precision P, of the digits d[0..nd) (nd <= P, d[0]
 * non-zero; the digits after them are zeros), worth d[0].d[1]... 10^X,
 * with trailing zeros dropped. */
static size_t layout_g(char *buf, int neg, const char *d, int nd, int P, int X) {
    char *o = buf;
    if (neg)
        *o++ = '-';
    int last = nd; /* the digits that remain once trailing zeros go */
    while (last > 1 && d[last - 1] == '0')
        last--;
    if (X < -4 || X >= P) {
        *o++ = d[0];
        if (last > 1) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)(last - 1));
            o += last - 1;
        }
        *o++ = 'e';
        *o++ = X < 0 ? '-' : '+';
        unsigned x = (unsigned)(X < 0 ? -X : X);
        if (x < 10)
            *o++ = '0';
        char tmp[8];
        char *t = u64_digits(x, tmp + sizeof tmp);
        memcpy(o, t, (size_t)(tmp + sizeof tmp - t));
        o += tmp + sizeof tmp - t;
    } else if (X >= 0) {
        /* X + 1 <= P integer digits; the rounded digits past `last` are 0 */
        for (int i = 0; i <= X; i++)
            *o++ = i < last ? d[i] : '0';
        if (last > X + 1) {
            *o++ = '.';
            memcpy(o, d + X + 1, (size_t)(last - X - 1));
            o += last - X - 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -X - 1; i++)
            *o++ = '0';
        memcpy(o, d, (size_t)last);
        o += last;
    }
    *o = '\0';
    return (size_t)(o - buf);
}

size_t numtext_g(char *buf, double v, int precision) {
    int P = precision < 1 ? 1 : precision > NUMTEXT_MAX_PRECISION ? NUMTEXT_MAX_PRECISION : precision;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int neg = (int)(bits >> 63);
    int biased = (int)(bits >> 52 & 0x7ff);
    uint64_t m = bits & ((UINT64_C(1) << 52) - 1);
    char *o = buf;
    if (biased == 0x7ff) {
        if (neg)
            *o++ = '-'; /* glibc writes the sign of a NaN too: "-nan" */
        memcpy(o, m ? "nan" : "inf", 4);
        return (size_t)(o - buf) + 3;
    }
    if (biased == 0 && m == 0) {
        if (neg)
            *o++ = '-';
        *o++ = '0';
        *o = '\0';
        return (size_t)(o - buf);
    }
    int e;
    if (biased == 0) {
        e = -1074; /* subnormal: no implicit bit */
    } else {
        m |= UINT64_C(1) << 52;
        e = biased - 1075;
    }
    if (e < 0 && e > -64 && !(m & ((UINT64_C(1) << -e) - 1))) {
        m >>= -e; /* an integer: no fraction bits */
        e = 0;
    }
    while (e <= -8 && !(m & 0xff)) { /* the same value with fewer fraction bits */
        m >>= 8;
        e += 8;
    }
    while (e < 0 && !(m & 1)) {
        m >>= 1;
        e++;
    }

    /* the exact digits: v = digits 10^-s */
    char all[DIGITS_MAX + 1];
    char *end = all + DIGITS_MAX, *d;
    int s = 0;
    if (e >= 0 && e <= 11)
        d = u64_digits(m << e, end); /* m < 2^53: fits in 64 bits */
    else if (e >= 0)
        d = big_digits(m, e, end);
    else {
        d = big_digits(m, e, end);
        s = -e;
    }
    int len = (int)(end - d);
    int X = len - 1 - s; /* the exponent of the first digit */

    if (len <= P) /* exact at this precision: nothing to round */
        return layout_g(buf, neg, d, len, P, X);
    /* rounded to P digits, in r[0..P) */
    char r[NUMTEXT_MAX_PRECISION + 1];
    memcpy(r, d, (size_t)P);
    int up = d[P] > '5';
    if (d[P] == '5') {
        up = (r[P - 1] - '0') & 1; /* a tie goes to even ... */
        for (int i = P + 1; i < len && !up; i++)
            up = d[i] != '0'; /* ... unless it is no tie */
    }
    if (up) {
        int i = P - 1;
        while (i >= 0 && r[i] == '9')
            r[i--] = '0';
        if (i >= 0) {
            r[i]++;
        } else { /* 99..9 became 100..0 */
            r[0] = '1';
            X++;
        }
    }
    return layout_g(buf, neg, r, P, P, X);
}
