/**
 * The report of one replay: its summary cards filled from the import summary and the replay,
 * and `summary.json` carrying the keys of `kmem replay --json` plus the report's own totals.
 *
 * @module
 */

import type { ReplayTraceResult } from "../replay/replay_trace.ts";
import { buildReport, type BuildReportOptions, type ReportFiles } from "./build_report.ts";
import { replayJson, replayVerdict } from "./replay_json.ts";

/** What the replay result does not know about its trace. */
export interface ReplayReportOptions extends BuildReportOptions {
  /** Trace name shown in the report (a bundle directory or a file). */
  traceName: string;
  /** Kernel release of the traced machine (a bundle's `uname`); default: the trace's hint. */
  kernelRelease?: string | null;
  /** Notes about how the machine was chosen, shown with the summary. */
  notes?: readonly string[];
}

/**
 * Builds the report files of a replay run with `metrics: true`.
 *
 * @example
 * ```ts
 * import { buildReplayReport } from "./replay_report.ts";
 * import { replayTrace } from "../replay/replay_trace.ts";
 *
 * const path = new URL("../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * const r = await replayTrace(f.readable, { file: path, metrics: true });
 * const { files } = await buildReplayReport(r, { traceName: path });
 * JSON.parse(files.get("summary.json") as string).trace.events; // 3147
 * ```
 */
export async function buildReplayReport(
  r: ReplayTraceResult,
  opts: ReplayReportOptions,
): Promise<ReportFiles> {
  if (!r.metrics) throw new TypeError("buildReplayReport needs a replay run with metrics: true");
  const imp = r.import;
  const desyncs = Object.values(r.pages.desyncs).reduce((a, n) => a + n, 0);
  const verdict = replayVerdict(r) ?? undefined;
  const { files } = await buildReport({
    summary: {
      traceName: opts.traceName,
      traceFormat: `${imp.format}${imp.compression !== "none" ? ` (${imp.compression})` : ""}`,
      kernelRelease: opts.kernelRelease ?? imp.features.kernel,
      firstTsNs: imp.timeNs.first,
      lastTsNs: imp.timeNs.last,
      events: imp.events.total,
      lostEvents: imp.lost.events,
      desyncs,
      calls: imp.calls.total,
      cpus: Object.keys(imp.events.byCpu).length,
      eventsByName: imp.events.byKind,
      diagnostics: Object.entries(imp.diagnostics.counts).map(([code, count]) => ({
        code,
        count,
        example: imp.diagnostics.examples.find((e) => e.code === code)?.message,
      })),
      notes: [
        `${r.pages.mode} replay; desyncs by kind: ${
          Object.entries(r.pages.desyncs).map(([k, n]) => `${k} ${n}`).join(", ") || "none"
        }`,
        ...(opts.notes ?? []),
      ],
      generator: "kmemreplay",
    },
    metrics: r.metrics,
    machine: r.spec,
    verdict,
  }, { assets: opts.assets });
  // summary.json carries the same keys as `kmem replay --json` (plus the report's own totals).
  const reportSummary = files.get("summary.json");
  files.set(
    "summary.json",
    JSON.stringify(
      {
        // The verdict first: what a reader of summary.json wants to know.
        verdict: verdict ?? null,
        ...replayJson(r),
        report: typeof reportSummary === "string" ? JSON.parse(reportSummary) : null,
      },
      null,
      2,
    ) + "\n",
  );
  return { files };
}
