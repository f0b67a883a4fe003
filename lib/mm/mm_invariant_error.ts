/**
 * The error a broken invariant of the emulated memory manager raises. It lives in mm/ because mm
 * and slab raise it and must not depend on the trace layer.
 *
 * @module
 */

/**
 * A broken invariant of the emulated memory manager (raised only in strict mode, or when the
 * emulator itself is wrong).
 *
 * @example
 * ```ts
 * import { MmInvariantError } from "./mm_invariant_error.ts";
 * new MmInvariantError("bad-free", "pfn 5 order 0 is not an allocated block").code; // "bad-free"
 * ```
 */
export class MmInvariantError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = "MmInvariantError";
    this.code = code;
  }
}
