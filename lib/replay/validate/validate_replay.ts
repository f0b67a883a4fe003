/**
 * Compares a replay's end state with the `after.*` /proc snapshots, zone by zone and cache by
 * cache (see validation_report.ts for what is compared with what), then adds the error budget.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES } from "../../kernel/constants.ts";
import { KPF } from "../../kernel/kpage_flags.ts";
import type { SnapshotSet } from "../../snapshot/bundle.ts";
import type { SlabSysfsRow } from "../../snapshot/slab_sysfs.ts";
import type { ReplayTraceResult } from "../replay_trace.ts";
import type { ZoneReplayResult } from "../page_replay_result.ts";
import { compared, errorPct } from "./compared.ts";
import { pfnAgreement } from "./pfn_agreement.ts";
import { cpuHeldBudget, errorBudget, inUseBudget, shortfallBudget } from "./error_budget.ts";
import {
  SLAB_FLAG_MIN_OBJS,
  type SlabValidation,
  TARGET_FREE_BLOCKS_PCT,
  TARGET_FREE_BLOCKS_SLACK,
  TARGET_FREE_PAGES_PCT,
  TARGET_SLAB_PCT,
  targetStatus,
  type ValidationReport,
  type ZoneValidation,
} from "./validation_report.ts";

const zoneKey = (node: number, name: string) => `${node}/${name}`;

/**
 * Compares a replay's end state with the after-snapshots and estimates the error budget from
 * before/after deltas. Pure.
 *
 * @example
 * ```ts
 * import { validateReplay } from "./validate_replay.ts";
 * import { replayTrace } from "../replay_trace.ts";
 * const line = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x1000 order=0\n";
 * const r = await replayTrace(ReadableStream.from([new TextEncoder().encode(line)]), {
 *   memoryBytes: 2 ** 30,
 * });
 * const v = validateReplay(r, {
 *   buddyinfo: [{ node: 0, zone: "DMA", freeBlocks: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }],
 * });
 * v.zones[0]!.freePages.actual; // 0
 * ```
 */
