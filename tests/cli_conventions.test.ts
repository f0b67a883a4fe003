import assert from "node:assert/strict";
import { KMEM_VERSION } from "../lib/report/kmem_version.ts";
import { kmem, ROOT } from "./kmem_cli.ts";

const SMALL_DAT = `${ROOT}traces/small-6.18.dat`;

Deno.test("kmem --version prints the one version constant (exit 0)", async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await kmem([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${KMEM_VERSION}\n`);
  }
  assert.match(KMEM_VERSION, /^\d+\.\d+\.\d+$/);
  // README documents where it comes from.
  assert.match(Deno.readTextFileSync(`${ROOT}README.md`), /kmem --version/);
});

/** A bad value of `flag` is a usage error (exit 1) naming the flag, before any replay. */
async function assertUsageError(flag: string, value: string, why: RegExp): Promise<void> {
  const r = await kmem(["replay", SMALL_DAT, flag, value]);
  assert.equal(r.code, 1, `${flag} ${value}: ${r.stderr}`);
  assert.equal(r.stdout, "");
  assert.ok(r.stderr.includes(`option '${flag} <`), `${flag} not named: ${r.stderr}`);
  assert.match(r.stderr, why);
  assert.doesNotMatch(r.stderr.split("\n")[0]!, /invariant/);
}

Deno.test("--page-size must be a power of two from 4 KiB to 64 KiB (usage error)", async () => {
  for (const v of ["3KiB", "2KiB", "128KiB", "12k", "0"]) {
    await assertUsageError("--page-size", v, /power of two from 4 KiB to 64 KiB/);
  }
});

Deno.test("--max-order must be within Linux's MAX_PAGE_ORDER range 1 … 15 (usage error)", async () => {
  for (const v of ["99", "16", "0", "-1", "3.5", "ten"]) {
    await assertUsageError("--max-order", v, /outside 1 … 15, the MAX_PAGE_ORDER range/);
  }
});

Deno.test("--cpus must be 1 … 8192 (usage error)", async () => {
  for (const v of ["0", "8193", "two"]) {
    await assertUsageError("--cpus", v, /outside 1 … 8192 CPUs/);
  }
});

Deno.test("accepted --page-size / --max-order / --cpus values replay (exit 0)", async () => {
  const r = await kmem([
    "replay",
    SMALL_DAT,
    "--json",
    "--page-size",
    "16KiB",
    "--max-order",
    "11",
    "--cpus",
    "1",
    "--memory",
    "2GiB",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.zones.length > 0);
});

Deno.test("kmem stats prints the span in seconds", async () => {
  const r = await kmem(["stats", `${ROOT}traces/small-6.18.txt.gz`]);
  assert.equal(r.code, 0, r.stderr);
  // zcat small-6.18.txt.gz | grep -oE ' [0-9]+\.[0-9]{6}: ' | sed -n '1p;$p': 1094.674618 … 1094.924408
  assert.match(r.stdout, /^time +1094\.674618 … 1094\.924408 s \(span 0\.250 s\)$/m);
});
