/**
 * Replays the slab and vmalloc calls of a trace against the emulated slab layer
 * ({@linkcode SlabAllocator}) and accounts them per cache and per call site.
 *
 * - Cache of an allocation: the `name` column when printed (`kmem_cache_alloc` ≥≈6.18); for
 *   `kmalloc` the size class of `bytes_alloc` in the family chosen by the gfp flags
 *   (`kmalloc-cg-64` …); above KMALLOC_MAX_CACHE_SIZE a large allocation from the page
 *   provider; otherwise a pseudo cache `call_site/bytes_alloc`.
 * - Objects are paired by pointer (`ptrKey`; hashed pointers pair fine). Frees of pointers never
 *   seen allocated (mostly objects from before the trace), double frees and pointers allocated
 *   again while live are counted as desyncs. `kfree(NULL)` is counted apart.
 * - With a before-snapshot (`seed`), each cache starts with its slabinfo `active_objs` as
 *   anonymous objects, so `kmem_cache_free name=X` of a pre-trace object releases one of them
 *   and occupancy stays realistic.
 * - Aliasing: a pointer allocated under one name and freed under another, and pseudo caches
 *   resolved by a later `kmem_cache_free name=`, are reported as alias pairs; named caches
 *   missing from the given slabinfo are listed (merged into another cache, or created later).
 * - Per call site: perf-kmem-compatible totals and fragmentation `100 − 100·req/alloc`.
 * - Leak candidates: objects live at the end, allocated at least `leakMinAgeNs` before the end
 *   and after the last lost-events marker, grouped by call site.
 *
 * @module
 */

import { assertNever, Call, type CallKind } from "../calls/call_kind.ts";
import type { CallBatch } from "../calls/call_batch.ts";
import {
  HASHED_POINTER_LIMIT,
  KMALLOC_MAX_CACHE_SIZE_BYTES,
  PAGE_SIZE_4K_BYTES,
} from "../kernel/constants.ts";
import type { SlabInfoRow } from "../snapshot/slabinfo.ts";
import { EventFlag, ptrKey, type StringTable } from "../trace/event_batch.ts";
import { Ev } from "../trace/event_kind.ts";
import type { KmemCache } from "./kmem_cache.ts";
import { kmallocCacheName, kmallocClassBytes, kmallocType } from "./kmalloc_caches.ts";
import { type PageProvider, SimplePageProvider } from "./page_provider.ts";
import { SlabAllocator } from "./slab_allocator.ts";

/** Options of {@linkcode SlabReplay}. */
export interface SlabReplayOptions {
  /** CPUs of the traced machine. */
  nrCpus: number;
  /** Page source for slabs (default: a {@linkcode SimplePageProvider}). */
  pages?: PageProvider;
  /** slabinfo rows giving cache geometry (objsize, objperslab, pagesperslab) by name. */
  slabinfo?: SlabInfoRow[];
  /** Pre-populate caches with these rows' active_objs (usually the before snapshot). */
  seed?: SlabInfoRow[];
  /** Minimum age at the end for a live object to be a leak candidate (default: half the span). */
  leakMinAgeNs?: number;
  /** Call `onSample` every this many ns of trace time. */
  sampleIntervalNs?: number;
  /** Sampling hook for time series; read per-cache state through `replay.caches`. */
  onSample?: (tsNs: number, replay: SlabReplay) => void;
  /**
   * What-if boot parameters (`slab_max_order=`, `slab_min_objects=`, `slab_min_order=`). When
   * any is given, every cache's geometry is computed with them (SLUB `calculate_order`) instead
   * of taken from slabinfo, so slab orders — and the page blocks slabs take — change.
   */
  slubMaxOrder?: number;
  slubMinObjects?: number;
  slubMinOrder?: number;
}

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
  doubleFree: number;
  /** Allocations returning a pointer that was still live (its free was not seen). */
  ptrReusedLive: number;
  /** The emulator could not get a page for a slab. */
  allocFailed: number;
  /** kmem_cache_free named a different cache than the allocation. */
  cacheMismatch: number;
}

/** Everything {@linkcode SlabReplay.finish} reports. */
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

/** Sort keys of the `kmem slab` tables. */
export type SlabSortKey = "bytes" | "waste" | "live" | "calls";

