/**
 * Benchmark of the text importer: streams a trace file (plain, gzip or zstd) through
 * {@linkcode TextTraceParser} and {@linkcode CallStream} (parse + normalize) and reports events/s.
 *
 * Run: `deno run --allow-read --allow-sys bench/text_bench.ts [trace.txt[.gz|.zst]] [--repeat N]
 * [--times K]` (`--times K` streams the file K times in a row into one parser, to show that
 * memory stays flat; from the second pass on every call is "late" since timestamps restart).
 * The machine is shared: each line prints wall time, this process's CPU time, the time inside
 * `feed` (parse + normalize only) and the load average.
 *
 * @module
 */

import process from "node:process";
import { CallStream } from "../lib/calls/call_stream.ts";
import { openTraceStream } from "../lib/trace/input_stream.ts";
import { TextTraceParser } from "../lib/trace/text/text_parser.ts";

/** Result of one timed run. */
export interface TextBenchResult {
  /** Events parsed (lines counted as parsed). */
  events: number;
  /** Calls delivered by the call stream. */
  calls: number;
  /** Wall time in milliseconds (reading, decompression, parse and normalize). */
  ms: number;
  eventsPerSec: number;
  /** CPU time of this process over the run (user + system), ms: less sensitive to other load. */
  cpuMs: number;
  /** Time spent inside `parser.feed` (parse + normalize, no I/O or decompression), ms. */
  feedMs: number;
  /** Peak resident set size seen during the run (sampled per chunk), bytes. */
  peakRssBytes: number;
}

/**
 * Streams `path` (`times` times back to back) through the parser and the call stream.
 *
 * @example
 * ```ts
 * import { benchText } from "./text_bench.ts";
 * const r = await benchText("traces/mixed-6.18-cut.txt.gz");
 * r.events > 0; // true
 * ```
 */
export async function benchText(path: string, times = 1): Promise<TextBenchResult> {
  let calls = 0;
  const stream = new CallStream((b) => {
    calls += b.length;
  });
  const parser = new TextTraceParser((ev) => stream.push(ev), { file: path });
  let peakRssBytes = Deno.memoryUsage().rss;
  let chunks = 0;
  let feedMs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < times; k++) {
    const file = await Deno.open(path);
    const opened = await openTraceStream(file.readable);
    for await (const chunk of opened.chunks) {
      const f0 = performance.now();
      parser.feed(chunk);
      feedMs += performance.now() - f0;
      if ((++chunks & 63) === 0) peakRssBytes = Math.max(peakRssBytes, Deno.memoryUsage().rss);
    }
  }
  parser.end();
  stream.end();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  peakRssBytes = Math.max(peakRssBytes, Deno.memoryUsage().rss);
  const events = parser.lines.parsed;
  return {
    events,
    calls,
    ms,
    eventsPerSec: events / (ms / 1000),
    cpuMs: (cpu.user + cpu.system) / 1000,
    feedMs,
    peakRssBytes,
  };
}

if (import.meta.main) {
  const opt = (name: string, dflt: number): number => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
  };
  const repeat = opt("--repeat", 3);
  const times = opt("--times", 1);
  const files = Deno.args.filter((a, i) =>
    !a.startsWith("--") && !Deno.args[i - 1]?.startsWith("--")
  );
  const path = files[0] ??
    new URL("../../shared/traces/mixed/trace.txt.gz", import.meta.url).pathname;
  for (let k = 0; k < repeat; k++) {
    const r = await benchText(path, times);
    const mps = (ms: number) => (r.events / ms / 1000).toFixed(2);
    console.log(
      `${path} ×${times}: ${r.events} events, ${r.calls} calls; wall ${r.ms.toFixed(0)} ms = ` +
        `${mps(r.ms)} M events/s, cpu ${r.cpuMs.toFixed(0)} ms = ${mps(r.cpuMs)} M/s, ` +
        `in feed ${r.feedMs.toFixed(0)} ms = ${mps(r.feedMs)} M/s; ` +
        `peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB; load ${
          Deno.loadavg()[0]!.toFixed(2)
        }`,
    );
  }
}
