/**
 * A minimal PNG encoder (8-bit RGB, no interlace) for the pageblock maps: thousands of cells
 * compress to a few KiB as an image, where an SVG with one rect per pageblock would take MiBs.
 *
 * @module
 */

import { deflateSync } from "node:zlib";
import { concatBytes } from "../trace/concat_bytes.ts";

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const BYTES_PER_PIXEL_RGB = 3;
const PNG_COLOR_TYPE_RGB = 2;
const PNG_BIT_DEPTH = 8;
const CRC_POLY = 0xedb88320;

/** CRC-32 of each byte value (the table of the PNG specification's sample code). */
const CRC_TABLE: Readonly<Uint32Array> = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? CRC_POLY ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return crc;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, (crc32(out.subarray(4, 8 + data.length)) ^ 0xffffffff) >>> 0);
  return out;
}

/**
 * Encodes `rgb` (width·height·3 bytes, rows top to bottom) as a PNG file.
 *
 * @example
 * ```ts
 * import { encodePngRgb } from "./png_encoder.ts";
 * const png = encodePngRgb(2, 1, Uint8Array.of(255, 0, 0, 0, 0, 255));
 * png.slice(1, 4); // "PNG" in ASCII: Uint8Array [80, 78, 71]
 * ```
 */
export function encodePngRgb(width: number, height: number, rgb: Uint8Array): Uint8Array {
  if (rgb.length !== width * height * BYTES_PER_PIXEL_RGB) {
    throw new RangeError(`expected ${width * height * 3} bytes of RGB, got ${rgb.length}`);
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header[8] = PNG_BIT_DEPTH;
  header[9] = PNG_COLOR_TYPE_RGB;
  // compression 0, filter 0, interlace 0
  const stride = width * BYTES_PER_PIXEL_RGB;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const idat = new Uint8Array(deflateSync(raw));
  const parts = [
    PNG_SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ];
  return concatBytes(parts);
}
