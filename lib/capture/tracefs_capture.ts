/**
 * Records a capture bundle on the running machine (`kmem capture`): a private tracefs instance
 * with the kmem/vmscan/compaction/vmalloc events, /proc snapshots read just before tracing is
 * switched on and just after it is switched off, the trace text, a trace.dat (when trace-cmd is
 * installed), the per-CPU ring-buffer stats and the kernel release — exactly the layout of
 * ../shared/traces/mixed. The bundle is returned as a file map; the CLI writes it.
 *
 * The instance (`instances/kmemreplay-<pid>`) is private, so a running `trace-cmd record` or
 * another user of the top-level buffer is not disturbed, and it is always removed: on success,
 * on errors and on Ctrl-C (SIGINT).
 *
 * @module
 */

import {
  formatSlabSysfsLine,
  SLAB_SYSFS_ATTRS,
  SLAB_SYSFS_HEADER,
} from "../snapshot/slab_sysfs.ts";
import { formatSlabShrink, type SlabShrinkRecord } from "../snapshot/slab_shrink.ts";

/** The tracefs mount points tried, in order (kernel ≥4.1, then the debugfs location). */
export const TRACEFS_DIRS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] as const;

/** /proc files snapshotted before and after (saved as `before.X` / `after.X`). */
export const SNAPSHOT_FILES = [
  "buddyinfo",
  "pagetypeinfo",
  "zoneinfo",
  "slabinfo",
  "meminfo",
  "vmstat",
] as const;

/**
 * Where SLUB's per-cache sysfs directories are; read next to /proc/slabinfo into
 * `before.slab_sysfs` / `after.slab_sysfs` (see lib/snapshot/slab_sysfs.ts).
 */
export const SLAB_SYSFS_DIR = "/sys/kernel/slab";

/** Default event systems: what a replay reads. */
export const DEFAULT_CAPTURE_EVENTS = ["kmem", "vmscan", "compaction", "vmalloc"] as const;

/**
 * Events left off when a whole system is enabled: `kmem:rss_stat` fires on every page-table
 * counter change and would dominate the buffer (name it explicitly to get it).
 */
export const NOISY_EVENTS = ["kmem/rss_stat"] as const;

/** The capture environment does not allow recording (not root, no tracefs, …). */
export class CaptureError extends Error {
  override name = "CaptureError";
}

/** Options of {@linkcode captureBundle}. */
export interface CaptureOptions {
  /** Seconds to record when no command is given (default 5). */
  seconds?: number;
  /** Event systems (`kmem`) or single events (`kmem:mm_page_alloc`); default kmem, vmscan, compaction, vmalloc. */
  events?: readonly string[];
  /** Record while this command runs (argv); its exit status goes into `stats.commandExitCode`. */
  command?: readonly string[];
  /** Per-CPU ring buffer size in KiB (default {@linkcode DEFAULT_BUFFER_KB}). */
  bufferKb?: number;
  /** Instance name (default `kmemreplay-<pid>`). */
  instanceName?: string;
  /** Tracefs directory to use instead of searching {@linkcode TRACEFS_DIRS}. */
  tracefsDir?: string;
  /** Also save trace.dat with `trace-cmd extract` when trace-cmd is found (default true). */
  traceDat?: boolean;
  /** Where the /proc snapshots are read (default `/proc`). */
  procDir?: string;
  /** Where the SLUB cache directories are read (default {@linkcode SLAB_SYSFS_DIR}). */
  slabSysfsDir?: string;
  /**
   * Keep tracing this long after the command exits (default {@linkcode DEFAULT_SETTLE_MS}), so
   * RCU-deferred frees of its objects (dentries, files, …) land in the trace, not in the window
   * before the after-snapshot.
   */
  settleMs?: number;
  /**
   * Shrink every slab cache just before each slabinfo read (default true), so `active_objs`
   * counts the objects in use instead of also the free objects of CPU slabs and sheaves (see
   * lib/snapshot/slab_shrink.ts). The before-shrink runs untraced, the after-shrink while tracing
   * is still on so the pages of discarded empty slabs appear as mm_page_free.
   */
  shrinkSlabs?: boolean;
  /** Progress messages (default: none). */
  onProgress?: (message: string) => void;
}