/**
 * Sorts call-site or cache rows for display (descending).
 *
 * @example
 * ```ts
 * import { sortSlabRows } from "./slab_replay.ts";
 * const rows = [{ allocs: 1, bytesAlloc: 8, wasteBytes: 0, liveAtEnd: 0 },
 *   { allocs: 2, bytesAlloc: 4, wasteBytes: 1, liveAtEnd: 1 }];
 * sortSlabRows(rows, "bytes")[0]!.bytesAlloc; // 8
 * ```
 */
export function sortSlabRows<
  T extends {
    allocs: number;
    bytesAlloc: number;
    bytesReq?: number;
    wasteBytes?: number;
    liveAtEnd?: number;
    inuseObjs?: number;
  },
>(rows: T[], key: SlabSortKey): T[] {
  // Call-site rows carry waste and live counts; cache rows give them as bytes requested and
  // objects in use.
  const f: (r: T) => number = key === "bytes"
    ? (r) => r.bytesAlloc
    : key === "waste"
    ? (r) => r.wasteBytes ?? (r.bytesReq === undefined ? 0 : r.bytesAlloc - r.bytesReq)
    : key === "live"
    ? (r) => r.liveAtEnd ?? r.inuseObjs ?? 0
    : (r) => r.allocs;
  return rows.sort((a, b) => f(b) - f(a));
}

const NO_CACHE = -1;

/**
 * Slab replay over CallBatches.
 *
 * @example
 * ```ts
 * import { SlabReplay } from "./slab_replay.ts";
 * import { CallBatch } from "../calls/call_batch.ts";
 * import { Call } from "../calls/call_kind.ts";
 * import { Ev } from "../trace/event_kind.ts";
 * import { StringTable } from "../trace/string_table.ts";
 * const strings = new StringTable();
 * const b = new CallBatch(2);
 * let i = b.push(Ev.kmalloc, 1000, 0);
 * b.call[i] = Call.SLAB_ALLOC;
 * b.ptrLo[i] = 0x1000; b.bytesReq[i] = 100; b.bytesAlloc[i] = 128;
 * b.callSite[i] = strings.intern("foo+0x10/0x40");
 * i = b.push(Ev.kfree, 2000, 1);
 * b.call[i] = Call.SLAB_FREE;
 * b.ptrLo[i] = 0x1000;
 * const r = new SlabReplay(strings, { nrCpus: 2 });
 * r.consume(b);
 * r.finish().callSites[0]!.fragPct; // 21.875
 * ```
 */
