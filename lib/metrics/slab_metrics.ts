/**
 * Slab metrics: per-cache utilisation and waste over time (from the slab model's samples or
 * /proc/slabinfo snapshots), top call sites by waste and by live bytes, and leak candidates.
 *
 * Waste of a cache = bytes of its slab pages − active objects × object size (free objects plus
 * the slab tail that no object fits in). Waste of a call site = bytes_alloc − bytes_req of its
 * allocations (rounding up to the kmalloc size class / cache object size).
 *
 * @module
 */

import { PAGE_SIZE_4K_BYTES } from "../kernel/constants.ts";
import { SeriesDownsampler, SeriesSet, toSeriesSet } from "./series_downsampler.ts";

/** One cache at one moment (the columns of /proc/slabinfo, or the slab model's counters). *
 * @example
 * ```ts
 * import type { SlabCacheSample } from "./slab_metrics.ts";
 * // slabinfo: "bio-120  192  192  128  32  1 : tunables 0 0 0 : slabdata 6 6 0"
 * const s: SlabCacheSample = { tsNs: 0, cache: "bio-120", activeObjs: 192, numObjs: 192,
 *   objSizeBytes: 128, objsPerSlab: 32, pagesPerSlab: 1, numSlabs: 6 };
 * ```
 */
export interface SlabCacheSample {
  tsNs: number;
  cache: string;
  activeObjs: number;
  numObjs: number;
  /** s->size in bytes (slabinfo `objsize`). */
  objSizeBytes: number;
  objsPerSlab: number;
  pagesPerSlab: number;
  numSlabs: number;
}

/** Allocation statistics of one call site (plain data from the slab model, at trace end). *
 * @example
 * ```ts
 * import type { SlabCallSiteStat } from "./slab_metrics.ts";
 * const s: SlabCallSiteStat = { callSite: "alloc_fdtable+0x55/0x140", cache: "kmalloc-64",
 *   allocs: 10, frees: 9, liveObjs: 1, liveBytesReq: 56, liveBytesAlloc: 64,
 *   totalWasteBytes: 80, oldestLiveTsNs: 460_302_152_000 };
 * ```
 */
export interface SlabCallSiteStat {
  /** Symbol+offset (`alloc_fdtable+0x55/0x140`) or hex address. */
  callSite: string;
  /** Cache name ("kmalloc-64", "dentry"); "" when several. */
  cache: string;
  allocs: number;
  frees: number;
  /** Objects of this site still allocated at the end. */
  liveObjs: number;
  /** Σ bytes_req of the live objects. */
  liveBytesReq: number;
  /** Σ bytes_alloc of the live objects. */
  liveBytesAlloc: number;
  /** Σ (bytes_alloc − bytes_req) over every allocation of the site. */
  totalWasteBytes: number;
  /** Timestamp of the oldest live object, ns (NaN when unknown or none). */
  oldestLiveTsNs: number;
}

/** Whole-run summary of one cache (exact, from all samples). */
export interface SlabCacheSummary {
  cache: string;
  objSizeBytes: number;
  firstActiveObjs: number;
  lastActiveObjs: number;
  peakActiveObjs: number;
  lastNumObjs: number;
  lastSlabBytes: number;
  lastWasteBytes: number;
  peakWasteBytes: number;
  /** lastActiveObjs / lastNumObjs in percent (100 when the cache is empty). */
  lastUtilisationPct: number;
}

/** A call site whose live objects look like a leak: many, old, rarely freed. */
export interface LeakCandidate extends SlabCallSiteStat {
  /** Age of the oldest live object at trace end, ns (NaN when unknown). */
  oldestAgeNs: number;
  /** frees / allocs. */
  freeRatio: number;
}

/** Options of {@linkcode leakCandidates}. */
export interface LeakCandidateOptions {
  traceStartNs: number;
  traceEndNs: number;
  /** Minimum live objects (default 16). */
  minLiveObjs?: number;
  /** Maximum frees/allocs (default 0.1). */
  maxFreeRatio?: number;
  /** Minimum age of the oldest live object as a share of the trace span (default 0.5). */
  minAgeShare?: number;
  /** Length of the returned list (default 25). */
  limit?: number;
}

/** Everything measured about slabs, as plain data. */
export interface SlabMetricsResult {
  /** Every cache seen, by last waste, largest first. */
  caches: SlabCacheSummary[];
  /** Series "live_bytes", "slab_bytes", "waste_bytes", "utilisation_pct" of the top caches. */
  topCacheSeries: { cache: string; series: SeriesSet }[];
  topByWaste: SlabCallSiteStat[];
  topByLiveBytes: SlabCallSiteStat[];
  leakCandidates: LeakCandidate[];
}

const CACHE_SERIES = ["live_bytes", "slab_bytes", "waste_bytes", "utilisation_pct"];
/** Points per series for each cache: caches are many, so fewer than zone series. */
const CACHE_MAX_POINTS = 200;
const PERCENT = 100;

/**
 * Collects slab metrics.
 *
 * @example
 * ```ts
 * import { SlabMetrics } from "./slab_metrics.ts";
 * const m = new SlabMetrics();
 * m.addCacheSample({ tsNs: 0, cache: "kmalloc-64", activeObjs: 60, numObjs: 64,
 *   objSizeBytes: 64, objsPerSlab: 64, pagesPerSlab: 1, numSlabs: 1 });
 * m.finish().caches[0]!.lastWasteBytes; // 4096 − 60·64 = 256
 * ```
 */
export class SlabMetrics {
  readonly #caches = new Map<
    string,
    { summary: SlabCacheSummary; s: SeriesDownsampler }
  >();
  #sites: SlabCallSiteStat[] = [];
  #leakOptions: LeakCandidateOptions | null = null;
  readonly #row = new Float64Array(CACHE_SERIES.length);
  readonly #maxPoints: number;

