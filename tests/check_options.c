/* SPDX-License-Identifier: MIT */
/*
 * check_options.c — the command line's options taken together (src/main.c),
 * run as a separate process:
 *
 *  - the list options (--vars, --wrt, --at, -D, --sweep) and their one set
 *    of rules: every malformed form of every list is a usage error;
 *  - every option given twice is a usage error (only -D repeats);
 *  - "-" is standard output for every output option, and C on standard
 *    output compiles on its own;
 *  - a file name whose extension implies a format gets that format or a
 *    usage error;
 *  - no output overwrites the input or another output: every output
 *    against the input and against every other one, with the paths spelled
 *    differently and linked, and nothing is written when one clashes.
 *
 * The options come from `symdiff --help`, so that an option added there
 * is tested here too, and the README's option tables must list the same
 * options as --help.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "testrun.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* --- running in a directory of its own ---------------------------------------- */

static int saved_cwd = -1;

/* Makes a fresh temporary directory the current one (files named in
 * arguments land there); dir_leave goes back and removes it. */
static void dir_enter(char *dir, size_t size, const char *tag) {
    (void)symdiff_path(); /* made absolute from the directory the suite runs in */
    make_temp_dir(dir, size, tag);
    saved_cwd = open(".", O_RDONLY);
    ck_assert_int_ge(saved_cwd, 0);
    ck_assert_int_eq(chdir(dir), 0);
}

static void dir_leave(const char *dir) {
    ck_assert_int_eq(fchdir(saved_cwd), 0);
    close(saved_cwd);
    remove_tree(dir);
}

/* The current directory as text: every name with its contents, sorted,
 * so that "nothing was written" is one string comparison. */
static char *dir_snapshot(void) {
    FILE *p = popen("for f in $(ls -A | sort); do echo \"== $f\"; cat \"$f\" 2>/dev/null; done", "r");
    ck_assert_ptr_nonnull(p);
    char *buf = NULL, chunk[4096];
    size_t len = 0, cap = 0, n;
    buf_append(&buf, &len, &cap, "", 0);
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        buf_append(&buf, &len, &cap, chunk, n);
    pclose(p);
    return buf;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Checks a usage error: status 2, nothing on stdout, the message on
 * stderr holding `says`, then the pointer to --help. */
static void expect_usage(const Run *r, const char *says, const char *what) {
    ck_assert_msg(r->status == 2, "%s: status %d, stderr: %s", what, r->status, r->err);
    ck_assert_msg(r->outlen == 0, "%s: wrote to stdout: %.200s", what, r->out);
    ck_assert_msg(strncmp(r->err, "symdiff: error: ", 16) == 0 && strstr(r->err, says) &&
                      strstr(r->err, "Try 'symdiff --help' for more information.\n"),
                  "%s: stderr lacks \"%s\": %s", what, says, r->err);
}

/* --- the options of --help ------------------------------------------------------ */

typedef struct OptionSet {
    char *name[64];  /* canonical: the long form       */
    char *alias[64]; /* the short form, or NULL       */
    int n;
} OptionSet;

/* The options `symdiff --help` lists: on each line the leading words that
 * start with '-' ("-f, --file FILE ..." gives -f and --file). */
static void help_options(OptionSet *set) {
    Run r;
    run(ARGS("--help"), NULL, &r);
    ck_assert_int_eq(r.status, 0);
    memset(set, 0, sizeof *set);
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        char *shrt = NULL, *lng = NULL, *p = line;
        for (;;) {
            while (*p == ' ')
                p++;
            if (*p != '-')
                break;
            size_t n = strcspn(p, " ,");
            char *word = strndup(p, n);
            if (word[1] == '-') {
                free(lng);
                lng = word;
            } else {
                free(shrt);
                shrt = word;
            }
            p += n;
            if (*p == ',')
                p++;
        }
        if (!lng) { /* "  -o NAME.c  ..." repeats an option listed with its long form */
            free(shrt);
            continue;
        }
        int known = 0;
        for (int i = 0; i < set->n; i++)
            known |= strcmp(set->name[i], lng) == 0;
        if (known || set->n == 64) {
            free(lng);
            free(shrt);
            continue;
        }
        set->alias[set->n] = shrt;
        set->name[set->n++] = lng;
    }
    run_free(&r);
    ck_assert_int_gt(set->n, 30);
}

