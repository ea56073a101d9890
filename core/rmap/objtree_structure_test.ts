/**
 * Structural tests of `objtree` (Lokier, seed 003): every area with anonymous pages points to an
 * address space; fork shares it and flags both areas, and the first private modification after
 * that gives the writer a child space; a walk visits every area of the page's space and of its
 * descendants. Spaces left with no area merge with an only child ("collapse"); an area that
 * privately modified every page is cut from its parent. There is no neighbour reuse: each area's
 * first fault makes a space. Sizes: an address space 200 bytes, a link 16 (`core/rmap/sizes.ts`).
 * Walks as in `tests/_rmap_scenarios.ts`: `[rmap_vma_visits, rmap_wasted_visits, pte_walks]`;
 * totals where only the order of a space's areas decides which walk pays.
 */
import { deepStrictEqual } from "node:assert/strict";
import * as S from "../../tests/_rmap_scenarios.ts";

const NAME = "objtree";
const ONE: S.Walk = [1, 0, 1];
const SPACE = 200, LINK = 16;

Deno.test("objtree structure: split, hole and move keep both pieces in one space", () => {
  const cases: [string, S.Outcome][] = [
    ["mprotect tail", S.splitByMprotect(NAME, "tail")],
    ["mprotect head", S.splitByMprotect(NAME, "head")],
    ["munmap hole", S.munmapHole(NAME)],
    ["mremap", S.mremapMove(NAME)],
  ];
  for (const [what, o] of cases) {
    // One space listing two pieces (200 + 2 * 16 = 232), two pages each. The walk of a page of
    // the piece listed second visits the first, whose range does not hold the index: 2 * 1 +
    // 2 * 2 = 6 visits, 2 wasted (no PTE), 4 PTEs.
    deepStrictEqual([o.x.objtree_spaces, o.meta], [1, SPACE + 2 * LINK], what);
    deepStrictEqual(S.total(o.walks), [6, 2, 4], what);
  }
  for (const o of [S.holeRefilled(NAME), S.mremapMoveBack(NAME)]) {
    // Merged back into one area of the space (216): one visit per walk.
    deepStrictEqual([o.x.objtree_spaces, o.meta], [1, SPACE + LINK]);
    deepStrictEqual(o.walks, Array(o.walks.length).fill(ONE));
  }
});

Deno.test("objtree structure: no neighbour reuse, so no merge of the neighbours either", () => {
  for (const merged of [false, true]) {
    const o = S.neighbours(NAME, { merged });
    // Each area's first fault makes a space of its own (2 * 216 = 432); with different spaces
    // the areas cannot merge even once their protections agree. One visit per walk.
    deepStrictEqual([o.x.objtree_spaces, o.meta], [2, 2 * (SPACE + LINK)]);
    deepStrictEqual(o.walks, [ONE, ONE]);
  }
});

Deno.test("objtree structure: AIM7 in miniature: every child cut off after its one copy", () => {
  const o = S.family(NAME, 3);
  // Each child's first write gives it a child space (depth 2) holding its copy; the child's
  // one-page area has then privately modified every page, so the space is cut from the parent:
  // 4 root spaces, 3 cuts, depth 1 (4 * 216 = 864). Each page is alone in its space: one visit.
  deepStrictEqual(
    [o.allocs, o.x.objtree_spaces, o.x.objtree_cuts, o.x.objtree_depth, o.x.objtree_depth_peak],
    [0, 4, 3, 1, 2],
  );
  deepStrictEqual(o.meta, 4 * (SPACE + LINK));
  deepStrictEqual(o.walks, [ONE, ONE, ONE, ONE]);
});

Deno.test("objtree structure: a fork chain grows the tree while all live, collapses with exits", () => {
  const chain = S.forkChain(NAME, 3, false);
  // Generations 2 and 3 each write one of two pages: a child space each, not cut (page 1 is
  // still the parent's): depth 3, 3 spaces (648 bytes). Each generation's page 0 is in its own
  // space, whose area comes first in the walk: one visit each.
  deepStrictEqual(
    [chain.x.objtree_spaces, chain.x.objtree_depth, chain.meta],
    [3, 3, 3 * (SPACE + LINK)],
  );
  deepStrictEqual(chain.walks, [ONE, ONE, ONE]);
  const exits = S.forkChain(NAME, 4, true);
  // The parent exits before the child writes: the child is the only area of the space, so the
  // write makes no new space (it would merge straight back): one space all along, two links
  // while parent and child live (232), one at the end (216).
  deepStrictEqual(
    [exits.x.objtree_spaces, exits.x.objtree_depth_peak, exits.meta, exits.metaPeak],
    [1, 1, SPACE + LINK, SPACE + 2 * LINK],
  );
  deepStrictEqual(exits.walks, [ONE, ONE]);
});

Deno.test("objtree structure: exec and swapoff", () => {
  const exec = S.execAfterFork(NAME);
  // exec takes the child's area out of the shared space; its new area gets a space of its own.
  deepStrictEqual([exec.x.objtree_spaces, exec.meta], [2, 2 * (SPACE + LINK)]);
  deepStrictEqual(exec.walks, [ONE, ONE]);
  const shared = S.swapoffBack(NAME, true);
  // 2's copy, shared with 3 when it went to swap, comes back filed at the root of the tree, as
  // a page several processes hold: its walk visits the root's areas and their descendants', 1's
  // area (mapping 1's own page 0: wasted) before 2's. 1's page 0 is found at once.
  deepStrictEqual(shared.walks, [[2, 1, 2], ONE]);
  const own = S.swapoffBack(NAME, false);
  // Exclusive when swapped out, 2's copy goes back to 2's own space: one visit.
  deepStrictEqual(own.walks, [ONE, ONE]);
});
