/**
 * The "Reclaim and compaction" section: what the traced vmscan and compaction events say —
 * pages scanned / reclaimed per second by kswapd, direct and memcg reclaim, reclaim efficiency,
 * slab shrinking by shrinker, compaction outcomes and the stalls (begin → end) of each task.
 *
 * @module
 */

import type { ReclaimMetricsResult } from "../../metrics/reclaim_metrics.ts";
import { barChart, timeSeriesChart } from "../chart_spec.ts";
import type { Cell, TidyTable } from "../csv_table.ts";
import type { ReportContent, ReportSection, SectionContext } from "../report_section.ts";
import { SHOWN_ROWS } from "./section_rows.ts";

const CONTEXT_COLORS: Record<string, string> = {
  kswapd: "#ff7f0e",
  direct: "#d62728",
  memcg: "#1f77b4",
  memcg_softlimit: "#17becf",
  node: "#9467bd",
  other: "#7f7f7f",
};

/** Builds the section and adds its tables to `out`. */
export function reclaimSection(ctx: SectionContext, out: ReportContent): ReportSection {
  const section: ReportSection = {
    id: "reclaim",
    title: "Reclaim and compaction (traced)",
    notes: [],
    charts: [],
    maps: [],
    tables: [],
  };
  const r = ctx.input.metrics.reclaim;
  if (!r || r.events === 0) {
    section.notes.push(
      "The trace holds no vmscan or compaction events (record them with `kmem capture --events kmem,vmscan,compaction`).",
    );
    return section;
  }
  section.notes.push(...summaryNotes(r));

  const byContext: TidyTable = {
    file: "reclaim_by_context.csv",
    title: "Reclaim by context (exact)",
    columns: [
      "context",
      "runs",
      "scanned_pages",
      "reclaimed_pages",
      "efficiency",
      "end_reclaimed_pages",
    ],
    rows: r.byContext.map((c) => [
      c.context,
      c.runs,
      c.scannedPages,
      c.reclaimedPages,
      Number.isNaN(c.efficiency) ? "" : round(c.efficiency, 4),
      c.endReclaimedPages,
    ]),
  };
  const rate: TidyTable = {
    file: "reclaim_rate.csv",
    title: "Pages scanned and reclaimed per second by context",
    columns: ["context", "ts_s", "series", "pages_per_s"],
    rows: r.rate.flatMap((x) =>
      [
        [x.context, round(x.startS, 6), "scanned", round(x.scannedPerS, 1)],
        [x.context, round(x.startS, 6), "reclaimed", round(x.reclaimedPerS, 1)],
      ] as Cell[][]
    ),
  };
  const shrinkers: TidyTable = {
    file: "slab_shrink_by_shrinker.csv",
    title: "Slab shrinking by shrinker (exact)",
    columns: ["shrinker", "calls", "objects_to_scan", "objects_freed", "cache_items_max"],
    rows: r.shrinkers.map((s) => [
      s.shrinker,
      s.calls,
      s.objectsToScan,
      s.objectsFreed,
      s.cacheItemsMax,
    ]),
  };
  const compaction: TidyTable = {
    file: "compaction_outcomes.csv",
    title: "Compaction outcomes (exact)",
    columns: ["event", "outcome", "count"],
    rows: compactionRows(r),
  };
  const stalls: TidyTable = {
    file: "reclaim_stalls_by_comm.csv",
    title: "Reclaim and compaction stalls by comm (begin → end; throttling: time slept)",
    columns: ["kind", "comm", "stalls", "total_ms", "max_ms", "mean_ms"],
    rows: r.stalls.map((s) => [
      s.kind,
      s.comm,
      s.stalls,
      round(s.totalMs, 3),
      round(s.maxMs, 3),
      round(s.totalMs / s.stalls, 3),
    ]),
  };
  const lru: TidyTable = {
    file: "lru_isolate_by_list.csv",
    title: "LRU isolation by list (mm_vmscan_lru_isolate, exact)",
    columns: ["lru", "scanned_pages", "taken_pages"],
    rows: r.isolateByLru.map((l) => [l.lru, l.scannedPages, l.takenPages]),
  };
  out.tables.push(byContext, rate, shrinkers, compaction, stalls, lru);
  section.tables.push({ table: byContext, maxRows: SHOWN_ROWS });

  if (rate.rows.length > 0) {
    section.charts.push(timeSeriesChart({
      time: ctx.time,
      name: "reclaim_rate",
      title: "Pages scanned and reclaimed per second",
      description:
        `Σ nr_scanned / nr_reclaimed of mm_vmscan_lru_shrink_inactive (and mm_vmscan_reclaim_pages) per ${
          round(r.bucketS * 1000, 3)
        } ms bucket, by who ran the scan: kswapd, a task between direct / memcg / node reclaim begin and end, or other.`,
      table: rate.file,
      parse: { ts_s: "number", pages_per_s: "number" },
      y: { field: "pages_per_s", title: `pages (${ctx.pageSizeLabel}) per second` },
      color: {
        field: "context",
        title: "context",
        type: "nominal",
        domain: Object.keys(CONTEXT_COLORS),
        range: Object.values(CONTEXT_COLORS),
      },
      panels: { field: "series", values: ["scanned", "reclaimed"] },
      interpolate: "step-after",
    }));
  }
  if (shrinkers.rows.length > 0) {
    section.charts.push(barChart({
      name: "slab_shrink_by_shrinker",
      title: "Slab shrinking: objects asked vs freed by shrinker",
      description:
        "Σ total_scan of mm_shrink_slab_start (objects asked to scan) and Σ the return value of mm_shrink_slab_end (objects freed) per shrinker scan function.",
      table: shrinkers.file,
      parse: { objects_freed: "number", objects_to_scan: "number", calls: "number" },
      horizontal: true,
      category: { field: "shrinker", title: "shrinker", sortByValue: true },
      value: { field: "objects_to_scan", title: "objects asked to scan" },
      tooltipExtra: [
        { field: "objects_freed", type: "quantitative", title: "objects freed", format: "," },
        { field: "calls", type: "quantitative", title: "calls", format: "," },
      ],
    }));
    section.tables.push({ table: shrinkers, maxRows: SHOWN_ROWS });
  }
  if (compaction.rows.length > 0) {
    section.charts.push(barChart({
      name: "compaction_outcomes",
      title: "Compaction outcomes",
      description:
        "mm_compaction_end status, mm_compaction_suitable / _finished results, deferrals and migrated pages, counted exactly.",
      table: compaction.file,
      parse: { count: "number" },
      horizontal: true,
      category: { field: "outcome", title: "outcome" },
      value: { field: "count", title: "count (pages for migrate and isolate rows)" },
      color: { field: "event", title: "event", type: "nominal" },
    }));
    section.tables.push({ table: compaction, maxRows: SHOWN_ROWS });
  }
  if (stalls.rows.length > 0) {
    section.charts.push(barChart({
      name: "reclaim_stalls_by_comm",
      title: "Stall time by comm",
      description:
        "Total time between each task's reclaim or compaction begin and end event (throttling: usec_delayed), stacked by kind.",
      table: stalls.file,
      parse: { total_ms: "number", stalls: "number", max_ms: "number" },
      horizontal: true,
      category: { field: "comm", title: "comm", sortByValue: true },
      value: { field: "total_ms", title: "stall time (ms)" },
      color: { field: "kind", title: "kind", type: "nominal" },
      tooltipExtra: [
        { field: "stalls", type: "quantitative", title: "stalls", format: "," },
        { field: "max_ms", type: "quantitative", title: "longest (ms)", format: ",.3f" },
      ],
    }));
    section.tables.push({ table: stalls, maxRows: SHOWN_ROWS });
  }
  if (lru.rows.length > 0) section.tables.push({ table: lru, maxRows: SHOWN_ROWS });
  return section;
}

