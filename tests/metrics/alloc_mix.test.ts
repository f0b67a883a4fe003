import assert from "node:assert/strict";
import { AllocMix } from "../../lib/metrics/alloc_mix.ts";
import { parseGfp } from "../../lib/kernel/gfp_flags.ts";
import { readMixedPageEvents } from "./real_snapshot_fixture.ts";

Deno.test("allocation mix of the 128433 real mm_page_alloc events", async () => {
  const events = (await readMixedPageEvents()).get("mm_page_alloc")!;
  const m = new AllocMix();
  for (const e of events) {
    m.addPageAlloc(
      Number(e.fields.get("order")),
      Number(e.fields.get("migratetype")),
      parseGfp(e.fields.get("gfp_flags")!),
      e.comm,
    );
  }
  const r = m.finish(5);
  // grep -o "order=[0-9]*" | sort | uniq -c on the mm_page_alloc lines:
  assert.deepEqual(r.allocsByOrder, [127769, 167, 249, 51, 47, 37, 32, 31, 21, 29, 0]);
  // migratetype=0/1/2: 25558 / 101720 / 1155
  assert.deepEqual(r.allocsByMigratetype.slice(0, 3), [25558, 101720, 1155]);
  assert.equal(r.totals.allocs, 128433);
  const pages = [127769, 167, 249, 51, 47, 37, 32, 31, 21, 29].reduce(
    (a, n, o) => a + n * 2 ** o,
    0,
  );
  assert.equal(r.totals.pages, pages);
  // awk '{print $1}' | sed 's/-[0-9]*$//' | sort | uniq -c: python3 has most allocations (35927).
  const py = r.byComm.find((c) => c.comm === "python3")!;
  assert.equal(py.allocs, 35927);
  assert.equal(r.byComm.length, 6); // top 5 + "(other)"
  assert.equal(r.byComm[5]!.comm, "(other)");
  assert.equal(r.byComm.reduce((a, c) => a + c.allocs, 0), 128433);
  // Most frequent combination: order 0, Movable, GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP (56897).
  assert.deepEqual(r.byOrderTypeGfp[0], {
    order: 0,
    migratetype: "Movable",
    gfp: "GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP",
    allocs: 56897,
    pages: 56897,
  });
});
