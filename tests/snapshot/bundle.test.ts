import assert from "node:assert/strict";
import { parseSnapshotSet } from "../../lib/snapshot/bundle.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

const MIXED = new URL("../../../shared/traces/mixed/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, MIXED));

Deno.test("bundle: parses every before/after snapshot of the mixed capture, ignores the rest", () => {
  const texts: Record<string, string> = {};
  for (const when of ["before", "after"]) {
    for (const kind of ["buddyinfo", "pagetypeinfo", "zoneinfo", "slabinfo", "meminfo"]) {
      texts[`${when}.${kind}`] = read(`${when}.${kind}`);
    }
  }
  const s = parseSnapshotSet(texts);
  assert.deepEqual(s.ignored.sort(), ["after.meminfo", "before.meminfo"]);
  assert.equal(s.before.zoneinfo?.length, 5);
  assert.equal(s.after.slabinfo?.length, 235);
  assert.equal(s.before.pagetypeinfo?.blockCounts.length, 3);
  assert.deepEqual(s.after.buddyinfo?.map((r) => r.freeBlocks[0]), [0, 1, 671]);
});

Deno.test("bundle: only the given texts are parsed; keys may be paths; errors name the key", () => {
  const s = parseSnapshotSet({ "/tmp/x/after.buddyinfo": "Node 0, zone DMA 1 2\n" });
  assert.deepEqual(s.before, {});
  assert.deepEqual(s.after.buddyinfo, [{ node: 0, zone: "DMA", freeBlocks: [1, 2] }]);
  assert.throws(
    () => parseSnapshotSet({ "before.slabinfo": "slabinfo - version: 1.1\n" }),
    (e: unknown) => e instanceof TraceSyntaxError && e.file === "before.slabinfo",
  );
});

Deno.test("bundle: before/after.slab_sysfs become slabSysfs; errors name the key", () => {
  const s = parseSnapshotSet({
    "before.slab_sysfs":
      "vm_area_struct objects=1236 objects_partial=165 partial=20 cpu_slabs=13 " +
      "slabs_cpu_partial=115(11) objs_per_slab=21 sheaf_capacity=32\n",
  });
  assert.equal(s.before.slabSysfs?.[0]?.cpuSlabs, 13);
  assert.equal(s.after.slabSysfs, undefined);
  assert.deepEqual(s.ignored, []);
  assert.throws(
    () => parseSnapshotSet({ "x/after.slab_sysfs": "dentry cpu_slabs=many\n" }),
    (e: unknown) => e instanceof TraceSyntaxError && /^x\/after\.slab_sysfs:1:/.test(e.message),
  );
});

Deno.test("bundle: the demo's before/after.slab_shrink become slabShrink on both sides", () => {
  const demo = new URL("../../traces/demo/", import.meta.url);
  const texts: Record<string, string> = {};
  for (const when of ["before", "after"]) {
    for (const kind of ["slabinfo", "slab_shrink"]) {
      texts[`${when}.${kind}`] = Deno.readTextFileSync(new URL(`${when}.${kind}`, demo));
    }
  }
  const s = parseSnapshotSet(texts);
  assert.deepEqual(s.ignored, []);
  // cat traces/demo/before.slab_shrink: "caches=232 failed=0 ms=3.5"; after.slab_shrink:
  // "caches=232 failed=0 ms=4.6".
  assert.deepEqual(s.before.slabShrink, { caches: 232, failed: [], ms: 3.5 });
  assert.deepEqual(s.after.slabShrink, { caches: 232, failed: [], ms: 4.6 });
  // Every cache of slabinfo (tail -n +3 | wc -l: 232 rows) was shrunk.
  assert.equal(s.before.slabinfo?.length, 232);
  assert.equal(s.after.slabinfo?.length, 232);
  // Without the file there is no record; a broken one names its key and line.
  assert.equal(
    parseSnapshotSet({ "after.slabinfo": texts["after.slabinfo"]! }).after.slabShrink,
    undefined,
  );
  assert.throws(
    () => parseSnapshotSet({ "d/before.slab_shrink": "caches=232 failed=1 ms=4.1\n" }),
    (e: unknown) =>
      e instanceof TraceSyntaxError && /^d\/before\.slab_shrink:1: failed=1 but 0/.test(e.message),
  );
});

Deno.test("bundle: before/after.kpageflags are decoded from bytes; text snapshots may be bytes", () => {
  const fixture = new URL("../../traces/kpageflags-6.18/", import.meta.url);
  const bytes = Deno.readFileSync(new URL("normal-start.kpageflags", fixture));
  const s = parseSnapshotSet({
    "b/after.kpageflags": bytes,
    "b/after.buddyinfo": Deno.readFileSync(new URL("buddyinfo.after-read", fixture)),
  });
  // count_kpageflags.py normal-start.raw.gz: 131,072 pfns from 1,048,576 in 54,671 runs
  assert.deepEqual(
    [s.after.kpageflags?.firstPfn, s.after.kpageflags?.pfnCount, s.after.kpageflags?.runCount],
    [1048576, 131072, 54671],
  );
  assert.deepEqual(s.after.buddyinfo?.[0]?.freeBlocks, [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3]);
  assert.equal(s.before.kpageflags, undefined);
  // an absent kpageflags is fine; a damaged one or one read as text names its key
  assert.equal(
    parseSnapshotSet({ "after.buddyinfo": "Node 0, zone DMA 1\n" }).after.kpageflags,
    undefined,
  );
  assert.throws(
    () => parseSnapshotSet({ "b/before.kpageflags": bytes.subarray(0, 100) }),
    (e: unknown) =>
      e instanceof TraceSyntaxError &&
      /^b\/before\.kpageflags: byte offset 0: gzip/.test(e.message),
  );
  assert.throws(
    () => parseSnapshotSet({ "before.kpageflags": "KPAGEFL1" }),
    (e: unknown) => e instanceof TraceSyntaxError && /given as text/.test(e.message),
  );
});
