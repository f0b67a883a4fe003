/**
 * Replays a resolved trace argument (file, bundle directory or stdin): parses the bundle's
 * snapshots, chooses the machine (reading the trace once more only if nothing says how big
 * memory is) and replays.
 *
 * @module
 */

import { parseSnapshotSet, type SnapshotPair } from "../snapshot/bundle.ts";
import { traceByteStream, type TraceInput } from "../snapshot/trace_input.ts";
import { memorySizingFromPfns } from "./memory_from_pfns.ts";
import { replayTrace, type ReplayTraceOptions, type ReplayTraceResult } from "./replay_trace.ts";
import { type MachineChoice, selectMachine } from "./select_machine.ts";

/** Memory of the machine when the input is stdin (it cannot be read twice) and nothing says. */
const STDIN_MEMORY_BYTES = 16 * 2 ** 30;

/** Reads the input's bytes once (a hook for progress bars). */
export type InputReader = <T>(
  consume: (bytes: ReadableStream<Uint8Array>) => Promise<T>,
) => Promise<T>;

/** A replay of a trace argument. */
export interface InputReplay {
  result: ReplayTraceResult;
  /** What was decided about the machine, for the user. */
  notes: string[];
  /** The bundle's snapshots as read (the replay may have seeded from fewer). */
  snapshots: SnapshotPair;
}

/**
 * Replays `input` on the machine `choice` selects.
 *
 * @example
 * ```ts
 * import { replayInput } from "./replay_input.ts";
 * import { resolveTraceInput } from "../snapshot/trace_input.ts";
 *
 * const input = await resolveTraceInput(new URL("../../traces/demo", import.meta.url).pathname);
 * const { notes, snapshots } = await replayInput(input, {}, { slab: false });
 * notes[0]!.startsWith("machine from before.zoneinfo"); // true
 * snapshots.after.buddyinfo !== undefined; // true
 * ```
 */
export async function replayInput(
  input: TraceInput,
  choice: MachineChoice,
  options: Omit<ReplayTraceOptions, "spec" | "snapshots" | "file"> = {},
  read: InputReader = (consume) => consume(traceByteStream(input)),
): Promise<InputReplay> {
  const snapshots = parseSnapshotSet(bundlePaths(input));
  const { format, strict, buffer } = options;
  const importOptions = { file: input.displayName, format, strict, buffer };
  const chosen = await selectMachine(choice, snapshots, {
    bundleDir: input.bundle?.dir ?? null,
    sizeMemoryBytes: () =>
      input.path === "-"
        ? Promise.resolve(STDIN_MEMORY_BYTES)
        : read((bytes) => memorySizingFromPfns(bytes, importOptions)),
  });
  const result = await read((bytes) =>
    replayTrace(bytes, {
      ...options,
      file: input.displayName,
      spec: chosen.spec,
      snapshots: chosen.snapshots,
    })
  );
  return { result, notes: chosen.notes, snapshots };
}

/**
 * The bundle's snapshot files keyed by their path (`DIR/before.zoneinfo`), so a parse error names
 * the file a user can open.
 */
export function bundlePaths(input: TraceInput): Record<string, Uint8Array> {
  if (!input.bundle) return {};
  const dir = input.bundle.dir.replace(/\/+$/, "");
  return Object.fromEntries(
    Object.entries(input.bundle.snapshotFiles).map(([name, bytes]) => [`${dir}/${name}`, bytes]),
  );
}
