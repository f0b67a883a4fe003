/**
 * The arguments and flags of `kmem stats` and `kmem import`, the commands that only import a
 * trace (no replay).
 *
 * @module
 */

// Full npm: specifier (version as in deno.json): importable without the repository's import map.
// deno-lint-ignore no-import-prefix
import type { Command } from "npm:commander@14.0.3";
import { addInputOptions, type InputFlags } from "../replay/replay_flags.ts";

/** The parsed flags of {@linkcode addImportOptions} (commander's attribute names). */
export interface ImportFlags extends InputFlags {
  output: string;
}

/** Adds the trace argument and the input flags of `kmem stats`, and `--json`. */
export function addStatsOptions(cmd: Command): Command {
  return addInputOptions(
    cmd.argument(
      "<trace>",
      "trace file (text, trace.dat, .gz/.zst), bundle directory, or - for stdin",
    ),
    "the first malformed line is an error",
    "trace.dat instance to read (default: the one with kmem events)",
  )
    .option("--json", "print one JSON object (see README: stats --json)");
}

/** Adds the trace argument, `-o` and the input flags of `kmem import`. */
export function addImportOptions(cmd: Command): Command {
  return addInputOptions(
    cmd
      .argument("<trace>", "trace file, bundle directory, or - for stdin")
      .option("-o, --output <file>", "calls.csv, calls.ndjson or - (stdout, NDJSON)", "-"),
    "the first malformed line is an error",
  );
}
