/**
 * The faithful replay's rules (the recorded pfns are the truth). Every block is tracked as
 * buddy / pcp / allocated / unknown:
 * 1. `buddy_take` (mm_page_alloc_zone_locked) removes the block from buddy (splitting like
 *    `expand`) onto the line CPU's pcp list when PERCPU_REFILL, else allocated;
 * 2. `fallback` (extfrag) on ≥v6.10 kernels takes the page itself unless the previous
 *    same-CPU call was a buddy_take of that pfn (partial claim); whole-block claims retype;
 * 3. `page_alloc` moves the block from a pcp list (any CPU) to allocated;
 * 4. `page_free` puts pcp orders on the freeing CPU's pcp list, others into buddy with merging;
 * 5. `pcp_drain` moves the block from whichever pcp list holds it into buddy with merging;
 * 6. MAX_PAGE_ORDER frees of never-seen memory are zone growth (deferred init, hotplug);
 * 7. compaction free-scanner isolations take free blocks (see compaction_isolation.ts).
 * A transition the model did not expect is counted as a desync of a named kind (see
 * desync_catalogue.ts) with the first examples' source lines, then resynchronised. A
 * before-snapshot seeds unlocated free blocks and pcp pages, which explain first sightings
 * without a desync.
 *
 * @module
 */

import { assertNever, Call, type CallKind } from "../../calls/call_kind.ts";
import type { CallBatch } from "../../calls/call_batch.ts";
import { MIGRATE_PCPTYPES, MIGRATE_TYPES, MigrateType } from "../../kernel/constants.ts";
import { GFP } from "../../kernel/gfp_flags.ts";
import { EventFlag } from "../../trace/event_batch.ts";
import { Ev } from "../../trace/event_kind.ts";
import { EventField } from "../../trace/event_schema.ts";
import {
  AllocPageFlag,
  type ForcedPageState,
  type PageAllocator,
  PageState,
} from "../../mm/page_allocator.ts";
import { CompactionIsolation } from "./compaction_isolation.ts";
import type { DesyncKind, DesyncLog } from "./desync_catalogue.ts";
import type { PageReplayTally } from "./page_replay_tally.ts";
import type { UnlocatedPool } from "./unlocated_pool.ts";
import { PageblockKnowledge } from "./pageblock_knowledge.ts";
import { KswapdWakeCheck } from "./kswapd_wake_check.ts";
import { nextSameCpuRow } from "./next_same_cpu_row.ts";

/** Desyncs that, on a pfn no event touched yet, mean before.kpageflags was already stale. */
const STALE_KINDS: ReadonlySet<DesyncKind> = new Set<DesyncKind>([
  "take-not-free",
  "alloc-from-buddy",
  "alloc-allocated",
  "double-free",
  "drain-not-pcp",
]);
/** Calls whose pfn and order name pages. */
const PFN_CALLS: ReadonlySet<CallKind> = new Set<CallKind>([
  Call.BUDDY_TAKE,
  Call.PAGE_ALLOC,
  Call.PAGE_FREE,
  Call.PCP_DRAIN,
  Call.FALLBACK,
]);

/** The faithful rules over one machine. */
export class FaithfulRules {
  /** Pageblocks whose migratetype the trace has confirmed. */
  readonly #pbKnown: Uint8Array;
  /** Blocks taken from buddy not for a pcp refill, awaiting their mm_page_alloc. */
  readonly #pendingTakes = new Set<number>();
  /** pfn of a buddy_take that a following extfrag explains (partial claim), or -1. */
  #claimHandled = -1;
  readonly #compaction: CompactionIsolation;
  /** Seeded from kpageflags: 1 per pfn an event has touched (null otherwise). */
  #seen: Uint8Array | null = null;
  /** What the trace said about pageblock types (for maps; the model's types start guessed). */
  readonly knowledge: PageblockKnowledge;
  readonly #kswapd: KswapdWakeCheck;

