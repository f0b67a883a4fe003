import assert from "node:assert/strict";
import { AllocatorPageProvider } from "../../lib/replay/allocator_page_provider.ts";
import { GFP } from "../../lib/kernel/gfp_flags.ts";
import { MigrateType } from "../../lib/kernel/constants.ts";
import { machineSpecFromZoneinfo } from "../../lib/mm/machine_spec.ts";
import { PageAllocator, PageState } from "../../lib/mm/page_allocator.ts";
import { seedLayout } from "../../lib/replay/page/snapshot_seed.ts";
import { PreexistingPool } from "../../lib/replay/page/preexisting_pool.ts";
import { parseBuddyinfo } from "../../lib/snapshot/buddyinfo.ts";
import { parseZoneinfo } from "../../lib/snapshot/zoneinfo.ts";
import { SlabReplay } from "../../lib/slab/slab_replay.ts";
import { parseSlabinfo } from "../../lib/snapshot/slabinfo.ts";
import { StringTable } from "../../lib/trace/string_table.ts";
import { MIXED_DIR } from "../shared_data.ts";

const MIXED = MIXED_DIR;
const zoneinfo = parseZoneinfo(Deno.readTextFileSync(MIXED + "before.zoneinfo"));
const buddyinfo = parseBuddyinfo(Deno.readTextFileSync(MIXED + "before.buddyinfo"));

function seeded(): { m: PageAllocator; pool: PreexistingPool } {
  const { machine, forced } = PageAllocator.withForcedState(machineSpecFromZoneinfo(zoneinfo));
  const pool = new PreexistingPool(machine, forced);
  seedLayout(pool, { zoneinfo, buddyinfo });
  return { m: machine, pool };
}

Deno.test("slab pages come from the emulated allocator, marked SLAB, with the cache's gfp", () => {
  const { m } = seeded();
  const p = new AllocatorPageProvider(m);
  const normal = m.zones.findIndex((z) => z.name === "Normal");
  const free0 = m.zones[normal]!.freePages + m.zones[normal]!.pcpCount.reduce((a, x) => a + x, 0);
  const pfn = p.allocPages(GFP.KSWAPD_RECLAIM | GFP.COMP | GFP.RECLAIMABLE, 2, 1)!;
  assert.equal(m.zoneOf(pfn), normal);
  assert.equal(m.stateAt(pfn), PageState.ALLOC);
  assert.equal(m.orderAt(pfn), 2);
  assert.equal(m.allocMtAt(pfn), MigrateType.RECLAIMABLE);
  assert.equal(m.allocFlagsAt(pfn).slab, true);
  const z = m.zones[normal]!;
  assert.equal(z.freePages + z.pcpCount.reduce((a, x) => a + x, 0), free0 - 4);
  assert.deepEqual([p.pagesInUse, p.slabBlocksByOrder[2], p.allocsByOrder[2]], [4, 1, 1]);
  p.freePages(pfn, 2, 1);
  assert.equal(z.freePages + z.pcpCount.reduce((a, x) => a + x, 0), free0);
  assert.deepEqual([p.pagesInUse, p.slabBlocksByOrder[2]], [0, 0]);
});

Deno.test("seeding takes the before-slabinfo's slabs out of the pre-existing allocations", () => {
  const { m, pool } = seeded();
  const p = new AllocatorPageProvider(m, { seedFrom: pool });
  const freeBefore = m.zones.map((z) => z.freePages);
  const slabinfo = parseSlabinfo(Deno.readTextFileSync(MIXED + "before.slabinfo"));
  const r = new SlabReplay(new StringTable(), { nrCpus: 2, pages: p, slabinfo, seed: slabinfo });
  p.endSeeding();
  // No free memory was used: every seeded slab was already allocated in the snapshot.
  assert.deepEqual(m.zones.map((z) => z.freePages), freeBefore);
  assert.equal(p.seededBlocks, r.caches.reduce((a, c) => a + c.numSlabs, 0));
  assert.equal(p.pagesInUse, r.caches.reduce((a, c) => a + c.pages, 0));
  assert.deepEqual(Array.from(p.allocsByOrder), new Array(m.nrOrders).fill(0));
  // After seeding, blocks come from the allocator.
  const pfn = p.allocPages(GFP.KSWAPD_RECLAIM | GFP.COMP | GFP.RECLAIMABLE, 1, 0)!;
  assert.equal(m.allocFlagsAt(pfn).preexisting, false);
  assert.equal(p.allocsByOrder[1], 1);
});
