/**
 * The plain data `buildReport` renders: a summary of the trace and replay, and the metrics
 * collected during the replay ({@linkcode MetricsResult} from lib/metrics/kmem_metrics.ts).
 *
 * How the lead fills it (`kmem report <trace|bundle> -o DIR`, `kmem demo`):
 * 1. Create `new KmemMetrics({ originTsNs: firstTsNs })` before the replay.
 * 2. In the replay's sampling hook (every N calls / Δt ns): for each populated zone call
 *    `addZoneSample({tsNs, zone, freePages, freeBlocks, freeBlocksByType, minPages, lowPages,
 *    highPages, boostPages})` and `addPageblockSample({tsNs, zone, blocksByType, mixedBlocks})`;
 *    for each slab cache `addSlabSample({...slabinfo columns})`.
 * 3. Per event: `addPageAlloc(order, migratetype, gfp, comm)` for every page allocation call,
 *    `addFallback({...})` for each emulated (or traced `mm_page_alloc_extfrag`) fallback,
 *    `addZoneEvent(tsNs, zone, ZoneEventKind.X, order)` for would-be kswapd wakes,
 *    direct-reclaim entries and allocation failures.
 * 4. At a few chosen moments (start, end, worst fragmentation) `addPageblockMap(map)`.
 * 5. At the end `setSlabCallSites(sites, {traceStartNs, traceEndNs})`, then
 *    `buildReport({ summary, metrics: metrics.finish() })` and write every entry of `files`.
 *
 * @module
 */

import type { MetricsResult } from "../metrics/kmem_metrics.ts";
import type { MemoryVerdict } from "../metrics/memory_verdict.ts";

/** What the summary cards at the top of the page show. *
 * @example
 * ```ts
 * import type { TraceSummary } from "./report_input.ts";
 * const s: TraceSummary = { traceName: "trace.dat", traceFormat: "trace.dat v7",
 *   kernelRelease: "6.18.44-fc-v657", firstTsNs: 460_302_128_000, lastTsNs: 463_629_830_000,
 *   events: 1_065_358, lostEvents: 0, desyncs: 0 };
 * ```
 */
export interface TraceSummary {
  /** Trace file (or bundle) name as given on the command line; shown as text. */
  traceName: string;
  /** "tracefs text", "trace.dat v7 (zstd)", "perf script" … */
  traceFormat: string;
  /** `uname -r` of the traced machine ("" when unknown). */
  kernelRelease: string;
  /** First and last event timestamps in ns of trace time. */
  firstTsNs: number;
  lastTsNs: number;
  /** Events read (all kinds). */
  events: number;
  /** Events the tracer reported lost (`[LOST N EVENTS]`, ring-buffer overruns). */
  lostEvents: number;
  /** Replay desyncs: frees of unknown pages/objects, double allocations … */
  desyncs: number;
  /** Allocator calls replayed (optional). */
  calls?: number;
  /** Number of CPUs in the trace (optional). */
  cpus?: number;
  /** Events per event name (optional, shown as a table). */
  eventsByName?: Record<string, number>;
  /** Diagnostics per code (optional, shown as a table). */
  diagnostics?: { code: string; count: number; example?: string }[];
  /** Free-form lines shown under the summary (e.g. replay options). */
  notes?: string[];
  /** Tool name and version for the footer, e.g. "kmemreplay 0.1.0". */
  generator?: string;
}

/** Input of `buildReport`. *
 * @example
 * ```ts
 * import type { ReportInput } from "./report_input.ts";
 * import { KmemMetrics } from "../metrics/kmem_metrics.ts";
 * const input: ReportInput = {
 *   summary: { traceName: "t", traceFormat: "text", kernelRelease: "", firstTsNs: 0,
 *     lastTsNs: 1, events: 0, lostEvents: 0, desyncs: 0 },
 *   metrics: new KmemMetrics().finish(),
 * };
 * ```
 */
export interface ReportInput {
  summary: TraceSummary;
  metrics: MetricsResult;
  /** The verdict shown first on the page (and first in summary.json); none when absent. */
  verdict?: MemoryVerdict;
  /**
   * Page size and pageblock order of the replayed machine, for axis units ("pages (4 KiB)");
   * 4 KiB pages and order-9 pageblocks when absent.
   */
  machine?: ReportMachine;
}

/** The machine facts the report's units depend on (see `MachineSpec`). */
export interface ReportMachine {
  pageSizeBytes: number;
  pageblockOrder: number;
}
