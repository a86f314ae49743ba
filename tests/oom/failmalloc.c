/* SPDX-License-Identifier: MIT */
/*
 * failmalloc.c — an allocator that fails on purpose, for allocation-failure
 * injection (tests/check_oom.c, `make oom`).  Loaded with LD_PRELOAD into
 * the symdiff binary, it counts the calls of malloc, calloc and realloc
 * and makes one of them fail, as the allocator of a full machine would:
 *
 *   SYMDIFF_FAIL_AT=N     the N-th call (from 1) returns NULL with ENOMEM;
 *                         0 or unset: none fails
 *   SYMDIFF_FAIL_AFTER=1  every call from the N-th on fails too (memory
 *                         that stays exhausted), not only the N-th
 *   SYMDIFF_ALLOC_LOG=F   at exit, the number of calls is written to F
 *                         (to learn how many N a sweep must cover)
 *   SYMDIFF_FAIL_TRACE=1  the call stack of the failing call goes to
 *                         stderr (symbolise with addr2line), to find the
 *                         caller that mishandles it
 *   SYMDIFF_FAIL_ONLY=P   count and fail only in the program named P
 *                         (not in a wrapper such as valgrind that runs it)
 *
 * The real allocator is glibc's, reached through its __libc_* entry points
 * (no dlsym, which itself allocates).  realloc(p, 0) and free are passed
 * through uncounted: neither can fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static unsigned long calls, fail_at;
static int fail_after, configured, trace, inactive;

static unsigned long env_number(const char *name) {
    const char *s = getenv(name);
    return s && *s ? strtoul(s, NULL, 10) : 0;
}

static void configure(void) {
    configured = 1;
    fail_at = env_number("SYMDIFF_FAIL_AT");
    fail_after = env_number("SYMDIFF_FAIL_AFTER") != 0;
    trace = env_number("SYMDIFF_FAIL_TRACE") != 0;
    const char *only = getenv("SYMDIFF_FAIL_ONLY");
    inactive = only && *only &&
               (!program_invocation_short_name || strcmp(program_invocation_short_name, only) != 0);
}

static void trace_failure(void) {
    void *frames[32];
    static int busy;
    if (!trace || busy)
        return;
    busy = 1; /* backtrace may allocate the first time */
    int n = backtrace(frames, 32);
    backtrace_symbols_fd(frames, n, 2);
    busy = 0;
}

/* Counts one call; true when it is to fail. */
static int should_fail(void) {
    if (!configured)
        configure();
    if (inactive)
        return 0;
    calls++;
    int fail = fail_at && (calls == fail_at || (fail_after && calls > fail_at));
    if (fail && calls == fail_at)
        trace_failure();
    return fail;
}

void *malloc(size_t size) {
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size) {
    if (p && size == 0)
        return __libc_realloc(p, size);
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, size);
}

/* Writes the count with write(2) alone: stdio may be gone at exit, and
 * must not allocate here. */
__attribute__((destructor)) static void report(void) {
    const char *path = getenv("SYMDIFF_ALLOC_LOG");
    if (!path || !*path || inactive)
        return;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lu\n", calls);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    if (n > 0 && write(fd, buf, (size_t)n) != n) {
        /* nothing to be done: the sweep then sees no count */
    }
    close(fd);
}
