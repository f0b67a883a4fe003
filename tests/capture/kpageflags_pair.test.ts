import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { KpageflagsPair } from "../../lib/capture/kpageflags_pair.ts";
import { decodeKpageflags } from "../../lib/snapshot/kpageflags.ts";

const FIXTURE = new URL("../../traces/kpageflags-6.18/", import.meta.url);
const raw = (name: string) => new Uint8Array(gunzipSync(Deno.readFileSync(new URL(name, FIXTURE))));

Deno.test("kpageflags pair: before and after reads of a changing file, warm-up forgotten", () => {
  const tmp = Deno.makeTempFileSync({ suffix: ".kpageflags-raw" });
  try {
    // 1 MiB of DMA/DMA32 words: more than one chunk, fewer than the warm-up reads
    const low = raw("dma-dma32.raw.gz").subarray(0, 8 * 131072);
    Deno.writeFileSync(tmp, low);
    // a tiny run capacity: the arrays must grow during the reads and keep every run
    using pair = KpageflagsPair.open(tmp, 4);
    pair.read("before");
    assert.throws(() => pair.finish(), /before both reads/);
    const normal = raw("normal-start.raw.gz");
    Deno.writeFileSync(tmp, normal);
    pair.read("after");
    assert.throws(() => pair.read("after"), /read twice/);
    const { before, after, stats } = pair.finish();
    const b = decodeKpageflags(before, "before.kpageflags");
    const a = decodeKpageflags(after, "after.kpageflags");
    assert.equal(b.pfnCount, 131072);
    assert.equal(a.pfnCount, 131072);
    // count_kpageflags.py normal-start.raw.gz: 54,671 runs, 141 words (none left from before)
    assert.deepEqual([a.runCount, a.wordLo.length], [54671, 141]);
    assert.equal(stats.afterRuns, 54671);
    assert.equal(stats.afterBytes, after.length);
    const v = new DataView(low.buffer, low.byteOffset, low.byteLength);
    for (const pfn of [0, 1, 4095, 4096, 131071]) {
      assert.equal(b.flagsAt(pfn), v.getBigUint64(pfn * 8, true), `pfn ${pfn}`);
    }
    pair.close(); // idempotent after finish
  } finally {
    Deno.removeSync(tmp);
  }
});
