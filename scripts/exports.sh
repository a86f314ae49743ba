#!/bin/sh
# SPDX-License-Identifier: MIT
# exports.sh NODE CC HEADER — the linker version script of libsymdiff.so:
# every function HEADER (src/symdiff.h) declares is global in version node
# NODE, every other symbol is local.  The declarations are read after the
# preprocessor (comments gone), so the list is exactly the public interface;
# the stages behind it (dag_, deriv_, codegen_, the scanner's sd_yy ...)
# stay inside the library.
set -eu
[ $# -eq 3 ] || { echo "usage: exports.sh NODE CC HEADER" >&2; exit 2; }
node=$1 cc=$2 header=$3
names=$($cc -E -P -x c "$header" | tr -s ' \t\n' ' ' |
        grep -o '[A-Za-z_][A-Za-z0-9_]* *(' | sed 's/ *($//' | grep '^sd_' | sort -u)
[ -n "$names" ] || { echo "exports.sh: no sd_ functions in $header" >&2; exit 1; }
echo "/* The symbols libsymdiff.so exports, from $header (scripts/exports.sh). */"
echo "$node {"
echo "    global:"
for n in $names; do echo "        $n;"; done
echo "    local:"
echo "        *;"
echo "};"
