#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md and writes its figures:
#   bash bench/run.sh           the full run (about 30-40 minutes on 2 cores)
#   bash bench/run.sh --quick   smaller jobs, under 5 minutes
# Extra flags go to the harness (bench/cmd/harness): e.g. --only resume,memory
# Results: bench/results/{full,quick}.{md,json}; the plot: bench/rate.png
# (a quick run writes bench/results/rate-quick.png instead).
set -euo pipefail
cd "$(dirname "$0")"
args=()
for a in "$@"; do
	case "$a" in
	--quick) args+=(-quick) ;;
	--only=*) args+=(-only "${a#--only=}") ;;
	*) args+=("$a") ;;
	esac
done
go run ./cmd/harness "${args[@]}"
