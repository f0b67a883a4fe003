/**
 * Vega-Lite chart specifications of the report. Every spec reads its data from the CSV file next
 * to it (`data.url`), so a user can edit the `.vl.json` and re-render it with any Vega-Lite tool;
 * the report itself renders the same spec with the data inlined.
 *
 * @module
 */

// Types only (erased at run time); full npm: specifiers so mod.ts loads without the import map.
// deno-lint-ignore no-import-prefix
import type { Config, TopLevelSpec } from "npm:vega-lite@6.5.0";
// deno-lint-ignore no-import-prefix
import type { Data } from "npm:vega-lite@6.5.0/types_unstable/data.d.ts";
// deno-lint-ignore no-import-prefix
import type { Encoding } from "npm:vega-lite@6.5.0/types_unstable/encoding.d.ts";
// deno-lint-ignore no-import-prefix
import type { Scale } from "npm:vega-lite@6.5.0/types_unstable/scale.d.ts";
// deno-lint-ignore no-import-prefix
import type { Transform } from "npm:vega-lite@6.5.0/types_unstable/transform.d.ts";
// deno-lint-ignore no-import-prefix
import type { NonNormalizedSpec } from "npm:vega-lite@6.5.0/types_unstable/spec/index.d.ts";
import { MIGRATE_TYPE_NAMES } from "../kernel/constants.ts";
import { nsToSeconds } from "./csv_table.ts";

/** A Vega-Lite specification (JSON object), as vega-lite's `compile` takes it. */
export type VlSpec = TopLevelSpec;
/** A position channel (x, y) of an encoding. */
type PositionDef = NonNullable<Encoding<string>["x"]>;
/** A colour channel of an encoding. */
type ColorDef = NonNullable<Encoding<string>["color"]>;
/** One field of a tooltip. */
export type TooltipField = Extract<NonNullable<Encoding<string>["tooltip"]>, unknown[]>[number];
/** A panel of a vertically concatenated chart (or the whole chart without panels); its data
 * comes from the top level. */
type PanelSpec = NonNormalizedSpec extends infer S ? S extends unknown ? Omit<S, "data"> : never
  : never;
/** What every top-level spec of the report starts with. */
interface SpecBase {
  $schema: string;
  description: string;
  data: Data;
  config: Config;
}

/** One chart of the report. *
 * @example
 * ```ts
 * import { barChart, type ChartDef } from "./chart_spec.ts";
 * const c: ChartDef = barChart({ name: "n", title: "t", description: "", table: "n.csv",
 *   parse: {}, category: { field: "k", title: "k" }, value: { field: "v", title: "v" } });
 * ```
 */
export interface ChartDef {
  /** File stem: `<name>.vl.json`, element id `chart-<name>`. */
  name: string;
  title: string;
  /** One or two sentences shown under the title: what to look for. */
  description: string;
  /** CSV file the spec reads (`data.url`). */
  table: string;
  spec: VlSpec;
}

/** Vega-Lite schema id (only a label: nothing is fetched). */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Colours per migratetype (index = migratetype), used in charts and pageblock maps. */
export const MIGRATETYPE_COLORS = [
  "#d62728", // Unmovable: red
  "#2ca02c", // Movable: green
  "#1f77b4", // Reclaimable: blue
  "#ff7f0e", // HighAtomic: orange
  "#9467bd", // CMA: purple
  "#7f7f7f", // Isolate: grey
] as const;

/** Chart width in px (each panel). */
export const CHART_WIDTH_PX = 760;
const PANEL_HEIGHT_PX = 170;

const CONFIG: Config = {
  font: "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif",
  background: "white",
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: "normal",
    titleColor: "#333",
    gridColor: "#ececec",
  },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal" },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 13, anchor: "start", fontWeight: "bold", color: "#222" },
  view: { stroke: "#d0d0d0" },
};

/**
 * d3 format for time-axis labels of a trace spanning `spanNs`: enough decimals to tell about
 * eight ticks apart (3.3 s → ".1f", 40 ms → ".3f").
 *
 * @example
 * ```ts
 * import { timeAxisFormat } from "./chart_spec.ts";
 * [timeAxisFormat(3.3e9), timeAxisFormat(4e7)]; // [".1f", ".3f"]
 * ```
 */
