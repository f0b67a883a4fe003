import assert from "node:assert/strict";
import { importTrace } from "../../lib/calls/trace_import.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";
import { CALL_NAMES } from "../../lib/calls/call_kind.ts";

const SMALL = new URL("../../traces/small-6.18", import.meta.url).pathname;

function fileStream(path: string): ReadableStream<Uint8Array> {
  return ReadableStream.from([Deno.readFileSync(path)]);
}

function bytesStream(text: string | Uint8Array): ReadableStream<Uint8Array> {
  return ReadableStream.from([typeof text === "string" ? new TextEncoder().encode(text) : text]);
}

// Counts checked with `zcat traces/small-6.18.txt.gz | grep -c ' kfree: '` etc. and
// `trace-cmd report -i traces/small-6.18.dat`.
const SMALL_COUNTS = {
  kmem_cache_free: 1845,
  kfree: 374,
  mm_page_free: 225,
  mm_page_free_batched: 217,
  kmalloc: 211,
  rss_stat: 125,
  kmem_cache_alloc: 103,
  mm_page_alloc: 47,
};

Deno.test("tracefs text, gzip: every line accounted for, counts equal grep -c", async () => {
  const s = await importTrace(fileStream(`${SMALL}.txt.gz`), () => {}, { file: "small.txt.gz" });
  assert.equal(s.format, "tracefs");
  assert.equal(s.compression, "gzip");
  assert.deepEqual(s.events.byKind, SMALL_COUNTS);
  assert.equal(s.events.total, 3147);
  // 3160 lines: 13 start with '#' (header + "##### CPU 0 buffer started ####").
  assert.deepEqual(s.lines, { total: 3160, parsed: 3147, unknown: 0, malformed: 0, comment: 13 });
  assert.equal(s.lost.markers, 1); // the buffer-started annotation
  assert.equal(s.features.kernel, "≥ 6.18 (kmem_cache_alloc name=)");
});

Deno.test("trace.dat v7 and v6.gz give the same summary and the same call stream", async () => {
  const rows: string[][] = [[], []];
  const files = [`${SMALL}.dat`, `${SMALL}-v6.dat.gz`];
  const sums = [];
  for (let k = 0; k < 2; k++) {
    sums.push(
      await importTrace(fileStream(files[k]!), (b, strings) => {
        for (let i = 0; i < b.length; i++) {
          rows[k]!.push(
            `${b.tsNs[i]} ${b.cpu[i]} ${CALL_NAMES[b.call[i]!]} ${b.pfn[i]} ${b.order[i]} ` +
              `${b.gfp[i]} ${b.ptrLo[i]} ${strings.get(b.callSite[i]!)} ${b.flags[i]}`,
          );
        }
      }),
    );
  }
  assert.equal(sums[0]!.format, "trace.dat");
  assert.deepEqual(sums[0]!.events.byKind, SMALL_COUNTS);
  assert.deepEqual(sums[1]!.events.byKind, SMALL_COUNTS);
  assert.deepEqual(sums[0]!.lost, { markers: 2, events: 291 });
  assert.equal(rows[0]!.length, 3147 - 217 + 2); // batched events annotate; 2 lost markers
  assert.deepEqual(rows[0], rows[1]);
});

Deno.test("text and trace.dat of the same buffer agree per kind and on every pfn", async () => {
  const pfns: number[][] = [[], []];
  const files = [`${SMALL}.txt.gz`, `${SMALL}.dat`];
  for (let k = 0; k < 2; k++) {
    await importTrace(fileStream(files[k]!), (b) => {
      for (let i = 0; i < b.length; i++) if (b.pfn[i]! >= 0) pfns[k]!.push(b.pfn[i]!);
    });
  }
  assert.equal(pfns[0]!.length, 47 + 225);
  assert.deepEqual(pfns[0], pfns[1]);
});

Deno.test("empty input, binary garbage and unknown text are clear errors naming the file", async () => {
  await assert.rejects(
    importTrace(bytesStream(""), () => {}, { file: "empty.txt" }),
    (e: unknown) => e instanceof TraceSyntaxError && /empty\.txt:1: empty input/.test(e.message),
  );
  const garbage = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) & 0xff);
  await assert.rejects(
    importTrace(bytesStream(garbage), () => {}, { file: "garbage.bin" }),
    (e: unknown) =>
      e instanceof TraceSyntaxError && /garbage\.bin:1: unknown format/.test(e.message),
  );
  await assert.rejects(
    importTrace(bytesStream("hello\nworld\n"), () => {}, { file: "words.txt" }),
    /words\.txt:1: unknown format.*: hello/,
  );
});

Deno.test("malformed lines are counted with their line numbers; strict mode stops at the first", async () => {
  const text = [
    "# tracer: nop",
    "            bash-8638    [001] .....   460.302161: mm_page_alloc: page=00000000fad31a98 pfn=0x18de48 order=0 migratetype=0 gfp_flags=GFP_KERNEL",
    "            bash-8638    [001] .....   460.302162: mm_page_alloc: page=00000000fad31a98 pfn=0xZZ order=0 migratetype=0 gfp_flags=GFP_KERNEL",
    "this line is not an event",
    "            bash-8638    [001] .....   460.302163: sched_switch: prev_comm=bash",
    "            bash-8638    [001] .....   460.302164: mm_page_free: page=00000000fad31a98 pfn=0x18de48 ord",
  ].join("\n");
  const s = await importTrace(bytesStream(text), () => {}, { file: "bad.txt" });
  assert.deepEqual(s.lines, { total: 6, parsed: 1, unknown: 1, malformed: 3, comment: 1 });
  assert.deepEqual(s.unknownEvents, { sched_switch: 1 });
  assert.deepEqual(s.diagnostics.examples.map((d) => [d.code, d.line]), [
    ["malformed-fields", 3],
    ["malformed-line", 4],
    ["malformed-fields", 6],
  ]);
  await assert.rejects(
    importTrace(bytesStream(text), () => {}, { file: "bad.txt", strict: true }),
    (e: unknown) => e instanceof TraceSyntaxError && e.line === 3 && e.file === "bad.txt",
  );
});

Deno.test("a tracefs trace with its header and no events is an empty trace, not an error", async () => {
  const header = "# tracer: nop\n#\n# entries-in-buffer/entries-written: 0/0   #P:2\n#\n";
  const s = await importTrace(bytesStream(header), () => {});
  assert.equal(s.format, "tracefs");
  assert.equal(s.events.total, 0);
  assert.deepEqual(s.lines, { total: 4, parsed: 0, unknown: 0, malformed: 0, comment: 4 });
});
