/**
 * Specification of the event schema: the named fields of every event family, checked against
 * the real captures — text lines counted with regular expressions on the raw text, trace.dat
 * field names against the formats stored in the file.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { EventBatch } from "../../lib/trace/event_batch.ts";
import { Ev, EVENT_NAMES } from "../../lib/trace/event_kind.ts";
import {
  describeSchema,
  EVENT_SCHEMA,
  EventField,
  EventFieldSet,
  type EventLayout,
  LAYOUT_OF_EVENT,
  mapSchema,
  VALUE_COLUMNS,
  valueColumns,
} from "../../lib/trace/event_schema.ts";
import { StringTable } from "../../lib/trace/string_table.ts";
import { TextTraceParser } from "../../lib/trace/text/text_parser.ts";
import { KEY_NAMES } from "../../lib/trace/text/field_reader.ts";
import { TraceDatReader } from "../../lib/trace/tracedat/tracedat_reader.ts";
import { MIXED_DIR } from "../shared_data.ts";

const layouts = Object.entries(EVENT_SCHEMA as { [l: string]: EventLayout });

Deno.test("schema: each event belongs to at most one family; columns differ within a family", () => {
  const seen = new Set<string>();
  for (const [name, layout] of layouts) {
    for (const e of layout.events) {
      assert.ok(!seen.has(e), `${e} is in two families`);
      seen.add(e);
      assert.equal(LAYOUT_OF_EVENT[Ev[e]], name);
    }
    const cols = Object.values(layout.fields).map((f) => f.column);
    assert.equal(new Set(cols).size, cols.length, `${name}: two fields share a column`);
    for (const f of Object.values(layout.fields)) {
      for (const t of f.text) assert.ok(KEY_NAMES.includes(t), `text key ${t} not tokenized`);
    }
  }
  // Events without a family use no value column.
  const free = EVENT_NAMES.filter((e) => !seen.has(e));
  assert.ok(free.includes("kmalloc") && free.includes("mm_page_alloc"));
});

Deno.test("schema: the named accessors read what the named writers wrote, in the declared column", () => {
  const b = new EventBatch(2);
  const cols = mapSchema((f) => f.column);
  for (const [name, layout] of layouts) {
    for (const [field, spec] of Object.entries(layout.fields)) {
      b.clear();
      const i = b.push(Ev[layout.events[0]!], 0, 0);
      const set = (EventFieldSet as unknown as Record<string, Record<string, typeof write>>)[name]!;
      const get = (EventField as unknown as Record<string, Record<string, typeof read>>)[name]!;
      set[field]!(b, i, 1234);
      assert.equal(get[field]!(b, i), 1234);
      const k = VALUE_COLUMNS.indexOf(spec.column);
      assert.equal(valueColumns(b, i)[k], 1234);
      assert.equal(
        (cols as unknown as Record<string, Record<string, string>>)[name]![field],
        spec.column,
      );
    }
  }
  assert.ok(describeSchema().includes(" mm_compaction_isolate_freepages, "));
});
const write = EventFieldSet.extfrag.fallbackOrder;
const read = EventField.extfrag.fallbackOrder;

/** Every row of a text trace, kept (the parser reuses its batch). */
function parseText(bytes: Uint8Array): EventBatch {
  const all = new EventBatch(1 << 16);
  const grow = (n: number) => {
    const out = new EventBatch(Math.max(n, all.capacity * 2));
    for (let i = 0; i < all.length; i++) out.copyRow(all, i);
    return out;
  };
  let rows = all;
  const p = new TextTraceParser((b) => {
    if (rows.length + b.length > rows.capacity) rows = grow(rows.length + b.length);
    for (let i = 0; i < b.length; i++) rows.copyRow(b, i);
  });
  p.feed(bytes);
  p.end();
  return rows;
}

/** Sums of `key=N` (decimal or hex) over the lines of `event`, counted with a regex. */
function sumKeys(text: string, event: string, keys: string[]): number[] {
  const sums = keys.map(() => 0);
  for (const line of text.split("\n")) {
    if (!line.includes(` ${event}: `)) continue;
    keys.forEach((k, j) => {
      const m = new RegExp(`[ (]${k}=(0x[0-9a-f]+|-?\\d+)`).exec(line);
      if (m) sums[j]! += Number(m[1]);
    });
  }
  return sums;
}

