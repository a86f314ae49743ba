/* SPDX-License-Identifier: MIT */
/*
 * num.c — exact rational and double constants (see num.h).
 *
 * Folding policy (after Lua's constfolding): fold only when the result is
 * exactly what evaluation would compute, and refuse anything undefined or
 * not finite so that the expression stays symbolic and the checker can
 * report it with a location.
 */
#include "num.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t abs_u64(int64_t v) { return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; }

/* p/q reduced, q > 0.  INT64_MIN cannot be negated: such values go to
 * double. */
Num num_rat(int64_t p, int64_t q) {
    if (q == 1)
        return num_int(p);
    if (q < 0) {
        if (p == INT64_MIN || q == INT64_MIN)
            return num_double((double)p / (double)q);
        p = -p;
        q = -q;
    }
    uint64_t g = gcd_u64(abs_u64(p), (uint64_t)q);
    if (g > 1) {
        p /= (int64_t)g;
        q /= (int64_t)g;
    }
    Num n = {1, p, q, 0.0};
    return n;
}

static Num make_double(double d) {
    Num n = {0, 0, 1, d};
    return n;
}

/* Parses decimal text exactly into a rational when it has at most
 * `max_digits` significant digits and fits.  Returns 1 on success. */
static int parse_exact(const char *text, int max_digits, Num *out) {
    int64_t mant = 0;
    int digits = 0, exp10 = 0, seen_point = 0, nonzero_seen = 0;
    const char *s = text;
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s == '.') {
            seen_point = 1;
            continue;
        }
        if (*s < '0' || *s > '9')
            return 0;
        int dgt = *s - '0';
        if (dgt == 0 && !nonzero_seen) {
            if (seen_point)
                exp10--;
            continue;
        }
        nonzero_seen = 1;
        if (++digits > max_digits)
            return 0;
        if (__builtin_mul_overflow(mant, 10, &mant) || __builtin_add_overflow(mant, dgt, &mant))
            return 0;
        if (seen_point)
            exp10--;
    }
    if (*s == 'e' || *s == 'E') {
        long e = strtol(s + 1, NULL, 10);
        if (e > 400 || e < -400)
            return mant == 0 ? (*out = num_int(0), 1) : 0;
        exp10 += (int)e;
    }
    if (mant == 0) {
        *out = num_int(0);
        return 1;
    }
    int64_t scale = 1;
    for (int i = 0; i < (exp10 < 0 ? -exp10 : exp10); i++)
        if (__builtin_mul_overflow(scale, 10, &scale))
            return 0;
    if (exp10 >= 0) {
        int64_t v;
        if (__builtin_mul_overflow(mant, scale, &v))
            return 0;
        *out = num_int(v);
    } else {
        *out = num_rat(mant, scale);
    }
    return 1;
}

Num num_double(double d) {
    if (d == floor(d) && fabs(d) < 9.2e18)
        return num_int((int64_t)d);
    char buf[64];
    snprintf(buf, sizeof buf, "%.15g", d);
    Num r;
    if (strtod(buf, NULL) == d && parse_exact(buf[0] == '-' ? buf + 1 : buf, 15, &r)) {
        return buf[0] == '-' ? num_neg(r) : r;
    }
    return make_double(d);
}

double num_value(Num a) { return a.is_rat ? (double)a.p / (double)a.q : a.d; }

/* Result of a double operation: refused unless finite. */
static NumStatus from_double(double d, Num *out) {
    if (isnan(d))
        return NUM_DOMAIN;
    if (isinf(d))
        return NUM_OVERFLOW;
    *out = num_double(d);
    return NUM_OK;
}

/* The same for a product of non-zero numbers: one that underflows to zero
 * (or to a subnormal, with few digits left) is refused too, or
 * x * 1e-200 * 1e-200 would fold to 0 * x = 0. */
static NumStatus from_double_nonzero(double d, Num *out) {
    if (isfinite(d) && fabs(d) < DBL_MIN)
        return NUM_INEXACT;
    return from_double(d, out);
}

Num num_neg(Num a) {
    if (a.is_rat && a.p != INT64_MIN)
        return num_rat(-a.p, a.q);
    return num_double(-num_value(a));
}

NumStatus num_add(Num a, Num b, Num *out) {
    int64_t sum;
    if (a.is_rat && b.is_rat && a.q == 1 && b.q == 1 && !__builtin_add_overflow(a.p, b.p, &sum)) {
        *out = num_int(sum); /* integers, the common case: no gcd */
        return NUM_OK;
    }
    if (a.is_rat && b.is_rat) {
        /* p1/q1 + p2/q2 = (p1*(l/q1) + p2*(l/q2)) / l,  l = lcm(q1, q2) */
        int64_t g = (int64_t)gcd_u64((uint64_t)a.q, (uint64_t)b.q);
        int64_t l, x, y, s;
        if (!__builtin_mul_overflow(a.q / g, b.q, &l) &&
            !__builtin_mul_overflow(a.p, l / a.q, &x) &&
            !__builtin_mul_overflow(b.p, l / b.q, &y) && !__builtin_add_overflow(x, y, &s)) {
            *out = num_rat(s, l);
            return NUM_OK;
        }
    }
    return from_double(num_value(a) + num_value(b), out);
}

