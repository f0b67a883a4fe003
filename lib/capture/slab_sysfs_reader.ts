/**
 * Reads the SLUB per-cache sysfs attributes of a capture through files opened once (see
 * {@linkcode SlabSysfsReader}).
 *
 * @module
 */

import {
  formatSlabSysfsLine,
  SLAB_SYSFS_ATTRS,
  SLAB_SYSFS_HEADER,
} from "../snapshot/slab_sysfs.ts";
import { slabinfoNames } from "./slabinfo_names.ts";

/**
 * The {@linkcode SLAB_SYSFS_ATTRS} files of every cache named in a /proc/slabinfo text, opened
 * once and kept open: each open of a sysfs attribute with no other opener allocates a
 * `kernfs_open_node` (kmalloc-96 here) that close frees with kfree_rcu — batched, untraced and
 * seconds late — so opening ≈1,600 files between the snapshots moved kmalloc-96 by ≈700
 * objects. Open before the before-snapshots, {@linkcode SlabSysfsReader.read} (seek 0 + read:
 * seq_file calls `*_show` again, no allocation) for each snapshot, close after the last one.
 *
 * @example
 * ```ts
 * import { SlabSysfsReader } from "./slab_sysfs_reader.ts";
 * const r = SlabSysfsReader.open("/sys/kernel/slab", Deno.readTextFileSync("/proc/slabinfo"));
 * try {
 *   r.read().split("\n")[1]; // "kmalloc-… objects=… objects_partial=… …"
 * } finally {
 *   r.close();
 * }
 * ```
 */
export class SlabSysfsReader {
  readonly #caches: Array<{ name: string; files: Array<Deno.FsFile | null> }>;
  readonly #buf = new Uint8Array(8192);
  readonly #dec = new TextDecoder();

  private constructor(caches: Array<{ name: string; files: Array<Deno.FsFile | null> }>) {
    this.#caches = caches;
  }

  /** Opens the files (missing ones, e.g. sheaf_capacity before 6.18, are skipped). */
  static open(sysDir: string, slabinfoText: string): SlabSysfsReader {
    return new SlabSysfsReader(
      slabinfoNames(slabinfoText).map((name) => ({
        name,
        files: SLAB_SYSFS_ATTRS.map((a) => {
          try {
            return Deno.openSync(`${sysDir}/${name}/${a}`);
          } catch {
            return null;
          }
        }),
      })),
    );
  }

  /** Number of files open. */
  get openFiles(): number {
    return this.#caches.reduce((s, c) => s + c.files.filter((f) => f !== null).length, 0);
  }

  /** Reads every open file again and formats a slab_sysfs text (lib/snapshot/slab_sysfs.ts). */
  read(): string {
    const out = [SLAB_SYSFS_HEADER];
    for (const c of this.#caches) {
      const raw: Partial<Record<typeof SLAB_SYSFS_ATTRS[number], string>> = {};
      c.files.forEach((f, k) => {
        if (f === null) return;
        try {
          f.seekSync(0, Deno.SeekMode.Start);
          let len = 0;
          for (;;) {
            const n = f.readSync(this.#buf.subarray(len));
            if (n === null || n === 0 || len + n >= this.#buf.length) break;
            len += n;
          }
          raw[SLAB_SYSFS_ATTRS[k]!] = this.#dec.decode(this.#buf.subarray(0, len));
        } catch {
          // the cache was destroyed since open: leave the attribute out
        }
      });
      out.push(formatSlabSysfsLine(c.name, raw));
    }
    return out.join("\n") + "\n";
  }

  /** Closes every file. */
  close(): void {
    for (const c of this.#caches) for (const f of c.files) f?.close();
  }
}
