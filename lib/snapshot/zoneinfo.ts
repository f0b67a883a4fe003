/**
 * Reader for /proc/zoneinfo (mm/vmstat.c `zoneinfo_show_print`), tolerant of the layouts of
 * different kernels:
 *
 * - ≥v4.8: a `per-node stats` block under the node's first populated zone, then `pages free`,
 *   the watermarks, spanned/present/managed, `protection: (…)`, zone vmstat items, pagesets,
 *   `node_unreclaimable:`, `start_pfn:`. `boost` since v5.0, `cma` and `promo` in newer kernels,
 *   `high_min:`/`high_max:` per pageset since v6.7, `reserved_highatomic:` etc. in the newest.
 * - <v4.8: no per-node block, a `scanned` line after the watermarks, the vmstat items before
 *   `protection:`, and `all_unreclaimable:` / `inactive_ratio:` after `start_pfn:`.
 * - Unpopulated zones (printed since ≈v4.12) stop after `protection:`.
 *
 * Statistic lines the reader does not know (`name value`, `name: value`) are skipped, so new
 * kernel counters do not break it; anything else is a {@linkcode TraceSyntaxError}.
 *
 * @module
 */

import { MAX_PHYSMEM_BITS_X86_64, PAGE_SHIFT_4K } from "../kernel/constants.ts";
import { TraceSyntaxError } from "../trace/diagnostics.ts";
import { parseCount, snapshotLines, type SnapshotPlace } from "./parse_count.ts";

/** Per-cpu page list state of one CPU in one zone (`pagesets` block). */
export interface ZonePageset {
  cpu: number;
  /** Pages on this CPU's pcp lists. */
  count: number;
  /** Current high mark (pages). */
  high: number;
  batch: number;
  /** ≥v6.7 only, else null. */
  highMin: number | null;
  /** ≥v6.7 only, else null. */
  highMax: number | null;
}

/** One zone of /proc/zoneinfo. All counts are in pages. */
export interface ZoneInfo {
  node: number;
  /** Zone name as printed (`DMA`, `DMA32`, `Normal`, `Movable`, `Device`, …). */
  name: string;
  /** present_pages > 0 (the kernel's `populated_zone`). */
  populated: boolean;
  /** First pfn of the zone span; 0 when not printed (unpopulated zones). */
  startPfn: number;
  spannedPages: number;
  presentPages: number;
  managedPages: number;
  /** Buddy free pages (NR_FREE_PAGES), excluding pcp pages. */
  freePages: number;
  minPages: number;
  lowPages: number;
  highPages: number;
  /** `promo` watermark (newer kernels), else null. */
  promoPages: number | null;
  /** Watermark boost (≥v5.0), 0 when not printed. */
  boostPages: number;
  /** lowmem_reserve against allocations aimed at each zone index. */
  protection: number[];
  pagesets: ZonePageset[];
}

const HEADER = /^Node\s+(\d+),\s+zone\s+(\S+)\s*$/;
const KV = /^\s+([A-Za-z_][\w-]*(?: [A-Za-z_][\w-]*)*):?\s+(-?\d+)\s*$/;
const PROTECTION = /^\s+protection:\s*\(([^)]*)\)\s*$/;

interface Draft {
  zone: ZoneInfo;
  at: SnapshotPlace;
  seen: Set<string>;
  pageset: Partial<ZonePageset> & { at?: SnapshotPlace } | null;
  /** Where `spanned` was read, for errors about the span. */
  spannedAt?: SnapshotPlace;
}

/** pfns of a 52-bit physical address space with 4 KiB pages: no zone can reach beyond. */
const MAX_PFN_BITS = MAX_PHYSMEM_BITS_X86_64 - PAGE_SHIFT_4K;
const MAX_PFNS = 2 ** MAX_PFN_BITS;

const REQUIRED = ["pages free", "min", "low", "high", "spanned", "present", "managed"] as const;

/**
 * Parses /proc/zoneinfo text into one {@linkcode ZoneInfo} per printed zone, in file order.
 *
 * @example
 * ```ts
 * import { parseZoneinfo } from "./zoneinfo.ts";
 * const zones = parseZoneinfo(
 *   "Node 0, zone   Movable\n  pages free     0\n        min      32\n        low      32\n" +
 *     "        high     32\n        spanned  0\n        present  0\n        managed  0\n" +
 *     "        protection: (0, 0, 0, 0, 0)\n",
 * );
 * zones[0]!.populated; // false
 * ```
 */
