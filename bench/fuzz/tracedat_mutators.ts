/**
 * Structure-aware mutators for trace.dat v6 and v7 (trace-cmd's `trace-cmd.dat(5)` layout):
 * the fixed header (version, endianness, long size, page size; v7 compression and options
 * offset), the sized sections (`header_page`, `header_event`, flyrecord CPU offsets and sizes,
 * v7 compressed-block sizes) and the ring-buffer pages themselves.
 *
 * @module
 */

import type { Rng } from "./rng.ts";

/** A trace.dat seed and what is known of its layout. */
export interface TraceDatSeed {
  bytes: Uint8Array;
  version: 6 | 7;
  /** Ring-buffer data per CPU ([offset, size] in the file), when known. */
  dataRegions: Array<[number, number]>;
}

const U64S: readonly bigint[] = [
  0n,
  1n,
  0xffffffffn,
  0x100000000n,
  0x7fffffffffffffffn,
  0xffffffffffffffffn,
  0x40000000n,
  4095n,
];
const U32S: readonly number[] = [0, 1, 0x7fffffff, 0xffffffff, 0x80000000, 4095, 65536, 0x100000];

/** Offset just past the NUL ending the string that starts at `at`. */
function afterString(b: Uint8Array, at: number): number {
  const end = b.indexOf(0, at);
  return end < 0 ? b.length : end + 1;
}

/** Every offset of `needle` in `b`. */
function findAll(b: Uint8Array, needle: Uint8Array, limit = 64): number[] {
  const out: number[] = [];
  outer: for (let i = 0; i + needle.length <= b.length && out.length < limit; i++) {
    for (let k = 0; k < needle.length; k++) if (b[i + k] !== needle[k]) continue outer;
    out.push(i);
  }
  return out;
}

const enc = new TextEncoder();

/**
 * Finds the per-CPU ring-buffer regions of a v6 file from its `flyrecord` section (u64 offset,
 * u64 size per CPU, little-endian), or [] when the file does not parse that far.
 */
export function v6DataRegions(b: Uint8Array): Array<[number, number]> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const opts = findAll(b, enc.encode("options  \0"), 1)[0];
  const cpus = opts !== undefined && opts >= 4 ? dv.getUint32(opts - 4, true) : 0;
  const out: Array<[number, number]> = [];
  // One flyrecord per buffer (the top one and each instance); some hold no data.
  for (const at of findAll(b, enc.encode("flyrecord\0"))) {
    for (let c = 0, p = at + 10; c < Math.min(cpus, 256) && p + 16 <= b.length; c++, p += 16) {
      const off = Number(dv.getBigUint64(p, true)), size = Number(dv.getBigUint64(p + 8, true));
      if (off > 0 && size > 0 && off + size <= b.length) out.push([off, size]);
    }
  }
  return out;
}

type DatMutator = (b: Uint8Array, seed: TraceDatSeed, rng: Rng) => Uint8Array | string | null;

const setU64 = (b: Uint8Array, at: number, v: bigint) =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(at, v, true);
const setU32 = (b: Uint8Array, at: number, v: number) =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, true);

