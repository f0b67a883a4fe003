/**
 * Field parsers of the page allocator events (include/trace/events/kmem.h). Each fills row `i` of
 * the parser's batch from the tokenized line and returns an error text, or null when the line is
 * well formed.
 *
 * @module
 */

import { type FieldReader, K, TK } from "./field_reader.ts";
import { EventFlag } from "../event_batch.ts";
import { EventFieldSet as set } from "../event_schema.ts";

/** mm_page_alloc: pfn (failed when null), order, migratetype, gfp. */
export function pageAllocFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const err = r.pfn(s, i) ?? r.orderMt(s, i, true);
  if (err) return err;
  const g = r.gfp(s, K.gfp_flags, i);
  if (g) return g;
  if (r.nullPage(s) || b.pfn[i]! < 0) {
    b.pfn[i] = -1;
    b.flags[i]! |= EventFlag.FAILED;
  }
  return null;
}

/** mm_page_alloc_zone_locked: pfn, order, migratetype, percpu_refill. */
export function zoneLockedFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const f = r.features;
  const err = r.pfn(s, i) ?? r.orderMt(s, i, true);
  if (err) return err;
  const v = r.numOf(s, TK.zoneLocked.percpuRefill);
  if (!Number.isNaN(v)) {
    f.percpuRefill = true;
    set.zoneLocked.percpuRefill(b, i, v);
    if (v !== 0) b.flags[i]! |= EventFlag.PERCPU_REFILL;
  } else if (b.order[i] === 0) b.flags[i]! |= EventFlag.PERCPU_REFILL; // pre-5.19 meaning
  return null;
}

/** mm_page_free: pfn, order. */
export function pageFreeFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  return r.pfn(s, i) ?? r.orderMt(s, i, false);
}

/** mm_page_free_batched: pfn, order (0 when not printed), cold. */
export function freeBatchedFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const f = r.features;
  const err = r.pfn(s, i);
  if (err) return err;
  const o = r.num(s, K.order);
  b.order[i] = Number.isNaN(o) ? 0 : o;
  const cold = r.numOf(s, TK.freeBatched.cold);
  if (!Number.isNaN(cold)) {
    f.batchedCold = true;
    set.freeBatched.cold(b, i, cold);
  }
  return null;
}

/** mm_page_pcpu_drain: pfn, order, migratetype. */
export function pcpuDrainFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  return r.pfn(s, i) ?? r.orderMt(s, i, true);
}

/** mm_page_alloc_extfrag: the fallback of an allocation to another migratetype. */
export function extfragFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const err = r.pfn(s, i);
  if (err) return err;
  const ao = r.num(s, K.alloc_order);
  const fo = r.numOf(s, TK.extfrag.fallbackOrder);
  const am = r.num(s, K.alloc_migratetype);
  const fm = r.numOf(s, TK.extfrag.fallbackMigratetype);
  const fr = r.num(s, K.fragmenting);
  if (Number.isNaN(ao) || Number.isNaN(fo) || Number.isNaN(am) || Number.isNaN(fm)) {
    return "missing alloc/fallback order or migratetype";
  }
  b.order[i] = ao;
  set.extfrag.fallbackOrder(b, i, fo);
  const pbo = r.numOf(s, TK.extfrag.pageblockOrder);
  set.extfrag.pageblockOrder(b, i, Number.isNaN(pbo) ? -1 : pbo);
  b.mt[i] = am;
  set.extfrag.fallbackMigratetype(b, i, fm);
  // The kernel prints `fallback_order < pageblock_order`; trace-cmd mis-evaluates that
  // expression (prints e.g. `fragmenting=10`), so recompute it when both orders are known.
  const frag = pbo >= 0 ? fo < pbo : fr === 1;
  if (frag) b.flags[i]! |= EventFlag.FRAGMENTING;
  if (r.num(s, K.change_ownership) === 1) b.flags[i]! |= EventFlag.CHANGE_OWNERSHIP;
  return null;
}
