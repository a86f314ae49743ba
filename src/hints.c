/* SPDX-License-Identifier: MIT */
/*
 * hints.c — tables of what users write that symdiff does not have, with
 * what to write instead (see hints.h).
 *
 * The rows come from the notations people bring: C's math.h (fabs, exp10,
 * fmod), other languages' names (arcsinh, ln1p, expit, Heaviside),
 * activations symdiff lacks (relu6, selu) and other operators (x**2,
 * x // y, |x|, MATLAB's x.^2).  A missing function's entry says what
 * computes the same value with symdiff's own functions, written for
 * arguments u and v, or that nothing does; another spelling's entry names
 * symdiff's function.
 */
#include "hints.h"

#include <string.h>

/* Functions symdiff does not have: how they are called and what to write
 * instead (NULL: nothing computes them). */
static const struct {
    const char *name, *call, *instead;
} missing_functions[] = {
    /* C's math.h and the usual shorthands */
    {"exp10", "exp10(u)", "10^u"},
    {"pow10", "pow10(u)", "10^u"},
    {"square", "square(u)", "u^2"},
    {"cube", "cube(u)", "u^3"},
    /* activation functions */
    {"logit", "logit(u)", "log(u/(1 - u))"},
    {"relu6", "relu6(u)", "min(relu(u), 6)"},
    {"selu", "selu(u)", "1.0507009873554805*elu(u, 1.6732632423543772)"},
    {"log_sigmoid", "log_sigmoid(u)", "-softplus(-u)"},
    /* nothing computes these */
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

/* Names other languages and textbooks give functions symdiff has. */
static const struct {
    const char *name, *symdiff;
} spellings[] = {
    /* inverse functions: arc- and ar- names */
    {"arcsin", "asin"},   {"arccos", "acos"},   {"arctan", "atan"},   {"arcsec", "asec"},
    {"arccsc", "acsc"},   {"arccot", "acot"},   {"arcsinh", "asinh"}, {"arccosh", "acosh"},
    {"arctanh", "atanh"}, {"arsinh", "asinh"},  {"arcosh", "acosh"},  {"artanh", "atanh"},
    {"arcsech", "asech"}, {"arsech", "asech"},  {"arccsch", "acsch"}, {"arcsch", "acsch"},
    {"arccoth", "acoth"}, {"arcoth", "acoth"},  {"arctan2", "atan2"}, {"cosech", "csch"},
    /* C, NumPy, SciPy, PyTorch */
    {"fabs", "abs"},      {"fmax", "max"},      {"fmin", "min"},      {"ln1p", "log1p"},
    {"log1pexp", "softplus"}, {"expit", "sigmoid"}, {"signum", "sign"},
    {"leakyrelu", "leaky_relu"}, {"hard_tanh", "hardtanh"},
};

const char *hint_spelling(const char *name) {
    for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++)
        if (strcmp(spellings[i].name, name) == 0)
            return spellings[i].symdiff;
    return NULL;
}

const char *hint_spelling_name(size_t i) {
    return i < sizeof spellings / sizeof *spellings ? spellings[i].name : NULL;
}

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
    {"ln", 2, "for the logarithm of x to base b write log(x, b)"},
    {"log10", 2, "for the logarithm of x to base b write log(x, b)"},
    {"log2", 2, "for the logarithm of x to base b write log(x, b)"},
    {"sqrt", 2, "for the n-th root of x write x^(1/n)"},
    {"atan", 2, "for the angle of the point (x, y) write atan2(y, x)"},
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
