#!/bin/sh
# SPDX-License-Identifier: MIT
# install.sh — `make install` into a temporary DESTDIR, then everything
# used from there and only from there; run by `make check-install` (part
# of `make check`) from the top of the source tree.
#
#   1. every file in its place: the program, libsymdiff.a and .so (soname,
#      links, only sd_* symbols exported: exactly the functions symdiff.h
#      declares), libsymdiff_rt.a, the headers, the pkg-config files, the man
#      pages, symdiff.mk, the CMake package, the licence;
#   2. pkg-config: versions, flags into the staged tree, --validate;
#   3. a client of symdiff.h linked with the shared and the static library;
#   4. the man pages render without warnings (groff -ww, man -l);
#   5. examples/make-project (pkg-config + symdiff.mk) and
#      examples/cmake-project (find_package + symdiff_add_kernel), copied out
#      of the tree, build and train; a second build does nothing; touching
#      the model, or the installed symdiff, generates the kernels again; a
#      C file that symdiff did not write is never replaced;
#   6. `make uninstall` leaves no file behind.
#
# The environment is cleared of what could point back into the source tree
# (SYMDIFF, CPATH, LIBRARY_PATH, ...), and the build logs are searched for
# the source tree's path.
set -eu

MAKE=${MAKE:-make}
src=$(pwd -P)
version=$(cat VERSION)
prefix=/usr
tmp=$(mktemp -d /tmp/symdiff-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
D=$tmp/stage
P=$D$prefix
checks=0

fail() { echo "install test: FAILED: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }
# the command, its output kept in $tmp/log; fails the test when it fails
run() { "$@" > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; fail "$*"; }; }
no_source_paths() { # DIR...: no text file mentions the source tree
    if grep -rIl -F "$src/" "$@" 2>/dev/null; then fail "files above refer to $src"; fi
    ok
}

unset SYMDIFF CPATH C_INCLUDE_PATH LIBRARY_PATH LD_LIBRARY_PATH PKG_CONFIG_PATH \
      CMAKE_PREFIX_PATH symdiff_DIR 2>/dev/null || true
export PKG_CONFIG_LIBDIR="$P/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"

echo "install test: make install DESTDIR=$D PREFIX=$prefix"
run "$MAKE" --no-print-directory install DESTDIR="$D" PREFIX="$prefix"
run "$MAKE" --no-print-directory install DESTDIR="$D" PREFIX="$prefix" # again: no error

# --- 1. the files -------------------------------------------------------------------
for f in bin/symdiff lib/libsymdiff.a "lib/libsymdiff.so.$version" lib/libsymdiff_rt.a \
         include/symdiff.h include/sdrt.h lib/pkgconfig/symdiff.pc lib/pkgconfig/symdiff-rt.pc \
         share/man/man1/symdiff.1 share/man/man7/symdiff-language.7 share/symdiff/symdiff.mk \
         lib/cmake/symdiff/symdiff-config.cmake lib/cmake/symdiff/symdiff-config-version.cmake \
         share/doc/symdiff/LICENSE share/doc/symdiff/README.md share/doc/symdiff/docs/language.md; do
    [ -f "$P/$f" ] || fail "$prefix/$f is not installed"
    ok
done
[ -x "$P/bin/symdiff" ] || fail "$prefix/bin/symdiff is not executable"
[ "$(readlink "$P/lib/libsymdiff.so")" = libsymdiff.so.0 ] || fail "libsymdiff.so -> $(readlink "$P/lib/libsymdiff.so")"
[ "$(readlink "$P/lib/libsymdiff.so.0")" = "libsymdiff.so.$version" ] || fail "libsymdiff.so.0 link"
readelf -d "$P/lib/libsymdiff.so.$version" | grep -q 'Library soname: \[libsymdiff.so.0\]' ||
    fail "libsymdiff.so has no soname libsymdiff.so.0"
ok
"$P/bin/symdiff" --version | grep -qx "symdiff $version\(+g[0-9a-f]*\(\.dirty\)\{0,1\}\)\{0,1\}" ||
    fail "symdiff --version: $("$P/bin/symdiff" --version)"
ok

# exported: the functions symdiff.h declares, nothing else
${CC:-cc} -E -P -x c "$P/include/symdiff.h" | tr -s ' \t\n' ' ' | grep -o '[A-Za-z_][A-Za-z0-9_]* *(' |
    sed 's/ *($//' | grep '^sd_' | sort -u > "$tmp/declared"
nm -D --defined-only "$P/lib/libsymdiff.so.$version" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
    sort -u > "$tmp/exported"
[ "$(wc -l < "$tmp/declared")" -gt 30 ] || fail "too few declarations read from symdiff.h"
diff "$tmp/declared" "$tmp/exported" > "$tmp/log" ||
    { cat "$tmp/log" >&2; fail "libsymdiff.so exports (>) differ from symdiff.h (<)"; }
ok

# --- 2. pkg-config ---------------------------------------------------------------------
for pc in symdiff symdiff-rt; do
    pkg-config --validate "$pc" || fail "pkg-config --validate $pc"
    [ "$(pkg-config --modversion "$pc")" = "$version" ] || fail "$pc: version $(pkg-config --modversion "$pc")"
    ok
done
flags=$(pkg-config --cflags --libs symdiff symdiff-rt)
for want in "-I$P/include" "-L$P/lib" -lsymdiff -lsymdiff_rt -lm; do
    case " $flags " in *" $want "*) ok ;; *) fail "pkg-config --cflags --libs: '$flags' lacks $want" ;; esac
