/**
 * The "Page allocation mix" section: allocations per order × migratetype, GFP-flag combinations
 * and pages per comm.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES } from "../../kernel/constants.ts";
import { barChart, heatmapChart } from "../chart_spec.ts";
import type { TidyTable } from "../csv_table.ts";
import type { ReportContent, ReportSection, SectionContext } from "../report_section.ts";
import { SHOWN_ROWS } from "./section_rows.ts";

/** Builds the section and adds its tables to `out`. */
export function allocSection(ctx: SectionContext, out: ReportContent): ReportSection {
  const { input } = ctx;
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
      value: { field: "pages", title: `pages allocated (${ctx.pageSizeLabel})` },
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
