/**
 * The parse phase on its own: bytes in any supported format (tracefs text, trace-cmd report,
 * perf script, trace.dat v6/v7; plain, gzip or zstd) → event batches, plus what was read. The
 * same code runs in the caller's thread or in a parse worker (worker_parse.ts); the call stream
 * (lib/calls) is built on top of it.
 *
 * @module
 */

import { concatBytes } from "./concat_bytes.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { TraceSyntaxError } from "./diagnostics.ts";
import type { EventBatch } from "./event_batch.ts";
import { Ev, EVENT_NAMES } from "./event_kind.ts";
import { type Compression, openTraceStream } from "./input_stream.ts";
import type { StringTable } from "./string_table.ts";
import {
  detectLineFormat,
  kernelHint,
  type TextFormat,
  TextTraceParser,
  type TraceFeatures,
} from "./text/text_parser.ts";
import { isTraceDat, TraceDatReader } from "./tracedat/tracedat_reader.ts";

/** Every input format; "auto" detects. */
export type TraceFormat = TextFormat | "trace.dat";

/** Options of {@linkcode readTraceEvents}. */
export interface TraceEventsOptions {
  /** Force a format (default: detect from the content). */
  format?: TraceFormat | "auto";
  /** File name used in messages. */
  file?: string;
  /** The first malformed line or record is an error. */
  strict?: boolean;
  /** trace.dat instance to read (default: the one holding kmem events). */
  buffer?: string;
  /** Called with the number of (decompressed) input bytes consumed so far. */
  onProgress?: (bytes: number) => void;
}

/** What was read, without the call stream's part (see ImportSummary in lib/calls). */
export interface TraceEventsSummary {
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
  diagnostics: { counts: Record<string, number>; examples: Diagnostic[] };
}

/**
 * Reads a trace and hands each event batch to `onBatch` (the same object is reused: consume it
 * inside). `input` is the raw (possibly compressed) byte stream; nothing here opens files.
 * `onBatch` may return a promise to slow the reader down (a worker waiting for free buffers).
 *
 * @example
 * ```ts
 * import { readTraceEvents } from "./trace_events.ts";
 * import { StringTable } from "./string_table.ts";
 * const line = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0\n";
 * let rows = 0;
 * const s = await readTraceEvents(
 *   ReadableStream.from([new TextEncoder().encode(line)]),
 *   (b) => {
 *     rows += b.length;
 *   },
 *   new StringTable(),
 * );
 * [s.events.total, rows]; // [1, 1]
 * ```
 */
export async function readTraceEvents(
  input: ReadableStream<Uint8Array>,
  onBatch: (batch: EventBatch) => void | Promise<void>,
  strings: StringTable,
  opts: TraceEventsOptions = {},
): Promise<TraceEventsSummary> {
  const file = opts.file ?? "<input>";
  const opened = await openTraceStream(input, undefined, file);
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
    const bytes = parts.length === 1 ? parts[0]! : concatBytes(parts, n);
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
      const wait = onBatch(b);
      if (wait) await wait;
    }
    const st = reader.stats;
    const byKind = kindCounts((i) => st.byKind[i] ?? 0);
    return {
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
      diagnostics: st.diagnostics.toJSON(),
    };
  }

  // The text parser hands batches over synchronously inside feed(); a returned promise (flow
  // control) is awaited before the next chunk is fed.
  let wait: Promise<void> | null = null;
  const parser = new TextTraceParser((b) => {
    const w = onBatch(b);
    if (w) wait = wait ? wait.then(() => w) : w;
  }, {
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
    if (wait) {
      await wait;
      wait = null;
    }
  }
  parser.end();
  if (wait) await wait;
  const byKind = kindCounts((i) => parser.byKind[i] ?? 0);
  const first = parser.firstTsNs, last = parser.lastTsNs;
  return {
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
    diagnostics: parser.diagnostics.toJSON(),
  };
}

/**
 * Detects the text format from the first bytes of a trace (first event line wins).
 *
 * @example
 * ```ts
 * import { detectTextFormat } from "./trace_events.ts";
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

function sum(r: Record<string, number>): number {
  let t = 0;
  for (const v of Object.values(r)) t += v;
  return t;
}

function firstLine(head: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(head.subarray(0, 200));
  return text.split("\n")[0]!;
}
