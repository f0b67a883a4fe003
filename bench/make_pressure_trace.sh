#!/usr/bin/env bash
# Records a memory-pressure bundle on this machine (root): anonymous memory is pinned outside the
# trace (bench/pressure_pin.py) until free memory is PIN_MARGIN_PAGES above Σ high watermarks, then
# `kmem capture` records while READ_GIB GiB of not-yet-cached files are read, so kswapd, direct
# reclaim and compaction run. On the 24 GiB development VM (Linux 6.18): ≈ 3–5 M events, 0 lost.
# Usage: bench/make_pressure_trace.sh [OUT_DIR] [READ_GIB] [PIN_MARGIN_PAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/kmemreplay-pressure}
gib=${2:-3}
margin=${3:-65536}
data=/var/tmp/kmemreplay-pressure-data
mkdir -p "$data"
for i in $(seq 1 "$gib"); do
  # fresh files each run: not in the page cache yet (holes read as zero-filled page-cache folios)
  rm -f "$data/f$i"
  fallocate -l 1G "$data/f$i"
done
ready=$(mktemp -u)
python3 bench/pressure_pin.py "$margin" "$ready" &
pin=$!
trap 'kill $pin 2>/dev/null || true; rm -f "$ready"; rm -rf "$data"' EXIT
while [ ! -e "$ready" ]; do
  kill -0 $pin || { echo "pinning failed" >&2; exit 1; }
  sleep 0.5
done
rm -rf "$out"
npx --yes deno@2.9.6 run -A cli.ts capture -o "$out" --gzip --buffer-kb 262144 \
  -- sh -c "cat $data/f* > /dev/null" >&2
echo "$out"
