/**
 * SLUB slab geometry: object size after alignment and metadata (`calculate_sizes`), slab order
 * (`calculate_order`, the ≥v6.8 form) and objects per slab (`order_objects`), all from
 * mm/slub.c. For every cache of the mixed capture (2 CPUs) the computed objperslab and
 * pagesperslab equal /proc/slabinfo given the objsize column (tests/slab/slab_geometry.test.ts).
 *
 * @module
 */

import {
  ARCH_SLAB_MINALIGN_BYTES,
  MAX_OBJS_PER_PAGE,
  MAX_PAGE_ORDER,
  PAGE_SIZE_4K_BYTES,
  POINTER_SIZE_BYTES,
  SLUB_MAX_ORDER_DEFAULT,
  SLUB_MIN_ORDER_DEFAULT,
  SLUB_ORDER_FRACTIONS,
  SLUB_TRACK_SIZE_BYTES,
  X86_L1_CACHE_BYTES,
} from "../kernel/constants.ts";

/**
 * Cache creation flags that change geometry or behaviour (names from include/linux/slab.h). The
 * bit values are kmemreplay's own: the kernel's numbering changed across versions.
 */
export const SlabFlag = {
  HWCACHE_ALIGN: 1,
  /** SLAB_TYPESAFE_BY_RCU: free pointer must live outside the object. */
  TYPESAFE_BY_RCU: 2,
  /** SLAB_RECLAIM_ACCOUNT: slab pages are __GFP_RECLAIMABLE. */
  RECLAIM_ACCOUNT: 4,
  CACHE_DMA: 8,
  CACHE_DMA32: 16,
  ACCOUNT: 32,
  /** Debug: poison objects (free pointer moves outside the object). */
  POISON: 64,
  /** Debug: red zones around objects. */
  RED_ZONE: 128,
  /** Debug: alloc/free tracking after the object. */
  STORE_USER: 256,
  /** Never merge this cache with another. */
  NO_MERGE: 512,
  /** kmalloc cache (SLAB_KMALLOC): STORE_USER also keeps the original request size. */
  KMALLOC: 1024,
} as const;

const DEBUG_FLAGS = SlabFlag.POISON | SlabFlag.RED_ZONE | SlabFlag.STORE_USER;
/** sizeof(unsigned int): the original kmalloc size kept with STORE_USER (mm/slub.c). */
const UINT_SIZE_BYTES = 4;

/** Options of {@linkcode slabGeometry}. */
export interface SlabGeometryOptions {
  /** Requested alignment in bytes (0 = none). */
  align?: number;
  /** {@linkcode SlabFlag} bits. */
  flags?: number;
  /** Has a constructor (free pointer moves outside the object). */
  ctor?: boolean;
  /** Present CPUs (num_present_cpus; 1 means "use possible CPUs" in the kernel). */
  nrCpus: number;
  /** slab_min_objects= (0 = automatic). */
  slubMinObjects?: number;
  /** slab_max_order= (default 3). */
  slubMaxOrder?: number;
  /** slab_min_order= (default 0). */
  slubMinOrder?: number;
  pageSizeBytes?: number;
}

/** Result of {@linkcode slabGeometry}. */
export interface SlabGeometry {
  /** Object size the slab is laid out with (`s->size`, = trace `bytes_alloc`). */
  sizeBytes: number;
  /** Alignment actually used. */
  alignBytes: number;
  /** Preferred slab order (`s->oo`). */
  order: number;
  /** Objects in a slab of the preferred order. */
  objsPerSlab: number;
  /** Fallback order when the preferred one cannot be allocated (`s->min` = get_order(size)). */
  minOrder: number;
  /** Objects in a fallback slab. */
  minObjsPerSlab: number;
}

/**
 * Smallest order whose block holds `bytes` (include/asm-generic/getorder.h).
 *
 * @example
 * ```ts
 * import { getOrder } from "./slab_geometry.ts";
 * getOrder(4096); // 0
 * getOrder(4097); // 1
 * ```
 */
export function getOrder(bytes: number, pageSizeBytes = PAGE_SIZE_4K_BYTES): number {
  let order = 0;
  while (pageSizeBytes * 2 ** order < bytes) order++;
  return order;
}

/** fls(): 1-based index of the highest set bit, 0 for 0 (include/asm-generic/bitops/fls.h). */
export function fls(x: number): number {
  return x <= 0 ? 0 : 32 - Math.clz32(x);
}

/**
 * `calculate_alignment` (mm/slab_common.c): HWCACHE_ALIGN uses the cache line, halved while
 * the object fits twice; never below ARCH_SLAB_MINALIGN; rounded to a word.
 *
 * @example
 * ```ts
 * import { calculateAlignment, SlabFlag } from "./slab_geometry.ts";
 * calculateAlignment(SlabFlag.HWCACHE_ALIGN, 0, 24); // 32
 * ```
 */
