/**
 * The input of `kmem validate`: a bundle whose after-snapshots can be compared, checked before the
 * replay so that a bundle that cannot be compared fails first, naming the file.
 *
 * @module
 */

import { parseSnapshotSet } from "../../snapshot/bundle.ts";
import { checkBundleForValidate } from "../../snapshot/bundle_check.ts";
import { resolveTraceInput, type TraceInput } from "../../snapshot/trace_input.ts";
import { InputError } from "../../trace/diagnostics.ts";
import type { InputFlags } from "../replay_flags.ts";
import { bundlePaths } from "../replay_input.ts";

/** Resolves `dir` as a bundle with after-snapshots to compare; an {@linkcode InputError} if not. */
export async function validateInputOf(
  dir: string,
  format: InputFlags["format"],
): Promise<TraceInput> {
  const input = await resolveTraceInput(dir, format);
  const bundle = input.bundle;
  if (!bundle) throw new InputError(`${dir}: kmem validate needs a bundle directory`);
  const textSnapshots = Object.fromEntries(
    Object.entries(bundlePaths(input)).filter(([name]) => !name.endsWith("kpageflags")),
  );
  const parsed = parseSnapshotSet(textSnapshots);
  if (!parsed.after.buddyinfo && !parsed.after.zoneinfo) {
    throw new InputError(`${dir}: no after.buddyinfo / after.zoneinfo to compare with`);
  }
  checkBundleForValidate(parsed, bundle.dir.replace(/\/+$/, ""));
  return input;
}
