/**
 * Per-zone metrics over trace time: free pages against the min/low/high watermarks, free blocks
 * per order, largest free order, unusable and extfrag index per order (mm/vmstat.c), and counts
 * of would-be kswapd wakes, direct-reclaim entries and allocation failures by order.
 *
 * Input is plain data ({@linkcode ZoneSample}) so this layer does not depend on the replay's
 * classes; the replay's sampling hook builds one sample per zone every N calls / Δt ns.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES, NR_PAGE_ORDERS } from "../kernel/constants.ts";
import { CounterSet, EventCounterSeries, toCounterSet } from "./event_counter_series.ts";
import { FRAG_INDEX_SCALE, fragmentationIndexes, largestFreeOrder } from "./fragmentation_index.ts";
import {
  DEFAULT_MAX_POINTS_PER_SERIES,
  SeriesDownsampler,
  SeriesSet,
  toSeriesSet,
} from "./series_downsampler.ts";

/**
 * State of one zone at one moment, as the replay's sampling hook (or a /proc snapshot) gives it.
 * Arrays may be reused by the caller between calls: they are read, never kept.
 *
 * @example
 * ```ts
 * import type { ZoneSample } from "./zone_metrics.ts";
 * // /proc/buddyinfo + zoneinfo of the real DMA zone:
 * const s: ZoneSample = { tsNs: 460_302_128_000, zone: "DMA", freePages: 3840,
 *   freeBlocks: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3], minPages: 33, lowPages: 41, highPages: 49 };
 * ```
 */
export interface ZoneSample {
  /** Trace time in ns. */
  tsNs: number;
  /** NUMA node id (0 when omitted). */
  node?: number;
  /** Zone name as the kernel prints it ("DMA", "DMA32", "Normal", …). */
  zone: string;
  /** NR_FREE_PAGES: free pages in the buddy lists (pcp pages excluded). */
  freePages: number;
  /** `free_area[order].nr_free`, orders 0..10 (what /proc/buddyinfo prints). */
  freeBlocks?: ArrayLike<number>;
  /** Optional `[migratetype][order]` free-list lengths (what /proc/pagetypeinfo prints). */
  freeBlocksByType?: ArrayLike<ArrayLike<number>>;
  /**
   * Alternative to the two above: free-list lengths flat, index `order * MIGRATE_TYPES + mt`
   * (the replay's `ZoneView.nrFree` layout); per-order totals and per-type pages follow from it.
   */
  freeBlocksByOrderType?: ArrayLike<number>;
  /** WMARK_MIN in pages (without boost). */
  minPages: number;
  /** WMARK_LOW in pages. */
  lowPages: number;
  /** WMARK_HIGH in pages. */
  highPages: number;
  /** watermark_boost in pages (0 when omitted). */
  boostPages?: number;
}

/** Kinds of discrete zone events the replay reports. *
 * @example
 * ```ts
 * import { ZoneEventKind } from "./zone_metrics.ts";
 * ZoneEventKind.DIRECT_RECLAIM; // 1
 * ```
 */
export const ZoneEventKind = {
  /** The emulated allocation would have woken kswapd (free below low + boost in the slow path). */
  KSWAPD_WAKE: 0,
  /** The emulated allocation would have entered direct reclaim. */
  DIRECT_RECLAIM: 1,
  /** The emulated allocation failed (order in `order`). */
  ALLOC_FAILURE: 2,
} as const;
/** A {@linkcode ZoneEventKind} value. */
export type ZoneEventKind = typeof ZoneEventKind[keyof typeof ZoneEventKind];

/** Names of {@linkcode ZoneEventKind} values, index = kind. */
export const ZONE_EVENT_NAMES = ["kswapd_wake", "direct_reclaim", "alloc_failure"] as const;

/** Everything measured for one zone, as plain data. *
 * @example
 * ```ts
 * import { ZoneMetrics } from "./zone_metrics.ts";
 * const r = new ZoneMetrics("DMA").finish();
 * r.pages.names; // ["free", "min", "low", "high", "boost"]
 * ```
 */
export interface ZoneMetricsResult {
  node: number;
  zone: string;
  /** Series "free", "min", "low", "high", "boost" in pages. */
  pages: SeriesSet;
  /** Series "0".."10": free blocks per order. */
  freeBlocks: SeriesSet;
  /** Series "largest_order": largest order with a free block (−1 = none). */
  largestOrder: SeriesSet;
  /** Series "0".."10": unusable free space index ×1000. */
  unusable: SeriesSet;
  /** Series "0".."10": extfrag index ×1000 (−1000 = would succeed). */
  extfrag: SeriesSet;
  /** Series per migratetype name: free pages on that type's lists (when samples had types). */
  freePagesByType: SeriesSet | null;
  /** Keys "kswapd_wake", "direct_reclaim", "alloc_failure". */
  events: CounterSet;
  /** Keys "0".."10": allocation failures by order. */
  failuresByOrder: CounterSet;
  /** Samples whose free pages were at or below each watermark (exact counts). */
  samplesBelow: { min: number; low: number; high: number };
  /** Last sample's free blocks per order (exact), or null before any sample. */
  lastFreeBlocks: number[] | null;
  /**
   * Per order 0..10, the sample where an allocation of that order was hardest (exact, over
   * every sample): highest extfrag index, then highest unusable index, then the earliest;
   * empty before any sample.
   */
  worstByOrder: ZoneWorstMoment[];
}

