/**
 * Zone watermarks, lowmem reserves and per-cpu list sizes exactly as the kernel computes them
 * (mm/page_alloc.c `__setup_per_zone_wmarks`, `setup_per_zone_lowmem_reserve`, `zone_batchsize`,
 * `zone_highsize`; mm/khugepaged.c `set_recommended_min_free_kbytes`).
 *
 * @module
 */

import {
  HIGHMEM_MIN_WMARK_DIVISOR,
  HIGHMEM_MIN_WMARK_LOWER_PAGES,
  HIGHMEM_MIN_WMARK_UPPER_PAGES,
  LOWMEM_RESERVE_RATIO_DEFAULT,
  MIGRATE_PCPTYPES,
  MIN_FREE_KBYTES_LOWER,
  MIN_FREE_KBYTES_UPPER,
  MIN_PERCPU_PAGELIST_HIGH_FRACTION,
  PCP_BATCH_CAP_BYTES,
  WATERMARK_FACTOR_DENOMINATOR,
} from "../kernel/constants.ts";
import { ZoneType, type ZoneWatermarks } from "./machine_spec.ts";

/** What the watermark computation needs to know about a zone. */
export interface WatermarkZoneInput {
  /** Zone type index (DMA 0 … MOVABLE 4). */
  type: number;
  managedPages: number;
}

/** Percent of lowmem khugepaged allows min_free_kbytes to reach (mm/khugepaged.c). */
const KHUGEPAGED_MAX_PERCENT = 5;
/** Pageblocks per zone khugepaged keeps free: 2 + MIGRATE_PCPTYPES² (mm/khugepaged.c). */
const KHUGEPAGED_BLOCKS_PER_ZONE = 2 + MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;

function isHighOrMovable(type: number): boolean {
  return type === ZoneType.HIGHMEM || type === ZoneType.MOVABLE;
}

/**
 * Default vm.min_free_kbytes: `int_sqrt(lowmem_kbytes * 16)` clamped to [128, 262144], raised by
 * khugepaged (THP) to `pageblock_nr_pages * nr_zones * 11` pages capped at 5% of lowmem.
 *
 * @example
 * ```ts
 * import { defaultMinFreeKbytes } from "./watermarks.ts";
 * // the shared capture's machine: 3 lowmem zones, 1923637 managed pages → 67584 KiB
 * defaultMinFreeKbytes([
 *   { type: 0, managedPages: 3840 }, { type: 1, managedPages: 772917 },
 *   { type: 2, managedPages: 1146880 },
 * ], 4096, 9, true); // 67584
 * ```
 */
export function defaultMinFreeKbytes(
  zones: WatermarkZoneInput[],
  pageSizeBytes: number,
  pageblockOrder: number,
  thp: boolean,
): number {
  const kbPerPage = pageSizeBytes / 1024;
  let lowmemPages = 0;
  let nrZones = 0;
  for (const z of zones) {
    if (isHighOrMovable(z.type)) continue;
    lowmemPages += z.managedPages;
    if (z.managedPages > 0) nrZones++;
  }
  const lowmemKbytes = lowmemPages * kbPerPage;
  let kb = Math.floor(Math.sqrt(lowmemKbytes * 16));
  kb = Math.min(Math.max(kb, MIN_FREE_KBYTES_LOWER), MIN_FREE_KBYTES_UPPER);
  if (thp) {
    let recommendedPages = (1 << pageblockOrder) * nrZones * KHUGEPAGED_BLOCKS_PER_ZONE;
    recommendedPages = Math.min(
      recommendedPages,
      Math.floor(lowmemPages * KHUGEPAGED_MAX_PERCENT / 100),
    );
    kb = Math.max(kb, recommendedPages * kbPerPage);
  }
  return kb;
}

/**
 * `__setup_per_zone_wmarks`: min is min_free_kbytes split over lowmem zones by managed pages
 * (HighMem/Movable get `clamp(managed/1024, 32, 128)`), gap = max(min/4, managed·wsf/10000).
 *
 * @example
 * ```ts
 * import { computeWatermarks } from "./watermarks.ts";
 * // min_free_kbytes 16384 (4 KiB pages), Normal 3,000,000 of 4,000,000 lowmem pages
 * const w = computeWatermarks([
 *   { type: 1, managedPages: 1_000_000 }, { type: 2, managedPages: 3_000_000 },
 * ], 16384, 10, 4096);
 * w[1]; // { minPages: 3072, lowPages: 6072, highPages: 9072, promoPages: 12072 }
 * ```
 */
