/**
 * The policy replay's *pre-existing* allocations: blocks a snapshot-seeded machine holds as
 * allocated before the replay starts. Frees of trace pages the emulator never handed out, and
 * slab caches seeded from the before-slabinfo, take their blocks from here.
 *
 * @module
 */

import {
  AllocPageFlag,
  type ForcedPageState,
  type PageAllocator,
  PageState,
} from "../../mm/page_allocator.ts";

/**
 * Pre-existing allocated blocks per zone and order (stacks; stale entries skipped on take).
 *
 * @example
 * ```ts
 * import { PreexistingPool } from "./preexisting_pool.ts";
 * import { PageAllocator } from "../../mm/page_allocator.ts";
 * import { presetMachineSpec } from "../../mm/machine_spec.ts";
 * import { GFP } from "../../kernel/gfp_flags.ts";
 * import { asOrder } from "../../kernel/units.ts";
 * const { machine, forced } = PageAllocator.withForcedState(
 *   presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }),
 * );
 * const pool = new PreexistingPool(machine, forced);
 * const pfn = machine.allocPages(GFP.MOVABLE, asOrder(2))!;
 * const zone = machine.zoneOf(pfn);
 * pool.add(zone, pfn, 2, 1);
 * pool.take(zone, 0) === pfn; // true: the lowest page, orders 0 and 1 stay pre-existing
 * pool.pages(zone); // 3
 * ```
 */
export class PreexistingPool {
  readonly #stacks: number[][][];

  constructor(readonly machine: PageAllocator, readonly forced: ForcedPageState) {
    this.#stacks = machine.zones.map(() => Array.from({ length: machine.nrOrders }, () => []));
  }

  /** Registers a detached or allocated block as pre-existing (allocated before the replay). */
  add(zone: number, pfn: number, order: number, mt: number): void {
    this.forced.setAllocated(pfn, order, mt, AllocPageFlag.PREEXISTING);
    this.#stacks[zone]![order]!.push(pfn);
  }

  /**
   * Takes a pre-existing allocated block of `order` in `zone` (splitting a larger one; the other
   * pieces stay pre-existing) and returns its pfn, or -1 when none is left.
   */
  take(zone: number, order: number): number {
    const m = this.machine;
    const stacks = this.#stacks[zone]!;
    for (let k = order; k <= m.maxOrder; k++) {
      const st = stacks[k]!;
      while (st.length > 0) {
        const pfn = st.pop()!;
        if (
          m.stateAt(pfn) !== PageState.ALLOC || m.orderAt(pfn) !== k ||
          !m.hasAllocFlag(pfn, AllocPageFlag.PREEXISTING)
        ) continue; // stale: freed or reshaped meanwhile
        const mt = m.allocMtAt(pfn);
        for (let o = k - 1; o >= order; o--) this.add(zone, pfn + (1 << o), o, mt);
        this.forced.setAllocated(pfn, order, mt);
        return pfn;
      }
    }
    return -1;
  }

  /** Pages still pre-existing in a zone (approximate: counts stacked blocks). */
  pages(zone: number): number {
    let n = 0;
    this.#stacks[zone]!.forEach((st, k) => n += st.length << k);
    return n;
  }
}
