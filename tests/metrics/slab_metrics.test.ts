import assert from "node:assert/strict";
import { leakCandidates, SlabMetrics } from "../../lib/metrics/slab_metrics.ts";
import { MIXED_FIRST_TS_NS, MIXED_LAST_TS_NS, readSnapshotSlabs } from "./real_snapshot_fixture.ts";

Deno.test("slabinfo before/after: utilisation and waste per cache", () => {
  const m = new SlabMetrics();
  for (const [which, ts] of [["before", MIXED_FIRST_TS_NS], ["after", MIXED_LAST_TS_NS]] as const) {
    for (const s of readSnapshotSlabs(which)) m.addCacheSample({ tsNs: ts, ...s });
  }
  const r = m.finish(8);
  assert.equal(r.caches.length, readSnapshotSlabs("after").length);
  // bio-120 (slabinfo): 192 active of 192 objects of 128 bytes in 6 one-page slabs:
  // waste = 6·4096 − 192·128 = 0, utilisation 100 %.
  const bio = r.caches.find((c) => c.cache === "bio-120")!;
  assert.equal(bio.lastWasteBytes, 0);
  assert.equal(bio.lastUtilisationPct, 100);
  // Every summary obeys waste = slab bytes − active·objsize against the raw after rows.
  for (const s of readSnapshotSlabs("after")) {
    const c = r.caches.find((x) => x.cache === s.cache)!;
    assert.equal(
      c.lastWasteBytes,
      s.numSlabs * s.pagesPerSlab * 4096 - s.activeObjs * s.objSizeBytes,
    );
  }
  // Caches sorted by last waste, largest first; series only for the top 8 by peak waste.
  for (let i = 1; i < r.caches.length; i++) {
    assert.ok(r.caches[i - 1]!.lastWasteBytes >= r.caches[i]!.lastWasteBytes);
  }
  assert.equal(r.topCacheSeries.length, 8);
  assert.deepEqual(r.topCacheSeries[0]!.series.names, [
    "live_bytes",
    "slab_bytes",
    "waste_bytes",
    "utilisation_pct",
  ]);
  assert.equal(r.topCacheSeries[0]!.series.samples, 2);
});

Deno.test("leak candidates: many, old, rarely freed objects; sorted by live bytes", () => {
  const base = { cache: "kmalloc-64", totalWasteBytes: 0 };
  const sites = [
    // 98 of 100 never freed, oldest from the trace start: candidate.
    {
      ...base,
      callSite: "leaky+0x10/0x40",
      allocs: 100,
      frees: 2,
      liveObjs: 98,
      liveBytesReq: 98 * 40,
      liveBytesAlloc: 98 * 64,
      oldestLiveTsNs: 0,
    },
    // Freed a lot: not a candidate.
    {
      ...base,
      callSite: "churn+0x1/0x2",
      allocs: 1000,
      frees: 990,
      liveObjs: 10,
      liveBytesReq: 640,
      liveBytesAlloc: 640,
      oldestLiveTsNs: 0,
    },
    // Never freed but young (last 10% of the trace): not a candidate.
    {
      ...base,
      callSite: "young+0x1/0x2",
      allocs: 50,
      frees: 0,
      liveObjs: 50,
      liveBytesReq: 3200,
      liveBytesAlloc: 3200,
      oldestLiveTsNs: 9_000,
    },
    // Bigger, age unknown: candidate, first by live bytes.
    {
      ...base,
      callSite: "big+0x1/0x2",
      allocs: 20,
      frees: 0,
      liveObjs: 20,
      liveBytesReq: 20 * 4000,
      liveBytesAlloc: 20 * 4096,
      oldestLiveTsNs: NaN,
    },
  ];
  const c = leakCandidates(sites, { traceStartNs: 0, traceEndNs: 10_000 });
  assert.deepEqual(c.map((s) => s.callSite), ["big+0x1/0x2", "leaky+0x10/0x40"]);
  assert.equal(c[1]!.freeRatio, 0.02);
  assert.equal(c[1]!.oldestAgeNs, 10_000);
});
