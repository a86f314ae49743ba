/* SPDX-License-Identifier: MIT */
/*
 * check_dist.c — what symdiff promises as a distributed tool, held against
 * the files that make the promise:
 *
 *  - every file symdiff generates opens with the statement that the code
 *    belongs to the user and carries no licence obligation, the statement
 *    of README.md: every emitter (c, forward-ad, reverse-ad) x every type x
 *    scalar, data-taking, vector and tensor programs x the extra programs
 *    (--emit-test, --emit-main train, --hessian), in files and on standard
 *    output;
 *  - `symdiff --version` is VERSION plus, in a git checkout, the commit
 *    (scripts/version.sh), and generated headers record the same string;
 *  - `--help`, the man page (man/symdiff.1.in) and README.md's option
 *    tables list the same options;
 *  - the two integration recipes README.md shows are the files of
 *    examples/make-project and examples/cmake-project, verbatim (the
 *    projects themselves are built against an installation by
 *    tests/install.sh).
 *
 * The suite runs from the top of the source tree.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "testrun.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The statement, as README.md and every generated file word it. */
static const char *const ownership[] = {"belongs to the user", "carries no licence", "obligation"};

/* Does the text open with a comment that makes the statement?  (The
 * comment's line breaks are folded into spaces first.) */
static int opens_with_notice(const char *text) {
    if (strncmp(text, "/*", 2) != 0)
        return 0;
    const char *end = strstr(text, "*/");
    if (!end)
        return 0;
    size_t n = (size_t)(end - text);
    char *c = malloc(n + 1);
    ck_assert_ptr_nonnull(c);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') {
            c[k++] = ' ';
            while (i + 1 < n && (text[i + 1] == ' ' || text[i + 1] == '*'))
                i++;
        } else {
            c[k++] = text[i];
        }
    }
    c[k] = '\0';
    int ok = 1;
    for (size_t i = 0; i < sizeof ownership / sizeof *ownership; i++)
        ok &= strstr(c, ownership[i]) != NULL;
    free(c);
    return ok;
}

static int count(const char *text, const char *what) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* --- the notice in every generated file ------------------------------------------ */

/* symdiff's arguments for one combination; `out` NULL: standard output. */
static void emit_args(const char **args, const char *program, const char *emitter,
                      const char *type, const char *const extra[2], const char *out) {
    int n = 0;
    args[n++] = "--emit";
    args[n++] = emitter;
    args[n++] = "--type";
    args[n++] = type;
    args[n++] = "--name";
    args[n++] = "k";
    for (int i = 0; i < 2 && extra[i]; i++)
        args[n++] = extra[i];
    if (out) {
        args[n++] = "-o";
        args[n++] = out;
    }
    args[n++] = program;
    args[n] = NULL;
}

