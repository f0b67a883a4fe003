/**
 * The report page: one self-contained, offline HTML file. Charts are inline SVG rendered at
 * report time (readable with scripts off); with scripts on, each chart is upgraded to an
 * interactive vega-embed view (tooltips, zoom on time) when it scrolls into view, tables sort on
 * a header click, and pageblock maps show the block under the pointer. A Content-Security-Policy
 * forbids every network request. All trace text is escaped.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { ChartDef, VlSpec } from "./chart_spec.ts";
import { MIGRATETYPE_COLORS } from "./chart_spec.ts";
import { type Cell, nsToSeconds } from "./csv_table.ts";
import { escapeHtml, jsonForScript, scriptForInline, visibleBidi } from "./html_escape.ts";
import type { PageblockMapImage } from "./pageblock_map_image.ts";
import type { ReportAssets } from "./report_assets.ts";
import type { ReportContent, ShownTable } from "./report_content.ts";
import type { ReportInput } from "./report_input.ts";
import { MIGRATE_TYPE_NAMES } from "../kernel/constants.ts";
import type { MemoryVerdict } from "../metrics/memory_verdict.ts";
import { causeLabel, rankText } from "./text/verdict_text.ts";

/** A rendered chart: its definition, static SVG, and the spec with the CSV inlined. */
export interface RenderedChart {
  chart: ChartDef;
  svg: string;
  inlineSpec: VlSpec;
}

const CSS = `
:root{--fg:#1d1d1f;--muted:#5f6368;--line:#e3e3e3;--card:#f7f8fa;--accent:#0b57d0;--warn:#b3261e}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:#fff}
header{padding:20px 32px 8px;border-bottom:1px solid var(--line)}
h1{font-size:22px;margin:0 0 2px}
.sub{color:var(--muted);margin:0}
.sub code{font-size:13px}
main{padding:0 32px 40px;max-width:1180px}
nav{padding:8px 32px;border-bottom:1px solid var(--line);position:sticky;top:0;background:#fff;z-index:5;font-size:13px}
nav a{margin-right:16px;color:var(--accent);text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;padding:16px 32px;max-width:1180px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .k{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.card .v{font-size:20px;font-weight:600;margin-top:2px;overflow-wrap:anywhere}
.card.text .v{font-size:15px;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-weight:500}
.card.wide{grid-column:span 2}
.card .d{font-size:12px;color:var(--muted)}
.card.warn{border-color:#f2b8b5;background:#fdf0ef}.card.warn .v{color:var(--warn)}
.card.ok .v{color:#146c2e}
.verdict{padding:14px 32px 4px;max-width:1180px}
.verdict h2{margin:0 0 6px;padding:0;border:0}
.verdict p{margin:3px 0}
.verdict table{margin:6px 0 8px}
.verdict td.cause{font-weight:600}
.verdict td.fragmentation,.verdict td.lack-of-memory{color:var(--warn)}
.verdict td.no-shortage{color:#146c2e}
h2{font-size:18px;margin:28px 0 6px;padding-top:8px;border-top:2px solid var(--line)}
h3{font-size:15px;margin:0 0 2px}
p.note{margin:4px 0 10px;color:#333;max-width:900px}
figure{margin:16px 0 22px;padding:12px 14px;border:1px solid var(--line);border-radius:8px}
figcaption p{margin:0 0 8px;color:var(--muted);max-width:900px}
.vis{overflow-x:auto;min-height:60px}
.vis svg{max-width:100%;height:auto}
.files{font-size:12px;color:var(--muted);margin:6px 0 0}
.files a{color:var(--accent)}
.tablewrap{margin:14px 0 22px;overflow-x:auto}
table{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;white-space:nowrap}
td.num,th.num{text-align:right}
th{background:var(--card);position:sticky;top:0;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.txt{font-family:ui-monospace,"DejaVu Sans Mono",monospace;max-width:520px;overflow:hidden;text-overflow:ellipsis}
.pbmap img{image-rendering:pixelated;border:1px solid var(--line);max-width:100%}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;border-radius:2px}
.readout{font:12px ui-monospace,"DejaVu Sans Mono",monospace;color:#333;min-height:18px;margin-top:4px}
footer{color:var(--muted);font-size:12px;padding:16px 32px;border-top:1px solid var(--line)}
#vg-tooltip-element{font-size:12px}
`;

