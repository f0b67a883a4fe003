/**
 * Starting an emulated machine from a before-snapshot (/proc buddyinfo, pagetypeinfo, zoneinfo)
 * so that free counts per zone, order and migratetype match the real machine.
 *
 * - Faithful replay ({@linkcode seedUnlocated}): snapshots give counts, not pfns, so free blocks
 *   and pcp pages are added as *unlocated* counts; the replay materialises one when the trace
 *   first touches a pfn that must have been inside it. Zones a before.kpageflags snapshot covers
 *   start from the real pfns instead (kpageflags_seed.ts); only their pcp pages stay counts.
 * - Policy replay ({@linkcode seedLayout}): the emulator needs real pfns, so a layout is
 *   synthesised: free blocks of each (order, type) are placed in pageblocks of that type with no
 *   free buddy (so they cannot merge), pcp lists get their page counts (or buddy, without pcp),
 *   and every other managed page becomes a *pre-existing* allocation that frees of never-seen
 *   trace pages can release. Span pages beyond the managed count become holes.
 *
 * @module
 */

import {
  MIGRATE_PCPTYPES,
  MIGRATE_TYPE_NAMES,
  MigrateType,
  ZONE_NAMES,
} from "../../kernel/constants.ts";
import type { BuddyInfoRow } from "../../snapshot/buddyinfo.ts";
import type { PagetypeInfo } from "../../snapshot/pagetypeinfo.ts";
import type { ZoneInfo } from "../../snapshot/zoneinfo.ts";
import { type ForcedPageState, type PageAllocator, PageState } from "../../mm/page_allocator.ts";
import type { PreexistingPool } from "./preexisting_pool.ts";
import type { UnlocatedPool } from "./unlocated_pool.ts";
import type { Kpageflags } from "../../snapshot/kpageflags.ts";
import { type KpageflagsZoneCheck, seedZoneFromKpageflags } from "./kpageflags_seed.ts";

/** The before-snapshots a replay can start from (any subset). */
export interface SeedSnapshots {
  buddyinfo?: BuddyInfoRow[];
  pagetypeinfo?: PagetypeInfo;
  zoneinfo?: ZoneInfo[];
  /** Faithful: the real machine per pfn (zones it covers are seeded from it, not counts). */
  kpageflags?: Kpageflags;
}

/** What seeding did. */
export interface SeedReport {
  /** Free blocks seeded per zone name. */
  freeBlocks: Record<string, number>;
  /** Free blocks that did not fit the synthesised layout (policy only). */
  unplaced: number;
  /** Pcp pages seeded. */
  pcpPages: number;
  /**
   * Zones seeded from before.kpageflags at real pfns, with their free blocks per order checked
   * against buddyinfo's (absent when no zone was).
   */
  kpageflags?: KpageflagsZoneCheck[];
}

/** Free blocks per (order, mt) of one zone: rows[order][mt]. */
type Counts = number[][];

function zoneIndex(m: PageAllocator, node: number, name: string): number {
  const type = (ZONE_NAMES as readonly string[]).indexOf(name);
  return type < 0 ? -1 : m.findZone(node, type);
}

/** Free counts per zone index from pagetypeinfo (preferred) or buddyinfo (all MOVABLE). */
function freeCounts(m: PageAllocator, snap: SeedSnapshots): Map<number, Counts> {
  const out = new Map<number, Counts>();
  const get = (zi: number) => {
    let c = out.get(zi);
    if (!c) {
      c = Array.from(
        { length: m.nrOrders },
        () => new Array<number>(MIGRATE_TYPE_NAMES.length).fill(0),
      );
      out.set(zi, c);
    }
    return c;
  };
  if (snap.pagetypeinfo) {
    for (const row of snap.pagetypeinfo.free) {
      const zi = zoneIndex(m, row.node, row.zone);
      const mt = (MIGRATE_TYPE_NAMES as readonly string[]).indexOf(row.type);
      if (zi < 0 || mt < 0) continue;
      const c = get(zi);
      row.blocks.forEach((n, o) => {
        if (o < m.nrOrders) c[o]![mt]! += n;
      });
    }
  } else if (snap.buddyinfo) {
    for (const row of snap.buddyinfo) {
      const zi = zoneIndex(m, row.node, row.zone);
      if (zi < 0) continue;
      const c = get(zi);
      row.freeBlocks.forEach((n, o) => {
        if (o < m.nrOrders) c[o]![MigrateType.MOVABLE]! += n;
      });
    }
  }
  return out;
}

