/**
 * `deno task fuzz [--seconds N] [--seed S] [--out DIR]`: mutates the seeds of traces/ (text
 * traces, trace.dat v6/v7, gzip/zstd containers, bundles), runs `kmem stats|replay|validate|report`
 * on each case as a subprocess under a timeout and a memory watch, classifies every run (see
 * classify.ts) and saves each failing case — input, command, output — under the output folder,
 * at most a few per failure signature, the first one minimised (text cases) to few lines.
 *
 * Prints one verdict line last: `fuzz: N cases, M runs: F failing runs in K signatures …`; exits 1
 * when any run failed.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type BundleFiles, mutateBundle } from "./bundle_mutators.ts";
import { type Classified, classify, type Outcome, OUTCOME_TEXT, OUTCOMES } from "./classify.ts";
import { type Container, type ContainerExpect, wrapAndMutate } from "./container_mutators.ts";
import { Rng } from "./rng.ts";
import { kmemArgv, runKmem, type RunLimits, type RunResult } from "./run_case.ts";
import { loadSeeds, type Seeds } from "./seeds.ts";
import { mutateText } from "./text_mutators.ts";
import { mutateTraceDat } from "./tracedat_mutators.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "120" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    out: { type: "string", default: "reports/fuzz" },
    "timeout-ms": { type: "string", default: "60000" },
    "rss-limit-mb": { type: "string", default: "1024" },
    "keep-per-signature": { type: "string", default: "3" },
    "minimize-runs": { type: "string", default: "24" },
    "no-minimize": { type: "boolean", default: false },
    case: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opt.help) {
  console.log(
    "deno task fuzz [--seconds 120] [--seed S] [--out reports/fuzz] [--timeout-ms 60000]\n" +
      "  [--rss-limit-mb 1024] [--keep-per-signature 3] [--minimize-runs 24] [--no-minimize]\n" +
      "  [--case CASE_SEED]   re-make one case (meta.json's caseSeed), run it and save it",
  );
  Deno.exit(0);
}

const seconds = Number(opt.seconds), seed = Number(opt.seed);
const limits: RunLimits = {
  timeoutMs: Number(opt["timeout-ms"]),
  rssLimitBytes: Number(opt["rss-limit-mb"]) * 2 ** 20,
};
const outDir = opt.out!.replace(/\/+$/, "");
const keep = Number(opt["keep-per-signature"]);
const minimizeRuns = opt["no-minimize"] ? 0 : Number(opt["minimize-runs"]);

/** One generated input. */
interface Case {
  id: number;
  caseSeed: number;
  kind: "text" | "dat" | "bundle" | "cli";
  seedName: string;
  ops: string[];
  /** File name (or directory name for bundles) the input is written under. */
  name: string;
  bytes?: Uint8Array;
  files?: BundleFiles;
  /** For minimisation of plain text cases: header and body lines, as bytes. */
  lines?: { header: Uint8Array[]; body: Uint8Array[] };
  /** The bundle mutation after which `validate` must fail, if any. */
  breaksValidation?: string | null;
  /** What a correct reader does with the case's gzip/zstd container. */
  container?: ContainerExpect;
  /** Commands, each with `{input}` where the input path goes and `{out}` for an output dir. */
  commands: string[][];
}

const enc = new TextEncoder();

