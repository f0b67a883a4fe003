/**
 * Validation of a replay against the real kernel: the replay's end state is compared with the
 * `after.*` /proc snapshots of the capture, and what the trace cannot show is estimated from the
 * before/after deltas as an error budget.
 *
 * Compared like with like:
 * - free pages per zone: buddy free pages (pcp pages excluded) — the sum over `after.buddyinfo`
 *   (exact: `nr_free` is read under the zone lock), else `after.zoneinfo` `pages free`
 *   (NR_FREE_PAGES, which lags by up to `vm stats threshold` × CPUs pages of per-cpu deltas);
 * - free blocks per order: `after.buddyinfo`; per migratetype: `after.pagetypeinfo`;
 * - pcp pages: Σ `count:` of the zone's pagesets in `after.zoneinfo`, shown apart;
 * - pageblocks per migratetype: the pagetypeinfo block-count table;
 * - slab: `active_objs` per cache of `after.slabinfo`. When both snapshots were read right after
 *   a shrink of every cache (`before/after.slab_shrink`, written by `kmem capture`), active_objs
 *   counts the objects in use, and predicted = before + the trace's object change
 *   (`objectsDelta`: allocations − frees, implied and pre-trace frees included) — method
 *   `in-use`. Otherwise active_objs also counts the free objects of CPU-held slabs and sheaves,
 *   which no snapshot records, and predicted = before + the emulated cache's change of active
 *   objects (end − start) — method `layout`; without a before-snapshot, the emulated count.
 *
 * `errorPct` is always `100 · (predicted − actual) / max(|actual|, 1)`, signed.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES } from "../kernel/constants.ts";
import type { SnapshotSet } from "../snapshot/bundle.ts";
import type { SlabSysfsRow } from "../snapshot/slab_sysfs.ts";
import { sumVmstat, type Vmstat, vmstatDelta } from "../snapshot/vmstat.ts";
import { DESYNC_KINDS } from "./page_replay.ts";
import type { ReplayTraceResult } from "./replay_trace.ts";
import type { ZoneReplayResult } from "./page_replay_result.ts";

/** Fidelity targets (issue 7): free pages per zone within this many percent. */
export const TARGET_FREE_PAGES_PCT = 0.5;
/** Free blocks per order within this many percent (or ±{@linkcode TARGET_FREE_BLOCKS_SLACK}). */
export const TARGET_FREE_BLOCKS_PCT = 5;
/**
 * Absolute slack for small free-block counts: one split or merge moves a count by one, which is
 * more than 5 % of any count below 20.
 */
export const TARGET_FREE_BLOCKS_SLACK = 1;
/** Active objects per slab cache within this many percent … */
export const TARGET_SLAB_PCT = 2;
/** … for caches with more than this many active objects (after snapshot). */
export const SLAB_FLAG_MIN_OBJS = 1000;

/** A predicted number next to the real one. */
export interface Compared {
  predicted: number;
  actual: number;
  /** `100 · (predicted − actual) / max(|actual|, 1)`. */
  errorPct: number;
}

/** One zone of a {@linkcode ValidationReport}. */
export interface ZoneValidation {
  name: string;
  node: number;
  /** Buddy free pages (pcp excluded); `source` says which snapshot gave `actual`. */
  freePages: Compared & { source: "buddyinfo" | "zoneinfo" };
  /** Free blocks per order (buddyinfo); empty arrays when the snapshot lacks the zone. */
  freeBlocks: { predicted: number[]; actual: number[]; errorPct: number[] };
  /** Free blocks per migratetype name then order (pagetypeinfo), or null without it. */
  freeBlocksByType:
    | { predicted: Record<string, number[]>; actual: Record<string, number[]> }
    | null;
  /**
   * Pageblocks per migratetype name. `predicted` = before-pagetypeinfo counts + the replay's
   * retypes (else the replay's census of the whole span); `actual` = after-pagetypeinfo counts
   * (empty without it).
   */
  pageblocksByType: { predicted: Record<string, number>; actual: Record<string, number> };
  /** Pages on per-cpu lists, all CPUs (zoneinfo pagesets), or null without zoneinfo. */
  pcpPages: Compared | null;
  /** Free pages before the capture (before-snapshot) or null: the change is what the trace explains. */
  freePagesBefore: number | null;
}

