/**
 * The import phase end to end: bytes in any supported format (tracefs text, trace-cmd report,
 * perf script, trace.dat v6/v7; plain, gzip or zstd) → event batches → allocator calls in
 * timestamp order, plus one summary of what was read. Formats are detected from the content.
 * With `worker`, parsing and decompression run in a worker thread (lib/trace/worker_parse.ts)
 * while this thread builds the calls and whatever consumes them; the output is the same.
 *
 * @module
 */

import { CallBatch } from "./call_batch.ts";
import { CALL_NAMES } from "./call_kind.ts";
import { CallStream, type CallStreamStats } from "./call_stream.ts";
import { inputVerdict } from "./input_verdict.ts";
import type { EventBatch } from "../trace/event_batch.ts";
import { StringTable } from "../trace/string_table.ts";
import {
  detectTextFormat,
  readTraceEvents,
  type TraceEventsOptions,
  type TraceEventsSummary,
  type TraceFormat,
} from "../trace/trace_events.ts";
import { readTraceEventsInWorker } from "../trace/worker_parse.ts";

export { detectTextFormat, type TraceFormat };

/** Options of {@linkcode importTrace}. */
export interface ImportOptions extends TraceEventsOptions {
  /** Reorder window of the call stream in ns. */
  reorderWindowNs?: number;
  /** Receives each event batch before it becomes calls (reused: consume inside). */
  onEvents?: (batch: EventBatch, strings: StringTable) => void;
  /** The string table to intern names into (default: a new one), so consumers can hold it first. */
  strings?: StringTable;
  /**
   * Parse (and decompress) in a worker thread while this thread builds calls and replays
   * (default false: one thread). The result is identical either way.
   */
  worker?: boolean;
}

/**
 * What was read: the object behind `kmem stats --json` (a public contract, see README).
 */
export interface ImportSummary extends TraceEventsSummary {
  calls: {
    total: number;
    byKind: Record<string, number>;
    batchedAnnotated: number;
    batchedUnmatched: number;
    late: number;
  };
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
  const strings = opts.strings ?? new StringTable();
  const calls = new CallStream((b) => sink(b, strings), {
    reorderWindowNs: opts.reorderWindowNs,
  });
  const onEvents = opts.onEvents;
  const toCalls = (b: EventBatch) => {
    onEvents?.(b, strings);
    calls.push(b);
  };
  const { worker, reorderWindowNs: _w, onEvents: _e, strings: _s, ...readOpts } = opts;
  // The worker's string ids are mirrored in order, so the table must start empty.
  const s = worker && strings.size === 1
    ? await readTraceEventsInWorker(input, toCalls, strings, readOpts)
    : await readTraceEvents(input, toCalls, strings, readOpts);
  calls.end();
  // Field order is the JSON order of `kmem stats --json`.
  return withVerdict({
    file: s.file,
    format: s.format,
    compression: s.compression,
    features: s.features,
    timeNs: s.timeNs,
    events: s.events,
    lines: s.lines,
    unknownEvents: s.unknownEvents,
    lost: s.lost,
    calls: callSummary(calls.stats),
    diagnostics: s.diagnostics,
    warnings: [],
  });
}

/** The summary with the verdict's warnings; throws when nothing was understood. */
function withVerdict(s: ImportSummary): ImportSummary {
  s.warnings.push(...inputVerdict(s));
  return s;
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

export { CallBatch };
