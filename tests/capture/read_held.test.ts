import assert from "node:assert/strict";
import { readHeld } from "../../lib/capture/read_held.ts";

Deno.test("readHeld: a file kept open reads whole from its start every time, past 64 KiB", () => {
  // Three copies of the mixed capture's after.slabinfo (25,408 bytes each): the read buffer grows.
  const slabinfo = Deno.readTextFileSync(
    new URL("../../../shared/traces/mixed/after.slabinfo", import.meta.url),
  );
  const whole = slabinfo.repeat(3);
  assert.equal(new TextEncoder().encode(whole).length, 3 * 25_408);
  const path = Deno.makeTempFileSync({ prefix: "kmemreplay-held-" });
  try {
    Deno.writeTextFileSync(path, whole);
    using f = Deno.openSync(path, { read: true, write: true });
    assert.equal(readHeld(f), whole);
    assert.equal(readHeld(f), whole);
    // A write through another handle shows in the next read (seq_file-like refresh).
    Deno.writeTextFileSync(path, slabinfo);
    assert.equal(readHeld(f), slabinfo);
  } finally {
    Deno.removeSync(path);
  }
});
