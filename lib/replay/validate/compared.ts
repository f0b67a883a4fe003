/**
 * A predicted number next to the real one, and the signed percent error every validation line
 * uses.
 *
 * @module
 */

/** A predicted number next to the real one. */
export interface Compared {
  predicted: number;
  actual: number;
  /** `100 · (predicted − actual) / max(|actual|, 1)`. */
  errorPct: number;
}

/**
 * `100 · (predicted − actual) / max(|actual|, 1)`.
 *
 * @example
 * ```ts
 * import { errorPct } from "./compared.ts";
 * errorPct(241873, 241723); // ≈ 0.062
 * errorPct(3, 0); // 300
 * ```
 */
export function errorPct(predicted: number, actual: number): number {
  return 100 * (predicted - actual) / Math.max(Math.abs(actual), 1);
}

/** A {@linkcode Compared} of `predicted` against `actual`. */
export function compared(predicted: number, actual: number): Compared {
  return { predicted, actual, errorPct: errorPct(predicted, actual) };
}

/** `+n` or `-n`: a change with its sign. */
export const signed = (n: number): string => `${n >= 0 ? "+" : ""}${n}`;
