/**
 * XXH64 (seed 0) over a stream of byte chunks, in 32-bit halves so no BigInt is made per lane:
 * the checksum a zstd frame ends with is the low 32 bits of XXH64 of its content
 * (RFC 8878 §3.1.1, Content_Checksum).
 *
 * @module
 */

// The five primes of XXH64 (xxhash.h XXH_PRIME64_1 … _5), as [high, low] 32-bit halves.
const P1H = 0x9e3779b1, P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d, P2L = 0x27d4eb4f;
const P3H = 0x165667b1, P3L = 0x9e3779f9;
const P4H = 0x85ebca77, P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f, P5L = 0x165667c5;

/**
 * Incremental XXH64 with seed 0.
 *
 * @example
 * ```ts
 * import { Xxh64 } from "./xxh64.ts";
 * const h = new Xxh64();
 * h.update(new Uint8Array(0));
 * h.digestHex(); // "ef46db3751d8e999"
 * ```
 */
export class Xxh64 {
  /** The four accumulators v1..v4 as (high, low) pairs. */
  readonly #v = new Uint32Array(8);
  /** Result of the last 64-bit operation. */
  #h = 0;
  #l = 0;
  /** Bytes of an unfinished 32-byte stripe. */
  readonly #buf = new Uint8Array(32);
  #bufLen = 0;
  #total = 0;

  constructor() {
    const v = this.#v;
    // v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1 (mod 2^64).
    this.#add(P1H, P1L, P2H, P2L);
    v[0] = this.#h, v[1] = this.#l;
    v[2] = P2H, v[3] = P2L;
    v[4] = 0, v[5] = 0;
    this.#add(~P1H >>> 0, ~P1L >>> 0, 0, 1);
    v[6] = this.#h, v[7] = this.#l;
  }

  /** Adds bytes to the hash. */
  update(b: Uint8Array): void {
    let k = 0;
    const n = b.length;
    this.#total += n;
    if (this.#bufLen > 0) {
      const take = Math.min(32 - this.#bufLen, n);
      this.#buf.set(b.subarray(0, take), this.#bufLen);
      this.#bufLen += take;
      k = take;
      if (this.#bufLen < 32) return;
      this.#stripe(this.#buf, 0);
      this.#bufLen = 0;
    }
    for (; k + 32 <= n; k += 32) this.#stripe(b, k);
    if (k < n) {
      this.#buf.set(b.subarray(k), 0);
      this.#bufLen = n - k;
    }
  }

  /** The low 32 bits of the digest (what a zstd frame stores). */
  digestLow32(): number {
    this.#digest();
    return this.#l;
  }

  /** The digest as 16 hex digits. */
  digestHex(): string {
    this.#digest();
    return this.#h.toString(16).padStart(8, "0") + this.#l.toString(16).padStart(8, "0");
  }

  #digest(): void {
    const v = this.#v;
    let h: number, l: number;
    if (this.#total >= 32) {
      this.#rotl(v[0]!, v[1]!, 1);
      let sh = this.#h, sl = this.#l;
      for (const [i, r] of [[2, 7], [4, 12], [6, 18]] as const) {
        this.#rotl(v[i]!, v[i + 1]!, r);
        this.#add(sh, sl, this.#h, this.#l);
        sh = this.#h, sl = this.#l;
      }
      for (let i = 0; i < 8; i += 2) {
        // mergeRound: acc = (acc ^ round(0, v)) * P1 + P4
        this.#round(0, 0, v[i]!, v[i + 1]!);
        this.#mul((sh ^ this.#h) >>> 0, (sl ^ this.#l) >>> 0, P1H, P1L);
        this.#add(this.#h, this.#l, P4H, P4L);
        sh = this.#h, sl = this.#l;
      }
      h = sh, l = sl;
    } else {
      h = P5H, l = P5L;
    }
    const t = this.#total;
    this.#add(h, l, Math.floor(t / 2 ** 32) >>> 0, t >>> 0);
    h = this.#h, l = this.#l;
    const b = this.#buf;
    const n = this.#bufLen;
    let k = 0;
    for (; k + 8 <= n; k += 8) {
      this.#round(0, 0, u32(b, k + 4), u32(b, k));
      this.#rotl((h ^ this.#h) >>> 0, (l ^ this.#l) >>> 0, 27);
      this.#mul(this.#h, this.#l, P1H, P1L);
      this.#add(this.#h, this.#l, P4H, P4L);
      h = this.#h, l = this.#l;
    }
    if (k + 4 <= n) {
      this.#mul(0, u32(b, k), P1H, P1L);
      this.#rotl((h ^ this.#h) >>> 0, (l ^ this.#l) >>> 0, 23);
      this.#mul(this.#h, this.#l, P2H, P2L);
      this.#add(this.#h, this.#l, P3H, P3L);
      h = this.#h, l = this.#l;
      k += 4;
    }
    for (; k < n; k++) {
      this.#mul(0, b[k]!, P5H, P5L);
      this.#rotl((h ^ this.#h) >>> 0, (l ^ this.#l) >>> 0, 11);
      this.#mul(this.#h, this.#l, P1H, P1L);
      h = this.#h, l = this.#l;
    }
    // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
    l = (l ^ (h >>> 1)) >>> 0;
    this.#mul(h, l, P2H, P2L);
    h = this.#h, l = this.#l;
    l = (l ^ ((l >>> 29) | (h << 3))) >>> 0;
    h = (h ^ (h >>> 29)) >>> 0;
    this.#mul(h, l, P3H, P3L);
    h = this.#h, l = this.#l;
    l = (l ^ h) >>> 0;
    this.#h = h, this.#l = l;
  }

  #stripe(b: Uint8Array, k: number): void {
    const v = this.#v;
    for (let i = 0; i < 8; i += 2, k += 8) {
      this.#round(v[i]!, v[i + 1]!, u32(b, k + 4), u32(b, k));
      v[i] = this.#h, v[i + 1] = this.#l;
    }
  }

  /** round(acc, input) = rotl(acc + input * P2, 31) * P1 */
  #round(ah: number, al: number, ih: number, il: number): void {
    this.#mul(ih, il, P2H, P2L);
    this.#add(ah, al, this.#h, this.#l);
    this.#rotl(this.#h, this.#l, 31);
    this.#mul(this.#h, this.#l, P1H, P1L);
  }

  #add(ah: number, al: number, bh: number, bl: number): void {
    const lo = al + bl;
    this.#l = lo >>> 0;
    this.#h = (ah + bh + (lo > 0xffff_ffff ? 1 : 0)) >>> 0;
  }

  /** (a * b) mod 2^64 from 16-bit limbs of the low halves. */
  #mul(ah: number, al: number, bh: number, bl: number): void {
    const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
    const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    this.#l = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
    const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    this.#h = (carry + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
  }

  /** Rotate left by r (1 ≤ r < 32). */
  #rotl(h: number, l: number, r: number): void {
    this.#h = ((h << r) | (l >>> (32 - r))) >>> 0;
    this.#l = ((l << r) | (h >>> (32 - r))) >>> 0;
  }
}

function u32(b: Uint8Array, k: number): number {
  return (b[k]! | (b[k + 1]! << 8) | (b[k + 2]! << 16) | (b[k + 3]! << 24)) >>> 0;
}
