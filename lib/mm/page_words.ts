/**
 * Page descriptors as typed arrays (no object per page or block):
 * - one 32-bit word per emulated pfn: state (3 bits: unknown, buddy, pcp, allocated, hole,
 *   detached, tail), order (4 bits) and a 25-bit payload. Every pfn range is partitioned into
 *   naturally aligned blocks; only a block's first page (its head) holds state, the others are
 *   TAIL. A buddy or pcp head's payload is a *slot* number (see free_lists.ts); an allocated
 *   head's payload holds its migratetype, compound / pre-existing / slab flags and a refcount.
 * - one byte per pageblock for the migratetype and one for the zone.
 *
 * @module
 */

import { MigrateType } from "../kernel/constants.ts";
import { MmInvariantError } from "./mm_invariant_error.ts";

/** Block states stored in the low 3 bits of a head page's word. */
export const PageState = {
  /** Never seen by the trace (faithful replay) — may be free or allocated. */
  UNKNOWN: 0,
  /** Free, on a buddy free list. */
  BUDDY: 1,
  /** Free, on a per-cpu list. */
  PCP: 2,
  /** Allocated. */
  ALLOC: 3,
  /** Not managed by the allocator (hole, reserved, outside every zone). */
  HOLE: 4,
  /** Transient: just carved out, about to get its final state. */
  DETACHED: 5,
  /** Not a head: part of the block whose head is the nearest aligned head below. */
  TAIL: 7,
} as const;
/** A block state number. */
export type PageState = typeof PageState[keyof typeof PageState];

/** Flags in an allocated head's payload. */
export const AllocPageFlag = {
  /** __GFP_COMP: a compound page (head + tails). */
  COMPOUND: 1 << 10,
  /** Allocated before the replay started (seeded from a snapshot). */
  PREEXISTING: 1 << 11,
  /** Used by a slab. */
  SLAB: 1 << 12,
} as const;

/** Word layout (mm-internal). */
export const STATE_MASK = 7;
export const ORDER_SHIFT = 3;
export const ORDER_MASK = 0xf;
export const PAYLOAD_SHIFT = 7;
export const MT_MASK = 7;
export const REFCOUNT_SHIFT = 13;
export const TAIL_WORD = PageState.TAIL;
/** pageblockZone value of a pageblock outside every zone. */
export const NO_ZONE = 255;

/** The pfn range of a zone, as page words need it. */
export interface ZoneRange {
  readonly index: number;
  readonly startPfn: number;
  readonly endPfn: number;
}

/**
 * The page words and pageblock bytes of one machine, with the reads every layer needs.
 *
 * @example
 * ```ts
 * import { PageState, PageWords } from "./page_words.ts";
 * const w = new PageWords(2048, 10, 9, [{ index: 0, startPfn: 0, endPfn: 2048 }]);
 * w.partition(0, 2048, PageState.HOLE);
 * w.headOf(1500); // 1024
 * ```
 */
export class PageWords {
  /** Page words (see module doc). */
  readonly words: Uint32Array;
  /** Migratetype of each pageblock. */
  readonly pageblockMt: Uint8Array;
  /** Zone index of each pageblock (255 = none). */
  readonly pageblockZone: Uint8Array;
  readonly pageblockPages: number;

  constructor(
    /** One past the highest emulated pfn (a multiple of the max-order block). */
    readonly endPfn: number,
    readonly maxOrder: number,
    readonly pageblockOrder: number,
    readonly zones: readonly ZoneRange[],
  ) {
    this.pageblockPages = 1 << pageblockOrder;
    this.words = new Uint32Array(endPfn);
    this.words.fill(TAIL_WORD);
    const nBlocks = endPfn / this.pageblockPages;
    this.pageblockMt = new Uint8Array(nBlocks).fill(MigrateType.MOVABLE);
    this.pageblockZone = new Uint8Array(nBlocks).fill(NO_ZONE);
    // Zone ownership per pageblock (first zone wins on a shared edge pageblock).
    for (const z of zones) {
      const first = Math.floor(z.startPfn / this.pageblockPages);
      const last = Math.ceil(z.endPfn / this.pageblockPages);
      for (let b = first; b < last; b++) {
        if (this.pageblockZone[b] === NO_ZONE) this.pageblockZone[b] = z.index;
      }
    }
  }

