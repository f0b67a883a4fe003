import assert from "node:assert/strict";
import { importTrace } from "../../lib/calls/trace_import.ts";
import type { CallBatch } from "../../lib/calls/call_batch.ts";
import { TraceSyntaxError } from "../../lib/trace/diagnostics.ts";
import { EVENT_BATCH_COLUMNS } from "../../lib/trace/event_batch.ts";
import type { StringTable } from "../../lib/trace/string_table.ts";

const MIXED = new URL("../../../shared/traces/mixed/", import.meta.url).pathname;

/**
 * Imports `path` and folds every delivered call (all columns, strings resolved) into a running
 * FNV-1a hash, so two imports can be compared row for row without holding them.
 */
async function importHashed(path: string, worker: boolean) {
  let h = 0x811c9dc5;
  let rows = 0;
  const mix = (x: number) => {
    h = Math.imul(h ^ (x | 0), 16777619);
    h = Math.imul(h ^ Math.floor(x / 4294967296), 16777619);
  };
  const mixStr = (s: string) => {
    for (let k = 0; k < s.length; k++) mix(s.charCodeAt(k));
  };
  const sink = (b: CallBatch, strings: StringTable) => {
    for (let i = 0; i < b.length; i++) {
      for (const col of EVENT_BATCH_COLUMNS) {
        if (col === "comm" || col === "callSite" || col === "name") mixStr(strings.get(b[col][i]!));
        else mix(b[col][i]!);
      }
      mix(b.call[i]!);
      rows++;
    }
  };
  using f = await Deno.open(path);
  const summary = await importTrace(f.readable, sink, { file: path, worker });
  return { summary, hash: h >>> 0, rows };
}

for (const name of ["trace.txt.gz", "trace.dat"]) {
  Deno.test(`parse worker: the mixed capture's ${name} gives the same calls and summary as one thread`, async () => {
    const one = await importHashed(MIXED + name, false);
    const two = await importHashed(MIXED + name, true);
    // 1,065,358 events in the capture (its README); calls are fewer (drains, wakeups …).
    assert.equal(one.summary.events.total, 1065358);
    assert.ok(one.rows > 900_000, `${one.rows} calls`);
    assert.deepEqual(two.summary, one.summary);
    assert.equal(two.rows, one.rows);
    assert.equal(two.hash, one.hash);
  });
}

Deno.test("parse worker: one big input chunk that fills many batches at once (flow control)", async () => {
  // 120,000 lines of the mixed capture in a single chunk: one feed emits several batches, more
  // than may be in flight, and each must wait for buffers to come back.
  const out = await new Deno.Command("sh", {
    args: ["-c", `zcat '${MIXED}trace.txt.gz' | head -n 120000`],
    stdout: "piped",
  }).output();
  const text = out.stdout;
  const lines = text.reduce((n, c) => n + (c === 10 ? 1 : 0), 0);
  assert.equal(lines, 120000);
  const rows: number[] = [];
  for (const worker of [false, true]) {
    let n = 0;
    const s = await importTrace(ReadableStream.from([text.slice()]), (b) => {
      n += b.length;
    }, { worker });
    assert.equal(s.lines.total, 120000);
    assert.ok(s.events.total > 4 * 16384, `${s.events.total} events: more batches than may be out`);
    rows.push(n);
  }
  assert.equal(rows[1], rows[0]);
});

Deno.test("parse worker: a strict-mode error is the same TraceSyntaxError as in one thread", async () => {
  const text = [
    "# tracer: nop",
    "            bash-8638    [001] .....   460.302161: mm_page_alloc: page=00000000fad31a98 pfn=0x18de48 order=0 migratetype=0 gfp_flags=GFP_KERNEL",
    "            bash-8638    [001] .....   460.302162: mm_page_alloc: page=00000000fad31a98 pfn=0xZZ order=0 migratetype=0 gfp_flags=GFP_KERNEL",
  ].join("\n");
  const bytes = () => ReadableStream.from([new TextEncoder().encode(text)]);
  const errors: TraceSyntaxError[] = [];
  for (const worker of [false, true]) {
    await assert.rejects(
      importTrace(bytes(), () => {}, { file: "bad.txt", strict: true, worker }),
      (e: unknown) => {
        if (e instanceof TraceSyntaxError) errors.push(e);
        return e instanceof TraceSyntaxError;
      },
    );
  }
  assert.equal(errors.length, 2);
  assert.equal(errors[1]!.message, errors[0]!.message);
  assert.deepEqual(
    [errors[1]!.file, errors[1]!.line, errors[1]!.code, errors[1]!.text],
    [errors[0]!.file, errors[0]!.line, errors[0]!.code, errors[0]!.text],
  );
  assert.equal(errors[0]!.line, 3);
});

Deno.test("parse worker: a corrupt gzip stream fails with the one-thread message", async () => {
  const gz = await Deno.readFile(MIXED + "trace.txt.gz");
  const cut = gz.slice(0, 200_000); // truncated in the middle of a deflate block
  const messages: string[] = [];
  for (const worker of [false, true]) {
    await assert.rejects(
      importTrace(ReadableStream.from([cut.slice()]), () => {}, { file: "cut.gz", worker }),
      (e: unknown) => {
        messages.push((e as Error).message);
        return e instanceof Error;
      },
    );
  }
  assert.equal(messages[1], messages[0]);
});
