/**
 * trace.dat decoding of the vmscan events, from the real 6.18 event formats of the shared capture:
 * the `__print_flags` tables give the same strings the kernel prints in text traces.
 */
import assert from "node:assert/strict";
import { Ev } from "../../../lib/trace/event_kind.ts";
import { StringTable } from "../../../lib/trace/string_table.ts";
import { buildOps } from "../../../lib/trace/tracedat/decode_plan.ts";
import { printFlags, printFlagsTable } from "../../../lib/trace/tracedat/print_flags.ts";
import { TraceDatReader } from "../../../lib/trace/tracedat/tracedat_reader.ts";
import { MIXED_DIR } from "../../shared_data.ts";

const reader = new TraceDatReader(Deno.readFileSync(`${MIXED_DIR.replace(/\/$/, "")}/trace.dat`));

Deno.test("reclaim flags and throttle reasons print as in text traces", () => {
  const inactive = reader.eventFormat("mm_vmscan_lru_shrink_inactive")!;
  const flags = printFlagsTable(inactive.printFmt, "reclaim_flags");
  assert.equal(flags.none, "RECLAIM_WB_NONE");
  // trace_reclaim_flags(file) = RECLAIM_WB_FILE | RECLAIM_WB_ASYNC (include/trace/events/vmscan.h).
  assert.equal(printFlags(0x2 | 0x8, flags), "RECLAIM_WB_FILE|RECLAIM_WB_ASYNC");
  assert.equal(printFlags(0x1 | 0x8, flags), "RECLAIM_WB_ANON|RECLAIM_WB_ASYNC");
  assert.equal(printFlags(0, flags), "RECLAIM_WB_NONE");
  const throttled = reader.eventFormat("mm_vmscan_throttled")!;
  const reasons = printFlagsTable(throttled.printFmt, "reason");
  // reason = 1U << VMSCAN_THROTTLE_WRITEBACK (0) … CONGESTED (3), include/linux/mmzone.h.
  assert.equal(printFlags(1, reasons), "VMSCAN_THROTTLE_WRITEBACK");
  assert.equal(printFlags(8, reasons), "VMSCAN_THROTTLE_CONGESTED");
  assert.equal(printFlags(0, reasons), "VMSCAN_THROTTLE_NONE");
});

Deno.test("every vmscan and compaction event of the 6.18 formats has a decoding plan", () => {
  const names = [
    "mm_vmscan_memcg_reclaim_begin",
    "mm_vmscan_memcg_reclaim_end",
    "mm_vmscan_memcg_softlimit_reclaim_begin",
    "mm_vmscan_memcg_softlimit_reclaim_end",
    "mm_vmscan_node_reclaim_begin",
    "mm_vmscan_node_reclaim_end",
    "mm_vmscan_lru_isolate",
    "mm_vmscan_lru_shrink_inactive",
    "mm_vmscan_lru_shrink_active",
    "mm_vmscan_reclaim_pages",
    "mm_vmscan_write_folio",
    "mm_vmscan_throttled",
    "mm_shrink_slab_start",
    "mm_shrink_slab_end",
  ] as const;
  // Ops per event: fixed columns + the schema's value columns found in the 6.18 format.
  const want: Record<(typeof names)[number], number> = {
    mm_vmscan_memcg_reclaim_begin: 2, // order, gfp (no nid field)
    mm_vmscan_memcg_reclaim_end: 1,
    mm_vmscan_memcg_softlimit_reclaim_begin: 2,
    mm_vmscan_memcg_softlimit_reclaim_end: 1,
    mm_vmscan_node_reclaim_begin: 3,
    mm_vmscan_node_reclaim_end: 1,
    mm_vmscan_lru_isolate: 7,
    mm_vmscan_lru_shrink_inactive: 6,
    mm_vmscan_lru_shrink_active: 6,
    mm_vmscan_reclaim_pages: 5, // no priority field
    mm_vmscan_write_folio: 2,
    mm_vmscan_throttled: 4,
    mm_shrink_slab_start: 8,
    mm_shrink_slab_end: 7,
  };
  for (const n of names) {
    const fmt = reader.eventFormat(n);
    assert.ok(fmt, n);
    assert.equal(buildOps(Ev[n], fmt, new StringTable(), true).length, want[n], n);
  }
});
