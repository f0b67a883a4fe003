/**
 * Loads a capture bundle directory: picks its trace file, reads its `before.*` / `after.*`
 * snapshots and `uname`. The one place in lib/snapshot/ that reads files; the parsers it calls
 * take text.
 *
 * @module
 */

import { InputError } from "../trace/diagnostics.ts";
import { bundleLayout } from "./bundle_layout.ts";
import { parseSnapshotSet, type SnapshotPair } from "./bundle.ts";

/** Trace formats a bundle's trace can be chosen by (the `kmem --format` values). */
export type BundleTraceFormat = "auto" | "tracefs" | "trace-cmd" | "perf-script" | "trace.dat";

/** A bundle directory's files, read but not parsed. */
export interface BundleFiles {
  dir: string;
  /** Path of the trace to read (`dir/trace.dat` …). */
  tracePath: string;
  traceSizeBytes: number;
  /** Snapshot file contents keyed by file name (`before.zoneinfo` …), as bytes (kpageflags is binary). */
  snapshotFiles: Record<string, Uint8Array>;
  /** The bundle's `uname` file (kernel release of the traced machine), when present. */
  uname: string | null;
}

/** A bundle directory with its snapshots parsed. */
export interface Bundle extends BundleFiles {
  snapshots: SnapshotPair;
}

/**
 * The bundle's trace to read: the preferred one, unless `format` names a format another of its
 * traces has (a bundle with trace.dat and trace.txt read as `tracefs` takes the text).
 */
export function bundleTraceFor(
  trace: string,
  others: readonly string[],
  format: BundleTraceFormat = "auto",
): string {
  if (format === "auto") return trace;
  const isDat = (n: string) => /\.dat(\.(gz|zst))?$/.test(n);
  const want = format === "trace.dat"
    ? isDat
    : format === "perf-script"
    ? (n: string) => /perf/.test(n)
    : format === "trace-cmd"
    ? (n: string) => /trace-cmd/.test(n)
    : (n: string) => !isDat(n) && !/perf|trace-cmd/.test(n);
  return [trace, ...others].find(want) ?? trace;
}

/** Reads a bundle directory's trace choice, snapshot files and `uname` without parsing them. */
export async function readBundleFiles(
  dir: string,
  format: BundleTraceFormat = "auto",
): Promise<BundleFiles> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile || e.isSymlink) names.push(e.name);
  const layout = bundleLayout(names);
  if (layout.trace === null) {
    throw new InputError(
      `${dir}: no trace file in this directory (looked for trace.dat, ` +
        `trace.txt[.gz], perf-script.txt[.gz] …)`,
    );
  }
  const snapshotFiles: Record<string, Uint8Array> = {};
  for (const n of layout.snapshots) snapshotFiles[n] = await Deno.readFile(`${dir}/${n}`);
  const tracePath = `${dir}/${bundleTraceFor(layout.trace, layout.otherTraces, format)}`;
  const uname = names.includes("uname") ? (await Deno.readTextFile(`${dir}/uname`)).trim() : null;
  return {
    dir,
    tracePath,
    traceSizeBytes: (await Deno.stat(tracePath)).size,
    snapshotFiles,
    uname,
  };
}

/**
 * Loads a capture bundle (the directory `kmem capture` writes): the trace to read and the parsed
 * before/after snapshots.
 *
 * @example Replay the bundled demo capture from its snapshots
 * ```ts
 * import { loadBundle } from "./load_bundle.ts";
 * import { replayTrace } from "../replay/replay_trace.ts";
 *
 * const b = await loadBundle(new URL("../../traces/demo/", import.meta.url).pathname);
 * using file = await Deno.open(b.tracePath);
 * const r = await replayTrace(file.readable, { file: b.tracePath, snapshots: b.snapshots });
 * r.pages.zones.map((z) => z.name); // ["DMA", "DMA32", "Normal"]
 * ```
 */
export async function loadBundle(
  dir: string,
  options: { format?: BundleTraceFormat } = {},
): Promise<Bundle> {
  const files = await readBundleFiles(dir, options.format);
  return { ...files, snapshots: parseSnapshotSet(files.snapshotFiles) };
}
