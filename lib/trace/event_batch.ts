/**
 * A column-oriented batch of trace events: one typed array per field, so a parser fills reused
 * arrays instead of building one object per event.
 *
 * Which fixed columns an event uses (unused columns hold their reset value). Event-specific values
 * live in the value columns `a`–`d`; which named field each holds, under which text key and
 * trace.dat field, is declared once in event_schema.ts (`EVENT_SCHEMA`, printed as a table by
 * `describeSchema()`), and consumers read them through its named accessors (`EventField`).
 *
 * | event | fixed columns |
 * | --- | --- |
 * | kmalloc(_node), kmem_cache_alloc(_node) | callSite, ptr, name (cache, 0 = not printed), bytesReq, bytesAlloc, gfp, node, flags ACCOUNTED |
 * | kfree, kmem_cache_free | callSite, ptr, name (cache) |
 * | mm_page_alloc | pfn (-1 = failed, flag FAILED), order, mt, gfp |
 * | mm_page_alloc_zone_locked | pfn, order, mt, flags PERCPU_REFILL |
 * | mm_page_free, mm_page_free_batched | pfn, order |
 * | mm_page_pcpu_drain | pfn, order, mt |
 * | mm_page_alloc_extfrag | pfn, order = alloc_order, mt = alloc_migratetype, flags FRAGMENTING, CHANGE_OWNERSHIP |
 * | rss_stat | flags CURR |
 * | mm_setup_per_zone_wmarks, mm_setup_per_zone_lowmem_reserve | node, zone |
 * | alloc_vmap_area | ptr = va_start, bytesReq = size, bytesAlloc = align, flags FAILED |
 * | free_vmap_area_noflush | ptr = va_start |
 * | purge_vmap_area_lazy | ptr = start, bytesReq = end - start |
 * | mm_vmscan_kswapd_wake | node, order, zone (-1 = not printed) |
 * | mm_vmscan_kswapd_sleep | node |
 * | mm_vmscan_wakeup_kswapd | node, order, zone (-1 = not printed), gfp |
 * | mm_vmscan_direct_reclaim_begin | order, gfp |
 * | mm_compaction_begin / _end | flags SYNC, name = status (end) |
 * | mm_compaction_suitable / _finished | node, zone, order, name = ret |
 * | mm_compaction_kcompactd_sleep / _wake, wakeup_kcompactd | node, order, zone (when printed) |
 * | mm_compaction_try_to_compact_pages | order, gfp |
 * | lost_events (marker) | tsNs = last event time seen on that CPU |
 * | mm_vmscan_memcg_(softlimit_)reclaim_begin, node_reclaim_begin | order, gfp, node (node_reclaim) |
 * | mm_vmscan_lru_isolate | zone = classzone (highest_zoneidx), order, name = lru |
 * | mm_vmscan_lru_shrink_inactive / _active, reclaim_pages | node, name = reclaim flags |
 * | mm_vmscan_write_folio | pfn, name = reclaim flags |
 * | mm_vmscan_throttled | node, name = reason |
 * | mm_shrink_slab_start / _end | callSite = shrinker scan function, ptr = shrinker, node, gfp (start) |
 *
 * Pointers are 64-bit and split into `ptrHi`/`ptrLo`; {@linkcode ptrKey} gives an exact numeric
 * key from the low 48 bits (enough to tell every kernel address apart on x86-64 and arm64).
 *
 * @module
 */

import { StringTable } from "./string_table.ts";

/** Bits of the `flags` column. */
export const EventFlag = {
  FAILED: 1,
  PERCPU_REFILL: 2,
  ACCOUNTED: 4,
  FRAGMENTING: 8,
  CHANGE_OWNERSHIP: 16,
  /** Set by the call stream on an mm_page_free that also had an mm_page_free_batched. */
  BATCHED: 32,
  SYNC: 64,
  CURR: 128,
} as const;

