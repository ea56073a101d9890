/**
 * Tests of `objtree` written against the survivors of a mutation run (`deno task mutate
 * core/rmap/objtree.ts`, `docs/testing.md`): copy-on-write reuse moving a page into the writer's
 * space (and the cut and collapse it can trigger), the look-up steps of a swap-cache page mapped
 * again, and the depth peak. Every expected figure is worked out from the design (Lokier, seed
 * 003, as `core/rmap/objtree.ts` describes it): R is the first space, a fork shares it and flags
 * both areas, the first private modification after that gives the writer a child space. Sizes:
 * an address space 200 bytes, a link 16. Walks: `[rmap_vma_visits, rmap_wasted_visits,
 * pte_walks]` of one-page pageouts (`tests/_rmap_scenarios.ts`).
 */
import { deepStrictEqual } from "node:assert/strict";
import * as S from "../../tests/_rmap_scenarios.ts";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";

const NAME = "objtree";
const A = S.A, P = S.PAGE;
const SPACE = 200, LINK = 16;
const ONE: S.Walk = [1, 0, 1];
const tb = () => new TraceBuilder();

/** The counters of `x` in the order of the assertions below. */
function tree(x: Record<string, number>): number[] {
  return [
    x.objtree_spaces!,
    x.objtree_depth!,
    x.objtree_depth_peak!,
    x.objtree_collapses!,
    x.objtree_cuts!,
    x.objtree_pages_moved!,
    x.objtree_lookup_steps!,
    x.objtree_walk_spaces!,
  ];
}

/** pid 1 writes both pages of a 2-page area and forks 2; then pid 1 copies page 0. */
function forkedThenParentCopies(): TraceBuilder {
  return tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).w(1, A + P).fork(1, 2).w(1, A);
}

Deno.test("objtree mutants: COW reuse moves the page into the writer's new space", () => {
  // 1's copy of page 0 goes to a new child space Sp of R. 2 then writes the original page 0,
  // which only 2 maps now: COW reuse. 2 is still flagged by the fork, so it branches: R keeps no
  // area but two children (Sp and the new Sc), so it lives on, and the reused page moves to Sc.
  // 3 spaces, 2 links (3 * 200 + 2 * 16 = 632), depth 2; no cut (Sc holds 1 of 2 pages), no
  // look-up (the page was in 2's own space R when 2 wrote it).
  const o = S.measure(NAME, forkedThenParentCopies().w(2, A), [[2, A], [1, A]]);
  deepStrictEqual(tree(o.x), [3, 2, 2, 0, 0, 0, 0, 0]);
  deepStrictEqual(o.meta, 3 * SPACE + 2 * LINK);
  // Each page is alone in its space, whose only area maps it: one space, one visit per walk.
  deepStrictEqual(o.walks, [ONE, ONE]);
  deepStrictEqual(o.xAfter.objtree_walk_spaces, 2);
});

Deno.test("objtree mutants: COW reuse completing a space cuts it, and the parent collapses", () => {
  // As above, but 2 first copies page 1 (2 branches: Sc, a second child of R, holds the copy),
  // then writes page 0, whose original only 2 maps: COW reuse. The page is in R, one parent link
  // above 2's space Sc: 1 look-up step. It moves to Sc, which now holds both indices its area
  // covers: Sc is cut from R (1 cut). R, with no area and Sp as its only child, absorbs Sp
  // (1 collapse) and with it 1's copy of page 0 (1 page moved). Left: R (1's area: page 1 and
  // the copy of page 0) and Sc (2's area, both pages), two roots: depth 1, peak 2 (Sp, Sc),
  // 2 * (200 + 16) = 432 bytes.
  const o = S.measure(
    NAME,
    forkedThenParentCopies().w(2, A + P).w(2, A),
    [[2, A], [2, A + P], [1, A], [1, A + P]],
  );
  deepStrictEqual(tree(o.x), [2, 1, 2, 1, 1, 1, 1, 0]);
  deepStrictEqual(o.meta, 2 * (SPACE + LINK));
  // Every page is mapped once, in a space with one area: one space and one visit each.
  deepStrictEqual(o.walks, [ONE, ONE, ONE, ONE]);
  deepStrictEqual(o.xAfter.objtree_walk_spaces, 4);
});

