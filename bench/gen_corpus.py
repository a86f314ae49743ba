#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_corpus.py -- writes the machine-made members of bench/corpus/.

    python3 bench/gen_corpus.py            (rewrites them in place)

  lmap_inline_NN.sd   the logistic map l_n written out as one expression,
                      n = 1 .. 12: l_1 = x, l_{k+1} = 4 l_k (1 - l_k) with
                      l_k substituted textually, so the text doubles per
                      step and the parser meets 2^(n-1) copies of x;
  ml_mlp_2_16_3.sd    a 2-16-3 network (tanh hidden layer, softmax
                      cross-entropy, L2 on the weights) written out in
                      scalars, parameters in row-major order: W1[16,2],
                      b1[16], W2[3,16], b2[3].  The hand-written
                      backpropagation of bench/training.c uses the same
                      layout, as does the tensor form of the network
                      (examples/spiral_network.sd).

The output is deterministic; the files are committed so that the corpus can
be read without running anything.
"""
import os
import sys

HIDDEN, NIN, NOUT = 16, 2, 3


def lmap_inline(n):
    text = "x"
    for _ in range(n - 1):
        inner = text if text == "x" else "(" + text + ")"
        text = "4*%s*(1 - %s)" % (inner, inner)
    return ("# logistic map: l_%d written out inline (l_1 = x, "
            "l_{k+1} = 4 l_k (1 - l_k))\nparam x;\n%s\n" % (n, text))


def mlp():
    w1 = ["W1_%d_%d" % (i, j) for i in range(HIDDEN) for j in range(NIN)]
    b1 = ["b1_%d" % i for i in range(HIDDEN)]
    w2 = ["W2_%d_%d" % (k, i) for k in range(NOUT) for i in range(HIDDEN)]
    b2 = ["b2_%d" % k for k in range(NOUT)]
    out = ["# ML: a 2-16-3 network in scalars, tanh hidden layer, softmax "
           "cross-entropy, L2 on the weights"]
    out.append("param " + ", ".join(w1 + b1 + w2 + b2) + ";")
    out.append("input x0, x1, y0, y1, y2;")
    for i in range(HIDDEN):
        out.append("h%d = tanh(b1_%d + W1_%d_0*x0 + W1_%d_1*x1);" % (i, i, i, i))
    for k in range(NOUT):
        terms = " + ".join("W2_%d_%d*h%d" % (k, i, i) for i in range(HIDDEN))
        out.append("s%d = b2_%d + %s;" % (k, k, terms))
    l2 = " + ".join(v + "^2" for v in w1 + w2)
    out.append("ln(exp(s0) + exp(s1) + exp(s2)) - (y0*s0 + y1*s1 + y2*s2)"
               " + 0.0001*(" + l2 + ")")
    return "\n".join(out) + "\n"


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    files = {"lmap_inline_%02d.sd" % n: lmap_inline(n) for n in range(1, 13)}
    files["ml_mlp_2_16_3.sd"] = mlp()
    for name, text in files.items():
        with open(os.path.join(here, name), "w") as f:
            f.write(text)
    print("gen_corpus: wrote %d files into %s" % (len(files), here),
          file=sys.stderr)


if __name__ == "__main__":
    main()
