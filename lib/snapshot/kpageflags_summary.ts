/**
 * What a kpageflags snapshot says about each zone: the free buddy blocks at their pfns and the
 * pages per kind (slab, LRU anon/file, page table, reserved, hole …) and per KPF bit.
 *
 * Free blocks: on v6.x every page of a free buddy block carries KPF_BUDDY (fs/proc/page.c
 * `stable_page_flags`: PageBuddy on the head, `is_free_buddy_page` for the rest), so the blocks
 * are not visible as such, only maximal runs of free pages. Each run is cut into aligned
 * power-of-two blocks, largest first, up to MAX_PAGE_ORDER. That is the kernel's own layout
 * because `__free_one_page` (mm/page_alloc.c) merges a freed block with its free buddy of equal
 * order at once, so two free buddies of one order never coexist; the exceptions (buddies in
 * pageblocks of unmergeable migratetypes — isolate, CMA, highatomic — at order ≥ pageblock
 * order) show as a difference against /proc/buddyinfo. Pages on per-cpu lists are not buddy
 * pages and read as 0, like flagless allocated pages.
 *
 * @module
 */

import { MAX_PAGE_ORDER } from "../kernel/constants.ts";
import { KPF, KPF_NAMES, kpfBit, type KpfName } from "../kernel/kpage_flags.ts";
import { assertNever } from "../calls/call_kind.ts";
import type { Kpageflags } from "./kpageflags.ts";
import type { ZoneInfo } from "./zoneinfo.ts";

/**
 * What a page is, one kind per page, the first that applies in this order: a hole, free in the
 * buddy, offline, slab, page table, hugetlb, the zero page, reserved, on an anon LRU
 * (swap-backed: anon and shmem), on a file LRU, no flag at all (flagless kernel allocations,
 * per-cpu-list pages, never-initialised memory), other.
 */
export type KpfKind =
  | "hole"
  | "buddy"
  | "offline"
  | "slab"
  | "pgtable"
  | "hugetlb"
  | "zero"
  | "reserved"
  | "lru_anon"
  | "lru_file"
  | "noflags"
  | "other";

/** All kinds, in precedence order. */
export const KPF_KINDS: readonly KpfKind[] = [
  "hole",
  "buddy",
  "offline",
  "slab",
  "pgtable",
  "hugetlb",
  "zero",
  "reserved",
  "lru_anon",
  "lru_file",
  "noflags",
  "other",
];

/**
 * The kind of a flag word given as its two 32-bit halves.
 *
 * @example
 * ```ts
 * import { kpfKind } from "./kpageflags_summary.ts";
 * kpfKind(0x400, 0); // "buddy"
 * kpfKind(0x5828, 0); // "lru_anon" (UPTODATE LRU MMAP ANON SWAPBACKED)
 * kpfKind(0, 1); // "reserved"
 * ```
 */
export function kpfKind(lo: number, hi: number): KpfKind {
  for (const kind of KPF_KINDS) if (kindApplies(kind, lo, hi)) return kind;
  return "other";
}

function kindApplies(kind: KpfKind, lo: number, hi: number): boolean {
  const has = (bit: number) => kpfBit(lo, hi, bit);
  switch (kind) {
    case "hole":
      return has(KPF.NOPAGE);
    case "buddy":
      return has(KPF.BUDDY);
    case "offline":
      return has(KPF.OFFLINE);
    case "slab":
      return has(KPF.SLAB);
    case "pgtable":
      return has(KPF.PGTABLE);
    case "hugetlb":
      return has(KPF.HUGE);
    case "zero":
      return has(KPF.ZERO_PAGE);
    case "reserved":
      return has(KPF.RESERVED);
    case "lru_anon":
      return has(KPF.LRU) && has(KPF.SWAPBACKED);
    case "lru_file":
      return has(KPF.LRU) && !has(KPF.SWAPBACKED);
    case "noflags":
      return lo === 0 && hi === 0;
    case "other":
      return true;
    default:
      return assertNever(kind);
  }
}