// Small page script: runs after the vega bundles. Kept dependency-free and short.
const APP_JS = `
(function(){
  var data = JSON.parse(document.getElementById('kmem-data').textContent);
  // Sortable tables.
  document.querySelectorAll('table.sortable').forEach(function(table){
    var ths = table.querySelectorAll('th');
    ths.forEach(function(th, col){
      th.setAttribute('tabindex','0');
      function sort(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        ths.forEach(function(h){ h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
          var nx = parseFloat(x), ny = parseFloat(y);
          var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
          return asc ? r : -r;
        });
        rows.forEach(function(r){ body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function(e){ if (e.key === 'Enter') sort(); });
    });
  });
  // Interactive charts: upgrade the static SVG when the chart comes into view.
  // Canvas: thousands of invisible tooltip points cost nothing there, unlike SVG nodes.
  var opts = {renderer: 'canvas', actions: {export: true, source: false, compiled: false, editor: false},
    tooltip: {theme: 'light'}};
  window.kmemChartsReady = 0;
  window.kmemViews = {};
  function upgrade(fig){
    if (fig.getAttribute('data-state')) return;
    fig.setAttribute('data-state', 'loading');
    var spec = data.charts[fig.getAttribute('data-chart')];
    var holder = fig.querySelector('.vis');
    var target = document.createElement('div');
    vegaEmbed(target, spec, opts).then(function(result){
      holder.replaceChildren(target);
      window.kmemViews[fig.getAttribute('data-chart')] = result.view;
      fig.setAttribute('data-state', 'interactive');
      window.kmemChartsReady++;
    }).catch(function(err){
      fig.setAttribute('data-state', 'static');
      console.warn('chart ' + fig.getAttribute('data-chart') + ' stays static: ' + err);
    });
  }
  var figs = document.querySelectorAll('figure[data-chart]');
  if (typeof vegaEmbed === 'function') {
    if ('IntersectionObserver' in window) {
      var io = new IntersectionObserver(function(entries){
        entries.forEach(function(e){ if (e.isIntersecting) { io.unobserve(e.target); upgrade(e.target); } });
      }, {rootMargin: '300px'});
      figs.forEach(function(f){ io.observe(f); });
    } else figs.forEach(upgrade);
  }
  window.kmemUpgradeAll = function(){ figs.forEach(upgrade); };
  // Pageblock maps: show the block under the pointer.
  document.querySelectorAll('figure[data-map]').forEach(function(fig){
    var m = data.maps[fig.getAttribute('data-map')];
    var raw = atob(m.cells);
    var img = fig.querySelector('img'), out = fig.querySelector('.readout');
    img.addEventListener('mousemove', function(e){
      var r = img.getBoundingClientRect();
      var col = Math.floor((e.clientX - r.left) / r.width * m.columns);
      var row = Math.floor((e.clientY - r.top) / r.height * m.rows);
      var i = row * m.columns + col;
      if (col < 0 || col >= m.columns || i < 0 || i * 3 >= raw.length) { out.textContent = ''; return; }
      var mt = raw.charCodeAt(i * 3), free = raw.charCodeAt(i * 3 + 1) | (raw.charCodeAt(i * 3 + 2) << 8);
      var pfn = m.startPfn + i * m.pagesPerBlock;
      out.textContent = 'pageblock ' + i + '  pfn 0x' + pfn.toString(16) + '  ' +
        (mt === 255 ? 'absent' : mt === 254 ? 'unknown (not measured)' :
          mt === 252 ? 'present, type not measured' :
          mt === 253 ? 'type unchanged' : m.types[mt] +
          (free === 65535 ? '  free pages unknown' : '  free ' + free + '/' + m.pagesPerBlock + ' pages'));
    });
  });
})();
`;

function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

