/**
 * The one shape every replay has (page and slab): batches in, a result out, and samples of its
 * state along the trace's time.
 *
 * @module
 */

import type { CallBatch } from "../calls/call_batch.ts";
import type { TraceTimeNs } from "../kernel/units.ts";

/**
 * A replay of a call stream.
 *
 * @example
 * ```ts
 * import type { Replayer } from "./replayer.ts";
 * import type { CallBatch } from "../calls/call_batch.ts";
 * class CountCalls implements Replayer<number> {
 *   #n = 0;
 *   consume(batch: CallBatch): void {
 *     this.#n += batch.length;
 *   }
 *   finish(): number {
 *     return this.#n;
 *   }
 * }
 * new CountCalls().finish(); // 0
 * ```
 */
export interface Replayer<R> {
  /** Replays every row of `batch` (rows in timestamp order; the batch may be reused after). */
  consume(batch: CallBatch): void;
  /** The result so far (call once the stream has ended). */
  finish(): R;
}

/** When and how a replay reports samples of its state. */
export interface ReplaySampling {
  /** Sample every this many ns of trace time. */
  sampleIntervalNs?: number;
  /** Called at each sample with the timestamp of the last call consumed; read state from the replay. */
  onSample?: (tsNs: TraceTimeNs) => void;
}
