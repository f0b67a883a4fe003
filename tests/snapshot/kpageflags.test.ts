import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  decodeKpageflags,
  encodeKpageflags,
  KPAGEFLAGS_MAGIC,
  KpageflagsEncoder,
} from "../../lib/snapshot/kpageflags.ts";
import { KPF, kpfNames } from "../../lib/kernel/kpage_flags.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

const FIXTURE = new URL("../../traces/kpageflags-6.18/", import.meta.url);
const fixture = (name: string) => Deno.readFileSync(new URL(name, FIXTURE));
const raw = (name: string) => new Uint8Array(gunzipSync(fixture(name)));

/** Every pfn of `k` against the raw words, by word halves. */
function assertSameWords(k: ReturnType<typeof decodeKpageflags>, bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(k.pfnCount * 8, bytes.length);
  for (let r = 0; r < k.runCount; r++) {
    const w = k.runWord[r]!;
    for (let p = k.runStart[r]!; p < k.runStart[r + 1]!; p++) {
      const off = (p - k.firstPfn) * 8;
      if (v.getUint32(off, true) !== k.wordLo[w] || v.getUint32(off + 4, true) !== k.wordHi[w]) {
        assert.fail(`pfn ${p}: decoded word differs from the raw one`);
      }
    }
  }
}

Deno.test("kpageflags: the fixtures decode to exactly their raw /proc/kpageflags slices", () => {
  const low = decodeKpageflags(fixture("dma-dma32.kpageflags"), "dma-dma32.kpageflags");
  assertSameWords(low, raw("dma-dma32.raw.gz"));
  // python3 count_kpageflags.py dma-dma32.raw.gz 0 1 4096: runs 1559, words 7
  assert.deepEqual([low.firstPfn, low.pfnCount, low.runCount, low.wordLo.length], [
    0,
    1048576,
    1559,
    7,
  ]);
  const normal = decodeKpageflags(fixture("normal-start.kpageflags"));
  assertSameWords(normal, raw("normal-start.raw.gz"));
  // count_kpageflags.py normal-start.raw.gz …: runs 54671, words 141
  assert.deepEqual([normal.firstPfn, normal.pfnCount, normal.runCount, normal.wordLo.length], [
    1048576,
    131072,
    54671,
    141,
  ]);
});

Deno.test("kpageflags: re-encoding the raw slice gives the fixture's runs and words", () => {
  const bytes = raw("normal-start.raw.gz");
  const e = new KpageflagsEncoder(1048576);
  // chunks that split runs and do not line up with anything
  for (let off = 0; off < bytes.length; off += 8 * 1237) {
    e.push(bytes.subarray(off, Math.min(bytes.length, off + 8 * 1237)));
  }
  const k = decodeKpageflags(e.finish());
  const f = decodeKpageflags(fixture("normal-start.kpageflags"));
  assert.deepEqual(k.runStart, f.runStart);
  assert.deepEqual(k.runWord, f.runWord);
  assert.deepEqual(k.wordLo, f.wordLo);
  assert.deepEqual(k.wordHi, f.wordHi);
});

Deno.test("kpageflags: round trip keeps 64-bit words, a non-zero first pfn and long runs", () => {
  const words = new BigUint64Array(5000);
  for (let i = 0; i < words.length; i++) {
    // runs of varying length, words with high bits (beyond 2^53), a few single pfns
    const run = Math.floor(i / (1 + (i % 7)));
    words[i] = i % 13 === 0 ? 0xffff_ffff_ffff_ffffn : (BigInt(run % 5) << 60n) | BigInt(run % 3);
  }
  const bytes = new Uint8Array(words.buffer);
  const k = decodeKpageflags(encodeKpageflags(bytes, 2 ** 40));
  assert.equal(k.firstPfn, 2 ** 40);
  assertSameWords(k, bytes);
  assert.equal(k.flagsAt(2 ** 40 + 13), 0xffff_ffff_ffff_ffffn);
  assert.equal(k.flagsAt(2 ** 40 + 4999), words[4999]);
  assert.equal(k.flagsAt(2 ** 40 - 1), null);
  assert.equal(k.flagsAt(2 ** 40 + 5000), null);
  const empty = decodeKpageflags(new KpageflagsEncoder(7).finish());
  assert.deepEqual([empty.firstPfn, empty.pfnCount, empty.runCount], [7, 0, 0]);
  assert.equal(empty.runAt(7), -1);
});