/** Ring-buffer counters of one CPU (`per_cpu/cpuN/stats`). */
export interface CpuBufferStats {
  cpu: number;
  entries: number;
  overrun: number;
  commitOverrun: number;
  droppedEvents: number;
}

/** What {@linkcode captureBundle} measured. */
export interface CaptureStats {
  tracefsDir: string;
  instance: string;
  /** Events enabled, as `system/event` or `system` for whole systems. */
  events: string[];
  /** Wall-clock seconds between tracing on and off. */
  seconds: number;
  perCpu: CpuBufferStats[];
  /** Σ overrun + dropped over CPUs: events the ring buffer lost. */
  lostEvents: number;
  /** Exit code of `command`, or null when none ran. */
  commandExitCode: number | null;
  /** trace-cmd was used for trace.dat. */
  traceDat: boolean;
}

/** A captured bundle: file name → content, plus what happened. */
export interface CaptureResult {
  /** `trace.txt`, `trace.dat` (optional), `before.*`, `after.*`, `stats`, `uname`. */
  files: Map<string, string | Uint8Array>;
  stats: CaptureStats;
  /** Things the user should know (missing event systems, lost events, no trace-cmd …). */
  notes: string[];
}

const DEFAULT_SECONDS = 5;
/**
 * Default per-CPU ring buffer (KiB). A new instance starts at ≈1.4 MiB per CPU, which a fork
 * storm overruns in under a second; kmem events are ≈50 bytes each, so 32 MiB holds ≈600k
 * events per CPU. It is allocated before the before-snapshots, so it does not skew them.
 */
export const DEFAULT_BUFFER_KB = 32768;
/** Default settle time after the command (ms): a few RCU grace periods on an idle machine. */
export const DEFAULT_SETTLE_MS = 250;

/**
 * Finds a usable tracefs: the first of {@linkcode TRACEFS_DIRS} with an `instances` directory,
 * mounting tracefs at /sys/kernel/tracing when nothing is mounted. Throws a
 * {@linkcode CaptureError} that says what the user must do when that fails.
 *
 * @example
 * ```ts
 * import { locateTracefs } from "./tracefs_capture.ts";
 * try {
 *   console.log(await locateTracefs()); // "/sys/kernel/tracing"
 * } catch (e) {
 *   console.log((e as Error).message); // "… run as root …"
 * }
 * ```
 */
export async function locateTracefs(dir?: string): Promise<string> {
  const candidates = dir ? [dir] : [...TRACEFS_DIRS];
  for (const d of candidates) {
    if (await isDir(`${d}/instances`)) return d;
  }
  if (!dir && Deno.uid() === 0 && await isDir(TRACEFS_DIRS[0])) {
    const out = await new Deno.Command("mount", {
      args: ["-t", "tracefs", "nodev", TRACEFS_DIRS[0]],
      stdout: "null",
      stderr: "piped",
    }).output().catch(() => null);
    if (out?.success && await isDir(`${TRACEFS_DIRS[0]}/instances`)) return TRACEFS_DIRS[0];
  }
  const where = dir ?? TRACEFS_DIRS.join(" or ");
  throw new CaptureError(
    `no usable tracefs at ${where}. ` +
      (Deno.uid() !== 0
        ? "Run kmem capture as root (tracefs and /proc/pagetypeinfo, /proc/slabinfo are root-only)"
        : "Mount it: mount -t tracefs nodev /sys/kernel/tracing (kernel needs CONFIG_FTRACE)"),
  );
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function writeKnob(path: string, value: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, value);
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new CaptureError(`cannot write ${path}: permission denied (run as root)`);
    }
    throw e;
  }
}

