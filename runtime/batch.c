/* SPDX-License-Identifier: MIT */
/*
 * batch.c — minibatches: a batcher walks a permutation of the sample indices
 * held in caller memory, and sdrt_minibatch_epoch runs one epoch of training
 * (user callback for loss + gradient, then an optimiser step) over it.
 */
#include "sdrt.h"

#include <math.h>

void sdrt_batcher_init(SdrtBatcher *b, size_t *idx, size_t count, size_t size) {
    b->idx = idx;
    b->count = count;
    b->size = size == 0 || size > count ? count : size;
    b->pos = 0;
    for (size_t i = 0; i < count; i++)
        idx[i] = i;
}

/*
 * Shuffles the current permutation rather than 0..count-1: the result is
 * uniformly distributed either way, and there is nothing to refill.
 */
void sdrt_batcher_reset(SdrtBatcher *b, SdrtRng *rng) {
    if (rng)
        sdrt_shuffle(rng, b->idx, b->count);
    b->pos = 0;
}

/* Consecutive slices of idx; the last one holds what is left. */
size_t sdrt_batcher_next(SdrtBatcher *b, const size_t **batch) {
    size_t left = b->count - b->pos;
    size_t m = left < b->size ? left : b->size;
    *batch = b->idx + b->pos;
    b->pos += m;
    return m;
}

size_t sdrt_batcher_nbatches(const SdrtBatcher *b) {
    if (b->count == 0)
        return 0;
    return (b->count + b->size - 1) / b->size;
}

/*
 * The epoch loss is the mean of the batch losses weighted by batch size,
 *   L = sum_k m_k L_k / N,
 * which is the mean per-sample loss when fn returns batch means (and the
 * parameters did not move); a short last batch then counts for less.
 */
int sdrt_minibatch_epoch(SdrtBatcher *b, SdrtRng *rng, SdrtBatchFn fn,
                         void *ctx, SdrtOptim opt, double *theta, double *grad,
                         size_t n, double *loss) {
    const size_t *batch;
    size_t m;
    double sum = 0.0;
    sdrt_batcher_reset(b, rng);
    while ((m = sdrt_batcher_next(b, &batch)) > 0) {
        double l = fn(theta, grad, batch, m, ctx);
        if (!isfinite(l)) {
            if (loss)
                *loss = l;
            return SDRT_ERR_NONFINITE;
        }
        sum += (double)m * l;
        sdrt_optim_step(opt, theta, grad, n);
    }
    if (loss)
        *loss = b->count > 0 ? sum / (double)b->count : 0.0;
    return SDRT_OK;
}
