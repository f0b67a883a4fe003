/**
 * Builds the {@linkcode PageReplayResult} (the `kmem replay --json` contract) from the machine's
 * end state and what the replay counted.
 *
 * @module
 */

import { CALL_NAMES } from "../../calls/call_kind.ts";
import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES } from "../../kernel/constants.ts";
import type { PageAllocator } from "../../mm/page_allocator.ts";
import type { PageReplayResult, ReplayMode, ZoneReplayResult } from "../page_replay_result.ts";
import type { DesyncLog } from "./desync_catalogue.ts";
import type { PageReplayTally } from "./page_replay_tally.ts";
import { kswapdWakeCheckResult } from "./kswapd_wake_check.ts";

/** The result of a page replay in `mode` over `machine`. */
export function buildPageReplayResult(
  mode: ReplayMode,
  machine: PageAllocator,
  tally: PageReplayTally,
  desyncs: DesyncLog,
  liveAllocations: number,
): PageReplayResult {
  const m = machine;
  const calls: Record<string, number> = {};
  tally.calls.forEach((n, k) => {
    if (n > 0) calls[CALL_NAMES[k]!] = n;
  });
  const faithful = mode === "faithful";
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
    const pageblocksByType = pageblockCensus(m, z.index);
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
        allocated: tally.allocatedPages[z.index]!,
        freed: tally.freedPages[z.index]!,
      },
      pageblocksChange: pageblocksByType.map((_, mt) =>
        tally.retypes[z.index * MIGRATE_TYPES + mt]!
      ),
    };
  });
  const fb = faithful ? tally.fallbacks : {
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
  const failures = faithful ? tally.traceFailures : m.stats.failuresByOrder;
  return {
    mode,
    calls,
    zones,
    desyncs: { ...desyncs.counts },
    desyncExamples: desyncs.examples.slice(),
    lost: { ...tally.lost },
    fallbacks: {
      total: fb.total,
      fragmenting: fb.fragmenting,
      claims: fb.claims,
      steals: fb.steals,
      byType,
    },
    failures: { total: failures.reduce((a, x) => a + x, 0), byOrder: Array.from(failures) },
    seeded: { freeBlocksLocated: tally.seededBlocks, pcpPagesUsed: tally.seededPcpPages },
    zoneGrowthPages: tally.zoneGrowthPages,
    compactionIsolation: { ...tally.iso },
    compactionCapture: { ...tally.captured },
    kswapdWakeCheck: faithful ? kswapdWakeCheckResult(tally.kswapdWake) : null,
    liveAllocations,
    slabPageCallsDelegated: tally.delegatedCalls,
  };
}

/** Pageblocks per migratetype of zone `zi` now (blocks owned by the zone, as the census). */
function pageblockCensus(m: PageAllocator, zi: number): number[] {
  const z = m.zones[zi]!;
  const out = new Array<number>(MIGRATE_TYPES).fill(0);
  const first = Math.ceil(z.startPfn / m.pageblockPages);
  const last = Math.ceil(z.endPfn / m.pageblockPages);
  for (let pb = first; pb < last; pb++) {
    if (m.pageblockZone[pb] === z.index) out[m.pageblockMt[pb]!]!++;
  }
  return out;
}
