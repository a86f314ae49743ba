/* SPDX-License-Identifier: MIT */
/*
 * poly.c — exact univariate polynomials and their factored forms (see
 * poly.h).
 *
 * Consumes DAG nodes that are polynomials in one variable; produces integer
 * coefficient arrays, factorisations and printed forms.  Three layers:
 *   big integers  fixed-size magnitudes (BIG_LIMBS 32-bit limbs) with a
 *                 sticky `bad` flag instead of silent wrap-around;
 *   polynomials   Z[x] arithmetic, content, primitive part, the primitive
 *                 remainder sequence for gcds, exact division;
 *   factoring     Yun's square-free decomposition, rational roots, the
 *                 product rule on a factored form, printing.
 * Everything is exact: a number that does not fit is reported, never
 * rounded.  Only poly_eval_double rounds, on purpose (the numeric pitfall
 * of expanded forms).
 */
#include "poly.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

/* ======================================================================
 * Big integers
 * ====================================================================== */

static void big_trim(Big *a) {
    while (a->n > 0 && a->d[a->n - 1] == 0)
        a->n--;
    if (a->n == 0)
        a->neg = 0;
}

static void big_set_bad(Big *r) {
    r->n = 0;
    r->neg = 0;
    r->bad = 1;
}

void big_set_int(Big *r, int64_t v) {
    /* |v| as unsigned, without overflowing on INT64_MIN */
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    r->bad = 0;
    r->neg = v < 0;
    r->d[0] = (uint32_t)m;
    r->d[1] = (uint32_t)(m >> 32);
    r->n = 2;
    big_trim(r);
}

int big_is_zero(const Big *a) { return !a->bad && a->n == 0; }

int big_is_int(const Big *a, int64_t v) {
    Big b;
    big_set_int(&b, v);
    return !a->bad && big_cmp(a, &b) == 0;
}

int big_sign(const Big *a) { return a->n == 0 ? 0 : a->neg ? -1 : 1; }

/* |a| <=> |b| */
int big_cmp_abs(const Big *a, const Big *b) {
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (int i = a->n; i-- > 0;)
        if (a->d[i] != b->d[i])
            return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}

int big_cmp(const Big *a, const Big *b) {
    int sa = big_sign(a), sb = big_sign(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    int c = big_cmp_abs(a, b);
    return sa < 0 ? -c : c;
}

void big_neg(Big *r, const Big *a) {
    if (r != a)
        *r = *a;
    if (r->n > 0)
        r->neg = !r->neg;
}

void big_abs(Big *r, const Big *a) {
    if (r != a)
        *r = *a;
    r->neg = 0;
}

/* r = |a| + |b|; returns 1 on overflow.  r may alias a or b: limb i of the
 * inputs is read before limb i of r is written. */
static int mag_add(Big *r, const Big *a, const Big *b) {
    const Big *x = a->n >= b->n ? a : b, *y = x == a ? b : a;
    int nx = x->n, ny = y->n;
    uint64_t carry = 0;
    for (int i = 0; i < nx; i++) {
        uint64_t s = (uint64_t)x->d[i] + (i < ny ? y->d[i] : 0) + carry;
        r->d[i] = (uint32_t)s;
        carry = s >> 32;
    }
    r->n = nx;
    if (carry) {
        if (nx == BIG_LIMBS)
            return 1;
        r->d[r->n++] = (uint32_t)carry;
    }
    return 0;
}

/* r = |a| - |b| for |a| >= |b|; r may alias a or b. */
static void mag_sub(Big *r, const Big *a, const Big *b) {
    int na = a->n, nb = b->n;
    uint64_t borrow = 0;
    for (int i = 0; i < na; i++) {
        /* wraps to >= 2^63 exactly when the difference is negative */
        uint64_t s = (uint64_t)a->d[i] - (i < nb ? b->d[i] : 0) - borrow;
        r->d[i] = (uint32_t)s;
        borrow = s >> 63;
    }
    r->n = na;
}

void big_add(Big *r, const Big *a, const Big *b) {
    int bad = a->bad || b->bad, neg;
    if (a->neg == b->neg) {
        neg = a->neg;
        bad |= mag_add(r, a, b);
    } else if (big_cmp_abs(a, b) >= 0) {
        neg = a->neg;
        mag_sub(r, a, b);
    } else {
        neg = b->neg;
        mag_sub(r, b, a);
    }
    r->neg = neg;
    r->bad = bad;
    big_trim(r);
    if (bad)
        big_set_bad(r);
}

void big_sub(Big *r, const Big *a, const Big *b) {
    Big nb;
    big_neg(&nb, b);
    big_add(r, a, &nb);
}

void big_mul(Big *r, const Big *a, const Big *b) {
    if (a->bad || b->bad || a->n + b->n > BIG_LIMBS + 1) {
        big_set_bad(r);
        return;
    }
    uint32_t t[2 * BIG_LIMBS + 1];
    int n = a->n + b->n;
    memset(t, 0, (size_t)n * sizeof *t);
    for (int i = 0; i < a->n; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < b->n; j++) {
            uint64_t s = (uint64_t)a->d[i] * b->d[j] + t[i + j] + carry;
            t[i + j] = (uint32_t)s;
            carry = s >> 32;
        }
        t[i + b->n] = (uint32_t)carry;
    }
    while (n > 0 && t[n - 1] == 0)
        n--;
    if (n > BIG_LIMBS) {
        big_set_bad(r);
        return;
    }
    int neg = a->neg != b->neg;
    memcpy(r->d, t, (size_t)n * sizeof *t);
    r->n = n;
    r->neg = neg;
    r->bad = 0;
    big_trim(r);
}

