/**
 * The error budget of a validation: what the trace does not show (bulk allocations, pcp
 * trylock failures, compaction isolation, pre-trace pages and objects, hot-add, CPU-held
 * slabs …), each estimated from the bundle's before/after snapshots.
 *
 * @module
 */

import type { SnapshotSet } from "../../snapshot/bundle.ts";
import { sumVmstat, type Vmstat, vmstatDelta } from "../../snapshot/vmstat.ts";
import type { ReplayTraceResult } from "../replay_trace.ts";
import { signed } from "./compared.ts";
import {
  type ErrorBudgetLine,
  type SlabValidation,
  TARGET_SLAB_PCT,
  type ZoneValidation,
} from "./validation_report.ts";

/** What the trace does not show, estimated from the bundle (see the module doc). */
export function errorBudget(
  result: ReplayTraceResult,
  zones: ZoneValidation[],
  after: SnapshotSet,
  before?: SnapshotSet,
): ErrorBudgetLine[] {
  const out: ErrorBudgetLine[] = [];
  const p = result.pages;
  const d = p.desyncs;
  const tracedAlloc = p.zones.reduce((s, z) => s + z.tracedPages.allocated, 0);
  const tracedFree = p.zones.reduce((s, z) => s + z.tracedPages.freed, 0);
  const vb: Vmstat | undefined = before?.vmstat;
  const va: Vmstat | undefined = after.vmstat;
  const delta = vb && va ? vmstatDelta(vb, va) : null;

  // PGALLOC counts rmqueue (and alloc_pages_bulk) pages; mm_page_alloc also fires for pages
  // compaction captured (mm/page_alloc.c compaction_capture → __alloc_pages_direct_compact),
  // which never pass rmqueue: traced − captured is what PGALLOC saw of the traced pages.
  const cap = p.compactionCapture;
  if (delta) {
    const pgalloc = sumVmstat(delta, "pgalloc_");
    out.push({
      item: "untraced allocations (alloc_pages_bulk, snapshot windows)",
      estimate: pgalloc - (tracedAlloc - cap.pages),
      unit: "pages",
      basis: `Δpgalloc_* ${pgalloc} − (traced mm_page_alloc ${tracedAlloc} − compaction-captured ` +
        `${cap.pages}) pages; alloc_pages_bulk counts PGALLOC but emits no per-page ` +
        `mm_page_alloc; also counts allocations between the snapshot reads and tracing on/off`,
    });
    const pgfree = delta.pgfree ?? 0;
    out.push({
      item: "untraced frees (snapshot windows)",
      estimate: pgfree - tracedFree,
      unit: "pages",
      basis:
        `Δpgfree ${pgfree} − traced mm_page_free ${tracedFree} pages; every free_pages_prepare ` +
        `fires mm_page_free, so the rest happened outside the traced window`,
    });
  } else {
    out.push({
      item: "untraced allocations (alloc_pages_bulk)",
      estimate: null,
      unit: "pages",
      basis: "needs before.vmstat and after.vmstat (pgalloc_*, pgfree)",
    });
  }
  out.push({
    item: "pcp pages handed out without mm_page_alloc (bulk allocator)",
    estimate: (d["double-free"] ?? 0) + (d["alloc-allocated"] ?? 0),
    unit: "blocks",
    basis: `desyncs double-free ${d["double-free"] ?? 0} + alloc-allocated ${
      d["alloc-allocated"] ?? 0
    }: frees of pages the model still held on a pcp list`,
  });
  out.push({
    item: "frees that bypassed the pcp list (pcp trylock failure)",
    estimate: (d["take-not-free"] ?? 0) + (d["drain-not-pcp"] ?? 0),
    unit: "blocks",
    basis: `desyncs take-not-free ${d["take-not-free"] ?? 0} + drain-not-pcp ${
      d["drain-not-pcp"] ?? 0
    }: the kernel freed straight to buddy (no event says so)`,
  });
  out.push({
    item: "pages allocated before the trace started",
    estimate: (d["free-untracked"] ?? 0) + (d["take-untracked"] ?? 0) +
      (d["alloc-untracked"] ?? 0) + (d["alloc-from-buddy"] ?? 0),
    unit: "blocks",
    basis: `desyncs free-untracked ${d["free-untracked"] ?? 0}, take-untracked ${
      d["take-untracked"] ?? 0
    }, alloc-untracked ${d["alloc-untracked"] ?? 0}, alloc-from-buddy ${
      d["alloc-from-buddy"] ?? 0
    }: first sightings the before-snapshot could not place`,
  });
  const ci = p.compactionIsolation;
  if (delta || ci.events > 0) {
    // COMPACTISOLATED counts both scanners: free pages (isolate_freepages_block,
    // fast_isolate_freepages) and LRU pages taken for migration (isolate_migratepages_block).
    const vmIso = delta ? `Δcompact_isolated ${delta.compact_isolated ?? 0}` : "no vmstat delta";
    out.push({
      item: "compaction isolation",
      estimate: ci.pagesTaken,
      unit: "pages",
      basis: `${ci.events} mm_compaction_(fast_)isolate_freepages events, Σ nr_taken ` +
        `${ci.pagesTaken} free pages taken off buddy with no mm_page_alloc (replayed: ` +
        `${ci.locatedPages} at located blocks, ${ci.unlocatedPages} from unlocated snapshot ` +
        `blocks (orders guessed, ${ci.guessedEvents} events; ${ci.placedPages} placed in the ` +
        `range), ${ci.missingPages} not found); ${vmIso} also counts the migrate scanner's LRU ` +
        `pages (Σ isolate_migratepages nr_taken ${ci.migratePagesTaken}): ` +
        `${ci.pagesTaken} + ${ci.migratePagesTaken} = ${ci.pagesTaken + ci.migratePagesTaken}` +
        (delta
          ? ` (Δcompact_stall ${delta.compact_stall ?? 0}, Δcompact_daemon_wake ${
            delta.compact_daemon_wake ?? 0
          })`
          : ""),
    });
  }
  if (cap.allocations > 0 || (delta && (delta.compact_success ?? 0) > 0)) {
    out.push({
      item: "compaction capture (traced mm_page_alloc, not in PGALLOC)",
      estimate: cap.pages,
      unit: "pages",
      basis: `${cap.allocations} traced allocations of order > 0 whose block no traced rmqueue ` +
        `(buddy take or pcp list) handed out: compaction_capture took the merged block in ` +
        `__free_one_page for the stalled allocation` +
        (delta
          ? ` (Δcompact_success ${delta.compact_success ?? 0} also counts successes ` +
            `served from the free lists after compaction)`
          : ""),
    });
  }
  const growthManaged = managedGrowth(after, before);
  out.push({
    item: "memory hot-add / deferred struct-page init",
    estimate: p.zoneGrowthPages + Math.max(0, growthManaged - p.zoneGrowthPages),
    unit: "pages",
    basis: `${p.zoneGrowthPages} pages arrived as MAX_PAGE_ORDER frees of never-seen memory; ` +
      `managed pages grew by ${growthManaged} between the snapshots`,
  });
  out.push({
    item: "free page reporting (virtio-balloon)",
    estimate: null,
    unit: "pages",
    basis:
      "isolates and returns free blocks with no event and no vmstat counter; it moves blocks to " +
      "list tails, not in or out of the free count",
  });
  if (result.slab) {
    const s = result.slab.desync;
    out.push({
      item: "slab objects freed without a per-object event (bulk free, sheaves, kfree_rcu)",
      estimate: s.ptrReusedLive,
      unit: "objects",
      basis:
        `allocations returning a pointer still live in the replay (${s.ptrReusedLive}); each ` +
        `is taken as an implied free just before`,
    });
    out.push({
      item: "slab objects allocated before the trace",
      estimate: s.freeUnknown,
      unit: "objects",
      basis: `frees of never-seen pointers (${s.freeUnknown}, ${s.freeSeeded} released from the ` +
        `before-slabinfo seed)`,
    });
  }
  for (const z of zones) {
    const zi = after.zoneinfo?.find((x) => x.node === z.node && x.name === z.name);
    if (zi && z.freePages.source === "buddyinfo") {
      out.push({
        item: `NR_FREE_PAGES drift, ${z.name}`,
        estimate: zi.freePages - z.freePages.actual,
        unit: "pages",
        basis: "zoneinfo `pages free` − buddyinfo pages: per-cpu vmstat deltas not yet folded",
      });
    }
  }
  if (p.lost.markers > 0) {
    out.push({
      item: "lost events (ring buffer overrun)",
      estimate: p.lost.events,
      unit: "events",
      basis: `${p.lost.markers} lost-events markers in the trace`,
    });
  }
  for (const z of zones) {
    out.push({
      item: `unexplained, ${z.name} free pages`,
      estimate: z.freePages.predicted - z.freePages.actual,
      unit: "pages",
      basis: "predicted − actual after everything above",
    });
  }
  return out;
}

