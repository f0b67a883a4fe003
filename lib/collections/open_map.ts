/**
 * The open-addressing table shared by `PtrMap` (int32 values) and `PfnMap` (float64 values):
 * typed arrays, linear probing, no allocation per operation, backward-shift deletion (no
 * tombstones, so set/delete churn never degrades probing or forces a rehash), growth by doubling
 * only when more than half of the slots are used.
 *
 * Iteration order is slot order, not insertion order: callers that iterate must not depend on
 * order (sums and minima over integers do not).
 *
 * @module
 */

import { checkKey, EMPTY_KEY, hashKey, slotsFor } from "./hash_key.ts";

/** The value arrays a table may store in. */
export type ValueArray = Int32Array | Float64Array;

/**
 * Map from integer keys in [0, 2^53) to the numbers `V` stores; subclasses fix `V`.
 *
 * @example
 * ```ts
 * import { OpenMap } from "./open_map.ts";
 * const m = new OpenMap(0, (n) => new Int32Array(n));
 * m.set(0x8880_0123_4560, 7);
 * m.get(0x8880_0123_4560); // 7
 * m.take(0x8880_0123_4560); // 7
 * m.get(0x1000); // -1 (absent)
 * ```
 */
export class OpenMap<V extends ValueArray> {
  #keys: Float64Array;
  #vals: V;
  #mask: number;
  #size = 0;
  readonly #newValues: (slots: number) => V;

  /** `expected`: keys to hold without growing; `newValues`: the value array for a slot count. */
  constructor(expected: number, newValues: (slots: number) => V) {
    const slots = slotsFor(expected);
    this.#newValues = newValues;
    this.#keys = new Float64Array(slots).fill(EMPTY_KEY);
    this.#vals = newValues(slots);
    this.#mask = slots - 1;
  }

  /** Keys held. */
  get size(): number {
    return this.#size;
  }

  /** Slots allocated (for iteration with {@linkcode keyAt} / {@linkcode valueAt}). */
  get capacity(): number {
    return this.#keys.length;
  }

  /** Slot of `key`, or -1. */
  #find(key: number): number {
    const keys = this.#keys, mask = this.#mask;
    let i = hashKey(key) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === EMPTY_KEY) return -1;
      if (k === key) return i;
      i = (i + 1) & mask;
    }
  }

  has(key: number): boolean {
    return this.#find(key) >= 0;
  }

  /** Value of `key`, or `absent` when the key is not in the map. */
  get(key: number, absent = -1): number {
    const i = this.#find(key);
    return i >= 0 ? this.#vals[i]! : absent;
  }

  /** Sets `key` to `value` (stored as the value array stores it). */
  set(key: number, value: number): void {
    const keys = this.#keys, mask = this.#mask;
    let i = hashKey(key) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === EMPTY_KEY) break;
      if (k === key) {
        this.#vals[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    checkKey(key);
    if (2 * (this.#size + 1) > keys.length) {
      this.#grow();
      this.set(key, value);
      return;
    }
    keys[i] = key;
    this.#vals[i] = value;
    this.#size++;
  }

  /** Removes `key`; true when it was present. */
  delete(key: number): boolean {
    const i = this.#find(key);
    if (i < 0) return false;
    this.#removeAt(i);
    return true;
  }

  /**
   * Removes `key` and returns its value, or returns `absent` when the key is not in the map
   * (one probe sequence for the get-then-delete of a free).
   */
  take(key: number, absent = -1): number {
    const i = this.#find(key);
    if (i < 0) return absent;
    const v = this.#vals[i]!;
    this.#removeAt(i);
    return v;
  }

  /** Backward-shift deletion: moves later keys of the probe run into the hole. */
  #removeAt(hole: number): void {
    const keys = this.#keys, vals = this.#vals, mask = this.#mask;
    let i = hole;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j]!;
      if (k === EMPTY_KEY) break;
      // The key at j may fill the hole at i unless its home slot lies cyclically in (i, j].
      const home = hashKey(k) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = k;
        vals[i] = vals[j]!;
        i = j;
      }
    }
    keys[i] = EMPTY_KEY;
    this.#size--;
  }

  /** Removes every key (keeps the slots). */
  clear(): void {
    this.#keys.fill(EMPTY_KEY);
    this.#size = 0;
  }

  /** Key in slot `slot`, or -1 for an empty slot. */
  keyAt(slot: number): number {
    return this.#keys[slot]!;
  }

  /** Value in slot `slot` (meaningful when {@linkcode keyAt} is not -1). */
  valueAt(slot: number): number {
    return this.#vals[slot]!;
  }

  #grow(): void {
    const oldKeys = this.#keys, oldVals = this.#vals;
    const slots = oldKeys.length * 2;
    const keys = new Float64Array(slots).fill(EMPTY_KEY);
    const vals = this.#newValues(slots);
    const mask = slots - 1;
    for (let s = 0; s < oldKeys.length; s++) {
      const k = oldKeys[s]!;
      if (k === EMPTY_KEY) continue;
      let i = hashKey(k) & mask;
      while (keys[i] !== EMPTY_KEY) i = (i + 1) & mask;
      keys[i] = k;
      vals[i] = oldVals[s]!;
    }
    this.#keys = keys;
    this.#vals = vals;
    this.#mask = mask;
  }
}
