/**
 * Replays bundle directories and prints their validation tables (the measurements behind the
 * README "Fidelity" section). `kmem validate` does the same for one bundle.
 *
 *   deno run -A bench/validate_bundles.ts ../shared/traces/mixed [more bundle dirs…] [--json]
 *
 * @module
 */

import { bundleLayout } from "../lib/snapshot/bundle_layout.ts";
import { parseSnapshotSet } from "../lib/snapshot/bundle.ts";
import { replayTrace } from "../lib/replay/replay_trace.ts";
import { formatValidation } from "../lib/replay/validate/format_validation.ts";
import { validateReplay } from "../lib/replay/validate/validate_replay.ts";

const json = Deno.args.includes("--json");
for (const dir of Deno.args.filter((a) => !a.startsWith("--"))) {
  const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name);
  const layout = bundleLayout(names);
  if (!layout.trace) throw new Error(`${dir}: no trace`);
  const texts: Record<string, Uint8Array> = {};
  for (const n of layout.snapshots) texts[n] = Deno.readFileSync(`${dir}/${n}`);
  const snapshots = parseSnapshotSet(texts);
  const file = await Deno.open(`${dir}/${layout.trace}`);
  const r = await replayTrace(file.readable, { file: `${dir}/${layout.trace}`, snapshots });
  const v = validateReplay(r, snapshots.after, snapshots.before);
  if (json) console.log(JSON.stringify(v, null, 2));
  else {
    console.log(
      `== ${dir} (${layout.trace}, ${r.import.events.total} events, ${
        (r.import.timeNs.span / 1e9).toFixed(2)
      } s, replay ${(r.elapsedMs / 1000).toFixed(1)} s)`,
    );
    console.log(formatValidation(v));
    console.log("");
  }
}