/** One slab cache of a {@linkcode ValidationReport}. */
export interface SlabValidation {
  name: string;
  activeObjs: Compared;
  /** More than {@linkcode SLAB_FLAG_MIN_OBJS} active objects in the after-snapshot: held to the 2 % target. */
  flagged: boolean;
  /** The trace allocated or freed objects of this cache. */
  traced: boolean;
  /** active_objs of the before-snapshot, or null. */
  before: number | null;
  /** Frees the trace did not show, implied by a live pointer allocated again (see slab replay). */
  impliedFrees: number;
  /** Frees of objects allocated before the trace, attributed to this cache (see slab replay). */
  preTraceFrees: number;
  /**
   * Change, after − before, of the objects in slabs held by CPUs (`cpu_slabs · objs_per_slab`
   * of before/after.slab_sysfs): slabinfo counts all of them active, allocated or not. Null
   * without both slab_sysfs snapshots.
   */
  cpuHeldDelta: number | null;
}

/** One line of the error budget: something the trace does not show, estimated. */
export interface ErrorBudgetLine {
  /** Short name of the cause (`bulk allocation`, `compaction isolation` …). */
  item: string;
  /** Estimated size, or null when nothing in the bundle measures it. */
  estimate: number | null;
  unit: "pages" | "objects" | "events" | "blocks";
  /** How the estimate was obtained and what it means. */
  basis: string;
}

/**
 * The result of {@linkcode validateReplay} — the public `kmem validate --json` contract. Field
 * names and meanings are stable; fields may be added, none removed.
 */
export interface ValidationReport {
  zones: ZoneValidation[];
  /** Caches of the after-slabinfo, largest first; empty without a slab replay or slabinfo. */
  slab: SlabValidation[];
  /**
   * How slab predictions were made: `in-use` when both slabinfo snapshots followed a shrink
   * (exact comparison of objects in use), `layout` otherwise (see the module doc).
   */
  slabMethod: "in-use" | "layout";
  /** Replay desyncs: page kinds (see DESYNC_KINDS) and slab kinds prefixed `slab:`. */
  desyncs: Record<string, number>;
  lost: { markers: number; events: number };
  errorBudget: ErrorBudgetLine[];
  targets: {
    /** Every populated zone's free pages within 0.5 %. */
    freePagesWithin0_5pct: boolean;
    /** Every zone's free blocks per order within 5 % (or ±1 block). */
    freeBlocksWithin5pct: boolean;
    /** Every cache with > 1000 active objects within 2 % (true when there are none). */
    slabWithin2pct: boolean;
  };
}

/**
 * `100 · (predicted − actual) / max(|actual|, 1)`.
 *
 * @example
 * ```ts
 * import { errorPct } from "./validate.ts";
 * errorPct(241873, 241723); // ≈ 0.062
 * errorPct(3, 0); // 300
 * ```
 */
export function errorPct(predicted: number, actual: number): number {
  return 100 * (predicted - actual) / Math.max(Math.abs(actual), 1);
}

function compared(predicted: number, actual: number): Compared {
  return { predicted, actual, errorPct: errorPct(predicted, actual) };
}

const zoneKey = (node: number, name: string) => `${node}/${name}`;

