/**
 * When the page replay samples: every N calls and/or every interval of trace time (the first
 * time sample one interval after the first call).
 *
 * @module
 */

import { asTraceTimeNs, type TraceTimeNs } from "../../kernel/units.ts";

/** Decides sample points for a stream of calls and calls `onSample` there. */
export class PageSampler {
  #calls = 0;
  #nextCalls: number;
  #nextNs = -1;
  #lastTs = 0;

  constructor(
    readonly everyCalls: number,
    readonly intervalNs: number,
    readonly onSample: (tsNs: TraceTimeNs) => void,
  ) {
    this.#nextCalls = everyCalls > 0 ? everyCalls : Infinity;
  }

  /** Timestamp of the last call seen. */
  get lastTsNs(): TraceTimeNs {
    return asTraceTimeNs(this.#lastTs);
  }

  /** One call at `tsNs` has been applied. */
  tick(tsNs: number): void {
    this.#calls++;
    this.#lastTs = tsNs;
    let due = false;
    if (this.#calls >= this.#nextCalls) {
      due = true;
      this.#nextCalls += this.everyCalls;
    }
    if (this.intervalNs > 0) {
      if (this.#nextNs < 0) this.#nextNs = tsNs + this.intervalNs;
      else if (tsNs >= this.#nextNs) {
        due = true;
        while (this.#nextNs <= tsNs) this.#nextNs += this.intervalNs;
      }
    }
    if (due) this.onSample(asTraceTimeNs(tsNs));
  }
}
