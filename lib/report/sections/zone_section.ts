/**
 * The "Zones" section: free pages against the watermarks, free blocks per order, the largest free
 * order, would-be kswapd wakes / direct reclaim / failures, and the zone summary table.
 *
 * @module
 */

import { NR_PAGE_ORDERS } from "../../kernel/constants.ts";
import { formatFragIndex } from "../../metrics/fragmentation_index.ts";
import type { ZoneMetricsResult } from "../../metrics/zone_metrics.ts";
import { barChart, countOverTimeChart, timeSeriesChart } from "../chart_spec.ts";
import type { Cell, TidyTable } from "../csv_table.ts";
import type { ReportContent, ReportSection, SectionContext } from "../report_section.ts";
import { counterRows, ORDERS, seriesRows, SHOWN_ROWS, zoneLabel } from "./section_rows.ts";

const PAGE_SERIES_COLORS: Record<string, string> = {
  free: "#111111",
  min: "#d62728",
  low: "#ff7f0e",
  high: "#2ca02c",
  boost: "#9467bd",
};

/** Builds the section and adds its tables to `out`. */
export function zoneSection(ctx: SectionContext, out: ReportContent): ReportSection {
  const zones = ctx.input.metrics.zones;
  const { multiNode } = ctx;
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
      time: ctx.time,
      name: "zone_pages",
      title: "Free pages vs min / low / high watermarks",
      description:
        "Buddy free pages (NR_FREE_PAGES) per zone against its watermarks. Below low: kswapd is woken; below min: allocations enter direct reclaim.",
      table: pages.file,
      parse: { ts_s: "number", pages: "number" },
      y: { field: "pages", title: `pages (${ctx.pageSizeLabel})` },
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
      time: ctx.time,
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
      time: ctx.time,
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
      time: ctx.time,
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
    const traced = ctx.input.metrics.reclaim?.events ?? 0;
    section.notes.push(
      traced > 0
        ? `The emulated allocator raised no would-be kswapd wake, direct-reclaim entry or allocation failure, while the trace holds ${
          traced.toLocaleString("en-US")
        } vmscan and compaction events (see “Reclaim and compaction”).`
        : "No would-be kswapd wakes, direct-reclaim entries or allocation failures were recorded.",
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
