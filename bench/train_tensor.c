/* SPDX-License-Identifier: MIT */
/*
 * train_tensor.c — training throughput of the tensor 2-16-3 network of
 * examples/spiral_network.sd (kernel spiral_net_grad, generated into
 * bench/out/train/) against hand-written backpropagation of the same
 * network and loss (train_backprop_net in training.c, weight decay 1e-5 as
 * in the example), on the three spirals of train_spirals.  What is
 * measured, and how: training.h.
 *
 *   train_tensor ROUNDS BLOCKS [DATA]
 *
 * Prints one JSON object.  With DATA, first writes the data set and the
 * starting parameters there, for the PyTorch comparison in bench/bench.py:
 * a line "samples inputs params", a line of the parameters, then one line
 * per sample.  Exit status 1 when the two gradients disagree before timing
 * or the kernel's layout is not the network's.
 */
#include <stdio.h>

#include "sdrt.h"
#include "spiral_net.h" /* generated: spiral_net_grad */
#include "training.h"

/* The layout must be the one the generated kernel documents. */
typedef char layout_matches[SPIRAL_NET_NVARS == NET_NPARAMS && SPIRAL_NET_NINPUTS == NET_NINPUTS &&
                                    SPIRAL_NET_OFFSET_W1 == NET_W1 && SPIRAL_NET_OFFSET_b1 == NET_B1 &&
                                    SPIRAL_NET_OFFSET_W2 == NET_W2 && SPIRAL_NET_OFFSET_b2 == NET_B2 &&
                                    SPIRAL_NET_OFFSET_x == NET_X && SPIRAL_NET_OFFSET_y == NET_Y
                                ? 1
                                : -1];

static double gen_net(const double *theta, const double *row, double *grad) {
    return spiral_net_grad(theta, row, grad);
}

/* spiral_network.sd's weight decay is 1e-5. */
static double hand_net(const double *theta, const double *row, double *grad) {
    return train_backprop_net(theta, row, grad, 1e-5);
}

static int write_data(const char *path, const TrainModel *m) {
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fprintf(f, "%zu %d %d\n", m->n, m->ninputs, m->nparams);
    for (int j = 0; j < m->nparams; j++)
        fprintf(f, "%.17g%c", m->theta0[j], j + 1 < m->nparams ? ' ' : '\n');
    for (size_t i = 0; i < m->n; i++)
        for (int j = 0; j < m->ninputs; j++)
            fprintf(f, "%.17g%c", m->data[i * (size_t)m->ninputs + (size_t)j],
                    j + 1 < m->ninputs ? ' ' : '\n');
    int bad = ferror(f);
    return fclose(f) != 0 || bad;
}

int main(int argc, char **argv) {
    int rounds, blocks;
    if (train_args(argc, argv, 1, &rounds, &blocks))
        return 2;
    static TrainModel net = {"mlp_tensor", 0, 0, 0, NULL, {0}, gen_net, hand_net};
    if (train_spirals(&net)) {
        fprintf(stderr, "train_tensor: no spiral data\n");
        return 1;
    }
    if (argc > 3 && write_data(argv[3], &net)) {
        fprintf(stderr, "train_tensor: cannot write %s\n", argv[3]);
        return 1;
    }
    return train_measure(&net, rounds, blocks);
}
