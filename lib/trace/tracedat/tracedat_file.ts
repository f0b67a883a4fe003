/**
 * The metadata of a trace.dat file (versions 6 and 7): header, event formats, kallsyms, saved
 * cmdlines, options and the buffers (instances) with their per-CPU data, read up to the event
 * data. {@linkcode TraceDatReader} decodes the records from it.
 *
 * @module
 */

import type { DiagnosticLog } from "../diagnostics.ts";
import { TraceSyntaxError } from "../diagnostics.ts";
import { Bin, latin1 } from "./bin_reader.ts";
import { chunkCodec } from "./chunk_codec.ts";
import type { ChunkCodec, PageLayout } from "./ring_buffer_page.ts";
import {
  DEFAULT_HEADER_EVENT,
  type EventFormat,
  parseEventFormat,
  parseFields,
  parseHeaderEvent,
} from "./tracedat_format.ts";
import {
  isTraceDat,
  MAGIC,
  type TraceDatBuffer,
  type TraceDatMeta,
  type TraceDatOptions,
} from "./tracedat_meta.ts";

/** trace-cmd option ids (lib/trace-cmd/include/trace-cmd-local.h, enum tracecmd_option_id). */
const Opt = {
  DONE: 0,
  CPUSTAT: 2,
  BUFFER: 3,
  TRACECLOCK: 4,
  UNAME: 5,
  OFFSET: 7,
  CPUCOUNT: 8,
  VERSION: 9,
  TSC2NSEC: 14,
  HEADER_INFO: 16,
  FTRACE_EVENTS: 17,
  EVENT_FORMATS: 18,
  KALLSYMS: 19,
  PRINTK: 20,
  CMDLINES: 21,
  BUFFER_TEXT: 22,
} as const;
/** v7 section flag: content is compressed. */
const SECTION_COMPRESSED = 1;
/** v7 section id of per-instance CPU data. */
const SECTION_BUFFER = 3;
/** Guards against option-section cycles in corrupt files. */
const MAX_OPTION_SECTIONS = 1024;
/** Largest decompressed metadata section accepted (kallsyms of big kernels are ~10 MB). */
const MAX_SECTION_BYTES = 512 * 1024 * 1024;

/** A format whose fields are parsed on first use (a file holds ~2000 formats, we need ~40). */
export interface LazyFormat {
  name: string;
  system: string;
  id: number;
  text: string;
  parsed?: EventFormat;
}

function scanFormat(text: string, system: string): LazyFormat | null {
  const name = /^name:\s*(\S+)/m.exec(text)?.[1];
  const id = /^ID:\s*(\d+)/m.exec(text)?.[1];
  if (name === undefined || id === undefined) return null;
  return { name, system, id: Number(id), text };
}

export function fullFormat(f: LazyFormat): EventFormat {
  f.parsed ??= parseEventFormat(f.text, f.system) ??
    { name: f.name, system: f.system, id: f.id, fields: [], printFmt: "" };
  return f.parsed;
}

/**
 * A trace.dat file's metadata; throws a TraceSyntaxError naming the byte offset when the file
 * is not a readable trace.dat.
 *
 * @example
 * ```ts
 * import { TraceDatFile } from "./tracedat_file.ts";
 * import { DiagnosticLog } from "../diagnostics.ts";
 * const bytes = Deno.readFileSync("traces/small-6.18.dat");
 * const f = new TraceDatFile(bytes, "small-6.18.dat", {}, new DiagnosticLog());
 * f.meta.version; // 7
 * ```
 */
