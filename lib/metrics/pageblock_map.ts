/**
 * A pageblock map: one cell per pageblock of a zone at one moment, with its migratetype and how
 * many of its pages are free, for drawing "where is memory fragmented" pictures.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES, PAGEBLOCK_ORDER } from "../kernel/constants.ts";

/** Migratetype value marking a pageblock that is a hole / not online (no pages in the zone). */
export const PAGEBLOCK_ABSENT = 255;
/**
 * Migratetype value marking a pageblock nobody measured: its type, or even whether it is present
 * (a zone's span can be larger than its present memory, and zoneinfo does not say where).
 */
export const PAGEBLOCK_UNKNOWN = 254;
/** A pageblock known to be present (a page of it was seen) whose type nobody measured. */
export const PAGEBLOCK_PRESENT = 252;
/** Difference maps: a pageblock known at the start and the end with the same type. */
export const PAGEBLOCK_UNCHANGED = 253;

/** Where a map's per-type pageblock counts come from. */
export type PageblockCountSource = "pagetypeinfo" | "model";

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
  /** Optional: 1 where `freePages` is measured (every page's state known), 0 where unknown. */
  freeKnown?: Uint8Array;
  /**
   * Optional: pageblocks per migratetype of the whole zone at this moment, which the cells'
   * known types are a located part of (difference maps: end minus start).
   */
  counts?: number[];
  /** Where `counts` come from: the /proc snapshot, or the model (an estimate). */
  countsSource?: PageblockCountSource;
  /** Optional: the cells are the model's estimate (policy replays synthesise their layout). */
  estimated?: boolean;
  /** Optional: a difference map (cells: the end type where the block changed). */
  difference?: boolean;
}

/** Counts over a map: per migratetype, how many blocks are empty (all free), full, partial. */
export interface PageblockMapSummary {
  perType: {
    migratetype: string;
    /** The zone's count (the map's `counts` when given, else the located cells). */
    blocks: number;
    free: number;
    partial: number;
    full: number;
    /** Cells drawn with this type at their real position. */
    located?: number;
    /** Located cells whose free pages are not known. */
    freeUnknown?: number;
  }[];
  absent: number;
  mixed: number;
  totalBlocks: number;
  /** Cells known present whose type is unknown. */
  presentUntyped?: number;
  /** Cells whose type (or presence) is unknown, present ones included. */
  unknown?: number;
  /** Difference maps: cells known unchanged. */
  unchanged?: number;
  /** Where `blocks` come from when the map carries counts. */
  countsSource?: PageblockCountSource;
}

/**
 * Per-type counts of fully free, partially used and full pageblocks.
 *
 * @example
 * ```ts
 * import { summarizePageblockMap } from "./pageblock_map.ts";
 * const s = summarizePageblockMap({ tsNs: 0, label: "end", node: 0, zone: "DMA", startPfn: 0,
 *   pageblockOrder: 9, migratetype: Uint8Array.of(0, 1, 1), freePages: Uint32Array.of(0, 512, 3) });
 * s.perType[1];
 * // { migratetype: "Movable", blocks: 2, free: 1, partial: 1, full: 0, located: 2, freeUnknown: 0 }
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
    located: 0,
    freeUnknown: 0,
  }));
  let absent = 0;
  let mixed = 0;
  let unknown = 0;
  let unchanged = 0;
  let presentUntyped = 0;
  for (let i = 0; i < map.migratetype.length; i++) {
    const mt = map.migratetype[i]!;
    if (mt === PAGEBLOCK_UNKNOWN || mt === PAGEBLOCK_PRESENT) unknown++;
    else if (mt === PAGEBLOCK_UNCHANGED) unchanged++;
    if (mt === PAGEBLOCK_PRESENT) presentUntyped++;
    if (mt >= MIGRATE_TYPES) {
      if (mt === PAGEBLOCK_ABSENT) absent++;
      continue;
    }
    const t = perType[mt]!;
    t.located++;
    if (map.mixed?.[i]) mixed++;
    if (map.freeKnown && !map.freeKnown[i]) {
      t.freeUnknown++;
      continue;
    }
    const free = map.freePages[i] ?? 0;
    if (free >= pagesPerBlock) t.free++;
    else if (free === 0) t.full++;
    else t.partial++;
  }
  for (const [mt, t] of perType.entries()) t.blocks = map.counts?.[mt] ?? t.located;
  return {
    perType,
    absent,
    mixed,
    totalBlocks: map.migratetype.length,
    unknown,
    presentUntyped,
    unchanged,
    ...(map.countsSource ? { countsSource: map.countsSource } : {}),
  };
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
