/**
 * A second tracefs instance that records the slab events around a whole `captureBundle` call, so
 * a live-capture test can measure what the capture's own trace cannot see: the slab activity of
 * the rest of the machine in the snapshot windows (between the before-slabinfo read and tracing
 * on, and between tracing off and the after-slabinfo read). Every cache's validation error must
 * lie within the budget this activity allows, however busy the machine is.
 *
 * @module
 */

/** The slab events both instances record (include/trace/events/kmem.h). */
const SLAB_EVENTS = ["kmem_cache_alloc", "kmem_cache_free", "kmalloc", "kfree"] as const;

/** Full sheaves a node's barn keeps (mm/slub.c MAX_FULL_SHEAVES). */
const MAX_FULL_SHEAVES = 10;

/** A running witness instance. */
export interface SlabWitness {
  /** Switches recording off; synchronous, so it can run inside `onProgress`. */
  stop(): void;
  /** The recorded text, the events the ring buffer lost, and the instance removed. */
  finish(): Promise<{ text: string; lostEvents: number }>;
}

/**
 * Creates and starts the witness instance under `tracefsRoot`. A `cat` of its `trace_pipe` into
 * a temporary file drains the ring buffer while it records, so a busy machine (hundreds of
 * thousands of slab events while the capture runs) does not overrun it.
 */
