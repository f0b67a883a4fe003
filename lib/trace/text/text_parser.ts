/**
 * Parser for the three text forms of kmem traces:
 *
 * - `tracefs`: the tracefs `trace` file and `trace_pipe` (with or without the `#` header, with or
 *   without the TGID column, irq-flag columns of 1–8 characters (4, 5, 7 on PREEMPT_RT) or none,
 *   `CPU:N [LOST M EVENTS]`, `##### CPU N buffer started ####`),
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

import { ByteInterner } from "../byte_interner.ts";
import { DiagnosticLog, TraceSyntaxError } from "../diagnostics.ts";
import { DEFAULT_BATCH_ROWS, EventBatch } from "../event_batch.ts";
import { Ev, EVENT_KIND_COUNT, eventCode } from "../event_kind.ts";
import { EventFieldSet } from "../event_schema.ts";
import { StringTable } from "../string_table.ts";
import { FieldReader } from "./field_reader.ts";
import {
  detectLineFormat,
  type Head,
  indexOfCloseParenSpace,
  instancePrefixEnd,
  type NameCache,
  newHead,
  newNameCache,
  scanFtraceHead,
  scanPerfHead,
  type TextFormat,
} from "./line_head.ts";
import { decode } from "./text_bytes.ts";
import { kernelHint, newFeatures, type TraceFeatures } from "./text_features.ts";
import { readEventFields } from "./text_fields.ts";

// Byte values as local constants: an imported binding costs a load and a hole check per use
// in the hot scanning loops (measured ~10 % of parse time).
const COLON = 58;
const CR = 13;
const DEL = 127;
const HASH = 35;
const LF = 10;
const LPAREN = 40;
const SPACE = 32;
const TAB = 9;

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

// The count is missing when the ring buffer could not tell (kernel/trace/trace.c print_trace_line).
const TRACEFS_LOST = /^CPU:(\d+) \[LOST (?:(\d+) )?EVENTS\]/;
const TRACECMD_LOST = /CPU:\s*(\d+) \[(?:(\d+) )?EVENTS DROPPED\]/;
const BUFFER_STARTED = /^##### CPU (\d+) buffer started ####/;

/** A line longer than this is not a trace line: it is counted once and skipped. */
const MAX_LINE_BYTES = 1 << 20;
/**
 * CPU numbers are below this unless the header's `cpus=` says less: the largest NR_CPUS of any
 * configuration (arch/x86/Kconfig NR_CPUS_RANGE_END with MAXSMP). Per-CPU tables are sized from
 * the CPU numbers seen, so a number beyond it is rejected rather than allocated for.
 */
export const MAX_CPUS = 8192;
/**
 * A comm is at most TASK_COMM_LEN - 1 = 15 bytes (include/linux/sched.h); perf and trace-cmd may
 * print longer thread names, so the bound is loose. It catches garbage glued to a line's start.
 */
