import assert from "node:assert/strict";
import { GFP } from "../../lib/kernel/gfp_flags.ts";
import { SimplePageProvider } from "../../lib/slab/page_provider.ts";
import { SlabAllocator, ZERO_SIZE_OBJ } from "../../lib/slab/slab_allocator.ts";
import { SlabFlag } from "../../lib/slab/slab_geometry.ts";

const GFP_KERNEL = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM | GFP.IO | GFP.FS;
const setup = () => {
  const pages = new SimplePageProvider();
  return { pages, slab: new SlabAllocator({ nrCpus: 2, pages }) };
};

Deno.test("kmalloc: size classes incl. 96/192 and the dma/rcl/cg families by gfp", () => {
  const { slab } = setup();
  const name = (size: number, gfp = GFP_KERNEL) => {
    const h = slab.kmalloc(size, gfp)!;
    return slab.caches[h % 16384]!.name;
  };
  assert.equal(name(1), "kmalloc-8");
  assert.equal(name(65), "kmalloc-96");
  assert.equal(name(129), "kmalloc-192");
  assert.equal(name(193), "kmalloc-256");
  assert.equal(name(8192), "kmalloc-8k");
  assert.equal(name(11, GFP_KERNEL | GFP.ACCOUNT), "kmalloc-cg-16");
  assert.equal(name(100, GFP_KERNEL | GFP.RECLAIMABLE | GFP.ACCOUNT), "kmalloc-rcl-128");
  assert.equal(name(2000, GFP.DMA | GFP.RECLAIMABLE), "dma-kmalloc-2k");
  assert.equal(slab.cacheByName("kmalloc-rcl-128")!.allocGfp & GFP.RECLAIMABLE, GFP.RECLAIMABLE);
});

Deno.test("kmalloc: large requests come from the page provider with get_order(size)", () => {
  const { slab, pages } = setup();
  const h = slab.kmalloc(8193, GFP_KERNEL)!;
  assert.ok(h < ZERO_SIZE_OBJ);
  assert.equal(slab.ksize(h), 16384);
  assert.equal(pages.pagesInUse, 4);
  assert.equal(slab.kfree(h), true);
  assert.equal(slab.kfree(h), false);
  assert.equal(pages.pagesInUse, 0);
  assert.equal(slab.kmalloc(4 * 1024 * 1024 + 1, GFP_KERNEL), null);
  assert.equal(slab.kmalloc(0, GFP_KERNEL), ZERO_SIZE_OBJ);
  assert.equal(slab.kfree(ZERO_SIZE_OBJ), true);
});

Deno.test("kmalloc: ksize is the class size while live, kzalloc behaves like kmalloc", () => {
  const { slab } = setup();
  const h = slab.kzalloc(100, GFP_KERNEL)!;
  assert.equal(slab.ksize(h), 128);
  assert.equal(slab.kfree(h), true);
  assert.equal(slab.ksize(h), 0);
  assert.equal(slab.kfree(h), false);
});

Deno.test("kmem_cache_create merges compatible caches and records the alias", () => {
  const { slab } = setup();
  const a = slab.kmemCacheCreate("foo", 60, 0, 0);
  const b = slab.kmemCacheCreate("bar", 64, 0, 0);
  assert.equal(b, a);
  assert.deepEqual(a.aliases, ["bar"]);
  assert.equal(slab.cacheByName("bar"), a);
  // Constructors, RCU and different accounting prevent merging.
  assert.notEqual(slab.kmemCacheCreate("c", 64, 0, 0, () => {}), a);
  assert.notEqual(slab.kmemCacheCreate("r", 64, 0, SlabFlag.TYPESAFE_BY_RCU), a);
  assert.notEqual(slab.kmemCacheCreate("acct", 64, 0, SlabFlag.ACCOUNT), a);
  const o = slab.kmemCacheAlloc(b, GFP_KERNEL, 1)!;
  assert.equal(slab.kmemCacheDestroy(a), 0); // one of two references
  assert.equal(slab.kmemCacheDestroy(a), 1); // last reference, but an object is still live
  assert.equal(slab.kmemCacheFree(a, o, 0), true);
  assert.equal(slab.kmemCacheDestroy(a), 0);
  assert.equal(a.destroyed, true);
  assert.equal(slab.cacheByName("foo"), undefined);
});

Deno.test("vmalloc: order-0 pages plus a guard page of address space, lazily freed", () => {
  const { slab, pages } = setup();
  const va = slab.vmalloc(10000)!;
  assert.equal(pages.pagesInUse, 3);
  assert.equal(slab.vmap.busySize(va), 4 * 4096);
  const vb = slab.vmalloc(4096)!;
  assert.equal(vb, va + 4 * 4096);
  assert.equal(slab.vfree(va), true);
  assert.equal(slab.vfree(va), false);
  assert.equal(pages.pagesInUse, 1);
  assert.deepEqual([slab.vmap.stats().lazyAreas, slab.vmap.stats().lazyBytes], [1, 16384]);
  // The range stays unusable until a purge.
  assert.equal(slab.vmalloc(4096), vb + 2 * 4096);
  assert.equal(slab.vmap.purge(), 1);
  assert.equal(slab.vmalloc(4096), va);
  assert.equal(slab.vmap.lazyMaxPages, 16384); // fls(2) * 32 MiB / 4 KiB, as nr_lazy_max= shows
});
