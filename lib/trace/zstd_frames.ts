/**
 * Streaming zstd decompression that follows the frame structure itself (RFC 8878): several frames
 * in a row (`cat a.zst b.zst`, which `zstd -d` reads), skippable frames anywhere, and each frame's
 * content checksum verified (fzstd decodes the blocks but skips the checksum). Every error names
 * the file and the byte offset of the compressed input, and a stream that ends inside a frame
 * says "truncated".
 *
 * @module
 */

// Full npm: specifier (version as in deno.json): a script outside the repository has no import
// map, and mod.ts must still load.
// deno-lint-ignore no-import-prefix
import { Decompress } from "npm:fzstd@0.1.1";
import { assertNever } from "./assert_never.ts";
import { TraceSyntaxError } from "./diagnostics.ts";
import { Xxh64 } from "./xxh64.ts";

/** Little-endian magic numbers (RFC 8878 §3.1.1 and §3.1.2). */
const ZSTD_FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Block types (RFC 8878 §3.1.1.2.2). */
const RLE_BLOCK = 1, RESERVED_BLOCK = 3;
/** A block never holds more than 128 KiB (RFC 8878 §3.1.1.2.3, Block_Maximum_Size). */
const MAX_BLOCK_BYTES = 128 * 1024;
/**
 * Largest window accepted: decoding needs a buffer of the window's size, and `zstd -d` refuses
 * more than 2^27 bytes without `--memory` (lib/zstd.h, ZSTD_WINDOWLOG_LIMIT_DEFAULT).
 */
export const MAX_ZSTD_WINDOW_BYTES = 2 ** 27;

/** Where the walker is in the compressed stream. */
type Part = "magic" | "header" | "block-header" | "block" | "checksum" | "skip";

/**
 * Decompresses a zstd stream chunk by chunk.
 *
 * @example
 * ```ts
 * import { unzstdFrames } from "./zstd_frames.ts";
 * async function* nothing(): AsyncIterable<Uint8Array> {}
 * let bytes = 0;
 * for await (const c of unzstdFrames(nothing(), "t.zst")) bytes += c.length;
 * bytes; // 0
 * ```
 */
