import assert from "node:assert/strict";
import { ZONE_NAMES } from "../../lib/kernel/constants.ts";
import { selectMachine } from "../../lib/replay/select_machine.ts";
import { loadBundle } from "../../lib/snapshot/load_bundle.ts";

const DEMO = new URL("../../traces/demo", import.meta.url).pathname;
const never = () => Promise.reject(new Error("memory must not be sized from the trace"));

Deno.test("selectMachine: the bundle's before.zoneinfo, seeded from its snapshots", async () => {
  const b = await loadBundle(DEMO);
  const m = await selectMachine({}, b.snapshots, { bundleDir: DEMO, sizeMemoryBytes: never });
  assert.deepEqual(m.notes, [`machine from before.zoneinfo of ${DEMO}`]);
  assert.equal(m.snapshots, b.snapshots);
  // Zone names and managed pages as the zoneinfo file says (grep -A8 "^Node 0, zone").
  const text = Deno.readTextFileSync(`${DEMO}/before.zoneinfo`);
  const managed = text.split(/^(?=Node )/m).filter((b) =>
    Number(/managed\s+(\d+)/.exec(b)?.[1]) > 0
  )
    .map((b) => /zone\s+(\w+)/.exec(b)![1]);
  assert.deepEqual(
    m.spec.zones.filter((z) => z.managedPages > 0).map((z) => ZONE_NAMES[z.type]),
    managed,
  );
});

Deno.test("selectMachine: what-ifs make new objects and leave the snapshots alone", async () => {
  const b = await loadBundle(DEMO);
  const before = structuredClone(b.snapshots);
  const first = await selectMachine({}, b.snapshots, { bundleDir: DEMO, sizeMemoryBytes: never });
  const spec = structuredClone(first.spec);
  const m = await selectMachine(
    { minFreeKbytes: 131072, pcp: false, arch: "x86_64", memoryBytes: 2 ** 31 },
    b.snapshots,
    { bundleDir: DEMO, sizeMemoryBytes: never },
  );
  assert.equal(m.spec.minFreeKbytes, 131072);
  assert.equal(m.spec.pcpEnabled, false);
  assert.ok(m.spec.zones.every((z) => z.watermarks === undefined));
  // A preset machine cannot start from the real free lists: only slabinfo is kept for seeding.
  assert.deepEqual(Object.keys(m.snapshots.before), ["slabinfo"]);
  assert.ok(
    m.notes.includes("what-if machine: before-snapshots of the real machine not used for seeding"),
  );
  assert.deepEqual(b.snapshots, before);
  assert.deepEqual(first.spec, spec);
});

Deno.test("selectMachine: without zoneinfo or memory, memory is sized by the given pass", async () => {
  const m = await selectMachine({}, { before: {}, after: {}, ignored: [] }, {
    bundleDir: null,
    sizeMemoryBytes: () => Promise.resolve(3 * 2 ** 30),
  });
  assert.match(m.notes[0]!, /highest pfn in the trace \(3 GiB\)/);
  const pages = m.spec.zones.reduce((a, z) => a + z.spannedPages, 0);
  assert.ok(pages <= 3 * 2 ** 18 && pages > 3 * 2 ** 18 - 2, `${pages} pages`);
});
