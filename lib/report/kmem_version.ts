/**
 * The version `kmem --version` prints and mod.ts exports: the one place it is spelled.
 *
 * @module
 */

/** kmemreplay's version (semver); bumped when a release changes a public contract. */
export const KMEM_VERSION = "0.1.0";
