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

int builtin_lookup(const char *name) {
    for (int i = 0; i < BI_COUNT; i++)
        if (strcmp(builtin_info[i].name, name) == 0 ||
            (builtin_info[i].alias && strcmp(builtin_info[i].alias, name) == 0))
            return i;
    return -1;
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
    [DOM_UNIT] = {"argument outside [-1, 1]", 0},
};

int domain_contains(ArgDomain d, double x) {
    switch (d) {
    case DOM_ALL:
        return !isnan(x);
    case DOM_POSITIVE:
        return x > 0;
    case DOM_UNIT:
        return x >= -1 && x <= 1;
    case DOM_COUNT:
        break;
    }
    return 0;
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
