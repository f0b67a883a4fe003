import assert from "node:assert/strict";
import {
  contigPageInfo,
  debugfsIndexLine,
  EXTFRAG_WOULD_SUCCEED,
  extfragForOrder,
  extfragIndex,
  formatFragIndex,
  fragmentationIndexes,
  largestFreeOrder,
  unusableIndex,
} from "../../lib/metrics/fragmentation_index.ts";
import { readSnapshotZones } from "./real_snapshot_fixture.ts";

// mm/vmstat.c fill_contig_page_info on nr_free = [4, 2, 1, 0, …]: 12 free pages in 7 blocks.
const WORKED = [4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0];

Deno.test("worked example: fill_contig_page_info sums", () => {
  assert.deepEqual(contigPageInfo(WORKED, 0), {
    freePages: 12,
    freeBlocksTotal: 7,
    freeBlocksSuitable: 12,
  });
  assert.equal(contigPageInfo(WORKED, 1).freeBlocksSuitable, 4);
  assert.equal(contigPageInfo(WORKED, 2).freeBlocksSuitable, 1);
  assert.equal(contigPageInfo(WORKED, 3).freeBlocksSuitable, 0);
});

Deno.test("worked example: unusable index per order, truncated like div_u64", () => {
  assert.deepEqual([0, 1, 2, 3, 4].map((j) => unusableIndex(WORKED, j)), [0, 333, 666, 1000, 1000]);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((j) => formatFragIndex(unusableIndex(WORKED, j))),
    ["0.000", "0.333", "0.666", "1.000", "1.000"],
  );
});

Deno.test("worked example: extfrag index per order", () => {
  // j=3: 1000 − (1000 + 12·1000/8)/7 = 1000 − 2500/7 = 1000 − 357 = 643
  // j=4: 1000 − (1000 + 12·1000/16)/7 = 1000 − 1750/7 = 750
  assert.deepEqual([0, 1, 2, 3, 4].map((j) => extfragIndex(WORKED, j)), [
    -1000,
    -1000,
    -1000,
    643,
    750,
  ]);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((j) => formatFragIndex(extfragIndex(WORKED, j), 2)),
    ["-1.000", "-1.000", "-1.000", " 0.643", " 0.750"],
  );
});

Deno.test("the one-pass fragmentationIndexes agrees with the per-order functions", () => {
  const u = new Int32Array(11);
  const e = new Int32Array(11);
  for (const nr of [WORKED, [182, 121, 93, 51, 16, 4, 5, 3, 1, 0, 0], new Array(11).fill(0)]) {
    fragmentationIndexes(nr, u, e);
    for (let j = 0; j <= 10; j++) {
      assert.equal(u[j], unusableIndex(nr, j), `unusable order ${j}`);
      assert.equal(e[j], extfragIndex(nr, j), `extfrag order ${j}`);
    }
  }
});

Deno.test("empty zone: unusable 1000, extfrag 0, no largest order (mm/vmstat.c special cases)", () => {
  const empty = new Array(11).fill(0);
  assert.equal(unusableIndex(empty, 3), 1000);
  assert.equal(extfragIndex(empty, 3), 0);
  assert.equal(extfragForOrder(empty, 3), 0);
  assert.equal(largestFreeOrder(empty), -1);
  assert.equal(extfragIndex(WORKED, 11), 0); // order > MAX_PAGE_ORDER: WARN_ON_ONCE → 0
});

Deno.test("negative extfrag values print like the kernel's %2d.%03d with C truncation", () => {
  // One free order-0 block, order-1 request: 1000 − (1000 + 1·1000/2)/1 = −500.
  assert.equal(extfragIndex([1], 1), -500);
  assert.equal(formatFragIndex(-500, 2), " 0.-500");
  assert.equal(formatFragIndex(-5, 2), " 0.-05");
  assert.equal(formatFragIndex(EXTFRAG_WOULD_SUCCEED, 2), "-1.000");
  assert.equal(formatFragIndex(1000), "1.000");
});

Deno.test("real snapshot: Σ nr_free << order equals zoneinfo 'pages free' before tracing", () => {
  for (const z of readSnapshotZones("before")) {
    assert.equal(contigPageInfo(z.nrFree, 0).freePages, z.freePages, z.zone);
  }
  const after = readSnapshotZones("after");
  // DMA and DMA32 did not change; Normal was read a moment apart from zoneinfo (1 page).
  assert.equal(contigPageInfo(after[0]!.nrFree, 0).freePages, 3840);
  assert.equal(contigPageInfo(after[1]!.nrFree, 0).freePages, 772917);
  assert.equal(contigPageInfo(after[2]!.nrFree, 0).freePages, 241723);
  assert.equal(after[2]!.freePages, 241722);
});

Deno.test("real snapshot: DMA buddyinfo [0×8, 1, 1, 3] gives the debugfs lines", () => {
  const dma = readSnapshotZones("after")[0]!;
  assert.deepEqual(dma.nrFree, [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3]);
  // order 9: suitable = 1 + 3·2 = 7 blocks → (3840 − 7·512)·1000/3840 = 66
  // order 10: suitable = 3 → (3840 − 3072)·1000/3840 = 200
  assert.equal(
    debugfsIndexLine("unusable", 0, "DMA", dma.nrFree),
    "Node 0, zone      DMA 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.066 0.200 ",
  );
  assert.equal(
    debugfsIndexLine("extfrag", 0, "DMA", dma.nrFree),
    "Node 0, zone      DMA " + "-1.000 ".repeat(11),
  );
  assert.equal(largestFreeOrder(dma.nrFree), 10);
});

Deno.test("real snapshot: Normal unusable index before vs after tracing", () => {
  const [before, after] = [readSnapshotZones("before")[2]!, readSnapshotZones("after")[2]!];
  // before: 267995 free pages; order ≥ 9 holds 36·512 + 41·1024 = 60416 → (267995−60416)·1000/267995
  assert.equal(unusableIndex(before.nrFree, 9), 774);
  // after: 8·512 + 38·1024 = 43008 of 241723 → 822
  assert.equal(unusableIndex(after.nrFree, 9), 822);
  assert.equal(extfragForOrder(after.nrFree, 9), 82);
});

Deno.test("real snapshot: extfrag of Normal's Unmovable free lists alone (pagetypeinfo after)", () => {
  const unmovable = readSnapshotZones("after")[2]!.byType[0]!;
  assert.deepEqual(unmovable, [182, 121, 93, 51, 16, 4, 5, 3, 1, 0, 0]);
  // 2548 free pages in 476 blocks, no block of order ≥ 9:
  // 1000 − (1000 + 2548·1000/512)/476 = 1000 − (1000 + 4976)/476 = 1000 − 12 = 988
  assert.equal(extfragIndex(unmovable, 9), 988);
  assert.equal(formatFragIndex(extfragIndex(unmovable, 9), 2), " 0.988");
  // order 8: one order-8 block → (2548 − 256)·1000/2548 = 899 unusable, allocation succeeds
  assert.equal(unusableIndex(unmovable, 8), 899);
  assert.equal(extfragIndex(unmovable, 8), -1000);
});
