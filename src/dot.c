/* SPDX-License-Identifier: MIT */
/*
 * dot.c — Graphviz DOT output of expression DAGs and trees (see dot.h).
 *
 * Consumes DAG roots; produces DOT text.  The DAG picture has one `nID`
 * node per DAG node reachable from the roots (named by node id), but for
 * constants: each use of a constant is a leaf `cID_K` of its own (argument
 * K of node ID), drawn small beside its user, unless DOT_SHARED_CONSTANTS
 * (then constants are `nID` nodes like the rest); a constant that is a root
 * is an `nID` node either way.  Hash-consing makes every 4 in the logistic
 * map one node; drawn so, a dozen arrows converge on it and the sharing a
 * student should see (the program's subexpressions) drowns.  The tree
 * picture has one `tK` node per node of the written-out tree (K in
 * preorder), so a subexpression used twice is drawn twice.  Either way,
 * "used more than once" means: more than one argument slot of the DAG
 * points at the node.  Leaves (variables, constants) are never filled:
 * every x is shared, and saying so would hide the interesting sharing.
 */
#include "dot.h"

#include <stdlib.h>
#include <string.h>

#define SHARED_FILL "#ffd27f"

static void put_escaped(StrBuf *out, const char *s) {
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_putc(out, '\\');
        sb_putc(out, *s);
    }
}

static void put_label(StrBuf *out, const Graph *g, const Node *n) {
    StrBuf t;
    sb_init(&t);
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        num_print(&t, n->num[0]);
        break;
    case EX_VAR:
        sb_puts(&t, g->vars[n->u.var].name);
        break;
    case EX_CALL:
        sb_puts(&t, builtin_info[n->u.fn].name);
        break;
    case EX_ADD:
    case EX_MUL:
    case EX_POW:
    CASE_TENSOR_KINDS:
    case EX_COUNT:
        sb_puts(&t, node_kind_name[n->kind]);
        break;
    }
    put_escaped(out, sb_str(&t));
    sb_free(&t);
}

/* `<prefix><k> [label="...", ...];` */
static void put_node(StrBuf *out, const Graph *g, const Node *n, char prefix, unsigned long k,
                     int shared, const char *indent) {
    sb_printf(out, "%s%c%lu [label=\"", indent, prefix, k);
    put_label(out, g, n);
    sb_putc(out, '"');
    if (n->kind == EX_VAR)
        sb_puts(out, ", shape=box");
    else if (n->kind == EX_CONST)
        sb_puts(out, ", shape=plaintext");
    if (shared && n->kind != EX_VAR && n->kind != EX_CONST)
        sb_puts(out, ", style=filled, fillcolor=\"" SHARED_FILL "\"");
    sb_puts(out, "];\n");
}

static void put_root_label(StrBuf *out, const char *const *labels, int i, char prefix,
                           unsigned long target, const char *indent) {
    sb_printf(out, "%sr%d [label=\"", indent, i);
    if (labels && labels[i])
        put_escaped(out, labels[i]);
    else if (i == 0)
        sb_puts(out, "f");
    else
        sb_printf(out, "root %d", i + 1);
    sb_printf(out, "\", shape=plaintext, fontcolor=\"#1f5fa8\"];\n");
    sb_printf(out, "%sr%d -> %c%lu [style=dashed, color=\"#1f5fa8\"];\n", indent, i, prefix, target);
}

static void open_cluster(StrBuf *out, const char *name) {
    sb_printf(out, "  subgraph cluster_%s {\n    label=\"%s\";\n    color=gray60;\n", name, name);
}

/* A constant's use by argument k of node id, as a leaf of its own. */
static void put_constant_leaf(StrBuf *out, const Graph *g, const Node *user, int k, const char *indent) {
    sb_printf(out, "%sc%u_%d [label=\"", indent, user->id, k);
    put_label(out, g, user->args[k]);
    sb_printf(out, "\", shape=plaintext, fontsize=10, width=0.2, height=0.2, margin=0.02];\n");
    sb_printf(out, "%sn%u -> c%u_%d;\n", indent, user->id, user->id, k);
}

