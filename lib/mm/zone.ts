/**
 * Zones: per-zone counters (free blocks per order and migratetype, pcp counts), watermarks,
 * lowmem reserves, pcp high/batch, breach history, and the watermark check
 * (mm/page_alloc.c `__zone_watermark_ok`).
 *
 * Counts include *unlocated* free blocks and pcp pages: known by count (from a snapshot) but not
 * on any list, because their pfns are not known yet. Replays decide when such blocks are
 * located; the zone only keeps `located + unlocated` consistent.
 *
 * @module
 */

import {
  ALLOC_RESERVES,
  AllocFlag,
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  MigrateType,
  ZONE_NAMES,
} from "../kernel/constants.ts";
import type { MachineSpec } from "./machine_spec.ts";
import {
  computeLowmemReserve,
  computeWatermarks,
  defaultMinFreeKbytes,
  zoneBatchSize,
  zoneHighSize,
} from "./watermarks.ts";

/** Read-only view of one zone's state, for reports and samplers. */
export interface ZoneView {
  readonly index: number;
  readonly node: number;
  /** Zone type index into ZONE_NAMES. */
  readonly type: number;
  readonly name: string;
  readonly startPfn: number;
  readonly endPfn: number;
  readonly presentPages: number;
  readonly managedPages: number;
  /** NR_FREE_PAGES: buddy free pages (located + unlocated), pcp pages excluded. */
  readonly freePages: number;
  /** Free blocks per `order * MIGRATE_TYPES + mt` (located + unlocated). */
  readonly nrFree: Float64Array;
  /** Part of {@linkcode nrFree} known only from a snapshot, pfns not yet seen. */
  readonly unlocated: Float64Array;
  readonly wmarkMin: number;
  readonly wmarkLow: number;
  readonly wmarkHigh: number;
  readonly wmarkPromo: number;
  readonly boost: number;
  /** lowmem_reserve by zone type. */
  readonly protection: number[];
  /** Pages on pcp lists per CPU (located + unlocated). */
  readonly pcpCount: Float64Array;
  /** Part of {@linkcode pcpCount} known only from a snapshot, per CPU. */
  readonly pcpUnlocated: Float64Array;
  /** Lowest freePages seen. */
  readonly minFreePages: number;
  /** Times free pages fell below the low / min watermark. */
  readonly breachLow: number;
  readonly breachMin: number;
  /** Policy allocations that failed the low-watermark fast path (kswapd would wake). */
  readonly kswapdWakes: number;
  /** Policy allocations that failed the min-watermark retry too (direct reclaim would run). */
  readonly directReclaims: number;
}

/** Mutable zone state (mm-internal; exported to other layers as {@linkcode ZoneView} only). */
export class Zone implements ZoneView {
  freePages = 0;
  readonly nrFree: Float64Array;
  readonly unlocated: Float64Array;
  /** Free pages per migratetype (located + unlocated). */
  readonly freeByMt = new Float64Array(MIGRATE_TYPES);
  wmarkMin = 0;
  wmarkLow = 0;
  wmarkHigh = 0;
  wmarkPromo = 0;
  boost = 0;
  protection: number[] = [0, 0, 0, 0, 0];
  readonly pcpCount: Float64Array;
  readonly pcpUnlocated: Float64Array;
  readonly pcpHigh: Float64Array;
  readonly pcpBatch: Float64Array;
  readonly pcpHighMin: Float64Array;
  readonly pcpHighMax: Float64Array;
  readonly pcpAllocFactor: Uint8Array;
  readonly pcpFreeCount: Float64Array;
  minFreePages = Infinity;
  breachLow = 0;
  breachMin = 0;
  kswapdWakes = 0;
  directReclaims = 0;
  belowLow = false;
  belowMin = false;
  reservedHighatomic = 0;
  readonly name: string;
  constructor(
    readonly index: number,
    readonly node: number,
    readonly type: number,
    readonly startPfn: number,
    readonly endPfn: number,
    readonly presentPages: number,
    public managedPages: number,
    nrOrders: number,
    cpus: number,
  ) {
    this.name = ZONE_NAMES[type] ?? `zone${type}`;
    this.nrFree = new Float64Array(nrOrders * MIGRATE_TYPES);
    this.unlocated = new Float64Array(nrOrders * MIGRATE_TYPES);
    this.pcpCount = new Float64Array(cpus);
    this.pcpUnlocated = new Float64Array(cpus);
    this.pcpHigh = new Float64Array(cpus);
    this.pcpBatch = new Float64Array(cpus);
    this.pcpHighMin = new Float64Array(cpus);
    this.pcpHighMax = new Float64Array(cpus);
    this.pcpAllocFactor = new Uint8Array(cpus);
    this.pcpFreeCount = new Float64Array(cpus);
  }

