/**
 * Reads trace-cmd `trace.dat` files (versions 6 and 7; little- and big-endian; 4- and 8-byte
 * longs; v7 sections and CPU data compressed with zstd or zlib) into the same
 * {@linkcode EventBatch}es the text importer produces.
 *
 * Every field is decoded by the offset, size and signedness the file's own event `format` files
 * declare. Per-CPU ring-buffer pages are merged in timestamp order (ties: lower CPU first, like
 * `trace-cmd report`). Values the kernel computes only when printing are computed from the print
 * fmt stored in the file (e.g. `accounted` of kmalloc, `pageblock_order` of
 * mm_page_alloc_extfrag), so rows match what `trace-cmd report` shows.
 *
 * Column conventions beyond the EventBatch doc:
 * - `source` = file offset of the record's event header when the CPU data is stored
 *   uncompressed; for compressed data (v7) the file offset of the compressed chunk holding it.
 * - `callSite` = `function+0xoff` from the file's kallsyms (trace-cmd's rule: the nearest
 *   symbol at or below the address, absolute symbols ignored), else `0x<hex>`.
 * - `comm` = saved cmdline of the pid, `<idle>` for pid 0, `<...>` when unknown.
 * - slab alloc `accounted`: the record's `accounted` field when the format has one (newer
 *   kmem_cache_alloc: includes SLAB_ACCOUNT caches); else the print fmt's expression (kmalloc:
 *   memcg built in and __GFP_ACCOUNT in gfp); kernels that print no `accounted=` leave it unset.
 * - `lost_events` rows come from the page missed-events flag (a = count, -1 unknown), and also
 *   stand in for pages or chunks skipped as corrupt (a = -1).
 *
 * @module
 */

import { DiagnosticLog, InputError } from "../diagnostics.ts";
import { DEFAULT_BATCH_ROWS, EventBatch } from "../event_batch.ts";
import { Ev, EVENT_KIND_COUNT, EVENT_NAMES, eventCode } from "../event_kind.ts";
import { EventFieldSet } from "../event_schema.ts";
import type { StringTable } from "../string_table.ts";
import { hex8 } from "./bin_reader.ts";
import { applyOps, buildOps, type Plan, readNum, type Symbolizer } from "./decode_plan.ts";
import { Kallsyms } from "./kallsyms.ts";
import { StrCache } from "./str_cache.ts";
import { fullFormat, type LazyFormat, TraceDatFile } from "./tracedat_file.ts";
import { type ChunkCodec, CpuCursor, CursorItem, type PageLayout } from "./ring_buffer_page.ts";
import type { EventFormat, FormatField } from "./tracedat_format.ts";
import {
  isTraceDat,
  type TraceDatBuffer,
  type TraceDatMeta,
  type TraceDatOptions,
  type TraceDatStats,
} from "./tracedat_meta.ts";

const TWO_POW_32 = 4294967296;

// ---- The reader -------------------------------------------------------------------------------

/**
 * A trace.dat file, parsed up to its event data; {@linkcode batches} decodes the records.
 *
 * @example
 * ```ts
 * import { TraceDatReader } from "./tracedat_reader.ts";
 * import { StringTable } from "../string_table.ts";
 * const bytes = Deno.readFileSync("traces/small-6.18.dat");
 * const r = new TraceDatReader(bytes, { file: "small-6.18.dat" });
 * r.buffers; // ["", "krtest"]
 * let rows = 0;
 * for (const b of r.batches(new StringTable())) rows += b.length;
 * rows === r.stats.records.parsed + r.stats.lost.markers; // true
 * ```
 */
export class TraceDatReader implements Symbolizer {
  readonly meta: TraceDatMeta;
  readonly stats: TraceDatStats;
  /** Every buffer (instance) in the file, top first. */
  readonly bufferInfo: TraceDatBuffer[];
  /** The buffer {@linkcode batches} reads. */
  readonly selected: TraceDatBuffer;

  readonly #bytes: Uint8Array;
  readonly #file: string;
  readonly #le: boolean;
  readonly #layout: PageLayout;
  readonly #formats: Map<number, LazyFormat>;
  readonly #kallsymsBytes: Uint8Array | null;
  #kallsyms: Kallsyms | null = null;
  readonly #cmdlines: Map<number, string>;
  readonly #codec: ChunkCodec | undefined;

