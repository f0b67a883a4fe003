import assert from "node:assert/strict";
import { parseBuddyinfo } from "../../lib/snapshot/buddyinfo.ts";
import { parsePagetypeinfo } from "../../lib/snapshot/pagetypeinfo.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

const MIXED = new URL("../../../shared/traces/mixed/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, MIXED));

Deno.test("pagetypeinfo: 6.18 capture without a CMA column (5 types x 3 zones)", () => {
  const p = parsePagetypeinfo(read("before.pagetypeinfo"), "before.pagetypeinfo");
  assert.equal(p.pageblockOrder, 9);
  assert.equal(p.pagesPerBlock, 512);
  assert.equal(p.free.length, 15);
  assert.deepEqual(
    p.free.filter((r) => r.zone === "Normal").map((r) => r.type),
    ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"],
  );
  const rec = p.free.find((r) => r.zone === "Normal" && r.type === "Reclaimable")!;
  assert.deepEqual(rec.blocks, [0, 0, 0, 1, 0, 0, 8, 7, 6, 0, 0]);
  assert.deepEqual(p.blockCounts[2], {
    node: 0,
    zone: "Normal",
    counts: { Unmovable: 331, Movable: 1817, Reclaimable: 92, HighAtomic: 0, Isolate: 0 },
  });
  assert.equal(p.mixedBlockCounts, undefined);
});

Deno.test("pagetypeinfo: per-order sums over types equal buddyinfo of the same moment", () => {
  for (const when of ["before", "after"]) {
    const p = parsePagetypeinfo(read(`${when}.pagetypeinfo`));
    const b = parseBuddyinfo(read(`${when}.buddyinfo`));
    for (const row of b) {
      const sum = new Array(11).fill(0);
      for (const f of p.free.filter((r) => r.zone === row.zone)) {
        f.blocks.forEach((n, o) => sum[o] += n);
      }
      assert.deepEqual(sum, row.freeBlocks, `${when} ${row.zone}`);
    }
  }
});

// Pre-4.4 type order with Reserve and CMA, a capped free list and a page_owner mixed table.
const OLD = `Page block order: 9
Pages per block:  512

Free pages count per migrate type at order       0      1      2 
Node    0, zone   Normal, type    Unmovable      3      1      0 
Node    0, zone   Normal, type  Reclaimable      0      2      0 
Node    0, zone   Normal, type      Movable >100000    500      7 
Node    0, zone   Normal, type      Reserve      0      0      1 
Node    0, zone   Normal, type          CMA      0      0      0 
Node    0, zone   Normal, type      Isolate      0      0      0 

Number of blocks type     Unmovable  Reclaimable      Movable      Reserve          CMA      Isolate 
Node 0, zone   Normal           40           10         2000            2            0            0 
Number of mixed blocks    Unmovable  Reclaimable      Movable      Reserve          CMA      Isolate 
Node 0, zone   Normal            3            1           12            0            0            0 
`;

Deno.test("pagetypeinfo: columns come from the header (Reserve, CMA), >100000 is capped", () => {
  const p = parsePagetypeinfo(OLD, "old");
  assert.deepEqual(p.free.map((r) => r.type), [
    "Unmovable",
    "Reclaimable",
    "Movable",
    "Reserve",
    "CMA",
    "Isolate",
  ]);
  const movable = p.free[2]!;
  assert.deepEqual(movable.blocks, [100000, 500, 7]);
  assert.equal(movable.capped, true);
  assert.equal(p.free[0]!.capped, undefined);
  assert.equal(p.blockCounts[0]!.counts.Reserve, 2);
  assert.equal(p.blockCounts[0]!.counts.CMA, 0);
  assert.equal(p.mixedBlockCounts?.[0]?.counts.Movable, 12);
});

Deno.test("pagetypeinfo: bad input names file and line", () => {
  assert.throws(
    () => parsePagetypeinfo(OLD.replace("  500 ", " 5x0 "), "old"),
    (e: unknown) => e instanceof TraceSyntaxError && e.line === 7 && e.file === "old",
  );
  assert.throws(
    () => parsePagetypeinfo(OLD.replace("2            0            0 \nNumber", "2 \nNumber")),
    /migratetype columns/,
  );
  assert.throws(() => parsePagetypeinfo(OLD.replace("Page block order: 9\n", "")), /Page block/);
  assert.throws(() => parsePagetypeinfo("Page block order: 9\nPages per block: 512\nxyz\n"), {
    name: "TraceSyntaxError",
  });
});
