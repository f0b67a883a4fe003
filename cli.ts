/**
 * The `kmem` command line: flags → library calls. Only this file touches the file system.
 *
 * @module
 */

import { Command, InvalidArgumentError, Option } from "commander";
import cliProgress from "cli-progress";
import Papa from "papaparse";
import { CALL_NAMES } from "./lib/calls/call_kind.ts";
import type { CallBatch } from "./lib/calls/call_batch.ts";
import { formatGfp } from "./lib/kernel/gfp_flags.ts";
import { MIGRATE_TYPE_NAMES, ZONE_NAMES } from "./lib/kernel/constants.ts";
import { InputError, TraceSyntaxError } from "./lib/trace/diagnostics.ts";
import { valueColumns } from "./lib/trace/event_schema.ts";
import { MmInvariantError } from "./lib/mm/mm_invariant_error.ts";
import { EVENT_NAMES } from "./lib/trace/event_kind.ts";
import { ptrHex } from "./lib/trace/event_batch.ts";
import type { StringTable } from "./lib/trace/string_table.ts";
import { type ImportOptions, type ImportSummary, importTrace } from "./lib/calls/trace_import.ts";
import { bundleLayout } from "./lib/snapshot/bundle_layout.ts";
import { parseSnapshotSet, type SnapshotPair } from "./lib/snapshot/bundle.ts";
import { parseZoneinfo } from "./lib/snapshot/zoneinfo.ts";
import {
  type ArchName,
  machineSpecFromZoneinfo,
  presetMachineSpec,
} from "./lib/mm/machine_spec.ts";
import type { MachineSpec } from "./lib/mm/machine_spec.ts";
import { replayTrace, type ReplayTraceResult } from "./lib/replay/replay_trace.ts";
import type { ReplayMode } from "./lib/replay/page_replay_result.ts";
import { type SlabSortKey, sortSlabRows } from "./lib/slab/slab_replay.ts";
import { buildReport } from "./lib/report/build_report.ts";
import { formatValidation } from "./lib/replay/validate/format_validation.ts";
import { validateReplay } from "./lib/replay/validate/validate_replay.ts";
import {
  captureBundle,
  CaptureError,
  DEFAULT_CAPTURE_EVENTS,
} from "./lib/capture/tracefs_capture.ts";
import { gzipSync } from "node:zlib";

const READ_CHUNK_BYTES = 1 << 20;
const PROGRESS_MIN_BYTES = 32 << 20;

/** A trace path resolved: the file to read and, for a bundle directory, its snapshot files. */
interface TraceInput {
  path: string;
  displayName: string;
  sizeBytes: number | null;
  bundleDir: string | null;
  /** Snapshot file contents as bytes (text ones are decoded by parseSnapshotSet). */
  snapshots: Record<string, Uint8Array>;
  /** The bundle's `uname` file (kernel release of the traced machine), when present. */
  uname: string | null;
}

/**
 * The bundle's trace to read: the preferred one, unless `--format` names a format another of its
 * traces has (a bundle with trace.dat and trace.txt read `--format tracefs` takes the text).
 */
function bundleTraceFor(trace: string, others: string[], format?: string): string {
  if (!format || format === "auto") return trace;
  const isDat = (n: string) => /\.dat(\.(gz|zst))?$/.test(n);
  const want = format === "trace.dat"
    ? isDat
    : format === "perf-script"
    ? (n: string) => /perf/.test(n)
    : format === "trace-cmd"
    ? (n: string) => /trace-cmd/.test(n)
    : (n: string) => !isDat(n) && !/perf|trace-cmd/.test(n);
  return [trace, ...others].find(want) ?? trace;
}

async function resolveInput(path: string, format?: string): Promise<TraceInput> {
  if (path === "-") {
    return {
      path,
      displayName: "<stdin>",
      sizeBytes: null,
      bundleDir: null,
      snapshots: {},
      uname: null,
    };
  }
  const st = await Deno.stat(path);
  if (st.isDirectory) {
    const names: string[] = [];
    for await (const e of Deno.readDir(path)) if (e.isFile || e.isSymlink) names.push(e.name);
    const layout = bundleLayout(names);
    if (layout.trace === null) {
      throw new UserError(
        `${path}: no trace file in this directory (looked for trace.dat, ` +
          `trace.txt[.gz], perf-script.txt[.gz] …)`,
      );
    }
    const snapshots: Record<string, Uint8Array> = {};
    for (const n of layout.snapshots) snapshots[n] = await Deno.readFile(`${path}/${n}`);
    const file = `${path}/${bundleTraceFor(layout.trace, layout.otherTraces, format)}`;
    const fst = await Deno.stat(file);
    const uname = names.includes("uname")
      ? (await Deno.readTextFile(`${path}/uname`)).trim()
      : null;
    return {
      path: file,
      displayName: file,
      sizeBytes: fst.size,
      bundleDir: path,
      snapshots,
      uname,
    };
  }
  return {
    path,
    displayName: path,
    sizeBytes: st.size,
    bundleDir: null,
    snapshots: {},
    uname: null,
  };
}

