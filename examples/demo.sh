#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/demo.sh — `make demo`: from a model written in symdiff's language
# to a trained classifier, in one command.
#
#   1. the model: the loss of one sample of logistic regression;
#   2. symdiff writes C for its value and gradient (and for the prediction);
#   3. the C compiler builds them with a training driver and the runtime;
#   4. the program trains on a synthetic data set and reports.
#
# Run from anywhere; uses ./symdiff and build/libsymdiff_rt.a, which `make`
# builds (`make demo` builds them first).  Files go to examples/out/demo/.
# SYMDIFF and CC may be set in the environment.
set -eu

cd "$(dirname "$0")/.."
SYMDIFF=${SYMDIFF:-./symdiff}
CC=${CC:-cc}
RTLIB=build/libsymdiff_rt.a
OUT=examples/out/demo

for f in "$SYMDIFF" "$RTLIB"; do
    if [ ! -e "$f" ]; then
        echo "demo: $f is missing; run 'make' first (or 'make demo')" >&2
        exit 1
    fi
done
mkdir -p "$OUT"

# Prints a command, then runs it.
run() {
    echo "  \$ $*"
    "$@"
}

echo "== 1. The model: logistic regression, the loss of one sample (x1, x2, y)"
echo
grep -v '^#' examples/logistic_regression.sd | sed 's/^/    /'
echo
echo "== 2. symdiff turns it into C: the loss, its gradient, and the prediction"
run "$SYMDIFF" --name logreg_loss -f examples/logistic_regression.sd \
    -o "$OUT/logistic_regression.c"
run "$SYMDIFF" --name logreg_prob -f examples/logistic_regression_prob.sd \
    -o "$OUT/logistic_regression_prob.c"
echo
echo "  the generated gradient kernel ($OUT/logistic_regression.c):"
echo
sed -n '/^double logreg_loss_grad(/,/^}/p' "$OUT/logistic_regression.c" |
    sed 's/^/    /'
echo
echo "== 3. Compile it with a training driver and the symdiff runtime"
run "$CC" -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -Iruntime -I"$OUT" \
    -o "$OUT/train" examples/logistic_regression_main.c \
    "$OUT/logistic_regression.c" "$OUT/logistic_regression_prob.c" \
    "$RTLIB" -lm
echo
echo "== 4. Train: Adam on shuffled minibatches; the loss falls epoch by epoch"
echo
"$OUT/train"
echo
echo "== 5. Vectors and matrices: a 2-16-3 tanh network on the two spirals"
echo
grep -v '^#' examples/spiral_network.sd | sed 's/^/    /'
echo
echo "  its gradient, in matrix notation:"
"$SYMDIFF" -f examples/spiral_network.sd | sed 's/^/    /'
run "$SYMDIFF" --name spiral_net -f examples/spiral_network.sd -o "$OUT/spiral_network.c"
run "$SYMDIFF" --name spiral_scores -f examples/spiral_scores.sd -o "$OUT/spiral_scores.c"
run "$CC" -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -Iruntime -I"$OUT" \
    -o "$OUT/spiral" examples/spiral_network_main.c "$OUT/spiral_network.c" \
    "$OUT/spiral_scores.c" "$RTLIB" -lm
echo
"$OUT/spiral"
