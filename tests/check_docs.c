/* SPDX-License-Identifier: MIT */
/*
 * check_docs.c — the documentation says what the program does: every
 * command shown in README.md and docs/ (every .md) is run, and what it prints is
 * compared with what the page shows under it.
 *
 * A command is a line of a fenced code block (```) that starts with
 * "$ ./symdiff " or "$ symdiff "; its output is the lines after it, up to
 * the next "$ " line or the end of the block.  The command runs through
 * sh in a fresh directory holding ./symdiff (a link to the binary under
 * test), with stdout and stderr together, as a reader would see them.  Two
 * conventions keep the pages readable:
 *
 *   - a line "..." stands for any number of lines (a long output shown in
 *     part: "...", then the part, or the part, then "...");
 *   - a time, a number followed by " s" (the --stats timings), matches any
 *     time;
 *   - blank lines at the end of an output separate it from the next
 *     command and are not compared.
 *
 * Other "$ " lines (make, dot, examples/out/...) are not symdiff and are
 * not run.  A page with no command is fine; a command whose output differs
 * fails with the page, the line and both texts.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testrun.h"
#include "testutil.h"

/* The pages: README.md and every .md file of docs/. */
static int doc_pages(char pages[][512], int max) {
    int n = 0;
    snprintf(pages[n++], 512, "README.md"); /* the suite runs from the repository's root */
    const char *docs = "docs";
    DIR *d = opendir(docs);
    ck_assert_msg(d != NULL, "cannot open %s", docs);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 3 && strcmp(e->d_name + len - 3, ".md") == 0)
            snprintf(pages[n++], 512, "%s/%s", docs, e->d_name);
    }
    closedir(d);
    return n;
}

/* --- comparing output with the page ---------------------------------------------- */

