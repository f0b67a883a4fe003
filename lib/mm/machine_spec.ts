/**
 * What an emulated machine looks like: page size, orders, zones with their pfn ranges and
 * (optionally) exact watermarks and per-cpu list sizes. Built by {@linkcode presetMachineSpec}
 * (x86_64 / i386 / arm64 layouts from a memory size) or {@linkcode machineSpecFromZoneinfo}
 * (the exact zones of a real machine from /proc/zoneinfo).
 *
 * Zone layout facts: arch/x86/mm/init.c `zone_sizes_init`, arch/x86/include/asm/dma.h
 * (`MAX_DMA_PFN`, `MAX_DMA32_PFN`), arch/arm64/mm/init.c `zone_sizes_init`.
 *
 * @module
 */

import {
  ARM64_PAGE_OFFSET,
  DMA32_LIMIT_BYTES,
  HPAGE_PMD_ORDER,
  I386_LOWMEM_BYTES,
  I386_PAGE_OFFSET,
  MAX_PAGE_ORDER,
  PAGE_SIZE_4K_BYTES,
  PAGEBLOCK_ORDER,
  WATERMARK_SCALE_FACTOR_DEFAULT,
  X86_64_PAGE_OFFSET,
  X86_DMA_LIMIT_BYTES,
  ZONE_NAMES,
} from "../kernel/constants.ts";
import type { ZoneInfo } from "../snapshot/zoneinfo.ts";

/** Architecture presets. */
export type ArchName = "x86_64" | "i386" | "arm64";

/** Zone type indices (include/linux/mmzone.h, enum zone_type, as in {@linkcode ZONE_NAMES}). */
export const ZoneType = { DMA: 0, DMA32: 1, NORMAL: 2, HIGHMEM: 3, MOVABLE: 4 } as const;

/** Exact watermarks of a zone in pages (zoneinfo `min/low/high/promo`). */
export interface ZoneWatermarks {
  minPages: number;
  lowPages: number;
  highPages: number;
  promoPages: number;
}

/** Per-cpu list sizes of one (zone, CPU) in pages (zoneinfo `pagesets`). */
export interface PcpSpec {
  high: number;
  batch: number;
  highMin: number;
  highMax: number;
}

/** One zone of the machine. */
export interface ZoneSpec {
  node: number;
  /** Zone type index into {@linkcode ZONE_NAMES}. */
  type: number;
  /** First pfn of the span. */
  startPfn: number;
  spannedPages: number;
  presentPages: number;
  /** Pages the buddy allocator owns. In a fresh machine these are the first usable pages. */
  managedPages: number;
  /** Exact watermarks (zoneinfo or trace); computed from min_free_kbytes when absent. */
  watermarks?: ZoneWatermarks;
  /** lowmem_reserve indexed by zone type (zoneinfo `protection`); computed when absent. */
  protection?: number[];
  /** Per-cpu list sizes per CPU; computed when absent. */
  pcp?: PcpSpec[];
}

/** A whole emulated machine. */
export interface MachineSpec {
  arch: ArchName;
  pageSizeBytes: number;
  /** MAX_PAGE_ORDER (inclusive). */
  maxOrder: number;
  pageblockOrder: number;
  /** False = page_group_by_mobility_disabled: every request is UNMOVABLE. */
  mobilityGrouping: boolean;
  /** False = no per-cpu lists (every alloc/free goes to buddy). */
  pcpEnabled: boolean;
  /** THP pcp list (order HPAGE_PMD_ORDER on pcp lists). */
  thpPcpOrder: number;
  cpus: number;
  /** vm.min_free_kbytes; null = kernel default (with the khugepaged raise). */
  minFreeKbytes: number | null;
  watermarkScaleFactor: number;
  /** Zone types configured in the kernel (decides gfp → zone mapping). */
  configuredZoneTypes: number[];
  /** Direct-map base (virtual address of pfn 0). */
  pageOffset: bigint;
  zones: ZoneSpec[];
}

/** Options of {@linkcode presetMachineSpec}. */
export interface PresetOptions {
  /** Installed memory in bytes (default 4 GiB). */
  memoryBytes?: number;
  pageSizeBytes?: number;
  maxOrder?: number;
  pageblockOrder?: number;
  cpus?: number;
}

const GIB = 1024 * 1024 * 1024;

/**
 * The most pages an emulated machine may span (its highest zone end pfn): 2^26, i.e. 256 GiB of
 * 4 KiB pages. The emulator keeps a few bytes of state per pfn (page words, pageblock bits, pfn
 * maps), so this bound keeps a replay under ≈0.5 GB whatever number an input holds; a pfn above
 * the machine is a `pfn-outside-zone` desync, never a reason to grow it (README "Limits").
 */
export const MAX_EMULATED_PAGES = 2 ** 26;

/**
 * The end pfn (exclusive) of the machine's highest zone: what the emulator's per-pfn state is
 * sized by.
 *
 * @example
 * ```ts
 * import { machineEndPfn, presetMachineSpec } from "./machine_spec.ts";
 * machineEndPfn(presetMachineSpec("x86_64", { memoryBytes: 8 * 2 ** 30 })); // 2097152
 * ```
 */
export function machineEndPfn(spec: MachineSpec): number {
  let end = 0;
  for (const z of spec.zones) end = Math.max(end, z.startPfn + z.spannedPages);
  return end;
}

