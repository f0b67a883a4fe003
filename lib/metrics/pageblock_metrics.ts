/**
 * Pageblock metrics: pageblocks per migratetype and mixed pageblocks over time (per zone), and
 * migratetype fallbacks (`mm_page_alloc_extfrag`, or the replay's emulated fallbacks) by
 * alloc/fallback migratetype, by fallback order, by call site and by comm, fragmenting or not.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES, NR_PAGE_ORDERS } from "../kernel/constants.ts";
import { CounterSet, EventCounterSeries, toCounterSet } from "./event_counter_series.ts";
import {
  DEFAULT_MAX_POINTS_PER_SERIES,
  SeriesDownsampler,
  SeriesSet,
  toSeriesSet,
} from "./series_downsampler.ts";

/** Pageblock census of one zone at one moment (plain data from the replay or pagetypeinfo). *
 * @example
 * ```ts
 * import type { PageblockSample } from "./pageblock_metrics.ts";
 * // pagetypeinfo "Number of blocks type" of the real Normal zone (after):
 * const s: PageblockSample = { tsNs: 463_629_830_000, zone: "Normal",
 *   blocksByType: [337, 1811, 92, 0, 0, 0] };
 * ```
 */
export interface PageblockSample {
  tsNs: number;
  node?: number;
  zone: string;
  /** Pageblocks per migratetype, index = migratetype (pagetypeinfo "Number of blocks type"). */
  blocksByType: ArrayLike<number>;
  /** Pageblocks holding allocated pages of more than one migratetype (NaN/omitted: unknown). */
  mixedBlocks?: number;
}

/**
 * One migratetype fallback. `fragmenting` is the kernel's `fragmenting` field (the fallback
 * took a block smaller than a pageblock from another type's pageblock); `changeOwnership`
 * that the pageblock was retyped to the allocation's type. A caller may reuse one object.
 *
 * @example
 * ```ts
 * import type { FallbackEvent } from "./pageblock_metrics.ts";
 * // mm_page_alloc_extfrag: alloc_order=0 fallback_order=10 alloc_migratetype=0
 * // fallback_migratetype=1 fragmenting=0 change_ownership=1 (comm head)
 * const e: FallbackEvent = { tsNs: 460_789_054_000, allocOrder: 0, fallbackOrder: 10,
 *   allocMigratetype: 0, fallbackMigratetype: 1, fragmenting: false, changeOwnership: true,
 *   comm: "head" };
 * ```
 */
export interface FallbackEvent {
  tsNs: number;
  zone?: string;
  allocOrder: number;
  fallbackOrder: number;
  allocMigratetype: number;
  fallbackMigratetype: number;
  fragmenting: boolean;
  changeOwnership: boolean;
  /** Allocation call site (symbol+offset) when known. */
  callSite?: string;
  /** Task name when known. */
  comm?: string;
}

/** Exact fallback counts for one key (call site or comm). */
export interface FallbackKeyCount {
  key: string;
  total: number;
  fragmenting: number;
  changedOwnership: number;
}

/** Exact fallback count for one (alloc type, fallback type, fragmenting) combination. */
export interface FallbackPairCount {
  allocMigratetype: string;
  fallbackMigratetype: string;
  fragmenting: boolean;
  count: number;
}

/** Everything measured about pageblocks, as plain data. */
export interface PageblockMetricsResult {
  /** Per zone: series per migratetype name plus "mixed". */
  blocksByZone: { node: number; zone: string; blocks: SeriesSet }[];
  /** Keys "fragmenting", "non_fragmenting". */
  fallbacksOverTime: CounterSet;
  /** Non-zero combinations, most frequent first. */
  fallbackPairs: FallbackPairCount[];
  /** Fallbacks by the order of the block taken, index = order. */
  fallbacksByFallbackOrder: number[];
  /** Top call sites by fallbacks (bounded list, exact counts), most first. */
  byCallSite: FallbackKeyCount[];
  /** Top comms by fallbacks (bounded list, exact counts), most first. */
  byComm: FallbackKeyCount[];
  /** Exact totals. */
  totals: { fallbacks: number; fragmenting: number; changedOwnership: number };
}

/** Default length of top-N lists. */
export const DEFAULT_TOP_N = 25;

/**
 * Collects pageblock and fallback metrics.
 *
 * @example
 * ```ts
 * import { PageblockMetrics } from "./pageblock_metrics.ts";
 * const p = new PageblockMetrics();
 * p.addFallback({ tsNs: 1, allocOrder: 0, fallbackOrder: 10, allocMigratetype: 0,
 *   fallbackMigratetype: 1, fragmenting: false, changeOwnership: true, comm: "head" });
 * const r = p.finish();
 * r.fallbackPairs[0]; // { allocMigratetype: "Unmovable", fallbackMigratetype: "Movable", fragmenting: false, count: 1 }
 * ```
 */
export class PageblockMetrics {
  readonly #maxPoints: number;
  readonly #topN: number;
  readonly #zones = new Map<string, { node: number; zone: string; s: SeriesDownsampler }>();
  readonly #overTime: EventCounterSeries;
  // [allocMt][fallbackMt][fragmenting] flattened.
  readonly #pairs = new Float64Array(MIGRATE_TYPES * MIGRATE_TYPES * 2);
  readonly #byOrder = new Float64Array(NR_PAGE_ORDERS);
  readonly #bySite = new Map<string, FallbackKeyCount>();
  readonly #byComm = new Map<string, FallbackKeyCount>();
  readonly #totals = { fallbacks: 0, fragmenting: 0, changedOwnership: 0 };
  readonly #row = new Float64Array(MIGRATE_TYPES + 1);

