/**
 * Specification of the input stream: compression is recognised by magic bytes, decompressed on
 * the fly in chunks, and the head is available for format detection without losing bytes.
 */
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { decompress as unzstdSync } from "fzstd";
import { detectCompression, openTraceStream } from "../../lib/trace/input_stream.ts";

const trace = (name: string) => new URL(`../../traces/${name}`, import.meta.url);

/** A stream that hands out `bytes` in pieces of `size` bytes. */
function piecewise(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function readAll(
  it: AsyncIterable<Uint8Array>,
): Promise<{ bytes: Uint8Array; chunks: number }> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of it) {
    parts.push(c);
    n += c.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { bytes: out, chunks: parts.length };
}

Deno.test("detectCompression reads magic bytes, not names", () => {
  assert.equal(detectCompression(new Uint8Array([0x1f, 0x8b, 8, 0])), "gzip");
  assert.equal(detectCompression(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0])), "zstd");
  assert.equal(detectCompression(new TextEncoder().encode("# tracer: nop\n")), "none");
  assert.equal(detectCompression(new Uint8Array([0x1f])), "none");
  assert.equal(detectCompression(new Uint8Array(0)), "none");
});

Deno.test("gzip sample: same bytes as gunzipSync, head = first bytes", async () => {
  const gz = Deno.readFileSync(trace("mixed-6.18-cut.txt.gz"));
  const want = new Uint8Array(gunzipSync(gz));
  const o = await openTraceStream(piecewise(gz, 4096), 1000);
  assert.equal(o.compression, "gzip");
  assert.deepEqual(o.head, want.subarray(0, 1000));
  assert.equal(new TextDecoder().decode(o.head.subarray(0, 13)), "# tracer: nop");
  const got = await readAll(o.chunks);
  assert.equal(got.bytes.length, want.length);
  assert.deepEqual(got.bytes, want);
});

Deno.test("zstd sample made by the zstd CLI (-19): same bytes as a one-shot decompress", async () => {
  const zst = Deno.readFileSync(trace("fresh-6.18-noirq.txt.zst"));
  const want = unzstdSync(zst);
  // `zstd -l`: 498347 bytes decompressed (wc -c of the capture)
  assert.equal(want.length, 498347);
  for (const size of [1, 777, 1 << 20]) {
    const o = await openTraceStream(piecewise(zst, size));
    assert.equal(o.compression, "zstd");
    const got = await readAll(o.chunks);
    assert.deepEqual(got.bytes, want, `pieces of ${size}`);
  }
});

Deno.test("plain text passes through unchanged, in the reader's chunks", async () => {
  const bytes = new TextEncoder().encode("line one\nline two\n".repeat(1000));
  const o = await openTraceStream(piecewise(bytes, 1000), 64);
  assert.equal(o.compression, "none");
  assert.equal(new TextDecoder().decode(o.head), "line one\nline two\n".repeat(4).slice(0, 64));
  const got = await readAll(o.chunks);
  assert.deepEqual(got.bytes, bytes);
  assert.equal(got.chunks, 18);
});

Deno.test("empty input: empty head, no chunks", async () => {
  const o = await openTraceStream(piecewise(new Uint8Array(0), 10));
  assert.equal(o.compression, "none");
  assert.equal(o.head.length, 0);
  assert.equal((await readAll(o.chunks)).bytes.length, 0);
});

Deno.test("a large gzip stream is decompressed incrementally, not in one piece", async () => {
  // 32 MiB of trace text compressed to ~100 KiB. Each output chunk is bounded by what one
  // 16 KiB input piece expands to (here up to a few MiB at this extreme ratio), not by the
  // length of the whole stream.
  const line = new TextEncoder().encode(
    "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0\n",
  );
  const raw = new Uint8Array(32 << 20);
  for (let o = 0; o + line.length <= raw.length; o += line.length) raw.set(line, o);
  const gz = new Uint8Array(gzipSync(raw));
  const o = await openTraceStream(piecewise(gz, 16384));
  let n = 0;
  let biggest = 0;
  for await (const c of o.chunks) {
    n += c.length;
    biggest = Math.max(biggest, c.length);
  }
  assert.equal(n, raw.length);
  assert.ok(biggest <= raw.length / 8, `largest chunk ${biggest} bytes`);
});

Deno.test("corrupt and truncated compressed input raise errors, not crashes", async () => {
  const gz = Deno.readFileSync(trace("fresh-6.18-lost.txt.gz"));
  const bad = gz.slice();
  bad.fill(0x55, 100, 400);
  await assert.rejects(async () => {
    const o = await openTraceStream(piecewise(bad, 512));
    await readAll(o.chunks);
  }, /corrupt gzip data/);

  const zst = Deno.readFileSync(trace("fresh-6.18-noirq.txt.zst"));
  await assert.rejects(async () => {
    const o = await openTraceStream(piecewise(zst.subarray(0, zst.length - 100), 4096));
    await readAll(o.chunks);
  }, /zstd data/);
});
