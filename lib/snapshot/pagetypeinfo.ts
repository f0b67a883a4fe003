/**
 * Reader for /proc/pagetypeinfo (mm/vmstat.c `pagetypeinfo_show`):
 *
 * ```text
 * Page block order: 9
 * Pages per block:  512
 *
 * Free pages count per migrate type at order       0      1 …
 * Node    0, zone      DMA, type    Unmovable      0      0 …
 *
 * Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate
 * Node 0, zone      DMA            1            7            0            0            0
 * ```
 *
 * Free-list lengths stop counting at 100000 and print `>100000`; the reader keeps 100000 and
 * flags the row as `capped`. The migratetype columns depend on CONFIG_CMA /
 * CONFIG_MEMORY_ISOLATION (and old kernels had `Reserve`), so they are read from the header.
 * With page_owner an extra "Number of mixed blocks" table follows in the same layout.
 *
 * @module
 */

import { TraceSyntaxError } from "../trace/diagnostics.ts";
import { parseCount, snapshotLines, type SnapshotPlace } from "./parse_count.ts";

/** Free-list lengths of one migratetype in one zone. */
export interface PagetypeFreeRow {
  node: number;
  zone: string;
  /** Migratetype name as printed (`Unmovable`, `Movable`, …). */
  type: string;
  /** Free blocks per order (index = order); a capped entry holds the cap (100000). */
  blocks: number[];
  /** True when some order printed `>100000` (the real length is larger). */
  capped?: boolean;
}

/** Pageblock counts per migratetype of one zone. */
export interface PagetypeBlockCounts {
  node: number;
  zone: string;
  /** Pageblocks per migratetype name, in header order. */
  counts: Record<string, number>;
}

/** Parsed /proc/pagetypeinfo. */
export interface PagetypeInfo {
  pageblockOrder: number;
  pagesPerBlock: number;
  free: PagetypeFreeRow[];
  blockCounts: PagetypeBlockCounts[];
  /** The "Number of mixed blocks" table (page_owner builds only). */
  mixedBlockCounts?: PagetypeBlockCounts[];
}

const FREE_HEADER = /^Free pages count per migrate type at order((?:\s+\d+)+)\s*$/;
const FREE_ROW = /^Node\s+(\d+),\s+zone\s+(\S+),\s+type\s+(\S+)((?:\s+>?\d+)+)\s*$/;
const BLOCK_HEADER = /^Number of (blocks|mixed blocks)( type)?((?:\s+\S+)+)\s*$/;
const BLOCK_ROW = /^Node\s+(\d+),\s+zone\s+(\S+)((?:\s+\S+)+)\s*$/;
const ORDER_LINE = /^Page block order:\s*(\S+)\s*$/;
const PAGES_LINE = /^Pages per block:\s*(\S+)\s*$/;

/**
 * Parses /proc/pagetypeinfo text.
 *
 * @example
 * ```ts
 * import { parsePagetypeinfo } from "./pagetypeinfo.ts";
 * const p = parsePagetypeinfo(
 *   "Page block order: 9\nPages per block:  512\n\n" +
 *     "Free pages count per migrate type at order       0      1 \n" +
 *     "Node    0, zone      DMA, type      Movable      2 >100000 \n\n" +
 *     "Number of blocks type     Unmovable      Movable \n" +
 *     "Node 0, zone      DMA            1            7 \n",
 * );
 * p.free[0]!.blocks; // [2, 100000]
 * p.blockCounts[0]!.counts.Movable; // 7
 * ```
 */
export function parsePagetypeinfo(text: string, file = "<input>"): PagetypeInfo {
  const lines = snapshotLines(text);
  let pageblockOrder = -1;
  let pagesPerBlock = -1;
  let orders = -1;
  let types: string[] | null = null;
  let section: "head" | "free" | "blocks" | "mixed" = "head";
  const free: PagetypeFreeRow[] = [];
  const blockCounts: PagetypeBlockCounts[] = [];
  let mixed: PagetypeBlockCounts[] | undefined;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const at: SnapshotPlace = { file, line: i + 1, text: line };
    let m: RegExpExecArray | null;
    if ((m = ORDER_LINE.exec(line))) {
      pageblockOrder = parseCount(m[1], "page block order", at);
    } else if ((m = PAGES_LINE.exec(line))) {
      pagesPerBlock = parseCount(m[1], "pages per block", at);
    } else if ((m = FREE_HEADER.exec(line))) {
      orders = m[1]!.trim().split(/\s+/).length;
      section = "free";
    } else if ((m = BLOCK_HEADER.exec(line))) {
      types = m[3]!.trim().split(/\s+/);
      if (m[1] === "blocks") section = "blocks";
      else {
        section = "mixed";
        mixed = [];
      }
    } else if (section === "free" && (m = FREE_ROW.exec(line))) {
      const cells = m[4]!.trim().split(/\s+/);
      if (cells.length !== orders) {
        throw new TraceSyntaxError(`expected ${orders} order columns, got ${cells.length}`, at);
      }
      let capped = false;
      const blocks = cells.map((c, o) => {
        if (c.startsWith(">")) {
          capped = true;
          c = c.slice(1);
        }
        return parseCount(c, `order ${o} free count`, at);
      });
      const row: PagetypeFreeRow = {
        node: parseCount(m[1], "node", at),
        zone: m[2]!,
        type: m[3]!,
        blocks,
      };
      if (capped) row.capped = true;
      free.push(row);
    } else if ((section === "blocks" || section === "mixed") && (m = BLOCK_ROW.exec(line))) {
      const cells = m[3]!.trim().split(/\s+/);
      if (types === null || cells.length !== types.length) {
        throw new TraceSyntaxError(
          `expected ${types?.length ?? 0} migratetype columns, got ${cells.length}`,
          at,
        );
      }
      const counts: Record<string, number> = {};
      types.forEach((t, k) => counts[t] = parseCount(cells[k], `${t} block count`, at));
      const row = { node: parseCount(m[1], "node", at), zone: m[2]!, counts };
      (section === "blocks" ? blockCounts : mixed!).push(row);
    } else {
      throw new TraceSyntaxError(`unexpected pagetypeinfo line (section ${section})`, at);
    }
  }
  const end = { file, line: lines.length, text: "" };
  if (pageblockOrder < 0) throw new TraceSyntaxError("missing 'Page block order:' line", end);
  if (pagesPerBlock < 0) throw new TraceSyntaxError("missing 'Pages per block:' line", end);
  if (orders < 0) throw new TraceSyntaxError("missing free pages table header", end);
  const out: PagetypeInfo = { pageblockOrder, pagesPerBlock, free, blockCounts };
  if (mixed) out.mixedBlockCounts = mixed;
  return out;
}
