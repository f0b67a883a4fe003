/**
 * Turns a {@linkcode ReportInput} into the report's content: tidy tables (CSV files), chart
 * specs reading them, pageblock-map pictures, and the sections of the page that show them.
 * Charts whose data is empty are left out (the section says why).
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, NR_PAGE_ORDERS } from "../kernel/constants.ts";
import type { CounterSet } from "../metrics/event_counter_series.ts";
import { EXTFRAG_WOULD_SUCCEED, formatFragIndex } from "../metrics/fragmentation_index.ts";
import { summarizePageblockMap } from "../metrics/pageblock_map.ts";
import type { SeriesSet } from "../metrics/series_downsampler.ts";
import type { ZoneMetricsResult } from "../metrics/zone_metrics.ts";
import {
  barChart,
  type ChartDef,
  countOverTimeChart,
  heatmapChart,
  MIGRATETYPE_COLORS,
  setTimeAxis,
  timeAxisFormat,
  timeSeriesChart,
} from "./chart_spec.ts";
import { type Cell, nsToSeconds, type TidyTable } from "./csv_table.ts";
import {
  type PageblockMapImage,
  pageblockMapTable,
  renderPageblockMapImage,
} from "./pageblock_map_image.ts";
import type { ReportInput } from "./report_input.ts";

/** A table shown in the page (possibly the first rows of a longer CSV). */
export interface ShownTable {
  table: TidyTable;
  /** Rows shown in the page (the CSV has all). */
  maxRows: number;
}

/** One section of the page. */
export interface ReportSection {
  id: string;
  title: string;
  /** Plain-text paragraphs (escaped when rendered). */
  notes: string[];
  charts: ChartDef[];
  maps: PageblockMapImage[];
  tables: ShownTable[];
}

/** Everything the page and the files are made of. */
export interface ReportContent {
  sections: ReportSection[];
  /** Every CSV, including the ones only charts use. */
  tables: TidyTable[];
  /** Charts rendered with Vega (pageblock maps are pictures, in `maps`). */
  charts: ChartDef[];
  maps: PageblockMapImage[];
}

/** Rows of a long table shown in the page. */
const SHOWN_ROWS = 30;
const ORDERS = Array.from({ length: NR_PAGE_ORDERS }, (_, o) => o);
const PAGE_SERIES_COLORS: Record<string, string> = {
  free: "#111111",
  min: "#d62728",
  low: "#ff7f0e",
  high: "#2ca02c",
  boost: "#9467bd",
};

/** Tidy rows from a SeriesSet: `[...prefix, ts_s, seriesName, value]`. */
function seriesRows(
  set: SeriesSet,
  prefix: Cell[],
  convert: (v: number) => number = (v) => v,
  seriesValue: (name: string) => Cell = (n) => n,
): Cell[][] {
  const rows: Cell[][] = [];
  set.names.forEach((name, i) => {
    const p = set.points[i]!;
    for (let j = 0; j < p.tsNs.length; j++) {
      rows.push([...prefix, nsToSeconds(p.tsNs[j]!), seriesValue(name), convert(p.values[j]!)]);
    }
  });
  return rows;
}

function counterRows(set: CounterSet, prefix: Cell[]): Cell[][] {
  return set.buckets.map((b) => [
    ...prefix,
    nsToSeconds(b.startNs),
    nsToSeconds(b.startNs + b.widthNs),
    set.keys[b.key]!,
    b.count,
  ]);
}

function zoneLabel(z: { node: number; zone: string }, multiNode: boolean): string {
  return multiNode ? `${z.node}/${z.zone}` : z.zone;
}

function fraction(index: number): number {
  return index / 1000;
}