export async function startSlabWitness(
  tracefsRoot: string,
  bufferKb = 16384,
): Promise<SlabWitness> {
  const dir = `${tracefsRoot}/instances/kmemreplay-witness-${Deno.pid}`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/tracing_on`, "0");
  await Deno.writeTextFile(`${dir}/buffer_size_kb`, `${bufferKb}`);
  for (const e of SLAB_EVENTS) await Deno.writeTextFile(`${dir}/events/kmem/${e}/enable`, "1");
  const out = await Deno.makeTempFile({ prefix: "kmemreplay-witness-", suffix: ".txt" });
  const drain = new Deno.Command("sh", {
    args: ["-c", 'exec cat "$0" > "$1"', `${dir}/trace_pipe`, out],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const on = Deno.openSync(`${dir}/tracing_on`, { write: true });
  on.writeSync(new TextEncoder().encode("1"));
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    on.writeSync(new TextEncoder().encode("0"));
    on.close();
  };
  const lost = async () => {
    let lostEvents = 0;
    for (const e of Deno.readDirSync(`${dir}/per_cpu`)) {
      const stats = await Deno.readTextFile(`${dir}/per_cpu/${e.name}/stats`);
      lostEvents += Number(/^overrun: (\d+)/m.exec(stats)?.[1] ?? 0) +
        Number(/^dropped events: (\d+)/m.exec(stats)?.[1] ?? 0);
    }
    return lostEvents;
  };
  return {
    stop,
    finish: async () => {
      stop();
      // Once tracing is off and the buffer is empty, trace_pipe reads end of file
      // (kernel/trace/trace.c tracing_wait_pipe), so cat exits by itself; it is killed only if
      // it never read anything. Whatever it left stays readable through `trace`.
      const timer = setTimeout(() => {
        try {
          drain.kill("SIGTERM");
        } catch {
          // exited meanwhile
        }
      }, 5000);
      await drain.status;
      clearTimeout(timer);
      const rest = await Deno.readTextFile(`${dir}/trace`);
      const text = (await Deno.readTextFile(out)) + rest;
      const lostEvents = await lost();
      await Deno.remove(out);
      await Deno.remove(dir);
      return { text, lostEvents };
    },
  };
}

/**
 * The key caches are counted under: the kmalloc families share one key per size, since a
 * `kmalloc` event names no cache (kmalloc-cg-, kmalloc-rcl-, dma-kmalloc-, memdup_user- buckets).
 */
export function cacheKey(name: string): string {
  const m = /^(?:kmalloc|kmalloc-cg|kmalloc-rcl|dma-kmalloc|memdup_user)-(\d+k?)$/.exec(name);
  return m ? `kmalloc:${m[1]}` : name;
}

const sizeName = (bytes: number) => bytes >= 1024 ? `${bytes / 1024}k` : `${bytes}`;

/** Slab activity the capture's trace does not hold, per {@linkcode cacheKey}. */
export interface WindowActivity {
  allocs: Map<string, number>;
  frees: Map<string, number>;
  /** kfree of a pointer the witness never saw allocated: any cache. */
  unattributedFrees: number;
  /** Events of the capture's trace the witness lacks (should be none). */
  captureOnly: number;
}

/**
 * Witness events minus the capture's events, plus the capture's events after `workload`'s last
 * one (the settle time and the after-shrink, where CPUs refill slabs that the after-slabinfo then
 * counts).
 */
export function windowActivity(
  witnessText: string,
  captureText: string,
  workload: RegExp,
): WindowActivity {
  // Comms are resolved when the text is read (`<...>` once saved_cmdlines forgets a pid), and
  // each instance takes its own timestamp and irq/preempt flags (need-resched may be set between
  // the two writes), so the key is pid, CPU and the event.
  const key = (l: string) => l.replace(/^.*?-(\d+)\s+(\[\d+\])\s+\S+\s+\d+\.\d+: /, "$1 $2 ");
  const isSlab = (l: string) =>
    / (kmem_cache_alloc|kmem_cache_free|kmalloc|kfree): .*ptr=(?!0+(\s|$))[0-9a-f]+/.test(l);
  const lines = captureText.split("\n").filter(isSlab);
  let lastWork = -1;
  lines.forEach((l, i) => {
    if (workload.test(l)) lastWork = i;
  });
  const seen = new Map<string, number>();
  for (const l of lines.slice(0, lastWork + 1)) seen.set(key(l), (seen.get(key(l)) ?? 0) + 1);
  const out: WindowActivity = {
    allocs: new Map(),
    frees: new Map(),
    unattributedFrees: 0,
    captureOnly: 0,
  };
  const owner = new Map<string, string>();
  for (const l of witnessText.split("\n")) {
    if (!isSlab(l)) continue;
    const m = / (kmem_cache_alloc|kmem_cache_free|kmalloc|kfree): .*ptr=([0-9a-f]+)/.exec(l)!;
    const [, event, ptr] = m as unknown as [string, string, string];
    const alloc = event === "kmalloc" || event === "kmem_cache_alloc";
    const cache = event === "kmalloc"
      ? `kmalloc:${sizeName(Number(/bytes_alloc=(\d+)/.exec(l)?.[1]))}`
      : event === "kfree"
      ? owner.get(ptr)
      : cacheKey(/ name=(\S+)/.exec(l)?.[1] ?? "");
    if (alloc) owner.set(ptr, cache!);
    else owner.delete(ptr);
    const k = key(l);
    const n = seen.get(k) ?? 0;
    if (n > 0) {
      seen.set(k, n - 1);
      continue;
    }
    if (cache === undefined) {
      out.unattributedFrees++;
      continue;
    }
    const to = alloc ? out.allocs : out.frees;
    to.set(cache, (to.get(cache) ?? 0) + 1);
  }
  for (const n of seen.values()) out.captureOnly += n;
  return out;
}

/**
 * Free objects a shrunk cache can count as active again once CPUs touch it: per CPU one CPU slab,
 * `cpu_partial_slabs` partial slabs (mm/slub.c slub_set_cpu_partial: ⌈2·cpu_partial /
 * objs_per_slab⌉) and two sheaves, plus a barn of full sheaves. Read from /sys/kernel/slab.
 */
export function cpuHeldCapacity(name: string, objsPerSlab: number, cpus: number): number {
  const read = (f: string) => {
    try {
      return Number(Deno.readTextFileSync(`/sys/kernel/slab/${name}/${f}`).trim()) || 0;
    } catch {
      return 0; // attribute absent on this kernel
    }
  };
  const partialSlabs = Math.ceil(2 * read("cpu_partial") / Math.max(objsPerSlab, 1));
  const sheaf = read("sheaf_capacity");
  return cpus * objsPerSlab * (1 + partialSlabs) + (2 * cpus + MAX_FULL_SHEAVES) * sheaf;
}
