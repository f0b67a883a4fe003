/**
 * Field parsers of the vmscan events the replay does not act on (include/trace/events/vmscan.h):
 * memcg / softlimit / node reclaim, LRU isolation and shrinking, folio writeback, throttling and
 * slab shrinking. Each fills row `i` of the parser's batch from the tokenized line and returns an
 * error text, or null when the line is well formed.
 *
 * @module
 */

import { type FieldReader, K, orAbsent, parseNum, setPtrHex, TK } from "./field_reader.ts";
import { ascii } from "./text_bytes.ts";
import { EVENT_SCHEMA, EventFieldSet as set } from "../event_schema.ts";
import type { Ev } from "../event_kind.ts";

const SPACE = 32;
const COLON = 58;

/** mm_vmscan_memcg_(softlimit_)reclaim_begin, mm_vmscan_node_reclaim_begin: nid, order, gfp. */
export function reclaimBeginOfFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.nid, -1);
  const o = r.num(s, K.order);
  if (Number.isNaN(o)) return "missing order=";
  b.order[i] = o;
  return r.gfp(s, K.gfp_flags, i);
}

/**
 * mm_vmscan_lru_isolate: `[isolate_mode=%d ]classzone=%d order=%d nr_requested=%lu
 * nr_scanned=%lu nr_skipped=%lu nr_taken=%lu lru=%s` (isolate_mode gone in 6.x).
 */
export function lruIsolateFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.zone[i] = r.numOr(s, K.classzone, -1);
  b.order[i] = r.numOr(s, K.order, -1);
  const scanned = r.numOf(s, TK.lruIsolate.nrScanned);
  const taken = r.numOf(s, TK.lruIsolate.nrTaken);
  if (Number.isNaN(scanned) || Number.isNaN(taken)) return "missing nr_scanned=/nr_taken=";
  set.lruIsolate.nrRequested(b, i, orAbsent(r.numOf(s, TK.lruIsolate.nrRequested)));
  set.lruIsolate.nrScanned(b, i, scanned);
  set.lruIsolate.nrSkipped(b, i, orAbsent(r.numOf(s, TK.lruIsolate.nrSkipped)));
  set.lruIsolate.nrTaken(b, i, taken);
  if (r.at(K.lru) >= 0) b.name[i] = r.name(s, K.lru, code);
  return null;
}

/** mm_vmscan_reclaim_pages (proactive reclaim of a folio list): nid, scanned, reclaimed … */
export function reclaimPagesFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.nid, -1);
  const scanned = r.numOf(s, TK.reclaimPages.nrScanned);
  const reclaimed = r.numOf(s, TK.reclaimPages.nrReclaimed);
  if (Number.isNaN(scanned) || Number.isNaN(reclaimed)) {
    return "missing nr_scanned=/nr_reclaimed=";
  }
  set.reclaimPages.nrScanned(b, i, scanned);
  set.reclaimPages.nrReclaimed(b, i, reclaimed);
  set.reclaimPages.nrDirty(b, i, orAbsent(r.numOf(s, TK.reclaimPages.nrDirty)));
  set.reclaimPages.nrWriteback(b, i, orAbsent(r.numOf(s, TK.reclaimPages.nrWriteback)));
  return null;
}

/** mm_vmscan_lru_shrink_inactive: nid, scanned, reclaimed, dirty, priority, flags. */
export function shrinkInactiveFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.nid, -1);
  const scanned = r.numOf(s, TK.shrinkInactive.nrScanned);
  const reclaimed = r.numOf(s, TK.shrinkInactive.nrReclaimed);
  if (Number.isNaN(scanned) || Number.isNaN(reclaimed)) {
    return "missing nr_scanned=/nr_reclaimed=";
  }
  set.shrinkInactive.nrScanned(b, i, scanned);
  set.shrinkInactive.nrReclaimed(b, i, reclaimed);
  set.shrinkInactive.nrDirty(b, i, orAbsent(r.numOf(s, TK.shrinkInactive.nrDirty)));
  set.shrinkInactive.priority(b, i, orAbsent(r.numOf(s, TK.shrinkInactive.priority)));
  if (r.at(K.flags) >= 0) b.name[i] = r.name(s, K.flags, code);
  return null;
}

/** mm_vmscan_lru_shrink_active: nid, taken, kept active, deactivated, priority, flags. */
export function shrinkActiveFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.nid, -1);
  const taken = r.numOf(s, TK.shrinkActive.nrTaken);
  if (Number.isNaN(taken)) return "missing nr_taken=";
  set.shrinkActive.nrTaken(b, i, taken);
  set.shrinkActive.nrActive(b, i, orAbsent(r.numOf(s, TK.shrinkActive.nrActive)));
  set.shrinkActive.nrDeactivated(b, i, orAbsent(r.numOf(s, TK.shrinkActive.nrDeactivated)));
  set.shrinkActive.priority(b, i, orAbsent(r.numOf(s, TK.shrinkActive.priority)));
  if (r.at(K.flags) >= 0) b.name[i] = r.name(s, K.flags, code);
  return null;
}

