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
    { kind: "segv", line: 4, message: "pid 1: r 0x7f0000002000: no mapping" },
    { kind: "segv", line: 5, message: "pid 1: w 0x7f0000000000: not permitted by r--" },
    {
      kind: "segv",
      line: 6,
      message: "pid 1: r 0x7f0000005000: past the end of file:/f (SIGBUS)",
    },
  ]);
  deepStrictEqual(r.diagnostics.length, 9);
});

Deno.test("diagnostics name the pid of the event, a system event's none", () => {
  const t = new TraceBuilder()
    .mmap(1, A, "8K", "rw-", "private,anon")
    .w(1, A)
    .fork(1, 2)
    .r(2, A + 4 * PG) // the child's segv, after the parent's TLB served its accesses
    .munmap(7, A, "4K") // a pid never seen: its first event makes it
    .fork(1, 2)
    .exit(2)
    .exit(2)
    .swapoff("nothere");
  const r = runBatch(t.batch(), { memPages: 64, swapPages: 0 });
  deepStrictEqual(r.diagnostics.map((d) => [d.line, d.message]), [
    [4, "pid 2: r 0x7f0000004000: no mapping"],
    [5, "pid 7: munmap 0x7f0000000000+4096: nothing mapped there"],
    [6, "pid 1: fork: child 2 is already alive"],
    [8, "pid 2: exit: no such process"],
    [9, "swapoff nothere: no such swap device"],
  ]);
});

Deno.test("segvReports: only the first segvs are reported, every one is counted", () => {
  // Not a declared MachineConfig field yet: passed as a variable, not checked as a literal.
  const cfg = { memPages: 64, swapPages: 0, segvReports: 2 };
  const r = runBatch(segvs().batch(), cfg);
  deepStrictEqual(r.counters.segv, 9);
  deepStrictEqual(r.diagnostics.map((d) => [d.line, d.message]), [
    [4, "pid 1: r 0x7f0000002000: no mapping"],
    [5, "pid 1: w 0x7f0000000000: not permitted by r--"],
  ]);
  cfg.segvReports = 0;
  const none = runBatch(segvs().batch(), cfg);
  deepStrictEqual([none.counters.segv, none.diagnostics.length], [9, 0]);
});

Deno.test("segvReports must be a number >= 0", () => {
  const cfg = { memPages: 64, swapPages: 0, segvReports: -1 };
  throws(() => runBatch(segvs().batch(), cfg), /segvReports: expected a number >= 0, found -1/);
});
