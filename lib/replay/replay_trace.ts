/**
 * The whole pipeline for one trace: import → calls → page replay (+ slab replay) → metrics.
 * Used by `kmem replay`, `kmem slab`, `kmem report`, `kmem validate` and scripts.
 *
 * @module
 */

import { Call } from "../calls/call_kind.ts";
import type { CallBatch } from "../calls/call_batch.ts";
import { MIGRATE_TYPES, ZONE_NAMES } from "../kernel/constants.ts";
import { EventFlag } from "../trace/event_batch.ts";
import { EventField } from "../trace/event_schema.ts";
import { StringTable } from "../trace/string_table.ts";
import { type ImportOptions, type ImportSummary, importTrace } from "../calls/trace_import.ts";
import { KmemMetrics, type MetricsResult } from "../metrics/kmem_metrics.ts";
import { ZoneEventKind } from "../metrics/zone_metrics.ts";
import type { MachineSpec } from "../mm/machine_spec.ts";
import { machineSpecFromZoneinfo, presetMachineSpec } from "../mm/machine_spec.ts";
import type { PageAllocator } from "../mm/page_allocator.ts";
import { asTraceTimeNs, type TraceTimeNs } from "../kernel/units.ts";
import type { SlabInfoRow } from "../snapshot/slabinfo.ts";
import { gfpZoneType } from "../mm/gfp_zone.ts";
import { PageReplay, type ReplaySample } from "./page_replay.ts";
import { pfnStates } from "./pfn_states.ts";
import { type PageblockCensus, pageblockCensus, zonePageblockMaps } from "./zone_pageblock_maps.ts";
import { AllocatorPageProvider } from "./allocator_page_provider.ts";
import type { PageReplayResult, ReplayMode } from "./page_replay_result.ts";
import { SlabReplay, type SlabReplayResult } from "../slab/slab_replay.ts";
import type { SnapshotPair } from "../snapshot/bundle.ts";

/** Options of {@linkcode replayTrace}. */
export interface ReplayTraceOptions extends Omit<ImportOptions, "onEvents" | "strings"> {
  mode?: ReplayMode;
  /** The machine; default: from before.zoneinfo, else an x86_64 preset of `memoryBytes`. */
  spec?: MachineSpec;
  /** Installed memory for the preset when no zoneinfo is given (default 16 GiB). */
  memoryBytes?: number;
  /** before/after /proc snapshots (a bundle directory's). */
  snapshots?: SnapshotPair;
  /** Replay the slab layer too (default true). */
  slab?: boolean;
  /** Collect report metrics (time series, maps); default false. */
  metrics?: boolean;
  /** Calls between two samples of the metrics (default 2000). */
  sampleEveryCalls?: number;
  /** Kernel version [major, minor] of the trace, for version-dependent event semantics. */
  kernelVersion?: [number, number];
  /** CPUs of the traced machine (default: from the trace or the zoneinfo pagesets). */
  cpus?: number;
  /**
   * What-if SLUB boot parameters (`slab_max_order=`, `slab_min_objects=`, `slab_min_order=`):
   * slab geometry is computed with them instead of taken from slabinfo. In policy mode the slab
   * model takes its slab pages from the emulated page allocator, so they change page-level
   * fragmentation too.
   */
  slubMaxOrder?: number;
  /**
   * Keep the end state of every pfn in the result (`pfnStates`); default: when the
   * after-snapshots carry kpageflags.
   */
  keepPfnStates?: boolean;
  slubMinObjects?: number;
  slubMinOrder?: number;
  /** Filled with the milliseconds spent per phase (for profiling, bench/). */
  phaseMs?: ReplayPhaseMs;
  /**
   * The clock of `phaseMs`, in ms (default `performance.now`, wall clock). A CPU-time clock
   * (`process.cpuUsage`) keeps the split meaningful on a loaded machine.
   */
  phaseClock?: () => number;
}

/**
 * Where one {@linkcode replayTrace} spent its time (by `phaseClock`), in milliseconds. Samples taken
 * inside a replay (zone and slab time series) count as metrics, not as that replay.
 */
