/**
 * The closed set of allocator calls the replay executes. Every consumer dispatches with an
 * exhaustive `switch (kind)` over {@linkcode CallKind}, so adding a kind fails type-checking until
 * it is handled everywhere (see {@linkcode assertNever}).
 *
 * @module
 */

import { assertNever } from "../trace/assert_never.ts";
import { EVENT_NAMES, type EventName } from "../trace/event_kind.ts";

/** Allocator-call kinds. */
export const Call = {
  /** mm_page_alloc: success (pfn ≥ 0) or failure (flag FAILED, pfn -1). */
  PAGE_ALLOC: 0,
  /** mm_page_free (flag BATCHED when an mm_page_free_batched annotated it). */
  PAGE_FREE: 1,
  /** mm_page_alloc_zone_locked: a block left the buddy lists (to a pcp list if PERCPU_REFILL). */
  BUDDY_TAKE: 2,
  /** mm_page_pcpu_drain: a block left a pcp list back to buddy. */
  PCP_DRAIN: 3,
  /** mm_page_alloc_extfrag: a fallback to another migratetype's free list. */
  FALLBACK: 4,
  /** kmalloc / kmem_cache_alloc (and the _node variants); `event` tells which. */
  SLAB_ALLOC: 5,
  /** kfree / kmem_cache_free. */
  SLAB_FREE: 6,
  VMAP_ALLOC: 7,
  VMAP_FREE: 8,
  VMAP_PURGE: 9,
  ZONE_WMARKS: 10,
  ZONE_LOWMEM_RESERVE: 11,
  TOTALRESERVE: 12,
  KSWAPD_WAKE: 13,
  KSWAPD_SLEEP: 14,
  WAKEUP_KSWAPD: 15,
  DIRECT_RECLAIM_BEGIN: 16,
  DIRECT_RECLAIM_END: 17,
  COMPACTION_BEGIN: 18,
  COMPACTION_END: 19,
  /** mm_compaction_suitable / _finished. */
  COMPACTION_SUITABLE: 20,
  /** Other compaction events (kcompactd sleep/wake, deferral, migrate-scanner counters). */
  COMPACTION_INFO: 21,
  RSS_STAT: 22,
  /** Events were lost on `cpu` (a = count, -1 unknown): no conclusions across this point. */
  LOST: 23,
  /**
   * mm_compaction_isolate_freepages / _fast_isolate_freepages: the free scanner took buddy
   * blocks off the free lists with no mm_page_alloc (a = start pfn, b = end pfn, d = nr_taken
   * pages; mm/compaction.c isolate_freepages_block, fast_isolate_freepages).
   */
  COMPACTION_ISOLATE_FREE: 24,
  /**
   * vmscan events the replay does not act on: memcg / softlimit / node reclaim begin and end,
   * LRU isolation and shrinking, folio writeback, throttling, slab shrinking (counted in the
   * report's reclaim section).
   */
  RECLAIM_INFO: 25,
} as const;

/** A call kind number: the closed union of {@linkcode Call}'s values. */
export type CallKind = typeof Call[keyof typeof Call];
/** Same as {@linkcode CallKind}: `Call` names both the values and their closed union. */
export type Call = CallKind;

/** Names of call kinds, indexed by number (used in JSON and CSV output). */
export const CALL_NAMES: readonly string[] = Object.entries(Call)
  .sort((x, y) => x[1] - y[1])
  .map(([k]) => k.toLowerCase());

/** Number of call kinds. */
export const CALL_KIND_COUNT = CALL_NAMES.length;

/** Marker for exhaustive switches (kept here for the consumers of call kinds). */
export { assertNever };

/**
 * The call an event becomes, or -1 for events that only annotate another (mm_page_free_batched).
 *
 * @example
 * ```ts
 * import { callOfEvent, Call } from "./call_kind.ts";
 * import { Ev } from "../trace/event_kind.ts";
 * callOfEvent(Ev.kmalloc) === Call.SLAB_ALLOC; // true
 * ```
 */
export function callOfEvent(event: number): CallKind | -1 {
  return CALL_OF_EVENT[event] ?? -1;
}

