/**
 * The policy replay's rules: the emulator picks pfns like the kernel would for the same gfp,
 * order and alloc/free pairing (trace pfn → emulated block map, partial frees of split blocks
 * handled), so machine parameters can be changed. Kernel-internal calls (buddy_take,
 * pcp_drain, fallback, compaction isolation) are not replayed; the emulator produces its own
 * fallbacks, breaches and failures. Frees of pages the emulator never handed out release a
 * pre-existing block of a snapshot-seeded machine.
 *
 * @module
 */

import { assertNever, Call, type CallKind } from "../../calls/call_kind.ts";
import type { CallBatch } from "../../calls/call_batch.ts";
import { asOrder, asPfn, type Pfn } from "../../kernel/units.ts";
import { EventFlag } from "../../trace/event_batch.ts";
import { EventField } from "../../trace/event_schema.ts";
import type { StringTable } from "../../trace/string_table.ts";
import type { ForcedPageState, PageAllocator } from "../../mm/page_allocator.ts";
import type { SlabInfoRow } from "../../snapshot/slabinfo.ts";
import { HeldPageKind, SlabPageClassifier, SlabPageVerdict } from "../slab_page_classifier.ts";
import type { DesyncKind, DesyncLog } from "./desync_catalogue.ts";
import type { PageReplayTally } from "./page_replay_tally.ts";
import type { PreexistingPool } from "./preexisting_pool.ts";
import { PfnMap } from "../../collections/pfn_map.ts";

/** Live-map values pack the emulated pfn and the order: pfn · 2^16 + order. */
const ALLOC_KEY_ORDER_BITS = 16;
const ALLOC_KEY_ORDER_MASK = (1 << ALLOC_KEY_ORDER_BITS) - 1;
/** Live-map lookup miss (values are ≥ 0). */
const NOT_LIVE = -1;

/** The emulated pfn of a live-map value. */
function emuPfn(v: number): Pfn {
  return asPfn(Math.floor(v / (1 << ALLOC_KEY_ORDER_BITS)));
}

/** Slab pages left to a slab model on the emulated allocator. */
export interface SlabPageDelegation {
  /** CPUs of the traced machine. */
  nrCpus: number;
  /** The traced machine's slab orders. */
  slabinfo?: readonly SlabInfoRow[];
  /** Names of the trace's caches (kmem_cache_alloc name=). */
  strings?: StringTable;
}

/** The policy rules over one machine. */
export class PolicyRules {
  /** Trace pfn → emulated pfn · 2^16 + order (set/delete per page call: no Map churn). */
  readonly #live = new PfnMap();
  /** With a slab model: tells slab-page calls apart (null otherwise). */
  readonly classifier: SlabPageClassifier | null;
  readonly #strings: StringTable | undefined;

  constructor(
    readonly machine: PageAllocator,
    readonly forced: ForcedPageState,
    readonly preexisting: PreexistingPool,
    readonly desyncs: DesyncLog,
    readonly tally: PageReplayTally,
    delegate: SlabPageDelegation | null,
  ) {
    this.#strings = delegate?.strings;
    this.classifier = delegate
      ? new SlabPageClassifier({
        nrCpus: delegate.nrCpus,
        slabinfo: delegate.slabinfo,
        onRelease: (h, kind) => {
          if (kind === HeldPageKind.PAGE) {
            this.#allocAt(h.tracePfn, h.order, h.gfp, h.cpu, h.source);
          } else {
            tally.delegatedCalls++;
            const tz = machine.zoneOf(h.tracePfn);
            if (tz >= 0) tally.allocatedPages[tz]! += 2 ** h.order;
          }
        },
      })
      : null;
  }

  /** Live trace allocations mapped to emulated blocks. */
  get liveAllocations(): number {
    return this.#live.size;
  }

  /** Applies call `i` of `b` (slab-page calls go to the slab model when delegating). */
  apply(b: CallBatch, i: number, call: CallKind): void {
    const cl = this.classifier;
    if (cl === null) return this.#dispatch(b, i, call);
    const v = cl.classify(b, i, this.#strings);
    if (v === SlabPageVerdict.REPLAY) this.#dispatch(b, i, call);
    else if (v === SlabPageVerdict.DELEGATE) {
      this.tally.delegatedCalls++;
      const tz = this.machine.zoneOf(b.pfn[i]!);
      if (tz >= 0) this.tally.freedPages[tz]! += 2 ** b.order[i]!;
    }
  }

  /** Held candidates at the end of the stream were never confirmed: ordinary pages. */
  finish(): void {
    this.classifier?.flush();
  }

  #dispatch(b: CallBatch, i: number, call: CallKind): void {
    switch (call) {
      case Call.PAGE_ALLOC:
        return this.#alloc(b, i);
      case Call.PAGE_FREE:
        return this.#free(b, i);
      case Call.LOST:
        return this.tally.lostMarker(EventField.lost.lostEvents(b, i));
      // The emulator makes its own kernel-internal moves (no compaction model): the trace's
      // buddy_take, pcp_drain, fallback and isolations are not replayed; watermarks stay the
      // machine's; slab, vmalloc, reclaim and RSS calls are not page-allocator state.
      case Call.BUDDY_TAKE:
      case Call.PCP_DRAIN:
      case Call.FALLBACK:
      case Call.COMPACTION_ISOLATE_FREE:
      case Call.COMPACTION_INFO:
      case Call.ZONE_WMARKS:
      case Call.ZONE_LOWMEM_RESERVE:
      case Call.SLAB_ALLOC:
      case Call.SLAB_FREE:
      case Call.VMAP_ALLOC:
      case Call.VMAP_FREE:
      case Call.VMAP_PURGE:
      case Call.TOTALRESERVE:
      case Call.KSWAPD_WAKE:
      case Call.KSWAPD_SLEEP:
      case Call.WAKEUP_KSWAPD:
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
    this.desyncs.record(kind, b.source[i]!, detail);
  }

  #alloc(b: CallBatch, i: number): void {
    if (b.flags[i]! & EventFlag.FAILED) return this.tally.traceFailure(b.order[i]!);
    this.#allocAt(b.pfn[i]!, b.order[i]!, b.gfp[i]!, b.cpu[i]!, b.source[i]!);
  }