done
case " $(pkg-config --static --libs symdiff) " in *" -lm "*) ok ;; *) fail "symdiff.pc: no -lm for --static" ;; esac
[ "$(pkg-config --variable=symdiff_mk symdiff)" = "$P/share/symdiff/symdiff.mk" ] || fail "symdiff_mk variable"
[ "$(pkg-config --variable=symdiff symdiff)" = "$P/bin/symdiff" ] || fail "symdiff variable"
ok

# --- 3. a client of the engine, linked both ways ---------------------------------------
cat > "$tmp/client.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <symdiff.h>
int main(int argc, char **argv) {
    (void)argc;
    SdProgram *p;
    SdResult *r;
    char *text = NULL;
    const char *src = "x^2*sin(x)";
    if (sd_compile(src, strlen(src), &(SdCompileOptions){0}, &p) != SD_OK ||
        sd_derive(p, &(SdRequest){.what = SD_GRADIENT}, &r) != SD_OK ||
        sd_print(r, NULL, NULL, SD_TEXT, &text) != SD_OK)
        return 1;
    int ok = strcmp(text, argv[1]) == 0;
    printf("%s %s", sd_version(), text);
    sd_free(text);
    sd_result_free(r);
    sd_program_free(p);
    return ok ? 0 : 1;
}
EOF
expected=$("$P/bin/symdiff" 'x^2*sin(x)')
want_version=$("$P/bin/symdiff" --version | sed 's/^symdiff //')
# shellcheck disable=SC2046
run ${CC:-cc} -std=c99 -Wall -Wextra -Werror $(pkg-config --cflags symdiff) -o "$tmp/client" \
    "$tmp/client.c" $(pkg-config --libs symdiff)
readelf -d "$tmp/client" | grep -q 'NEEDED.*libsymdiff.so.0' || fail "the client does not load libsymdiff.so.0"
LD_LIBRARY_PATH="$P/lib" "$tmp/client" "$expected
" > "$tmp/out" || fail "the client linked with libsymdiff.so: $(cat "$tmp/out")"
[ "$(head -n 1 "$tmp/out" | cut -d' ' -f1)" = "$want_version" ] || fail "sd_version() is not --version's"
ok
# shellcheck disable=SC2046
run ${CC:-cc} -std=c99 $(pkg-config --cflags symdiff) -o "$tmp/client-static" "$tmp/client.c" \
    -L"$P/lib" -Wl,-Bstatic -lsymdiff -Wl,-Bdynamic $(pkg-config --static --libs-only-l symdiff | sed 's/-lsymdiff//')
