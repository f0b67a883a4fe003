/**
 * The emulated slab layer as a whole: a registry of {@linkcode KmemCache}s with the kernel's
 * cache API (`kmem_cache_create` with merging, `kmem_cache_alloc/free/shrink/destroy`), kmalloc
 * (`kmalloc`, `kzalloc`, `kfree`, `ksize`, large kmalloc from the page provider), and vmalloc
 * (`vmalloc`/`vfree`: order-0 pages plus a {@linkcode VmapAllocator} range with a guard page).
 *
 * Handles: slab objects are ≥ 0 (see {@linkcode KmemCache.alloc}); a large kmalloc is
 * `-(pfn + 2)`; `kmalloc(0)` returns {@linkcode ZERO_SIZE_OBJ}; failures return null.
 *
 * @module
 */

import { GFP } from "../kernel/gfp_flags.ts";
import {
  KMALLOC_MAX_CACHE_SIZE_BYTES,
  KMALLOC_MAX_SIZE_BYTES,
  PAGE_SIZE_4K_BYTES,
  POINTER_SIZE_BYTES,
} from "../kernel/constants.ts";
import type { SlabInfoRow } from "../snapshot/slabinfo.ts";
import { KmemCache, MAX_CACHES, objectCacheId } from "./kmem_cache.ts";
import {
  kmallocCacheName,
  kmallocClassBytes,
  type KmallocType,
  kmallocType,
} from "./kmalloc_caches.ts";
import type { PageProvider } from "./page_provider.ts";
import {
  calculateAlignment,
  getOrder,
  SlabFlag,
  type SlabGeometry,
  slabGeometry,
} from "./slab_geometry.ts";
import { VmapAllocator } from "./vmap_allocator.ts";

/** Handle returned by kmalloc(0) (the kernel's ZERO_SIZE_PTR). */
export const ZERO_SIZE_OBJ = -1;

/** Flags that forbid merging (mm/slab_common.c SLAB_NEVER_MERGE, plus debug). */
const NEVER_MERGE = SlabFlag.RED_ZONE | SlabFlag.POISON | SlabFlag.STORE_USER |
  SlabFlag.TYPESAFE_BY_RCU | SlabFlag.NO_MERGE;
/** Flags that must be equal for a merge (SLAB_MERGE_SAME). */
const MERGE_SAME = SlabFlag.RECLAIM_ACCOUNT | SlabFlag.CACHE_DMA | SlabFlag.CACHE_DMA32 |
  SlabFlag.ACCOUNT;

/** Options of {@linkcode SlabAllocator}. */
export interface SlabAllocatorOptions {
  /** CPUs (present) of the emulated machine. */
  nrCpus: number;
  /** Source of slab, large-kmalloc and vmalloc pages. */
  pages: PageProvider;
  slubMinObjects?: number;
  slubMaxOrder?: number;
  slubMinOrder?: number;
  /** Merge compatible caches like the kernel does (boot option `slab_nomerge` = false). */
  merge?: boolean;
}

/**
 * The slab layer.
 *
 * @example
 * ```ts
 * import { SlabAllocator } from "./slab_allocator.ts";
 * import { SimplePageProvider } from "./page_provider.ts";
 * import { GFP } from "../kernel/gfp_flags.ts";
 * const slab = new SlabAllocator({ nrCpus: 2, pages: new SimplePageProvider() });
 * const p = slab.kmalloc(100, GFP.KSWAPD_RECLAIM)!;
 * slab.ksize(p); // 128
 * slab.kfree(p); // true
 * ```
 */
export class SlabAllocator {
  readonly #caches: KmemCache[] = [];
  readonly #byName = new Map<string, KmemCache>();
  readonly #large = new Map<number, number>();
  readonly #vmallocPages = new Map<number, number[]>();
  readonly vmap: VmapAllocator;
  readonly nrCpus: number;
  readonly pages: PageProvider;
  /** Pages held by large kmallocs. */
  largePages = 0;
  /** Pages backing vmalloc areas. */
  vmallocPages = 0;

  constructor(readonly opts: SlabAllocatorOptions) {
    this.nrCpus = opts.nrCpus;
    this.pages = opts.pages;
    this.vmap = new VmapAllocator(opts.nrCpus);
  }

  /** All caches ever created, by id. */
  get caches(): readonly KmemCache[] {
    return this.#caches;
  }

  /** The cache registered under `name` (its own name or an alias), if any. */
  cacheByName(name: string): KmemCache | undefined {
    return this.#byName.get(name);
  }

