/**
 * Pageblock maps as pictures and tables: one cell per pageblock, hue = migratetype, shade =
 * share of the block's pages in use (light = mostly free, dark = full), white = absent.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES } from "../kernel/constants.ts";
import { type PageblockMap, pageblockStartPfn } from "../metrics/pageblock_map.ts";
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
  /** Per block: migratetype (255 absent) and free pages, for the page's hover readout. */
  cells: { migratetype: Uint8Array; freePages: Uint32Array };
  startPfn: number;
  pagesPerBlock: number;
}

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
}

const RGB = MIGRATETYPE_COLORS.map(hexToRgb);
const WHITE = 255;

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

/** Number of pageblocks up to the last present one. */
function drawnBlocks(map: PageblockMap): number {
  let n = map.migratetype.length;
  while (n > 1 && map.migratetype[n - 1]! >= MIGRATE_TYPES) n--;
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
  for (let i = 0; i < n; i++) {
    const mt = map.migratetype[i]!;
    if (mt >= MIGRATE_TYPES) continue;
    const used = 1 - Math.min(map.freePages[i] ?? 0, pagesPerBlock) / pagesPerBlock;
    const shade = MIN_SHADE + (1 - MIN_SHADE) * used;
    const [r, g, b] = RGB[mt] ?? RGB[0]!;
    const cr = Math.round(WHITE - (WHITE - r) * shade);
    const cg = Math.round(WHITE - (WHITE - g) * shade);
    const cb = Math.round(WHITE - (WHITE - b) * shade);
    const x0 = (i % columns) * cell;
    const y0 = Math.floor(i / columns) * cell;
    // A 1 px white gap between cells keeps blocks distinguishable (none when cells are tiny).
    const gap = cell > MIN_CELL_PX ? 1 : 0;
    for (let y = y0; y < y0 + cell - gap; y++) {
      for (let x = x0; x < x0 + cell - gap; x++) {
        const p = (y * width + x) * 3;
        rgb[p] = cr;
        rgb[p + 1] = cg;
        rgb[p + 2] = cb;
      }
    }
  }
  return {
    name: pageblockMapName(map),
    title: `${map.zone} (node ${map.node}) at ${map.label}`,
    png: encodePngRgb(width, height, rgb),
    columns,
    rows,
    cellPx: cell,
    trailingAbsent: map.migratetype.length - n,
    cells: { migratetype: map.migratetype.subarray(0, n), freePages: map.freePages.subarray(0, n) },
    startPfn: map.startPfn,
    pagesPerBlock,
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
    rows.push([
      i,
      pageblockStartPfn(map, i),
      Math.floor(i / columns),
      i % columns,
      mt < MIGRATE_TYPES ? MIGRATE_TYPE_NAMES[mt]! : "absent",
      free,
      mt < MIGRATE_TYPES ? Number(((1 - free / pagesPerBlock) * PERCENT).toFixed(2)) : 0,
    ]);
  }
  return {
    file: `${pageblockMapName(map)}.csv`,
    title: `Pageblock map ${map.zone} at ${map.label}`,
    columns: ["pageblock", "start_pfn", "row", "col", "migratetype", "free_pages", "used_pct"],
    rows,
  };
}
