/**
 * `buildReport(input)`: every file of a report directory, as data. Only cli.ts writes them.
 *
 * Files: one CSV per metric table (tidy, units in column names), one `<chart>.vl.json` per chart
 * (Vega-Lite, `data.url` = the CSV next to it), `index.html` (self-contained offline page with
 * server-rendered SVG charts, made interactive by the inlined vega-embed), `summary.json`.
 *
 * @module
 */

import { pageblockMapChart } from "./chart_spec.ts";
import { summarizePageblockMap } from "../metrics/pageblock_map.ts";
import { tableToCsv } from "./csv_table.ts";
import { type RenderedChart, renderHtmlPage } from "./html_page.ts";
import { loadReportAssets, type ReportAssets } from "./report_assets.ts";
import { buildReportContent } from "./report_content.ts";
import type { ReportInput } from "./report_input.ts";
import { inlineCsvData, renderSvg, withoutTooltipLayers } from "./svg_chart_renderer.ts";

/** The report's files: name → text or bytes. *
 * @example
 * ```ts
 * import type { ReportFiles } from "./build_report.ts";
 * const r: ReportFiles = { files: new Map([["summary.json", "{}\n"]]) };
 * ```
 */
export interface ReportFiles {
  files: Map<string, string | Uint8Array>;
}

/** Options of {@linkcode buildReport}. */
export interface BuildReportOptions {
  /** Browser bundles to inline (default: read once from node_modules). */
  assets?: ReportAssets;
}

/**
 * Builds every file of the report from plain data.
 *
 * @example
 * ```ts
 * import { buildReport } from "./build_report.ts";
 * import { KmemMetrics } from "../metrics/kmem_metrics.ts";
 * const m = new KmemMetrics();
 * m.addPageAlloc(0, 1, 0x100cca, "bash");
 * const { files } = await buildReport({ summary: { traceName: "t.txt", traceFormat: "text",
 *   kernelRelease: "6.18", firstTsNs: 0, lastTsNs: 1e9, events: 1, lostEvents: 0, desyncs: 0 },
 *   metrics: m.finish() });
 * files.has("index.html") && files.has("alloc_mix.csv") && files.has("summary.json"); // true
 * ```
 */
export async function buildReport(
  input: ReportInput,
  options: BuildReportOptions = {},
): Promise<ReportFiles> {
  const assets = options.assets ?? await loadReportAssets();
  const content = buildReportContent(input);
  const files = new Map<string, string | Uint8Array>();
  const csvByFile = new Map<string, string>();
  for (const t of content.tables) {
    const csv = tableToCsv(t);
    csvByFile.set(t.file, csv);
    files.set(t.file, csv + "\n");
  }
  const rendered: RenderedChart[] = [];
  for (const chart of content.charts) {
    files.set(`${chart.name}.vl.json`, JSON.stringify(chart.spec, null, 2) + "\n");
    const inlineSpec = inlineCsvData(chart.spec, csvByFile.get(chart.table) ?? "");
    rendered.push({ chart, svg: await renderSvg(withoutTooltipLayers(inlineSpec)), inlineSpec });
  }
  for (const m of content.maps) {
    const spec = pageblockMapChart(m.name, m.title, m.columns).spec;
    files.set(`${m.name}.vl.json`, JSON.stringify(spec, null, 2) + "\n");
    files.set(`${m.name}.png`, m.png);
  }
  files.set("summary.json", JSON.stringify(summaryJson(input), null, 2) + "\n");
  files.set("index.html", renderHtmlPage(input, content, rendered, assets));
  return { files };
}

/** Exact totals for scripts: trace facts and whole-run numbers, no downsampled series. */
function summaryJson(input: ReportInput): Record<string, unknown> {
  const m = input.metrics;
  return {
    trace: input.summary,
    zones: m.zones.map((z) => ({
      node: z.node,
      zone: z.zone,
      samples: z.pages.samples,
      freePages: z.pages.stats[0],
      watermarksLast: {
        min: z.pages.stats[1]?.last,
        low: z.pages.stats[2]?.last,
        high: z.pages.stats[3]?.last,
      },
      samplesAtOrBelow: z.samplesBelow,
      events: Object.fromEntries(z.events.keys.map((k, i) => [k, z.events.totals[i]])),
      allocFailuresByOrder: z.failuresByOrder.totals,
      freeBlocksLast: z.lastFreeBlocks,
      unusableIndexLast: z.unusable.stats.map((s) => s.last),
      extfragIndexLast: z.extfrag.stats.map((s) => s.last),
    })),
    pageblocks: {
      fallbacks: m.pageblocks.totals,
      fallbackPairs: m.pageblocks.fallbackPairs,
      fallbacksByFallbackOrder: m.pageblocks.fallbacksByFallbackOrder,
      maps: m.pageblockMaps.map((p) => {
        const s = summarizePageblockMap(p);
        return {
          node: p.node,
          zone: p.zone,
          label: p.label,
          tsNs: p.tsNs,
          // Counts per type (pagetypeinfo, or the model's when estimated), located cells.
          counts: Object.fromEntries(s.perType.map((t) => [t.migratetype, t.blocks])),
          located: Object.fromEntries(s.perType.map((t) => [t.migratetype, t.located ?? 0])),
          countsSource: p.countsSource ?? "model",
          countsEstimated: (p.countsSource ?? "model") === "model",
          unknownBlocks: s.unknown ?? 0,
          absentBlocks: s.absent,
          positionsEstimated: p.estimated === true,
          difference: p.difference === true,
        };
      }),
    },
    slab: {
      caches: m.slab.caches.length,
      wasteBytesLast: m.slab.caches.reduce((a, c) => a + c.lastWasteBytes, 0),
      leakCandidates: m.slab.leakCandidates.length,
    },
    allocations: {
      totals: m.allocMix.totals,
      byOrder: m.allocMix.allocsByOrder,
      byMigratetype: m.allocMix.allocsByMigratetype,
    },
    reclaim: m.reclaim
      ? {
        events: m.reclaim.events,
        byContext: m.reclaim.byContext.map((c) => ({
          ...c,
          efficiency: Number.isNaN(c.efficiency) ? null : c.efficiency,
        })),
        shrinkers: m.reclaim.shrinkers,
        compaction: m.reclaim.compaction,
        stalls: m.reclaim.stalls,
        throttled: m.reclaim.throttled,
        writeFolios: m.reclaim.writeFolios,
        isolateByLru: m.reclaim.isolateByLru,
      }
      : null,
  };
}
