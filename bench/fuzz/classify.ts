/**
 * Sorts a fuzz run into an outcome class (issue 16): `ok`, `clean-error` (exit 2, the message
 * names the file and a line or byte offset) and the failure classes below, with a signature
 * (the class, the command and the first message line with numbers and paths blanked) that groups
 * runs failing the same way.
 *
 * @module
 */

import type { RunResult } from "./run_case.ts";

/** Outcome classes; everything but `ok` and `clean-error` is a failure. */
export type Outcome =
  | "ok"
  | "clean-error"
  | "error-no-position"
  | "internal-error"
  | "crash"
  | "hang"
  | "rss-over-limit"
  | "accounting-error"
  | "control-bytes"
  | "accepted-corrupt"
  | "rejected-valid"
  | "accepted-broken-bundle";

/** Every outcome, failures after the first two. */
export const OUTCOMES: readonly Outcome[] = [
  "ok",
  "clean-error",
  "error-no-position",
  "internal-error",
  "crash",
  "hang",
  "rss-over-limit",
  "accounting-error",
  "control-bytes",
  "accepted-corrupt",
  "rejected-valid",
  "accepted-broken-bundle",
];

/** What a class means, for the summary. */
export const OUTCOME_TEXT: Record<Outcome, string> = {
  "ok": "exit 0",
  "clean-error":
    "exit 1–3, message names the file and a line or byte offset (or a whole-file fault)",
  "error-no-position": "exit 1–3, but the message names no file, or no line/offset",
  "internal-error": "kmem: internal error (exit 1)",
  "crash": "stack trace, signal, or an exit code kmem does not use",
  "hang": "killed at the timeout",
  "rss-over-limit": "peak RSS above the limit (killed when it got there)",
  "accounting-error": "stats: parsed + unknown + malformed + comment ≠ total",
  "control-bytes": "terminal control bytes (ESC, NUL, bidi overrides) in the output",
  "accepted-corrupt":
    "exit 0 on a damaged gzip/zstd container (truncated, checksum or data flipped)",
  "accepted-broken-bundle":
    "validate exit 0 on a bundle it cannot compare (snapshot emptied, removed, swapped, garbage)",
  "rejected-valid":
    "a valid container (several gzip members or zstd frames, skippable frame) rejected as such",
};

/** The class of one run and its grouping signature. */
export interface Classified {
  outcome: Outcome;
  signature: string;
  /** First line of stderr (or the reason), for the summary. */
  detail: string;
}

const dec = new TextDecoder();

/**
 * Classifies a run of `kmem <command> …` on `input` (the file or bundle directory given);
 * `innerNames` are the files of a bundle, which a message may name instead of the directory.
 */
export function classify(
  command: string,
  input: string,
  run: RunResult,
  rssLimitBytes: number,
  innerNames: readonly string[] = [],
  container: "valid" | "corrupt" | "unknown" = "unknown",
  breaksValidation: string | null = null,
): Classified {
  const stderr = dec.decode(run.stderr);
  const first = stderr.split("\n").find((l) => l.trim() !== "") ?? "";
  const out = (outcome: Outcome, detail = first): Classified => ({
    outcome,
    detail,
    signature: `${outcome} | ${command} | ${normalise(detail, input)}`,
  });
  if (run.timedOut) return out("hang", `no exit within the timeout (${Math.round(run.ms)} ms)`);
  if (run.rssKilled || run.peakRssBytes > rssLimitBytes) {
    return out(
      "rss-over-limit",
      `peak RSS ${(run.peakRssBytes / 2 ** 20).toFixed(0)} MiB` +
        (run.rssKilled ? " (killed)" : ` (exit ${run.code})`),
    );
  }
  if (/\bat .*\.ts:\d+:\d+|error: Uncaught|Stack backtrace|panicked at/.test(stderr)) {
    return out("crash");
  }
  if (run.code === null) return out("crash", `signal ${run.signal}`);
  if (run.code === 1 && /^kmem: internal error/m.test(stderr)) return out("internal-error");
  // README exit codes: 1 usage error (e.g. -o naming a file), 2 bad input, 3 an impossible
  // machine; each must name the file.
  if (run.code !== 0 && run.code !== 1 && run.code !== 2 && run.code !== 3) {
    return out("crash", `exit ${run.code}: ${first}`);
  }
  if (breaksValidation !== null && command === "validate" && run.code === 0) {
    return out("accepted-broken-bundle", breaksValidation);
  }
  if (container === "corrupt" && run.code === 0) {
    return out("accepted-corrupt", "damaged container read without an error");
  }
  if (
    container === "valid" && run.code !== 0 &&
    /gzip|zstd|compress|unknown format|frame/i.test(first)
  ) return out("rejected-valid");
  if (hasControlBytes(run.stdout) || hasControlBytes(run.stderr)) {
    return out(
      "control-bytes",
      `control bytes in ${hasControlBytes(run.stdout) ? "stdout" : "stderr"}`,
    );
  }
  if (run.code !== 0) {
    const named = [input, ...innerNames].some((n) => namesFileAndPosition(first, n));
    return named ? out("clean-error") : out("error-no-position");
  }
  if (command === "stats") {
    const bad = accountingError(dec.decode(run.stdout));
    if (bad !== null) return out("accounting-error", bad);
  }
  return out("ok");
}

