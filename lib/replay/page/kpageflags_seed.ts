/**
 * Starting a faithful replay from a before.kpageflags snapshot (/proc/kpageflags, fs/proc/page.c):
 * the real machine's state per pfn instead of counts.
 *
 * - KPF_NOPAGE pfns (no online struct page) become holes.
 * - KPF_BUDDY pfns are free buddy pages: on 6.x every page of a free block carries it
 *   (`is_free_buddy_page`, mm/page_alloc.c), so each maximal run of them is decomposed into
 *   aligned blocks of at most MAX_PAGE_ORDER at their real pfns. Adjacent free blocks that the
 *   kernel keeps apart (different migratetypes, isolation) come out merged: the decomposition is
 *   cross-checked against the snapshot's buddyinfo per order and the differences are reported.
 * - Whole pageblocks of pfns with no flag at all are holes when the other pageblocks alone make
 *   /proc/pagetypeinfo's count for the zone (on a 6.18 VM the PCI hole below 4 GiB reads as
 *   flagless words, not KPF_NOPAGE), else allocations without flags.
 * - Every other pfn is allocated before the trace: maximal runs become aligned pre-existing
 *   allocated blocks, so a free of any aligned block inside one is explained. Pages on per-cpu
 *   lists are not buddy pages and read like allocated ones with no flags; the zoneinfo pagesets'
 *   counts stay unlocated pcp pages that a page_alloc or pcp_drain of such a page consumes.
 *
 * A zone the snapshot does not cover whole is seeded from counts instead (snapshot_seed.ts).
 *
 * @module
 */

import { KPF, kpfBit } from "../../kernel/kpage_flags.ts";
import { AllocPageFlag } from "../../mm/page_allocator.ts";
import type { Kpageflags } from "../../snapshot/kpageflags.ts";
import type { UnlocatedPool } from "./unlocated_pool.ts";

/** Free blocks per order of one zone: from kpageflags against the snapshot's buddyinfo. */
export interface KpageflagsZoneCheck {
  node: number;
  zone: string;
  /** Free blocks per order decomposed from KPF_BUDDY runs. */
  kpageflagsBlocks: number[];
  /** Free blocks per order in before.buddyinfo (empty without it). */
  buddyinfoBlocks: number[];
  /** Free pages: KPF_BUDDY pages and buddyinfo's. */
  kpageflagsFreePages: number;
  buddyinfoFreePages: number;
  /** Pre-existing allocated pages and holes placed. */
  allocatedPages: number;
  holePages: number;
  /** Pages of whole pageblocks whose words are all zero (no flag at all). */
  flaglessBlockPages: number;
  /**
   * Whether those were taken as holes: the other pageblocks alone make pagetypeinfo's count of
   * the zone's pageblocks (else they are allocations without flags, e.g. vmalloc pages).
   */
  flaglessAsHoles: boolean;
}

/** Class of a pfn in the snapshot. */
const Kind = { HOLE: 0, FREE: 1, ALLOC: 2, ZERO: 3 } as const;

function kindOf(k: Kpageflags, run: number): number {
  const w = k.runWord[run]!;
  const lo = k.wordLo[w]!;
  const hi = k.wordHi[w]!;
  if (lo === 0 && hi === 0) return Kind.ZERO;
  if (kpfBit(lo, hi, KPF.NOPAGE)) return Kind.HOLE;
  return kpfBit(lo, hi, KPF.BUDDY) ? Kind.FREE : Kind.ALLOC;
}

/**
 * Seeds zone `zi` of the pool's machine from `k` (which must cover the zone's span). The zone
 * must still be never-seen memory (built with `initial: "unknown"`).
 *
 * @example
 * ```ts
 * import { seedZoneFromKpageflags } from "./kpageflags_seed.ts";
 * import { UnlocatedPool } from "./unlocated_pool.ts";
 * import { PageAllocator } from "../../mm/page_allocator.ts";
 * import { presetMachineSpec } from "../../mm/machine_spec.ts";
 * import { decodeKpageflags, encodeKpageflags } from "../../snapshot/kpageflags.ts";
 * const { machine, forced } = PageAllocator.withForcedState(
 *   presetMachineSpec("x86_64", { memoryBytes: 2 ** 30 }),
 *   { initial: "unknown" },
 * );
 * const raw = new BigUint64Array(machine.endPfn).fill(1n << 10n); // every page a free buddy page
 * const k = decodeKpageflags(encodeKpageflags(new Uint8Array(raw.buffer)));
 * const c = seedZoneFromKpageflags(new UnlocatedPool(machine, forced), 1, k, []);
 * [c.kpageflagsBlocks[10], machine.zones[1]!.freePages]; // [254, 260096]
 * ```
 */
