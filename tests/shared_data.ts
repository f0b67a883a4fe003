/**
 * Where the shared real capture lives: `shared/` sits beside the repository checkout (locally
 * and in CI), so paths are resolved from this file, never hard-coded.
 *
 * @module
 */

/** ../shared/traces/mixed, with a trailing slash. */
export const MIXED_DIR: string = new URL("../../shared/traces/mixed/", import.meta.url).pathname;

/**
 * Events per kind in the shared capture, counted with
 * `zcat trace.txt.gz | grep -c ' <event>: '` (1,065,358 in all; the header says the same).
 */
export const MIXED_EVENT_COUNTS: Readonly<Record<string, number>> = {
  kmem_cache_alloc: 309840,
  kmem_cache_free: 234435,
  mm_page_alloc: 128433,
  mm_page_free: 126031,
  kfree: 110219,
  mm_page_free_batched: 99195,
  kmalloc: 35678,
  mm_page_pcpu_drain: 10952,
  mm_page_alloc_zone_locked: 9995,
  free_vmap_area_noflush: 286,
  alloc_vmap_area: 285,
  mm_compaction_kcompactd_sleep: 6,
  mm_page_alloc_extfrag: 3,
};