"$tmp/client-static" "$expected
" > /dev/null || fail "the client linked with libsymdiff.a"
ok

# --- 4. the man pages -----------------------------------------------------------------------
for page in share/man/man1/symdiff.1 share/man/man7/symdiff-language.7; do
    groff -ww -man -Tutf8 -z "$P/$page" > "$tmp/log" 2>&1
    [ ! -s "$tmp/log" ] || { cat "$tmp/log" >&2; fail "groff -ww warns about $page"; }
    MANWIDTH=80 man --warnings -l "$P/$page" > "$tmp/page" 2> "$tmp/log"
    [ ! -s "$tmp/log" ] || { cat "$tmp/log" >&2; fail "man -l warns about $page"; }
    [ "$(wc -l < "$tmp/page")" -gt 50 ] || fail "man -l $page renders almost nothing"
    ok
done
[ "$(MANPATH="$P/share/man" man -w symdiff)" = "$P/share/man/man1/symdiff.1" ] || fail "man -w symdiff"
[ "$(MANPATH="$P/share/man" man -w 7 symdiff-language)" = "$P/share/man/man7/symdiff-language.7" ] ||
    fail "man -w 7 symdiff-language"
ok

# --- 5a. the Make project --------------------------------------------------------------------
# (make as a user runs it: not silent, whatever flags the caller's make had)
unset MAKEFLAGS MFLAGS MAKELEVEL
mp=$tmp/make-project
cp -R examples/make-project "$mp"
echo "install test: examples/make-project"
run "$MAKE" --no-print-directory -C "$mp"
grep -q "^$P/bin/symdiff .*--name loss -f loss.sd -o loss.c" "$tmp/log" || fail "symdiff.mk did not run the installed symdiff"
cp "$tmp/log" "$tmp/make-build.log"
run "$mp/train"
grep -q 'accuracy' "$tmp/log" || fail "train printed no accuracy"
[ -f "$mp/loss.c" ] && [ -f "$mp/loss.h" ] || fail "the generated loss.c and loss.h were not kept"
"$MAKE" --no-print-directory -q -C "$mp" train || fail "a second make would rebuild"
ok
touch "$mp/loss.sd"
"$MAKE" --no-print-directory -q -C "$mp" train && fail "make ignores a changed loss.sd"
run "$MAKE" --no-print-directory -C "$mp"
grep -q -- "--name loss" "$tmp/log" || fail "a changed loss.sd did not regenerate loss.c"
"$MAKE" --no-print-directory -q -C "$mp" train || fail "make is not done after regenerating"
ok
touch "$P/bin/symdiff"
run "$MAKE" --no-print-directory -C "$mp"
grep -q -- "--name loss" "$tmp/log" || fail "a newer symdiff did not regenerate loss.c"
ok
# options for one model; a C file of the same name that symdiff did not write
printf 'param a, b;\na^2*b\n' > "$mp/quad.sd"
run "$MAKE" --no-print-directory -C "$mp" quad.c SYMDIFF_FLAGS_quad=--hessian
grep -q 'quad_hess' "$mp/quad.h" || fail "SYMDIFF_FLAGS_quad was not used"
printf '/* written by hand */\nint own(void) { return 1; }\n' > "$mp/own.c"
cp "$mp/own.c" "$tmp/own.c"
touch "$mp/own.sd"
"$MAKE" --no-print-directory -C "$mp" own.o > "$tmp/log" 2>&1 && fail "symdiff.mk replaced a hand-written own.c"
grep -q 'own.c was not written by symdiff' "$tmp/log" || { cat "$tmp/log" >&2; fail "no reason given"; }
cmp -s "$mp/own.c" "$tmp/own.c" || fail "the hand-written own.c was changed"
ok
no_source_paths "$mp" "$tmp/make-build.log"

