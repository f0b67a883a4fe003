import assert from "node:assert/strict";
import { PageblockMetrics } from "../../lib/metrics/pageblock_metrics.ts";
import {
  fallbackOfExtfrag,
  MIXED_FIRST_TS_NS,
  MIXED_LAST_TS_NS,
  readMixedPageEvents,
  readSnapshotZones,
} from "./real_snapshot_fixture.ts";

Deno.test("pageblock counts per migratetype from pagetypeinfo before/after", () => {
  const p = new PageblockMetrics();
  for (const [which, ts] of [["before", MIXED_FIRST_TS_NS], ["after", MIXED_LAST_TS_NS]] as const) {
    for (const z of readSnapshotZones(which)) {
      p.addSample({ tsNs: ts, zone: z.zone, blocksByType: z.blocksByType });
    }
  }
  const r = p.finish();
  const normal = r.blocksByZone.find((z) => z.zone === "Normal")!;
  // Number of blocks type: Unmovable 331 → 337, Movable 1817 → 1811, Reclaimable 92 → 92.
  assert.deepEqual(normal.blocks.points[0]!.values, [331, 337]);
  assert.deepEqual(normal.blocks.points[1]!.values, [1817, 1811]);
  assert.deepEqual(normal.blocks.points[2]!.values, [92, 92]);
  assert.equal(normal.blocks.stats[6]!.count, 0, "mixed blocks unknown from /proc");
  assert.equal(r.blocksByZone.length, 3);
});

Deno.test("the three real mm_page_alloc_extfrag events: Unmovable from Movable, order 10, not fragmenting", async () => {
  const events = (await readMixedPageEvents()).get("mm_page_alloc_extfrag")!;
  assert.equal(events.length, 3); // zcat trace.txt.gz | grep -c mm_page_alloc_extfrag
  const p = new PageblockMetrics();
  p.setOrigin(MIXED_FIRST_TS_NS);
  for (const e of events) {
    p.addFallback(fallbackOfExtfrag(e));
  }
  const r = p.finish();
  assert.deepEqual(r.fallbackPairs, [
    { allocMigratetype: "Unmovable", fallbackMigratetype: "Movable", fragmenting: false, count: 3 },
  ]);
  assert.equal(r.fallbacksByFallbackOrder[10], 3);
  assert.deepEqual(r.totals, { fallbacks: 3, fragmenting: 0, changedOwnership: 3 });
  assert.deepEqual(r.byComm, [{ key: "head", total: 3, fragmenting: 0, changedOwnership: 3 }]);
  assert.deepEqual(r.byCallSite, []);
  assert.deepEqual(r.fallbacksOverTime.totals, [0, 3]);
});
