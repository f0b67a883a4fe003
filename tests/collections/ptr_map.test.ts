import assert from "node:assert/strict";
import { hashKey } from "../../lib/collections/hash_key.ts";
import { PtrMap } from "../../lib/collections/ptr_map.ts";
import { MIXED_DIR, MIXED_EVENT_COUNTS } from "../shared_data.ts";
import { loadRealKeySequences } from "./real_key_sequence.ts";

/** Every slot's key/value pairs, checked against the reference map. */
function assertSameContents(m: PtrMap, ref: Map<number, number>): void {
  assert.equal(m.size, ref.size);
  let seen = 0;
  for (let s = 0; s < m.capacity; s++) {
    const k = m.keyAt(s);
    if (k === -1) continue;
    seen++;
    assert.equal(m.valueAt(s), ref.get(k), `slot ${s} key ${k}`);
  }
  assert.equal(seen, ref.size);
}

Deno.test("PtrMap equals Map over the mixed capture's slab pointer churn (text and trace.dat)", async () => {
  for (const file of ["trace.txt.gz", "trace.dat"]) {
    const { slab } = await loadRealKeySequences(MIXED_DIR + file);
    // Every slab event of the capture is one call (grep -c counts, shared_data.ts).
    assert.equal(
      slab.keys.length,
      MIXED_EVENT_COUNTS.kmem_cache_alloc! + MIXED_EVENT_COUNTS.kmalloc! +
        MIXED_EVENT_COUNTS.kmem_cache_free! + MIXED_EVENT_COUNTS.kfree!,
    );
    // The slab replay's pattern: a free takes the record, an alloc replaces it.
    const m = new PtrMap(), ref = new Map<number, number>();
    let hits = 0, misses = 0;
    for (let j = 0; j < slab.keys.length; j++) {
      const key = slab.keys[j]!;
      if (slab.isFree[j]) {
        const want = ref.get(key);
        ref.delete(key);
        const got = m.take(key);
        assert.equal(got, want ?? -1, `${file} call ${j} free of ${key}`);
        if (want === undefined) misses++;
        else hits++;
      } else {
        assert.equal(m.has(key), ref.has(key), `${file} call ${j} alloc of ${key}`);
        ref.set(key, j);
        m.set(key, j);
        assert.equal(m.get(key), j);
      }
      if ((j & 0xffff) === 0) assertSameContents(m, ref);
    }
    assertSameContents(m, ref);
    // Most frees pair with an allocation of the trace; the rest are pre-trace objects.
    assert.ok(hits > 200_000 && misses > 0, `${hits} ${misses}`);
    assert.equal(hits + misses, MIXED_EVENT_COUNTS.kmem_cache_free! + MIXED_EVENT_COUNTS.kfree!);
  }
});

Deno.test("PtrMap backward-shift deletion keeps colliding keys reachable", () => {
  // Keys with the same home slot in a 16-slot table, and keys homed right after them.
  const home = (k: number) => hashKey(k) & 15;
  const same: number[] = [], next: number[] = [];
  for (let k = 0x1000; same.length < 4 || next.length < 2; k += 8) {
    if (home(k) === 3 && same.length < 4) same.push(k);
    else if (home(k) === 4 && next.length < 2) next.push(k);
  }
  const all = [...same, ...next];
  // Every deletion order of the first key of each run keeps the others findable.
  for (const victim of all) {
    const m = new PtrMap(4);
    all.forEach((k, i) => m.set(k, i));
    assert.equal(m.capacity, 16);
    assert.ok(m.delete(victim));
    assert.ok(!m.delete(victim));
    all.forEach((k, i) =>
      assert.equal(m.get(k), k === victim ? -1 : i, `after deleting ${victim}`)
    );
    assert.equal(m.size, all.length - 1);
  }
});

Deno.test("PtrMap grows by doubling at half load and keeps every key", () => {
  const m = new PtrMap();
  assert.equal(m.capacity, 16);
  for (let k = 0; k < 9; k++) m.set(0x8880_0000_0000 + k * 64, k);
  assert.equal(m.capacity, 32);
  for (let k = 0; k < 100_000; k++) m.set(0x8880_0000_0000 + k * 64, k);
  assert.equal(m.capacity, 262_144);
  for (let k = 0; k < 100_000; k++) assert.equal(m.get(0x8880_0000_0000 + k * 64), k);
  // Churn at constant size never grows the table.
  for (let k = 100_000; k < 400_000; k++) {
    m.delete(0x8880_0000_0000 + (k - 100_000) * 64);
    m.set(0x8880_0000_0000 + k * 64, k);
  }
  assert.equal(m.capacity, 262_144);
  assert.equal(m.size, 100_000);
  m.clear();
  assert.equal(m.size, 0);
  assert.equal(m.get(0x8880_0000_0000 + 399_999 * 64), -1);
});

Deno.test("PtrMap rejects keys a Float64Array slot cannot hold exactly", () => {
  const m = new PtrMap();
  for (const bad of [-1, -5, 1.5, NaN, 2 ** 53, Infinity]) {
    assert.throws(() => m.set(bad, 1), RangeError, String(bad));
  }
  assert.equal(m.size, 0);
  assert.equal(m.has(-1), false);
  m.set(0, 5);
  assert.equal(m.get(0), 5);
  assert.equal(m.get(1, -7), -7);
});
