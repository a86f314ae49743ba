/* SPDX-License-Identifier: MIT */
/*
 * report.c — training progress output and accuracy helpers.
 *
 * One formatting function makes the text of an epoch; the plain reporter
 * prints it as a line, the terminal reporter redraws it after a progress
 * bar on a single '\r'-updated line.  Output errors come back as -1 so that
 * a full disk does not pass silently.
 */
#if (defined(__unix__) || defined(__APPLE__)) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* fileno, isatty */
#endif

#include "sdrt.h"

#include <math.h>
#include <string.h>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#define HAVE_ISATTY 1
#else
#define HAVE_ISATTY 0
#endif

#define BAR_MAX 200 /* widest progress bar drawn */

/*
 * "epoch 10/200  loss 0.123456  acc 97.50%" into buf; "epoch 10" when the
 * total is unknown (<= 0); no acc part for acc < 0 or NaN.  Returns the
 * length written (truncated to len - 1).
 */
static size_t format_epoch(char *buf, size_t len, long epoch, long total,
                           double loss, double acc) {
    int k;
    if (total > 0)
        k = snprintf(buf, len, "epoch %ld/%ld  loss %#.6g", epoch, total,
                     loss);
    else
        k = snprintf(buf, len, "epoch %ld  loss %#.6g", epoch, loss);
    if (k < 0)
        k = 0;
    size_t used = (size_t)k < len ? (size_t)k : len - 1;
    if (acc >= 0.0) { /* false for NaN */
        k = snprintf(buf + used, len - used, "  acc %.2f%%", 100.0 * acc);
        if (k > 0)
            used += (size_t)k < len - used ? (size_t)k : len - used - 1;
    }
    return used;
}

int sdrt_report_epoch(FILE *out, long epoch, long total, double loss,
                      double acc) {
    char buf[160];
    format_epoch(buf, sizeof buf, epoch, total, loss, acc);
    if (fprintf(out, "%s\n", buf) < 0 || fflush(out) != 0)
        return -1;
    return 0;
}

/* The terminal test happens once, here; `tty` can be overridden after. */
void sdrt_progress_init(SdrtProgress *p, FILE *out, long total, long every) {
    p->out = out;
    p->total = total;
    p->every = every < 1 ? 1 : every;
#if HAVE_ISATTY
    p->tty = isatty(fileno(out)) != 0;
#else
    p->tty = 0;
#endif
    p->width = 20;
    p->drawn = 0;
}

/*
 * Terminal: "\r[####......] <epoch text>", then as many spaces as the
 * previous line was longer (erasing it without terminal escape codes); the
 * bar is filled in proportion epoch/total.  The last epoch ends the line.
 */
static int draw_bar(SdrtProgress *p, long epoch, double loss, double acc) {
    char line[BAR_MAX + 200];
    int width = p->width < 1 ? 1 : p->width > BAR_MAX ? BAR_MAX : p->width;
    long filled = 0;
    if (p->total > 0) {
        long e = epoch < 0 ? 0 : epoch > p->total ? p->total : epoch;
        /* width * e / total without overflow for huge totals */
        filled = (long)((double)width * (double)e / (double)p->total);
    }
    size_t len = 0;
    line[len++] = '[';
    for (int i = 0; i < width; i++)
        line[len++] = i < filled ? '#' : '.';
    line[len++] = ']';
    line[len++] = ' ';
    len += format_epoch(line + len, sizeof line - len, epoch, p->total, loss,
                        acc);
    int pad = p->drawn > (int)len ? p->drawn - (int)len : 0;
    if (fprintf(p->out, "\r%s%*s", line, pad, "") < 0)
        return -1;
    p->drawn = (int)len;
    if (p->total > 0 && epoch >= p->total)
        return sdrt_progress_finish(p);
    return fflush(p->out) != 0 ? -1 : 0;
}

int sdrt_progress_due(const SdrtProgress *p, long epoch) {
    return epoch % p->every == 0 || epoch == p->total;
}

int sdrt_progress_update(SdrtProgress *p, long epoch, double loss, double acc) {
    if (p->tty)
        return draw_bar(p, epoch, loss, acc);
    if (sdrt_progress_due(p, epoch))
        return sdrt_report_epoch(p->out, epoch, p->total, loss, acc);
    return 0;
}

int sdrt_progress_finish(SdrtProgress *p) {
    if (p->drawn == 0)
        return 0;
    p->drawn = 0;
    if (fputc('\n', p->out) == EOF || fflush(p->out) != 0)
        return -1;
    return 0;
}

/* ---- accuracy ----------------------------------------------------------- */

/* A NaN never compares greater, so it cannot displace a number; starting
 * from the first non-NaN makes it unable to be chosen at all. */
size_t sdrt_argmax(const double *v, size_t k) {
    size_t best = 0;
    while (best < k && isnan(v[best]))
        best++;
    if (best == k)
        return 0;
    for (size_t i = best + 1; i < k; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

/* Predicted class 1 iff prob >= 0.5 (logit >= 0). */
double sdrt_accuracy_binary(const double *prob, const int *labels, size_t n) {
    size_t right = 0;
    for (size_t i = 0; i < n; i++)
        right += (prob[i] >= 0.5) == (labels[i] != 0);
    return n > 0 ? (double)right / (double)n : 0.0;
}

double sdrt_accuracy_argmax(const double *scores, const int *labels, size_t n,
                            size_t k) {
    size_t right = 0;
    for (size_t i = 0; i < n; i++)
        right += labels[i] >= 0 &&
                 sdrt_argmax(scores + i * k, k) == (size_t)labels[i];
    return n > 0 ? (double)right / (double)n : 0.0;
}
