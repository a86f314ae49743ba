/* SPDX-License-Identifier: MIT */
/*
 * hints.c — tables of what users write that symdiff does not have, with
 * what to write instead (see hints.h).
 *
 * The rows come from the notations people bring: C's math.h (fabs, hypot,
 * atan2, log1p), other languages' names (arcsin, cot, sech), textbooks
 * (sec, csc, log with a base) and other operators (x**2, x // y, |x|,
 * MATLAB's x.^2).  An entry's text says what computes the same value with
 * symdiff's own functions, written for arguments u and v; an entry without
 * one says that nothing does.
 */
#include "hints.h"

#include <string.h>

/* Functions symdiff does not have: how they are called and what to write
 * instead (NULL: nothing computes them). */
static const struct {
    const char *name, *call, *instead;
} missing_functions[] = {
    /* inverse hyperbolic functions */
    {"asinh", "asinh(u)", "log(u + sqrt(u^2 + 1))"},
    {"acosh", "acosh(u)", "log(u + sqrt(u^2 - 1))"},
    {"atanh", "atanh(u)", "log((1 + u)/(1 - u))/2"},
    {"arcsinh", "arcsinh(u)", "log(u + sqrt(u^2 + 1))"},
    {"arccosh", "arccosh(u)", "log(u + sqrt(u^2 - 1))"},
    {"arctanh", "arctanh(u)", "log((1 + u)/(1 - u))/2"},
    {"arsinh", "arsinh(u)", "log(u + sqrt(u^2 + 1))"},
    {"arcosh", "arcosh(u)", "log(u + sqrt(u^2 - 1))"},
    {"artanh", "artanh(u)", "log((1 + u)/(1 - u))/2"},
    /* reciprocal trigonometric and hyperbolic functions */
    {"sec", "sec(u)", "1/cos(u)"},
    {"csc", "csc(u)", "1/sin(u)"},
    {"cosec", "cosec(u)", "1/sin(u)"},
    {"cot", "cot(u)", "cos(u)/sin(u)"},
    {"cotan", "cotan(u)", "cos(u)/sin(u)"},
    {"sech", "sech(u)", "1/cosh(u)"},
    {"csch", "csch(u)", "1/sinh(u)"},
    {"coth", "coth(u)", "cosh(u)/sinh(u)"},
    {"asec", "asec(u)", "acos(1/u)"},
    {"acsc", "acsc(u)", "asin(1/u)"},
    /* other spellings of symdiff's functions */
    {"arcsin", "arcsin(u)", "asin(u)"},
    {"arccos", "arccos(u)", "acos(u)"},
    {"arctan", "arctan(u)", "atan(u)"},
    {"fabs", "fabs(u)", "abs(u)"},
    {"fmax", "fmax(u, v)", "max(u, v)"},
    {"fmin", "fmin(u, v)", "min(u, v)"},
    /* C's math.h and the usual shorthands */
    {"atan2", "atan2(v, u)", "atan(v/u) (equal where u > 0)"},
    {"hypot", "hypot(u, v)", "sqrt(u^2 + v^2)"},
    {"cbrt", "cbrt(u)", "sign(u)*abs(u)^(1/3)"},
    {"log1p", "log1p(u)", "log(1 + u) (generated C computes it with log1p)"},
    {"expm1", "expm1(u)", "exp(u) - 1 (generated C computes it with expm1)"},
    {"exp2", "exp2(u)", "2^u"},
    {"exp10", "exp10(u)", "10^u"},
    {"pow10", "pow10(u)", "10^u"},
    {"square", "square(u)", "u^2"},
    {"cube", "cube(u)", "u^3"},
    /* activation functions */
    {"logit", "logit(u)", "log(u/(1 - u))"},
    {"silu", "silu(u)", "u*sigmoid(u)"},
    {"swish", "swish(u)", "u*sigmoid(u)"},
    {"mish", "mish(u)", "u*tanh(softplus(u))"},
    {"softsign", "softsign(u)", "u/(1 + abs(u))"},
    {"gelu", "gelu(u)", "u*(1 + tanh(sqrt(2/pi)*(u + 0.044715*u^3)))/2 (its tanh approximation)"},
    /* nothing computes these */
    {"erf", "erf(u)", NULL},
    {"erfc", "erfc(u)", NULL},
    {"gamma", "gamma(u)", NULL},
    {"tgamma", "tgamma(u)", NULL},
    {"lgamma", "lgamma(u)", NULL},
    {"floor", "floor(u)", NULL},
    {"ceil", "ceil(u)", NULL},
    {"round", "round(u)", NULL},
    {"trunc", "trunc(u)", NULL},
    {"mod", "mod(u, v)", NULL},
    {"fmod", "fmod(u, v)", NULL},
};

