/**
 * The text of `kmem slab`: totals, then a perf-kmem-like table per call site or per cache,
 * leak candidates, desyncs and merged-cache aliases.
 *
 * @module
 */

import { type SlabReplayResult, type SlabSortKey, sortSlabRows } from "../../slab/slab_replay.ts";

/** What `kmem slab` shows: which table, sorted how, how many rows. */
export interface SlabTextOptions {
  /** Per cache instead of per call site. */
  byCache: boolean;
  sort: SlabSortKey;
  /** Rows of the table. */
  lines: number;
}

/**
 * `kmem slab` text of a slab replay of `file`.
 *
 * @example
 * ```ts
 * import { formatSlab } from "./slab_text.ts";
 * import { replayTrace } from "../../replay/replay_trace.ts";
 *
 * const path = new URL("../../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * const r = await replayTrace(f.readable, { file: path });
 * const text = formatSlab(r.slab!, path, { byCache: true, sort: "bytes", lines: 5 });
 * text.split("\n")[5]!.startsWith("cache"); // true
 * ```
 */
export function formatSlab(s: SlabReplayResult, file: string, opts: SlabTextOptions): string {
  const o: string[] = [];
  const t = s.totals;
  const mib = (n: number) => (n / 2 ** 20).toFixed(2);
  o.push(
    `slab replay of ${file}: ${t.allocs} allocs, ${t.frees} frees (${t.kfreeNull} kfree(NULL))`,
  );
  o.push(
    `Total bytes requested: ${t.bytesReq}  allocated: ${t.bytesAlloc}  freed: ${t.bytesFreed}`,
  );
  o.push(
    `Total bytes wasted on internal fragmentation: ${t.wasteBytes}  Internal fragmentation: ${
      t.fragPct.toFixed(6)
    }%`,
  );
  o.push(
    `Live at end: ${t.liveAtEnd} objects, ${
      mib(t.liveBytesAtEnd)
    } MiB; large (page) kmallocs ${t.largeAllocs}`,
  );
  o.push("");
  if (opts.byCache) o.push(...cacheTable(s, opts));
  else o.push(...callSiteTable(s, opts));
  if (s.leaks.length) {
    o.push("");
    o.push(
      "leak candidates (live at the end, allocated long before it, outside lost-event windows):",
    );
    for (const l of s.leaks.slice(0, 10)) o.push(`  ${JSON.stringify(l)}`);
  }
  const d = Object.entries(s.desync).filter(([, n]) => typeof n === "number" && n > 0);
  if (d.length) o.push(`desyncs: ${d.map(([k, n]) => `${k}=${n}`).join(" ")}`);
  if (s.aliases.length) {
    o.push(
      `merged/aliased caches: ${
        s.aliases.slice(0, 10).map((a) => `${a.alias}→${a.cache} (${a.count})`).join(", ")
      }`,
    );
  }
  return o.join("\n");
}

function cacheTable(s: SlabReplayResult, opts: SlabTextOptions): string[] {
  const o: string[] = [];
  o.push(
    `${"cache".padEnd(28)} ${"objsize".padStart(7)} ${"obj/slab".padStart(8)} ${
      "pg/slab".padStart(7)
    } ${"active".padStart(9)} ${"total".padStart(9)} ${"slabs".padStart(7)} ${
      "util%".padStart(6)
    } ${"allocs".padStart(8)} ${"frees".padStart(8)}`,
  );
  for (const x of sortSlabRows(s.caches, opts.sort).slice(0, opts.lines)) {
    o.push(
      `${x.name.slice(0, 28).padEnd(28)} ${String(x.objSizeBytes).padStart(7)} ${
        String(x.objsPerSlab).padStart(8)
      } ${String(x.pagesPerSlab).padStart(7)} ${String(x.activeObjs).padStart(9)} ${
        String(x.numObjs).padStart(9)
      } ${String(x.numSlabs).padStart(7)} ${(x.utilisation * 100).toFixed(1).padStart(6)} ${
        String(x.allocs).padStart(8)
      } ${String(x.frees).padStart(8)}`,
    );
  }
  return o;
}

function callSiteTable(s: SlabReplayResult, opts: SlabTextOptions): string[] {
  const o: string[] = [];
  o.push(
    `${"Callsite".padEnd(44)} ${"Total_alloc".padStart(12)} ${"Total_req".padStart(12)} ${
      "Hit".padStart(8)
    } ${"Frees".padStart(8)} ${"Live".padStart(7)} ${"Waste".padStart(10)} ${"Frag".padStart(8)}`,
  );
  for (const c of sortSlabRows(s.callSites, opts.sort).slice(0, opts.lines)) {
    o.push(
      `${c.callSite.slice(0, 44).padEnd(44)} ${String(c.bytesAlloc).padStart(12)} ${
        String(c.bytesReq).padStart(12)
      } ${String(c.allocs).padStart(8)} ${String(c.frees).padStart(8)} ${
        String(c.liveAtEnd).padStart(7)
      } ${String(c.wasteBytes).padStart(10)} ${c.fragPct.toFixed(3).padStart(7)}%`,
    );
  }
  return o;
}