/**
 * Parses one `per_cpu/cpuN/stats` file.
 *
 * @example
 * ```ts
 * import { parseCpuBufferStats } from "./tracefs_capture.ts";
 * parseCpuBufferStats(0, "entries: 5\noverrun: 1\ncommit overrun: 0\ndropped events: 2\n").overrun; // 1
 * ```
 */
export function parseCpuBufferStats(cpu: number, text: string): CpuBufferStats {
  const get = (key: string) => {
    const m = new RegExp(`^${key}:\\s*(\\d+)`, "m").exec(text);
    return m ? Number(m[1]) : 0;
  };
  return {
    cpu,
    entries: get("entries"),
    overrun: get("overrun"),
    commitOverrun: get("commit overrun"),
    droppedEvents: get("dropped events"),
  };
}

/**
 * The {@linkcode SLAB_SYSFS_ATTRS} files of every cache named in a /proc/slabinfo text, opened
 * once and kept open: each open of a sysfs attribute with no other opener allocates a
 * `kernfs_open_node` (kmalloc-96 here) that close frees with kfree_rcu — batched, untraced and
 * seconds late — so opening ≈1,600 files between the snapshots moved kmalloc-96 by ≈700
 * objects. Open before the before-snapshots, {@linkcode SlabSysfsReader.read} (seek 0 + read:
 * seq_file calls `*_show` again, no allocation) for each snapshot, close after the last one.
 *
 * @example
 * ```ts
 * import { SlabSysfsReader } from "./tracefs_capture.ts";
 * const r = SlabSysfsReader.open("/sys/kernel/slab", Deno.readTextFileSync("/proc/slabinfo"));
 * try {
 *   r.read().split("\n")[1]; // "kmalloc-… objects=… objects_partial=… …"
 * } finally {
 *   r.close();
 * }
 * ```
 */
export class SlabSysfsReader {
  readonly #caches: Array<{ name: string; files: Array<Deno.FsFile | null> }>;
  readonly #buf = new Uint8Array(8192);
  readonly #dec = new TextDecoder();

  private constructor(caches: Array<{ name: string; files: Array<Deno.FsFile | null> }>) {
    this.#caches = caches;
  }

  /** Opens the files (missing ones, e.g. sheaf_capacity before 6.18, are skipped). */
  static open(sysDir: string, slabinfoText: string): SlabSysfsReader {
    return new SlabSysfsReader(
      slabinfoNames(slabinfoText).map((name) => ({
        name,
        files: SLAB_SYSFS_ATTRS.map((a) => {
          try {
            return Deno.openSync(`${sysDir}/${name}/${a}`);
          } catch {
            return null;
          }
        }),
      })),
    );
  }

  /** Number of files open. */
  get openFiles(): number {
    return this.#caches.reduce((s, c) => s + c.files.filter((f) => f !== null).length, 0);
  }

