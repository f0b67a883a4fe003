import assert from "node:assert/strict";
import { kmem, ROOT } from "./kmem_cli.ts";

/** Minimal reproducer of issue 16 items 1–2: one absurd pfn must not size the emulated memory. */
const BIG_PFN_TRACE = [
  "# tracer: nop",
  "  bash-1 [000] .....  1.000001: mm_page_alloc: page=00000000e0880e14 pfn=0xffffffffffff order=0 migratetype=1 gfp_flags=GFP_KERNEL",
  "  bash-1 [000] .....  1.000002: mm_page_alloc: page=00000000e0880e14 pfn=0x1000 order=0 migratetype=1 gfp_flags=GFP_KERNEL",
  "  bash-1 [000] .....  1.000003: mm_page_free: page=00000000e0880e14 pfn=0x200000000 order=0",
  "",
].join("\n");

Deno.test("replay without a machine: pfns beyond the emulated maximum are desyncs, not memory", async () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/t.txt`, BIG_PFN_TRACE);
  const r = await kmem(["replay", "--json", `${dir}/t.txt`]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.desyncs["pfn-outside-zone"], 2);
  // Sized from pfn 0x1000, the one pfn the emulator can hold: 1 GiB, x86-64 preset zones.
  assert.deepEqual(j.zones.map((z: { name: string }) => z.name), ["DMA", "DMA32"]);
  const text = await kmem(["replay", `${dir}/t.txt`]);
  assert.match(text.stdout, /2 calls name pfns at or above 0x3fffc00 .*pfn-outside-zone/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("--memory above the documented maximum is a usage error (exit 1)", async () => {
  const r = await kmem(["replay", `${ROOT}traces/small-6.18.dat`, "--memory", "1TiB"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /1TiB is outside 1 byte … 256 GiB, the most memory kmemreplay emulates/);
});

Deno.test("a bundle whose zoneinfo spans more than the emulator holds names the file (exit 2)", async () => {
  const dir = Deno.makeTempDirSync();
  for (const e of Deno.readDirSync(`${ROOT}traces/demo`)) {
    Deno.copyFileSync(`${ROOT}traces/demo/${e.name}`, `${dir}/${e.name}`);
  }
  const zi = Deno.readTextFileSync(`${dir}/before.zoneinfo`);
  // Normal's `spanned 5505024` (grep -n spanned) made 2^30 pages: a 4 TiB machine.
  Deno.writeTextFileSync(
    `${dir}/before.zoneinfo`,
    zi.replace(/(zone\s+Normal[\s\S]*?spanned\s+)5505024/, "$11073741824"),
  );
  const r = await kmem(["validate", dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    `kmem: ${dir}/before.zoneinfo: the machine spans 1074790400 pages (pfn 0x400fffff), more than ` +
      `the 67108864 pages kmemreplay emulates (README "Limits"); pass --memory to replay a ` +
      `smaller what-if machine\n`,
  );
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("a bundle snapshot that no kernel could print is exit 2 naming its path and line", async () => {
  const dir = Deno.makeTempDirSync();
  for (const e of Deno.readDirSync(`${ROOT}traces/demo`)) {
    Deno.copyFileSync(`${ROOT}traces/demo/${e.name}`, `${dir}/${e.name}`);
  }
  const zi = Deno.readTextFileSync(`${dir}/before.zoneinfo`);
  // The reproducer: Normal (line 152, grep -n spanned) says `spanned 1099511627776`.
  Deno.writeTextFileSync(
    `${dir}/before.zoneinfo`,
    zi.replace(/(zone\s+Normal[\s\S]*?spanned\s+)5505024/, "$11099511627776"),
  );
  const r = await kmem(["replay", dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^kmem: ${dir}/before\\.zoneinfo:152: zone Normal of node 0 spans pfns 1048576 \\+ `,
    ),
  );
  Deno.removeSync(dir, { recursive: true });
});
