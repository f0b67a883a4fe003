/**
 * A big `kmem capture` (issue 13: captures of millions of events): records a file-and-allocation
 * churn workload for N seconds (default 20) into a bundle directory with a large ring buffer and
 * checks what the capture controls — no lost events at that buffer, and one trace.txt line per
 * ring-buffer entry in `stats` (counted by grep) — then prints events, bytes and wall times.
 *
 *     npx --yes deno@2.9.6 run -A bench/capture_stream_bench.ts [/tmp/kmem-big] [--seconds 20] [--buffer-kb 786432]
 *
 * @module
 */

import { captureBundle } from "../lib/capture/tracefs_capture.ts";

/** Churn: a Python loop that creates, writes, reads and deletes small files (dentries, inodes,
 * page cache, kmalloc) until the deadline. */
function workload(seconds: number): string[] {
  return [
    "python3",
    "-c",
    `import os, time, tempfile
d = tempfile.mkdtemp(prefix="kmemcap")
end = time.time() + ${seconds}
i = 0
while time.time() < end:
    p = os.path.join(d, "f%d" % (i % 64))
    with open(p, "w") as f:
        f.write("x" * (i % 4096))
    with open(p) as f:
        f.read()
    os.unlink(p)
    i += 1
os.rmdir(d)
print("iterations", i)`,
  ];
}

if (import.meta.main) {
  const arg = (name: string, dflt: number) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
  };
  const out = Deno.args.find((a, i) =>
    !a.startsWith("--") && !Deno.args[i - 1]?.startsWith("--")
  ) ??
    "/tmp/kmem-big";
  const seconds = arg("--seconds", 20);
  const bufferKb = arg("--buffer-kb", 786432);
  await Deno.remove(out, { recursive: true }).catch(() => {});
  const t0 = performance.now();
  const r = await captureBundle({
    command: workload(seconds),
    outputDir: out,
    bufferKb,
    kpageflags: false,
    onProgress: (m) => console.error(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${m}`),
  });
  const wall = (performance.now() - t0) / 1000;
  const entries = r.stats.perCpu.reduce((s, c) => s + c.entries, 0);
  const grep = await new Deno.Command("sh", {
    args: ["-c", `grep -v '^#' '${out}/trace.txt' | grep -vc 'LOST [0-9]* EVENTS'`],
    stdout: "piped",
  }).output();
  const lines = Number(new TextDecoder().decode(grep.stdout).trim());
  const size = (f: string) => Deno.statSync(`${out}/${f}`).size;
  console.log(
    `capture: ${entries} events in ${r.stats.seconds.toFixed(1)} s traced, ${
      wall.toFixed(1)
    } s wall; lost ${r.stats.lostEvents}; trace.txt ${
      size("trace.txt")
    } bytes, ${lines} event lines` +
      (r.stats.traceDat ? `; trace.dat ${size("trace.dat")} bytes` : ""),
  );
  for (const n of r.notes) console.log(`note: ${n}`);
  if (lines !== entries || r.stats.lostEvents !== 0) {
    console.error(`MISMATCH: ${lines} lines vs ${entries} entries, ${r.stats.lostEvents} lost`);
    Deno.exit(1);
  }
}