export interface ReplayPhaseMs {
  /** The machine, its seeding from the before-snapshots and the seeded slab caches. */
  setup: number;
  /** Reading, decompression, parsing and the call stream: everything outside the replays. */
  import: number;
  /** Page replay (consume and finish). */
  page: number;
  /** Slab replay (consume and finish). */
  slab: number;
  /** Per-call metrics, samples, end-of-trace maps and the metrics result. */
  metrics: number;
}

/** Slab pages on the emulated page allocator (policy mode with the slab model). */
export interface SlabPagesResult {
  /** Slab and large-kmalloc blocks held at the end, per order. */
  blocksByOrder: number[];
  /** Blocks allocated during the replay per order (seeded ones excluded). */
  allocsByOrder: number[];
  pagesAtEnd: number;
  peakPages: number;
  /** Blocks the emulated allocator could not provide. */
  failed: number;
  /** Blocks of the seeded caches, taken from the snapshot's pre-existing allocations. */
  seededBlocks: number;
  /** Traced slab-page calls left to the slab model (= pages.slabPageCallsDelegated). */
  delegatedCalls: number;
}

/** Everything one replay produced. */
export interface ReplayTraceResult {
  import: ImportSummary;
  pages: PageReplayResult;
  slab: SlabReplayResult | null;
  metrics: MetricsResult | null;
  /** Wall-clock milliseconds spent (import and replay together). */
  elapsedMs: number;
  /** The machine that was emulated. */
  spec: MachineSpec;
  /** Policy mode with the slab model: its pages on the emulated allocator (else null). */
  slabPages: SlabPagesResult | null;
  /**
   * The end state of every pfn (lib/replay/pfn_states.ts), kept when the after-snapshots carry
   * kpageflags (or `keepPfnStates` asks) so that validate can compare them pfn by pfn.
   */
  pfnStates?: Uint8Array;
}

/**
 * Replays a trace (a raw byte stream, possibly compressed) and returns the import summary, the
 * page replay result (the `kmem replay --json` contract), the slab result and, on request,
 * report metrics.
 *
 * @example
 * ```ts
 * import { replayTrace } from "./replay_trace.ts";
 * const line = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x1000 order=0\n";
 * const r = await replayTrace(ReadableStream.from([new TextEncoder().encode(line)]), {
 *   memoryBytes: 2 ** 30,
 * });
 * r.pages.desyncs; // { "free-untracked": 1 }
 * ```
 */
