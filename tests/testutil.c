/* SPDX-License-Identifier: MIT */
/*
 * testutil.c — see testutil.h: the in-process helpers every suite shares
 * (testrun.c holds the ones that run the binary).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "dag.h"
#include "parse.h"
#include "strbuf.h"
#include "testutil.h"

void tu_random_bytes(SdrtRng *rng, unsigned char *out, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(sdrt_rng_next(rng) >> 56); /* the best bits of xoshiro256** */
}

/* --- text -> DAG ------------------------------------------------------------------------ */

/* The last diagnostics, in static storage (a test needs no heap left over
 * at exit, for valgrind). */
static char last_errors[16384];

const char *tu_errors(void) { return last_errors; }

int tu_compile(const char *text, Graph *g, const TuOptions *opt, Program *out) {
    static const TuOptions defaults = {0};
    if (!opt)
        opt = &defaults;
    size_t len = opt->len ? opt->len : strlen(text);
    Source src = {opt->name ? opt->name : "<expr>", text, len};
    Diag d;
    diag_init(&d, &src);
    LowerOptions lopt = {.vars = opt->vars, .nvars = opt->nvars, .defines = opt->defines,
                         .ndefines = opt->ndefines, .max_work = opt->max_work};
    memset(out, 0, sizeof *out);
    int status = compile_source(g, &d, &lopt, out);
    if (status == 0)
        last_errors[0] = '\0';
    else if (d.errors == 0)
        snprintf(last_errors, sizeof last_errors, "%s", g->failed == 2 ? "the graph is at its node limit"
                                                                       : "out of memory");
    else
        snprintf(last_errors, sizeof last_errors, "%s", sb_str(&d.out));
    diag_free(&d);
    ck_assert_msg(status == 0 || opt->may_fail, "'%.*s' does not lower:\n%s", (int)(len < 300 ? len : 300), text,
                  last_errors);
    return status;
}

Node *tu_lower(const char *text, Graph *g, const TuOptions *opt) {
    Program p;
    if (tu_compile(text, g, opt, &p) != 0)
        return NULL;
    Node *n = p.noutputs == 1 && !p.is_vector ? p.outputs[0] : NULL;
    if (!n)
        snprintf(last_errors, sizeof last_errors, "%d outputs where one was expected", p.noutputs);
    int noutputs = p.noutputs;
    program_free(&p);
    ck_assert_msg(n != NULL || (opt && opt->may_fail), "'%s' has %d outputs where one was expected", text,
                  noutputs);
    return n;
}

/* --- the syntax tree as an S-expression -------------------------------------------------- */

static void tree_kids(StrBuf *sb, const Ast *n, int from) {
    for (int i = from; i < n->nkids; i++) {
        sb_putc(sb, ' ');
        tu_tree(sb, n->kids[i]);
    }
}

/* "(head kid kid ...)" */
static void tree_list(StrBuf *sb, const char *head, const Ast *n) {
    sb_printf(sb, "(%s", head);
    tree_kids(sb, n, 0);
    sb_putc(sb, ')');
}

static void tree_bare(StrBuf *sb, const Ast *n) {
    switch (n->kind) {
    case AST_NUM:
    case AST_NAME:
        sb_puts(sb, n->text);
        break;
    case AST_CALL:
        sb_printf(sb, "(call %s", n->text);
        tree_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_NEG:
        tree_list(sb, "neg", n);
        break;
    case AST_SUM:
    case AST_PRODUCT:
        sb_puts(sb, n->kind == AST_SUM ? "(sum " : "(prod ");
        for (int i = 0; i < n->nkids; i++) {
            if (i > 0)
                sb_printf(sb, " %c ", n->ops[i] == ' ' ? '.' : n->ops[i]);
            tu_tree(sb, n->kids[i]);
        }
        sb_putc(sb, ')');
        break;
    case AST_POW:
        tree_list(sb, "^", n);
        break;
    case AST_TRANSPOSE:
        tree_list(sb, "'", n);
        break;
    case AST_INDEX:
        tree_list(sb, "index", n);
        break;
    case AST_VECTOR:
        sb_putc(sb, '[');
        for (int i = 0; i < n->nkids; i++) {
            if (i > 0)
                sb_putc(sb, ' ');
            tu_tree(sb, n->kids[i]);
        }
        sb_putc(sb, ']');
        break;
    case AST_ASSIGN:
        sb_printf(sb, "(= %s", n->text);
        tree_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_REPEAT:
        tree_list(sb, "repeat", n);
        break;
    case AST_DECL:
        sb_printf(sb, "(%s %s", (n->flags & AST_INPUT) ? "input" : "param", n->text);
        tree_kids(sb, n, 0);
        sb_putc(sb, ')');
        break;
    case AST_PROGRAM:
        if (n->nkids == 1)
            tu_tree(sb, n->kids[0]);
        else
            tree_list(sb, "program", n);
        break;
    }
}

void tu_tree(StrBuf *sb, const Ast *n) {
    if (n->flags & AST_PAREN)
        sb_putc(sb, '{');
    tree_bare(sb, n);
    if (n->flags & AST_PAREN)
        sb_putc(sb, '}');
}

/* --- names of equal hash ------------------------------------------------ */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The name made from number i: six letters picked by a fixed
 * generator, in buf[8]. */
static void letters_name(uint32_t i, char *buf) {
    uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15u + 1;
    for (int k = 0; k < 6; k++) {
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9u;
        buf[k] = (char)('a' + (x >> 40) % 26);
    }
    buf[6] = '\0';
}

int tu_equal_hash_names(char (*pairs)[16], int max) {
    enum { N = 400000 };
    uint64_t *keyed = malloc(N * sizeof *keyed); /* hash << 32 | i */
    ck_assert_ptr_nonnull(keyed);
    char name[8], other[8];
    for (uint32_t i = 0; i < N; i++) {
        letters_name(i, name);
        keyed[i] = (uint64_t)(uint32_t)graph_name_hash(name) << 32 | i;
    }
    qsort(keyed, N, sizeof *keyed, cmp_u64);
    int k = 0;
    for (int i = 1; i < N && k < max; i++)
        if (keyed[i] >> 32 == keyed[i - 1] >> 32) {
            letters_name((uint32_t)keyed[i - 1], name);
            letters_name((uint32_t)keyed[i], other);
            if (strcmp(name, other) == 0)
                continue; /* the same name twice */
            memcpy(pairs[2 * k], name, sizeof name);
            memcpy(pairs[2 * k + 1], other, sizeof other);
            k++;
        }
    free(keyed);
    return k;
}
