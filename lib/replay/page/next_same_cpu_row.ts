/**
 * Lookahead within a batch: the next row recorded on the same CPU. The kernel emits an extfrag
 * event right after the take it belongs to on that CPU, so rules peek at it.
 *
 * @module
 */

import type { CallBatch } from "../../calls/call_batch.ts";

/**
 * Index of the next row after `i` with the same CPU, or -1 when the batch has none.
 *
 * @example
 * ```ts
 * import { CallBatch } from "../../calls/call_batch.ts";
 * import { nextSameCpuRow } from "./next_same_cpu_row.ts";
 * const b = new CallBatch(4);
 * b.length = 3;
 * b.cpu.set([0, 1, 0]);
 * nextSameCpuRow(b, 0); // 2
 * ```
 */
export function nextSameCpuRow(b: CallBatch, i: number): number {
  const cpu = b.cpu[i]!;
  for (let j = i + 1; j < b.length; j++) if (b.cpu[j] === cpu) return j;
  return -1;
}
