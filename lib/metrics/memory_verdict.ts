/**
 * The verdict of a replay: per zone the order that matters, how usable free memory was at that
 * order (at the end and at the worst sampled moment), whether a shortage came from fragmentation
 * or from lack of memory, who caused the fallbacks, and which desyncs are only first sightings
 * of pages allocated before the trace.
 *
 * The rule follows the kernel's own: compaction is worth it when the extfrag index of the order
 * is above vm.extfrag_threshold/1000 (mm/compaction.c, `fragmentation_index` vs
 * `sysctl_extfrag_threshold`); at or below it a failure is lack of memory and reclaim is the answer.
 *
 * @module
 */

import {
  EXTFRAG_THRESHOLD_DEFAULT,
  NR_PAGE_ORDERS,
  PAGE_ALLOC_COSTLY_ORDER,
} from "../kernel/constants.ts";
import type { DesyncKind } from "../replay/page/desync_catalogue.ts";
import type { PageReplayResult } from "../replay/page_replay_result.ts";
import { assertNever } from "../trace/assert_never.ts";
import { EXTFRAG_WOULD_SUCCEED, extfragIndex, unusableIndex } from "./fragmentation_index.ts";
import type { MetricsResult } from "./kmem_metrics.ts";

/** What a zone's shortage came from. */
export type VerdictCause = "fragmentation" | "lack-of-memory" | "no-shortage";

/** Where the order that matters came from. */
export type VerdictOrderSource = "zone-failures" | "failures" | "costly-order";

/** Indexes ×1000 at the order that matters, at one moment. */
export interface VerdictMoment {
  /** Trace time in ns (the end: the last sample). */
  tsNs: number;
  freePages: number;
  /** Unusable free space index ×1000 (mm/vmstat.c `unusable_free_index`). */
  unusable: number;
  /** Extfrag index ×1000 (mm/vmstat.c `__fragmentation_index`; −1000 = would succeed). */
  extfrag: number;
}

/** The verdict for one zone. */
export interface ZoneVerdict {
  node: number;
  zone: string;
  /** The order that matters: the highest failed order, else PAGE_ALLOC_COSTLY_ORDER (3). */
  order: number;
  orderFrom: VerdictOrderSource;
  /** Allocation failures recorded for this zone (all orders). */
  failures: number;
  end: VerdictMoment;
  /** The sample where the order was hardest: highest extfrag, then highest unusable index. */
  worst: VerdictMoment;
  /** Lowest free pages of the replay and the high watermark it is compared with. */
  minFreePages: number;
  highWatermarkPages: number;
  cause: VerdictCause;
  /** One sentence saying it. */
  sentence: string;
}

/** A ranked cause of fallbacks. */
export interface VerdictRank {
  key: string;
  count: number;
}

/** Desyncs split into first sightings of pre-trace pages and real disagreements. */
export interface VerdictDesyncs {
  total: number;
  /** Pages the trace shows for the first time (allocated or freed before tracing started). */
  firstSightings: number;
  /** Transitions that contradict what the model had seen of the page. */
  disagreements: number;
  firstSightingKinds: Partial<Record<DesyncKind, number>>;
  disagreementKinds: Partial<Record<DesyncKind, number>>;
  sentence: string;
}

/** The whole verdict (`verdict` in `kmem replay --json` and `summary.json`). */
export interface MemoryVerdict {
  /** vm.extfrag_threshold / 1000 × 1000: extfrag above it is fragmentation (default 500). */
  extfragThreshold: number;
  zones: ZoneVerdict[];
  fallbacks: {
    total: number;
    /** Top 3 `Requested<-Fallback` migratetype pairs. */
    byPair: VerdictRank[];
    /** Top 3 comms (empty when fallbacks carry no task name, e.g. the emulator's own). */
    byComm: VerdictRank[];
  };
  desyncs: VerdictDesyncs;
}

