#!/usr/bin/env bash
# Records a memory-pressure bundle on this machine (root): anonymous memory is pinned outside the
# trace (bench/pressure_pin.py) until free memory is PIN_MARGIN_PAGES above Σ high watermarks, then
# `kmem capture` records while READ_MIB MiB of a not-yet-cached file are read, so kswapd, direct
# reclaim and compaction run. On the 24 GiB development VM (Linux 6.18), 1024 MiB with a margin
# of 32768 pages gave 3.2 M events in 3.9 s, 0 lost (traces/pressure-6.18 is a 96 MiB run).
# Usage: bench/make_pressure_trace.sh [OUT_DIR] [READ_MIB] [PIN_MARGIN_PAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/kmemreplay-pressure}
mib=${2:-1024}
margin=${3:-32768}
data=/var/tmp/kmemreplay-pressure-data
mkdir -p "$data"
# a fresh file each run: not in the page cache yet (unwritten extents read as zero-filled folios)
rm -f "$data/f1"
fallocate -l "${mib}M" "$data/f1"
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
