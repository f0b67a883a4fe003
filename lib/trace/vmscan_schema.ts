/**
 * The reclaim (vmscan) event families of `EVENT_SCHEMA`: direct/memcg reclaim, LRU
 * isolation and shrinking, throttling and slab shrinkers (include/trace/events/vmscan.h). They live
 * here because they are the largest family group; event_schema.ts spreads them in at their place.
 *
 * @module
 */

import type { EventLayout } from "./event_schema.ts";

/** The vmscan field families, spread into `EVENT_SCHEMA` in this order. */
export const VMSCAN_SCHEMA = {
  reclaimEnd: {
    events: [
      "mm_vmscan_direct_reclaim_end",
      "mm_vmscan_memcg_reclaim_end",
      "mm_vmscan_memcg_softlimit_reclaim_end",
      "mm_vmscan_node_reclaim_end",
    ],
    fields: {
      nrReclaimed: {
        column: "a",
        text: ["nr_reclaimed"],
        dat: ["nr_reclaimed"],
        conv: "num",
        doc: "nr_reclaimed, pages",
      },
    },
  },
  lruIsolate: {
    events: ["mm_vmscan_lru_isolate"],
    fields: {
      nrRequested: {
        column: "a",
        text: ["nr_requested"],
        dat: ["nr_requested"],
        conv: "num",
        doc: "nr_requested, pages",
      },
      nrScanned: {
        column: "b",
        text: ["nr_scanned"],
        dat: ["nr_scanned"],
        conv: "num",
        doc: "nr_scanned, pages",
      },
      nrSkipped: {
        column: "c",
        text: ["nr_skipped"],
        dat: ["nr_skipped"],
        conv: "num",
        doc: "nr_skipped (pages of zones above the request's), pages",
      },
      nrTaken: {
        column: "d",
        text: ["nr_taken"],
        dat: ["nr_taken"],
        conv: "num",
        doc: "nr_taken, pages",
      },
    },
  },
  shrinkInactive: {
    events: ["mm_vmscan_lru_shrink_inactive"],
    fields: {
      nrScanned: {
        column: "a",
        text: ["nr_scanned"],
        dat: ["nr_scanned"],
        conv: "num",
        doc: "nr_scanned, pages",
      },
      nrReclaimed: {
        column: "b",
        text: ["nr_reclaimed"],
        dat: ["nr_reclaimed"],
        conv: "num",
        doc: "nr_reclaimed, pages",
      },
      nrDirty: {
        column: "c",
        text: ["nr_dirty"],
        dat: ["nr_dirty"],
        conv: "num",
        doc: "nr_dirty, pages",
      },
      priority: {
        column: "d",
        text: ["priority"],
        dat: ["priority"],
        conv: "num",
        doc: "reclaim priority (12 … 0)",
      },
    },
  },
  reclaimPages: {
    events: ["mm_vmscan_reclaim_pages"],
    fields: {
      nrScanned: {
        column: "a",
        text: ["nr_scanned"],
        dat: ["nr_scanned"],
        conv: "num",
        doc: "nr_scanned, pages",
      },
      nrReclaimed: {
        column: "b",
        text: ["nr_reclaimed"],
        dat: ["nr_reclaimed"],
        conv: "num",
        doc: "nr_reclaimed, pages",
      },
      nrDirty: {
        column: "c",
        text: ["nr_dirty"],
        dat: ["nr_dirty"],
        conv: "num",
        doc: "nr_dirty, pages",
      },
      nrWriteback: {
        column: "d",
        text: ["nr_writeback"],
        dat: ["nr_writeback"],
        conv: "num",
        doc: "nr_writeback, pages",
      },
    },
  },
  shrinkActive: {
    events: ["mm_vmscan_lru_shrink_active"],
    fields: {
      nrTaken: {
        column: "a",
        text: ["nr_taken"],
        dat: ["nr_taken"],
        conv: "num",
        doc: "nr_taken, pages",
      },
      nrActive: {
        column: "b",
        text: ["nr_active"],
        dat: ["nr_active"],
        conv: "num",
        doc: "nr_active (kept active), pages",
      },
      nrDeactivated: {
        column: "c",
        text: ["nr_deactivated"],
        dat: ["nr_deactivated"],
        conv: "num",
        doc: "nr_deactivated, pages",
      },
      priority: {
        column: "d",
        text: ["priority"],
        dat: ["priority"],
        conv: "num",
        doc: "reclaim priority (12 … 0)",
      },
    },
  },
  throttled: {
    events: ["mm_vmscan_throttled"],
    fields: {
      usecTimeout: {
        column: "a",
        text: ["usec_timeout"],
        dat: ["usec_timeout"],
        conv: "num",
        doc: "usec_timeout, µs",
      },
      usecDelayed: {
        column: "b",
        // The kernel prints `usect_delayed=` (sic, include/trace/events/vmscan.h).
        text: ["usect_delayed", "usec_delayed"],
        dat: ["usec_delayed"],
        conv: "num",
        doc: "usec_delayed (time actually slept), µs",
      },
    },
  },
  shrinkSlabStart: {
    events: ["mm_shrink_slab_start"],
    fields: {
      nrObjectsToShrink: {
        column: "a",
        text: ["objects to shrink"],
        dat: ["nr_objects_to_shrink"],
        conv: "num",
        doc: "nr_objects_to_shrink (deferred work carried in), objects",
      },
      cacheItems: {
        column: "b",
        text: ["cache items"],
        dat: ["cache_items"],
        conv: "num",
        doc: "cache_items (count_objects()), objects",
      },
      totalScan: {
        column: "c",
        text: ["total_scan"],
        dat: ["total_scan"],
        conv: "num",
        doc: "total_scan (objects to scan this call), objects",
      },
      priority: {
        column: "d",
        text: ["priority"],
        dat: ["priority"],
        conv: "num",
        doc: "reclaim priority (12 … 0)",
      },
    },
  },
  shrinkSlabEnd: {
    events: ["mm_shrink_slab_end"],
    fields: {
      unusedScan: {
        column: "a",
        text: ["unused scan count"],
        dat: ["unused_scan"],
        conv: "num",
        doc: "unused_scan (deferred count before), objects",
      },
      newScan: {
        column: "b",
        text: ["new scan count"],
        dat: ["new_scan"],
        conv: "num",
        doc: "new_scan (deferred count after), objects",
      },
      totalScan: {
        column: "c",
        text: ["total_scan"],
        dat: ["total_scan"],
        conv: "num",
        doc: "total_scan left unscanned, objects",
      },
      freed: {
        column: "d",
        text: ["last shrinker return val"],
        dat: ["retval"],
        conv: "num",
        doc: "objects freed by this do_shrink_slab() call",
      },
    },
  },
} as const satisfies { readonly [layout: string]: EventLayout };
