/* SPDX-License-Identifier: MIT */
/*
 * diag.h — diagnostics: errors located in the source, with the line and a
 * caret under the span.
 *
 *   <file>:<line>:<col>: error: <message>
 *    <line text>
 *    ^~~~
 *
 * Stages report here and return NULL/-1; only the CLI decides exit codes.
 * Messages accumulate in a buffer (tests read it, the CLI prints it).
 */
#ifndef SYMDIFF_DIAG_H
#define SYMDIFF_DIAG_H

#include "ast.h"
#include "strbuf.h"

typedef struct Source {
    const char *name; /* "<expr>" for command-line input, else the file name */
    const char *text; /* the bytes; may contain NUL bytes                     */
    size_t len;
} Source;

/* One message as data (for clients of the library): its span and its
 * text, which starts at `text` in Diag.messages. */
typedef struct DiagRecord {
    int is_note;
    Loc loc;          /* start < 0: no position                              */
    size_t text;      /* offset of the NUL-terminated message in messages    */
} DiagRecord;

typedef struct Diag {
    const Source *src;
    StrBuf out;       /* every message so far                                */
    StrBuf messages;  /* the bare messages, NUL-separated                     */
    DiagRecord *records;
    int nrecords, records_cap;
    int errors;       /* number of errors reported                           */
    int max_errors;   /* stop reporting after this many (0 = 20)             */
} Diag;

/* Source lines longer than this many bytes are echoed in part: a window
 * of this size around the caret. */
#define DIAG_MAX_LINE 1024

void diag_init(Diag *d, const Source *src);
void diag_free(Diag *d);

#if defined(__GNUC__)
#define DIAG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DIAG_PRINTF(a, b)
#endif

/* An error at `loc` (byte span in d->src).  A span with start < 0 prints
 * without a position ("<file>: error: ..."). */
void diag_error(Diag *d, Loc loc, const char *fmt, ...) DIAG_PRINTF(3, 4);
/* A note attached to the previous error, e.g. where a '(' was opened. */
void diag_note(Diag *d, Loc loc, const char *fmt, ...) DIAG_PRINTF(3, 4);

/* 1-based line and column (in bytes) of a byte offset. */
void diag_line_col(const Source *src, int offset, int *line, int *col);

/* Levenshtein distance, for "did you mean" suggestions. */
int diag_edit_distance(const char *a, const char *b);

#endif
