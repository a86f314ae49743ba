/* SPDX-License-Identifier: MIT */
/*
 * runstat.c — runs one command and reports what it cost: CPU time (user +
 * system), wall-clock time and peak resident memory, of that process alone.
 *
 *   runstat COMMAND [ARGS...]
 *
 * Prints "CPU_SECONDS WALL_SECONDS MAXRSS_KB STATUS" on stdout once the
 * command has finished (STATUS: its exit code, or 128 + the signal that
 * ended it); the command's standard output goes to /dev/null, its standard
 * error is inherited.
 *
 * Why a program of its own: Linux carries a process's peak resident size
 * across exec, so a command started by a large process (the Python driver)
 * would report at least its parent's size.  Started from this small
 * program, the figure is the command's own.  CPU time rather than wall time
 * is what bench/bench.py compares, because the machine is shared: time spent
 * waiting for a core is not the command's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: runstat COMMAND [ARGS...]\n");
        return 2;
    }
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 2;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execvp(argv[1], argv + 1);
        perror("runstat: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    /* the only child, so the children's totals are its own */
    if (waitpid(pid, &status, 0) < 0 || getrusage(RUSAGE_CHILDREN, &ru) != 0) {
        perror("runstat: waitpid");
        return 2;
    }
    double wall = now() - t0;
    double cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                 (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("%.6f %.6f %ld %d\n", cpu, wall, (long)ru.ru_maxrss, code);
    return 0;
}
