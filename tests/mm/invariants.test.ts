import { equal, throws } from "node:assert/strict";
import { MigrateType } from "../../lib/kernel/constants.ts";
import { GFP } from "../../lib/kernel/gfp_flags.ts";
import { asOrder } from "../../lib/kernel/units.ts";
import { PageAllocator } from "../../lib/mm/page_allocator.ts";
import { presetMachineSpec } from "../../lib/mm/machine_spec.ts";
import { MmInvariantError } from "../../lib/mm/mm_invariant_error.ts";

const spec = () => presetMachineSpec("x86_64", { memoryBytes: 64 * 2 ** 20 });

Deno.test("invariants: a booted machine and one after allocations pass the recount", () => {
  const { machine: m } = PageAllocator.withForcedState(spec());
  m.checkInvariants();
  const pfn = m.allocPages(GFP.KSWAPD_RECLAIM | GFP.MOVABLE, asOrder(3))!;
  m.checkInvariants();
  m.__freePages(pfn, asOrder(3));
  m.checkInvariants();
});

Deno.test("invariants: forced writes that break the layout or the counts are caught", () => {
  // A detached block left behind.
  const a = PageAllocator.withForcedState(spec());
  const head = a.machine.listPfns(1, 10, MigrateType.MOVABLE)[0]!;
  a.forced.carve(head, 10);
  throws(() => a.machine.checkInvariants(), MmInvariantError);
  // A listed free head overwritten as allocated: its slot stays on the list.
  const b = PageAllocator.withForcedState(spec());
  const pfn = b.machine.allocPages(GFP.KSWAPD_RECLAIM | GFP.MOVABLE, asOrder(0))!;
  b.forced.placeFree(b.machine.zoneOf(pfn), pfn, 0, MigrateType.MOVABLE);
  b.machine.checkInvariants(); // placed on a list: consistent
  b.forced.countUnlocated(1, 0, MigrateType.MOVABLE, 1);
  equal(b.machine.zoneViews[1]!.unlocated[MigrateType.MOVABLE], 1);
  b.machine.checkInvariants(); // unlocated counts are allowed beside the lists
  b.forced.setAllocated(pfn, 0, MigrateType.MOVABLE);
  throws(() => b.machine.checkInvariants(), /listed heads/);
});
