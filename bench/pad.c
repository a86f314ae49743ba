/* SPDX-License-Identifier: MIT */
/*
 * pad.c — code of a chosen size (PAD blocks of a few instructions), linked
 * in front of the kernels of bench/kernel_peers.c in some of its layouts:
 * it moves every function after it, so that a comparison of two kernels
 * does not rest on one alignment of their code and of the timing loops.
 */
#ifndef PAD
#define PAD 1
#endif

volatile double bench_pad_sink;

void bench_pad(void);

#define S1 bench_pad_sink += 1.0;
#define S2 S1 S1
#define S4 S2 S2
#define S8 S4 S4
#define S16 S8 S8

void bench_pad(void) {
#if PAD & 1
    S1
#endif
#if PAD & 2
    S2
#endif
#if PAD & 4
    S4
#endif
#if PAD & 8
    S8
#endif
#if PAD & 16
    S16
#endif
}
