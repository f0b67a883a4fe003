import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { CallBatch } from "../../lib/calls/call_batch.ts";
import { Call, callOfEvent } from "../../lib/calls/call_kind.ts";
import { parseGfp } from "../../lib/kernel/gfp_flags.ts";
import { SlabReplay, sortSlabRows } from "../../lib/slab/slab_replay.ts";
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

/** The slab and vmalloc lines of the capture, in timestamp order (a minimal reader for tests). */
function slabLines(): Row[] {
  const rows: Row[] = [];
  for (const line of text.split("\n")) {
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
  const replay = new SlabReplay(strings, {
    nrCpus: 2,
    slabinfo: before,
    seed: before,
    sampleIntervalNs: 1e9,
    onSample: (_ts, r) => {
      samples++;
      assert.ok(r.caches.length > 0);
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
