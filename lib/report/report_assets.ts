/**
 * The JavaScript the report page inlines (vega, vega-lite, vega-embed browser bundles), read
 * from the npm packages pinned in deno.json: the page works offline, never from a CDN.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Browser bundles inlined into index.html. */
export interface ReportAssets {
  vega: string;
  vegaLite: string;
  vegaEmbed: string;
}

const BUNDLES: Record<keyof ReportAssets, [pkg: string, file: string]> = {
  vega: ["vega", "build/vega.min.js"],
  vegaLite: ["vega-lite", "build/vega-lite.min.js"],
  vegaEmbed: ["vega-embed", "build/vega-embed.min.js"],
};

/**
 * Finds `node_modules/<pkg>` from this module's directory or the working directory upwards
 * (the packages' `exports` maps do not expose their build/ files to import resolution).
 */
function packageDir(pkg: string): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), Deno.cwd()];
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const candidate = join(dir, "node_modules", pkg);
      try {
        Deno.statSync(join(candidate, "package.json"));
        return candidate;
      } catch {
        // not here: go up
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error(
    `npm package ${pkg} not found in node_modules (run \`deno install\` in the repository)`,
  );
}

/**
 * Reads the three browser bundles (≈840 KB of minified JS; once per report, so no cache).
 *
 * @example
 * ```ts
 * import { loadReportAssets } from "./report_assets.ts";
 * const a = await loadReportAssets();
 * a.vega.length > 100_000; // true
 * ```
 */
export async function loadReportAssets(): Promise<ReportAssets> {
  const entries = await Promise.all(
    Object.entries(BUNDLES).map(async ([key, [pkg, file]]) =>
      [key, await Deno.readTextFile(join(packageDir(pkg), file))] as const
    ),
  );
  return Object.fromEntries(entries) as unknown as ReportAssets;
}
