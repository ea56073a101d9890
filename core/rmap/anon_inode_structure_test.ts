/**
 * Structural tests of `anon_inode` (Hemment, seed 000): an anonymous inode per private area
 * that gets anonymous pages (inode and dentry, 792 bytes, plus a 16-byte slot per page of the
 * range it covers), shared by the pieces of a split or moved area; fork dups it with a copy of
 * the array (3 allocations). A walk reads the page's slot in every inode of its family until one
 * holds the page (`anon_inode_slot_checks`), then visits that inode's ring of areas. There is no
 * neighbour reuse, and areas of different inodes never merge. Walks as in
 * `tests/_rmap_scenarios.ts`: `[rmap_vma_visits, rmap_wasted_visits, pte_walks]`; totals where
 * only the order of a ring or a family decides which walk pays.
 */
import { deepStrictEqual } from "node:assert/strict";
import * as S from "../../tests/_rmap_scenarios.ts";

const NAME = "anon_inode";
const ONE: S.Walk = [1, 0, 1];
const INODE = 600 + 192, SLOT = 16;

Deno.test("anon_inode structure: split, hole and move keep both pieces on one ring", () => {
  const cases: [string, S.Outcome, number][] = [
    ["mprotect tail", S.splitByMprotect(NAME, "tail"), 4],
    ["mprotect head", S.splitByMprotect(NAME, "head"), 4],
    ["munmap hole", S.munmapHole(NAME), 5],
    ["mremap", S.mremapMove(NAME), 4],
  ];
  for (const [what, o, span] of cases) {
    // One inode, its array still covering the area's first range (the hole's 5 offsets too:
    // 792 + 16 per offset). Two pieces of two pages on its ring: the page of the piece listed
    // second costs a visit of the first (index out of its range: no PTE). 6 visits, 2 wasted,
    // 4 PTEs; one slot read per walk.
    deepStrictEqual([o.x.anon_inode_count, o.meta], [1, INODE + span * SLOT], what);
    deepStrictEqual(S.total(o.walks), [6, 2, 4], what);
    deepStrictEqual(o.xAfter.anon_inode_slot_checks, 4, what);
  }
  for (const [o, span] of [[S.holeRefilled(NAME), 5], [S.mremapMoveBack(NAME), 4]] as const) {
    // The refilled hole (no inode yet) and the piece moved back (the same inode) merge: one area
    // on the ring, one visit per walk.
    deepStrictEqual([o.x.anon_inode_count, o.meta], [1, INODE + span * SLOT]);
    deepStrictEqual(o.walks, Array(span).fill(ONE));
  }
});

Deno.test("anon_inode structure: neighbours get an inode each and never merge", () => {
  for (const merged of [false, true]) {
    const o = S.neighbours(NAME, { merged });
    // Two one-page areas, two inodes (2 * (792 + 16) = 1616), not merged even with the same
    // protection (different inodes). One visit per walk.
    deepStrictEqual([o.x.anon_inode_count, o.meta], [2, 2 * (INODE + SLOT)]);
    deepStrictEqual(o.walks, [ONE, ONE]);
  }
});

Deno.test("anon_inode structure: AIM7 in miniature copies an inode per child", () => {
  const o = S.family(NAME, 3);
  // Each fork dups the one-page inode: 3 allocations (inode, dentry, array) and 1 slot copied
  // per fork; 4 inodes of 808 bytes. Each child's write puts its copy in its own inode's slot,
  // so every page is held by one inode: one area visited per walk, after reading the slots of
  // the family's inodes up to the holder's: 1 + 2 + 3 + 4 = 10 reads over the four walks.
  deepStrictEqual([o.allocs, o.x.anon_inode_slots_copied, o.metaPeak], [9, 3, 4 * (INODE + SLOT)]);
  deepStrictEqual(o.walks, [ONE, ONE, ONE, ONE]);
  deepStrictEqual(o.xAfter.anon_inode_slot_checks, 10);
});

Deno.test("anon_inode structure: fork chains and exec", () => {
  const chain = S.forkChain(NAME, 3, false);
  // Two forks of a 2-page inode: 6 allocations, 4 slots copied, 3 inodes of 792 + 32 bytes.
  // Each generation's page 0 is held by its own inode: one visit each, 1 + 2 + 3 slot reads.
  deepStrictEqual([chain.allocs, chain.x.anon_inode_slots_copied], [6, 4]);
  deepStrictEqual(chain.metaPeak, 3 * (INODE + 2 * SLOT));
  deepStrictEqual(chain.walks, [ONE, ONE, ONE]);
  deepStrictEqual(chain.xAfter.anon_inode_slot_checks, 6);
  const exits = S.forkChain(NAME, 4, true);
  // Each exit frees the parent's inode: 2 inodes at most (1648 bytes), 1 at the end; 9
  // allocations, 6 slots copied. The last generation's two pages: one visit, one read each.
  deepStrictEqual(
    [exits.allocs, exits.x.anon_inode_count, exits.meta, exits.metaPeak],
    [9, 1, INODE + 2 * SLOT, 2 * (INODE + 2 * SLOT)],
  );
  deepStrictEqual(exits.walks, [ONE, ONE]);
  deepStrictEqual(exits.xAfter.anon_inode_slot_checks, 2);
  const exec = S.execAfterFork(NAME);
  // The child's dup goes with exec; its new area gets a new inode (a family of its own).
  deepStrictEqual([exec.allocs, exec.x.anon_inode_count], [3, 2]);
  deepStrictEqual(exec.walks, [ONE, ONE]);
  deepStrictEqual(exec.xAfter.anon_inode_slot_checks, 2);
});

Deno.test("anon_inode structure: swapoff puts each page back in its mapper's slot", () => {
  for (const grandchild of [false, true]) {
    const o = S.swapoffBack(NAME, grandchild);
    // A swapped-in page is held by the inode of the area it is mapped into: 2's copy by 2's, 1's
    // page 0 by 1's. One visit each.
    deepStrictEqual(o.walks, [ONE, ONE]);
  }
});