/** The call of every event: a record over all event names, so a new event fails type-checking here. */
const CALL_BY_EVENT_NAME: { readonly [K in EventName]: CallKind | -1 } = {
  kmalloc: Call.SLAB_ALLOC,
  kmalloc_node: Call.SLAB_ALLOC,
  kmem_cache_alloc: Call.SLAB_ALLOC,
  kmem_cache_alloc_node: Call.SLAB_ALLOC,
  kfree: Call.SLAB_FREE,
  kmem_cache_free: Call.SLAB_FREE,
  mm_page_alloc: Call.PAGE_ALLOC,
  mm_page_alloc_zone_locked: Call.BUDDY_TAKE,
  mm_page_free: Call.PAGE_FREE,
  mm_page_free_batched: -1,
  mm_page_pcpu_drain: Call.PCP_DRAIN,
  mm_page_alloc_extfrag: Call.FALLBACK,
  rss_stat: Call.RSS_STAT,
  mm_setup_per_zone_wmarks: Call.ZONE_WMARKS,
  mm_setup_per_zone_lowmem_reserve: Call.ZONE_LOWMEM_RESERVE,
  mm_calculate_totalreserve_pages: Call.TOTALRESERVE,
  alloc_vmap_area: Call.VMAP_ALLOC,
  free_vmap_area_noflush: Call.VMAP_FREE,
  purge_vmap_area_lazy: Call.VMAP_PURGE,
  mm_vmscan_kswapd_wake: Call.KSWAPD_WAKE,
  mm_vmscan_kswapd_sleep: Call.KSWAPD_SLEEP,
  mm_vmscan_wakeup_kswapd: Call.WAKEUP_KSWAPD,
  mm_vmscan_direct_reclaim_begin: Call.DIRECT_RECLAIM_BEGIN,
  mm_vmscan_direct_reclaim_end: Call.DIRECT_RECLAIM_END,
  mm_compaction_begin: Call.COMPACTION_BEGIN,
  mm_compaction_end: Call.COMPACTION_END,
  mm_compaction_suitable: Call.COMPACTION_SUITABLE,
  mm_compaction_finished: Call.COMPACTION_SUITABLE,
  mm_compaction_kcompactd_sleep: Call.COMPACTION_INFO,
  mm_compaction_kcompactd_wake: Call.COMPACTION_INFO,
  mm_compaction_wakeup_kcompactd: Call.COMPACTION_INFO,
  mm_compaction_try_to_compact_pages: Call.COMPACTION_INFO,
  mm_compaction_deferred: Call.COMPACTION_INFO,
  mm_compaction_defer_compaction: Call.COMPACTION_INFO,
  mm_compaction_defer_reset: Call.COMPACTION_INFO,
  mm_compaction_migratepages: Call.COMPACTION_INFO,
  mm_compaction_isolate_migratepages: Call.COMPACTION_INFO,
  mm_compaction_isolate_freepages: Call.COMPACTION_ISOLATE_FREE,
  mm_compaction_fast_isolate_freepages: Call.COMPACTION_ISOLATE_FREE,
  lost_events: Call.LOST,
  mm_vmscan_memcg_reclaim_begin: Call.RECLAIM_INFO,
  mm_vmscan_memcg_reclaim_end: Call.RECLAIM_INFO,
  mm_vmscan_memcg_softlimit_reclaim_begin: Call.RECLAIM_INFO,
  mm_vmscan_memcg_softlimit_reclaim_end: Call.RECLAIM_INFO,
  mm_vmscan_node_reclaim_begin: Call.RECLAIM_INFO,
  mm_vmscan_node_reclaim_end: Call.RECLAIM_INFO,
  mm_vmscan_lru_isolate: Call.RECLAIM_INFO,
  mm_vmscan_lru_shrink_inactive: Call.RECLAIM_INFO,
  mm_vmscan_lru_shrink_active: Call.RECLAIM_INFO,
  mm_vmscan_reclaim_pages: Call.RECLAIM_INFO,
  mm_vmscan_write_folio: Call.RECLAIM_INFO,
  mm_vmscan_throttled: Call.RECLAIM_INFO,
  mm_shrink_slab_start: Call.RECLAIM_INFO,
  mm_shrink_slab_end: Call.RECLAIM_INFO,
};

const CALL_OF_EVENT: ReadonlyArray<CallKind | -1> = EVENT_NAMES.map((n) => CALL_BY_EVENT_NAME[n]);
