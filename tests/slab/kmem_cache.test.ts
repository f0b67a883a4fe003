import assert from "node:assert/strict";
import { KmemCache } from "../../lib/slab/kmem_cache.ts";
import { SimplePageProvider } from "../../lib/slab/page_provider.ts";
import { SlabFlag, slabGeometry } from "../../lib/slab/slab_geometry.ts";

const make = (size: number, nrCpus = 2, flags = 0, limitPages = Infinity) => {
  const pages = new SimplePageProvider(limitPages);
  const c = new KmemCache(
    0,
    `c${size}`,
    size,
    slabGeometry(size, { nrCpus, flags }),
    flags,
    nrCpus,
    pages,
  );
  return { c, pages };
};

Deno.test("kmem_cache: filling slabs takes new slabs of the computed order", () => {
  const { c, pages } = make(1024); // order 2, 16 objects
  const objs: number[] = [];
  for (let i = 0; i < 40; i++) objs.push(c.alloc(0, 0));
  assert.equal(c.numSlabs, 3);
  assert.equal(c.numObjs, 48);
  assert.equal(c.pages, 12);
  assert.equal(pages.pagesInUse, 12);
  assert.equal(new Set(objs).size, 40);
  assert.equal(c.activeObjs, 48); // nothing on the node partial list yet
  c.checkInvariants();
});

Deno.test("kmem_cache: min_partial and cpu_partial follow the kernel formulas", () => {
  assert.equal(make(64).c.minPartial, 5); // ilog2(64)/2 = 3 → clamped to 5
  assert.equal(make(8192).c.minPartial, 6);
  assert.equal(make(64).c.cpuPartialSlabs, 4); // ceil(2*120/64)
  assert.equal(make(4096).c.cpuPartialSlabs, 2); // ceil(2*6/8)
  assert.equal(make(64, 2, SlabFlag.STORE_USER).c.cpuPartialSlabs, 0);
});

Deno.test("kmem_cache: a free into a full slab parks it on the freeing CPU's partial list", () => {
  const { c } = make(1024);
  const objs = Array.from({ length: 32 }, () => c.alloc(0, 0)); // two full slabs
  assert.equal(c.free(objs[0]!, 1), true); // first slab: full → cpu 1 partial
  assert.equal(c.cpuPartialSlabTotal, 1);
  assert.equal(c.nodePartialSlabs, 0);
  assert.equal(c.free(objs[0]!, 1), false); // double free refused
  // cpu 1 now allocates from its partial slab before asking for a new one.
  c.alloc(0, 1);
  assert.equal(c.numSlabs, 2);
  c.checkInvariants();
});

Deno.test("kmem_cache: empty slabs go back only beyond min_partial; shrink frees all", () => {
  const { c, pages } = make(4096); // order 3, 8 objects, cpu_partial_slabs 2, min_partial 6
  const objs = Array.from({ length: 8 * 12 }, () => c.alloc(0, 0));
  assert.equal(c.numSlabs, 12);
  for (const o of objs) c.free(o, 0);
  // Slab k's first free parks it on cpu 0's partial list; every third slab finds the list at
  // its limit (2) and drains it to the node: slabs 0-5 stay (node list below min_partial 6),
  // 6-9 are discarded, 10 is left on the cpu partial list and 11 is still the cpu slab.
  assert.equal(c.inuse, 0);
  c.checkInvariants();
  assert.equal(c.numSlabs, 8);
  assert.equal(c.nodePartialSlabs, 6);
  assert.equal(c.cpuPartialSlabTotal, 1);
  assert.equal(c.slabFrees, 4);
  const freed = c.shrink();
  assert.equal(c.numSlabs, 0);
  assert.equal(pages.pagesInUse, 0);
  assert.ok(freed > 0);
  assert.equal(c.destroy(), 0);
  assert.equal(c.destroyed, true);
});

Deno.test("kmem_cache: falls back to get_order(size) when the preferred order fails", () => {
  const { c, pages } = make(1024, 2, 0, 1); // only one page available
  const h = c.alloc(0, 0);
  assert.ok(h >= 0);
  assert.equal(c.fallbackSlabs, 1);
  assert.equal(c.numObjs, 4); // order-0 slab of 1 KiB objects
  for (let i = 0; i < 3; i++) assert.ok(c.alloc(0, 0) >= 0);
  assert.equal(c.alloc(0, 0), -1);
  assert.equal(pages.failedCalls, 3);
  c.checkInvariants();
});

Deno.test("kmem_cache: property — counts stay consistent under random alloc/free", () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (const size of [8, 192, 1024, 8192]) {
    const { c, pages } = make(size, 4);
    const live: number[] = [];
    for (let step = 0; step < 20000; step++) {
      const cpu = Math.floor(rnd() * 4);
      if (live.length === 0 || rnd() < 0.55) live.push(c.alloc(0, cpu));
      else {
        const k = Math.floor(rnd() * live.length);
        assert.equal(c.free(live[k]!, cpu), true);
        live[k] = live[live.length - 1]!;
        live.pop();
      }
      if (step % 2500 === 0) c.checkInvariants();
    }
    c.checkInvariants();
    assert.equal(c.inuse, live.length);
    assert.equal(pages.pagesInUse, c.pages);
    assert.ok(c.numObjs >= c.inuse && c.activeObjs >= c.inuse && c.activeObjs <= c.numObjs);
    for (const h of live) assert.equal(c.free(h, 0), true);
    c.shrink();
    assert.equal(pages.pagesInUse, 0, `size ${size}`);
  }
});