static void write_dag(StrBuf *out, const Graph *g, Node *const *roots, const char *const *labels,
                      int nroots, int nf, const unsigned char *mark, const unsigned *uses,
                      int shared_constants) {
    size_t n0 = g->nnodes;
    unsigned char *in_f = calloc(n0 ? n0 : 1, 1);
    unsigned char *is_root = calloc(n0 ? n0 : 1, 1);
    int clusters = nf > 0 && nf < nroots;
    if (!in_f || !is_root) {
        free(in_f);
        free(is_root);
        out->failed = 1;
        return;
    }
    for (int i = 0; i < nroots; i++)
        is_root[roots[i]->id] = 1;
    /* a constant is a node of its own when shared, or when it is a root */
#define AS_LEAF(n) (!shared_constants && (n)->kind == EX_CONST && !is_root[(n)->id])
    if (clusters)
        dag_mark_reachable(g, roots, nf, in_f);
    /* pass 0: the function cluster (or everything), pass 1: derivative */
    for (int pass = 0; pass < (clusters ? 2 : 1); pass++) {
        const char *ind = clusters ? "    " : "  ";
        if (clusters)
            open_cluster(out, pass == 0 ? "function" : "derivative");
        for (size_t id = 0; id < n0; id++) {
            const Node *n = g->nodes[id];
            if (!mark[id] || (clusters && (in_f[id] != 0) != (pass == 0)) || AS_LEAF(n))
                continue;
            put_node(out, g, n, 'n', (unsigned long)id, uses[id] >= 2, ind);
            for (int k = 0; k < n->nargs; k++)
                if (AS_LEAF(n->args[k]))
                    put_constant_leaf(out, g, n, k, ind);
        }
        for (int i = 0; i < nroots; i++)
            if (!clusters || (i < nf) == (pass == 0))
                put_root_label(out, labels, i, 'n', (unsigned long)roots[i]->id, ind);
        if (clusters)
            sb_puts(out, "  }\n");
    }
    for (size_t id = 0; id < n0; id++) {
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        for (int k = 0; k < n->nargs; k++)
            if (!AS_LEAF(n->args[k]))
                sb_printf(out, "  n%lu -> n%lu;\n", (unsigned long)id, (unsigned long)n->args[k]->id);
    }
#undef AS_LEAF
    free(in_f);
    free(is_root);
}

typedef struct Pending {
    const Node *node;
    long parent; /* tree number of the parent, -1 for a root */
} Pending;

static int write_tree(StrBuf *out, const Graph *g, Node *const *roots, const char *const *labels,
                      int nroots, int nf, const unsigned *uses) {
    double size = dag_tree_size(g, roots, nroots); /* checked by the caller */
    Pending *stack = malloc(((size_t)size + 1) * sizeof *stack);
    if (!stack)
        return -1;
    int clusters = nf > 0 && nf < nroots;
    const char *ind = clusters ? "    " : "  ";
    unsigned long next = 0;
    for (int i = 0; i < nroots; i++) {
        if (clusters && (i == 0 || i == nf)) {
            if (i == nf)
                sb_puts(out, "  }\n");
            open_cluster(out, i == 0 ? "function" : "derivative");
        }
        unsigned long root_number = next;
        size_t sp = 0;
        stack[sp++] = (Pending){roots[i], -1};
        /* preorder: pop, number, push the arguments right to left so the
         * leftmost is numbered (and its edge written) first */
        while (sp > 0) {
            Pending p = stack[--sp];
            unsigned long k = next++;
            put_node(out, g, p.node, 't', k, uses[p.node->id] >= 2, ind);
            if (p.parent >= 0)
                sb_printf(out, "%st%ld -> t%lu;\n", ind, p.parent, k);
            for (int a = p.node->nargs; a-- > 0;)
                stack[sp++] = (Pending){p.node->args[a], (long)k};
        }
        put_root_label(out, labels, i, 't', root_number, ind);
    }
    if (clusters)
        sb_puts(out, "  }\n");
    free(stack);
    return 0;
}

int dot_write_split(StrBuf *out, const Graph *g, Node *const *roots, const char *const *labels,
                    int nroots, int nfunctions, int flags) {
    int as_tree = (flags & DOT_TREE) != 0;
    size_t n0 = g->nnodes;
    for (int i = 0; i < nroots; i++)
        if (!roots[i])
            return -1;
    if (as_tree && !(dag_tree_size(g, roots, nroots) <= DOT_TREE_LIMIT)) /* NaN: out of memory */
        return -1; /* refused before writing anything */
    unsigned char *mark = malloc(n0 ? n0 : 1);
    unsigned *uses = calloc(n0 ? n0 : 1, sizeof *uses);
    int st = 0;
    if (!mark || !uses) {
        st = -1;
        goto done;
    }
    dag_mark_reachable(g, roots, nroots, mark);
    /* argument slots pointing at each node, among the nodes drawn */
    for (size_t id = 0; id < n0; id++)
        if (mark[id])
            for (int k = 0; k < g->nodes[id]->nargs; k++)
                uses[g->nodes[id]->args[k]->id]++;
    sb_puts(out, "digraph symdiff {\n"
                 "  graph [ordering=out];\n"
                 "  node [fontname=\"Helvetica\"];\n");
    if (as_tree)
        st = write_tree(out, g, roots, labels, nroots, nfunctions, uses);
    else
        write_dag(out, g, roots, labels, nroots, nfunctions, mark, uses,
                  (flags & DOT_SHARED_CONSTANTS) != 0);
    sb_puts(out, "}\n");
    if (out->failed)
        st = -1;
done:
    free(mark);
    free(uses);
    return st;
}

int dot_write(StrBuf *out, const Graph *g, Node *const *roots, const char *const *labels,
              int nroots, int flags) {
    return dot_write_split(out, g, roots, labels, nroots, nroots >= 2 ? 1 : nroots, flags);
}
