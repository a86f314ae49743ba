#!/bin/sh
# SPDX-License-Identifier: MIT
# builtin_index.sh builtins.def — writes, on standard output, the hashed
# index of the built-in functions' names that builtins.c looks names up in
# (the Makefile makes $(BUILD)/builtin_index.h with it).
#
#     #define BUILTIN_INDEX_ROWS 55     (rows read: builtins.c checks BI_COUNT)
#     #define BUILTIN_INDEX_SLOTS 256
#     static const unsigned char builtin_index[256] = {...};
#
# A slot holds 1 + the first row (in the order of builtins.def) whose name
# or alias is the name hashed there, 0 when empty; names that collide go to
# the next free slot (linear probing), so a lookup reads a slot or two and
# compares one name.  The hash is builtins.c's index_hash: h = h * 31 + c
# over the name's bytes, modulo 2^16, and the home slot is h modulo the
# number of slots.  tests/check_functions.c looks up every row's name and
# alias and names one edit away from them.
set -eu
LC_ALL=C
export LC_ALL
def=${1:?usage: builtin_index.sh builtins.def}
awk -v slots=256 '
BEGIN {
    for (i = 1; i < 128; i++)
        ord[sprintf("%c", i)] = i
}
/^BI\(/ {
    split($0, f, ",")
    for (k = 2; k <= 3; k++) {
        name = f[k]
        gsub(/^[ \t]+|[ \t]+$/, "", name)
        if (name == "NULL")
            continue
        if (name !~ /^"[a-z0-9_]+"$/) {
            print "builtin_index.sh: row " rows ": cannot read the name " name > "/dev/stderr"
            exit 1
        }
        name = substr(name, 2, length(name) - 2)
        if (name in seen)
            continue
        seen[name] = 1
        if (++names * 2 > slots) {
            print "builtin_index.sh: more than " slots / 2 " names; double the slots" > "/dev/stderr"
            exit 1
        }
        h = 0
        for (c = 1; c <= length(name); c++)
            h = (h * 31 + ord[substr(name, c, 1)]) % 65536
        j = h % slots
        while (j in slot)
            j = (j + 1) % slots
        slot[j] = rows + 1
    }
    rows++
}
END {
    if (rows > 254) {
        print "builtin_index.sh: more than 254 rows do not fit a byte" > "/dev/stderr"
        exit 1
    }
    print "/* Generated from src/builtins.def by scripts/builtin_index.sh. */"
    print "#define BUILTIN_INDEX_ROWS " rows
    print "#define BUILTIN_INDEX_SLOTS " slots
    print "static const unsigned char builtin_index[BUILTIN_INDEX_SLOTS] = {"
    for (j = 0; j < slots; j += 16) {
        line = "   "
        for (k = j; k < j + 16; k++)
            line = line " " (k in slot ? slot[k] : 0) ","
        print line
    }
    print "};"
}' "$def"
