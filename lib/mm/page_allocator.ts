/**
 * The emulated Linux page allocator of one machine (mm/page_alloc.c, v6.15+ semantics): the
 * kernel's API (`alloc_pages`, `__free_pages`, `__get_free_pages`, `free_pages`,
 * `drain_all_pages` …) plus read-only views of zones, blocks and lists.
 *
 * Where each concept lives:
 * - page_words.ts: one 32-bit word per pfn and one byte per pageblock (state, order, payload);
 * - free_lists.ts: buddy and pcp lists through slots, carve / merge / retype primitives;
 * - zone.ts: per-zone counters, watermarks, pcp high/batch, the watermark check;
 * - rmqueue.ts: the allocation path (pcp, smallest, claim, steal, highatomic);
 * - free_path.ts: the freeing path (pcp commit, drains);
 * - invariants.ts: the independent recount;
 * - forced_page_state.ts: the narrow door through which replays set page state the kernel API
 *   cannot express (see {@linkcode PageAllocator.withForcedState}).
 *
 * @module
 */

import { AllocFlag, MIGRATE_PCPTYPES, MigrateType } from "../kernel/constants.ts";
import { GFP, gfpMigratetype } from "../kernel/gfp_flags.ts";
import { MmInvariantError } from "./mm_invariant_error.ts";
import { FreeLists } from "./free_lists.ts";
import { FreePath } from "./free_path.ts";
import { type ForcedPageState, ForcedState } from "./forced_page_state.ts";
import { gfpToAllocFlags, gfpZoneType } from "./gfp_zone.ts";
import { checkInvariants } from "./invariants.ts";
import { type MachineSpec, ZoneType } from "./machine_spec.ts";
import { ORDER_MASK, PageState, PageWords } from "./page_words.ts";
import { asOrder, asPfn, type Order, type Pfn } from "../kernel/units.ts";
import { type AllocatorStats, type FallbackHook, Rmqueue } from "./rmqueue.ts";
import { buildZones, type Zone, zonelistOrder, type ZoneView } from "./zone.ts";

export { AllocPageFlag, PageState } from "./page_words.ts";
export type { ZoneView } from "./zone.ts";
export type { AllocatorStats, FallbackHook } from "./rmqueue.ts";
export type { ForcedPageState } from "./forced_page_state.ts";

/** Options of {@linkcode PageAllocator}. */
export interface PageAllocatorOptions {
  /** Managed memory starts free (booted machine, default) or unknown (faithful replay). */
  initial?: "free" | "unknown";
  /**
   * Called on every emulated migratetype fallback (a would-be mm_page_alloc_extfrag), e.g. to
   * feed report metrics in policy mode.
   */
  onFallback?: FallbackHook;
}

