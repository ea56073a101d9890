/**
 * Structural tests of `scan` (Linux 2.4): no reverse map, so no rmap visit and no metadata ever,
 * and a forced pageout of a page mapped once unmaps the PTE the madvise names (one PTE looked at,
 * `pte_walks` 1). Reclaim walks page tables (`swap_out`), so its cost follows the PTEs present,
 * not the areas: splits, moves and merges change nothing, a hole removes its PTEs from the walk.
 */
import { deepStrictEqual } from "node:assert/strict";
import * as S from "../../tests/_rmap_scenarios.ts";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";

const NAME = "scan";
const { A, B, PAGE } = S;

Deno.test("scan structure: no visits, no metadata, one PTE per forced pageout", () => {
  const all: [string, S.Outcome][] = [
    ["mprotect tail", S.splitByMprotect(NAME, "tail")],
    ["munmap hole", S.munmapHole(NAME)],
    ["hole refilled", S.holeRefilled(NAME)],
    ["mremap", S.mremapMove(NAME)],
    ["mremap back", S.mremapMoveBack(NAME)],
    ["neighbours", S.neighbours(NAME)],
    ["family", S.family(NAME, 3)],
    ["fork chain", S.forkChain(NAME, 3, false)],
    ["fork chain, exits", S.forkChain(NAME, 4, true)],
    ["exec", S.execAfterFork(NAME)],
    ["swapoff", S.swapoffBack(NAME, true)],
  ];
  for (const [what, o] of all) {
    deepStrictEqual(o.walks, Array(o.walks.length).fill([0, 0, 1]), what);
    deepStrictEqual([o.allocs, o.metaPeak, o.x], [0, 0, {}], what);
  }
});

/** pte_walks of `reclaim 1` after `t`, and the pages it freed. */
function reclaimOne(t: TraceBuilder): [number, number] {
  const m = new TestMachine(NAME).run(t);
  return [m.delta("pte_walks", new TraceBuilder().reclaim(1)), m.c.pages_reclaimed];
}

const written = (n: number) => {
  const t = new TraceBuilder().mmap(1, A, n * PAGE, "rw-", "private,anon");
  for (let k = 0; k < n; k++) t.w(1, A + k * PAGE);
  return t;
};

Deno.test("scan structure: swap_out walks PTEs, wherever the areas split or moved", () => {
  // 4 written (young) PTEs: the first lap clears 4 accessed bits, the next visit unmaps page 0
  // and frees it: 5 PTEs looked at, split into two areas, with one moved, or not.
  deepStrictEqual(reclaimOne(written(4)), [5, 1]);
  deepStrictEqual(reclaimOne(written(4).mprotect(1, A + 2 * PAGE, 2 * PAGE, "r--")), [5, 1]);
  deepStrictEqual(reclaimOne(written(4).mremap(1, A + 2 * PAGE, 2 * PAGE, B, 2 * PAGE)), [5, 1]);
  // A hole's PTE is gone: 3 cleared, then page 0 unmapped.
  deepStrictEqual(reclaimOne(written(4).munmap(1, A + PAGE, PAGE)), [4, 1]);
});

Deno.test("scan structure: swapoff looks at every PTE of every anonymous area", () => {
  // try_to_unuse walks each address space's anonymous areas in full until the device is empty:
  // the 3 pages on swap are held by 1 (page 0, page 1), 2 (its copy, page 1) and 3 (the copy,
  // page 1), and only after 3's table is the device empty: 3 areas of 2 pages, 6 PTEs.
  const t = new TraceBuilder().mmap(1, A, 2 * PAGE, "rw-", "private,anon").w(1, A).w(1, A + PAGE)
    .fork(1, 2).w(2, A).fork(2, 3).reclaim(16);
  for (const s of ["scan", "anon_vma_chain"]) {
    const m = new TestMachine(s).run(t);
    deepStrictEqual(m.c.swap_out_pages, 3, s);
    deepStrictEqual(
      m.delta("pte_walks", new TraceBuilder().swapon("swap1", "4M").swapoff("swap")),
      6,
      s,
    );
  }
});
