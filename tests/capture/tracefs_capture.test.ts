import assert from "node:assert/strict";
import { captureBundle, CaptureError, locateTracefs } from "../../lib/capture/tracefs_capture.ts";
import { parseCpuBufferStats } from "../../lib/capture/cpu_buffer_stats.ts";
import { SNAPSHOT_FILES } from "../../lib/capture/read_snapshots.ts";
import { replayTrace } from "../../lib/replay/replay_trace.ts";
import { validateReplay } from "../../lib/replay/validate/validate_replay.ts";
import { parseSnapshotSet } from "../../lib/snapshot/bundle.ts";
import { bundleLayout } from "../../lib/snapshot/bundle_layout.ts";
import { kpfZoneRanges, summarizeKpageflags } from "../../lib/snapshot/kpageflags_summary.ts";
import { importTrace } from "../../lib/calls/trace_import.ts";
import { cacheKey, cpuHeldCapacity, startSlabWitness, windowActivity } from "./slab_witness.ts";

/** Whether this machine lets us record (root + tracefs); the reason when it does not. */
async function tracefsWritable(): Promise<string | null> {
  try {
    const root = await locateTracefs();
    const probe = `${root}/instances/kmemreplay-probe-${Deno.pid}`;
    await Deno.mkdir(probe);
    await Deno.remove(probe);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
const why = await tracefsWritable();
if (why !== null) console.log(`tracefs_capture: real captures skipped: ${why}`);

const bytes = (x: string | Uint8Array | undefined) =>
  ReadableStream.from([typeof x === "string" ? new TextEncoder().encode(x) : x!]);

Deno.test({
  name:
    "capture: a real 0.x s capture of a fork loop gives the bundle layout of the shared capture",
  ignore: why !== null,
  sanitizeResources: false,
  fn: async () => {
    // The witness records from before the capture starts until its after-snapshots are read
    // (the first progress message after them: kpageflags, else "tracing off"). Recording longer
    // only widens the budget.
    const witness = await startSlabWitness(await locateTracefs());
    let r;
    try {
      r = await captureBundle({
        command: ["sh", "-c", "i=0; while [ $i -lt 20 ]; do /bin/true; i=$((i+1)); done"],
        bufferKb: 8192,
        onProgress: (m) => {
          if (/^(kpageflags:|tracing off)/.test(m)) witness.stop();
        },
      });
    } catch (e) {
      await witness.finish(); // removes the instance and its reader
      throw e;
    }
    const seen = await witness.finish();
    const names = [...r.files.keys()].sort();
    const expected = [
      ...SNAPSHOT_FILES.flatMap((f) => [`after.${f}`, `before.${f}`]),
      "after.slab_shrink",
      "before.slab_shrink",
      ...(r.stats.kpageflags ? ["after.kpageflags", "before.kpageflags"] : []),
      "stats",
      "trace.txt",
      "uname",
      ...(r.stats.traceDat ? ["trace.dat"] : []),
    ].sort();
    assert.deepEqual(names, expected);
    assert.equal(r.stats.commandExitCode, 0);
    assert.deepEqual(r.stats.events, ["kmem", "vmscan", "compaction", "vmalloc"]);
    // The private instance is gone.
    const left = [...Deno.readDirSync(`${r.stats.tracefsDir}/instances`)].map((e) => e.name);
    assert.ok(!left.includes(r.stats.instance), `instance ${r.stats.instance} left behind`);
    // The layout resolver picks trace.dat (or the text) and every snapshot.
    const layout = bundleLayout(names);
    assert.equal(layout.trace, r.stats.traceDat ? "trace.dat" : "trace.txt");
    assert.equal(
      layout.snapshots.length,
      2 * SNAPSHOT_FILES.length + 2 + (r.stats.kpageflags ? 2 : 0),
    );
    // Snapshots parse; the zones are the same before and after.
    const texts: Record<string, string | Uint8Array> = {};
    for (const n of layout.snapshots) texts[n] = r.files.get(n)!;
    const s = parseSnapshotSet(texts);
    if (r.stats.kpageflags) {
      // Every zone is covered; DMA, which nothing allocates from, has the buddyinfo blocks.
      for (const when of ["before", "after"] as const) {
        const k = s[when].kpageflags!;
        assert.equal(k.pfnCount, r.stats.kpageflags.pfns);
        const sums = summarizeKpageflags(k, kpfZoneRanges(s[when].zoneinfo!));
        assert.ok(sums.every((z) => z.uncoveredPages === 0));
        const dma = sums.find((z) => z.zone === "DMA");
        const bi = s[when].buddyinfo!.find((z) => z.zone === "DMA");
        if (dma && bi) assert.deepEqual(dma.free.perOrder, bi.freeBlocks, when);
      }
    } else assert.ok(r.notes.some((n) => /kpageflags not readable/.test(n)));
    assert.deepEqual(
      s.after.buddyinfo!.map((z) => z.zone),
      s.before.buddyinfo!.map((z) => z.zone),
    );
    assert.ok(s.after.vmstat!.pgfree! >= s.before.vmstat!.pgfree!);
    for (const when of ["before", "after"] as const) {
      const info = s[when].slabinfo!;
      // Every slabinfo cache was shrunk right before its slabinfo read.
      assert.deepEqual(s[when].slabShrink!.failed, []);
      assert.equal(s[when].slabShrink!.caches, info.length);
    }
    // Shrunk snapshots count the objects in use, so a cache's error (predicted − actual) is
    // what the trace did not see: the rest of the machine's slab activity in the snapshot
    // windows (the witness measures it), free objects CPUs took back after a shrink (bounded by
    // the cache's CPU-held capacity), and frees without events, which validate's own budget
    // reports as implied frees (bulk frees and kfree_rcu batches; their count is unbounded).
    // Every cache must lie within that budget however busy the machine is: no quiet-machine luck.
    const v = validateReplay(
      await replayTrace(bytes(r.files.get("trace.txt")), { snapshots: s }),
      s.after,
      s.before,
    );
    assert.equal(v.slabMethod, "in-use");
    if (r.stats.kpageflags) {
      // after.kpageflags: every page of each zone span is compared, unknown to the model or a hole
      assert.ok(v.pfnAgreement !== null && v.pfnAgreement.length > 0);
      for (const z of v.pfnAgreement!) {
        assert.equal(z.comparedPages + z.unknownPages + z.holePages, z.spanPages, z.name);
      }
      const slabByZone = v.pfnAgreement!.reduce((n, z) => n + z.kernelSlabPages, 0);
      assert.equal(slabByZone, v.slabPages.kpageflags);
    }
    assert.equal(seen.lostEvents, 0, "the witness lost events: raise its buffer");
    const win = windowActivity(seen.text, r.files.get("trace.txt") as string, /^\s*(sh|true)-\d+ /);
    assert.equal(win.captureOnly, 0, "every traced slab event is in the witness too");
    const objsPerSlab = new Map(s.after.slabinfo!.map((c) => [c.name, c.objsPerSlab]));
    const cpus = r.stats.perCpu.length;
    const outside: string[] = [];
    let off = 0, sumAbs = 0, noWindow = 0;
    for (const c of v.slab) {
      const err = c.activeObjs.predicted - c.activeObjs.actual;
      const k = cacheKey(c.name);
      const allocs = win.allocs.get(k) ?? 0, frees = win.frees.get(k) ?? 0;
      const held = allocs + frees > 0 ? cpuHeldCapacity(c.name, objsPerSlab.get(c.name)!, cpus) : 0;
      const low = -(allocs + held);
      const high = c.impliedFrees > 0 ? Infinity : frees + win.unattributedFrees + held;
      if (low === 0) noWindow++;
      if (err < low || err > high) outside.push(`${c.name} ${err} not in ${low}…${high}`);
      if (err !== 0) off++;
      sumAbs += Math.abs(err);
    }
    console.log(
      `${off} of ${v.slab.length} caches off, ${outside.length} outside their budget; ` +
        `${noWindow} without window activity (error must be in 0…${win.unattributedFrees})`,
    );
    assert.deepEqual(outside, []);
    // validate's budget states the same residual.
    const residual = v.errorBudget.find((l) => l.item.startsWith("slab: objects in use"))!;
    assert.equal(residual.estimate, sumAbs);
    assert.match(residual.basis, new RegExp(`^${off} of ${v.slab.length} caches off`));
    // stats: "== cpuN" sections, per-CPU entries add up to the text's events.
    const stats = r.files.get("stats") as string;
    assert.equal(stats.match(/^== cpu\d+$/gm)!.length, r.stats.perCpu.length);
    const entries = r.stats.perCpu.reduce((a, c) => a + c.entries, 0);
    const text = await importTrace(bytes(r.files.get("trace.txt")), () => {});
    assert.equal(r.stats.lostEvents, 0);
    assert.equal(text.events.total + text.lines.unknown, entries);
    assert.ok((text.events.byKind.mm_page_alloc ?? 0) > 0, "a fork allocates pages");
    // fork() copies the task: task_struct comes from kmem_cache_alloc.
    assert.ok((text.events.byKind.kmem_cache_alloc ?? 0) > 20);
    assert.equal(r.files.get("uname"), `${Deno.osRelease()}\n`);
    if (r.stats.traceDat) {
      // The same ring buffer through trace-cmd extract: the same events.
      const dat = await importTrace(bytes(r.files.get("trace.dat")), () => {});
      assert.equal(dat.format, "trace.dat");
      assert.equal(dat.events.total, text.events.total);
    }
  },
});

Deno.test({
  name: "capture: --seconds without a command records for that long; a single event can be named",
  ignore: why !== null,
  sanitizeResources: false,
  fn: async () => {
    // Something must allocate pages while we record, even on an idle machine.
    const load = new Deno.Command("sh", {
      args: [
        "-c",
        "i=0; while [ $i -lt 200 ]; do head -c 65536 /dev/zero > /dev/null; i=$((i+1)); done",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const r = await captureBundle({
      seconds: 0.3,
      events: ["kmem:mm_page_alloc", "kmem:no_such_event"],
      traceDat: false,
      bufferKb: 4096,
      shrinkSlabs: false,
      kpageflags: false,
    });
    await load.status;
    assert.ok(r.stats.seconds >= 0.3 && r.stats.seconds < 2, `${r.stats.seconds}`);
    assert.equal(r.stats.commandExitCode, null);
    assert.deepEqual(r.stats.events, ["kmem/mm_page_alloc"]);
    assert.ok(r.notes.some((n) => /kmem:no_such_event not available/.test(n)));
    assert.ok(!r.files.has("trace.dat"));
    assert.ok(!r.files.has("before.slab_shrink") && !r.files.has("after.slab_shrink"));
    assert.ok(!r.files.has("before.kpageflags") && r.stats.kpageflags === null);
    // Without shrinking, the per-CPU occupancy is recorded instead (slab_sysfs): one line per
    // slabinfo cache; objs_per_slab is slabinfo's objperslab.
    const snap = parseSnapshotSet(
      Object.fromEntries(
        [...r.files].filter(([k]) => /^(before|after)\.slab(info|_sysfs)$/.test(k)),
      ) as Record<string, string>,
    );
    for (const when of ["before", "after"] as const) {
      const info = snap[when].slabinfo!;
      const sys = new Map(snap[when].slabSysfs!.map((r) => [r.name, r]));
      assert.deepEqual([...sys.keys()], info.map((r) => r.name));
      for (const r of info) assert.equal(sys.get(r.name)!.objsPerSlab, r.objsPerSlab, r.name);
    }
    const s = await importTrace(bytes(r.files.get("trace.txt")), () => {});
    // The loop above allocates pages; nothing else was enabled.
    assert.deepEqual(Object.keys(s.events.byKind).filter((k) => s.events.byKind[k]! > 0), [
      "mm_page_alloc",
    ]);
  },
});

/** Event lines of a trace text on disk (gzip or not), counted by grep: no `#` header, no LOST. */
async function grepEventLines(path: string): Promise<number> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `zcat -f '${path}' | grep -v '^#' | grep -vc 'LOST [0-9]* EVENTS'`],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

/** Σ `entries:` over the per-CPU sections of a bundle's `stats` file. */
function statsEntries(statsText: string): number {
  return [...statsText.matchAll(/^entries:\s*(\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
}

Deno.test({
  name: "capture: with outputDir every file is written to disk as it is made; the streamed " +
    "trace.txt.gz has one line per ring-buffer entry",
  ignore: why !== null,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kmem-capture-test-" });
    try {
      const r = await captureBundle({
        command: ["sh", "-c", "i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done"],
        outputDir: dir,
        gzip: true,
        kpageflags: false,
        shrinkSlabs: false,
      });
      assert.equal(r.files.size, 0);
      const onDisk = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual([...r.written].sort(), onDisk);
      for (const f of SNAPSHOT_FILES) {
        assert.ok(onDisk.includes(`before.${f}`) && onDisk.includes(`after.${f}`), f);
      }
      assert.ok(onDisk.includes("trace.txt.gz") && !onDisk.includes("trace.txt"));
      // Before-snapshots are written first (while tracing), the trace after stats.
      assert.ok(r.written.indexOf("before.buddyinfo") < r.written.indexOf("stats"));
      assert.ok(r.written.indexOf("stats") < r.written.indexOf("trace.txt.gz"));
      const stats = Deno.readTextFileSync(`${dir}/stats`);
      const entries = statsEntries(stats);
      assert.equal(entries, r.stats.perCpu.reduce((s, c) => s + c.entries, 0));
      assert.ok(entries > 1000, `${entries} entries`);
      // Lost events (a loaded machine may overrun) are not entries and not event lines.
      assert.equal(await grepEventLines(`${dir}/trace.txt.gz`), entries);
      if (r.stats.traceDat) {
        const dat = await importTrace((await Deno.open(`${dir}/trace.dat`)).readable, () => {});
        const txt = await importTrace(
          (await Deno.open(`${dir}/trace.txt.gz`)).readable,
          () => {},
        );
        assert.equal(dat.events.total, txt.events.total);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "capture: a trace that cannot be written still leaves the snapshots, stats and " +
    "trace.dat, and the message names the file, what was saved and what to do",
  ignore: why !== null,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kmem-capture-test-" });
    try {
      Deno.mkdirSync(`${dir}/trace.txt`); // a directory where the trace text goes: EISDIR
      const instanceName = `kmemreplay-fail-${Deno.pid}`;
      let message = "";
      await assert.rejects(
        () =>
          captureBundle({
            command: ["/bin/true"],
            outputDir: dir,
            instanceName,
            kpageflags: false,
            shrinkSlabs: false,
            bufferKb: 4096,
          }),
        (e: unknown) => {
          message = String((e as Error).message);
          return e instanceof CaptureError;
        },
      );
      assert.match(message, new RegExp(`writing ${dir}/trace.txt failed`));
      assert.match(message, new RegExp(`${dir} keeps what was saved: before\\.`));
      assert.match(message, /capture again/);
      const onDisk = [...Deno.readDirSync(dir)].map((e) => e.name);
      for (const f of SNAPSHOT_FILES) {
        assert.ok(onDisk.includes(`before.${f}`) && onDisk.includes(`after.${f}`), f);
      }
      assert.ok(onDisk.includes("stats") && onDisk.includes("uname"));
      if (message.includes("trace.dat")) {
        // trace-cmd saved the recorded events in the other format.
        const dat = await importTrace((await Deno.open(`${dir}/trace.dat`)).readable, () => {});
        assert.equal(dat.format, "trace.dat");
        assert.equal(dat.events.total, statsEntries(Deno.readTextFileSync(`${dir}/stats`)));
      }
      const root = await locateTracefs();
      assert.ok(![...Deno.readDirSync(`${root}/instances`)].some((e) => e.name === instanceName));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "capture: a command that cannot start is a CaptureError and the instance is removed",
  ignore: why !== null,
  sanitizeResources: false,
  fn: async () => {
    const instanceName = `kmemreplay-test-${Deno.pid}`;
    await assert.rejects(
      () => captureBundle({ command: ["/nonexistent/kmem-cmd"], instanceName, bufferKb: 1024 }),
      (e: unknown) =>
        e instanceof CaptureError && /cannot run \/nonexistent\/kmem-cmd/.test(String(e)),
    );
    const root = await locateTracefs();
    assert.ok(![...Deno.readDirSync(`${root}/instances`)].some((e) => e.name === instanceName));
  },
});

Deno.test("capture: no tracefs at the given place says what to do", async () => {
  await assert.rejects(
    () => captureBundle({ tracefsDir: "/nonexistent/tracing", seconds: 0 }),
    (e: unknown) =>
      e instanceof CaptureError &&
      /no usable tracefs at \/nonexistent\/tracing/.test(e.message) &&
      /(as root|mount -t tracefs nodev \/sys\/kernel\/tracing)/.test(e.message),
  );
});

Deno.test("capture: per-CPU ring buffer stats of the shared capture (stats file, cpu0)", () => {
  const text = Deno.readTextFileSync(
    new URL("../../../shared/traces/mixed/stats", import.meta.url),
  );
  const cpu0 = text.split("== cpu1")[0]!;
  assert.deepEqual(parseCpuBufferStats(0, cpu0), {
    cpu: 0,
    entries: 516828,
    overrun: 0,
    commitOverrun: 0,
    droppedEvents: 0,
  });
});
