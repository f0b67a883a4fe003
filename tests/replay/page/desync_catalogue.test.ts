import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { DESYNC_KINDS, DesyncLog } from "../../../lib/replay/page/desync_catalogue.ts";
import { MmInvariantError } from "../../../lib/mm/mm_invariant_error.ts";

Deno.test("desync log: counts in order of first occurrence, a few examples per kind", () => {
  const log = new DesyncLog(false, 2);
  log.record("free-untracked", 10, "pfn 0x1");
  log.record("double-free", 11, "pfn 0x2");
  log.record("free-untracked", 12, "pfn 0x3");
  log.record("free-untracked", 13, "pfn 0x4");
  deepStrictEqual(Object.keys(log.counts), ["free-untracked", "double-free"]);
  deepStrictEqual(log.counts, { "free-untracked": 3, "double-free": 1 });
  deepStrictEqual(log.examples.map((e) => e.line), [10, 11, 12]);
});

Deno.test("desync log: strict mode throws at the first desync, naming the line and the kind", () => {
  const log = new DesyncLog(true, 3);
  throws(() => log.record("pfn-in-hole", 42, "pfn 0x9"), (e: unknown) => {
    equal(e instanceof MmInvariantError, true);
    equal((e as Error).message.includes(`line 42: ${DESYNC_KINDS["pfn-in-hole"]}`), true);
    return true;
  });
  deepStrictEqual(log.counts, {});
});