START_TEST(test_notice_in_every_generated_file) {
    static const char *const programs[] = {
        "x^2*y + sin(x)",                                       /* scalar             */
        "param w; input x, y; (w*x - y)^2",                     /* data in input[]    */
        "[x*y, exp(x) + y]",                                    /* vector: Jacobian   */
        "param W[2,3], b[2]; input h[3]; sum(relu(W @ h + b))", /* tensor             */
    };
    static const char *const emitters[] = {"c", "forward-ad", "reverse-ad"};
    static const char *const types[] = {"double", "float"};
    static const char *const extras[][2] = {{NULL, NULL}, {"--emit-test", NULL},
                                            {"--emit-main", "train"}, {"--hessian", NULL}};
    static const char *const files[] = {"k.c", "k.h", "k_test.c", "k_main.c"};
    char dir[128];
    make_temp_dir(dir, sizeof dir, "dist");
    char *out = path_join(dir, "k.c");
    int generated = 0, on_stdout = 0;
    for (size_t p = 0; p < sizeof programs / sizeof *programs; p++)
        for (size_t e = 0; e < sizeof emitters / sizeof *emitters; e++)
            for (size_t t = 0; t < sizeof types / sizeof *types; t++)
                for (size_t x = 0; x < sizeof extras / sizeof *extras; x++) {
                    const char *args[16];
                    char what[256];
                    snprintf(what, sizeof what, "'%s' --emit %s --type %s %s", programs[p], emitters[e],
                             types[t], extras[x][0] ? extras[x][0] : "");
                    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
                        char *path = path_join(dir, files[f]);
                        unlink(path);
                        free(path);
                    }
                    /* to files */
                    emit_args(args, programs[p], emitters[e], types[t], extras[x], out);
                    Run r;
                    run(args, NULL, &r);
                    /* a combination symdiff does not make is a usage error */
                    ck_assert_msg(r.status == 0 || r.status == 2, "%s: status %d: %s", what, r.status, r.err);
                    int made = r.status == 0;
                    run_free(&r);
                    for (size_t f = 0; made && f < sizeof files / sizeof *files; f++) {
                        char *path = path_join(dir, files[f]);
                        char *text = read_file(path);
                        ck_assert_msg(text || f >= 2, "%s: %s was not written", what, files[f]);
                        if (text) {
                            ck_assert_msg(opens_with_notice(text), "%s: %s opens with\n%.300s", what, files[f],
                                          text);
                            ck_assert_int_eq(count(text, ownership[0]), 1);
                            generated++;
                        }
                        free(text);
                        free(path);
                    }
                    /* on standard output (no extra programs there): one
                     * text, one notice */
                    int one_text = extras[x][0] == NULL || strcmp(extras[x][0], "--hessian") == 0;
                    if (!made || !one_text)
                        continue;
                    emit_args(args, programs[p], emitters[e], types[t], extras[x], NULL);
                    run(args, NULL, &r);
                    ck_assert_msg(r.status == 0, "%s on stdout: %s", what, r.err);
                    ck_assert_msg(opens_with_notice(r.out), "%s on stdout opens with\n%.300s", what, r.out);
                    ck_assert_int_eq(count(r.out, ownership[0]), 1);
                    on_stdout++;
                    run_free(&r);
                }
    free(out);
    remove_tree(dir);
    /* the combinations that exist: scalar and vector programs with every
     * emitter, type and extra program, tensor programs with --emit c */
    ck_assert_int_ge(generated, 100);
    ck_assert_int_ge(on_stdout, 20);

    char *readme = read_file("README.md");
    ck_assert_ptr_nonnull(readme);
    for (size_t i = 0; i < sizeof ownership / sizeof *ownership; i++)
        ck_assert_msg(strstr(readme, ownership[i]), "README.md does not say '%s'", ownership[i]);
    free(readme);
}
END_TEST

/* --- the version ------------------------------------------------------------------ */

/* The first line of a command's output, without its newline ("" if none). */
static void first_line(const char *cmd, char *buf, size_t size) {
    buf[0] = '\0';
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    if (fgets(buf, (int)size, p))
        buf[strcspn(buf, "\n")] = '\0';
    pclose(p);
}

