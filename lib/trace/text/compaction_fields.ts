/**
 * Field parsers of the compaction events (include/trace/events/compaction.h). Each fills row `i` of
 * the parser's batch from the tokenized line and returns an error text, or null when the line is
 * well formed.
 *
 * @module
 */

import { bytesEqual, type FieldReader, K, orAbsent, parseNum, TK } from "./field_reader.ts";
import { ascii } from "./text_bytes.ts";
import { EventFlag } from "../event_batch.ts";
import { EventFieldSet as set } from "../event_schema.ts";
import { Ev } from "../event_kind.ts";

// Byte values as local constants: an imported binding costs a load and a hole check per use
// in the hot scanning loops (measured ~10 % of parse time).
const LPAREN = 40;
const RPAREN = 41;
const SPACE = 32;
const TILDE = 126;

const SYNC = ascii("sync");

/** mm_compaction_begin / _end: scanner pfns, sync mode, status. */
export function compactionRunFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  set.compaction.zoneStartPfn(b, i, orAbsent(r.numOf(s, TK.compaction.zoneStartPfn)));
  set.compaction.migratePfn(b, i, orAbsent(r.numOf(s, TK.compaction.migratePfn)));
  set.compaction.freePfn(b, i, orAbsent(r.numOf(s, TK.compaction.freePfn)));
  set.compaction.zoneEndPfn(b, i, orAbsent(r.numOf(s, TK.compaction.zoneEndPfn)));
  const mode = r.at(K.mode);
  if (mode >= 0 && r.ve[K.mode]! - mode >= 4 && bytesEqual(s, mode, SYNC)) {
    b.flags[i]! |= EventFlag.SYNC;
  }
  if (r.at(K.status) >= 0) b.name[i] = r.name(s, K.status, code);
  return null;
}

/** mm_compaction_suitable / _finished: node, zone, order, ret. */
export function compactionSuitableFields(
  r: FieldReader,
  code: Ev,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.node, -1);
  b.zone[i] = r.zone(s, K.zone);
  b.order[i] = r.numOr(s, K.order, -1);
  if (r.at(K.ret) >= 0) b.name[i] = r.name(s, K.ret, code);
  return null;
}

/** kcompactd sleep / wake and wakeup_kcompactd: node, order, highest zone. */
export function kcompactdFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.nid, -1);
  b.order[i] = r.numOr(s, K.order, -1);
  // Printed as `classzone_idx=%-8s` (the old name kept for ABI), zone name padded.
  b.zone[i] = r.zone(s, K.classzone_idx);
  if (b.zone[i] === -1) b.zone[i] = r.zone(s, K.highest_zoneidx);
  return null;
}

/** mm_compaction_try_to_compact_pages: order, priority, gfp mask. */
export function tryToCompactFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.order[i] = r.numOr(s, K.order, -1);
  set.tryToCompact.prio(b, i, orAbsent(r.numOf(s, TK.tryToCompact.prio)));
  if (r.at(K.gfp_mask) >= 0) {
    const g = r.gfps.get(s, r.vs[K.gfp_mask]!, r.ve[K.gfp_mask]!);
    b.gfp[i] = g < 0 ? 0 : g;
  }
  return null;
}

/** compaction deferral events: node, zone, order. */
export function deferFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  b.node[i] = r.numOr(s, K.node, -1);
  b.zone[i] = r.zone(s, K.zone);
  b.order[i] = r.numOr(s, K.order, -1);
  return null;
}

/** mm_compaction_migratepages: nr_migrated, nr_failed. */
export function migratepagesFields(
  r: FieldReader,
  s: Uint8Array,
  i: number,
): string | null {
  const b = r.batch;
  const migrated = r.numOf(s, TK.migratepages.nrMigrated);
  const failed = r.numOf(s, TK.migratepages.nrFailed);
  if (Number.isNaN(migrated) || Number.isNaN(failed)) {
    return "missing nr_migrated=/nr_failed=";
  }
  set.migratepages.nrMigrated(b, i, migrated);
  set.migratepages.nrFailed(b, i, failed);
  return null;
}

/**
 * `range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu` (include/trace/events/compaction.h
 * mm_compaction_isolate_template): a = start pfn, b = end pfn, c = nr_scanned, d = nr_taken.
 * The range spans three space-separated tokens, so the end pfn is read after the `~`.
 */
export function isolateRangeFields(
  r: FieldReader,
  s: Uint8Array,
  e: number,
  i: number,
): string | null {
  const range = TK.isolate.rangeStartPfn[0]!;
  const at = r.at(range);
  if (at < 0 || s[at] !== LPAREN) return "missing range=(";
  const startPfn = parseNum(s, at + 1, r.ve[range]!);
  let k = r.ve[range]!;
  while (k < e && s[k] === SPACE) k++;
  if (k >= e || s[k] !== TILDE) return "missing ~ in range=";
  k++;
  while (k < e && s[k] === SPACE) k++;
  let close = k;
  while (close < e && s[close] !== RPAREN && s[close] !== SPACE) close++;
  const endPfn = parseNum(s, k, close);
  const scanned = r.numOf(s, TK.isolate.nrScanned);
  const taken = r.numOf(s, TK.isolate.nrTaken);
  if (Number.isNaN(startPfn) || Number.isNaN(endPfn)) return "bad range=";
  if (Number.isNaN(scanned) || Number.isNaN(taken)) return "missing nr_scanned=/nr_taken=";
  const b = r.batch;
  set.isolate.rangeStartPfn(b, i, startPfn);
  set.isolate.rangeEndPfn(b, i, endPfn);
  set.isolate.nrScanned(b, i, scanned);
  set.isolate.nrTaken(b, i, taken);
  return null;
}
