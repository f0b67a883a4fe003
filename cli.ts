/**
 * The `kmem` command line: flags → library calls, file writes and exit codes. Everything else
 * (bundle loading, machine choice, text renderers, report naming, error mapping) is in lib/.
 *
 * @module
 */

// Full npm: specifier (version as in deno.json): runnable from any directory.
// deno-lint-ignore no-import-prefix
import { Command, CommanderError } from "npm:commander@14.0.3";
import { addImportOptions, addStatsOptions, type ImportFlags } from "./lib/calls/import_flags.ts";
import { CallRowWriter } from "./lib/calls/call_rows.ts";
import {
  addCaptureOptions,
  type CaptureFlags,
  captureFromFlags,
} from "./lib/capture/capture_flags.ts";
import {
  addReplayOptions,
  importOptionsOf,
  type InputFlags,
  machineChoiceOf,
  type ReplayFlags,
  replayOptionsOf,
} from "./lib/replay/replay_flags.ts";
import { replayInput } from "./lib/replay/replay_input.ts";
import type { ReplayTraceOptions } from "./lib/replay/replay_trace.ts";
import { formatValidation } from "./lib/replay/validate/format_validation.ts";
import { validateInputOf } from "./lib/replay/validate/validate_input.ts";
import { validateReplay } from "./lib/replay/validate/validate_replay.ts";
import { EXIT_CODES_HELP, ExitCode, exitStatusOf } from "./lib/report/exit_status.ts";
import { replayJson } from "./lib/report/replay_json.ts";
import { inputReport } from "./lib/report/input_report.ts";
import { KMEM_VERSION } from "./lib/report/kmem_version.ts";
import { formatCaptureSummary } from "./lib/report/text/capture_text.ts";
import { formatImportSummary } from "./lib/report/text/import_text.ts";
import { readWithProgress } from "./lib/report/text/progress_bar.ts";
import { formatReplay } from "./lib/report/text/replay_text.ts";
import { formatSlab } from "./lib/report/text/slab_text.ts";
import { formatStats } from "./lib/report/text/stats_text.ts";
import { addSlabOptions, type SlabFlags, slabTextOptionsOf } from "./lib/slab/slab_flags.ts";
import { resolveTraceInput, type TraceInput } from "./lib/snapshot/trace_input.ts";
import { parseZoneinfo } from "./lib/snapshot/zoneinfo.ts";
import { IoError, ioErrorOf } from "./lib/trace/io_error.ts";
import { importTrace } from "./lib/calls/trace_import.ts";

/** Where the command line writes (tests capture it); texts carry their own line breaks. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const encoder = new TextEncoder();

/**
 * Writes all of `text` before returning, so a fast parser cannot queue the output in memory;
 * a failure is an {@linkcode IoError} naming `name`.
 */
function writeAllSync(
  target: { writeSync(p: Uint8Array): number },
  text: string,
  name: string,
): void {
  const bytes = encoder.encode(text);
  try {
    for (let off = 0; off < bytes.length;) off += target.writeSync(bytes.subarray(off));
  } catch (e) {
    throw ioErrorOf(e, name, "output") ?? e;
  }
}

/** Opens (creates or truncates) an output file; a directory or a bad path is an {@linkcode IoError}. */
async function openOutputFile(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (e) {
    throw ioErrorOf(e, path, "output") ?? e;
  }
}

/**
 * Makes sure `dir` is a directory to write into (creating it and its parents); an existing file
 * there is a usage error naming the path, not an OS error.
 */
async function ensureOutputDir(dir: string): Promise<void> {
  const st = await Deno.stat(dir).catch(() => null);
  if (st && !st.isDirectory) {
    throw new IoError(
      "already-exists",
      dir,
      "output",
      "exists and is not a directory; -o needs a directory (new or existing)",
    );
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw ioErrorOf(e, dir, "output") ?? e;
  }
}