function makeCase(id: number, caseSeed: number, seeds: Seeds): Case {
  const rng = new Rng(caseSeed);
  const roll = rng.int(100);
  const heavy = (bundle: boolean) =>
    rng.pick(
      bundle
        ? [["validate", "--json", "{input}"], ["validate", "--json", "{input}"], [
          "replay",
          "--json",
          "{input}",
        ], ["report", "{input}", "-o", "{out}"]]
        : [["replay", "--json", "{input}"], ["replay", "--json", "{input}"], [
          "report",
          "{input}",
          "-o",
          "{out}",
        ], ["validate", "{input}"]],
    );
  if (roll < 45) {
    const s = rng.pick(seeds.text);
    const start = rng.int(Math.max(1, s.body.length - 400));
    const body = s.body.slice(start, start + 50 + rng.int(350));
    const { bytes, ops } = mutateText([...s.header, ...body].join("\n") + "\n", s.format, rng);
    const c: Case = {
      id,
      caseSeed,
      kind: "text",
      seedName: s.name,
      ops: [`lines ${start + 1}..${start + body.length} of the body`, ...ops],
      name: "trace.txt",
      bytes,
      commands: [["stats", "--json", "{input}"]],
    };
    if (rng.chance(0.35)) {
      const container: Container = rng.pick(["gzip", "zstd"]);
      const w = wrapAndMutate(bytes, container, rng);
      c.bytes = w.bytes;
      c.ops.push(...w.ops);
      c.container = w.expect;
      c.name = container === "gzip" ? "trace.txt.gz" : "trace.txt.zst";
    } else c.lines = splitLines(bytes, s.header.length);
    if (rng.chance(0.6)) c.commands.push(heavy(false));
    return c;
  }
  if (roll < 65) {
    const s = rng.pick(seeds.dat);
    const { bytes, ops } = mutateTraceDat(s, rng);
    const c: Case = {
      id,
      caseSeed,
      kind: "dat",
      seedName: s.name,
      ops,
      name: "trace.dat",
      bytes,
      commands: [["stats", "--json", "{input}"]],
    };
    if (rng.chance(0.15)) {
      const w = wrapAndMutate(bytes, "gzip", rng);
      c.bytes = w.bytes;
      c.ops.push(...w.ops);
      c.container = w.expect;
      c.name = "trace.dat.gz";
    }
    if (rng.chance(0.5)) c.commands.push(heavy(false));
    return c;
  }
  if (roll < 95) {
    const s = rng.pick(seeds.bundles);
    const { files, ops, breaksValidation } = mutateBundle(s.files, rng);
    return {
      id,
      caseSeed,
      kind: "bundle",
      seedName: s.name,
      ops,
      name: "bundle",
      files,
      breaksValidation,
      commands: rng.chance(0.3) ? [["stats", "--json", "{input}"], heavy(true)] : [heavy(true)],
    };
  }
  // Command-line edge cases on a valid input.
  const which = rng.int(3);
  if (which === 0) {
    return {
      id,
      caseSeed,
      kind: "cli",
      seedName: "small-6.18.txt",
      ops: ["report -o names an existing regular file"],
      name: "trace.txt",
      bytes: enc.encode(rng.pick(seeds.text).body.slice(0, 200).join("\n") + "\n"),
      commands: [["report", "{input}", "-o", "{input}"]],
    };
  }
  const bin = rng.bytes(1 + rng.int(2048));
  return {
    id,
    caseSeed,
    kind: "cli",
    seedName: "random bytes",
    ops: [`${bin.length} random bytes`],
    name: which === 1 ? "trace.txt" : "trace.dat",
    bytes: bin,
    commands: [["stats", "{input}"], ["stats", "--json", "{input}"]],
  };
}

function splitLines(bytes: Uint8Array, headerLines: number): Case["lines"] {
  const lines: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      if (i > from || i < bytes.length) lines.push(bytes.slice(from, i));
      from = i + 1;
    }
  }
  return { header: lines.slice(0, headerLines), body: lines.slice(headerLines) };
}

function joinLines(lines: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 0));
  let o = 0;
  for (const l of lines) {
    out.set(l, o);
    out[o + l.length] = 0x0a;
    o += l.length + 1;
  }
  return out;
}

