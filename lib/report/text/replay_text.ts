/**
 * The text of `kmem replay`: per zone free pages, watermarks and free blocks per order, then
 * fallbacks, failures, desyncs and the slab layer's totals.
 *
 * @module
 */

import type { ReplayTraceResult } from "../../replay/replay_trace.ts";
import { replayVerdict } from "../replay_json.ts";
import { formatVerdict } from "./verdict_text.ts";

/**
 * `kmem replay` text of a replay result; `notes` are the machine choices made for it.
 *
 * @example
 * ```ts
 * import { formatReplay } from "./replay_text.ts";
 * import { replayTrace } from "../../replay/replay_trace.ts";
 *
 * const path = new URL("../../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * const text = formatReplay(await replayTrace(f.readable, { file: path }), []);
 * text.split("\n")[1]!.startsWith("calls      page_alloc=47"); // true
 * ```
 */
export function formatReplay(r: ReplayTraceResult, notes: readonly string[]): string {
  const p = r.pages;
  const o: string[] = [];
  o.push(
    `replay     ${p.mode} of ${r.import.file} (${r.import.format}, ${r.import.events.total} events, ` +
      `${(r.import.timeNs.span / 1e9).toFixed(3)} s of trace time)`,
  );
  for (const n of notes) o.push(`note       ${n}`);
  o.push(`calls      ${Object.entries(p.calls).map(([k, n]) => `${k}=${n}`).join(" ")}`);
  o.push("");
  const verdict = replayVerdict(r);
  if (verdict) o.push(...formatVerdict(verdict), "");
  o.push(
    "zone         free pages   min seen  pcp pages   wmark min/low/high   below low/min   free blocks per order 0..10",
  );
  for (const z of p.zones) {
    o.push(
      `${z.name.padEnd(10)} ${String(z.freePages).padStart(12)} ${
        String(z.minFreePages).padStart(10)
      } ` +
        `${String(z.pcpPages).padStart(10)}   ${
          `${z.watermarks.min}/${z.watermarks.low}/${z.watermarks.high}`.padEnd(20)
        } ${`${z.watermarkBreaches.low}/${z.watermarkBreaches.min}`.padStart(13)}   ${
          z.freeBlocks.join(" ")
        }`,
    );
  }
  o.push("");
  const f = p.fallbacks;
  o.push(
    `fallbacks  ${f.total} (fragmenting ${f.fragmenting}, claims ${f.claims}, steals ${f.steals})` +
      (Object.keys(f.byType).length
        ? `  ${Object.entries(f.byType).map(([k, n]) => `${k}=${n}`).join(" ")}`
        : ""),
  );
  o.push(
    `failures   ${p.failures.total}` +
      (p.failures.total ? `  by order: ${p.failures.byOrder.join(" ")}` : ""),
  );
  o.push(`lost       ${p.lost.markers} markers, ${p.lost.events} events`);
  const ds = Object.entries(p.desyncs);
  const dTotal = ds.reduce((a, [, n]) => a + n, 0);
  o.push(
    `desyncs    ${dTotal}${ds.length ? `: ${ds.map(([k, n]) => `${k}=${n}`).join(" ")}` : ""}`,
  );
  for (const e of p.desyncExamples.slice(0, 6)) o.push(`    ${e.kind} at ${e.line}: ${e.message}`);
  if (r.slab) {
    const t = r.slab.totals;
    o.push(
      `slab       ${t.allocs} allocs, ${t.frees} frees, ${t.liveAtEnd} live at end (${
        (t.liveBytesAtEnd / 2 ** 20).toFixed(1)
      } MiB), internal fragmentation ${t.fragPct.toFixed(3)} %, ${r.slab.caches.length} caches ` +
        `(details: kmem slab)`,
    );
  }
  if (r.slabPages) {
    o.push(
      `slab pages ${r.slabPages.delegatedCalls} trace page calls left to the slab model; ` +
        `slab blocks by order at the end: ${r.slabPages.blocksByOrder.join(" ")}`,
    );
  }
  o.push(`time       ${(r.elapsedMs / 1000).toFixed(2)} s`);
  return o.join("\n");
}
