/* SPDX-License-Identifier: MIT */
/*
 * fuzz_parser.c — libFuzzer harness for the scanner, the parser and the
 * diagnostics alone, on arbitrary bytes (NUL, control bytes, invalid
 * UTF-8, deep nesting).  Besides crashes, leaks and hangs it checks:
 *
 *  - a rejected program has at least one error, an accepted one none;
 *  - every message is printable: control bytes and bytes >= 0x80 of the
 *    source are echoed escaped, so the only control characters in the
 *    output are '\n' and the tabs copied from the source;
 *  - every error line is "<fuzz>:LINE:COL: error: ..." or "<fuzz>: error:";
 *  - an accepted program printed back (--print) parses to a program that
 *    prints the same way.
 *
 *   make fuzz FUZZ_SECONDS=600
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const uint8_t *data, size_t size, const char *detail) {
    fprintf(stderr, "\n%s (%zu input bytes)\n%s\n", what, size, detail);
    (void)data;
    abort();
}

static void check_messages(const Diag *d, const uint8_t *data, size_t size) {
    const char *out = sb_str(&d->out);
    for (const char *p = out; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f)
            fail("an unescaped byte in a message", data, size, out);
    }
    /* every message starts a line with the source name */
    const char *line = out;
    int expect_header = 1, body = 0;
    while (*line) {
        const char *end = strchr(line, '\n');
        if (!end)
            fail("a message without a final newline", data, size, out);
        if (expect_header || body == 0) {
            if (strncmp(line, "<fuzz>:", 7) != 0)
                fail("a message line that does not start with the source name", data, size, out);
            int ln, col;
            char kind[8];
            if (sscanf(line, "<fuzz>:%d:%d: %7[a-z]:", &ln, &col, kind) == 3) {
                if (ln < 1 || col < 1)
                    fail("a message with a bad position", data, size, out);
                body = 2; /* the source line and the caret line follow */
            } else if (strncmp(line, "<fuzz>: error: ", 15) != 0 && strncmp(line, "<fuzz>: note: ", 14) != 0) {
                fail("a malformed message line", data, size, out);
            }
            expect_header = 0;
        } else {
            if (strncmp(line, "    ", 4) != 0)
                fail("a source or caret line without its indent", data, size, out);
            if (--body == 0) {
                /* the caret line: blanks and tabs, '^', then '~' */
                const char *c = line + 4;
                while (*c == ' ' || *c == '\t')
                    c++;
                if (*c != '^')
                    fail("a caret line without a caret", data, size, out);
                for (c++; c < end; c++)
                    if (*c != '~')
                        fail("a caret line with other characters", data, size, out);
                expect_header = 1;
            }
        }
        line = end + 1;
    }
    if (body != 0)
        fail("a message cut short", data, size, out);
}

static Ast *parse(const char *text, size_t len, AstArena *arena, Diag *diag, Source *src) {
    src->name = "<fuzz>";
    src->text = text;
    src->len = len;
    diag_init(diag, src);
    return parse_program(arena, diag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536)
        return 0;
    AstArena arena = {NULL};
    Source src;
    Diag diag;
    Ast *ast = parse((const char *)data, size, &arena, &diag, &src);
    if (!ast && diag.errors == 0)
        fail("rejected without an error", data, size, "");
    if (ast && diag.errors != 0)
        fail("accepted with an error", data, size, sb_str(&diag.out));
    check_messages(&diag, data, size);
    if (ast) {
        StrBuf once;
        sb_init(&once);
        ast_print(&once, ast);
        AstArena arena2 = {NULL};
        Source src2;
        Diag diag2;
        Ast *again = parse(sb_str(&once), once.len, &arena2, &diag2, &src2);
        if (!once.failed) {
            if (!again)
                fail("the printed program does not parse", data, size, sb_str(&diag2.out));
            StrBuf twice;
            sb_init(&twice);
            ast_print(&twice, again);
            if (!twice.failed && strcmp(sb_str(&once), sb_str(&twice)) != 0)
                fail("printing is not stable", data, size, sb_str(&once));
            sb_free(&twice);
        }
        ast_arena_free(&arena2);
        diag_free(&diag2);
        sb_free(&once);
    }
    ast_arena_free(&arena);
    diag_free(&diag);
    return 0;
}
