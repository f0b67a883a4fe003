/**
 * Tells which page-allocator calls of a trace are SLUB's own slab pages (and the pages of large
 * kmallocs), so that a policy replay can leave them to the slab model instead of replaying them
 * twice.
 *
 * How SLUB shows up in a trace (mm/slub.c, ≥v6.8):
 * - `allocate_slab` asks for the cache's preferred order with
 *   `(flags | s->allocflags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL` (s->allocflags holds
 *   __GFP_COMP, __GFP_RECLAIMABLE for SLAB_RECLAIM_ACCOUNT caches, the DMA zone bits), and the
 *   object alloc that needed the slab is traced after it, on the same CPU (usually the very next
 *   slab event; the slabobj_ext array kcalloc of an accounted cache can come in between, with
 *   its own nested slab page). When the preferred order fails it retries `s->min`
 *   (= get_order(size)) with the caller's flags, i.e. without __GFP_NORETRY.
 * - An empty slab is freed by `discard_slab` → `__free_slab` → `mm_page_free` of the slab order,
 *   after the kfree/kmem_cache_free that emptied it — or later (cpu partial drains, RCU-freed
 *   caches, sheaf flushes), so frees are told apart by their pfn, not by their neighbours.
 * - A large kmalloc (> KMALLOC_MAX_CACHE_SIZE) is `mm_page_alloc(get_order(size), gfp |
 *   __GFP_COMP)` right before its `kmalloc` event; its free is `kfree` then `mm_page_free`.
 *
 * Rules:
 * 1. A successful mm_page_alloc whose gfp has __GFP_NORETRY and __GFP_COMP and neither
 *    __GFP_MOVABLE nor __GFP_HIGHMEM (user and page-cache folios have one of those) is a slab
 *    candidate; one with __GFP_COMP, order ≥ 2 and neither of those bits is a large-kmalloc
 *    candidate; after a failed slab candidate, the next alloc on that CPU is a fallback candidate.
 * 2. Candidates are held per CPU (one-call lookahead, kept across batch boundaries). A later
 *    slab alloc on the same CPU and pid whose cache's *traced* slab order (slabinfo
 *    pagesperslab, else SLUB geometry of bytes_alloc; or its minimum order) equals the held
 *    order confirms the newest such candidate: a slab page. A large kmalloc of exactly that
 *    order confirms a large-kmalloc candidate. Any other call on that CPU (a free, a non-candidate
 *    page alloc, a few unmatched slab allocs, lost events) releases the held candidates as
 *    ordinary pages.
 * 3. mm_page_free of a block confirmed as slab/large page earlier in the trace is delegated
 *    (exact: the pfn pairs them). For pages allocated before the trace, real pointers are
 *    needed: when the trace carries direct-map pointers (trace.dat, perf script; not the hashed
 *    %p of tracefs text), the direct-map base is learned from confirmed pairs (object pointer
 *    inside the new slab, base aligned to 1 GiB as KASLR places it) and a free of a block that
 *    held slab objects seen in the trace is delegated.
 *
 * Measured on the shared mixed capture (trace.dat, real pointers, ground truth = object pointers
 * inside the page block): see tests/replay/slab_page_classifier.test.ts.
 *
 * @module
 */

import { Call } from "../calls/call_kind.ts";
import type { CallBatch } from "../calls/call_batch.ts";
import {
  KMALLOC_MAX_CACHE_SIZE_BYTES,
  PAGE_SIZE_4K_BYTES,
  X86_64_DIRECT_MAP_ALIGN_BYTES,
} from "../kernel/constants.ts";
import { GFP } from "../kernel/gfp_flags.ts";
import { EventFlag, ptrKey } from "../trace/event_batch.ts";
import { PtrMap } from "../collections/ptr_map.ts";
import { Ev } from "../trace/event_kind.ts";
import type { StringTable } from "../trace/string_table.ts";
import type { SlabInfoRow } from "../snapshot/slabinfo.ts";
import { kmallocCacheName, kmallocClassBytes, kmallocType } from "../slab/kmalloc_caches.ts";
import { getOrder, slabGeometry } from "../slab/slab_geometry.ts";

