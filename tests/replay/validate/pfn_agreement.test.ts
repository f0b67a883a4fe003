import assert from "node:assert/strict";
import { PageState } from "../../../lib/mm/page_allocator.ts";
import { pfnAgreement } from "../../../lib/replay/validate/pfn_agreement.ts";
import { decodeKpageflags } from "../../../lib/snapshot/kpageflags.ts";

const k = decodeKpageflags(
  Deno.readFileSync(
    new URL("../../../traces/kpageflags-6.18/normal-start.kpageflags", import.meta.url),
  ),
);
const FIRST = 1048576;
const END = FIRST + 131072;
const zone = { name: "Normal", node: 0, startPfn: FIRST, endPfn: END, presentPages: 131072 };

// python3 traces/kpageflags-6.18/count_kpageflags.py normal-start.raw.gz 1048576 1048576 1179648:
// buddy 6213, lru_anon 11345, lru_file 82080, noflags 16201, other 1905, pgtable 3303, slab 10025
Deno.test("pfn agreement: a model that has every page free agrees on the kernel's buddy pages", () => {
  const states = new Uint8Array(END).fill(PageState.BUDDY);
  const [z] = pfnAgreement(states, k, [zone]);
  assert.deepEqual([z!.spanPages, z!.comparedPages, z!.agreePages], [131072, 131072, 6213]);
  assert.deepEqual(z!.modelFreeKernelNot, {
    hole: 0,
    buddy: 0,
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
  assert.equal(z!.kernelSlabPages, 10025);
  assert.equal(z!.coveragePct, 100);
});

Deno.test("pfn agreement: allocated and pcp pages agree where the kernel has no KPF_BUDDY", () => {
  const states = new Uint8Array(END);
  // first half allocated, second half on pcp lists; the pfns below the slice stay unknown
  states.fill(PageState.ALLOC, FIRST, FIRST + 65536);
  states.fill(PageState.PCP, FIRST + 65536, END);
  const [z] = pfnAgreement(states, k, [zone]);
  const buddyLow = k.countFlag(10, FIRST, FIRST + 65536);
  const buddyHigh = k.countFlag(10, FIRST + 65536, END);
  assert.equal(buddyLow + buddyHigh, 6213);
  assert.deepEqual(
    [z!.agreePages, z!.modelAllocatedKernelFree, z!.modelPcpKernelFree],
    [131072 - 6213, buddyLow, buddyHigh],
  );
});

Deno.test("pfn agreement: unknown and hole pages are counted, not compared; spans clip", () => {
  const states = new Uint8Array(END); // all UNKNOWN
  states.fill(PageState.HOLE, FIRST, FIRST + 1000);
  // a zone reaching past the snapshot and the states: only the covered part counts
  const [z] = pfnAgreement(states, k, [{ ...zone, startPfn: FIRST - 5000, endPfn: END + 5000 }]);
  assert.deepEqual(
    [z!.spanPages, z!.comparedPages, z!.holePages, z!.unknownPages, z!.unknownKernelFree],
    [131072, 0, 1000, 130072, 6213 - k.countFlag(10, FIRST, FIRST + 1000)],
  );
  assert.equal(z!.agreementPct, 100);
  const [none] = pfnAgreement(states, k, [{ ...zone, startPfn: 0, endPfn: 4096 }]);
  assert.equal(none!.spanPages, 0);
});