/** Caches listed by {@linkcode inUseBudget}: the largest residuals, at most this many. */
const IN_USE_BUDGET_LINES = 6;

/**
 * In-use method (both slabinfo reads followed a shrink): what is left is the trace's own gap —
 * one line per cache with the largest |predicted − actual|. Positive: objects freed without a
 * per-object event that no later allocation revealed (kfree_rcu batches and sheaf frees go
 * through kmem_cache_free_bulk, which has no tracepoint); negative: objects allocated untraced
 * (between a snapshot and tracing on/off) or freed twice in the trace.
 */
export function inUseBudget(slab: SlabValidation[]): ErrorBudgetLine[] {
  const off = slab
    .map((s) => ({ s, err: s.activeObjs.predicted - s.activeObjs.actual }))
    .filter((x) => x.err !== 0)
    .sort((a, b) => Math.abs(b.err) - Math.abs(a.err));
  const total = off.reduce((a, x) => a + Math.abs(x.err), 0);
  const out: ErrorBudgetLine[] = [{
    item: "slab: objects in use the trace does not explain (Σ|error|)",
    estimate: total,
    unit: "objects",
    basis: `${off.length} of ${slab.length} caches off; both slabinfo reads followed a shrink, ` +
      "so active_objs counts exactly the objects in use",
  }];
  for (const { s, err } of off.slice(0, IN_USE_BUDGET_LINES)) {
    out.push({
      item: `slab ${s.name}: ${err > 0 ? "frees" : "allocations"} without events`,
      estimate: err,
      unit: "objects",
      basis: err > 0
        ? `predicted − actual; implied frees ${s.impliedFrees} already counted — the rest ` +
          "were freed in bulk (kfree_rcu, sheaves: kmem_cache_free_bulk has no tracepoint) " +
          "and never reused in the trace"
        : "predicted − actual; allocated between a snapshot and tracing on/off, or a free the " +
          "trace shows twice",
    });
  }
  return out;
}

