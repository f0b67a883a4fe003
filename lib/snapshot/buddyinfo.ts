/**
 * Reader for /proc/buddyinfo (mm/vmstat.c `frag_show`): one line per populated zone,
 * `Node %d, zone %8s ` then one `%6lu ` free-block count per order. The number of orders follows
 * the kernel (NR_PAGE_ORDERS, 11 on x86-64), so it is taken from the first line.
 *
 * @module
 */

import { TraceSyntaxError } from "../trace/diagnostics.ts";
import { parseCount, snapshotLines } from "./parse_count.ts";

/** One zone of /proc/buddyinfo. */
export interface BuddyInfoRow {
  node: number;
  /** Zone name as printed (`DMA`, `DMA32`, `Normal`, …). */
  zone: string;
  /** Free blocks per order (index = order), all migratetypes, excluding pcp pages. */
  freeBlocks: number[];
}

const ROW = /^Node\s+(\d+),\s+zone\s+(\S+)((?:\s+\S+)*)\s*$/;

/**
 * Parses /proc/buddyinfo text.
 *
 * @example
 * ```ts
 * import { parseBuddyinfo } from "./buddyinfo.ts";
 * const rows = parseBuddyinfo("Node 0, zone      DMA      0      1      3 \n");
 * rows[0]!.freeBlocks; // [0, 1, 3]
 * ```
 */
export function parseBuddyinfo(text: string, file = "<input>"): BuddyInfoRow[] {
  const rows: BuddyInfoRow[] = [];
  const lines = snapshotLines(text);
  let orders = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const at = { file, line: i + 1, text: line };
    const m = ROW.exec(line);
    if (!m) throw new TraceSyntaxError("not a buddyinfo line (Node N, zone NAME counts…)", at);
    const counts = m[3]!.trim().split(/\s+/).filter((t) => t !== "");
    if (counts.length === 0) throw new TraceSyntaxError("buddyinfo line without counts", at);
    if (orders === -1) orders = counts.length;
    else if (counts.length !== orders) {
      throw new TraceSyntaxError(`expected ${orders} order columns, got ${counts.length}`, at);
    }
    rows.push({
      node: parseCount(m[1], "node", at),
      zone: m[2]!,
      freeBlocks: counts.map((t, o) => parseCount(t, `order ${o} count`, at)),
    });
  }
  return rows;
}
