/* SPDX-License-Identifier: MIT */
/*
 * train.c — the training program of `symdiff --emit-main train`: the part
 * that does not depend on the model.  The generated NAME_main.c holds the
 * model's sizes, the names of its parameters and inputs and a call of its
 * gradient kernel, and hands everything to sdrt_train_main.
 */
#include "sdrt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct TrainData {
    const SdrtTrainProgram *p;
    const double *rows;
    size_t cols;
} TrainData;

/* The mean loss of a minibatch and its gradient. */
static double batch_loss(const double *theta, double *grad, const size_t *idx,
                         size_t count, void *ctx) {
    const TrainData *d = ctx;
    const SdrtTrainProgram *p = d->p;
    if (p->batch_grad) /* the kernel takes the whole batch */
        return p->batch_grad(theta, d->rows, d->cols, idx, count, grad,
                             p->batch_ctx);
    double loss = 0;
    memset(grad, 0, p->nparams * sizeof *grad);
    for (size_t k = 0; k < count; k++) {
        loss += p->grad(theta, d->rows + idx[k] * d->cols, p->sample_grad);
        for (size_t i = 0; i < p->nparams; i++)
            grad[i] += p->sample_grad[i];
    }
    for (size_t i = 0; i < p->nparams; i++)
        grad[i] /= (double)count;
    return loss / (double)count;
}

/* The label of a classification in a row's label column: a class 0 ..
 * k-1 (-1, no class, for anything else), or for two classes (k == 1) 1
 * where it is at least 1/2. */
static int label_of(double t, size_t k) {
    if (k == 1)
        return t >= 0.5;
    return t >= 0 && t < (double)k && t == floor(t) ? (int)t : -1;
}

/* The fraction of the rows idx[0..nrows) whose predicted class is their
 * label: the scores of max_batch rows at a time; for two classes the
 * logit s is the probability 1 / (1 + e^-s) that sdrt_accuracy_binary
 * reads (>= 1/2 exactly where s >= 0). */
static double accuracy(const TrainData *d, const size_t *idx, size_t nrows) {
    const SdrtTrainProgram *p = d->p;
    double right = 0;
    for (size_t at = 0; at < nrows; at += p->max_batch) {
        size_t count = nrows - at < p->max_batch ? nrows - at : p->max_batch;
        p->batch_scores(p->theta, d->rows, d->cols, idx + at, count, p->scores,
                        p->batch_ctx);
        for (size_t k = 0; k < count; k++) {
            p->labels[k] = label_of(
                d->rows[idx[at + k] * d->cols + p->label_column], p->nclasses);
            if (p->nclasses == 1)
                p->scores[k] = 1 / (1 + exp(-p->scores[k]));
        }
        double a = p->nclasses == 1
                       ? sdrt_accuracy_binary(p->scores, p->labels, count)
                       : sdrt_accuracy_argmax(p->scores, p->labels, count,
                                              p->nclasses);
        right += a * (double)count;
    }
    return nrows ? right / (double)nrows : 0;
}

/* Does the file start with a header line: a first field that does not
 * start like a number? */
static int has_header(const char *path) {
    int header = 0;
    FILE *probe = fopen(path, "r");
    if (probe) {
        int c;
        while ((c = fgetc(probe)) == ' ' || c == '\t')
            ;
        header = c != EOF && !strchr("0123456789+-.", c);
        fclose(probe);
    }
    return header;
}

