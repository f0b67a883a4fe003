/**
 * Per-CPU ring-buffer counters of a tracefs instance (`per_cpu/cpuN/stats`): what tells a
 * capture that events were lost.
 *
 * @module
 */

/** Ring-buffer counters of one CPU (`per_cpu/cpuN/stats`). */
export interface CpuBufferStats {
  cpu: number;
  entries: number;
  overrun: number;
  commitOverrun: number;
  droppedEvents: number;
}

/**
 * Parses one `per_cpu/cpuN/stats` file.
 *
 * @example
 * ```ts
 * import { parseCpuBufferStats } from "./cpu_buffer_stats.ts";
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
