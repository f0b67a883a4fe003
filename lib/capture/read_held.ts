/**
 * Reads of files a capture keeps open across both snapshots, so a read allocates nothing.
 *
 * @module
 */

/**
 * Reads a file that is kept open from its start again. For a seq_file (/proc/slabinfo) the
 * buffer of the first read is kept, so a later read allocates nothing in the kernel — nothing
 * that could take a CPU slab between a shrink and the read.
 *
 * @example
 * ```ts
 * import { readHeld } from "./read_held.ts";
 * using f = Deno.openSync("/proc/slabinfo");
 * readHeld(f).startsWith("slabinfo - version"); // true
 * ```
 */
export function readHeld(f: Deno.FsFile): string {
  f.seekSync(0, Deno.SeekMode.Start);
  let buf = new Uint8Array(65536);
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      const g = new Uint8Array(buf.length * 2);
      g.set(buf);
      buf = g;
    }
    const n = f.readSync(buf.subarray(len));
    if (n === null || n === 0) break;
    len += n;
  }
  return new TextDecoder().decode(buf.subarray(0, len));
}
