/* SPDX-License-Identifier: MIT */
/*
 * check_teaching.c — the teaching modules: exact polynomials and their
 * factorisation (src/poly.c), Baydin et al.'s Table 1 and the numeric
 * pitfalls (src/baydin.c), Graphviz output (src/dot.c) and derivation
 * traces (src/trace.c).
 *
 * The table is compared character for character with the published one
 * (ASCII minus signs).  Big-integer results were checked with Python's
 * integers; factorisations are checked by multiplying them out again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baydin.h"
#include "dag.h"
#include "deriv.h"
#include "dot.h"
#include "lower.h"
#include "poly.h"
#include "trace.h"
#include "testutil.h"

Suite *teaching_suite(void);

/* ---- helpers ----------------------------------------------------------------- */

/* A Big from decimal digits (optionally with a leading '-'). */
static Big big_from_text(const char *s) {
    Big r, ten, digit;
    big_set_int(&r, 0);
    big_set_int(&ten, 10);
    int neg = *s == '-';
    for (s += neg; *s; s++) {
        big_mul(&r, &r, &ten);
        big_set_int(&digit, *s - '0');
        big_add(&r, &r, &digit);
    }
    if (neg)
        big_neg(&r, &r);
    return r;
}

static void ck_big_text(const Big *b, const char *expected) {
    StrBuf sb;
    sb_init(&sb);
    big_print(&sb, b);
    ck_assert_str_eq(sb_str(&sb), expected);
    sb_free(&sb);
}

/* The factored form of `text` (a polynomial in x), printed in ASCII. */
static void ck_factors(const char *text, const char *expected) {
    Graph *g = graph_new();
    Node *n = tu_lower(text, g, NULL);
    StrBuf sb;
    sb_init(&sb);
    int st = poly_factor_string(&sb, g, n, graph_find_var(g, "x"), POLY_ASCII);
    ck_assert_int_eq(st, POLY_OK);
    ck_assert_msg(strcmp(sb_str(&sb), expected) == 0, "factors of %s: got '%s', expected '%s'",
                  text, sb_str(&sb), expected);
    sb_free(&sb);
    graph_free(g);
}

/* ---- big integers ------------------------------------------------------------ */

START_TEST(test_big_arithmetic) {
    Big a = big_from_text("1606938044258990275541962092341162602522202993782792835313721"); /* 2^200 + 12345 */
    Big b = big_from_text("12157665459056928808"); /* 3^40 + 7 */
    Big q, r;
    big_divmod(&q, &r, &a, &b);
    ck_big_text(&q, "132174885850464962760492343611989445835535");
    ck_big_text(&r, "10755837230263721441");
    /* q b + r == a */
    Big back;
    big_mul(&back, &q, &b);
    big_add(&back, &back, &r);
    ck_assert_int_eq(big_cmp(&back, &a), 0);
    /* truncated division of a negative number */
    Big c = big_from_text("-100000000000000000000000000000000000000000000000001");
    Big d = big_from_text("100000000000000000003");
    big_divmod(&q, &r, &c, &d);
    ck_big_text(&q, "-999999999999999999970000000000");
    ck_big_text(&r, "-90000000001");
    /* gcd(2^100 3^5 7, 2^60 3^9 11) = 2^60 3^5 */
    Big x, y, g, t;
    big_set_int(&x, 1);
    big_set_int(&y, 1);
    big_set_int(&t, 2);
    for (int i = 0; i < 100; i++) {
        big_mul(&x, &x, &t);
        if (i < 60)
            big_mul(&y, &y, &t);
    }
    Big k;
    big_set_int(&k, 243 * 7);
    big_mul(&x, &x, &k);
    big_set_int(&k, 19683 * 11);
    big_mul(&y, &y, &k);
    big_gcd(&g, &x, &y);
    ck_big_text(&g, "280159925619463815168");
    /* 3^150 and 2^128 print exactly */
    big_set_int(&x, 1);
    big_set_int(&t, 3);
    for (int i = 0; i < 150; i++)
        big_mul(&x, &x, &t);
    ck_big_text(&x, "369988485035126972924700782451696644186473100389722973815184405301748249");
    big_set_int(&x, INT64_MIN);
    ck_big_text(&x, "-9223372036854775808");
}
END_TEST

/* A random Big of n limbs, drawn from patterns that exercise the rare
 * paths of Knuth's division (all-ones limbs, a top bit alone, zeros). */
static Big random_big(unsigned *seed, int n) {
    Big r;
    r.n = n;
    r.neg = 0;
    r.bad = 0;
    for (int i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        unsigned pick = (*seed >> 16) % 6;
        *seed = *seed * 1103515245u + 12345u;
        uint32_t v = (*seed >> 8) * 2654435761u;
        r.d[i] = pick == 0 ? 0xffffffffu : pick == 1 ? 0x80000000u : pick == 2 ? 0 : pick == 3 ? 1 : v;
    }
    while (r.n > 0 && r.d[r.n - 1] == 0)
        r.n--;
    *seed = *seed * 1103515245u + 12345u;
    r.neg = r.n > 0 && (*seed >> 20) % 2;
    return r;
}

