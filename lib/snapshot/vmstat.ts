/**
 * Reader for /proc/vmstat (mm/vmstat.c `vmstat_show`): one `name value` pair per line, the zone
 * and node counters first (`nr_free_pages`, …), then the event counters (`pgalloc_normal`,
 * `pgfree`, `compact_isolated`, …). The set of names differs between kernels and configs, so
 * every pair is kept by name; nothing is required.
 *
 * @module
 */

import { TraceSyntaxError } from "../trace/diagnostics.ts";
import { snapshotLines, type SnapshotPlace } from "./parse_count.ts";

/** Parsed /proc/vmstat: counter name → value (in the kernel's units: pages or events). */
export type Vmstat = Record<string, number>;

const PAIR = /^([a-z0-9_]+)\s+(-?\d+)\s*$/;

/**
 * Parses /proc/vmstat text.
 *
 * @example
 * ```ts
 * import { parseVmstat } from "./vmstat.ts";
 * const v = parseVmstat("nr_free_pages 1044752\npgfree 8044124\n");
 * v.pgfree; // 8044124
 * ```
 */
export function parseVmstat(text: string, file = "<input>"): Vmstat {
  const out: Vmstat = {};
  const lines = snapshotLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const at: SnapshotPlace = { file, line: i + 1, text: line };
    const m = PAIR.exec(line);
    if (!m) throw new TraceSyntaxError("not a vmstat line (name value)", at);
    const v = Number(m[2]);
    // Event counters are unsigned long; above 2^53 the low digits are lost, which a delta of
    // two snapshots tolerates far better than failing the whole bundle.
    if (!Number.isFinite(v)) throw new TraceSyntaxError(`${m[1]} out of range: ${m[2]}`, at);
    if (m[1]! in out) throw new TraceSyntaxError(`duplicate counter ${m[1]}`, at);
    out[m[1]!] = v;
  }
  return out;
}

/**
 * Per-counter difference `after − before` for counters present in both (names in `after` order).
 *
 * @example
 * ```ts
 * import { vmstatDelta } from "./vmstat.ts";
 * vmstatDelta({ pgfree: 10, a: 1 }, { pgfree: 25 }); // { pgfree: 15 }
 * ```
 */
export function vmstatDelta(before: Vmstat, after: Vmstat): Vmstat {
  const out: Vmstat = {};
  for (const [k, v] of Object.entries(after)) {
    const b = before[k];
    if (b !== undefined) out[k] = v - b;
  }
  return out;
}

/**
 * Sum of the counters whose name starts with `prefix` (`pgalloc_` → all zones' allocations).
 *
 * @example
 * ```ts
 * import { sumVmstat } from "./vmstat.ts";
 * sumVmstat({ pgalloc_dma32: 3, pgalloc_normal: 4, pgfree: 9 }, "pgalloc_"); // 7
 * ```
 */
export function sumVmstat(v: Vmstat, prefix: string): number {
  let s = 0;
  for (const [k, n] of Object.entries(v)) if (k.startsWith(prefix)) s += n;
  return s;
}
