/**
 * Specification of the text trace importer (tracefs `trace` / `trace_pipe`, `trace-cmd report`,
 * `perf script`). Expected counts come from `grep -c` on the samples (traces/README.md), expected
 * values from the quoted sample lines.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { decompress as unzstd } from "fzstd";
import { formatGfp, GFP } from "../../../lib/kernel/gfp_flags.ts";
import { TraceSyntaxError } from "../../../lib/trace/diagnostics.ts";
import { EventBatch, EventFlag, ptrHex } from "../../../lib/trace/event_batch.ts";
import { EVENT_NAMES } from "../../../lib/trace/event_kind.ts";
import { StringTable } from "../../../lib/trace/string_table.ts";
import {
  detectLineFormat,
  kernelHint,
  type TextParserOptions,
  TextTraceParser,
} from "../../../lib/trace/text/text_parser.ts";
import { MIXED_DIR, MIXED_EVENT_COUNTS } from "../../shared_data.ts";

const MIXED = MIXED_DIR.replace(/\/$/, "");

function sample(name: string): Uint8Array {
  const bytes = Deno.readFileSync(new URL(`../../../traces/${name}`, import.meta.url));
  if (name.endsWith(".gz")) return new Uint8Array(gunzipSync(bytes));
  if (name.endsWith(".zst")) return unzstd(bytes);
  return bytes;
}

/** One parsed row with strings resolved, every column included. */
interface Row {
  event: string;
  tsNs: number;
  cpu: number;
  pid: number;
  comm: string;
  line: number;
  pfn: number;
  order: number;
  mt: number;
  gfp: number;
  flags: number;
  ptr: string;
  bytesReq: number;
  bytesAlloc: number;
  callSite: string;
  name: string;
  node: number;
  zone: number;
  a: number;
  b: number;
  c: number;
  d: number;
}

function toRow(b: EventBatch, s: StringTable, i: number): Row {
  return {
    event: EVENT_NAMES[b.kind[i]!]!,
    tsNs: b.tsNs[i]!,
    cpu: b.cpu[i]!,
    pid: b.pid[i]!,
    comm: s.get(b.comm[i]!),
    line: b.source[i]!,
    pfn: b.pfn[i]!,
    order: b.order[i]!,
    mt: b.mt[i]!,
    gfp: b.gfp[i]!,
    flags: b.flags[i]!,
    ptr: ptrHex(b, i),
    bytesReq: b.bytesReq[i]!,
    bytesAlloc: b.bytesAlloc[i]!,
    callSite: s.get(b.callSite[i]!),
    name: s.get(b.name[i]!),
    node: b.node[i]!,
    zone: b.zone[i]!,
    a: b.a[i]!,
    b: b.b[i]!,
    c: b.c[i]!,
    d: b.d[i]!,
  };
}

interface Parsed {
  p: TextTraceParser;
  rows: Row[];
}

/** Parses `bytes` fed in pieces cut at `cuts` (byte offsets), with small batches. */
function parse(bytes: Uint8Array, opts: TextParserOptions = {}, cuts: number[] = []): Parsed {
  const rows: Row[] = [];
  const p = new TextTraceParser((b) => {
    for (let i = 0; i < b.length; i++) rows.push(toRow(b, p.strings, i));
  }, { batchRows: 256, ...opts });
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    p.feed(bytes.subarray(at, c));
    at = c;
  }
  p.end();
  return { p, rows };
}

function text(s: string, opts: TextParserOptions = {}): Parsed {
  return parse(new TextEncoder().encode(s), opts);
}

function byLine(r: Parsed, line: number): Row {
  const row = r.rows.find((x) => x.line === line);
  assert.ok(row, `no row from line ${line}`);
  return row;
}

function kinds(p: TextTraceParser): Record<string, number> {
  const out: Record<string, number> = {};
  p.byKind.forEach((n, i) => {
    if (n > 0) out[EVENT_NAMES[i]!] = n;
  });
  return out;
}

function assertLineSum(p: TextTraceParser): void {
  const l = p.lines;
  assert.equal(l.parsed + l.unknown + l.malformed + l.comment, l.total);
}

// ---------------------------------------------------------------------------------------------
// Real samples

Deno.test("tracefs trace file (mixed cut): every kind, counts equal grep -c", () => {
  const r = parse(sample("mixed-6.18-cut.txt.gz"));
  const p = r.p;
  assert.equal(p.format, "tracefs");
  assert.deepEqual(p.lines, { total: 3469, parsed: 3457, unknown: 0, malformed: 0, comment: 12 });
  assertLineSum(p);
  assert.deepEqual(kinds(p), {
    kmalloc: 153,
    kfree: 399,
    kmem_cache_alloc: 1212,
    kmem_cache_free: 752,
    mm_page_alloc: 341,
    mm_page_alloc_zone_locked: 133,
    mm_page_free: 242,
    mm_page_free_batched: 155,
    mm_page_pcpu_drain: 63,
    mm_page_alloc_extfrag: 3,
    alloc_vmap_area: 1,
    free_vmap_area_noflush: 2,
    mm_compaction_kcompactd_sleep: 1,
  });
  assert.equal(r.rows.length, 3457);
  // grep -c '\[001\]' / '\[000\]' on the event lines
  assert.deepEqual([...p.byCpu].sort(), [[0, 211], [1, 3246]]);
  assert.equal(p.firstTsNs, 460_302_128_000);
  assert.equal(p.lastTsNs, 463_094_531_000);
  assert.deepEqual(p.diagnostics.examples, []);
  assert.equal(p.features.pfnHex, true);
  assert.equal(p.features.callSiteSymbolic, true);
  assert.equal(p.features.hashedPointers, true);
  assert.equal(p.features.cacheAllocName, true);
  assert.equal(p.features.percpuRefill, true);
  assert.equal(p.features.flagsWidth, 5);
  assert.equal(p.features.tgidColumn, false);
  assert.equal(kernelHint(p.features), "≥ 6.18 (kmem_cache_alloc name=)");
});