const STD_OUTPUT: CliOutput = {
  stdout: (text) => writeAllSync(Deno.stdout, text, "<stdout>"),
  stderr: (text) => writeAllSync(Deno.stderr, text, "<stderr>"),
};

const DEMO_BUNDLE = new URL("./traces/demo/", import.meta.url).pathname;

/** Resolves the trace argument, reads `--machine`, chooses the machine and replays. */
async function runReplay(
  io: CliOutput,
  trace: string | TraceInput,
  flags: ReplayFlags,
  extra: Pick<ReplayTraceOptions, "slab" | "metrics"> = {},
) {
  const input = typeof trace === "string" ? await resolveTraceInput(trace, flags.format) : trace;
  const machine = flags.machine === undefined
    ? undefined
    : parseZoneinfo(await Deno.readTextFile(flags.machine), flags.machine);
  const { result, notes, snapshots } = await replayInput(
    input,
    machineChoiceOf(flags, machine),
    { ...replayOptionsOf(flags, input.displayName), ...extra },
    (consume) => readWithProgress(input, consume),
  );
  warn(io, result.import.warnings);
  return { r: result, notes, input, snapshots };
}

/** Import warnings (e.g. many malformed lines) on stderr, before any result. */
function warn(io: CliOutput, warnings: readonly string[]): void {
  for (const w of warnings) io.stderr(`kmem: warning: ${w}\n`);
}

/** Replays with metrics, builds the report and writes every file; returns index.html's path. */
async function writeReport(
  io: CliOutput,
  trace: string,
  outDir: string | undefined,
  flags: ReplayFlags,
) {
  // A bad -o fails before the replay, not after it.
  if (outDir !== undefined) await ensureOutputDir(outDir);
  const { r, notes, input } = await runReplay(io, trace, flags, { metrics: true });
  const { dir, files } = await inputReport(r, notes, input, outDir);
  await writeFiles(dir, files);
  return `${dir}/index.html`;
}

async function writeFiles(dir: string, files: Map<string, string | Uint8Array>): Promise<void> {
  await ensureOutputDir(dir);
  for (const [file, content] of files) {
    const path = `${dir}/${file}`;
    try {
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
    } catch (e) {
      throw ioErrorOf(e, path, "output") ?? e;
    }
  }
}

