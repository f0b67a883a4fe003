/**
 * Walks one CPU's ftrace ring-buffer pages as trace-cmd stores them: page header (timestamp,
 * commit with the missed-events flags, data), then compressed event headers (type_len /
 * time_delta), time extends, absolute time stamps and padding (kernel/trace/ring_buffer.c).
 * The reading rules follow libtraceevent's kbuffer, so timestamps match `trace-cmd report`.
 *
 * Bad pages never stop the walk: a page whose commit exceeds the page, or a record running past
 * the commit, is reported to the {@linkcode DiagnosticLog} and skipped, and a lost-events marker
 * with an unknown count (-1) is produced in its place so consumers know the stream has a gap.
 *
 * @module
 */

import { RB_MISSED_EVENTS, RB_MISSED_STORED } from "../../kernel/constants.ts";
import type { DiagnosticLog } from "../diagnostics.ts";
import type { HeaderEventLayout } from "./tracedat_format.ts";

/** Where the fields of a ring-buffer page header are (from the `header_page` format). */
export interface PageLayout {
  /** Bytes per page (sub-buffer). */
  pageSize: number;
  /** Offset of the u64 page timestamp. */
  tsOffset: number;
  /** Offset and size (kernel long) of the `commit` word. */
  commitOffset: number;
  commitSize: number;
  /** Offset of the first record. */
  dataOffset: number;
  /** Little-endian data. */
  le: boolean;
  /** Event header layout (from `header_event`). */
  header: HeaderEventLayout;
}

/** Decompresses `src` into `dst` (exactly `dst.length` bytes); throws on corrupt input. */
export type ChunkCodec = (src: Uint8Array, dst: Uint8Array) => Uint8Array;

/** Where a CPU's data lives in the file. */
export interface CpuSource {
  /** The whole file. */
  file: Uint8Array;
  /** File offset and size of this CPU's data as the file declares it. */
  offset: number;
  size: number;
  /** Set when the data is a sequence of compressed chunks (trace.dat v7). */
  codec?: ChunkCodec;
}

/** What {@linkcode CpuCursor.next} produced. */
export const CursorItem = {
  END: 0,
  RECORD: 1,
  /** Events were lost before the next record (count in `lostCount`, -1 = unknown). */
  LOST: 2,
} as const;

/** Largest decompressed chunk accepted (trace-cmd writes 10-page chunks); guards corrupt sizes. */
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
const TWO_POW_32 = 4294967296;

/**
 * Iterates the records of one CPU in file order, page by page.
 *
 * After `next()` returns RECORD: `ts` (ns), `view`/`data`/`length` (payload in `view`), `source`
 * (file offset of the record, or of its compressed chunk). After LOST: `ts` is the time of the
 * record that follows (merge position), `markerTs` the last time seen before the gap, `lostCount`
 * the count, `source` the page's file offset.
 *
 * @example
 * ```ts
 * import { CpuCursor, CursorItem } from "./ring_buffer_page.ts";
 * import { DEFAULT_HEADER_EVENT } from "./tracedat_format.ts";
 * import { DiagnosticLog } from "../diagnostics.ts";
 * const page = new Uint8Array(4096); // an empty page: commit 0
 * const layout = { pageSize: 4096, tsOffset: 0, commitOffset: 8, commitSize: 8, dataOffset: 16,
 *   le: true, header: DEFAULT_HEADER_EVENT };
 * const c = new CpuCursor(0, layout, { file: page, offset: 0, size: 4096 }, new DiagnosticLog());
 * c.next() === CursorItem.END; // true
 * ```
 */
export class CpuCursor {
  /** Time of the current item in ns. */
  ts = 0;
  /** View over the buffer holding the current record. */
  view: DataView;
  /** Offset of the current record's payload in `view`. */
  data = 0;
  /** Payload length in bytes. */
  length = 0;
  /** File offset of the current record (or of its compressed chunk), or of the page for LOST. */
  source = 0;
  /** LOST items: events lost (-1 = unknown). */
  lostCount = 0;
  /** LOST items: time of the last record before the gap. */
  markerTs = 0;
  /** Records returned so far. */
  records = 0;
  /** Pages skipped as corrupt. */
  pagesSkipped = 0;