function compactionRows(r: ReclaimMetricsResult): Cell[][] {
  const c = r.compaction;
  const rows: Cell[][] = [];
  for (const [k, n] of Object.entries(c.endStatus)) rows.push(["compaction_end", k, n]);
  for (const [k, n] of Object.entries(c.suitable)) rows.push(["compaction_suitable", k, n]);
  for (const [k, n] of Object.entries(c.finished)) rows.push(["compaction_finished", k, n]);
  const counts: [string, string, number][] = [
    ["compaction_begin", "begin", c.begins],
    ["try_to_compact_pages", "direct compaction", c.tryToCompact],
    ["compaction_deferred", "deferred", c.deferred],
    ["compaction_defer_compaction", "defer", c.deferCompaction],
    ["compaction_defer_reset", "defer reset", c.deferReset],
    ["kcompactd_wake", "kcompactd wake", c.kcompactdWakes],
    ["wakeup_kcompactd", "wakeup kcompactd", c.wakeupKcompactd],
    ["compaction_migratepages", "migrated pages", c.migratedPages],
    ["compaction_migratepages", "migrate failed pages", c.migrateFailedPages],
    ["isolate_migratepages", "isolated pages", c.isolatedMigratePages],
    ["isolate_freepages", "isolated free pages", c.isolatedFreePages],
  ];
  for (const [e, k, n] of counts) if (n > 0) rows.push([e, k, n]);
  return rows;
}

function summaryNotes(r: ReclaimMetricsResult): string[] {
  const notes: string[] = [];
  const scanned = r.byContext.reduce((a, c) => a + c.scannedPages, 0);
  const reclaimed = r.byContext.reduce((a, c) => a + c.reclaimedPages, 0);
  notes.push(
    `${r.events.toLocaleString("en-US")} vmscan and compaction events: ` +
      `${scanned.toLocaleString("en-US")} pages scanned, ${
        reclaimed.toLocaleString("en-US")
      } reclaimed from the inactive LRU lists` +
      (scanned > 0 ? ` (efficiency ${(100 * reclaimed / scanned).toFixed(1)} %)` : "") + ".",
  );
  const ok = (r.compaction.endStatus["success"] ?? 0) + (r.compaction.endStatus["complete"] ?? 0);
  const ends = Object.values(r.compaction.endStatus).reduce((a, n) => a + n, 0);
  if (ends > 0) {
    notes.push(
      `Compaction runs: ${ends} ended, ${ok} with success or complete, ${ends - ok} otherwise; ` +
        `${r.compaction.migratedPages} pages migrated, ${r.compaction.migrateFailedPages} failed.`,
    );
  }
  const freed = r.shrinkers.reduce((a, s) => a + s.objectsFreed, 0);
  if (r.shrinkers.length > 0) {
    notes.push(
      `Slab shrinking: ${plural(r.shrinkers.length, "shrinker")}, ${
        plural(r.shrinkers.reduce((a, s) => a + s.calls, 0), "call")
      }, ${plural(freed, "object")} freed.`,
    );
  }
  for (const t of r.throttled) {
    notes.push(
      `Throttled (${t.reason}): ${plural(t.count, "time")}, ${round(t.delayedMs, 3)} ms slept.`,
    );
  }
  const wb = Object.entries(r.writeFolios);
  if (wb.length > 0) {
    notes.push(`Folios written back by reclaim: ${wb.map(([f, n]) => `${f} ${n}`).join(", ")}.`);
  }
  return notes;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
