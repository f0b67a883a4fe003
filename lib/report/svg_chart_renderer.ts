/**
 * Server-side rendering of a Vega-Lite chart to SVG (vega + vega-lite, headless renderer), so
 * the report page shows every chart with scripts off.
 *
 * @module
 */

// Full npm: specifiers (versions as in deno.json): a script outside the repository has no
// import map, and mod.ts must still load.
// deno-lint-ignore no-import-prefix
import * as vega from "npm:vega@6.4.0";
// deno-lint-ignore no-import-prefix
import { compile } from "npm:vega-lite@6.5.0";
import type { VlSpec } from "./chart_spec.ts";

/**
 * The spec with its `data.url` replaced by the CSV text inline (same format/parse), as the
 * page and the renderer use it: no loader, no file or network access.
 *
 * @example
 * ```ts
 * import { inlineCsvData } from "./svg_chart_renderer.ts";
 * const s = inlineCsvData({ data: { url: "a.csv", format: { type: "csv" } }, mark: "bar" }, "x\n1");
 * s.data; // { values: "x\n1", format: { type: "csv" } }
 * ```
 */
export function inlineCsvData(spec: VlSpec, csv: string): VlSpec {
  const data = spec.data;
  if (!data || !("url" in data)) return spec;
  return { ...spec, data: { values: csv, format: data.format } };
}

/** True for the invisible point layers that only carry tooltips. */
function isTooltipLayer(layer: unknown): boolean {
  const mark = (layer as { mark?: { type?: string; opacity?: number } }).mark;
  return typeof mark === "object" && mark.type === "point" && mark.opacity === 0;
}

/**
 * The spec without its invisible tooltip layers: a static picture does not need them, and
 * thousands of invisible symbols would dominate the SVG's size.
 *
 * @example
 * ```ts
 * import { withoutTooltipLayers } from "./svg_chart_renderer.ts";
 * withoutTooltipLayers({ layer: [{ mark: "line" }, { mark: { type: "point", opacity: 0 } }] });
 * // { layer: [{ mark: "line" }] }
 * ```
 */
export function withoutTooltipLayers(spec: VlSpec): VlSpec {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === "layer" && Array.isArray(v)
        ? v.filter((l) => !isTooltipLayer(l)).map(strip)
        : strip(v);
    }
    return out;
  };
  // Data values (CSV text) are strings: the walk leaves them alone.
  return strip(spec) as VlSpec;
}

/**
 * Renders a Vega-Lite spec whose data is inline to an SVG string.
 *
 * @example
 * ```ts
 * import { renderSvg } from "./svg_chart_renderer.ts";
 * const svg = await renderSvg({ data: { values: [{ a: 1 }] }, mark: "point",
 *   encoding: { x: { field: "a", type: "quantitative" } } });
 * svg.startsWith("<svg"); // true
 * ```
 */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
