/**
 * The machine a replay runs on, chosen from what the user gave: a zoneinfo file, the bundle's
 * `before.zoneinfo`, or an architecture preset sized by `--memory` (or by the trace's highest
 * pfn), then the what-if knobs. Returns new objects; the inputs are not changed.
 *
 * @module
 */

import {
  type ArchName,
  machineEndPfn,
  type MachineSpec,
  machineSpecFromZoneinfo,
  MAX_EMULATED_PAGES,
  presetMachineSpec,
  type ZoneSpec,
} from "../mm/machine_spec.ts";
import type { SnapshotPair } from "../snapshot/bundle.ts";
import type { ZoneInfo } from "../snapshot/zoneinfo.ts";
import { InputError } from "../trace/diagnostics.ts";
import { MAX_SIZING_PFN, type PfnSizing } from "./memory_from_pfns.ts";

/** The machine and what-if choices of `kmem replay` (all optional: the bundle decides). */
export interface MachineChoice {
  /** A parsed /proc/zoneinfo defining the machine exactly, and its file name for notes. */
  machine?: { zoneinfo: ZoneInfo[]; name: string };
  arch?: ArchName;
  memoryBytes?: number;
  pageSizeBytes?: number;
  maxOrder?: number;
  pageblockOrder?: number;
  /** False = page_group_by_mobility_disabled (default true). */
  mobilityGrouping?: boolean;
  /** False = no per-cpu page lists (default true). */
  pcp?: boolean;
  minFreeKbytes?: number;
  watermarkScaleFactor?: number;
  cpus?: number;
}

/** The chosen machine, the snapshots to seed it from, and what was decided, for the user. */
export interface SelectedMachine {
  spec: MachineSpec;
  snapshots: SnapshotPair;
  notes: string[];
}

/**
 * Chooses the machine. `sizeMemoryBytes` is called only when nothing says how big memory is
 * (no zoneinfo, no `memoryBytes`): it may read the trace once to find its highest pfn. A
 * machine beyond `MAX_EMULATED_PAGES` is an {@linkcode InputError} naming where it came from.
 *
 * @example A what-if on the demo bundle's own machine: before-snapshots kept, watermarks recomputed
 * ```ts
 * import { selectMachine } from "./select_machine.ts";
 * import { loadBundle } from "../snapshot/load_bundle.ts";
 *
 * const b = await loadBundle(new URL("../../traces/demo/", import.meta.url).pathname);
 * const m = await selectMachine({ minFreeKbytes: 131072 }, b.snapshots, {
 *   bundleDir: b.dir,
 *   sizeMemoryBytes: () => Promise.resolve(2 ** 30),
 * });
 * m.spec.minFreeKbytes; // 131072
 * m.spec.zones.every((z) => z.watermarks === undefined); // true
 * ```
 */
export async function selectMachine(
  choice: MachineChoice,
  snapshots: SnapshotPair,
  context: { bundleDir: string | null; sizeMemoryBytes: () => Promise<number | PfnSizing> },
): Promise<SelectedMachine> {
  const notes: string[] = [];
  const arch = choice.arch ?? "x86_64";
  const presetWanted = choice.arch !== undefined || choice.memoryBytes !== undefined ||
    choice.pageSizeBytes !== undefined;
  let base: MachineSpec;
  if (choice.machine) {
    base = machineSpecFromZoneinfo(choice.machine.zoneinfo, arch);
    notes.push(`machine from ${choice.machine.name}`);
  } else if (snapshots.before.zoneinfo && !presetWanted) {
    base = machineSpecFromZoneinfo(snapshots.before.zoneinfo, arch);
    notes.push(`machine from before.zoneinfo of ${context.bundleDir}`);
  } else {
    let memoryBytes = choice.memoryBytes;
    if (memoryBytes === undefined) {
      const sized = await context.sizeMemoryBytes();
      const sizing = typeof sized === "number" ? { bytes: sized, pfnsBeyond: 0 } : sized;
      memoryBytes = sizing.bytes;
      notes.push(
        `no zoneinfo: memory sized from the highest pfn in the trace (${
          (memoryBytes / 2 ** 30).toFixed(0)
        } GiB); pass --machine or --memory to choose`,
      );
      if (sizing.pfnsBeyond > 0) {
        notes.push(
          `${sizing.pfnsBeyond} calls name pfns at or above 0x${
            MAX_SIZING_PFN.toString(16)
          } (beyond the ${
            (MAX_EMULATED_PAGES * 4096) / 2 ** 30
          } GiB kmemreplay emulates): replayed as pfn-outside-zone`,
        );
      }
    }
    base = presetMachineSpec(arch, {
      memoryBytes,
      pageSizeBytes: choice.pageSizeBytes,
      maxOrder: choice.maxOrder,
      pageblockOrder: choice.pageblockOrder,
      cpus: choice.cpus,
    });
  }
  const endPfn = machineEndPfn(base);
  if (endPfn > MAX_EMULATED_PAGES) {
    const from = choice.machine?.name ??
      (presetWanted ? "--memory / --page-size" : `${context.bundleDir}/before.zoneinfo`);
    throw new InputError(
      `${from}: the machine spans ${endPfn} pages (pfn 0x${(endPfn - 1).toString(16)}), more ` +
        `than the ${MAX_EMULATED_PAGES} pages kmemreplay emulates (README "Limits"); pass ` +
        `--memory to replay a smaller what-if machine`,
    );
  }
  let seed = snapshots;
  if (presetWanted && snapshots.before.zoneinfo) {
    // A what-if machine cannot start from the real machine's free lists.
    seed = { ...snapshots, before: { slabinfo: snapshots.before.slabinfo } };
    notes.push("what-if machine: before-snapshots of the real machine not used for seeding");
  }
  // New watermarks follow from new min_free_kbytes / scale factor: drop the given ones.
  const recompute = choice.minFreeKbytes !== undefined ||
    choice.watermarkScaleFactor !== undefined;
  const spec: MachineSpec = {
    ...base,
    mobilityGrouping: (choice.mobilityGrouping ?? true) && base.mobilityGrouping,
    pcpEnabled: (choice.pcp ?? true) && base.pcpEnabled,
    minFreeKbytes: choice.minFreeKbytes ?? base.minFreeKbytes,
    watermarkScaleFactor: choice.watermarkScaleFactor ?? base.watermarkScaleFactor,
    maxOrder: choice.maxOrder ?? base.maxOrder,
    pageblockOrder: choice.pageblockOrder ?? base.pageblockOrder,
    cpus: choice.cpus ?? base.cpus,
    zones: recompute ? base.zones.map(withoutWatermarks) : base.zones,
  };
  return { spec, snapshots: seed, notes };
}

function withoutWatermarks(z: ZoneSpec): ZoneSpec {
  const { watermarks: _given, ...rest } = z;
  return rest;
}
