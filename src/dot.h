/* SPDX-License-Identifier: MIT */
/*
 * dot.h — Graphviz DOT pictures of expressions: the DAG as symdiff holds
 * it, or the same expression written out as a tree.
 *
 * Consumes DAG roots; produces a `digraph` for `dot -Tsvg`.  Each operator
 * points at its arguments (left to right, `ordering=out`); variables are
 * boxes, constants plain text; an operator node used more than once is
 * filled (in the tree, every copy of it is filled, so the duplication a
 * tree suffers is visible); each root gets a label with a dashed arrow.
 * Output is deterministic: nodes in id order (DAG) or preorder (tree).
 */
#ifndef SYMDIFF_DOT_H
#define SYMDIFF_DOT_H

#include "dag.h"
#include "strbuf.h"

/* Tree pictures larger than this are refused. */
#define DOT_TREE_LIMIT 2000

/* What to draw (flags). */
enum {
    DOT_TREE = 1,            /* the expressions written out as trees             */
    DOT_SHARED_CONSTANTS = 2 /* DAG: one node per distinct constant, as held,
                                instead of a small leaf for each use of it      */
};

/* Writes the picture of the roots (labels may be NULL: "f", "root 2", ...).
 * With two or more roots, roots[0] is the function and the others its
 * derivatives: two clusters, "function" and "derivative"; a node both use
 * belongs to the function, so arrows from the derivative into the function
 * show what is shared.  In the DAG, each use of a constant is a small leaf
 * of its own beside its user (a constant that is a root is a node): the
 * shared nodes drawn are then the program's, not every 1 and 4 converging
 * on one oval; DOT_SHARED_CONSTANTS draws the graph exactly as held.
 * Returns 0, or -1 (a tree above DOT_TREE_LIMIT nodes, out of memory). */
int dot_write(StrBuf *out, const Graph *g, Node *const *roots, const char *const *labels,
              int nroots, int flags);

/* The same with the first nfunctions roots in the "function" cluster and
 * the rest in "derivative" (a Jacobian: several functions).  nfunctions =
 * nroots (or 0): no clusters. */
int dot_write_split(StrBuf *out, const Graph *g, Node *const *roots, const char *const *labels,
                    int nroots, int nfunctions, int flags);

#endif