/** How many causes each ranking lists. */
const TOP_CAUSES = 3;

/**
 * True for desync kinds that only mean "first time the trace shows this page": the page was
 * allocated, freed or moved before tracing started, so the model meets it in a state it could
 * not know (desync_catalogue.ts).
 */
export function isFirstSighting(kind: DesyncKind): boolean {
  switch (kind) {
    case "free-untracked":
    case "take-untracked":
    case "alloc-untracked":
    case "alloc-from-buddy":
    case "drain-untracked":
    case "kpageflags-stale":
      return true;
    case "pfn-outside-zone":
    case "order-above-max":
    case "pfn-in-hole":
    case "take-not-free":
    case "migratetype-mismatch":
    case "alloc-allocated":
    case "alloc-shape-mismatch":
    case "free-order-mismatch":
    case "double-free":
    case "drain-not-pcp":
    case "free-unmapped":
    case "isolate-unlocated":
    case "isolate-mismatch":
    case "fast-isolate-guess":
      return false;
    default:
      return assertNever(kind);
  }
}

/** An index ×1000 as a fraction with 3 decimals (−1000 → "−1.000", would succeed). */
function frac(index: number): string {
  return (index / 1000).toFixed(3);
}

const fmtInt = (n: number) => n.toLocaleString("en-US");

/** Highest order with a non-zero count, or −1. */
function highestOrder(counts: ArrayLike<number>): number {
  for (let o = Math.min(counts.length, NR_PAGE_ORDERS) - 1; o >= 0; o--) {
    if ((counts[o] ?? 0) > 0) return o;
  }
  return -1;
}

function orderReason(v: Pick<ZoneVerdict, "orderFrom" | "order">): string {
  switch (v.orderFrom) {
    case "zone-failures":
      return `the highest failed order in this zone`;
    case "failures":
      return `the highest failed order of the trace`;
    case "costly-order":
      return `no failed allocation: PAGE_ALLOC_COSTLY_ORDER`;
    default:
      return assertNever(v.orderFrom);
  }
}

function zoneSentence(v: Omit<ZoneVerdict, "sentence">, threshold: number): string {
  const head = `${v.zone}: order ${v.order} (${orderReason(v)})`;
  const at = `${(v.worst.tsNs / 1e9).toFixed(3)} s`;
  switch (v.cause) {
    case "fragmentation":
      return `${head}: fragmentation — at ${at} the extfrag index reached ${
        frac(v.worst.extfrag)
      } > ${frac(threshold)} with ${fmtInt(v.worst.freePages)} pages free: memory was free ` +
        `but in blocks smaller than order ${v.order} (unusable index ${frac(v.worst.unusable)}).`;
    case "lack-of-memory":
      return `${head}: lack of memory — free pages fell to ${fmtInt(v.minFreePages)}, below the ` +
        `high watermark ${fmtInt(v.highWatermarkPages)}, while the extfrag index stayed ≤ ${
          frac(threshold)
        } (worst ${frac(v.worst.extfrag)} at ${at}).`;
    case "no-shortage":
      return `${head}: no shortage — free pages never fell below the high watermark (lowest ${
        fmtInt(v.minFreePages)
      } ≥ ${fmtInt(v.highWatermarkPages)}) and the extfrag index stayed ≤ ${
        frac(threshold)
      } (worst ${frac(v.worst.extfrag)}${
        v.worst.extfrag === EXTFRAG_WOULD_SUCCEED ? ": an allocation would always succeed" : ""
      }).`;
    default:
      return assertNever(v.cause);
  }
}

