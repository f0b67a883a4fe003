/**
 * `deno task bench`: the figures in the README, measured on the shared real capture
 * (../shared/traces/mixed, 1.07M events). A benchmark, never a test: it prints numbers.
 *
 * 1. text import (parse + normalize), events/s, on trace.txt (decompressed once to /tmp),
 *    and peak RSS when the same trace is streamed 5× as one (memory must not grow);
 * 2. trace.dat decode (v7 zstd and v6), events/s, against `trace-cmd report` on the same file;
 * 3. equivalence: the call streams of trace.dat, trace-v6.dat.gz and trace.txt.gz are equal
 *    (tracefs rounds ns to the nearest µs: `ns2usecs`, kernel/trace/trace_output.c)
 *    (at microsecond precision; pointers excluded: the text shows hashed %p);
 * 4. replay speed (faithful and policy), calls/s, and emulator bytes per page;
 * 5. report: time and index.html size;
 * 6. (not with --quick) pressure size and side by side with trace-cmd, whole processes
 *    (bench/pressure_bench.ts).
 *
 * Run: `npx --yes deno@2.9.6 task bench [--quick]`
 *
 * @module
 */

import { gunzipSync } from "node:zlib";
import { benchText } from "./text_bench.ts";
import { benchTraceDat } from "./tracedat_bench.ts";
import { loadCallBatches } from "./replay_bench.ts";
import { importTrace } from "../lib/calls/trace_import.ts";
import { CALL_NAMES } from "../lib/calls/call_kind.ts";
import { PageReplay } from "../lib/replay/page_replay.ts";
import { machineSpecFromZoneinfo } from "../lib/mm/machine_spec.ts";
import { parseSnapshotSet } from "../lib/snapshot/bundle.ts";
import { replayTrace } from "../lib/replay/replay_trace.ts";
import { buildReport } from "../lib/report/build_report.ts";
import { pressureBench } from "./pressure_bench.ts";

const DIR = new URL("../../shared/traces/mixed/", import.meta.url).pathname;
const quick = Deno.args.includes("--quick");

function line(s: string): void {
  console.log(s);
}

async function load(): Promise<string> {
  const out = await new Deno.Command("uptime").output().catch(() => null);
  return out ? new TextDecoder().decode(out.stdout).trim().replace(/.*load/, "load") : "load ?";
}

function mps(n: number, ms: number): string {
  return `${(n / ms / 1000).toFixed(2)} M/s`;
}

line(
  `kmemreplay benchmark on ${DIR} (${Deno.build.os} ${Deno.build.arch}, deno ${Deno.version.deno})`,
);
line(`machine: ${navigator.hardwareConcurrency} cores; ${await load()}`);

// 1. text import
const textPath = "/tmp/kmemreplay-bench-trace.txt";
try {
  Deno.statSync(textPath);
} catch {
  Deno.writeFileSync(textPath, gunzipSync(Deno.readFileSync(DIR + "trace.txt.gz")));
}
for (let k = 0; k < (quick ? 1 : 3); k++) {
  const r = await benchText(textPath);
  line(
    `text import trace.txt 173 MB: ${r.events} events; parse + normalize ${
      r.feedMs.toFixed(0)
    } ms = ${mps(r.events, r.feedMs)} events; wall with file streaming ${r.ms.toFixed(0)} ms = ${
      mps(r.events, r.ms)
    }; peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
  );
}
{
  const r = await benchText(textPath, 5);
  line(
    `text import, trace streamed 5× (${r.events} events): ${r.ms.toFixed(0)} ms = ${
      mps(r.events, r.ms)
    } events; peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
  );
}
{
  const r = await benchText(DIR + "trace.txt.gz");
  line(
    `text import from trace.txt.gz (gunzip included): ${r.ms.toFixed(0)} ms = ${
      mps(r.events, r.ms)
    } events`,
  );
}

// 2. trace.dat
const dat = Deno.readFileSync(DIR + "trace.dat");
const v6 = new Uint8Array(gunzipSync(Deno.readFileSync(DIR + "trace-v6.dat.gz")));
for (const [name, bytes] of [["trace.dat (v7, zstd)", dat], ["trace-v6.dat (v6)", v6]] as const) {
  let best = Infinity, events = 0;
  for (let k = 0; k < (quick ? 1 : 3); k++) {
    const r = benchTraceDat(bytes, name);
    best = Math.min(best, r.ms);
    events = r.events;
  }
  line(
    `trace.dat decode ${name}: ${events} events, best ${best.toFixed(0)} ms = ${
      mps(events, best)
    } events`,
  );
}
async function timeCommand(cmd: string, args: string[]): Promise<number | null> {
  try {
    const t0 = performance.now();
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success ? performance.now() - t0 : null;
  } catch {
    return null;
  }
}
const tc = await timeCommand("trace-cmd", ["report", "-i", DIR + "trace.dat"]);
line(
  tc === null
    ? "trace-cmd report: not installed (apt-get install trace-cmd) — comparison skipped"
    : `trace-cmd report -i trace.dat > /dev/null: ${tc.toFixed(0)} ms`,
);
line("perf script: not compared (the capture has no perf.data, only perf script's text output)");

