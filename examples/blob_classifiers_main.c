/* SPDX-License-Identifier: MIT */
/*
 * blob_classifiers_main.c — two linear classifiers over 3 classes, trained
 * on the same Gaussian blobs with minibatch SGD + momentum, using only the
 * gradient kernels symdiff generates and the runtime:
 *
 *   blob_softmax.sd   softmax cross-entropy + L2
 *   blob_svm.sd       multiclass hinge (SVM) + L2
 *   blob_scores.sd    the class scores W x + b, shared by both
 *
 * Both models have the parameters W[3,2], b[3] in one flat block and the
 * data x[2], y[3] (one-hot), at the offsets their headers name; the
 * training code is the same for both, only the gradient kernel differs.
 *
 * Goal: each classifier labels at least 95% of the training points
 * correctly.  Exit status 0 when both meet it, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

#include "blob_scores.h"  /* generated: blob_scores */
#include "blob_softmax.h" /* generated: blob_softmax, blob_softmax_grad */
#include "blob_svm.h"     /* generated: blob_svm, blob_svm_grad */
#include "sdrt.h"

enum {
    N = 600,    /* training points, 200 per class */
    K = 3,      /* classes */
    BATCH = 20, /* points per minibatch */
    EPOCHS = 60,
    NP = BLOB_SOFTMAX_NVARS,
    NI = BLOB_SOFTMAX_NINPUTS /* x (2) then one-hot y (3) */
};

#define GOAL 0.95
#define STDDEV 0.35 /* of each blob; the centers are 1 apart from the origin */

/* The two models must share their layout for one driver to train both. */
typedef char same_parameters[NP == BLOB_SVM_NVARS && BLOB_SOFTMAX_OFFSET_W == BLOB_SVM_OFFSET_W &&
                                     BLOB_SOFTMAX_OFFSET_b == BLOB_SVM_OFFSET_b && BLOB_SOFTMAX_OFFSET_W == BLOB_SCORES_OFFSET_W
                                 ? 1
                                 : -1];
typedef char same_inputs[NI == BLOB_SVM_NINPUTS && BLOB_SOFTMAX_OFFSET_x == BLOB_SVM_OFFSET_x && BLOB_SOFTMAX_OFFSET_y == BLOB_SVM_OFFSET_y &&
                                 BLOB_SOFTMAX_OFFSET_x == BLOB_SCORES_OFFSET_x
                             ? 1
                             : -1];

typedef double (*SampleGrad)(const double *theta, const double *sample, double *grad);

typedef struct Task {
    double sample[N][NI];
    int label[N];
    size_t all[N];
    SampleGrad grad; /* the model being trained */
} Task;

/* Mean loss and gradient over the samples idx[0..count). */
static double batch_loss(const double *theta, double *grad, const size_t *idx, size_t count, void *ctx) {
    const Task *t = ctx;
    double g[NP], sum = 0.0;
    for (int j = 0; j < NP; j++)
        grad[j] = 0.0;
    for (size_t k = 0; k < count; k++) {
        sum += t->grad(theta, t->sample[idx[k]], g);
        sdrt_axpy(1.0 / (double)count, g, grad, NP);
    }
    return sum / (double)count;
}

static double all_points_loss(const double *theta, double *grad, void *ctx) {
    const Task *t = ctx;
    return batch_loss(theta, grad, t->all, N, ctx);
}

static double accuracy(const double *theta, const Task *t) {
    static double scores[N][K];
    for (int i = 0; i < N; i++)
        blob_scores(theta, t->sample[i], scores[i]);
    return sdrt_accuracy_argmax(&scores[0][0], t->label, N, K);
}

/* Trains one model from small random weights; returns its training accuracy. */
static double train(Task *t, const char *name, SdrtRng *rng) {
    double theta[NP], grad[NP], velocity[NP];
    for (int j = 0; j < NP; j++)
        theta[j] = 0.01 * sdrt_rng_normal(rng);

    static double scratch[SDRT_GRADCHECK_SCRATCH(NP)];
    double gc_err = sdrt_gradcheck(NULL, all_points_loss, t, theta, NP, 0, 0, scratch, NULL);
    printf("%s: gradient check max error %.1e\n", name, gc_err);
    if (!(gc_err < 1e-6))
        return 0.0;

    size_t idx[N];
    SdrtMomentum opt;
    SdrtBatcher batches;
    SdrtProgress progress;
    sdrt_momentum_init(&opt, velocity, NP, 0.05, 0.9, 0);
    sdrt_batcher_init(&batches, idx, N, BATCH);
    sdrt_progress_init(&progress, stdout, EPOCHS, 20);
    for (long epoch = 1; epoch <= EPOCHS; epoch++) {
        double loss;
        if (sdrt_minibatch_epoch(&batches, rng, batch_loss, t, sdrt_optim_momentum(&opt), theta, grad, NP, &loss) !=
            SDRT_OK)
            return 0.0;
        sdrt_progress_update(&progress, epoch, loss, epoch % 20 == 0 ? accuracy(theta, t) : -1);
    }
    sdrt_progress_finish(&progress);
    double acc = accuracy(theta, t);
    printf("%s: mean loss %.4f, training accuracy %.2f%% (goal >= %.0f%%): %s\n", name, all_points_loss(theta, grad, t),
           100 * acc, 100 * GOAL, acc >= GOAL ? "ok" : "MISSED");
    return acc;
}

int main(void) {
    static Task task;
    static double X[N][2], onehot[N][K];
    SdrtRng rng;
    sdrt_rng_seed(&rng, 11);
    if (sdrt_data_blobs(&rng, &X[0][0], task.label, N, K, NULL, STDDEV) != SDRT_OK ||
        sdrt_one_hot(task.label, N, K, &onehot[0][0]) != SDRT_OK)
        return EXIT_FAILURE;
    for (int i = 0; i < N; i++) {
        task.sample[i][BLOB_SOFTMAX_OFFSET_x] = X[i][0];
        task.sample[i][BLOB_SOFTMAX_OFFSET_x + 1] = X[i][1];
        for (int c = 0; c < K; c++)
            task.sample[i][BLOB_SOFTMAX_OFFSET_y + c] = onehot[i][c];
        task.all[i] = (size_t)i;
    }
    printf("linear classifiers: %d points in %d Gaussian blobs (stddev %.2f), %d parameters\n", N, K, STDDEV, NP);
    printf("training: SGD with momentum (lr 0.05, mu 0.9), %d epochs of minibatches of %d\n", EPOCHS, BATCH);

    task.grad = blob_softmax_grad;
    double acc_softmax = train(&task, "softmax", &rng);
    task.grad = blob_svm_grad;
    double acc_svm = train(&task, "svm", &rng);
    return acc_softmax >= GOAL && acc_svm >= GOAL ? EXIT_SUCCESS : EXIT_FAILURE;
}
