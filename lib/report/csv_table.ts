/**
 * Tidy tables (one observation per row, units in the column names) and their CSV text.
 *
 * @module
 */

import { toCsv } from "../trace/csv_text.ts";

/** A cell: numbers are written in full precision, strings quoted when needed. */
export type Cell = string | number | boolean;

/** A tidy table: `columns` names (with units, e.g. `free_pages`, `ts_s`), `rows` of cells. *
 * @example
 * ```ts
 * import type { TidyTable } from "./csv_table.ts";
 * const t: TidyTable = { file: "zone_pages.csv", title: "Free pages",
 *   columns: ["zone", "ts_s", "series", "pages"], rows: [["DMA", 460.302128, "free", 3840]] };
 * ```
 */
export interface TidyTable {
  /** File name, e.g. `zone_pages.csv`. */
  file: string;
  /** Human title. */
  title: string;
  columns: string[];
  rows: Cell[][];
}

/**
 * CSV text of a table (`\n` line ends, header row first), cells neutralised against formula
 * injection by `toCsv` (lib/trace/csv_text.ts).
 *
 * @example
 * ```ts
 * import { tableToCsv } from "./csv_table.ts";
 * tableToCsv({ file: "t.csv", title: "t", columns: ["comm", "allocs"], rows: [["a,b", 3]] });
 * // 'comm,allocs\n"a,b",3'
 * ```
 */
export function tableToCsv(table: TidyTable): string {
  return toCsv(table.columns, table.rows, { newline: "\n" });
}

/**
 * Seconds from nanoseconds with up to 9 decimals and no trailing zeros (`460302128000` →
 * `460.302128`), so CSV time columns stay exact and short.
 *
 * @example
 * ```ts
 * import { nsToSeconds } from "./csv_table.ts";
 * nsToSeconds(460_302_128_000); // 460.302128
 * ```
 */
export function nsToSeconds(tsNs: number): number {
  return Number((tsNs / 1e9).toFixed(9));
}
