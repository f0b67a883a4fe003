import assert from "node:assert/strict";
import { EventCounterSeries, toCounterSet } from "../../lib/metrics/event_counter_series.ts";

Deno.test("bucket counts add up to the exact totals after many doublings", () => {
  const c = new EventCounterSeries(["order-0", "order-9"], 50);
  c.setOrigin(460_302_128_000);
  let expect0 = 0;
  let expect9 = 0;
  for (let i = 0; i < 200_000; i++) {
    const t = 460_302_128_000 + i * 16_635; // spread over the real trace's 3.3 s
    if (i % 7 === 0) {
      c.add(t, 1);
      expect9++;
    } else {
      c.add(t, 0);
      expect0++;
    }
  }
  assert.equal(c.total(0), expect0);
  assert.equal(c.total(1), expect9);
  assert.equal(c.grandTotal, 200_000);
  const set = toCounterSet(c);
  const sum = (k: number) =>
    set.buckets.filter((b) => b.key === k).reduce((a, b) => a + b.count, 0);
  assert.equal(sum(0), expect0);
  assert.equal(sum(1), expect9);
  assert.ok(new Set(set.buckets.map((b) => b.startNs)).size <= 50);
  assert.equal(set.buckets[0]!.startNs, 460_302_128_000);
  assert.deepEqual(set.totals, [expect0, expect9]);
});

Deno.test("a key outside the key list is an error", () => {
  const c = new EventCounterSeries(["a"]);
  assert.throws(() => c.add(0, 1), RangeError);
});
