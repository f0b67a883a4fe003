/**
 * The machine and what-if flags shared by `kmem replay`, `slab`, `report` and `validate`
 * (`--mode`, `--machine`, `--memory`, `--min-free-kbytes` …): their definitions, the parsing of
 * their values, and what they choose ({@linkcode MachineChoice}).
 *
 * @module
 */

// Full npm: specifier (version as in deno.json): importable without the repository's import map.
// deno-lint-ignore no-import-prefix
import { type Command, InvalidArgumentError, Option } from "npm:commander@14.0.3";
import {
  MAX_PAGE_ORDER_LIMIT,
  PAGE_SIZE_MAX_BYTES,
  PAGE_SIZE_MIN_BYTES,
} from "../kernel/constants.ts";
import { type ArchName, MAX_EMULATED_PAGES } from "../mm/machine_spec.ts";
import { MAX_CPUS } from "../trace/text/text_parser.ts";
import type { ImportOptions } from "../calls/trace_import.ts";
import type { ZoneInfo } from "../snapshot/zoneinfo.ts";
import type { ReplayMode } from "./page_replay_result.ts";
import type { MachineChoice } from "./select_machine.ts";

/** Input flags of every command that reads a trace. */
export interface InputFlags {
  format?: "auto" | "tracefs" | "trace-cmd" | "perf-script" | "trace.dat";
  strict?: boolean;
  buffer?: string;
  json?: boolean;
  /** Parse in this thread instead of a worker (`--single-thread`). */
  singleThread?: boolean;
}

/** The parsed flags of {@linkcode addReplayOptions} (commander's attribute names). */
export interface ReplayFlags extends InputFlags {
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
}

/**
 * `2GiB`, `512M`, `4096k`, `1073741824` → bytes.
 *
 * @example
 * ```ts
 * import { parseSize } from "./replay_flags.ts";
 * parseSize("2GiB"); // 2147483648
 * parseSize("16k"); // 16384
 * ```
 */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(i?[bB])?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`not a size: ${text} (use e.g. 2GiB, 512M)`);
  const mult: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  return Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

/** The emulator's limit in GiB of 4 KiB pages, for messages. */
const MAX_EMULATED_GIB = (MAX_EMULATED_PAGES * 4096) / 2 ** 30;

/**
 * `--memory`: a size within what the emulator holds (README "Limits").
 *
 * @example
 * ```ts
 * import { parseMemory } from "./replay_flags.ts";
 * parseMemory("8GiB"); // 8589934592
 * ```
 */
export function parseMemory(text: string): number {
  const bytes = parseSize(text);
  if (bytes <= 0 || bytes > MAX_EMULATED_PAGES * 4096) {
    throw new InvalidArgumentError(
      `${text} is outside 1 byte … ${MAX_EMULATED_GIB} GiB, the most memory kmemreplay emulates`,
    );
  }
  return bytes;
}

/** A whole number ≥ 0 (flag value). */
export function parseIntArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`not a whole number: ${text}`);
  return n;
}

/**
 * `--page-size`: a power of two from 4 KiB to 64 KiB, the page sizes Linux builds with that the
 * emulator models.
 *
 * @example
 * ```ts
 * import { parsePageSize } from "./replay_flags.ts";
 * parsePageSize("16KiB"); // 16384
 * ```
 */
export function parsePageSize(text: string): number {
  const bytes = parseSize(text);
  if (bytes < PAGE_SIZE_MIN_BYTES || bytes > PAGE_SIZE_MAX_BYTES || (bytes & (bytes - 1)) !== 0) {
    throw new InvalidArgumentError(
      `${text} is not a page size: a power of two from ${PAGE_SIZE_MIN_BYTES / 1024} KiB to ${
        PAGE_SIZE_MAX_BYTES / 1024
      } KiB (4KiB, 8KiB, 16KiB, 32KiB, 64KiB)`,
    );
  }
  return bytes;
}

/**
 * `--max-order`: MAX_PAGE_ORDER from 1 to the largest any kernel configuration allows (15).
 *
 * @example
 * ```ts
 * import { parseMaxOrder } from "./replay_flags.ts";
 * parseMaxOrder("11"); // 11
 * ```
 */
export function parseMaxOrder(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > MAX_PAGE_ORDER_LIMIT) {
    throw new InvalidArgumentError(
      `${text} is outside 1 … ${MAX_PAGE_ORDER_LIMIT}, the MAX_PAGE_ORDER range of Linux ` +
        `(CONFIG_ARCH_FORCE_MAX_ORDER ≤ ${MAX_PAGE_ORDER_LIMIT}; 10 by default)`,
    );
  }
  return n;
}

/**
 * `--cpus`: 1 to the largest NR_CPUS of any configuration (8192).
 *
 * @example
 * ```ts
 * import { parseCpus } from "./replay_flags.ts";
 * parseCpus("4"); // 4
 * ```
 */