const MAX_COMM_BYTES = 64;
/** The `|` run above the irq-flags column in the tracefs header (`CPU#  |||||  TIMESTAMP`). */
const FLAGS_HEADER = /CPU#\s+(\|+)\s+TIMESTAMP/;

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
function indexOfLf(
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
  readonly features: TraceFeatures = newFeatures();
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
  /** Unknown event names by interner value (-2 - index). */
  readonly #unknownNames: string[] = [];
  /** The header of the line being parsed (one reused record per parser). */
  readonly #head: Head = newHead();
  /** The fields of the line being parsed. */
  readonly #reader: FieldReader;
  // Byte-keyed interners: a JS string is made only for the first occurrence of each value.
  readonly #events: ByteInterner;
  readonly #comms: ByteInterner;

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
    this.#reader = new FieldReader(this.#batch, strings, this.features);
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
          const cpu = this.#cpuOf(m[1]!);
          if (cpu < 0) {
            this.#malformed("cpu-out-of-range", this.#cpuRangeText(m[1]!), decode(buf, s, e));
            return;
          }
          // The CPU's ring buffer overwrote older events before this point.
          this.lost.markers++;
          this.lost.bufferStarts++;
          this.#lostRow(cpu, -1);
        }
      } else if (c0 === HASH && this.lines.parsed === 0 && e - s < 200) {
        const m = FLAGS_HEADER.exec(decode(buf, s, e));
        if (m) this.#head.wantFlagsWidth = m[1]!.length;
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
    const h = this.#head;
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
    if (cpu >= this.#cpuLimit()) {
      this.#malformed(
        "cpu-out-of-range",
        this.#cpuRangeText(cpu === 0x7fff_ffff ? "of 10+ digits" : String(cpu)),
        decode(buf, s, e),
      );
      return;
    }
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
    const comm = this.#comm(buf, h.commStart, h.commEnd);
    if (comm < 0) {
      this.#malformed(
        "bad-comm",
        `comm of more than ${MAX_COMM_BYTES} bytes or with control bytes`,
        decode(buf, s, e),
      );
      return;
    }
    const i = this.#emit(code, tsNs, cpu);
    const b = this.#batch;
    b.pid[i] = pid;
    b.source[i] = this.lines.total;
    b.comm[i] = comm;
    this.#reader.tokenize(buf, fieldsAt, e, code);
    const err = readEventFields(this.#reader, code as Ev, buf, e, i, fmt, fieldsAt);
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

  /** CPU numbers must be below this: the header's `cpus=`, else {@linkcode MAX_CPUS}. */
  #cpuLimit(): number {
    return this.headerCpus ?? MAX_CPUS;
  }

  /** The CPU number in `digits`, or -1 when it is out of range. */
  #cpuOf(digits: string): number {
    const cpu = digits.length > 9 ? Infinity : Number(digits);
    return cpu < this.#cpuLimit() ? cpu : -1;
  }

  #cpuRangeText(cpu: string): string {
    return this.headerCpus === null
      ? `CPU ${cpu.slice(0, 24)} beyond the largest NR_CPUS (${MAX_CPUS})`
      : `CPU ${cpu.slice(0, 24)} beyond the header's cpus=${this.headerCpus}`;
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

  /** The interned comm of `buf[s, e)`, or -1 when it cannot be one (too long, control bytes). */
  #comm(buf: Uint8Array, s: number, e: number): number {
    const len = e - s;
    const prev = this.#prevComm;
    if (len === this.#prevCommLen) {
      let k = 0;
      while (k < len && prev[k] === buf[s + k]) k++;
      if (k === len) return this.#commId;
    }
    if (len > MAX_COMM_BYTES) return -1;
    for (let k = s; k < e; k++) {
      const c = buf[k]!;
      if (c < SPACE || c === DEL) return -1;
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
      const cpu = this.#cpuOf(m[1]!);
      if (cpu < 0) {
        this.#malformed("cpu-out-of-range", this.#cpuRangeText(m[1]!), line);
        return true;
      }
      const n = m[2] === undefined ? -1 : Number(m[2]);
      if (n > Number.MAX_SAFE_INTEGER) {
        // The sum of lost events is kept exact, so each count must be.
        this.#malformed("lost-out-of-range", "lost-event count beyond 2^53", line);
        return true;
      }
      this.lost.markers++;
      if (n > 0) this.lost.events += n;
      this.#lostRow(cpu, n);
      this.lines.comment++;
      return true;
    }
    m = /^cpus=(\d+)\s*$/.exec(line);
    if (m) {
      const n = m[1]!.length > 9 ? Infinity : Number(m[1]);
      if (n < 1 || n > MAX_CPUS) {
        this.#malformed(
          "cpu-out-of-range",
          `cpus=${m[1]!.slice(0, 24)} not in 1..${MAX_CPUS}`,
          line,
        );
        return true;
      }
      this.headerCpus = n;
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
    EventFieldSet.lost.lostEvents(this.#batch, i, count);
    this.#batch.source[i] = this.lines.total;
  }
}

export { detectLineFormat, kernelHint, type TextFormat, type TraceFeatures, TraceSyntaxError };
