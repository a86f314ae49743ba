/*
 * testrun.h — running the symdiff binary from a test, as a separate
 * process: fork/pipe/execv, no shell, stdin fed from a string, stdout and
 * stderr captured apart, the exit status (or 128 + signal) recorded.
 */
#ifndef SYMDIFF_TESTRUN_H
#define SYMDIFF_TESTRUN_H

#include <stddef.h>

typedef struct Run {
    char *out, *err;      /* NUL-terminated captured stdout and stderr */
    size_t outlen, errlen;
    int status;           /* exit status, or 128 + signal number      */
} Run;

/* The binary under test: $SYMDIFF, default ./symdiff. */
const char *symdiff_path(void);

/* Appends n bytes to a growing NUL-terminated buffer. */
void buf_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n);

/* Runs symdiff with the NULL-terminated arguments `args` (without argv[0]),
 * feeding `in` (or nothing: stdin at end of file). */
void run(const char *const *args, const char *in, Run *r);
void run_free(Run *r);

#endif
