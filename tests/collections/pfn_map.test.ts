import assert from "node:assert/strict";
import { PfnMap } from "../../lib/collections/pfn_map.ts";
import { MIXED_DIR, MIXED_EVENT_COUNTS } from "../shared_data.ts";
import { loadRealKeySequences } from "./real_key_sequence.ts";

Deno.test("PfnMap equals Map over the mixed capture's page alloc/free pfns", async () => {
  const { page } = await loadRealKeySequences(MIXED_DIR + "trace.dat");
  // mm_page_alloc + mm_page_free events (grep -c), less failed allocations (no pfn).
  assert.ok(
    page.keys.length <= MIXED_EVENT_COUNTS.mm_page_alloc! + MIXED_EVENT_COUNTS.mm_page_free!,
  );
  assert.ok(page.keys.length > 250_000);
  // Page replay's policy map: pfn → emulated pfn · 2^16 + order (beyond int32).
  const m = new PfnMap(), ref = new Map<number, number>();
  for (let j = 0; j < page.keys.length; j++) {
    const pfn = page.keys[j]!;
    if (page.isFree[j]) {
      const want = ref.get(pfn);
      ref.delete(pfn);
      assert.equal(m.take(pfn), want ?? -1, `call ${j} free of pfn ${pfn}`);
    } else {
      const v = (pfn + j) * 65536 + (j & 15);
      ref.set(pfn, v);
      m.set(pfn, v);
    }
    assert.equal(m.size, ref.size);
  }
  for (const [k, v] of ref) assert.equal(m.get(k), v);
  let seen = 0;
  for (let s = 0; s < m.capacity; s++) if (m.keyAt(s) !== -1) seen++;
  assert.equal(seen, ref.size);
});

Deno.test("PfnMap keeps float64 values exactly and deletes by backward shift", () => {
  const m = new PfnMap(100);
  assert.equal(m.capacity, 256);
  for (let pfn = 0; pfn < 128; pfn++) m.set(pfn, pfn * 2 ** 36 + 0.5);
  for (let pfn = 0; pfn < 128; pfn += 2) assert.ok(m.delete(pfn));
  for (let pfn = 0; pfn < 128; pfn++) {
    assert.equal(m.get(pfn), pfn % 2 ? pfn * 2 ** 36 + 0.5 : -1);
    assert.equal(m.has(pfn), pfn % 2 === 1);
  }
  assert.equal(m.size, 64);
  assert.equal(m.take(7), 7 * 2 ** 36 + 0.5);
  assert.equal(m.take(7, -2), -2);
});
