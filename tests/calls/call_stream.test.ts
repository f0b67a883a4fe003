/**
 * Specification of the calls phase: events → allocator calls in timestamp order, with
 * mm_page_free_batched folded into the mm_page_free it belongs to.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { CallBatch } from "../../lib/calls/call_batch.ts";
import { Call, CALL_NAMES } from "../../lib/calls/call_kind.ts";
import { CallStream, type CallStreamOptions } from "../../lib/calls/call_stream.ts";
import { EventBatch, EventFlag } from "../../lib/trace/event_batch.ts";
import { Ev } from "../../lib/trace/event_kind.ts";
import { TextTraceParser } from "../../lib/trace/text/text_parser.ts";
import { MIXED_DIR } from "../shared_data.ts";

function sample(name: string): Uint8Array {
  return new Uint8Array(
    gunzipSync(Deno.readFileSync(new URL(`../../traces/${name}`, import.meta.url))),
  );
}

interface Out {
  stream: CallStream;
  /** Delivered rows: [call, kind, tsNs, cpu, pfn, flags, source line]. */
  rows: number[][];
  batches: number;
}

function run(feed: (push: (b: EventBatch) => void) => void, opts: CallStreamOptions = {}): Out {
  const rows: number[][] = [];
  let batches = 0;
  const stream = new CallStream((b: CallBatch) => {
    batches++;
    for (let i = 0; i < b.length; i++) {
      rows.push([
        b.call[i]!,
        b.kind[i]!,
        b.tsNs[i]!,
        b.cpu[i]!,
        b.pfn[i]!,
        b.flags[i]!,
        b.source[i]!,
      ]);
    }
  }, opts);
  feed((b) => stream.push(b));
  stream.end();
  return { stream, rows, batches };
}

function fromSample(name: string, opts: CallStreamOptions = {}): Out & { parser: TextTraceParser } {
  let parser!: TextTraceParser;
  const out = run((push) => {
    parser = new TextTraceParser(push, { batchRows: 500 });
    parser.feed(sample(name));
    parser.end();
  }, opts);
  return { ...out, parser };
}

function byCall(stream: CallStream): Record<string, number> {
  const r: Record<string, number> = {};
  stream.stats.byKind.forEach((n, i) => {
    if (n > 0) r[CALL_NAMES[i]!] = n;
  });
  return r;
}

Deno.test("mixed cut: calls per kind follow the event counts (grep -c), batched is no call", () => {
  const { stream, rows, parser } = fromSample("mixed-6.18-cut.txt.gz");
  assert.deepEqual(byCall(stream), {
    page_alloc: 341,
    page_free: 242,
    buddy_take: 133,
    pcp_drain: 63,
    fallback: 3,
    slab_alloc: 153 + 1212, // kmalloc + kmem_cache_alloc
    slab_free: 399 + 752, // kfree + kmem_cache_free
    vmap_alloc: 1,
    vmap_free: 2,
    compaction_info: 1, // kcompactd_sleep
  });
  assert.equal(stream.stats.total, parser.lines.parsed - 155);
  assert.equal(rows.length, 3457 - 155);
  // The events of the sample are already in time order: nothing late, nothing reordered.
  assert.equal(stream.stats.late, 0);
  assert.equal(stream.stats.windowOverflows, 0);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]![2]! >= rows[i - 1]![2]!);
  assert.deepEqual(rows.map((r) => r[6]), [...rows.map((r) => r[6]!)].sort((x, y) => x - y));
});

Deno.test("mixed cut: every mm_page_free_batched annotates exactly one mm_page_free", () => {
  const { stream, rows } = fromSample("mixed-6.18-cut.txt.gz");
  assert.equal(stream.stats.batchedAnnotated, 155);
  assert.equal(stream.stats.batchedUnmatched, 0);
  const batchedFrees = rows.filter((r) => r[0] === Call.PAGE_FREE && (r[5]! & EventFlag.BATCHED));
  assert.equal(batchedFrees.length, 155);
  // line 152 is the mm_page_free of pfn 0x1d9227 that line 160 (mm_page_free_batched) annotates
  const f = rows.find((r) => r[6] === 152)!;
  assert.deepEqual([f[0], f[4], f[5]! & EventFlag.BATCHED], [
    Call.PAGE_FREE,
    0x1d9227,
    EventFlag.BATCHED,
  ]);
});

