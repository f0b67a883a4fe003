/**
 * Reads /proc/kpageflags (root only) into a snapshot file (lib/snapshot/kpageflags.ts). The
 * file reports size 0 and ends where the kernel's last dumpable pfn ends (fs/proc/page.c
 * `get_max_dump_pfn`: max_pfn rounded up to a memory section), so it is read until EOF in chunks
 * of whole u64 words — the kernel answers EINVAL to a read whose size or offset is not a multiple
 * of 8 — and each chunk goes straight into the run-length encoder: the 50 MiB raw image of a
 * 24 GiB machine is never held. The pages keep changing while they are read (≈0.8 s for 6.5 M
 * pfns), so a snapshot is not one instant.
 *
 * A capture reads it between other snapshots, so a read allocates nothing: the file is opened,
 * the chunk buffer allocated and the encoder's room preallocated beforehand
 * ({@linkcode KpageflagsReader}), and compression happens after the snapshots.
 *
 * @module
 */

import { KpageflagsEncoder } from "../snapshot/kpageflags.ts";

/** Where the kernel exposes the flags. */
export const KPAGEFLAGS_PATH = "/proc/kpageflags";

/** Bytes per read: 128 Ki pfns. */
export const KPAGEFLAGS_CHUNK_BYTES = 1 << 20;

/** An open /proc/kpageflags with its chunk buffer, read again and again from the start. */
export class KpageflagsReader {
  readonly path: string;
  readonly #file: Deno.FsFile;
  readonly #buf: Uint8Array;
  readonly #chunkBytes: number;
  #closed = false;

  private constructor(path: string, file: Deno.FsFile, chunkBytes: number) {
    this.path = path;
    this.#file = file;
    this.#chunkBytes = chunkBytes;
    // Eight spare bytes hold a partial word while every read still asks for `chunkBytes`.
    this.#buf = new Uint8Array(chunkBytes + 8).fill(0);
  }

  /**
   * Opens `path` (default /proc/kpageflags); throws what Deno.openSync throws (PermissionDenied
   * when not root, NotFound without CONFIG_PROC_PAGE_MONITOR).
   *
   * @example
   * ```ts ignore
   * import { KpageflagsReader } from "./kpageflags_reader.ts";
   * import { KpageflagsEncoder } from "../snapshot/kpageflags.ts";
   * using r = KpageflagsReader.open(); // as root
   * const enc = new KpageflagsEncoder(0, 1 << 20);
   * r.readInto(enc);
   * const file = enc.finish();
   * ```
   */
  static open(
    path: string = KPAGEFLAGS_PATH,
    chunkBytes: number = KPAGEFLAGS_CHUNK_BYTES,
  ): KpageflagsReader {
    if (chunkBytes <= 0 || chunkBytes % 8 !== 0) {
      throw new RangeError(`chunk of ${chunkBytes} bytes is not a positive multiple of 8`);
    }
    return new KpageflagsReader(path, Deno.openSync(path, { read: true }), chunkBytes);
  }

  /**
   * Reads from pfn 0 to the end (or about `maxBytes`, for a warm-up) into `enc`; returns the
   * milliseconds it took.
   */
  readInto(enc: KpageflagsEncoder, maxBytes = Infinity): number {
    const t0 = performance.now();
    const buf = this.#buf;
    this.#file.seekSync(0, Deno.SeekMode.Start);
    // A short read of a regular file may end mid-word: the tail waits for the next read.
    let held = 0;
    let total = 0;
    while (total < maxBytes) {
      const n = this.#file.readSync(buf.subarray(held, held + this.#chunkBytes));
      if (n === null || n === 0) break;
      total += n;
      held += n;
      const whole = held - (held % 8);
      if (whole > 0) enc.push(buf.subarray(0, whole));
      buf.copyWithin(0, whole, held);
      held -= whole;
    }
    if (held !== 0) {
      throw new RangeError(`${this.path} ends with ${held} bytes of a partial u64 word`);
    }
    return performance.now() - t0;
  }

  /** Closes the file (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

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
 * Reads the whole file at `path` (default /proc/kpageflags) once and encodes it.
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
  using reader = KpageflagsReader.open(path, chunkBytes);
  const enc = new KpageflagsEncoder(0);
  const readMs = reader.readInto(enc);
  const t1 = performance.now();
  const runCount = enc.runCount;
  const bytes = enc.finish();
  return {
    bytes,
    pfnCount: enc.pfnCount,
    runCount,
    readMs,
    encodeMs: performance.now() - t1,
  };
}
