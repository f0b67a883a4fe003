/**
 * The text of `kmem stats`: what a trace holds, one fact per line.
 *
 * @module
 */

import type { ImportSummary } from "../../calls/trace_import.ts";

/** Malformed-input codes with counts and up to 10 example lines. */
function diagnosticsLines(d: ImportSummary["diagnostics"]): string[] {
  const codes = Object.entries(d.counts);
  if (codes.length === 0) return [];
  const out = [`diagnostics:`];
  for (const [c, n] of codes) out.push(`  ${c}: ${n}`);
  for (const e of d.examples.slice(0, 10)) out.push(`    line ${e.line}: ${e.message}`);
  return out;
}

/**
 * `kmem stats` text of an import summary.
 *
 * @example
 * ```ts
 * import { formatStats } from "./stats_text.ts";
 * import { importTrace } from "../../calls/trace_import.ts";
 *
 * const path = new URL("../../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * const text = formatStats(await importTrace(f.readable, () => {}, { file: path }));
 * text.split("\n")[1]; // "format     trace.dat"
 * ```
 */
export function formatStats(s: ImportSummary): string {
  const out: string[] = [];
  const sec = (ns: number) => (ns / 1e9).toFixed(6);
  out.push(`file       ${s.file}`);
  out.push(`format     ${s.format}${s.compression !== "none" ? ` (${s.compression})` : ""}`);
  out.push(`kernel     ${s.features.kernel}`);
  if (s.timeNs.first >= 0) {
    out.push(
      `time       ${sec(s.timeNs.first)} … ${sec(s.timeNs.last)} s (span ${
        (s.timeNs.span / 1e9).toFixed(3)
      } s)`,
    );
  }
  const l = s.lines;
  out.push(
    `${
      s.format === "trace.dat" ? "records" : "lines  "
    }    ${l.total} total: ${l.parsed} parsed, ` +
      `${l.unknown} unknown, ${l.malformed} malformed, ${l.comment} comment`,
  );
  out.push(
    `lost       ${s.lost.markers} markers, ${s.lost.events} events reported lost` +
      (s.lost.markers > 0 ? "  ← replay results near these points are uncertain" : ""),
  );
  out.push(`events     ${s.events.total}`);
  const kinds = Object.entries(s.events.byKind).sort((a, b) => b[1] - a[1]);
  for (const [k, n] of kinds) out.push(`  ${k.padEnd(36)} ${String(n).padStart(10)}`);
  out.push(
    `by cpu     ${Object.entries(s.events.byCpu).map(([c, n]) => `cpu${c}=${n}`).join(" ")}`,
  );
  const unknown = Object.entries(s.unknownEvents);
  if (unknown.length > 0) {
    out.push(`unknown events (counted, not replayed):`);
    for (const [k, n] of unknown.sort((a, b) => b[1] - a[1]).slice(0, 20)) {
      out.push(`  ${k.padEnd(36)} ${String(n).padStart(10)}`);
    }
  }
  out.push(
    `calls      ${s.calls.total} (mm_page_free_batched annotated ${s.calls.batchedAnnotated} frees, ` +
      `${s.calls.batchedUnmatched} unmatched; ${s.calls.late} arrived too late to reorder)`,
  );
  out.push(...diagnosticsLines(s.diagnostics));
  return out.join("\n");
}
