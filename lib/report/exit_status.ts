/**
 * How the command line ends on an error: the exit code and the one line it prints, chosen by
 * the error's class. Errors the user can fix print without a stack trace.
 *
 * @module
 */

import { CaptureError, CaptureInterrupted } from "../capture/tracefs_capture.ts";
import { MmInvariantError } from "../mm/mm_invariant_error.ts";
import { InputError, TraceSyntaxError } from "../trace/diagnostics.ts";
import { IoError, ioErrorOf } from "../trace/io_error.ts";

/** `kmem` exit codes (documented in README and `kmem --help`). */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Usage error (unknown flag, bad flag value), or an internal error (a bug). */
  usage: 1,
  /** Bad input: unreadable, malformed or missing trace, bundle or snapshot; capture not possible. */
  badInput: 2,
  /** An invariant of the emulated memory manager broke (`--strict`). */
  invariant: 3,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

/** The exit codes as `kmem --help` lists them. */
export const EXIT_CODES_HELP = `
Exit codes: ${ExitCode.ok} done, ${ExitCode.usage} usage error (or internal error), ` +
  `${ExitCode.badInput} bad input, ${ExitCode.invariant} emulator invariant broken (--strict), ` +
  `${ExitCode.interrupted} interrupted.`;

/** The exit code and message of a failed command; an empty message prints nothing. */
export interface ExitStatus {
  code: number;
  /** One line, without the `kmem: ` prefix. */
  message: string;
  /** True for an internal error (a bug): the stack helps. */
  internal: boolean;
}

/**
 * The exit status of an error thrown by a command.
 *
 * @example
 * ```ts
 * import { exitStatusOf } from "./exit_status.ts";
 * import { InputError } from "../trace/diagnostics.ts";
 * exitStatusOf(new InputError("t.dat: no buffer \"x\"")).code; // 2
 * exitStatusOf(new RangeError("oops")).message; // "internal error: oops"
 * exitStatusOf(new Deno.errors.BrokenPipe("Broken pipe (os error 32)")); // { code: 0, message: "", internal: false }
 * ```
 */
export function exitStatusOf(e: unknown): ExitStatus {
  const fail = (code: number, message: string): ExitStatus => ({ code, message, internal: false });
  // A reader that closed stdout early (`kmem import … | head`) has what it wanted: end quietly.
  const pipe = ioErrorOf(e, "<stdout>", "output");
  if (pipe?.kind === "broken-pipe") return fail(ExitCode.ok, "");
  if (e instanceof IoError) return fail(e.exitCode, e.message);
  if (e instanceof CaptureInterrupted) return fail(ExitCode.interrupted, e.message);
  if (
    e instanceof TraceSyntaxError || e instanceof InputError || e instanceof CaptureError
  ) return fail(ExitCode.badInput, e.message);
  if (e instanceof MmInvariantError) {
    return fail(ExitCode.invariant, `emulator invariant broken (strict mode): ${e.message}`);
  }
  if (e instanceof Deno.errors.NotFound) {
    return fail(
      ExitCode.badInput,
      e.message.replace(/^No such file or directory \(os error 2\): /, "no such file: "),
    );
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return fail(ExitCode.badInput, `permission denied: ${e.message}`);
  }
  return {
    code: ExitCode.usage,
    message: `internal error: ${(e as Error)?.message ?? e}`,
    internal: true,
  };
}
