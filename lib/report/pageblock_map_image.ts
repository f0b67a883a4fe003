/**
 * Pageblock maps as pictures and tables: one cell per pageblock, hue = migratetype, shade =
 * share of the block's pages in use (light = mostly free, dark = full), white = absent, grey
 * hatching = unknown (nobody measured the block's type or presence), dark grey hatching = present
 * but type not measured, striped colour = type known
 * but free pages not; difference maps draw unchanged blocks flat light grey.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES } from "../kernel/constants.ts";
import {
  PAGEBLOCK_ABSENT,
  PAGEBLOCK_PRESENT,
  PAGEBLOCK_UNCHANGED,
  PAGEBLOCK_UNKNOWN,
  type PageblockMap,
  pageblockStartPfn,
  summarizePageblockMap,
} from "../metrics/pageblock_map.ts";
import { MIGRATETYPE_COLORS } from "./chart_spec.ts";
import type { TidyTable } from "./csv_table.ts";
import { encodePngRgb } from "./png_encoder.ts";

/** Width of a map picture in px; cells shrink as zones grow. */
export const PAGEBLOCK_MAP_WIDTH_PX = 768;
/** Smallest cell side in px. */
const MIN_CELL_PX = 3;
/** Lightest shade (share of the full colour) for a completely free block. */
const MIN_SHADE = 0.18;
const PERCENT = 100;

/** A rendered map. */
export interface PageblockMapImage {
  /** File stem, e.g. `pageblock_map_0_Normal_end`. */
  name: string;
  title: string;
  png: Uint8Array;
  columns: number;
  rows: number;
  cellPx: number;
  /** Trailing absent pageblocks (memory not online yet) left out of the picture. */
  trailingAbsent: number;
  /**
   * Per block: migratetype (255 absent, 254 unknown, 253 unchanged, 252 present of unknown type) and free pages (0xffff:
   * unknown), for the page's hover readout.
   */
  cells: { migratetype: Uint8Array; freePages: Uint32Array };
  startPfn: number;
  pagesPerBlock: number;
  /** What the counts are and how much of them is located, in words (caption). */
  note: string;
  /** The cells are the model's estimate (policy replay), not measured positions. */
  estimated: boolean;
  /** A start→end difference map. */
  difference: boolean;
}

/** Free pages value of a cell whose free pages nobody measured (hover readout). */
export const FREE_UNKNOWN = 0xffff;

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
}

const RGB = MIGRATETYPE_COLORS.map(hexToRgb);
const WHITE = 255;
/** Unknown cells: light grey hatching (two greys on a diagonal pattern). */
const UNKNOWN_DARK = 0xc8;
const UNKNOWN_LIGHT = 0xee;
/** Present cells of unknown type: darker grey hatching. */
const PRESENT_DARK = 0x80;
const PRESENT_LIGHT = 0xc4;
/** Unchanged cells of a difference map: flat light grey. */
const UNCHANGED_GREY = 0xdd;
/** Shade of a typed cell whose free pages are unknown (striped with white). */
const FREE_UNKNOWN_SHADE = 0.7;
const HATCH_PERIOD = 4;

function fmtCounts(counts: ArrayLike<number>, sign = false): string {
  const parts: string[] = [];
  for (let mt = 0; mt < counts.length; mt++) {
    const c = counts[mt]!;
    if (c === 0) continue;
    parts.push(`${MIGRATE_TYPE_NAMES[mt]} ${sign && c > 0 ? "+" : ""}${c.toLocaleString("en")}`);
  }
  return parts.length ? parts.join(", ") : "none";
}

/**
 * The caption sentence of a map: where its counts come from, how many cells are located,
 * unknown or estimated.
 *
 * @example
 * ```ts
 * import { pageblockMapNote } from "./pageblock_map_image.ts";
 * pageblockMapNote({ tsNs: 0, label: "start", node: 0, zone: "DMA", startPfn: 0, pageblockOrder: 9,
 *   migratetype: Uint8Array.of(1, 254), freePages: Uint32Array.of(0, 0), counts: [0, 2],
 *   countsSource: "pagetypeinfo" });
 * // "Pageblocks (/proc/pagetypeinfo at start): Movable 2. Located at their real pfns: Movable 1. 1 cell unknown (not measured)."
 * ```
 */