export function validateReplay(
  result: ReplayTraceResult,
  after: SnapshotSet,
  before?: SnapshotSet,
): ValidationReport {
  const pages = result.pages;
  const buddy = new Map((after.buddyinfo ?? []).map((r) => [zoneKey(r.node, r.zone), r]));
  const zinfo = new Map((after.zoneinfo ?? []).map((z) => [zoneKey(z.node, z.name), z]));
  const beforeBuddy = new Map((before?.buddyinfo ?? []).map((r) => [zoneKey(r.node, r.zone), r]));
  const beforeZinfo = new Map((before?.zoneinfo ?? []).map((z) => [zoneKey(z.node, z.name), z]));
  const pti = after.pagetypeinfo;

  const zones: ZoneValidation[] = [];
  for (const z of pages.zones) {
    const key = zoneKey(z.node, z.name);
    const b = buddy.get(key);
    const zi = zinfo.get(key);
    if (!b && !zi) continue; // unpopulated, or not in the snapshot
    if (zi && !zi.populated && !b) continue;
    const actualFree = b ? blocksToPages(b.freeBlocks) : zi!.freePages;
    const actualBlocks = b ? b.freeBlocks.slice() : [];
    const predictedBlocks = actualBlocks.length ? z.freeBlocks.slice(0, actualBlocks.length) : [];
    const bb = beforeBuddy.get(key);
    const bz = beforeZinfo.get(key);
    zones.push({
      name: z.name,
      node: z.node,
      freePages: { ...compared(z.freePages, actualFree), source: b ? "buddyinfo" : "zoneinfo" },
      freeBlocks: {
        predicted: predictedBlocks,
        actual: actualBlocks,
        errorPct: predictedBlocks.map((p, o) => errorPct(p, actualBlocks[o]!)),
      },
      freeBlocksByType: pti ? byType(z, pti.free) : null,
      pageblocksByType: {
        predicted: predictedPageblocks(z, before),
        actual: {
          ...pti?.blockCounts.find((r) => r.node === z.node && r.zone === z.name)?.counts,
        },
      },
      pcpPages: zi ? compared(z.pcpPages, zi.pagesets.reduce((s, p) => s + p.count, 0)) : null,
      freePagesBefore: bb ? blocksToPages(bb.freeBlocks) : bz ? bz.freePages : null,
    });
  }

  const slab: SlabValidation[] = [];
  const slabMethod = before?.slabShrink && after.slabShrink ? "in-use" : "layout";
  if (result.slab && after.slabinfo) {
    const rows = new Map(result.slab.caches.map((c) => [c.name, c]));
    const beforeRows = new Map((before?.slabinfo ?? []).map((r) => [r.name, r]));
    const sysB = new Map((before?.slabSysfs ?? []).map((r) => [r.name, r]));
    const sysA = new Map((after.slabSysfs ?? []).map((r) => [r.name, r]));
    for (const a of after.slabinfo) {
      const p = rows.get(a.name);
      const bRow = beforeRows.get(a.name);
      // Before + the change the replay explains: the seed's packing into whole slabs is not
      // the real layout, so absolute emulated counts are off by up to a slab per CPU.
      const change = p
        ? (slabMethod === "in-use" ? p.objectsDelta : p.activeObjs - p.activeObjsAtStart)
        : 0;
      const raw = p
        ? (bRow ? bRow.activeObjs + change : slabMethod === "in-use" ? change : p.activeObjs)
        : bRow?.activeObjs;
      if (raw === undefined) continue;
      // A count of objects is never below zero: the rest is a shortfall the budget explains.
      const predicted = Math.max(0, raw);
      slab.push({
        name: a.name,
        activeObjs: compared(predicted, a.activeObjs),
        shortfall: predicted - raw,
        flagged: a.activeObjs > SLAB_FLAG_MIN_OBJS,
        traced: p !== undefined && p.allocs + p.frees > 0,
        before: bRow?.activeObjs ?? null,
        impliedFrees: p?.impliedFrees ?? 0,
        preTraceFrees: p?.preTraceFrees ?? 0,
        cpuHeldDelta: cpuHeldDelta(sysB.get(a.name), sysA.get(a.name), a.objsPerSlab),
      });
    }
    slab.sort((x, y) => y.activeObjs.actual - x.activeObjs.actual);
  }

  const desyncs: Record<string, number> = { ...pages.desyncs };
  if (result.slab) {
    for (const [k, n] of Object.entries(result.slab.desync)) if (n > 0) desyncs[`slab:${k}`] = n;
  }

  const slabFlagged = slab.filter((s) => s.flagged).length;
  const blockZones = zones.filter((z) => z.freeBlocks.actual.length > 0).length;
  const blocksOk = zones.every((z) =>
    z.freeBlocks.actual.every((a, o) => {
      const d = Math.abs(z.freeBlocks.predicted[o]! - a);
      return d <= TARGET_FREE_BLOCKS_SLACK || d <= a * TARGET_FREE_BLOCKS_PCT / 100;
    })
  );
  const kpf = after.kpageflags;
  const agreement = kpf && result.pfnStates
    ? pfnAgreement(
      result.pfnStates,
      kpf,
      pages.zones.flatMap((z) => {
        const zi = zinfo.get(zoneKey(z.node, z.name));
        return zi?.populated
          ? [{
            name: z.name,
            node: z.node,
            startPfn: zi.startPfn,
            endPfn: zi.startPfn + zi.spannedPages,
            presentPages: zi.presentPages,
          }]
          : [];
      }),
    )
    : null;
  const targets = {
    freePagesWithin0_5pct: zones.every((z) =>
      Math.abs(z.freePages.errorPct) <= TARGET_FREE_PAGES_PCT
    ),
    freeBlocksWithin5pct: blocksOk,
    slabWithin2pct: slab.every((s) =>
      !s.flagged || Math.abs(s.activeObjs.errorPct) <= TARGET_SLAB_PCT
    ),
  };
  return {
    zones,
    slab,
    slabMethod,
    desyncs,
    lost: { ...pages.lost },
    pfnAgreement: agreement,
    slabPages: {
      kpageflags: kpf ? kpf.countFlag(KPF.SLAB, kpf.firstPfn, kpf.endPfn) : null,
      slabinfo: after.slabinfo
        ? after.slabinfo.reduce((n, r) => n + r.numSlabs * r.pagesPerSlab, 0)
        : null,
      model: result.slab ? result.slab.caches.reduce((n, c) => n + c.pages, 0) : null,
    },
    kswapdWakeCheck: pages.kswapdWakeCheck,
    errorBudget: [
      ...errorBudget(result, zones, after, before),
      ...(slabMethod === "in-use" ? inUseBudget(slab) : cpuHeldBudget(slab, after, before)),
      ...shortfallBudget(slab),
    ],
    targets,
    targetStatus: {
      freePages: targetStatus(zones.length, targets.freePagesWithin0_5pct),
      freeBlocks: targetStatus(blockZones, targets.freeBlocksWithin5pct),
      slab: targetStatus(slabFlagged, targets.slabWithin2pct),
    },
    targetCompared: {
      freePagesZones: zones.length,
      freeBlocksZones: blockZones,
      slabCaches: slabFlagged,
    },
  };
}

