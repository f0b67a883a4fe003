import assert from "node:assert/strict";
import { KmemMetrics } from "../../lib/metrics/kmem_metrics.ts";
import { buildReportContent } from "../../lib/report/report_content.ts";
import type { ReportInput } from "../../lib/report/report_input.ts";
import {
  MIXED_FIRST_TS_NS,
  MIXED_LAST_TS_NS,
  readSnapshotZones,
} from "../metrics/real_snapshot_fixture.ts";

/** The mixed capture's before/after zone snapshots as the only samples, one allocation. */
function input(machine?: ReportInput["machine"]): ReportInput {
  const m = new KmemMetrics({ originTsNs: MIXED_FIRST_TS_NS });
  for (
    const [which, tsNs] of [["before", MIXED_FIRST_TS_NS], ["after", MIXED_LAST_TS_NS]] as const
  ) {
    for (const z of readSnapshotZones(which)) {
      m.addZoneSample({
        tsNs,
        zone: z.zone,
        freePages: z.freePages,
        freeBlocks: z.nrFree,
        freeBlocksByType: z.byType,
        minPages: z.minPages,
        lowPages: z.lowPages,
        highPages: z.highPages,
      });
    }
  }
  m.addPageAlloc(0, 1, 0, "bash");
  return {
    summary: {
      traceName: "mixed",
      traceFormat: "text",
      kernelRelease: "6.18",
      firstTsNs: MIXED_FIRST_TS_NS,
      lastTsNs: MIXED_LAST_TS_NS,
      events: 0,
      lostEvents: 0,
      desyncs: 0,
    },
    metrics: m.finish(),
    ...(machine ? { machine } : {}),
  };
}

type Enc = { y: { title: string }; x: { title: string } };
const yTitle = (c: ReturnType<typeof buildReportContent>, name: string) => {
  const spec = c.charts.find((x) => x.name === name)!.spec as {
    vconcat?: { encoding: Enc }[];
    encoding?: Enc;
  };
  return (spec.vconcat?.[0]?.encoding ?? spec.encoding)!;
};

Deno.test("report units follow the machine: 4 KiB pages by default, 64 KiB pages when asked", () => {
  const base = buildReportContent(input());
  assert.equal(yTitle(base, "zone_pages").y.title, "pages (4 KiB)");
  assert.equal(yTitle(base, "alloc_by_comm").x.title, "pages allocated (4 KiB)");
  const big = buildReportContent(input({ pageSizeBytes: 65536, pageblockOrder: 5 }));
  assert.equal(yTitle(big, "zone_pages").y.title, "pages (64 KiB)");
  assert.equal(yTitle(big, "alloc_by_comm").x.title, "pages allocated (64 KiB)");
});

Deno.test("every time chart of a report shares the trace's span (460.302128 … 463.62983 s)", () => {
  const c = buildReportContent(input());
  const zonePages = yTitle(c, "zone_pages").x as unknown as { scale: { domain: number[] } };
  assert.deepEqual(zonePages.scale.domain, [460.302128, 463.62983]);
  // A second report of another span built afterwards does not leak into the first one's specs.
  const other = input();
  other.summary = { ...other.summary, firstTsNs: 1e9, lastTsNs: 2e9 };
  buildReportContent(other);
  assert.deepEqual(zonePages.scale.domain, [460.302128, 463.62983]);
  assert.deepEqual(c.sections.map((s) => s.id), [
    "zones",
    "reclaim",
    "fragmentation",
    "pageblocks",
    "slab",
    "allocations",
    "trace",
  ]);
});