START_TEST(test_big_division_property) {
    unsigned seed = 2024;
    for (int trial = 0; trial < 20000; trial++) {
        int na = 1 + trial % 17, nb = 1 + (trial / 17) % 9;
        Big a = random_big(&seed, na), b = random_big(&seed, nb), q, r, back;
        if (b.n == 0)
            continue;
        big_divmod(&q, &r, &a, &b);
        ck_assert(!q.bad && !r.bad);
        /* a = q b + r, |r| < |b|, r has the sign of a (or is 0) */
        big_mul(&back, &q, &b);
        big_add(&back, &back, &r);
        ck_assert_int_eq(big_cmp(&back, &a), 0);
        ck_assert_int_lt(big_cmp_abs(&r, &b), 0);
        ck_assert(r.n == 0 || r.neg == a.neg);
    }
    /* the add-back case of Hacker's Delight's divmnu tests, in 32-bit
     * limbs: {0, 0xfffffffe, 0x80000000} / {0xffffffff, 0x80000000} */
    Big u = {3, 0, 0, {0, 0xfffffffeu, 0x80000000u}}, v = {2, 0, 0, {0xffffffffu, 0x80000000u}};
    Big q, r;
    big_divmod(&q, &r, &u, &v);
    ck_assert_int_eq(q.n, 1);
    ck_assert_uint_eq(q.d[0], 0xffffffffu);
    ck_assert_int_eq(r.n, 2);
    ck_assert_uint_eq(r.d[0], 0xffffffffu);
    ck_assert_uint_eq(r.d[1], 0x7fffffffu);
}
END_TEST

START_TEST(test_big_overflow_is_sticky) {
    Big x, t;
    big_set_int(&x, 3);
    for (int i = 0; i < 20; i++)
        big_mul(&x, &x, &x); /* 3^(2^20): far beyond BIG_LIMBS */
    ck_assert(x.bad);
    big_set_int(&t, 1);
    big_add(&t, &t, &x);
    ck_assert(t.bad);
    big_set_int(&t, 0);
    big_divmod(&x, NULL, &x, &t);
    ck_assert(x.bad);
    StrBuf sb;
    sb_init(&sb);
    big_print(&sb, &x);
    ck_assert_str_eq(sb_str(&sb), "<overflow>");
    sb_free(&sb);
}
END_TEST

START_TEST(test_big_to_double_rounds_correctly) {
    Big x = big_from_text("18446744073709551617"); /* 2^64 + 1 */
    ck_assert(big_to_double(&x) == 18446744073709551616.0);
    /* (2^53 + 1) 2^20 is a tie: to even, down */
    x = big_from_text("9444732965739291475968");
    ck_assert(big_to_double(&x) == 9.44473296573929e+21);
    /* one more and it rounds up (the sticky bit) */
    x = big_from_text("9444732965739291475969");
    ck_assert(big_to_double(&x) == 9.444732965739293e+21);
    x = big_from_text("-12345");
    ck_assert(big_to_double(&x) == -12345.0);
}
END_TEST

START_TEST(test_big_decimal) {
    Big n, d;
    big_set_int(&n, -2);
    big_set_int(&d, 3);
    StrBuf sb;
    sb_init(&sb);
    big_print_decimal(&sb, &n, &d, 5);
    ck_assert_str_eq(sb_str(&sb), "-0.66667");
    sb_clear(&sb);
    big_set_int(&n, 12345);
    big_set_int(&d, 100);
    big_print_decimal(&sb, &n, &d, 1);
    ck_assert_str_eq(sb_str(&sb), "123.5");
    sb_free(&sb);
}
END_TEST

/* ---- polynomials ----------------------------------------------------------------- */

START_TEST(test_poly_gcd_and_division) {
    Poly a, b, g, q;
    poly_init(&a);
    poly_init(&b);
    poly_init(&g);
    poly_init(&q);
    /* (1 - x)(1 + x^2) and (2 + x)(1 + x^2) */
    int64_t ca[] = {1, -1, 1, -1}, cb[] = {2, 1, 2, 1}, cg[] = {1, 0, 1};
    poly_set_ints(&a, ca, 4);
    poly_set_ints(&b, cb, 4);
    ck_assert_int_eq(poly_gcd(&g, &a, &b), POLY_OK);
    Poly expect;
    poly_init(&expect);
    poly_set_ints(&expect, cg, 3);
    ck_assert(poly_equal(&g, &expect));
    ck_assert_int_eq(poly_divexact(&q, &a, &g), POLY_OK);
    int64_t cq[] = {1, -1};
    poly_set_ints(&expect, cq, 2);
    ck_assert(poly_equal(&q, &expect));
    /* not a divisor */
    int64_t cn[] = {1, 2};
    poly_set_ints(&expect, cn, 2);
    ck_assert_int_eq(poly_divexact(&q, &a, &expect), 1);
    /* coprime: the gcd is 1 */
    int64_t one[] = {1};
    ck_assert_int_eq(poly_gcd(&g, &expect, &a), POLY_OK);
    poly_set_ints(&expect, one, 1);
    ck_assert(poly_equal(&g, &expect));
    poly_free(&a);
    poly_free(&b);
    poly_free(&g);
    poly_free(&q);
    poly_free(&expect);
}
END_TEST