export function seedZoneFromKpageflags(
  pool: UnlocatedPool,
  zi: number,
  k: Kpageflags,
  buddyinfoBlocks: readonly number[],
  pagetypeinfoBlocks?: number,
): KpageflagsZoneCheck {
  const m = pool.machine;
  const forced = pool.forced;
  const z = m.zones[zi]!;
  const flagless = flaglessBlocks(m.pageblockPages, m.pageblockZone, zi, z, k);
  const flaglessAsHoles = pagetypeinfoBlocks !== undefined &&
    flagless.withFlags === pagetypeinfoBlocks;
  const blocks = new Array<number>(m.nrOrders).fill(0);
  let allocatedPages = 0;
  let holePages = 0;
  let flaglessBlockPages = 0;
  const place = (kind: number, from: number, to: number) => {
    for (let p = from; p < to;) {
      let o = m.maxOrder;
      while (o > 0 && ((p & ((1 << o) - 1)) !== 0 || p + (1 << o) > to)) o--;
      if (kind === Kind.FREE) {
        forced.placeFree(zi, p, o, m.pageblockMtOf(p));
        blocks[o]!++;
      } else {
        forced.carve(p, o);
        if (kind === Kind.HOLE) {
          forced.setHole(p, o);
          holePages += 1 << o;
        } else {
          forced.setAllocated(p, o, m.pageblockMtOf(p), AllocPageFlag.PREEXISTING);
          allocatedPages += 1 << o;
        }
      }
      p += 1 << o;
    }
  };
  let runKind = -1;
  let runFrom = z.startPfn;
  const switchTo = (kind: number, from: number) => {
    if (kind === runKind) return;
    if (runKind >= 0 && from > runFrom) place(runKind, runFrom, from);
    runKind = kind;
    runFrom = from;
  };
  const pb = m.pageblockPages;
  for (let r = k.runAt(z.startPfn); r >= 0 && r < k.runCount; r++) {
    const from = Math.max(z.startPfn, k.runStart[r]!);
    if (from >= z.endPfn) break;
    const to = Math.min(z.endPfn, k.runStart[r + 1]!);
    const kind = kindOf(k, r);
    if (kind !== Kind.ZERO) {
      switchTo(kind, from);
      continue;
    }
    // No flags at all: allocated without flags (vmalloc …) or on a pcp list; whole pageblocks
    // of them are holes when the flagged blocks alone make pagetypeinfo's count (a VM's PCI
    // hole reads so, not as KPF_NOPAGE).
    const inFrom = Math.ceil(from / pb) * pb;
    const inTo = Math.floor(to / pb) * pb;
    if (inTo > inFrom) {
      flaglessBlockPages += inTo - inFrom;
      switchTo(Kind.ALLOC, from);
      switchTo(flaglessAsHoles ? Kind.HOLE : Kind.ALLOC, inFrom);
      switchTo(Kind.ALLOC, inTo);
    } else switchTo(Kind.ALLOC, from);
  }
  if (runKind >= 0) place(runKind, runFrom, z.endPfn);
  forced.noteFree(zi);
  let kpfFree = 0;
  blocks.forEach((n, o) => kpfFree += n << o);
  let biFree = 0;
  buddyinfoBlocks.forEach((n, o) => biFree += n * 2 ** o);
  return {
    node: z.node,
    zone: z.name,
    kpageflagsBlocks: blocks,
    buddyinfoBlocks: [...buddyinfoBlocks],
    kpageflagsFreePages: kpfFree,
    buddyinfoFreePages: biFree,
    allocatedPages,
    holePages,
    flaglessBlockPages,
    flaglessAsHoles,
  };
}

/** Pageblocks of zone `zi` with at least one flagged (non-zero) word in `k`. */
function flaglessBlocks(
  pbPages: number,
  pageblockZone: ArrayLike<number>,
  zi: number,
  z: { startPfn: number; endPfn: number },
  k: Kpageflags,
): { withFlags: number } {
  const first = Math.floor(z.startPfn / pbPages);
  const flagged = new Uint8Array(Math.ceil(z.endPfn / pbPages) - first);
  for (let r = k.runAt(z.startPfn); r >= 0 && r < k.runCount; r++) {
    const from = Math.max(z.startPfn, k.runStart[r]!);
    if (from >= z.endPfn) break;
    const w = k.runWord[r]!;
    if (k.wordLo[w] === 0 && k.wordHi[w] === 0) continue;
    const to = Math.min(z.endPfn, k.runStart[r + 1]!);
    flagged.fill(1, Math.floor(from / pbPages) - first, Math.ceil(to / pbPages) - first);
  }
  let withFlags = 0;
  for (let i = 0; i < flagged.length; i++) {
    if (flagged[i] && pageblockZone[first + i] === zi) withFlags++;
  }
  return { withFlags };
}
