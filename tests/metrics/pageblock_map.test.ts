import assert from "node:assert/strict";
import {
  PAGEBLOCK_ABSENT,
  pageblockMapOfZone,
  pageblockStartPfn,
  summarizePageblockMap,
} from "../../lib/metrics/pageblock_map.ts";
import { countPageblocksByType } from "../../lib/metrics/pageblock_metrics.ts";
import { readSnapshotZones } from "./real_snapshot_fixture.ts";

// Machine-wide per-pageblock arrays laid out with the real zone spans (zoneinfo after) and the
// real pageblock counts per type (pagetypeinfo after): DMA 1+7, DMA32 1528, Normal 337+1811+92.
function machineArrays() {
  const zones = readSnapshotZones("after");
  const end = zones[2]!.startPfn + zones[2]!.spannedPages;
  const nBlocks = Math.ceil(end / 512);
  const mt = new Uint8Array(nBlocks).fill(1);
  const zone = new Uint8Array(nBlocks).fill(255);
  zones.forEach((z, zi) => {
    const first = Math.floor(z.startPfn / 512);
    let b = first;
    z.blocksByType.forEach((count, type) => {
      for (let i = 0; i < count; i++, b++) {
        mt[b] = type;
        zone[b] = zi;
      }
    });
  });
  return { zones, mt, zone };
}

Deno.test("pageblock census from per-pageblock arrays matches pagetypeinfo's block counts", () => {
  const { zones, mt, zone } = machineArrays();
  const out = new Float64Array(6);
  zones.forEach((z, zi) => {
    assert.deepEqual(Array.from(countPageblocksByType(mt, zone, zi, out)), z.blocksByType, z.zone);
  });
});

Deno.test("a zone's map: Normal spans 10752 pageblocks from pfn 0x100000, 2240 present", () => {
  const { zones, mt, zone } = machineArrays();
  const normal = zones[2]!;
  const free = new Uint32Array(mt.length);
  free[Math.floor(normal.startPfn / 512)] = 512; // first Normal block completely free
  free[Math.floor(normal.startPfn / 512) + 400] = 100;
  const map = pageblockMapOfZone(
    { pageblockMt: mt, pageblockZone: zone, freePagesPerBlock: free },
    {
      tsNs: 1,
      label: "end",
      node: 0,
      zone: "Normal",
      zoneIndex: 2,
      startPfn: normal.startPfn,
      endPfn: normal.startPfn + normal.spannedPages,
    },
  );
  assert.equal(map.migratetype.length, 5505024 / 512);
  assert.equal(map.startPfn, 0x100000);
  assert.equal(pageblockStartPfn(map, 2), 0x100400);
  assert.equal(map.migratetype[2240], PAGEBLOCK_ABSENT);
  const s = summarizePageblockMap(map);
  assert.equal(s.absent, 10752 - 2240);
  assert.deepEqual(s.perType.slice(0, 3).map((t) => t.blocks), [337, 1811, 92]);
  // Unmovable: block 0 all free; Movable: block 400 partially free; every other block full.
  assert.deepEqual(s.perType[0], {
    migratetype: "Unmovable",
    blocks: 337,
    free: 1,
    partial: 0,
    full: 336,
    located: 337,
    freeUnknown: 0,
  });
  assert.deepEqual(s.perType[1], {
    migratetype: "Movable",
    blocks: 1811,
    free: 0,
    partial: 1,
    full: 1810,
    located: 1811,
    freeUnknown: 0,
  });
});
