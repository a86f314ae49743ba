/* SPDX-License-Identifier: MIT */
/*
 * ast.c — AST nodes: allocation in an arena, and printing back to source.
 *
 * The parser makes nodes with ast_new/ast_push/ast_set_text; nodes, their
 * texts and kids arrays are carved from the AstArena's blocks and
 * ast_arena_free releases them all at once, so no other code frees a node.
 * Allocation failures never abort: ast_new returns NULL, ast_push leaves
 * the node unchanged (nkids does not grow), ast_set_text leaves the old
 * text; callers check.
 *
 * ast_print writes source syntax that parses back to the same tree:
 * parentheses where the parser saw them (AST_PAREN), plus wherever a tree
 * built by other code would otherwise read differently.
 */
#include "ast.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* One block of the arena: its bytes follow the header. */
struct AstBlock {
    AstBlock *next;
    size_t used, size;
    union {
        void *p;
        double d;
        long long l;
    } bytes[]; /* aligned for any node or pointer array */
};

enum { BLOCK_FIRST = 4096, BLOCK_LARGEST = 1 << 20, ALIGN = sizeof(((AstBlock *)0)->bytes[0]) };

/* n bytes from the arena (aligned), or NULL.  A block holds many
 * requests; one larger than a quarter of the next block's size gets a
 * block of its own, so that the space left in the current one is not
 * given up for it. */
static void *arena_alloc(AstArena *arena, size_t n) {
    n = (n + ALIGN - 1) / ALIGN * ALIGN;
    AstBlock *b = arena->blocks;
    if (b && b->size - b->used >= n) {
        void *p = (char *)b->bytes + b->used;
        b->used += n;
        return p;
    }
    size_t size = b ? (b->size < BLOCK_LARGEST ? 2 * b->size : b->size) : BLOCK_FIRST;
    int own = n > size / 4;
    if (own)
        size = n;
    if (size > ((size_t)-1) - sizeof(AstBlock))
        return NULL;
    AstBlock *nb = malloc(sizeof(AstBlock) + size);
    if (!nb)
        return NULL;
    nb->size = size;
    nb->used = n;
    if (own && b) { /* behind the current block, which keeps its space */
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        arena->blocks = nb;
    }
    return nb->bytes;
}

