import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { CallBatch } from "../../lib/calls/call_batch.ts";
import { Call, callOfEvent } from "../../lib/calls/call_kind.ts";
import { parseGfp } from "../../lib/kernel/gfp_flags.ts";
import { replayTrace } from "../../lib/replay/replay_trace.ts";
import { SlabReplay, sortSlabRows } from "../../lib/slab/slab_replay.ts";
import { parseSnapshotSet } from "../../lib/snapshot/bundle.ts";
import { parseSlabinfo } from "../../lib/snapshot/slabinfo.ts";
import { EventFlag } from "../../lib/trace/event_batch.ts";
import { eventCode } from "../../lib/trace/event_kind.ts";
import { StringTable } from "../../lib/trace/string_table.ts";

const MIXED = new URL("../../../shared/traces/mixed/", import.meta.url);
const text = new TextDecoder().decode(
  gunzipSync(Deno.readFileSync(new URL("trace.txt.gz", MIXED))),
);
const slabinfo = (when: string) =>
  parseSlabinfo(Deno.readTextFileSync(new URL(`${when}.slabinfo`, MIXED)));

const LINE =
  /^\s*.+?-\d+\s+\[(\d+)\]\s+\S+\s+(\d+)\.(\d+): (kmalloc|kfree|kmem_cache_alloc|kmem_cache_free|alloc_vmap_area|free_vmap_area_noflush|purge_vmap_area_lazy): (.*)$/;

interface Row {
  ts: number;
  cpu: number;
  ev: string;
  f: Map<string, string>;
}

/** The slab and vmalloc lines of the shared capture, in timestamp order. */
function slabLines(): Row[] {
  return slabLinesOf(text);
}

function setPtr(b: CallBatch, i: number, v: bigint): void {
  b.ptrHi[i] = Number((v >> 32n) & 0xffffffffn);
  b.ptrLo[i] = Number(v & 0xffffffffn);
}

function toBatch(rows: Row[], strings: StringTable): CallBatch {
  const b = new CallBatch(rows.length);
  for (const r of rows) {
    const code = eventCode(r.ev);
    const i = b.push(code, r.ts, r.cpu);
    b.call[i] = callOfEvent(code) as number;
    const f = r.f;
    if (r.ev.includes("vmap_area")) {
      if (r.ev === "purge_vmap_area_lazy") {
        setPtr(b, i, BigInt(f.get("start")!));
        b.bytesReq[i] = Number(BigInt(f.get("end")!) - BigInt(f.get("start")!));
      } else {
        setPtr(b, i, BigInt(f.get("va_start")!));
        b.bytesReq[i] = Number(f.get("size") ?? 0);
        b.a[i] = Number(f.get("nr_lazy") ?? -1);
        if (f.get("failed") === "1") b.flags[i] = EventFlag.FAILED;
      }
      continue;
    }
    setPtr(b, i, BigInt("0x" + f.get("ptr")!));
    b.callSite[i] = strings.intern(f.get("call_site")!);
    if (f.has("name")) b.name[i] = strings.intern(f.get("name")!);
    if (f.has("bytes_req")) {
      b.bytesReq[i] = Number(f.get("bytes_req"));
      b.bytesAlloc[i] = Number(f.get("bytes_alloc"));
      b.gfp[i] = parseGfp(f.get("gfp_flags")!);
      b.node[i] = Number(f.get("node"));
      if (f.get("accounted") === "true") b.flags[i] = EventFlag.ACCOUNTED;
    }
  }
  return b;
}

const ROWS = slabLines();