static int nlz32(uint32_t x) {
    int n = 0;
    if (x == 0)
        return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* q = |u| / v, returns |u| mod v, for one limb v != 0. */
static uint32_t mag_divmod_small(Big *q, const Big *u, uint32_t v) {
    uint64_t rem = 0;
    int n = u->n;
    for (int j = n; j-- > 0;) {
        uint64_t cur = (rem << 32) | u->d[j];
        q->d[j] = (uint32_t)(cur / v);
        rem = cur % v;
    }
    q->n = n;
    q->neg = 0;
    q->bad = 0;
    big_trim(q);
    return (uint32_t)rem;
}

/* Knuth's algorithm D (TAOCP 4.3.1) on magnitudes: q = |u| / |v|,
 * r = |u| mod |v|, for |v| with at least two limbs and |u| >= |v|.
 * Limbs are digits in base b = 2^32; v is shifted so its top bit is set,
 * which makes every trial quotient qhat at most 2 too large. */
static void mag_divmod_knuth(Big *q, Big *r, const Big *u, const Big *v) {
    int m = u->n, n = v->n;
    uint32_t un[BIG_LIMBS + 1], vn[BIG_LIMBS];
    int s = nlz32(v->d[n - 1]);
    for (int i = n - 1; i > 0; i--)
        vn[i] = (uint32_t)(((uint64_t)v->d[i] << s) | ((uint64_t)v->d[i - 1] >> (32 - s)));
    vn[0] = (uint32_t)((uint64_t)v->d[0] << s);
    un[m] = (uint32_t)((uint64_t)u->d[m - 1] >> (32 - s));
    for (int i = m - 1; i > 0; i--)
        un[i] = (uint32_t)(((uint64_t)u->d[i] << s) | ((uint64_t)u->d[i - 1] >> (32 - s)));
    un[0] = (uint32_t)((uint64_t)u->d[0] << s);
    const uint64_t b = (uint64_t)1 << 32;
    for (int j = m - n; j >= 0; j--) {
        /* estimate from the top two digits, corrected by the third */
        uint64_t top = ((uint64_t)un[j + n] << 32) | un[j + n - 1];
        uint64_t qhat = top / vn[n - 1], rhat = top % vn[n - 1];
        while (qhat >= b || qhat * vn[n - 2] > ((rhat << 32) | un[j + n - 2])) {
            qhat--;
            rhat += vn[n - 1];
            if (rhat >= b)
                break;
        }
        /* un[j .. j+n] -= qhat * vn */
        uint64_t carry = 0, borrow = 0;
        for (int i = 0; i < n; i++) {
            uint64_t p = qhat * vn[i] + carry;
            carry = p >> 32;
            uint64_t t = (uint64_t)un[i + j] - (uint32_t)p - borrow;
            un[i + j] = (uint32_t)t;
            borrow = t >> 63;
        }
        uint64_t t = (uint64_t)un[j + n] - carry - borrow;
        un[j + n] = (uint32_t)t;
        q->d[j] = (uint32_t)qhat;
        if (t >> 63) { /* qhat was one too large: add v back */
            q->d[j]--;
            uint64_t c = 0;
            for (int i = 0; i < n; i++) {
                uint64_t sum = (uint64_t)un[i + j] + vn[i] + c;
                un[i + j] = (uint32_t)sum;
                c = sum >> 32;
            }
            un[j + n] = (uint32_t)(un[j + n] + c);
        }
    }
    q->n = m - n + 1;
    q->neg = 0;
    q->bad = 0;
    big_trim(q);
    for (int i = 0; i < n; i++)
        r->d[i] = (uint32_t)(((uint64_t)un[i] >> s) | (s ? (uint64_t)un[i + 1] << (32 - s) : 0));
    r->n = n;
    r->neg = 0;
    r->bad = 0;
    big_trim(r);
}

void big_divmod(Big *q, Big *rem, const Big *a, const Big *b) {
    Big qq, rr;
    if (a->bad || b->bad || b->n == 0) {
        if (q)
            big_set_bad(q);
        if (rem)
            big_set_bad(rem);
        return;
    }
    if (big_cmp_abs(a, b) < 0) {
        big_set_int(&qq, 0);
        rr = *a;
    } else if (b->n == 1) {
        uint32_t r1 = mag_divmod_small(&qq, a, b->d[0]);
        big_set_int(&rr, r1);
    } else {
        mag_divmod_knuth(&qq, &rr, a, b);
    }
    /* truncation: the quotient's sign is the product of the signs, the
     * remainder's the dividend's */
    if (qq.n)
        qq.neg = a->neg != b->neg;
    if (rr.n)
        rr.neg = a->neg;
    if (q)
        *q = qq;
    if (rem)
        *rem = rr;
}

/* Euclid: gcd(a, b) = gcd(b, a mod b). */
void big_gcd(Big *r, const Big *a, const Big *b) {
    Big x, y, t;
    big_abs(&x, a);
    big_abs(&y, b);
    while (!y.bad && y.n) {
        big_divmod(NULL, &t, &x, &y);
        x = y;
        y = t;
        y.neg = 0;
    }
    if (y.bad)
        big_set_bad(&x);
    *r = x;
}

double big_to_double(const Big *a) {
    if (a->bad)
        return NAN;
    if (a->n == 0)
        return 0.0;
    int top = a->n - 1;
    int len = 32 * top + (32 - nlz32(a->d[top])); /* bit length */
    double v;
    if (len <= 64) {
        uint64_t m = a->d[0] | (a->n > 1 ? (uint64_t)a->d[1] << 32 : 0);
        v = (double)m;
    } else {
        /* the top 64 bits, with a sticky bit for everything below: the
         * conversion to double then rounds to nearest exactly as the full
         * number would */
        int shift = len - 64, li = shift / 32, bo = shift % 32;
        uint64_t m = ((uint64_t)a->d[li] >> bo) | ((uint64_t)a->d[li + 1] << (32 - bo));
        if (bo)
            m |= (uint64_t)a->d[li + 2] << (64 - bo);
        int sticky = bo ? (a->d[li] & ((1u << bo) - 1)) != 0 : 0;
        for (int i = 0; i < li && !sticky; i++)
            sticky = a->d[i] != 0;
        v = ldexp((double)(m | (uint64_t)sticky), shift);
    }
    return a->neg ? -v : v;
}

void big_print(StrBuf *sb, const Big *a) {
    if (a->bad) {
        sb_puts(sb, "<overflow>");
        return;
    }
    if (a->n == 0) {
        sb_putc(sb, '0');
        return;
    }
    /* base 10^9 digits, least significant first */
    uint32_t chunk[BIG_LIMBS * 32 / 29 + 2];
    int nc = 0;
    Big t;
    big_abs(&t, a);
    while (t.n > 0)
        chunk[nc++] = mag_divmod_small(&t, &t, 1000000000u);
    if (a->neg)
        sb_putc(sb, '-');
    sb_printf(sb, "%u", (unsigned)chunk[nc - 1]);
    for (int i = nc - 1; i-- > 0;)
        sb_printf(sb, "%09u", (unsigned)chunk[i]);
}

void big_print_decimal(StrBuf *sb, const Big *num, const Big *den, int digits) {
    Big scale, t, two, q;
    big_set_int(&scale, 1);
    Big ten;
    big_set_int(&ten, 10);
    for (int i = 0; i < digits; i++)
        big_mul(&scale, &scale, &ten);
    /* round(|num| * 10^digits / den) = floor((2 |num| 10^digits + den) / (2 den)) */
    big_abs(&t, num);
    big_mul(&t, &t, &scale);
    big_set_int(&two, 2);
    big_mul(&t, &t, &two);
    big_add(&t, &t, den);
    Big d2;
    big_mul(&d2, den, &two);
    big_divmod(&q, NULL, &t, &d2);
    if (q.bad) {
        sb_puts(sb, "<overflow>");
        return;
    }
    StrBuf s;
    sb_init(&s);
    big_print(&s, &q);
    const char *str = sb_str(&s);
    size_t len = strlen(str);
    if (num->neg && q.n)
        sb_putc(sb, '-');
    if ((int)len <= digits) {
        sb_puts(sb, "0.");
        for (int i = 0; i < digits - (int)len; i++)
            sb_putc(sb, '0');
        sb_puts(sb, str);
    } else {
        sb_putn(sb, str, len - (size_t)digits);
        if (digits > 0) {
            sb_putc(sb, '.');
            sb_puts(sb, str + len - (size_t)digits);
        }
    }
    sb_free(&s);
}

/* ======================================================================
 * Polynomials
 * ====================================================================== */

void poly_init(Poly *p) {
    p->deg = -1;
    p->cap = 0;
    p->c = NULL;
}

void poly_free(Poly *p) {
    free(p->c);
    poly_init(p);
}

/* Room for coefficients 0..deg, set to zero, p->deg = deg. */
static int poly_alloc(Poly *p, int deg) {
    if (deg + 1 > p->cap) {
        Big *c = realloc(p->c, (size_t)(deg + 1) * sizeof *c);
        if (!c)
            return POLY_NOMEM;
        p->c = c;
        p->cap = deg + 1;
    }
    for (int i = 0; i <= deg; i++)
        big_set_int(&p->c[i], 0);
    p->deg = deg;
    return POLY_OK;
}

/* Drops leading zeros; POLY_OVERFLOW if any coefficient is bad. */
static int poly_finish(Poly *p) {
    for (int i = 0; i <= p->deg; i++)
        if (p->c[i].bad)
            return POLY_OVERFLOW;
    while (p->deg >= 0 && p->c[p->deg].n == 0)
        p->deg--;
    return POLY_OK;
}

/* Replaces r by t (which is consumed). */
static void poly_move(Poly *r, Poly *t) {
    free(r->c);
    *r = *t;
    poly_init(t);
}

int poly_copy(Poly *r, const Poly *a) {
    if (r == a)
        return POLY_OK;
    int st = poly_alloc(r, a->deg);
    if (st)
        return st;
    for (int i = 0; i <= a->deg; i++)
        r->c[i] = a->c[i];
    return POLY_OK;
}

int poly_set_ints(Poly *r, const int64_t *coefs, int n) {
    int st = poly_alloc(r, n - 1);
    if (st)
        return st;
    for (int i = 0; i < n; i++)
        big_set_int(&r->c[i], coefs[i]);
    return poly_finish(r);
}

int poly_equal(const Poly *a, const Poly *b) {
    if (a->deg != b->deg)
        return 0;
    for (int i = 0; i <= a->deg; i++)
        if (a->c[i].bad || b->c[i].bad || big_cmp(&a->c[i], &b->c[i]) != 0)
            return 0;
    return 1;
}

static int poly_addsub(Poly *r, const Poly *a, const Poly *b, int sub) {
    Poly t;
    poly_init(&t);
    int deg = a->deg > b->deg ? a->deg : b->deg;
    int st = poly_alloc(&t, deg);
    for (int i = 0; !st && i <= deg; i++) {
        Big zero;
        big_set_int(&zero, 0);
        const Big *x = i <= a->deg ? &a->c[i] : &zero, *y = i <= b->deg ? &b->c[i] : &zero;
        if (sub)
            big_sub(&t.c[i], x, y);
        else
            big_add(&t.c[i], x, y);
    }
    if (!st)
        st = poly_finish(&t);
    if (!st)
        poly_move(r, &t);
    poly_free(&t);
    return st;
}

int poly_add(Poly *r, const Poly *a, const Poly *b) { return poly_addsub(r, a, b, 0); }
int poly_sub(Poly *r, const Poly *a, const Poly *b) { return poly_addsub(r, a, b, 1); }

/* (sum a_i x^i)(sum b_j x^j) = sum_k (sum_{i+j=k} a_i b_j) x^k */
int poly_mul(Poly *r, const Poly *a, const Poly *b) {
    Poly t;
    poly_init(&t);
    if (a->deg < 0 || b->deg < 0) {
        poly_move(r, &t);
        return POLY_OK;
    }
    int st = poly_alloc(&t, a->deg + b->deg);
    for (int i = 0; !st && i <= a->deg; i++) {
        if (a->c[i].n == 0 && !a->c[i].bad)
            continue;
        for (int j = 0; j <= b->deg; j++) {
            Big p;
            big_mul(&p, &a->c[i], &b->c[j]);
            big_add(&t.c[i + j], &t.c[i + j], &p);
        }
    }
    if (!st)
        st = poly_finish(&t);
    if (!st)
        poly_move(r, &t);
    poly_free(&t);
    return st;
}

/* a^k by repeated squaring. */
int poly_pow(Poly *r, const Poly *a, int k) {
    Poly base, acc;
    poly_init(&base);
    poly_init(&acc);
    int64_t one = 1;
    int st = poly_copy(&base, a);
    if (!st)
        st = poly_set_ints(&acc, &one, 1);
    while (!st && k > 0) {
        if (k & 1)
            st = poly_mul(&acc, &acc, &base);
        k >>= 1;
        if (!st && k)
            st = poly_mul(&base, &base, &base);
    }
    if (!st)
        poly_move(r, &acc);
    poly_free(&base);
    poly_free(&acc);
    return st;
}

int poly_scale(Poly *r, const Poly *a, const Big *s) {
    int st = poly_copy(r, a);
    for (int i = 0; !st && i <= r->deg; i++)
        big_mul(&r->c[i], &r->c[i], s);
    return st ? st : poly_finish(r);
}

/* d/dx sum a_i x^i = sum_{i>=1} i a_i x^(i-1) */
int poly_derivative(Poly *r, const Poly *a) {
    Poly t;
    poly_init(&t);
    int st = POLY_OK;
    if (a->deg >= 1) {
        st = poly_alloc(&t, a->deg - 1);
        for (int i = 1; !st && i <= a->deg; i++) {
            Big k;
            big_set_int(&k, i);
            big_mul(&t.c[i - 1], &a->c[i], &k);
        }
        if (!st)
            st = poly_finish(&t);
    }
    if (!st)
        poly_move(r, &t);
    poly_free(&t);
    return st;
}

void poly_content(Big *r, const Poly *a) {
    big_set_int(r, 0);
    for (int i = 0; i <= a->deg; i++) {
        big_gcd(r, r, &a->c[i]);
        if (big_is_int(r, 1) || r->bad)
            break;
    }
}

/* Divides every coefficient by s exactly (s divides them all). */
static int poly_div_big(Poly *r, const Poly *a, const Big *s) {
    int st = poly_copy(r, a);
    for (int i = 0; !st && i <= r->deg; i++)
        big_divmod(&r->c[i], NULL, &r->c[i], s);
    return st ? st : poly_finish(r);
}

int poly_primitive(Poly *r, const Poly *a) {
    if (a->deg < 0)
        return poly_copy(r, a);
    Big c;
    poly_content(&c, a);
    if (c.bad)
        return POLY_OVERFLOW;
    if (a->c[a->deg].neg)
        big_neg(&c, &c);
    return poly_div_big(r, a, &c);
}

/* The primitive part of a pseudo-remainder of a by b (deg b >= 0): steps
 *   R <- lc(b) R - lc(R) x^(deg R - deg b) b
 * until deg R < deg b, each step scaled back to its primitive part.  Only
 * nonzero constant factors differ from the true remainder, so gcds are
 * unaffected, and removing the content keeps coefficients small. */
static int poly_prem_primitive(Poly *r, const Poly *a, const Poly *b) {
    Poly R;
    poly_init(&R);
    int st = poly_copy(&R, a);
    while (!st && R.deg >= b->deg && R.deg >= 0) {
        Big lr = R.c[R.deg], lb = b->c[b->deg];
        int s = R.deg - b->deg;
        for (int i = 0; i <= R.deg; i++) {
            Big t;
            big_mul(&R.c[i], &R.c[i], &lb);
            if (i >= s) {
                big_mul(&t, &lr, &b->c[i - s]);
                big_sub(&R.c[i], &R.c[i], &t);
            }
        }
        st = poly_finish(&R);
        if (!st)
            st = poly_primitive(&R, &R);
    }
    if (!st)
        poly_move(r, &R);
    poly_free(&R);
    return st;
}

/* gcd by the primitive remainder sequence: gcd(a, b) = gcd(b, prem(a, b))
 * up to constants, which the primitive parts discard. */
int poly_gcd(Poly *r, const Poly *a, const Poly *b) {
    Poly x, y, t;
    poly_init(&x);
    poly_init(&y);
    poly_init(&t);
    int st = poly_primitive(&x, a);
    if (!st)
        st = poly_primitive(&y, b);
    if (!st && x.deg < y.deg) {
        t = x;
        x = y;
        y = t;
        poly_init(&t);
    }
    while (!st && y.deg >= 0) {
        st = poly_prem_primitive(&t, &x, &y);
        if (st)
            break;
        poly_move(&x, &y);
        poly_move(&y, &t);
    }
    if (!st && x.deg == 0) { /* coprime: the gcd is 1 */
        int64_t one = 1;
        st = poly_set_ints(&x, &one, 1);
    }
    if (!st)
        poly_move(r, &x);
    poly_free(&x);
    poly_free(&y);
    poly_free(&t);
    return st;
}

/* Long division from the top: each quotient coefficient must be an exact
 * integer, and the remainder zero. */
int poly_divexact(Poly *q, const Poly *a, const Poly *b) {
    if (b->deg < 0)
        return 1;
    if (a->deg < 0) {
        Poly z;
        poly_init(&z);
        poly_move(q, &z);
        return POLY_OK;
    }
    if (a->deg < b->deg)
        return 1;
    Poly R, Q;
    poly_init(&R);
    poly_init(&Q);
    int st = poly_copy(&R, a);
    if (!st)
        st = poly_alloc(&Q, a->deg - b->deg);
    const Big *lb = &b->c[b->deg];
    for (int k = a->deg - b->deg; !st && k >= 0; k--) {
        Big c, rem;
        big_divmod(&c, &rem, &R.c[k + b->deg], lb);
        if (c.bad) {
            st = POLY_OVERFLOW;
            break;
        }
        if (rem.n) {
            st = 1;
            break;
        }
        Q.c[k] = c;
        for (int i = 0; i <= b->deg; i++) {
            Big t;
            big_mul(&t, &c, &b->c[i]);
            big_sub(&R.c[k + i], &R.c[k + i], &t);
        }
    }
    if (!st)
        st = poly_finish(&R);
    if (!st && R.deg >= 0)
        st = 1;
    if (!st)
        st = poly_finish(&Q);
    if (!st)
        poly_move(q, &Q);
    poly_free(&R);
    poly_free(&Q);
    return st;
}

/* Reduces num/den to lowest terms with den > 0. */
static void rat_reduce(Big *num, Big *den) {
    Big g;
    if (den->neg) {
        big_neg(num, num);
        big_neg(den, den);
    }
    big_gcd(&g, num, den);
    if (!g.bad && g.n && !big_is_int(&g, 1)) {
        big_divmod(num, NULL, num, &g);
        big_divmod(den, NULL, den, &g);
    }
}

/* Homogeneous Horner: q^d a(p/q) = sum a_i p^i q^(d-i), computed as
 *   s <- s p + a_i q^(d-i), i = d-1 .. 0, from s = a_d. */
int poly_eval_rat(const Poly *a, const Big *p, const Big *q, Big *num, Big *den) {
    big_set_int(num, 0);
    big_set_int(den, 1);
    if (a->deg < 0)
        return POLY_OK;
    Big s = a->c[a->deg], qpow;
    big_set_int(&qpow, 1);
    for (int i = a->deg; i-- > 0;) {
        Big t;
        big_mul(&qpow, &qpow, q);
        big_mul(&s, &s, p);
        big_mul(&t, &a->c[i], &qpow);
        big_add(&s, &s, &t);
    }
    *num = s;
    *den = qpow;
    rat_reduce(num, den);
    return num->bad || den->bad ? POLY_OVERFLOW : POLY_OK;
}

double poly_eval_double(const Poly *a, double x) {
    double s = 0.0;
    for (int i = a->deg; i >= 0; i--)
        s = s * x + big_to_double(&a->c[i]);
    return s;
}

/* ---- from a DAG node --------------------------------------------------------- */

typedef struct QPoly { /* p / den */
    Poly p;
    Big den;
} QPoly;

/* p/d: divides out gcd(content(p), d). */
static int qpoly_reduce(QPoly *a) {
    Big g;
    poly_content(&g, &a->p);
    if (a->p.deg < 0) {
        big_set_int(&a->den, 1);
        return POLY_OK;
    }
    big_gcd(&g, &g, &a->den);
    if (g.bad)
        return POLY_OVERFLOW;
    if (big_is_int(&g, 1))
        return POLY_OK;
    big_divmod(&a->den, NULL, &a->den, &g);
    return poly_div_big(&a->p, &a->p, &g);
}

/* r += a:  p/d + q/e = (p e + q d) / (d e), then reduced. */
static int qpoly_add(QPoly *r, const QPoly *a) {
    Poly t;
    poly_init(&t);
    int st = poly_scale(&r->p, &r->p, &a->den);
    if (!st)
        st = poly_scale(&t, &a->p, &r->den);
    if (!st)
        st = poly_add(&r->p, &r->p, &t);
    big_mul(&r->den, &r->den, &a->den);
    poly_free(&t);
    if (!st && r->den.bad)
        st = POLY_OVERFLOW;
    return st ? st : qpoly_reduce(r);
}

static int qpoly_mul(QPoly *r, const QPoly *a) {
    int st = poly_mul(&r->p, &r->p, &a->p);
    big_mul(&r->den, &r->den, &a->den);
    if (!st && r->den.bad)
        st = POLY_OVERFLOW;
    return st ? st : qpoly_reduce(r);
}

int poly_from_node(const Graph *g, Node *root, int var, Poly *out, Big *den) {
    size_t nn = g->nnodes ? g->nnodes : 1;
    unsigned char *mark = malloc(nn);
    int *slot = malloc(nn * sizeof *slot);
    QPoly *memo = NULL;
    int nslots = 0, st = POLY_OK;
    if (!mark || !slot) {
        st = POLY_NOMEM;
        goto done;
    }
    dag_mark_reachable(g, &root, 1, mark);
    for (size_t id = 0; id <= root->id; id++)
        slot[id] = mark[id] ? nslots++ : -1;
    memo = malloc((size_t)nslots * sizeof *memo);
    if (!memo) {
        st = POLY_NOMEM;
        goto done;
    }
    for (int i = 0; i < nslots; i++) {
        poly_init(&memo[i].p);
        big_set_int(&memo[i].den, 1);
    }
    /* ids ascend, so arguments are done before the nodes that use them */
    for (size_t id = 0; id <= root->id && !st; id++) {
        if (slot[id] < 0)
            continue;
        const Node *n = g->nodes[id];
        QPoly *r = &memo[slot[id]];
        switch ((NodeKind)n->kind) {
        case EX_CONST: {
            if (!n->num[0].is_rat) { /* a double: not exact */
                st = POLY_NOT_POLY;
                break;
            }
            int64_t c = n->num[0].p;
            st = poly_set_ints(&r->p, &c, 1);
            big_set_int(&r->den, n->num[0].q);
            break;
        }
        case EX_VAR: {
            int64_t x[2] = {0, 1};
            if (n->u.var != var)
                st = POLY_NOT_POLY;
            else
                st = poly_set_ints(&r->p, x, 2);
            break;
        }
        case EX_ADD:
            for (int k = 0; k < n->nargs && !st; k++)
                st = qpoly_add(r, &memo[slot[n->args[k]->id]]);
            break;
        case EX_MUL: {
            int64_t one = 1;
            st = poly_set_ints(&r->p, &one, 1);
            for (int k = 0; k < n->nargs && !st; k++)
                st = qpoly_mul(r, &memo[slot[n->args[k]->id]]);
            break;
        }
        case EX_POW: {
            const Node *e = n->args[1];
            const QPoly *b = &memo[slot[n->args[0]->id]];
            if (e->kind != EX_CONST || !num_is_int(e->num[0]) || e->num[0].p < 0) {
                st = POLY_NOT_POLY;
                break;
            }
            if (e->num[0].p > POLY_MAX_DEGREE ||
                (b->p.deg > 0 && (int64_t)b->p.deg * e->num[0].p > POLY_MAX_DEGREE)) {
                st = POLY_TOO_BIG;
                break;
            }
            int k = (int)e->num[0].p;
            st = poly_pow(&r->p, &b->p, k);
            big_set_int(&r->den, 1);
            for (int i = 0; i < k && !st; i++)
                big_mul(&r->den, &r->den, &b->den);
            if (!st && r->den.bad)
                st = POLY_OVERFLOW;
            break;
        }
        case EX_CALL:
        CASE_TENSOR_KINDS:
        case EX_COUNT:
            st = POLY_NOT_POLY;
            break;
        }
        if (!st && r->p.deg > POLY_MAX_DEGREE)
            st = POLY_TOO_BIG;
    }
    if (!st) {
        QPoly *r = &memo[slot[root->id]];
        poly_move(out, &r->p);
        *den = r->den;
    }
done:
    for (int i = 0; memo && i < nslots; i++)
        poly_free(&memo[i].p);
    free(memo);
    free(mark);
    free(slot);
    return st;
}

/* ======================================================================
 * Products, factoring, the product rule
 * ====================================================================== */

void poly_product_init(PolyProduct *t) {
    big_set_int(&t->num, 1);
    big_set_int(&t->den, 1);
    t->f = NULL;
    t->n = t->cap = 0;
}

void poly_product_free(PolyProduct *t) {
    for (int i = 0; i < t->n; i++)
        poly_free(&t->f[i].p);
    free(t->f);
    poly_product_init(t);
}

/* Appends a copy of p^mult. */
static int product_push(PolyProduct *t, const Poly *p, int mult) {
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 8;
        PolyFactor *f = realloc(t->f, (size_t)cap * sizeof *f);
        if (!f)
            return POLY_NOMEM;
        t->f = f;
        t->cap = cap;
    }
    PolyFactor *f = &t->f[t->n];
    poly_init(&f->p);
    int st = poly_copy(&f->p, p);
    if (st) {
        poly_free(&f->p);
        return st;
    }
    f->mult = mult;
    t->n++;
    return POLY_OK;
}

