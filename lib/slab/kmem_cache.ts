/**
 * One emulated SLUB cache (mm/slub.c) on a single NUMA node: slabs with per-slot free lists in
 * typed arrays (no object per object), one active cpu slab and a cpu partial list per CPU, the
 * node partial list, and the min_partial rule for giving empty slabs back to the page allocator.
 *
 * Modelled paths: allocation from the cpu slab → cpu partial → node partial (taking extra slabs
 * onto the cpu partial list up to half its limit, as `get_partial_node`) → a new slab (preferred
 * order, falling back to `get_order(size)`); a free into a full slab moves it onto the freeing
 * CPU's partial list (draining that list to the node when full, `put_cpu_partial`); a free that
 * empties a node-partial slab discards it when the node already has ≥ min_partial partial slabs.
 * Objects are identified by handles = (slab, slot, cache); real addresses are not reproduced
 * (freelists are randomised in the kernel).
 *
 * @module
 */

import { GFP } from "../kernel/gfp_flags.ts";
import {
  PAGE_SIZE_4K_BYTES,
  SLUB_CPU_PARTIAL_OBJECTS,
  SLUB_MAX_PARTIAL,
  SLUB_MIN_PARTIAL,
} from "../kernel/constants.ts";
import { MmInvariantError } from "../mm/mm_invariant_error.ts";
import type { PageProvider } from "./page_provider.ts";
import { hasDebugFlags, SlabFlag, type SlabGeometry } from "./slab_geometry.ts";

/** Slots per slab in a handle (MAX_OBJS_PER_PAGE + 1). */
const SLOT_SPAN = 32768;
/** Caches addressable by a handle. */
export const MAX_CACHES = 16384;

/** mm/internal.h GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK: caller bits kept for slab pages. */
const SLAB_GFP_KEEP = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM | GFP.HIGH | GFP.IO | GFP.FS |
  GFP.NOWARN | GFP.RETRY_MAYFAIL | GFP.NOFAIL | GFP.NORETRY | GFP.MEMALLOC | GFP.NOMEMALLOC |
  GFP.NOLOCKDEP | GFP.HARDWALL | GFP.THISNODE;

const enum St {
  UNUSED = -1,
  FULL = 0,
  NODE_PARTIAL = 1,
  CPU_PARTIAL = 2,
  CPU_SLAB = 3,
}

/**
 * Splits an object handle into cache id, slab index and slot.
 *
 * @example
 * ```ts
 * import { objectCacheId } from "./kmem_cache.ts";
 * objectCacheId(3); // 3 (slab 0, slot 0 of cache 3)
 * ```
 */
export function objectCacheId(handle: number): number {
  return handle % MAX_CACHES;
}

/** Counters of one cache, in the units of /proc/slabinfo plus emulator extras. */
export interface KmemCacheStats {
  name: string;
  objSizeBytes: number;
  objsPerSlab: number;
  pagesPerSlab: number;
  /** Objects handed out and not freed. */
  inuseObjs: number;
  /** slabinfo active_objs: all objects minus free ones on the node partial list. */
  activeObjs: number;
  numObjs: number;
  numSlabs: number;
  pages: number;
  /** Slabs on the node partial list and on cpu partial lists. */
  partialSlabs: number;
  /** Slabs that are cpu slabs. */
  cpuSlabs: number;
}

/**
 * An emulated SLUB cache. Create it through `SlabAllocator.kmemCacheCreate` (or directly in
 * tests); all methods are O(1) except shrink/destroy.
 *
 * @example
 * ```ts
 * import { KmemCache } from "./kmem_cache.ts";
 * import { SimplePageProvider } from "./page_provider.ts";
 * import { slabGeometry } from "./slab_geometry.ts";
 * const pages = new SimplePageProvider();
 * const c = new KmemCache(0, "demo", 64, slabGeometry(64, { nrCpus: 2 }), 0, 2, pages);
 * const obj = c.alloc(0, 0);
 * c.free(obj, 0); // true
 * c.stats().numSlabs; // 1
 * ```
 */
export class KmemCache {
  /** Objects in use. */
  inuse = 0;
  numSlabs = 0;
  numObjs = 0;
  pages = 0;
  /** Times a new slab was allocated / a slab was given back. */
  slabAllocs = 0;
  slabFrees = 0;
  /** New slabs that fell back to the minimum order. */
  fallbackSlabs = 0;
  /** Other names merged into this cache (kmem_cache_create aliases). */
  readonly aliases: string[] = [];
  /** Number of kmem_cache_create calls that resolved to this cache. */
  refcount = 1;
  destroyed = false;
  /** Created with a constructor (never merged, free pointer outside the object). */
  hasCtor = false;
  readonly minPartial: number;
  readonly cpuPartialSlabs: number;
  /** Gfp bits of every slab page (`s->allocflags`); see {@linkcode addSlabGfp}. */
  allocGfp: number;