/** The file's bytes as a stream of 1 MiB chunks; `onBytes` sees the bytes read from disk so far. */
function openStream(
  input: TraceInput,
  onBytes: (n: number) => void = () => {},
): ReadableStream<Uint8Array> {
  if (input.path === "-") return Deno.stdin.readable;
  let file: Deno.FsFile | null = null;
  let read = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      file ??= await Deno.open(input.path);
      const buf = new Uint8Array(READ_CHUNK_BYTES);
      const n = await file.read(buf);
      if (n === null) {
        file.close();
        controller.close();
      } else {
        read += n;
        onBytes(read);
        controller.enqueue(n === buf.length ? buf : buf.subarray(0, n));
      }
    },
    cancel() {
      file?.close();
    },
  }, { highWaterMark: 2 });
}

/** A progress bar on stderr for large inputs on a terminal; quiet otherwise. */
function progressFor(input: TraceInput): { update(bytes: number): void; stop(): void } {
  const total = input.sizeBytes;
  if (total === null || total < PROGRESS_MIN_BYTES || !Deno.stderr.isTerminal()) {
    return { update() {}, stop() {} };
  }
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: "reading {bar} {percentage}% | {value}/{total} MiB | {eta}s left",
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(Math.ceil(total / (1 << 20)), 0);
  let last = 0;
  return {
    update(bytes: number) {
      const mib = Math.min(Math.floor(bytes / (1 << 20)), Math.ceil(total / (1 << 20)));
      if (mib !== last) {
        last = mib;
        bar.update(mib);
      }
    },
    stop() {
      bar.stop();
    },
  };
}

/** Errors the user can fix: printed without a stack trace. */
class UserError extends Error {}

interface CommonFlags {
  format?: string;
  strict?: boolean;
  buffer?: string;
}

async function runImport(
  input: TraceInput,
  flags: CommonFlags,
  sink: (calls: CallBatch, strings: StringTable) => void,
  extra: Partial<ImportOptions> = {},
): Promise<ImportSummary> {
  const progress = progressFor(input);
  try {
    // Progress counts bytes read from disk, so compressed input is measured against its size.
    return await importTrace(openStream(input, (n) => progress.update(n)), sink, {
      file: input.displayName,
      format: (flags.format ?? "auto") as ImportOptions["format"],
      strict: flags.strict ?? false,
      buffer: flags.buffer,
      ...extra,
    });
  } finally {
    progress.stop();
  }
}

function printStats(s: ImportSummary): void {
  const out: string[] = [];
  const sec = (ns: number) => (ns / 1e9).toFixed(6);
  out.push(`file       ${s.file}`);
  out.push(`format     ${s.format}${s.compression !== "none" ? ` (${s.compression})` : ""}`);
  out.push(`kernel     ${s.features.kernel}`);
  if (s.timeNs.first >= 0) {
    out.push(
      `time       ${sec(s.timeNs.first)} … ${sec(s.timeNs.last)} s (span ${
        (s.timeNs.span / 1e6).toFixed(3)
      } ms)`,
    );
  }
  const l = s.lines;
  out.push(
    `${
      s.format === "trace.dat" ? "records" : "lines  "
    }    ${l.total} total: ${l.parsed} parsed, ` +
      `${l.unknown} unknown, ${l.malformed} malformed, ${l.comment} comment`,
  );
  out.push(
    `lost       ${s.lost.markers} markers, ${s.lost.events} events reported lost` +
      (s.lost.markers > 0 ? "  ← replay results near these points are uncertain" : ""),
  );
  out.push(`events     ${s.events.total}`);
  const kinds = Object.entries(s.events.byKind).sort((a, b) => b[1] - a[1]);
  for (const [k, n] of kinds) out.push(`  ${k.padEnd(36)} ${String(n).padStart(10)}`);
  out.push(
    `by cpu     ${Object.entries(s.events.byCpu).map(([c, n]) => `cpu${c}=${n}`).join(" ")}`,
  );
  const unknown = Object.entries(s.unknownEvents);
  if (unknown.length > 0) {
    out.push(`unknown events (counted, not replayed):`);
    for (const [k, n] of unknown.sort((a, b) => b[1] - a[1]).slice(0, 20)) {
      out.push(`  ${k.padEnd(36)} ${String(n).padStart(10)}`);
    }
  }
  out.push(
    `calls      ${s.calls.total} (mm_page_free_batched annotated ${s.calls.batchedAnnotated} frees, ` +
      `${s.calls.batchedUnmatched} unmatched; ${s.calls.late} arrived too late to reorder)`,
  );
  printDiagnostics(out, s.diagnostics);
  console.log(out.join("\n"));
}

