/**
 * The bits of a /proc/kpageflags word (one little-endian u64 per pfn, fs/proc/page.c
 * `stable_page_flags`). Bits 0–26 are the stable ABI (include/uapi/linux/kernel-page-flags.h);
 * bits 32–42 are "kernel hacking assistances" that may change (include/linux/kernel-page-flags.h).
 *
 * What fs/proc/page.c (v6.x) sets, where it matters here:
 * - KPF_NOPAGE alone for a pfn without an online struct page (a hole, `pfn_to_online_page`).
 * - KPF_BUDDY on every page of a free buddy block: the head is `PageBuddy`, the other pages
 *   have a zero refcount and `is_free_buddy_page` (mm/page_alloc.c) finds a PageBuddy head of a
 *   large enough order above them. Pages on per-cpu lists are not in the buddy: no KPF_BUDDY,
 *   and their flags were cleared when freed, so they read as 0.
 * - Folio flags (LRU, SLAB, ANON, SWAPBACKED, THP …) are read from the folio, so the tail pages
 *   of a compound page carry them too, plus KPF_COMPOUND_TAIL.
 *
 * @module
 */

/** Bit numbers of a kpageflags word. */
export const KPF = {
  LOCKED: 0,
  ERROR: 1,
  REFERENCED: 2,
  UPTODATE: 3,
  DIRTY: 4,
  LRU: 5,
  ACTIVE: 6,
  SLAB: 7,
  WRITEBACK: 8,
  RECLAIM: 9,
  BUDDY: 10,
  MMAP: 11,
  ANON: 12,
  SWAPCACHE: 13,
  SWAPBACKED: 14,
  COMPOUND_HEAD: 15,
  COMPOUND_TAIL: 16,
  HUGE: 17,
  UNEVICTABLE: 18,
  HWPOISON: 19,
  NOPAGE: 20,
  KSM: 21,
  THP: 22,
  OFFLINE: 23,
  ZERO_PAGE: 24,
  IDLE: 25,
  PGTABLE: 26,
  RESERVED: 32,
  MLOCKED: 33,
  OWNER_2: 34,
  PRIVATE: 35,
  PRIVATE_2: 36,
  OWNER_PRIVATE: 37,
  ARCH: 38,
  UNCACHED: 39,
  SOFTDIRTY: 40,
  ARCH_2: 41,
  ARCH_3: 42,
} as const;

/** A named kpageflags bit (`LRU`, `SLAB`, …). */
export type KpfName = keyof typeof KPF;

/** All bit names, in bit order. */
export const KPF_NAMES: readonly KpfName[] = (Object.keys(KPF) as KpfName[]).sort((a, b) =>
  KPF[a] - KPF[b]
);

/**
 * Whether bit `bit` is set in the word given as its low and high 32-bit halves (the words are
 * 64-bit, beyond a JS number's exact range, so they are kept as two uint32).
 *
 * @example
 * ```ts
 * import { KPF, kpfBit } from "./kpage_flags.ts";
 * kpfBit(1 << KPF.BUDDY, 0, KPF.BUDDY); // true
 * kpfBit(0, 1, KPF.RESERVED); // true
 * ```
 */
export function kpfBit(lo: number, hi: number, bit: number): boolean {
  return bit < 32 ? ((lo >>> bit) & 1) === 1 : ((hi >>> (bit - 32)) & 1) === 1;
}

/**
 * The names of the bits set in a word, for messages and tables.
 *
 * @example
 * ```ts
 * import { kpfNames } from "./kpage_flags.ts";
 * kpfNames(0x28, 0); // ["UPTODATE", "LRU"]
 * ```
 */
export function kpfNames(lo: number, hi: number): KpfName[] {
  return KPF_NAMES.filter((n) => kpfBit(lo, hi, KPF[n]));
}
