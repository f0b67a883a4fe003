/**
 * Test fixture: the real /proc snapshots of /work/shared/traces/mixed read with small regexes, so
 * the metrics and report tests run on real nr_free, watermarks and slab counts. (The project's
 * real snapshot parsers live in lib/snapshot; this fixture keeps the metrics tests independent.)
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES } from "../../lib/kernel/constants.ts";
import { MIXED_DIR } from "../shared_data.ts";
import type { SlabCacheSample, SlabCallSiteStat } from "../../lib/metrics/slab_metrics.ts";
import type { FallbackEvent } from "../../lib/metrics/pageblock_metrics.ts";

/** Directory of the real capture. */
export { MIXED_DIR };

/** First and last event timestamps of mixed/trace.txt.gz in ns (head -13 / tail -1 of it). */
export const MIXED_FIRST_TS_NS = 460_302_128_000;
export const MIXED_LAST_TS_NS = 463_629_830_000;

/** One zone of a snapshot. */
export interface SnapshotZone {
  zone: string;
  nrFree: number[];
  byType: number[][];
  blocksByType: number[];
  freePages: number;
  minPages: number;
  lowPages: number;
  highPages: number;
  spannedPages: number;
  startPfn: number;
}

/** One slabinfo row (a slab sample without its time). */
export type SnapshotSlab = Omit<SlabCacheSample, "tsNs">;

/** Reads `before` or `after` buddyinfo + pagetypeinfo + zoneinfo of the mixed capture. */
export function readSnapshotZones(which: "before" | "after"): SnapshotZone[] {
  const buddy = Deno.readTextFileSync(`${MIXED_DIR}/${which}.buddyinfo`);
  const ptype = Deno.readTextFileSync(`${MIXED_DIR}/${which}.pagetypeinfo`);
  const zinfo = Deno.readTextFileSync(`${MIXED_DIR}/${which}.zoneinfo`);
  const zones: SnapshotZone[] = [];
  for (const line of buddy.split("\n")) {
    const m = /^Node (\d+), zone\s+(\S+)\s+([\d\s]+)$/.exec(line.trim());
    if (!m) continue;
    zones.push({
      zone: m[2]!,
      nrFree: m[3]!.trim().split(/\s+/).map(Number),
      byType: MIGRATE_TYPE_NAMES.map(() => new Array(11).fill(0)),
      blocksByType: new Array(MIGRATE_TYPE_NAMES.length).fill(0),
      freePages: 0,
      minPages: 0,
      lowPages: 0,
      highPages: 0,
      spannedPages: 0,
      startPfn: 0,
    });
  }
  const byName = new Map(zones.map((z) => [z.zone, z]));
  let blockHeader: string[] = [];
  for (const line of ptype.split("\n")) {
    const t = /^Node\s+\d+, zone\s+(\S+), type\s+(\S+)\s+([\d\s]+)$/.exec(line.trim());
    if (t) {
      const mt = MIGRATE_TYPE_NAMES.indexOf(t[2]! as typeof MIGRATE_TYPE_NAMES[number]);
      byName.get(t[1]!)!.byType[mt] = t[3]!.trim().split(/\s+/).map(Number);
      continue;
    }
    if (line.startsWith("Number of blocks type")) {
      blockHeader = line.slice("Number of blocks type".length).trim().split(/\s+/);
      continue;
    }
    const b = /^Node \d+, zone\s+(\S+)\s+([\d\s]+)$/.exec(line.trim());
    if (b && blockHeader.length) {
      const counts = b[2]!.trim().split(/\s+/).map(Number);
      const z = byName.get(b[1]!)!;
      blockHeader.forEach((name, i) => {
        const mt = MIGRATE_TYPE_NAMES.indexOf(name as typeof MIGRATE_TYPE_NAMES[number]);
        z.blocksByType[mt] = counts[i]!;
      });
    }
  }
  let cur: SnapshotZone | undefined;
  for (const line of zinfo.split("\n")) {
    const h = /^Node \d+, zone\s+(\S+)/.exec(line);
    if (h) {
      cur = byName.get(h[1]!);
      continue;
    }
    if (!cur) continue;
    const kv = /^\s+(pages free|min|low|high|spanned|start_pfn:)\s+(\d+)$/.exec(line);
    if (!kv) continue;
    const v = Number(kv[2]);
    if (kv[1] === "pages free") cur.freePages = v;
    else if (kv[1] === "min") cur.minPages = v;
    else if (kv[1] === "low") cur.lowPages = v;
    else if (kv[1] === "high") cur.highPages = v;
    else if (kv[1] === "spanned") cur.spannedPages = v;
    else cur.startPfn = v;
  }
  return zones;
}

