/**
 * The pointers freed most recently, in bounded memory: tells a double free from a free of an
 * object the trace never showed allocated, for as long as a trace runs.
 *
 * An unbounded "freed" set grows with every distinct pointer freed and not allocated again:
 * with hashed `%p` pointers (no address reuse) that is every free of the trace. This set keeps
 * the last `capacity` frees in FIFO order (a ring of keys beside a {@linkcode PtrMap} of key →
 * ring slot); adding to a full set forgets the oldest free. A pointer allocated again is
 * deleted from the map and its stale ring slot is skipped when the ring reaches it.
 *
 * @module
 */

import { PtrMap } from "./ptr_map.ts";

/** Default number of frees remembered: 2^20 (at most 32 MiB of table and ring, grown lazily). */
export const DEFAULT_RECENT_FREES = 1 << 20;

/**
 * Bounded set of recently freed pointer keys.
 *
 * @example
 * ```ts
 * import { RecentFreeSet } from "./recent_free_set.ts";
 * const s = new RecentFreeSet(2);
 * s.add(0x1000);
 * s.add(0x2000);
 * s.add(0x3000); // forgets 0x1000, the oldest
 * s.has(0x1000); // false
 * s.has(0x3000); // true
 * s.forgotten; // 1
 * ```
 */
export class RecentFreeSet {
  readonly capacity: number;
  readonly #slotOf: PtrMap;
  /** Keys in the order added; slot `#head` is the oldest. Grows up to `capacity`. */
  #ring: Float64Array;
  #head = 0;
  #used = 0;
  #forgotten = 0;

  constructor(capacity: number = DEFAULT_RECENT_FREES) {
    if (!(capacity >= 1 && capacity <= 0x4000_0000 && Number.isInteger(capacity))) {
      throw new RangeError(`RecentFreeSet capacity must be an integer in [1, 2^30]: ${capacity}`);
    }
    this.capacity = capacity;
    this.#slotOf = new PtrMap();
    this.#ring = new Float64Array(Math.min(capacity, 1024));
  }

  /** Keys held. */
  get size(): number {
    return this.#slotOf.size;
  }

  /** Keys dropped because the set was full (their double frees now count as unknown frees). */
  get forgotten(): number {
    return this.#forgotten;
  }

  has(key: number): boolean {
    return this.#slotOf.has(key);
  }

  /** Adds `key` as the newest free (moves it to the newest place when already present). */
  add(key: number): void {
    if (this.#used === this.capacity) {
      const old = this.#ring[this.#head]!;
      // The slot is live only if the map still points at it (not deleted, not re-added);
      // a key being added again is not forgotten: the set below moves it to the newest place.
      if (old !== key && this.#slotOf.get(old) === this.#head) {
        this.#slotOf.delete(old);
        this.#forgotten++;
      }
      this.#head = this.#head + 1 === this.#ring.length ? 0 : this.#head + 1;
      this.#used--;
    } else if (this.#used === this.#ring.length) {
      // Not full yet, so nothing was forgotten and the oldest key is in slot 0.
      const ring = new Float64Array(Math.min(this.capacity, 2 * this.#ring.length));
      ring.set(this.#ring);
      this.#ring = ring;
    }
    let slot = this.#head + this.#used;
    if (slot >= this.#ring.length) slot -= this.#ring.length;
    this.#ring[slot] = key;
    this.#used++;
    this.#slotOf.set(key, slot);
  }

  /** Removes `key` (its ring slot becomes stale); true when it was present. */
  delete(key: number): boolean {
    return this.#slotOf.delete(key);
  }
}