export function parseCpus(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > MAX_CPUS) {
    throw new InvalidArgumentError(`${text} is outside 1 … ${MAX_CPUS} CPUs (NR_CPUS)`);
  }
  return n;
}

/** `--format`: the input format, detected by default. */
export function formatOption(): Option {
  return new Option("--format <format>", "input format (default: detected from the content)")
    .choices(["auto", "tracefs", "trace-cmd", "perf-script", "trace.dat"]);
}

/** Adds `--format`, `--buffer`, `--strict` and `--single-thread` to a command. */
export function addInputOptions(cmd: Command, strictHelp: string, bufferHelp?: string): Command {
  return cmd
    .addOption(formatOption())
    .option("--buffer <name>", bufferHelp ?? "trace.dat instance to read")
    .option("--strict", strictHelp)
    .option(
      "--single-thread",
      "parse in the main thread (default: parse and decompress in a worker on another core)",
    );
}

/** The import options the input flags choose, for the trace named `file` in messages. */
export function importOptionsOf(flags: InputFlags, file: string): ImportOptions {
  return {
    file,
    format: flags.format ?? "auto",
    strict: flags.strict ?? false,
    buffer: flags.buffer,
    worker: !(flags.singleThread ?? false),
  };
}

/** The replay options the flags choose: the import options, the mode and the SLUB geometry. */
export function replayOptionsOf(flags: ReplayFlags, file: string) {
  return {
    ...importOptionsOf(flags, file),
    mode: flags.mode,
    slubMaxOrder: flags.slubMaxOrder,
    slubMinObjects: flags.slubMinObjects,
    slubMinOrder: flags.slubMinOrder,
  };
}

/** Adds the input, machine and what-if flags to a command. */
export function addReplayOptions(cmd: Command): Command {
  return addInputOptions(cmd, "the first malformed line or desync is an error")
    .addOption(
      new Option("--mode <mode>", "replay the recorded pfns, or let the emulator choose")
        .choices(["faithful", "policy"]).default("faithful"),
    )
    .option("--machine <zoneinfo>", "a /proc/zoneinfo file defining the machine exactly")
    .addOption(
      new Option("--arch <preset>", "zone layout preset when no zoneinfo is given")
        .choices(["x86_64", "i386", "arm64"]),
    )
    .option(
      "--memory <size>",
      `installed memory of the preset, e.g. 2GiB (at most ${MAX_EMULATED_GIB} GiB)`,
      parseMemory,
    )
    .option("--page-size <size>", "page size: 4KiB, 8KiB, 16KiB, 32KiB, 64KiB", parsePageSize)
    .option(
      "--max-order <n>",
      `MAX_PAGE_ORDER, 1 … ${MAX_PAGE_ORDER_LIMIT} (default 10)`,
      parseMaxOrder,
    )
    .option("--pageblock-order <n>", "pageblock order (default 9)", parseIntArg)
    .option("--no-mobility-grouping", "every request UNMOVABLE (page_group_by_mobility_disabled)")
    .option("--no-pcp", "no per-cpu page lists")
    .option("--min-free-kbytes <n>", "vm.min_free_kbytes (recomputes watermarks)", parseIntArg)
    .option("--watermark-scale-factor <n>", "vm.watermark_scale_factor", parseIntArg)
    .option("--cpus <n>", `CPUs of the emulated machine, 1 … ${MAX_CPUS}`, parseCpus)
    .option(
      "--slub-max-order <n>",
      "what-if slab_max_order= (slab geometry computed; in policy mode slab page orders change)",
      parseIntArg,
    )
    .option("--slub-min-objects <n>", "what-if slab_min_objects=", parseIntArg)
    .option("--slub-min-order <n>", "what-if slab_min_order=", parseIntArg)
    .option("--json", "print one JSON object (see README)");
}

/**
 * The machine the flags choose; `machine` is the parsed `--machine` zoneinfo file, if given.
 *
 * @example
 * ```ts
 * import { machineChoiceOf } from "./replay_flags.ts";
 * const c = machineChoiceOf(
 *   { mode: "policy", mobilityGrouping: false, pcp: true, memory: 2 ** 31 },
 *   undefined,
 * );
 * [c.memoryBytes, c.mobilityGrouping]; // [2147483648, false]
 * ```
 */
export function machineChoiceOf(
  flags: ReplayFlags,
  machine: ZoneInfo[] | undefined,
): MachineChoice {
  return {
    machine: machine && flags.machine !== undefined
      ? { zoneinfo: machine, name: flags.machine }
      : undefined,
    arch: flags.arch,
    memoryBytes: flags.memory,
    pageSizeBytes: flags.pageSize,
    maxOrder: flags.maxOrder,
    pageblockOrder: flags.pageblockOrder,
    mobilityGrouping: flags.mobilityGrouping,
    pcp: flags.pcp,
    minFreeKbytes: flags.minFreeKbytes,
    watermarkScaleFactor: flags.watermarkScaleFactor,
    cpus: flags.cpus,
  };
}
