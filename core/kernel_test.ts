import { deepStrictEqual, throws } from "node:assert/strict";
import { TraceBuilder } from "../trace/builder.ts";
import { PG as PG_FLAGS } from "./mm/frames.ts";
import { Machine } from "./machine.ts";
import { STRATEGIES } from "./rmap/registry.ts";
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

Deno.test("checkEvery: checks every N events and after the last; a failure names where they held", () => {
  // anon_vma_chain whose reverse map forgets every anonymous page: --check must see it
  const good = STRATEGIES.anon_vma_chain!;
  STRATEGIES.broken_rmap = {
    ...good,
    name: "broken_rmap",
    create: (ctx) => {
      const s = good.create(ctx);
      const walk = s.rmapWalk.bind(s);
      s.rmapWalk = (fr, visit) => {
        if ((ctx.frames.flags[fr]! & PG_FLAGS.anon) === 0) walk(fr, visit);
      };
      return s;
    },
  };
  try {
    const b = new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon")
      .r(1, A).r(1, A + PG) // zero-page maps: nothing the rmap must find
      .w(1, A) // an anonymous page the broken rmap cannot find
      .r(1, A).r(1, A).r(1, A).batch();
    const run = (checkEvery: number) => {
      const found: string[] = [];
      const m = new Machine({
        memPages: 64,
        swapPages: 0,
        strategy: "broken_rmap",
        check: true,
        checkEvery,
        onDiagnostic: (d) => {
          if (d.kind === "check") found.push(`${d.line}: ${d.message}`);
        },
      });
      for (let i = 0; i < b.length; i++) m.apply(b, i, i + 1);
      m.checkNow();
      return { found, x: m.extraCounters() };
    };
    const every = run(1);
    deepStrictEqual([every.x.checks, every.found.length > 0], [7, true]);
    deepStrictEqual(every.found[0]!.startsWith("4: "), true, every.found[0]);
    const three = run(3);
    deepStrictEqual(three.x.checks, 3); // after events 3 and 6, and after the last (7)
    deepStrictEqual(three.found[0]!.startsWith("6: "), true, three.found[0]);
    deepStrictEqual(three.found[0]!.endsWith(" (invariants held after line 3)"), true);
    const once = run(100);
    deepStrictEqual(once.x.checks, 1);
    deepStrictEqual(once.found[0]!.startsWith("7: "), true, once.found[0]);
    deepStrictEqual(once.found[0]!.endsWith(" (at the first check)"), true);
    throws(() => run(0), /checkEvery: expected a positive integer, found 0/);
  } finally {
    delete STRATEGIES.broken_rmap;
  }
});