/** mm_vmscan_write_folio (≤ v5.19 mm_vmscan_writepage): pfn, reclaim flags. */
export function writeFolioFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  i: number,
): string | null {
  const err = r.pfn(s, i);
  if (err !== null) return err;
  if (r.at(K.flags) >= 0) r.batch.name[i] = r.name(s, K.flags, code);
  return null;
}

/** mm_vmscan_throttled: nid, timeout and time slept (µs), reason. */
export function throttledFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.nid, -1);
  const delayed = r.numOf(s, TK.throttled.usecDelayed);
  if (Number.isNaN(delayed)) return "missing usect_delayed=";
  set.throttled.usecTimeout(b, i, orAbsent(r.numOf(s, TK.throttled.usecTimeout)));
  set.throttled.usecDelayed(b, i, delayed);
  if (r.at(K.reason) >= 0) b.name[i] = r.name(s, K.reason, code);
  return null;
}

type PhraseField = readonly [Uint8Array, (v: number) => void];

const START = EVENT_SCHEMA.shrinkSlabStart.fields;
const END = EVENT_SCHEMA.shrinkSlabEnd.fields;
const START_PHRASES = [
  START.nrObjectsToShrink.text[0],
  START.cacheItems.text[0],
  START.totalScan.text[0],
  START.priority.text[0],
].map(ascii);
const END_PHRASES = [
  END.unusedScan.text[0],
  END.newScan.text[0],
  END.totalScan.text[0],
  END.freed.text[0],
].map(ascii);
const GFP_PHRASE = ascii("gfp_flags");

/**
 * mm_shrink_slab_start / _end: `%pS %p: nid: %d objects to shrink %ld gfp_flags %s cache items
 * %ld delta %lld total_scan %ld priority %d` and `%pS %p: nid: %d unused scan count %ld new scan
 * count %ld total_scan %ld last shrinker return val %d`. The shrinker's scan function (`%pS`)
 * goes to callSite, the shrinker pointer to ptr, and the `phrase value` pairs to a–d.
 */
export function shrinkSlabFields(
  r: FieldReader,
  code: Ev,
  start: boolean,
  s: Uint8Array,
  from: number,
  e: number,
  i: number,
): string | null {
  const b = r.batch;
  let k = from;
  while (k < e && s[k] === SPACE) k++;
  const symAt = k;
  while (k < e && s[k] !== SPACE) k++;
  if (k === symAt) return "missing shrinker function";
  b.callSite[i] = r.sites.get(s, symAt, k, code);
  while (k < e && s[k] === SPACE) k++;
  const ptrAt = k;
  while (k < e && s[k] !== COLON && s[k] !== SPACE) k++;
  if (k >= e || s[k] !== COLON) return "missing shrinker pointer";
  setPtrHex(b, i, s, ptrAt, k);
  b.node[i] = r.numOr(s, K.nid, -1);
  const phrases = start ? START_PHRASES : END_PHRASES;
  const vals = [NaN, NaN, NaN, NaN];
  for (let f = 0; f < 4; f++) vals[f] = phraseValue(s, k, e, phrases[f]!);
  if (vals.some(Number.isNaN)) return start ? "missing total_scan/priority" : "missing counts";
  if (start) {
    set.shrinkSlabStart.nrObjectsToShrink(b, i, vals[0]!);
    set.shrinkSlabStart.cacheItems(b, i, vals[1]!);
    set.shrinkSlabStart.totalScan(b, i, vals[2]!);
    set.shrinkSlabStart.priority(b, i, vals[3]!);
    const g = phraseAt(s, k, e, GFP_PHRASE);
    if (g >= 0) {
      let ge = g;
      while (ge < e && s[ge] !== SPACE) ge++;
      const v = r.gfps.get(s, g, ge, code);
      if (v < 0) return "unknown gfp flag name";
      b.gfp[i] = v;
    }
  } else {
    set.shrinkSlabEnd.unusedScan(b, i, vals[0]!);
    set.shrinkSlabEnd.newScan(b, i, vals[1]!);
    set.shrinkSlabEnd.totalScan(b, i, vals[2]!);
    set.shrinkSlabEnd.freed(b, i, vals[3]!);
  }
  return null;
}

/** Start of the value after ` phrase ` in [from, e), or -1. */
function phraseAt(s: Uint8Array, from: number, e: number, phrase: Uint8Array): number {
  const n = phrase.length;
  outer: for (let k = from; k + n < e; k++) {
    if (s[k - 1] !== SPACE || s[k + n] !== SPACE) continue;
    for (let j = 0; j < n; j++) if (s[k + j] !== phrase[j]) continue outer;
    return k + n + 1;
  }
  return -1;
}

/** The number after ` phrase ` in [from, e), NaN when absent. */
function phraseValue(s: Uint8Array, from: number, e: number, phrase: Uint8Array): number {
  const at = phraseAt(s, from, e, phrase);
  if (at < 0) return NaN;
  let end = at;
  while (end < e && s[end] !== SPACE) end++;
  return parseNum(s, at, end);
}
