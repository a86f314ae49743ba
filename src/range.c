/* SPDX-License-Identifier: MIT */
/*
 * range.c — sign and bounds of every node, derived when it is made (see
 * range.h).
 *
 * Consumes a node whose arguments already carry their ranges; produces its
 * range by interval arithmetic: sums add bounds, products take the least
 * and greatest products of bounds, monotone functions map their bounds
 * (exp, log, tanh, sigmoid, ...), even powers and cosh fold the sign,
 * functions defined on part of the line (log, sqrt, x^-1, asin) keep the
 * part where they are defined.  A bound is "closed" when it may be a value
 * and "open" when it certainly is not; rounding a bound outward to the grid
 * opens it.  Every rule may only lose knowledge, never claim too much:
 * where unsure, the range is (-inf, +inf).
 */
#include "range.h"

#include <math.h>

/* --- encoding: bits 0-1 the lower bound's grid index from -inf (0) up,
 * bit 3 closed; bits 4-5 the upper bound's index from +inf (0) down,
 * bit 7 closed; bit 8 nonzero; bit 9 total ------------------------------- */

static const double lower_grid[4] = {-INFINITY, -1, 0, 1};
static const double upper_grid[4] = {INFINITY, 1, 0, -1};

/* The interval is all of (-inf, +inf). */
static int unbounded(uint16_t code) { return (code & (R_LO | R_HI)) == 0; }

static Range unknown(void) {
    Range r = {-INFINITY, INFINITY, 0, 0, 0, 0};
    return r;
}

/* A constant: exactly v. */
static Range point(double v) {
    Range r = {v, v, 1, 1, v != 0, 1};
    return r;
}

/* 0 is not a possible value: the interval says so at its ends. */
static Range normal(Range r) {
    if (r.lo > 0 || r.hi < 0 || (r.lo == 0 && !r.lo_closed) || (r.hi == 0 && !r.hi_closed))
        r.nonzero = 1;
    if (r.nonzero && r.lo == 0)
        r.lo_closed = 0;
    if (r.nonzero && r.hi == 0)
        r.hi_closed = 0;
    if (isinf(r.lo))
        r.lo_closed = 0;
    if (isinf(r.hi))
        r.hi_closed = 0;
    return r;
}

Range range_decode(uint16_t code) {
    Range r;
    r.lo = lower_grid[code & R_LO];
    r.hi = upper_grid[(code & R_HI) >> 4];
    r.lo_closed = (code & R_LO_CLOSED) != 0;
    r.hi_closed = (code & R_HI_CLOSED) != 0;
    r.nonzero = (code & R_NONZERO) != 0;
    r.total = (code & R_TOTAL) != 0;
    return r;
}

uint16_t range_encode(Range r) {
    if (isnan(r.lo) || isnan(r.hi))
        return r.total ? R_TOTAL : 0;
    r = normal(r);
    /* no value at all (the node is defined nowhere): say nothing */
    if (r.lo > r.hi || (r.lo == r.hi && !(r.lo_closed && r.hi_closed)) || (r.lo == 0 && r.hi == 0 && r.nonzero))
        return 0;
    unsigned lo = 0, hi = 0, code = 0;
    for (unsigned i = 1; i < 4; i++)
        if (lower_grid[i] <= r.lo)
            lo = i;
    for (unsigned i = 1; i < 4; i++)
        if (upper_grid[i] >= r.hi)
            hi = i;
    code = lo | hi << 4;
    if (lo > 0 && lower_grid[lo] == r.lo && r.lo_closed)
        code |= R_LO_CLOSED;
    if (hi > 0 && upper_grid[hi] == r.hi && r.hi_closed)
        code |= R_HI_CLOSED;
    if (r.nonzero)
        code |= R_NONZERO;
    if (r.total)
        code |= R_TOTAL;
    return (uint16_t)code;
}

/* --- interval arithmetic --------------------------------------------------- */

/* Either a or b (ifpos, a tensor literal). */
static Range hull(Range a, Range b) {
    Range r;
    r.lo = a.lo < b.lo ? a.lo : b.lo;
    r.lo_closed = (a.lo == r.lo && a.lo_closed) || (b.lo == r.lo && b.lo_closed);
    r.hi = a.hi > b.hi ? a.hi : b.hi;
    r.hi_closed = (a.hi == r.hi && a.hi_closed) || (b.hi == r.hi && b.hi_closed);
    r.nonzero = a.nonzero && b.nonzero;
    r.total = a.total && b.total;
    return normal(r);
}

