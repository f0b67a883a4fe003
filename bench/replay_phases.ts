/**
 * Where the time of `kmem replay` / `kmem report` goes, per phase, on one bundle.
 *
 * - read, parse, call stream: cumulative passes (bytes only; + the text parser; + the call
 *   stream, `importTrace`), so each phase costs the difference;
 * - setup, page replay, slab replay, metrics: measured inside one `replayTrace` with metrics
 *   (its `phaseMs` with a CPU-time clock: reads around each replay's consume per call batch,
 *   samples counted as metrics); `kmem replay` is the same run without metrics;
 * - report build: `buildReport` of that result.
 *
 * The machine is shared: every pass runs `--repeat N` times (default 3) and the best is kept
 * (per phase for the replay phases). Passes also print this process's CPU time (user + system,
 * all threads: GC and compiler threads run on the other core).
 *
 * Run: `npx --yes deno@2.9.6 run -A bench/replay_phases.ts BUNDLE_DIR [--repeat N]`
 * (the bundle's trace.txt, else its trace.dat, with its before-snapshots, as `kmem replay DIR`;
 * `bash bench/make_churn_trace.sh` records a slab-churn-heavy one).
 *
 * @module
 */

import process from "node:process";
import { buildReport } from "../lib/report/build_report.ts";
import {
  type ReplayPhaseMs,
  replayTrace,
  type ReplayTraceResult,
} from "../lib/replay/replay_trace.ts";
import { parseSnapshotSet, type SnapshotPair } from "../lib/snapshot/bundle.ts";
import { openTraceStream } from "../lib/trace/input_stream.ts";
import { TextTraceParser } from "../lib/trace/text/text_parser.ts";
import { importTrace } from "../lib/calls/trace_import.ts";

/** Best wall and CPU time of one pass, ms. */
export interface PassTime {
  wallMs: number;
  cpuMs: number;
}

/** This process's CPU time (user + system, all threads), ms. */
function phaseClock(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
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
  const replay = await timed(repeat, async () => {
    await replayTrace(await stream(), base);
  });
  const best: ReplayPhaseMs = {
    setup: Infinity,
    import: Infinity,
    page: Infinity,
    slab: Infinity,
    metrics: Infinity,
  };
  let last: ReplayTraceResult | null = null;
  const withMetrics = await timed(repeat, async () => {
    const phaseMs: ReplayPhaseMs = { setup: 0, import: 0, page: 0, slab: 0, metrics: 0 };
    last = await replayTrace(await stream(), { ...base, metrics: true, phaseMs, phaseClock });
    for (const k of Object.keys(best) as Array<keyof ReplayPhaseMs>) {
      best[k] = Math.min(best[k], phaseMs[k]);
    }
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
  // events/s of a phase alone, by its CPU time.
  const rate = (ms: number) => `${(events / ms / 1000).toFixed(2)} M/s`;
  const row = (name: string, wallMs: number | null, cpuMs: number) =>
    console.log(
      `${name.padEnd(34)} ${(wallMs === null ? "" : wallMs.toFixed(0)).padStart(7)} ${
        cpuMs.toFixed(0).padStart(7)
      }   ${rate(cpuMs).padStart(10)}`,
    );
  console.log(
    `${trace}: ${events} events; best of ${repeat}; ${navigator.hardwareConcurrency} cores`,
  );
  console.log(`${"phase".padEnd(34)} wall ms  cpu ms   events/s`);
  row("read (+ decompress)", read.wallMs, read.cpuMs);
  if (!isDat) row("parse (text)", parse.wallMs - read.wallMs, parse.cpuMs - read.cpuMs);
  row(
    isDat ? "decode + call stream" : "call stream",
    calls.wallMs - parse.wallMs,
    calls.cpuMs - parse.cpuMs,
  );
  row("  (the same inside replayTrace)", null, best.import);
  row("setup (machine, seeding)", null, best.setup);
  row("page replay", null, best.page);
  row("slab replay", null, best.slab);
  row("metrics (samples, maps, finish)", null, best.metrics);
  row("report build", report.wallMs, report.cpuMs);
  row("kmem replay pipeline (no metrics)", replay.wallMs, replay.cpuMs);
  row("replay + metrics (kmem report's)", withMetrics.wallMs, withMetrics.cpuMs);
}