/** What the replay does with a row now. */
export const SlabPageVerdict = {
  /** Not a slab page: replay it. */
  REPLAY: 0,
  /** A candidate page alloc held for lookahead; it comes back through `onRelease`. */
  HOLD: 1,
  /** A slab (or large-kmalloc) page call the slab model owns: skip it. */
  DELEGATE: 2,
} as const;
/** A verdict number. */
export type SlabPageVerdict = typeof SlabPageVerdict[keyof typeof SlabPageVerdict];

/** A page alloc that was held, handed back with the decision. */
export interface HeldPageAlloc {
  tracePfn: number;
  order: number;
  gfp: number;
  cpu: number;
  /** Source line / byte offset of the mm_page_alloc. */
  source: number;
  tsNs: number;
}

/** What a held page turned out to be. */
export const HeldPageKind = {
  /** An ordinary page: replay it (late by a few calls of its CPU). */
  PAGE: 0,
  SLAB: 1,
  LARGE_KMALLOC: 2,
} as const;
/** A held-page kind number. */
export type HeldPageKind = typeof HeldPageKind[keyof typeof HeldPageKind];

/** Options of {@linkcode SlabPageClassifier}. */
export interface SlabPageClassifierOptions {
  /** CPUs of the traced machine (for SLUB geometry of caches missing from slabinfo). */
  nrCpus: number;
  /** slabinfo of the traced machine: the real slab order of each cache. */
  slabinfo?: readonly SlabInfoRow[];
  /** Receives every held alloc once decided, in the order decisions are made. */
  onRelease: (held: Readonly<HeldPageAlloc>, kind: HeldPageKind) => void;
}

/** Counters of {@linkcode SlabPageClassifier}. */
export interface SlabPageClassifierStats {
  slabPageAllocs: number;
  slabPageFrees: number;
  largeKmallocAllocs: number;
  largeKmallocFrees: number;
  /** Of the delegated frees, pages allocated before the trace (found by object pointers). */
  preTraceSlabFrees: number;
  /** Held candidates released as ordinary pages. */
  releasedAsPages: number;
  /** Direct-map base (low 48 bits) learned from pointers, or -1 (hashed pointers). */
  directMapBaseKey: number;
}

const CAND_SLAB = 1;
const CAND_LARGE = 2;
/** Held candidates per CPU: a slab page, the obj_exts slab nested in it, and spare. */
const MAX_HELD_PER_CPU = 4;
/** Unmatched slab allocs on a CPU after which its held candidates are released. */
const MAX_UNMATCHED_SLAB_ALLOCS = 3;
/** Confirmed pairs agreeing on one direct-map base before pointers are trusted. */
const DIRECT_MAP_VOTES = 8;
/** Share of confirmed pairs that must agree on the base. */
const DIRECT_MAP_MAJORITY = 0.75;
/** Confirmed pairs after which a trace without an agreed base counts as hashed. */
const DIRECT_MAP_GIVE_UP = 64;

/**
 * Streaming slab-page classifier: call {@linkcode classify} for every row in order, then
 * {@linkcode flush} at the end.
 *
 * @example
 * ```ts
 * import { HeldPageKind, SlabPageClassifier, SlabPageVerdict } from "./slab_page_classifier.ts";
 * import { CallBatch } from "../calls/call_batch.ts";
 * import { Call } from "../calls/call_kind.ts";
 * import { Ev } from "../trace/event_kind.ts";
 * import { GFP } from "../kernel/gfp_flags.ts";
 * import { StringTable } from "../trace/string_table.ts";
 * const strings = new StringTable();
 * const kinds: number[] = [];
 * const c = new SlabPageClassifier({ nrCpus: 2, onRelease: (_h, k) => kinds.push(k) });
 * const b = new CallBatch(4);
 * let i = b.push(Ev.mm_page_alloc, 1, 0);
 * b.call[i] = Call.PAGE_ALLOC;
 * b.pfn[i] = 0x1000; b.order[i] = 0; b.gfp[i] = GFP.NORETRY | GFP.COMP | GFP.NOWARN;
 * i = b.push(Ev.kmalloc, 2, 0);
 * b.call[i] = Call.SLAB_ALLOC;
 * b.bytesAlloc[i] = 64; b.bytesReq[i] = 50;
 * c.classify(b, 0, strings); // SlabPageVerdict.HOLD
 * c.classify(b, 1, strings); // SlabPageVerdict.REPLAY (a slab alloc; it confirms the page)
 * kinds; // [HeldPageKind.SLAB]
 * ```
 */
