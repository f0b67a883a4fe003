/**
 * Installed memory guessed from a trace alone: the highest pfn it mentions, rounded up to whole
 * GiB. Used only when neither a zoneinfo nor `--memory` says how big memory is.
 *
 * @module
 */

import { type ImportOptions, importTrace } from "../calls/trace_import.ts";

/** Slack above the highest traced pfn, in pages, so its block is inside memory. */
const SLACK_PAGES = 1024;
const GIB = 2 ** 30;

/**
 * Reads the whole trace once and returns memory in bytes: the highest pfn plus slack, times
 * 4 KiB, rounded up to whole GiB (at least 1 GiB).
 *
 * @example
 * ```ts
 * import { memoryBytesFromPfns } from "./memory_from_pfns.ts";
 *
 * const path = new URL("../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * await memoryBytesFromPfns(f.readable, { file: path }) / 2 ** 30; // 7 (highest pfn 0x19712b)
 * ```
 */
export async function memoryBytesFromPfns(
  bytes: ReadableStream<Uint8Array>,
  options: Omit<ImportOptions, "onEvents">,
): Promise<number> {
  let maxPfn = 0;
  await importTrace(bytes, (b) => {
    for (let i = 0; i < b.length; i++) if (b.pfn[i]! > maxPfn) maxPfn = b.pfn[i]!;
  }, options);
  return Math.max(1, Math.ceil(((maxPfn + SLACK_PAGES) * 4096) / GIB)) * GIB;
}
