import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { AllocFlag, MigrateType } from "../../lib/kernel/constants.ts";
import { GFP } from "../../lib/kernel/gfp_flags.ts";
import { type MachineSpec, presetMachineSpec } from "../../lib/mm/machine_spec.ts";
import { PageAllocator, PageState } from "../../lib/mm/page_allocator.ts";
import { asOrder, asPfn, type Order, type Pfn } from "../../lib/kernel/units.ts";
import { MmInvariantError } from "../../lib/mm/mm_invariant_error.ts";

const RECLAIM = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM;
const GFP_KERNEL = RECLAIM | GFP.IO | GFP.FS;
const GFP_HIGHUSER_MOVABLE = GFP_KERNEL | GFP.HARDWALL | GFP.HIGHMEM | GFP.MOVABLE;
const GFP_ATOMIC = GFP.HIGH | GFP.KSWAPD_RECLAIM;
const { UNMOVABLE, MOVABLE } = MigrateType;

/** One Normal zone of `pages` pages at pfn 0 (two order-10 blocks for 2048). */
function oneZone(pages: number, pcp: boolean, extra: Partial<MachineSpec> = {}): MachineSpec {
  const base = presetMachineSpec("x86_64", { memoryBytes: 0 });
  return {
    ...base,
    pcpEnabled: pcp,
    cpus: 1,
    configuredZoneTypes: [2],
    zones: [{
      node: 0,
      type: 2,
      startPfn: 0,
      spannedPages: pages,
      presentPages: pages,
      managedPages: pages,
      pcp: [{ high: 8, batch: 2, highMin: 8, highMax: 8 }],
    }],
    ...extra,
  };
}

Deno.test("alloc takes the lowest part of the first block and expand puts upper halves on the lists", () => {
  const m = new PageAllocator(oneZone(2048, false));
  deepStrictEqual(m.listPfns(0, 10, MOVABLE), [0, 1024]);
  const pfn = m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0));
  equal(pfn, 0);
  for (let o = 0; o < 10; o++) deepStrictEqual(m.listPfns(0, o, MOVABLE), [1 << o]);
  deepStrictEqual(m.listPfns(0, 10, MOVABLE), [1024]);
  equal(m.zones[0]!.freePages, 2047);
  equal(m.stateAt(0), PageState.ALLOC);
  m.checkInvariants();
});

Deno.test("freeing merges with free buddies up to MAX_PAGE_ORDER", () => {
  const m = new PageAllocator(oneZone(2048, false));
  const a = m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0))!;
  const b = m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0))!;
  const c = m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(3))!;
  deepStrictEqual([a, b, c], [0, 1, 8]);
  m.__freePages(b, asOrder(0));
  // pfn 1's buddy (0) is allocated: no merge.
  deepStrictEqual(m.listPfns(0, 0, MOVABLE), [1]);
  m.__freePages(a, asOrder(0));
  m.__freePages(c, asOrder(3));
  deepStrictEqual(m.listPfns(0, 10, MOVABLE).sort((x, y) => x - y), [0, 1024]);
  for (let o = 0; o < 10; o++) equal(m.listLength(0, o, MOVABLE), 0);
  m.checkInvariants();
});

Deno.test("freeing a block that is not allocated is an invariant error", () => {
  const m = new PageAllocator(oneZone(2048, false));
  throws(() => m.__freePages(asPfn(5), asOrder(0)), MmInvariantError);
});

Deno.test("an unmovable request claims a whole MAX_ORDER movable block (fallback ≥ pageblock order)", () => {
  const m = new PageAllocator(oneZone(2048, false));
  const pfn = m.allocPages(GFP_KERNEL, asOrder(0));
  equal(pfn, 0);
  equal(m.stats.fallbacks, 1);
  equal(m.stats.claims, 1);
  equal(m.stats.fallbacksFragmenting, 0);
  equal(m.stats.fallbacksByType[UNMOVABLE * 6 + MOVABLE], 1);
  equal(m.pageblockMtOf(0), UNMOVABLE);
  equal(m.pageblockMtOf(512), UNMOVABLE);
  equal(m.pageblockMtOf(1024), MOVABLE);
  for (let o = 0; o < 10; o++) deepStrictEqual(m.listPfns(0, o, UNMOVABLE), [1 << o]);
  deepStrictEqual(m.listPfns(0, 10, MOVABLE), [1024]);
  m.checkInvariants();
});

