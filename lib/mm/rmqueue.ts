/**
 * The allocation path of the policy allocator (mm/page_alloc.c `get_page_from_freelist`,
 * `rmqueue`, `__rmqueue_smallest`, `__rmqueue_claim`, `__rmqueue_steal`, `rmqueue_pcplist`,
 * `reserve_highatomic_pageblock`): which block a request gets, and the fallbacks, claims,
 * steals and highatomic reserves that produces.
 *
 * @module
 */

import {
  AllocFlag,
  MIGRATE_TYPES,
  MigrateType,
  PCP_BATCH_SCALE_MAX,
  WATERMARK_BOOST_FACTOR_DEFAULT,
  WATERMARK_FACTOR_DENOMINATOR,
} from "../kernel/constants.ts";
import { GFP } from "../kernel/gfp_flags.ts";
import type { FreeLists } from "./free_lists.ts";
import type { MachineSpec } from "./machine_spec.ts";
import {
  AllocPageFlag,
  MT_MASK,
  ORDER_MASK,
  ORDER_SHIFT,
  PageState,
  type PageWords,
  PAYLOAD_SHIFT,
  STATE_MASK,
} from "./page_words.ts";
import type { Zone } from "./zone.ts";

/** Counters of policy-mode decisions (what the emulated kernel did on its own). */
export interface AllocatorStats {
  /** Migratetype fallbacks (would-be mm_page_alloc_extfrag). */
  fallbacks: number;
  /** Fallbacks with fallback_order < pageblock_order. */
  fallbacksFragmenting: number;
  /** Fallbacks per `alloc_mt * MIGRATE_TYPES + fallback_mt`. */
  fallbacksByType: Float64Array;
  /** Whole-block claims (pageblock retyped) and single-block steals. */
  claims: number;
  steals: number;
  /** Allocation failures per order. */
  failuresByOrder: Float64Array;
  /** Pages drained from pcp lists to buddy. */
  pcpDrainedPages: number;
  /** Pageblocks turned MIGRATE_HIGHATOMIC. */
  highatomicReserved: number;
}

/**
 * Called on every emulated migratetype fallback (a would-be mm_page_alloc_extfrag): zone index,
 * requested and fallback order, requested and fallback migratetype, and whether the pageblock
 * was claimed (retyped) or a block stolen.
 */
export type FallbackHook = (
  zone: number,
  allocOrder: number,
  fallbackOrder: number,
  mt: number,
  fallbackMt: number,
  claimed: boolean,
) => void;

/** Fallback table (mm/page_alloc.c `fallbacks`). */
const FALLBACKS: ReadonlyArray<readonly number[]> = [
  [MigrateType.RECLAIMABLE, MigrateType.MOVABLE],
  [MigrateType.RECLAIMABLE, MigrateType.UNMOVABLE],
  [MigrateType.UNMOVABLE, MigrateType.MOVABLE],
];

/** The allocation path over one machine's zones and lists. */
export class Rmqueue {
  readonly stats: AllocatorStats;
  readonly #maxOrder: number;
  readonly #pbOrder: number;
  readonly #pbPages: number;

  constructor(
    readonly spec: MachineSpec,
    readonly pages: PageWords,
    readonly lists: FreeLists,
    readonly zones: readonly Zone[],
    /** Zone indices in zonelist order. */
    readonly zonelist: readonly number[],
    readonly onFallback: FallbackHook | null,
  ) {
    this.#maxOrder = pages.maxOrder;
    this.#pbOrder = pages.pageblockOrder;
    this.#pbPages = pages.pageblockPages;
    this.stats = {
      fallbacks: 0,
      fallbacksFragmenting: 0,
      fallbacksByType: new Float64Array(MIGRATE_TYPES * MIGRATE_TYPES),
      claims: 0,
      steals: 0,
      failuresByOrder: new Float64Array(pages.maxOrder + 1),
      pcpDrainedPages: 0,
      highatomicReserved: 0,
    };
  }

