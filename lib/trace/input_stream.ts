/**
 * Turns a byte stream into the trace bytes inside it: gzip and zstd are recognised by their magic
 * bytes (not by the file name; a zstd stream may start with a skippable frame) and decompressed on
 * the fly, so memory does not grow with the trace length. Opening files is the caller's job.
 *
 * @module
 */

import { concatBytes } from "./concat_bytes.ts";
import { gunzipMembers } from "./gunzip_members.ts";
import { unzstdFrames } from "./zstd_frames.ts";

/** Compression found at the start of a stream. */
export type Compression = "none" | "gzip" | "zstd";

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
/** Bytes needed to tell the compressions apart. */
const MAGIC_BYTES = ZSTD_MAGIC.length;

/**
 * Recognises the compression of a stream from its first bytes.
 *
 * @example
 * ```ts
 * import { detectCompression } from "./input_stream.ts";
 * detectCompression(new Uint8Array([0x1f, 0x8b, 8])); // "gzip"
 * ```
 */
export function detectCompression(head: Uint8Array): Compression {
  if (startsWith(head, GZIP_MAGIC)) return "gzip";
  if (startsWith(head, ZSTD_MAGIC)) return "zstd";
  // A skippable frame: magic 0x184D2A5? little-endian (RFC 8878 §3.1.2).
  if (head.length >= 4 && (head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d) {
    if (head[3] === 0x18) return "zstd";
  }
  return "none";
}

function startsWith(b: Uint8Array, magic: number[]): boolean {
  return b.length >= magic.length && magic.every((m, i) => b[i] === m);
}

/** The decompressed stream and what it was. */
export interface OpenedStream {
  compression: Compression;
  /** The first bytes of the decompressed content (for format detection). */
  head: Uint8Array;
  /** All decompressed chunks, starting with `head`'s bytes. */
  chunks: AsyncIterable<Uint8Array>;
}

/**
 * Peeks at a byte stream, decompresses it if needed, and returns the first decompressed bytes
 * plus an iterable over all of them.
 *
 * @example
 * ```ts
 * import { openTraceStream } from "./input_stream.ts";
 * const s = ReadableStream.from([new TextEncoder().encode("# tracer: nop\n")]);
 * const o = await openTraceStream(s);
 * o.compression; // "none"
 * ```
 */
export async function openTraceStream(
  stream: ReadableStream<Uint8Array>,
  headBytes = 64 * 1024,
  file = "<input>",
): Promise<OpenedStream> {
  const raw = stream.getReader();
  const readRaw = () => raw.read();
  // The magic may arrive split over several tiny reads (pipes): gather enough bytes first.
  const first = await gather(readRaw, MAGIC_BYTES);
  const firstChunk = first.parts.length === 1
    ? first.parts[0]!
    : concatBytes(first.parts, first.bytes);
  const compression = detectCompression(firstChunk);
  let source: AsyncIterable<Uint8Array> = (async function* () {
    if (firstChunk.length > 0) yield firstChunk;
    if (!first.done) yield* rest(readRaw);
  })();
  if (compression === "gzip") source = gunzipMembers(source, file);
  else if (compression === "zstd") source = unzstdFrames(source, file);
  // Collect enough decompressed bytes for detection without losing them.
  const it = source[Symbol.asyncIterator]();
  const readIt = () => it.next();
  const pending = await gather(readIt, headBytes);
  const head = concatBytes(pending.parts, Math.min(pending.bytes, headBytes));
  const chunks = (async function* () {
    yield* pending.parts;
    if (!pending.done) yield* rest(readIt);
  })();
  return { compression, head, chunks };
}

/** One read of a stream reader or iterator. */
type ReadChunk = () => Promise<{ done?: boolean; value?: Uint8Array }>;

/** Chunks read until they hold at least `n` bytes or the input ends (`done`). */
async function gather(
  read: ReadChunk,
  n: number,
): Promise<{ parts: Uint8Array[]; bytes: number; done: boolean }> {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  while (bytes < n) {
    const r = await read();
    if (r.done) return { parts, bytes, done: true };
    parts.push(r.value!);
    bytes += r.value!.length;
  }
  return { parts, bytes, done: false };
}

/** The chunks left after `gather`. */
async function* rest(read: ReadChunk): AsyncIterable<Uint8Array> {
  for (;;) {
    const r = await read();
    if (r.done) return;
    yield r.value!;
  }
}
