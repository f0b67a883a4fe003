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
 * the sink whenever it is full. Every input line is counted as parsed, unknown, malformed or
 * comment, so `parsed + unknown + malformed + comment === total`.
 *
 * @module
 */

import { ZONE_NAMES } from "../kernel/constants.ts";
import { GFP, parseGfp } from "../kernel/gfp_flags.ts";
import { DiagnosticLog, TraceSyntaxError } from "./diagnostics.ts";
import { DEFAULT_BATCH_ROWS, EventBatch, EventFlag } from "./event_batch.ts";
import { Ev, EVENT_KIND_COUNT, EVENT_NAMES, eventCode } from "./event_kind.ts";
import { StringTable } from "./string_table.ts";

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
const INSTANCE_PREFIX = /^(\S+?):\s+/;

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
  /** Events parsed per CPU. */
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
  readonly #decoder = new TextDecoder("utf-8");
  #carry = "";
  /** Inside an over-long line that was already counted: drop bytes up to its newline. */
  #skipping = false;
  #lastTsByCpu = new Map<number, number>();
  #commKey = "";
  #commId = 0;
  #ended = false;

  constructor(sink: (batch: EventBatch) => void, opts: TextParserOptions = {}) {
    this.#sink = sink;
    this.strings = opts.strings ?? new StringTable();
    this.#batch = new EventBatch(opts.batchRows ?? DEFAULT_BATCH_ROWS);
    this.#file = opts.file ?? "<input>";
    this.#strict = opts.strict ?? false;
    this.diagnostics = new DiagnosticLog(5, this.#strict, this.#file);
    this.format = opts.format ?? null;
  }

  /** Parses a chunk of bytes; complete lines are processed, a partial last line is kept. */
  feed(chunk: Uint8Array): void {
    const text = this.#carry + this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      if (this.#skipping) {
        this.#skipping = false;
        start = nl + 1;
        continue;
      }
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      this.#line(text.slice(start, end));
      start = nl + 1;
    }
    this.#carry = start === 0 ? text : text.slice(start);
    if (this.#skipping) this.#carry = "";
    else if (this.#carry.length > 1 << 20) {
      // A "line" of a megabyte is not a trace: count it once and skip to its end instead of
      // growing forever.
      this.lines.total++;
      this.#malformed("line-too-long", "line longer than 1 MiB", this.#carry.slice(0, 80));
      this.#carry = "";
      this.#skipping = true;
    }
  }

  /** Flushes the last (unterminated) line and the last batch. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const rest = this.#carry + this.#decoder.decode();
    this.#carry = "";
    if (rest.length > 0 && !this.#skipping) this.#line(rest, true);
    if (this.#batch.length > 0) {
      this.#sink(this.#batch);
      this.#batch.clear();
    }
  }

  #emit(kind: number, tsNs: number, cpu: number): number {
    if (this.#batch.full) {
      this.#sink(this.#batch);
      this.#batch.clear();
    }
    return this.#batch.push(kind, tsNs, cpu);
  }

  #malformed(code: string, message: string, text: string): void {
    this.lines.malformed++;
    this.diagnostics.add(code, this.lines.total, message, text);
  }

  #line(line: string, last = false): void {
    this.lines.total++;
    const c0 = line.charCodeAt(0);
    if (line.length === 0 || c0 === 35 /* # */) {
      const m = BUFFER_STARTED.exec(line);
      if (m) {
        // The CPU's ring buffer overwrote older events before this point.
        this.lost.markers++;
        this.lost.bufferStarts++;
        this.#lostRow(Number(m[1]), -1);
      }
      this.lines.comment++;
      return;
    }
    if (this.format === null) this.format = detectLineFormat(line);
    if (this.format === null) {
      if (this.#headerLine(line)) return;
      this.#malformed("unrecognised-line", "not a trace event line", line);
      return;
    }
    const fmt = this.format;
    let from = 0;
    if (fmt === "trace-cmd" && c0 !== 32 && c0 !== 9) {
      // `instance:` prefix column (comm-pid is right-aligned, so event lines start with a space).
      const p = INSTANCE_PREFIX.exec(line);
      if (p && p[0].length < line.length && scanFtraceHead(line, p[0].length, HEAD)) {
        this.features.instancePrefix = p[1]!;
        from = p[0].length;
      }
    }
    const h = HEAD;
    const ok = fmt === "perf-script" ? scanPerfHead(line, h) : scanFtraceHead(line, from, h);
    if (!ok) {
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
    const name = line.slice(h.nameStart, h.nameEnd);
    const code = eventCode(name);
    if (code < 0) {
      this.lines.unknown++;
      this.unknownEvents.set(name, (this.unknownEvents.get(name) ?? 0) + 1);
      return;
    }
    let fieldsAt = h.fieldsStart;
    if (line.charCodeAt(fieldsAt) === 40 /* ( */) {
      // trace-cmd's `(call_site+off)` decoration before the fields.
      const close = line.indexOf(") ", fieldsAt);
      if (close > 0) fieldsAt = close + 2;
    }
    const fields = line.slice(fieldsAt);
    const i = this.#emit(code, tsNs, cpu);
    const b = this.#batch;
    b.pid[i] = pid;
    b.source[i] = this.lines.total;
    // Consecutive lines usually share the comm: compare in place before slicing.
    const cs = h.commStart, ce = h.commEnd;
    const prev = this.#commKey;
    if (prev.length !== ce - cs || !line.startsWith(prev, cs)) {
      this.#commKey = line.slice(cs, ce);
      this.#commId = this.strings.intern(this.#commKey);
    }
    b.comm[i] = this.#commId;
    const err = this.#fields(code, fields, i, fmt);
    if (err !== null) {
      b.length--; // drop the half-filled row; the line is counted as malformed instead
      this.#malformed("malformed-fields", `${name}: ${err}`, line);
      return;
    }
    this.lines.parsed++;
    this.byKind[code]!++;
    this.byCpu.set(cpu, (this.byCpu.get(cpu) ?? 0) + 1);
    if (this.firstTsNs < 0) this.firstTsNs = tsNs;
    if (tsNs > this.lastTsNs) this.lastTsNs = tsNs;
    this.#lastTsByCpu.set(cpu, tsNs);
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
    const ts = this.#lastTsByCpu.get(cpu) ?? (this.lastTsNs < 0 ? 0 : this.lastTsNs);
    const i = this.#emit(Ev.lost_events, ts, cpu);
    this.#batch.a[i] = count;
    this.#batch.source[i] = this.lines.total;
  }

  /** Fills the event-specific columns of row `i`; returns an error text or null. */
  #fields(code: number, s: string, i: number, fmt: TextFormat): string | null {
    const b = this.#batch;
    const f = this.features;
    switch (code) {
      case Ev.kmalloc:
      case Ev.kmalloc_node:
      case Ev.kmem_cache_alloc:
      case Ev.kmem_cache_alloc_node: {
        const e = this.#callSite(s, i) ?? this.#ptr(s, "ptr=", i, fmt);
        if (e) return e;
        const nameAt = valueAt(s, "name=");
        if (nameAt >= 0) {
          b.name[i] = this.strings.intern(s.slice(nameAt, wordEnd(s, nameAt)));
          if (code === Ev.kmem_cache_alloc) f.cacheAllocName = true;
        }
        const req = numAt(s, "bytes_req=");
        const alloc = numAt(s, "bytes_alloc=");
        if (Number.isNaN(req) || Number.isNaN(alloc)) return "bad bytes_req/bytes_alloc";
        b.bytesReq[i] = req;
        b.bytesAlloc[i] = alloc;
        const g = this.#gfp(s, i);
        if (g) return g;
        const nodeAt = valueAt(s, "node=");
        if (nodeAt >= 0) {
          b.node[i] = parseDecAt(s, nodeAt);
          if (code === Ev.kmalloc || code === Ev.kmem_cache_alloc) f.slabNode = true;
          else f.nodeEvents = true;
        }
        const accAt = valueAt(s, "accounted=");
        if (accAt >= 0) {
          f.slabAccounted = true;
          if (s.charCodeAt(accAt) === 116 /* t */) b.flags[i]! |= EventFlag.ACCOUNTED;
        } else if ((b.gfp[i]! & GFP.ACCOUNT) !== 0) b.flags[i]! |= EventFlag.ACCOUNTED;
        return null;
      }
      case Ev.kfree:
      case Ev.kmem_cache_free: {
        const e = this.#callSite(s, i) ?? this.#ptr(s, "ptr=", i, fmt);
        if (e) return e;
        const nameAt = valueAt(s, "name=");
        if (nameAt >= 0) {
          b.name[i] = this.strings.intern(s.slice(nameAt, wordEnd(s, nameAt)));
          f.cacheFreeName = true;
        }
        return null;
      }
      case Ev.mm_page_alloc: {
        const e = this.#pfn(s, i) ?? this.#orderMt(s, i, true);
        if (e) return e;
        const g = this.#gfp(s, i);
        if (g) return g;
        if (isNullPage(s) || b.pfn[i]! < 0) {
          b.pfn[i] = -1;
          b.flags[i]! |= EventFlag.FAILED;
        }
        return null;
      }
      case Ev.mm_page_alloc_zone_locked: {
        const e = this.#pfn(s, i) ?? this.#orderMt(s, i, true);
        if (e) return e;
        const r = numAt(s, "percpu_refill=");
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
        const e = this.#pfn(s, i);
        if (e) return e;
        const o = numAt(s, "order=");
        b.order[i] = Number.isNaN(o) ? 0 : o;
        const cold = numAt(s, "cold=");
        if (!Number.isNaN(cold)) {
          f.batchedCold = true;
          b.a[i] = cold;
        }
        return null;
      }
      case Ev.mm_page_pcpu_drain:
        return this.#pfn(s, i) ?? this.#orderMt(s, i, true);
      case Ev.mm_page_alloc_extfrag: {
        const e = this.#pfn(s, i);
        if (e) return e;
        const ao = numAt(s, "alloc_order=");
        const fo = numAt(s, "fallback_order=");
        const am = numAt(s, "alloc_migratetype=");
        const fm = numAt(s, "fallback_migratetype=");
        const fr = numAt(s, "fragmenting=");
        if (Number.isNaN(ao) || Number.isNaN(fo) || Number.isNaN(am) || Number.isNaN(fm)) {
          return "missing alloc/fallback order or migratetype";
        }
        b.order[i] = ao;
        b.a[i] = fo;
        b.b[i] = numOr(s, "pageblock_order=", -1);
        b.mt[i] = am;
        b.c[i] = fm;
        // The kernel prints `fallback_order < pageblock_order`; trace-cmd mis-evaluates that
        // expression (prints e.g. `fragmenting=10`), so recompute it when both orders are known.
        const frag = b.b[i]! >= 0 ? fo < b.b[i]! : fr === 1;
        if (frag) b.flags[i]! |= EventFlag.FRAGMENTING;
        if (numAt(s, "change_ownership=") === 1) b.flags[i]! |= EventFlag.CHANGE_OWNERSHIP;
        return null;
      }
      case Ev.rss_stat: {
        const id = numAt(s, "mm_id=");
        b.a[i] = Number.isNaN(id) ? -1 : id;
        if (numAt(s, "curr=") === 1) b.flags[i]! |= EventFlag.CURR;
        const tAt = valueAt(s, "type=");
        if (tAt >= 0) b.b[i] = RSS_TYPES.indexOf(s.slice(tAt, wordEnd(s, tAt)));
        else b.b[i] = numOr(s, "member=", -1);
        const sizeAt = valueAt(s, "size=");
        if (sizeAt < 0) return "missing size=";
        b.c[i] = parseDecAt(s, sizeAt);
        return null;
      }
      case Ev.mm_setup_per_zone_wmarks: {
        b.node[i] = numOr(s, "node_id=", -1);
        b.zone[i] = zoneAt(s, "name=");
        const min = numAt(s, "min=");
        const low = numAt(s, "low=");
        const high = numAt(s, "high=");
        if (Number.isNaN(min) || Number.isNaN(low) || Number.isNaN(high)) {
          return "missing watermark";
        }
        b.a[i] = min;
        b.b[i] = low;
        b.c[i] = high;
        b.d[i] = numOr(s, "promo=", -1);
        return null;
      }
      case Ev.mm_setup_per_zone_lowmem_reserve: {
        b.node[i] = numOr(s, "node_id=", -1);
        b.zone[i] = zoneAt(s, "zone name=");
        const up = s.indexOf("upper_zone name=");
        b.a[i] = up >= 0 ? zoneIndexAt(s, up + 16) : -1;
        const r = numAt(s, "lowmem_reserve_pages=");
        if (Number.isNaN(r)) return "missing lowmem_reserve_pages=";
        b.b[i] = r;
        return null;
      }
      case Ev.mm_calculate_totalreserve_pages: {
        const r = numAt(s, "totalreserve_pages=");
        if (Number.isNaN(r)) return "missing totalreserve_pages=";
        b.a[i] = r;
        return null;
      }
      case Ev.alloc_vmap_area: {
        // `va_start: %lu` — decimal address, odd label (include/trace/events/vmalloc.h).
        let at = valueAt(s, "va_start: ");
        if (at < 0) at = valueAt(s, "va_start=");
        if (at < 0) return "missing va_start";
        setPtrDec(b, i, s, at);
        const size = numAt(s, "size=");
        if (Number.isNaN(size)) return "missing size=";
        b.bytesReq[i] = size;
        b.bytesAlloc[i] = numOr(s, "align=", 0);
        if (numAt(s, "failed=") === 1) b.flags[i]! |= EventFlag.FAILED;
        return null;
      }
      case Ev.free_vmap_area_noflush: {
        const at = valueAt(s, "va_start=");
        if (at < 0) return "missing va_start=";
        setPtrHex(b, i, s, at);
        b.a[i] = numOr(s, "nr_lazy=", -1);
        b.b[i] = numOr(s, "nr_lazy_max=", -1);
        return null;
      }
      case Ev.purge_vmap_area_lazy: {
        const at = valueAt(s, "start=");
        const endAt = valueAt(s, "end=");
        if (at < 0 || endAt < 0) return "missing start=/end=";
        setPtrHex(b, i, s, at);
        const hi = b.ptrHi[i]!, lo = b.ptrLo[i]!;
        setPtrHex(b, i, s, endAt);
        b.bytesReq[i] = (b.ptrHi[i]! - hi) * 0x1_0000_0000 + (b.ptrLo[i]! - lo);
        b.ptrHi[i] = hi;
        b.ptrLo[i] = lo;
        b.a[i] = numOr(s, "num_purged=", -1);
        return null;
      }
      case Ev.mm_vmscan_kswapd_wake:
      case Ev.mm_vmscan_wakeup_kswapd: {
        b.node[i] = numOr(s, "nid=", -1);
        b.zone[i] = numOr(s, "zid=", -1);
        const o = numAt(s, "order=");
        if (Number.isNaN(o)) return "missing order=";
        b.order[i] = o;
        if (valueAt(s, "gfp_flags=") >= 0) return this.#gfp(s, i);
        return null;
      }
      case Ev.mm_vmscan_kswapd_sleep:
        b.node[i] = numOr(s, "nid=", -1);
        return null;
      case Ev.mm_vmscan_direct_reclaim_begin: {
        const o = numAt(s, "order=");
        if (Number.isNaN(o)) return "missing order=";
        b.order[i] = o;
        return this.#gfp(s, i);
      }
      case Ev.mm_vmscan_direct_reclaim_end: {
        const n = numAt(s, "nr_reclaimed=");
        if (Number.isNaN(n)) return "missing nr_reclaimed=";
        b.a[i] = n;
        return null;
      }
      case Ev.mm_compaction_begin:
      case Ev.mm_compaction_end: {
        b.a[i] = numOr(s, "zone_start=", -1);
        b.b[i] = numAt(s, "migrate_pfn=");
        if (Number.isNaN(b.b[i]!)) b.b[i] = numOr(s, "migrate_start=", -1);
        b.c[i] = numAt(s, "free_pfn=");
        if (Number.isNaN(b.c[i]!)) b.c[i] = numOr(s, "free_start=", -1);
        b.d[i] = numOr(s, "zone_end=", -1);
        if (s.includes("mode=sync")) b.flags[i]! |= EventFlag.SYNC;
        const st = valueAt(s, "status=");
        if (st >= 0) b.name[i] = this.strings.intern(s.slice(st, wordEnd(s, st)));
        return null;
      }
      case Ev.mm_compaction_suitable:
      case Ev.mm_compaction_finished: {
        b.node[i] = numOr(s, "node=", -1);
        b.zone[i] = zoneAt(s, "zone=");
        b.order[i] = numOr(s, "order=", -1);
        const r = valueAt(s, "ret=");
        if (r >= 0) b.name[i] = this.strings.intern(s.slice(r, wordEnd(s, r)));
        return null;
      }
      case Ev.mm_compaction_kcompactd_sleep:
      case Ev.mm_compaction_kcompactd_wake:
      case Ev.mm_compaction_wakeup_kcompactd:
        b.node[i] = numOr(s, "nid=", -1);
        b.order[i] = numOr(s, "order=", -1);
        // Printed as `classzone_idx=%-8s` (the old name kept for ABI), zone name padded.
        b.zone[i] = zoneAt(s, "classzone_idx=");
        if (b.zone[i] === -1) b.zone[i] = zoneAt(s, "highest_zoneidx=");
        return null;
      case Ev.mm_compaction_try_to_compact_pages: {
        b.order[i] = numOr(s, "order=", -1);
        b.a[i] = numOr(s, "priority=", -1);
        if (valueAt(s, "gfp_mask=") >= 0) {
          const at = valueAt(s, "gfp_mask=");
          const g = parseGfp(s.slice(at, wordEnd(s, at)));
          b.gfp[i] = g < 0 ? 0 : g;
        }
        return null;
      }
      case Ev.mm_compaction_deferred:
      case Ev.mm_compaction_defer_compaction:
      case Ev.mm_compaction_defer_reset:
        b.node[i] = numOr(s, "node=", -1);
        b.zone[i] = zoneAt(s, "zone=");
        b.order[i] = numOr(s, "order=", -1);
        return null;
      case Ev.mm_compaction_migratepages:
      case Ev.mm_compaction_isolate_migratepages:
      case Ev.mm_compaction_isolate_freepages:
      case Ev.mm_compaction_fast_isolate_freepages:
      case Ev.lost_events:
        return null;
      default:
        return `no field parser for ${EVENT_NAMES[code] ?? code}`;
    }
  }

  #callSite(s: string, i: number): string | null {
    const at = valueAt(s, "call_site=");
    if (at < 0) return "missing call_site=";
    let end = wordEnd(s, at);
    let slash = -1;
    let symbolic = false;
    for (let k = at; k < end; k++) {
      const c = s.charCodeAt(k);
      if (c === 43 /* + */) symbolic = true;
      else if (c === 47 /* / */ && slash < 0) slash = k;
    }
    // `func+0x141/0x2a0` (tracefs) and `func+0x141` (trace-cmd, perf) must be the same site.
    let site = s.slice(at, slash > 0 ? slash : end);
    if (!symbolic && site.length > 0 && !site.startsWith("0x") && /^[0-9a-f]+$/.test(site)) {
      site = `0x${site}`; // ≤ v5.3: `call_site=%lx`
    }
    // A module symbol prints as `func+0x1/0x2 [mod]`.
    if (s.charCodeAt(end) === 32 && s.charCodeAt(end + 1) === 91 /* [ */) {
      const close = s.indexOf("]", end + 2);
      if (close > 0) {
        site += s.slice(end, close + 1);
        end = close + 1;
      }
    }
    if (this.features.callSiteSymbolic === null) this.features.callSiteSymbolic = symbolic;
    this.#batch.callSite[i] = this.strings.intern(site);
    return null;
  }

  #ptr(s: string, key: string, i: number, fmt: TextFormat): string | null {
    const at = valueAt(s, key);
    if (at < 0) return `missing ${key}`;
    const b = this.#batch;
    const c = s.charCodeAt(at);
    if (c === 40 /* ( */) {
      b.ptrHi[i] = 0;
      b.ptrLo[i] = 0;
      return null;
    }
    let k = at;
    if (c === 48 && s.charCodeAt(at + 1) === 120) k += 2;
    const end = wordEnd(s, k);
    if (end - k > 16 || end === k) return `bad ${key}`;
    let hi = 0, lo = 0;
    const split = end - 8;
    for (let j = k; j < end; j++) {
      const d = hexDigit(s.charCodeAt(j));
      if (d < 0) return `bad ${key}`;
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

  #pfn(s: string, i: number): string | null {
    const at = valueAt(s, "pfn=");
    if (at < 0) return "missing pfn=";
    const b = this.#batch;
    if (s.charCodeAt(at) === 48 && s.charCodeAt(at + 1) === 120) {
      this.features.pfnHex ??= true;
      const end = wordEnd(s, at + 2);
      if (end - at - 2 >= 16 && s.charCodeAt(at + 2) === 102 /* f */) {
        b.pfn[i] = -1; // (unsigned long)-1
        return null;
      }
      const v = parseHexRange(s, at + 2, end);
      if (v < 0) return "bad pfn=";
      b.pfn[i] = v;
      return null;
    }
    this.features.pfnHex ??= false;
    const v = parseDecAt(s, at);
    if (Number.isNaN(v)) return "bad pfn=";
    b.pfn[i] = v > 0x7fff_ffff_ffff ? -1 : v;
    return null;
  }

  #orderMt(s: string, i: number, withMt: boolean): string | null {
    const o = numAt(s, "order=");
    if (Number.isNaN(o) || o < 0 || o > 63) return "bad order=";
    this.#batch.order[i] = o;
    if (withMt) {
      const mt = numAt(s, "migratetype=");
      if (Number.isNaN(mt)) return "bad migratetype=";
      this.#batch.mt[i] = mt;
    }
    return null;
  }

  #gfp(s: string, i: number): string | null {
    const at = valueAt(s, "gfp_flags=");
    if (at < 0) return "missing gfp_flags=";
    const g = parseGfp(s.slice(at, wordEnd(s, at)));
    if (g < 0) return "unknown gfp flag name";
    this.#batch.gfp[i] = g;
    return null;
  }
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