function printDiagnostics(
  out: string[],
  d: {
    counts: Record<string, number>;
    examples: Array<{ code: string; line: number; message: string }>;
  },
): void {
  const codes = Object.entries(d.counts);
  if (codes.length === 0) return;
  out.push(`diagnostics:`);
  for (const [c, n] of codes) out.push(`  ${c}: ${n}`);
  for (const e of d.examples.slice(0, 10)) out.push(`    line ${e.line}: ${e.message}`);
}

/** Column names of `kmem import` rows (CSV header and NDJSON keys). */
const CALL_COLUMNS = [
  "tsNs",
  "cpu",
  "pid",
  "comm",
  "call",
  "event",
  "pfn",
  "order",
  "migratetype",
  "gfp",
  "gfpFlags",
  "flags",
  "ptr",
  "bytesReq",
  "bytesAlloc",
  "callSite",
  "name",
  "node",
  "zone",
  "a",
  "b",
  "c",
  "d",
  "source",
] as const;

const gfpNames = new Map<number, string>();

/** One row per call for `kmem import`, in {@linkcode CALL_COLUMNS} order. */
function callRow(b: CallBatch, i: number, strings: StringTable): unknown[] {
  const zone = b.zone[i]!;
  const mt = b.mt[i]!;
  const gfp = b.gfp[i]!;
  let gfpFlags = "";
  if (gfp) {
    gfpFlags = gfpNames.get(gfp) ?? formatGfp(gfp);
    if (gfpNames.size < 4096) gfpNames.set(gfp, gfpFlags);
  }
  return [
    b.tsNs[i],
    b.cpu[i],
    b.pid[i],
    strings.get(b.comm[i]!),
    CALL_NAMES[b.call[i]!],
    EVENT_NAMES[b.kind[i]!],
    b.pfn[i],
    b.order[i],
    mt >= 0 ? (MIGRATE_TYPE_NAMES[mt] ?? mt) : "",
    gfp ? `0x${gfp.toString(16)}` : "",
    gfpFlags,
    b.flags[i],
    b.ptrHi[i] || b.ptrLo[i] ? ptrHex(b, i) : "",
    b.bytesReq[i],
    b.bytesAlloc[i],
    strings.get(b.callSite[i]!),
    strings.get(b.name[i]!),
    b.node[i],
    zone >= 0 ? (ZONE_NAMES[zone] ?? zone) : "",
    ...valueColumns(b, i),
    b.source[i],
  ];
}

const encoder = new TextEncoder();

/**
 * Writes all of `text` before returning: the sink that calls it is synchronous, so this is
 * what keeps a fast parser from queueing the whole output in memory.
 */
function writeAllSync(target: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  for (let off = 0; off < bytes.length;) off += target.writeSync(bytes.subarray(off));
}

const program = new Command();
program
  .name("kmem")
  .description(
    "kmemreplay: replay Linux kmem ftrace traces against an emulated memory manager",
  )
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

const formatOption = () =>
  new Option("--format <format>", "input format (default: detected from the content)").choices([
    "auto",
    "tracefs",
    "trace-cmd",
    "perf-script",
    "trace.dat",
  ]);

program
  .command("stats")
  .description("what a trace holds: format, kernel features, time span, events by kind and CPU")
  .argument("<trace>", "trace file (text, trace.dat, .gz/.zst), bundle directory, or - for stdin")
  .addOption(formatOption())
  .option("--buffer <name>", "trace.dat instance to read (default: the one with kmem events)")
  .option("--strict", "the first malformed line is an error")
  .option("--json", "print one JSON object (see README: stats --json)")
  .action(async (trace: string, flags: CommonFlags & { json?: boolean }) => {
    const input = await resolveInput(trace, flags.format);
    const s = await runImport(input, flags, () => {});
    if (flags.json) console.log(JSON.stringify(s, null, 2));
    else printStats(s);
  });

program
  .command("import")
  .description("write the allocator-call stream as CSV or NDJSON (summary on stderr)")
  .argument("<trace>", "trace file, bundle directory, or - for stdin")
  .option("-o, --output <file>", "calls.csv, calls.ndjson or - (stdout, NDJSON)", "-")
  .addOption(formatOption())
  .option("--buffer <name>", "trace.dat instance to read")
  .option("--strict", "the first malformed line is an error")
  .action(async (trace: string, flags: CommonFlags & { output: string }) => {
    const input = await resolveInput(trace, flags.format);
    const out = flags.output;
    const csv = out.endsWith(".csv");
    const file = out === "-"
      ? null
      : await Deno.open(out, { write: true, create: true, truncate: true });
    const target = file ?? Deno.stdout;
    let header = true;
    const s = await runImport(input, flags, (b, strings) => {
      const rows: unknown[][] = new Array(b.length);
      for (let i = 0; i < b.length; i++) rows[i] = callRow(b, i, strings);
      const text = csv
        ? Papa.unparse({ fields: [...CALL_COLUMNS], data: rows }, { header }) + "\r\n"
        : rows.map((r) => JSON.stringify(Object.fromEntries(CALL_COLUMNS.map((c, k) => [c, r[k]]))))
          .join("\n") + "\n";
      header = false;
      writeAllSync(target, text);
    });
    file?.close();
    const o: string[] = [];
    o.push(
      `${s.calls.total} calls from ${s.events.total} events (${s.format}) → ${
        out === "-" ? "stdout" : out
      }`,
    );
    o.push(`lines ${JSON.stringify(s.lines)} lost ${JSON.stringify(s.lost)}`);
    console.error(o.join("\n"));
  });

