import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { KPAGEFLAGS_PATH, readKpageflags } from "../../lib/capture/kpageflags_reader.ts";
import { decodeKpageflags } from "../../lib/snapshot/kpageflags.ts";
import { kpfZoneRanges, summarizeKpageflags } from "../../lib/snapshot/kpageflags_summary.ts";
import { parseZoneinfo } from "../../lib/snapshot/zoneinfo.ts";

const FIXTURE = new URL("../../traces/kpageflags-6.18/", import.meta.url);
const raw = new Uint8Array(
  gunzipSync(Deno.readFileSync(new URL("normal-start.raw.gz", FIXTURE))),
);

Deno.test("kpageflags reader: a raw image read in small chunks encodes every word", () => {
  const tmp = Deno.makeTempFileSync({ suffix: ".kpageflags-raw" });
  try {
    Deno.writeFileSync(tmp, raw);
    const r = readKpageflags(tmp, 8 * 1000);
    assert.equal(r.pfnCount, 131072);
    assert.equal(r.runCount, 54671); // count_kpageflags.py normal-start.raw.gz: runs 54671
    const k = decodeKpageflags(r.bytes);
    const v = new DataView(raw.buffer);
    for (const pfn of [0, 1, 4095, 65536, 131071]) {
      const w = k.runWord[k.runAt(pfn)]!;
      assert.equal(k.wordLo[w], v.getUint32(pfn * 8, true));
      assert.equal(k.wordHi[w], v.getUint32(pfn * 8 + 4, true));
    }
    // a file that ends inside a word is not a kpageflags image
    Deno.writeFileSync(tmp, raw.subarray(0, 8 * 10 + 3));
    assert.throws(() => readKpageflags(tmp), /ends with 3 bytes of a partial u64 word/);
    assert.throws(() => readKpageflags(tmp, 12), RangeError);
  } finally {
    Deno.removeSync(tmp);
  }
});

function readable(path: string): boolean {
  try {
    Deno.openSync(path).close();
    return true;
  } catch {
    return false;
  }
}
const live = readable(KPAGEFLAGS_PATH);
if (!live) console.log(`kpageflags reader: live read skipped (${KPAGEFLAGS_PATH} needs root)`);

Deno.test({
  name: "kpageflags reader: /proc/kpageflags covers every zone, in whole memory sections",
  ignore: !live,
  fn: () => {
    const zones = kpfZoneRanges(parseZoneinfo(Deno.readTextFileSync("/proc/zoneinfo")));
    const r = readKpageflags();
    const k = decodeKpageflags(r.bytes, KPAGEFLAGS_PATH);
    // fs/proc/page.c get_max_dump_pfn: max_pfn rounded up to PAGES_PER_SECTION (2^15 on x86-64)
    assert.equal(k.pfnCount % 2 ** 15, 0);
    assert.ok(k.endPfn >= Math.max(...zones.map((z) => z.endPfn)));
    for (const s of summarizeKpageflags(k, zones)) {
      assert.equal(s.uncoveredPages, 0);
      // every zone has some free memory; its blocks hold exactly the KPF_BUDDY pages
      assert.ok(s.free.pages > 0, s.zone);
      assert.equal(s.free.pages, s.kindPages.buddy, s.zone);
    }
  },
});
