import assert from "node:assert/strict";
import Papa from "papaparse";
import { nsToSeconds, tableToCsv } from "../../lib/report/csv_table.ts";
import { csvSafeCell } from "../../lib/trace/csv_text.ts";

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

Deno.test("formula-looking strings get a leading quote; numbers, negative ones too, stay numbers", () => {
  const csv = tableToCsv({
    file: "t.csv",
    title: "t",
    columns: ["comm", "n"],
    rows: [
      ['=HYPERLINK("http://x")', -145],
      ["+cmd|calc", 1],
      ["@SUM(A1)", 2],
      ["-2+3+0x3e", 3],
      ["\tx", 4],
      ["\rx", 5],
      ["-145", 6],
      ["kworker/0:1", 7],
    ],
  });
  const back = Papa.parse(csv).data as string[][];
  assert.deepEqual(back.slice(1).map((r) => r[0]), [
    `'=HYPERLINK("http://x")`,
    "'+cmd|calc",
    "'@SUM(A1)",
    "'-2+3+0x3e",
    "'\tx",
    "'\rx",
    "-145",
    "kworker/0:1",
  ]);
  assert.equal(back[1]![1], "-145");
  assert.equal(csvSafeCell(-145), -145);
});