/** `2GiB`, `512M`, `4096k`, `1073741824` → bytes. */
function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(i?[bB])?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`not a size: ${text} (use e.g. 2GiB, 512M)`);
  const mult: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  return Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

function parseIntArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`not a whole number: ${text}`);
  return n;
}

interface ReplayFlags extends CommonFlags {
  mode: ReplayMode;
  machine?: string;
  arch?: ArchName;
  memory?: number;
  pageSize?: number;
  maxOrder?: number;
  pageblockOrder?: number;
  mobilityGrouping: boolean;
  pcp: boolean;
  minFreeKbytes?: number;
  watermarkScaleFactor?: number;
  cpus?: number;
  slubMaxOrder?: number;
  slubMinObjects?: number;
  slubMinOrder?: number;
  json?: boolean;
}

function addReplayOptions(cmd: Command): Command {
  return cmd
    .addOption(formatOption())
    .option("--buffer <name>", "trace.dat instance to read")
    .option("--strict", "the first malformed line or desync is an error")
    .addOption(
      new Option("--mode <mode>", "replay the recorded pfns, or let the emulator choose")
        .choices(["faithful", "policy"]).default("faithful"),
    )
    .option("--machine <zoneinfo>", "a /proc/zoneinfo file defining the machine exactly")
    .addOption(
      new Option("--arch <preset>", "zone layout preset when no zoneinfo is given")
        .choices(["x86_64", "i386", "arm64"]),
    )
    .option("--memory <size>", "installed memory of the preset, e.g. 2GiB", parseSize)
    .option("--page-size <size>", "page size: 4KiB, 8KiB, 16KiB, 64KiB", parseSize)
    .option("--max-order <n>", "MAX_PAGE_ORDER (default 10)", parseIntArg)
    .option("--pageblock-order <n>", "pageblock order (default 9)", parseIntArg)
    .option("--no-mobility-grouping", "every request UNMOVABLE (page_group_by_mobility_disabled)")
    .option("--no-pcp", "no per-cpu page lists")
    .option("--min-free-kbytes <n>", "vm.min_free_kbytes (recomputes watermarks)", parseIntArg)
    .option("--watermark-scale-factor <n>", "vm.watermark_scale_factor", parseIntArg)
    .option("--cpus <n>", "CPUs of the emulated machine", parseIntArg)
    .option(
      "--slub-max-order <n>",
      "what-if slab_max_order= (slab geometry computed; in policy mode slab page orders change)",
      parseIntArg,
    )
    .option("--slub-min-objects <n>", "what-if slab_min_objects=", parseIntArg)
    .option("--slub-min-order <n>", "what-if slab_min_order=", parseIntArg)
    .option("--json", "print one JSON object (see README)");
}

/** Reads the bundle's snapshots; builds the machine from the flags. */
async function machineFor(
  input: TraceInput,
  flags: ReplayFlags,
): Promise<{ spec: MachineSpec | undefined; snapshots: SnapshotPair; notes: string[] }> {
  const notes: string[] = [];
  const snapshots = parseSnapshotSet(input.snapshots);
  const presetWanted = flags.arch !== undefined || flags.memory !== undefined ||
    flags.pageSize !== undefined;
  let spec: MachineSpec | undefined;
  if (flags.machine) {
    spec = machineSpecFromZoneinfo(
      parseZoneinfo(await Deno.readTextFile(flags.machine), flags.machine),
      flags.arch ?? "x86_64",
    );
    notes.push(`machine from ${flags.machine}`);
  } else if (snapshots.before.zoneinfo && !presetWanted) {
    spec = machineSpecFromZoneinfo(snapshots.before.zoneinfo, flags.arch ?? "x86_64");
    notes.push(`machine from before.zoneinfo of ${input.bundleDir}`);
  } else {
    let memoryBytes = flags.memory;
    if (memoryBytes === undefined) {
      memoryBytes = await guessMemoryBytes(input, flags);
      notes.push(
        `no zoneinfo: memory sized from the highest pfn in the trace (${
          (memoryBytes / 2 ** 30).toFixed(0)
        } GiB); pass --machine or --memory to choose`,
      );
    }
    spec = presetMachineSpec(flags.arch ?? "x86_64", {
      memoryBytes,
      pageSizeBytes: flags.pageSize,
      maxOrder: flags.maxOrder,
      pageblockOrder: flags.pageblockOrder,
      cpus: flags.cpus,
    });
  }
  if (presetWanted && snapshots.before.zoneinfo) {
    // A what-if machine cannot start from the real machine's free lists.
    snapshots.before = { slabinfo: snapshots.before.slabinfo };
    notes.push("what-if machine: before-snapshots of the real machine not used for seeding");
  }
  spec.mobilityGrouping = flags.mobilityGrouping && spec.mobilityGrouping;
  spec.pcpEnabled = flags.pcp && spec.pcpEnabled;
  if (flags.minFreeKbytes !== undefined) {
    spec.minFreeKbytes = flags.minFreeKbytes;
    for (const z of spec.zones) delete z.watermarks;
  }
  if (flags.watermarkScaleFactor !== undefined) {
    spec.watermarkScaleFactor = flags.watermarkScaleFactor;
    for (const z of spec.zones) delete z.watermarks;
  }
  if (flags.maxOrder !== undefined) spec.maxOrder = flags.maxOrder;
  if (flags.pageblockOrder !== undefined) spec.pageblockOrder = flags.pageblockOrder;
  if (flags.cpus !== undefined) spec.cpus = flags.cpus;
  return { spec, snapshots, notes };
}

