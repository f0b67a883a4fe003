/**
 * Decoding plans of trace.dat records: per event, the ops that read a field (by the offset, size
 * and signedness of the file's own format) and store it in a batch column, built once per file
 * by {@linkcode buildOps} and run per record by {@linkcode applyOps}.
 *
 * @module
 */

import { ZONE_NAMES } from "../../kernel/constants.ts";
import { type EventBatch, EventFlag } from "../event_batch.ts";
import { assertNever } from "../assert_never.ts";
import { Ev } from "../event_kind.ts";
import {
  EVENT_SCHEMA,
  type FieldSpec,
  LAYOUT_OF_EVENT,
  type ValueColumn,
} from "../event_schema.ts";
import type { StringTable } from "../string_table.ts";
import { printFlags, printFlagsTable } from "./print_flags.ts";
import { readString, type StrCache } from "./str_cache.ts";
import {
  type CompiledExpr,
  compileExpr,
  type EventFormat,
  type FieldGetter,
  FieldLoc,
  type FormatField,
  printArgFor,
  printSymbolic,
  splitPrintFmt,
} from "./tracedat_format.ts";

const TWO_POW_32 = 4294967296;

/** Turns a kernel text address into an interned `function+0xoff` (or `0x…`) string id. */
export interface Symbolizer {
  symbol(strings: StringTable, hi: number, lo: number): number;
}

/** Column an op writes. */
const Col = {
  PFN: 0,
  ORDER: 1,
  MT: 2,
  GFP: 3,
  PTR: 4,
  BYTES_REQ: 5,
  BYTES_ALLOC: 6,
  CALL_SITE: 7,
  NAME: 8,
  NODE: 9,
  ZONE: 10,
  A: 11,
  B: 12,
  C: 13,
  D: 14,
  /** Sets `flag` when the value is non-zero. */
  FLAG: 15,
  /** bytesReq = value - ptr (purge_vmap_area_lazy end). */
  LEN_FROM_PTR: 16,
} as const;

/** The op column of each value column. */
const VALUE_COL: { readonly [C in ValueColumn]: ColKind } = {
  a: Col.A,
  b: Col.B,
  c: Col.C,
  d: Col.D,
};

/** How an op turns field bytes into the stored value. */
const Conv = {
  NUM: 0,
  /** Unsigned long where all-ones means "none" (failed mm_page_alloc pfn): -1 and FAILED. */
  PFN: 1,
  /** Pointer split into ptrHi/ptrLo. */
  PTR: 2,
  /** Kernel text address → interned `function+0xoff`. */
  SYM: 3,
  /** String field → interned string. */
  STR: 4,
  /** Value → string via a `__print_symbolic` table, interned. */
  SYMBOLIC_STR: 5,
  /** Value → zone index via a table (symbolic names or identity). */
  ZONE_NUM: 6,
  /** String field holding a zone name → ZONE_NAMES index. */
  ZONE_STR: 7,
  /** Compiled print-fmt expression. */
  EXPR: 8,
  /** Constant. */
  CONST: 9,
  /** Value → `A|B` via a `__print_flags` table (as the kernel prints it), interned. */
  FLAGS_STR: 10,
} as const;

/** A column an op writes (closed union of {@linkcode Col}). */
type ColKind = (typeof Col)[keyof typeof Col];
/** A conversion (closed union of {@linkcode Conv}). */
type ConvKind = (typeof Conv)[keyof typeof Conv];

export interface Op {
  col: ColKind;
  conv: ConvKind;
  field: FormatField | null;
  flag: number;
  /** ZONE_NUM table, SYMBOLIC_STR table (value → string id). */
  table: Map<number, number> | null;
  expr: CompiledExpr | null;
  value: number;
  /** FLAGS_STR: the `__print_flags` table in print order, and the text printed for 0. */
  flagNames?: { bits: readonly (readonly [number, string])[]; none: string };
}

export interface Plan {
  code: number;
  ops: Op[];
}

/** Reads a scalar field of up to 8 bytes as a number (exact below 2^53). */
export function readNum(
  view: DataView,
  at: number,
  size: number,
  signed: boolean,
  le: boolean,
): number {
  switch (size) {
    case 1:
      return signed ? view.getInt8(at) : view.getUint8(at);
    case 2:
      return signed ? view.getInt16(at, le) : view.getUint16(at, le);
    case 4:
      return signed ? view.getInt32(at, le) : view.getUint32(at, le);
    case 8: {
      const lo = view.getUint32(le ? at : at + 4, le);
      const hi = le ? view.getUint32(at + 4, true) : view.getUint32(at, false);
      return signed ? (hi | 0) * TWO_POW_32 + lo : hi * TWO_POW_32 + lo;
    }
    default:
      return 0;
  }
}