function pcpCounts(m: PageAllocator, snap: SeedSnapshots): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (const z of snap.zoneinfo ?? []) {
    const zi = zoneIndex(m, z.node, z.name);
    if (zi < 0) continue;
    for (const p of z.pagesets) if (p.count > 0) out.push([zi, p.cpu, p.count]);
  }
  return out;
}

/**
 * Faithful seeding: adds the snapshot's free blocks and pcp pages as unlocated counts. The
 * allocator should have been built with `initial: "unknown"`.
 *
 * @example
 * ```ts
 * import { seedUnlocated } from "./snapshot_seed.ts";
 * import { UnlocatedPool } from "./unlocated_pool.ts";
 * import { PageAllocator } from "../../mm/page_allocator.ts";
 * import { machineSpecFromZoneinfo } from "../../mm/machine_spec.ts";
 * import { parseZoneinfo } from "../../snapshot/zoneinfo.ts";
 * import { parseBuddyinfo } from "../../snapshot/buddyinfo.ts";
 * const dir = "../shared/traces/mixed/";
 * const zoneinfo = parseZoneinfo(Deno.readTextFileSync(dir + "before.zoneinfo"));
 * const { machine, forced } = PageAllocator.withForcedState(machineSpecFromZoneinfo(zoneinfo), {
 *   initial: "unknown",
 * });
 * const buddyinfo = parseBuddyinfo(Deno.readTextFileSync(dir + "before.buddyinfo"));
 * seedUnlocated(new UnlocatedPool(machine, forced), { zoneinfo, buddyinfo });
 * machine.zones[2]!.freePages; // 267995
 * ```
 */
export function seedUnlocated(pool: UnlocatedPool, snap: SeedSnapshots): SeedReport {
  const m = pool.machine;
  const report: SeedReport = { freeBlocks: {}, unplaced: 0, pcpPages: 0 };
  // Types first: blocks located from kpageflags go on their pageblock's list.
  seedPageblockTypes(m, pool.forced, snap, new Map());
  const k = snap.kpageflags;
  for (const [zi, c] of freeCounts(m, snap)) {
    const z = m.zones[zi]!;
    if (k && k.firstPfn <= z.startPfn && k.endPfn >= z.endPfn && z.endPfn > z.startPfn) {
      const bi = snap.buddyinfo?.find((r) => r.node === z.node && r.zone === z.name);
      const pt = snap.pagetypeinfo?.blockCounts.find((r) => r.node === z.node && r.zone === z.name);
      const ptBlocks = pt ? Object.values(pt.counts).reduce((a, b) => a + b, 0) : undefined;
      const check = seedZoneFromKpageflags(pool, zi, k, bi?.freeBlocks ?? [], ptBlocks);
      (report.kpageflags ??= []).push(check);
      report.freeBlocks[z.name] = check.kpageflagsBlocks.reduce((a, b) => a + b, 0);
      continue;
    }
    let n = 0;
    c.forEach((row, o) =>
      row.forEach((blocks, mt) => {
        if (blocks > 0) pool.add(zi, o, mt, blocks);
        n += blocks;
      })
    );
    report.freeBlocks[m.zones[zi]!.name] = n;
    pool.forced.noteFree(zi);
  }
  for (const [zi, cpu, pages] of pcpCounts(m, snap)) {
    pool.addPcp(zi, cpu, pages);
    report.pcpPages += pages;
  }
  return report;
}

