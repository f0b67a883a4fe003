/**
 * Which files of a capture bundle directory hold what. A bundle is a directory with one trace
 * (`trace.dat`, `trace.txt[.gz|.zst]`, `trace-v6.dat.gz`, `perf-script.txt.gz` …) and
 * `before.*` / `after.*` /proc snapshots, as `kmem capture` writes it and as
 * ../shared/traces/mixed is laid out. Pure: the caller lists the directory.
 *
 * @module
 */

/** Trace file names in order of preference (binary first: smaller, exact timestamps). */
const TRACE_PREFERENCE = [
  /^trace\.dat$/,
  /^trace\.dat\.(gz|zst)$/,
  /^trace\.txt(\.(gz|zst))?$/,
  /^trace(-v\d+)?\.dat(\.(gz|zst))?$/,
  /^trace_pipe(\.txt)?(\.(gz|zst))?$/,
  /^trace-cmd(-report)?\.txt(\.(gz|zst))?$/,
  /^perf-script\.txt(\.(gz|zst))?$/,
  /\.dat(\.(gz|zst))?$/,
  /^trace.*\.txt(\.(gz|zst))?$/,
];

/** Snapshot kinds a bundle may carry. */
export const SNAPSHOT_KINDS = ["buddyinfo", "pagetypeinfo", "zoneinfo", "slabinfo"] as const;

/** What a bundle directory holds. */
export interface BundleLayout {
  /** The trace file to replay (name inside the directory), or null. */
  trace: string | null;
  /** Other trace files present (alternatives). */
  otherTraces: string[];
  /** Snapshot file names present, e.g. `before.zoneinfo`. */
  snapshots: string[];
}

/**
 * Picks the trace and the snapshot files from a directory listing.
 *
 * @example
 * ```ts
 * import { bundleLayout } from "./bundle_layout.ts";
 * const l = bundleLayout(["trace.txt.gz", "trace.dat", "before.zoneinfo", "README.md"]);
 * l.trace; // "trace.dat"
 * l.snapshots; // ["before.zoneinfo"]
 * ```
 */
export function bundleLayout(names: readonly string[]): BundleLayout {
  const sorted = [...names].sort();
  let trace: string | null = null;
  for (const re of TRACE_PREFERENCE) {
    const hit = sorted.find((n) => re.test(n));
    if (hit) {
      trace = hit;
      break;
    }
  }
  const isTrace = (n: string) => TRACE_PREFERENCE.some((re) => re.test(n));
  return {
    trace,
    otherTraces: sorted.filter((n) => n !== trace && isTrace(n)),
    snapshots: sorted.filter((n) => /^(before|after)\.\w+$/.test(n)),
  };
}