/** One pass over the trace to find the highest pfn (only when nothing says how big memory is). */
async function guessMemoryBytes(input: TraceInput, flags: CommonFlags): Promise<number> {
  if (input.path === "-") return 16 * 2 ** 30;
  let maxPfn = 0;
  await runImport(input, flags, (b) => {
    for (let i = 0; i < b.length; i++) if (b.pfn[i]! > maxPfn) maxPfn = b.pfn[i]!;
  });
  const gib = Math.max(1, Math.ceil(((maxPfn + 1024) * 4096) / 2 ** 30));
  return gib * 2 ** 30;
}

async function runReplay(
  trace: string,
  flags: ReplayFlags,
  extra: { slab?: boolean; metrics?: boolean } = {},
): Promise<{ r: ReplayTraceResult; notes: string[]; input: TraceInput }> {
  const input = await resolveInput(trace, flags.format);
  const { spec, snapshots, notes } = await machineFor(input, flags);
  const progress = progressFor(input);
  try {
    const r = await replayTrace(openStream(input, (n) => progress.update(n)), {
      file: input.displayName,
      format: (flags.format ?? "auto") as ImportOptions["format"],
      strict: flags.strict ?? false,
      buffer: flags.buffer,
      mode: flags.mode,
      spec,
      snapshots,
      slubMaxOrder: flags.slubMaxOrder,
      slubMinObjects: flags.slubMinObjects,
      slubMinOrder: flags.slubMinOrder,
      ...extra,
    });
    return { r, notes, input };
  } finally {
    progress.stop();
  }
}

/** `kmem replay --json`: the page replay result plus slab totals and the import summary. */
function replayJson(r: ReplayTraceResult): Record<string, unknown> {
  return {
    ...r.pages,
    trace: {
      file: r.import.file,
      format: r.import.format,
      kernel: r.import.features.kernel,
      timeNs: r.import.timeNs,
      events: r.import.events.total,
    },
    slab: r.slab
      ? {
        totals: r.slab.totals,
        desync: r.slab.desync,
        caches: r.slab.caches.length,
        leaks: r.slab.leaks.length,
      }
      : null,
    slabPages: r.slabPages,
    elapsedMs: Math.round(r.elapsedMs),
  };
}

