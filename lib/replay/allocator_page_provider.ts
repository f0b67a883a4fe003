/**
 * The slab layer's pages from the emulated page allocator (policy replay): slab and large
 * kmalloc blocks are allocated with the cache's gfp on the calling CPU, marked
 * {@linkcode AllocPageFlag.SLAB}, and freed back through the pcp/buddy path — so what-if SLUB
 * parameters change page-level fragmentation.
 *
 * Built with a pre-existing pool (`seedFrom`), the provider starts in its seeding phase: until
 * {@linkcode AllocatorPageProvider.endSeeding}, while the slab model fills caches with the
 * before-slabinfo's objects, blocks are taken from the *pre-existing* allocations of a
 * snapshot-seeded machine: those slabs were already part of the allocated memory the snapshot
 * shows.
 *
 * @module
 */

import type { PageProvider } from "../slab/page_provider.ts";
import { AllocPageFlag, type PageAllocator } from "../mm/page_allocator.ts";
import { gfpZoneType } from "../mm/gfp_zone.ts";
import { asOrder, asPfn } from "../kernel/units.ts";
import type { PreexistingPool } from "./page/preexisting_pool.ts";

/** Options of {@linkcode AllocatorPageProvider}. */
export interface AllocatorPageProviderOptions {
  /** Serve blocks from these pre-existing allocations until {@linkcode AllocatorPageProvider.endSeeding}. */
  seedFrom?: PreexistingPool;
}

/**
 * A {@linkcode PageProvider} backed by a {@linkcode PageAllocator}.
 *
 * @example
 * ```ts
 * import { AllocatorPageProvider } from "./allocator_page_provider.ts";
 * import { PageAllocator } from "../mm/page_allocator.ts";
 * import { presetMachineSpec } from "../mm/machine_spec.ts";
 * import { GFP } from "../kernel/gfp_flags.ts";
 * const m = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }));
 * const p = new AllocatorPageProvider(m);
 * const pfn = p.allocPages(GFP.COMP | GFP.RECLAIMABLE, 1, 0)!;
 * m.allocFlagsAt(pfn).slab; // true
 * p.slabBlocksByOrder[1]; // 1
 * p.freePages(pfn, 1, 0);
 * p.pagesInUse; // 0
 * ```
 */
export class AllocatorPageProvider implements PageProvider {
  /** The pre-existing pool while seeding, then null. */
  #seedFrom: PreexistingPool | null;
  /** Pages held by the slab layer now. */
  pagesInUse = 0;
  peakPages = 0;
  /** Blocks held now per order (slab pages and large kmallocs). */
  readonly slabBlocksByOrder: Float64Array;
  /** Blocks allocated per order, seeded ones excluded. */
  readonly allocsByOrder: Float64Array;
  allocCalls = 0;
  freeCalls = 0;
  failedCalls = 0;
  /** Blocks taken from pre-existing allocations while seeding. */
  seededBlocks = 0;

  constructor(readonly machine: PageAllocator, opts: AllocatorPageProviderOptions = {}) {
    this.#seedFrom = opts.seedFrom ?? null;
    this.slabBlocksByOrder = new Float64Array(machine.nrOrders);
    this.allocsByOrder = new Float64Array(machine.nrOrders);
  }

  allocPages(gfp: number, order: number, cpu = 0): number | null {
    const m = this.machine;
    this.allocCalls++;
    const seed = this.#seedFrom;
    let pfn: number | null = seed ? this.#takePreexisting(seed, gfp, order) : null;
    if (pfn !== null) this.seededBlocks++;
    else {
      pfn = m.allocPages(gfp, asOrder(order), cpu);
      if (pfn !== null) this.allocsByOrder[order]!++;
    }
    if (pfn === null) {
      this.failedCalls++;
      return null;
    }
    m.setAllocFlag(pfn, AllocPageFlag.SLAB);
    this.pagesInUse += 2 ** order;
    if (this.pagesInUse > this.peakPages) this.peakPages = this.pagesInUse;
    this.slabBlocksByOrder[order]!++;
    return pfn;
  }

  freePages(pfn: number, order: number, cpu = 0): void {
    this.freeCalls++;
    this.pagesInUse -= 2 ** order;
    this.slabBlocksByOrder[order]!--;
    this.machine.__freePages(asPfn(pfn), asOrder(order), cpu);
  }

  /** Ends the seeding phase: from now on blocks come from the allocator. */
  endSeeding(): void {
    this.#seedFrom = null;
  }

  /** A pre-existing block of the gfp's highest usable zone or below, or null. */
  #takePreexisting(pool: PreexistingPool, gfp: number, order: number): number | null {
    const m = this.machine;
    const highest = gfpZoneType(gfp, m.spec.configuredZoneTypes);
    for (let z = m.zones.length - 1; z >= 0; z--) {
      if (m.zones[z]!.type > highest) continue;
      const pfn = pool.take(z, order);
      if (pfn >= 0) return pfn;
    }
    return null;
  }
}
