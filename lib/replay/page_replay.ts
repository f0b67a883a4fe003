/**
 * Replays page-allocator calls ({@linkcode CallBatch}es) against the emulated
 * {@linkcode PageAllocator}, in one of two modes:
 *
 * - **faithful** (default): the recorded pfns are the truth; the model follows the trace's
 *   transitions (page/faithful_rules.ts, page/compaction_isolation.ts), counts what it did not
 *   expect as named desyncs (page/desync_catalogue.ts) and resynchronises; `strict` throws
 *   {@linkcode MmInvariantError} instead. A before-snapshot seeds unlocated free blocks and pcp
 *   pages (page/unlocated_pool.ts), which explain first sightings without a desync.
 * - **policy**: the emulator picks pfns like the kernel would (page/policy_rules.ts), so machine
 *   parameters can be changed; a before-snapshot seeds a synthesised layout with pre-existing
 *   allocations (page/preexisting_pool.ts, page/snapshot_seed.ts).
 *
 * Both reach page state the kernel API cannot express through the allocator's
 * {@linkcode ForcedPageState} only.
 *
 * @module
 */

import type { CallKind } from "../calls/call_kind.ts";
import type { CallBatch } from "../calls/call_batch.ts";
import type { MachineSpec } from "../mm/machine_spec.ts";
import { type FallbackHook, PageAllocator } from "../mm/page_allocator.ts";
import { asTraceTimeNs, type TraceTimeNs } from "../kernel/units.ts";
import type { SlabPageClassifier } from "./slab_page_classifier.ts";
import type { PageReplayResult, ReplayMode } from "./page_replay_result.ts";
import type { Replayer, ReplaySampling } from "./replayer.ts";
import { type DesyncCounts, DesyncLog } from "./page/desync_catalogue.ts";
import { FaithfulRules } from "./page/faithful_rules.ts";
import type { PageblockKnowledge } from "./page/pageblock_knowledge.ts";
import { PolicyRules, type SlabPageDelegation } from "./page/policy_rules.ts";
import { PageReplayTally } from "./page/page_replay_tally.ts";
import { PageSampler } from "./page/page_sampler.ts";
import { buildPageReplayResult } from "./page/page_result.ts";
import { PreexistingPool } from "./page/preexisting_pool.ts";
import { UnlocatedPool } from "./page/unlocated_pool.ts";
import {
  seedLayout,
  type SeedReport,
  type SeedSnapshots,
  seedUnlocated,
} from "./page/snapshot_seed.ts";

export { DESYNC_KINDS, type DesyncKind } from "./page/desync_catalogue.ts";
export type { SlabPageDelegation } from "./page/policy_rules.ts";

/** The replay's state at one moment, as samplers read it. */
export interface ReplaySample {
  /** Timestamp of the last call applied (ns). */
  tsNs: TraceTimeNs;
  /**
   * The live allocator (read only): `zoneViews` (freePages, nrFree[order * MIGRATE_TYPES + mt],
   * watermarks, pcpCount), `pageblockMt`, `pageblockZone`.
   */
  machine: PageAllocator;
}

/** Options of {@linkcode PageReplay}. */
export interface PageReplayOptions extends ReplaySampling {
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
  /** Also sample every this many calls (besides {@linkcode ReplaySampling.sampleIntervalNs}). */
  sampleEveryCalls?: number;
  /**
   * Policy: leave the trace's slab-page (and large-kmalloc) calls to a slab model that gets its
   * pages from {@linkcode PageReplay.machine} (see `AllocatorPageProvider`): they are recognised
   * by a {@linkcode SlabPageClassifier} and skipped, counted as `slabPageCallsDelegated`.
   */
  delegateSlabPages?: SlabPageDelegation;
  /** Policy: called on every fallback the emulator makes (see {@linkcode FallbackHook}). */
  onFallback?: FallbackHook;
}

/**
 * A page-allocator replay: feed batches with {@linkcode consume}, read {@linkcode finish}.
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
 * r.consume(b);
 * r.finish().desyncs; // { "free-untracked": 1 }
 * ```
 */
