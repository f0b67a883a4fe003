/**
 * Key sequences of a real trace, in the order the replay meets them (call-stream order):
 * the slab calls' pointer keys (`ptrKey` of every SLAB_ALLOC / SLAB_FREE) and the page calls'
 * pfns (every PAGE_ALLOC / PAGE_FREE).
 *
 * @module
 */

import { Call } from "../../lib/calls/call_kind.ts";
import { ptrKey } from "../../lib/trace/event_batch.ts";
import { importTrace } from "../../lib/calls/trace_import.ts";

/** Keys in call order and whether each call frees (1) or allocates (0). */
export interface KeySequence {
  keys: Float64Array;
  isFree: Uint8Array;
}

/** Both sequences of one trace. */
export interface RealKeySequences {
  /** SLAB_ALLOC / SLAB_FREE pointer keys (kfree(NULL) included, key 0). */
  slab: KeySequence;
  /** PAGE_ALLOC / PAGE_FREE pfns (failed allocations excluded: pfn -1). */
  page: KeySequence;
}

class SequenceBuilder {
  keys = new Float64Array(1 << 16);
  isFree = new Uint8Array(1 << 16);
  n = 0;
  push(key: number, free: boolean): void {
    if (this.n === this.keys.length) {
      const k = new Float64Array(2 * this.n), f = new Uint8Array(2 * this.n);
      k.set(this.keys);
      f.set(this.isFree);
      this.keys = k;
      this.isFree = f;
    }
    this.keys[this.n] = key;
    this.isFree[this.n++] = free ? 1 : 0;
  }
  done(): KeySequence {
    return { keys: this.keys.slice(0, this.n), isFree: this.isFree.slice(0, this.n) };
  }
}

/** Reads `path` (text or trace.dat, maybe compressed) and collects its key sequences. */
export async function loadRealKeySequences(path: string): Promise<RealKeySequences> {
  const slab = new SequenceBuilder(), page = new SequenceBuilder();
  const file = await Deno.open(path);
  await importTrace(file.readable, (b) => {
    for (let i = 0; i < b.length; i++) {
      const c = b.call[i]!;
      if (c === Call.SLAB_ALLOC || c === Call.SLAB_FREE) {
        slab.push(ptrKey(b, i), c === Call.SLAB_FREE);
      } else if ((c === Call.PAGE_ALLOC || c === Call.PAGE_FREE) && b.pfn[i]! >= 0) {
        page.push(b.pfn[i]!, c === Call.PAGE_FREE);
      }
    }
  }, { file: path });
  return { slab: slab.done(), page: page.done() };
}
