#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build dependencies that are missing (bison, flex, check,
# pkg-config, a C compiler, make; cmake, groff and man for the installation
# test; g++ for the tests of generated C in C++).  Debian packages; apt-get when root,
# otherwise prints the exact command to run.  Extra package names given as
# arguments are installed the same way (used by `make bench`).
#
# `sh scripts/bootstrap.sh bench` installs what `make bench` compares with
# instead (see bench_deps below); it never fails.
set -e

need=""
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# --- bench mode -----------------------------------------------------------
# The peers `make bench` measures symdiff against: SymPy (required for most
# tables, but the benchmark still runs without it), GiNaC and a C++
# compiler for its driver (where the distribution has them), OpenBLAS (the
# CBLAS that generated kernels built with --blas cblas link with, and the
# BLAS PyTorch uses: with the reference BLAS alone both run several times
# slower), and PyTorch only when BENCH_TORCH=1 (python3-torch pulls in
# about 170 packages).  A peer that cannot be installed is reported as
# missing in RESULTS.md, so this mode always exits 0.
have_apt_pkg() { apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'; }
py_has() {
    for py in python3 /usr/bin/python3; do
        have_cmd "$py" && "$py" -c "import $1" >/dev/null 2>&1 && return 0
    done
    return 1
}
bench_deps() {
    want=""
    have_cmd apt-get && [ "$(id -u)" -eq 0 ] && apt_ok=1 || apt_ok=0
    # apt-cache only knows candidates after an update; do one if it has
    # never been done.
    if [ "$apt_ok" -eq 1 ] && ! have_apt_pkg python3-sympy &&
       ! have_apt_pkg libginac-dev; then
        apt-get update -qq >&2 || true
    fi
    py_has sympy || want="$want python3-sympy"
    if have_pkg libginac-dev || have_apt_pkg libginac-dev; then
        have_pkg libginac-dev || want="$want libginac-dev"
        have_cmd g++ || have_cmd c++ || want="$want g++"
    fi
    # OpenBLAS with its CBLAS header; the pthread variant, which Debian's
    # libblas.so.3 alternatives then select over the reference BLAS
    if have_pkg libopenblas-dev || have_apt_pkg libopenblas-dev; then
        have_pkg libopenblas-dev || want="$want libopenblas-dev"
        have_pkg libopenblas0-pthread || want="$want libopenblas0-pthread"
    fi
    if [ "${BENCH_TORCH:-0}" = 1 ] && ! py_has torch; then
        want="$want python3-torch"
    fi
    [ -z "$want" ] && return 0
    if [ "$apt_ok" -eq 0 ]; then
        echo "bench: optional peers missing:$want; to measure them run" >&2
        echo "    sudo apt-get install -y$want" >&2
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    for p in $want; do  # one at a time: one unavailable package spoils none
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $p >&2 ||
            echo "bench: could not install $p; measuring without it" >&2
    done
    return 0
}
if [ "${1:-}" = bench ]; then
    bench_deps
    exit 0
fi

# --- web mode -------------------------------------------------------------
# `sh scripts/bootstrap.sh web` installs what `make web` needs: Debian's
# emscripten, node-acorn (its JavaScript optimiser's parser) and Node.js
# with npm (for the page's pinned libraries).  `... web check` also
# installs Chromium for `make check-web`; a Chromium that cannot be had is
# reported (exit 0, the caller skips the browser test), a missing
# compiler is an error.
web_deps() {
    wneed=""
    have_cmd emcc || wneed="$wneed emscripten"
    have_pkg node-acorn || [ -d /usr/share/nodejs/acorn ] || wneed="$wneed node-acorn"
    have_cmd node || wneed="$wneed nodejs"
    have_cmd npm || wneed="$wneed npm"
    bneed=""
    if [ "${1:-}" = check ]; then
        have_cmd chromium || bneed="chromium"
    fi
    [ -z "$wneed$bneed" ] && return 0
    if ! have_cmd apt-get || [ "$(id -u)" -ne 0 ]; then
        [ -n "$wneed" ] && {
            echo "symdiff: the web build needs:$wneed; run once:" >&2
            echo "    sudo apt-get update && sudo apt-get install -y$wneed $bneed" >&2
            return 1
        }
        echo "symdiff: chromium is not installed (sudo apt-get install -y chromium)" >&2
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    have_apt_pkg emscripten || have_apt_pkg chromium || apt-get update -qq >&2 || true
    if [ -n "$wneed" ]; then
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $wneed >&2 || return 1
    fi
    if [ -n "$bneed" ]; then
        apt-get install -y -qq --no-install-recommends chromium >&2 ||
            echo "symdiff: could not install chromium" >&2
    fi
    return 0
}
if [ "${1:-}" = web ]; then
    web_deps "${2:-}"
    exit $?
fi

have_cmd bison      || need="$need bison"
have_cmd flex       || need="$need flex"
have_cmd pkg-config || need="$need pkg-config"
have_cmd make       || need="$need make"
have_cmd cc         || need="$need gcc"
# the installation test of `make check` (tests/install.sh): a CMake project
# and the man pages rendered
have_cmd cmake      || need="$need cmake"
have_cmd groff      || need="$need groff-base"
have_cmd man        || need="$need man-db"
# the test suite compiles generated headers and kernels as C++ too
have_cmd g++        || need="$need g++"
if have_cmd pkg-config && pkg-config --exists check 2>/dev/null; then :; else
    have_pkg check || need="$need check"
fi
for p in "$@"; do have_pkg "$p" || need="$need $p"; done

[ -z "$need" ] && exit 0

echo "symdiff: missing build dependencies:$need" >&2
if ! have_cmd apt-get; then
    echo "symdiff: no apt-get here; install these packages with your package manager:$need" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "symdiff: run this once, then try again:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y$need" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || apt-get update >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >&2