/**
 * Compares a replay's end state with the after-snapshots and estimates the error budget from
 * before/after deltas. Pure.
 *
 * @example
 * ```ts
 * import { validateReplay } from "./validate.ts";
 * import { replayTrace } from "./replay_trace.ts";
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
      const predicted = p
        ? (bRow ? bRow.activeObjs + change : slabMethod === "in-use" ? change : p.activeObjs)
        : bRow?.activeObjs;
      if (predicted === undefined) continue;
      slab.push({
        name: a.name,
        activeObjs: compared(predicted, a.activeObjs),
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

  const blocksOk = zones.every((z) =>
    z.freeBlocks.actual.every((a, o) => {
      const d = Math.abs(z.freeBlocks.predicted[o]! - a);
      return d <= TARGET_FREE_BLOCKS_SLACK || d <= a * TARGET_FREE_BLOCKS_PCT / 100;
    })
  );
  return {
    zones,
    slab,
    slabMethod,
    desyncs,
    lost: { ...pages.lost },
    errorBudget: [
      ...errorBudget(result, zones, after, before),
      ...(slabMethod === "in-use" ? inUseBudget(slab) : cpuHeldBudget(slab, after, before)),
    ],
    targets: {
      freePagesWithin0_5pct: zones.every((z) =>
        Math.abs(z.freePages.errorPct) <= TARGET_FREE_PAGES_PCT
      ),
      freeBlocksWithin5pct: blocksOk,
      slabWithin2pct: slab.every((s) =>
        !s.flagged || Math.abs(s.activeObjs.errorPct) <= TARGET_SLAB_PCT
      ),
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

/** What the trace does not show, estimated from the bundle (see the module doc). */
function errorBudget(
  result: ReplayTraceResult,
  zones: ZoneValidation[],
  after: SnapshotSet,
  before?: SnapshotSet,
): ErrorBudgetLine[] {
  const out: ErrorBudgetLine[] = [];
  const p = result.pages;
  const d = p.desyncs;
  const tracedAlloc = p.zones.reduce((s, z) => s + z.tracedPages.allocated, 0);
  const tracedFree = p.zones.reduce((s, z) => s + z.tracedPages.freed, 0);
  const vb: Vmstat | undefined = before?.vmstat;
  const va: Vmstat | undefined = after.vmstat;
  const delta = vb && va ? vmstatDelta(vb, va) : null;

  // Bulk allocation: PGALLOC counts alloc_pages_bulk pages, mm_page_alloc does not.
  if (delta) {
    const pgalloc = sumVmstat(delta, "pgalloc_");
    out.push({
      item: "untraced allocations (alloc_pages_bulk, snapshot windows)",
      estimate: pgalloc - tracedAlloc,
      unit: "pages",
      basis:
        `Δpgalloc_* ${pgalloc} − traced mm_page_alloc ${tracedAlloc} pages; alloc_pages_bulk ` +
        `counts PGALLOC but emits no per-page mm_page_alloc; also counts allocations between ` +
        `the snapshot reads and tracing on/off`,
    });
    const pgfree = delta.pgfree ?? 0;
    out.push({
      item: "untraced frees (snapshot windows)",
      estimate: pgfree - tracedFree,
      unit: "pages",
      basis:
        `Δpgfree ${pgfree} − traced mm_page_free ${tracedFree} pages; every free_pages_prepare ` +
        `fires mm_page_free, so the rest happened outside the traced window`,
    });
  } else {
    out.push({
      item: "untraced allocations (alloc_pages_bulk)",
      estimate: null,
      unit: "pages",
      basis: "needs before.vmstat and after.vmstat (pgalloc_*, pgfree)",
    });
  }
  out.push({
    item: "pcp pages handed out without mm_page_alloc (bulk allocator)",
    estimate: (d["double-free"] ?? 0) + (d["alloc-allocated"] ?? 0),
    unit: "blocks",
    basis: `desyncs double-free ${d["double-free"] ?? 0} + alloc-allocated ${
      d["alloc-allocated"] ?? 0
    }: frees of pages the model still held on a pcp list`,
  });
  out.push({
    item: "frees that bypassed the pcp list (pcp trylock failure)",
    estimate: (d["take-not-free"] ?? 0) + (d["drain-not-pcp"] ?? 0),
    unit: "blocks",
    basis: `desyncs take-not-free ${d["take-not-free"] ?? 0} + drain-not-pcp ${
      d["drain-not-pcp"] ?? 0
    }: the kernel freed straight to buddy (no event says so)`,
  });
  out.push({
    item: "pages allocated before the trace started",
    estimate: (d["free-untracked"] ?? 0) + (d["take-untracked"] ?? 0) +
      (d["alloc-untracked"] ?? 0) + (d["alloc-from-buddy"] ?? 0),
    unit: "blocks",
    basis: `desyncs free-untracked ${d["free-untracked"] ?? 0}, take-untracked ${
      d["take-untracked"] ?? 0
    }, alloc-untracked ${d["alloc-untracked"] ?? 0}, alloc-from-buddy ${
      d["alloc-from-buddy"] ?? 0
    }: first sightings the before-snapshot could not place`,
  });
  const ci = p.compactionIsolation;
  if (delta || ci.events > 0) {
    // COMPACTISOLATED counts both scanners: free pages (isolate_freepages_block,
    // fast_isolate_freepages) and LRU pages taken for migration (isolate_migratepages_block).
    const vmIso = delta ? `Δcompact_isolated ${delta.compact_isolated ?? 0}` : "no vmstat delta";
    out.push({
      item: "compaction isolation",
      estimate: ci.pagesTaken,
      unit: "pages",
      basis: `${ci.events} mm_compaction_(fast_)isolate_freepages events, Σ nr_taken ` +
        `${ci.pagesTaken} free pages taken off buddy with no mm_page_alloc (replayed: ` +
        `${ci.locatedPages} at located blocks, ${ci.unlocatedPages} from unlocated snapshot ` +
        `blocks (orders guessed, ${ci.guessedEvents} events; ${ci.placedPages} placed in the ` +
        `range), ${ci.missingPages} not found); ${vmIso} also counts the migrate scanner's LRU ` +
        `pages (Σ isolate_migratepages nr_taken ${ci.migratePagesTaken}): ` +
        `${ci.pagesTaken} + ${ci.migratePagesTaken} = ${ci.pagesTaken + ci.migratePagesTaken}` +
        (delta
          ? ` (Δcompact_stall ${delta.compact_stall ?? 0}, Δcompact_daemon_wake ${
            delta.compact_daemon_wake ?? 0
          })`
          : ""),
    });
  }
  const growthManaged = managedGrowth(after, before);
  out.push({
    item: "memory hot-add / deferred struct-page init",
    estimate: p.zoneGrowthPages + Math.max(0, growthManaged - p.zoneGrowthPages),
    unit: "pages",
    basis: `${p.zoneGrowthPages} pages arrived as MAX_PAGE_ORDER frees of never-seen memory; ` +
      `managed pages grew by ${growthManaged} between the snapshots`,
  });
  out.push({
    item: "free page reporting (virtio-balloon)",
    estimate: null,
    unit: "pages",
    basis:
      "isolates and returns free blocks with no event and no vmstat counter; it moves blocks to " +
      "list tails, not in or out of the free count",
  });
  if (result.slab) {
    const s = result.slab.desync;
    out.push({
      item: "slab objects freed without a per-object event (bulk free, sheaves, kfree_rcu)",
      estimate: s.ptrReusedLive,
      unit: "objects",
      basis:
        `allocations returning a pointer still live in the replay (${s.ptrReusedLive}); each ` +
        `is taken as an implied free just before`,
    });
    out.push({
      item: "slab objects allocated before the trace",
      estimate: s.freeUnknown,
      unit: "objects",
      basis: `frees of never-seen pointers (${s.freeUnknown}, ${s.freeSeeded} released from the ` +
        `before-slabinfo seed)`,
    });
  }
  for (const z of zones) {
    const zi = after.zoneinfo?.find((x) => x.node === z.node && x.name === z.name);
    if (zi && z.freePages.source === "buddyinfo") {
      out.push({
        item: `NR_FREE_PAGES drift, ${z.name}`,
        estimate: zi.freePages - z.freePages.actual,
        unit: "pages",
        basis: "zoneinfo `pages free` − buddyinfo pages: per-cpu vmstat deltas not yet folded",
      });
    }
  }
  if (p.lost.markers > 0) {
    out.push({
      item: "lost events (ring buffer overrun)",
      estimate: p.lost.events,
      unit: "events",
      basis: `${p.lost.markers} lost-events markers in the trace`,
    });
  }
  for (const z of zones) {
    out.push({
      item: `unexplained, ${z.name} free pages`,
      estimate: z.freePages.predicted - z.freePages.actual,
      unit: "pages",
      basis: "predicted − actual after everything above",
    });
  }
  return out;
}