Deno.test("a small movable request steals the smallest unmovable buddy without retyping", () => {
  const { machine: m, forced } = PageAllocator.withForcedState(oneZone(2048, false));
  forced.retypePageblocks(0, 10, UNMOVABLE);
  forced.retypePageblocks(1024, 10, UNMOVABLE);
  const blocks: Pfn[] = [];
  for (let i = 0; i < 256; i++) blocks.push(m.allocPages(GFP_KERNEL, asOrder(3))!);
  equal(m.zones[0]!.freePages, 0);
  // Free every other order-3 block: no two free buddies, so nothing merges.
  for (let i = 0; i < 256; i += 2) m.__freePages(blocks[i]!, asOrder(3));
  equal(m.listLength(0, 3, UNMOVABLE), 128);
  const before = m.stats.fallbacks;
  const pfn = m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0))!;
  equal(m.stats.fallbacks - before, 1);
  equal(m.stats.steals, 1);
  equal(m.stats.claims, 0);
  equal(m.stats.fallbacksFragmenting, 1);
  equal(m.pageblockMtOf(pfn), UNMOVABLE);
  equal(m.listLength(0, 3, UNMOVABLE), 127);
  for (let o = 0; o < 3; o++) equal(m.listLength(0, o, UNMOVABLE), 1);
  m.checkInvariants();
});

Deno.test("pcp: refill pulls a batch to the list tail, frees above high drain back to buddy", () => {
  const m = new PageAllocator(oneZone(2048, true));
  const z = m.zones[0]!;
  const first = m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0));
  equal(first, 0);
  // batch 2: pfns 0 and 1 were pulled, 0 handed out, 1 waits on the pcp list.
  deepStrictEqual(m.pcpListPfns(0, 0, 0, MOVABLE), [1]);
  equal(z.pcpCount[0], 1);
  equal(z.freePages, 2046);
  const pages: Pfn[] = [first!];
  for (let i = 0; i < 11; i++) pages.push(m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0))!);
  for (const p of pages) m.__freePages(p, asOrder(0));
  ok(m.stats.pcpDrainedPages > 0);
  ok(z.pcpCount[0]! < 8, `pcp count ${z.pcpCount[0]} stays below high`);
  m.checkInvariants();
  m.drainAllPages();
  equal(z.pcpCount[0], 0);
  equal(z.freePages, 2048);
  deepStrictEqual(m.listPfns(0, 10, MOVABLE).sort((x, y) => x - y), [0, 1024]);
  m.checkInvariants();
});

Deno.test("watermark check: free must exceed mark + lowmem_reserve; reserves lower the mark", () => {
  const spec = oneZone(20000, false);
  spec.zones[0]!.watermarks = {
    minPages: 3072,
    lowPages: 6072,
    highPages: 9072,
    promoPages: 12072,
  };
  spec.zones[0]!.protection = [0, 0, 0, 0, 100];
  const m = new PageAllocator(spec);
  equal(m.zoneWatermarkOk(0, 0, 9072, 2, AllocFlag.WMARK_HIGH, 9072), false);
  equal(m.zoneWatermarkOk(0, 0, 9072, 2, AllocFlag.WMARK_HIGH, 9073), true);
  // Aimed at ZONE_MOVABLE: lowmem_reserve[4] = 100 more.
  equal(m.zoneWatermarkOk(0, 0, 9072, 4, AllocFlag.WMARK_HIGH, 9100), false);
  // GFP_ATOMIC (MIN_RESERVE|NON_BLOCK): 9072 → 4536 → 3402.
  const atomic = AllocFlag.MIN_RESERVE | AllocFlag.NON_BLOCK;
  equal(m.zoneWatermarkOk(0, 0, 9072, 2, atomic, 3402), false);
  equal(m.zoneWatermarkOk(0, 0, 9072, 2, atomic, 3403), true);
  // order > 0 also needs a free block of at least that order: free - (2^order - 1) > mark.
  equal(m.zoneWatermarkOk(0, 3, 9072, 2, 0, 9080), true);
  equal(m.zoneWatermarkOk(0, 3, 9072, 2, 0, 9079), false);
});

