/**
 * The vmscan events of a memcg-limited capture (traces/memcg-6.18-cut.txt.gz, see
 * traces/README.md): counts from `grep -c`, sums from awk over the same file.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { EVENT_NAMES } from "../../../lib/trace/event_kind.ts";
import { EventField } from "../../../lib/trace/event_schema.ts";
import { TextTraceParser } from "../../../lib/trace/text/text_parser.ts";

const CUT = new URL("../../../traces/memcg-6.18-cut.txt.gz", import.meta.url);

interface Sums {
  kinds: Record<string, number>;
  memcgReclaimed: number;
  inactiveScanned: number;
  inactiveReclaimed: number;
  isolateTaken: number;
  slabStartTotalScan: number;
  slabEndFreed: number;
  shrinkers: Set<string>;
  flags: Set<string>;
  lru: Set<string>;
  throttle: string[];
}

function parseCut(): { p: TextTraceParser; s: Sums } {
  const s: Sums = {
    kinds: {},
    memcgReclaimed: 0,
    inactiveScanned: 0,
    inactiveReclaimed: 0,
    isolateTaken: 0,
    slabStartTotalScan: 0,
    slabEndFreed: 0,
    shrinkers: new Set(),
    flags: new Set(),
    lru: new Set(),
    throttle: [],
  };
  const p = new TextTraceParser((b) => {
    for (let i = 0; i < b.length; i++) {
      const ev = EVENT_NAMES[b.kind[i]!]!;
      switch (ev) {
        case "mm_vmscan_memcg_reclaim_end":
          s.memcgReclaimed += EventField.reclaimEnd.nrReclaimed(b, i);
          break;
        case "mm_vmscan_lru_shrink_inactive":
          s.inactiveScanned += EventField.shrinkInactive.nrScanned(b, i);
          s.inactiveReclaimed += EventField.shrinkInactive.nrReclaimed(b, i);
          s.flags.add(p.strings.get(b.name[i]!));
          break;
        case "mm_vmscan_lru_isolate":
          s.isolateTaken += EventField.lruIsolate.nrTaken(b, i);
          s.lru.add(p.strings.get(b.name[i]!));
          break;
        case "mm_shrink_slab_start":
          s.slabStartTotalScan += EventField.shrinkSlabStart.totalScan(b, i);
          s.shrinkers.add(p.strings.get(b.callSite[i]!));
          break;
        case "mm_shrink_slab_end":
          s.slabEndFreed += EventField.shrinkSlabEnd.freed(b, i);
          break;
        case "mm_vmscan_throttled":
          s.throttle.push(
            `${p.strings.get(b.name[i]!)} ${EventField.throttled.usecTimeout(b, i)} ` +
              `${EventField.throttled.usecDelayed(b, i)} node ${b.node[i]}`,
          );
          break;
      }
    }
  });
  p.feed(new Uint8Array(gunzipSync(Deno.readFileSync(CUT))));
  p.end();
  p.byKind.forEach((n, i) => {
    if (n > 0 && /^mm_(vmscan|shrink)/.test(EVENT_NAMES[i]!)) s.kinds[EVENT_NAMES[i]!] = n;
  });
  return { p, s };
}

Deno.test("memcg capture cut: every vmscan event parsed, counts equal grep -c", () => {
  const { p, s } = parseCut();
  assert.equal(p.lines.unknown, 0);
  assert.equal(p.lines.malformed, 0);
  // grep -c ': mm_vmscan_memcg_reclaim_end:' etc. on the gunzipped cut.
  assert.deepEqual(s.kinds, {
    mm_vmscan_memcg_reclaim_begin: 67,
    mm_vmscan_memcg_reclaim_end: 67,
    mm_vmscan_lru_isolate: 67,
    mm_vmscan_lru_shrink_inactive: 68,
    mm_vmscan_throttled: 1,
    mm_shrink_slab_start: 67,
    mm_shrink_slab_end: 67,
  });
});

Deno.test("memcg capture cut: page and object counts equal awk sums", () => {
  const { s } = parseCut();
  // awk '{s+=$1}' over `nr_reclaimed=` of mm_vmscan_memcg_reclaim_end: 17152.
  assert.equal(s.memcgReclaimed, 17152);
  // mm_vmscan_lru_shrink_inactive nr_scanned= / nr_reclaimed=: 17408 / 17152.
  assert.equal(s.inactiveScanned, 17408);
  assert.equal(s.inactiveReclaimed, 17152);
  // mm_vmscan_lru_isolate nr_taken=: 17152.
  assert.equal(s.isolateTaken, 17152);
  // mm_shrink_slab_start `total_scan N`: 2; mm_shrink_slab_end `last shrinker return val N`: 0.
  assert.equal(s.slabStartTotalScan, 2);
  assert.equal(s.slabEndFreed, 0);
  assert.deepEqual([...s.shrinkers], ["super_cache_scan+0x0"]);
  assert.deepEqual([...s.flags], ["RECLAIM_WB_FILE|RECLAIM_WB_ASYNC"]);
  assert.deepEqual([...s.lru], ["inactive_file"]);
  // The one line: `nid=0 usec_timeout=100000 usect_delayed=52000 reason=VMSCAN_THROTTLE_WRITEBACK`.
  assert.deepEqual(s.throttle, ["VMSCAN_THROTTLE_WRITEBACK 100000 52000 node 0"]);
});

Deno.test("shrink_slab and ≤ v5.19 vmscan lines: phrases, pointer, old names", () => {
  const lines = [
    "kswapd0-45 [001] ..... 17.206946: mm_shrink_slab_start: kfree_rcu_shrink_scan+0x0/0x110 " +
    "00000000f8db2fa6: nid: 0 objects to shrink 7 gfp_flags GFP_KERNEL cache items 10 delta 3 " +
    "total_scan 5 priority 12",
    "kswapd0-45 [001] ..... 17.207061: mm_shrink_slab_end: kfree_rcu_shrink_scan+0x0/0x110 " +
    "00000000f8db2fa6: nid: 0 unused scan count 7 new scan count 2 total_scan 1 " +
    "last shrinker return val 4",
    "kswapd0-45 [001] ..... 17.3: mm_vmscan_writepage: page=00000000a1b2c3d4 pfn=0x1234 " +
    "flags=RECLAIM_WB_ANON|RECLAIM_WB_ASYNC",
    "kswapd0-45 [001] ..... 17.4: mm_vmscan_lru_isolate: isolate_mode=0 classzone=2 order=0 " +
    "nr_requested=32 nr_scanned=40 nr_skipped=8 nr_taken=32 lru=inactive_anon",
  ];
  const rows: string[] = [];
  const p = new TextTraceParser((b) => {
    for (let i = 0; i < b.length; i++) {
      rows.push(
        [
          EVENT_NAMES[b.kind[i]!],
          p.strings.get(b.callSite[i]!),
          b.ptrLo[i]!.toString(16),
          b.node[i],
          b.zone[i],
          b.pfn[i],
          p.strings.get(b.name[i]!),
          b.a[i],
          b.b[i],
          b.c[i],
          b.d[i],
        ].join(" "),
      );
    }
  });
  p.feed(new TextEncoder().encode(lines.join("\n") + "\n"));
  p.end();
  assert.equal(p.lines.malformed, 0);
  assert.deepEqual(rows, [
    "mm_shrink_slab_start kfree_rcu_shrink_scan+0x0 f8db2fa6 0 -1 -1  7 10 5 12",
    "mm_shrink_slab_end kfree_rcu_shrink_scan+0x0 f8db2fa6 0 -1 -1  7 2 1 4",
    "mm_vmscan_write_folio  0 -1 -1 4660 RECLAIM_WB_ANON|RECLAIM_WB_ASYNC -1 -1 -1 -1",
    "mm_vmscan_lru_isolate  0 -1 2 -1 inactive_anon 32 40 8 32",
  ]);
});