/** Caches listed by {@linkcode inUseBudget}: the largest residuals, at most this many. */
const IN_USE_BUDGET_LINES = 6;

/**
 * In-use method (both slabinfo reads followed a shrink): what is left is the trace's own gap —
 * one line per cache with the largest |predicted − actual|. Positive: objects freed without a
 * per-object event that no later allocation revealed (kfree_rcu batches and sheaf frees go
 * through kmem_cache_free_bulk, which has no tracepoint); negative: objects allocated untraced
 * (between a snapshot and tracing on/off) or freed twice in the trace.
 */
function inUseBudget(slab: SlabValidation[]): ErrorBudgetLine[] {
  const off = slab
    .map((s) => ({ s, err: s.activeObjs.predicted - s.activeObjs.actual }))
    .filter((x) => x.err !== 0)
    .sort((a, b) => Math.abs(b.err) - Math.abs(a.err));
  const total = off.reduce((a, x) => a + Math.abs(x.err), 0);
  const out: ErrorBudgetLine[] = [{
    item: "slab: objects in use the trace does not explain (Σ|error|)",
    estimate: total,
    unit: "objects",
    basis: `${off.length} of ${slab.length} caches off; both slabinfo reads followed a shrink, ` +
      "so active_objs counts exactly the objects in use",
  }];
  for (const { s, err } of off.slice(0, IN_USE_BUDGET_LINES)) {
    out.push({
      item: `slab ${s.name}: ${err > 0 ? "frees" : "allocations"} without events`,
      estimate: err,
      unit: "objects",
      basis: err > 0
        ? `predicted − actual; implied frees ${s.impliedFrees} already counted — the rest ` +
          "were freed in bulk (kfree_rcu, sheaves: kmem_cache_free_bulk has no tracepoint) " +
          "and never reused in the trace"
        : "predicted − actual; allocated between a snapshot and tracing on/off, or a free the " +
          "trace shows twice",
    });
  }
  return out;
}

