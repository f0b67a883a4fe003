/**
 * The import phase end to end: bytes in any supported format (tracefs text, trace-cmd report,
 * perf script, trace.dat v6/v7; plain, gzip or zstd) → event batches → allocator calls in
 * timestamp order, plus one summary of what was read. Formats are detected from the content.
 *
 * @module
 */

import { CallBatch } from "./call_batch.ts";
import { CALL_NAMES } from "./call_kind.ts";
import { CallStream, type CallStreamStats } from "./call_stream.ts";
import { inputVerdict } from "./input_verdict.ts";
import type { Diagnostic } from "../trace/diagnostics.ts";
import { TraceSyntaxError } from "../trace/diagnostics.ts";
import type { EventBatch } from "../trace/event_batch.ts";
import { Ev, EVENT_NAMES } from "../trace/event_kind.ts";
import { type Compression, openTraceStream } from "../trace/input_stream.ts";
import { StringTable } from "../trace/string_table.ts";
import {
  detectLineFormat,
  kernelHint,
  type TextFormat,
  TextTraceParser,
  type TraceFeatures,
} from "../trace/text/text_parser.ts";
import { isTraceDat, TraceDatReader } from "../trace/tracedat/tracedat_reader.ts";

/** Every input format; "auto" detects. */
export type TraceFormat = TextFormat | "trace.dat";

/** Options of {@linkcode importTrace}. */
export interface ImportOptions {
  /** Force a format (default: detect from the content). */
  format?: TraceFormat | "auto";
  /** File name used in messages. */
  file?: string;
  /** The first malformed line or record is an error. */
  strict?: boolean;
  /** trace.dat instance to read (default: the one holding kmem events). */
  buffer?: string;
  /** Reorder window of the call stream in ns. */
  reorderWindowNs?: number;
  /** Called with the number of input bytes consumed so far (for progress bars). */
  onProgress?: (bytes: number) => void;
  /** Receives each event batch before it becomes calls (reused: consume inside). */
  onEvents?: (batch: EventBatch, strings: StringTable) => void;
  /** The string table to intern names into (default: a new one), so consumers can hold it first. */
  strings?: StringTable;
}

/**
 * What was read: the object behind `kmem stats --json` (a public contract, see README).
 */
export interface ImportSummary {
  file: string;
  format: TraceFormat;
  compression: Compression;
  /** Kernel features recognised from the event formats (text) or the file (trace.dat). */
  features: Partial<TraceFeatures> & { kernel: string; uname?: string; cpus?: number };
  timeNs: { first: number; last: number; span: number };
  events: { total: number; byKind: Record<string, number>; byCpu: Record<string, number> };
  /** Text: input lines. trace.dat: ring-buffer records (comment = 0). */
  lines: { total: number; parsed: number; unknown: number; malformed: number; comment: number };
  unknownEvents: Record<string, number>;
  lost: { markers: number; events: number };
  calls: {
    total: number;
    byKind: Record<string, number>;
    batchedAnnotated: number;
    batchedUnmatched: number;
    late: number;
  };
  diagnostics: { counts: Record<string, number>; examples: Diagnostic[] };
  /** Problems worth telling on stderr, e.g. a large share of malformed lines (see input_verdict). */
  warnings: string[];
}

/**
 * Reads a trace and delivers allocator calls to `sink` in timestamp order.
 * `input` is the raw (possibly compressed) byte stream; nothing here opens files.
 *
 * @example
 * ```ts
 * import { importTrace } from "./trace_import.ts";
 * const line = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0\n";
 * const s = await importTrace(ReadableStream.from([new TextEncoder().encode(line)]), () => {});
 * s.events.byKind.mm_page_free; // 1
 * ```
 */