int poly_product_expand(const PolyProduct *t, Poly *p, Big *den) {
    Poly acc, pw;
    poly_init(&acc);
    poly_init(&pw);
    int st = poly_alloc(&acc, 0);
    if (!st)
        acc.c[0] = t->num;
    for (int i = 0; i < t->n && !st; i++) {
        st = poly_pow(&pw, &t->f[i].p, t->f[i].mult);
        if (!st)
            st = poly_mul(&acc, &acc, &pw);
    }
    if (!st)
        st = poly_finish(&acc);
    if (!st) {
        QPoly q;
        q.p = acc;
        q.den = t->den;
        poly_init(&acc);
        st = qpoly_reduce(&q);
        if (!st) {
            poly_move(p, &q.p);
            *den = q.den;
        }
        poly_free(&q.p);
    }
    poly_free(&acc);
    poly_free(&pw);
    return st;
}

/* Yun's algorithm (char 0).  With f = prod a_i^i (a_i square-free and
 * pairwise coprime):
 *   a = gcd(f, f'),  b_1 = f / a,  c_1 = f' / a,  d_1 = c_1 - b_1'
 *   then a_i = gcd(b_i, d_i),  b_{i+1} = b_i / a_i,  c_{i+1} = d_i / a_i,
 *   d_{i+1} = c_{i+1} - b_{i+1}',  until b_i is constant.
 * Here b_i = prod_{j>=i} a_j and d_i = a_i * (something coprime to b_i /
 * a_i), so each gcd peels off exactly the factors of multiplicity i.  All
 * gcds are primitive, so by Gauss's lemma every division stays in Z[x];
 * rescaling a gcd by a constant rescales b and c alike, which keeps
 * d = c - b' consistent. */
