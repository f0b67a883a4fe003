import assert from "node:assert/strict";
import { isFirstSighting, memoryVerdict } from "../../lib/metrics/memory_verdict.ts";
import { KmemMetrics } from "../../lib/metrics/kmem_metrics.ts";
import { ZoneMetrics } from "../../lib/metrics/zone_metrics.ts";
import { DESYNC_KINDS, type DesyncKind } from "../../lib/replay/page/desync_catalogue.ts";
import type { PageReplayResult } from "../../lib/replay/page_replay_result.ts";
import { kmem, ROOT } from "../kmem_cli.ts";
import { MIXED_FIRST_TS_NS, MIXED_LAST_TS_NS, readSnapshotZones } from "./real_snapshot_fixture.ts";

const DEMO = `${ROOT}traces/demo`;

/**
 * Order 3 of traces/demo/after.buddyinfo (the faithful replay ends exactly there), by awk with
 * mm/vmstat.c's integer formulas:
 * awk -v k=3 '{free=0;tot=0;suit=0;for(o=0;o<=10;o++){n=$(5+o);tot+=n;free+=n*2^o;
 *   if(o>=k)suit+=n*2^(o-k)}; print $4, free, int((free-suit*2^k)*1000/free),
 *   (suit>0?-1000:1000-int((1000+int(free*1000/2^k))/tot))}' after.buddyinfo
 */
const DEMO_END_ORDER3 = [
  { zone: "DMA", freePages: 3840, unusable: 0, extfrag: -1000 },
  { zone: "DMA32", freePages: 772808, unusable: 0, extfrag: -1000 },
  { zone: "Normal", freePages: 1221170, unusable: 7, extfrag: -1000 },
];