static Range add(Range a, Range b) {
    Range r;
    r.lo = a.lo + b.lo; /* -inf + anything finite or -inf is -inf */
    r.hi = a.hi + b.hi;
    r.lo_closed = a.lo_closed && b.lo_closed;
    r.hi_closed = a.hi_closed && b.hi_closed;
    r.nonzero = 0;
    r.total = a.total && b.total;
    return normal(r);
}

/* x y for x, y bounds of the factors: 0 times an infinite bound is 0 (the
 * finite values near the infinite end times 0 are 0).  The product is a
 * possible value when both bounds are, or when one is a possible 0. */
static void corner(double x, int xc, double y, int yc, double *v, int *closed) {
    if (x == 0 || y == 0) {
        *v = 0;
        *closed = (x == 0 && xc) || (y == 0 && yc) || (xc && yc);
        return;
    }
    *v = x * y;
    *closed = xc && yc && !isinf(*v);
}

/* The least and greatest products are products of bounds (x y is linear in
 * each factor). */
static Range mul(Range a, Range b) {
    double v[4];
    int c[4];
    corner(a.lo, a.lo_closed, b.lo, b.lo_closed, &v[0], &c[0]);
    corner(a.lo, a.lo_closed, b.hi, b.hi_closed, &v[1], &c[1]);
    corner(a.hi, a.hi_closed, b.lo, b.lo_closed, &v[2], &c[2]);
    corner(a.hi, a.hi_closed, b.hi, b.hi_closed, &v[3], &c[3]);
    Range r = {v[0], v[0], 0, 0, a.nonzero && b.nonzero, a.total && b.total};
    for (int i = 1; i < 4; i++) {
        r.lo = v[i] < r.lo ? v[i] : r.lo;
        r.hi = v[i] > r.hi ? v[i] : r.hi;
    }
    for (int i = 0; i < 4; i++) {
        r.lo_closed |= v[i] == r.lo && c[i];
        r.hi_closed |= v[i] == r.hi && c[i];
    }
    return normal(r);
}

static Range neg(Range a) {
    Range r = a;
    r.lo = -a.hi;
    r.hi = -a.lo;
    r.lo_closed = a.hi_closed;
    r.hi_closed = a.lo_closed;
    return r;
}

/* |a| */
static Range magnitude(Range a) {
    if (a.lo >= 0)
        return a;
    if (a.hi <= 0)
        return neg(a);
    Range r = a;
    r.lo = 0;
    r.lo_closed = !a.nonzero;
    r.hi = -a.lo > a.hi ? -a.lo : a.hi;
    r.hi_closed = (-a.lo == r.hi && a.lo_closed) || (a.hi == r.hi && a.hi_closed);
    return normal(r);
}

/* The sum of n >= 1 values each in a (sum(u), an entry of a matrix
 * product): [n lo, n hi]; 0 is excluded only when every value has one
 * sign. */
static Range times_count(Range a, double n) {
    Range r = a;
    r.lo = a.lo * n;
    r.hi = a.hi * n;
    r.nonzero = 0;
    return normal(r);
}

/* f(a) for an increasing f defined on [dlo, dhi] (an end closed when f is
 * defined there): the part of a in the domain, mapped.  Values at infinite
 * bounds are limits (exp(-inf) = 0), never attained.  Total when a is and
 * every value a may take is in the domain. */
static Range increasing(Range a, double (*f)(double), double dlo, int dlo_closed, double dhi, int dhi_closed) {
    Range r = a;
    int inside_lo = a.lo > dlo || (a.lo == dlo && (dlo_closed || !a.lo_closed));
    int inside_hi = a.hi < dhi || (a.hi == dhi && (dhi_closed || !a.hi_closed));
    r.total = a.total && inside_lo && inside_hi;
    if (!inside_lo) {
        r.lo = dlo;
        r.lo_closed = dlo_closed;
    }
    if (!inside_hi) {
        r.hi = dhi;
        r.hi_closed = dhi_closed;
    }
    double lo = f(r.lo), hi = f(r.hi);
    r.lo_closed = r.lo_closed && !isinf(r.lo) && !isinf(lo);
    r.hi_closed = r.hi_closed && !isinf(r.hi) && !isinf(hi);
    r.lo = lo;
    r.hi = hi;
    r.nonzero = 0;
    return normal(r);
}

