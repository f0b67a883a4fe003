/**
 * /proc/kpageflags snapshots (`before.kpageflags`, `after.kpageflags`): an encoder, a decoder and
 * per-pfn queries. The raw file is one little-endian u64 of KPF_* bits per pfn (fs/proc/page.c,
 * bits in lib/kernel/kpage_flags.ts): 50 MiB for 24 GiB, but long runs of equal words (free
 * blocks, holes, untouched memory), so it is stored run-length encoded and gzip-compressed.
 *
 * File format, version 1. The file is one gzip member (RFC 1952); its payload, little-endian:
 *
 * | offset | size | field                                                        |
 * |--------|------|--------------------------------------------------------------|
 * | 0      | 8    | magic `KPAGEFL1` (ASCII)                                     |
 * | 8      | 8    | u64 first pfn                                                |
 * | 16     | 8    | u64 pfn count N                                              |
 * | 24     | 4    | u32 word count W: distinct flag words                        |
 * | 28     | 8·W  | the W flag words (u64), in order of first appearance         |
 * | 28+8W  | …    | runs: LEB128 word index (< W), LEB128 run length (≥ 1)       |
 *
 * The runs cover exactly N pfns from the first pfn, in pfn order; nothing follows the last run.
 * Adjacent runs have different words. A 24 GiB machine (6.5 M pfns, ≈220 k runs) takes ≈1 MB.
 *
 * The decoder takes bytes and never opens files; bad input is a {@linkcode TraceSyntaxError}
 * naming the file and the byte offset in the gzip payload.
 *
 * @module
 */

import { gunzipSync, gzipSync } from "node:zlib";
import { TraceSyntaxError } from "../trace/diagnostics.ts";
import { kpfBit } from "../kernel/kpage_flags.ts";

/** Magic at the start of the payload ("KPAGEFL1"). */
export const KPAGEFLAGS_MAGIC = "KPAGEFL1";
const HEADER_BYTES = 28;
const TWO_32 = 0x1_0000_0000;

/**
 * A decoded snapshot: pfns `firstPfn … firstPfn + pfnCount − 1` as runs of equal flag words.
 * Run `r` covers `[runStart[r], runStart[r + 1])` with dictionary word `runWord[r]`, whose 64
 * bits are `wordHi[w]:wordLo[w]`.
 */
export class Kpageflags {
  readonly firstPfn: number;
  readonly pfnCount: number;
  /** Low 32 bits of each distinct word. */
  readonly wordLo: Uint32Array;
  /** High 32 bits of each distinct word. */
  readonly wordHi: Uint32Array;
  /** First pfn of each run, plus one sentinel entry: the end pfn. */
  readonly runStart: Float64Array;
  /** Dictionary index of each run's word. */
  readonly runWord: Uint32Array;

  constructor(
    firstPfn: number,
    wordLo: Uint32Array,
    wordHi: Uint32Array,
    runStart: Float64Array,
    runWord: Uint32Array,
  ) {
    if (runStart.length !== runWord.length + 1) {
      throw new RangeError("runStart needs one entry more than runWord (the end pfn)");
    }
    this.firstPfn = firstPfn;
    this.pfnCount = runStart[runWord.length]! - firstPfn;
    this.wordLo = wordLo;
    this.wordHi = wordHi;
    this.runStart = runStart;
    this.runWord = runWord;
  }

  /** One past the last pfn. */
  get endPfn(): number {
    return this.firstPfn + this.pfnCount;
  }

  /** Number of runs. */
  get runCount(): number {
    return this.runWord.length;
  }

  /**
   * The run holding `pfn`, or −1 outside the snapshot (binary search).
   *
   * @example
   * ```ts
   * import { encodeKpageflags, decodeKpageflags } from "./kpageflags.ts";
   * const raw = new BigUint64Array([0n, 0n, 1024n]);
   * const k = decodeKpageflags(encodeKpageflags(new Uint8Array(raw.buffer)));
   * k.runAt(2); // 1
   * k.runAt(3); // -1
   * ```
   */
  runAt(pfn: number): number {
    if (!(pfn >= this.firstPfn && pfn < this.endPfn)) return -1;
    let lo = 0;
    let hi = this.runWord.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.runStart[mid]! <= pfn) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The 64-bit flag word of `pfn`, or null outside the snapshot.
   *
   * @example
   * ```ts
   * import { encodeKpageflags, decodeKpageflags } from "./kpageflags.ts";
   * const k = decodeKpageflags(encodeKpageflags(new Uint8Array(new BigUint64Array([1n << 32n]).buffer)));
   * k.flagsAt(0); // 4294967296n
   * ```
   */
  flagsAt(pfn: number): bigint | null {
    const r = this.runAt(pfn);
    if (r < 0) return null;
    const w = this.runWord[r]!;
    return (BigInt(this.wordHi[w]!) << 32n) | BigInt(this.wordLo[w]!);
  }

