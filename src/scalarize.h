/* SPDX-License-Identifier: MIT */
/*
 * scalarize.h — a program with vectors and matrices written out element by
 * element (see scalarize.c).
 */
#ifndef SYMDIFF_SCALARIZE_H
#define SYMDIFF_SCALARIZE_H

#include "dag.h"

typedef struct Scalarized {
    Graph *g;     /* a new graph: scalar variables, one per element of each
                     variable of the original, in order                 */
    Node **roots; /* every element of every root, in order (row-major)  */
    long nroots;
} Scalarized;

typedef enum ScalarizeStatus {
    SCALARIZE_OK = 0,
    SCALARIZE_NO_MEMORY = -1,
    SCALARIZE_TOO_LARGE = -2, /* the new graph would exceed g's node limit */
    SCALARIZE_RUN_TIME_DIMS = -3 /* g has run-time dimensions, whose sizes the
                                  * program gets when it runs */
} ScalarizeStatus;

/* Writes the roots of g out element by element. */
ScalarizeStatus scalarize(const Graph *g, Node *const *roots, int nroots, Scalarized *out);
void scalarized_free(Scalarized *s);

#endif
