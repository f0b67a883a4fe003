/**
 * Shrinks every slab cache through `shrink` files opened once, just before each slabinfo read
 * of a capture (see {@linkcode SlabShrinker}).
 *
 * @module
 */

import type { SlabShrinkRecord } from "../snapshot/slab_shrink.ts";
import { slabinfoNames } from "./slabinfo_names.ts";

/**
 * The `shrink` files of every cache named in a /proc/slabinfo text, opened once (an open
 * allocates kernfs nodes, see `SlabSysfsReader` in slab_sysfs_reader.ts) and written with `1` for each
 * snapshot. Each write kmallocs its 2-byte buffer (fs/kernfs/file.c), so the smallest kmalloc
 * caches are shrunk last: the buffer of the last write is then the only object that can sit
 * free in a CPU-held slab when slabinfo is read.
 *
 * @example
 * ```ts ignore
 * import { SlabShrinker } from "./slab_shrinker.ts";
 * const s = SlabShrinker.open("/sys/kernel/slab", Deno.readTextFileSync("/proc/slabinfo"));
 * s.shrink().failed; // []
 * s.close();
 * ```
 */
export class SlabShrinker {
  readonly #files: Array<{ name: string; file: Deno.FsFile | null }>;
  readonly #one = new Uint8Array([0x31]);

  private constructor(files: Array<{ name: string; file: Deno.FsFile | null }>) {
    this.#files = files;
  }

  /** Opens the shrink files (a cache whose file cannot be opened is recorded as failed). */
  static open(sysDir: string, slabinfoText: string): SlabShrinker {
    const names = slabinfoNames(slabinfoText);
    const rank = (n: string) =>
      /^kmalloc-(rnd-\d+-)?8$/.test(n) ? 2 : /^kmalloc-(rnd-\d+-)?16$/.test(n) ? 1 : 0;
    names.sort((a, b) => rank(a) - rank(b));
    return new SlabShrinker(names.map((name) => {
      try {
        return { name, file: Deno.openSync(`${sysDir}/${name}/shrink`, { write: true }) };
      } catch {
        return { name, file: null };
      }
    }));
  }

  /** Writes every shrink file once; what succeeded goes into a slab_shrink record. */
  shrink(): SlabShrinkRecord {
    const t0 = performance.now();
    const failed: string[] = [];
    for (const { name, file } of this.#files) {
      if (file === null) {
        failed.push(name);
        continue;
      }
      try {
        file.writeSync(this.#one);
      } catch {
        failed.push(name);
      }
    }
    return { caches: this.#files.length - failed.length, failed, ms: performance.now() - t0 };
  }

  /** Closes every file. */
  close(): void {
    for (const { file } of this.#files) file?.close();
  }
}