/**
 * Objects of CPU-held slabs (cpu slabs + cpu-partial slabs, `cpu_slabs` in sysfs), after −
 * before. mm/slub.c counts `objects` (= slabinfo active_objs) as nr_objs − free objects on node
 * partial slabs, so every object of a CPU-held slab is "active", allocated or free.
 */
function cpuHeldDelta(
  b: SlabSysfsRow | undefined,
  a: SlabSysfsRow | undefined,
  slabinfoObjsPerSlab: number,
): number | null {
  if (b?.cpuSlabs === undefined || a?.cpuSlabs === undefined) return null;
  const objs = a.objsPerSlab ?? b.objsPerSlab ?? slabinfoObjsPerSlab;
  return (a.cpuSlabs - b.cpuSlabs) * objs;
}

/**
 * Before-snapshot block counts plus the replay's retypes; without a before-pagetypeinfo the
 * replay's own census (which counts every pageblock of the span, online or not).
 */
function predictedPageblocks(z: ZoneReplayResult, before?: SnapshotSet): Record<string, number> {
  const row = before?.pagetypeinfo?.blockCounts.find((r) => r.node === z.node && r.zone === z.name);
  const out: Record<string, number> = {};
  z.pageblocksByType.forEach((n, mt) => {
    const name = MIGRATE_TYPE_NAMES[mt] ?? String(mt);
    out[name] = row ? (row.counts[name] ?? 0) + (z.pageblocksChange[mt] ?? 0) : n;
  });
  return out;
}

function blocksToPages(blocks: readonly number[]): number {
  return blocks.reduce((s, n, o) => s + n * 2 ** o, 0);
}

function byType(
  z: ZoneReplayResult,
  rows: ReadonlyArray<{ node: number; zone: string; type: string; blocks: number[] }>,
): { predicted: Record<string, number[]>; actual: Record<string, number[]> } {
  const predicted: Record<string, number[]> = {};
  const actual: Record<string, number[]> = {};
  for (const r of rows) {
    if (r.node !== z.node || r.zone !== z.name) continue;
    const mt = (MIGRATE_TYPE_NAMES as readonly string[]).indexOf(r.type);
    actual[r.type] = r.blocks.slice();
    predicted[r.type] = mt >= 0
      ? (z.freeBlocksByType[mt] ?? []).slice(0, r.blocks.length)
      : r.blocks.map(() => 0);
  }
  return { predicted, actual };
}