  /** Zone index of a pfn, or -1 outside every zone. */
  zoneOf(pfn: number): number {
    if (pfn < 0 || pfn >= this.endPfn) return -1;
    const zi = this.pageblockZone[pfn >>> this.pageblockOrder]!;
    if (zi === NO_ZONE) return -1;
    const z = this.zones[zi]!;
    if (pfn >= z.startPfn && pfn < z.endPfn) return zi;
    for (const o of this.zones) if (pfn >= o.startPfn && pfn < o.endPfn) return o.index;
    return -1;
  }

  /** Head pfn of the block containing `pfn` (-1 outside the emulated range). */
  headOf(pfn: number): number {
    if (pfn < 0 || pfn >= this.endPfn) return -1;
    const w = this.words;
    if ((w[pfn]! & STATE_MASK) !== TAIL_WORD) return pfn;
    for (let k = 1; k <= this.maxOrder; k++) {
      const base = pfn & ~((1 << k) - 1);
      const x = w[base]!;
      if ((x & STATE_MASK) !== TAIL_WORD) {
        if (((x >>> ORDER_SHIFT) & ORDER_MASK) >= k) return base;
        break;
      }
    }
    throw new MmInvariantError("no-head", `pfn ${pfn} belongs to no block`);
  }

  /** State of a head ({@linkcode PageState}). */
  stateAt(head: number): number {
    return this.words[head]! & STATE_MASK;
  }

  /** Order of a head. */
  orderAt(head: number): number {
    return (this.words[head]! >>> ORDER_SHIFT) & ORDER_MASK;
  }

  /** Migratetype an allocated head was requested with. */
  allocMtAt(head: number): number {
    return (this.words[head]! >>> PAYLOAD_SHIFT) & MT_MASK;
  }

  /** Allocated-head flags ({@linkcode AllocPageFlag}) and refcount of an allocated head. */
  allocFlagsAt(
    head: number,
  ): { compound: boolean; preexisting: boolean; slab: boolean; refcount: number } {
    const w = this.words[head]!;
    return {
      compound: (w & AllocPageFlag.COMPOUND) !== 0,
      preexisting: (w & AllocPageFlag.PREEXISTING) !== 0,
      slab: (w & AllocPageFlag.SLAB) !== 0,
      refcount: w >>> REFCOUNT_SHIFT,
    };
  }

  /** Pageblock migratetype of a pfn. */
  pageblockMtOf(pfn: number): number {
    return this.pageblockMt[pfn >>> this.pageblockOrder]!;
  }

  /** Greedy aligned partition of [start, end) into blocks of one state (no list membership). */
  partition(start: number, end: number, state: number): void {
    let p = start;
    while (p < end) {
      let o = this.maxOrder;
      while (o > 0 && ((p & ((1 << o) - 1)) !== 0 || p + (1 << o) > end)) o--;
      this.words[p] = state | (o << ORDER_SHIFT);
      p += 1 << o;
    }
  }

  /** Sets a detached head's state (no list). */
  setHead(pfn: number, state: number, order: number, payload: number): void {
    this.words[pfn] = state | (order << ORDER_SHIFT) | payload;
  }

  /** Marks a detached or carved head allocated with the requested migratetype and flags. */
  setAllocated(pfn: number, order: number, mt: number, flags = 0): void {
    this.words[pfn] = PageState.ALLOC | (order << ORDER_SHIFT) | ((mt & MT_MASK) << PAYLOAD_SHIFT) |
      flags | (1 << REFCOUNT_SHIFT);
  }

  /** Marks a head detached (carved out, off every list). */
  detach(pfn: number, order: number): void {
    this.words[pfn] = PageState.DETACHED | (order << ORDER_SHIFT);
  }

  /** Sets the migratetype of the pageblocks a block of `order` at `pfn` covers (at least one). */
  changePageblockRange(pfn: number, order: number, mt: number): void {
    const pbOrder = this.pageblockOrder;
    const first = pfn >>> pbOrder;
    const n = order >= pbOrder ? 1 << (order - pbOrder) : 1;
    for (let b = first; b < first + n; b++) this.pageblockMt[b] = mt;
  }

  /** Bytes held by page words and pageblock bytes. */
  get memoryBytes(): number {
    return this.words.byteLength + this.pageblockMt.byteLength + this.pageblockZone.byteLength;
  }
}
