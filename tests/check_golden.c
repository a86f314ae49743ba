/* SPDX-License-Identifier: MIT */
/*
 * check_golden.c — the golden cases of tests/golden/NAME.test: each case
 * a program, the way it runs, and exactly what it must print.
 *
 * Every file of tests/golden ($SYMDIFF_GOLDEN_DIR) is read when the suite
 * is made, and each case is one iteration of one loop test.  The layout is
 * described in tests/golden/README.md (and at the top of each file):
 *
 *     % RUNNER WORD...     how the case runs (the runners are below)
 *     program lines        the body: the program, or the standard input
 *     --- stdout           the exact standard output, one line a line
 *     --- stderr           the exact standard error
 *     --- exit N           the exit status
 *
 * with \x{HH} for a byte that cannot be written as it is.  A failing case
 * is reported with its file and line, what ran, and a line diff.
 *
 * SYMDIFF_GOLDEN_UPDATE=1 (or =NAME.test for one file) turns the suite
 * into one test that rewrites the expected sections of every case that
 * now prints something else; the diff is then the change to review.
 * `make check` never sets it.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "parse.h"
#include "print.h"
#include "symdiff.h"
#include "testrun.h"
#include "testutil.h"

/* --- cases ------------------------------------------------------------------------------- */

typedef enum RunnerKind {
    R_PROGRAM, /* the binary; the body is the program, given three ways            */
    R_RUN,     /* the binary with exactly the words; the body is its stdin          */
    R_PARSE,   /* sd_compile(parse_only): the program printed back                  */
    R_TREE,    /* parse_program: the syntax tree as an S-expression                 */
    R_PRINT    /* lowered in process: the output through the infix or LaTeX printer  */
} RunnerKind;

static const char *const runner_names[] = {"program", "run", "parse", "tree", "print"};
#define NRUNNERS ((int)(sizeof runner_names / sizeof runner_names[0]))

/* A growing byte string (NUL-terminated; may hold NULs). */
typedef struct Text {
    char *s;
    size_t len, cap;
} Text;

typedef struct Case {
    const char *file;   /* its file's path                                      */
    int file_index;
    int line;           /* the header's line, from 1                             */
    RunnerKind kind;
    char **words;       /* the header's words after the runner's name           */
    int nwords;
    Text body;
    Text out, err;      /* expected                                             */
    int status;
    int sections;       /* line index of its first "---" line (or its end)      */
    int end;            /* line index after its last line                       */
} Case;

typedef struct File {
    char *path;
    char **lines;       /* every line, without its newline                      */
    int nlines;
} File;

static File *files;
static int nfiles;
static Case *cases;
static int ncases, cases_cap;
static Text load_errors; /* malformed files, one message a line */

/* The files are read when the suite is made, outside any test, where
 * Check's assertions cannot report (even passing ones): memory comes
 * through must(), which stops the program when there is none. */
