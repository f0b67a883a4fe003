/**
 * Reads trace-cmd `trace.dat` files (versions 6 and 7; little- and big-endian; 4- and 8-byte
 * longs; v7 sections and CPU data compressed with zstd or zlib) into the same
 * {@linkcode EventBatch}es the text importer produces.
 *
 * Every field is decoded by the offset, size and signedness the file's own event `format` files
 * declare. Per-CPU ring-buffer pages are merged in timestamp order (ties: lower CPU first, like
 * `trace-cmd report`). Values the kernel computes only when printing are computed from the print
 * fmt stored in the file (e.g. `accounted` of kmalloc, `pageblock_order` of
 * mm_page_alloc_extfrag), so rows match what `trace-cmd report` shows.
 *
 * Column conventions beyond the EventBatch doc:
 * - `source` = file offset of the record's event header when the CPU data is stored
 *   uncompressed; for compressed data (v7) the file offset of the compressed chunk holding it.
 * - `callSite` = `function+0xoff` from the file's kallsyms (trace-cmd's rule: the nearest
 *   symbol at or below the address, absolute symbols ignored), else `0x<hex>`.
 * - `comm` = saved cmdline of the pid, `<idle>` for pid 0, `<...>` when unknown.
 * - slab alloc `accounted`: the record's `accounted` field when the format has one (newer
 *   kmem_cache_alloc: includes SLAB_ACCOUNT caches); else the print fmt's expression (kmalloc:
 *   memcg built in and __GFP_ACCOUNT in gfp); kernels that print no `accounted=` leave it unset.
 * - `lost_events` rows come from the page missed-events flag (a = count, -1 unknown), and also
 *   stand in for pages or chunks skipped as corrupt (a = -1).
 *
 * @module
 */

import { decompress as zstdDecompress } from "fzstd";
import * as zlib from "node:zlib";
import { ZONE_NAMES } from "../../kernel/constants.ts";
import { DiagnosticLog, InputError, TraceSyntaxError } from "../diagnostics.ts";
import { DEFAULT_BATCH_ROWS, EventBatch, EventFlag } from "../event_batch.ts";
import { Ev, EVENT_KIND_COUNT, EVENT_NAMES, eventCode } from "../event_kind.ts";
import { type ChunkCodec, CpuCursor, CursorItem, type PageLayout } from "./ring_buffer_page.ts";
import type { StringTable } from "../string_table.ts";
import {
  type CompiledExpr,
  compileExpr,
  DEFAULT_HEADER_EVENT,
  type EventFormat,
  type FieldGetter,
  FieldLoc,
  type FormatField,
  type HeaderEventLayout,
  parseEventFormat,
  parseFields,
  parseHeaderEvent,
  printArgFor,
  printSymbolic,
  splitPrintFmt,
} from "./tracedat_format.ts";

/** The 10-byte magic every trace.dat starts with. */
const MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67]; // \x17\x08D"tracing"

/** trace-cmd option ids (lib/trace-cmd/include/trace-cmd-local.h, enum tracecmd_option_id). */
const Opt = {
  DONE: 0,
  CPUSTAT: 2,
  BUFFER: 3,
  TRACECLOCK: 4,
  UNAME: 5,
  OFFSET: 7,
  CPUCOUNT: 8,
  VERSION: 9,
  TSC2NSEC: 14,
  HEADER_INFO: 16,
  FTRACE_EVENTS: 17,
  EVENT_FORMATS: 18,
  KALLSYMS: 19,
  PRINTK: 20,
  CMDLINES: 21,
  BUFFER_TEXT: 22,
} as const;
/** v7 section flag: content is compressed. */
const SECTION_COMPRESSED = 1;
/** v7 section id of per-instance CPU data. */
const SECTION_BUFFER = 3;
/** Guards against option-section cycles in corrupt files. */
const MAX_OPTION_SECTIONS = 1024;
/** Largest decompressed metadata section accepted (kallsyms of big kernels are ~10 MB). */
const MAX_SECTION_BYTES = 512 * 1024 * 1024;
const TWO_POW_32 = 4294967296;

/** node:zlib's zstd decoder where the runtime has it (Node ≥ 22.15, Deno 2.x). */
const nativeZstd = (zlib as unknown as {
  zstdDecompressSync?: (src: Uint8Array, opts: { maxOutputLength: number }) => Uint8Array;
}).zstdDecompressSync;

/**
 * True when `bytes` starts with the trace.dat magic (`\x17\x08\x44tracing`).
 *
 * @example
 * ```ts
 * import { isTraceDat } from "./tracedat_reader.ts";
 * isTraceDat(new TextEncoder().encode("\x17\x08Dtracing6\0")); // true
 * ```
 */
export function isTraceDat(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return false;
  return true;
}

/** One ftrace instance (buffer) stored in the file. */
export interface TraceDatBuffer {
  /** Instance name; "" is the top-level buffer. */
  name: string;
  /** Trace clock of the instance ("" when the file does not say). */
  clock: string;
  /** Ring-buffer page size in bytes. */
  pageSize: number;
  /** Per-CPU data: cpu number, file offset, size in bytes (compressed size for v7 chunks). */
  cpus: Array<{ cpu: number; offset: number; size: number }>;
  /** CPU data is a sequence of compressed chunks. */
  compressed: boolean;
}

/** File-level facts. */
export interface TraceDatMeta {
  /** File format version (6 or 7). */
  version: number;
  littleEndian: boolean;
  /** "long" size of the recording user space (file header). */
  longSize: number;
  /** Kernel long size (size of the page header `commit` field). */
  kernelLongSize: number;
  /** Host page size in bytes. */
  pageSize: number;
  /** Compression algorithm and version ("none" when not compressed). */
  compression: string;
  compressionVersion: string;
  /** CPUs of the traced machine (CPUCOUNT option, or the v6 header). */
  cpus: number;
  uname: string;
  traceClock: string;
  traceCmdVersion: string;
  /** Nanoseconds added to every timestamp (OFFSET option). */
  tsOffsetNs: number;
  /** Ring-buffer record header layout (`header_event`). */
  headerEvent: HeaderEventLayout;
}

