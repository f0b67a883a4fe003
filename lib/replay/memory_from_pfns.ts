/**
 * Installed memory guessed from a trace alone: the highest pfn it mentions that the emulator can
 * hold, rounded up to whole GiB. Used only when neither a zoneinfo nor `--memory` says how big memory is.
 *
 * @module
 */

import { type ImportOptions, importTrace } from "../calls/trace_import.ts";
import { MAX_EMULATED_PAGES } from "../mm/machine_spec.ts";

/** Slack above the highest traced pfn, in pages, so its block is inside memory. */
const SLACK_PAGES = 1024;
const GIB = 2 ** 30;

/** Memory sized from a trace's pfns, and how many calls named pfns too high to size it. */
export interface PfnSizing {
  bytes: number;
  /** Calls whose pfn is at or above {@linkcode MAX_SIZING_PFN}: they replay outside every zone. */
  pfnsBeyond: number;
}

/** pfns from here on do not size memory: the emulator holds {@linkcode MAX_EMULATED_PAGES}. */
export const MAX_SIZING_PFN = MAX_EMULATED_PAGES - SLACK_PAGES;

/**
 * Reads the whole trace once and returns memory in bytes: the highest pfn below
 * {@linkcode MAX_SIZING_PFN} plus slack, times 4 KiB, rounded up to whole GiB (at least 1 GiB).
 * Higher pfns are counted, not used: one corrupt number cannot make the machine huge.
 *
 * @example
 * ```ts
 * import { memorySizingFromPfns } from "./memory_from_pfns.ts";
 *
 * const path = new URL("../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * const s = await memorySizingFromPfns(f.readable, { file: path });
 * [s.bytes / 2 ** 30, s.pfnsBeyond]; // [7, 0] (highest pfn 0x19712b)
 * ```
 */
export async function memorySizingFromPfns(
  bytes: ReadableStream<Uint8Array>,
  options: Omit<ImportOptions, "onEvents">,
): Promise<PfnSizing> {
  let maxPfn = 0;
  let pfnsBeyond = 0;
  await importTrace(bytes, (b) => {
    for (let i = 0; i < b.length; i++) {
      const pfn = b.pfn[i]!;
      if (pfn >= MAX_SIZING_PFN) pfnsBeyond++;
      else if (pfn > maxPfn) maxPfn = pfn;
    }
  }, options);
  return {
    bytes: Math.max(1, Math.ceil(((maxPfn + SLACK_PAGES) * 4096) / GIB)) * GIB,
    pfnsBeyond,
  };
}

/**
 * {@linkcode memorySizingFromPfns}, the bytes only.
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
  return (await memorySizingFromPfns(bytes, options)).bytes;
}
