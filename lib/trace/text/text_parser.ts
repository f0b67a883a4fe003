/**
 * Parser for the three text forms of kmem traces:
 *
 * - `tracefs`: the tracefs `trace` file and `trace_pipe` (with or without the `#` header, with or
 *   without the TGID column, 4- or 5-character irq-flag columns or none, `CPU:N [LOST M EVENTS]`,
 *   `##### CPU N buffer started ####`),
 * - `trace-cmd`: `trace-cmd report` output (`cpus=N` / `version = 6` header, optional `instance:`
 *   prefix column, `(call_site+off)` decoration, `CPU:N [M EVENTS DROPPED]`),
 * - `perf-script`: `perf script` output (`comm pid [cpu] ts: kmem:event: fields`).
 *
 * The parser is push-based: {@linkcode TextTraceParser.feed} takes byte chunks of any size (split
 * anywhere, even inside a UTF-8 sequence), fills one reused {@linkcode EventBatch} and hands it to
 * the sink whenever it is full. It works on the bytes directly: lines are found with
 * `indexOf(0x0a)`, header and fields are scanned byte by byte, and repeated texts (comm, call
 * site, cache name, gfp flags) go through byte-keyed {@linkcode ByteInterner}s, so a JS string is
 * made only the first time a value is seen (and for lines reported in diagnostics). Every input line is counted as parsed, unknown, malformed or
 * comment, so `parsed + unknown + malformed + comment === total`.
 *
 * @module
 */

import { ZONE_NAMES } from "../../kernel/constants.ts";
import { GFP, parseGfp } from "../../kernel/gfp_flags.ts";
import { ByteInterner } from "../byte_interner.ts";
import { DiagnosticLog, TraceSyntaxError } from "../diagnostics.ts";
import { DEFAULT_BATCH_ROWS, EventBatch, EventFlag } from "../event_batch.ts";
import { Ev, EVENT_KIND_COUNT, EVENT_NAMES, eventCode } from "../event_kind.ts";
import { StringTable } from "../string_table.ts";

/** The text formats this parser reads. */
export type TextFormat = "tracefs" | "trace-cmd" | "perf-script";

/** Options of {@linkcode TextTraceParser}. */
export interface TextParserOptions {
  /** Force a format instead of detecting it from the first event lines. */
  format?: TextFormat;
  /** File name used in diagnostics and errors. */
  file?: string;
  /** Throw a {@linkcode TraceSyntaxError} at the first malformed line. */
  strict?: boolean;
  /** Shared string table (a new one by default). */
  strings?: StringTable;
  /** Rows per batch. */
  batchRows?: number;
}

/** Line counters; `parsed + unknown + malformed + comment === total`. */
export interface LineCounts {
  total: number;
  parsed: number;
  unknown: number;
  malformed: number;
  comment: number;
}

/** Kernel features recognised from the way events are printed. */
export interface TraceFeatures {
  /** `pfn=0x…` (≥ v5.14) rather than decimal. */
  pfnHex: boolean | null;
  /** `call_site=func+0x…` (≥ v5.4) rather than hex. */
  callSiteSymbolic: boolean | null;
  /** `%p` pointers hashed (tracefs text, ≥ v4.15 with hash-ptr on). */
  hashedPointers: boolean | null;
  /** `node=` on kmalloc / kmem_cache_alloc (≥ v6.1). */
  slabNode: boolean;
  /** `accounted=` on slab alloc events (≥ v6.0). */
  slabAccounted: boolean;
  /** `name=` on kmem_cache_alloc (≈ v6.18). */
  cacheAllocName: boolean;
  /** `name=` on kmem_cache_free (≥ v5.11). */
  cacheFreeName: boolean;
  /** `percpu_refill=` on mm_page_alloc_zone_locked. */
  percpuRefill: boolean;
  /** `cold=` on mm_page_free_batched (≤ v4.14). */
  batchedCold: boolean;
  /** kmalloc_node / kmem_cache_alloc_node events seen (≤ v6.0). */
  nodeEvents: boolean;
  /** TGID column in tracefs output. */
  tgidColumn: boolean;
  /** Width of the irq-flags column (4, 5) or 0 when absent. */
  flagsWidth: number | null;
  /** trace-cmd `instance:` prefix seen. */
  instancePrefix: string | null;
}

/** A hint at the kernel version range implied by {@linkcode TraceFeatures}. */
export function kernelHint(f: TraceFeatures): string {
  if (f.cacheAllocName) return "≥ 6.18 (kmem_cache_alloc name=)";
  if (f.slabNode && !f.nodeEvents) return "≥ 6.1 (node= on kmalloc)";
  if (f.slabAccounted) return "6.0 (accounted=, _node events)";
  if (f.pfnHex) return "≥ 5.14 (hex pfn)";
  if (f.callSiteSymbolic) return "5.4–5.13 (symbolic call_site, decimal pfn)";
  if (f.batchedCold) return "≤ 4.14 (cold=)";
  if (f.pfnHex === false) return "≤ 5.13 (decimal pfn)";
  return "unknown";
}

const RSS_TYPES = ["MM_FILEPAGES", "MM_ANONPAGES", "MM_SWAPENTS", "MM_SHMEMPAGES"];

// The count is missing when the ring buffer could not tell (kernel/trace/trace.c print_trace_line).
const TRACEFS_LOST = /^CPU:(\d+) \[LOST (?:(\d+) )?EVENTS\]/;
const TRACECMD_LOST = /CPU:\s*(\d+) \[(?:(\d+) )?EVENTS DROPPED\]/;
const BUFFER_STARTED = /^##### CPU (\d+) buffer started ####/;

/** A line longer than this is not a trace line: it is counted once and skipped. */
const MAX_LINE_BYTES = 1 << 20;

const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const HASH = 35;
const LPAREN = 40;
const RPAREN = 41;
const TILDE = 126;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const SLASH = 47;
const ZERO = 48;
const COLON = 58;
const EQUALS = 61;
const LBRACKET = 91;
const RBRACKET = 93;
const LOWER_F = 102;
const LOWER_T = 116;
const LOWER_X = 120;

/**
 * The field keys the event parsers read. A line's fields are tokenized once into per-key value
 * ranges, so each event reads its values without searching the line again.
 */
const KEY_NAMES = [
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
  "percpu_refill",
  "cold",
  "alloc_order",
  "fallback_order",
  "pageblock_order",
  "alloc_migratetype",
  "fallback_migratetype",
  "fragmenting",
  "change_ownership",
  "mm_id",
  "curr",
  "type",
  "member",
  "size",
  "node_id",
  "min",
  "low",
  "high",
  "promo",
  "lowmem_reserve_pages",
  "totalreserve_pages",
  "va_start",
  "align",
  "failed",
  "nr_lazy",
  "nr_lazy_max",
  "start",
  "end",
  "num_purged",
  "nid",
  "zid",
  "nr_reclaimed",
  "zone_start",
  "migrate_pfn",
  "migrate_start",
  "free_pfn",
  "free_start",
  "zone_end",
  "mode",
  "status",
  "zone",
  "ret",
  "classzone_idx",
  "highest_zoneidx",
  "priority",
  "gfp_mask",
  // `upper_zone name=%s` (mm_setup_per_zone_lowmem_reserve): a `name=` after `upper_zone`.
  "upper_zone name",
  // Compaction scanners: `range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu`.
  "range",
  "nr_scanned",
  "nr_taken",
  // mm_compaction_migratepages: `nr_migrated=%lu nr_failed=%lu`.
  "nr_migrated",
  "nr_failed",
] as const;
type KeyName = typeof KEY_NAMES[number];
const K = Object.fromEntries(KEY_NAMES.map((n, i) => [n, i])) as { [N in KeyName]: number };
const KEY_COUNT = KEY_NAMES.length;