/** The `kmem` program; actions write through `io`. */
function kmemProgram(io: CliOutput): Command {
  const print = (text: string) => io.stdout(text + "\n");
  const program = new Command()
    .name("kmem")
    .description("kmemreplay: replay Linux kmem ftrace traces against an emulated memory manager")
    .version(KMEM_VERSION, "-V, --version", "print kmemreplay's version")
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (str, write) => write(str),
    })
    .showHelpAfterError()
    .addHelpText("afterAll", EXIT_CODES_HELP);

  const stats = program.command("stats")
    .description("what a trace holds: format, kernel features, time span, events by kind and CPU");
  addStatsOptions(stats).action(async (trace: string, flags: InputFlags) => {
    const input = await resolveTraceInput(trace, flags.format);
    const s = await readWithProgress(
      input,
      (bytes) => importTrace(bytes, () => {}, importOptionsOf(flags, input.displayName)),
    );
    warn(io, s.warnings);
    print(flags.json ? JSON.stringify(s, null, 2) : formatStats(s));
  });

  addImportOptions(
    program
      .command("import")
      .description("write the allocator-call stream as CSV or NDJSON (summary on stderr)"),
  ).action(async (trace: string, flags: ImportFlags) => {
    const input = await resolveTraceInput(trace, flags.format);
    const out = flags.output;
    const rows = new CallRowWriter(out.endsWith(".csv") ? "csv" : "ndjson");
    using file = out === "-" ? null : await openOutputFile(out);
    const write = file ? (text: string) => writeAllSync(file, text, out) : io.stdout;
    const s = await readWithProgress(
      input,
      (bytes) =>
        importTrace(bytes, (b, strings) => write(rows.rows(b, strings)), {
          ...importOptionsOf(flags, input.displayName),
        }),
    );
    warn(io, s.warnings);
    io.stderr(formatImportSummary(s, out));
  });

  addReplayOptions(
    program
      .command("replay")
      .description("replay a trace against the emulated page allocator (and slab layer)")
      .argument("<trace>", "trace file, bundle directory (trace + before/after snapshots), or -"),
  ).action(async (trace: string, flags: ReplayFlags) => {
    // Metrics give the verdict its worst sampled moment and its fallbacks by comm.
    const { r, notes } = await runReplay(io, trace, flags, { metrics: true });
    print(flags.json ? JSON.stringify(replayJson(r), null, 2) : formatReplay(r, notes));
  });

  addReplayOptions(addSlabOptions(
    program
      .command("slab")
      .description("slab caches and call sites: bytes, waste, live objects, leak candidates")
      .argument("<trace>", "trace file, bundle directory, or -"),
  )).action(async (trace: string, flags: SlabFlags) => {
    const { r } = await runReplay(io, trace, flags, { slab: true });
    const s = r.slab!, opts = slabTextOptionsOf(flags);
    print(flags.json ? JSON.stringify(s, null, 2) : formatSlab(s, r.import.file, opts));
  });

  addReplayOptions(
    program
      .command("report")
      .description("replay and write CSV tables, Vega-Lite charts and one offline index.html")
      .argument("<trace>", "trace file, bundle directory, or -")
      .option("-o, --output <dir>", "output directory (default reports/<trace-name>/)"),
  ).action(async (trace: string, flags: ReplayFlags & { output?: string }) => {
    print(await writeReport(io, trace, flags.output, flags));
  });

  program
    .command("demo")
    .description(
      "the report for the bundled sample capture (traces/demo); prints the index.html path",
    )
    .option("-o, --output <dir>", "output directory", "reports/demo")
    .action(async (flags: { output: string }) => {
      const defaults = { mode: "faithful", mobilityGrouping: true, pcp: true } as const;
      print(`report written: ${await writeReport(io, DEMO_BUNDLE, flags.output, defaults)}`);
    });

  addReplayOptions(
    program
      .command("validate")
      .description("replay a bundle and compare with its after-snapshots, with the error budget")
      .argument("<bundle-dir>", "capture bundle (trace + before.* / after.* snapshots)"),
  ).action(async (dir: string, flags: ReplayFlags) => {
    // A bundle that cannot be compared fails before the replay, naming the file.
    const input = await validateInputOf(dir, flags.format);
    const { r, snapshots } = await runReplay(io, input, flags, { slab: true });
    const v = validateReplay(r, snapshots.after, snapshots.before);
    print(flags.json ? JSON.stringify(v, null, 2) : formatValidation(v));
  });

  addCaptureOptions(
    program
      .command("capture")
      .description(
        "record a bundle on this machine (root): private tracefs instance, /proc snapshots before " +
          "and after, trace text (+ trace.dat with trace-cmd), per-CPU buffer stats",
      ),
  ).action(async (command: string[], f: CaptureFlags) => {
    // A file at -o is a usage error before tracing starts, not an OS error after it.
    await ensureOutputDir(f.output);
    const r = await captureFromFlags(command, f, (m) => io.stderr(m + "\n"));
    io.stderr(formatCaptureSummary(r, f.output));
  });
  return program;
}

/** Runs `kmem` with `args` (without the program name); resolves to the exit code. */
export async function main(args: string[], io: CliOutput = STD_OUTPUT): Promise<number> {
  try {
    await kmemProgram(io).parseAsync(args, { from: "user" });
    return ExitCode.ok;
  } catch (e) {
    // Commander has printed its own message (usage error, --help, --version).
    if (e instanceof CommanderError) return e.exitCode;
    const status = exitStatusOf(e);
    if (status.message) io.stderr(`kmem: ${status.message}\n`);
    if (status.internal && Deno.env.get("KMEM_DEBUG")) io.stderr(`${(e as Error)?.stack}\n`);
    return status.code;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
