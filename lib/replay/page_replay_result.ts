/**
 * The result of a page-allocator replay: the public contract behind `kmem replay --json`.
 * Field names and meanings are stable; new fields may be added, none removed.
 *
 * @module
 */

import type { KpageflagsZoneCheck } from "./page/kpageflags_seed.ts";
import type { DesyncCounts, DesyncKind } from "./page/desync_catalogue.ts";
import type { KswapdWakeCheckResult } from "./page/kswapd_wake_check.ts";

/** Replay mode: follow the trace's pfns, or let the emulator choose pfns like the kernel. */
export type ReplayMode = "faithful" | "policy";

/** End state and history of one zone. All counts are pages unless named blocks. */
export interface ZoneReplayResult {
  /** Zone name as the kernel prints it (`DMA`, `DMA32`, `Normal`, `HighMem`, `Movable`). */
  name: string;
  node: number;
  /** NR_FREE_PAGES at the end: buddy free pages, pcp pages excluded (as /proc/zoneinfo). */
  freePages: number;
  /** Free blocks per order, all migratetypes (as /proc/buddyinfo). */
  freeBlocks: number[];
  /** Free blocks per migratetype then order, `[mt][order]` (as /proc/pagetypeinfo rows). */
  freeBlocksByType: number[][];
  /** Part of `freeBlocks` known only from the before-snapshot (faithful mode), per order. */
  unlocatedBlocks: number[];
  /** Lowest `freePages` during the replay. */
  minFreePages: number;
  /**
   * Faithful: times free pages fell below the low / min watermark. Policy: allocations whose
   * low-watermark fast path failed (kswapd would wake) / whose min-watermark retry failed too
   * (direct reclaim would run).
   */
  watermarkBreaches: { low: number; min: number };
  /** Watermarks at the end (pages). */
  watermarks: { min: number; low: number; high: number; boost: number };
  /** Pages on per-cpu lists at the end, all CPUs. */
  pcpPages: number;
  /** Pageblocks per migratetype at the end (as the pagetypeinfo block-count table). */
  pageblocksByType: number[];
  /**
   * Pages of the zone's traced successful `page_alloc` and `page_free` calls (Σ 2^order), to
   * compare with the vmstat `pgalloc_<zone>` / `pgfree` deltas of a capture.
   */
  tracedPages: { allocated: number; freed: number };
  /**
   * Net pageblock retypes the trace shows (claims, and known blocks seen with another type), per
   * migratetype; corrections of the seeded guess on first sight are not counted. Added to a before-snapshot's block counts it predicts the after
   * counts without depending on which span pageblocks the kernel counts (online memory only).
   */
  pageblocksChange: number[];
}

/** Fallbacks between migratetypes (recorded mm_page_alloc_extfrag, or the emulator's own). */
export interface FallbackResult {
  total: number;
  /** fallback_order < pageblock_order: a pageblock now hosts another type's page. */
  fragmenting: number;
  /** Whole/partial pageblock claims (pageblock retyped) — change_ownership=1 in the trace. */
  claims: number;
  /** Single-block steals (pageblock type kept). */
  steals: number;
  /** Counts keyed `Requested<-Fallback` with migratetype names, e.g. `Unmovable<-Movable`. */
  byType: Record<string, number>;
}

/** Allocation failures (faithful: recorded in the trace; policy: the emulator's own). */
export interface FailureResult {
  total: number;
  /** Failures per order 0..MAX_PAGE_ORDER. */
  byOrder: number[];
}

/** An example of a desync kind: where it first happened. */
export interface DesyncExample {
  kind: DesyncKind;
  /** Source line (text traces) or byte offset (binary) of the call. */
  line: number;
  message: string;
}

