/* SPDX-License-Identifier: MIT */
/*
 * check_functions.c — the table of built-in functions (src/builtins.def)
 * and what every stage makes of each row.
 *
 *  - the table: every row has what each stage reads (its C in double and
 *    float, naming a <math.h> function or an existing sd_ helper; LaTeX
 *    whose forms name only arguments the function has; the rule text; a
 *    noun; domains for the arguments it has; defaults only for optional
 *    arguments); names and aliases are unique and looked up.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_common.h"
#include "dag.h"
#include "testutil.h"

/* --- the table ------------------------------------------------------------------------ */

START_TEST(test_table_rows) {
    const BuiltinInfo *r = &builtin_info[_i];
    const CodegenType *td = codegen_type(0), *tf = codegen_type(1);
    ck_assert_msg(r->name && r->name[0], "row %d has no name", _i);
    ck_assert_msg(r->noun && r->noun[0], "%s: no noun", r->name);
    ck_assert_msg(r->rule && strchr(r->rule, '\'') != NULL, "%s: the rule text '%s' has no derivative", r->name,
                  r->rule ? r->rule : "");
    ck_assert_msg(r->min_args >= 0 && r->min_args <= r->max_args && r->max_args <= 3, "%s: arguments %d..%d",
                  r->name, r->min_args, r->max_args);
    if (_i == BI_PI) {
        ck_assert(r->c_double == NULL && r->c_float == NULL);
    } else {
        /* the C: a <math.h> function in both types, or one sd_ helper */
        ck_assert_msg(r->c_double && r->c_float, "%s: no C", r->name);
        char f[64];
        snprintf(f, sizeof f, "%sf", r->c_double);
        ck_assert_msg(strcmp(r->c_float, f) == 0, "%s: float C %s, not %s", r->name, r->c_float, f);
        if (strncmp(r->c_double, "sd_", 3) == 0) {
            CodegenHelper h = codegen_helper_of((Builtin)_i);
            ck_assert_msg(h != CH_COUNT, "%s: no helper %s in codegen_common.c", r->name, r->c_double);
            ck_assert(codegen_libm_name((Builtin)_i, td) == NULL);
            StrBuf sb;
            sb_init(&sb);
            codegen_helper_name(&sb, h, tf);
            ck_assert_str_eq(sb_str(&sb), r->c_float);
            sb_free(&sb);
        } else {
            ck_assert_int_eq(codegen_helper_of((Builtin)_i), CH_COUNT);
            ck_assert_str_eq(codegen_libm_name((Builtin)_i, td), r->c_double);
            ck_assert_str_eq(codegen_libm_name((Builtin)_i, tf), r->c_float);
        }
    }
    /* LaTeX: an operator, or a form naming arguments the function has */
    if (r->latex && strchr(r->latex, '$')) {
        for (const char *s = strchr(r->latex, '$'); s; s = strchr(s + 1, '$'))
            ck_assert_msg(s[1] >= '0' && s[1] - '0' < r->min_args, "%s: the form %s names a missing argument",
                          r->name, r->latex);
    } else if (r->latex) {
        ck_assert_msg(r->latex[0] == '\\', "%s: the operator %s is not a command", r->name, r->latex);
    }
    /* domains for the arguments it has */
    for (int k = 0; k < 2; k++) {
        ck_assert_msg((unsigned)r->domain[k] < DOM_COUNT, "%s: domain %d", r->name, k);
        if (k >= r->max_args)
            ck_assert_msg(r->domain[k] == DOM_ALL, "%s: a domain for argument %d it does not have", r->name, k);
        char why[128];
        ck_assert(strlen(builtin_domain_reason((Builtin)_i, k, why, sizeof why)) > 10);
        ck_assert_msg(strstr(why, "$f") == NULL, "%s: %s", r->name, why);
    }
    /* a default only for an optional last argument */
    Num d;
    ck_assert_int_eq(builtin_default((Builtin)_i, &d), r->dflt != NULL);
    if (r->dflt)
        ck_assert_msg(r->min_args == r->max_args - 1, "%s: a default for an argument that is not optional",
                      r->name);
}
END_TEST

/* Every name and alias finds its row; none is another row's. */
START_TEST(test_table_names) {
    for (int i = 0; i < BI_COUNT; i++) {
        const BuiltinInfo *r = &builtin_info[i];
        int found = builtin_lookup(r->name);
        ck_assert_msg(found >= 0 && strcmp(builtin_info[found].name, r->name) == 0, "%s", r->name);
        if (r->alias) {
            ck_assert_int_eq(builtin_lookup(r->alias), found);
            for (int j = 0; j < BI_COUNT; j++)
                ck_assert_msg(strcmp(builtin_info[j].name, r->alias) != 0, "the alias %s is a name", r->alias);
        }
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(builtin_info[j].name, r->name) != 0 || builtin_info[j].max_args < r->min_args ||
                              builtin_info[j].min_args > r->max_args,
                          "two rows called %s take the same number of arguments", r->name);
    }
    ck_assert_int_eq(builtin_lookup("no_such_function"), -1);
}
END_TEST

/* The domains: a point inside each, the ends, NaN outside all. */
START_TEST(test_domains) {
    static const struct {
        ArgDomain d;
        double in[3], out[3];
    } cases[] = {
        {DOM_ALL, {-1e300, 0, 1e300}, {NAN, NAN, NAN}},
        {DOM_POSITIVE, {1e-300, 1, 1e300}, {0, -0.0, -1}},
        {DOM_UNIT, {-1, 0, 1}, {-1.0000001, 1.0000001, -INFINITY}},
    };
    ck_assert_int_eq((int)(sizeof cases / sizeof *cases), DOM_COUNT);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int k = 0; k < 3; k++) {
            ck_assert_msg(domain_contains(cases[i].d, cases[i].in[k]), "domain %d: %g", (int)cases[i].d,
                          cases[i].in[k]);
            ck_assert_msg(!domain_contains(cases[i].d, cases[i].out[k]), "domain %d: %g", (int)cases[i].d,
                          cases[i].out[k]);
        }
}
END_TEST

Suite *functions_suite(void); /* called by tests/runner.c */

Suite *functions_suite(void) {
    Suite *s = suite_create("functions");
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, test_table_rows, 0, BI_COUNT);
    tcase_add_test(tc, test_table_names);
    tcase_add_test(tc, test_domains);
    suite_add_tcase(s, tc);
    return s;
}