Deno.test("tracefs trace file (mixed cut): field values of quoted lines", () => {
  const r = parse(sample("mixed-6.18-cut.txt.gz"));
  // 13: bash-8638 [001] ..... 460.302128: kmem_cache_free: call_site=__fput+0x141/0x2a0
  //     ptr=00000000470d71b1 name=lsm_file_cache
  assert.deepEqual(byLine(r, 13), {
    ...byLine(r, 13),
    event: "kmem_cache_free",
    tsNs: 460_302_128_000,
    cpu: 1,
    pid: 8638,
    comm: "bash",
    callSite: "__fput+0x141",
    ptr: "00000000470d71b1",
    name: "lsm_file_cache",
  });
  // 15: kmem_cache_alloc: call_site=copy_process+0x18a/0x1c80 ptr=00000000369743c0
  //     name=task_struct bytes_req=5840 bytes_alloc=5888 gfp_flags=GFP_KERNEL node=-1 accounted=true
  const a = byLine(r, 15);
  assert.equal(a.callSite, "copy_process+0x18a");
  assert.equal(a.name, "task_struct");
  assert.equal(a.bytesReq, 5840);
  assert.equal(a.bytesAlloc, 5888);
  assert.equal(a.gfp, 0xcc0);
  assert.equal(a.node, -1);
  assert.equal(a.flags, EventFlag.ACCOUNTED);
  // 26: mm_page_alloc: page=00000000fad31a98 pfn=0x18de48 order=0 migratetype=0
  //     gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
  const pa = byLine(r, 26);
  assert.equal(pa.event, "mm_page_alloc");
  assert.equal(pa.pfn, 0x18de48);
  assert.equal(pa.order, 0);
  assert.equal(pa.mt, 0);
  assert.equal(pa.gfp, 0x400cc0 | GFP.ZERO | GFP.COMP);
  assert.equal(formatGfp(pa.gfp), "GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP");
  assert.equal(pa.flags, 0);
  // 27: kfree: call_site=ida_alloc_range+0x39b/0x400 ptr=0000000000000000 (kfree(NULL))
  assert.deepEqual([byLine(r, 27).event, byLine(r, 27).ptr], ["kfree", "0000000000000000"]);
  // 160: mm_page_free_batched: page=00000000e1c27225 pfn=0x1d9227 order=0
  const fb = byLine(r, 160);
  assert.deepEqual([fb.event, fb.pfn, fb.order, fb.a, fb.comm], [
    "mm_page_free_batched",
    0x1d9227,
    0,
    -1,
    "dev.sh",
  ]);
  // 255: kworker/0:1-11 free_vmap_area_noflush: va_start=0xffffc90007210000 nr_lazy=528
  //      nr_lazy_max=16384
  const fv = byLine(r, 255);
  assert.deepEqual([fv.comm, fv.pid, fv.ptr, fv.a, fv.b], [
    "kworker/0:1",
    11,
    "ffffc90007210000",
    528,
    16384,
  ]);
  // 3034: alloc_vmap_area: va_start: 18446683600689856512 size=20480 align=16384 ... failed=0
  const av = byLine(r, 3034);
  assert.equal(av.ptr, 18446683600689856512n.toString(16));
  assert.deepEqual([av.bytesReq, av.bytesAlloc, av.flags], [20480, 16384, 0]);
  // 3157: mm_page_alloc_zone_locked: pfn=0x163978 order=0 migratetype=2 percpu_refill=1
  const zl = byLine(r, 3157);
  assert.deepEqual([zl.pfn, zl.order, zl.mt, zl.a, zl.flags], [
    0x163978,
    0,
    2,
    1,
    EventFlag.PERCPU_REFILL,
  ]);
  // 3209: kcompactd0-36 mm_compaction_kcompactd_sleep: nid=0
  const ks = byLine(r, 3209);
  assert.deepEqual([ks.event, ks.comm, ks.pid, ks.node], [
    "mm_compaction_kcompactd_sleep",
    "kcompactd0",
    36,
    0,
  ]);
  // 3253: mm_page_alloc_extfrag: pfn=0x187c00 alloc_order=0 fallback_order=10
  //       pageblock_order=9 alloc_migratetype=0 fallback_migratetype=1 fragmenting=0
  //       change_ownership=1
  const ef = byLine(r, 3253);
  assert.deepEqual([ef.pfn, ef.order, ef.a, ef.b, ef.mt, ef.c, ef.flags], [
    0x187c00,
    0,
    10,
    9,
    0,
    1,
    EventFlag.CHANGE_OWNERSHIP,
  ]);
  assert.deepEqual(
    r.rows.filter((x) => x.event === "mm_page_alloc_extfrag").map((x) => x.pfn),
    [0x187c00, 0x160400, 0x160800],
  );
  // 3407: mm_page_pcpu_drain: pfn=0x208fed order=0 migratetype=0
  const pd = byLine(r, 3407);
  assert.deepEqual([pd.event, pd.pfn, pd.order, pd.mt, pd.cpu], [
    "mm_page_pcpu_drain",
    0x208fed,
    0,
    0,
    1,
  ]);
});

Deno.test("trace-cmd report (mixed cut): cpus= header, instance prefix, same events as tracefs", () => {
  const r = parse(sample("mixed-6.18-cut.report.txt.gz"));
  const p = r.p;
  assert.equal(p.format, "trace-cmd");
  assert.equal(p.headerCpus, 2);
  assert.equal(p.features.instancePrefix, "capall_8638");
  assert.equal(p.features.flagsWidth, 0);
  assert.equal(p.features.hashedPointers, false);
  assert.deepEqual(p.lines, { total: 1531, parsed: 1530, unknown: 0, malformed: 0, comment: 1 });
  assert.deepEqual(kinds(p), {
    kmalloc: 71,
    kfree: 192,
    kmem_cache_alloc: 563,
    kmem_cache_free: 342,
    mm_page_alloc: 197,
    mm_page_alloc_zone_locked: 14,
    mm_page_free: 106,
    mm_page_free_batched: 42,
    mm_page_alloc_extfrag: 1,
    free_vmap_area_noflush: 1,
    mm_compaction_kcompactd_sleep: 1,
  });
  // 2: capall_8638: bash-8638 [001] 460.302128: kmem_cache_free: (__fput+0x141)
  //    call_site=__fput+0x141 ptr=0xffff88812e16aee8 name=lsm_file_cache
  const first = byLine(r, 2);
  assert.deepEqual([first.comm, first.pid, first.cpu, first.callSite, first.ptr, first.name], [
    "bash",
    8638,
    1,
    "__fput+0x141",
    "ffff88812e16aee8",
    "lsm_file_cache",
  ]);
  // 1522: trace-cmd prints `fragmenting=10` for `fallback_order < pageblock_order` with
  // fallback_order=10, pageblock_order=9 (tracefs prints 0): the flag is recomputed.
  assert.equal(byLine(r, 1522).flags, EventFlag.CHANGE_OWNERSHIP);

  // The report's first 1500 events are the tracefs text's first 1500 (lines 13..1512), merged
  // from the two CPUs with a different tie order: compare the events up to a time well inside
  // both windows as sorted sets, pointers (hashed in tracefs) and line numbers aside.
  const t = parse(sample("mixed-6.18-cut.txt.gz"));
  const cutoffNs = r.rows[1400]!.tsNs;
  const key = (x: Row) => JSON.stringify({ ...x, ptr: "", line: 0 });
  const inWindow = (rows: Row[]) => rows.filter((x) => x.tsNs <= cutoffNs).map(key).sort();
  const fromReport = inWindow(r.rows);
  assert.ok(fromReport.length >= 1400);
  assert.deepEqual(fromReport, inWindow(t.rows));
});

