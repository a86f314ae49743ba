#!/bin/sh
# SPDX-License-Identifier: MIT
# run-suites.sh RUNNER JOBS [SUITE...] — runs the Check suites of one runner
# (build/check_symdiff, or the sanitizer build's) in JOBS processes at once,
# each suite a process of its own, so that `make check` keeps both cores
# busy: most suites wait on the compilers they start, one at a time.
#
# A suite's line is printed when it ends (its Check summary and seconds);
# the whole output of a suite that fails follows, and the exit status is
# non-zero when any suite failed or its runner died.  No SUITE: every one
# the runner lists.  The suites that take longest start first (SLOW below,
# measured), so that no long one is left to run alone at the end.
# SYMDIFF, BUILD and the CK_* variables reach the runner unchanged, except
# that every test case's timeout is 3 times what it says (Check's
# CK_TIMEOUT_MULTIPLIER, when not set): suites share the cores with each
# other and with the builds `make check` runs beside them, and a timeout is
# there to catch a test that hangs, not one that waits for a core.
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 RUNNER JOBS [SUITE...]" >&2
    exit 2
fi
runner=$1 jobs=$2
shift 2
[ $# -gt 0 ] || set -- $("$runner" --list) || exit 2
case $jobs in '' | *[!0-9]* | 0) jobs=1 ;; esac

SLOW="batch gencode emit_ad examples codegen kernels golden facts functions stability
      eval cli property oom teach_cli swell dist emit_alone"
order=
for s in $SLOW; do
    case " $* " in *" $s "*) order="$order $s" ;; esac
done
for s in "$@"; do
    case " $order " in *" $s "*) ;; *) order="$order $s" ;; esac
done

export CK_TIMEOUT_MULTIPLIER="${CK_TIMEOUT_MULTIPLIER:-3}"
where=$(dirname "$runner")
logs=$(mktemp -d "${TMPDIR:-/tmp}/symdiff-suites-XXXXXX") || exit 2
trap 'rm -rf "$logs"' EXIT
trap 'exit 130' INT TERM

# One suite: its output to a file of its own, then one short line (a single
# write, so that lines of suites ending together do not mix).
one='runner=$1 logs=$2 where=$3 s=$4
start=$(date +%s)
"$runner" "$s" >"$logs/$s.log" 2>&1
rc=$?
echo $rc >"$logs/$s.rc"
sum=$(grep -E "^[0-9]+%: Checks:" "$logs/$s.log" | tail -n 1)
printf "%s: %-12s %s (%ss)%s\n" "$where" "$s" "${sum:-no summary}" $(($(date +%s) - start)) \
    "$([ $rc = 0 ] || echo "  FAILED, exit $rc")"'
printf '%s\n' $order | xargs -P "$jobs" -I{} sh -c "$one" sh "$runner" "$logs" "$where" {}

failed= checks=0
for s in $order; do
    rc=$(cat "$logs/$s.rc" 2>/dev/null || echo lost)
    n=$(sed -n 's/^[0-9]*%: Checks: \([0-9]*\),.*/\1/p' "$logs/$s.log" 2>/dev/null | tail -n 1)
    checks=$((checks + ${n:-0}))
    if [ "$rc" != 0 ]; then
        failed="$failed $s"
        echo "--- $where: output of suite $s (exit $rc) ---"
        cat "$logs/$s.log" 2>/dev/null
    fi
done
if [ -n "$failed" ]; then
    echo "$where: suites failed:$failed"
    exit 1
fi
echo "$where: all $(echo $order | wc -w) suites passed: $checks checks"
