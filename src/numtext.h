/* SPDX-License-Identifier: MIT */
/*
 * numtext.h — a double as decimal text, without printf.
 *
 * numtext_g writes exactly what printf's "%.*g" writes in the C locale
 * with glibc (the byte-for-byte contract of the generated C's constants):
 * the value correctly rounded to `precision` significant digits, ties to
 * even, fixed notation when the decimal exponent X satisfies
 * -4 <= X < precision and "d.ddde+XX" otherwise, trailing zeros and a
 * bare point removed; "-0", "inf", "-inf", "nan" and "-nan" as glibc
 * spells them.
 */
#ifndef SYMDIFF_NUMTEXT_H
#define SYMDIFF_NUMTEXT_H

#include <stddef.h>

/* The longest text numtext_g writes, its NUL included: a sign, 40 digits,
 * a point, four zeros after it ("0.0000ddd"), "e-308". */
#define NUMTEXT_MAX 64

/* The most significant digits numtext_g rounds to; a larger precision is
 * taken as this one. */
#define NUMTEXT_MAX_PRECISION 40

/* Writes v as "%.*g" with `precision` (1 to NUMTEXT_MAX_PRECISION; 0 is
 * taken as 1, as printf does) into buf[NUMTEXT_MAX]; returns the length. */
size_t numtext_g(char *buf, double v, int precision);

#endif
