/* SPDX-License-Identifier: MIT */
/*
 * strbuf.c — growable strings (see strbuf.h).
 *
 * An allocation failure sets `failed` and drops further output instead of
 * aborting: the caller checks `failed` once, at the end.
 */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(StrBuf *sb) {
    sb->data = NULL;
    sb->len = sb->cap = 0;
    sb->failed = 0;
}

void sb_free(StrBuf *sb) {
    free(sb->data);
    sb_init(sb);
}

void sb_clear(StrBuf *sb) {
    sb->len = 0;
    if (sb->data)
        sb->data[0] = '\0';
}

/* Makes room for n more bytes plus the terminating NUL. */
static int sb_reserve(StrBuf *sb, size_t n) {
    if (sb->failed)
        return 0;
    if (sb->len + n + 1 <= sb->cap)
        return 1;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + n + 1)
        cap *= 2;
    char *p = realloc(sb->data, cap);
    if (!p) {
        sb->failed = 1;
        return 0;
    }
    sb->data = p;
    sb->cap = cap;
    return 1;
}

void sb_putn(StrBuf *sb, const char *s, size_t n) {
    if (n < sb->cap - sb->len && !sb->failed) {
        /* the room is there (the generated C is written a few bytes at a
         * time: names, operators, literals) */
        memcpy(sb->data + sb->len, s, n);
        sb->len += n;
        sb->data[sb->len] = '\0';
        return;
    }
    if (n == 0 && sb->data)
        return;
    if (!sb_reserve(sb, n))
        return;
    if (n)
        memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void sb_putc(StrBuf *sb, char c) {
    if (sb->len + 1 < sb->cap && !sb->failed) {
        sb->data[sb->len++] = c;
        sb->data[sb->len] = '\0';
        return;
    }
    sb_putn(sb, &c, 1);
}

void sb_puts(StrBuf *sb, const char *s) { sb_putn(sb, s, strlen(s)); }

/* Appends the decimal digits of u, two at a time (a temporary's number
 * is written for every reference to it). */
static void put_uint(StrBuf *sb, unsigned long long u) {
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char buf[24], *p = buf + sizeof buf;
    while (u >= 100) {
        const char *d = pairs + 2 * (u % 100);
        u /= 100;
        *--p = d[1];
        *--p = d[0];
    }
    if (u >= 10) {
        *--p = pairs[2 * u + 1];
        *--p = pairs[2 * u];
    } else {
        *--p = (char)('0' + u);
    }
    sb_putn(sb, p, (size_t)(buf + sizeof buf - p));
}

void sb_put_int(StrBuf *sb, long long v) {
    if (v < 0)
        sb_putc(sb, '-');
    put_uint(sb, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v);
}

/* Is every conversion of fmt a plain one the fast path below formats
 * itself (%s %c %d %u %ld %lu %lld %zu %%, no flags, width or
 * precision)? */
static int plain_format(const char *fmt) {
    for (const char *p = fmt; (p = strchr(p, '%')) != NULL;) {
        p++;
        if (*p == 'l' && p[1] == 'l')
            p += 2;
        else if (*p == 'l' || *p == 'z')
            p++;
        if (!*p || !strchr(p[-1] == '%' ? "scdu%" : "du", *p))
            return 0;
        p++;
    }
    return 1;
}

/* The generated C is written through here, a call per operand and per
 * temporary: the plain formats are copied and converted directly (one
 * pass, no vsnprintf sizing pass), the others go through vsnprintf,
 * straight into the room left when it is enough. */
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap) {
    if (plain_format(fmt)) {
        const char *p = fmt;
        while (*p) {
            const char *q = strchr(p, '%');
            if (!q) {
                sb_puts(sb, p);
                break;
            }
            sb_putn(sb, p, (size_t)(q - p));
            q++;
            int longs = 0, size = 0;
            if (*q == 'l' && q[1] == 'l') {
                longs = 2;
                q += 2;
            } else if (*q == 'l') {
                longs = 1;
                q++;
            } else if (*q == 'z') {
                size = 1;
                q++;
            }
            switch (*q) {
            case 's':
                sb_puts(sb, va_arg(ap, const char *));
                break;
            case 'c':
                sb_putc(sb, (char)va_arg(ap, int));
                break;
            case 'd':
                sb_put_int(sb, size ? (long long)va_arg(ap, size_t)
                               : longs == 2 ? va_arg(ap, long long)
                               : longs ? va_arg(ap, long) : va_arg(ap, int));
                break;
            case 'u':
                put_uint(sb, size ? va_arg(ap, size_t)
                                : longs == 2 ? va_arg(ap, unsigned long long)
                                : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned));
                break;
            default: /* %% */
                sb_putc(sb, '%');
                break;
            }
            p = q + 1;
        }
        if (!sb->data)
            sb_putn(sb, "", 0); /* "" appended: the contents exist */
        return;
    }
    va_list copy;
    va_copy(copy, ap);
    size_t room = sb->cap > sb->len ? sb->cap - sb->len : 0;
    int n = sb->failed ? -1 : vsnprintf(room ? sb->data + sb->len : NULL, room, fmt, copy);
    va_end(copy);
    if (n < 0)
        return;
    if ((size_t)n < room) { /* it fitted */
        sb->len += (size_t)n;
        return;
    }
    if (!sb_reserve(sb, (size_t)n)) {
        if (sb->data)
            sb->data[sb->len] = '\0'; /* the truncated attempt undone */
        return;
    }
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void sb_printf(StrBuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

const char *sb_str(const StrBuf *sb) { return sb->data ? sb->data : ""; }

void sb_insert(StrBuf *sb, size_t at, const char *s, size_t n) {
    if (at > sb->len || !sb_reserve(sb, n))
        return;
    sb->data[sb->len] = '\0'; /* when nothing was appended yet */
    memmove(sb->data + at + n, sb->data + at, sb->len - at + 1); /* with the NUL */
    memcpy(sb->data + at, s, n);
    sb->len += n;
}

void sb_append_take(StrBuf *dst, StrBuf *src) {
    if (dst->len == 0 && !dst->failed) {
        StrBuf t = *dst;
        *dst = *src;
        *src = t;
    } else {
        sb_putn(dst, sb_str(src), src->len);
        if (src->failed)
            dst->failed = 1;
    }
    sb_free(src);
}

char *sb_take(StrBuf *sb) {
    char *s = NULL;
    if (!sb->failed) {
        if (!sb->data)
            sb_putn(sb, "", 0);
        s = sb->data;
        sb->data = NULL;
    }
    sb_free(sb);
    return s;
}
