/* SPDX-License-Identifier: MIT */
/*
 * unroll.c — straight-line code from the loops of codegen_tensor.c, for
 * --unroll (tiny embedded kernels: no loops, no loop counters).
 *
 * Consumes the body of a kernel as codegen_tensor.c writes it: one
 * statement per line, where a statement is
 *     for (size_t v = A; v < B; v++)   followed by one statement,
 *     if (...)                      followed by one statement,
 *     {                             statements, then a line `}`,
 * or any other line (a simple statement).  Produces the same code with
 * every loop replaced by its iterations in order, each loop counter
 * replaced by its value, constant subscripts folded (x[0 + (2) * 3 + (1)]
 * becomes x[7]) and the lines re-indented.  Nothing else is parsed: the
 * generator's fixed layout is the contract, so the unrolled kernel computes
 * exactly what the looped one does, in the same order.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"

enum { MAX_NEST = 8 };

typedef struct Line {
    const char *text; /* without leading blanks */
    int len;          /* without the newline    */
} Line;

typedef struct Unroller {
    Line *lines;
    int nlines;
    const char *names[MAX_NEST]; /* the loop counters in scope, and their values */
    int name_len[MAX_NEST];
    long value[MAX_NEST];
    int nbound;
    StrBuf *out;
    size_t limit; /* bytes of output allowed */
    int too_big;
} Unroller;

static int starts(const Line *l, const char *prefix) {
    size_t n = strlen(prefix);
    return (size_t)l->len >= n && memcmp(l->text, prefix, n) == 0;
}

static int is_word(const Line *l, const char *word) {
    return (size_t)l->len == strlen(word) && memcmp(l->text, word, (size_t)l->len) == 0;
}

/* The index one past the statement that starts at line i. */
static int statement_end(const Unroller *U, int i) {
    if (i >= U->nlines)
        return i;
    const Line *l = &U->lines[i];
    if (starts(l, "for (") || starts(l, "if ("))
        return statement_end(U, i + 1);
    if (is_word(l, "{")) {
        int depth = 0;
        for (; i < U->nlines; i++) {
            depth += is_word(&U->lines[i], "{") - is_word(&U->lines[i], "}");
            if (depth == 0)
                return i + 1;
        }
    }
    return i + 1;
}

/* An integer expression of digits, + * and parentheses; -1 when it is not
 * one.  *p advances past what was read. */
static long fold_sum(const char **p, const char *end);

static long fold_atom(const char **p, const char *end) {
    while (*p < end && **p == ' ')
        (*p)++;
    if (*p < end && **p == '(') {
        (*p)++;
        long v = fold_sum(p, end);
        while (*p < end && **p == ' ')
            (*p)++;
        if (*p >= end || **p != ')')
            return -1;
        (*p)++;
        return v;
    }
    if (*p >= end || !isdigit((unsigned char)**p))
        return -1;
    long v = 0;
    while (*p < end && isdigit((unsigned char)**p) && v < 100000000)
        v = v * 10 + (*(*p)++ - '0');
    return v;
}

static long fold_product(const char **p, const char *end) {
    long v = fold_atom(p, end);
    for (;;) {
        while (*p < end && **p == ' ')
            (*p)++;
        if (v < 0 || *p >= end || **p != '*')
            return v;
        (*p)++;
        long w = fold_atom(p, end);
        if (w < 0 || (w && v > 100000000 / w))
            return -1;
        v *= w;
    }
}

static long fold_sum(const char **p, const char *end) {
    long v = fold_product(p, end);
    for (;;) {
        while (*p < end && **p == ' ')
            (*p)++;
        if (v < 0 || *p >= end || **p != '+')
            return v;
        (*p)++;
        long w = fold_product(p, end);
        if (w < 0 || v > 100000000 - w)
            return -1;
        v += w;
    }
}

/* Writes text[0..len) with the loop counters replaced by their values and
 * constant subscripts folded. */