/**
 * One line per flagged cache whose CPU-held slabs changed between the slab_sysfs snapshots.
 * error = predicted − actual = −(Δ free objects counted active), and the free share of a
 * CPU-held slab is not exported: the estimate takes half of {@linkcode SlabValidation.cpuHeldDelta}
 * (mm/slub.c slabs_cpu_partial_show's "approximate half-full slabs"), bounds ±the whole.
 */
export function cpuHeldBudget(
  slab: SlabValidation[],
  after: SnapshotSet,
  before?: SnapshotSet,
): ErrorBudgetLine[] {
  if (!before?.slabSysfs || !after.slabSysfs) {
    return slab.some((s) => s.flagged)
      ? [{
        item: "slab: free objects of per-CPU slabs/sheaves counted active",
        estimate: null,
        unit: "objects",
        basis: "needs before.slab_sysfs and after.slab_sysfs (kmem capture writes them)",
      }]
      : [];
  }
  const sysA = new Map(after.slabSysfs.map((r) => [r.name, r]));
  const sysB = new Map(before.slabSysfs.map((r) => [r.name, r]));
  const out: ErrorBudgetLine[] = [];
  for (const s of slab) {
    if (!s.flagged || s.cpuHeldDelta === null) continue;
    const off = Math.abs(s.activeObjs.errorPct) > TARGET_SLAB_PCT;
    if (s.cpuHeldDelta === 0 && !off) continue; // nothing moved, nothing to explain
    const b = sysB.get(s.name)!;
    const a = sysA.get(s.name)!;
    const err = s.activeObjs.predicted - s.activeObjs.actual;
    const explained = cpuHeldExplained(s.cpuHeldDelta);
    const sheaf = a.sheafCapacity ?? 0;
    out.push({
      item: `slab ${s.name}: ${signed(s.cpuHeldDelta)} objects moved into per-CPU slabs`,
      estimate: s.cpuHeldDelta,
      unit: "objects",
      basis:
        `cpu_slabs ${b.cpuSlabs}→${a.cpuSlabs} (cpu-partial ${b.cpuPartialSlabs ?? "?"}→${
          a.cpuPartialSlabs ?? "?"
        }), all counted active; free share unknown, half-full estimate explains ${
          signed(explained)
        } (bounds ${signed(-Math.abs(s.cpuHeldDelta))}…${signed(Math.abs(s.cpuHeldDelta))}) of ` +
        `the error ${signed(err)}, residual ${signed(err - explained)}` +
        (sheaf > 0
          ? `; sheaves of ${sheaf} objects also count as active and are not exported`
          : ""),
    });
  }
  return out;
}