export function parseZoneinfo(text: string, file = "<input>"): ZoneInfo[] {
  const out: ZoneInfo[] = [];
  const lines = snapshotLines(text);
  let cur: Draft | null = null;
  let inNodeStats = false;

  const finishPageset = (d: Draft): void => {
    const p = d.pageset;
    if (p === null) return;
    const at = p.at!;
    for (const k of ["count", "high", "batch"] as const) {
      if (p[k] === undefined) throw new TraceSyntaxError(`pageset of cpu ${p.cpu} lacks ${k}:`, at);
    }
    d.zone.pagesets.push({
      cpu: p.cpu!,
      count: p.count!,
      high: p.high!,
      batch: p.batch!,
      highMin: p.highMin ?? null,
      highMax: p.highMax ?? null,
    });
    d.pageset = null;
  };
  const finish = (d: Draft): void => {
    finishPageset(d);
    for (const k of REQUIRED) {
      if (!d.seen.has(k)) {
        throw new TraceSyntaxError(`zone ${d.zone.name} of node ${d.zone.node} lacks '${k}'`, d.at);
      }
    }
    if (!d.seen.has("protection")) {
      throw new TraceSyntaxError(`zone ${d.zone.name} lacks 'protection:'`, d.at);
    }
    const z = d.zone;
    const at = d.spannedAt ?? d.at;
    // A zone the kernel could print: within the physical address space, present ≤ spanned,
    // managed ≤ present (mm/mm_init.c calculate_node_totalpages, memblock accounting).
    if (z.startPfn + z.spannedPages > MAX_PFNS) {
      throw new TraceSyntaxError(
        `zone ${z.name} of node ${z.node} spans pfns ${z.startPfn} + ${z.spannedPages}, beyond ` +
          `the ${MAX_PHYSMEM_BITS_X86_64}-bit physical address space (2^${MAX_PFN_BITS} pfns)`,
        at,
      );
    }
    if (z.presentPages > z.spannedPages || z.managedPages > z.presentPages) {
      throw new TraceSyntaxError(
        `zone ${z.name} of node ${z.node}: spanned ${z.spannedPages} ≥ present ` +
          `${z.presentPages} ≥ managed ${z.managedPages} does not hold`,
        at,
      );
    }
    z.populated = z.presentPages > 0;
    out.push(z);
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const at: SnapshotPlace = { file, line: i + 1, text: line };
    const h = HEADER.exec(line);
    if (h) {
      if (cur) finish(cur);
      cur = {
        zone: {
          node: parseCount(h[1], "node", at),
          name: h[2]!,
          populated: false,
          startPfn: 0,
          spannedPages: 0,
          presentPages: 0,
          managedPages: 0,
          freePages: 0,
          minPages: 0,
          lowPages: 0,
          highPages: 0,
          promoPages: null,
          boostPages: 0,
          protection: [],
          pagesets: [],
        },
        at,
        seen: new Set(),
        pageset: null,
      };
      inNodeStats = false;
      continue;
    }
    if (cur === null) {
      throw new TraceSyntaxError("zoneinfo must start with 'Node N, zone NAME'", at);
    }
    const trimmed = line.trim();
    if (trimmed === "per-node stats") {
      inNodeStats = true;
      continue;
    }
    if (trimmed === "pagesets") {
      inNodeStats = false;
      continue;
    }
    const prot = PROTECTION.exec(line);
    if (prot) {
      const cells = prot[1]!.split(",").map((s) => s.trim());
      cur.zone.protection = cells.map((c, k) => parseCount(c, `protection[${k}]`, at));
      cur.seen.add("protection");
      continue;
    }
    const kv = KV.exec(line);
    if (!kv) throw new TraceSyntaxError("unexpected zoneinfo line", at);
    const key = kv[1]!;
    const hasColon = line.includes(":");
    // Per-node counters are named like zone ones; they end at the zone's `pages free` line.
    if (inNodeStats && key !== "pages free") continue;
    inNodeStats = false;
    const value = parseCount(kv[2], key, at);
    const z = cur.zone;
    if (hasColon) {
      // Pageset fields and trailing zone facts are the only `name: value` lines.
      if (key === "cpu") {
        finishPageset(cur);
        cur.pageset = { cpu: value, at };
      } else if (cur.pageset !== null && key === "count") cur.pageset.count = value;
      else if (cur.pageset !== null && key === "high") cur.pageset.high = value;
      else if (cur.pageset !== null && key === "batch") cur.pageset.batch = value;
      else if (cur.pageset !== null && key === "high_min") cur.pageset.highMin = value;
      else if (cur.pageset !== null && key === "high_max") cur.pageset.highMax = value;
      else if (key === "start_pfn") {
        finishPageset(cur);
        z.startPfn = value;
      } else if (key === "vm stats threshold" || key === "node_unreclaimable") finishPageset(cur);
      // Other `name: value` lines (all_unreclaimable, inactive_ratio, reserved_highatomic …).
      continue;
    }
    const field = SIMPLE[key];
    if (field === undefined) continue; // a vmstat item: not part of ZoneInfo
    if (cur.seen.has(key)) throw new TraceSyntaxError(`duplicate '${key}' in zone ${z.name}`, at);
    cur.seen.add(key);
    z[field] = value;
    if (key === "spanned") cur.spannedAt = at;
  }
  if (cur) finish(cur);
  return out;
}

type NumericField =
  | "freePages"
  | "boostPages"
  | "minPages"
  | "lowPages"
  | "highPages"
  | "promoPages"
  | "spannedPages"
  | "presentPages"
  | "managedPages";

const SIMPLE: Record<string, NumericField> = {
  "pages free": "freePages",
  boost: "boostPages",
  min: "minPages",
  low: "lowPages",
  high: "highPages",
  promo: "promoPages",
  spanned: "spannedPages",
  present: "presentPages",
  managed: "managedPages",
};
