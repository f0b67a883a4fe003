/**
 * Streaming gzip decompression of every member of a stream, as `zcat` reads `cat a.gz b.gz`
 * (RFC 1952 §2.2: a gzip file is a series of members), through node:zlib's gunzip, which also
 * checks each member's CRC-32 and length. Errors name the file and the byte offset of the
 * compressed input; a stream that ends inside a member says "truncated".
 *
 * @module
 */

import { createGunzip } from "node:zlib";
import { TraceSyntaxError } from "./diagnostics.ts";

/** Compressed bytes handed to zlib at a time. */
const GZIP_SLICE_BYTES = 64 * 1024;

/**
 * Decompresses a gzip stream chunk by chunk.
 *
 * @example
 * ```ts
 * import { gunzipMembers } from "./gunzip_members.ts";
 * import { gzipSync } from "node:zlib";
 * const two = [gzipSync("a\n"), gzipSync("b\n")];
 * let text = "";
 * for await (const c of gunzipMembers(ReadableStream.from(two), "t.gz")) {
 *   text += new TextDecoder().decode(c);
 * }
 * text; // "a\nb\n"
 * ```
 */
export async function* gunzipMembers(
  src: AsyncIterable<Uint8Array>,
  file: string,
): AsyncIterable<Uint8Array> {
  const z = createGunzip();
  const out: Uint8Array[] = [];
  let error: Error | null = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  z.on("data", (c: Uint8Array) => {
    out.push(c);
  });
  z.on("error", (e: Error) => {
    error ??= e;
    signal();
  });
  z.on("end", () => {
    ended = true;
    signal();
  });
  let fed = 0;
  const fail = (e: Error): never => {
    const m = e.message;
    const text = /unexpected end of file/i.test(m)
      ? "truncated gzip data: the input ends inside a member"
      : /incorrect (data|length) check/i.test(m)
      ? `corrupt gzip data before this offset: ${m} (a member's CRC-32 or length does not ` +
        "match its content)"
      : `corrupt gzip data before this offset: ${m}`;
    throw new TraceSyntaxError(text, { file, line: fed, offset: true, code: "corrupt-gzip" });
  };
  for await (const chunk of src) {
    // Written in slices so that an error's offset is within one slice of the damage.
    for (let k = 0; k < chunk.length; k += GZIP_SLICE_BYTES) {
      const part = chunk.subarray(k, k + GZIP_SLICE_BYTES);
      await new Promise<void>((resolve) => {
        z.write(part, () => resolve());
      });
      fed += part.length;
      if (error) fail(error);
    }
    while (out.length > 0) yield out.shift()!;
  }
  z.end();
  while (!ended && !error) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (ended || error) signal();
    });
    while (out.length > 0) yield out.shift()!;
  }
  if (error) fail(error);
  while (out.length > 0) yield out.shift()!;
}
