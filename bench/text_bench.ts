/**
 * Benchmark of the text importer: streams a trace file (plain, gzip or zstd) through
 * {@linkcode TextTraceParser} and {@linkcode CallStream} (parse + normalize) and reports events/s.
 *
 * Run: `deno run --allow-read bench/text_bench.ts [trace.txt[.gz|.zst]] [--repeat N] [--times K]`
 * (`--times K` streams the file K times in a row as one trace, to show that memory stays flat).
 *
 * @module
 */

import { CallStream } from "../lib/calls/call_stream.ts";
import { openTraceStream } from "../lib/trace/input_stream.ts";
import { TextTraceParser } from "../lib/trace/text_parser.ts";

/** Result of one timed run. */
export interface TextBenchResult {
  /** Events parsed (lines counted as parsed). */
  events: number;
  /** Calls delivered by the call stream. */
  calls: number;
  /** Wall time in milliseconds (decompression, parse and normalize). */
  ms: number;
  eventsPerSec: number;
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
  const t0 = performance.now();
  for (let k = 0; k < times; k++) {
    const file = await Deno.open(path);
    const opened = await openTraceStream(file.readable);
    for await (const chunk of opened.chunks) {
      parser.feed(chunk);
      if ((++chunks & 63) === 0) peakRssBytes = Math.max(peakRssBytes, Deno.memoryUsage().rss);
    }
  }
  parser.end();
  stream.end();
  const ms = performance.now() - t0;
  peakRssBytes = Math.max(peakRssBytes, Deno.memoryUsage().rss);
  const events = parser.lines.parsed;
  return { events, calls, ms, eventsPerSec: events / (ms / 1000), peakRssBytes };
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
  const path = files[0] ?? "/work/shared/traces/mixed/trace.txt.gz";
  for (let k = 0; k < repeat; k++) {
    const r = await benchText(path, times);
    console.log(
      `${path} ×${times}: ${r.events} events, ${r.calls} calls in ${r.ms.toFixed(0)} ms = ${
        (r.eventsPerSec / 1e6).toFixed(2)
      } M events/s; peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    );
  }
}
