/**
 * The kernel's kswapd wake decision re-run on the faithful model at every traced
 * mm_vmscan_wakeup_kswapd. mm/vmscan.c `wakeup_kswapd` emits the event only after
 * `pgdat_balanced(pgdat, order, highest_zoneidx)` failed or `pgdat_watermark_boosted` held:
 * no managed zone up to highest_zoneidx passed `__zone_watermark_ok(zone, order,
 * high_wmark_pages(zone), highest_zoneidx, 0, free)` (high + watermark_boost; lowmem_reserve of
 * highest_zoneidx; free minus 2^order − 1 and the highatomic reserve; at order > 0 a free block of
 * that order or above on an Unmovable/Movable/Reclaimable list). So at each traced wake the
 * model's own check should fail too; the agreement says how well the model's free counts, free
 * blocks and boosts match the kernel's at that moment.
 *
 * The trace has no watermark_boost event, so the boost is modelled: mm/page_alloc.c
 * `try_to_claim_block` calls `boost_watermark` for a fallback below pageblock order that
 * `should_try_claim_block` allows (fallback order ≥ pageblock_order / 2, or an Unmovable or
 * Reclaimable request) from a non-highatomic block; mm/vmscan.c `balance_pgdat` clears the boost
 * of the zones it balanced when it returns, which the trace shows as the next
 * mm_vmscan_kswapd_sleep or mm_vmscan_kswapd_wake.
 *
 * @module
 */

import type { CallBatch } from "../../calls/call_batch.ts";
import {
  MigrateType,
  WATERMARK_BOOST_FACTOR_DEFAULT,
  WATERMARK_FACTOR_DENOMINATOR,
} from "../../kernel/constants.ts";
import { gfpZoneType } from "../../mm/gfp_zone.ts";
import type { PageAllocator } from "../../mm/page_allocator.ts";
import type { PageReplayTally } from "./page_replay_tally.ts";

/** What the check found over a replay (the public `kswapdWakeCheck` of a page replay). */
export interface KswapdWakeCheckResult {
  /** Traced mm_vmscan_wakeup_kswapd events checked (node and zones known). */
  wakes: number;
  /** Of those, how many the model's watermark check failed too (it would have woken kswapd). */
  modelAgrees: number;
  /** modelAgrees / wakes in percent (null without wakes). */
  agreementPct: number | null;
  /** Of the agreeing wakes, how many only a modelled watermark boost explains. */
  boostOnly: number;
}

/** Re-runs `pgdat_balanced` / `pgdat_watermark_boosted` at traced kswapd wakes. */
export class KswapdWakeCheck {
  /** Modelled watermark_boost per zone index (pages). */
  readonly boost: Float64Array;

  constructor(readonly machine: PageAllocator, readonly tally: PageReplayTally) {
    this.boost = new Float64Array(machine.zones.length);
  }

  /** A traced fallback (extfrag) in zone `zi`: boost as `try_to_claim_block` does. */
  fallback(zi: number, fallbackOrder: number, allocMt: number, fallbackMt: number): void {
    const m = this.machine;
    if (fallbackOrder >= m.pageblockOrder || fallbackMt === MigrateType.HIGHATOMIC) return;
    // mm/page_alloc.c should_try_claim_block
    const tries = fallbackOrder >= m.pageblockOrder / 2 || allocMt === MigrateType.UNMOVABLE ||
      allocMt === MigrateType.RECLAIMABLE || !m.spec.mobilityGrouping;
    if (!tries) return;
    // mm/page_alloc.c boost_watermark
    const z = m.zones[zi]!;
    const pb = m.pageblockPages;
    if (pb * 4 > z.managedPages) return;
    let maxBoost = Math.floor(
      z.wmarkHigh * WATERMARK_BOOST_FACTOR_DEFAULT / WATERMARK_FACTOR_DENOMINATOR,
    );
    if (maxBoost === 0) return;
    maxBoost = Math.max(pb, maxBoost);
    this.boost[zi] = Math.min(this.boost[zi]! + pb, maxBoost);
  }

  /** kswapd of `node` finished a balance_pgdat run (its next wake or sleep is traced). */
  balanced(node: number): void {
    const zones = this.machine.zones;
    for (let zi = 0; zi < zones.length; zi++) if (zones[zi]!.node === node) this.boost[zi] = 0;
  }

  /** A traced mm_vmscan_wakeup_kswapd (node, order, gfp of the row). */
  wake(b: CallBatch, i: number): void {
    const m = this.machine;
    const node = b.node[i]!;
    const order = b.order[i]!;
    const gfp = b.gfp[i]!;
    // highest_zoneidx: gfp_zone of the request (wake_all_kswapds); the boosted-watermark wake
    // in rmqueue passes gfp 0 and the boosted zone itself.
    let highest = gfp === 0 ? -1 : gfpZoneType(gfp, m.spec.configuredZoneTypes);
    const zones = m.zones;
    if (gfp === 0) {
      for (const z of zones) if (z.node === node && this.boost[z.index]! > 0) highest = z.type;
      if (highest < 0) {
        highest = zones.reduce((h, z) => z.node === node ? Math.max(h, z.type) : h, -1);
      }
    }
    if (highest < 0 || order < 0 || order > m.maxOrder) return;
    let any = false;
    let balanced = false;
    let boosted = false;
    for (const z of zones) {
      if (z.node !== node || z.type > highest || z.managedPages === 0) continue;
      any = true;
      if (this.boost[z.index]! > 0) boosted = true;
      const mark = z.wmarkHigh + this.boost[z.index]!;
      if (m.zoneWatermarkOk(z.index, order, mark, highest, 0)) balanced = true;
    }
    if (!any) return;
    const t = this.tally.kswapdWake;
    t.wakes++;
    if (!balanced || boosted) t.modelAgrees++;
    if (balanced && boosted) t.boostOnly++;
  }
}

/** The public result of the counts in `tally.kswapdWake`. */
export function kswapdWakeCheckResult(
  t: { wakes: number; modelAgrees: number; boostOnly: number },
): KswapdWakeCheckResult {
  return {
    wakes: t.wakes,
    modelAgrees: t.modelAgrees,
    agreementPct: t.wakes > 0 ? Math.round(10000 * t.modelAgrees / t.wakes) / 100 : null,
    boostOnly: t.boostOnly,
  };
}
