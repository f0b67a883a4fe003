/**
 * The summary `kmem import` prints on stderr: calls and events written, and where, then the
 * line and lost-event counts.
 *
 * @module
 */

import type { ImportSummary } from "../../calls/trace_import.ts";

/** The summary of an import written to `output` (`-` = stdout). */
export function formatImportSummary(s: ImportSummary, output: string): string {
  return `${s.calls.total} calls from ${s.events.total} events (${s.format}) → ${
    output === "-" ? "stdout" : output
  }\nlines ${JSON.stringify(s.lines)} lost ${JSON.stringify(s.lost)}\n`;
}
