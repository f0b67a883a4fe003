/**
 * The faithful replay's *unlocated* free blocks and pcp pages: counts per (zone, order, mt) and
 * per (zone, CPU) known from a before-snapshot whose pfns the trace has not revealed yet. The
 * zone's free counts include them (through {@linkcode ForcedPageState.countUnlocated}); this
 * pool decides which one a first sighting consumes.
 *
 * @module
 */

import { MIGRATE_TYPES } from "../../kernel/constants.ts";
import type { ForcedPageState, PageAllocator } from "../../mm/page_allocator.ts";

/**
 * Unlocated blocks of one machine.
 *
 * @example
 * ```ts
 * import { UnlocatedPool } from "./unlocated_pool.ts";
 * import { PageAllocator } from "../../mm/page_allocator.ts";
 * import { presetMachineSpec } from "../../mm/machine_spec.ts";
 * const { machine, forced } = PageAllocator.withForcedState(
 *   presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }),
 *   { initial: "unknown" },
 * );
 * const pool = new UnlocatedPool(machine, forced);
 * pool.add(1, 3, 1, 1); // one order-3 Movable block in DMA32
 * pool.takeBlock(1, 1, 1); // 1: split, orders 1 and 2 stay unlocated
 * machine.zoneViews[1]!.freePages; // 6
 * ```
 */
export class UnlocatedPool {
  constructor(readonly machine: PageAllocator, readonly forced: ForcedPageState) {}

  /** Adds free blocks known only by count (seeded from buddyinfo/pagetypeinfo). */
  add(zone: number, order: number, mt: number, blocks: number): void {
    this.forced.countUnlocated(zone, order, mt, blocks);
  }

  /**
   * Consumes one unlocated free block of type `mt` that could hold [pfn, pfn + 2^order): the
   * smallest order k ≥ order with an unlocated block and pfn's alignment allowing it. Returns k,
   * or -1 when none fits. The caller then materialises it at `pfn & ~(2^k - 1)`.
   */
  take(
    zone: number,
    pfn: number,
    order: number,
    mt: number,
    fits: (base: number, order: number) => boolean,
  ): number {
    const z = this.machine.zones[zone]!;
    for (let k = order; k <= this.machine.maxOrder; k++) {
      if (z.unlocated[k * MIGRATE_TYPES + mt]! <= 0) continue;
      const base = pfn & ~((1 << k) - 1);
      if (base < z.startPfn || base + (1 << k) > z.endPfn || !fits(base, k)) continue;
      this.forced.countUnlocated(zone, k, mt, -1);
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
   */
  takeBlock(zone: number, order: number, mt: number): number {
    const z = this.machine.zones[zone]!;
    for (let k = order; k <= this.machine.maxOrder; k++) {
      let t = z.unlocated[k * MIGRATE_TYPES + mt]! > 0 ? mt : -1;
      for (let x = 0; t < 0 && x < MIGRATE_TYPES; x++) {
        if (z.unlocated[k * MIGRATE_TYPES + x]! > 0) t = x;
      }
      if (t < 0) continue;
      this.forced.countUnlocated(zone, k, t, -1);
      for (let o = order; o < k; o++) this.forced.countUnlocated(zone, o, t, 1);
      return t;
    }
    return -1;
  }

  /** Seeds pcp pages known only by count (zoneinfo pagesets). */
  addPcp(zone: number, cpu: number, pages: number): void {
    this.forced.countUnlocatedPcp(zone, cpu, pages);
  }

  /** Takes `pages` unlocated pcp pages, preferring `cpu`; false when there are not enough. */
  takePcp(zone: number, cpu: number, pages: number): boolean {
    const m = this.machine;
    const un = m.zones[zone]!.pcpUnlocated;
    let c = cpu % m.cpus;
    if (un[c]! < pages) {
      c = -1;
      for (let i = 0; i < m.cpus; i++) if (un[i]! >= pages) c = i;
      if (c < 0) return false;
    }
    this.forced.countUnlocatedPcp(zone, c, -pages);
    return true;
  }
}
