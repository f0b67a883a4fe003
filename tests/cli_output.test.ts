import assert from "node:assert/strict";
import Papa from "papaparse";
import { kmem, kmemCommand, ROOT } from "./kmem_cli.ts";

const SMALL_TXT = `${ROOT}traces/small-6.18.txt.gz`;

/** Minimal reproducer of issue 16 item 7: formula-looking comms, call sites, a cache name, bidi. */
const HOSTILE_TRACE = [
  "# tracer: nop",
  '   =HYPERLINK("http://x")-101 [000] .....  1.000001: mm_page_alloc: page=00000000e0880e14 pfn=0x16b16d order=0 migratetype=1 gfp_flags=GFP_KERNEL',
  "   +cmd|calc-102 [000] .....  1.000002: kmalloc: call_site=@SUM(A1)+0x80/0x140 ptr=000000002c5de6db bytes_req=72 bytes_alloc=96 gfp_flags=GFP_KERNEL node=-1 accounted=false",
  "   @SUM(A1)-103 [000] .....  1.000003: kmem_cache_alloc: call_site=-2+3+0x3e/0x3f0 ptr=00000000db719503 name==evil bytes_req=192 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=false",
  "   ab\u202ecd-104 [000] .....  1.000004: mm_page_alloc: page=00000000e0880e15 pfn=0x16b16e order=0 migratetype=1 gfp_flags=GFP_KERNEL",
  "",
].join("\n");

const FORMULA_START = /^[=+\-@\t\r]/;

function csvCells(path: string): string[] {
  return (Papa.parse(Deno.readTextFileSync(path).trim()).data as string[][]).flat();
}

Deno.test("kmem import -o - | head -1: the closed pipe ends quietly with exit 0", async () => {
  const child = kmemCommand(["import", SMALL_TXT, "-o", "-"], "piped").spawn();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  await reader.cancel();
  const { code } = await child.status;
  const stderr = new TextDecoder().decode(
    (await new Response(child.stderr).arrayBuffer()) as ArrayBuffer,
  );
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
});

Deno.test("kmem report -o EXISTING_FILE is a usage error naming the path (exit 1)", async () => {
  const file = Deno.makeTempFileSync({ suffix: ".html" });
  const r = await kmem(["report", SMALL_TXT, "--memory", "8GiB", "-o", file]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stderr,
    `kmem: ${file}: exists and is not a directory; -o needs a directory (new or existing)\n`,
  );
  const dir = Deno.makeTempDirSync();
  const i = await kmem(["import", SMALL_TXT, "-o", dir]);
  assert.equal(i.code, 1, i.stderr);
  assert.equal(i.stderr, `kmem: ${dir}: cannot write: is a directory\n`);
  Deno.removeSync(file);
  Deno.removeSync(dir);
});

Deno.test("trace strings reach no CSV as formulas and no HTML as raw bidi controls", async () => {
  const dir = Deno.makeTempDirSync();
  const trace = `${dir}/hostile.txt`;
  Deno.writeTextFileSync(trace, HOSTILE_TRACE);
  const imp = await kmem(["import", trace, "-o", `${dir}/calls.csv`]);
  assert.equal(imp.code, 0, imp.stderr);
  const calls = Papa.parse(Deno.readTextFileSync(`${dir}/calls.csv`).trim(), { header: true })
    .data as Record<string, string>[];
  assert.deepEqual(calls.map((c) => c.comm), [
    `'=HYPERLINK("http://x")`,
    "'+cmd|calc",
    "'@SUM(A1)",
    "ab\u202ecd",
  ]);
  assert.deepEqual(calls.map((c) => c.callSite), ["", "'@SUM(A1)+0x80", "'-2+3+0x3e", ""]);
  assert.equal(calls[2]!.name, "'=evil");
  // Numbers stay numbers: node=-1 is written as -1, not '-1.
  assert.deepEqual(calls.map((c) => c.node), ["-1", "-1", "-1", "-1"]);

  const rep = await kmem(["report", trace, "--memory", "8GiB", "-o", `${dir}/report`]);
  assert.equal(rep.code, 0, rep.stderr);
  for (
    const f of ["alloc_by_comm.csv", "slab_call_sites_by_live_bytes.csv", "slab_caches.csv"]
  ) {
    const bad = csvCells(`${dir}/report/${f}`).filter((c) => FORMULA_START.test(c) && isNaN(+c));
    assert.deepEqual(bad, [], f);
  }
  assert.ok(csvCells(`${dir}/report/alloc_by_comm.csv`).includes(`'=HYPERLINK("http://x")`));
  assert.ok(csvCells(`${dir}/report/slab_call_sites_by_live_bytes.csv`).includes("'=evil"));
  const html = Deno.readTextFileSync(`${dir}/report/index.html`);
  assert.doesNotMatch(html, /[\u202a-\u202e\u2066-\u2069]/);
  assert.match(html, /ab\[U\+202E\]cd/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("kmem capture -o EXISTING_FILE is a usage error before tracing starts (exit 1)", async () => {
  const file = Deno.makeTempFileSync();
  const r = await kmem(["capture", "-o", file, "--seconds", "0.1"]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stderr,
    `kmem: ${file}: exists and is not a directory; -o needs a directory (new or existing)\n`,
  );
  Deno.removeSync(file);
});