  constructor(bytes: Uint8Array, opts: TraceDatOptions = {}) {
    this.#bytes = bytes;
    this.#file = opts.file ?? "<trace.dat>";
    const diagnostics = new DiagnosticLog(5, opts.strict ?? false, this.#file);
    this.stats = {
      records: { total: 0, parsed: 0, unknown: 0, malformed: 0 },
      lost: { markers: 0, events: 0, unknownCounts: 0 },
      byKind: new Array<number>(EVENT_KIND_COUNT).fill(0),
      unknownByName: new Map(),
      pagesSkipped: 0,
      diagnostics,
    };
    const f = new TraceDatFile(bytes, this.#file, opts, diagnostics);
    this.meta = f.meta;
    this.bufferInfo = f.bufferInfo;
    this.#le = f.le;
    this.#layout = f.layout;
    this.#formats = f.formats;
    this.#kallsymsBytes = f.kallsymsBytes;
    this.#cmdlines = f.cmdlines;
    this.#codec = f.codec;
    this.selected = this.#selectBuffer(opts.buffer);
  }

  /** Names of the buffers (instances) in the file; "" is the top-level buffer. */
  get buffers(): string[] {
    return this.bufferInfo.map((b) => b.name);
  }

  /** The event format with this name, if the file has it. */
  eventFormat(name: string): EventFormat | undefined {
    for (const f of this.#formats.values()) if (f.name === name) return fullFormat(f);
    return undefined;
  }

  #cursor(buf: TraceDatBuffer, c: TraceDatBuffer["cpus"][number]): CpuCursor {
    const layout = buf.pageSize === this.#layout.pageSize
      ? this.#layout
      : { ...this.#layout, pageSize: buf.pageSize };
    return new CpuCursor(c.cpu, layout, {
      file: this.#bytes,
      offset: c.offset,
      size: c.size,
      codec: buf.compressed ? this.#codec : undefined,
    }, this.stats.diagnostics);
  }

  #selectBuffer(name: string | undefined): TraceDatBuffer {
    if (name !== undefined) {
      const b = this.bufferInfo.find((x) => x.name === name);
      if (!b) {
        throw new InputError(
          `${this.#file}: no buffer "${name}"; the file has ${
            this.buffers.map((n) => JSON.stringify(n)).join(", ")
          }`,
        );
      }
      return b;
    }
    // The first buffer whose first records include a known event; else the biggest one.
    const quiet = new DiagnosticLog(0, false, this.#file);
    for (const buf of this.bufferInfo) {
      for (const c of buf.cpus) {
        if (c.size === 0) continue;
        const cur = new CpuCursor(c.cpu, { ...this.#layout, pageSize: buf.pageSize }, {
          file: this.#bytes,
          offset: c.offset,
          size: c.size,
          codec: buf.compressed ? this.#codec : undefined,
        }, quiet);
        for (let k = 0; k < 256; k++) {
          const item = cur.next();
          if (item === CursorItem.END) break;
          if (item !== CursorItem.RECORD || cur.length < 2) continue;
          const f = this.#formats.get(cur.view.getUint16(cur.data, this.#le));
          if (f && eventCode(f.name) >= 0) return buf;
        }
      }
    }
    let best = this.bufferInfo[0]!;
    const bytes = (b: TraceDatBuffer) => b.cpus.reduce((s, c) => s + c.size, 0);
    for (const b of this.bufferInfo) if (bytes(b) > bytes(best)) best = b;
    return best;
  }

  // ---- decoding ----

  #plans(
    strings: StringTable,
  ): { plans: Array<Plan | undefined>; typeField: FormatField; pidField: FormatField } {
    const plans: Array<Plan | undefined> = [];
    let typeField: FormatField = {
      name: "common_type",
      type: "unsigned short",
      offset: 0,
      size: 2,
      signed: false,
      loc: 0,
      isArray: false,
    };
    let pidField: FormatField = {
      name: "common_pid",
      type: "int",
      offset: 4,
      size: 4,
      signed: true,
      loc: 0,
      isArray: false,
    };
    let commonSet = false;
    for (const lf of this.#formats.values()) {
      const code = eventCode(lf.name);
      if (code === -1 || code === Ev.lost_events) continue;
      const fmt = fullFormat(lf);
      if (!commonSet) {
        typeField = fmt.fields.find((f) => f.name === "common_type") ?? typeField;
        pidField = fmt.fields.find((f) => f.name === "common_pid") ?? pidField;
        commonSet = true;
      }
      plans[lf.id] = { code, ops: buildOps(code, fmt, strings, this.#le) };
    }
    return { plans, typeField, pidField };
  }

  #symCache = new Map<number, number>();
  #symStrings: StringTable | null = null;

  /** Interned `function+0xoff` of a kernel text address (cached per string table). */
  symbol(strings: StringTable, h: number, l: number): number {
    const key = (h & 0xffff) * TWO_POW_32 + l;
    let id = this.#symCache.get(key);
    if (id !== undefined) return id;
    if (!this.#kallsyms && this.#kallsymsBytes) this.#kallsyms = new Kallsyms(this.#kallsymsBytes);
    const s = this.#kallsyms?.symbolize(h, l) ??
      `0x${h ? h.toString(16) + hex8(l) : l.toString(16)}`;
    id = strings.intern(s);
    this.#symCache.set(key, id);
    return id;
  }

  /**
   * Decodes the selected buffer into batches of at most `rows` rows, in timestamp order. The same
   * EventBatch object is yielded each time (cleared in between): copy what you keep. Strings
   * (comm, call sites, cache names) are interned into `strings`. Counters accumulate in
   * {@linkcode stats}.
   */
  *batches(strings: StringTable, rows: number = DEFAULT_BATCH_ROWS): Generator<EventBatch> {
    if (this.#symStrings !== strings) {
      this.#symCache.clear();
      this.#symStrings = strings;
    }
    const { plans, typeField, pidField } = this.#plans(strings);
    const le = this.#le;
    const st = this.stats;
    const diag = st.diagnostics;
    const byKind = st.byKind;
    const tsOffset = this.meta.tsOffsetNs;
    const commIds = new Map<number, number>();
    const commOf = (pid: number): number => {
      let id = commIds.get(pid);
      if (id === undefined) {
        id = strings.intern(pid === 0 ? "<idle>" : this.#cmdlines.get(pid) ?? "<...>");
        commIds.set(pid, id);
      }
      return id;
    };
    const strCache = new StrCache(strings);
    const cursors: CpuCursor[] = [];
    const items: number[] = [];
    for (const c of this.selected.cpus) {
      if (c.size === 0) continue;
      const cur = this.#cursor(this.selected, c);
      const it = cur.next();
      if (it !== CursorItem.END) {
        cursors.push(cur);
        items.push(it);
      }
    }
    const batch = new EventBatch(rows);
    const typeOff = typeField.offset;
    const typeSize = typeField.size;
    const pidOff = pidField.offset;
    const pidSize = pidField.size;
    const minLen = Math.max(typeOff + typeSize, pidOff + pidSize);
    while (cursors.length > 0) {
      // The CPU with the earliest item; ties go to the lower CPU (cursors are in CPU order).
      let k = 0;
      let bestTs = cursors[0]!.ts;
      for (let j = 1; j < cursors.length; j++) {
        const t = cursors[j]!.ts;
        if (t < bestTs) {
          bestTs = t;
          k = j;
        }
      }
      const cur = cursors[k]!;
      const item = items[k]!;
      if (batch.length >= rows) {
        yield batch;
        batch.clear();
      }
      if (item === CursorItem.LOST) {
        const i = batch.push(Ev.lost_events, cur.markerTs + tsOffset, cur.cpu);
        batch.source[i] = cur.source;
        EventFieldSet.lost.lostEvents(batch, i, cur.lostCount);
        st.lost.markers++;
        if (cur.lostCount < 0) st.lost.unknownCounts++;
        else st.lost.events += cur.lostCount;
        byKind[Ev.lost_events]!++;
      } else {
        st.records.total++;
        const view = cur.view;
        const base = cur.data;
        if (cur.length < minLen) {
          st.records.malformed++;
          diag.add(
            "short-record",
            cur.source,
            `record of ${cur.length} bytes is shorter than the common fields`,
          );
        } else {
          const id = readNum(view, base + typeOff, typeSize, false, le);
          const plan = plans[id];
          if (plan !== undefined) {
            const i = batch.push(plan.code, cur.ts + tsOffset, cur.cpu);
            const pid = readNum(view, base + pidOff, pidSize, true, le);
            batch.pid[i] = pid;
            batch.comm[i] = commOf(pid);
            batch.source[i] = cur.source;
            if (applyOps(plan, batch, i, view, base, cur.length, le, this, strCache)) {
              st.records.parsed++;
              byKind[plan.code]!++;
            } else {
              batch.length--;
              st.records.malformed++;
              diag.add(
                "bad-field",
                cur.source,
                `${EVENT_NAMES[plan.code]} record of ${cur.length} bytes: a field lies outside it`,
              );
            }
          } else {
            const f = this.#formats.get(id);
            if (f) {
              st.records.unknown++;
              st.unknownByName.set(f.name, (st.unknownByName.get(f.name) ?? 0) + 1);
            } else {
              st.records.malformed++;
              diag.add("unknown-event-id", cur.source, `event id ${id} has no format in the file`);
            }
          }
        }
      }
      const nextItem = cur.next();
      if (nextItem === CursorItem.END) {
        st.pagesSkipped += cur.pagesSkipped;
        cursors.splice(k, 1);
        items.splice(k, 1);
      } else items[k] = nextItem;
    }
    if (batch.length > 0) yield batch;
  }
}

export {
  isTraceDat,
  type TraceDatBuffer,
  type TraceDatMeta,
  type TraceDatOptions,
  type TraceDatStats,
};
