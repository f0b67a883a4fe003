/**
 * Values the kernel cannot print are positioned diagnostics (malformed lines in tolerant mode, a
 * TraceSyntaxError with --strict), never sizes: the minimal reproducers of the fuzz campaign of
 * issue 16, hand-made because they are malformed by design. A perf line for a thread perf has no
 * record of and a PREEMPT_RT 6.1 line (7-character irq-flags column) are real output and parse.
 */
import assert from "node:assert/strict";
import { printable, TraceSyntaxError } from "../../../lib/trace/diagnostics.ts";
import { type EventBatch } from "../../../lib/trace/event_batch.ts";
import { EVENT_NAMES } from "../../../lib/trace/event_kind.ts";
import { MAX_CPUS, TextTraceParser } from "../../../lib/trace/text/text_parser.ts";

const OK = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0";
const KMALLOC = (sizes: string) =>
  `  bash-1 [000] ..... 1.000003: kmalloc: call_site=x+0x1/0x2 ptr=ffff888100000000 ${sizes} ` +
  "gfp_flags=GFP_KERNEL";

function parse(lines: string[], strict = false) {
  const rows: Array<{ event: string; cpu: number; pid: number; comm: string }> = [];
  const p = new TextTraceParser((b: EventBatch) => {
    for (let i = 0; i < b.length; i++) {
      rows.push({
        event: EVENT_NAMES[b.kind[i]!]!,
        cpu: b.cpu[i]!,
        pid: b.pid[i]!,
        comm: p.strings.get(b.comm[i]!),
      });
    }
  }, { file: "t.txt", strict });
  p.feed(new TextEncoder().encode(lines.join("\n") + "\n"));
  p.end();
  return { p, rows };
}

/** The one bad line (between two good ones) is malformed with `code` at line 2, and fails --strict. */
function rejects(bad: string, code: string, says: RegExp): void {
  const { p, rows } = parse([OK, bad, OK]);
  assert.deepEqual(p.lines, { total: 3, parsed: 2, unknown: 0, malformed: 1, comment: 0 });
  assert.equal(rows.length, 2);
  assert.deepEqual(Object.fromEntries(p.diagnostics.counts), { [code]: 1 });
  assert.equal(p.diagnostics.examples[0]!.line, 2);
  assert.match(p.diagnostics.examples[0]!.message, says);
  assert.throws(() => parse([OK, bad, OK], true), (e) => {
    assert.ok(e instanceof TraceSyntaxError);
    assert.match(e.message, /^t\.txt:2: /);
    return true;
  });
}

Deno.test("a CPU column beyond NR_CPUS is malformed, not a table size (stats peaked at 2.4 GB)", () => {
  rejects(OK.replace("[000]", "[300000000]"), "cpu-out-of-range", /CPU 300000000 beyond .*8192/);
  rejects(OK.replace("[000]", "[4294967296]"), "cpu-out-of-range", /CPU of 10\+ digits/);
  rejects(OK.replace("[000]", `[${"9".repeat(400)}]`), "cpu-out-of-range", /CPU/);
  rejects(OK.replace("[000]", `[${MAX_CPUS}]`), "cpu-out-of-range", /CPU 8192 beyond/);
  // The largest CPU number is fine.
  const { rows } = parse([OK.replace("[000]", `[${MAX_CPUS - 1}]`)]);
  assert.equal(rows[0]!.cpu, MAX_CPUS - 1);
});