START_TEST(test_poly_squarefree_yun) {
    /* x^2 (x - 1)^3 = -x^2 (1 - x)^3: parts x (mult 2), x - 1 (mult 3) */
    Graph *g = graph_new();
    Node *n = tu_lower("x^2 (x - 1)^3", g, NULL);
    Poly p;
    Big den;
    poly_init(&p);
    ck_assert_int_eq(poly_from_node(g, n, 0, &p, &den), POLY_OK);
    PolyProduct sf;
    poly_product_init(&sf);
    ck_assert_int_eq(poly_squarefree(&p, &sf), POLY_OK);
    ck_assert_int_eq(sf.n, 2);
    ck_assert_int_eq(sf.f[0].mult, 2);
    ck_assert_int_eq(sf.f[1].mult, 3);
    StrBuf sb;
    sb_init(&sb);
    poly_print(&sb, &sf.f[0].p, "x", POLY_ASCII);
    sb_puts(&sb, " ; ");
    poly_print(&sb, &sf.f[1].p, "x", POLY_ASCII);
    ck_assert_str_eq(sb_str(&sb), "x ; -1 + x");
    sb_free(&sb);
    poly_product_free(&sf);
    poly_free(&p);
    graph_free(g);
}
END_TEST

START_TEST(test_factor_known_polynomials) {
    ck_factors("(1 - x)(1 - 2x)^2", "(1 - x)(1 - 2x)^2");
    ck_factors("1 - 5x + 8x^2 - 4x^3", "(1 - x)(1 - 2x)^2"); /* the same, expanded */
    ck_factors("x^3 - x", "-x(1 - x)(1 + x)");
    ck_factors("8x^2 - 8x + 1", "1 - 8x + 8x^2"); /* irreducible: kept */
    ck_factors("4x^2 - 1", "-(1 - 2x)(1 + 2x)");
    ck_factors("6x^2 - 6", "-6(1 - x)(1 + x)");
    ck_factors("x^2/2 + x/2", "(1/2)x(1 + x)");
    ck_factors("(3x - 2)^2 x^4 (x^2 + 1)^3", "(2 - 3x)^2x^4(1 + x^2)^3");
    ck_factors("12", "12");
    ck_factors("0", "0");
    ck_factors("x", "x");
    ck_factors("-x", "-x");
    ck_factors("4*x*(1 - x)", "4x(1 - x)");
}
END_TEST

START_TEST(test_factor_not_a_polynomial) {
    Graph *g = graph_new();
    StrBuf sb;
    sb_init(&sb);
    const char *bad[] = {"sin(x)", "x^-1 + 1", "x^(1/2)", "x*y", "0.1234567890123456789*x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        Node *n = tu_lower(bad[i], g, NULL);
        ck_assert_msg(poly_factor_string(&sb, g, n, graph_find_var(g, "x"), POLY_ASCII) ==
                          POLY_NOT_POLY,
                      "%s", bad[i]);
    }
    Node *big = tu_lower("(1 + x)^5000", g, NULL);
    ck_assert_int_eq(poly_factor_string(&sb, g, big, graph_find_var(g, "x"), POLY_ASCII),
                     POLY_TOO_BIG);
    sb_free(&sb);
    graph_free(g);
}
END_TEST

/* Random products of pool factors with random multiplicities and content:
 * factoring and multiplying out again gives the same polynomial, and every
 * linear pool factor comes back with its multiplicity. */
