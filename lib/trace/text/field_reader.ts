/**
 * The fields of one text trace line: `key=value` tokens are found once per line and recorded as
 * value ranges per known key, and the typed readers (pfn, order, pointer, gfp, call site …) turn
 * those ranges into batch columns. The event-family field parsers (`*_fields.ts`) read through
 * one {@linkcode FieldReader} per parser.
 *
 * @module
 */

import { ZONE_NAMES } from "../../kernel/constants.ts";
import { parseGfp } from "../../kernel/gfp_flags.ts";
import { ByteInterner } from "../byte_interner.ts";
import type { EventBatch } from "../event_batch.ts";
import { EVENT_KIND_COUNT } from "../event_kind.ts";
import { EVENT_SCHEMA, type EventLayout, mapSchema, type PerField } from "../event_schema.ts";
import type { StringTable } from "../string_table.ts";
import type { TextFormat } from "./line_head.ts";
import type { TraceFeatures } from "./text_features.ts";
import { ascii, decode } from "./text_bytes.ts";

// Byte values as local constants: an imported binding costs a load and a hole check per use
// in the hot scanning loops (measured ~10 % of parse time).
const COLON = 58;
const EQUALS = 61;
const LBRACKET = 91;
const MINUS = 45;
const COMMA = 44;
const LOWER_F = 102;
const LOWER_X = 120;
const LPAREN = 40;
const PLUS = 43;
const RBRACKET = 93;
const SLASH = 47;
const SPACE = 32;
const ZERO = 48;

const RSS_TYPES = ["MM_FILEPAGES", "MM_ANONPAGES", "MM_SWAPENTS", "MM_SHMEMPAGES"];

/**
 * The field keys the event parsers read. A line's fields are tokenized once into per-key value
 * ranges, so each event reads its values without searching the line again.
 */
const BASE_KEYS = [
  "call_site",
  "ptr",
  "name",
  "bytes_req",
  "bytes_alloc",
  "gfp_flags",
  "node",
  "accounted",
  "page",
  "pfn",
  "order",
  "migratetype",
  "alloc_order",
  "alloc_migratetype",
  "fragmenting",
  "change_ownership",
  "curr",
  "size",
  "node_id",
  "va_start",
  "align",
  "failed",
  "start",
  "end",
  "nid",
  "zid",
  "mode",
  "status",
  "zone",
  "ret",
  "classzone_idx",
  "highest_zoneidx",
  "gfp_mask",
  // `upper_zone name=%s` (mm_setup_per_zone_lowmem_reserve): a `name=` after `upper_zone`.
  "upper_zone name",
  // vmscan: reclaim flags, LRU list, throttle reason, the isolating request's highest zone.
  "flags",
  "lru",
  "reason",
  "classzone",
] as const;
type BaseKey = typeof BASE_KEYS[number];

/** Every key the tokenizer records: the fixed-column keys, then the schema's text keys. */
export const KEY_NAMES: readonly string[] = [
  ...new Set<string>([
    ...BASE_KEYS,
    ...Object.values(EVENT_SCHEMA as { [l: string]: EventLayout }).flatMap((l) =>
      Object.values(l.fields).flatMap((f) => f.text)
    ),
  ]),
];

/** Key ids of the fixed-column keys. */
export const K = Object.fromEntries(BASE_KEYS.map((n, i) => [n, i])) as { [N in BaseKey]: number };

/** Key ids of each schema field's text keys, in order of preference: `TK.extfrag.fallbackOrder`. */
export const TK: PerField<readonly number[]> = mapSchema((f) =>
  f.text.map((t) => KEY_NAMES.indexOf(t))
);
const KEY_COUNT = KEY_NAMES.length;

/** Key bytes, for checking a token against the key expected at its position. */
const KEY_BYTES = KEY_NAMES.map((n) => ascii(n));
const UPPER_ZONE = ascii("upper_zone");
/** Tokens remembered per event kind (fields come in the same order on every line). */
const SHAPE_TOKENS = 24;

/**
 * Tokenized fields of the current line and the readers of typed values.
 *
 * @example
 * ```ts
 * import { FieldReader, K } from "./field_reader.ts";
 * import { EventBatch } from "../event_batch.ts";
 * import { StringTable } from "../string_table.ts";
 * const r = new FieldReader(new EventBatch(1), new StringTable(), {} as never);
 * const line = new TextEncoder().encode("pfn=0x10 order=2");
 * r.tokenize(line, 0, line.length, 0);
 * r.num(line, K.order); // 2
 * ```
 */
