/**
 * Structural tests of `pte_chain` (Hemment's pmaps, van Riel's 2.5 rmap): each page knows the
 * PTEs that map it, so a walk visits exactly those, whatever splits, holes, moves, merges, forks
 * or swapoffs did to the areas. Memory: a page mapped once keeps its PTE in `struct page`
 * (nothing allocated); n >= 2 mappings take ceil(n / 7) blocks of 64 bytes. Fork adds one entry
 * per PTE it copies (`fork_rmap_allocs`). Walks as in `tests/_rmap_scenarios.ts`:
 * `[rmap_vma_visits, rmap_wasted_visits, pte_walks]`.
 */
import { deepStrictEqual } from "node:assert/strict";
import * as S from "../../tests/_rmap_scenarios.ts";

const NAME = "pte_chain";
const ONE: S.Walk = [1, 0, 1];
const BLOCK = 64;

Deno.test("pte_chain structure: splits, holes, moves and merges leave one visit per walk", () => {
  // Every page of these single-process scenarios is mapped once: one chain entry (the direct
  // pointer), no block, and its walk visits that PTE alone.
  const cases: [string, S.Outcome, number][] = [
    ["mprotect tail", S.splitByMprotect(NAME, "tail"), 4],
    ["mprotect head", S.splitByMprotect(NAME, "head"), 4],
    ["munmap hole", S.munmapHole(NAME), 4],
    ["hole refilled", S.holeRefilled(NAME), 5],
    ["mremap", S.mremapMove(NAME), 4],
    ["mremap back", S.mremapMoveBack(NAME), 4],
    ["neighbours", S.neighbours(NAME), 2],
    ["neighbours merged", S.neighbours(NAME, { merged: true }), 2],
  ];
  for (const [what, o, pages] of cases) {
    deepStrictEqual(o.walks, Array(pages).fill(ONE), what);
    deepStrictEqual([o.metaPeak, o.x.pte_chain_entries], [0, pages], what);
  }
});

Deno.test("pte_chain structure: fork pays one entry per PTE copied, walks stay exact", () => {
  const fam = S.family(NAME, 3);
  // Each fork copies the one PTE: 3 entries. The page is mapped twice until the child's write
  // moves the child's entry to its copy: one block (64 bytes) at most. Each of the 4 pages is
  // then mapped once: one visit each.
  deepStrictEqual([fam.allocs, fam.metaPeak, fam.meta], [3, BLOCK, 0]);
  deepStrictEqual(fam.walks, [ONE, ONE, ONE, ONE]);
  const chain = S.forkChain(NAME, 3, false);
  // Two forks of 2 PTEs: 4 entries. After the second fork page 1 has 3 mappings and 2's copy 2:
  // 2 blocks (128); after 3's write, page 1's block is left (64). Each generation's page 0 is
  // mapped once.
  deepStrictEqual([chain.allocs, chain.metaPeak, chain.meta], [4, 2 * BLOCK, BLOCK]);
  deepStrictEqual(chain.walks, [ONE, ONE, ONE]);
  const exits = S.forkChain(NAME, 4, true);
  // Three forks of 2 PTEs: 6 entries; two pages mapped twice between fork and exit: 128.
  deepStrictEqual([exits.allocs, exits.metaPeak, exits.meta], [6, 2 * BLOCK, 0]);
  deepStrictEqual(exits.walks, [ONE, ONE]);
  const two = S.reuseRule(NAME, true);
  // 4 forks of the one page, at most 4 mappings at once (1, 3, 4, 5 after 2's exit): one block.
  deepStrictEqual([two.allocs, two.metaPeak, two.x.pte_chain_entries], [4, BLOCK, 4]);
});

Deno.test("pte_chain structure: exec and swapoff", () => {
  const exec = S.execAfterFork(NAME);
  // fork copies 2 PTEs (2 entries, 2 pages mapped twice: 128); exec drops the child's.
  deepStrictEqual([exec.allocs, exec.metaPeak, exec.meta], [2, 2 * BLOCK, 0]);
  deepStrictEqual(exec.walks, [ONE, ONE]);
  const shared = S.swapoffBack(NAME, true);
  // swapoff adds an entry for each swap PTE it maps back: 2's copy is found through its chain,
  // wherever an object-based design would file it.
  deepStrictEqual(shared.walks, [ONE, ONE]);
  // Page 1 is still mapped by 1 and 2: one block.
  deepStrictEqual([shared.allocs, shared.meta], [4, BLOCK]);
});
