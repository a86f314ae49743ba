/* SPDX-License-Identifier: MIT */
/*
 * csv.c — a strict loader for numeric CSV files: the whole file is read into
 * memory, then split into lines and fields; each field must be a decimal
 * number.  The result is one row-major array of doubles.
 *
 * This is the one part of the runtime that allocates (the file buffer and
 * the growing result); everything is freed here on error, and the result by
 * sdrt_csv_free.  Errors name the file, line and column, as the compiler's
 * diagnostics do: "data.csv:3:7: error: malformed number "1.2.3"".
 */
#include "sdrt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Longest field text quoted in a message; longer ones end in "...". */
#define QUOTE_MAX 40

typedef struct Loader {
    const char *path;
    char *err;
    size_t errlen;
    double *vals; /* the table so far */
    size_t nvals, cap;
    size_t cols;  /* 0 until the header or first row fixes it */
    size_t rows;
} Loader;

/*
 * Formats "<path>:<line>:<col>: error: <message>" into the caller's buffer
 * (line 0: no position) and returns `status`, so errors read
 * `return fail_at(ld, SDRT_ERR_PARSE, line, col, ...)`.
 */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int
fail_at(Loader *ld, int status, size_t line, size_t col, const char *fmt, ...) {
    if (!ld->err || ld->errlen == 0)
        return status;
    int k;
    if (line > 0)
        k = snprintf(ld->err, ld->errlen, "%s:%zu:%zu: error: ", ld->path,
                     line, col);
    else
        k = snprintf(ld->err, ld->errlen, "%s: error: ", ld->path);
    if (k >= 0 && (size_t)k < ld->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->err + k, ld->errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return status;
}

/*
 * Reads the whole file into a NUL-terminated buffer (one spare byte, so the
 * field parser may write a NUL just past any field).
 */
static int read_all(Loader *ld, char **out, size_t *outlen) {
    FILE *f = fopen(ld->path, "rb");
    if (!f)
        return fail_at(ld, SDRT_ERR_IO, 0, 0, "cannot open: %s",
                       strerror(errno));
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return fail_at(ld, SDRT_ERR_NOMEM, 0, 0, "out of memory");
    }
    for (;;) {
        if (cap - len < 2) {
            char *p = cap <= (size_t)-1 / 2 ? realloc(buf, cap * 2) : NULL;
            if (!p) {
                free(buf);
                fclose(f);
                return fail_at(ld, SDRT_ERR_NOMEM, 0, 0, "out of memory");
            }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return fail_at(ld, SDRT_ERR_IO, 0, 0, "read error");
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return SDRT_OK;
}

static int push(Loader *ld, double v) {
    if (ld->nvals == ld->cap) {
        size_t cap = ld->cap ? ld->cap * 2 : 256;
        double *p = NULL;
        if (cap <= (size_t)-1 / sizeof *p)
            p = realloc(ld->vals, cap * sizeof *p);
        if (!p)
            return 0;
        ld->vals = p;
        ld->cap = cap;
    }
    ld->vals[ld->nvals++] = v;
    return 1;
}

static int is_digit(char c) {
    return c >= '0' && c <= '9';
}

static int is_blank(char c) {
    return c == ' ' || c == '\t';
}

/*
 * The accepted number syntax, checked before strtod (which would also take
 * "nan", "inf", hex floats and leading garbage it stops at):
 *   number = [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits]
 */
static int valid_number(const char *p, const char *end) {
    int digits = 0;
    if (p < end && (*p == '+' || *p == '-'))
        p++;
    for (; p < end && is_digit(*p); p++)
        digits++;
    if (p < end && *p == '.')
        for (p++; p < end && is_digit(*p); p++)
            digits++;
    if (digits == 0)
        return 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        int exp_digits = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        for (; p < end && is_digit(*p); p++)
            exp_digits++;
        if (exp_digits == 0)
            return 0;
    }
    return p == end;
}

/*
 * One line [ls, le) (line end and '\r' already removed, not blank).  A
 * header only fixes the column count; a data line appends its values.
 */
static int parse_line(Loader *ld, char *ls, char *le, size_t line,
                      int is_header) {
    size_t nfields = 0;
    char *p = ls;
    for (;;) {
        char *fe = p;
        while (fe < le && *fe != ',')
            fe++;
        char *a = p, *b = fe;
        while (a < b && is_blank(*a))
            a++;
        while (b > a && is_blank(b[-1]))
            b--;
        size_t col = (size_t)(a - ls) + 1;
        if (!is_header) {
            if (ld->cols > 0 && nfields == ld->cols)
                return fail_at(ld, SDRT_ERR_SHAPE, line, col,
                               "too many fields (expected %zu)", ld->cols);
            if (a == b)
                return fail_at(ld, SDRT_ERR_PARSE, line, col,
                               "empty field (field %zu)", nfields + 1);
            size_t flen = (size_t)(b - a);
            if (!valid_number(a, b))
                return fail_at(ld, SDRT_ERR_PARSE, line, col,
                               "malformed number \"%.*s%s\"",
                               (int)(flen > QUOTE_MAX ? QUOTE_MAX : flen), a,
                               flen > QUOTE_MAX ? "..." : "");
            /* NUL-terminate the field in place for strtod; b <= buffer end. */
            char saved = *b;
            *b = '\0';
            double v = strtod(a, NULL);
            *b = saved;
            if (!isfinite(v))
                return fail_at(ld, SDRT_ERR_PARSE, line, col,
                               "number out of range \"%.*s%s\"",
                               (int)(flen > QUOTE_MAX ? QUOTE_MAX : flen), a,
                               flen > QUOTE_MAX ? "..." : "");
            if (!push(ld, v))
                return fail_at(ld, SDRT_ERR_NOMEM, 0, 0, "out of memory");
        }
        nfields++;
        if (fe == le)
            break;
        p = fe + 1;
    }
    if (ld->cols == 0) {
        ld->cols = nfields;
    } else if (nfields != ld->cols) {
        return fail_at(ld, SDRT_ERR_SHAPE, line, (size_t)(le - ls) + 1,
                       "too few fields (expected %zu, found %zu)", ld->cols,
                       nfields);
    }
    if (!is_header)
        ld->rows++;
    return SDRT_OK;
}

/*
 * Lines end at '\n'; a '\r' before it is dropped (CRLF), a last line without
 * '\n' counts, and lines of only spaces and tabs are skipped (they still
 * count for line numbers).
 */
int sdrt_csv_load(const char *path, int header, SdrtCsv *csv, char *err,
                  size_t errlen) {
    Loader ld = {path, err, errlen, NULL, 0, 0, 0, 0};
    char *buf = NULL;
    size_t len = 0;
    csv->data = NULL;
    csv->rows = csv->cols = 0;
    if (err && errlen > 0)
        err[0] = '\0';
    int status = read_all(&ld, &buf, &len);
    if (status != SDRT_OK)
        return status;
    int want_header = header != 0;
    size_t line = 0;
    char *p = buf, *end = buf + len;
    while (status == SDRT_OK && p < end) {
        line++;
        char *ls = p, *le = p;
        while (le < end && *le != '\n')
            le++;
        p = le < end ? le + 1 : le;
        if (le > ls && le[-1] == '\r')
            le--;
        char *q = ls;
        while (q < le && is_blank(*q))
            q++;
        if (q == le)
            continue;
        status = parse_line(&ld, ls, le, line, want_header);
        want_header = 0;
    }
    free(buf);
    if (status == SDRT_OK && ld.rows == 0)
        status = fail_at(&ld, SDRT_ERR_EMPTY, 0, 0, "no data rows");
    if (status != SDRT_OK) {
        free(ld.vals);
        return status;
    }
    csv->data = ld.vals;
    csv->rows = ld.rows;
    csv->cols = ld.cols;
    return SDRT_OK;
}

void sdrt_csv_free(SdrtCsv *csv) {
    free(csv->data);
    csv->data = NULL;
    csv->rows = csv->cols = 0;
}
