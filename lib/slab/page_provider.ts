/**
 * Where the slab layer gets its pages. The page allocator emulation (lib/mm/) implements this
 * interface; {@linkcode SimplePageProvider} is a stand-alone one that hands out pfns from a
 * bump pointer and counts pages, for slab-only replays and tests.
 *
 * @module
 */

/** A source of physically contiguous page blocks. */
export interface PageProvider {
  /**
   * Allocates 2^order pages on `cpu` (default 0); returns the first pfn, or null when the
   * request fails.
   */
  allocPages(gfp: number, order: number, cpu?: number): number | null;
  /** Returns a block obtained from {@linkcode allocPages} (freed on `cpu`, default 0). */
  freePages(pfn: number, order: number, cpu?: number): void;
}

/**
 * Pfns from a bump pointer with per-order reuse lists; optional page limit to provoke failures.
 *
 * @example
 * ```ts
 * import { SimplePageProvider } from "./page_provider.ts";
 * const p = new SimplePageProvider();
 * const pfn = p.allocPages(0, 2)!;
 * p.pagesInUse; // 4
 * p.freePages(pfn, 2);
 * p.pagesInUse; // 0
 * ```
 */
export class SimplePageProvider implements PageProvider {
  /** Pages currently handed out. */
  pagesInUse = 0;
  /** Most pages ever handed out at once. */
  peakPages = 0;
  allocCalls = 0;
  freeCalls = 0;
  failedCalls = 0;
  #next: number;
  readonly #free: number[][] = [];

  /**
   * @param limitPages fail requests that would exceed this many pages in use
   * @param firstPfn first pfn handed out
   */
  constructor(readonly limitPages = Infinity, firstPfn = 0x100000) {
    this.#next = firstPfn;
  }

  allocPages(_gfp: number, order: number): number | null {
    this.allocCalls++;
    const pages = 2 ** order;
    if (this.pagesInUse + pages > this.limitPages) {
      this.failedCalls++;
      return null;
    }
    let pfn = this.#free[order]?.pop();
    if (pfn === undefined) {
      pfn = Math.ceil(this.#next / pages) * pages;
      this.#next = pfn + pages;
    }
    this.pagesInUse += pages;
    if (this.pagesInUse > this.peakPages) this.peakPages = this.pagesInUse;
    return pfn;
  }

  freePages(pfn: number, order: number): void {
    this.freeCalls++;
    this.pagesInUse -= 2 ** order;
    (this.#free[order] ??= []).push(pfn);
  }
}
