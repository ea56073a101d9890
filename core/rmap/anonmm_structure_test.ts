/**
 * Structural tests of `anonmm` (Dickins/Torvalds, 2.6.6-mm, seed 001): a page is named by its
 * fork family and its virtual address, and a walk asks every address space of the family for
 * the PTE at that address. Areas do not matter at all (nothing per area); the family does. A
 * space with no area at the address costs a visit and no PTE; one with an area costs a PTE look-up
 * even when it maps another copy. Sizes: 40 bytes per address space (`core/rmap/sizes.ts`). Walks
 * as in `tests/_rmap_scenarios.ts`: `[rmap_vma_visits, rmap_wasted_visits, pte_walks]`; totals
 * where the family's order alone decides which walk pays.
 */
import { deepStrictEqual } from "node:assert/strict";
import * as S from "../../tests/_rmap_scenarios.ts";

const NAME = "anonmm";
const ONE: S.Walk = [1, 0, 1];
const ANONMM = 40;

Deno.test("anonmm structure: splits, holes, moves and merges cost nothing", () => {
  // One process: a family of one, and its walk goes straight to the address (a moved page was
  // re-indexed at its new address, being the mover's alone). One anonmm, 40 bytes, throughout.
  const cases: [string, S.Outcome][] = [
    ["mprotect tail", S.splitByMprotect(NAME, "tail")],
    ["mprotect head", S.splitByMprotect(NAME, "head")],
    ["munmap hole", S.munmapHole(NAME)],
    ["hole refilled", S.holeRefilled(NAME)],
    ["mremap", S.mremapMove(NAME)],
    ["mremap back", S.mremapMoveBack(NAME)],
    ["neighbours", S.neighbours(NAME)],
    ["neighbours merged", S.neighbours(NAME, { merged: true })],
  ];
  for (const [what, o] of cases) {
    deepStrictEqual(o.walks, Array(o.walks.length).fill(ONE), what);
    deepStrictEqual([o.metaPeak, o.x.anonmm_count, o.c.mremap_pages_copied], [ANONMM, 1, 0], what);
  }
});

Deno.test("anonmm structure: AIM7 in miniature and a fork chain walk the whole family", () => {
  const fam = S.family(NAME, 3);
  // A 40-byte anonmm per process, one allocated per fork (3). Every process has an area at the
  // address, mapping its own copy: the walk of each copy looks at the PTE of every space before
  // its own. 1 + 2 + 3 + 4 = 10 visits, 6 wasted, 10 PTEs.
  deepStrictEqual([fam.allocs, fam.x.anonmm_count, fam.metaPeak], [3, 4, 4 * ANONMM]);
  deepStrictEqual(S.total(fam.walks), [10, 6, 10]);
  const chain = S.forkChain(NAME, 3, false);
  // The same over a chain: 3 spaces, 2 forks; 1 + 2 + 3 visits, 3 wasted.
  deepStrictEqual([chain.allocs, chain.x.anonmm_family_peak, chain.metaPeak], [2, 3, 3 * ANONMM]);
  deepStrictEqual(S.total(chain.walks), [6, 3, 6]);
  const exits = S.forkChain(NAME, 4, true);
  // With exits the family is 2 at most (80 bytes), 1 at the end: one visit per walk.
  deepStrictEqual(
    [exits.allocs, exits.x.anonmm_family_peak, exits.meta, exits.metaPeak],
    [3, 2, ANONMM, 2 * ANONMM],
  );
  deepStrictEqual(exits.walks, [ONE, ONE]);
  const two = S.reuseRule(NAME, true);
  // Nothing is reused or bounded: 4 forks, 4 live spaces at the end (1, 3, 4, 5).
  deepStrictEqual([two.allocs, two.x.anonmm_count, two.x.anonmm_family_peak], [4, 4, 4]);
});

Deno.test("anonmm structure: exec starts a family of its own", () => {
  const o = S.execAfterFork(NAME);
  // The child's new address space belongs to a new family ("exec starts a new one"): the
  // parent's walks ask its own space only, although the child maps a page at the same address.
  deepStrictEqual([o.allocs, o.x.anonmm_count, o.x.anonmm_family_peak], [1, 2, 2]);
  deepStrictEqual(o.walks, [ONE, ONE]);
});

Deno.test("anonmm structure: swapoff maps pages back at their address in the family", () => {
  for (const grandchild of [false, true]) {
    const o = S.swapoffBack(NAME, grandchild);
    // 1 and 2 are left in the family, both with a copy at the address: 2's copy and 1's page 0
    // cost 1 + 2 visits, one of them a PTE mapping the other's copy.
    deepStrictEqual(o.x.anonmm_count, 2);
    deepStrictEqual(S.total(o.walks), [3, 1, 3]);
  }
});
