import assert from "node:assert/strict";
import {
  countOverTimeChart,
  timeAxisFormat,
  timeAxisOf,
  timeSeriesChart,
} from "../../lib/report/chart_spec.ts";
import {
  inlineCsvData,
  renderSvg,
  withoutTooltipLayers,
} from "../../lib/report/svg_chart_renderer.ts";

const csv = "zone,ts_s,series,pages\nDMA,460.302128,free,3840\nDMA,463.62983,free,3840\n" +
  "DMA,460.302128,min,33\nDMA,463.62983,min,33\n" +
  "Normal,460.302128,free,267995\nNormal,463.62983,free,241722\n";

Deno.test("time charts read their CSV by url and render to SVG with one line per series", async () => {
  const chart = timeSeriesChart({
    name: "zone_pages",
    time: timeAxisOf(460_302_128_000, 463_629_830_000),
    title: "Free pages",
    description: "d",
    table: "zone_pages.csv",
    parse: { ts_s: "number", pages: "number" },
    y: { field: "pages", title: "pages (4 KiB)" },
    color: { field: "series", title: "series", type: "nominal" },
    panels: { field: "zone", values: ["DMA", "Normal"] },
  });
  assert.deepEqual(chart.spec.data, {
    url: "zone_pages.csv",
    format: { type: "csv", parse: { ts_s: "number", pages: "number" } },
  });
  const svg = await renderSvg(withoutTooltipLayers(inlineCsvData(chart.spec, csv)));
  // DMA panel: free + min lines; Normal panel: free line.
  assert.equal(svg.match(/aria-roledescription="line mark"/g)?.length, 3);
  assert.ok(svg.includes("pages (4 KiB)"));
  assert.ok(svg.includes("trace time (s)"));
  assert.ok(!svg.includes('aria-roledescription="point"'), "tooltip points stripped");
});

Deno.test("event counts are stacked rects from bucket start to end", async () => {
  const chart = countOverTimeChart({
    name: "c",
    time: timeAxisOf(1e9, 2e9),
    title: "t",
    description: "",
    table: "c.csv",
    countTitle: "events per bucket",
    color: { field: "event", title: "event", type: "nominal" },
  });
  const data = "start_s,end_s,event,count\n1,2,a,2\n1,2,b,3\n";
  const svg = await renderSvg(inlineCsvData(chart.spec, data));
  // Two rects in one bucket, stacked: a from 0 to 2, b from 2 to 5 of a 140 px high plot.
  const rects = [
    ...svg.matchAll(/aria-roledescription="rect mark" d="M[\d.]+,([\d.]+)h[\d.]+v([\d.]+)/g),
  ]
    .map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
  assert.equal(rects.length, 2);
  const top = Math.min(...rects.map((r) => r[0]));
  const height = rects.reduce((a, r) => a + r[1], 0);
  assert.equal(Math.round(top), 0);
  assert.equal(Math.round(height), 140);
  assert.deepEqual(rects.map((r) => Math.round(r[1] / 28)).sort(), [2, 3]);
});

Deno.test("time axis labels get enough decimals for about eight ticks", () => {
  assert.equal(timeAxisFormat(3.3276e9), ".1f"); // the mixed trace: 3.33 s
  assert.equal(timeAxisFormat(40e6), ".3f");
  assert.equal(timeAxisFormat(600e9), ".0f");
});

Deno.test("each chart carries its own time axis: two traces, two domains, no shared state", () => {
  type Spec = { encoding: { x: { scale: { domain?: number[] }; axis: { format: string } } } };
  const chart = (firstNs: number, lastNs: number) =>
    (timeSeriesChart({
      name: "n",
      time: timeAxisOf(firstNs, lastNs),
      title: "t",
      description: "",
      table: "n.csv",
      parse: {},
      y: { field: "pages", title: "pages" },
      color: { field: "series", title: "series", type: "nominal" },
    }).spec as Spec).encoding;
  // The mixed trace's span (460.302128 … 463.62983 s), then a 40 ms trace built after it.
  const mixed = chart(460_302_128_000, 463_629_830_000);
  const short = chart(1_000_000_000, 1_040_000_000);
  assert.deepEqual(mixed.x.scale.domain, [460.302128, 463.62983]);
  assert.equal(mixed.x.axis.format, ".1f");
  assert.deepEqual(short.x.scale.domain, [1, 1.04]);
  assert.equal(short.x.axis.format, ".3f");
  // A trace of one instant has no span: the scale fits the data.
  assert.equal(timeAxisOf(5e9, 5e9).domainS, null);
});
