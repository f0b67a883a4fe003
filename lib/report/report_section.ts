/**
 * The shapes the report's sections are built into: a section of the page, the tables it shows,
 * the whole content, and the context every section builder reads.
 *
 * @module
 */

import type { ChartDef, TimeAxis } from "./chart_spec.ts";
import type { TidyTable } from "./csv_table.ts";
import type { PageblockMapImage } from "./pageblock_map_image.ts";
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

/** What every section builder reads besides the metrics. */
export interface SectionContext {
  input: ReportInput;
  /** Zones are labelled `node/zone` when the machine has more than one node. */
  multiNode: boolean;
  /** The trace's time axis, shared by every time chart. */
  time: TimeAxis;
  /** `4 KiB` for 4 KiB pages: the unit of page counts in axis titles. */
  pageSizeLabel: string;
  /** `2 MiB` for order-9 pageblocks of 4 KiB pages. */
  pageblockSizeLabel: string;
}
