/**
 * Reclaim and compaction as the trace recorded them (include/trace/events/vmscan.h,
 * compaction.h): pages scanned and reclaimed by reclaim context over time, slab shrinking by
 * shrinker, compaction outcomes, and the stalls (begin → end) of each task. Exact totals; the
 * rate series has at most `maxBuckets` buckets over the trace.
 *
 * @module
 */

import type { EventBatch } from "../trace/event_batch.ts";
import { Ev } from "../trace/event_kind.ts";
import { EventField } from "../trace/event_schema.ts";
import type { StringTable } from "../trace/string_table.ts";

/**
 * Who ran the LRU scan: kswapd, a task in direct reclaim, in memcg (limit) reclaim, in memcg
 * softlimit reclaim, in node reclaim, or none of these (proactive reclaim such as
 * `memory.reclaim` or DAMON's mm_vmscan_reclaim_pages, or a scan whose begin was not traced).
 */
export const RECLAIM_CONTEXTS = [
  "kswapd",
  "direct",
  "memcg",
  "memcg_softlimit",
  "node",
  "other",
] as const;
/** A reclaim context name. */
export type ReclaimContext = typeof RECLAIM_CONTEXTS[number];

/** Reclaim and compaction stalls timed begin → end per task (throttling: the time slept). */
export const STALL_KINDS = [
  "direct_reclaim",
  "memcg_reclaim",
  "memcg_softlimit_reclaim",
  "node_reclaim",
  "compaction",
  "throttled",
] as const;
/** A stall kind name. */
export type StallKind = typeof STALL_KINDS[number];

const CTX_KSWAPD = 0;
const CTX_DIRECT = 1;
const CTX_MEMCG = 2;
const CTX_SOFTLIMIT = 3;
const CTX_NODE = 4;
const CTX_OTHER = 5;

const STALL_DIRECT = 0;
const STALL_MEMCG = 1;
const STALL_SOFTLIMIT = 2;
const STALL_NODE = 3;
const STALL_COMPACTION = 4;
const STALL_THROTTLED = 5;

/** Pages scanned and reclaimed by one context over the whole trace. */
export interface ReclaimContextRow {
  context: ReclaimContext;
  /** Reclaim runs: kswapd wakes, or begin events of the context (0 for "other"). */
  runs: number;
  /** Σ nr_scanned of mm_vmscan_lru_shrink_inactive and mm_vmscan_reclaim_pages, pages. */
  scannedPages: number;
  /** Σ nr_reclaimed of the same events, pages. */
  reclaimedPages: number;
  /** Σ nr_reclaimed of the context's end events (direct, memcg, softlimit, node), pages. */
  endReclaimedPages: number;
  /** reclaimed / scanned (NaN when nothing was scanned). */
  efficiency: number;
}

/** One time bucket of one context. */
export interface ReclaimRateRow {
  startS: number;
  endS: number;
  context: ReclaimContext;
  scannedPerS: number;
  reclaimedPerS: number;
}

/** One shrinker (its scan function, as `%pS` prints it). */
export interface ShrinkerRow {
  shrinker: string;
  /** do_shrink_slab() calls (mm_shrink_slab_start). */
  calls: number;
  /** Σ total_scan at start: objects asked to be scanned. */
  objectsToScan: number;
  /** Σ last shrinker return val at end: objects freed. */
  objectsFreed: number;
  /** Largest cache_items seen (objects in the cache). */
  cacheItemsMax: number;
}

/** Stalls of one kind by one comm. */
export interface StallRow {
  kind: StallKind;
  comm: string;
  stalls: number;
  totalMs: number;
  maxMs: number;
}

/** Compaction as traced. */
export interface CompactionTotals {
  /** mm_compaction_end status → count (`success`, `complete`, `partial_skipped`, …). */
  endStatus: Record<string, number>;
  /** mm_compaction_suitable ret → count. */
  suitable: Record<string, number>;
  /** mm_compaction_finished ret → count. */
  finished: Record<string, number>;
  begins: number;
  tryToCompact: number;
  deferred: number;
  deferCompaction: number;
  deferReset: number;
  kcompactdWakes: number;
  wakeupKcompactd: number;
  /** Σ nr_migrated / nr_failed of mm_compaction_migratepages, pages. */
  migratedPages: number;
  migrateFailedPages: number;
  /** Σ nr_taken of isolate_migratepages / isolate_freepages (+ fast), pages. */
  isolatedMigratePages: number;
  isolatedFreePages: number;
}

