/* SPDX-License-Identifier: MIT */
/*
 * repeated.c — finds the subexpressions written more than once in one
 * expression (see repeated.h): a structural hash of every subtree, the
 * subtrees sorted by hash, equal hashes confirmed by comparing the trees.
 */
#include "repeated.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Entry {
    uint64_t hash;
    const Ast *ast;
} Entry;

typedef struct Scan {
    Entry *e;
    size_t n, cap;
    int failed;
} Scan;

static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15u + (h << 6) + (h >> 2);
    return h;
}

static uint64_t text_hash(const char *s) {
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int is_operation(const Ast *a) {
    switch (a->kind) {
    case AST_CALL:
    case AST_NEG:
    case AST_SUM:
    case AST_PRODUCT:
    case AST_POW:
    case AST_TRANSPOSE:
    case AST_INDEX:
        return 1;
    default:
        return 0;
    }
}

/* The subtree's hash; records compound subtrees in the scan.  *ops counts
 * the operations in the subtree (saturating). */
static uint64_t scan(Scan *s, const Ast *a, int *ops) {
    uint64_t h = mix((uint64_t)a->kind * 0xFF51AFD7ED558CCDu, text_hash(a->text));
    int n = is_operation(a);
    for (int i = 0; i < a->nkids; i++) {
        int k = 0;
        h = mix(h, scan(s, a->kids[i], &k));
        if (a->ops && i > 0)
            h = mix(h, (unsigned char)a->ops[i]);
        n = n + k > 1000 ? 1000 : n + k;
    }
    *ops = n;
    if (n >= 2 && !s->failed) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 64;
            Entry *e = realloc(s->e, cap * sizeof *e);
            if (!e) {
                s->failed = 1;
                return h;
            }
            s->e = e;
            s->cap = cap;
        }
        s->e[s->n].hash = h;
        s->e[s->n].ast = a;
        s->n++;
    }
    return h;
}

static int same_tree(const Ast *a, const Ast *b) {
    if (a->kind != b->kind || a->nkids != b->nkids)
        return 0;
    if ((a->text || b->text) && (!a->text || !b->text || strcmp(a->text, b->text) != 0))
        return 0;
    for (int i = 0; i < a->nkids; i++) {
        if (a->ops && i > 0 && (!b->ops || a->ops[i] != b->ops[i]))
            return 0;
        if (!same_tree(a->kids[i], b->kids[i]))
            return 0;
    }
    return 1;
}

static int by_hash(const void *x, const void *y) {
    uint64_t a = ((const Entry *)x)->hash, b = ((const Entry *)y)->hash;
    return (a > b) - (a < b);
}

static size_t ptr_slot(const AstSet *set, const Ast *a) {
    uintptr_t p = (uintptr_t)a;
    size_t j = (size_t)((p >> 4) * 0x9E3779B97F4A7C15u) & (set->cap - 1);
    while (set->slot[j] && set->slot[j] != a)
        j = (j + 1) & (set->cap - 1);
    return j;
}

static int set_add(AstSet *set, const Ast *a) {
    if (2 * (set->used + 1) > set->cap) {
        AstSet bigger = {NULL, set->cap ? 2 * set->cap : 64, 0};
        bigger.slot = calloc(bigger.cap, sizeof *bigger.slot);
        if (!bigger.slot)
            return -1;
        for (size_t i = 0; i < set->cap; i++)
            if (set->slot[i])
                bigger.slot[ptr_slot(&bigger, set->slot[i])] = set->slot[i];
        bigger.used = set->used;
        free(set->slot);
        *set = bigger;
    }
    size_t j = ptr_slot(set, a);
    if (!set->slot[j]) {
        set->slot[j] = a;
        set->used++;
    }
    return 0;
}

/* One statement's expression. */
static int find_in_expression(Scan *s, const Ast *expr, AstSet *out) {
    int ops;
    s->n = 0;
    scan(s, expr, &ops);
    if (s->failed)
        return -1;
    if (s->n < 2)
        return 0; /* nothing can repeat (and qsort wants an array) */
    qsort(s->e, s->n, sizeof *s->e, by_hash);
    for (size_t i = 0; i < s->n;) {
        size_t j = i + 1;
        while (j < s->n && s->e[j].hash == s->e[i].hash)
            j++;
        /* every tree of the run equal to its first (a different tree
         * with the same 64-bit hash is left unshared: harmless) */
        int matched = 0;
        for (size_t a = i + 1; a < j; a++)
            if (same_tree(s->e[a].ast, s->e[i].ast)) {
                if (set_add(out, s->e[a].ast) != 0)
                    return -1;
                matched = 1;
            }
        if (matched && set_add(out, s->e[i].ast) != 0)
            return -1;
        i = j;
    }
    return 0;
}

static int find_in_statements(Scan *s, const Ast *block, int from, int to, AstSet *out) {
    for (int i = from; i < to; i++) {
        const Ast *st = block->kids[i];
        int r = 0;
        if (st->kind == AST_REPEAT)
            r = find_in_statements(s, st, 1, st->nkids, out);
        else if (st->kind == AST_ASSIGN)
            r = find_in_expression(s, st->kids[0], out);
        else if (st->kind != AST_DECL)
            r = find_in_expression(s, st, out);
        if (r != 0)
            return -1;
    }
    return 0;
}

int ast_find_repeated(const Ast *program, AstSet *out) {
    Scan s = {NULL, 0, 0, 0};
    int r = find_in_statements(&s, program, 0, program->nkids, out);
    free(s.e);
    return r;
}

int ast_set_has(const AstSet *set, const Ast *a) { return set->cap && set->slot[ptr_slot(set, a)] == a; }

void ast_set_free(AstSet *set) {
    free(set->slot);
    set->slot = NULL;
    set->cap = set->used = 0;
}
