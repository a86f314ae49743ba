#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/stable_forms.sh — kernel time of the losses as users write them
# (log of a softmax, log-sum-exp, softmax, 1/(1 + e^-z), log-sigmoid,
# products of exponentials, ...) before and after symdiff rewrites them
# into stable forms: the same programs through two symdiff binaries, both
# kernels timed in one interleaved run (bench/stable_forms.c).
#
#   sh bench/stable_forms.sh BEFORE [AFTER]
#
# BEFORE is a symdiff built without the rewrites (an earlier commit);
# AFTER defaults to ./symdiff.  Prints a Markdown table: nanoseconds per
# value-and-gradient call, median over rounds, and the ratio after/before
# with its range.  Points are moderate (logits in [-5, 5]), where the
# forms as written are finite too.  Not part of `make check`.
set -eu

cd "$(dirname "$0")/.."
BEFORE=${1:?usage: sh bench/stable_forms.sh BEFORE_SYMDIFF [AFTER_SYMDIFF]}
AFTER=${2:-./symdiff}
CC=${CC:-cc}
OUT=bench/out/stable_forms
rm -rf "$OUT"
mkdir -p "$OUT"

# name|program (a corpus file is named by @path)
FORMS='cross-entropy of a softmax, 3 logits|param a, b, c; -log(exp(b)/(exp(a) + exp(b) + exp(c)))
cross-entropy, vector|param s[3]; -dot([0, 1, 0], log(softmax(s)))
log-sum-exp of 3|param a, b, c; log(exp(a) + exp(b) + exp(c))
log-sum-exp, vector|param s[3]; log(sum(exp(s)))
log-sum-exp of 2|param a, b; log(exp(a) + exp(b))
softmax written out, 3|param a, b, c; exp(a)/(exp(a) + exp(b) + exp(c))
softmax written out, vector|param s[3]; exp(s[0])/sum(exp(s))
softmax of 2 classes|param a, b; exp(a)/(exp(a) + exp(b))
1/(1 + exp(-z))|param a, b; 1/(1 + exp(-a)) + 1/(1 + exp(-b))
log(sigmoid(z))|param a, b; log(sigmoid(a)) + log(sigmoid(b))
log(1 - sigmoid(z))|param a, b; log(1 - sigmoid(a)) + log(1 - sigmoid(b))
-log(1/(1 + exp(-z)))|param a, b; -log(1/(1 + exp(-a))) - log(1/(1 + exp(-b)))
BCE written out|param a, b; -(log(1/(1 + exp(-a))) + log(1 - 1/(1 + exp(-b))))
exp(a)*exp(b)|param a, b; exp(a)*exp(-b)
log(exp(u))|param a, b; log(exp(a)) + log(exp(b))
sqrt(x^2 + y^2)^2|param a, b; sqrt(a^2 + b^2)^2
lambda*norm2(w)^2|param s[3], lambda; lambda*norm2(s)^2
corpus: ml_logsumexp|@bench/corpus/ml_logsumexp.sd
corpus: ml_softmax3|@bench/corpus/ml_softmax3.sd
corpus: ml_logreg_bce|@bench/corpus/ml_logreg_bce.sd
corpus: ml_mixture|@bench/corpus/ml_mixture.sd
corpus: ml_mlp_2_16_3|@bench/corpus/ml_mlp_2_16_3.sd'

TABLE=$OUT/table.h
: > "$TABLE"
ENTRIES=""
i=0
echo "$FORMS" > "$OUT/forms.txt"
while IFS='|' read -r name program; do
    case $program in
    @*) src=${program#@} ;;
    *) src=$OUT/f$i.sd; printf '%s\n' "$program" > "$src" ;;
    esac
    for side in b a; do
        tool=$BEFORE
        [ $side = a ] && tool=$AFTER
        "$tool" --name "$side$i" -f "$src" -o "$OUT/$side$i.c"
        echo "#include \"$side$i.h\"" >> "$TABLE"
        if grep -q "^input\|; *input\|^ *input" "$src"; then
            echo "static double call_$side$i(const double *x, const double *in, double *g) { return $side${i}_grad(x, in, g); }" >> "$TABLE"
        else
            echo "static double call_$side$i(const double *x, const double *in, double *g) { (void)in; return $side${i}_grad(x, g); }" >> "$TABLE"
        fi
    done
    upper=$(echo "B$i" | tr a-z A-Z)
    ENTRIES="$ENTRIES    {\"$name\", ${upper}_NVARS, ${upper}_NINPUTS, call_b$i, call_a$i},
"
    i=$((i + 1))
done < "$OUT/forms.txt"
{
    echo "static const Form forms[] = {"
    printf '%s' "$ENTRIES"
    echo "};"
} >> "$TABLE"

CFLAGS="-std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -Wno-unused-macros"
$CC $CFLAGS -c bench/stable_forms.c -I"$OUT" -o "$OUT/driver.o"
for c in "$OUT"/[ab]*.c; do
    $CC $CFLAGS -c "$c" -o "${c%.c}.o"
done
$CC -o "$OUT/stable_forms" "$OUT"/*.o -lm
"$OUT/stable_forms"

# Instructions per call under callgrind (one pass of NPTS points each),
# when valgrind is installed: independent of the machine's load.
if command -v valgrind >/dev/null 2>&1 && command -v callgrind_annotate >/dev/null 2>&1; then
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" "$OUT/stable_forms" count \
        > /dev/null 2>&1
    callgrind_annotate --inclusive=yes --threshold=100 "$OUT/callgrind.out" > "$OUT/annotate.txt" 2>/dev/null
    echo
    echo "| program | before, instructions | after, instructions | after / before |"
    echo "| --- | ---: | ---: | ---: |"
    i=0
    while IFS='|' read -r name program; do
        b=$(grep "call_b$i[ (]\|call_b$i\$" "$OUT/annotate.txt" | head -1 | awk '{gsub(",", "", $1); print $1}')
        a=$(grep "call_a$i[ (]\|call_a$i\$" "$OUT/annotate.txt" | head -1 | awk '{gsub(",", "", $1); print $1}')
        awk -v n="$name" -v b="${b:-0}" -v a="${a:-0}" 'BEGIN {
            if (b > 0) printf "| %s | %.0f | %.0f | **%.2f** |\n", n, b / 256, a / 256, a / b }'
        i=$((i + 1))
    done < "$OUT/forms.txt"
fi
