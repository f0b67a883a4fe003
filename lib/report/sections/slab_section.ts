/**
 * The "Slab caches" section: per-cache utilisation and waste over time, live objects, call sites
 * and leak candidates.
 *
 * @module
 */

import { barChart, timeSeriesChart } from "../chart_spec.ts";
import { type Cell, nsToSeconds, type TidyTable } from "../csv_table.ts";
import type { ReportContent, ReportSection, SectionContext } from "../report_section.ts";
import { seriesRows, SHOWN_ROWS } from "./section_rows.ts";

/** Builds the section and adds its tables to `out`. */
export function slabSection(ctx: SectionContext, out: ReportContent): ReportSection {
  const { input } = ctx;
  const slab = input.metrics.slab;
  const section: ReportSection = {
    id: "slab",
    title: "Slab caches",
    notes: [
      "Waste of a cache = bytes of its slab pages − active objects × object size. Waste of a call site = Σ (bytes_alloc − bytes_req).",
    ],
    charts: [],
    maps: [],
    tables: [],
  };
  const caches: TidyTable = {
    file: "slab_caches.csv",
    title: "Slab caches (last sample), by waste",
    columns: [
      "cache",
      "obj_size_bytes",
      "active_objs_last",
      "num_objs_last",
      "active_objs_peak",
      "slab_bytes_last",
      "waste_bytes_last",
      "waste_bytes_peak",
      "utilisation_pct_last",
    ],
    rows: slab.caches.map((c) => [
      c.cache,
      c.objSizeBytes,
      c.lastActiveObjs,
      c.lastNumObjs,
      c.peakActiveObjs,
      c.lastSlabBytes,
      c.lastWasteBytes,
      c.peakWasteBytes,
      Number(c.lastUtilisationPct.toFixed(2)),
    ]),
  };
  const waste: TidyTable = {
    file: "slab_waste.csv",
    title: "Waste and utilisation of the top caches over time",
    columns: ["cache", "ts_s", "series", "value"],
    rows: slab.topCacheSeries.flatMap((c) => seriesRows(c.series, [c.cache])),
  };
  const siteColumns = [
    "call_site",
    "cache",
    "allocs",
    "frees",
    "live_objs",
    "live_bytes_req",
    "live_bytes_alloc",
    "waste_bytes_total",
  ];
  const siteRow = (s: typeof slab.topByWaste[number]): Cell[] => [
    s.callSite,
    s.cache,
    s.allocs,
    s.frees,
    s.liveObjs,
    s.liveBytesReq,
    s.liveBytesAlloc,
    s.totalWasteBytes,
  ];
  const byWaste: TidyTable = {
    file: "slab_call_sites_by_waste.csv",
    title: "Call sites by waste (bytes_alloc − bytes_req)",
    columns: siteColumns,
    rows: slab.topByWaste.map(siteRow),
  };
  const byLive: TidyTable = {
    file: "slab_call_sites_by_live_bytes.csv",
    title: "Call sites by live bytes at the end",
    columns: siteColumns,
    rows: slab.topByLiveBytes.map(siteRow),
  };
  const leaks: TidyTable = {
    file: "slab_leak_candidates.csv",
    title: "Leak candidates (many live objects, rarely freed, old)",
    columns: [...siteColumns, "free_ratio", "oldest_age_s"],
    rows: slab.leakCandidates.map((s) => [
      ...siteRow(s),
      Number(s.freeRatio.toFixed(4)),
      Number.isNaN(s.oldestAgeNs) ? "" : nsToSeconds(s.oldestAgeNs),
    ]),
  };
  out.tables.push(caches, waste, byWaste, byLive, leaks);
  if (slab.caches.length === 0) {
    section.notes.push("No slab samples.");
    return section;
  }
  section.tables.push({ table: caches, maxRows: SHOWN_ROWS });
  if (waste.rows.length > 0) {
    const caches = slab.topCacheSeries.map((c) => c.cache);
    section.charts.push(timeSeriesChart({
      time: ctx.time,
      name: "slab_waste",
      title: "Slab waste of the top caches",
      description:
        "Bytes in slab pages not holding an active object, for the caches with the largest peak waste.",
      table: waste.file,
      parse: { ts_s: "number", value: "number" },
      y: { field: "value", title: "waste (bytes)" },
      color: { field: "cache", title: "cache", type: "nominal", domain: caches },
      filter: "datum.series == 'waste_bytes'",
      interpolate: "step-after",
    }));
    section.charts.push(timeSeriesChart({
      time: ctx.time,
      name: "slab_utilisation",
      title: "Slab utilisation of the top caches",
      description: "Active objects / total objects in the cache's slabs.",
      table: waste.file,
      parse: { ts_s: "number", value: "number" },
      y: { field: "value", title: "utilisation (%)", scale: { domain: [0, 100] } },
      color: { field: "cache", title: "cache", type: "nominal", domain: caches },
      filter: "datum.series == 'utilisation_pct'",
      interpolate: "step-after",
    }));
  }
  if (byWaste.rows.length > 0) {
    section.charts.push(barChart({
      name: "slab_call_sites_by_waste",
      title: "Top call sites by slab waste",
      description: "Σ (bytes_alloc − bytes_req) per allocation call site over the whole trace.",
      table: byWaste.file,
      parse: { waste_bytes_total: "number" },
      category: { field: "call_site", title: "call site", sortByValue: true },
      value: { field: "waste_bytes_total", title: "waste (bytes)" },
      horizontal: true,
      tooltipExtra: [{ field: "cache", type: "nominal" }],
    }));
    section.tables.push({ table: byWaste, maxRows: SHOWN_ROWS });
  }
  if (byLive.rows.length > 0) section.tables.push({ table: byLive, maxRows: SHOWN_ROWS });
  if (leaks.rows.length > 0) section.tables.push({ table: leaks, maxRows: SHOWN_ROWS });
  else if (byLive.rows.length > 0) section.notes.push("No leak candidates.");
  return section;
}