Deno.test("trace-cmd's cpus= header bounds the CPU column and lost markers", () => {
  const line = OK.replace("[000]", "[002]");
  const { p } = parse(["cpus=2", line, "CPU:5 [3 EVENTS DROPPED]"]);
  assert.equal(p.headerCpus, 2);
  assert.deepEqual(p.lines, { total: 3, parsed: 0, unknown: 0, malformed: 2, comment: 1 });
  assert.deepEqual(Object.fromEntries(p.diagnostics.counts), { "cpu-out-of-range": 2 });
  assert.match(p.diagnostics.examples[0]!.message, /beyond the header's cpus=2/);
  const bad = parse(["cpus=99999", OK]);
  assert.deepEqual(Object.fromEntries(bad.p.diagnostics.counts), { "cpu-out-of-range": 1 });
});

Deno.test("pfn=-1, pfn ≥ 2^64 and pfns beyond 2^53 are malformed; (unsigned long)-1 is no page", () => {
  rejects(OK.replace("pfn=0x10", "pfn=-1"), "malformed-fields", /negative pfn=/);
  rejects(OK.replace("pfn=0x10", "pfn=0x10000000000000000"), "malformed-fields", /beyond 64 bits/);
  rejects(OK.replace("pfn=0x10", "pfn=0xf000000000000000"), "malformed-fields", /out of range/);
  rejects(OK.replace("pfn=0x10", "pfn=99999999999999999999"), "malformed-fields", /out of range/);
  const failed = "  bash-1 [000] ..... 1.000002: mm_page_alloc: page=0000000000000000 pfn=";
  const tail = " order=0 migratetype=0 gfp_flags=GFP_KERNEL";
  for (const pfn of ["0xffffffffffffffff", "18446744073709551615"]) {
    const { p } = parse([failed + pfn + tail]);
    assert.equal(p.lines.parsed, 1, pfn);
  }
});

Deno.test("slab sizes: bytes_req < 0, bytes_alloc ≤ 0, bytes_req > bytes_alloc, huge bytes_alloc", () => {
  rejects(KMALLOC("bytes_req=-11 bytes_alloc=16"), "malformed-fields", /negative bytes_req=/);
  rejects(KMALLOC("bytes_req=8 bytes_alloc=0"), "malformed-fields", /bytes_alloc= must be > 0/);
  rejects(KMALLOC("bytes_req=8 bytes_alloc=-8"), "malformed-fields", /bytes_alloc= must be > 0/);
  rejects(KMALLOC("bytes_req=64 bytes_alloc=32"), "malformed-fields", /above bytes_alloc=/);
  rejects(
    KMALLOC("bytes_req=8 bytes_alloc=4294967296"),
    "malformed-fields",
    /above the largest kmalloc \(4194304\)/,
  );
  // A failed large kmalloc prints the size it asked for.
  const { p } = parse([
    KMALLOC("bytes_req=8589934592 bytes_alloc=8589934592").replace("ffff888100000000", "0"),
  ]);
  assert.equal(p.lines.parsed, 1);
});

Deno.test("a lost-event count beyond 2^53 is malformed instead of an inexact sum", () => {
  rejects("CPU:1 [LOST 18446744073709551616 EVENTS]", "lost-out-of-range", /beyond 2\^53/);
  const { p } = parse([OK, "CPU:1 [LOST 9007199254740991 EVENTS]"]);
  assert.equal(p.lost.events, 9007199254740991);
});

Deno.test("NUL and control-byte prefixes do not become part of a comm; messages escape them", () => {
  rejects(`\0\0\x1b[31m${OK}`, "bad-comm", /control bytes: \\x00\\x00\\x1b\[31m {2}bash-1/);
  rejects(`${"x".repeat(70)}${OK}`, "bad-comm", /more than 64 bytes/);
  // A comm with spaces and non-ASCII letters is real (traces/fresh-6.18-comm.txt.gz).
  const { rows } = parse([OK.replace("  bash-1", "  wörk-é/ü x-22192")]);
  assert.equal(rows[0]!.comm, "wörk-é/ü x");
  assert.equal(printable("a\u202eb\u0007\u009b"), "a\\u{202e}b\\x07\\x9b");
});

Deno.test("perf script prints a thread it has no record of as `:-1    -1`: a valid line", () => {
  const line = ":-1    -1 [001]   335.005513: kmem:kmem_cache_alloc: " +
    "call_site=__send_signal_locked+0x98 ptr=0xffff888105734cd0 bytes_req=232 bytes_alloc=232 " +
    "gfp_flags=GFP_ATOMIC node=-1 accounted=true";
  const { p, rows } = parse([line]);
  assert.equal(p.format, "perf-script");
  assert.equal(p.lines.parsed, 1);
  assert.deepEqual(rows[0], { event: "kmem_cache_alloc", cpu: 1, pid: -1, comm: ":-1" });
});

Deno.test("PREEMPT_RT 6.1's 7-character irq-flags column parses; a header's `|` run fixes the width", () => {
  const rt = "  init-1       [001] .......     6.748750: kmem_cache_alloc: " +
    "call_site=getname_flags.part.0+0x2b/0x1c0 ptr=00000000f8f69d07 bytes_req=4096 " +
    "bytes_alloc=4096 gfp_flags=GFP_KERNEL node=-1 accounted=false";
  const { p, rows } = parse([rt]);
  assert.equal(p.lines.parsed, 1);
  assert.equal(p.features.flagsWidth, 7);
  assert.deepEqual(rows[0], { event: "kmem_cache_alloc", cpu: 1, pid: 1, comm: "init" });
  // With a header announcing 5 flags, a 7-character column does not match.
  const header = "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION";
  const h = parse([header, OK, rt]);
  assert.deepEqual(h.p.lines, { total: 3, parsed: 1, unknown: 0, malformed: 1, comment: 1 });
});

Deno.test("a real 6.1 PREEMPT_RT capture (traces/rt-6.1-cut.txt.gz) parses every event line", async () => {
  const gz = await Deno.readFile(new URL("../../../traces/rt-6.1-cut.txt.gz", import.meta.url));
  const { gunzipSync } = await import("node:zlib");
  const counts = new Map<string, number>();
  const p = new TextTraceParser((b: EventBatch) => {
    for (let i = 0; i < b.length; i++) {
      const e = EVENT_NAMES[b.kind[i]!]!;
      counts.set(e, (counts.get(e) ?? 0) + 1);
    }
  }, { file: "rt-6.1-cut.txt.gz", strict: true });
  p.feed(new Uint8Array(gunzipSync(gz)));
  p.end();
  // zcat | grep -c '' → 20014; grep -c '^#' → 14; grep -c ' \[[0-9]*\] ....... ' → 20000.
  assert.deepEqual(p.lines, { total: 20014, parsed: 20000, unknown: 0, malformed: 0, comment: 14 });
  assert.equal(p.features.flagsWidth, 7);
  assert.equal(p.format, "tracefs");
  // grep -c ' EVENT: ' per event.
  assert.deepEqual(Object.fromEntries([...counts].sort()), {
    kfree: 992,
    kmalloc: 600,
    kmem_cache_alloc: 4900,
    kmem_cache_free: 6104,
    mm_compaction_kcompactd_sleep: 2,
    mm_page_alloc: 2422,
    mm_page_alloc_zone_locked: 207,
    mm_page_free: 2624,
    mm_page_free_batched: 2149,
  });
  // grep -c ' \[000\] ' → 9286, ' \[001\] ' → 10714.
  assert.deepEqual(Object.fromEntries(p.byCpu), { 0: 9286, 1: 10714 });
});
