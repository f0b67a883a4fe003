import assert from "node:assert/strict";
import { SeriesDownsampler, toSeriesSet } from "../../lib/metrics/series_downsampler.ts";

Deno.test("short series are kept sample for sample", () => {
  const s = new SeriesDownsampler(["free", "min"], 800);
  const ts = [0, 1_000_000, 2_000_000, 3_000_000];
  ts.forEach((t, i) => s.add(t, [100 - i, 7]));
  assert.deepEqual(Array.from(s.points(0).tsNs), ts);
  assert.deepEqual(Array.from(s.points(0).values), [100, 99, 98, 97]);
  // A flat run keeps its first and last point only: a line through them is the same line.
  assert.deepEqual(Array.from(s.points(1).values), [7, 7]);
  assert.deepEqual(Array.from(s.points(1).tsNs), [0, 3_000_000]);
});

Deno.test("a million samples stay within the point bound and keep the spike and the dip", () => {
  const s = new SeriesDownsampler(["v"], 400);
  const n = 1_000_000;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    // Sawtooth 400..599 with one spike (9999) at i=123457 and one dip (0) at i=876543.
    const v = i === 123_457 ? 9999 : i === 876_543 ? 0 : 400 + (i % 200);
    sum += v;
    s.add(460e9 + i * 3_000, [v]);
  }
  const p = s.points(0);
  assert.ok(p.values.length <= 400, `${p.values.length} points`);
  assert.ok(p.values.length >= 100, "uses its budget");
  const vals = Array.from(p.values);
  assert.equal(Math.max(...vals), 9999);
  assert.equal(Math.min(...vals), 0);
  assert.equal(p.tsNs[vals.indexOf(9999)], 460e9 + 123_457 * 3_000);
  assert.equal(p.tsNs[vals.indexOf(0)], 460e9 + 876_543 * 3_000);
  // Time order is kept.
  for (let i = 1; i < p.tsNs.length; i++) assert.ok(p.tsNs[i]! > p.tsNs[i - 1]!);
  // First and last samples survive; stats are exact.
  assert.equal(p.tsNs[0], 460e9);
  assert.equal(p.tsNs[p.tsNs.length - 1], 460e9 + (n - 1) * 3_000);
  assert.deepEqual(s.stats(0), { count: n, min: 0, max: 9999, sum, last: 400 + ((n - 1) % 200) });
  assert.equal(s.sampleCount, n);
});

Deno.test("NaN means no value: a series missing from some samples keeps only its own points", () => {
  const s = new SeriesDownsampler(["always", "sometimes"], 16);
  for (let i = 0; i < 10; i++) s.add(i * 10, [i, i % 2 === 0 ? i * 100 : NaN]);
  assert.deepEqual(Array.from(s.points(1).values), [0, 200, 400, 600, 800]);
  assert.equal(s.stats(1).count, 5);
  assert.equal(s.stats(0).count, 10);
  const set = toSeriesSet(s);
  assert.deepEqual(set.names, ["always", "sometimes"]);
  assert.deepEqual(set.points[1]!.tsNs, [0, 20, 40, 60, 80]);
});

Deno.test("the bound is checked", () => {
  assert.throws(() => new SeriesDownsampler([], 100), RangeError);
  assert.throws(() => new SeriesDownsampler(["a"], 4), RangeError);
});
