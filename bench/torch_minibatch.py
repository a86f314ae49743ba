#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""torch_minibatch.py -- one round of PyTorch eager's training step for
the networks of bench/minibatch.c; bench/bench.py's minibatch stage runs it
once per round, interleaved with the C driver.

    python3 bench/torch_minibatch.py

One thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1 and
OMP_NUM_THREADS=1 before torch loads).  For each network and type: the
same network as bench/mlp_*_batch.sd, a plain SGD step (zero_grad,
forward, torch.nn.functional.cross_entropy with integer labels, backward,
step) on data and a start of the same kind as bench/minibatch.c's; a
warm-up, then CPU time per step over about 20 ms of steps.  Prints one
JSON line per case in bench/minibatch.c's format, then one with the
versions and the BLAS torch loaded.
"""
import json
import math
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

# name: (inputs, hidden, classes, activation, batch)
SPECS = {"2-16-3": (2, 16, 3, "tanh", 32), "784-128-10": (784, 128, 10, "relu", 64)}


def make_step(i, h, o, act, batch, dt):
    g = torch.Generator().manual_seed(1)

    def u(*shape, fan):  # uniform in +-1/sqrt(fan-in), as bench/minibatch.c
        return ((2 * torch.rand(*shape, generator=g, dtype=dt) - 1)
                / math.sqrt(fan)).requires_grad_()
    W1, b1, W2, b2 = u(h, i, fan=i), u(h, fan=i), u(o, h, fan=h), u(o, fan=h)
    X = torch.rand(batch, i, generator=g, dtype=dt)
    if act == "tanh":
        X = 2 * X - 1
    y = torch.randint(0, o, (batch,), generator=g)
    f = torch.tanh if act == "tanh" else torch.relu
    opt = torch.optim.SGD([W1, b1, W2, b2], lr=0.01)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(f(X @ W1.T + b1) @ W2.T + b2, y)
        loss.backward()
        opt.step()
    return step


def per_step_ns(step, count):
    t0 = time.process_time()
    for _ in range(count):
        step()
    return 1e9 * (time.process_time() - t0) / count


def blas_loaded():
    try:
        with open("/proc/self/maps") as f:
            libs = {ln.split()[-1] for ln in f if "blas" in ln.lower() and "/" in ln}
        return ", ".join(sorted(libs)) or "?"
    except OSError:
        return "?"


def main():
    torch.set_num_threads(1)
    for net, (i, h, o, act, batch) in SPECS.items():
        for tname, dt in (("float", torch.float32), ("double", torch.float64)):
            step = make_step(i, h, o, act, batch, dt)
            for _ in range(5):
                step()
            count = max(1, int(2e7 / max(per_step_ns(step, 5), 1.0)))
            print(json.dumps({"net": net, "batch": batch, "impl": "torch", "type": tname,
                              "ns": per_step_ns(step, count)}))
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "torch_blas": blas_loaded()}))


if __name__ == "__main__":
    main()
