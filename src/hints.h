/* SPDX-License-Identifier: MIT */
/*
 * hints.h — what a user probably meant, for the messages of the parser and
 * of lowering: functions and operators that symdiff does not have but
 * other languages and textbooks do, and calls with an argument too many.
 *
 * Each hint is one row of a table in hints.c; the stages look a row up and
 * put its text into their own located message.  Nothing here allocates.
 */
#ifndef SYMDIFF_HINTS_H
#define SYMDIFF_HINTS_H

#include <stddef.h>

/* A function of other languages that symdiff lacks (exp10, logit, relu6,
 * gamma, ...).  Returns 0 when `name` is not one.  Else *call is how it is
 * called ("logit(u)") and *instead what computes it with symdiff's own
 * functions ("log(u/(1 - u))"), or NULL when nothing does. */
int hint_missing_function(const char *name, const char **call, const char **instead);

/* The name of row i of that table, NULL past its end (tests go through
 * every row). */
const char *hint_missing_function_name(size_t i);

/* symdiff's name for a function other languages call `name` (arcsinh:
 * asinh, ln1p: log1p, fabs: abs), or NULL. */
const char *hint_spelling(const char *name);

/* The name of row i of that table, NULL past its end (for tests). */
const char *hint_spelling_name(size_t i);

/* What to write instead of a call of a known function with `nargs`
 * arguments, which it does not take (log2(x, 10)), or NULL. */
const char *hint_arity(const char *name, int nargs);

/* What to write instead of operator text symdiff does not have ("**",
 * "//", "==", "%", "|", ".^", ...: the `len` bytes at `text`), or NULL. */
const char *hint_operator(const char *text, size_t len);

#endif
