/* SPDX-License-Identifier: MIT */
/*
 * builtins.c — the table of built-in functions (builtins.def) as data, and
 * what its columns mean: lookups by name, the domains of arguments, their
 * facts and their messages, default arguments.
 *
 * Consumes names, domains and numbers; produces rows of the table and
 * answers about them.  Every stage that needs a fact about a function
 * reads it here rather than keeping a table of its own.
 */
#include "dag.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const BuiltinInfo builtin_info[BI_COUNT] = {
#define BI(id, name, alias, lo, hi, dflt, kind, dom0, dom1, noun, c, cf, latex, rule)                  \
    {name, alias, lo, hi, dflt, kind, {dom0, dom1}, noun, c, cf, latex, rule},
#include "builtins.def"
#undef BI
};

/* Is row i called `name` (or is that its alias)? */
static int row_named(int i, const char *name) {
    const char *n = builtin_info[i].name, *a = builtin_info[i].alias;
    return (n[0] == name[0] && strcmp(n, name) == 0) || (a && a[0] == name[0] && strcmp(a, name) == 0);
}

/* The hashed index of the rows' names and aliases, made from builtins.def
 * by scripts/builtin_index.sh (which has the same hash): lowering looks up
 * every name a program declares or assigns (10^5 parameters), and nearly
 * all of them are no function, so a lookup reads a slot or two instead of
 * comparing every row.  A slot holds 1 + the first row with that name. */
#include "builtin_index.h"

typedef char builtin_index_covers_every_row[BUILTIN_INDEX_ROWS == BI_COUNT ? 1 : -1];

static unsigned index_hash(const char *name) {
    unsigned h = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h * 31 + *p) & 0xFFFFu;
    return h;
}

int builtin_lookup(const char *name) {
    unsigned j = index_hash(name) % BUILTIN_INDEX_SLOTS;
    for (; builtin_index[j]; j = (j + 1) % BUILTIN_INDEX_SLOTS)
        if (row_named(builtin_index[j] - 1, name))
            return builtin_index[j] - 1;
    return -1;
}

/* The rows called `name` (or with that alias): the first that takes nargs
 * arguments, else the first of them. */
int builtin_lookup_call(const char *name, int nargs) {
    int first = builtin_lookup(name);
    for (int i = first; i >= 0 && i < BI_COUNT; i++)
        if (row_named(i, name) && nargs >= builtin_info[i].min_args && nargs <= builtin_info[i].max_args)
            return i;
    return first;
}

void builtin_arity(const char *name, int *lo, int *hi) {
    *lo = INT_MAX;
    *hi = -1;
    for (int i = 0; i < BI_COUNT; i++)
        if (row_named(i, name)) {
            *lo = builtin_info[i].min_args < *lo ? builtin_info[i].min_args : *lo;
            *hi = builtin_info[i].max_args > *hi ? builtin_info[i].max_args : *hi;
        }
}

/* --- domains ----------------------------------------------------------------- */

/* Per domain: what an argument outside it is, for a domain error ($f:
 * the function's noun, "logarithm of a number that is not positive"),
 * and the facts an argument inside it has. */
static const struct {
    const char *outside;
    unsigned facts;
} domains[DOM_COUNT] = {
    [DOM_ALL] = {"$f of a number that is not a number", 0},
    [DOM_POSITIVE] = {"$f of a number that is not positive", FACT_POSITIVE},
    [DOM_NONZERO] = {"$f of zero", FACT_NONZERO},
    [DOM_UNIT] = {"argument outside [-1, 1]", 0},
    [DOM_OPEN_UNIT] = {"$f of a number outside (-1, 1)", 0},
    [DOM_OUTSIDE_UNIT] = {"$f of a number between -1 and 1", FACT_NONZERO},
    [DOM_BEYOND_UNIT] = {"$f of a number in [-1, 1]", FACT_NONZERO},
    [DOM_AT_LEAST_ONE] = {"$f of a number below 1", FACT_POSITIVE},
    [DOM_UNIT_POSITIVE] = {"$f of a number outside (0, 1]", FACT_POSITIVE},
    [DOM_ABOVE_MINUS_ONE] = {"$f of a number not above -1", 0},
    [DOM_BASE] = {"$f to a base that is not positive, or is 1", FACT_POSITIVE},
    [DOM_THRESHOLD] = {"$f with a threshold that is not positive", FACT_POSITIVE},
};

int domain_contains(ArgDomain d, double x) {
    switch (d) {
    case DOM_ALL:
        return !isnan(x);
    case DOM_POSITIVE:
    case DOM_THRESHOLD:
        return x > 0;
    case DOM_NONZERO:
        return x != 0 && !isnan(x);
    case DOM_UNIT:
        return x >= -1 && x <= 1;
    case DOM_OPEN_UNIT:
        return x > -1 && x < 1;
    case DOM_OUTSIDE_UNIT:
        return fabs(x) >= 1;
    case DOM_BEYOND_UNIT:
        return fabs(x) > 1;
    case DOM_AT_LEAST_ONE:
        return x >= 1;
    case DOM_UNIT_POSITIVE:
        return x > 0 && x <= 1;
    case DOM_ABOVE_MINUS_ONE:
        return x > -1;
    case DOM_BASE:
        return x > 0 && x != 1;
    case DOM_COUNT:
        break;
    }
    return 0;
}

double domain_point(ArgDomain d, double t) {
    double x;
    switch (d) {
    case DOM_POSITIVE:
    case DOM_THRESHOLD:
        return 0.01 + 50 * t;
    case DOM_NONZERO: /* -5 .. 5 without (-0.05, 0.05) */
        x = -5 + 10 * t;
        return fabs(x) < 0.05 ? (x < 0 ? -0.05 : 0.05) : x;
    case DOM_UNIT:
    case DOM_OPEN_UNIT:
        return -0.99 + 1.98 * t;
    case DOM_OUTSIDE_UNIT:
    case DOM_BEYOND_UNIT: /* -5 .. -1.01 and 1.01 .. 5 */
        return t < 0.5 ? -1.01 - 8 * (0.5 - t) : 1.01 + 8 * (t - 0.5);
    case DOM_AT_LEAST_ONE:
        return 1.01 + 10 * t;
    case DOM_UNIT_POSITIVE:
        return 0.01 + 0.98 * t;
    case DOM_ABOVE_MINUS_ONE:
        return -0.99 + 10 * t;
    case DOM_BASE: /* 0.1 .. 5 without (0.95, 1.05) */
        x = 0.1 + 4.9 * t;
        return fabs(x - 1) < 0.05 ? (x < 1 ? 0.95 : 1.05) : x;
    case DOM_ALL:
    case DOM_COUNT:
        break;
    }
    return -5 + 10 * t;
}

unsigned domain_facts(ArgDomain d) { return (unsigned)d < DOM_COUNT ? domains[d].facts : 0; }

const char *builtin_domain_reason(Builtin fn, int k, char *buf, size_t size) {
    const char *t = domains[builtin_info[fn].domain[k < 2 ? k : 1]].outside, *f = strstr(t, "$f");
    if (f)
        snprintf(buf, size, "%.*s%s%s", (int)(f - t), t, builtin_info[fn].noun, f + 2);
    else
        snprintf(buf, size, "%s", t);
    return buf;
}

int builtin_default(Builtin fn, Num *out) {
    const char *text = builtin_info[fn].dflt;
    if (!text)
        return 0;
    char *end;
    long long p = strtoll(text, &end, 10), q = *end == '/' ? strtoll(end + 1, NULL, 10) : 1;
    *out = num_rat(p, q);
    return 1;
}