static double identity(double x) { return x; }
static double sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double minus_acos(double x) { return -acos(x); }

/* b^e for a constant exponent e. */
static Range power(Range b, double e) {
    int integer = floor(e) == e;
    if (integer && e > 0) {
        int even = fmod(e, 2) == 0;
        Range m = even ? magnitude(b) : b;
        Range r = m;
        r.lo = pow(m.lo, e);
        r.hi = pow(m.hi, e);
        r.nonzero = b.nonzero;
        return normal(r);
    }
    if (integer && e < 0) {
        /* 1 / b^|e|, defined where b != 0 */
        Range d = power(b, -e);
        if (d.lo < 0 && d.hi > 0) {
            Range r = unknown();
            r.nonzero = 1;
            r.total = b.total && b.nonzero;
            return r;
        }
        int negative = d.hi <= 0;
        if (negative)
            d = neg(d);
        Range r = d;
        r.lo = 1 / d.hi; /* 1/inf = 0, never attained */
        r.lo_closed = d.hi_closed && !isinf(d.hi);
        r.hi = d.lo == 0 ? INFINITY : 1 / d.lo;
        r.hi_closed = d.lo_closed && d.lo != 0;
        r.nonzero = 1;
        r.total = b.total && b.nonzero;
        r = normal(r);
        return negative ? neg(r) : r;
    }
    if (e == 0)
        return point(1);
    /* a fractional power: defined for b >= 0 (b > 0 when e < 0),
     * increasing in b for e > 0 and decreasing for e < 0 */
    Range r;
    if (e > 0) {
        r = increasing(b, identity, 0, 1, INFINITY, 0);
        r.lo = pow(r.lo, e);
        r.hi = pow(r.hi, e);
        r.nonzero = b.nonzero || r.lo > 0;
    } else {
        Range d = increasing(b, identity, 0, 0, INFINITY, 0);
        r = d;
        r.lo = isinf(d.hi) ? 0 : pow(d.hi, e);
        r.lo_closed = d.hi_closed && !isinf(d.hi);
        r.hi = d.lo == 0 ? INFINITY : pow(d.lo, e);
        r.hi_closed = d.lo_closed && d.lo != 0;
        r.nonzero = 1;
    }
    return normal(r);
}

/* sign(u), step(u, h): which of the pieces u's sign allows. */
static Range piecewise(Range u, Range neg_value, Range zero_value, Range pos_value) {
    int can_neg = u.lo < 0, can_pos = u.hi > 0;
    int can_zero = !u.nonzero && u.lo <= 0 && u.hi >= 0 && (u.lo < 0 || u.lo_closed) && (u.hi > 0 || u.hi_closed);
    Range r = {INFINITY, -INFINITY, 0, 0, 1, 1};
    if (can_neg)
        r = hull(r, neg_value);
    if (can_zero)
        r = hull(r, zero_value);
    if (can_pos)
        r = hull(r, pos_value);
    return r;
}