START_TEST(test_factor_round_trip) {
    static const int64_t pool[][4] = {
        {0, 1, 0, 0},  /* x            */
        {1, -1, 0, 0}, /* 1 - x        */
        {1, 2, 0, 0},  /* 1 + 2x       */
        {3, -5, 0, 0}, /* 3 - 5x       */
        {1, 0, 1, 0},  /* 1 + x^2      */
        {1, 1, 0, 1},  /* 1 + x + x^3  */
    };
    static const int pool_deg[] = {1, 1, 1, 1, 2, 3};
    SdrtRng rng;
    sdrt_rng_seed(&rng, 12345);
    for (int trial = 0; trial < 60; trial++) {
        Poly p, f, back;
        poly_init(&p);
        poly_init(&f);
        poly_init(&back);
        int64_t c = 1 + (int64_t)(trial % 7);
        poly_set_ints(&p, &c, 1);
        int mult[6];
        for (int i = 0; i < 6; i++) {
            mult[i] = (int)sdrt_rng_below(&rng, 4);
            poly_set_ints(&f, pool[i], pool_deg[i] + 1);
            Poly pw;
            poly_init(&pw);
            poly_pow(&pw, &f, mult[i]);
            poly_mul(&p, &p, &pw);
            poly_free(&pw);
        }
        Big one, den;
        big_set_int(&one, 1);
        PolyProduct t;
        poly_product_init(&t);
        int complete = 0;
        ck_assert_int_eq(poly_factor(&p, &one, &t, &complete), POLY_OK);
        ck_assert(complete);
        ck_assert_int_eq(poly_product_expand(&t, &back, &den), POLY_OK);
        ck_assert(big_is_int(&den, 1));
        ck_assert(poly_equal(&back, &p));
        for (int i = 0; i < 4; i++) {
            if (!mult[i])
                continue;
            poly_set_ints(&f, pool[i], 2);
            int found = 0;
            for (int k = 0; k < t.n; k++)
                if (poly_equal(&t.f[k].p, &f))
                    found = t.f[k].mult;
            ck_assert_int_eq(found, mult[i]);
        }
        /* sorted */
        for (int k = 1; k < t.n; k++)
            ck_assert(poly_factor_compare(&t.f[k - 1], &t.f[k]) < 0);
        poly_product_free(&t);
        poly_free(&p);
        poly_free(&f);
        poly_free(&back);
    }
}
END_TEST

/* ---- Baydin's table -------------------------------------------------------------- */

static const char *const table1[4][3] = {
    {"x", "1", "1"},
    {"4x(1 - x)", "4(1 - x) - 4x", "4 - 8x"},
    {"16x(1 - x)(1 - 2x)^2",
     "16(1 - x)(1 - 2x)^2 - 16x(1 - 2x)^2 - 64x(1 - x)(1 - 2x)",
     "16(1 - 10x + 24x^2 - 16x^3)"},
    {"64x(1 - x)(1 - 2x)^2(1 - 8x + 8x^2)^2",
     "128x(1 - x)(-8 + 16x)(1 - 2x)^2(1 - 8x + 8x^2) + 64(1 - x)(1 - 2x)^2(1 - 8x + 8x^2)^2"
     " - 64x(1 - 2x)^2(1 - 8x + 8x^2)^2 - 256x(1 - x)(1 - 2x)(1 - 8x + 8x^2)^2",
     "64(1 - 42x + 504x^2 - 2640x^3 + 7040x^4 - 9984x^5 + 7168x^6 - 2048x^7)"},
};

START_TEST(test_baydin_rows_exact) {
    int n = _i + 1;
    BaydinRow row;
    ck_assert_int_eq(baydin_row(n, BAYDIN_ASCII, &row), 0);
    ck_assert_str_eq(sb_str(&row.ln), table1[n - 1][0]);
    ck_assert_str_eq(sb_str(&row.naive), table1[n - 1][1]);
    ck_assert_str_eq(sb_str(&row.expanded), table1[n - 1][2]);
    baydin_row_free(&row);
}
END_TEST

START_TEST(test_baydin_table_text) {
    StrBuf sb;
    sb_init(&sb);
    ck_assert_int_eq(baydin_table(&sb, 3, BAYDIN_ASCII), 0);
    ck_assert_str_eq(sb_str(&sb),
                     "| n | l_n | d/dx l_n | d/dx l_n (simplified) |\n"
                     "| --- | --- | --- | --- |\n"
                     "| 1 | x | 1 | 1 |\n"
                     "| 2 | 4x(1 - x) | 4(1 - x) - 4x | 4 - 8x |\n"
                     "| 3 | 16x(1 - x)(1 - 2x)^2 | 16(1 - x)(1 - 2x)^2 - 16x(1 - 2x)^2 - "
                     "64x(1 - x)(1 - 2x) | 16(1 - 10x + 24x^2 - 16x^3) |\n");
    sb_clear(&sb);
    ck_assert_int_eq(baydin_table(&sb, 2, BAYDIN_UNICODE), 0);
    ck_assert(strstr(sb_str(&sb), "| 2 | 4x(1 \xE2\x88\x92 x) | 4(1 \xE2\x88\x92 x) \xE2\x88\x92 4x |"));
    sb_clear(&sb);
    ck_assert_int_eq(baydin_table(&sb, 4, BAYDIN_LATEX), 0);
    ck_assert(strstr(sb_str(&sb), "\\begin{tabular}"));
    ck_assert(strstr(sb_str(&sb), "$64(1 - 42x + 504x^2 - 2640x^3 + 7040x^4 - 9984x^5 + 7168x^6 - 2048x^7)$"));
    sb_clear(&sb);
    ck_assert_int_eq(baydin_table(&sb, 0, BAYDIN_ASCII), -1);
    ck_assert_int_eq(baydin_table(&sb, BAYDIN_MAX_N + 1, BAYDIN_ASCII), -1);
    sb_free(&sb);
}
END_TEST

