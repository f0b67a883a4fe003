/**
 * Tidy tables (one observation per row, units in the column names) and their CSV text.
 *
 * @module
 */

// Full npm: specifiers (versions as in deno.json): a script outside the repository has no
// import map, and mod.ts must still load.
// deno-lint-ignore no-import-prefix
import Papa from "npm:papaparse@5.7.1";

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
 * CSV text of a table (RFC 4180 via papaparse, `\n` line ends, header row first). Cells that
 * begin with `=`, `+`, `-`, `@` and are not numbers are not altered: the CSV is data, not a
 * spreadsheet, so a kernel symbol like `-1` or `+0x10` stays byte-identical.
 *
 * @example
 * ```ts
 * import { tableToCsv } from "./csv_table.ts";
 * tableToCsv({ file: "t.csv", title: "t", columns: ["comm", "allocs"], rows: [["a,b", 3]] });
 * // 'comm,allocs\n"a,b",3'
 * ```
 */
export function tableToCsv(table: TidyTable): string {
  return Papa.unparse({ fields: table.columns, data: table.rows }, { newline: "\n" });
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