static void option_set_free(OptionSet *set) {
    for (int i = 0; i < set->n; i++) {
        free(set->name[i]);
        free(set->alias[i]);
    }
}

/* --- the README's option tables list what --help lists ----------------------------- */

/* The options of the README's tables ("| option | meaning |"): the
 * leading word of every `code` span of a row's first cell that starts
 * with '-', short forms turned into long ones by `set`'s aliases. */
static int readme_options(const OptionSet *set, char names[][32], int max) {
    char *text = read_file("README.md"); /* the suite runs from the repository's root */
    ck_assert_msg(text != NULL, "cannot read README.md");
    int n = 0, in_table = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| option | meaning |", 20) == 0) {
            in_table = 1;
            continue;
        }
        if (line[0] != '|') {
            in_table = 0;
            continue;
        }
        if (!in_table)
            continue;
        char *end = strstr(line + 1, " | "); /* the first cell; '\|' inside code is escaped */
        while (end && end[-1] == '\\')
            end = strstr(end + 1, " | ");
        for (char *p = line; end && (p = strchr(p, '`')) != NULL && p < end;) {
            char *close = strchr(p + 1, '`');
            ck_assert_ptr_nonnull(close);
            if (p[1] == '-') {
                size_t len = strcspn(p + 1, " `=\\[");
                char word[32];
                snprintf(word, sizeof word, "%.*s", (int)len, p + 1);
                for (int i = 0; i < set->n; i++)
                    if (set->alias[i] && strcmp(set->alias[i], word) == 0)
                        snprintf(word, sizeof word, "%s", set->name[i]);
                int known = 0;
                for (int i = 0; i < n; i++)
                    known |= strcmp(names[i], word) == 0;
                if (!known && n < max)
                    snprintf(names[n++], 32, "%s", word);
            }
            p = close + 1;
        }
    }
    free(text);
    return n;
}

START_TEST(test_readme_lists_help) {
    OptionSet set;
    help_options(&set);
    char names[80][32];
    int n = readme_options(&set, names, 80);
    for (int i = 0; i < set.n; i++) {
        int found = 0;
        for (int k = 0; k < n; k++)
            found |= strcmp(names[k], set.name[i]) == 0;
        ck_assert_msg(found, "%s is in --help but not in the README's option tables", set.name[i]);
    }
    for (int k = 0; k < n; k++) {
        int found = 0;
        for (int i = 0; i < set.n; i++)
            found |= strcmp(names[k], set.name[i]) == 0;
        ck_assert_msg(found, "%s is in the README's option tables but not in --help", names[k]);
    }
    ck_assert_int_eq(n, set.n);
    option_set_free(&set);
}
END_TEST

/* --- lists: one set of rules for every list option --------------------------------- */

typedef struct ListOption {
    const char *option;  /* as typed                               */
    const char *label;   /* as messages name it                    */
    int values;          /* NAME=VALUE items                        */
    const char *value;   /* a well-formed VALUE                     */
    int one;             /* takes exactly one item                  */
    const char *program;
} ListOption;

static const ListOption list_options[] = {
    {"--vars", "--vars", 0, NULL, 0, "x*y"},
    {"--wrt", "--wrt", 0, NULL, 0, "x*y"},
    {"--at", "--at", 1, "1", 0, "x*y"},
    {"--at", "--at", 1, "[1, 2]", 0, "param x[2], y[2]; sum(x*y)"},
    {"-D", "--define", 1, "1", 0, "x*y"},
    {"--sweep", "--sweep", 1, "1..3", 1, "l = z; repeat x { l = l*l } l"},
};

/* Malformed lists, written with NAME for a name and V for the value. */
static const char *const malformed_names[] = {
    "", " ", ",", "x,,y", "x,y,", ",x", "x, ,y", "x,x", "x , x", "1x", "x y", "x-y", "x.y",
    "x=1", "x,[y]", "x,y=",
};
static const char *const malformed_values[] = {
    "", " ", ",", "x=V,,y=V", "x=V,", ",x=V", "x=V,x=V", "x = V , x=V", "x", "=V", "x=",
    "1x=V", "x y=V", "x=abc", "x=V=V", "x=V;y=V", "x=nan", "x=inf", "x=[V", "x=V]",
};

