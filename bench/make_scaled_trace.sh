#!/usr/bin/env bash
# Writes the shared tracefs capture repeated N times (default 10) with timestamps shifted by 4 s
# (longer than the capture's 3.3 s span) each time: a ~10M-event trace for the report scale
# check. Usage: bench/make_scaled_trace.sh [N] [out]
set -euo pipefail
n=${1:-10}
out=${2:-/tmp/kmemreplay-scaled-${n}x.txt}
src="$(dirname "$0")/../../shared/traces/mixed/trace.txt.gz"
zcat "$src" | grep -v '^#' > "$out.one"
: > "$out"
for k in $(seq 0 $((n - 1))); do
  # The timestamp is the first "<sec>.<usec>: " after the "[cpu]" column.
  perl -pe "s/\] (\S+ +)?(\d+)\.(\d+): /'] '.(\$1 \/\/ '').(\$2 + $((k * 4))).'.'.\$3.': '/e" "$out.one" >> "$out"
done
rm -f "$out.one"
echo "$out"
