import assert from "node:assert/strict";
import { ZoneEventKind, ZoneMetrics } from "../../lib/metrics/zone_metrics.ts";
import {
  MIXED_FIRST_TS_NS,
  MIXED_LAST_TS_NS,
  readSnapshotZones,
  type SnapshotZone,
} from "./real_snapshot_fixture.ts";

function sample(z: SnapshotZone, tsNs: number) {
  return {
    tsNs,
    zone: z.zone,
    freePages: z.freePages,
    freeBlocks: z.nrFree,
    freeBlocksByType: z.byType,
    minPages: z.minPages,
    lowPages: z.lowPages,
    highPages: z.highPages,
  };
}

Deno.test("Normal zone before/after snapshots: watermarks, indexes, largest order, per-type pages", () => {
  const before = readSnapshotZones("before")[2]!;
  const after = readSnapshotZones("after")[2]!;
  const m = new ZoneMetrics("Normal");
  m.addSample(sample(before, MIXED_FIRST_TS_NS));
  m.addSample(sample(after, MIXED_LAST_TS_NS));
  const r = m.finish();
  assert.equal(r.zone, "Normal");
  // zoneinfo: pages free 267995 → 241722; min/low/high 10073/12591/15109 after.
  assert.deepEqual(r.pages.points[0]!.values, [267995, 241722]);
  assert.deepEqual(r.pages.names, ["free", "min", "low", "high", "boost"]);
  assert.equal(r.pages.stats[1]!.last, 10073);
  assert.equal(r.pages.stats[2]!.last, 12591);
  assert.equal(r.pages.stats[3]!.last, 15109);
  assert.deepEqual(r.pages.points[0]!.tsNs, [MIXED_FIRST_TS_NS, MIXED_LAST_TS_NS]);
  // Unusable index order 9: 774 before, 822 after (see fragmentation_index.test.ts).
  assert.deepEqual(r.unusable.points[9]!.values, [774, 822]);
  assert.deepEqual(r.extfrag.points[9]!.values, [-1000, -1000]);
  assert.deepEqual(r.largestOrder.points[0]!.values, [10, 10]);
  assert.deepEqual(r.freeBlocks.points[1]!.values, [7382, 5358]);
  assert.deepEqual(r.lastFreeBlocks, [671, 5358, 3006, 177, 110, 101, 619, 648, 181, 8, 38]);
  // Unmovable free pages from pagetypeinfo: before [0,1,0,0,1,…] = 2 + 16 = 18; after 2548.
  assert.deepEqual(r.freePagesByType!.points[0]!.values, [18, 2548]);
  assert.deepEqual(r.samplesBelow, { min: 0, low: 0, high: 0 });
});

Deno.test("watermark crossings and zone events are counted exactly", () => {
  const m = new ZoneMetrics("DMA", 0, 64);
  m.setOrigin(0);
  const nr = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  // min 33, low 41, high 49 (real DMA watermarks); free pages 60, 45, 40, 30.
  for (const [i, free] of [60, 45, 40, 30].entries()) {
    nr[0] = free;
    m.addSample({
      tsNs: i * 1000,
      zone: "DMA",
      freePages: free,
      freeBlocks: nr,
      minPages: 33,
      lowPages: 41,
      highPages: 49,
    });
  }
  m.addEvent(1500, ZoneEventKind.KSWAPD_WAKE);
  m.addEvent(3500, ZoneEventKind.DIRECT_RECLAIM);
  m.addEvent(3600, ZoneEventKind.ALLOC_FAILURE, 3);
  m.addEvent(3700, ZoneEventKind.ALLOC_FAILURE, 3);
  const r = m.finish();
  assert.deepEqual(r.samplesBelow, { min: 1, low: 2, high: 3 });
  assert.deepEqual(r.events.totals, [1, 1, 2]);
  assert.equal(r.failuresByOrder.totals[3], 2);
  assert.equal(r.failuresByOrder.totals.reduce((a, b) => a + b, 0), 2);
  // Only order-0 blocks: unusable index for order 1 is 1000, extfrag for order 1 is
  // 1000 − (1000 + 30·1000/2)/30 = 1000 − 533 = 467 in the last sample.
  assert.equal(r.unusable.stats[1]!.last, 1000);
  assert.equal(r.extfrag.stats[1]!.last, 467);
  assert.equal(r.largestOrder.stats[0]!.last, 0);
});

Deno.test("the replay's flat nr_free[order * MIGRATE_TYPES + mt] layout gives the same metrics", () => {
  const after = readSnapshotZones("after")[2]!;
  const flat = new Float64Array(11 * 6);
  after.byType.forEach((lists, mt) => lists.forEach((n, o) => (flat[o * 6 + mt] = n)));
  const a = new ZoneMetrics("Normal");
  const b = new ZoneMetrics("Normal");
  a.addSample(sample(after, MIXED_LAST_TS_NS));
  const { freeBlocks: _fb, freeBlocksByType: _bt, ...rest } = sample(after, MIXED_LAST_TS_NS);
  b.addSample({ ...rest, freeBlocksByOrderType: flat });
  const ra = a.finish();
  const rb = b.finish();
  // pagetypeinfo rows add up to buddyinfo (671 = 182 + 489 + 0 at order 0, …).
  assert.deepEqual(rb.lastFreeBlocks, [671, 5358, 3006, 177, 110, 101, 619, 648, 181, 8, 38]);
  assert.deepEqual(rb.unusable.stats, ra.unusable.stats);
  assert.deepEqual(rb.freePagesByType!.stats, ra.freePagesByType!.stats);
  assert.throws(() => b.addSample({ ...rest }), RangeError);
});

Deno.test("cumulative counters can be passed as counts", () => {
  const m = new ZoneMetrics("Normal");
  m.addEvent(10, ZoneEventKind.KSWAPD_WAKE, 0, 5);
  m.addEvent(20, ZoneEventKind.KSWAPD_WAKE, 0, 0);
  m.addEvent(30, ZoneEventKind.ALLOC_FAILURE, 4, 2);
  const r = m.finish();
  assert.deepEqual(r.events.totals, [5, 0, 2]);
  assert.equal(r.failuresByOrder.totals[4], 2);
});