// The page is complete and painted before ≈840 KB of chart library is even parsed: the libraries
// are inert script blocks run after the load event.
const BOOT_JS = `
window.addEventListener('load', function(){
  setTimeout(function(){
    ['lib-vega','lib-vega-lite','lib-vega-embed','lib-app'].forEach(function(id){
      var s = document.createElement('script');
      s.textContent = document.getElementById(id).textContent;
      document.body.appendChild(s);
    });
  }, 0);
});
`;

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";
}

function card(key: string, value: string, detail = "", cls = ""): string {
  return `<div class="card${cls ? " " + cls : ""}"><div class="k">${escapeHtml(key)}</div>` +
    `<div class="v">${escapeHtml(value)}</div>` +
    (detail ? `<div class="d">${escapeHtml(detail)}</div>` : "") + `</div>`;
}

function isNumeric(v: Cell): boolean {
  return typeof v === "number";
}

function renderTable(shown: ShownTable): string {
  const t = shown.table;
  const rows = t.rows.slice(0, shown.maxRows);
  const numericCol = t.columns.map((_, c) =>
    rows.length > 0 && rows.every((r) => isNumeric(r[c]!))
  );
  const head = t.columns.map((c, i) =>
    `<th scope="col"${numericCol[i] ? ' class="num"' : ""}>${escapeHtml(c)}</th>`
  ).join("");
  const body = rows.map((r) =>
    "<tr>" + r.map((v, i) => {
      const text = typeof v === "number" ? fmtNumberCell(v) : String(v);
      const cls = numericCol[i] ? "num" : "txt";
      return `<td class="${cls}" data-v="${escapeHtml(String(v))}" title="${
        escapeHtml(String(v))
      }">${escapeHtml(text)}</td>`;
    }).join("") + "</tr>"
  ).join("\n");
  const more = t.rows.length > rows.length
    ? `Showing ${rows.length} of ${fmtInt(t.rows.length)} rows. `
    : "";
  return `<div class="tablewrap"><h3>${escapeHtml(t.title)}</h3>` +
    `<table class="sortable"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>` +
    `<p class="files">${more}Full table: <a href="${escapeHtml(t.file)}">${
      escapeHtml(t.file)
    }</a> (sort: click a column header)</p></div>`;
}

function fmtNumberCell(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) >= 10000) return v.toLocaleString("en-US");
  return String(v);
}

function renderChart(r: RenderedChart): string {
  const c = r.chart;
  return `<figure class="chart" id="chart-${escapeHtml(c.name)}" data-chart="${
    escapeHtml(c.name)
  }">` +
    `<figcaption><h3>${escapeHtml(c.title)}</h3><p>${escapeHtml(c.description)}</p></figcaption>` +
    `<div class="vis">${visibleBidi(r.svg)}</div>` +
    `<p class="files">Data: <a href="${escapeHtml(c.table)}">${escapeHtml(c.table)}</a> · ` +
    `Vega-Lite spec: <a href="${escapeHtml(c.name)}.vl.json">${escapeHtml(c.name)}.vl.json</a>` +
    ` · drag or scroll on a time axis to zoom, double-click to reset</p></figure>`;
}

function renderMap(m: PageblockMapImage): string {
  const legend =
    MIGRATE_TYPE_NAMES.map((n, i) =>
      `<span><i style="background:${MIGRATETYPE_COLORS[i]}"></i>${escapeHtml(n)}</span>`
    ).join("") + `<span><i style="background:#fff;border:1px solid #ccc"></i>absent</span>` +
    `<span><i style="background:repeating-linear-gradient(45deg,#c8c8c8 0 1px,#eee 1px 4px)">` +
    `</i>unknown: type or presence not measured</span>` +
    `<span><i style="background:repeating-linear-gradient(45deg,#808080 0 1px,#c4c4c4 1px 4px)">` +
    `</i>present, type not measured</span>` +
    (m.difference
      ? `<span><i style="background:#ddd"></i>unchanged</span>` +
        `<span>coloured = changed to that type during the trace</span>`
      : `<span>light = mostly free, dark = full; white stripes = free pages not measured</span>`);
  const width = m.columns * m.cellPx;
  const height = m.rows * m.cellPx;
  return `<figure class="pbmap" data-map="${escapeHtml(m.name)}">` +
    `<figcaption><h3>Pageblock map: ${
      escapeHtml(m.title)
    }</h3><p>One cell per pageblock (${m.pagesPerBlock} pages), ${m.columns} per row from pfn 0x${
      m.startPfn.toString(16)
    }. ` +
    (m.trailingAbsent > 0
      ? `${m.trailingAbsent} pageblocks at the end of the zone span are not online and not drawn. `
      : "") +
    `Hover a cell for its pfn, type and free pages.</p><p class="mapnote">${
      escapeHtml(m.note)
    }</p></figcaption>` +
    `<img alt="${escapeHtml("pageblock map " + m.title)}" width="${width}" height="${height}" ` +
    `src="data:image/png;base64,${encodeBase64(m.png)}">` +
    `<div class="legend">${legend}</div><div class="readout" aria-live="polite"></div>` +
    `<p class="files">Data: <a href="${escapeHtml(m.name)}.csv">${escapeHtml(m.name)}.csv</a> · ` +
    `Vega-Lite spec: <a href="${escapeHtml(m.name)}.vl.json">${
      escapeHtml(m.name)
    }.vl.json</a></p></figure>`;
}

