/* SPDX-License-Identifier: MIT */
/*
 * expand.h — full polynomial expansion, for teaching (--expand).
 */
#ifndef SYMDIFF_EXPAND_H
#define SYMDIFF_EXPAND_H

#include "dag.h"

/* Expansion stops with an error past this many terms. */
#define EXPAND_MAX_TERMS 20000

/* Why an expansion stopped. */
typedef enum ExpandStatus {
    EXPAND_OK,
    EXPAND_NO_MEMORY, /* out of memory, or the graph failed (its work
                         limit: see g->failed)                              */
    EXPAND_TOO_MANY,  /* more than EXPAND_MAX_TERMS terms                   */
    EXPAND_OVERFLOW   /* a coefficient does not fit (exact coefficients are
                         64-bit rationals: one that would need more is not
                         rounded)                                           */
} ExpandStatus;

/* The expanded form of root, or NULL with *error set to why. */
Node *expand_node(Graph *g, Node *root, ExpandStatus *error);

#endif
