/**
 * A progress bar on stderr while a large input is read, when stderr is a terminal; quiet
 * otherwise (pipes, CI, tests).
 *
 * @module
 */

// Full npm: specifier (version as in deno.json): importable without the repository's import map.
// deno-lint-ignore no-import-prefix
import cliProgress from "npm:cli-progress@3.12.0";
import process from "node:process";
import { traceByteStream, type TraceInput } from "../../snapshot/trace_input.ts";

/** Inputs below this size read fast enough to need no bar. */
const PROGRESS_MIN_BYTES = 32 << 20;
const MIB = 1 << 20;

/** Takes the bytes read so far; `stop` clears the bar. */
export interface Progress {
  update(bytes: number): void;
  stop(): void;
}

/** A bar for an input of `totalBytes` (null: unknown size, e.g. stdin → no bar). */
export function progressBar(totalBytes: number | null): Progress {
  const total = totalBytes;
  if (total === null || total < PROGRESS_MIN_BYTES || !Deno.stderr.isTerminal()) {
    return { update() {}, stop() {} };
  }
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: "reading {bar} {percentage}% | {value}/{total} MiB | {eta}s left",
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  const totalMib = Math.ceil(total / MIB);
  bar.start(totalMib, 0);
  let last = 0;
  return {
    update(bytes: number) {
      const mib = Math.min(Math.floor(bytes / MIB), totalMib);
      if (mib !== last) {
        last = mib;
        bar.update(mib);
      }
    },
    stop() {
      bar.stop();
    },
  };
}

/** Runs `consume` on the input's bytes with a bar (bytes read from disk: the compressed size). */
export async function readWithProgress<T>(
  input: TraceInput,
  consume: (bytes: ReadableStream<Uint8Array>) => Promise<T>,
): Promise<T> {
  const progress = progressBar(input.sizeBytes);
  try {
    return await consume(traceByteStream(input, (n) => progress.update(n)));
  } finally {
    progress.stop();
  }
}