export function timeAxisFormat(spanNs: number): string {
  const tickStepS = Math.max(spanNs, 1) / 1e9 / 8;
  const decimals = Math.min(9, Math.max(0, -Math.floor(Math.log10(tickStepS))));
  return `.${decimals}f`;
}

/** The time axis every time chart of a report shares: label format and the trace span. */
export interface TimeAxis {
  /** d3 format of the labels ({@linkcode timeAxisFormat}). */
  format: string;
  /** First and last event in seconds, or null for a trace with no span. */
  domainS: readonly [number, number] | null;
}

/**
 * The time axis of a trace from its first and last timestamps, so every time chart shows the
 * same range.
 *
 * @example
 * ```ts
 * import { timeAxisOf } from "./chart_spec.ts";
 * timeAxisOf(460_302_128_000, 463_629_830_000); // { format: ".1f", domainS: [460.302128, 463.62983] }
 * ```
 */
export function timeAxisOf(firstTsNs: number, lastTsNs: number): TimeAxis {
  const domainS = [nsToSeconds(firstTsNs), nsToSeconds(lastTsNs)] as const;
  return {
    format: timeAxisFormat(lastTsNs - firstTsNs),
    domainS: domainS[1] > domainS[0] ? domainS : null,
  };
}

function timeAxis(time: TimeAxis, field = "ts_s"): PositionDef {
  return {
    field,
    type: "quantitative",
    title: "trace time (s)",
    scale: { zero: false, nice: false, ...(time.domainS ? { domain: [...time.domainS] } : {}) },
    axis: { format: time.format, tickCount: 8, labelOverlap: true, labelSeparation: 6 },
  };
}

function csvData(table: string, parse: Record<string, string>): Data {
  return { url: table, format: { type: "csv", parse } };
}

/** Colour encoding of a series field. */
export interface SeriesColor {
  field: string;
  title: string;
  type: "nominal" | "ordinal";
  domain?: readonly (string | number)[];
  range?: readonly string[];
  scheme?: Scale["scheme"];
}

function colorEncoding(c: SeriesColor): ColorDef {
  const scale: Scale = {};
  if (c.domain) scale.domain = [...c.domain];
  if (c.range) scale.range = [...c.range];
  if (c.scheme) scale.scheme = c.scheme;
  return { field: c.field, type: c.type, title: c.title, scale };
}

/** Options of {@linkcode timeSeriesChart}. */
export interface TimeSeriesOptions {
  name: string;
  /** The report's time axis ({@linkcode timeAxisOf}). */
  time: TimeAxis;
  title: string;
  description: string;
  table: string;
  parse: Record<string, string>;
  y: { field: string; title: string; scale?: Scale };
  color: SeriesColor;
  /** One panel per value of this field (e.g. zone), each with its own y scale and zoom. */
  panels?: { field: string; values: readonly string[] };
  /** Vega expression rows must satisfy (e.g. hide extfrag's −1 "would succeed"). */
  filter?: string;
  /** Line interpolation, e.g. "step-after" for counts that hold until the next sample. */
  interpolate?: "linear" | "step-after" | "monotone";
  /** Extra tooltip fields beyond time, series and y. */
  tooltipExtra?: TooltipField[];
}

/**
 * Lines over trace time, one per series, optionally one panel per zone. The x scale is bound to
 * an interval selection (drag/scroll zooms time), transparent points carry the tooltips.
 *
 * @example
 * ```ts
 * import { timeAxisOf, timeSeriesChart } from "./chart_spec.ts";
 * const c = timeSeriesChart({ name: "zone_pages", time: timeAxisOf(0, 1e9), title: "Free pages", description: "",
 *   table: "zone_pages.csv", parse: { ts_s: "number", pages: "number" },
 *   y: { field: "pages", title: "pages" }, color: { field: "series", title: "series", type: "nominal" } });
 * (c.spec.data as { url: string }).url; // "zone_pages.csv"
 * ```
 */