Ast *ast_new(AstArena *arena, AstKind kind, Loc loc) {
    Ast *n = arena_alloc(arena, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->loc = loc;
    n->name_loc = loc;
    n->depth = 1;
    return n;
}

/* Kids arrays have no capacity field: the capacity is implied by the count
 * (4, then powers of two), so growth happens exactly when nkids reaches it.
 * A grown array is a new one in the arena (the old one stays there until
 * the arena goes): the sizes double, so all of a node's arrays together
 * take less than twice the last one, and a flat sum of n terms costs
 * O(n), not O(n^2). */
static int needs_growth(int n) { return n == 0 || (n >= 4 && (n & (n - 1)) == 0); }

static int has_ops(const Ast *n) { return n->kind == AST_SUM || n->kind == AST_PRODUCT; }

/* The operator stored with the first kid of a SUM/PRODUCT is '+' or '*' by
 * the parser's convention (ops[0] joins nothing). */
void ast_push(AstArena *arena, Ast *parent, Ast *kid, char op) {
    if (!parent || !kid)
        return;
    int n = parent->nkids;
    if (needs_growth(n)) {
        if (n > INT_MAX / 2)
            return;
        size_t cap = n == 0 ? 4 : 2 * (size_t)n;
        Ast **kids = arena_alloc(arena, cap * sizeof *kids);
        char *ops = has_ops(parent) || parent->ops ? arena_alloc(arena, cap) : NULL;
        if (!kids || (!ops && (has_ops(parent) || parent->ops)))
            return; /* nkids did not grow: consistent */
        if (n)
            memcpy(kids, parent->kids, (size_t)n * sizeof *kids);
        parent->kids = kids;
        if (ops) {
            if (n)
                memcpy(ops, parent->ops, (size_t)n);
            parent->ops = ops;
        }
    }
    parent->kids[n] = kid;
    if (parent->ops)
        parent->ops[n] = op;
    parent->nkids = n + 1;
    if (kid->depth + 1 > parent->depth)
        parent->depth = kid->depth + 1;
}

void ast_set_text(AstArena *arena, Ast *node, const char *text, size_t len) {
    char *copy = len < ((size_t)-1) ? arena_alloc(arena, len + 1) : NULL;
    if (!copy)
        return;
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    node->text = copy;
}

void ast_arena_free(AstArena *arena) {
    AstBlock *b = arena->blocks;
    while (b) {
        AstBlock *next = b->next;
        free(b);
        b = next;
    }
    arena->blocks = NULL;
}

/* ---- printing ------------------------------------------------------------ */

/* Binding levels, loosest first; a node printed where a level of at least
 * `need` is required gets parentheses when its own level is lower. */
enum { LV_SUM = 1, LV_PRODUCT, LV_UNARY, LV_POWER, LV_POSTFIX, LV_PRIMARY };

static int level(const Ast *n) {
    switch (n->kind) {
    case AST_SUM:
        return LV_SUM;
    case AST_PRODUCT:
        return LV_PRODUCT;
    case AST_NEG:
        return LV_UNARY;
    case AST_POW:
        return LV_POWER;
    case AST_TRANSPOSE:
    case AST_INDEX:
        return LV_POSTFIX;
    default:
        return LV_PRIMARY;
    }
}

/* Whether the printed form of n starts with a name, a call or '(' — what a
 * juxtaposed factor must start with. */
static int starts_juxtaposable(const Ast *n) {
    if (n->flags & AST_PAREN)
        return 1;
    switch (n->kind) {
    case AST_NAME:
    case AST_CALL:
        return 1;
    case AST_POW:
    case AST_TRANSPOSE:
    case AST_INDEX:
        /* The base comes first; it starts with '(' when it needs them. */
        return n->nkids > 0 &&
               (level(n->kids[0]) < LV_POSTFIX || starts_juxtaposable(n->kids[0]));
    default:
        return 0;
    }
}

static void print_expr(StrBuf *out, const Ast *n, int need);
static void print_stmt(StrBuf *out, const Ast *n, int indent);

static void print_list(StrBuf *out, const Ast *n, int from) {
    for (int i = from; i < n->nkids; i++) {
        if (i > from)
            sb_puts(out, ", ");
        print_expr(out, n->kids[i], LV_SUM);
    }
}

static const char *text_of(const Ast *n) { return n->text ? n->text : "?"; }

/* The expression without its own parentheses. */
static void print_bare(StrBuf *out, const Ast *n) {
    switch (n->kind) {
    case AST_NUM:
    case AST_NAME:
        sb_puts(out, text_of(n));
        break;
    case AST_CALL:
        sb_puts(out, text_of(n));
        sb_putc(out, '(');
        print_list(out, n, 0);
        sb_putc(out, ')');
        break;
    case AST_VECTOR:
        sb_putc(out, '[');
        print_list(out, n, 0);
        sb_putc(out, ']');
        break;
    case AST_NEG:
        sb_putc(out, '-');
        if (n->nkids > 0)
            print_expr(out, n->kids[0], LV_UNARY);
        break;
    case AST_SUM:
        for (int i = 0; i < n->nkids; i++) {
            /* An open sum inside a sum would be merged when re-read. */
            const Ast *k = n->kids[i];
            int need = k->kind == AST_SUM ? LV_PRIMARY : LV_PRODUCT;
            if (i > 0)
                sb_puts(out, n->ops[i] == '-' ? " - " : " + ");
            print_expr(out, k, need);
        }
        break;
    case AST_PRODUCT:
        for (int i = 0; i < n->nkids; i++) {
            const Ast *k = n->kids[i];
            char op = i > 0 ? n->ops[i] : '*';
            int need = k->kind == AST_PRODUCT ? LV_PRIMARY : LV_UNARY;
            if (i > 0) {
                switch (op) {
                case ' ':
                    /* A juxtaposed factor must start with a name, a call or
                     * '(', and cannot follow a '/' operand. */
                    if (n->ops[i - 1] == '/' && i > 1)
                        sb_putc(out, '*');
                    else
                        sb_putc(out, ' ');
                    if (need < LV_POWER)
                        need = LV_POWER;
                    if (!starts_juxtaposable(k))
                        need = LV_PRIMARY + 1;
                    break;
                case '/':
                    sb_putc(out, '/');
                    break;
                case '@':
                    sb_puts(out, " @ ");
                    break;
                default:
                    sb_putc(out, '*');
                    break;
                }
            }
            print_expr(out, k, need);
        }
        break;
    case AST_POW:
        if (n->nkids == 2) {
            print_expr(out, n->kids[0], LV_POSTFIX);
            sb_putc(out, '^');
            print_expr(out, n->kids[1], LV_UNARY);
        }
        break;
    case AST_TRANSPOSE:
        if (n->nkids > 0)
            print_expr(out, n->kids[0], LV_POSTFIX);
        sb_putc(out, '\'');
        break;
    case AST_INDEX:
        if (n->nkids > 0)
            print_expr(out, n->kids[0], LV_POSTFIX);
        sb_putc(out, '[');
        print_list(out, n, 1);
        sb_putc(out, ']');
        break;
    default:
        /* A statement where an expression was expected. */
        print_stmt(out, n, 0);
        break;
    }
}

static void print_expr(StrBuf *out, const Ast *n, int need) {
    int paren = (n->flags & AST_PAREN) || level(n) < need;
    if (paren)
        sb_putc(out, '(');
    print_bare(out, n);
    if (paren)
        sb_putc(out, ')');
}

static void print_indent(StrBuf *out, int indent) {
    for (int i = 0; i < indent; i++)
        sb_puts(out, "    ");
}

/* One statement, without indentation or the line break after it. */
static void print_stmt(StrBuf *out, const Ast *n, int indent) {
    switch (n->kind) {
    case AST_ASSIGN:
        sb_puts(out, text_of(n));
        sb_puts(out, " = ");
        if (n->nkids > 0)
            print_expr(out, n->kids[0], LV_SUM);
        sb_putc(out, ';');
        break;
    case AST_DECL:
        if (n->flags & AST_DIM) {
            sb_printf(out, "dim %s <= %s;", text_of(n), n->nkids > 0 ? text_of(n->kids[0]) : "?");
            break;
        }
        sb_puts(out, (n->flags & AST_INPUT) ? "input " : "param ");
        sb_puts(out, text_of(n));
        if (n->nkids > 0) {
            sb_putc(out, '[');
            print_list(out, n, 0);
            sb_putc(out, ']');
        }
        sb_putc(out, ';');
        break;
    case AST_REPEAT:
        sb_puts(out, "repeat ");
        if (n->nkids > 0)
            print_expr(out, n->kids[0], LV_SUM);
        sb_puts(out, " {\n");
        for (int i = 1; i < n->nkids; i++) {
            print_indent(out, indent + 1);
            print_stmt(out, n->kids[i], indent + 1);
            sb_putc(out, '\n');
        }
        print_indent(out, indent);
        sb_putc(out, '}');
        break;
    case AST_PROGRAM:
        /* Statements one per line, then the final expression. */
        for (int i = 0; i < n->nkids; i++) {
            if (i > 0)
                sb_putc(out, '\n');
            print_indent(out, indent);
            if (i == n->nkids - 1)
                print_expr(out, n->kids[i], LV_SUM);
            else
                print_stmt(out, n->kids[i], indent);
        }
        break;
    default:
        print_expr(out, n, LV_SUM);
        break;
    }
}

void ast_print(StrBuf *out, const Ast *node) {
    if (node)
        print_stmt(out, node, 0);
}
