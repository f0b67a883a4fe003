/**
 * A pageblock map: one cell per pageblock of a zone at one moment, with its migratetype and how
 * many of its pages are free, for drawing "where is memory fragmented" pictures.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES, PAGEBLOCK_ORDER } from "../kernel/constants.ts";

/** Migratetype value marking a pageblock that is a hole / not online (no pages in the zone). */
export const PAGEBLOCK_ABSENT = 255;

/** Snapshot of every pageblock of a zone (plain data, filled by the replay). *
 * @example
 * ```ts
 * import type { PageblockMap } from "./pageblock_map.ts";
 * const m: PageblockMap = { tsNs: 0, label: "end", node: 0, zone: "DMA", startPfn: 0,
 *   pageblockOrder: 9, migratetype: Uint8Array.of(0, 1), freePages: Uint32Array.of(0, 512) };
 * ```
 */
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

/** Per-pageblock arrays of a whole machine, as the replay keeps them (index = pfn >> order). */
export interface PageblockArrays {
  /** Migratetype per pageblock. */
  pageblockMt: ArrayLike<number>;
  /** Zone index per pageblock (blocks of other zones or holes are skipped). */
  pageblockZone: ArrayLike<number>;
  /** Optional free buddy pages per pageblock (0 when omitted). */
  freePagesPerBlock?: ArrayLike<number>;
  /** Pageblock order (default PAGEBLOCK_ORDER, 9 on x86-64). */
  pageblockOrder?: number;
}

/**
 * Cuts one zone's pageblock map out of machine-wide per-pageblock arrays.
 *
 * @example
 * ```ts
 * import { pageblockMapOfZone } from "./pageblock_map.ts";
 * const m = pageblockMapOfZone(
 *   { pageblockMt: Uint8Array.of(1, 0, 1, 2), pageblockZone: Uint8Array.of(1, 2, 2, 2) },
 *   { tsNs: 5, label: "end", node: 0, zone: "Normal", zoneIndex: 2, startPfn: 512, endPfn: 2048 },
 * );
 * [m.startPfn, Array.from(m.migratetype)]; // [512, [0, 1, 2]]
 * ```
 */
export function pageblockMapOfZone(
  arrays: PageblockArrays,
  z: {
    tsNs: number;
    label: string;
    node: number;
    zone: string;
    zoneIndex: number;
    startPfn: number;
    endPfn: number;
  },
): PageblockMap {
  const order = arrays.pageblockOrder ?? PAGEBLOCK_ORDER;
  const first = Math.floor(z.startPfn / 2 ** order);
  const end = Math.ceil(z.endPfn / 2 ** order);
  const n = Math.max(0, end - first);
  const migratetype = new Uint8Array(n);
  const freePages = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const b = first + i;
    const inZone = arrays.pageblockZone[b] === z.zoneIndex;
    migratetype[i] = inZone ? arrays.pageblockMt[b] ?? PAGEBLOCK_ABSENT : PAGEBLOCK_ABSENT;
    freePages[i] = inZone ? arrays.freePagesPerBlock?.[b] ?? 0 : 0;
  }
  return {
    tsNs: z.tsNs,
    label: z.label,
    node: z.node,
    zone: z.zone,
    startPfn: first * 2 ** order,
    pageblockOrder: order,
    migratetype,
    freePages,
  };
}