function zoneSection(zones: ZoneMetricsResult[], multiNode: boolean, out: ReportContent) {
  const label = (z: ZoneMetricsResult) => zoneLabel(z, multiNode);
  const sampled = zones.filter((z) => z.pages.samples > 0);
  const names = sampled.map(label);
  const section: ReportSection = {
    id: "zones",
    title: "Zones: free memory and watermarks",
    notes: [],
    charts: [],
    maps: [],
    tables: [],
  };
  const pages: TidyTable = {
    file: "zone_pages.csv",
    title: "Free pages and watermarks per zone",
    columns: ["zone", "ts_s", "series", "pages"],
    rows: sampled.flatMap((z) => seriesRows(z.pages, [label(z)])),
  };
  const blocks: TidyTable = {
    file: "zone_free_blocks.csv",
    title: "Free blocks per order per zone",
    columns: ["zone", "ts_s", "order", "free_blocks"],
    rows: sampled.flatMap((z) => seriesRows(z.freeBlocks, [label(z)], (v) => v, Number)),
  };
  const largest: TidyTable = {
    file: "zone_largest_order.csv",
    title: "Largest free order per zone",
    columns: ["zone", "ts_s", "series", "largest_free_order"],
    rows: sampled.flatMap((z) => seriesRows(z.largestOrder, [label(z)])),
  };
  const events: TidyTable = {
    file: "zone_events.csv",
    title: "Would-be kswapd wakes, direct-reclaim entries and allocation failures",
    columns: ["zone", "start_s", "end_s", "event", "count"],
    rows: zones.flatMap((z) => counterRows(z.events, [label(z)])),
  };
  const failures: TidyTable = {
    file: "zone_alloc_failures_by_order.csv",
    title: "Allocation failures by order (exact)",
    columns: ["zone", "order", "failures"],
    rows: zones.flatMap((z) =>
      z.failuresByOrder.totals.map((n, o) => [label(z), o, n] as Cell[]).filter((r) => r[2] !== 0)
    ),
  };
  const summary: TidyTable = {
    file: "zone_summary.csv",
    title: "Zone summary (exact over all samples)",
    columns: [
      "zone",
      "samples",
      "free_pages_min",
      "free_pages_max",
      "free_pages_last",
      "min_pages_last",
      "low_pages_last",
      "high_pages_last",
      "samples_at_or_below_min",
      "samples_at_or_below_low",
      "samples_at_or_below_high",
      "kswapd_wakes",
      "direct_reclaims",
      "alloc_failures",
      "largest_free_order_last",
      "unusable_index_order9_last",
    ],
    rows: sampled.map((z) => [
      label(z),
      z.pages.samples,
      z.pages.stats[0]!.min,
      z.pages.stats[0]!.max,
      z.pages.stats[0]!.last,
      z.pages.stats[1]!.last,
      z.pages.stats[2]!.last,
      z.pages.stats[3]!.last,
      z.samplesBelow.min,
      z.samplesBelow.low,
      z.samplesBelow.high,
      z.events.totals[0]!,
      z.events.totals[1]!,
      z.events.totals[2]!,
      z.largestOrder.stats[0]!.last,
      formatFragIndex(z.unusable.stats[9]?.last ?? NaN),
    ]),
  };
  out.tables.push(pages, blocks, largest, events, failures, summary);
  section.tables.push({ table: summary, maxRows: SHOWN_ROWS });
  if (names.length === 0) {
    section.notes.push("No zone samples: the replay produced no zone state.");
    return section;
  }
  const panels = { field: "zone", values: names };
  section.charts.push(
    timeSeriesChart({
      name: "zone_pages",
      title: "Free pages vs min / low / high watermarks",
      description:
        "Buddy free pages (NR_FREE_PAGES) per zone against its watermarks. Below low: kswapd is woken; below min: allocations enter direct reclaim.",
      table: pages.file,
      parse: { ts_s: "number", pages: "number" },
      y: { field: "pages", title: "pages (4 KiB)" },
      color: {
        field: "series",
        title: "series",
        type: "nominal",
        domain: Object.keys(PAGE_SERIES_COLORS),
        range: Object.values(PAGE_SERIES_COLORS),
      },
      panels,
      interpolate: "step-after",
    }),
    timeSeriesChart({
      name: "zone_free_blocks",
      title: "Free blocks per order",
      description:
        "free_area[order].nr_free per zone (what /proc/buddyinfo prints), log scale. Orders 9–10 are the pageblock-sized blocks THP and compaction need.",
      table: blocks.file,
      parse: { ts_s: "number", order: "number", free_blocks: "number" },
      y: { field: "free_blocks", title: "free blocks (log)", scale: { type: "symlog" } },
      color: { field: "order", title: "order", type: "ordinal", scheme: "viridis" },
      panels,
      interpolate: "step-after",
    }),
    timeSeriesChart({
      name: "zone_largest_order",
      title: "Largest free order",
      description: "Largest order with a free block in each zone (−1: nothing free).",
      table: largest.file,
      parse: { ts_s: "number", largest_free_order: "number" },
      y: {
        field: "largest_free_order",
        title: "order",
        scale: { domain: [-1, NR_PAGE_ORDERS - 1] },
      },
      color: { field: "zone", title: "zone", type: "nominal" },
      interpolate: "step-after",
    }),
  );
  if (events.rows.length > 0) {
    section.charts.push(countOverTimeChart({
      name: "zone_events",
      title: "Would-be kswapd wakes, direct reclaim and allocation failures",
      description:
        "Events the emulated allocator raised, counted per time bucket (exact totals in the zone summary).",
      table: events.file,
      countTitle: "events per bucket",
      color: {
        field: "event",
        title: "event",
        type: "nominal",
        domain: ["kswapd_wake", "direct_reclaim", "alloc_failure"],
        range: ["#ff7f0e", "#d62728", "#111111"],
      },
      panels: {
        field: "zone",
        values: zones.filter((z) => z.events.buckets.length > 0).map(label),
      },
    }));
  } else {
    section.notes.push(
      "No would-be kswapd wakes, direct-reclaim entries or allocation failures were recorded.",
    );
  }
  if (failures.rows.length > 0) {
    section.charts.push(barChart({
      name: "zone_alloc_failures_by_order",
      title: "Allocation failures by order",
      description: "Exact number of failed emulated allocations per order and zone.",
      table: failures.file,
      parse: { order: "number", failures: "number" },
      category: { field: "order", title: "order", type: "ordinal", domain: ORDERS },
      value: { field: "failures", title: "failures" },
      color: { field: "zone", title: "zone", type: "nominal" },
    }));
    section.tables.push({ table: failures, maxRows: SHOWN_ROWS });
  }
  return section;
}

