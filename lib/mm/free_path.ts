/**
 * The freeing path (mm/page_alloc.c `free_frozen_pages`, `free_frozen_page_commit`,
 * `free_pcppages_bulk`, `drain_all_pages`): pcp orders go to the freeing CPU's pcp list, which
 * drains a batch to buddy when it reaches `high`; other orders go straight to buddy.
 *
 * @module
 */

import { MIGRATE_PCPTYPES, MigrateType, PCP_BATCH_SCALE_MAX } from "../kernel/constants.ts";
import { MmInvariantError } from "./mm_invariant_error.ts";
import type { FreeLists } from "./free_lists.ts";
import type { MachineSpec } from "./machine_spec.ts";
import type { PageWords } from "./page_words.ts";
import type { AllocatorStats } from "./rmqueue.ts";
import type { Zone } from "./zone.ts";

/** The freeing path over one machine's zones and lists. */
export class FreePath {
  constructor(
    readonly spec: MachineSpec,
    readonly pages: PageWords,
    readonly lists: FreeLists,
    readonly zones: readonly Zone[],
    readonly stats: AllocatorStats,
  ) {}

  /**
   * Frees a detached block the way `free_frozen_pages` does (pcp or buddy). `autoDrain` false
   * skips the pcp high check (faithful replay drains only where the trace shows drains).
   */
  freeDetached(pfn: number, order: number, cpu: number, autoDrain: boolean): void {
    const zi = this.pages.zoneOf(pfn);
    if (zi < 0) throw new MmInvariantError("bad-free", `pfn ${pfn} is outside every zone`);
    const z = this.zones[zi]!;
    let mt = this.pages.pageblockMtOf(pfn);
    if (this.spec.pcpEnabled && this.lists.pcpAllowedOrder(order) && mt !== MigrateType.ISOLATE) {
      if (mt >= MIGRATE_PCPTYPES) mt = MigrateType.MOVABLE;
      if (autoDrain) this.#freePcpCommit(z, cpu, pfn, order, mt);
      else this.lists.addPcp(z, cpu, pfn, order, mt, false);
    } else {
      this.lists.freeToBuddy(zi, pfn, order, mt);
    }
    z.noteFree();
  }

  /** `free_frozen_page_commit` (simplified high auto-tuning, no free_high heuristics). */
  #freePcpCommit(z: Zone, cpu: number, pfn: number, order: number, mt: number): void {
    z.pcpAllocFactor[cpu] = z.pcpAllocFactor[cpu]! >> 1;
    this.lists.addPcp(z, cpu, pfn, order, mt, false);
    const batch = z.pcpBatch[cpu]!;
    if (z.pcpFreeCount[cpu]! < batch << PCP_BATCH_SCALE_MAX) z.pcpFreeCount[cpu]! += 1 << order;
    const highMin = z.pcpHighMin[cpu]!;
    const highMax = z.pcpHighMax[cpu]!;
    let high = Math.min(Math.max(z.pcpHigh[cpu]!, highMin), highMax);
    z.pcpHigh[cpu] = high;
    const pindex = this.lists.pindex(order, mt);
    if (high === 0) return this.#drainPcp(z, cpu, z.pcpCount[cpu]!, pindex);
    if (highMin !== highMax) {
      if (z.freePages < z.wmarkHigh) {
        const fc = Math.max(z.pcpFreeCount[cpu]!, batch);
        z.pcpHigh[cpu] = Math.max(high - fc, highMin);
        high = Math.max(z.pcpCount[cpu]!, highMin);
      } else if (z.pcpCount[cpu]! >= high) {
        const need = z.pcpFreeCount[cpu]! + batch;
        if (z.pcpHigh[cpu]! < need) z.pcpHigh[cpu] = Math.min(Math.max(need, highMin), highMax);
      }
    }
    if (z.pcpCount[cpu]! >= high) {
      let nr: number;
      if (high < batch) nr = 1;
      else nr = Math.min(Math.max(z.pcpFreeCount[cpu]!, batch), Math.max(high - batch, batch));
      this.#drainPcp(z, cpu, nr, pindex);
    }
  }

  /** `free_pcppages_bulk`: drains `count` pages round-robin over lists, from each list's tail. */
  #drainPcp(z: Zone, cpu: number, count: number, pindex: number): void {
    const lists = this.lists;
    const nrPcpLists = lists.nrPcpLists;
    count = Math.min(count, z.pcpCount[cpu]! - z.pcpUnlocated[cpu]!);
    let p = pindex - 1;
    while (count > 0) {
      let list: number;
      let guard = 0;
      do {
        if (++p > nrPcpLists - 1) p = 0;
        list = lists.pcpList(z.index, cpu, p);
        if (++guard > nrPcpLists) return;
      } while (lists.listHead[list]! < 0);
      const order = lists.pindexOrder(p);
      do {
        const pfn = lists.lastPfn(list);
        lists.delPcp(pfn);
        count -= 1 << order;
        this.stats.pcpDrainedPages += 1 << order;
        lists.freeToBuddy(z.index, pfn, order, this.pages.pageblockMtOf(pfn));
      } while (count > 0 && lists.listHead[list]! >= 0);
    }
  }

  /** `drain_all_pages`: every located pcp page of every zone back to buddy. */
  drainAllPages(): void {
    for (const z of this.zones) {
      for (let c = 0; c < this.lists.cpus; c++) this.#drainPcp(z, c, Infinity, 0);
      z.noteFree();
    }
  }
}
