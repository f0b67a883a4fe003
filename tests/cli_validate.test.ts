import assert from "node:assert/strict";
import { kmem, ROOT } from "./kmem_cli.ts";

/** A copy of traces/demo with `edit` applied, in a temp dir. */
function brokenDemo(edit: (dir: string) => void): string {
  const dir = Deno.makeTempDirSync();
  for (const e of Deno.readDirSync(`${ROOT}traces/demo`)) {
    Deno.copyFileSync(`${ROOT}traces/demo/${e.name}`, `${dir}/${e.name}`);
  }
  edit(dir);
  return dir;
}

Deno.test("kmem validate: broken bundles are exit 2 naming the file (issue 16 item 4)", async () => {
  const cases: Array<[(dir: string) => void, (dir: string) => string]> = [
    [
      (d) => Deno.writeTextFileSync(`${d}/before.zoneinfo`, ""),
      (d) => `kmem: ${d}/before.zoneinfo: no zones: the file is empty or not /proc/zoneinfo\n`,
    ],
    [
      (d) => Deno.removeSync(`${d}/before.buddyinfo`),
      (d) =>
        `kmem: ${d}/before.buddyinfo: missing: after.buddyinfo is compared with the replay from it\n`,
    ],
    [
      (d) => {
        for (const n of ["buddyinfo", "zoneinfo", "slabinfo", "vmstat", "pagetypeinfo"]) {
          Deno.renameSync(`${d}/before.${n}`, `${d}/x`);
          Deno.renameSync(`${d}/after.${n}`, `${d}/before.${n}`);
          Deno.renameSync(`${d}/x`, `${d}/after.${n}`);
        }
      },
      // grep pgalloc_normal traces/demo/*.vmstat
      (d) =>
        `kmem: ${d}/after.vmstat: pgalloc_normal 171963007 is below before.vmstat's 171964778, ` +
        "and it only grows: before and after are swapped, or the machine rebooted between them\n",
    ],
  ];
  for (const [edit, message] of cases) {
    const dir = brokenDemo(edit);
    const r = await kmem(["validate", dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, message(dir));
    assert.equal(r.stdout, "");
    Deno.removeSync(dir, { recursive: true });
  }
});