/** Fills the kind-specific columns of row `i`; false when a field lies outside the record. */
export function applyOps(
  plan: Plan,
  batch: EventBatch,
  i: number,
  view: DataView,
  base: number,
  len: number,
  le: boolean,
  symbols: Symbolizer,
  strCache: StrCache,
): boolean {
  const strings = strCache.strings;
  const ops = plan.ops;
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]!;
    const f = op.field;
    let v = 0;
    switch (op.conv) {
      case Conv.CONST:
        v = op.value;
        break;
      case Conv.EXPR:
        v = op.expr!(view, base);
        break;
      case Conv.STR:
      case Conv.ZONE_STR: {
        const id = readString(view, base, len, f!, le, strCache);
        if (id < 0) return false;
        if (op.conv === Conv.STR) v = id;
        else v = op.table!.get(id) ?? -1;
        break;
      }
      case Conv.FLAGS_STR: {
        if (f!.offset + f!.size > len) return false;
        const raw = readNum(view, base + f!.offset, f!.size, false, le);
        let id = op.table!.get(raw);
        if (id === undefined) {
          id = strings.intern(printFlags(raw, op.flagNames!));
          op.table!.set(raw, id);
        }
        v = id;
        break;
      }
      case Conv.NUM:
      case Conv.PFN:
      case Conv.PTR:
      case Conv.SYM:
      case Conv.SYMBOLIC_STR:
      case Conv.ZONE_NUM: {
        if (f!.offset + f!.size > len) return false;
        const at = base + f!.offset;
        if (op.conv === Conv.PTR || op.conv === Conv.SYM) {
          let h = 0;
          let l: number;
          if (f!.size === 8) {
            l = view.getUint32(le ? at : at + 4, le);
            h = view.getUint32(le ? at + 4 : at, le);
          } else l = readNum(view, at, f!.size, false, le);
          if (op.conv === Conv.PTR) {
            batch.ptrHi[i] = h;
            batch.ptrLo[i] = l;
            continue;
          }
          v = symbols.symbol(strings, h, l);
          break;
        }
        if (op.conv === Conv.PFN) {
          // All ones (-1UL) = no page.
          let ones = true;
          for (let b = 0; b < f!.size; b++) if (view.getUint8(at + b) !== 0xff) ones = false;
          if (ones) {
            batch.pfn[i] = -1;
            batch.flags[i]! |= EventFlag.FAILED;
            continue;
          }
        }
        v = readNum(view, at, f!.size, f!.signed, le);
        if (op.conv === Conv.SYMBOLIC_STR) v = op.table!.get(v) ?? strings.intern(String(v));
        else if (op.conv === Conv.ZONE_NUM) v = op.table!.get(v) ?? -1;
        break;
      }
      default:
        assertNever(op.conv);
    }
    switch (op.col) {
      case Col.PFN:
        batch.pfn[i] = v;
        break;
      case Col.ORDER:
        batch.order[i] = v;
        break;
      case Col.MT:
        batch.mt[i] = v;
        break;
      case Col.GFP:
        batch.gfp[i] = v >>> 0;
        break;
      case Col.BYTES_REQ:
        batch.bytesReq[i] = v;
        break;
      case Col.BYTES_ALLOC:
        batch.bytesAlloc[i] = v;
        break;
      case Col.CALL_SITE:
        batch.callSite[i] = v;
        break;
      case Col.NAME:
        batch.name[i] = v;
        break;
      case Col.NODE:
        batch.node[i] = v;
        break;
      case Col.ZONE:
        batch.zone[i] = v;
        break;
      case Col.A:
        batch.a[i] = v;
        break;
      case Col.B:
        batch.b[i] = v;
        break;
      case Col.C:
        batch.c[i] = v;
        break;
      case Col.D:
        batch.d[i] = v;
        break;
      case Col.FLAG:
        if (v !== 0) batch.flags[i]! |= op.flag;
        break;
      case Col.LEN_FROM_PTR:
        batch.bytesReq[i] = v - (batch.ptrHi[i]! * TWO_POW_32 + batch.ptrLo[i]!);
        break;
      case Col.PTR:
        break; // written with its conversion above
      default:
        assertNever(op.col);
    }
  }
  return true;
}

