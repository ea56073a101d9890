import { deepStrictEqual, throws } from "node:assert/strict";
import { TraceBuilder } from "../trace/testing.ts";
import { runBatch } from "./run_batch.ts";

const A = 0x7f0000000000;
const PG = 4096;

/** Three segvs of each kind: no mapping, no permission, past the end of the object. */
function segvs(): TraceBuilder {
  const t = new TraceBuilder()
    .create(1, "file:/f", "4K")
    .mmap(1, A, "4K", "r--", "private,anon")
    .mmap(1, A + 4 * PG, "8K", "r--", "shared", "file:/f");
  for (let n = 0; n < 3; n++) t.r(1, A + 2 * PG).w(1, A).r(1, A + 5 * PG);
  return t;
}

Deno.test("segv diagnostics name the address and the reason", () => {
  const r = runBatch(segvs().batch(), { memPages: 64, swapPages: 0 });
  deepStrictEqual(r.counters.segv, 9);
  deepStrictEqual(r.diagnostics.slice(0, 3), [
    { kind: "segv", line: 4, message: "r 0x7f0000002000: no mapping" },
    { kind: "segv", line: 5, message: "w 0x7f0000000000: not permitted by r--" },
    { kind: "segv", line: 6, message: "r 0x7f0000005000: past the end of file:/f (SIGBUS)" },
  ]);
  deepStrictEqual(r.diagnostics.length, 9);
});

Deno.test("segvReports: only the first segvs are reported, every one is counted", () => {
  // Not a declared MachineConfig field yet: passed as a variable, not checked as a literal.
  const cfg = { memPages: 64, swapPages: 0, segvReports: 2 };
  const r = runBatch(segvs().batch(), cfg);
  deepStrictEqual(r.counters.segv, 9);
  deepStrictEqual(r.diagnostics.map((d) => [d.line, d.message]), [
    [4, "r 0x7f0000002000: no mapping"],
    [5, "w 0x7f0000000000: not permitted by r--"],
  ]);
  cfg.segvReports = 0;
  const none = runBatch(segvs().batch(), cfg);
  deepStrictEqual([none.counters.segv, none.diagnostics.length], [9, 0]);
});

Deno.test("segvReports must be a number >= 0", () => {
  const cfg = { memPages: 64, swapPages: 0, segvReports: -1 };
  throws(() => runBatch(segvs().batch(), cfg), /segvReports: expected a number >= 0, found -1/);
});