function printReplay(r: ReplayTraceResult, notes: string[]): void {
  const p = r.pages;
  const o: string[] = [];
  o.push(
    `replay     ${p.mode} of ${r.import.file} (${r.import.format}, ${r.import.events.total} events, ` +
      `${(r.import.timeNs.span / 1e9).toFixed(3)} s of trace time)`,
  );
  for (const n of notes) o.push(`note       ${n}`);
  o.push(`calls      ${Object.entries(p.calls).map(([k, n]) => `${k}=${n}`).join(" ")}`);
  o.push("");
  o.push(
    "zone         free pages   min seen  pcp pages   wmark min/low/high   below low/min   free blocks per order 0..10",
  );
  for (const z of p.zones) {
    o.push(
      `${z.name.padEnd(10)} ${String(z.freePages).padStart(12)} ${
        String(z.minFreePages).padStart(10)
      } ` +
        `${String(z.pcpPages).padStart(10)}   ${
          `${z.watermarks.min}/${z.watermarks.low}/${z.watermarks.high}`.padEnd(20)
        } ${`${z.watermarkBreaches.low}/${z.watermarkBreaches.min}`.padStart(13)}   ${
          z.freeBlocks.join(" ")
        }`,
    );
  }
  o.push("");
  const f = p.fallbacks;
  o.push(
    `fallbacks  ${f.total} (fragmenting ${f.fragmenting}, claims ${f.claims}, steals ${f.steals})` +
      (Object.keys(f.byType).length
        ? `  ${Object.entries(f.byType).map(([k, n]) => `${k}=${n}`).join(" ")}`
        : ""),
  );
  o.push(
    `failures   ${p.failures.total}` +
      (p.failures.total ? `  by order: ${p.failures.byOrder.join(" ")}` : ""),
  );
  o.push(`lost       ${p.lost.markers} markers, ${p.lost.events} events`);
  const ds = Object.entries(p.desyncs);
  const dTotal = ds.reduce((a, [, n]) => a + n, 0);
  o.push(
    `desyncs    ${dTotal}${ds.length ? `: ${ds.map(([k, n]) => `${k}=${n}`).join(" ")}` : ""}`,
  );
  for (const e of p.desyncExamples.slice(0, 6)) o.push(`    ${e.kind} at ${e.line}: ${e.message}`);
  if (r.slab) {
    const t = r.slab.totals;
    o.push(
      `slab       ${t.allocs} allocs, ${t.frees} frees, ${t.liveAtEnd} live at end (${
        (t.liveBytesAtEnd / 2 ** 20).toFixed(1)
      } MiB), internal fragmentation ${t.fragPct.toFixed(3)} %, ${r.slab.caches.length} caches ` +
        `(details: kmem slab)`,
    );
  }
  if (r.slabPages) {
    o.push(
      `slab pages ${r.slabPages.delegatedCalls} trace page calls left to the slab model; ` +
        `slab blocks by order at the end: ${r.slabPages.blocksByOrder.join(" ")}`,
    );
  }
  o.push(`time       ${(r.elapsedMs / 1000).toFixed(2)} s`);
  console.log(o.join("\n"));
}

addReplayOptions(
  program
    .command("replay")
    .description("replay a trace against the emulated page allocator (and slab layer)")
    .argument("<trace>", "trace file, bundle directory (trace + before/after snapshots), or -"),
).action(async (trace: string, flags: ReplayFlags) => {
  const { r, notes } = await runReplay(trace, flags);
  if (flags.json) console.log(JSON.stringify(replayJson(r), null, 2));
  else printReplay(r, notes);
});

addReplayOptions(
  program
    .command("slab")
    .description("slab caches and call sites: bytes, waste, live objects, leak candidates")
    .argument("<trace>", "trace file, bundle directory, or -")
    .addOption(
      new Option("--sort <key>", "sort key").choices(["bytes", "waste", "live", "calls"]).default(
        "bytes",
      ),
    )
    .option("--caller", "table per call site (default)")
    .option("--cache", "table per cache")
    .option("-n, --lines <n>", "rows to print", parseIntArg, 25),
).action(async (
  trace: string,
  flags: ReplayFlags & { sort: SlabSortKey; caller?: boolean; cache?: boolean; lines: number },
) => {
  const { r } = await runReplay(trace, flags, { slab: true });
  const s = r.slab!;
  if (flags.json) {
    console.log(JSON.stringify(s, null, 2));
    return;
  }
  const o: string[] = [];
  const t = s.totals;
  const mib = (n: number) => (n / 2 ** 20).toFixed(2);
  o.push(
    `slab replay of ${r.import.file}: ${t.allocs} allocs, ${t.frees} frees (${t.kfreeNull} kfree(NULL))`,
  );
  o.push(
    `Total bytes requested: ${t.bytesReq}  allocated: ${t.bytesAlloc}  freed: ${t.bytesFreed}`,
  );
  o.push(
    `Total bytes wasted on internal fragmentation: ${t.wasteBytes}  Internal fragmentation: ${
      t.fragPct.toFixed(6)
    }%`,
  );
  o.push(
    `Live at end: ${t.liveAtEnd} objects, ${
      mib(t.liveBytesAtEnd)
    } MiB; large (page) kmallocs ${t.largeAllocs}`,
  );
  const showCache = flags.cache && !flags.caller;
  if (showCache) {
    const rows = sortSlabRows(s.caches, flags.sort);
    o.push("");
    o.push(
      `${"cache".padEnd(28)} ${"objsize".padStart(7)} ${"obj/slab".padStart(8)} ${
        "pg/slab".padStart(7)
      } ${"active".padStart(9)} ${"total".padStart(9)} ${"slabs".padStart(7)} ${
        "util%".padStart(6)
      } ${"allocs".padStart(8)} ${"frees".padStart(8)}`,
    );
    for (const x of rows.slice(0, flags.lines)) {
      o.push(
        `${x.name.slice(0, 28).padEnd(28)} ${String(x.objSizeBytes).padStart(7)} ${
          String(x.objsPerSlab).padStart(8)
        } ${String(x.pagesPerSlab).padStart(7)} ${String(x.activeObjs).padStart(9)} ${
          String(x.numObjs).padStart(9)
        } ${String(x.numSlabs).padStart(7)} ${(x.utilisation * 100).toFixed(1).padStart(6)} ${
          String(x.allocs).padStart(8)
        } ${String(x.frees).padStart(8)}`,
      );
    }
  } else {
    const rows = sortSlabRows(s.callSites, flags.sort);
    o.push("");
    o.push(
      `${"Callsite".padEnd(44)} ${"Total_alloc".padStart(12)} ${"Total_req".padStart(12)} ${
        "Hit".padStart(8)
      } ${"Frees".padStart(8)} ${"Live".padStart(7)} ${"Waste".padStart(10)} ${"Frag".padStart(8)}`,
    );
    for (const c of rows.slice(0, flags.lines)) {
      o.push(
        `${c.callSite.slice(0, 44).padEnd(44)} ${String(c.bytesAlloc).padStart(12)} ${
          String(c.bytesReq).padStart(12)
        } ${String(c.allocs).padStart(8)} ${String(c.frees).padStart(8)} ${
          String(c.liveAtEnd).padStart(7)
        } ${String(c.wasteBytes).padStart(10)} ${c.fragPct.toFixed(3).padStart(7)}%`,
      );
    }
  }
  if (s.leaks.length) {
    o.push("");
    o.push(
      "leak candidates (live at the end, allocated long before it, outside lost-event windows):",
    );
    for (const l of s.leaks.slice(0, 10)) o.push(`  ${JSON.stringify(l)}`);
  }
  const d = Object.entries(s.desync).filter(([, n]) => typeof n === "number" && n > 0);
  if (d.length) o.push(`desyncs: ${d.map(([k, n]) => `${k}=${n}`).join(" ")}`);
  if (s.aliases.length) {
    o.push(
      `merged/aliased caches: ${
        s.aliases.slice(0, 10).map((a) => `${a.alias}→${a.cache} (${a.count})`).join(", ")
      }`,
    );
  }
  console.log(o.join("\n"));
});