/** The ops that fill row columns from the fields of event `code` in format `fmt` (see event_batch.ts). */
export function buildOps(code: Ev, fmt: EventFormat, strings: StringTable, le: boolean): Op[] {
  const ops: Op[] = [];
  const field = (...names: string[]): FormatField | null => {
    for (const n of names) {
      const f = fmt.fields.find((x) => x.name === n);
      if (f) return f;
    }
    return null;
  };
  const add = (
    col: ColKind,
    conv: ConvKind,
    f: FormatField | null,
    extra: Partial<Op> = {},
  ): void => {
    if (!f && conv !== Conv.CONST && conv !== Conv.EXPR) return;
    ops.push({ col, conv, field: f, flag: 0, table: null, expr: null, value: 0, ...extra });
  };
  const num = (col: ColKind, ...names: string[]) => add(col, Conv.NUM, field(...names));
  const flag = (bit: number, ...names: string[]) =>
    add(Col.FLAG, Conv.NUM, field(...names), { flag: bit });
  const getter = (name: string): FieldGetter | null => {
    const f = field(name);
    if (!f || f.loc !== FieldLoc.INLINE || f.size > 8) return null;
    return (view, base) => readNum(view, base + f.offset, f.size, f.signed, le);
  };
  /** A value printed as `label=` but not stored: evaluate the print fmt's argument. */
  const printed = (col: ColKind, label: string, flagBit = 0): boolean => {
    const arg = printArgFor(fmt.printFmt, label);
    if (arg === null) return false;
    const cond = /^(.*)\?\s*"true"\s*:\s*"false"\s*$/s.exec(arg);
    const expr = compileExpr(cond ? cond[1]! : arg, getter);
    if (!expr) return false;
    add(col, Conv.EXPR, null, { expr, flag: flagBit });
    return true;
  };
  /** Literal `label=N` in the format string (mm_page_free_batched prints `order=0`). */
  const literal = (col: ColKind, label: string): void => {
    const m = new RegExp(`(?:^|\\s)${label}=(-?\\d+)(?:\\s|$)`).exec(
      splitPrintFmt(fmt.printFmt).format,
    );
    if (m) add(col, Conv.CONST, null, { value: Number(m[1]) });
  };
  const symbolicStr = (col: ColKind, name: string): void => {
    const f = field(name);
    if (!f) return;
    const table = new Map<number, number>();
    for (const [v, s] of printSymbolic(fmt.printFmt, name)) table.set(v, strings.intern(s));
    add(col, Conv.SYMBOLIC_STR, f, { table });
  };
  const zone = (col: ColKind, ...names: string[]): void => {
    const f = field(...names);
    if (!f) return;
    // Printed only if the print fmt mentions the field (kswapd_wake stores zid but prints none).
    if (
      fmt.printFmt && !fmt.printFmt.includes(`REC->${f.name}`) &&
      !fmt.printFmt.includes(`(${f.name})`)
    ) return;
    const table = new Map<number, number>();
    if (f.loc !== FieldLoc.INLINE || f.isArray) {
      ZONE_NAMES.forEach((z, idx) => table.set(strings.intern(z), idx));
      add(col, Conv.ZONE_STR, f, { table });
      return;
    }
    const sym = printSymbolic(fmt.printFmt, f.name);
    if (sym.size > 0) {
      for (const [v, s] of sym) {
        const idx = (ZONE_NAMES as readonly string[]).indexOf(s.trim());
        if (idx >= 0) table.set(v, idx);
      }
    } else ZONE_NAMES.forEach((_, idx) => table.set(idx, idx));
    add(col, Conv.ZONE_NUM, f, { table });
  };
  const str = (col: ColKind, name: string): void => add(col, Conv.STR, field(name));
  const flagsStr = (col: ColKind, name: string): void => {
    const f = field(name);
    if (!f) return;
    add(col, Conv.FLAGS_STR, f, {
      table: new Map(),
      flagNames: printFlagsTable(fmt.printFmt, name),
    });
  };
  const pfn = () => add(Col.PFN, Conv.PFN, field("pfn"));
  const gfp = () => num(Col.GFP, "gfp_flags", "gfp_mask");
  const orderField = () => {
    if (field("order")) num(Col.ORDER, "order");
    else literal(Col.ORDER, "order");
  };

  /** The op of one schema field (false when the format has nothing to read it from). */
  const value = (spec: FieldSpec): boolean => {
    const col = VALUE_COL[spec.column];
    const n0 = ops.length;
    switch (spec.conv) {
      case "num":
      case "rssMember":
      case "rangeStart":
      case "rangeEnd":
        num(col, ...spec.dat);
        break;
      case "printed":
        if (field(...spec.dat)) num(col, ...spec.dat);
        else printed(col, spec.text[0]!);
        break;
      case "zone":
        zone(col, ...spec.dat);
        break;
      case "marker":
        break;
      default:
        assertNever(spec.conv);
    }
    return ops.length > n0;
  };

  switch (code) {
    case Ev.kmalloc:
    case Ev.kmalloc_node:
    case Ev.kmem_cache_alloc:
    case Ev.kmem_cache_alloc_node:
      add(Col.CALL_SITE, Conv.SYM, field("call_site"));
      add(Col.PTR, Conv.PTR, field("ptr"));
      str(Col.NAME, "name");
      num(Col.BYTES_REQ, "bytes_req");
      num(Col.BYTES_ALLOC, "bytes_alloc");
      gfp();
      num(Col.NODE, "node");
      if (field("accounted")) flag(EventFlag.ACCOUNTED, "accounted");
      else printed(Col.FLAG, "accounted", EventFlag.ACCOUNTED);
      break;
    case Ev.kfree:
    case Ev.kmem_cache_free:
      add(Col.CALL_SITE, Conv.SYM, field("call_site"));
      add(Col.PTR, Conv.PTR, field("ptr"));
      str(Col.NAME, "name");
      break;
    case Ev.mm_page_alloc:
      pfn();
      num(Col.ORDER, "order");
      num(Col.MT, "migratetype");
      gfp();
      break;
    case Ev.mm_page_alloc_zone_locked:
      pfn();
      num(Col.ORDER, "order");
      num(Col.MT, "migratetype");
      {
        const refill = EVENT_SCHEMA.zoneLocked.fields.percpuRefill;
        if (field(...refill.dat)) flag(EventFlag.PERCPU_REFILL, ...refill.dat);
        else printed(Col.FLAG, refill.text[0], EventFlag.PERCPU_REFILL);
      }
      break;
    case Ev.mm_page_free:
      pfn();
      orderField();
      break;
    case Ev.mm_page_free_batched:
      pfn();
      orderField();
      break;
    case Ev.mm_page_pcpu_drain:
      pfn();
      orderField();
      num(Col.MT, "migratetype");
      break;
    case Ev.mm_page_alloc_extfrag:
      pfn();
      num(Col.ORDER, "alloc_order");
      num(Col.MT, "alloc_migratetype");
      if (field("fragmenting")) flag(EventFlag.FRAGMENTING, "fragmenting");
      else printed(Col.FLAG, "fragmenting", EventFlag.FRAGMENTING);
      flag(EventFlag.CHANGE_OWNERSHIP, "change_ownership");
      break;
    case Ev.rss_stat:
      flag(EventFlag.CURR, "curr");
      break;
    case Ev.mm_setup_per_zone_wmarks:
      num(Col.NODE, "node_id");
      zone(Col.ZONE, "name");
      break;
    case Ev.mm_setup_per_zone_lowmem_reserve:
      num(Col.NODE, "node_id");
      zone(Col.ZONE, "name");
      break;
    case Ev.mm_calculate_totalreserve_pages:
      break;
    case Ev.alloc_vmap_area:
      add(Col.PTR, Conv.PTR, field("addr", "va_start"));
      num(Col.BYTES_REQ, "size");
      num(Col.BYTES_ALLOC, "align");
      flag(EventFlag.FAILED, "failed");
      break;
    case Ev.free_vmap_area_noflush:
      add(Col.PTR, Conv.PTR, field("va_start"));
      break;
    case Ev.purge_vmap_area_lazy:
      add(Col.PTR, Conv.PTR, field("start"));
      num(Col.LEN_FROM_PTR, "end");
      break;
    case Ev.mm_vmscan_kswapd_wake:
      num(Col.NODE, "nid");
      num(Col.ORDER, "order");
      zone(Col.ZONE, "zid");
      break;
    case Ev.mm_vmscan_kswapd_sleep:
      num(Col.NODE, "nid");
      break;
    case Ev.mm_vmscan_wakeup_kswapd:
      num(Col.NODE, "nid");
      num(Col.ORDER, "order");
      zone(Col.ZONE, "zid");
      gfp();
      break;
    case Ev.mm_vmscan_direct_reclaim_begin:
      num(Col.ORDER, "order");
      gfp();
      break;
    case Ev.mm_vmscan_direct_reclaim_end:
      break;
    case Ev.mm_compaction_begin:
    case Ev.mm_compaction_end:
      flag(EventFlag.SYNC, "sync");
      if (code === Ev.mm_compaction_end) symbolicStr(Col.NAME, "status");
      break;
    case Ev.mm_compaction_suitable:
    case Ev.mm_compaction_finished:
      num(Col.NODE, "nid");
      zone(Col.ZONE, "idx", "name");
      num(Col.ORDER, "order");
      symbolicStr(Col.NAME, "ret");
      break;
    case Ev.mm_compaction_kcompactd_sleep:
    case Ev.mm_compaction_kcompactd_wake:
    case Ev.mm_compaction_wakeup_kcompactd:
      num(Col.NODE, "nid");
      num(Col.ORDER, "order");
      zone(Col.ZONE, "highest_zoneidx", "classzone_idx");
      break;
    case Ev.mm_compaction_try_to_compact_pages:
      num(Col.ORDER, "order");
      gfp();
      break;
    case Ev.mm_compaction_isolate_migratepages:
    case Ev.mm_compaction_isolate_freepages:
    case Ev.mm_compaction_fast_isolate_freepages:
      break;
    case Ev.mm_compaction_migratepages:
      break;
    case Ev.mm_compaction_deferred:
    case Ev.mm_compaction_defer_compaction:
    case Ev.mm_compaction_defer_reset:
      // node, zone and order, as the text parser reads them (mm_compaction_defer_template).
      num(Col.NODE, "nid");
      zone(Col.ZONE, "idx");
      num(Col.ORDER, "order");
      break;
    case Ev.lost_events:
      // Not a record: lost-event rows come from the ring-buffer pages.
      break;
    case Ev.mm_vmscan_memcg_reclaim_begin:
    case Ev.mm_vmscan_memcg_softlimit_reclaim_begin:
    case Ev.mm_vmscan_node_reclaim_begin:
      num(Col.NODE, "nid");
      num(Col.ORDER, "order");
      gfp();
      break;
    case Ev.mm_vmscan_memcg_reclaim_end:
    case Ev.mm_vmscan_memcg_softlimit_reclaim_end:
    case Ev.mm_vmscan_node_reclaim_end:
      break;
    case Ev.mm_vmscan_lru_isolate:
      num(Col.ZONE, "highest_zoneidx", "classzone_idx");
      num(Col.ORDER, "order");
      symbolicStr(Col.NAME, "lru");
      break;
    case Ev.mm_vmscan_lru_shrink_inactive:
    case Ev.mm_vmscan_lru_shrink_active:
      num(Col.NODE, "nid");
      flagsStr(Col.NAME, "reclaim_flags");
      break;
    case Ev.mm_vmscan_reclaim_pages:
      num(Col.NODE, "nid");
      break;
    case Ev.mm_vmscan_write_folio:
      add(Col.PFN, Conv.NUM, field("pfn"));
      flagsStr(Col.NAME, "reclaim_flags");
      break;
    case Ev.mm_vmscan_throttled:
      num(Col.NODE, "nid");
      flagsStr(Col.NAME, "reason");
      break;
    case Ev.mm_shrink_slab_start:
      add(Col.CALL_SITE, Conv.SYM, field("shrink"));
      add(Col.PTR, Conv.PTR, field("shr"));
      num(Col.NODE, "nid");
      gfp();
      break;
    case Ev.mm_shrink_slab_end:
      add(Col.CALL_SITE, Conv.SYM, field("shrink"));
      add(Col.PTR, Conv.PTR, field("shr"));
      num(Col.NODE, "nid");
      break;
    default:
      assertNever(code);
  }
  // The value columns a–d: the family's named fields, from the schema.
  const layout = LAYOUT_OF_EVENT[code];
  if (layout !== undefined) {
    for (const spec of Object.values(EVENT_SCHEMA[layout].fields) as FieldSpec[]) value(spec);
  }
  return ops;
}
