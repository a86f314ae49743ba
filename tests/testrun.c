/* SPDX-License-Identifier: MIT */
/*
 * testrun.c — see testrun.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testrun.h"
#include "testutil.h"

const char *symdiff_path(void) {
    static char path[4096];
    if (path[0])
        return path;
    const char *s = getenv("SYMDIFF");
    if (!s || !*s)
        s = "./symdiff";
    char cwd[2048];
    if (s[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(path, sizeof path, "%s", s);
    else
        snprintf(path, sizeof path, "%s/%s", cwd, s);
    return path;
}

int sh(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && (size_t)n < sizeof cmd, "shell command too long");
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* SYMDIFF_TEST_NO_CC=1 (make test) answers no for every compiler: the
 * unit suites then skip their few compile steps. */
int have_compiler(const char *cc) {
    const char *no_cc = getenv("SYMDIFF_TEST_NO_CC");
    if (no_cc && strcmp(no_cc, "0") != 0 && *no_cc)
        return 0;
    return sh("command -v '%s' >/dev/null 2>&1", cc) == 0;
}

void buf_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 4096;
        while (*len + n + 1 > ncap)
            ncap *= 2;
        char *nb = realloc(*buf, ncap);
        ck_assert_msg(nb != NULL, "out of memory capturing output");
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Runs symdiff with the NULL-terminated arguments `args` (without argv[0]),
 * feeding `in` (or nothing: stdin at end of file) and capturing stdout and
 * stderr separately.  No shell is involved. */
void run(const char *const *args, const char *in, Run *r) { run_input(args, in, in ? strlen(in) : 0, r); }

void run_input(const char *const *args, const char *in, size_t inlen, Run *r) {
    run_program(symdiff_path(), args, in, inlen, r);
}

void run_program(const char *prog, const char *const *args, const char *in, size_t inlen, Run *r) {
    int pin[2], pout[2], perr[2];
    const char *argv[64];
    int argc = 0;
    argv[argc++] = prog;
    for (int i = 0; args[i]; i++) {
        ck_assert_int_lt(argc, 63);
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;

    memset(r, 0, sizeof *r);
    ck_assert_int_eq(pipe(pin), 0);
    ck_assert_int_eq(pipe(pout), 0);
    ck_assert_int_eq(pipe(perr), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        close(pin[0]);
        close(pin[1]);
        close(pout[0]);
        close(pout[1]);
        close(perr[0]);
        close(perr[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);

    /* a child that exits without reading stdin must not kill us */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);

    size_t inpos = 0;
    int fin = pin[1];
    if (inlen == 0) {
        close(fin);
        fin = -1;
    } else {
        fcntl(fin, F_SETFL, fcntl(fin, F_GETFL) | O_NONBLOCK);
    }
    int fout = pout[0], ferr = perr[0];
    size_t outcap = 0, errcap = 0;
    buf_append(&r->out, &r->outlen, &outcap, "", 0);
    buf_append(&r->err, &r->errlen, &errcap, "", 0);
    while (fout >= 0 || ferr >= 0) {
        struct pollfd pfd[3];
        int n = 0, iout = -1, ierr = -1, iin = -1;
        if (fout >= 0) {
            pfd[n].fd = fout;
            pfd[n].events = POLLIN;
            iout = n++;
        }
        if (ferr >= 0) {
            pfd[n].fd = ferr;
            pfd[n].events = POLLIN;
            ierr = n++;
        }
        if (fin >= 0) {
            pfd[n].fd = fin;
            pfd[n].events = POLLOUT;
            iin = n++;
        }
        if (poll(pfd, (nfds_t)n, -1) < 0) {
            ck_assert_int_eq(errno, EINTR);
            continue;
        }
        char buf[65536];
        if (iout >= 0 && pfd[iout].revents) {
            ssize_t k = read(fout, buf, sizeof buf);
            if (k > 0)
                buf_append(&r->out, &r->outlen, &outcap, buf, (size_t)k);
            else if (k == 0 || errno != EINTR) {
                close(fout);
                fout = -1;
            }
        }
        if (ierr >= 0 && pfd[ierr].revents) {
            ssize_t k = read(ferr, buf, sizeof buf);
            if (k > 0)
                buf_append(&r->err, &r->errlen, &errcap, buf, (size_t)k);
            else if (k == 0 || errno != EINTR) {
                close(ferr);
                ferr = -1;
            }
        }
        if (iin >= 0 && pfd[iin].revents) {
            ssize_t k = write(fin, in + inpos, inlen - inpos);
            if (k > 0)
                inpos += (size_t)k;
            if ((k < 0 && errno != EAGAIN && errno != EINTR) || inpos == inlen) {
                close(fin);
                fin = -1;
            }
        }
    }
    if (fin >= 0)
        close(fin);
    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    sigaction(SIGPIPE, &old, NULL);
    r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    ck_assert_msg(r->status != 127, "could not run '%s' (set SYMDIFF)", argv[0]);
}

void run_free(Run *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* --- files ------------------------------------------------------------------- */

char *path_join(const char *dir, const char *name) {
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    ck_assert_ptr_nonnull(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_int_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
}

void make_temp_dir(char *dir, size_t size, const char *tag) {
    int n = snprintf(dir, size, "/tmp/symdiff-%s-XXXXXX", tag);
    ck_assert_msg(n > 0 && (size_t)n < size, "temporary directory name too long");
    ck_assert_msg(mkdtemp(dir) != NULL, "cannot make %s", dir);
}

char *read_file_n(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    char chunk[4096];
    size_t got;
    buf_append(&buf, &n, &cap, "", 0);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&buf, &n, &cap, chunk, got);
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

char *read_file(const char *path) { return read_file_n(path, NULL); }

void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = path_join(dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            chmod(p, 0755); /* a test may have made it read-only */
            remove_tree(p);
        } else {
            unlink(p);
        }
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

/* A deterministic byte source for the generator (splitmix64). */
void random_bytes(uint64_t seed, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        out[i] = (uint8_t)((z ^ (z >> 31)) >> 24);
    }
}
