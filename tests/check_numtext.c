/* SPDX-License-Identifier: MIT */
/*
 * check_numtext.c — numtext_g writes what printf("%.*g") writes.
 *
 * The generated C's constants are written by numtext_g instead of printf,
 * and must stay byte-for-byte what "%.17g" (double) and "%.9g" (float)
 * gave.  Every test compares numtext_g with the C library's snprintf on a
 * class of values, at every precision it writes: integers (the common
 * case, with its own fast path) up to and past 2^53 and around each power
 * of ten where %g changes notation; every power of two from the smallest
 * subnormal to the largest exponent; exact ties of every precision
 * (dyadic fractions), which round to even; the special values; random bit
 * patterns, as doubles and as floats.  Last, codegen_literal (the text of
 * a constant in a kernel) against the printf-based text it replaced.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "codegen_common.h"
#include "numtext.h"
#include "strbuf.h"
#include "testutil.h"

/* numtext_g(v, p) against snprintf; the first few differences are
 * printed, and the count returned. */
static long differs(double v, int p) {
    static long shown;
    char got[NUMTEXT_MAX], want[128];
    size_t n = numtext_g(got, v, p);
    snprintf(want, sizeof want, "%.*g", p, v);
    if (strcmp(got, want) == 0 && n == strlen(want))
        return 0;
    if (shown++ < 10)
        fprintf(stderr, "numtext_g(%a, %d) = \"%s\" (%zu), printf gives \"%s\"\n", v, p, got, n, want);
    return 1;
}

/* xorshift64: the next of a fixed sequence of bit patterns. */
static uint64_t next_bits(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A value of ordinary size made from bits: their top 53 as the
 * mantissa, times 2^-40 to 2^40. */
static double ordinary(uint64_t bits) { return ldexp((double)(bits >> 11), (int)(bits % 81) - 40 - 53); }

/* A value at the precisions the kernels use and at every one up to the
 * largest, negated too. */
static long differs_all(double v) {
    long bad = 0;
    for (int p = 0; p <= NUMTEXT_MAX_PRECISION; p++)
        bad += differs(v, p) + differs(-v, p);
    return bad;
}

START_TEST(test_numtext_integers) {
    long bad = 0, n = 0;
    for (long i = 0; i <= 70000; i++, n++)
        bad += differs((double)i, 17) + differs((double)-i, 17) + differs((double)i, 9) + differs((double)i, 3);
    /* around each power of ten (where %g switches to an exponent) and
     * past 2^53 and 2^64 (the end of the 64-bit fast path) */
    for (int k = 0; k <= 25; k++)
        for (int d = -3; d <= 3; d++, n++)
            bad += differs_all(pow(10, k) + d);
    for (int k = 50; k <= 70; k++)
        for (int d = -4; d <= 4; d++, n++)
            bad += differs_all(ldexp(1, k) + d * ldexp(1, k - 52));
    ck_assert_msg(bad == 0, "%ld of the texts of %ld integers differ from printf's", bad, n);
}
END_TEST

START_TEST(test_numtext_powers_of_two) {
    long bad = 0;
    for (int e = -1074; e <= 1023; e++) {
        bad += differs_all(ldexp(1, e));
        bad += differs(ldexp(3, e - 1), 17) + differs(ldexp(5, e - 2), 9); /* 1.5 and 1.25 2^e */
        /* the largest mantissa: the most digits */
        if (e >= -1022 + 52)
            bad += differs(ldexp(0x1fffffffffffff, e - 52), 17);
    }
    ck_assert_msg(bad == 0, "%ld texts of powers of two differ from printf's", bad);
}
END_TEST

START_TEST(test_numtext_ties_round_to_even) {
    /* n / 2^k is a decimal with at most k digits after the point, so at
     * some precision each one is an exact tie (0.25 -> "0.2", 0.75 ->
     * "0.8", 2.5 -> "2") */
    long bad = 0;
    for (int k = 1; k <= 12; k++)
        for (long n = 1; n <= 1024; n += 2)
            for (int p = 1; p <= 17; p++)
                bad += differs(ldexp((double)n, -k), p) + differs(ldexp((double)n, -k) + 1000, p);
    ck_assert_msg(bad == 0, "%ld texts of exact ties differ from printf's", bad);
}
END_TEST

START_TEST(test_numtext_special_values) {
    static const double values[] = {
        0.0, INFINITY, NAN, DBL_MAX, DBL_MIN, 4.9406564584124654e-324, 2.2250738585072009e-308, FLT_MAX,
        FLT_MIN, 1.401298464324817e-45, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 0.7, 1.0000000000000002,
        0.99999999999999989, 9007199254740993.0, 123456789012345678.0, 1e-5, 1e-4, 9.9999999999999991e-5,
        9.9999999999999995e-5, 0.00010000000000000001, 99999999999999984.0, 1e16, 1e17, 1e22, 1e23,
        5e-324, 1.7976931348623157e308, 3.141592653589793, 2.718281828459045, 6.02214076e23,
    };
    long bad = 0;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        bad += differs_all(values[i]);
    ck_assert_msg(bad == 0, "%ld texts of special values differ from printf's", bad);
}
END_TEST

START_TEST(test_numtext_random_bits) {
    uint64_t s = 88172645463325252u;
    long bad = 0;
    for (int i = 0; i < 200000; i++) {
        next_bits(&s);
        double v;
        memcpy(&v, &s, sizeof v);
        bad += differs(v, 17) + differs((double)(float)v, 9) + differs(v, 1 + (int)(s >> 58) % 40);
        double w = ordinary(s);
        bad += differs(w, 17) + differs((double)(float)w, 9);
    }
    ck_assert_msg(bad == 0, "%ld texts of random values differ from printf's", bad);
}
END_TEST

/* codegen_literal: the value rounded to the type, "%.*g", ".0" where the
 * text would read as an integer, the type's suffix. */
START_TEST(test_numtext_codegen_literal) {
    uint64_t s = 2463534242u;
    long bad = 0;
    for (int i = 0; i < 20000; i++) {
        double v = i < 1000 ? (double)i - 500 : i < 2000 ? (i - 1500) / 64.0 : ordinary(next_bits(&s));
        for (int f = 0; f < 2; f++) {
            const CodegenType *t = codegen_type(f);
            char want[160];
            double r = f ? (double)(float)v : v;
            int n = snprintf(want, sizeof want, "%.*g", t->digits, r);
            snprintf(want + n, sizeof want - (size_t)n, "%s%s", strpbrk(want, ".eEn") ? "" : ".0", t->suffix);
            StrBuf sb;
            sb_init(&sb);
            codegen_literal(&sb, t, v);
            if (strcmp(sb_str(&sb), want) != 0 && bad++ < 10)
                fprintf(stderr, "codegen_literal(%s, %a) = \"%s\", expected \"%s\"\n", t->name, v, sb_str(&sb), want);
            sb_free(&sb);
        }
    }
    ck_assert_msg(bad == 0, "%ld literals differ from the printf-based text", bad);
}
END_TEST

Suite *numtext_suite(void); /* called by tests/runner.c */

Suite *numtext_suite(void) {
    Suite *s = suite_create("numtext");
    TCase *tc = tcase_create("printf");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_numtext_integers);
    tcase_add_test(tc, test_numtext_powers_of_two);
    tcase_add_test(tc, test_numtext_ties_round_to_even);
    tcase_add_test(tc, test_numtext_special_values);
    tcase_add_test(tc, test_numtext_random_bits);
    tcase_add_test(tc, test_numtext_codegen_literal);
    suite_add_tcase(s, tc);
    return s;
}
