/**
 * The /proc (and slab sysfs) snapshots of a capture, read just before tracing is switched on
 * and just after it is switched off.
 *
 * @module
 */

import { formatSlabShrink, type SlabShrinkRecord } from "../snapshot/slab_shrink.ts";
import { readHeld } from "./read_held.ts";
import type { SlabShrinker } from "./slab_shrinker.ts";
import type { SlabSysfsReader } from "./slab_sysfs_reader.ts";

/** /proc files snapshotted before and after (saved as `before.X` / `after.X`). */
export const SNAPSHOT_FILES = [
  "buddyinfo",
  "pagetypeinfo",
  "zoneinfo",
  "slabinfo",
  "meminfo",
  "vmstat",
] as const;

/**
 * Lists `/proc/self/fd` once, before the before-snapshot. A readdir of /proc/<pid>/fd creates a
 * proc inode, dentry and LSM blob per open file (fs/proc/fd.c `proc_fill_cache`); when another
 * process lists ours later (seen on this project's VM: its init agent, once per process) those
 * objects would appear between the snapshots without any kmem event — ≈270 objects in
 * proc_inode_cache (2 %) for the files a shrinking capture holds. Created now, they are in the
 * before-snapshot and the later listing finds them cached.
 */
export function instantiateOwnFdEntries(procDir: string): void {
  try {
    for (const _ of Deno.readDirSync(`${procDir}/self/fd`)) {
      // the readdir itself instantiates the entries
    }
  } catch {
    // not a real /proc (tests) or not permitted: nothing to pre-create
  }
}

/** The files a capture keeps open across both snapshots (see {@linkcode readHeld}). */
export interface HeldFiles {
  /** /proc/slabinfo, read first after a shrink. */
  slabinfo: Deno.FsFile | null;
  slabSysfs: SlabSysfsReader | null;
  shrinker: SlabShrinker | null;
}

/**
 * Reads the /proc snapshots and, when a reader is given, the slab sysfs occupancy (≈1,600 open
 * files, ≈17 ms against ≈10 ms for all of /proc): before-sysfs first and after-sysfs last, so
 * the window between the /proc reads and tracing on/off does not grow. slabinfo is read right
 * after the before-shrink (the after-shrink runs while tracing, see captureBundle), before any
 * other file is opened: an open allocates (filp …) and could take a CPU slab again.
 */
export async function readSnapshots(
  procDir: string,
  held: HeldFiles,
  prefix: "before" | "after",
  files: Map<string, string | Uint8Array>,
  notes: string[],
  shrunk: SlabShrinkRecord | null,
): Promise<void> {
  if (held.slabSysfs && prefix === "before") {
    files.set("before.slab_sysfs", held.slabSysfs.read());
  }
  if (prefix === "before" && held.shrinker) shrunk = held.shrinker.shrink();
  if (held.slabinfo) {
    files.set(`${prefix}.slabinfo`, readHeld(held.slabinfo));
    if (shrunk) files.set(`${prefix}.slab_shrink`, formatSlabShrink(shrunk));
  }
  for (const name of SNAPSHOT_FILES) {
    if (name === "slabinfo" && held.slabinfo) continue;
    try {
      files.set(`${prefix}.${name}`, await Deno.readTextFile(`${procDir}/${name}`));
    } catch (e) {
      if (prefix === "before") {
        notes.push(`${procDir}/${name} not readable (${(e as Error).message}); not saved`);
      }
    }
  }
  if (held.slabSysfs && prefix === "after") files.set("after.slab_sysfs", held.slabSysfs.read());
}