/* `form` with every V replaced by `value`. */
static char *fill(const char *form, const char *value) {
    char *out = NULL;
    size_t len = 0, cap = 0;
    buf_append(&out, &len, &cap, "", 0);
    for (; *form; form++)
        if (*form == 'V')
            buf_append(&out, &len, &cap, value, strlen(value));
        else
            buf_append(&out, &len, &cap, form, 1);
    return out;
}

START_TEST(test_list_malformed) {
    const ListOption *lo = &list_options[_i];
    const char *const *forms = lo->values ? malformed_values : malformed_names;
    size_t nforms = lo->values ? sizeof malformed_values / sizeof *malformed_values
                               : sizeof malformed_names / sizeof *malformed_names;
    for (size_t k = 0; k < nforms + (size_t)lo->one; k++) {
        /* an option of one item also refuses two */
        char *text = k < nforms ? fill(forms[k], lo->value ? lo->value : "") : fill("x=V,y=V", lo->value);
        Run r;
        run(ARGS(lo->option, text, lo->program), NULL, &r);
        char what[256];
        snprintf(what, sizeof what, "%s '%s'", lo->option, text);
        expect_usage(&r, lo->label, what);
        run_free(&r);
        free(text);
    }
}
END_TEST

/* Blanks around items and around '=' do not matter; commas inside
 * brackets do not split; -D's items add up, one -D or several. */
START_TEST(test_list_forms) {
    static const char *const same[][2][6] = {
        {{"--at", "x=1,y=2", "x*y^2"}, {"--at", " x = 1 ,\ty=2 ", "x*y^2"}},
        {{"--vars", "y,x", "x*y^2"}, {"--vars", "y , x", "x*y^2"}},
        {{"--wrt", "x", "x*y^2"}, {"--wrt", " x", "x*y^2"}},
        {{"-D", "a=2,b=3", "a*x^b"}, {"-D", "a=2", "-D", "b = 3", "a*x^b"}},
        {{"--at", "W=[[1,2],[3,4]],v=[1,0]", "param W[2,2], v[2]; sum(W @ v)"},
         {"--at", "W = [[1, 2], [3, 4]] , v=[ 1 , 0 ]", "param W[2,2], v[2]; sum(W @ v)"}},
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        Run a, b;
        run(same[i][0], NULL, &a);
        run(same[i][1], NULL, &b);
        ck_assert_msg(a.status == 0 && a.outlen > 0, "case %zu: %s", i, a.err);
        ck_assert_int_eq(b.status, 0);
        ck_assert_str_eq(a.out, b.out);
        run_free(&a);
        run_free(&b);
    }
    /* -D binds a name once, across all its occurrences; --sweep's name is
     * not also a -D */
    Run r;
    run(ARGS("-D", "a=1", "-D", "b=2,a=3", "a*x + b"), NULL, &r);
    expect_usage(&r, "--define: 'a' is given twice", "-D a twice");
    run_free(&r);
    run(ARGS("-D", "n=2", "--sweep", "n=1..3", "l = x; repeat n { l = l*l } l"), NULL, &r);
    expect_usage(&r, "'n' is also given with -D", "--sweep and -D");
    run_free(&r);
}
END_TEST

/* --- every option given twice --------------------------------------------------------- */

/* A well-formed value for each option that takes one (NULL: a flag). */
static const struct {
    const char *option;
    const char *value;
} option_values[] = {
    {"--file", "prog.sd"},  {"--output", "out.txt"}, {"--define", "a=1"},    {"--vars", "x"},
    {"--wrt", "x"},         {"--at", "x=1"},         {"--hessian", NULL},    {"--order", "2"},
    {"--simplify", NULL},   {"--expand", NULL},      {"--together", NULL},   {"--check", NULL},      {"--tol", "1e-6"},
    {"--samples", "5"},     {"--seed", "3"},         {"--mode", "forward"},  {"--kink", "0.5"},
    {"--emit", "c"},        {"--name", "g"},         {"--type", "float"},    {"--unroll", NULL},
    {"--emit-test", NULL},  {"--emit-main", "train"}, {"--swell", NULL},     {"--sweep", "n=1..2"},
    {"--plot", "s.svg"},    {"--dot", "g.dot"},      {"--dot-tree", "t.dot"}, {"--trace", NULL},
    {"--factor", NULL},     {"--demo", "pitfalls"},  {"--json", NULL},       {"--latex", NULL},
    {"--print", NULL},      {"--dump", "lower"},     {"--stats", NULL},       {"--max-nodes", "1000"}, {"--help", NULL},
    {"--version", NULL},    {"--plot-title", "T"},   {"--plot-size", "1280x720"},
    {"--dot-shared-constants", NULL}, {"--blas", "cblas"},
};