export function calculateAlignment(flags: number, align: number, sizeBytes: number): number {
  if (flags & SlabFlag.HWCACHE_ALIGN) {
    let ralign = X86_L1_CACHE_BYTES;
    while (sizeBytes <= ralign / 2) ralign /= 2;
    align = Math.max(align, ralign);
  }
  align = Math.max(align, ARCH_SLAB_MINALIGN_BYTES);
  return alignUp(align, POINTER_SIZE_BYTES);
}

/**
 * `calculate_order` (mm/slub.c, ≥v6.8): the smallest order from the min_objects-derived minimum
 * up to slab_max_order whose leftover is at most 1/16, 1/8, 1/4, then 1/2 of the slab.
 *
 * @example
 * ```ts
 * import { calculateOrder } from "./slab_geometry.ts";
 * calculateOrder(1024, { nrCpus: 2 }); // 2 (12 objects need 12 KiB → order 2)
 * ```
 */
export function calculateOrder(sizeBytes: number, opts: SlabGeometryOptions): number {
  const page = opts.pageSizeBytes ?? PAGE_SIZE_4K_BYTES;
  const maxOrder = opts.slubMaxOrder ?? SLUB_MAX_ORDER_DEFAULT;
  const minOrderOpt = opts.slubMinOrder ?? SLUB_MIN_ORDER_DEFAULT;
  const orderObjects = (order: number) => Math.floor(page * 2 ** order / sizeBytes);
  let minObjects = opts.slubMinObjects ?? 0;
  if (minObjects === 0) {
    // The kernel falls back to nr_cpu_ids when only one CPU is present; callers pass that.
    minObjects = 4 * (fls(Math.max(1, opts.nrCpus)) + 1);
  }
  const maxObjects = Math.max(orderObjects(maxOrder), 1);
  minObjects = Math.min(minObjects, maxObjects);
  const minOrder = Math.max(minOrderOpt, getOrder(minObjects * sizeBytes, page));
  if (orderObjects(minOrder) > MAX_OBJS_PER_PAGE) {
    return getOrder(sizeBytes * MAX_OBJS_PER_PAGE, page) - 1;
  }
  for (const fraction of SLUB_ORDER_FRACTIONS) {
    let order = minOrder;
    for (; order <= maxOrder; order++) {
      const slabBytes = page * 2 ** order;
      if (slabBytes % sizeBytes <= slabBytes / fraction) break;
    }
    if (order <= maxOrder) return order;
  }
  const order = getOrder(sizeBytes, page);
  if (order <= MAX_PAGE_ORDER) return order;
  return -1;
}

/**
 * SLUB geometry of a cache created with `objectSizeBytes` (`kmem_cache_create` size), as
 * `calculate_sizes` + `calculate_order` compute it. Debug flags add the metadata of a
 * CONFIG_SLUB_DEBUG kernel without KASAN.
 *
 * @example
 * ```ts
 * import { slabGeometry } from "./slab_geometry.ts";
 * const g = slabGeometry(5840, { align: 64, nrCpus: 2 }); // task_struct
 * [g.sizeBytes, g.order, g.objsPerSlab]; // [5888, 3, 5]
 * ```
 */
export function slabGeometry(objectSizeBytes: number, opts: SlabGeometryOptions): SlabGeometry {
  if (!(objectSizeBytes > 0)) throw new RangeError(`object size must be > 0: ${objectSizeBytes}`);
  const page = opts.pageSizeBytes ?? PAGE_SIZE_4K_BYTES;
  const flags = opts.flags ?? 0;
  const alignBytes = calculateAlignment(flags, opts.align ?? 0, objectSizeBytes);
  let size = alignUp(objectSizeBytes, POINTER_SIZE_BYTES);
  // Red zoning needs a word after the object when the object fills its last word.
  if ((flags & SlabFlag.RED_ZONE) && size === objectSizeBytes) size += POINTER_SIZE_BYTES;
  const freeptrOutside = (flags & (SlabFlag.TYPESAFE_BY_RCU | SlabFlag.POISON)) !== 0 ||
    opts.ctor === true ||
    ((flags & SlabFlag.RED_ZONE) !== 0 && objectSizeBytes < POINTER_SIZE_BYTES);
  if (freeptrOutside) size += POINTER_SIZE_BYTES;
  if (flags & SlabFlag.STORE_USER) {
    size += 2 * SLUB_TRACK_SIZE_BYTES;
    if (flags & SlabFlag.KMALLOC) size += UINT_SIZE_BYTES;
  }
  if (flags & SlabFlag.RED_ZONE) size += alignUp(POINTER_SIZE_BYTES, alignBytes);
  size = alignUp(size, alignBytes);
  const order = calculateOrder(size, opts);
  if (order < 0) throw new RangeError(`object of ${size} bytes does not fit a slab`);
  const minOrder = getOrder(size, page);
  return {
    sizeBytes: size,
    alignBytes,
    order,
    objsPerSlab: Math.floor(page * 2 ** order / size),
    minOrder,
    minObjsPerSlab: Math.floor(page * 2 ** minOrder / size),
  };
}

/** True when `flags` carry SLUB debug options (no cpu partial lists then). */
export function hasDebugFlags(flags: number): boolean {
  return (flags & DEBUG_FLAGS) !== 0;
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