/** Everything a page replay reports (`kmem replay --json`). */
export interface PageReplayResult {
  mode: ReplayMode;
  /** Calls seen per call kind name (`page_alloc`, `page_free`, `buddy_take`, …), zeros omitted. */
  calls: Record<string, number>;
  zones: ZoneReplayResult[];
  /**
   * Faithful: transitions the model did not expect, per kind (see `DESYNC_KINDS` in
   * page/desync_catalogue.ts) in order of first occurrence; each was resynchronised, none
   * dropped. Policy: trace calls the emulator could not map (e.g. frees of pages it never
   * handed out).
   */
  desyncs: DesyncCounts;
  /** First examples of each desync kind (at most a few per kind). */
  desyncExamples: DesyncExample[];
  /** Lost-events markers in the stream and the events they report lost (-1 counts excluded). */
  lost: { markers: number; events: number };
  fallbacks: FallbackResult;
  failures: FailureResult;
  /** Events explained without desync by the before-snapshot (unlocated blocks and pcp pages used). */
  seeded: { freeBlocksLocated: number; pcpPagesUsed: number };
  /**
   * Where the start state came from: `kpageflags` (free blocks and allocated pages at their real
   * pfns, from before.kpageflags), `counts` (buddyinfo/pagetypeinfo counts: positions estimated
   * as the trace touches them), `none` (no before-snapshot). Absent in policy mode.
   */
  seededFrom?: "kpageflags" | "counts" | "none";
  /**
   * Zones seeded from before.kpageflags: free blocks per order decomposed from the KPF_BUDDY
   * runs against before.buddyinfo's, pre-existing allocated and hole pages (faithful: empty
   * without kpageflags; absent in policy mode).
   */
  kpageflagsSeed?: KpageflagsZoneCheck[];
  /** Pages that entered a zone as MAX_PAGE_ORDER frees of never-seen memory (deferred init, hotplug). */
  zoneGrowthPages: number;
  /**
   * Faithful: compaction free-scanner isolations replayed (all zeros in policy mode, which has no
   * compaction model).
   */
  compactionIsolation: CompactionIsolationResult;
  /**
   * Faithful: traced allocations whose block no traced rmqueue handed out — pages captured by
   * compaction (mm/page_alloc.c compaction_capture → __alloc_pages_direct_compact →
   * prep_new_page): mm_page_alloc fires, PGALLOC does not count them. Zeros in policy mode.
   */
  compactionCapture: { allocations: number; pages: number };
  /**
   * Faithful: at each traced mm_vmscan_wakeup_kswapd the model's own `pgdat_balanced` /
   * `pgdat_watermark_boosted` check (see page/kswapd_wake_check.ts); null in policy mode.
   */
  kswapdWakeCheck: KswapdWakeCheckResult | null;
  /** Live allocations tracked at the end (policy: trace → emulated map entries). */
  liveAllocations: number;
  /**
   * Policy with the slab model on the emulated allocator: traced page calls of slab pages and
   * large kmallocs (allocs and frees) left to the slab model instead of replayed (0 otherwise).
   */
  slabPageCallsDelegated?: number;
}

/**
 * What the faithful replay did with mm_compaction_isolate_freepages / _fast_isolate_freepages:
 * free blocks taken off the buddy lists with no mm_page_alloc (mm/compaction.c
 * isolate_freepages_block, fast_isolate_freepages).
 *
 * @example
 * ```ts
 * import type { CompactionIsolationResult } from "./page_replay_result.ts";
 * const r: CompactionIsolationResult = {
 *   events: 1, fastEvents: 0, pagesTaken: 8, locatedPages: 4, unlocatedPages: 4, placedPages: 4,
 *   guessedEvents: 1, missingPages: 0, excessPages: 0, migratePagesTaken: 8,
 * };
 * r.locatedPages + r.unlocatedPages === r.pagesTaken; // true (nothing missing)
 * ```
 */
export interface CompactionIsolationResult {
  /** Isolation events seen (both kinds, nr_taken 0 included). */
  events: number;
  /** Of which mm_compaction_fast_isolate_freepages. */
  fastEvents: number;
  /** Σ nr_taken of the replayed events (pages). */
  pagesTaken: number;
  /** Pages of free blocks the model had located at those pfns (exact). */
  locatedPages: number;
  /** Pages taken from the before-snapshot's unlocated blocks (orders guessed). */
  unlocatedPages: number;
  /** Of `unlocatedPages`, pages placed at never-seen pfns of the event's range. */
  placedPages: number;
  /** Events that needed a guess (unlocated remainder, or any fast isolation). */
  guessedEvents: number;
  /** nr_taken pages neither located nor left in the unlocated pool. */
  missingPages: number;
  /** Located free pages in a range beyond its nr_taken (taken anyway: the kernel rule). */
  excessPages: number;
  /**
   * Σ nr_taken of mm_compaction_isolate_migratepages: LRU pages the migrate scanner took (no
   * buddy change; vmstat compact_isolated counts them with the free pages).
   */
  migratePagesTaken: number;
}
