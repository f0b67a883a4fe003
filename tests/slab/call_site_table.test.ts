import assert from "node:assert/strict";
import { CallSiteTable, fragPct } from "../../lib/slab/call_site_table.ts";
import { LiveObjects, NO_CACHE } from "../../lib/slab/live_objects.ts";
import { StringTable } from "../../lib/trace/string_table.ts";

Deno.test("call sites: perf kmem Frag, live objects and leak candidates after the last lost marker", () => {
  // kmalloc-128 for a 100-byte request: perf kmem --caller prints Frag 21.875 %.
  assert.equal(fragPct(100, 128), 21.875);
  assert.equal(fragPct(0, 0), 0);
  const strings = new StringTable();
  const sites = new CallSiteTable();
  const objs = new LiveObjects();
  const add = (site: string, ptr: number, tsNs: number, bytes: number) => {
    const s = sites.id(strings.intern(site), NO_CACHE);
    sites.allocs[s]!++;
    sites.bytesReq[s]! += bytes - 28;
    sites.bytesAlloc[s]! += bytes;
    const r = objs.newRecord();
    objs.site[r] = s;
    objs.bytesAlloc[r] = bytes;
    objs.tsNs[r] = tsNs;
    objs.byPtr.set(ptr, r);
  };
  add("alloc_pipe_info+0x8f/0x1d0", 0x1000, 100, 128); // old: a leak candidate
  add("alloc_pipe_info+0x8f/0x1d0", 0x2000, 900, 128); // young
  add("getname_flags+0x2e/0x1e0", 0x3000, 40, 4096); // before the lost marker at 50
  const r = sites.rows(objs, strings, () => "(page allocator)", {
    lastTsNs: 1000,
    minAgeNs: 500,
    lastLostTsNs: 50,
  });
  assert.equal(r.liveAtEnd, 3);
  assert.equal(r.liveBytesAtEnd, 128 + 128 + 4096);
  assert.deepEqual(r.callSites.map((c) => [c.callSite, c.allocs, c.liveAtEnd, c.wasteBytes]), [
    ["alloc_pipe_info+0x8f/0x1d0", 2, 2, 56],
    ["getname_flags+0x2e/0x1e0", 1, 1, 28],
  ]);
  assert.deepEqual(r.leaks, [{
    callSite: "alloc_pipe_info+0x8f/0x1d0",
    cache: "(page allocator)",
    objects: 1,
    bytesAlloc: 128,
    oldestTsNs: 100,
  }]);
});
