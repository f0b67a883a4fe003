import { deepStrictEqual, equal } from "node:assert/strict";
import { MigrateType } from "../../../lib/kernel/constants.ts";
import { PageAllocator } from "../../../lib/mm/page_allocator.ts";
import { presetMachineSpec } from "../../../lib/mm/machine_spec.ts";
import { UnlocatedPool } from "../../../lib/replay/page/unlocated_pool.ts";

const { MOVABLE, UNMOVABLE } = MigrateType;

function pool() {
  const { machine, forced } = PageAllocator.withForcedState(
    presetMachineSpec("x86_64", { memoryBytes: 2 ** 30, cpus: 2 }),
    { initial: "unknown" },
  );
  return { machine, pool: new UnlocatedPool(machine, forced) };
}

Deno.test("unlocated pool: counts join the zone's free counts, not its lists", () => {
  const { machine: m, pool: p } = pool();
  p.add(1, 3, MOVABLE, 2);
  p.addPcp(1, 1, 5);
  const z = m.zoneViews[1]!;
  equal(z.freePages, 16);
  equal(z.nrFree[3 * 6 + MOVABLE], 2);
  equal(z.unlocated[3 * 6 + MOVABLE], 2);
  deepStrictEqual(Array.from(z.pcpCount), [0, 5]);
  equal(m.listLength(1, 3, MOVABLE), 0);
  m.checkInvariants();
});

Deno.test("unlocated pool: a first sighting takes the smallest fitting block; pcp pages prefer the CPU", () => {
  const { machine: m, pool: p } = pool();
  p.add(1, 2, UNMOVABLE, 1);
  p.add(1, 4, UNMOVABLE, 1);
  const base = m.zoneViews[1]!.startPfn;
  // Order 2 does not fit where only an order-4 block is allowed: the order-4 one is taken.
  equal(p.take(1, base + 4, 0, UNMOVABLE, (_b, k) => k === 4), 4);
  equal(p.take(1, base + 4, 0, MOVABLE, () => true), -1);
  equal(m.zoneViews[1]!.freePages, 4);
  p.addPcp(1, 0, 1);
  p.addPcp(1, 1, 2);
  equal(p.takePcp(1, 0, 2), true); // cpu 0 has 1: cpu 1's 2 pages are taken
  deepStrictEqual(Array.from(m.zoneViews[1]!.pcpCount), [1, 0]);
  equal(p.takePcp(1, 0, 2), false);
});
