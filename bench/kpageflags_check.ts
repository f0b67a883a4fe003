/**
 * Reads /proc/kpageflags on this machine (as root) and cross-checks it, per zone, against
 * /proc/buddyinfo and /proc/zoneinfo read just before and just after: free blocks per order
 * decomposed from the KPF_BUDDY runs against buddyinfo's counts, free pages against `pages free`,
 * and the per-cpu-list pages (not buddy pages, so not KPF_BUDDY). Prints timings and sizes.
 *
 *   npx --yes deno@2.9.6 run -A bench/kpageflags_check.ts [rounds] [--save DIR]
 *
 * `--save DIR` writes the last round's files (before.buddyinfo, kpageflags, after.buddyinfo …).
 */

import { readKpageflags } from "../lib/capture/kpageflags_reader.ts";
import { parseBuddyinfo } from "../lib/snapshot/buddyinfo.ts";
import { decodeKpageflags } from "../lib/snapshot/kpageflags.ts";
import { kpfZoneRanges, summarizeKpageflags } from "../lib/snapshot/kpageflags_summary.ts";
import { parseZoneinfo } from "../lib/snapshot/zoneinfo.ts";

const args = [...Deno.args];
const saveAt = args.indexOf("--save");
const saveDir = saveAt >= 0 ? args.splice(saveAt, 2)[1] : undefined;
const rounds = Number(args[0] ?? 3);

for (let round = 1; round <= rounds; round++) {
  const zi0 = Deno.readTextFileSync("/proc/zoneinfo");
  const bi0 = Deno.readTextFileSync("/proc/buddyinfo");
  const cap = readKpageflags();
  const bi1 = Deno.readTextFileSync("/proc/buddyinfo");
  const zi1 = Deno.readTextFileSync("/proc/zoneinfo");
  const t0 = performance.now();
  const snap = decodeKpageflags(cap.bytes);
  const decodeMs = performance.now() - t0;
  const zones = parseZoneinfo(zi0);
  const t1 = performance.now();
  const sums = summarizeKpageflags(snap, kpfZoneRanges(zones));
  const summaryMs = performance.now() - t1;
  console.log(
    `round ${round}: ${cap.pfnCount} pfns, ${cap.runCount} runs, ${snap.wordLo.length} words, ` +
      `${cap.bytes.length} bytes; read ${cap.readMs.toFixed(0)} ms, gzip ${
        cap.encodeMs.toFixed(0)
      } ms, decode ${decodeMs.toFixed(0)} ms, summary ${summaryMs.toFixed(0)} ms`,
  );
  const before = parseBuddyinfo(bi0);
  const after = parseBuddyinfo(bi1);
  const zAfter = parseZoneinfo(zi1);
  for (const s of sums) {
    const b0 = before.find((r) => r.node === s.node && r.zone === s.zone)?.freeBlocks ?? [];
    const b1 = after.find((r) => r.node === s.node && r.zone === s.zone)?.freeBlocks ?? [];
    const z0 = zones.find((z) => z.node === s.node && z.name === s.zone)!;
    const z1 = zAfter.find((z) => z.node === s.node && z.name === s.zone)!;
    const pcp = (z: typeof z0) => z.pagesets.reduce((n, p) => n + p.count, 0);
    const diff = s.free.perOrder.map((n, o) => n - (b1[o] ?? 0));
    const pages = (b: number[]) => b.reduce((n, c, o) => n + c * 2 ** o, 0);
    console.log(
      `  ${s.zone.padEnd(7)} kpf free ${s.free.pages} pages | buddyinfo before ${pages(b0)} ` +
        `after ${pages(b1)} | zoneinfo free ${z0.freePages}→${z1.freePages} | pcp ${pcp(z0)}→${
          pcp(z1)
        } | noflags ${s.kindPages.noflags}`,
    );
    console.log(`           kpf blocks   ${s.free.perOrder.join(" ")}`);
    console.log(`           buddyinfo1   ${b1.join(" ")}`);
    console.log(`           kpf − bi1    ${diff.join(" ")}`);
  }
  if (saveDir && round === rounds) {
    Deno.mkdirSync(saveDir, { recursive: true });
    Deno.writeTextFileSync(`${saveDir}/before.buddyinfo`, bi0);
    Deno.writeTextFileSync(`${saveDir}/before.zoneinfo`, zi0);
    Deno.writeFileSync(`${saveDir}/kpageflags`, cap.bytes);
    Deno.writeTextFileSync(`${saveDir}/after.buddyinfo`, bi1);
    Deno.writeTextFileSync(`${saveDir}/after.zoneinfo`, zi1);
  }
}
