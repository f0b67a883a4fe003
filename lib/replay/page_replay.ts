/**
 * Replays page-allocator calls ({@linkcode CallBatch}es) against the emulated
 * {@linkcode PageAllocator}, in one of two modes:
 *
 * - **faithful** (default): the recorded pfns are the truth. Every block is tracked as buddy /
 *   pcp / allocated / unknown following the rules of reference §1.3:
 *   1. `buddy_take` (mm_page_alloc_zone_locked) removes the block from buddy (splitting like
 *      `expand`) onto the line CPU's pcp list when PERCPU_REFILL, else allocated;
 *   2. `fallback` (extfrag) on ≥v6.10 kernels takes the page itself unless the previous
 *      same-CPU call was a buddy_take of that pfn (partial claim); whole-block claims retype;
 *   3. `page_alloc` moves the block from a pcp list (any CPU) to allocated;
 *   4. `page_free` puts pcp orders on the freeing CPU's pcp list, others into buddy with merging;
 *   5. `pcp_drain` moves the block from whichever pcp list holds it into buddy with merging;
 *   6. MAX_PAGE_ORDER frees of never-seen memory are zone growth (deferred init, hotplug).
 *   A transition the model did not expect is counted as a desync of a named kind
 *   ({@linkcode DESYNC_KINDS}) with the first examples' source lines, then resynchronised;
 *   `strict` throws {@linkcode MmInvariantError} instead. A before-snapshot seeds unlocated free
 *   blocks and pcp pages, which explain first sightings without a desync.
 * - **policy**: the emulator picks pfns like the kernel would for the same gfp, order and
 *   alloc/free pairing (trace pfn → emulated block map, partial frees of split blocks handled),
 *   so machine parameters can be changed. Kernel-internal calls (buddy_take, pcp_drain,
 *   fallback) are not replayed; the emulator produces its own fallbacks, breaches and failures.
 *
 * @module
 */

import { Call, CALL_NAMES } from "../calls/call_kind.ts";
import type { CallBatch } from "../calls/call_batch.ts";
import {
  MIGRATE_PCPTYPES,
  MIGRATE_TYPE_NAMES,
  MIGRATE_TYPES,
  MigrateType,
} from "../kernel/constants.ts";
import { GFP } from "../kernel/gfp_flags.ts";
import { EventFlag } from "../trace/event_batch.ts";
import { Ev } from "../trace/event_kind.ts";
import { EventField } from "../trace/event_schema.ts";
import { MmInvariantError } from "../mm/mm_invariant_error.ts";
import type { StringTable } from "../trace/string_table.ts";
import type { MachineSpec } from "../mm/machine_spec.ts";
import {
  AllocPageFlag,
  type FallbackHook,
  type ForcedPageState,
  PageAllocator,
  PageState,
} from "../mm/page_allocator.ts";
import {
  seedLayout,
  type SeedReport,
  type SeedSnapshots,
  seedUnlocated,
} from "./page/snapshot_seed.ts";
import { UnlocatedPool } from "./page/unlocated_pool.ts";
import { PreexistingPool } from "./page/preexisting_pool.ts";
import { HeldPageKind, SlabPageClassifier, SlabPageVerdict } from "./slab_page_classifier.ts";
import type { SlabInfoRow } from "../snapshot/slabinfo.ts";
import type {
  DesyncExample,
  PageReplayResult,
  ReplayMode,
  ZoneReplayResult,
} from "./page_replay_result.ts";

/**
 * Desync kinds and what each means.
 */
export const DESYNC_KINDS = {
  "pfn-outside-zone": "a pfn outside every emulated zone (call skipped)",
  "order-above-max": "an order above MAX_PAGE_ORDER (call skipped)",
  "pfn-in-hole": "a pfn in a hole or reserved range of a zone",
  "take-untracked": "buddy_take/fallback of a never-seen page with no snapshot block to explain it",
  "take-not-free":
    "buddy_take/fallback of a page the model holds as allocated or on a pcp list (e.g. a free that bypassed the pcp list when its trylock failed)",
  "migratetype-mismatch": "an event's migratetype contradicts a pageblock type already learned",
  "alloc-untracked":
    "page_alloc of a never-seen page (bulk allocator, compaction capture, missed events)",
  "alloc-from-buddy": "page_alloc of a page the model holds as free in buddy",
  "alloc-allocated": "page_alloc of a page already allocated (no free in between)",
  "alloc-shape-mismatch": "page_alloc whose order does not match the pcp block holding the pfn",
  "free-untracked": "page_free of a never-seen page (usually allocated before tracing started)",
  // Also the bulk allocator (vmalloc, page_pool) taking pcp pages without mm_page_alloc.
  "free-order-mismatch": "page_free larger than the allocated block at that pfn",
  "double-free":
    "page_free of a page the model holds as free (buddy or pcp): typically a pcp page handed out by the bulk allocator, which emits no mm_page_alloc",
  "drain-untracked": "pcp_drain of a never-seen page with no snapshot pcp pages left",
  "drain-not-pcp": "pcp_drain of a page the model holds as allocated or in buddy",
  "free-unmapped":
    "policy: page_free of a page the emulator never handed out and no pre-existing block to stand in",
  "isolate-unlocated":
    "compaction free-scanner isolation whose free blocks the model had not located: the rest of nr_taken was taken from the before-snapshot's unlocated blocks as a guess (binary decomposition, placed in never-seen memory of the range)",
  "isolate-mismatch":
    "compaction free-scanner isolation the model cannot match: located free blocks in the range exceed nr_taken, or no unlocated block was left for the rest",
  "fast-isolate-guess":
    "fast compaction isolation (mm_compaction_fast_isolate_freepages): the event has no pfn, so the block was guessed (highest located Movable block ≥ min_pfn, else an unlocated one)",
} as const;
/** A desync kind name. */
export type DesyncKind = keyof typeof DESYNC_KINDS;

