/**
 * Consistency of a capture bundle before `kmem validate` compares against it: each snapshot file
 * validate reads must be present and non-empty, the zones of buddyinfo must be zones of zoneinfo,
 * and before must come before after. A broken bundle would otherwise validate "successfully"
 * against nothing (issue 16 item 4).
 *
 * @module
 */

import { InputError } from "../trace/diagnostics.ts";
import type { SnapshotPair, SnapshotSet } from "./bundle.ts";

/**
 * /proc/vmstat event counters that only grow while the machine runs (mm/vmstat.c
 * `vmstat_text`: PGALLOC per zone, PGFREE, PGFAULT are `count_vm_event(s)` increments).
 */
const GROWING_COUNTER = /^(pgalloc_\w+|pgfree|pgfault)$/;

/**
 * Throws an {@linkcode InputError} naming the first bundle file that makes validation
 * meaningless; `dir` prefixes the file names in messages.
 *
 * @example
 * ```ts
 * import { checkBundleForValidate } from "./bundle_check.ts";
 * import { parseSnapshotSet } from "./bundle.ts";
 * const pair = parseSnapshotSet({ "before.zoneinfo": "", "after.buddyinfo": "" });
 * try {
 *   checkBundleForValidate(pair, "b");
 * } catch (e) {
 *   (e as Error).message; // "b/before.zoneinfo: no zones: the file is empty or not /proc/zoneinfo"
 * }
 * ```
 */
export function checkBundleForValidate(pair: SnapshotPair, dir: string): void {
  const file = (name: string) => `${dir}/${name}`;
  const fail = (name: string, message: string): never => {
    throw new InputError(`${file(name)}: ${message}`);
  };
  for (const when of ["before", "after"] as const) {
    const set = pair[when];
    if (set.zoneinfo?.length === 0) {
      fail(`${when}.zoneinfo`, "no zones: the file is empty or not /proc/zoneinfo");
    }
    if (set.buddyinfo?.length === 0) {
      fail(`${when}.buddyinfo`, "no zones: the file is empty or not /proc/buddyinfo");
    }
    checkBuddyZones(set, when, fail);
  }
  // The replay starts from the before-state of whatever the after-state is compared with.
  if (!pair.before.zoneinfo) {
    fail("before.zoneinfo", "missing: validate replays from the machine and state it describes");
  }
  for (const kind of ["buddyinfo", "slabinfo"] as const) {
    if (pair.after[kind] && !pair.before[kind]) {
      fail(`before.${kind}`, `missing: after.${kind} is compared with the replay from it`);
    }
  }
  checkOrder(pair, fail);
}

/** Every populated zone buddyinfo prints is a zone of the same moment's zoneinfo. */
function checkBuddyZones(
  set: SnapshotSet,
  when: "before" | "after",
  fail: (name: string, message: string) => never,
): void {
  if (!set.buddyinfo || !set.zoneinfo) return;
  const zones = new Set(set.zoneinfo.map((z) => `${z.node}/${z.name}`));
  for (const r of set.buddyinfo) {
    if (!zones.has(`${r.node}/${r.zone}`)) {
      fail(
        `${when}.buddyinfo`,
        `zone ${r.zone} of node ${r.node} is not in ${when}.zoneinfo (zones: ${
          [...zones].join(", ")
        }): the two files are not of one machine`,
      );
    }
  }
}

/** before.vmstat's growing counters must not exceed after.vmstat's: else the files are swapped. */
function checkOrder(pair: SnapshotPair, fail: (name: string, message: string) => never): void {
  const b = pair.before.vmstat;
  const a = pair.after.vmstat;
  if (!b || !a) return;
  for (const [name, before] of Object.entries(b)) {
    const after = a[name];
    if (!GROWING_COUNTER.test(name) || after === undefined || after >= before) continue;
    fail(
      "after.vmstat",
      `${name} ${after} is below before.vmstat's ${before}, and it only grows: before and ` +
        `after are swapped, or the machine rebooted between them`,
    );
  }
}