const utf8 = new TextDecoder("utf-8");
const latin = new TextEncoder();

function decode(buf: Uint8Array, start: number, end: number): string {
  return utf8.decode(buf.subarray(start, end));
}

/** Bytes of an ASCII constant, for in-place comparisons. */
function ascii(s: string): Uint8Array {
  return latin.encode(s);
}

const KEY_IDS = new ByteInterner((buf, s, e) => {
  const i = (KEY_NAMES as readonly string[]).indexOf(decode(buf, s, e));
  return i;
}, 256);
/** Key bytes, for checking a token against the key expected at its position. */
const KEY_BYTES = KEY_NAMES.map((n) => ascii(n));
const UPPER_ZONE = ascii("upper_zone");
/** Tokens remembered per event kind (fields come in the same order on every line). */
const SHAPE_TOKENS = 24;
const SYNC = ascii("sync");

/**
 * Push parser for kmem text traces.
 *
 * @example
 * ```ts
 * import { TextTraceParser } from "./text_parser.ts";
 * const p = new TextTraceParser((batch) => console.log(batch.length));
 * p.feed(new TextEncoder().encode(
 *   "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0\n",
 * ));
 * p.end(); // prints 1
 * p.lines.parsed; // 1
 * ```
 */
export class TextTraceParser {
  readonly strings: StringTable;
  readonly diagnostics: DiagnosticLog;
  readonly lines: LineCounts = { total: 0, parsed: 0, unknown: 0, malformed: 0, comment: 0 };
  /** Events parsed per event code. */
  readonly byKind: Float64Array = new Float64Array(EVENT_KIND_COUNT);
  /** Events parsed per CPU (up to date after every `feed`, sink call and `end`). */
  readonly byCpu = new Map<number, number>();
  /** Unknown event names with counts. */
  readonly unknownEvents = new Map<string, number>();
  readonly lost = { markers: 0, events: 0, bufferStarts: 0 };
  firstTsNs = -1;
  lastTsNs = -1;
  /** The format in use (detected or forced); null until the first event line. */
  format: TextFormat | null;
  readonly features: TraceFeatures = {
    pfnHex: null,
    callSiteSymbolic: null,
    hashedPointers: null,
    slabNode: false,
    slabAccounted: false,
    cacheAllocName: false,
    cacheFreeName: false,
    percpuRefill: false,
    batchedCold: false,
    nodeEvents: false,
    tgidColumn: false,
    flagsWidth: null,
    instancePrefix: null,
  };
  /** trace-cmd `cpus=N` header, when present. */
  headerCpus: number | null = null;

  readonly #sink: (batch: EventBatch) => void;
  readonly #batch: EventBatch;
  readonly #file: string;
  readonly #strict: boolean;
  /** The unfinished last line of the previous chunk(s), as bytes. */
  #carry = new Uint8Array(4096);
  #carryLen = 0;
  /** Inside an over-long line that was already counted: drop bytes up to its newline. */
  #skipping = false;
  /** Last timestamp per CPU (-1 = none yet), for lost-event rows. */
  #lastTsByCpu = new Float64Array(64).fill(-1);
  /** Events per CPU, mirrored into the public `byCpu` map. */
  #cpuCounts = new Float64Array(64);
  #maxCpu = -1;
  /** Bytes of the previous line's comm and its id: consecutive lines usually share it. */
  #prevComm = new Uint8Array(64);
  #prevCommLen = -1;
  #commId = 0;
  readonly #nameCache: NameCache = newNameCache();
  #prevPrefix = new Uint8Array(64);
  #prevPrefixLen = -1;
  #ended = false;
  /** Tokenized fields of the current line: value range per key, valid when stamp === gen. */
  readonly #vs = new Int32Array(KEY_COUNT);
  readonly #ve = new Int32Array(KEY_COUNT);
  readonly #stamp = new Int32Array(KEY_COUNT);
  #gen = 0;
  /**
   * Key id of the n-th `key=` token on the last line of each event kind (-2 = unknown yet), so a
   * token is identified by comparing its bytes with one expected key instead of hashing it.
   */
  readonly #shape = new Int16Array(EVENT_KIND_COUNT * SHAPE_TOKENS).fill(-2);
  /** Unknown event names by interner value (-2 - index). */
  readonly #unknownNames: string[] = [];
  // Byte-keyed interners: a JS string is made only for the first occurrence of each value.
  readonly #events: ByteInterner;
  readonly #comms: ByteInterner;
  readonly #sites: ByteInterner;
  readonly #names: ByteInterner;
  readonly #gfps: ByteInterner;
  readonly #zones: ByteInterner;
  readonly #rssTypes: ByteInterner;

