/* SPDX-License-Identifier: MIT */
/*
 * strbuf.h — a growable string, the one output sink of every printer.
 *
 * Printers append to a StrBuf instead of writing to a FILE so that tests can
 * compare their output and the CLI can write files atomically.
 */
#ifndef SYMDIFF_STRBUF_H
#define SYMDIFF_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct StrBuf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len, cap;
    int failed; /* an allocation failed; contents are truncated */
} StrBuf;

void sb_init(StrBuf *sb);
void sb_free(StrBuf *sb);
void sb_clear(StrBuf *sb);
void sb_putc(StrBuf *sb, char c);
void sb_puts(StrBuf *sb, const char *s);
void sb_putn(StrBuf *sb, const char *s, size_t n);
/* v in decimal, as %lld writes it (the generated C's names and indices:
 * a call per name, without a format to read). */
void sb_put_int(StrBuf *sb, long long v);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sb_printf(StrBuf *sb, const char *fmt, ...);
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap);
/* The contents, "" when empty. */
const char *sb_str(const StrBuf *sb);
/* Inserts n bytes at position at (at most len), moving what follows: a
 * kernel's prologue, known only once its body is written, goes before
 * the body without a copy of the body. */
void sb_insert(StrBuf *sb, size_t at, const char *s, size_t n);
/* Appends src to dst and empties src; when dst is empty, src's memory is
 * handed over instead of copied. */
void sb_append_take(StrBuf *dst, StrBuf *src);
/* The contents as a malloc'd string the caller frees (NULL when sb has
 * failed or out of memory); empties sb.  The memory is handed over, not
 * copied: the text of a large kernel is held once. */
char *sb_take(StrBuf *sb);

#endif