  constructor(
    readonly machine: PageAllocator,
    readonly forced: ForcedPageState,
    readonly unlocated: UnlocatedPool,
    readonly desyncs: DesyncLog,
    readonly tally: PageReplayTally,
    /** ≥v6.10 kernels: extfrag events take pages themselves. */
    readonly fallbackTakes: boolean,
  ) {
    this.#pbKnown = new Uint8Array(machine.pageblockMt.length);
    this.knowledge = new PageblockKnowledge(machine.pageblockMt.length);
    this.#compaction = new CompactionIsolation(machine, forced, unlocated, desyncs, tally);
    this.#kswapd = new KswapdWakeCheck(machine, tally);
  }

  /** Blocks taken from buddy still awaiting their mm_page_alloc. */
  get pendingTakes(): number {
    return this.#pendingTakes.size;
  }

  /** Applies call `i` of `b`. */
  apply(b: CallBatch, i: number, call: CallKind): void {
    this.#applyCall(b, i, call);
    if (this.#seen && PFN_CALLS.has(call)) this.#touch(b, i);
  }

  #applyCall(b: CallBatch, i: number, call: CallKind): void {
    switch (call) {
      case Call.BUDDY_TAKE:
        return this.#take(b, i);
      case Call.PAGE_ALLOC:
        return this.#alloc(b, i);
      case Call.PAGE_FREE:
        return this.#free(b, i);
      case Call.PCP_DRAIN:
        return this.#drain(b, i);
      case Call.FALLBACK:
        return this.#fallback(b, i);
      case Call.ZONE_WMARKS:
        return this.#wmarks(b, i);
      case Call.ZONE_LOWMEM_RESERVE: {
        const zi = this.machine.findZone(b.node[i]!, b.zone[i]!);
        if (zi >= 0) {
          const lr = EventField.lowmemReserve;
          this.forced.setLowmemReserve(zi, lr.upperZone(b, i), lr.lowmemReservePages(b, i));
        }
        return;
      }
      case Call.LOST:
        return this.tally.lostMarker(EventField.lost.lostEvents(b, i));
      case Call.COMPACTION_ISOLATE_FREE:
        return b.kind[i] === Ev.mm_compaction_fast_isolate_freepages
          ? this.#compaction.fastIsolate(b, i)
          : this.#compaction.isolateFree(b, i);
      case Call.COMPACTION_INFO:
        if (
          b.kind[i] === Ev.mm_compaction_isolate_migratepages &&
          EventField.isolate.nrTaken(b, i) > 0
        ) {
          this.tally.iso.migratePagesTaken += EventField.isolate.nrTaken(b, i);
        }
        return;
      // Not page-allocator state: slab and vmalloc calls go to the slab replay; reclaim,
      // compaction progress, reserves and RSS are metrics only.
      case Call.SLAB_ALLOC:
      case Call.SLAB_FREE:
      case Call.VMAP_ALLOC:
      case Call.VMAP_FREE:
      case Call.VMAP_PURGE:
      case Call.WAKEUP_KSWAPD:
        return this.#kswapd.wake(b, i);
      case Call.KSWAPD_WAKE:
      case Call.KSWAPD_SLEEP:
        return this.#kswapd.balanced(b.node[i]!);
      case Call.TOTALRESERVE:
      case Call.DIRECT_RECLAIM_BEGIN:
      case Call.DIRECT_RECLAIM_END:
      case Call.COMPACTION_BEGIN:
      case Call.COMPACTION_END:
      case Call.COMPACTION_SUITABLE:
      case Call.RSS_STAT:
      case Call.RECLAIM_INFO:
        return;
      default:
        return assertNever(call);
    }
  }

