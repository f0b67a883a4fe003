/**
 * Free lists and their primitives: intrusive doubly linked lists through *slots* (pfn, next,
 * prev, list: 16 bytes), `free_area[order][mt]` per zone and the per-cpu lists `lists[pindex]`
 * per (zone, CPU), with the kernel's head/tail discipline; carving a range out of whatever
 * covers it, `__free_one_page` merging, and moving a pageblock's free blocks to another type.
 *
 * Slots exist only for blocks on a free or pcp list, so list storage grows with the number of
 * free blocks, not with memory size. Every free block's buddy holds a non-free page, so free
 * blocks ≤ (non-free blocks) × orders.
 *
 * @module
 */

import {
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  MigrateType,
  NR_LOWORDER_PCP_LISTS,
  NR_PCP_THP,
  PAGE_ALLOC_COSTLY_ORDER,
} from "../kernel/constants.ts";
import { MmInvariantError } from "./mm_invariant_error.ts";
import {
  ORDER_MASK,
  ORDER_SHIFT,
  PageState,
  type PageWords,
  PAYLOAD_SHIFT,
  STATE_MASK,
  TAIL_WORD,
} from "./page_words.ts";
import type { Zone } from "./zone.ts";

const MAX_SLOTS = 1 << 25;

/** `migratetype_is_mergeable`: UNMOVABLE, MOVABLE, RECLAIMABLE (include/linux/mmzone.h). */
export function isMergeable(mt: number): boolean {
  return mt < MIGRATE_PCPTYPES;
}

/**
 * The buddy and pcp lists of one machine and the primitives that keep page words, lists and
 * zone counts in step.
 */
export class FreeLists {
  readonly nrPcpLists = NR_LOWORDER_PCP_LISTS + NR_PCP_THP;
  /** Number of buddy lists (pcp list ids follow them). */
  readonly buddyLists: number;
  readonly listHead: Int32Array;
  readonly listTail: Int32Array;
  readonly listLen: Float64Array;
  slotPfn: Float64Array;
  slotNext: Int32Array;
  slotPrev: Int32Array;
  slotList: Int32Array;
  #slotFree = -1;
  /** Slots in use (blocks on free or pcp lists). */
  slotsUsed = 0;
  readonly #w: Uint32Array;

  constructor(
    readonly pages: PageWords,
    readonly zones: readonly Zone[],
    readonly nrOrders: number,
    readonly cpus: number,
    /** THP order kept on pcp lists, or -1. */
    readonly thpOrder: number,
  ) {
    this.#w = pages.words;
    this.buddyLists = zones.length * nrOrders * MIGRATE_TYPES;
    const nLists = this.buddyLists + zones.length * cpus * this.nrPcpLists;
    this.listHead = new Int32Array(nLists).fill(-1);
    this.listTail = new Int32Array(nLists).fill(-1);
    this.listLen = new Float64Array(nLists);
    const slots = 1024;
    this.slotPfn = new Float64Array(slots);
    this.slotNext = new Int32Array(slots);
    this.slotPrev = new Int32Array(slots);
    this.slotList = new Int32Array(slots);
  }

  // ---------------------------------------------------------------------------------------------
  // Slots and lists