Deno.test("fresh captures: batched events whose free was lost stay unmatched", () => {
  // grep -c: pipe 1216 batched, tgid 1273. The unmatched ones are exactly the batched lines
  // right after a gap whose mm_page_free was overwritten: pipe lines 3–5 (after
  // `CPU:0 [LOST 28249 EVENTS]`) and 1434–1436 (after `CPU:1 [LOST 42777 EVENTS]`); tgid lines
  // 1499–1525 (after `##### CPU 1 buffer started ####`). Checked with a script pairing
  // (cpu, pfn) of each batched line with an earlier free.
  const cases = [["fresh-6.18-pipe.txt.gz", 1216, 6], [
    "fresh-6.18-tgid.txt.gz",
    1273,
    27,
  ]] as const;
  for (const [name, batched, unmatched] of cases) {
    const { stream, rows } = fromSample(name);
    const s = stream.stats;
    assert.equal(s.batchedUnmatched, unmatched, name);
    assert.equal(s.batchedAnnotated, batched - unmatched, name);
    const flagged = rows.filter((r) => r[0] === Call.PAGE_FREE && (r[5]! & EventFlag.BATCHED));
    assert.equal(flagged.length, s.batchedAnnotated, name);
  }
});

Deno.test("≤ v4.14 order: the batched event before its free annotates the next free", () => {
  const lines = [
    "  bash-1 [000] d... 1.000001: mm_page_free_batched: page=ffffea0000000040 pfn=100 order=0 cold=0",
    "  bash-1 [000] d... 1.000002: mm_page_free: page=ffffea0000000040 pfn=100 order=0",
    "  bash-1 [000] d... 1.000003: mm_page_free_batched: page=ffffea0000000080 pfn=200 order=0 cold=0",
    "  bash-1 [000] d... 1.000004: mm_page_free: page=ffffea00000000c0 pfn=300 order=0",
  ].join("\n") + "\n";
  const out = run((push) => {
    const p = new TextTraceParser(push);
    p.feed(new TextEncoder().encode(lines));
    p.end();
  });
  assert.deepEqual(out.rows.map((r) => [r[4], r[5]]), [[100, EventFlag.BATCHED], [300, 0]]);
  assert.equal(out.stream.stats.batchedAnnotated, 1);
  assert.equal(out.stream.stats.batchedUnmatched, 1);
});

/** An event batch of mm_page_free rows with the given timestamps (pfn = index). */
function frees(tsNs: number[], cpu = 0): EventBatch {
  const b = new EventBatch(tsNs.length);
  tsNs.forEach((t, i) => {
    const j = b.push(Ev.mm_page_free, t, cpu);
    b.pfn[j] = i;
    b.order[j] = 0;
    b.source[j] = i + 1;
  });
  return b;
}

Deno.test("reorder window: out-of-order input inside the window comes out sorted, stably", () => {
  // CPU interleaving: two CPUs' events 1 µs apart, arriving in blocks.
  const ts = [10, 30, 50, 20, 40, 60, 60, 55].map((x) => x * 1000);
  const out = run((push) => push(frees(ts)));
  assert.deepEqual(out.rows.map((r) => r[2]! / 1000), [10, 20, 30, 40, 50, 55, 60, 60]);
  // equal timestamps keep input order (pfn 5 before pfn 6)
  assert.deepEqual(out.rows.filter((r) => r[2] === 60_000).map((r) => r[4]), [5, 6]);
  assert.equal(out.stream.stats.late, 0);
  assert.equal(out.stream.stats.total, 8);
});

