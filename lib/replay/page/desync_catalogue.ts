/**
 * The desync catalogue of the page replay: every kind of transition the model did not expect,
 * what it means, and the log that counts them with their first examples.
 *
 * @module
 */

import { MmInvariantError } from "../../mm/mm_invariant_error.ts";
import type { DesyncExample } from "../page_replay_result.ts";

/**
 * Desync kinds and what each means.
 */
export const DESYNC_KINDS = {
  "pfn-outside-zone": "a pfn outside every emulated zone (call skipped)",
  "order-above-max": "an order above MAX_PAGE_ORDER (call skipped)",
  "pfn-in-hole": "a pfn in a hole or reserved range of a zone",
  "take-untracked": "buddy_take/fallback of a never-seen page with no snapshot block to explain it",
  "take-not-free":
    "buddy_take/fallback of a page the model holds as allocated or on a pcp list (e.g. a free that bypassed the pcp list when its trylock failed)",
  "kpageflags-stale":
    "the first event on a page contradicts before.kpageflags (taken from buddy though allocated there, freed or allocated though free there, drained though in buddy): the page changed between the snapshot read and the trace start",
  "migratetype-mismatch": "an event's migratetype contradicts a pageblock type already learned",
  "alloc-untracked":
    "page_alloc of a never-seen page (bulk allocator, compaction capture, missed events)",
  "alloc-from-buddy": "page_alloc of a page the model holds as free in buddy",
  "alloc-allocated": "page_alloc of a page already allocated (no free in between)",
  "alloc-shape-mismatch": "page_alloc whose order does not match the pcp block holding the pfn",
  "free-untracked": "page_free of a never-seen page (usually allocated before tracing started)",
  // Also the bulk allocator (vmalloc, page_pool) taking pcp pages without mm_page_alloc.
  "free-order-mismatch": "page_free larger than the allocated block at that pfn",
  "double-free":
    "page_free of a page the model holds as free (buddy or pcp): typically a pcp page handed out by the bulk allocator, which emits no mm_page_alloc",
  "drain-untracked": "pcp_drain of a never-seen page with no snapshot pcp pages left",
  "drain-not-pcp": "pcp_drain of a page the model holds as allocated or in buddy",
  "free-unmapped":
    "policy: page_free of a page the emulator never handed out and no pre-existing block to stand in",
  "isolate-unlocated":
    "compaction free-scanner isolation whose free blocks the model had not located: the rest of nr_taken was taken from the before-snapshot's unlocated blocks as a guess (binary decomposition, placed in never-seen memory of the range)",
  "isolate-mismatch":
    "compaction free-scanner isolation the model cannot match: located free blocks in the range exceed nr_taken, or no unlocated block was left for the rest",
  "fast-isolate-guess":
    "fast compaction isolation (mm_compaction_fast_isolate_freepages): the event has no pfn, so the block was guessed (highest located Movable block ≥ min_pfn, else an unlocated one)",
} as const;
/** A desync kind name. */
export type DesyncKind = keyof typeof DESYNC_KINDS;

/** Desync counts per kind, in order of first occurrence (kinds never seen are absent). */
export type DesyncCounts = Partial<Record<DesyncKind, number>>;

/**
 * Counts desyncs per kind and keeps the first examples of each; in strict mode the first one
 * throws {@linkcode MmInvariantError} instead.
 *
 * @example
 * ```ts
 * import { DesyncLog } from "./desync_catalogue.ts";
 * const log = new DesyncLog(false, 1);
 * log.record("double-free", 12, "pfn 0x10 order 0");
 * log.record("double-free", 40, "pfn 0x20 order 0");
 * log.counts; // { "double-free": 2 }
 * log.examples.length; // 1
 * ```
 */
export class DesyncLog {
  readonly counts: DesyncCounts = {};
  readonly examples: DesyncExample[] = [];

  constructor(readonly strict: boolean, readonly maxExamplesPerKind: number) {}

  /** Records one desync of `kind` at source line (or byte offset) `line`. */
  record(kind: DesyncKind, line: number, detail: string): void {
    if (this.strict) {
      throw new MmInvariantError(kind, `line ${line}: ${DESYNC_KINDS[kind]}: ${detail}`);
    }
    const n = (this.counts[kind] ?? 0) + 1;
    this.counts[kind] = n;
    if (n <= this.maxExamplesPerKind) this.examples.push({ kind, line, message: detail });
  }
}