/** A sample of replay state, taken by {@linkcode PageReplayOptions.onSample}. */
export interface ReplaySample {
  /** Timestamp of the last call applied (ns). */
  tsNs: number;
  /** Calls applied so far. */
  calls: number;
  /**
   * The live allocator (read only!): `zoneViews` (freePages, nrFree[order * MIGRATE_TYPES + mt],
   * watermarks, pcpCount), `pageblockMt`, `pageblockZone`.
   */
  machine: PageAllocator;
}

/** Options of {@linkcode PageReplay}. */
export interface PageReplayOptions {
  mode?: ReplayMode;
  /** The machine to emulate. */
  spec: MachineSpec;
  /** Before-snapshots to start from. */
  snapshots?: SeedSnapshots;
  /** Throw MmInvariantError at the first desync (faithful). */
  strict?: boolean;
  /**
   * Kernel version of the trace as [major, minor] (default [6, 18]): decides whether extfrag
   * events take pages themselves (≥6.10) or only move blocks between lists.
   */
  kernelVersion?: [number, number];
  /** Examples kept per desync kind (default 3). */
  maxExamplesPerKind?: number;
  /** Called every `sampleEveryCalls` calls and/or every `sampleEveryNs` of trace time. */
  onSample?: (s: ReplaySample) => void;
  sampleEveryCalls?: number;
  sampleEveryNs?: number;
  /**
   * Policy: leave the trace's slab-page (and large-kmalloc) calls to a slab model that gets its
   * pages from {@linkcode PageReplay.machine} (see `AllocatorPageProvider`): they are recognised
   * by a {@linkcode SlabPageClassifier} and skipped, counted as `slabPageCallsDelegated`.
   * `slabinfo` gives the traced machine's slab orders.
   */
  delegateSlabPages?: { nrCpus: number; slabinfo?: readonly SlabInfoRow[] };
  /** Policy: called on every fallback the emulator makes (see {@linkcode FallbackHook}). */
  onFallback?: FallbackHook;
}

/** Live-map values pack the emulated pfn and the order: pfn · 2^16 + order. */
const ALLOC_KEY_ORDER_BITS = 16;
const ALLOC_KEY_ORDER_MASK = (1 << ALLOC_KEY_ORDER_BITS) - 1;

/**
 * A page-allocator replay: feed batches with {@linkcode apply}, read {@linkcode result}.
 *
 * @example
 * ```ts
 * import { PageReplay } from "./page_replay.ts";
 * import { presetMachineSpec } from "../mm/machine_spec.ts";
 * import { CallBatch } from "../calls/call_batch.ts";
 * import { Call } from "../calls/call_kind.ts";
 * import { Ev } from "../trace/event_kind.ts";
 * const r = new PageReplay({ spec: presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }) });
 * const b = new CallBatch(4);
 * const i = b.push(Ev.mm_page_free, 1, 0);
 * b.call[i] = Call.PAGE_FREE;
 * b.pfn[i] = 0x1000;
 * b.order[i] = 0;
 * r.apply(b);
 * r.result().desyncs; // { "free-untracked": 1 }
 * ```
 */
