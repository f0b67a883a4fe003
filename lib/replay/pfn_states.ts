/**
 * A replay's end state pfn by pfn, one byte each, to compare with a kpageflags snapshot (see
 * lib/replay/validate/pfn_agreement.ts). The values are the allocator's block states
 * ({@linkcode PageState}: UNKNOWN, BUDDY, PCP, ALLOC, HOLE), copied from each block's head to
 * all its pages; a faithful replay leaves UNKNOWN every page the trace never showed.
 *
 * @module
 */

import { type PageAllocator, PageState } from "../mm/page_allocator.ts";

/**
 * The state of every emulated pfn (index = pfn, length = the allocator's end pfn).
 *
 * @example
 * ```ts
 * import { PageAllocator, PageState } from "../mm/page_allocator.ts";
 * import { presetMachineSpec } from "../mm/machine_spec.ts";
 * import { pfnStates } from "./pfn_states.ts";
 * const mm = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 2 ** 28 }), {
 *   initial: "free",
 * });
 * const s = pfnStates(mm);
 * s[4096] === PageState.BUDDY; // true
 * ```
 */
export function pfnStates(machine: PageAllocator): Uint8Array {
  const out = new Uint8Array(machine.endPfn);
  // Blocks tile the pfn space: every block starts where the previous one ends.
  for (let pfn = 0; pfn < machine.endPfn;) {
    const state = machine.stateAt(pfn);
    const pages = 2 ** machine.orderAt(pfn);
    if (state === PageState.TAIL) {
      throw new RangeError(`pfn ${pfn} is a tail where a block should start`);
    }
    out.fill(state === PageState.DETACHED ? PageState.ALLOC : state, pfn, pfn + pages);
    pfn += pages;
  }
  return out;
}