START_TEST(test_repeated_options) {
    char dir[128];
    dir_enter(dir, sizeof dir, "options");
    write_file("prog.sd", "x^2");
    char *before = dir_snapshot();
    OptionSet set;
    help_options(&set);
    for (int i = 0; i < set.n; i++) {
        const char *name = set.name[i];
        int found = -1;
        for (size_t k = 0; k < sizeof option_values / sizeof *option_values; k++)
            if (strcmp(option_values[k].option, name) == 0)
                found = (int)k;
        ck_assert_msg(found >= 0, "%s (from --help) has no value in option_values", name);
        if (strcmp(name, "--help") == 0 || strcmp(name, "--version") == 0)
            continue; /* they act at once and stop */
        const char *v = option_values[found].value;
        if (strcmp(name, "--define") == 0) {
            /* the one option that repeats: each -D binds other names */
            Run r;
            run(ARGS("-D", "a=1", "--define", "b=2", "a*x + b"), NULL, &r);
            ck_assert_msg(r.status == 0, "-D twice: %s", r.err);
            ck_assert_str_eq(r.out, "1\n");
            run_free(&r);
            continue;
        }
        /* long and long, then short and long, as the user may write them */
        for (int form = 0; form < (set.alias[i] ? 2 : 1); form++) {
            const char *first = form ? set.alias[i] : name;
            const char *args[8];
            int n = 0;
            args[n++] = first;
            if (v)
                args[n++] = v;
            args[n++] = name;
            if (v)
                args[n++] = v;
            args[n++] = "x";
            args[n] = NULL;
            Run r;
            run(args, NULL, &r);
            char what[128];
            snprintf(what, sizeof what, "%s given twice", first);
            expect_usage(&r, "is given twice", what);
            ck_assert_msg(strstr(r.err, name) != NULL, "%s: %s", what, r.err);
            run_free(&r);
        }
    }
    option_set_free(&set);
    char *after = dir_snapshot();
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    dir_leave(dir);
}
END_TEST

/* --- "-o -": standard output, for every kind of output --------------------------------- */

#define TENSOR_PROGRAM "param W[2,3], b[2]; input v[3]; sum(tanh(W @ v + b)^2)"

static const char *const output_kinds[][6] = {
    {"x^2*sin(y)"},
    {"--json", "--at", "x=1,y=2", "x*y^2"},
    {"--latex", "x^2*ln(x)"},
    {"--simplify", "x + x"},
    {"--at", "x=0.5", "sigmoid(x)"},
    {"--hessian", "x^2*y"},
    {"--order", "2", "x^5"},
    {"--expand", "(1 + x)^4"},
    {"--together", "x/(1 + x^2)"},
    {"[x*y, x + y]"},
    {TENSOR_PROGRAM},
    {"--at", "W=[[1,2,3],[4,5,6]], b=[0,1], v=[1,0,-1]", TENSOR_PROGRAM},
    {"--swell", "x^2*ln(x)"},
    {"--sweep", "n=1..3", "l = x; repeat n { l = 4*l*(1-l) } l"},
    {"--trace", "sin(x^2)"},
    {"--factor", "x^3 - x"},
    {"--demo", "baydin=2"},
    {"--demo", "pitfalls"},
    {"--print", "x + 2 y"},
    {"--check", "sin(x)*exp(y)"},
    {"--emit", "c", "x^2*sin(y)"},
    {"--emit", "forward-ad", "x^2*sin(y)"},
    {"--emit", "reverse-ad", "x^2*sin(y)"},
    {"--emit", "c", TENSOR_PROGRAM},
};
#define NKINDS ((int)(sizeof output_kinds / sizeof *output_kinds))