/**
 * One line per flagged cache whose CPU-held slabs changed between the slab_sysfs snapshots.
 * error = predicted − actual = −(Δ free objects counted active), and the free share of a
 * CPU-held slab is not exported: the estimate takes half of {@linkcode SlabValidation.cpuHeldDelta}
 * (mm/slub.c slabs_cpu_partial_show's "approximate half-full slabs"), bounds ±the whole.
 */
function cpuHeldBudget(
  slab: SlabValidation[],
  after: SnapshotSet,
  before?: SnapshotSet,
): ErrorBudgetLine[] {
  if (!before?.slabSysfs || !after.slabSysfs) {
    return slab.some((s) => s.flagged)
      ? [{
        item: "slab: free objects of per-CPU slabs/sheaves counted active",
        estimate: null,
        unit: "objects",
        basis: "needs before.slab_sysfs and after.slab_sysfs (kmem capture writes them)",
      }]
      : [];
  }
  const sysA = new Map(after.slabSysfs.map((r) => [r.name, r]));
  const sysB = new Map(before.slabSysfs.map((r) => [r.name, r]));
  const out: ErrorBudgetLine[] = [];
  for (const s of slab) {
    if (!s.flagged || s.cpuHeldDelta === null) continue;
    const off = Math.abs(s.activeObjs.errorPct) > TARGET_SLAB_PCT;
    if (s.cpuHeldDelta === 0 && !off) continue; // nothing moved, nothing to explain
    const b = sysB.get(s.name)!;
    const a = sysA.get(s.name)!;
    const err = s.activeObjs.predicted - s.activeObjs.actual;
    const explained = cpuHeldExplained(s.cpuHeldDelta);
    const sheaf = a.sheafCapacity ?? 0;
    out.push({
      item: `slab ${s.name}: ${signed(s.cpuHeldDelta)} objects moved into per-CPU slabs`,
      estimate: s.cpuHeldDelta,
      unit: "objects",
      basis:
        `cpu_slabs ${b.cpuSlabs}→${a.cpuSlabs} (cpu-partial ${b.cpuPartialSlabs ?? "?"}→${
          a.cpuPartialSlabs ?? "?"
        }), all counted active; free share unknown, half-full estimate explains ${
          signed(explained)
        } (bounds ${signed(-Math.abs(s.cpuHeldDelta))}…${signed(Math.abs(s.cpuHeldDelta))}) of ` +
        `the error ${signed(err)}, residual ${signed(err - explained)}` +
        (sheaf > 0
          ? `; sheaves of ${sheaf} objects also count as active and are not exported`
          : ""),
    });
  }
  return out;
}