  constructor(maxPointsPerCache = CACHE_MAX_POINTS) {
    this.#maxPoints = maxPointsPerCache;
  }

  /** Adds one sample of one cache. */
  addCacheSample(s: SlabCacheSample): void {
    let c = this.#caches.get(s.cache);
    if (!c) {
      c = {
        summary: {
          cache: s.cache,
          objSizeBytes: s.objSizeBytes,
          firstActiveObjs: s.activeObjs,
          lastActiveObjs: 0,
          peakActiveObjs: 0,
          lastNumObjs: 0,
          lastSlabBytes: 0,
          lastWasteBytes: 0,
          peakWasteBytes: 0,
          lastUtilisationPct: PERCENT,
        },
        s: new SeriesDownsampler(CACHE_SERIES, this.#maxPoints),
      };
      this.#caches.set(s.cache, c);
    }
    const liveBytes = s.activeObjs * s.objSizeBytes;
    const slabBytes = s.numSlabs * s.pagesPerSlab * PAGE_SIZE_4K_BYTES;
    const waste = slabBytes - liveBytes;
    const util = s.numObjs > 0 ? s.activeObjs * PERCENT / s.numObjs : PERCENT;
    const row = this.#row;
    row[0] = liveBytes;
    row[1] = slabBytes;
    row[2] = waste;
    row[3] = util;
    c.s.add(s.tsNs, row);
    const sum = c.summary;
    sum.objSizeBytes = s.objSizeBytes;
    sum.lastActiveObjs = s.activeObjs;
    sum.peakActiveObjs = Math.max(sum.peakActiveObjs, s.activeObjs);
    sum.lastNumObjs = s.numObjs;
    sum.lastSlabBytes = slabBytes;
    sum.lastWasteBytes = waste;
    sum.peakWasteBytes = Math.max(sum.peakWasteBytes, waste);
    sum.lastUtilisationPct = util;
  }

  /** Sets the call-site statistics (from the slab model at trace end) and the trace span. */
  setCallSites(sites: SlabCallSiteStat[], leakOptions: LeakCandidateOptions): void {
    this.#sites = sites;
    this.#leakOptions = leakOptions;
  }

  /** Plain-data result with series for the `topCaches` caches of largest peak waste. */
  finish(topCaches = 8, topSites = 25): SlabMetricsResult {
    const all = [...this.#caches.values()];
    const caches = all.map((c) => ({ ...c.summary }))
      .sort((a, b) => b.lastWasteBytes - a.lastWasteBytes || cmp(a.cache, b.cache));
    const top = [...all]
      .sort((a, b) =>
        b.summary.peakWasteBytes - a.summary.peakWasteBytes || cmp(a.summary.cache, b.summary.cache)
      )
      .slice(0, topCaches)
      .map((c) => ({ cache: c.summary.cache, series: toSeriesSet(c.s) }));
    const waste = (s: SlabCallSiteStat) => s.totalWasteBytes;
    return {
      caches,
      topCacheSeries: top,
      topByWaste: topBy(this.#sites, waste, topSites),
      topByLiveBytes: topBy(this.#sites, (s) => s.liveBytesAlloc, topSites),
      leakCandidates: this.#leakOptions
        ? leakCandidates(this.#sites, { limit: topSites, ...this.#leakOptions })
        : [],
    };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function topBy(
  sites: SlabCallSiteStat[],
  key: (s: SlabCallSiteStat) => number,
  n: number,
): SlabCallSiteStat[] {
  return sites.filter((s) => key(s) > 0)
    .sort((a, b) => key(b) - key(a) || cmp(a.callSite, b.callSite))
    .slice(0, n);
}

/**
 * Call sites that look like leaks: at least `minLiveObjs` live objects, frees/allocs at most
 * `maxFreeRatio`, and (when known) an oldest live object older than `minAgeShare` of the trace
 * span. Sorted by live bytes. Only candidates: long-lived caches (dentries, inodes) qualify too.
 *
 * @example
 * ```ts
 * import { leakCandidates } from "./slab_metrics.ts";
 * const site = { callSite: "f+0x1/0x9", cache: "kmalloc-64", allocs: 100, frees: 2, liveObjs: 98,
 *   liveBytesReq: 98 * 40, liveBytesAlloc: 98 * 64, totalWasteBytes: 2400, oldestLiveTsNs: 0 };
 * leakCandidates([site], { traceStartNs: 0, traceEndNs: 10 })[0]!.freeRatio; // 0.02
 * ```
 */
export function leakCandidates(
  sites: SlabCallSiteStat[],
  o: LeakCandidateOptions,
): LeakCandidate[] {
  const minLive = o.minLiveObjs ?? 16;
  const maxRatio = o.maxFreeRatio ?? 0.1;
  const minAge = (o.minAgeShare ?? 0.5) * (o.traceEndNs - o.traceStartNs);
  const out: LeakCandidate[] = [];
  for (const s of sites) {
    if (s.liveObjs < minLive || s.allocs === 0) continue;
    const freeRatio = s.frees / s.allocs;
    if (freeRatio > maxRatio) continue;
    const oldestAgeNs = Number.isNaN(s.oldestLiveTsNs) ? NaN : o.traceEndNs - s.oldestLiveTsNs;
    if (!Number.isNaN(oldestAgeNs) && oldestAgeNs < minAge) continue;
    out.push({ ...s, oldestAgeNs, freeRatio });
  }
  out.sort((a, b) => b.liveBytesAlloc - a.liveBytesAlloc || cmp(a.callSite, b.callSite));
  return out.slice(0, o.limit ?? 25);
}