/** Each mutator edits `b` in place and returns what it did, or returns new bytes. */
const MUTATORS: Record<string, DatMutator> = {
  version(b, _s, rng) {
    const v = rng.pick(["5", "8", "9", "0", "x"]);
    b[10] = v.charCodeAt(0);
    return `version := "${v}" (byte 10)`;
  },
  endian(b, _s, rng) {
    const at = afterString(b, 10);
    const v = rng.pick([1, 2, 255]);
    b[at] = v;
    return `endianness := ${v} (byte ${at})`;
  },
  longSize(b, _s, rng) {
    const at = afterString(b, 10) + 1;
    const v = rng.pick([0, 4, 255, 16]);
    b[at] = v;
    return `long size := ${v} (byte ${at})`;
  },
  pageSize(b, _s, rng) {
    const at = afterString(b, 10) + 2;
    const v = rng.pick(U32S);
    setU32(b, at, v);
    return `page size := ${v} (byte ${at})`;
  },
  optionsOffset(b, s, rng) {
    if (s.version !== 7) return null;
    let at = afterString(b, 10) + 6;
    at = afterString(b, afterString(b, at)); // compression name, compression version
    const v = rng.pick([...U64S, BigInt(b.length), BigInt(b.length - 1)]);
    setU64(b, at, v);
    return `v7 options offset := ${v} (byte ${at})`;
  },
  compression(b, s, rng) {
    if (s.version !== 7) return null;
    const at = afterString(b, 10) + 6;
    const name = rng.pick(["gzip", "lz4x", "none", "zstd", "zz"]);
    const end = afterString(b, at) - 1;
    for (let i = at; i < end; i++) b[i] = name.charCodeAt(i - at) || 0x20;
    return `v7 compression name := ${name} (byte ${at})`;
  },
  sectionSize(b, _s, rng) {
    const names = ["header_page\0", "header_event\0", "flyrecord\0", "options  \0"];
    const name = rng.pick(names);
    const at = findAll(b, enc.encode(name), 1)[0];
    if (at === undefined) return null;
    const p = at + name.length + 8 * rng.int(4);
    if (p + 8 > b.length) return null;
    const v = rng.pick([...U64S, BigInt(b.length)]);
    setU64(b, p, v);
    return `u64 after "${name.replace("\0", "")}" := ${v} (byte ${p})`;
  },
  metaU32(b, _s, rng) {
    const at = 4 * rng.int(Math.min(b.length, 65536) / 4 - 1);
    const v = rng.pick(U32S);
    setU32(b, at, v);
    return `u32 := ${v} (byte ${at})`;
  },
  compressedBlock(b, s, rng) {
    if (s.version !== 7) return null;
    const frames = findAll(b, new Uint8Array([0x28, 0xb5, 0x2f, 0xfd]));
    if (frames.length === 0) return null;
    const f = rng.pick(frames);
    if (rng.chance(0.5) && f >= 8) {
      const at = f - 8 + 4 * rng.int(2);
      const v = rng.pick(U32S);
      setU32(b, at, v);
      return `compressed block size field := ${v} (byte ${at})`;
    }
    const at = f + 4 + rng.int(32);
    if (at >= b.length) return null;
    b[at] = b[at]! ^ (1 << rng.int(8));
    return `bit flip in compressed block (byte ${at})`;
  },
  ringBytes(b, s, rng) {
    if (s.dataRegions.length === 0) return null;
    const [off, size] = rng.pick(s.dataRegions);
    if (size === 0) return null;
    const n = 1 + rng.int(16);
    const at0 = off + rng.int(size);
    for (let k = 0; k < n; k++) {
      const at = Math.min(off + size - 1, at0 + rng.int(64));
      b[at] = rng.u32() & 0xff;
    }
    return `${n} random bytes in ring buffer near byte ${at0}`;
  },
  ringPageHeader(b, s, rng) {
    if (s.dataRegions.length === 0) return null;
    const [off, size] = rng.pick(s.dataRegions);
    const pages = Math.floor(size / 4096);
    if (pages === 0) return null;
    const page = off + 4096 * rng.int(pages);
    const field = rng.pick(["timestamp", "commit"]);
    if (field === "timestamp") setU64(b, page, rng.pick(U64S));
    else setU64(b, page + 8, rng.pick([0n, 4097n, 0xffffffffn, 0xffffffffffffffffn, 1n << 62n]));
    return `ring page header ${field} (page at byte ${page})`;
  },
  zeroPage(b, s, rng) {
    if (s.dataRegions.length === 0) return null;
    const [off, size] = rng.pick(s.dataRegions);
    const at = off + 4096 * rng.int(Math.max(1, Math.floor(size / 4096)));
    b.fill(rng.pick([0, 0xff]), at, Math.min(at + 4096, b.length));
    return `ring page at byte ${at} filled`;
  },
  truncate(b, s, rng) {
    const cut = rng.chance(0.3) && s.dataRegions.length > 0
      ? rng.pick(s.dataRegions)[0] + 4096 * rng.int(3) + rng.int(2) * rng.int(4096)
      : rng.int(b.length);
    return b.slice(0, Math.min(cut, b.length));
  },
};

/** Names of the trace.dat mutators. */
export const TRACEDAT_MUTATORS: readonly string[] = Object.keys(MUTATORS);

/** Applies 1–2 mutations to a copy of the seed. */
export function mutateTraceDat(seed: TraceDatSeed, rng: Rng): { bytes: Uint8Array; ops: string[] } {
  let b: Uint8Array = seed.bytes.slice();
  const ops: string[] = [];
  const n = 1 + rng.int(2);
  for (let k = 0; k < n * 4 && ops.length < n; k++) {
    const name = rng.pick(TRACEDAT_MUTATORS);
    const r = MUTATORS[name]!(b, seed, rng);
    if (r === null) continue;
    if (typeof r === "string") ops.push(`${name}: ${r}`);
    else {
      ops.push(`${name}: cut at byte ${r.length} of ${b.length}`);
      b = r;
    }
  }
  return { bytes: b, ops };
}
