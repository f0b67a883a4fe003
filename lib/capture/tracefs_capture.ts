/**
 * Records a capture bundle on the running machine (`kmem capture`): a private tracefs instance
 * with the kmem/vmscan/compaction/vmalloc events, /proc snapshots read just before tracing is
 * switched on and just after it is switched off, the trace text, a trace.dat (when trace-cmd is
 * installed), the per-CPU ring-buffer stats and the kernel release — exactly the layout of
 * ../shared/traces/mixed. With `outputDir` every file is written as soon as it exists (the trace
 * streamed from tracefs in chunks, never held in memory), so a capture of any length that the
 * ring buffer holds is saved, and a failure still leaves what was recorded on disk; without it
 * the bundle is returned as a file map (small captures: tests, the library).
 *
 * The instance (`instances/kmemreplay-<pid>`) is private, so a running `trace-cmd record` or
 * another user of the top-level buffer is not disturbed, and it is always removed: on success,
 * on errors and on Ctrl-C (SIGINT).
 *
 * @module
 */

import { type CpuBufferStats, parseCpuBufferStats } from "./cpu_buffer_stats.ts";
import {
  type HeldFiles,
  instantiateOwnFdEntries,
  readSnapshots,
  SNAPSHOT_FILES,
} from "./read_snapshots.ts";
import { readHeld } from "./read_held.ts";
import { KpageflagsPair, type KpageflagsPairStats } from "./kpageflags_pair.ts";
import { SlabShrinker } from "./slab_shrinker.ts";
import { SlabSysfsReader } from "./slab_sysfs_reader.ts";
import { BundleWriter } from "./bundle_writer.ts";

/** The tracefs mount points tried, in order (kernel ≥4.1, then the debugfs location). */
export const TRACEFS_DIRS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] as const;

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

/** Ctrl-C (SIGINT) stopped the capture; the tracefs instance has been removed. */
export class CaptureInterrupted extends CaptureError {
  override name = "CaptureInterrupted";
  constructor(message = "interrupted; tracefs instance removed") {
    super(message);
  }
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
  /**
   * Save `before.kpageflags` / `after.kpageflags` (default true): the flags of every pfn from
   * /proc/kpageflags (root), read first before and last after the other snapshots (≈0.8 s each
   * for 24 GiB), so their timing is unchanged. Skipped with a note when not readable.
   */
  kpageflags?: boolean;
  /** Progress messages (default: none). */
  onProgress?: (message: string) => void;
  /**
   * Write the bundle here while capturing (created when missing) instead of returning it in
   * {@linkcode CaptureResult.files}, which then stays empty: snapshots are written as soon as
   * they are read, the trace text is streamed from tracefs, trace.dat is extracted into it.
   */
  outputDir?: string;
  /** Write `trace.txt.gz` instead of `trace.txt` (default false). */
  gzip?: boolean;
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
  /** The kpageflags reads, or null when not saved. */
  kpageflags: KpageflagsPairStats | null;
}

