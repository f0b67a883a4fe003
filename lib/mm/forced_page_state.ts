/**
 * The one door through which a replay sets page state the kernel API cannot express: the
 * faithful replay makes the emulator agree with the trace's pfns, the policy replay synthesises
 * a snapshot's layout. Obtained with `PageAllocator.withForcedState`; reads go through the
 * allocator's read-only views.
 *
 * @module
 */

import { MIGRATE_TYPES } from "../kernel/constants.ts";
import type { FreeLists } from "./free_lists.ts";
import type { FreePath } from "./free_path.ts";
import { PageState, type PageWords } from "./page_words.ts";
import type { Zone } from "./zone.ts";

/** Page-state writes for replays (see module doc). */
export interface ForcedPageState {
  /**
   * Detaches whatever covers [pfn, pfn + 2^order) so it becomes one detached block: a larger
   * containing block is split (pieces keep their state; buddy pieces go to free list `buddyMt`,
   * or their own when -1 — `expand` when pfn is the block's lowest part), smaller blocks inside
   * are absorbed. Returns a bit mask (1 << state) of the states that covered the range.
   */
  carve(pfn: number, order: number, buddyMt?: number): number;
  /** Marks a detached head allocated with a migratetype and {@linkcode AllocPageFlag}s. */
  setAllocated(pfn: number, order: number, mt: number, flags?: number): void;
  /** Marks a detached head as a hole (not managed). */
  setHole(pfn: number, order: number): void;
  /** Carves a block and puts it at the tail of a free list, without merging. */
  placeFree(zone: number, pfn: number, order: number, mt: number): void;
  /** Carves a block and puts it at the head of a free list, without merging. */
  locateFree(zone: number, pfn: number, order: number, mt: number): void;
  /** Puts a detached block on a CPU's pcp list (head, or tail for refills). */
  pcpAdd(zone: number, cpu: number, pfn: number, order: number, mt: number, toTail: boolean): void;
  /** `__free_one_page`: frees a detached block into buddy with merging. */
  freeToBuddy(zone: number, pfn: number, order: number, mt: number): void;
  /** Frees a detached block like `free_frozen_pages`; `autoDrain` false skips the pcp high check. */
  freeDetached(pfn: number, order: number, cpu: number, autoDrain: boolean): void;
  /** Retypes pageblock(s) of pfn, moving their located free blocks; returns free pages moved. */
  retypePageblocks(pfn: number, order: number, mt: number): number;
  /** Sets one pageblock's migratetype (no list changes: for layouts being built). */
  setPageblockMt(pageblock: number, mt: number): void;
  /**
   * Adds (negative: removes) free blocks of (order, mt) known only by count, not on any list:
   * the zone's free counts include them, its lists do not.
   */
  countUnlocated(zone: number, order: number, mt: number, blocks: number): void;
  /** Adds (negative: removes) pcp pages of a CPU known only by count. */
  countUnlocatedPcp(zone: number, cpu: number, pages: number): void;
  /** Sets a zone's watermarks (from an mm_setup_per_zone_wmarks event or a snapshot). */
  setWatermarks(
    zone: number,
    minPages: number,
    lowPages: number,
    highPages: number,
    promoPages: number,
  ): void;
  /** Sets lowmem_reserve of a zone against allocations aimed at `upperType`. */
  setLowmemReserve(zone: number, upperType: number, pages: number): void;
  /** Updates min-free and watermark-breach history of a zone after a change. */
  noteFree(zone: number): void;
  /** Forgets min-free and breach history (after seeding, before the replay proper). */
  resetHistory(): void;
}

/** {@linkcode ForcedPageState} over an allocator's internals (built by the allocator). */
export class ForcedState implements ForcedPageState {
  constructor(
    readonly pages: PageWords,
    readonly lists: FreeLists,
    readonly zones: readonly Zone[],
    readonly free: FreePath,
  ) {}

  carve(pfn: number, order: number, buddyMt = -1): number {
    return this.lists.carve(pfn, order, buddyMt);
  }

  setAllocated(pfn: number, order: number, mt: number, flags = 0): void {
    this.pages.setAllocated(pfn, order, mt, flags);
  }

  setHole(pfn: number, order: number): void {
    this.pages.setHead(pfn, PageState.HOLE, order, 0);
  }

  placeFree(zone: number, pfn: number, order: number, mt: number): void {
    this.lists.carve(pfn, order);
    this.lists.addFree(this.zones[zone]!, pfn, order, mt, true);
  }

  locateFree(zone: number, pfn: number, order: number, mt: number): void {
    this.lists.carve(pfn, order);
    this.lists.addFree(this.zones[zone]!, pfn, order, mt, false);
  }

  pcpAdd(zone: number, cpu: number, pfn: number, order: number, mt: number, toTail: boolean): void {
    this.lists.addPcp(this.zones[zone]!, cpu % this.lists.cpus, pfn, order, mt, toTail);
  }

  freeToBuddy(zone: number, pfn: number, order: number, mt: number): void {
    this.lists.freeToBuddy(zone, pfn, order, mt);
  }

  freeDetached(pfn: number, order: number, cpu: number, autoDrain: boolean): void {
    this.free.freeDetached(pfn, order, cpu % this.lists.cpus, autoDrain);
  }

  retypePageblocks(pfn: number, order: number, mt: number): number {
    return this.lists.retypePageblocks(pfn, order, mt);
  }

  setPageblockMt(pageblock: number, mt: number): void {
    this.pages.pageblockMt[pageblock] = mt;
  }

  countUnlocated(zone: number, order: number, mt: number, blocks: number): void {
    const z = this.zones[zone]!;
    z.unlocated[order * MIGRATE_TYPES + mt]! += blocks;
    z.countFree(order, mt, blocks);
  }

  countUnlocatedPcp(zone: number, cpu: number, pages: number): void {
    const z = this.zones[zone]!;
    const c = cpu % this.lists.cpus;
    z.pcpUnlocated[c]! += pages;
    z.pcpCount[c]! += pages;
  }

  setWatermarks(
    zone: number,
    minPages: number,
    lowPages: number,
    highPages: number,
    promoPages: number,
  ): void {
    const z = this.zones[zone]!;
    z.wmarkMin = minPages;
    z.wmarkLow = lowPages;
    z.wmarkHigh = highPages;
    z.wmarkPromo = promoPages;
  }

  setLowmemReserve(zone: number, upperType: number, pages: number): void {
    this.zones[zone]!.protection[upperType] = pages;
  }

  noteFree(zone: number): void {
    this.zones[zone]!.noteFree();
  }

  resetHistory(): void {
    for (const z of this.zones) z.resetHistory();
  }
}