int poly_squarefree(const Poly *f, PolyProduct *out) {
    Poly fp, a, b, c, d, bp;
    poly_init(&fp);
    poly_init(&a);
    poly_init(&b);
    poly_init(&c);
    poly_init(&d);
    poly_init(&bp);
    poly_product_free(out);
    big_set_int(&out->num, f->deg >= 0 && f->c[f->deg].neg ? -1 : 1);
    int st = poly_derivative(&fp, f);
    if (!st)
        st = poly_gcd(&a, f, &fp);
    if (!st)
        st = poly_divexact(&b, f, &a);
    if (!st)
        st = poly_divexact(&c, &fp, &a);
    if (!st)
        st = poly_derivative(&bp, &b);
    if (!st)
        st = poly_sub(&d, &c, &bp);
    for (int i = 1; !st && b.deg > 0; i++) {
        st = poly_gcd(&a, &b, &d);
        if (!st)
            st = poly_divexact(&b, &b, &a);
        if (!st)
            st = poly_divexact(&c, &d, &a);
        if (!st)
            st = poly_derivative(&bp, &b);
        if (!st)
            st = poly_sub(&d, &c, &bp);
        if (!st && a.deg > 0)
            st = product_push(out, &a, i);
    }
    if (st == 1) /* an exact division failed: cannot happen for valid input */
        st = POLY_OVERFLOW;
    poly_free(&fp);
    poly_free(&a);
    poly_free(&b);
    poly_free(&c);
    poly_free(&d);
    poly_free(&bp);
    return st;
}

