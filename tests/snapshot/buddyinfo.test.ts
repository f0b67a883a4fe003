import assert from "node:assert/strict";
import { parseBuddyinfo } from "../../lib/snapshot/buddyinfo.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

const MIXED = new URL("../../../shared/traces/mixed/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, MIXED));

Deno.test("buddyinfo: before.buddyinfo of the mixed capture has three zones of 11 orders", () => {
  const rows = parseBuddyinfo(read("before.buddyinfo"), "before.buddyinfo");
  assert.deepEqual(rows.map((r) => r.zone), ["DMA", "DMA32", "Normal"]);
  assert.ok(rows.every((r) => r.node === 0 && r.freeBlocks.length === 11));
  assert.deepEqual(rows[2]!.freeBlocks, [107, 7382, 2671, 45, 40, 21, 644, 683, 202, 36, 41]);
});

Deno.test("buddyinfo: free pages per zone equal zoneinfo's `pages free` (awk sum of n<<order)", () => {
  // awk '{s=0; for(i=5;i<=NF;i++) s+=$i*2^(i-5); print $4, s}' before.buddyinfo
  const pages = (t: string) =>
    parseBuddyinfo(t).map((r) => r.freeBlocks.reduce((s, n, o) => s + n * 2 ** o, 0));
  assert.deepEqual(pages(read("before.buddyinfo")), [3840, 772917, 267995]);
  assert.deepEqual(pages(read("after.buddyinfo")), [3840, 772917, 241723]);
});

Deno.test("buddyinfo: an architecture with fewer orders keeps its column count", () => {
  const rows = parseBuddyinfo("Node 1, zone   Normal      5      4      3 \n");
  assert.deepEqual(rows, [{ node: 1, zone: "Normal", freeBlocks: [5, 4, 3] }]);
});

Deno.test("buddyinfo: bad input names file, line and text", () => {
  assert.throws(
    () => parseBuddyinfo("Node 0, zone DMA 1 2 3\nNode 0, zone Normal 1 2\n", "b.txt"),
    (e: unknown) => e instanceof TraceSyntaxError && e.file === "b.txt" && e.line === 2,
  );
  assert.throws(
    () => parseBuddyinfo("Node 0, zone DMA 1 x 3\n", "b.txt"),
    (e: unknown) => e instanceof TraceSyntaxError && /order 1/.test(e.message),
  );
  assert.throws(() => parseBuddyinfo("hello\n"), TraceSyntaxError);
  assert.throws(() => parseBuddyinfo("Node 0, zone DMA\n"), TraceSyntaxError);
});