const DEMO_BUNDLE = new URL("./traces/demo/", import.meta.url).pathname;

/** Replays with metrics, builds the report and writes every file into `outDir`. */
async function writeReport(
  trace: string,
  outDir: string | undefined,
  flags: ReplayFlags,
): Promise<string> {
  const { r, notes, input } = await runReplay(trace, flags, { metrics: true });
  const name = (input.bundleDir ?? input.path).replace(/\/+$/, "").split("/").pop()!
    .replace(/\.(gz|zst)$/, "").replace(/\.(txt|dat)$/, "");
  const dir = outDir ?? `reports/${input.path === "-" ? "stdin" : name}`;
  const imp = r.import;
  const desyncs = Object.values(r.pages.desyncs).reduce((a, n) => a + n, 0);
  const { files } = await buildReport({
    summary: {
      traceName: input.bundleDir ?? input.displayName,
      traceFormat: `${imp.format}${imp.compression !== "none" ? ` (${imp.compression})` : ""}`,
      kernelRelease: input.uname ?? imp.features.kernel,
      firstTsNs: imp.timeNs.first,
      lastTsNs: imp.timeNs.last,
      events: imp.events.total,
      lostEvents: imp.lost.events,
      desyncs,
      calls: imp.calls.total,
      cpus: Object.keys(imp.events.byCpu).length,
      eventsByName: imp.events.byKind,
      diagnostics: Object.entries(imp.diagnostics.counts).map(([code, count]) => ({
        code,
        count,
        example: imp.diagnostics.examples.find((e) => e.code === code)?.message,
      })),
      notes: [
        `${r.pages.mode} replay; desyncs by kind: ${
          Object.entries(r.pages.desyncs).map(([k, n]) => `${k} ${n}`).join(", ") || "none"
        }`,
        ...notes,
      ],
      generator: "kmemreplay",
    },
    metrics: r.metrics!,
    machine: r.spec,
  });
  // summary.json carries the same keys as `kmem replay --json` (plus the report's own totals).
  const reportSummary = files.get("summary.json");
  files.set(
    "summary.json",
    JSON.stringify(
      {
        ...replayJson(r),
        report: typeof reportSummary === "string" ? JSON.parse(reportSummary) : null,
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.mkdir(dir, { recursive: true });
  for (const [file, content] of files) {
    if (typeof content === "string") await Deno.writeTextFile(`${dir}/${file}`, content);
    else await Deno.writeFile(`${dir}/${file}`, content);
  }
  return `${dir}/index.html`;
}

addReplayOptions(
  program
    .command("report")
    .description("replay and write CSV tables, Vega-Lite charts and one offline index.html")
    .argument("<trace>", "trace file, bundle directory, or -")
    .option("-o, --output <dir>", "output directory (default reports/<trace-name>/)"),
).action(async (trace: string, flags: ReplayFlags & { output?: string }) => {
  const index = await writeReport(trace, flags.output, flags);
  console.log(index);
});

program
  .command("demo")
  .description(
    "the report for the bundled sample capture (traces/demo); prints the index.html path",
  )
  .option("-o, --output <dir>", "output directory", "reports/demo")
  .action(async (flags: { output: string }) => {
    const index = await writeReport(DEMO_BUNDLE, flags.output, {
      mode: "faithful",
      mobilityGrouping: true,
      pcp: true,
    });
    console.log(`report written: ${index}`);
  });

addReplayOptions(
  program
    .command("validate")
    .description("replay a bundle and compare with its after-snapshots, with the error budget")
    .argument("<bundle-dir>", "capture bundle (trace + before.* / after.* snapshots)"),
).action(async (dir: string, flags: ReplayFlags) => {
  const { r, input } = await runReplay(dir, flags, { slab: true });
  if (!input.bundleDir) throw new UserError(`${dir}: kmem validate needs a bundle directory`);
  // Parse again: machineFor drops the before-snapshots for what-if machines.
  const s = parseSnapshotSet(input.snapshots);
  if (!s.after.buddyinfo && !s.after.zoneinfo) {
    throw new UserError(`${dir}: no after.buddyinfo / after.zoneinfo to compare with`);
  }
  const v = validateReplay(r, s.after, s.before);
  console.log(flags.json ? JSON.stringify(v, null, 2) : formatValidation(v));
});

program
  .command("capture")
  .description(
    "record a bundle on this machine (root): private tracefs instance, /proc snapshots before " +
      "and after, trace text (+ trace.dat with trace-cmd), per-CPU buffer stats",
  )
  .requiredOption("-o, --output <dir>", "bundle directory to write")
  .option("--seconds <n>", "record this long when no command is given", Number, 5)
  .option("--events <list>", "event systems or system:event", DEFAULT_CAPTURE_EVENTS.join(","))
  .option("--buffer-kb <n>", "per-CPU ring buffer in KiB (default 32768)", parseIntArg)
  .option("--no-dat", "do not save trace.dat with trace-cmd extract")
  .option("--gzip", "write trace.txt.gz instead of trace.txt")
  .option(
    "--no-shrink-slabs",
    "do not shrink the slab caches before each slabinfo read (then active_objs also counts " +
      "free objects of CPU slabs and sheaves, and validate compares the emulated layout)",
  )
  .option(
    "--no-kpageflags",
    "do not save before/after.kpageflags (the flags of every pfn from /proc/kpageflags)",
  )
  .argument("[command...]", "record while this command runs (put it after --)")
  .action(async (
    command: string[],
    f: {
      output: string;
      seconds: number;
      events: string;
      bufferKb?: number;
      dat: boolean;
      gzip?: boolean;
      shrinkSlabs: boolean;
      kpageflags: boolean;
    },
  ) => {
    const r = await captureBundle({
      shrinkSlabs: f.shrinkSlabs,
      kpageflags: f.kpageflags,
      seconds: f.seconds,
      events: f.events.split(","),
      command: command.length ? command : undefined,
      bufferKb: f.bufferKb,
      traceDat: f.dat,
      onProgress: (m) => console.error(m),
    });
    await Deno.mkdir(f.output, { recursive: true });
    for (const [name, data] of r.files) {
      if (name === "trace.txt" && f.gzip) {
        const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
        await Deno.writeFile(`${f.output}/trace.txt.gz`, gzipSync(bytes));
      } else if (typeof data === "string") await Deno.writeTextFile(`${f.output}/${name}`, data);
      else await Deno.writeFile(`${f.output}/${name}`, data);
    }
    for (const n of r.notes) console.error(`note: ${n}`);
    console.error(
      `${f.output}: ${r.stats.seconds.toFixed(2)} s recorded, ${r.stats.lostEvents} events lost`,
    );
  });

async function main(): Promise<number> {
  try {
    await program.parseAsync(["deno", "kmem", ...Deno.args]);
    return 0;
  } catch (e) {
    if (
      e instanceof TraceSyntaxError || e instanceof UserError ||
      e instanceof InvalidArgumentError ||
      e instanceof CaptureError || e instanceof InputError
    ) {
      console.error(`kmem: ${e.message}`);
      return 2;
    }
    if (e instanceof MmInvariantError) {
      console.error(`kmem: emulator invariant broken (strict mode): ${e.message}`);
      return 3;
    }
    if (e instanceof Deno.errors.NotFound) {
      console.error(
        `kmem: ${
          (e as Error).message.replace(
            /^No such file or directory \(os error 2\): /,
            "no such file: ",
          )
        }`,
      );
      return 2;
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      console.error(`kmem: permission denied: ${(e as Error).message}`);
      return 2;
    }
    if (e instanceof Error && /corrupt|truncated/.test(e.message)) {
      console.error(`kmem: ${e.message}`);
      return 2;
    }
    console.error(`kmem: internal error: ${(e as Error)?.message ?? e}`);
    if (Deno.env.get("KMEM_DEBUG")) console.error((e as Error)?.stack);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main());