export function timeSeriesChart(o: TimeSeriesOptions): ChartDef {
  const unit = (suffix: string, filterPanel?: [string, string]): PanelSpec => {
    const transform: Transform[] = [];
    if (filterPanel) transform.push({ filter: { field: filterPanel[0], equal: filterPanel[1] } });
    if (o.filter) transform.push({ filter: o.filter });
    const tooltip: TooltipField[] = [
      { field: "ts_s", type: "quantitative", title: "time (s)", format: ".6f" },
      ...(filterPanel
        ? [{ field: filterPanel[0], type: "nominal" as const, title: filterPanel[0] }]
        : []),
      { field: o.color.field, type: o.color.type, title: o.color.title },
      { field: o.y.field, type: "quantitative", title: o.y.title, format: ",~r" },
      ...(o.tooltipExtra ?? []),
    ];
    return {
      width: CHART_WIDTH_PX,
      height: PANEL_HEIGHT_PX,
      ...(filterPanel ? { title: `${filterPanel[1]}` } : {}),
      ...(transform.length ? { transform } : {}),
      encoding: {
        x: timeAxis(o.time),
        y: {
          field: o.y.field,
          type: "quantitative",
          title: o.y.title,
          ...(o.y.scale ? { scale: o.y.scale } : {}),
        },
        color: colorEncoding(o.color),
      },
      layer: [
        {
          mark: {
            type: "line",
            strokeWidth: 1.5,
            ...(o.interpolate ? { interpolate: o.interpolate } : {}),
          },
          params: [{
            name: `zoom${suffix}`,
            select: { type: "interval", encodings: ["x"] },
            bind: "scales",
          }],
        },
        {
          mark: { type: "point", filled: true, size: 40, opacity: 0 },
          encoding: { tooltip },
        },
      ],
    };
  };
  const base: SpecBase = {
    $schema: VEGA_LITE_SCHEMA,
    description: o.description,
    data: csvData(o.table, o.parse),
    config: CONFIG,
  };
  const spec = withPanels(base, unit, o.panels);
  return { name: o.name, title: o.title, description: o.description, table: o.table, spec };
}

/**
 * One chart, or one small chart per panel value (stacked, sharing the colour scale), from a
 * function that builds a unit spec for a panel filter.
 */
function withPanels(
  base: SpecBase,
  unit: (suffix: string, panel?: [string, string]) => PanelSpec,
  panels: { field: string; values: readonly string[] } | undefined,
): VlSpec {
  if (!panels) return { ...base, ...unit("") };
  return {
    ...base,
    vconcat: panels.values.map((v, i) => unit(`_${i}`, [panels.field, v])),
    resolve: { scale: { color: "shared" } },
  };
}

/** Options of {@linkcode barChart}. */
export interface BarOptions {
  name: string;
  title: string;
  description: string;
  table: string;
  parse: Record<string, string>;
  /** Category axis (x, or y when `horizontal`). */
  category: {
    field: string;
    title: string;
    type?: "nominal" | "ordinal";
    sortByValue?: boolean;
    domain?: readonly (string | number)[];
  };
  value: { field: string; title: string; scale?: Scale };
  color?: SeriesColor;
  horizontal?: boolean;
  tooltipExtra?: TooltipField[];
}

/**
 * Bars of a value per category (stacked by `color` when given).
 *
 * @example
 * ```ts
 * import { barChart } from "./chart_spec.ts";
 * const c = barChart({ name: "alloc_by_comm", title: "Pages by comm", description: "",
 *   table: "alloc_by_comm.csv", parse: { pages: "number" }, horizontal: true,
 *   category: { field: "comm", title: "comm", sortByValue: true },
 *   value: { field: "pages", title: "pages allocated" } });
 * (c.spec as { mark: { type: string } }).mark.type; // "bar"
 * ```
 */
