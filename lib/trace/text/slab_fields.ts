/**
 * Field parsers of the slab allocator events (include/trace/events/kmem.h). Each fills row `i` of
 * the parser's batch from the tokenized line and returns an error text, or null when the line is
 * well formed.
 *
 * @module
 */

import { type FieldReader, K, parseDec } from "./field_reader.ts";
import { EventFlag } from "../event_batch.ts";
import { Ev } from "../event_kind.ts";
import { GFP } from "../../kernel/gfp_flags.ts";
import { KMALLOC_MAX_SIZE_BYTES } from "../../kernel/constants.ts";
import type { TextFormat } from "./line_head.ts";

// Byte values as local constants: an imported binding costs a load and a hole check per use
// in the hot scanning loops (measured ~10 % of parse time).
const LOWER_T = 116;

/** kmalloc / kmem_cache_alloc (and _node): call site, pointer, cache name, sizes, gfp, node, accounted. */
export function slabAllocFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  e: number,
  i: number,
  fmt: TextFormat,
): string | null {
  const b = r.batch;
  const f = r.features;
  const err = r.callSite(s, e, i) ?? r.ptr(s, i, fmt);
  if (err) return err;
  if (r.at(K.name) >= 0) {
    b.name[i] = r.name(s, K.name, code);
    if (code === Ev.kmem_cache_alloc) f.cacheAllocName = true;
  }
  const req = r.num(s, K.bytes_req);
  const alloc = r.num(s, K.bytes_alloc);
  if (Number.isNaN(req) || Number.isNaN(alloc)) return "bad bytes_req/bytes_alloc";
  const sizeErr = checkSizes(req, alloc, b.ptrHi[i] === 0 && b.ptrLo[i] === 0);
  if (sizeErr) return sizeErr;
  b.bytesReq[i] = req;
  b.bytesAlloc[i] = alloc;
  const g = r.gfp(s, K.gfp_flags, i);
  if (g) return g;
  if (r.at(K.node) >= 0) {
    b.node[i] = parseDec(s, r.vs[K.node]!, r.ve[K.node]!);
    if (code === Ev.kmalloc || code === Ev.kmem_cache_alloc) f.slabNode = true;
    else f.nodeEvents = true;
  }
  const accAt = r.at(K.accounted);
  if (accAt >= 0) {
    f.slabAccounted = true;
    if (accAt < r.ve[K.accounted]! && s[accAt] === LOWER_T) {
      b.flags[i]! |= EventFlag.ACCOUNTED;
    }
  } else if ((b.gfp[i]! & GFP.ACCOUNT) !== 0) b.flags[i]! |= EventFlag.ACCOUNTED;
  return null;
}

/**
 * The sizes the kernel can print: bytes_req ≤ bytes_alloc (the cache's or the large kmalloc's
 * size, include/trace/events/kmem.h), bytes_alloc > 0 and, when the allocation succeeded, at most
 * KMALLOC_MAX_SIZE (a failed large kmalloc prints the size it asked for, which may be any size).
 */
function checkSizes(req: number, alloc: number, failed: boolean): string | null {
  if (req < 0) return "negative bytes_req=";
  if (!(alloc > 0)) return "bytes_alloc= must be > 0";
  if (alloc > Number.MAX_SAFE_INTEGER) return "bytes_alloc= beyond 2^53";
  if (req > alloc) return "bytes_req= above bytes_alloc=";
  if (!failed && alloc > KMALLOC_MAX_SIZE_BYTES) {
    return `bytes_alloc= above the largest kmalloc (${KMALLOC_MAX_SIZE_BYTES})`;
  }
  return null;
}

/** kfree / kmem_cache_free: call site, pointer, cache name. */
export function slabFreeFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  e: number,
  i: number,
  fmt: TextFormat,
): string | null {
  const b = r.batch;
  const f = r.features;
  const err = r.callSite(s, e, i) ?? r.ptr(s, i, fmt);
  if (err) return err;
  if (r.at(K.name) >= 0) {
    b.name[i] = r.name(s, K.name, code);
    f.cacheFreeName = true;
  }
  return null;
}
