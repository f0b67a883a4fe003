/**
 * replayTrace with the slab model on the emulated page allocator (policy mode): the trace's
 * slab-page calls are delegated, the slab model's own pages land on the emulated zones, and
 * what-if SLUB parameters change the page blocks slabs take.
 */
import assert from "node:assert/strict";
import {
  type ReplayPhaseMs,
  replayTrace,
  type ReplayTraceOptions,
} from "../../lib/replay/replay_trace.ts";
import { importTrace } from "../../lib/calls/trace_import.ts";
import { parseSnapshotSet } from "../../lib/snapshot/bundle.ts";
import { bundleLayout } from "../../lib/snapshot/bundle_layout.ts";

const DEMO = new URL("../../traces/demo/", import.meta.url);

async function replayDemo(opts: ReplayTraceOptions) {
  const names = [...Deno.readDirSync(DEMO)].filter((e) => e.isFile).map((e) => e.name);
  const layout = bundleLayout(names);
  const texts: Record<string, string> = {};
  for (const n of layout.snapshots) texts[n] = Deno.readTextFileSync(new URL(n, DEMO));
  const file = await Deno.open(new URL(layout.trace!, DEMO));
  return await replayTrace(file.readable, { snapshots: parseSnapshotSet(texts), ...opts });
}

const base = await replayDemo({ mode: "policy" });
const maxOrder0 = await replayDemo({ mode: "policy", slubMaxOrder: 0 });

Deno.test("policy: the trace's slab-page calls are left to the slab model", () => {
  // traces/demo: 90 mm_page_alloc with __GFP_NORETRY|__GFP_COMP and neither __GFP_MOVABLE nor
  // __GFP_HIGHMEM (zcat | grep NORETRY | grep COMP | grep -v MOVABLE | grep -vc HIGH), 87
  // mm_page_free of those pfns (paired by pfn with Python on the text; 3 still allocated at the
  // end), and no large kmalloc: no order ≥ 2 __GFP_COMP mm_page_alloc lacks __GFP_NORETRY and
  // no kmalloc has bytes_alloc > 8192 (awk: the largest is 4096).
  assert.equal(base.pages.slabPageCallsDelegated, 90 + 87 + 0);
  assert.equal(base.slabPages!.delegatedCalls, 177);
  // The seeded caches' slabs came out of the snapshot's pre-existing allocations.
  assert.ok(base.slabPages!.seededBlocks > 0);
  assert.equal(base.slabPages!.failed, 0);
  // Every slab page is an allocated block marked SLAB on the emulated machine.
  const byOrder = base.slabPages!.blocksByOrder;
  const pages = byOrder.reduce((a, n, o) => a + n * 2 ** o, 0);
  assert.equal(pages, base.slabPages!.pagesAtEnd);
  // The demo has no large kmalloc (> 8 KiB) at all: all are cache slabs.
  assert.equal(pages, base.slab!.caches.reduce((a, c) => a + c.pages, 0));
});

Deno.test("what-if slab_max_order=0: no slab block above the minimum order", () => {
  const b = maxOrder0.slabPages!.blocksByOrder;
  assert.deepEqual(b.slice(2), new Array(b.length - 2).fill(0));
  // Order-1 blocks are only the caches whose objects exceed a page (get_order(size) = 1).
  const order1 = maxOrder0.slab!.caches.filter((c) => c.pagesPerSlab === 2);
  assert.ok(order1.every((c) => c.objSizeBytes > 4096));
  assert.equal(b[1], order1.reduce((a, c) => a + c.numSlabs, 0));
  assert.ok(maxOrder0.slab!.caches.every((c) => c.geometry === "computed"));
  // With the default geometry the demo's slabs do use orders 2 and 3 (slabinfo pagesperslab).
  assert.ok(base.slabPages!.blocksByOrder[2]! > 0 && base.slabPages!.blocksByOrder[3]! > 0);
});

Deno.test("what-if slab_max_order=0 changes the Normal zone's free lists", () => {
  const normal = (r: typeof base) => r.pages.zones.find((z) => z.name === "Normal")!;
  assert.notDeepEqual(normal(maxOrder0).freeBlocks, normal(base).freeBlocks);
  // The trace's own page calls are the same in both runs.
  assert.deepEqual(maxOrder0.pages.calls, base.pages.calls);
  assert.equal(maxOrder0.pages.slabPageCallsDelegated, 177);
});

Deno.test("faithful mode keeps the trace's slab pages: nothing delegated", async () => {
  const r = await replayDemo({ mode: "faithful" });
  assert.equal(r.slabPages, null);
  assert.equal(r.pages.slabPageCallsDelegated, 0);
});

Deno.test("report metrics: policy mode reports the emulator's own fallbacks, faithful the traced", async () => {
  // A 1 GiB machine (DMA + DMA32 only) for the demo workload: the emulator falls back from
  // Movable pageblocks 52 times (51 Unmovable, 1 Reclaimable), all whole-pageblock claims
  // (emulator output, not a trace count: the real machine had room and traced no fallback).
  const spec = (await import("../../lib/mm/machine_spec.ts")).presetMachineSpec("x86_64", {
    memoryBytes: 2 ** 30,
  });
  const names = [...Deno.readDirSync(DEMO)].filter((e) => e.isFile).map((e) => e.name);
  const file = await Deno.open(new URL(bundleLayout(names).trace!, DEMO));
  // As `kmem replay --memory 1GiB`: the real machine's free lists are not used, its slab caches are.
  const slabinfo = Deno.readTextFileSync(new URL("before.slabinfo", DEMO));
  const policy = await replayTrace(file.readable, {
    mode: "policy",
    spec,
    metrics: true,
    snapshots: parseSnapshotSet({ "before.slabinfo": slabinfo }),
  });
  assert.deepEqual(policy.pages.fallbacks.byType, {
    "Unmovable<-Movable": 51,
    "Reclaimable<-Movable": 1,
  });
  const pairs = policy.metrics!.pageblocks.fallbackPairs;
  const total = pairs.reduce((a, p) => a + p.count, 0);
  assert.equal(total, 52);
  assert.ok(pairs.every((p) => !p.fragmenting));
  // Faithful replay of the same trace: the demo recorded no mm_page_alloc_extfrag at all.
  const faithful = await replayDemo({ metrics: true });
  assert.equal(faithful.metrics!.pageblocks.fallbackPairs.length, 0);
});

Deno.test("phaseMs: each call batch is timed once per replay (a tick clock counts the reads)", async () => {
  // The call batches of the demo trace, counted by the importer alone.
  let batches = 0, calls = 0;
  const names = [...Deno.readDirSync(DEMO)].filter((e) => e.isFile).map((e) => e.name);
  const file = await Deno.open(new URL(bundleLayout(names).trace!, DEMO));
  await importTrace(file.readable, (b) => {
    batches++;
    calls += b.length;
  });
  assert.ok(batches > 1, `${batches} batches of ${calls} calls`);
  // A clock that advances one tick per read: each phase gets the reads around its work.
  let tick = 0;
  const phaseMs: ReplayPhaseMs = { setup: -1, import: -1, page: -1, slab: -1, metrics: -1 };
  const r = await replayDemo({ mode: "faithful", phaseMs, phaseClock: () => tick++ });
  assert.equal(r.import.calls.total, calls);
  // Per batch: one tick for the page replay, one for the slab replay; one more each for their
  // finish; setup is the one tick between the first two reads; no metrics asked, none timed.
  assert.deepEqual(phaseMs, {
    setup: 1,
    import: batches + 1,
    page: batches + 1,
    slab: batches + 1,
    metrics: 0,
  });
});
