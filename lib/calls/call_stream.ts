/**
 * The calls phase: turns parsed event batches into allocator calls in timestamp order.
 *
 * - Each event becomes one call ({@linkcode callOfEvent}); `mm_page_free_batched` is not a call
 *   but an annotation: the matching `mm_page_free` (same CPU and pfn, up to a folio batch
 *   earlier, or — before v4.15 — the next one) gets the BATCHED flag.
 * - Text output from several CPUs can interleave slightly out of order, so calls pass through a
 *   bounded reorder window (by time and rows) and are re-sorted stably; anything older than what
 *   was already delivered is delivered at once and counted as `late`.
 * - Rows are copied once, into the window; the sink gets views of the window's sorted rows
 *   (at most `batchRows` each), so delivery itself copies nothing.
 *
 * @module
 */

import { DEFAULT_BATCH_ROWS, type EventBatch, EventFlag } from "../trace/event_batch.ts";
import { Ev } from "../trace/event_kind.ts";
import { CallBatch } from "./call_batch.ts";
import { CALL_KIND_COUNT, callOfEvent } from "./call_kind.ts";

/** Options of {@linkcode CallStream}. */
export interface CallStreamOptions {
  /** Calls are held until they are this much older than the newest one (default 2 ms). */
  reorderWindowNs?: number;
  /** Rows per delivered batch. */
  batchRows?: number;
  /** Upper bound on rows held in the window (default 8 batches). */
  maxPendingRows?: number;
}

/** Counters of the calls phase. */
export interface CallStreamStats {
  /** Calls delivered per call kind. */
  byKind: Float64Array;
  /** Calls delivered in total. */
  total: number;
  /** mm_page_free calls annotated by an mm_page_free_batched. */
  batchedAnnotated: number;
  /** mm_page_free_batched events with no matching mm_page_free. */
  batchedUnmatched: number;
  /** Calls that arrived after newer calls had already been delivered. */
  late: number;
  /** Times the window was full and its older half was delivered early. */
  windowOverflows: number;
}

/**
 * How far back (rows) a batched event looks for its mm_page_free. Usually a folio batch (31)
 * back, but in the shared 6.18 capture a few batched events come 2023 lines (1.8 ms) after
 * their free (`rm` freeing buffer heads), so the window keeps a few thousand rows.
 */
const BATCHED_LOOKBACK_ROWS = 4096;

/**
 * Push-based normalizer: `push()` event batches, get {@linkcode CallBatch}es in timestamp order
 * through the sink; `end()` flushes. A delivered batch is a view of internal storage that is
 * overwritten afterwards: consume (or copy) it inside the sink.
 *
 * @example
 * ```ts
 * import { CallStream } from "./call_stream.ts";
 * import { EventBatch } from "../trace/event_batch.ts";
 * import { Ev } from "../trace/event_kind.ts";
 * const s = new CallStream((calls) => console.log(calls.length));
 * const b = new EventBatch(4);
 * const i = b.push(Ev.mm_page_free, 10, 0);
 * b.pfn[i] = 5;
 * b.order[i] = 0;
 * s.push(b);
 * s.end(); // prints 1
 * ```
 */
export class CallStream {
  readonly stats: CallStreamStats = {
    byKind: new Float64Array(CALL_KIND_COUNT),
    total: 0,
    batchedAnnotated: 0,
    batchedUnmatched: 0,
    late: 0,
    windowOverflows: 0,
  };
  readonly #sink: (b: CallBatch) => void;
  readonly #windowNs: number;
  readonly #maxPending: number;
  #pending: CallBatch;
  /** Target of the sort; made on the first out-of-order input (sorted input never needs it). */
  #spare: CallBatch | null = null;
  /** Late rows waiting for delivery (arrival order). */
  readonly #out: CallBatch;
  readonly #rows: number;
  #maxTs = -Infinity;
  #lastDeliveredTs = -Infinity;
  #sorted = true;
  /** pfn of an mm_page_free_batched waiting for its mm_page_free, per CPU (≤ v4.14 order). */
  readonly #batchedFirst = new Map<number, number>();

  constructor(sink: (b: CallBatch) => void, opts: CallStreamOptions = {}) {
    this.#sink = sink;
    this.#windowNs = opts.reorderWindowNs ?? 2_000_000;
    const rows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
    this.#maxPending = Math.max(opts.maxPendingRows ?? rows * 8, BATCHED_LOOKBACK_ROWS * 2);
    this.#pending = new CallBatch(this.#maxPending);
    this.#out = new CallBatch(rows);
    this.#rows = rows;
  }

