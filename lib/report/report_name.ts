/**
 * Where `kmem report` writes when no `-o` is given: `reports/<trace-name>/`, the name taken from
 * the bundle directory or the trace file without its compression and format suffixes.
 *
 * @module
 */

/**
 * The default report directory of a trace argument (`-` is stdin).
 *
 * @example
 * ```ts
 * import { defaultReportDir } from "./report_name.ts";
 * defaultReportDir("traces/small-6.18.txt.gz", null); // "reports/small-6.18"
 * defaultReportDir("../shared/traces/mixed/trace.dat", "../shared/traces/mixed/"); // "reports/mixed"
 * defaultReportDir("-", null); // "reports/stdin"
 * ```
 */
export function defaultReportDir(tracePath: string, bundleDir: string | null): string {
  if (tracePath === "-") return "reports/stdin";
  const name = (bundleDir ?? tracePath).replace(/\/+$/, "").split("/").pop()!
    .replace(/\.(gz|zst)$/, "").replace(/\.(txt|dat)$/, "");
  return `reports/${name}`;
}