Deno.test("perf script (mixed cut): kmem: prefix, period-less columns, real pointers", () => {
  const r = parse(sample("mixed-6.18-cut.perf.txt.gz"));
  const p = r.p;
  assert.equal(p.format, "perf-script");
  assert.deepEqual(p.lines, { total: 1623, parsed: 1623, unknown: 0, malformed: 0, comment: 0 });
  assert.deepEqual(kinds(p), {
    kmalloc: 75,
    kfree: 210,
    kmem_cache_alloc: 598,
    kmem_cache_free: 351,
    mm_page_alloc: 170,
    mm_page_alloc_zone_locked: 42,
    mm_page_free: 74,
    mm_page_free_batched: 66,
    mm_page_pcpu_drain: 36,
    mm_page_alloc_extfrag: 1,
  });
  // 1: perf 8642 [000] 458.485711: kmem:kmalloc: call_site=sched_setaffinity+0x10c
  //    ptr=0xffff88810443af40 bytes_req=32 bytes_alloc=32 gfp_flags=GFP_KERNEL node=-1
  //    accounted=false
  assert.deepEqual(byLine(r, 1), {
    ...byLine(r, 1),
    event: "kmalloc",
    comm: "perf",
    pid: 8642,
    cpu: 0,
    tsNs: 458_485_711_000,
    callSite: "sched_setaffinity+0x10c",
    ptr: "ffff88810443af40",
    bytesReq: 32,
    bytesAlloc: 32,
    gfp: 0xcc0,
    node: -1,
    flags: 0,
  });
  // 5: ` kworker/1:1-mm_    41 [001]` (a comm ending in "-mm_", then the pid column)
  assert.deepEqual([byLine(r, 5).comm, byLine(r, 5).pid], ["kworker/1:1-mm_", 41]);
  assert.equal(p.features.hashedPointers, false);
});

Deno.test("trace_pipe capture: no header, LOST markers become lost_events rows", () => {
  const r = parse(sample("fresh-6.18-pipe.txt.gz"));
  const p = r.p;
  assert.equal(p.format, "tracefs");
  assert.deepEqual(p.lines, { total: 3997, parsed: 3995, unknown: 0, malformed: 0, comment: 2 });
  assert.deepEqual(kinds(p), {
    kmalloc: 12,
    kfree: 333,
    kmem_cache_alloc: 254,
    kmem_cache_free: 502,
    mm_page_alloc: 123,
    mm_page_free: 1349,
    mm_page_free_batched: 1216,
    rss_stat: 204,
    free_vmap_area_noflush: 2,
  });
  // `CPU:0 [LOST 28249 EVENTS]` (line 1), `CPU:1 [LOST 42777 EVENTS]` (line 1429)
  assert.deepEqual(p.lost, { markers: 2, events: 28249 + 42777, bufferStarts: 0 });
  const lost = r.rows.filter((x) => x.event === "lost_events");
  assert.deepEqual(lost.map((x) => [x.line, x.cpu, x.a]), [[1, 0, 28249], [1429, 1, 42777]]);
  // line 2: bash-19952 [000] ..... 2036.611669: mm_page_free: pfn=0x1520e1 order=0
  assert.deepEqual([byLine(r, 2).comm, byLine(r, 2).pfn, byLine(r, 2).tsNs], [
    "bash",
    0x1520e1,
    2_036_611_669_000,
  ]);
  // rss_stat: mm_id, curr, type=MM_* and size in bytes
  const rss = r.rows.find((x) => x.event === "rss_stat")!;
  assert.ok(rss.a >= 0 && rss.b >= 0 && rss.b <= 3 && rss.c >= 0);
});

Deno.test("tracefs with options/record-tgid: the (TGID) column", () => {
  const r = parse(sample("fresh-6.18-tgid.txt.gz"));
  const p = r.p;
  assert.equal(p.features.tgidColumn, true);
  assert.equal(p.features.flagsWidth, 5);
  assert.deepEqual(p.lines, { total: 4100, parsed: 4087, unknown: 0, malformed: 0, comment: 13 });
  assert.equal(p.byKind.reduce((x, y) => x + y), 4087);
  assert.equal(kinds(p).mm_page_pcpu_drain, 84);
  assert.equal(kinds(p).mm_page_free_batched, 1273);
  // 13: readlink-20003 (  20003) [000] ..... 2037.157330: kmem_cache_alloc:
  //     call_site=vm_area_dup+0x1e/0x190 ptr=0000000051621098 name=vm_area_struct ...
  const a = byLine(r, 13);
  assert.deepEqual([a.comm, a.pid, a.cpu, a.tsNs, a.name, a.ptr], [
    "readlink",
    20003,
    0,
    2_037_157_330_000,
    "vm_area_struct",
    "0000000051621098",
  ]);
  // 1494: `##### CPU 1 buffer started ####`
  assert.deepEqual(p.lost, { markers: 1, events: 0, bufferStarts: 1 });
  const lost = r.rows.filter((x) => x.event === "lost_events");
  assert.deepEqual(lost.map((x) => [x.line, x.cpu, x.a]), [[1494, 1, -1]]);
});

Deno.test("tracefs with options/irq-info=0 (zstd sample): no flags column", () => {
  const r = parse(sample("fresh-6.18-noirq.txt.zst"));
  const p = r.p;
  assert.equal(p.features.flagsWidth, 0);
  assert.deepEqual(p.lines, { total: 4237, parsed: 4230, unknown: 0, malformed: 0, comment: 7 });
  assert.equal(kinds(p).mm_page_free, 1440);
  assert.equal(kinds(p).kfree, 348);
  // 8: bash-20048 [001]   2037.682362: mm_page_alloc: page=00000000997cb2f9 pfn=0x100c83 ...
  const a = byLine(r, 8);
  assert.deepEqual([a.comm, a.pid, a.cpu, a.tsNs, a.pfn], [
    "bash",
    20048,
    1,
    2_037_682_362_000,
    0x100c83,
  ]);
  assert.deepEqual(p.lost, { markers: 1, events: 0, bufferStarts: 1 });
});

Deno.test("comm names with spaces, '/', ':', '-' and UTF-8; hash-ptr=0 pointers", () => {
  const r = parse(sample("fresh-6.18-comm.txt.gz"));
  const p = r.p;
  assert.deepEqual(p.lines, { total: 1613, parsed: 1601, unknown: 0, malformed: 0, comment: 12 });
  // grep -c 'my w:rk' = 487, grep -c 'wörk' = 365
  assert.equal(r.rows.filter((x) => x.comm === "my w:rk/er-1 x").length, 487);
  assert.equal(r.rows.filter((x) => x.comm === "wörk-é/ü x").length, 365);
  // 13: `  my w:rk/er-1 x-22192   [001] .....  2112.456122: mm_page_free: ... pfn=0x1a3d59`
  assert.deepEqual([byLine(r, 13).comm, byLine(r, 13).pid, byLine(r, 13).pfn], [
    "my w:rk/er-1 x",
    22192,
    0x1a3d59,
  ]);
  // 1102: wörk-é/ü x-22268 [001] kmem_cache_alloc: ptr=ffff88810087f000 name=names_cache
  const w = byLine(r, 1102);
  assert.deepEqual([w.comm, w.pid, w.ptr, w.name, w.bytesAlloc], [
    "wörk-é/ü x",
    22268,
    "ffff88810087f000",
    "names_cache",
    4096,
  ]);
  assert.equal(p.features.hashedPointers, false);
});

