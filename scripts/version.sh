#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints symdiff's version: the number in VERSION, and when the source is a
# git checkout of its own, "+g<commit>" (and ".dirty" when tracked files
# differ from that commit), as semantic versioning's build metadata:
#
#     0.1.0                   a tarball (no .git)
#     0.1.0+g4d92540          built from commit 4d92540
#     0.1.0+g4d92540.dirty    ... with local changes
#
# The Makefile computes it at each run; `symdiff --version`, sd_version()
# and the header of every generated file show it.
set -u
cd "$(dirname "$0")/.." || exit 1
version=$(cat VERSION 2>/dev/null) || version=0.0.0
# Only this tree's own repository counts: a tarball unpacked inside some
# other checkout must not take that checkout's commit.
top=$(git rev-parse --show-toplevel 2>/dev/null) &&
    [ "$(cd "$top" && pwd -P)" = "$(pwd -P)" ] &&
    commit=$(git rev-parse --short HEAD 2>/dev/null) || commit=
if [ -n "$commit" ]; then
    version="$version+g$commit"
    git diff --quiet HEAD -- 2>/dev/null || version="$version.dirty"
fi
echo "$version"
