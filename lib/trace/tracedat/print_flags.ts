/**
 * The `__print_flags` conversion of trace.dat flag fields: the mask table parsed from an event's
 * print fmt ({@linkcode printFlagsTable}) and the text the kernel would print ({@linkcode printFlags}).
 *
 * @module
 */

/**
 * The text `__print_flags` makes of `value` (kernel/trace/trace_output.c trace_print_flags_seq):
 * the names of the table's masks fully set in `value`, in table order, joined by `|`, then any
 * bits left over in hex; the `none` text (the print fmt's `: "…"` branch) for 0.
 */
export function printFlags(
  value: number,
  table: { bits: readonly (readonly [number, string])[]; none: string },
): string {
  if (value === 0) return table.none;
  const parts: string[] = [];
  let rest = value;
  for (const [mask, name] of table.bits) {
    if (mask !== 0 && (rest & mask) === mask) {
      parts.push(name);
      rest &= ~mask;
    }
  }
  if (rest !== 0) parts.push(`0x${(rest >>> 0).toString(16)}`);
  return parts.join("|");
}

/**
 * Names of enum vmscan_throttle_state (include/linux/mmzone.h): the throttle print fmt writes its
 * masks as `(1 << VMSCAN_THROTTLE_…)`, which a trace.dat reader cannot evaluate.
 */
const THROTTLE_STATES = [
  "VMSCAN_THROTTLE_WRITEBACK",
  "VMSCAN_THROTTLE_ISOLATED",
  "VMSCAN_THROTTLE_NOPROGRESS",
  "VMSCAN_THROTTLE_CONGESTED",
];

/** The `__print_flags(REC->field, "|", {mask, "NAME"} …) : "none"` table of a print fmt. */
export function printFlagsTable(
  printFmt: string,
  field: string,
): { bits: Array<readonly [number, string]>; none: string } {
  const bits: Array<readonly [number, string]> = [];
  const at = printFmt.search(new RegExp(`__print_flags\\(\\s*REC->${field}\\b`));
  if (at < 0) return { bits, none: "0" };
  const after = printFmt.slice(at);
  const pair = /\{\s*([^{}]*?)\s*,\s*"([^"]*)"\s*\}/g;
  let end = after.length;
  for (let p = pair.exec(after); p; p = pair.exec(after)) {
    const expr = p[1]!.trim();
    const num = /^\(?\s*(0x[0-9a-fA-F]+|\d+)[uUlL]*\s*\)?$/.exec(expr);
    const shift = /^\(?\s*1[uUlL]*\s*<<\s*(\w+)\s*\)?$/.exec(expr);
    if (num) bits.push([Number(num[1]), p[2]!]);
    else if (shift && /^\d+$/.test(shift[1]!)) bits.push([1 << Number(shift[1]), p[2]!]);
    else if (shift && THROTTLE_STATES.includes(shift[1]!)) {
      bits.push([1 << THROTTLE_STATES.indexOf(shift[1]!), p[2]!]);
    }
    end = pair.lastIndex;
    if (/^\s*\)/.test(after.slice(end))) break;
  }
  const none = /^\s*\)\s*:\s*"([^"]*)"/.exec(after.slice(end));
  return { bits, none: none ? none[1]! : "0" };
}
