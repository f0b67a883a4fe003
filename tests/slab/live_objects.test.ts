import assert from "node:assert/strict";
import { LiveObjects } from "../../lib/slab/live_objects.ts";

Deno.test("live objects: records survive the arrays doubling past 1024 and freed ones are reused", () => {
  const objs = new LiveObjects();
  for (let k = 0; k < 3000; k++) {
    const r = objs.newRecord();
    assert.equal(r, k);
    objs.bytesAlloc[r] = 8 * (k + 1);
    objs.tsNs[r] = 460_302_128_000 + k;
    objs.byPtr.set(0x8880_0000_0000 + 64 * k, r); // ptrKey of 0xffff888000000000 + 64·k
  }
  assert.ok(objs.bytesAlloc.length >= 3000);
  assert.equal(objs.bytesAlloc[2999], 24_000);
  assert.equal(objs.tsNs[1024], 460_302_129_024);
  objs.recycle(7);
  assert.equal(objs.newRecord(), 7);
  assert.equal(objs.newRecord(), 3000);
});