/**
 * Conditions about a file as a whole, where no line or offset applies: the message need only
 * name the file.
 */
const WHOLE_FILE =
  /no trace file|needs a bundle directory|no such file|is a directory|permission denied|is empty|: empty\b|missing\b|not a bundle|already exists|is a file/i;

/**
 * True when the message names the input (or a file inside it) and a line or byte offset, or
 * names it with a whole-file condition ({@linkcode WHOLE_FILE}).
 */
export function namesFileAndPosition(message: string, input: string): boolean {
  const base = input.replace(/\/+$/, "").split("/").pop() ?? input;
  if (!message.includes(base)) return false;
  const rest = message.slice(message.indexOf(base));
  return /:\d+(:\d+)?(:|\b)|\b(line|offset|byte|bytes at|at byte)\s+\d+/i.test(rest) ||
    WHOLE_FILE.test(rest);
}

/** For `stats --json`: null when the line counts add up, else what is wrong. */
export function accountingError(json: string): string | null {
  let v: { lines?: Record<string, number> };
  try {
    v = JSON.parse(json);
  } catch {
    return "stats --json printed no JSON object";
  }
  const l = v.lines;
  if (!l) return "stats --json has no lines object";
  const sum = (l.parsed ?? 0) + (l.unknown ?? 0) + (l.malformed ?? 0) + (l.comment ?? 0);
  if (!Number.isSafeInteger(l.total) || sum !== l.total) {
    return `lines: parsed ${l.parsed} + unknown ${l.unknown} + malformed ${l.malformed} + ` +
      `comment ${l.comment} = ${sum} ≠ total ${l.total}`;
  }
  return null;
}

/** C0 controls other than tab/newline/CR, DEL, and the Unicode bidi controls. */
function hasControlBytes(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
    // U+202A–202E, U+2066–2069 in UTF-8: E2 80 AA–AE, E2 81 A6–A9
    if (c === 0xe2 && i + 2 < b.length) {
      const c1 = b[i + 1]!, c2 = b[i + 2]!;
      if ((c1 === 0x80 && c2 >= 0xaa && c2 <= 0xae) || (c1 === 0x81 && c2 >= 0xa6 && c2 <= 0xa9)) {
        return true;
      }
    }
  }
  return false;
}

function normalise(line: string, input: string): string {
  return line
    .split(input).join("<input>")
    .replace(/(unknown format: [^:]*:).*/, "$1 …") // the echoed bytes vary
    .replace(/[^\x20-\x7e]+/g, "?")
    .replace(/\/[^\s:'"]+/g, "<path>")
    .replace(/0x[0-9a-f]+/gi, "N")
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, "N")
    .replace(/"[^"]*"|'[^']*'/g, "S")
    .slice(0, 160);
}
