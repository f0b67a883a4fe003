/**
 * What a page replay counts while it runs (both modes), read once at the end to build the
 * {@linkcode PageReplayResult}.
 *
 * @module
 */

import { CALL_KIND_COUNT } from "../../calls/call_kind.ts";
import { MIGRATE_TYPES } from "../../kernel/constants.ts";
import type { CompactionIsolationResult } from "../page_replay_result.ts";

/** Counters of one page replay (typed arrays indexed by zone, order or call kind). */
export class PageReplayTally {
  /** Calls seen per call kind. */
  readonly calls = new Float64Array(CALL_KIND_COUNT);
  readonly lost = { markers: 0, events: 0 };
  /** Traced mm_page_alloc_extfrag events (faithful). */
  readonly fallbacks = {
    total: 0,
    fragmenting: 0,
    claims: 0,
    steals: 0,
    byType: new Float64Array(MIGRATE_TYPES * MIGRATE_TYPES),
  };
  /** Traced allocation failures per order. */
  readonly traceFailures: Float64Array;
  /** Traced pages allocated / freed per zone index (Σ 2^order). */
  readonly allocatedPages: Float64Array;
  readonly freedPages: Float64Array;
  /** Real pageblock retypes per zone index · MIGRATE_TYPES + mt (net count). */
  readonly retypes: Float64Array;
  /** Compaction free-scanner isolations replayed (faithful). */
  readonly iso: CompactionIsolationResult = {
    events: 0,
    pagesTaken: 0,
    locatedPages: 0,
    unlocatedPages: 0,
    placedPages: 0,
    guessedEvents: 0,
    missingPages: 0,
    excessPages: 0,
    fastEvents: 0,
    migratePagesTaken: 0,
  };
  /** First sightings explained by a snapshot's unlocated free blocks / pcp pages. */
  seededBlocks = 0;
  seededPcpPages = 0;
  /** Pages of MAX_PAGE_ORDER frees of never-seen memory (deferred init, hotplug). */
  zoneGrowthPages = 0;
  /**
   * Faithful: traced allocations of blocks no traced rmqueue handed out (compaction capture,
   * mm/page_alloc.c compaction_capture): count and pages (they are not in PGALLOC).
   */
  readonly captured = { allocations: 0, pages: 0 };
  /** Faithful: traced kswapd wakes re-checked on the model (see kswapd_wake_check.ts). */
  readonly kswapdWake = { wakes: 0, modelAgrees: 0, boostOnly: 0 };
  /** Policy with a slab model: traced slab-page calls left to it. */
  delegatedCalls = 0;

  constructor(zones: number, nrOrders: number) {
    this.traceFailures = new Float64Array(nrOrders);
    this.allocatedPages = new Float64Array(zones);
    this.freedPages = new Float64Array(zones);
    this.retypes = new Float64Array(zones * MIGRATE_TYPES);
  }

  /** A lost-events marker with its count (-1: unknown). */
  lostMarker(events: number): void {
    this.lost.markers++;
    if (events > 0) this.lost.events += events;
  }

  /** A traced allocation failure of `order`. */
  traceFailure(order: number): void {
    if (order >= 0 && order < this.traceFailures.length) this.traceFailures[order]!++;
  }
}
