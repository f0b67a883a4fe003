/**
 * Reclaim metrics of the memcg capture cut (traces/memcg-6.18-cut.txt.gz), checked against awk
 * over the same text: per-pid begin/end pairing of mm_vmscan_memcg_reclaim_* and the
 * nr_scanned of mm_vmscan_lru_shrink_inactive lines inside / outside them.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { ReclaimMetrics } from "../../lib/metrics/reclaim_metrics.ts";
import { TextTraceParser } from "../../lib/trace/text/text_parser.ts";

function metricsOfCut() {
  const m = new ReclaimMetrics();
  const p = new TextTraceParser((b) => {
    for (let i = 0; i < b.length; i++) m.add(b, i, p.strings);
  });
  p.feed(
    new Uint8Array(
      gunzipSync(
        Deno.readFileSync(new URL("../../traces/memcg-6.18-cut.txt.gz", import.meta.url)),
      ),
    ),
  );
  p.end();
  return m.finish();
}

Deno.test("memcg cut: pages scanned / reclaimed by context equal awk's begin/end pairing", () => {
  const r = metricsOfCut();
  // 404 vmscan lines (grep -c 'mm_vmscan\|mm_shrink'), no compaction in the cut.
  assert.equal(r.events, 404);
  const by = Object.fromEntries(r.byContext.map((c) => [c.context, c]));
  assert.deepEqual(Object.keys(by), ["memcg", "other"]);
  // awk: nr_scanned of shrink_inactive lines of a pid between its memcg begin and end: 16896;
  // the two before the cut's first begin: 512.
  assert.equal(by.memcg!.scannedPages, 16896);
  assert.equal(by.memcg!.reclaimedPages, 16896);
  assert.equal(by.memcg!.runs, 67);
  assert.equal(by.memcg!.endReclaimedPages, 17152);
  assert.equal(by.other!.scannedPages, 512);
  assert.equal(by.other!.reclaimedPages, 256);
  assert.equal(by.other!.efficiency, 0.5);
  // Rate buckets sum back to the totals.
  const scanned = r.rate.reduce((a, x) => a + x.scannedPerS * r.bucketS, 0);
  assert.ok(Math.abs(scanned - 17408) < 1e-6, `${scanned}`);
});

Deno.test("memcg cut: stalls by comm equal awk's begin → end durations", () => {
  const r = metricsOfCut();
  const stall = (kind: string, comm: string) =>
    r.stalls.find((s) => s.kind === kind && s.comm === comm)!;
  // awk over begin/end pairs per pid: dd 64 stalls 21.675 ms, cat 2 stalls 0.346 ms.
  assert.equal(stall("memcg_reclaim", "dd").stalls, 64);
  assert.equal(stall("memcg_reclaim", "dd").totalMs.toFixed(3), "21.675");
  assert.equal(stall("memcg_reclaim", "cat").stalls, 2);
  assert.equal(stall("memcg_reclaim", "cat").totalMs.toFixed(3), "0.346");
  // `usect_delayed=52000` of the one mm_vmscan_throttled line.
  assert.equal(stall("throttled", "dd").totalMs, 52);
  assert.deepEqual(r.throttled, [
    { reason: "VMSCAN_THROTTLE_WRITEBACK", count: 1, delayedMs: 52 },
  ]);
  assert.deepEqual(r.shrinkers, [{
    shrinker: "super_cache_scan+0x0",
    calls: 67,
    objectsToScan: 2,
    objectsFreed: 0,
    cacheItemsMax: 28,
  }]);
  assert.deepEqual(r.isolateByLru, [
    { lru: "inactive_file", scannedPages: 17152, takenPages: 17152 },
  ]);
});