static void *must(void *p) {
    if (!p) {
        fputs("check_golden: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void text_add(Text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        while (t->len + n + 1 > t->cap)
            t->cap = t->cap ? 2 * t->cap : 64;
        t->s = must(realloc(t->s, t->cap));
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_puts(Text *t, const char *s) { text_add(t, s, strlen(s)); }
static void text_putc(Text *t, char c) { text_add(t, &c, 1); }

/* Appends a short formatted text (up to 1023 bytes: names, numbers). */
static void text_printf(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(Text *t, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    text_puts(t, buf);
}

static void text_free(Text *t) {
    free(t->s);
    memset(t, 0, sizeof *t);
}

/* An empty Text still has a buffer, so that t->s is a string. */
static void text_init(Text *t) {
    memset(t, 0, sizeof *t);
    text_add(t, "", 0);
}

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(must(malloc(n)), s, n);
}

/* --- the notation: \x{HH} ------------------------------------------------------------------ */

static int hex_digit(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Is s an escape "\x{" ...?  Then its byte, or -1 when malformed. */
static int escape_at(const char *s, int *byte) {
    if (strncmp(s, "\\x{", 3) != 0)
        return 0;
    int hi = hex_digit((unsigned char)s[3]), lo = hi < 0 ? -1 : hex_digit((unsigned char)s[4]);
    *byte = hi >= 0 && lo >= 0 && s[5] == '}' ? hi * 16 + lo : -1;
    return 1;
}

/* Appends the bytes `s` stands for; -1 on a malformed escape. */
static int decode(Text *t, const char *s) {
    while (*s) {
        int byte;
        if (escape_at(s, &byte)) {
            if (byte < 0)
                return -1;
            text_putc(t, (char)byte);
            s += 6;
        } else {
            text_putc(t, *s++);
        }
    }
    return 0;
}

/* One byte of a line, written for the file: itself when it is printable
 * ASCII or a tab, else \x{HH}; a backslash that would start an escape is
 * itself escaped. */
static void encode_byte(Text *t, const char *s, size_t i, size_t n) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\\' && i + 2 < n && s[i + 1] == 'x' && s[i + 2] == '{')
        text_puts(t, "\\x{5C}");
    else if ((c >= 0x20 && c < 0x7f) || c == '\t')
        text_putc(t, (char)c);
    else
        text_printf(t, "\\x{%02X}", c);
}

/* Ends a line of the file: a space or tab at its end (which editors
 * strip) is escaped, and so is the '-' of a line that would read as a
 * section marker. */
static void encode_end_line(Text *file, Text *line) {
    if (line->len > 0 && (line->s[line->len - 1] == ' ' || line->s[line->len - 1] == '\t')) {
        char last = line->s[--line->len];
        line->s[line->len] = '\0';
        text_printf(line, "\\x{%02X}", (unsigned char)last);
    }
    if (strncmp(line->s, "---", 3) == 0 && (line->s[3] == ' ' || line->s[3] == '\0')) {
        text_puts(file, "\\x{2D}");
        text_add(file, line->s + 1, line->len - 1);
    } else {
        text_add(file, line->s, line->len);
    }
    text_putc(file, '\n');
    line->len = 0;
    line->s[0] = '\0';
}

/* Writes n bytes as lines of the file which, read back and joined with
 * newlines, give them again.  No line may be empty (a blank line ends a
 * case): a newline that would leave one is written \x{0A} inside the line
 * before. */
static void encode_joined(Text *file, const char *s, size_t n) {
    if (n == 0)
        return;
    Text line;
    text_init(&line);
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n') {
            encode_byte(&line, s, i, n);
            continue;
        }
        /* a real line break, unless this line is still empty or the next
         * one would be (the text ends right after this newline) */
        if (line.len > 0 && i + 1 < n)
            encode_end_line(file, &line);
        else
            text_puts(&line, "\\x{0A}");
    }
    encode_end_line(file, &line);
    text_free(&line);
}

/* An expected section: "--- NAME", then the text's lines, each read back
 * with a newline after it ("(no final newline)" when the text has none). */
static void encode_section(Text *file, const char *name, const Text *t) {
    if (t->len == 0)
        return;
    int final_newline = t->s[t->len - 1] == '\n' && t->len > 1;
    text_printf(file, "--- %s%s\n", name, final_newline ? "" : " (no final newline)");
    encode_joined(file, t->s, final_newline ? t->len - 1 : t->len);
}

/* --- reading the files --------------------------------------------------------------------- */

static void load_error(const File *f, int line, const char *what) {
    text_printf(&load_errors, "%s:%d: %s\n", f->path, line + 1, what);
}

static int blank(const char *line) {
    while (*line == ' ' || *line == '\t' || *line == '\r')
        line++;
    return *line == '\0';
}

static int is_marker(const char *line) { return strncmp(line, "---", 3) == 0 && (line[3] == ' ' || !line[3]); }

/* Splits a header into words as sh does with quotes alone: blanks separate
 * words; '...' is literal; "..." and bare text take \x{HH}; adjacent
 * parts make one word.  -1 when a quote is not closed or an escape is
 * malformed. */
static int split_words(const char *s, char ***words, int *nwords) {
    *words = NULL;
    *nwords = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            return 0;
        Text w;
        text_init(&w);
        while (*s && *s != ' ' && *s != '\t') {
            if (*s == '\'' || *s == '"') {
                char q = *s++;
                const char *close = strchr(s, q);
                if (!close) {
                    text_free(&w);
                    return -1;
                }
                if (q == '\'') {
                    text_add(&w, s, (size_t)(close - s));
                } else {
                    char *part = must(malloc((size_t)(close - s) + 1));
                    memcpy(part, s, (size_t)(close - s));
                    part[close - s] = '\0';
                    int bad = decode(&w, part);
                    free(part);
                    if (bad) {
                        text_free(&w);
                        return -1;
                    }
                }
                s = close + 1;
            } else {
                int byte;
                if (escape_at(s, &byte)) {
                    if (byte < 0) {
                        text_free(&w);
                        return -1;
                    }
                    text_putc(&w, (char)byte);
                    s += 6;
                } else {
                    text_putc(&w, *s++);
                }
            }
        }
        *words = must(realloc(*words, (size_t)(*nwords + 1) * sizeof **words));
        (*words)[(*nwords)++] = w.s;
    }
}

static Case *new_case(void) {
    if (ncases == cases_cap) {
        cases_cap = cases_cap ? 2 * cases_cap : 256;
        cases = must(realloc(cases, (size_t)cases_cap * sizeof *cases));
    }
    Case *c = &cases[ncases++];
    memset(c, 0, sizeof *c);
    text_init(&c->body);
    text_init(&c->out);
    text_init(&c->err);
    return c;
}

static void free_case(Case *c) {
    for (int i = 0; i < c->nwords; i++)
        free(c->words[i]);
    free(c->words);
    text_free(&c->body);
    text_free(&c->out);
    text_free(&c->err);
}

/* Reads the lines of one section into t, each followed by a newline;
 * returns the index of the line after them. */
static int read_section(const File *f, int i, Text *t, int final_newline, int *bad) {
    int first = i;
    while (i < f->nlines && !blank(f->lines[i]) && !is_marker(f->lines[i])) {
        if (decode(t, f->lines[i]) != 0) {
            load_error(f, i, "malformed escape: write a byte as \\x{HH}, two hexadecimal digits");
            *bad = 1;
        }
        text_putc(t, '\n');
        i++;
    }
    if (!final_newline && i > first)
        t->s[--t->len] = '\0';
    return i;
}

/* Parses one case starting at its header line i; returns the line after it. */
static int read_case(File *f, int fi, int i) {
    Case *c = new_case();
    c->file = f->path;
    c->file_index = fi;
    c->line = i + 1;
    int bad = 0;
    char **words;
    int nwords;
    if (split_words(f->lines[i] + 1, &words, &nwords) != 0 || nwords == 0) {
        load_error(f, i, "a header is '% RUNNER WORD...' (quotes closed, escapes \\x{HH})");
        bad = 1;
        for (int k = 0; k < nwords; k++)
            free(words[k]);
        free(words);
    } else {
        int k = 0;
        while (k < NRUNNERS && strcmp(words[0], runner_names[k]) != 0)
            k++;
        if (k == NRUNNERS) {
            load_error(f, i, "unknown runner: the runners are program, run, parse, tree and print");
            bad = 1;
        }
        c->kind = (RunnerKind)k;
        free(words[0]);
        c->words = words;
        c->nwords = nwords - 1;
        memmove(words, words + 1, (size_t)c->nwords * sizeof *words);
        if ((c->kind == R_PARSE || c->kind == R_TREE) && c->nwords > 0) {
            load_error(f, i, "parse and tree take no options");
            bad = 1;
        }
        if (c->kind == R_PRINT && (c->nwords > 1 || (c->nwords == 1 && strcmp(c->words[0], "--latex") != 0))) {
            load_error(f, i, "print takes one option, --latex");
            bad = 1;
        }
    }
    i++;

    /* the body: the lines joined with newlines */
    int first = i;
    while (i < f->nlines && !blank(f->lines[i]) && !is_marker(f->lines[i])) {
        if (i > first)
            text_putc(&c->body, '\n');
        if (decode(&c->body, f->lines[i]) != 0) {
            load_error(f, i, "malformed escape: write a byte as \\x{HH}, two hexadecimal digits");
            bad = 1;
        }
        i++;
    }

    /* the sections, in their order */
    c->sections = i;
    int order = 0;
    while (i < f->nlines && !blank(f->lines[i])) {
        const char *m = f->lines[i];
        int n = -1, at = i++;
        if (strcmp(m, "--- stdout") == 0 || strcmp(m, "--- stdout (no final newline)") == 0) {
            n = 1;
            i = read_section(f, i, &c->out, m[10] == '\0', &bad);
        } else if (strcmp(m, "--- stderr") == 0 || strcmp(m, "--- stderr (no final newline)") == 0) {
            n = 2;
            i = read_section(f, i, &c->err, m[10] == '\0', &bad);
        } else if (strncmp(m, "--- exit ", 9) == 0 && isdigit((unsigned char)m[9])) {
            char *end;
            long st = strtol(m + 9, &end, 10);
            if (*end == '\0' && st <= 255)
                n = 3;
            c->status = (int)st;
        }
        if (n < 0) {
            load_error(f, at, "a section is '--- stdout', '--- stderr' or '--- exit N'");
            bad = 1;
        } else if (n <= order) {
            load_error(f, at, "the sections are stdout, stderr, exit, in this order, each at most once");
            bad = 1;
        }
        order = n > order ? n : order;
    }
    c->end = i;
    if (bad) {
        free_case(c);
        ncases--;
    }
    return i;
}

static void read_golden_file(const char *path) {
    FILE *in = fopen(path, "rb");
    if (!in) {
        text_printf(&load_errors, "%s: cannot read\n", path);
        return;
    }
    Text t;
    text_init(&t);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, in)) > 0)
        text_add(&t, chunk, got);
    fclose(in);
    files = must(realloc(files, (size_t)(nfiles + 1) * sizeof *files));
    File *f = &files[nfiles++];
    memset(f, 0, sizeof *f);
    f->path = dup_string(path);
    char *text = t.s;
    if (strlen(text) != t.len) {
        text_printf(&load_errors, "%s: holds a NUL byte (write \\x{00})\n", path);
        free(text);
        return;
    }
    /* lines, the last newline ending the last one */
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        f->lines = must(realloc(f->lines, (size_t)(f->nlines + 1) * sizeof *f->lines));
        char *line = must(malloc(n + 1));
        memcpy(line, p, n);
        line[n] = '\0';
        f->lines[f->nlines++] = line;
        p += n + (nl != NULL);
    }
    free(text);

    int fi = nfiles - 1;
    for (int i = 0; i < f->nlines;) {
        const char *line = f->lines[i];
        if (blank(line) || line[0] == '#') {
            i++;
        } else if (line[0] == '%') {
            i = read_case(f, fi, i);
        } else {
            load_error(f, i, "expected a case ('% RUNNER ...'), a comment ('#') or a blank line");
            while (i < f->nlines && !blank(f->lines[i]))
                i++;
        }
    }
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *golden_dir(void) {
    const char *d = getenv("SYMDIFF_GOLDEN_DIR");
    return d && *d ? d : "tests/golden"; /* the suite runs from the repository's root */
}

