#!/bin/sh
# SPDX-License-Identifier: MIT
# prefix.sh — keeps src/sdprefix.h naming every global symbol of the
# library's internals with the project's prefix.
#
#   sh scripts/prefix.sh LIB.a      appends a "#define name sd_name" line to
#                                   src/sdprefix.h for each global symbol of
#                                   LIB.a that lacks the prefix sd_, and
#                                   exits 1 when it added any (rebuild then)
#   sh scripts/prefix.sh --check LIB.a [PREFIX]
#                                   exits 1, listing them, when LIB.a has a
#                                   global symbol without PREFIX (default
#                                   sd_; the runtime's is sdrt_)
#
# The internals keep their readable module names in the sources (dag_mul,
# deriv_reverse); every object of the library, its tests and fuzzers is
# compiled with -include src/sdprefix.h, so the names the linker sees are
# sd_dag_mul, sd_deriv_reverse: nothing the library exports can collide
# with a user's program (zlib's Z_PREFIX works the same way).
set -eu
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
lib=${1:?usage: prefix.sh [--check] LIB.a [PREFIX]}
prefix=${2:-sd_}
header=$(dirname "$0")/../src/sdprefix.h
# A sanitizer's instrumentation adds globals of its own (__odr_asan.NAME
# beside each global NAME): they are not the project's names.
bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /^[TDRBCGSVW]$/ { print $3 }' |
      grep -v -e "^$prefix" -e '^__odr_asan[._]' -e '^__[atmu]*san_' | sort -u || true)
[ -z "$bad" ] && exit 0
if [ $check = 1 ]; then
    echo "global symbols of $lib without the prefix $prefix (for the engine: sh scripts/prefix.sh $lib):" >&2
    echo "$bad" | sed 's/^/  /' >&2
    exit 1
fi
tmp=$header.tmp
grep '^#define ' "$header" > "$tmp.defs" 2>/dev/null || true
for s in $bad; do echo "#define $s sd_$s"; done >> "$tmp.defs"
{
    sed -n '1,/^#define SYMDIFF_SDPREFIX_H/p' "$header"
    echo
    sort -u "$tmp.defs" | grep -v '^#define SYMDIFF_SDPREFIX_H'
    echo
    echo '#endif'
} > "$tmp"
rm -f "$tmp.defs"
mv "$tmp" "$header"
echo "prefix.sh: $(echo "$bad" | wc -l) names added to src/sdprefix.h; rebuild" >&2
exit 1
