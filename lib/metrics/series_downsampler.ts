/**
 * Bounded time series for traces of any length: a fixed number of time buckets whose width
 * doubles (pairs merged) whenever a sample falls past the last bucket. Each bucket keeps, per
 * series, the first, minimum, maximum and last sample (M4 downsampling), so spikes and dips
 * survive and a chart drawn from the points looks like one drawn from every sample. Exact
 * whole-run statistics (count, min, max, sum, last) are kept separately from the buckets.
 *
 * @module
 */

/** Default bound on output points per series. */
export const DEFAULT_MAX_POINTS_PER_SERIES = 600;
/** Points a bucket can contribute per series: first, min, max, last. */
const POINTS_PER_BUCKET = 4;
/** First bucket width in ns before any doubling; small so short traces keep full detail. */
const INITIAL_BUCKET_WIDTH_NS = 1;

/** Exact statistics over every sample of one series. */
export interface SeriesStats {
  count: number;
  min: number;
  max: number;
  sum: number;
  last: number;
}

/** Downsampled points of one series, in time order. */
export interface SeriesPoints {
  tsNs: Float64Array;
  values: Float64Array;
}

/**
 * K parallel series sampled at the same instants (e.g. free blocks of orders 0..10), bounded
 * to `maxPointsPerSeries` output points each whatever the number of samples.
 *
 * @example
 * ```ts
 * import { SeriesDownsampler } from "./series_downsampler.ts";
 * const s = new SeriesDownsampler(["free_pages"], 8);
 * for (let i = 0; i < 1000; i++) s.add(i * 1e6, [i % 100 === 50 ? 0 : 500]);
 * s.points(0).values.length <= 8; // true
 * Math.min(...s.points(0).values); // 0: the dip survives
 * s.stats(0).count; // 1000
 * ```
 */
export class SeriesDownsampler {
  readonly names: readonly string[];
  readonly maxPointsPerSeries: number;
  readonly #k: number;
  readonly #nBuckets: number;
  #t0 = NaN;
  #widthNs = INITIAL_BUCKET_WIDTH_NS;
  #usedBuckets = 0;
  // Per (bucket, series) cell j = bucket * k + series.
  readonly #has: Uint8Array;
  readonly #firstT: Float64Array;
  readonly #firstV: Float64Array;
  readonly #lastT: Float64Array;
  readonly #lastV: Float64Array;
  readonly #minT: Float64Array;
  readonly #minV: Float64Array;
  readonly #maxT: Float64Array;
  readonly #maxV: Float64Array;
  // Exact per-series statistics.
  readonly #count: Float64Array;
  readonly #sMin: Float64Array;
  readonly #sMax: Float64Array;
  readonly #sSum: Float64Array;
  readonly #sLast: Float64Array;
  #samples = 0;

  constructor(names: readonly string[], maxPointsPerSeries = DEFAULT_MAX_POINTS_PER_SERIES) {
    if (names.length === 0) throw new RangeError("SeriesDownsampler needs at least one series");
    if (maxPointsPerSeries < 2 * POINTS_PER_BUCKET) {
      throw new RangeError(`maxPointsPerSeries must be >= ${2 * POINTS_PER_BUCKET}`);
    }
    this.names = names;
    this.maxPointsPerSeries = maxPointsPerSeries;
    this.#k = names.length;
    // An even bucket count so that merging pairs halves it exactly.
    this.#nBuckets = Math.floor(maxPointsPerSeries / POINTS_PER_BUCKET) & ~1;
    const cells = this.#k * this.#nBuckets;
    this.#has = new Uint8Array(cells);
    this.#firstT = new Float64Array(cells);
    this.#firstV = new Float64Array(cells);
    this.#lastT = new Float64Array(cells);
    this.#lastV = new Float64Array(cells);
    this.#minT = new Float64Array(cells);
    this.#minV = new Float64Array(cells);
    this.#maxT = new Float64Array(cells);
    this.#maxV = new Float64Array(cells);
    this.#count = new Float64Array(this.#k);
    this.#sMin = new Float64Array(this.#k).fill(Infinity);
    this.#sMax = new Float64Array(this.#k).fill(-Infinity);
    this.#sSum = new Float64Array(this.#k);
    this.#sLast = new Float64Array(this.#k).fill(NaN);
  }

