/**
 * The vmalloc address space (mm/vmalloc.c): busy areas, free ranges (first fit with alignment,
 * as `alloc_vmap_area` over the free tree), and lazily freed areas that keep their range until a
 * purge (`free_vmap_area_noflush` → `purge_vmap_area_lazy` once more than `lazy_max_pages()`
 * pages are outstanding). Addresses are the low 48 bits (as `ptrKey` gives them).
 *
 * @module
 */

import {
  PAGE_SIZE_4K_BYTES,
  VMAP_LAZY_BASE_BYTES,
  X86_64_VMALLOC_SIZE_BYTES,
  X86_64_VMALLOC_START_KEY,
} from "../kernel/constants.ts";
import { fls } from "./slab_geometry.ts";

/** Counters of the vmap space. */
export interface VmapStats {
  busyAreas: number;
  busyBytes: number;
  lazyAreas: number;
  lazyBytes: number;
  purges: number;
  purgedAreas: number;
  failedAllocs: number;
}

/**
 * vmap area allocator.
 *
 * @example
 * ```ts
 * import { VmapAllocator } from "./vmap_allocator.ts";
 * const v = new VmapAllocator(2);
 * const va = v.alloc(8192, 4096)!;
 * v.freeLazy(va); // true
 * v.stats().lazyBytes; // 8192
 * v.purge(); // 1
 * ```
 */
export class VmapAllocator {
  /** Sorted disjoint free ranges [start, end). */
  #starts: number[];
  #ends: number[];
  readonly #busy = new Map<number, number>();
  readonly #lazy = new Map<number, number>();
  #busyBytes = 0;
  #lazyBytes = 0;
  purges = 0;
  purgedAreas = 0;
  failedAllocs = 0;
  /** `lazy_max_pages()`: fls(online CPUs) × 32 MiB of pages. */
  readonly lazyMaxPages: number;

  constructor(
    nrCpus: number,
    readonly startKey = X86_64_VMALLOC_START_KEY,
    readonly sizeBytes = X86_64_VMALLOC_SIZE_BYTES,
  ) {
    this.#starts = [startKey];
    this.#ends = [startKey + sizeBytes];
    this.lazyMaxPages = fls(nrCpus) * (VMAP_LAZY_BASE_BYTES / PAGE_SIZE_4K_BYTES);
  }

  /** First-fit allocation of `sizeBytes` aligned to `alignBytes`; null when no range fits. */
  alloc(sizeBytes: number, alignBytes = PAGE_SIZE_4K_BYTES): number | null {
    for (let i = 0; i < this.#starts.length; i++) {
      const a = Math.ceil(this.#starts[i]! / alignBytes) * alignBytes;
      if (a + sizeBytes <= this.#ends[i]!) {
        this.#carve(i, a, sizeBytes);
        return a;
      }
    }
    this.failedAllocs++;
    return null;
  }

  /**
   * Marks [start, start+size) busy at a known address (a traced `alloc_vmap_area`). Returns
   * false when part of it is not free here (e.g. still lazily held from before the trace).
   */
  reserve(start: number, sizeBytes: number): boolean {
    const i = this.#findFree(start);
    if (i < 0 || start + sizeBytes > this.#ends[i]!) return false;
    this.#carve(i, start, sizeBytes);
    return true;
  }

  /** Size of the busy area at `start`, or -1. */
  busySize(start: number): number {
    return this.#busy.get(start) ?? -1;
  }

  /** Moves a busy area to the lazy list (`free_vmap_area_noflush`); false if not busy. */
  freeLazy(start: number): boolean {
    const size = this.#busy.get(start);
    if (size === undefined) return false;
    this.#busy.delete(start);
    this.#busyBytes -= size;
    this.#lazy.set(start, size);
    this.#lazyBytes += size;
    return true;
  }

  /** Pages held by lazily freed areas (`vmap_lazy_nr`). */
  get lazyPages(): number {
    return this.#lazyBytes / PAGE_SIZE_4K_BYTES;
  }

  /** True when `lazyPages` exceeds `lazy_max_pages()` (the kernel schedules a purge). */
  get purgeDue(): boolean {
    return this.lazyPages > this.lazyMaxPages;
  }

  /**
   * Returns lazily freed areas inside [from, to) to the free space (`purge_vmap_area_lazy`);
   * all of them by default. Returns the number of areas purged.
   */
  purge(from = 0, to = Infinity): number {
    let n = 0;
    for (const [start, size] of this.#lazy) {
      if (start < from || start + size > to) continue;
      this.#lazy.delete(start);
      this.#lazyBytes -= size;
      this.#release(start, size);
      n++;
    }
    this.purges++;
    this.purgedAreas += n;
    return n;
  }

  /** Current counters. */
  stats(): VmapStats {
    return {
      busyAreas: this.#busy.size,
      busyBytes: this.#busyBytes,
      lazyAreas: this.#lazy.size,
      lazyBytes: this.#lazyBytes,
      purges: this.purges,
      purgedAreas: this.purgedAreas,
      failedAllocs: this.failedAllocs,
    };
  }

  #findFree(addr: number): number {
    let lo = 0, hi = this.#starts.length - 1, ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#starts[mid]! <= addr) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans >= 0 && addr < this.#ends[ans]! ? ans : -1;
  }

  #carve(i: number, a: number, size: number): void {
    const s = this.#starts[i]!, e = this.#ends[i]!;
    const pieces: Array<[number, number]> = [];
    if (a > s) pieces.push([s, a]);
    if (a + size < e) pieces.push([a + size, e]);
    this.#starts.splice(i, 1, ...pieces.map((p) => p[0]));
    this.#ends.splice(i, 1, ...pieces.map((p) => p[1]));
    this.#busy.set(a, size);
    this.#busyBytes += size;
  }

  #release(start: number, size: number): void {
    let end = start + size;
    // Insert keeping order, merging with neighbours.
    let i = 0;
    while (i < this.#starts.length && this.#starts[i]! < start) i++;
    let s = start;
    if (i > 0 && this.#ends[i - 1] === start) {
      i--;
      s = this.#starts[i]!;
      this.#starts.splice(i, 1);
      this.#ends.splice(i, 1);
    }
    if (i < this.#starts.length && this.#starts[i] === end) {
      end = this.#ends[i]!;
      this.#starts.splice(i, 1);
      this.#ends.splice(i, 1);
    }
    this.#starts.splice(i, 0, s);
    this.#ends.splice(i, 0, end);
  }
}
