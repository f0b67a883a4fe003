/**
 * The "Trace and diagnostics" section: events per name and the diagnostics of the import.
 *
 * @module
 */

import type { TidyTable } from "../csv_table.ts";
import type { ReportContent, ReportSection, SectionContext } from "../report_section.ts";
import { SHOWN_ROWS } from "./section_rows.ts";

/** Builds the section and adds its tables to `out`. */
export function traceSection(ctx: SectionContext, out: ReportContent): ReportSection {
  const { input } = ctx;
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