  /** Adds (or with negative `blocks`, removes) free blocks to the counts of (order, mt). */
  countFree(order: number, mt: number, blocks: number): void {
    this.nrFree[order * MIGRATE_TYPES + mt]! += blocks;
    const pages = blocks * (1 << order);
    this.freePages += pages;
    this.freeByMt[mt]! += pages;
  }

  /** Updates min-free and watermark-breach counters (count of falls below low / min). */
  noteFree(): void {
    const free = this.freePages;
    if (free < this.minFreePages) this.minFreePages = free;
    const belowLow = free < this.wmarkLow;
    if (belowLow && !this.belowLow) this.breachLow++;
    this.belowLow = belowLow;
    const belowMin = free < this.wmarkMin;
    if (belowMin && !this.belowMin) this.breachMin++;
    this.belowMin = belowMin;
  }

  /** Forgets min-free and breach history (after seeding, before the replay proper). */
  resetHistory(): void {
    this.minFreePages = Infinity;
    this.breachLow =
      this.breachMin =
      this.kswapdWakes =
      this.directReclaims =
        0;
    this.belowLow = this.freePages < this.wmarkLow;
    this.belowMin = this.freePages < this.wmarkMin;
    this.noteFree();
  }

  /** Watermark value for alloc flags' WMARK index, including the boost. */
  wmarkPages(allocFlags: number): number {
    const i = allocFlags & AllocFlag.WMARK_MASK;
    const base = i === AllocFlag.WMARK_MIN
      ? this.wmarkMin
      : i === AllocFlag.WMARK_LOW
      ? this.wmarkLow
      : this.wmarkHigh;
    return base + this.boost;
  }

  /** `__zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages)`. */
  watermarkOk(
    order: number,
    mark: number,
    highestZoneType: number,
    allocFlags: number,
    freePages: number,
    maxOrder: number,
  ): boolean {
    let free = freePages - ((1 << order) - 1);
    if (!(allocFlags & ALLOC_RESERVES)) free -= this.freeByMt[MigrateType.HIGHATOMIC]!;
    if (!(allocFlags & AllocFlag.CMA)) free -= this.freeByMt[MigrateType.CMA]!;
    let min = mark;
    if (allocFlags & ALLOC_RESERVES) {
      if (allocFlags & AllocFlag.MIN_RESERVE) {
        min -= Math.floor(min / 2);
        if (allocFlags & AllocFlag.NON_BLOCK) min -= Math.floor(min / 4);
      }
      if (allocFlags & AllocFlag.OOM) min -= Math.floor(min / 2);
    }
    if (free <= min + (this.protection[highestZoneType] ?? 0)) return false;
    if (order === 0) return true;
    for (let o = order; o <= maxOrder; o++) {
      const row = o * MIGRATE_TYPES;
      for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) if (this.nrFree[row + mt]! > 0) return true;
      if ((allocFlags & AllocFlag.CMA) && this.nrFree[row + MigrateType.CMA]! > 0) return true;
      if (
        (allocFlags & (AllocFlag.HIGHATOMIC | AllocFlag.OOM)) &&
        this.nrFree[row + MigrateType.HIGHATOMIC]! > 0
      ) return true;
    }
    return false;
  }
}