START_TEST(test_baydin_row5_and_beyond) {
    BaydinRow row;
    ck_assert_int_eq(baydin_row(5, BAYDIN_ASCII, &row), 0);
    /* complete factorisation: the Chebyshev factors T_2 and T_4 of 1 - 2x */
    ck_assert_str_eq(sb_str(&row.ln),
                     "256x(1 - x)(1 - 2x)^2(1 - 8x + 8x^2)^2(1 - 32x + 160x^2 - 256x^3 + 128x^4)^2");
    ck_assert(strncmp(sb_str(&row.expanded), "256(1 - 170x + ", 15) == 0);
    baydin_row_free(&row);
    ck_assert_int_eq(baydin_row(BAYDIN_MAX_N, BAYDIN_ASCII, &row), 0);
    baydin_row_free(&row);
}
END_TEST

/* Independently of baydin_row's own check: the naive derivative of l_n,
 * multiplied out, is the engine's derivative. */
START_TEST(test_baydin_naive_is_consistent) {
    int n = 2 + _i;
    Graph *g = graph_new();
    Node *l, *dl;
    ck_assert_int_eq(baydin_logistic(g, n, &l, &dl), 0);
    Poly p, dp, naive;
    Big den, dden, nden;
    poly_init(&p);
    poly_init(&dp);
    poly_init(&naive);
    PolyProduct f;
    PolySum s;
    poly_product_init(&f);
    poly_sum_init(&s);
    int complete;
    ck_assert_int_eq(poly_from_node(g, l, 0, &p, &den), POLY_OK);
    ck_assert_int_eq(poly_from_node(g, dl, 0, &dp, &dden), POLY_OK);
    ck_assert_int_eq(poly_factor(&p, &den, &f, &complete), POLY_OK);
    ck_assert_int_eq(poly_product_rule(&f, &s), POLY_OK);
    ck_assert_int_eq(s.n, f.n);
    ck_assert_int_eq(poly_sum_expand(&s, &naive, &nden), POLY_OK);
    ck_assert(poly_equal(&naive, &dp));
    ck_assert(big_is_int(&nden, 1) && big_is_int(&dden, 1));
    poly_product_free(&f);
    poly_sum_free(&s);
    poly_free(&p);
    poly_free(&dp);
    poly_free(&naive);
    graph_free(g);
}
END_TEST

START_TEST(test_refine_splits_chebyshev_factors) {
    /* l_5 alone: Yun groups T_2 and T_4 (both squared) into one sextic
     * without rational roots; refining by l_4's factors splits it */
    Graph *g = graph_new();
    Node *l4, *l5, *d;
    ck_assert_int_eq(baydin_logistic(g, 4, &l4, &d), 0);
    ck_assert_int_eq(baydin_logistic(g, 5, &l5, &d), 0);
    Poly p4, p5;
    Big den;
    poly_init(&p4);
    poly_init(&p5);
    PolyProduct f4, f5;
    poly_product_init(&f4);
    poly_product_init(&f5);
    int complete;
    poly_from_node(g, l4, 0, &p4, &den);
    poly_factor(&p4, &den, &f4, &complete);
    poly_from_node(g, l5, 0, &p5, &den);
    poly_factor(&p5, &den, &f5, &complete);
    ck_assert_int_eq(f5.n, 4);
    ck_assert_int_eq(f5.f[3].p.deg, 6);
    ck_assert_int_eq(poly_factor_refine(&f5, &f4), POLY_OK);
    ck_assert_int_eq(f5.n, 5);
    StrBuf sb;
    sb_init(&sb);
    poly_product_print(&sb, &f5, "x", POLY_ASCII);
    ck_assert_str_eq(sb_str(&sb),
                     "256x(1 - x)(1 - 2x)^2(1 - 8x + 8x^2)^2(1 - 32x + 160x^2 - 256x^3 + 128x^4)^2");
    Poly back;
    poly_init(&back);
    poly_product_expand(&f5, &back, &den);
    ck_assert(poly_equal(&back, &p5));
    sb_free(&sb);
    poly_free(&back);
    poly_free(&p4);
    poly_free(&p5);
    poly_product_free(&f4);
    poly_product_free(&f5);
    graph_free(g);
}
END_TEST

