/**
 * A hash table keyed by byte ranges, so a text parser can map repeated tokens (comm names, call
 * sites, cache names, gfp texts, field keys) to numbers without creating a JS string per line:
 * the range is hashed and compared in place, and the value is computed only the first time a
 * byte sequence is seen.
 *
 * @module
 */

/** FNV-1a offset basis and prime (32-bit). */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Direct-mapped cache in front of the table: entries, and the longest key an entry holds. */
const CACHE_SLOTS = 256;
const CACHE_BYTES = 64;
/** Odd multiplier (golden ratio, 32-bit) that spreads the sampled bytes over the cache index. */
const CACHE_MIX = 0x9e3779b1;
/** Bits of a 32-bit product that index the cache (its top 8 bits for 256 entries). */
const CACHE_SHIFT = 24;

/** Distinct keys kept at most; past this, values are computed on every call (bounded memory). */
const MAX_KEYS = 1 << 20;

/**
 * Maps byte sequences to numbers computed once per distinct sequence by `make`.
 *
 * @example
 * ```ts
 * import { ByteInterner } from "./byte_interner.ts";
 * const dec = new TextDecoder();
 * const names: string[] = [];
 * const t = new ByteInterner((b, s, e) => names.push(dec.decode(b.subarray(s, e))) - 1);
 * const line = new TextEncoder().encode("name=filp name=filp");
 * t.get(line, 5, 9); // 0 (make called)
 * t.get(line, 15, 19); // 0 (found, make not called)
 * names; // ["filp"]
 * ```
 */
export class ByteInterner {
  readonly #make: (buf: Uint8Array, start: number, end: number) => number;
  #slots: Int32Array; // entry index + 1, 0 = empty
  #mask: number;
  #hash = new Int32Array(64);
  #off = new Int32Array(64);
  #len = new Int32Array(64);
  #value = new Float64Array(64);
  #pool = new Uint8Array(4096);
  #poolLen = 0;
  #count = 0;
  /**
   * Recently seen keys, indexed by a few sampled bytes and the length: most lookups find their key
   * here with one comparison, without hashing it in full. A wrong entry just fails the comparison.
   */
  #cache = new Uint8Array(CACHE_SLOTS * CACHE_BYTES);
  #cacheLen = new Int32Array(CACHE_SLOTS).fill(-1);
  #cacheValue = new Float64Array(CACHE_SLOTS);

  constructor(make: (buf: Uint8Array, start: number, end: number) => number, slots = 1024) {
    this.#make = make;
    let n = 16;
    while (n < slots) n <<= 1;
    this.#slots = new Int32Array(n);
    this.#mask = n - 1;
  }

  /** Number of distinct byte sequences stored. */
  get size(): number {
    return this.#count;
  }

  /**
   * The value for `buf[start, end)`, computing and storing it on first sight. `slot` is a hint
   * kept for callers (e.g. the event kind); the cache now picks its entry from the key itself.
   */
  get(buf: Uint8Array, start: number, end: number, _slot = 0): number {
    const len = end - start;
    if (len <= 0 || len > CACHE_BYTES) return this.#lookup(buf, start, end);
    const q = len >> 2;
    const sample = buf[start]! | buf[start + q]! << 8 | buf[end - 1 - q]! << 16 |
      buf[end - 1]! << 24;
    const at = Math.imul(sample ^ len, CACHE_MIX) >>> CACHE_SHIFT;
    const cache = this.#cache;
    const base = at * CACHE_BYTES;
    if (len === this.#cacheLen[at]) {
      let j = 0;
      while (j < len && cache[base + j] === buf[start + j]) j++;
      if (j === len) return this.#cacheValue[at]!;
    }
    const v = this.#lookup(buf, start, end);
    for (let j = 0; j < len; j++) cache[base + j] = buf[start + j]!;
    this.#cacheLen[at] = len;
    this.#cacheValue[at] = v;
    return v;
  }

  #lookup(buf: Uint8Array, start: number, end: number): number {
    // FNV-1a over 4-byte words (then the tail): a quarter of the multiplications.
    let h = FNV_OFFSET;
    let k = start;
    for (const stop = end - 3; k < stop; k += 4) {
      h = Math.imul(
        h ^ (buf[k]! | buf[k + 1]! << 8 | buf[k + 2]! << 16 | buf[k + 3]! << 24),
        FNV_PRIME,
      );
    }
    for (; k < end; k++) h = Math.imul(h ^ buf[k]!, FNV_PRIME);
    h ^= h >>> 15;
    const len = end - start;
    const slots = this.#slots;
    const mask = this.#mask;
    let s = h & mask;
    for (;;) {
      const e = slots[s]!;
      if (e === 0) break;
      const ei = e - 1;
      if (this.#hash[ei] === h && this.#len[ei] === len) {
        const pool = this.#pool;
        let o = this.#off[ei]!;
        let j = start;
        while (j < end && pool[o] === buf[j]) {
          o++;
          j++;
        }
        if (j === end) return this.#value[ei]!;
      }
      s = (s + 1) & mask;
    }
    const v = this.#make(buf, start, end);
    if (this.#count < MAX_KEYS) this.#add(buf, start, end, h, s, v);
    return v;
  }

  #add(buf: Uint8Array, start: number, end: number, h: number, slot: number, v: number): void {
    const len = end - start;
    const i = this.#count++;
    if (i >= this.#hash.length) {
      const n = this.#hash.length * 2;
      this.#hash = grow32(this.#hash, n);
      this.#off = grow32(this.#off, n);
      this.#len = grow32(this.#len, n);
      const v2 = new Float64Array(n);
      v2.set(this.#value);
      this.#value = v2;
    }
    if (this.#poolLen + len > this.#pool.length) {
      let n = this.#pool.length * 2;
      while (n < this.#poolLen + len) n *= 2;
      const p = new Uint8Array(n);
      p.set(this.#pool.subarray(0, this.#poolLen));
      this.#pool = p;
    }
    this.#pool.set(buf.subarray(start, end), this.#poolLen);
    this.#hash[i] = h;
    this.#off[i] = this.#poolLen;
    this.#len[i] = len;
    this.#value[i] = v;
    this.#poolLen += len;
    this.#slots[slot] = i + 1;
    // Keep the load factor under 1/2 so probe chains stay short.
    if (this.#count * 2 > this.#slots.length) this.#rehash();
  }

  #rehash(): void {
    const n = this.#slots.length * 2;
    const slots = new Int32Array(n);
    const mask = n - 1;
    for (let i = 0; i < this.#count; i++) {
      let s = this.#hash[i]! & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = i + 1;
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}

function grow32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
