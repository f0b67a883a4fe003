/**
 * Structure-aware mutators for text traces (tracefs `trace`, `trace-cmd report`, `perf script`):
 * they know where a line keeps its comm, pid, CPU column, timestamp and `key=value` fields, and
 * put the values that broke parsers before (issue 16) exactly there.
 *
 * @module
 */

import type { Rng } from "./rng.ts";

/** The text dialects the seeds come in. */
export type TextFormat = "tracefs" | "report" | "perf";

/** Numbers that sized arrays, overflowed or lost precision before. */
export const INTERESTING_NUMBERS: readonly string[] = [
  "0",
  "-1",
  "-8",
  "1",
  "255",
  "4096",
  "65535",
  "2147483647",
  "2147483648",
  "4294967295",
  "4294967296",
  "300000000",
  "9007199254740991",
  "9007199254740993",
  "18446744073709551615",
  "18446744073709551616",
  "1e400",
  "9".repeat(400),
  "",
  "NaN",
  "+5",
  "007",
];

/** pfn values: beyond memory, beyond 2^32, beyond 2^64, negative. */
const PFNS: readonly string[] = [
  "0x0",
  "-1",
  "0x40000000",
  "0x100000000",
  "0x200000000",
  "0xffffffffffff",
  "0xffffffffffffffff",
  "0x10000000000000000",
  "0x",
  "0xg",
  "18446744073709551616",
];

/** Comm bytes that reach CSV, HTML and terminals. */
const COMMS: readonly string[] = [
  "",
  "\u0000\u0000bash",
  "\u001b[31mred\u001b[0m",
  '=HYPERLINK("http://x","y")',
  "+cmd|' /C calc'!A0",
  "@SUM(A1)",
  "-2+3",
  "\u202eevil\u202c",
  "a".repeat(300),
  "with space",
  "<script>alert(1)</script>",
  'comma,quote"',
  "\u00ff\u00fe",
];

/** One mutation applied to the lines; returns its name and what it did. */
type LineMutator = (lines: string[], rng: Rng, format: TextFormat) => string | null;

/** Index of a random event line (has `name: key=`), or -1. */
function eventLine(lines: string[], rng: Rng): number {
  for (let tries = 0; tries < 20; tries++) {
    const i = rng.int(lines.length);
    if (/\d+\.\d+:\s+\S+:\s/.test(lines[i]!)) return i;
  }
  return lines.findIndex((l) => /\d+\.\d+:\s+\S+:\s/.test(l));
}

function replaceField(line: string, rng: Rng, key: RegExp, values: readonly string[]): string {
  const matches = [...line.matchAll(/(\w+)=(\(nil\)|[-+\w.]*)/g)].filter((m) => key.test(m[1]!));
  if (matches.length === 0) return line;
  const m = rng.pick(matches);
  const start = m.index! + m[1]!.length + 1;
  return line.slice(0, start) + rng.pick(values) + line.slice(start + m[2]!.length);
}

