/**
 * The cache names of a /proc/slabinfo text, in file order: the caches whose sysfs files a
 * capture keeps open.
 *
 * @module
 */

/**
 * Cache names of a /proc/slabinfo text (header and comment lines skipped).
 *
 * @example
 * ```ts
 * import { slabinfoNames } from "./slabinfo_names.ts";
 * slabinfoNames("slabinfo - version: 2.1\n# name <active_objs>\nkmalloc-8 10 10 8 512 1\n");
 * // ["kmalloc-8"]
 * ```
 */
export function slabinfoNames(slabinfoText: string): string[] {
  const names: string[] = [];
  for (const line of slabinfoText.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("slabinfo -")) continue;
    names.push(line.split(/\s+/, 1)[0]!);
  }
  return names;
}
