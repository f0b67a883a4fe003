/**
 * Dispatch of a text line's fields to the parser of its event family: one exhaustive switch over
 * {@linkcode Ev}, so a new event fails type-checking until it has a field parser.
 *
 * @module
 */

import { assertNever } from "../assert_never.ts";
import { Ev } from "../event_kind.ts";
import type { FieldReader } from "./field_reader.ts";
import type { TextFormat } from "./line_head.ts";
import {
  compactionRunFields,
  compactionSuitableFields,
  deferFields,
  isolateRangeFields,
  kcompactdFields,
  migratepagesFields,
  tryToCompactFields,
} from "./compaction_fields.ts";
import {
  extfragFields,
  freeBatchedFields,
  pageAllocFields,
  pageFreeFields,
  pcpuDrainFields,
  zoneLockedFields,
} from "./page_fields.ts";
import { slabAllocFields, slabFreeFields } from "./slab_fields.ts";
import {
  kswapdSleepFields,
  kswapdWakeFields,
  lowmemReserveFields,
  reclaimBeginFields,
  reclaimEndFields,
  rssStatFields,
  totalreserveFields,
  wmarksFields,
} from "./vm_fields.ts";
import { allocVmapFields, freeVmapFields, purgeVmapFields } from "./vmalloc_fields.ts";
import {
  lruIsolateFields,
  reclaimBeginOfFields,
  reclaimPagesFields,
  shrinkActiveFields,
  shrinkInactiveFields,
  shrinkSlabFields,
  throttledFields,
  writeFolioFields,
} from "./reclaim_fields.ts";

/**
 * Fills the event-specific columns of row `i` from the tokenized line `s` (fields from `from`,
 * ending at `e`); returns an error text or null.
 */
export function readEventFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  e: number,
  i: number,
  fmt: TextFormat,
  from: number,
): string | null {
  switch (code) {
    case Ev.kmalloc:
    case Ev.kmalloc_node:
    case Ev.kmem_cache_alloc:
    case Ev.kmem_cache_alloc_node:
      return slabAllocFields(r, code, s, e, i, fmt);
    case Ev.kfree:
    case Ev.kmem_cache_free:
      return slabFreeFields(r, code, s, e, i, fmt);
    case Ev.mm_page_alloc:
      return pageAllocFields(r, s, i);
    case Ev.mm_page_alloc_zone_locked:
      return zoneLockedFields(r, s, i);
    case Ev.mm_page_free:
      return pageFreeFields(r, s, i);
    case Ev.mm_page_free_batched:
      return freeBatchedFields(r, s, i);
    case Ev.mm_page_pcpu_drain:
      return pcpuDrainFields(r, s, i);
    case Ev.mm_page_alloc_extfrag:
      return extfragFields(r, s, i);
    case Ev.rss_stat:
      return rssStatFields(r, s, i);
    case Ev.mm_setup_per_zone_wmarks:
      return wmarksFields(r, s, i);
    case Ev.mm_setup_per_zone_lowmem_reserve:
      return lowmemReserveFields(r, s, i);
    case Ev.mm_calculate_totalreserve_pages:
      return totalreserveFields(r, s, i);
    case Ev.alloc_vmap_area:
      return allocVmapFields(r, s, i);
    case Ev.free_vmap_area_noflush:
      return freeVmapFields(r, s, i);
    case Ev.purge_vmap_area_lazy:
      return purgeVmapFields(r, s, i);
    case Ev.mm_vmscan_kswapd_wake:
    case Ev.mm_vmscan_wakeup_kswapd:
      return kswapdWakeFields(r, s, i);
    case Ev.mm_vmscan_kswapd_sleep:
      return kswapdSleepFields(r, s, i);
    case Ev.mm_vmscan_direct_reclaim_begin:
      return reclaimBeginFields(r, s, i);
    case Ev.mm_vmscan_direct_reclaim_end:
      return reclaimEndFields(r, s, i);
    case Ev.mm_compaction_begin:
    case Ev.mm_compaction_end:
      return compactionRunFields(r, code, s, i);
    case Ev.mm_compaction_suitable:
    case Ev.mm_compaction_finished:
      return compactionSuitableFields(r, code, s, i);
    case Ev.mm_compaction_kcompactd_sleep:
    case Ev.mm_compaction_kcompactd_wake:
    case Ev.mm_compaction_wakeup_kcompactd:
      return kcompactdFields(r, s, i);
    case Ev.mm_compaction_try_to_compact_pages:
      return tryToCompactFields(r, s, i);
    case Ev.mm_compaction_deferred:
    case Ev.mm_compaction_defer_compaction:
    case Ev.mm_compaction_defer_reset:
      return deferFields(r, s, i);
    case Ev.mm_compaction_migratepages:
      return migratepagesFields(r, s, i);
    case Ev.mm_compaction_isolate_migratepages:
    case Ev.mm_compaction_isolate_freepages:
    case Ev.mm_compaction_fast_isolate_freepages:
      return isolateRangeFields(r, s, e, i);
    case Ev.lost_events:
      return null;
    case Ev.mm_vmscan_memcg_reclaim_begin:
    case Ev.mm_vmscan_memcg_softlimit_reclaim_begin:
    case Ev.mm_vmscan_node_reclaim_begin:
      return reclaimBeginOfFields(r, s, i);
    case Ev.mm_vmscan_memcg_reclaim_end:
    case Ev.mm_vmscan_memcg_softlimit_reclaim_end:
    case Ev.mm_vmscan_node_reclaim_end:
      return reclaimEndFields(r, s, i);
    case Ev.mm_vmscan_lru_isolate:
      return lruIsolateFields(r, code, s, i);
    case Ev.mm_vmscan_lru_shrink_inactive:
      return shrinkInactiveFields(r, code, s, i);
    case Ev.mm_vmscan_reclaim_pages:
      return reclaimPagesFields(r, s, i);
    case Ev.mm_vmscan_lru_shrink_active:
      return shrinkActiveFields(r, code, s, i);
    case Ev.mm_vmscan_write_folio:
      return writeFolioFields(r, code, s, i);
    case Ev.mm_vmscan_throttled:
      return throttledFields(r, code, s, i);
    case Ev.mm_shrink_slab_start:
      return shrinkSlabFields(r, code, true, s, from, e, i);
    case Ev.mm_shrink_slab_end:
      return shrinkSlabFields(r, code, false, s, from, e, i);
    default:
      return assertNever(code);
  }
}