START_TEST(test_product_rule_monomial_derivative) {
    /* x(1 + x^2)^2: the factor's derivative 2x is a monomial, folded */
    ck_factors("x*(1 + x^2)^2", "x(1 + x^2)^2");
    Graph *g = graph_new();
    Node *n = tu_lower("x*(1 + x^2)^2", g, NULL);
    Poly p;
    Big den;
    poly_init(&p);
    PolyProduct f;
    PolySum s;
    poly_product_init(&f);
    poly_sum_init(&s);
    int complete;
    poly_from_node(g, n, 0, &p, &den);
    poly_factor(&p, &den, &f, &complete);
    poly_product_rule(&f, &s);
    StrBuf sb;
    sb_init(&sb);
    poly_sum_print(&sb, &s, "x", POLY_ASCII);
    ck_assert_str_eq(sb_str(&sb), "4x^2(1 + x^2) + (1 + x^2)^2");
    sb_free(&sb);
    poly_sum_free(&s);
    poly_product_free(&f);
    poly_free(&p);
    graph_free(g);
}
END_TEST

/* ---- the pitfalls ------------------------------------------------------------------ */

START_TEST(test_pitfall_numbers) {
    BaydinPitfall pv;
    ck_assert_int_eq(baydin_pitfall_values(&pv), 0);
    ck_assert(fabs(pv.exact - -93.43801202183063) < 1e-12);
    ck_assert(fabs(pv.nested_forward - -93.43801202183) < 1e-9);
    ck_assert(fabs(pv.nested_reverse - -93.43801202183) < 1e-9);
    /* the expanded form in double has nothing left of the value */
    ck_assert(!(fabs(pv.expanded - pv.exact) < 1e3));
    ck_assert(pv.max_term > 1e50);
    StrBuf sb;
    sb_init(&sb);
    ck_assert_int_eq(baydin_pitfall(&sb), 0);
    ck_assert(strstr(sb_str(&sb), "-93.43801202183063110930"));
    ck_assert(strstr(sb_str(&sb), "1.30908160000000000000")); /* l_4'(0.3) exactly */
    ck_assert(strstr(sb_str(&sb), "1e-15"));
    sb_free(&sb);
}
END_TEST

/* ---- DOT -------------------------------------------------------------------------- */

static int count_lines_starting(const char *s, const char *prefix) {
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        while (*line == ' ')
            line++;
        if (strncmp(line, prefix, len) == 0 && line[len] >= '0' && line[len] <= '9') {
            const char *p = line + len;
            while (*p >= '0' && *p <= '9')
                p++;
            if (strncmp(p, " [label=", 8) == 0)
                n++;
        }
    }
    return n;
}

static void ck_balanced(const char *s) {
    int depth = 0, quoted = 0;
    for (; *s; s++) {
        if (*s == '\\' && quoted && s[1]) {
            s++;
            continue;
        }
        if (*s == '"')
            quoted = !quoted;
        else if (!quoted && *s == '{')
            depth++;
        else if (!quoted && *s == '}') {
            depth--;
            ck_assert(depth >= 0);
        }
    }
    ck_assert_int_eq(depth, 0);
    ck_assert(!quoted);
}

START_TEST(test_dot_dag_and_tree) {
    Graph *g = graph_new();
    Node *l, *dl;
    ck_assert_int_eq(baydin_logistic(g, 3, &l, &dl), 0);
    Node *roots[2] = {l, dl};
    const char *labels[2] = {"l_3", "d/dx \"l_3\""};
    StrBuf a, b;
    sb_init(&a);
    sb_init(&b);
    /* the DAG as held (constants shared): one node line per DAG node, two
     * clusters (the default draws constants per use: test_dot_constants) */
    ck_assert_int_eq(dot_write(&a, g, roots, labels, 2, DOT_SHARED_CONSTANTS), 0);
    ck_balanced(sb_str(&a));
    ck_assert(strncmp(sb_str(&a), "digraph symdiff {\n", 18) == 0);
    ck_assert_int_eq(count_lines_starting(sb_str(&a), "n"), (int)dag_count(g, roots, 2));
    ck_assert(strstr(sb_str(&a), "subgraph cluster_function"));
    ck_assert(strstr(sb_str(&a), "subgraph cluster_derivative"));
    ck_assert(strstr(sb_str(&a), "fillcolor"));
    ck_assert(strstr(sb_str(&a), "label=\"d/dx \\\"l_3\\\"\""));
    /* deterministic */
    ck_assert_int_eq(dot_write(&b, g, roots, labels, 2, DOT_SHARED_CONSTANTS), 0);
    ck_assert_str_eq(sb_str(&a), sb_str(&b));
    /* the tree: shared nodes repeated */
    sb_clear(&a);
    ck_assert_int_eq(dot_write(&a, g, roots, NULL, 1, 1), 0);
    ck_balanced(sb_str(&a));
    int tree_nodes = count_lines_starting(sb_str(&a), "t");
    ck_assert_int_eq(tree_nodes, (int)dag_tree_size(g, roots, 1));
    ck_assert_int_gt(tree_nodes, (int)dag_count(g, roots, 1));
    ck_assert(!strstr(sb_str(&a), "cluster"));
    /* a tree too large to draw is refused, and nothing is written */
    Node *big, *dbig;
    ck_assert_int_eq(baydin_logistic(g, 12, &big, &dbig), 0);
    sb_clear(&b);
    ck_assert_int_eq(dot_write(&b, g, &big, NULL, 1, 1), -1);
    ck_assert_int_eq((int)b.len, 0);
    ck_assert_int_eq(dot_write(&b, g, &big, NULL, 1, 0), 0); /* the DAG is fine */
    ck_balanced(sb_str(&b));
    sb_free(&a);
    sb_free(&b);
    graph_free(g);
}
END_TEST

