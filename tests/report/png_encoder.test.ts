import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { encodePngRgb } from "../../lib/report/png_encoder.ts";

function chunks(png: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out = new Map<string, Uint8Array>();
  for (let at = 8; at < png.length;) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    out.set(type, png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  return out;
}

Deno.test("PNG: signature, IHDR size and the pixels come back from IDAT", () => {
  const rgb = Uint8Array.of(214, 39, 40, 44, 160, 44, 31, 119, 180, 255, 255, 255);
  const png = encodePngRgb(2, 2, rgb);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const c = chunks(png);
  const ihdr = new DataView(c.get("IHDR")!.buffer, c.get("IHDR")!.byteOffset);
  assert.equal(ihdr.getUint32(0), 2);
  assert.equal(ihdr.getUint32(4), 2);
  const raw = new Uint8Array(inflateSync(c.get("IDAT")!));
  // Each row: filter byte 0 then 2 pixels × 3 bytes.
  assert.deepEqual([...raw], [0, 214, 39, 40, 44, 160, 44, 0, 31, 119, 180, 255, 255, 255]);
  assert.ok(c.has("IEND"));
});

Deno.test("PNG: a wrong buffer size is refused", () => {
  assert.throws(() => encodePngRgb(2, 2, new Uint8Array(5)), RangeError);
});
