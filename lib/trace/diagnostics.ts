/**
 * Errors and diagnostics. Bad input is a {@linkcode TraceSyntaxError} (a `SyntaxError` naming the
 * file, line or byte offset and the text); a broken emulator invariant is an
 * {@linkcode MmInvariantError}. Tolerant code paths record {@linkcode Diagnostic}s instead of
 * throwing; `--strict` turns the first one into an error.
 *
 * @module
 */

/** A recorded problem with the input, as data. */
export interface Diagnostic {
  /** Stable machine-readable code, e.g. `malformed-line`, `unknown-event`. */
  code: string;
  /** 1-based input line (text) or byte offset (binary); 0 when not tied to a place. */
  line: number;
  /** Human-readable explanation, including the offending text when short. */
  message: string;
}

/**
 * Bad input: names the file, the line (or byte offset) and the text.
 *
 * @example
 * ```ts
 * import { TraceSyntaxError } from "./diagnostics.ts";
 * const e = new TraceSyntaxError("bad pfn", { file: "t.txt", line: 3, text: "pfn=zz" });
 * e.message; // "t.txt:3: bad pfn: pfn=zz"
 * ```
 */
export class TraceSyntaxError extends SyntaxError {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly code: string;
  constructor(
    message: string,
    where: { file?: string; line?: number; text?: string; code?: string; offset?: boolean },
  ) {
    const file = where.file ?? "<input>";
    const line = where.line ?? 0;
    const text = where.text ?? "";
    const place = where.offset ? `${file}: byte offset ${line}` : `${file}:${line}`;
    super(`${printable(place)}: ${printable(message)}${text ? `: ${truncate(text)}` : ""}`);
    this.name = "TraceSyntaxError";
    this.file = file;
    this.line = line;
    this.text = text;
    this.code = where.code ?? "syntax";
  }
}

/**
 * Input that is well-formed but cannot be used as asked, e.g. a trace.dat instance name that
 * the file does not contain. The message names the file and what it has instead.
 *
 * @example
 * ```ts
 * import { InputError } from "./diagnostics.ts";
 * new InputError('t.dat: no buffer "x"; the file has ""').message;
 * ```
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

function truncate(s: string): string {
  return printable(s.length > 160 ? `${s.slice(0, 157)}...` : s);
}

/**
 * Control characters (C0, DEL, C1), bidirectional overrides and line separators, which must not
 * reach a terminal or a report raw from a trace.
 */
// deno-lint-ignore no-control-regex
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * `s` with control and bidi characters written as `\xNN` / `\u{NNNN}` escapes, for messages that
 * quote input text.
 *
 * @example
 * ```ts
 * import { printable } from "./diagnostics.ts";
 * printable("a\u0000b\u202e"); // "a\\x00b\\u{202e}"
 * ```
 */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u{${n.toString(16)}}`;
  });
}

/**
 * Collects diagnostics with per-code counts, keeping only the first few examples of each so
 * memory stays bounded on huge broken inputs.
 */
export class DiagnosticLog {
  readonly counts = new Map<string, number>();
  readonly examples: Diagnostic[] = [];
  constructor(
    readonly maxExamplesPerCode = 5,
    readonly strict = false,
    readonly file = "<input>",
  ) {}

  /** Records a diagnostic; throws a TraceSyntaxError instead in strict mode. */
  add(code: string, line: number, message: string, text = ""): void {
    if (this.strict) throw new TraceSyntaxError(message, { file: this.file, line, text, code });
    const n = (this.counts.get(code) ?? 0) + 1;
    this.counts.set(code, n);
    if (n <= this.maxExamplesPerCode) {
      const m = printable(message);
      this.examples.push({ code, line, message: text ? `${m}: ${truncate(text)}` : m });
    }
  }

  /** Counts by code as a plain object. */
  toJSON(): { counts: Record<string, number>; examples: Diagnostic[] } {
    return { counts: Object.fromEntries(this.counts), examples: this.examples };
  }
}
