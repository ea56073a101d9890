/**
 * Structural tests of `anon_vma_chain`: the counts Linux's rules imply (mm/rmap.c:
 * `__anon_vma_prepare` with `find_mergeable_anon_vma`, `anon_vma_clone`, `anon_vma_fork` with the
 * 2015 reuse rule, `unlink_anon_vmas`, `folio_move_anon_rmap`, `__folio_set_anon`), each number
 * reasoned in a comment. Sizes: an anon_vma 96 bytes, a chain entry 64 (`core/rmap/sizes.ts`).
 *
 * Walks are forced one page at a time with `madvise pageout` (one `try_to_unmap` walk, which ends
 * when the page's last PTE is gone; see `tests/_rmap_scenarios.ts`); each is
 * `[rmap_vma_visits, rmap_wasted_visits, pte_walks]`. The anon_vma's interval tree returns only
 * the areas whose `[vm_pgoff, vm_pgoff + pages)` covers the page's index, so an area that cannot
 * hold the page is never visited: after a split, a hole or a move, every walk of a page mapped
 * once is `[1, 0, 1]`.
 */
import { deepStrictEqual } from "node:assert/strict";
import * as S from "../../tests/_rmap_scenarios.ts";

const NAME = "anon_vma_chain";
const ONE: S.Walk = [1, 0, 1];
const AV = 96, AVC = 64;

Deno.test("anon_vma_chain structure: an mprotect split keeps every walk at one area", () => {
  for (const part of ["tail", "head"] as const) {
    const o = S.splitByMprotect(NAME, part);
    // __split_vma: the new piece shares the anon_vma (vm_area_dup) and anon_vma_clone gives it a
    // chain entry: 1 anon_vma, 2 entries, 96 + 2 * 64 = 224 bytes. The pieces' index ranges are
    // [p, p+2) and [p+2, p+4): page p+2 is not in the first (the end is exclusive), so each walk
    // meets exactly the piece that maps its page.
    deepStrictEqual(o.x, { anon_vma_count: 1, anon_vma_chain_count: 2 }, part);
    deepStrictEqual([o.meta, o.metaPeak], [AV + 2 * AVC, AV + 2 * AVC], part);
    deepStrictEqual(o.walks, [ONE, ONE, ONE, ONE], part);
  }
});

Deno.test("anon_vma_chain structure: a munmap hole, then the hole mapped again", () => {
  const hole = S.munmapHole(NAME);
  // munmap of page 2 of 5 splits twice (3 pieces, 3 chain entries at once: peak 96 + 3 * 64 =
  // 288), then unlinks the middle piece: 2 entries left (224). The pieces' index ranges are
  // [p, p+2) and [p+3, p+5): each page is covered by its own piece only.
  deepStrictEqual(hole.x, { anon_vma_count: 1, anon_vma_chain_count: 2 });
  deepStrictEqual([hole.meta, hole.metaPeak], [AV + 2 * AVC, AV + 3 * AVC]);
  deepStrictEqual(hole.walks, [ONE, ONE, ONE, ONE]);
  const refilled = S.holeRefilled(NAME);
  // The new one-page area has no anon_vma yet; is_mergeable_anon_vma lets it merge with a
  // neighbour whose chain is a single entry, and then the two outer pieces (one anon_vma) merge
  // too: one area, one entry (160 bytes). Its page is filed under that anon_vma; 5 walks of 1.
  deepStrictEqual(refilled.x, { anon_vma_count: 1, anon_vma_chain_count: 1 });
  deepStrictEqual([refilled.meta, refilled.metaPeak], [AV + AVC, AV + 3 * AVC]);
  deepStrictEqual(refilled.walks, [ONE, ONE, ONE, ONE, ONE]);
});

Deno.test("anon_vma_chain structure: mremap moves a piece with its offsets, and back", () => {
  const moved = S.mremapMove(NAME);
  // The tail is split off (2 entries) and copy_vma clones its chain for the new area before the
  // old one goes (3 entries at once: 288). vm_pgoff moves with the area, so the moved pages keep
  // their index; the head's range [p, p+2) does not cover p+2: one area per walk.
  deepStrictEqual(moved.x, { anon_vma_count: 1, anon_vma_chain_count: 2 });
  deepStrictEqual([moved.meta, moved.metaPeak], [AV + 2 * AVC, AV + 3 * AVC]);
  deepStrictEqual(moved.walks, [ONE, ONE, ONE, ONE]);
  const back = S.mremapMoveBack(NAME);
  // Moved back next to the head with contiguous offsets and the same anon_vma: they merge into
  // one area with one entry.
  deepStrictEqual(back.x, { anon_vma_count: 1, anon_vma_chain_count: 1 });
  deepStrictEqual([back.meta, back.metaPeak], [AV + AVC, AV + 3 * AVC]);
  deepStrictEqual(back.walks, [ONE, ONE, ONE, ONE]);
});