/**
 * A machine with the zone layout of an architecture: x86_64 (DMA < 16 MiB, DMA32 < 4 GiB,
 * Normal above), i386 (DMA, Normal up to 896 MiB, HighMem above), arm64 (DMA32 < 4 GiB,
 * Normal above). Memory starts at pfn 0 (x86 keeps pfn 0 reserved, so DMA starts at pfn 1).
 *
 * @example
 * ```ts
 * import { presetMachineSpec } from "./machine_spec.ts";
 * const m = presetMachineSpec("x86_64", { memoryBytes: 8 * 2 ** 30 });
 * m.zones.map((z) => z.startPfn); // [1, 4096, 1048576]
 * ```
 */
export function presetMachineSpec(arch: ArchName, opts: PresetOptions = {}): MachineSpec {
  const pageSizeBytes = opts.pageSizeBytes ?? PAGE_SIZE_4K_BYTES;
  const memoryBytes = opts.memoryBytes ?? 4 * GIB;
  const totalPfns = Math.floor(memoryBytes / pageSizeBytes);
  const maxOrder = opts.maxOrder ?? MAX_PAGE_ORDER;
  const pageblockOrder = Math.min(opts.pageblockOrder ?? PAGEBLOCK_ORDER, maxOrder);
  const cuts: Array<[number, number]> = []; // [zone type, end pfn]
  let configured: number[];
  let pageOffset: bigint;
  let firstPfn = 0;
  if (arch === "x86_64") {
    cuts.push([ZoneType.DMA, X86_DMA_LIMIT_BYTES / pageSizeBytes]);
    cuts.push([ZoneType.DMA32, DMA32_LIMIT_BYTES / pageSizeBytes]);
    cuts.push([ZoneType.NORMAL, Infinity]);
    configured = [ZoneType.DMA, ZoneType.DMA32, ZoneType.NORMAL, ZoneType.MOVABLE];
    pageOffset = X86_64_PAGE_OFFSET;
    firstPfn = 1;
  } else if (arch === "i386") {
    cuts.push([ZoneType.DMA, X86_DMA_LIMIT_BYTES / pageSizeBytes]);
    cuts.push([ZoneType.NORMAL, I386_LOWMEM_BYTES / pageSizeBytes]);
    cuts.push([ZoneType.HIGHMEM, Infinity]);
    configured = [ZoneType.DMA, ZoneType.NORMAL, ZoneType.HIGHMEM, ZoneType.MOVABLE];
    pageOffset = I386_PAGE_OFFSET;
    firstPfn = 1;
  } else {
    cuts.push([ZoneType.DMA32, DMA32_LIMIT_BYTES / pageSizeBytes]);
    cuts.push([ZoneType.NORMAL, Infinity]);
    configured = [ZoneType.DMA32, ZoneType.NORMAL, ZoneType.MOVABLE];
    pageOffset = ARM64_PAGE_OFFSET;
  }
  const zones: ZoneSpec[] = [];
  let start = firstPfn;
  for (const [type, endCut] of cuts) {
    const end = Math.min(endCut, totalPfns);
    if (end <= start) continue;
    const pages = end - start;
    zones.push({
      node: 0,
      type,
      startPfn: start,
      spannedPages: pages,
      presentPages: pages,
      managedPages: pages,
    });
    start = end;
  }
  return {
    arch,
    pageSizeBytes,
    maxOrder,
    pageblockOrder,
    mobilityGrouping: true,
    pcpEnabled: true,
    thpPcpOrder: pageblockOrder === PAGEBLOCK_ORDER && maxOrder >= HPAGE_PMD_ORDER
      ? HPAGE_PMD_ORDER
      : -1,
    cpus: opts.cpus ?? 2,
    minFreeKbytes: null,
    watermarkScaleFactor: WATERMARK_SCALE_FACTOR_DEFAULT,
    configuredZoneTypes: configured,
    pageOffset,
    zones,
  };
}

/**
 * The exact machine of a /proc/zoneinfo snapshot: populated zones with their spans, managed
 * pages, watermarks, protection and pcp sizes; CPUs from the pagesets. x86-64, 4 KiB pages.
 *
 * @example
 * ```ts
 * import { machineSpecFromZoneinfo } from "./machine_spec.ts";
 * import { parseZoneinfo } from "../snapshot/zoneinfo.ts";
 * const zi = parseZoneinfo(Deno.readTextFileSync("../shared/traces/mixed/before.zoneinfo"));
 * machineSpecFromZoneinfo(zi).zones.length; // 3
 * ```
 */
export function machineSpecFromZoneinfo(
  zones: ZoneInfo[],
  arch: ArchName = "x86_64",
): MachineSpec {
  const base = presetMachineSpec(arch, { memoryBytes: 0 });
  const configured = new Set<number>();
  let cpus = 1;
  const out: ZoneSpec[] = [];
  for (const z of zones) {
    const type = (ZONE_NAMES as readonly string[]).indexOf(z.name);
    if (type < 0) continue; // ZONE_DEVICE: never holds buddy pages
    configured.add(type);
    if (!z.populated || z.spannedPages === 0) continue;
    for (const p of z.pagesets) cpus = Math.max(cpus, p.cpu + 1);
    out.push({
      node: z.node,
      type,
      startPfn: z.startPfn,
      spannedPages: z.spannedPages,
      presentPages: z.presentPages,
      managedPages: z.managedPages,
      watermarks: {
        minPages: z.minPages,
        lowPages: z.lowPages,
        highPages: z.highPages,
        promoPages: z.promoPages ?? z.highPages,
      },
      protection: z.protection.slice(),
      pcp: z.pagesets.map((p) => ({
        high: p.high,
        batch: p.batch,
        highMin: p.highMin ?? p.high,
        highMax: p.highMax ?? p.high,
      })),
    });
  }
  return { ...base, cpus, configuredZoneTypes: [...configured].sort(), zones: out };
}