/* `s` without every "-o - " (the command line quoted in C headers). */
static char *without_dash_o(const char *s) {
    char *out = strdup(s), *p;
    while ((p = strstr(out, "-o - ")) != NULL)
        memmove(p, p + 5, strlen(p + 5) + 1);
    return out;
}

START_TEST(test_dash_is_stdout) {
    char dir[128];
    dir_enter(dir, sizeof dir, "dash");
    const char *const *kind = output_kinds[_i];
    const char *args[10] = {"-o", "-"};
    int n = 2;
    for (int k = 0; k < 6 && kind[k]; k++)
        args[n++] = kind[k];
    args[n] = NULL;
    Run plain, dash;
    run(kind, NULL, &plain);
    run(args, NULL, &dash);
    ck_assert_msg(plain.status == 0 || plain.status == 3, "%s: %s", kind[0], plain.err);
    ck_assert_int_eq(dash.status, plain.status);
    ck_assert_msg(plain.outlen > 0, "%s: nothing printed", kind[0]);
    char *dash_out = without_dash_o(dash.out);
    ck_assert_str_eq(dash_out, plain.out);
    ck_assert_str_eq(dash.err, plain.err);
    free(dash_out);
    run_free(&plain);
    run_free(&dash);
    /* nothing named "-", "-.h" or anything else */
    char *snap = dir_snapshot();
    ck_assert_str_eq(snap, "");
    free(snap);
    dir_leave(dir);
}
END_TEST

/* --dot -, --dot-tree - and --plot -: the picture on stdout, byte for byte
 * what the file would hold, and the result in the file -o names. */
START_TEST(test_dash_pictures) {
    static const char *const cases[][3] = {
        {"--dot", "g.dot", "x^2*ln(x)"},
        {"--dot-tree", "t.gv", "x^2*ln(x)"},
        {"--plot", "s.svg", "l = x; repeat n { l = l*l } l"},
    };
    char dir[128];
    dir_enter(dir, sizeof dir, "dash");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *opt = cases[i][0], *file = cases[i][1], *prog = cases[i][2];
        /* --plot draws a --sweep; the others picture a derivative */
        int k = strcmp(opt, "--plot") == 0 ? 0 : 2;
        const char *to_file[] = {"--sweep", "n=1..3", opt, file, prog, NULL};
        const char *to_stdout[] = {"--sweep", "n=1..3", opt, "-", "-o", "r.txt", prog, NULL};
        Run a, b;
        run(to_file + k, NULL, &a);
        run(to_stdout + k, NULL, &b);
        ck_assert_msg(a.status == 0 && b.status == 0, "%s: %s%s", opt, a.err, b.err);
        char *picture = read_file(file), *result = read_file("r.txt");
        ck_assert_str_eq(b.out, picture);
        ck_assert_str_eq(result, a.out);
        free(picture);
        free(result);
        run_free(&a);
        run_free(&b);
    }
    dir_leave(dir);
}
END_TEST

/* --- C on standard output compiles on its own ------------------------------------------- */

