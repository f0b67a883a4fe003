import assert from "node:assert/strict";
import { parseVmstat, sumVmstat, vmstatDelta } from "../../lib/snapshot/vmstat.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

const MIXED = new URL("../../../shared/traces/mixed/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, MIXED));

Deno.test("vmstat: after.vmstat of the mixed capture has 192 counters (grep -c .)", () => {
  const v = parseVmstat(read("after.vmstat"), "after.vmstat");
  assert.equal(Object.keys(v).length, 192);
  assert.equal(v.nr_free_pages, 1018479);
  assert.equal(v.pgalloc_normal, 7101274);
  assert.equal(v.pgfree, 8171376);
  assert.equal(v.compact_isolated, 0);
});

Deno.test("vmstat: before→after deltas (awk on the two files)", () => {
  const d = vmstatDelta(parseVmstat(read("before.vmstat")), parseVmstat(read("after.vmstat")));
  // 7101274 − 6941818 and 8171376 − 8044124; free pages fell by 26273 (267995 → 241722 Normal).
  assert.equal(d.pgalloc_normal, 159456);
  assert.equal(sumVmstat(d, "pgalloc_"), 159456);
  assert.equal(d.pgfree, 127252);
  assert.equal(d.nr_free_pages, -26273);
});

Deno.test("vmstat: bad lines name file and line", () => {
  assert.throws(
    () => parseVmstat("pgfree 1\npgalloc_normal x\n", "v.txt"),
    (e: unknown) => e instanceof TraceSyntaxError && e.file === "v.txt" && e.line === 2,
  );
  assert.throws(() => parseVmstat("pgfree 1\npgfree 2\n"), /duplicate counter pgfree/);
});