static void free_golden(void) {
    for (int i = 0; i < ncases; i++)
        free_case(&cases[i]);
    free(cases);
    for (int i = 0; i < nfiles; i++) {
        for (int k = 0; k < files[i].nlines; k++)
            free(files[i].lines[k]);
        free(files[i].lines);
        free(files[i].path);
    }
    free(files);
    text_free(&load_errors);
    cases = NULL;
    files = NULL;
    ncases = nfiles = cases_cap = 0;
}

/* Every *.test file of the directory, in the order of their names. */
static void load_golden(void) {
    text_init(&load_errors);
    const char *dir = golden_dir();
    DIR *d = opendir(dir);
    if (!d) {
        text_printf(&load_errors, "%s: cannot open the directory of the golden files\n", dir);
        return;
    }
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".test") == 0 && e->d_name[0] != '.') {
            names = must(realloc(names, (size_t)(n + 1) * sizeof *names));
            names[n] = must(malloc(strlen(dir) + len + 2));
            sprintf(names[n++], "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) {
        read_golden_file(names[i]);
        free(names[i]);
    }
    free(names);
    if (n == 0)
        text_printf(&load_errors, "%s: no .test files\n", dir);
}

/* --- running a case ------------------------------------------------------------------------- */

/* A run's outcome is a Run (testrun.h), for the in-process runners too. */
static void set_text(char **s, size_t *len, const char *from, size_t n) {
    *s = malloc(n + 1);
    ck_assert_ptr_nonnull(*s);
    memcpy(*s, from, n);
    (*s)[n] = '\0';
    *len = n;
}

