import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;
const SMALL_TXT = `${ROOT}traces/small-6.18.txt.gz`;
const SMALL_DAT = `${ROOT}traces/small-6.18.dat`;

async function kmem(
  args: string[],
  stdin?: Uint8Array,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      // As the kmem task does: on a machine with empty caches Deno would otherwise print its
      // `Download …` lines on stderr before kmem's own message.
      "--quiet",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-sys",
      `${ROOT}cli.ts`,
      ...args,
    ],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const child = cmd.spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("kmem stats --json: the documented keys, real counts", async () => {
  const r = await kmem(["stats", "--json", SMALL_TXT]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.format, "tracefs");
  assert.equal(s.events.total, 3147);
  assert.equal(s.events.byKind.kmem_cache_free, 1845);
  assert.deepEqual(s.lines, { total: 3160, parsed: 3147, unknown: 0, malformed: 0, comment: 13 });
  assert.deepEqual(Object.keys(s.lost), ["markers", "events"]);
  assert.ok(s.timeNs.first > 0 && s.timeNs.last >= s.timeNs.first);
});

Deno.test("kmem stats reads stdin and gzip by magic bytes", async () => {
  const r = await kmem(["stats", "--json", "-"], Deno.readFileSync(SMALL_TXT));
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.compression, "gzip");
  assert.equal(s.events.total, 3147);
});

Deno.test("bad input: one clear line naming the file, no stack trace", async () => {
  const missing = await kmem(["stats", "/nonexistent/trace.txt"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^kmem: no such file.*\/nonexistent\/trace\.txt/);
  assert.doesNotMatch(missing.stderr, /\bat .*\.ts:\d+/);

  const tmp = Deno.makeTempFileSync({ suffix: ".bin" });
  Deno.writeFileSync(tmp, new Uint8Array(1000).map((_, i) => (i * 131 + 7) & 0xff));
  const garbage = await kmem(["stats", tmp]);
  assert.equal(garbage.code, 2);
  assert.match(garbage.stderr, new RegExp(`^kmem: ${tmp}:1: unknown format`));
  assert.doesNotMatch(garbage.stderr, /\bat .*\.ts:\d+/);

  // Strict mode: the first malformed line is fatal and named.
  Deno.writeTextFileSync(
    tmp,
    "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0\n" +
      "  bash-1 [000] ..... 1.000002: mm_page_free: page=0000000000000001 pfn=0xQQ order=0\n",
  );
  const strict = await kmem(["stats", "--strict", tmp]);
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, new RegExp(`^kmem: ${tmp}:2: mm_page_free: bad pfn=`));
  Deno.removeSync(tmp);
});

Deno.test("kmem import writes one CSV row per call", async () => {
  const out = Deno.makeTempFileSync({ suffix: ".csv" });
  const r = await kmem(["import", SMALL_DAT, "-o", out]);
  assert.equal(r.code, 0, r.stderr);
  const lines = Deno.readTextFileSync(out).trimEnd().split(/\r?\n/);
  // 3147 events − 217 batched annotations + 2 lost-event markers = 2932 calls, plus a header.
  assert.equal(lines.length, 2932 + 1);
  assert.match(lines[0]!, /^tsNs,cpu,pid,comm,call,event,pfn,order,migratetype,gfp,gfpFlags,/);
  assert.match(r.stderr, /^2932 calls from 3147 events \(trace\.dat\)/);
  Deno.removeSync(out);
});

Deno.test("kmem replay --json on a trace without snapshots sizes memory from its pfns", async () => {
  const r = await kmem(["replay", "--json", SMALL_DAT]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.mode, "faithful");
  assert.equal(j.calls.page_alloc, 47);
  assert.equal(j.calls.page_free, 225);
  assert.deepEqual(j.lost, { markers: 2, events: 291 });
  assert.deepEqual(j.zones.map((z: { name: string }) => z.name), ["DMA", "DMA32", "Normal"]);
  assert.equal(j.trace.events, 3147);
  assert.equal(j.slab.totals.allocs, 211 + 103);
});

Deno.test("kmem capture without tracefs access says what to do, exit 2", async () => {
  // The CLI test subprocess has no --allow-all, so Deno refuses tracefs: the user-facing message
  // must still be one clear line (as for a non-root user or a kernel without tracefs).
  const r = await kmem(["capture", "-o", Deno.makeTempDirSync(), "--seconds", "0.1"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^kmem: no usable tracefs at .*(Mount it|Run kmem capture as root)/);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
});

Deno.test("kmem stats --buffer with a name the trace.dat lacks lists the buffers it has", async () => {
  const r = await kmem(["stats", "--buffer", "nope", SMALL_DAT]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^kmem: .*small-6\.18\.dat: no buffer "nope"; the file has "", "krtest"/);
});