  #desync(kind: DesyncKind, b: CallBatch, i: number, detail: string): void {
    // A first sighting contradicting before.kpageflags: the page changed before tracing started.
    const seen = this.#seen;
    if (seen && STALE_KINDS.has(kind) && seen[b.pfn[i]!] === 0) kind = "kpageflags-stale";
    this.desyncs.record(kind, b.source[i]!, detail);
  }

  /**
   * Seeded from kpageflags: from now on, desyncs on pfns no event touched yet are stale
   * snapshot reads, not model errors.
   */
  trackFirstSightings(): void {
    this.#seen = new Uint8Array(this.machine.endPfn);
  }

  /** Marks the pfns of call `i` as touched by the trace. */
  #touch(b: CallBatch, i: number): void {
    const pfn = b.pfn[i]!;
    if (pfn < 0 || pfn >= this.#seen!.length) return;
    this.#seen!.fill(1, pfn, Math.min(this.#seen!.length, pfn + 2 ** Math.min(b.order[i]!, 20)));
  }
  #wmarks(b: CallBatch, i: number): void {
    const zi = this.machine.findZone(b.node[i]!, b.zone[i]!);
    if (zi >= 0) {
      const w = EventField.wmarks, high = w.wmarkHigh(b, i), promo = w.wmarkPromo(b, i);
      this.forced.setWatermarks(
        zi,
        w.wmarkMin(b, i),
        w.wmarkLow(b, i),
        high,
        promo >= 0 ? promo : high,
      );
    }
  }

  /** Zone of the call's pfn/order, or -1 after counting why it cannot be replayed. */
  #zoneFor(b: CallBatch, i: number, pfn: number, order: number): number {
    const m = this.machine;
    if (order < 0 || order > m.maxOrder) {
      this.#desync("order-above-max", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      return -1;
    }
    const zi = m.zoneOf(pfn);
    if (zi < 0 || m.zoneOf(pfn + (1 << order) - 1) !== zi || (pfn & ((1 << order) - 1)) !== 0) {
      this.#desync("pfn-outside-zone", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      return -1;
    }
    return zi;
  }

  /** Learns a pageblock's type from an event; counts a mismatch with a type learned earlier. */
  #learnType(b: CallBatch, i: number, pfn: number, order: number, mt: number): void {
    const m = this.machine;
    if (mt < 0 || mt >= MIGRATE_TYPES) return;
    // A free block spanning several pageblocks was on one list: they all share its type.
    const h = m.headOf(pfn);
    if (m.stateAt(h) === PageState.BUDDY && m.orderAt(h) > order) {
      pfn = h;
      order = m.orderAt(h);
    }
    const pb = pfn >>> m.pageblockOrder;
    const n = order >= m.pageblockOrder ? 1 << (order - m.pageblockOrder) : 1;
    if (!this.#pbKnown[pb] || m.pageblockMt[pb] === mt) {
      for (let k = 0; k < n; k++) this.knowledge.seen(pb + k, mt);
    }
    if (m.pageblockMt[pb] === mt) {
      this.#pbKnown[pb] = 1;
      return;
    }
    if (this.#pbKnown[pb]) {
      this.#desync(
        "migratetype-mismatch",
        b,
        i,
        `pfn 0x${pfn.toString(16)}: event type ${mt}, pageblock ${m.pageblockMt[pb]}`,
      );
      this.#realRetype(pfn, order, mt);
    } else this.forced.retypePageblocks(pfn, order, mt);
    for (let k = 0; k < n; k++) this.#pbKnown[pb + k] = 1;
  }

  /**
   * Whether `pfn` lies in a block allocated before the trace per before.kpageflags that no
   * traced take claimed: it may be a pcp page (those carry no KPF_BUDDY).
   */
  #hiddenPcp(head: number, pfn: number): boolean {
    return !this.#pendingTakes.has(pfn) && this.machine.allocFlagsAt(head).preexisting;
  }

  /** True when [base, base + 2^order) is entirely never-seen memory. */
  #allUnknown = (base: number, order: number): boolean => {
    const m = this.machine;
    const end = base + (1 << order);
    for (let q = base; q < end;) {
      const h = m.headOf(q);
      if (m.stateAt(h) !== PageState.UNKNOWN) return false;
      q = h + (1 << m.orderAt(h));
    }
    return true;
  };

  /**
   * Makes [pfn, pfn + 2^order) a detached block that was free in buddy on list `mt` (inside a
   * block of `fromOrder` when known), explaining never-seen memory by a snapshot block when
   * possible. `buddyMt` is the list the split-off remainder returns to.
   */
  #takeFromBuddy(
    b: CallBatch,
    i: number,
    zi: number,
    pfn: number,
    order: number,
    mt: number,
    buddyMt: number,
  ): void {
    const m = this.machine;
    const head = m.headOf(pfn);
    const st = m.stateAt(head);
    if (st === PageState.BUDDY && m.orderAt(head) >= order) {
      this.forced.carve(pfn, order, buddyMt);
      return;
    }
    if (st === PageState.UNKNOWN && m.orderAt(head) >= order) {
      const k = this.unlocated.take(zi, pfn, order, mt, this.#allUnknown);
      if (k >= 0) {
        this.tally.seededBlocks++;
        this.forced.locateFree(zi, pfn & ~((1 << k) - 1), k, mt);
        this.forced.carve(pfn, order, buddyMt);
        return;
      }
      this.#desync("take-untracked", b, i, `pfn 0x${pfn.toString(16)} order ${order} type ${mt}`);
      this.forced.carve(pfn, order);
      return;
    }
    const stale = st === PageState.ALLOC && m.allocFlagsAt(head).preexisting;
    const mask = this.forced.carve(pfn, order, buddyMt);
    const others = mask & ~((1 << PageState.BUDDY) | (1 << PageState.UNKNOWN));
    if (stale) {
      this.#desync("kpageflags-stale", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
    } else if (others & (1 << PageState.HOLE)) {
      this.#desync("pfn-in-hole", b, i, `pfn 0x${pfn.toString(16)}`);
    } else if (others) {
      this.#desync(
        "take-not-free",
        b,
        i,
        `pfn 0x${pfn.toString(16)} order ${order} state mask ${mask}`,
      );
    } else if (mask & (1 << PageState.UNKNOWN)) {
      this.#desync(
        "take-untracked",
        b,
        i,
        `pfn 0x${pfn.toString(16)} order ${order} partly never seen`,
      );
    }
  }

  /** Rule 1: mm_page_alloc_zone_locked. */
  #take(b: CallBatch, i: number): void {
    const pfn = b.pfn[i]!;
    const order = b.order[i]!;
    const zi = this.#zoneFor(b, i, pfn, order);
    if (zi < 0) return;
    const m = this.machine;
    let mt = b.mt[i]!;
    if (mt < 0 || mt >= MIGRATE_TYPES) mt = m.pageblockMtOf(pfn);
    const cpu = b.cpu[i]!;
    // ≥v6.10 partial claim: zone_locked then extfrag for the same pfn on the same CPU; the
    // pageblock was retyped (free pages moved) before the take.
    if (this.fallbackTakes && this.#nextSameCpuIsFallback(b, i, pfn)) {
      this.#realRetype(pfn, m.pageblockOrder - 1, mt, this.#nextFallbackMt(b, i));
      this.#pbKnown[pfn >>> m.pageblockOrder] = 1;
      this.#claimHandled = pfn;
    } else {
      this.#learnType(b, i, pfn, order, mt);
    }
    this.#takeFromBuddy(b, i, zi, pfn, order, mt, mt);
    const refill = EventField.zoneLocked.percpuRefill(b, i) >= 0
      ? (b.flags[i]! & EventFlag.PERCPU_REFILL) !== 0
      : order === 0;
    this.#placeTaken(zi, cpu, pfn, order, mt, refill);
    this.forced.noteFree(zi);
  }

  #placeTaken(
    zi: number,
    cpu: number,
    pfn: number,
    order: number,
    mt: number,
    refill: boolean,
  ): void {
    if (refill) {
      this.forced.pcpAdd(
        zi,
        cpu,
        pfn,
        order,
        mt < MIGRATE_PCPTYPES ? mt : MigrateType.MOVABLE,
        true,
      );
    } else {
      this.forced.setAllocated(pfn, order, mt);
      this.#pendingTakes.add(pfn);
    }
  }

  /** fallback_migratetype of the next same-CPU call (the extfrag of a partial claim), or -1. */
  #nextFallbackMt(b: CallBatch, i: number): number {
    const j = nextSameCpuRow(b, i);
    return j >= 0 && b.call[j] === Call.FALLBACK
      ? EventField.extfrag.fallbackMigratetype(b, j)
      : -1;
  }

  #nextSameCpuIsFallback(b: CallBatch, i: number, pfn: number): boolean {
    const j = nextSameCpuRow(b, i);
    return j >= 0 && b.call[j] === Call.FALLBACK && b.pfn[j] === pfn;
  }

  /** Rule 2: mm_page_alloc_extfrag. */
  #fallback(b: CallBatch, i: number): void {
    const pfn = b.pfn[i]!;
    const allocOrder = b.order[i]!;
    const allocMt = b.mt[i]!;
    const fallbackOrder = EventField.extfrag.fallbackOrder(b, i);
    const fallbackMt = EventField.extfrag.fallbackMigratetype(b, i);
    const f = this.tally.fallbacks;
    f.total++;
    const fragmenting = (b.flags[i]! & EventFlag.FRAGMENTING) !== 0;
    if (fragmenting) f.fragmenting++;
    const claim = (b.flags[i]! & EventFlag.CHANGE_OWNERSHIP) !== 0;
    if (claim) f.claims++;
    else f.steals++;
    if (allocMt >= 0 && allocMt < MIGRATE_TYPES && fallbackMt >= 0 && fallbackMt < MIGRATE_TYPES) {
      f.byType[allocMt * MIGRATE_TYPES + fallbackMt]!++;
    }
    if (this.#claimHandled === pfn) {
      this.#claimHandled = -1;
      return;
    }
    const zi = this.#zoneFor(b, i, pfn, Math.max(allocOrder, fallbackOrder));
    if (zi < 0) return;
    this.#kswapd.fallback(zi, fallbackOrder, allocMt, fallbackMt);
    const m = this.machine;
    this.#learnType(b, i, pfn, fallbackOrder, fallbackMt);
    if (!this.fallbackTakes) {
      // ≤v6.9: the found block (or the whole pageblock) moves to the requested type's lists;
      // the following zone_locked takes the page.
      this.#takeFromBuddy(b, i, zi, pfn, fallbackOrder, fallbackMt, fallbackMt);
      if (claim) {
        this.forced.placeFree(zi, pfn, fallbackOrder, fallbackMt);
        this.#realRetype(pfn, fallbackOrder, allocMt, fallbackMt);
      } else {
        this.forced.placeFree(zi, pfn, fallbackOrder, allocMt);
      }
      this.forced.noteFree(zi);
      return;
    }
    const cpu = b.cpu[i]!;
    if (fallbackOrder >= m.pageblockOrder) {
      // Whole-block claim: retype the range, split it under the new type.
      this.#takeFromBuddy(b, i, zi, pfn, fallbackOrder, fallbackMt, fallbackMt);
      this.forced.placeFree(zi, pfn, fallbackOrder, fallbackMt);
      this.#realRetype(pfn, fallbackOrder, allocMt, fallbackMt);
      const n = 1 << Math.max(0, fallbackOrder - m.pageblockOrder);
      for (let k = 0; k < n; k++) this.#pbKnown[(pfn >>> m.pageblockOrder) + k] = 1;
      this.forced.carve(pfn, allocOrder, allocMt);
    } else {
      // Steal: the remainder stays on the fallback type's lists, pageblock type unchanged.
      this.#takeFromBuddy(b, i, zi, pfn, fallbackOrder, fallbackMt, fallbackMt);
      if (allocOrder < fallbackOrder) {
        this.forced.placeFree(zi, pfn, fallbackOrder, fallbackMt);
        this.forced.carve(pfn, allocOrder, fallbackMt);
      }
    }
    const refill = m.pcpAllowedOrder(allocOrder) && allocMt < MIGRATE_PCPTYPES;
    this.#placeTaken(zi, cpu, pfn, allocOrder, allocMt, refill);
    this.forced.noteFree(zi);
  }

  /** Rule 3: mm_page_alloc. */
  #alloc(b: CallBatch, i: number): void {
    const order = b.order[i]!;
    if (b.flags[i]! & EventFlag.FAILED) {
      this.tally.traceFailure(order);
      return;
    }
    const pfn = b.pfn[i]!;
    const zi = this.#zoneFor(b, i, pfn, order);
    if (zi < 0) return;
    this.tally.allocatedPages[zi]! += 2 ** order;
    const m = this.machine;
    const head = m.headOf(pfn);
    const st = m.stateAt(head);
    const ho = m.orderAt(head);
    let mt = b.mt[i]!;
    if (mt < 0 || mt >= MIGRATE_TYPES) mt = 0;
    const flags = (b.gfp[i]! & GFP.COMP) && order > 0 ? AllocPageFlag.COMPOUND : 0;
    // A block of order > 0 that neither a pcp list nor a traced buddy take handed out was
    // captured by compaction (mm/page_alloc.c compaction_capture, prep_new_page in
    // __alloc_pages_direct_compact): mm_page_alloc fires, rmqueue and PGALLOC do not.
    let rmqueued = true;
    if (st === PageState.PCP && head === pfn && ho === order) {
      this.forced.carve(pfn, order);
    } else if (st === PageState.ALLOC && ho >= order && this.#hiddenPcp(head, pfn)) {
      // Seeded from kpageflags: pcp pages read like allocated ones; the pagesets' counts say how
      // many there are.
      if (this.unlocated.takePcp(zi, b.cpu[i]!, 1 << order)) {
        this.tally.seededPcpPages += 1 << order;
      } else {
        this.#desync(
          "alloc-allocated",
          b,
          i,
          `pfn 0x${pfn.toString(16)} order ${order}: allocated in before.kpageflags`,
        );
      }
      this.forced.carve(pfn, order);
    } else if (st === PageState.ALLOC && head === pfn && ho === order) {
      if (!this.#pendingTakes.delete(pfn)) {
        this.#desync("alloc-allocated", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      }
    } else if (st === PageState.UNKNOWN && ho >= order) {
      if (this.unlocated.takePcp(zi, b.cpu[i]!, 1 << order)) {
        this.tally.seededPcpPages += 1 << order;
      } else {
        rmqueued = false;
        this.#desync("alloc-untracked", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      }
      this.forced.carve(pfn, order);
    } else if (st === PageState.BUDDY && ho >= order) {
      rmqueued = false;
      this.#desync("alloc-from-buddy", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      this.forced.carve(pfn, order);
    } else {
      // A block the model holds partly free in buddy (pieces it has not merged yet).
      if (st === PageState.BUDDY || st === PageState.UNKNOWN) rmqueued = false;
      const mask = this.forced.carve(pfn, order);
      this.#desync(
        mask & (1 << PageState.HOLE) ? "pfn-in-hole" : "alloc-shape-mismatch",
        b,
        i,
        `pfn 0x${pfn.toString(16)} order ${order}, model had state mask ${mask}`,
      );
    }
    if (!rmqueued && order > 0) {
      this.tally.captured.allocations++;
      this.tally.captured.pages += 2 ** order;
    }
    this.forced.setAllocated(pfn, order, mt, flags);
    this.forced.noteFree(zi);
  }

  /** Rule 4 (and 6): mm_page_free. */
  #free(b: CallBatch, i: number): void {
    const pfn = b.pfn[i]!;
    const order = b.order[i]!;
    const zi = this.#zoneFor(b, i, pfn, order);
    if (zi < 0) return;
    this.tally.freedPages[zi]! += 2 ** order;
    const m = this.machine;
    const head = m.headOf(pfn);
    const st = m.stateAt(head);
    const ho = m.orderAt(head);
    this.#pendingTakes.delete(pfn);
    if (st === PageState.ALLOC && ho >= order) {
      // Exact free, or a piece of a non-compound block freed page by page (split_page).
      this.forced.carve(pfn, order);
    } else if (st === PageState.UNKNOWN && ho >= order) {
      if (order === m.maxOrder) this.#grow(zi, pfn, order);
      else this.#desync("free-untracked", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      this.forced.carve(pfn, order);
    } else if ((st === PageState.BUDDY || st === PageState.PCP) && ho >= order) {
      this.#desync("double-free", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      this.forced.carve(pfn, order);
    } else {
      const mask = this.forced.carve(pfn, order);
      this.#desync(
        mask & (1 << PageState.HOLE) ? "pfn-in-hole" : "free-order-mismatch",
        b,
        i,
        `pfn 0x${pfn.toString(16)} order ${order}, model had state mask ${mask}`,
      );
    }
    this.forced.freeDetached(pfn, order, b.cpu[i]!, false);
  }

  /**
   * Rule 6: zone growth. mm/mm_init.c deferred_free_pages sets every pageblock of the range
   * MIGRATE_MOVABLE before __free_pages_core; the pagetypeinfo block count skips struct pages
   * not yet initialised (page_zone differs), so the grown pageblocks are new Movable ones.
   */
  #grow(zi: number, pfn: number, order: number): void {
    const m = this.machine;
    this.tally.zoneGrowthPages += 1 << order;
    const pbOrder = m.pageblockOrder;
    const n = order >= pbOrder ? 1 << (order - pbOrder) : 1;
    const first = pfn >>> pbOrder;
    for (let k = 0; k < n; k++) {
      this.#pbKnown[first + k] = 1;
      this.knowledge.retyped(first + k, -1, MigrateType.MOVABLE); // absent at the start
    }
    this.tally.retypes[zi * MIGRATE_TYPES + MigrateType.MOVABLE]! += n;
    this.forced.retypePageblocks(pfn, order, MigrateType.MOVABLE);
  }

  /** Rule 5: mm_page_pcpu_drain. */
  #drain(b: CallBatch, i: number): void {
    const pfn = b.pfn[i]!;
    const order = b.order[i]!;
    const zi = this.#zoneFor(b, i, pfn, order);
    if (zi < 0) return;
    const m = this.machine;
    const head = m.headOf(pfn);
    const st = m.stateAt(head);
    const ho = m.orderAt(head);
    if (st === PageState.PCP && head === pfn && ho === order) {
      this.forced.carve(pfn, order);
    } else if (
      (st === PageState.UNKNOWN || (st === PageState.ALLOC && this.#hiddenPcp(head, pfn))) &&
      ho >= order
    ) {
      if (this.unlocated.takePcp(zi, b.cpu[i]!, 1 << order)) {
        this.tally.seededPcpPages += 1 << order;
      } else this.#desync("drain-untracked", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      this.forced.carve(pfn, order);
    } else {
      const mask = this.forced.carve(pfn, order);
      this.#desync(
        "drain-not-pcp",
        b,
        i,
        `pfn 0x${pfn.toString(16)} order ${order}, model had state mask ${mask}`,
      );
    }
    let mt = b.mt[i]!;
    if (mt >= 0 && mt < MIGRATE_TYPES) this.#learnType(b, i, pfn, order, mt);
    else mt = m.pageblockMtOf(pfn);
    this.forced.freeToBuddy(zi, pfn, order, mt);
    this.forced.noteFree(zi);
  }

  /**
   * Retypes pageblocks the trace shows really changing type (claims, or a block already known
   * seen with another type) and counts them for `pageblocksChange`; first sightings that only
   * correct the seeded guess go through `retypePageblocks` directly and are not counted.
   */
  #realRetype(pfn: number, order: number, mt: number, fromMt = -1): void {
    const m = this.machine;
    const pbOrder = m.pageblockOrder;
    const n = order >= pbOrder ? 1 << (order - pbOrder) : 1;
    const first = (order >= pbOrder ? pfn & ~((1 << order) - 1) : pfn) >>> pbOrder;
    for (let k = 0; k < n; k++) {
      const pb = first + k;
      const zi = m.pageblockZone[pb]!;
      if (zi >= m.zones.length) continue;
      // A block not yet confirmed: the event's fallback list says what it was.
      const old = !this.#pbKnown[pb] && fromMt >= 0 ? fromMt : m.pageblockMt[pb]!;
      this.knowledge.retyped(pb, this.#pbKnown[pb] ? old : fromMt, mt);
      if (old === mt) continue;
      this.tally.retypes[zi * MIGRATE_TYPES + old]!--;
      this.tally.retypes[zi * MIGRATE_TYPES + mt]!++;
    }
    this.forced.retypePageblocks(pfn, order, mt);
  }
}
