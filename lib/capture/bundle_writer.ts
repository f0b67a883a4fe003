/**
 * Writes a capture bundle to its directory file by file, as the capture produces them: snapshots
 * as soon as they are read, the trace streamed from tracefs in chunks (never the whole trace in
 * one string), so a capture that fails half-way still leaves what was recorded on disk.
 *
 * @module
 */

/** Bytes read from tracefs per chunk while streaming a trace (1 MiB: few syscalls, small heap). */
const STREAM_CHUNK_BYTES = 1 << 20;

/** A bundle directory being written; {@linkcode written} lists the complete files. */
export class BundleWriter {
  readonly dir: string;
  /** Names of the files fully written, in order. */
  readonly written: string[] = [];

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Creates (or reuses) the bundle directory.
   *
   * @example
   * ```ts
   * import { BundleWriter } from "./bundle_writer.ts";
   * const w = await BundleWriter.create(await Deno.makeTempDir());
   * await w.put("uname", "6.18.0\n");
   * w.written; // ["uname"]
   * ```
   */
  static async create(dir: string): Promise<BundleWriter> {
    await Deno.mkdir(dir, { recursive: true });
    return new BundleWriter(dir);
  }

  /** Writes one whole file (a snapshot, stats, uname). */
  async put(name: string, data: string | Uint8Array): Promise<void> {
    const path = `${this.dir}/${name}`;
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
    this.written.push(name);
  }

  /**
   * Streams `source` (a tracefs file) into `name` (`name.gz` when `gzip`), 1 MiB at a time;
   * returns the bytes read from the source. A file cut short by an error stays on disk (it holds
   * what was read) but is not listed in {@linkcode written}.
   */
  async stream(name: string, source: string, gzip: boolean): Promise<number> {
    const target = gzip ? `${name}.gz` : name;
    using src = await Deno.open(source, { read: true });
    const out = await Deno.open(`${this.dir}/${target}`, {
      write: true,
      create: true,
      truncate: true,
    });
    let bytes = 0;
    const buf = new Uint8Array(STREAM_CHUNK_BYTES);
    // gzip: chunks go through a CompressionStream whose output is piped to the file.
    const gz = gzip ? new CompressionStream("gzip") : null;
    const sink: WritableStreamDefaultWriter<Uint8Array> = gz
      ? gz.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>
      : out.writable.getWriter();
    const piped = gz ? gz.readable.pipeTo(out.writable) : null;
    try {
      for (;;) {
        const n = await src.read(buf);
        if (n === null) break;
        bytes += n;
        await sink.write(buf.slice(0, n));
      }
      await sink.close(); // closes `out` (through the pipe when gzip)
      await piped;
    } catch (e) {
      await sink.abort(e).catch(() => {});
      await piped?.catch(() => {});
      throw e;
    }
    this.written.push(target);
    return bytes;
  }
}
