/**
 * Byte-level helpers of the text parser: character codes, number scanning and the word-at-a-time
 * newline search. Everything works on `Uint8Array` ranges so no string is built per line.
 *
 * @module
 */

export const SPACE = 32;
export const TAB = 9;
export const CR = 13;
export const LF = 10;
export const HASH = 35;
export const LPAREN = 40;
export const RPAREN = 41;
export const TILDE = 126;
export const PLUS = 43;
export const COMMA = 44;
export const MINUS = 45;
export const DOT = 46;
export const SLASH = 47;
export const ZERO = 48;
export const COLON = 58;
export const EQUALS = 61;
export const LBRACKET = 91;
export const RBRACKET = 93;
export const LOWER_F = 102;
export const LOWER_T = 116;
export const LOWER_X = 120;

const utf8 = new TextDecoder("utf-8");
const latin = new TextEncoder();

/** UTF-8 text of `buf[start, end)`. */
export function decode(buf: Uint8Array, start: number, end: number): string {
  return utf8.decode(buf.subarray(start, end));
}

/** Bytes of an ASCII constant, for in-place comparisons. */
export function ascii(s: string): Uint8Array {
  return latin.encode(s);
}

/** LF in every byte of a word, and the constants of the "word has a zero byte" test. */
const LF_WORD = 0x0a0a0a0a;
const BYTE_ONES = 0x01010101;
const BYTE_HIGH_BITS = 0x80808080;

/** The 4-byte-aligned words inside `chunk`, for scanning 4 bytes per step. */
export function alignedWords(chunk: Uint8Array): Uint32Array {
  const first = (chunk.byteOffset + 3) & ~3;
  const stop = (chunk.byteOffset + chunk.length) & ~3;
  return new Uint32Array(chunk.buffer, first, Math.max(0, (stop - first) >> 2));
}

/**
 * Index of the next LF at or after `from` in `chunk`, or -1. `words` are its aligned words, the
 * first at chunk index `base`. Whole words are tested with the "has a zero byte" bit trick on
 * `word ^ LF_WORD`: a trace line is ~150 bytes, and this beats one `indexOf` call per line.
 */
export function indexOfLf(
  chunk: Uint8Array,
  words: Uint32Array,
  base: number,
  from: number,
): number {
  const n = chunk.length;
  let k = from;
  while (k < n && ((k - base) & 3) !== 0) {
    if (chunk[k] === LF) return k;
    k++;
  }
  if (k < n) {
    // k is aligned here, so k >= base.
    let w = (k - base) >> 2;
    const wn = words.length;
    while (w < wn) {
      const v = words[w]! ^ LF_WORD;
      if (((v - BYTE_ONES) & ~v & BYTE_HIGH_BITS) !== 0) break;
      w++;
    }
    k = base + (w << 2);
  }
  while (k < n) {
    if (chunk[k] === LF) return k;
    k++;
  }
  return -1;
}

/** Hex digit values by byte (-1 = not a hex digit). */
export const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[97 + c] = 10 + c;
  HEX[65 + c] = 10 + c;
}

export function bytesEqual(buf: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let k = 0; k < want.length; k++) if (buf[at + k] !== want[k]) return false;
  return true;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function skipSpaces(b: Uint8Array, k: number, e: number): number {
  while (k < e && b[k] === SPACE) k++;
  return k;
}

export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95;
}

export const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];
/** Parses hex digits in [from, end); a trailing `,` ends the value. -1 when not hex. */
export function parseHex(b: Uint8Array, from: number, end: number): number {
  if (end <= from) return -1;
  let v = 0;
  for (let j = from; j < end; j++) {
    const d = HEX[b[j]!]!;
    if (d < 0) {
      // `zone_end=0x%lx, mode=%s`: a value may end in punctuation.
      return j > from && b[j] === COMMA ? v : -1;
    }
    v = v * 16 + d;
  }
  return v;
}

/** A (possibly negative, possibly 0x-prefixed) integer at the start of [at, end); NaN if none. */
export function parseNum(b: Uint8Array, at: number, end: number): number {
  let j = at;
  let neg = false;
  if (j < end && b[j] === MINUS) {
    neg = true;
    j++;
  }
  if (j + 1 < end && b[j] === ZERO && b[j + 1] === LOWER_X) {
    const v = parseHex(b, j + 2, end);
    return v < 0 ? NaN : (neg ? -v : v);
  }
  let v = 0;
  const start = j;
  for (; j < end; j++) {
    const c = b[j]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  if (j === start) return NaN;
  return neg ? -v : v;
}

/** Same as {@linkcode parseNum}; the name says where a decimal value is expected. */
export const parseDec = parseNum;
