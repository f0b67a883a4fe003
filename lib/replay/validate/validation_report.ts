/**
 * The report of a validation of a replay against the real kernel: the replay's end state is
 * compared with the `after.*` /proc snapshots of the capture, and what the trace cannot show is
 * estimated from the before/after deltas as an error budget.
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

import type { KswapdWakeCheckResult } from "../page/kswapd_wake_check.ts";
import type { Compared } from "./compared.ts";
import type { PfnAgreementZone } from "./pfn_agreement.ts";

/** Fidelity targets (README, "Fidelity"): free pages per zone within this many percent. */
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

/** A target's verdict: `not-evaluated` when the bundle and trace gave nothing to compare. */
export type TargetStatus = "met" | "missed" | "not-evaluated";

/**
 * The verdict of a target over `compared` items that `ok` says are all within it.
 *
 * @example
 * ```ts
 * import { targetStatus } from "./validation_report.ts";
 * targetStatus(0, true); // "not-evaluated"
 * targetStatus(3, false); // "missed"
 * ```
 */
export function targetStatus(compared: number, ok: boolean): TargetStatus {
  return compared === 0 ? "not-evaluated" : ok ? "met" : "missed";
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
   * Objects the before-count plus the trace's change left below zero: the replay saw this many
   * more frees than objects it knew of (allocated untraced between the before-snapshot and
   * tracing on, or a free the trace shows twice). `activeObjs.predicted` is clamped at 0 and
   * the shortfall is an error-budget line; 0 when the prediction needed no clamp.
   */
  shortfall: number;
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
  /**
   * Free vs allocated pfn by pfn against `after.kpageflags`, per zone (see pfn_agreement.ts);
   * null when the bundle has no after.kpageflags.
   */
  pfnAgreement: PfnAgreementZone[] | null;
  /**
   * Slab pages at the end, three ways: KPF_SLAB pages of after.kpageflags, Σ num_slabs ·
   * pagesperslab of after.slabinfo, and the slab model's; null where the bundle or replay has
   * no such count.
   */
  slabPages: { kpageflags: number | null; slabinfo: number | null; model: number | null };
  /**
   * Each target as met, missed, or `not-evaluated` when nothing was compared for it (no zone, no
   * buddyinfo orders, no cache above {@linkcode SLAB_FLAG_MIN_OBJS}); `targets` keeps its
   * booleans, which read true in that case.
   */
  targetStatus: { freePages: TargetStatus; freeBlocks: TargetStatus; slab: TargetStatus };
  /** How many items each target compared: zones, zones with buddyinfo orders, flagged caches. */
  targetCompared: { freePagesZones: number; freeBlocksZones: number; slabCaches: number };
  /**
   * At each traced mm_vmscan_wakeup_kswapd, whether the model's own watermark check
   * (`pgdat_balanced` at the request's order, high watermark + boost, lowmem_reserve, highatomic
   * reserve) failed too; null in policy mode (page/kswapd_wake_check.ts).
   */
  kswapdWakeCheck: KswapdWakeCheckResult | null;
  targets: {
    /** Every populated zone's free pages within 0.5 %. */
    freePagesWithin0_5pct: boolean;
    /** Every zone's free blocks per order within 5 % (or ±1 block). */
    freeBlocksWithin5pct: boolean;
    /** Every cache with > 1000 active objects within 2 % (true when there are none). */
    slabWithin2pct: boolean;
  };
}
