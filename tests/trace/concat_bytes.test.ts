import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { concatBytes } from "../../lib/trace/concat_bytes.ts";

Deno.test("concatBytes: the demo trace's chunks, re-joined, are the file again; n cuts the head", async () => {
  const path = new URL("../../traces/demo/trace.txt.gz", import.meta.url);
  const file = await Deno.readFile(path);
  // Uneven chunks, as a stream hands them out.
  const parts: Uint8Array[] = [];
  for (let at = 0, step = 1; at < file.length; at += step, step = step * 3 + 1) {
    parts.push(file.subarray(at, Math.min(file.length, at + step)));
  }
  assertEquals(concatBytes(parts), file);
  assertEquals(concatBytes(parts, 1000), file.subarray(0, 1000));
  assertEquals(concatBytes([file], file.length + 2).subarray(file.length), new Uint8Array(2));
  assertEquals(concatBytes([]).length, 0);
});
