import assert from "node:assert/strict";
import { parseZoneinfo } from "../../lib/snapshot/zoneinfo.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

const MIXED = new URL("../../../shared/traces/mixed/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, MIXED));

Deno.test("zoneinfo: 6.18 before.zoneinfo gives five zones, two of them unpopulated", () => {
  const zones = parseZoneinfo(read("before.zoneinfo"), "before.zoneinfo");
  assert.deepEqual(zones.map((z) => z.name), ["DMA", "DMA32", "Normal", "Movable", "Device"]);
  assert.deepEqual(zones.map((z) => z.populated), [true, true, true, false, false]);
  assert.deepEqual(zones.map((z) => z.startPfn), [1, 4096, 1048576, 0, 0]);
  const dma = zones[0]!;
  // The per-node block above DMA's `pages free` must not leak into the zone.
  assert.deepEqual(
    [dma.freePages, dma.boostPages, dma.minPages, dma.lowPages, dma.highPages, dma.promoPages],
    [3840, 0, 33, 41, 49, 57],
  );
  assert.deepEqual([dma.spannedPages, dma.presentPages, dma.managedPages], [4095, 3998, 3840]);
  assert.deepEqual(dma.protection, [0, 3019, 7499, 7499, 7499]);
  const normal = zones[2]!;
  assert.deepEqual(normal.pagesets, [
    { cpu: 0, count: 17647, high: 48020, batch: 63, highMin: 6295, highMax: 71680 },
    { cpu: 1, count: 40008, high: 54880, batch: 63, highMin: 6295, highMax: 71680 },
  ]);
  assert.deepEqual(zones[3]!.pagesets, []);
  assert.equal(zones[3]!.minPages, 32);
});

Deno.test("zoneinfo: after.zoneinfo values (grep 'pages free' / 'count:')", () => {
  const zones = parseZoneinfo(read("after.zoneinfo"));
  assert.deepEqual(zones.map((z) => z.freePages), [3840, 772917, 241722, 0, 0]);
  assert.deepEqual(zones[2]!.pagesets.map((p) => p.count), [12704, 38849]);
  assert.equal(zones[2]!.managedPages, 1146880);
});

// Layout of v4.4 (mm/vmstat.c zoneinfo_show_print): no per-node block, `scanned`, vmstat items
// before `protection:`, no boost/promo/cma, pagesets without high_min/high_max.
const V4_4 = `Node 0, zone      DMA
  pages free     3975
        min      33
        low      41
        high     49
        scanned  0
        spanned  4095
        present  3998
        managed  3977
    nr_free_pages 3975
    nr_alloc_batch 8
    nr_inactive_anon 0
        protection: (0, 2939, 7919, 7919)
  pagesets
    cpu: 0
              count: 0
              high:  0
              batch: 1
  vm stats threshold: 6
    cpu: 1
              count: 2
              high:  0
              batch: 1
  vm stats threshold: 6
  all_unreclaimable: 0
  start_pfn:         1
  inactive_ratio:    1
Node 0, zone    DMA32
  pages free     600000
        min      5000
        low      6250
        high     7500
        scanned  0
        spanned  1044480
        present  782288
        managed  759000
    nr_free_pages 600000
        protection: (0, 0, 4980, 4980)
  pagesets
    cpu: 0
              count: 150
              high:  186
              batch: 31
  vm stats threshold: 36
  all_unreclaimable: 0
  start_pfn:         4096
  inactive_ratio:    5
`;

Deno.test("zoneinfo: pre-4.8 layout (scanned, vmstat before protection, no boost/promo)", () => {
  const zones = parseZoneinfo(V4_4, "v4.4.zoneinfo");
  assert.equal(zones.length, 2);
  const [dma, dma32] = zones;
  assert.deepEqual(dma!.protection, [0, 2939, 7919, 7919]);
  assert.equal(dma!.promoPages, null);
  assert.equal(dma!.boostPages, 0);
  assert.equal(dma!.managedPages, 3977);
  assert.deepEqual(dma!.pagesets[1], {
    cpu: 1,
    count: 2,
    high: 0,
    batch: 1,
    highMin: null,
    highMax: null,
  });
  assert.equal(dma32!.startPfn, 4096);
  assert.equal(dma32!.pagesets[0]!.batch, 31);
});

Deno.test("zoneinfo: v5.x layout with per-node stats and boost but no promo line", () => {
  const text = `Node 0, zone   Normal
  per-node stats
      nr_inactive_anon 100
      nr_active_anon 200
  pages free     1000
        boost    64
        min      10
        low      20
        high     30
        spanned  4096
        present  4096
        managed  4000
        protection: (0, 0, 0, 0)
      nr_free_pages 1000
  pagesets
    cpu: 0
              count: 7
              high:  378
              batch: 63
  vm stats threshold: 24
  node_unreclaimable:  0
  start_pfn:           1048576
`;
  const [z] = parseZoneinfo(text);
  assert.deepEqual(
    [z!.freePages, z!.boostPages, z!.highPages, z!.promoPages, z!.startPfn],
    [1000, 64, 30, null, 1048576],
  );
  assert.equal(z!.pagesets[0]!.count, 7);
});

Deno.test("zoneinfo: bad input is a TraceSyntaxError naming the place", () => {
  assert.throws(
    () => parseZoneinfo("  pages free 1\n", "z"),
    (e: unknown) => e instanceof TraceSyntaxError && e.line === 1 && e.file === "z",
  );
  const noManaged = V4_4.replace("        managed  3977\n", "");
  assert.throws(
    () => parseZoneinfo(noManaged, "z"),
    (e: unknown) => e instanceof TraceSyntaxError && /lacks 'managed'/.test(e.message),
  );
  const garbage = V4_4.replace("        low      41", "        low      forty-one");
  assert.throws(
    () => parseZoneinfo(garbage, "z"),
    (e: unknown) => e instanceof TraceSyntaxError && e.line === 4,
  );
  const badProt = V4_4.replace("(0, 2939, 7919, 7919)", "(0, x)");
  assert.throws(() => parseZoneinfo(badProt), TraceSyntaxError);
  const noCount = V4_4.replace("              count: 2\n", "");
  assert.throws(() => parseZoneinfo(noCount), /pageset of cpu 1 lacks count/);
});

Deno.test("zoneinfo: a span no kernel can print is an error at its spanned line (issue 16 item 1)", () => {
  const text = read("before.zoneinfo");
  const lines = text.split("\n");
  const at = lines.findIndex((l) => /^\s+spanned\s+5505024$/.test(l)); // Normal, grep -n
  assert.ok(at > 0);
  const huge = text.replace(/(zone\s+Normal[\s\S]*?spanned\s+)5505024/, "$11099511627776");
  assert.throws(
    () => parseZoneinfo(huge, "before.zoneinfo"),
    (e: unknown) =>
      e instanceof TraceSyntaxError && e.line === at + 1 && e.file === "before.zoneinfo" &&
      /beyond the 52-bit physical address space/.test(e.message),
  );
  const overPresent = text.replace(/(zone\s+Normal[\s\S]*?spanned\s+)5505024/, "$1100");
  assert.throws(() => parseZoneinfo(overPresent, "z"), /spanned 100 ≥ present \d+ ≥ managed/);
});
