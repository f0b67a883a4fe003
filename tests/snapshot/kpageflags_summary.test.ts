import assert from "node:assert/strict";
import { decodeKpageflags, encodeKpageflags } from "../../lib/snapshot/kpageflags.ts";
import {
  kpfFreeBlocks,
  kpfKind,
  kpfZoneRanges,
  summarizeKpageflags,
} from "../../lib/snapshot/kpageflags_summary.ts";
import { parseBuddyinfo } from "../../lib/snapshot/buddyinfo.ts";
import { parseZoneinfo } from "../../lib/snapshot/zoneinfo.ts";
import { KPF } from "../../lib/kernel/kpage_flags.ts";

const FIXTURE = new URL("../../traces/kpageflags-6.18/", import.meta.url);
const snap = (name: string) => decodeKpageflags(Deno.readFileSync(new URL(name, FIXTURE)), name);
const zones = kpfZoneRanges(
  parseZoneinfo(Deno.readTextFileSync(new URL("zoneinfo", FIXTURE)), "zoneinfo"),
);

Deno.test("kpageflags summary: zone spans of the fixture's zoneinfo", () => {
  assert.deepEqual(zones.map((z) => [z.name, z.startPfn, z.endPfn]), [
    ["DMA", 1, 4096],
    ["DMA32", 4096, 1048576],
    ["Normal", 1048576, 6553600],
  ]);
});

Deno.test("kpageflags summary: DMA and DMA32 equal the independent count and buddyinfo", () => {
  const [dma, dma32, normal] = summarizeKpageflags(snap("dma-dma32.kpageflags"), zones);
  // python3 count_kpageflags.py dma-dma32.raw.gz 0 1 4096 (and 0 4096 1048576)
  assert.deepEqual(dma!.free.perOrder, [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3]);
  assert.equal(dma!.free.pages, 3840);
  assert.equal(dma!.kindPages.buddy, 3840);
  assert.equal(dma!.kindPages.reserved, 255);
  assert.equal(dma!.uncoveredPages, 0);
  assert.deepEqual(dma32!.free.perOrder, [1, 2, 2, 2, 1, 2, 0, 3, 3, 1, 753]);
  assert.equal(dma32!.free.pages, 772845);
  assert.deepEqual(
    [dma32!.kindPages.noflags, dma32!.kindPages.reserved, dma32!.kindPages.zero],
    [262144, 9490, 1],
  );
  assert.deepEqual([dma32!.bitPages.RESERVED, dma32!.bitPages.ZERO_PAGE], [9491, 1]);
  // the slice ends where Normal starts
  assert.equal(normal!.uncoveredPages, 6553600 - 1048576);
  assert.equal(normal!.free.pages, 0);
  // /proc/buddyinfo read right after the raw slice (no churn in these zones on the VM)
  const bi = parseBuddyinfo(
    Deno.readTextFileSync(new URL("buddyinfo.after-read", FIXTURE)),
    "buddyinfo.after-read",
  );
  assert.deepEqual(dma!.free.perOrder, bi[0]!.freeBlocks);
  assert.deepEqual(dma32!.free.perOrder, bi[1]!.freeBlocks);
  // blocks are aligned, ascending, inside the zone, and cover exactly the KPF_BUDDY pages
  const k = snap("dma-dma32.kpageflags");
  const f = dma32!.free;
  for (let i = 0; i < f.pfn.length; i++) {
    const p = f.pfn[i]!;
    const size = 2 ** f.order[i]!;
    assert.equal(p % size, 0);
    assert.ok(i === 0 || p >= f.pfn[i - 1]! + 2 ** f.order[i - 1]!);
    assert.equal(k.countFlag(KPF.BUDDY, p, p + size), size);
  }
  assert.equal(f.pfn.length, 1 + 2 + 2 + 2 + 1 + 2 + 0 + 3 + 3 + 1 + 753);
  assert.equal(k.countFlag(KPF.BUDDY, 4096, 1048576), f.pages);
});