export function barChart(o: BarOptions): ChartDef {
  const cat: PositionDef = {
    field: o.category.field,
    type: o.category.type ?? "nominal",
    title: o.category.title,
    ...(o.category.sortByValue ? { sort: "-" + (o.horizontal ? "x" : "y") } : {}),
    ...(o.category.domain ? { scale: { domain: [...o.category.domain] } } : {}),
    axis: { labelLimit: 260, ...(o.horizontal ? {} : { labelAngle: 0 }) },
  };
  const val: PositionDef = {
    field: o.value.field,
    type: "quantitative",
    title: o.value.title,
    ...(o.value.scale ? { scale: o.value.scale } : {}),
  };
  const tooltip: TooltipField[] = [
    { field: o.category.field, type: o.category.type ?? "nominal", title: o.category.title },
    ...(o.color ? [{ field: o.color.field, type: o.color.type, title: o.color.title }] : []),
    { field: o.value.field, type: "quantitative", title: o.value.title, format: "," },
    ...(o.tooltipExtra ?? []),
  ];
  const spec: VlSpec = {
    $schema: VEGA_LITE_SCHEMA,
    description: o.description,
    data: csvData(o.table, o.parse),
    config: CONFIG,
    width: o.horizontal ? CHART_WIDTH_PX - 260 : CHART_WIDTH_PX,
    ...(o.horizontal ? { height: { step: 16 } } : { height: 220 }),
    mark: { type: "bar", tooltip: true },
    encoding: {
      ...(o.horizontal ? { y: cat, x: val } : { x: cat, y: val }),
      ...(o.color ? { color: colorEncoding(o.color) } : {}),
      tooltip,
    },
  };
  return { name: o.name, title: o.title, description: o.description, table: o.table, spec };
}

/** Options of {@linkcode countOverTimeChart}. */
export interface CountOverTimeOptions {
  name: string;
  /** The report's time axis ({@linkcode timeAxisOf}). */
  time: TimeAxis;
  title: string;
  description: string;
  table: string;
  countTitle: string;
  color: SeriesColor;
  panels?: { field: string; values: readonly string[] };
}

/**
 * Event counts per time bucket (columns `start_s`, `end_s`, `count`), stacked by `color`.
 *
 * @example
 * ```ts
 * import { countOverTimeChart, timeAxisOf } from "./chart_spec.ts";
 * const c = countOverTimeChart({ name: "fallbacks_over_time", time: timeAxisOf(0, 1e9), title: "Fallbacks", description: "",
 *   table: "fallbacks_over_time.csv", countTitle: "fallbacks per bucket",
 *   color: { field: "kind", title: "kind", type: "nominal" } });
 * c.table; // "fallbacks_over_time.csv"
 * ```
 */
export function countOverTimeChart(o: CountOverTimeOptions): ChartDef {
  const unit = (suffix: string, panel?: [string, string]): PanelSpec => ({
    width: CHART_WIDTH_PX,
    height: 140,
    ...(panel ? { title: panel[1] } : {}),
    transform: [
      ...(panel ? [{ filter: { field: panel[0], equal: panel[1] } }] : []),
      // Explicit stack: rect marks with x/x2 are not stacked by the encoding alone.
      {
        stack: "count",
        groupby: ["start_s"],
        sort: [{ field: o.color.field }],
        as: ["count_lo", "count_hi"],
      },
    ],
    // rect, not bar: a bar with x2 gets a fixed height instead of a stacked y range.
    mark: { type: "rect", tooltip: true },
    params: [{
      name: `zoom${suffix}`,
      select: { type: "interval", encodings: ["x"] },
      bind: "scales",
    }],
    encoding: {
      x: timeAxis(o.time, "start_s"),
      x2: { field: "end_s" },
      y: { field: "count_lo", type: "quantitative", title: o.countTitle },
      y2: { field: "count_hi" },
      color: colorEncoding(o.color),
      tooltip: [
        { field: "start_s", type: "quantitative", title: "from (s)", format: ".6f" },
        { field: "end_s", type: "quantitative", title: "to (s)", format: ".6f" },
        { field: o.color.field, type: o.color.type, title: o.color.title },
        { field: "count", type: "quantitative", title: o.countTitle, format: "," },
      ],
    },
  });
  const base: SpecBase = {
    $schema: VEGA_LITE_SCHEMA,
    description: o.description,
    data: csvData(o.table, { start_s: "number", end_s: "number", count: "number" }),
    config: CONFIG,
  };
  const spec = withPanels(base, unit, o.panels);
  return { name: o.name, title: o.title, description: o.description, table: o.table, spec };
}

/** Options of {@linkcode heatmapChart}. */
export interface HeatmapOptions {
  name: string;
  title: string;
  description: string;
  table: string;
  parse: Record<string, string>;
  x: { field: string; title: string; type: "nominal" | "ordinal" };
  y: { field: string; title: string; type: "nominal" | "ordinal"; sort?: readonly string[] };
  value: { field: string; title: string };
}