function desyncVerdict(counts: PageReplayResult["desyncs"]): VerdictDesyncs {
  const first: Partial<Record<DesyncKind, number>> = {};
  const real: Partial<Record<DesyncKind, number>> = {};
  let nFirst = 0;
  let nReal = 0;
  for (const [k, n] of Object.entries(counts) as [DesyncKind, number][]) {
    if (isFirstSighting(k)) {
      first[k] = n;
      nFirst += n;
    } else {
      real[k] = n;
      nReal += n;
    }
  }
  const total = nFirst + nReal;
  const sentence = total === 0
    ? "no desync: every traced transition matched the model."
    : `${fmtInt(total)} desyncs: ${fmtInt(nFirst)} first sightings of pages allocated or freed ` +
      `before tracing started (harmless), ${fmtInt(nReal)} real disagreements with the model.`;
  return {
    total,
    firstSightings: nFirst,
    disagreements: nReal,
    firstSightingKinds: first,
    disagreementKinds: real,
    sentence,
  };
}

/**
 * The verdict of a replay run with metrics.
 *
 * @example
 * ```ts
 * import { memoryVerdict } from "./memory_verdict.ts";
 * import { replayTrace } from "../replay/replay_trace.ts";
 *
 * const path = new URL("../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * const r = await replayTrace(f.readable, { file: path, metrics: true });
 * const v = memoryVerdict(r.pages, r.metrics!, { endTsNs: r.import.timeNs.last });
 * v.zones.every((z) => z.order === 3 && z.orderFrom === "costly-order"); // true
 * ```
 */
export function memoryVerdict(
  pages: PageReplayResult,
  metrics: MetricsResult,
  opts: { endTsNs?: number; extfragThreshold?: number } = {},
): MemoryVerdict {
  const extfragThreshold = opts.extfragThreshold ?? EXTFRAG_THRESHOLD_DEFAULT;
  const traceFailedOrder = highestOrder(pages.failures.byOrder);
  const zones: ZoneVerdict[] = [];
  for (const z of pages.zones) {
    const m = metrics.zones.find((x) => x.zone === z.name && x.node === z.node);
    if (!m || m.worstByOrder.length === 0) continue;
    const zoneFailedOrder = highestOrder(m.failuresByOrder.totals);
    const [order, orderFrom]: [number, VerdictOrderSource] = zoneFailedOrder >= 0
      ? [zoneFailedOrder, "zone-failures"]
      : traceFailedOrder >= 0
      ? [traceFailedOrder, "failures"]
      : [PAGE_ALLOC_COSTLY_ORDER, "costly-order"];
    const w = m.worstByOrder[order]!;
    const lastTs = opts.endTsNs ?? m.pages.points[0]?.tsNs.at(-1) ?? w.tsNs;
    const end: VerdictMoment = {
      tsNs: lastTs,
      freePages: z.freePages,
      unusable: unusableIndex(z.freeBlocks, order),
      extfrag: extfragIndex(z.freeBlocks, order),
    };
    const worst: VerdictMoment = {
      tsNs: w.tsNs,
      freePages: w.freePages,
      unusable: w.unusable,
      extfrag: w.extfrag,
    };
    const cause: VerdictCause = Math.max(worst.extfrag, end.extfrag) > extfragThreshold
      ? "fragmentation"
      : z.minFreePages < z.watermarks.high
      ? "lack-of-memory"
      : "no-shortage";
    const v = {
      node: z.node,
      zone: z.name,
      order,
      orderFrom,
      failures: m.failuresByOrder.totals.reduce((a, n) => a + n, 0),
      end,
      worst,
      minFreePages: z.minFreePages,
      highWatermarkPages: z.watermarks.high,
      cause,
    };
    zones.push({ ...v, sentence: zoneSentence(v, extfragThreshold) });
  }
  const byPair = Object.entries(pages.fallbacks.byType)
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, TOP_CAUSES);
  const byComm = metrics.pageblocks.byComm.slice(0, TOP_CAUSES)
    .map((c) => ({ key: c.key, count: c.total }));
  return {
    extfragThreshold,
    zones,
    fallbacks: { total: pages.fallbacks.total, byPair, byComm },
    desyncs: desyncVerdict(pages.desyncs),
  };
}
