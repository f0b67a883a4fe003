/**
 * The tables a human reads for a {@linkcode ValidationReport} (`kmem validate`).
 *
 * @module
 */

import { DESYNC_KINDS } from "../page_replay.ts";
import { signed } from "./compared.ts";
import {
  SLAB_FLAG_MIN_OBJS,
  TARGET_FREE_BLOCKS_PCT,
  TARGET_FREE_PAGES_PCT,
  TARGET_SLAB_PCT,
  type TargetStatus,
  type ValidationReport,
} from "./validation_report.ts";
import { assertNever } from "../../trace/assert_never.ts";

/** Description of a page desync kind (for tables). */
function desyncText(kind: string): string {
  return (DESYNC_KINDS as Record<string, string>)[kind] ?? "";
}

const fmtPct = (x: number) =>
  `${x >= 0 ? "+" : ""}${x.toFixed(x !== 0 && Math.abs(x) < 0.1 ? 3 : 2)}%`;
/** A target's verdict; "not evaluated" says that nothing was compared, not that it was met. */
function verdict(status: TargetStatus, compared: string): string {
  switch (status) {
    case "met":
      return "met";
    case "missed":
      return "MISSED";
    case "not-evaluated":
      return `not evaluated (0 ${compared.replace(/^\d+ /, "")} compared)`;
    default:
      return assertNever(status);
  }
}

/**
 * Formats a {@linkcode ValidationReport} as the tables a human reads (`kmem validate`).
 *
 * @example
 * ```ts
 * import { formatValidation } from "./format_validation.ts";
 * const text = formatValidation({
 *   zones: [], slab: [], slabMethod: "in-use", desyncs: {}, lost: { markers: 0, events: 0 },
 *   errorBudget: [], pfnAgreement: null, kswapdWakeCheck: null,
 *   slabPages: { kpageflags: null, slabinfo: null, model: null },
 *   targets: { freePagesWithin0_5pct: true, freeBlocksWithin5pct: true, slabWithin2pct: true },
 *   targetStatus: { freePages: "not-evaluated", freeBlocks: "not-evaluated", slab: "not-evaluated" },
 *   targetCompared: { freePagesZones: 0, freeBlocksZones: 0, slabCaches: 0 },
 * });
 * text.includes("targets"); // true
 * ```
 */
