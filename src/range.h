/* SPDX-License-Identifier: MIT */
/*
 * range.h — what is known of a node's value: its sign and bounds.
 *
 * Every node carries a range (Node.range), derived once, when the node is
 * made, from its kind and its arguments' ranges (range_of_node): facts
 * intrinsic to the node, true wherever it is defined whatever a request
 * assumes, so they may live with the node.  x^2 and exp are
 * non-negative and positive, 1 + x^2 is at least 1, sigmoid lies in (0, 1),
 * sums and products of such values keep what their parts give.  The
 * simplifier reads them (sqrt(u)^2 = u and abs(u) = u where u >= 0,
 * sign(u) = 1 where u > 0, ...: see dag_facts).
 *
 * A range is an interval between points of the grid
 *     -inf < -1 < 0 < 1 < +inf,
 * each end open or closed (an infinite end is always open), a bound off the
 * grid rounded outward (2 x for x in (0, 1) is in (0, +inf)); whether 0 is
 * excluded though the interval holds it (x^-1 is never 0); and whether the
 * node is total: defined for every real value of its variables (x + y,
 * exp(x), log(1 + x^2), but not log(x), x^-1 or sqrt(x)).  Rewrites that
 * drop an operand (sign(u) = 1) need it, so that they never make an
 * expression defined where it was not.  Facts are about real numbers: a
 * double may round a positive value to 0 (exp(-1000)).
 *
 * Encoding: 16 bits (R_* below), all zero for "nothing known" (the
 * interval (-inf, +inf), 0 allowed, not known to be total), the value a
 * zeroed node has.
 */
#ifndef SYMDIFF_RANGE_H
#define SYMDIFF_RANGE_H

#include <stdint.h>

#include "dag.h"

/* A decoded range; lo <= hi are grid points or, inside range.c while a
 * range is computed, any numbers (encoding rounds them outward). */
typedef struct Range {
    double lo, hi;
    int lo_closed, hi_closed; /* the bound itself is a possible value  */
    int nonzero;              /* 0 is not a possible value             */
    int total;                /* defined for every value of the variables */
} Range;

/* The range of a node about to be interned, from its kind, payload and
 * arguments (which exist, with their ranges). */
uint16_t range_of_node(const Node *n);

Range range_decode(uint16_t code);
uint16_t range_encode(Range r);

static inline Range range_of(const Node *n) { return range_decode(n->range); }
/* The bits of a code: the lower bound's grid index from -inf (0) up and
 * whether it is closed, the upper bound's index from +inf (0) down and
 * whether it is closed, 0 excluded, defined everywhere. */
enum {
    R_LO = 3,
    R_LO_CLOSED = 1 << 3,
    R_HI = 3 << 4,
    R_HI_CLOSED = 1 << 7,
    R_NONZERO = 1 << 8,
    R_TOTAL = 1 << 9
};

/* The FACT_* bits (dag.h) of a range: FACT_NONNEG (the lower bound is 0
 * or 1), FACT_NONZERO and, with both, FACT_POSITIVE (called for every
 * factor a product collects). */
static inline unsigned range_facts(uint16_t code) {
    unsigned f = ((code & R_LO) >= 2 ? FACT_NONNEG : 0u) | (code & R_NONZERO ? FACT_NONZERO : 0u);
    return f == (FACT_NONNEG | FACT_NONZERO) ? f | FACT_POSITIVE : f;
}
/* >= 0, > 0, <= 0, < 0 wherever defined */
int range_nonneg(const Node *n);
int range_positive(const Node *n);
int range_nonpos(const Node *n);
int range_negative(const Node *n);
int range_nonzero(const Node *n);
/* Defined for every value of the variables. */
int range_total(const Node *n);

#endif
