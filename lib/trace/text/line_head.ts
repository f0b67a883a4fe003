/**
 * The header of a text trace line — `comm-pid [(tgid)] [cpu] [flags] sec.frac: event:` for
 * tracefs and trace-cmd, `comm pid[/tid] [cpu] sec.frac: [period] sys:event:` for perf script —
 * scanned byte by byte into a reused {@linkcode Head}, and the format guess made from one line.
 *
 * @module
 */

// Byte values as local constants: an imported binding costs a load and a hole check per use
// in the hot scanning loops (measured ~10 % of parse time).
const COLON = 58;
const DOT = 46;
const LBRACKET = 91;
const LPAREN = 40;
const MINUS = 45;
const RBRACKET = 93;
const RPAREN = 41;
const SLASH = 47;
const SPACE = 32;
const TAB = 9;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function skipSpaces(b: Uint8Array, k: number, e: number): number {
  while (k < e && b[k] === SPACE) k++;
  return k;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** The text formats the text parser reads. */
export type TextFormat = "tracefs" | "trace-cmd" | "perf-script";

/** Positions and values found in an event line's header; one reused record. */
export interface Head {
  commStart: number;
  commEnd: number;
  pid: number;
  cpu: number;
  tsNs: number;
  nameStart: number;
  nameEnd: number;
  fieldsStart: number;
  flagsWidth: number;
  tgid: boolean;
  /**
   * Width of the irq-flags column the trace's header announces (the `|` run above it), or 0 when
   * unknown: then any width from 1 to {@linkcode MAX_FLAGS_WIDTH} is accepted.
   */
  wantFlagsWidth: number;
}

/**
 * Widest irq-flags column accepted without a header: 4 (≤ 5.12), 5 (migrate-disable, ≥ 5.13),
 * 7 on PREEMPT_RT 6.1 (need-resched-lazy, preempt-lazy-depth); see kernel/trace/trace_output.c
 * trace_print_lat_fmt.
 */
export const MAX_FLAGS_WIDTH = 8;
/** More digits than this in a CPU or pid column is out of any range the kernel prints. */
const MAX_ID_DIGITS = 9;
/** Seconds of a timestamp: a u64 of nanoseconds is below 1.9e10 s (11 digits). */
const MAX_SEC_DIGITS = 11;

export function newHead(): Head {
  return {
    commStart: 0,
    commEnd: 0,
    pid: 0,
    cpu: 0,
    tsNs: 0,
    nameStart: 0,
    nameEnd: 0,
    fieldsStart: 0,
    flagsWidth: 0,
    tgid: false,
    wantFlagsWidth: 0,
  };
}

/** Scans `sec.frac:` at k into h.tsNs; returns the index after the colon or -1. */
function scanTimestamp(b: Uint8Array, k: number, e: number, h: Head): number {
  let sec = 0;
  const s0 = k;
  while (k < e && isDigit(b[k]!)) sec = sec * 10 + (b[k++]! - 48);
  if (k === s0 || k - s0 > MAX_SEC_DIGITS || k >= e || b[k] !== DOT) return -1;
  k++;
  let frac = 0;
  const f0 = k;
  while (k < e && isDigit(b[k]!)) frac = frac * 10 + (b[k++]! - 48);
  const digits = k - f0;
  if (digits === 0 || digits > 9 || k >= e || b[k] !== COLON) return -1;
  h.tsNs = sec * 1e9 + frac * POW10[9 - digits]!;
  return k + 1;
}

/** Scans `event:` (or `subsystem:event:`) at k; returns index after the colon or -1. */
function scanEventName(b: Uint8Array, k: number, e: number, h: Head): number {
  let start = k;
  while (k < e) {
    const c = b[k]!;
    if (c === COLON) {
      if (k === start) return -1;
      // perf prints `kmem:kmalloc:`; keep the last component.
      if (k + 1 < e && isWordChar(b[k + 1]!)) {
        start = k + 1;
        k++;
        continue;
      }
      h.nameStart = start;
      h.nameEnd = k;
      return k + 1;
    }
    if (!isWordChar(c)) return -1;
    k++;
  }
  return -1;
}

/**
 * The event-name token of the previous line (`name:` or `sys:name:`) and its code: consecutive
 * lines often carry the same event, which is then recognised by one byte comparison.
 */
export interface NameCache {
  bytes: Uint8Array;
  len: number;
  nameOff: number;
  nameLen: number;
  /** The last scan was answered from the cache. */
  hit: boolean;
  /** Event code (or unknown-name marker) of the cached token, set by the parser. */
  code: number;
}

export function newNameCache(): NameCache {
  return { bytes: new Uint8Array(64), len: 0, nameOff: 0, nameLen: 0, hit: false, code: -1 };
}

/** {@linkcode scanEventName} with a one-entry cache of the previous token. */
function scanEventNameCached(
  b: Uint8Array,
  k: number,
  e: number,
  h: Head,
  nc: NameCache | null,
): number {
  if (nc === null) return scanEventName(b, k, e, h);
  const len = nc.len;
  if (len > 0 && k + len <= e) {
    const c = nc.bytes;
    let j = 0;
    while (j < len && c[j] === b[k + j]) j++;
    // Same bytes up to the final colon, and no word character after it (else it was `sys:`).
    if (j === len && (k + len >= e || !isWordChar(b[k + len]!))) {
      h.nameStart = k + nc.nameOff;
      h.nameEnd = h.nameStart + nc.nameLen;
      nc.hit = true;
      return k + len;
    }
  }
  nc.hit = false;
  const end = scanEventName(b, k, e, h);
  if (end > 0 && end - k <= nc.bytes.length) {
    for (let j = k; j < end; j++) nc.bytes[j - k] = b[j]!;
    nc.len = end - k;
    nc.nameOff = h.nameStart - k;
    nc.nameLen = h.nameEnd - h.nameStart;
  } else nc.len = 0;
  return end;
}

/** Finds ` [digits]` from `from`; sets h.cpu and returns the index of `]`, or -1. */
function scanCpu(b: Uint8Array, from: number, e: number, h: Head): number {
  // A plain loop: the `[` is a few dozen bytes in, too close for indexOf's call to pay off.
  let open = from + 1;
  while (open < e && b[open] !== LBRACKET) open++;
  while (open < e) {
    if (b[open - 1] === SPACE) {
      let k = open + 1;
      let cpu = 0;
      while (k < e && isDigit(b[k]!)) cpu = cpu * 10 + (b[k++]! - 48);
      if (k > open + 1 && k < e && b[k] === RBRACKET) {
        // An over-long number is kept finite; the parser rejects it as out of range.
        h.cpu = k - open - 1 > MAX_ID_DIGITS ? 0x7fff_ffff : cpu;
        h.commStart = open - 1; // the space before `[`
        return k;
      }
    }
    open++;
    while (open < e && b[open] !== LBRACKET) open++;
  }
  return -1;
}

/**
 * Header of a tracefs / trace-cmd line: `comm-pid [(tgid)] [cpu] [flags] sec.frac: event: `.
 */
export function scanFtraceHead(
  b: Uint8Array,
  from: number,
  e: number,
  h: Head,
  nc: NameCache | null,
): boolean {
  // Find "[digits]" preceded by a space; comm names may contain almost anything before it.
  const close = scanCpu(b, from, e, h);
  if (close < 0) return false;
  // Walk back over spaces, an optional "(tgid)" column, spaces, then the pid.
  let k = h.commStart + 1; // the ` [` space
  while (k > from && b[k - 1] === SPACE) k--;
  h.tgid = false;
  if (k > from && b[k - 1] === RPAREN) {
    let lp = k - 2;
    while (lp >= from && b[lp] !== LPAREN) lp--;
    if (lp < from) return false;
    h.tgid = true;
    k = lp;
    while (k > from && b[k - 1] === SPACE) k--;
  }
  const pidEnd = k;
  while (k > from && isDigit(b[k - 1]!)) k--;
  if (k === pidEnd || k - 1 < from || b[k - 1] !== MINUS) return false;
  if (pidEnd - k > MAX_ID_DIGITS) return false;
  let pid = 0;
  for (let j = k; j < pidEnd; j++) pid = pid * 10 + (b[j]! - 48);
  const commEnd = k - 1;
  const commStart = skipSpaces(b, from, e);
  if (commStart > commEnd) return false;
  // After "]": optional irq-flags column, then the timestamp.
  let t = skipSpaces(b, close + 1, e);
  let after = scanTimestamp(b, t, e, h);
  h.flagsWidth = 0;
  if (after < 0) {
    let sp = t;
    while (sp < e && b[sp] !== SPACE) sp++;
    const w = sp - t;
    const want = h.wantFlagsWidth;
    if (sp >= e || (want > 0 ? w !== want : w < 1 || w > MAX_FLAGS_WIDTH)) return false;
    h.flagsWidth = sp - t;
    t = skipSpaces(b, sp, e);
    after = scanTimestamp(b, t, e, h);
    if (after < 0) return false;
  }
  const nameAt = skipSpaces(b, after, e);
  const end = scanEventNameCached(b, nameAt, e, h, nc);
  if (end < 0) return false;
  h.fieldsStart = skipSpaces(b, end, e);
  h.commStart = commStart;
  h.commEnd = commEnd;
  h.pid = pid;
  return true;
}

/** Header of a perf script line: `comm pid[/tid] [cpu] sec.frac: [period] sys:event: `. */
export function scanPerfHead(
  b: Uint8Array,
  s: number,
  e: number,
  h: Head,
  nc: NameCache | null,
): boolean {
  const close = scanCpu(b, s, e, h);
  if (close < 0) return false;
  let k = h.commStart + 1;
  while (k > s && b[k - 1] === SPACE) k--;
  const idEnd = k;
  // perf prints a thread it has no record of as pid -1 (`:-1    -1 [001] …`).
  while (k > s && (isDigit(b[k - 1]!) || b[k - 1] === SLASH || b[k - 1] === MINUS)) k--;
  if (k === idEnd || k - 1 < s || b[k - 1] !== SPACE) return false;
  // `pid/tid`: the tid is the thread that ran; tracefs shows the same value.
  let tidAt = k;
  for (let j = k; j < idEnd; j++) {
    if (b[j] === SLASH) {
      tidAt = j + 1;
      break;
    }
  }
  let neg = false;
  if (tidAt < idEnd && b[tidAt] === MINUS) {
    neg = true;
    tidAt++;
  }
  if (tidAt >= idEnd || idEnd - tidAt > MAX_ID_DIGITS) return false;
  let pid = 0;
  for (let j = tidAt; j < idEnd; j++) {
    const c = b[j]!;
    if (!isDigit(c)) return false;
    pid = pid * 10 + (c - 48);
  }
  if (neg) pid = -pid;
  let commEnd = k;
  while (commEnd > s && b[commEnd - 1] === SPACE) commEnd--;
  const commStart = skipSpaces(b, s, e);
  let t = skipSpaces(b, close + 1, e);
  const after = scanTimestamp(b, t, e, h);
  if (after < 0) return false;
  t = skipSpaces(b, after, e);
  // Optional sample period column.
  let d = t;
  while (d < e && isDigit(b[d]!)) d++;
  if (d > t && d < e && b[d] === SPACE) t = skipSpaces(b, d, e);
  const end = scanEventNameCached(b, t, e, h, nc);
  if (end < 0) return false;
  h.fieldsStart = skipSpaces(b, end, e);
  h.commStart = commStart;
  h.commEnd = commEnd;
  h.pid = pid;
  h.flagsWidth = 0;
  h.tgid = false;
  return true;
}

/** End of a trace-cmd `instance:` prefix (`name:` + whitespace) at s, or -1. */
export function instancePrefixEnd(b: Uint8Array, s: number, e: number): number {
  for (let k = s; k < e; k++) {
    const c = b[k]!;
    if (c === SPACE || c === TAB) return -1;
    if (c === COLON && k > s && k + 1 < e && (b[k + 1] === SPACE || b[k + 1] === TAB)) {
      let j = k + 1;
      while (j < e && (b[j] === SPACE || b[j] === TAB)) j++;
      return j;
    }
  }
  return -1;
}

/** Index of `) ` at or after k, or -1. */
export function indexOfCloseParenSpace(b: Uint8Array, k: number, e: number): number {
  for (let j = k; j + 1 < e; j++) if (b[j] === RPAREN && b[j + 1] === SPACE) return j;
  return -1;
}

/** Guesses the text format from one non-comment line; null when it is not an event line. */
export function detectLineFormat(line: string): TextFormat | null {
  const b = new TextEncoder().encode(line);
  const e = b.length;
  const h = newHead();
  if (scanPerfHead(b, 0, e, h, null) && b[h.nameStart - 1] === COLON /* sys: prefix */) {
    return "perf-script";
  }
  if (/^cpus=\d+/.test(line) || /^\s*version = \d+/.test(line)) return "trace-cmd";
  if (scanFtraceHead(b, 0, e, h, null)) {
    // trace-cmd pads the event name (`kmalloc:              (site) …`) and decorates the call site.
    if (/:\s{2,}\(/.test(line)) return "trace-cmd";
    return "tracefs";
  }
  const p = instancePrefixEnd(b, 0, e);
  if (p > 0 && scanFtraceHead(b, p, e, h, null)) return "trace-cmd";
  return null;
}
