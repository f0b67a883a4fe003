/**
 * Display order of the `kmem slab` tables.
 *
 * @module
 */

/** Sort keys of the `kmem slab` tables. */
export type SlabSortKey = "bytes" | "waste" | "live" | "calls";

/**
 * Sorts call-site or cache rows for display (descending).
 *
 * @example
 * ```ts
 * import { sortSlabRows } from "./sort_slab_rows.ts";
 * const rows = [{ allocs: 1, bytesAlloc: 8, wasteBytes: 0, liveAtEnd: 0 },
 *   { allocs: 2, bytesAlloc: 4, wasteBytes: 1, liveAtEnd: 1 }];
 * sortSlabRows(rows, "bytes")[0]!.bytesAlloc; // 8
 * ```
 */
export function sortSlabRows<
  T extends {
    allocs: number;
    bytesAlloc: number;
    bytesReq?: number;
    wasteBytes?: number;
    liveAtEnd?: number;
    inuseObjs?: number;
  },
>(rows: T[], key: SlabSortKey): T[] {
  // Call-site rows carry waste and live counts; cache rows give them as bytes requested and
  // objects in use.
  const f: (r: T) => number = key === "bytes"
    ? (r) => r.bytesAlloc
    : key === "waste"
    ? (r) => r.wasteBytes ?? (r.bytesReq === undefined ? 0 : r.bytesAlloc - r.bytesReq)
    : key === "live"
    ? (r) => r.liveAtEnd ?? r.inuseObjs ?? 0
    : (r) => r.allocs;
  return rows.sort((a, b) => f(b) - f(a));
}
