/**
 * The kernel symbol table stored in a trace.dat (`/proc/kallsyms` text), sorted once, for turning
 * call-site addresses into `function+0xoff` the way trace-cmd does.
 *
 * @module
 */

import { latin1 } from "./bin_reader.ts";

const TWO_POW_32 = 4294967296;

/**
 * Sorted kernel symbols; names decoded on demand.
 *
 * @example
 * ```ts
 * import { Kallsyms } from "./kallsyms.ts";
 * const k = new Kallsyms(new TextEncoder().encode("1000 T f\n2000 T g\n3000 T end\n"));
 * k.symbolize(0, 0x1010); // "f+0x10"
 * ```
 */
export class Kallsyms {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly nameStart: Uint32Array;
  readonly nameEnd: Uint32Array;
  readonly count: number;
  constructor(readonly text: Uint8Array) {
    // One pass to count lines, one to fill; `addr type name[\t[module]]`.
    let lines = 0;
    for (let i = 0; i < text.length; i++) if (text[i] === 10) lines++;
    const hi = new Uint32Array(lines + 1);
    const lo = new Uint32Array(lines + 1);
    const ns = new Uint32Array(lines + 1);
    const ne = new Uint32Array(lines + 1);
    let n = 0;
    let i = 0;
    const len = text.length;
    while (i < len) {
      let h = 0;
      let l = 0;
      let digits = 0;
      let c = text[i]!;
      while (i < len) {
        c = text[i]!;
        const d = c >= 48 && c <= 57
          ? c - 48
          : c >= 97 && c <= 102
          ? c - 87
          : c >= 65 && c <= 70
          ? c - 55
          : -1;
        if (d < 0) break;
        h = ((h << 4) | (l >>> 28)) >>> 0;
        l = ((l << 4) | d) >>> 0;
        digits++;
        i++;
      }
      let lineEnd = text.indexOf(10, i);
      if (lineEnd < 0) lineEnd = len;
      // " T name"
      if (digits > 0 && text[i] === 32 && i + 3 < lineEnd && text[i + 2] === 32) {
        const type = text[i + 1]!;
        const s = i + 3;
        let e = s;
        while (e < lineEnd && text[e] !== 9 && text[e] !== 32) e++;
        // trace-cmd ignores absolute symbols and ARM `$a`-style mapping symbols.
        if (type !== 65 && type !== 97 && text[s] !== 36 && e > s) {
          hi[n] = h;
          lo[n] = l;
          ns[n] = s;
          ne[n] = e;
          n++;
        }
      }
      i = lineEnd + 1;
    }
    this.count = n;
    let sorted = true;
    for (let k = 1; k < n && sorted; k++) {
      if (hi[k]! < hi[k - 1]! || (hi[k] === hi[k - 1] && lo[k]! < lo[k - 1]!)) sorted = false;
    }
    if (!sorted) {
      const idx = Array.from({ length: n }, (_, k) => k);
      idx.sort((a, b) => (hi[a]! - hi[b]!) || (lo[a]! - lo[b]!) || a - b);
      this.hi = Uint32Array.from(idx, (k) => hi[k]!);
      this.lo = Uint32Array.from(idx, (k) => lo[k]!);
      this.nameStart = Uint32Array.from(idx, (k) => ns[k]!);
      this.nameEnd = Uint32Array.from(idx, (k) => ne[k]!);
    } else {
      this.hi = hi;
      this.lo = lo;
      this.nameStart = ns;
      this.nameEnd = ne;
    }
  }

  /** `name+0xoff` for the address, or null when no symbol covers it. */
  symbolize(h: number, l: number): string | null {
    const { hi, lo } = this;
    let a = 0;
    let b = this.count - 1;
    let found = -1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      const mh = hi[m]!;
      if (mh < h || (mh === h && lo[m]! <= l)) {
        found = m;
        a = m + 1;
      } else b = m - 1;
    }
    // Past the last symbol trace-cmd finds nothing (its table ends with a sentinel).
    if (found < 0 || found === this.count - 1) return null;
    const off = (h - hi[found]!) * TWO_POW_32 + (l - lo[found]!);
    return `${latin1(this.text, this.nameStart[found]!, this.nameEnd[found]!)}+0x${
      off.toString(16)
    }`;
  }
}