  constructor(sink: (batch: EventBatch) => void, opts: TextParserOptions = {}) {
    this.#sink = sink;
    this.strings = opts.strings ?? new StringTable();
    this.#batch = new EventBatch(opts.batchRows ?? DEFAULT_BATCH_ROWS);
    this.#file = opts.file ?? "<input>";
    this.#strict = opts.strict ?? false;
    this.diagnostics = new DiagnosticLog(5, this.#strict, this.#file);
    this.format = opts.format ?? null;
    const strings = this.strings;
    const names = this.#unknownNames;
    this.#events = new ByteInterner((b, s, e) => {
      const name = decode(b, s, e);
      const code = eventCode(name);
      if (code >= 0) return code;
      names.push(name);
      return -1 - names.length;
    }, 128);
    this.#comms = new ByteInterner((b, s, e) => strings.intern(decode(b, s, e)));
    this.#sites = new ByteInterner((b, s, e) => strings.intern(canonicalCallSite(decode(b, s, e))));
    this.#names = new ByteInterner((b, s, e) => strings.intern(decode(b, s, e)));
    this.#gfps = new ByteInterner((b, s, e) => parseGfp(decode(b, s, e)));
    this.#zones = new ByteInterner((b, s, e) => zoneIndexOf(decode(b, s, e)), 64);
    this.#rssTypes = new ByteInterner((b, s, e) => RSS_TYPES.indexOf(decode(b, s, e)), 16);
  }

  /** Parses a chunk of bytes; complete lines are processed, a partial last line is kept. */
  feed(chunk: Uint8Array): void {
    let start = 0;
    const n = chunk.length;
    if (this.#skipping) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) return;
      this.#skipping = false;
      start = nl + 1;
    }
    if (this.#carryLen > 0 && start < n) {
      const nl = chunk.indexOf(LF, start);
      if (nl < 0) {
        this.#append(chunk, start, n);
        this.#checkCarry();
        this.#syncCpus();
        return;
      }
      this.#append(chunk, start, nl);
      let end = this.#carryLen;
      if (this.#carry[end - 1] === CR) end--;
      this.#carryLen = 0;
      this.#line(this.#carry, 0, end, false);
      start = nl + 1;
    }
    const words = alignedWords(chunk);
    const base = words.byteOffset - chunk.byteOffset;
    for (;;) {
      const nl = indexOfLf(chunk, words, base, start);
      if (nl < 0) break;
      const end = nl > start && chunk[nl - 1] === CR ? nl - 1 : nl;
      this.#line(chunk, start, end, false);
      start = nl + 1;
    }
    if (start < n) {
      this.#append(chunk, start, n);
      this.#checkCarry();
    }
    this.#syncCpus();
  }

  /** Flushes the last (unterminated) line and the last batch. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#carryLen > 0 && !this.#skipping) {
      const len = this.#carryLen;
      this.#carryLen = 0;
      this.#line(this.#carry, 0, len, true);
    }
    this.#syncCpus();
    if (this.#batch.length > 0) {
      this.#sink(this.#batch);
      this.#batch.clear();
    }
  }

  #append(src: Uint8Array, start: number, end: number): void {
    const need = this.#carryLen + end - start;
    if (need > this.#carry.length) {
      let n = this.#carry.length * 2;
      while (n < need) n *= 2;
      const c = new Uint8Array(n);
      c.set(this.#carry.subarray(0, this.#carryLen));
      this.#carry = c;
    }
    this.#carry.set(src.subarray(start, end), this.#carryLen);
    this.#carryLen = need;
  }

  #checkCarry(): void {
    if (this.#carryLen <= MAX_LINE_BYTES) return;
    // A "line" of a megabyte is not a trace: count it once and skip to its end instead of
    // growing forever.
    this.lines.total++;
    this.#malformed("line-too-long", "line longer than 1 MiB", decode(this.#carry, 0, 80));
    this.#carryLen = 0;
    if (this.#carry.length > 1 << 16) this.#carry = new Uint8Array(4096);
    this.#skipping = true;
  }

  #syncCpus(): void {
    const counts = this.#cpuCounts;
    for (let c = 0; c <= this.#maxCpu; c++) {
      const n = counts[c]!;
      if (n > 0) this.byCpu.set(c, n);
    }
  }

  #emit(kind: number, tsNs: number, cpu: number): number {
    if (this.#batch.full) {
      this.#syncCpus();
      this.#sink(this.#batch);
      this.#batch.clear();
    }
    return this.#batch.push(kind, tsNs, cpu);
  }

  #malformed(code: string, message: string, text: string): void {
    this.lines.malformed++;
    this.diagnostics.add(code, this.lines.total, message, text);
  }

  /** One line `buf[s, e)` (without its line end). */
  #line(buf: Uint8Array, s: number, e: number, last: boolean): void {
    this.lines.total++;
    const c0 = s < e ? buf[s]! : -1;
    if (c0 < 0 || c0 === HASH) {
      if (c0 === HASH && e - s > 10 && buf[s + 1] === HASH) {
        const m = BUFFER_STARTED.exec(decode(buf, s, e));
        if (m) {
          // The CPU's ring buffer overwrote older events before this point.
          this.lost.markers++;
          this.lost.bufferStarts++;
          this.#lostRow(Number(m[1]), -1);
        }
      }
      this.lines.comment++;
      return;
    }
    if (this.format === null) {
      const line = decode(buf, s, e);
      this.format = detectLineFormat(line);
      if (this.format === null) {
        if (this.#headerLine(line)) return;
        this.#malformed("unrecognised-line", "not a trace event line", line);
        return;
      }
    }
    const fmt = this.format;
    const h = HEAD;
    let from = s;
    if (fmt === "trace-cmd" && c0 !== SPACE && c0 !== TAB) {
      // `instance:` prefix column (comm-pid is right-aligned, so event lines start with a space).
      const p = instancePrefixEnd(buf, s, e);
      if (p > 0 && p < e && scanFtraceHead(buf, p, e, h, null)) {
        this.#setInstancePrefix(buf, s, p);
        from = p;
      }
    }
    const nc = this.#nameCache;
    const ok = fmt === "perf-script"
      ? scanPerfHead(buf, s, e, h, nc)
      : scanFtraceHead(buf, from, e, h, nc);
    if (!ok) {
      const line = decode(buf, s, e);
      if (this.#headerLine(line)) return;
      if (last) {
        this.#malformed("truncated-line", "truncated last line", line);
        return;
      }
      this.#malformed("malformed-line", "line does not match the event line format", line);
      return;
    }
    const cpu = h.cpu, pid = h.pid, tsNs = h.tsNs;
    if (fmt !== "perf-script" && this.features.flagsWidth === null) {
      this.features.flagsWidth = h.flagsWidth;
      this.features.tgidColumn = h.tgid;
    }
    const code = nc.hit ? nc.code : this.#events.get(buf, h.nameStart, h.nameEnd);
    nc.code = code;
    if (code < 0) {
      this.lines.unknown++;
      const name = this.#unknownNames[-2 - code]!;
      this.unknownEvents.set(name, (this.unknownEvents.get(name) ?? 0) + 1);
      return;
    }
    let fieldsAt = h.fieldsStart;
    if (fieldsAt < e && buf[fieldsAt] === LPAREN) {
      // trace-cmd's `(call_site+off)` decoration before the fields.
      const close = indexOfCloseParenSpace(buf, fieldsAt, e);
      if (close > 0) fieldsAt = close + 2;
    }
    const i = this.#emit(code, tsNs, cpu);
    const b = this.#batch;
    b.pid[i] = pid;
    b.source[i] = this.lines.total;
    b.comm[i] = this.#comm(buf, h.commStart, h.commEnd);
    this.#tokenize(buf, fieldsAt, e, code * SHAPE_TOKENS);
    const err = this.#fields(code, buf, e, i, fmt);
    if (err !== null) {
      b.length--; // drop the half-filled row; the line is counted as malformed instead
      const name = decode(buf, h.nameStart, h.nameEnd);
      this.#malformed("malformed-fields", `${name}: ${err}`, decode(buf, s, e));
      return;
    }
    this.lines.parsed++;
    this.byKind[code]!++;
    if (cpu > this.#maxCpu) this.#growCpus(cpu);
    this.#cpuCounts[cpu]!++;
    if (this.firstTsNs < 0) this.firstTsNs = tsNs;
    if (tsNs > this.lastTsNs) this.lastTsNs = tsNs;
    this.#lastTsByCpu[cpu] = tsNs;
  }

  #growCpus(cpu: number): void {
    if (cpu >= this.#cpuCounts.length) {
      const n = Math.max(cpu + 1, this.#cpuCounts.length * 2);
      const c = new Float64Array(n);
      c.set(this.#cpuCounts);
      this.#cpuCounts = c;
      const t = new Float64Array(n).fill(-1);
      t.set(this.#lastTsByCpu);
      this.#lastTsByCpu = t;
    }
    this.#maxCpu = cpu;
  }

  #comm(buf: Uint8Array, s: number, e: number): number {
    const len = e - s;
    const prev = this.#prevComm;
    if (len === this.#prevCommLen) {
      let k = 0;
      while (k < len && prev[k] === buf[s + k]) k++;
      if (k === len) return this.#commId;
    }
    this.#commId = this.#comms.get(buf, s, e);
    if (len <= prev.length) {
      for (let k = 0; k < len; k++) prev[k] = buf[s + k]!;
      this.#prevCommLen = len;
    } else this.#prevCommLen = -1;
    return this.#commId;
  }

  #setInstancePrefix(buf: Uint8Array, s: number, p: number): void {
    // The prefix is `name:` plus spaces; keep the name.
    let colon = p;
    while (colon > s && buf[colon - 1] !== COLON) colon--;
    const len = colon - 1 - s;
    const prev = this.#prevPrefix;
    if (len === this.#prevPrefixLen) {
      let k = 0;
      while (k < len && prev[k] === buf[s + k]) k++;
      if (k === len) return;
    }
    this.features.instancePrefix = decode(buf, s, colon - 1);
    if (len <= prev.length) {
      prev.set(buf.subarray(s, colon - 1));
      this.#prevPrefixLen = len;
    } else this.#prevPrefixLen = -1;
  }

  /** Recognises header and marker lines; returns true when the line was consumed. */
  #headerLine(line: string): boolean {
    let m = TRACEFS_LOST.exec(line) ?? TRACECMD_LOST.exec(line);
    if (m) {
      const n = m[2] === undefined ? -1 : Number(m[2]);
      this.lost.markers++;
      if (n > 0) this.lost.events += n;
      this.#lostRow(Number(m[1]), n);
      this.lines.comment++;
      return true;
    }
    m = /^cpus=(\d+)\s*$/.exec(line);
    if (m) {
      this.headerCpus = Number(m[1]);
      this.lines.comment++;
      return true;
    }
    if (/^\s*version = \d+/.test(line) || /^CPU \d+ is empty/.test(line) || /^\s*$/.test(line)) {
      this.lines.comment++;
      return true;
    }
    return false;
  }

  #lostRow(cpu: number, count: number): void {
    const seen = cpu < this.#lastTsByCpu.length ? this.#lastTsByCpu[cpu]! : -1;
    const ts = seen >= 0 ? seen : (this.lastTsNs < 0 ? 0 : this.lastTsNs);
    const i = this.#emit(Ev.lost_events, ts, cpu);
    this.#batch.a[i] = count;
    this.#batch.source[i] = this.lines.total;
  }

  /**
   * Splits `key=value` fields at spaces and records the value range of each known key (the
   * first occurrence wins). `label: value` (vmalloc's `va_start: %lu`) counts as a key too.
   */
  #tokenize(buf: Uint8Array, k: number, e: number, shapeAt: number): void {
    let gen = ++this.#gen;
    if (gen === 0x7fff_ffff) {
      this.#stamp.fill(0);
      gen = this.#gen = 1;
    }
    const stamp = this.#stamp, vs = this.#vs, ve = this.#ve, shape = this.#shape;
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
        let id = KEY_IDS.get(buf, ts, eq);
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
        if (buf[k - 1] === COLON && k - 1 > ts) labelKey = KEY_IDS.get(buf, ts, k - 1);
      } else upperZone = false;
    }
  }

  /** Start of the value of `key` on the current line, or -1. */
  #at(key: number): number {
    return this.#stamp[key] === this.#gen ? this.#vs[key]! : -1;
  }

  /** The key's value as a number (`-`, `0x` accepted), NaN when absent or not a number. */
  #num(buf: Uint8Array, key: number): number {
    if (this.#stamp[key] !== this.#gen) return NaN;
    return parseNum(buf, this.#vs[key]!, this.#ve[key]!);
  }

  #numOr(buf: Uint8Array, key: number, dflt: number): number {
    const v = this.#num(buf, key);
    return Number.isNaN(v) ? dflt : v;
  }

  #zone(buf: Uint8Array, key: number): number {
    if (this.#stamp[key] !== this.#gen) return -1;
    return this.#zones.get(buf, this.#vs[key]!, this.#ve[key]!);
  }

  #name(buf: Uint8Array, key: number, code: number): number {
    return this.#names.get(buf, this.#vs[key]!, this.#ve[key]!, code);
  }

  /** Fills the event-specific columns of row `i`; returns an error text or null. */
  #fields(code: number, s: Uint8Array, e: number, i: number, fmt: TextFormat): string | null {
    const b = this.#batch;
    const f = this.features;
    switch (code) {
      case Ev.kmalloc:
      case Ev.kmalloc_node:
      case Ev.kmem_cache_alloc:
      case Ev.kmem_cache_alloc_node: {
        const err = this.#callSite(s, e, i) ?? this.#ptr(s, i, fmt);
        if (err) return err;
        if (this.#at(K.name) >= 0) {
          b.name[i] = this.#name(s, K.name, code);
          if (code === Ev.kmem_cache_alloc) f.cacheAllocName = true;
        }
        const req = this.#num(s, K.bytes_req);
        const alloc = this.#num(s, K.bytes_alloc);
        if (Number.isNaN(req) || Number.isNaN(alloc)) return "bad bytes_req/bytes_alloc";
        b.bytesReq[i] = req;
        b.bytesAlloc[i] = alloc;
        const g = this.#gfp(s, K.gfp_flags, i);
        if (g) return g;
        if (this.#at(K.node) >= 0) {
          b.node[i] = parseDec(s, this.#vs[K.node]!, this.#ve[K.node]!);
          if (code === Ev.kmalloc || code === Ev.kmem_cache_alloc) f.slabNode = true;
          else f.nodeEvents = true;
        }
        const accAt = this.#at(K.accounted);
        if (accAt >= 0) {
          f.slabAccounted = true;
          if (accAt < this.#ve[K.accounted]! && s[accAt] === LOWER_T) {
            b.flags[i]! |= EventFlag.ACCOUNTED;
          }
        } else if ((b.gfp[i]! & GFP.ACCOUNT) !== 0) b.flags[i]! |= EventFlag.ACCOUNTED;
        return null;
      }
      case Ev.kfree:
      case Ev.kmem_cache_free: {
        const err = this.#callSite(s, e, i) ?? this.#ptr(s, i, fmt);
        if (err) return err;
        if (this.#at(K.name) >= 0) {
          b.name[i] = this.#name(s, K.name, code);
          f.cacheFreeName = true;
        }
        return null;
      }
      case Ev.mm_page_alloc: {
        const err = this.#pfn(s, i) ?? this.#orderMt(s, i, true);
        if (err) return err;
        const g = this.#gfp(s, K.gfp_flags, i);
        if (g) return g;
        if (this.#nullPage(s) || b.pfn[i]! < 0) {
          b.pfn[i] = -1;
          b.flags[i]! |= EventFlag.FAILED;
        }
        return null;
      }
      case Ev.mm_page_alloc_zone_locked: {
        const err = this.#pfn(s, i) ?? this.#orderMt(s, i, true);
        if (err) return err;
        const r = this.#num(s, K.percpu_refill);
        if (!Number.isNaN(r)) {
          f.percpuRefill = true;
          b.a[i] = r;
          if (r !== 0) b.flags[i]! |= EventFlag.PERCPU_REFILL;
        } else if (b.order[i] === 0) b.flags[i]! |= EventFlag.PERCPU_REFILL; // pre-5.19 meaning
        return null;
      }
      case Ev.mm_page_free:
        return this.#pfn(s, i) ?? this.#orderMt(s, i, false);
      case Ev.mm_page_free_batched: {
        const err = this.#pfn(s, i);
        if (err) return err;
        const o = this.#num(s, K.order);
        b.order[i] = Number.isNaN(o) ? 0 : o;
        const cold = this.#num(s, K.cold);
        if (!Number.isNaN(cold)) {
          f.batchedCold = true;
          b.a[i] = cold;
        }
        return null;
      }
      case Ev.mm_page_pcpu_drain:
        return this.#pfn(s, i) ?? this.#orderMt(s, i, true);
      case Ev.mm_page_alloc_extfrag: {
        const err = this.#pfn(s, i);
        if (err) return err;
        const ao = this.#num(s, K.alloc_order);
        const fo = this.#num(s, K.fallback_order);
        const am = this.#num(s, K.alloc_migratetype);
        const fm = this.#num(s, K.fallback_migratetype);
        const fr = this.#num(s, K.fragmenting);
        if (Number.isNaN(ao) || Number.isNaN(fo) || Number.isNaN(am) || Number.isNaN(fm)) {
          return "missing alloc/fallback order or migratetype";
        }
        b.order[i] = ao;
        b.a[i] = fo;
        b.b[i] = this.#numOr(s, K.pageblock_order, -1);
        b.mt[i] = am;
        b.c[i] = fm;
        // The kernel prints `fallback_order < pageblock_order`; trace-cmd mis-evaluates that
        // expression (prints e.g. `fragmenting=10`), so recompute it when both orders are known.
        const frag = b.b[i]! >= 0 ? fo < b.b[i]! : fr === 1;
        if (frag) b.flags[i]! |= EventFlag.FRAGMENTING;
        if (this.#num(s, K.change_ownership) === 1) b.flags[i]! |= EventFlag.CHANGE_OWNERSHIP;
        return null;
      }
      case Ev.rss_stat: {
        const id = this.#num(s, K.mm_id);
        b.a[i] = Number.isNaN(id) ? -1 : id;
        if (this.#num(s, K.curr) === 1) b.flags[i]! |= EventFlag.CURR;
        if (this.#at(K.type) >= 0) {
          b.b[i] = this.#rssTypes.get(s, this.#vs[K.type]!, this.#ve[K.type]!);
        } else b.b[i] = this.#numOr(s, K.member, -1);
        if (this.#at(K.size) < 0) return "missing size=";
        b.c[i] = parseDec(s, this.#vs[K.size]!, this.#ve[K.size]!);
        return null;
      }
      case Ev.mm_setup_per_zone_wmarks: {
        b.node[i] = this.#numOr(s, K.node_id, -1);
        b.zone[i] = this.#zone(s, K.name);
        const min = this.#num(s, K.min);
        const low = this.#num(s, K.low);
        const high = this.#num(s, K.high);
        if (Number.isNaN(min) || Number.isNaN(low) || Number.isNaN(high)) {
          return "missing watermark";
        }
        b.a[i] = min;
        b.b[i] = low;
        b.c[i] = high;
        b.d[i] = this.#numOr(s, K.promo, -1);
        return null;
      }
      case Ev.mm_setup_per_zone_lowmem_reserve: {
        b.node[i] = this.#numOr(s, K.node_id, -1);
        b.zone[i] = this.#zone(s, K.name);
        b.a[i] = this.#zone(s, K["upper_zone name"]);
        const r = this.#num(s, K.lowmem_reserve_pages);
        if (Number.isNaN(r)) return "missing lowmem_reserve_pages=";
        b.b[i] = r;
        return null;
      }
      case Ev.mm_calculate_totalreserve_pages: {
        const r = this.#num(s, K.totalreserve_pages);
        if (Number.isNaN(r)) return "missing totalreserve_pages=";
        b.a[i] = r;
        return null;
      }
      case Ev.alloc_vmap_area: {
        // `va_start: %lu` — decimal address, odd label (include/trace/events/vmalloc.h).
        if (this.#at(K.va_start) < 0) return "missing va_start";
        setPtrDec(b, i, s, this.#vs[K.va_start]!, this.#ve[K.va_start]!);
        const size = this.#num(s, K.size);
        if (Number.isNaN(size)) return "missing size=";
        b.bytesReq[i] = size;
        b.bytesAlloc[i] = this.#numOr(s, K.align, 0);
        if (this.#num(s, K.failed) === 1) b.flags[i]! |= EventFlag.FAILED;
        return null;
      }
      case Ev.free_vmap_area_noflush: {
        if (this.#at(K.va_start) < 0) return "missing va_start=";
        setPtrHex(b, i, s, this.#vs[K.va_start]!, this.#ve[K.va_start]!);
        b.a[i] = this.#numOr(s, K.nr_lazy, -1);
        b.b[i] = this.#numOr(s, K.nr_lazy_max, -1);
        return null;
      }
      case Ev.purge_vmap_area_lazy: {
        if (this.#at(K.start) < 0 || this.#at(K.end) < 0) return "missing start=/end=";
        setPtrHex(b, i, s, this.#vs[K.start]!, this.#ve[K.start]!);
        const hi = b.ptrHi[i]!, lo = b.ptrLo[i]!;
        setPtrHex(b, i, s, this.#vs[K.end]!, this.#ve[K.end]!);
        b.bytesReq[i] = (b.ptrHi[i]! - hi) * 0x1_0000_0000 + (b.ptrLo[i]! - lo);
        b.ptrHi[i] = hi;
        b.ptrLo[i] = lo;
        b.a[i] = this.#numOr(s, K.num_purged, -1);
        return null;
      }
      case Ev.mm_vmscan_kswapd_wake:
      case Ev.mm_vmscan_wakeup_kswapd: {
        b.node[i] = this.#numOr(s, K.nid, -1);
        b.zone[i] = this.#numOr(s, K.zid, -1);
        const o = this.#num(s, K.order);
        if (Number.isNaN(o)) return "missing order=";
        b.order[i] = o;
        if (this.#at(K.gfp_flags) >= 0) return this.#gfp(s, K.gfp_flags, i);
        return null;
      }
      case Ev.mm_vmscan_kswapd_sleep:
        b.node[i] = this.#numOr(s, K.nid, -1);
        return null;
      case Ev.mm_vmscan_direct_reclaim_begin: {
        const o = this.#num(s, K.order);
        if (Number.isNaN(o)) return "missing order=";
        b.order[i] = o;
        return this.#gfp(s, K.gfp_flags, i);
      }
      case Ev.mm_vmscan_direct_reclaim_end: {
        const n = this.#num(s, K.nr_reclaimed);
        if (Number.isNaN(n)) return "missing nr_reclaimed=";
        b.a[i] = n;
        return null;
      }
      case Ev.mm_compaction_begin:
      case Ev.mm_compaction_end: {
        b.a[i] = this.#numOr(s, K.zone_start, -1);
        b.b[i] = this.#num(s, K.migrate_pfn);
        if (Number.isNaN(b.b[i]!)) b.b[i] = this.#numOr(s, K.migrate_start, -1);
        b.c[i] = this.#num(s, K.free_pfn);
        if (Number.isNaN(b.c[i]!)) b.c[i] = this.#numOr(s, K.free_start, -1);
        b.d[i] = this.#numOr(s, K.zone_end, -1);
        const mode = this.#at(K.mode);
        if (mode >= 0 && this.#ve[K.mode]! - mode >= 4 && bytesEqual(s, mode, SYNC)) {
          b.flags[i]! |= EventFlag.SYNC;
        }
        if (this.#at(K.status) >= 0) b.name[i] = this.#name(s, K.status, code);
        return null;
      }
      case Ev.mm_compaction_suitable:
      case Ev.mm_compaction_finished: {
        b.node[i] = this.#numOr(s, K.node, -1);
        b.zone[i] = this.#zone(s, K.zone);
        b.order[i] = this.#numOr(s, K.order, -1);
        if (this.#at(K.ret) >= 0) b.name[i] = this.#name(s, K.ret, code);
        return null;
      }
      case Ev.mm_compaction_kcompactd_sleep:
      case Ev.mm_compaction_kcompactd_wake:
      case Ev.mm_compaction_wakeup_kcompactd:
        b.node[i] = this.#numOr(s, K.nid, -1);
        b.order[i] = this.#numOr(s, K.order, -1);
        // Printed as `classzone_idx=%-8s` (the old name kept for ABI), zone name padded.
        b.zone[i] = this.#zone(s, K.classzone_idx);
        if (b.zone[i] === -1) b.zone[i] = this.#zone(s, K.highest_zoneidx);
        return null;
      case Ev.mm_compaction_try_to_compact_pages: {
        b.order[i] = this.#numOr(s, K.order, -1);
        b.a[i] = this.#numOr(s, K.priority, -1);
        if (this.#at(K.gfp_mask) >= 0) {
          const g = this.#gfps.get(s, this.#vs[K.gfp_mask]!, this.#ve[K.gfp_mask]!);
          b.gfp[i] = g < 0 ? 0 : g;
        }
        return null;
      }
      case Ev.mm_compaction_deferred:
      case Ev.mm_compaction_defer_compaction:
      case Ev.mm_compaction_defer_reset:
        b.node[i] = this.#numOr(s, K.node, -1);
        b.zone[i] = this.#zone(s, K.zone);
        b.order[i] = this.#numOr(s, K.order, -1);
        return null;
      case Ev.mm_compaction_migratepages: {
        const migrated = this.#num(s, K.nr_migrated);
        const failed = this.#num(s, K.nr_failed);
        if (Number.isNaN(migrated) || Number.isNaN(failed)) {
          return "missing nr_migrated=/nr_failed=";
        }
        b.a[i] = migrated;
        b.b[i] = failed;
        return null;
      }
      case Ev.mm_compaction_isolate_migratepages:
      case Ev.mm_compaction_isolate_freepages:
      case Ev.mm_compaction_fast_isolate_freepages:
        return this.#isolateRange(s, e, i);
      case Ev.lost_events:
        return null;
      default:
        return `no field parser for ${EVENT_NAMES[code] ?? code}`;
    }
  }

  /**
   * `range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu` (include/trace/events/compaction.h
   * mm_compaction_isolate_template): a = start pfn, b = end pfn, c = nr_scanned, d = nr_taken.
   * The range spans three space-separated tokens, so the end pfn is read after the `~`.
   */
  #isolateRange(s: Uint8Array, e: number, i: number): string | null {
    const at = this.#at(K.range);
    if (at < 0 || s[at] !== LPAREN) return "missing range=(";
    const startPfn = parseNum(s, at + 1, this.#ve[K.range]!);
    let k = this.#ve[K.range]!;
    while (k < e && s[k] === SPACE) k++;
    if (k >= e || s[k] !== TILDE) return "missing ~ in range=";
    k++;
    while (k < e && s[k] === SPACE) k++;
    let close = k;
    while (close < e && s[close] !== RPAREN && s[close] !== SPACE) close++;
    const endPfn = parseNum(s, k, close);
    const scanned = this.#num(s, K.nr_scanned);
    const taken = this.#num(s, K.nr_taken);
    if (Number.isNaN(startPfn) || Number.isNaN(endPfn)) return "bad range=";
    if (Number.isNaN(scanned) || Number.isNaN(taken)) return "missing nr_scanned=/nr_taken=";
    const b = this.#batch;
    b.a[i] = startPfn;
    b.b[i] = endPfn;
    b.c[i] = scanned;
    b.d[i] = taken;
    return null;
  }

  #callSite(s: Uint8Array, e: number, i: number): string | null {
    const at = this.#at(K.call_site);
    if (at < 0) return "missing call_site=";
    let end = this.#ve[K.call_site]!;
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
    this.#batch.callSite[i] = this.#sites.get(s, at, end, this.#batch.kind[i]!);
    return null;
  }

  #ptr(s: Uint8Array, i: number, fmt: TextFormat): string | null {
    const at = this.#at(K.ptr);
    if (at < 0) return "missing ptr=";
    const end = this.#ve[K.ptr]!;
    const b = this.#batch;
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

  #pfn(s: Uint8Array, i: number): string | null {
    const at = this.#at(K.pfn);
    if (at < 0) return "missing pfn=";
    const end = this.#ve[K.pfn]!;
    const b = this.#batch;
    if (end - at >= 2 && s[at] === ZERO && s[at + 1] === LOWER_X) {
      this.features.pfnHex ??= true;
      if (end - at - 2 >= 16 && s[at + 2] === LOWER_F) {
        b.pfn[i] = -1; // (unsigned long)-1
        return null;
      }
      const v = parseHex(s, at + 2, end);
      if (v < 0) return "bad pfn=";
      b.pfn[i] = v;
      return null;
    }
    this.features.pfnHex ??= false;
    const v = parseDec(s, at, end);
    if (Number.isNaN(v)) return "bad pfn=";
    b.pfn[i] = v > 0x7fff_ffff_ffff ? -1 : v;
    return null;
  }

  #orderMt(s: Uint8Array, i: number, withMt: boolean): string | null {
    const o = this.#num(s, K.order);
    if (Number.isNaN(o) || o < 0 || o > 63) return "bad order=";
    this.#batch.order[i] = o;
    if (withMt) {
      const mt = this.#num(s, K.migratetype);
      if (Number.isNaN(mt)) return "bad migratetype=";
      this.#batch.mt[i] = mt;
    }
    return null;
  }

  #gfp(s: Uint8Array, key: number, i: number): string | null {
    if (this.#stamp[key] !== this.#gen) return "missing gfp_flags=";
    const g = this.#gfps.get(s, this.#vs[key]!, this.#ve[key]!, this.#batch.kind[i]!);
    if (g < 0) return "unknown gfp flag name";
    this.#batch.gfp[i] = g;
    return null;
  }

  /** `page=(null)` / `page=0000000000000000`: a failed allocation. */
  #nullPage(s: Uint8Array): boolean {
    const at = this.#at(K.page);
    if (at < 0) return false;
    const end = this.#ve[K.page]!;
    if (at < end && s[at] === LPAREN) return true; // (null) / (nil)
    for (let k = at + 1 < end && s[at + 1] === LOWER_X ? at + 2 : at; k < end; k++) {
      if (s[k] !== ZERO) return false;
    }
    return true;
  }
}

/** LF in every byte of a word, and the constants of the "word has a zero byte" test. */
const LF_WORD = 0x0a0a0a0a;
const BYTE_ONES = 0x01010101;
const BYTE_HIGH_BITS = 0x80808080;

/** The 4-byte-aligned words inside `chunk`, for scanning 4 bytes per step. */
function alignedWords(chunk: Uint8Array): Uint32Array {
  const first = (chunk.byteOffset + 3) & ~3;
  const stop = (chunk.byteOffset + chunk.length) & ~3;
  return new Uint32Array(chunk.buffer, first, Math.max(0, (stop - first) >> 2));
}

/**
 * Index of the next LF at or after `from` in `chunk`, or -1. `words` are its aligned words, the
 * first at chunk index `base`. Whole words are tested with the "has a zero byte" bit trick on
 * `word ^ LF_WORD`: a trace line is ~150 bytes, and this beats one `indexOf` call per line.
 */
function indexOfLf(chunk: Uint8Array, words: Uint32Array, base: number, from: number): number {
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
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[97 + c] = 10 + c;
  HEX[65 + c] = 10 + c;
}

function bytesEqual(buf: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let k = 0; k < want.length; k++) if (buf[at + k] !== want[k]) return false;
  return true;
}

/** The canonical call site text: `func+0xoff` (size dropped), `0xaddr` (≤ v5.3), ` [mod]` kept. */
function canonicalCallSite(s: string): string {
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

/** Positions and values found in an event line's header; one reused record. */
interface Head {
  commStart: number;
  commEnd: number;
  pid: number;
  cpu: number;
  tsNs: number;
  nameStart: number;
  nameEnd: number;
  fieldsStart: number;
  flagsWidth: number;
  tgid: boolean;
}

function newHead(): Head {
  return {
    commStart: 0,
    commEnd: 0,
    pid: 0,
    cpu: 0,
    tsNs: 0,
    nameStart: 0,
    nameEnd: 0,
    fieldsStart: 0,
    flagsWidth: 0,
    tgid: false,
  };
}

const HEAD: Head = newHead();

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function skipSpaces(b: Uint8Array, k: number, e: number): number {
  while (k < e && b[k] === SPACE) k++;
  return k;
}

/** Scans `sec.frac:` at k into h.tsNs; returns the index after the colon or -1. */
function scanTimestamp(b: Uint8Array, k: number, e: number, h: Head): number {
  let sec = 0;
  const s0 = k;
  while (k < e && isDigit(b[k]!)) sec = sec * 10 + (b[k++]! - 48);
  if (k === s0 || k >= e || b[k] !== DOT) return -1;
  k++;
  let frac = 0;
  const f0 = k;
  while (k < e && isDigit(b[k]!)) frac = frac * 10 + (b[k++]! - 48);
  const digits = k - f0;
  if (digits === 0 || digits > 9 || k >= e || b[k] !== COLON) return -1;
  h.tsNs = sec * 1e9 + frac * POW10[9 - digits]!;
  return k + 1;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95;
}

/** Scans `event:` (or `subsystem:event:`) at k; returns index after the colon or -1. */
function scanEventName(b: Uint8Array, k: number, e: number, h: Head): number {
  let start = k;
  while (k < e) {
    const c = b[k]!;
    if (c === COLON) {
      if (k === start) return -1;
      // perf prints `kmem:kmalloc:`; keep the last component.
      if (k + 1 < e && isWordChar(b[k + 1]!)) {
        start = k + 1;
        k++;
        continue;
      }
      h.nameStart = start;
      h.nameEnd = k;
      return k + 1;
    }
    if (!isWordChar(c)) return -1;
    k++;
  }
  return -1;
}

/**
 * The event-name token of the previous line (`name:` or `sys:name:`) and its code: consecutive
 * lines often carry the same event, which is then recognised by one byte comparison.
 */
interface NameCache {
  bytes: Uint8Array;
  len: number;
  nameOff: number;
  nameLen: number;
  /** The last scan was answered from the cache. */
  hit: boolean;
  /** Event code (or unknown-name marker) of the cached token, set by the parser. */
  code: number;
}

function newNameCache(): NameCache {
  return { bytes: new Uint8Array(64), len: 0, nameOff: 0, nameLen: 0, hit: false, code: -1 };
}

/** {@linkcode scanEventName} with a one-entry cache of the previous token. */
function scanEventNameCached(
  b: Uint8Array,
  k: number,
  e: number,
  h: Head,
  nc: NameCache | null,
): number {
  if (nc === null) return scanEventName(b, k, e, h);
  const len = nc.len;
  if (len > 0 && k + len <= e) {
    const c = nc.bytes;
    let j = 0;
    while (j < len && c[j] === b[k + j]) j++;
    // Same bytes up to the final colon, and no word character after it (else it was `sys:`).
    if (j === len && (k + len >= e || !isWordChar(b[k + len]!))) {
      h.nameStart = k + nc.nameOff;
      h.nameEnd = h.nameStart + nc.nameLen;
      nc.hit = true;
      return k + len;
    }
  }
  nc.hit = false;
  const end = scanEventName(b, k, e, h);
  if (end > 0 && end - k <= nc.bytes.length) {
    for (let j = k; j < end; j++) nc.bytes[j - k] = b[j]!;
    nc.len = end - k;
    nc.nameOff = h.nameStart - k;
    nc.nameLen = h.nameEnd - h.nameStart;
  } else nc.len = 0;
  return end;
}

/** Finds ` [digits]` from `from`; sets h.cpu and returns the index of `]`, or -1. */
function scanCpu(b: Uint8Array, from: number, e: number, h: Head): number {
  // A plain loop: the `[` is a few dozen bytes in, too close for indexOf's call to pay off.
  let open = from + 1;
  while (open < e && b[open] !== LBRACKET) open++;
  while (open < e) {
    if (b[open - 1] === SPACE) {
      let k = open + 1;
      let cpu = 0;
      while (k < e && isDigit(b[k]!)) cpu = cpu * 10 + (b[k++]! - 48);
      if (k > open + 1 && k < e && b[k] === RBRACKET) {
        h.cpu = cpu;
        h.commStart = open - 1; // the space before `[`
        return k;
      }
    }
    open++;
    while (open < e && b[open] !== LBRACKET) open++;
  }
  return -1;
}

/**
 * Header of a tracefs / trace-cmd line: `comm-pid [(tgid)] [cpu] [flags] sec.frac: event: `.
 */
function scanFtraceHead(
  b: Uint8Array,
  from: number,
  e: number,
  h: Head,
  nc: NameCache | null,
): boolean {
  // Find "[digits]" preceded by a space; comm names may contain almost anything before it.
  const close = scanCpu(b, from, e, h);
  if (close < 0) return false;
  // Walk back over spaces, an optional "(tgid)" column, spaces, then the pid.
  let k = h.commStart + 1; // the ` [` space
  while (k > from && b[k - 1] === SPACE) k--;
  h.tgid = false;
  if (k > from && b[k - 1] === RPAREN) {
    let lp = k - 2;
    while (lp >= from && b[lp] !== LPAREN) lp--;
    if (lp < from) return false;
    h.tgid = true;
    k = lp;
    while (k > from && b[k - 1] === SPACE) k--;
  }
  const pidEnd = k;
  while (k > from && isDigit(b[k - 1]!)) k--;
  if (k === pidEnd || k - 1 < from || b[k - 1] !== MINUS) return false;
  let pid = 0;
  for (let j = k; j < pidEnd; j++) pid = pid * 10 + (b[j]! - 48);
  const commEnd = k - 1;
  const commStart = skipSpaces(b, from, e);
  if (commStart > commEnd) return false;
  // After "]": optional irq-flags column, then the timestamp.
  let t = skipSpaces(b, close + 1, e);
  let after = scanTimestamp(b, t, e, h);
  h.flagsWidth = 0;
  if (after < 0) {
    let sp = t;
    while (sp < e && b[sp] !== SPACE) sp++;
    if (sp >= e || sp - t < 4 || sp - t > 5) return false;
    h.flagsWidth = sp - t;
    t = skipSpaces(b, sp, e);
    after = scanTimestamp(b, t, e, h);
    if (after < 0) return false;
  }
  const nameAt = skipSpaces(b, after, e);
  const end = scanEventNameCached(b, nameAt, e, h, nc);
  if (end < 0) return false;
  h.fieldsStart = skipSpaces(b, end, e);
  h.commStart = commStart;
  h.commEnd = commEnd;
  h.pid = pid;
  return true;
}

/** Header of a perf script line: `comm pid[/tid] [cpu] sec.frac: [period] sys:event: `. */
function scanPerfHead(
  b: Uint8Array,
  s: number,
  e: number,
  h: Head,
  nc: NameCache | null,
): boolean {
  const close = scanCpu(b, s, e, h);
  if (close < 0) return false;
  let k = h.commStart + 1;
  while (k > s && b[k - 1] === SPACE) k--;
  const idEnd = k;
  while (k > s && (isDigit(b[k - 1]!) || b[k - 1] === SLASH)) k--;
  if (k === idEnd || k - 1 < s || b[k - 1] !== SPACE) return false;
  // `pid/tid`: the tid is the thread that ran; tracefs shows the same value.
  let tidAt = k;
  for (let j = k; j < idEnd; j++) {
    if (b[j] === SLASH) {
      tidAt = j + 1;
      break;
    }
  }
  let pid = 0;
  for (let j = tidAt; j < idEnd; j++) pid = pid * 10 + (b[j]! - 48);
  let commEnd = k;
  while (commEnd > s && b[commEnd - 1] === SPACE) commEnd--;
  const commStart = skipSpaces(b, s, e);
  let t = skipSpaces(b, close + 1, e);
  const after = scanTimestamp(b, t, e, h);
  if (after < 0) return false;
  t = skipSpaces(b, after, e);
  // Optional sample period column.
  let d = t;
  while (d < e && isDigit(b[d]!)) d++;
  if (d > t && d < e && b[d] === SPACE) t = skipSpaces(b, d, e);
  const end = scanEventNameCached(b, t, e, h, nc);
  if (end < 0) return false;
  h.fieldsStart = skipSpaces(b, end, e);
  h.commStart = commStart;
  h.commEnd = commEnd;
  h.pid = pid;
  h.flagsWidth = 0;
  h.tgid = false;
  return true;
}

/** End of a trace-cmd `instance:` prefix (`name:` + whitespace) at s, or -1. */
function instancePrefixEnd(b: Uint8Array, s: number, e: number): number {
  for (let k = s; k < e; k++) {
    const c = b[k]!;
    if (c === SPACE || c === TAB) return -1;
    if (c === COLON && k > s && k + 1 < e && (b[k + 1] === SPACE || b[k + 1] === TAB)) {
      let j = k + 1;
      while (j < e && (b[j] === SPACE || b[j] === TAB)) j++;
      return j;
    }
  }
  return -1;
}

/** Index of `) ` at or after k, or -1. */
function indexOfCloseParenSpace(b: Uint8Array, k: number, e: number): number {
  for (let j = k; j + 1 < e; j++) if (b[j] === RPAREN && b[j + 1] === SPACE) return j;
  return -1;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** Guesses the text format from one non-comment line; null when it is not an event line. */
export function detectLineFormat(line: string): TextFormat | null {
  const b = latin.encode(line);
  const e = b.length;
  const h = newHead();
  if (scanPerfHead(b, 0, e, h, null) && b[h.nameStart - 1] === COLON /* sys: prefix */) {
    return "perf-script";
  }
  if (/^cpus=\d+/.test(line) || /^\s*version = \d+/.test(line)) return "trace-cmd";
  if (scanFtraceHead(b, 0, e, h, null)) {
    // trace-cmd pads the event name (`kmalloc:              (site) …`) and decorates the call site.
    if (/:\s{2,}\(/.test(line)) return "trace-cmd";
    return "tracefs";
  }
  const p = instancePrefixEnd(b, 0, e);
  if (p > 0 && scanFtraceHead(b, p, e, h, null)) return "trace-cmd";
  return null;
}

/** Parses hex digits in [from, end); a trailing `,` ends the value. -1 when not hex. */
function parseHex(b: Uint8Array, from: number, end: number): number {
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
function parseNum(b: Uint8Array, at: number, end: number): number {
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
const parseDec = parseNum;

function zoneIndexOf(name: string): number {
  const idx = ZONE_NAMES.indexOf(name as typeof ZONE_NAMES[number]);
  if (idx >= 0) return idx;
  const n = Number(name);
  return Number.isInteger(n) ? n : -1;
}

function setPtrHex(b: EventBatch, i: number, s: Uint8Array, at: number, end: number): void {
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

function setPtrDec(b: EventBatch, i: number, s: Uint8Array, at: number, end: number): void {
  const v = BigInt(decode(s, at, end));
  b.ptrHi[i] = Number((v >> 32n) & 0xffff_ffffn);
  b.ptrLo[i] = Number(v & 0xffff_ffffn);
}

export { TraceSyntaxError };