/** Everything as plain data. */
export interface ReclaimMetricsResult {
  /** vmscan and compaction events seen. */
  events: number;
  byContext: ReclaimContextRow[];
  /** Width of one rate bucket, seconds. */
  bucketS: number;
  rate: ReclaimRateRow[];
  /** Σ nr_scanned / nr_taken of mm_vmscan_lru_isolate by LRU list, pages. */
  isolateByLru: { lru: string; scannedPages: number; takenPages: number }[];
  shrinkers: ShrinkerRow[];
  compaction: CompactionTotals;
  stalls: StallRow[];
  /** mm_vmscan_throttled by reason: count and Σ usec_delayed (ms). */
  throttled: { reason: string; count: number; delayedMs: number }[];
  /** mm_vmscan_write_folio count by reclaim flags. */
  writeFolios: Record<string, number>;
}

/** Growable column of numbers (no per-event objects). */
class Column {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Collects reclaim and compaction events.
 *
 * @example
 * ```ts
 * import { ReclaimMetrics } from "./reclaim_metrics.ts";
 * import { EventBatch } from "../trace/event_batch.ts";
 * import { Ev } from "../trace/event_kind.ts";
 * import { EventFieldSet } from "../trace/event_schema.ts";
 * import { StringTable } from "../trace/string_table.ts";
 * const st = new StringTable();
 * const b = new EventBatch(4);
 * let i = b.push(Ev.mm_vmscan_lru_shrink_inactive, 1e9, 0);
 * b.comm[i] = st.intern("kswapd0");
 * EventFieldSet.shrinkInactive.nrScanned(b, i, 64);
 * EventFieldSet.shrinkInactive.nrReclaimed(b, i, 48);
 * const m = new ReclaimMetrics();
 * m.add(b, i, st);
 * m.finish().byContext[0]; // { context: "kswapd", runs: 0, scannedPages: 64, reclaimedPages: 48, endReclaimedPages: 0, efficiency: 0.75 }
 * ```
 */
export class ReclaimMetrics {
  #events = 0;
  readonly #runs = new Float64Array(RECLAIM_CONTEXTS.length);
  readonly #scanned = new Float64Array(RECLAIM_CONTEXTS.length);
  readonly #reclaimed = new Float64Array(RECLAIM_CONTEXTS.length);
  readonly #endReclaimed = new Float64Array(RECLAIM_CONTEXTS.length);
  // LRU-scan samples for the rate series: time, context, scanned, reclaimed.
  readonly #ts = new Column();
  readonly #ctx = new Column();
  readonly #sc = new Column();
  readonly #rc = new Column();
  #firstTs = Infinity;
  #lastTs = -Infinity;
  /** Open reclaim of each pid: context code (pid → ctx). */
  readonly #openCtx = new Map<number, number>();
  /** Open stalls: (pid * 8 + kind) → begin ts. */
  readonly #openStall = new Map<number, number>();
  /** (kind, comm) → [stalls, total ns, max ns]. */
  readonly #stalls = new Map<string, [number, number, number]>();
  readonly #isolate = new Map<string, [number, number]>();
  readonly #shrinkers = new Map<string, ShrinkerRow>();
  readonly #throttled = new Map<string, [number, number]>();
  readonly #writeFolios = new Map<string, number>();
  readonly #compaction: CompactionTotals = {
    endStatus: {},
    suitable: {},
    finished: {},
    begins: 0,
    tryToCompact: 0,
    deferred: 0,
    deferCompaction: 0,
    deferReset: 0,
    kcompactdWakes: 0,
    wakeupKcompactd: 0,
    migratedPages: 0,
    migrateFailedPages: 0,
    isolatedMigratePages: 0,
    isolatedFreePages: 0,
  };

  constructor(readonly maxBuckets = 120) {}