START_TEST(test_stdout_c_compiles) {
    static const char *const programs[] = {
        "x^2*sin(y) + softplus(x*y)",
        "[x*y, exp(x) - y, relu(x - y)]",
        "param a, b; input t; (a*t + b - sigmoid(t))^2",
        TENSOR_PROGRAM,
        "param W[3,2]; input v[2]; softmax(W @ v)",
    };
    static const char *const variants[][4] = {
        {"--emit", "c"},
        {"--emit", "c", "--type", "float"},
        {"--emit", "c", "--hessian"},
        {"--emit", "forward-ad"},
        {"--emit", "reverse-ad"},
        {"--emit", "c", "--unroll"},
    };
    char dir[128];
    dir_enter(dir, sizeof dir, "cstdout");
    int files = 0;
    for (size_t p = 0; p < sizeof programs / sizeof *programs; p++)
        for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
            const char *args[10];
            int n = 0;
            for (int k = 0; k < 4 && variants[v][k]; k++)
                args[n++] = variants[v][k];
            args[n++] = "-o";
            args[n++] = "-";
            args[n++] = programs[p];
            args[n] = NULL;
            Run r;
            run(args, NULL, &r);
            if (r.status == 2) { /* an emitter or option this program does not take */
                ck_assert_ptr_nonnull(strstr(r.err, "symdiff: error: "));
                run_free(&r);
                continue;
            }
            ck_assert_msg(r.status == 0, "program %zu variant %zu: %s", p, v, r.err);
            ck_assert_msg(strstr(r.out, "#include \"") == NULL, "program %zu variant %zu includes a file",
                          p, v);
            char name[32];
            snprintf(name, sizeof name, "k%zu_%zu.c", p, v);
            write_file(name, r.out);
            files++;
            run_free(&r);
        }
    ck_assert_int_ge(files, 20);
    static const char *const compilers[] = {"cc", "clang"};
    for (size_t c = 0; c < sizeof compilers / sizeof *compilers; c++) {
        if (!have_compiler(compilers[c]))
            continue;
        int st = sh("%s -std=c99 -Wall -Wextra -Wpedantic -Werror -Wdouble-promotion -c k*.c 2> cc.log",
                    compilers[c]);
        if (st != 0) {
            char *log = read_file("cc.log");
            ck_abort_msg("%s: generated C on stdout does not compile:\n%.3000s", compilers[c], log);
        }
        sh("rm -f k*.o cc.log");
    }
    dir_leave(dir);
}
END_TEST

/* --- file names that imply a format ------------------------------------------------------- */

typedef struct NamedFormat {
    const char *option;
    const char *path;
    int accepted;
    const char *starts; /* what an accepted file starts with */
} NamedFormat;

static const NamedFormat named_formats[] = {
    {"--plot", "s.svg", 1, "<svg"},   {"--plot", "S.SVG", 1, "<svg"},   {"--plot", "s.png", 0, NULL},
    {"--plot", "s.pdf", 0, NULL},     {"--plot", "s", 0, NULL},         {"--plot", "s.svg.png", 0, NULL},
    {"--plot", ".svg", 0, NULL},      {"--dot", "g.dot", 1, "digraph"}, {"--dot", "g.gv", 1, "digraph"},
    {"--dot", "G.DOT", 1, "digraph"}, {"--dot", "g.png", 0, NULL},      {"--dot", "g.svg", 0, NULL},
    {"--dot", "g", 0, NULL},          {"--dot-tree", "t.dot", 1, "digraph"},
    {"--dot-tree", "t.gv", 1, "digraph"}, {"--dot-tree", "t.pdf", 0, NULL},
    {"-o", "k.h", 0, NULL}, /* with C output: the header's name is derived */
};

START_TEST(test_named_formats) {
    const NamedFormat *f = &named_formats[_i];
    char dir[128];
    dir_enter(dir, sizeof dir, "formats");
    Run r;
    if (strcmp(f->option, "--plot") == 0)
        run(ARGS("--sweep", "n=1..3", f->option, f->path, "l = x; repeat n { l = l*l } l"), NULL, &r);
    else if (strcmp(f->option, "-o") == 0)
        run(ARGS("--emit", "c", f->option, f->path, "x^2"), NULL, &r);
    else
        run(ARGS(f->option, f->path, "x^2*ln(x)"), NULL, &r);
    if (f->accepted) {
        ck_assert_msg(r.status == 0, "%s %s: %s", f->option, f->path, r.err);
        char *text = read_file(f->path);
        ck_assert_ptr_nonnull(text);
        ck_assert_msg(strstr(text, f->starts) != NULL && strstr(text, f->starts) - text < 64,
                      "%s %s: %.80s", f->option, f->path, text);
        free(text);
    } else {
        expect_usage(&r, f->option, f->path);
        char *snap = dir_snapshot();
        ck_assert_str_eq(snap, "");
        free(snap);
    }
    run_free(&r);
    dir_leave(dir);
}
END_TEST

/* --- outputs that are the input or one another ------------------------------------------- */

typedef struct Clash {
    const char *input;   /* the program file to create (NULL: none)  */
    const char *args[12];
    const char *says;
} Clash;

#define LMAP "l = x; repeat n { l = 4*l*(1-l) } l"

