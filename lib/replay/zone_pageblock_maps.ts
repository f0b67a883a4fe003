/**
 * Pageblock maps of a replay's zones at the start and the end, and the start→end difference,
 * drawing only what was measured: a cell has a type when an event showed it (or the snapshot's
 * counts leave one type possible), free pages when every page's state is known, and presence
 * when a page of it was seen or the snapshot's block count says every block of the span is
 * present. Present blocks of unmeasured type are PAGEBLOCK_PRESENT, the rest PAGEBLOCK_UNKNOWN. The per-type counts are /proc/pagetypeinfo's
 * (the cells are a located part of them); without a snapshot they are the model's, marked as
 * estimated. Policy replays synthesise their layout: their maps are marked estimated.
 *
 * @module
 */

import { MIGRATE_TYPE_NAMES, MIGRATE_TYPES } from "../kernel/constants.ts";
import {
  PAGEBLOCK_ABSENT,
  PAGEBLOCK_PRESENT,
  PAGEBLOCK_UNCHANGED,
  PAGEBLOCK_UNKNOWN,
  type PageblockMap,
} from "../metrics/pageblock_map.ts";
import { type PageAllocator, PageState } from "../mm/page_allocator.ts";
import type { PagetypeInfo } from "../snapshot/pagetypeinfo.ts";
import type { PageblockKnowledge } from "./page/pageblock_knowledge.ts";

/** Per-pageblock page counts of a machine at one moment (index = pfn >> pageblock order). */
export interface PageblockCensus {
  /** Free pages (buddy or pcp). */
  free: Uint32Array;
  /** Pages whose state nobody measured. */
  unknown: Uint32Array;
  /** Hole pages (no memory). */
  hole: Uint32Array;
  /** 1 when a block holds an allocation of another migratetype than the block's. */
  mixed: Uint8Array;
}

/** Presence of a pageblock in its zone. */
const Presence = { UNKNOWN: 0, PRESENT: 1, ABSENT: 2 } as const;

/**
 * Counts free, unknown and hole pages per pageblock of every zone of `a`.
 *
 * @example
 * ```ts
 * import { pageblockCensus } from "./zone_pageblock_maps.ts";
 * import { PageAllocator } from "../mm/page_allocator.ts";
 * import { presetMachineSpec } from "../mm/machine_spec.ts";
 * const a = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }), {
 *   initial: "unknown",
 * });
 * pageblockCensus(a).unknown[8]; // 512
 * ```
 */
export function pageblockCensus(a: PageAllocator): PageblockCensus {
  const order = a.pageblockOrder;
  const n = a.pageblockZone.length;
  const out: PageblockCensus = {
    free: new Uint32Array(n),
    unknown: new Uint32Array(n),
    hole: new Uint32Array(n),
    mixed: new Uint8Array(n),
  };
  const add = (arr: Uint32Array, from: number, to: number) => {
    for (let q = from; q < to;) {
      const blk = q >>> order;
      const blkEnd = Math.min(to, (blk + 1) << order);
      arr[blk]! += blkEnd - q;
      q = blkEnd;
    }
  };
  for (let p = 0; p < a.endPfn;) {
    const head = a.headOf(p);
    const end = Math.max(p + 1, head + 2 ** a.orderAt(head));
    const st = a.stateAt(head);
    if (st === PageState.BUDDY || st === PageState.PCP) add(out.free, p, end);
    else if (st === PageState.UNKNOWN) add(out.unknown, p, end);
    else if (st === PageState.HOLE) add(out.hole, p, end);
    else if (st === PageState.ALLOC && a.allocMtAt(head) !== a.pageblockMt[head >>> order]) {
      out.mixed[head >>> order] = 1;
    }
    p = end;
  }
  return out;
}

/** What {@linkcode zonePageblockMaps} draws from. */
export interface ZoneMapsInput {
  /** Census right after seeding (before the first call) and at the end. */
  startCensus: PageblockCensus;
  endCensus: PageblockCensus;
  /** Faithful: the trace's pageblock knowledge; null (policy): the model's own types. */
  knowledge: PageblockKnowledge | null;
  /** before / after /proc/pagetypeinfo, for the counts. */
  before?: PagetypeInfo;
  after?: PagetypeInfo;
  startTsNs: number;
  endTsNs: number;
}

/** Pageblocks per migratetype of one zone in a pagetypeinfo snapshot, or undefined. */
function snapshotCounts(p: PagetypeInfo | undefined, node: number, zone: string) {
  const row = p?.blockCounts.find((r) => r.node === node && r.zone === zone);
  return row ? MIGRATE_TYPE_NAMES.map((n) => row.counts[n] ?? 0) : undefined;
}

/**
 * The start, end and start→end difference maps of every populated zone.
 *
 * @example
 * ```ts
 * import { pageblockCensus, zonePageblockMaps } from "./zone_pageblock_maps.ts";
 * import { PageAllocator } from "../mm/page_allocator.ts";
 * import { presetMachineSpec } from "../mm/machine_spec.ts";
 * import { PageblockKnowledge } from "./page/pageblock_knowledge.ts";
 * const a = new PageAllocator(presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }), {
 *   initial: "unknown",
 * });
 * const c = pageblockCensus(a);
 * const maps = zonePageblockMaps(a, {
 *   startCensus: c, endCensus: c, knowledge: new PageblockKnowledge(a.pageblockMt.length),
 *   startTsNs: 0, endTsNs: 1,
 * });
 * maps.map((m) => m.label); // ["start", "end", "start→end", "start", "end", "start→end"]
 * ```
 */
