/**
 * Where the shared real capture lives: `shared/` sits beside the repository checkout (locally
 * and in CI), so paths are resolved from this file, never hard-coded.
 *
 * @module
 */

/** ../shared/traces/mixed, with a trailing slash. */
export const MIXED_DIR: string = new URL("../../shared/traces/mixed/", import.meta.url).pathname;
