/**
 * Kernel features a text trace reveals by the way its events are printed, and the kernel version
 * range they imply.
 *
 * @module
 */

/** Kernel features recognised from the way events are printed. */
export interface TraceFeatures {
  /** `pfn=0x…` (≥ v5.14) rather than decimal. */
  pfnHex: boolean | null;
  /** `call_site=func+0x…` (≥ v5.4) rather than hex. */
  callSiteSymbolic: boolean | null;
  /** `%p` pointers hashed (tracefs text, ≥ v4.15 with hash-ptr on). */
  hashedPointers: boolean | null;
  /** `node=` on kmalloc / kmem_cache_alloc (≥ v6.1). */
  slabNode: boolean;
  /** `accounted=` on slab alloc events (≥ v6.0). */
  slabAccounted: boolean;
  /** `name=` on kmem_cache_alloc (≈ v6.18). */
  cacheAllocName: boolean;
  /** `name=` on kmem_cache_free (≥ v5.11). */
  cacheFreeName: boolean;
  /** `percpu_refill=` on mm_page_alloc_zone_locked. */
  percpuRefill: boolean;
  /** `cold=` on mm_page_free_batched (≤ v4.14). */
  batchedCold: boolean;
  /** kmalloc_node / kmem_cache_alloc_node events seen (≤ v6.0). */
  nodeEvents: boolean;
  /** TGID column in tracefs output. */
  tgidColumn: boolean;
  /** Width of the irq-flags column (4, 5, 7 on PREEMPT_RT 6.1) or 0 when absent. */
  flagsWidth: number | null;
  /** trace-cmd `instance:` prefix seen. */
  instancePrefix: string | null;
}

/** A hint at the kernel version range implied by {@linkcode TraceFeatures}. */
export function kernelHint(f: TraceFeatures): string {
  if (f.cacheAllocName) return "≥ 6.18 (kmem_cache_alloc name=)";
  if (f.slabNode && !f.nodeEvents) return "≥ 6.1 (node= on kmalloc)";
  if (f.slabAccounted) return "6.0 (accounted=, _node events)";
  if (f.pfnHex) return "≥ 5.14 (hex pfn)";
  if (f.callSiteSymbolic) return "5.4–5.13 (symbolic call_site, decimal pfn)";
  if (f.batchedCold) return "≤ 4.14 (cold=)";
  if (f.pfnHex === false) return "≤ 5.13 (decimal pfn)";
  return "unknown";
}

/** Features before any line is read: tri-state ones unknown, flags off. */
export function newFeatures(): TraceFeatures {
  return {
    pfnHex: null,
    callSiteSymbolic: null,
    hashedPointers: null,
    slabNode: false,
    slabAccounted: false,
    cacheAllocName: false,
    cacheFreeName: false,
    percpuRefill: false,
    batchedCold: false,
    nodeEvents: false,
    tgidColumn: false,
    flagsWidth: null,
    instancePrefix: null,
  };
}