Deno.test("anon_vma_chain structure: a compatible neighbour lends its anon_vma (find_mergeable)", () => {
  const o = S.neighbours(NAME);
  // The second area (rwx) cannot merge with the first (rw-), but anon_vma_compatible ignores the
  // access bits (VM_READ|VM_WRITE|VM_EXEC): same flags, no file, contiguous vm_pgoff. The first
  // area's chain is a single entry, so reusable_anon_vma hands its anon_vma over: 1 anon_vma and
  // 2 entries, 96 + 2 * 64 = 224 bytes (320 with an anon_vma each). Each page's index is covered
  // by its own area only: one visit per walk.
  deepStrictEqual(o.x, { anon_vma_count: 1, anon_vma_chain_count: 2 });
  deepStrictEqual([o.meta, o.metaPeak], [AV + 2 * AVC, AV + 2 * AVC]);
  deepStrictEqual(o.walks, [ONE, ONE]);
  // find_mergeable_anon_vma looks at the next area first: written second-first, the first area
  // borrows from the one after it. Same counts.
  const after = S.neighbours(NAME, { secondFirst: true });
  deepStrictEqual([after.x, after.metaPeak, after.walks], [o.x, o.metaPeak, o.walks]);
  const merged = S.neighbours(NAME, { merged: true });
  // mprotect rw- makes them one mapping: same anon_vma, so they merge; the removed area's entry
  // goes (160 bytes).
  deepStrictEqual(merged.x, { anon_vma_count: 1, anon_vma_chain_count: 1 });
  deepStrictEqual([merged.meta, merged.metaPeak], [AV + AVC, AV + 2 * AVC]);
  deepStrictEqual(merged.walks, [ONE, ONE]);
});

Deno.test("anon_vma_chain structure: AIM7 in miniature costs one visit per walk", () => {
  const o = S.family(NAME, 3);
  // Each fork: anon_vma_clone links the child to the parent's anon_vma (1 entry), and since the
  // parent's anon_vma has an area of its own (num_active_vmas 1) it is not reused: a new anon_vma
  // and its entry. 3 allocations a fork, 9 in all; 4 anon_vmas, 1 + 3 * 2 = 7 entries:
  // 4 * 96 + 7 * 64 = 832 bytes. Each child's copy is filed under its own anon_vma (one area);
  // the parent's page under the root, whose tree holds all 4 areas with the same vm_pgoff, in
  // insertion order: the parent's first, and the walk ends there.
  deepStrictEqual(o.allocs, 9);
  deepStrictEqual(o.x, { anon_vma_count: 4, anon_vma_chain_count: 7 });
  deepStrictEqual(o.metaPeak, 4 * AV + 7 * AVC);
  deepStrictEqual(o.walks, [ONE, ONE, ONE, ONE]);
});

Deno.test("anon_vma_chain structure: a fork chain grows entries quadratically while all live", () => {
  const o = S.forkChain(NAME, 3, false);
  // Generation g's area links to g anon_vmas (its own and every ancestor's): 1 + 2 + 3 = 6
  // entries, 3 anon_vmas (672 bytes). fork 1->2: 1 entry + anon_vma + entry = 3; fork 2->3:
  // 2 + 2 = 4; 7 allocations. Each generation's page 0 is its own: 1's under X, whose tree holds
  // all three areas with 1's first; 2's copy under Y (2's and 3's areas, 2's first); 3's under
  // Z. Each walk ends at the first area it meets.
  deepStrictEqual(o.allocs, 7);
  deepStrictEqual(o.x, { anon_vma_count: 3, anon_vma_chain_count: 6 });
  deepStrictEqual(o.metaPeak, 3 * AV + 6 * AVC);
  deepStrictEqual(o.walks, [ONE, ONE, ONE]);
});

