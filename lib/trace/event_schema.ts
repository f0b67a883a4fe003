/**
 * The one declarative schema of the event-specific values stored in an {@linkcode EventBatch}'s
 * value columns `a`–`d`: for each event family, its named fields, the column each is stored in,
 * the keys it is printed under in text traces, the field names of trace.dat formats and how it is
 * converted. Both parsers take their field → column mapping from here, and consumers read the
 * values through the generated named accessors ({@linkcode EventField}), never `a`–`d`.
 *
 * Fixed columns (pfn, order, mt, gfp, ptr, node, zone, name …) keep their own names and are not
 * listed here; {@linkcode describeSchema} prints the table event_batch.ts refers to.
 *
 * @module
 */

import type { EventBatch } from "./event_batch.ts";
import { Ev, type EventName } from "./event_kind.ts";
import { VMSCAN_SCHEMA } from "./vmscan_schema.ts";

/** The general-purpose value columns of an {@linkcode EventBatch} (all Float64Array, -1 = none). */
export type ValueColumn = "a" | "b" | "c" | "d";

/** The value columns in CSV order (the `kmem import` CSV names them a, b, c, d). */
export const VALUE_COLUMNS: readonly ValueColumn[] = ["a", "b", "c", "d"];

/**
 * How a field's value is read:
 * - `num`: an integer (text: decimal or `0x` hex; trace.dat: a scalar field);
 * - `printed`: trace.dat: the field when the format has it, else the value the print fmt
 *   computes (kernels that compute it only when printing);
 * - `zone`: a zone name (text, trace.dat string) or index → index into ZONE_NAMES;
 * - `rssMember`: text `type=MM_*PAGES` (name → 0 file, 1 anon, 2 swapents, 3 shmem) or
 *   `member=N`; trace.dat `member`;
 * - `rangeStart` / `rangeEnd`: text `range=(0x%lx ~ 0x%lx)`, the value before / after the `~`;
 *   trace.dat the named field;
 * - `marker`: not read from a field: set by the parsers from a lost-events marker.
 */
export type FieldConv =
  | "num"
  | "printed"
  | "zone"
  | "rssMember"
  | "rangeStart"
  | "rangeEnd"
  | "marker";

/** One named event value. */
export interface FieldSpec {
  /** The value column it is stored in. */
  readonly column: ValueColumn;
  /**
   * Keys it is printed under in text traces, first found wins (mm_shrink_slab_* print
   * `phrase value` instead of `key=value`: the phrase is the key).
   */
  readonly text: readonly string[];
  /** Field names in trace.dat event formats, first found wins. */
  readonly dat: readonly string[];
  readonly conv: FieldConv;
  /** Meaning and unit, for docs; "-1" is always "absent". */
  readonly doc: string;
  /** The first kernel whose trace no longer has the field (older traces still do). */
  readonly removedIn?: string;
}

/** The events sharing one set of named fields. */
export interface EventLayout {
  readonly events: readonly EventName[];
  readonly fields: { readonly [field: string]: FieldSpec };
}

/**
 * Every event family that uses value columns (include/trace/events/kmem.h, vmalloc.h, vmscan.h,
 * compaction.h).
 */