  /** Whether `pfn` is in the snapshot and has KPF bit `bit` (see lib/kernel/kpage_flags.ts). */
  hasFlag(pfn: number, bit: number): boolean {
    const r = this.runAt(pfn);
    if (r < 0) return false;
    const w = this.runWord[r]!;
    return kpfBit(this.wordLo[w]!, this.wordHi[w]!, bit);
  }

  /**
   * Pages of `[fromPfn, toPfn)` (clipped to the snapshot) that have bit `bit`.
   *
   * @example
   * ```ts
   * import { encodeKpageflags, decodeKpageflags } from "./kpageflags.ts";
   * import { KPF } from "../kernel/kpage_flags.ts";
   * const raw = new BigUint64Array([1024n, 1024n, 0n, 1024n]);
   * const k = decodeKpageflags(encodeKpageflags(new Uint8Array(raw.buffer)));
   * k.countFlag(KPF.BUDDY, 1, 4); // 2
   * ```
   */
  countFlag(bit: number, fromPfn: number, toPfn: number): number {
    const from = Math.max(fromPfn, this.firstPfn);
    const to = Math.min(toPfn, this.endPfn);
    if (from >= to) return 0;
    let n = 0;
    for (let r = this.runAt(from); r < this.runWord.length && this.runStart[r]! < to; r++) {
      const w = this.runWord[r]!;
      if (!kpfBit(this.wordLo[w]!, this.wordHi[w]!, bit)) continue;
      n += Math.min(to, this.runStart[r + 1]!) - Math.max(from, this.runStart[r]!);
    }
    return n;
  }
}

/** Growable list of run (word index, length) pairs. */
class RunList {
  word: Uint32Array;
  length: Float64Array;
  count = 0;

  constructor(capacity: number) {
    // Written once so the pages are faulted in now, not while a snapshot is being read.
    this.word = new Uint32Array(capacity).fill(0);
    this.length = new Float64Array(capacity).fill(0);
  }

  add(word: number, length: number): void {
    if (this.count === this.word.length) {
      const w = new Uint32Array(this.count * 2);
      w.set(this.word);
      this.word = w;
      const l = new Float64Array(this.count * 2);
      l.set(this.length);
      this.length = l;
    }
    this.word[this.count] = word;
    this.length[this.count] = length;
    this.count++;
  }
}

/**
 * Builds a snapshot file from raw /proc/kpageflags bytes fed in chunks (each a whole number of
 * u64 words), so a reader never holds the 50 MiB raw file.
 *
 * @example
 * ```ts
 * import { KpageflagsEncoder, decodeKpageflags } from "./kpageflags.ts";
 * const e = new KpageflagsEncoder(0);
 * e.push(new Uint8Array(new BigUint64Array([1024n, 1024n]).buffer));
 * e.push(new Uint8Array(new BigUint64Array([0n]).buffer));
 * decodeKpageflags(e.finish()).runCount; // 2
 * ```
 */
export class KpageflagsEncoder {
  readonly firstPfn: number;
  #pfns = 0;
  #runs: RunList;
  #dict = new Map<number | string, number>();
  #lo: number[] = [];
  #hi: number[] = [];
  #curLo = 0;
  #curHi = 0;
  #curLen = 0;
  #finished = false;

  /**
   * `runCapacity` preallocates room for that many runs (≈450 k for 24 GiB shortly after boot),
   * so that pushing allocates nothing until it is exceeded.
   */
  constructor(firstPfn = 0, runCapacity = 1024) {
    if (!Number.isSafeInteger(firstPfn) || firstPfn < 0) {
      throw new RangeError(`first pfn ${firstPfn} is not a non-negative integer`);
    }
    this.firstPfn = firstPfn;
    this.#runs = new RunList(Math.max(1, runCapacity));
  }