static void run_parse(const Case *c, Run *r) {
    SdProgram *p;
    SdStatus st = sd_compile(c->body.s, c->body.len, &(SdCompileOptions){.parse_only = 1}, &p);
    ck_assert_msg(p != NULL && (st == SD_OK || st == SD_ERR_INPUT), "%s:%d: sd_compile: %s", c->file, c->line,
                  sd_status_name(st));
    char *out = st == SD_OK ? sd_dump_program(p, SD_STAGE_PARSE) : NULL;
    ck_assert_msg(st != SD_OK || out != NULL, "%s:%d: out of memory", c->file, c->line);
    set_text(&r->out, &r->outlen, out ? out : "", out ? strlen(out) : 0);
    const char *err = sd_diagnostics_text(p);
    set_text(&r->err, &r->errlen, err, strlen(err));
    r->status = st == SD_OK ? 0 : 1;
    sd_free(out);
    sd_program_free(p);
}

static void run_tree(const Case *c, Run *r) {
    Source src = {"<expr>", c->body.s, c->body.len};
    Diag d;
    diag_init(&d, &src);
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, &d);
    StrBuf sb;
    sb_init(&sb);
    if (ast) {
        tu_tree(&sb, ast);
        sb_putc(&sb, '\n');
    }
    set_text(&r->out, &r->outlen, sb_str(&sb), sb.len);
    set_text(&r->err, &r->errlen, sb_str(&d.out), d.out.len);
    r->status = ast ? 0 : 1;
    sb_free(&sb);
    ast_arena_free(&arena);
    diag_free(&d);
}

