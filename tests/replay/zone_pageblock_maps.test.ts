import assert from "node:assert/strict";
import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES } from "../../lib/kernel/constants.ts";
import {
  PAGEBLOCK_ABSENT,
  PAGEBLOCK_PRESENT,
  PAGEBLOCK_UNKNOWN,
  type PageblockMap,
  summarizePageblockMap,
} from "../../lib/metrics/pageblock_map.ts";
import { machineSpecFromZoneinfo } from "../../lib/mm/machine_spec.ts";
import { PageAllocator } from "../../lib/mm/page_allocator.ts";
import { PageblockKnowledge } from "../../lib/replay/page/pageblock_knowledge.ts";
import { replayTrace } from "../../lib/replay/replay_trace.ts";
import { pageblockCensus, zonePageblockMaps } from "../../lib/replay/zone_pageblock_maps.ts";
import { parseSnapshotSet } from "../../lib/snapshot/bundle.ts";
import { bundleLayout } from "../../lib/snapshot/bundle_layout.ts";
import { parsePagetypeinfo } from "../../lib/snapshot/pagetypeinfo.ts";
import { parseZoneinfo } from "../../lib/snapshot/zoneinfo.ts";

async function replayBundle(dir: string) {
  const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name);
  const layout = bundleLayout(names);
  const texts: Record<string, Uint8Array> = {};
  for (const n of layout.snapshots) texts[n] = Deno.readFileSync(`${dir}/${n}`);
  const snapshots = parseSnapshotSet(texts);
  const file = await Deno.open(`${dir}/${layout.trace!}`);
  return await replayTrace(file.readable, { snapshots, metrics: true, slab: false });
}

/** "Number of blocks type" rows of a pagetypeinfo file, counted by awk: zone → 6 counts. */
function awkBlockCounts(path: string): Map<string, number[]> {
  const out = new Deno.Command("awk", {
    args: ["/^Number of blocks type/{on=1;next} on&&/^Node/{print $4,$5,$6,$7,$8,$9,$10}", path],
  }).outputSync();
  const m = new Map<string, number[]>();
  for (const line of new TextDecoder().decode(out.stdout).trim().split("\n")) {
    const [zone, ...n] = line.trim().split(/\s+/);
    m.set(zone!, n.map(Number));
  }
  return m;
}

function cellCounts(map: PageblockMap): number[] {
  const c = new Array<number>(MIGRATE_TYPES).fill(0);
  for (const mt of map.migratetype) if (mt < MIGRATE_TYPES) c[mt]!++;
  return c;
}

for (const dir of ["traces/demo", "../shared/traces/mixed"]) {
  Deno.test(`pageblock maps of ${dir}: counts are pagetypeinfo's, located cells within them`, async () => {
    const r = await replayBundle(dir);
    const before = awkBlockCounts(`${dir}/before.pagetypeinfo`);
    const after = awkBlockCounts(`${dir}/after.pagetypeinfo`);
    const maps = r.metrics!.pageblockMaps;
    assert.equal(maps.length, 3 * before.size);
    for (const map of maps) {
      const snap = map.label === "start" ? before : after;
      // awk's columns follow the file's header (Unmovable Movable Reclaimable HighAtomic Isolate).
      const want = new Array<number>(MIGRATE_TYPES).fill(0);
      const header = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"];
      header.forEach((name, k) => {
        const mt = (MIGRATE_TYPE_NAMES as readonly string[]).indexOf(name);
        want[mt] = map.difference
          ? after.get(map.zone)![k]! - before.get(map.zone)![k]!
          : snap.get(map.zone)![k]!;
      });
      assert.deepEqual(map.counts, want, `${map.zone} ${map.label}`);
      assert.equal(map.countsSource, "pagetypeinfo");
      const s = summarizePageblockMap(map);
      assert.deepEqual(s.perType.map((t) => t.blocks), want);
      const located = cellCounts(map);
      if (!map.difference) {
        located.forEach((n, mt) => assert.ok(n <= want[mt]!, `${map.zone} ${map.label} ${mt}`));
      }
      // Cells that are neither typed nor absent are drawn as unknown, never as a type.
      const drawn = located.reduce((a, b) => a + b, 0) + s.absent + s.unknown! + s.unchanged!;
      assert.equal(drawn, map.migratetype.length);
    }
  });
}

Deno.test("mixed: the 6 Unmovable pageblocks pagetypeinfo gains are the 6 the trace shows claimed", async () => {
  const r = await replayBundle("../shared/traces/mixed");
  const diff = r.metrics!.pageblockMaps.find((m) => m.zone === "Normal" && m.difference)!;
  // after − before of the pagetypeinfo files: Unmovable 337 − 331, Movable 1811 − 1817.
  assert.deepEqual(diff.counts!.slice(0, 3), [6, -6, 0]);
  assert.deepEqual(cellCounts(diff).slice(0, 3), [6, 0, 0]);
  // Normal spans 10752 pageblocks; only 2240 are present (pagetypeinfo) and where the other
  // present ones are nobody measured: no cell of the span is drawn absent.
  const start = r.metrics!.pageblockMaps.find((m) => m.zone === "Normal" && m.label === "start")!;
  assert.equal(start.migratetype.length, 10752);
  assert.equal(start.migratetype.filter((mt) => mt === PAGEBLOCK_ABSENT).length, 0);
  assert.ok(start.migratetype.filter((mt) => mt === PAGEBLOCK_UNKNOWN).length >= 10752 - 2240);
});

Deno.test("a zone whose pagetypeinfo counts leave one type open: present blocks get it", () => {
  const dir = "../shared/traces/mixed";
  const zoneinfo = parseZoneinfo(Deno.readTextFileSync(`${dir}/before.zoneinfo`));
  const pti = parsePagetypeinfo(Deno.readTextFileSync(`${dir}/before.pagetypeinfo`));
  const { machine, forced } = PageAllocator.withForcedState(machineSpecFromZoneinfo(zoneinfo), {
    initial: "unknown",
  });
  const k = new PageblockKnowledge(machine.pageblockMt.length);
  // DMA32 (pfn 0x1000…): pagetypeinfo has only Movable blocks. One block seen allocated.
  forced.carve(0x2000, 0);
  forced.setAllocated(0x2000, 0, 1);
  const census = pageblockCensus(machine);
  const maps = zonePageblockMaps(machine, {
    startCensus: census,
    endCensus: census,
    knowledge: k,
    before: pti,
    after: pti,
    startTsNs: 0,
    endTsNs: 1,
  });
  const dma32 = maps.find((m) => m.zone === "DMA32" && m.label === "start")!;
  const cell = (0x2000 - dma32.startPfn) >> 9;
  assert.equal(dma32.migratetype[cell], 1); // Movable by the count constraint
  assert.equal(dma32.freeKnown![cell], 0); // the rest of the block is unknown
  assert.equal(dma32.migratetype.filter((mt) => mt === PAGEBLOCK_UNKNOWN).length, 2039);
  // DMA: 8 blocks = pagetypeinfo's 8, so all present; 1 Unmovable + 7 Movable leave two types.
  const dma = maps.find((m) => m.zone === "DMA" && m.label === "start")!;
  assert.equal(dma.migratetype.filter((mt) => mt === PAGEBLOCK_PRESENT).length, 8);
});