/* Makes the lowest non-zero coefficient positive. */
static void poly_normalize_sign(Poly *p) {
    int i = 0;
    while (i <= p->deg && p->c[i].n == 0)
        i++;
    if (i <= p->deg && p->c[i].neg)
        for (int k = 0; k <= p->deg; k++)
            big_neg(&p->c[k], &p->c[k]);
}

int poly_factor_compare(const PolyFactor *a, const PolyFactor *b) {
    if (a->p.deg != b->p.deg)
        return a->p.deg < b->p.deg ? -1 : 1;
    if (a->mult != b->mult)
        return a->mult < b->mult ? -1 : 1;
    if (a->p.deg >= 0) {
        int c = big_cmp_abs(&a->p.c[a->p.deg], &b->p.c[b->p.deg]);
        if (c)
            return c;
    }
    for (int i = 0; i <= a->p.deg; i++) {
        int c = big_cmp(&a->p.c[i], &b->p.c[i]);
        if (c)
            return c;
    }
    return 0;
}

static int factor_qsort_cmp(const void *a, const void *b) { return poly_factor_compare(a, b); }

/* The positive divisors of |n|, ascending, from its factorisation by trial
 * division up to 2^16.  A cofactor left above 2^32 may be composite; it is
 * then used as if prime (its divisors are missed) and *complete cleared.
 * At most DIVISOR_CAP divisors. */