  /** Number of series. */
  get seriesCount(): number {
    return this.#k;
  }

  /** Current bucket width in ns (grows by doubling as the trace gets longer). */
  get bucketWidthNs(): number {
    return this.#widthNs;
  }

  /** Number of `add` calls. */
  get sampleCount(): number {
    return this.#samples;
  }

  /** Time of the first sample in ns (NaN before any). */
  get firstTsNs(): number {
    return this.#t0;
  }

  /**
   * Adds one sample of every series at `tsNs` (non-decreasing; an earlier time is put in the
   * first bucket). `values[i]` belongs to series i; NaN means "no value" for that series.
   */
  add(tsNs: number, values: ArrayLike<number>): void {
    if (Number.isNaN(this.#t0)) this.#t0 = tsNs;
    this.#samples++;
    let b = Math.floor((tsNs - this.#t0) / this.#widthNs);
    if (b < 0) b = 0;
    while (b >= this.#nBuckets) {
      this.#mergePairs();
      b = Math.floor((tsNs - this.#t0) / this.#widthNs);
    }
    if (b + 1 > this.#usedBuckets) this.#usedBuckets = b + 1;
    const k = this.#k;
    const base = b * k;
    for (let i = 0; i < k; i++) {
      const v = values[i] ?? NaN;
      if (Number.isNaN(v)) continue;
      const j = base + i;
      if (this.#has[j] === 0) {
        this.#has[j] = 1;
        this.#firstT[j] = tsNs;
        this.#firstV[j] = v;
        this.#minT[j] = tsNs;
        this.#minV[j] = v;
        this.#maxT[j] = tsNs;
        this.#maxV[j] = v;
      } else {
        if (v < this.#minV[j]!) {
          this.#minV[j] = v;
          this.#minT[j] = tsNs;
        }
        if (v > this.#maxV[j]!) {
          this.#maxV[j] = v;
          this.#maxT[j] = tsNs;
        }
      }
      this.#lastT[j] = tsNs;
      this.#lastV[j] = v;
      this.#count[i]! += 1;
      if (v < this.#sMin[i]!) this.#sMin[i] = v;
      if (v > this.#sMax[i]!) this.#sMax[i] = v;
      this.#sSum[i]! += v;
      this.#sLast[i] = v;
    }
  }

  /** Halves the resolution: bucket d <- merge(2d, 2d+1), width doubles. */
  #mergePairs(): void {
    const k = this.#k;
    const half = this.#nBuckets / 2;
    for (let d = 0; d < half; d++) {
      for (let i = 0; i < k; i++) {
        const a = 2 * d * k + i;
        const c = a + k;
        const jd = d * k + i;
        const ha = this.#has[a] === 1;
        const hc = this.#has[c] === 1;
        if (ha && hc) {
          const aMin = this.#minV[a]! <= this.#minV[c]!;
          const aMax = this.#maxV[a]! >= this.#maxV[c]!;
          this.#firstT[jd] = this.#firstT[a]!;
          this.#firstV[jd] = this.#firstV[a]!;
          this.#lastT[jd] = this.#lastT[c]!;
          this.#lastV[jd] = this.#lastV[c]!;
          this.#minT[jd] = aMin ? this.#minT[a]! : this.#minT[c]!;
          this.#minV[jd] = aMin ? this.#minV[a]! : this.#minV[c]!;
          this.#maxT[jd] = aMax ? this.#maxT[a]! : this.#maxT[c]!;
          this.#maxV[jd] = aMax ? this.#maxV[a]! : this.#maxV[c]!;
          this.#has[jd] = 1;
        } else if (ha || hc) {
          const src = ha ? a : c;
          this.#firstT[jd] = this.#firstT[src]!;
          this.#firstV[jd] = this.#firstV[src]!;
          this.#lastT[jd] = this.#lastT[src]!;
          this.#lastV[jd] = this.#lastV[src]!;
          this.#minT[jd] = this.#minT[src]!;
          this.#minV[jd] = this.#minV[src]!;
          this.#maxT[jd] = this.#maxT[src]!;
          this.#maxV[jd] = this.#maxV[src]!;
          this.#has[jd] = 1;
        } else {
          this.#has[jd] = 0;
        }
      }
    }
    this.#has.fill(0, half * k);
    this.#usedBuckets = Math.ceil(this.#usedBuckets / 2);
    this.#widthNs *= 2;
  }

  /**
   * Downsampled points of series `i` in time order: per bucket the first, min, max and last
   * samples (a sample that is several of these appears once), at most `maxPointsPerSeries`;
   * runs of equal values keep only their first and last point.
   */
  points(i: number): SeriesPoints {
    const k = this.#k;
    const ts: number[] = [];
    const vs: number[] = [];
    const push = (t: number, v: number) => {
      const n = ts.length;
      if (n > 0 && ts[n - 1] === t) return;
      // Inside a run of equal values only the run's first and last points matter for a line:
      // move the run's end instead of adding a point (watermarks are flat for long stretches).
      if (n > 1 && vs[n - 1] === v && vs[n - 2] === v) {
        ts[n - 1] = t;
        return;
      }
      ts.push(t);
      vs.push(v);
    };
    for (let b = 0; b < this.#usedBuckets; b++) {
      const j = b * k + i;
      if (this.#has[j] !== 1) continue;
      push(this.#firstT[j]!, this.#firstV[j]!);
      if (this.#minT[j]! <= this.#maxT[j]!) {
        push(this.#minT[j]!, this.#minV[j]!);
        push(this.#maxT[j]!, this.#maxV[j]!);
      } else {
        push(this.#maxT[j]!, this.#maxV[j]!);
        push(this.#minT[j]!, this.#minV[j]!);
      }
      push(this.#lastT[j]!, this.#lastV[j]!);
    }
    return { tsNs: Float64Array.from(ts), values: Float64Array.from(vs) };
  }

  /** Exact statistics of series `i` over all samples (count 0: min/max +-Infinity, last NaN). */
  stats(i: number): SeriesStats {
    return {
      count: this.#count[i] ?? 0,
      min: this.#sMin[i] ?? Infinity,
      max: this.#sMax[i] ?? -Infinity,
      sum: this.#sSum[i] ?? 0,
      last: this.#sLast[i] ?? NaN,
    };
  }
}

/** Plain-data result of a {@linkcode SeriesDownsampler} (JSON-friendly arrays). */
export interface SeriesSet {
  /** Series names, e.g. `["free", "min", "low", "high"]` or `["0", …, "10"]`. */
  names: string[];
  /** Downsampled points per series, same order as `names`. */
  points: { tsNs: number[]; values: number[] }[];
  /** Exact statistics per series over every sample. */
  stats: SeriesStats[];
  /** Number of samples added. */
  samples: number;
}

/**
 * Snapshot of a downsampler as plain data.
 *
 * @example
 * ```ts
 * import { SeriesDownsampler, toSeriesSet } from "./series_downsampler.ts";
 * const s = new SeriesDownsampler(["a"], 8);
 * s.add(0, [1]); s.add(10, [3]);
 * toSeriesSet(s).points[0]!.values; // [1, 3]
 * ```
 */
export function toSeriesSet(s: SeriesDownsampler): SeriesSet {
  const points: { tsNs: number[]; values: number[] }[] = [];
  const stats: SeriesStats[] = [];
  for (let i = 0; i < s.seriesCount; i++) {
    const p = s.points(i);
    points.push({ tsNs: Array.from(p.tsNs), values: Array.from(p.values) });
    stats.push(s.stats(i));
  }
  return { names: [...s.names], points, stats, samples: s.sampleCount };
}
