/**
 * Benchmark of the page replay on the shared capture (not a test): parses trace.txt.gz once
 * into call batches held in memory, then times faithful and policy replays.
 *
 * Run: `npx --yes deno@2.9.6 run -A bench/replay_bench.ts [trace.txt.gz] [snapshot dir]`
 *
 * @module
 */

import { CallBatch } from "../lib/calls/call_batch.ts";
import { CallStream } from "../lib/calls/call_stream.ts";
import { openTraceStream } from "../lib/trace/input_stream.ts";
import { TextTraceParser } from "../lib/trace/text/text_parser.ts";
import { machineSpecFromZoneinfo } from "../lib/mm/machine_spec.ts";
import { parseZoneinfo } from "../lib/snapshot/zoneinfo.ts";
import { parseBuddyinfo } from "../lib/snapshot/buddyinfo.ts";
import { parsePagetypeinfo } from "../lib/snapshot/pagetypeinfo.ts";
import { PageReplay } from "../lib/replay/page_replay.ts";
import { Call } from "../lib/calls/call_kind.ts";

/** Reads a trace file into owned call batches (the stream reuses its output batch). */
export async function loadCallBatches(path: string): Promise<CallBatch[]> {
  const out: CallBatch[] = [];
  const stream = new CallStream((b) => {
    const copy = new CallBatch(b.length);
    for (let i = 0; i < b.length; i++) {
      const j = copy.copyRow(b, i);
      copy.call[j] = b.call[i]!;
    }
    out.push(copy);
  });
  const parser = new TextTraceParser((ev) => stream.push(ev), { file: path });
  const file = await Deno.open(path);
  const opened = await openTraceStream(file.readable);
  for await (const chunk of opened.chunks) parser.feed(chunk);
  parser.end();
  stream.end();
  return out;
}

if (import.meta.main) {
  const trace = Deno.args[0] ??
    new URL("../../shared/traces/mixed/trace.txt.gz", import.meta.url).pathname;
  const dir = Deno.args[1] ?? new URL("../../shared/traces/mixed/", import.meta.url).pathname;
  let t0 = performance.now();
  const batches = await loadCallBatches(trace);
  const total = batches.reduce((a, b) => a + b.length, 0);
  let pageCalls = 0;
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      const c = b.call[i]!;
      if (c <= Call.FALLBACK) pageCalls++;
    }
  }
  console.log(
    `loaded ${total} calls (${pageCalls} page calls) in ${(performance.now() - t0).toFixed(0)} ms`,
  );
  const zoneinfo = parseZoneinfo(Deno.readTextFileSync(dir + "before.zoneinfo"));
  const snapshots = {
    zoneinfo,
    buddyinfo: parseBuddyinfo(Deno.readTextFileSync(dir + "before.buddyinfo")),
    pagetypeinfo: parsePagetypeinfo(Deno.readTextFileSync(dir + "before.pagetypeinfo")),
  };
  for (const mode of ["faithful", "policy"] as const) {
    for (let rep = 0; rep < 3; rep++) {
      t0 = performance.now();
      const r = new PageReplay({ mode, spec: machineSpecFromZoneinfo(zoneinfo), snapshots });
      const tSetup = performance.now() - t0;
      t0 = performance.now();
      for (const b of batches) r.consume(b);
      const ms = performance.now() - t0;
      const res = r.finish();
      console.log(
        `${mode}: setup ${tSetup.toFixed(0)} ms, replay ${ms.toFixed(1)} ms = ` +
          `${(total / ms / 1000).toFixed(2)} M calls/s (${
            (pageCalls / ms / 1000).toFixed(2)
          } M page calls/s); ` +
          `emulator memory ${
            (r.machine.memoryBytes / 2 ** 20).toFixed(1)
          } MiB for ${r.machine.endPfn} pfns ` +
          `(${(r.machine.memoryBytes / r.machine.endPfn).toFixed(2)} B/page)`,
      );
      if (rep === 2) {
        console.log(
          JSON.stringify({
            desyncs: res.desyncs,
            seeded: res.seeded,
            fallbacks: res.fallbacks,
            failures: res.failures.total,
            zones: res.zones.map((
              z,
            ) => [z.name, z.freePages, z.freeBlocks.join(" "), z.pcpPages, z.watermarkBreaches]),
          }),
        );
      }
    }
  }
}