  #buf: Uint8Array;
  /** File offset of #buf[0] (raw data) or of the current chunk (compressed). */
  #bufBase = 0;
  #compressed: boolean;
  #bufEnd = 0;
  #pageStart = 0;
  #pos = 0;
  #pageEnd = 0;
  #havePage = false;
  /** Pending lost count to report before the next record (0 = none). */
  #pendingLost = 0;
  #pendingSource = 0;
  /** A record already parsed but held back behind a LOST item. */
  #held = false;
  #heldSource = 0;
  #lastTs = -1;
  #done = false;
  // Compressed stream state.
  #chunkPos = 0;
  #chunkEnd = 0;
  #chunksLeft = 0;
  #chunkBuf: Uint8Array = new Uint8Array(0);
  readonly #le: boolean;
  readonly #typeMask: number;
  readonly #deltaBits: number;
  readonly #deltaMask: number;
  readonly #absMsbUnit: number;

  constructor(
    readonly cpu: number,
    readonly layout: PageLayout,
    readonly src: CpuSource,
    readonly diag: DiagnosticLog,
  ) {
    this.#le = layout.le;
    this.#typeMask = (1 << layout.header.typeLenBits) - 1;
    this.#deltaBits = layout.header.timeDeltaBits;
    this.#deltaMask = 2 ** layout.header.timeDeltaBits - 1;
    // An absolute time stamp holds time_delta + 32 bits; the top bits come from the current time.
    this.#absMsbUnit = 2 ** (layout.header.timeDeltaBits + 32);
    this.#compressed = src.codec !== undefined;
    const fileLen = src.file.length;
    // trace-cmd's compressed size does not count the 4-byte chunk count in front.
    let end = src.offset + src.size + (this.#compressed ? 4 : 0);
    if (src.offset > fileLen || end > fileLen) {
      diag.add(
        "truncated-data",
        src.offset,
        `CPU ${cpu} data (${src.size} bytes at byte offset ${src.offset}) runs past the end of the ` +
          `file (${fileLen} bytes); reading what is there`,
      );
      end = Math.min(end, fileLen);
    }
    const start = Math.min(src.offset, fileLen);
    if (this.#compressed) {
      this.#buf = this.#chunkBuf;
      this.#chunkEnd = end;
      if (start + 4 > end) {
        this.#done = true;
      } else {
        this.#chunksLeft = new DataView(src.file.buffer, src.file.byteOffset + start, 4)
          .getUint32(0, this.#le);
        this.#chunkPos = start + 4;
      }
    } else {
      this.#buf = src.file;
      this.#bufBase = 0;
      this.#pageStart = start;
      this.#bufEnd = end;
    }
    this.view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
  }

  /** Moves to the next item; returns a {@linkcode CursorItem}. */
  next(): number {
    if (this.#held) {
      this.#held = false;
      this.source = this.#heldSource;
      this.records++;
      return CursorItem.RECORD;
    }
    for (;;) {
      if (this.#havePage && this.#nextInPage()) {
        if (this.#pendingLost !== 0) return this.#emitLost();
        this.records++;
        return CursorItem.RECORD;
      }
      this.#havePage = false;
      if (!this.#loadPage()) {
        if (this.#pendingLost !== 0) {
          // The gap is at the very end: place it at the last time seen.
          this.ts = this.#lastTs < 0 ? 0 : this.#lastTs;
          this.#held = false;
          return this.#emitLostAtEnd();
        }
        return CursorItem.END;
      }
    }
  }

  #emitLost(): number {
    this.#heldSource = this.source;
    this.lostCount = this.#pendingLost;
    this.source = this.#pendingSource;
    this.markerTs = this.#lastMarkerTs();
    this.#pendingLost = 0;
    this.#held = true;
    // `ts`, `data`… already describe the held record; its ts is the merge position.
    this.#lastTs = this.ts;
    return CursorItem.LOST;
  }

  #emitLostAtEnd(): number {
    this.lostCount = this.#pendingLost;
    this.source = this.#pendingSource;
    this.markerTs = this.ts;
    this.#pendingLost = 0;
    return CursorItem.LOST;
  }

  #markerBase = -1;
  #lastMarkerTs(): number {
    return this.#markerBase >= 0 ? this.#markerBase : this.ts;
  }

