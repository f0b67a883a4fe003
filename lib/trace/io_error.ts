/**
 * One classified error for file-system and pipe I/O, so the CLI maps every failure to one exit
 * code and one message naming the path: a closed pipe ends quietly (exit 0, see README "Exit
 * codes"), an output path that cannot be what was asked is a usage error (exit 1), anything
 * else the user can fix is exit 2.
 *
 * @module
 */

import { assertNever } from "./assert_never.ts";

/** What went wrong, independent of the OS's wording. */
export type IoErrorKind =
  | "broken-pipe"
  | "not-found"
  | "permission-denied"
  | "already-exists"
  | "is-a-directory"
  | "not-a-directory"
  | "other";

/** Whether the path was being read or written. */
export type IoRole = "input" | "output";

/**
 * A classified I/O failure: kind, the path (or `<stdout>`), and the role it played.
 *
 * @example
 * ```ts
 * import { IoError } from "./io_error.ts";
 * const e = new IoError("already-exists", "out.txt", "output", "exists and is not a directory");
 * e.message; // "out.txt: exists and is not a directory"
 * e.exitCode; // 1
 * ```
 */
export class IoError extends Error {
  readonly kind: IoErrorKind;
  readonly path: string;
  readonly role: IoRole;
  /** 0 for a closed pipe, 1 for a misused output path, else 2 (README "Exit codes"). */
  readonly exitCode: 0 | 1 | 2;
  constructor(kind: IoErrorKind, path: string, role: IoRole, detail: string) {
    super(`${path}: ${detail}`);
    this.name = "IoError";
    this.kind = kind;
    this.path = path;
    this.role = role;
    this.exitCode = exitCodeOf(kind, role);
  }
}

/** 0 for a closed pipe (the reader has what it wanted), 1 for a misused output path, else 2. */
function exitCodeOf(kind: IoErrorKind, role: IoRole): 0 | 1 | 2 {
  switch (kind) {
    case "broken-pipe":
      return 0;
    case "already-exists":
    case "is-a-directory":
    case "not-a-directory":
      return role === "output" ? 1 : 2;
    case "not-found":
    case "permission-denied":
    case "other":
      return 2;
    default:
      return assertNever(kind);
  }
}

/** Deno's error class name → kind (Deno.errors.* are classes; `name` is stable across versions). */
const KIND_BY_NAME: Record<string, IoErrorKind> = {
  BrokenPipe: "broken-pipe",
  NotFound: "not-found",
  PermissionDenied: "permission-denied",
  NotCapable: "permission-denied",
  AlreadyExists: "already-exists",
  IsADirectory: "is-a-directory",
  NotADirectory: "not-a-directory",
};

const DETAIL: Record<IoErrorKind, string> = {
  "broken-pipe": "the reader closed the pipe",
  "not-found": "no such file or directory",
  "permission-denied": "permission denied",
  "already-exists": "already exists",
  "is-a-directory": "is a directory",
  "not-a-directory": "a part of this path is a file, not a directory",
  "other": "I/O error",
};

/**
 * `e` as an {@linkcode IoError} naming `path`, or `null` when `e` is not an OS I/O error (so
 * callers rethrow it unchanged). `EPIPE` raised as a plain error (`os error 32`) counts too.
 *
 * @example
 * ```ts
 * import { ioErrorOf } from "./io_error.ts";
 * const e = ioErrorOf(new Deno.errors.IsADirectory("Is a directory (os error 21)"), "out", "output");
 * e?.kind; // "is-a-directory"
 * ioErrorOf(new TypeError("x"), "out", "output"); // null
 * ```
 */
export function ioErrorOf(e: unknown, path: string, role: IoRole): IoError | null {
  if (e instanceof IoError) return e;
  if (!(e instanceof Error)) return null;
  let kind: IoErrorKind | undefined = KIND_BY_NAME[e.name];
  if (kind === undefined && /\(os error 32\)|EPIPE/.test(e.message)) kind = "broken-pipe";
  if (kind === undefined) {
    if (!/\(os error \d+\)/.test(e.message)) return null;
    kind = "other";
  }
  const os = /^(.*?) \(os error \d+\)/.exec(e.message)?.[1];
  const detail = kind === "other" && os ? os : DETAIL[kind];
  return new IoError(kind, path, role, `cannot ${role === "output" ? "write" : "read"}: ${detail}`);
}
