/**
 * The parse worker: reads (and decompresses) a trace in its own thread while the caller replays.
 * Raw input chunks come from the caller on request ("need"), event batches go back as
 * transferred typed-array columns with the strings interned since the previous batch; the caller
 * returns each batch's buffers ("free") for reuse, and the worker asks for input only while fewer
 * than {@linkcode MAX_BATCHES_IN_FLIGHT} batches are out, so memory stays bounded. The protocol
 * is in worker_parse.ts (the caller's side).
 *
 * @module
 */

import { assertNever } from "./assert_never.ts";
import { EventBatch } from "./event_batch.ts";
import { StringTable } from "./string_table.ts";
import { readTraceEvents } from "./trace_events.ts";
import {
  batchTransferList,
  MAX_BATCHES_IN_FLIGHT,
  serializeError,
  type ToParseWorker,
} from "./worker_parse.ts";

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToParseWorker>) => void) | null;
}

/** One run of the worker: its pending input request, free batches and flow control. */
class ParseRun {
  readonly #scope: WorkerScope;
  readonly #free: EventBatch[] = [];
  #inFlight = 0;
  #chunkWaiter: ((bytes: Uint8Array | null) => void) | null = null;
  /** Resolved when fewer than MAX_BATCHES_IN_FLIGHT are out; every sender may wait on it. */
  #belowLimit: { promise: Promise<void>; resolve: () => void } | null = null;
  #sentStrings = 1; // id 0 ("") exists on both sides
  #bytes = 0;

  constructor(scope: WorkerScope) {
    this.#scope = scope;
  }

  chunk(bytes: Uint8Array | null): void {
    const w = this.#chunkWaiter;
    this.#chunkWaiter = null;
    w?.(bytes);
  }

  free(batch: EventBatch): void {
    this.#free.push(batch);
    this.#inFlight--;
    if (this.#belowLimit && this.#inFlight < MAX_BATCHES_IN_FLIGHT) {
      this.#belowLimit.resolve();
      this.#belowLimit = null;
    }
  }

  async run(opts: Extract<ToParseWorker, { type: "start" }>["opts"]): Promise<void> {
    const strings = new StringTable();
    const input = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const bytes = await new Promise<Uint8Array | null>((resolve) => {
          this.#chunkWaiter = resolve;
          this.#scope.postMessage({ type: "need" });
        });
        if (bytes === null) controller.close();
        else controller.enqueue(bytes);
      },
    });
    const summary = await readTraceEvents(input, (b) => this.#send(b, strings), strings, {
      ...opts,
      onProgress: (n) => {
        this.#bytes = n;
      },
    });
    this.#scope.postMessage({ type: "done", summary });
  }

  /** Copies the parser's (reused) batch into a free one and posts it; waits while too many are out. */
  #send(b: EventBatch, strings: StringTable): Promise<void> | void {
    const out = this.#free.pop() ?? new EventBatch(b.capacity);
    out.copyFrom(b);
    const added: string[] = [];
    for (let i = this.#sentStrings; i < strings.size; i++) added.push(strings.get(i));
    this.#sentStrings = strings.size;
    const columns = out.columns();
    this.#inFlight++;
    this.#scope.postMessage(
      { type: "batch", columns, length: out.length, strings: added, bytes: this.#bytes },
      batchTransferList(columns),
    );
    if (this.#inFlight < MAX_BATCHES_IN_FLIGHT) return;
    // One shared promise: several batches of one input chunk may all wait on it.
    this.#belowLimit ??= Promise.withResolvers<void>();
    return this.#belowLimit.promise;
  }
}

/** Serves one parse per worker: the first "start" begins it, later messages feed it. */
function serve(scope: WorkerScope): void {
  let current: ParseRun | null = null;
  scope.onmessage = (e) => {
    const m = e.data;
    switch (m.type) {
      case "start":
        current = new ParseRun(scope);
        current.run(m.opts).catch((err) => scope.postMessage(serializeError(err)));
        break;
      case "chunk":
        current?.chunk(m.bytes);
        break;
      case "free":
        current?.free(new EventBatch(m.columns.kind.length, m.columns));
        break;
      default:
        assertNever(m);
    }
  };
}

serve(self as unknown as WorkerScope);