# --- 5b. the CMake project --------------------------------------------------------------------
cp_=$tmp/cmake-project
cp -R examples/cmake-project "$cp_"
echo "install test: examples/cmake-project"
run cmake -S "$cp_" -B "$cp_/build" -DCMAKE_PREFIX_PATH="$P"
grep -q "^symdiff_DIR:PATH=$P/lib/cmake/symdiff\$" "$cp_/build/CMakeCache.txt" ||
    fail "find_package(symdiff) did not find the staged package"
run cmake --build "$cp_/build"
cp "$tmp/log" "$tmp/cmake-build.log"
grep -q 'symdiff: loss.c and loss.h from loss.sd' "$tmp/log" || fail "no kernel generated"
run "$cp_/build/train"
grep -q 'float kernel within' "$tmp/log" || fail "train printed no result"
ok
stamp() { ls -l --time-style=+%s.%N "$cp_/build/symdiff/loss.c" "$cp_/build/symdiff/loss_f.c" "$cp_/build/train"; }
before=$(stamp)
run cmake --build "$cp_/build"
grep -q 'symdiff:\|Building\|Linking' "$tmp/log" && { cat "$tmp/log" >&2; fail "a second build did work"; }
[ "$(stamp)" = "$before" ] || fail "a second build changed files"
ok
touch "$cp_/loss.sd"
run cmake --build "$cp_/build"
grep -q 'symdiff: loss.c and loss.h' "$tmp/log" && grep -q 'symdiff: loss_f.c and loss_f.h' "$tmp/log" ||
    fail "a changed loss.sd did not regenerate both kernels"
grep -q 'Linking' "$tmp/log" || fail "nothing was linked again"
ok
touch "$P/bin/symdiff"
run cmake --build "$cp_/build"
grep -q 'symdiff: loss.c and loss.h' "$tmp/log" || fail "a newer symdiff did not regenerate the kernels"
grep -q -- '--hessian' "$cp_/build/symdiff/loss.h" && grep -q 'float' "$cp_/build/symdiff/loss_f.h" ||
    fail "HESSIAN or TYPE float did not reach symdiff"
ok
# the function's errors are configuration errors with a reason
mkdir "$cp_/bad"
cat > "$cp_/bad/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.13)
project(bad C)
find_package(symdiff 0.1 REQUIRED)
add_executable(t t.c)
symdiff_add_kernel(t FILE ../loss.sd NAME loss TYPE half)
EOF
echo 'int main(void) { return 0; }' > "$cp_/bad/t.c"
cmake -S "$cp_/bad" -B "$cp_/bad/build" -DCMAKE_PREFIX_PATH="$P" > "$tmp/log" 2>&1 && fail "TYPE half accepted"
grep -q "TYPE is double or float, not 'half'" "$tmp/log" || { cat "$tmp/log" >&2; fail "no reason for TYPE half"; }
sed -i 's/symdiff 0.1 REQUIRED/symdiff 9.0 REQUIRED/' "$cp_/bad/CMakeLists.txt"
rm -rf "$cp_/bad/build"
cmake -S "$cp_/bad" -B "$cp_/bad/build" -DCMAKE_PREFIX_PATH="$P" > "$tmp/log" 2>&1 && fail "version 9.0 accepted"
ok
no_source_paths "$cp_/build/symdiff" "$cp_/build/CMakeCache.txt" "$tmp/cmake-build.log"

# --- 6. uninstall --------------------------------------------------------------------------
run "$MAKE" --no-print-directory uninstall DESTDIR="$D" PREFIX="$prefix"
left=$(find "$D" ! -type d; find "$D" -type d -name '*symdiff*')
[ -z "$left" ] || fail "make uninstall left: $left"
ok
# the project cleans up without symdiff
run "$MAKE" --no-print-directory -C "$mp" clean
[ ! -e "$mp/train" ] && [ ! -e "$mp/loss.c" ] && [ ! -e "$mp/loss.h" ] || fail "make clean left files"
ok

echo "install test: $checks checks passed"
