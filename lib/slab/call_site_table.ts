/**
 * Per-call-site accounting of a slab replay (perf kmem --caller columns) and, at the end, the
 * call-site rows and leak candidates from the objects still live.
 *
 * @module
 */

import type { StringTable } from "../trace/event_batch.ts";
import type { LiveObjects } from "./live_objects.ts";
import type { SlabCallSiteRow, SlabLeakGroup } from "./slab_replay_result.ts";

/**
 * perf kmem "Frag": `100 − 100·req/alloc` (0 when nothing was allocated).
 *
 * @example
 * ```ts
 * import { fragPct } from "./call_site_table.ts";
 * fragPct(100, 128); // 21.875
 * ```
 */
export function fragPct(req: number, alloc: number): number {
  return alloc === 0 ? 0 : 100 - 100 * req / alloc;
}

/** Which live objects count as leak candidates (see `SlabReplayOptions.leakMinAgeNs`). */
export interface LeakCriteria {
  /** End of the trace. */
  lastTsNs: number;
  /** Minimum age at the end. */
  minAgeNs: number;
  /** Objects allocated at or before the last lost-events marker are not counted. */
  lastLostTsNs: number;
}

/**
 * Call sites by interned string id, with their counters in parallel arrays.
 *
 * @example
 * ```ts
 * import { CallSiteTable } from "./call_site_table.ts";
 * const t = new CallSiteTable();
 * const s = t.id(7, 0);
 * t.allocs[s]!++;
 * [t.id(7, 3), t.length, t.cache[s]]; // [0, 1, 0]: the first allocation's cache stays
 * ```
 */
export class CallSiteTable {
  readonly #of = new Map<number, number>();
  /** Interned call-site string id. */
  readonly nameId: number[] = [];
  /** Cache id of the first allocation from the site. */
  readonly cache: number[] = [];
  readonly allocs: number[] = [];
  readonly frees: number[] = [];
  readonly bytesReq: number[] = [];
  readonly bytesAlloc: number[] = [];

  /** Number of call sites. */
  get length(): number {
    return this.nameId.length;
  }

  /** Index of call site `callSiteId`, created with `cacheId` on first sight. */
  id(callSiteId: number, cacheId: number): number {
    let s = this.#of.get(callSiteId);
    if (s === undefined) {
      s = this.nameId.length;
      this.#of.set(callSiteId, s);
      this.nameId.push(callSiteId);
      this.cache.push(cacheId);
      this.allocs.push(0);
      this.frees.push(0);
      this.bytesReq.push(0);
      this.bytesAlloc.push(0);
    }
    return s;
  }

  /**
   * One row per call site with its live objects at the end, the leak candidates per call site
   * (largest first) and the live totals.
   */
  rows(
    objs: LiveObjects,
    strings: StringTable,
    cacheName: (cacheId: number) => string,
    leak: LeakCriteria,
  ): {
    callSites: SlabCallSiteRow[];
    leaks: SlabLeakGroup[];
    liveAtEnd: number;
    liveBytesAtEnd: number;
  } {
    const nSites = this.length;
    const liveCount = new Float64Array(nSites), liveBytes = new Float64Array(nSites);
    const leakCount = new Float64Array(nSites), leakBytes = new Float64Array(nSites);
    const leakOldest = new Float64Array(nSites).fill(Infinity);
    let liveAll = 0, liveAllBytes = 0;
    const live = objs.byPtr;
    for (let slot = 0; slot < live.capacity; slot++) {
      if (live.keyAt(slot) === -1) continue;
      const r = live.valueAt(slot);
      const s = objs.site[r]!;
      liveCount[s]!++;
      liveBytes[s]! += objs.bytesAlloc[r]!;
      liveAll++;
      liveAllBytes += objs.bytesAlloc[r]!;
      const ts = objs.tsNs[r]!;
      if (leak.lastTsNs - ts >= leak.minAgeNs && ts > leak.lastLostTsNs) {
        leakCount[s]!++;
        leakBytes[s]! += objs.bytesAlloc[r]!;
        if (ts < leakOldest[s]!) leakOldest[s] = ts;
      }
    }
    const callSites: SlabCallSiteRow[] = [];
    const leaks: SlabLeakGroup[] = [];
    for (let s = 0; s < nSites; s++) {
      const req = this.bytesReq[s]!, alloc = this.bytesAlloc[s]!;
      const name = strings.get(this.nameId[s]!) || "?";
      callSites.push({
        callSite: name,
        allocs: this.allocs[s]!,
        frees: this.frees[s]!,
        bytesReq: req,
        bytesAlloc: alloc,
        wasteBytes: alloc - req,
        fragPct: fragPct(req, alloc),
        liveAtEnd: liveCount[s]!,
        liveBytesAtEnd: liveBytes[s]!,
        cache: cacheName(this.cache[s]!),
      });
      if (leakCount[s]! > 0) {
        leaks.push({
          callSite: name,
          cache: cacheName(this.cache[s]!),
          objects: leakCount[s]!,
          bytesAlloc: leakBytes[s]!,
          oldestTsNs: leakOldest[s]!,
        });
      }
    }
    leaks.sort((a, b) => b.bytesAlloc - a.bytesAlloc);
    return { callSites, leaks, liveAtEnd: liveAll, liveBytesAtEnd: liveAllBytes };
  }
}