export function computeWatermarks(
  zones: WatermarkZoneInput[],
  minFreeKbytes: number,
  watermarkScaleFactor: number,
  pageSizeBytes: number,
): ZoneWatermarks[] {
  const pagesMin = Math.floor(minFreeKbytes / (pageSizeBytes / 1024));
  let lowmemPages = 0;
  for (const z of zones) if (!isHighOrMovable(z.type)) lowmemPages += z.managedPages;
  return zones.map((z) => {
    const tmp = lowmemPages > 0 ? Math.floor(pagesMin * z.managedPages / lowmemPages) : 0;
    let min: number;
    if (isHighOrMovable(z.type)) {
      min = Math.min(
        Math.max(
          Math.floor(z.managedPages / HIGHMEM_MIN_WMARK_DIVISOR),
          HIGHMEM_MIN_WMARK_LOWER_PAGES,
        ),
        HIGHMEM_MIN_WMARK_UPPER_PAGES,
      );
    } else {
      min = tmp;
    }
    // HighMem/Movable zones still take the gap from their (unused) lowmem share `tmp`.
    const gap = Math.max(
      tmp >> 2,
      Math.floor(z.managedPages * watermarkScaleFactor / WATERMARK_FACTOR_DENOMINATOR),
    );
    return {
      minPages: min,
      lowPages: min + gap,
      highPages: min + 2 * gap,
      promoPages: min + 3 * gap,
    };
  });
}

/**
 * `setup_per_zone_lowmem_reserve` for the zones of one node, ordered by type: zone i's reserve
 * against allocations aimed at zone type j > i is Σ managed(i+1..j) / ratio[i] (0 when the ratio
 * is 0 or zone i is empty). Returns one array of 5 (zone types) per input zone.
 *
 * @example
 * ```ts
 * import { computeLowmemReserve } from "./watermarks.ts";
 * // DMA 3,000, DMA32 700,000, Normal 3,000,000 managed; ratios 256, 256, 32 (mm/page_alloc.c)
 * computeLowmemReserve([
 *   { type: 0, managedPages: 3000 }, { type: 1, managedPages: 700_000 },
 *   { type: 2, managedPages: 3_000_000 },
 * ])[0]; // [0, 2734, 14453, 14453, 14453]
 * ```
 */
export function computeLowmemReserve(
  zones: WatermarkZoneInput[],
  ratios: readonly number[] = LOWMEM_RESERVE_RATIO_DEFAULT,
): number[][] {
  const nTypes = ratios.length;
  const managedByType = new Array<number>(nTypes).fill(0);
  for (const z of zones) managedByType[z.type] = (managedByType[z.type] ?? 0) + z.managedPages;
  return zones.map((z) => {
    const out = new Array<number>(nTypes).fill(0);
    const ratio = ratios[z.type] ?? 0;
    const clear = ratio === 0 || z.managedPages === 0;
    let sum = 0;
    for (let j = z.type + 1; j < nTypes; j++) {
      sum += managedByType[j] ?? 0;
      out[j] = clear ? 0 : Math.floor(sum / ratio);
    }
    return out;
  });
}

/**
 * `zone_batchsize`: min(managed/1024, 1 MiB of pages)/4, then `rounddown_pow_of_two(b + b/2) - 1`,
 * at least 1.
 *
 * @example
 * ```ts
 * import { zoneBatchSize } from "./watermarks.ts";
 * zoneBatchSize(772917, 4096); // 63
 * ```
 */
export function zoneBatchSize(managedPages: number, pageSizeBytes: number): number {
  let batch = Math.min(
    Math.floor(managedPages / 1024),
    Math.floor(PCP_BATCH_CAP_BYTES / pageSizeBytes),
  );
  batch = Math.floor(batch / 4);
  if (batch < 1) batch = 1;
  const x = batch + (batch >> 1);
  const pow = 2 ** Math.floor(Math.log2(x));
  return Math.max(pow - 1, 1);
}

/**
 * `zone_highsize` (v6.7+): high_min = low watermark split over the node's CPUs (≥ 4·batch),
 * high_max = managed/8 split over the CPUs.
 *
 * @example
 * ```ts
 * import { zoneHighSize } from "./watermarks.ts";
 * zoneHighSize(12591, 1146880, 63, 2); // { highMin: 6295, highMax: 71680 }
 * ```
 */
export function zoneHighSize(
  lowPages: number,
  managedPages: number,
  batch: number,
  cpus: number,
): { highMin: number; highMax: number } {
  const highMin = Math.max(Math.floor(lowPages / cpus), batch << 2);
  const highMax = Math.max(
    Math.floor(Math.floor(managedPages / MIN_PERCPU_PAGELIST_HIGH_FRACTION) / cpus),
    batch << 2,
  );
  return { highMin, highMax };
}