/** Reads `before` or `after` slabinfo of the mixed capture. */
export function readSnapshotSlabs(which: "before" | "after"): SnapshotSlab[] {
  const text = Deno.readTextFileSync(`${MIXED_DIR}/${which}.slabinfo`);
  const out: SnapshotSlab[] = [];
  for (const line of text.split("\n")) {
    const m =
      /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+) : tunables\s+\d+\s+\d+\s+\d+ : slabdata\s+(\d+)\s+(\d+)/
        .exec(line);
    if (!m) continue;
    out.push({
      cache: m[1]!,
      activeObjs: Number(m[2]),
      numObjs: Number(m[3]),
      objSizeBytes: Number(m[4]),
      objsPerSlab: Number(m[5]),
      pagesPerSlab: Number(m[6]),
      numSlabs: Number(m[8]),
    });
  }
  return out;
}

/** One `mm_page_alloc` or `mm_page_alloc_extfrag` line of the real trace, parsed. */
export interface TracePageEvent {
  tsNs: number;
  comm: string;
  fields: Map<string, string>;
}

/** The FallbackEvent of one traced `mm_page_alloc_extfrag` line (fields as printed). */
export function fallbackOfExtfrag(e: TracePageEvent): FallbackEvent {
  return {
    tsNs: e.tsNs,
    allocOrder: Number(e.fields.get("alloc_order")),
    fallbackOrder: Number(e.fields.get("fallback_order")),
    allocMigratetype: Number(e.fields.get("alloc_migratetype")),
    fallbackMigratetype: Number(e.fields.get("fallback_migratetype")),
    fragmenting: e.fields.get("fragmenting") === "1",
    changeOwnership: e.fields.get("change_ownership") === "1",
    comm: e.comm,
  };
}

let cachedText: string | undefined;

/** The decompressed text of mixed/trace.txt.gz (≈165 MB), read once per test process. */
export async function mixedTraceText(): Promise<string> {
  if (cachedText === undefined) {
    const { gunzipSync } = await import("node:zlib");
    cachedText = new TextDecoder().decode(
      gunzipSync(Deno.readFileSync(`${MIXED_DIR}/trace.txt.gz`)),
    );
  }
  return cachedText;
}

let cachedEvents: Map<string, TracePageEvent[]> | undefined;

/**
 * `mm_page_alloc` and `mm_page_alloc_extfrag` events of mixed/trace.txt.gz (128433 and 3 of
 * them: `zcat trace.txt.gz | grep -c " mm_page_alloc: "`), read once per test process.
 */
export async function readMixedPageEvents(): Promise<Map<string, TracePageEvent[]>> {
  if (cachedEvents) return cachedEvents;
  const text = await mixedTraceText();
  const out = new Map<string, TracePageEvent[]>([
    ["mm_page_alloc", []],
    ["mm_page_alloc_extfrag", []],
  ]);
  // indexOf scanning and slicing: regexes over the 160 MB text are several times slower.
  for (const name of ["mm_page_alloc", "mm_page_alloc_extfrag"]) {
    const needle = `: ${name}: `;
    const list = out.get(name)!;
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
      const from = text.lastIndexOf("\n", at) + 1;
      let to = text.indexOf("\n", at);
      if (to < 0) to = text.length;
      const head = text.slice(from, at);
      const task = head.slice(0, head.indexOf(" [")).trim();
      const comm = task.slice(0, task.lastIndexOf("-"));
      const ts = head.slice(head.lastIndexOf(" ") + 1);
      const dot = ts.indexOf(".");
      const tsNs = Number(ts.slice(0, dot)) * 1e9 + Number(ts.slice(dot + 1).padEnd(9, "0"));
      const fields = new Map<string, string>();
      for (const kv of text.slice(at + needle.length, to).split(" ")) {
        const eq = kv.indexOf("=");
        if (eq > 0) fields.set(kv.slice(0, eq), kv.slice(eq + 1));
      }
      list.push({ tsNs, comm, fields });
    }
  }
  cachedEvents = out;
  return out;
}

