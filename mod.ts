/**
 * kmemreplay: read Linux `kmem:*` ftrace traces, turn them into allocator calls, replay them
 * against an emulation of the kernel's memory manager (zones, buddy allocator, per-cpu lists,
 * watermarks, SLUB, kmalloc, vmalloc) and measure fragmentation.
 *
 * This module is the public door for scripts: the entry points of each phase (import, replay,
 * validate, report, capture), the `/proc` snapshot parsers, the emulated page allocator and the
 * types they return. It imports nothing through the repository's import map, so a script in any
 * directory can import it by path or `file:` URL and run with `deno run -A`. The `kmem` command
 * line is built on the same functions. Exports are only ever added (see README, "Library use").
 *
 * @example Replay a capture bundle and print each zone's free blocks per order
 * ```ts
 * import { loadBundle, replayTrace } from "./mod.ts";
 *
 * const bundle = await loadBundle(new URL("./traces/demo/", import.meta.url).pathname);
 * using file = await Deno.open(bundle.tracePath);
 * const r = await replayTrace(file.readable, {
 *   file: bundle.tracePath,
 *   snapshots: bundle.snapshots,
 * });
 * console.log(r.pages.zones.map((z) => `${z.name}: ${z.freeBlocks.join(" ")}`).join("\n"));
 * ```
 *
 * @example Check the replay against the bundle's after-snapshots
 * ```ts
 * import { loadBundle, replayTrace, validateReplay } from "./mod.ts";
 *
 * const bundle = await loadBundle(new URL("./traces/demo/", import.meta.url).pathname);
 * using file = await Deno.open(bundle.tracePath);
 * const r = await replayTrace(file.readable, { snapshots: bundle.snapshots });
 * const v = validateReplay(r, bundle.snapshots.after, bundle.snapshots.before);
 * const normal = v.zones.find((z) => z.name === "Normal")!;
 * console.log(`Normal free pages ${normal.freePages.predicted} vs ${normal.freePages.actual}`);
 * ```
 *
 * @example Count order ≥ 3 page allocations per command from the call stream
 * ```ts
 * import { Call, importTrace } from "./mod.ts";
 *
 * const path = new URL("./traces/small-6.18.dat", import.meta.url).pathname;
 * using file = await Deno.open(path);
 * const byComm = new Map<string, number>();
 * await importTrace(file.readable, (calls, strings) => {
 *   for (let i = 0; i < calls.length; i++) {
 *     if (calls.call[i] === Call.PAGE_ALLOC && calls.order[i]! >= 3) {
 *       const comm = strings.get(calls.comm[i]!);
 *       byComm.set(comm, (byComm.get(comm) ?? 0) + 1);
 *     }
 *   }
 * });
 * console.log([...byComm].sort((a, b) => b[1] - a[1]));
 * ```
 *
 * @example Use the emulated page allocator directly, the way a kernel programmer would
 * ```ts
 * import { GFP, PageAllocator, presetMachineSpec, unusableIndex } from "./mod.ts";
 *
 * const mm = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }), {
 *   initial: "free",
 * });
 * const GFP_KERNEL = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM | GFP.IO | GFP.FS;
 * const addr = mm.getFreePages(GFP_KERNEL, 2); // 4 contiguous pages, a direct-map address
 * if (addr !== null) mm.freePages(addr, 2);
 * console.log(unusableIndex([4, 2, 1], 1)); // 333 (thousandths, as debugfs prints 0.333)
 * ```
 *
 * @example Write the HTML report of a replay
 * ```ts
 * import { buildReplayReport, replayTrace } from "./mod.ts";
 *
 * const path = new URL("./traces/small-6.18.dat", import.meta.url).pathname;
 * using file = await Deno.open(path);
 * const r = await replayTrace(file.readable, { file: path, metrics: true });
 * const { files } = await buildReplayReport(r, { traceName: path });
 * const dir = await Deno.makeTempDir();
 * for (const [name, data] of files) {
 *   if (typeof data === "string") await Deno.writeTextFile(`${dir}/${name}`, data);
 *   else await Deno.writeFile(`${dir}/${name}`, data);
 * }
 * console.log(`${dir}/index.html`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

// Kernel names and gfp flags
export { MIGRATE_TYPE_NAMES } from "./lib/kernel/constants.ts";
export { formatGfp, GFP } from "./lib/kernel/gfp_flags.ts";

// Phase 1–2: trace bytes → events → allocator calls
export { type ImportOptions, type ImportSummary, importTrace } from "./lib/calls/trace_import.ts";
export { InputError, TraceSyntaxError } from "./lib/trace/diagnostics.ts";
export { MmInvariantError } from "./lib/mm/mm_invariant_error.ts";
export { Call, CALL_NAMES, type CallKind } from "./lib/calls/call_kind.ts";
export type { CallBatch } from "./lib/calls/call_batch.ts";

// Phase 3: the emulated memory manager
export { PageAllocator } from "./lib/mm/page_allocator.ts";
export {
  type MachineSpec,
  machineSpecFromZoneinfo,
  presetMachineSpec,
} from "./lib/mm/machine_spec.ts";

// Phase 4: replay and validation
export {
  replayTrace,
  type ReplayTraceOptions,
  type ReplayTraceResult,
} from "./lib/replay/replay_trace.ts";
export type { PageReplayResult } from "./lib/replay/page_replay_result.ts";
export type { SlabReplayResult } from "./lib/slab/slab_replay.ts";
export { selectMachine } from "./lib/replay/select_machine.ts";
export { formatValidation } from "./lib/replay/validate/format_validation.ts";
export { validateReplay } from "./lib/replay/validate/validate_replay.ts";
export type { ValidationReport } from "./lib/replay/validate/validation_report.ts";

// /proc snapshots and capture bundles
export { type Bundle, loadBundle } from "./lib/snapshot/load_bundle.ts";
export { parseSnapshotSet, type SnapshotPair } from "./lib/snapshot/bundle.ts";
export { parseBuddyinfo } from "./lib/snapshot/buddyinfo.ts";
export { parsePagetypeinfo } from "./lib/snapshot/pagetypeinfo.ts";
export { parseZoneinfo } from "./lib/snapshot/zoneinfo.ts";
export { parseSlabinfo } from "./lib/snapshot/slabinfo.ts";
export { parseVmstat } from "./lib/snapshot/vmstat.ts";
export { decodeKpageflags } from "./lib/snapshot/kpageflags.ts";
export { summarizeKpageflags } from "./lib/snapshot/kpageflags_summary.ts";

// Phase 5–6: metrics and the report
export { extfragIndex, unusableIndex } from "./lib/metrics/fragmentation_index.ts";
export { buildReport } from "./lib/report/build_report.ts";
export { buildReplayReport } from "./lib/report/replay_report.ts";

// Recording bundles (root, Linux)
export { captureBundle, CaptureError, type CaptureOptions } from "./lib/capture/tracefs_capture.ts";
export { readKpageflags } from "./lib/capture/kpageflags_reader.ts";
