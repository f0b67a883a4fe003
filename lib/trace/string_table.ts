/**
 * Interns strings (comm names, call sites, cache names) so that batches store small integer ids
 * instead of one string object per event.
 *
 * @module
 */

/**
 * A growing table of unique strings; id 0 is always the empty string (= "not known").
 *
 * @example
 * ```ts
 * import { StringTable } from "./string_table.ts";
 * const t = new StringTable();
 * const id = t.intern("kmalloc-64");
 * t.get(id); // "kmalloc-64"
 * ```
 */
export class StringTable {
  readonly #ids = new Map<string, number>();
  readonly #strings: string[] = [""];

  constructor() {
    this.#ids.set("", 0);
  }

  /** Returns the id of `s`, adding it when new. */
  intern(s: string): number {
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.#strings.length;
      this.#strings.push(s);
      this.#ids.set(s, id);
    }
    return id;
  }

  /** The string with this id ("" for 0 or an unknown id). */
  get(id: number): string {
    return this.#strings[id] ?? "";
  }

  /** Id of `s` if interned, else -1. */
  lookup(s: string): number {
    return this.#ids.get(s) ?? -1;
  }

  /** Number of strings, including the empty string. */
  get size(): number {
    return this.#strings.length;
  }
}