  /** One zonelist pass of `get_page_from_freelist`; returns pfn or -1. */
  getPageFromFreelist(
    gfp: number,
    order: number,
    mt: number,
    highest: number,
    flags: number,
    cpu: number,
  ): number {
    for (const zi of this.zonelist) {
      const z = this.zones[zi]!;
      if (z.type > highest || z.managedPages === 0) continue;
      if (!(flags & AllocFlag.NO_WATERMARKS)) {
        const mark = z.wmarkPages(flags);
        if (!this.#watermarkFast(z, order, mark, highest, flags, gfp)) continue;
      }
      const pfn = this.#rmqueueZone(z, cpu, order, mt, flags);
      if (pfn >= 0) {
        if ((flags & AllocFlag.HIGHATOMIC) && order > 0) this.#reserveHighatomic(z, pfn);
        this.pages.setAllocated(
          pfn,
          order,
          mt,
          (gfp & GFP.COMP) && order > 0 ? AllocPageFlag.COMPOUND : 0,
        );
        z.noteFree();
        if (z.boost > 0 && z.freePages > z.wmarkHigh + z.boost) z.boost = 0;
        return pfn;
      }
    }
    return -1;
  }

  /** `zone_watermark_fast`. */
  #watermarkFast(
    z: Zone,
    order: number,
    mark: number,
    highest: number,
    flags: number,
    gfp: number,
  ): boolean {
    if (z.watermarkOk(order, mark, highest, flags, z.freePages, this.#maxOrder)) return true;
    // __GFP_HIGH order-0 at the min mark retries ignoring the boost.
    if (
      order === 0 && (flags & AllocFlag.MIN_RESERVE) && z.boost > 0 &&
      (flags & AllocFlag.WMARK_MASK) === AllocFlag.WMARK_MIN && (gfp & GFP.HIGH)
    ) {
      return z.watermarkOk(order, z.wmarkMin, highest, flags, z.freePages, this.#maxOrder);
    }
    return false;
  }

  #rmqueueSmallest(z: Zone, order: number, mt: number): number {
    for (let o = order; o <= this.#maxOrder; o++) {
      const pfn = this.lists.firstPfn(this.lists.buddyList(z.index, o, mt));
      if (pfn < 0) continue;
      this.lists.carve(pfn, order);
      return pfn;
    }
    return -1;
  }

  /** `find_suitable_fallback`: -1 none, -2 too small to claim. */
  #findFallback(z: Zone, order: number, mt: number, claimable: boolean): number {
    if (claimable && !this.#shouldTryClaim(order, mt)) return -2;
    const fb = FALLBACKS[mt];
    if (!fb) return -1;
    const row = order * MIGRATE_TYPES;
    for (const f of fb) if (z.nrFree[row + f]! - z.unlocated[row + f]! > 0) return f;
    return -1;
  }

  #shouldTryClaim(order: number, mt: number): boolean {
    if (order >= this.#pbOrder) return true;
    if (order >= this.#pbOrder >> 1) return true;
    if (mt === MigrateType.RECLAIMABLE || mt === MigrateType.UNMOVABLE) return true;
    return !this.spec.mobilityGrouping;
  }

  #recordFallback(
    z: Zone,
    allocOrder: number,
    fallbackOrder: number,
    mt: number,
    fallbackMt: number,
    claimed: boolean,
  ): void {
    this.onFallback?.(z.index, allocOrder, fallbackOrder, mt, fallbackMt, claimed);
    const s = this.stats;
    s.fallbacks++;
    if (fallbackOrder < this.#pbOrder) s.fallbacksFragmenting++;
    s.fallbacksByType[mt * MIGRATE_TYPES + fallbackMt]!++;
  }

  #rmqueueClaim(z: Zone, order: number, mt: number, flags: number): number {
    let minOrder = order;
    if (order < this.#pbOrder && (flags & AllocFlag.NOFRAGMENT)) minOrder = this.#pbOrder;
    for (let o = this.#maxOrder; o >= minOrder; o--) {
      const fb = this.#findFallback(z, o, mt, true);
      if (fb === -1) continue;
      if (fb === -2) break;
      const pfn = this.lists.firstPfn(this.lists.buddyList(z.index, o, fb));
      const got = this.#tryClaimBlock(z, pfn, o, order, mt, fb);
      if (got >= 0) {
        this.#recordFallback(z, order, o, mt, fb, true);
        this.stats.claims++;
        return got;
      }
    }
    return -1;
  }

  #tryClaimBlock(
    z: Zone,
    pfn: number,
    currentOrder: number,
    order: number,
    mt: number,
    blockMt: number,
  ): number {
    const lists = this.lists;
    const pbPages = this.#pbPages;
    if (currentOrder >= this.#pbOrder) {
      lists.delFree(pfn);
      this.pages.changePageblockRange(pfn, currentOrder, mt);
      lists.addFree(z, pfn, currentOrder, mt, false);
      lists.carve(pfn, order, mt);
      return pfn;
    }
    this.#boostWatermark(z);
    const start = pfn & ~(pbPages - 1);
    if (start < z.startPfn || start + pbPages > z.endPfn) return -1;
    let free = 0;
    let movable = 0;
    const w = this.pages.words;
    for (let q = start; q < start + pbPages;) {
      const h = this.pages.headOf(q);
      const x = w[h]!;
      const o = (x >>> ORDER_SHIFT) & ORDER_MASK;
      const st = x & STATE_MASK;
      const n = Math.min(1 << o, start + pbPages - q);
      if (st === PageState.BUDDY) free += n;
      else if (
        st === PageState.ALLOC && ((x >>> PAYLOAD_SHIFT) & MT_MASK) === MigrateType.MOVABLE
      ) {
        movable += n;
      }
      q = h + (1 << o);
    }
    let alike: number;
    if (mt === MigrateType.MOVABLE) alike = movable;
    else if (blockMt === MigrateType.MOVABLE) alike = pbPages - (free + movable);
    else alike = 0;
    if (free + alike >= pbPages >> 1 || !this.spec.mobilityGrouping) {
      lists.retypePageblocks(start, this.#pbOrder - 1, mt);
      return this.#rmqueueSmallest(z, order, mt);
    }
    return -1;
  }

  /** `boost_watermark`. */
  #boostWatermark(z: Zone): void {
    if (this.#pbPages * 4 > z.managedPages) return;
    let maxBoost = Math.floor(
      z.wmarkHigh * WATERMARK_BOOST_FACTOR_DEFAULT / WATERMARK_FACTOR_DENOMINATOR,
    );
    if (maxBoost === 0) return;
    maxBoost = Math.max(this.#pbPages, maxBoost);
    z.boost = Math.min(z.boost + this.#pbPages, maxBoost);
  }

  #rmqueueSteal(z: Zone, order: number, mt: number): number {
    for (let o = order; o <= this.#maxOrder; o++) {
      const fb = this.#findFallback(z, o, mt, false);
      if (fb < 0) continue;
      const pfn = this.lists.firstPfn(this.lists.buddyList(z.index, o, fb));
      this.lists.carve(pfn, order);
      this.#recordFallback(z, order, o, mt, fb, false);
      this.stats.steals++;
      return pfn;
    }
    return -1;
  }

  /** `__rmqueue` (no CMA): smallest of the type, then claim, then steal (not under NOFRAGMENT). */
  #rmqueue(z: Zone, order: number, mt: number, flags: number): number {
    let pfn = this.#rmqueueSmallest(z, order, mt);
    if (pfn >= 0) return pfn;
    if (!this.spec.mobilityGrouping) return -1;
    pfn = this.#rmqueueClaim(z, order, mt, flags);
    if (pfn >= 0) return pfn;
    if (!(flags & AllocFlag.NOFRAGMENT)) pfn = this.#rmqueueSteal(z, order, mt);
    return pfn;
  }

  /** `nr_pcp_alloc`: blocks to pull into an empty pcp list. */
  #nrPcpAlloc(z: Zone, cpu: number, order: number): number {
    const baseBatch = z.pcpBatch[cpu]!;
    const highMin = z.pcpHighMin[cpu]!;
    const highMax = z.pcpHighMax[cpu]!;
    let high = Math.min(Math.max(z.pcpHigh[cpu]!, highMin), highMax);
    z.pcpHigh[cpu] = high;
    if (high < baseBatch) return 1;
    let batch = order ? baseBatch : baseBatch << z.pcpAllocFactor[cpu]!;
    if (highMin !== highMax && z.freePages >= z.wmarkHigh) {
      high = Math.min(high + batch, highMax);
      z.pcpHigh[cpu] = high;
    }
    if (!order) {
      const maxNrAlloc = Math.max(high - z.pcpCount[cpu]! - baseBatch, baseBatch);
      if (batch <= maxNrAlloc && z.pcpAllocFactor[cpu]! < PCP_BATCH_SCALE_MAX) {
        z.pcpAllocFactor[cpu]!++;
      }
      batch = Math.min(batch, maxNrAlloc);
    }
    if (batch > 1) batch = Math.max(batch >> order, 2);
    return batch;
  }

  #rmqueuePcp(z: Zone, cpu: number, order: number, mt: number, flags: number): number {
    const lists = this.lists;
    const list = lists.pcpList(z.index, cpu, lists.pindex(order, mt));
    z.pcpFreeCount[cpu] = Math.floor(z.pcpFreeCount[cpu]! / 2);
    if (lists.listHead[list]! < 0) {
      const n = this.#nrPcpAlloc(z, cpu, order);
      for (let i = 0; i < n; i++) {
        const pfn = this.#rmqueue(z, order, mt, flags);
        if (pfn < 0) break;
        lists.addPcp(z, cpu, pfn, order, mt, true);
      }
    }
    const pfn = lists.firstPfn(list);
    if (pfn < 0) return -1;
    lists.delPcp(pfn);
    return pfn;
  }

  /** `rmqueue`: pcp for pcp orders, else buddy (HIGHATOMIC first for ALLOC_HIGHATOMIC). */
  #rmqueueZone(z: Zone, cpu: number, order: number, mt: number, flags: number): number {
    if (this.spec.pcpEnabled && this.lists.pcpAllowedOrder(order)) {
      const pfn = this.#rmqueuePcp(z, cpu, order, mt, flags);
      if (pfn >= 0) return pfn;
    }
    let pfn = -1;
    if (flags & AllocFlag.HIGHATOMIC) pfn = this.#rmqueueSmallest(z, order, MigrateType.HIGHATOMIC);
    if (pfn < 0) {
      pfn = this.#rmqueue(z, order, mt, flags);
      if (pfn < 0 && (flags & (AllocFlag.OOM | AllocFlag.NON_BLOCK))) {
        pfn = this.#rmqueueSmallest(z, order, MigrateType.HIGHATOMIC);
      }
    }
    return pfn;
  }

  /** `reserve_highatomic_pageblock`: up to 1% of the zone (+1 block) turns HIGHATOMIC. */
  #reserveHighatomic(z: Zone, pfn: number): void {
    const maxReserved = Math.floor(z.managedPages / 100) + this.#pbPages;
    if (z.reservedHighatomic >= maxReserved) return;
    const mt = this.pages.pageblockMtOf(pfn);
    if (mt === MigrateType.HIGHATOMIC || mt === MigrateType.ISOLATE || mt === MigrateType.CMA) {
      return;
    }
    this.lists.retypePageblocks(pfn, this.#pbOrder - 1, MigrateType.HIGHATOMIC);
    z.reservedHighatomic += this.#pbPages;
    this.stats.highatomicReserved++;
  }
}
