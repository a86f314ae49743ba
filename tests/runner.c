/* SPDX-License-Identifier: MIT */
/*
 * runner.c — the one test runner: every tests/check_<module>.c contributes
 * `Suite *<module>_suite(void)`; the list is generated from the file names.
 *
 *   check_symdiff               every suite (make check)
 *   check_symdiff NAME...       the suites named, in this order (make test
 *                               names the unit suites)
 *   check_symdiff --list        the names of the suites
 *
 * CK_FORK=no runs in one process (for gdb and valgrind); CK_RUN_SUITE and
 * CK_RUN_CASE select a suite or a test case as Check does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define SUITE(name) Suite *name##_suite(void);
#include "suites.h"
#undef SUITE

static const struct {
    const char *name;
    Suite *(*make)(void);
} suites[] = {
#define SUITE(name) {#name, name##_suite},
#include "suites.h"
#undef SUITE
};
#define NSUITES ((int)(sizeof suites / sizeof suites[0]))

static int find_suite(const char *name) {
    for (int i = 0; i < NSUITES; i++)
        if (strcmp(suites[i].name, name) == 0)
            return i;
    return -1;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < NSUITES; i++)
            puts(suites[i].name);
        return EXIT_SUCCESS;
    }
    for (int i = 1; i < argc; i++)
        if (find_suite(argv[i]) < 0) {
            fprintf(stderr, "%s: no suite '%s' (--list names them)\n", argv[0], argv[i]);
            return 2;
        }
    SRunner *runner = srunner_create(NULL);
    if (argc == 1)
        for (int i = 0; i < NSUITES; i++)
            srunner_add_suite(runner, suites[i].make());
    for (int i = 1; i < argc; i++)
        srunner_add_suite(runner, suites[find_suite(argv[i])].make());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