Deno.test("reorder window: rows older than what was delivered are passed through and counted late", () => {
  const windowNs = 1_000_000;
  const out = run((push) => {
    // enough rows, spread over 40 ms, to make the stream deliver the old ones (it holds at least
    // 8192 rows: twice the batched-annotation lookback)
    const n = 16000;
    push(frees(Array.from({ length: n }, (_, i) => i * 2500)));
    // 3 stragglers from the very beginning
    push(frees([100, 200, 300], 1));
  }, { reorderWindowNs: windowNs, batchRows: 256, maxPendingRows: 2048 });
  const s = out.stream.stats;
  assert.equal(s.total, 16003);
  assert.equal(s.late, 3);
  const late = out.rows.filter((r) => r[3] === 1);
  assert.deepEqual(late.map((r) => r[2]), [100, 200, 300]);
  // everything except the late rows is in time order
  const rest = out.rows.filter((r) => r[3] === 0).map((r) => r[2]!);
  for (let i = 1; i < rest.length; i++) assert.ok(rest[i]! > rest[i - 1]!);
});

Deno.test("window overflow: a full window delivers its older half early and counts it", () => {
  const out = run((push) => {
    // all rows inside one 2 ms window: only the row bound can force delivery
    push(frees(Array.from({ length: 20000 }, (_, i) => i)));
  }, { batchRows: 256, maxPendingRows: 2048 });
  assert.ok(out.stream.stats.windowOverflows > 0);
  assert.equal(out.stream.stats.total, 20000);
  assert.equal(out.stream.stats.late, 0);
  for (let i = 1; i < out.rows.length; i++) assert.ok(out.rows[i]![2]! > out.rows[i - 1]![2]!);
});

Deno.test("delivered batches are CallBatches of at most batchRows rows", () => {
  const sizes: number[] = [];
  let allCallBatches = true;
  const s = new CallStream((b) => {
    allCallBatches &&= b instanceof CallBatch && b.tsNs.length >= b.length;
    sizes.push(b.length);
  }, { batchRows: 100 });
  s.push(frees(Array.from({ length: 250 }, (_, i) => i * 10)));
  s.end();
  assert.deepEqual(sizes, [100, 100, 50]);
  assert.ok(allCallBatches);
});

Deno.test("lost-event markers become LOST calls in place", () => {
  const { stream, rows } = fromSample("fresh-6.18-lost-pipe.txt.gz");
  assert.equal(stream.stats.byKind[Call.LOST], 4);
  const lost = rows.filter((r) => r[0] === Call.LOST);
  assert.deepEqual(lost.map((r) => [r[3], r[6]]), [[1, 1], [0, 135], [1, 333], [1, 1348]]);
});

Deno.test("the whole shared capture: every mm_page_free_batched annotates its mm_page_free", async () => {
  const { openTraceStream } = await import("../../lib/trace/input_stream.ts");
  let flagged = 0;
  const stream = new CallStream((b) => {
    for (let i = 0; i < b.length; i++) {
      if (b.call[i] === Call.PAGE_FREE && (b.flags[i]! & EventFlag.BATCHED)) flagged++;
    }
  });
  const parser = new TextTraceParser((ev) => stream.push(ev));
  const f = await Deno.open(MIXED_DIR + "trace.txt.gz");
  for await (const c of (await openTraceStream(f.readable)).chunks) parser.feed(c);
  parser.end();
  stream.end();
  // grep -c: 99195 mm_page_free_batched; a pairing script finds each one's mm_page_free on the
  // same CPU, the farthest 2023 lines earlier (line 1063880 and its free at 1061857).
  assert.equal(stream.stats.batchedAnnotated, 99195);
  assert.equal(stream.stats.batchedUnmatched, 0);
  assert.equal(flagged, 99195);
  assert.equal(stream.stats.late, 0);
  // 1065358 events - 99195 batched annotations = calls
  assert.equal(stream.stats.total, 1065358 - 99195);
});
