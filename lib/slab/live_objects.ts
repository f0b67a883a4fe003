/**
 * The live objects of a slab replay: pointer → record, with the records in parallel typed arrays
 * (allocation handle, call site, cache, bytes requested/allocated, timestamp) so the hot path
 * creates no object per allocation. Freed records are reused. Pointers index typed-array hash
 * tables, not `Map`/`Set`: pointer keys beyond 2^31 churn V8's tables (issue 13).
 *
 * @module
 */

import { PtrMap } from "../collections/ptr_map.ts";
import { RecentFreeSet } from "../collections/recent_free_set.ts";

/** Cache id of an allocation that went to the page allocator (large kmalloc). */
export const NO_CACHE = -1;

/** What `byPtr.get` / `byPtr.take` return for a pointer with no live object. */
export const NO_RECORD = -1;

/**
 * Live objects by pointer key, and the pointers freed since (a second free is a double free).
 *
 * @example
 * ```ts
 * import { LiveObjects } from "./live_objects.ts";
 * const objs = new LiveObjects();
 * const r = objs.newRecord();
 * objs.bytesAlloc[r] = 128;
 * objs.byPtr.set(0x1000, r);
 * objs.byPtr.get(0x1000) === r; // true
 * objs.recycle(r);
 * objs.newRecord() === r; // true
 * ```
 */
export class LiveObjects {
  /** Pointer key (`ptrKey`) → record index of the object live at that address. */
  readonly byPtr = new PtrMap();
  /**
   * Pointers freed and not allocated again, among the last 2^20 frees (bounded memory at any
   * trace length).
   */
  readonly freed = new RecentFreeSet();
  /** Handle in the emulated slab layer, NaN when the allocation failed. */
  handle = new Float64Array(0);
  /** Call-site index (see CallSiteTable). */
  site = new Int32Array(0);
  /** Cache id, or {@linkcode NO_CACHE}. */
  cache = new Int32Array(0);
  bytesReq = new Float64Array(0);
  bytesAlloc = new Float64Array(0);
  tsNs = new Float64Array(0);
  #cap = 0;
  #next = 0;
  readonly #free: number[] = [];

  /** A record index to fill: a recycled one, else a new one (the arrays double when full). */
  newRecord(): number {
    const r = this.#free.pop();
    if (r !== undefined) return r;
    if (this.#next === this.#cap) {
      const cap = Math.max(1024, this.#cap * 2);
      const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const x = make(cap);
        x.set(a as never);
        return x;
      };
      this.handle = grow(this.handle, (n) => new Float64Array(n));
      this.site = grow(this.site, (n) => new Int32Array(n));
      this.cache = grow(this.cache, (n) => new Int32Array(n));
      this.bytesReq = grow(this.bytesReq, (n) => new Float64Array(n));
      this.bytesAlloc = grow(this.bytesAlloc, (n) => new Float64Array(n));
      this.tsNs = grow(this.tsNs, (n) => new Float64Array(n));
      this.#cap = cap;
    }
    return this.#next++;
  }

  /** Returns a record for reuse (its object was freed). */
  recycle(r: number): void {
    this.#free.push(r);
  }
}
