/**
 * String fields of trace.dat records: {@linkcode readString} finds a fixed, __data_loc or __rel_loc
 * string and {@linkcode StrCache} interns its bytes without building a JS string per record.
 *
 * @module
 */

import type { StringTable } from "../string_table.ts";
import { FieldLoc, type FormatField } from "./tracedat_format.ts";

/** Interns string fields without building a JS string per record (hash of the bytes first). */
export class StrCache {
  readonly #map = new Map<number, Array<{ bytes: Uint8Array; id: number }>>();
  constructor(readonly strings: StringTable) {}
  get(view: DataView, at: number, n: number): number {
    let h = 0x811c9dc5;
    for (let k = 0; k < n; k++) h = Math.imul(h ^ view.getUint8(at + k), 0x01000193);
    h = (h ^ n) >>> 0;
    let list = this.#map.get(h);
    if (list) {
      outer: for (const e of list) {
        if (e.bytes.length !== n) continue;
        for (let k = 0; k < n; k++) if (e.bytes[k] !== view.getUint8(at + k)) continue outer;
        return e.id;
      }
    } else {
      list = [];
      this.#map.set(h, list);
    }
    const bytes = new Uint8Array(view.buffer, view.byteOffset + at, n).slice();
    const id = this.strings.intern(new TextDecoder().decode(bytes));
    list.push({ bytes, id });
    return id;
  }
}

/** Interned id of a string field (fixed array, __data_loc or __rel_loc), or -1 when out of bounds. */
export function readString(
  view: DataView,
  base: number,
  len: number,
  f: FormatField,
  le: boolean,
  cache: StrCache,
): number {
  let at: number;
  let n: number;
  if (f.offset + f.size > len) return -1;
  if (f.loc === FieldLoc.INLINE) {
    at = base + f.offset;
    n = f.size;
  } else {
    const w = view.getUint32(base + f.offset, le);
    const off = (w & 0xffff) + (f.loc === FieldLoc.REL_LOC ? f.offset + 4 : 0);
    n = w >>> 16;
    if (off + n > len) return -1;
    at = base + off;
  }
  // Up to the first NUL.
  let e = 0;
  while (e < n && view.getUint8(at + e) !== 0) e++;
  return cache.get(view, at, e);
}
