/**
 * Whether an import understood its input: a trace of which no line parsed is an error, and one
 * with many malformed lines gets a warning, so that a format the parser does not know (a new
 * irq-flags width, a different tool's output) is never reported as a successful, empty replay.
 *
 * @module
 */

import { type Diagnostic, printable, TraceSyntaxError } from "../trace/diagnostics.ts";

/** Malformed event lines above this share of the non-comment lines draw a warning. */
export const MALFORMED_WARN_FRACTION = 0.01;

/** What the verdict reads from an import summary. */
export interface InputCounts {
  file: string;
  /** "trace.dat" counts ring-buffer records at byte offsets; text counts lines. */
  format: string;
  lines: { total: number; parsed: number; unknown: number; malformed: number };
  diagnostics: { examples: Diagnostic[] };
}

/**
 * Throws a {@linkcode TraceSyntaxError} naming the file and the first bad line when lines were
 * read but none parsed and some were malformed; returns the warnings to print otherwise.
 *
 * @example
 * ```ts
 * import { inputVerdict } from "./input_verdict.ts";
 * inputVerdict({
 *   file: "t.txt", format: "tracefs",
 *   lines: { total: 100, parsed: 50, unknown: 0, malformed: 50 },
 *   diagnostics: { examples: [{ code: "malformed-line", line: 7, message: "bad" }] },
 * }); // ["t.txt: 50 of 100 event lines (50.0 %) not understood; the first at line 7: bad"]
 * ```
 */
export function inputVerdict(s: InputCounts): string[] {
  const l = s.lines;
  const events = l.parsed + l.unknown + l.malformed;
  const binary = s.format === "trace.dat";
  const unit = binary ? "records" : "event lines";
  const first = s.diagnostics.examples.reduce<Diagnostic | null>(
    (a, d) => (a === null || d.line < a.line ? d : a),
    null,
  );
  const where = first === null
    ? ""
    : `; the first at ${binary ? "byte offset" : "line"} ${first.line}: ${first.message}`;
  if (l.parsed === 0 && l.malformed > 0) {
    throw new TraceSyntaxError(
      `no ${unit} understood (${l.malformed} of ${events} malformed${where})`,
      { file: s.file, line: first?.line ?? 0, offset: binary, code: "nothing-parsed" },
    );
  }
  if (events > 0 && l.malformed > events * MALFORMED_WARN_FRACTION) {
    const pct = (100 * l.malformed / events).toFixed(1);
    return [
      `${printable(s.file)}: ${l.malformed} of ${events} ${unit} (${pct} %) not understood${where}`,
    ];
  }
  return [];
}
