/**
 * The report of a replayed input: its directory (`-o`, else `reports/<trace-name>/`) and files,
 * named after the bundle or trace and its kernel release.
 *
 * @module
 */

import type { ReplayTraceResult } from "../replay/replay_trace.ts";
import type { TraceInput } from "../snapshot/trace_input.ts";
import { buildReplayReport } from "./replay_report.ts";
import { defaultReportDir } from "./report_name.ts";

/** The directory and files of the report of `r`, replayed from `input`. */
export async function inputReport(
  r: ReplayTraceResult,
  notes: string[],
  input: TraceInput,
  outDir: string | undefined,
): Promise<{ dir: string; files: Map<string, string | Uint8Array> }> {
  const dir = outDir ?? defaultReportDir(input.path, input.bundle?.dir ?? null);
  const { files } = await buildReplayReport(r, {
    traceName: input.bundle?.dir ?? input.displayName,
    kernelRelease: input.bundle?.uname,
    notes,
  });
  return { dir, files };
}
