import assert from "node:assert/strict";
import { kmem, ROOT } from "../kmem_cli.ts";

Deno.test("report of traces/demo: the verdict is summary.json's first key and the page's first block", async () => {
  const dir = Deno.makeTempDirSync();
  const r = await kmem(["report", `${ROOT}traces/demo`, "-o", dir]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(Deno.readTextFileSync(`${dir}/summary.json`));
  assert.equal(Object.keys(summary)[0], "verdict");
  const replay = JSON.parse((await kmem(["replay", "--json", `${ROOT}traces/demo`])).stdout);
  assert.deepEqual(summary.verdict, replay.verdict);
  const html = Deno.readTextFileSync(`${dir}/index.html`);
  const verdictAt = html.indexOf('<section class="verdict"');
  assert.ok(verdictAt > 0 && verdictAt < html.indexOf('<section class="cards"'));
  // One row per zone with its cause; Normal's end unusable index at order 3 is 0.007
  // (awk over after.buddyinfo, see tests/metrics/memory_verdict.test.ts).
  assert.match(html, /<tr><td>Normal<\/td><td class="num">3<\/td><td class="num">0\.007 \//);
  assert.equal(html.match(/<td class="cause no-shortage">no shortage<\/td>/g)?.length, 3);
  assert.match(html, /18 desyncs: 18 first sightings of pages allocated or freed before tracing/);
  Deno.removeSync(dir, { recursive: true });
});
