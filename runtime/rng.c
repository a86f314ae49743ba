/* SPDX-License-Identifier: MIT */
/*
 * rng.c — the runtime's deterministic PRNG: xoshiro256** (Blackman & Vigna)
 * seeded through splitmix64, and what is built on it (uniform doubles,
 * normals, unbiased integers, Fisher-Yates shuffles).
 *
 * Everything up to sdrt_rng_below is integer arithmetic on uint64_t plus one
 * exact conversion to double, so a seed gives the same numbers everywhere.
 */
#include "sdrt.h"

#include <math.h>

/*
 * splitmix64: one step of a Weyl sequence (x += golden gamma) followed by a
 * mixing function.  Used only to expand a 64-bit seed into 256 bits of
 * well-mixed state, as the xoshiro authors recommend.
 */
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

/*
 * State words are consecutive splitmix64 outputs; splitmix64 is a bijection
 * of its counter, and four consecutive outputs are never all zero, which is
 * xoshiro's one forbidden state.
 */
void sdrt_rng_seed(SdrtRng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
    rng->spare = 0.0;
    rng->has_spare = 0;
}

/* xoshiro256**: output rotl(s1 * 5, 7) * 9, then the linear state update. */
uint64_t sdrt_rng_next(SdrtRng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* The top 53 bits scaled by 2^-53: every value k/2^53, k < 2^53, exactly. */
double sdrt_rng_uniform(SdrtRng *rng) {
    return (double)(sdrt_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * a + (b - a) u can round up to b when u is close to 1; such a draw is
 * replaced by the largest double below b, which keeps the interval half-open.
 */
double sdrt_rng_range(SdrtRng *rng, double a, double b) {
    double x = a + (b - a) * sdrt_rng_uniform(rng);
    if (x >= b && a < b)
        x = nextafter(b, a);
    return x;
}

/*
 * Marsaglia's polar method: draw (u, v) uniform in the square [-1,1)^2 until
 * 0 < s = u^2 + v^2 < 1; then u f and v f with f = sqrt(-2 ln(s) / s) are
 * two independent N(0,1) values.  The second is kept for the next call.
 */
double sdrt_rng_normal(SdrtRng *rng) {
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * sdrt_rng_uniform(rng) - 1.0;
        v = 2.0 * sdrt_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    rng->spare = v * f;
    rng->has_spare = 1;
    return u * f;
}

/*
 * Rejection without modulo bias: 2^64 mod n values at the bottom of the range
 * are rejected, leaving a multiple of n equally likely values, so x mod n is
 * uniform.  (0 - n) % n computes 2^64 mod n in unsigned arithmetic.  At most
 * half the draws are rejected, for n just above 2^63.
 */
uint64_t sdrt_rng_below(SdrtRng *rng, uint64_t n) {
    if (n == 0)
        return 0;
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = sdrt_rng_next(rng);
        if (x >= threshold)
            return x % n;
    }
}

/*
 * Fisher-Yates (Durstenfeld): for i from n-1 down to 1 swap idx[i] with
 * idx[j], j uniform in [0, i].  Each of the n! orders is equally likely.
 */
void sdrt_shuffle(SdrtRng *rng, size_t *idx, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)sdrt_rng_below(rng, (uint64_t)i);
        size_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}
