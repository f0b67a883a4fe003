/**
 * The README's contracts, checked against the code: the `--json` keys its tables list, the call
 * list of `kmem import`, the exports of mod.ts, and the paths of the Architecture section.
 */
import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { CALL_NAMES } from "../lib/calls/call_kind.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const README = Deno.readTextFileSync(`${ROOT}README.md`);
const DEMO = `${ROOT}traces/demo`;

/** The README text from the heading starting with `heading` to the next heading of its level. */
function section(heading: string): string {
  const start = README.indexOf(`\n${heading}`);
  assert.ok(start >= 0, `README has no heading ${heading}`);
  const level = heading.split(" ")[0]!;
  const end = README.slice(start + 1).search(new RegExp(`\\n#{1,${level.length}} `));
  return end < 0 ? README.slice(start) : README.slice(start, start + 1 + end);
}

/** Rows of the first table in `text`, as cells (header and separator left out). */
function tableRows(text: string): string[][] {
  const lines = text.split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  assert.ok(first >= 0, "no table");
  const rows: string[][] = [];
  for (let i = first + 2; i < lines.length && lines[i]!.startsWith("|"); i++) {
    rows.push(lines[i]!.split("|").slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const backticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/**
 * Children listed per parent path: `zones[].watermarks.{min,low}` lists `zones` under the root,
 * `watermarks` under `zones[]` and `min`, `low` under `zones[].watermarks`.
 */
function listedKeys(specs: string[]): Map<string, Set<string>> {
  const children = new Map<string, Set<string>>();
  for (const spec of specs) {
    const group = /^(.*?)\{([^}]*)\}$/.exec(spec);
    const paths = group ? group[2]!.split(",").map((k) => group[1]! + k.trim()) : [spec];
    for (const path of paths) {
      const segs = path.split(".");
      for (let k = 0; k < segs.length; k++) {
        const parent = segs.slice(0, k).join(".");
        if (!children.has(parent)) children.set(parent, new Set());
        children.get(parent)!.add(segs[k]!.replace(/\[\]$/, ""));
      }
    }
  }
  return children;
}

/** The objects at `path` (`a[].b`: field b of every element of a); nulls left out. */
function objectsAt(root: unknown, path: string): Record<string, unknown>[] {
  let values: unknown[] = [root];
  for (const seg of path ? path.split(".") : []) {
    const name = seg.replace(/\[\]$/, "");
    values = values.flatMap((v) => {
      const x = (v as Record<string, unknown>)[name];
      return seg.endsWith("[]") ? (x as unknown[]) : [x];
    });
  }
  return values.filter((v) => v !== null && v !== undefined) as Record<string, unknown>[];
}

/** Every parent the README lists children of has exactly those keys in `json`. */
function assertKeysAsListed(json: unknown, heading: string): void {
  const specs = tableRows(section(heading)).flatMap((r) => backticked(r[0]!));
  assert.ok(specs.length > 5, `${heading}: ${specs.length} keys listed`);
  for (const [parent, listed] of listedKeys(specs)) {
    const objects = objectsAt(json, parent);
    assert.ok(objects.length > 0, `${heading}: nothing at ${parent || "the top"} to compare`);
    for (const o of objects) {
      assert.deepEqual(
        Object.keys(o).sort(),
        [...listed].sort(),
        `${heading}: keys of ${parent || "the top level"}`,
      );
    }
  }
}

async function kmemJson(args: string[]): Promise<unknown> {
  let out = "";
  let err = "";
  const code = await main(args, { stdout: (t) => out += t, stderr: (t) => err += t });
  assert.equal(code, 0, err);
  return JSON.parse(out);
}

Deno.test("README: the keys listed for stats --json are the keys it prints on traces/demo", async () => {
  assertKeysAsListed(await kmemJson(["stats", "--json", DEMO]), "### `kmem stats");
});

Deno.test("README: the keys listed for replay --json are the keys it prints on traces/demo", async () => {
  assertKeysAsListed(await kmemJson(["replay", "--json", DEMO]), "### `kmem replay");
});

Deno.test("README: the keys listed for validate --json are the keys it prints on traces/demo", async () => {
  assertKeysAsListed(await kmemJson(["validate", "--json", DEMO]), "### `kmem validate");
});

Deno.test("README: kmem import lists every call kind", () => {
  const listed = new Set(backticked(section("### `kmem import")));
  for (const name of CALL_NAMES) assert.ok(listed.has(name), `call ${name} not in README`);
});

Deno.test("README: Library use lists exactly mod.ts's exports, at most 45", () => {
  const mod = Deno.readTextFileSync(`${ROOT}mod.ts`);
  const code = mod.slice(mod.indexOf("@module"));
  const exported = [...code.matchAll(/export (?:type )?\{([^}]*)\}/g)]
    .flatMap((m) => m[1]!.split(","))
    .map((n) => n.trim().replace(/^type /, ""))
    .filter((n) => n !== "");
  assert.ok(exported.length <= 45, `${exported.length} exports`);
  // Method names in parentheses are not exports.
  const bullets = section("## Library use").split("\n").filter((l) => /^(- | {2})/.test(l))
    .join(" ").replace(/\([^)]*\)/g, "");
  assert.deepEqual(backticked(bullets).sort(), exported.sort());
});

Deno.test("README: every path in the Architecture section exists", () => {
  const text = section("## Architecture").replace(/```[^]*?```/g, "");
  const paths = backticked(text)
    .flatMap((s) => s.split(/,\s*/))
    .filter((s) => /^(lib\/|tests\/|cli\.ts|mod\.ts)/.test(s));
  assert.ok(paths.length > 20, `${paths.length} paths`);
  for (const p of paths) assert.ok(statOrNull(`${ROOT}${p}`), `${p} does not exist`);
});

function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null;
  }
}