/**
 * The part of a slab cache's error (predicted − actual active objects) that a change of
 * CPU-held capacity explains under the kernel's half-full assumption: the replay does not see
 * objects sitting free in CPU-held slabs, so more of them lowers actual against predicted.
 *
 * @example
 * ```ts
 * import { cpuHeldExplained } from "./error_budget.ts";
 * cpuHeldExplained(42); // -21: two more 21-object slabs held by CPUs, half of them free
 * ```
 */
export function cpuHeldExplained(cpuHeldDelta: number): number {
  return -Math.round(cpuHeldDelta / 2);
}

function managedGrowth(after: SnapshotSet, before?: SnapshotSet): number {
  if (!before?.zoneinfo || !after.zoneinfo) return 0;
  let g = 0;
  for (const a of after.zoneinfo) {
    const b = before.zoneinfo.find((x) => x.node === a.node && x.name === a.name);
    if (b) g += a.managedPages - b.managedPages;
  }
  return g;
}

/**
 * One line for caches whose prediction went below zero and was clamped: the replay saw more
 * frees than the before-snapshot and the trace's allocations account for. Those objects existed
 * (the kernel freed them), so they were allocated where neither looked: between the
 * before-snapshot and tracing on, by bulk allocation (kmem_cache_alloc_bulk has no per-object
 * tracepoint), or a free appears twice in the trace.
 */
export function shortfallBudget(slab: SlabValidation[]): ErrorBudgetLine[] {
  const short = slab.filter((s) => s.shortfall > 0).sort((a, b) => b.shortfall - a.shortfall);
  if (short.length === 0) return [];
  return [{
    item: "slab: frees of objects neither the before-snapshot nor the trace shows",
    estimate: short.reduce((a, s) => a + s.shortfall, 0),
    unit: "objects",
    basis:
      `before + allocations − frees went below 0 in ${short.length} caches (${
        short.slice(0, 4).map((s) => `${s.name} ${s.shortfall}`).join(", ")
      }); predicted active_objs clamped at 0 — allocated untraced (before tracing on, or in ` +
      "bulk) or freed twice in the trace",
  }];
}