/** Writes the case input under `dir`; returns its path. */
async function writeInput(c: Case, dir: string, bytes = c.bytes): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${c.name}`;
  if (c.files) {
    await Deno.mkdir(path, { recursive: true });
    for (const [k, v] of c.files) await Deno.writeFile(`${path}/${k}`, v);
  } else await Deno.writeFile(path, bytes!);
  return path;
}

function fill(cmd: string[], input: string, out: string): string[] {
  return cmd.map((a) => a === "{input}" ? input : a === "{out}" ? out : a);
}

async function runOne(cmd: string[], input: string, work: string, c?: Case) {
  const out = `${work}/out-${crypto.randomUUID().slice(0, 8)}`;
  const args = fill(cmd, input, out);
  const run = await runKmem(args, limits);
  await Deno.remove(out, { recursive: true }).catch(() => {});
  const inner = [...(c?.files?.keys() ?? [])];
  return {
    args,
    run,
    cls: classify(
      cmd[0]!,
      input,
      run,
      limits.rssLimitBytes,
      inner,
      c?.container,
      c?.breaksValidation ?? null,
    ),
  };
}

/** Line-wise delta debugging of a text case while the run keeps its signature. */
async function minimise(c: Case, cmd: string[], signature: string, work: string): Promise<number> {
  if (!c.lines || minimizeRuns === 0) return 0;
  let body = c.lines.body;
  let runs = 0, n = 2;
  const dir = `${work}/min-${c.id}`;
  while (body.length >= 2 && runs < minimizeRuns) {
    const size = Math.ceil(body.length / n);
    let reduced = false;
    for (let i = 0; i < n && runs < minimizeRuns; i++) {
      const candidate = [...body.slice(0, i * size), ...body.slice((i + 1) * size)];
      if (candidate.length === body.length) continue;
      runs++;
      const input = await writeInput(c, dir, joinLines([...c.lines.header, ...candidate]));
      const r = await runOne(cmd, input, work, c);
      if (r.cls.signature === signature) {
        body = candidate;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= body.length) break;
      n = Math.min(n * 2, body.length);
    }
  }
  c.lines = { header: c.lines.header, body };
  c.bytes = joinLines([...c.lines.header, ...body]);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  return runs;
}

async function save(
  c: Case,
  args: string[],
  input: string,
  run: RunResult,
  cls: Classified,
  sigNo: number,
  nth: number,
) {
  const dir = `${outDir}/${cls.outcome}/${String(sigNo).padStart(3, "0")}-${nth}-case${c.id}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await writeInput(c, dir);
  const rel = args.map((a) => a.startsWith(input) ? `${c.name}${a.slice(input.length)}` : a);
  const shown = rel.map((a) => a.includes("/out-") ? "out" : a);
  await Deno.writeTextFile(
    `${dir}/command.txt`,
    `# from this folder:\nnpx --yes deno@2.9.6 run -A ${
      new URL("../../cli.ts", import.meta.url).pathname
    } ${shown.map((a) => /^[\w./=:-]+$/.test(a) ? a : `'${a}'`).join(" ")}\n`,
  );
  await Deno.writeFile(`${dir}/stdout.txt`, run.stdout.subarray(0, 65536));
  await Deno.writeFile(`${dir}/stderr.txt`, run.stderr.subarray(0, 65536));
  await Deno.writeTextFile(
    `${dir}/meta.json`,
    JSON.stringify(
      {
        outcome: cls.outcome,
        meaning: OUTCOME_TEXT[cls.outcome],
        detail: cls.detail,
        signature: cls.signature,
        runSeed: seed,
        caseSeed: c.caseSeed,
        kind: c.kind,
        seed: c.seedName,
        mutations: c.ops,
        exitCode: run.code,
        signal: run.signal,
        peakRssMiB: Math.round(run.peakRssBytes / 2 ** 20),
        ms: Math.round(run.ms),
        argv: kmemArgv(rel),
      },
      null,
      2,
    ) + "\n",
  );
  return dir;
}

/** Per failure signature: how often, and the saved examples. */
interface SigStat {
  outcome: Outcome;
  signature: string;
  detail: string;
  count: number;
  saved: string[];
  lines?: number;
}