/**
 * The zones of a machine spec with watermarks (given by the spec, else computed like
 * `setup_per_zone_wmarks`), lowmem reserves and pcp high/batch set up.
 *
 * @example
 * ```ts
 * import { buildZones } from "./zone.ts";
 * import { presetMachineSpec } from "./machine_spec.ts";
 * const zones = buildZones(presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }), 11, 9, 1);
 * zones[1]!.name; // "DMA32"
 * ```
 */
export function buildZones(
  spec: MachineSpec,
  nrOrders: number,
  pageblockOrder: number,
  cpus: number,
): Zone[] {
  const zones = spec.zones.map((z, i) =>
    new Zone(
      i,
      z.node,
      z.type,
      z.startPfn,
      z.startPfn + z.spannedPages,
      z.presentPages,
      z.managedPages,
      nrOrders,
      cpus,
    )
  );
  setupWatermarks(spec, zones, pageblockOrder);
  setupPcp(spec, zones, cpus);
  return zones;
}

function setupWatermarks(spec: MachineSpec, zones: Zone[], pageblockOrder: number): void {
  const inputs = zones.map((z) => ({ type: z.type, managedPages: z.managedPages }));
  const minFreeKbytes = spec.minFreeKbytes ??
    defaultMinFreeKbytes(inputs, spec.pageSizeBytes, pageblockOrder, spec.thpPcpOrder >= 0);
  const computed = computeWatermarks(
    inputs,
    minFreeKbytes,
    spec.watermarkScaleFactor,
    spec.pageSizeBytes,
  );
  const reserves = reservesByNode(zones);
  const useGiven = spec.minFreeKbytes === null;
  zones.forEach((z, i) => {
    const given = spec.zones[i]!.watermarks;
    const w = useGiven && given ? given : computed[i]!;
    z.wmarkMin = w.minPages;
    z.wmarkLow = w.lowPages;
    z.wmarkHigh = w.highPages;
    z.wmarkPromo = w.promoPages;
    z.protection = spec.zones[i]!.protection?.slice() ?? reserves[i]!;
  });
}

function reservesByNode(zones: Zone[]): number[][] {
  const out: number[][] = new Array(zones.length);
  const nodes = new Set(zones.map((z) => z.node));
  for (const n of nodes) {
    const idx = zones.filter((z) => z.node === n).map((z) => z.index);
    const r = computeLowmemReserve(
      idx.map((i) => ({ type: zones[i]!.type, managedPages: zones[i]!.managedPages })),
    );
    idx.forEach((zi, k) => out[zi] = r[k]!);
  }
  return out;
}

function setupPcp(spec: MachineSpec, zones: Zone[], cpus: number): void {
  zones.forEach((z, i) => {
    const given = spec.zones[i]!.pcp;
    const batch = zoneBatchSize(z.managedPages, spec.pageSizeBytes);
    const hs = zoneHighSize(z.wmarkLow, z.managedPages, batch, cpus);
    for (let c = 0; c < cpus; c++) {
      const g = given?.[c];
      z.pcpBatch[c] = g?.batch ?? batch;
      z.pcpHighMin[c] = g?.highMin ?? hs.highMin;
      z.pcpHighMax[c] = g?.highMax ?? hs.highMax;
      z.pcpHigh[c] = g?.high ?? hs.highMin;
    }
  });
}

/** Zone indices in zonelist order: node by node, highest zone type first. */
export function zonelistOrder(zones: readonly Zone[]): number[] {
  return zones.map((z) => z.index).sort((a, b) => {
    const za = zones[a]!;
    const zb = zones[b]!;
    return za.node - zb.node || zb.type - za.type;
  });
}