Deno.test("slab replay: per-call-site totals equal a direct recount of the alloc lines", () => {
  const strings = new StringTable();
  const replay = new SlabReplay(strings, { nrCpus: 2, slabinfo: slabinfo("before") });
  replay.consume(toBatch(ROWS, strings));
  const res = replay.finish();
  const recount = new Map<string, [number, number, number]>();
  let allocLines = 0, freeLines = 0;
  for (const r of ROWS) {
    if (r.ev === "kfree" || r.ev === "kmem_cache_free") freeLines++;
    if (r.ev !== "kmalloc" && r.ev !== "kmem_cache_alloc") continue;
    allocLines++;
    const t = recount.get(r.f.get("call_site")!) ?? [0, 0, 0];
    t[0]++;
    t[1] += Number(r.f.get("bytes_req"));
    t[2] += Number(r.f.get("bytes_alloc"));
    recount.set(r.f.get("call_site")!, t);
  }
  // grep -c ' kmalloc: ' = 35678, ' kmem_cache_alloc: ' = 309840, kfree 110219, kmem_cache_free 234435
  assert.equal(allocLines, 35678 + 309840);
  assert.equal(freeLines, 110219 + 234435);
  assert.equal(res.totals.allocs, allocLines);
  const got = new Map(res.callSites.map((s) => [s.callSite, [s.allocs, s.bytesReq, s.bytesAlloc]]));
  assert.deepEqual(got, recount);
  // Every free line is accounted for exactly once.
  const d = res.desync;
  assert.equal(res.totals.frees + d.freeUnknown + d.doubleFree + res.totals.kfreeNull, freeLines);
  assert.equal(res.totals.kfreeNull, 74153); // grep -c ' kfree: .*ptr=0000000000000000$'
  // awk over the text: a free of a pointer whose last event was a free (the replay remembers
  // the last 2^20 frees; the farthest pair here is 219,310 frees apart).
  assert.equal(d.doubleFree, 63);
  assert.equal(res.totals.liveAtEnd, res.totals.allocs - res.totals.frees - d.ptrReusedLive);
  const sumSites = res.callSites.reduce((s, c) => s + c.liveAtEnd, 0);
  assert.equal(sumSites, res.totals.liveAtEnd);
  // perf kmem's summary fragmentation from the same totals.
  assert.equal(
    res.totals.fragPct,
    100 - 100 * res.totals.bytesReq / res.totals.bytesAlloc,
  );
  const task = res.caches.find((c) => c.name === "task_struct")!;
  assert.equal(task.allocs, 676); // grep -c 'kmem_cache_alloc: .* name=task_struct '
  assert.deepEqual([task.objSizeBytes, task.objsPerSlab, task.pagesPerSlab], [5888, 5, 8]);
  assert.equal(task.geometry, "slabinfo");
  assert.equal(res.lostEvents.markers, 0);
  assert.equal(res.totals.largeAllocs, 0); // awk: no kmalloc line with bytes_alloc > 8192
  for (const c of replay.caches) c.checkInvariants();
  const top = sortSlabRows(res.callSites, "bytes")[0]!;
  assert.equal(top.bytesAlloc, Math.max(...[...recount.values()].map((t) => t[2])));
});

Deno.test("slab replay: seeding from before.slabinfo, vmap areas and the result summary", () => {
  const strings = new StringTable();
  const before = slabinfo("before");
  let samples = 0;
  const replay: SlabReplay = new SlabReplay(strings, {
    nrCpus: 2,
    slabinfo: before,
    seed: before,
    sampleIntervalNs: 1e9,
    onSample: () => {
      samples++;
      assert.ok(replay.caches.length > 0);
    },
  });
  const seeded = replay.caches.find((c) => c.name === "kmalloc-64")!;
  assert.equal(seeded.inuse, 135936); // before.slabinfo active_objs
  replay.consume(toBatch(ROWS, strings));
  const res = replay.finish();
  assert.ok(samples >= Math.floor((res.lastTsNs - res.firstTsNs) / 1e9));
  assert.ok(res.desync.freeSeeded > 0 && res.desync.freeSeeded <= res.desync.freeUnknown);
  // grep -c: 285 alloc_vmap_area, 286 free_vmap_area_noflush, 0 purge_vmap_area_lazy.
  assert.equal(res.vmap.allocs + res.vmap.failed, 285);
  assert.equal(res.vmap.frees + res.vmap.freeUnknown, 286);
  assert.equal(res.vmap.purges, 0);
  for (const c of replay.caches) c.checkInvariants();
  // Every kmem_cache_alloc name of this 6.18 trace is a cache of the before snapshot.
  assert.deepEqual(res.notInSlabinfo, []);
  assert.ok(res.leaks.every((l) => l.objects > 0 && l.oldestTsNs <= res.lastTsNs));
});

