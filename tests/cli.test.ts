import assert from "node:assert/strict";
import { main } from "../cli.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SMALL_TXT = `${ROOT}traces/small-6.18.txt.gz`;
const SMALL_DAT = `${ROOT}traces/small-6.18.dat`;
const DEMO = `${ROOT}traces/demo`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kmem args` in this process, output captured. */
async function kmem(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (t) => stdout += t,
    stderr: (t) => stderr += t,
  });
  return { code, stdout, stderr };
}

/** `kmem args` as its own process (stdin, exit codes through Deno.exit, fewer permissions). */
async function kmemProcess(args: string[], stdin?: Uint8Array): Promise<Run> {
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

Deno.test("kmem stats text: one line per fact, events by kind as in --json", async () => {
  const r = await kmem(["stats", SMALL_DAT]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines[1], "format     trace.dat");
  assert.ok(lines.includes("events     3147"), r.stdout);
  assert.match(r.stdout, /^ {2}kmem_cache_free +1845$/m);
  assert.match(r.stdout, /^lost {7}2 markers, 291 events reported lost/m);
});

Deno.test("kmem stats reads stdin and gzip by magic bytes", async () => {
  const r = await kmemProcess(["stats", "--json", "-"], Deno.readFileSync(SMALL_TXT));
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.compression, "gzip");
  assert.equal(s.events.total, 3147);
});

Deno.test("bad input: one clear line naming the file, no stack trace, exit 2", async () => {
  const missing = await kmemProcess(["stats", "/nonexistent/trace.txt"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^kmem: no such file.*\/nonexistent\/trace\.txt/);
  assert.doesNotMatch(missing.stderr, /\bat .*\.ts:\d+/);

  const tmp = Deno.makeTempFileSync({ suffix: ".bin" });
  Deno.writeFileSync(tmp, new Uint8Array(1000).map((_, i) => (i * 131 + 7) & 0xff));
  const garbage = await kmem(["stats", tmp]);
  assert.equal(garbage.code, 2);
  assert.match(garbage.stderr, new RegExp(`^kmem: ${tmp}:1: unknown format`));
  assert.doesNotMatch(garbage.stderr, /\bat .*\.ts:\d+/);

  // gzip magic, then bytes that are no deflate stream: an input error, not an internal one.
  Deno.writeFileSync(tmp, new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff]));
  const corrupt = await kmem(["stats", tmp]);
  assert.equal(corrupt.code, 2);
  assert.match(corrupt.stderr, new RegExp(`^kmem: ${tmp}: byte offset \\d+: corrupt gzip data`));

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

  const notBundle = await kmem(["validate", SMALL_DAT]);
  assert.equal(notBundle.code, 2);
  assert.match(notBundle.stderr, /^kmem: .*small-6\.18\.dat: kmem validate needs a bundle/);
});

Deno.test("exit codes: usage 1, strict desync 3, and --help lists them", async () => {
  const help = await kmem(["replay", "--help"]);
  assert.equal(help.code, 0);
  assert.match(
    help.stdout,
    /Exit codes: 0 done, 1 usage error .* 2 bad input, 3 .* 130 interrupted/,
  );

  const size = await kmem(["replay", "--memory", "2x", DEMO]);
  assert.equal(size.code, 1);
  assert.match(size.stderr, /not a size: 2x/);
  const flag = await kmem(["replay", "--bogus", DEMO]);
  assert.equal(flag.code, 1);
  assert.match(flag.stderr, /unknown option '--bogus'/);

  // The text trace has page allocations of pages it never saw before: a desync, fatal in strict.
  const strict = await kmem(["replay", "--strict", SMALL_DAT]);
  assert.equal(strict.code, 3);
  assert.match(strict.stderr, /^kmem: emulator invariant broken \(strict mode\): alloc-untracked/);
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

  const nd = await kmem(["import", SMALL_DAT]);
  const rows = nd.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, 2932);
  assert.equal(rows.filter((x) => x.call === "page_alloc").length, 47);
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
  // Memory: the highest pfn of the calls (kmem import) + 1024 pages, in whole GiB.
  const rows = (await kmem(["import", SMALL_DAT])).stdout.trimEnd().split("\n");
  const maxPfn = Math.max(...rows.map((l) => JSON.parse(l).pfn as number));
  const gib = Math.ceil((maxPfn + 1024) * 4096 / 2 ** 30);
  const text = await kmem(["replay", SMALL_DAT]);
  const note =
    `note       no zoneinfo: memory sized from the highest pfn in the trace (${gib} GiB)`;
  assert.ok(text.stdout.includes(note), text.stdout);
});

Deno.test("kmem validate on the demo bundle: Normal free pages predicted = after.buddyinfo", async () => {
  const r = await kmem(["validate", "--json", DEMO]);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  const after = Deno.readTextFileSync(`${DEMO}/after.buddyinfo`).split("\n")
    .find((l) => /zone\s+Normal/.test(l))!.trim().split(/\s+/).slice(4).map(Number);
  const pages = after.reduce((a, n, o) => a + n * 2 ** o, 0);
  const normal = v.zones.find((z: { name: string }) => z.name === "Normal");
  assert.equal(normal.freePages.actual, pages);
  assert.equal(normal.freePages.predicted, pages);
});

Deno.test("kmem capture without tracefs access says what to do, exit 2", async () => {
  // The CLI test subprocess has no --allow-all, so Deno refuses tracefs: the user-facing message
  // must still be one clear line (as for a non-root user or a kernel without tracefs).
  const r = await kmemProcess(["capture", "-o", Deno.makeTempDirSync(), "--seconds", "0.1"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^kmem: no usable tracefs at .*(Mount it|Run kmem capture as root)/);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
});

Deno.test("kmem stats --buffer with a name the trace.dat lacks lists the buffers it has", async () => {
  const r = await kmem(["stats", "--buffer", "nope", SMALL_DAT]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^kmem: .*small-6\.18\.dat: no buffer "nope"; the file has "", "krtest"/);
});