Deno.test("allocations below the low watermark count kswapd wakes; GFP_ATOMIC dips further", () => {
  const spec = oneZone(2048, false);
  spec.zones[0]!.watermarks = { minPages: 100, lowPages: 200, highPages: 300, promoPages: 400 };
  const m = new PageAllocator(spec);
  const z = m.zones[0]!;
  let n = 0;
  while (z.freePages > 201) {
    m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0));
    n++;
  }
  equal(z.kswapdWakes, 0);
  m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0));
  m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0));
  equal(z.kswapdWakes, 1);
  equal(z.directReclaims, 0);
  ok(n > 1800);
  // Exhaust everything: the emulator ignores watermarks after "reclaim", then fails.
  while (m.allocPages(GFP_ATOMIC | GFP.MOVABLE, asOrder(0)) !== null);
  equal(z.freePages, 0);
  ok(m.stats.failuresByOrder[0]! >= 1);
});

Deno.test("classic API: __get_free_pages returns direct-map addresses, free_pages takes them back", () => {
  const m = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 64 * 2 ** 20 }));
  const addr = m.getFreePages(GFP_KERNEL, asOrder(1))!;
  const pfn = m.virtToPfn(addr);
  equal(addr, 0xffff888000000000n + BigInt(pfn) * 4096n);
  equal(m.orderAt(pfn), 1);
  const z = m.getZeroedPage(GFP_KERNEL)!;
  m.freePages(addr, asOrder(1));
  m.freePage(z);
  m.freePages(0n, asOrder(3)); // like free_pages(0, …): ignored
  m.drainAllPages();
  m.checkInvariants();
  equal(m.zones.reduce((a, x) => a + x.freePages, 0), 16383);
});

Deno.test("i386 HighMem pages have no direct-map address", () => {
  const m = new PageAllocator(presetMachineSpec("i386", { memoryBytes: 2 * 2 ** 30 }));
  const pfn = m.allocPages(GFP_HIGHUSER_MOVABLE, asOrder(0))!;
  equal(m.zones[m.zoneOf(pfn)]!.name, "HighMem");
  equal(m.pfnToVirt(pfn), null);
  const lowAddr = m.getFreePages(GFP_KERNEL, asOrder(0))!;
  ok(lowAddr >= 0xc0000000n);
});

/** mulberry32: small seeded PRNG for reproducible random operation sequences. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const seed of [1, 42, 2024]) {
  Deno.test(`property (seed ${seed}): random alloc/free keeps lists equal to a recount, no overlap, buddies merged`, () => {
    const spec = presetMachineSpec("x86_64", { memoryBytes: 48 * 2 ** 20, cpus: 2 });
    const m = new PageAllocator(spec);
    const total = m.zones.reduce((a, z) => a + z.freePages, 0);
    const rnd = prng(seed);
    const gfps = [
      GFP_KERNEL,
      GFP_HIGHUSER_MOVABLE,
      GFP_KERNEL | GFP.RECLAIMABLE,
      GFP_ATOMIC,
      GFP_KERNEL | GFP.DMA,
    ];
    const live: Array<[Pfn, Order]> = [];
    for (let op = 0; op < 4000; op++) {
      if (live.length === 0 || rnd() < 0.55) {
        const r = rnd();
        const order = r < 0.6 ? 0 : r < 0.8 ? 1 : r < 0.9 ? 3 : r < 0.97 ? 5 : 9;
        const pfn = m.allocPages(
          gfps[Math.floor(rnd() * gfps.length)]!,
          asOrder(order),
          Math.floor(rnd() * 2),
        );
        if (pfn !== null) live.push([pfn, asOrder(order)]);
      } else {
        const k = Math.floor(rnd() * live.length);
        const [pfn, order] = live[k]!;
        live[k] = live[live.length - 1]!;
        live.pop();
        m.__freePages(pfn, order, Math.floor(rnd() * 2));
      }
      if (op % 1000 === 999) m.checkInvariants();
    }
    m.checkInvariants();
    for (const [pfn, order] of live) m.__freePages(pfn, order, 0);
    m.drainAllPages();
    m.checkInvariants();
    equal(m.zones.reduce((a, z) => a + z.freePages, 0), total);
    ok(m.stats.fallbacks > 0, "the mix of types exercised fallbacks");
    // Everything merged back: only maximal aligned blocks remain.
    const blocks = m.zones.map((z) => Array.from(z.nrFree).reduce((a, x) => a + x, 0));
    const fresh = new PageAllocator(spec);
    deepStrictEqual(
      blocks,
      fresh.zones.map((z) => Array.from(z.nrFree).reduce((a, x) => a + x, 0)),
    );
  });
}