/** The typed-array columns of an {@linkcode EventBatch}, by field name. */
export const EVENT_BATCH_COLUMNS = [
  "kind",
  "tsNs",
  "cpu",
  "pid",
  "comm",
  "source",
  "pfn",
  "order",
  "mt",
  "gfp",
  "flags",
  "ptrHi",
  "ptrLo",
  "bytesReq",
  "bytesAlloc",
  "callSite",
  "name",
  "node",
  "zone",
  "a",
  "b",
  "c",
  "d",
] as const;

/** The column arrays of a batch, by name (see {@linkcode EventBatch.columns}). */
export type EventBatchColumns = { [K in (typeof EVENT_BATCH_COLUMNS)[number]]: EventBatch[K] };

/** Default number of rows per batch. */
export const DEFAULT_BATCH_ROWS = 16384;

/**
 * A batch of parsed events. `length` rows are valid; the arrays may be longer.
 *
 * @example
 * ```ts
 * import { EventBatch } from "./event_batch.ts";
 * import { Ev } from "./event_kind.ts";
 * const b = new EventBatch(4);
 * const i = b.push(Ev.mm_page_free, 1_000, 0);
 * b.pfn[i] = 0x1234;
 * b.order[i] = 0;
 * b.length; // 1
 * ```
 */
export class EventBatch {
  /** Rows in use. */
  length = 0;
  /** Event code ({@linkcode Ev}). */
  readonly kind: Uint8Array;
  /** Timestamp in integer nanoseconds. */
  readonly tsNs: Float64Array;
  readonly cpu: Uint16Array;
  readonly pid: Int32Array;
  /** Interned comm (string id). */
  readonly comm: Uint32Array;
  /** Where the event came from: input line number (text) or byte offset (binary). */
  readonly source: Float64Array;
  readonly pfn: Float64Array;
  readonly order: Int8Array;
  /** Migratetype as printed (-1 = none). */
  readonly mt: Int8Array;
  readonly gfp: Uint32Array;
  readonly flags: Uint8Array;
  readonly ptrHi: Uint32Array;
  readonly ptrLo: Uint32Array;
  readonly bytesReq: Float64Array;
  readonly bytesAlloc: Float64Array;
  /** Interned call site, `function+0xoff` or `0xaddr` (string id, 0 = none). */
  readonly callSite: Uint32Array;
  /** Interned name: slab cache, or compaction status (string id, 0 = none). */
  readonly name: Uint32Array;
  /** NUMA node (-1 = NUMA_NO_NODE or not printed). */
  readonly node: Int16Array;
  /** Zone index into ZONE_NAMES (-1 = none). */
  readonly zone: Int8Array;
  /** Value columns: what each event stores here is named in event_schema.ts (read via EventField). */
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly c: Float64Array;
  readonly d: Float64Array;

  /**
   * `columns` adopts existing arrays (a batch received from a parse worker) instead of
   * allocating; each must hold `capacity` rows.
   */
  constructor(readonly capacity: number = DEFAULT_BATCH_ROWS, columns?: EventBatchColumns) {
    this.kind = columns?.kind ?? new Uint8Array(capacity);
    this.tsNs = columns?.tsNs ?? new Float64Array(capacity);
    this.cpu = columns?.cpu ?? new Uint16Array(capacity);
    this.pid = columns?.pid ?? new Int32Array(capacity);
    this.comm = columns?.comm ?? new Uint32Array(capacity);
    this.source = columns?.source ?? new Float64Array(capacity);
    this.pfn = columns?.pfn ?? new Float64Array(capacity);
    this.order = columns?.order ?? new Int8Array(capacity);
    this.mt = columns?.mt ?? new Int8Array(capacity);
    this.gfp = columns?.gfp ?? new Uint32Array(capacity);
    this.flags = columns?.flags ?? new Uint8Array(capacity);
    this.ptrHi = columns?.ptrHi ?? new Uint32Array(capacity);
    this.ptrLo = columns?.ptrLo ?? new Uint32Array(capacity);
    this.bytesReq = columns?.bytesReq ?? new Float64Array(capacity);
    this.bytesAlloc = columns?.bytesAlloc ?? new Float64Array(capacity);
    this.callSite = columns?.callSite ?? new Uint32Array(capacity);
    this.name = columns?.name ?? new Uint32Array(capacity);
    this.node = columns?.node ?? new Int16Array(capacity);
    this.zone = columns?.zone ?? new Int8Array(capacity);
    this.a = columns?.a ?? new Float64Array(capacity);
    this.b = columns?.b ?? new Float64Array(capacity);
    this.c = columns?.c ?? new Float64Array(capacity);
    this.d = columns?.d ?? new Float64Array(capacity);
  }

