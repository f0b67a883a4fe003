import assert from "node:assert/strict";
import { parseSlabinfo } from "../../lib/snapshot/slabinfo.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

const MIXED = new URL("../../../shared/traces/mixed/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, MIXED));

Deno.test("slabinfo: before.slabinfo has 235 caches (237 lines minus 2 header lines)", () => {
  const rows = parseSlabinfo(read("before.slabinfo"), "before.slabinfo");
  assert.equal(rows.length, 235);
  // awk 'NR>2{s+=$3} END{print s}' before.slabinfo
  assert.equal(rows.reduce((s, r) => s + r.numObjs, 0), 1070650);
  assert.deepEqual(rows.find((r) => r.name === "kmalloc-64"), {
    name: "kmalloc-64",
    activeObjs: 135936,
    numObjs: 135936,
    objSizeBytes: 64,
    objsPerSlab: 64,
    pagesPerSlab: 1,
    activeSlabs: 2124,
    numSlabs: 2124,
  });
});

Deno.test("slabinfo: after.slabinfo totals (awk sums of num_objs and num_slabs*pagesperslab)", () => {
  const rows = parseSlabinfo(read("after.slabinfo"));
  assert.equal(rows.reduce((s, r) => s + r.numObjs, 0), 1106247);
  assert.equal(rows.reduce((s, r) => s + r.numSlabs * r.pagesPerSlab, 0), 51207);
  const t = rows.find((r) => r.name === "task_struct")!;
  assert.deepEqual([t.activeObjs, t.numObjs, t.objSizeBytes, t.numSlabs], [116, 130, 5888, 26]);
});

Deno.test("slabinfo: SLAB's `2.1 (statistics)` rows with extra columns are read", () => {
  const text = "slabinfo - version: 2.1 (statistics)\n" +
    "# name <active_objs> …\n" +
    "size-64   420   472   64   59    1 : tunables  120   60    8 : slabdata      8      8      0" +
    " : globalstat    1139    472    8    0    0    0    0    0    0 : cpustat   2100    115    1799      4\n";
  const rows = parseSlabinfo(text);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.name, "size-64");
  assert.equal(rows[0]!.objsPerSlab, 59);
  assert.equal(rows[0]!.numSlabs, 8);
});

Deno.test("slabinfo: other versions and malformed rows are rejected with file and line", () => {
  assert.throws(
    () => parseSlabinfo("slabinfo - version: 2.0\n", "s"),
    (e: unknown) => e instanceof TraceSyntaxError && /version 2\.0/.test(e.message) && e.line === 1,
  );
  assert.throws(() => parseSlabinfo("kmalloc-8 1 2 3\n"), TraceSyntaxError);
  assert.throws(
    () =>
      parseSlabinfo(
        "slabinfo - version: 2.1\nkmalloc-8  1  2  8  512 1 : tunables 0 0 0 : slabdata x 1 0\n",
        "s",
      ),
    (e: unknown) => e instanceof TraceSyntaxError && e.line === 2 && e.file === "s",
  );
  assert.throws(() => parseSlabinfo(""), TraceSyntaxError);
});