Deno.test("slab replay: desyncs, alias evidence and lost-event windows (synthetic rows)", () => {
  const strings = new StringTable();
  const b = new CallBatch(16);
  const add = (ev: string, ts: number, ptr: number, extra: (i: number) => void = () => {}) => {
    const code = eventCode(ev);
    const i = b.push(code, ts, 0);
    b.call[i] = callOfEvent(code) as number;
    b.ptrLo[i] = ptr;
    b.callSite[i] = strings.intern(`site${ptr >> 8}`);
    extra(i);
  };
  const named = (name: string, size: number) => (i: number) => {
    b.name[i] = strings.intern(name);
    b.bytesReq[i] = size;
    b.bytesAlloc[i] = size;
  };
  add("kmem_cache_alloc", 10, 0x100, named("foo", 64));
  add("kmem_cache_free", 20, 0x100, named("bar", 64)); // freed under another name
  add("kmem_cache_free", 30, 0x100, named("bar", 64)); // double free
  add("kfree", 40, 0x900); // never seen allocated
  add("kmem_cache_alloc", 50, 0x200, named("foo", 64));
  add("kmem_cache_alloc", 60, 0x200, named("foo", 64)); // reused while live
  const lost = b.push(eventCode("lost_events"), 70, 1);
  b.call[lost] = Call.LOST;
  b.a[lost] = 12;
  add("kmem_cache_alloc", 80, 0x300, named("foo", 64));
  add("kmalloc", 1000, 0x400, (i) => {
    b.bytesReq[i] = 100;
    b.bytesAlloc[i] = 128;
  });
  const r = new SlabReplay(strings, { nrCpus: 2, leakMinAgeNs: 100 });
  r.consume(b);
  const res = r.finish();
  assert.deepEqual(res.desync, {
    freeUnknown: 1,
    freeSeeded: 0,
    // The never-seen kfree is of 0x900, a hashed-range pointer: no page tells its cache.
    freeUnattributed: 1,
    doubleFree: 1,
    ptrReusedLive: 1,
    allocFailed: 0,
    cacheMismatch: 1,
  });
  assert.deepEqual(res.aliases, [{ cache: "bar", alias: "foo", count: 1, kind: "free-name" }]);
  assert.deepEqual(res.lostEvents, { markers: 1, events: 12, lastTsNs: 70 });
  // 0x200 (ts 60) is older than the lost window, 0x300 (ts 80) is a candidate, 0x400 too young.
  assert.deepEqual(res.leaks.map((l) => [l.callSite, l.objects]), [["site3", 1]]);
  const km = res.callSites.find((s) => s.callSite === "site4")!;
  assert.equal(km.cache, "kmalloc-128");
  assert.equal(km.fragPct, 21.875);
  assert.equal(res.caches.find((c) => c.name === "foo")!.inuseObjs, 2);
});

Deno.test("sortSlabRows: cache rows sort by waste (alloc − req) and by objects in use", () => {
  const caches = [
    { name: "a", allocs: 5, bytesAlloc: 640, bytesReq: 600, inuseObjs: 9 },
    { name: "b", allocs: 9, bytesAlloc: 512, bytesReq: 256, inuseObjs: 2 },
  ];
  assert.deepEqual(sortSlabRows([...caches], "waste").map((c) => c.name), ["b", "a"]);
  assert.deepEqual(sortSlabRows([...caches], "live").map((c) => c.name), ["a", "b"]);
  assert.deepEqual(sortSlabRows([...caches], "bytes").map((c) => c.name), ["a", "b"]);
  assert.deepEqual(sortSlabRows([...caches], "calls").map((c) => c.name), ["b", "a"]);
});