Deno.test("verdict of traces/demo: order 3 (no failure), end indexes as after.buddyinfo gives them, no shortage", async () => {
  const r = await kmem(["replay", "--json", DEMO]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const v = j.verdict;
  assert.equal(j.failures.total, 0);
  assert.equal(v.extfragThreshold, 500);
  assert.deepEqual(
    v.zones.map((
      z: { zone: string; end: { freePages: number; unusable: number; extfrag: number } },
    ) => ({
      zone: z.zone,
      freePages: z.end.freePages,
      unusable: z.end.unusable,
      extfrag: z.end.extfrag,
    })),
    DEMO_END_ORDER3,
  );
  for (const z of v.zones) {
    assert.equal(z.order, 3);
    assert.equal(z.orderFrom, "costly-order");
    assert.equal(z.cause, "no-shortage");
    // The worst sample is at least as bad as the end, and an order-3 block was always free.
    assert.ok(z.worst.unusable >= z.end.unusable);
    assert.equal(z.worst.extfrag, -1000);
    assert.ok(z.minFreePages >= z.highWatermarkPages);
    // after.zoneinfo high watermarks (grep -A8 'zone *Normal' after.zoneinfo | grep high): 42, 8454, 16845.
    assert.match(z.sentence, new RegExp(`^${z.zone}: order 3 .*: no shortage — `));
  }
  assert.deepEqual(v.zones.map((z: { highWatermarkPages: number }) => z.highWatermarkPages), [
    42,
    8454,
    16845,
  ]);
  // First events on a pfn that are frees, counted by awk over the trace text
  // (first pfn= per pfn whose line is mm_page_free*): 18, the free-untracked count.
  assert.deepEqual(
    {
      total: v.desyncs.total,
      firstSightings: v.desyncs.firstSightings,
      disagreements: v.desyncs.disagreements,
    },
    { total: 18, firstSightings: 18, disagreements: 0 },
  );
  assert.deepEqual(v.desyncs.firstSightingKinds, { "free-untracked": 18 });
  // zcat trace.txt.gz | grep -c mm_page_alloc_extfrag: 0.
  assert.deepEqual(v.fallbacks, { total: 0, byPair: [], byComm: [] });
});

Deno.test("kmem replay text opens with the verdict table and its sentences", async () => {
  const r = await kmem(["replay", DEMO]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("verdict "));
  assert.ok(at > 0 && at < lines.findIndex((l) => l.startsWith("zone ")));
  assert.match(r.stdout, /^ {2}Normal +3 +0\.007 \/ 0\.00\d +-1\.000 \/ -1\.000 .* no shortage$/m);
  assert.match(r.stdout, /^ {2}18 desyncs: 18 first sightings .*, 0 real disagreements/m);
});

Deno.test("fallbacks of the mixed cut ranked by pair and comm as grep counts them", async () => {
  // zcat mixed-6.18-cut.txt.gz | grep mm_page_alloc_extfrag: 3 lines, all comm head,
  // alloc_migratetype=0 (Unmovable) fallback_migratetype=1 (Movable).
  const r = await kmem(["replay", "--json", `${ROOT}traces/mixed-6.18-cut.txt.gz`]);
  assert.equal(r.code, 0, r.stderr);
  const f = JSON.parse(r.stdout).verdict.fallbacks;
  assert.deepEqual(f, {
    total: 3,
    byPair: [{ key: "Unmovable<-Movable", count: 3 }],
    byComm: [{ key: "head", count: 3 }],
  });
});

Deno.test("worst moment: of the mixed capture's before/after Normal samples, order 3 is worst after", () => {
  // awk over before/after.buddyinfo (formula above): unusable 95 before, 96 after; 241723 free after.
  const m = new ZoneMetrics("Normal");
  for (const [which, ts] of [["before", MIXED_FIRST_TS_NS], ["after", MIXED_LAST_TS_NS]] as const) {
    const z = readSnapshotZones(which)[2]!;
    m.addSample({
      tsNs: ts,
      zone: z.zone,
      freePages: z.freePages,
      freeBlocks: z.nrFree,
      minPages: z.minPages,
      lowPages: z.lowPages,
      highPages: z.highPages,
    });
  }
  const w = m.finish().worstByOrder[3]!;
  assert.equal(w.tsNs, MIXED_LAST_TS_NS);
  assert.equal(w.unusable, 96);
  assert.equal(w.extfrag, -1000);
});

/** A one-zone replay result whose end state is `freeBlocks`, with one zone sample of it. */
function oneZone(freeBlocks: number[], highPages: number, failedOrder: number | null) {
  const freePages = freeBlocks.reduce((a, n, o) => a + n * 2 ** o, 0);
  const metrics = new KmemMetrics();
  metrics.addZoneSample({
    tsNs: 1e9,
    zone: "Normal",
    freePages,
    freeBlocks,
    minPages: highPages / 2,
    lowPages: (highPages * 3) / 4,
    highPages,
  });
  const byOrder = new Array(11).fill(0);
  if (failedOrder !== null) {
    byOrder[failedOrder] = 1;
    metrics.addZoneEvent(1e9, "Normal", 2, failedOrder);
  }
  const pages = {
    zones: [{
      name: "Normal",
      node: 0,
      freePages,
      freeBlocks,
      minFreePages: freePages,
      watermarks: { min: highPages / 2, low: (highPages * 3) / 4, high: highPages, boost: 0 },
    }],
    failures: { total: failedOrder === null ? 0 : 1, byOrder },
    fallbacks: { total: 0, fragmenting: 0, claims: 0, steals: 0, byType: {} },
    desyncs: {},
  } as unknown as PageReplayResult;
  return memoryVerdict(pages, metrics.finish()).zones[0]!;
}

Deno.test("cause: extfrag above 0.500 is fragmentation, below the high watermark is lack of memory", () => {
  // 1000 free order-0 pages, order 3 failed: extfrag = 1000 − (1000 + 1000·1000/8)/1000 = 874.
  const frag = oneZone([1000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 100, 3);
  assert.deepEqual([frag.order, frag.orderFrom, frag.worst.extfrag, frag.cause], [
    3,
    "zone-failures",
    874,
    "fragmentation",
  ]);
  assert.equal(frag.worst.unusable, 1000);
  // 2 free pages, high 100, order 3: extfrag = 1000 − (1000 + 2·1000/8)/2 = 375 ≤ 500.
  const lack = oneZone([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 100, 3);
  assert.deepEqual([lack.worst.extfrag, lack.cause], [375, "lack-of-memory"]);
  assert.match(
    lack.sentence,
    /lack of memory — free pages fell to 2, below the high watermark 100/,
  );
  // Order 9 failed while 1 order-10 block is free: would succeed, nothing short.
  const none = oneZone([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 100, 9);
  assert.deepEqual([none.order, none.end.extfrag, none.cause], [9, -1000, "no-shortage"]);
});

Deno.test("every desync kind is either a first sighting or a real disagreement", () => {
  const first = (Object.keys(DESYNC_KINDS) as DesyncKind[]).filter(isFirstSighting);
  assert.deepEqual(first.sort(), [
    "alloc-from-buddy",
    "alloc-untracked",
    "drain-untracked",
    "free-untracked",
    "kpageflags-stale",
    "take-untracked",
  ]);
});
