/**
 * Field parsers of rss_stat, zone setup (include/trace/events/kmem.h) and vmscan events
 * (include/trace/events/vmscan.h). Each fills row `i` of the parser's batch from the tokenized line
 * and returns an error text, or null when the line is well formed.
 *
 * @module
 */

import { type FieldReader, K } from "./field_reader.ts";
import { parseDec } from "./text_bytes.ts";
import { EventFlag } from "../event_batch.ts";

/** rss_stat: mm id, counter member, size in bytes. */
export function rssStatFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const id = r.num(s, K.mm_id);
  b.a[i] = Number.isNaN(id) ? -1 : id;
  if (r.num(s, K.curr) === 1) b.flags[i]! |= EventFlag.CURR;
  if (r.at(K.type) >= 0) {
    b.b[i] = r.rssTypes.get(s, r.vs[K.type]!, r.ve[K.type]!);
  } else b.b[i] = r.numOr(s, K.member, -1);
  if (r.at(K.size) < 0) return "missing size=";
  b.c[i] = parseDec(s, r.vs[K.size]!, r.ve[K.size]!);
  return null;
}

/** mm_setup_per_zone_wmarks: node, zone, min/low/high/promo watermarks (pages). */
export function wmarksFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.node_id, -1);
  b.zone[i] = r.zone(s, K.name);
  const min = r.num(s, K.min);
  const low = r.num(s, K.low);
  const high = r.num(s, K.high);
  if (Number.isNaN(min) || Number.isNaN(low) || Number.isNaN(high)) {
    return "missing watermark";
  }
  b.a[i] = min;
  b.b[i] = low;
  b.c[i] = high;
  b.d[i] = r.numOr(s, K.promo, -1);
  return null;
}

/** mm_setup_per_zone_lowmem_reserve: node, zone, upper zone, reserve pages. */
export function lowmemReserveFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.node_id, -1);
  b.zone[i] = r.zone(s, K.name);
  b.a[i] = r.zone(s, K["upper_zone name"]);
  const v = r.num(s, K.lowmem_reserve_pages);
  if (Number.isNaN(v)) return "missing lowmem_reserve_pages=";
  b.b[i] = v;
  return null;
}

/** mm_calculate_totalreserve_pages: totalreserve_pages. */
export function totalreserveFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const v = r.num(s, K.totalreserve_pages);
  if (Number.isNaN(v)) return "missing totalreserve_pages=";
  b.a[i] = v;
  return null;
}

/** mm_vmscan_kswapd_wake / mm_vmscan_wakeup_kswapd: node, zone, order, gfp. */
export function kswapdWakeFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.nid, -1);
  b.zone[i] = r.numOr(s, K.zid, -1);
  const o = r.num(s, K.order);
  if (Number.isNaN(o)) return "missing order=";
  b.order[i] = o;
  if (r.at(K.gfp_flags) >= 0) return r.gfp(s, K.gfp_flags, i);
  return null;
}

/** mm_vmscan_kswapd_sleep: node. */
export function kswapdSleepFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.nid, -1);
  return null;
}

/** mm_vmscan_direct_reclaim_begin: order, gfp. */
export function reclaimBeginFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const o = r.num(s, K.order);
  if (Number.isNaN(o)) return "missing order=";
  b.order[i] = o;
  return r.gfp(s, K.gfp_flags, i);
}

/** mm_vmscan_direct_reclaim_end: nr_reclaimed. */
export function reclaimEndFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const n = r.num(s, K.nr_reclaimed);
  if (Number.isNaN(n)) return "missing nr_reclaimed=";
  b.a[i] = n;
  return null;
}
