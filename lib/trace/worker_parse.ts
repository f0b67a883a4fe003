/**
 * Parsing on the second core: {@linkcode readTraceEventsInWorker} runs
 * {@linkcode readTraceEvents} in a worker (parse_worker.ts) and hands its batches to the caller,
 * which meanwhile turns the previous ones into calls and replays them. Output is identical to the
 * single-threaded path: the same code parses, batches arrive in order, and the caller's string
 * table mirrors the worker's (same ids, same order).
 *
 * The caller reads the input stream (it owns the I/O) and posts raw chunks when the worker asks;
 * batches travel as transferred typed-array buffers and go back for reuse after `onBatch`.
 *
 * @module
 */

import { TraceSyntaxError } from "./diagnostics.ts";
import { InputError } from "./diagnostics.ts";
import { assertNever } from "./assert_never.ts";
import { EventBatch, type EventBatchColumns } from "./event_batch.ts";
import type { StringTable } from "./string_table.ts";
import type { TraceEventsOptions, TraceEventsSummary } from "./trace_events.ts";

/** Batches the worker may have out at once (≈1.6 MB each): bounds memory when replay is slower. */
export const MAX_BATCHES_IN_FLIGHT = 4;

/** The options that cross to the worker (functions stay with the caller). */
type WorkerOptions = Omit<TraceEventsOptions, "onProgress">;

/** Caller → worker. */
export type ToParseWorker =
  | { type: "start"; opts: WorkerOptions }
  /** A raw input chunk, or null at the end of the input. */
  | { type: "chunk"; bytes: Uint8Array | null }
  /** A batch's buffers, back for reuse. */
  | { type: "free"; columns: EventBatchColumns };

/** An error thrown in the worker, with what the caller needs to throw the same one. */
export interface ParseWorkerError {
  type: "error";
  kind: "syntax" | "input" | "other";
  message: string;
  file: string;
  line: number;
  text: string;
  code: string;
}

/** Worker → caller. */
export type FromParseWorker =
  | { type: "need" }
  | {
    type: "batch";
    columns: EventBatchColumns;
    length: number;
    /** Strings interned since the previous batch, in id order. */
    strings: string[];
    /** Decompressed input bytes consumed so far. */
    bytes: number;
  }
  | { type: "done"; summary: TraceEventsSummary }
  | ParseWorkerError;

/** The buffers of a batch's columns, for postMessage's transfer list. */
export function batchTransferList(columns: EventBatchColumns): ArrayBuffer[] {
  return Object.values(columns).map((c) => c.buffer as ArrayBuffer);
}

/** An error as a message (the class does not survive structured cloning). */
export function serializeError(e: unknown): ParseWorkerError {
  const err = e instanceof Error ? e : new Error(String(e));
  const syntax = err instanceof TraceSyntaxError ? err : null;
  return {
    type: "error",
    kind: syntax ? "syntax" : err instanceof InputError ? "input" : "other",
    message: err.message,
    file: syntax?.file ?? "",
    line: syntax?.line ?? 0,
    text: syntax?.text ?? "",
    code: syntax?.code ?? "",
  };
}

/** The error the single-threaded path would have thrown (same class, same message). */
function reviveError(m: ParseWorkerError): Error {
  switch (m.kind) {
    case "syntax": {
      const e = new TraceSyntaxError("", {
        file: m.file,
        line: m.line,
        text: m.text,
        code: m.code,
      });
      e.message = m.message;
      return e;
    }
    case "input":
      return new InputError(m.message);
    case "other":
      return new Error(m.message);
    default:
      return assertNever(m.kind);
  }
}

/**
 * {@linkcode readTraceEvents} with the parsing (and decompression) in a worker. `strings` must
 * be fresh (only ""); it receives the worker's strings before each batch that uses them.
 *
 * @example
 * ```ts
 * import { readTraceEventsInWorker } from "./worker_parse.ts";
 * import { StringTable } from "./string_table.ts";
 * const line = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0\n";
 * let rows = 0;
 * const s = await readTraceEventsInWorker(
 *   ReadableStream.from([new TextEncoder().encode(line)]),
 *   (b) => {
 *     rows += b.length;
 *   },
 *   new StringTable(),
 * );
 * [s.events.total, rows]; // [1, 1]
 * ```
 */
export function readTraceEventsInWorker(
  input: ReadableStream<Uint8Array>,
  onBatch: (batch: EventBatch) => void,
  strings: StringTable,
  opts: TraceEventsOptions = {},
): Promise<TraceEventsSummary> {
  const worker = new Worker(new URL("./parse_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const reader = input.getReader();
  const { onProgress, ...workerOpts } = opts;
  return new Promise<TraceEventsSummary>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      worker.terminate();
      reader.cancel().catch(() => {});
      f();
    };
    const post = (m: ToParseWorker, transfer: Transferable[] = []) =>
      worker.postMessage(m, transfer);
    const feed = async () => {
      const r = await reader.read();
      if (r.done) return post({ type: "chunk", bytes: null });
      // Transfer the chunk when it owns its buffer, else copy it.
      const v = r.value;
      const own = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : v.slice();
      post({ type: "chunk", bytes: own }, [own.buffer as ArrayBuffer]);
    };
    worker.onmessage = (e: MessageEvent<FromParseWorker>) => {
      if (settled) return;
      const m = e.data;
      switch (m.type) {
        case "need":
          feed().catch((err) => settle(() => reject(err)));
          break;
        case "batch": {
          for (const s of m.strings) {
            const id = strings.size;
            if (strings.intern(s) !== id) {
              settle(() => reject(new Error(`parse worker: string table out of step at ${s}`)));
              return;
            }
          }
          const b = new EventBatch(m.columns.kind.length, m.columns);
          b.length = m.length;
          try {
            onBatch(b);
          } catch (err) {
            settle(() => reject(err));
            return;
          }
          onProgress?.(m.bytes);
          post({ type: "free", columns: m.columns }, batchTransferList(m.columns));
          break;
        }
        case "done":
          settle(() => resolve(m.summary));
          break;
        case "error":
          settle(() => reject(reviveError(m)));
          break;
        default:
          assertNever(m);
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      settle(() => reject(new Error(`parse worker failed: ${e.message}`)));
    };
    post({ type: "start", opts: workerOpts });
  });
}