NumStatus num_mul(Num a, Num b, Num *out) {
    int64_t prod;
    if (a.is_rat && b.is_rat && a.q == 1 && b.q == 1 && !__builtin_mul_overflow(a.p, b.p, &prod)) {
        *out = num_int(prod); /* integers, the common case: no gcd */
        return NUM_OK;
    }
    if (a.is_rat && b.is_rat) {
        /* cross-reduce first so that products stay small */
        int64_t g1 = (int64_t)gcd_u64(abs_u64(a.p), (uint64_t)b.q);
        int64_t g2 = (int64_t)gcd_u64(abs_u64(b.p), (uint64_t)a.q);
        if (g1 == 0)
            g1 = 1;
        if (g2 == 0)
            g2 = 1;
        int64_t p, q;
        if (!__builtin_mul_overflow(a.p / g1, b.p / g2, &p) &&
            !__builtin_mul_overflow(a.q / g2, b.q / g1, &q)) {
            *out = num_rat(p, q);
            return NUM_OK;
        }
    }
    if (num_is_zero(a) || num_is_zero(b)) {
        *out = num_int(0);
        return NUM_OK;
    }
    return from_double_nonzero(num_value(a) * num_value(b), out);
}

/* Exact v^k for integer k >= 0; 0 on overflow. */
static int ipow_exact(int64_t v, int64_t k, int64_t *out) {
    int64_t r = 1;
    while (k > 0) {
        if (k & 1)
            if (__builtin_mul_overflow(r, v, &r))
                return 0;
        k >>= 1;
        if (k && __builtin_mul_overflow(v, v, &v))
            return 0;
    }
    *out = r;
    return 1;
}

/* The exact n-th root of v >= 0 if v is a perfect n-th power. */
static int iroot_exact(int64_t v, int64_t n, int64_t *out) {
    double guess = floor(pow((double)v, 1.0 / (double)n) + 0.5);
    for (int64_t r = (int64_t)guess - 1; r <= (int64_t)guess + 1; r++) {
        int64_t pw;
        if (r >= 0 && ipow_exact(r, n, &pw) && pw == v) {
            *out = r;
            return 1;
        }
    }
    return 0;
}

int num_is_unrepresentable_odd(Num e) {
    return num_is_int(e) && (e.p & 1) && (e.p > (INT64_C(1) << 53) || e.p < -(INT64_C(1) << 53));
}

double num_pow_value(double b, Num e) {
    double r = pow(b, num_value(e));
    /* every double beyond 2^53 is even, so r has the sign of b^even */
    if (b < 0 && num_is_unrepresentable_odd(e))
        r = -r;
    return r;
}

NumStatus num_pow(Num a, Num b, Num *out) {
    double av = num_value(a), bv = num_value(b);
    if (av == 0 && bv < 0)
        return NUM_DOMAIN; /* 0^-k: division by zero */
    if (av < 0 && !num_is_int(b) && !(b.is_rat == 0 && bv == floor(bv)))
        return NUM_DOMAIN; /* negative base, non-integer exponent */
    if (a.is_rat && b.is_rat) {
        if (b.q == 1) {
            /* (p/q)^k = p^k / q^k, and (p/q)^-k = q^k / p^k */
            int64_t k = b.p < 0 ? -b.p : b.p, pp, qq;
            if (b.p != INT64_MIN && ipow_exact(a.p, k, &pp) && ipow_exact(a.q, k, &qq)) {
                *out = b.p < 0 ? num_rat(qq, pp) : num_rat(pp, qq);
                return NUM_OK;
            }
        } else if (av > 0) {
            /* (p/q)^(m/n) is rational only if p and q are perfect n-th powers */
            int64_t rp, rq;
            if (!iroot_exact(a.p, b.q, &rp) || !iroot_exact(a.q, b.q, &rq))
                return NUM_INEXACT;
            return num_pow(num_rat(rp, rq), num_int(b.p), out);
        } else {
            *out = num_int(0); /* 0^(positive non-integer) */
            return NUM_OK;
        }
    }
    return from_double(num_pow_value(av, b), out);
}

/* digits [. digits] [e [+-] digits], at least one mantissa digit; or
 * digits . ; or . digits */
