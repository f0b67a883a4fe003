/**
 * Compressed input (issue 16 item 3): several gzip members (`cat a.gz b.gz`, as zcat reads it),
 * several zstd frames, skippable frames, the zstd content checksum verified, and every error
 * naming the file and a byte offset, "truncated" when the input ends inside a member or frame.
 * The zstd frames here are made by hand with raw blocks (RFC 8878), so each case is exact.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";
import { detectCompression, openTraceStream } from "../../lib/trace/input_stream.ts";
import { Xxh64 } from "../../lib/trace/xxh64.ts";

const enc = new TextEncoder();

async function read(bytes: Uint8Array, file = "t.gz", chunk = 7): Promise<string> {
  const parts: Uint8Array[] = [];
  for (let k = 0; k < bytes.length; k += chunk) parts.push(bytes.slice(k, k + chunk));
  const o = await openTraceStream(ReadableStream.from(parts), 64 * 1024, file);
  let text = "";
  const dec = new TextDecoder();
  for await (const c of o.chunks) text += dec.decode(c, { stream: true });
  return text;
}

/** One zstd frame: single segment, 1-byte content size, checksum, one raw block. */
function zstdFrame(content: string, checksum = true): Uint8Array {
  const data = enc.encode(content);
  assert.ok(data.length < 256);
  const h = new Xxh64();
  h.update(data);
  const sum = h.digestLow32();
  const fhd = 0x20 | (checksum ? 0x04 : 0); // single segment, FCS field of 1 byte
  const block = (data.length << 3) | 1; // raw block, last
  return new Uint8Array([
    0x28,
    0xb5,
    0x2f,
    0xfd,
    fhd,
    data.length,
    block & 0xff,
    (block >> 8) & 0xff,
    (block >> 16) & 0xff,
    ...data,
    ...(checksum ? [sum & 0xff, (sum >>> 8) & 0xff, (sum >>> 16) & 0xff, sum >>> 24] : []),
  ]);
}

function skippable(n: number): Uint8Array {
  return new Uint8Array([0x53, 0x2a, 0x4d, 0x18, n, 0, 0, 0, ...new Array(n).fill(0xee)]);
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), o += p.length;
  return out;
}

async function rejects(bytes: Uint8Array, file: string, message: RegExp): Promise<void> {
  await assert.rejects(read(bytes, file), (e) => {
    assert.ok(e instanceof TraceSyntaxError, String(e));
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("XXH64 matches the reference vectors", () => {
  const hex = (s: string) => {
    const h = new Xxh64();
    h.update(enc.encode(s));
    return h.digestHex();
  };
  // xxHash's own test values (seed 0).
  assert.equal(hex(""), "ef46db3751d8e999");
  assert.equal(hex("a"), "d24ec4f1a98c6e5b");
  assert.equal(hex("abc"), "44bc2cf5ad770999");
  assert.equal(hex("Nobody inspects the spammish repetition"), "fbcea83c8a378bf1");
  // Fed in pieces of any size, the digest is the same.
  const long = "0123456789abcdef".repeat(20) + "xyz";
  const whole = hex(long);
  const h = new Xxh64();
  for (let k = 0; k < long.length; k += 13) h.update(enc.encode(long.slice(k, k + 13)));
  assert.equal(h.digestHex(), whole);
});

Deno.test("gzip: every member is read; truncation and damage name the file and an offset", async () => {
  const a = gzipSync("line a\n"), b = gzipSync("line b\n");
  assert.equal(await read(cat(a, b)), "line a\nline b\n");
  await rejects(
    a.subarray(0, a.length - 3),
    "t.gz",
    new RegExp(`^t\\.gz: byte offset ${a.length - 3}: truncated gzip data`),
  );
  const crc = new Uint8Array(a);
  crc[crc.length - 6]! ^= 1;
  await rejects(crc, "t.gz", /^t\.gz: byte offset \d+: corrupt gzip data .*CRC-32/);
});

Deno.test("zstd: frames in a row, skippable frames anywhere, frames without a checksum", async () => {
  assert.equal(detectCompression(skippable(3)), "zstd");
  assert.equal(await read(cat(zstdFrame("one\n"), zstdFrame("two\n")), "t.zst"), "one\ntwo\n");
  assert.equal(
    await read(cat(skippable(5), zstdFrame("a\n"), skippable(0), zstdFrame("b\n", false)), "t.zst"),
    "a\nb\n",
  );
});

Deno.test("zstd: a damaged checksum, truncation and trailing junk are positioned errors", async () => {
  const f = zstdFrame("abcdef\n");
  const bad = new Uint8Array(f);
  bad[bad.length - 1]! ^= 0x40;
  await rejects(
    cat(zstdFrame("ok\n"), bad),
    "t.zst",
    /^t\.zst: byte offset \d+: zstd content checksum mismatch in the frame at byte offset 16/,
  );
  await rejects(
    f.subarray(0, f.length - 2),
    "t.zst",
    new RegExp(`^t\\.zst: byte offset ${f.length - 2}: truncated zstd data`),
  );
  await rejects(
    cat(f, enc.encode("junk")),
    "t.zst",
    new RegExp(`^t\\.zst: byte offset ${f.length}: bytes after the last zstd frame`),
  );
  // A frame asking for a 2 GiB window is refused before anything is allocated.
  const huge = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0x01, 0, 0]);
  await rejects(huge, "t.zst", /^t\.zst: byte offset 0: zstd frame needs a \d+-byte window/);
});

Deno.test("zstd -19 --check output (traces/fresh-6.18-noirq.txt.zst) passes its checksum", async () => {
  const z = await Deno.readFile(new URL("../../traces/fresh-6.18-noirq.txt.zst", import.meta.url));
  const text = await read(z, "noirq.zst", 1 << 16);
  // traces/README.md: 4237 lines.
  assert.equal(text.split("\n").length - 1, 4237);
});
