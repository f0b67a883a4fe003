/**
 * Number parsing shared by the /proc snapshot readers: every value in buddyinfo, pagetypeinfo,
 * zoneinfo and slabinfo is a decimal count, and a bad one must name the file, line and text.
 *
 * @module
 */

import { TraceSyntaxError } from "../trace/diagnostics.ts";

/** Where a token was read, for error messages. */
export interface SnapshotPlace {
  /** File name used in errors (`<input>` when unknown). */
  file: string;
  /** 1-based line number. */
  line: number;
  /** The whole line. */
  text: string;
}

const DECIMAL = /^-?\d+$/;

/**
 * Parses a decimal integer token or throws a {@linkcode TraceSyntaxError} naming `what`.
 *
 * @example
 * ```ts
 * import { parseCount } from "./parse_count.ts";
 * parseCount("512", "pages per block", { file: "pagetypeinfo", line: 2, text: "Pages per block:  512" }); // 512
 * ```
 */
export function parseCount(token: string | undefined, what: string, at: SnapshotPlace): number {
  if (token === undefined || !DECIMAL.test(token)) {
    throw new TraceSyntaxError(`expected a number for ${what}, got "${token ?? ""}"`, at);
  }
  const v = Number(token);
  if (!Number.isSafeInteger(v)) {
    throw new TraceSyntaxError(`${what} out of range: ${token}`, at);
  }
  return v;
}

/**
 * Splits snapshot text into lines (accepting CRLF) for the line-oriented readers.
 *
 * @example
 * ```ts
 * import { snapshotLines } from "./parse_count.ts";
 * snapshotLines("a\r\nb\n"); // ["a", "b", ""]
 * ```
 */
export function snapshotLines(text: string): string[] {
  return text.split(/\r?\n/);
}