  /** Row `i` of `b` when it is a vmscan or compaction event (other events are ignored). */
  add(b: EventBatch, i: number, st: StringTable): void {
    const kind = b.kind[i]!;
    const ts = b.tsNs[i]!;
    const pid = b.pid[i]!;
    switch (kind) {
      case Ev.mm_vmscan_kswapd_wake:
        this.#runs[CTX_KSWAPD]!++;
        break;
      case Ev.mm_vmscan_direct_reclaim_begin:
        this.#begin(pid, ts, CTX_DIRECT, STALL_DIRECT);
        break;
      case Ev.mm_vmscan_memcg_reclaim_begin:
        this.#begin(pid, ts, CTX_MEMCG, STALL_MEMCG);
        break;
      case Ev.mm_vmscan_memcg_softlimit_reclaim_begin:
        this.#begin(pid, ts, CTX_SOFTLIMIT, STALL_SOFTLIMIT);
        break;
      case Ev.mm_vmscan_node_reclaim_begin:
        this.#begin(pid, ts, CTX_NODE, STALL_NODE);
        break;
      case Ev.mm_vmscan_direct_reclaim_end:
        this.#end(b, i, st, CTX_DIRECT, STALL_DIRECT);
        break;
      case Ev.mm_vmscan_memcg_reclaim_end:
        this.#end(b, i, st, CTX_MEMCG, STALL_MEMCG);
        break;
      case Ev.mm_vmscan_memcg_softlimit_reclaim_end:
        this.#end(b, i, st, CTX_SOFTLIMIT, STALL_SOFTLIMIT);
        break;
      case Ev.mm_vmscan_node_reclaim_end:
        this.#end(b, i, st, CTX_NODE, STALL_NODE);
        break;
      case Ev.mm_vmscan_lru_shrink_inactive:
        this.#scan(
          b,
          i,
          st,
          EventField.shrinkInactive.nrScanned(b, i),
          EventField.shrinkInactive.nrReclaimed(b, i),
        );
        break;
      case Ev.mm_vmscan_reclaim_pages:
        this.#scan(
          b,
          i,
          st,
          EventField.reclaimPages.nrScanned(b, i),
          EventField.reclaimPages.nrReclaimed(b, i),
        );
        break;
      case Ev.mm_vmscan_lru_isolate: {
        const lru = st.get(b.name[i]!) || "?";
        const r = this.#isolate.get(lru) ?? [0, 0];
        r[0] += Math.max(0, EventField.lruIsolate.nrScanned(b, i));
        r[1] += Math.max(0, EventField.lruIsolate.nrTaken(b, i));
        this.#isolate.set(lru, r);
        break;
      }
      case Ev.mm_shrink_slab_start: {
        const s = this.#shrinker(st.get(b.callSite[i]!));
        s.calls++;
        s.objectsToScan += Math.max(0, EventField.shrinkSlabStart.totalScan(b, i));
        s.cacheItemsMax = Math.max(s.cacheItemsMax, EventField.shrinkSlabStart.cacheItems(b, i));
        break;
      }
      case Ev.mm_shrink_slab_end:
        this.#shrinker(st.get(b.callSite[i]!)).objectsFreed += Math.max(
          0,
          EventField.shrinkSlabEnd.freed(b, i),
        );
        break;
      case Ev.mm_vmscan_throttled: {
        const reason = st.get(b.name[i]!) || "?";
        const usec = Math.max(0, EventField.throttled.usecDelayed(b, i));
        const t = this.#throttled.get(reason) ?? [0, 0];
        t[0]++;
        t[1] += usec / 1000;
        this.#throttled.set(reason, t);
        this.#stall(STALL_THROTTLED, st.get(b.comm[i]!), usec * 1000);
        break;
      }
      case Ev.mm_vmscan_write_folio: {
        const f = st.get(b.name[i]!) || "?";
        this.#writeFolios.set(f, (this.#writeFolios.get(f) ?? 0) + 1);
        break;
      }
      case Ev.mm_compaction_begin:
        this.#compaction.begins++;
        this.#openStall.set(pid * 8 + STALL_COMPACTION, ts);
        break;
      case Ev.mm_compaction_end: {
        const status = st.get(b.name[i]!) || "?";
        this.#compaction.endStatus[status] = (this.#compaction.endStatus[status] ?? 0) + 1;
        this.#closeStall(pid, ts, STALL_COMPACTION, st.get(b.comm[i]!));
        break;
      }
      case Ev.mm_compaction_suitable:
      case Ev.mm_compaction_finished: {
        const ret = st.get(b.name[i]!) || "?";
        const rec = kind === Ev.mm_compaction_suitable
          ? this.#compaction.suitable
          : this.#compaction.finished;
        rec[ret] = (rec[ret] ?? 0) + 1;
        break;
      }
      case Ev.mm_compaction_try_to_compact_pages:
        this.#compaction.tryToCompact++;
        break;
      case Ev.mm_compaction_deferred:
        this.#compaction.deferred++;
        break;
      case Ev.mm_compaction_defer_compaction:
        this.#compaction.deferCompaction++;
        break;
      case Ev.mm_compaction_defer_reset:
        this.#compaction.deferReset++;
        break;
      case Ev.mm_compaction_kcompactd_wake:
        this.#compaction.kcompactdWakes++;
        break;
      case Ev.mm_compaction_wakeup_kcompactd:
        this.#compaction.wakeupKcompactd++;
        break;
      case Ev.mm_compaction_migratepages:
        this.#compaction.migratedPages += Math.max(0, EventField.migratepages.nrMigrated(b, i));
        this.#compaction.migrateFailedPages += Math.max(0, EventField.migratepages.nrFailed(b, i));
        break;
      case Ev.mm_compaction_isolate_migratepages:
        this.#compaction.isolatedMigratePages += Math.max(0, EventField.isolate.nrTaken(b, i));
        break;
      case Ev.mm_compaction_isolate_freepages:
      case Ev.mm_compaction_fast_isolate_freepages:
        this.#compaction.isolatedFreePages += Math.max(0, EventField.isolate.nrTaken(b, i));
        break;
      case Ev.mm_vmscan_kswapd_sleep:
      case Ev.mm_vmscan_wakeup_kswapd:
      case Ev.mm_vmscan_lru_shrink_active:
      case Ev.mm_compaction_kcompactd_sleep:
        break;
      default:
        return; // not a reclaim or compaction event
    }
    this.#events++;
    if (ts < this.#firstTs) this.#firstTs = ts;
    if (ts > this.#lastTs) this.#lastTs = ts;
  }

  #begin(pid: number, ts: number, ctx: number, stall: number): void {
    this.#runs[ctx]!++;
    this.#openCtx.set(pid, ctx);
    this.#openStall.set(pid * 8 + stall, ts);
  }

  #end(b: EventBatch, i: number, st: StringTable, ctx: number, stall: number): void {
    const pid = b.pid[i]!;
    this.#endReclaimed[ctx]! += Math.max(0, EventField.reclaimEnd.nrReclaimed(b, i));
    if (this.#openCtx.get(pid) === ctx) this.#openCtx.delete(pid);
    this.#closeStall(pid, b.tsNs[i]!, stall, st.get(b.comm[i]!));
  }

  #closeStall(pid: number, ts: number, stall: number, comm: string): void {
    const key = pid * 8 + stall;
    const begin = this.#openStall.get(key);
    if (begin === undefined) return; // begin not traced (before the trace or lost)
    this.#openStall.delete(key);
    this.#stall(stall, comm, ts - begin);
  }

  #stall(stall: number, comm: string, ns: number): void {
    const key = `${STALL_KINDS[stall]}\u0000${comm}`;
    const r = this.#stalls.get(key) ?? [0, 0, 0];
    r[0]++;
    r[1] += ns;
    r[2] = Math.max(r[2], ns);
    this.#stalls.set(key, r);
  }

  #scan(b: EventBatch, i: number, st: StringTable, scanned: number, reclaimed: number): void {
    const pid = b.pid[i]!;
    let ctx = this.#openCtx.get(pid);
    if (ctx === undefined) ctx = st.get(b.comm[i]!).startsWith("kswapd") ? CTX_KSWAPD : CTX_OTHER;
    const sc = Math.max(0, scanned), rc = Math.max(0, reclaimed);
    this.#scanned[ctx]! += sc;
    this.#reclaimed[ctx]! += rc;
    this.#ts.push(b.tsNs[i]!);
    this.#ctx.push(ctx);
    this.#sc.push(sc);
    this.#rc.push(rc);
  }

  #shrinker(name: string): ShrinkerRow {
    const key = name || "?";
    let s = this.#shrinkers.get(key);
    if (!s) {
      s = { shrinker: key, calls: 0, objectsToScan: 0, objectsFreed: 0, cacheItemsMax: 0 };
      this.#shrinkers.set(key, s);
    }
    return s;
  }

  /** Everything as plain data; `firstTsNs` / `lastTsNs` span the rate buckets (the trace's). */
  finish(firstTsNs = this.#firstTs, lastTsNs = this.#lastTs): ReclaimMetricsResult {
    const byContext: ReclaimContextRow[] = RECLAIM_CONTEXTS.map((context, c) => ({
      context,
      runs: this.#runs[c]!,
      scannedPages: this.#scanned[c]!,
      reclaimedPages: this.#reclaimed[c]!,
      endReclaimedPages: this.#endReclaimed[c]!,
      efficiency: this.#scanned[c]! > 0 ? this.#reclaimed[c]! / this.#scanned[c]! : NaN,
    })).filter((r) => r.runs > 0 || r.scannedPages > 0 || r.endReclaimedPages > 0);
    const { bucketS, rate } = this.#rate(firstTsNs, lastTsNs);
    return {
      events: this.#events,
      byContext,
      bucketS,
      rate,
      isolateByLru: [...this.#isolate].map(([lru, [s, t]]) => ({
        lru,
        scannedPages: s,
        takenPages: t,
      })).sort((a, b) => b.scannedPages - a.scannedPages),
      shrinkers: [...this.#shrinkers.values()].sort((a, b) =>
        b.objectsFreed - a.objectsFreed || b.calls - a.calls
      ),
      compaction: structuredClone(this.#compaction),
      stalls: [...this.#stalls].map(([key, [n, total, max]]) => {
        const [kind, comm] = key.split("\u0000") as [StallKind, string];
        return { kind, comm, stalls: n, totalMs: total / 1e6, maxMs: max / 1e6 };
      }).sort((a, b) => b.totalMs - a.totalMs),
      throttled: [...this.#throttled].map(([reason, [count, delayedMs]]) => ({
        reason,
        count,
        delayedMs,
      })),
      writeFolios: Object.fromEntries(this.#writeFolios),
    };
  }

  #rate(firstTsNs: number, lastTsNs: number): { bucketS: number; rate: ReclaimRateRow[] } {
    const n = this.#ts.length;
    if (n === 0 || !Number.isFinite(firstTsNs) || !Number.isFinite(lastTsNs)) {
      return { bucketS: 0, rate: [] };
    }
    const spanNs = Math.max(lastTsNs - firstTsNs, 1);
    // Whole milliseconds per bucket, at most maxBuckets buckets over the span.
    const bucketNs = Math.max(1e6, Math.ceil(spanNs / this.maxBuckets / 1e6) * 1e6);
    const buckets = Math.floor(spanNs / bucketNs) + 1;
    const nCtx = RECLAIM_CONTEXTS.length;
    const sc = new Float64Array(buckets * nCtx);
    const rc = new Float64Array(buckets * nCtx);
    const used = new Uint8Array(nCtx);
    for (let k = 0; k < n; k++) {
      const bk = Math.min(
        buckets - 1,
        Math.max(0, Math.floor((this.#ts.data[k]! - firstTsNs) / bucketNs)),
      );
      const c = this.#ctx.data[k]!;
      used[c] = 1;
      sc[bk * nCtx + c]! += this.#sc.data[k]!;
      rc[bk * nCtx + c]! += this.#rc.data[k]!;
    }
    const bucketS = bucketNs / 1e9;
    const rate: ReclaimRateRow[] = [];
    for (let c = 0; c < nCtx; c++) {
      if (!used[c]) continue;
      for (let bk = 0; bk < buckets; bk++) {
        const startS = (firstTsNs + bk * bucketNs) / 1e9;
        rate.push({
          startS,
          endS: startS + bucketS,
          context: RECLAIM_CONTEXTS[c]!,
          scannedPerS: sc[bk * nCtx + c]! / bucketS,
          reclaimedPerS: rc[bk * nCtx + c]! / bucketS,
        });
      }
    }
    return { bucketS, rate };
  }
}