/**
 * A table-like heatmap with the value written in each cell (log colour scale).
 *
 * @example
 * ```ts
 * import { heatmapChart } from "./chart_spec.ts";
 * const c = heatmapChart({ name: "alloc_order_type", title: "t", description: "",
 *   table: "alloc_order_type.csv", parse: { allocs: "number" },
 *   x: { field: "order", title: "order", type: "ordinal" },
 *   y: { field: "migratetype", title: "migratetype", type: "nominal" },
 *   value: { field: "allocs", title: "allocations" } });
 * (c.spec as { layer: unknown[] }).layer.length; // 2
 * ```
 */
export function heatmapChart(o: HeatmapOptions): ChartDef {
  const spec: VlSpec = {
    $schema: VEGA_LITE_SCHEMA,
    description: o.description,
    data: csvData(o.table, o.parse),
    config: CONFIG,
    width: { step: 56 },
    height: { step: 28 },
    encoding: {
      x: { field: o.x.field, type: o.x.type, title: o.x.title, axis: { labelAngle: 0 } },
      y: {
        field: o.y.field,
        type: o.y.type,
        title: o.y.title,
        ...(o.y.sort ? { sort: [...o.y.sort] } : {}),
      },
      // On both layers: the number drawn in a cell must not hide the cell's tooltip.
      tooltip: [
        { field: o.x.field, type: o.x.type, title: o.x.title },
        { field: o.y.field, type: o.y.type, title: o.y.title },
        { field: o.value.field, type: "quantitative", title: o.value.title, format: "," },
      ],
    },
    layer: [
      {
        mark: { type: "rect" },
        encoding: {
          color: {
            field: o.value.field,
            type: "quantitative",
            title: o.value.title,
            scale: { type: "log", scheme: "blues" },
          },
        },
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: {
          text: { field: o.value.field, type: "quantitative", format: "~s" },
          color: {
            condition: { test: `datum['${o.value.field}'] > 1000`, value: "white" },
            value: "#222",
          },
        },
      },
    ],
  };
  return { name: o.name, title: o.title, description: o.description, table: o.table, spec };
}

/**
 * The pageblock-map spec for users (rect per pageblock from the CSV); the page shows the same
 * cells as a PNG, far smaller than thousands of SVG rects.
 *
 * @example
 * ```ts
 * import { pageblockMapChart } from "./chart_spec.ts";
 * pageblockMapChart("pageblock_map_0_Normal_end", "Normal at end", 64).table;
 * // "pageblock_map_0_Normal_end.csv"
 * ```
 */
export function pageblockMapChart(name: string, title: string, columns: number): ChartDef {
  const table = `${name}.csv`;
  const description =
    "One cell per pageblock: colour = migratetype, darker = more pages in use; unknown = type or presence not measured, free pages empty where not measured.";
  const spec: VlSpec = {
    $schema: VEGA_LITE_SCHEMA,
    description,
    data: csvData(table, {
      col: "number",
      row: "number",
      start_pfn: "number",
      free_pages: "number",
      used_pct: "number",
    }),
    config: CONFIG,
    width: { step: Math.max(2, Math.floor(CHART_WIDTH_PX / columns)) },
    height: { step: Math.max(2, Math.floor(CHART_WIDTH_PX / columns)) },
    mark: { type: "rect", tooltip: true },
    encoding: {
      x: { field: "col", type: "ordinal", axis: null },
      y: { field: "row", type: "ordinal", axis: null },
      color: {
        field: "migratetype",
        type: "nominal",
        title: "migratetype",
        scale: {
          domain: [
            ...MIGRATE_TYPE_NAMES,
            "absent",
            "unknown",
            "present_type_unknown",
            "unchanged",
          ],
          range: [...MIGRATETYPE_COLORS, "#ffffff", "#e4e4e4", "#a8a8a8", "#dddddd"],
        },
      },
      opacity: {
        field: "used_pct",
        type: "quantitative",
        title: "pages in use (%)",
        scale: { domain: [0, 100], range: [0.25, 1] },
      },
      tooltip: [
        { field: "start_pfn", type: "quantitative", title: "start pfn", format: "#x" },
        { field: "migratetype", type: "nominal" },
        { field: "free_pages", type: "quantitative", title: "free pages" },
        { field: "used_pct", type: "quantitative", title: "in use (%)", format: ".1f" },
      ],
    },
  };
  return { name, title, description, table, spec };
}
