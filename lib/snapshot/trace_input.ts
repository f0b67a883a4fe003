/**
 * What a `kmem` trace argument names — a trace file, a bundle directory or `-` (stdin) — and the
 * byte stream to read it from.
 *
 * @module
 */

import { type BundleFiles, type BundleTraceFormat, readBundleFiles } from "./load_bundle.ts";

const READ_CHUNK_BYTES = 1 << 20;

/** A trace argument resolved: the file to read and, for a bundle directory, its files. */
export interface TraceInput {
  /** The file to read, or `-` for stdin. */
  path: string;
  /** The name used in messages (`<stdin>` for stdin). */
  displayName: string;
  /** Size of the file on disk (compressed size for compressed input); null for stdin. */
  sizeBytes: number | null;
  /** The bundle directory's files, when the argument is a directory. */
  bundle: BundleFiles | null;
}

/** Resolves a trace argument: `-`, a trace file, or a bundle directory. */
export async function resolveTraceInput(
  path: string,
  format: BundleTraceFormat = "auto",
): Promise<TraceInput> {
  if (path === "-") return { path, displayName: "<stdin>", sizeBytes: null, bundle: null };
  const st = await Deno.stat(path);
  if (st.isDirectory) {
    const bundle = await readBundleFiles(path, format);
    const file = bundle.tracePath;
    return { path: file, displayName: file, sizeBytes: bundle.traceSizeBytes, bundle };
  }
  return { path, displayName: path, sizeBytes: st.size, bundle: null };
}

/** The input's bytes as a stream of 1 MiB chunks; `onBytes` sees the bytes read so far. */
export function traceByteStream(
  input: TraceInput,
  onBytes: (n: number) => void = () => {},
): ReadableStream<Uint8Array> {
  if (input.path === "-") return Deno.stdin.readable;
  let file: Deno.FsFile | null = null;
  let read = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      file ??= await Deno.open(input.path);
      const buf = new Uint8Array(READ_CHUNK_BYTES);
      const n = await file.read(buf);
      if (n === null) {
        file.close();
        controller.close();
      } else {
        read += n;
        onBytes(read);
        controller.enqueue(n === buf.length ? buf : buf.subarray(0, n));
      }
    },
    cancel() {
      file?.close();
    },
  }, { highWaterMark: 2 });
}