export async function replayTrace(
  input: ReadableStream<Uint8Array>,
  opts: ReplayTraceOptions = {},
): Promise<ReplayTraceResult> {
  const t0 = performance.now();
  const now = opts.phaseClock ?? (() => performance.now());
  const p0 = now();
  const before = opts.snapshots?.before ?? {};
  const mode = opts.mode ?? "faithful";
  const slabOn = opts.slab ?? true;

  // 1. The machine, the shared string table and the metrics collector.
  const spec = opts.spec ??
    (before.zoneinfo ? machineSpecFromZoneinfo(before.zoneinfo) : presetMachineSpec("x86_64", {
      memoryBytes: opts.memoryBytes ?? 16 * 2 ** 30,
      cpus: opts.cpus,
    }));
  const cpus = opts.cpus ?? spec.cpus;
  const strings = new StringTable();
  const metrics = opts.metrics ? new KmemMetrics() : null;
  const zoneSampler = metrics ? new ZoneSampler(metrics) : null;
  // Time per phase: a handful of clock reads per call batch (and per sample).
  const ph: ReplayPhaseMs = { setup: 0, import: 0, page: 0, slab: 0, metrics: 0 };
  const sampled = (sample: () => void) => {
    const s0 = now();
    sample();
    ph.metrics += now() - s0;
  };

  // 2. The page replay. Policy + slab: the slab model owns slab pages (on the emulated
  //    allocator), the page replay skips the trace's own slab-page calls.
  const slabOnMachine = slabOn && mode === "policy";
  const pages: PageReplay = new PageReplay({
    delegateSlabPages: slabOnMachine
      ? { nrCpus: cpus, slabinfo: before.slabinfo, strings }
      : undefined,
    mode,
    spec,
    snapshots: {
      buddyinfo: before.buddyinfo,
      pagetypeinfo: before.pagetypeinfo,
      zoneinfo: before.zoneinfo,
      kpageflags: mode === "faithful" ? before.kpageflags : undefined,
    },
    strict: opts.strict,
    kernelVersion: opts.kernelVersion,
    sampleEveryCalls: zoneSampler ? (opts.sampleEveryCalls ?? 2000) : undefined,
    onSample: zoneSampler
      ? (tsNs) => sampled(() => zoneSampler.sample(pages.machine, tsNs))
      : undefined,
    // The emulator's own fallbacks (faithful mode reports the traced extfrag events instead).
    onFallback: metrics && mode === "policy"
      ? (zone, allocOrder, fallbackOrder, mt, fallbackMt, claimed) => {
        metrics.addFallback({
          tsNs: pages.lastTsNs,
          zone: pages.machine.zoneViews[zone]?.name,
          allocOrder,
          fallbackOrder,
          allocMigratetype: mt,
          fallbackMigratetype: fallbackMt,
          fragmenting: fallbackOrder < pages.machine.pageblockOrder,
          changeOwnership: claimed,
        });
      }
      : undefined,
  });

  zoneSampler?.begin(pages.machine);

  // 3. The slab replay, its caches seeded from the before-slabinfo; in policy mode their slabs
  //    come out of the seeded machine's pre-existing allocations.
  const provider = slabOnMachine
    ? new AllocatorPageProvider(pages.machine, { seedFrom: pages.preexisting })
    : null;
  const slab = slabOn
    ? newSlabReplay(strings, cpus, provider, before.slabinfo, opts, metrics, sampled)
    : null;
  provider?.endSeeding();

  // 4. Import: every call batch goes through both replays and the per-call metrics.
  const tImport = now();
  ph.setup = tImport - p0;
  const imported = await importTrace(input, (b) => {
    // Samples inside a consume are metrics: take them out of the replay's share.
    const t1 = now(), m1 = ph.metrics;
    pages.consume(b);
    const t2 = now(), m2 = ph.metrics;
    ph.page += t2 - t1 - (m2 - m1);
    if (slab) {
      for (const [name, bits] of pages.classifier?.drainLearnedCacheGfp() ?? []) {
        slab.addCacheSlabGfp(name, bits);
      }
      slab.consume(b);
    }
    const t3 = now();
    ph.slab += t3 - t2 - (ph.metrics - m2);
    if (metrics) {
      perCallMetrics(metrics, b, strings, spec, mode === "policy");
      ph.metrics += now() - t3;
    }
  }, { ...opts, strings });
  ph.import = now() - tImport - ph.page - ph.slab - ph.metrics;

  // 5. Results (with every pfn's end state when validate will compare it with kpageflags),
  //    and the end-of-trace samples and maps.
  const t4 = now();
  const pageResult = pages.finish();
  const endStates = (opts.keepPfnStates ?? opts.snapshots?.after.kpageflags !== undefined)
    ? pfnStates(pages.machine)
    : undefined;
  const t5 = now();
  const slabResult = slab ? slab.finish() : null;
  const t6 = now();
  ph.page += t5 - t4;
  ph.slab += t6 - t5;
  let metricsResult: MetricsResult | null = null;
  if (metrics && zoneSampler) {
    const endTs = asTraceTimeNs(imported.timeNs.last);
    zoneSampler.finish(pages, asTraceTimeNs(imported.timeNs.first), endTs, opts.snapshots);
    if (slabResult) {
      metrics.setSlabCallSites(
        slabResult.callSites.map((c) => ({
          callSite: c.callSite,
          cache: c.cache,
          allocs: c.allocs,
          frees: c.frees,
          liveObjs: c.liveAtEnd,
          liveBytesReq: c.liveBytesAtEnd,
          liveBytesAlloc: c.liveBytesAtEnd,
          totalWasteBytes: c.wasteBytes,
          oldestLiveTsNs: NaN,
        })),
        { traceStartNs: imported.timeNs.first, traceEndNs: endTs },
      );
    }
    metricsResult = metrics.finish();
    ph.metrics += now() - t6;
  }
  if (opts.phaseMs) Object.assign(opts.phaseMs, ph);
  return {
    import: imported,
    pages: pageResult,
    slab: slabResult,
    metrics: metricsResult,
    elapsedMs: performance.now() - t0,
    spec,
    slabPages: provider
      ? {
        blocksByOrder: Array.from(provider.slabBlocksByOrder),
        allocsByOrder: Array.from(provider.allocsByOrder),
        pagesAtEnd: provider.pagesInUse,
        peakPages: provider.peakPages,
        failed: provider.failedCalls,
        seededBlocks: provider.seededBlocks,
        delegatedCalls: pageResult.slabPageCallsDelegated ?? 0,
      }
      : null,
    ...(endStates ? { pfnStates: endStates } : {}),
  };
}