/* `line` with every time ("0.011 s") written as "T s". */
static void normalize_times(const char *line, char *out, size_t size) {
    size_t o = 0;
    for (const char *p = line; *p && o + 4 < size;) {
        const char *q = p;
        while (isdigit((unsigned char)*q))
            q++;
        if (q > p && *q == '.' && isdigit((unsigned char)q[1])) {
            const char *r = q + 1;
            while (isdigit((unsigned char)*r))
                r++;
            if (r[0] == ' ' && r[1] == 's' && (r[2] == '\0' || r[2] == ',' || r[2] == ' ') &&
                (p == line || !isalnum((unsigned char)p[-1]))) {
                out[o++] = 'T';
                p = r;
                continue;
            }
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}

static int lines_equal(const char *a, const char *b) {
    char na[4096], nb[4096];
    normalize_times(a, na, sizeof na);
    normalize_times(b, nb, sizeof nb);
    return strcmp(na, nb) == 0;
}

/* Does got[0..ngot) match want[0..nwant), "..." in want matching any run
 * of lines? */
static int lines_match(char **want, int nwant, char **got, int ngot) {
    if (nwant == 0)
        return ngot == 0;
    if (strcmp(want[0], "...") == 0) {
        for (int skip = 0; skip <= ngot; skip++)
            if (lines_match(want + 1, nwant - 1, got + skip, ngot - skip))
                return 1;
        return 0;
    }
    return ngot > 0 && lines_equal(want[0], got[0]) && lines_match(want + 1, nwant - 1, got + 1, ngot - 1);
}

/* Splits `text` (modified) into lines; a final newline ends the last
 * line rather than starting an empty one. */
static int split_lines(char *text, char ***out) {
    int n = 0, cap = 64;
    char **v = malloc((size_t)cap * sizeof *v);
    ck_assert_ptr_nonnull(v);
    char *p = text;
    while (*p) {
        if (n == cap) {
            cap *= 2;
            v = realloc(v, (size_t)cap * sizeof *v);
            ck_assert_ptr_nonnull(v);
        }
        v[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    *out = v;
    return n;
}

/* --- running the pages' commands ------------------------------------------------------ */

typedef struct Example {
    const char *page;
    int line;          /* of the command, from 1 */
    char *command;     /* after "$ "                */
    char *expected;    /* the lines under it, joined */
} Example;

/* Runs one command in `dir` and compares its output with the page's; a
 * difference is appended to `failures`.  Returns 1 when they match. */
static int check_example(const Example *ex, const char *dir, char **failures, size_t *flen, size_t *fcap) {
    /* "symdiff" at the start runs ./symdiff, the binary under test */
    const char *cmd = ex->command;
    if (strncmp(cmd, "./symdiff", 9) == 0)
        cmd += 2;
    char script[8192];
    int n = snprintf(script, sizeof script, "cd '%s' && { ./%s\n} 2>&1", dir, cmd);
    ck_assert_msg(n > 0 && (size_t)n < sizeof script, "%s:%d: command too long", ex->page, ex->line);
    FILE *p = popen(script, "r");
    ck_assert_ptr_nonnull(p);
    char *got = NULL, chunk[4096];
    size_t len = 0, cap = 0, k;
    buf_append(&got, &len, &cap, "", 0);
    while ((k = fread(chunk, 1, sizeof chunk, p)) > 0)
        buf_append(&got, &len, &cap, chunk, k);
    pclose(p);
    char *want_text = strdup(ex->expected), *got_text = strdup(got);
    char **want, **have;
    int nwant = split_lines(want_text, &want), nhave = split_lines(got_text, &have);
    /* blank lines at the end separate examples on the page */
    while (nwant > 0 && want[nwant - 1][0] == '\0')
        nwant--;
    while (nhave > 0 && have[nhave - 1][0] == '\0')
        nhave--;
    int ok = lines_match(want, nwant, have, nhave);
    if (!ok) {
        char head[512];
        snprintf(head, sizeof head, "\n%s:%d: $ %.400s\n--- the page shows:\n", ex->page, ex->line, ex->command);
        buf_append(failures, flen, fcap, head, strlen(head));
        buf_append(failures, flen, fcap, ex->expected, strlen(ex->expected));
        buf_append(failures, flen, fcap, "--- it prints:\n", 15);
        buf_append(failures, flen, fcap, got, strlen(got));
    }
    free(want);
    free(have);
    free(want_text);
    free(got_text);
    free(got);
    return ok;
}

/* Every command of one page; returns how many ran, counting those that
 * differ in *bad. */
static int check_page(const char *page, const char *dir, int *bad, char **failures, size_t *flen,
                      size_t *fcap) {
    char *text = read_file(page);
    ck_assert_msg(text != NULL, "cannot read %s", page);
    char **lines;
    int nlines = split_lines(text, &lines), ran = 0, in_block = 0;
    for (int i = 0; i < nlines; i++) {
        if (strncmp(lines[i], "```", 3) == 0) {
            in_block = !in_block;
            continue;
        }
        if (!in_block || (strncmp(lines[i], "$ ./symdiff ", 12) != 0 && strncmp(lines[i], "$ symdiff ", 10) != 0))
            continue;
        Example ex = {page, i + 1, lines[i] + 2, NULL};
        size_t len = 0, cap = 0;
        buf_append(&ex.expected, &len, &cap, "", 0);
        int j = i + 1;
        for (; j < nlines && strncmp(lines[j], "```", 3) != 0 && strncmp(lines[j], "$ ", 2) != 0; j++) {
            buf_append(&ex.expected, &len, &cap, lines[j], strlen(lines[j]));
            buf_append(&ex.expected, &len, &cap, "\n", 1);
        }
        *bad += !check_example(&ex, dir, failures, flen, fcap);
        free(ex.expected);
        ran++;
        i = j - 1;
    }
    free(lines);
    free(text);
    return ran;
}

START_TEST(test_documented_commands) {
    char dir[128];
    make_temp_dir(dir, sizeof dir, "docs");
    ck_assert_int_eq(sh("ln -s '%s' '%s/symdiff'", symdiff_path(), dir), 0);
    char pages[32][512];
    int npages = doc_pages(pages, 32), total = 0, bad = 0;
    char *failures = NULL;
    size_t flen = 0, fcap = 0;
    buf_append(&failures, &flen, &fcap, "", 0);
    for (int i = 0; i < npages; i++)
        total += check_page(pages[i], dir, &bad, &failures, &flen, &fcap);
    remove_tree(dir);
    if (bad)
        fprintf(stderr, "%s\n", failures); /* all of them; the message holds the first */
    ck_assert_msg(bad == 0, "%d of %d documented commands print something else:%.3000s", bad, total, failures);
    ck_assert_int_ge(total, 30); /* the pages show commands: they were found */
    free(failures);
}
END_TEST

/* The conventions themselves: "..." and times. */
START_TEST(test_matching_rules) {
    char a[] = "x\ny\nz", b[] = "x\n...\nz", c[] = "...", d[] = "x\nz", e[] = "x\n...";
    char **la, **lb, **lc, **ld, **le;
    int na = split_lines(a, &la), nb = split_lines(b, &lb), nc = split_lines(c, &lc),
        nd = split_lines(d, &ld), ne = split_lines(e, &le);
    ck_assert(lines_match(lb, nb, la, na));
    ck_assert(lines_match(lc, nc, la, na));
    ck_assert(lines_match(lb, nb, ld, nd));
    ck_assert(lines_match(le, ne, la, na));
    ck_assert(!lines_match(ld, nd, la, na));
    ck_assert(!lines_match(la, na, ld, nd));
    free(la);
    free(lb);
    free(lc);
    free(ld);
    free(le);
    ck_assert(lines_equal("parse+lower 0.000 s, differentiate 0.011 s", "parse+lower 1.250 s, differentiate 0.000 s"));
    ck_assert(!lines_equal("value = 0.5", "value = 0.25"));
    ck_assert(!lines_equal("nodes 13 s", "nodes 14 s"));
}
END_TEST

Suite *docs_suite(void); /* called by tests/runner.c */

Suite *docs_suite(void) {
    Suite *s = suite_create("docs");
    TCase *tc = tcase_create("examples");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_matching_rules);
    tcase_add_test(tc, test_documented_commands);
    suite_add_tcase(s, tc);
    return s;
}
