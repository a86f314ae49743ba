#!/bin/sh
# Installs the build dependencies that are missing (bison, flex, check,
# pkg-config, a C compiler, make).  Debian packages; apt-get when root,
# otherwise prints the exact command to run.  Extra package names given as
# arguments are installed the same way (used by `make bench`).
set -e

need=""
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

have_cmd bison      || need="$need bison"
have_cmd flex       || need="$need flex"
have_cmd pkg-config || need="$need pkg-config"
have_cmd make       || need="$need make"
have_cmd cc         || need="$need gcc"
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