  #allocSlot(): number {
    let s = this.#slotFree;
    if (s >= 0) {
      this.#slotFree = this.slotNext[s]!;
    } else {
      s = this.slotsUsed;
      if (s >= this.slotPfn.length) this.#growSlots();
    }
    this.slotsUsed++;
    return s;
  }

  #growSlots(): void {
    const n = this.slotPfn.length * 2;
    if (n > MAX_SLOTS * 2) throw new MmInvariantError("slots", "more than 2^25 listed blocks");
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.slotPfn = grow(this.slotPfn, (k) => new Float64Array(k));
    this.slotNext = grow(this.slotNext, (k) => new Int32Array(k));
    this.slotPrev = grow(this.slotPrev, (k) => new Int32Array(k));
    this.slotList = grow(this.slotList, (k) => new Int32Array(k));
  }

  #link(list: number, pfn: number, state: number, order: number, toTail: boolean): void {
    const s = this.#allocSlot();
    this.slotPfn[s] = pfn;
    this.slotList[s] = list;
    const head = this.listHead[list]!;
    if (head < 0) {
      this.slotNext[s] = -1;
      this.slotPrev[s] = -1;
      this.listHead[list] = s;
      this.listTail[list] = s;
    } else if (toTail) {
      const t = this.listTail[list]!;
      this.slotNext[t] = s;
      this.slotPrev[s] = t;
      this.slotNext[s] = -1;
      this.listTail[list] = s;
    } else {
      this.slotPrev[head] = s;
      this.slotNext[s] = head;
      this.slotPrev[s] = -1;
      this.listHead[list] = s;
    }
    this.listLen[list]!++;
    this.#w[pfn] = state | (order << ORDER_SHIFT) | (s << PAYLOAD_SHIFT);
  }

  /** Unlinks the slot of a listed head; returns its list id. */
  #unlink(pfn: number): number {
    const s = this.#w[pfn]! >>> PAYLOAD_SHIFT;
    const list = this.slotList[s]!;
    const n = this.slotNext[s]!;
    const p = this.slotPrev[s]!;
    if (p >= 0) this.slotNext[p] = n;
    else this.listHead[list] = n;
    if (n >= 0) this.slotPrev[n] = p;
    else this.listTail[list] = p;
    this.listLen[list]!--;
    this.slotNext[s] = this.#slotFree;
    this.#slotFree = s;
    this.slotsUsed--;
    return list;
  }

  buddyList(z: number, order: number, mt: number): number {
    return (z * this.nrOrders + order) * MIGRATE_TYPES + mt;
  }

  pcpList(z: number, cpu: number, pindex: number): number {
    return this.buddyLists + (z * this.cpus + cpu) * this.nrPcpLists + pindex;
  }

  /** pcp list index of (order, mt) (include/linux/mmzone.h, order_to_pindex). */
  pindex(order: number, mt: number): number {
    if (order > PAGE_ALLOC_COSTLY_ORDER) {
      return NR_LOWORDER_PCP_LISTS + (mt === MigrateType.MOVABLE ? 1 : 0);
    }
    return MIGRATE_PCPTYPES * order + mt;
  }

  pindexOrder(pindex: number): number {
    return pindex < NR_LOWORDER_PCP_LISTS ? Math.floor(pindex / MIGRATE_PCPTYPES) : this.thpOrder;
  }

  #pindexMt(pindex: number): number {
    if (pindex < NR_LOWORDER_PCP_LISTS) return pindex % MIGRATE_PCPTYPES;
    return pindex === NR_LOWORDER_PCP_LISTS ? MigrateType.UNMOVABLE : MigrateType.MOVABLE;
  }

  /** `pcp_allowed_order`: orders 0..3, plus the THP order when pcp lists hold THPs. */
  pcpAllowedOrder(order: number): boolean {
    return order <= PAGE_ALLOC_COSTLY_ORDER || order === this.thpOrder;
  }

  /** pfn at the head of a list, or -1 when it is empty. */
  firstPfn(list: number): number {
    const s = this.listHead[list]!;
    return s < 0 ? -1 : this.slotPfn[s]!;
  }

  /** pfn at the tail of a list, or -1 when it is empty. */
  lastPfn(list: number): number {
    const s = this.listTail[list]!;
    return s < 0 ? -1 : this.slotPfn[s]!;
  }

  /** Pfns on a list, head first. */
  pfnsOf(list: number): number[] {
    const out: number[] = [];
    for (let s = this.listHead[list]!; s >= 0; s = this.slotNext[s]!) out.push(this.slotPfn[s]!);
    return out;
  }

  /** For a buddy head: the migratetype of its free list; for a pcp head: its CPU. */
  listInfoAt(head: number): { mt: number; cpu: number } {
    const slot = this.#w[head]! >>> PAYLOAD_SHIFT;
    const list = this.slotList[slot]!;
    if (list < this.buddyLists) return { mt: list % MIGRATE_TYPES, cpu: -1 };
    const rel = list - this.buddyLists;
    const pindex = rel % this.nrPcpLists;
    const cpu = Math.floor(rel / this.nrPcpLists) % this.cpus;
    return { mt: this.#pindexMt(pindex), cpu };
  }

  /** Bytes held by slots. */
  get memoryBytes(): number {
    return this.slotPfn.length * 20;
  }

  // ---------------------------------------------------------------------------------------------
  // Free-list primitives

  addFree(z: Zone, pfn: number, order: number, mt: number, toTail: boolean): void {
    this.#link(this.buddyList(z.index, order, mt), pfn, PageState.BUDDY, order, toTail);
    z.countFree(order, mt, 1);
  }

  /** Removes a located buddy head from its list, updating counts; returns its list mt. */
  delFree(pfn: number): number {
    const list = this.#unlink(pfn);
    const mt = list % MIGRATE_TYPES;
    const rest = (list - mt) / MIGRATE_TYPES;
    const order = rest % this.nrOrders;
    const z = this.zones[(rest - order) / this.nrOrders]!;
    z.countFree(order, mt, -1);
    this.pages.detach(pfn, order);
    return mt;
  }

  addPcp(z: Zone, cpu: number, pfn: number, order: number, mt: number, toTail: boolean): void {
    this.#link(
      this.pcpList(z.index, cpu, this.pindex(order, mt)),
      pfn,
      PageState.PCP,
      order,
      toTail,
    );
    z.pcpCount[cpu]! += 1 << order;
  }

  delPcp(pfn: number): void {
    const order = (this.#w[pfn]! >>> ORDER_SHIFT) & ORDER_MASK;
    const list = this.#unlink(pfn);
    const rel = list - this.buddyLists;
    const zc = Math.floor(rel / this.nrPcpLists);
    const z = this.zones[Math.floor(zc / this.cpus)]!;
    z.pcpCount[zc % this.cpus]! -= 1 << order;
    this.pages.detach(pfn, order);
  }

  /**
   * Detaches whatever covers [pfn, pfn + 2^order) so it becomes one detached block: a larger
   * containing block is split (pieces keep their state; buddy pieces go back to the head of free
   * list `buddyMt`, or their own list when -1 — exactly `expand` when pfn is the block's lowest
   * part), smaller blocks inside are unlinked and absorbed. Returns a bit mask (1 << state) of
   * the states that covered the range.
   */
  carve(pfn: number, order: number, buddyMt = -1): number {
    const w = this.#w;
    const pages = this.pages;
    const head = pages.headOf(pfn);
    const headWord = w[head]!;
    const k = (headWord >>> ORDER_SHIFT) & ORDER_MASK;
    const state = headWord & STATE_MASK;
    if (k >= order) {
      let listMt = -1;
      let cpu = -1;
      if (state === PageState.BUDDY) listMt = this.delFree(head);
      else if (state === PageState.PCP) {
        const info = this.listInfoAt(head);
        listMt = info.mt;
        cpu = info.cpu;
        this.delPcp(head);
      }
      const payload = state === PageState.ALLOC ? headWord & ~((1 << PAYLOAD_SHIFT) - 1) : 0;
      const z = state === PageState.BUDDY || state === PageState.PCP
        ? this.zones[pages.zoneOf(head)]!
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
        if (state === PageState.BUDDY) this.addFree(z!, other, o, mt, false);
        else if (state === PageState.PCP) this.addPcp(z!, cpu, other, o, listMt, false);
        else pages.setHead(other, state, o, payload);
      }
      if (base !== pfn) throw new MmInvariantError("carve", `carve of ${pfn} ended at ${base}`);
      pages.detach(pfn, order);
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
      if (st === PageState.BUDDY) this.delFree(q);
      else if (st === PageState.PCP) this.delPcp(q);
      mask |= 1 << st;
      w[q] = TAIL_WORD;
      q += 1 << o;
    }
    pages.detach(pfn, order);
    return mask;
  }

  /**
   * `__free_one_page`: frees a detached block into buddy with merging (v6.10+: merging across
   * mergeable pageblock types retypes the buddy's blocks), placing it at the list tail when
   * `buddy_merge_likely`.
   */
  freeToBuddy(zone: number, pfn: number, order: number, mt: number, toTail = false): void {
    const z = this.zones[zone]!;
    const w = this.#w;
    const pages = this.pages;
    const pbOrder = pages.pageblockOrder;
    const maxOrder = pages.maxOrder;
    let buddyPfn = -1;
    while (order < maxOrder) {
      buddyPfn = pfn ^ (1 << order);
      if (buddyPfn < z.startPfn || buddyPfn >= z.endPfn) break;
      const bw = w[buddyPfn]!;
      if ((bw & STATE_MASK) !== PageState.BUDDY || ((bw >>> ORDER_SHIFT) & ORDER_MASK) !== order) {
        break;
      }
      if (order >= pbOrder) {
        const buddyMt = pages.pageblockMt[buddyPfn >>> pbOrder]!;
        if (buddyMt !== mt && (!isMergeable(mt) || !isMergeable(buddyMt))) break;
        this.delFree(buddyPfn);
        if (buddyMt !== mt) pages.changePageblockRange(buddyPfn, order, mt);
      } else {
        this.delFree(buddyPfn);
      }
      const combined = buddyPfn & pfn;
      w[combined === pfn ? buddyPfn : pfn] = TAIL_WORD;
      pfn = combined;
      order++;
    }
    let tail = toTail;
    if (!tail && buddyPfn >= 0 && order < maxOrder - 1) {
      // buddy_merge_likely: the buddy of the next-larger block is free.
      const higher = buddyPfn & pfn;
      const hb = higher ^ (1 << (order + 1));
      if (hb >= z.startPfn && hb < z.endPfn) {
        const hw = w[hb]!;
        tail = (hw & STATE_MASK) === PageState.BUDDY &&
          ((hw >>> ORDER_SHIFT) & ORDER_MASK) === order + 1;
      }
    }
    this.addFree(z, pfn, order, mt, tail);
  }

  /**
   * Retypes the pageblock(s) of pfn (`order ≥ pageblock_order` covers the whole block range) and
   * moves their located free blocks to the new type's lists (`__move_freepages_block`). Returns
   * the free pages moved.
   */
  retypePageblocks(pfn: number, order: number, mt: number): number {
    const pages = this.pages;
    const pbOrder = pages.pageblockOrder;
    const span = order >= pbOrder ? 1 << order : pages.pageblockPages;
    const start = pfn & ~(span - 1);
    const zi = pages.zoneOf(pfn);
    if (zi < 0) return 0;
    const z = this.zones[zi]!;
    const end = Math.min(start + span, z.endPfn);
    let moved = 0;
    for (let q = Math.max(start, z.startPfn); q < end;) {
      const h = pages.headOf(q);
      const x = this.#w[h]!;
      const o = (x >>> ORDER_SHIFT) & ORDER_MASK;
      if ((x & STATE_MASK) === PageState.BUDDY && h >= start && h + (1 << o) <= start + span) {
        const old = this.delFree(h);
        if (old !== mt) moved += 1 << o;
        this.addFree(z, h, o, mt, false);
      }
      q = h + (1 << o);
    }
    pages.changePageblockRange(start, order, mt);
    return moved;
  }
}
