/**
 * Where the time of `kmem replay` / `kmem report` goes, per phase, on one bundle: each pass runs
 * the pipeline one phase further than the previous one, so a phase costs the difference.
 *
 * | pass | runs |
 * | --- | --- |
 * | read | the trace's bytes streamed (and decompressed) |
 * | parse | + text parser (events, no calls; for a trace.dat this pass is skipped) |
 * | call stream | + events → calls (`importTrace`) |
 * | page replay | + `replayTrace` with the slab replay off |
 * | slab replay | + the slab replay (= `kmem replay`) |
 * | metrics | + report metrics (time series, maps) |
 * | report | `buildReport` of the last result (separate timing) |
 *
 * Each pass is timed in wall time and in this process's CPU time (user + system; the other core
 * may run GC and compilation threads, so CPU time can exceed wall time). The machine is shared:
 * each pass runs `--repeat N` times (default 3) and the best is kept.
 *
 * Run: `npx --yes deno@2.9.6 run -A bench/replay_phases.ts BUNDLE_DIR [--repeat N]`
 * (the bundle's trace.txt, else its trace.dat, with its before-snapshots, as `kmem replay DIR`).
 *
 * @module
 */

import process from "node:process";
import { buildReport } from "../lib/report/build_report.ts";
import { replayTrace, type ReplayTraceResult } from "../lib/replay/replay_trace.ts";
import { parseSnapshotSet, type SnapshotPair } from "../lib/snapshot/bundle.ts";
import { openTraceStream } from "../lib/trace/input_stream.ts";
import { TextTraceParser } from "../lib/trace/text/text_parser.ts";
import { importTrace } from "../lib/calls/trace_import.ts";

/** Best wall and CPU time of one pass, ms. */
export interface PassTime {
  wallMs: number;
  cpuMs: number;
}

async function timed(repeat: number, run: () => Promise<void>): Promise<PassTime> {
  let wallMs = Infinity, cpuMs = Infinity;
  for (let k = 0; k < repeat; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const w = performance.now() - t0;
    const c = process.cpuUsage(c0);
    wallMs = Math.min(wallMs, w);
    cpuMs = Math.min(cpuMs, (c.user + c.system) / 1000);
  }
  return { wallMs, cpuMs };
}

/** The bundle's trace (text preferred, as `kmem replay DIR --format tracefs`) and snapshots. */
async function openBundle(dir: string): Promise<{ trace: string; snapshots: SnapshotPair }> {
  const texts: Record<string, string> = {};
  let trace = "";
  for await (const e of Deno.readDir(dir)) {
    if (/^(before|after)\.(zoneinfo|buddyinfo|pagetypeinfo|slabinfo|vmstat)$/.test(e.name)) {
      texts[e.name] = await Deno.readTextFile(`${dir}/${e.name}`);
    } else if (/^trace\.txt(\.gz|\.zst)?$/.test(e.name)) trace = `${dir}/${e.name}`;
    else if (e.name === "trace.dat" && trace === "") trace = `${dir}/${e.name}`;
  }
  if (trace === "") throw new Error(`${dir}: no trace.txt or trace.dat`);
  return { trace, snapshots: parseSnapshotSet(texts) };
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--repeat");
  const repeat = i >= 0 ? Number(Deno.args[i + 1]) : 3;
  const dir = Deno.args.find((a, j) => !a.startsWith("--") && Deno.args[j - 1] !== "--repeat");
  if (!dir) throw new Error("usage: replay_phases.ts BUNDLE_DIR [--repeat N]");
  const { trace, snapshots } = await openBundle(dir);
  const isDat = trace.endsWith(".dat");
  const stream = async () => (await Deno.open(trace)).readable;
  let events = 0;
  const read = await timed(repeat, async () => {
    const opened = await openTraceStream(await stream());
    for await (const _ of opened.chunks) { /* bytes only */ }
  });
  // trace.dat is decoded whole by the importer: its decode shows under "call stream".
  const parse = isDat ? read : await timed(repeat, async () => {
    const opened = await openTraceStream(await stream());
    const p = new TextTraceParser(() => {}, { file: trace });
    for await (const c of opened.chunks) p.feed(c);
    p.end();
  });
  const calls = await timed(repeat, async () => {
    events = (await importTrace(await stream(), () => {}, { file: trace })).events.total;
  });
  const base = { file: trace, snapshots };
  const page = await timed(repeat, async () => {
    await replayTrace(await stream(), { ...base, slab: false });
  });
  const slab = await timed(repeat, async () => {
    await replayTrace(await stream(), base);
  });
  let last: ReplayTraceResult | null = null;
  const metrics = await timed(repeat, async () => {
    last = await replayTrace(await stream(), { ...base, metrics: true });
  });
  const r = last! as ReplayTraceResult;
  const report = await timed(repeat, async () => {
    await buildReport({
      summary: {
        traceName: trace,
        traceFormat: r.import.format,
        kernelRelease: "",
        firstTsNs: r.import.timeNs.first,
        lastTsNs: r.import.timeNs.last,
        events: r.import.events.total,
        lostEvents: r.import.lost.events,
        desyncs: 0,
      },
      metrics: r.metrics!,
    });
  });
  const rows: Array<[string, PassTime, PassTime | null]> = [
    ["read (+ decompress)", read, null],
    ["parse (text)", parse, read],
    [isDat ? "decode + call stream" : "call stream", calls, parse],
    ["page replay", page, calls],
    ["slab replay", slab, page],
    ["metrics", metrics, slab],
    ["report build", report, { wallMs: 0, cpuMs: 0 }],
  ];
  console.log(
    `${trace}: ${events} events; best of ${repeat}; ${navigator.hardwareConcurrency} cores`,
  );
  console.log(
    "phase                     wall ms   cpu ms   cumulative wall   events/s (cumulative)",
  );
  for (const [name, t, prev] of rows) {
    const wall = prev ? t.wallMs - prev.wallMs : t.wallMs;
    const cpu = prev ? t.cpuMs - prev.cpuMs : t.cpuMs;
    console.log(
      `${name.padEnd(24)} ${wall.toFixed(0).padStart(8)} ${cpu.toFixed(0).padStart(8)} ` +
        `${t.wallMs.toFixed(0).padStart(17)}   ${(events / t.wallMs / 1000).toFixed(2)} M`,
    );
  }
}
