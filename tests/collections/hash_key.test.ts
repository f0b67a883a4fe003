import assert from "node:assert/strict";
import { checkKey, hashKey, slotsFor } from "../../lib/collections/hash_key.ts";
import { MIXED_DIR } from "../shared_data.ts";
import { loadRealKeySequences } from "./real_key_sequence.ts";

/** Mean extra probes per key when `keys` are inserted by linear probing into `slots` slots. */
function meanExtraProbes(keys: number[], slots: number, hash: (k: number) => number): number {
  const used = new Uint8Array(slots);
  let extra = 0;
  for (const k of keys) {
    let i = hash(k) & (slots - 1);
    while (used[i]) {
      i = (i + 1) & (slots - 1);
      extra++;
    }
    used[i] = 1;
  }
  return extra / keys.length;
}

Deno.test("hashKey spreads the mixed capture's raw and hashed pointers like random keys", async () => {
  for (const file of ["trace.dat", "trace.txt.gz"]) {
    const { slab } = await loadRealKeySequences(MIXED_DIR + file);
    const distinct = [...new Set(slab.keys)];
    assert.ok(distinct.length > 50_000, `${distinct.length}`);
    const slots = slotsFor(distinct.length);
    const load = distinct.length / slots;
    assert.ok(load > 0.25 && load <= 0.5, `${load}`);
    // Linear probing with random keys at load α costs (1/(1−α) − 1)/2 extra probes per
    // successful search on average (Knuth); the real keys must stay close to that.
    const random = (1 / (1 - load) - 1) / 2;
    const got = meanExtraProbes(distinct, slots, hashKey);
    assert.ok(got < 1.5 * random, `${file}: ${got} extra probes, random keys ${random}`);
    // The keys themselves (aligned pointers; hashed ones differ only in the low 32 bits) are a
    // poor hash for raw pointers: the mixing is what keeps runs short.
    if (file === "trace.dat") {
      assert.ok(meanExtraProbes(distinct, slots, (k) => k >>> 0) > 4 * got);
    }
  }
});

Deno.test("checkKey accepts integers in [0, 2^53) only; slotsFor keeps load ≤ 1/2", () => {
  for (const ok of [0, 1, 0x8880_0123_4560, 2 ** 53 - 1]) checkKey(ok);
  for (const bad of [-1, 0.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(() => checkKey(bad), RangeError);
  }
  assert.equal(slotsFor(0), 16);
  assert.equal(slotsFor(8), 16);
  assert.equal(slotsFor(9), 32);
  assert.equal(slotsFor(100_000), 262_144);
});
