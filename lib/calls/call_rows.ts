/**
 * The rows of `kmem import`: one per call, as CSV (through papaparse) or NDJSON, with names in
 * place of codes (call, event, migratetype, zone, gfp flags).
 *
 * @module
 */

import { toCsv } from "../trace/csv_text.ts";
import { formatGfp } from "../kernel/gfp_flags.ts";
import { MIGRATE_TYPE_NAMES, ZONE_NAMES } from "../kernel/constants.ts";
import { EVENT_NAMES } from "../trace/event_kind.ts";
import { ptrHex } from "../trace/event_batch.ts";
import { valueColumns } from "../trace/event_schema.ts";
import type { StringTable } from "../trace/string_table.ts";
import { CALL_NAMES } from "./call_kind.ts";
import type { CallBatch } from "./call_batch.ts";

/** Column names of `kmem import` rows (CSV header and NDJSON keys). */
export const CALL_COLUMNS = [
  "tsNs",
  "cpu",
  "pid",
  "comm",
  "call",
  "event",
  "pfn",
  "order",
  "migratetype",
  "gfp",
  "gfpFlags",
  "flags",
  "ptr",
  "bytesReq",
  "bytesAlloc",
  "callSite",
  "name",
  "node",
  "zone",
  "a",
  "b",
  "c",
  "d",
  "source",
] as const;

/** Distinct gfp masks whose flag names are remembered (a trace has a few hundred). */
const GFP_NAME_CACHE_MAX = 4096;

/**
 * Turns call batches into `kmem import` text; the CSV header comes with the first batch.
 *
 * @example
 * ```ts
 * import { CallRowWriter } from "./call_rows.ts";
 * import { importTrace } from "./trace_import.ts";
 *
 * const path = new URL("../../traces/small-6.18.dat", import.meta.url).pathname;
 * using f = await Deno.open(path);
 * const w = new CallRowWriter("csv");
 * let text = "";
 * await importTrace(f.readable, (b, strings) => text += w.rows(b, strings), { file: path });
 * text.trimEnd().split(/\r?\n/).length; // 2933
 * ```
 */
export class CallRowWriter {
  readonly #format: "csv" | "ndjson";
  #header = true;
  readonly #gfpNames = new Map<number, string>();

  constructor(format: "csv" | "ndjson") {
    this.#format = format;
  }

  /** The rows of one batch as text, ending in a line break. */
  rows(b: CallBatch, strings: StringTable): string {
    const rows: unknown[][] = new Array(b.length);
    for (let i = 0; i < b.length; i++) rows[i] = this.#row(b, i, strings);
    if (this.#format === "csv") {
      const text = toCsv(CALL_COLUMNS, rows, { header: this.#header }) + "\r\n";
      this.#header = false;
      return text;
    }
    return rows.map((r) =>
      JSON.stringify(Object.fromEntries(CALL_COLUMNS.map((c, k) => [c, r[k]])))
    )
      .join("\n") + "\n";
  }

  /** One row in {@linkcode CALL_COLUMNS} order. */
  #row(b: CallBatch, i: number, strings: StringTable): unknown[] {
    const zone = b.zone[i]!;
    const mt = b.mt[i]!;
    const gfp = b.gfp[i]!;
    let gfpFlags = "";
    if (gfp) {
      gfpFlags = this.#gfpNames.get(gfp) ?? formatGfp(gfp);
      if (this.#gfpNames.size < GFP_NAME_CACHE_MAX) this.#gfpNames.set(gfp, gfpFlags);
    }
    return [
      b.tsNs[i],
      b.cpu[i],
      b.pid[i],
      strings.get(b.comm[i]!),
      CALL_NAMES[b.call[i]!],
      EVENT_NAMES[b.kind[i]!],
      b.pfn[i],
      b.order[i],
      mt >= 0 ? (MIGRATE_TYPE_NAMES[mt] ?? mt) : "",
      gfp ? `0x${gfp.toString(16)}` : "",
      gfpFlags,
      b.flags[i],
      b.ptrHi[i] || b.ptrLo[i] ? ptrHex(b, i) : "",
      b.bytesReq[i],
      b.bytesAlloc[i],
      strings.get(b.callSite[i]!),
      strings.get(b.name[i]!),
      b.node[i],
      zone >= 0 ? (ZONE_NAMES[zone] ?? zone) : "",
      ...valueColumns(b, i),
      b.source[i],
    ];
  }
}
