/**
 * Byte chunks laid end to end, for the places that gather a stream's chunks (trace input, the
 * trace.dat reader's whole file) or assemble a file from parts.
 *
 * @module
 */

/**
 * The first `n` bytes of `parts` laid end to end, in a new array (`n` defaults to all of them;
 * with fewer bytes than `n` the tail stays zero).
 *
 * @example
 * ```ts
 * import { concatBytes } from "./concat_bytes.ts";
 * concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])]); // Uint8Array [1, 2, 3]
 * concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])], 2); // Uint8Array [1, 2]
 * ```
 */
export function concatBytes(
  parts: readonly Uint8Array[],
  n = parts.reduce((sum, p) => sum + p.length, 0),
): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    if (o >= n) break;
    const take = Math.min(p.length, n - o);
    out.set(take === p.length ? p : p.subarray(0, take), o);
    o += take;
  }
  return out;
}