  /** Reads every open file again and formats a slab_sysfs text (lib/snapshot/slab_sysfs.ts). */
  read(): string {
    const out = [SLAB_SYSFS_HEADER];
    for (const c of this.#caches) {
      const raw: Partial<Record<typeof SLAB_SYSFS_ATTRS[number], string>> = {};
      c.files.forEach((f, k) => {
        if (f === null) return;
        try {
          f.seekSync(0, Deno.SeekMode.Start);
          let len = 0;
          for (;;) {
            const n = f.readSync(this.#buf.subarray(len));
            if (n === null || n === 0 || len + n >= this.#buf.length) break;
            len += n;
          }
          raw[SLAB_SYSFS_ATTRS[k]!] = this.#dec.decode(this.#buf.subarray(0, len));
        } catch {
          // the cache was destroyed since open: leave the attribute out
        }
      });
      out.push(formatSlabSysfsLine(c.name, raw));
    }
    return out.join("\n") + "\n";
  }

  /** Closes every file. */
  close(): void {
    for (const c of this.#caches) for (const f of c.files) f?.close();
  }
}

/**
 * Reads a file that is kept open from its start again. For a seq_file (/proc/slabinfo) the
 * buffer of the first read is kept, so a later read allocates nothing in the kernel — nothing
 * that could take a CPU slab between a shrink and the read.
 *
 * @example
 * ```ts
 * import { readHeld } from "./tracefs_capture.ts";
 * using f = Deno.openSync("/proc/slabinfo");
 * readHeld(f).startsWith("slabinfo - version"); // true
 * ```
 */
export function readHeld(f: Deno.FsFile): string {
  f.seekSync(0, Deno.SeekMode.Start);
  let buf = new Uint8Array(65536);
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      const g = new Uint8Array(buf.length * 2);
      g.set(buf);
      buf = g;
    }
    const n = f.readSync(buf.subarray(len));
    if (n === null || n === 0) break;
    len += n;
  }
  return new TextDecoder().decode(buf.subarray(0, len));
}

/**
 * The `shrink` files of every cache named in a /proc/slabinfo text, opened once (an open
 * allocates kernfs nodes, see {@linkcode SlabSysfsReader}) and written with `1` for each
 * snapshot. Each write kmallocs its 2-byte buffer (fs/kernfs/file.c), so the smallest kmalloc
 * caches are shrunk last: the buffer of the last write is then the only object that can sit
 * free in a CPU-held slab when slabinfo is read.
 *
 * @example
 * ```ts ignore
 * import { SlabShrinker } from "./tracefs_capture.ts";
 * const s = SlabShrinker.open("/sys/kernel/slab", Deno.readTextFileSync("/proc/slabinfo"));
 * s.shrink().failed; // []
 * s.close();
 * ```
 */
export class SlabShrinker {
  readonly #files: Array<{ name: string; file: Deno.FsFile | null }>;
  readonly #one = new Uint8Array([0x31]);

  private constructor(files: Array<{ name: string; file: Deno.FsFile | null }>) {
    this.#files = files;
  }

  /** Opens the shrink files (a cache whose file cannot be opened is recorded as failed). */
  static open(sysDir: string, slabinfoText: string): SlabShrinker {
    const names = slabinfoNames(slabinfoText);
    const rank = (n: string) =>
      /^kmalloc-(rnd-\d+-)?8$/.test(n) ? 2 : /^kmalloc-(rnd-\d+-)?16$/.test(n) ? 1 : 0;
    names.sort((a, b) => rank(a) - rank(b));
    return new SlabShrinker(names.map((name) => {
      try {
        return { name, file: Deno.openSync(`${sysDir}/${name}/shrink`, { write: true }) };
      } catch {
        return { name, file: null };
      }
    }));
  }