export const EVENT_SCHEMA = {
  zoneLocked: {
    events: ["mm_page_alloc_zone_locked"],
    fields: {
      percpuRefill: {
        column: "a",
        text: ["percpu_refill"],
        dat: ["percpu_refill"],
        conv: "printed",
        doc: "percpu_refill as printed (non-zero: the block goes to a pcp list)",
      },
    },
  },
  freeBatched: {
    events: ["mm_page_free_batched"],
    fields: {
      cold: {
        column: "a",
        text: ["cold"],
        dat: ["cold"],
        conv: "num",
        doc: "cold (1 = freed to the cold end of the pcp list)",
        removedIn: "v4.15",
      },
    },
  },
  extfrag: {
    events: ["mm_page_alloc_extfrag"],
    fields: {
      fallbackOrder: {
        column: "a",
        text: ["fallback_order"],
        dat: ["fallback_order"],
        conv: "num",
        doc: "order of the block taken from the fallback free list",
      },
      pageblockOrder: {
        column: "b",
        text: ["pageblock_order"],
        dat: ["pageblock_order"],
        conv: "printed",
        doc: "pageblock_order (printed by the kernel, not stored)",
      },
      fallbackMigratetype: {
        column: "c",
        text: ["fallback_migratetype"],
        dat: ["fallback_migratetype"],
        conv: "num",
        doc: "migratetype of the free list the block came from",
      },
    },
  },
  rssStat: {
    events: ["rss_stat"],
    fields: {
      mmId: { column: "a", text: ["mm_id"], dat: ["mm_id"], conv: "num", doc: "mm_id" },
      member: {
        column: "b",
        text: ["type", "member"],
        dat: ["member"],
        conv: "rssMember",
        doc: "counter: 0 file, 1 anon, 2 swapents, 3 shmem",
      },
      sizeBytes: { column: "c", text: ["size"], dat: ["size"], conv: "num", doc: "size, bytes" },
    },
  },
  wmarks: {
    events: ["mm_setup_per_zone_wmarks"],
    fields: {
      wmarkMin: {
        column: "a",
        text: ["min"],
        dat: ["watermark_min"],
        conv: "num",
        doc: "min, pages",
      },
      wmarkLow: {
        column: "b",
        text: ["low"],
        dat: ["watermark_low"],
        conv: "num",
        doc: "low, pages",
      },
      wmarkHigh: {
        column: "c",
        text: ["high"],
        dat: ["watermark_high"],
        conv: "num",
        doc: "high, pages",
      },
      wmarkPromo: {
        column: "d",
        text: ["promo"],
        dat: ["watermark_promo"],
        conv: "num",
        doc: "promo, pages",
      },
    },
  },
  lowmemReserve: {
    events: ["mm_setup_per_zone_lowmem_reserve"],
    fields: {
      upperZone: {
        column: "a",
        text: ["upper_zone name"],
        dat: ["upper_name"],
        conv: "zone",
        doc: "zone index of the higher zone the reserve protects against",
      },
      lowmemReservePages: {
        column: "b",
        text: ["lowmem_reserve_pages"],
        dat: ["lowmem_reserve"],
        conv: "num",
        doc: "lowmem_reserve, pages",
      },
    },
  },
  totalreserve: {
    events: ["mm_calculate_totalreserve_pages"],
    fields: {
      totalreservePages: {
        column: "a",
        text: ["totalreserve_pages"],
        dat: ["totalreserve_pages"],
        conv: "num",
        doc: "totalreserve_pages, pages",
      },
    },
  },
  freeVmap: {
    events: ["free_vmap_area_noflush"],
    fields: {
      nrLazy: {
        column: "a",
        text: ["nr_lazy"],
        dat: ["nr_lazy"],
        conv: "num",
        doc: "lazily freed vmap pages outstanding",
      },
      nrLazyMax: {
        column: "b",
        text: ["nr_lazy_max"],
        dat: ["nr_lazy_max"],
        conv: "num",
        doc: "lazy_max_pages() threshold, pages",
      },
    },
  },
  purgeVmap: {
    events: ["purge_vmap_area_lazy"],
    fields: {
      numPurged: {
        column: "a",
        text: ["num_purged"],
        dat: ["npurged", "num_purged"],
        conv: "num",
        doc: "areas purged",
      },
    },
  },
  ...VMSCAN_SCHEMA,
  compaction: {
    events: ["mm_compaction_begin", "mm_compaction_end"],
    fields: {
      zoneStartPfn: {
        column: "a",
        text: ["zone_start"],
        dat: ["zone_start"],
        conv: "num",
        doc: "zone start pfn",
      },
      migratePfn: {
        column: "b",
        text: ["migrate_pfn", "migrate_start"],
        dat: ["migrate_pfn", "migrate_start"],
        conv: "num",
        doc: "migrate scanner pfn",
      },
      freePfn: {
        column: "c",
        text: ["free_pfn", "free_start"],
        dat: ["free_pfn", "free_start"],
        conv: "num",
        doc: "free scanner pfn",
      },
      zoneEndPfn: {
        column: "d",
        text: ["zone_end"],
        dat: ["zone_end"],
        conv: "num",
        doc: "zone end pfn",
      },
    },
  },
  tryToCompact: {
    events: ["mm_compaction_try_to_compact_pages"],
    fields: {
      prio: {
        column: "a",
        text: ["priority"],
        dat: ["prio"],
        conv: "num",
        doc: "compact priority",
      },
    },
  },
  isolate: {
    events: [
      "mm_compaction_isolate_migratepages",
      "mm_compaction_isolate_freepages",
      "mm_compaction_fast_isolate_freepages",
    ],
    fields: {
      rangeStartPfn: {
        column: "a",
        text: ["range"],
        dat: ["start_pfn"],
        conv: "rangeStart",
        doc: "first pfn scanned (fast: min_pfn)",
      },
      rangeEndPfn: {
        column: "b",
        text: ["range"],
        dat: ["end_pfn"],
        conv: "rangeEnd",
        doc: "end pfn of the scan (fast: free_pfn)",
      },
      nrScanned: {
        column: "c",
        text: ["nr_scanned"],
        dat: ["nr_scanned"],
        conv: "num",
        doc: "nr_scanned, pages",
      },
      nrTaken: {
        column: "d",
        text: ["nr_taken"],
        dat: ["nr_taken"],
        conv: "num",
        doc: "nr_taken, pages",
      },
    },
  },
  migratepages: {
    events: ["mm_compaction_migratepages"],
    fields: {
      nrMigrated: {
        column: "a",
        text: ["nr_migrated"],
        dat: ["nr_migrated"],
        conv: "num",
        doc: "nr_migrated, pages",
      },
      nrFailed: {
        column: "b",
        text: ["nr_failed"],
        dat: ["nr_failed"],
        conv: "num",
        doc: "nr_failed, pages",
      },
    },
  },
  lost: {
    events: ["lost_events"],
    fields: {
      lostEvents: {
        column: "a",
        text: [],
        dat: [],
        conv: "marker",
        doc: "events lost (-1 = unknown count); tsNs = last event time seen on that CPU",
      },
    },
  },
} as const satisfies { readonly [layout: string]: EventLayout };

