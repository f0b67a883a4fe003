/**
 * Test fixture: a ReportInput built from the real mixed capture (before/after /proc snapshots,
 * the trace's page allocations, fallbacks and slab call sites) plus synthetic samples between
 * the two snapshots, with a memory-pressure episode in Normal (free pages under min, no order ≥ 9
 * blocks) so every chart has data. A task named `<img src=x onerror=alert(1)>` is mixed in to
 * check escaping.
 *
 * @module
 */

import { MIGRATE_TYPES, NR_PAGE_ORDERS, PAGEBLOCK_ORDER } from "../../lib/kernel/constants.ts";
import { parseGfp } from "../../lib/kernel/gfp_flags.ts";
import { EVENT_NAMES } from "../../lib/trace/event_kind.ts";
import { KmemMetrics } from "../../lib/metrics/kmem_metrics.ts";
import { PAGEBLOCK_ABSENT, type PageblockMap } from "../../lib/metrics/pageblock_map.ts";
import { ZoneEventKind } from "../../lib/metrics/zone_metrics.ts";
import type { ReportInput } from "../../lib/report/report_input.ts";
import {
  fallbackOfExtfrag,
  MIXED_DIR,
  MIXED_FIRST_TS_NS,
  MIXED_LAST_TS_NS,
  mixedTraceText,
  readMixedPageEvents,
  readMixedSlabSites,
  readSnapshotSlabs,
  readSnapshotZones,
} from "../metrics/real_snapshot_fixture.ts";

/** The hostile task name injected into the allocation mix and the fallbacks. */
export const HOSTILE_COMM = "<img src=x onerror=alert(1)>";

/** Options of {@linkcode buildFixtureInput}. */
export interface FixtureOptions {
  /** Synthetic zone samples between the snapshots (per zone). */
  samplesPerZone?: number;
  /** Extra synthetic page allocations (to model a 10M-event trace). */
  extraAllocs?: number;
  maxPointsPerSeries?: number;
}

/** Deterministic pseudo-random numbers in [0, 1) (LCG), so fixtures are reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Normal-zone pageblock map laid out from the real pagetypeinfo block counts. */
function normalMap(
  label: string,
  tsNs: number,
  zone: ReturnType<typeof readSnapshotZones>[number],
  retypedPfns: number[],
): PageblockMap {
  const pagesPerBlock = 2 ** PAGEBLOCK_ORDER;
  const n = Math.ceil(zone.spannedPages / pagesPerBlock);
  const mt = new Uint8Array(n).fill(PAGEBLOCK_ABSENT);
  const free = new Uint32Array(n);
  const rnd = lcg(label.length * 7919);
  const [unmovable, movable, reclaimable] = zone.blocksByType;
  const present = unmovable! + movable! + reclaimable!;
  for (let i = 0; i < present; i++) {
    // Kernel allocations cluster low in the zone; reclaimable blocks every ~24th block.
    mt[i] = i < unmovable! ? 0 : i % 24 === 5 && i < unmovable! + reclaimable! * 24 ? 2 : 1;
    const r = rnd();
    free[i] = mt[i] === 1 ? Math.floor(r * r * pagesPerBlock) : Math.floor(r * 40);
  }
  for (const pfn of retypedPfns) {
    const i = Math.floor((pfn - zone.startPfn) / pagesPerBlock);
    if (i >= 0 && i < n) mt[i] = 0;
  }
  return {
    tsNs,
    label,
    node: 0,
    zone: zone.zone,
    startPfn: zone.startPfn,
    pageblockOrder: PAGEBLOCK_ORDER,
    migratetype: mt,
    freePages: free,
  };
}