#define DIVISOR_CAP 2048

static int big_qsort_cmp(const void *a, const void *b) { return big_cmp(a, b); }

static int divisors(const Big *n, Big **out, int *count, int *complete) {
    Big m, q;
    big_abs(&m, n);
    Big primes[64];
    int exps[64], np = 0;
    *out = NULL;
    *count = 0;
    if (m.n == 0 || m.bad)
        return POLY_OK; /* 0 has no useful divisor list: no candidates */
    for (uint32_t p = 2; p < 65536 && np < 63; p += p == 2 ? 1 : 2) {
        if (m.n == 1 && (uint64_t)p * p > m.d[0])
            break;
        int e = 0;
        for (;;) {
            uint32_t r = mag_divmod_small(&q, &m, p);
            if (r)
                break;
            m = q;
            e++;
        }
        if (e) {
            big_set_int(&primes[np], p);
            exps[np++] = e;
        }
    }
    if (!big_is_int(&m, 1)) {
        if (m.n > 1)
            *complete = 0; /* maybe composite */
        primes[np] = m;
        exps[np++] = 1;
    }
    int cap = 1;
    for (int i = 0; i < np; i++) {
        cap *= exps[i] + 1;
        if (cap > DIVISOR_CAP) {
            cap = DIVISOR_CAP;
            *complete = 0;
            break;
        }
    }
    Big *d = malloc((size_t)cap * sizeof *d);
    if (!d)
        return POLY_NOMEM;
    int nd = 1;
    big_set_int(&d[0], 1);
    for (int i = 0; i < np; i++) {
        int base = nd;
        Big pw;
        big_set_int(&pw, 1);
        for (int e = 1; e <= exps[i]; e++) {
            big_mul(&pw, &pw, &primes[i]);
            for (int k = 0; k < base; k++) {
                if (nd == cap) {
                    *complete = 0;
                    break;
                }
                big_mul(&d[nd++], &d[k], &pw);
            }
        }
    }
    qsort(d, (size_t)nd, sizeof *d, big_qsort_cmp);
    *out = d;
    *count = nd;
    return POLY_OK;
}

/* Splits the square-free part a (multiplicity mult) into its linear factors
 * q x - p for the rational roots p/q, and what remains.  By the rational
 * root theorem p | a_0 and q | a_n; each candidate is tried by exact
 * division, and a success shrinks the rest (whose a_0 and a_n still divide
 * the originals, so the candidate list stays valid). */
#define CANDIDATE_CAP 200000

static int split_linear(const Poly *a, int mult, PolyProduct *out, int *complete) {
    Poly rest, lin, quot;
    poly_init(&rest);
    poly_init(&lin);
    poly_init(&quot);
    Big *P = NULL, *Q = NULL;
    int np = 0, nq = 0;
    int st = poly_copy(&rest, a);
    if (!st && rest.deg >= 1 && rest.c[0].n == 0) { /* the root 0: factor x */
        int64_t x[2] = {0, 1};
        st = poly_set_ints(&lin, x, 2);
        if (!st)
            st = product_push(out, &lin, mult);
        if (!st)
            st = poly_divexact(&rest, &rest, &lin);
    }
    if (!st && rest.deg >= 2) {
        st = divisors(&rest.c[0], &P, &np, complete);
        if (!st)
            st = divisors(&rest.c[rest.deg], &Q, &nq, complete);
    }
    long tried = 0;
    for (int iq = 0; !st && iq < nq && rest.deg >= 2; iq++)
        for (int ip = 0; !st && ip < np && rest.deg >= 2; ip++) {
            Big g;
            big_gcd(&g, &P[ip], &Q[iq]);
            if (!big_is_int(&g, 1))
                continue;
            for (int sign = 1; sign >= -1 && rest.deg >= 2; sign -= 2) {
                if (++tried > CANDIDATE_CAP) {
                    *complete = 0;
                    goto searched;
                }
                /* the root sign * p / q: the factor q x - sign p */
                st = poly_alloc(&lin, 1);
                if (st)
                    break;
                lin.c[1] = Q[iq];
                big_neg(&lin.c[0], &P[ip]);
                if (sign < 0)
                    big_neg(&lin.c[0], &lin.c[0]);
                int r = poly_divexact(&quot, &rest, &lin);
                if (r < 0) {
                    st = r;
                    break;
                }
                if (r == 0) {
                    poly_normalize_sign(&lin);
                    st = product_push(out, &lin, mult);
                    if (!st)
                        poly_move(&rest, &quot);
                }
            }
        }
searched:
    /* a primitive linear polynomial is its own factor; so is the rest */
    if (!st && rest.deg >= 1) {
        poly_normalize_sign(&rest);
        st = product_push(out, &rest, mult);
    }
    free(P);
    free(Q);
    poly_free(&rest);
    poly_free(&lin);
    poly_free(&quot);
    return st;
}