/** The name of an event family in {@linkcode EVENT_SCHEMA}. */
export type LayoutName = keyof typeof EVENT_SCHEMA;

type FieldsOf<L extends LayoutName> = (typeof EVENT_SCHEMA)[L]["fields"];

/** One value of type `T` per field of every family, shaped like {@linkcode EVENT_SCHEMA}. */
export type PerField<T> = {
  readonly [L in LayoutName]: { readonly [F in keyof FieldsOf<L>]: T };
};

/** Named readers of the value columns: `EventField.extfrag.fallbackOrder(batch, row)`. */
export type LayoutReaders = PerField<(b: EventBatch, i: number) => number>;

/** Named writers of the value columns (for the parsers). */
export type LayoutWriters = PerField<(b: EventBatch, i: number, v: number) => void>;

/**
 * Something derived from every field spec, in the schema's shape (accessors, key ids …).
 *
 * @example
 * ```ts
 * import { mapSchema } from "./event_schema.ts";
 * mapSchema((spec) => spec.column).wmarks.wmarkHigh; // "c"
 * ```
 */
export function mapSchema<T>(pick: (spec: FieldSpec) => T): PerField<T> {
  return Object.freeze(Object.fromEntries(
    Object.entries(EVENT_SCHEMA as { [l: string]: EventLayout }).map(([l, layout]) => [
      l,
      Object.freeze(
        Object.fromEntries(Object.entries(layout.fields).map(([f, s]) => [f, pick(s)])),
      ),
    ]),
  )) as unknown as PerField<T>;
}

// One function per column: each accessor is one of these, so a call site stays monomorphic.
const READ: { readonly [C in ValueColumn]: (b: EventBatch, i: number) => number } = {
  a: (b, i) => b.a[i]!,
  b: (b, i) => b.b[i]!,
  c: (b, i) => b.c[i]!,
  d: (b, i) => b.d[i]!,
};
const WRITE: { readonly [C in ValueColumn]: (b: EventBatch, i: number, v: number) => void } = {
  a: (b, i, v) => {
    b.a[i] = v;
  },
  b: (b, i, v) => {
    b.b[i] = v;
  },
  c: (b, i, v) => {
    b.c[i] = v;
  },
  d: (b, i, v) => {
    b.d[i] = v;
  },
};

/**
 * Named readers of the value columns, generated from {@linkcode EVENT_SCHEMA}.
 *
 * @example
 * ```ts
 * import { EventField, EventFieldSet } from "./event_schema.ts";
 * import { EventBatch } from "./event_batch.ts";
 * import { Ev } from "./event_kind.ts";
 * const b = new EventBatch(1);
 * const i = b.push(Ev.mm_page_alloc_extfrag, 0, 0);
 * EventFieldSet.extfrag.fallbackMigratetype(b, i, 2);
 * EventField.extfrag.fallbackMigratetype(b, i); // 2
 * ```
 */
export const EventField: LayoutReaders = mapSchema((s) => READ[s.column]);

/** Named writers of the value columns, generated from {@linkcode EVENT_SCHEMA}. */
export const EventFieldSet: LayoutWriters = mapSchema((s) => WRITE[s.column]);

/** The four value columns of row `i` in CSV order (a, b, c, d), whatever event the row holds. */
export function valueColumns(b: EventBatch, i: number): [number, number, number, number] {
  return [b.a[i]!, b.b[i]!, b.c[i]!, b.d[i]!];
}

/** The family of each event code (undefined: the event uses no value column). */
export const LAYOUT_OF_EVENT: ReadonlyArray<LayoutName | undefined> = (() => {
  const out: Array<LayoutName | undefined> = [];
  for (const [l, layout] of Object.entries(EVENT_SCHEMA as { [l: string]: EventLayout })) {
    for (const e of layout.events) out[Ev[e]] = l as LayoutName;
  }
  return out;
})();

/**
 * The schema as a markdown table (event, field, column, text keys, trace.dat fields, conversion,
 * meaning): the reference for what `a`–`d` hold.
 *
 * @example
 * ```ts
 * import { describeSchema } from "./event_schema.ts";
 * describeSchema().includes("| mm_page_alloc_extfrag | fallbackOrder | a |"); // true
 * ```
 */
export function describeSchema(): string {
  const rows = [
    "| event | field | column | text | trace.dat | conv | meaning |",
    "| --- ".repeat(7) + "|",
  ];
  for (const layout of Object.values(EVENT_SCHEMA as { [l: string]: EventLayout })) {
    for (const [name, s] of Object.entries(layout.fields)) {
      rows.push(
        `| ${layout.events.join(", ")} | ${name} | ${s.column} | ${s.text.join(", ")} | ` +
          `${s.dat.join(", ")} | ${s.conv} | ${s.doc} |`,
      );
    }
  }
  return rows.join("\n");
}