  /** Writes every shrink file once; what succeeded goes into a slab_shrink record. */
  shrink(): SlabShrinkRecord {
    const t0 = performance.now();
    const failed: string[] = [];
    for (const { name, file } of this.#files) {
      if (file === null) {
        failed.push(name);
        continue;
      }
      try {
        file.writeSync(this.#one);
      } catch {
        failed.push(name);
      }
    }
    return { caches: this.#files.length - failed.length, failed, ms: performance.now() - t0 };
  }

  /** Closes every file. */
  close(): void {
    for (const { file } of this.#files) file?.close();
  }
}

function slabinfoNames(slabinfoText: string): string[] {
  const names: string[] = [];
  for (const line of slabinfoText.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("slabinfo -")) continue;
    names.push(line.split(/\s+/, 1)[0]!);
  }
  return names;
}

/**
 * Lists `/proc/self/fd` once, before the before-snapshot. A readdir of /proc/<pid>/fd creates a
 * proc inode, dentry and LSM blob per open file (fs/proc/fd.c `proc_fill_cache`); when another
 * process lists ours later (seen on this project's VM: its init agent, once per process) those
 * objects would appear between the snapshots without any kmem event — ≈270 objects in
 * proc_inode_cache (2 %) for the files a shrinking capture holds. Created now, they are in the
 * before-snapshot and the later listing finds them cached.
 */
function instantiateOwnFdEntries(procDir: string): void {
  try {
    for (const _ of Deno.readDirSync(`${procDir}/self/fd`)) {
      // the readdir itself instantiates the entries
    }
  } catch {
    // not a real /proc (tests) or not permitted: nothing to pre-create
  }
}

/** The files a capture keeps open across both snapshots (see {@linkcode readHeld}). */
interface HeldFiles {
  /** /proc/slabinfo, read first after a shrink. */
  slabinfo: Deno.FsFile | null;
  slabSysfs: SlabSysfsReader | null;
  shrinker: SlabShrinker | null;
}

/**
 * Reads the /proc snapshots and, when a reader is given, the slab sysfs occupancy (≈1,600 open
 * files, ≈17 ms against ≈10 ms for all of /proc): before-sysfs first and after-sysfs last, so
 * the window between the /proc reads and tracing on/off does not grow. slabinfo is read right
 * after the before-shrink (the after-shrink runs while tracing, see captureBundle), before any
 * other file is opened: an open allocates (filp …) and could take a CPU slab again.
 */
async function readSnapshots(
  procDir: string,
  held: HeldFiles,
  prefix: "before" | "after",
  files: Map<string, string | Uint8Array>,
  notes: string[],
  shrunk: SlabShrinkRecord | null,
): Promise<void> {
  if (held.slabSysfs && prefix === "before") {
    files.set("before.slab_sysfs", held.slabSysfs.read());
  }
  if (prefix === "before" && held.shrinker) shrunk = held.shrinker.shrink();
  if (held.slabinfo) {
    files.set(`${prefix}.slabinfo`, readHeld(held.slabinfo));
    if (shrunk) files.set(`${prefix}.slab_shrink`, formatSlabShrink(shrunk));
  }
  for (const name of SNAPSHOT_FILES) {
    if (name === "slabinfo" && held.slabinfo) continue;
    try {
      files.set(`${prefix}.${name}`, await Deno.readTextFile(`${procDir}/${name}`));
    } catch (e) {
      if (prefix === "before") {
        notes.push(`${procDir}/${name} not readable (${(e as Error).message}); not saved`);
      }
    }
  }
  if (held.slabSysfs && prefix === "after") files.set("after.slab_sysfs", held.slabSysfs.read());
}

/** Event system/event paths to enable under `events/`. */
function eventPaths(events: readonly string[]): string[] {
  return events.map((e) => e.trim()).filter((e) => e !== "").map((e) => e.replace(":", "/"));
}

async function which(cmd: string): Promise<string | null> {
  for (const d of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      const st = await Deno.stat(`${d}/${cmd}`);
      if (st.isFile) return `${d}/${cmd}`;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Records a bundle: private instance, events on, before-snapshots, tracing on, command (or
 * sleep), tracing off, after-snapshots, trace text, trace.dat, stats; the instance is removed
 * in every case (also on Ctrl-C, which then exits with status 130).
 *
 * @example
 * ```ts
 * import { captureBundle } from "./tracefs_capture.ts";
 * const { files, stats } = await captureBundle({ command: ["true"], events: ["kmem"] });
 * [...files.keys()].includes("after.buddyinfo"); // true
 * stats.lostEvents; // 0
 * ```
 */
export async function captureBundle(opts: CaptureOptions = {}): Promise<CaptureResult> {
  const progress = opts.onProgress ?? (() => {});
  const root = await locateTracefs(opts.tracefsDir);
  const instance = opts.instanceName ?? `kmemreplay-${Deno.pid}`;
  const dir = `${root}/instances/${instance}`;
  const procDir = opts.procDir ?? "/proc";
  const slabSysfsDir = opts.slabSysfsDir ?? SLAB_SYSFS_DIR;
  const files = new Map<string, string | Uint8Array>();
  const notes: string[] = [];
  const events = eventPaths(opts.events ?? DEFAULT_CAPTURE_EVENTS);
  let child: Deno.ChildProcess | null = null;
  const held: HeldFiles = { slabinfo: null, slabSysfs: null, shrinker: null };
  let tracingOn: Deno.FsFile | null = null;
  const closeHeld = () => {
    held.slabinfo?.close();
    held.slabSysfs?.close();
    held.shrinker?.close();
    tracingOn?.close();
    held.slabinfo =
      held.slabSysfs =
      held.shrinker =
      tracingOn =
        null;
  };
  let created = false;
  let cleaned = false;

  const cleanup = async () => {
    if (cleaned || !created) return;
    cleaned = true;
    try {
      await Deno.writeTextFile(`${dir}/tracing_on`, "0");
      await Deno.writeTextFile(`${dir}/events/enable`, "0");
    } catch {
      // the instance may be half made; rmdir below is what matters
    }
    try {
      await Deno.remove(dir);
    } catch (e) {
      // trace-cmd extract -B removes the instance itself when it is done.
      if (!(e instanceof Deno.errors.NotFound)) {
        notes.push(`could not remove ${dir}: ${(e as Error).message}`);
      }
    }
  };
  const onSigint = () => {
    try {
      child?.kill("SIGINT");
    } catch {
      // already gone
    }
    cleanup().finally(() => Deno.exit(130));
  };

  try {
    await Deno.mkdir(dir);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new CaptureError(`tracefs instance ${instance} already exists; remove ${dir}`);
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new CaptureError(`cannot create ${dir}: permission denied (run as root)`);
    }
    throw e;
  }
  created = true;
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    await writeKnob(`${dir}/tracing_on`, "0");
    await writeKnob(`${dir}/buffer_size_kb`, `${opts.bufferKb ?? DEFAULT_BUFFER_KB}`);
    const enabled: string[] = [];
    for (const ev of events) {
      const knob = `${dir}/events/${ev}/enable`;
      try {
        await Deno.stat(knob);
      } catch {
        notes.push(`event ${ev.replace("/", ":")} not available in this kernel; skipped`);
        continue;
      }
      await writeKnob(knob, "1");
      enabled.push(ev);
    }
    if (enabled.length === 0) throw new CaptureError(`none of the events ${events} exist`);
    for (const noisy of NOISY_EVENTS) {
      const sys = noisy.split("/")[0]!;
      if (enabled.includes(sys) && !events.includes(noisy)) {
        await writeKnob(`${dir}/events/${noisy}/enable`, "0").catch(() => {});
      }
    }
    // Opened before the before-snapshots and closed after the after-snapshots, so the
    // allocations of opening and the kfree_rcu of closing stay outside them.
    try {
      held.slabinfo = Deno.openSync(`${procDir}/slabinfo`);
    } catch (e) {
      notes.push(`${procDir}/slabinfo not readable (${(e as Error).message}); not saved`);
    }
    const slabinfoNow = held.slabinfo ? readHeld(held.slabinfo) : null;
    if (slabinfoNow !== null) {
      // Shrunk snapshots need no per-CPU occupancy (nothing is held by CPUs), and ≈1,600 fewer
      // open files matter: a process that lists /proc/<pid>/fd creates a proc inode, dentry and
      // LSM blob per open file (seen on this project's VM: ≈1,900 objects, not in the trace).
      if (opts.shrinkSlabs ?? true) held.shrinker = SlabShrinker.open(slabSysfsDir, slabinfoNow);
      else held.slabSysfs = SlabSysfsReader.open(slabSysfsDir, slabinfoNow);
    }
    // tracefs knobs parse into a stack buffer: a write on an open file allocates nothing.
    tracingOn = Deno.openSync(`${dir}/tracing_on`, { write: true });
    instantiateOwnFdEntries(procDir);
    // A first read runs code paths of the runtime for the first time (lazy compilation, heap
    // growth: ≈100 VMAs, anon_vmas and chains mapped untraced inside the snapshot window).
    for (const name of SNAPSHOT_FILES) {
      await Deno.readTextFile(`${procDir}/${name}`).catch(() => "");
    }
    await Deno.writeTextFile(`${dir}/trace`, ""); // clear
    // Snapshot first, then switch on: the window between them is the error budget's.
    await readSnapshots(procDir, held, "before", files, notes, null);
    progress(`tracing ${enabled.join(",")} in ${dir}`);
    tracingOn.writeSync(new TextEncoder().encode("1"));
    const t0 = performance.now();
    let exitCode: number | null = null;
    if (opts.command && opts.command.length > 0) {
      const [cmd, ...args] = opts.command;
      try {
        child = new Deno.Command(cmd!, {
          args,
          stdin: "inherit",
          stdout: "inherit",
          stderr: "inherit",
        })
          .spawn();
      } catch (e) {
        throw new CaptureError(`cannot run ${cmd}: ${(e as Error).message}`);
      }
      exitCode = (await child.status).code;
      child = null;
      const settle = opts.settleMs ?? DEFAULT_SETTLE_MS;
      if (settle > 0) await new Promise((r) => setTimeout(r, settle));
    } else {
      const seconds = opts.seconds ?? DEFAULT_SECONDS;
      await new Promise((r) => setTimeout(r, seconds * 1000));
    }
    // Shrunk while tracing: the pages of discarded empty slabs are freed in the trace.
    const shrunk = held.shrinker?.shrink() ?? null;
    tracingOn.writeSync(new TextEncoder().encode("0"));
    const seconds = (performance.now() - t0) / 1000;
    await readSnapshots(procDir, held, "after", files, notes, shrunk);
    closeHeld();
    progress(`tracing off after ${seconds.toFixed(2)} s; saving`);

    // The text first: trace-cmd extract consumes the buffer.
    files.set("trace.txt", await Deno.readTextFile(`${dir}/trace`));
    const perCpu: CpuBufferStats[] = [];
    const statTexts: string[] = [];
    const cpuDirs = [...Deno.readDirSync(`${dir}/per_cpu`)]
      .map((e) => e.name).filter((n) => /^cpu\d+$/.test(n))
      .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
    for (const c of cpuDirs) {
      const text = await Deno.readTextFile(`${dir}/per_cpu/${c}/stats`);
      statTexts.push(`== ${c}\n${text}`);
      perCpu.push(parseCpuBufferStats(Number(c.slice(3)), text));
    }
    files.set("stats", statTexts.join(""));
    files.set("uname", `${Deno.osRelease()}\n`);
    const lost = perCpu.reduce((s, c) => s + c.overrun + c.droppedEvents, 0);
    if (lost > 0) {
      notes.push(
        `${lost} events lost in the ring buffer (overrun/dropped); record shorter or raise --buffer-kb`,
      );
    }
    let traceDat = false;
    if (opts.traceDat ?? true) {
      const tc = await which("trace-cmd");
      if (tc === null) notes.push("trace-cmd not installed: no trace.dat (trace.txt only)");
      else {
        const tmp = await Deno.makeTempFile({ prefix: "kmemreplay-", suffix: ".dat" });
        try {
          const out = await new Deno.Command(tc, {
            args: ["extract", "-B", instance, "-o", tmp],
            stdout: "null",
            stderr: "piped",
          }).output();
          if (out.success) {
            files.set("trace.dat", await Deno.readFile(tmp));
            traceDat = true;
          } else {
            notes.push(
              `trace-cmd extract failed: ${new TextDecoder().decode(out.stderr).trim()}`,
            );
          }
        } finally {
          await Deno.remove(tmp).catch(() => {});
        }
      }
    }
    return {
      files,
      stats: {
        tracefsDir: root,
        instance,
        events: enabled,
        seconds,
        perCpu,
        lostEvents: lost,
        commandExitCode: exitCode,
        traceDat,
      },
      notes,
    };
  } finally {
    closeHeld();
    Deno.removeSignalListener("SIGINT", onSigint);
    await cleanup();
  }
}