export function zonePageblockMaps(a: PageAllocator, input: ZoneMapsInput): PageblockMap[] {
  const order = a.pageblockOrder;
  const pbPages = 2 ** order;
  const k = input.knowledge;
  const out: PageblockMap[] = [];
  for (const z of a.zoneViews) {
    if (z.managedPages === 0) continue;
    const first = Math.floor(z.startPfn / pbPages);
    const n = Math.max(0, Math.ceil(z.endPfn / pbPages) - first);
    const before = snapshotCounts(input.before, z.node, z.name);
    const after = snapshotCounts(input.after, z.node, z.name);
    // 1. Presence: seen pages, known types, then the snapshot's block count.
    const presence = new Uint8Array(n);
    let present = 0;
    let unknown = 0;
    for (let i = 0; i < n; i++) {
      const b = first + i;
      const sc = input.startCensus;
      const ec = input.endCensus;
      if (a.pageblockZone[b] !== z.index || ec.hole[b] === pbPages) {
        presence[i] = Presence.ABSENT;
      } else if (
        !k || ec.unknown[b]! + ec.hole[b]! < pbPages || sc.unknown[b]! + sc.hole[b]! < pbPages ||
        k.startMt[b]! < MIGRATE_TYPES || k.nowMt[b]! < MIGRATE_TYPES
      ) {
        presence[i] = Presence.PRESENT;
        present++;
      } else unknown++;
    }
    const total = (before ?? after)?.reduce((x, y) => x + y, 0);
    if (k && total !== undefined && unknown > 0) {
      // Every block not known absent is present, or every present one is already seen.
      const fill = total === present + unknown
        ? Presence.PRESENT
        : total === present
        ? Presence.ABSENT
        : Presence.UNKNOWN;
      if (fill !== Presence.UNKNOWN) {
        for (let i = 0; i < n; i++) if (presence[i] === Presence.UNKNOWN) presence[i] = fill;
      }
    }
    const base = { node: z.node, zone: z.name, startPfn: first * pbPages, pageblockOrder: order };
    const one = (
      label: string,
      tsNs: number,
      census: PageblockCensus,
      known: Uint8Array | null,
      counts: number[] | undefined,
    ): PageblockMap => {
      const migratetype = new Uint8Array(n);
      const freePages = new Uint32Array(n);
      const freeKnown = new Uint8Array(n);
      const located = new Array<number>(MIGRATE_TYPES).fill(0);
      for (let i = 0; i < n; i++) {
        const b = first + i;
        const p = presence[i]!;
        const mt = p === Presence.ABSENT
          ? PAGEBLOCK_ABSENT
          : p === Presence.UNKNOWN
          ? PAGEBLOCK_UNKNOWN
          : known
          ? (known[b]! < MIGRATE_TYPES ? known[b]! : PAGEBLOCK_PRESENT)
          : a.pageblockMt[b]!;
        migratetype[i] = mt;
        if (mt < MIGRATE_TYPES) located[mt]!++;
        if (p === Presence.PRESENT && census.unknown[b] === 0) {
          freeKnown[i] = 1;
          freePages[i] = census.free[b]!;
        }
      }
      // A constraint: when the snapshot leaves one type unlocated, present untyped cells have it.
      if (counts && known) {
        const open = counts.map((c, mt) => c - located[mt]!).flatMap((d, mt) => d > 0 ? [mt] : []);
        if (open.length === 1) {
          for (let i = 0; i < n; i++) {
            if (migratetype[i] === PAGEBLOCK_PRESENT) {
              migratetype[i] = open[0]!;
            }
          }
        }
      }
      const model = counts ? undefined : located;
      return {
        ...base,
        tsNs,
        label,
        migratetype,
        freePages,
        freeKnown,
        mixed: census.mixed.slice(first, first + n),
        counts: counts ?? model,
        countsSource: counts ? "pagetypeinfo" : "model",
        estimated: known === null,
      };
    };
    const start = one("start", input.startTsNs, input.startCensus, k?.startMt ?? null, before);
    const end = one("end", input.endTsNs, input.endCensus, k?.nowMt ?? null, after);
    out.push(start, end, differenceMap(start, end, k, first));
  }
  return out;
}

/** Where blocks changed type between `start` and `end` (cells: the end type). */
function differenceMap(
  start: PageblockMap,
  end: PageblockMap,
  k: PageblockKnowledge | null,
  first: number,
): PageblockMap {
  const n = end.migratetype.length;
  const migratetype = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = start.migratetype[i]!;
    const e = end.migratetype[i]!;
    migratetype[i] = e === PAGEBLOCK_ABSENT || e === PAGEBLOCK_PRESENT
      ? e
      : e < MIGRATE_TYPES && (k?.changed[first + i] || (s < MIGRATE_TYPES && s !== e))
      ? e
      : e < MIGRATE_TYPES && s === e
      ? PAGEBLOCK_UNCHANGED
      : PAGEBLOCK_UNKNOWN;
  }
  const counts = start.counts && end.counts
    ? end.counts.map((c, mt) => c - (start.counts![mt] ?? 0))
    : undefined;
  return {
    node: end.node,
    zone: end.zone,
    startPfn: end.startPfn,
    pageblockOrder: end.pageblockOrder,
    tsNs: end.tsNs,
    label: "start→end",
    migratetype,
    freePages: new Uint32Array(n),
    freeKnown: new Uint8Array(n),
    counts,
    countsSource: start.countsSource === "pagetypeinfo" && end.countsSource === "pagetypeinfo"
      ? "pagetypeinfo"
      : "model",
    estimated: start.estimated || end.estimated,
    difference: true,
  };
}
