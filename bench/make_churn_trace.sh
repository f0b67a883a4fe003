#!/usr/bin/env bash
# Records a tracefs text trace with heavy slab churn on this machine (needs root): `kmem capture`
# of bench/churn_workload.py (files created and removed in tmpfs, pipes, socket pairs: slab
# alloc/free in a tight loop). 15000 rounds give ≈ 2.3 M events (≈ 55 % slab calls, the rest
# page events of the workload and of whatever else runs) in ≈ 4 s of tracing and ≈ 360 MB of text;
# the ring buffer is sized so that nothing is lost. If the capture fails, the shared capture
# repeated 3× (bench/make_scaled_trace.sh, 3.2 M events) is written instead.
# Usage: bench/make_churn_trace.sh [ROUNDS] [OUT_DIR]   (prints the trace path)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-15000}
out=${2:-/tmp/kmemreplay-churn}
rm -rf "$out"
if npx --yes deno@2.9.6 run -A cli.ts capture -o "$out" --buffer-kb 262144 \
  -- python3 bench/churn_workload.py "$rounds" >&2; then
  echo "$out/trace.txt"
else
  echo "capture failed: scaling the shared capture instead" >&2
  mkdir -p "$out"
  bash bench/make_scaled_trace.sh 3 "$out/trace.txt" >/dev/null
  echo "$out/trace.txt"
fi