/** Builds the fixture ReportInput (≈8 s: it reads the 165 MB trace text once). */
export async function buildFixtureInput(o: FixtureOptions = {}): Promise<ReportInput> {
  const samples = o.samplesPerZone ?? 2000;
  const t0 = MIXED_FIRST_TS_NS;
  const t1 = MIXED_LAST_TS_NS;
  const metrics = new KmemMetrics({
    originTsNs: t0,
    maxPointsPerSeries: o.maxPointsPerSeries,
  });
  const before = readSnapshotZones("before");
  const after = readSnapshotZones("after");
  const rnd = lcg(42);
  const nr = new Array<number>(NR_PAGE_ORDERS).fill(0);
  const blocks = new Array<number>(MIGRATE_TYPES).fill(0);
  for (let zi = 0; zi < before.length; zi++) {
    const b = before[zi]!;
    const a = after[zi]!;
    metrics.addZoneSample({
      tsNs: t0,
      zone: b.zone,
      freePages: b.freePages,
      freeBlocks: b.nrFree,
      freeBlocksByType: b.byType,
      minPages: b.minPages,
      lowPages: b.lowPages,
      highPages: b.highPages,
    });
    metrics.addPageblockSample({ tsNs: t0, zone: b.zone, blocksByType: b.blocksByType });
    for (let k = 1; k <= samples; k++) {
      const u = k / (samples + 1);
      const ts = Math.round(t0 + u * (t1 - t0));
      // Pressure episode in Normal between 40 % and 60 % of the trace.
      const pressure = b.zone === "Normal" && u > 0.4 && u < 0.6
        ? Math.sin(Math.PI * (u - 0.4) / 0.2)
        : 0;
      let freePages = 0;
      for (let ord = 0; ord < NR_PAGE_ORDERS; ord++) {
        const lin = b.nrFree[ord]! + (a.nrFree[ord]! - b.nrFree[ord]!) * u;
        const noise = 1 + (rnd() - 0.5) * 0.06;
        let v = Math.max(0, Math.round(lin * noise * (1 - 0.97 * pressure)));
        if (pressure > 0.6 && ord >= 9) v = 0;
        nr[ord] = v;
        freePages += v * 2 ** ord;
      }
      const wm = u < 0.5 ? b : a;
      metrics.addZoneSample({
        tsNs: ts,
        zone: b.zone,
        freePages,
        freeBlocks: nr,
        minPages: wm.minPages,
        lowPages: wm.lowPages,
        highPages: wm.highPages,
      });
      if (freePages < wm.lowPages) metrics.addZoneEvent(ts, b.zone, ZoneEventKind.KSWAPD_WAKE);
      if (freePages < wm.minPages) {
        metrics.addZoneEvent(ts, b.zone, ZoneEventKind.DIRECT_RECLAIM);
        if (nr[9] === 0 && nr[10] === 0) {
          metrics.addZoneEvent(ts, b.zone, ZoneEventKind.ALLOC_FAILURE, 9);
        }
      }
      if (k % 20 === 0) {
        for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
          blocks[mt] = Math.round(
            b.blocksByType[mt]! + (a.blocksByType[mt]! - b.blocksByType[mt]!) * u,
          );
        }
        metrics.addPageblockSample({ tsNs: ts, zone: b.zone, blocksByType: blocks });
      }
    }
    metrics.addZoneSample({
      tsNs: t1,
      zone: a.zone,
      freePages: a.freePages,
      freeBlocks: a.nrFree,
      freeBlocksByType: a.byType,
      minPages: a.minPages,
      lowPages: a.lowPages,
      highPages: a.highPages,
    });
    metrics.addPageblockSample({ tsNs: t1, zone: a.zone, blocksByType: a.blocksByType });
  }

  const pageEvents = await readMixedPageEvents();
  for (const e of pageEvents.get("mm_page_alloc")!) {
    metrics.addPageAlloc(
      Number(e.fields.get("order")),
      Number(e.fields.get("migratetype")),
      parseGfp(e.fields.get("gfp_flags")!),
      e.comm,
    );
  }
  metrics.addPageAlloc(0, 0, parseGfp("GFP_KERNEL"), HOSTILE_COMM, 20000);
  const extra = o.extraAllocs ?? 0;
  const comms = ["synthetic-a", "synthetic-b", "kworker/u4:2", "python3"];
  const gfpMovable = parseGfp("GFP_HIGHUSER_MOVABLE|__GFP_COMP");
  for (let i = 0; i < extra; i++) {
    metrics.addPageAlloc(i % 97 === 0 ? 3 : 0, 1, gfpMovable, comms[i & 3]!);
  }

  const extfrag = pageEvents.get("mm_page_alloc_extfrag")!;
  const retyped: number[] = [];
  for (const e of extfrag) {
    metrics.addFallback(fallbackOfExtfrag(e));
    retyped.push(parseInt(e.fields.get("pfn")!, 16));
  }
  // Synthetic fragmenting fallbacks during the pressure episode.
  const sites = ["__alloc_skb+0x8e/0x1d0", "alloc_slab_page+0x20/0x60", "pte_alloc_one+0x1e/0xd0"];
  const fb = {
    tsNs: 0,
    allocOrder: 0,
    fallbackOrder: 2,
    allocMigratetype: 0,
    fallbackMigratetype: 1,
    fragmenting: true,
    changeOwnership: false,
    callSite: "",
    comm: "",
  };
  for (let i = 0; i < 300; i++) {
    fb.tsNs = Math.round(t0 + (0.42 + 0.16 * (i / 300)) * (t1 - t0));
    fb.fallbackOrder = i % 4;
    fb.allocMigratetype = i % 5 === 0 ? 2 : 0;
    fb.fragmenting = i % 3 !== 0;
    fb.callSite = sites[i % 3]!;
    fb.comm = i % 10 === 0 ? HOSTILE_COMM : ["git", "python3", "sort"][i % 3]!;
    metrics.addFallback(fb);
  }
  const normalBefore = before.find((z) => z.zone === "Normal")!;
  const normalAfter = after.find((z) => z.zone === "Normal")!;
  metrics.addPageblockMap(normalMap("start", t0, normalBefore, []));
  metrics.addPageblockMap(normalMap("end", t1, normalAfter, retyped));

  const slabBefore = readSnapshotSlabs("before");
  const slabAfter = new Map(readSnapshotSlabs("after").map((s) => [s.cache, s]));
  const steps = 40;
  for (let k = 0; k <= steps; k++) {
    const u = k / steps;
    for (const b of slabBefore) {
      const a = slabAfter.get(b.cache) ?? b;
      const lerp = (x: number, y: number) => Math.round(x + (y - x) * u);
      const numSlabs = lerp(b.numSlabs, a.numSlabs);
      metrics.addSlabSample({
        tsNs: Math.round(t0 + u * (t1 - t0)),
        cache: b.cache,
        activeObjs: Math.min(lerp(b.activeObjs, a.activeObjs), numSlabs * a.objsPerSlab),
        numObjs: numSlabs * a.objsPerSlab,
        objSizeBytes: a.objSizeBytes,
        objsPerSlab: a.objsPerSlab,
        pagesPerSlab: a.pagesPerSlab,
        numSlabs,
      });
    }
  }
  metrics.setSlabCallSites(await readMixedSlabSites(), { traceStartNs: t0, traceEndNs: t1 });

  const text = await mixedTraceText();
  const eventsByName: Record<string, number> = {};
  let events = 0;
  for (const name of EVENT_NAMES) {
    let n = 0;
    const needle = `: ${name}: `;
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) n++;
    if (n > 0) eventsByName[name] = n;
    events += n;
  }
  return {
    summary: {
      traceName: "mixed/trace.txt.gz",
      traceFormat: "tracefs text (gzip)",
      kernelRelease: Deno.readTextFileSync(`${MIXED_DIR}/uname`).trim(),
      cpus: 2,
      firstTsNs: t0,
      lastTsNs: t1,
      events: events + extra,
      lostEvents: 0,
      desyncs: 0,
      eventsByName,
      diagnostics: [{ code: "synthetic-test-data", count: 1, example: HOSTILE_COMM }],
      notes: [
        "Test fixture: real before/after /proc snapshots and trace events, synthetic samples in between.",
      ],
      generator: "kmemreplay report tests",
    },
    metrics: metrics.finish(),
  };
}
