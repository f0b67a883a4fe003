/**
 * pfn → state map on typed arrays, for page replay's per-block bookkeeping whose values do not
 * fit an int32 (an emulated pfn · 2^16 + order): the shared open-addressing table (open_map.ts)
 * with float64 values.
 *
 * @module
 */

import { OpenMap } from "./open_map.ts";

/**
 * Map from integer keys in [0, 2^53) (pfns) to float64 values.
 *
 * @example
 * ```ts
 * import { PfnMap } from "./pfn_map.ts";
 * const m = new PfnMap();
 * m.set(0x12345, 0x2_0000_0000 + 3);
 * m.get(0x12345); // 8589934595
 * m.get(0x1000); // -1 (absent)
 * m.take(0x12345); // 8589934595
 * m.size; // 0
 * ```
 */
export class PfnMap extends OpenMap<Float64Array> {
  /** `expected`: keys to hold without growing. */
  constructor(expected = 0) {
    super(expected, (slots) => new Float64Array(slots));
  }
}
