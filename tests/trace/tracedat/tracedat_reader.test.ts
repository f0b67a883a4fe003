import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { formatGfp } from "../../../lib/kernel/gfp_flags.ts";
import { TraceSyntaxError } from "../../../lib/trace/diagnostics.ts";
import { EventBatch, EventFlag, ptrHex } from "../../../lib/trace/event_batch.ts";
import { Ev, EVENT_NAMES } from "../../../lib/trace/event_kind.ts";
import { StringTable } from "../../../lib/trace/string_table.ts";
import { isTraceDat, TraceDatReader } from "../../../lib/trace/tracedat/tracedat_reader.ts";
import { MIXED_DIR, MIXED_EVENT_COUNTS } from "../../shared_data.ts";

const SMALL_V7 = new URL("../../../traces/small-6.18.dat", import.meta.url);
const SMALL_V6 = new URL("../../../traces/small-6.18-v6.dat.gz", import.meta.url);
const SMALL_TXT = new URL("../../../traces/small-6.18.txt.gz", import.meta.url);
const MIXED = MIXED_DIR.replace(/\/$/, "");

const smallV7 = Deno.readFileSync(SMALL_V7);
// A plain Uint8Array copy: Buffer#slice would share memory, and the bad-input tests edit copies.
const smallV6 = new Uint8Array(gunzipSync(Deno.readFileSync(SMALL_V6)));

/** One decoded row as a comparable string: every column except `source`. */
function rowKey(b: EventBatch, s: StringTable, i: number): string {
  return [
    EVENT_NAMES[b.kind[i]!],
    b.tsNs[i],
    b.cpu[i],
    b.pid[i],
    s.get(b.comm[i]!),
    b.pfn[i],
    b.order[i],
    b.mt[i],
    b.gfp[i],
    b.flags[i],
    ptrHex(b, i),
    b.bytesReq[i],
    b.bytesAlloc[i],
    s.get(b.callSite[i]!),
    s.get(b.name[i]!),
    b.node[i],
    b.zone[i],
    b.a[i],
    b.b[i],
    b.c[i],
    b.d[i],
  ].join("|");
}

function rows(bytes: Uint8Array, opts = {}): { keys: string[]; reader: TraceDatReader } {
  const reader = new TraceDatReader(bytes, opts);
  const s = new StringTable();
  const keys: string[] = [];
  for (const b of reader.batches(s, 1000)) {
    for (let i = 0; i < b.length; i++) keys.push(rowKey(b, s, i));
  }
  return { keys, reader };
}

/** Text lines of the tracefs `trace` file: event name, µs timestamp, cpu, pid and key=value fields. */
interface TextEvent {
  event: string;
  tsUs: number;
  cpu: number;
  pid: number;
  fields: Map<string, string>;
}
const TEXT_LINE = /^\s*(.*)-(\d+)\s+\[(\d+)\]\s+\S+\s+(\d+)\.(\d{6}):\s+(\w+):\s+(.*)$/;
/** Streams the text's events (one line at a time: the mixed capture has a million). */
function* textEvents(gz: Uint8Array): Generator<TextEvent> {
  const text = new TextDecoder().decode(gunzipSync(gz));
  for (let at = 0; at < text.length;) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const m = TEXT_LINE.exec(text.slice(at, end));
    at = end + 1;
    if (!m) continue;
    const fields = new Map<string, string>();
    for (const kv of m[7]!.matchAll(/(\w+)[=:]\s?(\S+)/g)) fields.set(kv[1]!, kv[2]!);
    yield {
      event: m[6]!,
      tsUs: Number(m[4]) * 1e6 + Number(m[5]),
      cpu: Number(m[3]),
      pid: Number(m[2]),
      fields,
    };
  }
}