Deno.test("trace_pipe read while tracing with a tiny buffer: [LOST N EVENTS] per CPU", () => {
  const r = parse(sample("fresh-6.18-lost-pipe.txt.gz"));
  const p = r.p;
  assert.deepEqual(p.lines, { total: 4000, parsed: 3996, unknown: 0, malformed: 0, comment: 4 });
  assert.deepEqual(p.lost, { markers: 4, events: 1584 + 1898 + 63 + 419, bufferStarts: 0 });
  const lost = r.rows.filter((x) => x.event === "lost_events");
  assert.deepEqual(lost.map((x) => [x.line, x.cpu, x.a]), [
    [1, 1, 1584],
    [135, 0, 1898],
    [333, 1, 63],
    [1348, 1, 419],
  ]);
  // The marker row takes the time of the last event seen on its CPU (line 331 ends [001] at
  // 2038.845244 before line 333): it sorts right after the events that preceded the gap.
  assert.equal(lost[2]!.tsNs, 2_038_845_244_000);
  // Rows keep input order: the marker sits between its neighbouring lines.
  const idx = r.rows.findIndex((x) => x.line === 333);
  assert.ok(r.rows[idx - 1]!.line < 333 && r.rows[idx + 1]!.line > 333);
});

Deno.test("tracefs trace file after overwrite: ##### CPU N buffer started ####", () => {
  const r = parse(sample("fresh-6.18-lost.txt.gz"));
  assert.deepEqual(r.p.lines, { total: 501, parsed: 488, unknown: 0, malformed: 0, comment: 13 });
  assert.deepEqual(r.p.lost, { markers: 1, events: 0, bufferStarts: 1 });
  const lost = r.rows.filter((x) => x.event === "lost_events");
  assert.deepEqual(lost.map((x) => [x.line, x.cpu, x.a]), [[282, 1, -1]]);
});

Deno.test("every sample keeps parsed + unknown + malformed + comment === total", () => {
  for (
    const f of [
      "mixed-6.18-cut.txt.gz",
      "mixed-6.18-cut.report.txt.gz",
      "mixed-6.18-cut.perf.txt.gz",
      "fresh-6.18-pipe.txt.gz",
      "fresh-6.18-tgid.txt.gz",
      "fresh-6.18-noirq.txt.zst",
      "fresh-6.18-comm.txt.gz",
      "fresh-6.18-lost-pipe.txt.gz",
      "fresh-6.18-lost.txt.gz",
      "small-6.18.txt.gz",
    ]
  ) {
    const bytes = sample(f);
    const { p } = parse(bytes);
    assertLineSum(p);
    // total = number of newline characters (every sample ends with one)
    assert.equal(p.lines.total, bytes.reduce((n, c) => n + (c === 10 ? 1 : 0), 0), f);
    assert.equal(p.lines.malformed, 0, f);
  }
});

// ---------------------------------------------------------------------------------------------
// Chunk boundaries

/** Rows and counters as one comparable value (string ids resolved). */
function snapshot(r: Parsed): unknown {
  const p = r.p;
  return {
    rows: r.rows,
    lines: { ...p.lines },
    kinds: kinds(p),
    lost: { ...p.lost },
    features: { ...p.features },
    diag: p.diagnostics.toJSON(),
    first: p.firstTsNs,
    last: p.lastTsNs,
  };
}

Deno.test("chunks split at every byte position (inside UTF-8 comm names too) give the same result", () => {
  const all = sample("fresh-6.18-comm.txt.gz");
  // The header, the first 12 "my w:rk/er-1 x" lines (13–24) and 14 lines from 1050 on, where
  // "wörk-é/ü x" starts (line 1052).
  const lines = new TextDecoder().decode(all).split("\n");
  const cut = [...lines.slice(0, 24), ...lines.slice(1049, 1063)].join("\n") + "\n";
  const bytes = new TextEncoder().encode(cut);
  assert.ok(cut.includes("my w:rk/er-1 x-22192") && cut.includes("wörk-é/ü x-22268"));
  const whole = snapshot(parse(bytes));
  let multiByteCuts = 0;
  for (let k = 0; k <= bytes.length; k++) {
    // a continuation byte at k: the cut falls inside a UTF-8 sequence
    if (k < bytes.length && (bytes[k]! & 0xc0) === 0x80) multiByteCuts++;
    assert.deepEqual(snapshot(parse(bytes, {}, [k])), whole, `split at byte ${k}`);
  }
  // "wörk-é/ü x" has three 2-byte characters, on 6 of the lines (grep -c)
  assert.equal(multiByteCuts, 18);
  // Three-way splits and byte-at-a-time feeding.
  for (let k = 1; k + 7 < bytes.length; k += 97) {
    assert.deepEqual(snapshot(parse(bytes, {}, [k, k + 7])), whole);
  }
  const each = Array.from({ length: bytes.length }, (_, i) => i);
  assert.deepEqual(snapshot(parse(bytes, {}, each)), whole);
});

Deno.test("CRLF line ends and a missing final newline parse like LF-terminated text", () => {
  const l1 = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0";
  const l2 = "  bash-1 [000] ..... 1.000002: mm_page_free: page=0000000000000002 pfn=0x11 order=1";
  const lf = text(`${l1}\n${l2}\n`);
  const crlf = text(`${l1}\r\n${l2}\r\n`);
  const noEnd = text(`${l1}\n${l2}`);
  assert.deepEqual(crlf.rows, lf.rows);
  assert.deepEqual(noEnd.rows, lf.rows);
  assert.deepEqual(noEnd.p.lines, lf.p.lines);
  assert.deepEqual(lf.rows.map((x) => [x.pfn, x.order, x.tsNs]), [[0x10, 0, 1_000_001_000], [
    0x11,
    1,
    1_000_002_000,
  ]]);
});

// ---------------------------------------------------------------------------------------------
// Bad input

const GOOD = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0";

Deno.test("bad input: malformed lines, fields and a truncated last line become diagnostics", () => {
  const r = text(
    [
      GOOD, // 1
      "this is not a trace line", // 2
      "  bash-1 [000] ..... 1.000003: mm_page_free: page=0000000000000001 pfn=0xZZ order=0", // 3
      "  bash-1 [000] ..... 1.000004: mm_page_alloc: page=0000000000000001 pfn=0x11 order=0 migratetype=0 gfp_flags=GFP_BOGUS", // 4
      "  bash-1 [000] ..... 1.000005: sched_switch: prev_comm=bash", // 5
      "", // 6
      "  bash-1 [000] ..... 1.000006: mm_page_free: page=000000000000", // 7 (cut short)
    ].join("\n"),
    { file: "bad.txt" },
  );
  const p = r.p;
  assert.deepEqual(p.lines, { total: 7, parsed: 1, unknown: 1, malformed: 4, comment: 1 });
  assertLineSum(p);
  assert.deepEqual([...p.unknownEvents], [["sched_switch", 1]]);
  assert.deepEqual(
    p.diagnostics.examples.map((d) => [d.code, d.line]),
    [["malformed-line", 2], ["malformed-fields", 3], ["malformed-fields", 4], [
      "malformed-fields",
      7,
    ]],
  );
  assert.match(p.diagnostics.examples[1]!.message, /mm_page_free: bad pfn=/);
  assert.match(p.diagnostics.examples[2]!.message, /unknown gfp flag name/);
  assert.equal(r.rows.length, 1);
});