int poly_factor(const Poly *p, const Big *den, PolyProduct *out, int *complete) {
    PolyProduct sf;
    Poly prim;
    poly_product_init(&sf);
    poly_init(&prim);
    poly_product_free(out);
    *complete = 1;
    int st = POLY_OK;
    if (p->deg <= 0) { /* a constant */
        if (p->deg < 0)
            big_set_int(&out->num, 0);
        else
            out->num = p->c[0];
        out->den = *den;
        rat_reduce(&out->num, &out->den);
        return out->num.bad ? POLY_OVERFLOW : POLY_OK;
    }
    st = poly_primitive(&prim, p);
    if (!st)
        st = poly_squarefree(&prim, &sf);
    for (int i = 0; !st && i < sf.n; i++)
        st = split_linear(&sf.f[i].p, sf.f[i].mult, out, complete);
    if (!st) {
        /* the constant: p / den = c prod f_i^m_i, so comparing leading
         * coefficients c = lc(p) / (den prod lc(f_i)^m_i) */
        Big num = p->c[p->deg], d = *den;
        for (int i = 0; i < out->n; i++)
            for (int k = 0; k < out->f[i].mult; k++)
                big_mul(&d, &d, &out->f[i].p.c[out->f[i].p.deg]);
        rat_reduce(&num, &d);
        if (num.bad || d.bad)
            st = POLY_OVERFLOW;
        out->num = num;
        out->den = d;
        if (out->n > 1)
            qsort(out->f, (size_t)out->n, sizeof *out->f, factor_qsort_cmp);
    }
    poly_product_free(&sf);
    poly_free(&prim);
    return st;
}

int poly_factor_refine(PolyProduct *t, const PolyProduct *by) {
    Poly g, q;
    poly_init(&g);
    poly_init(&q);
    int st = POLY_OK;
    for (int i = 0; i < t->n && !st; i++) {
        for (int k = 0; k < by->n && !st; k++) {
            Poly *f = &t->f[i].p;
            if (f->deg < 2)
                break;
            st = poly_gcd(&g, f, &by->f[k].p);
            if (st || g.deg <= 0 || g.deg >= f->deg)
                continue;
            /* f = g q exactly (g primitive: Gauss's lemma) */
            st = poly_divexact(&q, f, &g);
            if (st) {
                st = st > 0 ? POLY_OVERFLOW : st;
                break;
            }
            /* normalising g and q may flip their signs: if the product of
             * the flips is -1, f^m changes sign when m is odd */
            int m = t->f[i].mult, flips = big_sign(&g.c[g.deg]) * big_sign(&q.c[q.deg]);
            poly_normalize_sign(&g);
            poly_normalize_sign(&q);
            flips *= big_sign(&g.c[g.deg]) * big_sign(&q.c[q.deg]);
            if (flips < 0 && (m & 1))
                big_neg(&t->num, &t->num);
            poly_move(&t->f[i].p, &g);
            st = product_push(t, &q, m);
            k = -1; /* the smaller factor may split again */
        }
    }
    if (!st && t->n > 1)
        qsort(t->f, (size_t)t->n, sizeof *t->f, factor_qsort_cmp);
    poly_free(&g);
    poly_free(&q);
    return st;
}

void poly_sum_init(PolySum *s) {
    s->t = NULL;
    s->n = s->cap = 0;
}

void poly_sum_free(PolySum *s) {
    for (int i = 0; i < s->n; i++)
        poly_product_free(&s->t[i]);
    free(s->t);
    poly_sum_init(s);
}

int poly_sum_expand(const PolySum *s, Poly *p, Big *den) {
    QPoly acc, term;
    poly_init(&acc.p);
    poly_init(&term.p);
    big_set_int(&acc.den, 1);
    int st = POLY_OK;
    for (int i = 0; i < s->n && !st; i++) {
        st = poly_product_expand(&s->t[i], &term.p, &term.den);
        if (!st)
            st = qpoly_add(&acc, &term);
    }
    if (!st) {
        poly_move(p, &acc.p);
        *den = acc.den;
    }
    poly_free(&acc.p);
    poly_free(&term.p);
    return st;
}

/* The term of the product rule for factor j of t:
 *   d/dx f^k = k f^(k-1) f'  times the other factors. */
static int product_rule_term(const PolyProduct *t, int j, PolyProduct *term) {
    const PolyFactor *fj = &t->f[j];
    Poly fp;
    poly_init(&fp);
    Big k;
    big_set_int(&k, fj->mult);
    big_mul(&term->num, &t->num, &k);
    term->den = t->den;
    int st = poly_derivative(&fp, &fj->p);
    int xexp = 0, extra = 0;
    if (!st) {
        int low = 0;
        while (low < fp.deg && fp.c[low].n == 0)
            low++;
        if (low == fp.deg) { /* f' = c x^m, c into the coefficient */
            big_mul(&term->num, &term->num, &fp.c[fp.deg]);
            xexp = fp.deg;
        } else {
            extra = 1; /* written as a factor of its own */
        }
    }
    for (int i = 0; i < t->n && !st; i++) {
        if (i != j)
            st = product_push(term, &t->f[i].p, t->f[i].mult);
        else if (fj->mult > 1)
            st = product_push(term, &fj->p, fj->mult - 1);
    }
    if (!st && xexp > 0) { /* x^m: merged with a factor x if there is one */
        int found = 0;
        for (int i = 0; i < term->n && !found; i++) {
            const Poly *q = &term->f[i].p;
            if (q->deg == 1 && q->c[0].n == 0 && big_is_int(&q->c[1], 1)) {
                term->f[i].mult += xexp;
                found = 1;
            }
        }
        if (!found) {
            int64_t x[2] = {0, 1};
            Poly xp;
            poly_init(&xp);
            st = poly_set_ints(&xp, x, 2);
            if (!st)
                st = product_push(term, &xp, xexp);
            poly_free(&xp);
        }
    }
    if (!st && extra)
        st = product_push(term, &fp, 1);
    if (!st) {
        rat_reduce(&term->num, &term->den);
        if (term->num.bad)
            st = POLY_OVERFLOW;
        if (term->n > 1)
            qsort(term->f, (size_t)term->n, sizeof *term->f, factor_qsort_cmp);
    }
    poly_free(&fp);
    return st;
}