Deno.test("slab replay: pre-trace frees attributed by cache name or by the 4 KiB page", () => {
  // Raw x86-64 direct-map pointers (≥ HASHED_POINTER_LIMIT); pages A..D are 4 KiB apart.
  const P = 0xffff888100000000n;
  const A = P, B = P + 0x5000n, C = P + 0x9000n, D = P + 0x2000n, E = P + 0x7000n;
  const strings = new StringTable();
  const b = new CallBatch(32);
  const add = (ev: string, ts: number, ptr: bigint, name?: string, bytes = 0) => {
    const code = eventCode(ev);
    const i = b.push(code, ts, 0);
    b.call[i] = callOfEvent(code) as number;
    setPtr(b, i, ptr);
    b.callSite[i] = strings.intern(`${ev}_site`);
    if (name !== undefined) b.name[i] = strings.intern(name);
    if (ev === "kmalloc") b.gfp[i] = parseGfp("GFP_KERNEL");
    b.bytesReq[i] = bytes;
    b.bytesAlloc[i] = bytes;
  };
  add("kmem_cache_free", 2, 0x1234n, "baz"); // named after a cache first allocated at 150
  add("kmem_cache_free", 3, 0x5678n, "never"); // a cache the replay never has → unattributed
  add("kmem_cache_alloc", 5, E + 0x20n, "bar", 32);
  add("kmem_cache_alloc", 10, A + 0x40n, "foo", 64); // page A holds foo objects
  add("kmem_cache_alloc", 12, D, "foo", 64);
  add("kmem_cache_free", 13, D, "foo");
  add("kmalloc", 14, D + 0x80n, undefined, 128); // page D reused: the last allocation wins
  add("kfree", 20, A + 0x80n); // never seen, page A known → foo
  add("kfree", 30, B + 0x100n); // never seen, page B not yet seen → pending
  add("kmalloc", 40, B + 0x200n, undefined, 128); // page B → kmalloc-128, resolved at finish()
  add("kfree", 50, 0x6d8abb97n); // hashed %p pointer: page means nothing → unattributed
  add("kmem_cache_free", 60, A + 0xc0n, "bar"); // the name beats the page
  add("kmem_cache_free", 70, 0x0936125fn, "foo"); // hashed but named → foo
  add("kfree", 80, C + 0x10n); // page no allocation ever used → unattributed at finish()
  add("kfree", 90, A + 0x80n); // the same pre-trace object again: a double free
  add("kmem_cache_free", 100, A + 0x40n, "foo");
  add("kmem_cache_alloc", 110, A + 0x100n, "foo", 64);
  add("kfree", 130, D + 0xc0n); // page D → kmalloc-128 (its last allocation)
  add("kmem_cache_alloc", 140, A + 0x100n, "foo", 64); // reused while live: an implied free
  add("kmem_cache_alloc", 150, P + 0xb000n, "baz", 16);

  const run = (seed?: ReturnType<typeof parseSlabinfo>) => {
    const r = new SlabReplay(strings, { nrCpus: 2, seed });
    r.consume(b);
    return r.finish();
  };
  const res = run();
  const row = (name: string) => {
    const c = res.caches.find((c) => c.name === name)!;
    return [c.allocs, c.frees, c.impliedFrees, c.preTraceFrees, c.objectsDelta];
  };
  // [allocs, frees, impliedFrees, preTraceFrees, objectsDelta]
  assert.deepEqual(row("foo"), [4, 2, 1, 2, 4 - 2 - 1 - 2]);
  assert.deepEqual(row("kmalloc-128"), [2, 0, 0, 2, 0]);
  assert.deepEqual(row("bar"), [1, 0, 0, 1, 0]);
  assert.deepEqual(row("baz"), [1, 0, 0, 1, 0]);
  assert.deepEqual(res.desync, {
    freeUnknown: 9,
    freeSeeded: 0,
    freeUnattributed: 3,
    doubleFree: 1,
    ptrReusedLive: 1,
    allocFailed: 0,
    cacheMismatch: 0,
  });
  // Every never-seen free lands in exactly one cache or stays unattributed.
  const preTrace = res.caches.reduce((s, c) => s + c.preTraceFrees, 0);
  assert.equal(preTrace + res.desync.freeUnattributed, res.desync.freeUnknown);

  // Seeded from a before-slabinfo, foo's pre-trace frees release seeded objects: the cache
  // ends with the seed plus objectsDelta in use.
  const seed = parseSlabinfo(
    "slabinfo - version: 2.1\n" +
      "foo                   10     64     64   64    1 : tunables    0    0    0 : " +
      "slabdata      1      1      0\n",
  );
  const seeded = run(seed);
  const foo = seeded.caches.find((c) => c.name === "foo")!;
  assert.equal(foo.seededObjs, 10);
  assert.equal(seeded.desync.freeSeeded, 2);
  assert.equal(foo.inuseObjs, foo.seededObjs + foo.objectsDelta); // 10 − 1
  assert.equal(foo.inuseObjs, 9);
});

