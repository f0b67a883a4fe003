/**
 * Pressure-size figures (issue 13), whole processes as a user runs them:
 *
 * 1. a pressure-size input made by bench/make_scaled_trace.sh (the shared capture repeated N
 *    times with shifted timestamps; default 20× = 21.3 M events, 3.5 GB of text): `kmem stats`,
 *    `kmem replay` and `kmem report` each timed, with events/s per phase (stats = parse, replay =
 *    + calls and page/slab replay, report = + metrics and the HTML) and peak RSS (/usr/bin/time);
 * 2. side by side in the same run on a 2–3 M-event trace.dat (default /tmp/kmem-3m/trace.dat,
 *    recorded by `bench/capture_stream_bench.ts /tmp/kmem-3m --seconds 7`): `trace-cmd report -i
 *    FILE > /dev/null` against `kmem stats` and `kmem report`, medians of 3, as ratios.
 *
 * Run: `npx --yes deno@2.9.6 run -A bench/pressure_bench.ts [--scale N] [--dat FILE] [--skip-pressure]`
 * (also the last part of `deno task bench` unless `--quick`).
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;

/** Wall seconds and peak RSS of one whole process (GNU time's %e and %M). */
export interface ProcessRun {
  seconds: number;
  peakRssMiB: number;
  ok: boolean;
}

/** Runs `argv` under /usr/bin/time with stdout to /dev/null. */
export async function timeProcess(argv: string[]): Promise<ProcessRun> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %M", ...argv],
    stdout: "null",
    stderr: "piped",
    cwd: ROOT,
  }).output();
  const last = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
  const [sec, kb] = last.split(" ").map(Number);
  return { seconds: sec ?? NaN, peakRssMiB: (kb ?? NaN) / 1024, ok: out.success };
}

const KMEM = ["npx", "--yes", "deno@2.9.6", "run", "-A", "cli.ts"];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function medianRun(argv: string[], n: number): Promise<ProcessRun> {
  const runs: ProcessRun[] = [];
  for (let k = 0; k < n; k++) runs.push(await timeProcess(argv));
  const m = median(runs.map((r) => r.seconds));
  return {
    seconds: m,
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    ok: runs.every((r) => r.ok),
  };
}

async function eventsOf(file: string): Promise<number> {
  const out = await new Deno.Command(KMEM[0]!, {
    args: [...KMEM.slice(1), "stats", file, "--json"],
    stdout: "piped",
    stderr: "null",
    cwd: ROOT,
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).events.total as number;
}

const fmt = (r: ProcessRun, events: number) =>
  `${r.seconds.toFixed(1)} s = ${(events / r.seconds / 1e6).toFixed(2)} M events/s, peak RSS ${
    r.peakRssMiB.toFixed(0)
  } MiB${r.ok ? "" : " (FAILED)"}`;

/** Prints the pressure-size and side-by-side figures. */
export async function pressureBench(args: string[], line: (s: string) => void): Promise<void> {
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const scale = Number(opt("--scale") ?? 20);
  const dat = opt("--dat") ?? "/tmp/kmem-3m/trace.dat";
  const reportDir = await Deno.makeTempDir({ prefix: "kmem-pressure-report-" });
  try {
    if (!args.includes("--skip-pressure")) {
      const big = `/tmp/kmemreplay-scaled-${scale}x.txt`;
      try {
        Deno.statSync(big);
      } catch {
        await new Deno.Command("bash", {
          args: [`${ROOT}bench/make_scaled_trace.sh`, String(scale), big],
          stdout: "null",
        }).output();
      }
      const events = await eventsOf(big);
      const size = Deno.statSync(big).size;
      line(
        `pressure input: ${big} (bench/make_scaled_trace.sh ${scale}), ${events} events, ${
          (size / 2 ** 30).toFixed(2)
        } GiB`,
      );
      for (
        const [phase, argv] of [
          ["stats (parse)", [...KMEM, "stats", big]],
          ["replay (+ calls, page and slab replay)", [...KMEM, "replay", big]],
          ["report (+ metrics, HTML)", [...KMEM, "report", big, "-o", `${reportDir}/big`]],
        ] as const
      ) {
        line(`  kmem ${phase}: ${fmt(await timeProcess([...argv]), events)}`);
      }
    }
    try {
      Deno.statSync(dat);
    } catch {
      line(`side by side: ${dat} missing (record it: bench/capture_stream_bench.ts) — skipped`);
      return;
    }
    const events = await eventsOf(dat);
    const tc = await medianRun(["sh", "-c", `trace-cmd report -i '${dat}' > /dev/null`], 3);
    const st = await medianRun([...KMEM, "stats", dat], 3);
    const rp = await medianRun([...KMEM, "report", dat, "-o", `${reportDir}/dat`], 3);
    line(`side by side on ${dat} (${events} events), medians of 3 whole processes:`);
    line(`  trace-cmd report -i FILE > /dev/null: ${fmt(tc, events)}`);
    line(
      `  kmem stats FILE: ${fmt(st, events)}; ${(st.seconds / tc.seconds).toFixed(2)}× trace-cmd`,
    );
    line(
      `  kmem report FILE: ${fmt(rp, events)}; ${(rp.seconds / tc.seconds).toFixed(2)}× trace-cmd`,
    );
  } finally {
    await Deno.remove(reportDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await pressureBench(Deno.args, (s) => console.log(s));
