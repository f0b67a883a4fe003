/**
 * What a trace.dat file is made of, as the reader reports it: the magic, file-level facts,
 * buffers (instances), read counters and options.
 *
 * @module
 */

import type { DiagnosticLog } from "../diagnostics.ts";
import type { HeaderEventLayout } from "./tracedat_format.ts";

/** The 10-byte magic every trace.dat starts with. */
export const MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67]; // \x17\x08D"tracing"

/**
 * True when `bytes` starts with the trace.dat magic (`\x17\x08\x44tracing`).
 *
 * @example
 * ```ts
 * import { isTraceDat } from "./tracedat_reader.ts";
 * isTraceDat(new TextEncoder().encode("\x17\x08Dtracing6\0")); // true
 * ```
 */
export function isTraceDat(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return false;
  return true;
}

/** One ftrace instance (buffer) stored in the file. */
export interface TraceDatBuffer {
  /** Instance name; "" is the top-level buffer. */
  name: string;
  /** Trace clock of the instance ("" when the file does not say). */
  clock: string;
  /** Ring-buffer page size in bytes. */
  pageSize: number;
  /** Per-CPU data: cpu number, file offset, size in bytes (compressed size for v7 chunks). */
  cpus: Array<{ cpu: number; offset: number; size: number }>;
  /** CPU data is a sequence of compressed chunks. */
  compressed: boolean;
}

/** File-level facts. */
export interface TraceDatMeta {
  /** File format version (6 or 7). */
  version: number;
  littleEndian: boolean;
  /** "long" size of the recording user space (file header). */
  longSize: number;
  /** Kernel long size (size of the page header `commit` field). */
  kernelLongSize: number;
  /** Host page size in bytes. */
  pageSize: number;
  /** Compression algorithm and version ("none" when not compressed). */
  compression: string;
  compressionVersion: string;
  /** CPUs of the traced machine (CPUCOUNT option, or the v6 header). */
  cpus: number;
  uname: string;
  traceClock: string;
  traceCmdVersion: string;
  /** Nanoseconds added to every timestamp (OFFSET option). */
  tsOffsetNs: number;
  /** Ring-buffer record header layout (`header_event`). */
  headerEvent: HeaderEventLayout;
}

/** Counters of one read. */
export interface TraceDatStats {
  records: { total: number; parsed: number; unknown: number; malformed: number };
  lost: { markers: number; events: number; unknownCounts: number };
  /** Rows per event code ({@linkcode Ev}). */
  byKind: number[];
  /** Records of events not in EVENT_NAMES, by event name. */
  unknownByName: Map<string, number>;
  /** Ring-buffer pages (or compressed chunks) skipped as corrupt. */
  pagesSkipped: number;
  diagnostics: DiagnosticLog;
}

/** Options of {@linkcode TraceDatReader}. */
export interface TraceDatOptions {
  /** Instance to read ("" = top). Default: the first buffer holding known (kmem …) events. */
  buffer?: string;
  /** File name for messages. */
  file?: string;
  /** Throw a TraceSyntaxError on the first data problem instead of recording diagnostics. */
  strict?: boolean;
  /** Use the pure-JS zstd decoder (fzstd) even when node:zlib has zstd (tests both paths). */
  pureZstd?: boolean;
}