  /** Forgets every word pushed, keeping the allocated room (after a warm-up read). */
  reset(): void {
    if (this.#finished) throw new Error("KpageflagsEncoder.reset after finish");
    this.#pfns = 0;
    this.#runs.count = 0;
    this.#curLen = 0;
    this.#dict.clear();
    this.#lo.length = 0;
    this.#hi.length = 0;
  }

  /** Pfns pushed so far. */
  get pfnCount(): number {
    return this.#pfns;
  }

  /** Runs so far (the current one included). */
  get runCount(): number {
    return this.#runs.count + (this.#curLen > 0 ? 1 : 0);
  }

  /** Appends raw little-endian u64 words (the bytes /proc/kpageflags returns). */
  push(bytes: Uint8Array): void {
    if (this.#finished) throw new Error("KpageflagsEncoder.push after finish");
    if (bytes.length % 8 !== 0) {
      throw new RangeError(`kpageflags chunk of ${bytes.length} bytes is not whole u64 words`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let lo = this.#curLo;
    let hi = this.#curHi;
    let len = this.#curLen;
    for (let off = 0; off < bytes.length; off += 8) {
      const l = view.getUint32(off, true);
      const h = view.getUint32(off + 4, true);
      if (l === lo && h === hi && len > 0) {
        len++;
        continue;
      }
      if (len > 0) this.#runs.add(this.#wordIndex(lo, hi), len);
      lo = l;
      hi = h;
      len = 1;
    }
    this.#curLo = lo;
    this.#curHi = hi;
    this.#curLen = len;
    this.#pfns += bytes.length / 8;
  }

  #wordIndex(lo: number, hi: number): number {
    // Exact as a number while the word is below 2^53; wider words use a string key.
    const key: number | string = hi < 0x20_0000 ? hi * TWO_32 + lo : `${hi}:${lo}`;
    let i = this.#dict.get(key);
    if (i === undefined) {
      i = this.#lo.length;
      this.#dict.set(key, i);
      this.#lo.push(lo);
      this.#hi.push(hi);
    }
    return i;
  }

  /**
   * The gzip-compressed file (see the module documentation). The encoder can take no more
   * words afterwards.
   */
  finish(level = 6): Uint8Array {
    if (this.#finished) throw new Error("KpageflagsEncoder.finish called twice");
    if (this.#curLen > 0) {
      this.#runs.add(this.#wordIndex(this.#curLo, this.#curHi), this.#curLen);
      this.#curLen = 0;
    }
    const runs = this.#runs;
    const w = this.#lo.length;
    let size = HEADER_BYTES + 8 * w;
    for (let r = 0; r < runs.count; r++) {
      size += leb128Size(runs.word[r]!) + leb128Size(runs.length[r]!);
    }
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) out[i] = KPAGEFLAGS_MAGIC.charCodeAt(i);
    writeU64(view, 8, this.firstPfn);
    writeU64(view, 16, this.#pfns);
    view.setUint32(24, w, true);
    for (let i = 0; i < w; i++) {
      view.setUint32(HEADER_BYTES + 8 * i, this.#lo[i]!, true);
      view.setUint32(HEADER_BYTES + 8 * i + 4, this.#hi[i]!, true);
    }
    let off = HEADER_BYTES + 8 * w;
    for (let r = 0; r < runs.count; r++) {
      off = writeLeb128(out, off, runs.word[r]!);
      off = writeLeb128(out, off, runs.length[r]!);
    }
    this.#finished = true;
    return new Uint8Array(gzipSync(out, { level }));
  }
}

/**
 * Encodes a whole raw /proc/kpageflags image (or a slice starting at `firstPfn`).
 *
 * @example
 * ```ts
 * import { encodeKpageflags, decodeKpageflags } from "./kpageflags.ts";
 * const raw = new Uint8Array(new BigUint64Array([0n, 1024n, 1024n]).buffer);
 * decodeKpageflags(encodeKpageflags(raw, 4096)).flagsAt(4097); // 1024n
 * ```
 */
export function encodeKpageflags(raw: Uint8Array, firstPfn = 0): Uint8Array {
  const e = new KpageflagsEncoder(firstPfn);
  e.push(raw);
  return e.finish();
}

/**
 * Decodes a snapshot file (see the module documentation for the format).
 *
 * @example
 * ```ts
 * import { decodeKpageflags } from "./kpageflags.ts";
 * try {
 *   decodeKpageflags(new Uint8Array([1, 2, 3]), "after.kpageflags");
 * } catch (e) {
 *   (e as Error).message; // "after.kpageflags: byte offset 0: not a gzip file …"
 * }
 * ```
 */
export function decodeKpageflags(bytes: Uint8Array, file = "<input>"): Kpageflags {
  const fail = (offset: number, message: string): never => {
    throw new TraceSyntaxError(message, { file, line: offset, offset: true, code: "kpageflags" });
  };
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    fail(0, "not a gzip file (a kpageflags snapshot is gzip-compressed)");
  }
  let p: Uint8Array;
  try {
    p = new Uint8Array(gunzipSync(bytes));
  } catch (e) {
    return fail(0, `gzip stream is damaged (${(e as Error).message})`);
  }
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (p.length < HEADER_BYTES) {
    fail(p.length, `payload ends inside the ${HEADER_BYTES}-byte header`);
  }
  for (let i = 0; i < 8; i++) {
    if (p[i] !== KPAGEFLAGS_MAGIC.charCodeAt(i)) {
      fail(i, `payload does not start with "${KPAGEFLAGS_MAGIC}"`);
    }
  }
  const firstPfn = readU64(view, 8, fail);
  const pfnCount = readU64(view, 16, fail);
  const w = view.getUint32(24, true);
  if (pfnCount > 0 && w === 0) fail(24, `${pfnCount} pfns but no flag words`);
  if (HEADER_BYTES + 8 * w > p.length) {
    fail(24, `${w} flag words do not fit in the ${p.length}-byte payload`);
  }
  const wordLo = new Uint32Array(w);
  const wordHi = new Uint32Array(w);
  for (let i = 0; i < w; i++) {
    wordLo[i] = view.getUint32(HEADER_BYTES + 8 * i, true);
    wordHi[i] = view.getUint32(HEADER_BYTES + 8 * i + 4, true);
  }
  let off = HEADER_BYTES + 8 * w;
  let cap = 1024;
  let runStart = new Float64Array(cap + 1);
  let runWord = new Uint32Array(cap);
  let n = 0;
  let pfn = firstPfn;
  const end = firstPfn + pfnCount;
  const cursor = { off };
  while (pfn < end) {
    const at = cursor.off;
    if (at >= p.length) {
      fail(at, `runs end at pfn ${pfn}, before the header's ${pfnCount} pfns (last ${end - 1})`);
    }
    const word = readLeb128(p, cursor, fail);
    if (word >= w) fail(at, `word index ${word} ≥ word count ${w}`);
    const lenAt = cursor.off;
    const len = readLeb128(p, cursor, fail);
    if (len === 0) fail(lenAt, "run of length 0");
    if (pfn + len > end) {
      fail(lenAt, `run of ${len} pfns from pfn ${pfn} passes the end pfn ${end}`);
    }
    if (n > 0 && runWord[n - 1] === word) fail(at, `run repeats the word of the run before`);
    if (n === cap) {
      cap *= 2;
      const s = new Float64Array(cap + 1);
      s.set(runStart);
      runStart = s;
      const rw = new Uint32Array(cap);
      rw.set(runWord);
      runWord = rw;
    }
    runStart[n] = pfn;
    runWord[n] = word;
    n++;
    pfn += len;
  }
  off = cursor.off;
  if (off !== p.length) fail(off, `${p.length - off} bytes after the last run`);
  runStart[n] = end;
  return new Kpageflags(firstPfn, wordLo, wordHi, runStart.slice(0, n + 1), runWord.slice(0, n));
}

function leb128Size(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeLeb128(out: Uint8Array, off: number, v: number): number {
  while (v >= 128) {
    out[off++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[off++] = v;
  return off;
}

/** LEB128 values are pfn counts and word indices: seven bytes (2^49) is plenty. */
const LEB128_MAX_BYTES = 7;

function readLeb128(
  p: Uint8Array,
  cursor: { off: number },
  fail: (offset: number, message: string) => never,
): number {
  const start = cursor.off;
  let v = 0;
  let scale = 1;
  for (let i = 0; i < LEB128_MAX_BYTES; i++) {
    const at = start + i;
    if (at >= p.length) fail(at, "payload ends inside a LEB128 number");
    const b = p[at]!;
    v += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) {
      cursor.off = at + 1;
      return v;
    }
  }
  return fail(start, `LEB128 number longer than ${LEB128_MAX_BYTES} bytes`);
}

function writeU64(view: DataView, off: number, v: number): void {
  view.setUint32(off, v % TWO_32, true);
  view.setUint32(off + 4, Math.floor(v / TWO_32), true);
}

function readU64(
  view: DataView,
  off: number,
  fail: (offset: number, message: string) => never,
): number {
  const v = view.getUint32(off + 4, true) * TWO_32 + view.getUint32(off, true);
  if (!Number.isSafeInteger(v)) fail(off, `u64 ${v} is beyond 2^53`);
  return v;
}
