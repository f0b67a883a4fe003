/**
 * Test helper: runs `kmem` in this process (`main(args, io)`), or as its own process as a user
 * would, with the kmem task's `--quiet`.
 *
 * @module
 */

import { main } from "../cli.ts";

/** The repository root (ends in `/`). */
export const ROOT = new URL("../", import.meta.url).pathname;

/** What a `kmem` run printed and how it ended. */
export interface KmemRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kmem ARGS` in this process, output captured. */
export async function kmem(args: string[]): Promise<KmemRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: (t) => stdout += t, stderr: (t) => stderr += t });
  return { code, stdout, stderr };
}

/** The `kmem ARGS` command, for tests that read its stdout themselves. */
export function kmemCommand(args: string[], stdout: "piped" | "null"): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-all", `${ROOT}cli.ts`, ...args],
    stdin: "null",
    stdout,
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}
