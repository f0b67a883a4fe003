/// <reference lib="dom" />
/**
 * Opens index.html in headless Chromium (npm playwright-core, Debian /usr/bin/chromium) with
 * every request except the page itself aborted, for a report the size of a 10M-event trace.
 * Without /usr/bin/chromium the test is skipped with the reason printed; with CI=true it fails.
 * Set KMEM_REPORT_SCREENSHOT=path.png to keep a full-page screenshot.
 */

import assert from "node:assert/strict";
import fs from "node:fs";
import { buildReport } from "../../lib/report/build_report.ts";
import { buildFixtureInput, HOSTILE_COMM } from "./report_fixture.ts";

/** Debian chromium; KMEM_CHROMIUM overrides the path (e.g. to check the skip path). */
const CHROMIUM = Deno.env.get("KMEM_CHROMIUM") ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const MB = 1024 * 1024;
/** Page render budget: navigation start to the load event (static SVG charts painted). */
const RENDER_BUDGET_MS = 2000;

/**
 * playwright-core probes `/proc/sys/fs/binfmt_misc/WSLInterop` with `fs.existsSync` when it is
 * imported; under `deno test` without --allow-all that path throws NotCapable instead of
 * answering. Answer "does not exist" for paths we may not probe, as Node would for a missing one.
 */
function tolerateUnprobeablePaths(): void {
  const existsSync = fs.existsSync;
  (fs as { existsSync: typeof fs.existsSync }).existsSync = (path) => {
    try {
      return existsSync(path);
    } catch {
      return false;
    }
  };
}

function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

const available = hasChromium();
if (!available) {
  if (Deno.env.get("CI") === "true") {
    Deno.test("html report in Chromium", () => {
      assert.fail(`${CHROMIUM} is missing: CI must install chromium (apt-get install chromium)`);
    });
  } else {
    console.log(`html_report_browser: skipped, ${CHROMIUM} is not installed`);
  }
}

