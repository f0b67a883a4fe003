/**
 * The end of every exhaustive `switch` over a closed union ({@linkcode Ev}, `Call`, …): the
 * argument has type `never` only when every member is handled, so a new member fails
 * type-checking until each dispatch handles it.
 *
 * @module
 */

/**
 * Marker for exhaustive switches: a call here means a case was left unhandled.
 *
 * @example
 * ```ts
 * import { assertNever } from "./assert_never.ts";
 * const kind = 0 as 0 | 1;
 * switch (kind) {
 *   case 0:
 *   case 1:
 *     break;
 *   default:
 *     assertNever(kind);
 * }
 * ```
 */
export function assertNever(x: never): never {
  throw new Error(`unhandled case ${String(x)}`);
}
