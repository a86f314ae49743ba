/* SPDX-License-Identifier: MIT */
/*
 * testrun.h — running the symdiff binary from a test, as a separate
 * process: fork/pipe/execv, no shell, stdin fed from a string, stdout and
 * stderr captured apart, the exit status (or 128 + signal) recorded;
 * and the files and directories such a test makes.
 */
#ifndef SYMDIFF_TESTRUN_H
#define SYMDIFF_TESTRUN_H

#include <stddef.h>
#include <stdint.h>

typedef struct Run {
    char *out, *err;      /* NUL-terminated captured stdout and stderr */
    size_t outlen, errlen;
    int status;           /* exit status, or 128 + signal number      */
} Run;

/* The binary under test, $SYMDIFF (default ./symdiff), as an absolute
 * path: tests run commands in their own directories. */
const char *symdiff_path(void);

/* Runs a shell command made like printf's; returns its exit status, or -1
 * when it did not exit normally. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Is this program (a compiler) on PATH?  Always no under
 * SYMDIFF_TEST_NO_CC=1, which `make test` sets. */
int have_compiler(const char *cc);

/* Appends n bytes to a growing NUL-terminated buffer. */
void buf_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n);

/* Runs symdiff with the NULL-terminated arguments `args` (without argv[0]),
 * feeding `in` (or nothing: stdin at end of file). */
void run(const char *const *args, const char *in, Run *r);
/* The same with `inlen` bytes of stdin, which may include NUL bytes. */
void run_input(const char *const *args, const char *in, size_t inlen, Run *r);
/* The same for another program (a wrapper such as valgrind). */
void run_program(const char *prog, const char *const *args, const char *in, size_t inlen, Run *r);
void run_free(Run *r);

/* A fresh directory /tmp/symdiff-TAG-XXXXXX, written to dir (at least 64
 * bytes); a failure fails the test.  remove_tree removes it. */
void make_temp_dir(char *dir, size_t size, const char *tag);
/* dir/name, malloc'd. */
char *path_join(const char *dir, const char *name);
/* Creates (or replaces) the file with `text`; a failure fails the test. */
void write_file(const char *path, const char *text);
/* n deterministic bytes from seed (splitmix64), for the fuzz generator. */
void random_bytes(uint64_t seed, uint8_t *out, size_t n);
/* The whole file as a malloc'd string, or NULL when it cannot be opened. */
char *read_file(const char *path);
/* The same, with its length (the file may hold NUL bytes). */
char *read_file_n(const char *path, size_t *len);
/* Removes a directory made by a test and everything in it, read-only
 * subdirectories too. */
void remove_tree(const char *dir);

#endif