Deno.test("anon_vma_chain structure: with exits the 2015 reuse rule bounds a fork chain", () => {
  const o = S.forkChain(NAME, 4, true);
  // 1 (anon_vma X) forks 2 (new Y under X: 3 allocations), exits; 2's write reuses the page and
  // folio_move_anon_rmap moves it to Y. 2 forks 3: neither X (num_children 2: its self link and
  // Y) nor Y (2's own) may be reused: new Z under Y, 2 + 2 = 4 allocations. 2 exits: Y has no
  // area of its own and one child. 3 forks 4: Y is reused, only the 3 chain entries are
  // allocated. 10 allocations; X, Y, Z stay (3 anon_vmas, generation 4's 3 entries: 480 bytes).
  // The peak is after that fork, before 3 exits: 3 anon_vmas and 3 + 3 entries, 672 bytes.
  // Page 0 was moved to Y by 4's write, page 1 is still X's: each tree holds only 4's area.
  deepStrictEqual(o.allocs, 10);
  deepStrictEqual(o.x, { anon_vma_count: 3, anon_vma_chain_count: 3 });
  deepStrictEqual([o.meta, o.metaPeak], [3 * AV + 3 * AVC, 3 * AV + 6 * AVC]);
  deepStrictEqual(o.walks, [ONE, ONE]);
});

Deno.test("anon_vma_chain structure: reuse needs an anon_vma with no area and under 2 children", () => {
  const one = S.reuseRule(NAME, false);
  // 1 (X) forks 2 (Y: 3 allocations); 2 forks 3 (Z under Y: 4); 2 exits; 3 forks 5: anon_vma_clone
  // walks 3's chain and finds Y with no area of its own and one child: reused, only 3 entries
  // (10 allocations). X, Y, Z; entries: 1's 1, 3's 3, 5's 3 = 7 (3 * 96 + 7 * 64 = 736).
  deepStrictEqual(one.allocs, 10);
  deepStrictEqual(one.x, { anon_vma_count: 3, anon_vma_chain_count: 7 });
  deepStrictEqual(one.metaPeak, 3 * AV + 7 * AVC);
  const two = S.reuseRule(NAME, true);
  // With 2 also forking 4 (W under Y: 4 allocations), Y has two children when 2 exits: not
  // reusable, so 5 gets a new anon_vma V (3 entries + V + its entry = 5). 3 + 4 + 4 + 5 = 16;
  // X, Y, Z, W, V; entries 1 + 3 + 3 + 4 = 11 (5 * 96 + 11 * 64 = 1184).
  deepStrictEqual(two.allocs, 16);
  deepStrictEqual(two.x, { anon_vma_count: 5, anon_vma_chain_count: 11 });
  deepStrictEqual(two.metaPeak, 5 * AV + 11 * AVC);
});

Deno.test("anon_vma_chain structure: exec drops the child's anon_vma and entries", () => {
  const o = S.execAfterFork(NAME);
  // fork: Y under X, 1 + 2 allocations (2 anon_vmas, 3 entries: 384 bytes at the peak). exec
  // unlinks 2's area: Y's tree empties and Y is freed (its reference on the root goes with it).
  // 2's new area gets a new root anon_vma of its own: 2 anon_vmas, 2 entries (320). 1's pages
  // are under X, whose tree holds 1's area only: one visit each.
  deepStrictEqual(o.allocs, 3);
  deepStrictEqual(o.x, { anon_vma_count: 2, anon_vma_chain_count: 2 });
  deepStrictEqual([o.meta, o.metaPeak], [2 * AV + 2 * AVC, 2 * AV + 3 * AVC]);
  deepStrictEqual(o.walks, [ONE, ONE]);
});

Deno.test("anon_vma_chain structure: swapoff files a page still shared under the root", () => {
  const shared = S.swapoffBack(NAME, true);
  // 2's copy of page 0 was mapped by 2 and 3 when it went to swap, so its swap entry was not
  // exclusive: unuse_pte maps the fresh page with __folio_set_anon(..., exclusive = false), which
  // files it under the root anon_vma X, not 2's Y. After 3 exits X's tree holds 1's and 2's
  // areas in that order: the walk of 2's copy visits 1's area first (a PTE mapping 1's own page:
  // wasted, but looked at), then 2's. 1's page 0 (exclusive when swapped) is under X: found first.
  deepStrictEqual(shared.walks, [[2, 1, 2], ONE]);
  // X and Y remain (Z went with 3); entries: 1's 1, 2's 2.
  deepStrictEqual(shared.x, { anon_vma_count: 2, anon_vma_chain_count: 3 });
  deepStrictEqual([shared.allocs, shared.meta], [7, 2 * AV + 3 * AVC]);
  const own = S.swapoffBack(NAME, false);
  // Without the grandchild, 2's copy was exclusive: back under Y, whose tree is 2's area alone.
  deepStrictEqual(own.walks, [ONE, ONE]);
});