  /** The column arrays by name (what a worker transfers). */
  columns(): EventBatchColumns {
    return Object.fromEntries(EVENT_BATCH_COLUMNS.map((k) => [k, this[k]])) as EventBatchColumns;
  }

  /** Makes this batch a copy of `src`'s rows (same capacity or larger). */
  copyFrom(src: EventBatch): void {
    const n = src.length;
    for (const k of EVENT_BATCH_COLUMNS) {
      (this[k] as { set(a: ArrayLike<number>): void }).set(src[k].subarray(0, n));
    }
    this.length = n;
  }

  /** True when no more rows fit. */
  get full(): boolean {
    return this.length >= this.capacity;
  }

  /**
   * Appends a row with its common columns set and every other column reset; returns its index.
   * The caller must check {@linkcode full} first.
   */
  push(kind: number, tsNs: number, cpu: number): number {
    const i = this.length++;
    this.kind[i] = kind;
    this.tsNs[i] = tsNs;
    this.cpu[i] = cpu;
    this.pid[i] = 0;
    this.comm[i] = 0;
    this.source[i] = 0;
    this.pfn[i] = -1;
    this.order[i] = -1;
    this.mt[i] = -1;
    this.gfp[i] = 0;
    this.flags[i] = 0;
    this.ptrHi[i] = 0;
    this.ptrLo[i] = 0;
    this.bytesReq[i] = 0;
    this.bytesAlloc[i] = 0;
    this.callSite[i] = 0;
    this.name[i] = 0;
    this.node[i] = -1;
    this.zone[i] = -1;
    this.a[i] = -1;
    this.b[i] = -1;
    this.c[i] = -1;
    this.d[i] = -1;
    return i;
  }

  /** Copies row `i` of `src` to the end of this batch; returns the new index. */
  copyRow(src: EventBatch, i: number): number {
    const j = this.length++;
    this.kind[j] = src.kind[i]!;
    this.tsNs[j] = src.tsNs[i]!;
    this.cpu[j] = src.cpu[i]!;
    this.pid[j] = src.pid[i]!;
    this.comm[j] = src.comm[i]!;
    this.source[j] = src.source[i]!;
    this.pfn[j] = src.pfn[i]!;
    this.order[j] = src.order[i]!;
    this.mt[j] = src.mt[i]!;
    this.gfp[j] = src.gfp[i]!;
    this.flags[j] = src.flags[i]!;
    this.ptrHi[j] = src.ptrHi[i]!;
    this.ptrLo[j] = src.ptrLo[i]!;
    this.bytesReq[j] = src.bytesReq[i]!;
    this.bytesAlloc[j] = src.bytesAlloc[i]!;
    this.callSite[j] = src.callSite[i]!;
    this.name[j] = src.name[i]!;
    this.node[j] = src.node[i]!;
    this.zone[j] = src.zone[i]!;
    this.a[j] = src.a[i]!;
    this.b[j] = src.b[i]!;
    this.c[j] = src.c[i]!;
    this.d[j] = src.d[i]!;
    return j;
  }

  /** Empties the batch for reuse. */
  clear(): void {
    this.length = 0;
  }
}

/** Exact numeric key of the pointer in row `i` (low 48 bits), for Map lookups. */
export function ptrKey(batch: EventBatch, i: number): number {
  return (batch.ptrHi[i]! & 0xffff) * 0x1_0000_0000 + batch.ptrLo[i]!;
}

/** The pointer in row `i` as 16 lowercase hex digits. */
export function ptrHex(batch: EventBatch, i: number): string {
  return batch.ptrHi[i]!.toString(16).padStart(8, "0") +
    batch.ptrLo[i]!.toString(16).padStart(8, "0");
}

/** Strings shared by all batches of one trace (comm names, call sites, cache names). */
export { StringTable };
