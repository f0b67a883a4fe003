/**
 * Records capture bundles with different workloads on this machine and validates each: the fresh
 * captures behind the README "Fidelity" section. Bundles go to `<out>/<name>/` (keep them out of
 * the repo); `kmem capture` records one bundle the same way.
 *
 *   deno run -A bench/capture_bundles.ts /tmp/kmem-fresh [name…] [--gzip] [--no-dat]
 *
 * @module
 */

import { captureBundle } from "../lib/capture/tracefs_capture.ts";

/** Workloads: a short shell command each (≈1–2 s on a 2-CPU VM). */
export const WORKLOADS: Record<string, string[]> = {
  // Page cache: write and read back a 64 MiB file, then drop it.
  pagecache: [
    "sh",
    "-c",
    "f=$(mktemp /var/tmp/kmemcap.XXXXXX); dd if=/dev/zero of=$f bs=1M count=64 status=none; " +
    "cat $f > /dev/null; rm -f $f",
  ],
  // Anonymous memory churn, THP-eligible (64 MiB touched page by page, twice).
  anon: [
    "python3",
    "-c",
    "import mmap\nfor r in range(2):\n m=mmap.mmap(-1,64<<20)\n" +
    " for i in range(0,64<<20,4096): m[i]=1\n m.close()",
  ],
  // Slab: create and delete 3000 small files (dentry, inode, ext4/tmpfs caches).
  slab: [
    "sh",
    "-c",
    "d=$(mktemp -d /var/tmp/kmemcap.XXXXXX); i=0; while [ $i -lt 3000 ]; do : > $d/f$i; " +
    "i=$((i+1)); done; rm -rf $d",
  ],
  // The demo bundle (traces/demo): 400 small files written, read and removed — page cache,
  // dentries and inodes in a trace small enough to ship (< 1.5 MiB with the text gzipped).
  demo: [
    "sh",
    "-c",
    "d=$(mktemp -d /var/tmp/kmemcap.XXXXXX); i=0; while [ $i -lt 400 ]; do echo $i > $d/f$i; " +
    "i=$((i+1)); done; cat $d/* > /dev/null; rm -rf $d",
  ],
  // Fork storm: 300 short-lived processes.
  fork: ["sh", "-c", "i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done"],
};

if (import.meta.main) {
  const args = Deno.args.filter((a) => !a.startsWith("--"));
  const gzip = Deno.args.includes("--gzip");
  const noDat = Deno.args.includes("--no-dat");
  const out = args[0] ?? "/tmp/kmem-fresh";
  const names = args.length > 1 ? args.slice(1) : Object.keys(WORKLOADS);
  for (const name of names) {
    const command = WORKLOADS[name];
    if (!command) throw new Error(`unknown workload ${name}`);
    const dir = `${out}/${name}`;
    const r = await captureBundle({
      command,
      traceDat: !noDat,
      outputDir: dir,
      gzip,
      onProgress: (m) => console.error(`${name}: ${m}`),
    });
    console.error(
      `${name}: ${r.stats.seconds.toFixed(2)} s, entries ${
        r.stats.perCpu.map((c) => c.entries).join("+")
      }, lost ${r.stats.lostEvents}, exit ${r.stats.commandExitCode}; ${r.notes.join("; ")}`,
    );
  }
}
