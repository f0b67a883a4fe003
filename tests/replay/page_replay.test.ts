import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { CallBatch } from "../../lib/calls/call_batch.ts";
import { CallStream } from "../../lib/calls/call_stream.ts";
import { MigrateType } from "../../lib/kernel/constants.ts";
import { machineSpecFromZoneinfo, presetMachineSpec } from "../../lib/mm/machine_spec.ts";
import { PageReplay } from "../../lib/replay/page_replay.ts";
import { parseBuddyinfo } from "../../lib/snapshot/buddyinfo.ts";
import { parsePagetypeinfo } from "../../lib/snapshot/pagetypeinfo.ts";
import { parseZoneinfo } from "../../lib/snapshot/zoneinfo.ts";
import { MmInvariantError } from "../../lib/mm/mm_invariant_error.ts";
import { TextTraceParser } from "../../lib/trace/text/text_parser.ts";
import { loadCallBatches } from "../call_batches.ts";
import { MIXED_DIR } from "../shared_data.ts";

const DIR = MIXED_DIR;

/** Real tracefs lines → owned call batches through the real parser and call stream. */
function callsOf(text: string): CallBatch[] {
  const out: CallBatch[] = [];
  const stream = new CallStream((b) => {
    const copy = new CallBatch(b.length);
    for (let i = 0; i < b.length; i++) copy.call[copy.copyRow(b, i)] = b.call[i]!;
    out.push(copy);
  });
  const p = new TextTraceParser((ev) => stream.push(ev));
  p.feed(new TextEncoder().encode(text));
  p.end();
  stream.end();
  return out;
}

const x86_8g = () => presetMachineSpec("x86_64", { memoryBytes: 8 * 2 ** 30 });

// trace.txt.gz lines 365947-365962: a ≥v6.15 whole-block claim (extfrag only, fallback_order 10)
// inside a pcp refill, followed by zone_locked takes of the pieces.
const CLAIM_LINES = `
            head-9000    [000] d..3.   460.789054: mm_page_alloc_extfrag: page=00000000abe09c7e pfn=0x187c00 alloc_order=0 fallback_order=10 pageblock_order=9 alloc_migratetype=0 fallback_migratetype=1 fragmenting=0 change_ownership=1
            head-9000    [000] d..3.   460.789056: mm_page_alloc_zone_locked: page=0000000061d5355b pfn=0x187c01 order=0 migratetype=0 percpu_refill=1
            head-9000    [000] d..3.   460.789057: mm_page_alloc_zone_locked: page=0000000001625c0f pfn=0x187c02 order=0 migratetype=0 percpu_refill=1
            head-9000    [000] d..3.   460.789057: mm_page_alloc_zone_locked: page=00000000230aa610 pfn=0x187c03 order=0 migratetype=0 percpu_refill=1
`;

