/**
 * Faithful replay of the compaction free scanner (mm/compaction.c `isolate_freepages_block`,
 * `fast_isolate_freepages`): free blocks leave the buddy lists with no mm_page_alloc; the
 * events give a pfn range (or only a minimum pfn) and the pages taken, not the blocks, so the
 * blocks the model had not located are guessed from the before-snapshot's unlocated pool.
 *
 * @module
 */

import type { CallBatch } from "../../calls/call_batch.ts";
import { MigrateType } from "../../kernel/constants.ts";
import { EventField } from "../../trace/event_schema.ts";
import { type ForcedPageState, type PageAllocator, PageState } from "../../mm/page_allocator.ts";
import type { DesyncLog } from "./desync_catalogue.ts";
import type { PageReplayTally } from "./page_replay_tally.ts";
import type { UnlocatedPool } from "./unlocated_pool.ts";

/** The compaction free-scanner rules of the faithful replay. */
export class CompactionIsolation {
  /** Blocks per order still to take for the isolation being replayed (reused). */
  readonly #need: Int32Array;

  constructor(
    readonly machine: PageAllocator,
    readonly forced: ForcedPageState,
    readonly unlocated: UnlocatedPool,
    readonly desyncs: DesyncLog,
    readonly tally: PageReplayTally,
  ) {
    this.#need = new Int32Array(machine.nrOrders);
  }

  /**
   * mm_compaction_isolate_freepages: isolate_freepages_block walked [start, end) and took every
   * PageBuddy block whose head lies there, whole (its order may reach past `end`), with no
   * mm_page_alloc; nr_taken is their page sum. Taken blocks are held as allocated, so the later
   * release_free_list frees of their pieces (and migration targets' frees) are ordinary frees.
   * Blocks the model never located come from the before-snapshot's unlocated pool as the binary
   * decomposition of the rest, placed in never-seen aligned memory of the range when possible.
   */
  isolateFree(b: CallBatch, i: number): void {
    const iso = this.tally.iso;
    const taken = EventField.isolate.nrTaken(b, i);
    iso.events++;
    if (!(taken > 0)) return;
    const start = EventField.isolate.rangeStartPfn(b, i);
    const m = this.machine;
    const zi = m.zoneOf(start);
    if (zi < 0) {
      this.desyncs.record(
        "pfn-outside-zone",
        b.source[i]!,
        `isolate_freepages at 0x${start.toString(16)}`,
      );
      return;
    }
    iso.pagesTaken += taken;
    const end = Math.min(EventField.isolate.rangeEndPfn(b, i), m.zones[zi]!.endPfn);
    // Located free blocks with their head in the range: exactly what the kernel found PageBuddy.
    let located = 0;
    for (let q = start; q < end;) {
      const h = m.headOf(q);
      const o = m.orderAt(h);
      if (m.stateAt(h) === PageState.BUDDY && h >= start) {
        this.forced.carve(h, o);
        this.forced.setAllocated(h, o, m.pageblockMtOf(h));
        located += 1 << o;
      }
      q = h + (1 << o);
    }
    iso.locatedPages += located;
    if (located > taken) {
      iso.excessPages += located - taken;
      this.desyncs.record(
        "isolate-mismatch",
        b.source[i]!,
        `range 0x${start.toString(16)}-0x${
          end.toString(16)
        }: located ${located} > nr_taken ${taken}`,
      );
    } else if (located < taken) {
      this.#isolateUnlocated(b, i, zi, start, end, taken - located);
    }
    this.forced.noteFree(zi);
  }