static void run_print(const Case *c, Run *r) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Node *n = tu_lower(c->body.s, g, &(TuOptions){.len = c->body.len, .may_fail = 1});
    StrBuf sb;
    sb_init(&sb);
    if (n) {
        print_expr(&sb, g, n, c->nwords ? PRINT_LATEX : PRINT_INFIX);
        sb_putc(&sb, '\n');
    }
    set_text(&r->out, &r->outlen, sb_str(&sb), sb.len);
    const char *err = n ? "" : tu_errors();
    set_text(&r->err, &r->errlen, err, strlen(err));
    r->status = n ? 0 : 1;
    sb_free(&sb);
    graph_free(g);
}

/* The ways a program runs through the binary, and the name its messages
 * then give it. */
enum { WAY_ARGUMENT, WAY_STDIN, WAY_FILE, NWAYS };
static const char *const way_names[NWAYS] = {"as an argument", "on stdin (-f -)", "from a file (-f FILE)"};

/* The ways the case runs, into ways[]; their number.  (An argument
 * cannot hold a NUL byte.) */
static int case_ways(const Case *c, int ways[NWAYS]) {
    if (c->kind != R_PROGRAM) {
        ways[0] = WAY_ARGUMENT; /* the one way of the other runners */
        return 1;
    }
    int n = 0;
    if (strlen(c->body.s) == c->body.len)
        ways[n++] = WAY_ARGUMENT;
    ways[n++] = WAY_STDIN;
    ways[n++] = WAY_FILE;
    return n;
}

/* Runs the case the way given (program runner) or its one way, into r,
 * with the name of the source in *name. */