  /** Geometry a new cache of this object size would get on this machine. */
  geometryFor(objectSizeBytes: number, align = 0, flags = 0, ctor = false): SlabGeometry {
    return slabGeometry(objectSizeBytes, {
      align,
      flags,
      ctor,
      nrCpus: this.nrCpus,
      slubMinObjects: this.opts.slubMinObjects,
      slubMaxOrder: this.opts.slubMaxOrder,
      slubMinOrder: this.opts.slubMinOrder,
    });
  }

  /**
   * `kmem_cache_create`: returns an existing compatible cache (merging, `find_mergeable`) or a
   * new one. A merged name is recorded in the target's `aliases`.
   */
  kmemCacheCreate(
    name: string,
    sizeBytes: number,
    alignBytes = 0,
    flags = 0,
    ctor?: () => void,
  ): KmemCache {
    const existing = this.#byName.get(name);
    if (existing && !existing.destroyed) return existing;
    const target = this.#findMergeable(sizeBytes, alignBytes, flags, ctor !== undefined);
    if (target) {
      target.aliases.push(name);
      target.refcount++;
      this.#byName.set(name, target);
      return target;
    }
    const g = this.geometryFor(sizeBytes, alignBytes, flags, ctor !== undefined);
    const c = this.#register(name, sizeBytes, g, flags);
    c.hasCtor = ctor !== undefined;
    return c;
  }

  /**
   * Creates a cache with the geometry a /proc/slabinfo row shows (objsize, objperslab,
   * pagesperslab), for caches whose creation flags are unknown.
   */
  kmemCacheFromSlabinfo(row: SlabInfoRow, flags = 0): KmemCache {
    const existing = this.#byName.get(row.name);
    if (existing && !existing.destroyed) return existing;
    const order = Math.round(Math.log2(Math.max(1, row.pagesPerSlab)));
    const minOrder = getOrder(row.objSizeBytes);
    const g: SlabGeometry = {
      sizeBytes: row.objSizeBytes,
      alignBytes: POINTER_SIZE_BYTES,
      order,
      objsPerSlab: row.objsPerSlab,
      minOrder,
      minObjsPerSlab: Math.floor(PAGE_SIZE_4K_BYTES * 2 ** minOrder / row.objSizeBytes),
    };
    return this.#register(row.name, row.objSizeBytes, g, flags);
  }

  /** `kmem_cache_alloc` on `cpu`: an object handle, or null when no page could be had. */
  kmemCacheAlloc(cache: KmemCache, gfp: number, cpu = 0): number | null {
    const h = cache.alloc(gfp, cpu);
    return h < 0 ? null : h;
  }

  /** `kmem_cache_free`; false when `obj` is not a live object of `cache`. */
  kmemCacheFree(cache: KmemCache, obj: number, cpu = 0): boolean {
    return cache.free(obj, cpu);
  }

  /** `kmem_cache_shrink`: pages given back. */
  kmemCacheShrink(cache: KmemCache): number {
    return cache.shrink();
  }

