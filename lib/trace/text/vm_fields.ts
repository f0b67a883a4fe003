/**
 * Field parsers of rss_stat, zone setup (include/trace/events/kmem.h) and vmscan events
 * (include/trace/events/vmscan.h). Each fills row `i` of the parser's batch from the tokenized line
 * and returns an error text, or null when the line is well formed.
 *
 * @module
 */

import { type FieldReader, K, parseDec, TK } from "./field_reader.ts";
import { EventFlag } from "../event_batch.ts";
import { EventFieldSet as set } from "../event_schema.ts";

/** rss_stat: mm id, counter member, size in bytes. */
export function rssStatFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const id = r.numOf(s, TK.rssStat.mmId);
  set.rssStat.mmId(b, i, Number.isNaN(id) ? -1 : id);
  if (r.num(s, K.curr) === 1) b.flags[i]! |= EventFlag.CURR;
  // `type=MM_ANONPAGES` (≥ v6.2 prints the name) or `member=1`.
  const [typeKey, memberKey] = TK.rssStat.member;
  if (r.at(typeKey!) >= 0) {
    set.rssStat.member(b, i, r.rssTypes.get(s, r.vs[typeKey!]!, r.ve[typeKey!]!));
  } else set.rssStat.member(b, i, r.numOr(s, memberKey!, -1));
  const sizeKey = TK.rssStat.sizeBytes[0]!;
  if (r.at(sizeKey) < 0) return "missing size=";
  set.rssStat.sizeBytes(b, i, parseDec(s, r.vs[sizeKey]!, r.ve[sizeKey]!));
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
  const min = r.numOf(s, TK.wmarks.wmarkMin);
  const low = r.numOf(s, TK.wmarks.wmarkLow);
  const high = r.numOf(s, TK.wmarks.wmarkHigh);
  if (Number.isNaN(min) || Number.isNaN(low) || Number.isNaN(high)) {
    return "missing watermark";
  }
  set.wmarks.wmarkMin(b, i, min);
  set.wmarks.wmarkLow(b, i, low);
  set.wmarks.wmarkHigh(b, i, high);
  const promo = r.numOf(s, TK.wmarks.wmarkPromo);
  set.wmarks.wmarkPromo(b, i, Number.isNaN(promo) ? -1 : promo);
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
  set.lowmemReserve.upperZone(b, i, r.zone(s, TK.lowmemReserve.upperZone[0]!));
  const v = r.numOf(s, TK.lowmemReserve.lowmemReservePages);
  if (Number.isNaN(v)) return "missing lowmem_reserve_pages=";
  set.lowmemReserve.lowmemReservePages(b, i, v);
  return null;
}

/** mm_calculate_totalreserve_pages: totalreserve_pages. */
export function totalreserveFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const v = r.numOf(s, TK.totalreserve.totalreservePages);
  if (Number.isNaN(v)) return "missing totalreserve_pages=";
  set.totalreserve.totalreservePages(b, i, v);
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
  const n = r.numOf(s, TK.reclaimEnd.nrReclaimed);
  if (Number.isNaN(n)) return "missing nr_reclaimed=";
  set.reclaimEnd.nrReclaimed(b, i, n);
  return null;
}