/** A pfn range to summarise, usually a zone's span. */
export interface KpfZoneRange {
  node: number;
  /** Zone name (`DMA32`, `Normal`, …). */
  name: string;
  startPfn: number;
  /** One past the last pfn. */
  endPfn: number;
}

/**
 * The spans of the populated zones of a /proc/zoneinfo snapshot (`start_pfn` + `spanned`).
 *
 * @example
 * ```ts
 * import { kpfZoneRanges } from "./kpageflags_summary.ts";
 * import { parseZoneinfo } from "./zoneinfo.ts";
 * const z = parseZoneinfo(
 *   "Node 0, zone      DMA\n  pages free 3\n  min 1\n  low 1\n  high 1\n  spanned 4095\n" +
 *     "  present 3998\n  managed 3840\n  protection: (0, 0)\n  start_pfn: 1\n",
 * );
 * kpfZoneRanges(z); // [{ node: 0, name: "DMA", startPfn: 1, endPfn: 4096 }]
 * ```
 */
export function kpfZoneRanges(zones: readonly ZoneInfo[]): KpfZoneRange[] {
  return zones.filter((z) => z.populated).map((z) => ({
    node: z.node,
    name: z.name,
    startPfn: z.startPfn,
    endPfn: z.startPfn + z.spannedPages,
  }));
}

/** Free buddy blocks of a range, decomposed from its KPF_BUDDY runs. */
export interface KpfFreeBlocks {
  /** First pfn of each block, ascending. */
  pfn: Float64Array;
  /** Order of each block. */
  order: Uint8Array;
  /** Blocks per order (index = order, 0 … maxOrder), as /proc/buddyinfo counts them. */
  perOrder: number[];
  /** Pages in free blocks. */
  pages: number;
}

/**
 * Cuts the KPF_BUDDY runs inside `[fromPfn, toPfn)` into aligned blocks of order ≤ `maxOrder`,
 * largest first (see the module documentation for why this is the kernel's layout).
 *
 * @example
 * ```ts
 * import { encodeKpageflags, decodeKpageflags } from "./kpageflags.ts";
 * import { kpfFreeBlocks } from "./kpageflags_summary.ts";
 * // pfns 1..6 free: blocks 1 (order 0), 2-3 (order 1), 4-5 (order 1), 6 (order 0)
 * const raw = new BigUint64Array([0n, 1024n, 1024n, 1024n, 1024n, 1024n, 1024n, 0n]);
 * const b = kpfFreeBlocks(decodeKpageflags(encodeKpageflags(new Uint8Array(raw.buffer))), 0, 8, 2);
 * b.perOrder; // [2, 2, 0]: 2-5 is not one order-2 block, 2 is not aligned to 4
 * ```
 */
export function kpfFreeBlocks(
  snap: Kpageflags,
  fromPfn: number,
  toPfn: number,
  maxOrder: number = MAX_PAGE_ORDER,
): KpfFreeBlocks {
  const from = Math.max(fromPfn, snap.firstPfn);
  const to = Math.min(toPfn, snap.endPfn);
  const perOrder = new Array<number>(maxOrder + 1).fill(0);
  let pfn = new Float64Array(1024);
  let order = new Uint8Array(1024);
  let n = 0;
  let pages = 0;
  const add = (p: number, o: number) => {
    if (n === pfn.length) {
      const np = new Float64Array(n * 2);
      np.set(pfn);
      pfn = np;
      const no = new Uint8Array(n * 2);
      no.set(order);
      order = no;
    }
    pfn[n] = p;
    order[n] = o;
    n++;
    perOrder[o]!++;
    pages += 2 ** o;
  };
  const isBuddy = new Uint8Array(snap.wordLo.length);
  for (let w = 0; w < isBuddy.length; w++) {
    isBuddy[w] = kpfBit(snap.wordLo[w]!, snap.wordHi[w]!, KPF.BUDDY) ? 1 : 0;
  }
  let runFrom = -1;
  const flush = (end: number) => {
    for (let p = runFrom; p < end;) {
      let o = 0;
      while (o < maxOrder && p % 2 ** (o + 1) === 0 && p + 2 ** (o + 1) <= end) o++;
      add(p, o);
      p += 2 ** o;
    }
    runFrom = -1;
  };
  if (from < to) {
    for (let r = snap.runAt(from); r < snap.runCount && snap.runStart[r]! < to; r++) {
      const s = Math.max(from, snap.runStart[r]!);
      if (isBuddy[snap.runWord[r]!] === 1) {
        if (runFrom < 0) runFrom = s;
      } else if (runFrom >= 0) flush(s);
    }
    if (runFrom >= 0) flush(to);
  }
  return { pfn: pfn.slice(0, n), order: order.slice(0, n), perOrder, pages };
}