/** Checks a decoded row against the kernel's own text line for the same event. */
function assertMatchesText(
  b: EventBatch,
  s: StringTable,
  i: number,
  t: TextEvent,
  n: number,
): void {
  const where = `row ${n} (${t.event} at ${t.tsUs} µs)`;
  assert.equal(EVENT_NAMES[b.kind[i]!], t.event, where);
  // Both the kernel and trace-cmd round ns to the nearest µs.
  assert.equal(Math.floor((b.tsNs[i]! + 500) / 1000), t.tsUs, where);
  assert.equal(b.cpu[i], t.cpu, where);
  assert.equal(b.pid[i], t.pid, where);
  const f = t.fields;
  const pfn = f.get("pfn");
  if (pfn !== undefined) {
    const failed = f.get("page") === "(null)" || f.get("page") === "0000000000000000";
    assert.equal(b.pfn[i], failed ? -1 : parseInt(pfn, 16), where);
  }
  const order = f.get("order");
  if (order !== undefined) assert.equal(b.order[i], Number(order), where);
  const gfp = f.get("gfp_flags");
  // The printed mask must come out exactly as the kernel printed it.
  if (gfp !== undefined) assert.equal(formatGfp(b.gfp[i]!), gfp, where);
  const site = f.get("call_site");
  // The kernel prints `%pS` as `func+0xoff/0xsize`; trace-cmd (and the reader) as `func+0xoff`.
  if (site !== undefined) assert.equal(s.get(b.callSite[i]!), site.split("/")[0], where);
  const name = f.get("name");
  if (name !== undefined && t.event.startsWith("kmem_cache")) {
    assert.equal(s.get(b.name[i]!), name, where);
  }
  const acc = f.get("accounted");
  if (acc !== undefined) {
    assert.equal((b.flags[i]! & EventFlag.ACCOUNTED) !== 0, acc === "true", where);
  }
  const bytesReq = f.get("bytes_req");
  if (bytesReq !== undefined) assert.equal(b.bytesReq[i], Number(bytesReq), where);
}

Deno.test("isTraceDat recognises the \\x17\\x08Dtracing magic only", () => {
  assert.equal(isTraceDat(smallV7), true);
  assert.equal(isTraceDat(smallV6), true);
  assert.equal(isTraceDat(new TextEncoder().encode("# tracer: nop\n")), false);
  assert.equal(isTraceDat(smallV7.subarray(0, 5)), false);
});

Deno.test("small v7 sample: metadata, buffers and the instance holding kmem events", () => {
  const r = new TraceDatReader(smallV7, { file: "small-6.18.dat" });
  assert.deepEqual(r.buffers, ["", "krtest"]);
  assert.equal(r.selected.name, "krtest");
  assert.equal(r.meta.version, 7);
  assert.equal(r.meta.compression, "zstd");
  assert.equal(r.meta.littleEndian, true);
  assert.equal(r.meta.longSize, 8);
  assert.equal(r.meta.kernelLongSize, 8);
  assert.equal(r.meta.cpus, 2);
  assert.equal(r.meta.traceClock, "local");
  assert.match(r.meta.uname, /^Linux \S+ 6\.18\./);
  assert.equal(r.selected.compressed, true);
  assert.equal(r.eventFormat("kmalloc")?.fields.find((f) => f.name === "gfp_flags")?.size, 8);
  // The top buffer exists but holds nothing.
  const top = new TraceDatReader(smallV7, { buffer: "" });
  let n = 0;
  for (const b of top.batches(new StringTable())) n += b.length;
  assert.equal(n, 0);
  assert.throws(
    () => new TraceDatReader(smallV7, { buffer: "nope" }),
    /no buffer "nope".*"krtest"/,
  );
});

Deno.test("small sample: every event matches the kernel's own text of the same buffer", () => {
  const text = [...textEvents(Deno.readFileSync(SMALL_TXT))];
  assert.equal(text.length, 3147);
  const r = new TraceDatReader(smallV7);
  const s = new StringTable();
  let n = 0;
  const lost: Array<{ cpu: number; count: number }> = [];
  for (const b of r.batches(s, 512)) {
    for (let i = 0; i < b.length; i++) {
      if (b.kind[i] === Ev.lost_events) {
        lost.push({ cpu: b.cpu[i]!, count: b.a[i]! });
        continue;
      }
      assertMatchesText(b, s, i, text[n]!, n);
      n++;
    }
  }
  assert.equal(n, text.length);
  // trace-cmd report: "CPU:1 [291 EVENTS DROPPED]" first, later "CPU:0 [EVENTS DROPPED]".
  assert.deepEqual(lost, [{ cpu: 1, count: 291 }, { cpu: 0, count: -1 }]);
  assert.deepEqual(r.stats.records, { total: 3147, parsed: 3147, unknown: 0, malformed: 0 });
  assert.deepEqual(r.stats.lost, { markers: 2, events: 291, unknownCounts: 1 });
  const counts = new Map<string, number>();
  for (const t of text) counts.set(t.event, (counts.get(t.event) ?? 0) + 1);
  for (const [event, count] of counts) {
    assert.equal(r.stats.byKind[Ev[event as "kfree"]], count, event);
  }
  assert.equal(counts.get("kmem_cache_free"), 1845);
});

