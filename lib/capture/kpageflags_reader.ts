/**
 * Reads /proc/kpageflags (root only) into a snapshot file (lib/snapshot/kpageflags.ts). The
 * file reports size 0 and ends where the kernel's last dumpable pfn ends (fs/proc/page.c
 * `get_max_dump_pfn`: max_pfn rounded up to a memory section), so it is read until EOF in chunks
 * of whole u64 words — the kernel answers EINVAL to a read whose size or offset is not a multiple
 * of 8 — and each chunk goes straight into the encoder: the 50 MiB raw image of a 24 GiB machine
 * is never held. The pages keep changing while they are read (≈0.6 s for 6.5 M pfns), so the
 * snapshot is not one instant.
 *
 * @module
 */

import { KpageflagsEncoder } from "../snapshot/kpageflags.ts";

/** Where the kernel exposes the flags. */
export const KPAGEFLAGS_PATH = "/proc/kpageflags";

/** Bytes per read: 128 Ki pfns. */
export const KPAGEFLAGS_CHUNK_BYTES = 1 << 20;

/** A snapshot read from the running kernel. */
export interface KpageflagsCapture {
  /** The snapshot file (gzip, format in lib/snapshot/kpageflags.ts). */
  bytes: Uint8Array;
  pfnCount: number;
  runCount: number;
  /** Time spent in read() calls (and run-length encoding between them), ms. */
  readMs: number;
  /** Time spent compressing, ms. */
  encodeMs: number;
}

/**
 * Reads the whole file at `path` (default /proc/kpageflags) and encodes it.
 *
 * @example
 * ```ts ignore
 * import { readKpageflags } from "./kpageflags_reader.ts";
 * const k = readKpageflags(); // as root
 * console.log(k.pfnCount, k.bytes.length, k.readMs);
 * ```
 */
export function readKpageflags(
  path: string = KPAGEFLAGS_PATH,
  chunkBytes: number = KPAGEFLAGS_CHUNK_BYTES,
): KpageflagsCapture {
  if (chunkBytes <= 0 || chunkBytes % 8 !== 0) {
    throw new RangeError(`chunk of ${chunkBytes} bytes is not a positive multiple of 8`);
  }
  const enc = new KpageflagsEncoder(0);
  // Eight spare bytes hold a partial word while every read still asks for `chunkBytes`.
  const buf = new Uint8Array(chunkBytes + 8);
  const t0 = performance.now();
  using file = Deno.openSync(path, { read: true });
  // A short read of a regular file may end mid-word: the tail waits for the next read.
  let held = 0;
  for (;;) {
    const n = file.readSync(buf.subarray(held, held + chunkBytes));
    if (n === null || n === 0) break;
    held += n;
    const whole = held - (held % 8);
    if (whole > 0) enc.push(buf.subarray(0, whole));
    buf.copyWithin(0, whole, held);
    held -= whole;
  }
  if (held !== 0) throw new RangeError(`${path} ends with ${held} bytes of a partial u64 word`);
  const t1 = performance.now();
  const runCount = enc.runCount;
  const bytes = enc.finish();
  return {
    bytes,
    pfnCount: enc.pfnCount,
    runCount,
    readMs: t1 - t0,
    encodeMs: performance.now() - t1,
  };
}