/**
 * The part of a slab cache's error (predicted − actual active objects) that a change of
 * CPU-held capacity explains under the kernel's half-full assumption: the replay does not see
 * objects sitting free in CPU-held slabs, so more of them lowers actual against predicted.
 *
 * @example
 * ```ts
 * import { cpuHeldExplained } from "./validate.ts";
 * cpuHeldExplained(42); // -21: two more 21-object slabs held by CPUs, half of them free
 * ```
 */
export function cpuHeldExplained(cpuHeldDelta: number): number {
  return -Math.round(cpuHeldDelta / 2);
}

const signed = (n: number) => `${n >= 0 ? "+" : ""}${n}`;

function managedGrowth(after: SnapshotSet, before?: SnapshotSet): number {
  if (!before?.zoneinfo || !after.zoneinfo) return 0;
  let g = 0;
  for (const a of after.zoneinfo) {
    const b = before.zoneinfo.find((x) => x.node === a.node && x.name === a.name);
    if (b) g += a.managedPages - b.managedPages;
  }
  return g;
}

/** Description of a page desync kind (for tables). */
function desyncText(kind: string): string {
  return (DESYNC_KINDS as Record<string, string>)[kind] ?? "";
}

const fmtPct = (x: number) =>
  `${x >= 0 ? "+" : ""}${x.toFixed(x !== 0 && Math.abs(x) < 0.1 ? 3 : 2)}%`;
const ok = (b: boolean) => (b ? "met" : "MISSED");

/**
 * Formats a {@linkcode ValidationReport} as the tables a human reads (`kmem validate`).
 *
 * @example
 * ```ts
 * import { formatValidation } from "./validate.ts";
 * const text = formatValidation({
 *   zones: [], slab: [], slabMethod: "in-use", desyncs: {}, lost: { markers: 0, events: 0 },
 *   errorBudget: [],
 *   targets: { freePagesWithin0_5pct: true, freeBlocksWithin5pct: true, slabWithin2pct: true },
 * });
 * text.includes("targets"); // true
 * ```
 */
