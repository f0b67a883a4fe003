import assert from "node:assert/strict";
import { slabinfoNames } from "../../lib/capture/slabinfo_names.ts";

Deno.test("slabinfo names: every cache of the mixed capture's after.slabinfo, in file order", () => {
  const text = Deno.readTextFileSync(
    new URL("../../../shared/traces/mixed/after.slabinfo", import.meta.url),
  );
  const names = slabinfoNames(text);
  // grep -vc '^#\|^slabinfo -' after.slabinfo
  assert.equal(names.length, 235);
  assert.equal(names[0], "btrfs_delayed_node");
  assert.equal(names.at(-1), "kmem_cache");
  assert.ok(!names.some((n) => n.startsWith("#") || n === "slabinfo"));
});
