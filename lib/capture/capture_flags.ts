/**
 * The flags of `kmem capture` and the {@linkcode CaptureOptions} they choose.
 *
 * @module
 */

// Full npm: specifier (version as in deno.json): importable without the repository's import map.
// deno-lint-ignore no-import-prefix
import type { Command } from "npm:commander@14.0.3";
import { parseIntArg } from "../replay/replay_flags.ts";
import {
  captureBundle,
  type CaptureOptions,
  type CaptureResult,
  DEFAULT_CAPTURE_EVENTS,
} from "./tracefs_capture.ts";

/** The parsed flags of {@linkcode addCaptureOptions} (commander's attribute names). */
export interface CaptureFlags {
  output: string;
  seconds: number;
  events: string;
  bufferKb?: number;
  dat: boolean;
  gzip?: boolean;
  shrinkSlabs: boolean;
  kpageflags: boolean;
}

/** Adds the capture flags and the `[command...]` argument to a command. */
export function addCaptureOptions(cmd: Command): Command {
  return cmd
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
    .argument("[command...]", "record while this command runs (put it after --)");
}

/**
 * The capture options the flags choose, recording while `command` runs (empty: for `seconds`).
 *
 * @example
 * ```ts
 * import { captureOptionsOf } from "./capture_flags.ts";
 * const o = captureOptionsOf(["true"], {
 *   output: "/tmp/cap", seconds: 5, events: "kmem,vmscan", dat: true, shrinkSlabs: true,
 *   kpageflags: true,
 * });
 * [o.command, o.events]; // [["true"], ["kmem", "vmscan"]]
 * ```
 */
export function captureOptionsOf(command: string[], f: CaptureFlags): CaptureOptions {
  return {
    shrinkSlabs: f.shrinkSlabs,
    kpageflags: f.kpageflags,
    seconds: f.seconds,
    events: f.events.split(","),
    command: command.length ? command : undefined,
    bufferKb: f.bufferKb,
    traceDat: f.dat,
  };
}

/** Records the bundle the flags choose into `-o`, reporting progress through `onProgress`. */
export function captureFromFlags(
  command: string[],
  f: CaptureFlags,
  onProgress: (message: string) => void,
): Promise<CaptureResult> {
  return captureBundle({
    ...captureOptionsOf(command, f),
    onProgress,
    outputDir: f.output,
    gzip: f.gzip ?? false,
  });
}
