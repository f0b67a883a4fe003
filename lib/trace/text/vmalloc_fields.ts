/**
 * Field parsers of the vmalloc events (include/trace/events/vmalloc.h). Each fills row `i` of the
 * parser's batch from the tokenized line and returns an error text, or null when the line is well
 * formed.
 *
 * @module
 */

import { type FieldReader, K, orAbsent, setPtrDec, setPtrHex, TK } from "./field_reader.ts";
import { EventFlag } from "../event_batch.ts";
import { EventFieldSet as set } from "../event_schema.ts";

/** alloc_vmap_area: `va_start: %lu` (decimal), size, align, failed. */
export function allocVmapFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  // `va_start: %lu` — decimal address, odd label (include/trace/events/vmalloc.h).
  if (r.at(K.va_start) < 0) return "missing va_start";
  setPtrDec(b, i, s, r.vs[K.va_start]!, r.ve[K.va_start]!);
  const size = r.num(s, K.size);
  if (Number.isNaN(size)) return "missing size=";
  b.bytesReq[i] = size;
  b.bytesAlloc[i] = r.numOr(s, K.align, 0);
  if (r.num(s, K.failed) === 1) b.flags[i]! |= EventFlag.FAILED;
  return null;
}

/** free_vmap_area_noflush: va_start, nr_lazy, nr_lazy_max. */
export function freeVmapFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  if (r.at(K.va_start) < 0) return "missing va_start=";
  setPtrHex(b, i, s, r.vs[K.va_start]!, r.ve[K.va_start]!);
  set.freeVmap.nrLazy(b, i, orAbsent(r.numOf(s, TK.freeVmap.nrLazy)));
  set.freeVmap.nrLazyMax(b, i, orAbsent(r.numOf(s, TK.freeVmap.nrLazyMax)));
  return null;
}

/** purge_vmap_area_lazy: start, length (end - start), num_purged. */
export function purgeVmapFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  if (r.at(K.start) < 0 || r.at(K.end) < 0) return "missing start=/end=";
  setPtrHex(b, i, s, r.vs[K.start]!, r.ve[K.start]!);
  const hi = b.ptrHi[i]!, lo = b.ptrLo[i]!;
  setPtrHex(b, i, s, r.vs[K.end]!, r.ve[K.end]!);
  b.bytesReq[i] = (b.ptrHi[i]! - hi) * 0x1_0000_0000 + (b.ptrLo[i]! - lo);
  b.ptrHi[i] = hi;
  b.ptrLo[i] = lo;
  set.purgeVmap.numPurged(b, i, orAbsent(r.numOf(s, TK.purgeVmap.numPurged)));
  return null;
}
