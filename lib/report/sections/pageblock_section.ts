/**
 * The "Pageblocks" section: pageblocks per migratetype over time, migratetype fallbacks, and the
 * pageblock-map pictures.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES } from "../../kernel/constants.ts";
import { summarizePageblockMap } from "../../metrics/pageblock_map.ts";
import {
  barChart,
  countOverTimeChart,
  MIGRATETYPE_COLORS,
  type SeriesColor,
  timeSeriesChart,
} from "../chart_spec.ts";
import type { Cell, TidyTable } from "../csv_table.ts";
import { pageblockMapTable, renderPageblockMapImage } from "../pageblock_map_image.ts";
import type { ReportContent, ReportSection, SectionContext } from "../report_section.ts";
import { counterRows, seriesRows, SHOWN_ROWS, zoneLabel } from "./section_rows.ts";

/** Colours of the fallback kind, shared by the over-time and the pairs chart. */
const FALLBACK_KIND_COLOR: Omit<SeriesColor, "field"> = {
  title: "kind",
  type: "nominal",
  domain: ["fragmenting", "non_fragmenting"],
  range: ["#d62728", "#9ecae1"],
};

/** Builds the section and adds its tables to `out`. */
export function pageblockSection(ctx: SectionContext, out: ReportContent): ReportSection {
  const { multiNode } = ctx;
  const { input } = ctx;
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
      time: ctx.time,
      name: "pageblocks_by_type",
      title: "Pageblocks per migratetype (model, estimated)",
      description:
        `Estimated: the model's pageblocks (${ctx.pageblockSizeLabel}) of each migratetype per zone over its whole span, starting from the snapshot's counts spread over the zone and corrected as events show types; /proc/pagetypeinfo's own counts are in the maps below. Unmovable/Reclaimable growth into Movable memory is what fragments a zone.`,
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
        time: ctx.time,
        name: "fallbacks_over_time",
        title: "Migratetype fallbacks over time",
        description: "Fallbacks per time bucket, fragmenting or not.",
        table: overTime.file,
        countTitle: "fallbacks per bucket",
        color: { field: "kind", ...FALLBACK_KIND_COLOR },
      }),
      barChart({
        name: "fallback_pairs",
        title: "Fallbacks by allocation → fallback migratetype",
        description: "Which migratetype asked, which one's free lists it took from.",
        table: pairs.file,
        parse: { fallbacks: "number" },
        category: { field: "pair", title: "alloc → fallback" },
        value: { field: "fallbacks", title: "fallbacks" },
        color: { field: "fragmenting", ...FALLBACK_KIND_COLOR },
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
    // Free / partial / full only over located blocks whose free pages were measured.
    const source = s.countsSource === "model" ? "model (estimated)" : s.countsSource ?? "model";
    const mapSummary: TidyTable = {
      file: `${img.name}_summary.csv`,
      title: map.difference
        ? `Pageblocks of ${map.zone}, ${map.label}: change per migratetype`
        : `Pageblocks of ${map.zone} at ${map.label}: free / partial / full where measured`,
      columns: [
        "migratetype",
        "pageblocks",
        "all_free",
        "partial",
        "full",
        "located",
        "free_unknown",
        "counts_source",
      ],
      rows: s.perType.filter((p) => p.blocks !== 0 || (p.located ?? 0) > 0).map((p) => [
        p.migratetype,
        p.blocks,
        map.difference ? "" : p.free,
        map.difference ? "" : p.partial,
        map.difference ? "" : p.full,
        p.located ?? p.blocks,
        map.difference ? "" : p.freeUnknown ?? 0,
        source,
      ]),
    };
    out.tables.push(mapSummary);
    section.tables.push({ table: mapSummary, maxRows: SHOWN_ROWS });
  }
  return section;
}
