/**
 * What the trace says about pageblock migratetypes, kept apart from the model's working types
 * (which start as a guess): the type each pageblock had at the trace's start when an event
 * showed it before any traced retype, the type it is known to have now, and whether the trace
 * showed it changing. Pageblock maps draw only these; everything else is unknown.
 *
 * @module
 */

/** Marks a pageblock whose type nobody measured (same value as PAGEBLOCK_UNKNOWN of maps). */
export const MT_UNKNOWN = 254;

/** Per-pageblock migratetype knowledge of a faithful replay (index = pfn >> pageblock order). */
export class PageblockKnowledge {
  /** Type at the trace start, or {@linkcode MT_UNKNOWN}. */
  readonly startMt: Uint8Array;
  /** Type now (as last shown by an event), or {@linkcode MT_UNKNOWN}. */
  readonly nowMt: Uint8Array;
  /** 1 when the trace showed the block changing type (a claim). */
  readonly changed: Uint8Array;

  constructor(pageblocks: number) {
    this.startMt = new Uint8Array(pageblocks).fill(MT_UNKNOWN);
    this.nowMt = new Uint8Array(pageblocks).fill(MT_UNKNOWN);
    this.changed = new Uint8Array(pageblocks);
  }

  /**
   * An event shows pageblock `pb` with type `mt` (its free list or its block's type). A first
   * sighting before any traced change also says what the block was at the start.
   *
   * @example
   * ```ts
   * import { PageblockKnowledge } from "./pageblock_knowledge.ts";
   * const k = new PageblockKnowledge(4);
   * k.seen(1, 2);
   * [k.startMt[1], k.nowMt[1], k.startMt[0]]; // [2, 2, 254]
   * ```
   */
  seen(pb: number, mt: number): void {
    if (this.nowMt[pb] === MT_UNKNOWN && !this.changed[pb]) this.startMt[pb] = mt;
    this.nowMt[pb] = mt;
  }

  /**
   * The trace shows pageblock `pb` changing from `fromMt` (−1: not said) to `toMt`.
   *
   * @example
   * ```ts
   * import { PageblockKnowledge } from "./pageblock_knowledge.ts";
   * const k = new PageblockKnowledge(2);
   * k.retyped(0, 1, 0);
   * [k.startMt[0], k.nowMt[0], k.changed[0]]; // [1, 0, 1]
   * ```
   */
  retyped(pb: number, fromMt: number, toMt: number): void {
    if (this.nowMt[pb] === MT_UNKNOWN && !this.changed[pb] && fromMt >= 0) {
      this.startMt[pb] = fromMt;
    }
    const from = this.nowMt[pb] !== MT_UNKNOWN ? this.nowMt[pb]! : fromMt;
    if (from !== toMt) this.changed[pb] = 1;
    this.nowMt[pb] = toMt;
  }
}