/** The slab replay of {@linkcode replayTrace}, sampling its caches when metrics are on. */
function newSlabReplay(
  strings: StringTable,
  cpus: number,
  provider: AllocatorPageProvider | null,
  slabinfo: SlabInfoRow[] | undefined,
  opts: ReplayTraceOptions,
  metrics: KmemMetrics | null,
  sampled: (sample: () => void) => void,
): SlabReplay {
  const slab: SlabReplay = new SlabReplay(strings, {
    nrCpus: cpus,
    pages: provider ?? undefined,
    slubMaxOrder: opts.slubMaxOrder,
    slubMinObjects: opts.slubMinObjects,
    slubMinOrder: opts.slubMinOrder,
    slabinfo,
    seed: slabinfo,
    sampleIntervalNs: metrics ? 50_000_000 : undefined,
    onSample: metrics
      ? (tsNs) =>
        sampled(() => {
          for (const c of slab.caches) {
            const x = c.stats();
            metrics.addSlabSample({
              tsNs,
              cache: x.name,
              activeObjs: x.activeObjs,
              numObjs: x.numObjs,
              objSizeBytes: x.objSizeBytes,
              objsPerSlab: x.objsPerSlab,
              pagesPerSlab: x.pagesPerSlab,
              numSlabs: x.numSlabs,
            });
          }
        })
      : undefined,
  });
  return slab;
}

/**
 * Zone samples, pageblock censuses, watermark-event deltas and pageblock maps (start, end and
 * start→end, drawn at the end from what the trace measured) of the page replay's machine.
 */
class ZoneSampler {
  readonly #prev = new Map<number, { low: number; min: number; kw: number; dr: number }>();
  #startCensus: PageblockCensus | null = null;

  constructor(readonly metrics: KmemMetrics) {}

  /** The seeded machine before the first call. */
  begin(machine: PageAllocator): void {
    this.#startCensus = pageblockCensus(machine);
  }

  /** One sample at `tsNs`. */
  sample(machine: PageAllocator, tsNs: TraceTimeNs): void {
    sampleZones(this.metrics, { tsNs, machine }, this.#prev);
  }

  /** The end-of-trace sample and every map into the metrics. */
  finish(
    pages: PageReplay,
    firstTs: TraceTimeNs,
    endTs: TraceTimeNs,
    snapshots: SnapshotPair | undefined,
  ): void {
    const machine = pages.machine;
    sampleZones(this.metrics, { tsNs: endTs, machine }, this.#prev);
    const endCensus = pageblockCensus(machine);
    const maps = zonePageblockMaps(machine, {
      startCensus: this.#startCensus ?? endCensus,
      endCensus,
      knowledge: pages.pageblockKnowledge,
      before: snapshots?.before.pagetypeinfo,
      after: snapshots?.after.pagetypeinfo,
      startTsNs: firstTs,
      endTsNs: endTs,
    });
    for (const map of maps) this.metrics.addPageblockMap(map);
  }
}

/** The calls of traced reclaim and compaction events (1 = fed to the reclaim metrics). */
const RECLAIM_CALL: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (
    const c of [
      Call.KSWAPD_WAKE,
      Call.KSWAPD_SLEEP,
      Call.WAKEUP_KSWAPD,
      Call.DIRECT_RECLAIM_BEGIN,
      Call.DIRECT_RECLAIM_END,
      Call.COMPACTION_BEGIN,
      Call.COMPACTION_END,
      Call.COMPACTION_SUITABLE,
      Call.COMPACTION_INFO,
      Call.COMPACTION_ISOLATE_FREE,
      Call.RECLAIM_INFO,
    ]
  ) t[c] = 1;
  return t;
})();