static void run_case(const Case *c, int way, Run *r, char *name, size_t namesize) {
    snprintf(name, namesize, "<expr>");
    const char *args[72];
    int k = 0;
    ck_assert_msg(c->nwords < 64, "%s:%d: too many words", c->file, c->line);
    for (int i = 0; i < c->nwords; i++)
        args[k++] = c->words[i];
    switch (c->kind) {
    case R_RUN:
        args[k] = NULL;
        run_input(args, c->body.len ? c->body.s : NULL, c->body.len, r);
        return;
    case R_PARSE:
        run_parse(c, r);
        return;
    case R_TREE:
        run_tree(c, r);
        return;
    case R_PRINT:
        run_print(c, r);
        return;
    case R_PROGRAM:
        break;
    }
    if (way == WAY_ARGUMENT) {
        args[k++] = "--";
        args[k++] = c->body.s;
        args[k] = NULL;
        run(args, NULL, r);
    } else if (way == WAY_STDIN) {
        snprintf(name, namesize, "<stdin>");
        args[k++] = "-f";
        args[k++] = "-";
        args[k] = NULL;
        run_input(args, c->body.s, c->body.len, r);
    } else {
        char dir[64];
        make_temp_dir(dir, sizeof dir, "golden");
        char *file = path_join(dir, "prog.sd");
        FILE *f = fopen(file, "wb");
        ck_assert_msg(f != NULL, "cannot create %s", file);
        ck_assert_uint_eq(fwrite(c->body.s, 1, c->body.len, f), c->body.len);
        ck_assert_int_eq(fclose(f), 0);
        args[k++] = "-f";
        args[k++] = file;
        args[k] = NULL;
        run(args, NULL, r);
        snprintf(name, namesize, "%s", file);
        free(file);
        remove_tree(dir);
    }
}

/* `t` with every "<expr>:" at the start of a line written with `from`
 * as `to` instead. */
static void renamed(Text *into, const Text *t, const char *from, const char *to) {
    size_t nfrom = strlen(from);
    int bol = 1;
    for (size_t i = 0; i < t->len; i++) {
        if (bol && t->len - i > nfrom && strncmp(t->s + i, from, nfrom) == 0 && t->s[i + nfrom] == ':') {
            text_puts(into, to);
            i += nfrom - 1;
            bol = 0;
            continue;
        }
        bol = t->s[i] == '\n';
        text_putc(into, t->s[i]);
    }
}

/* --- reporting ------------------------------------------------------------------------------ */

/* One line for a message: the bytes in the files' notation. */
static void show_line(Text *m, char mark, const char *s, size_t n) {
    text_putc(m, ' ');
    text_putc(m, mark);
    text_putc(m, ' ');
    Text line;
    text_init(&line);
    for (size_t i = 0; i < n; i++)
        encode_byte(&line, s, i, n);
    text_add(m, line.s, line.len);
    text_free(&line);
    text_putc(m, '\n');
}

typedef struct Lines {
    const char **at;
    size_t *len;
    int n;
} Lines;

static void split_lines(const char *s, size_t n, Lines *l) {
    l->n = 0;
    l->at = malloc((n + 1) * sizeof *l->at);
    l->len = malloc((n + 1) * sizeof *l->len);
    ck_assert(l->at && l->len);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || s[i] == '\n') {
            if (i == n && start == n)
                break; /* nothing after the last newline */
            l->at[l->n] = s + start;
            l->len[l->n++] = i - start;
            start = i + 1;
        }
}

