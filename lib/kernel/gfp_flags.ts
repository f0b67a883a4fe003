/**
 * GFP flag bits and the kernel's symbolic names for them, in one table.
 *
 * Bits are the current layout (include/linux/gfp_types.h, ≥v4.4 with names fixed in v6.x);
 * the print order of composite names is the one `show_gfp_flags` uses
 * (include/trace/events/mmflags.h), so {@linkcode formatGfp} reproduces the kernel's text.
 * Older spellings (no `__` prefix before v4.5, `__GFP_WAIT`, `__GFP_COLD`, `__GFP_ATOMIC` …) are
 * accepted by {@linkcode parseGfp} and mapped onto the current meaning.
 *
 * @module
 */

/** Single GFP bits (include/linux/gfp_types.h). */
export const GFP = {
  DMA: 0x01,
  HIGHMEM: 0x02,
  DMA32: 0x04,
  MOVABLE: 0x08,
  RECLAIMABLE: 0x10,
  HIGH: 0x20,
  IO: 0x40,
  FS: 0x80,
  ZERO: 0x100,
  /** __GFP_ATOMIC until v6.3 (removed in mm/internal.h rework). */
  ATOMIC: 0x200,
  DIRECT_RECLAIM: 0x400,
  KSWAPD_RECLAIM: 0x800,
  WRITE: 0x1000,
  NOWARN: 0x2000,
  RETRY_MAYFAIL: 0x4000,
  NOFAIL: 0x8000,
  NORETRY: 0x10000,
  MEMALLOC: 0x20000,
  COMP: 0x40000,
  NOMEMALLOC: 0x80000,
  HARDWALL: 0x100000,
  THISNODE: 0x200000,
  ACCOUNT: 0x400000,
  ZEROTAGS: 0x800000,
  /** CONFIG_KASAN_HW_TAGS only. */
  SKIP_ZERO: 0x1000000,
  /** CONFIG_KASAN_HW_TAGS only. */
  SKIP_KASAN: 0x2000000,
  /** CONFIG_LOCKDEP only. */
  NOLOCKDEP: 0x4000000,
  /** kmemreplay-private bits for flags that no longer exist (pre-v4.15 __GFP_COLD etc.). */
  LEGACY_COLD: 0x10000000,
  LEGACY_NOTRACK: 0x20000000,
  LEGACY_OTHER_NODE: 0x40000000,
} as const;

const RECLAIM = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM;
const KERNEL = RECLAIM | GFP.IO | GFP.FS;
const USER = KERNEL | GFP.HARDWALL;
const HIGHUSER = USER | GFP.HIGHMEM;
const HIGHUSER_MOVABLE = HIGHUSER | GFP.MOVABLE;
const TRANSHUGE_LIGHT = (HIGHUSER_MOVABLE | GFP.COMP | GFP.NOMEMALLOC | GFP.NOWARN) & ~RECLAIM;

/** Composite masks (include/linux/gfp_types.h) in `__def_gfpflag_names` order (mmflags.h). */
export const GFP_COMPOSITES: ReadonlyArray<readonly [string, number]> = [
  ["GFP_TRANSHUGE", TRANSHUGE_LIGHT | GFP.DIRECT_RECLAIM],
  ["GFP_TRANSHUGE_LIGHT", TRANSHUGE_LIGHT],
  ["GFP_HIGHUSER_MOVABLE", HIGHUSER_MOVABLE],
  ["GFP_HIGHUSER", HIGHUSER],
  ["GFP_USER", USER],
  ["GFP_KERNEL_ACCOUNT", KERNEL | GFP.ACCOUNT],
  ["GFP_KERNEL", KERNEL],
  ["GFP_NOFS", RECLAIM | GFP.IO],
  ["GFP_ATOMIC", GFP.HIGH | GFP.KSWAPD_RECLAIM],
  ["GFP_NOIO", RECLAIM],
  ["GFP_NOWAIT", GFP.KSWAPD_RECLAIM | GFP.NOWARN],
  ["GFP_DMA", GFP.DMA],
  ["GFP_DMA32", GFP.DMA32],
  ["__GFP_RECLAIM", RECLAIM],
];

const SINGLE_ORDER = [
  "DMA",
  "HIGHMEM",
  "DMA32",
  "MOVABLE",
  "RECLAIMABLE",
  "HIGH",
  "IO",
  "FS",
  "ZERO",
  "ATOMIC",
  "DIRECT_RECLAIM",
  "KSWAPD_RECLAIM",
  "WRITE",
  "NOWARN",
  "RETRY_MAYFAIL",
  "NOFAIL",
  "NORETRY",
  "MEMALLOC",
  "COMP",
  "NOMEMALLOC",
  "HARDWALL",
  "THISNODE",
  "ACCOUNT",
  "ZEROTAGS",
  "SKIP_ZERO",
  "SKIP_KASAN",
  "NOLOCKDEP",
] as const;