/* Each use of a constant is a leaf of its own in the DAG picture (the
 * sharing drawn is the program's), unless DOT_SHARED_CONSTANTS; constants
 * that are roots (a derivative that is a number) stay nodes; trees are
 * unchanged.  Programs where hash-consing shares constants widely: the
 * logistic map (every 1 and 4), a three-variable function, x^2 ln(x^2),
 * constant derivatives, a vector of functions. */
static const char *const dot_programs[] = {
    "l = x; repeat 3 { l = 4*l*(1 - l) } l",
    "x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3",
    "x^2 ln(x^2)",
    "3*x + 4*y + 4",
    "2^x + x^2 + 2*x",
};

static int count_text(const char *s, const char *what) {
    int n = 0;
    for (size_t len = strlen(what); (s = strstr(s, what)) != NULL; s += len)
        n++;
    return n;
}

START_TEST(test_dot_constants) {
    Graph *g = graph_new();
    Node *f = tu_lower(dot_programs[_i], g, NULL);
    int vars[8], nv = (int)g->nvars;
    ck_assert(nv <= 8);
    for (int i = 0; i < nv; i++)
        vars[i] = i;
    Node *roots[9] = {f};
    ck_assert_int_eq(deriv_gradient(g, f, vars, nv, NULL, roots + 1, NULL), 0);
    int nroots = nv + 1;
    /* what the graph holds: constants reachable, and argument slots using one */
    unsigned char *mark = malloc(g->nnodes);
    ck_assert_ptr_nonnull(mark);
    dag_mark_reachable(g, roots, nroots, mark);
    int constants = 0, root_constants = 0, slots = 0; /* slots: uses drawn as leaves */
    for (size_t id = 0; id < g->nnodes; id++) {
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        int is_root = 0;
        for (int i = 0; i < nroots; i++)
            is_root |= roots[i] == n;
        if (n->kind == EX_CONST) {
            constants++;
            root_constants += is_root;
        }
        for (int k = 0; k < n->nargs; k++) {
            int root_arg = 0;
            for (int i = 0; i < nroots; i++)
                root_arg |= roots[i] == n->args[k];
            slots += n->args[k]->kind == EX_CONST && !root_arg; /* a root is a node anyway */
        }
    }
    free(mark);
    ck_assert_int_ge(slots, constants - root_constants);
    StrBuf leaf, held, tree;
    sb_init(&leaf);
    sb_init(&held);
    sb_init(&tree);
    ck_assert_int_eq(dot_write(&leaf, g, roots, NULL, nroots, 0), 0);
    ck_assert_int_eq(dot_write(&held, g, roots, NULL, nroots, DOT_SHARED_CONSTANTS), 0);
    const char *a = sb_str(&leaf), *b = sb_str(&held);
    ck_balanced(a);
    ck_balanced(b);
    int dag = (int)dag_count(g, roots, nroots);
    /* as held: every node once, no leaves */
    ck_assert_int_eq(count_lines_starting(b, "n"), dag);
    ck_assert_int_eq(count_text(b, " -> c"), 0);
    /* per use: the constants that are not roots become one leaf per use,
     * each with exactly one arrow into it */
    ck_assert_int_eq(count_lines_starting(a, "n"), dag - constants + root_constants);
    ck_assert_int_eq(count_text(a, ", shape=plaintext, fontsize=10"), slots);
    ck_assert_int_eq(count_text(a, " -> c"), slots);
    /* the program's own sharing is drawn alike */
    ck_assert_int_eq(count_text(a, "fillcolor"), count_text(b, "fillcolor"));
    /* trees do not depend on the flag */
    ck_assert_int_eq(dot_write(&tree, g, roots, NULL, nroots, DOT_TREE), 0);
    sb_clear(&leaf);
    ck_assert_int_eq(dot_write(&leaf, g, roots, NULL, nroots, DOT_TREE | DOT_SHARED_CONSTANTS), 0);
    ck_assert_str_eq(sb_str(&tree), sb_str(&leaf));
    sb_free(&leaf);
    sb_free(&held);
    sb_free(&tree);
    graph_free(g);
}
END_TEST

/* ---- traces ------------------------------------------------------------------------- */

