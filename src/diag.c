/* SPDX-License-Identifier: MIT */
/*
 * diag.c — diagnostics: messages located in the source, rendered as
 *
 *   <name>:<line>:<col>: error: <message>
 *       <the source line>
 *       ^~~~
 *
 * Stages hand in byte spans (Loc); the line and column are computed here,
 * only when a message is rendered.  Columns count bytes, from 1.  The
 * echoed line is made safe to print: control bytes, NUL and bytes >= 0x80
 * appear as \xNN, a tab stays a tab (and the caret line uses a tab at the
 * same place, so the caret lines up whatever the tab width), and the '\r'
 * of a CRLF line ending is dropped.  The caret marks the first byte of the
 * span and a '~' each further byte, clipped to the line.
 */
#include "diag.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(Diag *d, const Source *src) {
    d->src = src;
    sb_init(&d->out);
    sb_init(&d->messages);
    d->records = NULL;
    d->nrecords = d->records_cap = 0;
    d->errors = 0;
    d->max_errors = 0;
}

void diag_free(Diag *d) {
    sb_free(&d->out);
    sb_free(&d->messages);
    free(d->records);
}

/* Keeps the message as data too; a failed allocation marks the rendered
 * text failed, which every client reports as out of memory. */
static void record(Diag *d, int is_note, Loc loc, const char *fmt, va_list ap) {
    if (d->nrecords == d->records_cap) {
        int cap = d->records_cap ? 2 * d->records_cap : 8;
        DiagRecord *r = realloc(d->records, (size_t)cap * sizeof *r);
        if (!r) {
            d->out.failed = 1;
            return;
        }
        d->records = r;
        d->records_cap = cap;
    }
    DiagRecord *r = &d->records[d->nrecords++];
    r->is_note = is_note;
    r->loc = loc;
    r->text = d->messages.len;
    sb_vprintf(&d->messages, fmt, ap);
    sb_putc(&d->messages, '\0');
    if (d->messages.failed)
        d->out.failed = 1;
}

static int clamp_offset(const Source *src, int offset) {
    if (offset < 0)
        return 0;
    if ((size_t)offset > src->len)
        return (int)src->len;
    return offset;
}

void diag_line_col(const Source *src, int offset, int *line, int *col) {
    int ln = 1, start = 0;
    offset = clamp_offset(src, offset);
    for (int i = 0; i < offset; i++) {
        if (src->text[i] == '\n') {
            ln++;
            start = i + 1;
        }
    }
    *line = ln;
    *col = offset - start + 1;
}

/* Bytes that are echoed as \xNN. */
static int needs_escape(unsigned char c) { return c != '\t' && (c < 0x20 || c >= 0x7f); }

static void put_byte(StrBuf *out, unsigned char c) {
    if (needs_escape(c))
        sb_printf(out, "\\x%02X", c);
    else
        sb_putc(out, (char)c);
}

/* The source line holding `loc.start`, then the caret line under it. */
static void show_source(StrBuf *out, const Source *src, Loc loc) {
    int start = clamp_offset(src, loc.start);
    int end = loc.end < loc.start ? start : clamp_offset(src, loc.end);
    int bol = start, eol = start;
    while (bol > 0 && src->text[bol - 1] != '\n')
        bol--;
    while ((size_t)eol < src->len && src->text[eol] != '\n')
        eol++;
    if (eol > bol && src->text[eol - 1] == '\r' && (size_t)eol < src->len)
        eol--; /* CRLF: the '\r' is not part of the line */
    /* a very long line (a generated program) is shown as a window around
     * the caret, marked with "..." where it is cut */
    int cut_before = 0, cut_after = 0;
    if (eol - bol > DIAG_MAX_LINE) {
        int from = start - DIAG_MAX_LINE / 2;
        if (from > bol) {
            bol = from;
            cut_before = 1;
        }
        if (eol - bol > DIAG_MAX_LINE) {
            eol = bol + DIAG_MAX_LINE;
            cut_after = 1;
        }
    }

    sb_puts(out, cut_before ? "    ..." : "    ");
    for (int i = bol; i < eol; i++)
        put_byte(out, (unsigned char)src->text[i]);
    sb_puts(out, cut_after ? "...\n" : "\n");

    sb_puts(out, cut_before ? "       " : "    ");
    for (int i = bol; i < start && i < eol; i++) {
        unsigned char c = (unsigned char)src->text[i];
        if (c == '\t')
            sb_putc(out, '\t');
        else
            sb_puts(out, needs_escape(c) ? "    " : " ");
    }
    sb_putc(out, '^');
    if (end > eol)
        end = eol;
    for (int i = start + 1; i < end; i++)
        sb_putc(out, '~');
    sb_putc(out, '\n');
}

static void report(Diag *d, const char *kind, Loc loc, const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    record(d, kind[0] == 'n', loc, fmt, copy);
    va_end(copy);
    const Source *src = d->src;
    const char *name = src && src->name ? src->name : "<expr>";
    if (!src || loc.start < 0) {
        sb_printf(&d->out, "%s: %s: ", name, kind);
        sb_vprintf(&d->out, fmt, ap);
        sb_putc(&d->out, '\n');
        return;
    }
    int line, col;
    diag_line_col(src, loc.start, &line, &col);
    sb_printf(&d->out, "%s:%d:%d: %s: ", name, line, col, kind);
    sb_vprintf(&d->out, fmt, ap);
    sb_putc(&d->out, '\n');
    show_source(&d->out, src, loc);
}

static int limit(const Diag *d) { return d->max_errors > 0 ? d->max_errors : 20; }

void diag_error(Diag *d, Loc loc, const char *fmt, ...) {
    if (d->errors < INT_MAX)
        d->errors++;
    if (d->errors > limit(d))
        return; /* counted, not shown */
    va_list ap;
    va_start(ap, fmt);
    report(d, "error", loc, fmt, ap);
    va_end(ap);
}

void diag_note(Diag *d, Loc loc, const char *fmt, ...) {
    /* A note belongs to the error before it: hidden when that one was. */
    if (d->errors > limit(d))
        return;
    va_list ap;
    va_start(ap, fmt);
    report(d, "note", loc, fmt, ap);
    va_end(ap);
}

/* Levenshtein distance with two rows; INT_MAX if memory runs out. */
int diag_edit_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (m > (size_t)INT_MAX - 1 || n > (size_t)INT_MAX - 1)
        return INT_MAX;
    int small[2 * 64];
    int *row = small;
    if (m + 1 > 64 && !(row = malloc(2 * (m + 1) * sizeof *row)))
        return INT_MAX;
    int *prev = row, *cur = row + (m + 1);
    for (size_t j = 0; j <= m; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            cur[j] = best;
        }
        int *t = prev;
        prev = cur;
        cur = t;
    }
    int result = prev[m];
    if (row != small)
        free(row);
    return result;
}
