/**
 * The emulated Linux page allocator: page descriptors, zones, buddy free lists, per-cpu lists,
 * watermarks, and the classic `alloc_pages` / `free_pages` API (mm/page_alloc.c, v6.15+
 * semantics; reference §2).
 *
 * Memory layout (no object per page or block):
 * - one 32-bit word per emulated pfn: state (3 bits: unknown, buddy, pcp, allocated, hole,
 *   detached, tail), order (4 bits) and a 25-bit payload. Every pfn range is partitioned into
 *   naturally aligned blocks; only a block's first page (its head) holds state, the others are
 *   TAIL. A buddy or pcp head's payload is a *slot* number; an allocated head's payload holds
 *   its migratetype, compound / pre-existing / slab flags and a refcount.
 * - one byte per pageblock for the migratetype and one for the zone.
 * - slots (pfn, next, prev, list: 16 bytes) exist only for blocks on a free or pcp list, so list
 *   storage grows with the number of free blocks, not with memory size. Every free block's buddy
 *   holds a non-free page, so free blocks ≤ (non-free blocks) × orders.
 *
 * Free lists are intrusive doubly linked lists through the slots: `free_area[order][mt]` per zone
 * and the per-cpu lists `lists[pindex]` per (zone, CPU), with the kernel's head/tail discipline.
 *
 * Faithful replay additionally keeps *unlocated* free blocks: counts per (zone, order, mt) known
 * from a /proc snapshot whose pfns the trace has not revealed yet (see lib/replay/page_replay.ts).
 *
 * @module
 */

import {
  ALLOC_RESERVES,
  AllocFlag,
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  MigrateType,
  NR_LOWORDER_PCP_LISTS,
  NR_PCP_THP,
  PAGE_ALLOC_COSTLY_ORDER,
  PCP_BATCH_SCALE_MAX,
  WATERMARK_BOOST_FACTOR_DEFAULT,
  WATERMARK_FACTOR_DENOMINATOR,
  ZONE_NAMES,
} from "../kernel/constants.ts";
import { GFP, gfpMigratetype } from "../kernel/gfp_flags.ts";
import { MmInvariantError } from "../trace/diagnostics.ts";
import { gfpToAllocFlags, gfpZoneType } from "./gfp_zone.ts";
import { type MachineSpec, ZoneType } from "./machine_spec.ts";
import {
  computeLowmemReserve,
  computeWatermarks,
  defaultMinFreeKbytes,
  zoneBatchSize,
  zoneHighSize,
} from "./watermarks.ts";

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

const STATE_MASK = 7;
const ORDER_SHIFT = 3;
const ORDER_MASK = 0xf;
const PAYLOAD_SHIFT = 7;
const MT_MASK = 7;
const REFCOUNT_SHIFT = 13;
const TAIL_WORD = PageState.TAIL;
const MAX_SLOTS = 1 << 25;
const NO_ZONE = 255;

/** Read-only view of one zone's state, for reports and samplers. */
export interface ZoneView {
  readonly index: number;
  readonly node: number;
  /** Zone type index into ZONE_NAMES. */
  readonly type: number;
  readonly name: string;
  readonly startPfn: number;
  readonly endPfn: number;
  readonly presentPages: number;
  readonly managedPages: number;
  /** NR_FREE_PAGES: buddy free pages (located + unlocated), pcp pages excluded. */
  readonly freePages: number;
  /** Free blocks per `order * MIGRATE_TYPES + mt` (located + unlocated). */
  readonly nrFree: Float64Array;
  /** Part of {@linkcode nrFree} known only from a snapshot, pfns not yet seen. */
  readonly unlocated: Float64Array;
  readonly wmarkMin: number;
  readonly wmarkLow: number;
  readonly wmarkHigh: number;
  readonly wmarkPromo: number;
  readonly boost: number;
  /** lowmem_reserve by zone type. */
  readonly protection: number[];
  /** Pages on pcp lists per CPU (located + unlocated). */
  readonly pcpCount: Float64Array;
  /** Lowest freePages seen. */
  readonly minFreePages: number;
  /** Times free pages fell below the low / min watermark. */
  readonly breachLow: number;
  readonly breachMin: number;
  /** Policy allocations that failed the low-watermark fast path (kswapd would wake). */
  readonly kswapdWakes: number;
  /** Policy allocations that failed the min-watermark retry too (direct reclaim would run). */
  readonly directReclaims: number;
}

/** Mutable zone state (exported as {@linkcode ZoneView} only). */
class Zone implements ZoneView {
  freePages = 0;
  readonly nrFree: Float64Array;
  readonly unlocated: Float64Array;
  /** Free pages per migratetype (located + unlocated). */
  readonly freeByMt = new Float64Array(MIGRATE_TYPES);
  wmarkMin = 0;
  wmarkLow = 0;
  wmarkHigh = 0;
  wmarkPromo = 0;
  boost = 0;
  protection: number[] = [0, 0, 0, 0, 0];
  readonly pcpCount: Float64Array;
  readonly pcpUnlocated: Float64Array;
  readonly pcpHigh: Float64Array;
  readonly pcpBatch: Float64Array;
  readonly pcpHighMin: Float64Array;
  readonly pcpHighMax: Float64Array;
  readonly pcpAllocFactor: Uint8Array;
  readonly pcpFreeCount: Float64Array;
  minFreePages = Infinity;
  breachLow = 0;
  breachMin = 0;
  kswapdWakes = 0;
  directReclaims = 0;
  belowLow = false;
  belowMin = false;
  reservedHighatomic = 0;
  readonly name: string;
  constructor(
    readonly index: number,
    readonly node: number,
    readonly type: number,
    readonly startPfn: number,
    readonly endPfn: number,
    readonly presentPages: number,
    public managedPages: number,
    nrOrders: number,
    cpus: number,
  ) {
    this.name = ZONE_NAMES[type] ?? `zone${type}`;
    this.nrFree = new Float64Array(nrOrders * MIGRATE_TYPES);
    this.unlocated = new Float64Array(nrOrders * MIGRATE_TYPES);
    this.pcpCount = new Float64Array(cpus);
    this.pcpUnlocated = new Float64Array(cpus);
    this.pcpHigh = new Float64Array(cpus);
    this.pcpBatch = new Float64Array(cpus);
    this.pcpHighMin = new Float64Array(cpus);
    this.pcpHighMax = new Float64Array(cpus);
    this.pcpAllocFactor = new Uint8Array(cpus);
    this.pcpFreeCount = new Float64Array(cpus);
  }
}

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
 * The emulated page allocator of one machine.
 *
 * @example
 * ```ts
 * import { PageAllocator } from "./page_allocator.ts";
 * import { presetMachineSpec } from "./machine_spec.ts";
 * import { GFP } from "../kernel/gfp_flags.ts";
 * const m = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 64 * 2 ** 20 }));
 * const GFP_KERNEL = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM | GFP.IO | GFP.FS;
 * const page = m.allocPages(GFP_KERNEL, 2);
 * m.__freePages(page!, 2);
 * ```
 */
export class PageAllocator {
  readonly spec: MachineSpec;
  readonly maxOrder: number;
  readonly nrOrders: number;
  readonly pageblockOrder: number;
  readonly pageblockPages: number;
  readonly cpus: number;
  /** One past the highest emulated pfn. */
  readonly endPfn: number;
  /** Page words (see module doc). */
  readonly words: Uint32Array;
  /** Migratetype of each pageblock. */
  readonly pageblockMt: Uint8Array;
  /** Zone index of each pageblock (255 = none). */
  readonly pageblockZone: Uint8Array;
  readonly zones: Zone[];
  readonly stats: AllocatorStats;
  /**
   * Called on every emulated migratetype fallback (a would-be mm_page_alloc_extfrag), e.g. to
   * feed report metrics in policy mode: zone index, requested and fallback order, requested and
   * fallback migratetype, and whether the pageblock was claimed (retyped) or a block stolen.
   */
  onFallback:
    | ((
      zone: number,
      allocOrder: number,
      fallbackOrder: number,
      mt: number,
      fallbackMt: number,
      claimed: boolean,
    ) => void)
    | null = null;
  /** Zone indices per zone type on node 0 … in zonelist order (highest type first). */
  readonly #zonelist: number[];
  #slotPfn: Float64Array;
  #slotNext: Int32Array;
  #slotPrev: Int32Array;
  #slotList: Int32Array;
  #slotFree = -1;
  #slotsUsed = 0;
  readonly #listHead: Int32Array;
  readonly #listTail: Int32Array;
  readonly #listLen: Float64Array;
  readonly #buddyLists: number;
  readonly #nrPcpLists: number;
  readonly #thpOrder: number;
  /** Preexisting allocated blocks available to stand in for frees of unknown pages (policy). */
  readonly #preexisting: number[][][];