/** Counters of one read. */
export interface TraceDatStats {
  records: { total: number; parsed: number; unknown: number; malformed: number };
  lost: { markers: number; events: number; unknownCounts: number };
  /** Rows per event code ({@linkcode Ev}). */
  byKind: number[];
  /** Records of events not in EVENT_NAMES, by event name. */
  unknownByName: Map<string, number>;
  /** Ring-buffer pages (or compressed chunks) skipped as corrupt. */
  pagesSkipped: number;
  diagnostics: DiagnosticLog;
}

/** Options of {@linkcode TraceDatReader}. */
export interface TraceDatOptions {
  /** Instance to read ("" = top). Default: the first buffer holding known (kmem …) events. */
  buffer?: string;
  /** File name for messages. */
  file?: string;
  /** Throw a TraceSyntaxError on the first data problem instead of recording diagnostics. */
  strict?: boolean;
  /** Use the pure-JS zstd decoder (fzstd) even when node:zlib has zstd (tests both paths). */
  pureZstd?: boolean;
}

/** A bounds-checked reader over a byte range; errors name the file offset and what was expected. */
class Bin {
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

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** A format whose fields are parsed on first use (a file holds ~2000 formats, we need ~40). */
interface LazyFormat {
  name: string;
  system: string;
  id: number;
  text: string;
  parsed?: EventFormat;
}

function scanFormat(text: string, system: string): LazyFormat | null {
  const name = /^name:\s*(\S+)/m.exec(text)?.[1];
  const id = /^ID:\s*(\d+)/m.exec(text)?.[1];
  if (name === undefined || id === undefined) return null;
  return { name, system, id: Number(id), text };
}

function fullFormat(f: LazyFormat): EventFormat {
  f.parsed ??= parseEventFormat(f.text, f.system) ??
    { name: f.name, system: f.system, id: f.id, fields: [], printFmt: "" };
  return f.parsed;
}

/** Sorted kernel symbols; names decoded on demand. */
class Kallsyms {
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

// ---- Decoding plans ---------------------------------------------------------------------------

/** Column an op writes. */
const Col = {
  PFN: 0,
  ORDER: 1,
  MT: 2,
  GFP: 3,
  PTR: 4,
  BYTES_REQ: 5,
  BYTES_ALLOC: 6,
  CALL_SITE: 7,
  NAME: 8,
  NODE: 9,
  ZONE: 10,
  A: 11,
  B: 12,
  C: 13,
  D: 14,
  /** Sets `flag` when the value is non-zero. */
  FLAG: 15,
  /** bytesReq = value - ptr (purge_vmap_area_lazy end). */
  LEN_FROM_PTR: 16,
} as const;

/** How an op turns field bytes into the stored value. */
const Conv = {
  NUM: 0,
  /** Unsigned long where all-ones means "none" (failed mm_page_alloc pfn): -1 and FAILED. */
  PFN: 1,
  /** Pointer split into ptrHi/ptrLo. */
  PTR: 2,
  /** Kernel text address → interned `function+0xoff`. */
  SYM: 3,
  /** String field → interned string. */
  STR: 4,
  /** Value → string via a `__print_symbolic` table, interned. */
  SYMBOLIC_STR: 5,
  /** Value → zone index via a table (symbolic names or identity). */
  ZONE_NUM: 6,
  /** String field holding a zone name → ZONE_NAMES index. */
  ZONE_STR: 7,
  /** Compiled print-fmt expression. */
  EXPR: 8,
  /** Constant. */
  CONST: 9,
} as const;

interface Op {
  col: number;
  conv: number;
  field: FormatField | null;
  flag: number;
  /** ZONE_NUM table, SYMBOLIC_STR table (value → string id). */
  table: Map<number, number> | null;
  expr: CompiledExpr | null;
  value: number;
}

interface Plan {
  code: number;
  ops: Op[];
}

/** Reads a scalar field of up to 8 bytes as a number (exact below 2^53). */
function readNum(view: DataView, at: number, size: number, signed: boolean, le: boolean): number {
  switch (size) {
    case 1:
      return signed ? view.getInt8(at) : view.getUint8(at);
    case 2:
      return signed ? view.getInt16(at, le) : view.getUint16(at, le);
    case 4:
      return signed ? view.getInt32(at, le) : view.getUint32(at, le);
    case 8: {
      const lo = view.getUint32(le ? at : at + 4, le);
      const hi = le ? view.getUint32(at + 4, true) : view.getUint32(at, false);
      return signed ? (hi | 0) * TWO_POW_32 + lo : hi * TWO_POW_32 + lo;
    }
    default:
      return 0;
  }
}

// ---- The reader -------------------------------------------------------------------------------

/**
 * A trace.dat file, parsed up to its event data; {@linkcode batches} decodes the records.
 *
 * @example
 * ```ts
 * import { TraceDatReader } from "./tracedat_reader.ts";
 * import { StringTable } from "../string_table.ts";
 * const bytes = Deno.readFileSync("traces/small-6.18.dat");
 * const r = new TraceDatReader(bytes, { file: "small-6.18.dat" });
 * r.buffers; // ["", "krtest"]
 * let rows = 0;
 * for (const b of r.batches(new StringTable())) rows += b.length;
 * rows === r.stats.records.parsed + r.stats.lost.markers; // true
 * ```
 */
export class TraceDatReader {
  readonly meta: TraceDatMeta;
  readonly stats: TraceDatStats;
  /** Every buffer (instance) in the file, top first. */
  readonly bufferInfo: TraceDatBuffer[] = [];
  /** The buffer {@linkcode batches} reads. */
  readonly selected: TraceDatBuffer;

  readonly #bytes: Uint8Array;
  readonly #file: string;
  readonly #le: boolean;
  #layout!: PageLayout;
  readonly #formats = new Map<number, LazyFormat>();
  #kallsymsBytes: Uint8Array | null = null;
  #kallsyms: Kallsyms | null = null;
  readonly #cmdlines = new Map<number, string>();
  #codec: ChunkCodec | undefined;