int sdrt_train_main(const SdrtTrainProgram *p, int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr,
                "usage: %s DATA.csv [epochs] [learning-rate] [batch] "
                "[adam|sgd|momentum] [seed]\n",
                argv[0]);
        return 2;
    }
    long epochs = argc > 2 ? atol(argv[2]) : 100;
    double lr = argc > 3 ? atof(argv[3]) : 0.01;
    long batch_arg = argc > 4 ? atol(argv[4])
                     : (long)(p->max_batch && p->max_batch < 32 ? p->max_batch : 32);
    const char *method = argc > 5 ? argv[5] : "adam";
    unsigned long seed = argc > 6 ? strtoul(argv[6], NULL, 10) : 1;
    if (p->batch_grad && (batch_arg < 1 || (size_t)batch_arg > p->max_batch)) {
        fprintf(stderr,
                "%s: error: the batch size is %ld; it must be 1 to %zu (the "
                "kernel's largest batch)\n",
                argv[0], batch_arg, p->max_batch);
        return 2;
    }
    size_t batch = (size_t)batch_arg;
    char err[256];
    SdrtCsv csv;
    if (sdrt_csv_load(argv[1], has_header(argv[1]), &csv, err, sizeof err) !=
        SDRT_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (csv.cols != p->ninputs) {
        fprintf(stderr,
                "%s: error: %zu columns, expected %zu (the inputs of %s)\n",
                argv[1], csv.cols, p->ninputs, p->name);
        sdrt_csv_free(&csv);
        return 1;
    }
    TrainData data = {p, csv.data, csv.cols};
    size_t *idx = malloc(csv.rows * sizeof *idx);
    if (!idx) {
        sdrt_csv_free(&csv);
        return 1;
    }
    size_t n = p->nparams;
    SdrtRng rng;
    sdrt_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++)
        p->theta[i] = 0.1 * sdrt_rng_normal(&rng);
    SdrtAdam adam;
    SdrtGD gd;
    SdrtMomentum mom;
    SdrtOptim opt;
    if (strcmp(method, "sgd") == 0) {
        sdrt_gd_init(&gd, lr);
        opt = sdrt_optim_gd(&gd);
    } else if (strcmp(method, "momentum") == 0) {
        sdrt_momentum_init(&mom, p->v, n, lr, 0.9, 0);
        opt = sdrt_optim_momentum(&mom);
    } else {
        sdrt_adam_init(&adam, p->m, p->v, n, lr, 0.9, 0.999, 1e-8);
        opt = sdrt_optim_adam(&adam);
    }
    SdrtBatcher b;
    sdrt_batcher_init(&b, idx, csv.rows, batch);
    SdrtProgress progress;
    sdrt_progress_init(&progress, stdout, epochs, epochs >= 20 ? epochs / 20 : 1);
    int status = 0;
    int classify = p->batch_scores && p->nclasses > 0 && p->max_batch > 0;
    double loss = NAN, acc = -1;
    for (long e = 1; e <= epochs; e++) {
        if (sdrt_minibatch_epoch(&b, &rng, batch_loss, &data, opt, p->theta,
                                 p->grad_sum, n, &loss) != SDRT_OK) {
            sdrt_progress_finish(&progress);
            fprintf(stderr,
                    "training diverged at epoch %ld (loss %g): try a smaller "
                    "learning rate\n",
                    e, loss);
            status = 1;
            break;
        }
        /* the accuracy after the epoch, on the epochs the plain report
         * prints (a terminal's bar shows the last in between: one more
         * forward pass over the data every epoch would cost half as much
         * again as the training); idx holds every row, in some order */
        if (classify && sdrt_progress_due(&progress, e))
            acc = accuracy(&data, idx, csv.rows);
        sdrt_progress_update(&progress, e, loss, classify ? acc : -1);
    }
    sdrt_progress_finish(&progress);
    if (p->param_sizes) { /* arrays: a line each, row-major */
        printf("final loss = %.17g\n", loss);
        if (classify)
            printf("final accuracy = %.17g\n", accuracy(&data, idx, csv.rows));
        size_t at = 0;
        for (size_t k = 0; k < p->nnames; k++) {
            printf("%s =", p->param_names[k]);
            for (size_t i = 0; i < p->param_sizes[k]; i++)
                printf(" %.17g", p->theta[at + i]);
            printf("\n");
            at += p->param_sizes[k];
        }
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%s = %.17g\n", p->param_names[i], p->theta[i]);
    }
    free(idx);
    sdrt_csv_free(&csv);
    return status;
}
