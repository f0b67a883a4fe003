import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { machineSpecFromZoneinfo } from "../../../lib/mm/machine_spec.ts";
import { PageAllocator, PageState } from "../../../lib/mm/page_allocator.ts";
import { seedZoneFromKpageflags } from "../../../lib/replay/page/kpageflags_seed.ts";
import { UnlocatedPool } from "../../../lib/replay/page/unlocated_pool.ts";
import { replayTrace } from "../../../lib/replay/replay_trace.ts";
import { parseBuddyinfo } from "../../../lib/snapshot/buddyinfo.ts";
import { decodeKpageflags } from "../../../lib/snapshot/kpageflags.ts";
import { parseZoneinfo } from "../../../lib/snapshot/zoneinfo.ts";

const FIXTURE = new URL("../../../traces/kpageflags-6.18/", import.meta.url);
const read = (n: string) => Deno.readFileSync(new URL(n, FIXTURE));
const text = (n: string) => new TextDecoder().decode(read(n));

/** python3 count_kpageflags.py (top-down, independent of lib/): DMA32 free blocks per order. */
function pythonFreeBlocks(from: number, to: number): number[] {
  const out = new Deno.Command("python3", {
    args: [
      new URL("count_kpageflags.py", FIXTURE).pathname,
      new URL("dma-dma32.raw.gz", FIXTURE).pathname,
      "0",
      `${from}`,
      `${to}`,
    ],
  }).outputSync();
  const line = new TextDecoder().decode(out.stdout).split("\n").find((l) =>
    l.startsWith("free blocks per order")
  )!;
  return JSON.parse(line.slice("free blocks per order ".length, line.indexOf("]") + 1));
}

function seededMachine() {
  const zoneinfo = parseZoneinfo(text("zoneinfo"));
  const { machine, forced } = PageAllocator.withForcedState(machineSpecFromZoneinfo(zoneinfo), {
    initial: "unknown",
  });
  return { machine, pool: new UnlocatedPool(machine, forced) };
}

Deno.test("kpageflags seed: DMA and DMA32 free blocks at real pfns = buddyinfo read right after", () => {
  const { machine, pool } = seededMachine();
  const k = decodeKpageflags(read("dma-dma32.kpageflags"));
  const bi = parseBuddyinfo(text("buddyinfo.after-read"));
  for (const zi of [0, 1]) {
    const z = machine.zones[zi]!;
    const row = bi.find((r) => r.zone === z.name)!;
    // pagetypeinfo's block counts of that VM: DMA 8, DMA32 1528 (1 + 7, 0 + 1528 in the mixed
    // bundle's before.pagetypeinfo of the same machine).
    const c = seedZoneFromKpageflags(pool, zi, k, row.freeBlocks, [8, 1528][zi]);
    assert.deepEqual(c.kpageflagsBlocks, row.freeBlocks, z.name);
    assert.deepEqual(c.kpageflagsBlocks, pythonFreeBlocks(z.startPfn, z.endPfn), z.name);
    assert.equal(c.kpageflagsFreePages, c.buddyinfoFreePages);
    assert.equal(machine.zones[zi]!.freePages, c.kpageflagsFreePages);
    // Every pfn of the span is accounted for: free, allocated or hole.
    assert.equal(c.kpageflagsFreePages + c.allocatedPages + c.holePages, z.endPfn - z.startPfn);
  }
  // The free block at 0x2301 … (order-8 at 0x2300) is located, in buddy.
  assert.equal(machine.stateAt(machine.headOf(0x2300)), PageState.BUDDY);
  // DMA32's 4 GiB PCI hole reads as flagless words, not KPF_NOPAGE: its 512 whole pageblocks
  // (counted from the raw words) are holes, since the 1528 others make pagetypeinfo's count.
  const raw = gunzipSync(read("dma-dma32.raw.gz"));
  const words = new BigUint64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
  let zeroBlocks = 0;
  for (let pb = 4096 / 512; pb < 1048576 / 512; pb++) {
    if (words.subarray(pb * 512, pb * 512 + 512).every((w) => w === 0n)) zeroBlocks++;
  }
  assert.equal(zeroBlocks, 512);
  assert.equal(machine.stateAt(machine.headOf(0xc0000)), PageState.HOLE);
});

Deno.test("kpageflags seed: first sightings are known, a take of an allocated page is stale", async () => {
  const zoneinfo = parseZoneinfo(text("zoneinfo"));
  const buddyinfo = parseBuddyinfo(text("buddyinfo.after-read"));
  const kpageflags = decodeKpageflags(read("dma-dma32.kpageflags"));
  const lines = [
    // 0x2261 is KPF_BUDDY (inside the free block at 0x2260): a pcp refill takes it, then it is
    // allocated and freed; 0x2400 is allocated (KPF_RESERVED): freeing it needs no guess.
    "t-1 [000] ..... 1.000001: mm_page_alloc_zone_locked: page=00000000a1b2c3d4 pfn=0x2261 order=0 migratetype=1 percpu_refill=1",
    "t-1 [000] ..... 1.000002: mm_page_alloc: page=00000000a1b2c3d4 pfn=0x2261 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE",
    "t-1 [000] ..... 1.000003: mm_page_free: page=00000000a1b2c3d4 pfn=0x2261 order=0",
    "t-1 [000] ..... 1.000004: mm_page_free: page=00000000a1b2c3d4 pfn=0x2400 order=0",
    // 0x2500 is allocated in the snapshot: taking it from buddy means it changed before tracing.
    "t-1 [000] ..... 1.000005: mm_page_alloc_zone_locked: page=00000000a1b2c3d4 pfn=0x2500 order=0 migratetype=1 percpu_refill=1",
  ];
  const stream = new Blob([lines.join("\n") + "\n"]).stream();
  const r = await replayTrace(stream, {
    snapshots: { before: { zoneinfo, buddyinfo, kpageflags }, after: {}, ignored: [] },
    slab: false,
  });
  assert.equal(r.pages.seededFrom, "kpageflags");
  assert.deepEqual(
    r.pages.desyncs,
    { "kpageflags-stale": 1 },
    JSON.stringify(r.pages.desyncExamples),
  );
  assert.deepEqual(r.pages.kpageflagsSeed!.map((c) => c.zone), ["DMA", "DMA32"]);
  // Normal is not in the slice: seeded from counts as before.
  const normal = r.pages.zones.find((z) => z.name === "Normal")!;
  assert.ok(normal.freePages > 0);
});
