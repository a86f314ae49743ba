#!/bin/sh
# SPDX-License-Identifier: MIT
# relpath.sh FROM TO — prints the path of TO relative to the directory FROM,
# both absolute, compared as written (no symbolic links are followed):
#
#     relpath.sh /usr/share/symdiff /usr/bin/symdiff    ->  ../../bin/symdiff
#
# `make install` writes such paths into symdiff.mk and the CMake package,
# so that an installed tree still works when it is moved (or staged in
# DESTDIR).  "//", "/./" and "/x/.." are folded first.
set -eu
[ $# -eq 2 ] || { echo "usage: relpath.sh FROM TO" >&2; exit 2; }
for p in "$1" "$2"; do
    case "$p" in /*) ;; *) echo "relpath.sh: '$p' is not an absolute path" >&2; exit 2 ;; esac
done
awk -v from="$1" -v to="$2" '
function split_path(p, parts,    raw, n, k, i) {
    n = split(p, raw, "/"); k = 0
    for (i = 1; i <= n; i++) {
        if (raw[i] == "" || raw[i] == ".") continue
        if (raw[i] == "..") { if (k > 0) k--; continue }
        parts[++k] = raw[i]
    }
    return k
}
BEGIN {
    nf = split_path(from, f); nt = split_path(to, t)
    c = 0
    while (c < nf && c < nt && f[c + 1] == t[c + 1]) c++
    out = ""
    for (i = c + 1; i <= nf; i++) out = out (out == "" ? "" : "/") ".."
    for (i = c + 1; i <= nt; i++) out = out (out == "" ? "" : "/") t[i]
    print (out == "" ? "." : out)
}'