export function formatValidation(report: ValidationReport): string {
  const o: string[] = [];
  o.push("zone        free pages: predicted     actual     error   pcp: predicted    actual");
  for (const z of report.zones) {
    o.push(
      `${z.name.padEnd(10)} ${String(z.freePages.predicted).padStart(21)} ${
        String(z.freePages.actual).padStart(10)
      } ${fmtPct(z.freePages.errorPct).padStart(9)} ${
        String(z.pcpPages?.predicted ?? "-").padStart(16)
      } ${String(z.pcpPages?.actual ?? "-").padStart(9)}`,
    );
  }
  o.push("");
  o.push("free blocks per order (buddyinfo)");
  for (const z of report.zones) {
    if (z.freeBlocks.actual.length === 0) continue;
    const w = z.freeBlocks.actual.map((a, k) =>
      Math.max(String(a).length, String(z.freeBlocks.predicted[k]).length, 6)
    );
    const row = (xs: Array<string | number>) =>
      xs.map((x, k) => String(x).padStart(w[k]!)).join(" ");
    o.push(`  ${z.name.padEnd(10)} order     ${row(w.map((_, k) => k))}`);
    o.push(`  ${"".padEnd(10)} predicted ${row(z.freeBlocks.predicted)}`);
    o.push(`  ${"".padEnd(10)} actual    ${row(z.freeBlocks.actual)}`);
    o.push(
      `  ${"".padEnd(10)} error     ${
        row(z.freeBlocks.errorPct.map((e) => `${e >= 0 ? "+" : ""}${e.toFixed(1)}%`))
      }`,
    );
  }
  const pbz = report.zones.filter((z) => Object.keys(z.pageblocksByType.actual).length > 0);
  if (pbz.length) {
    o.push("");
    o.push("pageblocks by migratetype (predicted/actual)");
    for (const z of pbz) {
      const cells = Object.entries(z.pageblocksByType.actual).map(([t, a]) =>
        `${t} ${z.pageblocksByType.predicted[t] ?? 0}/${a}`
      );
      o.push(`  ${z.name.padEnd(10)} ${cells.join("  ")}`);
    }
  }
  if (report.slab.length) {
    const flagged = report.slab.filter((s) => s.flagged);
    const bad = flagged.filter((s) => Math.abs(s.activeObjs.errorPct) > TARGET_SLAB_PCT);
    o.push("");
    const inUse = report.slabMethod === "in-use";
    o.push(
      `slab: ${report.slab.length} caches, ${flagged.length} with > ${SLAB_FLAG_MIN_OBJS} ` +
        `objects, ${bad.length} of them off by more than ${TARGET_SLAB_PCT} % ` +
        (inUse
          ? "(in-use: both slabinfo reads followed a shrink)"
          : "(layout: no shrink before the slabinfo reads; free objects of CPU slabs count)"),
    );
    o.push(
      `  ${"cache".padEnd(28)} ${"before".padStart(9)} ${"predicted".padStart(10)} ${
        "actual".padStart(9)
      } ${"error".padStart(9)} ${"implied frees".padStart(14)} ${
        (inUse ? "pre-trace frees" : "cpu-held Δ").padStart(15)
      }`,
    );
    const shown = [...bad, ...flagged.filter((s) => !bad.includes(s)).slice(0, 12)];
    for (const s of shown) {
      o.push(
        `${Math.abs(s.activeObjs.errorPct) > TARGET_SLAB_PCT ? "! " : "  "}${
          s.name.slice(0, 28).padEnd(28)
        } ${String(s.before ?? "-").padStart(9)} ${String(s.activeObjs.predicted).padStart(10)} ${
          String(s.activeObjs.actual).padStart(9)
        } ${fmtPct(s.activeObjs.errorPct).padStart(9)} ${String(s.impliedFrees).padStart(14)} ${
          String(
            inUse ? s.preTraceFrees : s.cpuHeldDelta === null ? "-" : signed(s.cpuHeldDelta),
          ).padStart(15)
        }`,
      );
    }
  }
  const ds = Object.entries(report.desyncs);
  o.push("");
  o.push(
    `desyncs ${
      ds.reduce((a, [, n]) => a + n, 0)
    }; lost ${report.lost.markers} markers, ${report.lost.events} events`,
  );
  for (const [k, n] of ds) o.push(`  ${k.padEnd(24)} ${String(n).padStart(8)}  ${desyncText(k)}`);
  o.push("");
  o.push("error budget (what the trace does not show)");
  for (const l of report.errorBudget) {
    o.push(
      `  ${l.item.padEnd(62)} ${String(l.estimate ?? "?").padStart(8)} ${
        l.unit.padEnd(7)
      } ${l.basis}`,
    );
  }
  const t = report.targets;
  o.push("");
  o.push(
    `targets: free pages ±${TARGET_FREE_PAGES_PCT}% ${ok(t.freePagesWithin0_5pct)}, ` +
      `free blocks ±${TARGET_FREE_BLOCKS_PCT}% ${ok(t.freeBlocksWithin5pct)}, ` +
      `slab ±${TARGET_SLAB_PCT}% ${ok(t.slabWithin2pct)}`,
  );
  return o.join("\n");
}
