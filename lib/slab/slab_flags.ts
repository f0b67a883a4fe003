/**
 * The flags of `kmem slab` (sort key, per-cache or per-call-site table, rows) and the text
 * options they choose.
 *
 * @module
 */

// Full npm: specifier (version as in deno.json): importable without the repository's import map.
// deno-lint-ignore no-import-prefix
import { type Command, Option } from "npm:commander@14.0.3";
import { parseIntArg, type ReplayFlags } from "../replay/replay_flags.ts";
import type { SlabTextOptions } from "../report/text/slab_text.ts";
import type { SlabSortKey } from "./slab_replay.ts";

/** The parsed flags of {@linkcode addSlabOptions} (commander's attribute names). */
export interface SlabFlags extends ReplayFlags {
  sort: SlabSortKey;
  caller?: boolean;
  cache?: boolean;
  lines: number;
}

/** Adds `--sort`, `--caller`, `--cache` and `-n` to a command. */
export function addSlabOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--sort <key>", "sort key").choices(["bytes", "waste", "live", "calls"])
        .default("bytes"),
    )
    .option("--caller", "table per call site (default)")
    .option("--cache", "table per cache")
    .option("-n, --lines <n>", "rows to print", parseIntArg, 25);
}

/** The table the flags choose: per call site unless `--cache` without `--caller`. */
export function slabTextOptionsOf(flags: SlabFlags): SlabTextOptions {
  const byCache = (flags.cache ?? false) && !flags.caller;
  return { byCache, sort: flags.sort, lines: flags.lines };
}