START_TEST(test_version) {
    char *number = read_file("VERSION");
    ck_assert_ptr_nonnull(number);
    number[strcspn(number, "\n")] = '\0';
    Run r;
    run(ARGS("--version"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    char version[128];
    ck_assert_msg(sscanf(r.out, "symdiff %127s", version) == 1, "%s", r.out);
    size_t n = strlen(number);
    ck_assert_msg(strncmp(version, number, n) == 0, "--version %s is not VERSION %s", version, number);
    /* VERSION alone, or VERSION+g<commit>[.dirty] */
    const char *meta = version + n;
    if (*meta) {
        ck_assert_msg(strncmp(meta, "+g", 2) == 0, "%s", version);
        const char *h = meta + 2;
        size_t hex = strspn(h, "0123456789abcdef");
        ck_assert_msg(hex >= 4 && (h[hex] == '\0' || strcmp(h + hex, ".dirty") == 0), "%s", version);
        /* the commit of this checkout when it is one */
        char head[64];
        first_line("git rev-parse --short HEAD 2>/dev/null", head, sizeof head);
        if (*head && access(".git", F_OK) == 0)
            ck_assert_msg(strncmp(h, head, strlen(head)) == 0, "--version %s, HEAD is %s", version, head);
    } else {
        ck_assert_msg(access(".git", F_OK) != 0, "a git checkout, but --version %s has no commit", version);
    }
    run_free(&r);

    /* generated headers record the same string, every emitter */
    static const char *const emitters[] = {"c", "forward-ad", "reverse-ad"};
    char expected[160];
    snprintf(expected, sizeof expected, "symdiff %s", version);
    for (size_t e = 0; e < sizeof emitters / sizeof *emitters; e++) {
        run(ARGS("--emit", emitters[e], "x^2*y"), NULL, &r);
        ck_assert_int_eq(r.status, 0);
        ck_assert_msg(strstr(r.out, expected), "--emit %s does not record '%s'", emitters[e], expected);
        run_free(&r);
    }
    run(ARGS("--emit", "c", "param W[2,2]; input x[2]; sum(W @ x)"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, expected), "tensor C does not record '%s'", expected);
    run_free(&r);
    free(number);
}
END_TEST

/* --- one list of options in --help, the man page and README.md ------------------------- */

typedef struct Names {
    char *name[96];
    int n;
} Names;

static void names_add(Names *s, const char *word, size_t len) {
    for (int i = 0; i < s->n; i++)
        if (strlen(s->name[i]) == len && strncmp(s->name[i], word, len) == 0)
            return;
    ck_assert_int_lt(s->n, 96);
    s->name[s->n++] = strndup(word, len);
}

static void names_free(Names *s) {
    for (int i = 0; i < s->n; i++)
        free(s->name[i]);
    s->n = 0;
}

/* Adds the options in `text`: "--word" and "-X" (a letter) where they start
 * a word; roff's "\-" is read as "-". */
static void scan_options(Names *s, const char *text) {
    char *t = strdup(text), *w = t;
    ck_assert_ptr_nonnull(t);
    for (const char *p = text; *p; p++) {
        if (p[0] == '\\' && p[1] == '-')
            continue;
        *w++ = *p;
    }
    *w = '\0';
    for (const char *p = t; *p; p++) {
        if (*p != '-' || (p > t && (isalnum((unsigned char)p[-1]) || p[-1] == '-')))
            continue;
        if (p[1] == '-' && isalpha((unsigned char)p[2])) {
            size_t len = 2;
            while (isalnum((unsigned char)p[len]) || (p[len] == '-' && isalpha((unsigned char)p[len + 1])))
                len++;
            names_add(s, p, len);
            p += len - 1;
        } else if (isalpha((unsigned char)p[1]) && !isalnum((unsigned char)p[2])) {
            names_add(s, p, 2);
            p++;
        }
    }
    free(t);
}

/* --help: the leading words of each option line ("  -f, --file FILE ..."). */
static void help_options(Names *s) {
    Run r;
    run(ARGS("--help"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        const char *p = line + strspn(line, " ");
        if (*p != '-' || p == line)
            continue;
        /* the option and its alias: up to two spaces (the description) */
        const char *end = strstr(p, "  ");
        char head[128];
        snprintf(head, sizeof head, "%.*s", end ? (int)(end - p) : (int)strlen(p), p);
        scan_options(s, head);
    }
    run_free(&r);
}

/* The man page: the tag line after each .TP in the OPTIONS section. */
static void man_options(Names *s, const char *path) {
    char *page = read_file(path);
    ck_assert_msg(page != NULL, "cannot read %s", path);
    int in_options = 0, tag = 0;
    for (char *line = strtok(page, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, ".SH", 3) == 0)
            in_options = strstr(line, "OPTIONS") != NULL;
        else if (in_options && strncmp(line, ".TP", 3) == 0)
            tag = 1;
        else if (tag) {
            scan_options(s, line);
            tag = 0;
        }
    }
    free(page);
}

/* README.md: the first cell of every table row between "## Using it" and
 * the next "## " heading. */
static void readme_options(Names *s) {
    char *readme = read_file("README.md");
    ck_assert_ptr_nonnull(readme);
    char *start = strstr(readme, "\n## Using it\n");
    ck_assert_msg(start != NULL, "README.md has no '## Using it' section");
    char *end = strstr(start + 1, "\n## ");
    if (end)
        *end = '\0';
    for (char *line = strtok(start, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != '|' || strncmp(line, "| ---", 5) == 0)
            continue;
        char *cell_end = strstr(line + 1, " |");
        if (!cell_end)
            continue;
        *cell_end = '\0';
        scan_options(s, line + 1);
    }
    free(readme);
}

static int names_has(const Names *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return 1;
    return 0;
}

/* Every name of `a` is in `b`. */
static void assert_subset(const Names *a, const char *an, const Names *b, const char *bn) {
    for (int i = 0; i < a->n; i++)
        ck_assert_msg(names_has(b, a->name[i]), "%s is in %s but not in %s", a->name[i], an, bn);
}

START_TEST(test_options_agree) {
    Names help = {{0}, 0}, man = {{0}, 0}, readme = {{0}, 0};
    help_options(&help);
    man_options(&man, "man/symdiff.1.in");
    readme_options(&readme);
    /* the scan finds what is there: every option getopt knows is in --help */
    ck_assert_int_gt(help.n, 35);
    ck_assert(names_has(&help, "--file") && names_has(&help, "-f") && names_has(&help, "--version"));
    assert_subset(&help, "--help", &man, "the man page");
    assert_subset(&man, "the man page", &help, "--help");
    assert_subset(&help, "--help", &readme, "README.md's option tables");
    assert_subset(&readme, "README.md's option tables", &help, "--help");
    names_free(&help);
    names_free(&man);
    names_free(&readme);
}
END_TEST

/* --- README.md's recipes are the example projects ------------------------------------ */

START_TEST(test_readme_recipes_are_the_examples) {
    static const char *const recipes[][2] = {
        {"examples/make-project/Makefile", "```make\n"},
        {"examples/cmake-project/CMakeLists.txt", "```cmake\n"},
    };
    char *readme = read_file("README.md");
    ck_assert_ptr_nonnull(readme);
    for (size_t i = 0; i < sizeof recipes / sizeof *recipes; i++) {
        char *file = read_file(recipes[i][0]);
        ck_assert_msg(file != NULL, "cannot read %s", recipes[i][0]);
        /* a fenced block holding the file and nothing else */
        size_t need = strlen(recipes[i][1]) + strlen(file) + 5;
        char *block = malloc(need);
        ck_assert_ptr_nonnull(block);
        snprintf(block, need, "%s%s```\n", recipes[i][1], file);
        ck_assert_msg(strstr(readme, block), "README.md does not show %s verbatim", recipes[i][0]);
        free(block);
        free(file);
    }
    /* and the commands that build them */
    ck_assert(strstr(readme, "make -C examples/make-project && examples/make-project/train\n"));
    ck_assert(strstr(readme, "cmake -S examples/cmake-project -B build-example && cmake --build "
                             "build-example && build-example/train\n"));
    free(readme);
}
END_TEST

Suite *dist_suite(void); /* called by tests/runner.c */
Suite *dist_suite(void) {
    Suite *s = suite_create("dist");
    TCase *tc = tcase_create("dist");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_notice_in_every_generated_file);
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_options_agree);
    tcase_add_test(tc, test_readme_recipes_are_the_examples);
    suite_add_tcase(s, tc);
    return s;
}
