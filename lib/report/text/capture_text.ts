/**
 * The summary `kmem capture` prints on stderr: the capture's notes, then the seconds recorded and
 * the events lost.
 *
 * @module
 */

import type { CaptureResult } from "../../capture/tracefs_capture.ts";

/** The summary of a capture written to the bundle directory `outputDir`. */
export function formatCaptureSummary(r: CaptureResult, outputDir: string): string {
  const notes = r.notes.map((n) => `note: ${n}\n`).join("");
  return `${notes}${outputDir}: ${r.stats.seconds.toFixed(2)} s recorded, ` +
    `${r.stats.lostEvents} events lost\n`;
}
