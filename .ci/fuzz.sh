#!/usr/bin/env bash
# Runs every fuzz target of the repository briefly, one after the other:
# each `func FuzzX` of a *_test.go file, for FUZZTIME (default 10s).
# A failing input is written by `go test` under the package's
# testdata/fuzz/FuzzX/ and the script exits non-zero. At the end it prints
# how many inputs were tried in all ("bad inputs tried" in RELIABILITY.md).
#
#   bash .ci/fuzz.sh                 # every target, 10s each
#   FUZZTIME=1m bash .ci/fuzz.sh     # longer
#   bash .ci/fuzz.sh FuzzCSV         # only targets matching a pattern
#
# FUZZMINIMIZE (default 200x) bounds the time spent minimizing each new
# input: go test's default (60s per input) would leave little of a short
# run for fuzzing a parser that finds new coverage at every step.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
minimize=${FUZZMINIMIZE:-200x}
only=${1:-}

mapfile -t targets < <(grep -rn '^func Fuzz' --include='*_test.go' . |
	sed -E 's|^\./(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*|\1 \2|' | sort -u)
if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz: no fuzz target found" >&2
	exit 1
fi

total=0
ran=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
	pkg=${t% *}
	name=${t#* }
	if [ -n "$only" ] && [[ $name != *$only* ]]; then
		continue
	fi
	echo "fuzz: $name in ./$pkg for $fuzztime"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "./$pkg" >"$log" 2>&1; then
		cat "$log"
		echo "fuzz: $name FAILED (the failing input is under $pkg/testdata/fuzz/$name/)" >&2
		exit 1
	fi
	execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
	echo "fuzz: $name ok, $execs inputs"
	total=$((total + execs))
	ran=$((ran + 1))
done
echo "fuzz: $ran targets, $total inputs tried, no failure"