int hint_missing_function(const char *name, const char **call, const char **instead) {
    for (size_t i = 0; i < sizeof missing_functions / sizeof *missing_functions; i++)
        if (strcmp(missing_functions[i].name, name) == 0) {
            *call = missing_functions[i].call;
            *instead = missing_functions[i].instead;
            return 1;
        }
    return 0;
}

const char *hint_missing_function_name(size_t i) {
    return i < sizeof missing_functions / sizeof *missing_functions ? missing_functions[i].name : NULL;
}

/* Known functions called with a number of arguments they do not take. */
static const struct {
    const char *name;
    int nargs;
    const char *hint;
} arity_hints[] = {
    {"log", 2, "for the logarithm of x to base b write log(x)/log(b); log10(x) and log2(x) exist"},
    {"ln", 2, "for the logarithm of x to base b write log(x)/log(b); log10(x) and log2(x) exist"},
    {"log10", 2, "for the logarithm of x to base b write log(x)/log(b)"},
    {"log2", 2, "for the logarithm of x to base b write log(x)/log(b)"},
    {"sqrt", 2, "for the n-th root of x write x^(1/n)"},
    {"atan", 2, "for atan2(y, x) write atan(y/x) (equal where x > 0)"},
    {"pow", 1, "pow(x, y) is x^y: give the exponent too"},
    {"sum", 2, "sum(u) adds the elements of one vector or matrix; write u + v to add two values"},
};

const char *hint_arity(const char *name, int nargs) {
    for (size_t i = 0; i < sizeof arity_hints / sizeof *arity_hints; i++)
        if (arity_hints[i].nargs == nargs && strcmp(arity_hints[i].name, name) == 0)
            return arity_hints[i].hint;
    return NULL;
}

/* Operators of other languages. */
static const struct {
    const char *text, *hint;
} operator_hints[] = {
    {"**", "'**' is not an operator: write x^2 for a power"},
    {"//", "'//' is not an operator: write x/y to divide"},
    {"==", "symdiff has no comparisons: ifpos(c, a, b) is a where c > 0, else b"},
    {"<", "symdiff has no comparisons: ifpos(c, a, b) is a where c > 0, else b"},
    {">", "symdiff has no comparisons: ifpos(c, a, b) is a where c > 0, else b"},
    {"!", "symdiff has no '!': no factorial, no negation, no comparisons"},
    {"%", "symdiff has no remainder operator"},
    {"|", "write abs(x) for |x|"},
    {"&", "symdiff has no logical operators: ifpos(c, a, b) is a where c > 0, else b"},
    {".^", "operators work element by element without a dot: write x^2"},
    {".*", "operators work element by element without a dot: write x*y"},
    {"./", "operators work element by element without a dot: write x/y"},
};

const char *hint_operator(const char *text, size_t len) {
    for (size_t i = 0; i < sizeof operator_hints / sizeof *operator_hints; i++)
        if (strlen(operator_hints[i].text) == len && memcmp(operator_hints[i].text, text, len) == 0)
            return operator_hints[i].hint;
    return NULL;
}