Deno.test("small sample: v6 (uncompressed) and v7 (zstd) give the same rows; pure-JS zstd too", () => {
  const v7 = rows(smallV7).keys;
  const v6 = rows(smallV6);
  assert.equal(v6.reader.meta.version, 6);
  assert.equal(v6.reader.meta.compression, "none");
  assert.deepEqual(v6.reader.buffers, ["", "krtest"]);
  assert.equal(v7.length, 3149);
  assert.deepEqual(v6.keys, v7);
  assert.deepEqual(rows(smallV7, { pureZstd: true }).keys, v7);
});

Deno.test("rss_stat and slab rows fill the columns the EventBatch doc names", () => {
  const r = new TraceDatReader(smallV7);
  const s = new StringTable();
  let rss = false;
  let slab = false;
  for (const b of r.batches(s)) {
    for (let i = 0; i < b.length; i++) {
      if (!rss && b.kind[i] === Ev.rss_stat) {
        // "mm_id=4292052960 curr=1 type=MM_ANONPAGES size=174960640B" (first rss_stat line).
        assert.equal(b.a[i], 4292052960);
        assert.equal(b.b[i], 1);
        assert.equal(b.c[i], 174960640);
        assert.equal(b.flags[i], EventFlag.CURR);
        rss = true;
      }
      if (!slab && b.kind[i] === Ev.kmem_cache_alloc) {
        assert.ok(b.ptrHi[i]! >= 0xffff0000, "real, unhashed kernel pointer");
        assert.ok(b.bytesAlloc[i]! >= b.bytesReq[i]!);
        assert.notEqual(s.get(b.name[i]!), "");
        assert.match(s.get(b.callSite[i]!), /^[\w.]+\+0x[0-9a-f]+$/);
        slab = true;
      }
    }
  }
  assert.ok(rss && slab);
});

// ---- the shared capture -------------------------------------------------------------------------

const EXPECTED_MIXED = MIXED_EVENT_COUNTS;

Deno.test("mixed capture: trace.dat (v7) and trace-v6.dat give the same event sequence", () => {
  const v7 = new TraceDatReader(Deno.readFileSync(`${MIXED}/trace.dat`));
  const v6 = new TraceDatReader(gunzipSync(Deno.readFileSync(`${MIXED}/trace-v6.dat.gz`)));
  assert.deepEqual(v7.buffers, ["", "capall_8638"]);
  assert.equal(v7.selected.name, "capall_8638");
  assert.equal(v6.selected.name, "capall_8638");
  const s7 = new StringTable();
  const s6 = new StringTable();
  const g7 = v7.batches(s7);
  const g6 = v6.batches(s6);
  let n = 0;
  for (;;) {
    const a = g7.next();
    const b = g6.next();
    assert.equal(a.done, b.done);
    if (a.done || b.done) break;
    assert.equal(a.value.length, b.value.length);
    for (let i = 0; i < a.value.length; i++, n++) {
      const ka = rowKey(a.value, s7, i);
      if (ka !== rowKey(b.value, s6, i)) {
        assert.fail(`row ${n}: ${ka} != ${rowKey(b.value, s6, i)}`);
      }
    }
  }
  assert.equal(n, 1065358);
  for (const r of [v7, v6]) {
    assert.deepEqual(r.stats.records, {
      total: 1065358,
      parsed: 1065358,
      unknown: 0,
      malformed: 0,
    });
    assert.equal(r.stats.lost.markers, 0);
    const got = Object.fromEntries(
      r.stats.byKind.map((c, k) => [EVENT_NAMES[k], c]).filter(([, c]) => c !== 0),
    );
    assert.deepEqual(got, EXPECTED_MIXED);
  }
});

