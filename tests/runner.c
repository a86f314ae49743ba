/* SPDX-License-Identifier: MIT */
/*
 * runner.c — the one test runner: every tests/check_<module>.c contributes
 * `Suite *<module>_suite(void)`; the list is generated from the file names.
 *
 * CK_FORK=no runs in one process (for gdb and valgrind); CK_RUN_SUITE=name
 * selects one suite (Check's own variables).
 */
#include <stdlib.h>

#include "testutil.h"

#define SUITE(name) Suite *name##_suite(void);
#include "suites.h"
#undef SUITE

int main(void) {
    SRunner *runner = srunner_create(NULL);
#define SUITE(name) srunner_add_suite(runner, name##_suite());
#include "suites.h"
#undef SUITE
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