  /**
   * `kmem_cache_destroy`: drops one reference; the last one empties and removes the cache.
   * Returns the objects still allocated (the kernel warns and keeps such a cache).
   */
  kmemCacheDestroy(cache: KmemCache): number {
    if (--cache.refcount > 0) return 0;
    const left = cache.destroy();
    if (left === 0) {
      for (const [n, c] of this.#byName) if (c === cache) this.#byName.delete(n);
    } else cache.refcount = 1;
    return left;
  }

  /** The kmalloc cache of a family and size class, created on first use. */
  kmallocCache(type: KmallocType, classBytes: number): KmemCache {
    const name = kmallocCacheName(classBytes, type);
    const c = this.#byName.get(name);
    if (c) return c;
    let flags: number = SlabFlag.KMALLOC;
    if (type === "dma") flags |= SlabFlag.CACHE_DMA;
    if (type === "rcl") flags |= SlabFlag.RECLAIM_ACCOUNT;
    if (type === "cg") flags |= SlabFlag.ACCOUNT;
    return this.#register(name, classBytes, this.geometryFor(classBytes, 0, flags), flags);
  }

  /**
   * `kmalloc`: a kmalloc-cache object, a large allocation from the page provider above
   * KMALLOC_MAX_CACHE_SIZE (order = get_order(size), __GFP_COMP added), ZERO_SIZE_OBJ for 0
   * bytes, or null on failure (and for sizes above KMALLOC_MAX_SIZE).
   */
  kmalloc(sizeBytes: number, gfp: number, cpu = 0): number | null {
    if (sizeBytes === 0) return ZERO_SIZE_OBJ;
    if (sizeBytes > KMALLOC_MAX_SIZE_BYTES) return null;
    if (sizeBytes > KMALLOC_MAX_CACHE_SIZE_BYTES) {
      const order = getOrder(sizeBytes);
      const pfn = this.pages.allocPages(gfp | GFP.COMP, order, cpu);
      if (pfn === null) return null;
      this.#large.set(pfn, order);
      this.largePages += 2 ** order;
      return -(pfn + 2);
    }
    const cache = this.kmallocCache(kmallocType(gfp), kmallocClassBytes(sizeBytes));
    return this.kmemCacheAlloc(cache, gfp, cpu);
  }

  /** `kzalloc` = kmalloc with __GFP_ZERO (zeroing has no effect on the model). */
  kzalloc(sizeBytes: number, gfp: number, cpu = 0): number | null {
    return this.kmalloc(sizeBytes, gfp | GFP.ZERO, cpu);
  }

  /** `kfree` of any slab object or large kmalloc; false for unknown or already freed handles. */
  kfree(obj: number, cpu = 0): boolean {
    if (obj === ZERO_SIZE_OBJ) return true;
    if (obj < 0) {
      const pfn = -obj - 2;
      const order = this.#large.get(pfn);
      if (order === undefined) return false;
      this.#large.delete(pfn);
      this.largePages -= 2 ** order;
      this.pages.freePages(pfn, order, cpu);
      return true;
    }
    const cache = this.#caches[objectCacheId(obj)];
    return cache !== undefined && cache.free(obj, cpu);
  }

  /** `ksize`: usable bytes of a live object (s->size, or the large block), 0 otherwise. */
  ksize(obj: number): number {
    if (obj === ZERO_SIZE_OBJ) return 0;
    if (obj < 0) {
      const order = this.#large.get(-obj - 2);
      return order === undefined ? 0 : PAGE_SIZE_4K_BYTES * 2 ** order;
    }
    const cache = this.#caches[objectCacheId(obj)];
    return cache !== undefined && cache.isLive(obj) ? cache.sizeBytes : 0;
  }

  /**
   * `vmalloc`: page-rounded size from order-0 pages, mapped in a vmap area with a guard page.
   * Returns the area's start address (48-bit key) or null.
   */
  vmalloc(
    sizeBytes: number,
    gfp: number = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM | GFP.IO | GFP.FS,
  ): number | null {
    if (!(sizeBytes > 0)) return null;
    const nrPages = Math.ceil(sizeBytes / PAGE_SIZE_4K_BYTES);
    if (this.vmap.purgeDue) this.vmap.purge();
    const va = this.vmap.alloc((nrPages + 1) * PAGE_SIZE_4K_BYTES, PAGE_SIZE_4K_BYTES);
    if (va === null) return null;
    const pfns: number[] = [];
    for (let k = 0; k < nrPages; k++) {
      const pfn = this.pages.allocPages(gfp, 0);
      if (pfn === null) {
        for (const p of pfns) this.pages.freePages(p, 0);
        this.vmap.freeLazy(va);
        return null;
      }
      pfns.push(pfn);
    }
    this.#vmallocPages.set(va, pfns);
    this.vmallocPages += nrPages;
    return va;
  }

  /** `vfree`: pages go back at once, the range lazily. False for an unknown address. */
  vfree(addr: number): boolean {
    const pfns = this.#vmallocPages.get(addr);
    if (pfns === undefined) return false;
    for (const p of pfns) this.pages.freePages(p, 0);
    this.vmallocPages -= pfns.length;
    this.#vmallocPages.delete(addr);
    this.vmap.freeLazy(addr);
    if (this.vmap.purgeDue) this.vmap.purge();
    return true;
  }

  #register(name: string, objectSizeBytes: number, g: SlabGeometry, flags: number): KmemCache {
    const id = this.#caches.length;
    if (id >= MAX_CACHES) throw new RangeError(`more than ${MAX_CACHES} caches`);
    const c = new KmemCache(id, name, objectSizeBytes, g, flags, this.nrCpus, this.pages);
    this.#caches.push(c);
    this.#byName.set(name, c);
    return c;
  }

  /** mm/slab_common.c `find_mergeable`, newest cache first. */
  #findMergeable(size: number, align: number, flags: number, ctor: boolean): KmemCache | null {
    if (this.opts.merge === false || ctor || (flags & NEVER_MERGE)) return null;
    let s = Math.ceil(size / POINTER_SIZE_BYTES) * POINTER_SIZE_BYTES;
    const a = calculateAlignment(flags, align, s);
    s = Math.ceil(s / a) * a;
    for (let i = this.#caches.length - 1; i >= 0; i--) {
      const c = this.#caches[i]!;
      if (c.destroyed || (c.flags & NEVER_MERGE) || c.hasCtor) continue;
      if (s > c.sizeBytes) continue;
      if ((flags & MERGE_SAME) !== (c.flags & MERGE_SAME)) continue;
      if (c.sizeBytes % a !== 0) continue;
      if (c.sizeBytes - s >= POINTER_SIZE_BYTES) continue;
      return c;
    }
    return null;
  }
}
