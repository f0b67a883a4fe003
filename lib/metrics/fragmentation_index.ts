/**
 * Fragmentation indexes exactly as mm/vmstat.c computes them (`fill_contig_page_info`,
 * `unusable_free_index`, `__fragmentation_index`, `extfrag_for_order`), from a zone's
 * `nr_free[order]` (free blocks per order, all migratetypes, as /proc/buddyinfo prints them).
 *
 * Results are integers scaled by 1000 (the kernel's "3 decimal places"), computed with the same
 * truncating integer division; the formatters reproduce the debugfs `extfrag/unusable_index` and
 * `extfrag/extfrag_index` text, including C's truncation toward zero for negative values.
 *
 * @module
 */

import { MAX_PAGE_ORDER, NR_PAGE_ORDERS } from "../kernel/constants.ts";

/** Scale of both indexes: 1000 means 1.000 (mm/vmstat.c). */
export const FRAG_INDEX_SCALE = 1000;
/** `__fragmentation_index` result when an allocation of the order would succeed (mm/vmstat.c). */
export const EXTFRAG_WOULD_SUCCEED = -1000;

/** The three sums `fill_contig_page_info` produces for one order. */
export interface ContigPageInfo {
  /** Σ nr_free[o] << o: free base pages in the buddy lists. */
  freePages: number;
  /** Σ nr_free[o]: free blocks of any order. */
  freeBlocksTotal: number;
  /** Σ_{o ≥ order} nr_free[o] << (o − order): how many order-`order` allocations fit. */
  freeBlocksSuitable: number;
}

/**
 * `fill_contig_page_info(zone, order)` over `nrFree` (orders beyond the array count as 0).
 *
 * @example
 * ```ts
 * import { contigPageInfo } from "./fragmentation_index.ts";
 * contigPageInfo([4, 2, 1], 1); // { freePages: 12, freeBlocksTotal: 7, freeBlocksSuitable: 4 }
 * ```
 */
export function contigPageInfo(nrFree: ArrayLike<number>, order: number): ContigPageInfo {
  let freePages = 0;
  let freeBlocksTotal = 0;
  let freeBlocksSuitable = 0;
  const n = Math.min(nrFree.length, NR_PAGE_ORDERS);
  for (let o = 0; o < n; o++) {
    const blocks = nrFree[o] ?? 0;
    freeBlocksTotal += blocks;
    // Multiplication instead of << keeps counts above 2^31 exact (C uses unsigned long).
    freePages += blocks * 2 ** o;
    if (o >= order) freeBlocksSuitable += blocks * 2 ** (o - order);
  }
  return { freePages, freeBlocksTotal, freeBlocksSuitable };
}

/**
 * Unusable free space index ×1000 for `order` (`unusable_free_index`): the share of free memory
 * in blocks too small for the order. 1000 when the zone has no free pages.
 *
 * @example
 * ```ts
 * import { unusableIndex } from "./fragmentation_index.ts";
 * unusableIndex([4, 2, 1], 1); // 333  ((12 − 4·2)·1000 / 12, truncated)
 * ```
 */
export function unusableIndex(nrFree: ArrayLike<number>, order: number): number {
  const info = contigPageInfo(nrFree, order);
  if (info.freePages === 0) return FRAG_INDEX_SCALE;
  return Math.floor(
    (info.freePages - info.freeBlocksSuitable * 2 ** order) * FRAG_INDEX_SCALE / info.freePages,
  );
}

/**
 * External fragmentation index ×1000 for `order` (`__fragmentation_index`): −1000 when an
 * allocation would succeed, 0 with no free blocks or an order above MAX_PAGE_ORDER; otherwise
 * near 0 = failure from lack of memory, near 1000 = failure from fragmentation. The kernel's
 * formula can go negative (e.g. a single free block one order too small gives −500) and this
 * function returns what the kernel returns.
 *
 * @example
 * ```ts
 * import { extfragIndex } from "./fragmentation_index.ts";
 * extfragIndex([4, 2, 1], 3); // 643  (1000 − (1000 + 12·1000/8) / 7)
 * extfragIndex([4, 2, 1], 2); // -1000 (one order-2 block is free)
 * ```
 */
export function extfragIndex(nrFree: ArrayLike<number>, order: number): number {
  if (order > MAX_PAGE_ORDER) return 0;
  const info = contigPageInfo(nrFree, order);
  if (info.freeBlocksTotal === 0) return 0;
  if (info.freeBlocksSuitable > 0) return EXTFRAG_WOULD_SUCCEED;
  const requested = 2 ** order;
  // div_u64 twice: both divisions truncate (operands are non-negative).
  const perRequest = Math.floor(info.freePages * FRAG_INDEX_SCALE / requested);
  return FRAG_INDEX_SCALE - Math.floor((FRAG_INDEX_SCALE + perRequest) / info.freeBlocksTotal);
}

/**
 * `extfrag_for_order` (proactive compaction, ≥v5.9): the unusable share in percent, 0..100,
 * and 0 (not 100) when the zone has no free pages.
 *
 * @example
 * ```ts
 * import { extfragForOrder } from "./fragmentation_index.ts";
 * extfragForOrder([4, 2, 1], 2); // 66
 * ```
 */