static Range call_range(const Node *n) {
    Range u = n->nargs > 0 ? range_of(n->args[0]) : unknown();
    Range v = n->nargs > 1 ? range_of(n->args[1]) : unknown();
    Range r = unknown();
    /* A function missing here is only simplified less: "nothing known" is
     * always true, so this switch has a default. */
    switch ((Builtin)n->u.fn) {
    case BI_PI:
        return point(3.14159265358979323846);
    case BI_EXP: /* (0, +inf), increasing */
        r = increasing(u, exp, -INFINITY, 0, INFINITY, 0);
        r.nonzero = 1;
        return normal(r);
    case BI_LOG: /* defined for u > 0, increasing */
        return increasing(u, log, 0, 0, INFINITY, 0);
    case BI_LOG2:
        return increasing(u, log2, 0, 0, INFINITY, 0);
    case BI_LOG10:
        return increasing(u, log10, 0, 0, INFINITY, 0);
    case BI_SIN:
    case BI_COS:
        r = point(-1);
        r.hi = 1;
        r.nonzero = 0;
        r.total = u.total;
        return r;
    case BI_ASIN: /* [-1, 1] -> [-pi/2, pi/2], increasing, 0 only at 0 */
        r = increasing(u, asin, -1, 1, 1, 1);
        r.nonzero = u.nonzero;
        return normal(r);
    case BI_ACOS: /* [-1, 1] -> [0, pi], decreasing, 0 only at 1 */
        r = neg(increasing(u, minus_acos, -1, 1, 1, 1));
        return normal(r);
    case BI_ATAN:
    case BI_SINH:
    case BI_TANH:
        r = increasing(u, n->u.fn == BI_ATAN ? atan : n->u.fn == BI_SINH ? sinh : tanh, -INFINITY, 0, INFINITY, 0);
        r.nonzero = u.nonzero;
        return normal(r);
    case BI_COSH: /* cosh(|u|) >= 1 */
        return increasing(magnitude(u), cosh, -INFINITY, 0, INFINITY, 0);
    case BI_SIGMOID: /* (0, 1) */
        r = increasing(u, sigmoid, -INFINITY, 0, INFINITY, 0);
        r.nonzero = 1;
        return normal(r);
    case BI_SOFTPLUS: /* log(1 + e^u) > 0 */
        r = increasing(u, softplus, -INFINITY, 0, INFINITY, 0);
        r.nonzero = 1;
        return normal(r);
    case BI_ABS:
        return magnitude(u);
    case BI_RELU: /* max(u, 0) */
        r = piecewise(u, point(0), point(0), u.lo >= 0 ? u : increasing(u, identity, 0, 0, INFINITY, 0));
        r.total = u.total;
        return normal(r);
    case BI_SIGN:
        r = piecewise(u, point(-1), point(0), point(1));
        r.total = u.total;
        return r;
    case BI_STEP:
        r = piecewise(u, point(0), v, point(1));
        r.total = u.total && v.total;
        return r;
    case BI_LEAKY_RELU: /* u for u >= 0, a u otherwise */
    case BI_ELU:        /* u for u >= 0, a (e^u - 1) otherwise */
        if (u.lo >= 0)
            r = u;
        else if (n->u.fn == BI_LEAKY_RELU && u.hi <= 0 && v.lo >= 0)
            r = mul(u, v);
        r.total = u.total && v.total;
        return r;
    case BI_MIN:
    case BI_MAX: {
        int is_min = n->u.fn == BI_MIN;
        Range a = is_min ? neg(u) : u, b = is_min ? neg(v) : v; /* min(a, b) = -max(-a, -b) */
        r.lo = a.lo > b.lo ? a.lo : b.lo;
        r.lo_closed = (a.lo == r.lo && a.lo_closed) || (b.lo == r.lo && b.lo_closed);
        r.hi = a.hi > b.hi ? a.hi : b.hi;
        r.hi_closed = (a.hi == r.hi && a.hi_closed) || (b.hi == r.hi && b.hi_closed);
        r.nonzero = 0;
        r.total = u.total && v.total;
        r = normal(r);
        return is_min ? neg(r) : r;
    }
    case BI_IFPOS:
        r = hull(v, range_of(n->args[2]));
        r.total = r.total && u.total;
        return r;
    default:
        return unknown();
    }
}

static Range pow_range(const Node *n) {
    Range b = range_of(n->args[0]);
    const Node *e = n->args[1];
    if (e->kind == EX_CONST)
        return power(b, num_value(e->num[0]));
    /* b^e = exp(e ln b) > 0 for b > 0 */
    Range ev = range_of(e);
    if (b.lo >= 0 && b.nonzero) {
        Range r = unknown();
        r.lo = 0;
        r.nonzero = 1;
        r.total = b.total && ev.total;
        return normal(r);
    }
    return unknown();
}

static double numel(Shape s) { return (double)shape_numel(s); }

/* A sum of the elements of a (count of them, dynamic: from 1 up to count
 * when a run-time dimension decides it): k terms in [lo, hi] sum to
 * [k lo, k hi], and the hull over k is that of its ends. */
static Range sum_of(Range a, double count, int dynamic) {
    Range r = times_count(a, count);
    return dynamic ? hull(times_count(a, 1), r) : r;
}

/* The length of a row of s (of a vector: s itself), and whether a run-time
 * dimension decides it. */
static double row_length(Shape s, int *dynamic) {
    int k = s.rank == 2 ? 1 : 0;
    *dynamic = s.rank > 0 && s.dyn[k];
    return s.rank == 0 ? 1 : (double)s.dim[k];
}

