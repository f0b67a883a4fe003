/**
 * A pageblock map: one cell per pageblock of a zone at one moment, with its migratetype and how
 * many of its pages are free, for drawing "where is memory fragmented" pictures.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES, PAGEBLOCK_ORDER } from "../kernel/constants.ts";

/** Migratetype value marking a pageblock that is a hole / not online (no pages in the zone). */
export const PAGEBLOCK_ABSENT = 255;

/** Snapshot of every pageblock of a zone (plain data, filled by the replay). */
export interface PageblockMap {
  /** Trace time in ns. */
  tsNs: number;
  /** Why this moment was chosen, e.g. "start", "end", "peak fallbacks". */
  label: string;
  node: number;
  zone: string;
  /** First pfn of the zone's first pageblock (aligned down to the pageblock). */
  startPfn: number;
  /** Pageblock order (9 on x86-64). */
  pageblockOrder: number;
  /** Migratetype per pageblock, or {@linkcode PAGEBLOCK_ABSENT}. */
  migratetype: Uint8Array;
  /** Free buddy pages per pageblock (0..2^pageblockOrder). */
  freePages: Uint32Array;
  /** Optional: pageblocks holding allocations of another migratetype (1) or not (0). */
  mixed?: Uint8Array;
}

/** Counts over a map: per migratetype, how many blocks are empty (all free), full, partial. */
export interface PageblockMapSummary {
  perType: { migratetype: string; blocks: number; free: number; partial: number; full: number }[];
  absent: number;
  mixed: number;
  totalBlocks: number;
}

/**
 * Per-type counts of fully free, partially used and full pageblocks.
 *
 * @example
 * ```ts
 * import { summarizePageblockMap } from "./pageblock_map.ts";
 * const s = summarizePageblockMap({ tsNs: 0, label: "end", node: 0, zone: "DMA", startPfn: 0,
 *   pageblockOrder: 9, migratetype: Uint8Array.of(0, 1, 1), freePages: Uint32Array.of(0, 512, 3) });
 * s.perType[1]; // { migratetype: "Movable", blocks: 2, free: 1, partial: 1, full: 0 }
 * ```
 */
export function summarizePageblockMap(map: PageblockMap): PageblockMapSummary {
  const pagesPerBlock = 2 ** map.pageblockOrder;
  const perType = MIGRATE_TYPE_NAMES.map((n) => ({
    migratetype: n as string,
    blocks: 0,
    free: 0,
    partial: 0,
    full: 0,
  }));
  let absent = 0;
  let mixed = 0;
  for (let i = 0; i < map.migratetype.length; i++) {
    const mt = map.migratetype[i]!;
    if (mt >= MIGRATE_TYPES) {
      absent++;
      continue;
    }
    const t = perType[mt]!;
    t.blocks++;
    const free = map.freePages[i] ?? 0;
    if (free >= pagesPerBlock) t.free++;
    else if (free === 0) t.full++;
    else t.partial++;
    if (map.mixed?.[i]) mixed++;
  }
  return { perType, absent, mixed, totalBlocks: map.migratetype.length };
}

/**
 * Pfn of pageblock `index` of the map.
 *
 * @example
 * ```ts
 * import { pageblockStartPfn } from "./pageblock_map.ts";
 * pageblockStartPfn({ startPfn: 4096, pageblockOrder: 9 }, 2); // 5120
 * ```
 */
export function pageblockStartPfn(
  map: Pick<PageblockMap, "startPfn" | "pageblockOrder">,
  index: number,
): number {
  return map.startPfn + index * 2 ** map.pageblockOrder;
}

/** Default pageblock order for maps built on x86-64 (re-exported for callers). */
export const DEFAULT_PAGEBLOCK_ORDER = PAGEBLOCK_ORDER;
