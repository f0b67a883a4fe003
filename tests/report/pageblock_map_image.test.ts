import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { PAGEBLOCK_ABSENT, type PageblockMap } from "../../lib/metrics/pageblock_map.ts";
import {
  pageblockMapColumns,
  pageblockMapTable,
  renderPageblockMapImage,
} from "../../lib/report/pageblock_map_image.ts";

function map(types: number[], free: number[]): PageblockMap {
  return {
    tsNs: 0,
    label: "end",
    node: 0,
    zone: "DMA",
    startPfn: 0,
    pageblockOrder: 9,
    migratetype: Uint8Array.from(types),
    freePages: Uint32Array.from(free),
  };
}

Deno.test("the real DMA zone (1 Unmovable + 7 Movable pageblocks) as a picture and a table", () => {
  const m = map([0, 1, 1, 1, 1, 1, 1, 1, PAGEBLOCK_ABSENT, PAGEBLOCK_ABSENT], [
    0,
    512,
    256,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  const img = renderPageblockMapImage(m);
  assert.equal(img.trailingAbsent, 2);
  assert.equal(img.columns, 64);
  assert.equal(img.rows, 1);
  assert.equal(img.cellPx, 12); // 768 px / 64 columns
  // Decode the pixel rows: cell 0 is full Unmovable (#d62728), cell 1 an all-free Movable block
  // (light green), cell 2 half used (between), cell 9 absent (white).
  const view = new DataView(img.png.buffer, img.png.byteOffset);
  const idatLen = view.getUint32(33);
  const raw = new Uint8Array(inflateSync(img.png.subarray(41, 41 + idatLen)));
  const px = (cell: number) => {
    const at = 1 + cell * 12 * 3; // first row, after the filter byte
    return [raw[at], raw[at + 1], raw[at + 2]];
  };
  assert.deepEqual(px(0), [214, 39, 40]);
  const green = [44, 160, 44];
  const freeShade = px(1).map((c, i) => (255 - c!) / (255 - green[i]!));
  const halfShade = px(2).map((c, i) => (255 - c!) / (255 - green[i]!));
  assert.ok(Math.abs(freeShade[0]! - 0.18) < 0.01, `free block shade ${freeShade}`);
  assert.ok(Math.abs(halfShade[0]! - (0.18 + 0.82 * 0.5)) < 0.01, `half block ${halfShade}`);
  assert.deepEqual(px(9), [255, 255, 255]);

  const t = pageblockMapTable(m);
  assert.deepEqual(t.columns, [
    "pageblock",
    "start_pfn",
    "row",
    "col",
    "migratetype",
    "free_pages",
    "used_pct",
  ]);
  assert.deepEqual(t.rows[2], [2, 1024, 0, 2, "Movable", 256, 50]);
  // No pages, so no free pages to state.
  assert.deepEqual(t.rows[9], [9, 4608, 0, 9, "absent", "", ""]);
});

Deno.test("bigger zones get more, smaller cells", () => {
  assert.equal(pageblockMapColumns(1528), 64); // DMA32 of the real machine
  assert.equal(pageblockMapColumns(2240), 128); // Normal's present blocks
  assert.equal(pageblockMapColumns(10752), 256); // Normal's span
  const big = renderPageblockMapImage(map(new Array(10752).fill(1), new Array(10752).fill(0)));
  assert.deepEqual([big.columns, big.rows, big.cellPx], [256, 42, 3]);
});
