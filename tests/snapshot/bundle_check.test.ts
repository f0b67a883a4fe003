import assert from "node:assert/strict";
import { parseSnapshotSet } from "../../lib/snapshot/bundle.ts";
import { checkBundleForValidate } from "../../lib/snapshot/bundle_check.ts";
import { InputError } from "../../lib/trace/diagnostics.ts";

const DEMO = new URL("../../traces/demo/", import.meta.url);
const NAMES = ["buddyinfo", "zoneinfo", "slabinfo", "vmstat"];

/** The demo bundle's snapshot texts, keyed like the CLI keys them. */
function demoTexts(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const when of ["before", "after"]) {
    for (const n of NAMES) {
      out[`${when}.${n}`] = Deno.readTextFileSync(new URL(`${when}.${n}`, DEMO));
    }
  }
  return out;
}

function rejects(texts: Record<string, string>, message: RegExp): void {
  assert.throws(
    () => checkBundleForValidate(parseSnapshotSet(texts), "b"),
    (e: unknown) => e instanceof InputError && message.test(e.message),
  );
}

Deno.test("bundle check: the demo bundle passes as captured", () => {
  checkBundleForValidate(parseSnapshotSet(demoTexts()), "b");
});

Deno.test("bundle check: empty before.zoneinfo names the file (issue 16 item 4)", () => {
  rejects({ ...demoTexts(), "before.zoneinfo": "" }, /^b\/before\.zoneinfo: no zones/);
  rejects({ ...demoTexts(), "after.buddyinfo": "\n" }, /^b\/after\.buddyinfo: no zones/);
});

Deno.test("bundle check: a buddyinfo zone that zoneinfo lacks", () => {
  const t = demoTexts();
  rejects(
    { ...t, "after.buddyinfo": t["after.buddyinfo"]!.replace("zone   Normal", "zone   Weird") },
    /^b\/after\.buddyinfo: zone Weird of node 0 is not in after\.zoneinfo/,
  );
});

Deno.test("bundle check: before and after swapped, seen from vmstat's growing counters", () => {
  const t = demoTexts();
  const swapped: Record<string, string> = {};
  for (const n of NAMES) {
    swapped[`before.${n}`] = t[`after.${n}`]!;
    swapped[`after.${n}`] = t[`before.${n}`]!;
  }
  // grep pgalloc_normal traces/demo/*.vmstat: before 171963007, after 171964778.
  rejects(
    swapped,
    /^b\/after\.vmstat: pgalloc_normal 171963007 is below before\.vmstat's 171964778/,
  );
});

Deno.test("bundle check: missing before.* files that validate needs", () => {
  const t = demoTexts();
  const { ["before.slabinfo"]: _s, ...noSlab } = t;
  rejects(noSlab, /^b\/before\.slabinfo: missing: after\.slabinfo is compared/);
  const { ["before.buddyinfo"]: _b, ...noBuddy } = t;
  rejects(noBuddy, /^b\/before\.buddyinfo: missing/);
  const { ["before.zoneinfo"]: _z, ...noZone } = t;
  rejects(noZone, /^b\/before\.zoneinfo: missing/);
});
