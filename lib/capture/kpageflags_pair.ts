/**
 * The `before.kpageflags` / `after.kpageflags` snapshots of a capture. Everything a read needs is
 * made before the first snapshot — the open file, the chunk buffer, both encoders with their run
 * arrays written once (faulted in), and a short warm-up read so the encoding loop is compiled —
 * so the reads themselves allocate nothing the snapshots around them would see. Compression runs
 * after the last snapshot.
 *
 * @module
 */

import { KpageflagsEncoder } from "../snapshot/kpageflags.ts";
import { KpageflagsReader } from "./kpageflags_reader.ts";

/**
 * Runs preallocated per snapshot: 6.5 M pfns (24 GiB) read as ≈220–450 k runs on this
 * project's VM; more runs still work, the arrays then grow during the read.
 */
export const KPAGEFLAGS_RUN_CAPACITY = 1 << 20;

/** Bytes of the warm-up read: enough iterations for the encoding loop to be optimised. */
const WARM_UP_BYTES = 4 << 20;

/** What the two reads measured. */
export interface KpageflagsPairStats {
  /** Pfns per snapshot (the kernel's max pfn rounded up to a memory section). */
  pfns: number;
  beforeReadMs: number;
  afterReadMs: number;
  beforeRuns: number;
  afterRuns: number;
  /** Sizes of the encoded files. */
  beforeBytes: number;
  afterBytes: number;
}

/** Both kpageflags snapshots of one capture. */
export class KpageflagsPair {
  readonly #reader: KpageflagsReader;
  readonly #before: KpageflagsEncoder;
  readonly #after: KpageflagsEncoder;
  #beforeMs = -1;
  #afterMs = -1;

  private constructor(reader: KpageflagsReader, runCapacity: number) {
    this.#reader = reader;
    this.#before = new KpageflagsEncoder(0, runCapacity);
    this.#after = new KpageflagsEncoder(0, runCapacity);
    reader.readInto(this.#before, WARM_UP_BYTES);
    this.#before.reset();
  }

  /**
   * Opens `path` and prepares both snapshots; throws what opening throws (PermissionDenied when
   * not root).
   *
   * @example
   * ```ts ignore
   * import { KpageflagsPair } from "./kpageflags_pair.ts";
   * using k = KpageflagsPair.open("/proc/kpageflags");
   * k.read("before");
   * // … trace …
   * k.read("after");
   * const { before, after, stats } = k.finish();
   * ```
   */
  static open(path: string, runCapacity: number = KPAGEFLAGS_RUN_CAPACITY): KpageflagsPair {
    const reader = KpageflagsReader.open(path);
    try {
      return new KpageflagsPair(reader, runCapacity);
    } catch (e) {
      reader.close();
      throw e;
    }
  }

  /** Reads one snapshot (each once). */
  read(which: "before" | "after"): void {
    if (which === "before") {
      if (this.#beforeMs >= 0) throw new Error("before.kpageflags read twice");
      this.#beforeMs = this.#reader.readInto(this.#before);
    } else {
      if (this.#afterMs >= 0) throw new Error("after.kpageflags read twice");
      this.#afterMs = this.#reader.readInto(this.#after);
    }
  }

  /** Closes the file and compresses both snapshots (both must have been read). */
  finish(): { before: Uint8Array; after: Uint8Array; stats: KpageflagsPairStats } {
    if (this.#beforeMs < 0 || this.#afterMs < 0) {
      throw new Error("KpageflagsPair.finish before both reads");
    }
    this.close();
    const beforeRuns = this.#before.runCount;
    const afterRuns = this.#after.runCount;
    const before = this.#before.finish();
    const after = this.#after.finish();
    return {
      before,
      after,
      stats: {
        pfns: this.#after.pfnCount,
        beforeReadMs: this.#beforeMs,
        afterReadMs: this.#afterMs,
        beforeRuns,
        afterRuns,
        beforeBytes: before.length,
        afterBytes: after.length,
      },
    };
  }

  /** Closes the file (idempotent). */
  close(): void {
    this.#reader.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
