/**
 * Every strategy gives everything back: after a workload with forks, copies, splits, moves and
 * swapping, once every process has exited no strategy object is left (`*_count` counters 0,
 * `objtree_spaces` 0, `pte_chain_entries` 0), no metadata byte, no frame and no swap slot.
 */
import { deepStrictEqual } from "node:assert/strict";
import { STRATEGIES } from "./registry.ts";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";

const A = 0x10000000, B = 0x20000000, P = 4096;

for (const name of Object.keys(STRATEGIES)) {
  Deno.test(`teardown (${name}): nothing is left once every process exits`, () => {
    const t = new TraceBuilder().mmap(1, A, 8 * P, "rw-", "private,anon");
    for (let k = 0; k < 8; k++) t.w(1, A + k * P);
    t.fork(1, 2).w(2, A).mprotect(2, A + 2 * P, 2 * P, "r--").fork(2, 3).w(3, A + P)
      .mremap(3, A + 4 * P, 2 * P, B, 2 * P).munmap(1, A + 6 * P, P).reclaim(8).exit(1);
    const m = new TestMachine(name, 64, 256).run(t);
    deepStrictEqual(m.c.swap_out_pages > 0, true, "something was swapped out");
    m.run(new TraceBuilder().exit(2).exit(3));
    deepStrictEqual(m.leftOver(), [[], [0, 0, 0]]);
  });
}