Deno.test("bad input: a truncated header on the last line is reported as truncated", () => {
  const r = text(`${GOOD}\n  bash-1 [000] ..... 1.0000`);
  assert.deepEqual(r.p.lines, { total: 2, parsed: 1, unknown: 0, malformed: 1, comment: 0 });
  assert.deepEqual(r.p.diagnostics.examples.map((d) => [d.code, d.line]), [["truncated-line", 2]]);
});

Deno.test("bad input: binary garbage and unknown formats do not crash", () => {
  const garbage = new Uint8Array(4096);
  let x = 12345;
  for (let i = 0; i < garbage.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    garbage[i] = x >> 16;
  }
  const g = parse(garbage);
  assertLineSum(g.p);
  assert.equal(g.p.lines.parsed, 0);
  assert.equal(g.p.format, null);
  assert.ok(g.p.lines.malformed > 0);
  assert.equal(g.p.diagnostics.examples[0]!.code, "unrecognised-line");
  assert.equal(g.p.diagnostics.examples[0]!.line, 1);

  const csv = text("ts,event,pfn\n1,mm_page_free,16\n");
  assert.deepEqual(csv.p.lines, { total: 2, parsed: 0, unknown: 0, malformed: 2, comment: 0 });
  assert.equal(csv.p.format, null);
  assert.equal(detectLineFormat("ts,event,pfn"), null);
});

Deno.test("empty input: nothing parsed, no diagnostics, sink never called", () => {
  let calls = 0;
  const p = new TextTraceParser(() => calls++);
  p.feed(new Uint8Array(0));
  p.end();
  p.end(); // idempotent
  assert.equal(calls, 0);
  assert.deepEqual(p.lines, { total: 0, parsed: 0, unknown: 0, malformed: 0, comment: 0 });
  assert.deepEqual(p.diagnostics.examples, []);
  assert.equal(p.format, null);
  assert.equal(p.firstTsNs, -1);
});

Deno.test("strict mode throws TraceSyntaxError naming the file and line", () => {
  const bytes = new TextEncoder().encode(`${GOOD}\n${GOOD}\ngarbage here\n${GOOD}\n`);
  const p = new TextTraceParser(() => {}, { strict: true, file: "cap.txt" });
  let err: unknown;
  try {
    p.feed(bytes);
    p.end();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof TraceSyntaxError);
  assert.ok(err instanceof SyntaxError);
  assert.equal(err.file, "cap.txt");
  assert.equal(err.line, 3);
  assert.equal(err.text, "garbage here");
  assert.match(err.message, /^cap\.txt:3: /);
});

Deno.test("a line longer than 1 MiB is counted as malformed and skipped", () => {
  const p = new TextTraceParser(() => {});
  const big = new Uint8Array(1 << 19).fill(0x61);
  p.feed(new TextEncoder().encode(`${GOOD}\n`));
  for (let i = 0; i < 3; i++) p.feed(big);
  p.feed(new TextEncoder().encode(`\n${GOOD}\n`));
  p.end();
  assert.deepEqual(p.lines, { total: 3, parsed: 2, unknown: 0, malformed: 1, comment: 0 });
  assert.deepEqual(p.diagnostics.examples.map((d) => [d.code, d.line]), [["line-too-long", 2]]);
});

// ---------------------------------------------------------------------------------------------
// Older kernels (synthetic lines, each derived exactly from that version's TP_printk format in
// include/trace/events/{kmem,vmscan,compaction}.h and kernel/trace/trace_output.c; the values
// are made up, the shape is the kernel's).

Deno.test("≤ v4.14: decimal pfn, mm_page_free_batched with cold=, 4-char flags, hex call_site", () => {
  const r = text(
    [
      // kmem.h v4.14 mm_page_free_batched: "page=%p pfn=%lu order=0 cold=%d"
      "          <idle>-0     [001] d.s1   412.345678: mm_page_free_batched: page=ffffea0000f3a2c0 pfn=999560 order=0 cold=1",
      // mm_page_free (v4.1+): "page=%p pfn=%lu order=%d"
      "          <idle>-0     [001] d.s1   412.345679: mm_page_free: page=ffffea0000f3a2c0 pfn=999560 order=0",
      // kmem_alloc v4.14: "call_site=%lx ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s"
      "            bash-2001  [000] ....   412.345680: kmalloc: call_site=ffffffff811e1a2c ptr=ffff88003a1b2c40 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL|__GFP_ZERO",
      // kmem_alloc_node v4.14: same plus " node=%d"
      "            bash-2001  [000] ....   412.345681: kmem_cache_alloc_node: call_site=ffffffff81234567 ptr=ffff88003a1b2d00 bytes_req=256 bytes_alloc=256 gfp_flags=GFP_KERNEL node=0",
      // kmem_free v4.14: "call_site=%lx ptr=%p"
      "            bash-2001  [000] ....   412.345682: kmem_cache_free: call_site=ffffffff811e1b00 ptr=ffff88003a1b2d00",
    ].join("\n") + "\n",
  );
  assert.deepEqual(r.p.lines.malformed, 0);
  const [fb, pf, km, kn, kf] = r.rows;
  assert.deepEqual([fb!.event, fb!.pfn, fb!.a, fb!.order], ["mm_page_free_batched", 999560, 1, 0]);
  assert.deepEqual([pf!.pfn, pf!.comm, pf!.pid], [999560, "<idle>", 0]);
  assert.deepEqual([km!.callSite, km!.ptr, km!.bytesReq, km!.bytesAlloc, km!.gfp], [
    "0xffffffff811e1a2c",
    "ffff88003a1b2c40",
    100,
    128,
    0xcc0 | GFP.ZERO,
  ]);
  assert.deepEqual([kn!.event, kn!.node, kn!.callSite], [
    "kmem_cache_alloc_node",
    0,
    "0xffffffff81234567",
  ]);
  assert.deepEqual([kf!.event, kf!.name, kf!.ptr], ["kmem_cache_free", "", "ffff88003a1b2d00"]);
  const f = r.p.features;
  assert.deepEqual(
    [f.pfnHex, f.callSiteSymbolic, f.batchedCold, f.nodeEvents, f.flagsWidth, f.hashedPointers],
    [false, false, true, true, 4, false],
  );
  assert.equal(kernelHint(f), "≤ 4.14 (cold=)");
});

