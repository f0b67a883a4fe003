/**
 * An input of which nothing parsed is an error naming the file and the first bad line; many
 * malformed lines draw a warning (issue 16 item 9: a 6.1 PREEMPT_RT trace read as 0 parsed and
 * 653,850 malformed lines was reported as a success).
 */
import assert from "node:assert/strict";
import { importTrace } from "../../lib/calls/trace_import.ts";
import { inputVerdict, MALFORMED_WARN_FRACTION } from "../../lib/calls/input_verdict.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

const OK = "  bash-1 [000] ..... 1.000001: mm_page_free: page=0000000000000001 pfn=0x10 order=0";
const BAD = OK.replace("pfn=0x10", "pfn=zz");

function run(lines: string[]) {
  const bytes = new TextEncoder().encode(lines.join("\n") + "\n");
  return importTrace(ReadableStream.from([bytes]), () => {}, { file: "t.txt" });
}

Deno.test("lines read but none parsed: an error naming the file and the first bad line", async () => {
  await assert.rejects(run(["# tracer: nop", BAD, BAD]), (e) => {
    assert.ok(e instanceof TraceSyntaxError);
    assert.equal(e.code, "nothing-parsed");
    assert.match(
      e.message,
      /^t\.txt:2: no event lines understood \(2 of 2 malformed; the first at line 2: /,
    );
    return true;
  });
});

Deno.test("malformed lines above 1 % of the event lines: one warning; below it none", async () => {
  const many = await run([OK, OK, OK, BAD]);
  assert.deepEqual(many.warnings.length, 1);
  assert.match(
    many.warnings[0]!,
    /^t\.txt: 1 of 4 event lines \(25\.0 %\) not understood; the first at line 4/,
  );
  const few = await run([...Array(1 / MALFORMED_WARN_FRACTION).fill(OK), BAD]);
  assert.deepEqual(few.warnings, []);
  assert.equal(few.lines.malformed, 1);
});

Deno.test("a header-only trace and unknown events alone are not errors", async () => {
  const s = await run(["# tracer: nop", "#"]);
  assert.equal(s.lines.parsed, 0);
  assert.deepEqual(s.warnings, []);
  assert.deepEqual(
    inputVerdict({
      file: "t.dat",
      format: "trace.dat",
      lines: { total: 5, parsed: 0, unknown: 5, malformed: 0 },
      diagnostics: { examples: [] },
    }),
    [],
  );
});