Deno.test("kpageflags summary: a Normal slice equals the independent count", () => {
  const k = snap("normal-start.kpageflags");
  const [s] = summarizeKpageflags(k, [{
    node: 0,
    name: "Normal",
    startPfn: 1048576,
    endPfn: 1179648,
  }]);
  // python3 count_kpageflags.py normal-start.raw.gz 1048576 1048576 1179648
  assert.deepEqual(s!.kindPages, {
    hole: 0,
    buddy: 6213,
    offline: 0,
    slab: 10025,
    pgtable: 3303,
    hugetlb: 0,
    zero: 0,
    reserved: 0,
    lru_anon: 11345,
    lru_file: 82080,
    noflags: 16201,
    other: 1905,
  });
  assert.deepEqual(
    [
      s!.bitPages.LRU,
      s!.bitPages.SLAB,
      s!.bitPages.BUDDY,
      s!.bitPages.ANON,
      s!.bitPages.SWAPBACKED,
      s!.bitPages.COMPOUND_HEAD,
      s!.bitPages.COMPOUND_TAIL,
      s!.bitPages.THP,
      s!.bitPages.PGTABLE,
    ],
    [93425, 10025, 6213, 10762, 11346, 8956, 33808, 34860, 3303],
  );
  assert.deepEqual(s!.free.perOrder, [655, 855, 388, 67, 36, 21, 4, 2, 0, 0, 0]);
  assert.equal(s!.free.pages, 6213);
  // an unaligned sub-range clips runs at its ends: … 1050000 1100003
  const sub = kpfFreeBlocks(k, 1050000, 1100003);
  assert.deepEqual(sub.perOrder, [454, 436, 205, 56, 15, 5, 0, 1, 0, 0, 0]);
  assert.equal(sub.pages, 3122);
});

Deno.test("kpageflags summary: runs are cut into the largest aligned blocks, up to maxOrder", () => {
  const B = 1n << 10n;
  // pfns 8..40 free (32 pages from an 8-aligned start), then 44..47
  const words = new BigUint64Array(64);
  for (let p = 8; p < 40; p++) words[p] = B;
  for (let p = 44; p < 48; p++) words[p] = B | 1n; // another buddy word: the run continues
  words[43] = 0n;
  const k = decodeKpageflags(encodeKpageflags(new Uint8Array(words.buffer)));
  const b = kpfFreeBlocks(k, 0, 64, 10);
  assert.deepEqual([...b.pfn], [8, 16, 32, 44]);
  assert.deepEqual([...b.order], [3, 4, 3, 2]);
  const capped = kpfFreeBlocks(k, 0, 64, 2);
  assert.deepEqual(capped.perOrder, [0, 0, 9]);
  assert.equal(capped.pages, 36);
  // a range edge cuts a run
  const cut = kpfFreeBlocks(k, 9, 20);
  assert.deepEqual([...cut.pfn], [9, 10, 12, 16]);
  assert.deepEqual([...cut.order], [0, 1, 2, 2]);
});

Deno.test("kpageflags summary: kinds follow the documented precedence", () => {
  assert.equal(kpfKind(1 << KPF.NOPAGE, 0), "hole");
  assert.equal(kpfKind((1 << KPF.BUDDY) | (1 << KPF.SLAB), 0), "buddy");
  assert.equal(kpfKind((1 << KPF.SLAB) | (1 << KPF.LRU), 0), "slab");
  assert.equal(kpfKind(1 << KPF.ZERO_PAGE, 1), "zero");
  assert.equal(kpfKind(0, 1), "reserved");
  assert.equal(kpfKind((1 << KPF.LRU) | (1 << KPF.SWAPBACKED), 0), "lru_anon");
  assert.equal(kpfKind(1 << KPF.LRU, 0), "lru_file");
  assert.equal(kpfKind(0, 0), "noflags");
  assert.equal(kpfKind(1 << KPF.ANON, 0), "other");
});
