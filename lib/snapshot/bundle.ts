/**
 * A set of /proc snapshots taken together (the `before.*` / `after.*` files of a capture). The
 * caller reads the files; this module only parses the contents it is given: text, or bytes for
 * the binary `kpageflags` snapshot (text snapshots may be given as bytes too, read as UTF-8).
 *
 * @module
 */

import { type BuddyInfoRow, parseBuddyinfo } from "./buddyinfo.ts";
import { type PagetypeInfo, parsePagetypeinfo } from "./pagetypeinfo.ts";
import { parseSlabinfo, type SlabInfoRow } from "./slabinfo.ts";
import { parseSlabSysfs, type SlabSysfsRow } from "./slab_sysfs.ts";
import { parseSlabShrink, type SlabShrinkRecord } from "./slab_shrink.ts";
import { parseZoneinfo, type ZoneInfo } from "./zoneinfo.ts";
import { parseVmstat, type Vmstat } from "./vmstat.ts";
import { decodeKpageflags, type Kpageflags } from "./kpageflags.ts";
import { TraceSyntaxError } from "../trace/diagnostics.ts";
import { assertNever } from "../calls/call_kind.ts";

/** Whichever snapshots of one moment were supplied. */
export interface SnapshotSet {
  buddyinfo?: BuddyInfoRow[];
  pagetypeinfo?: PagetypeInfo;
  zoneinfo?: ZoneInfo[];
  slabinfo?: SlabInfoRow[];
  /** /proc/vmstat counters (event counters such as pgalloc_*, pgfree, compact_*). */
  vmstat?: Vmstat;
  /** /sys/kernel/slab per-cache occupancy (`slab_sysfs`, written by `kmem capture`). */
  slabSysfs?: SlabSysfsRow[];
  /**
   * Present when every slab cache was shrunk just before this slabinfo was read (`slab_shrink`,
   * written by `kmem capture`): its `active_objs` are then the objects in use.
   */
  slabShrink?: SlabShrinkRecord;
  /**
   * /proc/kpageflags: the KPF_* flags of every pfn (`kpageflags`, written by `kmem capture` when
   * readable; format in lib/snapshot/kpageflags.ts).
   */
  kpageflags?: Kpageflags;
}

/** Snapshots taken before and after the capture, plus names that were not recognised. */
export interface SnapshotPair {
  before: SnapshotSet;
  after: SnapshotSet;
  /** Keys that are not `before.X` / `after.X` with a known X (meminfo …). */
  ignored: string[];
}

const KINDS = [
  "buddyinfo",
  "pagetypeinfo",
  "zoneinfo",
  "slabinfo",
  "vmstat",
  "slab_sysfs",
  "slab_shrink",
  "kpageflags",
] as const;
const KEY = /(?:^|[\\/])(before|after)\.(\w+)$/;

/**
 * Parses the contents of snapshot files keyed by file name (`before.zoneinfo`, a path ending in
 * `after.slabinfo`, …). The key is used as the file name in errors. `kpageflags` must be given
 * as bytes; an absent one is fine.
 *
 * @example
 * ```ts
 * import { parseSnapshotSet } from "./bundle.ts";
 * const s = parseSnapshotSet({
 *   "before.buddyinfo": "Node 0, zone      DMA      0      1 \n",
 *   "before.meminfo": "MemTotal: 1 kB\n",
 * });
 * s.before.buddyinfo![0]!.freeBlocks; // [0, 1]
 * s.ignored; // ["before.meminfo"]
 * ```
 */
export function parseSnapshotSet(texts: Record<string, string | Uint8Array>): SnapshotPair {
  const out: SnapshotPair = { before: {}, after: {}, ignored: [] };
  const utf8 = new TextDecoder();
  for (const [key, content] of Object.entries(texts)) {
    const m = KEY.exec(key);
    const kind = m?.[2] as typeof KINDS[number] | undefined;
    if (!m || kind === undefined || !KINDS.includes(kind)) {
      out.ignored.push(key);
      continue;
    }
    const set = m[1] === "before" ? out.before : out.after;
    const text = () => typeof content === "string" ? content : utf8.decode(content);
    switch (kind) {
      case "buddyinfo":
        set.buddyinfo = parseBuddyinfo(text(), key);
        break;
      case "pagetypeinfo":
        set.pagetypeinfo = parsePagetypeinfo(text(), key);
        break;
      case "zoneinfo":
        set.zoneinfo = parseZoneinfo(text(), key);
        break;
      case "slabinfo":
        set.slabinfo = parseSlabinfo(text(), key);
        break;
      case "vmstat":
        set.vmstat = parseVmstat(text(), key);
        break;
      case "slab_sysfs":
        set.slabSysfs = parseSlabSysfs(text(), key);
        break;
      case "slab_shrink":
        set.slabShrink = parseSlabShrink(text(), key);
        break;
      case "kpageflags":
        if (typeof content === "string") {
          throw new TraceSyntaxError("binary snapshot given as text; read it as bytes", {
            file: key,
            line: 0,
            offset: true,
            code: "kpageflags",
          });
        }
        set.kpageflags = decodeKpageflags(content, key);
        break;
      default:
        assertNever(kind);
    }
  }
  return out;
}
