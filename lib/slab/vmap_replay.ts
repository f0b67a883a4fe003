/**
 * The vmalloc part of a slab replay: vmap areas reserved at the traced addresses, lazily freed
 * and purged in the emulated {@linkcode VmapAllocator}, with counts of what did not match.
 *
 * @module
 */

import type { CallBatch } from "../calls/call_batch.ts";
import { EventFlag, ptrKey } from "../trace/event_batch.ts";
import { EventField } from "../trace/event_schema.ts";
import type { SlabReplayResult } from "./slab_replay_result.ts";
import type { VmapAllocator } from "./vmap_allocator.ts";

/**
 * Replays `VMAP_ALLOC`, `VMAP_FREE` and `VMAP_PURGE` calls.
 *
 * @example
 * ```ts
 * import { VmapReplay } from "./vmap_replay.ts";
 * import { VmapAllocator } from "./vmap_allocator.ts";
 * const v = new VmapReplay(new VmapAllocator(2));
 * v.result().busyAreas; // 0
 * ```
 */
export class VmapReplay {
  readonly #vmap: VmapAllocator;
  /** Start address → size of the areas the trace allocated and did not free yet. */
  readonly #areas = new Map<number, number>();
  readonly #counts = {
    allocs: 0,
    failed: 0,
    frees: 0,
    freeUnknown: 0,
    purges: 0,
    purgedAreas: 0,
    reserveConflicts: 0,
    lastNrLazyPages: -1,
  };

  constructor(vmap: VmapAllocator) {
    this.#vmap = vmap;
  }

  /** A vmalloc of row `i`: the area is reserved at its traced address. */
  alloc(b: CallBatch, i: number): void {
    if (b.flags[i]! & EventFlag.FAILED) {
      this.#counts.failed++;
      return;
    }
    this.#counts.allocs++;
    const va = ptrKey(b, i), size = b.bytesReq[i]!;
    if (!this.#vmap.reserve(va, size)) this.#counts.reserveConflicts++;
    this.#areas.set(va, size);
  }

  /** A vfree of row `i` (`a` = nr_lazy pages after it): the area turns lazy. */
  free(b: CallBatch, i: number): void {
    const va = ptrKey(b, i);
    this.#counts.lastNrLazyPages = EventField.freeVmap.nrLazy(b, i);
    if (!this.#areas.has(va)) this.#counts.freeUnknown++;
    else this.#counts.frees++;
    this.#areas.delete(va);
    this.#vmap.freeLazy(va);
  }

  /** A purge of the lazy areas in [ptr, ptr + bytesReq) of row `i`. */
  purge(b: CallBatch, i: number): void {
    this.#counts.purges++;
    this.#counts.purgedAreas += this.#vmap.purge(ptrKey(b, i), ptrKey(b, i) + b.bytesReq[i]!);
  }

  /** Counts so far plus the allocator's busy and lazy totals. */
  result(): SlabReplayResult["vmap"] {
    const vs = this.#vmap.stats();
    return {
      ...this.#counts,
      busyAreas: vs.busyAreas,
      busyBytes: vs.busyBytes,
      lazyBytes: vs.lazyBytes,
    };
  }
}