Deno.test({
  name: "html report of a 10M-event trace renders offline in Chromium: marks, tooltips, escaping",
  ignore: !available,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // 1,065,358 real events + 8,934,642 synthetic page allocations = 10,000,000 events;
    // zone samples as a hook every 1000 calls would give.
    const input = await buildFixtureInput({ samplesPerZone: 10_000, extraAllocs: 8_934_642 });
    assert.equal(input.summary.events, 10_000_000);
    const { files } = await buildReport(input);
    const dir = await Deno.makeTempDir({ prefix: "kmem-report-" });
    for (const [name, data] of files) {
      if (typeof data === "string") await Deno.writeTextFile(`${dir}/${name}`, data);
      else await Deno.writeFile(`${dir}/${name}`, data);
    }
    const htmlBytes = (await Deno.stat(`${dir}/index.html`)).size;
    console.log(`index.html for 10M events: ${(htmlBytes / MB).toFixed(2)} MB`);
    assert.ok(htmlBytes < 5 * MB, `${htmlBytes} bytes`);
    const url = `file://${dir}/index.html`;
    const chartNames = [...files.keys()]
      .filter((f) => f.endsWith(".vl.json") && !f.startsWith("pageblock_map_"))
      .map((f) => f.slice(0, -".vl.json".length));

    tolerateUnprobeablePaths();
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      // 1. Scripts off: the static page already shows every chart and map.
      const noJs = await browser.newContext({ javaScriptEnabled: false });
      const staticPage = await noJs.newPage();
      await staticPage.goto(url, { waitUntil: "load" });
      const staticMarks = await staticPage.evaluate(() =>
        [...document.querySelectorAll("figure[data-chart]")].map((f) => [
          f.getAttribute("data-chart"),
          f.querySelectorAll(".vis svg [role=graphics-symbol]").length,
        ])
      );
      assert.deepEqual(staticMarks.map((m) => m[0]).sort(), [...chartNames].sort());
      for (const [name, marks] of staticMarks) assert.ok(Number(marks) > 0, `${name}: no marks`);
      const maps = await staticPage.evaluate(() =>
        [...document.querySelectorAll("figure[data-map] img")].map((i) =>
          (i as HTMLImageElement).naturalWidth
        )
      );
      assert.equal(maps.length, 2);
      for (const w of maps) assert.ok(w > 0, "pageblock map image decoded");
      await noJs.close();

      // 2. Scripts on, network blocked.
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await ctx.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("dialog", (d) => {
        problems.push(`dialog: ${d.message()}`);
        d.dismiss();
      });
      page.on("request", (r) => {
        if (!r.url().startsWith("data:")) requests.push(r.url());
      });
      await page.route(
        "**/*",
        (route) => route.request().url() === url ? route.continue() : route.abort(),
      );
      // Best of three loads: the machine is shared, one slow run says little.
      const loads: number[] = [];
      for (let i = 0; i < 3; i++) {
        await page.goto(url, { waitUntil: "load" });
        loads.push(
          await page.evaluate(() =>
            (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming)
              .loadEventEnd
          ),
        );
      }
      console.log(`load event after ${loads.map((t) => t.toFixed(0)).join(", ")} ms`);
      assert.ok(Math.min(...loads) < RENDER_BUDGET_MS, `page load ${loads} ms`);

      await page.waitForFunction(() => "kmemUpgradeAll" in window);
      const t0 = performance.now();
      await page.evaluate(() => (window as unknown as { kmemUpgradeAll(): void }).kmemUpgradeAll());
      await page.waitForFunction(
        () =>
          document.querySelectorAll('figure[data-chart]:not([data-state="interactive"])')
            .length === 0,
        null,
        { timeout: 30_000 },
      );
      console.log(
        `all ${chartNames.length} charts interactive after ${
          (performance.now() - t0).toFixed(0)
        } ms`,
      );

      // Every interactive chart has items and shows a tooltip on hover.
      for (const name of chartNames) {
        const target = await page.evaluate((name) => {
          type Scene = { marktype: string; items?: Item[] };
          type Item = {
            x?: number;
            y?: number;
            tooltip?: unknown;
            bounds?: { x1: number; y1: number; x2: number; y2: number };
            items?: Scene[];
          };
          const view = (window as unknown as {
            kmemViews: Record<
              string,
              {
                scenegraph(): { root: Scene };
                origin(): [number, number];
                padding(): { left: number; top: number };
                container(): Element;
              }
            >;
          }).kmemViews[name]!;
          // Items with a tooltip, in view coordinates (group items offset their children).
          const found: [number, number][] = [];
          const walk = (mark: Scene, dx: number, dy: number) => {
            for (const item of mark.items ?? []) {
              if (mark.marktype === "group") {
                for (const child of item.items ?? []) {
                  walk(child, dx + (item.x ?? 0), dy + (item.y ?? 0));
                }
              } else if (item.tooltip != null && item.bounds) {
                const b = item.bounds;
                found.push([dx + (b.x1 + b.x2) / 2, dy + (b.y1 + b.y2) / 2]);
              }
            }
          };
          walk(view.scenegraph().root, 0, 0);
          const canvas = view.container().querySelector("canvas")!;
          canvas.scrollIntoView({ block: "center" });
          const r = canvas.getBoundingClientRect();
          // Scene coordinates start at the view's origin plus its padding.
          const [ox, oy] = view.origin();
          const pad = view.padding();
          const mid = found[Math.floor(found.length / 2)];
          return {
            marks: found.length,
            canvas: [r.width, r.height],
            point: mid ? [r.left + ox + pad.left + mid[0], r.top + oy + pad.top + mid[1]] : null,
          };
        }, name);
        assert.ok(target.marks > 0, `${name}: interactive view has marks`);
        assert.ok(target.canvas[0]! > 100 && target.canvas[1]! > 50, `${name}: canvas size`);
        assert.ok(target.point, `${name}: a mark to hover`);
        await page.mouse.move(1, 1);
        await page.mouse.move(target.point![0]!, target.point![1]!);
        const tip = await page.waitForFunction(
          () => {
            const el = document.getElementById("vg-tooltip-element");
            return el && el.classList.contains("visible") && el.textContent ? el.textContent : null;
          },
          null,
          { timeout: 5_000 },
        ).then((h) => h.jsonValue()).catch(() => null);
        assert.ok(tip, `${name}: tooltip on hover`);
      }

      // The hostile comm is text everywhere: in the table, in the chart's tooltip data.
      const hostile = await page.evaluate((comm) => {
        const cells = [...document.querySelectorAll("td")].filter((td) => td.textContent === comm);
        return {
          cells: cells.length,
          injected: document.querySelectorAll('img[src="x"]').length,
        };
      }, HOSTILE_COMM);
      assert.ok(hostile.cells >= 1, "hostile comm shown as a table cell's text");
      assert.equal(hostile.injected, 0);

      const shot = Deno.env.get("KMEM_REPORT_SCREENSHOT") ?? `${dir}/screenshot.png`;
      await page.evaluate(() => globalThis.scrollTo(0, 0));
      await page.screenshot({ path: shot, fullPage: false });
      console.log(`screenshot: ${shot}`);

      assert.deepEqual(problems, []);
      assert.deepEqual([...new Set(requests)], [url], "no request but the page itself");
      await ctx.close();
    } finally {
      await browser.close();
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  },
});
