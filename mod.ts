/**
 * kmemreplay: read Linux `kmem:*` ftrace traces, turn them into allocator calls, replay them
 * against an emulation of the kernel's memory manager (zones, buddy allocator, per-cpu lists,
 * watermarks, SLUB, kmalloc, vmalloc) and measure fragmentation.
 *
 * This module is the public API for scripts (`deno run`); the `kmem` command line uses the same
 * functions.
 *
 * @example Replay a capture bundle and print the Normal zone's free blocks per order
 * ```ts
 * import { parseSnapshotSet, replayTrace } from "./mod.ts";
 *
 * const dir = new URL("./traces/demo/", import.meta.url).pathname;
 * const snapshots = parseSnapshotSet({
 *   "before.zoneinfo": Deno.readTextFileSync(dir + "before.zoneinfo"),
 *   "before.buddyinfo": Deno.readTextFileSync(dir + "before.buddyinfo"),
 *   "before.pagetypeinfo": Deno.readTextFileSync(dir + "before.pagetypeinfo"),
 * });
 * const file = await Deno.open(dir + "trace.txt.gz");
 * const r = await replayTrace(file.readable, { snapshots });
 * console.log(r.pages.zones.map((z) => `${z.name}: ${z.freeBlocks.join(" ")}`).join("\n"));
 * ```
 *
 * @example Use the emulated page allocator directly, the way a kernel programmer would
 * ```ts
 * import { GFP, PageAllocator, presetMachineSpec } from "./mod.ts";
 *
 * const mm = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }), {
 *   initial: "free",
 * });
 * const GFP_KERNEL = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM | GFP.IO | GFP.FS;
 * const addr = mm.getFreePages(GFP_KERNEL, 2); // 4 contiguous pages, a direct-map address
 * if (addr !== null) mm.freePages(addr, 2);
 * ```
 *
 * @module
 */

// Kernel constants and gfp flags
export {
  HPAGE_PMD_ORDER,
  KMALLOC_MAX_CACHE_SIZE_BYTES,
  KMALLOC_SIZES_BYTES,
  MAX_PAGE_ORDER,
  MIGRATE_TYPE_NAMES,
  MigrateType,
  NR_PAGE_ORDERS,
  PAGE_ALLOC_COSTLY_ORDER,
  PAGEBLOCK_ORDER,
  ZONE_NAMES,
} from "./lib/kernel/constants.ts";
export { formatGfp, GFP, gfpMigratetype, parseGfp } from "./lib/kernel/gfp_flags.ts";

// Phase 1: trace → events
export { Ev, EVENT_NAMES, eventCode, type EventName } from "./lib/trace/event_kind.ts";
export { EventBatch, EventFlag, ptrHex, ptrKey } from "./lib/trace/event_batch.ts";
export { StringTable } from "./lib/trace/string_table.ts";
export {
  type Diagnostic,
  DiagnosticLog,
  InputError,
  TraceSyntaxError,
} from "./lib/trace/diagnostics.ts";
export { MmInvariantError } from "./lib/mm/mm_invariant_error.ts";
export {
  detectLineFormat,
  kernelHint,
  type LineCounts,
  type TextFormat,
  type TextParserOptions,
  TextTraceParser,
  type TraceFeatures,
} from "./lib/trace/text/text_parser.ts";
export {
  isTraceDat,
  type TraceDatMeta,
  type TraceDatOptions,
  TraceDatReader,
  type TraceDatStats,
} from "./lib/trace/tracedat/tracedat_reader.ts";
export { type Compression, detectCompression, openTraceStream } from "./lib/trace/input_stream.ts";
export {
  detectTextFormat,
  type ImportOptions,
  type ImportSummary,
  importTrace,
  type TraceFormat,
} from "./lib/calls/trace_import.ts";

// Phase 2: events → allocator calls
export {
  assertNever,
  Call,
  CALL_NAMES,
  type CallKind,
  callOfEvent,
} from "./lib/calls/call_kind.ts";
export { CallBatch } from "./lib/calls/call_batch.ts";
export {
  CallStream,
  type CallStreamOptions,
  type CallStreamStats,
} from "./lib/calls/call_stream.ts";

