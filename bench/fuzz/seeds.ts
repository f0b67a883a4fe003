/**
 * Fuzz seeds from the repository's traces/: text traces in the three dialects, trace.dat v6 and
 * v7 (plus an uncompressed v7 made with `trace-cmd convert` when trace-cmd is installed, so the
 * ring-buffer pages can be hit directly), and the bundles.
 *
 * @module
 */

import { gunzipSync, zstdDecompressSync } from "node:zlib";
import type { BundleFiles } from "./bundle_mutators.ts";
import type { TextFormat } from "./text_mutators.ts";
import { type TraceDatSeed, v6DataRegions } from "./tracedat_mutators.ts";

/** A text seed: header lines and event lines kept apart so cases can take a window. */
export interface TextSeed {
  name: string;
  format: TextFormat;
  header: string[];
  body: string[];
}

/** All seeds. */
export interface Seeds {
  text: TextSeed[];
  dat: Array<TraceDatSeed & { name: string }>;
  bundles: Array<{ name: string; files: BundleFiles }>;
}

const TRACES = new URL("../../traces/", import.meta.url).pathname;

function plain(bytes: Uint8Array): Uint8Array {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return new Uint8Array(gunzipSync(bytes));
  if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) {
    return new Uint8Array(zstdDecompressSync(bytes));
  }
  return bytes;
}

/** Bundle traces are cut to this many lines: the snapshots are what bundle cases exercise. */
const BUNDLE_TRACE_LINES = 4000;

/** Reads the seeds; `tmpDir` receives the converted v7 file. */
export async function loadSeeds(tmpDir: string): Promise<Seeds> {
  const dec = new TextDecoder();
  const text: TextSeed[] = [];
  const dat: Seeds["dat"] = [];
  const bundles: Seeds["bundles"] = [];
  for (const e of [...Deno.readDirSync(TRACES)].sort((a, b) => a.name.localeCompare(b.name))) {
    const path = `${TRACES}${e.name}`;
    if (e.isDirectory) {
      const files: BundleFiles = new Map();
      for (const f of Deno.readDirSync(path)) {
        if (!f.isFile) continue;
        const b = await Deno.readFile(`${path}/${f.name}`);
        if (f.name === "trace.txt.gz") {
          const lines = dec.decode(plain(b)).split("\n").slice(0, BUNDLE_TRACE_LINES);
          files.set("trace.txt", new TextEncoder().encode(lines.join("\n") + "\n"));
          continue;
        }
        files.set(f.name, b);
      }
      if ([...files.keys()].some((k) => k.startsWith("trace"))) {
        bundles.push({ name: e.name, files });
      }
      continue;
    }
    if (/\.dat(\.gz)?$/.test(e.name)) {
      const b = plain(await Deno.readFile(path));
      const version = b[10] === 0x36 ? 6 : 7;
      dat.push({
        name: e.name,
        bytes: b,
        version,
        dataRegions: version === 6 ? v6DataRegions(b) : [],
      });
      continue;
    }
    if (/\.txt(\.gz|\.zst)?$/.test(e.name)) {
      const lines = dec.decode(plain(await Deno.readFile(path))).split("\n");
      const isHeader = (l: string) => l.startsWith("#") || l.startsWith("cpus=");
      const format: TextFormat = e.name.includes(".perf.")
        ? "perf"
        : e.name.includes(".report.")
        ? "report"
        : "tracefs";
      const firstBody = lines.findIndex((l) => !isHeader(l));
      text.push({
        name: e.name,
        format,
        header: lines.slice(0, Math.max(firstBody, 0)),
        body: lines.slice(Math.max(firstBody, 0)).filter((l) => l !== ""),
      });
    }
  }
  const v7 = dat.find((d) => d.version === 7);
  if (v7) {
    const converted = await convertUncompressed(v7.bytes, tmpDir);
    if (converted) dat.push({ name: "small-6.18.v7-none.dat", version: 7, ...converted });
  }
  return { text, dat, bundles };
}

/** `trace-cmd convert --compression none`, with the CPU data regions it reports; null without it. */
async function convertUncompressed(
  bytes: Uint8Array,
  tmpDir: string,
): Promise<{ bytes: Uint8Array; dataRegions: Array<[number, number]> } | null> {
  const src = `${tmpDir}/seed-v7.dat`, dst = `${tmpDir}/seed-v7-none.dat`;
  await Deno.writeFile(src, bytes);
  try {
    const out = await new Deno.Command("trace-cmd", {
      args: ["convert", "-i", src, "-o", dst, "--compression", "none"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return null;
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const regions: Array<[number, number]> = [];
    for (const m of text.matchAll(/offset=0x([0-9a-f]+)\s+(\d+) bytes in size/g)) {
      regions.push([parseInt(m[1]!, 16), Number(m[2])]);
    }
    return { bytes: await Deno.readFile(dst), dataRegions: regions };
  } catch {
    return null; // trace-cmd not installed
  }
}
