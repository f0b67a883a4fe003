/**
 * Reader for /proc/slabinfo, format version 2.1 (mm/slab_common.c `cache_show`):
 *
 * ```text
 * slabinfo - version: 2.1
 * # name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables …
 * kmalloc-64         12345  12800     64   64    1 : tunables    0    0    0 : slabdata    200    200      0
 * ```
 *
 * Under SLUB the tunables and sharedavail are always 0 and objsize is `s->size`. The old SLAB
 * allocator's `2.1 (statistics)` variant appends `: globalstat …` / `: cpustat …` columns, which
 * are ignored. Other versions (1.x, 2.0) had different columns and are rejected.
 *
 * @module
 */

import { TraceSyntaxError } from "../trace/diagnostics.ts";
import { parseCount, snapshotLines, type SnapshotPlace } from "./parse_count.ts";

/** One cache of /proc/slabinfo. */
export interface SlabInfoRow {
  name: string;
  /** Objects in use (SLUB: all objects minus free ones on node partial lists). */
  activeObjs: number;
  /** Objects in all slabs. */
  numObjs: number;
  /** Object size including metadata and alignment (`s->size`, = `bytes_alloc`). */
  objSizeBytes: number;
  objsPerSlab: number;
  pagesPerSlab: number;
  activeSlabs: number;
  numSlabs: number;
}

const VERSION = /^slabinfo - version:\s*(\S+)/;
const ROW =
  /^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+:\s+tunables\s+(\d+)\s+(\d+)\s+(\d+)\s+:\s+slabdata\s+(\d+)\s+(\d+)\s+(\d+)(\s+:.*)?\s*$/;

/**
 * Parses /proc/slabinfo text (version 2.1).
 *
 * @example
 * ```ts
 * import { parseSlabinfo } from "./slabinfo.ts";
 * const rows = parseSlabinfo(
 *   "slabinfo - version: 2.1\n" +
 *     "kmalloc-64         12345  12800     64   64    1 : tunables    0    0    0 : slabdata    200    200      0\n",
 * );
 * rows[0]!.objsPerSlab; // 64
 * ```
 */
export function parseSlabinfo(text: string, file = "<input>"): SlabInfoRow[] {
  const lines = snapshotLines(text);
  const rows: SlabInfoRow[] = [];
  let first = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const at: SnapshotPlace = { file, line: i + 1, text: line };
    if (first) {
      first = false;
      const v = VERSION.exec(line);
      if (!v) throw new TraceSyntaxError("slabinfo must start with 'slabinfo - version: 2.1'", at);
      if (v[1] !== "2.1") {
        throw new TraceSyntaxError(`unsupported slabinfo version ${v[1]} (only 2.1 is read)`, at);
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = ROW.exec(line);
    if (!m) throw new TraceSyntaxError("not a slabinfo 2.1 row", at);
    rows.push({
      name: m[1]!,
      activeObjs: parseCount(m[2], "active_objs", at),
      numObjs: parseCount(m[3], "num_objs", at),
      objSizeBytes: parseCount(m[4], "objsize", at),
      objsPerSlab: parseCount(m[5], "objperslab", at),
      pagesPerSlab: parseCount(m[6], "pagesperslab", at),
      activeSlabs: parseCount(m[10], "active_slabs", at),
      numSlabs: parseCount(m[11], "num_slabs", at),
    });
  }
  if (first) throw new TraceSyntaxError("empty slabinfo", { file, line: 0, text: "" });
  return rows;
}
