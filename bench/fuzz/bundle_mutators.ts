/**
 * Bundle mutators: a bundle directory is its trace plus `before.*`/`after.*` /proc snapshots;
 * these empty, remove, swap, truncate and renumber the snapshot files (zone spans, free counts,
 * slab geometry), rename zones, or damage the trace itself.
 *
 * @module
 */

import { gunzipSync, gzipSync } from "node:zlib";
import type { Rng } from "./rng.ts";
import { INTERESTING_NUMBERS, mutateText } from "./text_mutators.ts";

/** File name → content of a bundle directory. */
export type BundleFiles = Map<string, Uint8Array>;

const enc = new TextEncoder();
const dec = new TextDecoder();

const snapshots = (f: BundleFiles) => [...f.keys()].filter((k) => /^(before|after)\./.test(k));

type BundleMutator = (f: BundleFiles, rng: Rng) => string | null;

/** Replaces one number on a line matching `line` in file `name`. */
function renumber(f: BundleFiles, name: string, line: RegExp, rng: Rng, values: readonly string[]) {
  const text = f.get(name);
  if (!text) return null;
  const lines = dec.decode(text).split("\n");
  const idx = lines.flatMap((l, i) => line.test(l) ? [i] : []);
  if (idx.length === 0) return null;
  const i = rng.pick(idx);
  const nums = [...lines[i]!.matchAll(/-?\d+/g)];
  if (nums.length === 0) return null;
  const m = rng.pick(nums);
  const v = rng.pick(values);
  lines[i] = lines[i]!.slice(0, m.index!) + v + lines[i]!.slice(m.index! + m[0].length);
  f.set(name, enc.encode(lines.join("\n")));
  return `${name}:${i + 1}: ${m[0]} := ${v.slice(0, 24)}`;
}

const BIG = ["1099511627776", "4294967296", "-1", "0", "9007199254740993", "99999999999999999999"];

