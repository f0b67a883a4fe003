/**
 * A batch of allocator calls: the event columns (see {@linkcode EventBatch}) in timestamp order,
 * plus the call kind of each row. `event` keeps the source event, so `kmalloc` and
 * `kmem_cache_alloc` stay distinguishable inside {@linkcode Call.SLAB_ALLOC}.
 *
 * @module
 */

import { DEFAULT_BATCH_ROWS, EventBatch } from "../trace/event_batch.ts";
import type { Call } from "./call_kind.ts";

/**
 * Calls in timestamp order. `kind` holds the source event code, `call` the call kind.
 *
 * @example
 * ```ts
 * import { CallBatch } from "./call_batch.ts";
 * const b = new CallBatch(8);
 * b.length; // 0
 * ```
 */
export class CallBatch extends EventBatch {
  /** Call kind of each row ({@linkcode Call}). */
  readonly call: Uint8Array;
  constructor(capacity: number = DEFAULT_BATCH_ROWS) {
    super(capacity);
    this.call = new Uint8Array(capacity);
  }
}

export type { Call };