  constructor(bytes: Uint8Array, opts: TraceDatOptions = {}) {
    this.#bytes = bytes;
    this.#file = opts.file ?? "<trace.dat>";
    const diagnostics = new DiagnosticLog(5, opts.strict ?? false, this.#file);
    this.stats = {
      records: { total: 0, parsed: 0, unknown: 0, malformed: 0 },
      lost: { markers: 0, events: 0, unknownCounts: 0 },
      byKind: new Array<number>(EVENT_KIND_COUNT).fill(0),
      unknownByName: new Map(),
      pagesSkipped: 0,
      diagnostics,
    };
    if (!isTraceDat(bytes)) {
      throw new TraceSyntaxError(
        "not a trace.dat file: expected the magic bytes \\x17\\x08\\x44tracing",
        { file: this.#file, line: 0, offset: true, code: "tracedat-magic" },
      );
    }
    const head = new Bin(bytes, true, this.#file, 0);
    head.pos = MAGIC.length;
    const versionText = head.cstr("file version string", 8);
    const version = Number(versionText);
    if (!Number.isInteger(version) || version < 6 || version > 7) {
      head.fail(`file version 6 or 7, got "${versionText}"`, MAGIC.length);
    }
    const endian = head.u8("endianness byte");
    if (endian > 1) head.fail(`endianness 0 or 1, got ${endian}`, head.pos - 1);
    this.#le = endian === 0;
    const longSize = head.u8("long size byte");
    if (longSize !== 4 && longSize !== 8) {
      head.fail(`long size 4 or 8, got ${longSize}`, head.pos - 1);
    }
    const bin = new Bin(bytes, this.#le, this.#file, 0);
    bin.pos = head.pos;
    const pageSize = bin.u32("host page size");
    if (pageSize < 64 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0) {
      bin.fail(`a power-of-two page size, got ${pageSize}`, bin.pos - 4);
    }
    this.meta = {
      version,
      littleEndian: this.#le,
      longSize,
      kernelLongSize: longSize,
      pageSize,
      compression: "none",
      compressionVersion: "",
      cpus: 0,
      uname: "",
      traceClock: "",
      traceCmdVersion: "",
      tsOffsetNs: 0,
      headerEvent: DEFAULT_HEADER_EVENT,
    };
    if (version >= 7) this.#readV7(bin, opts);
    else this.#readV6(bin);
    if (this.bufferInfo.length === 0) bin.fail("at least one trace buffer (flyrecord data)", 0);
    this.selected = this.#selectBuffer(opts.buffer);
  }

  /** Names of the buffers (instances) in the file; "" is the top-level buffer. */
  get buffers(): string[] {
    return this.bufferInfo.map((b) => b.name);
  }

  /** The event format with this name, if the file has it. */
  eventFormat(name: string): EventFormat | undefined {
    for (const f of this.#formats.values()) if (f.name === name) return fullFormat(f);
    return undefined;
  }

  // ---- metadata ----

  #readHeaders(b: Bin): void {
    if (b.cstr('"header_page" label', 16) !== "header_page") b.fail('"header_page"', b.pos - 12);
    const pageText = b.text(b.u64("header_page size"), "header_page format");
    if (b.cstr('"header_event" label', 16) !== "header_event") b.fail('"header_event"', b.pos - 13);
    const eventText = b.text(b.u64("header_event size"), "header_event format");
    const fields = parseFields(pageText);
    const get = (n: string) => fields.find((f) => f.name === n);
    const ts = get("timestamp");
    const commit = get("commit");
    const data = get("data");
    if (!ts || !commit || !data) b.fail("header_page fields timestamp, commit and data");
    this.meta.kernelLongSize = commit.size;
    this.meta.headerEvent = parseHeaderEvent(eventText);
    this.#layout = {
      pageSize: data.offset + data.size,
      tsOffset: ts.offset,
      commitOffset: commit.offset,
      commitSize: commit.size,
      dataOffset: data.offset,
      le: this.#le,
      header: this.meta.headerEvent,
    };
  }

  #readFtraceFormats(b: Bin): void {
    const n = b.u32("ftrace format count");
    for (let i = 0; i < n; i++) {
      this.#addFormat(b.text(b.u64("format size"), "format file"), "ftrace");
    }
  }

  #readEventFormats(b: Bin): void {
    const systems = b.u32("event system count");
    for (let s = 0; s < systems; s++) {
      const system = b.cstr("event system name");
      const n = b.u32("event count");
      for (let i = 0; i < n; i++) {
        this.#addFormat(b.text(b.u64("format size"), "format file"), system);
      }
    }
  }

  #addFormat(text: string, system: string): void {
    const f = scanFormat(text, system);
    if (f) this.#formats.set(f.id, f);
  }

  #readKallsyms(b: Bin): void {
    const n = b.u32("kallsyms size");
    b.need(n, "kallsyms text");
    this.#kallsymsBytes = b.bytes.subarray(b.pos, b.pos + n);
    b.pos += n;
  }

  #readPrintk(b: Bin): void {
    const n = b.u32("printk formats size");
    b.need(n, "printk formats");
    b.pos += n;
  }