export function pageblockMapNote(map: PageblockMap): string {
  const s = summarizePageblockMap(map);
  const located = s.perType.map((t) => t.located ?? t.blocks);
  const counts = map.counts ?? located;
  const src = map.countsSource === "pagetypeinfo"
    ? `/proc/pagetypeinfo ${map.difference ? "end − start" : `at ${map.label}`}`
    : `the model's, estimated: no pagetypeinfo snapshot`;
  const parts = [
    `Pageblocks (${src}): ${fmtCounts(counts, map.difference)}.`,
    map.difference
      ? `Blocks seen changing type, at their real pfns: ${fmtCounts(located)}.`
      : `Located at their real pfns: ${fmtCounts(located)}.`,
  ];
  const present = s.presentUntyped ?? 0;
  const unknown = (s.unknown ?? 0) - present;
  if (present > 0) {
    parts.push(`${present.toLocaleString("en")} present, type not measured.`);
  }
  if (unknown > 0) {
    parts.push(
      `${unknown.toLocaleString("en")} cell${unknown === 1 ? "" : "s"} unknown (not measured).`,
    );
  }
  if (map.estimated) {
    parts.push(
      "Estimated: this replay synthesises its start layout from counts, so positions are the model's, not measured.",
    );
  }
  return parts.join(" ");
}

/**
 * Cells per row for a map of `blocks` pageblocks: 64 up to 2048 blocks (4 GiB), then 128, then
 * 256, so big zones stay a readable picture.
 *
 * @example
 * ```ts
 * import { pageblockMapColumns } from "./pageblock_map_image.ts";
 * [pageblockMapColumns(8), pageblockMapColumns(2240), pageblockMapColumns(10752)]; // [64, 128, 256]
 * ```
 */
export function pageblockMapColumns(blocks: number): number {
  return blocks <= 2048 ? 64 : blocks <= 8192 ? 128 : 256;
}

/** Number of pageblocks up to the last one not known absent (unknown ones are drawn). */
function drawnBlocks(map: PageblockMap): number {
  let n = map.migratetype.length;
  while (n > 1 && map.migratetype[n - 1]! === PAGEBLOCK_ABSENT) n--;
  return n;
}

/**
 * A safe file stem from a map's node, zone and label.
 *
 * @example
 * ```ts
 * import { pageblockMapName } from "./pageblock_map_image.ts";
 * pageblockMapName({ node: 0, zone: "Normal", label: "peak fallbacks" });
 * // "pageblock_map_0_Normal_peak_fallbacks"
 * ```
 */