/**
 * The emulated page allocator of one machine.
 *
 * @example
 * ```ts
 * import { PageAllocator } from "./page_allocator.ts";
 * import { presetMachineSpec } from "./machine_spec.ts";
 * import { GFP } from "../kernel/gfp_flags.ts";
 * import { asOrder } from "../kernel/units.ts";
 * const m = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 64 * 2 ** 20 }));
 * const GFP_KERNEL = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM | GFP.IO | GFP.FS;
 * const page = m.allocPages(GFP_KERNEL, asOrder(2));
 * m.__freePages(page!, asOrder(2));
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
  /** Policy-mode decision counters. */
  readonly stats: AllocatorStats;
  readonly #pages: PageWords;
  readonly #zones: Zone[];
  readonly #lists: FreeLists;
  readonly #rmqueue: Rmqueue;
  readonly #free: FreePath;

  constructor(spec: MachineSpec, opts: PageAllocatorOptions = {}) {
    this.spec = spec;
    this.maxOrder = spec.maxOrder;
    this.nrOrders = spec.maxOrder + 1;
    if (this.nrOrders > ORDER_MASK + 1) {
      throw new MmInvariantError("max-order", `max order ${spec.maxOrder} above 15`);
    }
    this.pageblockOrder = Math.min(spec.pageblockOrder, spec.maxOrder);
    this.pageblockPages = 1 << this.pageblockOrder;
    this.cpus = Math.max(1, spec.cpus);
    let end = 0;
    for (const z of spec.zones) end = Math.max(end, z.startPfn + z.spannedPages);
    // Round up to a max-order block so buddy arithmetic never leaves the array.
    const maxBlock = 1 << this.maxOrder;
    this.endPfn = Math.ceil(end / maxBlock) * maxBlock;
    this.#zones = buildZones(spec, this.nrOrders, this.pageblockOrder, this.cpus);
    const pages = new PageWords(this.endPfn, this.maxOrder, this.pageblockOrder, this.#zones);
    this.#pages = pages;
    const thpOrder = spec.pcpEnabled ? spec.thpPcpOrder : -1;
    this.#lists = new FreeLists(pages, this.#zones, this.nrOrders, this.cpus, thpOrder);
    this.#rmqueue = new Rmqueue(
      spec,
      pages,
      this.#lists,
      this.#zones,
      zonelistOrder(this.#zones),
      opts.onFallback ?? null,
    );
    this.stats = this.#rmqueue.stats;
    this.#free = new FreePath(spec, pages, this.#lists, this.#zones, this.stats);
    // Initial partition: zone spans (managed part free or unknown), holes elsewhere.
    const byStart = this.#zones.slice().sort((a, b) => a.startPfn - b.startPfn);
    let cursor = 0;
    for (const z of byStart) {
      const start = Math.max(z.startPfn, cursor);
      if (start > cursor) pages.partition(cursor, start, PageState.HOLE);
      if (opts.initial === "unknown") {
        pages.partition(start, z.endPfn, PageState.UNKNOWN);
      } else {
        const usableEnd = Math.min(z.endPfn, start + z.managedPages);
        this.#partitionFree(z, start, usableEnd);
        pages.partition(usableEnd, z.endPfn, PageState.HOLE);
      }
      cursor = Math.max(cursor, z.endPfn);
    }
    pages.partition(cursor, this.endPfn, PageState.HOLE);
    for (const z of this.#zones) z.noteFree();
  }

  /**
   * An allocator and the {@linkcode ForcedPageState} door to its page state, for replays that
   * must make the emulator agree with a trace or a snapshot.
   *
   * @example
   * ```ts
   * import { PageAllocator } from "./page_allocator.ts";
   * import { presetMachineSpec } from "./machine_spec.ts";
   * const { machine, forced } = PageAllocator.withForcedState(
   *   presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }),
   *   { initial: "unknown" },
   * );
   * forced.countUnlocated(1, 3, 1, 1); // one order-3 Movable block in DMA32, pfn unknown
   * machine.zoneViews[1]!.freePages; // 8
   * ```
   */
  static withForcedState(
    spec: MachineSpec,
    opts: PageAllocatorOptions = {},
  ): { machine: PageAllocator; forced: ForcedPageState } {
    const machine = new PageAllocator(spec, opts);
    const forced = new ForcedState(machine.#pages, machine.#lists, machine.#zones, machine.#free);
    return { machine, forced };
  }

  /** Boot-time freeing of [start, end) into MOVABLE pageblocks (memblock_free_all). */
  #partitionFree(z: Zone, start: number, end: number): void {
    const pages = this.#pages;
    let p = start;
    while (p < end) {
      let o = this.maxOrder;
      while (o > 0 && ((p & ((1 << o) - 1)) !== 0 || p + (1 << o) > end)) o--;
      pages.detach(p, o);
      this.#lists.addFree(z, p, o, pages.pageblockMtOf(p), true);
      p += 1 << o;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The kernel's API

  #preferredZone(highest: number): Zone | undefined {
    for (const zi of this.#rmqueue.zonelist) {
      const z = this.#zones[zi]!;
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
  allocPages(gfp: number, order: Order, cpu = 0): Pfn | null {
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
      this.#zones.some((z) =>
        z.node === preferred.node && z.type === ZoneType.DMA32 && z.managedPages > 0
      )
    ) flags |= AllocFlag.NOFRAGMENT;
    const rq = this.#rmqueue;
    let pfn = rq.getPageFromFreelist(gfp, order, mt, highest, flags, c);
    if (pfn < 0 && (flags & AllocFlag.NOFRAGMENT)) {
      pfn = rq.getPageFromFreelist(gfp, order, mt, highest, flags & ~AllocFlag.NOFRAGMENT, c);
    }
    if (pfn >= 0) return asPfn(pfn);
    preferred.kswapdWakes++;
    const slow = gfpToAllocFlags(gfp, order);
    pfn = rq.getPageFromFreelist(gfp, order, mt, highest, slow, c);
    if (pfn >= 0) return asPfn(pfn);
    preferred.directReclaims++;
    pfn = rq.getPageFromFreelist(gfp, order, mt, highest, slow | AllocFlag.NO_WATERMARKS, c);
    if (pfn >= 0) return asPfn(pfn);
    this.stats.failuresByOrder[order]!++;
    return null;
  }

  /** `alloc_page(gfp)`. */
  allocPage(gfp: number, cpu = 0): Pfn | null {
    return this.allocPages(gfp, asOrder(0), cpu);
  }

  /**
   * `__free_pages(page, order)` on CPU `cpu`: pcp orders go to the CPU's pcp list (HIGHATOMIC/CMA
   * blocks to the MOVABLE list, ISOLATE straight to buddy), draining a batch when the list count
   * reaches `high`; other orders go to buddy with merging. Throws MmInvariantError when the
   * block is not an allocated block of that order.
   */
  __freePages(pfn: Pfn, order: Order, cpu = 0): void {
    const pages = this.#pages;
    const head = pages.headOf(pfn);
    if (head !== pfn || pages.stateAt(pfn) !== PageState.ALLOC || pages.orderAt(pfn) !== order) {
      throw new MmInvariantError("bad-free", `pfn ${pfn} order ${order} is not an allocated block`);
    }
    pages.detach(pfn, order);
    this.#free.freeDetached(pfn, order, cpu % this.cpus, true);
  }

  /** `drain_all_pages`: every located pcp page of every zone back to buddy. */
  drainAllPages(): void {
    this.#free.drainAllPages();
  }

  /**
   * `__folio_set_slab`-like: sets an {@linkcode AllocPageFlag} (e.g. SLAB) on an allocated head;
   * MmInvariantError when `head` is not allocated.
   */
  setAllocFlag(head: number, flag: number): void {
    const pages = this.#pages;
    if (pages.stateAt(head) !== PageState.ALLOC || pages.headOf(head) !== head) {
      throw new MmInvariantError("bad-flag", `pfn ${head} is not an allocated head`);
    }
    pages.words[head] = pages.words[head]! | flag;
  }

  /** Direct-map virtual address of a pfn (null for HighMem, which has no permanent mapping). */
  pfnToVirt(pfn: Pfn): bigint | null {
    const zi = this.zoneOf(pfn);
    if (zi >= 0 && this.#zones[zi]!.type === ZoneType.HIGHMEM) return null;
    return this.spec.pageOffset + BigInt(pfn) * BigInt(this.spec.pageSizeBytes);
  }

  /** pfn of a direct-map virtual address. */
  virtToPfn(addr: bigint): Pfn {
    return asPfn(Number((addr - this.spec.pageOffset) / BigInt(this.spec.pageSizeBytes)));
  }

  /**
   * `__get_free_pages(gfp, order)`: virtual address or null. Like the kernel, HighMem pages have
   * no address, so __GFP_HIGHMEM requests that land there are freed again and return null.
   */
  getFreePages(gfp: number, order: Order, cpu = 0): bigint | null {
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
    return this.getFreePages(gfp | GFP.ZERO, asOrder(0), cpu);
  }

  /** `free_pages(addr, order)`; address 0 is ignored like in the kernel. */
  freePages(addr: bigint, order: Order, cpu = 0): void {
    if (addr === 0n) return;
    this.__freePages(this.virtToPfn(addr), order, cpu);
  }

  /** `free_page(addr)`. */
  freePage(addr: bigint, cpu = 0): void {
    this.freePages(addr, asOrder(0), cpu);
  }

  // ---------------------------------------------------------------------------------------------
  // Read-only views

  /** Zone views (read only). */
  get zones(): readonly ZoneView[] {
    return this.#zones;
  }

  /** Read-only zone views (same as {@linkcode zones}). */
  get zoneViews(): readonly ZoneView[] {
    return this.#zones;
  }

  /** Migratetype of each pageblock (read only). */
  get pageblockMt(): Uint8Array {
    return this.#pages.pageblockMt;
  }

  /** Zone index of each pageblock, 255 = none (read only). */
  get pageblockZone(): Uint8Array {
    return this.#pages.pageblockZone;
  }

  /** Zone index of a pfn, or -1 outside every zone. */
  zoneOf(pfn: number): number {
    return this.#pages.zoneOf(pfn);
  }

  /** Head pfn of the block containing `pfn` (-1 outside the emulated range). */
  headOf(pfn: number): number {
    return this.#pages.headOf(pfn);
  }

  /** State of a head ({@linkcode PageState}). */
  stateAt(head: number): number {
    return this.#pages.stateAt(head);
  }

  /** Order of a head. */
  orderAt(head: number): number {
    return this.#pages.orderAt(head);
  }

  /** Migratetype an allocated head was requested with. */
  allocMtAt(head: number): number {
    return this.#pages.allocMtAt(head);
  }

  /** Allocated-head flags ({@linkcode AllocPageFlag}) and refcount of an allocated head. */
  allocFlagsAt(
    head: number,
  ): { compound: boolean; preexisting: boolean; slab: boolean; refcount: number } {
    return this.#pages.allocFlagsAt(head);
  }

  /** True when an allocated head carries {@linkcode AllocPageFlag} `flag`. */
  hasAllocFlag(head: number, flag: number): boolean {
    return (this.#pages.words[head]! & flag) !== 0;
  }

  /** For a buddy head: the migratetype of its free list; for a pcp head: its CPU. */
  listInfoAt(head: number): { mt: number; cpu: number } {
    return this.#lists.listInfoAt(head);
  }

  /** Pageblock migratetype of a pfn. */
  pageblockMtOf(pfn: number): number {
    return this.#pages.pageblockMtOf(pfn);
  }

  /** `pcp_allowed_order`: orders 0..3, plus the THP order when pcp lists hold THPs. */
  pcpAllowedOrder(order: number): boolean {
    return this.#lists.pcpAllowedOrder(order);
  }

  /** Number of entries on free list (zone, order, mt), located blocks only. */
  listLength(zone: number, order: number, mt: number): number {
    return this.#lists.listLen[this.#lists.buddyList(zone, order, mt)]!;
  }

  /** Pfns on free list (zone, order, mt), head first. */
  listPfns(zone: number, order: number, mt: number): number[] {
    return this.#lists.pfnsOf(this.#lists.buddyList(zone, order, mt));
  }

  /** Pfns on a pcp list of (zone, cpu, order, mt), head first. */
  pcpListPfns(zone: number, cpu: number, order: number, mt: number): number[] {
    const l = this.#lists;
    return l.pfnsOf(l.pcpList(zone, cpu, l.pindex(order, mt)));
  }

  /** Index of the zone of (node, zone type), or -1. */
  findZone(node: number, type: number): number {
    for (const z of this.#zones) if (z.node === node && z.type === type) return z.index;
    return -1;
  }

  /** Watermark value for alloc flags' WMARK index, including the boost. */
  wmarkPages(zone: number, allocFlags: number): number {
    return this.#zones[zone]!.wmarkPages(allocFlags);
  }

  /** `__zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages)`. */
  zoneWatermarkOk(
    zone: number,
    order: number,
    mark: number,
    highestZoneType: number,
    allocFlags: number,
    freePages: number = this.#zones[zone]!.freePages,
  ): boolean {
    const z = this.#zones[zone]!;
    return z.watermarkOk(order, mark, highestZoneType, allocFlags, freePages, this.maxOrder);
  }

  /** Free slots in use (blocks on free or pcp lists). */
  get listedBlocks(): number {
    return this.#lists.slotsUsed;
  }

  /** Bytes held by page words, pageblock bytes and slots (emulator memory, not the kernel's). */
  get memoryBytes(): number {
    return this.#pages.memoryBytes + this.#lists.memoryBytes;
  }

  /**
   * Checks every invariant by an independent recount from the page words (see invariants.ts).
   * Throws MmInvariantError on the first problem.
   */
  checkInvariants(): void {
    checkInvariants(this.#pages, this.#lists, this.#zones);
  }
}