  /** Adds a batch of events (any order within the window). */
  push(ev: EventBatch): void {
    for (let i = 0; i < ev.length; i++) {
      const kind = ev.kind[i]!;
      if (kind === Ev.mm_page_free_batched) {
        this.#annotateBatched(ev.cpu[i]!, ev.pfn[i]!);
        continue;
      }
      const call = callOfEvent(kind);
      if (call < 0) continue;
      if (this.#pending.full) this.#flush(true);
      const ts = ev.tsNs[i]!;
      if (ts < this.#lastDeliveredTs) {
        // Too late to reorder: deliver now, in arrival order.
        this.stats.late++;
        this.#deliverRow(ev, i, call);
        continue;
      }
      const j = this.#pending.copyRow(ev, i);
      this.#pending.call[j] = call;
      if (kind === Ev.mm_page_free) this.#maybeBatchedFirst(j);
      if (ts < this.#maxTs) this.#sorted = false;
      else this.#maxTs = ts;
    }
    if (this.#pending.length > this.#maxPending / 2) this.#flush(false);
  }

  /** Delivers everything still held. */
  end(): void {
    this.#sortPending();
    this.#deliverPending(this.#pending.length);
    this.#emitOut();
    for (const _ of this.#batchedFirst) this.stats.batchedUnmatched++;
    this.#batchedFirst.clear();
  }

  #annotateBatched(cpu: number, pfn: number): void {
    const p = this.#pending;
    const stop = Math.max(0, p.length - BATCHED_LOOKBACK_ROWS);
    for (let j = p.length - 1; j >= stop; j--) {
      if (
        p.kind[j] === Ev.mm_page_free && p.pfn[j] === pfn && p.cpu[j] === cpu &&
        (p.flags[j]! & EventFlag.BATCHED) === 0
      ) {
        p.flags[j] = p.flags[j]! | EventFlag.BATCHED;
        this.stats.batchedAnnotated++;
        return;
      }
    }
    // Before v4.15 the batched event came first: remember it for the next free on this CPU.
    if (this.#batchedFirst.has(cpu)) this.stats.batchedUnmatched++;
    this.#batchedFirst.set(cpu, pfn);
  }

  #maybeBatchedFirst(j: number): void {
    const p = this.#pending;
    const cpu = p.cpu[j]!;
    const want = this.#batchedFirst.get(cpu);
    if (want === undefined) return;
    this.#batchedFirst.delete(cpu);
    if (want === p.pfn[j]) {
      p.flags[j] = p.flags[j]! | EventFlag.BATCHED;
      this.stats.batchedAnnotated++;
    } else this.stats.batchedUnmatched++;
  }

  #flush(forced: boolean): void {
    this.#sortPending();
    const p = this.#pending;
    const cutoff = this.#maxTs - this.#windowNs;
    // Keep the newest rows so that a batched annotation can still find its free.
    let n = 0;
    const keepFrom = Math.max(0, p.length - BATCHED_LOOKBACK_ROWS);
    while (n < keepFrom && p.tsNs[n]! <= cutoff) n++;
    if (forced && n < p.length / 2) {
      this.stats.windowOverflows++;
      n = Math.floor(p.length / 2);
    }
    this.#deliverPending(n);
  }

  #sortPending(): void {
    if (this.#sorted) return;
    const p = this.#pending;
    const idx = new Uint32Array(p.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    const ts = p.tsNs;
    // Stable: equal timestamps keep their input order.
    idx.sort((x, y) => (ts[x]! - ts[y]!) || (x - y));
    const s = this.#spare ?? new CallBatch(this.#maxPending);
    s.clear();
    for (let k = 0; k < idx.length; k++) {
      const j = s.copyRow(p, idx[k]!);
      s.call[j] = p.call[idx[k]!]!;
    }
    this.#spare = p;
    this.#pending = s;
    this.#sorted = true;
  }

  /**
   * Delivers the first n pending rows (already sorted) as views of at most `batchRows` rows, then
   * moves the rest to the front.
   */
  #deliverPending(n: number): void {
    if (n === 0) return;
    this.#emitOut(); // late rows were delivered "at once": they go before newer ones
    const p = this.#pending;
    const byKind = this.stats.byKind;
    const call = p.call;
    for (let i = 0; i < n; i++) byKind[call[i]!]!++;
    this.stats.total += n;
    const lastTs = p.tsNs[n - 1]!; // sorted: the newest delivered row
    if (lastTs > this.#lastDeliveredTs) this.#lastDeliveredTs = lastTs;
    const columns = batchColumns(p);
    for (let at = 0; at < n; at += this.#rows) {
      this.#sink(viewOf(columns, at, Math.min(this.#rows, n - at)));
    }
    const rest = p.length - n;
    if (rest > 0) { for (const c of columns) c.copyWithin(0, n, p.length); }
    p.length = rest;
  }

  /** Delivers one late row through the `out` batch. */
  #deliverRow(src: EventBatch, i: number, call: number): void {
    if (this.#out.full) this.#emitOut();
    const j = this.#out.copyRow(src, i);
    this.#out.call[j] = call;
    this.stats.byKind[call]!++;
    this.stats.total++;
    const ts = src.tsNs[i]!;
    if (ts > this.#lastDeliveredTs) this.#lastDeliveredTs = ts;
  }

  #emitOut(): void {
    if (this.#out.length === 0) return;
    this.#sink(this.#out);
    this.#out.clear();
  }
}

type Column =
  | Uint8Array
  | Uint16Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | Float64Array;

const COLUMN_NAMES: string[] = [];

/** The typed-array columns of a call batch (found once from an instance, so none is missed). */
function batchColumns(b: CallBatch): Column[] {
  const rec = b as unknown as Record<string, Column>;
  if (COLUMN_NAMES.length === 0) {
    for (const k of Object.keys(b)) if (ArrayBuffer.isView(rec[k])) COLUMN_NAMES.push(k);
  }
  return COLUMN_NAMES.map((k) => rec[k]!);
}

/**
 * A CallBatch whose columns are views of rows [at, at + n) of `columns`. Built from a real (empty)
 * CallBatch so it has the same hidden class as the batches consumers see otherwise.
 */
function viewOf(columns: Column[], at: number, n: number): CallBatch {
  const v = new CallBatch(0);
  const rec = v as unknown as Record<string, unknown>;
  for (let c = 0; c < columns.length; c++) rec[COLUMN_NAMES[c]!] = columns[c]!.subarray(at, at + n);
  rec.capacity = n;
  v.length = n;
  return v;
}