  #cap = 0;
  #stride: number;
  #pfn = new Float64Array(0);
  #order = new Int8Array(0);
  #objects = new Uint16Array(0);
  #inuse = new Uint16Array(0);
  #freeHead = new Int32Array(0);
  #state = new Int8Array(0);
  #next = new Int32Array(0);
  #prev = new Int32Array(0);
  #slotNext = new Int32Array(0);
  #slotUsed = new Uint8Array(0);
  #unusedIds: number[] = [];
  #nextId = 0;
  readonly #cpuSlab: Int32Array;
  readonly #cpuPartialHead: Int32Array;
  readonly #cpuPartialCount: Int32Array;
  #partialHead = -1;
  /** CPU of the free in progress (slab pages go back to its pcp lists). */
  #curCpu = 0;
  #partialTail = -1;
  #nrPartial = 0;
  #nodePartialFree = 0;
  #cpuPartialTotal = 0;

  constructor(
    readonly id: number,
    readonly name: string,
    /** Size the creator asked for (`s->object_size`). */
    readonly objectSizeBytes: number,
    readonly geometry: SlabGeometry,
    readonly flags: number,
    readonly nrCpus: number,
    readonly pages_: PageProvider,
  ) {
    if (id < 0 || id >= MAX_CACHES) throw new RangeError(`cache id ${id} out of range`);
    this.#stride = Math.max(geometry.objsPerSlab, geometry.minObjsPerSlab, 1);
    const size = geometry.sizeBytes;
    // mm/slub.c kmem_cache_open: min_partial = clamp(ilog2(size) / 2, MIN_PARTIAL, MAX_PARTIAL).
    this.minPartial = Math.min(
      SLUB_MAX_PARTIAL,
      Math.max(SLUB_MIN_PARTIAL, Math.floor(Math.floor(Math.log2(size)) / 2)),
    );
    // set_cpu_partial + slub_set_cpu_partial: objects → slabs = ceil(2 * objects / objs per slab).
    let cpuPartialObjs: number;
    if (hasDebugFlags(flags)) cpuPartialObjs = 0;
    else if (size >= PAGE_SIZE_4K_BYTES) cpuPartialObjs = SLUB_CPU_PARTIAL_OBJECTS.pageOrMore;
    else if (size >= 1024) cpuPartialObjs = SLUB_CPU_PARTIAL_OBJECTS.kib;
    else if (size >= 256) cpuPartialObjs = SLUB_CPU_PARTIAL_OBJECTS.quarterKib;
    else cpuPartialObjs = SLUB_CPU_PARTIAL_OBJECTS.small;
    this.cpuPartialSlabs = Math.ceil(cpuPartialObjs * 2 / Math.max(1, geometry.objsPerSlab));
    let allocGfp = 0;
    if (geometry.order > 0) allocGfp |= GFP.COMP;
    if (flags & SlabFlag.CACHE_DMA) allocGfp |= GFP.DMA;
    if (flags & SlabFlag.CACHE_DMA32) allocGfp |= GFP.DMA32;
    if (flags & SlabFlag.RECLAIM_ACCOUNT) allocGfp |= GFP.RECLAIMABLE;
    this.allocGfp = allocGfp;
    this.#cpuSlab = new Int32Array(nrCpus).fill(-1);
    this.#cpuPartialHead = new Int32Array(nrCpus).fill(-1);
    this.#cpuPartialCount = new Int32Array(nrCpus);
  }

  /**
   * Adds gfp bits to the cache's slab pages (e.g. __GFP_RECLAIMABLE learned from the trace for a
   * cache created from slabinfo, whose creation flags are unknown).
   */
  addSlabGfp(bits: number): void {
    this.allocGfp |= bits;
  }

  /** Object size in the slab (`s->size`). */
  get sizeBytes(): number {
    return this.geometry.sizeBytes;
  }

