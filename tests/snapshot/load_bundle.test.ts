import assert from "node:assert/strict";
import { bundleTraceFor, loadBundle } from "../../lib/snapshot/load_bundle.ts";
import { resolveTraceInput } from "../../lib/snapshot/trace_input.ts";
import { InputError } from "../../lib/trace/diagnostics.ts";

const DEMO = new URL("../../traces/demo", import.meta.url).pathname;
const MIXED_NAMES = ["trace.dat", "trace.txt.gz", "trace-v6.dat.gz", "perf-script.txt.gz"];

Deno.test("loadBundle: the demo bundle's trace, every before/after snapshot parsed, uname", async () => {
  const b = await loadBundle(DEMO);
  assert.equal(b.tracePath, `${DEMO}/trace.txt.gz`);
  assert.equal(b.traceSizeBytes, Deno.statSync(`${DEMO}/trace.txt.gz`).size);
  assert.equal(b.uname, Deno.readTextFileSync(`${DEMO}/uname`).trim());
  const files = [...Deno.readDirSync(DEMO)].map((e) => e.name)
    .filter((n) => /^(before|after)\./.test(n)).sort();
  assert.deepEqual(Object.keys(b.snapshotFiles).sort(), files);
  // after.buddyinfo rows = the file's "Node N, zone" lines.
  const rows = Deno.readTextFileSync(`${DEMO}/after.buddyinfo`).split("\n")
    .filter((l) => l.startsWith("Node")).length;
  assert.equal(b.snapshots.after.buddyinfo!.length, rows);
  assert.ok(b.snapshots.ignored.includes("before.meminfo"));
});

Deno.test("bundleTraceFor: --format picks the bundle's trace of that format", () => {
  const [first, ...others] = MIXED_NAMES;
  assert.equal(bundleTraceFor(first!, others), "trace.dat");
  assert.equal(bundleTraceFor(first!, others, "tracefs"), "trace.txt.gz");
  assert.equal(bundleTraceFor(first!, others, "perf-script"), "perf-script.txt.gz");
  assert.equal(bundleTraceFor(first!, others, "trace-cmd"), "trace.dat"); // none: the preferred
});

Deno.test("loadBundle: a directory without a trace is an InputError naming it", async () => {
  const dir = await Deno.makeTempDir();
  Deno.writeTextFileSync(`${dir}/before.buddyinfo`, "Node 0, zone DMA 0 0\n");
  await assert.rejects(() => loadBundle(dir), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, new RegExp(`^${dir}: no trace file in this directory`));
    return true;
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resolveTraceInput: a file, a bundle directory and stdin", async () => {
  const file = await resolveTraceInput(`${DEMO}/trace.txt.gz`);
  assert.equal(file.bundle, null);
  assert.equal(file.sizeBytes, Deno.statSync(`${DEMO}/trace.txt.gz`).size);
  const dir = await resolveTraceInput(DEMO);
  assert.equal(dir.path, `${DEMO}/trace.txt.gz`);
  assert.equal(dir.bundle?.dir, DEMO);
  const stdin = await resolveTraceInput("-");
  assert.deepEqual([stdin.displayName, stdin.sizeBytes], ["<stdin>", null]);
});