static int well_formed(const char *s) {
    int mant = 0;
    while (*s >= '0' && *s <= '9') {
        s++;
        mant++;
    }
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            s++;
            mant++;
        }
    }
    if (!mant)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

NumStatus num_parse(const char *text, Num *out) {
    if (!well_formed(text))
        return NUM_DOMAIN;
    int integer_literal = strpbrk(text, ".eE") == NULL;
    if (parse_exact(text, integer_literal ? 19 : 15, out))
        return NUM_OK;
    errno = 0;
    char *end;
    double d = strtod(text, &end);
    if (*end != '\0')
        return NUM_DOMAIN;
    if (isinf(d) || isnan(d))
        return NUM_OVERFLOW;
    if (d == 0) {
        /* every digit zero is exact; nonzero digits that vanish underflowed */
        for (const char *s = text; *s && *s != 'e' && *s != 'E'; s++)
            if (*s >= '1' && *s <= '9')
                return NUM_OVERFLOW;
    }
    if (d == floor(d) && fabs(d) < 9.2e18)
        *out = num_int((int64_t)d);
    else
        *out = make_double(d);
    return NUM_OK;
}

/* Compares p1/q1 with p2/q2 for p >= 0, q > 0 exactly, by comparing
 * integer parts and then the reciprocals of the fractional parts (the
 * continued-fraction expansions), so nothing can overflow. */
static int compare_fractions(uint64_t p1, uint64_t q1, uint64_t p2, uint64_t q2) {
    int sign = 1;
    for (;;) {
        uint64_t i1 = p1 / q1, i2 = p2 / q2;
        if (i1 != i2)
            return i1 < i2 ? -sign : sign;
        uint64_t r1 = p1 % q1, r2 = p2 % q2;
        if (r1 == 0 || r2 == 0)
            return r1 == r2 ? 0 : (r1 == 0 ? -sign : sign);
        /* r1/q1 < r2/q2  <=>  q1/r1 > q2/r2 */
        p1 = q1;
        q1 = r1;
        p2 = q2;
        q2 = r2;
        sign = -sign;
    }
}

int num_compare(Num a, Num b) {
    if (a.is_rat && b.is_rat) {
        int na = a.p < 0, nb = b.p < 0;
        if (na != nb)
            return na ? -1 : 1;
        int c = compare_fractions(abs_u64(a.p), (uint64_t)a.q, abs_u64(b.p), (uint64_t)b.q);
        return na ? -c : c;
    }
    double x = num_value(a), y = num_value(b);
    if (x != y)
        return x < y ? -1 : 1;
    return a.is_rat - b.is_rat ? (a.is_rat ? -1 : 1) : 0;
}

uint32_t num_hash(Num a) {
    uint64_t h;
    if (a.is_rat) {
        h = (uint64_t)a.p * 0x9E3779B97F4A7C15ull ^ (uint64_t)a.q * 0xC2B2AE3D27D4EB4Full;
    } else {
        memcpy(&h, &a.d, sizeof h);
        h ^= 0x5555555555555555ull;
    }
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

int num_rat_gcd(Num a, Num b, Num *out) {
    if (!a.is_rat || !b.is_rat || a.p == 0 || b.p == 0)
        return 0;
    uint64_t gp = gcd_u64(abs_u64(a.p), abs_u64(b.p));
    uint64_t gq = gcd_u64((uint64_t)a.q, (uint64_t)b.q);
    int64_t l;
    if (__builtin_mul_overflow(a.q / (int64_t)gq, b.q, &l) || gp > INT64_MAX)
        return 0;
    *out = num_rat((int64_t)gp, l);
    return 1;
}

void num_print_value(StrBuf *sb, double v) {
    char buf[64];
    if (v == 0)
        v = 0; /* -0 prints as 0 */
    /* shortest of 15..17 significant digits that round-trips */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    sb_puts(sb, buf);
}

void num_print(StrBuf *sb, Num a) {
    if (!a.is_rat) {
        /* the shortest form that reads back as this double (and not as an
         * exact rational: 0.1 would be 1/10, so such values keep 17 digits) */
        char buf[64];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, a.d);
            Num back;
            if (strtod(buf, NULL) == a.d && (num_parse(buf[0] == '-' ? buf + 1 : buf, &back) != NUM_OK || !back.is_rat))
                break;
        }
        sb_puts(sb, buf);
        return;
    }
    /* an exact rational is p/q, whatever q: 1/8 like 4/3 (a terminating
     * decimal such as 0.125 is exact too, but printing some fractions as
     * decimals and others not reads as two kinds of number) */
    if (a.q == 1) {
        sb_printf(sb, "%lld", (long long)a.p);
        return;
    }
    sb_printf(sb, "%lld/%lld", (long long)a.p, (long long)a.q);
}
