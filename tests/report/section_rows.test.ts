import assert from "node:assert/strict";
import { binarySizeLabel, zoneLabel } from "../../lib/report/sections/section_rows.ts";
import { PAGE_SIZE_4K_BYTES, PAGEBLOCK_ORDER } from "../../lib/kernel/constants.ts";

Deno.test("size labels: x86-64 page and pageblock, arm64 64 KiB pages and 512 MiB pageblocks", () => {
  assert.equal(binarySizeLabel(PAGE_SIZE_4K_BYTES), "4 KiB");
  assert.equal(binarySizeLabel(PAGE_SIZE_4K_BYTES * 2 ** PAGEBLOCK_ORDER), "2 MiB");
  assert.equal(binarySizeLabel(65536), "64 KiB");
  assert.equal(binarySizeLabel(65536 * 2 ** 13), "512 MiB");
  assert.equal(binarySizeLabel(1536), "1536 B");
});

Deno.test("zone labels carry the node only on multi-node machines", () => {
  assert.equal(zoneLabel({ node: 1, zone: "Normal" }, false), "Normal");
  assert.equal(zoneLabel({ node: 1, zone: "Normal" }, true), "1/Normal");
});