export class SlabPageClassifier {
  readonly stats: SlabPageClassifierStats = {
    slabPageAllocs: 0,
    slabPageFrees: 0,
    largeKmallocAllocs: 0,
    largeKmallocFrees: 0,
    preTraceSlabFrees: 0,
    releasedAsPages: 0,
    directMapBaseKey: -1,
  };
  readonly #nrCpus: number;
  readonly #onRelease: SlabPageClassifierOptions["onRelease"];
  /** Traced slab order (low byte) and minimum order (next byte) per cache name. */
  readonly #orderOf = new Map<string, number>();
  readonly #slabinfo = new Map<string, SlabInfoRow>();
  // Held candidates: per CPU a small stack in flat typed arrays.
  readonly #heldN: Uint8Array;
  readonly #heldPfn: Float64Array;
  readonly #heldOrder: Int8Array;
  readonly #heldGfp: Uint32Array;
  readonly #heldPid: Int32Array;
  readonly #heldSource: Float64Array;
  readonly #heldTs: Float64Array;
  readonly #heldKind: Uint8Array;
  readonly #unmatched: Uint8Array;
  /** Order of a failed slab-candidate alloc per CPU (the fallback follows), or -1. */
  readonly #fallbackAfter: Int8Array;
  readonly #held: HeldPageAlloc = { tracePfn: 0, order: 0, gfp: 0, cpu: 0, source: 0, tsNs: 0 };
  /** Trace pfn → order + 16 · kind of confirmed slab / large-kmalloc blocks still allocated. */
  readonly #delegated = new PtrMap();
  /** Gfp bits of the first slab page of each cache (learned, for the slab model). */
  readonly #learned = new Map<string, number>();
  #learnedNew: Array<[string, number]> = [];
  // Direct-map pointers.
  readonly #baseVotes = new Map<number, number>();
  #confirmedPairs = 0;
  #pointers: "unknown" | "direct" | "hashed" = "unknown";
  /**
   * Pages (ptrKey / 4096) that held a slab object since their last mm_page_alloc, as a set (the
   * value is unused): page keys of direct-map pointers exceed 2^31, which a `Set` stores as heap
   * numbers, one per add.
   */
  readonly #objPages = new PtrMap();
  #lastPageKey = -1;

  constructor(opts: SlabPageClassifierOptions) {
    this.#nrCpus = Math.max(1, opts.nrCpus);
    this.#onRelease = opts.onRelease;
    for (const r of opts.slabinfo ?? []) this.#slabinfo.set(r.name, r);
    const slots = 256 * MAX_HELD_PER_CPU;
    this.#heldN = new Uint8Array(256);
    this.#heldPfn = new Float64Array(slots);
    this.#heldOrder = new Int8Array(slots);
    this.#heldGfp = new Uint32Array(slots);
    this.#heldPid = new Int32Array(slots);
    this.#heldSource = new Float64Array(slots);
    this.#heldTs = new Float64Array(slots);
    this.#heldKind = new Uint8Array(slots);
    this.#unmatched = new Uint8Array(256);
    this.#fallbackAfter = new Int8Array(256).fill(-1);
  }

  /** True once the trace's pointers were recognised as direct-map addresses. */
  get realPointers(): boolean {
    return this.#pointers === "direct";
  }

  /** Trace pfns of slab / large-kmalloc blocks confirmed and not yet freed. */
  get delegatedBlocks(): number {
    return this.#delegated.size;
  }

  /**
   * Cache name → gfp bits (__GFP_RECLAIMABLE, __GFP_DMA, __GFP_DMA32) seen on the cache's first
   * confirmed slab page since the last call: the slab model's pages should carry them too.
   */
  drainLearnedCacheGfp(): Array<[string, number]> {
    const out = this.#learnedNew;
    this.#learnedNew = [];
    return out;
  }

