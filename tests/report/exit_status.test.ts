import assert from "node:assert/strict";
import { CaptureError, CaptureInterrupted } from "../../lib/capture/tracefs_capture.ts";
import { ExitCode, exitStatusOf } from "../../lib/report/exit_status.ts";
import { MmInvariantError } from "../../lib/mm/mm_invariant_error.ts";
import { InputError, TraceSyntaxError } from "../../lib/trace/diagnostics.ts";

Deno.test("exitStatusOf: the code follows the error's class, not its message", () => {
  assert.equal(exitStatusOf(new InputError("t.dat: corrupt")).code, ExitCode.badInput);
  assert.equal(exitStatusOf(new CaptureError("no usable tracefs")).code, ExitCode.badInput);
  assert.equal(exitStatusOf(new CaptureInterrupted()).code, 130);
  const inv = exitStatusOf(new MmInvariantError("carve", "tail at block start 7"));
  assert.deepEqual(inv, {
    code: 3,
    message: "emulator invariant broken (strict mode): carve: tail at block start 7",
    internal: false,
  });
  // A message that looks like bad input does not make an internal error one.
  const bug = exitStatusOf(new Error("corrupt or truncated zstd data"));
  assert.deepEqual([bug.code, bug.internal], [ExitCode.usage, true]);
  assert.equal(bug.message, "internal error: corrupt or truncated zstd data");
});

Deno.test("exitStatusOf: file-system errors name the file without Deno's prefix", async () => {
  const e = await Deno.readFile("/nonexistent/trace.txt").catch((x) => x);
  const s = exitStatusOf(e);
  assert.equal(s.code, 2);
  assert.match(s.message, /^no such file: .*\/nonexistent\/trace\.txt/);
});

Deno.test("exitStatusOf: a TraceSyntaxError keeps its file:line message", () => {
  const e = new TraceSyntaxError("bad pfn=0xQQ", { file: "t.txt", line: 2 });
  assert.equal(exitStatusOf(e).code, 2);
  assert.equal(exitStatusOf(e).message, e.message);
});