async function main(): Promise<number> {
  const work = await Deno.makeTempDir({ prefix: "kmem-fuzz-" });
  const seeds = await loadSeeds(work);
  if (opt.case !== undefined) return await oneCase(Number(opt.case), seeds, work);
  const master = new Rng(seed);
  const deadline = performance.now() + seconds * 1000;
  const counts = new Map<Outcome, number>(OUTCOMES.map((o) => [o, 0]));
  const sigs = new Map<string, SigStat>();
  let cases = 0, runs = 0, minRuns = 0;
  await Deno.mkdir(outDir, { recursive: true });
  console.log(
    `fuzz: seed ${seed}, ${seconds} s, seeds: ${seeds.text.length} text, ${seeds.dat.length} ` +
      `trace.dat, ${seeds.bundles.length} bundles; failures go to ${outDir}/`,
  );
  try {
    while (performance.now() < deadline) {
      const c = makeCase(cases, master.u32(), seeds);
      cases++;
      const input = await writeInput(c, `${work}/case`);
      for (const cmd of c.commands) {
        if (performance.now() >= deadline) break;
        const { args, run, cls } = await runOne(cmd, input, work, c);
        runs++;
        counts.set(cls.outcome, counts.get(cls.outcome)! + 1);
        if (cls.outcome === "ok" || cls.outcome === "clean-error") continue;
        let s = sigs.get(cls.signature);
        if (!s) {
          s = {
            outcome: cls.outcome,
            signature: cls.signature,
            detail: cls.detail,
            count: 0,
            saved: [],
          };
          sigs.set(cls.signature, s);
          console.log(`new failure: ${cls.signature}  [${c.ops.join("; ").slice(0, 160)}]`);
        }
        s.count++;
        if (s.saved.length < keep) {
          if (s.saved.length === 0 && performance.now() < deadline) {
            const before = c.lines?.body.length;
            minRuns += await minimise(c, cmd, cls.signature, work);
            if (before !== undefined) s.lines = c.lines!.body.length;
          }
          s.saved.push(
            await save(
              c,
              args,
              input,
              run,
              cls,
              [...sigs.keys()].indexOf(cls.signature) + 1,
              s.saved.length + 1,
            ),
          );
        }
      }
      await Deno.remove(`${work}/case`, { recursive: true }).catch(() => {});
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  const failing = [...sigs.values()].reduce((n, s) => n + s.count, 0);
  const lines = [
    `runs by outcome: ${OUTCOMES.map((o) => `${o} ${counts.get(o)}`).join(", ")}`,
    ...[...sigs.values()].sort((a, b) => b.count - a.count).map((s) =>
      `${String(s.count).padStart(5)} × ${s.signature}\n        e.g. ${
        s.saved[0] ?? "(not saved)"
      }` +
      (s.lines !== undefined ? ` (${s.lines} body lines after minimising)` : "") +
      `\n        ${s.detail.slice(0, 200)}`
    ),
  ];
  await Deno.writeTextFile(`${outDir}/summary.txt`, lines.join("\n") + "\n");
  await Deno.writeTextFile(
    `${outDir}/summary.json`,
    JSON.stringify(
      {
        seed,
        seconds,
        cases,
        runs,
        minimiseRuns: minRuns,
        counts: Object.fromEntries(counts),
        failures: [...sigs.values()],
      },
      null,
      2,
    ) + "\n",
  );
  console.log(lines.join("\n"));
  const classes = [...new Set([...sigs.values()].map((s) => s.outcome))];
  console.log(
    `fuzz: ${cases} cases, ${runs} runs (seed ${seed}): ${failing} failing runs in ${sigs.size} ` +
      `signatures${classes.length ? ` (${classes.join(", ")})` : ""}; ` +
      `${failing === 0 ? "PASS" : "FAIL"}`,
  );
  return failing === 0 ? 0 : 1;
}

/** `--case`: the case of that seed, every run saved whatever its outcome. */
async function oneCase(caseSeed: number, seeds: Seeds, work: string): Promise<number> {
  const c = makeCase(0, caseSeed, seeds);
  const input = await writeInput(c, `${work}/case`);
  console.log(`case ${caseSeed}: ${c.kind} from ${c.seedName}: ${c.ops.join("; ")}`);
  let failed = 0;
  for (const [i, cmd] of c.commands.entries()) {
    const { args, run, cls } = await runOne(cmd, input, work, c);
    if (cls.outcome !== "ok" && cls.outcome !== "clean-error") failed++;
    const dir = await save(c, args, input, run, cls, 0, i + 1);
    console.log(`${cls.outcome}: ${cmd[0]}: ${cls.detail.slice(0, 200)} → ${dir}`);
  }
  await Deno.remove(work, { recursive: true }).catch(() => {});
  return failed === 0 ? 0 : 1;
}

Deno.exit(await main());
