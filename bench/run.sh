#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/run.sh — `make bench`: symdiff measured against its peers (SymPy,
# GiNaC, hand-written derivatives) and against the cheap-gradient bound;
# results in bench/RESULTS.md, charts in bench/gen_time.svg and
# bench/scaling.svg.  Not part of `make check`: timings depend on the
# machine and on what else runs on it.
#
#   1. builds the fixed tools into bench/out/: sd_phases (symdiff's stages
#      timed in process), runstat (CPU time and peak memory of a command),
#      ginac_diff (when GiNaC's headers and a C++
#      compiler are installed), and kernel_ratio with its kernels (the
#      cost of generated l_10 against hand-written forward and reverse
#      differentiation, bench/kernel_ratio.c);
#   2. runs kernel_ratio, then bench/bench.py (generation time, kernel
#      cost, scaling, training throughput, the minibatch training step of
#      bench/minibatch.c against PyTorch eager, the report).  The minibatch
#      stage links symdiff's --blas kernels with OpenBLAS and runs PyTorch
#      and OpenBLAS on one thread (OPENBLAS_NUM_THREADS=1).
#
# `make bench` first runs `scripts/bootstrap.sh bench`, which installs the
# peers where it can.  Environment: SYMDIFF, CC, CXX, BENCH_CFLAGS (default
# -O2, for kernel_ratio), BENCH_QUICK=1 for a fast smoke run.
# shellcheck disable=SC2086  # CFLAGS and pkg-config output are word lists
set -eu

cd "$(dirname "$0")/.."
SYMDIFF=${SYMDIFF:-./symdiff}
CC=${CC:-cc}
CXX=${CXX:-c++}
OPT=${BENCH_CFLAGS:--O2}
RTLIB=build/libsymdiff_rt.a
LIB=build/libsymdiff.a
OUT=bench/out
CORPUS=bench/corpus
CFLAGS="-std=c99 $OPT -Wall -Wextra -Wpedantic -Werror"

for f in "$SYMDIFF" "$RTLIB" "$LIB"; do
    if [ ! -e "$f" ]; then
        echo "bench: $f is missing; run 'make' first (or 'make bench')" >&2
        exit 1
    fi
done
mkdir -p "$OUT/json"
load_before=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo "?")

# The Python that has SymPy (a distribution's python3-sympy is installed
# for /usr/bin/python3, which need not be the first python3 on PATH).
PY=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sympy' >/dev/null 2>&1; then
        PY=$p
        break
    fi
done
if [ -z "$PY" ]; then
    PY=python3
    echo "bench: SymPy is not installed; its columns stay empty" >&2
fi
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "bench: python3 is needed (the SymPy side and the report)" >&2
    exit 1
fi

# --- 1. the fixed tools -------------------------------------------------------
echo "bench: building the tools in $OUT/"
$CC $CFLAGS -D_POSIX_C_SOURCE=200809L -Isrc -Ibuild -o "$OUT/sd_phases" \
    bench/sd_phases.c "$LIB" -lm
$CC $CFLAGS -D_POSIX_C_SOURCE=200809L -o "$OUT/runstat" bench/runstat.c

GINAC_DIFF=""
ginac_version=""
if pkg-config --exists ginac 2>/dev/null && command -v "$CXX" >/dev/null 2>&1; then
    # shellcheck disable=SC2046
    if $CXX -std=c++11 -O2 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags ginac) \
        -o "$OUT/ginac_diff" bench/ginac_diff.cc $(pkg-config --libs ginac); then
        GINAC_DIFF=$OUT/ginac_diff
        ginac_version=$(pkg-config --modversion ginac)
    else
        echo "bench: bench/ginac_diff.cc does not build; GiNaC not measured" >&2
    fi
else
    echo "bench: GiNaC (libginac-dev) or a C++ compiler is missing; GiNaC not measured" >&2
fi

# The kernels of kernel_ratio.c.  The logistic map's are named after the
# term they compute: l_1 = x, so `repeat 9` gives l_10 and `repeat 99` l_100.
"$SYMDIFF" -D n=9 --name lmap10 -f bench/logistic_map.sd -o "$OUT/lmap10.c"
"$SYMDIFF" -D n=99 --name lmap100 -f bench/logistic_map.sd -o "$OUT/lmap100.c"
"$SYMDIFF" --name logreg -f "$CORPUS/ml_logreg_bce.sd" -o "$OUT/logreg.c"
"$SYMDIFF" --name tanh_softplus -f "$CORPUS/ml_tanh_softplus.sd" -o "$OUT/tanh_softplus.c"
"$SYMDIFF" --name hinge -f "$CORPUS/ml_hinge.sd" -o "$OUT/hinge.c"
# One command, but each .c is its own translation unit: no inlining of the
# kernels into the timing loops.
$CC $CFLAGS -D_POSIX_C_SOURCE=200809L -Iruntime -Ibench -I"$OUT" \
    -o "$OUT/kernel_ratio" bench/kernel_ratio.c bench/reference.c \
    "$OUT/lmap10.c" "$OUT/lmap100.c" "$OUT/logreg.c" "$OUT/tanh_softplus.c" \
    "$OUT/hinge.c" "$RTLIB" -lm

# --- 2. measurements ----------------------------------------------------------
echo "bench: kernel_ratio (hand-written references, a few seconds)"
"$OUT/kernel_ratio" > "$OUT/table.md"

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- src grammar runtime 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes in src/, grammar/ or runtime/)"
fi
printf '{"commit": "%s", "load_before": "%s", "ginac": "%s"}\n' \
    "$commit" "$load_before" "$ginac_version" > "$OUT/json/env.json"

# no __pycache__ in the source tree
PYTHONDONTWRITEBYTECODE=1 SYMDIFF=$SYMDIFF SD_PHASES=$OUT/sd_phases RUNSTAT=$OUT/runstat \
    GINAC_DIFF=$GINAC_DIFF CC=$CC RTLIB=$RTLIB "$PY" bench/bench.py

echo "bench: results in bench/RESULTS.md, charts bench/gen_time.svg and bench/scaling.svg"