Deno.test("mixed capture: trace.dat matches trace.txt.gz row by row at µs precision", () => {
  const text = textEvents(Deno.readFileSync(`${MIXED}/trace.txt.gz`));
  const r = new TraceDatReader(Deno.readFileSync(`${MIXED}/trace.dat`));
  const s = new StringTable();
  let n = 0;
  for (const b of r.batches(s)) {
    for (let i = 0; i < b.length; i++, n++) {
      const t = text.next();
      assert.ok(!t.done, `text ends before row ${n}`);
      assertMatchesText(b, s, i, t.value, n);
    }
  }
  assert.ok(text.next().done, "text has more events than the trace.dat");
  assert.equal(n, 1065358);
});

// ---- bad input ----------------------------------------------------------------------------------

function readAll(bytes: Uint8Array, strict = false): TraceDatReader {
  const r = new TraceDatReader(bytes, { file: "bad.dat", strict });
  for (const _ of r.batches(new StringTable())) { /* drain */ }
  return r;
}

function u32le(b: Uint8Array, at: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);
}

/** File offset and size of CPU `cpu`'s data in the v6 sample (from the flyrecord header). */
function v6CpuData(cpu: number): { offset: number; size: number } {
  const r = new TraceDatReader(smallV6);
  const c = r.selected.cpus[cpu]!;
  return { offset: c.offset, size: c.size };
}

Deno.test("bad input: a wrong magic is a TraceSyntaxError at byte offset 0", () => {
  const b = smallV7.slice();
  b[3] = 0x54;
  assert.throws(() => new TraceDatReader(b, { file: "x.dat" }), (e: unknown) => {
    assert.ok(e instanceof TraceSyntaxError);
    assert.equal(e.line, 0);
    assert.match(e.message, /x\.dat: byte offset 0: not a trace\.dat file: expected the magic/);
    return true;
  });
});

Deno.test("bad input: truncated files fail with the offset and what was expected", () => {
  // Inside the file header: the compression name has no NUL.
  assert.throws(
    () => new TraceDatReader(smallV7.subarray(0, 20)),
    /expected a NUL-terminated compression/,
  );
  // After the header: the options offset points past the end.
  assert.throws(
    () => new TraceDatReader(smallV7.subarray(0, 1000)),
    /byte offset 2\d: expected first options section offset inside the file \(1000 bytes\)/,
  );
  // v6 cut inside the event formats.
  assert.throws(() => new TraceDatReader(smallV6.subarray(0, 50_000)), TraceSyntaxError);
  // v6 cut inside CPU 1's data: metadata is complete, the data is read as far as it goes.
  const cpu1 = v6CpuData(1);
  const cut = smallV6.subarray(0, cpu1.offset + 3 * 4096 + 100);
  const r = readAll(cut);
  assert.equal(r.stats.diagnostics.counts.get("truncated-data"), 1);
  assert.equal(r.stats.records.malformed, 0);
  assert.ok(r.stats.records.parsed > 1000 && r.stats.records.parsed < 3147);
  assert.throws(() => readAll(cut, true), /truncated|runs past the end/);
});

Deno.test("bad input: every cut of the samples either errors cleanly or reads a prefix", () => {
  const cpu1 = v6CpuData(1);
  let prefixes = 0;
  let expected = 0;
  for (const file of [smallV7, smallV6]) {
    for (let len = 0; len < file.length; len += 9973) {
      // v6 keeps its metadata in front: a cut inside the last CPU's data still reads.
      if (file === smallV6 && len > cpu1.offset) expected++;
      try {
        const r = readAll(file.subarray(0, len));
        assert.ok(r.stats.records.parsed <= 3147);
        prefixes++;
      } catch (e) {
        assert.ok(e instanceof TraceSyntaxError, `cut at ${len}: ${e}`);
      }
    }
  }
  assert.equal(prefixes, expected);
});

Deno.test("bad input: a section size pointing past the end", () => {
  const b = smallV7.slice();
  // The headers section (option HEADER_INFO) starts at byte 37: id, flags, string id, u64 size.
  assert.equal(new DataView(b.buffer).getUint16(37, true), 16);
  u32le(b, 37 + 8, 0x7fffffff);
  assert.throws(
    () => new TraceDatReader(b, { file: "s.dat" }),
    /s\.dat: byte offset 53: expected headers section data \(2147483647 bytes\), but only \d+ remain/,
  );
});