static int same_line(const Lines *a, int i, const Lines *b, int j) {
    return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

/* A line diff of want and got (a longest common subsequence): ' ' lines
 * both have, '-' lines only expected, '+' lines only printed. */
static void diff(Text *m, const char *want, size_t nwant, const char *got, size_t ngot) {
    Lines a, b;
    split_lines(want, nwant, &a);
    split_lines(got, ngot, &b);
    size_t cells = (size_t)(a.n + 1) * (size_t)(b.n + 1);
    int *lcs = cells <= 4000000 ? calloc(cells, sizeof *lcs) : NULL;
    if (!lcs) { /* too long to align: both in full */
        for (int i = 0; i < a.n; i++)
            show_line(m, '-', a.at[i], a.len[i]);
        for (int j = 0; j < b.n; j++)
            show_line(m, '+', b.at[j], b.len[j]);
    } else {
        int w = b.n + 1;
        for (int i = a.n - 1; i >= 0; i--)
            for (int j = b.n - 1; j >= 0; j--)
                lcs[i * w + j] = same_line(&a, i, &b, j) ? lcs[(i + 1) * w + j + 1] + 1
                                 : lcs[(i + 1) * w + j] > lcs[i * w + j + 1] ? lcs[(i + 1) * w + j]
                                                                              : lcs[i * w + j + 1];
        int i = 0, j = 0;
        while (i < a.n || j < b.n) {
            if (i < a.n && j < b.n && same_line(&a, i, &b, j)) {
                show_line(m, ' ', a.at[i], a.len[i]);
                i++, j++;
            } else if (i < a.n && (j == b.n || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
                show_line(m, '-', a.at[i], a.len[i]);
                i++;
            } else {
                show_line(m, '+', b.at[j], b.len[j]);
                j++;
            }
        }
        free(lcs);
    }
    if ((nwant && want[nwant - 1] != '\n') != (ngot && got[ngot - 1] != '\n'))
        text_printf(m, "   (%s has no newline at its end)\n", nwant && want[nwant - 1] != '\n' ? "expected" : "printed");
    free(a.at);
    free(a.len);
    free(b.at);
    free(b.len);
}

/* How the case ran, for a message: "symdiff ARGS", or the runner. */
static void describe(Text *m, const Case *c, int way) {
    if (c->kind == R_PROGRAM || c->kind == R_RUN) {
        text_puts(m, "symdiff");
        for (int i = 0; i < c->nwords; i++) {
            text_puts(m, " ");
            text_puts(m, c->words[i]);
        }
        if (c->kind == R_PROGRAM)
            text_printf(m, ", the program %s", way_names[way]);
    } else {
        text_printf(m, "%s%s", runner_names[c->kind], c->nwords ? " --latex" : "");
    }
}

/* The differences between what ran and what the case expects, or NULL. */
static char *compare(const Case *c, int way, const Run *r, const Text *want_out, const Text *want_err) {
    int out_ok = r->outlen == want_out->len && memcmp(r->out, want_out->s, r->outlen) == 0;
    int err_ok = r->errlen == want_err->len && memcmp(r->err, want_err->s, r->errlen) == 0;
    if (out_ok && err_ok && r->status == c->status)
        return NULL;
    Text m;
    text_init(&m);
    text_printf(&m, "%s:%d: ", c->file, c->line);
    describe(&m, c, way);
    text_puts(&m, "\n");
    if (r->status != c->status)
        text_printf(&m, "exit status %d, expected %d\n", r->status, c->status);
    if (!out_ok) {
        text_puts(&m, "stdout differs (- expected, + printed):\n");
        diff(&m, want_out->s, want_out->len, r->out, r->outlen);
    }
    if (!err_ok) {
        text_puts(&m, "stderr differs (- expected, + printed):\n");
        diff(&m, want_err->s, want_err->len, r->err, r->errlen);
    }
    if (m.len > 3500) { /* Check's messages hold 4 KiB */
        m.len = 3500;
        m.s[m.len] = '\0';
        text_puts(&m, "\n...\n");
    }
    return m.s;
}

/* Runs one case every way it runs; the first difference fails the test. */
static void check_case(const Case *c) {
    int ways[NWAYS], nways = case_ways(c, ways);
    for (int k = 0; k < nways; k++) {
        int way = ways[k];
        Run r;
        char name[128];
        run_case(c, way, &r, name, sizeof name);
        Text out, err;
        text_init(&out);
        text_init(&err);
        renamed(&out, &c->out, "<expr>", name);
        renamed(&err, &c->err, "<expr>", name);
        char *why = compare(c, way, &r, &out, &err);
        text_free(&out);
        text_free(&err);
        run_free(&r);
        if (why)
            ck_abort_msg("%s", why); /* the test ends here, why with it */
    }
}

START_TEST(test_golden_files) {
    ck_assert_msg(load_errors.len == 0, "malformed golden files:\n%.3500s", load_errors.s);
}
END_TEST

START_TEST(test_golden) { check_case(&cases[_i]); }
END_TEST

/* --- SYMDIFF_GOLDEN_UPDATE ------------------------------------------------------------------ */

/* What the case prints now, with the source named "<expr>" again; -1
 * (and why, in m) when its ways disagree, which no expected text can
 * say. */
static int outcome_now(const Case *c, Text *out, Text *err, int *status, Text *m) {
    int have = 0, ways[NWAYS], nways = case_ways(c, ways);
    for (int k = 0; k < nways; k++) {
        int way = ways[k];
        Run r;
        char name[128];
        run_case(c, way, &r, name, sizeof name);
        Text o, e, got_o = {0}, got_e = {0};
        text_init(&o);
        text_init(&e);
        got_o.s = r.out, got_o.len = r.outlen;
        got_e.s = r.err, got_e.len = r.errlen;
        renamed(&o, &got_o, name, "<expr>");
        renamed(&e, &got_e, name, "<expr>");
        if (!have) {
            text_add(out, o.s, o.len);
            text_add(err, e.s, e.len);
            *status = r.status;
            have = 1;
        } else if (o.len != out->len || memcmp(o.s, out->s, o.len) != 0 || e.len != err->len ||
                   memcmp(e.s, err->s, e.len) != 0 || r.status != *status) {
            text_printf(m, "%s:%d: the program prints otherwise %s than as an argument\n", c->file, c->line,
                        way_names[way]);
            have = -1;
        }
        text_free(&o);
        text_free(&e);
        run_free(&r);
    }
    return have < 0 ? -1 : 0;
}

static void copy_line(Text *file, const char *line) {
    text_puts(file, line);
    text_putc(file, '\n');
}

static int update_wanted(const char *path) {
    const char *which = getenv("SYMDIFF_GOLDEN_UPDATE");
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strcmp(which, "1") == 0 || strcmp(which, base) == 0 || strcmp(which, path) == 0;
}

START_TEST(test_golden_update) {
    ck_assert_msg(load_errors.len == 0, "malformed golden files:\n%.3500s", load_errors.s);
    Text problems;
    text_init(&problems);
    int updated = 0;
    for (int fi = 0; fi < nfiles; fi++) {
        const File *f = &files[fi];
        if (!update_wanted(f->path))
            continue;
        Text file;
        text_init(&file);
        int line = 0, changed = 0;
        for (int ci = 0; ci < ncases; ci++) {
            const Case *c = &cases[ci];
            if (c->file_index != fi)
                continue;
            Text out, err;
            text_init(&out);
            text_init(&err);
            int status = 0;
            int same = 1;
            if (outcome_now(c, &out, &err, &status, &problems) == 0)
                same = out.len == c->out.len && memcmp(out.s, c->out.s, out.len) == 0 && err.len == c->err.len &&
                       memcmp(err.s, c->err.s, err.len) == 0 && status == c->status;
            for (; line < (same ? c->end : c->sections); line++)
                copy_line(&file, f->lines[line]);
            if (!same) {
                encode_section(&file, "stdout", &out);
                encode_section(&file, "stderr", &err);
                if (status != 0)
                    text_printf(&file, "--- exit %d\n", status);
                line = c->end;
                changed++;
                fprintf(stderr, "%s:%d: updated\n", c->file, c->line);
            }
            text_free(&out);
            text_free(&err);
        }
        for (; line < f->nlines; line++)
            copy_line(&file, f->lines[line]);
        if (changed) {
            char *tmp = malloc(strlen(f->path) + 5);
            ck_assert_ptr_nonnull(tmp);
            sprintf(tmp, "%s.tmp", f->path);
            FILE *w = fopen(tmp, "wb");
            ck_assert_msg(w != NULL, "cannot write %s", tmp);
            ck_assert_uint_eq(fwrite(file.s, 1, file.len, w), file.len);
            ck_assert_int_eq(fclose(w), 0);
            ck_assert_msg(rename(tmp, f->path) == 0, "cannot replace %s", f->path);
            free(tmp);
            updated += changed;
        }
        text_free(&file);
    }
    fprintf(stderr, "golden: %d case(s) updated\n", updated);
    ck_assert_msg(problems.len == 0, "not updated:\n%.3500s", problems.s);
    text_free(&problems);
}
END_TEST

Suite *golden_suite(void); /* called by tests/runner.c */

Suite *golden_suite(void) {
    if (!files && !load_errors.s) {
        load_golden();
        atexit(free_golden);
    }
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("cases");
    tcase_set_timeout(tc, 120);
    if (getenv("SYMDIFF_GOLDEN_UPDATE")) {
        tcase_set_timeout(tc, 3600);
        tcase_add_test(tc, test_golden_update);
    } else {
        tcase_add_test(tc, test_golden_files);
        tcase_add_loop_test(tc, test_golden, 0, ncases);
    }
    suite_add_tcase(s, tc);
    return s;
}