  /**
   * Allocates one object on `cpu`; returns its handle, or -1 when no slab page could be had.
   */
  alloc(gfp: number, cpu: number): number {
    const c = this.#cpu(cpu);
    let s = this.#cpuSlab[c]!;
    if (s < 0 || this.#freeHead[s]! < 0) {
      if (s >= 0) this.#state[s] = St.FULL; // an exhausted cpu slab just leaves: full slabs are unlisted
      this.#cpuSlab[c] = -1;
      s = this.#popCpuPartial(c);
      if (s < 0) s = this.#getPartialNode(c);
      if (s < 0) s = this.#newSlab(gfp, c);
      if (s < 0) return -1;
      this.#state[s] = St.CPU_SLAB;
      this.#cpuSlab[c] = s;
    }
    const slot = this.#freeHead[s]!;
    const k = s * this.#stride + slot;
    this.#freeHead[s] = this.#slotNext[k]!;
    this.#slotUsed[k] = 1;
    this.#inuse[s]!++;
    this.inuse++;
    return (s * SLOT_SPAN + slot) * MAX_CACHES + this.id;
  }

  /** True when `handle` is an object of this cache that is currently allocated. */
  isLive(handle: number): boolean {
    return this.#isLive(handle);
  }

  #isLive(handle: number): boolean {
    if (objectCacheId(handle) !== this.id) return false;
    const x = Math.floor(handle / MAX_CACHES);
    const s = Math.floor(x / SLOT_SPAN);
    const slot = x % SLOT_SPAN;
    if (s >= this.#nextId || this.#state[s] === St.UNUSED || slot >= this.#objects[s]!) {
      return false;
    }
    return this.#slotUsed[s * this.#stride + slot] === 1;
  }

  /** Frees an object on `cpu`. Returns false (and changes nothing) for a handle not live here. */
  free(handle: number, cpu: number): boolean {
    if (!this.#isLive(handle)) return false;
    const c = this.#cpu(cpu);
    this.#curCpu = c;
    const x = Math.floor(handle / MAX_CACHES);
    const s = Math.floor(x / SLOT_SPAN);
    const slot = x % SLOT_SPAN;
    const k = s * this.#stride + slot;
    this.#slotUsed[k] = 0;
    this.#slotNext[k] = this.#freeHead[s]!;
    this.#freeHead[s] = slot;
    const inuse = --this.#inuse[s]!;
    this.inuse--;
    switch (this.#state[s] as St) {
      case St.CPU_SLAB:
      case St.CPU_PARTIAL:
        break; // frozen slabs stay where they are, even when empty
      case St.FULL:
        if (this.cpuPartialSlabs > 0) this.#putCpuPartial(c, s, true);
        else if (inuse === 0 && this.#nrPartial >= this.minPartial) this.#discard(s);
        else this.#addPartial(s);
        break;
      case St.NODE_PARTIAL:
        this.#nodePartialFree++;
        if (inuse === 0 && this.#nrPartial >= this.minPartial) {
          this.#removePartial(s);
          this.#discard(s);
        }
        break;
      default:
        throw new MmInvariantError("slab-state", `${this.name}: free into unused slab ${s}`);
    }
    return true;
  }

  /**
   * `kmem_cache_shrink`: flushes cpu slabs and cpu partial lists to the node, then gives every
   * empty slab back. Returns the pages freed.
   */
  shrink(): number {
    const before = this.pages;
    for (let c = 0; c < this.nrCpus; c++) this.#flushCpu(c);
    for (let s = this.#partialHead; s >= 0;) {
      const n = this.#next[s]!;
      if (this.#inuse[s] === 0) {
        this.#removePartial(s);
        this.#discard(s);
      }
      s = n;
    }
    return before - this.pages;
  }

  /**
   * `kmem_cache_destroy`: shrinks, and if no object is left gives every slab back and marks the
   * cache destroyed. Returns the objects still allocated (the kernel then keeps the cache and
   * warns).
   */
  destroy(): number {
    this.shrink();
    if (this.inuse === 0) this.destroyed = true;
    return this.inuse;
  }

  /** Current counters. */
  stats(): KmemCacheStats {
    let cpuSlabs = 0;
    for (let c = 0; c < this.nrCpus; c++) if (this.#cpuSlab[c]! >= 0) cpuSlabs++;
    return {
      name: this.name,
      objSizeBytes: this.sizeBytes,
      objsPerSlab: this.geometry.objsPerSlab,
      pagesPerSlab: 2 ** this.geometry.order,
      inuseObjs: this.inuse,
      activeObjs: this.activeObjs,
      numObjs: this.numObjs,
      numSlabs: this.numSlabs,
      pages: this.pages,
      partialSlabs: this.#nrPartial + this.#cpuPartialTotal,
      cpuSlabs,
    };
  }

  /** slabinfo `active_objs` (SLUB `get_slabinfo`): free objects on node partial slabs excluded. */
  get activeObjs(): number {
    return this.numObjs - this.#nodePartialFree;
  }

  /** Slabs on the node partial list. */
  get nodePartialSlabs(): number {
    return this.#nrPartial;
  }

  /** Slabs on cpu partial lists, all CPUs. */
  get cpuPartialSlabTotal(): number {
    return this.#cpuPartialTotal;
  }

  /**
   * Checks the counters against a full recount of the slab arrays; throws MmInvariantError on
   * a mismatch. For tests and `--strict` runs (O(objects)).
   */
  checkInvariants(): void {
    let slabs = 0, objs = 0, inuse = 0, pages = 0, partialFree = 0, nrPartial = 0;
    for (let s = 0; s < this.#nextId; s++) {
      if (this.#state[s] === St.UNUSED) continue;
      slabs++;
      objs += this.#objects[s]!;
      pages += 2 ** this.#order[s]!;
      let used = 0;
      for (let k = 0; k < this.#objects[s]!; k++) used += this.#slotUsed[s * this.#stride + k]!;
      if (used !== this.#inuse[s]) this.#fail(`slab ${s} inuse ${this.#inuse[s]} != ${used}`);
      let free = 0;
      for (let f = this.#freeHead[s]!; f >= 0; f = this.#slotNext[s * this.#stride + f]!) free++;
      if (free + used !== this.#objects[s]) this.#fail(`slab ${s} freelist length ${free}`);
      if (this.#state[s] === St.FULL && free !== 0) this.#fail(`unlisted slab ${s} has free`);
      if (this.#state[s] === St.NODE_PARTIAL) {
        nrPartial++;
        partialFree += free;
      }
      inuse += used;
    }
    if (slabs !== this.numSlabs || objs !== this.numObjs || inuse !== this.inuse) {
      this.#fail(`counters slabs ${this.numSlabs}/${slabs} objs ${this.numObjs}/${objs}`);
    }
    if (pages !== this.pages) this.#fail(`pages ${this.pages} != ${pages}`);
    if (nrPartial !== this.#nrPartial || partialFree !== this.#nodePartialFree) {
      this.#fail(`node partial ${this.#nrPartial}/${nrPartial} free ${this.#nodePartialFree}`);
    }
    let listed = 0;
    for (let s = this.#partialHead; s >= 0; s = this.#next[s]!) listed++;
    if (listed !== nrPartial) this.#fail(`partial list holds ${listed}, expected ${nrPartial}`);
  }

  #fail(msg: string): never {
    throw new MmInvariantError("slab-counters", `${this.name}: ${msg}`);
  }

  #cpu(cpu: number): number {
    return cpu >= 0 && cpu < this.nrCpus ? cpu : cpu % this.nrCpus;
  }

  #newSlab(gfp: number, cpu: number): number {
    const g = this.geometry;
    const base = (gfp & SLAB_GFP_KEEP) | this.allocGfp;
    // allocate_slab: the preferred order is tried without retrying or warning (and without
    // direct reclaim when it is above the minimum order), then the minimum order.
    let order = g.order;
    let tryGfp = (base | GFP.NOWARN | GFP.NORETRY) & ~GFP.NOFAIL;
    if ((tryGfp & GFP.DIRECT_RECLAIM) && g.order > g.minOrder) {
      tryGfp = (tryGfp | GFP.NOMEMALLOC) & ~(GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM);
    }
    let pfn = this.pages_.allocPages(tryGfp, order, cpu);
    let objects = g.objsPerSlab;
    if (pfn === null && g.minOrder !== g.order) {
      order = g.minOrder;
      objects = g.minObjsPerSlab;
      const minGfp = g.minOrder > 0 ? base : base & ~GFP.COMP;
      pfn = this.pages_.allocPages(minGfp, order, cpu);
      if (pfn !== null) this.fallbackSlabs++;
    }
    if (pfn === null) return -1;
    const s = this.#takeId();
    this.#pfn[s] = pfn;
    this.#order[s] = order;
    this.#objects[s] = objects;
    this.#inuse[s] = 0;
    const b = s * this.#stride;
    for (let k = 0; k < objects; k++) {
      this.#slotNext[b + k] = k + 1 < objects ? k + 1 : -1;
      this.#slotUsed[b + k] = 0;
    }
    this.#freeHead[s] = 0;
    this.numSlabs++;
    this.numObjs += objects;
    this.pages += 2 ** order;
    this.slabAllocs++;
    return s;
  }

  #discard(s: number): void {
    this.pages_.freePages(this.#pfn[s]!, this.#order[s]!, this.#curCpu);
    this.numSlabs--;
    this.numObjs -= this.#objects[s]!;
    this.pages -= 2 ** this.#order[s]!;
    this.slabFrees++;
    this.#state[s] = St.UNUSED;
    this.#unusedIds.push(s);
  }

  #takeId(): number {
    const reuse = this.#unusedIds.pop();
    if (reuse !== undefined) return reuse;
    if (this.#nextId === this.#cap) this.#grow();
    return this.#nextId++;
  }

  #grow(): void {
    const cap = Math.max(16, this.#cap * 2);
    const g = <T extends Float64Array | Int8Array | Uint16Array | Int32Array | Uint8Array>(
      a: T,
      n: number,
      make: (n: number) => T,
    ): T => {
      const b = make(n);
      b.set(a as never);
      return b;
    };
    this.#pfn = g(this.#pfn, cap, (n) => new Float64Array(n));
    this.#order = g(this.#order, cap, (n) => new Int8Array(n));
    this.#objects = g(this.#objects, cap, (n) => new Uint16Array(n));
    this.#inuse = g(this.#inuse, cap, (n) => new Uint16Array(n));
    this.#freeHead = g(this.#freeHead, cap, (n) => new Int32Array(n));
    this.#state = g(this.#state, cap, (n) => new Int8Array(n).fill(St.UNUSED));
    this.#next = g(this.#next, cap, (n) => new Int32Array(n));
    this.#prev = g(this.#prev, cap, (n) => new Int32Array(n));
    this.#slotNext = g(this.#slotNext, cap * this.#stride, (n) => new Int32Array(n));
    this.#slotUsed = g(this.#slotUsed, cap * this.#stride, (n) => new Uint8Array(n));
    this.#cap = cap;
  }

  #addPartial(s: number): void {
    this.#state[s] = St.NODE_PARTIAL;
    this.#next[s] = -1;
    this.#prev[s] = this.#partialTail;
    if (this.#partialTail >= 0) this.#next[this.#partialTail] = s;
    else this.#partialHead = s;
    this.#partialTail = s;
    this.#nrPartial++;
    this.#nodePartialFree += this.#objects[s]! - this.#inuse[s]!;
  }

  #removePartial(s: number): void {
    const p = this.#prev[s]!, n = this.#next[s]!;
    if (p >= 0) this.#next[p] = n;
    else this.#partialHead = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#partialTail = p;
    this.#nrPartial--;
    this.#nodePartialFree -= this.#objects[s]! - this.#inuse[s]!;
    this.#state[s] = St.FULL;
  }

  #popCpuPartial(c: number): number {
    const s = this.#cpuPartialHead[c]!;
    if (s < 0) return -1;
    this.#cpuPartialHead[c] = this.#next[s]!;
    this.#cpuPartialCount[c]!--;
    this.#cpuPartialTotal--;
    return s;
  }

  #putCpuPartial(c: number, s: number, drain: boolean): void {
    if (drain && this.#cpuPartialCount[c]! >= this.cpuPartialSlabs) this.#putPartials(c);
    this.#state[s] = St.CPU_PARTIAL;
    this.#next[s] = this.#cpuPartialHead[c]!;
    this.#cpuPartialHead[c] = s;
    this.#cpuPartialCount[c]!++;
    this.#cpuPartialTotal++;
  }

  /** `__put_partials`: a cpu partial list goes to the node; empty slabs beyond min_partial go. */
  #putPartials(c: number): void {
    for (let s = this.#popCpuPartial(c); s >= 0; s = this.#popCpuPartial(c)) {
      if (this.#inuse[s] === 0 && this.#nrPartial >= this.minPartial) this.#discard(s);
      else this.#addPartial(s);
    }
  }

  #getPartialNode(c: number): number {
    const first = this.#partialHead;
    if (first < 0) return -1;
    this.#removePartial(first);
    let taken = 0;
    while (this.cpuPartialSlabs > 0 && taken <= this.cpuPartialSlabs / 2) {
      const s = this.#partialHead;
      if (s < 0) break;
      this.#removePartial(s);
      this.#putCpuPartial(c, s, false);
      taken++;
    }
    return first;
  }

  /** `deactivate_slab` + `__put_partials` for one CPU (flush_cpu_slab). */
  #flushCpu(c: number): void {
    this.#curCpu = c;
    const s = this.#cpuSlab[c]!;
    if (s >= 0) {
      this.#cpuSlab[c] = -1;
      if (this.#inuse[s] === 0 && this.#nrPartial >= this.minPartial) this.#discard(s);
      else if (this.#freeHead[s]! >= 0) this.#addPartial(s);
      else this.#state[s] = St.FULL;
    }
    this.#putPartials(c);
  }
}