const MUTATORS: Record<string, LineMutator> = {
  number(lines, rng) {
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    const v = rng.pick(INTERESTING_NUMBERS);
    lines[i] = replaceField(lines[i]!, rng, /.*/, [v, `0x${rng.pick(["ffffffff", "1", ""])}`]);
    return `number field := ${v.slice(0, 20)} (line ${i + 1})`;
  },
  pfn(lines, rng) {
    const i = lines.findIndex((l, k) => k >= rng.int(lines.length) && / pfn=/.test(l));
    if (i < 0) return null;
    lines[i] = replaceField(lines[i]!, rng, /^(pfn|page)$/, PFNS);
    return `pfn (line ${i + 1})`;
  },
  bytes(lines, rng) {
    const i = lines.findIndex((l, k) => k >= rng.int(lines.length) && / bytes_alloc=/.test(l));
    if (i < 0) return null;
    const v = rng.pick(["0", "-8", "4294967296", "9007199254740993", "1", "-1", "99999999999"]);
    lines[i] = replaceField(lines[i]!, rng, /^bytes_(alloc|req)$/, [v]);
    return `bytes_* := ${v} (line ${i + 1})`;
  },
  cpu(lines, rng) {
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    const v = rng.pick([
      "4294967296",
      "18446744073709551616",
      "9".repeat(400),
      "300000000",
      "-1",
      "",
      "abc",
      "65536",
      "1023",
    ]);
    lines[i] = lines[i]!.replace(/\[\d+\]/, `[${v}]`);
    return `CPU column := [${v.slice(0, 20)}] (line ${i + 1})`;
  },
  comm(lines, rng, format) {
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    const c = rng.pick(COMMS);
    lines[i] = format === "perf"
      ? lines[i]!.replace(/^\s*(.*?)\s+(-?\d+)\s+\[/, `${c} $2 [`)
      : lines[i]!.replace(/^(\S+?:)?\s*(.*?)-(\d+)(\s+)/, (_m, p = "", _c, pid, sp) =>
        `${p ?? ""}${c}-${pid}${sp}`);
    return `comm := ${JSON.stringify(c.slice(0, 20))} (line ${i + 1})`;
  },
  perfUnknownThread(lines, rng, format) {
    if (format !== "perf") return null;
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    lines[i] = lines[i]!.replace(/^\s*(.*?)\s+(-?\d+)\s+\[/, "            :-1    -1 [");
    return `perf unknown thread ':-1 -1' (line ${i + 1})`;
  },
  lost(lines, rng, format) {
    const n = rng.pick(["18446744073709551616", "-1", "0", "1000000", "9".repeat(40), "x"]);
    const cpu = rng.pick(["1", "99999999", "-1", "4294967296"]);
    const marker = format === "report" ? `CPU:${cpu} [LOST ${n} EVENTS]` : rng.pick([
      `CPU:${cpu} [LOST ${n} EVENTS]`,
      `##### CPU ${cpu} buffer started ####`,
      `[${n} EVENTS DROPPED]`,
    ]);
    const at = rng.int(lines.length + 1);
    lines.splice(at, 0, marker);
    return `lost marker ${JSON.stringify(marker.slice(0, 40))} at line ${at + 1}`;
  },
  timestamp(lines, rng) {
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    const v = rng.pick([
      "0.000000",
      "99999999999999999999.999999",
      "-1.000000",
      "1e400",
      "1.",
      ".",
    ]);
    lines[i] = lines[i]!.replace(/\d+\.\d+:/, `${v}:`);
    return `timestamp := ${v} (line ${i + 1})`;
  },
  eventName(lines, rng) {
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    const v = rng.pick(["kmalloc", "mm_page_free", "no_such_event", "", "kmem:", "mm_page_alloc"]);
    lines[i] = lines[i]!.replace(/(\d+\.\d+:\s+(?:\w+:)?)\w+:/, `$1${v}:`);
    return `event := ${v} (line ${i + 1})`;
  },
  dropField(lines, rng) {
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    const fields = [...lines[i]!.matchAll(/ \w+=\S*/g)];
    if (fields.length === 0) return null;
    const f = rng.pick(fields);
    lines[i] = lines[i]!.slice(0, f.index!) + lines[i]!.slice(f.index! + f[0].length);
    return `drop ${f[0].trim().slice(0, 20)} (line ${i + 1})`;
  },
  dupField(lines, rng) {
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    const fields = [...lines[i]!.matchAll(/ (\w+)=\S*/g)];
    if (fields.length === 0) return null;
    const f = rng.pick(fields);
    lines[i] = `${lines[i]} ${f[1]}=${rng.pick(INTERESTING_NUMBERS)}`;
    return `duplicate ${f[1]} (line ${i + 1})`;
  },
  truncateLine(lines, rng) {
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    const at = rng.int(lines[i]!.length);
    lines[i] = lines[i]!.slice(0, at);
    return `truncate line ${i + 1} at column ${at}`;
  },
  dupLines(lines, rng) {
    const i = rng.int(lines.length);
    const n = 1 + rng.int(50);
    lines.splice(i, 0, ...lines.slice(i, i + n));
    return `duplicate lines ${i + 1}..${i + n}`;
  },
  deleteLines(lines, rng) {
    const i = rng.int(lines.length);
    const n = 1 + rng.int(20);
    lines.splice(i, n);
    return `delete lines ${i + 1}..${i + n}`;
  },
  swapLines(lines, rng) {
    const a = rng.int(lines.length), b = rng.int(lines.length);
    [lines[a], lines[b]] = [lines[b]!, lines[a]!];
    return `swap lines ${a + 1} and ${b + 1}`;
  },
  header(lines, rng) {
    const i = lines.findIndex((l) => /^(#|cpus=)/.test(l));
    if (i < 0) return null;
    const v = rng.pick(INTERESTING_NUMBERS);
    lines[i] = lines[i]!.replace(/\d+/, v);
    return `header number := ${v.slice(0, 20)} (line ${i + 1})`;
  },
  longLine(lines, rng) {
    const i = eventLine(lines, rng);
    if (i < 0) return null;
    lines[i] = `${lines[i]} x=${"y".repeat(100_000 + rng.int(100_000))}`;
    return `very long line ${i + 1}`;
  },
  crlf(lines) {
    for (let i = 0; i < lines.length; i++) lines[i] = `${lines[i]}\r`;
    return "CRLF line ends";
  },
};

/** Names of the text mutators (for `--list`). */
export const TEXT_MUTATORS: readonly string[] = Object.keys(MUTATORS);

/**
 * Applies 1–3 mutations to a text trace and returns the bytes; some cases also get raw bytes
 * (NUL, invalid UTF-8) spliced in at a random offset.
 */
export function mutateText(
  text: string,
  format: TextFormat,
  rng: Rng,
): { bytes: Uint8Array; ops: string[] } {
  const lines = text.split("\n");
  const ops: string[] = [];
  const n = 1 + rng.int(3);
  for (let k = 0; k < n * 4 && ops.length < n; k++) {
    const name = rng.pick(TEXT_MUTATORS);
    const what = MUTATORS[name]!(lines, rng, format);
    if (what !== null) ops.push(`${name}: ${what}`);
  }
  let bytes: Uint8Array = new TextEncoder().encode(lines.join("\n"));
  if (rng.chance(0.08)) {
    const at = rng.int(bytes.length);
    const junk = rng.chance(0.5)
      ? rng.bytes(1 + rng.int(64))
      : new Uint8Array([0, 0xff, 0xfe, 0xc0]);
    const out = new Uint8Array(bytes.length + junk.length);
    out.set(bytes.subarray(0, at));
    out.set(junk, at);
    out.set(bytes.subarray(at), at + junk.length);
    bytes = out;
    ops.push(`raw bytes (${junk.length}) at byte ${at}`);
  }
  return { bytes, ops };
}