export async function importTrace(
  input: ReadableStream<Uint8Array>,
  sink: (calls: CallBatch, strings: StringTable) => void,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const file = opts.file ?? "<input>";
  const opened = await openTraceStream(input);
  const strings = opts.strings ?? new StringTable();
  const calls = new CallStream((b) => sink(b, strings), {
    reorderWindowNs: opts.reorderWindowNs,
  });
  const onEvents = opts.onEvents;
  const toCalls = (b: EventBatch) => {
    onEvents?.(b, strings);
    calls.push(b);
  };
  let format: TraceFormat;
  const forced = opts.format && opts.format !== "auto" ? opts.format : null;
  if (forced === "trace.dat" || (!forced && isTraceDat(opened.head))) format = "trace.dat";
  else if (forced) format = forced;
  else {
    const detected = detectTextFormat(opened.head);
    if (detected === null) {
      throw new TraceSyntaxError(
        opened.head.length === 0
          ? "empty input: no trace events"
          : "unknown format: not tracefs text, trace-cmd report, perf script or trace.dat",
        { file, line: 1, text: firstLine(opened.head), code: "unknown-format" },
      );
    }
    format = detected;
  }

  if (format === "trace.dat") {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of opened.chunks) {
      parts.push(c);
      n += c.length;
      opts.onProgress?.(n);
    }
    const bytes = join(parts, n);
    const reader = new TraceDatReader(bytes, { file, strict: opts.strict, buffer: opts.buffer });
    let first = -1, last = -1;
    const byCpu: Record<string, number> = {};
    for (const b of reader.batches(strings)) {
      for (let i = 0; i < b.length; i++) {
        if (b.kind[i] === Ev.lost_events) continue;
        const ts = b.tsNs[i]!;
        if (first < 0) first = ts;
        if (ts > last) last = ts;
        const c = String(b.cpu[i]);
        byCpu[c] = (byCpu[c] ?? 0) + 1;
      }
      toCalls(b);
    }
    calls.end();
    const st = reader.stats;
    const byKind = kindCounts((i) => st.byKind[i] ?? 0);
    return withVerdict({
      file,
      format,
      compression: opened.compression,
      features: {
        kernel: reader.meta.uname || "unknown",
        uname: reader.meta.uname,
        cpus: reader.meta.cpus,
      },
      timeNs: { first, last, span: last >= first && first >= 0 ? last - first : 0 },
      events: { total: sum(byKind), byKind, byCpu },
      lines: { ...st.records, comment: 0 },
      unknownEvents: Object.fromEntries(st.unknownByName),
      lost: { markers: st.lost.markers, events: st.lost.events },
      calls: callSummary(calls.stats),
      diagnostics: st.diagnostics.toJSON(),
      warnings: [],
    });
  }

  const parser = new TextTraceParser(toCalls, {
    format,
    file,
    strict: opts.strict,
    strings,
  });
  let n = 0;
  for await (const c of opened.chunks) {
    parser.feed(c);
    n += c.length;
    opts.onProgress?.(n);
  }
  parser.end();
  calls.end();
  const byKind = kindCounts((i) => parser.byKind[i] ?? 0);
  const first = parser.firstTsNs, last = parser.lastTsNs;
  return withVerdict({
    file,
    format: parser.format ?? format,
    compression: opened.compression,
    features: { ...parser.features, kernel: kernelHint(parser.features) },
    timeNs: { first, last, span: first >= 0 ? last - first : 0 },
    events: {
      total: sum(byKind),
      byKind,
      byCpu: Object.fromEntries([...parser.byCpu].sort((a, b) => a[0] - b[0])),
    },
    lines: { ...parser.lines },
    unknownEvents: Object.fromEntries(parser.unknownEvents),
    lost: { markers: parser.lost.markers, events: parser.lost.events },
    calls: callSummary(calls.stats),
    diagnostics: parser.diagnostics.toJSON(),
    warnings: [],
  });
}

/** The summary with the verdict's warnings; throws when nothing was understood. */
function withVerdict(s: ImportSummary): ImportSummary {
  s.warnings.push(...inputVerdict(s));
  return s;
}

/**
 * Detects the text format from the first bytes of a trace (first event line wins).
 *
 * @example
 * ```ts
 * import { detectTextFormat } from "./trace_import.ts";
 * detectTextFormat(new TextEncoder().encode("cpus=2\n")); // "trace-cmd"
 * ```
 */
export function detectTextFormat(head: Uint8Array): TextFormat | null {
  const text = new TextDecoder().decode(head);
  const lines = text.split("\n");
  // The last piece may be cut in the middle; use it only if it is the whole input.
  const usable = lines.length > 1 ? lines.slice(0, -1) : lines;
  let tracefsHeader = false;
  for (const line of usable.slice(0, 2000)) {
    if (line.startsWith("# tracer:")) tracefsHeader = true;
    if (line.length === 0 || line.startsWith("#")) continue;
    const f = detectLineFormat(line);
    if (f !== null) return f;
  }
  // A tracefs `trace` file with its header and no events is a valid, empty trace.
  if (tracefsHeader && lines.length <= 2000) return "tracefs";
  return null;
}

function kindCounts(get: (i: number) => number): Record<string, number> {
  const out: Record<string, number> = {};
  EVENT_NAMES.forEach((name, i) => {
    if (name === "lost_events") return;
    const n = get(i);
    if (n > 0) out[name] = n;
  });
  return out;
}

function callSummary(s: CallStreamStats): ImportSummary["calls"] {
  const byKind: Record<string, number> = {};
  s.byKind.forEach((n, i) => {
    if (n > 0) byKind[CALL_NAMES[i]!] = n;
  });
  return {
    total: s.total,
    byKind,
    batchedAnnotated: s.batchedAnnotated,
    batchedUnmatched: s.batchedUnmatched,
    late: s.late,
  };
}

function sum(r: Record<string, number>): number {
  let t = 0;
  for (const v of Object.values(r)) t += v;
  return t;
}

function join(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function firstLine(head: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(head.subarray(0, 200));
  return text.split("\n")[0]!;
}

export { CallBatch };