function mapCells(m: PageblockMapImage): string {
  const n = m.cells.migratetype.length;
  const bytes = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    // 0xffff: free pages unknown (FREE_UNKNOWN).
    const free = Math.min(m.cells.freePages[i] ?? 0, 0xffff);
    bytes[i * 3] = m.cells.migratetype[i]!;
    bytes[i * 3 + 1] = free & 0xff;
    bytes[i * 3 + 2] = free >> 8;
  }
  return encodeBase64(bytes);
}

/** The verdict block: a row per zone at the order that matters, its sentences, causes ranked. */
function verdictBlock(v: MemoryVerdict | undefined): string {
  if (!v) return "";
  const f = (i: number) => (i / 1000).toFixed(3);
  const rows = v.zones.map((z) =>
    `<tr><td>${escapeHtml(z.zone)}</td><td class="num">${z.order}</td><td class="num">${
      f(z.end.unusable)
    } / ${f(z.worst.unusable)}</td><td class="num">${f(z.end.extfrag)} / ${
      f(z.worst.extfrag)
    }</td><td class="num">${
      nsToSeconds(z.worst.tsNs).toFixed(3)
    }</td><td class="cause ${z.cause}">${escapeHtml(causeLabel(z.cause))}</td></tr>`
  ).join("");
  const sentences = v.zones.map((z) => `<p>${escapeHtml(z.sentence)}</p>`).join("");
  return `<section class="verdict" id="verdict" aria-label="verdict"><h2>Verdict</h2>` +
    `<table><thead><tr><th>zone</th><th>order that matters</th>` +
    `<th>unusable index end / worst</th><th>extfrag index end / worst</th>` +
    `<th>worst at (s)</th><th>cause (extfrag &gt; ${
      f(v.extfragThreshold)
    } = fragmentation)</th></tr></thead><tbody>${rows}</tbody></table>${sentences}` +
    `<p>Fallbacks ${v.fallbacks.total.toLocaleString("en-US")}: top migratetype pairs ${
      escapeHtml(rankText(v.fallbacks.byPair))
    }; top comms ${escapeHtml(rankText(v.fallbacks.byComm))}.</p>` +
    `<p>${escapeHtml(v.desyncs.sentence)}</p></section>`;
}