function fragmentationSection(zones: ZoneMetricsResult[], multiNode: boolean, out: ReportContent) {
  const label = (z: ZoneMetricsResult) => zoneLabel(z, multiNode);
  const sampled = zones.filter((z) => z.pages.samples > 0);
  const section: ReportSection = {
    id: "fragmentation",
    title: "Fragmentation indexes (mm/vmstat.c)",
    notes: [
      "Unusable free space index: share of free memory in blocks too small for the order (0 = all usable, 1 = none). Extfrag index: only defined when an allocation of the order would fail; near 0 the failure is lack of memory, near 1 fragmentation (compaction helps above vm.extfrag_threshold = 0.5).",
    ],
    charts: [],
    maps: [],
    tables: [],
  };
  const unusable: TidyTable = {
    file: "zone_unusable_index.csv",
    title: "Unusable free space index per order",
    columns: ["zone", "ts_s", "order", "unusable_index"],
    rows: sampled.flatMap((z) => seriesRows(z.unusable, [label(z)], fraction, Number)),
  };
  const extfrag: TidyTable = {
    file: "zone_extfrag_index.csv",
    title: "External fragmentation index per order (−1 = allocation would succeed)",
    columns: ["zone", "ts_s", "order", "extfrag_index"],
    rows: sampled.flatMap((z) => seriesRows(z.extfrag, [label(z)], fraction, Number)),
  };
  // Exact last values per zone and order, printed like debugfs.
  const last: TidyTable = {
    file: "zone_fragmentation_last.csv",
    title: "Indexes at the last sample (as debugfs extfrag/* prints them)",
    columns: ["zone", "index", ...ORDERS.map((o) => `order_${o}`)],
    rows: sampled.flatMap((z) => [
      [label(z), "unusable", ...ORDERS.map((o) => formatFragIndex(z.unusable.stats[o]!.last))],
      [label(z), "extfrag", ...ORDERS.map((o) => formatFragIndex(z.extfrag.stats[o]!.last, 2))],
    ]),
  };
  out.tables.push(unusable, extfrag, last);
  section.tables.push({ table: last, maxRows: SHOWN_ROWS });
  if (sampled.length === 0) return section;
  const names = sampled.map(label);
  section.charts.push(timeSeriesChart({
    name: "zone_unusable_index",
    title: "Unusable free space index per order",
    description:
      "debugfs extfrag/unusable_index over time: 0 = every free page usable for the order, 1 = none.",
    table: unusable.file,
    parse: { ts_s: "number", order: "number", unusable_index: "number" },
    y: { field: "unusable_index", title: "unusable index (0–1)", scale: { domain: [0, 1] } },
    color: { field: "order", title: "order", type: "ordinal", scheme: "viridis" },
    panels: { field: "zone", values: names },
    interpolate: "step-after",
  }));
  const failing = sampled.filter((z) =>
    z.extfrag.points.some((p) => p.values.some((v) => v !== EXTFRAG_WOULD_SUCCEED))
  );
  if (failing.length > 0) {
    section.charts.push(timeSeriesChart({
      name: "zone_extfrag_index",
      title: "External fragmentation index (orders that would fail)",
      description:
        "debugfs extfrag/extfrag_index where an allocation of the order would fail (−1 values hidden). Above 0.5 the kernel would compact rather than reclaim.",
      table: extfrag.file,
      parse: { ts_s: "number", order: "number", extfrag_index: "number" },
      y: { field: "extfrag_index", title: "extfrag index" },
      color: { field: "order", title: "order", type: "ordinal", scheme: "viridis" },
      panels: { field: "zone", values: failing.map(label) },
      filter: "datum.extfrag_index != -1",
      interpolate: "step-after",
    }));
  } else {
    section.notes.push(
      "Extfrag index: an allocation of every order would have succeeded in every zone at every sample (index −1.000 throughout), so there is no extfrag chart.",
    );
  }
  return section;
}