// 3. equivalence of the three formats
{
  const keys: string[][] = [[], [], []];
  const files = ["trace.dat", "trace-v6.dat.gz", "trace.txt.gz"];
  for (let k = 0; k < 3; k++) {
    const f = await Deno.open(DIR + files[k]);
    await importTrace(f.readable, (b, strings) => {
      for (let i = 0; i < b.length; i++) {
        keys[k]!.push(
          `${Math.round(b.tsNs[i]! / 1000)} ${b.cpu[i]} ${b.pid[i]} ${CALL_NAMES[b.call[i]!]} ${
            b.pfn[i]
          } ` +
            `${b.order[i]} ${b.mt[i]} ${b.gfp[i]} ${b.flags[i]} ${b.bytesReq[i]} ${
              b.bytesAlloc[i]
            } ` +
            `${strings.get(b.callSite[i]!)} ${strings.get(b.name[i]!)} ${strings.get(b.comm[i]!)}`,
        );
      }
    });
  }
  for (const k of [1, 2]) {
    let diff = -1;
    const n = Math.max(keys[0]!.length, keys[k]!.length);
    for (let i = 0; i < n; i++) {
      if (keys[0]![i] !== keys[k]![i]) {
        diff = i;
        break;
      }
    }
    line(
      `equivalence trace.dat vs ${files[k]}: ${keys[0]!.length} vs ${keys[k]!.length} calls, ` +
        (diff < 0
          ? "identical"
          : `first difference at call ${diff}: ${keys[0]![diff]} | ${keys[k]![diff]}`),
    );
  }
}

// 4. replay
{
  const batches = await loadCallBatches(DIR + "trace.txt.gz");
  const total = batches.reduce((a, b) => a + b.length, 0);
  const texts: Record<string, string> = {};
  for (const k of ["zoneinfo", "buddyinfo", "pagetypeinfo"]) {
    texts[`before.${k}`] = Deno.readTextFileSync(DIR + `before.${k}`);
  }
  const snap = parseSnapshotSet(texts).before;
  for (const mode of ["faithful", "policy"] as const) {
    let best = Infinity;
    let bytesPerPage = 0;
    for (let k = 0; k < (quick ? 1 : 3); k++) {
      const r = new PageReplay({
        mode,
        spec: machineSpecFromZoneinfo(snap.zoneinfo!),
        snapshots: snap,
      });
      const t0 = performance.now();
      for (const b of batches) r.consume(b);
      best = Math.min(best, performance.now() - t0);
      bytesPerPage = r.machine.memoryBytes / r.machine.endPfn;
    }
    line(
      `replay ${mode}: ${total} calls, best ${best.toFixed(0)} ms = ${mps(total, best)} calls; ` +
        `emulator ${bytesPerPage.toFixed(2)} bytes/page`,
    );
  }
}

// 5. report
{
  const texts: Record<string, string> = {};
  for (const k of ["zoneinfo", "buddyinfo", "pagetypeinfo", "slabinfo"]) {
    texts[`before.${k}`] = Deno.readTextFileSync(DIR + `before.${k}`);
  }
  const t0 = performance.now();
  const f = await Deno.open(DIR + "trace.dat");
  const r = await replayTrace(f.readable, { snapshots: parseSnapshotSet(texts), metrics: true });
  const t1 = performance.now();
  const { files } = await buildReport({
    summary: {
      traceName: "mixed",
      traceFormat: "trace.dat",
      kernelRelease: "",
      firstTsNs: r.import.timeNs.first,
      lastTsNs: r.import.timeNs.last,
      events: r.import.events.total,
      lostEvents: 0,
      desyncs: 0,
    },
    metrics: r.metrics!,
  });
  const t2 = performance.now();
  const html = files.get("index.html");
  const size = typeof html === "string" ? new TextEncoder().encode(html).length : 0;
  line(
    `report: import + page/slab replay + metrics ${(t1 - t0).toFixed(0)} ms, build ${
      (t2 - t1).toFixed(0)
    } ms; ` +
      `index.html ${(size / 2 ** 20).toFixed(2)} MiB, ${files.size} files`,
  );
}
// 6. pressure size and side by side with trace-cmd (whole processes)
if (!quick) await pressureBench(Deno.args, line);
line(`done; ${await load()}`);