/** What a snapshot says about one zone. */
export interface KpfZoneSummary {
  node: number;
  zone: string;
  startPfn: number;
  endPfn: number;
  /** Pfns of the range that the snapshot does not cover (counted nowhere else). */
  uncoveredPages: number;
  /** Pages per kind (see {@linkcode KpfKind}); they add up to the covered pages. */
  kindPages: Record<KpfKind, number>;
  /** Pages with each KPF bit set (compound head/tail, THP, anon, mmap …). */
  bitPages: Record<KpfName, number>;
  /** The free buddy blocks. */
  free: KpfFreeBlocks;
}

/**
 * Summarises each range: kinds, bits and free blocks.
 *
 * @example
 * ```ts
 * import { encodeKpageflags, decodeKpageflags } from "./kpageflags.ts";
 * import { summarizeKpageflags } from "./kpageflags_summary.ts";
 * const raw = new BigUint64Array([1n << 20n, 1024n, 1024n, 0x80n]);
 * const k = decodeKpageflags(encodeKpageflags(new Uint8Array(raw.buffer)));
 * const [z] = summarizeKpageflags(k, [{ node: 0, name: "DMA", startPfn: 0, endPfn: 4 }]);
 * z!.kindPages.hole; // 1
 * z!.kindPages.slab; // 1
 * z!.free.perOrder.slice(0, 2); // [2, 0]
 * ```
 */
export function summarizeKpageflags(
  snap: Kpageflags,
  zones: readonly KpfZoneRange[],
  maxOrder: number = MAX_PAGE_ORDER,
): KpfZoneSummary[] {
  const words = snap.wordLo.length;
  const kindOf: KpfKind[] = [];
  for (let w = 0; w < words; w++) kindOf.push(kpfKind(snap.wordLo[w]!, snap.wordHi[w]!));
  return zones.map((z) => {
    const kindPages = Object.fromEntries(KPF_KINDS.map((k) => [k, 0])) as Record<KpfKind, number>;
    const perWord = new Float64Array(words);
    const from = Math.max(z.startPfn, snap.firstPfn);
    const to = Math.min(z.endPfn, snap.endPfn);
    if (from < to) {
      for (let r = snap.runAt(from); r < snap.runCount && snap.runStart[r]! < to; r++) {
        perWord[snap.runWord[r]!]! += Math.min(to, snap.runStart[r + 1]!) -
          Math.max(from, snap.runStart[r]!);
      }
    }
    const bitPages = Object.fromEntries(KPF_NAMES.map((n) => [n, 0])) as Record<KpfName, number>;
    let covered = 0;
    for (let w = 0; w < words; w++) {
      const pages = perWord[w]!;
      if (pages === 0) continue;
      covered += pages;
      kindPages[kindOf[w]!] += pages;
      for (const name of KPF_NAMES) {
        if (kpfBit(snap.wordLo[w]!, snap.wordHi[w]!, KPF[name])) bitPages[name] += pages;
      }
    }
    return {
      node: z.node,
      zone: z.name,
      startPfn: z.startPfn,
      endPfn: z.endPfn,
      uncoveredPages: z.endPfn - z.startPfn - covered,
      kindPages,
      bitPages,
      free: kpfFreeBlocks(snap, z.startPfn, z.endPfn, maxOrder),
    };
  });
}