/** Spreads the remaining pageblock-type counts over pageblocks not yet typed by placement. */
function seedPageblockTypes(
  m: PageAllocator,
  forced: ForcedPageState,
  snap: SeedSnapshots,
  typed: Map<number, Set<number>>,
): void {
  for (const row of snap.pagetypeinfo?.blockCounts ?? []) {
    const zi = zoneIndex(m, row.node, row.zone);
    if (zi < 0) continue;
    const z = m.zones[zi]!;
    const remaining = MIGRATE_TYPE_NAMES.map((name) => row.counts[name] ?? 0);
    const done = typed.get(zi) ?? new Set<number>();
    for (const b of done) {
      remaining[m.pageblockMt[b]!] = Math.max(0, remaining[m.pageblockMt[b]!]! - 1);
    }
    const first = Math.ceil(z.startPfn / m.pageblockPages);
    const last = Math.floor(z.endPfn / m.pageblockPages);
    // Proportional interleave: each block takes the type furthest behind its share.
    const total = remaining.reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const given = remaining.map(() => 0);
    let k = 0;
    for (let b = first; b < last; b++) {
      if (done.has(b)) continue;
      k++;
      let best = MigrateType.MOVABLE as number;
      let bestLag = -Infinity;
      remaining.forEach((n, mt) => {
        if (n === 0) return;
        const lag = (n * k) / total - given[mt]!;
        if (lag > bestLag) {
          bestLag = lag;
          best = mt;
        }
      });
      given[best]!++;
      forced.setPageblockMt(b, best);
    }
  }
}

/**
 * Policy seeding: synthesises a pfn layout with exactly the snapshot's free blocks per (zone,
 * order, type), pageblock type counts as close as placement allows, pcp page counts, and
 * pre-existing allocations for the rest. The allocator should be fresh (built with
 * `initial: "free"`).
 *
 * @example
 * ```ts
 * import { seedLayout } from "./snapshot_seed.ts";
 * import { PreexistingPool } from "./preexisting_pool.ts";
 * import { PageAllocator } from "../../mm/page_allocator.ts";
 * import { machineSpecFromZoneinfo } from "../../mm/machine_spec.ts";
 * import { parseZoneinfo } from "../../snapshot/zoneinfo.ts";
 * import { parseBuddyinfo } from "../../snapshot/buddyinfo.ts";
 * const dir = "../shared/traces/mixed/";
 * const zoneinfo = parseZoneinfo(Deno.readTextFileSync(dir + "before.zoneinfo"));
 * const { machine, forced } = PageAllocator.withForcedState(machineSpecFromZoneinfo(zoneinfo));
 * const buddyinfo = parseBuddyinfo(Deno.readTextFileSync(dir + "before.buddyinfo"));
 * seedLayout(new PreexistingPool(machine, forced), { zoneinfo, buddyinfo });
 * machine.zones[2]!.freePages; // 267995
 * ```
 */
