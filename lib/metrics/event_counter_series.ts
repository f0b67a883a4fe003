/**
 * Counts of discrete events (allocation failures by order, fallbacks, kswapd wakes…) over trace
 * time in a bounded number of buckets whose width doubles as the trace grows (pairs summed),
 * with exact per-key totals kept apart from the buckets.
 *
 * @module
 */

/** Default bound on buckets (= output rows per key). */
export const DEFAULT_MAX_BUCKETS = 400;
/** Width of the first buckets in ns before any doubling. */
const INITIAL_BUCKET_WIDTH_NS = 1;

/** One non-empty bucket of one key. */
export interface EventCountBucket {
  /** Bucket start, ns of trace time. */
  startNs: number;
  /** Bucket width in ns. */
  widthNs: number;
  /** Key index (see `keys`). */
  key: number;
  count: number;
}

/**
 * Event counts per key over time. Keys are fixed at construction (e.g. orders 0..10).
 *
 * @example
 * ```ts
 * import { EventCounterSeries } from "./event_counter_series.ts";
 * const c = new EventCounterSeries(["order-0", "order-3"], 4);
 * c.add(1_000, 0); c.add(2_000_000, 1, 2); c.add(9_000_000_000, 1);
 * c.total(1); // 3
 * c.buckets().length <= 2 * 4; // true
 * ```
 */
export class EventCounterSeries {
  readonly keys: readonly string[];
  readonly maxBuckets: number;
  readonly #k: number;
  #t0 = NaN;
  #widthNs = INITIAL_BUCKET_WIDTH_NS;
  #used = 0;
  readonly #counts: Float64Array;
  readonly #totals: Float64Array;

  constructor(keys: readonly string[], maxBuckets = DEFAULT_MAX_BUCKETS) {
    if (keys.length === 0) throw new RangeError("EventCounterSeries needs at least one key");
    this.keys = keys;
    this.maxBuckets = Math.max(2, maxBuckets & ~1);
    this.#k = keys.length;
    this.#counts = new Float64Array(this.#k * this.maxBuckets);
    this.#totals = new Float64Array(this.#k);
  }

  /**
   * Sets the time origin (e.g. the trace's first timestamp) so buckets line up across series;
   * otherwise the first event sets it. Ignored once events were added.
   */
  setOrigin(tsNs: number): void {
    if (Number.isNaN(this.#t0)) this.#t0 = tsNs;
  }

  /** Counts `n` events of key index `key` at `tsNs`. */
  add(tsNs: number, key: number, n = 1): void {
    if (key < 0 || key >= this.#k) throw new RangeError(`key ${key} out of range`);
    if (Number.isNaN(this.#t0)) this.#t0 = tsNs;
    let b = Math.floor((tsNs - this.#t0) / this.#widthNs);
    if (b < 0) b = 0;
    while (b >= this.maxBuckets) {
      this.#mergePairs();
      b = Math.floor((tsNs - this.#t0) / this.#widthNs);
    }
    if (b + 1 > this.#used) this.#used = b + 1;
    this.#counts[b * this.#k + key]! += n;
    this.#totals[key]! += n;
  }

  #mergePairs(): void {
    const k = this.#k;
    const half = this.maxBuckets / 2;
    for (let d = 0; d < half; d++) {
      for (let i = 0; i < k; i++) {
        this.#counts[d * k + i] = this.#counts[2 * d * k + i]! + this.#counts[(2 * d + 1) * k + i]!;
      }
    }
    this.#counts.fill(0, half * k);
    this.#used = Math.ceil(this.#used / 2);
    this.#widthNs *= 2;
  }

  /** Exact number of events of key index `key`. */
  total(key: number): number {
    return this.#totals[key] ?? 0;
  }

  /** Exact number of events over all keys. */
  get grandTotal(): number {
    let s = 0;
    for (const v of this.#totals) s += v;
    return s;
  }

  /** Current bucket width in ns. */
  get bucketWidthNs(): number {
    return this.#widthNs;
  }

  /** Time origin in ns (NaN before the first event or `setOrigin`). */
  get originNs(): number {
    return this.#t0;
  }

  /** Non-empty buckets, in time order then key order. */
  buckets(): EventCountBucket[] {
    const out: EventCountBucket[] = [];
    for (let b = 0; b < this.#used; b++) {
      for (let i = 0; i < this.#k; i++) {
        const count = this.#counts[b * this.#k + i]!;
        if (count === 0) continue;
        out.push({ startNs: this.#t0 + b * this.#widthNs, widthNs: this.#widthNs, key: i, count });
      }
    }
    return out;
  }
}

/** Plain-data result of an {@linkcode EventCounterSeries}. */
export interface CounterSet {
  keys: string[];
  /** Non-empty buckets in time order. */
  buckets: EventCountBucket[];
  /** Exact totals per key (same order as `keys`). */
  totals: number[];
}

/**
 * Snapshot of an event counter as plain data.
 *
 * @example
 * ```ts
 * import { EventCounterSeries, toCounterSet } from "./event_counter_series.ts";
 * const c = new EventCounterSeries(["wake"]);
 * c.add(5, 0);
 * toCounterSet(c).totals; // [1]
 * ```
 */
export function toCounterSet(c: EventCounterSeries): CounterSet {
  return {
    keys: [...c.keys],
    buckets: c.buckets(),
    totals: c.keys.map((_, i) => c.total(i)),
  };
}