int poly_product_rule(const PolyProduct *t, PolySum *out) {
    poly_sum_free(out);
    int *order = malloc((size_t)(t->n ? t->n : 1) * sizeof *order);
    if (!order)
        return POLY_NOMEM;
    /* higher degree first, ties in the product's order (a stable
     * insertion sort on the indices) */
    for (int i = 0; i < t->n; i++) {
        int j = i;
        while (j > 0 && t->f[order[j - 1]].p.deg < t->f[i].p.deg) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    int st = POLY_OK;
    if (t->n > 0) {
        out->t = malloc((size_t)t->n * sizeof *out->t);
        if (!out->t)
            st = POLY_NOMEM;
        else
            out->cap = t->n;
    }
    for (int i = 0; i < t->n && !st; i++) {
        PolyProduct *term = &out->t[out->n++];
        poly_product_init(term);
        st = product_rule_term(t, order[i], term);
    }
    free(order);
    return st;
}

/* ---- printing -------------------------------------------------------------- */

static void put_minus(StrBuf *sb, PolyStyle style) {
    sb_puts(sb, style == POLY_UNICODE ? "\xE2\x88\x92" : "-"); /* U+2212 */
}

static void put_var(StrBuf *sb, const char *var, PolyStyle style) {
    if (style == POLY_LATEX)
        print_latex_name(sb, var);
    else
        sb_puts(sb, var);
}

static void put_exponent(StrBuf *sb, int k, PolyStyle style) {
    static const char *const sup[10] = {"\xE2\x81\xB0", "\xC2\xB9",     "\xC2\xB2",
                                        "\xC2\xB3",     "\xE2\x81\xB4", "\xE2\x81\xB5",
                                        "\xE2\x81\xB6", "\xE2\x81\xB7", "\xE2\x81\xB8",
                                        "\xE2\x81\xB9"};
    if (style == POLY_UNICODE) {
        char digits[16];
        int n = 0;
        for (; k > 0 && n < 15; k /= 10)
            digits[n++] = (char)(k % 10);
        while (n-- > 0)
            sb_puts(sb, sup[(int)digits[n]]);
    } else if (style == POLY_LATEX && k > 9) {
        sb_printf(sb, "^{%d}", k);
    } else {
        sb_printf(sb, "^%d", k);
    }
}

void poly_print(StrBuf *sb, const Poly *p, const char *var, PolyStyle style) {
    if (p->deg < 0) {
        sb_putc(sb, '0');
        return;
    }
    int first = 1;
    for (int i = 0; i <= p->deg; i++) {
        const Big *c = &p->c[i];
        if (c->n == 0 && !c->bad)
            continue;
        if (!first) {
            sb_putc(sb, ' ');
            if (c->neg)
                put_minus(sb, style);
            else
                sb_putc(sb, '+');
            sb_putc(sb, ' ');
        } else if (c->neg) {
            put_minus(sb, style);
        }
        Big m;
        big_abs(&m, c);
        if (i == 0 || !big_is_int(&m, 1))
            big_print(sb, &m);
        if (i >= 1)
            put_var(sb, var, style);
        if (i >= 2)
            put_exponent(sb, i, style);
        first = 0;
    }
}

/* The coefficient num/den in front of `nfactors` factors; `absval`
 * drops its sign (a term after " - "). */
static void put_coef(StrBuf *sb, const Big *num, const Big *den, int nfactors, int absval,
                     PolyStyle style) {
    Big m;
    big_abs(&m, num);
    if (num->neg && !absval)
        put_minus(sb, style);
    if (big_is_int(den, 1)) {
        if (nfactors == 0 || !big_is_int(&m, 1))
            big_print(sb, &m);
        return;
    }
    sb_puts(sb, style == POLY_LATEX ? "\\frac{" : "(");
    big_print(sb, &m);
    sb_puts(sb, style == POLY_LATEX ? "}{" : "/");
    big_print(sb, den);
    sb_puts(sb, style == POLY_LATEX ? "}" : ")");
}

static int is_plain_x(const Poly *p) {
    return p->deg == 1 && p->c[0].n == 0 && big_is_int(&p->c[1], 1);
}

/* absval: a term after " + " or " - " (the sign is the operator's);
 * alone: the whole output, so a lone factor needs no parentheses. */
static void put_product(StrBuf *sb, const PolyProduct *t, const char *var, int absval, int alone,
                        PolyStyle style) {
    if (t->num.n == 0 && !t->num.bad) {
        sb_putc(sb, '0');
        return;
    }
    put_coef(sb, &t->num, &t->den, t->n, absval, style);
    /* 1 - 8x + 8x^2 rather than (1 - 8x + 8x^2) */
    int bare = alone && t->n == 1 && t->f[0].mult == 1 && big_is_int(&t->den, 1) &&
               big_is_int(&t->num, 1);
    for (int i = 0; i < t->n; i++) {
        if (is_plain_x(&t->f[i].p) || bare) {
            if (bare)
                poly_print(sb, &t->f[i].p, var, style);
            else
                put_var(sb, var, style);
        } else {
            sb_putc(sb, '(');
            poly_print(sb, &t->f[i].p, var, style);
            sb_putc(sb, ')');
        }
        if (t->f[i].mult > 1)
            put_exponent(sb, t->f[i].mult, style);
    }
}

void poly_product_print(StrBuf *sb, const PolyProduct *t, const char *var, PolyStyle style) {
    put_product(sb, t, var, 0, 1, style);
}

void poly_sum_print(StrBuf *sb, const PolySum *s, const char *var, PolyStyle style) {
    if (s->n == 0) {
        sb_putc(sb, '0');
        return;
    }
    for (int i = 0; i < s->n; i++) {
        if (i > 0) {
            sb_putc(sb, ' ');
            if (s->t[i].num.neg)
                put_minus(sb, style);
            else
                sb_putc(sb, '+');
            sb_putc(sb, ' ');
        }
        put_product(sb, &s->t[i], var, i > 0, 0, style);
    }
}

void poly_print_content(StrBuf *sb, const Poly *p, const Big *den, const char *var,
                        PolyStyle style) {
    if (p->deg < 0) {
        sb_putc(sb, '0');
        return;
    }
    int nterms = 0, low = -1;
    for (int i = 0; i <= p->deg; i++)
        if (p->c[i].n) {
            nterms++;
            if (low < 0)
                low = i;
        }
    /* content with the sign of the lowest coefficient, over den */
    Big c, cnum, cden;
    poly_content(&c, p);
    if (big_is_int(den, 1) && (nterms < 3 || big_is_int(&c, 1))) {
        poly_print(sb, p, var, style);
        return;
    }
    if (p->c[low].neg)
        big_neg(&c, &c);
    Poly prim;
    poly_init(&prim);
    if (poly_div_big(&prim, p, &c) != POLY_OK) {
        sb_puts(sb, "<overflow>");
        poly_free(&prim);
        return;
    }
    cnum = c;
    cden = *den;
    rat_reduce(&cnum, &cden);
    if (nterms == 1) {
        put_coef(sb, &cnum, &cden, p->deg > 0, 0, style);
        if (p->deg > 0)
            put_var(sb, var, style);
        if (p->deg > 1)
            put_exponent(sb, p->deg, style);
    } else {
        put_coef(sb, &cnum, &cden, 1, 0, style);
        sb_putc(sb, '(');
        poly_print(sb, &prim, var, style);
        sb_putc(sb, ')');
    }
    poly_free(&prim);
}

int poly_factor_string(StrBuf *out, const Graph *g, Node *root, int var, PolyStyle style) {
    Poly p;
    Big den;
    PolyProduct f;
    poly_init(&p);
    poly_product_init(&f);
    int complete;
    int st = poly_from_node(g, root, var, &p, &den);
    if (!st)
        st = poly_factor(&p, &den, &f, &complete);
    if (!st)
        poly_product_print(out, &f, var >= 0 && var < g->nvars ? g->vars[var].name : "x", style);
    poly_free(&p);
    poly_product_free(&f);
    return st;
}