export function seedLayout(pool: PreexistingPool, snap: SeedSnapshots): SeedReport {
  const m = pool.machine;
  const forced = pool.forced;
  const report: SeedReport = { freeBlocks: {}, unplaced: 0, pcpPages: 0 };
  const counts = freeCounts(m, snap);
  const typed = new Map<number, Set<number>>();
  const placedPages = new Map<number, number>();
  for (const z of m.zones) {
    const c = counts.get(z.index);
    if (!c) continue; // zone not in the snapshot: leave it as booted
    const done = new Set<number>();
    typed.set(z.index, done);
    // 1. The whole span becomes detached (to be placed, pre-existing, or a hole again): the
    //    real machine's free blocks were somewhere in the span, holes included.
    const usableEnd = z.endPfn;
    for (let q = z.startPfn; q < usableEnd;) {
      const h = m.headOf(q);
      const o = m.orderAt(h);
      const st = m.stateAt(h);
      if (st === PageState.BUDDY || st === PageState.HOLE) forced.carve(h, o);
      q = h + (1 << o);
    }
    // 2. Place free blocks from the largest order down: large blocks at the first free aligned
    //    region, small ones packed into pageblocks of their type (fresh pageblocks taken in pfn
    //    order, partly holed ones included), never next to a free buddy of the same order.
    const pbPages = m.pageblockPages;
    const largeCursor = new Array<number>(m.nrOrders).fill(z.startPfn);
    const pbCursor = new Array<number>(MIGRATE_TYPE_NAMES.length).fill(-1);
    const posCursor = new Array<number>(MIGRATE_TYPE_NAMES.length).fill(-1);
    let freshPb = Math.floor(z.startPfn / pbPages);
    const lastPb = Math.ceil(usableEnd / pbPages);
    const canPlace = (p: number, o: number): boolean => {
      const size = 1 << o;
      if (p < z.startPfn || p + size > usableEnd || !isDetachedRange(m, p, size)) return false;
      const buddy = p ^ size;
      return !(o < m.maxOrder && m.headOf(buddy) === buddy &&
        m.stateAt(buddy) === PageState.BUDDY && m.orderAt(buddy) === o);
    };
    const placeLarge = (o: number): number => {
      const size = 1 << o;
      for (let p = Math.ceil(largeCursor[o]! / size) * size; p + size <= usableEnd; p += size) {
        if (canPlace(p, o)) {
          largeCursor[o] = p + size;
          return p;
        }
      }
      largeCursor[o] = usableEnd;
      return -1;
    };
    const placeSmall = (o: number, mt: number): number => {
      const size = 1 << o;
      for (;;) {
        if (pbCursor[mt]! >= 0) {
          const pbEnd = (pbCursor[mt]! + 1) * pbPages;
          for (let p = Math.ceil(posCursor[mt]! / size) * size; p + size <= pbEnd; p += size) {
            if (canPlace(p, o)) {
              posCursor[mt] = p + size;
              return p;
            }
          }
        }
        // Next fresh pageblock with at least some detached memory.
        while (
          freshPb < lastPb && (done.has(freshPb) || !anyDetached(m, freshPb * pbPages, pbPages))
        ) {
          freshPb++;
        }
        if (freshPb >= lastPb) return -1;
        pbCursor[mt] = freshPb;
        posCursor[mt] = freshPb * pbPages;
        forced.setPageblockMt(freshPb, mt);
        done.add(freshPb);
        freshPb++;
      }
    };
    let placed = 0;
    for (let o = m.maxOrder; o >= 0; o--) {
      for (let mt = 0; mt < MIGRATE_TYPE_NAMES.length; mt++) {
        let n = c[o]![mt]!;
        while (n > 0) {
          const size = 1 << o;
          const p = o >= m.pageblockOrder ? placeLarge(o) : placeSmall(o, mt);
          if (p < 0) {
            report.unplaced += n;
            break;
          }
          if (o >= m.pageblockOrder) {
            for (let b = p >>> m.pageblockOrder; b < (p + size) >>> m.pageblockOrder; b++) {
              forced.setPageblockMt(b, mt);
              done.add(b);
            }
          }
          forced.placeFree(z.index, p, o, mt);
          placed++;
          placedPages.set(z.index, (placedPages.get(z.index) ?? 0) + size);
          n--;
        }
      }
    }
    report.freeBlocks[z.name] = placed;
  }
  seedPageblockTypes(m, forced, snap, typed);
  // 3. Detached pages up to the managed count are pre-existing allocations, the rest holes.
  for (const z of m.zones) {
    if (!counts.has(z.index)) continue;
    let budget = z.managedPages - (placedPages.get(z.index) ?? 0);
    for (let q = z.startPfn; q < z.endPfn;) {
      const h = m.headOf(q);
      const o = m.orderAt(h);
      if (m.stateAt(h) === PageState.DETACHED) {
        if (budget >= 1 << o) {
          pool.add(z.index, h, o, m.pageblockMtOf(h));
          budget -= 1 << o;
        } else forced.setHole(h, o);
      }
      q = h + (1 << o);
    }
  }
  // 4. Pcp pages come out of the pre-existing pool.
  for (const [zi, cpu, pages] of pcpCounts(m, snap)) {
    for (let i = 0; i < pages; i++) {
      const pfn = pool.take(zi, 0);
      if (pfn < 0) break;
      forced.carve(pfn, 0);
      let mt = m.pageblockMtOf(pfn);
      if (mt >= MIGRATE_PCPTYPES) mt = MigrateType.MOVABLE;
      // Without pcp lists (what-if) those free pages sit in buddy instead.
      if (m.spec.pcpEnabled) forced.pcpAdd(zi, cpu, pfn, 0, mt, true);
      else forced.freeDetached(pfn, 0, cpu, true);
      report.pcpPages++;
    }
  }
  for (const z of m.zones) forced.noteFree(z.index);
  return report;
}

function isDetachedRange(m: PageAllocator, pfn: number, size: number): boolean {
  for (let q = pfn; q < pfn + size;) {
    const h = m.headOf(q);
    if (m.stateAt(h) !== PageState.DETACHED) return false;
    q = h + (1 << m.orderAt(h));
  }
  return true;
}

function anyDetached(m: PageAllocator, pfn: number, size: number): boolean {
  for (let q = pfn; q < pfn + size;) {
    const h = m.headOf(q);
    if (m.stateAt(h) === PageState.DETACHED) return true;
    q = h + (1 << m.orderAt(h));
  }
  return false;
}