/** A captured bundle: file name → content, plus what happened. */
export interface CaptureResult {
  /** `trace.txt`, `trace.dat` (optional), `before.*`, `after.*`, `stats`, `uname`. */
  files: Map<string, string | Uint8Array>;
  stats: CaptureStats;
  /** Things the user should know (missing event systems, lost events, no trace-cmd …). */
  notes: string[];
  /** Names of the files written to the bundle directory, in the order they were written. */
  written: string[];
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

/** Event system/event paths to enable under `events/`. */
function eventPaths(events: readonly string[]): string[] {
  return events.map((e) => e.trim()).filter((e) => e !== "").map((e) => e.replace(":", "/"));
}

/** Writes the snapshots read so far and forgets them (they are on disk now). */
async function flush(files: Map<string, string | Uint8Array>, writer: BundleWriter) {
  for (const [name, data] of files) await writer.put(name, data);
  files.clear();
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
  if (opts.outputDir !== undefined) {
    return await captureTo(await BundleWriter.create(opts.outputDir), opts, true);
  }
  const tmp = await Deno.makeTempDir({ prefix: "kmemreplay-capture-" });
  try {
    const r = await captureTo(await BundleWriter.create(tmp), opts, false);
    for (const name of r.written) {
      const binary = name === "trace.dat" || name.endsWith(".kpageflags") || name.endsWith(".gz");
      r.files.set(
        name,
        binary ? await Deno.readFile(`${tmp}/${name}`) : await Deno.readTextFile(`${tmp}/${name}`),
      );
    }
    return r;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * What a failed capture says: the cause, what the bundle directory keeps and what to do.
 * Only a user-chosen directory is named (a temporary one is removed).
 */
function failureMessage(cause: unknown, w: BundleWriter, keep: boolean): string {
  const why = cause instanceof Error ? cause.message : String(cause);
  if (!keep) return why;
  const saved = w.written.length > 0 ? w.written.join(", ") : "nothing";
  const hasTrace = w.written.some((n) => n.startsWith("trace."));
  const hasAfter = w.written.some((n) => n.startsWith("after."));
  const todo = /No space left|os error 28/.test(why)
    ? "free disk space (or choose another -o) and capture again"
    : !hasTrace && hasAfter
    ? "fix the cause and capture again (replay, validate and report need a trace)"
    : "fix the cause and capture again";
  return `${why}. ${w.dir} keeps what was saved: ${saved}; ${todo}`;
}

async function captureTo(
  writer: BundleWriter,
  opts: CaptureOptions,
  keepOnError: boolean,
): Promise<CaptureResult> {
  try {
    return await captureSteps(writer, opts);
  } catch (e) {
    if (!keepOnError || (e instanceof CaptureError && writer.written.length === 0)) throw e;
    // Ctrl-C keeps its exit status (130); the message still says what the directory holds.
    if (e instanceof CaptureInterrupted) {
      throw new CaptureInterrupted(failureMessage(e, writer, keepOnError));
    }
    throw new CaptureError(failureMessage(e, writer, keepOnError));
  }
}

async function captureSteps(writer: BundleWriter, opts: CaptureOptions): Promise<CaptureResult> {
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
  let kpageflags: KpageflagsPair | null = null;
  const closeHeld = () => {
    kpageflags?.close();
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
  // Ctrl-C rejects the waits below; the finally block then removes the instance and the caller
  // decides how to exit.
  const interrupted = Promise.withResolvers<never>();
  interrupted.promise.catch(() => {}); // handled by whichever wait races it
  let sigint = false;
  const onSigint = () => {
    sigint = true;
    try {
      child?.kill("SIGINT");
    } catch {
      // already gone
    }
    interrupted.reject(new CaptureInterrupted());
  };
  const unlessInterrupted = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([p, interrupted.promise]);
  const sleep = (ms: number): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return unlessInterrupted(new Promise<void>((r) => timer = setTimeout(r, ms)))
      .finally(() => clearTimeout(timer));
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
    if (opts.kpageflags ?? true) {
      try {
        kpageflags = KpageflagsPair.open(`${procDir}/kpageflags`);
      } catch (e) {
        notes.push(
          `${procDir}/kpageflags not readable (${
            (e as Error).message
          }); no before/after.kpageflags`,
        );
      }
    }
    instantiateOwnFdEntries(procDir);
    // A first read runs code paths of the runtime for the first time (lazy compilation, heap
    // growth: ≈100 VMAs, anon_vmas and chains mapped untraced inside the snapshot window).
    for (const name of SNAPSHOT_FILES) {
      await Deno.readTextFile(`${procDir}/${name}`).catch(() => "");
    }
    await Deno.writeTextFile(`${dir}/trace`, ""); // clear
    // Snapshot first, then switch on: the window between them is the error budget's.
    // kpageflags takes ≈0.8 s: read outside the others, so theirs stays as short as it was.
    kpageflags?.read("before");
    await readSnapshots(procDir, held, "before", files, notes, null);
    progress(`tracing ${enabled.join(",")} in ${dir}`);
    tracingOn.writeSync(new TextEncoder().encode("1"));
    const t0 = performance.now();
    // Written while tracing: the page cache and inodes they take are in the trace, not in the
    // untraced windows around it.
    await flush(files, writer);
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
      exitCode = (await unlessInterrupted(child.status)).code;
      child = null;
      const settle = opts.settleMs ?? DEFAULT_SETTLE_MS;
      if (settle > 0) await sleep(settle);
    } else {
      const seconds = opts.seconds ?? DEFAULT_SECONDS;
      await sleep(seconds * 1000);
    }
    if (sigint) throw new CaptureInterrupted();
    // Shrunk while tracing: the pages of discarded empty slabs are freed in the trace.
    const shrunk = held.shrinker?.shrink() ?? null;
    tracingOn.writeSync(new TextEncoder().encode("0"));
    const seconds = (performance.now() - t0) / 1000;
    await readSnapshots(procDir, held, "after", files, notes, shrunk);
    kpageflags?.read("after");
    closeHeld();
    await flush(files, writer);
    let kpageflagsStats: KpageflagsPairStats | null = null;
    if (kpageflags) {
      const k = kpageflags.finish();
      await writer.put("before.kpageflags", k.before);
      await writer.put("after.kpageflags", k.after);
      kpageflagsStats = k.stats;
      progress(
        `kpageflags: ${k.stats.pfns} pfns read in ${k.stats.beforeReadMs.toFixed(0)} ms before, ` +
          `${k.stats.afterReadMs.toFixed(0)} ms after; ${k.stats.beforeBytes} + ` +
          `${k.stats.afterBytes} bytes`,
      );
    }
    progress(`tracing off after ${seconds.toFixed(2)} s; saving`);

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
    await writer.put("stats", statTexts.join(""));
    await writer.put("uname", `${Deno.osRelease()}\n`);
    const lost = perCpu.reduce((s, c) => s + c.overrun + c.droppedEvents, 0);
    if (lost > 0) {
      notes.push(
        `${lost} events lost in the ring buffer (overrun/dropped); record shorter or raise --buffer-kb`,
      );
    }
    // The text first: trace-cmd extract consumes the buffer. A failed text still lets
    // trace.dat save the events; the failure is reported after.
    const failures: string[] = [];
    const entries = perCpu.reduce((s, c) => s + c.entries, 0);
    progress(`saving ${entries} events as text`);
    try {
      const bytes = await writer.stream("trace.txt", `${dir}/trace`, opts.gzip ?? false);
      progress(`trace text: ${bytes} bytes`);
    } catch (e) {
      failures.push(
        `writing ${writer.dir}/trace.txt${opts.gzip ? ".gz" : ""} failed: ${(e as Error).message}`,
      );
    }
    let traceDat = false;
    if (opts.traceDat ?? true) {
      const tc = await which("trace-cmd");
      if (tc === null) notes.push("trace-cmd not installed: no trace.dat (trace.txt only)");
      else {
        const out = await new Deno.Command(tc, {
          args: ["extract", "-B", instance, "-o", `${writer.dir}/trace.dat`],
          stdout: "null",
          stderr: "piped",
        }).output();
        if (out.success) {
          writer.written.push("trace.dat");
          traceDat = true;
        } else {
          const msg = `trace-cmd extract failed: ${new TextDecoder().decode(out.stderr).trim()}`;
          (failures.length > 0 ? failures : notes).push(msg);
        }
      }
    }
    if (failures.length > 0) throw new CaptureError(failures.join("; "));
    return {
      written: writer.written,
      files: new Map(),
      stats: {
        tracefsDir: root,
        instance,
        events: enabled,
        seconds,
        perCpu,
        lostEvents: lost,
        commandExitCode: exitCode,
        traceDat,
        kpageflags: kpageflagsStats,
      },
      notes,
    };
  } finally {
    closeHeld();
    Deno.removeSignalListener("SIGINT", onSigint);
    await cleanup();
  }
}