Deno.test("≤ v4.4: gfp names without the __ prefix (GFP_KERNEL|GFP_ZERO, GFP_NOWARN)", () => {
  // mmflags.h before v4.5 printed single flags as "GFP_ZERO", "GFP_NOWARN", "GFP_COLD" …
  const r = text(
    "            bash-77    [000] ....    10.000001: mm_page_alloc: page=ffffea0000001000 pfn=64 order=0 migratetype=0 gfp_flags=GFP_KERNEL|GFP_ZERO|GFP_NOWARN\n" +
      "            bash-77    [000] ....    10.000002: mm_page_alloc: page=ffffea0000001040 pfn=65 order=0 migratetype=0 gfp_flags=GFP_HIGHUSER_MOVABLE|GFP_COLD\n",
  );
  assert.equal(r.p.lines.malformed, 0);
  assert.equal(r.rows[0]!.gfp, 0xcc0 | GFP.ZERO | GFP.NOWARN);
  assert.equal(r.rows[1]!.gfp & GFP.LEGACY_COLD, GFP.LEGACY_COLD);
  assert.equal(r.rows[1]!.pfn, 65);
});

Deno.test("v5.4–v5.13 symbolic call_site with decimal pfn; v6.0 accounted= with _node events", () => {
  const r = text(
    [
      // v5.10 kmem_alloc: "call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s"
      "        kworker-50    [001] ....  100.000001: kmalloc: call_site=alloc_pipe_info+0x4f/0x1b0 ptr=0000000012345678 bytes_req=40 bytes_alloc=64 gfp_flags=GFP_KERNEL_ACCOUNT",
      "        kworker-50    [001] ....  100.000002: mm_page_free: page=00000000deadbeef pfn=123456 order=2",
      // v6.0 kmem_alloc_node: "... gfp_flags=%s node=%d accounted=%s"
      "        kworker-50    [001] .....  100.000003: kmalloc_node: call_site=__alloc_skb+0x8b/0x1e0 ptr=00000000abcdef01 bytes_req=640 bytes_alloc=1024 gfp_flags=GFP_KERNEL|__GFP_NOWARN node=-1 accounted=false",
      // module symbol: "%pS" prints "func+0x1/0x2 [module]"
      "        kworker-50    [001] .....  100.000004: kfree: call_site=nf_ct_destroy+0x3e/0x90 [nf_conntrack] ptr=00000000abcdef01",
    ].join("\n") + "\n",
  );
  assert.equal(r.p.lines.malformed, 0);
  assert.equal(r.rows[0]!.callSite, "alloc_pipe_info+0x4f");
  assert.equal(r.rows[0]!.flags, EventFlag.ACCOUNTED); // from __GFP_ACCOUNT when not printed
  assert.equal(r.rows[1]!.pfn, 123456);
  assert.equal(r.rows[1]!.order, 2);
  assert.deepEqual([r.rows[2]!.event, r.rows[2]!.node, r.rows[2]!.flags], ["kmalloc_node", -1, 0]);
  assert.equal(r.rows[3]!.callSite, "nf_ct_destroy+0x3e [nf_conntrack]");
  assert.equal(r.p.features.slabAccounted, true);
  assert.equal(r.p.features.nodeEvents, true);
  assert.equal(kernelHint(r.p.features), "6.0 (accounted=, _node events)");
});

Deno.test("v5.5 rss_stat member= and current type=; failed mm_page_alloc", () => {
  const r = text(
    [
      // v5.5: "mm_id=%u curr=%d member=%d size=%ldB"
      "            bash-9     [000] ....     1.000001: rss_stat: mm_id=4242 curr=1 member=1 size=40960B",
      // v5.13+: "mm_id=%u curr=%d type=%s size=%ldB"
      "            bash-9     [000] .....    1.000002: rss_stat: mm_id=4242 curr=0 type=MM_SHMEMPAGES size=8192B",
      // failure: pfn -1 prints as page=0000000000000000 pfn=0x0 (v5.14+) or page=(null)
      "            bash-9     [000] .....    1.000003: mm_page_alloc: page=0000000000000000 pfn=0x0 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT",
      "            bash-9     [000] ....     1.000004: mm_page_alloc: page=(null) pfn=0 order=3 migratetype=1 gfp_flags=GFP_KERNEL",
    ].join("\n") + "\n",
  );
  assert.equal(r.p.lines.malformed, 0);
  assert.deepEqual([r.rows[0]!.a, r.rows[0]!.b, r.rows[0]!.c, r.rows[0]!.flags], [
    4242,
    1,
    40960,
    EventFlag.CURR,
  ]);
  assert.deepEqual([r.rows[1]!.b, r.rows[1]!.c, r.rows[1]!.flags], [3, 8192, 0]);
  assert.deepEqual([r.rows[2]!.pfn, r.rows[2]!.order, r.rows[2]!.flags], [-1, 9, EventFlag.FAILED]);
  assert.deepEqual([r.rows[3]!.pfn, r.rows[3]!.flags], [-1, EventFlag.FAILED]);
});

Deno.test("vmscan events: current and pre-5.2 formats", () => {
  const r = text(
    [
      // v4.17–5.1 wakeup_kswapd: "nid=%d zid=%d order=%d gfp_flags=%s"
      "            bash-5     [000] ....     2.000001: mm_vmscan_wakeup_kswapd: nid=0 zid=2 order=3 gfp_flags=GFP_KERNEL",
      // ≥ 5.2: "nid=%d order=%d gfp_flags=%s"
      "            bash-5     [000] .....    2.000002: mm_vmscan_wakeup_kswapd: nid=0 order=0 gfp_flags=GFP_ATOMIC",
      // v4.8–5.1 kswapd_wake: "nid=%d zid=%d order=%d"; ≥ 5.2 "nid=%d order=%d"
      "         kswapd0-40    [001] ....     2.000003: mm_vmscan_kswapd_wake: nid=0 zid=1 order=2",
      "         kswapd0-40    [001] .....    2.000004: mm_vmscan_kswapd_wake: nid=0 order=0",
      "         kswapd0-40    [001] .....    2.000005: mm_vmscan_kswapd_sleep: nid=0",
      // v4.8–5.1: "order=%d may_writepage=%d gfp_flags=%s classzone_idx=%d"
      "            bash-5     [000] ....     2.000006: mm_vmscan_direct_reclaim_begin: order=0 may_writepage=1 gfp_flags=GFP_HIGHUSER_MOVABLE classzone_idx=2",
      "            bash-5     [000] .....    2.000007: mm_vmscan_direct_reclaim_end: nr_reclaimed=32",
    ].join("\n") + "\n",
  );
  assert.equal(r.p.lines.malformed, 0);
  const v = r.rows.map((x) => [x.event, x.node, x.zone, x.order, x.gfp, x.a]);
  assert.deepEqual(v, [
    ["mm_vmscan_wakeup_kswapd", 0, 2, 3, 0xcc0, -1],
    ["mm_vmscan_wakeup_kswapd", 0, -1, 0, GFP.HIGH | GFP.KSWAPD_RECLAIM, -1],
    ["mm_vmscan_kswapd_wake", 0, 1, 2, 0, -1],
    ["mm_vmscan_kswapd_wake", 0, -1, 0, 0, -1],
    ["mm_vmscan_kswapd_sleep", 0, -1, -1, 0, -1],
    ["mm_vmscan_direct_reclaim_begin", -1, -1, 0, 0x100cca, -1],
    ["mm_vmscan_direct_reclaim_end", -1, -1, -1, 0, 32],
  ]);
});

