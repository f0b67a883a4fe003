/**
 * Reader for the `before.slab_sysfs` / `after.slab_sysfs` files of a capture bundle: SLUB
 * per-cache occupancy from `/sys/kernel/slab/<cache>/`, which /proc/slabinfo does not show.
 * `kmem capture` writes one line per cache named in /proc/slabinfo (merged caches are sysfs
 * symlinks such as `:A-0000064`, reached through the slabinfo name):
 *
 * ```text
 * # kmemreplay slab_sysfs 1: /sys/kernel/slab/<cache>/<attr>, total over nodes/CPUs
 * vm_area_struct objects=742 objects_partial=385 partial=53 cpu_slabs=6 slabs_cpu_partial=42(4) objs_per_slab=21 sheaf_capacity=32
 * ```
 *
 * Values are the first token of each file (the per-node `N0=` / per-CPU `C0=` parts are
 * dropped); an attribute whose file is missing is left out. What each attribute is
 * (mm/slub.c, Linux 6.18, `show_slab_objects` and the `*_show` functions):
 * - `objects`: Σ nodes `nr_objs − free objects on node partial slabs` — the same number as
 *   slabinfo's `active_objs`, so free objects of cpu slabs, cpu-partial slabs and sheaves count
 *   as active;
 * - `objects_partial`: Σ `inuse` of the node partial slabs; `partial`: their number;
 * - `cpu_slabs`: cpu slabs (one per CPU at most) + the slabs of the cpu-partial lists
 *   (`slab->slabs` of each list head);
 * - `slabs_cpu_partial`: `objects(slabs)` of the cpu-partial lists, where objects is the
 *   kernel's estimate `slabs · objs_per_slab / 2` ("approximate half-full slabs");
 * - `objs_per_slab`: objects of a slab of the cache's preferred order;
 * - `sheaf_capacity`: objects per per-CPU sheaf (0: the cache has no sheaves; the number of
 *   objects in sheaves is not exported).
 *
 * @module
 */

import { TraceSyntaxError } from "../trace/diagnostics.ts";
import { parseCount, snapshotLines, type SnapshotPlace } from "./parse_count.ts";

/** The /sys/kernel/slab/<cache>/ attributes a bundle records, in line order. */
export const SLAB_SYSFS_ATTRS = [
  "objects",
  "objects_partial",
  "partial",
  "cpu_slabs",
  "slabs_cpu_partial",
  "objs_per_slab",
  "sheaf_capacity",
] as const;

/** First line of a slab_sysfs file (version 1). */
export const SLAB_SYSFS_HEADER =
  "# kmemreplay slab_sysfs 1: /sys/kernel/slab/<cache>/<attr>, total over nodes/CPUs";

/** One cache of a slab_sysfs file; a field is undefined when its sysfs file was missing. */
export interface SlabSysfsRow {
  name: string;
  /** Objects slabinfo counts as active (`objects`). */
  objects?: number;
  /** Allocated objects on node partial slabs (`objects_partial`). */
  objectsPartial?: number;
  /** Slabs on node partial lists (`partial`). */
  partialSlabs?: number;
  /** Slabs held by CPUs: cpu slabs + cpu-partial slabs (`cpu_slabs`). */
  cpuSlabs?: number;
  /** Slabs on the cpu-partial lists (the `(n)` of `slabs_cpu_partial`). */
  cpuPartialSlabs?: number;
  /** The kernel's half-full estimate of their objects (the number before `(n)`). */
  cpuPartialObjsApprox?: number;
  objsPerSlab?: number;
  /** Objects per sheaf; 0 when the cache has no per-CPU sheaves. */
  sheafCapacity?: number;
}

const ATTR = /^([a-z_]+)=(\S+)$/;
const PAIR = /^(\d+)\((\d+)\)$/;

/**
 * Formats one cache's line from the raw texts of its sysfs files (attribute → file content);
 * only the first whitespace-separated token of each is kept, so `742 N0=742\n` becomes 742.
 * Used by `kmem capture`; pure.
 *
 * @example
 * ```ts
 * import { formatSlabSysfsLine } from "./slab_sysfs.ts";
 * formatSlabSysfsLine("vm_area_struct", { objects: "742 N0=742\n", slabs_cpu_partial: "42(4) C0=21(2) C1=21(2)\n" });
 * // "vm_area_struct objects=742 slabs_cpu_partial=42(4)"
 * ```
 */
export function formatSlabSysfsLine(
  name: string,
  raw: Partial<Record<typeof SLAB_SYSFS_ATTRS[number], string>>,
): string {
  const parts = [name];
  for (const a of SLAB_SYSFS_ATTRS) {
    const tok = raw[a]?.trim().split(/\s+/)[0];
    if (tok) parts.push(`${a}=${tok}`);
  }
  return parts.join(" ");
}

/**
 * Parses a slab_sysfs file (see the module doc). Throws a {@linkcode TraceSyntaxError} naming
 * the file and line on a malformed line, an unknown attribute or a non-numeric value; lines
 * starting with `#` and blank lines are skipped.
 *
 * @example
 * ```ts
 * import { parseSlabSysfs } from "./slab_sysfs.ts";
 * const rows = parseSlabSysfs(
 *   "vm_area_struct objects=742 objects_partial=385 partial=53 cpu_slabs=6 slabs_cpu_partial=42(4) objs_per_slab=21 sheaf_capacity=32\n",
 * );
 * rows[0]!.cpuSlabs; // 6
 * rows[0]!.cpuPartialSlabs; // 4
 * ```
 */
export function parseSlabSysfs(text: string, file = "<input>"): SlabSysfsRow[] {
  const lines = snapshotLines(text);
  const rows: SlabSysfsRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "" || line.startsWith("#")) continue;
    const at: SnapshotPlace = { file, line: i + 1, text: line };
    const [name, ...attrs] = line.trim().split(/\s+/);
    if (!name || name.includes("=")) throw new TraceSyntaxError("expected a cache name first", at);
    const row: SlabSysfsRow = { name };
    for (const a of attrs) {
      const m = ATTR.exec(a);
      if (!m) throw new TraceSyntaxError(`expected attr=value, got "${a}"`, at);
      const v = m[2]!;
      switch (m[1] as typeof SLAB_SYSFS_ATTRS[number]) {
        case "objects":
          row.objects = parseCount(v, "objects", at);
          break;
        case "objects_partial":
          row.objectsPartial = parseCount(v, "objects_partial", at);
          break;
        case "partial":
          row.partialSlabs = parseCount(v, "partial", at);
          break;
        case "cpu_slabs":
          row.cpuSlabs = parseCount(v, "cpu_slabs", at);
          break;
        case "slabs_cpu_partial": {
          const p = PAIR.exec(v);
          if (!p) throw new TraceSyntaxError(`slabs_cpu_partial must be objects(slabs): ${v}`, at);
          row.cpuPartialObjsApprox = parseCount(p[1], "slabs_cpu_partial objects", at);
          row.cpuPartialSlabs = parseCount(p[2], "slabs_cpu_partial slabs", at);
          break;
        }
        case "objs_per_slab":
          row.objsPerSlab = parseCount(v, "objs_per_slab", at);
          break;
        case "sheaf_capacity":
          row.sheafCapacity = parseCount(v, "sheaf_capacity", at);
          break;
        default:
          throw new TraceSyntaxError(`unknown slab_sysfs attribute ${m[1]}`, at);
      }
    }
    rows.push(row);
  }
  return rows;
}
