/* SPDX-License-Identifier: MIT */
/*
 * together.h — derivatives in the form textbooks print (--together):
 * sums of fractions over a common denominator, common factors cancelled.
 */
#ifndef SYMDIFF_TOGETHER_H
#define SYMDIFF_TOGETHER_H

#include "dag.h"

/* The textbook form of root (a scalar expression): equal to root wherever
 * root is defined, and never printed longer than root.  root itself when
 * nothing is shorter, and for vectors and matrices; NULL when the graph
 * fails. */
Node *together_node(Graph *g, Node *root);

#endif