export function formatValidation(report: ValidationReport): string {
  const o: string[] = [];
  o.push("zone        free pages: predicted     actual     error   pcp: predicted    actual");
  for (const z of report.zones) {
    o.push(
      `${z.name.padEnd(10)} ${String(z.freePages.predicted).padStart(21)} ${
        String(z.freePages.actual).padStart(10)
      } ${fmtPct(z.freePages.errorPct).padStart(9)} ${
        String(z.pcpPages?.predicted ?? "-").padStart(16)
      } ${String(z.pcpPages?.actual ?? "-").padStart(9)}`,
    );
  }
  o.push("");
  o.push("free blocks per order (buddyinfo)");
  for (const z of report.zones) {
    if (z.freeBlocks.actual.length === 0) continue;
    const w = z.freeBlocks.actual.map((a, k) =>
      Math.max(String(a).length, String(z.freeBlocks.predicted[k]).length, 6)
    );
    const row = (xs: Array<string | number>) =>
      xs.map((x, k) => String(x).padStart(w[k]!)).join(" ");
    o.push(`  ${z.name.padEnd(10)} order     ${row(w.map((_, k) => k))}`);
    o.push(`  ${"".padEnd(10)} predicted ${row(z.freeBlocks.predicted)}`);
    o.push(`  ${"".padEnd(10)} actual    ${row(z.freeBlocks.actual)}`);
    o.push(
      `  ${"".padEnd(10)} error     ${
        row(z.freeBlocks.errorPct.map((e) => `${e >= 0 ? "+" : ""}${e.toFixed(1)}%`))
      }`,
    );
  }
  const pbz = report.zones.filter((z) => Object.keys(z.pageblocksByType.actual).length > 0);
  if (pbz.length) {
    o.push("");
    o.push("pageblocks by migratetype (predicted/actual)");
    for (const z of pbz) {
      const cells = Object.entries(z.pageblocksByType.actual).map(([t, a]) =>
        `${t} ${z.pageblocksByType.predicted[t] ?? 0}/${a}`
      );
      o.push(`  ${z.name.padEnd(10)} ${cells.join("  ")}`);
    }
  }
  if (report.slab.length) {
    const flagged = report.slab.filter((s) => s.flagged);
    const bad = flagged.filter((s) => Math.abs(s.activeObjs.errorPct) > TARGET_SLAB_PCT);
    o.push("");
    const inUse = report.slabMethod === "in-use";
    o.push(
      `slab: ${report.slab.length} caches, ${flagged.length} with > ${SLAB_FLAG_MIN_OBJS} ` +
        `objects, ${bad.length} of them off by more than ${TARGET_SLAB_PCT} % ` +
        (inUse
          ? "(in-use: both slabinfo reads followed a shrink)"
          : "(layout: no shrink before the slabinfo reads; free objects of CPU slabs count)"),
    );
    o.push(
      `  ${"cache".padEnd(28)} ${"before".padStart(9)} ${"predicted".padStart(10)} ${
        "actual".padStart(9)
      } ${"error".padStart(9)} ${"implied frees".padStart(14)} ${
        (inUse ? "pre-trace frees" : "cpu-held Δ").padStart(15)
      }`,
    );
    const shown = [...bad, ...flagged.filter((s) => !bad.includes(s)).slice(0, 12)];
    for (const s of shown) {
      o.push(
        `${Math.abs(s.activeObjs.errorPct) > TARGET_SLAB_PCT ? "! " : "  "}${
          s.name.slice(0, 28).padEnd(28)
        } ${String(s.before ?? "-").padStart(9)} ${
          (s.shortfall > 0 ? `0 (−${s.shortfall})` : String(s.activeObjs.predicted)).padStart(10)
        } ${String(s.activeObjs.actual).padStart(9)} ${fmtPct(s.activeObjs.errorPct).padStart(9)} ${
          String(s.impliedFrees).padStart(14)
        } ${
          String(
            inUse ? s.preTraceFrees : s.cpuHeldDelta === null ? "-" : signed(s.cpuHeldDelta),
          ).padStart(15)
        }`,
      );
    }
  }
  if (report.pfnAgreement) {
    o.push("");
    o.push(
      "free vs allocated pfn by pfn (after.kpageflags; pages the trace never showed are unknown)",
    );
    o.push(
      `  ${"zone".padEnd(10)} ${"compared".padStart(10)} ${"agree".padStart(9)} ${
        "of present".padStart(10)
      } ${"model free, kernel not".padStart(23)} ${"model alloc/pcp, kernel free".padStart(29)} ${
        "unknown (kernel free)".padStart(24)
      }`,
    );
    for (const z of report.pfnAgreement) {
      const notFree = Object.entries(z.modelFreeKernelNot).filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${k} ${n}`).join(", ");
      const nf = Object.values(z.modelFreeKernelNot).reduce((a, n) => a + n, 0);
      o.push(
        `  ${z.name.padEnd(10)} ${String(z.comparedPages).padStart(10)} ${
          `${z.agreementPct.toFixed(2)}%`.padStart(9)
        } ${(z.coveragePct === null ? "-" : `${z.coveragePct.toFixed(1)}%`).padStart(10)} ${
          String(nf).padStart(23)
        } ${`${z.modelAllocatedKernelFree} + ${z.modelPcpKernelFree}`.padStart(29)} ${
          `${z.unknownPages} (${z.unknownKernelFree})`.padStart(24)
        }${notFree ? `  kernel: ${notFree}` : ""}`,
      );
    }
  }
  const sp = report.slabPages;
  if (sp.kpageflags !== null) {
    o.push(
      `slab pages at the end: KPF_SLAB ${sp.kpageflags} ` +
        `(${report.pfnAgreement?.map((z) => `${z.name} ${z.kernelSlabPages}`).join(", ")}), ` +
        `slabinfo ${sp.slabinfo ?? "-"}, slab model ${sp.model ?? "-"}`,
    );
  }
  const kw = report.kswapdWakeCheck;
  if (kw && kw.wakes > 0) {
    o.push(
      `kswapd wakes: ${kw.wakes} traced; the model's watermark check (pgdat_balanced at high + ` +
        `boost) fails at ${kw.modelAgrees} (${kw.agreementPct}%), ${kw.boostOnly} of them only ` +
        `by the modelled watermark boost`,
    );
  }
  const ds = Object.entries(report.desyncs);
  o.push("");
  o.push(
    `desyncs ${
      ds.reduce((a, [, n]) => a + n, 0)
    }; lost ${report.lost.markers} markers, ${report.lost.events} events`,
  );
  for (const [k, n] of ds) o.push(`  ${k.padEnd(24)} ${String(n).padStart(8)}  ${desyncText(k)}`);
  o.push("");
  o.push("error budget (what the trace does not show)");
  for (const l of report.errorBudget) {
    o.push(
      `  ${l.item.padEnd(62)} ${String(l.estimate ?? "?").padStart(8)} ${
        l.unit.padEnd(7)
      } ${l.basis}`,
    );
  }
  const t = report.targetStatus;
  const n = report.targetCompared;
  o.push("");
  o.push(
    `targets: free pages ±${TARGET_FREE_PAGES_PCT}% ${
      verdict(t.freePages, `${n.freePagesZones} zones`)
    }, free blocks ±${TARGET_FREE_BLOCKS_PCT}% ${
      verdict(t.freeBlocks, `${n.freeBlocksZones} zones`)
    }, slab ±${TARGET_SLAB_PCT}% ${
      verdict(t.slab, `${n.slabCaches} caches with > ${SLAB_FLAG_MIN_OBJS} objects`)
    }`,
  );
  return o.join("\n");
}
