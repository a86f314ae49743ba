/* SPDX-License-Identifier: MIT */
/*
 * expand.h — full polynomial expansion, for teaching (--expand).
 */
#ifndef SYMDIFF_EXPAND_H
#define SYMDIFF_EXPAND_H

#include "dag.h"

/* Expansion stops with an error past this many terms. */
#define EXPAND_MAX_TERMS 20000

/* The expanded form of root, or NULL with *error set: 1 out of memory
 * or the graph failed (its work limit: see g->failed), 2 too many terms, 3 a coefficient does not fit (exact coefficients are
 * 64-bit rationals: one that would need more is not rounded). */
Node *expand_node(Graph *g, Node *root, int *error);

#endif
