import assert from "node:assert/strict";
import { replayTrace } from "../../../lib/replay/replay_trace.ts";
import { formatValidation } from "../../../lib/replay/validate/format_validation.ts";
import { validateReplay } from "../../../lib/replay/validate/validate_replay.ts";
import { parseSnapshotSet } from "../../../lib/snapshot/bundle.ts";

const DEMO = new URL("../../../traces/demo/", import.meta.url);
const enc = new TextEncoder();

/** The demo bundle's snapshots, optionally without some lines of one file. */
function demoSnapshots(drop: (file: string, line: string) => boolean = () => false) {
  const texts: Record<string, string> = {};
  for (const n of ["buddyinfo", "zoneinfo", "slabinfo", "slab_shrink"]) {
    for (const w of ["before", "after"]) {
      const f = `${w}.${n}`;
      texts[f] = Deno.readTextFileSync(new URL(f, DEMO)).split("\n")
        .filter((l) => !drop(f, l)).join("\n");
    }
  }
  return parseSnapshotSet(texts);
}

Deno.test("validate: a prediction below zero is clamped, its shortfall a budget line (issue 16 item 9)", async () => {
  // maple_node absent from before.slabinfo; the trace allocates 50 and frees 300 unseen objects.
  const s = demoSnapshots((f, l) => f === "before.slabinfo" && l.startsWith("maple_node "));
  let t = "";
  for (let i = 0; i < 50; i++) {
    t += `  bash-1 [000] ..... 0.${String(i).padStart(6, "0")}: kmem_cache_alloc: ` +
      `call_site=mas_alloc+0x1/0x2 ptr=${(0xffff888200000000 + i * 256).toString(16)} ` +
      "name=maple_node bytes_req=256 bytes_alloc=256 gfp_flags=GFP_KERNEL node=-1 accounted=false\n";
  }
  for (let i = 0; i < 300; i++) {
    t += `  bash-1 [000] ..... 1.${String(i).padStart(6, "0")}: kmem_cache_free: ` +
      `call_site=mas_free+0x1/0x2 ptr=${(0xffff888100000000 + i * 256).toString(16)} ` +
      "name=maple_node\n";
  }
  const r = await replayTrace(ReadableStream.from([enc.encode(t)]), { snapshots: s, slab: true });
  const v = validateReplay(r, s.after, s.before);
  assert.equal(v.slabMethod, "in-use");
  const model = r.slab!.caches.find((c) => c.name === "maple_node")!;
  assert.ok(model.objectsDelta < 0, `objectsDelta ${model.objectsDelta}`);
  const maple = v.slab.find((x) => x.name === "maple_node")!;
  assert.equal(maple.before, null);
  assert.equal(maple.activeObjs.predicted, 0);
  assert.equal(maple.shortfall, -model.objectsDelta);
  assert.equal(maple.activeObjs.actual, 176); // grep ^maple_node traces/demo/after.slabinfo
  const line = v.errorBudget.find((l) => l.item.startsWith("slab: frees of objects neither"))!;
  assert.equal(line.estimate, maple.shortfall);
  assert.match(line.basis, new RegExp(`maple_node ${maple.shortfall}\\b`));
  assert.ok(v.slab.every((x) => x.activeObjs.predicted >= 0));
});

Deno.test("validate: targets with nothing compared are 'not evaluated', never met", async () => {
  const line = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x1000 " +
    "order=0\n";
  const r = await replayTrace(ReadableStream.from([enc.encode(line)]), { memoryBytes: 2 ** 30 });
  const v = validateReplay(r, {
    buddyinfo: [{ node: 0, zone: "DMA", freeBlocks: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }],
  });
  assert.deepEqual(v.targetCompared, { freePagesZones: 1, freeBlocksZones: 1, slabCaches: 0 });
  assert.equal(v.targetStatus.slab, "not-evaluated");
  assert.equal(v.targets.slabWithin2pct, true); // the boolean keeps its documented meaning
  assert.match(
    formatValidation(v),
    /slab ±2% not evaluated \(0 caches with > 1000 objects compared\)$/,
  );
  const none = validateReplay(r, {});
  assert.deepEqual(none.targetStatus, {
    freePages: "not-evaluated",
    freeBlocks: "not-evaluated",
    slab: "not-evaluated",
  });
  assert.match(formatValidation(none), /targets: free pages ±0.5% not evaluated \(0 zones/);
});

Deno.test("validate: the demo bundle's targets are evaluated and met", async () => {
  const s = demoSnapshots();
  const file = await Deno.open(new URL("trace.txt.gz", DEMO));
  const r = await replayTrace(file.readable, { snapshots: s, slab: true });
  const v = validateReplay(r, s.after, s.before);
  // grep -c '^Node' traces/demo/after.buddyinfo → 3 zones; slabinfo rows with active_objs > 1000.
  const flagged = Deno.readTextFileSync(new URL("after.slabinfo", DEMO)).split("\n")
    .filter((l) => /^\S+\s+\d+/.test(l) && Number(l.split(/\s+/)[1]) > 1000).length;
  assert.deepEqual(v.targetCompared, {
    freePagesZones: 3,
    freeBlocksZones: 3,
    slabCaches: flagged,
  });
  assert.deepEqual(v.targetStatus, { freePages: "met", freeBlocks: "met", slab: "met" });
});
