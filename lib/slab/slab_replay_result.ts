/**
 * The result rows of a slab replay ({@linkcode SlabReplayResult}): per cache, per call site,
 * leak candidates, desyncs and vmalloc totals — the public `kmem slab --json` contract.
 *
 * @module
 */

/** Per-cache result row. */
export interface SlabCacheRow {
  name: string;
  objSizeBytes: number;
  objsPerSlab: number;
  pagesPerSlab: number;
  /** Where the geometry came from. */
  geometry: "slabinfo" | "computed";
  /** Emulated state at the end (slabinfo units). */
  activeObjs: number;
  inuseObjs: number;
  numObjs: number;
  numSlabs: number;
  pages: number;
  /** Objects put in from the seed snapshot. */
  seededObjs: number;
  /**
   * activeObjs of the emulated cache right after seeding (0 for caches first seen in the trace).
   * The seed packs objects into whole slabs, so `activeObjs − activeObjsAtStart` is the change
   * the trace explains; add it to the before-slabinfo count to predict the after count.
   */
  activeObjsAtStart: number;
  /**
   * Objects of this cache whose pointer was allocated again while still live: frees the trace
   * did not show (bulk frees, kfree_rcu batches, sheaf flushes), replayed as implied frees.
   */
  impliedFrees: number;
  /**
   * Frees of objects allocated before the trace (pointer never seen allocated), attributed to
   * this cache by the free's cache name or, for kfree, by the slab page the pointer lies in
   * (learned from the trace's allocations; raw pointers only, not hashed ones).
   */
  preTraceFrees: number;
  /**
   * Change of the objects in use that the trace shows: allocs − frees − impliedFrees −
   * preTraceFrees. Predicts slabinfo's `active_objs` change exactly when both snapshots were
   * taken right after a shrink (no free objects held by CPUs).
   */
  objectsDelta: number;
  /** Calls seen in the trace. */
  allocs: number;
  frees: number;
  bytesReq: number;
  bytesAlloc: number;
  /** inuse × size / (pages × page size). */
  utilisation: number;
  /** (node + cpu partial slabs) / slabs. */
  partialShare: number;
  slabAllocs: number;
  slabFrees: number;
  aliases: string[];
}

/** Per-call-site result row (perf kmem --caller columns plus live state). */
export interface SlabCallSiteRow {
  callSite: string;
  allocs: number;
  frees: number;
  bytesReq: number;
  bytesAlloc: number;
  wasteBytes: number;
  /** perf kmem "Frag": 100 − 100·req/alloc (0 when nothing was allocated). */
  fragPct: number;
  liveAtEnd: number;
  liveBytesAtEnd: number;
  /** Cache of the first allocation from this site. */
  cache: string;
}

/** Live objects of one call site that look leaked. */
export interface SlabLeakGroup {
  callSite: string;
  cache: string;
  objects: number;
  bytesAlloc: number;
  oldestTsNs: number;
}

/** Desynchronisations between the trace and the emulated state. */
export interface SlabDesync {
  /** Frees of pointers never seen allocated (allocated before the trace, or lost events). */
  freeUnknown: number;
  /** Of those, released from a seeded cache. */
  freeSeeded: number;
  /**
   * Of those, frees whose cache is unknown: kfree of a hashed pointer, of a pointer in a page
   * no allocation of the trace used, or kmem_cache_free naming a cache the replay never had.
   */
  freeUnattributed: number;
  /**
   * Frees of a pointer already freed and not allocated since. The replay remembers the last
   * 2^20 frees (bounded memory at any trace length): an older first free makes the second one
   * count under `freeUnknown` instead.
   */
  doubleFree: number;
  /** Allocations returning a pointer that was still live (its free was not seen). */
  ptrReusedLive: number;
  /** The emulator could not get a page for a slab. */
  allocFailed: number;
  /** kmem_cache_free named a different cache than the allocation. */
  cacheMismatch: number;
}

/** Everything `SlabReplay.finish` reports. */
export interface SlabReplayResult {
  firstTsNs: number;
  lastTsNs: number;
  totals: {
    allocs: number;
    frees: number;
    kfreeNull: number;
    bytesReq: number;
    bytesAlloc: number;
    bytesFreed: number;
    wasteBytes: number;
    fragPct: number;
    largeAllocs: number;
    liveAtEnd: number;
    liveBytesAtEnd: number;
  };
  caches: SlabCacheRow[];
  callSites: SlabCallSiteRow[];
  leaks: SlabLeakGroup[];
  desync: SlabDesync;
  aliases: Array<{ cache: string; alias: string; count: number; kind: "free-name" | "pseudo" }>;
  /** Named caches of the trace absent from the given slabinfo. */
  notInSlabinfo: string[];
  lostEvents: { markers: number; events: number; lastTsNs: number };
  vmap: {
    allocs: number;
    failed: number;
    frees: number;
    freeUnknown: number;
    purges: number;
    purgedAreas: number;
    reserveConflicts: number;
    busyAreas: number;
    busyBytes: number;
    lazyBytes: number;
    lastNrLazyPages: number;
  };
}
