/**
 * Container mutators: wrap a (possibly mutated) trace in gzip (RFC 1952) or zstd (RFC 8878) and
 * damage the container — truncation, checksum flips, several members/frames (which zcat and
 * zstdcat read as one stream), skippable frames, header flags, trailing garbage.
 *
 * @module
 */

import { constants, gzipSync, zstdCompressSync } from "node:zlib";
import { concatBytes } from "../../lib/trace/concat_bytes.ts";
import type { Rng } from "./rng.ts";

/** Which container to wrap in. */
export type Container = "gzip" | "zstd";

/**
 * What a correct reader must do with the container: read it (`valid`: intact, several
 * members/frames, skippable frames), reject it (`corrupt`: truncated, checksum or data damaged),
 * or either (`unknown`: header bits, trailing bytes).
 */
export type ContainerExpect = "valid" | "corrupt" | "unknown";

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

const gz = (b: Uint8Array) => new Uint8Array(gzipSync(b));
const zst = (b: Uint8Array) =>
  new Uint8Array(zstdCompressSync(b, { params: { [constants.ZSTD_c_checksumFlag]: 1 } }));

/** A cut at a line boundary near a random place (members split there read back as one text). */
function splitPoint(b: Uint8Array, rng: Rng): number {
  const at = rng.int(b.length);
  const nl = b.indexOf(0x0a, at);
  return nl < 0 ? b.length : nl + 1;
}

/** A zstd skippable frame (magic 0x184D2A5?, u32 size, bytes). */
function skippable(rng: Rng): Uint8Array {
  const data = rng.bytes(rng.int(64));
  const h = new Uint8Array(8);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, 0x184d2a50 + rng.int(16), true);
  dv.setUint32(4, data.length, true);
  return concat(h, data);
}

/**
 * Wraps `plain` in the container and, most of the time, damages it. Valid variants (several
 * members or frames, a skippable frame) are included: a reader must accept those.
 */
export function wrapAndMutate(
  plain: Uint8Array,
  container: Container,
  rng: Rng,
): { bytes: Uint8Array; ops: string[]; expect: ContainerExpect } {
  const pack = container === "gzip" ? gz : zst;
  const whole = pack(plain);
  const choice = rng.int(container === "gzip" ? 8 : 9);
  const flip = (b: Uint8Array, at: number) => {
    const c = b.slice();
    c[at] = c[at]! ^ (1 << rng.int(8));
    return c;
  };
  switch (choice) {
    case 0:
      return { bytes: whole, ops: [`${container}: intact`], expect: "valid" };
    case 1: {
      const cut = rng.int(whole.length);
      return {
        bytes: whole.slice(0, cut),
        ops: [`${container}: truncated at byte ${cut}`],
        expect: cut === 0 ? "unknown" : "corrupt",
      };
    }
    case 2: {
      const at = splitPoint(plain, rng);
      return {
        bytes: concat(pack(plain.subarray(0, at)), pack(plain.subarray(at))),
        ops: [
          `${container}: two ${container === "gzip" ? "members" : "frames"} split at byte ${at}`,
        ],
        expect: "valid",
      };
    }
    case 3: {
      // gzip: CRC32 or ISIZE of the trailer; zstd: the content checksum (last 4 bytes).
      const at = whole.length - 1 - rng.int(container === "gzip" ? 8 : 4);
      return {
        bytes: flip(whole, at),
        ops: [`${container}: checksum bit flip at byte ${at}`],
        expect: "corrupt",
      };
    }
    case 4: {
      const junk = rng.chance(0.5) ? rng.bytes(1 + rng.int(32)) : new Uint8Array(1 + rng.int(512));
      return {
        bytes: concat(whole, junk),
        ops: [`${container}: ${junk.length} bytes after the end`],
        expect: "unknown",
      };
    }
    case 5: {
      const at = 4 + rng.int(Math.min(16, whole.length - 4));
      return {
        bytes: flip(whole, at),
        ops: [`${container}: header bit flip at byte ${at}`],
        expect: "unknown",
      };
    }
    case 6: {
      // Past the header, gzip's CRC-32 and zstd's content checksum catch any flipped bit.
      const at = rng.int(whole.length);
      return {
        bytes: flip(whole, at),
        ops: [`${container}: bit flip at byte ${at}`],
        expect: at >= (container === "gzip" ? 10 : 18) ? "corrupt" : "unknown",
      };
    }
    case 7:
      if (container === "gzip") {
        const c = whole.slice();
        c[3] = rng.pick([0x04, 0x08, 0x10, 0x02, 0xe0]); // FEXTRA, FNAME, FCOMMENT, FHCRC, reserved
        return {
          bytes: c,
          ops: [`gzip: FLG := 0x${c[3]!.toString(16)} (byte 3)`],
          expect: "unknown",
        };
      }
      return {
        bytes: concat(skippable(rng), whole),
        ops: ["zstd: skippable frame first"],
        expect: "valid",
      };
    default: {
      const at = splitPoint(plain, rng);
      return {
        bytes: concat(zst(plain.subarray(0, at)), skippable(rng), zst(plain.subarray(at))),
        ops: [`zstd: frame, skippable frame, frame (split at byte ${at})`],
        expect: "valid",
      };
    }
  }
}