Deno.test("faithful: a whole-block claim retypes both pageblocks and splits under the new type", () => {
  // One free order-10 Movable block in Normal, as a before-snapshot would say.
  const buddyinfo = parseBuddyinfo(
    "Node 0, zone   Normal      0      0      0      0      0      0      0      0      0      0      1 \n",
  );
  const r = new PageReplay({ spec: x86_8g(), snapshots: { buddyinfo } });
  for (const b of callsOf(CLAIM_LINES)) r.consume(b);
  const res = r.finish();
  deepStrictEqual(res.desyncs, {});
  deepStrictEqual(res.seeded, { freeBlocksLocated: 1, pcpPagesUsed: 0 });
  deepStrictEqual(res.fallbacks, {
    total: 1,
    fragmenting: 0,
    claims: 1,
    steals: 0,
    byType: { "Unmovable<-Movable": 1 },
  });
  const normal = res.zones[2]!;
  // 4 pages went to cpu 0's pcp list; the rest of the 1024 is split 4+8+…+512.
  equal(normal.pcpPages, 4);
  equal(normal.freePages, 1020);
  deepStrictEqual(normal.freeBlocks, [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  deepStrictEqual(normal.freeBlocksByType[MigrateType.UNMOVABLE], [
    0,
    0,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    0,
  ]);
  equal(r.machine.pageblockMtOf(0x187c00), MigrateType.UNMOVABLE);
  equal(r.machine.pageblockMtOf(0x187e00), MigrateType.UNMOVABLE);
  r.machine.checkInvariants();
});

Deno.test("faithful without a snapshot: one take-untracked, then the learnt block explains the rest", () => {
  const r = new PageReplay({ spec: x86_8g() });
  for (const b of callsOf(CLAIM_LINES)) r.consume(b);
  const res = r.finish();
  deepStrictEqual(res.desyncs, { "take-untracked": 1 });
  deepStrictEqual(res.desyncExamples[0]!.message, "pfn 0x187c00 order 10 type 1");
  deepStrictEqual(res.zones[2]!.freeBlocks, [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  throws(() => {
    const s = new PageReplay({ spec: x86_8g(), strict: true });
    for (const b of callsOf(CLAIM_LINES)) s.consume(b);
  }, MmInvariantError);
});

// Every event for pfn 0x18de7e in lines 1-50000 of trace.txt.gz (grep -n "pfn=0x18de7e "):
// freed on cpu 1 before it was ever seen, freed again on cpu 0 with no mm_page_alloc in between
// (a pcp page taken by the bulk allocator), then three clean alloc/free pairs.
const PFN_LINES = `
             git-8672    [001] .Ns1.   460.310508: mm_page_free: page=00000000d783e31d pfn=0x18de7e order=0
     kworker/0:1-11      [000] .....   460.330516: mm_page_free: page=00000000d783e31d pfn=0x18de7e order=0
            head-8682    [000] .....   460.330727: mm_page_alloc: page=00000000d783e31d pfn=0x18de7e order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
     ksoftirqd/0-14      [000] ..s..   460.338553: mm_page_free: page=00000000d783e31d pfn=0x18de7e order=0
          base64-8695    [000] ...1.   460.346635: mm_page_alloc: page=00000000d783e31d pfn=0x18de7e order=0 migratetype=0 gfp_flags=GFP_NOWAIT
          base64-8695    [000] .....   460.346638: mm_page_free: page=00000000d783e31d pfn=0x18de7e order=0
          base64-8695    [000] .....   460.346676: mm_page_alloc: page=00000000d783e31d pfn=0x18de7e order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
          <idle>-0       [000] .Ns1.   460.370460: mm_page_free: page=00000000d783e31d pfn=0x18de7e order=0
`;

Deno.test("faithful: frees go to the freeing CPU's pcp list, allocs take from it; surprises are named", () => {
  const r = new PageReplay({ spec: x86_8g() });
  for (const b of callsOf(PFN_LINES)) r.consume(b);
  const res = r.finish();
  deepStrictEqual(res.calls, { page_alloc: 3, page_free: 5 });
  deepStrictEqual(res.desyncs, { "free-untracked": 1, "double-free": 1 });
  deepStrictEqual(res.desyncExamples.map((e) => e.kind), ["free-untracked", "double-free"]);
  // The page ends on cpu 0's pcp list.
  deepStrictEqual(r.machine.pcpListPfns(2, 0, 0, MigrateType.MOVABLE), [0x18de7e]);
  equal(res.zones[2]!.pcpPages, 1);
});

Deno.test("policy: a split non-compound block freed page by page returns every page", () => {
  const spec = presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 });
  const r = new PageReplay({ spec, mode: "policy" });
  const start = r.machine.zones.reduce((a, z) => a + z.freePages, 0);
  const lines = [
    "  kworker-1 [000] ..... 1.000001: mm_page_alloc: page=0000000000000001 pfn=0x200010 order=2 migratetype=0 gfp_flags=GFP_KERNEL",
    "  kworker-1 [000] ..... 1.000002: mm_page_free: page=0000000000000001 pfn=0x200012 order=0",
    "  kworker-1 [000] ..... 1.000003: mm_page_free: page=0000000000000001 pfn=0x200010 order=0",
    "  kworker-1 [001] ..... 1.000004: mm_page_free: page=0000000000000001 pfn=0x200013 order=0",
    "  kworker-1 [001] ..... 1.000005: mm_page_free: page=0000000000000001 pfn=0x200011 order=0",
  ].join("\n") + "\n";
  for (const b of callsOf(lines)) r.consume(b);
  const res = r.finish();
  deepStrictEqual(res.desyncs, {});
  equal(res.liveAllocations, 0);
  r.machine.drainAllPages();
  r.machine.checkInvariants();
  equal(r.machine.zones.reduce((a, z) => a + z.freePages, 0), start);
});

Deno.test("whole shared capture, faithful, seeded from before.*: desyncs counted, end state ≈ after.*", async () => {
  const zoneinfo = parseZoneinfo(Deno.readTextFileSync(DIR + "before.zoneinfo"));
  const snapshots = {
    zoneinfo,
    buddyinfo: parseBuddyinfo(Deno.readTextFileSync(DIR + "before.buddyinfo")),
    pagetypeinfo: parsePagetypeinfo(Deno.readTextFileSync(DIR + "before.pagetypeinfo")),
  };
  const samples: number[] = [];
  const r: PageReplay = new PageReplay({
    spec: machineSpecFromZoneinfo(zoneinfo),
    snapshots,
    sampleEveryCalls: 100_000,
    onSample: () => samples.push(r.machine.zoneViews[2]!.freePages),
  });
  for (const b of await loadCallBatches(DIR + "trace.txt.gz")) r.consume(b);
  const res = r.finish();
  // Counts by `zcat trace.txt.gz | grep -c ": mm_page_alloc: "` etc.
  equal(res.calls.page_alloc, 128433);
  equal(res.calls.page_free, 126031);
  equal(res.calls.buddy_take, 9995);
  equal(res.calls.pcp_drain, 10952);
  equal(res.calls.fallback, 3);
  equal(res.fallbacks.claims, 3);
  equal(res.failures.total, 0);
  equal(samples.length, 9); // 966163 calls
  const pageCalls = 128433 + 126031 + 9995 + 10952 + 3;
  const desyncs = Object.values(res.desyncs).reduce((a, b) => a + b, 0);
  console.log("desyncs", res.desyncs, "seeded", res.seeded);
  ok(desyncs < pageCalls / 100, `${desyncs} desyncs in ${pageCalls} page calls`);
  // DMA and DMA32 are untouched by the workload: exactly after.buddyinfo.
  const after = parseBuddyinfo(Deno.readTextFileSync(DIR + "after.buddyinfo"));
  deepStrictEqual(res.zones[0]!.freeBlocks, after[0]!.freeBlocks);
  deepStrictEqual(res.zones[1]!.freeBlocks, after[1]!.freeBlocks);
  // Normal ends within 0.5% of after.zoneinfo's `pages free` (241722).
  const afterFree = parseZoneinfo(Deno.readTextFileSync(DIR + "after.zoneinfo"))[2]!.freePages;
  ok(
    Math.abs(res.zones[2]!.freePages - afterFree) < afterFree * 0.005,
    `${res.zones[2]!.freePages}`,
  );
  r.machine.checkInvariants();
});

Deno.test("whole shared capture, policy: same calls on the same machine, and a what-if without pcp", async () => {
  const zoneinfo = parseZoneinfo(Deno.readTextFileSync(DIR + "before.zoneinfo"));
  const snapshots = {
    zoneinfo,
    pagetypeinfo: parsePagetypeinfo(Deno.readTextFileSync(DIR + "before.pagetypeinfo")),
  };
  const batches = await loadCallBatches(DIR + "trace.txt.gz");
  const spec = machineSpecFromZoneinfo(zoneinfo);
  const r = new PageReplay({ spec, snapshots, mode: "policy" });
  // Seeding reproduces before.buddyinfo exactly.
  const before = parseBuddyinfo(Deno.readTextFileSync(DIR + "before.buddyinfo"));
  deepStrictEqual(r.finish().zones.map((z) => z.freeBlocks), before.map((b) => b.freeBlocks));
  for (const b of batches) r.consume(b);
  const res = r.finish();
  equal(res.mode, "policy");
  // The 4 trace pfns allocated twice without a free (bulk allocator in between).
  deepStrictEqual(res.desyncs, { "alloc-allocated": 4 });
  equal(res.failures.total, 0);
  r.machine.checkInvariants();
  const noPcp = new PageReplay({ spec: { ...spec, pcpEnabled: false }, snapshots, mode: "policy" });
  for (const b of batches) noPcp.consume(b);
  const res2 = noPcp.finish();
  equal(res2.zones.reduce((a, z) => a + z.pcpPages, 0), 0);
  noPcp.machine.checkInvariants();
});

// traces/compact-6.18/trace.txt.gz lines 36884 and 37018-37020: the free scanner isolates 120
// pages of 0x22bca0-0x22bdc0 (no mm_page_alloc), compaction ends and release_free_list gives the
// unused rest of a split order-3 target block back at its split orders (0x22bcd9 o0, o1, o2).
const COMPACT_SPEC = () =>
  machineSpecFromZoneinfo(
    parseZoneinfo(
      Deno.readTextFileSync(new URL("../../traces/compact-6.18/before.zoneinfo", import.meta.url)),
    ),
  );
const ISOLATE_LINES = `
              sh-4485    [001] ..... 10617.653336: mm_compaction_isolate_freepages: range=(0x22bca0 ~ 0x22bdc0) nr_scanned=288 nr_taken=120
              sh-4485    [001] ..... 10617.653441: mm_page_free: page=00000000f8101131 pfn=0x22bcd9 order=0
              sh-4485    [001] ..... 10617.653441: mm_page_free: page=00000000d54b3bd0 pfn=0x22bcda order=1
              sh-4485    [001] ..... 10617.653441: mm_page_free: page=0000000064bfb999 pfn=0x22bcdc order=2
`;

Deno.test("faithful: a compaction isolation takes unlocated blocks; the released pieces free cleanly", () => {
  // Unlocated Movable blocks of orders 3, 5, 6 and 10: 120 = 64 + 32 + 16 + 8 needs an order 4
  // too, which comes from splitting the order-10 block (the halves stay unlocated).
  const buddyinfo = parseBuddyinfo(
    "Node 0, zone   Normal      0      0      0      1      0      1      1      0      0      0      1 \n",
  );
  const r = new PageReplay({ spec: COMPACT_SPEC(), snapshots: { buddyinfo } });
  for (const b of callsOf(ISOLATE_LINES)) r.consume(b);
  const res = r.finish();
  deepStrictEqual(res.calls, { compaction_isolate_free: 1, page_free: 3 });
  // The guess is a desync of its own kind; the three release frees hit the placed blocks.
  deepStrictEqual(res.desyncs, { "isolate-unlocated": 1 });
  deepStrictEqual(res.compactionIsolation, {
    events: 1,
    fastEvents: 0,
    pagesTaken: 120,
    locatedPages: 0,
    unlocatedPages: 120,
    placedPages: 120,
    guessedEvents: 1,
    missingPages: 0,
    excessPages: 0,
    migratePagesTaken: 0,
  });
  const normal = res.zones[2]!;
  // 8 + 32 + 64 + 1024 − 120 = 1008 free: the order-10 block split, 16 + 32 + … + 512 left.
  equal(normal.freePages, 1008);
  deepStrictEqual(normal.freeBlocks, [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0]);
  // The released 1 + 2 + 4 pages are pcp orders: they land on cpu 1's lists.
  equal(normal.pcpPages, 7);
  r.machine.checkInvariants();
});

Deno.test("faithful: located free blocks in the range are isolated whole; policy ignores isolations", () => {
  // Constructed from the lines above: an order-4 free at 0x22bd00 first (a never-seen page, so
  // free-untracked; order 4 skips the pcp lists) makes a located buddy block inside the range.
  const lines = `
              sh-4485    [001] ..... 10617.653300: mm_page_free: page=00000000aaaaaaaa pfn=0x22bd00 order=4
${ISOLATE_LINES}`;
  const buddyinfo = parseBuddyinfo(
    "Node 0, zone   Normal      0      0      0      1      0      1      1      0      0      0      0 \n",
  );
  const r = new PageReplay({ spec: COMPACT_SPEC(), snapshots: { buddyinfo } });
  for (const b of callsOf(lines)) r.consume(b);
  const res = r.finish();
  deepStrictEqual(res.desyncs, { "free-untracked": 1, "isolate-unlocated": 1 });
  // 16 located + 104 = 64 + 32 + 8 from the unlocated pool, which it empties.
  equal(res.compactionIsolation.locatedPages, 16);
  equal(res.compactionIsolation.unlocatedPages, 104);
  equal(res.compactionIsolation.missingPages, 0);
  equal(res.zones[2]!.freePages, 0);
  deepStrictEqual(res.zones[2]!.freeBlocks, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  r.machine.checkInvariants();

  const p = new PageReplay({ mode: "policy", spec: COMPACT_SPEC() });
  const before = p.machine.zoneViews[2]!.freePages;
  for (const b of callsOf(ISOLATE_LINES.split("\n").slice(0, 2).join("\n"))) p.consume(b);
  deepStrictEqual(p.finish().calls, { compaction_isolate_free: 1 });
  equal(p.machine.zoneViews[2]!.freePages, before);
  deepStrictEqual(p.finish().compactionIsolation.pagesTaken, 0);
});

Deno.test("faithful: an isolation halved down to order 0 takes every page it needs from the unlocated pool", () => {
  // Four unlocated order-0 Movable blocks and nothing larger: nr_taken 2 (one order-1 block in
  // the binary decomposition) and 3 (orders 1 + 0) are halved down to 2 and 3 order-0 blocks,
  // all of which leave the pool.
  const buddyinfo = parseBuddyinfo(
    "Node 0, zone   Normal      4      0      0      0      0      0      0      0      0      0      0 \n",
  );
  for (const [taken, left] of [[2, 2], [3, 1]] as const) {
    const r = new PageReplay({ spec: COMPACT_SPEC(), snapshots: { buddyinfo } });
    const line = ISOLATE_LINES.split("\n")[1]!.replace("nr_taken=120", `nr_taken=${taken}`);
    for (const b of callsOf(line + "\n")) r.consume(b);
    const res = r.finish();
    deepStrictEqual(res.desyncs, { "isolate-unlocated": 1 });
    equal(res.compactionIsolation.unlocatedPages, taken);
    equal(res.compactionIsolation.placedPages, taken);
    equal(res.compactionIsolation.missingPages, 0);
    equal(res.zones[2]!.freePages, left);
    deepStrictEqual(res.zones[2]!.unlocatedBlocks, [left, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    r.machine.checkInvariants();
  }
});
