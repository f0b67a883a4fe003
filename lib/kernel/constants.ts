/**
 * Kernel constants the emulator and the parsers depend on, each with the kernel source file it
 * comes from. Nothing else in lib/ may spell these numbers out.
 *
 * @module
 */

/** Page shift for 4 KiB pages (arch/x86/include/asm/page_types.h). */
export const PAGE_SHIFT_4K = 12;
/** Default page size in bytes (arch/x86/include/asm/page_types.h). */
export const PAGE_SIZE_4K_BYTES = 1 << PAGE_SHIFT_4K;

/** Largest buddy order, inclusive (include/linux/mmzone.h, MAX_PAGE_ORDER since v6.8). */
export const MAX_PAGE_ORDER = 10;
/** Number of buddy orders, 0..MAX_PAGE_ORDER (include/linux/mmzone.h). */
export const NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;
/** Pageblock order on x86-64: min(HUGETLB_PAGE_ORDER, MAX_PAGE_ORDER) (include/linux/pageblock-flags.h). */
export const PAGEBLOCK_ORDER = 9;
/** Orders above this are "costly" (include/linux/mmzone.h). */
export const PAGE_ALLOC_COSTLY_ORDER = 3;
/** THP order on x86-64 with 4 KiB pages (include/linux/huge_mm.h, HPAGE_PMD_ORDER). */
export const HPAGE_PMD_ORDER = 9;

/**
 * Migrate types, v4.4+ numbering (include/linux/mmzone.h, enum migratetype). CMA and ISOLATE
 * depend on CONFIG_CMA / CONFIG_MEMORY_ISOLATION; these are the values of a typical distro config.
 */
export const MigrateType = {
  UNMOVABLE: 0,
  MOVABLE: 1,
  RECLAIMABLE: 2,
  HIGHATOMIC: 3,
  CMA: 4,
  ISOLATE: 5,
} as const;
/** A migrate type number (see {@linkcode MigrateType}). */
export type MigrateType = typeof MigrateType[keyof typeof MigrateType];
/** MIGRATE_PCPTYPES: types below this have per-cpu lists (include/linux/mmzone.h). */
export const MIGRATE_PCPTYPES = 3;
/** MIGRATE_TYPES with CMA and memory isolation configured (include/linux/mmzone.h). */
export const MIGRATE_TYPES = 6;
/** Names as /proc/pagetypeinfo prints them (mm/page_alloc.c, migratetype_names). */
export const MIGRATE_TYPE_NAMES = [
  "Unmovable",
  "Movable",
  "Reclaimable",
  "HighAtomic",
  "CMA",
  "Isolate",
] as const;

/** Zone types in kernel order (include/linux/mmzone.h, enum zone_type; names from mmflags.h). */
export const ZONE_NAMES = ["DMA", "DMA32", "Normal", "HighMem", "Movable"] as const;
/** A zone name as the kernel prints it. */
export type ZoneName = typeof ZONE_NAMES[number];

/** Smallest kmalloc cache in bytes on x86 (include/linux/slab.h, KMALLOC_MIN_SIZE). */
export const KMALLOC_MIN_SIZE_BYTES = 8;
/** Largest kmalloc served by a slab cache, 2 pages (include/linux/slab.h, KMALLOC_MAX_CACHE_SIZE). */
export const KMALLOC_MAX_CACHE_SIZE_BYTES = 8192;
/** kmalloc size classes in bytes (mm/slab_common.c, kmalloc_info). */
export const KMALLOC_SIZES_BYTES = [
  8,
  16,
  32,
  64,
  96,
  128,
  192,
  256,
  512,
  1024,
  2048,
  4096,
  8192,
] as const;
/** Default slub_max_order = PAGE_ALLOC_COSTLY_ORDER (mm/slub.c). */
export const SLUB_MAX_ORDER_DEFAULT = PAGE_ALLOC_COSTLY_ORDER;
/** Bound on objects per slab encoded in s->oo (mm/slub.c, MAX_OBJS_PER_PAGE). */
export const MAX_OBJS_PER_PAGE = 32767;

/** Default watermark_scale_factor, in units of 1/10000 (mm/page_alloc.c). */
export const WATERMARK_SCALE_FACTOR_DEFAULT = 10;
/** Default watermark_boost_factor, in units of 1/10000 (mm/page_alloc.c). */
export const WATERMARK_BOOST_FACTOR_DEFAULT = 15000;
/** Default sysctl_lowmem_reserve_ratio per zone type (mm/page_alloc.c). */
export const LOWMEM_RESERVE_RATIO_DEFAULT = [256, 256, 32, 0, 0] as const;
/** Default vm.extfrag_threshold (mm/compaction.c). */
export const EXTFRAG_THRESHOLD_DEFAULT = 500;

/** Direct-map base on x86-64 without KASLR (arch/x86/include/asm/page_64_types.h, __PAGE_OFFSET). */
export const X86_64_PAGE_OFFSET = 0xffff888000000000n;
/** x86-64 MAX_DMA_PFN: 16 MiB (arch/x86/include/asm/dma.h). */
export const X86_MAX_DMA_PFN_4K = 4096;
/** x86-64 MAX_DMA32_PFN: 4 GiB (arch/x86/include/asm/dma.h). */
export const X86_MAX_DMA32_PFN_4K = 0x100000;
