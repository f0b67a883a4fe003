/**
 * Test helper: a trace file's allocator calls held in memory, through the public import path
 * (so tests need nothing from bench/).
 *
 * @module
 */

import { CallBatch } from "../lib/calls/call_batch.ts";
import { importTrace } from "../lib/calls/trace_import.ts";

/** Reads a trace file into owned call batches (the import reuses its output batch). */
export async function loadCallBatches(path: string): Promise<CallBatch[]> {
  const out: CallBatch[] = [];
  using file = await Deno.open(path);
  await importTrace(file.readable, (b) => {
    const copy = new CallBatch(b.length);
    for (let i = 0; i < b.length; i++) copy.call[copy.copyRow(b, i)] = b.call[i]!;
    out.push(copy);
  }, { file: path });
  return out;
}