export class PageReplay {
  readonly mode: ReplayMode;
  readonly machine: PageAllocator;
  readonly seed: SeedReport | null = null;
  /** Policy: pre-existing allocations of the seeded machine (slab seeding takes from them). */
  readonly preexisting: PreexistingPool;
  readonly #forced: ForcedPageState;
  readonly #unlocated: UnlocatedPool;
  readonly #strict: boolean;
  readonly #fallbackTakes: boolean;
  readonly #maxExamples: number;
  readonly #calls = new Float64Array(CALL_NAMES.length);
  readonly #desyncs = new Map<string, number>();
  readonly #examples: DesyncExample[] = [];
  readonly #lost = { markers: 0, events: 0 };
  readonly #fallbacks = {
    total: 0,
    fragmenting: 0,
    claims: 0,
    steals: 0,
    byType: new Float64Array(MIGRATE_TYPES * MIGRATE_TYPES),
  };
  readonly #traceFailures: Float64Array;
  /** Pageblocks whose migratetype the trace has confirmed (faithful). */
  readonly #pbKnown: Uint8Array;
  /** Blocks taken from buddy not for a pcp refill, awaiting their mm_page_alloc (faithful). */
  readonly #pendingTakes = new Set<number>();
  /** pfn of a buddy_take that a following extfrag explains (partial claim), or -1. */
  #claimHandled = -1;
  #seededBlocks = 0;
  #seededPcpPages = 0;
  #zoneGrowthPages = 0;
  /** Compaction free-scanner isolations replayed (faithful), see {@linkcode CompactionIsolationResult}. */
  readonly #iso = {
    events: 0,
    pagesTaken: 0,
    locatedPages: 0,
    unlocatedPages: 0,
    placedPages: 0,
    guessedEvents: 0,
    missingPages: 0,
    excessPages: 0,
    fastEvents: 0,
    migratePagesTaken: 0,
  };
  /** Blocks per order still to take for the isolation being replayed (reused). */
  readonly #isoNeed: Int32Array;
  /** Traced pages allocated / freed per zone index (Σ 2^order). */
  readonly #allocatedPages: Float64Array;
  readonly #freedPages: Float64Array;
  /** Real pageblock retypes per zone index · MIGRATE_TYPES + mt (net count). */
  readonly #retypes: Float64Array;
  /** Policy: trace pfn → emulated pfn · 2^16 + order. */
  readonly #live = new Map<number, number>();
  readonly #onSample?: (s: ReplaySample) => void;
  readonly #everyCalls: number;
  readonly #everyNs: number;
  #nextSampleCalls: number;
  #nextSampleNs = -1;
  #total = 0;
  #lastTs = 0;
  /** Policy with a slab model: tells slab-page calls apart (null otherwise). */
  readonly classifier: SlabPageClassifier | null = null;
  #delegatedCalls = 0;

  constructor(opts: PageReplayOptions) {
    this.mode = opts.mode ?? "faithful";
    this.#strict = opts.strict ?? false;
    const [major, minor] = opts.kernelVersion ?? [6, 18];
    this.#fallbackTakes = major > 6 || (major === 6 && minor >= 10);
    this.#maxExamples = opts.maxExamplesPerKind ?? 3;
    const faithful = this.mode === "faithful";
    const { machine, forced } = PageAllocator.withForcedState(opts.spec, {
      initial: faithful ? "unknown" : "free",
      onFallback: opts.onFallback,
    });
    this.machine = machine;
    this.#forced = forced;
    this.#unlocated = new UnlocatedPool(machine, forced);
    this.preexisting = new PreexistingPool(machine, forced);
    if (opts.snapshots) {
      this.seed = faithful
        ? seedUnlocated(this.#unlocated, opts.snapshots)
        : seedLayout(this.preexisting, opts.snapshots);
    }
    forced.resetHistory();
    this.#retypes = new Float64Array(this.machine.zones.length * MIGRATE_TYPES);
    this.#traceFailures = new Float64Array(this.machine.nrOrders);
    this.#pbKnown = new Uint8Array(this.machine.pageblockMt.length);
    this.#allocatedPages = new Float64Array(this.machine.zones.length);
    this.#freedPages = new Float64Array(this.machine.zones.length);
    this.#isoNeed = new Int32Array(this.machine.nrOrders);
    this.#onSample = opts.onSample;
    this.#everyCalls = opts.sampleEveryCalls ?? 0;
    this.#everyNs = opts.sampleEveryNs ?? 0;
    this.#nextSampleCalls = this.#everyCalls > 0 ? this.#everyCalls : Infinity;
    if (!faithful && opts.delegateSlabPages) {
      this.classifier = new SlabPageClassifier({
        nrCpus: opts.delegateSlabPages.nrCpus,
        slabinfo: opts.delegateSlabPages.slabinfo,
        onRelease: (h, kind) => {
          if (kind === HeldPageKind.PAGE) {
            this.#policyAllocAt(h.tracePfn, h.order, h.gfp, h.cpu, h.source);
          } else {
            this.#delegatedCalls++;
            const tz = this.machine.zoneOf(h.tracePfn);
            if (tz >= 0) this.#allocatedPages[tz]! += 2 ** h.order;
          }
        },
      });
    }
  }

  /** Timestamp of the last call applied (ns); kept while sampling is on. */
  get lastTsNs(): number {
    return this.#lastTs;
  }

  /** Applies every call of a batch (rows in timestamp order). `strings` is not needed for pages. */
  apply(batch: CallBatch, strings?: StringTable): void {
    const n = batch.length;
    const faithful = this.mode === "faithful";
    const sampling = this.#onSample !== undefined;
    const cl = this.classifier;
    for (let i = 0; i < n; i++) {
      const call = batch.call[i]!;
      this.#calls[call]!++;
      if (faithful) this.#faithful(batch, i, call);
      else if (cl === null) this.#policy(batch, i, call);
      else {
        const v = cl.classify(batch, i, strings);
        if (v === SlabPageVerdict.REPLAY) this.#policy(batch, i, call);
        else if (v === SlabPageVerdict.DELEGATE) {
          this.#delegatedCalls++;
          const tz = this.machine.zoneOf(batch.pfn[i]!);
          if (tz >= 0) this.#freedPages[tz]! += 2 ** batch.order[i]!;
        }
      }
      if (sampling) {
        this.#total++;
        this.#lastTs = batch.tsNs[i]!;
        this.#maybeSample();
      }
    }
    if (!sampling) this.#total += n;
  }

  #maybeSample(): void {
    let due = false;
    if (this.#total >= this.#nextSampleCalls) {
      due = true;
      this.#nextSampleCalls += this.#everyCalls;
    }
    if (this.#everyNs > 0) {
      if (this.#nextSampleNs < 0) this.#nextSampleNs = this.#lastTs + this.#everyNs;
      else if (this.#lastTs >= this.#nextSampleNs) {
        due = true;
        while (this.#nextSampleNs <= this.#lastTs) this.#nextSampleNs += this.#everyNs;
      }
    }
    if (due) this.#onSample!({ tsNs: this.#lastTs, calls: this.#total, machine: this.machine });
  }

  #desync(kind: DesyncKind, b: CallBatch, i: number, detail: string): void {
    this.#desyncAt(kind, b.source[i]!, detail);
  }

  #desyncAt(kind: DesyncKind, line: number, detail: string): void {
    if (this.#strict) {
      throw new MmInvariantError(kind, `line ${line}: ${DESYNC_KINDS[kind]}: ${detail}`);
    }
    const n = (this.#desyncs.get(kind) ?? 0) + 1;
    this.#desyncs.set(kind, n);
    if (n <= this.#maxExamples) this.#examples.push({ kind, line, message: detail });
  }

  // ---------------------------------------------------------------------------------------------
  // Faithful mode

  #faithful(b: CallBatch, i: number, call: number): void {
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
          this.#forced.setLowmemReserve(zi, lr.upperZone(b, i), lr.lowmemReservePages(b, i));
        }
        return;
      }
      case Call.LOST:
        return this.#lostMarker(b, i);
      case Call.COMPACTION_ISOLATE_FREE:
        return b.kind[i] === Ev.mm_compaction_fast_isolate_freepages
          ? this.#fastIsolate(b, i)
          : this.#isolateFree(b, i);
      case Call.COMPACTION_INFO:
        if (
          b.kind[i] === Ev.mm_compaction_isolate_migratepages &&
          EventField.isolate.nrTaken(b, i) > 0
        ) {
          this.#iso.migratePagesTaken += EventField.isolate.nrTaken(b, i);
        }
        return;
      default:
        return;
    }
  }

  #wmarks(b: CallBatch, i: number): void {
    const zi = this.machine.findZone(b.node[i]!, b.zone[i]!);
    if (zi >= 0) {
      const w = EventField.wmarks, high = w.wmarkHigh(b, i), promo = w.wmarkPromo(b, i);
      this.#forced.setWatermarks(
        zi,
        w.wmarkMin(b, i),
        w.wmarkLow(b, i),
        high,
        promo >= 0 ? promo : high,
      );
    }
  }

  #lostMarker(b: CallBatch, i: number): void {
    this.#lost.markers++;
    const lost = EventField.lost.lostEvents(b, i);
    if (lost > 0) this.#lost.events += lost;
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
    } else this.#forced.retypePageblocks(pfn, order, mt);
    const n = order >= m.pageblockOrder ? 1 << (order - m.pageblockOrder) : 1;
    for (let k = 0; k < n; k++) this.#pbKnown[pb + k] = 1;
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
      this.#forced.carve(pfn, order, buddyMt);
      return;
    }
    if (st === PageState.UNKNOWN && m.orderAt(head) >= order) {
      const k = this.#unlocated.take(zi, pfn, order, mt, this.#allUnknown);
      if (k >= 0) {
        this.#seededBlocks++;
        this.#forced.locateFree(zi, pfn & ~((1 << k) - 1), k, mt);
        this.#forced.carve(pfn, order, buddyMt);
        return;
      }
      this.#desync("take-untracked", b, i, `pfn 0x${pfn.toString(16)} order ${order} type ${mt}`);
      this.#forced.carve(pfn, order);
      return;
    }
    const mask = this.#forced.carve(pfn, order, buddyMt);
    const others = mask & ~((1 << PageState.BUDDY) | (1 << PageState.UNKNOWN));
    if (others & (1 << PageState.HOLE)) {
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
    if (this.#fallbackTakes && this.#nextSameCpuIsFallback(b, i, pfn)) {
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
    this.#forced.noteFree(zi);
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
      this.#forced.pcpAdd(
        zi,
        cpu,
        pfn,
        order,
        mt < MIGRATE_PCPTYPES ? mt : MigrateType.MOVABLE,
        true,
      );
    } else {
      this.#forced.setAllocated(pfn, order, mt);
      this.#pendingTakes.add(pfn);
    }
  }

  /** fallback_migratetype of the next same-CPU call (the extfrag of a partial claim), or -1. */
  #nextFallbackMt(b: CallBatch, i: number): number {
    const cpu = b.cpu[i]!;
    for (let j = i + 1; j < b.length; j++) {
      if (b.cpu[j] !== cpu) continue;
      return b.call[j] === Call.FALLBACK ? EventField.extfrag.fallbackMigratetype(b, j) : -1;
    }
    return -1;
  }

  #nextSameCpuIsFallback(b: CallBatch, i: number, pfn: number): boolean {
    const cpu = b.cpu[i]!;
    for (let j = i + 1; j < b.length; j++) {
      if (b.cpu[j] !== cpu) continue;
      return b.call[j] === Call.FALLBACK && b.pfn[j] === pfn;
    }
    return false;
  }

  /** Rule 2: mm_page_alloc_extfrag. */
  #fallback(b: CallBatch, i: number): void {
    const pfn = b.pfn[i]!;
    const allocOrder = b.order[i]!;
    const allocMt = b.mt[i]!;
    const fallbackOrder = EventField.extfrag.fallbackOrder(b, i);
    const fallbackMt = EventField.extfrag.fallbackMigratetype(b, i);
    const f = this.#fallbacks;
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
    const m = this.machine;
    this.#learnType(b, i, pfn, fallbackOrder, fallbackMt);
    if (!this.#fallbackTakes) {
      // ≤v6.9: the found block (or the whole pageblock) moves to the requested type's lists;
      // the following zone_locked takes the page.
      this.#takeFromBuddy(b, i, zi, pfn, fallbackOrder, fallbackMt, fallbackMt);
      if (claim) {
        this.#forced.placeFree(zi, pfn, fallbackOrder, fallbackMt);
        this.#realRetype(pfn, fallbackOrder, allocMt, fallbackMt);
      } else {
        this.#forced.placeFree(zi, pfn, fallbackOrder, allocMt);
      }
      this.#forced.noteFree(zi);
      return;
    }
    const cpu = b.cpu[i]!;
    if (fallbackOrder >= m.pageblockOrder) {
      // Whole-block claim: retype the range, split it under the new type.
      this.#takeFromBuddy(b, i, zi, pfn, fallbackOrder, fallbackMt, fallbackMt);
      this.#forced.placeFree(zi, pfn, fallbackOrder, fallbackMt);
      this.#realRetype(pfn, fallbackOrder, allocMt, fallbackMt);
      const n = 1 << Math.max(0, fallbackOrder - m.pageblockOrder);
      for (let k = 0; k < n; k++) this.#pbKnown[(pfn >>> m.pageblockOrder) + k] = 1;
      this.#forced.carve(pfn, allocOrder, allocMt);
    } else {
      // Steal: the remainder stays on the fallback type's lists, pageblock type unchanged.
      this.#takeFromBuddy(b, i, zi, pfn, fallbackOrder, fallbackMt, fallbackMt);
      if (allocOrder < fallbackOrder) {
        this.#forced.placeFree(zi, pfn, fallbackOrder, fallbackMt);
        this.#forced.carve(pfn, allocOrder, fallbackMt);
      }
    }
    const refill = m.pcpAllowedOrder(allocOrder) && allocMt < MIGRATE_PCPTYPES;
    this.#placeTaken(zi, cpu, pfn, allocOrder, allocMt, refill);
    this.#forced.noteFree(zi);
  }

  /** Rule 3: mm_page_alloc. */
  #alloc(b: CallBatch, i: number): void {
    const order = b.order[i]!;
    if (b.flags[i]! & EventFlag.FAILED) {
      if (order >= 0 && order < this.#traceFailures.length) this.#traceFailures[order]!++;
      return;
    }
    const pfn = b.pfn[i]!;
    const zi = this.#zoneFor(b, i, pfn, order);
    if (zi < 0) return;
    this.#allocatedPages[zi]! += 2 ** order;
    const m = this.machine;
    const head = m.headOf(pfn);
    const st = m.stateAt(head);
    const ho = m.orderAt(head);
    let mt = b.mt[i]!;
    if (mt < 0 || mt >= MIGRATE_TYPES) mt = 0;
    const flags = (b.gfp[i]! & GFP.COMP) && order > 0 ? AllocPageFlag.COMPOUND : 0;
    if (st === PageState.PCP && head === pfn && ho === order) {
      this.#forced.carve(pfn, order);
    } else if (st === PageState.ALLOC && head === pfn && ho === order) {
      if (!this.#pendingTakes.delete(pfn)) {
        this.#desync("alloc-allocated", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      }
    } else if (st === PageState.UNKNOWN && ho >= order) {
      if (this.#unlocated.takePcp(zi, b.cpu[i]!, 1 << order)) this.#seededPcpPages += 1 << order;
      else this.#desync("alloc-untracked", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      this.#forced.carve(pfn, order);
    } else if (st === PageState.BUDDY && ho >= order) {
      this.#desync("alloc-from-buddy", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      this.#forced.carve(pfn, order);
    } else {
      const mask = this.#forced.carve(pfn, order);
      this.#desync(
        mask & (1 << PageState.HOLE) ? "pfn-in-hole" : "alloc-shape-mismatch",
        b,
        i,
        `pfn 0x${pfn.toString(16)} order ${order}, model had state mask ${mask}`,
      );
    }
    this.#forced.setAllocated(pfn, order, mt, flags);
    this.#forced.noteFree(zi);
  }

  /** Rule 4 (and 6): mm_page_free. */
  #free(b: CallBatch, i: number): void {
    const pfn = b.pfn[i]!;
    const order = b.order[i]!;
    const zi = this.#zoneFor(b, i, pfn, order);
    if (zi < 0) return;
    this.#freedPages[zi]! += 2 ** order;
    const m = this.machine;
    const head = m.headOf(pfn);
    const st = m.stateAt(head);
    const ho = m.orderAt(head);
    this.#pendingTakes.delete(pfn);
    if (st === PageState.ALLOC && ho >= order) {
      // Exact free, or a piece of a non-compound block freed page by page (split_page).
      this.#forced.carve(pfn, order);
    } else if (st === PageState.UNKNOWN && ho >= order) {
      if (order === m.maxOrder) this.#zoneGrowthPages += 1 << order;
      else this.#desync("free-untracked", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      this.#forced.carve(pfn, order);
    } else if ((st === PageState.BUDDY || st === PageState.PCP) && ho >= order) {
      this.#desync("double-free", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      this.#forced.carve(pfn, order);
    } else {
      const mask = this.#forced.carve(pfn, order);
      this.#desync(
        mask & (1 << PageState.HOLE) ? "pfn-in-hole" : "free-order-mismatch",
        b,
        i,
        `pfn 0x${pfn.toString(16)} order ${order}, model had state mask ${mask}`,
      );
    }
    this.#forced.freeDetached(pfn, order, b.cpu[i]!, false);
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
      this.#forced.carve(pfn, order);
    } else if (st === PageState.UNKNOWN && ho >= order) {
      if (this.#unlocated.takePcp(zi, b.cpu[i]!, 1 << order)) this.#seededPcpPages += 1 << order;
      else this.#desync("drain-untracked", b, i, `pfn 0x${pfn.toString(16)} order ${order}`);
      this.#forced.carve(pfn, order);
    } else {
      const mask = this.#forced.carve(pfn, order);
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
    this.#forced.freeToBuddy(zi, pfn, order, mt);
    this.#forced.noteFree(zi);
  }

  /**
   * mm_compaction_isolate_freepages: isolate_freepages_block walked [start, end) and took every
   * PageBuddy block whose head lies there, whole (its order may reach past `end`), with no
   * mm_page_alloc; nr_taken is their page sum. Taken blocks are held as allocated, so the later
   * release_free_list frees of their pieces (and migration targets' frees) are ordinary frees.
   * Blocks the model never located come from the before-snapshot's unlocated pool as the binary
   * decomposition of the rest, placed in never-seen aligned memory of the range when possible.
   */
  #isolateFree(b: CallBatch, i: number): void {
    const taken = EventField.isolate.nrTaken(b, i);
    this.#iso.events++;
    if (!(taken > 0)) return;
    const start = EventField.isolate.rangeStartPfn(b, i);
    const m = this.machine;
    const zi = m.zoneOf(start);
    if (zi < 0) {
      this.#desync("pfn-outside-zone", b, i, `isolate_freepages at 0x${start.toString(16)}`);
      return;
    }
    this.#iso.pagesTaken += taken;
    const end = Math.min(EventField.isolate.rangeEndPfn(b, i), m.zones[zi]!.endPfn);
    // Located free blocks with their head in the range: exactly what the kernel found PageBuddy.
    let located = 0;
    for (let q = start; q < end;) {
      const h = m.headOf(q);
      const o = m.orderAt(h);
      if (m.stateAt(h) === PageState.BUDDY && h >= start) {
        this.#forced.carve(h, o);
        this.#forced.setAllocated(h, o, m.pageblockMtOf(h));
        located += 1 << o;
      }
      q = h + (1 << o);
    }
    this.#iso.locatedPages += located;
    if (located > taken) {
      this.#iso.excessPages += located - taken;
      this.#desync(
        "isolate-mismatch",
        b,
        i,
        `range 0x${start.toString(16)}-0x${
          end.toString(16)
        }: located ${located} > nr_taken ${taken}`,
      );
    } else if (located < taken) {
      this.#isolateUnlocated(b, i, zi, start, end, taken - located);
    }
    this.#forced.noteFree(zi);
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
    const need = this.#isoNeed;
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
      while (need[k]! > 0) {
        if (this.#unlocated.takeBlock(zi, k, mt) >= 0) break;
        // Nothing that large left unlocated: two halves instead.
        need[k]!--;
        if (k > 0) need[k - 1]! += 2;
        else missing++;
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
            this.#forced.carve(p, k);
            this.#forced.setAllocated(p, k, mt);
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
    const got = pages - missing;
    this.#iso.unlocatedPages += got;
    this.#iso.placedPages += placed;
    this.#iso.missingPages += missing;
    this.#iso.guessedEvents++;
    this.#desync(
      missing > 0 ? "isolate-mismatch" : "isolate-unlocated",
      b,
      i,
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
  #fastIsolate(b: CallBatch, i: number): void {
    const taken = EventField.isolate.nrTaken(b, i);
    this.#iso.events++;
    this.#iso.fastEvents++;
    if (!(taken > 0)) return;
    const m = this.machine;
    const minPfn = EventField.isolate.rangeStartPfn(b, i);
    let zi = m.zoneOf(EventField.isolate.rangeEndPfn(b, i));
    if (zi < 0) zi = m.zoneOf(minPfn);
    if (zi < 0) {
      this.#desync("pfn-outside-zone", b, i, `fast_isolate_freepages at 0x${minPfn.toString(16)}`);
      return;
    }
    this.#iso.pagesTaken += taken;
    this.#iso.guessedEvents++;
    let rest = taken;
    for (let k = m.maxOrder; k >= 0 && rest > 0; k--) {
      if (rest < 1 << k) continue;
      rest -= 1 << k;
      let best = -1;
      for (const pfn of m.listPfns(zi, k, MigrateType.MOVABLE)) {
        if (pfn >= minPfn && pfn > best) best = pfn;
      }
      if (best >= 0) {
        this.#forced.carve(best, k);
        this.#forced.setAllocated(best, k, MigrateType.MOVABLE);
        this.#iso.locatedPages += 1 << k;
      } else if (this.#unlocated.takeBlock(zi, k, MigrateType.MOVABLE) >= 0) {
        this.#iso.unlocatedPages += 1 << k;
      } else {
        this.#iso.missingPages += 1 << k;
      }
    }
    this.#desync(
      "fast-isolate-guess",
      b,
      i,
      `min_pfn 0x${minPfn.toString(16)} nr_taken ${taken}: block pfns guessed`,
    );
    this.#forced.noteFree(zi);
  }

  // ---------------------------------------------------------------------------------------------
  // Policy mode

  #policy(b: CallBatch, i: number, call: number): void {
    switch (call) {
      case Call.PAGE_ALLOC:
        return this.#policyAlloc(b, i);
      case Call.PAGE_FREE:
        return this.#policyFree(b, i);
      case Call.LOST:
        return this.#lostMarker(b, i);
      case Call.COMPACTION_ISOLATE_FREE:
        return; // the emulator has no compaction model: the trace's isolations are not replayed
      default:
        return;
    }
  }

  #policyAlloc(b: CallBatch, i: number): void {
    if (b.flags[i]! & EventFlag.FAILED) {
      const o = b.order[i]!;
      if (o >= 0 && o < this.#traceFailures.length) this.#traceFailures[o]!++;
      return;
    }
    this.#policyAllocAt(b.pfn[i]!, b.order[i]!, b.gfp[i]!, b.cpu[i]!, b.source[i]!);
  }

  /** A successful traced page alloc (also a held one the classifier released late). */
  #policyAllocAt(tracePfn: number, order: number, gfp: number, cpu: number, line: number): void {
    const m = this.machine;
    if (order < 0 || order > m.maxOrder) {
      this.#desyncAt("order-above-max", line, `order ${order}`);
      return;
    }
    const tz = m.zoneOf(tracePfn);
    if (tz >= 0) this.#allocatedPages[tz]! += 2 ** order;
    const got = m.allocPages(gfp, order, cpu);
    if (got === null) return;
    const old = this.#live.get(tracePfn);
    if (old !== undefined) {
      // The trace allocated this pfn twice without a free: release our old block.
      this.#desyncAt("alloc-allocated", line, `pfn 0x${tracePfn.toString(16)}`);
      m.__freePages(
        Math.floor(old / (1 << ALLOC_KEY_ORDER_BITS)),
        old & ALLOC_KEY_ORDER_MASK,
        cpu,
      );
    }
    this.#live.set(tracePfn, got * (1 << ALLOC_KEY_ORDER_BITS) + order);
  }

  #policyFree(b: CallBatch, i: number): void {
    const m = this.machine;
    const pfn = b.pfn[i]!;
    const order = b.order[i]!;
    const cpu = b.cpu[i]!;
    if (order < 0 || order > m.maxOrder) {
      this.#desync("order-above-max", b, i, `order ${order}`);
      return;
    }
    const tz = m.zoneOf(pfn);
    if (tz >= 0) this.#freedPages[tz]! += 2 ** order;
    const v = this.#live.get(pfn);
    if (v !== undefined && (v & ALLOC_KEY_ORDER_MASK) === order) {
      this.#live.delete(pfn);
      m.__freePages(Math.floor(v / (1 << ALLOC_KEY_ORDER_BITS)), order, cpu);
      return;
    }
    // A piece of a larger trace allocation (split_page, free_pages_exact)?
    for (let k = order + 1; k <= m.maxOrder; k++) {
      const base = pfn - (pfn % (1 << k));
      const w = this.#live.get(base);
      if (w === undefined) continue;
      const wOrder = w & ALLOC_KEY_ORDER_MASK;
      if (wOrder < k || base + (1 << wOrder) <= pfn) continue;
      this.#splitLive(base, w, pfn, order);
      const piece = this.#live.get(pfn)!;
      this.#live.delete(pfn);
      m.__freePages(Math.floor(piece / (1 << ALLOC_KEY_ORDER_BITS)), order, cpu);
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
    m.__freePages(got, order, cpu);
  }

  /** Splits live trace allocation (base, order) so that (pfn, order) is its own entry. */
  #splitLive(base: number, v: number, pfn: number, order: number): void {
    let ebase = Math.floor(v / (1 << ALLOC_KEY_ORDER_BITS));
    let tbase = base;
    let o = v & ALLOC_KEY_ORDER_MASK;
    this.#live.delete(base);
    const emuPiece = ebase + (pfn - base);
    this.#forced.carve(emuPiece, order);
    this.#forced.setAllocated(emuPiece, order, 0);
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

  // ---------------------------------------------------------------------------------------------
  // Result

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
      if (old === mt) continue;
      this.#retypes[zi * MIGRATE_TYPES + old]!--;
      this.#retypes[zi * MIGRATE_TYPES + mt]!++;
    }
    this.#forced.retypePageblocks(pfn, order, mt);
  }

  /** Pageblocks per migratetype of zone `zi` now (blocks owned by the zone, as the census). */
  #pageblockCensus(zi: number): number[] {
    const m = this.machine;
    const z = m.zones[zi]!;
    const out = new Array<number>(MIGRATE_TYPES).fill(0);
    const first = Math.ceil(z.startPfn / m.pageblockPages);
    const last = Math.ceil(z.endPfn / m.pageblockPages);
    for (let pb = first; pb < last; pb++) {
      if (m.pageblockZone[pb] === z.index) out[m.pageblockMt[pb]!]!++;
    }
    return out;
  }

  /** Desync counts so far. */
  get desyncCounts(): ReadonlyMap<string, number> {
    return this.#desyncs;
  }

  /** The replay result (see {@linkcode PageReplayResult}). */
  result(): PageReplayResult {
    // Held candidates at the end of the stream were never confirmed: ordinary pages.
    this.classifier?.flush();
    const m = this.machine;
    const calls: Record<string, number> = {};
    this.#calls.forEach((n, k) => {
      if (n > 0) calls[CALL_NAMES[k]!] = n;
    });
    const faithful = this.mode === "faithful";
    const zones: ZoneReplayResult[] = m.zones.map((z) => {
      const freeBlocks: number[] = [];
      const unlocatedBlocks: number[] = [];
      const byType: number[][] = MIGRATE_TYPE_NAMES.map(() => []);
      for (let o = 0; o < m.nrOrders; o++) {
        let sum = 0;
        let un = 0;
        for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
          const n = z.nrFree[o * MIGRATE_TYPES + mt]!;
          sum += n;
          un += z.unlocated[o * MIGRATE_TYPES + mt]!;
          byType[mt]!.push(n);
        }
        freeBlocks.push(sum);
        unlocatedBlocks.push(un);
      }
      const pageblocksByType = this.#pageblockCensus(z.index);
      return {
        name: z.name,
        node: z.node,
        freePages: z.freePages,
        freeBlocks,
        freeBlocksByType: byType,
        unlocatedBlocks,
        minFreePages: Number.isFinite(z.minFreePages) ? z.minFreePages : z.freePages,
        watermarkBreaches: faithful
          ? { low: z.breachLow, min: z.breachMin }
          : { low: z.kswapdWakes, min: z.directReclaims },
        watermarks: { min: z.wmarkMin, low: z.wmarkLow, high: z.wmarkHigh, boost: z.boost },
        pcpPages: z.pcpCount.reduce((a, x) => a + x, 0),
        pageblocksByType,
        tracedPages: {
          allocated: this.#allocatedPages[z.index]!,
          freed: this.#freedPages[z.index]!,
        },
        pageblocksChange: pageblocksByType.map((_, mt) =>
          this.#retypes[z.index * MIGRATE_TYPES + mt]!
        ),
      };
    });
    const fb = faithful ? this.#fallbacks : {
      total: m.stats.fallbacks,
      fragmenting: m.stats.fallbacksFragmenting,
      claims: m.stats.claims,
      steals: m.stats.steals,
      byType: m.stats.fallbacksByType,
    };
    const byType: Record<string, number> = {};
    fb.byType.forEach((n, k) => {
      if (n > 0) {
        const a = MIGRATE_TYPE_NAMES[Math.floor(k / MIGRATE_TYPES)];
        const f = MIGRATE_TYPE_NAMES[k % MIGRATE_TYPES];
        byType[`${a}<-${f}`] = n;
      }
    });
    const failures = faithful ? this.#traceFailures : m.stats.failuresByOrder;
    return {
      mode: this.mode,
      calls,
      zones,
      desyncs: Object.fromEntries(this.#desyncs),
      desyncExamples: this.#examples.slice(),
      lost: { ...this.#lost },
      fallbacks: {
        total: fb.total,
        fragmenting: fb.fragmenting,
        claims: fb.claims,
        steals: fb.steals,
        byType,
      },
      failures: { total: failures.reduce((a, x) => a + x, 0), byOrder: Array.from(failures) },
      seeded: { freeBlocksLocated: this.#seededBlocks, pcpPagesUsed: this.#seededPcpPages },
      zoneGrowthPages: this.#zoneGrowthPages,
      compactionIsolation: { ...this.#iso },
      liveAllocations: faithful ? this.#pendingTakes.size : this.#live.size,
      slabPageCallsDelegated: this.#delegatedCalls,
    };
  }
}

/**
 * Replays a whole call stream and returns the result.
 *
 * @example
 * ```ts
 * import { replayPages } from "./page_replay.ts";
 * import { presetMachineSpec } from "../mm/machine_spec.ts";
 * const r = replayPages([], { spec: presetMachineSpec("x86_64"), mode: "policy" });
 * r.mode; // "policy"
 * ```
 */
export function replayPages(
  batches: Iterable<CallBatch>,
  opts: PageReplayOptions,
): PageReplayResult {
  const r = new PageReplay(opts);
  for (const b of batches) r.apply(b);
  return r.result();
}
