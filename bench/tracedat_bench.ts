/**
 * Benchmark of the trace.dat reader: decodes a file (default: the shared mixed capture) and prints
 * events/s. Run: `deno run --allow-read bench/tracedat_bench.ts [file.dat[.gz]] [--repeat N]`.
 *
 * @module
 */

import { gunzipSync } from "node:zlib";
import { TraceDatReader } from "../lib/trace/tracedat/tracedat_reader.ts";
import { StringTable } from "../lib/trace/string_table.ts";

/** Result of one decode. */
export interface TraceDatBenchResult {
  file: string;
  events: number;
  ms: number;
  eventsPerSec: number;
}

/**
 * Decodes `bytes` completely once and times it (parse of the metadata included).
 *
 * @example
 * ```ts
 * import { benchTraceDat } from "./tracedat_bench.ts";
 * const r = benchTraceDat(Deno.readFileSync("traces/small-6.18.dat"), "small");
 * r.events > 0; // true
 * ```
 */
export function benchTraceDat(bytes: Uint8Array, file: string): TraceDatBenchResult {
  const t0 = performance.now();
  const reader = new TraceDatReader(bytes, { file });
  const strings = new StringTable();
  let events = 0;
  for (const b of reader.batches(strings)) events += b.length;
  const ms = performance.now() - t0;
  return { file, events, ms, eventsPerSec: events / (ms / 1000) };
}

if (import.meta.main) {
  const ri = Deno.args.indexOf("--repeat");
  const repeat = ri >= 0 ? Number(Deno.args[ri + 1]) : 3;
  const args = Deno.args.filter((a, i) => !a.startsWith("--") && (ri < 0 || i !== ri + 1));
  const files = args.length > 0 ? args : [
    new URL("../../shared/traces/mixed/trace.dat", import.meta.url).pathname,
    new URL("../../shared/traces/mixed/trace-v6.dat.gz", import.meta.url).pathname,
  ];
  for (const f of files) {
    let bytes = Deno.readFileSync(f);
    if (f.endsWith(".gz")) bytes = new Uint8Array(gunzipSync(bytes));
    for (let k = 0; k < repeat; k++) {
      const r = benchTraceDat(bytes, f);
      console.log(
        `${f}: ${r.events} events in ${r.ms.toFixed(0)} ms = ${
          (r.eventsPerSec / 1e6).toFixed(2)
        } M events/s`,
      );
    }
  }
}
