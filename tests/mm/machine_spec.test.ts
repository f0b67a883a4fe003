import { deepStrictEqual, equal } from "node:assert/strict";
import { machineSpecFromZoneinfo, presetMachineSpec } from "../../lib/mm/machine_spec.ts";
import { memmapCost } from "../../lib/mm/memmap_cost.ts";
import { parseZoneinfo } from "../../lib/snapshot/zoneinfo.ts";
import { MIXED_DIR } from "../shared_data.ts";

Deno.test("x86_64 preset: DMA below 16 MiB (pfn 0 reserved), DMA32 below 4 GiB, Normal above", () => {
  const s = presetMachineSpec("x86_64", { memoryBytes: 8 * 2 ** 30 });
  deepStrictEqual(s.zones.map((z) => [z.type, z.startPfn, z.spannedPages]), [
    [0, 1, 4095],
    [1, 4096, 0x100000 - 4096],
    [2, 0x100000, 0x100000],
  ]);
});

Deno.test("i386 preset: Normal ends at 896 MiB, HighMem above", () => {
  const s = presetMachineSpec("i386", { memoryBytes: 2 * 2 ** 30 });
  deepStrictEqual(s.zones.map((z) => [z.type, z.startPfn, z.startPfn + z.spannedPages]), [
    [0, 1, 4096],
    [2, 4096, 229376],
    [3, 229376, 524288],
  ]);
});

Deno.test("arm64 preset with 64 KiB pages: DMA32 then Normal", () => {
  const s = presetMachineSpec("arm64", { memoryBytes: 8 * 2 ** 30, pageSizeBytes: 65536 });
  deepStrictEqual(s.zones.map((z) => [z.type, z.startPfn, z.spannedPages]), [
    [1, 0, 65536],
    [2, 65536, 65536],
  ]);
});

Deno.test("machineSpecFromZoneinfo takes the real machine's populated zones exactly", () => {
  const zi = parseZoneinfo(Deno.readTextFileSync(MIXED_DIR + "before.zoneinfo"));
  const s = machineSpecFromZoneinfo(zi);
  equal(s.cpus, 2);
  deepStrictEqual(s.zones.map((z) => [z.type, z.startPfn, z.spannedPages, z.managedPages]), [
    [0, 1, 4095, 3840],
    [1, 4096, 1044480, 772917],
    [2, 1048576, 5505024, 1146880],
  ]);
  deepStrictEqual(s.zones[2]!.watermarks, {
    minPages: 10073,
    lowPages: 12591,
    highPages: 15109,
    promoPages: 17627,
  });
  deepStrictEqual(s.zones[0]!.protection, [0, 3019, 7499, 7499, 7499]);
});

Deno.test("memmapCost: 64 bytes per present page on x86-64, or the classic 40", () => {
  const s = presetMachineSpec("x86_64", { memoryBytes: 2 ** 40 });
  const c = memmapCost(s);
  equal(c.pages, 2 ** 28 - 1);
  equal(c.bytes, (2 ** 28 - 1) * 64);
  equal(memmapCost(s, 40).bytes, (2 ** 28 - 1) * 40);
});