Deno.test("compact-6.18 text: isolate, migratepages and compaction_begin fields through the accessors", () => {
  const gz = Deno.readFileSync(new URL("../../traces/compact-6.18/trace.txt.gz", import.meta.url));
  const bytes = gunzipSync(gz);
  const text = new TextDecoder().decode(bytes);
  const b = parseText(bytes);
  const iso = EventField.isolate;
  const sums = new Map<number, number[]>();
  let migrated = 0, failed = 0, migratePfn = 0, freePfn = 0;
  for (let i = 0; i < b.length; i++) {
    const k = b.kind[i]!;
    if (LAYOUT_OF_EVENT[k] === "isolate") {
      const s = sums.get(k) ?? [0, 0, 0, 0];
      s[0]! += iso.rangeStartPfn(b, i);
      s[1]! += iso.rangeEndPfn(b, i);
      s[2]! += iso.nrScanned(b, i);
      s[3]! += iso.nrTaken(b, i);
      sums.set(k, s);
    } else if (k === Ev.mm_compaction_migratepages) {
      migrated += EventField.migratepages.nrMigrated(b, i);
      failed += EventField.migratepages.nrFailed(b, i);
    } else if (k === Ev.mm_compaction_begin) {
      migratePfn += EventField.compaction.migratePfn(b, i);
      freePfn += EventField.compaction.freePfn(b, i);
    }
  }
  for (const ev of ["mm_compaction_isolate_freepages", "mm_compaction_isolate_migratepages"]) {
    // `range=(0x1 ~ 0x200)`: the start follows `(`, the end follows `~ `.
    const starts = sumKeys(text.replaceAll("range=(", "range_start="), ev, ["range_start"])[0]!;
    const ends = sumKeys(text.replaceAll(" ~ ", " range_end="), ev, ["range_end"])[0]!;
    const [scanned, taken] = sumKeys(text, ev, ["nr_scanned", "nr_taken"]);
    assert.deepEqual(sums.get(Ev[ev as keyof typeof Ev]), [starts, ends, scanned, taken], ev);
    assert.ok(scanned! > 0);
  }
  assert.deepEqual(
    [migrated, failed],
    sumKeys(text, "mm_compaction_migratepages", ["nr_migrated", "nr_failed"]),
  );
  assert.deepEqual(
    [migratePfn, freePfn],
    sumKeys(text, "mm_compaction_begin", ["migrate_pfn", "free_pfn"]),
  );
});

Deno.test("mixed trace.dat: every schema field of the recorded events names a field of the file's format", () => {
  const r = new TraceDatReader(Deno.readFileSync(`${MIXED_DIR}trace.dat`));
  let checked = 0;
  for (const [name, layout] of layouts) {
    for (const e of layout.events) {
      const fmt = r.eventFormat(e);
      if (!fmt) continue;
      for (const [field, spec] of Object.entries(layout.fields)) {
        // Markers are not fields; removed fields exist only in older kernels' formats.
        if (spec.conv === "marker" || "removedIn" in spec) continue;
        const has = spec.dat.some((d) => fmt.fields.some((f) => f.name === d));
        // `printed` values may come from the print fmt only (pageblock_order of extfrag).
        const printed = spec.conv === "printed" && fmt.printFmt.includes(`${spec.text[0]}=`);
        assert.ok(has || printed, `${name}.${field}: none of ${spec.dat} in ${e}'s format`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 30, `only ${checked} fields checked`);
});

Deno.test("mixed capture: percpu_refill and extfrag fields agree between trace.dat and the text", () => {
  const text = new TextDecoder().decode(gunzipSync(Deno.readFileSync(`${MIXED_DIR}trace.txt.gz`)));
  const r = new TraceDatReader(Deno.readFileSync(`${MIXED_DIR}trace.dat`));
  let refill = 0, fallbackOrder = 0, fallbackMt = 0, pageblockOrder = 0;
  for (const b of r.batches(new StringTable())) {
    for (let i = 0; i < b.length; i++) {
      if (b.kind[i] === Ev.mm_page_alloc_zone_locked) {
        refill += EventField.zoneLocked.percpuRefill(b, i);
      } else if (b.kind[i] === Ev.mm_page_alloc_extfrag) {
        fallbackOrder += EventField.extfrag.fallbackOrder(b, i);
        fallbackMt += EventField.extfrag.fallbackMigratetype(b, i);
        pageblockOrder += EventField.extfrag.pageblockOrder(b, i);
      }
    }
  }
  assert.deepEqual([refill], sumKeys(text, "mm_page_alloc_zone_locked", ["percpu_refill"]));
  assert.deepEqual(
    [fallbackOrder, fallbackMt, pageblockOrder],
    sumKeys(text, "mm_page_alloc_extfrag", [
      "fallback_order",
      "fallback_migratetype",
      "pageblock_order",
    ]),
  );
  assert.ok(refill > 0 && pageblockOrder > 0);
});
