/**
 * The hash shared by the open-addressing tables of this folder. Keys are non-negative integers
 * below 2^53: pointer keys (`ptrKey`, 48 bits), pfns and page keys.
 *
 * Raw kernel pointers share their high bits and have zero low bits (object alignment); hashed
 * `%p` values are random in the low 32 bits only. Both halves are mixed, then finished with
 * MurmurHash3's fmix32, so every bit of the key reaches the low bits the tables mask with.
 *
 * @module
 */

/** The key value marking an empty slot (no valid key is negative). */
export const EMPTY_KEY = -1;

/** Largest key the tables accept (integers are exact in a float64 up to here). */
export const MAX_KEY = Number.MAX_SAFE_INTEGER;

/**
 * 32-bit hash of an integer key in [0, 2^53).
 *
 * @example
 * ```ts
 * import { hashKey } from "./hash_key.ts";
 * hashKey(0x8880_0123_4560) === hashKey(0x8880_0123_4560); // true
 * (hashKey(4096) & 1023) !== (hashKey(8192) & 1023); // true
 * ```
 */
export function hashKey(key: number): number {
  // Keys below 2^32 (pfns, hashed pointers) skip the split of the high half.
  let h = key < 0x1_0000_0000
    ? key | 0
    : (key >>> 0) ^ Math.imul((key / 0x1_0000_0000) | 0, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Throws unless `key` is an integer in [0, 2^53): the tables store keys in a Float64Array. */
export function checkKey(key: number): void {
  if (!(key >= 0 && key <= MAX_KEY && Math.floor(key) === key)) {
    throw new RangeError(`hash table key must be an integer in [0, 2^53), got ${key}`);
  }
}

/** Smallest power of two ≥ max(16, 2 · n): the slot count that holds `n` keys at load ≤ ½. */
export function slotsFor(n: number): number {
  let slots = 16;
  while (slots < 2 * n) slots *= 2;
  return slots;
}