static const Clash clashes[] = {
    /* every output named as the input file (-f) */
    {"p.txt", {"-f", "p.txt", "-o", "p.txt"}, "-o 'p.txt' is the input file"},
    {"k.c", {"-f", "k.c", "-o", "k.c"}, "-o 'k.c' is the input file"},
    {"k.h", {"-f", "k.h", "-o", "k.c"}, "the header of -o 'k.h' is the input file"},
    {"k.h", {"-f", "k.h", "--emit", "c", "-o", "k"}, "the header of -o 'k.h' is the input file"},
    {"k_test.c", {"-f", "k_test.c", "-o", "k.c", "--emit-test"}, "the test program of --emit-test 'k_test.c'"},
    {"k_main.c", {"-f", "k_main.c", "-o", "k.c", "--emit-main", "train"}, "--emit-main 'k_main.c'"},
    {"g.dot", {"-f", "g.dot", "--dot", "g.dot"}, "--dot 'g.dot' is the input file"},
    {"g.gv", {"-f", "g.gv", "--dot-tree", "g.gv"}, "--dot-tree 'g.gv' is the input file"},
    {"s.svg", {"-f", "s.svg", "--sweep", "n=1..2", "--plot", "s.svg"}, "--plot 's.svg' is the input file"},
    /* the same file spelled differently, or linked */
    {"k.h", {"-f", "./k.h", "-o", "k.c"}, "is the input file"},
    {"k.h", {"-f", "sub/../k.h", "-o", "./k.c"}, "is the input file"},
    {"k.h", {"-f", "k.h", "-o", "sub/../k.c"}, "is the input file"},
    {"k.h", {"-f", "k.h", "-o", "hard.c"}, "is the input file"},  /* hard.h: a hard link to k.h */
    {"k.h", {"-f", "k.h", "-o", "soft.c"}, "is the input file"},  /* soft.h: a symbolic link to k.h */
    {"k.h", {"-f", "soft.h", "-o", "k.c"}, "is the input file"},  /* the input read through the link */
    /* two outputs that are one file */
    {NULL, {"-o", "g.dot", "--dot", "g.dot", "x^2"}, "-o 'g.dot' and --dot 'g.dot' are the same file"},
    {NULL, {"-o", "g.dot", "--dot-tree", "./g.dot", "x^2"}, "are the same file"},
    {NULL, {"--dot", "g.dot", "--dot-tree", "g.dot", "x^2"}, "--dot 'g.dot' and --dot-tree 'g.dot'"},
    {NULL, {"--dot", "sub/../g.gv", "--dot-tree", "g.gv", "x^2"}, "are the same file"},
    {NULL, {"-o", "s.svg", "--sweep", "n=1..2", "--plot", "s.svg", LMAP}, "are the same file"},
    {NULL, {"--emit", "c", "-o", "g.dot", "--dot", "g.dot", "x^2"}, "-o 'g.dot' and --dot 'g.dot'"},
    {NULL, {"-o", "k_test.c", "--emit-test", "--dot", "k_test_test.gv", "x^2"}, NULL}, /* no clash */
    {NULL, {"-o", "x.c", "--dot", "hard.dot", "x^2"}, NULL},                            /* no clash */
    {NULL, {"-o", "out.txt", "--dot", "soft.dot", "x^2"}, "are the same file"},  /* soft.dot -> out.txt */
    {NULL, {"-o", "hard.txt", "--dot", "hard.dot", "x^2"}, "are the same file"}, /* hard links */
    /* two outputs to standard output */
    {NULL, {"--dot", "-", "x^2"}, "both go to standard output"},
    {NULL, {"-o", "-", "--dot-tree", "-", "x^2"}, "both go to standard output"},
    {NULL, {"-o", "r.txt", "--dot", "-", "--dot-tree", "-", "x^2"}, "both go to standard output"},
    {NULL, {"-o", "r.txt", "--sweep", "n=1..2", "--plot", "-", "--dot", "-", LMAP}, "both go to standard output"},
};

