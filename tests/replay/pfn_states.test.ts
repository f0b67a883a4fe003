import assert from "node:assert/strict";
import { PageState } from "../../lib/mm/page_allocator.ts";
import { replayTrace } from "../../lib/replay/replay_trace.ts";
import { parseSnapshotSet } from "../../lib/snapshot/bundle.ts";
import { bundleLayout } from "../../lib/snapshot/bundle_layout.ts";

async function replayBundle(dir: URL, keepPfnStates?: boolean) {
  const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name);
  const layout = bundleLayout(names);
  const texts: Record<string, Uint8Array> = {};
  for (const n of layout.snapshots) texts[n] = Deno.readFileSync(new URL(n, dir));
  const snapshots = parseSnapshotSet(texts);
  const file = await Deno.open(new URL(layout.trace!, dir));
  return { r: await replayTrace(file.readable, { snapshots, keepPfnStates }), snapshots };
}

for (const name of ["demo", "compact-6.18"]) {
  Deno.test(`pfn states: ${name}: per zone, located buddy pages = free pages − unlocated`, async () => {
    const { r, snapshots } = await replayBundle(
      new URL(`../../traces/${name}/`, import.meta.url),
      true,
    );
    const st = r.pfnStates!;
    const zis = snapshots.after.zoneinfo!.filter((z) => z.populated);
    assert.ok(st.length >= Math.max(...zis.map((z) => z.startPfn + z.spannedPages)));
    for (const z of r.pages.zones) {
      const zi = snapshots.after.zoneinfo!.find((x) => x.node === z.node && x.name === z.name)!;
      let buddy = 0;
      for (let p = zi.startPfn; p < zi.startPfn + zi.spannedPages; p++) {
        if (st[p] === PageState.BUDDY) buddy++;
      }
      const unlocated = z.unlocatedBlocks.reduce((a, n, o) => a + n * 2 ** o, 0);
      assert.equal(buddy, z.freePages - unlocated, `${name} ${z.name}`);
      // compaction frees pages at pfns the trace names: some buddy blocks are located
      if (name === "compact-6.18" && z.name === "Normal") assert.ok(buddy > 1000, `${buddy}`);
    }
  });
}

Deno.test("pfn states: kept only when asked or when the after-snapshots have kpageflags", async () => {
  const { r } = await replayBundle(new URL("../../traces/demo/", import.meta.url));
  assert.equal(r.pfnStates, undefined);
});