START_TEST(test_trace_chain_rule) {
    Graph *g = graph_new();
    Node *f = tu_lower("sin(x^2)", g, NULL);
    StrBuf sb;
    sb_init(&sb);
    ck_assert_int_eq(trace_derivative(&sb, g, f, graph_find_var(g, "x"), 0, NULL), 0);
    ck_assert_str_eq(sb_str(&sb), "f = sin(x^2)\n\n"
                                  "d/dx sin(x^2) = cos(x^2) * d/dx x^2   [chain rule: sin' = cos]\n"
                                  "d/dx x^2 = 2*x                        [power rule]\n\n"
                                  "substituted:  d/dx f = cos(x^2)*(2*x)\n"
                                  "simplified:   d/dx f = 2*x*cos(x^2)\n");
    sb_clear(&sb);
    ck_assert_int_eq(trace_derivative(&sb, g, f, graph_find_var(g, "x"), 1, NULL), 0);
    ck_assert(strstr(sb_str(&sb), "\\begin{align*}"));
    ck_assert(strstr(sb_str(&sb), "\\text{chain rule: sin}"));
    sb_free(&sb);
    graph_free(g);
}
END_TEST

START_TEST(test_trace_rules) {
    Graph *g = graph_new();
    Node *f = tu_lower("x*exp(x) + 3*x^2 + 2^x + x^x", g, NULL);
    StrBuf sb;
    sb_init(&sb);
    ck_assert_int_eq(trace_derivative(&sb, g, f, 0, 0, NULL), 0);
    const char *s = sb_str(&sb);
    ck_assert(strstr(s, "[sum rule]"));
    ck_assert(strstr(s, "[product rule]"));
    ck_assert(strstr(s, "[constant factor rule]"));
    ck_assert(strstr(s, "[exponential rule]"));
    ck_assert(strstr(s, "[general power rule]"));
    ck_assert(strstr(s, "[exp' = exp]"));
    sb_clear(&sb);
    /* a function of y only: derivative 0 */
    int y = graph_add_var(g, "y", VAR_PARAM, (Shape){.rank = 0});
    ck_assert_int_eq(trace_derivative(&sb, g, f, y, 0, NULL), 0);
    ck_assert(strstr(sb_str(&sb), "f does not depend on y"));
    ck_assert(strstr(sb_str(&sb), "simplified:   d/dy f = 0"));
    /* the variable itself */
    sb_clear(&sb);
    ck_assert_int_eq(trace_derivative(&sb, g, graph_var_node(g, 0), 0, 0, NULL), 0);
    ck_assert_str_eq(sb_str(&sb), "f = x\n\nd/dx x = 1   [identity]\n\n"
                                  "substituted:  d/dx f = 1\nsimplified:   d/dx f = 1\n");
    /* too large */
    Node *l, *dl;
    ck_assert_int_eq(baydin_logistic(g, 9, &l, &dl), 0);
    ck_assert_int_eq(trace_derivative(&sb, g, l, 0, 0, NULL), -1);
    sb_free(&sb);
    graph_free(g);
}
END_TEST

Suite *teaching_suite(void) {
    Suite *s = suite_create("teaching");
    TCase *tc = tcase_create("big");
    tcase_add_test(tc, test_big_arithmetic);
    tcase_add_test(tc, test_big_division_property);
    tcase_add_test(tc, test_big_overflow_is_sticky);
    tcase_add_test(tc, test_big_to_double_rounds_correctly);
    tcase_add_test(tc, test_big_decimal);
    suite_add_tcase(s, tc);

    tc = tcase_create("poly");
    tcase_add_test(tc, test_poly_gcd_and_division);
    tcase_add_test(tc, test_poly_squarefree_yun);
    tcase_add_test(tc, test_factor_known_polynomials);
    tcase_add_test(tc, test_factor_not_a_polynomial);
    tcase_add_test(tc, test_factor_round_trip);
    tcase_add_test(tc, test_product_rule_monomial_derivative);
    suite_add_tcase(s, tc);

    tc = tcase_create("baydin");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_baydin_rows_exact, 0, 4);
    tcase_add_test(tc, test_baydin_table_text);
    tcase_add_test(tc, test_baydin_row5_and_beyond);
    tcase_add_loop_test(tc, test_baydin_naive_is_consistent, 0, 7); /* n = 2 .. 8 */
    tcase_add_test(tc, test_refine_splits_chebyshev_factors);
    tcase_add_test(tc, test_pitfall_numbers);
    suite_add_tcase(s, tc);

    tc = tcase_create("dot_trace");
    tcase_add_test(tc, test_dot_dag_and_tree);
    tcase_add_loop_test(tc, test_dot_constants, 0, (int)(sizeof dot_programs / sizeof *dot_programs));
    tcase_add_test(tc, test_trace_chain_rule);
    tcase_add_test(tc, test_trace_rules);
    suite_add_tcase(s, tc);
    return s;
}