  /** A successful traced page alloc (also a held one the classifier released late). */
  #allocAt(tracePfn: number, order: number, gfp: number, cpu: number, line: number): void {
    const m = this.machine;
    if (order < 0 || order > m.maxOrder) {
      this.desyncs.record("order-above-max", line, `order ${order}`);
      return;
    }
    const tz = m.zoneOf(tracePfn);
    if (tz >= 0) this.tally.allocatedPages[tz]! += 2 ** order;
    const got = m.allocPages(gfp, asOrder(order), cpu);
    if (got === null) return;
    const old = this.#live.get(tracePfn);
    if (old !== NOT_LIVE) {
      // The trace allocated this pfn twice without a free: release our old block.
      this.desyncs.record("alloc-allocated", line, `pfn 0x${tracePfn.toString(16)}`);
      m.__freePages(emuPfn(old), asOrder(old & ALLOC_KEY_ORDER_MASK), cpu);
    }
    this.#live.set(tracePfn, got * (1 << ALLOC_KEY_ORDER_BITS) + order);
  }

  #free(b: CallBatch, i: number): void {
    const m = this.machine;
    const pfn = b.pfn[i]!;
    const order = b.order[i]!;
    const cpu = b.cpu[i]!;
    if (order < 0 || order > m.maxOrder) {
      this.#desync("order-above-max", b, i, `order ${order}`);
      return;
    }
    const tz = m.zoneOf(pfn);
    if (tz >= 0) this.tally.freedPages[tz]! += 2 ** order;
    const v = this.#live.get(pfn);
    if (v !== NOT_LIVE && (v & ALLOC_KEY_ORDER_MASK) === order) {
      this.#live.delete(pfn);
      m.__freePages(emuPfn(v), asOrder(order), cpu);
      return;
    }
    // A piece of a larger trace allocation (split_page, free_pages_exact)?
    for (let k = order + 1; k <= m.maxOrder; k++) {
      const base = pfn - (pfn % (1 << k));
      const w = this.#live.get(base);
      if (w === NOT_LIVE) continue;
      const wOrder = w & ALLOC_KEY_ORDER_MASK;
      if (wOrder < k || base + (1 << wOrder) <= pfn) continue;
      this.#splitLive(base, w, pfn, order);
      const piece = this.#live.take(pfn);
      m.__freePages(emuPfn(piece), asOrder(order), cpu);
      return;
    }
    // Never handed out by the emulator: release a pre-existing block instead.
    let zi = m.zoneOf(pfn);
    let got = zi >= 0 ? this.preexisting.take(zi, order) : -1;
    for (let z = m.zones.length - 1; got < 0 && z >= 0; z--) {
      zi = z;
      got = this.preexisting.take(z, order);
    }
    if (got < 0) {
      this.#desync("free-unmapped", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      return;
    }
    m.__freePages(asPfn(got), asOrder(order), cpu);
  }

  /** Splits live trace allocation (base, order) so that (pfn, order) is its own entry. */
  #splitLive(base: number, v: number, pfn: number, order: number): void {
    let ebase = Math.floor(v / (1 << ALLOC_KEY_ORDER_BITS));
    let tbase = base;
    let o = v & ALLOC_KEY_ORDER_MASK;
    this.#live.delete(base);
    const emuPiece = ebase + (pfn - base);
    this.forced.carve(emuPiece, order);
    this.forced.setAllocated(emuPiece, order, 0);
    while (o > order) {
      o--;
      const half = 1 << o;
      if (pfn >= tbase + half) {
        this.#live.set(tbase, ebase * (1 << ALLOC_KEY_ORDER_BITS) + o);
        tbase += half;
        ebase += half;
      } else {
        this.#live.set(tbase + half, (ebase + half) * (1 << ALLOC_KEY_ORDER_BITS) + o);
      }
    }
    this.#live.set(pfn, emuPiece * (1 << ALLOC_KEY_ORDER_BITS) + order);
  }
}