START_TEST(test_outputs_distinct) {
    const Clash *c = &clashes[_i];
    char dir[128];
    dir_enter(dir, sizeof dir, "clash");
    ck_assert_int_eq(mkdir("sub", 0755), 0);
    if (c->input)
        write_file(c->input, "x^2\n");
    else
        write_file("out.txt", "previous\n");
    /* other names for the same files */
    if (c->input) {
        ck_assert_int_eq(link(c->input, "hard.h"), 0);
        ck_assert_int_eq(symlink(c->input, "soft.h"), 0);
    } else {
        ck_assert_int_eq(symlink("out.txt", "soft.dot"), 0);
        write_file("hard.txt", "previous\n");
        ck_assert_int_eq(link("hard.txt", "hard.dot"), 0);
    }
    char *before = dir_snapshot();
    Run r;
    run(c->args, NULL, &r);
    if (c->says) {
        expect_usage(&r, c->says, c->args[1]);
        char *after = dir_snapshot();
        ck_assert_msg(strcmp(before, after) == 0, "case %d: files changed:\n%s\n--- was:\n%s", _i, after, before);
        free(after);
    } else {
        ck_assert_msg(r.status == 0, "case %d: %s", _i, r.err);
    }
    run_free(&r);
    free(before);
    dir_leave(dir);
}
END_TEST

/* Standard output redirected to a file is that file: an output option
 * naming it too is refused (the shell has emptied it already, but the
 * run must not replace it and lose the result). */
START_TEST(test_stdout_is_a_file) {
    char dir[128];
    dir_enter(dir, sizeof dir, "stdoutfile");
    ck_assert_int_eq(sh("'%s' --dot g.dot 'x^2' > g.dot 2> err.txt", symdiff_path()), 2);
    char *err = read_file("err.txt");
    ck_assert_msg(strstr(err, "both go to standard output") != NULL, "%s", err);
    free(err);
    /* nothing goes to standard output: no clash */
    ck_assert_int_eq(sh("'%s' -o r.txt --dot g.dot 'x^2' > g.dot", symdiff_path()), 0);
    char *g = read_file("g.dot");
    ck_assert_ptr_nonnull(strstr(g, "digraph"));
    free(g);
    ck_assert_int_eq(sh("'%s' --dot g.dot 'x^2' > r.txt", symdiff_path()), 0);
    char *r = read_file("r.txt");
    ck_assert_str_eq(r, "2*x\n");
    free(r);
    dir_leave(dir);
}
END_TEST

/* Every output of one run is a file of its own: the C files derived from
 * -o and the pictures all appear, none written over another. */
START_TEST(test_outputs_all_written) {
    char dir[128];
    dir_enter(dir, sizeof dir, "outputs");
    Run r;
    run(ARGS("-o", "k.c", "--emit-test", "--dot", "k.dot", "--dot-tree", "k_tree.gv", "x^2*ln(x)"), NULL, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    run_free(&r);
    static const char *const files[][2] = {
        {"k.c", "#include \"k.h\""}, {"k.h", "#ifndef"}, {"k_test.c", "int main"},
        {"k.dot", "digraph"},        {"k_tree.gv", "digraph"},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *text = read_file(files[i][0]);
        ck_assert_msg(text && strstr(text, files[i][1]), "%s lacks %s", files[i][0], files[i][1]);
        free(text);
    }
    ck_assert(!file_exists("k.h.h"));
    dir_leave(dir);
}
END_TEST

Suite *options_suite(void); /* called by tests/runner.c */

Suite *options_suite(void) {
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("lists");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_list_malformed, 0, (int)(sizeof list_options / sizeof *list_options));
    tcase_add_test(tc, test_list_forms);
    tcase_add_test(tc, test_repeated_options);
    tcase_add_test(tc, test_readme_lists_help);
    suite_add_tcase(s, tc);

    tc = tcase_create("outputs");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_dash_is_stdout, 0, NKINDS);
    tcase_add_test(tc, test_dash_pictures);
    tcase_add_test(tc, test_stdout_c_compiles);
    tcase_add_loop_test(tc, test_named_formats, 0, (int)(sizeof named_formats / sizeof *named_formats));
    tcase_add_loop_test(tc, test_outputs_distinct, 0, (int)(sizeof clashes / sizeof *clashes));
    tcase_add_test(tc, test_outputs_all_written);
    tcase_add_test(tc, test_stdout_is_a_file);
    suite_add_tcase(s, tc);
    return s;
}
