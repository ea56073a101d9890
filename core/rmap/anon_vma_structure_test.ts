/**
 * Structural tests of `anon_vma` (Arcangeli, Linux 2.6.7): one list of areas per family, walked
 * whole. Every area on the list costs a visit until the PTE is found; an area whose range does
 * not cover the page's index costs a visit and no PTE (`vma_address()` fails), an area that
 * covers it costs a PTE look-up even when it maps another copy. Sizes: the anon_vma 24 bytes, a
 * link 16 (`core/rmap/sizes.ts`). Walks as in `tests/_rmap_scenarios.ts`:
 * `[rmap_vma_visits, rmap_wasted_visits, pte_walks]`.
 *
 * Where only the list's order decides which walk pays (2.6.7 linked new areas at the head of the
 * list, 2.6.18 and later at the tail), totals are asserted: the scenarios page out the same
 * number of pages from every area, each mapped once, so whatever the order the walks of one page
 * per area cost 1 + 2 + ... + n visits.
 */
import { deepStrictEqual } from "node:assert/strict";
import * as S from "../../tests/_rmap_scenarios.ts";

const NAME = "anon_vma";
const ONE: S.Walk = [1, 0, 1];
const AV = 24, LINK = 16;

Deno.test("anon_vma structure: split, hole and move leave both pieces on one list", () => {
  const cases: [string, S.Outcome][] = [
    ["mprotect tail", S.splitByMprotect(NAME, "tail")],
    ["mprotect head", S.splitByMprotect(NAME, "head")],
    ["munmap hole", S.munmapHole(NAME)],
    ["mremap", S.mremapMove(NAME)],
  ];
  for (const [what, o] of cases) {
    // One anon_vma with two pieces on its list (24 + 2 * 16 = 56 bytes), two pages in each.
    // A page of the piece listed first: 1 visit. Of the other: the first piece (its range does
    // not cover the index: no PTE), then its own. 2 * 1 + 2 * 2 = 6 visits, 2 wasted, 4 PTEs.
    deepStrictEqual([o.x.anon_vma_count, o.meta], [1, AV + 2 * LINK], what);
    deepStrictEqual(S.total(o.walks), [6, 2, 4], what);
  }
  // The hole and the move had three pieces linked at once (72 bytes).
  deepStrictEqual(S.munmapHole(NAME).metaPeak, AV + 3 * LINK);
  deepStrictEqual(S.mremapMove(NAME).metaPeak, AV + 3 * LINK);
});

Deno.test("anon_vma structure: merges take pieces off the list", () => {
  for (const o of [S.holeRefilled(NAME), S.mremapMoveBack(NAME)]) {
    // The refilled hole (no anon_vma yet, mergeable with any) and the piece moved back (the same
    // anon_vma, contiguous offsets) merge: one area left on the list (40 bytes), one visit per
    // walk.
    deepStrictEqual([o.x.anon_vma_count, o.meta], [1, AV + LINK]);
    deepStrictEqual(o.walks, Array(o.walks.length).fill(ONE));
  }
});

Deno.test("anon_vma structure: a compatible neighbour lends its anon_vma (find_mergeable)", () => {
  for (const secondFirst of [false, true]) {
    const o = S.neighbours(NAME, { secondFirst });
    // 2.6.7's find_mergeable_anon_vma: the neighbour (next, else previous) that could merge but
    // for the access bits lends its anon_vma. One anon_vma, two areas on it (56 bytes); one page
    // each: 1 + 2 visits, the wasted one outside its area (no PTE).
    deepStrictEqual([o.x.anon_vma_count, o.meta], [1, AV + 2 * LINK]);
    deepStrictEqual(S.total(o.walks), [3, 1, 2]);
  }
  const merged = S.neighbours(NAME, { merged: true });
  // One anon_vma for both: they merge after the mprotect (40 bytes), one visit per walk.
  deepStrictEqual([merged.meta, merged.walks], [AV + LINK, [ONE, ONE]]);
});

Deno.test("anon_vma structure: AIM7 in miniature walks the whole family", () => {
  const o = S.family(NAME, 3);
  // Fork allocates nothing; the family's one anon_vma lists 4 areas (24 + 4 * 16 = 88). Every
  // copy belongs to it: each walk visits areas until its process's, and every area on the way
  // covers the index and maps another copy (a PTE looked at, wasted). 1 + 2 + 3 + 4 = 10
  // visits, 0 + 1 + 2 + 3 = 6 wasted, 10 PTEs.
  deepStrictEqual([o.allocs, o.x.anon_vma_count, o.metaPeak], [0, 1, AV + 4 * LINK]);
  deepStrictEqual(S.total(o.walks), [10, 6, 10]);
});

Deno.test("anon_vma structure: fork chains, with and without exits, and exec", () => {
  const chain = S.forkChain(NAME, 3, false);
  // 3 areas on one list (72 bytes); each generation's page 0 is its own copy: 1 + 2 + 3 visits,
  // 3 wasted, all in range.
  deepStrictEqual([chain.allocs, chain.x.anon_vma_count, chain.metaPeak], [0, 1, AV + 3 * LINK]);
  deepStrictEqual(S.total(chain.walks), [6, 3, 6]);
  const exits = S.forkChain(NAME, 4, true);
  // Parent and child are on the list together between fork and exit (56 bytes), then the last
  // generation alone (40): its two pages, one visit each.
  deepStrictEqual([exits.x.anon_vma_count, exits.meta, exits.metaPeak], [1, AV + LINK, 56]);
  deepStrictEqual(exits.walks, [ONE, ONE]);
  const two = S.reuseRule(NAME, true);
  // Four areas at most (1, 3, 4, 5 after 2's exit): 24 + 4 * 16 = 88; still one anon_vma.
  deepStrictEqual([two.x.anon_vma_count, two.metaPeak], [1, AV + 4 * LINK]);
  const exec = S.execAfterFork(NAME);
  // exec takes the child's area off the list; its new area starts a family of its own: 2
  // anon_vmas, 2 links (80). The parent's pages: one visit each.
  deepStrictEqual([exec.x.anon_vma_count, exec.meta], [2, 2 * (AV + LINK)]);
  deepStrictEqual(exec.walks, [ONE, ONE]);
});

Deno.test("anon_vma structure: swapoff maps pages back into the one family", () => {
  for (const grandchild of [false, true]) {
    const o = S.swapoffBack(NAME, grandchild);
    // Whatever was shared, every page of the family is filed under its one anon_vma, whose list
    // holds 1's and 2's areas (3 exited): 2's copy and 1's page 0 cost 1 + 2 visits, the extra
    // one a PTE mapping the other process's copy.
    deepStrictEqual([o.x.anon_vma_count, o.meta], [1, AV + 2 * LINK]);
    deepStrictEqual(S.total(o.walks), [3, 1, 3]);
  }
});
