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

/** Physical address bits of x86-64 with 5-level paging (arch/x86/include/asm/sparsemem.h). */
export const MAX_PHYSMEM_BITS_X86_64 = 52;

/**
 * Pointers printed with `%p` are hashed to 32 bits (lib/vsprintf.c `ptr_to_id`, the tracefs
 * `hash-ptr` option, on by default), while raw x86-64/arm64 kernel pointers are far above this:
 * a pointer key at or above it is a real address (its page means something).
 */
export const HASHED_POINTER_LIMIT = 0x1_0000_0000;

/** Largest buddy order, inclusive (include/linux/mmzone.h, MAX_PAGE_ORDER since v6.8). */
export const MAX_PAGE_ORDER = 10;
/**
 * Largest MAX_PAGE_ORDER any configuration allows: CONFIG_ARCH_FORCE_MAX_ORDER is at most
 * SECTION_SIZE_BITS − PAGE_SHIFT = 27 − 12 = 15 (arch/arm64/Kconfig, ARCH_FORCE_MAX_ORDER table
 * for 4K pages; include/linux/mmzone.h takes MAX_PAGE_ORDER from it).
 */
export const MAX_PAGE_ORDER_LIMIT = 15;
/** Smallest page size Linux builds: 4 KiB (PAGE_SHIFT 12, arch/x86/include/asm/page_types.h). */
export const PAGE_SIZE_MIN_BYTES = PAGE_SIZE_4K_BYTES;
/** Largest page size the emulator models: 64 KiB (arch/arm64/Kconfig ARM64_64K_PAGES, PAGE_SHIFT 16). */
export const PAGE_SIZE_MAX_BYTES = 1 << 16;
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

/** Page `commit` flag: events were lost before this ring-buffer page (kernel/trace/ring_buffer.c, RB_MISSED_EVENTS). */
export const RB_MISSED_EVENTS = 0x80000000;
/** Page `commit` flag: the lost-event count is stored as a long after the data (kernel/trace/ring_buffer.c, RB_MISSED_STORED). */
export const RB_MISSED_STORED = 0x40000000;

/** Bytes of one `struct page` on x86-64 (include/linux/mm_types.h; 64 with the usual config). */
export const STRUCT_PAGE_BYTES_X86_64 = 64;
/** Migratetypes whose pageblocks may merge with each other (include/linux/mmzone.h, migratetype_is_mergeable). */
export const MIGRATE_MERGEABLE_TYPES = 3;
/** Default lowmem_reserve_ratio index of ZONE_HIGHMEM clamp: HighMem/Movable min watermark bounds (mm/page_alloc.c, __setup_per_zone_wmarks, SWAP_CLUSTER_MAX..128). */
export const HIGHMEM_MIN_WMARK_LOWER_PAGES = 32;
/** Upper clamp of the HighMem/Movable min watermark (mm/page_alloc.c, __setup_per_zone_wmarks). */
export const HIGHMEM_MIN_WMARK_UPPER_PAGES = 128;
/** Divisor of managed pages for the HighMem/Movable min watermark (mm/page_alloc.c). */
export const HIGHMEM_MIN_WMARK_DIVISOR = 1024;
/** min_free_kbytes clamp (mm/page_alloc.c, calculate_min_free_kbytes). */
export const MIN_FREE_KBYTES_LOWER = 128;
/** min_free_kbytes upper clamp since v5.7 (mm/page_alloc.c, calculate_min_free_kbytes). */
export const MIN_FREE_KBYTES_UPPER = 262144;
/** Denominator of watermark_scale_factor / watermark_boost_factor (mm/page_alloc.c). */
export const WATERMARK_FACTOR_DENOMINATOR = 10000;
/** PCP lists per (zone, CPU): 3 types × orders 0..3 plus 2 THP lists (include/linux/mmzone.h, NR_PCP_LISTS). */
export const NR_LOWORDER_PCP_LISTS = MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1);
/** THP pcp lists (movable / other) with CONFIG_TRANSPARENT_HUGEPAGE (include/linux/mmzone.h, NR_PCP_THP). */
export const NR_PCP_THP = 2;
/** CONFIG_PCP_BATCH_SCALE_MAX default (mm/Kconfig). */
export const PCP_BATCH_SCALE_MAX = 5;
/** MIN_PERCPU_PAGELIST_HIGH_FRACTION: high_max = managed / 8 split over CPUs (mm/page_alloc.c). */
export const MIN_PERCPU_PAGELIST_HIGH_FRACTION = 8;
/** zone_batchsize caps the batch at 1 MiB worth of pages (mm/page_alloc.c). */
export const PCP_BATCH_CAP_BYTES = 1 << 20;
/** Alloc flags (mm/internal.h, ≥v6.3). Low two bits index the watermark: MIN 0, LOW 1, HIGH 2. */
export const AllocFlag = {
  WMARK_MIN: 0x00,
  WMARK_LOW: 0x01,
  WMARK_HIGH: 0x02,
  WMARK_MASK: 0x03,
  NO_WATERMARKS: 0x04,
  OOM: 0x08,
  NON_BLOCK: 0x10,
  MIN_RESERVE: 0x20,
  CPUSET: 0x40,
  CMA: 0x80,
  NOFRAGMENT: 0x100,
  HIGHATOMIC: 0x200,
  KSWAPD: 0x800,
} as const;
/** ALLOC_RESERVES: flags that grant access to reserves (mm/internal.h). */
export const ALLOC_RESERVES = AllocFlag.NON_BLOCK | AllocFlag.MIN_RESERVE | AllocFlag.HIGHATOMIC |
  AllocFlag.OOM;
