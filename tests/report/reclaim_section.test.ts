/**
 * The report of the memcg capture cut (traces/memcg-6.18-cut.txt.gz): the reclaim and compaction
 * section, its CSVs and summary.json, and the zone section's note when the emulation raised no
 * watermark events while the trace holds reclaim.
 */
import assert from "node:assert/strict";
import { buildReplayReport } from "../../lib/report/replay_report.ts";
import { replayTrace } from "../../lib/replay/replay_trace.ts";

const path = new URL("../../traces/memcg-6.18-cut.txt.gz", import.meta.url).pathname;
const r = await (async () => {
  using f = await Deno.open(path);
  return await replayTrace(f.readable, { file: path, metrics: true });
})();
const { files } = await buildReplayReport(r, { traceName: "memcg-6.18-cut.txt.gz" });
const text = (name: string) => files.get(name) as string;

Deno.test("memcg cut report: reclaim section, CSVs and Vega-Lite specs", () => {
  const html = text("index.html");
  assert.ok(html.includes('<section id="reclaim">'));
  assert.ok(html.includes("Reclaim and compaction (traced)"));
  assert.equal(
    text("reclaim_by_context.csv").trim(),
    [
      "context,runs,scanned_pages,reclaimed_pages,efficiency,end_reclaimed_pages",
      "memcg,67,16896,16896,1,17152",
      "other,0,512,256,0.5,0",
    ].join("\n"),
  );
  assert.ok(text("reclaim_stalls_by_comm.csv").includes("memcg_reclaim,dd,64,21.675,"));
  assert.ok(text("slab_shrink_by_shrinker.csv").includes("super_cache_scan+0x0,67,2,0,28"));
  for (const chart of ["reclaim_rate", "slab_shrink_by_shrinker", "reclaim_stalls_by_comm"]) {
    const spec = JSON.parse(text(`${chart}.vl.json`));
    assert.equal(spec.data.url, `${chart}.csv`);
  }
  assert.ok(
    !html.includes(
      "No would-be kswapd wakes, direct-reclaim entries or allocation failures were recorded",
    ),
  );
});

Deno.test("memcg cut report: summary.json gains the reclaim totals", () => {
  const s = JSON.parse(text("summary.json"));
  const rec = s.report.reclaim;
  assert.equal(rec.events, 404);
  assert.deepEqual(rec.byContext.map((c: { context: string }) => c.context), ["memcg", "other"]);
  assert.equal(rec.throttled[0].delayedMs, 52);
  // Keys that were there before stay.
  assert.ok("zones" in s.report && "allocations" in s.report && "trace" in s.report);
});