/** Per-call-site slab statistics of the real trace (kmalloc/kmem_cache_alloc vs kfree/kmem_cache_free). */
export type TraceSlabSite = SlabCallSiteStat;

let cachedSites: TraceSlabSite[] | undefined;

/**
 * Slab call sites of mixed/trace.txt.gz: allocations matched to frees by pointer (hashed `%p`
 * values are consistent within one trace). Frees of objects allocated before the trace are
 * ignored. kmalloc has no cache name: its cache is "kmalloc-<bytes_alloc>".
 */
export async function readMixedSlabSites(): Promise<TraceSlabSite[]> {
  if (cachedSites) return cachedSites;
  const text = await mixedTraceText();
  const sites = new Map<string, TraceSlabSite>();
  const live = new Map<string, { site: TraceSlabSite; req: number; alloc: number; ts: number }>();
  const field = (body: string, key: string): string => {
    const at = body.indexOf(` ${key}=`);
    const from = at < 0 ? (body.startsWith(`${key}=`) ? key.length + 1 : -1) : at + key.length + 2;
    if (from < 0) return "";
    const end = body.indexOf(" ", from);
    return body.slice(from, end < 0 ? body.length : end);
  };
  // One regex scan in trace order (allocations must be seen before their frees).
  const re = /: (kmalloc|kmem_cache_alloc|kfree|kmem_cache_free): /g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const colon = m.index;
    const name = m[1]!;
    const lineFrom = text.lastIndexOf("\n", colon) + 1;
    let lineEnd = text.indexOf("\n", colon);
    if (lineEnd < 0) lineEnd = text.length;
    const body = text.slice(colon + m[0].length, lineEnd);
    const line = text.slice(lineFrom, lineEnd);
    const lineColon = colon - lineFrom;
    if (name === "kmalloc" || name === "kmem_cache_alloc") {
      const callSite = field(body, "call_site");
      const req = Number(field(body, "bytes_req"));
      const alloc = Number(field(body, "bytes_alloc"));
      const cache = name === "kmalloc" ? `kmalloc-${alloc}` : field(body, "name");
      const key = `${callSite} ${cache}`;
      let site = sites.get(key);
      if (!site) {
        site = {
          callSite,
          cache,
          allocs: 0,
          frees: 0,
          liveObjs: 0,
          liveBytesReq: 0,
          liveBytesAlloc: 0,
          totalWasteBytes: 0,
          oldestLiveTsNs: NaN,
        };
        sites.set(key, site);
      }
      site.allocs++;
      site.totalWasteBytes += alloc - req;
      const head = line.slice(0, lineColon);
      const ts = head.slice(head.lastIndexOf(" ") + 1);
      const dot = ts.indexOf(".");
      const tsNs = Number(ts.slice(0, dot)) * 1e9 + Number(ts.slice(dot + 1).padEnd(9, "0"));
      live.set(field(body, "ptr"), { site, req, alloc, ts: tsNs });
    } else if (name === "kfree" || name === "kmem_cache_free") {
      const ptr = field(body, "ptr");
      const obj = live.get(ptr);
      if (!obj) continue;
      live.delete(ptr);
      obj.site.frees++;
    }
  }
  for (const obj of live.values()) {
    const s = obj.site;
    s.liveObjs++;
    s.liveBytesReq += obj.req;
    s.liveBytesAlloc += obj.alloc;
    if (!(s.oldestLiveTsNs <= obj.ts)) s.oldestLiveTsNs = obj.ts;
  }
  cachedSites = [...sites.values()];
  return cachedSites;
}