export function pageblockMapName(map: Pick<PageblockMap, "node" | "zone" | "label">): string {
  return `pageblock_map_${map.node}_${map.zone}_${map.label}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/**
 * Draws the map as a PNG.
 *
 * @example
 * ```ts
 * import { renderPageblockMapImage } from "./pageblock_map_image.ts";
 * const img = renderPageblockMapImage({ tsNs: 0, label: "end", node: 0, zone: "DMA", startPfn: 0,
 *   pageblockOrder: 9, migratetype: Uint8Array.of(0, 1), freePages: Uint32Array.of(0, 512) });
 * [img.columns, img.rows, img.cellPx]; // [64, 1, 12]
 * ```
 */
export function renderPageblockMapImage(map: PageblockMap): PageblockMapImage {
  const n = drawnBlocks(map);
  const columns = pageblockMapColumns(n);
  const rows = Math.max(1, Math.ceil(n / columns));
  const cell = Math.max(MIN_CELL_PX, Math.floor(PAGEBLOCK_MAP_WIDTH_PX / columns));
  const width = columns * cell;
  const height = rows * cell;
  const rgb = new Uint8Array(width * height * 3).fill(WHITE);
  const pagesPerBlock = 2 ** map.pageblockOrder;
  const freeCells = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const mt = map.migratetype[i]!;
    const freeKnown = !map.freeKnown || map.freeKnown[i] === 1;
    freeCells[i] = freeKnown ? map.freePages[i] ?? 0 : FREE_UNKNOWN;
    if (mt === PAGEBLOCK_ABSENT) continue;
    let cr = UNCHANGED_GREY, cg = UNCHANGED_GREY, cb = UNCHANGED_GREY;
    if (mt < MIGRATE_TYPES) {
      const used = 1 - Math.min(map.freePages[i] ?? 0, pagesPerBlock) / pagesPerBlock;
      const shade = !freeKnown || map.difference
        ? FREE_UNKNOWN_SHADE
        : MIN_SHADE + (1 - MIN_SHADE) * used;
      const [r, g, b] = RGB[mt] ?? RGB[0]!;
      cr = Math.round(WHITE - (WHITE - r) * shade);
      cg = Math.round(WHITE - (WHITE - g) * shade);
      cb = Math.round(WHITE - (WHITE - b) * shade);
    }
    // Unknown: grey hatching; typed with free pages unknown: the colour striped with white.
    const hatch = mt === PAGEBLOCK_UNKNOWN
      ? 1
      : mt === PAGEBLOCK_PRESENT
      ? 3
      : mt < MIGRATE_TYPES && !freeKnown
      ? 2
      : 0;
    const x0 = (i % columns) * cell;
    const y0 = Math.floor(i / columns) * cell;
    // A 1 px white gap between cells keeps blocks distinguishable (none when cells are tiny).
    const gap = cell > MIN_CELL_PX ? 1 : 0;
    for (let y = y0; y < y0 + cell - gap; y++) {
      for (let x = x0; x < x0 + cell - gap; x++) {
        const p = (y * width + x) * 3;
        const stripe = (x + y) % HATCH_PERIOD === 0;
        if (hatch === 1) {
          rgb[p] = rgb[p + 1] = rgb[p + 2] = stripe ? UNKNOWN_DARK : UNKNOWN_LIGHT;
        } else if (hatch === 3) {
          rgb[p] = rgb[p + 1] = rgb[p + 2] = stripe ? PRESENT_DARK : PRESENT_LIGHT;
        } else if (hatch === 2 && stripe) {
          rgb[p] = rgb[p + 1] = rgb[p + 2] = WHITE;
        } else {
          rgb[p] = cr;
          rgb[p + 1] = cg;
          rgb[p + 2] = cb;
        }
      }
    }
  }
  return {
    name: pageblockMapName(map),
    title: map.difference
      ? `${map.zone} (node ${map.node}), ${map.label}: where blocks changed type`
      : `${map.zone} (node ${map.node}) at ${map.label}${map.estimated ? " (estimated)" : ""}`,
    png: encodePngRgb(width, height, rgb),
    columns,
    rows,
    cellPx: cell,
    trailingAbsent: map.migratetype.length - n,
    cells: { migratetype: map.migratetype.subarray(0, n), freePages: freeCells },
    startPfn: map.startPfn,
    pagesPerBlock,
    note: pageblockMapNote(map),
    estimated: map.estimated === true,
    difference: map.difference === true,
  };
}

/**
 * The map as a tidy table (`pageblock, start_pfn, row, col, migratetype, free_pages, used_pct`).
 *
 * @example
 * ```ts
 * import { pageblockMapTable } from "./pageblock_map_image.ts";
 * const t = pageblockMapTable({ tsNs: 0, label: "end", node: 0, zone: "DMA", startPfn: 0,
 *   pageblockOrder: 9, migratetype: Uint8Array.of(1), freePages: Uint32Array.of(128) });
 * t.rows[0]; // [0, 0, 0, 0, "Movable", 128, 75]
 * ```
 */
export function pageblockMapTable(map: PageblockMap): TidyTable {
  const pagesPerBlock = 2 ** map.pageblockOrder;
  const rows: (string | number)[][] = [];
  const columns = pageblockMapColumns(drawnBlocks(map));
  for (let i = 0; i < map.migratetype.length; i++) {
    const mt = map.migratetype[i]!;
    const free = map.freePages[i] ?? 0;
    // Free pages only where measured: empty otherwise.
    const freeKnown = mt < MIGRATE_TYPES && !map.difference &&
      (!map.freeKnown || map.freeKnown[i] === 1);
    rows.push([
      i,
      pageblockStartPfn(map, i),
      Math.floor(i / columns),
      i % columns,
      mt < MIGRATE_TYPES
        ? MIGRATE_TYPE_NAMES[mt]!
        : mt === PAGEBLOCK_UNKNOWN
        ? "unknown"
        : mt === PAGEBLOCK_PRESENT
        ? "present_type_unknown"
        : mt === PAGEBLOCK_UNCHANGED
        ? "unchanged"
        : "absent",
      freeKnown ? free : "",
      freeKnown ? Number(((1 - free / pagesPerBlock) * PERCENT).toFixed(2)) : "",
    ]);
  }
  return {
    file: `${pageblockMapName(map)}.csv`,
    title: `Pageblock map ${map.zone} at ${map.label}`,
    columns: ["pageblock", "start_pfn", "row", "col", "migratetype", "free_pages", "used_pct"],
    rows,
  };
}
