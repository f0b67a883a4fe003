/**
 * Free vs allocated, pfn by pfn: a replay's end state ({@linkcode pfnStates}) against
 * `after.kpageflags`, per zone. A page agrees when the model has it on a buddy free list and the
 * kernel marks it KPF_BUDDY, or the model has it allocated or on a per-cpu list and the kernel
 * does not (pcp pages are not buddy pages: their kpageflags word is 0, fs/proc/page.c). Pages the
 * model never saw (faithful replay: UNKNOWN) or holds as holes are not compared, only counted,
 * with how many of them the kernel has free. Slab pages are counted per zone from KPF_SLAB.
 *
 * @module
 */

import { PageState } from "../../mm/page_allocator.ts";
import { KPF, kpfBit } from "../../kernel/kpage_flags.ts";
import type { Kpageflags } from "../../snapshot/kpageflags.ts";
import { KPF_KINDS, type KpfKind, kpfKind } from "../../snapshot/kpageflags_summary.ts";

/** One zone's per-pfn comparison (`kmem validate --json`: `pfnAgreement[]`). */
export interface PfnAgreementZone {
  name: string;
  node: number;
  /** Pfns of the zone span covered by both the model and the snapshot. */
  spanPages: number;
  /** Present pages of the after-zoneinfo, or null. */
  presentPages: number | null;
  /** Pages whose model state is known (buddy, pcp, allocated). */
  comparedPages: number;
  /** Compared pages on which model and kernel agree (free vs not free). */
  agreePages: number;
  /** 100 · agree / compared (100 when nothing was compared). */
  agreementPct: number;
  /** 100 · compared / present: how much of the zone the model knows. */
  coveragePct: number | null;
  /** Model: free on a buddy list; kernel: not — pages per kpageflags kind of the kernel's page. */
  modelFreeKernelNot: Record<KpfKind, number>;
  /** Model: allocated; kernel: free (KPF_BUDDY). */
  modelAllocatedKernelFree: number;
  /** Model: on a per-cpu list; kernel: free (KPF_BUDDY) — drained or merged since. */
  modelPcpKernelFree: number;
  /** Pages the model never saw, and of those the kernel's free ones. */
  unknownPages: number;
  unknownKernelFree: number;
  /** Pages the model holds as holes (not managed). */
  holePages: number;
  /** KPF_SLAB pages of the zone in the after-snapshot. */
  kernelSlabPages: number;
}

/** A zone span to compare. */
export interface PfnAgreementZoneSpan {
  name: string;
  node: number;
  startPfn: number;
  endPfn: number;
  presentPages: number | null;
}

/**
 * Compares the model's per-pfn states with the kernel's flags, zone by zone.
 *
 * @example
 * ```ts
 * import { encodeKpageflags, decodeKpageflags } from "../../snapshot/kpageflags.ts";
 * import { PageState } from "../../mm/page_allocator.ts";
 * import { pfnAgreement } from "./pfn_agreement.ts";
 * // kernel: pfn 0 free, 1 allocated (LRU), 2-3 free; model: 0 free, 1 free, 2 allocated, 3 unknown
 * const k = decodeKpageflags(encodeKpageflags(new Uint8Array(
 *   new BigUint64Array([1024n, 32n, 1024n, 1024n]).buffer,
 * )));
 * const model = new Uint8Array([PageState.BUDDY, PageState.BUDDY, PageState.ALLOC, 0]);
 * const [z] = pfnAgreement(model, k, [{ name: "DMA", node: 0, startPfn: 0, endPfn: 4, presentPages: 4 }]);
 * [z!.comparedPages, z!.agreePages, z!.modelFreeKernelNot.lru_file, z!.modelAllocatedKernelFree]; // [3, 1, 1, 1]
 * ```
 */
export function pfnAgreement(
  states: Uint8Array,
  kpf: Kpageflags,
  zones: readonly PfnAgreementZoneSpan[],
): PfnAgreementZone[] {
  const words = kpf.wordLo.length;
  const buddy = new Uint8Array(words);
  const slab = new Uint8Array(words);
  const kind = new Uint8Array(words);
  for (let w = 0; w < words; w++) {
    const lo = kpf.wordLo[w]!;
    const hi = kpf.wordHi[w]!;
    buddy[w] = kpfBit(lo, hi, KPF.BUDDY) ? 1 : 0;
    slab[w] = kpfBit(lo, hi, KPF.SLAB) ? 1 : 0;
    kind[w] = KPF_KINDS.indexOf(kpfKind(lo, hi));
  }
  return zones.map((z) => {
    const notFree = new Float64Array(KPF_KINDS.length);
    let span = 0, compared = 0, agree = 0, allocFree = 0, pcpFree = 0;
    let unknown = 0, unknownFree = 0, holes = 0, slabPages = 0;
    const from = Math.max(z.startPfn, kpf.firstPfn);
    const to = Math.min(z.endPfn, kpf.endPfn, states.length);
    for (let r = from < to ? kpf.runAt(from) : kpf.runCount; r < kpf.runCount; r++) {
      const s = Math.max(from, kpf.runStart[r]!);
      const e = Math.min(to, kpf.runStart[r + 1]!);
      if (s >= to) break;
      const w = kpf.runWord[r]!;
      const isFree = buddy[w] === 1;
      span += e - s;
      if (slab[w] === 1) slabPages += e - s;
      for (let p = s; p < e; p++) {
        const st = states[p]!;
        if (st === PageState.UNKNOWN) {
          unknown++;
          if (isFree) unknownFree++;
        } else if (st === PageState.HOLE) holes++;
        else {
          compared++;
          if (st === PageState.BUDDY) {
            if (isFree) agree++;
            else notFree[kind[w]!]!++;
          } else if (!isFree) agree++;
          else if (st === PageState.PCP) pcpFree++;
          else allocFree++;
        }
      }
    }
    const modelFreeKernelNot = Object.fromEntries(
      KPF_KINDS.map((k, i) => [k, notFree[i]!]),
    ) as Record<KpfKind, number>;
    return {
      name: z.name,
      node: z.node,
      spanPages: span,
      presentPages: z.presentPages,
      comparedPages: compared,
      agreePages: agree,
      agreementPct: compared === 0 ? 100 : (100 * agree) / compared,
      coveragePct: z.presentPages ? (100 * compared) / z.presentPages : null,
      modelFreeKernelNot,
      modelAllocatedKernelFree: allocFree,
      modelPcpKernelFree: pcpFree,
      unknownPages: unknown,
      unknownKernelFree: unknownFree,
      holePages: holes,
      kernelSlabPages: slabPages,
    };
  });
}