Deno.test("bad input: a corrupt compressed chunk skips its pages and leaves a lost marker", () => {
  const clean = new TraceDatReader(smallV7);
  const cpu1 = clean.selected.cpus[1]!;
  const b = smallV7.slice();
  // First chunk of CPU 1: u32 count, u32 compressed size, u32 size, then the zstd frame.
  for (let k = 0; k < 64; k++) b[cpu1.offset + 12 + 40 + k]! ^= 0x5a;
  const r = readAll(b);
  assert.equal(r.stats.diagnostics.counts.get("bad-chunk"), 1);
  assert.equal(r.stats.records.malformed, 0);
  assert.ok(r.stats.records.parsed < 3147 && r.stats.records.parsed > 0);
  assert.equal(r.stats.lost.unknownCounts, 2); // the chunk's gap and CPU 0's missed-events page
  assert.equal(r.stats.diagnostics.examples[0]?.line, cpu1.offset + 4);
  assert.throws(() => readAll(b, true), (e: unknown) => {
    assert.ok(e instanceof TraceSyntaxError);
    assert.equal(e.code, "bad-chunk");
    return true;
  });
});

Deno.test("bad input: a huge chunk count or chunk size does not hang or allocate", () => {
  const clean = new TraceDatReader(smallV7);
  const cpu0 = clean.selected.cpus[0]!;
  const b = smallV7.slice();
  u32le(b, cpu0.offset, 0xffffffff);
  const r = readAll(b);
  assert.equal(r.stats.diagnostics.counts.get("truncated-chunk"), 1);
  assert.equal(r.stats.records.parsed, 3147);
  const c = smallV7.slice();
  u32le(c, cpu0.offset + 8, 0xfffffff0); // uncompressed size of the first chunk
  const rc = readAll(c);
  assert.equal(rc.stats.diagnostics.counts.get("bad-chunk-size"), 1);
});

Deno.test("bad input: an unknown event id is counted malformed with its byte offset", () => {
  const clean = new TraceDatReader(smallV6);
  const s = new StringTable();
  let source = -1;
  for (const bt of clean.batches(s)) {
    for (let i = 0; i < bt.length && source < 0; i++) {
      if (bt.kind[i] !== Ev.lost_events) source = bt.source[i]!;
    }
  }
  const b = smallV6.slice();
  const dv = new DataView(b.buffer);
  const typeLen = dv.getUint32(source, true) & 31;
  const payload = source + (typeLen === 0 ? 8 : 4);
  dv.setUint16(payload, 65000, true); // common_type
  const r = readAll(b);
  assert.equal(r.stats.records.malformed, 1);
  assert.equal(r.stats.records.parsed, 3146);
  assert.deepEqual(r.stats.diagnostics.examples[0], {
    code: "unknown-event-id",
    line: source,
    message: "event id 65000 has no format in the file",
  });
});

Deno.test("bad input: a page whose commit exceeds the page is skipped with a lost marker", () => {
  const cpu0 = v6CpuData(0);
  const b = smallV6.slice();
  const page = cpu0.offset + 4096; // second page of CPU 0
  u32le(b, page + 8, 5000); // commit
  const clean = readAll(smallV6);
  const r = readAll(b);
  assert.equal(r.stats.pagesSkipped, 1);
  assert.equal(r.stats.diagnostics.counts.get("bad-page-commit"), 1);
  assert.equal(r.stats.diagnostics.examples[0]?.line, page);
  assert.match(r.stats.diagnostics.examples[0]!.message, /commit says 5000 bytes .* room for 4080/);
  const lostRecords = clean.stats.records.parsed - r.stats.records.parsed;
  assert.ok(lostRecords > 0 && lostRecords < 200, `${lostRecords} records on one page`);
  assert.equal(r.stats.lost.markers, clean.stats.lost.markers + 1);
});

Deno.test("bad input: random byte flips never hang and only raise TraceSyntaxError", () => {
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let k = 0; k < 150; k++) {
    const b = smallV7.slice();
    for (let j = 0; j < 4; j++) b[Math.floor(rand() * b.length)]! ^= 1 << Math.floor(rand() * 8);
    try {
      const r = readAll(b);
      assert.ok(r.stats.records.total <= 4000);
    } catch (e) {
      assert.ok(e instanceof TraceSyntaxError, `flip run ${k}: ${e}`);
    }
  }
});
