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
import { ptrKey, type StringTable } from "../trace/event_batch.ts";
import { PtrMap } from "../collections/ptr_map.ts";
import { Ev } from "../trace/event_kind.ts";
import { EventField } from "../trace/event_schema.ts";
import type { KmemCache } from "./kmem_cache.ts";
import { kmallocCacheName, kmallocClassBytes, kmallocType } from "./kmalloc_caches.ts";
import { type PageProvider, SimplePageProvider } from "./page_provider.ts";
import { SlabAllocator } from "./slab_allocator.ts";
import type { Replayer, ReplaySampling } from "../replay/replayer.ts";
import { asTraceTimeNs } from "../kernel/units.ts";
import { CallSiteTable, fragPct } from "./call_site_table.ts";
import { LiveObjects, NO_CACHE, NO_RECORD } from "./live_objects.ts";
import type { SlabCacheRow, SlabDesync, SlabReplayResult } from "./slab_replay_result.ts";
import { VmapReplay } from "./vmap_replay.ts";

export type {
  SlabCacheRow,
  SlabCallSiteRow,
  SlabDesync,
  SlabLeakGroup,
  SlabReplayResult,
} from "./slab_replay_result.ts";
export { type SlabSortKey, sortSlabRows } from "./sort_slab_rows.ts";

/** Options of {@linkcode SlabReplay} (sampling: read per-cache state through `replay.caches`). */
export interface SlabReplayOptions extends ReplaySampling {
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
  /**
   * What-if boot parameters (`slab_max_order=`, `slab_min_objects=`, `slab_min_order=`). When
   * any is given, every cache's geometry is computed with them (SLUB `calculate_order`) instead
   * of taken from slabinfo, so slab orders — and the page blocks slabs take — change.
   */
  slubMaxOrder?: number;
  slubMinObjects?: number;
  slubMinOrder?: number;
}

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
export class SlabReplay implements Replayer<SlabReplayResult> {
  readonly slab: SlabAllocator;
  readonly #strings: StringTable;
  readonly #opts: SlabReplayOptions;
  readonly #slabinfo = new Map<string, SlabInfoRow>();
  /** Geometry from what-if SLUB parameters instead of slabinfo. */
  readonly #whatIf: boolean;
  readonly #objs = new LiveObjects();
  readonly #sites = new CallSiteTable();
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
  readonly #pageCache = new PtrMap();
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
  readonly #vmap: VmapReplay;

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
    this.#vmap = new VmapReplay(this.slab.vmap);
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
        this.#opts.onSample(asTraceTimeNs(ts));
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
          this.#vmap.alloc(batch, i);
          break;
        case Call.VMAP_FREE:
          this.#vmap.free(batch, i);
          break;
        case Call.VMAP_PURGE:
          this.#vmap.purge(batch, i);
          break;
        case Call.LOST:
          this.#lostMarkers++;
          if (EventField.lost.lostEvents(batch, i) > 0) {
            this.#lostEvents += EventField.lost.lostEvents(batch, i);
          }
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
        case Call.RECLAIM_INFO:
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
    const objs = this.#objs;
    const old = objs.byPtr.get(key);
    if (old !== NO_RECORD) {
      this.desync.ptrReusedLive++;
      const oc = objs.cache[old]!;
      if (oc !== NO_CACHE) this.#cImplied[oc] = (this.#cImplied[oc] ?? 0) + 1;
      this.#release(old, cpu);
    }
    objs.freed.delete(key);
    if (cacheId !== NO_CACHE && key >= HASHED_POINTER_LIMIT) {
      this.#pageCache.set(Math.floor(key / PAGE_SIZE_4K_BYTES), cacheId);
    }
    const sites = this.#sites;
    const site = sites.id(b.callSite[i]!, cacheId);
    sites.allocs[site]!++;
    sites.bytesReq[site]! += req;
    sites.bytesAlloc[site]! += alloc;
    this.#allocs++;
    this.#bytesReq += req;
    this.#bytesAlloc += alloc;
    const r = objs.newRecord();
    objs.handle[r] = handle ?? NaN;
    objs.site[r] = site;
    objs.cache[r] = cacheId;
    objs.bytesReq[r] = req;
    objs.bytesAlloc[r] = alloc;
    objs.tsNs[r] = b.tsNs[i]!;
    objs.byPtr.set(key, r);
  }

  #free(b: CallBatch, i: number): void {
    const key = ptrKey(b, i);
    if (key === 0) {
      this.#kfreeNull++;
      return;
    }
    const objs = this.#objs;
    const r = objs.byPtr.take(key);
    const nameId = b.name[i]!;
    if (r === NO_RECORD) {
      if (objs.freed.has(key)) {
        this.desync.doubleFree++;
        return;
      }
      this.desync.freeUnknown++;
      const page = Math.floor(key / PAGE_SIZE_4K_BYTES);
      const c = nameId !== 0
        ? this.slab.cacheByName(this.#strings.get(nameId))
        : key >= HASHED_POINTER_LIMIT
        ? this.slab.caches[this.#pageCache.get(page, NO_CACHE)]
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
      objs.freed.add(key);
      return;
    }
    const cacheId = objs.cache[r]!;
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
    this.#bytesFreed += objs.bytesAlloc[r]!;
    this.#sites.frees[objs.site[r]!]!++;
    if (cacheId !== NO_CACHE) this.#cFrees[cacheId]!++;
    this.#release(r, b.cpu[i]!);
    objs.freed.add(key);
  }

  #release(r: number, cpu: number): void {
    const h = this.#objs.handle[r]!;
    if (!Number.isNaN(h)) this.slab.kfree(h, cpu);
    this.#objs.recycle(r);
  }

  /** Results at the end of the trace. */
  finish(): SlabReplayResult {
    const first = Number.isNaN(this.#firstTs) ? 0 : this.#firstTs;
    const last = Number.isNaN(this.#lastTs) ? 0 : this.#lastTs;
    const cacheName = (id: number) =>
      id === NO_CACHE ? "(page allocator)" : this.slab.caches[id]!.name;
    const { callSites, leaks, liveAtEnd, liveBytesAtEnd } = this.#sites.rows(
      this.#objs,
      this.#strings,
      cacheName,
      {
        lastTsNs: last,
        minAgeNs: this.#opts.leakMinAgeNs ?? (last - first) / 2,
        lastLostTsNs: this.#lastLostTs,
      },
    );
    // kfrees of pre-trace objects in pages first allocated from later in the trace.
    for (const page of this.#pendingPages) {
      const id = this.#pageCache.get(page, NO_CACHE);
      if (id === NO_CACHE) this.desync.freeUnattributed++;
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
        liveAtEnd,
        liveBytesAtEnd,
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
      vmap: this.#vmap.result(),
    };
  }
}
