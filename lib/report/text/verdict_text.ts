/**
 * The verdict as text lines: a table per zone at the order that matters, one sentence per zone,
 * the top fallback causes and the desync split. Shared by `kmem replay` and `kmem report`.
 *
 * @module
 */

import type { MemoryVerdict, VerdictCause, VerdictRank } from "../../metrics/memory_verdict.ts";
import { assertNever } from "../../trace/assert_never.ts";

/** The cause as a reader says it. */
export function causeLabel(c: VerdictCause): string {
  switch (c) {
    case "fragmentation":
      return "fragmentation";
    case "lack-of-memory":
      return "lack of memory";
    case "no-shortage":
      return "no shortage";
    default:
      return assertNever(c);
  }
}

const frac = (index: number) => (index / 1000).toFixed(3);

/** `key count, key count` of a ranking, or `none`. */
export function rankText(r: readonly VerdictRank[]): string {
  return r.length ? r.map((x) => `${x.key} ${x.count.toLocaleString("en-US")}`).join(", ") : "none";
}

/**
 * The verdict lines (no trailing newline).
 *
 * @example
 * ```ts
 * import { formatVerdict } from "./verdict_text.ts";
 * formatVerdict({ extfragThreshold: 500, zones: [],
 *   fallbacks: { total: 0, byPair: [], byComm: [] },
 *   desyncs: { total: 0, firstSightings: 0, disagreements: 0, firstSightingKinds: {},
 *     disagreementKinds: {}, sentence: "no desync." } })[0];
 * // "verdict    per zone at the order that matters (extfrag > 0.500 = fragmentation)"
 * ```
 */
export function formatVerdict(v: MemoryVerdict): string[] {
  const o: string[] = [];
  o.push(
    `verdict    per zone at the order that matters (extfrag > ${
      frac(v.extfragThreshold)
    } = fragmentation)`,
  );
  o.push(
    "  zone       order  unusable end / worst   extfrag end / worst   worst at (s)   cause",
  );
  for (const z of v.zones) {
    o.push(
      `  ${z.zone.padEnd(10)} ${String(z.order).padStart(5)}  ${
        `${frac(z.end.unusable)} / ${frac(z.worst.unusable)}`.padEnd(21)
      }  ${`${frac(z.end.extfrag)} / ${frac(z.worst.extfrag)}`.padEnd(20)}  ${
        (z.worst.tsNs / 1e9).toFixed(3).padStart(13)
      }   ${causeLabel(z.cause)}`,
    );
  }
  for (const z of v.zones) o.push(`  ${z.sentence}`);
  o.push(
    `  fallbacks ${v.fallbacks.total.toLocaleString("en-US")}: top pairs ${
      rankText(v.fallbacks.byPair)
    }; top comms ${rankText(v.fallbacks.byComm)}`,
  );
  o.push(`  ${v.desyncs.sentence}`);
  return o;
}