Deno.test("objtree mutants: a swap-cache page mapped again from a child space costs a step", () => {
  // pid 1 writes both pages and forks 2; 2 copies page 0 (child space Sc under R, depth 2).
  // Reclaim pushes every page to swap and frees them. The first read of page 1 swaps it in while
  // the other process still holds the entry, so not exclusive: the page is filed at the root of
  // the reader's space, R (from Sc: 1 parent link; from R: none). The second read is a
  // swap-cache hit, mapped again: the page is in R, 1 link above Sc, none above R. Either way:
  // 1 step.
  for (const first of [1, 2]) {
    const m = new TestMachine(NAME).run(
      tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).w(1, A + P).fork(1, 2).w(2, A)
        .reclaim(16),
    );
    deepStrictEqual(m.x.objtree_lookup_steps, 0);
    m.run(tb().r(first, A + P));
    deepStrictEqual(m.x.objtree_lookup_steps, first === 2 ? 1 : 0, `${first} first`);
    m.run(tb().r(3 - first, A + P));
    deepStrictEqual([m.c.swap_in_pages, m.c.major_faults], [2, 1]);
    deepStrictEqual([m.x.objtree_spaces, m.x.objtree_depth], [2, 2]);
    deepStrictEqual(m.x.objtree_lookup_steps, 1, `${first} first`);
    // 2 forks 5: fork copies 2's PTEs, page 1 (in R) among them, into 5's area of Sc: a copy,
    // not a look-up, so no step.
    m.run(tb().fork(2, 5));
    deepStrictEqual(m.x.objtree_lookup_steps, 1, `${first} first, after the fork`);
  }
});

Deno.test("objtree mutants: a page left by COW reuse goes with the space it moved to", () => {
  // pid 1 writes both pages and forks 2; 2 copies page 0 (S2 under R); 2 forks 3 (both flagged,
  // in S2); 3 copies 2's copy (S3 under S2); 2 writes its copy, which only 2 maps now: COW
  // reuse, 2 branches (S2 keeps no area but two children, S3 and S2'), and the page moves from
  // S2 to S2'. 4 spaces, depth 3. Then 1 exits: R, with no area and S2 as its only child,
  // absorbs S2, which holds no page any more (1 collapse, 0 pages moved): R (no area; children
  // S3 and S2'), S3, S2': 3 spaces, 2 links (632 bytes), depth 2, peak 3.
  const t = tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).w(1, A + P).fork(1, 2).w(2, A)
    .fork(2, 3).w(3, A).w(2, A);
  const m = new TestMachine(NAME).run(t);
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_depth], [4, 3]);
  const o = S.measureOn(m.run(tb().exit(1)), [[2, A], [3, A]]);
  deepStrictEqual(tree(o.x), [3, 2, 3, 1, 0, 0, 0, 0]);
  deepStrictEqual(o.meta, 3 * SPACE + 2 * LINK);
  // 2's page is in S2', 3's in S3, each that space's only area's: one space, one visit each.
  deepStrictEqual(o.walks, [ONE, ONE]);
  deepStrictEqual(o.xAfter.objtree_walk_spaces, 2);
});

Deno.test("objtree mutants: the cut rule looks at every area of the space", () => {
  // pid 1 writes a 3-page area and forks 2; 2 copies page 0 (Sc under R), then mprotects page 2:
  // two pieces of 2's area in Sc, no longer flagged (the branch cleared it): pages 0-1 and page
  // 2. 2 spaces, 3 links (2 * 200 + 3 * 16 = 448).
  const t = tb().mmap(1, A, 3 * P, "rw-", "private,anon").w(1, A).w(1, A + P).w(1, A + 2 * P)
    .fork(1, 2).w(2, A).mprotect(2, A + 2 * P, P, "r--");
  const m = new TestMachine(NAME).run(t);
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_cuts, m.machine.metaBytes()], [2, 0, 448]);
  // 2 copies page 1 into Sc (no new space: the piece is not flagged). Sc now holds indices 0
  // and 1, all of the writing piece's, but not 2, which the other piece covers: no cut.
  m.run(tb().w(2, A + P));
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_cuts, m.x.objtree_depth], [2, 0, 2]);
  // The pieces merge again (same space, same flag: 2 links, 432 bytes); 2 copies page 2: Sc
  // holds every index of its area and is cut from R: two roots, depth 1.
  m.run(tb().mprotect(2, A + 2 * P, P, "rw-").w(2, A + 2 * P));
  deepStrictEqual(
    [m.x.objtree_spaces, m.x.objtree_cuts, m.x.objtree_depth, m.machine.metaBytes()],
    [2, 1, 1, 2 * (SPACE + LINK)],
  );
});

Deno.test("objtree mutants: a piece unmapped lets the cut rule look again", () => {
  // As above up to 2's copy of page 1: Sc holds indices 0 and 1, the other piece (page 2) has
  // none, so the check fails. 2 then unmaps page 2: what is left of 2's area is pages 0-1, every
  // one of them privately modified, so Sc is cut from R (1 cut, depth 1), and R keeps 1's area.
  // 2 spaces, 2 links (2 * 200 + 2 * 16 = 432).
  const t = tb().mmap(1, A, 3 * P, "rw-", "private,anon").w(1, A).w(1, A + P).w(1, A + 2 * P)
    .fork(1, 2).w(2, A).mprotect(2, A + 2 * P, P, "r--").w(2, A + P);
  const m = new TestMachine(NAME).run(t);
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_cuts, m.x.objtree_depth], [2, 0, 2]);
  m.run(tb().munmap(2, A + 2 * P, P));
  deepStrictEqual(
    [m.x.objtree_spaces, m.x.objtree_cuts, m.x.objtree_depth, m.machine.metaBytes()],
    [2, 1, 1, 2 * (SPACE + LINK)],
  );
});

