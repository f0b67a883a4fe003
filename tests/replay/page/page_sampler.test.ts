import { deepStrictEqual } from "node:assert/strict";
import { PageSampler } from "../../../lib/replay/page/page_sampler.ts";

Deno.test("page sampler: every N calls, and every interval of trace time after the first call", () => {
  const byCalls: number[] = [];
  const c = new PageSampler(3, 0, (ts) => byCalls.push(ts));
  for (let ts = 100; ts <= 1000; ts += 100) c.tick(ts);
  deepStrictEqual(byCalls, [300, 600, 900]);

  const byTime: number[] = [];
  const t = new PageSampler(0, 250, (ts) => byTime.push(ts));
  // First call at 100: the first time sample is due at 350, then every 250 ns past it.
  for (const ts of [100, 200, 350, 360, 900, 1000]) t.tick(ts);
  deepStrictEqual(byTime, [350, 900]);
  deepStrictEqual(t.lastTsNs, 1000);
});