/** One zone's sampled state at the moment an order was hardest to allocate. */
export interface ZoneWorstMoment {
  tsNs: number;
  freePages: number;
  highPages: number;
  /** Unusable free space index ×1000 at the order. */
  unusable: number;
  /** Extfrag index ×1000 at the order (−1000 = an allocation would succeed). */
  extfrag: number;
}

const ORDER_KEYS = Array.from({ length: NR_PAGE_ORDERS }, (_, o) => String(o));

/**
 * Collects one zone's metrics from samples and events in bounded memory.
 *
 * @example
 * ```ts
 * import { ZoneMetrics } from "./zone_metrics.ts";
 * const z = new ZoneMetrics("DMA", 0, 64);
 * z.addSample({ tsNs: 0, zone: "DMA", freePages: 12, freeBlocks: [4, 2, 1],
 *   minPages: 2, lowPages: 4, highPages: 6 });
 * const r = z.finish();
 * r.unusable.stats[1]!.last; // 333
 * r.extfrag.stats[3]!.last; // 643
 * ```
 */
export class ZoneMetrics {
  readonly zone: string;
  readonly node: number;
  readonly #pages: SeriesDownsampler;
  readonly #freeBlocks: SeriesDownsampler;
  readonly #largest: SeriesDownsampler;
  readonly #unusable: SeriesDownsampler;
  readonly #extfrag: SeriesDownsampler;
  #byType: SeriesDownsampler | null = null;
  readonly #maxPoints: number;
  readonly #events: EventCounterSeries;
  readonly #failures: EventCounterSeries;
  readonly #below = { min: 0, low: 0, high: 0 };
  #lastFreeBlocks: number[] | null = null;
  // Worst moment per order (see ZoneWorstMoment): plain typed arrays, updated per sample.
  #worstSeen = false;
  readonly #worstTs = new Float64Array(NR_PAGE_ORDERS);
  readonly #worstFree = new Float64Array(NR_PAGE_ORDERS);
  readonly #worstHigh = new Float64Array(NR_PAGE_ORDERS);
  readonly #worstUnusable = new Int32Array(NR_PAGE_ORDERS);
  readonly #worstExtfrag = new Int32Array(NR_PAGE_ORDERS);
  // Reused scratch buffers: no allocation per sample.
  readonly #u = new Int32Array(NR_PAGE_ORDERS);
  readonly #e = new Int32Array(NR_PAGE_ORDERS);
  readonly #scratch = new Float64Array(NR_PAGE_ORDERS);
  readonly #pageRow = new Float64Array(5);
  readonly #one = new Float64Array(1);
  readonly #typeRow = new Float64Array(MIGRATE_TYPE_NAMES.length);