function summaryCards(input: ReportInput): string {
  const s = input.summary;
  const m = input.metrics;
  const spanS = (s.lastTsNs - s.firstTsNs) / 1e9;
  const sumTotals = (i: number) => m.zones.reduce((a, z) => a + (z.events.totals[i] ?? 0), 0);
  const cards = [
    card("Trace", s.traceName, s.traceFormat, "text wide"),
    card("Kernel", s.kernelRelease || "unknown", s.cpus ? `${s.cpus} CPUs` : "", "text"),
    card(
      "Time span",
      `${spanS.toFixed(3)} s`,
      `${nsToSeconds(s.firstTsNs).toFixed(6)} → ${nsToSeconds(s.lastTsNs).toFixed(6)} s`,
    ),
    card("Events", fmtInt(s.events), s.calls !== undefined ? `${fmtInt(s.calls)} calls` : ""),
    card("Lost events", fmtInt(s.lostEvents), "", s.lostEvents > 0 ? "warn" : "ok"),
    card("Desyncs", fmtInt(s.desyncs), "", s.desyncs > 0 ? "warn" : "ok"),
    card(
      "Page allocations",
      fmtInt(m.allocMix.totals.allocs),
      `${fmtInt(m.allocMix.totals.pages)} pages`,
    ),
    card(
      "Fallbacks",
      fmtInt(m.pageblocks.totals.fallbacks),
      `${fmtInt(m.pageblocks.totals.fragmenting)} fragmenting`,
    ),
    card("Allocation failures", fmtInt(sumTotals(2)), "", sumTotals(2) > 0 ? "warn" : ""),
    card(
      "kswapd / direct reclaim",
      `${fmtInt(sumTotals(0))} / ${fmtInt(sumTotals(1))}`,
      "would-be wakes / entries",
    ),
  ];
  return `<section class="cards" aria-label="summary">${cards.join("")}</section>`;
}

/**
 * The whole page as a string.
 *
 * @example
 * ```ts
 * import { renderHtmlPage } from "./html_page.ts";
 * // renderHtmlPage(input, content, renderedCharts, assets) → "<!doctype html>…"
 * typeof renderHtmlPage; // "function"
 * ```
 */
export function renderHtmlPage(
  input: ReportInput,
  content: ReportContent,
  charts: RenderedChart[],
  assets: ReportAssets,
): string {
  const s = input.summary;
  const byName = new Map(charts.map((c) => [c.chart.name, c]));
  const nav = content.sections.map((sec) =>
    `<a href="#${sec.id}">${escapeHtml(sec.title.split(":")[0]!)}</a>`
  ).join("");
  const sections = content.sections.map((sec) => {
    const parts = [`<section id="${sec.id}"><h2>${escapeHtml(sec.title)}</h2>`];
    for (const n of sec.notes) parts.push(`<p class="note">${escapeHtml(n)}</p>`);
    for (const c of sec.charts) {
      const r = byName.get(c.name);
      if (r) parts.push(renderChart(r));
    }
    for (const m of sec.maps) parts.push(renderMap(m));
    for (const t of sec.tables) parts.push(renderTable(t));
    parts.push("</section>");
    return parts.join("\n");
  }).join("\n");
  const data = {
    charts: Object.fromEntries(charts.map((c) => [c.chart.name, c.inlineSpec])),
    maps: Object.fromEntries(content.maps.map((m) => [m.name, {
      columns: m.columns,
      rows: m.rows,
      startPfn: m.startPfn,
      pagesPerBlock: m.pagesPerBlock,
      types: MIGRATE_TYPE_NAMES,
      cells: mapCells(m),
    }])),
  };
  const csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; " +
    "script-src 'unsafe-inline' 'unsafe-eval'; connect-src 'none'; font-src 'none'";
  const title = `kmemreplay report — ${s.traceName}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>kmemreplay report</h1>
<p class="sub">Trace <code>${escapeHtml(s.traceName)}</code> · ${
    escapeHtml(s.traceFormat)
  } · kernel ${escapeHtml(s.kernelRelease || "unknown")}</p></header>
${verdictBlock(input.verdict)}
${summaryCards(input)}
<nav>${nav}</nav>
<main>
${sections}
</main>
<footer>${
    escapeHtml(s.generator ?? "kmemreplay")
  } · every chart is a Vega-Lite spec (<code>*.vl.json</code>) reading the CSV next to it · summary.json has the exact totals</footer>
<script type="application/json" id="kmem-data">${jsonForScript(data)}</script>
<script type="text/x-kmem-deferred" id="lib-vega">${scriptForInline(assets.vega)}</script>
<script type="text/x-kmem-deferred" id="lib-vega-lite">${scriptForInline(assets.vegaLite)}</script>
<script type="text/x-kmem-deferred" id="lib-vega-embed">${
    scriptForInline(assets.vegaEmbed)
  }</script>
<script type="text/x-kmem-deferred" id="lib-app">${scriptForInline(APP_JS)}</script>
<script>${BOOT_JS}</script>
</body>
</html>
`;
}