  constructor(maxPointsPerSeries = DEFAULT_MAX_POINTS_PER_SERIES, topN = DEFAULT_TOP_N) {
    this.#maxPoints = maxPointsPerSeries;
    this.#topN = topN;
    this.#overTime = new EventCounterSeries(
      ["fragmenting", "non_fragmenting"],
      Math.max(2, Math.floor(maxPointsPerSeries / 2)),
    );
  }

  /** Sets the time origin of the fallback counter (the trace's first timestamp). */
  setOrigin(tsNs: number): void {
    this.#overTime.setOrigin(tsNs);
  }

  /** Adds one pageblock census of a zone. */
  addSample(s: PageblockSample): void {
    const node = s.node ?? 0;
    const key = `${node}/${s.zone}`;
    let z = this.#zones.get(key);
    if (!z) {
      z = {
        node,
        zone: s.zone,
        s: new SeriesDownsampler([...MIGRATE_TYPE_NAMES, "mixed"], this.#maxPoints),
      };
      this.#zones.set(key, z);
    }
    const row = this.#row;
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) row[mt] = s.blocksByType[mt] ?? NaN;
    row[MIGRATE_TYPES] = s.mixedBlocks ?? NaN;
    z.s.add(s.tsNs, row);
  }

  /** Counts one fallback. */
  addFallback(e: FallbackEvent): void {
    const a = clampType(e.allocMigratetype);
    const f = clampType(e.fallbackMigratetype);
    this.#pairs[(a * MIGRATE_TYPES + f) * 2 + (e.fragmenting ? 1 : 0)]! += 1;
    this.#byOrder[Math.min(Math.max(e.fallbackOrder, 0), NR_PAGE_ORDERS - 1)]! += 1;
    this.#overTime.add(e.tsNs, e.fragmenting ? 0 : 1);
    this.#totals.fallbacks++;
    if (e.fragmenting) this.#totals.fragmenting++;
    if (e.changeOwnership) this.#totals.changedOwnership++;
    if (e.callSite) bump(this.#bySite, e.callSite, e);
    if (e.comm !== undefined) bump(this.#byComm, e.comm, e);
  }

  /** Plain-data result. */
  finish(): PageblockMetricsResult {
    const pairs: FallbackPairCount[] = [];
    for (let a = 0; a < MIGRATE_TYPES; a++) {
      for (let f = 0; f < MIGRATE_TYPES; f++) {
        for (let fr = 0; fr < 2; fr++) {
          const count = this.#pairs[(a * MIGRATE_TYPES + f) * 2 + fr]!;
          if (count === 0) continue;
          pairs.push({
            allocMigratetype: MIGRATE_TYPE_NAMES[a]!,
            fallbackMigratetype: MIGRATE_TYPE_NAMES[f]!,
            fragmenting: fr === 1,
            count,
          });
        }
      }
    }
    pairs.sort((x, y) => y.count - x.count);
    return {
      blocksByZone: [...this.#zones.values()].map((z) => ({
        node: z.node,
        zone: z.zone,
        blocks: toSeriesSet(z.s),
      })),
      fallbacksOverTime: toCounterSet(this.#overTime),
      fallbackPairs: pairs,
      fallbacksByFallbackOrder: Array.from(this.#byOrder),
      byCallSite: topByTotal(this.#bySite, this.#topN),
      byComm: topByTotal(this.#byComm, this.#topN),
      totals: { ...this.#totals },
    };
  }
}

function clampType(mt: number): number {
  return mt >= 0 && mt < MIGRATE_TYPES ? mt : 0;
}

function bump(map: Map<string, FallbackKeyCount>, key: string, e: FallbackEvent): void {
  let c = map.get(key);
  if (!c) {
    c = { key, total: 0, fragmenting: 0, changedOwnership: 0 };
    map.set(key, c);
  }
  c.total++;
  if (e.fragmenting) c.fragmenting++;
  if (e.changeOwnership) c.changedOwnership++;
}

function topByTotal(map: Map<string, FallbackKeyCount>, n: number): FallbackKeyCount[] {
  return [...map.values()]
    .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, n)
    .map((c) => ({ ...c }));
}

/**
 * Pageblocks per migratetype of one zone from per-pageblock arrays (the replay's
 * `pageblockMt` / `pageblockZone`, indexed by pfn >> pageblock order), into `out` (reused).
 *
 * @example
 * ```ts
 * import { countPageblocksByType } from "./pageblock_metrics.ts";
 * const out = new Float64Array(6);
 * countPageblocksByType(Uint8Array.of(0, 1, 1, 2), Uint8Array.of(2, 2, 1, 2), 2, out);
 * Array.from(out); // [1, 1, 1, 0, 0, 0]
 * ```
 */
export function countPageblocksByType(
  pageblockMt: ArrayLike<number>,
  pageblockZone: ArrayLike<number>,
  zoneIndex: number,
  out: Float64Array,
): Float64Array {
  out.fill(0);
  for (let b = 0; b < pageblockMt.length; b++) {
    if (pageblockZone[b] !== zoneIndex) continue;
    const mt = pageblockMt[b]!;
    if (mt < out.length) out[mt]! += 1;
  }
  return out;
}
