import assert from "node:assert/strict";
import { DEFAULT_RECENT_FREES, RecentFreeSet } from "../../lib/collections/recent_free_set.ts";
import { MIXED_DIR } from "../shared_data.ts";
import { loadRealKeySequences } from "./real_key_sequence.ts";

/**
 * The slab replay's freed bookkeeping over a real pointer sequence: a free of a pointer not
 * live is a double free when the pointer is in the freed set; allocating a pointer removes it.
 * Returns the number of double frees found.
 */
function doubleFrees(
  keys: Float64Array,
  isFree: Uint8Array,
  freed: { has(k: number): boolean; add(k: number): void; delete(k: number): boolean },
): number {
  const live = new Set<number>();
  let n = 0;
  for (let j = 0; j < keys.length; j++) {
    const k = keys[j]!;
    if (!isFree[j]) {
      live.add(k);
      freed.delete(k);
    } else if (k !== 0) {
      if (live.delete(k)) freed.add(k);
      else if (freed.has(k)) n++;
      else freed.add(k);
    }
  }
  return n;
}

/** A FIFO of the last `cap` adds, the obvious way (Map keeps insertion order). */
class ReferenceRecent {
  readonly #m = new Map<number, number>();
  readonly #order: number[] = [];
  #seq = 0;
  constructor(readonly cap: number) {}
  has(k: number): boolean {
    return this.#m.has(k);
  }
  add(k: number): void {
    const seq = this.#seq++;
    this.#order.push(k);
    this.#m.set(k, seq);
    // The add `cap` adds ago leaves, unless that key was deleted or added again since.
    const oldSeq = seq - this.cap;
    if (oldSeq >= 0) {
      const old = this.#order[oldSeq]!;
      if (this.#m.get(old) === oldSeq) this.#m.delete(old);
    }
  }
  delete(k: number): boolean {
    return this.#m.delete(k);
  }
  get size(): number {
    return this.#m.size;
  }
}

Deno.test("RecentFreeSet at its default size finds every double free of the mixed capture", async () => {
  const { slab } = await loadRealKeySequences(MIXED_DIR + "trace.dat");
  const unbounded = doubleFrees(slab.keys, slab.isFree, new Set<number>());
  const recent = new RecentFreeSet();
  assert.equal(doubleFrees(slab.keys, slab.isFree, recent), unbounded);
  assert.ok(unbounded > 0);
  assert.equal(recent.forgotten, 0);
  assert.ok(recent.size <= DEFAULT_RECENT_FREES);
});

Deno.test("RecentFreeSet of 4096 equals a FIFO reference over the mixed capture's frees", async () => {
  const { slab } = await loadRealKeySequences(MIXED_DIR + "trace.txt.gz");
  const recent = new RecentFreeSet(4096), ref = new ReferenceRecent(4096);
  const a = doubleFrees(slab.keys, slab.isFree, recent);
  const b = doubleFrees(slab.keys, slab.isFree, ref);
  assert.equal(a, b);
  assert.equal(recent.size, ref.size);
  assert.ok(recent.size <= 4096);
  // The capture frees far more distinct pointers than 4096 without allocating them again.
  assert.ok(recent.forgotten > 0);
  // A small window misses double frees of pointers freed long before.
  assert.ok(a < doubleFrees(slab.keys, slab.isFree, new Set<number>()));
});

Deno.test("RecentFreeSet forgets the oldest live key and skips deleted and re-added ones", () => {
  const s = new RecentFreeSet(3);
  s.add(1);
  s.add(2);
  s.add(3);
  assert.ok(s.delete(2));
  s.add(1); // ring full: the oldest slot holds 1 itself, which moves to the newest place
  s.add(4); // the oldest slot held 2, deleted: nothing forgotten
  assert.deepEqual([1, 2, 3, 4].map((k) => s.has(k)), [true, false, true, true]);
  assert.equal(s.forgotten, 0);
  s.add(5); // forgets 3, the oldest live key
  assert.deepEqual([1, 3, 4, 5].map((k) => s.has(k)), [true, false, true, true]);
  assert.equal(s.forgotten, 1);
  s.add(6); // forgets 1, added again after 3
  assert.deepEqual([1, 4, 5, 6].map((k) => s.has(k)), [false, true, true, true]);
  assert.equal(s.forgotten, 2);
  assert.equal(s.size, 3);
  assert.throws(() => new RecentFreeSet(0), RangeError);
});
