import assert from "node:assert/strict";
import Papa from "papaparse";
import { nsToSeconds, tableToCsv } from "../../lib/report/csv_table.ts";

Deno.test("CSV round-trips commas, quotes, newlines and hostile names through papaparse", () => {
  const rows = [
    ["<img src=x onerror=alert(1)>", 3],
    ['say "hi", twice', 4],
    ["kworker/u4:2\nx", 5],
  ];
  const csv = tableToCsv({ file: "t.csv", title: "t", columns: ["comm", "allocs"], rows });
  const back = Papa.parse(csv).data as string[][];
  assert.deepEqual(back[0], ["comm", "allocs"]);
  assert.deepEqual(back.slice(1).map((r) => [r[0], Number(r[1])]), rows);
});

Deno.test("nanoseconds to seconds keeps the trace's µs digits exactly", () => {
  assert.equal(nsToSeconds(460_302_128_000), 460.302128);
  assert.equal(nsToSeconds(463_629_830_001), 463.629830001);
  assert.equal(String(nsToSeconds(1_500_000_000)), "1.5");
});
