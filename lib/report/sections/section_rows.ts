/**
 * Row builders shared by the report's sections: tidy rows from downsampled series and counter
 * buckets, zone labels, and how many rows of a long table the page shows.
 *
 * @module
 */

import type { CounterSet } from "../../metrics/event_counter_series.ts";
import type { SeriesSet } from "../../metrics/series_downsampler.ts";
import { type Cell, nsToSeconds } from "../csv_table.ts";
import { NR_PAGE_ORDERS } from "../../kernel/constants.ts";

/** Rows of a long table shown in the page. */
export const SHOWN_ROWS = 30;
/** Every page order, 0 … MAX_PAGE_ORDER (include/linux/mmzone.h). */
export const ORDERS = Array.from({ length: NR_PAGE_ORDERS }, (_, o) => o);

/** Tidy rows from a SeriesSet: `[...prefix, ts_s, seriesName, value]`. */
export function seriesRows(
  set: SeriesSet,
  prefix: Cell[],
  convert: (v: number) => number = (v) => v,
  seriesValue: (name: string) => Cell = (n) => n,
): Cell[][] {
  const rows: Cell[][] = [];
  set.names.forEach((name, i) => {
    const p = set.points[i]!;
    for (let j = 0; j < p.tsNs.length; j++) {
      rows.push([...prefix, nsToSeconds(p.tsNs[j]!), seriesValue(name), convert(p.values[j]!)]);
    }
  });
  return rows;
}

/** Tidy rows from counter buckets: `[...prefix, start_s, end_s, key, count]`. */
export function counterRows(set: CounterSet, prefix: Cell[]): Cell[][] {
  return set.buckets.map((b) => [
    ...prefix,
    nsToSeconds(b.startNs),
    nsToSeconds(b.startNs + b.widthNs),
    set.keys[b.key]!,
    b.count,
  ]);
}

/** `zone`, or `node/zone` on a multi-node machine. */
export function zoneLabel(z: { node: number; zone: string }, multiNode: boolean): string {
  return multiNode ? `${z.node}/${z.zone}` : z.zone;
}

/** A fragmentation index stored in thousandths, as a fraction. */
export function fraction(index: number): number {
  return index / 1000;
}

/**
 * A power-of-two size in the largest binary unit that divides it: 4096 → "4 KiB", 2 MiB →
 * "2 MiB", 64 KiB → "64 KiB".
 *
 * @example
 * ```ts
 * import { binarySizeLabel } from "./section_rows.ts";
 * [binarySizeLabel(4096), binarySizeLabel(4096 * 512), binarySizeLabel(512)]; // ["4 KiB", "2 MiB", "512 B"]
 * ```
 */
export function binarySizeLabel(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (u < units.length - 1 && bytes >= 1024 && bytes % 1024 === 0) {
    bytes /= 1024;
    u++;
  }
  return `${bytes} ${units[u]}`;
}
