/**
 * One object the replay's sampling hook feeds: it routes plain-data samples and events to the
 * per-topic collectors (zones, pageblocks, slab, allocation mix) and returns everything as one
 * plain-data {@linkcode MetricsResult} that `buildReport` turns into tables and charts.
 *
 * Memory is bounded whatever the trace length: every time series is downsampled to at most
 * `maxPointsPerSeries` points, totals are exact.
 *
 * @module
 */

import { AllocMix, AllocMixResult } from "./alloc_mix.ts";
import { DEFAULT_MAX_POINTS_PER_SERIES } from "./series_downsampler.ts";
import {
  FallbackEvent,
  PageblockMetrics,
  PageblockMetricsResult,
  PageblockSample,
} from "./pageblock_metrics.ts";
import { PageblockMap } from "./pageblock_map.ts";
import {
  LeakCandidateOptions,
  SlabCacheSample,
  SlabCallSiteStat,
  SlabMetrics,
  SlabMetricsResult,
} from "./slab_metrics.ts";
import { ZoneEventKind, ZoneMetrics, ZoneMetricsResult, ZoneSample } from "./zone_metrics.ts";
import { ReclaimMetrics, type ReclaimMetricsResult } from "./reclaim_metrics.ts";
import type { EventBatch } from "../trace/event_batch.ts";
import type { StringTable } from "../trace/string_table.ts";

/** Everything the metrics layer measured, as plain data (input of `buildReport`). *
 * @example
 * ```ts
 * import { KmemMetrics } from "./kmem_metrics.ts";
 * const r = new KmemMetrics().finish();
 * r.zones.length; // 0
 * ```
 */
export interface MetricsResult {
  /** Per zone, in the order zones were first seen. */
  zones: ZoneMetricsResult[];
  pageblocks: PageblockMetricsResult;
  /** Pageblock maps at the moments the replay chose (e.g. start, end). */
  pageblockMaps: PageblockMap[];
  slab: SlabMetricsResult;
  allocMix: AllocMixResult;
  /** Reclaim and compaction as traced (absent in results built before it existed). */
  reclaim?: ReclaimMetricsResult;
}

/** Options of {@linkcode KmemMetrics}. */
export interface KmemMetricsOptions {
  /** Bound on points per time series (default 800). */
  maxPointsPerSeries?: number;
  /** Length of top-N tables (default 25). */
  topN?: number;
  /** Trace start in ns, so event buckets of all series line up. */
  originTsNs?: number;
}

/**
 * The metrics collector for one replay.
 *
 * @example
 * ```ts
 * import { KmemMetrics } from "./kmem_metrics.ts";
 * const m = new KmemMetrics();
 * m.addZoneSample({ tsNs: 0, zone: "DMA", freePages: 3840,
 *   freeBlocks: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3], minPages: 33, lowPages: 41, highPages: 49 });
 * m.addPageAlloc(0, 0, 0xcc0, "bash");
 * const r = m.finish();
 * r.zones[0]!.largestOrder.stats[0]!.last; // 10
 * r.allocMix.totals.allocs; // 1
 * ```
 */
export class KmemMetrics {
  readonly #maxPoints: number;
  readonly #topN: number;
  readonly #origin: number;
  readonly #zones = new Map<string, ZoneMetrics>();
  readonly #pageblocks: PageblockMetrics;
  readonly #maps: PageblockMap[] = [];
  readonly #slab = new SlabMetrics();
  readonly #mix = new AllocMix();
  readonly #reclaim = new ReclaimMetrics();

  constructor(options: KmemMetricsOptions = {}) {
    this.#maxPoints = options.maxPointsPerSeries ?? DEFAULT_MAX_POINTS_PER_SERIES;
    this.#topN = options.topN ?? 25;
    this.#origin = options.originTsNs ?? NaN;
    this.#pageblocks = new PageblockMetrics(this.#maxPoints, this.#topN);
    if (!Number.isNaN(this.#origin)) this.#pageblocks.setOrigin(this.#origin);
  }

  #zone(node: number, zone: string): ZoneMetrics {
    const key = `${node}/${zone}`;
    let z = this.#zones.get(key);
    if (!z) {
      z = new ZoneMetrics(zone, node, this.#maxPoints);
      if (!Number.isNaN(this.#origin)) z.setOrigin(this.#origin);
      this.#zones.set(key, z);
    }
    return z;
  }

  /** A zone's state at one moment (from the replay's sampling hook). */
  addZoneSample(s: ZoneSample): void {
    this.#zone(s.node ?? 0, s.zone).addSample(s);
  }

  /**
   * `count` would-be kswapd wakes, direct-reclaim entries or allocation failures (of `order`)
   * in a zone at `tsNs`.
   */
  addZoneEvent(
    tsNs: number,
    zone: string,
    kind: ZoneEventKind,
    order = 0,
    node = 0,
    count = 1,
  ): void {
    this.#zone(node, zone).addEvent(tsNs, kind, order, count);
  }

  /** A zone's pageblock census at one moment. */
  addPageblockSample(s: PageblockSample): void {
    this.#pageblocks.addSample(s);
  }

  /** A migratetype fallback. */
  addFallback(e: FallbackEvent): void {
    this.#pageblocks.addFallback(e);
  }

  /** A pageblock map at a chosen moment (kept as given; choose a few moments). */
  addPageblockMap(map: PageblockMap): void {
    this.#maps.push(map);
  }

  /** One slab cache at one moment. */
  addSlabSample(s: SlabCacheSample): void {
    this.#slab.addCacheSample(s);
  }

  /** Call-site statistics from the slab model at trace end. */
  setSlabCallSites(sites: SlabCallSiteStat[], leakOptions: LeakCandidateOptions): void {
    this.#slab.setCallSites(sites, leakOptions);
  }

  /** One page allocation (order, migratetype, numeric gfp mask, task name). */
  addPageAlloc(order: number, migratetype: number, gfp: number, comm: string, n = 1): void {
    this.#mix.addPageAlloc(order, migratetype, gfp, comm, n);
  }

  /** A traced vmscan or compaction event (row `i` of `b`; other events are ignored). */
  addReclaimEvent(b: EventBatch, i: number, strings: StringTable): void {
    this.#reclaim.add(b, i, strings);
  }

  /** Everything as plain data. */
  finish(): MetricsResult {
    return {
      zones: [...this.#zones.values()].map((z) => z.finish()),
      pageblocks: this.#pageblocks.finish(),
      pageblockMaps: [...this.#maps],
      slab: this.#slab.finish(8, this.#topN),
      allocMix: this.#mix.finish(this.#topN),
      reclaim: Number.isNaN(this.#origin)
        ? this.#reclaim.finish()
        : this.#reclaim.finish(this.#origin),
    };
  }
}