export function extfragForOrder(nrFree: ArrayLike<number>, order: number): number {
  const info = contigPageInfo(nrFree, order);
  if (info.freePages === 0) return 0;
  const percent = 100;
  return Math.floor(
    (info.freePages - info.freeBlocksSuitable * 2 ** order) * percent / info.freePages,
  );
}

/**
 * Largest order with a free block, or −1 when nothing is free.
 *
 * @example
 * ```ts
 * import { largestFreeOrder } from "./fragmentation_index.ts";
 * largestFreeOrder([4, 2, 1, 0]); // 2
 * largestFreeOrder([0, 0]); // -1
 * ```
 */
export function largestFreeOrder(nrFree: ArrayLike<number>): number {
  for (let o = Math.min(nrFree.length, NR_PAGE_ORDERS) - 1; o >= 0; o--) {
    if ((nrFree[o] ?? 0) > 0) return o;
  }
  return -1;
}

/**
 * Fills `unusableOut[o]` and `extfragOut[o]` for every order 0..MAX_PAGE_ORDER in one pass over
 * the suffix sums (hot path of the per-sample metrics; same values as the single-order functions).
 *
 * @example
 * ```ts
 * import { fragmentationIndexes } from "./fragmentation_index.ts";
 * const u = new Int32Array(11), e = new Int32Array(11);
 * fragmentationIndexes([4, 2, 1], u, e);
 * [u[1], e[3]]; // [333, 643]
 * ```
 */
export function fragmentationIndexes(
  nrFree: ArrayLike<number>,
  unusableOut: Int32Array,
  extfragOut: Int32Array,
): void {
  let freePages = 0;
  let freeBlocksTotal = 0;
  const n = Math.min(nrFree.length, NR_PAGE_ORDERS);
  for (let o = 0; o < n; o++) {
    const blocks = nrFree[o] ?? 0;
    freeBlocksTotal += blocks;
    freePages += blocks * 2 ** o;
  }
  // suitable(j) << j = Σ_{o≥j} nr_free[o] << o, built from the top order down.
  let suitablePages = 0;
  for (let j = NR_PAGE_ORDERS - 1; j >= 0; j--) {
    if (j < n) suitablePages += (nrFree[j] ?? 0) * 2 ** j;
    const requested = 2 ** j;
    unusableOut[j] = freePages === 0
      ? FRAG_INDEX_SCALE
      : Math.floor((freePages - suitablePages) * FRAG_INDEX_SCALE / freePages);
    if (freeBlocksTotal === 0) extfragOut[j] = 0;
    else if (suitablePages > 0) extfragOut[j] = EXTFRAG_WOULD_SUCCEED;
    else {
      extfragOut[j] = FRAG_INDEX_SCALE -
        Math.floor(
          (FRAG_INDEX_SCALE + Math.floor(freePages * FRAG_INDEX_SCALE / requested)) /
            freeBlocksTotal,
        );
    }
  }
}

/** C's `%0<width>d` for an int (sign counts toward the width, zero padding after the sign). */
function cZeroPad(value: number, width: number): string {
  const digits = String(Math.abs(value));
  const sign = value < 0 ? "-" : "";
  return sign + digits.padStart(width - sign.length, "0");
}

/** C's `/` and `%` on ints: truncation toward zero, remainder takes the dividend's sign. */
function cDivMod(value: number, divisor: number): [number, number] {
  const q = Math.trunc(value / divisor);
  return [q, value - q * divisor];
}

/**
 * Formats an index ×1000 as `%d.%03d` of (index/1000, index%1000) with C semantics, like debugfs
 * `extfrag/unusable_index` (`width` 2 gives the `%2d.%03d` of `extfrag_index`).
 *
 * @example
 * ```ts
 * import { formatFragIndex } from "./fragmentation_index.ts";
 * formatFragIndex(333); // "0.333"
 * formatFragIndex(-1000, 2); // "-1.000"
 * formatFragIndex(643, 2); // " 0.643"
 * formatFragIndex(-500, 2); // " 0.-500" (what the kernel prints for a negative fraction)
 * ```
 */
export function formatFragIndex(index: number, width = 1): string {
  const [whole, frac] = cDivMod(index, FRAG_INDEX_SCALE);
  return `${String(whole).padStart(width, " ")}.${cZeroPad(frac, 3)}`;
}

/**
 * One line of debugfs `extfrag/unusable_index` (`kind` "unusable") or `extfrag/extfrag_index`
 * (`kind` "extfrag") for a zone, without the trailing newline.
 *
 * @example
 * ```ts
 * import { debugfsIndexLine } from "./fragmentation_index.ts";
 * debugfsIndexLine("unusable", 0, "DMA", [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3]).slice(0, 30);
 * // "Node 0, zone      DMA 0.000 0."
 * ```
 */
export function debugfsIndexLine(
  kind: "unusable" | "extfrag",
  node: number,
  zone: string,
  nrFree: ArrayLike<number>,
): string {
  let line = `Node ${node}, zone ${zone.padStart(8, " ")} `;
  for (let o = 0; o < NR_PAGE_ORDERS; o++) {
    line += kind === "unusable"
      ? `${formatFragIndex(unusableIndex(nrFree, o))} `
      : `${formatFragIndex(extfragIndex(nrFree, o), 2)} `;
  }
  return line;
}
