import assert from "node:assert/strict";
import {
  formatSlabShrink,
  parseSlabShrink,
  SLAB_SHRINK_HEADER,
} from "../../lib/snapshot/slab_shrink.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

const DEMO = new URL("../../traces/demo/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, DEMO));

/** Asserts a TraceSyntaxError of `file` at `line` whose message says `what`. */
const syntaxError = (file: string, line: number, what: RegExp) => (e: unknown) =>
  e instanceof TraceSyntaxError && e.file === file && e.line === line &&
  e.message.startsWith(`${file}:${line}: `) && what.test(e.message);

Deno.test("slab_shrink: the demo capture shrank all 232 caches before both snapshots", () => {
  // cat traces/demo/{before,after}.slab_shrink: "caches=232 failed=0" with ms=3.5 before and
  // ms=4.6 after, no failed lines.
  for (const [when, ms] of [["before", 3.5], ["after", 4.6]] as const) {
    const text = read(`${when}.slab_shrink`);
    assert.equal(text.split("\n")[0], SLAB_SHRINK_HEADER);
    assert.deepEqual(parseSlabShrink(text, `${when}.slab_shrink`), {
      caches: 232,
      failed: [],
      ms,
    });
  }
});

Deno.test("slab_shrink: format → parse round trip keeps failed caches in order", () => {
  const record = { caches: 230, failed: ["kmalloc-rnd-01-8", "dma-kmalloc-64"], ms: 7.2 };
  const text = formatSlabShrink(record);
  assert.equal(
    text,
    `${SLAB_SHRINK_HEADER}\ncaches=230 failed=2 ms=7.2\n` +
      "failed kmalloc-rnd-01-8\nfailed dma-kmalloc-64\n",
  );
  assert.deepEqual(parseSlabShrink(text), record);
  // The file keeps tenths of a millisecond; CRLF line ends and blank lines are accepted.
  const rounded = formatSlabShrink({ caches: 1, failed: [], ms: 12.34 });
  assert.deepEqual(parseSlabShrink(rounded.replaceAll("\n", "\r\n") + "\r\n"), {
    caches: 1,
    failed: [],
    ms: 12.3,
  });
});

Deno.test("slab_shrink: bad input is a TraceSyntaxError naming file and line", () => {
  // A line that is neither the summary nor `failed <cache>` (line 3 after header and summary).
  assert.throws(
    () =>
      parseSlabShrink(`${SLAB_SHRINK_HEADER}\ncaches=2 failed=0 ms=0.1\nshrunk dentry\n`, "b.ss"),
    syntaxError("b.ss", 3, /expected caches=N failed=N ms=X or failed <cache>: shrunk dentry/),
  );
  // A summary with a non-decimal count does not match the summary either.
  assert.throws(
    () => parseSlabShrink("caches=many failed=0 ms=1.0\n", "after.slab_shrink"),
    syntaxError("after.slab_shrink", 1, /expected caches=N/),
  );
  // Only the header: no summary line; reported at line 1 of the file.
  assert.throws(
    () => parseSlabShrink(`${SLAB_SHRINK_HEADER}\n`, "before.slab_shrink"),
    syntaxError("before.slab_shrink", 1, /no caches=N failed=N ms=X line/),
  );
  assert.throws(
    () => parseSlabShrink("failed dentry\n"),
    syntaxError("<input>", 1, /no caches=N failed=N ms=X line/),
  );
  // The summary promises two failed caches, the file lists one: the summary line is named.
  assert.throws(
    () =>
      parseSlabShrink(
        `${SLAB_SHRINK_HEADER}\ncaches=230 failed=2 ms=7.2\nfailed dentry\n`,
        "x/after.slab_shrink",
      ),
    syntaxError("x/after.slab_shrink", 2, /failed=2 but 1 failed lines: caches=230/),
  );
  // Two summaries: the second is named, not silently taken.
  assert.throws(
    () => parseSlabShrink("caches=232 failed=0 ms=4.1\ncaches=231 failed=0 ms=4.0\n", "t"),
    syntaxError("t", 2, /a second caches=N line/),
  );
  // Failed lines without any being announced.
  assert.throws(
    () => parseSlabShrink("caches=232 failed=0 ms=4.1\nfailed dentry\n", "s"),
    syntaxError("s", 1, /failed=0 but 1 failed lines/),
  );
});