function pageblockSection(input: ReportInput, multiNode: boolean, out: ReportContent) {
  const pb = input.metrics.pageblocks;
  const section: ReportSection = {
    id: "pageblocks",
    title: "Pageblocks and migratetype fallbacks",
    notes: [],
    charts: [],
    maps: [],
    tables: [],
  };
  const blocks: TidyTable = {
    file: "pageblocks_by_type.csv",
    title: "Pageblocks per migratetype",
    columns: ["zone", "ts_s", "migratetype", "pageblocks"],
    rows: pb.blocksByZone.flatMap((z) => seriesRows(z.blocks, [zoneLabel(z, multiNode)])),
  };
  const overTime: TidyTable = {
    file: "fallbacks_over_time.csv",
    title: "Fallbacks over time",
    columns: ["start_s", "end_s", "kind", "count"],
    rows: counterRows(pb.fallbacksOverTime, []),
  };
  const pairs: TidyTable = {
    file: "fallback_pairs.csv",
    title: "Fallbacks by allocation and fallback migratetype (exact)",
    columns: ["alloc_migratetype", "fallback_migratetype", "fragmenting", "fallbacks"],
    rows: pb.fallbackPairs.map((p) => [
      p.allocMigratetype,
      p.fallbackMigratetype,
      p.fragmenting ? "fragmenting" : "non_fragmenting",
      p.count,
    ]),
  };
  const byOrder: TidyTable = {
    file: "fallbacks_by_order.csv",
    title: "Fallbacks by order of the block taken (exact)",
    columns: ["fallback_order", "fallbacks"],
    rows: pb.fallbacksByFallbackOrder.map((n, o) => [o, n] as Cell[]).filter((r) => r[1] !== 0),
  };
  const keyTable = (file: string, title: string, key: string, list: typeof pb.byComm) => ({
    file,
    title,
    columns: [key, "fallbacks", "fragmenting", "changed_ownership"],
    rows: list.map((c) => [c.key, c.total, c.fragmenting, c.changedOwnership]),
  });
  const bySite = keyTable(
    "fallbacks_by_call_site.csv",
    "Fallbacks by call site",
    "call_site",
    pb.byCallSite,
  );
  const byComm = keyTable("fallbacks_by_comm.csv", "Fallbacks by comm", "comm", pb.byComm);
  out.tables.push(blocks, overTime, pairs, byOrder, bySite, byComm);
  const t = pb.totals;
  section.notes.push(
    `${t.fallbacks} fallbacks, ${t.fragmenting} fragmenting (a block smaller than a pageblock taken from another type's pageblock), ${t.changedOwnership} changed the pageblock's type.`,
  );
  const withBlocks = pb.blocksByZone.filter((z) => z.blocks.samples > 0);
  if (withBlocks.length > 0) {
    section.charts.push(timeSeriesChart({
      name: "pageblocks_by_type",
      title: "Pageblocks per migratetype",
      description:
        "Pageblocks (2 MiB) of each migratetype per zone, and mixed pageblocks when the replay tracks them. Unmovable/Reclaimable growth into Movable memory is what fragments a zone.",
      table: blocks.file,
      parse: { ts_s: "number", pageblocks: "number" },
      y: { field: "pageblocks", title: "pageblocks" },
      color: {
        field: "migratetype",
        title: "migratetype",
        type: "nominal",
        domain: [...MIGRATE_TYPE_NAMES, "mixed"],
        range: [...MIGRATETYPE_COLORS, "#8c564b"],
      },
      panels: { field: "zone", values: withBlocks.map((z) => zoneLabel(z, multiNode)) },
      interpolate: "step-after",
    }));
  }
  if (t.fallbacks > 0) {
    section.charts.push(
      countOverTimeChart({
        name: "fallbacks_over_time",
        title: "Migratetype fallbacks over time",
        description: "Fallbacks per time bucket, fragmenting or not.",
        table: overTime.file,
        countTitle: "fallbacks per bucket",
        color: {
          field: "kind",
          title: "kind",
          type: "nominal",
          domain: ["fragmenting", "non_fragmenting"],
          range: ["#d62728", "#9ecae1"],
        },
      }),
      barChart({
        name: "fallback_pairs",
        title: "Fallbacks by allocation → fallback migratetype",
        description: "Which migratetype asked, which one's free lists it took from.",
        table: pairs.file,
        parse: { fallbacks: "number" },
        category: { field: "pair", title: "alloc → fallback" },
        value: { field: "fallbacks", title: "fallbacks" },
        color: {
          field: "fragmenting",
          title: "kind",
          type: "nominal",
          domain: ["fragmenting", "non_fragmenting"],
          range: ["#d62728", "#9ecae1"],
        },
        horizontal: true,
      }),
    );
    // The pair label is computed in the spec so the CSV stays tidy.
    const pairChart = section.charts[section.charts.length - 1]!;
    pairChart.spec.transform = [{
      calculate: "datum.alloc_migratetype + ' → ' + datum.fallback_migratetype",
      as: "pair",
    }];
    section.tables.push({ table: pairs, maxRows: SHOWN_ROWS });
    if (byComm.rows.length) section.tables.push({ table: byComm, maxRows: SHOWN_ROWS });
    if (bySite.rows.length) section.tables.push({ table: bySite, maxRows: SHOWN_ROWS });
  }
  for (const map of input.metrics.pageblockMaps) {
    const img = renderPageblockMapImage(map);
    const table = pageblockMapTable(map);
    out.tables.push(table);
    section.maps.push(img);
    const s = summarizePageblockMap(map);
    const mapSummary: TidyTable = {
      file: `${img.name}_summary.csv`,
      title: `Pageblocks of ${map.zone} at ${map.label}: free / partial / full`,
      columns: ["migratetype", "pageblocks", "all_free", "partial", "full"],
      rows: s.perType.filter((p) => p.blocks > 0).map((p) => [
        p.migratetype,
        p.blocks,
        p.free,
        p.partial,
        p.full,
      ]),
    };
    out.tables.push(mapSummary);
    section.tables.push({ table: mapSummary, maxRows: SHOWN_ROWS });
  }
  return section;
}