  #readCmdlines(b: Bin): void {
    const text = b.text(b.u64("saved cmdlines size"), "saved cmdlines");
    for (const line of text.split("\n")) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (m) this.#cmdlines.set(Number(m[1]), m[2]!);
    }
  }

  #readV6(b: Bin): void {
    this.#readHeaders(b);
    this.#readFtraceFormats(b);
    this.#readEventFormats(b);
    this.#readKallsyms(b);
    this.#readPrintk(b);
    this.#readCmdlines(b);
    const cpus = b.u32("CPU count");
    if (cpus > 65536) b.fail(`a CPU count up to 65536, got ${cpus}`, b.pos - 4);
    this.meta.cpus = cpus;
    const instances: Array<{ name: string; offset: number }> = [];
    for (;;) {
      b.need(10, 'a section label ("options  ", "latency  " or "flyrecord")');
      const label = latin1(b.bytes, b.pos, b.pos + 9);
      b.pos += 10;
      if (label === "options  ") {
        for (;;) {
          const id = b.u16("option id");
          if (id === Opt.DONE) break;
          const size = b.u32("option size");
          b.need(size, "option data");
          const data = new Bin(b.bytes.subarray(b.pos, b.pos + size), this.#le, this.#file, b.pos);
          b.pos += size;
          if (id === Opt.BUFFER) {
            const offset = data.offset("buffer data offset", b.bytes.length);
            instances.push({ name: data.cstr("buffer name"), offset });
          } else this.#commonOption(id, data);
        }
      } else if (label === "latency  ") {
        this.stats.diagnostics.add("latency-trace", b.pos, "latency (text) trace data is not read");
        return;
      } else if (label === "flyrecord") {
        this.bufferInfo.push(this.#v6Flyrecord(b, "", cpus));
        break;
      } else b.fail('"options  ", "latency  " or "flyrecord" label', b.pos - 10);
    }
    for (const inst of instances) {
      const ib = new Bin(b.bytes, this.#le, this.#file, 0);
      ib.pos = inst.offset;
      ib.need(10, '"flyrecord" label of buffer ' + inst.name);
      if (latin1(ib.bytes, ib.pos, ib.pos + 9) !== "flyrecord") ib.fail('"flyrecord" label');
      ib.pos += 10;
      this.bufferInfo.push(this.#v6Flyrecord(ib, inst.name, cpus));
    }
  }

  #v6Flyrecord(b: Bin, name: string, cpus: number): TraceDatBuffer {
    const buf: TraceDatBuffer = {
      name,
      clock: this.meta.traceClock,
      pageSize: this.#layout.pageSize,
      cpus: [],
      compressed: false,
    };
    for (let cpu = 0; cpu < cpus; cpu++) {
      const offset = b.offset(`CPU ${cpu} data offset`, b.bytes.length);
      const size = b.u64(`CPU ${cpu} data size`);
      buf.cpus.push({ cpu, offset, size });
    }
    return buf;
  }

  #commonOption(id: number, d: Bin): void {
    const str = () =>
      latin1(d.bytes, 0, Math.max(0, d.bytes.indexOf(0) < 0 ? d.bytes.length : d.bytes.indexOf(0)))
        .trim();
    switch (id) {
      case Opt.TRACECLOCK: {
        const m = /\[(\S+)\]/.exec(str());
        this.meta.traceClock = m ? m[1]! : str();
        break;
      }
      case Opt.UNAME:
        this.meta.uname = str();
        break;
      case Opt.VERSION:
        this.meta.traceCmdVersion = str();
        break;
      case Opt.CPUCOUNT:
        this.meta.cpus = d.u32("CPU count");
        break;
      case Opt.OFFSET: {
        const v = Number(str());
        if (Number.isFinite(v)) this.meta.tsOffsetNs += v;
        break;
      }
      case Opt.TSC2NSEC:
        this.stats.diagnostics.add(
          "tsc2nsec",
          d.base,
          "TSC2NSEC option present: timestamps are raw TSC counts, not converted to ns",
        );
        break;
    }
  }

  #section(offset: number, expectId: number, what: string): Bin {
    const b = new Bin(this.#bytes, this.#le, this.#file, 0);
    b.pos = offset;
    const id = b.u16(`${what} section id`);
    if (id !== expectId) b.fail(`section id ${expectId} (${what}), got ${id}`, offset);
    const flags = b.u16(`${what} section flags`);
    b.u32(`${what} section description`);
    const size = b.u64(`${what} section size`);
    b.need(size, `${what} section data`);
    const start = b.pos;
    if ((flags & SECTION_COMPRESSED) === 0) {
      return new Bin(this.#bytes.subarray(start, start + size), this.#le, this.#file, start);
    }
    const csize = b.u32(`${what} compressed size`);
    const usize = b.u32(`${what} uncompressed size`);
    if (csize + 8 > size || usize > MAX_SECTION_BYTES) {
      b.fail(
        `compressed ${what} sizes within the section (${size} bytes), got ${csize} → ${usize}`,
        start,
      );
    }
    const out = new Uint8Array(usize);
    try {
      this.#decompress(this.#bytes.subarray(b.pos, b.pos + csize), out);
    } catch (e) {
      b.fail(
        `a valid ${this.meta.compression} block in the ${what} section (${(e as Error).message})`,
        start,
      );
    }
    return new Bin(out, this.#le, this.#file, -1, `${what} section at byte offset ${offset}`);
  }

  #decompress(src: Uint8Array, dst: Uint8Array): Uint8Array {
    if (!this.#codec) throw new Error(`unsupported compression "${this.meta.compression}"`);
    return this.#codec(src, dst);
  }

  #readV7(b: Bin, opts: TraceDatOptions): void {
    this.meta.compression = b.cstr("compression name", 64);
    this.meta.compressionVersion = b.cstr("compression version", 64);
    const comp = this.meta.compression;
    if (comp === "zstd" && typeof nativeZstd === "function" && !opts.pureZstd) {
      // node:zlib's zstd (libzstd) is ~10x faster than the pure-JS decoder.
      this.#codec = (src, dst) => {
        const out = nativeZstd(src, { maxOutputLength: dst.length });
        if (out.length !== dst.length) {
          throw new Error(`zstd gave ${out.length} bytes, ${dst.length} declared`);
        }
        dst.set(out);
        return dst;
      };
    } else if (comp === "zstd") {
      this.#codec = (src, dst) => {
        const out = zstdDecompress(src, dst);
        if (out !== dst) throw new Error("zstd frame size differs from the declared size");
        return dst;
      };
    } else if (comp === "zlib") {
      this.#codec = (src, dst) => {
        const out = zlib.inflateSync(src, { maxOutputLength: dst.length });
        if (out.length !== dst.length) {
          throw new Error(`zlib gave ${out.length} bytes, ${dst.length} declared`);
        }
        dst.set(out);
        return dst;
      };
    } else if (comp !== "none") {
      this.stats.diagnostics.add("compression", b.pos, `unknown compression "${comp}"`);
    }
    let next = b.offset("first options section offset", this.#bytes.length);
    const seen = new Set<number>();
    const sections: Record<number, number> = {};
    const instances: Array<
      {
        offset: number;
        name: string;
        clock: string;
        pageSize: number;
        cpus: TraceDatBuffer["cpus"];
      }
    > = [];
    while (next !== 0) {
      if (seen.has(next) || seen.size > MAX_OPTION_SECTIONS) {
        b.fail("option sections without a cycle", next);
      }
      seen.add(next);
      const s = this.#section(next, 0, "options");
      next = 0;
      while (s.pos < s.bytes.length) {
        const id = s.u16("option id");
        const size = s.u32("option size");
        s.need(size, "option data");
        const d = new Bin(
          s.bytes.subarray(s.pos, s.pos + size),
          this.#le,
          this.#file,
          s.base >= 0 ? s.base + s.pos : -1,
          s.where,
        );
        s.pos += size;
        if (id === Opt.DONE) {
          next = d.offset("next options section offset", this.#bytes.length);
          break;
        }
        if (id >= Opt.HEADER_INFO && id <= Opt.CMDLINES) {
          sections[id] = d.offset("section offset", this.#bytes.length);
        } else if (id === Opt.BUFFER) {
          const offset = d.offset("buffer section offset", this.#bytes.length);
          const name = d.cstr("buffer name");
          const clock = d.cstr("buffer clock");
          const pageSize = d.u32("buffer page size");
          const n = d.u32("buffer CPU count");
          if (n > 65536) d.fail(`a CPU count up to 65536, got ${n}`, d.pos - 4);
          const cpus: TraceDatBuffer["cpus"] = [];
          for (let i = 0; i < n; i++) {
            const cpu = d.u32("CPU id");
            const off = d.offset(`CPU ${cpu} data offset`, this.#bytes.length);
            const size = d.u64(`CPU ${cpu} data size`);
            cpus.push({ cpu, offset: off, size });
          }
          instances.push({ offset, name, clock, pageSize, cpus });
        } else if (id !== Opt.BUFFER_TEXT) this.#commonOption(id, d);
      }
    }
    const need = (id: number, what: string): Bin => {
      const off = sections[id];
      if (off === undefined) b.fail(`a ${what} section (option ${id})`, 0);
      return this.#section(off, id, what);
    };
    this.#readHeaders(need(Opt.HEADER_INFO, "headers"));
    if (sections[Opt.FTRACE_EVENTS] !== undefined) {
      this.#readFtraceFormats(need(Opt.FTRACE_EVENTS, "ftrace events"));
    }
    this.#readEventFormats(need(Opt.EVENT_FORMATS, "event formats"));
    if (sections[Opt.KALLSYMS] !== undefined) this.#readKallsyms(need(Opt.KALLSYMS, "kallsyms"));
    if (sections[Opt.CMDLINES] !== undefined) this.#readCmdlines(need(Opt.CMDLINES, "cmdlines"));
    for (const inst of instances) {
      const h = new Bin(this.#bytes, this.#le, this.#file, 0);
      h.pos = inst.offset;
      const id = h.u16("buffer section id");
      if (id !== SECTION_BUFFER) {
        h.fail(`buffer section id ${SECTION_BUFFER}, got ${id}`, inst.offset);
      }
      const flags = h.u16("buffer section flags");
      const compressed = (flags & SECTION_COMPRESSED) !== 0;
      if (compressed && !this.#codec) {
        h.fail(
          `a supported compression for buffer "${inst.name}", got "${this.meta.compression}"`,
          inst.offset,
        );
      }
      this.bufferInfo.push({
        name: inst.name,
        clock: inst.clock,
        pageSize: inst.pageSize,
        cpus: inst.cpus,
        compressed,
      });
    }
  }

  #cursor(buf: TraceDatBuffer, c: TraceDatBuffer["cpus"][number]): CpuCursor {
    const layout = buf.pageSize === this.#layout.pageSize
      ? this.#layout
      : { ...this.#layout, pageSize: buf.pageSize };
    return new CpuCursor(c.cpu, layout, {
      file: this.#bytes,
      offset: c.offset,
      size: c.size,
      codec: buf.compressed ? this.#codec : undefined,
    }, this.stats.diagnostics);
  }

  #selectBuffer(name: string | undefined): TraceDatBuffer {
    if (name !== undefined) {
      const b = this.bufferInfo.find((x) => x.name === name);
      if (!b) {
        throw new InputError(
          `${this.#file}: no buffer "${name}"; the file has ${
            this.buffers.map((n) => JSON.stringify(n)).join(", ")
          }`,
        );
      }
      return b;
    }
    // The first buffer whose first records include a known event; else the biggest one.
    const quiet = new DiagnosticLog(0, false, this.#file);
    for (const buf of this.bufferInfo) {
      for (const c of buf.cpus) {
        if (c.size === 0) continue;
        const cur = new CpuCursor(c.cpu, { ...this.#layout, pageSize: buf.pageSize }, {
          file: this.#bytes,
          offset: c.offset,
          size: c.size,
          codec: buf.compressed ? this.#codec : undefined,
        }, quiet);
        for (let k = 0; k < 256; k++) {
          const item = cur.next();
          if (item === CursorItem.END) break;
          if (item !== CursorItem.RECORD || cur.length < 2) continue;
          const f = this.#formats.get(cur.view.getUint16(cur.data, this.#le));
          if (f && eventCode(f.name) >= 0) return buf;
        }
      }
    }
    let best = this.bufferInfo[0]!;
    const bytes = (b: TraceDatBuffer) => b.cpus.reduce((s, c) => s + c.size, 0);
    for (const b of this.bufferInfo) if (bytes(b) > bytes(best)) best = b;
    return best;
  }

  // ---- decoding ----

  #plans(
    strings: StringTable,
  ): { plans: Array<Plan | undefined>; typeField: FormatField; pidField: FormatField } {
    const plans: Array<Plan | undefined> = [];
    let typeField: FormatField = {
      name: "common_type",
      type: "unsigned short",
      offset: 0,
      size: 2,
      signed: false,
      loc: 0,
      isArray: false,
    };
    let pidField: FormatField = {
      name: "common_pid",
      type: "int",
      offset: 4,
      size: 4,
      signed: true,
      loc: 0,
      isArray: false,
    };
    let commonSet = false;
    for (const lf of this.#formats.values()) {
      const code = eventCode(lf.name);
      if (code < 0 || code === Ev.lost_events) continue;
      const fmt = fullFormat(lf);
      if (!commonSet) {
        typeField = fmt.fields.find((f) => f.name === "common_type") ?? typeField;
        pidField = fmt.fields.find((f) => f.name === "common_pid") ?? pidField;
        commonSet = true;
      }
      plans[lf.id] = { code, ops: buildOps(code, fmt, strings, this.#le) };
    }
    return { plans, typeField, pidField };
  }

  #symCache = new Map<number, number>();
  #symStrings: StringTable | null = null;

  #symbol(strings: StringTable, h: number, l: number): number {
    const key = (h & 0xffff) * TWO_POW_32 + l;
    let id = this.#symCache.get(key);
    if (id !== undefined) return id;
    if (!this.#kallsyms && this.#kallsymsBytes) this.#kallsyms = new Kallsyms(this.#kallsymsBytes);
    const s = this.#kallsyms?.symbolize(h, l) ??
      `0x${h ? h.toString(16) + hex8(l) : l.toString(16)}`;
    id = strings.intern(s);
    this.#symCache.set(key, id);
    return id;
  }

  /**
   * Decodes the selected buffer into batches of at most `rows` rows, in timestamp order. The same
   * EventBatch object is yielded each time (cleared in between): copy what you keep. Strings
   * (comm, call sites, cache names) are interned into `strings`. Counters accumulate in
   * {@linkcode stats}.
   */
  *batches(strings: StringTable, rows: number = DEFAULT_BATCH_ROWS): Generator<EventBatch> {
    if (this.#symStrings !== strings) {
      this.#symCache.clear();
      this.#symStrings = strings;
    }
    const { plans, typeField, pidField } = this.#plans(strings);
    const le = this.#le;
    const st = this.stats;
    const diag = st.diagnostics;
    const byKind = st.byKind;
    const tsOffset = this.meta.tsOffsetNs;
    const commIds = new Map<number, number>();
    const commOf = (pid: number): number => {
      let id = commIds.get(pid);
      if (id === undefined) {
        id = strings.intern(pid === 0 ? "<idle>" : this.#cmdlines.get(pid) ?? "<...>");
        commIds.set(pid, id);
      }
      return id;
    };
    const strCache = new StrCache(strings);
    const cursors: CpuCursor[] = [];
    const items: number[] = [];
    for (const c of this.selected.cpus) {
      if (c.size === 0) continue;
      const cur = this.#cursor(this.selected, c);
      const it = cur.next();
      if (it !== CursorItem.END) {
        cursors.push(cur);
        items.push(it);
      }
    }
    const batch = new EventBatch(rows);
    const typeOff = typeField.offset;
    const typeSize = typeField.size;
    const pidOff = pidField.offset;
    const pidSize = pidField.size;
    const minLen = Math.max(typeOff + typeSize, pidOff + pidSize);
    while (cursors.length > 0) {
      // The CPU with the earliest item; ties go to the lower CPU (cursors are in CPU order).
      let k = 0;
      let bestTs = cursors[0]!.ts;
      for (let j = 1; j < cursors.length; j++) {
        const t = cursors[j]!.ts;
        if (t < bestTs) {
          bestTs = t;
          k = j;
        }
      }
      const cur = cursors[k]!;
      const item = items[k]!;
      if (batch.length >= rows) {
        yield batch;
        batch.clear();
      }
      if (item === CursorItem.LOST) {
        const i = batch.push(Ev.lost_events, cur.markerTs + tsOffset, cur.cpu);
        batch.source[i] = cur.source;
        batch.a[i] = cur.lostCount;
        st.lost.markers++;
        if (cur.lostCount < 0) st.lost.unknownCounts++;
        else st.lost.events += cur.lostCount;
        byKind[Ev.lost_events]!++;
      } else {
        st.records.total++;
        const view = cur.view;
        const base = cur.data;
        if (cur.length < minLen) {
          st.records.malformed++;
          diag.add(
            "short-record",
            cur.source,
            `record of ${cur.length} bytes is shorter than the common fields`,
          );
        } else {
          const id = readNum(view, base + typeOff, typeSize, false, le);
          const plan = plans[id];
          if (plan !== undefined) {
            const i = batch.push(plan.code, cur.ts + tsOffset, cur.cpu);
            const pid = readNum(view, base + pidOff, pidSize, true, le);
            batch.pid[i] = pid;
            batch.comm[i] = commOf(pid);
            batch.source[i] = cur.source;
            if (this.#applyOps(plan, batch, i, view, base, cur.length, strings, strCache)) {
              st.records.parsed++;
              byKind[plan.code]!++;
            } else {
              batch.length--;
              st.records.malformed++;
              diag.add(
                "bad-field",
                cur.source,
                `${EVENT_NAMES[plan.code]} record of ${cur.length} bytes: a field lies outside it`,
              );
            }
          } else {
            const f = this.#formats.get(id);
            if (f) {
              st.records.unknown++;
              st.unknownByName.set(f.name, (st.unknownByName.get(f.name) ?? 0) + 1);
            } else {
              st.records.malformed++;
              diag.add("unknown-event-id", cur.source, `event id ${id} has no format in the file`);
            }
          }
        }
      }
      const nextItem = cur.next();
      if (nextItem === CursorItem.END) {
        st.pagesSkipped += cur.pagesSkipped;
        cursors.splice(k, 1);
        items.splice(k, 1);
      } else items[k] = nextItem;
    }
    if (batch.length > 0) yield batch;
  }

  /** Fills the kind-specific columns of row `i`; false when a field lies outside the record. */
  #applyOps(
    plan: Plan,
    batch: EventBatch,
    i: number,
    view: DataView,
    base: number,
    len: number,
    strings: StringTable,
    strCache: StrCache,
  ): boolean {
    const le = this.#le;
    const ops = plan.ops;
    for (let k = 0; k < ops.length; k++) {
      const op = ops[k]!;
      const f = op.field;
      let v = 0;
      switch (op.conv) {
        case Conv.CONST:
          v = op.value;
          break;
        case Conv.EXPR:
          v = op.expr!(view, base);
          break;
        case Conv.STR:
        case Conv.ZONE_STR: {
          const id = readString(view, base, len, f!, le, strCache);
          if (id < 0) return false;
          if (op.conv === Conv.STR) v = id;
          else v = op.table!.get(id) ?? -1;
          break;
        }
        default: {
          if (f!.offset + f!.size > len) return false;
          const at = base + f!.offset;
          if (op.conv === Conv.PTR || op.conv === Conv.SYM) {
            let h = 0;
            let l: number;
            if (f!.size === 8) {
              l = view.getUint32(le ? at : at + 4, le);
              h = view.getUint32(le ? at + 4 : at, le);
            } else l = readNum(view, at, f!.size, false, le);
            if (op.conv === Conv.PTR) {
              batch.ptrHi[i] = h;
              batch.ptrLo[i] = l;
              continue;
            }
            v = this.#symbol(strings, h, l);
            break;
          }
          if (op.conv === Conv.PFN) {
            // All ones (-1UL) = no page.
            let ones = true;
            for (let b = 0; b < f!.size; b++) if (view.getUint8(at + b) !== 0xff) ones = false;
            if (ones) {
              batch.pfn[i] = -1;
              batch.flags[i]! |= EventFlag.FAILED;
              continue;
            }
          }
          v = readNum(view, at, f!.size, f!.signed, le);
          if (op.conv === Conv.SYMBOLIC_STR) v = op.table!.get(v) ?? strings.intern(String(v));
          else if (op.conv === Conv.ZONE_NUM) v = op.table!.get(v) ?? -1;
        }
      }
      switch (op.col) {
        case Col.PFN:
          batch.pfn[i] = v;
          break;
        case Col.ORDER:
          batch.order[i] = v;
          break;
        case Col.MT:
          batch.mt[i] = v;
          break;
        case Col.GFP:
          batch.gfp[i] = v >>> 0;
          break;
        case Col.BYTES_REQ:
          batch.bytesReq[i] = v;
          break;
        case Col.BYTES_ALLOC:
          batch.bytesAlloc[i] = v;
          break;
        case Col.CALL_SITE:
          batch.callSite[i] = v;
          break;
        case Col.NAME:
          batch.name[i] = v;
          break;
        case Col.NODE:
          batch.node[i] = v;
          break;
        case Col.ZONE:
          batch.zone[i] = v;
          break;
        case Col.A:
          batch.a[i] = v;
          break;
        case Col.B:
          batch.b[i] = v;
          break;
        case Col.C:
          batch.c[i] = v;
          break;
        case Col.D:
          batch.d[i] = v;
          break;
        case Col.FLAG:
          if (v !== 0) batch.flags[i]! |= op.flag;
          break;
        case Col.LEN_FROM_PTR:
          batch.bytesReq[i] = v - (batch.ptrHi[i]! * TWO_POW_32 + batch.ptrLo[i]!);
          break;
      }
    }
    return true;
  }
}

/** Interns string fields without building a JS string per record (hash of the bytes first). */
class StrCache {
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
function readString(
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

// ---- Plan construction: which field feeds which column, per event (see event_batch.ts) ----------

function buildOps(code: number, fmt: EventFormat, strings: StringTable, le: boolean): Op[] {
  const ops: Op[] = [];
  const field = (...names: string[]): FormatField | null => {
    for (const n of names) {
      const f = fmt.fields.find((x) => x.name === n);
      if (f) return f;
    }
    return null;
  };
  const add = (col: number, conv: number, f: FormatField | null, extra: Partial<Op> = {}): void => {
    if (!f && conv !== Conv.CONST && conv !== Conv.EXPR) return;
    ops.push({ col, conv, field: f, flag: 0, table: null, expr: null, value: 0, ...extra });
  };
  const num = (col: number, ...names: string[]) => add(col, Conv.NUM, field(...names));
  const flag = (bit: number, ...names: string[]) =>
    add(Col.FLAG, Conv.NUM, field(...names), { flag: bit });
  const getter = (name: string): FieldGetter | null => {
    const f = field(name);
    if (!f || f.loc !== FieldLoc.INLINE || f.size > 8) return null;
    return (view, base) => readNum(view, base + f.offset, f.size, f.signed, le);
  };
  /** A value printed as `label=` but not stored: evaluate the print fmt's argument. */
  const printed = (col: number, label: string, flagBit = 0): boolean => {
    const arg = printArgFor(fmt.printFmt, label);
    if (arg === null) return false;
    const cond = /^(.*)\?\s*"true"\s*:\s*"false"\s*$/s.exec(arg);
    const expr = compileExpr(cond ? cond[1]! : arg, getter);
    if (!expr) return false;
    add(col, Conv.EXPR, null, { expr, flag: flagBit });
    return true;
  };
  /** Literal `label=N` in the format string (mm_page_free_batched prints `order=0`). */
  const literal = (col: number, label: string): void => {
    const m = new RegExp(`(?:^|\\s)${label}=(-?\\d+)(?:\\s|$)`).exec(
      splitPrintFmt(fmt.printFmt).format,
    );
    if (m) add(col, Conv.CONST, null, { value: Number(m[1]) });
  };
  const symbolicStr = (col: number, name: string): void => {
    const f = field(name);
    if (!f) return;
    const table = new Map<number, number>();
    for (const [v, s] of printSymbolic(fmt.printFmt, name)) table.set(v, strings.intern(s));
    add(col, Conv.SYMBOLIC_STR, f, { table });
  };
  const zone = (col: number, ...names: string[]): void => {
    const f = field(...names);
    if (!f) return;
    // Printed only if the print fmt mentions the field (kswapd_wake stores zid but prints none).
    if (
      fmt.printFmt && !fmt.printFmt.includes(`REC->${f.name}`) &&
      !fmt.printFmt.includes(`(${f.name})`)
    ) return;
    const table = new Map<number, number>();
    if (f.loc !== FieldLoc.INLINE || f.isArray) {
      ZONE_NAMES.forEach((z, idx) => table.set(strings.intern(z), idx));
      add(col, Conv.ZONE_STR, f, { table });
      return;
    }
    const sym = printSymbolic(fmt.printFmt, f.name);
    if (sym.size > 0) {
      for (const [v, s] of sym) {
        const idx = (ZONE_NAMES as readonly string[]).indexOf(s.trim());
        if (idx >= 0) table.set(v, idx);
      }
    } else ZONE_NAMES.forEach((_, idx) => table.set(idx, idx));
    add(col, Conv.ZONE_NUM, f, { table });
  };
  const str = (col: number, name: string): void => add(col, Conv.STR, field(name));
  const pfn = () => add(Col.PFN, Conv.PFN, field("pfn"));
  const gfp = () => num(Col.GFP, "gfp_flags", "gfp_mask");
  const orderField = () => {
    if (field("order")) num(Col.ORDER, "order");
    else literal(Col.ORDER, "order");
  };

  switch (code) {
    case Ev.kmalloc:
    case Ev.kmalloc_node:
    case Ev.kmem_cache_alloc:
    case Ev.kmem_cache_alloc_node:
      add(Col.CALL_SITE, Conv.SYM, field("call_site"));
      add(Col.PTR, Conv.PTR, field("ptr"));
      str(Col.NAME, "name");
      num(Col.BYTES_REQ, "bytes_req");
      num(Col.BYTES_ALLOC, "bytes_alloc");
      gfp();
      num(Col.NODE, "node");
      if (field("accounted")) flag(EventFlag.ACCOUNTED, "accounted");
      else printed(Col.FLAG, "accounted", EventFlag.ACCOUNTED);
      break;
    case Ev.kfree:
    case Ev.kmem_cache_free:
      add(Col.CALL_SITE, Conv.SYM, field("call_site"));
      add(Col.PTR, Conv.PTR, field("ptr"));
      str(Col.NAME, "name");
      break;
    case Ev.mm_page_alloc:
      pfn();
      num(Col.ORDER, "order");
      num(Col.MT, "migratetype");
      gfp();
      break;
    case Ev.mm_page_alloc_zone_locked:
      pfn();
      num(Col.ORDER, "order");
      num(Col.MT, "migratetype");
      if (field("percpu_refill")) {
        num(Col.A, "percpu_refill");
        flag(EventFlag.PERCPU_REFILL, "percpu_refill");
      } else if (printed(Col.A, "percpu_refill")) {
        printed(Col.FLAG, "percpu_refill", EventFlag.PERCPU_REFILL);
      }
      break;
    case Ev.mm_page_free:
      pfn();
      orderField();
      break;
    case Ev.mm_page_free_batched:
      pfn();
      orderField();
      num(Col.A, "cold");
      break;
    case Ev.mm_page_pcpu_drain:
      pfn();
      orderField();
      num(Col.MT, "migratetype");
      break;
    case Ev.mm_page_alloc_extfrag:
      pfn();
      num(Col.ORDER, "alloc_order");
      num(Col.MT, "alloc_migratetype");
      num(Col.A, "fallback_order");
      if (field("pageblock_order")) num(Col.B, "pageblock_order");
      else printed(Col.B, "pageblock_order");
      num(Col.C, "fallback_migratetype");
      if (field("fragmenting")) flag(EventFlag.FRAGMENTING, "fragmenting");
      else printed(Col.FLAG, "fragmenting", EventFlag.FRAGMENTING);
      flag(EventFlag.CHANGE_OWNERSHIP, "change_ownership");
      break;
    case Ev.rss_stat:
      num(Col.A, "mm_id");
      num(Col.B, "member");
      num(Col.C, "size");
      flag(EventFlag.CURR, "curr");
      break;
    case Ev.mm_setup_per_zone_wmarks:
      num(Col.NODE, "node_id");
      zone(Col.ZONE, "name");
      num(Col.A, "watermark_min");
      num(Col.B, "watermark_low");
      num(Col.C, "watermark_high");
      num(Col.D, "watermark_promo");
      break;
    case Ev.mm_setup_per_zone_lowmem_reserve:
      num(Col.NODE, "node_id");
      zone(Col.ZONE, "name");
      zone(Col.A, "upper_name");
      num(Col.B, "lowmem_reserve");
      break;
    case Ev.mm_calculate_totalreserve_pages:
      num(Col.A, "totalreserve_pages");
      break;
    case Ev.alloc_vmap_area:
      add(Col.PTR, Conv.PTR, field("addr", "va_start"));
      num(Col.BYTES_REQ, "size");
      num(Col.BYTES_ALLOC, "align");
      flag(EventFlag.FAILED, "failed");
      break;
    case Ev.free_vmap_area_noflush:
      add(Col.PTR, Conv.PTR, field("va_start"));
      num(Col.A, "nr_lazy");
      num(Col.B, "nr_lazy_max");
      break;
    case Ev.purge_vmap_area_lazy:
      add(Col.PTR, Conv.PTR, field("start"));
      num(Col.LEN_FROM_PTR, "end");
      num(Col.A, "npurged", "num_purged");
      break;
    case Ev.mm_vmscan_kswapd_wake:
      num(Col.NODE, "nid");
      num(Col.ORDER, "order");
      zone(Col.ZONE, "zid");
      break;
    case Ev.mm_vmscan_kswapd_sleep:
      num(Col.NODE, "nid");
      break;
    case Ev.mm_vmscan_wakeup_kswapd:
      num(Col.NODE, "nid");
      num(Col.ORDER, "order");
      zone(Col.ZONE, "zid");
      gfp();
      break;
    case Ev.mm_vmscan_direct_reclaim_begin:
      num(Col.ORDER, "order");
      gfp();
      break;
    case Ev.mm_vmscan_direct_reclaim_end:
      num(Col.A, "nr_reclaimed");
      break;
    case Ev.mm_compaction_begin:
    case Ev.mm_compaction_end:
      num(Col.A, "zone_start");
      num(Col.B, "migrate_pfn", "migrate_start");
      num(Col.C, "free_pfn", "free_start");
      num(Col.D, "zone_end");
      flag(EventFlag.SYNC, "sync");
      if (code === Ev.mm_compaction_end) symbolicStr(Col.NAME, "status");
      break;
    case Ev.mm_compaction_suitable:
    case Ev.mm_compaction_finished:
      num(Col.NODE, "nid");
      zone(Col.ZONE, "idx", "name");
      num(Col.ORDER, "order");
      symbolicStr(Col.NAME, "ret");
      break;
    case Ev.mm_compaction_kcompactd_sleep:
    case Ev.mm_compaction_kcompactd_wake:
    case Ev.mm_compaction_wakeup_kcompactd:
      num(Col.NODE, "nid");
      num(Col.ORDER, "order");
      zone(Col.ZONE, "highest_zoneidx", "classzone_idx");
      break;
    case Ev.mm_compaction_try_to_compact_pages:
      num(Col.ORDER, "order");
      gfp();
      num(Col.A, "prio");
      break;
    case Ev.mm_compaction_isolate_migratepages:
    case Ev.mm_compaction_isolate_freepages:
    case Ev.mm_compaction_fast_isolate_freepages:
      num(Col.A, "start_pfn");
      num(Col.B, "end_pfn");
      num(Col.C, "nr_scanned");
      num(Col.D, "nr_taken");
      break;
    case Ev.mm_compaction_migratepages:
      num(Col.A, "nr_migrated");
      num(Col.B, "nr_failed");
      break;
    default:
      // Other compaction events: common columns only (event_batch.ts lists no others).
      break;
  }
  return ops;
}
