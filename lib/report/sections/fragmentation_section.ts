/**
 * The "Fragmentation indexes" section: unusable-free-space and external-fragmentation indexes per
 * order over time (mm/vmstat.c).
 *
 * @module
 */

import { EXTFRAG_WOULD_SUCCEED, formatFragIndex } from "../../metrics/fragmentation_index.ts";
import type { ZoneMetricsResult } from "../../metrics/zone_metrics.ts";
import { timeSeriesChart } from "../chart_spec.ts";
import type { TidyTable } from "../csv_table.ts";
import type { ReportContent, ReportSection, SectionContext } from "../report_section.ts";
import { fraction, ORDERS, seriesRows, SHOWN_ROWS, zoneLabel } from "./section_rows.ts";

/** Builds the section and adds its tables to `out`. */
export function fragmentationSection(ctx: SectionContext, out: ReportContent): ReportSection {
  const zones = ctx.input.metrics.zones;
  const { multiNode } = ctx;
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
    time: ctx.time,
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
      time: ctx.time,
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