const HEAD: Head = {
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

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function skipSpaces(s: string, k: number): number {
  while (s.charCodeAt(k) === 32) k++;
  return k;
}

/**
 * Scans `sec.frac:` at k into h.tsNs; returns the index after the colon or -1.
 */
function scanTimestamp(s: string, k: number, h: Head): number {
  let sec = 0;
  const s0 = k;
  while (isDigit(s.charCodeAt(k))) sec = sec * 10 + (s.charCodeAt(k++) - 48);
  if (k === s0 || s.charCodeAt(k) !== 46 /* . */) return -1;
  k++;
  let frac = 0;
  const f0 = k;
  while (isDigit(s.charCodeAt(k))) frac = frac * 10 + (s.charCodeAt(k++) - 48);
  const digits = k - f0;
  if (digits === 0 || digits > 9 || s.charCodeAt(k) !== 58 /* : */) return -1;
  h.tsNs = sec * 1e9 + frac * POW10[9 - digits]!;
  return k + 1;
}

/** Scans `event:` (or `subsystem:event:`) at k; returns index after the colon or -1. */
function scanEventName(s: string, k: number, h: Head): number {
  let start = k;
  for (;;) {
    const c = s.charCodeAt(k);
    if (c === 58 /* : */) {
      if (k === start) return -1;
      // perf prints `kmem:kmalloc:`; keep the last component.
      const next = s.charCodeAt(k + 1);
      if (next !== 32 && next === next /* not NaN */ && isWordChar(next)) {
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
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95;
}

/**
 * Header of a tracefs / trace-cmd line: `comm-pid [(tgid)] [cpu] [flags] sec.frac: event: `.
 */
function scanFtraceHead(s: string, from: number, h: Head): boolean {
  // Find "[digits]" preceded by a space; comm names may contain almost anything before it.
  let open = s.indexOf(" [", from);
  let close = -1;
  while (open >= 0) {
    let k = open + 2;
    while (isDigit(s.charCodeAt(k))) k++;
    if (k > open + 2 && s.charCodeAt(k) === 93 /* ] */) {
      close = k;
      break;
    }
    open = s.indexOf(" [", open + 2);
  }
  if (close < 0) return false;
  let cpu = 0;
  for (let k = open + 2; k < close; k++) cpu = cpu * 10 + (s.charCodeAt(k) - 48);
  // Walk back over spaces, an optional "(tgid)" column, spaces, then the pid.
  let k = open;
  while (k > from && s.charCodeAt(k - 1) === 32) k--;
  h.tgid = false;
  if (s.charCodeAt(k - 1) === 41 /* ) */) {
    const lp = s.lastIndexOf("(", k - 1);
    if (lp < from) return false;
    h.tgid = true;
    k = lp;
    while (k > from && s.charCodeAt(k - 1) === 32) k--;
  }
  const pidEnd = k;
  while (k > from && isDigit(s.charCodeAt(k - 1))) k--;
  if (k === pidEnd || s.charCodeAt(k - 1) !== 45 /* - */) return false;
  let pid = 0;
  for (let j = k; j < pidEnd; j++) pid = pid * 10 + (s.charCodeAt(j) - 48);
  const commEnd = k - 1;
  const commStart = skipSpaces(s, from);
  if (commStart > commEnd) return false;
  // After "]": optional irq-flags column, then the timestamp.
  let t = skipSpaces(s, close + 1);
  let after = scanTimestamp(s, t, h);
  h.flagsWidth = 0;
  if (after < 0) {
    const sp = s.indexOf(" ", t);
    if (sp < 0 || sp - t < 4 || sp - t > 5) return false;
    h.flagsWidth = sp - t;
    t = skipSpaces(s, sp);
    after = scanTimestamp(s, t, h);
    if (after < 0) return false;
  }
  const nameAt = skipSpaces(s, after);
  const end = scanEventName(s, nameAt, h);
  if (end < 0) return false;
  h.fieldsStart = skipSpaces(s, end);
  h.commStart = commStart;
  h.commEnd = commEnd;
  h.pid = pid;
  h.cpu = cpu;
  return true;
}

/** Header of a perf script line: `comm pid[/tid] [cpu] sec.frac: [period] sys:event: `. */
function scanPerfHead(s: string, h: Head): boolean {
  let open = s.indexOf(" [");
  let close = -1;
  while (open >= 0) {
    let k = open + 2;
    while (isDigit(s.charCodeAt(k))) k++;
    if (k > open + 2 && s.charCodeAt(k) === 93) {
      close = k;
      break;
    }
    open = s.indexOf(" [", open + 2);
  }
  if (close < 0) return false;
  let cpu = 0;
  for (let k = open + 2; k < close; k++) cpu = cpu * 10 + (s.charCodeAt(k) - 48);
  let k = open;
  while (k > 0 && s.charCodeAt(k - 1) === 32) k--;
  const idEnd = k;
  while (k > 0 && (isDigit(s.charCodeAt(k - 1)) || s.charCodeAt(k - 1) === 47)) k--;
  if (k === idEnd || s.charCodeAt(k - 1) !== 32) return false;
  // `pid/tid`: the tid is the thread that ran; tracefs shows the same value.
  const slash = s.indexOf("/", k);
  const tidAt = slash >= 0 && slash < idEnd ? slash + 1 : k;
  let pid = 0;
  for (let j = tidAt; j < idEnd; j++) pid = pid * 10 + (s.charCodeAt(j) - 48);
  let commEnd = k;
  while (commEnd > 0 && s.charCodeAt(commEnd - 1) === 32) commEnd--;
  const commStart = skipSpaces(s, 0);
  let t = skipSpaces(s, close + 1);
  const after = scanTimestamp(s, t, h);
  if (after < 0) return false;
  t = skipSpaces(s, after);
  // Optional sample period column.
  let d = t;
  while (isDigit(s.charCodeAt(d))) d++;
  if (d > t && s.charCodeAt(d) === 32) t = skipSpaces(s, d);
  const end = scanEventName(s, t, h);
  if (end < 0) return false;
  h.fieldsStart = skipSpaces(s, end);
  h.commStart = commStart;
  h.commEnd = commEnd;
  h.pid = pid;
  h.cpu = cpu;
  h.flagsWidth = 0;
  h.tgid = false;
  return true;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** Guesses the text format from one non-comment line; null when it is not an event line. */
export function detectLineFormat(line: string): TextFormat | null {
  const h: Head = { ...HEAD };
  if (scanPerfHead(line, h) && line.charCodeAt(h.nameStart - 1) === 58 /* sys: prefix */) {
    return "perf-script";
  }
  if (/^cpus=\d+/.test(line) || /^\s*version = \d+/.test(line)) return "trace-cmd";
  if (scanFtraceHead(line, 0, h)) {
    // trace-cmd pads the event name (`kmalloc:              (site) …`) and decorates the call site.
    if (/:\s{2,}\(/.test(line)) return "trace-cmd";
    return "tracefs";
  }
  const p = INSTANCE_PREFIX.exec(line);
  if (p && scanFtraceHead(line, p[0].length, h)) return "trace-cmd";
  return null;
}

/** Index just after `key` in `s` when it starts a field (at 0 or after a space), else -1. */
function valueAt(s: string, key: string): number {
  let from = 0;
  for (;;) {
    const k = s.indexOf(key, from);
    if (k < 0) return -1;
    if (k === 0 || s.charCodeAt(k - 1) === 32) return k + key.length;
    from = k + 1;
  }
}

function wordEnd(s: string, at: number): number {
  const sp = s.indexOf(" ", at);
  return sp < 0 ? s.length : sp;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseHexRange(s: string, from: number, end: number): number {
  if (end <= from) return -1;
  let v = 0;
  for (let j = from; j < end; j++) {
    const d = hexDigit(s.charCodeAt(j));
    if (d < 0) {
      // `zone_end=0x%lx, mode=%s`: a value may end in punctuation.
      return j > from && s.charCodeAt(j) === 44 /* , */ ? v : -1;
    }
    v = v * 16 + d;
  }
  return v;
}

/** Parses a (possibly negative, possibly 0x-prefixed) integer at `at`; NaN when none. */
function parseDecAt(s: string, at: number): number {
  let j = at;
  let neg = false;
  if (s.charCodeAt(j) === 45) {
    neg = true;
    j++;
  }
  if (s.charCodeAt(j) === 48 && s.charCodeAt(j + 1) === 120) {
    const v = parseHexRange(s, j + 2, wordEnd(s, j + 2));
    return v < 0 ? NaN : (neg ? -v : v);
  }
  let v = 0;
  const start = j;
  for (;; j++) {
    const c = s.charCodeAt(j);
    if (!(c >= 48 && c <= 57)) break; // NaN past the end must stop too
    v = v * 10 + (c - 48);
  }
  if (j === start) return NaN;
  return neg ? -v : v;
}

function numAt(s: string, key: string): number {
  const at = valueAt(s, key);
  return at < 0 ? NaN : parseDecAt(s, at);
}

function numOr(s: string, key: string, dflt: number): number {
  const v = numAt(s, key);
  return Number.isNaN(v) ? dflt : v;
}

function zoneIndexAt(s: string, at: number): number {
  const name = s.slice(at, wordEnd(s, at));
  const idx = ZONE_NAMES.indexOf(name as typeof ZONE_NAMES[number]);
  if (idx >= 0) return idx;
  const n = Number(name);
  return Number.isInteger(n) ? n : -1;
}

function zoneAt(s: string, key: string): number {
  const at = valueAt(s, key);
  return at < 0 ? -1 : zoneIndexAt(s, at);
}

function isNullPage(s: string): boolean {
  const at = valueAt(s, "page=");
  if (at < 0) return false;
  if (s.charCodeAt(at) === 40) return true; // (null) / (nil)
  const end = wordEnd(s, at);
  for (let k = s.charCodeAt(at + 1) === 120 ? at + 2 : at; k < end; k++) {
    if (s.charCodeAt(k) !== 48) return false;
  }
  return true;
}

function setPtrHex(b: EventBatch, i: number, s: string, at: number): void {
  let k = at;
  if (s.charCodeAt(k) === 48 && s.charCodeAt(k + 1) === 120) k += 2;
  const end = wordEnd(s, k);
  const split = end - 8;
  let hi = 0, lo = 0;
  for (let j = k; j < end; j++) {
    const d = hexDigit(s.charCodeAt(j));
    if (d < 0) break;
    if (j < split) hi = hi * 16 + d;
    else lo = lo * 16 + d;
  }
  b.ptrHi[i] = hi >>> 0;
  b.ptrLo[i] = lo >>> 0;
}

function setPtrDec(b: EventBatch, i: number, s: string, at: number): void {
  const v = BigInt(s.slice(at, wordEnd(s, at)));
  b.ptrHi[i] = Number((v >> 32n) & 0xffff_ffffn);
  b.ptrLo[i] = Number(v & 0xffff_ffffn);
}

export { TraceSyntaxError };