const MUTATORS: Record<string, BundleMutator> = {
  emptySnapshot(f, rng) {
    const names = snapshots(f);
    if (names.length === 0) return null;
    const n = rng.pick(names);
    f.set(n, new Uint8Array(0));
    return `${n} emptied`;
  },
  removeSnapshot(f, rng) {
    const names = snapshots(f);
    if (names.length === 0) return null;
    const n = rng.chance(0.3) ? null : rng.pick(names);
    if (n === null) {
      const side = rng.pick(["before.", "after."]);
      for (const k of names) if (k.startsWith(side)) f.delete(k);
      return `every ${side}* removed`;
    }
    f.delete(n);
    return `${n} removed`;
  },
  swapBeforeAfter(f, rng) {
    const kinds = snapshots(f).filter((k) => k.startsWith("before.")).map((k) => k.slice(7));
    if (kinds.length === 0) return null;
    const all = rng.chance(0.4);
    for (const k of all ? kinds : [rng.pick(kinds)]) {
      const b = f.get(`before.${k}`), a = f.get(`after.${k}`);
      if (a) f.set(`before.${k}`, a);
      if (b) f.set(`after.${k}`, b);
    }
    return all ? "before/after swapped" : "one snapshot kind swapped before/after";
  },
  swapKinds(f, rng) {
    const names = snapshots(f);
    if (names.length < 2) return null;
    const a = rng.pick(names), b = rng.pick(names);
    const ta = f.get(a)!, tb = f.get(b)!;
    f.set(a, tb);
    f.set(b, ta);
    return `${a} and ${b} swapped`;
  },
  zoneSpan(f, rng) {
    const n = rng.pick(["before.zoneinfo", "after.zoneinfo"]);
    return renumber(
      f,
      n,
      /^\s+(spanned|present|managed|start_pfn:|pages free|nr_free_pages|min|low|high)\b/,
      rng,
      BIG,
    );
  },
  buddyCounts(f, rng) {
    return renumber(f, rng.pick(["before.buddyinfo", "after.buddyinfo"]), /zone/, rng, BIG);
  },
  slabGeometry(f, rng) {
    return renumber(f, rng.pick(["before.slabinfo", "after.slabinfo"]), /^[a-z]/, rng, [
      ...BIG,
      "2147483648",
    ]);
  },
  pagetypeCounts(f, rng) {
    return renumber(f, rng.pick(["before.pagetypeinfo", "after.pagetypeinfo"]), /zone/, rng, BIG);
  },
  otherNumber(f, rng) {
    const names = snapshots(f);
    if (names.length === 0) return null;
    return renumber(f, rng.pick(names), /\d/, rng, INTERESTING_NUMBERS);
  },
  renameZone(f, rng) {
    const n = rng.pick(["before.buddyinfo", "after.buddyinfo", "before.zoneinfo"]);
    const t = f.get(n);
    if (!t) return null;
    const zone = rng.pick(["Movable", "HighMem", "Device", "Normal2", ""]);
    f.set(n, enc.encode(dec.decode(t).replace(/zone\s+(DMA32|Normal|DMA)/, `zone ${zone}`)));
    return `${n}: a zone renamed ${zone || "(empty)"}`;
  },
  truncateSnapshot(f, rng) {
    const names = snapshots(f);
    if (names.length === 0) return null;
    const n = rng.pick(names);
    const t = f.get(n)!;
    const cut = rng.int(t.length);
    f.set(n, t.slice(0, cut));
    return `${n} cut at byte ${cut}`;
  },
  duplicateBlock(f, rng) {
    const n = rng.pick(["before.zoneinfo", "after.zoneinfo", "before.buddyinfo"]);
    const t = f.get(n);
    if (!t) return null;
    const s = dec.decode(t);
    f.set(n, enc.encode(s + s));
    return `${n} doubled`;
  },
  garbageSnapshot(f, rng) {
    const names = snapshots(f);
    if (names.length === 0) return null;
    const n = rng.pick(names);
    f.set(n, rng.bytes(1 + rng.int(256)));
    return `${n} := random bytes`;
  },
  mutateTrace(f, rng) {
    const name = [...f.keys()].find((k) => /^trace\.txt(\.gz)?$/.test(k));
    if (!name) return null;
    const raw = f.get(name)!;
    const plain = name.endsWith(".gz") ? new Uint8Array(gunzipSync(raw)) : raw;
    const { bytes, ops } = mutateText(dec.decode(plain), "tracefs", rng);
    f.set(name, name.endsWith(".gz") ? new Uint8Array(gzipSync(bytes)) : bytes);
    return `${name}: ${ops.join("; ")}`;
  },
  removeTrace(f) {
    const names = [...f.keys()].filter((k) => k.startsWith("trace"));
    if (names.length === 0) return null;
    for (const k of names) f.delete(k);
    return "trace removed";
  },
  secondTrace(f, rng) {
    f.set("trace.dat", rng.bytes(64 + rng.int(4096)));
    return "a garbage trace.dat added beside the text trace";
  },
};

/** Names of the bundle mutators. */
export const BUNDLE_MUTATORS: readonly string[] = Object.keys(MUTATORS);

/**
 * Mutations after which `validate` has nothing sound to compare and must fail (issue 16: an
 * empty zoneinfo, missing or swapped before/after snapshots, a zone only buddyinfo has, garbage).
 */
const BREAKS_VALIDATION = [
  /emptySnapshot: (before|after)\.(zoneinfo|buddyinfo|slabinfo) emptied/,
  /removeSnapshot: every (before|after)\.\* removed/,
  /swapBeforeAfter: before\/after swapped/,
  /renameZone: (before|after)\.buddyinfo: a zone renamed/,
  /garbageSnapshot: (before|after)\.(zoneinfo|buddyinfo|slabinfo|pagetypeinfo) := random bytes/,
];

/**
 * Applies 1–2 mutations to a copy of the bundle; `breaksValidation` names the mutation after
 * which `validate` must not exit 0, if any.
 */
export function mutateBundle(
  files: BundleFiles,
  rng: Rng,
): { files: BundleFiles; ops: string[]; breaksValidation: string | null } {
  const f: BundleFiles = new Map([...files].map(([k, v]) => [k, v.slice()]));
  const ops: string[] = [];
  const n = 1 + rng.int(2);
  for (let k = 0; k < n * 4 && ops.length < n; k++) {
    const name = rng.pick(BUNDLE_MUTATORS);
    const what = MUTATORS[name]!(f, rng);
    if (what !== null) ops.push(`${name}: ${what}`);
  }
  const broken = ops.find((o) => BREAKS_VALIDATION.some((re) => re.test(o))) ?? null;
  return { files: f, ops, breaksValidation: broken };
}
