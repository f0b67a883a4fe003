/**
 * GFP → highest zone and GFP → alloc flags, as the page allocator derives them
 * (include/linux/gfp.h `gfp_zone` / GFP_ZONE_TABLE; mm/page_alloc.c `gfp_to_alloc_flags`,
 * `alloc_flags_nofragment`).
 *
 * @module
 */

import { AllocFlag } from "../kernel/constants.ts";
import { GFP } from "../kernel/gfp_flags.ts";
import { ZoneType } from "./machine_spec.ts";

/**
 * `gfp_zone`: the highest zone type an allocation may use. Zone modifiers of zones the kernel was
 * built without fall back to Normal (OPT_ZONE_DMA etc.); invalid combinations return -1.
 *
 * @example
 * ```ts
 * import { gfpZoneType } from "./gfp_zone.ts";
 * import { GFP } from "../kernel/gfp_flags.ts";
 * gfpZoneType(GFP.HIGHMEM | GFP.MOVABLE, [0, 1, 2, 4]); // 4 (ZONE_MOVABLE)
 * gfpZoneType(GFP.HIGHMEM, [0, 1, 2, 4]); // 2 (no HighMem on 64-bit)
 * ```
 */
export function gfpZoneType(gfp: number, configuredZoneTypes: readonly number[]): number {
  const has = (t: number) => configuredZoneTypes.includes(t);
  const dma = (gfp & GFP.DMA) !== 0;
  const dma32 = (gfp & GFP.DMA32) !== 0;
  const high = (gfp & GFP.HIGHMEM) !== 0;
  const movable = (gfp & GFP.MOVABLE) !== 0;
  if ((dma ? 1 : 0) + (dma32 ? 1 : 0) + (high ? 1 : 0) > 1) return -1;
  if (dma) return has(ZoneType.DMA) ? ZoneType.DMA : ZoneType.NORMAL;
  if (dma32) return has(ZoneType.DMA32) ? ZoneType.DMA32 : ZoneType.NORMAL;
  if (high && movable) return ZoneType.MOVABLE;
  if (high) return has(ZoneType.HIGHMEM) ? ZoneType.HIGHMEM : ZoneType.NORMAL;
  return ZoneType.NORMAL;
}

/**
 * Slow-path alloc flags (`gfp_to_alloc_flags`, ≥v6.3): MIN watermark; __GFP_HIGH → MIN_RESERVE;
 * no direct reclaim and not __GFP_NOMEMALLOC → NON_BLOCK (+HIGHATOMIC for order > 0);
 * __GFP_KSWAPD_RECLAIM → KSWAPD.
 *
 * @example
 * ```ts
 * import { gfpToAllocFlags } from "./gfp_zone.ts";
 * import { GFP } from "../kernel/gfp_flags.ts";
 * gfpToAllocFlags(GFP.HIGH | GFP.KSWAPD_RECLAIM, 0); // 0x830 (MIN_RESERVE|NON_BLOCK|KSWAPD)
 * ```
 */
export function gfpToAllocFlags(gfp: number, order: number): number {
  let flags = AllocFlag.WMARK_MIN | AllocFlag.CPUSET;
  if (gfp & GFP.HIGH) flags |= AllocFlag.MIN_RESERVE;
  if (gfp & GFP.KSWAPD_RECLAIM) flags |= AllocFlag.KSWAPD;
  if (!(gfp & GFP.DIRECT_RECLAIM) && !(gfp & GFP.NOMEMALLOC)) {
    flags |= AllocFlag.NON_BLOCK;
    if (order > 0) flags |= AllocFlag.HIGHATOMIC;
    flags &= ~AllocFlag.CPUSET;
  }
  return flags;
}