Deno.test("objtree mutants: a process gone lets the cut rule look again at the space above", () => {
  // pid 1 writes a 2-page area and forks 2; 2 copies page 0 (S2 under R, index 0) and forks 3,
  // which copies page 1 (S3 under S2, index 1). 2 unmaps page 1: its area covers index 0 only,
  // which S2 holds, but 3's area below needs index 1 from S2 too: no cut. 3 spaces, depth 3.
  const t = tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).w(1, A + P).fork(1, 2)
    .w(2, A).fork(2, 3).w(3, A + P).munmap(2, A + P, P);
  const m = new TestMachine(NAME).run(t);
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_cuts, m.x.objtree_depth], [3, 0, 3]);
  // 3 exits: S3 dies, and S2 now holds every index its areas need: it is cut from R. Two roots,
  // depth 1.
  m.run(tb().exit(3));
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_cuts, m.x.objtree_depth], [2, 1, 1]);
});

Deno.test("objtree mutants: a page freed leaves its space's indices", () => {
  // pid 1 writes both pages and forks 2; 2 copies page 0 (Sc under R), then drops it
  // (MADV_DONTNEED frees the copy: Sc holds no index). 2 copies page 1: Sc holds index 1 only,
  // not every index of 2's area: no cut, depth 2. 2 writes page 0 again (a new zeroed page,
  // exclusive, into Sc): now Sc holds indices 0 and 1, and is cut from R: 1 cut, depth 1.
  const m = new TestMachine(NAME).run(
    tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).w(1, A + P).fork(1, 2).w(2, A)
      .madvise(2, A, P, "dontneed").w(2, A + P),
  );
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_cuts, m.x.objtree_depth], [2, 0, 2]);
  m.run(tb().w(2, A));
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_cuts, m.x.objtree_depth], [2, 1, 1]);
});

Deno.test("objtree mutants: a lone area's first write clears the fork flag", () => {
  // pid 1 writes a 2-page area, forks 2 and exits: 2 is alone in R, still flagged. Its first
  // write makes no space (it would merge straight back) and clears the flag. Then 2 splits its
  // area (page 1 made rwx: the pieces cannot merge) and writes page 1: not flagged, no new
  // space: 1 space, 2 links (232), depth 1 all along.
  const t = tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).w(1, A + P).fork(1, 2).exit(1)
    .w(2, A).mprotect(2, A + P, P, "rwx").w(2, A + P);
  const m = new TestMachine(NAME).run(t);
  deepStrictEqual(
    [m.x.objtree_spaces, m.x.objtree_depth_peak, m.machine.metaBytes()],
    [1, 1, SPACE + 2 * LINK],
  );
});

Deno.test("objtree mutants: the depth peak is the deepest the tree ever was", () => {
  // A chain 1 -> 2 -> 3, each writing page 0: spaces R, S2 (under R), S3 (under S2): depth 3.
  // Then 1 forks 9, which writes page 0: S9 under R (depth 2); and 1 maps and writes a new area:
  // a new root (depth 1). 5 spaces; the deepest chain still in use is 3, and so is the peak.
  const t = tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).w(1, A + P)
    .fork(1, 2).w(2, A).fork(2, 3).w(3, A);
  const m = new TestMachine(NAME).run(t);
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_depth_peak], [3, 3]);
  m.run(tb().fork(1, 9).w(9, A));
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_depth_peak], [4, 3]);
  m.run(tb().mmap(1, S.B, P, "rw-", "private,anon").w(1, S.B));
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_depth, m.x.objtree_depth_peak], [5, 3, 3]);
  // 3 exits, then 2: S3 dies, then S2 (no area, no child): the deepest chain in use is 9's (2).
  m.run(tb().exit(3).exit(2));
  deepStrictEqual([m.x.objtree_spaces, m.x.objtree_depth, m.x.objtree_depth_peak], [3, 2, 3]);
});

Deno.test("objtree mutants: page-cache pages mapped make no space and no look-up", () => {
  // pid 1 maps 2 pages of a file privately and reads both, then shares it read-only and reads:
  // page-cache pages are not anonymous, so objtree files nothing and looks nothing up for them (no
  // space, no link, no metadata).
  const t = tb().create(1, "file:/f", 2 * P).mmap(1, A, 2 * P, "r--", "private", "file:/f", 0)
    .r(1, A).r(1, A + P).mmap(1, S.B, 2 * P, "r--", "shared", "file:/f", 0).r(1, S.B);
  const m = new TestMachine(NAME).run(t);
  deepStrictEqual(
    [m.x.objtree_spaces, m.x.objtree_lookup_steps, m.machine.metaBytes()],
    [0, 0, 0],
  );
});