Deno.test("kpageflags: pfn and range queries on the Normal fixture match the raw words", () => {
  const k = decodeKpageflags(fixture("normal-start.kpageflags"));
  const v = new DataView(raw("normal-start.raw.gz").buffer);
  for (const pfn of [1048576, 1048577, 1050000, 1100003, 1179647]) {
    const off = (pfn - 1048576) * 8;
    const want = (BigInt(v.getUint32(off + 4, true)) << 32n) | BigInt(v.getUint32(off, true));
    assert.equal(k.flagsAt(pfn), want, `pfn ${pfn}`);
    assert.equal(k.hasFlag(pfn, KPF.LRU), (want & (1n << 5n)) !== 0n);
  }
  // count_kpageflags.py normal-start.raw.gz 1048576 1048576 1179648 / … 1050000 1100003
  assert.equal(k.countFlag(KPF.SLAB, 0, 2 ** 30), 10025);
  assert.equal(k.countFlag(KPF.COMPOUND_TAIL, 1048576, 1179648), 33808);
  assert.equal(k.countFlag(KPF.BUDDY, 1050000, 1100003), 3122);
  assert.equal(k.countFlag(KPF.PGTABLE, 1050000, 1100003), 2766);
  assert.equal(k.countFlag(KPF.BUDDY, 1100003, 1050000), 0);
  assert.deepEqual(kpfNames(0x5828, 0), ["UPTODATE", "LRU", "MMAP", "ANON", "SWAPBACKED"]);
});

/** A gzip payload: header fields, words, then raw run bytes. */
function payload(first: number, count: number, words: number[], runs: number[]): Uint8Array {
  const p = new Uint8Array(28 + 8 * words.length + runs.length);
  const v = new DataView(p.buffer);
  for (let i = 0; i < 8; i++) p[i] = KPAGEFLAGS_MAGIC.charCodeAt(i);
  v.setUint32(8, first, true);
  v.setUint32(16, count, true);
  v.setUint32(24, words.length, true);
  words.forEach((w, i) => v.setUint32(28 + 8 * i, w, true));
  p.set(runs, 28 + 8 * words.length);
  return p;
}
const gz = (p: Uint8Array) => new Uint8Array(gzipSync(p));

Deno.test("kpageflags: bad input names the file and the payload byte offset", () => {
  const bad = (bytes: Uint8Array, offset: number, re: RegExp) =>
    assert.throws(
      () => decodeKpageflags(bytes, "after.kpageflags"),
      (e: unknown) =>
        e instanceof TraceSyntaxError && e.file === "after.kpageflags" && e.line === offset &&
        re.test(e.message) && e.message.startsWith(`after.kpageflags: byte offset ${offset}: `),
    );
  bad(new Uint8Array([1, 2, 3]), 0, /not a gzip file/);
  const good = gz(payload(0, 3, [0x400, 0], [0, 2, 1, 1]));
  assert.equal(decodeKpageflags(good).runCount, 2);
  bad(good.subarray(0, good.length - 9), 0, /gzip stream is damaged/);
  bad(gz(new Uint8Array(10)), 10, /ends inside the 28-byte header/);
  const wrongMagic = payload(0, 3, [0x400], [0, 3]);
  wrongMagic[3] = 0x21;
  bad(gz(wrongMagic), 3, /does not start with "KPAGEFL1"/);
  bad(gz(payload(0, 3, [], [])), 24, /3 pfns but no flag words/);
  const tooMany = payload(0, 3, [1], [0, 3]);
  new DataView(tooMany.buffer).setUint32(24, 1000, true);
  bad(gz(tooMany), 24, /1000 flag words do not fit/);
  // runs start at 28 + 8·W
  bad(gz(payload(0, 3, [0x400, 0], [2, 3])), 44, /word index 2 ≥ word count 2/);
  bad(gz(payload(0, 3, [0x400, 0], [0, 0])), 45, /run of length 0/);
  bad(gz(payload(0, 3, [0x400, 0], [0, 2, 1, 2])), 47, /passes the end pfn 3/);
  bad(gz(payload(0, 3, [0x400, 0], [0, 2])), 46, /runs end at pfn 2, before/);
  bad(gz(payload(0, 3, [0x400, 0], [0, 1, 0, 2])), 46, /repeats the word of the run before/);
  bad(gz(payload(0, 3, [0x400, 0], [0, 3, 9])), 46, /1 bytes after the last run/);
  bad(gz(payload(0, 3, [0x400], [0, 0x83])), 38, /ends inside a LEB128 number/);
  bad(
    gz(payload(0, 3, [0x400], [0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1])),
    37,
    /longer than 7 bytes/,
  );
  const far = payload(0, 3, [0x400], [0, 3]);
  new DataView(far.buffer).setUint32(20, 0xffff_ffff, true);
  bad(gz(far), 16, /beyond 2\^53/);
});

Deno.test("kpageflags: the encoder takes whole words only, and nothing after finish", () => {
  const e = new KpageflagsEncoder(0, 1);
  assert.throws(() => e.push(new Uint8Array(12)), RangeError);
  e.push(new Uint8Array(new BigUint64Array([5n, 6n, 7n]).buffer));
  e.reset(); // a warm-up read is forgotten: its words, runs and pfns
  e.push(new Uint8Array(16));
  assert.equal(e.pfnCount, 2);
  const k = decodeKpageflags(e.finish());
  assert.deepEqual([k.runCount, k.wordLo.length, k.flagsAt(1)], [1, 1, 0n]);
  assert.throws(() => e.reset(), /after finish/);
  assert.throws(() => e.push(new Uint8Array(8)), /after finish/);
  assert.throws(() => new KpageflagsEncoder(-1), RangeError);
});
