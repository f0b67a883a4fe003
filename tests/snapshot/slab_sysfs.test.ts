import assert from "node:assert/strict";
import {
  formatSlabSysfsLine,
  parseSlabSysfs,
  SLAB_SYSFS_HEADER,
} from "../../lib/snapshot/slab_sysfs.ts";
import { parseSlabinfo } from "../../lib/snapshot/slabinfo.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

// Captured by `kmem capture` (fork loop, Linux 6.18.44, 2 CPUs): before.slab_sysfs and the
// matching before.slabinfo rows.
const BEFORE_SYSFS = `${SLAB_SYSFS_HEADER}
dentry objects=132279 objects_partial=0 partial=0 cpu_slabs=10 slabs_cpu_partial=84(8) objs_per_slab=21 sheaf_capacity=0
vm_area_struct objects=1236 objects_partial=165 partial=20 cpu_slabs=13 slabs_cpu_partial=115(11) objs_per_slab=21 sheaf_capacity=32
radix_tree_node objects=44078 objects_partial=356 partial=31 cpu_slabs=16 slabs_cpu_partial=98(14) objs_per_slab=14 sheaf_capacity=0
kmalloc-512 objects=6856 objects_partial=5976 partial=850 cpu_slabs=8 slabs_cpu_partial=48(6) objs_per_slab=16 sheaf_capacity=0
`;
const BEFORE_SLABINFO = `slabinfo - version: 2.1
dentry            132279 132279    192   21    1 : tunables    0    0    0 : slabdata   6299   6299      0
vm_area_struct      1236   1491    192   21    1 : tunables    0    0    0 : slabdata     71     71      0
radix_tree_node    44078  44156    584   14    2 : tunables    0    0    0 : slabdata   3154   3154      0
kmalloc-512         6856  14480    512   16    2 : tunables    0    0    0 : slabdata    905    905      0
`;

Deno.test("slab_sysfs: a captured file parses into per-cache occupancy", () => {
  const rows = parseSlabSysfs(BEFORE_SYSFS, "before.slab_sysfs");
  assert.equal(rows.length, 4);
  assert.deepEqual(rows[1], {
    name: "vm_area_struct",
    objects: 1236,
    objectsPartial: 165,
    partialSlabs: 20,
    cpuSlabs: 13,
    cpuPartialSlabs: 11,
    cpuPartialObjsApprox: 115,
    objsPerSlab: 21,
    sheafCapacity: 32,
  });
});

Deno.test("slab_sysfs: the captured numbers obey mm/slub.c's definitions", () => {
  const info = new Map(parseSlabinfo(BEFORE_SLABINFO).map((r) => [r.name, r]));
  for (const s of parseSlabSysfs(BEFORE_SYSFS)) {
    const i = info.get(s.name)!;
    // objects = nr_objs − free objects of node partial slabs = slabinfo active_objs …
    assert.equal(s.objects, i.activeObjs, s.name);
    // … = objects of every slab not on a node partial list + inuse of the partial ones.
    assert.equal(s.objects, (i.numSlabs - s.partialSlabs!) * i.objsPerSlab + s.objectsPartial!);
    // slabs_cpu_partial's object count is the kernel's half-full estimate, not a count.
    assert.equal(s.cpuPartialObjsApprox, Math.floor(s.cpuPartialSlabs! * s.objsPerSlab! / 2));
    // cpu_slabs = at most one cpu slab per CPU (2 here) + the cpu-partial slabs.
    const cpuSlabOnly = s.cpuSlabs! - s.cpuPartialSlabs!;
    assert.ok(cpuSlabOnly >= 0 && cpuSlabOnly <= 2, `${s.name}: ${cpuSlabOnly}`);
  }
});

Deno.test("slab_sysfs: a line keeps the first token of each sysfs file, missing files left out", () => {
  // The texts of /sys/kernel/slab/vm_area_struct/* as read on this machine.
  const line = formatSlabSysfsLine("vm_area_struct", {
    objects: "742 N0=742\n",
    objects_partial: "385 N0=385\n",
    partial: "53 N0=53\n",
    cpu_slabs: "6 N0=6\n",
    slabs_cpu_partial: "42(4) C0=21(2) C1=21(2)\n",
    objs_per_slab: "21\n",
  });
  assert.equal(
    line,
    "vm_area_struct objects=742 objects_partial=385 partial=53 cpu_slabs=6 " +
      "slabs_cpu_partial=42(4) objs_per_slab=21",
  );
  const [row] = parseSlabSysfs(line);
  assert.equal(row!.sheafCapacity, undefined);
  assert.equal(row!.cpuSlabs, 6);
});

Deno.test("slab_sysfs: bad input is a TraceSyntaxError naming file and line", () => {
  const bad: Array<[string, RegExp]> = [
    ["dentry objects=12x\n", /before\.slab_sysfs:1: expected a number for objects/],
    ["# header\ndentry cpu_slabs\n", /before\.slab_sysfs:2: expected attr=value/],
    ["dentry slabs_cpu_partial=42\n", /slabs_cpu_partial must be objects\(slabs\)/],
    ["dentry colour=3\n", /unknown slab_sysfs attribute colour/],
    ["objects=3\n", /expected a cache name first/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseSlabSysfs(text, "before.slab_sysfs"), (e: unknown) => {
      assert.ok(e instanceof TraceSyntaxError);
      assert.match(e.message, re);
      return true;
    });
  }
  assert.deepEqual(parseSlabSysfs("\n# only a comment\n"), []);
});
