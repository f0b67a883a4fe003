/**
 * Text helpers of the text parser: decoding a byte range, and the bytes of an ASCII constant.
 * (The hot byte-scanning helpers live in the modules that loop over them: an imported binding
 * costs a load and a hole check per use.)
 *
 * @module
 */

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
