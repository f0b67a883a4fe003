/**
 * The closed set of trace events kmemreplay understands. Anything else in a trace is counted as
 * "unknown". Old event names (`mm_page_free_direct`, `mm_pagevec_free`) are aliases.
 *
 * @module
 */

/** Every known event, in a stable order: the index is the numeric code stored in batches. */
export const EVENT_NAMES = [
  "kmalloc",
  "kmalloc_node",
  "kfree",
  "kmem_cache_alloc",
  "kmem_cache_alloc_node",
  "kmem_cache_free",
  "mm_page_alloc",
  "mm_page_alloc_zone_locked",
  "mm_page_free",
  "mm_page_free_batched",
  "mm_page_pcpu_drain",
  "mm_page_alloc_extfrag",
  "rss_stat",
  "mm_setup_per_zone_wmarks",
  "mm_setup_per_zone_lowmem_reserve",
  "mm_calculate_totalreserve_pages",
  "alloc_vmap_area",
  "free_vmap_area_noflush",
  "purge_vmap_area_lazy",
  "mm_vmscan_kswapd_wake",
  "mm_vmscan_kswapd_sleep",
  "mm_vmscan_wakeup_kswapd",
  "mm_vmscan_direct_reclaim_begin",
  "mm_vmscan_direct_reclaim_end",
  "mm_compaction_begin",
  "mm_compaction_end",
  "mm_compaction_suitable",
  "mm_compaction_finished",
  "mm_compaction_kcompactd_sleep",
  "mm_compaction_kcompactd_wake",
  "mm_compaction_wakeup_kcompactd",
  "mm_compaction_try_to_compact_pages",
  "mm_compaction_deferred",
  "mm_compaction_defer_compaction",
  "mm_compaction_defer_reset",
  "mm_compaction_migratepages",
  "mm_compaction_isolate_migratepages",
  "mm_compaction_isolate_freepages",
  "mm_compaction_fast_isolate_freepages",
  // Not a kernel event: a `[LOST N EVENTS]` / missed-events marker, kept in order in the stream.
  "lost_events",
  // vmscan events the replay does not act on (include/trace/events/vmscan.h), appended so the
  // codes above stay stable.
  "mm_vmscan_memcg_reclaim_begin",
  "mm_vmscan_memcg_reclaim_end",
  "mm_vmscan_memcg_softlimit_reclaim_begin",
  "mm_vmscan_memcg_softlimit_reclaim_end",
  "mm_vmscan_node_reclaim_begin",
  "mm_vmscan_node_reclaim_end",
  "mm_vmscan_lru_isolate",
  "mm_vmscan_lru_shrink_inactive",
  "mm_vmscan_lru_shrink_active",
  "mm_vmscan_reclaim_pages",
  "mm_vmscan_write_folio",
  "mm_vmscan_throttled",
  "mm_shrink_slab_start",
  "mm_shrink_slab_end",
] as const;

/** An event name from {@linkcode EVENT_NAMES}. */
export type EventName = typeof EVENT_NAMES[number];

/** Each name of a tuple of names mapped to its index, as a literal number type. */
type IndexByName<T extends readonly string[]> = {
  readonly [I in keyof T as I extends `${number}` ? T[I] & string : never]: I extends
    `${infer N extends number}` ? N : never;
};

/** Numeric event codes, `Ev.kmalloc === 0` … */
export const Ev: IndexByName<typeof EVENT_NAMES> = Object.fromEntries(
  EVENT_NAMES.map((n, i) => [n, i]),
) as unknown as IndexByName<typeof EVENT_NAMES>;

/** An event code: the closed union of {@linkcode Ev}'s values, so switches can be exhaustive. */
export type Ev = (typeof Ev)[keyof typeof Ev];

/** Number of known event kinds. */
export const EVENT_KIND_COUNT = EVENT_NAMES.length;

/**
 * Old names mapped onto the current event (include/trace/events/kmem.h, v3.3 renames;
 * include/trace/events/vmscan.h, v6.0 renamed mm_vmscan_writepage to mm_vmscan_write_folio).
 */
const ALIASES: Record<string, EventName> = {
  mm_page_free_direct: "mm_page_free",
  mm_pagevec_free: "mm_page_free_batched",
  mm_vmscan_writepage: "mm_vmscan_write_folio",
};

const CODE_BY_NAME = new Map<string, Ev>(EVENT_NAMES.map((n, i) => [n, i as Ev]));
for (const [alias, name] of Object.entries(ALIASES)) CODE_BY_NAME.set(alias, Ev[name]);

/**
 * Numeric code of an event name (accepting old aliases), or -1 when kmemreplay does not know it.
 *
 * @example
 * ```ts
 * import { eventCode, Ev } from "./event_kind.ts";
 * eventCode("mm_page_free_direct") === Ev.mm_page_free; // true
 * ```
 */
export function eventCode(name: string): Ev | -1 {
  return CODE_BY_NAME.get(name) ?? -1;
}