function slabSection(input: ReportInput, out: ReportContent) {
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

function allocSection(input: ReportInput, out: ReportContent) {
  const mix = input.metrics.allocMix;
  const section: ReportSection = {
    id: "allocations",
    title: "Page allocation mix",
    notes: [
      `${mix.totals.allocs.toLocaleString("en-US")} page allocations, ${
        mix.totals.pages.toLocaleString("en-US")
      } pages, by ${mix.totals.comms} task names.`,
    ],
    charts: [],
    maps: [],
    tables: [],
  };
  const combos: TidyTable = {
    file: "alloc_mix.csv",
    title: "Page allocations by order × migratetype × gfp flags (exact)",
    columns: ["order", "migratetype", "gfp_flags", "allocs", "pages"],
    rows: mix.byOrderTypeGfp.map((r) => [r.order, r.migratetype, r.gfp, r.allocs, r.pages]),
  };
  const grid = new Map<string, number>();
  for (const r of mix.byOrderTypeGfp) {
    const k = `${r.order}\u0000${r.migratetype}`;
    grid.set(k, (grid.get(k) ?? 0) + r.allocs);
  }
  const orderType: TidyTable = {
    file: "alloc_by_order_type.csv",
    title: "Page allocations by order × migratetype",
    columns: ["order", "migratetype", "allocs"],
    rows: [...grid].map(([k, n]) => {
      const [o, mt] = k.split("\u0000");
      return [Number(o), mt!, n];
    }).sort((a, b) => (a[0] as number) - (b[0] as number)),
  };
  const byComm: TidyTable = {
    file: "alloc_by_comm.csv",
    title: "Page allocations by comm",
    columns: ["comm", "allocs", "pages", "high_order_allocs"],
    rows: mix.byComm.map((c) => [c.comm, c.allocs, c.pages, c.highOrderAllocs]),
  };
  out.tables.push(combos, orderType, byComm);
  if (mix.totals.allocs === 0) {
    section.notes.push("No page allocations.");
    return section;
  }
  section.charts.push(
    heatmapChart({
      name: "alloc_by_order_type",
      title: "Page allocations by order × migratetype",
      description: "Number of page allocations per order and migratetype (log colour scale).",
      table: orderType.file,
      parse: { order: "number", allocs: "number" },
      x: { field: "order", title: "order", type: "ordinal" },
      y: {
        field: "migratetype",
        title: "migratetype",
        type: "nominal",
        sort: MIGRATE_TYPE_NAMES,
      },
      value: { field: "allocs", title: "allocations" },
    }),
    barChart({
      name: "alloc_by_comm",
      title: "Pages allocated by comm",
      description: "Task names with the most pages allocated (the rest summed as “(other)”).",
      table: byComm.file,
      parse: { allocs: "number", pages: "number", high_order_allocs: "number" },
      category: { field: "comm", title: "comm", sortByValue: true },
      value: { field: "pages", title: "pages allocated (4 KiB)" },
      horizontal: true,
      tooltipExtra: [
        { field: "allocs", type: "quantitative", title: "allocations", format: "," },
        { field: "high_order_allocs", type: "quantitative", title: "order > 0", format: "," },
      ],
    }),
  );
  section.tables.push({ table: combos, maxRows: SHOWN_ROWS });
  section.tables.push({ table: byComm, maxRows: SHOWN_ROWS });
  return section;
}

function traceSection(input: ReportInput, out: ReportContent): ReportSection {
  const s = input.summary;
  const section: ReportSection = {
    id: "trace",
    title: "Trace and diagnostics",
    notes: s.notes ? [...s.notes] : [],
    charts: [],
    maps: [],
    tables: [],
  };
  if (s.eventsByName) {
    const t: TidyTable = {
      file: "events_by_name.csv",
      title: "Events by name",
      columns: ["event", "events"],
      rows: Object.entries(s.eventsByName).sort((a, b) => b[1] - a[1]),
    };
    out.tables.push(t);
    section.tables.push({ table: t, maxRows: SHOWN_ROWS });
  }
  if (s.diagnostics && s.diagnostics.length) {
    const t: TidyTable = {
      file: "diagnostics.csv",
      title: "Diagnostics",
      columns: ["code", "count", "example"],
      rows: s.diagnostics.map((d) => [d.code, d.count, d.example ?? ""]),
    };
    out.tables.push(t);
    section.tables.push({ table: t, maxRows: SHOWN_ROWS });
  }
  return section;
}

/**
 * Builds the report content from plain data.
 *
 * @example
 * ```ts
 * import { buildReportContent } from "./report_content.ts";
 * import { KmemMetrics } from "../metrics/kmem_metrics.ts";
 * const c = buildReportContent({ summary: { traceName: "t", traceFormat: "text", kernelRelease: "",
 *   firstTsNs: 0, lastTsNs: 1, events: 0, lostEvents: 0, desyncs: 0 },
 *   metrics: new KmemMetrics().finish() });
 * c.sections.map((s) => s.id); // ["zones", "fragmentation", "pageblocks", "slab", "allocations", "trace"]
 * ```
 */
export function buildReportContent(input: ReportInput): ReportContent {
  const out: ReportContent = { sections: [], tables: [], charts: [], maps: [] };
  const { firstTsNs, lastTsNs } = input.summary;
  setTimeAxis(timeAxisFormat(lastTsNs - firstTsNs), [
    nsToSeconds(firstTsNs),
    nsToSeconds(lastTsNs),
  ]);
  const zones = input.metrics.zones;
  const multiNode = new Set(zones.map((z) => z.node)).size > 1;
  out.sections.push(
    zoneSection(zones, multiNode, out),
    fragmentationSection(zones, multiNode, out),
    pageblockSection(input, multiNode, out),
    slabSection(input, out),
    allocSection(input, out),
    traceSection(input, out),
  );
  for (const s of out.sections) {
    out.charts.push(...s.charts);
    out.maps.push(...s.maps);
  }
  return out;
}