const PRINT_TABLE: ReadonlyArray<readonly [string, number]> = [
  ...GFP_COMPOSITES,
  ...SINGLE_ORDER.map((n) => [`__GFP_${n}`, GFP[n]] as const),
];

function buildNameTable(): Map<string, number> {
  const m = new Map<string, number>();
  for (const [name, bits] of PRINT_TABLE) {
    m.set(name, bits);
    // Before v4.5 the single flags printed without the leading "__" (GFP_NOWARN, GFP_ZERO …).
    // (`GFP_ATOMIC` is a composite and must not be overwritten by the old `__GFP_ATOMIC` bit.)
    if (name.startsWith("__") && !m.has(name.slice(2))) m.set(name.slice(2), bits);
  }
  // Names that only older kernels print, mapped to their current meaning.
  const legacy: Array<[string, number]> = [
    ["__GFP_WAIT", RECLAIM], // pre-4.4: "may sleep"
    ["GFP_WAIT", RECLAIM],
    ["__GFP_COLD", GFP.LEGACY_COLD],
    ["GFP_COLD", GFP.LEGACY_COLD],
    ["__GFP_NOTRACK", GFP.LEGACY_NOTRACK],
    ["GFP_NOTRACK", GFP.LEGACY_NOTRACK],
    ["__GFP_OTHER_NODE", GFP.LEGACY_OTHER_NODE],
    ["GFP_OTHER_NODE", GFP.LEGACY_OTHER_NODE],
    ["__GFP_REPEAT", GFP.RETRY_MAYFAIL],
    ["GFP_REPEAT", GFP.RETRY_MAYFAIL],
    ["GFP_NOACCOUNT", 0],
    ["__GFP_NOACCOUNT", 0],
    ["GFP_IOFS", GFP.IO | GFP.FS],
    ["GFP_TEMPORARY", RECLAIM | GFP.IO | GFP.FS | GFP.RECLAIMABLE],
    ["GFP_HIGHUSER_PAGECACHE", HIGHUSER_MOVABLE],
    ["GFP_USER_MOVABLE", USER | GFP.MOVABLE],
    ["GFP_THISNODE", GFP.THISNODE | GFP.NOWARN | GFP.NORETRY],
    ["__GFP_KSWAPD_RECLAIM", GFP.KSWAPD_RECLAIM],
    ["__GFP_DIRECT_RECLAIM", GFP.DIRECT_RECLAIM],
  ];
  for (const [n, b] of legacy) if (!m.has(n)) m.set(n, b);
  return m;
}

const NAME_TO_BITS = buildNameTable();
const parseCache = new Map<string, number>();

/**
 * Turns the kernel's printed gfp_flags (`GFP_KERNEL|__GFP_ZERO`, `none`, `0x400cc0`) into a mask.
 * Returns -1 when a name is not known to any kernel version.
 *
 * @example
 * ```ts
 * import { parseGfp } from "./gfp_flags.ts";
 * parseGfp("GFP_KERNEL|__GFP_ZERO"); // 0xdc0
 * ```
 */
export function parseGfp(text: string): number {
  const hit = parseCache.get(text);
  if (hit !== undefined) return hit;
  let mask = 0;
  if (text === "none" || text === "0") mask = 0;
  else if (text.startsWith("0x")) {
    const v = parseInt(text.slice(2), 16);
    mask = Number.isFinite(v) ? v >>> 0 : -1;
  } else {
    for (const part of text.split("|")) {
      const bits = NAME_TO_BITS.get(part);
      if (bits === undefined) {
        // Leftover bits the kernel could not name print as hex (`0x...`).
        if (part.startsWith("0x")) {
          const v = parseInt(part.slice(2), 16);
          if (Number.isFinite(v)) {
            mask |= v;
            continue;
          }
        }
        mask = -1;
        break;
      }
      mask |= bits;
    }
    if (mask !== -1) mask >>>= 0;
  }
  if (parseCache.size < 4096) parseCache.set(text, mask);
  return mask;
}

/**
 * Prints a mask the way `show_gfp_flags` does: composites first (greedy), leftover bits after.
 *
 * @example
 * ```ts
 * import { formatGfp } from "./gfp_flags.ts";
 * formatGfp(0xcc0); // "GFP_KERNEL"
 * ```
 */
export function formatGfp(mask: number): string {
  if (mask === 0) return "none";
  let rest = mask >>> 0;
  const parts: string[] = [];
  for (const [name, bits] of PRINT_TABLE) {
    if (bits !== 0 && (rest & bits) === bits) {
      parts.push(name);
      rest = (rest & ~bits) >>> 0;
    }
  }
  if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
  return parts.join("|");
}

/** `gfp_migratetype` (include/linux/gfp.h): 0 unmovable, 1 movable, 2 reclaimable. */
export function gfpMigratetype(mask: number): number {
  return (mask & (GFP.RECLAIMABLE | GFP.MOVABLE)) >>> 3;
}
