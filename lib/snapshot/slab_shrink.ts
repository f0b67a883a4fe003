/**
 * Reader and writer of the `before.slab_shrink` / `after.slab_shrink` files of a capture bundle:
 * the record that `kmem capture` wrote `1` to `/sys/kernel/slab/<cache>/shrink` of every cache
 * just before the slabinfo of that snapshot was read.
 *
 * Why it matters: slabinfo's `active_objs` is `nr_objs − free objects of node partial slabs`
 * (mm/slub.c `get_slabinfo`), so the free objects of CPU slabs, cpu-partial slabs and per-CPU
 * sheaves count as active, and which slabs the CPUs hold is in no /proc or sysfs file. A shrink
 * (`kmem_cache_shrink` → `flush_all`: sheaves and cpu slabs back to the node lists, then
 * `barn_shrink`, Linux 6.18 mm/slub.c) empties all of them, so the slabinfo read right after it
 * counts exactly the objects in use — which the trace's allocations and frees predict.
 *
 * ```text
 * # kmemreplay slab_shrink 1: /sys/kernel/slab/<cache>/shrink written before this snapshot
 * caches=232 failed=0 ms=7.2
 * failed kmalloc-rnd-01-8
 * ```
 *
 * @module
 */

import { TraceSyntaxError } from "../trace/diagnostics.ts";
import { parseCount, snapshotLines, type SnapshotPlace } from "./parse_count.ts";

/** First line of a slab_shrink file (version 1). */
export const SLAB_SHRINK_HEADER =
  "# kmemreplay slab_shrink 1: /sys/kernel/slab/<cache>/shrink written before this snapshot";

/** What a shrink before a snapshot did. */
export interface SlabShrinkRecord {
  /** Caches whose shrink file was written successfully. */
  caches: number;
  /** Caches whose shrink could not be written (their slabinfo row is not exact). */
  failed: string[];
  /** Milliseconds all the writes took. */
  ms: number;
}

/**
 * Formats a slab_shrink file.
 *
 * @example
 * ```ts
 * import { formatSlabShrink } from "./slab_shrink.ts";
 * formatSlabShrink({ caches: 2, failed: [], ms: 1.25 }).split("\n")[1]; // "caches=2 failed=0 ms=1.3"
 * ```
 */
export function formatSlabShrink(r: SlabShrinkRecord): string {
  const lines = [
    SLAB_SHRINK_HEADER,
    `caches=${r.caches} failed=${r.failed.length} ms=${r.ms.toFixed(1)}`,
    ...r.failed.map((n) => `failed ${n}`),
  ];
  return lines.join("\n") + "\n";
}

const SUMMARY = /^caches=(\d+) failed=(\d+) ms=(\d+(?:\.\d+)?)$/;

/**
 * Parses a slab_shrink file; throws a {@linkcode TraceSyntaxError} naming the file and line on a
 * line that is neither the summary nor `failed <cache>`, or when the failed count disagrees.
 *
 * @example
 * ```ts
 * import { parseSlabShrink } from "./slab_shrink.ts";
 * const r = parseSlabShrink("caches=231 failed=1 ms=7.0\nfailed kmalloc-8\n");
 * r.caches; // 231
 * r.failed; // ["kmalloc-8"]
 * ```
 */
export function parseSlabShrink(text: string, file = "<input>"): SlabShrinkRecord {
  const lines = snapshotLines(text);
  let summary: { caches: number; failed: number; ms: number; at: SnapshotPlace } | null = null;
  const failed: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const at: SnapshotPlace = { file, line: i + 1, text: lines[i]! };
    const m = SUMMARY.exec(line);
    if (m) {
      if (summary !== null) throw new TraceSyntaxError("a second caches=N line", at);
      summary = {
        caches: parseCount(m[1], "caches", at),
        failed: parseCount(m[2], "failed", at),
        ms: Number(m[3]),
        at,
      };
    } else if (line.startsWith("failed ")) failed.push(line.slice(7).trim());
    else throw new TraceSyntaxError("expected caches=N failed=N ms=X or failed <cache>", at);
  }
  if (summary === null) {
    throw new TraceSyntaxError("no caches=N failed=N ms=X line", { file, line: 1, text: "" });
  }
  if (summary.failed !== failed.length) {
    throw new TraceSyntaxError(
      `failed=${summary.failed} but ${failed.length} failed lines`,
      summary.at,
    );
  }
  return { caches: summary.caches, failed, ms: summary.ms };
}