Deno.test("compaction events: current formats (with the `zone_end=0x%lx, mode=` comma)", () => {
  const r = text(
    [
      // "zone_start=0x%lx migrate_pfn=0x%lx free_pfn=0x%lx zone_end=0x%lx, mode=%s"
      "      kcompactd0-36    [000] .....    3.000001: mm_compaction_begin: zone_start=0x100000 migrate_pfn=0x100200 free_pfn=0x23fe00 zone_end=0x240000, mode=sync",
      // ... " status=%s"
      "      kcompactd0-36    [000] .....    3.000002: mm_compaction_end: zone_start=0x100000 migrate_pfn=0x100400 free_pfn=0x23fc00 zone_end=0x240000, mode=async status=complete",
      // "node=%d zone=%-8s order=%d ret=%s"
      "      kcompactd0-36    [000] .....    3.000003: mm_compaction_suitable: node=0 zone=Normal   order=9 ret=continue",
      "      kcompactd0-36    [000] .....    3.000004: mm_compaction_finished: node=0 zone=DMA32    order=9 ret=partial_skipped",
      // "nid=%d order=%d classzone_idx=%-8s"
      "            bash-8     [001] .....    3.000005: mm_compaction_wakeup_kcompactd: nid=0 order=3 classzone_idx=Normal  ",
      "      kcompactd0-36    [000] .....    3.000006: mm_compaction_kcompactd_wake: nid=0 order=9 classzone_idx=Movable ",
      // "order=%d gfp_mask=%s priority=%d"
      "            bash-8     [001] .....    3.000007: mm_compaction_try_to_compact_pages: order=4 gfp_mask=GFP_KERNEL|__GFP_COMP priority=2",
      // "node=%d zone=%-8s order=%d order_failed=%d consider=%u limit=%lu"
      "            bash-8     [001] .....    3.000008: mm_compaction_deferred: node=0 zone=Normal   order=4 order_failed=4 consider=1 limit=2",
      // "range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu"; "nr_migrated=%lu nr_failed=%lu"
      "      kcompactd0-36    [000] .....    3.000009: mm_compaction_isolate_migratepages: range=(0x100000 ~ 0x100200) nr_scanned=512 nr_taken=32",
      "      kcompactd0-36    [000] .....    3.000010: mm_compaction_migratepages: nr_migrated=30 nr_failed=2",
    ].join("\n") + "\n",
  );
  assert.equal(r.p.lines.malformed, 0);
  const [b, e, s, f, wk, kw, tt, df, im, mp] = r.rows;
  assert.deepEqual([b!.a, b!.b, b!.c, b!.d, b!.flags], [
    0x100000,
    0x100200,
    0x23fe00,
    0x240000,
    EventFlag.SYNC,
  ]);
  assert.deepEqual([e!.b, e!.c, e!.d, e!.flags, e!.name], [
    0x100400,
    0x23fc00,
    0x240000,
    0,
    "complete",
  ]);
  assert.deepEqual([s!.node, s!.zone, s!.order, s!.name], [0, 2, 9, "continue"]);
  assert.deepEqual([f!.zone, f!.name], [1, "partial_skipped"]);
  assert.deepEqual([wk!.node, wk!.order, wk!.zone], [0, 3, 2]);
  assert.deepEqual([kw!.order, kw!.zone], [9, 4]);
  assert.deepEqual([tt!.order, tt!.gfp, tt!.a], [4, 0xcc0 | GFP.COMP, 2]);
  assert.deepEqual([df!.node, df!.zone, df!.order], [0, 2, 4]);
  assert.deepEqual([im!.event, mp!.event], [
    "mm_compaction_isolate_migratepages",
    "mm_compaction_migratepages",
  ]);
});

Deno.test("old aliases mm_page_free_direct / mm_pagevec_free (≤ v3.2)", () => {
  // v3.2 kmem.h: mm_page_free_direct "page=%p pfn=%lu order=%d",
  // mm_pagevec_free "page=%p pfn=%lu order=0 cold=%d"
  const r = text(
    "            bash-3     [000] ....     5.000001: mm_page_free_direct: page=ffffea0000000040 pfn=1 order=1\n" +
      "            bash-3     [000] ....     5.000002: mm_pagevec_free: page=ffffea0000000080 pfn=2 order=0 cold=0\n",
  );
  assert.deepEqual(r.rows.map((x) => [x.event, x.pfn, x.order, x.a]), [
    ["mm_page_free", 1, 1, -1],
    ["mm_page_free_batched", 2, 0, 0],
  ]);
});

Deno.test("zone watermark and vmalloc purge events (2025 kernels)", () => {
  const r = text(
    [
      "         swapper-1     [000] .....     0.100001: mm_setup_per_zone_wmarks: node_id=0 zone name=Normal watermark min=5632 low=7040 high=8448 promo=9856",
      "         swapper-1     [000] .....     0.100002: mm_setup_per_zone_lowmem_reserve: node_id=0 zone name=DMA32 upper_zone name=Normal lowmem_reserve_pages=3000",
      "         swapper-1     [000] .....     0.100003: mm_calculate_totalreserve_pages: totalreserve_pages=12345",
      "     kworker/0:1-11    [000] .....     0.100004: purge_vmap_area_lazy: start=0xffffc90000000000 end=0xffffc90000010000 num_purged=4",
    ].join("\n") + "\n",
  );
  assert.equal(r.p.lines.malformed, 0);
  const [w, lr, tr, pu] = r.rows;
  assert.deepEqual([w!.node, w!.zone, w!.a, w!.b, w!.c, w!.d], [0, 2, 5632, 7040, 8448, 9856]);
  assert.deepEqual([lr!.zone, lr!.a, lr!.b], [1, 2, 3000]);
  assert.equal(tr!.a, 12345);
  assert.deepEqual([pu!.ptr, pu!.bytesReq, pu!.a], ["ffffc90000000000", 0x10000, 4]);
});

