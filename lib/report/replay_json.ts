/**
 * The object behind `kmem replay --json` (a public contract, see README): the page replay
 * result plus slab totals, the import summary and the verdict. `summary.json` of a report carries the same
 * keys.
 *
 * @module
 */

import { type MemoryVerdict, memoryVerdict } from "../metrics/memory_verdict.ts";
import type { ReplayTraceResult } from "../replay/replay_trace.ts";

/**
 * The verdict of a replay run with metrics (null without: the worst moment needs samples).
 *
 * @example
 * ```ts
 * import { replayVerdict } from "./replay_json.ts";
 * import { replayTrace } from "../replay/replay_trace.ts";
 *
 * const path = new URL("../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * replayVerdict(await replayTrace(f.readable, { file: path })); // null
 * ```
 */
export function replayVerdict(r: ReplayTraceResult): MemoryVerdict | null {
  return r.metrics ? memoryVerdict(r.pages, r.metrics, { endTsNs: r.import.timeNs.last }) : null;
}

/**
 * `kmem replay --json` of a replay result.
 *
 * @example
 * ```ts
 * import { replayJson } from "./replay_json.ts";
 * import { replayTrace } from "../replay/replay_trace.ts";
 *
 * const path = new URL("../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * const j = replayJson(await replayTrace(f.readable, { file: path }));
 * (j.trace as { events: number }).events; // 3147
 * ```
 */
export function replayJson(r: ReplayTraceResult): Record<string, unknown> {
  return {
    ...r.pages,
    trace: {
      file: r.import.file,
      format: r.import.format,
      kernel: r.import.features.kernel,
      timeNs: r.import.timeNs,
      events: r.import.events.total,
    },
    slab: r.slab
      ? {
        totals: r.slab.totals,
        desync: r.slab.desync,
        caches: r.slab.caches.length,
        leaks: r.slab.leaks.length,
      }
      : null,
    slabPages: r.slabPages,
    elapsedMs: Math.round(r.elapsedMs),
    verdict: replayVerdict(r),
  };
}
