/**
 * Decoders of the compressed chunks and sections of trace.dat v7 files (zstd or zlib).
 *
 * @module
 */

// Full npm: specifier (version as in deno.json): a script outside the repository has no import
// map, and mod.ts must still load.
// deno-lint-ignore no-import-prefix
import { decompress as zstdDecompress } from "npm:fzstd@0.1.1";
import * as zlib from "node:zlib";
import type { ChunkCodec } from "./ring_buffer_page.ts";

/** node:zlib's zstd decoder where the runtime has it (Node ≥ 22.15, Deno 2.x). */
const nativeZstd = (zlib as unknown as {
  zstdDecompressSync?: (src: Uint8Array, opts: { maxOutputLength: number }) => Uint8Array;
}).zstdDecompressSync;

/**
 * The decoder of compression `name` ("zstd", "zlib"), or undefined when it is unknown. Each
 * decoder fills `dst` completely or throws.
 *
 * @example
 * ```ts
 * import { chunkCodec } from "./chunk_codec.ts";
 * chunkCodec("none", false); // undefined
 * ```
 */
export function chunkCodec(name: string, pureZstd: boolean): ChunkCodec | undefined {
  if (name === "zstd" && typeof nativeZstd === "function" && !pureZstd) {
    // node:zlib's zstd (libzstd) is ~10x faster than the pure-JS decoder.
    return (src, dst) => {
      const out = nativeZstd(src, { maxOutputLength: dst.length });
      if (out.length !== dst.length) {
        throw new Error(`zstd gave ${out.length} bytes, ${dst.length} declared`);
      }
      dst.set(out);
      return dst;
    };
  }
  if (name === "zstd") {
    return (src, dst) => {
      const out = zstdDecompress(src, dst);
      if (out !== dst) throw new Error("zstd frame size differs from the declared size");
      return dst;
    };
  }
  if (name === "zlib") {
    return (src, dst) => {
      const out = zlib.inflateSync(src, { maxOutputLength: dst.length });
      if (out.length !== dst.length) {
        throw new Error(`zlib gave ${out.length} bytes, ${dst.length} declared`);
      }
      dst.set(out);
      return dst;
    };
  }
  return undefined;
}