  constructor(zone: string, node = 0, maxPointsPerSeries = DEFAULT_MAX_POINTS_PER_SERIES) {
    this.zone = zone;
    this.node = node;
    this.#maxPoints = maxPointsPerSeries;
    this.#pages = new SeriesDownsampler(
      ["free", "min", "low", "high", "boost"],
      maxPointsPerSeries,
    );
    this.#freeBlocks = new SeriesDownsampler(ORDER_KEYS, maxPointsPerSeries);
    this.#largest = new SeriesDownsampler(["largest_order"], maxPointsPerSeries);
    this.#unusable = new SeriesDownsampler(ORDER_KEYS, maxPointsPerSeries);
    this.#extfrag = new SeriesDownsampler(ORDER_KEYS, maxPointsPerSeries);
    const buckets = Math.max(2, Math.floor(maxPointsPerSeries / 2));
    this.#events = new EventCounterSeries(ZONE_EVENT_NAMES, buckets);
    this.#failures = new EventCounterSeries(ORDER_KEYS, buckets);
  }

  /** Sets the time origin of the event counters (the trace's first timestamp). */
  setOrigin(tsNs: number): void {
    this.#events.setOrigin(tsNs);
    this.#failures.setOrigin(tsNs);
  }

  /** Adds one sample of this zone. */
  addSample(s: ZoneSample): void {
    const row = this.#pageRow;
    row[0] = s.freePages;
    row[1] = s.minPages;
    row[2] = s.lowPages;
    row[3] = s.highPages;
    row[4] = s.boostPages ?? 0;
    this.#pages.add(s.tsNs, row);
    if (s.freePages <= s.minPages) this.#below.min++;
    if (s.freePages <= s.lowPages) this.#below.low++;
    if (s.freePages <= s.highPages) this.#below.high++;

    const fb = this.#scratch;
    const flat = s.freeBlocksByOrderType;
    if (s.freeBlocks) {
      for (let o = 0; o < NR_PAGE_ORDERS; o++) fb[o] = s.freeBlocks[o] ?? 0;
    } else if (flat) {
      for (let o = 0; o < NR_PAGE_ORDERS; o++) {
        let n = 0;
        for (let mt = 0; mt < MIGRATE_TYPES; mt++) n += flat[o * MIGRATE_TYPES + mt] ?? 0;
        fb[o] = n;
      }
    } else {
      throw new RangeError("ZoneSample needs freeBlocks or freeBlocksByOrderType");
    }
    this.#freeBlocks.add(s.tsNs, fb);
    this.#one[0] = largestFreeOrder(fb);
    this.#largest.add(s.tsNs, this.#one);
    fragmentationIndexes(fb, this.#u, this.#e);
    this.#unusable.add(s.tsNs, this.#u);
    this.#extfrag.add(s.tsNs, this.#e);
    this.#trackWorst(s);
    if (this.#lastFreeBlocks === null) this.#lastFreeBlocks = new Array(NR_PAGE_ORDERS).fill(0);
    for (let o = 0; o < NR_PAGE_ORDERS; o++) this.#lastFreeBlocks[o] = fb[o]!;

    if (s.freeBlocksByType || (flat && !s.freeBlocks)) {
      if (this.#byType === null) {
        this.#byType = new SeriesDownsampler(MIGRATE_TYPE_NAMES.map(String), this.#maxPoints);
      }
      const perType = this.#typeRow;
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        let pages = 0;
        const lists = s.freeBlocksByType?.[mt];
        for (let o = 0; o < NR_PAGE_ORDERS; o++) {
          const n = s.freeBlocksByType ? lists?.[o] ?? 0 : flat![o * MIGRATE_TYPES + mt] ?? 0;
          pages += n * 2 ** o;
        }
        perType[mt] = pages;
      }
      this.#byType.add(s.tsNs, perType);
    }
  }

  #trackWorst(s: ZoneSample): void {
    for (let o = 0; o < NR_PAGE_ORDERS; o++) {
      const e = this.#e[o]!;
      const u = this.#u[o]!;
      const we = this.#worstExtfrag[o]!;
      if (this.#worstSeen && (e < we || (e === we && u <= this.#worstUnusable[o]!))) continue;
      this.#worstTs[o] = s.tsNs;
      this.#worstFree[o] = s.freePages;
      this.#worstHigh[o] = s.highPages;
      this.#worstUnusable[o] = u;
      this.#worstExtfrag[o] = e;
    }
    this.#worstSeen = true;
  }

  /**
   * Counts `count` zone events of one kind at `tsNs` (`order` is used for allocation failures;
   * a count lets a sampler pass the growth of a cumulative counter since the last sample).
   */
  addEvent(tsNs: number, kind: ZoneEventKind, order = 0, count = 1): void {
    if (count <= 0) return;
    this.#events.add(tsNs, kind, count);
    if (kind === ZoneEventKind.ALLOC_FAILURE) {
      this.#failures.add(tsNs, Math.min(Math.max(order, 0), NR_PAGE_ORDERS - 1), count);
    }
  }

  /** Plain-data result (the collector stays usable). */
  finish(): ZoneMetricsResult {
    return {
      node: this.node,
      zone: this.zone,
      pages: toSeriesSet(this.#pages),
      freeBlocks: toSeriesSet(this.#freeBlocks),
      largestOrder: toSeriesSet(this.#largest),
      unusable: toSeriesSet(this.#unusable),
      extfrag: toSeriesSet(this.#extfrag),
      freePagesByType: this.#byType ? toSeriesSet(this.#byType) : null,
      events: toCounterSet(this.#events),
      failuresByOrder: toCounterSet(this.#failures),
      samplesBelow: { ...this.#below },
      lastFreeBlocks: this.#lastFreeBlocks ? [...this.#lastFreeBlocks] : null,
      worstByOrder: this.#worstSeen
        ? Array.from({ length: NR_PAGE_ORDERS }, (_, o) => ({
          tsNs: this.#worstTs[o]!,
          freePages: this.#worstFree[o]!,
          highPages: this.#worstHigh[o]!,
          unusable: this.#worstUnusable[o]!,
          extfrag: this.#worstExtfrag[o]!,
        }))
        : [],
    };
  }
}

/**
 * Index ×1000 → fraction, for tables and charts.
 *
 * @example
 * ```ts
 * import { indexToFraction } from "./zone_metrics.ts";
 * indexToFraction(333); // 0.333
 * ```
 */
export function indexToFraction(index: number): number {
  return index / FRAG_INDEX_SCALE;
}