Deno.test("CPU:N [LOST EVENTS] without a count, trace-cmd EVENTS DROPPED markers", () => {
  const r = text(
    [
      GOOD,
      "CPU:0 [LOST EVENTS]",
      GOOD.replace("1.000001", "1.000009"),
    ].join("\n") + "\n",
  );
  assert.deepEqual(r.p.lost, { markers: 1, events: 0, bufferStarts: 0 });
  assert.deepEqual(r.rows.map((x) => [x.event, x.a, x.tsNs]), [
    ["mm_page_free", -1, 1_000_001_000],
    ["lost_events", -1, 1_000_001_000],
    ["mm_page_free", -1, 1_000_009_000],
  ]);
  const tc = text(
    "cpus=2\n" +
      "            bash-1     [001]     1.000001: mm_page_free:         page=0x10 pfn=0x10 order=0\n" +
      "CPU:1 [291 EVENTS DROPPED]\n" +
      "CPU:0 [EVENTS DROPPED]\n",
  );
  assert.equal(tc.p.format, "trace-cmd");
  assert.deepEqual(tc.p.lost, { markers: 2, events: 291, bufferStarts: 0 });
  assert.deepEqual(tc.rows.filter((x) => x.event === "lost_events").map((x) => [x.cpu, x.a]), [
    [1, 291],
    [0, -1],
  ]);
  assert.deepEqual(tc.p.lines, { total: 4, parsed: 1, unknown: 0, malformed: 0, comment: 3 });
});

Deno.test("detectLineFormat tells the three formats apart", () => {
  assert.equal(detectLineFormat(GOOD), "tracefs");
  assert.equal(
    detectLineFormat(
      "            perf  8642 [000]   458.485711:                   kmem:kmalloc: call_site=x+0x1 ptr=0x1 bytes_req=1 bytes_alloc=8 gfp_flags=GFP_KERNEL",
    ),
    "perf-script",
  );
  assert.equal(
    detectLineFormat(
      "capall_8638:             bash-8638  [001]   460.302128: kmem_cache_free:      (__fput+0x141) call_site=__fput+0x141 ptr=0xffff88812e16aee8 name=lsm_file_cache",
    ),
    "trace-cmd",
  );
  assert.equal(detectLineFormat("cpus=2"), "trace-cmd");
  assert.equal(detectLineFormat("hello world"), null);
});

Deno.test("batches are handed over when full and reused", () => {
  const bytes = sample("mixed-6.18-cut.txt.gz");
  const sizes: number[] = [];
  let same = true;
  let first: EventBatch | null = null;
  const p = new TextTraceParser((b) => {
    sizes.push(b.length);
    first ??= b;
    same &&= b === first;
  }, { batchRows: 1000 });
  p.feed(bytes);
  p.end();
  assert.deepEqual(sizes, [1000, 1000, 1000, 457]);
  assert.ok(same);
});

// ---------------------------------------------------------------------------------------------
// The whole shared capture

async function parseFile(path: string): Promise<TextTraceParser> {
  const { openTraceStream } = await import("../../../lib/trace/input_stream.ts");
  const p = new TextTraceParser(() => {}, { file: path });
  const f = await Deno.open(path);
  const o = await openTraceStream(f.readable);
  for await (const c of o.chunks) p.feed(c);
  p.end();
  return p;
}

Deno.test("the whole shared trace.txt.gz parses with counts equal to grep -c", async () => {
  const p = await parseFile(`${MIXED}/trace.txt.gz`);
  assert.deepEqual(kinds(p), MIXED_EVENT_COUNTS);
  // zcat | wc -l = 1065370; 12 header lines; entries-in-buffer 1065358
  assert.deepEqual(p.lines, {
    total: 1065370,
    parsed: 1065358,
    unknown: 0,
    malformed: 0,
    comment: 12,
  });
  assert.deepEqual(p.lost, { markers: 0, events: 0, bufferStarts: 0 });
});

Deno.test("the whole shared perf-script.txt.gz parses with zero malformed lines", async () => {
  const p = await parseFile(`${MIXED}/perf-script.txt.gz`);
  assert.equal(p.format, "perf-script");
  // zcat | wc -l = 1091719, every line a kmem: event
  assert.deepEqual(p.lines, {
    total: 1091719,
    parsed: 1091719,
    unknown: 0,
    malformed: 0,
    comment: 0,
  });
  assert.equal(p.byKind.reduce((x, y) => x + y), 1091719);
});

Deno.test("compaction scanners: range, nr_scanned, nr_taken in a–d; tracefs = trace-cmd report", () => {
  // traces/compact-6.18: `echo 1 > /proc/sys/vm/compact_memory`. Sums from awk on the text, e.g.
  // awk '/isolate_freepages:/{split($NF,a,"=");s+=a[2]} END{print s}' → 29028.
  const tracefs = parse(sample("compact-6.18/trace.txt.gz"));
  const report = parse(sample("compact-6.18-isolate.report.txt.gz"));
  assert.equal(tracefs.p.lines.malformed, 0);
  assert.equal(report.p.lines.malformed, 0);
  const SCANNER = new Set([
    "mm_compaction_isolate_freepages",
    "mm_compaction_isolate_migratepages",
    "mm_compaction_migratepages",
  ]);
  const pick = (r: Parsed) =>
    r.rows.filter((x) => SCANNER.has(x.event))
      .map((x) => `${x.event} ${x.cpu} ${x.a} ${x.b} ${x.c} ${x.d}`);
  const rows = pick(tracefs);
  assert.equal(rows.length, 518 + 1963 + 285);
  // trace-cmd report of the capture's trace.dat (the 2766 compaction lines kept): same values.
  assert.deepEqual(pick(report), rows);
  const sum = (event: string, col: "a" | "b" | "c" | "d") =>
    tracefs.rows.filter((x) => x.event === event).reduce((s, x) => s + x[col], 0);
  assert.equal(sum("mm_compaction_isolate_freepages", "d"), 29028);
  assert.equal(sum("mm_compaction_isolate_freepages", "c"), 79352);
  assert.equal(sum("mm_compaction_isolate_migratepages", "d"), 29344);
  assert.equal(sum("mm_compaction_migratepages", "a"), 29021);
  assert.equal(sum("mm_compaction_migratepages", "b"), 323);
  // Line 3505: `range=(0x277e00 ~ 0x278000) nr_scanned=512 nr_taken=0`.
  const first = byLine(tracefs, 3505);
  assert.deepEqual([first.event, first.a, first.b, first.c, first.d], [
    "mm_compaction_isolate_freepages",
    0x277e00,
    0x278000,
    512,
    0,
  ]);
  // Line 36884: the isolation whose leftovers are freed at the end of the run.
  const r = byLine(tracefs, 36884);
  assert.deepEqual([r.a, r.b, r.c, r.d], [0x22bca0, 0x22bdc0, 288, 120]);
  // Lines 37015-37016: the migrate scanner takes 290 pages, none of which migrate.
  const m = byLine(tracefs, 37015);
  assert.deepEqual([m.a, m.b, m.c, m.d], [0x127280, 0x127400, 384, 290]);
  const mig = byLine(tracefs, 37016);
  assert.deepEqual([mig.event, mig.a, mig.b, mig.c, mig.d], [
    "mm_compaction_migratepages",
    0,
    290,
    -1,
    -1,
  ]);
});