  /** Classifies row `i` (rows must come in timestamp order). */
  classify(b: CallBatch, i: number, strings?: StringTable): SlabPageVerdict {
    const call = b.call[i]!;
    const cpu = b.cpu[i]! % 256;
    switch (call) {
      case Call.PAGE_ALLOC:
        return this.#pageAlloc(b, i, cpu);
      case Call.PAGE_FREE:
        this.#releaseCpu(cpu);
        return this.#pageFree(b, i);
      case Call.SLAB_ALLOC:
        this.#slabAlloc(b, i, cpu, strings);
        return SlabPageVerdict.REPLAY;
      case Call.SLAB_FREE:
        this.#releaseCpu(cpu);
        if (this.#pointers !== "hashed") this.#noteObject(b, i);
        return SlabPageVerdict.REPLAY;
      case Call.VMAP_ALLOC:
      case Call.VMAP_FREE:
      case Call.VMAP_PURGE:
        this.#releaseCpu(cpu);
        return SlabPageVerdict.REPLAY;
      case Call.LOST:
        for (let c = 0; c < 256; c++) if (this.#heldN[c]! > 0) this.#releaseCpu(c);
        return SlabPageVerdict.REPLAY;
      default:
        // Kernel-internal page events (zone_locked, extfrag, drains), reclaim and compaction
        // come between a slab's mm_page_alloc and its object alloc: they do not end lookahead.
        return SlabPageVerdict.REPLAY;
    }
  }

  /** Releases every held candidate as an ordinary page (end of the trace). */
  flush(): void {
    for (let c = 0; c < 256; c++) if (this.#heldN[c]! > 0) this.#releaseCpu(c);
  }

  #pageAlloc(b: CallBatch, i: number, cpu: number): SlabPageVerdict {
    const gfp = b.gfp[i]!;
    const order = b.order[i]!;
    const failed = (b.flags[i]! & EventFlag.FAILED) !== 0;
    const user = (gfp & (GFP.MOVABLE | GFP.HIGHMEM)) !== 0;
    let kind = 0;
    if (!user && (gfp & GFP.COMP)) {
      if (gfp & GFP.NORETRY) kind = CAND_SLAB;
      else if (this.#fallbackAfter[cpu]! > order) kind = CAND_SLAB;
      else if (order >= 2) kind = CAND_LARGE;
    } else if (!user && order === 0 && this.#fallbackAfter[cpu]! > 0) {
      kind = CAND_SLAB; // s->min of order 0 is allocated without __GFP_COMP
    }
    this.#fallbackAfter[cpu] = -1;
    if (failed) {
      if (kind === CAND_SLAB && order > 0) this.#fallbackAfter[cpu] = order;
      return SlabPageVerdict.REPLAY;
    }
    if (kind === 0) {
      this.#releaseCpu(cpu);
      this.#clearObjects(b.pfn[i]!, order);
      return SlabPageVerdict.REPLAY;
    }
    let n = this.#heldN[cpu]!;
    if (n === MAX_HELD_PER_CPU) {
      this.#releaseOldest(cpu);
      n--;
    }
    const k = cpu * MAX_HELD_PER_CPU + n;
    this.#heldPfn[k] = b.pfn[i]!;
    this.#heldOrder[k] = order;
    this.#heldGfp[k] = gfp;
    this.#heldPid[k] = b.pid[i]!;
    this.#heldSource[k] = b.source[i]!;
    this.#heldTs[k] = b.tsNs[i]!;
    this.#heldKind[k] = kind;
    this.#heldN[cpu] = n + 1;
    return SlabPageVerdict.HOLD;
  }

  #pageFree(b: CallBatch, i: number): SlabPageVerdict {
    const pfn = b.pfn[i]!;
    const order = b.order[i]!;
    const v = this.#delegated.take(pfn);
    if (v !== -1) {
      this.#clearObjects(pfn, v & 15);
      if (v >>> 4 === HeldPageKind.LARGE_KMALLOC) this.stats.largeKmallocFrees++;
      else this.stats.slabPageFrees++;
      return SlabPageVerdict.DELEGATE;
    }
    if (this.#pointers === "direct" && order >= 0 && this.#heldObjects(pfn, order)) {
      this.#clearObjects(pfn, order);
      this.stats.slabPageFrees++;
      this.stats.preTraceSlabFrees++;
      return SlabPageVerdict.DELEGATE;
    }
    if (this.#pointers !== "hashed") this.#clearObjects(pfn, order);
    return SlabPageVerdict.REPLAY;
  }

  #slabAlloc(b: CallBatch, i: number, cpu: number, strings?: StringTable): void {
    if (this.#pointers !== "hashed") this.#noteObject(b, i);
    const n = this.#heldN[cpu]!;
    if (n === 0) return;
    const alloc = b.bytesAlloc[i]!;
    const ev = b.kind[i]!;
    const isKmalloc = ev === Ev.kmalloc || ev === Ev.kmalloc_node;
    const pid = b.pid[i]!;
    const base = cpu * MAX_HELD_PER_CPU;
    let match = -1;
    let kind: HeldPageKind = HeldPageKind.SLAB;
    if (isKmalloc && alloc > KMALLOC_MAX_CACHE_SIZE_BYTES) {
      const order = getOrder(alloc);
      for (let k = n - 1; k >= 0 && match < 0; k--) {
        if (this.#heldKind[base + k] === CAND_LARGE && this.#heldOrder[base + k] === order) {
          if (this.#heldPid[base + k] === pid) match = k;
        }
      }
      kind = HeldPageKind.LARGE_KMALLOC;
    } else {
      const name = this.#cacheName(b, i, isKmalloc, strings);
      const orders = this.#ordersOf(name, alloc);
      for (let k = n - 1; k >= 0 && match < 0; k--) {
        if (this.#heldKind[base + k] !== CAND_SLAB || this.#heldPid[base + k] !== pid) continue;
        const o = this.#heldOrder[base + k]!;
        if (o === (orders & 0xff) || o === orders >>> 8) match = k;
      }
      if (match >= 0 && name !== null && !this.#learned.has(name)) {
        const bits = this.#heldGfp[base + match]! & (GFP.RECLAIMABLE | GFP.DMA | GFP.DMA32);
        this.#learned.set(name, bits);
        this.#learnedNew.push([name, bits]);
      }
    }
    if (match < 0) {
      if (++this.#unmatched[cpu]! >= MAX_UNMATCHED_SLAB_ALLOCS) this.#releaseCpu(cpu);
      return;
    }
    this.#unmatched[cpu] = 0;
    // Held candidates older than the match are still waiting for their own object (a nested
    // slab page came after them); keep them, drop the match.
    const k = base + match;
    this.#held.tracePfn = this.#heldPfn[k]!;
    this.#held.order = this.#heldOrder[k]!;
    this.#held.gfp = this.#heldGfp[k]!;
    this.#held.cpu = cpu;
    this.#held.source = this.#heldSource[k]!;
    this.#held.tsNs = this.#heldTs[k]!;
    this.#removeHeld(cpu, match);
    this.#delegated.set(this.#held.tracePfn, this.#held.order + 16 * kind);
    if (kind === HeldPageKind.SLAB) {
      this.stats.slabPageAllocs++;
      this.#vote(b, i, this.#held.tracePfn);
    } else this.stats.largeKmallocAllocs++;
    this.#onRelease(this.#held, kind);
  }

  #cacheName(b: CallBatch, i: number, isKmalloc: boolean, strings?: StringTable): string | null {
    const nameId = b.name[i]!;
    if (nameId !== 0 && strings) return strings.get(nameId);
    if (isKmalloc) {
      return kmallocCacheName(kmallocClassBytes(b.bytesAlloc[i]!), kmallocType(b.gfp[i]!));
    }
    return null;
  }

  /** Traced slab order | minimum order << 8 of a cache (slabinfo, else default SLUB geometry). */
  #ordersOf(name: string | null, sizeBytes: number): number {
    const key = name ?? `#${sizeBytes}`;
    let v = this.#orderOf.get(key);
    if (v !== undefined) return v;
    const row = name !== null ? this.#slabinfo.get(name) : undefined;
    if (row) {
      const order = Math.round(Math.log2(Math.max(1, row.pagesPerSlab)));
      v = order | (getOrder(row.objSizeBytes) << 8);
    } else if (sizeBytes > 0) {
      const g = slabGeometry(sizeBytes, { nrCpus: this.#nrCpus });
      v = g.order | (g.minOrder << 8);
    } else v = 0;
    this.#orderOf.set(key, v);
    return v;
  }

  #removeHeld(cpu: number, at: number): void {
    const base = cpu * MAX_HELD_PER_CPU;
    const n = this.#heldN[cpu]!;
    for (let k = at; k + 1 < n; k++) {
      const d = base + k, s = d + 1;
      this.#heldPfn[d] = this.#heldPfn[s]!;
      this.#heldOrder[d] = this.#heldOrder[s]!;
      this.#heldGfp[d] = this.#heldGfp[s]!;
      this.#heldPid[d] = this.#heldPid[s]!;
      this.#heldSource[d] = this.#heldSource[s]!;
      this.#heldTs[d] = this.#heldTs[s]!;
      this.#heldKind[d] = this.#heldKind[s]!;
    }
    this.#heldN[cpu] = n - 1;
  }

  #releaseOldest(cpu: number): void {
    const k = cpu * MAX_HELD_PER_CPU;
    this.#emitPage(cpu, k);
    this.#removeHeld(cpu, 0);
  }

  #releaseCpu(cpu: number): void {
    const n = this.#heldN[cpu]!;
    this.#unmatched[cpu] = 0;
    if (n === 0) return;
    const base = cpu * MAX_HELD_PER_CPU;
    this.#heldN[cpu] = 0;
    for (let k = 0; k < n; k++) this.#emitPage(cpu, base + k);
  }

  #emitPage(cpu: number, k: number): void {
    const h = this.#held;
    h.tracePfn = this.#heldPfn[k]!;
    h.order = this.#heldOrder[k]!;
    h.gfp = this.#heldGfp[k]!;
    h.cpu = cpu;
    h.source = this.#heldSource[k]!;
    h.tsNs = this.#heldTs[k]!;
    this.stats.releasedAsPages++;
    this.#clearObjects(h.tracePfn, h.order);
    this.#onRelease(h, HeldPageKind.PAGE);
  }

  // -- direct-map pointers -----------------------------------------------------------------------

  /** A confirmed slab page votes for the direct-map base its object pointer implies. */
  #vote(b: CallBatch, i: number, pfn: number): void {
    if (this.#pointers !== "unknown") return;
    const key = ptrKey(b, i);
    const rel = key - pfn * PAGE_SIZE_4K_BYTES;
    // Round to the nearest aligned base: the object may sit in a neighbouring new slab (sheaf
    // refills allocate several slabs before the first traced object) or in an older one.
    const align = X86_64_DIRECT_MAP_ALIGN_BYTES;
    const base = Math.round(rel / align) * align;
    this.#confirmedPairs++;
    if (rel > 0) this.#baseVotes.set(base, (this.#baseVotes.get(base) ?? 0) + 1);
    if (this.#confirmedPairs < DIRECT_MAP_VOTES) return;
    // A nested slab page (obj_exts) can be confirmed by the other cache's object: a few pairs
    // may disagree, a clear majority decides.
    for (const [b, votes] of this.#baseVotes) {
      if (votes >= DIRECT_MAP_VOTES && votes >= DIRECT_MAP_MAJORITY * this.#confirmedPairs) {
        this.#pointers = "direct";
        this.stats.directMapBaseKey = b;
        this.#baseVotes.clear();
        return;
      }
    }
    if (this.#confirmedPairs >= DIRECT_MAP_GIVE_UP) {
      this.#pointers = "hashed";
      this.#objPages.clear();
      this.#baseVotes.clear();
    }
  }

  #noteObject(b: CallBatch, i: number): void {
    const key = ptrKey(b, i);
    if (key === 0) return;
    const page = Math.floor(key / PAGE_SIZE_4K_BYTES);
    if (page !== this.#lastPageKey) {
      this.#objPages.set(page, 1);
      this.#lastPageKey = page;
    }
  }

  /** The page key of a pfn under the learned (or, before learning, the default) base. */
  #pageKey(pfn: number): number {
    const base = this.stats.directMapBaseKey;
    return base >= 0 ? base / PAGE_SIZE_4K_BYTES + pfn : -1;
  }

  #heldObjects(pfn: number, order: number): boolean {
    const first = this.#pageKey(pfn);
    for (let k = 0; k < 2 ** order; k++) if (this.#objPages.has(first + k)) return true;
    return false;
  }

  #clearObjects(pfn: number, order: number): void {
    if (this.#pointers !== "direct" || order < 0) return;
    const first = this.#pageKey(pfn);
    for (let k = 0; k < 2 ** order; k++) this.#objPages.delete(first + k);
    if (this.#lastPageKey >= first && this.#lastPageKey < first + 2 ** order) {
      this.#lastPageKey = -1;
    }
  }
}