export class SlabReplay {
  readonly slab: SlabAllocator;
  readonly #strings: StringTable;
  readonly #opts: SlabReplayOptions;
  readonly #slabinfo = new Map<string, SlabInfoRow>();
  /** Geometry from what-if SLUB parameters instead of slabinfo. */
  readonly #whatIf: boolean;
  // Live objects: pointer → record index; records in parallel typed arrays.
  readonly #live = new Map<number, number>();
  readonly #freed = new Set<number>();
  #cap = 0;
  #recHandle = new Float64Array(0);
  #recSite = new Int32Array(0);
  #recCache = new Int32Array(0);
  #recReq = new Float64Array(0);
  #recAlloc = new Float64Array(0);
  #recTs = new Float64Array(0);
  #recFree: number[] = [];
  #recNext = 0;
  // Call sites (by interned string id).
  readonly #siteOf = new Map<number, number>();
  #siteName: number[] = [];
  #siteCache: number[] = [];
  #siteAllocs: number[] = [];
  #siteFrees: number[] = [];
  #siteReq: number[] = [];
  #siteAlloc: number[] = [];
  // Per cache (by cache id).
  #cAllocs: number[] = [];
  #cFrees: number[] = [];
  #cReq: number[] = [];
  #cAlloc: number[] = [];
  #cSeeded: number[] = [];
  #cActiveAtStart: number[] = [];
  #cImplied: number[] = [];
  #cPreTrace: number[] = [];
  /** 4 KiB page of a raw object pointer → cache id of the last allocation seen in it. */
  readonly #pageCache = new Map<number, number>();
  /** Pages of pre-trace kfrees not attributable when seen; resolved in finish(). */
  #pendingPages: number[] = [];
  /** Name ids of pre-trace frees named after a cache the replay has not created yet. */
  #pendingNames: number[] = [];
  #cGeometry: Array<"slabinfo" | "computed"> = [];
  #seedPool: number[][] = [];
  readonly #aliases = new Map<
    string,
    { cache: string; alias: string; count: number; kind: "free-name" | "pseudo" }
  >();
  readonly #pseudoResolved = new Set<number>();
  readonly #namedSeen = new Set<string>();
  readonly desync: SlabDesync = {
    freeUnknown: 0,
    freeSeeded: 0,
    freeUnattributed: 0,
    doubleFree: 0,
    ptrReusedLive: 0,
    allocFailed: 0,
    cacheMismatch: 0,
  };
  #allocs = 0;
  #frees = 0;
  #kfreeNull = 0;
  #bytesReq = 0;
  #bytesAlloc = 0;
  #bytesFreed = 0;
  #largeAllocs = 0;
  #firstTs = NaN;
  #lastTs = NaN;
  #lostMarkers = 0;
  #lostEvents = 0;
  #lastLostTs = -Infinity;
  #nextSampleTs = NaN;
  readonly #vmapAreas = new Map<number, number>();
  readonly #vm = {
    allocs: 0,
    failed: 0,
    frees: 0,
    freeUnknown: 0,
    purges: 0,
    purgedAreas: 0,
    reserveConflicts: 0,
    lastNrLazyPages: -1,
  };

  constructor(strings: StringTable, opts: SlabReplayOptions) {
    this.#strings = strings;
    this.#opts = opts;
    this.slab = new SlabAllocator({
      nrCpus: opts.nrCpus,
      pages: opts.pages ?? new SimplePageProvider(),
      merge: false,
      slubMaxOrder: opts.slubMaxOrder,
      slubMinObjects: opts.slubMinObjects,
      slubMinOrder: opts.slubMinOrder,
    });
    this.#whatIf = opts.slubMaxOrder !== undefined || opts.slubMinObjects !== undefined ||
      opts.slubMinOrder !== undefined;
    for (const r of opts.slabinfo ?? []) this.#slabinfo.set(r.name, r);
    for (const r of opts.seed ?? []) {
      if (!this.#slabinfo.has(r.name)) this.#slabinfo.set(r.name, r);
      const c = this.#cacheNamed(r.name, r.objSizeBytes);
      const pool = this.#seedPool[c.id]!;
      for (let k = 0; k < r.activeObjs; k++) {
        const h = c.alloc(0, k % opts.nrCpus);
        if (h < 0) break;
        pool.push(h);
      }
      this.#cSeeded[c.id] = pool.length;
    }
    for (const c of this.slab.caches) this.#cActiveAtStart[c.id] = c.stats().activeObjs;
  }

  /**
   * Adds gfp bits (e.g. __GFP_RECLAIMABLE seen on the trace's slab pages of that cache) to the
   * slab pages of cache `name`, creating it from slabinfo if needed. Unknown names are ignored.
   */
  addCacheSlabGfp(name: string, bits: number): void {
    const c = this.slab.cacheByName(name) ??
      (this.#slabinfo.has(name)
        ? this.#cacheNamed(name, this.#slabinfo.get(name)!.objSizeBytes)
        : undefined);
    c?.addSlabGfp(bits);
  }

  /** Caches of the emulated slab layer (for sampling). */
  get caches(): readonly KmemCache[] {
    return this.slab.caches;
  }

  /** Replays every row of `batch` (rows must be in timestamp order). */
  consume(batch: CallBatch): void {
    for (let i = 0; i < batch.length; i++) {
      const ts = batch.tsNs[i]!;
      if (Number.isNaN(this.#firstTs)) {
        this.#firstTs = ts;
        if (this.#opts.sampleIntervalNs) this.#nextSampleTs = ts;
      }
      this.#lastTs = ts;
      if (ts >= this.#nextSampleTs && this.#opts.onSample) {
        this.#opts.onSample(ts, this);
        this.#nextSampleTs = ts + this.#opts.sampleIntervalNs!;
      }
      const kind = batch.call[i]! as CallKind;
      switch (kind) {
        case Call.SLAB_ALLOC:
          this.#alloc(batch, i);
          break;
        case Call.SLAB_FREE:
          this.#free(batch, i);
          break;
        case Call.VMAP_ALLOC:
          this.#vmapAlloc(batch, i);
          break;
        case Call.VMAP_FREE:
          this.#vmapFree(batch, i);
          break;
        case Call.VMAP_PURGE:
          this.#vm.purges++;
          this.#vm.purgedAreas += this.slab.vmap.purge(
            ptrKey(batch, i),
            ptrKey(batch, i) + batch.bytesReq[i]!,
          );
          break;
        case Call.LOST:
          this.#lostMarkers++;
          if (batch.a[i]! > 0) this.#lostEvents += batch.a[i]!;
          this.#lastLostTs = ts;
          break;
        case Call.PAGE_ALLOC:
        case Call.PAGE_FREE:
        case Call.BUDDY_TAKE:
        case Call.PCP_DRAIN:
        case Call.FALLBACK:
        case Call.ZONE_WMARKS:
        case Call.ZONE_LOWMEM_RESERVE:
        case Call.TOTALRESERVE:
        case Call.KSWAPD_WAKE:
        case Call.KSWAPD_SLEEP:
        case Call.WAKEUP_KSWAPD:
        case Call.DIRECT_RECLAIM_BEGIN:
        case Call.DIRECT_RECLAIM_END:
        case Call.COMPACTION_BEGIN:
        case Call.COMPACTION_END:
        case Call.COMPACTION_SUITABLE:
        case Call.COMPACTION_INFO:
        case Call.COMPACTION_ISOLATE_FREE:
        case Call.RSS_STAT:
          break; // page-level calls belong to the page allocator replay
        default:
          assertNever(kind);
      }
    }
  }

  #cacheNamed(name: string, sizeBytes: number): KmemCache {
    let c = this.slab.cacheByName(name);
    if (c) return c;
    const row = this.#slabinfo.get(name);
    const km = kmallocClassBytes(sizeBytes) === sizeBytes && name.includes("kmalloc-");
    if (row && !this.#whatIf) c = this.slab.kmemCacheFromSlabinfo(row);
    else if (km) {
      const t = name.startsWith("dma-")
        ? "dma"
        : name.includes("-rcl-")
        ? "rcl"
        : name.includes("-cg-")
        ? "cg"
        : "normal";
      c = this.slab.kmallocCache(t, sizeBytes);
    } else c = this.slab.kmemCacheCreate(name, row?.objSizeBytes ?? sizeBytes, 0, 0);
    this.#cAllocs[c.id] = 0;
    this.#cFrees[c.id] = 0;
    this.#cReq[c.id] = 0;
    this.#cAlloc[c.id] = 0;
    this.#cSeeded[c.id] = 0;
    this.#cGeometry[c.id] = row && !this.#whatIf ? "slabinfo" : "computed";
    this.#seedPool[c.id] = [];
    return c;
  }

  #alloc(b: CallBatch, i: number): void {
    const key = ptrKey(b, i);
    const req = b.bytesReq[i]!, alloc = b.bytesAlloc[i]!;
    const ev = b.kind[i]!;
    const isKmalloc = ev === Ev.kmalloc || ev === Ev.kmalloc_node;
    let cacheId = NO_CACHE;
    let handle: number | null;
    const cpu = b.cpu[i]!;
    if (isKmalloc && alloc > KMALLOC_MAX_CACHE_SIZE_BYTES) {
      this.#largeAllocs++;
      handle = this.slab.kmalloc(alloc, b.gfp[i]!, cpu);
    } else {
      let name: string;
      const nameId = b.name[i]!;
      if (nameId !== 0) {
        name = this.#strings.get(nameId);
        this.#namedSeen.add(name);
      } else if (isKmalloc) {
        const gfp = b.gfp[i]!;
        name = kmallocCacheName(kmallocClassBytes(alloc), kmallocType(gfp));
        this.#namedSeen.add(name);
      } else {
        name = `${this.#strings.get(b.callSite[i]!) || "?"}/${alloc}`;
      }
      const c = this.#cacheNamed(name, alloc);
      cacheId = c.id;
      handle = this.slab.kmemCacheAlloc(c, b.gfp[i]!, cpu);
      this.#cAllocs[cacheId]!++;
      this.#cReq[cacheId]! += req;
      this.#cAlloc[cacheId]! += alloc;
    }
    if (handle === null) this.desync.allocFailed++;
    const old = this.#live.get(key);
    if (old !== undefined) {
      this.desync.ptrReusedLive++;
      const oc = this.#recCache[old]!;
      if (oc !== NO_CACHE) this.#cImplied[oc] = (this.#cImplied[oc] ?? 0) + 1;
      this.#release(old, cpu);
    }
    this.#freed.delete(key);
    if (cacheId !== NO_CACHE && key >= HASHED_POINTER_LIMIT) {
      this.#pageCache.set(Math.floor(key / PAGE_SIZE_4K_BYTES), cacheId);
    }
    const site = this.#site(b.callSite[i]!, cacheId);
    this.#siteAllocs[site]!++;
    this.#siteReq[site]! += req;
    this.#siteAlloc[site]! += alloc;
    this.#allocs++;
    this.#bytesReq += req;
    this.#bytesAlloc += alloc;
    const r = this.#newRecord();
    this.#recHandle[r] = handle ?? NaN;
    this.#recSite[r] = site;
    this.#recCache[r] = cacheId;
    this.#recReq[r] = req;
    this.#recAlloc[r] = alloc;
    this.#recTs[r] = b.tsNs[i]!;
    this.#live.set(key, r);
  }

  #free(b: CallBatch, i: number): void {
    const key = ptrKey(b, i);
    if (key === 0) {
      this.#kfreeNull++;
      return;
    }
    const r = this.#live.get(key);
    const nameId = b.name[i]!;
    if (r === undefined) {
      if (this.#freed.has(key)) {
        this.desync.doubleFree++;
        return;
      }
      this.desync.freeUnknown++;
      const page = Math.floor(key / PAGE_SIZE_4K_BYTES);
      const c = nameId !== 0
        ? this.slab.cacheByName(this.#strings.get(nameId))
        : key >= HASHED_POINTER_LIMIT
        ? this.slab.caches[this.#pageCache.get(page) ?? NO_CACHE]
        : undefined;
      if (c) {
        this.#cPreTrace[c.id] = (this.#cPreTrace[c.id] ?? 0) + 1;
        const h = this.#seedPool[c.id]?.pop();
        if (h !== undefined) {
          c.free(h, b.cpu[i]!);
          this.desync.freeSeeded++;
        }
      } else if (nameId !== 0) this.#pendingNames.push(nameId);
      else if (key >= HASHED_POINTER_LIMIT) this.#pendingPages.push(page);
      else this.desync.freeUnattributed++;
      this.#freed.add(key);
      return;
    }
    const cacheId = this.#recCache[r]!;
    if (nameId !== 0 && cacheId !== NO_CACHE) {
      const freeName = this.#strings.get(nameId);
      const c = this.slab.caches[cacheId]!;
      if (freeName !== c.name) {
        const pseudo = !this.#namedSeen.has(c.name) && !this.#slabinfo.has(c.name);
        if (!pseudo) this.desync.cacheMismatch++;
        const k = `${freeName}\u0000${c.name}`;
        const a = this.#aliases.get(k);
        if (a) a.count++;
        else {
          this.#aliases.set(k, {
            cache: freeName,
            alias: c.name,
            count: 1,
            kind: pseudo ? "pseudo" : "free-name",
          });
        }
      }
    }
    this.#frees++;
    this.#bytesFreed += this.#recAlloc[r]!;
    this.#siteFrees[this.#recSite[r]!]!++;
    if (cacheId !== NO_CACHE) this.#cFrees[cacheId]!++;
    this.#release(r, b.cpu[i]!);
    this.#live.delete(key);
    this.#freed.add(key);
  }

  #release(r: number, cpu: number): void {
    const h = this.#recHandle[r]!;
    if (!Number.isNaN(h)) this.slab.kfree(h, cpu);
    this.#recFree.push(r);
  }

  #newRecord(): number {
    const r = this.#recFree.pop();
    if (r !== undefined) return r;
    if (this.#recNext === this.#cap) {
      const cap = Math.max(1024, this.#cap * 2);
      const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const x = make(cap);
        x.set(a as never);
        return x;
      };
      this.#recHandle = grow(this.#recHandle, (n) => new Float64Array(n));
      this.#recSite = grow(this.#recSite, (n) => new Int32Array(n));
      this.#recCache = grow(this.#recCache, (n) => new Int32Array(n));
      this.#recReq = grow(this.#recReq, (n) => new Float64Array(n));
      this.#recAlloc = grow(this.#recAlloc, (n) => new Float64Array(n));
      this.#recTs = grow(this.#recTs, (n) => new Float64Array(n));
      this.#cap = cap;
    }
    return this.#recNext++;
  }

  #site(callSiteId: number, cacheId: number): number {
    let s = this.#siteOf.get(callSiteId);
    if (s === undefined) {
      s = this.#siteName.length;
      this.#siteOf.set(callSiteId, s);
      this.#siteName.push(callSiteId);
      this.#siteCache.push(cacheId);
      this.#siteAllocs.push(0);
      this.#siteFrees.push(0);
      this.#siteReq.push(0);
      this.#siteAlloc.push(0);
    }
    return s;
  }

  #vmapAlloc(b: CallBatch, i: number): void {
    if (b.flags[i]! & EventFlag.FAILED) {
      this.#vm.failed++;
      return;
    }
    this.#vm.allocs++;
    const va = ptrKey(b, i), size = b.bytesReq[i]!;
    if (!this.slab.vmap.reserve(va, size)) this.#vm.reserveConflicts++;
    this.#vmapAreas.set(va, size);
  }

  #vmapFree(b: CallBatch, i: number): void {
    const va = ptrKey(b, i);
    this.#vm.lastNrLazyPages = b.a[i]!;
    if (!this.#vmapAreas.has(va)) this.#vm.freeUnknown++;
    else this.#vm.frees++;
    this.#vmapAreas.delete(va);
    this.slab.vmap.freeLazy(va);
  }

  /** Results at the end of the trace. */
  finish(): SlabReplayResult {
    const first = Number.isNaN(this.#firstTs) ? 0 : this.#firstTs;
    const last = Number.isNaN(this.#lastTs) ? 0 : this.#lastTs;
    const nSites = this.#siteName.length;
    const liveCount = new Float64Array(nSites), liveBytes = new Float64Array(nSites);
    const leakCount = new Float64Array(nSites), leakBytes = new Float64Array(nSites);
    const leakOldest = new Float64Array(nSites).fill(Infinity);
    const minAge = this.#opts.leakMinAgeNs ?? (last - first) / 2;
    let liveAll = 0, liveAllBytes = 0;
    for (const r of this.#live.values()) {
      const s = this.#recSite[r]!;
      liveCount[s]!++;
      liveBytes[s]! += this.#recAlloc[r]!;
      liveAll++;
      liveAllBytes += this.#recAlloc[r]!;
      const ts = this.#recTs[r]!;
      if (last - ts >= minAge && ts > this.#lastLostTs) {
        leakCount[s]!++;
        leakBytes[s]! += this.#recAlloc[r]!;
        if (ts < leakOldest[s]!) leakOldest[s] = ts;
      }
    }
    const cacheName = (id: number) =>
      id === NO_CACHE ? "(page allocator)" : this.slab.caches[id]!.name;
    const callSites: SlabCallSiteRow[] = [];
    const leaks: SlabLeakGroup[] = [];
    for (let s = 0; s < nSites; s++) {
      const req = this.#siteReq[s]!, alloc = this.#siteAlloc[s]!;
      const name = this.#strings.get(this.#siteName[s]!) || "?";
      callSites.push({
        callSite: name,
        allocs: this.#siteAllocs[s]!,
        frees: this.#siteFrees[s]!,
        bytesReq: req,
        bytesAlloc: alloc,
        wasteBytes: alloc - req,
        fragPct: fragPct(req, alloc),
        liveAtEnd: liveCount[s]!,
        liveBytesAtEnd: liveBytes[s]!,
        cache: cacheName(this.#siteCache[s]!),
      });
      if (leakCount[s]! > 0) {
        leaks.push({
          callSite: name,
          cache: cacheName(this.#siteCache[s]!),
          objects: leakCount[s]!,
          bytesAlloc: leakBytes[s]!,
          oldestTsNs: leakOldest[s]!,
        });
      }
    }
    leaks.sort((a, b) => b.bytesAlloc - a.bytesAlloc);
    // kfrees of pre-trace objects in pages first allocated from later in the trace.
    for (const page of this.#pendingPages) {
      const id = this.#pageCache.get(page);
      if (id === undefined) this.desync.freeUnattributed++;
      else this.#cPreTrace[id] = (this.#cPreTrace[id] ?? 0) + 1;
    }
    this.#pendingPages = [];
    // Named frees of caches that appeared only later in the trace (or never: unattributed).
    for (const nameId of this.#pendingNames) {
      const c = this.slab.cacheByName(this.#strings.get(nameId));
      if (c === undefined) this.desync.freeUnattributed++;
      else this.#cPreTrace[c.id] = (this.#cPreTrace[c.id] ?? 0) + 1;
    }
    this.#pendingNames = [];
    const caches: SlabCacheRow[] = this.slab.caches.map((c) => {
      const st = c.stats();
      const allocs = this.#cAllocs[c.id] ?? 0, frees = this.#cFrees[c.id] ?? 0;
      const implied = this.#cImplied[c.id] ?? 0, preTrace = this.#cPreTrace[c.id] ?? 0;
      return {
        name: c.name,
        objSizeBytes: st.objSizeBytes,
        objsPerSlab: st.objsPerSlab,
        pagesPerSlab: st.pagesPerSlab,
        geometry: this.#cGeometry[c.id] ?? "computed",
        activeObjs: st.activeObjs,
        inuseObjs: st.inuseObjs,
        numObjs: st.numObjs,
        numSlabs: st.numSlabs,
        pages: st.pages,
        seededObjs: this.#cSeeded[c.id] ?? 0,
        activeObjsAtStart: this.#cActiveAtStart[c.id] ?? 0,
        impliedFrees: implied,
        preTraceFrees: preTrace,
        objectsDelta: allocs - frees - implied - preTrace,
        allocs,
        frees,
        bytesReq: this.#cReq[c.id] ?? 0,
        bytesAlloc: this.#cAlloc[c.id] ?? 0,
        utilisation: st.pages > 0 ? st.inuseObjs * st.objSizeBytes / (st.pages * 4096) : 0,
        partialShare: st.numSlabs > 0 ? st.partialSlabs / st.numSlabs : 0,
        slabAllocs: c.slabAllocs,
        slabFrees: c.slabFrees,
        aliases: [...c.aliases],
      };
    });
    const notInSlabinfo = this.#slabinfo.size === 0
      ? []
      : [...this.#namedSeen].filter((n) => !this.#slabinfo.has(n)).sort();
    const vs = this.slab.vmap.stats();
    return {
      firstTsNs: first,
      lastTsNs: last,
      totals: {
        allocs: this.#allocs,
        frees: this.#frees,
        kfreeNull: this.#kfreeNull,
        bytesReq: this.#bytesReq,
        bytesAlloc: this.#bytesAlloc,
        bytesFreed: this.#bytesFreed,
        wasteBytes: this.#bytesAlloc - this.#bytesReq,
        fragPct: fragPct(this.#bytesReq, this.#bytesAlloc),
        largeAllocs: this.#largeAllocs,
        liveAtEnd: liveAll,
        liveBytesAtEnd: liveAllBytes,
      },
      caches,
      callSites,
      leaks,
      desync: { ...this.desync },
      aliases: [...this.#aliases.values()],
      notInSlabinfo,
      lostEvents: {
        markers: this.#lostMarkers,
        events: this.#lostEvents,
        lastTsNs: Number.isFinite(this.#lastLostTs) ? this.#lastLostTs : -1,
      },
      vmap: {
        ...this.#vm,
        busyAreas: vs.busyAreas,
        busyBytes: vs.busyBytes,
        lazyBytes: vs.lazyBytes,
      },
    };
  }
}

function fragPct(req: number, alloc: number): number {
  return alloc === 0 ? 0 : 100 - 100 * req / alloc;
}