/** i386 lowmem limit with the 3G/1G split: 896 MiB (arch/x86/include/asm/pgtable_32_areas.h, MAXMEM). */
export const I386_LOWMEM_BYTES = 896 * 1024 * 1024;
/** 16 MiB: x86 ZONE_DMA limit in bytes (arch/x86/include/asm/dma.h, MAX_DMA_ADDRESS). */
export const X86_DMA_LIMIT_BYTES = 16 * 1024 * 1024;
/** 4 GiB: ZONE_DMA32 limit in bytes on x86-64 and arm64 (arch/x86/include/asm/dma.h; arch/arm64/mm/init.c). */
export const DMA32_LIMIT_BYTES = 4 * 1024 * 1024 * 1024;
/** i386 direct-map base (arch/x86/include/asm/page_32_types.h, __PAGE_OFFSET with the 3G/1G split). */
export const I386_PAGE_OFFSET = 0xc0000000n;
/** arm64 linear-map base with 48-bit VA (arch/arm64/include/asm/memory.h, PAGE_OFFSET). */
export const ARM64_PAGE_OFFSET = 0xffff000000000000n;

/** SLUB: fewest partial slabs a node keeps even when empty (mm/slub.c, MIN_PARTIAL). */
export const SLUB_MIN_PARTIAL = 5;
/** SLUB: most partial slabs kept by the min_partial rule (mm/slub.c, MAX_PARTIAL). */
export const SLUB_MAX_PARTIAL = 10;
/** Default slub_min_order (mm/slub.c). */
export const SLUB_MIN_ORDER_DEFAULT = 0;
/** Waste fractions calculate_order tries, strictest first (mm/slub.c, 16 → 2). */
export const SLUB_ORDER_FRACTIONS = [16, 8, 4, 2] as const;
/**
 * cpu_partial object limits by s->size (mm/slub.c set_cpu_partial): ≥ PAGE_SIZE → 6,
 * ≥ 1024 → 24, ≥ 256 → 52, else 120.
 */
export const SLUB_CPU_PARTIAL_OBJECTS = {
  pageOrMore: 6,
  kib: 24,
  quarterKib: 52,
  small: 120,
} as const;
/** x86-64 L1 cache line, used by SLAB_HWCACHE_ALIGN (arch/x86/Kconfig.cpu, X86_L1_CACHE_SHIFT 6). */
export const X86_L1_CACHE_BYTES = 64;
/** Minimum slab object alignment: sizeof(unsigned long long) (include/linux/slab.h, ARCH_SLAB_MINALIGN). */
export const ARCH_SLAB_MINALIGN_BYTES = 8;
/** Word size: free-pointer size and object size rounding in calculate_sizes (mm/slub.c). */
export const POINTER_SIZE_BYTES = 8;
/** Largest kmalloc: 2^(MAX_PAGE_ORDER + PAGE_SHIFT) (include/linux/slab.h, KMALLOC_MAX_SIZE). */
export const KMALLOC_MAX_SIZE_BYTES = 4 * 1024 * 1024;
/** Entries 1..192 of kmalloc_size_index map (size-1)/8 to these caches (mm/slab_common.c). */
export const KMALLOC_SMALL_LIMIT_BYTES = 192;
/** x86-64 VMALLOC_START without KASLR, low 48 bits (arch/x86/include/asm/pgtable_64_types.h). */
export const X86_64_VMALLOC_START_KEY = 0xc90000000000;
/** x86-64 4-level VMALLOC_SIZE_TB = 32 TiB (arch/x86/include/asm/pgtable_64_types.h). */
export const X86_64_VMALLOC_SIZE_BYTES = 32 * 2 ** 40;
/** lazy_max_pages() base: 32 MiB of pages per log2 of online CPUs (mm/vmalloc.c). */
export const VMAP_LAZY_BASE_BYTES = 32 * 1024 * 1024;
/** sizeof(struct track) with stack depot on x86-64: addr, handle, cpu, pid, when (mm/slub.c). */
export const SLUB_TRACK_SIZE_BYTES = 32;
/**
 * Alignment of the x86-64 direct map base under KASLR: regions move in PUD_SIZE (1 GiB) steps
 * (arch/x86/mm/kaslr.c, kernel_randomize_memory: `entropy & PUD_MASK`).
 */
export const X86_64_DIRECT_MAP_ALIGN_BYTES = 2 ** 30;
