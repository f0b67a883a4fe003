import assert from "node:assert/strict";
import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import { main } from "../cli.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DEMO = `${ROOT}traces/demo`;

/** Free pages of `zone` in a buddyinfo text (Σ blocks · 2^order). */
function buddyinfoFreePages(text: string, zone: string): number {
  const line = text.split("\n").find((l) => new RegExp(`zone\\s+${zone}\\s`).test(l))!;
  return line.trim().split(/\s+/).slice(4).map(Number).reduce((a, n, o) => a + n * 2 ** o, 0);
}

Deno.test("mod.ts runs from a script outside the repository, by path and by file: URL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmem-outside-" });
  assert.ok(!dir.startsWith(ROOT), `${dir} must be outside ${ROOT}`);
  const byPath = relative(dir, `${ROOT}mod.ts`);
  const byUrl = pathToFileURL(`${ROOT}mod.ts`).href;
  Deno.writeTextFileSync(
    `${dir}/script.ts`,
    `import { loadBundle, validateReplay } from "./${byPath}";
import { buildReplayReport, replayTrace } from "${byUrl}";
const b = await loadBundle(Deno.args[0]!);
using file = await Deno.open(b.tracePath);
const r = await replayTrace(file.readable, { file: b.tracePath, snapshots: b.snapshots, metrics: true });
const v = validateReplay(r, b.snapshots.after, b.snapshots.before);
const { files } = await buildReplayReport(r, { traceName: Deno.args[0]! });
const normal = v.zones.find((z) => z.name === "Normal")!;
console.log(JSON.stringify({
  predicted: normal.freePages.predicted,
  actual: normal.freePages.actual,
  html: (files.get("index.html") as string).length,
}));
`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "script.ts", DEMO],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const got = JSON.parse(new TextDecoder().decode(out.stdout));
  const actual = buddyinfoFreePages(Deno.readTextFileSync(`${DEMO}/after.buddyinfo`), "Normal");
  assert.equal(got.actual, actual);
  // The demo replays exactly (README, Fidelity): the script's replay is the CLI's.
  let cli = "";
  assert.equal(await main(["replay", "--json", DEMO], { stdout: (t) => cli += t, stderr() {} }), 0);
  const normal = JSON.parse(cli).zones.find((z: { name: string }) => z.name === "Normal");
  assert.equal(got.predicted, normal.freePages);
  assert.equal(got.predicted, actual);
  assert.ok(got.html > 100_000, `index.html of ${got.html} characters`);
  await Deno.remove(dir, { recursive: true });
});
