/**
 * Runs one `kmem` command as a subprocess with a timeout and a memory watch: the child's resident
 * set is read from /proc/<pid>/status every few milliseconds, and the child is killed once it
 * passes the limit, so a runaway case cannot take the shared machine's memory.
 *
 * @module
 */

import { concatBytes } from "../../lib/trace/concat_bytes.ts";

/** What one run did. */
export interface RunResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Largest VmHWM/VmRSS seen (bytes). */
  peakRssBytes: number;
  timedOut: boolean;
  /** Killed by the memory watch. */
  rssKilled: boolean;
  ms: number;
}

/** Limits of a run. */
export interface RunLimits {
  timeoutMs: number;
  rssLimitBytes: number;
  /** How often the memory watch looks (ms). */
  pollMs?: number;
}

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** The deno arguments that run `kmem args…` the way the `kmem` task does. */
export function kmemArgv(args: readonly string[]): string[] {
  return ["run", "--quiet", "--allow-all", CLI, ...args];
}

/** Runs `kmem args…` under the limits. */
export async function runKmem(args: readonly string[], limits: RunLimits): Promise<RunResult> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: kmemArgv(args),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let peak = 0;
  let timedOut = false;
  let rssKilled = false;
  let done = false;
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, limits.timeoutMs);
  const watch = (async () => {
    const pollMs = limits.pollMs ?? 20;
    while (!done) {
      const rss = readRss(child.pid);
      if (rss > peak) peak = rss;
      if (rss > limits.rssLimitBytes) {
        rssKilled = true;
        kill();
        return;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();
  const [out, err, status] = await Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    child.status,
  ]);
  done = true;
  clearTimeout(timer);
  await watch;
  return {
    code: status.signal ? null : status.code,
    signal: status.signal ?? null,
    stdout: out,
    stderr: err,
    peakRssBytes: peak,
    timedOut,
    rssKilled,
    ms: performance.now() - t0,
  };
}

/** max(VmHWM, VmRSS) of a process in bytes, 0 once it is gone. */
function readRss(pid: number): number {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/status`);
    const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(s)?.[1] ?? 0);
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(s)?.[1] ?? 0);
    return Math.max(hwm, rss) * 1024;
  } catch {
    return 0;
  }
}

/** Keeps at most this much of a stream (a case that prints gigabytes is still classified). */
const KEEP_BYTES = 4 << 20;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of stream) {
    if (n < KEEP_BYTES) {
      parts.push(chunk.subarray(0, KEEP_BYTES - n));
      n += Math.min(chunk.length, KEEP_BYTES - n);
    }
  }
  return concatBytes(parts, n);
}
