import assert from "node:assert/strict";
import { parseSlabinfo } from "../../lib/snapshot/slabinfo.ts";
import {
  calculateAlignment,
  calculateOrder,
  getOrder,
  SlabFlag,
  slabGeometry,
} from "../../lib/slab/slab_geometry.ts";

const MIXED = new URL("../../../shared/traces/mixed/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, MIXED));

Deno.test("geometry: calculate_order reproduces objperslab and pagesperslab of every cache", () => {
  // The capture's VM has 2 CPUs: min_objects = 4 * (fls(2) + 1) = 12.
  for (const file of ["before.slabinfo", "after.slabinfo"]) {
    const rows = parseSlabinfo(read(file), file);
    assert.equal(rows.length, 235);
    const wrong = rows.filter((r) => {
      const g = slabGeometry(r.objSizeBytes, { nrCpus: 2 });
      return g.sizeBytes !== r.objSizeBytes || g.objsPerSlab !== r.objsPerSlab ||
        2 ** g.order !== r.pagesPerSlab;
    }).map((r) => r.name);
    // No cache of this kernel was created with an explicit order or debug metadata.
    assert.deepEqual(wrong, [], file);
  }
});

Deno.test("geometry: worked examples of mm/slub.c calculate_order (8 CPUs → min_objects 20)", () => {
  const at8 = (size: number) => {
    const g = slabGeometry(size, { nrCpus: 8 });
    return [g.order, g.objsPerSlab];
  };
  assert.deepEqual(at8(64), [0, 64]);
  assert.deepEqual(at8(192), [0, 21]);
  assert.deepEqual(at8(1024), [3, 32]);
  assert.deepEqual(at8(8192), [3, 4]);
});

Deno.test("geometry: sizes, alignment and free-pointer placement (calculate_sizes)", () => {
  // task_struct: 5840 bytes aligned to the cache line → 5888 (bytes_alloc in the trace).
  assert.equal(slabGeometry(5840, { align: 64, nrCpus: 2 }).sizeBytes, 5888);
  // pid: 184 bytes requested, 192 in the slab with HWCACHE_ALIGN.
  assert.equal(slabGeometry(184, { flags: SlabFlag.HWCACHE_ALIGN, nrCpus: 2 }).sizeBytes, 192);
  assert.equal(calculateAlignment(SlabFlag.HWCACHE_ALIGN, 0, 24), 32);
  assert.equal(calculateAlignment(0, 0, 24), 8);
  // RCU / ctor caches keep the free pointer after the object.
  assert.equal(slabGeometry(64, { flags: SlabFlag.TYPESAFE_BY_RCU, nrCpus: 2 }).sizeBytes, 72);
  assert.equal(slabGeometry(64, { ctor: true, nrCpus: 2 }).sizeBytes, 72);
  assert.equal(slabGeometry(61, { nrCpus: 2 }).sizeBytes, 64);
  // Debug: red zone word + free pointer + 2 tracks + left pad.
  const dbg = slabGeometry(64, { flags: SlabFlag.RED_ZONE | SlabFlag.STORE_USER, nrCpus: 2 });
  assert.equal(dbg.sizeBytes, 64 + 8 + 2 * 32 + 8);
});

Deno.test("geometry: boot options and the fallback order", () => {
  assert.equal(calculateOrder(64, { nrCpus: 2, slubMinOrder: 2 }), 2);
  assert.equal(calculateOrder(4096, { nrCpus: 2, slubMaxOrder: 1 }), 1);
  // A 51472-byte kvm_vcpu cannot fit slab_max_order 3 → get_order(size) = 4 (16 pages).
  const kvm = slabGeometry(51472, { nrCpus: 2 });
  assert.deepEqual([kvm.order, kvm.objsPerSlab, kvm.minOrder], [4, 1, 4]);
  assert.equal(getOrder(1), 0);
  assert.equal(getOrder(8193), 2);
  assert.throws(() => slabGeometry(0, { nrCpus: 1 }), RangeError);
});