/** The slab and vmalloc lines of a tracefs text capture, in timestamp order (a minimal reader for tests). */
function slabLinesOf(capture: string): Row[] {
  const rows: Row[] = [];
  for (const line of capture.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const f = new Map<string, string>();
    for (const kv of m[5]!.replace("va_start: ", "va_start=").split(" ")) {
      const eq = kv.indexOf("=");
      if (eq > 0) f.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    rows.push({ ts: Number(m[2]) * 1e9 + Number(m[3]) * 1e3, cpu: Number(m[1]), ev: m[4]!, f });
  }
  return rows.sort((a, b) => a.ts - b.ts);
}

Deno.test("slab replay: the demo capture's objectsDelta and never-seen frees add up", async () => {
  const demo = new URL("../../traces/demo/", import.meta.url);
  const capture = new TextDecoder().decode(
    gunzipSync(Deno.readFileSync(new URL("trace.txt.gz", demo))),
  );
  const before = parseSlabinfo(Deno.readTextFileSync(new URL("before.slabinfo", demo)));
  const strings = new StringTable();
  const replay = new SlabReplay(strings, { nrCpus: 2, slabinfo: before, seed: before });
  replay.consume(toBatch(slabLinesOf(capture), strings));
  const res = replay.finish();
  const sum = (f: (c: (typeof res.caches)[number]) => number) =>
    res.caches.reduce((s, c) => s + f(c), 0);
  const d = res.desync;

  // zcat | grep -c: ' kmalloc: ' 1978, ' kmem_cache_alloc: ' 8219, ' kfree: ' 3814,
  // ' kmem_cache_free: ' 7186, ' kfree: .*ptr=0000000000000000$' 1822.
  assert.equal(res.totals.allocs, 1978 + 8219);
  assert.equal(res.totals.kfreeNull, 1822);
  assert.equal(res.totals.frees + d.freeUnknown + d.doubleFree + res.totals.kfreeNull, 3814 + 7186);
  // A pointer-pairing recount of the same lines (python, stable sort by timestamp): 9159 paired
  // frees, 65 pointers allocated again while live, 19 never-seen frees — all of them kfree, so
  // no cache name; every pointer of this text capture is hashed (grep -vc 'ptr=00000000': 0),
  // so no page either.
  assert.equal(res.totals.frees, 9159);
  assert.equal(d.ptrReusedLive, 65);
  assert.equal(d.doubleFree, 0);
  assert.deepEqual([d.freeUnknown, d.freeUnattributed, sum((c) => c.preTraceFrees)], [19, 19, 0]);
  assert.equal(d.freeUnknown, sum((c) => c.preTraceFrees) + d.freeUnattributed);

  // Each row: objectsDelta = allocs − frees − impliedFrees − preTraceFrees.
  for (const c of res.caches) {
    assert.equal(c.objectsDelta, c.allocs - c.frees - c.impliedFrees - c.preTraceFrees, c.name);
  }
  // No kmalloc goes to the page provider: no line has bytes_alloc > 8192 (awk: the largest is
  // 4096), so every alloc, paired free and reuse belongs to a cache.
  assert.equal(res.totals.largeAllocs, 0);
  assert.equal(sum((c) => c.allocs), res.totals.allocs);
  assert.equal(sum((c) => c.frees), res.totals.frees);
  assert.equal(sum((c) => c.impliedFrees), d.ptrReusedLive);
  // With no large object live at the end, the objects the caches gained are the live objects
  // less the pre-trace objects freed: 10197 − 9159 − 65 − 0 = 973 (python: 973 pointers live).
  const delta = sum((c) => c.objectsDelta);
  assert.equal(delta, res.totals.liveAtEnd - sum((c) => c.preTraceFrees));
  assert.equal(delta, 973);

  // The full pipeline (importer → calls → slab replay, seeded from the bundle's before
  // snapshot) agrees.
  const texts: Record<string, string> = {};
  for (const n of ["before.slabinfo", "after.slabinfo"]) {
    texts[n] = Deno.readTextFileSync(new URL(n, demo));
  }
  const file = await Deno.open(new URL("trace.txt.gz", demo));
  const r = await replayTrace(file.readable, { snapshots: parseSnapshotSet(texts) });
  const slab = r.slab!;
  assert.deepEqual(slab.desync, d);
  assert.equal(slab.caches.reduce((s, c) => s + c.objectsDelta, 0), 973);
});