export class FieldReader {
  /** Value range per key of the current line, valid when `stamp[key] === gen`. */
  readonly vs = new Int32Array(KEY_COUNT);
  readonly ve = new Int32Array(KEY_COUNT);
  readonly stamp = new Int32Array(KEY_COUNT);
  gen = 0;
  /**
   * Key id of the n-th `key=` token on the last line of each event kind (-2 = unknown yet), so a
   * token is identified by comparing its bytes with one expected key instead of hashing it.
   */
  readonly #shape = new Int16Array(EVENT_KIND_COUNT * SHAPE_TOKENS).fill(-2);
  // Byte-keyed interners: a JS string is made only for the first occurrence of each value.
  readonly #keyIds = new ByteInterner((buf, s, e) => {
    return (KEY_NAMES as readonly string[]).indexOf(decode(buf, s, e));
  }, 256);
  readonly sites: ByteInterner;
  readonly names: ByteInterner;
  readonly gfps: ByteInterner;
  readonly zones: ByteInterner;
  readonly rssTypes: ByteInterner;

  constructor(
    readonly batch: EventBatch,
    strings: StringTable,
    readonly features: TraceFeatures,
  ) {
    this.sites = new ByteInterner((b, s, e) => strings.intern(canonicalCallSite(decode(b, s, e))));
    this.names = new ByteInterner((b, s, e) => strings.intern(decode(b, s, e)));
    this.gfps = new ByteInterner((b, s, e) => parseGfp(decode(b, s, e)));
    this.zones = new ByteInterner((b, s, e) => zoneIndexOf(decode(b, s, e)), 64);
    this.rssTypes = new ByteInterner((b, s, e) => RSS_TYPES.indexOf(decode(b, s, e)), 16);
  }

  /**
   * Splits `key=value` fields at spaces and records the value range of each known key (the
   * first occurrence wins). `label: value` (vmalloc's `va_start: %lu`) counts as a key too.
   */
  tokenize(buf: Uint8Array, k: number, e: number, code: number): void {
    const shapeAt = code * SHAPE_TOKENS;
    let gen = ++this.gen;
    if (gen === 0x7fff_ffff) {
      this.stamp.fill(0);
      gen = this.gen = 1;
    }
    const stamp = this.stamp, vs = this.vs, ve = this.ve, shape = this.#shape;
    const shapeEnd = shapeAt + SHAPE_TOKENS;
    let n = shapeAt;
    let labelKey = -1;
    let upperZone = false;
    while (k < e) {
      while (k < e && buf[k] === SPACE) k++;
      if (k >= e) break;
      const ts = k;
      if (labelKey < 0) {
        // Fast path: the key this kind had at this position last time, followed by `=`.
        const want = n < shapeEnd ? shape[n]! : -2;
        if (want >= 0) {
          const kb = KEY_BYTES[want]!;
          const eqAt = ts + kb.length;
          if (eqAt < e && buf[eqAt] === EQUALS && bytesEqual(buf, ts, kb)) {
            k = eqAt + 1;
            while (k < e && buf[k] !== SPACE) k++;
            n++;
            const id = upperZone && want === K.name ? K["upper_zone name"] : want;
            upperZone = false;
            if (stamp[id] !== gen) {
              stamp[id] = gen;
              vs[id] = eqAt + 1;
              ve[id] = k;
            }
            continue;
          }
        }
      }
      let eq = -1;
      while (k < e) {
        const c = buf[k]!;
        if (c === SPACE) break;
        if (c === EQUALS && eq < 0) eq = k;
        k++;
      }
      if (labelKey >= 0) {
        if (stamp[labelKey] !== gen) {
          stamp[labelKey] = gen;
          vs[labelKey] = ts;
          ve[labelKey] = k;
        }
        labelKey = -1;
        continue;
      }
      if (eq > ts) {
        let id = this.#keyIds.get(buf, ts, eq);
        if (n < shapeEnd) shape[n] = id;
        n++;
        if (upperZone && id === K.name) id = K["upper_zone name"];
        upperZone = false;
        if (id >= 0 && stamp[id] !== gen) {
          stamp[id] = gen;
          vs[id] = eq + 1;
          ve[id] = k;
        }
      } else if (eq < 0) {
        upperZone = k - ts === UPPER_ZONE.length && bytesEqual(buf, ts, UPPER_ZONE);
        if (buf[k - 1] === COLON && k - 1 > ts) labelKey = this.#keyIds.get(buf, ts, k - 1);
      } else upperZone = false;
    }
  }

  /** Start of the value of `key` on the current line, or -1. */
  at(key: number): number {
    return this.stamp[key] === this.gen ? this.vs[key]! : -1;
  }

  /** The key's value as a number (`-`, `0x` accepted), NaN when absent or not a number. */
  num(buf: Uint8Array, key: number): number {
    if (this.stamp[key] !== this.gen) return NaN;
    return parseNum(buf, this.vs[key]!, this.ve[key]!);
  }

  numOr(buf: Uint8Array, key: number, dflt: number): number {
    const v = this.num(buf, key);
    return Number.isNaN(v) ? dflt : v;
  }

  /** The value of the first of `keys` that holds a number, NaN when none does. */
  numOf(buf: Uint8Array, keys: readonly number[]): number {
    for (let k = 0; k < keys.length; k++) {
      const v = this.num(buf, keys[k]!);
      if (!Number.isNaN(v)) return v;
    }
    return NaN;
  }

  zone(buf: Uint8Array, key: number): number {
    if (this.stamp[key] !== this.gen) return -1;
    return this.zones.get(buf, this.vs[key]!, this.ve[key]!);
  }

  name(buf: Uint8Array, key: number, code: number): number {
    return this.names.get(buf, this.vs[key]!, this.ve[key]!, code);
  }

  callSite(s: Uint8Array, e: number, i: number): string | null {
    const at = this.at(K.call_site);
    if (at < 0) return "missing call_site=";
    let end = this.ve[K.call_site]!;
    // A module symbol prints as `func+0x1/0x2 [mod]`: the key covers the module too.
    if (end + 1 < e && s[end] === SPACE && s[end + 1] === LBRACKET) {
      let close = end + 2;
      while (close < e && s[close] !== RBRACKET) close++;
      if (close < e) end = close + 1;
    }
    if (this.features.callSiteSymbolic === null) {
      let symbolic = false;
      for (let k = at; k < end; k++) if (s[k] === PLUS) symbolic = true;
      this.features.callSiteSymbolic = symbolic;
    }
    this.batch.callSite[i] = this.sites.get(s, at, end, this.batch.kind[i]!);
    return null;
  }

  ptr(s: Uint8Array, i: number, fmt: TextFormat): string | null {
    const at = this.at(K.ptr);
    if (at < 0) return "missing ptr=";
    const end = this.ve[K.ptr]!;
    const b = this.batch;
    if (at < end && s[at] === LPAREN) {
      b.ptrHi[i] = 0;
      b.ptrLo[i] = 0;
      return null;
    }
    let k = at;
    if (end - at >= 2 && s[at] === ZERO && s[at + 1] === LOWER_X) k += 2;
    if (end - k > 16 || end === k) return "bad ptr=";
    let hi = 0, lo = 0;
    const split = end - 8;
    for (let j = k; j < end; j++) {
      const d = HEX[s[j]!]!;
      if (d < 0) return "bad ptr=";
      if (j < split) hi = hi * 16 + d;
      else lo = lo * 16 + d;
    }
    b.ptrHi[i] = hi;
    b.ptrLo[i] = lo;
    if (this.features.hashedPointers === null && (hi !== 0 || lo !== 0)) {
      // tracefs prints hashed %p as 16 digits with the top 32 bits zero.
      this.features.hashedPointers = fmt === "tracefs" && hi === 0;
    }
    return null;
  }

  pfn(s: Uint8Array, i: number): string | null {
    const at = this.at(K.pfn);
    if (at < 0) return "missing pfn=";
    const end = this.ve[K.pfn]!;
    const b = this.batch;
    if (end - at >= 2 && s[at] === ZERO && s[at + 1] === LOWER_X) {
      this.features.pfnHex ??= true;
      if (end - at - 2 > 16) return "pfn= beyond 64 bits";
      if (end - at - 2 === 16 && allF(s, at + 2, end)) {
        b.pfn[i] = -1; // (unsigned long)-1: no page
        return null;
      }
      const v = parseHex(s, at + 2, end);
      if (v < 0) return "bad pfn=";
      if (v > Number.MAX_SAFE_INTEGER) return "pfn= out of range";
      b.pfn[i] = v;
      return null;
    }
    this.features.pfnHex ??= false;
    if (s[at] === MINUS) return "negative pfn=";
    const v = parseDec(s, at, end);
    if (Number.isNaN(v)) return "bad pfn=";
    // ≤ v5.13 prints (unsigned long)-1 in decimal; a pfn beyond 2^53 cannot be exact.
    if (v === 2 ** 64 - 1) b.pfn[i] = -1;
    else if (v > Number.MAX_SAFE_INTEGER) return "pfn= out of range";
    else b.pfn[i] = v;
    return null;
  }

  orderMt(s: Uint8Array, i: number, withMt: boolean): string | null {
    const o = this.num(s, K.order);
    if (Number.isNaN(o) || o < 0 || o > 63) return "bad order=";
    this.batch.order[i] = o;
    if (withMt) {
      const mt = this.num(s, K.migratetype);
      if (Number.isNaN(mt)) return "bad migratetype=";
      this.batch.mt[i] = mt;
    }
    return null;
  }

  gfp(s: Uint8Array, key: number, i: number): string | null {
    if (this.stamp[key] !== this.gen) return "missing gfp_flags=";
    const g = this.gfps.get(s, this.vs[key]!, this.ve[key]!, this.batch.kind[i]!);
    if (g < 0) return "unknown gfp flag name";
    this.batch.gfp[i] = g;
    return null;
  }

  /** `page=(null)` / `page=0000000000000000`: a failed allocation. */
  nullPage(s: Uint8Array): boolean {
    const at = this.at(K.page);
    if (at < 0) return false;
    const end = this.ve[K.page]!;
    if (at < end && s[at] === LPAREN) return true; // (null) / (nil)
    for (let k = at + 1 < end && s[at + 1] === LOWER_X ? at + 2 : at; k < end; k++) {
      if (s[k] !== ZERO) return false;
    }
    return true;
  }
}