  /** The part of an isolation the model had not located: a guess from the unlocated pool. */
  #isolateUnlocated(
    b: CallBatch,
    i: number,
    zi: number,
    start: number,
    end: number,
    pages: number,
  ): void {
    const m = this.machine;
    const need = this.#need;
    need.fill(0);
    // Binary decomposition: blocks of a real free list are aligned powers of two.
    let rest = pages;
    for (let k = m.maxOrder; k >= 0 && rest > 0; k--) {
      const n = Math.floor(rest / (1 << k));
      need[k] = n;
      rest -= n * (1 << k);
    }
    const mt = m.pageblockMtOf(start);
    let missing = 0;
    for (let k = m.maxOrder; k >= 0; k--) {
      // Take every block of this order; once none that large is left unlocated, the rest of
      // this order is asked for as twice as many halves (so need[k] may exceed 1 below the top).
      let taken = 0;
      while (taken < need[k]! && this.unlocated.takeBlock(zi, k, mt) >= 0) taken++;
      const short = need[k]! - taken;
      need[k] = taken;
      if (short > 0) {
        if (k > 0) need[k - 1]! += 2 * short;
        else missing += short;
      }
    }
    // Place the taken blocks in never-seen memory of the range, largest first, so that their
    // later frees are recognised; what does not fit stays unplaced (its frees stay untracked).
    let left = 0;
    for (let k = 0; k <= m.maxOrder; k++) left += need[k]!;
    let placed = 0;
    for (let q = start; q < end && left > 0;) {
      const h = m.headOf(q);
      const o = m.orderAt(h);
      const blockEnd = h + (1 << o);
      if (m.stateAt(h) === PageState.UNKNOWN) {
        let p = Math.max(h, start);
        while (p < end && p < blockEnd && left > 0) {
          let k = m.maxOrder;
          while (
            k >= 0 && (need[k] === 0 || (p & ((1 << k) - 1)) !== 0 || p + (1 << k) > blockEnd)
          ) {
            k--;
          }
          if (k >= 0) {
            this.forced.carve(p, k);
            this.forced.setAllocated(p, k, mt);
            need[k]!--;
            left--;
            placed += 1 << k;
            p += 1 << k;
          } else {
            let kmin = 0;
            while (need[kmin] === 0) kmin++;
            p = (p | ((1 << kmin) - 1)) + 1;
          }
        }
      }
      q = blockEnd;
    }
    const iso = this.tally.iso;
    iso.unlocatedPages += pages - missing;
    iso.placedPages += placed;
    iso.missingPages += missing;
    iso.guessedEvents++;
    this.desyncs.record(
      missing > 0 ? "isolate-mismatch" : "isolate-unlocated",
      b.source[i]!,
      `range 0x${start.toString(16)}-0x${end.toString(16)}: ${pages} of nr_taken ${
        EventField.isolate.nrTaken(b, i)
      } ` +
        `pages unlocated, ${placed} placed in the range` +
        (missing > 0 ? `, ${missing} not found in the unlocated pool` : ""),
    );
  }

  /**
   * mm_compaction_fast_isolate_freepages: blocks taken from the Movable free lists near min_pfn
   * (mm/compaction.c fast_isolate_freepages); the event gives only their page sum, so each block
   * of its binary decomposition is guessed: the highest located Movable block ≥ min_pfn of that
   * order, else an unlocated one. The isolate_freepages event of fast_isolate_around follows.
   */
  fastIsolate(b: CallBatch, i: number): void {
    const iso = this.tally.iso;
    const taken = EventField.isolate.nrTaken(b, i);
    iso.events++;
    iso.fastEvents++;
    if (!(taken > 0)) return;
    const m = this.machine;
    const minPfn = EventField.isolate.rangeStartPfn(b, i);
    let zi = m.zoneOf(EventField.isolate.rangeEndPfn(b, i));
    if (zi < 0) zi = m.zoneOf(minPfn);
    if (zi < 0) {
      this.desyncs.record(
        "pfn-outside-zone",
        b.source[i]!,
        `fast_isolate_freepages at 0x${minPfn.toString(16)}`,
      );
      return;
    }
    iso.pagesTaken += taken;
    iso.guessedEvents++;
    let rest = taken;
    for (let k = m.maxOrder; k >= 0 && rest > 0; k--) {
      if (rest < 1 << k) continue;
      rest -= 1 << k;
      let best = -1;
      for (const pfn of m.listPfns(zi, k, MigrateType.MOVABLE)) {
        if (pfn >= minPfn && pfn > best) best = pfn;
      }
      if (best >= 0) {
        this.forced.carve(best, k);
        this.forced.setAllocated(best, k, MigrateType.MOVABLE);
        iso.locatedPages += 1 << k;
      } else if (this.unlocated.takeBlock(zi, k, MigrateType.MOVABLE) >= 0) {
        iso.unlocatedPages += 1 << k;
      } else {
        iso.missingPages += 1 << k;
      }
    }
    this.desyncs.record(
      "fast-isolate-guess",
      b.source[i]!,
      `min_pfn 0x${minPfn.toString(16)} nr_taken ${taken}: block pfns guessed`,
    );
    this.forced.noteFree(zi);
  }
}
