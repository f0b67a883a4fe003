#!/usr/bin/env bash
# Golden outputs: the public --json outputs and report files of fixed inputs, with wall-clock
# fields removed, so a refactoring can be checked byte for byte:
#   bash bench/golden.sh OUT_DIR        # then: diff -r BEFORE_DIR OUT_DIR
# Inputs: traces/demo, traces/compact-6.18, traces/small-6.18.dat and ../shared/traces/mixed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/golden.sh OUT_DIR}
mkdir -p "$out"
# KMEM_FLAGS: extra flags for every command, e.g. KMEM_FLAGS=--single-thread to compare paths.
kmem() { npx --yes deno@2.9.6 run -A cli.ts "$@" ${KMEM_FLAGS:-} 2>/dev/null; }
# elapsedMs and report times are wall-clock; everything else must be reproducible.
strip() { sed -E 's/"(elapsedMs|[a-zA-Z]*[Ee]lapsed[a-zA-Z]*|generatedAt)": *[0-9.eE+-]+/"\1": 0/g'; }
inputs=("demo=traces/demo" "compact=traces/compact-6.18" "small=traces/small-6.18.dat")
[ -d ../shared/traces/mixed ] && inputs+=("mixed=../shared/traces/mixed")
for pair in "${inputs[@]}"; do
  name=${pair%%=*}
  path=${pair#*=}
  kmem stats "$path" --json | strip >"$out/$name.stats.json" || true
  kmem replay "$path" --json | strip >"$out/$name.replay.json" || true
  kmem replay "$path" --json --mode policy | strip >"$out/$name.replay-policy.json" || true
  kmem slab "$path" --json | strip >"$out/$name.slab.json" || true
  if [ -d "$path" ]; then kmem validate "$path" --json | strip >"$out/$name.validate.json" || true; fi
  rm -rf "$out/$name.report"
  kmem report "$path" -o "$out/$name.report" >/dev/null || true
  # Keep only data files: the HTML embeds SVGs whose text is checked through the CSVs.
  find "$out/$name.report" -type f ! -name '*.csv' ! -name 'summary.json' -delete 2>/dev/null || true
  [ -f "$out/$name.report/summary.json" ] && strip <"$out/$name.report/summary.json" >"$out/$name.report/summary.tmp" &&
    mv "$out/$name.report/summary.tmp" "$out/$name.report/summary.json"
done
echo "golden outputs in $out: $(find "$out" -type f | wc -l) files"