/** Per-call metrics: allocation mix, traced fallbacks and failures, reclaim and compaction. */
function perCallMetrics(
  m: KmemMetrics,
  b: CallBatch,
  st: StringTable,
  spec: MachineSpec,
  policy: boolean,
): void {
  for (let i = 0; i < b.length; i++) {
    const call = b.call[i]!;
    if (call === Call.PAGE_ALLOC) {
      if ((b.flags[i]! & EventFlag.FAILED) !== 0) {
        const zt = gfpZoneType(b.gfp[i]!, spec.configuredZoneTypes);
        m.addZoneEvent(
          b.tsNs[i]!,
          ZONE_NAMES[zt] ?? "Normal",
          ZoneEventKind.ALLOC_FAILURE,
          b.order[i]!,
        );
      } else m.addPageAlloc(b.order[i]!, b.mt[i]!, b.gfp[i]!, st.get(b.comm[i]!));
    } else if (RECLAIM_CALL[call] === 1) {
      m.addReclaimEvent(b, i, st);
    } else if (call === Call.FALLBACK && !policy) {
      m.addFallback({
        tsNs: b.tsNs[i]!,
        allocOrder: b.order[i]!,
        fallbackOrder: EventField.extfrag.fallbackOrder(b, i),
        allocMigratetype: b.mt[i]!,
        fallbackMigratetype: EventField.extfrag.fallbackMigratetype(b, i),
        fragmenting: (b.flags[i]! & EventFlag.FRAGMENTING) !== 0,
        changeOwnership: (b.flags[i]! & EventFlag.CHANGE_OWNERSHIP) !== 0,
        comm: st.get(b.comm[i]!),
      });
    }
  }
}

/** Zone samples, pageblock censuses and watermark-event deltas at one moment. */
function sampleZones(
  m: KmemMetrics,
  s: ReplaySample,
  prev: Map<number, { low: number; min: number; kw: number; dr: number }>,
): void {
  const a = s.machine;
  const blocks = new Map<number, Float64Array>();
  for (let b = 0; b < a.pageblockZone.length; b++) {
    const z = a.pageblockZone[b]!;
    let arr = blocks.get(z);
    if (!arr) blocks.set(z, arr = new Float64Array(MIGRATE_TYPES));
    arr[a.pageblockMt[b]!]!++;
  }
  for (const z of a.zoneViews) {
    if (z.managedPages === 0) continue;
    m.addZoneSample({
      tsNs: s.tsNs,
      node: z.node,
      zone: z.name,
      freePages: z.freePages,
      freeBlocksByOrderType: z.nrFree,
      minPages: z.wmarkMin,
      lowPages: z.wmarkLow,
      highPages: z.wmarkHigh,
      boostPages: z.boost,
    });
    m.addPageblockSample({
      tsNs: s.tsNs,
      node: z.node,
      zone: z.name,
      blocksByType: blocks.get(z.index) ?? new Float64Array(MIGRATE_TYPES),
    });
    // Faithful: falling below low would wake kswapd, below min would enter direct reclaim.
    // Policy: the emulator's own slow-path decisions.
    const p = prev.get(z.index) ?? { low: 0, min: 0, kw: 0, dr: 0 };
    const wakes = (z.breachLow - p.low) + (z.kswapdWakes - p.kw);
    const reclaims = (z.breachMin - p.min) + (z.directReclaims - p.dr);
    for (let k = 0; k < wakes; k++) {
      m.addZoneEvent(s.tsNs, z.name, ZoneEventKind.KSWAPD_WAKE, 0, z.node);
    }
    for (let k = 0; k < reclaims; k++) {
      m.addZoneEvent(s.tsNs, z.name, ZoneEventKind.DIRECT_RECLAIM, 0, z.node);
    }
    prev.set(z.index, {
      low: z.breachLow,
      min: z.breachMin,
      kw: z.kswapdWakes,
      dr: z.directReclaims,
    });
  }
}
