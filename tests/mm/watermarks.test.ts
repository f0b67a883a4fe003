import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  computeLowmemReserve,
  computeWatermarks,
  defaultMinFreeKbytes,
  zoneBatchSize,
  zoneHighSize,
} from "../../lib/mm/watermarks.ts";
import { parseZoneinfo } from "../../lib/snapshot/zoneinfo.ts";
import { MIXED_DIR } from "../shared_data.ts";

const zoneinfo = parseZoneinfo(
  Deno.readTextFileSync(MIXED_DIR + "before.zoneinfo"),
  "before.zoneinfo",
);
const realZones = zoneinfo.filter((z) => z.name !== "Device").map((z) => ({
  type: ["DMA", "DMA32", "Normal", "HighMem", "Movable"].indexOf(z.name),
  managedPages: z.managedPages,
}));

Deno.test("__setup_per_zone_wmarks: min_free_kbytes 16384 → Normal min 3072, low 6072, high 9072", () => {
  const w = computeWatermarks(
    [{ type: 1, managedPages: 1_000_000 }, { type: 2, managedPages: 3_000_000 }],
    16384,
    10,
    4096,
  );
  assertEquals(w[1], { minPages: 3072, lowPages: 6072, highPages: 9072, promoPages: 12072 });
  // DMA32 share 1024, gap max(256, 1000) = 1000.
  assertEquals(w[0], { minPages: 1024, lowPages: 2024, highPages: 3024, promoPages: 4024 });
});

Deno.test("setup_per_zone_lowmem_reserve: DMA, DMA32 700,000, Normal 3,000,000 managed", () => {
  const r = computeLowmemReserve([
    { type: 0, managedPages: 3000 },
    { type: 1, managedPages: 700_000 },
    { type: 2, managedPages: 3_000_000 },
  ]);
  assertEquals(r[0], [0, 2734, 14453, 14453, 14453]);
  assertEquals(r[1], [0, 0, 11718, 11718, 11718]);
  assertEquals(r[2], [0, 0, 0, 0, 0]);
});

Deno.test("the shared capture's zoneinfo is reproduced from managed pages alone", () => {
  // khugepaged: 512 pages × 3 zones × 11 = 16896 pages = 67584 KiB.
  const kb = defaultMinFreeKbytes(realZones, 4096, 9, true);
  assertEquals(kb, 67584);
  const w = computeWatermarks(realZones, kb, 10, 4096);
  const r = computeLowmemReserve(realZones);
  realZones.forEach((_, i) => {
    const z = zoneinfo.filter((z) => z.name !== "Device")[i]!;
    assertEquals([w[i]!.minPages, w[i]!.lowPages, w[i]!.highPages, w[i]!.promoPages], [
      z.minPages,
      z.lowPages,
      z.highPages,
      z.promoPages,
    ]);
    assertEquals(r[i], z.protection);
  });
});

Deno.test("pcp batch and high_min/high_max match the zoneinfo pagesets", () => {
  const [dma, dma32, normal] = zoneinfo;
  assertEquals(zoneBatchSize(dma!.managedPages, 4096), 1);
  assertEquals(zoneBatchSize(dma32!.managedPages, 4096), 63);
  assertEquals(zoneBatchSize(normal!.managedPages, 4096), 63);
  assertEquals(zoneHighSize(dma!.lowPages, dma!.managedPages, 1, 2), { highMin: 20, highMax: 240 });
  assertEquals(zoneHighSize(dma32!.lowPages, dma32!.managedPages, 63, 2), {
    highMin: 4242,
    highMax: 48307,
  });
  assertEquals(zoneHighSize(normal!.lowPages, normal!.managedPages, 63, 2), {
    highMin: 6295,
    highMax: 71680,
  });
});
