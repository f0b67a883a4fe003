/**
 * What the real kernel's `struct page` array (memmap) would cost for an emulated machine, as
 * opposed to the emulator's own ≈4 bytes per page.
 *
 * @module
 */

import { STRUCT_PAGE_BYTES_X86_64 } from "../kernel/constants.ts";
import type { MachineSpec } from "./machine_spec.ts";

/** memmap size of a machine. */
export interface MemmapCost {
  /** Pages with a struct page (present pages of every zone). */
  pages: number;
  /** Bytes of the struct page array. */
  bytes: number;
  /** Share of the machine's memory spent on it. */
  fraction: number;
}

/**
 * Size of the struct page array for the present pages of every zone: 64 bytes per page on
 * x86-64 by default; pass e.g. 40 for the classic text's example.
 *
 * @example
 * ```ts
 * import { memmapCost } from "./memmap_cost.ts";
 * import { presetMachineSpec } from "./machine_spec.ts";
 * const c = memmapCost(presetMachineSpec("x86_64", { memoryBytes: 2 ** 40 }));
 * c.bytes / 2 ** 30; // ≈ 16 (GiB for a 1 TiB machine)
 * ```
 */
export function memmapCost(
  spec: MachineSpec,
  structPageBytes = STRUCT_PAGE_BYTES_X86_64,
): MemmapCost {
  let pages = 0;
  for (const z of spec.zones) pages += z.presentPages;
  const bytes = pages * structPageBytes;
  return { pages, bytes, fraction: pages > 0 ? bytes / (pages * spec.pageSizeBytes) : 0 };
}
