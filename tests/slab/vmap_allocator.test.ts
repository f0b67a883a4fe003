import assert from "node:assert/strict";
import { VmapAllocator } from "../../lib/slab/vmap_allocator.ts";

Deno.test("vmap: first fit with alignment, reserve at traced addresses, purge by range", () => {
  const v = new VmapAllocator(2, 0x1000_0000, 0x100_0000);
  const a = v.alloc(20480, 16384)!; // a kernel stack: 16 KiB + guard, 16 KiB aligned
  assert.equal(a, 0x1000_0000);
  const b = v.alloc(8192)!;
  assert.equal(b, a + 20480);
  assert.equal(v.reserve(0x1080_0000, 4096), true);
  assert.equal(v.reserve(0x1080_0000, 4096), false);
  assert.equal(v.freeLazy(a), true);
  assert.equal(v.freeLazy(a), false);
  assert.equal(v.freeLazy(0x1080_0000), true);
  assert.equal(v.lazyPages, 6);
  assert.equal(v.purge(0x1000_0000, 0x1010_0000), 1);
  assert.equal(v.stats().lazyAreas, 1);
  assert.equal(v.purge(), 1);
  assert.deepEqual(v.stats(), {
    busyAreas: 1,
    busyBytes: 8192,
    lazyAreas: 0,
    lazyBytes: 0,
    purges: 2,
    purgedAreas: 2,
    failedAllocs: 0,
  });
  // Freed ranges merge back: the first 20 KiB are reusable again.
  assert.equal(v.alloc(20480), 0x1000_0000);
  assert.equal(v.alloc(0x200_0000), null);
  assert.equal(v.stats().failedAllocs, 1);
});
