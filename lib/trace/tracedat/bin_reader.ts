/**
 * A bounds-checked reader over a byte range of a trace.dat file: every read names what it
 * expected, and errors carry the file offset (or the place inside a decompressed section).
 *
 * @module
 */

import { TraceSyntaxError } from "../diagnostics.ts";

const TWO_POW_32 = 4294967296;

/**
 * A bounds-checked reader over a byte range; errors name the file offset and what was expected.
 *
 * @example
 * ```ts
 * import { Bin } from "./bin_reader.ts";
 * const b = new Bin(new Uint8Array([1, 0]), true, "t.dat", 0);
 * b.u16("a word"); // 1
 * ```
 */
export class Bin {
  readonly view: DataView;
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
    readonly file: string,
    /** File offset of bytes[0]; -1 when the bytes are a decompressed section. */
    readonly base: number,
    /** For decompressed sections: where the section is and what it is called. */
    readonly where = "",
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(what: string, at = this.pos): never {
    const offset = this.base >= 0 ? this.base + at : at;
    const ctx = this.base >= 0 ? "" : ` (byte ${at} of the decompressed ${this.where})`;
    throw new TraceSyntaxError(`expected ${what}${ctx}`, {
      file: this.file,
      line: this.base >= 0 ? offset : 0,
      offset: true,
      code: "tracedat-syntax",
    });
  }
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      this.fail(
        `${what} (${n} bytes), but only ${Math.max(0, this.bytes.length - this.pos)} remain`,
      );
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, this.le);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, this.le);
    this.pos += 4;
    return v;
  }
  u64(what: string): number {
    this.need(8, what);
    const a = this.view.getUint32(this.pos, this.le);
    const b = this.view.getUint32(this.pos + 4, this.le);
    const [lo, hi] = this.le ? [a, b] : [b, a];
    if (hi >= 0x200000) this.fail(`${what} below 2^53, got 0x${hi.toString(16)}${hex8(lo)}`);
    this.pos += 8;
    return hi * TWO_POW_32 + lo;
  }
  cstr(what: string, max = 4096): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0 || end - this.pos > max) this.fail(`a NUL-terminated ${what}`);
    const s = latin1(this.bytes, this.pos, end);
    this.pos = end + 1;
    return s;
  }
  text(n: number, what: string): string {
    this.need(n, what);
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  /** A file offset read from the data, checked to lie inside the file. */
  offset(what: string, fileLen: number): number {
    const at = this.pos;
    const v = this.u64(what);
    if (v > fileLen) this.fail(`${what} inside the file (${fileLen} bytes), got ${v}`, at);
    return v;
  }
}

/** `n` as 8 hex digits. */
export function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

export function latin1(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}
