/**
 * kmalloc size classes and cache families (include/linux/slab.h, mm/slab_common.c):
 * `kmalloc_index`, `kmalloc_type` and the cache names /proc/slabinfo shows.
 *
 * @module
 */

import { GFP } from "../kernel/gfp_flags.ts";
import {
  KMALLOC_MAX_CACHE_SIZE_BYTES,
  KMALLOC_MIN_SIZE_BYTES,
  KMALLOC_SIZES_BYTES,
  KMALLOC_SMALL_LIMIT_BYTES,
} from "../kernel/constants.ts";

/** kmalloc cache families (enum kmalloc_cache_type, without the random copies). */
export type KmallocType = "normal" | "dma" | "rcl" | "cg";

/** Name prefixes per family as in mm/slab_common.c `kmalloc_info`. */
const PREFIX: Record<KmallocType, string> = {
  normal: "kmalloc-",
  dma: "dma-kmalloc-",
  rcl: "kmalloc-rcl-",
  cg: "kmalloc-cg-",
};

/**
 * `kmalloc_type`: __GFP_DMA first, then __GFP_RECLAIMABLE, then __GFP_ACCOUNT (memcg built in).
 *
 * @example
 * ```ts
 * import { kmallocType } from "./kmalloc_caches.ts";
 * import { GFP } from "../kernel/gfp_flags.ts";
 * kmallocType(GFP.ACCOUNT | GFP.RECLAIMABLE); // "rcl"
 * ```
 */
export function kmallocType(gfp: number): KmallocType {
  if (gfp & GFP.DMA) return "dma";
  if (gfp & GFP.RECLAIMABLE) return "rcl";
  if (gfp & GFP.ACCOUNT) return "cg";
  return "normal";
}

/**
 * Size of the kmalloc cache serving `bytes` (`kmalloc_index` → `kmalloc_size`), or 0 when the
 * request is above KMALLOC_MAX_CACHE_SIZE (page allocator) or 0 bytes (ZERO_SIZE_PTR).
 *
 * @example
 * ```ts
 * import { kmallocClassBytes } from "./kmalloc_caches.ts";
 * [kmallocClassBytes(65), kmallocClassBytes(129), kmallocClassBytes(193)]; // [96, 192, 256]
 * ```
 */
export function kmallocClassBytes(bytes: number): number {
  if (bytes <= 0 || bytes > KMALLOC_MAX_CACHE_SIZE_BYTES) return 0;
  if (bytes <= KMALLOC_SMALL_LIMIT_BYTES) {
    for (const s of KMALLOC_SIZES_BYTES) if (s >= bytes) return s;
  }
  // fls(size - 1) above 192: powers of two.
  return Math.max(KMALLOC_MIN_SIZE_BYTES, 2 ** Math.ceil(Math.log2(bytes)));
}

/**
 * Name of a kmalloc cache as /proc/slabinfo prints it (`kmalloc-96`, `kmalloc-cg-1k`, …).
 *
 * @example
 * ```ts
 * import { kmallocCacheName } from "./kmalloc_caches.ts";
 * kmallocCacheName(2048, "dma"); // "dma-kmalloc-2k"
 * ```
 */
export function kmallocCacheName(classBytes: number, type: KmallocType): string {
  const size = classBytes >= 1024 ? `${classBytes / 1024}k` : `${classBytes}`;
  return PREFIX[type] + size;
}

/**
 * Family and class of a kmalloc cache name, or null for other names.
 *
 * @example
 * ```ts
 * import { parseKmallocCacheName } from "./kmalloc_caches.ts";
 * parseKmallocCacheName("kmalloc-rcl-8k"); // { type: "rcl", classBytes: 8192 }
 * ```
 */
export function parseKmallocCacheName(
  name: string,
): { type: KmallocType; classBytes: number } | null {
  const m = /^(dma-kmalloc-|kmalloc-rcl-|kmalloc-cg-|kmalloc-)(\d+)(k?)$/.exec(name);
  if (!m) return null;
  const type = (Object.keys(PREFIX) as KmallocType[]).find((t) => PREFIX[t] === m[1])!;
  const classBytes = Number(m[2]) * (m[3] === "k" ? 1024 : 1);
  return kmallocClassBytes(classBytes) === classBytes ? { type, classBytes } : null;
}