  constructor(spec: MachineSpec, opts: { initial?: "free" | "unknown" } = {}) {
    this.spec = spec;
    this.maxOrder = spec.maxOrder;
    this.nrOrders = spec.maxOrder + 1;
    if (this.nrOrders > ORDER_MASK + 1) {
      throw new MmInvariantError("max-order", `max order ${spec.maxOrder} above 15`);
    }
    this.pageblockOrder = Math.min(spec.pageblockOrder, spec.maxOrder);
    this.pageblockPages = 1 << this.pageblockOrder;
    this.cpus = Math.max(1, spec.cpus);
    this.#thpOrder = spec.pcpEnabled ? spec.thpPcpOrder : -1;
    let end = 0;
    for (const z of spec.zones) end = Math.max(end, z.startPfn + z.spannedPages);
    // Round up to a max-order block so buddy arithmetic never leaves the array.
    const maxBlock = 1 << this.maxOrder;
    this.endPfn = Math.ceil(end / maxBlock) * maxBlock;
    this.words = new Uint32Array(this.endPfn);
    this.words.fill(TAIL_WORD);
    const nBlocks = this.endPfn / this.pageblockPages;
    this.pageblockMt = new Uint8Array(nBlocks).fill(MigrateType.MOVABLE);
    this.pageblockZone = new Uint8Array(nBlocks).fill(NO_ZONE);
    this.stats = {
      fallbacks: 0,
      fallbacksFragmenting: 0,
      fallbacksByType: new Float64Array(MIGRATE_TYPES * MIGRATE_TYPES),
      claims: 0,
      steals: 0,
      failuresByOrder: new Float64Array(this.nrOrders),
      pcpDrainedPages: 0,
      highatomicReserved: 0,
    };
    this.zones = spec.zones.map((z, i) =>
      new Zone(
        i,
        z.node,
        z.type,
        z.startPfn,
        z.startPfn + z.spannedPages,
        z.presentPages,
        z.managedPages,
        this.nrOrders,
        this.cpus,
      )
    );
    this.#nrPcpLists = NR_LOWORDER_PCP_LISTS + NR_PCP_THP;
    this.#buddyLists = this.zones.length * this.nrOrders * MIGRATE_TYPES;
    const nLists = this.#buddyLists + this.zones.length * this.cpus * this.#nrPcpLists;
    this.#listHead = new Int32Array(nLists).fill(-1);
    this.#listTail = new Int32Array(nLists).fill(-1);
    this.#listLen = new Float64Array(nLists);
    const slots = 1024;
    this.#slotPfn = new Float64Array(slots);
    this.#slotNext = new Int32Array(slots);
    this.#slotPrev = new Int32Array(slots);
    this.#slotList = new Int32Array(slots);
    this.#preexisting = this.zones.map(() => Array.from({ length: this.nrOrders }, () => []));
    // Zone ownership per pageblock (first zone wins on a shared edge pageblock).
    for (const z of this.zones) {
      const first = Math.floor(z.startPfn / this.pageblockPages);
      const last = Math.ceil(z.endPfn / this.pageblockPages);
      for (let b = first; b < last; b++) {
        if (this.pageblockZone[b] === NO_ZONE) this.pageblockZone[b] = z.index;
      }
    }
    this.#zonelist = this.zones.map((z) => z.index).sort((a, b) => {
      const za = this.zones[a]!;
      const zb = this.zones[b]!;
      return za.node - zb.node || zb.type - za.type;
    });
    this.#setupWatermarks();
    this.#setupPcp();
    // Initial partition: zone spans (managed part free or unknown), holes elsewhere.
    const byStart = this.zones.slice().sort((a, b) => a.startPfn - b.startPfn);
    let cursor = 0;
    for (const z of byStart) {
      const start = Math.max(z.startPfn, cursor);
      if (start > cursor) this.#partition(cursor, start, PageState.HOLE);
      if (opts.initial === "unknown") {
        this.#partition(start, z.endPfn, PageState.UNKNOWN);
      } else {
        const usableEnd = Math.min(z.endPfn, start + z.managedPages);
        this.#partitionFree(z, start, usableEnd);
        this.#partition(usableEnd, z.endPfn, PageState.HOLE);
      }
      cursor = Math.max(cursor, z.endPfn);
    }
    this.#partition(cursor, this.endPfn, PageState.HOLE);
    for (const z of this.zones) this.#noteFree(z);
  }

  // ---------------------------------------------------------------------------------------------
  // Setup

  #setupWatermarks(): void {
    const spec = this.spec;
    const inputs = this.zones.map((z) => ({ type: z.type, managedPages: z.managedPages }));
    const minFreeKbytes = spec.minFreeKbytes ??
      defaultMinFreeKbytes(inputs, spec.pageSizeBytes, this.pageblockOrder, spec.thpPcpOrder >= 0);
    const computed = computeWatermarks(
      inputs,
      minFreeKbytes,
      spec.watermarkScaleFactor,
      spec.pageSizeBytes,
    );
    const reserves = this.#reservesByNode();
    const useGiven = spec.minFreeKbytes === null;
    this.zones.forEach((z, i) => {
      const given = spec.zones[i]!.watermarks;
      const w = useGiven && given ? given : computed[i]!;
      z.wmarkMin = w.minPages;
      z.wmarkLow = w.lowPages;
      z.wmarkHigh = w.highPages;
      z.wmarkPromo = w.promoPages;
      z.protection = spec.zones[i]!.protection?.slice() ?? reserves[i]!;
    });
  }

  #reservesByNode(): number[][] {
    const out: number[][] = new Array(this.zones.length);
    const nodes = new Set(this.zones.map((z) => z.node));
    for (const n of nodes) {
      const idx = this.zones.filter((z) => z.node === n).map((z) => z.index);
      const r = computeLowmemReserve(
        idx.map((i) => ({ type: this.zones[i]!.type, managedPages: this.zones[i]!.managedPages })),
      );
      idx.forEach((zi, k) => out[zi] = r[k]!);
    }
    return out;
  }

  #setupPcp(): void {
    this.zones.forEach((z, i) => {
      const given = this.spec.zones[i]!.pcp;
      const batch = zoneBatchSize(z.managedPages, this.spec.pageSizeBytes);
      const hs = zoneHighSize(z.wmarkLow, z.managedPages, batch, this.cpus);
      for (let c = 0; c < this.cpus; c++) {
        const g = given?.[c];
        z.pcpBatch[c] = g?.batch ?? batch;
        z.pcpHighMin[c] = g?.highMin ?? hs.highMin;
        z.pcpHighMax[c] = g?.highMax ?? hs.highMax;
        z.pcpHigh[c] = g?.high ?? hs.highMin;
      }
    });
  }

  /** Greedy aligned partition of [start, end) into blocks of one state (no list membership). */
  #partition(start: number, end: number, state: number): void {
    let p = start;
    while (p < end) {
      let o = this.maxOrder;
      while (o > 0 && ((p & ((1 << o) - 1)) !== 0 || p + (1 << o) > end)) o--;
      this.words[p] = state | (o << ORDER_SHIFT);
      p += 1 << o;
    }
  }

  /** Boot-time freeing of [start, end) into MOVABLE pageblocks (memblock_free_all). */
  #partitionFree(z: Zone, start: number, end: number): void {
    let p = start;
    while (p < end) {
      let o = this.maxOrder;
      while (o > 0 && ((p & ((1 << o) - 1)) !== 0 || p + (1 << o) > end)) o--;
      this.words[p] = PageState.DETACHED | (o << ORDER_SHIFT);
      this.#addFree(z, p, o, this.pageblockMt[p >>> this.pageblockOrder]!, true);
      p += 1 << o;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Word access

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

  /**
   * Sets an {@linkcode AllocPageFlag} (e.g. SLAB) on an allocated head; MmInvariantError when
   * `head` is not allocated.
   */
  setAllocFlag(head: number, flag: number): void {
    if (this.stateAt(head) !== PageState.ALLOC || this.headOf(head) !== head) {
      throw new MmInvariantError("bad-flag", `pfn ${head} is not an allocated head`);
    }
    this.words[head] = this.words[head]! | flag;
  }

  /** For a buddy head: the migratetype of its free list; for a pcp head: its CPU. */
  listInfoAt(head: number): { mt: number; cpu: number } {
    const slot = this.words[head]! >>> PAYLOAD_SHIFT;
    const list = this.#slotList[slot]!;
    if (list < this.#buddyLists) return { mt: list % MIGRATE_TYPES, cpu: -1 };
    const rel = list - this.#buddyLists;
    const pindex = rel % this.#nrPcpLists;
    const cpu = Math.floor(rel / this.#nrPcpLists) % this.cpus;
    return { mt: this.#pindexMt(pindex), cpu };
  }

  /** Pageblock migratetype of a pfn. */
  pageblockMtOf(pfn: number): number {
    return this.pageblockMt[pfn >>> this.pageblockOrder]!;
  }

  /** Read-only zone views. */
  get zoneViews(): readonly ZoneView[] {
    return this.zones;
  }

  /** Free slots in use (blocks on free or pcp lists). */
  get listedBlocks(): number {
    return this.#slotsUsed;
  }

  /** Bytes held by page words, pageblock bytes and slots (emulator memory, not the kernel's). */
  get memoryBytes(): number {
    return this.words.byteLength + this.pageblockMt.byteLength + this.pageblockZone.byteLength +
      this.#slotPfn.length * 20;
  }

  // ---------------------------------------------------------------------------------------------
  // Slots and lists

  #allocSlot(): number {
    let s = this.#slotFree;
    if (s >= 0) {
      this.#slotFree = this.#slotNext[s]!;
    } else {
      s = this.#slotsUsed;
      if (s >= this.#slotPfn.length) this.#growSlots();
    }
    this.#slotsUsed++;
    return s;
  }

  #growSlots(): void {
    const n = this.#slotPfn.length * 2;
    if (n > MAX_SLOTS * 2) throw new MmInvariantError("slots", "more than 2^25 listed blocks");
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#slotPfn = grow(this.#slotPfn, (k) => new Float64Array(k));
    this.#slotNext = grow(this.#slotNext, (k) => new Int32Array(k));
    this.#slotPrev = grow(this.#slotPrev, (k) => new Int32Array(k));
    this.#slotList = grow(this.#slotList, (k) => new Int32Array(k));
  }

  #link(list: number, pfn: number, state: number, order: number, toTail: boolean): void {
    const s = this.#allocSlot();
    this.#slotPfn[s] = pfn;
    this.#slotList[s] = list;
    const head = this.#listHead[list]!;
    if (head < 0) {
      this.#slotNext[s] = -1;
      this.#slotPrev[s] = -1;
      this.#listHead[list] = s;
      this.#listTail[list] = s;
    } else if (toTail) {
      const t = this.#listTail[list]!;
      this.#slotNext[t] = s;
      this.#slotPrev[s] = t;
      this.#slotNext[s] = -1;
      this.#listTail[list] = s;
    } else {
      this.#slotPrev[head] = s;
      this.#slotNext[s] = head;
      this.#slotPrev[s] = -1;
      this.#listHead[list] = s;
    }
    this.#listLen[list]!++;
    this.words[pfn] = state | (order << ORDER_SHIFT) | (s << PAYLOAD_SHIFT);
  }

  /** Unlinks the slot of a listed head; returns its list id. */
  #unlink(pfn: number): number {
    const s = this.words[pfn]! >>> PAYLOAD_SHIFT;
    const list = this.#slotList[s]!;
    const n = this.#slotNext[s]!;
    const p = this.#slotPrev[s]!;
    if (p >= 0) this.#slotNext[p] = n;
    else this.#listHead[list] = n;
    if (n >= 0) this.#slotPrev[n] = p;
    else this.#listTail[list] = p;
    this.#listLen[list]!--;
    this.#slotNext[s] = this.#slotFree;
    this.#slotFree = s;
    this.#slotsUsed--;
    return list;
  }

  #buddyList(z: number, order: number, mt: number): number {
    return (z * this.nrOrders + order) * MIGRATE_TYPES + mt;
  }

  #pcpList(z: number, cpu: number, pindex: number): number {
    return this.#buddyLists + (z * this.cpus + cpu) * this.#nrPcpLists + pindex;
  }

  /** pcp list index of (order, mt) (include/linux/mmzone.h, order_to_pindex). */
  #pindex(order: number, mt: number): number {
    if (order > PAGE_ALLOC_COSTLY_ORDER) {
      return NR_LOWORDER_PCP_LISTS + (mt === MigrateType.MOVABLE ? 1 : 0);
    }
    return MIGRATE_PCPTYPES * order + mt;
  }

  #pindexOrder(pindex: number): number {
    return pindex < NR_LOWORDER_PCP_LISTS ? Math.floor(pindex / MIGRATE_PCPTYPES) : this.#thpOrder;
  }

  #pindexMt(pindex: number): number {
    if (pindex < NR_LOWORDER_PCP_LISTS) return pindex % MIGRATE_PCPTYPES;
    return pindex === NR_LOWORDER_PCP_LISTS ? MigrateType.UNMOVABLE : MigrateType.MOVABLE;
  }

  /** `pcp_allowed_order`: orders 0..3, plus the THP order when pcp lists hold THPs. */
  pcpAllowedOrder(order: number): boolean {
    return order <= PAGE_ALLOC_COSTLY_ORDER || order === this.#thpOrder;
  }

  /** Number of entries on free list (zone, order, mt), located blocks only. */
  listLength(zone: number, order: number, mt: number): number {
    return this.#listLen[this.#buddyList(zone, order, mt)]!;
  }

  /** Pfns on free list (zone, order, mt), head first (for tests and debugging). */
  listPfns(zone: number, order: number, mt: number): number[] {
    const out: number[] = [];
    for (
      let s = this.#listHead[this.#buddyList(zone, order, mt)]!;
      s >= 0;
      s = this.#slotNext[s]!
    ) {
      out.push(this.#slotPfn[s]!);
    }
    return out;
  }

  /** Pfns on a pcp list of (zone, cpu, order, mt), head first. */
  pcpListPfns(zone: number, cpu: number, order: number, mt: number): number[] {
    const out: number[] = [];
    const list = this.#pcpList(zone, cpu, this.#pindex(order, mt));
    for (let s = this.#listHead[list]!; s >= 0; s = this.#slotNext[s]!) out.push(this.#slotPfn[s]!);
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Free-list primitives

  #addFree(z: Zone, pfn: number, order: number, mt: number, toTail: boolean): void {
    this.#link(this.#buddyList(z.index, order, mt), pfn, PageState.BUDDY, order, toTail);
    z.nrFree[order * MIGRATE_TYPES + mt]!++;
    const pages = 1 << order;
    z.freePages += pages;
    z.freeByMt[mt]! += pages;
  }

  /** Removes a located buddy head from its list, updating counts; returns its list mt. */
  #delFree(pfn: number): number {
    const list = this.#unlink(pfn);
    const mt = list % MIGRATE_TYPES;
    const rest = (list - mt) / MIGRATE_TYPES;
    const order = rest % this.nrOrders;
    const z = this.zones[(rest - order) / this.nrOrders]!;
    z.nrFree[order * MIGRATE_TYPES + mt]!--;
    const pages = 1 << order;
    z.freePages -= pages;
    z.freeByMt[mt]! -= pages;
    this.words[pfn] = PageState.DETACHED | (order << ORDER_SHIFT);
    return mt;
  }

  #addPcp(z: Zone, cpu: number, pfn: number, order: number, mt: number, toTail: boolean): void {
    this.#link(
      this.#pcpList(z.index, cpu, this.#pindex(order, mt)),
      pfn,
      PageState.PCP,
      order,
      toTail,
    );
    z.pcpCount[cpu]! += 1 << order;
  }

  #delPcp(pfn: number): void {
    const order = (this.words[pfn]! >>> ORDER_SHIFT) & ORDER_MASK;
    const list = this.#unlink(pfn);
    const rel = list - this.#buddyLists;
    const zc = Math.floor(rel / this.#nrPcpLists);
    const z = this.zones[Math.floor(zc / this.cpus)]!;
    z.pcpCount[zc % this.cpus]! -= 1 << order;
    this.words[pfn] = PageState.DETACHED | (order << ORDER_SHIFT);
  }

  /** Sets a detached head's state (no list). */
  #setHead(pfn: number, state: number, order: number, payload: number): void {
    this.words[pfn] = state | (order << ORDER_SHIFT) | payload;
  }

  /** Marks a detached or carved head allocated with the requested migratetype and flags. */
  setAllocated(pfn: number, order: number, mt: number, flags = 0): void {
    this.words[pfn] = PageState.ALLOC | (order << ORDER_SHIFT) | ((mt & MT_MASK) << PAYLOAD_SHIFT) |
      flags | (1 << REFCOUNT_SHIFT);
  }

  /** Marks a detached head as never-seen (faithful resync). */
  setUnknown(pfn: number, order: number): void {
    this.#setHead(pfn, PageState.UNKNOWN, order, 0);
  }

  /** Marks a detached head as a hole (not managed). */
  setHole(pfn: number, order: number): void {
    this.#setHead(pfn, PageState.HOLE, order, 0);
  }

  /** Puts a detached block on a CPU's pcp list (head, or tail for refills). */
  pcpAdd(zone: number, cpu: number, pfn: number, order: number, mt: number, toTail: boolean): void {
    this.#addPcp(this.zones[zone]!, cpu % this.cpus, pfn, order, mt, toTail);
  }

  /**
   * Detaches whatever covers [pfn, pfn + 2^order) so it becomes one detached block: a larger
   * containing block is split (pieces keep their state; buddy pieces go back to the head of free
   * list `buddyMt`, or their own list when -1 — exactly `expand` when pfn is the block's lowest
   * part), smaller blocks inside are unlinked and absorbed. Returns a bit mask (1 << state) of
   * the states that covered the range.
   */
  carve(pfn: number, order: number, buddyMt = -1): number {
    const w = this.words;
    const head = this.headOf(pfn);
    const headWord = w[head]!;
    const k = (headWord >>> ORDER_SHIFT) & ORDER_MASK;
    const state = headWord & STATE_MASK;
    if (k >= order) {
      let listMt = -1;
      let cpu = -1;
      if (state === PageState.BUDDY) listMt = this.#delFree(head);
      else if (state === PageState.PCP) {
        const info = this.listInfoAt(head);
        listMt = info.mt;
        cpu = info.cpu;
        this.#delPcp(head);
      }
      const payload = state === PageState.ALLOC ? headWord & ~((1 << PAYLOAD_SHIFT) - 1) : 0;
      const z = state === PageState.BUDDY || state === PageState.PCP
        ? this.zones[this.zoneOf(head)]!
        : undefined;
      const mt = buddyMt >= 0 ? buddyMt : listMt;
      // Split from the top: the half without pfn keeps the old state (expand order).
      let base = head;
      let o = k;
      while (o > order) {
        o--;
        const half = 1 << o;
        const other = pfn >= base + half ? base : base + half;
        if (other === base) base += half;
        if (state === PageState.BUDDY) this.#addFree(z!, other, o, mt, false);
        else if (state === PageState.PCP) this.#addPcp(z!, cpu, other, o, listMt, false);
        else this.#setHead(other, state, o, payload);
      }
      if (base !== pfn) throw new MmInvariantError("carve", `carve of ${pfn} ended at ${base}`);
      w[pfn] = PageState.DETACHED | (order << ORDER_SHIFT);
      return 1 << state;
    }
    // The range holds several smaller blocks: absorb them.
    let mask = 0;
    const end = pfn + (1 << order);
    for (let q = pfn; q < end;) {
      const x = w[q]!;
      const st = x & STATE_MASK;
      const o = (x >>> ORDER_SHIFT) & ORDER_MASK;
      if (st === PageState.TAIL) throw new MmInvariantError("carve", `tail at block start ${q}`);
      if (st === PageState.BUDDY) this.#delFree(q);
      else if (st === PageState.PCP) this.#delPcp(q);
      mask |= 1 << st;
      w[q] = TAIL_WORD;
      q += 1 << o;
    }
    w[pfn] = PageState.DETACHED | (order << ORDER_SHIFT);
    return mask;
  }

  /**
   * `__free_one_page`: frees a detached block into buddy with merging (v6.10+: merging across
   * mergeable pageblock types retypes the buddy's blocks), placing it at the list tail when
   * `buddy_merge_likely`.
   */
  freeToBuddy(zone: number, pfn: number, order: number, mt: number, toTail = false): void {
    const z = this.zones[zone]!;
    const w = this.words;
    const pbOrder = this.pageblockOrder;
    let buddyPfn = -1;
    while (order < this.maxOrder) {
      buddyPfn = pfn ^ (1 << order);
      if (buddyPfn < z.startPfn || buddyPfn >= z.endPfn) break;
      const bw = w[buddyPfn]!;
      if ((bw & STATE_MASK) !== PageState.BUDDY || ((bw >>> ORDER_SHIFT) & ORDER_MASK) !== order) {
        break;
      }
      if (order >= pbOrder) {
        const buddyMt = this.pageblockMt[buddyPfn >>> pbOrder]!;
        if (buddyMt !== mt && (!isMergeable(mt) || !isMergeable(buddyMt))) break;
        this.#delFree(buddyPfn);
        if (buddyMt !== mt) this.#changePageblockRange(buddyPfn, order, mt);
      } else {
        this.#delFree(buddyPfn);
      }
      const combined = buddyPfn & pfn;
      w[combined === pfn ? buddyPfn : pfn] = TAIL_WORD;
      pfn = combined;
      order++;
    }
    let tail = toTail;
    if (!tail && buddyPfn >= 0 && order < this.maxOrder - 1) {
      // buddy_merge_likely: the buddy of the next-larger block is free.
      const higher = buddyPfn & pfn;
      const hb = higher ^ (1 << (order + 1));
      if (hb >= z.startPfn && hb < z.endPfn) {
        const hw = w[hb]!;
        tail = (hw & STATE_MASK) === PageState.BUDDY &&
          ((hw >>> ORDER_SHIFT) & ORDER_MASK) === order + 1;
      }
    }
    this.#addFree(z, pfn, order, mt, tail);
  }

  #changePageblockRange(pfn: number, order: number, mt: number): void {
    const pbOrder = this.pageblockOrder;
    const first = pfn >>> pbOrder;
    const n = order >= pbOrder ? 1 << (order - pbOrder) : 1;
    for (let b = first; b < first + n; b++) this.pageblockMt[b] = mt;
  }

  /**
   * Retypes the pageblock(s) of pfn (`order ≥ pageblock_order` covers the whole block range) and
   * moves their located free blocks to the new type's lists (`__move_freepages_block`). Returns
   * the free pages moved.
   */
  retypePageblocks(pfn: number, order: number, mt: number): number {
    const pbOrder = this.pageblockOrder;
    const span = order >= pbOrder ? 1 << order : this.pageblockPages;
    const start = pfn & ~(span - 1);
    const zi = this.zoneOf(pfn);
    if (zi < 0) return 0;
    const z = this.zones[zi]!;
    const end = Math.min(start + span, z.endPfn);
    let moved = 0;
    for (let q = Math.max(start, z.startPfn); q < end;) {
      const h = this.headOf(q);
      const x = this.words[h]!;
      const o = (x >>> ORDER_SHIFT) & ORDER_MASK;
      if ((x & STATE_MASK) === PageState.BUDDY && h >= start && h + (1 << o) <= start + span) {
        const old = this.#delFree(h);
        if (old !== mt) moved += 1 << o;
        this.#addFree(z, h, o, mt, false);
      }
      q = h + (1 << o);
    }
    this.#changePageblockRange(start, order, mt);
    return moved;
  }

  // ---------------------------------------------------------------------------------------------
  // Unlocated (snapshot-only) free blocks, faithful replay

  /** Adds free blocks known only by count (seeded from buddyinfo/pagetypeinfo). */
  addUnlocated(zone: number, order: number, mt: number, blocks: number): void {
    const z = this.zones[zone]!;
    z.unlocated[order * MIGRATE_TYPES + mt]! += blocks;
    z.nrFree[order * MIGRATE_TYPES + mt]! += blocks;
    const pages = blocks * (1 << order);
    z.freePages += pages;
    z.freeByMt[mt]! += pages;
  }

  /**
   * Consumes one unlocated free block of type `mt` that could hold [pfn, pfn + 2^order): the
   * smallest order k ≥ order with an unlocated block and pfn's alignment allowing it. Returns k,
   * or -1 when none fits. The caller then materialises it at `pfn & ~(2^k - 1)`.
   */
  takeUnlocated(
    zone: number,
    pfn: number,
    order: number,
    mt: number,
    fits: (base: number, order: number) => boolean = () => true,
  ): number {
    const z = this.zones[zone]!;
    for (let k = order; k <= this.maxOrder; k++) {
      const i = k * MIGRATE_TYPES + mt;
      if (z.unlocated[i]! <= 0) continue;
      const base = pfn & ~((1 << k) - 1);
      if (base < z.startPfn || base + (1 << k) > z.endPfn || !fits(base, k)) continue;
      z.unlocated[i]!--;
      z.nrFree[i]!--;
      const pages = 1 << k;
      z.freePages -= pages;
      z.freeByMt[mt]! -= pages;
      return k;
    }
    return -1;
  }

  /**
   * Consumes unlocated free pages as one block of `order` for a removal whose pfn the trace does
   * not show (the compaction free scanner): an unlocated block of exactly `order` (type `mt`
   * first, then any type), else the smallest larger one split like `expand` (the split-off halves
   * stay unlocated). Returns the migratetype taken from, or -1 when no unlocated block of order
   * ≥ `order` is left.
   *
   * @example
   * ```ts
   * import { PageAllocator } from "./page_allocator.ts";
   * import { presetMachineSpec } from "./machine_spec.ts";
   * const m = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }), {
   *   initial: "unknown",
   * });
   * m.addUnlocated(1, 3, 1, 1); // one order-3 Movable block in DMA32
   * m.takeUnlocatedBlock(1, 1, 1); // 1: split, orders 1 and 2 stay unlocated
   * m.zoneViews[1]!.freePages; // 6
   * ```
   */
  takeUnlocatedBlock(zone: number, order: number, mt: number): number {
    const z = this.zones[zone]!;
    for (let k = order; k <= this.maxOrder; k++) {
      let t = z.unlocated[k * MIGRATE_TYPES + mt]! > 0 ? mt : -1;
      for (let x = 0; t < 0 && x < MIGRATE_TYPES; x++) {
        if (z.unlocated[k * MIGRATE_TYPES + x]! > 0) t = x;
      }
      if (t < 0) continue;
      z.unlocated[k * MIGRATE_TYPES + t]!--;
      z.nrFree[k * MIGRATE_TYPES + t]!--;
      z.freePages -= 1 << k;
      z.freeByMt[t]! -= 1 << k;
      for (let o = order; o < k; o++) this.addUnlocated(zone, o, t, 1);
      return t;
    }
    return -1;
  }

  /** Materialises a consumed unlocated block as a located free block (head at pfn, detached). */
  locateFree(zone: number, pfn: number, order: number, mt: number): void {
    this.carve(pfn, order);
    this.#addFree(this.zones[zone]!, pfn, order, mt, false);
  }

  /** Puts a block on a free list without merging (snapshot layouts whose buddies are not free). */
  placeFree(zone: number, pfn: number, order: number, mt: number): void {
    this.carve(pfn, order);
    this.#addFree(this.zones[zone]!, pfn, order, mt, true);
  }

  /** Seeds pcp pages known only by count (zoneinfo pagesets). */
  addUnlocatedPcp(zone: number, cpu: number, pages: number): void {
    const z = this.zones[zone]!;
    z.pcpUnlocated[cpu % this.cpus]! += pages;
    z.pcpCount[cpu % this.cpus]! += pages;
  }

  /** Takes `pages` unlocated pcp pages, preferring `cpu`; false when there are not enough. */
  takeUnlocatedPcp(zone: number, cpu: number, pages: number): boolean {
    const z = this.zones[zone]!;
    let c = cpu % this.cpus;
    if (z.pcpUnlocated[c]! < pages) {
      c = -1;
      for (let i = 0; i < this.cpus; i++) if (z.pcpUnlocated[i]! >= pages) c = i;
      if (c < 0) return false;
    }
    z.pcpUnlocated[c]! -= pages;
    z.pcpCount[c]! -= pages;
    return true;
  }

  /** Sets a zone's watermarks (from an mm_setup_per_zone_wmarks event or a snapshot). */
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

  /** Sets lowmem_reserve of a zone against allocations aimed at `upperType`. */
  setLowmemReserve(zone: number, upperType: number, pages: number): void {
    this.zones[zone]!.protection[upperType] = pages;
  }

  /** Index of the zone of (node, zone type), or -1. */
  findZone(node: number, type: number): number {
    for (const z of this.zones) if (z.node === node && z.type === type) return z.index;
    return -1;
  }

  /** Forgets min-free and breach history (after seeding, before the replay proper). */
  resetHistory(): void {
    for (const z of this.zones) {
      z.minFreePages = Infinity;
      z.breachLow =
        z.breachMin =
        z.kswapdWakes =
        z.directReclaims =
          0;
      z.belowLow = z.freePages < z.wmarkLow;
      z.belowMin = z.freePages < z.wmarkMin;
      this.#noteFree(z);
    }
  }

  /**
   * Updates min-free and watermark-breach counters of a zone (count of falls below low / min).
   */
  noteFree(zone: number): void {
    this.#noteFree(this.zones[zone]!);
  }

  #noteFree(z: Zone): void {
    const free = z.freePages;
    if (free < z.minFreePages) z.minFreePages = free;
    const belowLow = free < z.wmarkLow;
    if (belowLow && !z.belowLow) z.breachLow++;
    z.belowLow = belowLow;
    const belowMin = free < z.wmarkMin;
    if (belowMin && !z.belowMin) z.breachMin++;
    z.belowMin = belowMin;
  }

  // ---------------------------------------------------------------------------------------------
  // Watermark check (mm/page_alloc.c __zone_watermark_ok, zone_watermark_fast)

  /** Watermark value for alloc flags' WMARK index, including the boost. */
  wmarkPages(zone: number, allocFlags: number): number {
    const z = this.zones[zone]!;
    const i = allocFlags & AllocFlag.WMARK_MASK;
    const base = i === AllocFlag.WMARK_MIN
      ? z.wmarkMin
      : i === AllocFlag.WMARK_LOW
      ? z.wmarkLow
      : z.wmarkHigh;
    return base + z.boost;
  }

  /**
   * `__zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages)`.
   */
  zoneWatermarkOk(
    zone: number,
    order: number,
    mark: number,
    highestZoneType: number,
    allocFlags: number,
    freePages: number = this.zones[zone]!.freePages,
  ): boolean {
    const z = this.zones[zone]!;
    let free = freePages - ((1 << order) - 1);
    if (!(allocFlags & ALLOC_RESERVES)) free -= z.freeByMt[MigrateType.HIGHATOMIC]!;
    if (!(allocFlags & AllocFlag.CMA)) free -= z.freeByMt[MigrateType.CMA]!;
    let min = mark;
    if (allocFlags & ALLOC_RESERVES) {
      if (allocFlags & AllocFlag.MIN_RESERVE) {
        min -= Math.floor(min / 2);
        if (allocFlags & AllocFlag.NON_BLOCK) min -= Math.floor(min / 4);
      }
      if (allocFlags & AllocFlag.OOM) min -= Math.floor(min / 2);
    }
    if (free <= min + (z.protection[highestZoneType] ?? 0)) return false;
    if (order === 0) return true;
    for (let o = order; o <= this.maxOrder; o++) {
      const row = o * MIGRATE_TYPES;
      for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) if (z.nrFree[row + mt]! > 0) return true;
      if ((allocFlags & AllocFlag.CMA) && z.nrFree[row + MigrateType.CMA]! > 0) return true;
      if (
        (allocFlags & (AllocFlag.HIGHATOMIC | AllocFlag.OOM)) &&
        z.nrFree[row + MigrateType.HIGHATOMIC]! > 0
      ) return true;
    }
    return false;
  }

  #watermarkFast(
    zi: number,
    order: number,
    mark: number,
    highest: number,
    flags: number,
    gfp: number,
  ): boolean {
    if (this.zoneWatermarkOk(zi, order, mark, highest, flags)) return true;
    const z = this.zones[zi]!;
    // __GFP_HIGH order-0 at the min mark retries ignoring the boost.
    if (
      order === 0 && (flags & AllocFlag.MIN_RESERVE) && z.boost > 0 &&
      (flags & AllocFlag.WMARK_MASK) === AllocFlag.WMARK_MIN && (gfp & GFP.HIGH)
    ) {
      return this.zoneWatermarkOk(zi, order, z.wmarkMin, highest, flags);
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Policy allocation (mm/page_alloc.c __rmqueue*, rmqueue_bulk, get_page_from_freelist)

  #rmqueueSmallest(z: Zone, order: number, mt: number): number {
    for (let o = order; o <= this.maxOrder; o++) {
      const list = this.#buddyList(z.index, o, mt);
      const s = this.#listHead[list]!;
      if (s < 0) continue;
      const pfn = this.#slotPfn[s]!;
      this.carve(pfn, order);
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
    if (order >= this.pageblockOrder) return true;
    if (order >= this.pageblockOrder >> 1) return true;
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
    if (fallbackOrder < this.pageblockOrder) s.fallbacksFragmenting++;
    s.fallbacksByType[mt * MIGRATE_TYPES + fallbackMt]!++;
  }

  #rmqueueClaim(z: Zone, order: number, mt: number, flags: number): number {
    let minOrder = order;
    if (order < this.pageblockOrder && (flags & AllocFlag.NOFRAGMENT)) {
      minOrder = this.pageblockOrder;
    }
    for (let o = this.maxOrder; o >= minOrder; o--) {
      const fb = this.#findFallback(z, o, mt, true);
      if (fb === -1) continue;
      if (fb === -2) break;
      const s = this.#listHead[this.#buddyList(z.index, o, fb)]!;
      const pfn = this.#slotPfn[s]!;
      const got = this.#tryClaimBlock(z, pfn, o, order, mt, fb, flags);
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
    _flags: number,
  ): number {
    if (currentOrder >= this.pageblockOrder) {
      this.#delFree(pfn);
      this.#changePageblockRange(pfn, currentOrder, mt);
      this.#addFree(z, pfn, currentOrder, mt, false);
      this.carve(pfn, order, mt);
      return pfn;
    }
    this.#boostWatermark(z);
    const start = pfn & ~(this.pageblockPages - 1);
    if (start < z.startPfn || start + this.pageblockPages > z.endPfn) return -1;
    let free = 0;
    let movable = 0;
    for (let q = start; q < start + this.pageblockPages;) {
      const h = this.headOf(q);
      const x = this.words[h]!;
      const o = (x >>> ORDER_SHIFT) & ORDER_MASK;
      const st = x & STATE_MASK;
      const n = Math.min(1 << o, start + this.pageblockPages - q);
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
    else if (blockMt === MigrateType.MOVABLE) alike = this.pageblockPages - (free + movable);
    else alike = 0;
    if (free + alike >= this.pageblockPages >> 1 || !this.spec.mobilityGrouping) {
      this.retypePageblocks(start, this.pageblockOrder - 1, mt);
      return this.#rmqueueSmallest(z, order, mt);
    }
    return -1;
  }

  #boostWatermark(z: Zone): void {
    if (this.pageblockPages * 4 > z.managedPages) return;
    let maxBoost = Math.floor(
      z.wmarkHigh * WATERMARK_BOOST_FACTOR_DEFAULT / WATERMARK_FACTOR_DENOMINATOR,
    );
    if (maxBoost === 0) return;
    maxBoost = Math.max(this.pageblockPages, maxBoost);
    z.boost = Math.min(z.boost + this.pageblockPages, maxBoost);
  }

  #rmqueueSteal(z: Zone, order: number, mt: number): number {
    for (let o = order; o <= this.maxOrder; o++) {
      const fb = this.#findFallback(z, o, mt, false);
      if (fb < 0) continue;
      const s = this.#listHead[this.#buddyList(z.index, o, fb)]!;
      const pfn = this.#slotPfn[s]!;
      this.carve(pfn, order);
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
    const list = this.#pcpList(z.index, cpu, this.#pindex(order, mt));
    z.pcpFreeCount[cpu] = Math.floor(z.pcpFreeCount[cpu]! / 2);
    if (this.#listHead[list]! < 0) {
      const n = this.#nrPcpAlloc(z, cpu, order);
      for (let i = 0; i < n; i++) {
        const pfn = this.#rmqueue(z, order, mt, flags);
        if (pfn < 0) break;
        this.#addPcp(z, cpu, pfn, order, mt, true);
      }
    }
    const s = this.#listHead[list]!;
    if (s < 0) return -1;
    const pfn = this.#slotPfn[s]!;
    this.#delPcp(pfn);
    return pfn;
  }

  /** `rmqueue`: pcp for pcp orders, else buddy (HIGHATOMIC first for ALLOC_HIGHATOMIC). */
  #rmqueueZone(z: Zone, cpu: number, order: number, mt: number, flags: number): number {
    if (this.spec.pcpEnabled && this.pcpAllowedOrder(order)) {
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
    const maxReserved = Math.floor(z.managedPages / 100) + this.pageblockPages;
    if (z.reservedHighatomic >= maxReserved) return;
    const mt = this.pageblockMtOf(pfn);
    if (mt === MigrateType.HIGHATOMIC || mt === MigrateType.ISOLATE || mt === MigrateType.CMA) {
      return;
    }
    this.retypePageblocks(pfn, this.pageblockOrder - 1, MigrateType.HIGHATOMIC);
    z.reservedHighatomic += this.pageblockPages;
    this.stats.highatomicReserved++;
  }

  /** One zonelist pass of `get_page_from_freelist`; returns pfn or -1. */
  #getPageFromFreelist(
    gfp: number,
    order: number,
    mt: number,
    highest: number,
    flags: number,
    cpu: number,
  ): number {
    for (const zi of this.#zonelist) {
      const z = this.zones[zi]!;
      if (z.type > highest || z.managedPages === 0) continue;
      if (!(flags & AllocFlag.NO_WATERMARKS)) {
        const mark = this.wmarkPages(zi, flags);
        if (!this.#watermarkFast(zi, order, mark, highest, flags, gfp)) continue;
      }
      const pfn = this.#rmqueueZone(z, cpu, order, mt, flags);
      if (pfn >= 0) {
        if ((flags & AllocFlag.HIGHATOMIC) && order > 0) this.#reserveHighatomic(z, pfn);
        this.setAllocated(
          pfn,
          order,
          mt,
          (gfp & GFP.COMP) && order > 0 ? AllocPageFlag.COMPOUND : 0,
        );
        this.#noteFree(z);
        if (z.boost > 0 && z.freePages > z.wmarkHigh + z.boost) z.boost = 0;
        return pfn;
      }
    }
    return -1;
  }

  #preferredZone(highest: number): Zone | undefined {
    for (const zi of this.#zonelist) {
      const z = this.zones[zi]!;
      if (z.type <= highest && z.managedPages > 0) return z;
    }
    return undefined;
  }

  /**
   * `alloc_pages(gfp, order)` on CPU `cpu`: returns the first pfn of the block, or null.
   * Fast path at the low watermark (with ALLOC_NOFRAGMENT when the preferred zone is Normal and
   * DMA32 exists); below it counts a low breach (kswapd would wake) and retries at the min
   * watermark with the slow-path flags; below that counts a min breach (direct reclaim would run)
   * and, since reclaim is not emulated, retries ignoring watermarks. Only then is it a failure.
   */
  allocPages(gfp: number, order: number, cpu = 0): number | null {
    if (order < 0 || order > this.maxOrder) return null;
    const highest = gfpZoneType(gfp, this.spec.configuredZoneTypes);
    if (highest < 0) return null;
    let mt = this.spec.mobilityGrouping ? gfpMigratetype(gfp) : MigrateType.UNMOVABLE;
    if (mt >= MIGRATE_PCPTYPES) mt = MigrateType.UNMOVABLE;
    const c = cpu % this.cpus;
    const preferred = this.#preferredZone(highest);
    if (!preferred) {
      this.stats.failuresByOrder[order]!++;
      return null;
    }
    let flags = AllocFlag.WMARK_LOW;
    if (gfp & GFP.KSWAPD_RECLAIM) flags |= AllocFlag.KSWAPD;
    if (
      this.spec.mobilityGrouping && preferred.type === ZoneType.NORMAL &&
      this.zones.some((z) =>
        z.node === preferred.node && z.type === ZoneType.DMA32 && z.managedPages > 0
      )
    ) flags |= AllocFlag.NOFRAGMENT;
    let pfn = this.#getPageFromFreelist(gfp, order, mt, highest, flags, c);
    if (pfn < 0 && (flags & AllocFlag.NOFRAGMENT)) {
      pfn = this.#getPageFromFreelist(gfp, order, mt, highest, flags & ~AllocFlag.NOFRAGMENT, c);
    }
    if (pfn >= 0) return pfn;
    preferred.kswapdWakes++;
    const slow = gfpToAllocFlags(gfp, order);
    pfn = this.#getPageFromFreelist(gfp, order, mt, highest, slow, c);
    if (pfn >= 0) return pfn;
    preferred.directReclaims++;
    pfn = this.#getPageFromFreelist(gfp, order, mt, highest, slow | AllocFlag.NO_WATERMARKS, c);
    if (pfn >= 0) return pfn;
    this.stats.failuresByOrder[order]!++;
    return null;
  }

  /** `alloc_page(gfp)`. */
  allocPage(gfp: number, cpu = 0): number | null {
    return this.allocPages(gfp, 0, cpu);
  }

  /**
   * `__free_pages(page, order)` on CPU `cpu`: pcp orders go to the CPU's pcp list (HIGHATOMIC/CMA
   * blocks to the MOVABLE list, ISOLATE straight to buddy), draining a batch when the list count
   * reaches `high`; other orders go to buddy with merging. Throws MmInvariantError when the
   * block is not an allocated block of that order.
   */
  __freePages(pfn: number, order: number, cpu = 0): void {
    const head = this.headOf(pfn);
    if (head !== pfn || this.stateAt(pfn) !== PageState.ALLOC || this.orderAt(pfn) !== order) {
      throw new MmInvariantError("bad-free", `pfn ${pfn} order ${order} is not an allocated block`);
    }
    this.words[pfn] = PageState.DETACHED | (order << ORDER_SHIFT);
    this.freeDetached(pfn, order, cpu % this.cpus);
  }

  /**
   * Frees a detached block the way `free_frozen_pages` does (pcp or buddy). `autoDrain` false
   * skips the pcp high check (faithful replay drains only where the trace shows drains).
   */
  freeDetached(pfn: number, order: number, cpu: number, autoDrain = true): void {
    const zi = this.zoneOf(pfn);
    if (zi < 0) throw new MmInvariantError("bad-free", `pfn ${pfn} is outside every zone`);
    const z = this.zones[zi]!;
    let mt = this.pageblockMtOf(pfn);
    if (this.spec.pcpEnabled && this.pcpAllowedOrder(order) && mt !== MigrateType.ISOLATE) {
      if (mt >= MIGRATE_PCPTYPES) mt = MigrateType.MOVABLE;
      if (autoDrain) this.#freePcpCommit(z, cpu, pfn, order, mt);
      else this.#addPcp(z, cpu, pfn, order, mt, false);
    } else {
      this.freeToBuddy(zi, pfn, order, mt);
    }
    this.#noteFree(z);
  }

  /** `free_frozen_page_commit` (simplified high auto-tuning, no free_high heuristics). */
  #freePcpCommit(z: Zone, cpu: number, pfn: number, order: number, mt: number): void {
    z.pcpAllocFactor[cpu] = z.pcpAllocFactor[cpu]! >> 1;
    this.#addPcp(z, cpu, pfn, order, mt, false);
    const batch = z.pcpBatch[cpu]!;
    if (z.pcpFreeCount[cpu]! < batch << PCP_BATCH_SCALE_MAX) z.pcpFreeCount[cpu]! += 1 << order;
    const highMin = z.pcpHighMin[cpu]!;
    const highMax = z.pcpHighMax[cpu]!;
    let high = Math.min(Math.max(z.pcpHigh[cpu]!, highMin), highMax);
    z.pcpHigh[cpu] = high;
    if (high === 0) return this.#drainPcp(z, cpu, z.pcpCount[cpu]!, this.#pindex(order, mt));
    if (highMin !== highMax) {
      if (z.freePages < z.wmarkHigh) {
        const fc = Math.max(z.pcpFreeCount[cpu]!, batch);
        z.pcpHigh[cpu] = Math.max(high - fc, highMin);
        high = Math.max(z.pcpCount[cpu]!, highMin);
      } else if (z.pcpCount[cpu]! >= high) {
        const need = z.pcpFreeCount[cpu]! + batch;
        if (z.pcpHigh[cpu]! < need) z.pcpHigh[cpu] = Math.min(Math.max(need, highMin), highMax);
      }
    }
    if (z.pcpCount[cpu]! >= high) {
      let nr: number;
      if (high < batch) nr = 1;
      else nr = Math.min(Math.max(z.pcpFreeCount[cpu]!, batch), Math.max(high - batch, batch));
      this.#drainPcp(z, cpu, nr, this.#pindex(order, mt));
    }
  }

  /** `free_pcppages_bulk`: drains `count` pages round-robin over lists, from each list's tail. */
  #drainPcp(z: Zone, cpu: number, count: number, pindex: number): void {
    count = Math.min(count, z.pcpCount[cpu]! - z.pcpUnlocated[cpu]!);
    let p = pindex - 1;
    while (count > 0) {
      let list: number;
      let guard = 0;
      do {
        if (++p > this.#nrPcpLists - 1) p = 0;
        list = this.#pcpList(z.index, cpu, p);
        if (++guard > this.#nrPcpLists) return;
      } while (this.#listHead[list]! < 0);
      const order = this.#pindexOrder(p);
      do {
        const s = this.#listTail[list]!;
        const pfn = this.#slotPfn[s]!;
        this.#delPcp(pfn);
        count -= 1 << order;
        this.stats.pcpDrainedPages += 1 << order;
        this.freeToBuddy(z.index, pfn, order, this.pageblockMtOf(pfn));
      } while (count > 0 && this.#listHead[list]! >= 0);
    }
  }

  /** `drain_all_pages`: every located pcp page of every zone back to buddy. */
  drainAllPages(): void {
    for (const z of this.zones) {
      for (let c = 0; c < this.cpus; c++) this.#drainPcp(z, c, Infinity, 0);
      this.#noteFree(z);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Virtual addresses (direct map) and the classic address-based API

  /** Direct-map virtual address of a pfn (null for HighMem, which has no permanent mapping). */
  pfnToVirt(pfn: number): bigint | null {
    const zi = this.zoneOf(pfn);
    if (zi >= 0 && this.zones[zi]!.type === ZoneType.HIGHMEM) return null;
    return this.spec.pageOffset + BigInt(pfn) * BigInt(this.spec.pageSizeBytes);
  }

  /** pfn of a direct-map virtual address. */
  virtToPfn(addr: bigint): number {
    return Number((addr - this.spec.pageOffset) / BigInt(this.spec.pageSizeBytes));
  }

  /**
   * `__get_free_pages(gfp, order)`: virtual address or null. Like the kernel, HighMem pages have
   * no address, so __GFP_HIGHMEM requests that land there are freed again and return null.
   */
  getFreePages(gfp: number, order: number, cpu = 0): bigint | null {
    const pfn = this.allocPages(gfp & ~GFP.HIGHMEM, order, cpu);
    if (pfn === null) return null;
    const addr = this.pfnToVirt(pfn);
    if (addr === null) {
      this.__freePages(pfn, order, cpu);
      return null;
    }
    return addr;
  }

  /** `get_zeroed_page(gfp)`: `__get_free_page(gfp | __GFP_ZERO)`. */
  getZeroedPage(gfp: number, cpu = 0): bigint | null {
    return this.getFreePages(gfp | GFP.ZERO, 0, cpu);
  }

  /** `free_pages(addr, order)`; address 0 is ignored like in the kernel. */
  freePages(addr: bigint, order: number, cpu = 0): void {
    if (addr === 0n) return;
    this.__freePages(this.virtToPfn(addr), order, cpu);
  }

  /** `free_page(addr)`. */
  freePage(addr: bigint, cpu = 0): void {
    this.freePages(addr, 0, cpu);
  }

  // ---------------------------------------------------------------------------------------------
  // Pre-existing allocations (policy replay seeded from a snapshot)

  /** Registers an allocated block as pre-existing (allocated before the replay started). */
  addPreexisting(zone: number, pfn: number, order: number, mt: number): void {
    this.setAllocated(pfn, order, mt, AllocPageFlag.PREEXISTING);
    this.#preexisting[zone]![order]!.push(pfn);
  }

  /**
   * Takes a pre-existing allocated block of `order` in `zone` (splitting a larger one; the other
   * pieces stay pre-existing) and returns its pfn, or -1 when none is left.
   */
  takePreexisting(zone: number, order: number): number {
    const stacks = this.#preexisting[zone]!;
    for (let k = order; k <= this.maxOrder; k++) {
      const st = stacks[k]!;
      while (st.length > 0) {
        const pfn = st.pop()!;
        if (
          this.stateAt(pfn) !== PageState.ALLOC || this.orderAt(pfn) !== k ||
          (this.words[pfn]! & AllocPageFlag.PREEXISTING) === 0
        ) continue; // stale: freed or reshaped meanwhile
        const mt = this.allocMtAt(pfn);
        for (let o = k - 1; o >= order; o--) {
          const upper = pfn + (1 << o);
          this.words[upper] = 0;
          this.addPreexisting(zone, upper, o, mt);
        }
        this.setAllocated(pfn, order, mt);
        return pfn;
      }
    }
    return -1;
  }

  /** Pages still pre-existing per zone (approximate: counts stacked blocks). */
  preexistingPages(zone: number): number {
    let n = 0;
    this.#preexisting[zone]!.forEach((st, k) => n += st.length << k);
    return n;
  }

  /**
   * Checks every invariant by an independent recount from the page words: list contents equal
   * the heads in state BUDDY/PCP, counts match, blocks are aligned and disjoint, no two free
   * buddies of the same order are left unmerged. Throws MmInvariantError on the first problem.
   */
  checkInvariants(): void {
    const w = this.words;
    const recount = this.zones.map(() => new Float64Array(this.nrOrders * MIGRATE_TYPES));
    const pcpRecount = this.zones.map(() => new Float64Array(this.cpus));
    let listed = 0;
    for (let p = 0; p < this.endPfn;) {
      const x = w[p]!;
      const st = x & STATE_MASK;
      const o = (x >>> ORDER_SHIFT) & ORDER_MASK;
      if (st === PageState.TAIL) throw new MmInvariantError("layout", `tail at block start ${p}`);
      if ((p & ((1 << o) - 1)) !== 0) {
        throw new MmInvariantError("layout", `unaligned block ${p}/${o}`);
      }
      if (st === PageState.DETACHED) throw new MmInvariantError("layout", `detached block ${p}`);
      for (let q = p + 1; q < p + (1 << o); q++) {
        if ((w[q]! & STATE_MASK) !== PageState.TAIL) {
          throw new MmInvariantError("overlap", `block ${p}/${o} overlaps head ${q}`);
        }
      }
      if (st === PageState.BUDDY || st === PageState.PCP) {
        listed++;
        const s = x >>> PAYLOAD_SHIFT;
        if (this.#slotPfn[s] !== p) {
          throw new MmInvariantError("slot", `slot of ${p} names ${this.#slotPfn[s]}`);
        }
        const zi = this.zoneOf(p);
        if (zi < 0) throw new MmInvariantError("zone", `free block ${p} outside zones`);
        if (st === PageState.BUDDY) {
          const mt = this.#slotList[s]! % MIGRATE_TYPES;
          recount[zi]![o * MIGRATE_TYPES + mt]!++;
          const b = p ^ (1 << o);
          const z = this.zones[zi]!;
          if (o < this.maxOrder && b >= z.startPfn && b < z.endPfn) {
            const bw = w[b]!;
            if (
              (bw & STATE_MASK) === PageState.BUDDY && ((bw >>> ORDER_SHIFT) & ORDER_MASK) === o
            ) {
              const bmt = this.pageblockMt[b >>> this.pageblockOrder]!;
              const pmt = this.pageblockMt[p >>> this.pageblockOrder]!;
              if (
                o < this.pageblockOrder || (isMergeable(bmt) && isMergeable(pmt)) || bmt === pmt
              ) {
                throw new MmInvariantError("unmerged", `free buddies ${p} and ${b} of order ${o}`);
              }
            }
          }
        } else {
          pcpRecount[zi]![this.listInfoAt(p).cpu]! += 1 << o;
        }
      }
      p += 1 << o;
    }
    if (listed !== this.#slotsUsed) {
      throw new MmInvariantError("slot", `${listed} listed heads, ${this.#slotsUsed} slots in use`);
    }
    // Lists: walk each and compare with its length.
    for (let l = 0; l < this.#listHead.length; l++) {
      let n = 0;
      for (let s = this.#listHead[l]!; s >= 0; s = this.#slotNext[s]!) {
        if (this.#slotList[s] !== l) throw new MmInvariantError("list", `slot ${s} on wrong list`);
        n++;
      }
      if (n !== this.#listLen[l]) {
        throw new MmInvariantError("list", `list ${l} length ${n} ≠ ${this.#listLen[l]}`);
      }
    }
    this.zones.forEach((z, zi) => {
      let free = 0;
      for (let i = 0; i < z.nrFree.length; i++) {
        const located = z.nrFree[i]! - z.unlocated[i]!;
        if (located !== recount[zi]![i]) {
          throw new MmInvariantError(
            "count",
            `zone ${z.name} order ${Math.floor(i / MIGRATE_TYPES)} mt ${
              i % MIGRATE_TYPES
            }: ${located} counted, ${recount[zi]![i]} listed`,
          );
        }
        free += z.nrFree[i]! * (1 << Math.floor(i / MIGRATE_TYPES));
      }
      if (free !== z.freePages) {
        throw new MmInvariantError("count", `zone ${z.name} free ${z.freePages} ≠ ${free}`);
      }
      for (let c = 0; c < this.cpus; c++) {
        if (pcpRecount[zi]![c]! + z.pcpUnlocated[c]! !== z.pcpCount[c]) {
          throw new MmInvariantError("count", `zone ${z.name} cpu ${c} pcp count ${z.pcpCount[c]}`);
        }
      }
    });
  }
}

/** `migratetype_is_mergeable`: UNMOVABLE, MOVABLE, RECLAIMABLE (include/linux/mmzone.h). */
function isMergeable(mt: number): boolean {
  return mt < MIGRATE_PCPTYPES;
}

/** Fallback table (mm/page_alloc.c `fallbacks`). */
const FALLBACKS: ReadonlyArray<readonly number[]> = [
  [MigrateType.RECLAIMABLE, MigrateType.MOVABLE],
  [MigrateType.RECLAIMABLE, MigrateType.UNMOVABLE],
  [MigrateType.UNMOVABLE, MigrateType.MOVABLE],
];