static void write_substituted(Unroller *U, const char *text, int len) {
    StrBuf sub;
    sb_init(&sub);
    for (int k = 0; k < len;) {
        if (isalpha((unsigned char)text[k]) || text[k] == '_') {
            int e = k;
            while (e < len && (isalnum((unsigned char)text[e]) || text[e] == '_'))
                e++;
            int b = U->nbound;
            while (b-- > 0)
                if (U->name_len[b] == e - k && memcmp(U->names[b], text + k, (size_t)(e - k)) == 0)
                    break;
            if (b >= 0)
                sb_printf(&sub, "%ld", U->value[b]);
            else
                sb_printf(&sub, "%.*s", e - k, text + k);
            k = e;
        } else {
            sb_putc(&sub, text[k++]);
        }
    }
    const char *s = sb_str(&sub), *end = s + sub.len;
    while (s < end) {
        const char *open = memchr(s, '[', (size_t)(end - s));
        const char *close = open ? memchr(open, ']', (size_t)(end - open)) : NULL;
        if (!open || !close) {
            sb_printf(U->out, "%.*s", (int)(end - s), s);
            break;
        }
        const char *p = open + 1;
        long v = fold_sum(&p, close);
        while (p < close && *p == ' ')
            p++;
        if (v >= 0 && p == close)
            sb_printf(U->out, "%.*s[%ld]", (int)(open - s), s, v);
        else
            sb_printf(U->out, "%.*s", (int)(close + 1 - s), s);
        s = close + 1;
    }
    sb_free(&sub);
}

static void emit_line(Unroller *U, const Line *l, int depth) {
    if (U->out->len > U->limit) {
        U->too_big = 1;
        return;
    }
    for (int d = 0; d < depth; d++)
        sb_puts(U->out, "    ");
    write_substituted(U, l->text, l->len);
    sb_putc(U->out, '\n');
}

/* Emits the statement at line i (see the file comment). */
static void emit_statement(Unroller *U, int i, int depth) {
    if (i >= U->nlines || U->too_big)
        return;
    const Line *l = &U->lines[i];
    char name[32];
    long from, to;
    int n = 0;
    if (starts(l, "for (") &&
        sscanf(l->text, "for (size_t %31[A-Za-z_0-9] = %ld; %*[A-Za-z_0-9] < %ld;%n", name, &from, &to, &n) == 3 &&
        n > 0 && U->nbound < MAX_NEST) {
        int b = U->nbound++;
        U->names[b] = l->text + 12; /* after "for (size_t " */
        U->name_len[b] = (int)strlen(name);
        for (long v = from; v < to && !U->too_big; v++) {
            U->value[b] = v;
            emit_statement(U, i + 1, depth);
        }
        U->nbound--;
        return;
    }
    emit_line(U, l, depth);
    if (starts(l, "if (")) {
        emit_statement(U, i + 1, depth + 1);
    } else if (is_word(l, "{")) {
        int end = statement_end(U, i);
        for (int k = i + 1; k < end - 1; k = statement_end(U, k))
            emit_statement(U, k, depth + 1);
        emit_line(U, &U->lines[end - 1], depth);
    }
}

CodegenStatus codegen_unroll(const char *body, size_t limit, StrBuf *out) {
    Unroller U;
    memset(&U, 0, sizeof U);
    U.out = out;
    U.limit = limit;
    int cap = 0;
    for (const char *p = body; *p;) {
        const char *nl = strchr(p, '\n');
        const char *e = nl ? nl : p + strlen(p);
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        if (U.nlines == cap) {
            cap = cap ? 2 * cap : 64;
            Line *grown = realloc(U.lines, (size_t)cap * sizeof *grown);
            if (!grown) {
                free(U.lines);
                return CODEGEN_NO_MEMORY;
            }
            U.lines = grown;
        }
        U.lines[U.nlines].text = p;
        U.lines[U.nlines++].len = (int)(e - p);
        p = nl ? nl + 1 : e;
    }
    for (int i = 0; i < U.nlines && !U.too_big; i = statement_end(&U, i))
        emit_statement(&U, i, 1);
    free(U.lines);
    return U.too_big ? CODEGEN_TOO_LARGE : out->failed ? CODEGEN_NO_MEMORY : CODEGEN_OK;
}