uint16_t range_of_node(const Node *n) {
    Range r = unknown();
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        r = point(num_value(n->num[0]));
        break;
    case EX_VAR:
        r.total = 1;
        break;
    case EX_ADD:
    case EX_MUL:
    case EX_PACK: {
        /* with an unbounded term or factor a sum or a product is unbounded
         * (no factor of a product is the constant 0): only the flags are
         * left to combine, which is most nodes of most programs */
        uint16_t all = R_TOTAL | R_NONZERO;
        int any_unbounded = 0;
        for (int k = 0; k < n->nargs; k++) {
            all &= n->args[k]->range;
            any_unbounded |= unbounded(n->args[k]->range);
        }
        if (any_unbounded && n->kind != EX_PACK) /* a sum of unknown sign may be 0 */
            return (uint16_t)(all & (n->kind == EX_MUL ? R_TOTAL | R_NONZERO : R_TOTAL));
        if (n->nargs == 0)
            break;
        r = range_of(n->args[0]);
        for (int k = 1; k < n->nargs; k++) {
            Range a = range_of(n->args[k]);
            r = n->kind == EX_ADD ? add(r, a) : n->kind == EX_MUL ? mul(r, a) : hull(r, a);
        }
        break;
    }
    case EX_POW:
        r = pow_range(n);
        break;
    case EX_CALL:
        r = call_range(n);
        break;
    case EX_MATMUL: /* each entry a sum of inner-dimension products */
        r = sum_of(mul(range_of(n->args[0]), range_of(n->args[1])), n->args[1]->shape.dim[0],
                   n->args[1]->shape.dyn[0]);
        break;
    case EX_OUTER:
        r = mul(range_of(n->args[0]), range_of(n->args[1]));
        break;
    case EX_TRANSPOSE:
    case EX_INDEX:
    case EX_FILL:
    case EX_ROWS:
    case EX_COLS:
        r = range_of(n->args[0]);
        break;
    case EX_ROWSUM: /* the sums of rows, or of columns */
    case EX_COLSUM: {
        Shape s = n->args[0]->shape;
        int k = n->kind == EX_ROWSUM ? 1 : 0;
        r = sum_of(range_of(n->args[0]), s.dim[k], s.dyn[k]);
        break;
    }
    case EX_ONEHOT: /* 0 or 1, NaN for a label that is no class */
        r = hull(point(0), point(1));
        r.total = 0;
        break;
    case EX_DIM: /* a run-time dimension's size: at least 1 */
        r.lo = 1;
        r.lo_closed = 1;
        r.nonzero = 1;
        r.total = 1;
        r = normal(r);
        break;
    case EX_SCATTER: /* the value, and zeros */
        r = hull(range_of(n->args[0]), point(0));
        break;
    case EX_SUM:
        r = sum_of(range_of(n->args[0]), numel(n->args[0]->shape), shape_is_dynamic(n->args[0]->shape));
        break;
    case EX_SOFTMAX: { /* (0, 1), all of 1 for a single element */
        Range a = range_of(n->args[0]);
        r = point(1);
        r.lo = 0;
        int dynamic;
        r.hi_closed = row_length(n->shape, &dynamic) <= 1 || dynamic;
        r.nonzero = 1;
        r.total = a.total;
        break;
    }
    case EX_LOGSUMEXP: { /* between max(u) and max(u) + ln(n) */
        Range a = range_of(n->args[0]);
        int dynamic;
        double m = row_length(n->args[0]->shape, &dynamic);
        r = a;
        r.lo_closed = a.lo_closed && (m <= 1 || dynamic);
        r.hi = a.hi + log(m);
        r.nonzero = 0;
        r = normal(r);
        break;
    }
    case EX_COUNT:
        break;
    }
    return range_encode(r);
}

int range_nonneg(const Node *n) { return range_of(n).lo >= 0; }
int range_nonpos(const Node *n) { return range_of(n).hi <= 0; }
int range_positive(const Node *n) {
    Range r = range_of(n);
    return r.lo >= 0 && r.nonzero;
}
int range_negative(const Node *n) {
    Range r = range_of(n);
    return r.hi <= 0 && r.nonzero;
}
int range_nonzero(const Node *n) { return range_of(n).nonzero; }
int range_total(const Node *n) { return range_of(n).total; }