export async function* unzstdFrames(
  src: AsyncIterable<Uint8Array>,
  file: string,
): AsyncIterable<Uint8Array> {
  const out: Uint8Array[] = [];
  let dec: Decompress | null = null;
  let hash: Xxh64 | null = null;
  let hasChecksum = false;
  let part: Part = "magic";
  /** Bytes still needed for the current part, and the bytes gathered for small parts. */
  let need = 4;
  const small = new Uint8Array(18);
  let smallLen = 0;
  let lastBlock = false;
  let frameAt = 0;
  let offset = 0; // absolute offset of the next byte
  let frames = 0;

  const fail = (message: string, at: number): never => {
    throw new TraceSyntaxError(message, { file, line: at, offset: true, code: "corrupt-zstd" });
  };
  const feed = (b: Uint8Array, final: boolean, at: number) => {
    try {
      dec!.push(b, final);
    } catch (e) {
      fail(`corrupt zstd data in the frame at byte offset ${frameAt}: ${(e as Error).message}`, at);
    }
  };

  for await (const chunk of src) {
    let k = 0;
    while (k < chunk.length) {
      if (part === "block" || part === "skip") {
        const take = Math.min(need, chunk.length - k);
        if (part === "block") feed(chunk.subarray(k, k + take), false, offset);
        k += take;
        offset += take;
        need -= take;
        if (need > 0) break;
        if (part === "skip") part = "magic", need = 4;
        else if (!lastBlock) part = "block-header", need = 3;
        else if (hasChecksum) part = "checksum", need = 4;
        else endFrame(null);
        while (out.length > 0) yield out.shift()!;
        continue;
      }
      // Small parts are gathered into `small` first.
      const take = Math.min(need - smallLen, chunk.length - k);
      small.set(chunk.subarray(k, k + take), smallLen);
      smallLen += take;
      k += take;
      offset += take;
      if (smallLen < need) break;
      const at = offset - smallLen;
      switch (part) {
        case "magic": {
          const magic = u32(small, 0);
          if (magic === ZSTD_FRAME_MAGIC) {
            frameAt = at;
            part = "header";
            need = 6; // magic + descriptor + (window or first FCS byte): enough to size it
          } else if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
            need = 8; // magic + 4-byte size
            if (smallLen < need) continue;
            part = "skip";
            need = u32(small, 4);
            smallLen = 0;
          } else {
            fail(
              frames === 0
                ? "not a zstd frame"
                : `bytes after the last zstd frame are not a frame (${frames} read)`,
              at,
            );
          }
          continue;
        }
        case "header": {
          const fhd = small[4]!;
          const singleSegment = (fhd >> 5) & 1;
          const dictBytes = [0, 1, 2, 4][fhd & 3]!;
          const fcsBytes = [singleSegment, 2, 4, 8][fhd >> 6]!;
          if (fhd & 8) fail("corrupt zstd frame header (reserved bit set)", frameAt + 4);
          const size = 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
          if (smallLen < size) {
            need = size;
            continue;
          }
          const window = singleSegment
            ? le(small, 5 + dictBytes, fcsBytes) + (fcsBytes === 2 ? 256 : 0)
            : 2 ** (10 + (small[5]! >> 3)) * (1 + (small[5]! & 7) / 8);
          if (window > MAX_ZSTD_WINDOW_BYTES) {
            fail(
              `zstd frame needs a ${window}-byte window, more than the ${MAX_ZSTD_WINDOW_BYTES} ` +
                "zstd -d accepts by default",
              frameAt,
            );
          }
          hasChecksum = ((fhd >> 2) & 1) === 1;
          dec = new Decompress((c: Uint8Array) => {
            out.push(c);
            hash?.update(c);
          });
          hash = hasChecksum ? new Xxh64() : null;
          feed(small.slice(0, size), false, frameAt);
          part = "block-header";
          need = 3;
          smallLen = 0;
          continue;
        }
        case "block-header": {
          const h = small[0]! | (small[1]! << 8) | (small[2]! << 16);
          lastBlock = (h & 1) === 1;
          const type = (h >> 1) & 3;
          if (type === RESERVED_BLOCK) fail("corrupt zstd data: reserved block type", at);
          feed(small.slice(0, 3), false, at);
          part = "block";
          if (h >>> 3 > MAX_BLOCK_BYTES) fail("corrupt zstd data: block larger than 128 KiB", at);
          need = type === RLE_BLOCK ? 1 : h >>> 3;
          smallLen = 0;
          if (need === 0) {
            // An empty raw block: the frame may end here.
            if (!lastBlock) part = "block-header", need = 3;
            else if (hasChecksum) part = "checksum", need = 4;
            else endFrame(null);
          }
          while (out.length > 0) yield out.shift()!;
          continue;
        }
        case "checksum": {
          feed(small.slice(0, 4), false, at);
          endFrame(u32(small, 0));
          smallLen = 0;
          while (out.length > 0) yield out.shift()!;
          continue;
        }
        default:
          assertNever(part);
      }
    }
  }
  if (part !== "magic" || smallLen > 0) {
    const where = part === "skip" || (part === "magic" && smallLen > 0)
      ? "a frame"
      : `the frame begun at byte offset ${frameAt}`;
    fail(`truncated zstd data: the input ends inside ${where}`, offset);
  }

  function endFrame(stored: number | null): void {
    feed(new Uint8Array(0), true, offset);
    if (stored !== null && hash !== null && hash.digestLow32() !== stored) {
      fail(
        `zstd content checksum mismatch in the frame at byte offset ${frameAt} ` +
          `(damaged data)`,
        offset - 4,
      );
    }
    dec = null;
    hash = null;
    frames++;
    part = "magic";
    need = 4;
    smallLen = 0;
  }
}

/** Unsigned little-endian integer of n bytes at k. */
function le(b: Uint8Array, k: number, n: number): number {
  let v = 0;
  for (let j = n - 1; j >= 0; j--) v = v * 256 + b[k + j]!;
  return v;
}

function u32(b: Uint8Array, k: number): number {
  return (b[k]! | (b[k + 1]! << 8) | (b[k + 2]! << 16) | (b[k + 3]! << 24)) >>> 0;
}
