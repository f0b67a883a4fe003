/**
 * Microbenchmark of the typed-array hash tables (lib/collections) against `Map` / `Set` on the
 * churn of a real trace: the slab replay's pattern over the mixed capture's slab pointer
 * sequence (alloc: get old record, forget the freed mark, set; free: take the record, else look
 * for a double free; then mark freed), and the page replay's pfn map over its page calls.
 *
 * Run: `npx --yes deno@2.9.6 run -A bench/collections_bench.ts [trace] [--repeat N]`
 * (default ../shared/traces/mixed/trace.txt.gz, hashed pointers). Prints the best and median of
 * N runs per structure; the machine is shared, so read the best.
 *
 * @module
 */

import { PfnMap } from "../lib/collections/pfn_map.ts";
import { PtrMap } from "../lib/collections/ptr_map.ts";
import { RecentFreeSet } from "../lib/collections/recent_free_set.ts";
import { type KeySequence, loadRealKeySequences } from "../tests/collections/real_key_sequence.ts";

/** Slab churn with Map + Set (SlabReplay's #live / #freed before lib/collections). */
function slabWithMap(seq: KeySequence): number {
  const live = new Map<number, number>(), freed = new Set<number>();
  let check = 0;
  for (let j = 0; j < seq.keys.length; j++) {
    const k = seq.keys[j]!;
    if (!seq.isFree[j]) {
      const old = live.get(k);
      if (old !== undefined) check += old;
      freed.delete(k);
      live.set(k, j);
    } else {
      const r = live.get(k);
      if (r === undefined) {
        if (freed.has(k)) check++;
        else freed.add(k);
      } else {
        live.delete(k);
        freed.add(k);
        check += r;
      }
    }
  }
  return check + live.size + freed.size;
}

/** The same churn with PtrMap + RecentFreeSet. */
function slabWithTables(seq: KeySequence): number {
  const live = new PtrMap(), freed = new RecentFreeSet();
  let check = 0;
  for (let j = 0; j < seq.keys.length; j++) {
    const k = seq.keys[j]!;
    if (!seq.isFree[j]) {
      const old = live.get(k);
      if (old !== -1) check += old;
      freed.delete(k);
      live.set(k, j);
    } else {
      const r = live.take(k);
      if (r === -1) {
        if (freed.has(k)) check++;
        else freed.add(k);
      } else {
        freed.add(k);
        check += r;
      }
    }
  }
  return check + live.size + freed.size;
}

/** Page replay's pfn → emulated block map, with Map. */
function pageWithMap(seq: KeySequence): number {
  const live = new Map<number, number>();
  let check = 0;
  for (let j = 0; j < seq.keys.length; j++) {
    const pfn = seq.keys[j]!;
    if (seq.isFree[j]) {
      const v = live.get(pfn);
      if (v !== undefined) {
        live.delete(pfn);
        check += v;
      }
    } else live.set(pfn, pfn * 65536 + (j & 15));
  }
  return check + live.size;
}

/** The same with PfnMap. */
function pageWithTable(seq: KeySequence): number {
  const live = new PfnMap();
  let check = 0;
  for (let j = 0; j < seq.keys.length; j++) {
    const pfn = seq.keys[j]!;
    if (seq.isFree[j]) {
      const v = live.take(pfn);
      if (v !== -1) check += v;
    } else live.set(pfn, pfn * 65536 + (j & 15));
  }
  return check + live.size;
}

function timeIt(f: () => number, repeat: number): { best: number; median: number; check: number } {
  const ms: number[] = [];
  let check = 0;
  for (let k = 0; k < repeat; k++) {
    const t0 = performance.now();
    check = f();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { best: ms[0]!, median: ms[ms.length >> 1]!, check };
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--repeat");
  const repeat = i >= 0 ? Number(Deno.args[i + 1]) : 5;
  const path = Deno.args.find((a, j) => !a.startsWith("--") && Deno.args[j - 1] !== "--repeat") ??
    new URL("../../shared/traces/mixed/trace.txt.gz", import.meta.url).pathname;
  const { slab, page } = await loadRealKeySequences(path);
  console.log(`${path}: ${slab.keys.length} slab calls, ${page.keys.length} page calls`);
  const rows: Array<[string, KeySequence, () => number, () => number]> = [
    ["slab #live/#freed", slab, () => slabWithMap(slab), () => slabWithTables(slab)],
    ["page #live", page, () => pageWithMap(page), () => pageWithTable(page)],
  ];
  for (const [name, seq, withMap, withTable] of rows) {
    const a = timeIt(withMap, repeat), b = timeIt(withTable, repeat);
    if (a.check !== b.check) throw new Error(`${name}: results differ (${a.check} ${b.check})`);
    const rate = (ms: number) => (seq.keys.length / ms / 1000).toFixed(1);
    console.log(
      `${name}: Map/Set best ${a.best.toFixed(1)} ms (${rate(a.best)} M ops/s, median ` +
        `${a.median.toFixed(1)}); tables best ${b.best.toFixed(1)} ms (${rate(b.best)} M ops/s, ` +
        `median ${b.median.toFixed(1)}); ×${(a.best / b.best).toFixed(1)}`,
    );
  }
}