export class PageReplay implements Replayer<PageReplayResult> {
  readonly mode: ReplayMode;
  readonly machine: PageAllocator;
  readonly seed: SeedReport | null = null;
  /** Policy: pre-existing allocations of the seeded machine (slab seeding takes from them). */
  readonly preexisting: PreexistingPool;
  /** Policy with a slab model: tells slab-page calls apart (null otherwise). */
  readonly classifier: SlabPageClassifier | null;
  readonly #tally: PageReplayTally;
  readonly #desyncs: DesyncLog;
  readonly #faithful: FaithfulRules | null;
  readonly #policy: PolicyRules | null;
  readonly #sampler: PageSampler | null;

  constructor(opts: PageReplayOptions) {
    this.mode = opts.mode ?? "faithful";
    const [major, minor] = opts.kernelVersion ?? [6, 18];
    const faithful = this.mode === "faithful";
    const { machine, forced } = PageAllocator.withForcedState(opts.spec, {
      initial: faithful ? "unknown" : "free",
      onFallback: opts.onFallback,
    });
    this.machine = machine;
    const unlocated = new UnlocatedPool(machine, forced);
    this.preexisting = new PreexistingPool(machine, forced);
    if (opts.snapshots) {
      this.seed = faithful
        ? seedUnlocated(unlocated, opts.snapshots)
        : seedLayout(this.preexisting, opts.snapshots);
    }
    forced.resetHistory();
    this.#tally = new PageReplayTally(machine.zones.length, machine.nrOrders);
    this.#desyncs = new DesyncLog(opts.strict ?? false, opts.maxExamplesPerKind ?? 3);
    const fallbackTakes = major > 6 || (major === 6 && minor >= 10);
    this.#faithful = faithful
      ? new FaithfulRules(machine, forced, unlocated, this.#desyncs, this.#tally, fallbackTakes)
      : null;
    if (this.seed?.kpageflags) this.#faithful?.trackFirstSightings();
    this.#policy = faithful ? null : new PolicyRules(
      machine,
      forced,
      this.preexisting,
      this.#desyncs,
      this.#tally,
      opts.delegateSlabPages ?? null,
    );
    this.classifier = this.#policy?.classifier ?? null;
    this.#sampler = opts.onSample
      ? new PageSampler(opts.sampleEveryCalls ?? 0, opts.sampleIntervalNs ?? 0, opts.onSample)
      : null;
  }

  /** Timestamp of the last call consumed (ns); kept while sampling is on. */
  get lastTsNs(): TraceTimeNs {
    return this.#sampler?.lastTsNs ?? asTraceTimeNs(0);
  }

  /** Applies every call of a batch (rows in timestamp order). */
  consume(batch: CallBatch): void {
    const n = batch.length;
    const calls = this.#tally.calls;
    const faithful = this.#faithful;
    const policy = this.#policy;
    const sampler = this.#sampler;
    for (let i = 0; i < n; i++) {
      const call = batch.call[i]! as CallKind;
      calls[call]!++;
      if (faithful) faithful.apply(batch, i, call);
      else policy!.apply(batch, i, call);
      sampler?.tick(batch.tsNs[i]!);
    }
  }

  /** Faithful: what the trace said about pageblock types (null in policy mode). */
  get pageblockKnowledge(): PageblockKnowledge | null {
    return this.#faithful?.knowledge ?? null;
  }

  /** Desync counts so far. */
  get desyncCounts(): Readonly<DesyncCounts> {
    return this.#desyncs.counts;
  }

  /** The replay result (see {@linkcode PageReplayResult}). */
  finish(): PageReplayResult {
    this.#policy?.finish();
    const r = buildPageReplayResult(
      this.mode,
      this.machine,
      this.#tally,
      this.#desyncs,
      this.#faithful?.pendingTakes ?? this.#policy!.liveAllocations,
    );
    if (this.mode !== "faithful") return r;
    const k = this.seed?.kpageflags;
    return {
      ...r,
      seededFrom: k ? "kpageflags" : this.seed ? "counts" : "none",
      kpageflagsSeed: k ?? [],
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
  for (const b of batches) r.consume(b);
  return r.finish();
}