// Phase 3: the emulated memory manager
export {
  type AllocatorStats,
  AllocPageFlag,
  PageAllocator,
  PageState,
  type ZoneView,
} from "./lib/mm/page_allocator.ts";
export {
  type ArchName,
  type MachineSpec,
  machineSpecFromZoneinfo,
  presetMachineSpec,
  type PresetOptions,
  type ZoneSpec,
  ZoneType,
} from "./lib/mm/machine_spec.ts";
export {
  computeLowmemReserve,
  computeWatermarks,
  defaultMinFreeKbytes,
  zoneBatchSize,
  zoneHighSize,
} from "./lib/mm/watermarks.ts";
export { gfpToAllocFlags, gfpZoneType } from "./lib/mm/gfp_zone.ts";
export { type MemmapCost, memmapCost } from "./lib/mm/memmap_cost.ts";
export {
  calculateOrder,
  getOrder,
  SlabFlag,
  type SlabGeometry,
  slabGeometry,
} from "./lib/slab/slab_geometry.ts";
export { KmemCache, type KmemCacheStats } from "./lib/slab/kmem_cache.ts";
export { SlabAllocator, ZERO_SIZE_OBJ } from "./lib/slab/slab_allocator.ts";
export { kmallocCacheName, kmallocClassBytes, kmallocType } from "./lib/slab/kmalloc_caches.ts";
export { VmapAllocator } from "./lib/slab/vmap_allocator.ts";
export { type PageProvider, SimplePageProvider } from "./lib/slab/page_provider.ts";

// Phase 4: replay
export {
  DESYNC_KINDS,
  PageReplay,
  type PageReplayOptions,
  replayPages,
  type ReplaySample,
} from "./lib/replay/page_replay.ts";
export type {
  DesyncExample,
  FailureResult,
  FallbackResult,
  PageReplayResult,
  ReplayMode,
  ZoneReplayResult,
} from "./lib/replay/page_replay_result.ts";
export {
  type SlabCacheRow,
  type SlabCallSiteRow,
  type SlabLeakGroup,
  SlabReplay,
  type SlabReplayResult,
  type SlabSortKey,
  sortSlabRows,
} from "./lib/slab/slab_replay.ts";
export {
  replayTrace,
  type ReplayTraceOptions,
  type ReplayTraceResult,
} from "./lib/replay/replay_trace.ts";

// /proc snapshots
export { type BuddyInfoRow, parseBuddyinfo } from "./lib/snapshot/buddyinfo.ts";
export { type PagetypeInfo, parsePagetypeinfo } from "./lib/snapshot/pagetypeinfo.ts";
export { parseZoneinfo, type ZoneInfo, type ZonePageset } from "./lib/snapshot/zoneinfo.ts";
export { parseSlabinfo, type SlabInfoRow } from "./lib/snapshot/slabinfo.ts";
export { parseSnapshotSet, type SnapshotPair, type SnapshotSet } from "./lib/snapshot/bundle.ts";
export { type BundleLayout, bundleLayout } from "./lib/snapshot/bundle_layout.ts";
export { parseVmstat, sumVmstat, type Vmstat, vmstatDelta } from "./lib/snapshot/vmstat.ts";
export { parseSlabSysfs, type SlabSysfsRow } from "./lib/snapshot/slab_sysfs.ts";
export { parseSlabShrink, type SlabShrinkRecord } from "./lib/snapshot/slab_shrink.ts";

// Validation against the after-snapshots, and recording bundles
export { formatValidation } from "./lib/replay/validate/format_validation.ts";
export { validateReplay } from "./lib/replay/validate/validate_replay.ts";
export type { ValidationReport } from "./lib/replay/validate/validation_report.ts";
export {
  captureBundle,
  CaptureError,
  type CaptureOptions,
  type CaptureResult,
  locateTracefs,
} from "./lib/capture/tracefs_capture.ts";
export { SlabPageClassifier } from "./lib/replay/slab_page_classifier.ts";
export { AllocatorPageProvider } from "./lib/replay/allocator_page_provider.ts";

// Phase 5: metrics
export {
  extfragIndex,
  formatFragIndex,
  fragmentationIndexes,
  largestFreeOrder,
  unusableIndex,
} from "./lib/metrics/fragmentation_index.ts";
export { KmemMetrics, type MetricsResult } from "./lib/metrics/kmem_metrics.ts";
