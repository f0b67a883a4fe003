/**
 * CSV text of trace-derived rows, safe to open in a spreadsheet: the one writer behind every CSV
 * kmemreplay produces (the report's tables, `kmem import -o calls.csv`), so formula
 * neutralisation is applied everywhere the same way.
 *
 * @module
 */

// Full npm: specifiers (versions as in deno.json): a script outside the repository has no
// import map, and mod.ts must still load.
// deno-lint-ignore no-import-prefix
import Papa from "npm:papaparse@5.7.1";

/** Leading characters a spreadsheet reads as the start of a formula (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number written as text (`-145`, `+3`, `-0.5`, `1e-3`): data, not a formula. */
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * One cell made safe for spreadsheets: a string from the trace (comm, call site, cache name) that
 * begins with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` (the OWASP rule), so a spreadsheet
 * shows it as text instead of evaluating it. Numbers, and strings that are plain decimal
 * numbers (a negative count), stay as they are.
 *
 * @example
 * ```ts
 * import { csvSafeCell } from "./csv_text.ts";
 * csvSafeCell("=HYPERLINK(\"http://x\")"); // "'=HYPERLINK(\"http://x\")"
 * csvSafeCell(-145); // -145
 * csvSafeCell("-1"); // "-1"
 * ```
 */
export function csvSafeCell<T>(cell: T): T | string {
  if (typeof cell !== "string" || !FORMULA_START.test(cell) || PLAIN_NUMBER.test(cell)) return cell;
  return `'${cell}`;
}

/**
 * CSV text (RFC 4180 via papaparse): every string cell passes through {@linkcode csvSafeCell}, so
 * every CSV kmemreplay writes (report tables, `kmem import -o calls.csv`) is neutralised the
 * same way. `header: false` writes only the rows (for appending batches).
 *
 * @example
 * ```ts
 * import { toCsv } from "./csv_text.ts";
 * toCsv(["comm", "n"], [["@SUM(A1)", -1]], { newline: "\n" }); // "comm,n\n'@SUM(A1),-1"
 * ```
 */
export function toCsv(
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  options: { header?: boolean; newline?: string } = {},
): string {
  const data = rows.map((r) => r.map(csvSafeCell));
  return Papa.unparse({ fields: columns.map(csvSafeCell), data }, {
    header: options.header ?? true,
    newline: options.newline ?? "\r\n",
  });
}
