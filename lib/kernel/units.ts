/**
 * Typed numbers for values that cross layer boundaries with a unit: a page frame number, a
 * block order, a trace timestamp. Inside hot loops and typed arrays they stay plain numbers;
 * the brand makes a public signature say which is which, and a swapped argument a type error.
 *
 * @module
 */

declare const unit: unique symbol;

/** A page frame number (physical address >> PAGE_SHIFT). */
export type Pfn = number & { readonly [unit]: "pfn" };
/**
 * A block order: the block holds 2^order pages. A closed union rather than a brand, so literal
 * orders read naturally (`allocPages(gfp, 2)`) while a pfn or a plain number does not pass.
 */
export type Order = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15;
/** A trace timestamp in nanoseconds (the trace clock's, not wall time). */
export type TraceTimeNs = number & { readonly [unit]: "trace-ns" };

/**
 * A number as a {@linkcode Pfn}.
 *
 * @example
 * ```ts
 * import { asPfn } from "./units.ts";
 * const p = asPfn(0x1000);
 * p + 1; // 4097
 * ```
 */
export function asPfn(n: number): Pfn {
  return n as Pfn;
}

/** A number known to be an order 0..15 (page words hold 4 bits) as an {@linkcode Order}. */
export function asOrder(n: number): Order {
  return n as Order;
}

/** A number as a {@linkcode TraceTimeNs}. */
export function asTraceTimeNs(n: number): TraceTimeNs {
  return n as TraceTimeNs;
}