  #noteLost(count: number, source: number): void {
    // Several gaps before one record add up; any unknown count makes the sum unknown.
    if (this.#pendingLost === 0) {
      this.#pendingSource = source;
      this.#markerBase = this.#lastTs;
    }
    this.#pendingLost = this.#pendingLost < 0 || count < 0 ? -1 : this.#pendingLost + count;
  }

  #u32(o: number): number {
    return this.view.getUint32(o, this.#le);
  }

  /** Loads the next page of the current buffer (or the next chunk); false at the end. */
  #loadPage(): boolean {
    const { pageSize, tsOffset, commitOffset, commitSize, dataOffset } = this.layout;
    for (;;) {
      if (this.#done) return false;
      const avail = this.#bufEnd - this.#pageStart;
      if (avail < dataOffset || avail <= 0) {
        if (avail > 0 && !this.#compressed) {
          this.diag.add(
            "truncated-page",
            this.#pageStart,
            `CPU ${this.cpu}: ${avail} bytes left, fewer than a page header (${dataOffset} bytes)`,
          );
        }
        if (!this.#compressed || !this.#loadChunk()) {
          this.#done = true;
          return false;
        }
        continue;
      }
      const p = this.#pageStart;
      const pageLen = Math.min(pageSize, avail);
      this.#pageStart += pageSize;
      const pageSource = this.#compressed ? this.#bufBase : this.#bufBase + p;
      const tsLo = this.#u32(p + tsOffset + (this.#le ? 0 : 4));
      const tsHi = this.#u32(p + tsOffset + (this.#le ? 4 : 0));
      // The flags live in the low 32 bits of the kernel long.
      const commitWord = this.#u32(p + commitOffset + (this.#le || commitSize === 4 ? 0 : 4));
      const size = commitWord & ~(RB_MISSED_EVENTS | RB_MISSED_STORED) & 0x3fffffff;
      if (dataOffset + size > pageLen) {
        this.pagesSkipped++;
        this.diag.add(
          "bad-page-commit",
          pageSource,
          `CPU ${this.cpu}: page commit says ${size} bytes of records, but the page has room for ` +
            `${pageLen - dataOffset}; page skipped (its records are lost)`,
        );
        this.#noteLost(-1, pageSource);
        continue;
      }
      if ((commitWord & RB_MISSED_EVENTS) !== 0) {
        let count = -1;
        const at = p + dataOffset + size;
        if ((commitWord & RB_MISSED_STORED) !== 0 && at + commitSize <= p + pageLen) {
          count = commitSize === 8
            ? this.#u32(at + (this.#le ? 0 : 4)) + this.#u32(at + (this.#le ? 4 : 0)) * TWO_POW_32
            : this.#u32(at);
        }
        this.#noteLost(count, pageSource);
      }
      this.ts = tsHi * TWO_POW_32 + tsLo;
      this.#pos = p + dataOffset;
      this.#pageEnd = this.#pos + size;
      this.#havePage = true;
      return true;
    }
  }

  /** Decompresses the next chunk into the reused chunk buffer; false when none is left. */
  #loadChunk(): boolean {
    const file = this.src.file;
    const fv = new DataView(file.buffer, file.byteOffset, file.byteLength);
    while (this.#chunksLeft > 0) {
      const at = this.#chunkPos;
      if (at + 8 > this.#chunkEnd) {
        this.diag.add(
          "truncated-chunk",
          at,
          `CPU ${this.cpu}: ${this.#chunksLeft} compressed chunk(s) announced but the data ends ` +
            `(expected an 8-byte chunk header)`,
        );
        return false;
      }
      const csize = fv.getUint32(at, this.#le);
      const usize = fv.getUint32(at + 4, this.#le);
      this.#chunksLeft--;
      if (at + 8 + csize > this.#chunkEnd || usize > MAX_CHUNK_BYTES) {
        this.diag.add(
          "bad-chunk-size",
          at,
          `CPU ${this.cpu}: compressed chunk of ${csize} bytes (${usize} uncompressed) does not ` +
            `fit in the CPU data ending at byte offset ${this.#chunkEnd}; rest of this CPU skipped`,
        );
        this.#noteLost(-1, at);
        this.#chunksLeft = 0;
        return false;
      }
      this.#chunkPos = at + 8 + csize;
      if (this.#chunkBuf.length < usize) this.#chunkBuf = new Uint8Array(usize);
      const dst = this.#chunkBuf.subarray(0, usize);
      let out: Uint8Array;
      try {
        out = this.src.codec!(file.subarray(at + 8, at + 8 + csize), dst);
      } catch (e) {
        this.pagesSkipped++;
        this.diag.add(
          "bad-chunk",
          at,
          `CPU ${this.cpu}: compressed chunk does not decompress (${(e as Error).message}); ` +
            `its ${Math.floor(usize / this.layout.pageSize)} page(s) skipped`,
        );
        this.#noteLost(-1, at);
        continue;
      }
      this.#buf = out;
      this.view = new DataView(out.buffer, out.byteOffset, usize);
      this.#bufBase = at;
      this.#bufEnd = usize;
      this.#pageStart = 0;
      return true;
    }
    return false;
  }

  /** Advances to the next data record of the current page; false at the end of the page. */
  #nextInPage(): boolean {
    const h = this.layout.header;
    const le = this.#le;
    const view = this.view;
    let pos = this.#pos;
    const end = this.#pageEnd;
    let ts = this.ts;
    while (pos + 4 <= end) {
      const w = view.getUint32(pos, le);
      let typeLen: number;
      let delta: number;
      if (le) {
        typeLen = w & this.#typeMask;
        delta = w >>> h.typeLenBits;
      } else {
        typeLen = w >>> this.#deltaBits;
        delta = w & this.#deltaMask;
      }
      if (typeLen === 0 || typeLen <= h.dataMaxTypeLen) {
        let data: number;
        let len: number;
        if (typeLen === 0) {
          if (pos + 8 > end) break;
          len = view.getUint32(pos + 4, le) - 4;
          len = (len + 3) & ~3;
          data = pos + 8;
        } else {
          len = typeLen * 4;
          data = pos + 4;
        }
        if (len < 0 || data + len > end) {
          this.#badRecord(pos, end, len);
          return false;
        }
        ts += delta;
        this.ts = ts;
        this.#lastTsUpdate(ts);
        this.data = data;
        this.length = len;
        this.source = this.#compressed ? this.#bufBase : this.#bufBase + pos;
        this.#pos = data + len;
        return true;
      }
      if (pos + 8 > end) break;
      const arr = view.getUint32(pos + 4, le);
      if (typeLen === h.padding) {
        // kbuffer adds a discarded event's delta too; a null padding has delta 0.
        ts += delta;
        pos = pos + 4 + arr;
      } else if (typeLen === h.timeExtend) {
        ts += arr * 2 ** this.#deltaBits + delta;
        pos += 8;
      } else if (typeLen === h.timeStamp) {
        const abs = arr * 2 ** this.#deltaBits + delta;
        ts = Math.floor(ts / this.#absMsbUnit) * this.#absMsbUnit + abs;
        pos += 8;
      } else {
        this.#badRecord(pos, end, -1);
        return false;
      }
    }
    this.ts = ts;
    return false;
  }

  #lastTsUpdate(ts: number): void {
    // Held records become "last seen" only when returned; LOST markers use the earlier time.
    if (this.#pendingLost === 0) this.#lastTs = ts;
  }

  #badRecord(pos: number, end: number, len: number): void {
    const src = this.#compressed ? this.#bufBase : this.#bufBase + pos;
    this.pagesSkipped++;
    this.diag.add(
      "bad-record",
      src,
      `CPU ${this.cpu}: record header at ${
        this.#compressed ? "chunk offset " + pos : "this offset"
      } ` +
        (len < 0 ? "has an invalid type or length" : `claims ${len} bytes`) +
        ` but the page data ends ${end - pos} bytes later; rest of the page skipped`,
    );
    this.#noteLost(-1, src);
  }
}
