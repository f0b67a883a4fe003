/**
 * The allocation mix: page allocations counted by order × migratetype × gfp flags, and by comm.
 * Exact counts; the per-comm list is cut to the top N at the end (the rest summed as "other").
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES, NR_PAGE_ORDERS } from "../kernel/constants.ts";
import { formatGfp } from "../kernel/gfp_flags.ts";

/** One (order, migratetype, gfp) combination. */
export interface AllocMixRow {
  order: number;
  migratetype: string;
  /** gfp flags as the kernel prints them (`GFP_KERNEL|__GFP_ZERO`). */
  gfp: string;
  allocs: number;
  pages: number;
}

/** Page allocations of one task name. */
export interface AllocMixCommRow {
  comm: string;
  allocs: number;
  pages: number;
  /** Allocations of order > 0. */
  highOrderAllocs: number;
}

/** The allocation mix as plain data. */
export interface AllocMixResult {
  /** All combinations, most allocations first. */
  byOrderTypeGfp: AllocMixRow[];
  /** Allocations per order, index = order. */
  allocsByOrder: number[];
  /** Allocations per migratetype, index = migratetype. */
  allocsByMigratetype: number[];
  /** Top comms by pages; a final row "(other)" sums the rest when cut. */
  byComm: AllocMixCommRow[];
  totals: { allocs: number; pages: number; comms: number };
}

// Composite key: gfp * KEY_GFP_SHIFT + order * KEY_ORDER_SHIFT + migratetype (exact below 2^53).
const KEY_ORDER_SHIFT = 8;
const KEY_GFP_SHIFT = 256;

/**
 * Counts page allocations.
 *
 * @example
 * ```ts
 * import { AllocMix } from "./alloc_mix.ts";
 * const m = new AllocMix();
 * m.addPageAlloc(0, 0, 0xcc0, "bash");
 * m.addPageAlloc(2, 1, 0xcc0, "bash");
 * const r = m.finish();
 * r.byComm[0]; // { comm: "bash", allocs: 2, pages: 5, highOrderAllocs: 1 }
 * r.byOrderTypeGfp[0]!.gfp; // "GFP_KERNEL"
 * ```
 */
export class AllocMix {
  readonly #combo = new Map<number, Float64Array>();
  readonly #byComm = new Map<string, AllocMixCommRow>();
  readonly #byOrder = new Float64Array(NR_PAGE_ORDERS);
  readonly #byType = new Float64Array(MIGRATE_TYPES);
  #allocs = 0;
  #pages = 0;

  /** Counts one page allocation (`gfp` is the numeric mask of lib/kernel/gfp_flags.ts). */
  addPageAlloc(order: number, migratetype: number, gfp: number, comm: string, n = 1): void {
    const o = Math.min(Math.max(order, 0), NR_PAGE_ORDERS - 1);
    const mt = migratetype >= 0 && migratetype < MIGRATE_TYPES ? migratetype : 0;
    const pages = n * 2 ** o;
    const key = gfp * KEY_GFP_SHIFT + o * KEY_ORDER_SHIFT + mt;
    let c = this.#combo.get(key);
    if (!c) {
      c = new Float64Array(2);
      this.#combo.set(key, c);
    }
    c[0]! += n;
    c[1]! += pages;
    let r = this.#byComm.get(comm);
    if (!r) {
      r = { comm, allocs: 0, pages: 0, highOrderAllocs: 0 };
      this.#byComm.set(comm, r);
    }
    r.allocs += n;
    r.pages += pages;
    if (o > 0) r.highOrderAllocs += n;
    this.#byOrder[o]! += n;
    this.#byType[mt]! += n;
    this.#allocs += n;
    this.#pages += pages;
  }

  /** Plain-data result with the `topComms` comms of most pages. */
  finish(topComms = 25): AllocMixResult {
    const rows: AllocMixRow[] = [];
    for (const [key, c] of this.#combo) {
      const gfp = Math.floor(key / KEY_GFP_SHIFT);
      const rest = key - gfp * KEY_GFP_SHIFT;
      const order = Math.floor(rest / KEY_ORDER_SHIFT);
      const mt = rest - order * KEY_ORDER_SHIFT;
      rows.push({
        order,
        migratetype: MIGRATE_TYPE_NAMES[mt] ?? String(mt),
        gfp: formatGfp(gfp),
        allocs: c[0]!,
        pages: c[1]!,
      });
    }
    rows.sort((a, b) => b.allocs - a.allocs || a.order - b.order || (a.gfp < b.gfp ? -1 : 1));
    const comms = [...this.#byComm.values()].sort((a, b) =>
      b.pages - a.pages || (a.comm < b.comm ? -1 : a.comm > b.comm ? 1 : 0)
    );
    const byComm = comms.slice(0, topComms).map((r) => ({ ...r }));
    if (comms.length > topComms) {
      const other = { comm: "(other)", allocs: 0, pages: 0, highOrderAllocs: 0 };
      for (const r of comms.slice(topComms)) {
        other.allocs += r.allocs;
        other.pages += r.pages;
        other.highOrderAllocs += r.highOrderAllocs;
      }
      byComm.push(other);
    }
    return {
      byOrderTypeGfp: rows,
      allocsByOrder: Array.from(this.#byOrder),
      allocsByMigratetype: Array.from(this.#byType),
      byComm,
      totals: { allocs: this.#allocs, pages: this.#pages, comms: this.#byComm.size },
    };
  }
}
