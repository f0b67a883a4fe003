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
import { MmInvariantError, TraceSyntaxError } from "./lib/trace/diagnostics.ts";
import { EVENT_NAMES } from "./lib/trace/event_kind.ts";
import { ptrHex } from "./lib/trace/event_batch.ts";
import type { StringTable } from "./lib/trace/string_table.ts";
import { type ImportOptions, type ImportSummary, importTrace } from "./lib/trace/trace_import.ts";
import { bundleLayout } from "./lib/snapshot/bundle_layout.ts";

const READ_CHUNK_BYTES = 1 << 20;
const PROGRESS_MIN_BYTES = 32 << 20;

/** A trace path resolved: the file to read and, for a bundle directory, its snapshot files. */
interface TraceInput {
  path: string;
  displayName: string;
  sizeBytes: number | null;
  bundleDir: string | null;
  snapshots: Record<string, string>;
}

async function resolveInput(path: string): Promise<TraceInput> {
  if (path === "-") {
    return { path, displayName: "<stdin>", sizeBytes: null, bundleDir: null, snapshots: {} };
  }
  const st = await Deno.stat(path);
  if (st.isDirectory) {
    const names: string[] = [];
    for await (const e of Deno.readDir(path)) if (e.isFile) names.push(e.name);
    const layout = bundleLayout(names);
    if (layout.trace === null) {
      throw new UserError(
        `${path}: no trace file in this directory (looked for trace.dat, ` +
          `trace.txt[.gz], perf-script.txt[.gz] …)`,
      );
    }
    const snapshots: Record<string, string> = {};
    for (const n of layout.snapshots) snapshots[n] = await Deno.readTextFile(`${path}/${n}`);
    const file = `${path}/${layout.trace}`;
    const fst = await Deno.stat(file);
    return { path: file, displayName: file, sizeBytes: fst.size, bundleDir: path, snapshots };
  }
  return { path, displayName: path, sizeBytes: st.size, bundleDir: null, snapshots: {} };
}

function openStream(input: TraceInput): ReadableStream<Uint8Array> {
  if (input.path === "-") return Deno.stdin.readable;
  let file: Deno.FsFile | null = null;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      file ??= await Deno.open(input.path);
      const buf = new Uint8Array(READ_CHUNK_BYTES);
      const n = await file.read(buf);
      if (n === null) {
        file.close();
        controller.close();
      } else controller.enqueue(n === buf.length ? buf : buf.subarray(0, n));
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
    // Compressed input: bytes read from disk are smaller than decompressed bytes; cap at total.
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
    return await importTrace(openStream(input), sink, {
      file: input.displayName,
      format: (flags.format ?? "auto") as ImportOptions["format"],
      strict: flags.strict ?? false,
      buffer: flags.buffer,
      // Progress counts compressed bytes for compressed files: good enough for an ETA.
      onProgress: (n) => progress.update(Math.min(n, input.sizeBytes ?? n)),
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

/** One row per call for `kmem import` (CSV and NDJSON share it). */
function callRow(b: CallBatch, i: number, strings: StringTable): Record<string, unknown> {
  const zone = b.zone[i]!;
  const mt = b.mt[i]!;
  return {
    tsNs: b.tsNs[i],
    cpu: b.cpu[i],
    pid: b.pid[i],
    comm: strings.get(b.comm[i]!),
    call: CALL_NAMES[b.call[i]!],
    event: EVENT_NAMES[b.kind[i]!],
    pfn: b.pfn[i],
    order: b.order[i],
    migratetype: mt >= 0 ? (MIGRATE_TYPE_NAMES[mt] ?? mt) : "",
    gfp: b.gfp[i] ? `0x${b.gfp[i]!.toString(16)}` : "",
    gfpFlags: b.gfp[i] ? formatGfp(b.gfp[i]!) : "",
    flags: b.flags[i],
    ptr: b.ptrHi[i] || b.ptrLo[i] ? ptrHex(b, i) : "",
    bytesReq: b.bytesReq[i],
    bytesAlloc: b.bytesAlloc[i],
    callSite: strings.get(b.callSite[i]!),
    name: strings.get(b.name[i]!),
    node: b.node[i],
    zone: zone >= 0 ? (ZONE_NAMES[zone] ?? zone) : "",
    a: b.a[i],
    b: b.b[i],
    c: b.c[i],
    d: b.d[i],
    source: b.source[i],
  };
}

async function writeAll(w: WritableStreamDefaultWriter<Uint8Array>, text: string): Promise<void> {
  await w.write(new TextEncoder().encode(text));
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
    const input = await resolveInput(trace);
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
    const input = await resolveInput(trace);
    const out = flags.output;
    const csv = out.endsWith(".csv");
    const file = out === "-"
      ? null
      : await Deno.open(out, { write: true, create: true, truncate: true });
    const writer = (file ? file.writable : Deno.stdout.writable).getWriter();
    let header = true;
    let pending: Promise<void> = Promise.resolve();
    const s = await runImport(input, flags, (b, strings) => {
      const rows: Record<string, unknown>[] = new Array(b.length);
      for (let i = 0; i < b.length; i++) rows[i] = callRow(b, i, strings);
      const text = csv
        ? Papa.unparse(rows, { header }) + "\r\n"
        : rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
      header = false;
      pending = pending.then(() => writeAll(writer, text));
    });
    await pending;
    await writer.close();
    const o: string[] = [];
    o.push(
      `${s.calls.total} calls from ${s.events.total} events (${s.format}) → ${
        out === "-" ? "stdout" : out
      }`,
    );
    o.push(`lines ${JSON.stringify(s.lines)} lost ${JSON.stringify(s.lost)}`);
    console.error(o.join("\n"));
  });

async function main(): Promise<number> {
  try {
    await program.parseAsync(["deno", "kmem", ...Deno.args]);
    return 0;
  } catch (e) {
    if (
      e instanceof TraceSyntaxError || e instanceof UserError || e instanceof InvalidArgumentError
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
