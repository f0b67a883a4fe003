/**
 * Turns a {@linkcode ReportInput} into the report's content: tidy tables (CSV files), chart
 * specs reading them, pageblock-map pictures, and the sections of the page that show them.
 * Charts whose data is empty are left out (the section says why).
 *
 * @module
 */

import { PAGE_SIZE_4K_BYTES, PAGEBLOCK_ORDER } from "../kernel/constants.ts";
import { timeAxisOf } from "./chart_spec.ts";
import type { ReportContent, SectionContext } from "./report_section.ts";
import type { ReportInput } from "./report_input.ts";
import { binarySizeLabel } from "./sections/section_rows.ts";
import { allocSection } from "./sections/alloc_section.ts";
import { fragmentationSection } from "./sections/fragmentation_section.ts";
import { pageblockSection } from "./sections/pageblock_section.ts";
import { reclaimSection } from "./sections/reclaim_section.ts";
import { slabSection } from "./sections/slab_section.ts";
import { traceSection } from "./sections/trace_section.ts";
import { zoneSection } from "./sections/zone_section.ts";

export type { ReportContent, ReportSection, ShownTable } from "./report_section.ts";

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
 * c.sections.map((s) => s.id); // ["zones", "reclaim", "fragmentation", "pageblocks", "slab", "allocations", "trace"]
 * ```
 */
export function buildReportContent(input: ReportInput): ReportContent {
  const out: ReportContent = { sections: [], tables: [], charts: [], maps: [] };
  const { firstTsNs, lastTsNs } = input.summary;
  const zones = input.metrics.zones;
  const pageSizeBytes = input.machine?.pageSizeBytes ?? PAGE_SIZE_4K_BYTES;
  const pageblockOrder = input.machine?.pageblockOrder ?? PAGEBLOCK_ORDER;
  const ctx: SectionContext = {
    input,
    multiNode: new Set(zones.map((z) => z.node)).size > 1,
    time: timeAxisOf(firstTsNs, lastTsNs),
    pageSizeLabel: binarySizeLabel(pageSizeBytes),
    pageblockSizeLabel: binarySizeLabel(pageSizeBytes * 2 ** pageblockOrder),
  };
  out.sections.push(
    zoneSection(ctx, out),
    reclaimSection(ctx, out),
    fragmentationSection(ctx, out),
    pageblockSection(ctx, out),
    slabSection(ctx, out),
    allocSection(ctx, out),
    traceSection(ctx, out),
  );
  for (const s of out.sections) {
    out.charts.push(...s.charts);
    out.maps.push(...s.maps);
  }
  return out;
}