export class TraceDatFile {
  readonly meta: TraceDatMeta;
  /** Every buffer (instance) in the file, top first. */
  readonly bufferInfo: TraceDatBuffer[] = [];
  readonly le: boolean;
  /** Ring-buffer page layout from `header_page`. */
  layout!: PageLayout;
  /** Event formats by event id, parsed on first use. */
  readonly formats = new Map<number, LazyFormat>();
  /** The kallsyms text, when the file has one. */
  kallsymsBytes: Uint8Array | null = null;
  /** Saved cmdlines: comm by pid. */
  readonly cmdlines = new Map<number, string>();
  /** Decoder of compressed sections and chunks (v7), undefined when none applies. */
  codec: ChunkCodec | undefined;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    opts: TraceDatOptions,
    readonly diagnostics: DiagnosticLog,
  ) {
    if (!isTraceDat(bytes)) {
      throw new TraceSyntaxError(
        "not a trace.dat file: expected the magic bytes \\x17\\x08\\x44tracing",
        { file: this.file, line: 0, offset: true, code: "tracedat-magic" },
      );
    }
    const head = new Bin(bytes, true, this.file, 0);
    head.pos = MAGIC.length;
    const versionText = head.cstr("file version string", 8);
    const version = Number(versionText);
    if (!Number.isInteger(version) || version < 6 || version > 7) {
      head.fail(`file version 6 or 7, got "${versionText}"`, MAGIC.length);
    }
    const endian = head.u8("endianness byte");
    if (endian > 1) head.fail(`endianness 0 or 1, got ${endian}`, head.pos - 1);
    this.le = endian === 0;
    const longSize = head.u8("long size byte");
    if (longSize !== 4 && longSize !== 8) {
      head.fail(`long size 4 or 8, got ${longSize}`, head.pos - 1);
    }
    const bin = new Bin(bytes, this.le, this.file, 0);
    bin.pos = head.pos;
    const pageSize = bin.u32("host page size");
    if (pageSize < 64 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0) {
      bin.fail(`a power-of-two page size, got ${pageSize}`, bin.pos - 4);
    }
    this.meta = {
      version,
      littleEndian: this.le,
      longSize,
      kernelLongSize: longSize,
      pageSize,
      compression: "none",
      compressionVersion: "",
      cpus: 0,
      uname: "",
      traceClock: "",
      traceCmdVersion: "",
      tsOffsetNs: 0,
      headerEvent: DEFAULT_HEADER_EVENT,
    };
    if (version >= 7) this.#readV7(bin, opts);
    else this.#readV6(bin);
    if (this.bufferInfo.length === 0) bin.fail("at least one trace buffer (flyrecord data)", 0);
  }

  #readHeaders(b: Bin): void {
    if (b.cstr('"header_page" label', 16) !== "header_page") b.fail('"header_page"', b.pos - 12);
    const pageText = b.text(b.u64("header_page size"), "header_page format");
    if (b.cstr('"header_event" label', 16) !== "header_event") b.fail('"header_event"', b.pos - 13);
    const eventText = b.text(b.u64("header_event size"), "header_event format");
    const fields = parseFields(pageText);
    const get = (n: string) => fields.find((f) => f.name === n);
    const ts = get("timestamp");
    const commit = get("commit");
    const data = get("data");
    if (!ts || !commit || !data) b.fail("header_page fields timestamp, commit and data");
    this.meta.kernelLongSize = commit.size;
    this.meta.headerEvent = parseHeaderEvent(eventText);
    this.layout = {
      pageSize: data.offset + data.size,
      tsOffset: ts.offset,
      commitOffset: commit.offset,
      commitSize: commit.size,
      dataOffset: data.offset,
      le: this.le,
      header: this.meta.headerEvent,
    };
  }

  #readFtraceFormats(b: Bin): void {
    const n = b.u32("ftrace format count");
    for (let i = 0; i < n; i++) {
      this.#addFormat(b.text(b.u64("format size"), "format file"), "ftrace");
    }
  }

  #readEventFormats(b: Bin): void {
    const systems = b.u32("event system count");
    for (let s = 0; s < systems; s++) {
      const system = b.cstr("event system name");
      const n = b.u32("event count");
      for (let i = 0; i < n; i++) {
        this.#addFormat(b.text(b.u64("format size"), "format file"), system);
      }
    }
  }

  #addFormat(text: string, system: string): void {
    const f = scanFormat(text, system);
    if (f) this.formats.set(f.id, f);
  }

  #readKallsyms(b: Bin): void {
    const n = b.u32("kallsyms size");
    b.need(n, "kallsyms text");
    this.kallsymsBytes = b.bytes.subarray(b.pos, b.pos + n);
    b.pos += n;
  }

  #readPrintk(b: Bin): void {
    const n = b.u32("printk formats size");
    b.need(n, "printk formats");
    b.pos += n;
  }

  #readCmdlines(b: Bin): void {
    const text = b.text(b.u64("saved cmdlines size"), "saved cmdlines");
    for (const line of text.split("\n")) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (m) this.cmdlines.set(Number(m[1]), m[2]!);
    }
  }

  #readV6(b: Bin): void {
    this.#readHeaders(b);
    this.#readFtraceFormats(b);
    this.#readEventFormats(b);
    this.#readKallsyms(b);
    this.#readPrintk(b);
    this.#readCmdlines(b);
    const cpus = b.u32("CPU count");
    if (cpus > 65536) b.fail(`a CPU count up to 65536, got ${cpus}`, b.pos - 4);
    this.meta.cpus = cpus;
    const instances: Array<{ name: string; offset: number }> = [];
    for (;;) {
      b.need(10, 'a section label ("options  ", "latency  " or "flyrecord")');
      const label = latin1(b.bytes, b.pos, b.pos + 9);
      b.pos += 10;
      if (label === "options  ") {
        for (;;) {
          const id = b.u16("option id");
          if (id === Opt.DONE) break;
          const size = b.u32("option size");
          b.need(size, "option data");
          const data = new Bin(b.bytes.subarray(b.pos, b.pos + size), this.le, this.file, b.pos);
          b.pos += size;
          if (id === Opt.BUFFER) {
            const offset = data.offset("buffer data offset", b.bytes.length);
            instances.push({ name: data.cstr("buffer name"), offset });
          } else this.#commonOption(id, data);
        }
      } else if (label === "latency  ") {
        this.diagnostics.add("latency-trace", b.pos, "latency (text) trace data is not read");
        return;
      } else if (label === "flyrecord") {
        this.bufferInfo.push(this.#v6Flyrecord(b, "", cpus));
        break;
      } else b.fail('"options  ", "latency  " or "flyrecord" label', b.pos - 10);
    }
    for (const inst of instances) {
      const ib = new Bin(b.bytes, this.le, this.file, 0);
      ib.pos = inst.offset;
      ib.need(10, '"flyrecord" label of buffer ' + inst.name);
      if (latin1(ib.bytes, ib.pos, ib.pos + 9) !== "flyrecord") ib.fail('"flyrecord" label');
      ib.pos += 10;
      this.bufferInfo.push(this.#v6Flyrecord(ib, inst.name, cpus));
    }
  }

  #v6Flyrecord(b: Bin, name: string, cpus: number): TraceDatBuffer {
    const buf: TraceDatBuffer = {
      name,
      clock: this.meta.traceClock,
      pageSize: this.layout.pageSize,
      cpus: [],
      compressed: false,
    };
    for (let cpu = 0; cpu < cpus; cpu++) {
      const offset = b.offset(`CPU ${cpu} data offset`, b.bytes.length);
      const size = b.u64(`CPU ${cpu} data size`);
      buf.cpus.push({ cpu, offset, size });
    }
    return buf;
  }

  #commonOption(id: number, d: Bin): void {
    const str = () =>
      latin1(d.bytes, 0, Math.max(0, d.bytes.indexOf(0) < 0 ? d.bytes.length : d.bytes.indexOf(0)))
        .trim();
    switch (id) {
      case Opt.TRACECLOCK: {
        const m = /\[(\S+)\]/.exec(str());
        this.meta.traceClock = m ? m[1]! : str();
        break;
      }
      case Opt.UNAME:
        this.meta.uname = str();
        break;
      case Opt.VERSION:
        this.meta.traceCmdVersion = str();
        break;
      case Opt.CPUCOUNT:
        this.meta.cpus = d.u32("CPU count");
        break;
      case Opt.OFFSET: {
        const v = Number(str());
        if (Number.isFinite(v)) this.meta.tsOffsetNs += v;
        break;
      }
      case Opt.TSC2NSEC:
        this.diagnostics.add(
          "tsc2nsec",
          d.base,
          "TSC2NSEC option present: timestamps are raw TSC counts, not converted to ns",
        );
        break;
    }
  }

  #section(offset: number, expectId: number, what: string): Bin {
    const b = new Bin(this.bytes, this.le, this.file, 0);
    b.pos = offset;
    const id = b.u16(`${what} section id`);
    if (id !== expectId) b.fail(`section id ${expectId} (${what}), got ${id}`, offset);
    const flags = b.u16(`${what} section flags`);
    b.u32(`${what} section description`);
    const size = b.u64(`${what} section size`);
    b.need(size, `${what} section data`);
    const start = b.pos;
    if ((flags & SECTION_COMPRESSED) === 0) {
      return new Bin(this.bytes.subarray(start, start + size), this.le, this.file, start);
    }
    const csize = b.u32(`${what} compressed size`);
    const usize = b.u32(`${what} uncompressed size`);
    if (csize + 8 > size || usize > MAX_SECTION_BYTES) {
      b.fail(
        `compressed ${what} sizes within the section (${size} bytes), got ${csize} → ${usize}`,
        start,
      );
    }
    const out = new Uint8Array(usize);
    try {
      this.#decompress(this.bytes.subarray(b.pos, b.pos + csize), out);
    } catch (e) {
      b.fail(
        `a valid ${this.meta.compression} block in the ${what} section (${(e as Error).message})`,
        start,
      );
    }
    return new Bin(out, this.le, this.file, -1, `${what} section at byte offset ${offset}`);
  }

  #decompress(src: Uint8Array, dst: Uint8Array): Uint8Array {
    if (!this.codec) throw new Error(`unsupported compression "${this.meta.compression}"`);
    return this.codec(src, dst);
  }

  #readV7(b: Bin, opts: TraceDatOptions): void {
    this.meta.compression = b.cstr("compression name", 64);
    this.meta.compressionVersion = b.cstr("compression version", 64);
    const comp = this.meta.compression;
    this.codec = chunkCodec(comp, opts.pureZstd ?? false);
    if (this.codec === undefined && comp !== "none") {
      this.diagnostics.add("compression", b.pos, `unknown compression "${comp}"`);
    }
    let next = b.offset("first options section offset", this.bytes.length);
    const seen = new Set<number>();
    const sections: Record<number, number> = {};
    const instances: Array<
      {
        offset: number;
        name: string;
        clock: string;
        pageSize: number;
        cpus: TraceDatBuffer["cpus"];
      }
    > = [];
    while (next !== 0) {
      if (seen.has(next) || seen.size > MAX_OPTION_SECTIONS) {
        b.fail("option sections without a cycle", next);
      }
      seen.add(next);
      const s = this.#section(next, 0, "options");
      next = 0;
      while (s.pos < s.bytes.length) {
        const id = s.u16("option id");
        const size = s.u32("option size");
        s.need(size, "option data");
        const d = new Bin(
          s.bytes.subarray(s.pos, s.pos + size),
          this.le,
          this.file,
          s.base >= 0 ? s.base + s.pos : -1,
          s.where,
        );
        s.pos += size;
        if (id === Opt.DONE) {
          next = d.offset("next options section offset", this.bytes.length);
          break;
        }
        if (id >= Opt.HEADER_INFO && id <= Opt.CMDLINES) {
          sections[id] = d.offset("section offset", this.bytes.length);
        } else if (id === Opt.BUFFER) {
          const offset = d.offset("buffer section offset", this.bytes.length);
          const name = d.cstr("buffer name");
          const clock = d.cstr("buffer clock");
          const pageSize = d.u32("buffer page size");
          const n = d.u32("buffer CPU count");
          if (n > 65536) d.fail(`a CPU count up to 65536, got ${n}`, d.pos - 4);
          const cpus: TraceDatBuffer["cpus"] = [];
          for (let i = 0; i < n; i++) {
            const cpu = d.u32("CPU id");
            const off = d.offset(`CPU ${cpu} data offset`, this.bytes.length);
            const size = d.u64(`CPU ${cpu} data size`);
            cpus.push({ cpu, offset: off, size });
          }
          instances.push({ offset, name, clock, pageSize, cpus });
        } else if (id !== Opt.BUFFER_TEXT) this.#commonOption(id, d);
      }
    }
    const need = (id: number, what: string): Bin => {
      const off = sections[id];
      if (off === undefined) b.fail(`a ${what} section (option ${id})`, 0);
      return this.#section(off, id, what);
    };
    this.#readHeaders(need(Opt.HEADER_INFO, "headers"));
    if (sections[Opt.FTRACE_EVENTS] !== undefined) {
      this.#readFtraceFormats(need(Opt.FTRACE_EVENTS, "ftrace events"));
    }
    this.#readEventFormats(need(Opt.EVENT_FORMATS, "event formats"));
    if (sections[Opt.KALLSYMS] !== undefined) this.#readKallsyms(need(Opt.KALLSYMS, "kallsyms"));
    if (sections[Opt.CMDLINES] !== undefined) this.#readCmdlines(need(Opt.CMDLINES, "cmdlines"));
    for (const inst of instances) {
      const h = new Bin(this.bytes, this.le, this.file, 0);
      h.pos = inst.offset;
      const id = h.u16("buffer section id");
      if (id !== SECTION_BUFFER) {
        h.fail(`buffer section id ${SECTION_BUFFER}, got ${id}`, inst.offset);
      }
      const flags = h.u16("buffer section flags");
      const compressed = (flags & SECTION_COMPRESSED) !== 0;
      if (compressed && !this.codec) {
        h.fail(
          `a supported compression for buffer "${inst.name}", got "${this.meta.compression}"`,
          inst.offset,
        );
      }
      this.bufferInfo.push({
        name: inst.name,
        clock: inst.clock,
        pageSize: inst.pageSize,
        cpus: inst.cpus,
        compressed,
      });
    }
  }
}