/** `s[from, end)` is all `f`: (unsigned long)-1 printed in hex. */
function allF(s: Uint8Array, from: number, end: number): boolean {
  for (let k = from; k < end; k++) if (s[k] !== LOWER_F) return false;
  return true;
}

/** The canonical call site text: `func+0xoff` (size dropped), `0xaddr` (≤ v5.3), ` [mod]` kept. */
export function canonicalCallSite(s: string): string {
  let end = s.indexOf(" ");
  if (end < 0) end = s.length;
  let slash = -1;
  let symbolic = false;
  for (let k = 0; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c === PLUS) symbolic = true;
    else if (c === SLASH && slash < 0) slash = k;
  }
  // `func+0x141/0x2a0` (tracefs) and `func+0x141` (trace-cmd, perf) must be the same site.
  let site = s.slice(0, slash > 0 ? slash : end);
  if (!symbolic && site.length > 0 && !site.startsWith("0x") && /^[0-9a-f]+$/.test(site)) {
    site = `0x${site}`; // ≤ v5.3: `call_site=%lx`
  }
  if (end < s.length) site += s.slice(end); // ` [module]`
  return site;
}

/** Zone index of a zone name (or a number printed instead). */
export function zoneIndexOf(name: string): number {
  const idx = ZONE_NAMES.indexOf(name as typeof ZONE_NAMES[number]);
  if (idx >= 0) return idx;
  const n = Number(name);
  return Number.isInteger(n) ? n : -1;
}

export function setPtrHex(b: EventBatch, i: number, s: Uint8Array, at: number, end: number): void {
  let k = at;
  if (end - k >= 2 && s[k] === ZERO && s[k + 1] === LOWER_X) k += 2;
  const split = end - 8;
  let hi = 0, lo = 0;
  for (let j = k; j < end; j++) {
    const d = HEX[s[j]!]!;
    if (d < 0) break;
    if (j < split) hi = hi * 16 + d;
    else lo = lo * 16 + d;
  }
  b.ptrHi[i] = hi >>> 0;
  b.ptrLo[i] = lo >>> 0;
}

export function setPtrDec(b: EventBatch, i: number, s: Uint8Array, at: number, end: number): void {
  const v = BigInt(decode(s, at, end));
  b.ptrHi[i] = Number((v >> 32n) & 0xffff_ffffn);
  b.ptrLo[i] = Number(v & 0xffff_ffffn);
}

/** `v`, or -1 (absent) when it is NaN. */
export function orAbsent(v: number): number {
  return Number.isNaN(v) ? -1 : v;
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
