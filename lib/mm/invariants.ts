/**
 * The allocator's invariants, checked by an independent recount from the page words.
 *
 * @module
 */

import { MIGRATE_TYPES } from "../kernel/constants.ts";
import { MmInvariantError } from "./mm_invariant_error.ts";
import { type FreeLists, isMergeable } from "./free_lists.ts";
import {
  ORDER_MASK,
  ORDER_SHIFT,
  PageState,
  type PageWords,
  PAYLOAD_SHIFT,
  STATE_MASK,
} from "./page_words.ts";
import type { Zone } from "./zone.ts";

/**
 * Checks every invariant: list contents equal the heads in state BUDDY/PCP, counts match
 * (located + unlocated), blocks are aligned and disjoint, no two free buddies of the same order
 * are left unmerged. Throws MmInvariantError on the first problem.
 */
export function checkInvariants(
  pages: PageWords,
  lists: FreeLists,
  zones: readonly Zone[],
): void {
  const w = pages.words;
  const nrOrders = pages.maxOrder + 1;
  const cpus = lists.cpus;
  const recount = zones.map(() => new Float64Array(nrOrders * MIGRATE_TYPES));
  const pcpRecount = zones.map(() => new Float64Array(cpus));
  let listed = 0;
  for (let p = 0; p < pages.endPfn;) {
    const x = w[p]!;
    const st = x & STATE_MASK;
    const o = (x >>> ORDER_SHIFT) & ORDER_MASK;
    if (st === PageState.TAIL) throw new MmInvariantError("layout", `tail at block start ${p}`);
    if ((p & ((1 << o) - 1)) !== 0) {
      throw new MmInvariantError("layout", `unaligned block ${p}/${o}`);
    }
    if (st === PageState.DETACHED) throw new MmInvariantError("layout", `detached block ${p}`);
    for (let q = p + 1; q < p + (1 << o); q++) {
      if ((w[q]! & STATE_MASK) !== PageState.TAIL) {
        throw new MmInvariantError("overlap", `block ${p}/${o} overlaps head ${q}`);
      }
    }
    if (st === PageState.BUDDY || st === PageState.PCP) {
      listed++;
      const s = x >>> PAYLOAD_SHIFT;
      if (lists.slotPfn[s] !== p) {
        throw new MmInvariantError("slot", `slot of ${p} names ${lists.slotPfn[s]}`);
      }
      const zi = pages.zoneOf(p);
      if (zi < 0) throw new MmInvariantError("zone", `free block ${p} outside zones`);
      if (st === PageState.BUDDY) {
        const mt = lists.slotList[s]! % MIGRATE_TYPES;
        recount[zi]![o * MIGRATE_TYPES + mt]!++;
        checkMerged(pages, zones[zi]!, p, o);
      } else {
        pcpRecount[zi]![lists.listInfoAt(p).cpu]! += 1 << o;
      }
    }
    p += 1 << o;
  }
  if (listed !== lists.slotsUsed) {
    throw new MmInvariantError("slot", `${listed} listed heads, ${lists.slotsUsed} slots in use`);
  }
  // Lists: walk each and compare with its length.
  for (let l = 0; l < lists.listHead.length; l++) {
    let n = 0;
    for (let s = lists.listHead[l]!; s >= 0; s = lists.slotNext[s]!) {
      if (lists.slotList[s] !== l) throw new MmInvariantError("list", `slot ${s} on wrong list`);
      n++;
    }
    if (n !== lists.listLen[l]) {
      throw new MmInvariantError("list", `list ${l} length ${n} ≠ ${lists.listLen[l]}`);
    }
  }
  zones.forEach((z, zi) => checkZoneCounts(z, recount[zi]!, pcpRecount[zi]!, cpus));
}

/** Throws when the free buddy of block (p, o) could have merged with it. */
function checkMerged(pages: PageWords, z: Zone, p: number, o: number): void {
  const b = p ^ (1 << o);
  if (o >= pages.maxOrder || b < z.startPfn || b >= z.endPfn) return;
  const bw = pages.words[b]!;
  if ((bw & STATE_MASK) !== PageState.BUDDY || ((bw >>> ORDER_SHIFT) & ORDER_MASK) !== o) return;
  const bmt = pages.pageblockMt[b >>> pages.pageblockOrder]!;
  const pmt = pages.pageblockMt[p >>> pages.pageblockOrder]!;
  if (o < pages.pageblockOrder || (isMergeable(bmt) && isMergeable(pmt)) || bmt === pmt) {
    throw new MmInvariantError("unmerged", `free buddies ${p} and ${b} of order ${o}`);
  }
}

function checkZoneCounts(
  z: Zone,
  recount: Float64Array,
  pcpRecount: Float64Array,
  cpus: number,
): void {
  let free = 0;
  for (let i = 0; i < z.nrFree.length; i++) {
    const located = z.nrFree[i]! - z.unlocated[i]!;
    if (located !== recount[i]) {
      throw new MmInvariantError(
        "count",
        `zone ${z.name} order ${Math.floor(i / MIGRATE_TYPES)} mt ${
          i % MIGRATE_TYPES
        }: ${located} counted, ${recount[i]} listed`,
      );
    }
    free += z.nrFree[i]! * (1 << Math.floor(i / MIGRATE_TYPES));
  }
  if (free !== z.freePages) {
    throw new MmInvariantError("count", `zone ${z.name} free ${z.freePages} ≠ ${free}`);
  }
  for (let c = 0; c < cpus; c++) {
    if (pcpRecount[c]! + z.pcpUnlocated[c]! !== z.pcpCount[c]) {
      throw new MmInvariantError("count", `zone ${z.name} cpu ${c} pcp count ${z.pcpCount[c]}`);
    }
  }
}
